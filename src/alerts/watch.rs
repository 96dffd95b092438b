//! The alert watcher: evaluates within a second of any change this instance stored, and
//! once a minute whatever happens (another instance's writes, `real-dq revalidate`,
//! `purge`, a new profile: the first evaluation runs at start).

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::service::AppState;

/// How often the watcher looks for changes.
const TICK: Duration = Duration::from_secs(1);
/// The longest it goes without evaluating.
const FULL: Duration = Duration::from_secs(60);

/// Runs until the runtime stops.
pub async fn watch(state: AppState) {
    let mut seen: Option<u64> = None;
    let mut last = Instant::now();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let changes = state.metrics.changes();
        if seen == Some(changes) && last.elapsed() < FULL {
            continue;
        }
        match evaluate(&state).await {
            Ok(announced) => {
                seen = Some(changes);
                last = Instant::now();
                if announced > 0 {
                    tracing::info!(events = announced, "alert thresholds crossed");
                    state.alerts.wake.notify_one();
                }
            }
            // Tried again at the next tick: the state and the outbox are written in one
            // transaction, so a failed evaluation has changed nothing.
            Err(error) => tracing::warn!(error = format!("{error:#}"), "alert evaluation failed"),
        }
    }
}

/// One evaluation on the blocking pool; how many events it wrote.
pub async fn evaluate(state: &AppState) -> anyhow::Result<usize> {
    let (pool, profile) = (state.pool.clone(), state.profile.clone());
    let announce = state.alerts.webhook.is_some();
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let mut conn = pool.get().map_err(crate::store::StoreError::Pool)?;
        super::evaluate(&mut conn, &profile, Utc::now(), announce).map(|e| e.announced)
    })
    .await
    .map_err(|_| anyhow::anyhow!("the evaluation's task stopped"))?
    .map_err(Into::into)
}
