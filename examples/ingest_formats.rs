//! Ingest throughput by wire format: the same N synthetic records sent as canonical NDJSON
//! batches, as HL7 v2 ADT^A08 messages (`POST /hl7v2`) and as FHIR Bundles of US Core
//! Patients with RelatedPerson caregivers (`POST /fhir`) and as FHIR Bulk NDJSON
//! (`POST /fhir/Patient/$import`), in requests of `--per-request`
//! records, `--connections` at a time, each format into a fresh database.
//!
//! ```text
//! cargo run --release --example ingest_formats -- [--records 20000] [--per-request 500] [--connections 2] [--runs 1] [--only json|hl7|fhir|bulk] [--full] [--bodies DIR]
//! ```
//! With `--bodies DIR` the request bodies are read from `DIR/{format}/` when they are there
//! and written there first when not, so that timing the whole process (the way the
//! figures in docs/performance.md are taken) counts the service's work and not the
//! generator's: building FHIR resources as JSON trees costs the generator far more than
//! building NDJSON lines.
//! The records are cut down to what all three formats carry (`carried`), so each format
//! stores the same thing; the completeness report of each run is compared with NDJSON's
//! to show it did. `--full` sends the generated records whole (NDJSON then carries more).
//! Figures are in docs/performance.md.

use std::time::Instant;

use real_dq::config::Settings;
use real_dq::profile::Profile;
use real_dq::record::RecordWire;
use real_dq::startup::Application;
use real_dq::synthetic::{render, Generator};
use serde_json::Value;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Clone, Copy, Debug)]
enum Format {
    Json,
    Hl7,
    Fhir,
    Bulk,
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

fn bodies(format: Format, records: &[RecordWire], per_request: usize) -> Vec<String> {
    records
        .chunks(per_request)
        .enumerate()
        .map(|(chunk, group)| match format {
            Format::Json => group
                .iter()
                .map(|r| serde_json::to_string(r).unwrap() + "\n")
                .collect(),
            Format::Hl7 => group
                .iter()
                .enumerate()
                .map(|(i, r)| render::hl7_message(r, chunk * per_request + i))
                .collect(),
            Format::Fhir => render::fhir_bundle(group, chunk * per_request),
            Format::Bulk => group
                .iter()
                .enumerate()
                .flat_map(|(i, r)| render::fhir_entries(r, chunk * per_request + i))
                .map(|entry| entry["resource"].to_string() + "\n")
                .collect(),
        })
        .collect()
}

/// The generated records, made on first use only (not at all when every format's bodies
/// are saved).
struct Records {
    count: usize,
    full: bool,
    made: Option<Vec<RecordWire>>,
}

impl Records {
    fn get(&mut self) -> &[RecordWire] {
        let (count, full) = (self.count, self.full);
        self.made.get_or_insert_with(|| {
            let mut generator = Generator::new(2026);
            (0..count as u64)
                .map(|i| {
                    serde_json::from_value(generator.record(i)).expect("synthetic records parse")
                })
                .map(|r| if full { r } else { render::carried(r) })
                .collect()
        })
    }
}

/// The request bodies of `format`: read from `dir/{format}/` when a run wrote them there,
/// else generated (and written there when `dir` is given).
fn bodies_in(
    format: Format,
    records: &mut Records,
    per_request: usize,
    dir: Option<&std::path::Path>,
) -> Vec<String> {
    let count = records.count;
    let Some(dir) = dir else {
        return bodies(format, records.get(), per_request);
    };
    let dir = dir.join(format!("{format:?}").to_ascii_lowercase());
    let count = count.div_ceil(per_request);
    let path = |i: usize| dir.join(format!("{i:06}"));
    if (0..count).all(|i| path(i).is_file()) && !path(count).exists() {
        return (0..count)
            .map(|i| std::fs::read_to_string(path(i)).expect("a saved body"))
            .collect();
    }
    let made = bodies(format, records.get(), per_request);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the bodies directory");
    for (i, body) in made.iter().enumerate() {
        std::fs::write(path(i), body).expect("a body written");
    }
    made
}

/// Sends every record in `format`; records a second, and what the completeness report
/// says was stored.
async fn run(
    format: Format,
    records: usize,
    bodies: Vec<String>,
    connections: usize,
) -> (f64, (Value, Value)) {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("formats.db").display().to_string();
    let mut settings = Settings::for_database(&database);
    settings.workers = None;
    let key = real_dq::access::key::generate();
    settings.access.admin_key = Some(key.clone());
    let app = Application::build(&settings, Profile::phec_real()).expect("service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run());
    let (path, content_type, marker) = match format {
        Format::Json => ("/v1/records/batch", "application/x-ndjson", "\"status\":"),
        Format::Hl7 => ("/hl7v2", "x-application/hl7-v2+er7", "MSA|"),
        Format::Fhir => ("/fhir", "application/fhir+json", "\"location\":"),
        Format::Bulk => (
            "/fhir/Patient/$import",
            "application/fhir+ndjson",
            "\"location\":",
        ),
    };
    let bytes: usize = bodies.iter().map(String::len).sum();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {key}").parse().expect("a header value"),
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client");
    let queue = std::sync::Arc::new(std::sync::Mutex::new(bodies));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, queue, url) = (client.clone(), queue.clone(), format!("{base}{path}"));
        tasks.push(actix_web::rt::spawn(async move {
            let (mut answered, mut received) = (0usize, 0usize);
            loop {
                let Some(body) = queue.lock().unwrap().pop() else {
                    return (answered, received);
                };
                let text = client
                    .post(&url)
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .expect("request")
                    .text()
                    .await
                    .expect("answer");
                answered += text.matches(marker).count();
                received += text.len();
            }
        }));
    }
    let (mut answered, mut received) = (0, 0);
    for task in tasks {
        let (a, r) = task.await.unwrap();
        answered += a;
        received += r;
    }
    let elapsed = started.elapsed();
    println!(
        "{format:?}: {answered} of {} records answered in {elapsed:.2?} = {:.0} records/s ({:.1} MB sent, {:.1} MB received)",
        records,
        records as f64 / elapsed.as_secs_f64(),
        bytes as f64 / 1e6,
        received as f64 / 1e6
    );
    let report: Value = client
        .get(format!("{base}/v1/reports/completeness"))
        .send()
        .await
        .expect("report")
        .json()
        .await
        .expect("report JSON");
    (
        records as f64 / elapsed.as_secs_f64(),
        (report["units"].clone(), report["total"].clone()),
    )
}

#[actix_web::main]
async fn main() {
    real_dq::process::without_huge_pages();
    let count = arg("--records", 20_000);
    let per_request = arg("--per-request", 500);
    let connections = arg("--connections", 2);
    let full = std::env::args().any(|a| a == "--full");
    let saved: Option<std::path::PathBuf> = std::env::args()
        .skip_while(|a| a != "--bodies")
        .nth(1)
        .map(|dir| std::path::PathBuf::from(dir).join(format!("{count}-{per_request}-{full}")));
    let mut records = Records {
        count,
        full,
        made: None,
    };
    println!(
        "{count} records{}, {per_request} per request, {connections} connections, {} cores",
        if full {
            " (as generated)"
        } else {
            " (what all three formats carry)"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let only: Option<String> = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .map(|f| f.to_ascii_lowercase());
    let formats: Vec<Format> = [Format::Json, Format::Hl7, Format::Fhir, Format::Bulk]
        .into_iter()
        .filter(|f| {
            only.as_deref()
                .is_none_or(|o| o == format!("{f:?}").to_ascii_lowercase())
        })
        .collect();
    // Rounds take the formats in turn, so a slow spell of the machine hits all of them.
    let runs = arg("--runs", 1);
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); formats.len()];
    for _ in 0..runs {
        let mut baseline: Option<(Value, Value)> = None;
        for (k, format) in formats.iter().enumerate() {
            let (rate, stored) = run(
                *format,
                count,
                bodies_in(*format, &mut records, per_request, saved.as_deref()),
                connections,
            )
            .await;
            rates[k].push(rate);
            match &baseline {
                None => baseline = Some(stored),
                Some(first) => println!(
                    "  stored the same as {:?} (report by unit and total): {}",
                    formats[0],
                    if *first == stored { "yes" } else { "NO" }
                ),
            }
        }
    }
    if runs > 1 {
        let median = |values: &[f64]| {
            let mut sorted = values.to_vec();
            sorted.sort_by(f64::total_cmp);
            sorted[sorted.len() / 2]
        };
        let first = median(&rates[0]);
        for (format, rates) in formats.iter().zip(&rates) {
            println!(
                "median of {runs}: {format:?} {:.0} records/s ({:.2}x of {:?})",
                median(rates),
                first / median(rates),
                formats[0]
            );
        }
    }
}
