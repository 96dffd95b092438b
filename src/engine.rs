//! The validation engine: record + profile + code sets + `now` → verdict. Pure: no I/O,
//! no clock, no database; the CLI, HTTP and (later) FHIR and HL7 paths all call it.

use crate::catalog::{self, Domain, DomainStatus, Finding, QuestionFormat, Severity};
use crate::codesets::cdcrec::Spd15Category;
use crate::record::Record;
use crate::rules::codes::Place;
use crate::rules::language::LanguagePlace;
use crate::rules::rollup::{self, Omb1997};
use crate::rules::{
    caregivers, collection, combined, disability, ethnicity, language, mapping, race, sdoh, sogi,
    Context,
};

/// Whether a record is usable for equity measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// No error, every required domain complete or declined.
    Complete,
    /// No error, some required domain not complete.
    Incomplete,
    /// At least one error finding.
    Invalid,
}

impl RecordStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Complete => "complete",
            RecordStatus::Incomplete => "incomplete",
            RecordStatus::Invalid => "invalid",
        }
    }
}

/// The statuses of the completeness domains, in report order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainStatuses(pub Vec<(Domain, DomainStatus)>);

impl DomainStatuses {
    /// The status of one domain.
    pub fn get(&self, domain: Domain) -> Option<DomainStatus> {
        self.0.iter().find(|(d, _)| *d == domain).map(|(_, s)| *s)
    }
}

impl serde::Serialize for DomainStatuses {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (domain, status) in &self.0 {
            map.serialize_entry(domain.as_str(), status)?;
        }
        map.end()
    }
}

/// What the engine concludes about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Record status.
    pub status: RecordStatus,
    /// Domain statuses.
    pub domains: DomainStatuses,
    /// Every finding, in check order.
    pub findings: Vec<Finding>,
    /// OMB 1997 roll-up.
    pub omb_1997: Omb1997,
    /// SPD-15 roll-up.
    pub spd15: Vec<Spd15Category>,
    /// Required REaL domains (race, ethnicity, language, interpreter, and for minors the
    /// caregivers' language) complete or declined, and no error finding.
    pub real_complete: bool,
    /// The status domains the profile requires of this patient (by unit and age): the
    /// report counts a domain only over the patients it is required of.
    pub required: Vec<Domain>,
}

impl Verdict {
    /// Whether the report counts this patient in `domain`: every status domain but a
    /// caregiver domain the profile does not require of the patient (an adult's).
    pub fn counted_in(&self, domain: Domain) -> bool {
        !Domain::CAREGIVER_DOMAINS.contains(&domain) || self.required.contains(&domain)
    }
}

/// The patient's race answer.
const RACE: Place<'static> = Place {
    prefix: "race",
    domain: Domain::Race,
    completeness: true,
};

/// The patient's ethnicity answer.
const ETHNICITY: Place<'static> = Place {
    prefix: "ethnicity",
    domain: Domain::Ethnicity,
    completeness: true,
};

/// Validates one record.
pub fn validate(record: &Record, ctx: &Context<'_>) -> Verdict {
    let mut findings = Vec::with_capacity(16);
    // Local codes the profile maps are validated as their targets.
    let mapped = mapping::apply(record, ctx, &mut findings);
    let record = mapped.as_ref().unwrap_or(record);
    let (races, ethnicities, race_status, ethnicity_status) = match ctx.profile.question_format {
        QuestionFormat::Omb1997 => two_questions(record, ctx, &mut findings),
        QuestionFormat::Spd15 => {
            let answer = combined::check(
                record.race.as_ref(),
                record.ethnicity.as_ref(),
                &RACE,
                &ETHNICITY,
                ctx,
                &mut findings,
            );
            (
                answer.races,
                answer.ethnicities,
                answer.status,
                answer.status,
            )
        }
    };
    ethnicity::granular(&races, &ethnicities, &mut findings);
    let language = language::check(
        record.language.as_ref(),
        ctx,
        &LanguagePlace::PATIENT,
        &mut findings,
    );
    let birth = collection::birth_date(record);
    let age = birth.map(|b| collection::age_on(b, record.recorded_on));
    let adult_age = i32::try_from(ctx.profile.adult_age).unwrap_or(i32::MAX);
    let minor = age.map(|age| age < adult_age);
    let required = ctx.profile.required_in(&record.unit);
    let is_required = |domain: &Domain| {
        required.all.contains(domain) || (minor != Some(false) && required.minors.contains(domain))
    };
    let caregivers = caregivers::check(
        &record.caregivers,
        minor,
        is_required(&Domain::CaregiverLanguage),
        ctx,
        &mut findings,
    );
    collection::check(record, ctx, &mut findings);
    let optional = optional_domains(record, age, minor, ctx, &mut findings);
    // The profile's severity overrides, `off` included, before anything is judged on them.
    findings.retain_mut(
        |finding| match ctx.profile.severity_of(finding.rule, finding.severity) {
            Some(severity) => {
                finding.severity = severity;
                true
            }
            None => false,
        },
    );

    let raw = [
        (Domain::Race, race_status),
        (Domain::Ethnicity, ethnicity_status),
        (Domain::Language, language.language),
        (Domain::Interpreter, language.interpreter),
        (Domain::Caregivers, caregivers.caregivers),
        (Domain::CaregiverLanguage, caregivers.caregiver_language),
    ]
    .into_iter()
    .chain(optional);
    let has_error_in = |domain: Domain| {
        findings
            .iter()
            .any(|f| f.domain == domain && f.severity == Severity::Error)
    };
    let domains = DomainStatuses(
        raw.map(|(domain, status)| {
            let status = if has_error_in(domain) {
                DomainStatus::Invalid
            } else {
                status
            };
            (domain, status)
        })
        .collect(),
    );
    let any_error = findings.iter().any(|f| f.severity == Severity::Error);
    let required_complete = |filter: &dyn Fn(&Domain) -> bool| {
        domains
            .0
            .iter()
            .filter(|(d, _)| is_required(d) && filter(d))
            .all(|(_, s)| s.is_complete())
    };
    let status = if any_error {
        RecordStatus::Invalid
    } else if required_complete(&|_| true) {
        RecordStatus::Complete
    } else {
        RecordStatus::Incomplete
    };
    let real_complete = !any_error
        && required_complete(&|d| {
            *d != Domain::Caregivers && !Domain::OPTIONAL_DOMAINS.contains(d)
        });
    let omb_1997 = rollup::omb_1997(&races, &ethnicities);
    let spd15 = rollup::spd15(&races, &omb_1997);
    let required = Domain::STATUS_DOMAINS
        .iter()
        .copied()
        .filter(|d| is_required(d))
        .collect();
    Verdict {
        required,
        status,
        domains,
        findings,
        omb_1997,
        spd15,
        real_complete,
    }
}

/// Race and ethnicity as the OMB 1997 two questions: concepts and statuses of each.
fn two_questions<'c>(
    record: &Record,
    ctx: &Context<'c>,
    findings: &mut Vec<Finding>,
) -> (
    Vec<&'c crate::codesets::cdcrec::Concept>,
    Vec<&'c crate::codesets::cdcrec::Concept>,
    DomainStatus,
    DomainStatus,
) {
    let races = race::check(record.race.as_ref(), ctx, &RACE, findings);
    let ethnicities = ethnicity::check(record.ethnicity.as_ref(), ctx, &ETHNICITY, findings);
    (
        races,
        ethnicities,
        answered(record.race.as_ref()),
        answered(record.ethnicity.as_ref()),
    )
}

/// The status an answer supports before error findings: codes, a null value, or nothing.
fn answered(answer: Option<&crate::record::wire::CodedAnswer>) -> DomainStatus {
    match answer {
        Some(a) if !a.codes.is_empty() => DomainStatus::Complete,
        Some(a) => a
            .null_flavor
            .map_or(DomainStatus::Missing, DomainStatus::of_null),
        None => DomainStatus::Missing,
    }
}

/// The optional PHEC domains (sogi, disability, sdoh): their rules always run on data that
/// is sent; a domain gets a status only when the profile requires it somewhere (and, for
/// SOGI, only from the profile's SOGI age), and its MISSING rule only where it is required.
fn optional_domains(
    record: &Record,
    age: Option<i32>,
    minor: Option<bool>,
    ctx: &Context<'_>,
    findings: &mut Vec<Finding>,
) -> Vec<(Domain, DomainStatus)> {
    let profile = ctx.profile;
    let required = profile.required_in(&record.unit);
    let required_here = |domain: Domain| {
        required.all.contains(&domain)
            || (minor != Some(false) && required.minors.contains(&domain))
    };
    let min_age = i32::try_from(profile.sogi_min_age).unwrap_or(i32::MAX);
    let sogi_age = age.is_some_and(|age| age >= min_age);
    let sogi = sogi::check(
        record.sogi.as_ref(),
        age,
        required_here(Domain::Sogi) && sogi_age,
        ctx,
        findings,
    );
    let disability = disability::check(
        record.disability.as_ref(),
        required_here(Domain::Disability),
        findings,
    );
    disability::interpreter_mismatch(
        record.disability.as_ref(),
        record.language.as_ref(),
        "disability",
        &catalog::DISABILITY_INTERPRETER_MISMATCH,
        ctx,
        findings,
    );
    for (index, caregiver) in record.caregivers.iter().enumerate() {
        disability::interpreter_mismatch(
            caregiver.disability.as_ref(),
            caregiver.language.as_ref(),
            &format!("caregivers[{index}].disability"),
            &catalog::CAREGIVER_DISABILITY_INTERPRETER_MISMATCH,
            ctx,
            findings,
        );
    }
    let sdoh = sdoh::check(
        record.sdoh.as_ref(),
        record.recorded_on,
        required_here(Domain::Sdoh),
        ctx,
        findings,
    );
    [
        (Domain::Sogi, sogi, sogi_age),
        (Domain::Disability, disability, true),
        (Domain::Sdoh, sdoh, true),
    ]
    .into_iter()
    .filter(|(domain, _, applies)| *applies && profile.requires_anywhere(*domain))
    .map(|(domain, status, _)| (domain, status))
    .collect()
}
