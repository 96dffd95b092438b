//! The code-map pre-pass: local race, ethnicity and language codes the profile maps are
//! replaced by their standard targets before the rules run, each with a `CODE_MAPPED`
//! finding naming the original. The record is cloned only when something is mapped.

use crate::codemap::{MapField, MapIndex};
use crate::record::wire::{CodeWire, CodedAnswer, LanguageWire};
use crate::record::Record;

use super::Context;
use crate::catalog::{self, Domain, Finding};

/// The record with its mapped codes replaced (`None` when nothing was mapped).
pub fn apply(record: &Record, ctx: &Context<'_>, out: &mut Vec<Finding>) -> Option<Record> {
    let maps = ctx.profile.maps();
    if maps.is_empty() {
        return None;
    }
    let mut mapper = Mapper {
        maps,
        source: &record.source,
        out,
    };
    let mut mapped: Option<Record> = None;

    let race = mapper.answer(
        record.race.as_ref(),
        MapField::Race,
        FieldPath::patient("race"),
        Domain::Race,
    );
    if let Some(race) = race {
        mapped.get_or_insert_with(|| record.clone()).race = Some(race);
    }
    let ethnicity = mapper.answer(
        record.ethnicity.as_ref(),
        MapField::Ethnicity,
        FieldPath::patient("ethnicity"),
        Domain::Ethnicity,
    );
    if let Some(ethnicity) = ethnicity {
        mapped.get_or_insert_with(|| record.clone()).ethnicity = Some(ethnicity);
    }
    let language = mapper.language(
        record.language.as_ref(),
        FieldPath::patient("language"),
        Domain::Language,
    );
    if let Some(language) = language {
        mapped.get_or_insert_with(|| record.clone()).language = Some(language);
    }
    for (index, caregiver) in record.caregivers.iter().enumerate() {
        let race = mapper.answer(
            caregiver.race.as_ref(),
            MapField::Race,
            FieldPath::caregiver(index, "race"),
            Domain::Caregivers,
        );
        let ethnicity = mapper.answer(
            caregiver.ethnicity.as_ref(),
            MapField::Ethnicity,
            FieldPath::caregiver(index, "ethnicity"),
            Domain::Caregivers,
        );
        let language = mapper.language(
            caregiver.language.as_ref(),
            FieldPath::caregiver(index, "language"),
            Domain::CaregiverLanguage,
        );
        let relationship = mapper.relationship(caregiver.relationship.as_deref(), index);
        if race.is_none() && ethnicity.is_none() && language.is_none() && relationship.is_none() {
            continue;
        }
        let copy = &mut mapped.get_or_insert_with(|| record.clone()).caregivers[index];
        if let Some(race) = race {
            copy.race = Some(race);
        }
        if let Some(ethnicity) = ethnicity {
            copy.ethnicity = Some(ethnicity);
        }
        if let Some(language) = language {
            copy.language = Some(language);
        }
        if let Some(relationship) = relationship {
            copy.relationship = Some(relationship);
        }
    }
    mapped
}

/// A mapped field's path (`race`, `caregivers[1].language`), formatted only when a code
/// maps: most records map nothing.
#[derive(Clone, Copy)]
struct FieldPath {
    caregiver: Option<usize>,
    field: &'static str,
}

impl FieldPath {
    fn patient(field: &'static str) -> Self {
        FieldPath {
            caregiver: None,
            field,
        }
    }

    fn caregiver(index: usize, field: &'static str) -> Self {
        FieldPath {
            caregiver: Some(index),
            field,
        }
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.caregiver {
            Some(index) => write!(f, "caregivers[{index}].{}", self.field),
            None => f.write_str(self.field),
        }
    }
}

struct Mapper<'a, 'o> {
    maps: &'a MapIndex,
    source: &'a str,
    out: &'o mut Vec<Finding>,
}

impl Mapper<'_, '_> {
    /// The answer with its mapped codes replaced, when any code maps.
    fn answer(
        &mut self,
        answer: Option<&CodedAnswer>,
        field: MapField,
        prefix: FieldPath,
        domain: Domain,
    ) -> Option<CodedAnswer> {
        let answer = answer?;
        let mut copy: Option<CodedAnswer> = None;
        // Text only (FHIR `text`, no coding): the text, when a map knows it, becomes the code.
        if answer.codes.is_empty() && answer.null_flavor.is_none() {
            let text = answer.text.as_deref()?;
            let target = self.maps.lookup(self.source, field, text)?;
            self.out.push(mapped_finding(
                format!("{prefix}.text"),
                field,
                text,
                target,
                domain,
            ));
            let mut copy = answer.clone();
            copy.codes.push(CodeWire {
                system: None,
                code: target.to_string(),
                display: None,
            });
            return Some(copy);
        }
        for (index, code) in answer.codes.iter().enumerate() {
            let Some(target) = self.maps.lookup(self.source, field, &code.code) else {
                continue;
            };
            self.out.push(mapped_finding(
                format!("{prefix}.codes[{index}].code"),
                field,
                &code.code,
                target,
                domain,
            ));
            // A display that the map itself reads as the same code (`B^Black`: "Black" maps
            // to 2054-5 too) agrees with the target: it is dropped, so that it is not
            // reported as a mismatch with the official display. One that disagrees stays.
            let agrees = code
                .display
                .as_deref()
                .is_some_and(|d| self.maps.lookup(self.source, field, d) == Some(target));
            let slot = &mut copy.get_or_insert_with(|| answer.clone()).codes[index];
            slot.code = target.to_string();
            slot.system = None;
            if agrees {
                slot.display = None;
            }
        }
        copy
    }

    /// A caregiver's relationship mapped to table 0063, when it maps.
    fn relationship(&mut self, relationship: Option<&str>, index: usize) -> Option<String> {
        let value = relationship?;
        let target = self
            .maps
            .lookup(self.source, MapField::Relationship, value)?;
        self.out.push(mapped_finding(
            format!("caregivers[{index}].relationship"),
            MapField::Relationship,
            value,
            target,
            Domain::Caregivers,
        ));
        Some(target.to_string())
    }

    /// The language answer with mapped tags replaced, when any tag maps.
    fn language(
        &mut self,
        answer: Option<&LanguageWire>,
        prefix: FieldPath,
        domain: Domain,
    ) -> Option<LanguageWire> {
        let answer = answer?;
        let mut copy: Option<LanguageWire> = None;
        for (name, tag) in [
            ("preferred", answer.preferred.as_deref()),
            ("written", answer.written.as_deref()),
        ] {
            let Some(tag) = tag else { continue };
            let Some(target) = self.maps.lookup(self.source, MapField::Language, tag) else {
                continue;
            };
            self.out.push(mapped_finding(
                format!("{prefix}.{name}"),
                MapField::Language,
                tag,
                target,
                domain,
            ));
            let copy = copy.get_or_insert_with(|| answer.clone());
            let slot = if name == "preferred" {
                &mut copy.preferred
            } else {
                &mut copy.written
            };
            *slot = Some(target.to_string());
        }
        copy
    }
}

fn mapped_finding(
    path: String,
    field: MapField,
    original: &str,
    target: &str,
    domain: Domain,
) -> Finding {
    // The original is a key of the profile's map (a code or a language name), never free
    // text of the sender's choosing, so quoting it cannot leak PHI.
    Finding::new(
        &catalog::CODE_MAPPED,
        path,
        format!(
            "\"{}\" was mapped to {target} by the profile's {} map",
            original.trim(),
            field.as_str()
        ),
    )
    .in_domain(domain)
}
