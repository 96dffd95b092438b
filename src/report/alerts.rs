//! Alerts, judged from the completeness report: every unit and domain pair (and each
//! unit's `real_complete`) gets the report's own threshold verdict, and a pair whose
//! verdict differs from the stored state has crossed a threshold. Pure: the watcher
//! (`src/alerts/`) reads the report and the state and writes the crossings.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::completeness::CompletenessReport;
use crate::profile::Profile;
use crate::store::alerts::{AlertRow, Crossing};

/// One pair's verdict in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Unit.
    pub unit: String,
    /// Domain or `real_complete`.
    pub domain: &'static str,
    /// `pass`, `warn` or `fail`; `None` when the pair has no patients to judge.
    pub level: Option<&'static str>,
    /// The report's rate.
    pub rate: Option<f64>,
    /// The rate's denominator (the domain's eligible patients, else the unit's).
    pub patients: i64,
    /// Rates below this warn.
    pub warn_below: f64,
    /// Rates below this fail.
    pub fail_below: f64,
}

impl Verdict {
    /// The level as the state keeps it: `None` at pass (or with nothing to judge).
    pub fn below(&self) -> Option<&'static str> {
        self.level.filter(|level| *level != "pass")
    }
}

/// Every pair's verdict, by unit then domain (report order, `real_complete` last).
pub fn verdicts(report: &CompletenessReport, profile: &Profile) -> Vec<Verdict> {
    let mut verdicts = Vec::new();
    for unit in &report.units {
        for (domain, counts) in &unit.domains {
            let thresholds = profile.thresholds_for(Some(&unit.unit), domain);
            verdicts.push(Verdict {
                unit: unit.unit.clone(),
                domain,
                level: counts.threshold,
                rate: counts.rate,
                patients: counts.eligible.unwrap_or(unit.patients),
                warn_below: thresholds.warn_below,
                fail_below: thresholds.fail_below,
            });
        }
        let thresholds = profile.thresholds_for(Some(&unit.unit), "real_complete");
        verdicts.push(Verdict {
            unit: unit.unit.clone(),
            domain: "real_complete",
            level: unit.real_complete.threshold,
            rate: unit.real_complete.rate,
            patients: unit.patients,
            warn_below: thresholds.warn_below,
            fail_below: thresholds.fail_below,
        });
    }
    verdicts
}

/// The stored state by `(unit, domain)`: the watcher judges every pair each second while
/// records arrive, so the look-ups are by key, not by a walk of the state.
fn by_pair(states: &[AlertRow]) -> HashMap<(&str, &str), &AlertRow> {
    states
        .iter()
        .map(|s| ((s.unit.as_str(), s.domain.as_str()), s))
        .collect()
}

/// The pairs whose verdict differs from the stored state: new below a threshold, moved
/// between warn and fail, or back at pass (also a stored pair the report no longer has:
/// a unit purged away, a domain the profile no longer requires).
pub fn crossings(verdicts: &[Verdict], states: &[AlertRow]) -> Vec<Crossing> {
    let stored = by_pair(states);
    let judged: HashSet<(&str, &str)> = verdicts
        .iter()
        .map(|v| (v.unit.as_str(), v.domain))
        .collect();
    let mut crossings: Vec<Crossing> = verdicts
        .iter()
        .filter_map(|v| {
            let from = stored
                .get(&(v.unit.as_str(), v.domain))
                .map(|s| s.level.clone());
            let to = v.below().map(str::to_string);
            (from != to).then(|| Crossing {
                unit: v.unit.clone(),
                domain: v.domain.to_string(),
                from,
                to,
            })
        })
        .collect();
    crossings.extend(
        states
            .iter()
            .filter(|s| !judged.contains(&(s.unit.as_str(), s.domain.as_str())))
            .map(|s| Crossing {
                unit: s.unit.clone(),
                domain: s.domain.clone(),
                from: Some(s.level.clone()),
                to: None,
            }),
    );
    crossings
}

/// The webhook's event of a crossing (counts only: no patient, no value of a record).
#[derive(Debug, Clone, Serialize)]
pub struct Event<'a> {
    /// `alert.raised` (from pass), `alert.changed` (warn and fail) or `alert.cleared`
    /// (back at pass).
    pub event: &'static str,
    /// The event's id (also `X-RealDQ-Delivery`): a receiver drops a repeat by it.
    pub id: &'a str,
    /// When the crossing was seen.
    pub at: String,
    /// Unit.
    pub unit: &'a str,
    /// Domain or `real_complete`.
    pub domain: &'a str,
    /// `pass`, `warn` or `fail` before.
    pub from: &'a str,
    /// `pass`, `warn` or `fail` now.
    pub to: &'a str,
    /// The rate now (none: no patients left to judge).
    pub rate: Option<f64>,
    /// Its denominator.
    pub patients: i64,
    /// The pair's warn threshold.
    pub warn_below: Option<f64>,
    /// The pair's fail threshold.
    pub fail_below: Option<f64>,
    /// When the pair went below its warn threshold (for `alert.raised`, `at`; for
    /// `alert.cleared`, when the stretch below that now ends began).
    pub since: String,
    /// The profile, `name@version`.
    pub profile: &'a str,
}

impl Event<'_> {
    /// The event's name for a crossing.
    pub fn name(crossing: &Crossing) -> &'static str {
        match (&crossing.from, &crossing.to) {
            (None, _) => "alert.raised",
            (Some(_), None) => "alert.cleared",
            (Some(_), Some(_)) => "alert.changed",
        }
    }
}

/// A pair below a threshold, as `GET /v1/alerts` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    /// Unit.
    pub unit: String,
    /// Domain or `real_complete`.
    pub domain: &'static str,
    /// `warn` or `fail`.
    pub level: &'static str,
    /// The report's rate.
    pub rate: Option<f64>,
    /// Its denominator.
    pub patients: i64,
    /// Rates below this warn.
    pub warn_below: f64,
    /// Rates below this fail.
    pub fail_below: f64,
    /// When the pair went below its warn threshold.
    pub since: String,
    /// When it reached `level`.
    pub level_since: String,
    /// Whole days since `since`.
    pub days_below: i64,
}

/// The pairs below a threshold, fail before warn, then by unit and domain; `since` and
/// `level_since` from the stored state (`now` for a pair the state does not hold yet).
pub fn list(verdicts: &[Verdict], states: &[AlertRow], now: i64) -> Vec<Alert> {
    let stored = by_pair(states);
    let mut alerts: Vec<Alert> = verdicts
        .iter()
        .filter_map(|v| {
            let level = v.below()?;
            let stored = stored
                .get(&(v.unit.as_str(), v.domain))
                .filter(|s| s.level == level);
            let (since, level_since) = stored.map_or((now, now), |s| (s.since, s.level_since));
            Some(Alert {
                unit: v.unit.clone(),
                domain: v.domain,
                level,
                rate: v.rate,
                patients: v.patients,
                warn_below: v.warn_below,
                fail_below: v.fail_below,
                since: instant(since),
                level_since: instant(level_since),
                days_below: (now - since).max(0) / 86_400_000_000,
            })
        })
        .collect();
    alerts.sort_by(|a, b| {
        (a.level != "fail", &a.unit, a.domain).cmp(&(b.level != "fail", &b.unit, b.domain))
    });
    alerts
}

/// A stored instant (microseconds) as RFC 3339.
pub fn instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(crate::result::timestamp)
        .unwrap_or_default()
}

/// The CSV columns of `GET /v1/alerts`.
pub const CSV_HEADER: [&str; 10] = [
    "unit",
    "domain",
    "level",
    "rate",
    "patients",
    "warn_below",
    "fail_below",
    "since",
    "level_since",
    "days_below",
];

/// The alerts as CSV text.
pub fn csv(alerts: &[Alert]) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_HEADER).expect("writing to memory");
    for a in alerts {
        writer
            .write_record([
                super::csv::cell(&a.unit).as_ref(),
                a.domain,
                a.level,
                &super::csv::rate(a.rate),
                &a.patients.to_string(),
                &a.warn_below.to_string(),
                &a.fail_below.to_string(),
                &a.since,
                &a.level_since,
                &a.days_below.to_string(),
            ])
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("CSV of UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(unit: &str, domain: &'static str, level: Option<&'static str>) -> Verdict {
        Verdict {
            unit: unit.into(),
            domain,
            level,
            rate: None,
            patients: 1,
            warn_below: 0.9,
            fail_below: 0.8,
        }
    }

    fn row(unit: &str, domain: &str, level: &str) -> AlertRow {
        AlertRow {
            unit: unit.into(),
            domain: domain.into(),
            level: level.into(),
            since: 0,
            level_since: 0,
        }
    }

    fn crossing(unit: &str, domain: &str, from: Option<&str>, to: Option<&str>) -> Crossing {
        Crossing {
            unit: unit.into(),
            domain: domain.into(),
            from: from.map(Into::into),
            to: to.map(Into::into),
        }
    }

    #[test]
    fn a_pair_crosses_when_its_verdict_differs_from_its_stored_level() {
        let verdicts = [
            verdict("ED", "race", Some("fail")),
            verdict("ED", "language", Some("warn")),
            verdict("ED", "ethnicity", Some("pass")),
            verdict("NICU", "race", Some("warn")),
            verdict("NICU", "language", None),
            verdict("PICU", "race", Some("fail")),
        ];
        let states = [
            row("ED", "language", "warn"),
            row("ED", "ethnicity", "fail"),
            row("NICU", "race", "fail"),
            row("NICU", "language", "warn"),
            row("GONE", "race", "warn"),
        ];
        assert_eq!(
            crossings(&verdicts, &states),
            [
                crossing("ED", "race", None, Some("fail")),
                crossing("ED", "ethnicity", Some("fail"), None),
                crossing("NICU", "race", Some("fail"), Some("warn")),
                crossing("NICU", "language", Some("warn"), None),
                crossing("PICU", "race", None, Some("fail")),
                crossing("GONE", "race", Some("warn"), None),
            ]
        );
        assert_eq!(
            Event::name(&crossings(&verdicts, &states)[0]),
            "alert.raised"
        );
        assert_eq!(
            Event::name(&crossings(&verdicts, &states)[1]),
            "alert.cleared"
        );
        assert_eq!(
            Event::name(&crossings(&verdicts, &states)[2]),
            "alert.changed"
        );
    }

    #[test]
    fn a_pair_that_stays_where_it_is_does_not_cross() {
        let verdicts = [
            verdict("ED", "race", Some("fail")),
            verdict("ED", "language", Some("pass")),
        ];
        assert!(crossings(&verdicts, &[row("ED", "race", "fail")]).is_empty());
    }
}
