//! Property tests: random bytes, random text built from HL7 delimiters, and every
//! truncation of real messages never panic the parser, the mapping or the ACK.

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
    let profile = Profile::phec_real();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: chrono::Utc::now(),
    };
    let checked = check_body(text, &MapSettings::default(), &ctx);
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
        prop_assert!(check_text(&text) >= 1);
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
        let text = String::from_utf8_lossy(sample);
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(3).collect();
        for cut in cuts {
            assert!(check_text(&text[..cut]) >= 1);
        }
    }
}
