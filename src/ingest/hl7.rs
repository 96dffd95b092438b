//! HL7 v2 bodies, from `POST /hl7v2` and from MLLP frames: the messages of a body (or of a
//! batch file) checked, stored and acknowledged a chunk at a time, one ACK per message, in
//! order.
//!
//! A message for a unit outside the sender's units is answered AR (`FORBIDDEN_UNIT`) and
//! not stored; a message whose own write fails is answered AE (`NOT_STORED`) and the rest
//! are stored and acknowledged. A database that cannot be reached is a transport problem:
//! the body fails (503 over HTTP, one AE over MLLP) and what follows is not stored.

use std::future::ready;
use std::ops::Range;
use std::sync::Arc;

use chrono::Utc;

use super::{Answered, Checked, Fate, Format, IngestError, Render, Sender, Source};
use crate::hl7v2::batch::{self, Body};
use crate::hl7v2::map::MapSettings;
use crate::hl7v2::{self, CheckedMessage};
use crate::rules::Context;
use crate::service::AppState;

/// Where each message of a body lies in it, handed out a chunk at a time.
struct Messages {
    spans: std::vec::IntoIter<Range<usize>>,
}

impl Source for Messages {
    type Chunk = Vec<Range<usize>>;

    fn next_chunk(
        &mut self,
        items: usize,
    ) -> impl std::future::Future<Output = Option<Vec<Range<usize>>>> {
        let chunk: Vec<Range<usize>> = self.spans.by_ref().take(items).collect();
        ready((!chunk.is_empty()).then_some(chunk))
    }
}

/// The HL7 v2 format: messages of one body, mapped under the request's settings.
struct Hl7 {
    body: Arc<[u8]>,
    settings: Arc<MapSettings>,
}

impl Format for Hl7 {
    type Chunk = Vec<Range<usize>>;
    type Answer = CheckedMessage;
    const ANSWERS_WITH_RESULT: bool = false;
    const NAME: &'static str = "hl7v2";

    fn no_record(message: &CheckedMessage) -> crate::metrics::Outcome {
        match message.code {
            // Acknowledged with nothing to store (a merge, a discharge without demographics).
            crate::hl7v2::ack::AckCode::Accepted => crate::metrics::Outcome::Ignored,
            _ => crate::metrics::Outcome::Rejected,
        }
    }

    fn check(&self, chunk: Vec<Range<usize>>, ctx: &Context<'_>) -> Vec<Checked<CheckedMessage>> {
        chunk
            .into_iter()
            .map(|span| {
                let mut message = hl7v2::check_message(&self.body[span], &self.settings, ctx);
                let record = message.validated.take();
                Checked {
                    answer: message,
                    record,
                }
            })
            .collect()
    }
}

/// Writes ACKs; counts what was answered.
#[derive(Debug, Clone, Copy, Default)]
struct Acks {
    messages: usize,
    stored: usize,
}

impl Render for Acks {
    type Answer = CheckedMessage;

    fn render(&mut self, chunk: Vec<Answered<CheckedMessage>>) -> Result<String, IngestError> {
        let now = Utc::now();
        let mut out = String::with_capacity(chunk.len() * 256);
        for Answered { mut answer, fate } in chunk {
            match fate {
                Fate::NotARecord => {}
                Fate::Refused => answer.refuse(
                    "FORBIDDEN_UNIT",
                    "the message's unit is outside the sender's key's units",
                ),
                Fate::Stored { .. } => self.stored += 1,
                Fate::NotStored(IngestError::Unavailable) => return Err(IngestError::Unavailable),
                Fate::NotStored(_) => answer.not_stored(
                    "NOT_STORED",
                    "the message could not be stored (an internal error); nothing of it was \
                     stored: send it again",
                ),
            }
            self.messages += 1;
            out.push_str(&answer.ack(now));
        }
        Ok(out)
    }
}

/// Checks, stores and acknowledges every message of `body` sent by `sender`, mapped under
/// `settings` (the service's, with the request's source); the ACKs, in order, inside a
/// batch envelope when the body was a batch. `Err` is a transport problem (the database
/// cannot be reached): nothing after the chunk that met it was stored.
pub async fn process(
    state: &AppState,
    body: Vec<u8>,
    sender: &Sender,
    settings: Arc<MapSettings>,
) -> Result<String, IngestError> {
    let split = Body::split(&body);
    if split.messages.is_empty() {
        return Ok(CheckedMessage::no_message().ack(Utc::now()));
    }
    let messages = Messages {
        spans: split.messages.clone().into_iter(),
    };
    let body: Arc<[u8]> = body.into();
    let format = Arc::new(Hl7 {
        body: Arc::clone(&body),
        settings,
    });
    let mut acks = String::new();
    let (tally, ended) = super::run(state, sender, messages, format, Acks::default(), |text| {
        acks.push_str(&text);
        ready(Ok(()))
    })
    .await;
    ended?;
    if let Some(envelope) = batch::envelope(&body, &split, tally.messages, Utc::now()) {
        acks = format!("{}{acks}{}", envelope.head, envelope.tail);
    }
    tracing::info!(
        messages = tally.messages,
        stored = tally.stored,
        "hl7 v2 messages processed"
    );
    Ok(acks)
}
