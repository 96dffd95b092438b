//! Alerts: which unit and domain pairs are below their warn or fail threshold, since when,
//! and a webhook told of every crossing.
//!
//! The judge is the completeness report itself ([`crate::report::alerts`]): evaluating
//! reads the kept counts (a few rows per unit), judges every pair with the report's
//! thresholds, and writes the pairs whose level changed into `alert_state`, with the
//! webhook's event in the same transaction ([`crate::store::alerts`]). The watcher
//! ([`watch`]) evaluates within a second of any stored change, and once a minute
//! whatever happens (changes made by another instance, `real-dq revalidate` or `purge`);
//! `GET /v1/alerts` evaluates before it answers, so it is never behind the report. The
//! deliverer ([`webhook`]) sends the outbox oldest first, retrying with backoff.

pub mod watch;
pub mod webhook;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::profile::Profile;
use crate::report::alerts::{self as judge, Event, Verdict};
use crate::result::timestamp;
use crate::store::aggregates;
use crate::store::alerts::{self as state, AlertRow, Crossing};
use crate::store::{DbConnection, StoreError};

/// Where the webhook's events go.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// The receiver's URL (`http` or `https`).
    pub url: String,
    /// When set, each event is signed: `X-RealDQ-Signature: sha256=<HMAC-SHA256 of the
    /// body, hex>`.
    pub secret: Option<String>,
}

/// The service's alerting: its webhook, and a bell that wakes the deliverer.
#[derive(Debug, Default)]
pub struct Alerts {
    /// The webhook (none: crossings change the state only).
    pub webhook: Option<Webhook>,
    /// Rung when events were written.
    pub wake: Notify,
}

impl Alerts {
    /// Alerting with `webhook`.
    pub fn new(webhook: Option<Webhook>) -> Self {
        Alerts {
            webhook,
            wake: Notify::new(),
        }
    }
}

/// What one evaluation saw and did.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Every pair's verdict.
    pub verdicts: Vec<Verdict>,
    /// The stored state after the evaluation.
    pub states: Vec<AlertRow>,
    /// Events this evaluation wrote.
    pub announced: usize,
    /// When.
    pub at: DateTime<Utc>,
}

/// Judges every pair as the report does at `now` and writes the crossings (with their
/// events when `announce`).
pub fn evaluate(
    conn: &mut DbConnection,
    profile: &Profile,
    now: DateTime<Utc>,
    announce: bool,
) -> Result<Evaluation, StoreError> {
    // The groups alone: the verdicts need no rule counts.
    let counts = aggregates::Counts {
        groups: aggregates::kept_groups(conn, None, None)?,
        rules: Vec::new(),
    };
    let report = crate::report::build(counts, profile, timestamp(now), None, None);
    let verdicts = judge::verdicts(&report, profile);
    let mut states = state::states(conn)?;
    let mut announced = 0;
    if !judge::crossings(&verdicts, &states).is_empty() {
        let at = now.timestamp_micros();
        let profile = profile.id();
        announced = conn.write_transaction(|conn| {
            // Judged again against the state as this transaction sees it; each write is
            // conditional on the level it replaces, so a crossing another watcher wrote
            // first is not written (nor announced) twice.
            let stored = state::states(conn)?;
            let mut announced = 0;
            for crossing in judge::crossings(&verdicts, &stored) {
                let event = announce.then(|| {
                    let before = stored
                        .iter()
                        .find(|s| s.unit == crossing.unit && s.domain == crossing.domain);
                    event(&crossing, &verdicts, before, at, &profile)
                });
                if state::cross(conn, &crossing, at, event)? && announce {
                    announced += 1;
                }
            }
            Ok::<_, StoreError>(announced)
        })?;
        states = state::states(conn)?;
    }
    Ok(Evaluation {
        verdicts,
        states,
        announced,
        at: now,
    })
}

/// The id and JSON body of a crossing's event.
fn event(
    crossing: &Crossing,
    verdicts: &[Verdict],
    before: Option<&AlertRow>,
    at: i64,
    profile: &str,
) -> (String, String) {
    let id = uuid::Uuid::now_v7().to_string();
    let verdict = verdicts
        .iter()
        .find(|v| v.unit == crossing.unit && v.domain == crossing.domain);
    let body = Event {
        event: Event::name(crossing),
        id: &id,
        at: judge::instant(at),
        unit: &crossing.unit,
        domain: &crossing.domain,
        from: crossing.from.as_deref().unwrap_or("pass"),
        to: crossing.to.as_deref().unwrap_or("pass"),
        rate: verdict.and_then(|v| v.rate),
        patients: verdict.map_or(0, |v| v.patients),
        warn_below: verdict.map(|v| v.warn_below),
        fail_below: verdict.map(|v| v.fail_below),
        since: judge::instant(before.map_or(at, |b| b.since)),
        profile,
    };
    let body = serde_json::to_string(&body).expect("an event serialises");
    (id, body)
}
