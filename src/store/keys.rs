//! API keys in the store: created, listed, revoked, and looked up by the SHA-256 of the
//! key (one indexed read). The key itself is never stored.

use diesel::prelude::*;

use super::audit::{AuditEntry, NewAuditRow};
use super::connection::DbConnection;
use super::schema::api_keys;
use super::StoreError;

/// A key as stored, without its hash.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct KeyRow {
    /// UUID v7.
    pub id: String,
    /// Its name (unique).
    pub name: String,
    /// Role name.
    pub role: String,
    /// Units as a JSON array (`[]`: every unit).
    pub units: String,
    /// Microseconds since the epoch.
    pub created_at: i64,
    /// When it stops working.
    pub expires_at: Option<i64>,
    /// When it was last used (to within the key cache's lifetime).
    pub last_used_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
}

impl KeyRow {
    /// The units it is limited to (empty: every unit).
    pub fn unit_list(&self) -> Vec<String> {
        serde_json::from_str(&self.units).unwrap_or_default()
    }

    /// Whether it may be used at `now`.
    pub fn is_active(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|expires| now < expires)
    }
}

/// A key to create.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// Its name.
    pub name: String,
    /// Role name.
    pub role: &'static str,
    /// Units (empty: every unit).
    pub units: Vec<String>,
    /// The hex SHA-256 of the key.
    pub key_hash: String,
    /// When it stops working.
    pub expires_at: Option<i64>,
}

/// Creates a key and its audit row in one transaction; `Duplicate` when the name is taken.
pub fn create(
    conn: &mut DbConnection,
    key: &NewKey,
    audit: &AuditEntry,
    now: i64,
) -> Result<KeyRow, StoreError> {
    conn.write_transaction(|conn| {
        let taken: i64 = api_keys::table
            .filter(api_keys::name.eq(&key.name))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(StoreError::Duplicate("a key with this name"));
        }
        let row = KeyRow {
            id: uuid::Uuid::now_v7().to_string(),
            name: key.name.clone(),
            role: key.role.to_string(),
            units: serde_json::to_string(&key.units).expect("strings serialise"),
            created_at: now,
            expires_at: key.expires_at,
            last_used_at: None,
            revoked_at: None,
        };
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::id.eq(&row.id),
                api_keys::name.eq(&row.name),
                api_keys::role.eq(&row.role),
                api_keys::units.eq(&row.units),
                api_keys::key_hash.eq(&key.key_hash),
                api_keys::created_at.eq(row.created_at),
                api_keys::expires_at.eq(row.expires_at),
            ))
            .execute(conn)?;
        let audit_row = NewAuditRow::new(audit, now);
        crate::on_backend!(conn, |c| crate::insert_audit_row!(c, &audit_row))?;
        Ok(row)
    })
}

/// Every key, oldest first.
pub fn list(conn: &mut DbConnection) -> Result<Vec<KeyRow>, StoreError> {
    api_keys::table
        .select(KeyRow::as_select())
        .order(api_keys::created_at.asc())
        .load(conn)
        .map_err(StoreError::from)
}

/// Revokes a key by name (and writes the audit row) in one transaction; the key as it now
/// is. Revoking a revoked key keeps its first revocation time.
pub fn revoke(
    conn: &mut DbConnection,
    name: &str,
    audit: &AuditEntry,
    now: i64,
) -> Result<KeyRow, StoreError> {
    conn.write_transaction(|conn| {
        diesel::update(
            api_keys::table
                .filter(api_keys::name.eq(name))
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::revoked_at.eq(now))
        .execute(conn)?;
        let row: KeyRow = api_keys::table
            .filter(api_keys::name.eq(name))
            .select(KeyRow::as_select())
            .first(conn)?;
        let audit_row = NewAuditRow::new(audit, now);
        crate::on_backend!(conn, |c| crate::insert_audit_row!(c, &audit_row))?;
        Ok(row)
    })
}

/// The key with this hash, if any, marking it used at `now`.
pub fn authenticate(
    conn: &mut DbConnection,
    key_hash: &str,
    now: i64,
) -> Result<Option<KeyRow>, StoreError> {
    let row: Option<KeyRow> = api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?;
    if let Some(row) = &row {
        if row.is_active(now) {
            diesel::update(api_keys::table.filter(api_keys::id.eq(&row.id)))
                .set(api_keys::last_used_at.eq(now))
                .execute(conn)?;
        }
    }
    Ok(row)
}

/// Whether an active admin key exists.
pub fn has_active_admin(conn: &mut DbConnection, now: i64) -> Result<bool, StoreError> {
    let admins: Vec<KeyRow> = api_keys::table
        .filter(api_keys::role.eq("admin"))
        .filter(api_keys::revoked_at.is_null())
        .select(KeyRow::as_select())
        .load(conn)?;
    Ok(admins.iter().any(|k| k.is_active(now)))
}

/// How many keys exist, revoked ones included.
pub fn count(conn: &mut DbConnection) -> Result<i64, StoreError> {
    api_keys::table
        .count()
        .get_result(conn)
        .map_err(StoreError::from)
}

/// Whether a key with this hash exists.
pub fn hash_exists(conn: &mut DbConnection, key_hash: &str) -> Result<bool, StoreError> {
    let found: i64 = api_keys::table
        .filter(api_keys::key_hash.eq(key_hash))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use diesel::connection::SimpleConnection;

    use super::*;
    use crate::store::audit::Action;

    /// The "database is locked" seen once under load: a transaction that read before
    /// another connection committed a write could not write afterwards. A key is created
    /// while another connection holds the write lock, and commits after the creation has
    /// begun: the creation waits for the lock and succeeds.
    #[test]
    fn a_key_is_created_while_another_connection_is_writing() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = dir.path().join("keys.db").display().to_string();
        let pool = crate::store::open(&url, 2).expect("the store opens");
        let mut holder = pool.get().expect("a connection");
        holder
            .batch_execute(
                "BEGIN IMMEDIATE; \
                 INSERT INTO api_keys (id, name, role, units, key_hash, created_at) \
                 VALUES ('held', 'held', 'admin', '[]', '00', 0);",
            )
            .expect("the other writer holds the lock");
        let creator = std::thread::spawn(move || {
            let mut conn = pool.get().expect("a second connection");
            let key = NewKey {
                name: "desk".into(),
                role: "feedback",
                units: Vec::new(),
                key_hash: "11".into(),
                expires_at: None,
            };
            let audit = AuditEntry {
                key_name: None,
                role: None,
                action: Action::Create,
                route: "CLI keys create".into(),
                status: 201,
                units: Vec::new(),
                record_count: 0,
                record_ids: Vec::new(),
                peer: None,
                target: Some("desk".into()),
            };
            create(&mut conn, &key, &audit, 1).map(|row| row.name)
        });
        std::thread::sleep(Duration::from_millis(300));
        holder
            .batch_execute("COMMIT;")
            .expect("the other writer commits");
        let created = creator.join().expect("the creating thread ends");
        assert_eq!(created.expect("the key is created"), "desk");
    }
}
