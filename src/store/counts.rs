//! The completeness report's counts, kept up to date as records arrive: patients by unit,
//! source, reporter and combination of statuses (`report_counts`) and by unit, source,
//! reporter and rule (`rule_counts`): a report by any of the three (`group_by`) adds up the
//! same rows.
//! Every chunk that changes current states adds its changes here in the same transaction,
//! so the report reads a few rows per unit whatever the number of patients, and is never
//! out of step with the states it counts (`real-dq revalidate` moves them the same way).
//! `rebuild` recounts everything from the current states: a test proves the kept counts
//! equal to it after replaced, historical and duplicate records.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Bool, Text};

use super::connection::{Conn, DbConnection};
use super::schema::{answer_counts, report_counts, rule_counts};

/// One unit's combination of statuses, as the report groups patients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Group<'a> {
    /// Unit.
    pub unit: &'a str,
    /// Sending system.
    pub source: &'a str,
    /// Who reported race and ethnicity (`pipeline::reported_by`; empty: not kept).
    pub reported_by: &'a str,
    /// REaL complete.
    pub real_complete: bool,
    /// Race status.
    pub race: &'a str,
    /// Ethnicity status.
    pub ethnicity: &'a str,
    /// Language status.
    pub language: &'a str,
    /// Interpreter status.
    pub interpreter: &'a str,
    /// Caregivers status.
    pub caregivers: &'a str,
    /// Caregiver language status.
    pub caregiver_language: &'a str,
    /// Optional domains, `domain:status` space-separated.
    pub optional_domains: &'a str,
    /// Profile ID.
    pub profile: &'a str,
}

/// A rule's counter: unit, source, reporter, rule.
type RuleKey<'a> = (&'a str, &'a str, &'a str, &'a str);

/// What a chunk changes in the counts: a patient counted in a group and in the rules
/// fired on it (+1), or no longer (-1).
#[derive(Debug, Default)]
pub struct Deltas<'a> {
    groups: HashMap<Group<'a>, i64>,
    rules: HashMap<RuleKey<'a>, i64>,
    answers: HashMap<(&'a str, &'a str), i64>,
}

impl<'a> Deltas<'a> {
    /// Counts (`sign` +1) or uncounts (-1) a patient in `group` with `rules` fired.
    pub fn add(&mut self, group: Group<'a>, rules: impl Iterator<Item = &'a str>, sign: i64) {
        *self.groups.entry(group).or_default() += sign;
        for rule in rules {
            *self
                .rules
                .entry((group.unit, group.source, group.reported_by, rule))
                .or_default() += sign;
        }
    }

    /// Counts (`sign` +1) or uncounts (-1) a patient of `unit` with `answers` (the
    /// distribution's: `pipeline::answers`).
    pub fn answers(&mut self, unit: &'a str, answers: impl Iterator<Item = &'a str>, sign: i64) {
        for answer in answers {
            *self.answers.entry((unit, answer)).or_default() += sign;
        }
    }

    /// Writes the changes, in key order (so that concurrent writers on PostgreSQL take the
    /// counters' row locks in one order and never deadlock each other): on SQLite one
    /// cached upsert per counter (in process, about as cheap as a row), on PostgreSQL one
    /// statement per table over arrays (a round trip per counter would cost more than
    /// the rest of the chunk's writes).
    pub fn apply(self, conn: &mut Conn<'_>) -> Result<(), DieselError> {
        let mut groups: Vec<_> = self.groups.into_iter().filter(|(_, n)| *n != 0).collect();
        groups.sort_unstable();
        let mut rules: Vec<_> = self.rules.into_iter().filter(|(_, n)| *n != 0).collect();
        rules.sort_unstable();
        let mut answers: Vec<_> = self.answers.into_iter().filter(|(_, n)| *n != 0).collect();
        answers.sort_unstable();
        match conn.reborrow() {
            Conn::Pg(c) => {
                apply_pg(c, &groups, &rules)?;
                pairs_pg(c, "answer_counts", "answer", &answers)
            }
            Conn::Sqlite(c) => {
                apply_sqlite(c, &groups, &rules)?;
                answers_sqlite(c, &answers)
            }
        }
    }
}

/// A look-up of the counter and an `INSERT OR REPLACE` of its new value: diesel caches
/// neither an UPDATE nor an upsert (it parses one anew per counter: 10% of ingest's time
/// with 200 units), but caches these two, of owned values, once per connection.
fn apply_sqlite(
    c: &mut SqliteConnection,
    groups: &[(Group<'_>, i64)],
    rules: &[(RuleKey<'_>, i64)],
) -> Result<(), DieselError> {
    for (g, patients) in groups {
        let now: Option<i64> = report_counts::table
            .filter(report_counts::unit.eq(g.unit.to_owned()))
            .filter(report_counts::source.eq(g.source.to_owned()))
            .filter(report_counts::reported_by.eq(g.reported_by.to_owned()))
            .filter(report_counts::real_complete.eq(g.real_complete))
            .filter(report_counts::race.eq(g.race.to_owned()))
            .filter(report_counts::ethnicity.eq(g.ethnicity.to_owned()))
            .filter(report_counts::language.eq(g.language.to_owned()))
            .filter(report_counts::interpreter.eq(g.interpreter.to_owned()))
            .filter(report_counts::caregivers.eq(g.caregivers.to_owned()))
            .filter(report_counts::caregiver_language.eq(g.caregiver_language.to_owned()))
            .filter(report_counts::optional_domains.eq(g.optional_domains.to_owned()))
            .filter(report_counts::profile.eq(g.profile.to_owned()))
            .select(report_counts::patients)
            .first(c)
            .optional()?;
        diesel::replace_into(report_counts::table)
            .values((
                report_counts::unit.eq(g.unit.to_owned()),
                report_counts::source.eq(g.source.to_owned()),
                report_counts::reported_by.eq(g.reported_by.to_owned()),
                report_counts::real_complete.eq(g.real_complete),
                report_counts::race.eq(g.race.to_owned()),
                report_counts::ethnicity.eq(g.ethnicity.to_owned()),
                report_counts::language.eq(g.language.to_owned()),
                report_counts::interpreter.eq(g.interpreter.to_owned()),
                report_counts::caregivers.eq(g.caregivers.to_owned()),
                report_counts::caregiver_language.eq(g.caregiver_language.to_owned()),
                report_counts::optional_domains.eq(g.optional_domains.to_owned()),
                report_counts::profile.eq(g.profile.to_owned()),
                report_counts::patients.eq(now.unwrap_or(0) + patients),
            ))
            .execute(c)?;
    }
    for ((unit, source, reported_by, rule), patients) in rules {
        let now: Option<i64> = rule_counts::table
            .filter(rule_counts::unit.eq(unit.to_string()))
            .filter(rule_counts::source.eq(source.to_string()))
            .filter(rule_counts::reported_by.eq(reported_by.to_string()))
            .filter(rule_counts::rule.eq(rule.to_string()))
            .select(rule_counts::patients)
            .first(c)
            .optional()?;
        diesel::replace_into(rule_counts::table)
            .values((
                rule_counts::unit.eq(unit.to_string()),
                rule_counts::source.eq(source.to_string()),
                rule_counts::reported_by.eq(reported_by.to_string()),
                rule_counts::rule.eq(rule.to_string()),
                rule_counts::patients.eq(now.unwrap_or(0) + patients),
            ))
            .execute(c)?;
    }
    Ok(())
}

fn apply_pg(
    c: &mut PgConnection,
    groups: &[(Group<'_>, i64)],
    rules: &[(RuleKey<'_>, i64)],
) -> Result<(), DieselError> {
    if !groups.is_empty() {
        let text = |f: for<'g> fn(&'g Group<'_>) -> &'g str| -> Vec<&str> {
            groups.iter().map(|(g, _)| f(g)).collect::<Vec<_>>()
        };
        let complete: Vec<bool> = groups.iter().map(|(g, _)| g.real_complete).collect();
        let patients: Vec<i64> = groups.iter().map(|(_, n)| *n).collect();
        // The keys are distinct (they come from a map), so no row is updated twice.
        diesel::sql_query(
            "INSERT INTO report_counts AS t \
             (unit, source, reported_by, real_complete, race, ethnicity, language, \
                 interpreter, caregivers, caregiver_language, optional_domains, profile, \
                 patients) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], \
                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
                 $11::text[], $12::text[], $13::bigint[]) \
             ON CONFLICT (unit, source, reported_by, real_complete, race, ethnicity, \
                 language, interpreter, caregivers, caregiver_language, optional_domains, \
                 profile) \
             DO UPDATE SET patients = t.patients + excluded.patients",
        )
        .bind::<Array<Text>, _>(text(|g| g.unit))
        .bind::<Array<Text>, _>(text(|g| g.source))
        .bind::<Array<Text>, _>(text(|g| g.reported_by))
        .bind::<Array<Bool>, _>(complete)
        .bind::<Array<Text>, _>(text(|g| g.race))
        .bind::<Array<Text>, _>(text(|g| g.ethnicity))
        .bind::<Array<Text>, _>(text(|g| g.language))
        .bind::<Array<Text>, _>(text(|g| g.interpreter))
        .bind::<Array<Text>, _>(text(|g| g.caregivers))
        .bind::<Array<Text>, _>(text(|g| g.caregiver_language))
        .bind::<Array<Text>, _>(text(|g| g.optional_domains))
        .bind::<Array<Text>, _>(text(|g| g.profile))
        .bind::<Array<BigInt>, _>(patients)
        .execute(c)?;
    }
    if !rules.is_empty() {
        let units: Vec<&str> = rules.iter().map(|(k, _)| k.0).collect();
        let sources: Vec<&str> = rules.iter().map(|(k, _)| k.1).collect();
        let reporters: Vec<&str> = rules.iter().map(|(k, _)| k.2).collect();
        let ids: Vec<&str> = rules.iter().map(|(k, _)| k.3).collect();
        let patients: Vec<i64> = rules.iter().map(|(_, n)| *n).collect();
        diesel::sql_query(
            "INSERT INTO rule_counts AS t (unit, source, reported_by, rule, patients) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
                 $5::bigint[]) \
             ON CONFLICT (unit, source, reported_by, rule) \
             DO UPDATE SET patients = t.patients + excluded.patients",
        )
        .bind::<Array<Text>, _>(units)
        .bind::<Array<Text>, _>(sources)
        .bind::<Array<Text>, _>(reporters)
        .bind::<Array<Text>, _>(ids)
        .bind::<Array<BigInt>, _>(patients)
        .execute(c)?;
    }
    Ok(())
}

/// The answers' counters on SQLite, as the rules' (a cached look-up and replace each).
fn answers_sqlite(
    c: &mut SqliteConnection,
    answers: &[((&str, &str), i64)],
) -> Result<(), DieselError> {
    for ((unit, answer), patients) in answers {
        let now: Option<i64> = answer_counts::table
            .filter(answer_counts::unit.eq(unit.to_string()))
            .filter(answer_counts::answer.eq(answer.to_string()))
            .select(answer_counts::patients)
            .first(c)
            .optional()?;
        diesel::replace_into(answer_counts::table)
            .values((
                answer_counts::unit.eq(unit.to_string()),
                answer_counts::answer.eq(answer.to_string()),
                answer_counts::patients.eq(now.unwrap_or(0) + patients),
            ))
            .execute(c)?;
    }
    Ok(())
}

/// A `(unit, key)` counter table on PostgreSQL: one upsert over arrays.
fn pairs_pg(
    c: &mut PgConnection,
    table: &str,
    column: &str,
    pairs: &[((&str, &str), i64)],
) -> Result<(), DieselError> {
    if pairs.is_empty() {
        return Ok(());
    }
    let units: Vec<&str> = pairs.iter().map(|((unit, _), _)| *unit).collect();
    let keys: Vec<&str> = pairs.iter().map(|((_, key), _)| *key).collect();
    let patients: Vec<i64> = pairs.iter().map(|(_, n)| *n).collect();
    diesel::sql_query(format!(
        "INSERT INTO {table} AS t \
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) \
         ON CONFLICT (unit, {column}) DO UPDATE SET patients = t.patients + excluded.patients"
    ))
    .bind::<Array<Text>, _>(units)
    .bind::<Array<Text>, _>(keys)
    .bind::<Array<BigInt>, _>(patients)
    .execute(c)?;
    Ok(())
}

/// Recounts everything from the current states (the rules fired are a space-separated
/// list on each, counted here, the same way on both backends).
pub fn rebuild(conn: &mut DbConnection) -> Result<(), DieselError> {
    use super::schema::current_state;
    type Owned = (String, String, String, String);
    let mut rules: HashMap<Owned, i64> = HashMap::new();
    let mut answers: HashMap<(String, String), i64> = HashMap::new();
    let states: Vec<(String, String, String, String, String)> = current_state::table
        .select((
            current_state::unit,
            current_state::source,
            current_state::reported_by,
            current_state::rules,
            current_state::answers,
        ))
        .load(conn)?;
    for (unit, source, reported_by, fired, answered) in &states {
        for rule in fired.split_whitespace() {
            let key = (
                unit.clone(),
                source.clone(),
                reported_by.clone(),
                rule.into(),
            );
            *rules.entry(key).or_default() += 1;
        }
        for answer in answered.split_whitespace() {
            *answers
                .entry((unit.clone(), answer.to_string()))
                .or_default() += 1;
        }
    }
    conn.batch_execute(
        "DELETE FROM report_counts;
         INSERT INTO report_counts (unit, source, reported_by, real_complete, race,
                 ethnicity, language, interpreter, caregivers, caregiver_language,
                 optional_domains, profile, patients)
             SELECT unit, source, reported_by, real_complete, race, ethnicity, language,
                    interpreter, caregivers, caregiver_language, optional_domains, profile,
                    count(*)
             FROM current_state
             GROUP BY unit, source, reported_by, real_complete, race, ethnicity, language,
                      interpreter, caregivers, caregiver_language, optional_domains, profile;
         DELETE FROM rule_counts;
         DELETE FROM answer_counts;",
    )?;
    let mut answers: Vec<_> = answers.into_iter().collect();
    answers.sort_unstable();
    let rows: Vec<_> = answers
        .iter()
        .map(|((unit, answer), patients)| {
            (
                answer_counts::unit.eq(unit),
                answer_counts::answer.eq(answer),
                answer_counts::patients.eq(patients),
            )
        })
        .collect();
    for row in rows.chunks(500) {
        crate::on_backend!(conn, |c| diesel::insert_into(answer_counts::table)
            .values(row)
            .execute(c))?;
    }
    let mut rules: Vec<_> = rules.into_iter().collect();
    rules.sort_unstable();
    let rows: Vec<_> = rules
        .iter()
        .map(|((unit, source, reported_by, rule), patients)| {
            (
                rule_counts::unit.eq(unit),
                rule_counts::source.eq(source),
                rule_counts::reported_by.eq(reported_by),
                rule_counts::rule.eq(rule),
                rule_counts::patients.eq(patients),
            )
        })
        .collect();
    for row in rows.chunks(500) {
        crate::on_backend!(conn, |c| diesel::insert_into(rule_counts::table)
            .values(row)
            .execute(c))?;
    }
    Ok(())
}
