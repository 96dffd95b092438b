//! The write path's statements, forked by backend where the backends differ: SQLite takes
//! multi-row INSERTs and cheap single-row statements (no round trip), PostgreSQL takes
//! `COPY ... FROM STDIN BINARY` and set-based statements over arrays (one round trip each).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::query_builder::{AstPass, InsertStatement, QueryFragment};
use diesel::result::Error as DieselError;
use diesel::sql_types::{Array, BigInt, Binary, Text};
use diesel::sqlite::Sqlite;

use super::connection::Conn;
use super::models::{NewCurrentState, NewRecord};
use super::schema::{current_state, records};

/// Rows per multi-row statement on SQLite: at 16 columns, 1,024 bound values.
const ROWS_PER_STATEMENT: usize = 64;

/// Inserts rows on SQLite in statements of [`ROWS_PER_STATEMENT`] rows, so that the
/// statement is prepared once and cached by diesel (a fixed-size array of rows has a static
/// query ID; a vector has none, and re-parsing a 1,000-row statement per chunk cost 7% of
/// ingest): whole groups as arrays, the rest row by row (a cached one-row statement).
/// Tuples of `column.eq(value)`, not the derived `Insertable`: only they let diesel send
/// SQLite one multi-row INSERT instead of a row-by-row loop; of owned values, because only
/// a statement of `'static` types has a static query ID. Sent as `INSERT OR FAIL` (see
/// [`InsertOrFail`]).
macro_rules! sqlite_insert {
    ($c:expr, $op:expr, $table:path, $rows:expr, |$r:ident| $values:expr) => {{
        let mut groups = $rows.chunks_exact(ROWS_PER_STATEMENT);
        for group in &mut groups {
            let values: [_; ROWS_PER_STATEMENT] = std::array::from_fn(|i| {
                let $r = &group[i];
                $values
            });
            with_operator(diesel::insert_into($table).values(values), $op).execute($c)?;
        }
        for $r in groups.remainder() {
            with_operator(diesel::insert_into($table).values($values), $op).execute($c)?;
        }
    }};
}

/// SQLite's `INSERT OR FAIL`. A plain `INSERT` (`OR ABORT`) of several rows inside a
/// transaction makes SQLite keep a statement journal, a copy of every page the statement
/// changes, so that a failing statement can be undone alone: 10% of ingest's time went to
/// those copies. The write path never needs that: any failed statement rolls the whole
/// transaction back.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct InsertOrFail;

impl QueryFragment<Sqlite> for InsertOrFail {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql("INSERT OR FAIL");
        Ok(())
    }
}

/// The same INSERT with another operator (`INSERT OR FAIL`, `INSERT OR REPLACE`).
fn with_operator<T: QuerySource, U, Op, Ret, New>(
    statement: InsertStatement<T, U, Op, Ret>,
    operator: New,
) -> InsertStatement<T, U, New, Ret> {
    InsertStatement::new(
        statement.target,
        statement.records,
        operator,
        statement.returning,
    )
}

/// A stored record's key for idempotency: `(recorded_at, content_hash)`.
pub type ContentKey = (i64, [u8; 16]);

/// The IDs of the records already stored among `keys`.
pub fn known(
    conn: &mut Conn<'_>,
    keys: &[ContentKey],
) -> Result<HashMap<ContentKey, String>, DieselError> {
    let mut known = HashMap::new();
    match conn.reborrow() {
        // In-process point look-ups through one cached statement: about 2 µs each (owned
        // values: a statement with borrowed ones has no static query ID, and is parsed
        // anew each time).
        Conn::Sqlite(c) => {
            for (at, hash) in keys {
                let id: Option<String> = records::table
                    .filter(records::recorded_at.eq(*at))
                    .filter(records::content_hash.eq(hash.to_vec()))
                    .select(records::id)
                    .first(c)
                    .optional()?;
                if let Some(id) = id {
                    known.insert((*at, *hash), id);
                }
            }
        }
        // One round trip: the keys as two arrays, joined on the index.
        Conn::Pg(c) => {
            #[derive(QueryableByName)]
            struct Found {
                #[diesel(sql_type = BigInt)]
                recorded_at: i64,
                #[diesel(sql_type = Binary)]
                content_hash: Vec<u8>,
                #[diesel(sql_type = Text)]
                id: String,
            }
            let times: Vec<i64> = keys.iter().map(|(at, _)| *at).collect();
            let hashes: Vec<&[u8]> = keys.iter().map(|(_, hash)| &hash[..]).collect();
            // A lateral look-up per key: a plain join let the planner hash-join the keys
            // against the whole history (every partition, spilling to disk) once the
            // history was large, so each chunk read all of it; and without `LIMIT 1` it
            // flattened the lateral into that same join (a merge join over every row of
            // the chunk's months: 124 ms for 667 keys at 100,000 rows; 3 ms with it,
            // an index probe per key). The chunk's time range
            // lets PostgreSQL prune the monthly partitions before running it: a feed in
            // time order probes one or two months, not all of them.
            let (first, last) = (
                times.iter().copied().min().unwrap_or(0),
                times.iter().copied().max().unwrap_or(0),
            );
            let found: Vec<Found> = diesel::sql_query(
                "SELECT k.recorded_at, k.content_hash, r.id \
                 FROM unnest($1::bigint[], $2::bytea[]) AS k(recorded_at, content_hash) \
                 CROSS JOIN LATERAL (SELECT id FROM records \
                     WHERE records.recorded_at = k.recorded_at \
                       AND records.content_hash = k.content_hash \
                       AND records.recorded_at BETWEEN $3 AND $4 LIMIT 1) AS r",
            )
            .bind::<Array<BigInt>, _>(&times)
            .bind::<Array<Binary>, _>(&hashes)
            .bind::<BigInt, _>(first)
            .bind::<BigInt, _>(last)
            .load(c)?;
            for row in found {
                if let Ok(hash) = <[u8; 16]>::try_from(row.content_hash.as_slice()) {
                    known.insert((row.recorded_at, hash), row.id);
                }
            }
        }
    }
    Ok(known)
}

/// Creates, on PostgreSQL, the monthly history partitions that rows recorded at `instants`
/// go into, where missing (migration `partition_history`). Called before the writing
/// transaction, so that creating one (which locks the whole history table) is committed at
/// once instead of being held while the chunk is written.
pub fn history_partitions(c: &mut PgConnection, instants: &[i64]) -> QueryResult<()> {
    let mut months: Vec<i64> = instants.iter().map(|at| month_of(*at)).collect();
    months.sort_unstable();
    months.dedup();
    diesel::sql_query("SELECT realdq_history_partitions($1)")
        .bind::<Array<BigInt>, _>(&months)
        .execute(c)?;
    Ok(())
}

/// The first instant of the UTC month of `at` (microseconds since the epoch); any instant
/// of that month would do, this one only makes the list short.
fn month_of(at: i64) -> i64 {
    use chrono::{Datelike, TimeZone, Utc};
    Utc.timestamp_micros(at)
        .single()
        .and_then(|t| {
            Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
                .single()
        })
        .map_or(at, |t| t.timestamp_micros())
}

/// Appends history rows.
pub fn insert_history(conn: &mut Conn<'_>, rows: &[NewRecord<'_>]) -> Result<(), DieselError> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn.reborrow() {
        Conn::Pg(c) => {
            diesel::copy_from(records::table)
                .from_insertable(rows)
                .execute(c)?;
        }
        Conn::Sqlite(c) => {
            sqlite_insert!(c, InsertOrFail, records::table, rows, |r| {
                (
                    records::id.eq(r.id.to_owned()),
                    records::source.eq(r.source.to_owned()),
                    records::patient_id.eq(r.patient_id.to_owned()),
                    records::unit.eq(r.unit.to_owned()),
                    records::recorded_at.eq(r.recorded_at),
                    records::content_hash.eq(r.content_hash.to_owned()),
                    records::body.eq(r.body.to_owned()),
                    records::result.eq(r.result.to_owned()),
                    records::status.eq(r.status.to_owned()),
                    records::profile.eq(r.profile.to_owned()),
                    records::received_at.eq(r.received_at),
                )
            });
        }
    }
    Ok(())
}

/// Writes current states: `replaced` are rows whose key has a state already (replaced in
/// place), `inserted` are new keys. On PostgreSQL `replaced_at` holds the `ctid` of each
/// replaced row, read and locked earlier in the transaction.
pub fn write_states(
    conn: &mut Conn<'_>,
    replaced: &[NewCurrentState<'_>],
    replaced_at: &[&str],
    inserted: &[NewCurrentState<'_>],
) -> Result<(), DieselError> {
    match conn.reborrow() {
        Conn::Pg(c) => {
            // Delete and copy: two statements for the chunk instead of one per patient.
            if !replaced.is_empty() {
                delete_states_pg(c, replaced_at)?;
            }
            let all: Vec<&NewCurrentState<'_>> = replaced.iter().chain(inserted).collect();
            if !all.is_empty() {
                diesel::copy_from(current_state::table)
                    .from_insertable(all)
                    .execute(c)?;
            }
        }
        Conn::Sqlite(c) => {
            // One `INSERT OR REPLACE` for new and replaced states alike: diesel never
            // caches an UPDATE (it parses one per replaced patient), but caches this.
            let all: Vec<&NewCurrentState<'_>> = replaced.iter().chain(inserted).collect();
            sqlite_insert!(
                c,
                diesel::query_builder::Replace,
                current_state::table,
                all,
                |r| {
                    (
                        current_state::source.eq(r.source.to_owned()),
                        current_state::patient_id.eq(r.patient_id.to_owned()),
                        current_state::unit.eq(r.unit.to_owned()),
                        current_state::record_id.eq(r.record_id.to_owned()),
                        current_state::recorded_at.eq(r.recorded_at),
                        current_state::status.eq(r.status.to_owned()),
                        current_state::real_complete.eq(r.real_complete),
                        current_state::race.eq(r.race.to_owned()),
                        current_state::ethnicity.eq(r.ethnicity.to_owned()),
                        current_state::language.eq(r.language.to_owned()),
                        current_state::interpreter.eq(r.interpreter.to_owned()),
                        current_state::caregivers.eq(r.caregivers.to_owned()),
                        current_state::caregiver_language.eq(r.caregiver_language.to_owned()),
                        current_state::rules.eq(r.rules.to_owned()),
                        current_state::profile.eq(r.profile.to_owned()),
                        current_state::optional_domains.eq(r.optional_domains.to_owned()),
                        current_state::versions.eq(r.versions.to_owned()),
                        current_state::answers.eq(r.answers.to_owned()),
                        current_state::reported_by.eq(r.reported_by.to_owned()),
                    )
                }
            );
        }
    }
    Ok(())
}

/// A current state whose timeline grew while the state stayed (records older than it).
pub struct TimelineRow<'a> {
    /// Sending system.
    pub source: &'a str,
    /// Patient identifier.
    pub patient_id: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// On PostgreSQL, where the row is (read and locked earlier in the transaction).
    pub ctid: Option<&'a str>,
    /// The new timeline.
    pub versions: &'a [u8],
}

/// Writes grown timelines, one statement for all: on SQLite the keys and timelines (in hex)
/// as one JSON array, on PostgreSQL arrays of positions and timelines.
pub fn write_timelines(conn: &mut Conn<'_>, rows: &[TimelineRow<'_>]) -> Result<(), DieselError> {
    if rows.is_empty() {
        return Ok(());
    }
    match conn.reborrow() {
        Conn::Sqlite(c) => {
            let rows: Vec<(&str, &str, &str, String)> = rows
                .iter()
                .map(|r| {
                    let hex = r.versions.iter().map(|b| format!("{b:02x}")).collect();
                    (r.source, r.patient_id, r.unit, hex)
                })
                .collect();
            let json = serde_json::to_string(&rows).expect("strings serialise");
            diesel::sql_query(
                "UPDATE current_state SET versions = unhex(k.value ->> 3) \
                 FROM json_each(?) AS k \
                 WHERE source = k.value ->> 0 AND patient_id = k.value ->> 1 \
                   AND unit = k.value ->> 2",
            )
            .bind::<Text, _>(json)
            .execute(c)?;
        }
        Conn::Pg(c) => {
            let ctids: Vec<&str> = rows.iter().filter_map(|r| r.ctid).collect();
            let versions: Vec<&[u8]> = rows.iter().map(|r| r.versions).collect();
            diesel::sql_query(
                "UPDATE current_state AS c SET versions = k.versions \
                 FROM unnest($1::text[], $2::bytea[]) AS k(ctid, versions) \
                 WHERE c.ctid = k.ctid::tid",
            )
            .bind::<Array<Text>, _>(&ctids)
            .bind::<Array<diesel::sql_types::Binary>, _>(&versions)
            .execute(c)?;
        }
    }
    Ok(())
}

/// Deletes the current states at `ctids` (rows locked by this transaction, so their
/// positions hold): a TID scan. A join of the keys against the table let the planner
/// hash-join them against all of it, a sequential scan per chunk that grew with the store.
fn delete_states_pg(c: &mut PgConnection, ctids: &[&str]) -> QueryResult<()> {
    let deleted =
        diesel::sql_query("DELETE FROM current_state WHERE ctid = ANY($1::text[]::tid[])")
            .bind::<Array<Text>, _>(ctids)
            .execute(c)?;
    if deleted != ctids.len() {
        // A locked row cannot move; if one did, let the transaction be retried whole.
        return Err(DieselError::DatabaseError(
            diesel::result::DatabaseErrorKind::SerializationFailure,
            Box::new(format!(
                "{deleted} of {} current states deleted",
                ctids.len()
            )),
        ));
    }
    Ok(())
}
