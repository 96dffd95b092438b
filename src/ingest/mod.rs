//! The one ingest path every wire format feeds: NDJSON batches ([`ndjson`]), HL7 v2 bodies
//! over HTTP and MLLP ([`hl7`], [`mllp`]) and FHIR Bundles ([`fhir`]).
//!
//! A format is a [`Source`] of items read a chunk at a time (`REALDQ_BATCH_CHUNK` items),
//! a [`Format`] that checks each item (the adapter reads, maps and validates it into a
//! [`Validated`] record and its format's answer data) and a [`Render`] that writes the
//! answers. [`run`] does the rest, the same for every format:
//!
//! ```text
//!   read chunk N+1, check it and prepare its rows    while    store chunk N, render its
//!   (blocking pool)                                           answers, hand them on
//! ```
//!
//! so validation and the database work at once. At most two chunks are held (one being
//! checked, one being stored and answered), and a chunk's answers are handed to the caller
//! (a spool, a channel, a string of ACKs) as soon as it is stored, so memory is bounded
//! whatever the size of the input. A record whose unit is outside the sender's units is
//! refused, not stored, and audited. A chunk is stored in one transaction; if that fails for
//! a reason other than the database being unreachable, its records are stored one by one,
//! so one bad write fails only its own record ([`store`]). Once the database is found
//! unreachable, later chunks are not tried: their records are answered unavailable.
//!
//! The pipeline takes no HTTP types and knows nothing of the HTTP layer: handlers in
//! `src/api/` and the MLLP listener read the bodies, call it with the service's state
//! ([`crate::service`]) and send what it renders. Its errors are its own ([`IngestError`]);
//! the HTTP layer turns them into its answers.

pub mod fhir;
pub mod fhir_bulk;
pub mod hl7;
pub mod lines;
pub mod mllp;
pub mod ndjson;
mod store;

use std::future::Future;
use std::sync::Arc;

use chrono::Utc;
use futures_util::future::join;
use futures_util::StreamExt;

use crate::access::Principal;
use crate::pipeline::Validated;
use crate::rules::Context;
use crate::service::{AppState, Caller};
use crate::store::audit::{Action, AuditEntry};
use crate::store::ingest::Stored;
use crate::store::StoreError;

/// Why a record could not be stored, or why the pipeline stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    /// The database cannot be reached (or concurrent writers kept colliding): retry later.
    #[error("database unavailable")]
    Unavailable,
    /// Anything else: its cause was logged where it happened, once.
    #[error("internal error")]
    Internal,
}

/// Where a store error met by the pipeline loses its cause: the cause is logged here, once.
impl From<StoreError> for IngestError {
    fn from(error: StoreError) -> Self {
        match error {
            // Concurrent writers kept colliding after retries: transient, retry later.
            StoreError::Conflict(_) => IngestError::Unavailable,
            error if error.is_unavailable() => {
                tracing::warn!(error = %error.causes(), "database unavailable for a record");
                IngestError::Unavailable
            }
            error => {
                tracing::error!(error = %error.causes(), "a record could not be stored");
                IngestError::Internal
            }
        }
    }
}

/// Who sends the records: the key's units bound what is stored, and every write is audited
/// under its entry (a refusal under the same entry with status 403).
#[derive(Debug, Clone)]
pub struct Sender {
    /// The key (or the MLLP peer) sending.
    pub principal: Principal,
    /// The audit entry of the writes (`Action::Create`, status 200).
    pub audit: AuditEntry,
}

impl Sender {
    /// `caller` as the sender of records: its units, its audit entry.
    pub fn of(caller: &Caller) -> Sender {
        Sender {
            principal: caller.principal.clone(),
            audit: caller.audit(Action::Create, 200),
        }
    }
}

/// One item of a chunk, checked: the format's answer data, and the record to store when it
/// is one.
#[derive(Debug)]
pub struct Checked<A> {
    /// What the format answers with (a line number, an ACK's content, an entry).
    pub answer: A,
    /// The validated record (absent when the item is not a record).
    pub record: Option<Validated>,
}

impl<A> Checked<A> {
    /// An item that is not a record: answered by its check alone.
    pub fn answer_only(answer: A) -> Self {
        Checked {
            answer,
            record: None,
        }
    }
}

/// What became of one checked item.
#[derive(Debug)]
pub enum Fate {
    /// Not a record: its check says why (nothing to store).
    NotARecord,
    /// A record of a unit outside the sender's units: refused, not stored.
    Refused,
    /// A record, stored.
    Stored {
        /// What storing did.
        stored: Stored,
        /// The result JSON without identity (`result::with_identity`), for formats that
        /// answer with it ([`Format::ANSWERS_WITH_RESULT`]); empty otherwise.
        result: String,
    },
    /// A record that could not be stored: `Unavailable` when the database could not be
    /// reached, another error when its own write failed.
    NotStored(IngestError),
}

/// A checked item and what became of it, handed to the renderer.
#[derive(Debug)]
pub struct Answered<A> {
    /// The format's answer data.
    pub answer: A,
    /// What storing did.
    pub fate: Fate,
}

/// Where a format's items come from.
pub trait Source {
    /// A chunk of items, as the format checks it.
    type Chunk: Send + 'static;
    /// The next chunk of at most `items` items; `None` once the input is exhausted (and
    /// never before: a chunk may hold only answers, but is never empty).
    fn next_chunk(&mut self, items: usize) -> impl Future<Output = Option<Self::Chunk>>;
}

/// How a format's items are checked (on the blocking pool, a chunk at a time).
pub trait Format: Send + Sync + 'static {
    /// A chunk of items, as the source reads it.
    type Chunk: Send + 'static;
    /// What each item is answered with, besides what storing it did.
    type Answer: Send + 'static;
    /// Whether the answers carry the result JSON (NDJSON's do; ACKs and OperationOutcomes
    /// are built when checked, and the result's text is then not kept).
    const ANSWERS_WITH_RESULT: bool;
    /// The format's name in the metrics (`ndjson`, `hl7v2`, `fhir`, `fhir-bulk`).
    const NAME: &'static str;
    /// Checks every item of a chunk, in order, one [`Checked`] per item.
    fn check(&self, chunk: Self::Chunk, ctx: &Context<'_>) -> Vec<Checked<Self::Answer>>;
    /// For the metrics, what an item that is no record was: rejected (the default), or
    /// taken without being a record of its own (a caregiver attached to its Patient; a
    /// resource or message with nothing to store).
    fn no_record(_answer: &Self::Answer) -> crate::metrics::Outcome {
        crate::metrics::Outcome::Rejected
    }
}

/// Writes the answers of stored chunks, in order (on the blocking pool). It is cloned for
/// each chunk and the clone kept once its answers are handed on, so after a failure the
/// caller holds the state of the last chunk it was handed.
pub trait Render: Clone + Send + 'static {
    /// What each item is answered with.
    type Answer: Send + 'static;
    /// The answer text of a chunk; `Err` stops the ingest there (nothing after this chunk
    /// is stored), with the error to answer the request with.
    fn render(&mut self, chunk: Vec<Answered<Self::Answer>>) -> Result<String, IngestError>;
}

/// A checked chunk with its rows prepared, waiting to be stored.
struct PreparedChunk<A> {
    items: Vec<(A, store::Slot)>,
    records: Vec<crate::store::ingest::PreparedRecord>,
    refused: usize,
}

/// Runs `f` on the blocking pool within the current tracing span.
async fn blocking<T, F>(f: F) -> Result<T, IngestError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        f()
    })
    .await
    .map_err(|_| {
        tracing::error!("an ingest task on the blocking pool was cancelled");
        IngestError::Internal
    })
}

/// How many chunks are checked at once: one per core (at least two, so that checking
/// overlaps storing even on one core), while one more is stored. Checking is most of
/// ingest's CPU (parsing, 70 rules, the rows' JSON, their compression); storing is one
/// writer at a time on SQLite, and mostly the server's work on PostgreSQL.
fn checkers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// Reads, checks, stores and answers everything `source` holds, as the module comment
/// says, handing each chunk's answer text to `emit` once it is stored. Stops at the first
/// error that rendering or `emit` returns, or when checking fails. Returns the renderer as
/// it was after the last chunk handed on, and how it ended.
///
/// Two loops run side by side: the checker reads chunks and checks up to [`checkers`] of
/// them at once on the blocking pool, handing them on in order; the storer stores,
/// renders and emits them one at a time. At most `checkers() + 2` chunks are held (those
/// being checked, one waiting, one being stored), whatever the size of the input.
pub async fn run<S, F, R, E, Fut>(
    state: &AppState,
    sender: &Sender,
    mut source: S,
    format: Arc<F>,
    renderer: R,
    mut emit: E,
) -> (R, Result<(), IngestError>)
where
    S: Source<Chunk = F::Chunk>,
    F: Format,
    R: Render<Answer = F::Answer>,
    E: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(), IngestError>>,
{
    let items = state.limits.batch_chunk.max(1);
    let (checked_tx, mut checked_rx) =
        tokio::sync::mpsc::channel::<Result<PreparedChunk<F::Answer>, IngestError>>(1);
    let checker = async move {
        let mut in_flight = futures_util::stream::FuturesOrdered::new();
        let mut exhausted = false;
        loop {
            while !exhausted && in_flight.len() < checkers() {
                let Some(chunk) = source.next_chunk(items).await else {
                    exhausted = true;
                    break;
                };
                let (state, format, principal) =
                    (state.clone(), format.clone(), sender.principal.clone());
                in_flight.push_back(blocking(move || {
                    let ctx = state.context(Utc::now());
                    let checked = format.check(chunk, &ctx);
                    state.metrics.lines_in_flight(checked.len() as f64);
                    store::prepare(
                        checked,
                        &state.profile_id,
                        &principal,
                        F::ANSWERS_WITH_RESULT,
                    )
                }));
            }
            let Some(checked) = in_flight.next().await else {
                return;
            };
            let failed = checked.is_err();
            // The storer has stopped: nothing more is wanted.
            if checked_tx.send(checked).await.is_err() || failed {
                return;
            }
        }
    };
    // Owns the receiver: once it ends, a checker waiting to hand on a chunk stops.
    let storer = async move {
        let mut renderer = renderer;
        let mut unavailable = false;
        while let Some(chunk) = checked_rx.recv().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => return (renderer, Err(error)),
            };
            let items = chunk.items.len();
            let metrics = Arc::clone(&state.metrics);
            let (state, audit, mut next) = (state.clone(), sender.audit.clone(), renderer.clone());
            let answered = blocking(move || {
                let writes = store::store_chunk(&state, &chunk, &audit, unavailable);
                store::count::<F>(&state.metrics, &chunk, &writes);
                let reached = writes.reached;
                let text = next.render(store::answered(chunk, writes));
                (text.map(|text| (text, next)), reached)
            })
            .await;
            let (text, next) = match answered {
                Ok((Ok(rendered), reached)) => {
                    unavailable |= !reached;
                    rendered
                }
                Ok((Err(error), _)) | Err(error) => return (renderer, Err(error)),
            };
            let emitted = emit(text).await;
            metrics.lines_in_flight(-(items as f64));
            if let Err(error) = emitted {
                return (renderer, Err(error));
            }
            renderer = next;
        }
        (renderer, Ok(()))
    };
    let ((), ended) = join(checker, storer).await;
    ended
}
