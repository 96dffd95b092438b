//! What each wire format costs before the database: the same 2,000 synthetic records (cut
//! down to what all three formats carry) read, mapped, validated, made into rows to store
//! and answered, as NDJSON lines, as HL7 v2 ADT messages and as one FHIR Bundle. On one
//! core; the database work, the same for all three, is left out.
//!
//! `cargo bench --bench formats`. Figures are in the README.

use chrono::{TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use real_dq::codesets::CodeSets;
use real_dq::fhir::patient::{Envelope, FhirSettings};
use real_dq::hl7v2::map::MapSettings;
use real_dq::profile::Profile;
use real_dq::record::RecordWire;
use real_dq::rules::Context;
use real_dq::synthetic::{render, Generator};
use real_dq::{fhir, hl7v2, pipeline};

/// The service's allocator (`src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECORDS: usize = 2_000;

fn formats(c: &mut Criterion) {
    let mut generator = Generator::new(2026);
    let records: Vec<RecordWire> = (0..RECORDS as u64)
        .map(|i| render::carried(serde_json::from_value(generator.record(i)).unwrap()))
        .collect();
    let ndjson: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let hl7: String = records
        .iter()
        .enumerate()
        .map(|(i, r)| render::hl7_message(r, i))
        .collect();
    let bundle = render::fhir_bundle(&records, 0);
    let profile = Profile::phec_real();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now,
    };
    let envelope = Envelope {
        received_at: "2026-11-22T12:00:00Z".into(),
        ..Envelope::default()
    };

    let mut group = c.benchmark_group("formats");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(20);
    group.bench_function("NDJSON lines", |b| {
        b.iter(|| {
            for line in &ndjson {
                let validated = pipeline::validate_json(black_box(line.as_bytes()), &ctx).unwrap();
                black_box(pipeline::prepare(&validated, "p@1"));
                black_box(validated.result(&profile.name).to_json());
            }
        })
    });
    group.bench_function("HL7 v2 messages", |b| {
        let settings = MapSettings::default();
        b.iter(|| {
            for judged in hl7v2::judge_all(black_box(&hl7), &settings, &ctx, "p@1") {
                black_box(judged.ack(now));
            }
        })
    });
    group.bench_function("FHIR Bundle", |b| {
        let settings = FhirSettings::default();
        b.iter(|| {
            let entries = fhir::judge_bundle(
                black_box(bundle.as_bytes()),
                &settings,
                &envelope,
                &ctx,
                "p@1",
            )
            .unwrap();
            black_box(entries);
        })
    });
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
