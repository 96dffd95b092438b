//! `real-dq report FILE|-`: the completeness report of an extract (canonical NDJSON, FHIR
//! Bulk NDJSON or HL7 v2), without a server or a database, byte for byte as
//! `GET /v1/reports/completeness` answers it after the same file is posted (but for
//! `generated_at`). The work is in [`crate::offline`].

use std::io::{Read, Write};

use chrono::{DateTime, Utc};
use clap::Args;

use crate::codesets::CodeSets;
use crate::config::{FhirMapArgs, ProfileSettings, UnitArgs};
use crate::offline::formats::{sniff, Sniffed};
use crate::offline::{self, Input, Options, Summary};
use crate::report;
use crate::result::timestamp;
use crate::rules::Context;
use crate::store::aggregates::Window;

/// The arguments of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The file to read, or `-` for standard input: canonical records as for
    /// `POST /v1/records/batch`, FHIR Bulk NDJSON as for `POST /fhir/Patient/$import`, or
    /// HL7 v2 messages (or a batch file) as for `POST /hl7v2`.
    pub input: String,
    /// What the input holds; `auto` tells it by its first bytes (an `MSH`, `FHS` or `BHS`
    /// segment: HL7 v2; a first line with a `resourceType`: FHIR).
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,
    /// Only this unit.
    #[arg(long)]
    pub unit: Option<String>,
    /// Only patients whose current record was collected at or after this RFC 3339 instant.
    #[arg(long)]
    pub from: Option<String>,
    /// Only patients whose current record was collected before this RFC 3339 instant.
    #[arg(long)]
    pub to: Option<String>,
    /// Longest accepted line, in bytes, as the service's batch limit; longer lines are
    /// rejected.
    #[arg(long, env = "REALDQ_MAX_RECORD_BYTES", default_value_t = 256 * 1024)]
    pub max_record_bytes: usize,
    #[command(flatten)]
    pub profile: ProfileSettings,
    #[command(flatten)]
    pub fhir: FhirMapArgs,
    #[command(flatten)]
    pub units: UnitArgs,
}

/// What `report` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Told by the first bytes.
    Auto,
    /// Canonical records, one JSON object a line.
    Ndjson,
    /// FHIR Bulk NDJSON: one resource a line, a Patient's RelatedPersons right after it.
    Fhir,
    /// HL7 v2 messages, one after another, or a batch file.
    Hl7v2,
}

/// The bytes read to tell the format.
const SNIFFED_BYTES: u64 = 64 * 1024;

/// What `report` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The report's JSON, as the service answers `application/json`.
    Json,
    /// One row per unit and domain, as the service answers `text/csv`.
    Csv,
}

fn parse_time(flag: &str, value: Option<&str>) -> anyhow::Result<Option<DateTime<Utc>>> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| anyhow::anyhow!("--{flag} must be an RFC 3339 timestamp"))
        })
        .transpose()
}

/// Runs `report`; the exit code is 0 once a report is printed, rejected lines or not (they
/// are counted on standard error).
pub fn run(args: ReportArgs) -> anyhow::Result<i32> {
    let profile = args.profile.load()?;
    let from = parse_time("from", args.from.as_deref())?;
    let to = parse_time("to", args.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to) {
        anyhow::ensure!(from < to, "--to must be after --from");
    }
    let options = Options {
        unit: args.unit.clone(),
        window: Window {
            from: from.map(|t| t.timestamp_micros()),
            to: to.map(|t| t.timestamp_micros()),
        },
        max_line: args.max_record_bytes,
        workers: None,
        input_bytes: None,
        input: Input::Ndjson,
    };
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: Utc::now(),
    };
    let (counts, summary) = if args.input == "-" {
        let (input, options) = with_format(std::io::stdin().lock(), &args, options)?;
        offline::counts(input, &options, &ctx)?
    } else {
        let file = std::fs::File::open(&args.input)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.input))?;
        let input_bytes = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        let options = Options {
            input_bytes,
            ..options
        };
        let (input, options) = with_format(file, &args, options)?;
        offline::counts(input, &options, &ctx)?
    };
    let report = report::build(
        counts,
        &profile,
        timestamp(Utc::now()),
        from.map(timestamp),
        to.map(timestamp),
    );
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Json => {
            serde_json::to_writer(&mut out, &report)?;
            writeln!(out)?;
        }
        ReportFormat::Csv => out.write_all(report::csv::render(&report).as_bytes())?,
    }
    out.flush()?;
    eprintln!("{}", summary_line(&summary, report.total.patients));
    Ok(0)
}

/// The input with its format settled (by its first bytes when `auto`): the bytes read to
/// tell it are read again.
fn with_format(
    mut input: impl Read,
    args: &ReportArgs,
    options: Options,
) -> anyhow::Result<(impl Read, Options)> {
    let mut head = Vec::new();
    if args.input_format == InputFormat::Auto {
        (&mut input).take(SNIFFED_BYTES).read_to_end(&mut head)?;
    }
    let format = match args.input_format {
        InputFormat::Auto => match sniff(&head) {
            Sniffed::Ndjson => InputFormat::Ndjson,
            Sniffed::Fhir => InputFormat::Fhir,
            Sniffed::Hl7 => InputFormat::Hl7v2,
        },
        other => other,
    };
    let input_format = match format {
        InputFormat::Fhir => Input::FhirBulk(args.fhir.map_settings(&args.units.hl7_default_unit)),
        InputFormat::Hl7v2 => Input::Hl7(args.units.map_settings()),
        InputFormat::Ndjson | InputFormat::Auto => Input::Ndjson,
    };
    Ok((
        std::io::Cursor::new(head).chain(input),
        Options {
            input: input_format,
            ..options
        },
    ))
}

/// The one-line summary: counts, line numbers and error codes, never a value from a line.
pub fn summary_line(summary: &Summary, patients: i64) -> String {
    let noun = if summary.noun.is_empty() {
        "lines"
    } else {
        summary.noun
    };
    let one = noun.trim_end_matches('s');
    let read = if summary.lines == 1 { one } else { noun };
    let mut line = format!(
        "real-dq report: {} {read} read, {} records judged, {} rejected",
        summary.lines, summary.records, summary.rejected
    );
    if !summary.rejections.is_empty() {
        let shown: Vec<String> = summary
            .rejections
            .iter()
            .map(|r| format!("{one} {}: {}", r.line, r.reason))
            .collect();
        let more = if summary.rejected > shown.len() as u64 {
            "; ..."
        } else {
            ""
        };
        line.push_str(&format!(" ({}{more})", shown.join("; ")));
    }
    line.push_str(&format!(
        "; {} current patients, {patients} in the report",
        summary.identities
    ));
    line
}
