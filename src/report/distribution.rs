//! The distribution of answers by unit (`GET /v1/reports/distribution`): the share of each
//! OMB race category, of Other Race, of two or more races, of Hispanic or Latino and Not
//! Hispanic, of each preferred language, and of declined, unknown, not asked, missing and
//! invalid answers, because the overuse of "Other" or "Unknown" is itself a quality
//! signal. Built from the store's kept counts (`store::distribution`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::codesets::CodeSets;
use crate::pipeline::OTHER_RACE;

/// The domains described.
pub const DOMAINS: [&str; 3] = ["race", "ethnicity", "language"];

/// Statuses, in the order they are listed after the values.
const STATUSES: [&str; 6] = [
    "declined",
    "unknown",
    "not_asked",
    "missing",
    "invalid",
    "complete",
];

/// One value of a domain and its share.
#[derive(Debug, Clone, Serialize)]
pub struct Share {
    /// The code (`2106-3`, `2131-1`, `multiple`, `es`) or a status (`declined`, ...).
    pub value: String,
    /// What it is, in words.
    pub label: String,
    /// Whether `value` is an answer (a code) rather than a status without one.
    pub answered: bool,
    /// Patients with it.
    pub patients: i64,
    /// patients / described, rounded to 4 places.
    pub share: Option<f64>,
}

/// One unit's (or all units') distribution.
#[derive(Debug, Clone, Serialize)]
pub struct UnitDistribution {
    /// Unit (absent for the total).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Patients whose answers are counted: the shares' denominator. Fewer than the
    /// completeness report's patients only for states stored before the distribution
    /// existed (`real-dq revalidate` counts them).
    pub described: i64,
    /// Per domain, its values (answers first, most frequent first; race categories in
    /// code order) then its statuses.
    pub domains: BTreeMap<&'static str, Vec<Share>>,
}

/// The distribution.
#[derive(Debug, Clone, Serialize)]
pub struct Distribution {
    /// When it was generated.
    pub generated_at: String,
    /// Per unit, by unit name.
    pub units: Vec<UnitDistribution>,
    /// All units.
    pub total: UnitDistribution,
}

fn label(domain: &str, value: &str) -> (String, bool) {
    let codes = CodeSets::get();
    let status = |s: &str| match s {
        "declined" => "Declined to answer",
        "unknown" => "Unknown",
        "not_asked" => "Not asked",
        "missing" => "Missing (nothing recorded)",
        "invalid" => "Invalid (an error to fix)",
        "complete" => "Complete, without a category",
        _ => "",
    };
    if STATUSES.contains(&value) {
        return (status(value).to_string(), false);
    }
    let text = match (domain, value) {
        ("race", "multiple") => "Two or more OMB categories".to_string(),
        ("race" | "ethnicity", code) => codes
            .cdcrec
            .lookup(code)
            .map(|c| c.display.clone())
            .unwrap_or_else(|_| code.to_string()),
        (_, code) => codes
            .languages
            .language(code)
            .map(|l| l.description.clone())
            .unwrap_or_else(|| code.to_string()),
    };
    (text, true)
}

fn rank(domain: &str, share: &Share) -> (u8, i64, String) {
    if !share.answered {
        let at = STATUSES.iter().position(|s| *s == share.value).unwrap_or(9);
        return (3, at as i64, String::new());
    }
    match domain {
        // Categories in code order, then Other Race, then two or more.
        "race" if share.value == OTHER_RACE => (1, 0, String::new()),
        "race" if share.value == "multiple" => (2, 0, String::new()),
        "race" | "ethnicity" => (0, 0, share.value.clone()),
        _ => (0, -share.patients, share.value.clone()),
    }
}

fn describe(
    unit: Option<String>,
    counts: &BTreeMap<String, i64>,
    domain: Option<&str>,
) -> UnitDistribution {
    let described = counts.get("*").copied().unwrap_or(0);
    let mut domains: BTreeMap<&'static str, Vec<Share>> = BTreeMap::new();
    for name in DOMAINS.iter().filter(|d| domain.is_none_or(|x| x == **d)) {
        let prefix = format!("{name}:");
        let mut shares: Vec<Share> = counts
            .iter()
            .filter_map(|(answer, patients)| {
                let value = answer.strip_prefix(&prefix)?;
                let (label, answered) = label(name, value);
                Some(Share {
                    value: value.to_string(),
                    label,
                    answered,
                    patients: *patients,
                    share: (described > 0).then(|| {
                        ((*patients as f64 / described as f64) * 10_000.0).round() / 10_000.0
                    }),
                })
            })
            .collect();
        shares.sort_by_key(|s| rank(name, s));
        domains.insert(name, shares);
    }
    UnitDistribution {
        unit,
        described,
        domains,
    }
}

/// Builds the distribution from `(unit, answer, patients)` rows, of one domain or all.
pub fn build(
    rows: Vec<(String, String, i64)>,
    domain: Option<&str>,
    generated_at: String,
) -> Distribution {
    let mut by_unit: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    for (unit, answer, patients) in rows {
        *total.entry(answer.clone()).or_default() += patients;
        *by_unit.entry(unit).or_default().entry(answer).or_default() += patients;
    }
    Distribution {
        generated_at,
        units: by_unit
            .into_iter()
            .map(|(unit, counts)| describe(Some(unit), &counts, domain))
            .collect(),
        total: describe(None, &total, domain),
    }
}

/// The CSV columns.
pub const CSV_HEADER: [&str; 8] = [
    "unit",
    "domain",
    "value",
    "label",
    "answered",
    "patients",
    "described",
    "share",
];

/// The distribution as CSV: a row per unit, domain and value (the total's unit is empty).
pub fn csv(distribution: &Distribution) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER).expect("writing to memory");
    for unit in distribution
        .units
        .iter()
        .chain(std::iter::once(&distribution.total))
    {
        let name = unit.unit.as_deref().unwrap_or("");
        for (domain, shares) in &unit.domains {
            for s in shares {
                writer
                    .write_record([
                        super::csv::cell(name).as_ref(),
                        domain,
                        &s.value,
                        &s.label,
                        if s.answered { "true" } else { "false" },
                        &s.patients.to_string(),
                        &unit.described.to_string(),
                        &super::csv::rate(s.share),
                    ])
                    .expect("writing to memory");
            }
        }
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str, answer: &str, n: i64) -> (String, String, i64) {
        (unit.into(), answer.into(), n)
    }

    #[test]
    fn shares_are_over_the_described_patients_in_a_fixed_order() {
        let d = build(
            vec![
                row("ED", "*", 4),
                row("ED", "race:2106-3", 2),
                row("ED", "race:2028-9", 1),
                row("ED", "race:multiple", 1),
                row("ED", "race:2131-1", 1),
                row("ED", "race:declined", 1),
                row("ED", "language:en", 1),
                row("ED", "language:es", 3),
                row("NICU", "*", 1),
                row("NICU", "race:unknown", 1),
            ],
            None,
            String::new(),
        );
        let ed = &d.units[0];
        assert_eq!(ed.described, 4);
        let race: Vec<(&str, f64)> = ed.domains["race"]
            .iter()
            .map(|s| (s.value.as_str(), s.share.unwrap()))
            .collect();
        assert_eq!(
            race,
            [
                ("2028-9", 0.25),
                ("2106-3", 0.5),
                ("2131-1", 0.25),
                ("multiple", 0.25),
                ("declined", 0.25)
            ]
        );
        assert_eq!(ed.domains["race"][0].label, "Asian");
        assert_eq!(ed.domains["race"][2].label, "Other Race");
        assert!(!ed.domains["race"][4].answered);
        let languages: Vec<&str> = ed.domains["language"]
            .iter()
            .map(|s| s.value.as_str())
            .collect();
        assert_eq!(languages, ["es", "en"]);
        assert_eq!(ed.domains["language"][0].label, "Spanish");
        assert_eq!(d.total.described, 5);
        assert_eq!(d.total.domains["race"].last().unwrap().value, "unknown");
    }
}
