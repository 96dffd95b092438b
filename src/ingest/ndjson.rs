//! NDJSON batches: each non-blank line a canonical record ([`super::lines`] reads them),
//! checked on its own, so that a bad line never aborts the rest. The batch endpoint writes
//! the answer lines (`crate::api::batch::AnswerLines`): one per input line, in order, with
//! its line number: the result, or an error object in the API's envelope.

use super::lines::{Line, LineError};
use super::{Checked, Format};
use crate::pipeline;
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
    pub error: Option<LineError>,
}

impl Format for Ndjson {
    type Chunk = Vec<Line>;
    type Answer = LineAnswer;
    const ANSWERS_WITH_RESULT: bool = true;
    const NAME: &'static str = "ndjson";

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
                        error: Some(LineError::Rejected(rejection)),
                    }),
                },
            })
            .collect()
    }
}
