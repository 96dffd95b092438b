//! The offline counts: the store's newest-wins, tie and duplicate rules, rejected lines,
//! block cutting and the window.

use chrono::Utc;
use serde_json::{json, Value};

use super::*;
use crate::codesets::CodeSets;
use crate::profile::Profile;
use crate::report::{build, CompletenessReport};

/// A record with complete race and ethnicity, nothing else.
fn complete_race(patient_id: &str, unit: &str, recorded_at: &str) -> Value {
    json!({
        "source": "epic-prod",
        "patient_id": patient_id,
        "unit": unit,
        "recorded_at": recorded_at,
        "race": {"codes": [{"code": "2106-3"}], "reported_by": "caregiver"},
        "ethnicity": {"codes": [{"code": "2186-5"}], "reported_by": "caregiver"}
    })
}

/// The envelope alone: every domain missing.
fn bare(patient_id: &str, unit: &str, recorded_at: &str) -> Value {
    json!({"source": "epic-prod", "patient_id": patient_id, "unit": unit, "recorded_at": recorded_at})
}

fn ndjson(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

fn run_with(input: &str, options: Options) -> (CompletenessReport, Summary) {
    let profile = Profile::phec_real();
    let ctx = Context {
        codes: CodeSets::get(),
        profile: &profile,
        now: Utc::now(),
    };
    let (counts, summary) = counts(input.as_bytes(), &options, &ctx).unwrap();
    (build(counts, &profile, String::new(), None, None), summary)
}

fn options() -> Options {
    Options {
        max_line: 256 * 1024,
        ..Options::default()
    }
}

fn run(input: &str) -> (CompletenessReport, Summary) {
    run_with(input, options())
}

/// `(complete, missing)` race counts of the only unit.
fn race(report: &CompletenessReport) -> (i64, i64) {
    assert_eq!(report.units.len(), 1, "one unit");
    let race = &report.units[0].domains["race"];
    (race.complete, race.missing)
}

#[test]
fn a_newer_record_replaces_the_current_state() {
    let input = ndjson(&[
        bare("P1", "ED", "2026-03-01T10:00:00Z"),
        complete_race("P1", "ED", "2026-03-02T10:00:00Z"),
    ]);
    let (report, summary) = run(&input);
    assert_eq!(report.total.patients, 1);
    assert_eq!(race(&report), (1, 0));
    assert_eq!(summary.records, 2);
}

#[test]
fn an_older_record_does_not_replace_the_current_state() {
    let input = ndjson(&[
        complete_race("P1", "ED", "2026-03-02T10:00:00Z"),
        bare("P1", "ED", "2026-03-01T10:00:00Z"),
    ]);
    let (report, _) = run(&input);
    assert_eq!(race(&report), (1, 0));
    let rules: Vec<&str> = report.units[0]
        .top_rules
        .iter()
        .map(|r| r.rule.as_str())
        .collect();
    assert!(!rules.contains(&"RACE_MISSING"), "{rules:?}");
}

#[test]
fn on_a_tie_the_first_record_stays_whatever_the_offset() {
    // The same instant, written in another offset: equal, so not newer.
    let input = ndjson(&[
        bare("P1", "ED", "2026-03-01T10:00:00Z"),
        complete_race("P1", "ED", "2026-03-01T12:00:00+02:00"),
    ]);
    assert_eq!(race(&run(&input).0), (0, 1));
    let input = ndjson(&[
        complete_race("P1", "ED", "2026-03-01T10:00:00Z"),
        bare("P1", "ED", "2026-03-01T10:00:00Z"),
    ]);
    assert_eq!(race(&run(&input).0), (1, 0));
}

#[test]
fn identical_records_count_once() {
    let record = complete_race("P1", "ED", "2026-03-01T10:00:00Z");
    let (report, summary) = run(&ndjson(&[record.clone(), record.clone(), record]));
    assert_eq!(report.total.patients, 1);
    assert_eq!(summary.records, 3);
    assert_eq!(summary.identities, 1);
}

#[test]
fn an_identity_is_source_patient_and_unit() {
    let mut other_source = bare("P1", "ED", "2026-03-01T10:00:00Z");
    other_source["source"] = json!("cerner");
    let input = ndjson(&[
        bare("P1", "ED", "2026-03-01T10:00:00Z"),
        other_source,
        bare("P1", "NICU", "2026-03-01T10:00:00Z"),
        bare("P2", "ED", "2026-03-01T10:00:00Z"),
    ]);
    let (report, _) = run(&input);
    assert_eq!(report.total.patients, 4);
    assert_eq!(report.units[0].patients, 3);
}

#[test]
fn rejected_lines_are_counted_with_their_line_numbers_and_no_content() {
    let good = bare("P1", "ED", "2026-03-01T10:00:00Z").to_string();
    let no_unit =
        json!({"source": "s", "patient_id": "SECRET-MRN", "recorded_at": "2026-03-01T10:00:00Z"});
    let input = format!("{good}\r\n\n   \nnot json SECRET-MRN\n{no_unit}\n{good}");
    let (report, summary) = run(&input);
    assert_eq!(report.total.patients, 1);
    assert_eq!(summary.lines, 6);
    assert_eq!(summary.records, 2);
    assert_eq!(summary.rejected, 2);
    let lines: Vec<u64> = summary.rejections.iter().map(|r| r.line).collect();
    assert_eq!(lines, [4, 5]);
    assert_eq!(summary.rejections[0].reason, "invalid_json");
    assert!(summary.rejections[1]
        .reason
        .starts_with("validation_failed (unit"));
    assert!(summary
        .rejections
        .iter()
        .all(|r| !r.reason.contains("SECRET")));
}

#[test]
fn a_line_over_the_limit_is_rejected_even_when_longer_than_a_block() {
    let good = bare("P1", "ED", "2026-03-01T10:00:00Z").to_string();
    let long = "x".repeat(BLOCK_BYTES * 2 + 17);
    let input = format!("{good}\n{long}\n{good}\n{long}\n{long}");
    let options = Options {
        max_line: 1000,
        ..options()
    };
    let (report, summary) = run_with(&input, options);
    assert_eq!(report.total.patients, 1);
    assert_eq!(summary.lines, 5);
    assert_eq!(summary.rejected, 3);
    let lines: Vec<u64> = summary.rejections.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 4, 5]);
    assert!(summary.rejections[0]
        .reason
        .starts_with("payload_too_large"));
}

#[test]
fn blocks_end_at_line_ends_and_lose_nothing() {
    let line = format!("{}\n", "y".repeat(999));
    let input = line.repeat(5000) + "tail";
    let mut blocks = Vec::new();
    let (_, spare) = std::sync::mpsc::channel();
    read_blocks(
        input.as_bytes(),
        &Input::Ndjson,
        256 * 1024,
        &spare,
        |block| {
            blocks.push(block);
            true
        },
    )
    .unwrap();
    assert!(blocks.len() >= 3, "{} blocks", blocks.len());
    let (last, whole) = blocks.split_last().unwrap();
    assert!(whole.iter().all(|b| b.data.ends_with(b"\n")));
    assert!(last.data.ends_with(b"tail"));
    let joined: Vec<u8> = blocks.iter().flat_map(|b| b.data.clone()).collect();
    assert_eq!(joined, input.as_bytes());
    let seqs: Vec<u64> = blocks.iter().map(|b| b.seq).collect();
    assert_eq!(seqs, (0..blocks.len() as u64).collect::<Vec<_>>());
}

#[test]
fn the_window_applies_to_the_current_state_after_newest_wins() {
    let input = ndjson(&[
        complete_race("P1", "ED", "2026-03-01T10:00:00Z"),
        bare("P1", "ED", "2026-06-01T10:00:00Z"),
        complete_race("P2", "ED", "2026-03-05T10:00:00Z"),
    ]);
    let at = |text: &str| {
        Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp_micros(),
        )
    };
    let march = Options {
        window: Window {
            from: at("2026-03-01T10:00:00Z"),
            to: at("2026-04-01T00:00:00Z"),
        },
        ..options()
    };
    // P1's current record is June's: outside March, so only P2 counts.
    let (report, _) = run_with(&input, march);
    assert_eq!(report.total.patients, 1);
    assert_eq!(race(&report), (1, 0));
}

#[test]
fn a_unit_filter_keeps_that_unit_only() {
    let input = ndjson(&[
        bare("P1", "ED", "2026-03-01T10:00:00Z"),
        bare("P2", "NICU", "2026-03-01T10:00:00Z"),
    ]);
    let nicu = Options {
        unit: Some("NICU".into()),
        ..options()
    };
    let (report, summary) = run_with(&input, nicu);
    assert_eq!(report.units.len(), 1);
    assert_eq!(report.units[0].unit, "NICU");
    assert_eq!(summary.records, 2);
}

#[test]
fn the_counts_do_not_depend_on_the_number_of_threads_or_room_made_in_advance() {
    // Many blocks, with the same patients recorded again across them, ties included.
    let mut generator = crate::synthetic::Generator::new(7);
    let mut lines = Vec::new();
    for index in 0..12_000u64 {
        let mut record = generator.record(index);
        record["patient_id"] = json!(format!("P{}", index % 3000));
        lines.push(record);
    }
    let input = ndjson(&lines);
    let report = |workers, input_bytes| {
        let (report, _) = run_with(
            &input,
            Options {
                workers: Some(workers),
                input_bytes,
                ..options()
            },
        );
        serde_json::to_string(&report).unwrap()
    };
    let one = report(1, None);
    assert!(one.contains("\"patients\":"));
    assert_eq!(one, report(2, None));
    assert_eq!(one, report(4, None));
    // Room made in advance for the states changes nothing either.
    assert_eq!(one, report(2, Some(input.len() as u64)));
}
