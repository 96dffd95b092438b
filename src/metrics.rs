//! Operational metrics in the Prometheus text format (`GET /metrics`): records received
//! and what became of them by format, source and outcome; rules fired on stored records;
//! request latency by route; the database pool; batch lines in flight.
//!
//! Each running service has its own recorder (`metrics-exporter-prometheus`, no global
//! one), so that two services in one process (the tests) never mix their numbers. Labels
//! are route patterns, formats, sending systems, outcomes and rule IDs: never a patient
//! identifier, a key or a value from a record.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use metrics::{Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::store::{DbPool, PoolEvents};

/// Upper bounds of the latency histograms, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The media type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// A service's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// The pool's checkout waits and timeouts, counted by the store.
    pub pool_events: Arc<PoolEvents>,
    /// Records stored that changed something (created, replaced, historical): the alert
    /// watcher evaluates when this moves.
    changes: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// What became of a record (or of an item that was no record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Stored: a new patient.
    Created,
    /// Stored: a newer state of its patient.
    Replaced,
    /// Stored in history only: older than its patient's current state.
    Historical,
    /// Already stored: nothing new.
    Duplicate,
    /// Not a record: unreadable, invalid, or a caregiver of no Patient.
    Rejected,
    /// Not a record of its own: a caregiver attached to its Patient.
    Attached,
    /// Nothing to store: a resource real-dq does not read, a message without demographics.
    Ignored,
    /// Refused: a unit outside the sender's key's units.
    Refused,
    /// A record that could not be stored.
    NotStored,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Replaced => "replaced",
            Outcome::Historical => "historical",
            Outcome::Duplicate => "duplicate",
            Outcome::Rejected => "rejected",
            Outcome::Attached => "attached",
            Outcome::Ignored => "ignored",
            Outcome::Refused => "refused",
            Outcome::NotStored => "not_stored",
        }
    }

    /// The outcome of a store outcome.
    pub fn of(stored: crate::store::StoreOutcome) -> Outcome {
        use crate::store::StoreOutcome;
        match stored {
            StoreOutcome::Created => Outcome::Created,
            StoreOutcome::Replaced => Outcome::Replaced,
            StoreOutcome::Historical => Outcome::Historical,
            StoreOutcome::Duplicate => Outcome::Duplicate,
        }
    }
}

impl Metrics {
    /// Metrics with nothing recorded yet.
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .expect("the latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics {
            recorder,
            handle,
            pool_events: Arc::new(PoolEvents::default()),
            changes: Default::default(),
        };
        metrics.describe();
        metrics
    }

    fn describe(&self) {
        let r = &self.recorder;
        r.describe_counter(
            "realdq_records_total".into(),
            None,
            "Items received (records, lines, messages, resources) by format, sending system and what became of them"
                .into(),
        );
        r.describe_counter(
            "realdq_rule_fired_total".into(),
            None,
            "Records stored (not duplicates) on which the rule fired, by rule".into(),
        );
        r.describe_histogram(
            "realdq_http_request_duration_seconds".into(),
            Some(metrics::Unit::Seconds),
            "HTTP request latency by method, route pattern and status, to the end of the response's head"
                .into(),
        );
        r.describe_counter(
            "realdq_alert_deliveries_total".into(),
            None,
            "Alert webhook deliveries tried, by outcome (delivered, failed, unreachable)".into(),
        );
        r.describe_gauge(
            "realdq_batch_lines_in_flight".into(),
            None,
            "Items read by an ingest (batch lines, messages, resources) and not yet answered"
                .into(),
        );
        r.describe_gauge(
            "realdq_db_pool_connections".into(),
            None,
            "Database connections open, by state (in_use, idle)".into(),
        );
        r.describe_counter(
            "realdq_db_pool_checkouts_total".into(),
            None,
            "Connections taken from the pool".into(),
        );
        r.describe_counter(
            "realdq_db_pool_wait_microseconds_total".into(),
            Some(metrics::Unit::Microseconds),
            "Time spent waiting for a pool connection".into(),
        );
        r.describe_counter(
            "realdq_db_pool_timeouts_total".into(),
            None,
            "Waits for a pool connection that timed out".into(),
        );
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> metrics::Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    /// Counts `n` items of `format` from `source` that ended as `outcome`.
    pub fn records(&self, format: &'static str, source: &str, outcome: Outcome, n: u64) {
        if n == 0 {
            return;
        }
        if matches!(
            outcome,
            Outcome::Created | Outcome::Replaced | Outcome::Historical
        ) {
            self.changes.fetch_add(n, Ordering::Relaxed);
        }
        self.counter(
            "realdq_records_total",
            vec![
                Label::new("format", format),
                Label::new("source", source.to_string()),
                Label::new("outcome", outcome.as_str()),
            ],
        )
        .increment(n);
    }

    /// How many stored records changed something so far.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// Counts one webhook delivery: `delivered`, `failed` (the receiver answered another
    /// status) or `unreachable`.
    pub fn alert_delivery(&self, outcome: &'static str) {
        self.counter(
            "realdq_alert_deliveries_total",
            vec![Label::new("outcome", outcome)],
        )
        .increment(1);
    }

    /// Counts one record stored through a single-record route.
    pub fn stored(
        &self,
        format: &'static str,
        source: &str,
        outcome: crate::store::StoreOutcome,
        rules: &[&str],
    ) {
        let outcome = Outcome::of(outcome);
        self.records(format, source, outcome, 1);
        if outcome != Outcome::Duplicate {
            self.rules_fired(rules.iter().copied());
        }
    }

    /// Counts a stored record's rules fired.
    pub fn rules_fired<'a>(&self, rules: impl IntoIterator<Item = &'a str>) {
        for rule in rules {
            self.rule_fired(rule, 1);
        }
    }

    /// Counts `n` stored records on which `rule` fired.
    pub fn rule_fired(&self, rule: &str, n: u64) {
        self.counter(
            "realdq_rule_fired_total",
            vec![Label::new("rule", rule.to_string())],
        )
        .increment(n);
    }

    /// Records a request's latency.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let key = Key::from_parts(
            "realdq_http_request_duration_seconds",
            vec![
                Label::new("method", method.to_string()),
                Label::new("route", route.to_string()),
                Label::new("status", status.to_string()),
            ],
        );
        self.recorder
            .register_histogram(&key, &METADATA)
            .record(seconds);
    }

    /// Items read by an ingest and not yet answered: `delta` more (or fewer).
    pub fn lines_in_flight(&self, delta: f64) {
        let gauge = self
            .recorder
            .register_gauge(&Key::from_name("realdq_batch_lines_in_flight"), &METADATA);
        if delta >= 0.0 {
            gauge.increment(delta);
        } else {
            gauge.decrement(-delta);
        }
    }

    /// The text to answer a scrape with: the pool's state read now.
    pub fn render(&self, pool: &DbPool) -> String {
        let state = pool.state();
        let in_use = state.connections.saturating_sub(state.idle_connections);
        for (label, value) in [("in_use", in_use), ("idle", state.idle_connections)] {
            self.recorder
                .register_gauge(
                    &Key::from_parts(
                        "realdq_db_pool_connections",
                        vec![Label::new("state", label)],
                    ),
                    &METADATA,
                )
                .set(f64::from(value));
        }
        let events = &self.pool_events;
        let absolute = |name: &'static str, value: u64| {
            self.recorder
                .register_counter(&Key::from_name(name), &METADATA)
                .absolute(value);
        };
        absolute(
            "realdq_db_pool_checkouts_total",
            events.checkouts.load(Ordering::Relaxed),
        );
        absolute(
            "realdq_db_pool_timeouts_total",
            events.timeouts.load(Ordering::Relaxed),
        );
        absolute(
            "realdq_db_pool_wait_microseconds_total",
            events.wait_micros.load(Ordering::Relaxed),
        );
        self.handle.render()
    }
}
