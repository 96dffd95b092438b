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
                unit.unit.clone(),
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
