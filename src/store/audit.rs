//! The append-only audit log: one row per read of record-level data, per write, per key
//! change and per refused request. Rows name key names and record UUIDs, never patient
//! ids, birth dates or bodies. A write's row is inserted in the write's own transaction
//! ([`super::ingest::store_all`]); a read's row is committed before its data is sent.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::audit_log;
use super::StoreError;

/// What was done, as FHIR AuditEvent's `action` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// C: records stored, a key created.
    Create,
    /// R: record-level data read.
    Read,
    /// U: a key revoked.
    Update,
    /// D: history or audit rows purged.
    Delete,
    /// E: an MLLP connection accepted, or a request refused before it could act.
    Execute,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 5] = [
        Action::Create,
        Action::Read,
        Action::Update,
        Action::Delete,
        Action::Execute,
    ];

    /// The FHIR code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            Action::Create => "C",
            Action::Read => "R",
            Action::Update => "U",
            Action::Delete => "D",
            Action::Execute => "E",
        }
    }

    /// The word, as the API shows it.
    pub fn word(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Execute => "execute",
        }
    }

    /// From the word or the code.
    pub fn parse(text: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|a| a.word() == text || a.code() == text)
    }
}

/// One audit row before it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The key's name; `None` for no key or an unknown one.
    pub key_name: Option<String>,
    /// The key's role.
    pub role: Option<&'static str>,
    /// What was done.
    pub action: Action,
    /// `METHOD /route/pattern` (never the path as sent: it may hold ids), or `MLLP`, `CLI ...`.
    pub route: String,
    /// The HTTP status, or its equivalent (200 for an accepted MLLP message).
    pub status: u16,
    /// Units touched.
    pub units: Vec<String>,
    /// How many records were read or written.
    pub record_count: usize,
    /// Their UUIDs.
    pub record_ids: Vec<String>,
    /// The client's address.
    pub peer: Option<String>,
    /// What a key change acted on: the key's name.
    pub target: Option<String>,
}

impl AuditEntry {
    /// The same entry with what was touched filled in (units deduplicated and sorted).
    pub fn touching<'a>(
        &self,
        status: u16,
        records: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> AuditEntry {
        let mut entry = AuditEntry {
            status,
            ..self.clone()
        };
        for (id, unit) in records {
            entry.record_ids.push(id.to_string());
            entry.units.push(unit.to_string());
        }
        entry.units.sort();
        entry.units.dedup();
        entry.record_count = entry.record_ids.len();
        entry
    }
}

/// The row as inserted.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow {
    at: i64,
    id: String,
    key_name: Option<String>,
    role: Option<String>,
    action: String,
    route: String,
    status: i32,
    units: String,
    record_count: i64,
    record_ids: String,
    peer: Option<String>,
    target: Option<String>,
}

impl NewAuditRow {
    /// The row of an entry at `at` (microseconds).
    pub fn new(entry: &AuditEntry, at: i64) -> NewAuditRow {
        NewAuditRow {
            at,
            id: uuid::Uuid::now_v7().to_string(),
            key_name: entry.key_name.clone(),
            role: entry.role.map(str::to_string),
            action: entry.action.code().to_string(),
            route: entry.route.clone(),
            status: i32::from(entry.status),
            units: entry.units.join(" "),
            record_count: i64::try_from(entry.record_count).unwrap_or(i64::MAX),
            record_ids: entry.record_ids.join(" "),
            peer: entry.peer.clone(),
            target: entry.target.clone(),
        }
    }
}

/// Inserts an audit row on a concrete connection (inside a backend's transaction).
#[macro_export]
macro_rules! insert_audit_row {
    ($conn:expr, $row:expr) => {
        diesel::insert_into($crate::store::schema::audit_log::table)
            .values($row)
            .execute($conn)
    };
}

/// Writes one audit row on its own (reads, refusals, key changes from the command line).
pub fn record(conn: &mut DbConnection, entry: &AuditEntry, at: i64) -> Result<(), StoreError> {
    let row = NewAuditRow::new(entry, at);
    crate::on_backend!(conn, |c| insert_audit_row!(c, &row))?;
    Ok(())
}

/// A stored audit row.
#[derive(Debug, Clone, Queryable)]
pub struct AuditRow {
    /// Microseconds since the epoch.
    pub at: i64,
    /// UUID v7.
    pub id: String,
    /// Key name.
    pub key_name: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// FHIR action code.
    pub action: String,
    /// Route.
    pub route: String,
    /// Status.
    pub status: i32,
    /// Units, space-separated.
    pub units: String,
    /// Records touched.
    pub record_count: i64,
    /// Record UUIDs, space-separated.
    pub record_ids: String,
    /// Client address.
    pub peer: Option<String>,
    /// What a key change acted on.
    pub target: Option<String>,
}

/// Filters of `GET /v1/audit`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// From this instant (inclusive, microseconds).
    pub from: Option<i64>,
    /// To this instant (exclusive).
    pub to: Option<i64>,
    /// Only this key's rows.
    pub key: Option<String>,
    /// Only this action.
    pub action: Option<Action>,
    /// After this row (the cursor): its `(at, id)`.
    pub after: Option<(i64, String)>,
    /// At most this many.
    pub limit: i64,
}

/// Audit rows in time order.
pub fn list(conn: &mut DbConnection, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
    let mut query = audit_log::table
        .order((audit_log::at.asc(), audit_log::id.asc()))
        .limit(filter.limit)
        .into_boxed();
    if let Some(from) = filter.from {
        query = query.filter(audit_log::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_log::at.lt(to));
    }
    if let Some(key) = &filter.key {
        query = query.filter(audit_log::key_name.eq(key.clone()));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_log::action.eq(action.code()));
    }
    if let Some((at, id)) = &filter.after {
        query = query.filter(
            audit_log::at
                .gt(*at)
                .or(audit_log::at.eq(*at).and(audit_log::id.gt(id.clone()))),
        );
    }
    query.load(conn).map_err(StoreError::from)
}

/// Deletes audit rows older than `before`; how many.
pub fn purge(conn: &mut DbConnection, before: i64, dry_run: bool) -> Result<usize, StoreError> {
    let old = audit_log::table.filter(audit_log::at.lt(before));
    if dry_run {
        let count: i64 = old.count().get_result(conn)?;
        return Ok(usize::try_from(count).unwrap_or(usize::MAX));
    }
    diesel::delete(old).execute(conn).map_err(StoreError::from)
}
