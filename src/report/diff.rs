//! The change since a day (`GET /v1/reports/diff`): per unit and rule, the findings new,
//! resolved and persisting, and per unit and domain the rate then and now. Built from the
//! completeness report as of both instants (`completeness::from_tallies`, so each rate is
//! the report's) and the findings over time (`store::findings::since`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::completeness::{from_tallies, CompletenessReport, DomainCounts, RealComplete};
use crate::profile::Profile;
use crate::store::aggregates::Tally;
use crate::store::findings::RuleChange;

/// A rate then and now.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct RateChange {
    /// The rate at `from` (none without patients then).
    pub from: Option<f64>,
    /// The rate now.
    pub to: Option<f64>,
    /// `to - from`, rounded to 4 places (none unless both).
    pub change: Option<f64>,
    /// The threshold verdict then.
    pub threshold_from: Option<&'static str>,
    /// The threshold verdict now.
    pub threshold_to: Option<&'static str>,
}

impl RateChange {
    fn of(then: Option<Judged>, now: Option<Judged>) -> RateChange {
        let (from, threshold_from) = then.unwrap_or_default();
        let (to, threshold_to) = now.unwrap_or_default();
        RateChange {
            from,
            to,
            change: from
                .zip(to)
                .map(|(a, b)| ((b - a) * 10_000.0).round() / 10_000.0),
            threshold_from,
            threshold_to,
        }
    }
}

/// A rule's findings then and now.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuleDiff {
    /// Rule ID.
    pub rule: String,
    /// Findings now that were not there at `from` (or went and came back since).
    pub new: i64,
    /// Findings at `from` that are gone now.
    pub resolved: i64,
    /// Findings there at `from` and throughout since.
    pub persisting: i64,
    /// Findings at `from` (`persisting + resolved`).
    pub from: i64,
    /// Findings now (`persisting + new`).
    pub to: i64,
}

/// Patients then and now.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Patients {
    /// At `from`.
    pub from: i64,
    /// Now.
    pub to: i64,
}

/// One unit (or all of them).
#[derive(Debug, Clone, Serialize)]
pub struct UnitDiff {
    /// Unit.
    pub unit: String,
    /// Patients then and now.
    pub patients: Patients,
    /// Each domain's rate then and now, in domain order.
    pub domains: BTreeMap<&'static str, RateChange>,
    /// The REaL-complete rate then and now.
    pub real_complete: RateChange,
    /// Rules with a finding then or now, most new first, then most resolved, then by ID.
    pub rules: Vec<RuleDiff>,
}

/// All units together.
#[derive(Debug, Clone, Serialize)]
pub struct TotalDiff {
    /// Patients then and now.
    pub patients: Patients,
    /// Each domain's rate then and now.
    pub domains: BTreeMap<&'static str, RateChange>,
    /// The REaL-complete rate then and now.
    pub real_complete: RateChange,
    /// Each rule over all units.
    pub rules: Vec<RuleDiff>,
}

/// The diff.
#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    /// When it was generated.
    pub generated_at: String,
    /// Profile `name@version` (thresholds).
    pub profile: String,
    /// The instant compared with (the start of a UTC day).
    pub from: String,
    /// The other instant: now (the current state).
    pub to: String,
    /// Units with patients or findings then or now, by name.
    pub units: Vec<UnitDiff>,
    /// All units.
    pub total: TotalDiff,
}

/// A rate and its threshold verdict.
type Judged = (Option<f64>, Option<&'static str>);

/// Each domain's rate and verdict.
type Rates = BTreeMap<&'static str, Judged>;

fn domain_rates(domains: &BTreeMap<&'static str, DomainCounts>) -> Rates {
    domains
        .iter()
        .map(|(d, c)| (*d, (c.rate, c.threshold)))
        .collect()
}

fn real(r: &RealComplete) -> Judged {
    (r.rate, r.threshold)
}

fn rates(then: Option<&Rates>, now: Option<&Rates>) -> BTreeMap<&'static str, RateChange> {
    let mut names: Vec<&'static str> = then
        .into_iter()
        .chain(now)
        .flat_map(|m| m.keys().copied())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|d| {
            let pick = |m: Option<&BTreeMap<_, _>>| m.and_then(|m| m.get(d).copied());
            (d, RateChange::of(pick(then), pick(now)))
        })
        .collect()
}

fn sorted(mut rules: Vec<RuleDiff>) -> Vec<RuleDiff> {
    rules.sort_by(|a, b| (b.new, b.resolved, &a.rule).cmp(&(a.new, a.resolved, &b.rule)));
    rules
}

/// Builds the diff from each unit's tally then and now and the rules' changes.
pub fn build(
    then: BTreeMap<String, Tally>,
    now: BTreeMap<String, Tally>,
    changes: Vec<RuleChange>,
    profile: &Profile,
    generated_at: String,
    from: String,
) -> Diff {
    let report =
        |t| -> CompletenessReport { from_tallies(t, &[], profile, String::new(), None, None) };
    let (then, now) = (report(then), report(now));
    let mut by_unit: BTreeMap<String, Vec<RuleDiff>> = BTreeMap::new();
    let mut total_rules: BTreeMap<String, RuleDiff> = BTreeMap::new();
    for c in changes {
        let diff = RuleDiff {
            rule: c.rule.clone(),
            new: c.new,
            resolved: c.resolved,
            persisting: c.persisting,
            from: c.then,
            to: c.now,
        };
        let t = total_rules.entry(c.rule.clone()).or_insert(RuleDiff {
            rule: c.rule,
            new: 0,
            resolved: 0,
            persisting: 0,
            from: 0,
            to: 0,
        });
        t.new += diff.new;
        t.resolved += diff.resolved;
        t.persisting += diff.persisting;
        t.from += diff.from;
        t.to += diff.to;
        by_unit.entry(c.unit).or_default().push(diff);
    }
    let then_units: BTreeMap<&str, _> = then.units.iter().map(|u| (u.unit.as_str(), u)).collect();
    let now_units: BTreeMap<&str, _> = now.units.iter().map(|u| (u.unit.as_str(), u)).collect();
    let mut names: Vec<String> = then_units
        .keys()
        .chain(now_units.keys())
        .map(|u| u.to_string())
        .chain(by_unit.keys().cloned())
        .collect();
    names.sort_unstable();
    names.dedup();
    let units = names
        .into_iter()
        .map(|name| {
            let (t, n) = (then_units.get(name.as_str()), now_units.get(name.as_str()));
            UnitDiff {
                patients: Patients {
                    from: t.map_or(0, |u| u.patients),
                    to: n.map_or(0, |u| u.patients),
                },
                domains: rates(
                    t.map(|u| domain_rates(&u.domains)).as_ref(),
                    n.map(|u| domain_rates(&u.domains)).as_ref(),
                ),
                real_complete: RateChange::of(
                    t.map(|u| real(&u.real_complete)),
                    n.map(|u| real(&u.real_complete)),
                ),
                rules: sorted(by_unit.remove(&name).unwrap_or_default()),
                unit: name,
            }
        })
        .collect();
    Diff {
        to: generated_at.clone(),
        generated_at,
        profile: profile.id(),
        from,
        units,
        total: TotalDiff {
            patients: Patients {
                from: then.total.patients,
                to: now.total.patients,
            },
            domains: rates(
                Some(&domain_rates(&then.total.domains)),
                Some(&domain_rates(&now.total.domains)),
            ),
            real_complete: RateChange::of(
                Some(real(&then.total.real_complete)),
                Some(real(&now.total.real_complete)),
            ),
            rules: sorted(total_rules.into_values().collect()),
        },
    }
}

/// The diff's CSV: `unit,rule,new,resolved,persisting`, a row per unit and rule.
pub fn csv(diff: &Diff) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["unit", "rule", "new", "resolved", "persisting"])
        .expect("writing to memory");
    for unit in &diff.units {
        for rule in &unit.rules {
            writer
                .write_record([
                    super::csv::cell(&unit.unit).into_owned(),
                    rule.rule.clone(),
                    rule.new.to_string(),
                    rule.resolved.to_string(),
                    rule.persisting.to_string(),
                ])
                .expect("writing to memory");
        }
    }
    String::from_utf8(writer.into_inner().expect("flushing to memory")).expect("CSV is UTF-8")
}
