//! The validation engine on a realistic mix of records (the synthetic generator's mix:
//! complete, missing, declined, bad codes, caregivers), on one core.
//!
//! `cargo bench --bench engine`. Figures are in docs/performance.md.

use chrono::{TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use real_dq::codesets::CodeSets;
use real_dq::engine;
use real_dq::pipeline;
use real_dq::profile::Profile;
use real_dq::record::Record;
use real_dq::rules::Context;
use real_dq::synthetic::Generator;

const RECORDS: u64 = 10_000;

fn engine(c: &mut Criterion) {
    let mut generator = Generator::new(42);
    let texts: Vec<String> = (0..RECORDS)
        .map(|i| generator.record(i).to_string())
        .collect();
    let records: Vec<Record> = texts
        .iter()
        .map(|t| {
            Record::from_json(t.as_bytes())
                .expect("synthetic records parse")
                .0
        })
        .collect();
    let profile = Profile::phec_real();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    };

    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(RECORDS));
    group.sample_size(30);
    group.bench_function("validate (parsed record -> outcome)", |b| {
        b.iter(|| {
            for record in &records {
                black_box(engine::validate(black_box(record), &ctx));
            }
        })
    });
    group.bench_function("parse + validate + result JSON", |b| {
        b.iter(|| {
            for text in &texts {
                let validated = pipeline::validate_json(black_box(text.as_bytes()), &ctx).unwrap();
                black_box(validated.result(&profile.name).to_json());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
