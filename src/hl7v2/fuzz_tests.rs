//! Property tests: random bytes, random text built from HL7 delimiters, and every
//! truncation of real messages never panic the decoder, the parser, the mapping or the ACK.

use proptest::prelude::*;

use super::{check_body, map::MapSettings, parse::Message};
use crate::codesets::CodeSets;
use crate::profile::Profile;
use crate::rules::Context;

const SAMPLES: [&[u8]; 4] = [
    include_bytes!("../../tests/fixtures/hl7v2/ADT-A04-01.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/ADT01-23.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/hl7.message.1.ADT_A01.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/IZ_1_1.1_Admin_Child_Max_Message.hl7"),
];

fn check_text(text: &str) -> usize {
    check_bytes(text.as_bytes())
}

fn check_bytes(bytes: &[u8]) -> usize {
    let profile = Profile::phec_real();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: chrono::Utc::now(),
    };
    let checked = check_body(bytes, &MapSettings::default(), &ctx);
    for message in &checked {
        let ack = message.ack(ctx.now);
        assert!(
            Message::parse(&ack).is_ok(),
            "an ACK is itself a message: {ack:?}"
        );
    }
    checked.len()
}

/// Text made of the characters HL7 parsing cares about.
fn hl7ish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("MSH".to_string()),
            Just("PID".to_string()),
            Just("|".to_string()),
            Just("^".to_string()),
            Just("~".to_string()),
            Just("\\".to_string()),
            Just("&".to_string()),
            Just("\r".to_string()),
            Just("\n".to_string()),
            Just("ADT^A04".to_string()),
            Just("\\X4\\".to_string()),
            "[a-zA-Z0-9 -]{0,6}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = Message::parse(&text);
        prop_assert!(check_bytes(&bytes) >= 1);
    }

    #[test]
    fn delimiter_soup_never_panics(text in hl7ish()) {
        if let Ok(message) = Message::parse(&text) {
            for segment in &message.segments {
                for n in 0..30 {
                    for repetition in message.repetitions(segment.field(n)) {
                        let _ = message.component(repetition, n % 12);
                    }
                }
            }
        }
        prop_assert!(check_text(&text) >= 1);
    }
}

#[test]
fn every_truncation_of_a_real_message_is_checked_without_panicking() {
    for sample in SAMPLES {
        // Cut anywhere, inside a UTF-8 sequence too.
        for cut in (0..sample.len()).step_by(3) {
            assert!(check_bytes(&sample[..cut]) >= 1);
        }
    }
}

/// The real samples whose PID a built message carries: every public sample of the corpus.
const PID_SAMPLES: [&[u8]; 12] = [
    include_bytes!("../../tests/fixtures/hl7v2/ADT-A04-01.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/ADT-A06-01.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/ADT01-23.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/ADT01-28.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/ADT04-251.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/DFT-P03-01.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/IZ_1_1.1_Admin_Child_Max_Message.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/MDHHS-OML-O21-1.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/MDM-T02-03.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/ORU-R01-01.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/OUL-R22-01.hl7"),
    include_bytes!("../../tests/fixtures/hl7v2/hl7.message.1.ADT_A01.hl7"),
];

/// Message types real feeds send with a PID, beyond ADT.
const OTHER_TYPES: [&str; 12] = [
    "ORU^R01^ORU_R01",
    "OML^O21^OML_O21",
    "ORM^O01^ORM_O01",
    "OUL^R22^OUL_R22",
    "VXU^V04^VXU_V04",
    "SIU^S12^SIU_S12",
    "MDM^T02^MDM_T02",
    "DFT^P03^DFT_P03",
    "BAR^P01^BAR_P01",
    "RDE^O11^RDE_O11",
    "PPR^PC1^PPR_PC1",
    "RAS^O17^RAS_O17",
];

/// A message of type `msh9` around the PID (and NK1s) of a real sample.
fn built_around(sample: &[u8], msh9: &str) -> String {
    let text = String::from_utf8_lossy(sample);
    let kept: Vec<&str> = text
        .split(['\r', '\n'])
        .map(|s| s.trim_start_matches('\u{feff}'))
        .filter(|s| s.starts_with("PID|") || s.starts_with("NK1|") || s.starts_with("PV1|"))
        .collect();
    format!(
        "MSH|^~\\&|SENDER|FACILITY|REALDQ|REALDQ|20261120140300||{msh9}|P1|P|2.5.1\r{}\r",
        kept.join("\r")
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Issue 11: whatever the trigger or message type, a message carrying a real sample's
    /// PID is never answered AR.
    #[test]
    fn a_real_pid_in_any_message_type_is_never_refused(
        sample in 0..PID_SAMPLES.len(),
        trigger in 1u32..=62,
        other in 0..OTHER_TYPES.len(),
        adt in any::<bool>(),
    ) {
        let msh9 = if adt {
            format!("ADT^A{trigger:02}^ADT_A01")
        } else {
            OTHER_TYPES[other].to_string()
        };
        let message = built_around(PID_SAMPLES[sample], &msh9);
        let profile = Profile::phec_real();
        let ctx = Context {
            codes: CodeSets::get(),
            profile: &profile,
            now: chrono::Utc::now(),
        };
        let checked = check_body(message.as_bytes(), &MapSettings::default(), &ctx);
        prop_assert_eq!(checked.len(), 1);
        prop_assert_eq!(
            checked[0].code,
            super::ack::AckCode::Accepted,
            "{}: {:?}",
            msh9,
            checked[0].errors
        );
    }
}
