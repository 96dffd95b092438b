//! Completeness over time: what the trend reads, kept up to date as records arrive.
//!
//! Each current state's statuses are a short code, a *combo* (`1` or `0` for REaL complete,
//! the first letter of each core domain's status in column order, then, after a space, the
//! optional domains' `domain:status` pairs). When a key's state changes on a day, that day
//! (`trend_days`) and its month (`trend_months`) count -1 for the combo it left and +1 for
//! the one it took. The sum of every change is the current counts (`report_counts`), so the
//! state as of the end of a day is the current counts minus the changes from that day on:
//! a trend reads the changes of its own periods, a few rows per unit, combo and period,
//! whatever the number of records.
//!
//! A record is the state of its key from its `recorded_at` until the key's next version.
//! Each current state keeps its key's [`Timeline`] (`current_state.versions`), so a record
//! posted late, older than the current state, counts from its own day until the version
//! after it, and re-validation can re-judge a past version where it stood.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Text};

use super::aggregates::{GroupBy, StatusGroup, Tally};
use super::connection::{Conn, DbConnection};
use super::counts::Group;
use super::schema::{trend_days, trend_months};
use super::StoreError;

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The day (since 1970-01-01, UTC) of an instant in microseconds.
pub fn day_of(at: i64) -> i64 {
    at.div_euclid(MICROS_PER_DAY)
}

/// The month (since 1970-01, UTC) of a day.
pub fn month_of_day(day: i64) -> i64 {
    let date = DateTime::from_timestamp(day.saturating_mul(86_400), 0)
        .unwrap_or_default()
        .date_naive();
    i64::from(date.year() - 1970) * 12 + i64::from(date.month0())
}

/// The first day of a month (both since the epoch, UTC).
pub fn first_day_of_month(month: i64) -> i64 {
    let year = i32::try_from(1970 + month.div_euclid(12)).unwrap_or(i32::MAX);
    let month0 = u32::try_from(month.rem_euclid(12)).unwrap_or(0);
    chrono::NaiveDate::from_ymd_opt(year, month0 + 1, 1)
        .map(|d| {
            d.signed_duration_since(chrono::NaiveDate::default())
                .num_days()
        })
        .unwrap_or(i64::MAX / MICROS_PER_DAY)
}

/// The statuses the core domains can have, by the first letter of their wire names.
const STATUSES: [&str; 6] = [
    "complete",
    "declined",
    "unknown",
    "not_asked",
    "missing",
    "invalid",
];

/// Who reported race and ethnicity (`pipeline::REPORTERS`), by the letter a combo gives
/// them after the statuses (`o` for `staff_observed`); a combo without one (stored before
/// reporters were kept) has none.
const REPORTER_LETTERS: [(char, &str); 6] = [
    ('s', "self"),
    ('c', "caregiver"),
    ('o', "staff_observed"),
    ('u', "unknown"),
    ('m', "mixed"),
    ('n', "not_recorded"),
];

/// A group's combo.
pub fn code(group: &Group<'_>) -> String {
    let mut code = String::with_capacity(9 + group.optional_domains.len());
    code.push(if group.real_complete { '1' } else { '0' });
    for status in [
        group.race,
        group.ethnicity,
        group.language,
        group.interpreter,
        group.caregivers,
        group.caregiver_language,
    ] {
        code.push(status.chars().next().unwrap_or('?'));
    }
    if let Some((letter, _)) = REPORTER_LETTERS
        .iter()
        .find(|(_, name)| *name == group.reported_by)
    {
        code.push(*letter);
    }
    if !group.optional_domains.is_empty() {
        code.push(' ');
        code.push_str(group.optional_domains);
    }
    code
}

/// A combo's patients in a unit, as the completeness report groups them (with no source
/// or profile).
fn status_group(unit: &str, combo: &str, patients: i64) -> Option<StatusGroup> {
    let (core, optional) = combo.split_once(' ').unwrap_or((combo, ""));
    let reported_by = match core.chars().nth(7) {
        None => "",
        Some(letter) => REPORTER_LETTERS.iter().find(|(l, _)| *l == letter)?.1,
    };
    let mut letters = core.chars();
    let real_complete = letters.next()? == '1';
    let mut status = || {
        let letter = letters.next()?;
        STATUSES
            .into_iter()
            .find(|s| s.starts_with(letter))
            .map(str::to_string)
    };
    Some(StatusGroup {
        unit: unit.to_string(),
        source: String::new(),
        reported_by: reported_by.to_string(),
        real_complete,
        race: status()?,
        ethnicity: status()?,
        language: status()?,
        interpreter: status()?,
        caregivers: status()?,
        caregiver_language: status()?,
        optional_domains: optional.to_string(),
        profile: String::new(),
        patients,
    })
}

/// One version of a key: from when it is the key's state, which record it is (the first
/// four bytes of its content hash; zero for a state from before timelines), its combo and
/// the rules fired on it (space-separated; empty for a past version kept before rules
/// were, see [`Timeline::read`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Its `recorded_at`.
    pub at: i64,
    /// The first bytes of its content hash.
    pub tag: [u8; 4],
    /// Its combo.
    pub combo: String,
    /// The rules fired on it, space-separated (the diff's findings).
    pub rules: String,
}

/// A key's versions in time order, one per `recorded_at` (a record no newer than one
/// already there is history only, as for the current state).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline(Vec<Version>);

/// The first bytes of a timeline kept with each version's rules (migration 000014). As the
/// first version's time it would be year 146,000 and later: no timeline from before
/// starts with it.
const WITH_RULES: [u8; 8] = [b'R', b'D', b'Q', b'T', 2, 0, 0, 0x7f];

impl Timeline {
    /// The timeline kept on a state (`versions`); an empty one (a state from before
    /// timelines, or none) is the state itself, when there is one. A timeline kept before
    /// rules were has none on its versions but the state's own, which are the state's.
    pub fn read(bytes: &[u8], state: Option<Version>) -> Timeline {
        let mut versions = Vec::new();
        let with_rules = bytes.starts_with(&WITH_RULES);
        let mut rest = if with_rules {
            &bytes[WITH_RULES.len()..]
        } else {
            bytes
        };
        while rest.len() >= 13 {
            let at = i64::from_le_bytes(rest[..8].try_into().expect("8 bytes"));
            let tag = rest[8..12].try_into().expect("4 bytes");
            let len = usize::from(rest[12]);
            let Some(combo) = rest.get(13..13 + len) else {
                break;
            };
            let combo = String::from_utf8_lossy(combo).into_owned();
            rest = &rest[13 + len..];
            let mut rules = String::new();
            if with_rules {
                let Some(len) = rest.get(..2) else {
                    break;
                };
                let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
                let Some(text) = rest.get(2..2 + len) else {
                    break;
                };
                rules = String::from_utf8_lossy(text).into_owned();
                rest = &rest[2 + len..];
            }
            versions.push(Version {
                at,
                tag,
                combo,
                rules,
            });
        }
        match state {
            None => {}
            Some(state) if versions.is_empty() => versions.push(state),
            Some(state) if !with_rules => {
                if let Some(v) = versions.iter_mut().find(|v| v.at == state.at) {
                    v.rules = state.rules;
                }
            }
            Some(_) => {}
        }
        Timeline(versions)
    }

    /// The bytes kept on the state: [`WITH_RULES`], then per version its time (8 bytes),
    /// tag (4), the combo's length (1) and the combo, the rules' length (2) and the rules.
    /// A lone version is the state itself, and is kept as nothing (most patients have one:
    /// their rows stay as narrow as before timelines).
    pub fn write(&self) -> Vec<u8> {
        if self.0.len() < 2 {
            return Vec::new();
        }
        let mut bytes = Vec::with_capacity(8 + self.0.len() * 48);
        bytes.extend_from_slice(&WITH_RULES);
        for v in &self.0 {
            let combo = &v.combo.as_bytes()[..v.combo.len().min(255)];
            let rules = &v.rules.as_bytes()[..v.rules.len().min(usize::from(u16::MAX))];
            bytes.extend_from_slice(&v.at.to_le_bytes());
            bytes.extend_from_slice(&v.tag);
            bytes.push(u8::try_from(combo.len()).unwrap_or(u8::MAX));
            bytes.extend_from_slice(combo);
            bytes.extend_from_slice(&u16::try_from(rules.len()).unwrap_or(u16::MAX).to_le_bytes());
            bytes.extend_from_slice(rules);
        }
        bytes
    }

    /// The versions, oldest first.
    pub fn versions(&self) -> &[Version] {
        &self.0
    }

    /// Adds a version and counts what it changes: from its day it replaces the version
    /// before it (if any), and on the day of the version after it (if any) that one takes
    /// over from it instead. False, with nothing changed, when a version already has its
    /// time.
    pub fn insert(
        &mut self,
        (unit, source): (&str, &str),
        version: Version,
        changes: &mut TrendChanges,
    ) -> bool {
        let at = version.at;
        let place = match self.0.binary_search_by_key(&at, |v| v.at) {
            Ok(_) => return false,
            Err(place) => place,
        };
        let day = day_of(at);
        if let Some(before) = place.checked_sub(1).map(|i| &self.0[i]) {
            changes.add((unit, source), day, &before.combo, -1);
        }
        changes.add((unit, source), day, &version.combo, 1);
        if let Some(after) = self.0.get(place) {
            let after_day = day_of(after.at);
            changes.add((unit, source), after_day, &version.combo, -1);
            if let Some(before) = place.checked_sub(1).map(|i| &self.0[i]) {
                changes.add((unit, source), after_day, &before.combo, 1);
            }
        }
        self.0.insert(place, version);
        true
    }

    /// The version at `at` re-judged to `combo` (re-validation), if it is the record
    /// tagged `tag` (or a version read from no bytes, the state itself: the caller knows
    /// whether the record is the state's): its days count the new combo
    /// instead of the old. Whether it was there.
    pub fn rejudge(
        &mut self,
        (unit, source): (&str, &str),
        at: i64,
        tag: [u8; 4],
        (combo, rules): (&str, &str),
        changes: &mut TrendChanges,
    ) -> bool {
        let Ok(place) = self.0.binary_search_by_key(&at, |v| v.at) else {
            return false;
        };
        let version = &self.0[place];
        if version.tag != tag && version.tag != [0; 4] {
            return false;
        }
        if version.combo != combo {
            let day = day_of(at);
            changes.add((unit, source), day, &version.combo, -1);
            changes.add((unit, source), day, combo, 1);
            if let Some(after) = self.0.get(place + 1) {
                let after_day = day_of(after.at);
                changes.add((unit, source), after_day, &version.combo, 1);
                changes.add((unit, source), after_day, combo, -1);
            }
        }
        self.0[place] = Version {
            at,
            tag,
            combo: combo.to_string(),
            rules: rules.to_string(),
        };
        true
    }
}

/// A trend row's key: period (day or month), unit, source, combo.
type RowKey = (i64, String, String, String);

/// The trend's changes from one transaction: patients by day, unit, source and combo.
#[derive(Debug, Default)]
pub struct TrendChanges {
    days: HashMap<RowKey, i64>,
}

impl TrendChanges {
    /// Counts `n` patients (+1 or -1) into `combo` of `(unit, source)` on `day`.
    pub fn add(&mut self, (unit, source): (&str, &str), day: i64, combo: &str, n: i64) {
        *self
            .days
            .entry((day, unit.to_string(), source.to_string(), combo.to_string()))
            .or_default() += n;
    }

    /// How many rows it would change.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }

    /// Writes the changes to the days and their months, in key order (concurrent writers on
    /// PostgreSQL then take the rows' locks in one order), one statement per table.
    pub fn apply(self, conn: &mut Conn<'_>) -> Result<(), DieselError> {
        let mut days: Vec<(RowKey, i64)> = self.days.into_iter().filter(|(_, n)| *n != 0).collect();
        if days.is_empty() {
            return Ok(());
        }
        days.sort_unstable();
        let mut months: HashMap<(i64, &str, &str, &str), i64> = HashMap::new();
        for ((day, unit, source, combo), n) in &days {
            *months
                .entry((month_of_day(*day), unit, source, combo))
                .or_default() += n;
        }
        let mut months: Vec<_> = months.into_iter().filter(|(_, n)| *n != 0).collect();
        months.sort_unstable();
        let days: Vec<Row<'_>> = days
            .iter()
            .map(|((d, u, s, c), n)| (*d, u.as_str(), s.as_str(), c.as_str(), *n))
            .collect();
        let months: Vec<Row<'_>> = months
            .into_iter()
            .map(|((m, u, s, c), n)| (m, u, s, c, n))
            .collect();
        upsert(conn, "trend_days", "day", &days)?;
        upsert(conn, "trend_months", "month", &months)
    }
}

/// A trend row: `(period, unit, source, combo, patients)`.
type Row<'a> = (i64, &'a str, &'a str, &'a str, i64);

/// Adds `(period, unit, source, combo, patients)` rows to a trend table.
fn upsert(
    conn: &mut Conn<'_>,
    table: &str,
    period: &str,
    rows: &[Row<'_>],
) -> Result<(), DieselError> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn.reborrow() {
        Conn::Sqlite(c) => {
            let json = serde_json::to_string(rows).expect("strings and numbers serialise");
            diesel::sql_query(format!(
                "INSERT INTO {table} ({period}, unit, source, combo, patients) \
                 SELECT k.value ->> 0, k.value ->> 1, k.value ->> 2, k.value ->> 3, \
                        k.value ->> 4 \
                 FROM json_each(?) AS k WHERE true \
                 ON CONFLICT ({period}, unit, source, combo) \
                 DO UPDATE SET patients = patients + excluded.patients"
            ))
            .bind::<Text, _>(json)
            .execute(c)?;
        }
        Conn::Pg(c) => {
            let periods: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let units: Vec<&str> = rows.iter().map(|r| r.1).collect();
            let sources: Vec<&str> = rows.iter().map(|r| r.2).collect();
            let combos: Vec<&str> = rows.iter().map(|r| r.3).collect();
            let patients: Vec<i64> = rows.iter().map(|r| r.4).collect();
            diesel::sql_query(format!(
                "INSERT INTO {table} ({period}, unit, source, combo, patients) \
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], \
                     $5::bigint[]) \
                 ON CONFLICT ({period}, unit, source, combo) \
                 DO UPDATE SET patients = {table}.patients + excluded.patients"
            ))
            .bind::<Array<BigInt>, _>(&periods)
            .bind::<Array<Text>, _>(&units)
            .bind::<Array<Text>, _>(&sources)
            .bind::<Array<Text>, _>(&combos)
            .bind::<Array<BigInt>, _>(&patients)
            .execute(c)?;
        }
    }
    Ok(())
}

/// Each group's tally (by `group_by`: unit, source or reporter) as of the end of each of
/// `ends` (days since the epoch, exclusive, ascending): the current counts less the
/// changes from each end on, walked back once from the latest end (each combo read back
/// once). `unit` and `scope` limit the units as in the completeness report.
pub fn as_of(
    conn: &mut DbConnection,
    ends: &[i64],
    unit: Option<&str>,
    scope: Option<&[String]>,
    group_by: GroupBy,
) -> Result<Vec<BTreeMap<String, Tally>>, StoreError> {
    Ok(now_and_as_of(conn, ends, unit, scope, group_by)?.1)
}

/// Each group's tally, by group.
pub type Tallies = BTreeMap<String, Tally>;

/// [`as_of`], and each group's tally now (the kept counts it starts from): the diff's two
/// instants from one read of the kept counts.
pub fn now_and_as_of(
    conn: &mut DbConnection,
    ends: &[i64],
    unit: Option<&str>,
    scope: Option<&[String]>,
    group_by: GroupBy,
) -> Result<(Tallies, Vec<Tallies>), StoreError> {
    let (Some(&first), Some(&last)) = (ends.first(), ends.last()) else {
        return Ok((BTreeMap::new(), Vec::new()));
    };
    let units: Option<Vec<String>> = match (unit, scope) {
        (Some(u), _) => Some(vec![u.to_string()]),
        (None, Some(scope)) => Some(scope.to_vec()),
        (None, None) => None,
    };
    // Now: each group's tally from the kept counts.
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    for g in super::aggregates::kept_groups(conn, unit, scope)? {
        let key = group_by.key(&g.unit, &g.source, &g.reported_by);
        tallies.entry(key.to_string()).or_default().add_group(&g);
    }
    let now = tallies.clone();
    // The changes from the first end on, as buckets `(first day, unit, source, combo,
    // patients)`: single days up to the end of the last end's month when an end falls
    // inside a month, whole months after.
    let all_month_starts = ends
        .iter()
        .all(|&e| first_day_of_month(month_of_day(e)) == e);
    let months_from = if all_month_starts {
        month_of_day(first)
    } else {
        month_of_day(last) + 1
    };
    type Bucket = (i64, String, String, String, i64);
    let mut buckets: Vec<Bucket> = Vec::new();
    {
        let mut query = trend_months::table
            .filter(trend_months::month.ge(months_from))
            .filter(trend_months::patients.ne(0))
            .select((
                trend_months::month,
                trend_months::unit,
                trend_months::source,
                trend_months::combo,
                trend_months::patients,
            ))
            .into_boxed();
        if let Some(units) = &units {
            query = query.filter(trend_months::unit.eq_any(units.clone()));
        }
        let rows: Vec<Bucket> = query.load(conn)?;
        buckets.extend(
            rows.into_iter()
                .map(|(month, u, s, c, n)| (first_day_of_month(month), u, s, c, n)),
        );
    }
    if !all_month_starts {
        let mut query = trend_days::table
            .filter(trend_days::day.ge(first))
            .filter(trend_days::day.lt(first_day_of_month(months_from)))
            .filter(trend_days::patients.ne(0))
            .select((
                trend_days::day,
                trend_days::unit,
                trend_days::source,
                trend_days::combo,
                trend_days::patients,
            ))
            .into_boxed();
        if let Some(units) = &units {
            query = query.filter(trend_days::unit.eq_any(units.clone()));
        }
        buckets.extend(query.load::<Bucket>(conn)?);
    }
    // Latest first: walking the ends back in time, each end's tallies are the next one's
    // less the changes from its day on. Each combo is decoded once.
    buckets.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
    let mut decoded: HashMap<String, Option<Decoded>> = HashMap::new();
    let mut next = buckets.into_iter().peekable();
    let mut out = vec![BTreeMap::new(); ends.len()];
    for (slot, &end) in out.iter_mut().zip(ends).rev() {
        while let Some((_, unit, source, combo, n)) = next.next_if(|b| b.0 >= end) {
            let decoded = decoded.entry(combo).or_insert_with_key(|c| decode(c));
            if let Some(d) = decoded {
                let key = group_by.key(&unit, &source, d.reported_by);
                let tally = match tallies.get_mut(key) {
                    Some(tally) => tally,
                    None => tallies.entry(key.to_string()).or_default(),
                };
                tally.add(d.real_complete, d.statuses.iter().copied(), -n);
            }
        }
        *slot = tallies.clone();
    }
    Ok((now, out))
}

/// A combo read back: REaL complete, and its `(domain, status index)` pairs.
#[derive(Debug, Clone)]
struct Decoded {
    real_complete: bool,
    reported_by: &'static str,
    statuses: Vec<(&'static str, usize)>,
}

/// Reads a combo (`code`); none for one that is not a combo.
fn decode(combo: &str) -> Option<Decoded> {
    let group = status_group("", combo, 0)?;
    let statuses = group
        .statuses()
        .into_iter()
        .chain(group.optional_statuses())
        .filter_map(|(d, s)| {
            Some((
                super::aggregates::domain_name(d)?,
                super::aggregates::status_index(s)?,
            ))
        })
        .collect();
    let reported_by = REPORTER_LETTERS
        .iter()
        .find(|(_, name)| *name == group.reported_by)
        .map_or("", |(_, name)| *name);
    Some(Decoded {
        real_complete: group.real_complete,
        reported_by,
        statuses,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: (&str, &str) = ("ED", "adt");

    fn version(at_day: i64, combo: &str) -> Version {
        Version {
            at: at_day * MICROS_PER_DAY + 1,
            tag: [1, 2, 3, 4],
            combo: combo.to_string(),
            rules: String::new(),
        }
    }

    fn changes(c: &TrendChanges) -> Vec<(i64, String, i64)> {
        let mut v: Vec<_> = c
            .days
            .iter()
            .filter(|(_, n)| **n != 0)
            .map(|((d, _, _, c), n)| (*d, c.clone(), *n))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_timeline_reads_back_what_it_wrote() {
        let mut t = Timeline::default();
        let mut c = TrendChanges::default();
        assert!(t.insert(ED, version(10, "1cccccc"), &mut c));
        assert!(t.insert(ED, version(20, "0mcccnn sogi:missing"), &mut c));
        assert_eq!(Timeline::read(&t.write(), None), t);
        assert_eq!(
            Timeline::read(b"", Some(version(3, "x"))).versions().len(),
            1
        );
    }

    #[test]
    fn a_late_version_counts_between_its_neighbours() {
        let mut t = Timeline::default();
        let mut c = TrendChanges::default();
        t.insert(ED, version(10, "A"), &mut c);
        t.insert(ED, version(30, "C"), &mut c);
        let mut late = TrendChanges::default();
        assert!(t.insert(ED, version(20, "B"), &mut late));
        // From day 20, B instead of A; on day 30, C takes over from B instead of from A.
        assert_eq!(
            changes(&late),
            vec![
                (20, "A".into(), -1),
                (20, "B".into(), 1),
                (30, "A".into(), 1),
                (30, "B".into(), -1)
            ]
        );
        // The same time again changes nothing.
        let mut again = TrendChanges::default();
        assert!(!t.insert(ED, version(20, "Z"), &mut again));
        assert!(changes(&again).is_empty());
        // Older than every version: it counts until the first (which counted from its
        // own day already).
        let mut first = TrendChanges::default();
        t.insert(ED, version(5, "E"), &mut first);
        assert_eq!(
            changes(&first),
            vec![(5, "E".into(), 1), (10, "E".into(), -1)]
        );
    }

    #[test]
    fn rejudging_a_version_moves_its_days_to_the_new_combo() {
        let mut t = Timeline::default();
        let mut c = TrendChanges::default();
        t.insert(ED, version(10, "A"), &mut c);
        t.insert(ED, version(30, "C"), &mut c);
        let mut re = TrendChanges::default();
        assert!(t.rejudge(
            ED,
            10 * MICROS_PER_DAY + 1,
            [1, 2, 3, 4],
            ("B", ""),
            &mut re
        ));
        assert_eq!(
            changes(&re),
            vec![
                (10, "A".into(), -1),
                (10, "B".into(), 1),
                (30, "A".into(), 1),
                (30, "B".into(), -1)
            ]
        );
        // Another record at the same time is not that version.
        assert!(!t.rejudge(
            ED,
            30 * MICROS_PER_DAY + 1,
            [9, 9, 9, 9],
            ("D", ""),
            &mut re
        ));
    }

    #[test]
    fn months_and_days_agree() {
        assert_eq!(month_of_day(0), 0);
        assert_eq!(first_day_of_month(0), 0);
        // 2026-03-01 is day 20513.
        assert_eq!(first_day_of_month(month_of_day(20_513)), 20_513);
        assert_eq!(month_of_day(20_512), (2026 - 1970) * 12 + 1);
        assert_eq!(day_of(-1), -1);
        assert_eq!(month_of_day(-1), -1);
    }

    #[test]
    fn a_combo_reads_back_as_the_group() {
        let group = Group {
            unit: "ED",
            source: "adt",
            reported_by: "staff_observed",
            real_complete: false,
            race: "complete",
            ethnicity: "declined",
            language: "unknown",
            interpreter: "not_asked",
            caregivers: "missing",
            caregiver_language: "invalid",
            optional_domains: "sogi:missing",
            profile: "p@1",
        };
        let combo = code(&group);
        assert_eq!(combo, "0cdunmio sogi:missing");
        let back = status_group("ED", &combo, 3).unwrap();
        assert_eq!(
            (back.race.as_str(), back.caregiver_language.as_str()),
            ("complete", "invalid")
        );
        assert_eq!(back.optional_domains, "sogi:missing");
        assert_eq!(back.reported_by, "staff_observed");
        // A combo from before reporters were kept has none.
        let old = status_group("ED", "0cdunmi sogi:missing", 3).unwrap();
        assert_eq!(
            (old.reported_by.as_str(), old.race.as_str()),
            ("", "complete")
        );
        assert_eq!(
            GroupBy::ReportedBy.key("ED", "adt", &old.reported_by),
            crate::store::aggregates::REPORTER_NOT_KEPT
        );
    }
}
