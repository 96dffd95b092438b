//! Trains the zstd dictionary the store compresses bodies and results with
//! (`data/store/zstd-v1.dict`). Run once per dictionary version; a stored frame names the
//! dictionary it needs, so a trained dictionary is never changed, only superseded.
//!
//! ```text
//! cargo run --release --example train_dictionary -- data/store/zstd-v1.dict
//! ```
//! Samples: the canonical bodies and result JSON of 20,000 synthetic records (never real
//! patients), rendered whole and cut down to what HL7 v2 and FHIR carry, validated under
//! the default profile, as the service stores them.

use chrono::{TimeZone, Utc};
use real_dq::codesets::CodeSets;
use real_dq::pipeline;
use real_dq::profile::Profile;
use real_dq::record::RecordWire;
use real_dq::rules::Context;
use real_dq::synthetic::{render, Generator};

/// The dictionary's ID in every frame compressed with it.
const DICTIONARY_ID: u32 = 0x5244_5101;
const SAMPLES: u64 = 20_000;
const SIZE: usize = 64 * 1024;

fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: train_dictionary OUTPUT");
    let profile = Profile::phec_real();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap(),
    };
    let mut generator = Generator::new(7);
    let mut samples: Vec<Vec<u8>> = Vec::new();
    for index in 0..SAMPLES {
        let record = generator.record(index);
        let line = if index % 3 == 0 {
            let wire: RecordWire = serde_json::from_value(record).expect("a wire record");
            serde_json::to_vec(&render::carried(wire))
        } else {
            serde_json::to_vec(&record)
        }
        .expect("a record serialises");
        let validated = pipeline::validate_json(&line, &ctx).expect("synthetic records parse");
        let body = serde_json::to_string(&validated.wire).expect("a record serialises");
        let result = validated.result(&profile.id()).to_json();
        samples.push(body.into_bytes());
        samples.push(
            real_dq::result::with_identity(&result, &uuid::Uuid::now_v7().to_string(), None)
                .into_bytes(),
        );
    }
    let trained = zstd::dict::from_samples(&samples, SIZE).expect("zstd trains a dictionary");
    let dictionary = with_id(trained, DICTIONARY_ID);
    std::fs::write(&out, &dictionary).expect("the dictionary is written");
    println!(
        "{out}: {} bytes from {} samples",
        dictionary.len(),
        samples.len()
    );
}

/// Sets the dictionary ID in a trained zstd dictionary's header (magic, then the ID,
/// little-endian), so that frames name the version of real-dq's dictionary.
fn with_id(mut dictionary: Vec<u8>, id: u32) -> Vec<u8> {
    dictionary[4..8].copy_from_slice(&id.to_le_bytes());
    dictionary
}
