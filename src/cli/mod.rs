//! The command line: `serve`, `validate`, `migrate`, `revalidate`, `rules`, `generate`,
//! `keys`, `purge`, `report`, `interleave`.

pub mod interleave;
pub mod keys;
pub mod report;

use std::io::{BufRead, Read, Write};

use chrono::Utc;
use clap::{Parser, Subcommand};

use crate::api::error::ApiError;
use crate::config::{DatabaseSettings, ProfileSettings, Settings};
use crate::engine::RecordStatus;
use crate::profile::Profile;
use crate::rules::Context;
use crate::{codesets::CodeSets, pipeline, startup::Application, store, telemetry};

/// real-dq: race, ethnicity and language data quality for pediatric health records.
#[derive(Debug, Parser)]
#[command(name = "real-dq", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrations are applied at start).
    Serve(Box<Settings>),
    /// Validate records from a file or standard input (`-`): one JSON record, or NDJSON.
    /// Prints one result per line; exits 1 if any record is invalid or rejected.
    Validate {
        /// The file to read, or `-` for standard input.
        input: String,
        #[command(flatten)]
        profile: ProfileSettings,
    },
    /// Apply pending database migrations and exit.
    Migrate(DatabaseSettings),
    /// Re-run stored records under the current profile: every matching record gets a new
    /// result (IDs and bodies unchanged), and current states and reports follow.
    Revalidate {
        /// Only the records of this unit.
        #[arg(long)]
        unit: Option<String>,
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        profile: ProfileSettings,
    },
    /// Print synthetic records (never real patients) for load tests, interface tests and
    /// demos: NDJSON lines, HL7 v2 ADT^A08 messages, one FHIR Bundle or FHIR Bulk NDJSON.
    Generate {
        /// How many records.
        #[arg(long, default_value_t = 1000)]
        records: u64,
        /// Seed of the deterministic generator.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output format (`hl7v2` and `fhir` carry what their formats can; see docs/mapping.md).
        #[arg(long, value_enum, default_value_t = GenerateFormat::Ndjson)]
        format: GenerateFormat,
        #[command(flatten)]
        shape: GenerateShape,
    },
    /// Manage API keys: create (printed once), list, revoke.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Retention: remove history records recorded before a date that are no longer a
    /// current state (current states, work lists and reports stay the same), and,
    /// separately, audit rows older than a date. Both are audited.
    Purge {
        /// Remove history records recorded before this date (00:00 UTC) or instant.
        #[arg(long)]
        before: Option<String>,
        /// Remove audit rows written before this date or instant (HIPAA asks for six years).
        #[arg(long)]
        audit_before: Option<String>,
        /// Count what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print the completeness report of an NDJSON extract, without a server or database:
    /// the same JSON or CSV as `GET /v1/reports/completeness` after posting it as a batch.
    Report(report::ReportArgs),
    /// Write a Bulk Data export's Patient files with each Patient followed by the
    /// RelatedPersons that name it (from the export's RelatedPerson files), ready for
    /// `POST /fhir/Patient/$import`. Writes to standard output.
    Interleave(interleave::InterleaveArgs),
    /// Print the rule catalog.
    Rules {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Print Markdown (the source of docs/rules.md).
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
        #[command(flatten)]
        profile: ProfileSettings,
    },
}

/// Options of `generate` that shape a realistic load. Without any of them the records
/// are spread over the six default units at random days of 2026, one patient each (the
/// output of earlier versions, byte for byte). With `--months`, `--start`, `--patients`
/// or `--after`, records come in increasing `recorded_at`, as in a hospital extract.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateShape {
    /// Spread patients over N units named U001, U002, ... (default: ED, NICU, PICU,
    /// Oncology, Clinic-North, Clinic-South).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    units: Option<u32>,
    /// Spread `recorded_at` over M months from --start, in time order (default 12 when
    /// --start or --patients is given).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    months: Option<u32>,
    /// First day of the span, YYYY-MM-DD (default 2025-01-01).
    #[arg(long)]
    start: Option<chrono::NaiveDate>,
    /// Distinct patients (default: one per record). When fewer than --records, later
    /// records are new versions of earlier patients: most change nothing or one field.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    patients: Option<u64>,
    /// One more day of records: all dated the day after DATE (e.g. the last day of the
    /// main file), for the population of the main file (give it the same --seed,
    /// --units, --start and --patients): most patients come back, about 10% are new.
    #[arg(
        long,
        value_name = "DATE",
        requires = "patients",
        conflicts_with = "months"
    )]
    after: Option<chrono::NaiveDate>,
}

impl GenerateShape {
    fn units(&self) -> crate::synthetic::Units {
        self.units.map_or(
            crate::synthetic::Units::Named,
            crate::synthetic::Units::Numbered,
        )
    }

    /// The timeline, when records are to come in time order.
    fn timeline(&self, seed: u64) -> Option<crate::synthetic::Timeline> {
        if self.months.is_none()
            && self.start.is_none()
            && self.patients.is_none()
            && self.after.is_none()
        {
            return None;
        }
        let mut timeline = crate::synthetic::Timeline::new(seed);
        timeline.units = self.units();
        timeline.start = self.start.unwrap_or(timeline.start);
        timeline.months = self.months.unwrap_or(timeline.months);
        timeline.patients = self.patients;
        timeline.after = self.after;
        Some(timeline)
    }
}

/// What `generate` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenerateFormat {
    /// Canonical records, one JSON object a line.
    Ndjson,
    /// HL7 v2 ADT^A08 messages, segments ending in CR, one message after another.
    Hl7v2,
    /// One FHIR R4 `batch` Bundle of US Core Patients and RelatedPerson caregivers.
    Fhir,
    /// FHIR Bulk NDJSON (for `$import` and `report`): each Patient on a line, its
    /// RelatedPerson caregivers on the lines after it.
    FhirNdjson,
}

fn generate(
    records: u64,
    seed: u64,
    format: GenerateFormat,
    shape: &GenerateShape,
) -> anyhow::Result<i32> {
    use crate::synthetic::render;
    let timeline = shape.timeline(seed);
    let all: Box<dyn Iterator<Item = serde_json::Value>> = match &timeline {
        Some(timeline) => Box::new(timeline.records(records)?),
        None => {
            let mut generator = crate::synthetic::Generator::new(seed).with_units(shape.units());
            Box::new((0..records).map(move |index| generator.record(index)))
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut wires = Vec::new();
    for (index, record) in (0u64..).zip(all) {
        match format {
            GenerateFormat::Ndjson => writeln!(out, "{record}")?,
            GenerateFormat::Hl7v2 => {
                let wire: crate::record::RecordWire = serde_json::from_value(record)?;
                let index = usize::try_from(index)?;
                write!(out, "{}", render::hl7_message(&wire, index))?;
            }
            GenerateFormat::Fhir => wires.push(serde_json::from_value(record)?),
            GenerateFormat::FhirNdjson => {
                let wire: crate::record::RecordWire = serde_json::from_value(record)?;
                for entry in render::fhir_entries(&wire, usize::try_from(index)?) {
                    writeln!(out, "{}", entry["resource"])?;
                }
            }
        }
    }
    if format == GenerateFormat::Fhir {
        writeln!(out, "{}", render::fhir_bundle(&wires, 0))?;
    }
    out.flush()?;
    Ok(0)
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Serve(settings) => serve(*settings),
        Command::Validate { input, profile } => validate(&input, profile.load()?),
        Command::Migrate(database) => {
            let pool = store::open(&database.database_url, 1)?;
            drop(pool);
            println!("migrations applied");
            Ok(0)
        }
        Command::Revalidate {
            unit,
            database,
            profile,
        } => revalidate(&database, profile.load()?, unit.as_deref()),
        Command::Generate {
            records,
            seed,
            format,
            shape,
        } => generate(records, seed, format, &shape),
        Command::Keys { command } => keys::run(command),
        Command::Report(args) => report::run(args),
        Command::Interleave(args) => interleave::run(args),
        Command::Purge {
            before,
            audit_before,
            dry_run,
            database,
        } => keys::purge(
            before.as_deref(),
            audit_before.as_deref(),
            dry_run,
            &database,
        ),
        Command::Rules {
            json,
            markdown,
            profile,
        } => {
            let profile = profile.load()?;
            if markdown {
                print!("{}", crate::catalog::docs::markdown());
            } else if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&crate::api::framework::document(&profile))?
                );
            } else {
                for rule in crate::catalog::ALL {
                    println!(
                        "{:<36} {:<8} {:<18} {}",
                        rule.id,
                        rule.severity.as_str(),
                        rule.domain.as_str(),
                        rule.description
                    );
                }
            }
            Ok(0)
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<i32> {
    telemetry::init(settings.log_format);
    let _ = CodeSets::get();
    let runtime = actix_web::rt::System::new();
    runtime.block_on(async {
        let profile = settings.profile.load()?;
        tracing::info!(profile = %profile.id(), "profile loaded");
        let mut app = Application::build(&settings, profile)?;
        let scheme = if app.https() { "https" } else { "http" };
        println!("real-dq listening on {scheme}://{}", app.address());
        if let Some(mllp) = app.mllp_address() {
            let tls = if app.https() { " (TLS)" } else { "" };
            println!("real-dq MLLP listening on {mllp}{tls}");
        }
        if let Some(key) = app.take_first_admin_key() {
            // Standard output only, never the log: this is the one time it is shown.
            println!("real-dq first admin key (shown once; keep it safe, create others with `real-dq keys create`):");
            println!("  {key}");
        }
        std::io::stdout().flush()?;
        tracing::info!(address = app.address(), "listening");
        app.run().await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(0)
}

/// Records re-run per transaction.
const REVALIDATE_PAGE: i64 = 500;

fn revalidate(
    database: &DatabaseSettings,
    profile: Profile,
    unit: Option<&str>,
) -> anyhow::Result<i32> {
    let pool = store::open(&database.database_url, 1)?;
    let mut conn = pool.get()?;
    let profile_id = profile.id();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: Utc::now(),
    };
    let (mut total, mut current, mut changed, mut unreadable) = (0usize, 0usize, 0usize, 0usize);
    let mut after: Option<String> = None;
    loop {
        let page = store::revalidate::page(&mut conn, after.as_deref(), unit, REVALIDATE_PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let mut prepared = Vec::with_capacity(page.len());
        for stored in &page {
            match pipeline::validate_json(stored.body.as_bytes(), &ctx) {
                Ok(validated) => {
                    if validated.verdict.status.as_str() != stored.status {
                        changed += 1;
                    }
                    prepared.push(pipeline::prepare_as(
                        &validated,
                        &profile_id,
                        stored.id.clone(),
                    ));
                }
                // A body stored by an older version that no longer parses is left as it
                // was (counted, never printed: bodies are PHI).
                Err(_) => unreadable += 1,
            }
        }
        total += prepared.len();
        current += store::revalidate::rewrite(&mut conn, &prepared)?;
    }
    let audit = store::audit::AuditEntry {
        key_name: None,
        role: None,
        action: store::audit::Action::Update,
        route: "CLI revalidate".into(),
        status: 200,
        units: unit.map(str::to_string).into_iter().collect(),
        record_count: total,
        record_ids: Vec::new(),
        peer: None,
        target: None,
    };
    store::audit::record(&mut conn, &audit, Utc::now().timestamp_micros())?;
    println!(
        "revalidated {total} records under {profile_id} ({current} current); status changed on {changed}"
    );
    if unreadable > 0 {
        eprintln!("{unreadable} stored records could not be parsed and were left unchanged");
        return Ok(1);
    }
    Ok(0)
}

fn validate(input: &str, profile: Profile) -> anyhow::Result<i32> {
    let mut text = Vec::new();
    if input == "-" {
        std::io::stdin().lock().read_to_end(&mut text)?;
    } else {
        text = std::fs::read(input).map_err(|e| anyhow::anyhow!("cannot read {input}: {e}"))?;
    }
    let profile_id = profile.id();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: Utc::now(),
    };
    let single = serde_json::from_slice::<serde_json::Value>(&text)
        .map(|v| v.is_object())
        .unwrap_or(false);
    let lines: Vec<(usize, Vec<u8>)> = if single {
        vec![(1, text)]
    } else {
        text.lines()
            .enumerate()
            .filter_map(|(i, line)| line.ok().map(|l| (i + 1, l.into_bytes())))
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .collect()
    };
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    for (number, line) in lines {
        match pipeline::validate_json(&line, &ctx) {
            Ok(validated) => {
                failed |= validated.verdict.status == RecordStatus::Invalid;
                writeln!(out, "{}", validated.result(&profile_id).to_json())?;
            }
            Err(rejection) => {
                failed = true;
                let error = serde_json::to_string(&ApiError::from(rejection).body())?;
                writeln!(out, "{{\"line\":{number},\"error\":{error}}}")?;
            }
        }
    }
    Ok(i32::from(failed))
}
