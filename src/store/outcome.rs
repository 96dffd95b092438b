//! What storing a record did: the store's own vocabulary, which results and ACKs show.

use serde::Serialize;

/// What storing a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreOutcome {
    /// The first record of its `(source, patient_id, unit)`.
    Created,
    /// A newer `recorded_at` replaced the current state (the old one stays in history).
    Replaced,
    /// The identical record was already stored: nothing new.
    Duplicate,
    /// An older or equal `recorded_at`: kept in history, current state unchanged.
    Historical,
}

impl StoreOutcome {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreOutcome::Created => "created",
            StoreOutcome::Replaced => "replaced",
            StoreOutcome::Duplicate => "duplicate",
            StoreOutcome::Historical => "historical",
        }
    }
}
