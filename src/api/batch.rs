//! `POST /v1/records/batch`: NDJSON in, NDJSON out, streamed.
//!
//! The body is read a chunk of lines at a time (`REALDQ_BATCH_CHUNK`, default 2000, and at
//! most 16 MiB). Two stages run side by side: one reads and validates chunk N+1 while the
//! other commits chunk N in one transaction and appends its answer lines to a spool, which
//! the response streams out as the client reads (memory up to a bound, then a temporary
//! file: a client that sends everything before reading never deadlocks the batch). At most
//! a few chunks are in flight, so memory stays bounded whatever the batch size. Every non-blank input line gets
//! one answer line, in order, with its line number: a result, or an error object. A bad
//! line never aborts the rest.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::{stream, StreamExt};
use tokio::sync::mpsc;

use super::auth::{unit_forbidden, Caller};
use super::body::{content_length, require_content_type};
use super::error::ErrorBody;
use super::spool::{Next, Spool};
use super::{ApiError, AppState};
use crate::access::Principal;
use crate::pipeline;
use crate::result::with_identity;
use crate::store::audit::{self, Action, AuditEntry};
use crate::store::ingest::{store_all, PreparedRecord, Stored};
use crate::store::StoreError;

const NDJSON_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/json-seq",
];

/// At most about this many bytes of lines per chunk, so that memory stays bounded even
/// when every line is near the per-record limit.
const CHUNK_BYTES: usize = 16 * 1024 * 1024;

/// One input line, read but not yet processed.
enum Line {
    /// A line to validate.
    Record { number: u64, bytes: web::Bytes },
    /// A line already known to be bad.
    Rejected { number: u64, error: ApiError },
}

impl Line {
    /// Its 1-based line number.
    fn number(&self) -> u64 {
        match self {
            Line::Record { number, .. } | Line::Rejected { number, .. } => *number,
        }
    }
}

/// Reads the body line by line with the batch's limits.
struct LineReader {
    payload: web::Payload,
    buffer: web::BytesMut,
    /// How much of `buffer` is known to hold no line end.
    scanned: usize,
    line: u64,
    read: u64,
    oversized: bool,
    exhausted: bool,
    /// The batch cap was reached: what is left in the buffer is a cut-off line.
    overflowed: bool,
    max_line: usize,
    max_total: u64,
}

impl LineReader {
    /// The next lines to process: up to `count` lines, or about `bytes` bytes of records,
    /// whichever comes first. Only the records kept count against `bytes`: blank lines and
    /// the discarded bytes of a too-long line take no room, so however many of them come
    /// in a row, the chunk goes on to the next line that needs an answer. An empty vector
    /// therefore means the body is exhausted, and nothing else does.
    async fn next_lines(&mut self, count: usize, bytes: usize) -> Vec<Line> {
        let mut lines = Vec::with_capacity(count.min(4096));
        let mut kept = 0;
        while lines.len() < count && kept < bytes {
            // A run of empty lines is numbered and dropped at once, not line by line.
            let empty = self.buffer.iter().take_while(|b| **b == b'\n').count();
            if empty > 0 && !self.oversized {
                self.line += empty as u64;
                drop(self.buffer.split_to(empty));
                self.scanned = 0;
                continue;
            }
            let unscanned = &self.buffer[self.scanned..];
            if let Some(position) = unscanned.iter().position(|b| *b == b'\n') {
                let end = self.scanned + position;
                let raw = self.buffer.split_to(end + 1).freeze();
                self.scanned = 0;
                kept += self.take_line(raw.slice(..end), &mut lines);
                continue;
            }
            self.scanned = self.buffer.len();
            if self.buffer.len() > self.max_line {
                // Too long already: keep reading to its end, but not its bytes.
                self.oversized = true;
                self.buffer.clear();
                self.scanned = 0;
            }
            if self.exhausted {
                if std::mem::take(&mut self.overflowed) {
                    // The cap cut this line short: it and the rest were not read.
                    self.buffer.clear();
                    self.oversized = false;
                    lines.push(Line::Rejected {
                        number: self.line + 1,
                        error: ApiError::PayloadTooLarge(format!(
                            "the batch exceeds {} bytes; lines from here on were not read",
                            self.max_total
                        )),
                    });
                } else if !self.buffer.is_empty() || self.oversized {
                    let raw = self.buffer.split().freeze();
                    self.take_line(raw, &mut lines);
                }
                self.scanned = 0;
                break;
            }
            match self.payload.next().await {
                Some(Ok(chunk)) => {
                    let room = self.max_total.saturating_sub(self.read);
                    if chunk.len() as u64 > room {
                        // Keep the complete lines that fit under the cap; stop reading.
                        self.read = self.max_total;
                        self.buffer.extend_from_slice(&chunk[..room as usize]);
                        self.exhausted = true;
                        self.overflowed = true;
                        continue;
                    }
                    self.read += chunk.len() as u64;
                    self.buffer.extend_from_slice(&chunk);
                }
                Some(Err(_)) => {
                    self.exhausted = true;
                    self.buffer.clear();
                    self.scanned = 0;
                    lines.push(Line::Rejected {
                        number: self.line + 1,
                        error: ApiError::InvalidJson(vec![]),
                    });
                    break;
                }
                None => self.exhausted = true,
            }
        }
        lines
    }

    /// Numbers one line and adds what it needs to `lines` (nothing for a blank line); the
    /// bytes kept for it.
    fn take_line(&mut self, raw: web::Bytes, lines: &mut Vec<Line>) -> usize {
        self.line += 1;
        let number = self.line;
        let content = raw.strip_suffix(b"\r").map_or(raw.len(), <[u8]>::len);
        if std::mem::take(&mut self.oversized) || content > self.max_line {
            lines.push(Line::Rejected {
                number,
                error: ApiError::PayloadTooLarge(format!(
                    "a line may be at most {} bytes",
                    self.max_line
                )),
            });
            return 0;
        }
        let trimmed = raw.strip_suffix(b"\r").unwrap_or(&raw);
        if trimmed.iter().all(u8::is_ascii_whitespace) {
            return 0;
        }
        let length = trimmed.len();
        lines.push(Line::Record {
            number,
            bytes: raw.slice(..length),
        });
        length
    }
}

/// The response's end of the spool: dropped when the client goes away, which stops the
/// pipeline.
struct SpoolReader(Spool);

impl Drop for SpoolReader {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// What a line became after validation.
enum Answer {
    /// Valid: the index of its prepared record in the chunk.
    Valid(usize),
    /// Rejected.
    Error(ApiError),
    /// The batch stopped here after a failure of the service.
    Stopped,
}

/// A validated chunk, waiting to be stored.
struct ValidatedChunk {
    answers: Vec<(u64, Answer)>,
    prepared: Vec<PreparedRecord>,
    /// Lines refused because their unit is outside the key's units.
    refused: usize,
}

/// `POST /v1/records/batch`.
pub async fn ingest(
    req: HttpRequest,
    payload: web::Payload,
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, NDJSON_TYPES, "application/x-ndjson")?;
    let limits = state.limits;
    if content_length(&req).is_some_and(|length| length > limits.max_batch_bytes) {
        return Err(ApiError::PayloadTooLarge(format!(
            "a batch may be at most {} bytes",
            limits.max_batch_bytes
        )));
    }
    let mut reader = LineReader {
        payload,
        buffer: web::BytesMut::new(),
        scanned: 0,
        line: 0,
        read: 0,
        oversized: false,
        exhausted: false,
        overflowed: false,
        max_line: limits.max_record_bytes,
        max_total: limits.max_batch_bytes,
    };
    // Stage 1: read and validate, one chunk ahead of the store.
    let (validated_tx, validated_rx) = mpsc::channel::<ValidatedChunk>(1);
    let validator = state.clone();
    let principal = caller.principal.clone();
    actix_web::rt::spawn(async move {
        loop {
            let lines = reader.next_lines(limits.batch_chunk, CHUNK_BYTES).await;
            let Some(first) = lines.first().map(Line::number) else {
                break;
            };
            let (state, principal) = (validator.clone(), principal.clone());
            let chunk = match web::block(move || validate_chunk(lines, &state, &principal)).await {
                Ok(chunk) => chunk,
                Err(_) => {
                    tracing::error!("batch validation task was cancelled");
                    // The batch ends with a line that says so, not in silence.
                    let _ = validated_tx.send(ValidatedChunk::stopped_at(first)).await;
                    break;
                }
            };
            if validated_tx.send(chunk).await.is_err() {
                // The client went away: stop reading.
                break;
            }
        }
    });
    // Stage 2: store each chunk in one transaction; its answer lines go to the spool.
    let spool = Spool::new();
    let writer = spool.clone();
    let span = tracing::Span::current();
    actix_web::rt::spawn(async move {
        let mut validated_rx = validated_rx;
        while let Some(chunk) = validated_rx.recv().await {
            if writer.is_closed() {
                break;
            }
            let first = chunk.answers.first().map_or(1, |(number, _)| *number);
            let (worker, spool, span) = (state.clone(), writer.clone(), span.clone());
            let entry = caller.audit(Action::Create, 200);
            let pushed = web::block(move || {
                let _entered = span.enter();
                let stored = store_chunk(&worker, &chunk, &entry);
                spool.push(render(chunk, &stored))
            })
            .await;
            match pushed {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => {
                    tracing::error!(error = %error, "batch answers could not be spooled");
                }
                Err(_) => tracing::error!("batch store task was cancelled"),
            }
            // The chunk's answers are lost: end with a line that says so, or, if even that
            // cannot be spooled, make the response fail rather than end as if complete.
            let spool = writer.clone();
            let ended = web::block(move || spool.push(stopped_line(first))).await;
            if !matches!(ended, Ok(Ok(()))) {
                writer.abort();
            }
            break;
        }
        writer.finish();
    });
    // The response: the spool, in order, as the client reads it. A spool that cannot be
    // read back fails the response (the client sees a broken transfer, never a clean end).
    let answers = stream::unfold(Some(SpoolReader(spool)), |reader| async move {
        let reader = reader?;
        loop {
            let spool = reader.0.clone();
            match web::block(move || spool.take()).await {
                Ok(Ok(Next::Bytes(bytes))) => {
                    return Some((Ok::<_, actix_web::Error>(bytes), Some(reader)))
                }
                Ok(Ok(Next::Wait)) => reader.0.wait().await,
                Ok(Ok(Next::End)) => return None,
                Ok(Err(error)) => {
                    tracing::error!(error = %error, "batch answers could not be read back");
                    return Some((Err(actix_web::error::ErrorInternalServerError(error)), None));
                }
                Err(error) => {
                    tracing::error!("batch answers could not be read back");
                    return Some((Err(actix_web::error::ErrorInternalServerError(error)), None));
                }
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(answers))
}

impl ValidatedChunk {
    /// A chunk that only says the batch stopped at line `number`.
    fn stopped_at(number: u64) -> Self {
        ValidatedChunk {
            answers: vec![(number, Answer::Stopped)],
            prepared: Vec::new(),
            refused: 0,
        }
    }
}

/// Why a batch stopped at a line: an internal failure, after which neither this line nor
/// the ones after it were answered (re-posting them is safe: storing is idempotent).
fn stopped() -> ErrorBody {
    ErrorBody {
        code: "internal",
        message: "the batch stopped at this line after an internal error: this line and the \
                  ones after it were not answered; post them again"
            .into(),
        details: Vec::new(),
    }
}

/// The answer line that ends a batch stopped at line `number`.
fn stopped_line(number: u64) -> web::Bytes {
    let error = serde_json::to_string(&stopped()).expect("error serialises");
    web::Bytes::from(format!("{{\"line\":{number},\"error\":{error}}}\n"))
}

/// Validates a chunk of lines and prepares the valid ones, of the key's units, for storage.
fn validate_chunk(lines: Vec<Line>, state: &AppState, principal: &Principal) -> ValidatedChunk {
    let ctx = state.context(Utc::now());
    let mut answers = Vec::with_capacity(lines.len());
    let mut prepared = Vec::with_capacity(lines.len());
    let mut refused = 0;
    for line in lines {
        match line {
            Line::Rejected { number, error } => answers.push((number, Answer::Error(error))),
            Line::Record { number, bytes } => match pipeline::validate_json(&bytes, &ctx) {
                Ok(validated) if !principal.allows_unit(&validated.record.unit) => {
                    refused += 1;
                    answers.push((number, Answer::Error(unit_forbidden())));
                }
                Ok(validated) => {
                    prepared.push(pipeline::prepare(&validated, &state.profile_id));
                    answers.push((number, Answer::Valid(prepared.len() - 1)));
                }
                Err(rejection) => answers.push((number, Answer::Error(rejection.into()))),
            },
        }
    }
    ValidatedChunk {
        answers,
        prepared,
        refused,
    }
}

/// Stores the chunk in one transaction with its audit row; if that fails for a reason other
/// than the database being down, stores record by record so one bad write sinks only
/// itself. Lines refused for their unit get an audit row of their own.
fn store_chunk(
    state: &AppState,
    chunk: &ValidatedChunk,
    entry: &AuditEntry,
) -> Vec<Result<Stored, ApiError>> {
    let prepared = &chunk.prepared;
    let received_at = Utc::now().timestamp_micros();
    if chunk.refused > 0 {
        let refusal = AuditEntry {
            status: 403,
            record_count: chunk.refused,
            ..entry.clone()
        };
        let audited = state
            .pool
            .get()
            .map_err(StoreError::from)
            .and_then(|mut conn| audit::record(&mut conn, &refusal, received_at));
        if let Err(error) = audited {
            tracing::warn!(error = %error, "refused batch lines could not be audited");
        }
    }
    if prepared.is_empty() {
        return Vec::new();
    }
    let mut conn = match state.pool.get() {
        Ok(conn) => conn,
        Err(error) => {
            tracing::warn!(error = %error, "database unavailable for a batch chunk");
            return prepared
                .iter()
                .map(|_| Err(ApiError::Unavailable))
                .collect();
        }
    };
    match store_all(&mut conn, prepared, received_at, Some(entry)) {
        Ok(stored) => stored.into_iter().map(Ok).collect(),
        Err(StoreError::Unavailable(error)) => {
            tracing::warn!(error = %error, "database unavailable for a batch chunk");
            prepared
                .iter()
                .map(|_| Err(ApiError::Unavailable))
                .collect()
        }
        Err(_) => prepared
            .iter()
            .map(|record| {
                store_all(
                    &mut conn,
                    std::slice::from_ref(record),
                    received_at,
                    Some(entry),
                )
                .map(|mut stored| stored.remove(0))
                .map_err(ApiError::from)
            })
            .collect(),
    }
}

/// The answer lines of a chunk.
fn render(chunk: ValidatedChunk, stored: &[Result<Stored, ApiError>]) -> web::Bytes {
    let mut out = String::with_capacity(
        chunk
            .prepared
            .iter()
            .map(|p| p.result_tail.len() + 96)
            .sum(),
    );
    let (mut ok, mut failed) = (0usize, 0usize);
    for (number, answer) in chunk.answers {
        let outcome = match answer {
            Answer::Valid(index) => match &stored[index] {
                Ok(stored) => Ok(with_identity(
                    &chunk.prepared[index].result_tail,
                    &stored.id,
                    Some(stored.outcome),
                )),
                Err(error) => Err(error.body()),
            },
            Answer::Error(error) => Err(error.body()),
            Answer::Stopped => Err(stopped()),
        };
        match outcome {
            Ok(result) => {
                ok += 1;
                out.push_str(&format!("{{\"line\":{number},\"result\":{result}}}\n"));
            }
            Err(body) => {
                failed += 1;
                let error = serde_json::to_string(&body).expect("error serialises");
                out.push_str(&format!("{{\"line\":{number},\"error\":{error}}}\n"));
            }
        }
    }
    tracing::info!(stored = ok, rejected = failed, "batch chunk processed");
    web::Bytes::from(out)
}
