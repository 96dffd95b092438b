//! The completeness report as CSV: one row per unit and domain.

use std::collections::BTreeMap;

use super::completeness::DomainCounts;
use super::CompletenessReport;
use crate::catalog::{Domain, DomainStatus};

/// The CSV header (API.md).
pub const HEADER: [&str; 11] = [
    "unit",
    "domain",
    "patients",
    "complete",
    "declined",
    "unknown",
    "not_asked",
    "missing",
    "invalid",
    "rate",
    "threshold",
];

/// A text cell that a spreadsheet would not run: a value from a feed (a unit, a source, a
/// patient id, a message quoting a value) that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return is opened by Excel and its kin as a formula (OWASP "CSV injection"), so
/// it is written after a `'`, which they show as text. Counts and rates are written as
/// they are.
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// Renders the report as CSV text (RFC 4180 quoting).
pub fn render(report: &CompletenessReport) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).expect("writing to memory");
    for unit in &report.units {
        for row in domain_rows(&unit.unit, unit.patients, &unit.domains) {
            writer.write_record(&row).expect("writing to memory");
        }
    }
    String::from_utf8(writer.into_inner().expect("flushing to memory")).expect("CSV is UTF-8")
}

/// One unit's rows, a row per domain in domain order, in [`HEADER`]'s columns (the trend's
/// CSV puts its period before them).
pub fn domain_rows<'a>(
    unit: &'a str,
    patients: i64,
    domains: &'a BTreeMap<&'static str, DomainCounts>,
) -> impl Iterator<Item = Vec<String>> + 'a {
    Domain::STATUS_DOMAINS
        .into_iter()
        .chain(Domain::OPTIONAL_DOMAINS)
        .filter_map(move |domain| {
            let counts = domains.get(domain.as_str())?;
            // An optional domain counts the patients it applies to.
            let mut row = vec![
                cell(unit).into_owned(),
                domain.as_str().to_string(),
                counts.eligible.unwrap_or(patients).to_string(),
            ];
            row.extend(DomainStatus::ALL.iter().map(|s| counts.get(*s).to_string()));
            row.push(rate(counts.rate));
            row.push(counts.threshold.unwrap_or("").to_string());
            Some(row)
        })
}

/// A rate as the CSVs write it: four places, empty when there is none.
pub fn rate(rate: Option<f64>) -> String {
    rate.map(|r| format!("{r:.4}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_written_as_text() {
        for formula in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(cell(formula), format!("'{formula}"));
        }
        for plain in ["ED", "NICU", "", "A-1", "'quoted"] {
            assert_eq!(cell(plain), plain);
        }
    }
}
