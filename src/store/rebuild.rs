//! Recounts a migration asks for (`pending_rebuilds`), done when the store is opened,
//! before the service takes a request: a migration that changes how kept rows are keyed
//! cannot always recount them in SQL (a key's timeline is a compact binary column), so it
//! leaves a row naming the recount, and this does it from the current states, in pages
//! (memory stays bounded at any size), then removes the row. An interrupted recount starts
//! again from nothing the next time.

use diesel::prelude::*;

use super::connection::DbConnection;
use super::findings::FindingChanges;
use super::ingest::StateRow;
use super::schema::pending_rebuilds;
use super::trend::TrendChanges;
use super::StoreError;

/// States read per page.
const PAGE: i64 = 20_000;

/// Does the recounts the migrations asked for; how many.
pub fn pending(conn: &mut DbConnection) -> Result<usize, StoreError> {
    let names: Vec<String> = pending_rebuilds::table
        .select(pending_rebuilds::name)
        .load(conn)?;
    for name in &names {
        match name.as_str() {
            "trend" => {
                let started = std::time::Instant::now();
                let states = trend(conn)?;
                tracing::info!(
                    states,
                    seconds = started.elapsed().as_secs_f64(),
                    "trend recounted from the timelines"
                );
            }
            "findings" => {
                let started = std::time::Instant::now();
                let states = findings(conn)?;
                tracing::info!(
                    states,
                    seconds = started.elapsed().as_secs_f64(),
                    "findings over time recounted from the timelines"
                );
            }
            other => tracing::warn!(recount = other, "unknown recount asked for; skipped"),
        }
        diesel::delete(pending_rebuilds::table.filter(pending_rebuilds::name.eq(name)))
            .execute(conn)?;
    }
    Ok(names.len())
}

/// Recounts the trend (`trend_days`, `trend_months`) from every key's timeline: each
/// version counts from its day until the day of the version after it. Returns the states
/// read.
pub fn trend(conn: &mut DbConnection) -> Result<u64, StoreError> {
    use super::schema::{trend_days, trend_months};
    diesel::delete(trend_days::table).execute(conn)?;
    diesel::delete(trend_months::table).execute(conn)?;
    each_page(conn, |page| {
        let mut changes = TrendChanges::default();
        for state in page {
            let place = (state.unit.as_str(), state.source.as_str());
            let versions = state.timeline();
            let versions = versions.versions();
            for (i, version) in versions.iter().enumerate() {
                changes.add(place, super::trend::day_of(version.at), &version.combo, 1);
                if let Some(next) = versions.get(i + 1) {
                    changes.add(place, super::trend::day_of(next.at), &version.combo, -1);
                }
            }
        }
        Box::new(move |conn| changes.apply(&mut conn.concrete()))
    })
}

/// Recounts the findings over time (`finding_days`, `finding_months`) from every key's
/// timeline. Returns the states read.
pub fn findings(conn: &mut DbConnection) -> Result<u64, StoreError> {
    use super::schema::{finding_days, finding_months};
    diesel::delete(finding_days::table).execute(conn)?;
    diesel::delete(finding_months::table).execute(conn)?;
    each_page(conn, |page| {
        let mut changes = FindingChanges::default();
        for state in page {
            let spans = super::findings::spans(state.timeline().versions());
            changes.replace(&state.unit, &[], &spans);
        }
        Box::new(move |conn| changes.apply(&mut conn.concrete()))
    })
}

/// What a page of states writes.
type Write = Box<dyn FnOnce(&mut DbConnection) -> Result<(), diesel::result::Error>>;

/// Reads every state a page at a time, in key order, and writes what `count` makes of each
/// page in a transaction of its own. Returns the states read.
fn each_page(
    conn: &mut DbConnection,
    mut count: impl FnMut(&[StateRow]) -> Write,
) -> Result<u64, StoreError> {
    let mut after: Option<(String, String, String)> = None;
    let mut read = 0u64;
    loop {
        let page = StateRow::page(conn, after.as_ref(), PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        after = Some((
            last.source.clone(),
            last.patient_id.clone(),
            last.unit.clone(),
        ));
        read += page.len() as u64;
        let write = count(&page);
        conn.write_transaction::<_, StoreError>(|conn| Ok(write(conn)?))?;
    }
    Ok(read)
}
