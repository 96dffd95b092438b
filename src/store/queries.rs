//! Reading stored results: one by ID, and filtered, cursor-paged lists of current results.

use diesel::prelude::*;

use super::codec;
use super::connection::DbConnection;
use super::schema::{current_state, records};
use super::StoreError;

/// The stored result JSON of a record, and its unit.
pub fn result_by_id(conn: &mut DbConnection, id: &str) -> Result<(String, String), StoreError> {
    let (result, unit): (Vec<u8>, String) = records::table
        .filter(records::id.eq(id))
        .select((records::result, records::unit))
        .first(conn)?;
    Ok((decoded(&result)?, unit))
}

/// A stored result's JSON; a value that cannot be decoded is the store's error, not the
/// caller's.
fn decoded(stored: &[u8]) -> Result<String, StoreError> {
    codec::decode(stored).map_err(StoreError::from)
}

/// The domain status that stands for any but complete and declined.
pub const INCOMPLETE: &str = "incomplete";

/// Filters of the work list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this unit.
    pub unit: Option<String>,
    /// Only these units (the key's), when limited.
    pub units: Option<Vec<String>>,
    /// Only these record statuses.
    pub status: Option<Vec<String>>,
    /// Only records on which this rule fired.
    pub rule: Option<String>,
    /// Only this sending system's records.
    pub source: Option<String>,
    /// Only patients whose race and ethnicity this reported (`pipeline::reported_by`;
    /// empty: stored before it was kept).
    pub reported_by: Option<String>,
    /// Only records whose domain has this status: `(domain, status)`; the domain is one of
    /// the six REaL domains (a column of its own) or an optional one (in
    /// `optional_domains`). The caller checks both against the catalog.
    pub domain: Option<(String, String)>,
    /// Only the diff's findings of a rule since a day ([`Finding`]).
    pub finding: Option<Finding>,
    /// Only states whose current record was recorded at or after this instant.
    pub recorded_since: Option<i64>,
    /// Only these records `(sources, patient ids, record ids)`: what a finding filter found.
    pub records: Option<Found>,
    /// Only states after this key `(source, patient_id, unit)`: the key of the cursor's
    /// record ([`cursor_key`]).
    pub after: Option<(String, String, String)>,
    /// At most this many.
    pub limit: i64,
}

/// Records a finding filter found: `(sources, patient ids, record ids)`.
pub type Found = (Vec<String>, Vec<String>, Vec<String>);

/// Which of a rule's findings since a day (`GET /v1/reports/diff`'s cells).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Found now, in a span that started on or after the day.
    New,
    /// Found at the start of the day, and no longer in that span.
    Resolved,
    /// Found at the start of the day and throughout since.
    Persisting,
}

impl Since {
    /// Reads `new`, `resolved` or `persisting`.
    pub fn parse(name: &str) -> Option<Since> {
        match name {
            "new" => Some(Since::New),
            "resolved" => Some(Since::Resolved),
            "persisting" => Some(Since::Persisting),
            _ => None,
        }
    }
}

/// A diff cell's findings: `rule`'s, of kind `since`, from the start of `day`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: String,
    /// The day (since the epoch, UTC).
    pub day: i64,
    /// Which.
    pub since: Since,
}

impl Finding {
    /// Whether a key whose timeline has `spans` is one of them.
    fn holds(&self, spans: &[super::findings::Span]) -> bool {
        spans
            .iter()
            .filter(|s| s.rule == self.rule)
            .any(|s| match self.since {
                Since::New => s.end.is_none() && s.start >= self.day,
                Since::Persisting => s.end.is_none() && s.start < self.day,
                Since::Resolved => s.start < self.day && s.end.is_some_and(|e| e >= self.day),
            })
    }
}

/// The key `(source, patient_id, unit)` of a stored record, for a cursor naming it: the
/// cursor is a record UUID, so it carries no patient identifier, and the page after it
/// starts after its key. `None` when the record is no longer stored (purged).
pub fn cursor_key(
    conn: &mut DbConnection,
    record_id: &str,
) -> Result<Option<(String, String, String)>, StoreError> {
    records::table
        .filter(records::id.eq(record_id))
        .select((records::source, records::patient_id, records::unit))
        .first(conn)
        .optional()
        .map_err(StoreError::from)
}

/// The `LIKE` pattern (with `ESCAPE '\'`) that finds `word` in a space-separated list
/// padded with a space at each end: `_` is LIKE's one-character wildcard, and rule IDs and
/// domain names are full of it.
fn word_pattern(word: &str) -> String {
    format!(
        "% {} %",
        word.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// The `LIKE` pattern (with `ESCAPE '\'`) that finds a word starting with `prefix` in a
/// space-separated list padded with a space at each end.
fn prefix_pattern(prefix: &str) -> String {
    let exact = word_pattern(prefix);
    format!("{}%", &exact[..exact.len() - 2])
}

/// A boxed query over `current_state` (alone or joined) narrowed by the filter, in
/// primary-key order (source, patient, unit; no index on `record_id` is kept, see
/// migration `state_without_record_index`): one place for the work list's filters,
/// whatever the query selects.
macro_rules! matching {
    ($source:expr, $filter:expr) => {{
        let filter: &ListFilter = $filter;
        let mut query = $source
            .order((
                current_state::source.asc(),
                current_state::patient_id.asc(),
                current_state::unit.asc(),
            ))
            .limit(filter.limit)
            .into_boxed();
        if let Some(unit) = &filter.unit {
            query = query.filter(current_state::unit.eq(unit.clone()));
        }
        if let Some(units) = &filter.units {
            query = query.filter(current_state::unit.eq_any(units.clone()));
        }
        if let Some(statuses) = &filter.status {
            query = query.filter(current_state::status.eq_any(statuses.clone()));
        }
        if let Some(source) = &filter.source {
            query = query.filter(current_state::source.eq(source.clone()));
        }
        if let Some(reported_by) = &filter.reported_by {
            query = query.filter(current_state::reported_by.eq(reported_by.clone()));
        }
        if let Some(at) = filter.recorded_since {
            query = query.filter(current_state::recorded_at.ge(at));
        }
        if let Some((sources, patients, records)) = &filter.records {
            query = query
                .filter(current_state::source.eq_any(sources.clone()))
                .filter(current_state::patient_id.eq_any(patients.clone()))
                .filter(current_state::record_id.eq_any(records.clone()));
        }
        if let Some((domain, _)) = filter.domain.as_ref().filter(|(_, s)| s == INCOMPLETE) {
            // Any status but complete and declined (and not_required): the report cell's
            // patients left to ask.
            let done = vec!["complete", "declined", crate::pipeline::NOT_REQUIRED];
            query = match domain.as_str() {
                "race" => query.filter(current_state::race.ne_all(done)),
                "ethnicity" => query.filter(current_state::ethnicity.ne_all(done)),
                "language" => query.filter(current_state::language.ne_all(done)),
                "interpreter" => query.filter(current_state::interpreter.ne_all(done)),
                "caregivers" => query.filter(current_state::caregivers.ne_all(done)),
                "caregiver_language" => {
                    query.filter(current_state::caregiver_language.ne_all(done))
                }
                optional => query.filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>(
                        "(' ' || current_state.optional_domains || ' ') LIKE ",
                    )
                    .bind::<diesel::sql_types::Text, _>(prefix_pattern(&format!("{optional}:")))
                    .sql(
                        " ESCAPE '\\' AND (' ' || current_state.optional_domains || ' ') NOT LIKE ",
                    )
                    .bind::<diesel::sql_types::Text, _>(word_pattern(&format!(
                        "{optional}:complete"
                    )))
                    .sql(
                        " ESCAPE '\\' AND (' ' || current_state.optional_domains || ' ') NOT LIKE ",
                    )
                    .bind::<diesel::sql_types::Text, _>(word_pattern(&format!(
                        "{optional}:declined"
                    )))
                    .sql(" ESCAPE '\\'"),
                ),
            };
        } else if let Some((domain, status)) = &filter.domain {
            let status = status.clone();
            query = match domain.as_str() {
                "race" => query.filter(current_state::race.eq(status)),
                "ethnicity" => query.filter(current_state::ethnicity.eq(status)),
                "language" => query.filter(current_state::language.eq(status)),
                "interpreter" => query.filter(current_state::interpreter.eq(status)),
                "caregivers" => query.filter(current_state::caregivers.eq(status)),
                "caregiver_language" => query.filter(current_state::caregiver_language.eq(status)),
                // An optional domain: `domain:status` in the space-separated list.
                optional => query.filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>(
                        "(' ' || current_state.optional_domains || ' ') LIKE ",
                    )
                    .bind::<diesel::sql_types::Text, _>(word_pattern(&format!(
                        "{optional}:{status}"
                    )))
                    .sql(" ESCAPE '\\'"),
                ),
            };
        }
        if let Some((source, patient_id, unit)) = &filter.after {
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "(current_state.source, current_state.patient_id, current_state.unit) > (",
                )
                .bind::<diesel::sql_types::Text, _>(source.clone())
                .sql(", ")
                .bind::<diesel::sql_types::Text, _>(patient_id.clone())
                .sql(", ")
                .bind::<diesel::sql_types::Text, _>(unit.clone())
                .sql(")"),
            );
        }
        if let Some(rule) = &filter.rule {
            // `rules` is the space-separated list of the rules fired.
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "(' ' || current_state.rules || ' ') LIKE ",
                )
                .bind::<diesel::sql_types::Text, _>(word_pattern(rule))
                .sql(" ESCAPE '\\'"),
            );
        }
        query
    }};
}

/// States read per look when a finding filter walks the states, at most: the first look
/// reads as many as the page wants (each look's SQL walks the states until it has that
/// many, so a larger first look would walk far past a page's worth of sparse matches),
/// and each next one twice the last.
const FINDING_CHUNK: i64 = 1000;

/// The records of up to `filter.limit` states that hold `filter.finding`, in key order
/// from the cursor: the states (of the filter's units, with the rule now unless the
/// finding is resolved) are read a chunk at a time with their timelines, and each key's
/// spans say whether it holds. `(sources, patient ids, record ids)`.
fn finding_records(
    conn: &mut DbConnection,
    filter: &ListFilter,
    finding: &Finding,
) -> Result<Found, StoreError> {
    let mut look = ListFilter {
        finding: None,
        limit: filter.limit.clamp(1, FINDING_CHUNK),
        rule: (finding.since != Since::Resolved).then(|| finding.rule.clone()),
        // A span that started or ended since the day was started or ended by a version
        // since then, so the current one is at least as recent.
        recorded_since: (finding.since != Since::Persisting)
            .then(|| finding.day.saturating_mul(super::trend::MICROS_PER_DAY)),
        ..filter.clone()
    };
    // The cell's count bounds the first page's walk: once as many are found, there are no
    // more (an empty cell answers at once instead of walking every state).
    let most = match filter.after {
        Some(_) => None,
        None => {
            let cells = super::findings::since(
                conn,
                finding.day,
                filter.unit.as_deref(),
                filter.units.as_deref(),
            )?;
            Some(
                cells
                    .iter()
                    .filter(|c| c.rule == finding.rule)
                    .map(|c| match finding.since {
                        Since::New => c.new,
                        Since::Resolved => c.resolved,
                        Since::Persisting => c.persisting,
                    })
                    .sum::<i64>(),
            )
        }
    };
    let mut found = (Vec::new(), Vec::new(), Vec::new());
    if most == Some(0) {
        return Ok(found);
    }
    loop {
        type Row = (String, String, String, String, i64, Vec<u8>, String);
        let rows: Vec<Row> = matching!(
            current_state::table.select((
                current_state::source,
                current_state::patient_id,
                current_state::unit,
                current_state::record_id,
                current_state::recorded_at,
                current_state::versions,
                current_state::rules,
            )),
            &look
        )
        .load(conn)?;
        let last = rows.last().map(|r| (r.0.clone(), r.1.clone(), r.2.clone()));
        for (source, patient, _, record, at, versions, rules) in rows {
            let state = super::trend::Version {
                at,
                tag: [0; 4],
                combo: String::new(),
                rules,
            };
            let timeline = super::trend::Timeline::read(&versions, Some(state));
            if finding.holds(&super::findings::spans(timeline.versions())) {
                found.0.push(source);
                found.1.push(patient);
                found.2.push(record);
                let count = found.2.len() as i64;
                if count >= filter.limit || Some(count) == most {
                    return Ok(found);
                }
            }
        }
        match last {
            Some(key) => look.after = Some(key),
            None => return Ok(found),
        }
        look.limit = (look.limit * 2).min(FINDING_CHUNK);
    }
}

/// The filter a finding filter becomes: the records it found, in the same order.
fn with_found(
    conn: &mut DbConnection,
    filter: &ListFilter,
) -> Result<Option<ListFilter>, StoreError> {
    let Some(finding) = &filter.finding else {
        return Ok(Some(filter.clone()));
    };
    let found = finding_records(conn, filter, finding)?;
    if found.2.is_empty() {
        return Ok(None);
    }
    Ok(Some(ListFilter {
        finding: None,
        rule: None,
        after: None,
        limit: found.2.len() as i64,
        records: Some(found),
        ..filter.clone()
    }))
}

/// Current results matching the filter: `(record_id, unit, result JSON)`, in one query.
pub fn list_current(
    conn: &mut DbConnection,
    filter: &ListFilter,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let Some(filter) = with_found(conn, filter)? else {
        return Ok(Vec::new());
    };
    let filter = &filter;
    let rows: Vec<(String, String, Vec<u8>)> = matching!(
        current_state::table.inner_join(records::table).select((
            current_state::record_id,
            current_state::unit,
            records::result
        )),
        filter
    )
    .load(conn)?;
    rows.into_iter()
        .map(|(id, unit, result)| Ok((id, unit, decoded(&result)?)))
        .collect()
}

/// A current record without identifiers: what the `report` role's drill-down shows.
#[derive(Debug, Clone, Queryable)]
pub struct RedactedRow {
    /// Record UUID.
    pub record_id: String,
    /// Unit.
    pub unit: String,
    /// Record status.
    pub status: String,
    /// REaL complete.
    pub real_complete: bool,
    /// Race status.
    pub race: String,
    /// Ethnicity status.
    pub ethnicity: String,
    /// Language status.
    pub language: String,
    /// Interpreter status.
    pub interpreter: String,
    /// Caregivers status.
    pub caregivers: String,
    /// Caregiver language status.
    pub caregiver_language: String,
    /// Optional domains, `domain:status` space-separated.
    pub optional_domains: String,
    /// Rules fired, space-separated.
    pub rules: String,
}

/// Current records matching the filter, without patient ids, birth dates or bodies.
pub fn list_current_redacted(
    conn: &mut DbConnection,
    filter: &ListFilter,
) -> Result<Vec<RedactedRow>, StoreError> {
    let Some(filter) = with_found(conn, filter)? else {
        return Ok(Vec::new());
    };
    let filter = &filter;
    matching!(
        current_state::table.select((
            current_state::record_id,
            current_state::unit,
            current_state::status,
            current_state::real_complete,
            current_state::race,
            current_state::ethnicity,
            current_state::language,
            current_state::interpreter,
            current_state::caregivers,
            current_state::caregiver_language,
            current_state::optional_domains,
            current_state::rules,
        )),
        filter
    )
    .load(conn)
    .map_err(StoreError::from)
}

/// Whether the database answers.
pub fn ping(conn: &mut DbConnection) -> Result<(), StoreError> {
    diesel::sql_query("SELECT 1")
        .execute(conn)
        .map(|_| ())
        .map_err(StoreError::from)
}
