//! Row types: what the store writes. They never go out as JSON; the API builds its own
//! wire types. On SQLite, inserts go through column tuples built from them (`write.rs`:
//! only tuples give SQLite a true multi-row INSERT); on PostgreSQL the derived
//! `Insertable` feeds `COPY ... FROM STDIN BINARY`. `NewCurrentState` is also the changeset
//! of a replacement.

use diesel::prelude::*;

use super::schema::{current_state, records};

/// A new history row.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = records, treat_none_as_default_value = false)]
pub struct NewRecord<'a> {
    /// Record UUID.
    pub id: &'a str,
    /// Sending system.
    pub source: &'a str,
    /// Patient identifier.
    pub patient_id: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// Microseconds since the epoch.
    pub recorded_at: i64,
    /// The first 16 bytes of the canonical record's SHA-256.
    pub content_hash: &'a [u8],
    /// Canonical record JSON, compressed (`codec.rs`).
    pub body: &'a [u8],
    /// Result JSON, compressed.
    pub result: &'a [u8],
    /// Record status.
    pub status: &'a str,
    /// Profile ID.
    pub profile: &'a str,
    /// When it was received.
    pub received_at: i64,
}

/// A new or replacing current-state row.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = current_state, treat_none_as_default_value = false)]
pub struct NewCurrentState<'a> {
    /// Sending system.
    pub source: &'a str,
    /// Patient identifier.
    pub patient_id: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// The current record.
    pub record_id: &'a str,
    /// Its recorded_at.
    pub recorded_at: i64,
    /// Its status.
    pub status: &'a str,
    /// Whether its REaL domains are complete.
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
    /// The rules fired, space-separated.
    pub rules: &'a str,
    /// The profile it was validated with.
    pub profile: &'a str,
    /// Optional domains' statuses, `domain:status` space-separated.
    pub optional_domains: &'a str,
    /// The key's timeline (`trend::Timeline`).
    pub versions: &'a [u8],
    /// The answers the distribution counts, space-separated.
    pub answers: &'a str,
    /// Who reported race and ethnicity (`pipeline::reported_by`).
    pub reported_by: &'a str,
}
