//! The ingest benchmark: N synthetic records posted as one NDJSON batch to the real
//! service, then the completeness report over them, timed.
//!
//! ```text
//! cargo run --release --example ingest -- [--records 100000] [--database-url URL] [--url http://host:port --key rdq_...]
//! ```
//! Without `--url` it starts the service in-process on a fresh SQLite file (or on
//! `--database-url`) bound to a free loopback port, with an admin key of its own. Figures
//! are in the README and docs/performance.md.

use std::time::{Duration, Instant};

use real_dq::config::Settings;
use real_dq::profile::Profile;
use real_dq::startup::Application;
use real_dq::synthetic::Generator;

#[path = "support/batch_client.rs"]
mod batch_client;
use batch_client::{post_batch, time_report};

/// The same allocator as the `real-dq` binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    records: u64,
    database_url: Option<String>,
    url: Option<String>,
    key: String,
    report_runs: usize,
}

fn args() -> Args {
    let mut args = Args {
        records: 100_000,
        database_url: None,
        url: None,
        key: real_dq::access::key::generate(),
        report_runs: 7,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--records" => args.records = value.parse().expect("--records is a number"),
            "--database-url" => args.database_url = Some(value),
            "--url" => args.url = Some(value),
            "--key" => args.key = value,
            "--report-runs" => args.report_runs = value.parse().expect("--report-runs is a number"),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

#[actix_web::main]
async fn main() {
    real_dq::process::without_huge_pages();
    let args = args();
    let _dir = tempfile::tempdir().expect("temp dir");
    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => {
            let database_url = args
                .database_url
                .clone()
                .unwrap_or_else(|| _dir.path().join("ingest.db").display().to_string());
            let mut settings = Settings::for_database(&database_url);
            settings.workers = None;
            settings.access.admin_key = Some(args.key.clone());
            if let Ok(chunk) = std::env::var("REALDQ_BATCH_CHUNK") {
                settings.batch_chunk = chunk.parse().expect("REALDQ_BATCH_CHUNK is a number");
            }
            let app = Application::build(&settings, Profile::phec_real()).expect("service starts");
            let base = format!("http://127.0.0.1:{}", app.port());
            actix_web::rt::spawn(app.run());
            println!("service: in-process on {base}, database {database_url}");
            base
        }
    };
    println!(
        "cores: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let started = Instant::now();
    let mut generator = Generator::new(2026);
    let mut body = String::with_capacity(args.records as usize * 700);
    for index in 0..args.records {
        body.push_str(&generator.record(index).to_string());
        body.push('\n');
    }
    println!(
        "generated {} records ({:.1} MB) in {:.2?}",
        args.records,
        body.len() as f64 / 1e6,
        started.elapsed()
    );

    let started = Instant::now();
    let (results, errors) = post_batch(&base, &args.key, body).await;
    let elapsed = started.elapsed();
    println!(
        "ingest: {results} stored, {errors} errors in {elapsed:.2?} = {:.0} records/s",
        results as f64 / elapsed.as_secs_f64()
    );

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {}", args.key)
            .parse()
            .expect("a header value"),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .default_headers(headers)
        .build()
        .unwrap();
    time_report(&client, &base, args.report_runs).await;
    let started = Instant::now();
    let csv = client
        .get(format!("{base}/v1/reports/completeness?format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    println!(
        "report as CSV: {} rows in {:.1?}",
        csv.lines().count() - 1,
        started.elapsed()
    );
}
