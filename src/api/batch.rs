//! `POST /v1/records/batch`: NDJSON in, NDJSON out, streamed.
//!
//! The body's lines go through the ingest pipeline ([`crate::ingest`]): read and checked a
//! chunk at a time (`REALDQ_BATCH_CHUNK` lines, default 2000, and at most 16 MiB) while the
//! chunk before is stored, each chunk's answer lines appended to a spool as soon as it is
//! stored. The response streams the spool as the client reads (memory up to a bound, then a
//! temporary file: a client that sends everything before reading never deadlocks the
//! batch). Every non-blank input line gets one answer line, in order, with its line number:
//! a result, or an error object. A bad line, or a line whose write fails, never aborts the
//! rest; a batch that stops after an internal failure ends with a line that says so.

use std::sync::Arc;

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::stream;
use tracing::Instrument;

use super::auth::unit_forbidden;
use super::body::{content_length, require_content_type};
use super::error::ErrorBody;
use super::spool::{Next, Spool};
use super::ApiError;
use crate::ingest::lines::LineReader;
use crate::ingest::ndjson::{LineAnswer, Ndjson};
use crate::ingest::{Answered, Fate, Format, IngestError, Render, Sender, Source};
use crate::result::with_identity;
use crate::service::{AppState, Caller};

const NDJSON_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/json-seq",
];

/// The response's end of the spool: dropped when the client goes away, which stops the
/// pipeline.
struct SpoolReader(Spool);

impl Drop for SpoolReader {
    fn drop(&mut self) {
        self.0.close();
    }
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
    let lines = LineReader::new(payload, limits.max_record_bytes, limits.max_batch_bytes);
    Ok(spooled(
        state,
        Sender::of(&caller),
        lines,
        Arc::new(Ndjson),
        AnswerLines::default(),
        AnswerLines::stopped_line,
        "application/x-ndjson",
    ))
}

/// Runs `source` through the ingest pipeline on a task of its own and answers with what
/// `renderer` writes, through a spool, as the client reads it. A run that stops after an
/// internal failure ends with `stopped`'s line (or, if even that cannot be spooled, a
/// broken transfer), never as if complete.
pub(super) fn spooled<S, F, R>(
    state: web::Data<AppState>,
    sender: Sender,
    source: S,
    format: Arc<F>,
    renderer: R,
    stopped: fn(&R) -> Bytes,
    content_type: &'static str,
) -> HttpResponse
where
    S: Source<Chunk = F::Chunk> + 'static,
    F: Format,
    R: Render<Answer = F::Answer>,
{
    let spool = Spool::new();
    let writer = spool.clone();
    let work = async move {
        let emit = |text: String| {
            let spool = writer.clone();
            async move {
                if spool.is_closed() {
                    // The client went away: stop reading and storing.
                    return Err(IngestError::Internal);
                }
                match web::block(move || spool.push(Bytes::from(text))).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(error)) => {
                        tracing::error!(error = %error, "batch answers could not be spooled");
                        Err(IngestError::Internal)
                    }
                    Err(_) => {
                        tracing::error!("blocking task was cancelled");
                        Err(IngestError::Internal)
                    }
                }
            }
        };
        let (answered, ended) =
            crate::ingest::run(&state, &sender, source, format, renderer, emit).await;
        if ended.is_err() && !writer.is_closed() {
            // The batch ends with a line that says where it stopped, or, if even that cannot
            // be spooled, the response fails rather than end as if complete.
            let (spool, line) = (writer.clone(), stopped(&answered));
            if !matches!(web::block(move || spool.push(line)).await, Ok(Ok(()))) {
                writer.abort();
            }
        }
        writer.finish();
    };
    actix_web::rt::spawn(work.instrument(tracing::Span::current()));
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
    HttpResponse::Ok()
        .content_type(content_type)
        .streaming(answers)
}

/// Writes the answer lines of stored chunks (their errors in the API's envelope); knows
/// the last line answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnswerLines {
    last: u64,
}

impl Render for AnswerLines {
    type Answer = LineAnswer;

    fn render(&mut self, chunk: Vec<Answered<LineAnswer>>) -> Result<String, IngestError> {
        let size: usize = chunk
            .iter()
            .map(|item| match &item.fate {
                Fate::Stored { result, .. } => result.len() + 96,
                _ => 160,
            })
            .sum();
        let mut out = String::with_capacity(size);
        let (mut stored, mut failed) = (0usize, 0usize);
        for Answered { answer, fate } in chunk {
            let number = answer.number;
            self.last = number;
            let error = match fate {
                Fate::Stored {
                    stored: what,
                    result,
                } => {
                    stored += 1;
                    let result = with_identity(&result, &what.id, Some(what.outcome));
                    out.push_str(&format!("{{\"line\":{number},\"result\":{result}}}\n"));
                    continue;
                }
                Fate::NotARecord => answer.error.map_or(ApiError::Internal, ApiError::from),
                Fate::Refused => unit_forbidden(),
                Fate::NotStored(error) => error.into(),
            };
            failed += 1;
            out.push_str(&error_line(number, &error.body()));
        }
        tracing::info!(stored, rejected = failed, "batch chunk processed");
        Ok(out)
    }
}

impl AnswerLines {
    /// The line that ends a batch stopped after an internal failure, right after the last
    /// line answered: that line and the ones after it were not answered (posting them
    /// again is safe: storing is idempotent).
    pub fn stopped_line(&self) -> Bytes {
        let body = ErrorBody {
            code: "internal",
            message: "the batch stopped at this line after an internal error: this line and \
                      the ones after it were not answered; post them again"
                .into(),
            details: Vec::new(),
        };
        Bytes::from(error_line(self.last + 1, &body))
    }
}

fn error_line(number: u64, body: &ErrorBody) -> String {
    let error = serde_json::to_string(body).expect("error serialises");
    format!("{{\"line\":{number},\"error\":{error}}}\n")
}
