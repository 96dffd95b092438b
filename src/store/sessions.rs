//! Dashboard sessions: the SHA-256 of a browser's session token and of the key it signed
//! in with. Neither the token nor the key is stored.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::keys::{self, KeyRow};
use super::schema::dashboard_sessions;
use super::StoreError;

/// Starts a session (and forgets the expired ones).
pub fn create(
    conn: &mut DbConnection,
    token_hash: &str,
    key_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    conn.write_transaction(|conn| {
        diesel::delete(dashboard_sessions::table.filter(dashboard_sessions::expires_at.le(now)))
            .execute(conn)?;
        diesel::insert_into(dashboard_sessions::table)
            .values((
                dashboard_sessions::token_hash.eq(token_hash),
                dashboard_sessions::key_hash.eq(key_hash),
                dashboard_sessions::created_at.eq(now),
                dashboard_sessions::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// The key of a live session, with its expiry: the session's end if it comes before the
/// key's (the caller checks the key is active, as for a bearer key).
pub fn key_of(
    conn: &mut DbConnection,
    token_hash: &str,
    now: i64,
) -> Result<Option<KeyRow>, StoreError> {
    let session: Option<(String, i64)> = dashboard_sessions::table
        .filter(dashboard_sessions::token_hash.eq(token_hash))
        .filter(dashboard_sessions::expires_at.gt(now))
        .select((dashboard_sessions::key_hash, dashboard_sessions::expires_at))
        .first(conn)
        .optional()?;
    let Some((key_hash, ends)) = session else {
        return Ok(None);
    };
    Ok(keys::authenticate(conn, &key_hash, now)?.map(|mut row| {
        row.expires_at = Some(row.expires_at.map_or(ends, |at| at.min(ends)));
        row
    }))
}

/// Ends a session.
pub fn delete(conn: &mut DbConnection, token_hash: &str) -> Result<(), StoreError> {
    diesel::delete(dashboard_sessions::table.filter(dashboard_sessions::token_hash.eq(token_hash)))
        .execute(conn)?;
    Ok(())
}
