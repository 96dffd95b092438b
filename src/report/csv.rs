//! The completeness report as CSV: one row per unit and domain.

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
        for domain in Domain::STATUS_DOMAINS
            .into_iter()
            .chain(Domain::OPTIONAL_DOMAINS)
        {
            let Some(counts) = unit.domains.get(domain.as_str()) else {
                continue;
            };
            // An optional domain counts the patients it applies to.
            let patients = counts.eligible.unwrap_or(unit.patients);
            let mut row = vec![
                cell(&unit.unit).into_owned(),
                domain.as_str().to_string(),
                patients.to_string(),
            ];
            row.extend(DomainStatus::ALL.iter().map(|s| counts.get(*s).to_string()));
            row.push(counts.rate.map(|r| format!("{r:.4}")).unwrap_or_default());
            row.push(counts.threshold.unwrap_or("").to_string());
            writer.write_record(&row).expect("writing to memory");
        }
    }
    String::from_utf8(writer.into_inner().expect("flushing to memory")).expect("CSV is UTF-8")
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
