//! `POST /v1/records/batch`: NDJSON in, NDJSON out, streamed.
//!
//! The body is read a chunk of lines at a time (`REALDQ_BATCH_CHUNK`, default 1000); each
//! chunk is validated and committed in one transaction, and its answer lines are sent
//! before the next chunk is read, so memory stays bounded whatever the batch size. Every
//! non-blank input line gets one answer line, in order, with its line number: a result, or
//! an error object. A bad line never aborts the rest.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use futures_util::{stream, StreamExt};

use super::body::{content_length, require_content_type};
use super::error::ErrorBody;
use super::{ApiError, AppState};
use crate::pipeline::{self, Validated};
use crate::record::Rejection;
use crate::store::ingest::{store_all, Stored};
use crate::store::StoreError;

const NDJSON_TYPES: &[&str] = &[
    "application/x-ndjson",
    "application/ndjson",
    "application/jsonl",
    "application/json-seq",
];

/// One input line, read but not yet processed.
enum Line {
    /// A line to validate.
    Record { number: u64, bytes: web::Bytes },
    /// A line already known to be bad.
    Rejected { number: u64, error: ApiError },
}

/// Reads the body line by line with the batch's limits.
struct LineReader {
    payload: web::Payload,
    buffer: web::BytesMut,
    line: u64,
    read: u64,
    oversized: bool,
    exhausted: bool,
    max_line: usize,
    max_total: u64,
}

impl LineReader {
    /// Up to `count` lines; an empty vector once the body is exhausted.
    async fn next_lines(&mut self, count: usize) -> Vec<Line> {
        let mut lines = Vec::with_capacity(count.min(4096));
        while lines.len() < count {
            if let Some(position) = self.buffer.iter().position(|b| *b == b'\n') {
                let raw = self.buffer.split_to(position + 1).freeze();
                self.take_line(raw.slice(..position), &mut lines);
                continue;
            }
            if self.buffer.len() > self.max_line {
                self.oversized = true;
                self.buffer.clear();
            }
            if self.exhausted {
                if !self.buffer.is_empty() || self.oversized {
                    let raw = self.buffer.split().freeze();
                    self.take_line(raw, &mut lines);
                }
                break;
            }
            match self.payload.next().await {
                Some(Ok(chunk)) => {
                    self.read += chunk.len() as u64;
                    if self.read > self.max_total {
                        self.exhausted = true;
                        self.buffer.clear();
                        self.oversized = false;
                        lines.push(Line::Rejected {
                            number: self.line + 1,
                            error: ApiError::PayloadTooLarge(format!(
                                "the batch exceeds {} bytes; lines from here on were not read",
                                self.max_total
                            )),
                        });
                        break;
                    }
                    self.buffer.extend_from_slice(&chunk);
                }
                Some(Err(_)) => {
                    self.exhausted = true;
                    self.buffer.clear();
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

    fn take_line(&mut self, raw: web::Bytes, lines: &mut Vec<Line>) {
        self.line += 1;
        let number = self.line;
        if std::mem::take(&mut self.oversized) || raw.len() > self.max_line {
            lines.push(Line::Rejected {
                number,
                error: ApiError::PayloadTooLarge(format!(
                    "a line may be at most {} bytes",
                    self.max_line
                )),
            });
            return;
        }
        let trimmed = raw.strip_suffix(b"\r").unwrap_or(&raw);
        if trimmed.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let length = trimmed.len();
        lines.push(Line::Record {
            number,
            bytes: raw.slice(..length),
        });
    }
}

/// `POST /v1/records/batch`.
pub async fn ingest(
    req: HttpRequest,
    payload: web::Payload,
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
    let reader = LineReader {
        payload,
        buffer: web::BytesMut::new(),
        line: 0,
        read: 0,
        oversized: false,
        exhausted: false,
        max_line: limits.max_record_bytes,
        max_total: limits.max_batch_bytes,
    };
    let span = tracing::Span::current();
    let answers = stream::unfold(
        (reader, state, span),
        move |(mut reader, state, span)| async move {
            let lines = reader.next_lines(limits.batch_chunk).await;
            if lines.is_empty() {
                return None;
            }
            let answer = process_chunk(lines, &state).await;
            let _entered = span.enter();
            Some((
                Ok::<_, actix_web::Error>(answer),
                (reader, state, span.clone()),
            ))
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("application/x-ndjson")
        .streaming(answers))
}

/// Validates and stores one chunk; returns its answer lines.
async fn process_chunk(lines: Vec<Line>, state: &web::Data<AppState>) -> web::Bytes {
    let state = state.clone();
    let profile_id = state.profile_id.clone();
    let worker = state.clone();
    let answered = web::block(move || {
        let ctx = worker.context(Utc::now());
        let mut answers: Vec<(u64, Answer)> = Vec::with_capacity(lines.len());
        let mut prepared = Vec::new();
        for line in lines {
            match line {
                Line::Rejected { number, error } => answers.push((number, Answer::Error(error))),
                Line::Record { number, bytes } => match pipeline::validate_json(&bytes, &ctx) {
                    Ok(validated) => {
                        prepared.push(pipeline::prepare(&validated, &profile_id));
                        answers.push((
                            number,
                            Answer::Valid(Box::new(validated), prepared.len() - 1),
                        ));
                    }
                    Err(rejection) => {
                        answers.push((number, Answer::Error(rejection_error(rejection))))
                    }
                },
            }
        }
        let stored = store_chunk(&worker, &prepared);
        render(answers, &stored, &profile_id)
    })
    .await;
    match answered {
        Ok(bytes) => bytes,
        Err(_) => {
            tracing::error!("batch chunk task was cancelled");
            web::Bytes::new()
        }
    }
}

enum Answer {
    Valid(Box<Validated>, usize),
    Error(ApiError),
}

fn rejection_error(rejection: Rejection) -> ApiError {
    ApiError::from(rejection)
}

/// Stores the chunk in one transaction; if that fails for a reason other than the
/// database being down, stores record by record so one bad write sinks only itself.
fn store_chunk(
    state: &AppState,
    prepared: &[crate::store::ingest::PreparedRecord],
) -> Vec<Result<Stored, ApiError>> {
    if prepared.is_empty() {
        return Vec::new();
    }
    let received_at = Utc::now().timestamp_micros();
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
    match store_all(&mut conn, prepared, received_at) {
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
                store_all(&mut conn, std::slice::from_ref(record), received_at)
                    .map(|mut stored| stored.remove(0))
                    .map_err(ApiError::from)
            })
            .collect(),
    }
}

fn render(
    answers: Vec<(u64, Answer)>,
    stored: &[Result<Stored, ApiError>],
    profile_id: &str,
) -> web::Bytes {
    let mut out = String::with_capacity(answers.len() * 1024);
    let (mut ok, mut failed) = (0usize, 0usize);
    for (number, answer) in answers {
        let outcome = match answer {
            Answer::Valid(validated, index) => match &stored[index] {
                Ok(stored) => {
                    let mut result = validated.result(profile_id);
                    result.id = stored.id.parse().ok();
                    result.outcome = Some(stored.outcome);
                    Ok(result.to_json())
                }
                Err(error) => Err(error.body()),
            },
            Answer::Error(error) => Err(error.body()),
        };
        match outcome {
            Ok(result) => {
                ok += 1;
                out.push_str(&format!("{{\"line\":{number},\"result\":{result}}}\n"));
            }
            Err(body) => {
                failed += 1;
                let error: ErrorBody = body;
                let error = serde_json::to_string(&error).expect("error serialises");
                out.push_str(&format!("{{\"line\":{number},\"error\":{error}}}\n"));
            }
        }
    }
    tracing::info!(stored = ok, rejected = failed, "batch chunk processed");
    web::Bytes::from(out)
}
