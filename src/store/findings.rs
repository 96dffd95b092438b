//! Findings over time, what the diff reads (`GET /v1/reports/diff`), kept up to date as
//! records arrive.
//!
//! A key's rule is a *finding* over the days its patient's state has it: a [`Span`] from
//! the day a version first has it to the day a version no longer does (states as of the
//! end of each day, from the key's [`Timeline`], late records and re-validation included).
//! Two counts of spans are kept per unit and rule, by day (`finding_days`) and by month
//! (`finding_months`), in one row (a write changes one row per day, unit and rule):
//! - `net`: on the day a span starts, +1; on the day it ends, -1. The patients with the
//!   finding at the start of a day are the current ones less the changes from that day on.
//! - `open_now`: the spans still open (today's findings) by the day they started. Those
//!   started on or after a day are the findings new since then.
//!
//! So the diff since a day reads the rows from that day on, per unit and rule, whatever the
//! number of records. When a key's timeline changes, its spans before and after are
//! compared and only the difference is counted.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Text};

use super::connection::{Conn, DbConnection};
use super::schema::{finding_days, finding_months};
use super::trend::{day_of, first_day_of_month, month_of_day, Version};
use super::StoreError;

/// One finding of a key: a rule from the day it starts until the day it ends (none: still
/// there).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    /// The rule.
    pub rule: String,
    /// The first day whose end has it (days since the epoch, UTC).
    pub start: i64,
    /// The first day whose end no longer has it.
    pub end: Option<i64>,
}

/// A key's spans, from its versions (oldest first): the state at the end of each day is the
/// day's last version.
pub fn spans(versions: &[Version]) -> Vec<Span> {
    let mut open: HashMap<&str, i64> = HashMap::new();
    let mut done = Vec::new();
    let mut i = 0;
    while i < versions.len() {
        let day = day_of(versions[i].at);
        // The day's last version.
        while versions.get(i + 1).is_some_and(|v| day_of(v.at) == day) {
            i += 1;
        }
        let rules: Vec<&str> = versions[i].rules.split_whitespace().collect();
        open.retain(|rule, start| {
            let stays = rules.contains(rule);
            if !stays {
                done.push(Span {
                    rule: (*rule).to_string(),
                    start: *start,
                    end: Some(day),
                });
            }
            stays
        });
        for rule in rules {
            open.entry(rule).or_insert(day);
        }
        i += 1;
    }
    done.extend(open.into_iter().map(|(rule, start)| Span {
        rule: rule.to_string(),
        start,
        end: None,
    }));
    done.sort_unstable();
    done
}

/// A row's key: day, unit, rule.
type RowKey = (i64, String, String);

/// The changes one transaction makes to the kept spans: `(net, open_now)` by row.
#[derive(Debug, Default)]
pub struct FindingChanges {
    days: HashMap<RowKey, (i64, i64)>,
}

impl FindingChanges {
    /// Counts a key of `unit` going from spans `before` to `after` (both sorted).
    pub fn replace(&mut self, unit: &str, before: &[Span], after: &[Span]) {
        let (mut b, mut a) = (before.iter().peekable(), after.iter().peekable());
        loop {
            match (b.peek(), a.peek()) {
                (None, None) => break,
                (Some(x), Some(y)) if x == y => {
                    b.next();
                    a.next();
                }
                (Some(x), Some(y)) if x < y => {
                    self.span(unit, x, -1);
                    b.next();
                }
                (Some(x), None) => {
                    self.span(unit, x, -1);
                    b.next();
                }
                (_, Some(y)) => {
                    self.span(unit, y, 1);
                    a.next();
                }
            }
        }
    }

    fn span(&mut self, unit: &str, span: &Span, sign: i64) {
        let mut add = |day: i64, net: i64, open: i64| {
            let row = self
                .days
                .entry((day, unit.to_string(), span.rule.clone()))
                .or_default();
            row.0 += net;
            row.1 += open;
        };
        match span.end {
            Some(end) => {
                add(span.start, sign, 0);
                add(end, -sign, 0);
            }
            None => add(span.start, sign, sign),
        }
    }

    /// Writes the changes to the days and their months, in key order, one statement per
    /// table (as the trend's).
    pub fn apply(self, conn: &mut Conn<'_>) -> Result<(), DieselError> {
        let mut days: Vec<(RowKey, (i64, i64))> = self
            .days
            .into_iter()
            .filter(|(_, n)| *n != (0, 0))
            .collect();
        if days.is_empty() {
            return Ok(());
        }
        days.sort_unstable();
        let mut months: HashMap<(i64, &str, &str), (i64, i64)> = HashMap::new();
        for ((day, unit, rule), (net, open)) in &days {
            let row = months.entry((month_of_day(*day), unit, rule)).or_default();
            row.0 += net;
            row.1 += open;
        }
        let mut months: Vec<_> = months.into_iter().filter(|(_, n)| *n != (0, 0)).collect();
        months.sort_unstable();
        let days: Vec<Row<'_>> = days
            .iter()
            .map(|((d, u, r), (net, open))| (*d, u.as_str(), r.as_str(), *net, *open))
            .collect();
        let months: Vec<Row<'_>> = months
            .into_iter()
            .map(|((m, u, r), (net, open))| (m, u, r, net, open))
            .collect();
        upsert(conn, "finding_days", "day", &days)?;
        upsert(conn, "finding_months", "month", &months)
    }
}

/// A row: `(period, unit, rule, net, open_now)`.
type Row<'a> = (i64, &'a str, &'a str, i64, i64);

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
                "INSERT INTO {table} ({period}, unit, rule, net, open_now) \
                 SELECT k.value ->> 0, k.value ->> 1, k.value ->> 2, k.value ->> 3, \
                        k.value ->> 4 \
                 FROM json_each(?) AS k WHERE true \
                 ON CONFLICT ({period}, unit, rule) \
                 DO UPDATE SET net = net + excluded.net, \
                               open_now = open_now + excluded.open_now"
            ))
            .bind::<Text, _>(json)
            .execute(c)?;
        }
        Conn::Pg(c) => {
            let periods: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let units: Vec<&str> = rows.iter().map(|r| r.1).collect();
            let rules: Vec<&str> = rows.iter().map(|r| r.2).collect();
            let nets: Vec<i64> = rows.iter().map(|r| r.3).collect();
            let opens: Vec<i64> = rows.iter().map(|r| r.4).collect();
            diesel::sql_query(format!(
                "INSERT INTO {table} ({period}, unit, rule, net, open_now) \
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], \
                     $5::bigint[]) \
                 ON CONFLICT ({period}, unit, rule) \
                 DO UPDATE SET net = {table}.net + excluded.net, \
                               open_now = {table}.open_now + excluded.open_now"
            ))
            .bind::<Array<BigInt>, _>(&periods)
            .bind::<Array<Text>, _>(&units)
            .bind::<Array<Text>, _>(&rules)
            .bind::<Array<BigInt>, _>(&nets)
            .bind::<Array<BigInt>, _>(&opens)
            .execute(c)?;
        }
    }
    Ok(())
}

/// One unit and rule of the diff since a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleChange {
    /// Unit.
    pub unit: String,
    /// Rule.
    pub rule: String,
    /// Findings then.
    pub then: i64,
    /// Findings now.
    pub now: i64,
    /// Now but not then, or come back since (a span started on or after the day).
    pub new: i64,
    /// Then but not now (or gone and come back since).
    pub resolved: i64,
    /// Then and now, throughout.
    pub persisting: i64,
}

/// Per unit and rule, the findings since the start of day `from`: the current ones (kept
/// rule counts) less the changes from that day on, and the current ones started since.
/// `unit` and `scope` limit the units as in the completeness report. Units and rules with
/// no finding then or now are left out.
pub fn since(
    conn: &mut DbConnection,
    from: i64,
    unit: Option<&str>,
    scope: Option<&[String]>,
) -> Result<Vec<RuleChange>, StoreError> {
    let units: Option<Vec<String>> = match (unit, scope) {
        (Some(u), _) => Some(vec![u.to_string()]),
        (None, Some(scope)) => Some(scope.to_vec()),
        (None, None) => None,
    };
    // (then, now, new) by unit and rule.
    let mut counts: HashMap<(String, String), (i64, i64, i64)> = HashMap::new();
    // Now: the kept rule counts (by unit, source and reporter), added up by unit.
    for (unit, _, _, rule, n) in super::aggregates::kept_rules(conn, unit, scope)? {
        let c = counts.entry((unit, rule)).or_default();
        c.0 += n;
        c.1 += n;
    }
    // The changes from `from` on: its month's days from it, whole months after (or whole
    // months from its own when it is a month's first day).
    let month = month_of_day(from);
    let months_from = if first_day_of_month(month) == from {
        month
    } else {
        month + 1
    };
    type Found = (String, String, i64, i64);
    let mut rows: Vec<Found> = Vec::new();
    {
        let mut query = finding_months::table
            .filter(finding_months::month.ge(months_from))
            .select((
                finding_months::unit,
                finding_months::rule,
                finding_months::net,
                finding_months::open_now,
            ))
            .into_boxed();
        if let Some(units) = &units {
            query = query.filter(finding_months::unit.eq_any(units.clone()));
        }
        rows.extend(query.load::<Found>(conn)?);
    }
    if months_from > month {
        let mut query = finding_days::table
            .filter(finding_days::day.ge(from))
            .filter(finding_days::day.lt(first_day_of_month(months_from)))
            .select((
                finding_days::unit,
                finding_days::rule,
                finding_days::net,
                finding_days::open_now,
            ))
            .into_boxed();
        if let Some(units) = &units {
            query = query.filter(finding_days::unit.eq_any(units.clone()));
        }
        rows.extend(query.load::<Found>(conn)?);
    }
    for (unit, rule, net, open) in rows {
        if (net, open) == (0, 0) {
            continue;
        }
        let c = counts.entry((unit, rule)).or_default();
        c.0 -= net;
        c.2 += open;
    }
    let mut out: Vec<RuleChange> = counts
        .into_iter()
        .filter(|(_, (then, now, _))| *then != 0 || *now != 0)
        .map(|((unit, rule), (then, now, new))| {
            let persisting = now - new;
            RuleChange {
                unit,
                rule,
                then,
                now,
                new,
                resolved: then - persisting,
                persisting,
            }
        })
        .collect();
    out.sort_unstable_by(|a, b| (&a.unit, &a.rule).cmp(&(&b.unit, &b.rule)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::trend::MICROS_PER_DAY;

    fn v(day: i64, hour: i64, rules: &str) -> Version {
        Version {
            at: day * MICROS_PER_DAY + hour * 3_600_000_000,
            tag: [0; 4],
            combo: String::new(),
            rules: rules.to_string(),
        }
    }

    fn span(rule: &str, start: i64, end: Option<i64>) -> Span {
        Span {
            rule: rule.into(),
            start,
            end,
        }
    }

    #[test]
    fn spans_follow_the_state_at_each_days_end() {
        let versions = [
            v(10, 1, "A B"),
            v(12, 1, "B"),
            // Gone and back on one day: the day's end has it, so the span goes on.
            v(14, 1, "C"),
            v(14, 2, "B C"),
            v(20, 1, "A"),
        ];
        assert_eq!(
            spans(&versions),
            vec![
                span("A", 10, Some(12)),
                span("A", 20, None),
                span("B", 10, Some(20)),
                span("C", 14, Some(20)),
            ]
        );
        assert!(spans(&[]).is_empty());
    }

    #[test]
    fn a_changed_timeline_counts_only_its_difference() {
        let before = spans(&[v(10, 1, "A"), v(20, 1, "")]);
        let after = spans(&[v(10, 1, "A"), v(15, 1, "A B"), v(20, 1, "")]);
        let mut changes = FindingChanges::default();
        changes.replace("ED", &before, &after);
        let mut rows: Vec<_> = changes
            .days
            .iter()
            .filter(|(_, n)| **n != (0, 0))
            .map(|((d, _, r), n)| (*d, r.clone(), *n))
            .collect();
        rows.sort();
        // A is unchanged; B is found from day 15 to day 20.
        assert_eq!(
            rows,
            vec![(15, "B".into(), (1, 0)), (20, "B".into(), (-1, 0))]
        );
        // A new key: its open findings count as open from their day.
        let mut new = FindingChanges::default();
        new.replace("ED", &[], &spans(&[v(30, 1, "C")]));
        let rows: Vec<_> = new.days.iter().map(|(k, n)| (k.0, *n)).collect();
        assert_eq!(rows, vec![(30, (1, 1))]);
    }
}
