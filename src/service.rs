//! What the HTTP layer ([`crate::api`]) and the ingest pipeline ([`crate::ingest`]) share:
//! the service's state (the database pool, the profile, the limits, how HL7 v2 and FHIR map
//! onto records) and the caller a request or an MLLP connection acts as. It sits below
//! both, so that the pipeline needs nothing from the HTTP layer.
//!
//! The HTTP layer adds to these the ways it answers in its own error type
//! (`AppState::with_db`, `AppState::audit`, `Caller::check_unit`: `src/api/`).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::access::Principal;
use crate::codesets::CodeSets;
use crate::fhir::patient::FhirSettings;
use crate::hl7v2::map::MapSettings;
use crate::profile::Profile;
use crate::rules::Context;
use crate::store::audit::{Action, AuditEntry};
use crate::store::DbPool;

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest record (and batch line), bytes.
    pub max_record_bytes: usize,
    /// Largest batch body, bytes.
    pub max_batch_bytes: u64,
    /// Batch lines per transaction.
    pub batch_chunk: usize,
    /// Most entries in a FHIR `transaction` Bundle.
    pub max_transaction_entries: usize,
}

/// What every handler and every ingest shares.
#[derive(Clone)]
pub struct AppState {
    /// Database pool.
    pub pool: DbPool,
    /// The active profile.
    pub profile: Arc<Profile>,
    /// `name@version` of the profile.
    pub profile_id: Arc<str>,
    /// Request limits.
    pub limits: Limits,
    /// How HL7 v2 messages map onto records.
    pub hl7: Arc<MapSettings>,
    /// How FHIR resources map onto records.
    pub fhir: Arc<FhirSettings>,
    /// Operational metrics (`GET /metrics`).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Alerting: the webhook and the deliverer's bell.
    pub alerts: Arc<crate::alerts::Alerts>,
}

impl AppState {
    /// The engine context at `now`.
    pub fn context(&self, now: DateTime<Utc>) -> Context<'_> {
        Context {
            codes: CodeSets::get(),
            profile: &self.profile,
            now,
        }
    }
}

/// Who acts, from where, through what: what the audit log records of a request (a key's
/// holder) or of an MLLP connection (its peer).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's holder.
    pub principal: Principal,
    /// `METHOD /pattern`, or `MLLP`.
    pub route: String,
    /// The client's address.
    pub peer: Option<String>,
}

impl Caller {
    /// An audit entry of this caller, with nothing touched yet.
    pub fn audit(&self, action: Action, status: u16) -> AuditEntry {
        AuditEntry {
            key_name: Some(self.principal.name.to_string()),
            role: Some(self.principal.role.as_str()),
            action,
            route: self.route.clone(),
            status,
            units: Vec::new(),
            record_count: 0,
            record_ids: Vec::new(),
            peer: self.peer.clone(),
            target: None,
        }
    }
}
