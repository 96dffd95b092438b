//! The lines of a streamed NDJSON body, read a chunk at a time with the batch's limits:
//! a line longer than the record limit is answered 413 on its own (its bytes are never
//! held), blank lines are numbered and skipped, and a body that passes the batch cap ends
//! with a 413 line after the complete lines that fit. Every non-blank line read comes out
//! as a record or as its error, so a body never ends without each line answered.

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use super::Source;
use crate::record::Rejection;

/// At most about this many bytes of lines per chunk, so that memory stays bounded even
/// when every line is near the per-record limit.
pub const CHUNK_BYTES: usize = 16 * 1024 * 1024;

/// Why a line is answered with an error instead of a result.
#[derive(Debug)]
pub enum LineError {
    /// Not a record: not JSON, or JSON that is not an acceptable record.
    Rejected(Rejection),
    /// Longer than a record may be, or past the batch's cap: why, with the limit.
    TooLarge(String),
    /// The body could not be read from this line on.
    Unreadable,
}

/// One input line, read but not yet checked.
#[derive(Debug)]
pub enum Line {
    /// A line to check.
    Record {
        /// Its 1-based line number.
        number: u64,
        /// Its bytes, without the line end.
        bytes: Bytes,
    },
    /// A line already known to be bad.
    Rejected {
        /// Its 1-based line number.
        number: u64,
        /// Why.
        error: LineError,
    },
}

impl Line {
    /// Its 1-based line number.
    pub fn number(&self) -> u64 {
        match self {
            Line::Record { number, .. } | Line::Rejected { number, .. } => *number,
        }
    }
}

/// Reads a body line by line with the batch's limits.
pub struct LineReader<S> {
    body: S,
    buffer: BytesMut,
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

impl<S, E> LineReader<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    /// Reads `body`: lines of at most `max_line` bytes, at most `max_total` bytes in all.
    pub fn new(body: S, max_line: usize, max_total: u64) -> Self {
        LineReader {
            body,
            buffer: BytesMut::new(),
            scanned: 0,
            line: 0,
            read: 0,
            oversized: false,
            exhausted: false,
            overflowed: false,
            max_line,
            max_total,
        }
    }

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
                        error: LineError::TooLarge(format!(
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
            match self.body.next().await {
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
                        error: LineError::Unreadable,
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
    fn take_line(&mut self, raw: Bytes, lines: &mut Vec<Line>) -> usize {
        self.line += 1;
        let number = self.line;
        let content = raw.strip_suffix(b"\r").map_or(raw.len(), <[u8]>::len);
        if std::mem::take(&mut self.oversized) || content > self.max_line {
            lines.push(Line::Rejected {
                number,
                error: LineError::TooLarge(format!(
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

impl<S, E> Source for LineReader<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Chunk = Vec<Line>;

    async fn next_chunk(&mut self, items: usize) -> Option<Vec<Line>> {
        let lines = self.next_lines(items, CHUNK_BYTES).await;
        (!lines.is_empty()).then_some(lines)
    }
}
