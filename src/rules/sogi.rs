//! Sexual orientation, gender identity and pronouns (domain `sogi`, optional): asked of
//! adolescents from the profile's SOGI age, self-report only.

use crate::codesets::sogi::{is_sctid, NULL_FLAVOR, SNOMED};
use crate::record::wire::{CodedAnswer, NullFlavor, ReportedBy, SogiWire};

use super::Context;
use crate::catalog::{self, DomainStatus, Finding, Rule};

/// Which question a SOGI answer belongs to.
#[derive(Clone, Copy)]
enum Question {
    SexualOrientation,
    GenderIdentity,
    Pronouns,
}

impl Question {
    fn field(self) -> &'static str {
        match self {
            Question::SexualOrientation => "sexual_orientation",
            Question::GenderIdentity => "gender_identity",
            Question::Pronouns => "pronouns",
        }
    }
}

/// Checks the SOGI answers. `age` is the patient's age when known; `required` is whether
/// the profile requires the domain for this patient (unit and SOGI age considered).
/// Returns the status of sexual orientation and gender identity together (the worse).
pub fn check(
    sogi: Option<&SogiWire>,
    age: Option<i32>,
    required: bool,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) -> DomainStatus {
    let Some(sogi) = sogi else {
        if required {
            out.push(missing());
        }
        return DomainStatus::Missing;
    };
    let orientation = answer(
        sogi.sexual_orientation.as_ref(),
        Question::SexualOrientation,
        ctx,
        out,
    );
    let identity = answer(
        sogi.gender_identity.as_ref(),
        Question::GenderIdentity,
        ctx,
        out,
    );
    answer(sogi.pronouns.as_ref(), Question::Pronouns, ctx, out);
    // An orientation or identity answered with a code (not UNK/ASKU in code form).
    let coded = orientation.coded || identity.coded;
    let min_age = i32::try_from(ctx.profile.sogi_min_age).unwrap_or(i32::MAX);
    if coded && age.is_some_and(|age| age < min_age) {
        out.push(Finding::new(
            &catalog::SOGI_UNDER_AGE,
            "sogi",
            format!("SOGI is recorded for a patient younger than {min_age}"),
        ));
    }
    if coded
        && matches!(
            sogi.reported_by,
            Some(ReportedBy::Caregiver | ReportedBy::StaffObserved)
        )
    {
        out.push(Finding::new(
            &catalog::SOGI_REPORTED_BY_PROXY,
            "sogi.reported_by",
            "SOGI is recorded as reported by someone other than the patient",
        ));
    }
    // The worse of the questions that have an answer or a null value; missing when
    // neither has.
    let status = [orientation.status, identity.status]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(DomainStatus::Missing);
    if status == DomainStatus::Missing && required {
        out.push(missing());
    }
    status
}

/// What one SOGI answer holds.
struct Answered {
    /// Its status, `None` when the question has neither codes nor a null value.
    status: Option<DomainStatus>,
    /// Whether it has a real answer code (not UNK/ASKU in code form).
    coded: bool,
}

fn missing() -> Finding {
    Finding::new(
        &catalog::SOGI_MISSING,
        "sogi",
        "neither sexual orientation nor gender identity is recorded",
    )
}

/// One SOGI answer: its codes checked, its null value reported; its status.
fn answer(
    answer: Option<&CodedAnswer>,
    question: Question,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) -> Answered {
    let mut answered = Answered {
        status: None,
        coded: false,
    };
    let Some(answer) = answer else {
        return answered;
    };
    let field = question.field();
    for (index, code) in answer.codes.iter().enumerate() {
        let value = code.code.trim();
        let system = code.system.as_deref().map(str::trim);
        // UNK/ASKU sent as codes (sexual orientation's value set lists them) are null
        // values in code form; the pronoun value set has none.
        let null_codes = !matches!(question, Question::Pronouns);
        if null_codes && system.is_none_or(|s| s == NULL_FLAVOR) {
            let flavor = match value {
                "UNK" => Some(NullFlavor::Unk),
                "ASKU" => Some(NullFlavor::Asku),
                _ => None,
            };
            if let Some(flavor) = flavor {
                out.push(null_finding(flavor, format!("sogi.{field}.codes[{index}]")));
                let status = DomainStatus::of_null(flavor);
                answered.status = Some(answered.status.map_or(status, |s| s.min(status)));
                continue;
            }
        }
        let valid = match question {
            Question::SexualOrientation => {
                ctx.codes.sogi.sexual_orientation.contains(system, value)
            }
            Question::Pronouns => ctx.codes.sogi.pronouns.contains(system, value),
            Question::GenderIdentity => {
                (system.is_none_or(|s| s == SNOMED) && is_sctid(value))
                    || (system.is_none_or(|s| s == NULL_FLAVOR) && value == "OTH")
            }
        };
        if !valid {
            out.push(Finding::new(
                &catalog::SOGI_CODE_INVALID,
                format!("sogi.{field}.codes[{index}].code"),
                match question {
                    Question::SexualOrientation => {
                        "the code is not in the US Core sexual orientation value set"
                    }
                    Question::Pronouns => "the code is not in the HL7 personal pronouns value set",
                    Question::GenderIdentity => "the code is not a SNOMED CT identifier",
                },
            ));
        }
        answered.status = Some(DomainStatus::Complete);
        answered.coded = true;
    }
    if answer.codes.is_empty() {
        if let Some(flavor) = answer.null_flavor {
            out.push(null_finding(flavor, format!("sogi.{field}.null_flavor")));
            answered.status = Some(DomainStatus::of_null(flavor));
        }
    }
    answered
}

fn null_finding(flavor: NullFlavor, path: String) -> Finding {
    let rule: &'static Rule = match flavor {
        NullFlavor::Asku => &catalog::SOGI_DECLINED,
        NullFlavor::Unk => &catalog::SOGI_UNKNOWN,
        NullFlavor::Nask => &catalog::SOGI_NOT_ASKED,
    };
    let what = path
        .strip_suffix(".null_flavor")
        .unwrap_or(&path)
        .to_string();
    Finding::new(rule, path, super::null_message(&what, flavor))
}
