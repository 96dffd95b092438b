//! The completeness report (API.md "Completeness report").

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{Domain, DomainStatus};
use crate::profile::{Profile, Thresholds};
use crate::store::aggregates::{Counts, Tally};

/// How many top rules each unit lists.
pub const TOP_RULES: usize = 10;

/// Counts of one domain.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DomainCounts {
    /// Complete.
    pub complete: i64,
    /// Declined (counts as complete).
    pub declined: i64,
    /// Unknown.
    pub unknown: i64,
    /// Not asked.
    pub not_asked: i64,
    /// Missing.
    pub missing: i64,
    /// Invalid.
    pub invalid: i64,
    /// Patients the domain applies to, when not every patient (optional domains: SOGI only
    /// from the profile's SOGI age); the denominator of `rate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible: Option<i64>,
    /// (complete + declined) / patients (or / eligible); none when there are none.
    pub rate: Option<f64>,
    /// `pass`, `warn` or `fail` against the profile's thresholds.
    pub threshold: Option<&'static str>,
}

impl DomainCounts {
    fn add(&mut self, status: DomainStatus, count: i64) {
        if let Some(eligible) = self.eligible.as_mut() {
            *eligible += count;
        }
        *match status {
            DomainStatus::Complete => &mut self.complete,
            DomainStatus::Declined => &mut self.declined,
            DomainStatus::Unknown => &mut self.unknown,
            DomainStatus::NotAsked => &mut self.not_asked,
            DomainStatus::Missing => &mut self.missing,
            DomainStatus::Invalid => &mut self.invalid,
        } += count;
    }

    fn merge(&mut self, other: &DomainCounts) {
        if let (Some(eligible), Some(more)) = (self.eligible.as_mut(), other.eligible) {
            *eligible += more;
        }
        self.complete += other.complete;
        self.declined += other.declined;
        self.unknown += other.unknown;
        self.not_asked += other.not_asked;
        self.missing += other.missing;
        self.invalid += other.invalid;
    }

    fn judge(&mut self, patients: i64, thresholds: &Thresholds) {
        let patients = self.eligible.unwrap_or(patients);
        let complete = self.complete + self.declined;
        self.rate = rate(complete, patients);
        self.threshold = judge(complete, patients, thresholds);
    }

    /// The count of one status.
    pub fn get(&self, status: DomainStatus) -> i64 {
        match status {
            DomainStatus::Complete => self.complete,
            DomainStatus::Declined => self.declined,
            DomainStatus::Unknown => self.unknown,
            DomainStatus::NotAsked => self.not_asked,
            DomainStatus::Missing => self.missing,
            DomainStatus::Invalid => self.invalid,
        }
    }
}

/// Patients whose REaL domains are complete and error-free.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RealComplete {
    /// How many.
    pub count: i64,
    /// count / patients.
    pub rate: Option<f64>,
    /// `pass`, `warn` or `fail`.
    pub threshold: Option<&'static str>,
}

/// A rule and how many patients it fired on.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    /// Rule ID.
    pub rule: String,
    /// Patients.
    pub count: i64,
}

/// One unit's report.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReport {
    /// Unit.
    pub unit: String,
    /// Patients (current records in the window).
    pub patients: i64,
    /// Counts per domain, in domain order.
    pub domains: BTreeMap<&'static str, DomainCounts>,
    /// REaL-complete patients.
    pub real_complete: RealComplete,
    /// The most frequent rules, most frequent first.
    pub top_rules: Vec<RuleCount>,
}

/// All units together.
#[derive(Debug, Clone, Serialize)]
pub struct Total {
    /// Patients.
    pub patients: i64,
    /// Counts per domain.
    pub domains: BTreeMap<&'static str, DomainCounts>,
    /// REaL-complete patients.
    pub real_complete: RealComplete,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
pub struct CompletenessReport {
    /// When it was generated.
    pub generated_at: String,
    /// Profile `name@version`.
    pub profile: String,
    /// Window start, inclusive.
    pub from: Option<String>,
    /// Window end, exclusive.
    pub to: Option<String>,
    /// How many of the patients were validated with each profile (`name@version`): any
    /// other than `profile` is what `real-dq revalidate` would bring up to date.
    pub validated_with: BTreeMap<String, i64>,
    /// Per unit, by unit name.
    pub units: Vec<UnitReport>,
    /// All units.
    pub total: Total,
}

/// The threshold verdict on the exact ratio (the shown rate is rounded to 4 places, and
/// 0.79998 must fail a 0.80 threshold even though it shows as 0.8).
fn judge(count: i64, patients: i64, thresholds: &Thresholds) -> Option<&'static str> {
    (patients > 0).then(|| thresholds.judge(count as f64 / patients as f64))
}

fn rate(count: i64, patients: i64) -> Option<f64> {
    (patients > 0).then(|| ((count as f64 / patients as f64) * 10_000.0).round() / 10_000.0)
}

/// The report's domains: the six REaL domains, and the optional ones the profile requires.
fn empty_domains(profile: &Profile) -> BTreeMap<&'static str, DomainCounts> {
    // The caregivers' domains count only the patients they are required of.
    let core = Domain::STATUS_DOMAINS.iter().map(|d| {
        let eligible = Domain::CAREGIVER_DOMAINS.contains(d).then_some(0);
        (
            d.as_str(),
            DomainCounts {
                eligible,
                ..DomainCounts::default()
            },
        )
    });
    let optional = Domain::OPTIONAL_DOMAINS
        .into_iter()
        .filter(|d| profile.requires_anywhere(*d))
        .map(|d| {
            (
                d.as_str(),
                DomainCounts {
                    eligible: Some(0),
                    ..DomainCounts::default()
                },
            )
        });
    core.chain(optional).collect()
}

/// The report's domain columns under `profile`, in order.
pub fn report_domains(profile: &Profile) -> Vec<&'static str> {
    empty_domains(profile).into_keys().collect()
}

/// Builds the report from the store's counts.
pub fn build(
    counts: Counts,
    profile: &Profile,
    generated_at: String,
    from: Option<String>,
    to: Option<String>,
) -> CompletenessReport {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut validated_with: BTreeMap<String, i64> = BTreeMap::new();
    for group in &counts.groups {
        *validated_with.entry(group.profile.clone()).or_default() += group.patients;
        tallies
            .entry(group.unit.clone())
            .or_default()
            .add_group(group);
    }
    let mut report = from_tallies(tallies, &counts.rules, profile, generated_at, from, to);
    report.validated_with = validated_with;
    report
}

/// Builds the report from each unit's tally and the rules' counts (`validated_with`
/// left empty). A unit with no patients is left out.
pub fn from_tallies(
    tallies: BTreeMap<String, Tally>,
    rules: &[(String, String, i64)],
    profile: &Profile,
    generated_at: String,
    from: Option<String>,
    to: Option<String>,
) -> CompletenessReport {
    let validated_with: BTreeMap<String, i64> = BTreeMap::new();
    let mut units: BTreeMap<String, UnitReport> = BTreeMap::new();
    for (unit, tally) in tallies {
        if tally.patients == 0 {
            continue;
        }
        let mut report = new_unit(&unit, profile);
        report.patients = tally.patients;
        report.real_complete.count = tally.real_complete;
        for (domain, statuses) in &tally.statuses {
            // An optional domain the profile no longer requires has no column.
            if let Some(counts) = report.domains.get_mut(domain) {
                for (status, n) in DomainStatus::ALL.into_iter().zip(statuses) {
                    if *n != 0 {
                        counts.add(status, *n);
                    }
                }
            }
        }
        units.insert(unit, report);
    }
    for (unit, rule, count) in rules {
        let report = units
            .entry(unit.clone())
            .or_insert_with(|| new_unit(unit, profile));
        report.top_rules.push(RuleCount {
            rule: rule.clone(),
            count: *count,
        });
    }
    let mut total = Total {
        patients: 0,
        domains: empty_domains(profile),
        real_complete: RealComplete::default(),
    };
    for report in units.values_mut() {
        report
            .top_rules
            .sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
        report.top_rules.truncate(TOP_RULES);
        let unit = Some(report.unit.as_str());
        for (domain, counts) in report.domains.iter_mut() {
            counts.judge(report.patients, profile.thresholds_for(unit, domain));
            total.domains.entry(domain).or_default().merge(counts);
        }
        report.real_complete.rate = rate(report.real_complete.count, report.patients);
        report.real_complete.threshold = judge(
            report.real_complete.count,
            report.patients,
            profile.thresholds_for(unit, "real_complete"),
        );
        total.patients += report.patients;
        total.real_complete.count += report.real_complete.count;
    }
    for counts in total.domains.values_mut() {
        counts.judge(total.patients, &profile.thresholds);
    }
    total.real_complete.rate = rate(total.real_complete.count, total.patients);
    total.real_complete.threshold = judge(
        total.real_complete.count,
        total.patients,
        &profile.thresholds,
    );
    CompletenessReport {
        generated_at,
        profile: profile.id(),
        from,
        to,
        validated_with,
        units: units.into_values().collect(),
        total,
    }
}

fn new_unit(unit: &str, profile: &Profile) -> UnitReport {
    UnitReport {
        unit: unit.to_string(),
        patients: 0,
        domains: empty_domains(profile),
        real_complete: RealComplete::default(),
        top_rules: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_judged_on_the_exact_ratio_not_the_rounded_rate() {
        let profile = Profile::phec_real();
        // 39,999 / 50,000 = 0.79998: shown as 0.8, but below the 0.80 fail threshold.
        assert_eq!(rate(39_999, 50_000), Some(0.8));
        let thresholds = &profile.thresholds;
        assert_eq!(judge(39_999, 50_000, thresholds), Some("fail"));
        assert_eq!(judge(40_000, 50_000, thresholds), Some("warn"));
        assert_eq!(judge(45_000, 50_000, thresholds), Some("pass"));
        assert_eq!(judge(0, 0, thresholds), None);
    }
}
