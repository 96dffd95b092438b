//! Row types: what the store writes. They never go out as JSON; the API builds its own
//! wire types. Inserts go through column tuples built from them (see `ingest.rs`: only
//! tuples give SQLite a true multi-row INSERT); `NewCurrentState` is also the changeset
//! of a replacement.

use diesel::prelude::*;

use super::schema::current_state;

/// A new history row.
#[derive(Debug, Clone)]
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
    /// SHA-256 of the canonical record.
    pub content_hash: &'a str,
    /// Canonical record JSON.
    pub body: &'a str,
    /// Result JSON.
    pub result: &'a str,
    /// Record status.
    pub status: &'a str,
    /// Profile ID.
    pub profile: &'a str,
    /// When it was received.
    pub received_at: i64,
}

/// A new or replacing current-state row.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = current_state)]
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
}

/// One rule fired on a current record.
#[derive(Debug, Clone)]
pub struct NewCurrentFinding<'a> {
    /// The record.
    pub record_id: &'a str,
    /// Rule ID.
    pub rule: &'a str,
    /// Unit.
    pub unit: &'a str,
    /// recorded_at.
    pub recorded_at: i64,
}
