//! Alerts in the store: the unit and domain pairs below a threshold (`alert_state`) and the
//! webhook's outbox (`alert_events`). Every change of state is a conditional write naming
//! the level it replaces, so that when two watchers judge the same crossing (two instances
//! on one database) exactly one of them changes the row and writes the event.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::schema::{alert_events, alert_state};
use super::StoreError;

/// A pair below a threshold, as last judged.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = alert_state)]
pub struct AlertRow {
    /// Unit.
    pub unit: String,
    /// A report domain, or `real_complete`.
    pub domain: String,
    /// `warn` or `fail`.
    pub level: String,
    /// When the pair went below its warn threshold, microseconds.
    pub since: i64,
    /// When it reached `level`, microseconds.
    pub level_since: i64,
}

/// A change of one pair's level: `from` and `to` are `None` at `pass`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossing {
    /// Unit.
    pub unit: String,
    /// Domain or `real_complete`.
    pub domain: String,
    /// The level it leaves, as stored (`None`: no row).
    pub from: Option<String>,
    /// The level it reaches (`None`: back at pass, the row goes).
    pub to: Option<String>,
}

/// Every stored pair, by unit and domain.
pub fn states(conn: &mut DbConnection) -> Result<Vec<AlertRow>, StoreError> {
    Ok(alert_state::table
        .order((alert_state::unit, alert_state::domain))
        .select(AlertRow::as_select())
        .load(conn)?)
}

/// Writes `crossing` at `now` if the pair still stands where `crossing.from` says, and
/// then `event` (its id and JSON body) in the outbox. Returns whether this call made the
/// change. Meant to run inside the caller's transaction.
pub fn cross(
    conn: &mut DbConnection,
    crossing: &Crossing,
    now: i64,
    event: Option<(String, String)>,
) -> Result<bool, StoreError> {
    let pair = alert_state::unit
        .eq(&crossing.unit)
        .and(alert_state::domain.eq(&crossing.domain));
    let changed = match (&crossing.from, &crossing.to) {
        (None, None) => 0,
        (None, Some(to)) => {
            let row = AlertRow {
                unit: crossing.unit.clone(),
                domain: crossing.domain.clone(),
                level: to.clone(),
                since: now,
                level_since: now,
            };
            crate::on_backend!(conn, |c| diesel::insert_into(alert_state::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c))?
        }
        (Some(from), Some(to)) => diesel::update(alert_state::table)
            .filter(pair.and(alert_state::level.eq(from)))
            .set((alert_state::level.eq(to), alert_state::level_since.eq(now)))
            .execute(conn)?,
        (Some(from), None) => diesel::delete(alert_state::table)
            .filter(pair.and(alert_state::level.eq(from)))
            .execute(conn)?,
    };
    if changed == 0 {
        return Ok(false);
    }
    if let Some((id, event)) = event {
        diesel::insert_into(alert_events::table)
            .values((
                alert_events::id.eq(id),
                alert_events::created_at.eq(now),
                alert_events::event.eq(event),
                alert_events::attempts.eq(0),
                alert_events::next_attempt_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(true)
}

/// An event waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = alert_events)]
pub struct PendingEvent {
    /// UUID v7.
    pub id: String,
    /// When it was written, microseconds.
    pub created_at: i64,
    /// The JSON body.
    pub event: String,
    /// Deliveries tried.
    pub attempts: i32,
    /// Not to be tried before, microseconds.
    pub next_attempt_at: i64,
}

/// The oldest event of the outbox, due or not.
pub fn oldest(conn: &mut DbConnection) -> Result<Option<PendingEvent>, StoreError> {
    Ok(alert_events::table
        .order(alert_events::id)
        .select(PendingEvent::as_select())
        .first(conn)
        .optional()?)
}

/// How many events wait.
pub fn pending(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(alert_events::table.count().get_result(conn)?)
}

/// Takes `event` for one delivery: counts the attempt and holds it back until `until`
/// (the delivery's lease), if no one else took it since it was read. Returns whether this
/// call took it.
pub fn take(conn: &mut DbConnection, event: &PendingEvent, until: i64) -> Result<bool, StoreError> {
    let taken = diesel::update(alert_events::table)
        .filter(alert_events::id.eq(&event.id))
        .filter(alert_events::attempts.eq(event.attempts))
        .set((
            alert_events::attempts.eq(event.attempts + 1),
            alert_events::next_attempt_at.eq(until),
        ))
        .execute(conn)?;
    Ok(taken == 1)
}

/// The receiver took `id`: it leaves the outbox.
pub fn delivered(conn: &mut DbConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(alert_events::table.filter(alert_events::id.eq(id))).execute(conn)?;
    Ok(())
}

/// The delivery of `id` failed: tried again from `at`.
pub fn retry_at(conn: &mut DbConnection, id: &str, at: i64) -> Result<(), StoreError> {
    diesel::update(alert_events::table.filter(alert_events::id.eq(id)))
        .set(alert_events::next_attempt_at.eq(at))
        .execute(conn)?;
    Ok(())
}
