//! The growth benchmark: a long hospital history (default 20,000,000 records over 5 years,
//! 200 units, 2,000,000 patients, in time order) posted to the real service as NDJSON
//! batches of `--per` records, each timed, so the rate of the last million can be set
//! against the first. Then the completeness report's time and the store's size on disk.
//!
//! ```text
//! cargo run --release --example scale -- [--records 20000000] [--per 1000000]
//!     [--units 200] [--months 60] [--patients 2000000] [--database-url URL]
//! ```
//! Without `--database-url` the store is a fresh SQLite file in a temporary directory (or
//! `--dir`). Each batch's body is generated before its clock starts. Figures are in
//! docs/performance.md, "Growth".

use std::time::{Duration, Instant};

use real_dq::config::Settings;
use real_dq::profile::Profile;
use real_dq::startup::Application;
use real_dq::synthetic::{Timeline, Units};

#[path = "support/batch_client.rs"]
mod batch_client;
use batch_client::{post_batch, time_report};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    records: u64,
    per: u64,
    units: u32,
    months: u32,
    patients: u64,
    database_url: Option<String>,
    dir: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        records: 20_000_000,
        per: 1_000_000,
        units: 200,
        months: 60,
        patients: 2_000_000,
        database_url: None,
        dir: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        let number = || value.parse::<u64>().expect("a number");
        match flag.as_str() {
            "--records" => args.records = number(),
            "--per" => args.per = number(),
            "--units" => args.units = u32::try_from(number()).expect("--units fits"),
            "--months" => args.months = u32::try_from(number()).expect("--months fits"),
            "--patients" => args.patients = number(),
            "--database-url" => args.database_url = Some(value),
            "--dir" => args.dir = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

#[actix_web::main]
async fn main() {
    real_dq::process::without_huge_pages();
    let args = args();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = args
        .dir
        .clone()
        .map_or_else(|| temp.path().to_path_buf(), Into::into);
    let database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| dir.join("scale.db").display().to_string());
    let key = real_dq::access::key::generate();
    let mut settings = Settings::for_database(&database_url);
    settings.workers = None;
    settings.access.admin_key = Some(key.clone());
    let app = Application::build(&settings, Profile::phec_real()).expect("service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run());
    println!(
        "scale: {} records in batches of {}, {} units, {} months, {} patients, on {}",
        args.records,
        args.per,
        args.units,
        args.months,
        args.patients,
        if database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let mut timeline = Timeline::new(2026);
    timeline.units = Units::Numbered(args.units);
    timeline.months = args.months;
    timeline.start = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("a date");
    timeline.patients = Some(args.patients);
    let mut records = timeline.records(args.records).expect("a timeline");
    let (mut done, mut total) = (0u64, Duration::ZERO);
    let mut rates = Vec::new();
    println!("batch,records_so_far,seconds,records_per_second,errors");
    while done < args.records {
        let count = args.per.min(args.records - done);
        let mut body = String::with_capacity(count as usize * 700);
        for record in records.by_ref().take(count as usize) {
            body.push_str(&record.to_string());
            body.push('\n');
        }
        let started = Instant::now();
        let (results, errors) = post_batch(&base, &key, body).await;
        let elapsed = started.elapsed();
        assert_eq!(results + errors, count, "every line answered");
        done += count;
        total += elapsed;
        let rate = count as f64 / elapsed.as_secs_f64();
        rates.push(rate);
        println!(
            "{},{done},{:.2},{rate:.0},{errors}",
            rates.len(),
            elapsed.as_secs_f64()
        );
    }
    let (first, last) = (rates[0], rates[rates.len() - 1]);
    println!(
        "total: {done} records in {:.1} s = {:.0} records/s; last batch at {:.0}% of the first",
        total.as_secs_f64(),
        done as f64 / total.as_secs_f64(),
        100.0 * last / first
    );

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {key}").parse().expect("a header value"),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .default_headers(headers)
        .build()
        .unwrap();
    time_report(&client, &base, 7).await;
    if database_url.starts_with("postgres") {
        println!("size on disk: see pg_database_size and pg_total_relation_size");
    } else {
        let bytes: u64 = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{database_url}{suffix}")).ok())
            .map(|m| m.len())
            .sum();
        println!(
            "size on disk: {bytes} bytes = {:.0} bytes per record",
            bytes as f64 / done as f64
        );
    }
}
