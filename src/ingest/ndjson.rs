//! NDJSON batches: each non-blank line a canonical record ([`super::lines`] reads them);
//! one answer line per input line, in order, with its line number: the result, or an error
//! object in the API's envelope. A bad line never aborts the rest.

use bytes::Bytes;

use super::lines::Line;
use super::{Answered, Checked, Fate, Format, Render};
use crate::api::auth::unit_forbidden;
use crate::api::error::ErrorBody;
use crate::api::ApiError;
use crate::pipeline;
use crate::result::with_identity;
use crate::rules::Context;

/// The NDJSON format: lines checked as canonical JSON records.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ndjson;

/// A line's answer besides what storing did: its number, and why it is not a record.
#[derive(Debug)]
pub struct LineAnswer {
    /// The 1-based line number.
    pub number: u64,
    /// Why the line is not a record (absent for a record).
    pub error: Option<ApiError>,
}

impl Format for Ndjson {
    type Chunk = Vec<Line>;
    type Answer = LineAnswer;
    const ANSWERS_WITH_RESULT: bool = true;

    fn check(&self, lines: Vec<Line>, ctx: &Context<'_>) -> Vec<Checked<LineAnswer>> {
        lines
            .into_iter()
            .map(|line| match line {
                Line::Rejected { number, error } => Checked::answer_only(LineAnswer {
                    number,
                    error: Some(error),
                }),
                Line::Record { number, bytes } => match pipeline::validate_json(&bytes, ctx) {
                    Ok(validated) => Checked {
                        answer: LineAnswer {
                            number,
                            error: None,
                        },
                        record: Some(validated),
                    },
                    Err(rejection) => Checked::answer_only(LineAnswer {
                        number,
                        error: Some(rejection.into()),
                    }),
                },
            })
            .collect()
    }
}

/// Writes answer lines; knows the last line answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnswerLines {
    last: u64,
}

impl Render for AnswerLines {
    type Answer = LineAnswer;

    fn render(&mut self, chunk: Vec<Answered<LineAnswer>>) -> Result<String, ApiError> {
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
                Fate::NotARecord => answer.error.unwrap_or(ApiError::Internal),
                Fate::Refused => unit_forbidden(),
                Fate::NotStored(error) => error,
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
