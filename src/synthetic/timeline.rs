//! Records as a hospital extract holds them: in increasing `recorded_at` over a span of
//! months, for a population of patients who come back. A patient keeps a unit and a
//! birth date; their race, ethnicity, language and caregivers change now and then (in any
//! month, with a chance of [`CHANGE_PERCENT`]), so most new versions of a patient change
//! nothing or one field. A patient's demographics at an instant depend only on the seed,
//! the units, the start and the patient: a follow-up day ([`Timeline::after`]) brings back
//! the same patients as the main file, as they are on that day.

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveTime};
use serde_json::Value;

use super::{Generator, Units};

/// Chance, in percent, that a patient's demographics change in a given month.
pub const CHANGE_PERCENT: u64 = 15;
/// Share, in percent, of new patients in a follow-up day; the others come back.
pub const NEW_IN_FOLLOW_UP_PERCENT: u64 = 10;

const DAY: i64 = 86_400;

/// Where and when records fall, and who they are about.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Seed of the deterministic generator.
    pub seed: u64,
    /// Units patients belong to.
    pub units: Units,
    /// First day of the span (00:00 UTC).
    pub start: NaiveDate,
    /// Length of the span in months.
    pub months: u32,
    /// Distinct patients of the span (at most the number of records; default: one per
    /// record). Patient `n` is `SYN-{n:08}`.
    pub patients: Option<u64>,
    /// A follow-up day instead of the span: every record falls on the day after this
    /// date; most are patients `0..patients` coming back, the others new patients
    /// numbered from `patients` on.
    pub after: Option<NaiveDate>,
}

impl Timeline {
    /// The default start of the span.
    pub fn default_start() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 1, 1).expect("a valid date")
    }

    /// Twelve months from [`Timeline::default_start`], over the default units, one patient
    /// per record.
    pub fn new(seed: u64) -> Self {
        Timeline {
            seed,
            units: Units::Named,
            start: Self::default_start(),
            months: 12,
            patients: None,
            after: None,
        }
    }

    /// `count` records in increasing `recorded_at`.
    pub fn records(&self, count: u64) -> anyhow::Result<Records<'_>> {
        anyhow::ensure!(self.months > 0, "--months must be at least 1");
        let start = midnight(self.start);
        let (from, span, pool) = match self.after {
            None => {
                let end = self
                    .start
                    .checked_add_months(Months::new(self.months))
                    .ok_or_else(|| anyhow::anyhow!("--start plus --months is out of range"))?;
                let pool = self.patients.unwrap_or(count).clamp(1, count.max(1));
                (start, midnight(end) - start, pool)
            }
            Some(after) => {
                let pool = self
                    .patients
                    .ok_or_else(|| anyhow::anyhow!("a follow-up day needs --patients"))?;
                anyhow::ensure!(after >= self.start, "--after is before --start");
                (midnight(after) + DAY, DAY, pool)
            }
        };
        Ok(Records {
            timeline: self,
            from,
            span,
            count,
            pool,
            index: 0,
            seen: 0,
            new_patients: 0,
            schedule: Generator::new(mix(self.seed, 0x005E_ED0F_713E)),
        })
    }

    /// Patient `patient` as recorded at `at` (seconds since the epoch): their record
    /// with every change made since the start, up to `at`.
    pub fn patient_at(&self, patient: u64, at: i64) -> Value {
        let mut person = Generator::new(mix(self.seed, patient)).with_units(self.units);
        let unit = person.unit();
        let (mut record, age) =
            person.demographics(patient, unit, String::new(), self.start.year());
        let start = midnight(self.start);
        let first = month_index(self.start);
        let last = month_index(
            DateTime::from_timestamp(at, 0)
                .unwrap_or_default()
                .date_naive(),
        );
        for month in first..=last {
            let mut change =
                Generator::new(mix(mix(self.seed ^ 0x00C4_A66E, patient), month as u64));
            if !change.chance(CHANGE_PERCENT) {
                continue;
            }
            let when = month_start(month) + change.below(28 * DAY as u64) as i64;
            if (start..=at).contains(&when) {
                change.change(&mut record, age);
            }
        }
        record["recorded_at"] = Value::String(
            DateTime::from_timestamp(at, 0)
                .unwrap_or_default()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
        );
        record
    }
}

/// The records of a [`Timeline`], in increasing `recorded_at`.
#[derive(Debug)]
pub struct Records<'a> {
    timeline: &'a Timeline,
    from: i64,
    span: i64,
    count: u64,
    pool: u64,
    index: u64,
    seen: u64,
    new_patients: u64,
    schedule: Generator,
}

impl Records<'_> {
    /// Who the `index`-th record is about.
    fn patient(&mut self) -> u64 {
        let i = u128::from(self.index);
        let (pool, count) = (u128::from(self.pool), u128::from(self.count));
        if self.timeline.after.is_some() {
            // A follow-up day: mostly patients of the span coming back.
            if self.schedule.chance(NEW_IN_FOLLOW_UP_PERCENT) {
                self.new_patients += 1;
                return self.pool + self.new_patients - 1;
            }
            return self.schedule.below(self.pool.max(1));
        }
        // New patients arrive evenly over the span (`pool` of them by the last record);
        // every other record is a patient already seen coming back.
        if ((i + 1) * pool).div_ceil(count) > (i * pool).div_ceil(count) {
            self.seen += 1;
            self.seen - 1
        } else {
            self.schedule.below(self.seen)
        }
    }
}

impl Iterator for Records<'_> {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        if self.index >= self.count {
            return None;
        }
        // Each record gets its own slot of the span and a random second inside it, so
        // the times increase.
        let slot = |i: u64| {
            self.from + (i128::from(self.span) * i128::from(i) / i128::from(self.count)) as i64
        };
        let (begin, end) = (slot(self.index), slot(self.index + 1));
        let at = begin + self.schedule.below((end - begin).max(1) as u64) as i64;
        let patient = self.patient();
        self.index += 1;
        Some(self.timeline.patient_at(patient, at))
    }
}

impl Generator {
    /// One change to a patient's demographics: race, ethnicity, language or caregivers
    /// answered again.
    fn change(&mut self, record: &mut Value, age: u64) {
        match self.below(4) {
            0 => {
                let reporter = self.reporter(age);
                record["race"] = self.race(reporter);
            }
            1 => {
                let reporter = self.reporter(age);
                record["ethnicity"] = self.ethnicity(reporter);
            }
            2 => record["language"] = self.language().2,
            _ => {
                let (language, interpreter, _) = self.language();
                match self.caregivers(age, language, interpreter) {
                    Some(caregivers) => record["caregivers"] = caregivers,
                    None => {
                        if let Some(object) = record.as_object_mut() {
                            object.remove("caregivers");
                        }
                    }
                }
            }
        }
    }
}

fn midnight(date: NaiveDate) -> i64 {
    date.and_time(NaiveTime::MIN).and_utc().timestamp()
}

/// Months since year 0.
fn month_index(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

fn month_start(month: i64) -> i64 {
    let date = NaiveDate::from_ymd_opt(
        month.div_euclid(12) as i32,
        month.rem_euclid(12) as u32 + 1,
        1,
    )
    .unwrap_or_default();
    midnight(date)
}

/// SplitMix64 of two values: independent streams per patient and month.
fn mix(a: u64, b: u64) -> u64 {
    fn split(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    split(a ^ split(b))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn main_file() -> Timeline {
        Timeline {
            units: Units::Numbered(50),
            start: date("2025-03-01"),
            months: 12,
            patients: Some(4000),
            ..Timeline::new(9)
        }
    }

    fn text(record: &Value, field: &str) -> String {
        record[field].as_str().unwrap().to_string()
    }

    /// The fields of two versions of a patient that differ (but for `recorded_at`).
    fn changed(a: &Value, b: &Value) -> usize {
        ["race", "ethnicity", "language", "caregivers"]
            .iter()
            .filter(|f| a.get(**f) != b.get(**f))
            .count()
    }

    #[test]
    fn records_come_in_time_order_over_the_span_units_and_patients() {
        let records: Vec<Value> = main_file().records(10_000).unwrap().collect();
        assert_eq!(records.len(), 10_000);
        let times: Vec<String> = records.iter().map(|r| text(r, "recorded_at")).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
        assert!(times[0].starts_with("2025-03-01T"), "{}", times[0]);
        assert!(times[9_999].starts_with("2026-02-28T"), "{}", times[9_999]);
        let units: BTreeSet<String> = records.iter().map(|r| text(r, "unit")).collect();
        assert_eq!(units.len(), 50);
        assert!(units
            .iter()
            .all(|u| u.len() == 4 && u.as_str() >= "U001" && u.as_str() <= "U050"));
        let patients: BTreeSet<String> = records.iter().map(|r| text(r, "patient_id")).collect();
        assert_eq!(patients.len(), 4000);
        assert!(patients.contains("SYN-00000000") && patients.contains("SYN-00003999"));
        // New patients arrive all along the span, not all at its start.
        let first_half: BTreeSet<&str> = records[..5000]
            .iter()
            .map(|r| r["patient_id"].as_str().unwrap())
            .collect();
        assert!(
            (1900..=2100).contains(&first_half.len()),
            "{}",
            first_half.len()
        );
        for record in &records[..500] {
            let line = record.to_string();
            assert!(
                crate::record::Record::from_json(line.as_bytes()).is_ok(),
                "{line}"
            );
        }
        // Deterministic.
        let again: Vec<Value> = main_file().records(200).unwrap().collect();
        let other: Vec<Value> = main_file().records(200).unwrap().collect();
        assert_eq!(again, other);
    }

    #[test]
    fn most_new_versions_of_a_patient_change_nothing_or_one_field() {
        let mut last: BTreeMap<String, Value> = BTreeMap::new();
        let mut changes = [0usize; 5];
        for record in main_file().records(10_000).unwrap() {
            let id = text(&record, "patient_id");
            if let Some(before) = last.get(&id) {
                assert_eq!(before["unit"], record["unit"]);
                assert_eq!(before["birth_date"], record["birth_date"]);
                changes[changed(before, &record)] += 1;
            }
            last.insert(id, record);
        }
        let versions: usize = changes.iter().sum();
        assert_eq!(versions, 6000);
        let share = |n: usize| n as f64 / versions as f64;
        assert!(share(changes[0] + changes[1]) > 0.85, "{changes:?}");
        assert!(share(changes[0]) > 0.4, "{changes:?}");
        assert!(share(changes[1]) > 0.15, "{changes:?}");
    }

    #[test]
    fn a_follow_up_day_brings_back_the_same_patients() {
        let main = main_file();
        let mut last: BTreeMap<String, Value> = BTreeMap::new();
        for record in main.records(10_000).unwrap() {
            last.insert(text(&record, "patient_id"), record);
        }
        let follow_up = Timeline {
            after: Some(date("2026-02-28")),
            ..main.clone()
        };
        let records: Vec<Value> = follow_up.records(1000).unwrap().collect();
        let times: Vec<String> = records.iter().map(|r| text(r, "recorded_at")).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]));
        assert!(
            times.iter().all(|t| t.starts_with("2026-03-01T")),
            "{times:?}"
        );
        let (mut new, mut same) = (BTreeSet::new(), 0);
        for record in &records {
            let id = text(record, "patient_id");
            match last.get(&id) {
                Some(before) => {
                    assert_eq!(before["unit"], record["unit"]);
                    assert_eq!(before["birth_date"], record["birth_date"]);
                    same += usize::from(changed(before, record) == 0);
                }
                None => {
                    assert!(id.as_str() >= "SYN-00004000", "{id}");
                    new.insert(id);
                }
            }
        }
        assert!((50..=150).contains(&new.len()), "{}", new.len());
        assert!(same > 300, "{same}");
        // Without --patients there is no population to come back.
        let lone = Timeline {
            after: Some(date("2026-02-28")),
            ..Timeline::new(9)
        };
        assert!(lone.records(10).is_err());
    }
}
