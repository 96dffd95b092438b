//! The webhook's deliverer: sends the outbox's events oldest first, one at a time, as
//! `POST` with a JSON body; an event leaves the outbox when the receiver answers 2xx, and
//! is tried again with backoff (1 s, 2 s, 4 s, ... at most 5 minutes) otherwise, holding
//! back the events after it so that they arrive in order. The receiver's URL (which may
//! carry a token) and the bodies are never logged.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Webhook;
use crate::service::AppState;
use crate::store::alerts::{self as outbox, PendingEvent};

/// How long the deliverer sleeps with nothing to send (a bell wakes it sooner).
const IDLE: Duration = Duration::from_secs(5);
/// How long one delivery may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a delivery holds its event (another instance's deliverer waits that long).
const LEASE: Duration = Duration::from_secs(30);
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The wait before try `attempts + 1` after `attempts` failed ones.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 20) as u32 - 1;
    Duration::from_secs(1u64 << exponent).min(MAX_BACKOFF)
}

/// The signature header's value: `sha256=` and the hex HMAC-SHA256 of the body.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// What a step of the deliverer did.
enum Step {
    /// An event was tried (sent or not): look again at once.
    Tried,
    /// Nothing to send.
    Idle,
    /// The oldest event is not due yet.
    NotBefore(Duration),
}

/// Runs until the runtime stops (returns at once without a webhook).
pub async fn deliver(state: AppState) {
    let Some(webhook) = state.alerts.webhook.clone() else {
        return;
    };
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("real-dq/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "the alert webhook's HTTP client cannot be built; no event will be sent");
            return;
        }
    };
    loop {
        let wait = match step(&state, &client, &webhook).await {
            Ok(Step::Tried) => continue,
            Ok(Step::Idle) => IDLE,
            Ok(Step::NotBefore(wait)) => wait.min(IDLE),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "alert outbox unreadable");
                IDLE
            }
        };
        tokio::select! {
            _ = state.alerts.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Tries the oldest event if it is due.
async fn step(
    state: &AppState,
    client: &reqwest::Client,
    webhook: &Webhook,
) -> anyhow::Result<Step> {
    let Some(event) = db(state, outbox::oldest).await? else {
        return Ok(Step::Idle);
    };
    let now = chrono::Utc::now().timestamp_micros();
    if event.next_attempt_at > now {
        let wait = (event.next_attempt_at - now) as u64;
        return Ok(Step::NotBefore(Duration::from_micros(wait)));
    }
    let lease = now + LEASE.as_micros() as i64;
    let taken = {
        let event = event.clone();
        db(state, move |conn| outbox::take(conn, &event, lease)).await?
    };
    if !taken {
        return Ok(Step::Tried);
    }
    let attempt = event.attempts + 1;
    let outcome = send(client, webhook, &event).await;
    state.metrics.alert_delivery(outcome.label());
    if let Delivery::Delivered = outcome {
        let id = event.id.clone();
        db(state, move |conn| outbox::delivered(conn, &id)).await?;
        tracing::info!(attempt, "alert event delivered");
    } else {
        let wait = backoff(attempt);
        let at = chrono::Utc::now().timestamp_micros() + wait.as_micros() as i64;
        let id = event.id.clone();
        db(state, move |conn| outbox::retry_at(conn, &id, at)).await?;
        tracing::warn!(
            attempt,
            outcome = outcome.label(),
            status = outcome.status(),
            retry_in_seconds = wait.as_secs(),
            "alert event not delivered; tried again later"
        );
    }
    Ok(Step::Tried)
}

/// What became of one try.
enum Delivery {
    Delivered,
    Failed(u16),
    Unreachable,
}

impl Delivery {
    fn label(&self) -> &'static str {
        match self {
            Delivery::Delivered => "delivered",
            Delivery::Failed(_) => "failed",
            Delivery::Unreachable => "unreachable",
        }
    }

    fn status(&self) -> u16 {
        match self {
            Delivery::Failed(status) => *status,
            _ => 0,
        }
    }
}

async fn send(client: &reqwest::Client, webhook: &Webhook, event: &PendingEvent) -> Delivery {
    let name = serde_json::from_str::<serde_json::Value>(&event.event)
        .ok()
        .and_then(|v| v["event"].as_str().map(str::to_string))
        .unwrap_or_default();
    let mut request = client
        .post(&webhook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-RealDQ-Event", name)
        .header("X-RealDQ-Delivery", &event.id);
    if let Some(secret) = &webhook.secret {
        request = request.header("X-RealDQ-Signature", signature(secret, &event.event));
    }
    match request.body(event.event.clone()).send().await {
        Ok(response) if response.status().is_success() => Delivery::Delivered,
        Ok(response) => Delivery::Failed(response.status().as_u16()),
        Err(_) => Delivery::Unreachable,
    }
}

/// Runs `work` on a pooled connection on the blocking pool.
async fn db<T, F>(state: &AppState, work: F) -> anyhow::Result<T>
where
    F: FnOnce(&mut crate::store::DbConnection) -> Result<T, crate::store::StoreError>
        + Send
        + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await
    .map_err(|_| anyhow::anyhow!("the outbox's task stopped"))??;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let waits: Vec<u64> = (1..=11).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]);
        assert_eq!(backoff(i32::MAX).as_secs(), 300);
    }

    #[test]
    fn the_signature_is_the_bodys_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
