//! What each wire format costs on the path the server runs: the same 2,000 synthetic records
//! (cut down to what all three formats carry) sent through the ingest pipeline
//! (`real_dq::ingest`) as NDJSON lines, as HL7 v2 ADT messages and as one FHIR batch
//! Bundle: read, checked, stored in a real SQLite database and answered. Each iteration
//! stores into a fresh database in a temporary directory (made, and migrated, untimed), so
//! every record is a first write, as on a first load. The HTTP layer (reading the body,
//! sending the answer) is left out.
//!
//! `cargo bench --bench formats`. Figures are in docs/performance.md.

use std::sync::Arc;

use chrono::Utc;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use futures_util::future::join;
use real_dq::access::{Principal, Role, Units};
use real_dq::api::batch::AnswerLines;
use real_dq::config::{Settings, DEFAULT_BATCH_CHUNK};
use real_dq::fhir::patient::Envelope;
use real_dq::fhir::ParsedBundle;
use real_dq::ingest::lines::LineReader;
use real_dq::ingest::ndjson::Ndjson;
use real_dq::ingest::{self, Sender};
use real_dq::profile::Profile;
use real_dq::record::RecordWire;
use real_dq::service::{AppState, Caller, Limits};
use real_dq::synthetic::{render, Generator};
use tokio::sync::mpsc;

/// The service's allocator (`src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RECORDS: usize = 2_000;

/// A service state over a fresh SQLite database, with the service's default settings; the
/// directory goes when it is dropped.
fn fresh_state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = dir.path().join("bench.db").display().to_string();
    let settings = Settings::for_database(&url);
    let pool = real_dq::store::open(&url, settings.database.pool_size).expect("the store opens");
    let profile = Profile::phec_real();
    let state = AppState {
        pool,
        profile_id: profile.id().into(),
        profile: Arc::new(profile),
        limits: Limits {
            max_record_bytes: settings.max_record_bytes,
            max_batch_bytes: settings.max_batch_bytes,
            batch_chunk: DEFAULT_BATCH_CHUNK as usize,
            max_transaction_entries: settings.fhir.fhir_max_transaction_entries as usize,
        },
        hl7: Arc::new(settings.hl7.map_settings()),
        fhir: Arc::new(
            settings
                .fhir
                .mapping
                .map_settings(&settings.hl7.units.hl7_default_unit),
        ),
        alerts: Arc::default(),
        metrics: Arc::new(real_dq::metrics::Metrics::new()),
    };
    (state, dir)
}

/// The sender an admin key would be.
fn sender() -> Sender {
    Sender::of(&Caller {
        principal: Principal {
            name: "bench".into(),
            role: Role::Admin,
            units: Units::All,
        },
        route: "POST /bench".into(),
        peer: None,
    })
}

fn formats(c: &mut Criterion) {
    // As the `real-dq` binary does at start.
    real_dq::process::without_huge_pages();
    let mut generator = Generator::new(2026);
    let records: Vec<RecordWire> = (0..RECORDS as u64)
        .map(|i| render::carried(serde_json::from_value(generator.record(i)).unwrap()))
        .collect();
    let ndjson: String = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    let hl7: String = records
        .iter()
        .enumerate()
        .map(|(i, r)| render::hl7_message(r, i))
        .collect();
    let bundle = render::fhir_bundle(&records, 0);
    // The server's runtime: async work on one thread, checks and writes on the blocking pool.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let sender = sender();

    let mut group = c.benchmark_group("formats");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.sample_size(10);
    group.bench_function("NDJSON lines", |b| {
        b.iter_batched(
            fresh_state,
            |(state, dir)| {
                let body = bytes::Bytes::from(ndjson.clone());
                let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(body)]);
                let lines = LineReader::new(
                    stream,
                    state.limits.max_record_bytes,
                    state.limits.max_batch_bytes,
                );
                let (_, ended) = runtime.block_on(ingest::run(
                    &state,
                    &sender,
                    lines,
                    Arc::new(Ndjson),
                    AnswerLines::default(),
                    |text| {
                        black_box(text);
                        std::future::ready(Ok(()))
                    },
                ));
                ended.expect("the batch is stored");
                (state, dir)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("HL7 v2 messages", |b| {
        b.iter_batched(
            fresh_state,
            |(state, dir)| {
                let acks = runtime.block_on(ingest::hl7::process(
                    &state,
                    hl7.clone().into_bytes(),
                    &sender,
                    state.hl7.clone(),
                ));
                black_box(acks.expect("the messages are stored"));
                (state, dir)
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("FHIR Bundle", |b| {
        let envelope = Envelope {
            received_at: real_dq::result::timestamp(Utc::now()),
            ..Envelope::default()
        };
        b.iter_batched(
            fresh_state,
            |(state, dir)| {
                let body = bytes::Bytes::from(bundle.clone());
                let parsed = Arc::new(ParsedBundle::parse(body).expect("a Bundle"));
                let (pieces, mut answer) = mpsc::channel(1);
                let work =
                    ingest::fhir::answer_batch(&state, parsed, envelope.clone(), &sender, pieces);
                let read = async move {
                    while let Some(piece) = answer.recv().await {
                        black_box(piece.expect("the Bundle is stored"));
                    }
                };
                runtime.block_on(join(work, read));
                (state, dir)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, formats);
criterion_main!(benches);
