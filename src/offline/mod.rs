//! The completeness report of an extract, without a database (`real-dq report`):
//! canonical NDJSON, FHIR Bulk NDJSON or HL7 v2 ([`formats`]).
//!
//! The input is read in large blocks cut at line ends; worker threads (one per core) parse
//! and judge the blocks' lines exactly as a batch line is judged ([`judge`]); one merger
//! applies the judged records to every identity's current state in input order, with the
//! store's rules ([`current`]), so the result does not depend on thread scheduling. Per
//! identity only a hash and two words are kept, so memory grows by about 32-64 bytes a
//! patient, whatever the size of the records. The counts that come out are those the
//! store's SQL aggregates give ([`crate::store::aggregates::counts`]), and the report is
//! built from them by the same code ([`crate::report::build`]).

pub mod current;
pub mod formats;
pub mod judge;

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use crate::rules::Context;
use crate::store::aggregates::{Counts, Window};
use current::CurrentStates;
pub use formats::Input;
use judge::{Block, BlockResult, Judge, Judged, Rejected};

/// Bytes read per block: large enough that the channel and thread hand-offs cost nothing
/// next to judging, small enough that a block is judged in a few tens of milliseconds and
/// the cores finish together.
const BLOCK_BYTES: usize = 1024 * 1024;

/// Rejected lines named in the summary (the rest are counted).
pub const REJECTIONS_SHOWN: usize = 5;

/// What to report on.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this unit.
    pub unit: Option<String>,
    /// Current states whose `recorded_at` is in this window.
    pub window: Window,
    /// The longest line accepted (`REALDQ_MAX_RECORD_BYTES`).
    pub max_line: usize,
    /// Judging threads; `None`: one per core.
    pub workers: Option<usize>,
    /// The input's size, when known (a file): the states are then made room for at once,
    /// for as many records as the first block's line length says the input holds (at most
    /// [`RESERVED_AT_MOST`]).
    pub input_bytes: Option<u64>,
    /// What the extract holds.
    pub input: Input,
}

/// The most states made room for in advance (about 140 MB); more grow as they come.
pub const RESERVED_AT_MOST: usize = 4_000_000;

/// What was read, for the summary on standard error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// What `lines` counts: `lines` (NDJSON, FHIR) or `messages` (HL7 v2).
    pub noun: &'static str,
    /// Lines read, blank ones included (HL7 v2: messages).
    pub lines: u64,
    /// Records that passed the envelope checks.
    pub records: u64,
    /// Lines rejected (not JSON, not a record, too long).
    pub rejected: u64,
    /// The first rejected lines, with their input line numbers.
    pub rejections: Vec<Rejected>,
    /// Identities with a current state (before the window).
    pub identities: u64,
}

impl Summary {
    fn add(&mut self, block: &BlockResult) {
        for rejection in &block.rejections {
            if self.rejections.len() < REJECTIONS_SHOWN {
                self.rejections.push(Rejected {
                    line: self.lines + rejection.line,
                    reason: rejection.reason.clone(),
                });
            }
        }
        self.lines += block.lines;
        self.records += block.records;
        self.rejected += block.rejected;
    }
}

/// Reads NDJSON records from `input`, judges them under `ctx` and counts their current
/// states as the store's aggregates would.
pub fn counts(
    input: impl Read,
    options: &Options,
    ctx: &Context<'_>,
) -> std::io::Result<(Counts, Summary)> {
    let workers = options
        .workers
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(2)
        .max(1);
    let judge = Judge {
        ctx,
        unit: options.unit.as_deref(),
        max_line: options.max_line,
        input: &options.input,
    };
    // Bounded: the reader stays at most a few blocks ahead of the workers. The workers
    // alone hold the receiving end, so that if they all stopped (a panic), the reader's
    // next send fails rather than waits for ever.
    let (block_tx, block_rx) = mpsc::sync_channel::<Block>(workers);
    let block_rx = Arc::new(Mutex::new(block_rx));
    // Unbounded, so a worker never waits on the merger; there are never more results than
    // blocks in flight.
    let (result_tx, result_rx) = mpsc::channel::<BlockResult>();
    // Buffers go back to where they are filled (the blocks' to the reader, the judged
    // records' to the workers), so that a handful are allocated in all: memory freed on
    // another thread is not at once reusable, and fresh memory costs page faults.
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
    let (spare_judged_tx, spare_judged_rx) = mpsc::channel::<Vec<Judged>>();
    let spare_judged_rx = Mutex::new(spare_judged_rx);
    let (current, mut summary, read) = std::thread::scope(|scope| {
        for _ in 0..workers {
            let (block_rx, result_tx, judge) = (block_rx.clone(), result_tx.clone(), &judge);
            let (spare_tx, spare_judged_rx) = (spare_tx.clone(), &spare_judged_rx);
            scope.spawn(move || loop {
                let next = block_rx.lock().expect("no worker panics holding it").recv();
                let Ok(block) = next else { break };
                let spare = spare_judged_rx
                    .lock()
                    .expect("no panic holding it")
                    .try_recv();
                let judged = judge.block(&block, spare.unwrap_or_default());
                // The reader may have stopped: then the buffer is simply freed.
                let _ = spare_tx.send(block.data);
                if result_tx.send(judged).is_err() {
                    break;
                }
            });
        }
        drop((block_rx, result_tx, spare_tx));
        let input_bytes = options.input_bytes;
        let merger = scope.spawn(move || merge(result_rx, spare_judged_tx, input_bytes));
        let read = read_blocks(
            input,
            &options.input,
            options.max_line,
            &spare_rx,
            |block| block_tx.send(block).is_ok(),
        );
        drop(block_tx);
        let (current, summary) = merger.join().expect("the merger does not panic");
        (current, summary, read)
    });
    read?;
    summary.identities = current.len() as u64;
    summary.noun = options.input.noun();
    Ok((current.counts(options.window, &ctx.profile.id()), summary))
}

/// Applies block results in input order, whatever order they arrive in; hands their
/// emptied vectors back to `spare`.
fn merge(
    results: mpsc::Receiver<BlockResult>,
    spare: mpsc::Sender<Vec<Judged>>,
    input_bytes: Option<u64>,
) -> (CurrentStates, Summary) {
    let mut current = CurrentStates::default();
    let mut summary = Summary::default();
    let mut waiting: BTreeMap<u64, BlockResult> = BTreeMap::new();
    let mut next = 0;
    for result in results {
        waiting.insert(result.seq, result);
        while let Some(result) = waiting.remove(&next) {
            if let (0, Some(total), Ok(bytes)) = (next, input_bytes, u64::try_from(result.bytes)) {
                // Records in the input, if its lines are as long as the first block's.
                let records = total.saturating_mul(result.lines) / bytes.max(1);
                current.reserve(
                    usize::try_from(records)
                        .map_or(RESERVED_AT_MOST, |records| records.min(RESERVED_AT_MOST)),
                );
            }
            current.apply(&result);
            summary.add(&result);
            // The workers may be done: then the vector is simply freed.
            let _ = spare.send(result.judged);
            next += 1;
        }
    }
    debug_assert!(waiting.is_empty(), "every block came back");
    (current, summary)
}

/// Cuts `input` into blocks of whole lines (or of whole groups and messages, as `format`
/// cuts them) and hands each to `send` (which answers false to stop), in buffers taken
/// from `spare` when one has come back. A line longer than `max_line` (plus a `\r`) that
/// does not fit in a block is dropped as it is read, and the next block says so; an HL7 v2
/// input with no message boundary in [`formats::HL7_MAX_WITHOUT_BOUNDARY`] bytes is an
/// error.
fn read_blocks(
    mut input: impl Read,
    format: &Input,
    max_line: usize,
    spare: &mpsc::Receiver<Vec<u8>>,
    mut send: impl FnMut(Block) -> bool,
) -> std::io::Result<()> {
    let mut seq = 0;
    let mut carry: Vec<u8> = Vec::new();
    let mut kept: Option<Vec<u8>> = None;
    let mut skipping = false;
    let mut dropped = 0;
    loop {
        let mut data = kept
            .take()
            .or_else(|| spare.try_recv().ok())
            .unwrap_or_default();
        data.clear();
        data.reserve(carry.len() + BLOCK_BYTES);
        data.append(&mut carry);
        let wanted = BLOCK_BYTES as u64;
        let eof = (&mut input).take(wanted).read_to_end(&mut data)? < BLOCK_BYTES;
        if skipping {
            match memchr::memchr(b'\n', &data) {
                Some(end) => {
                    data.drain(..=end);
                    skipping = false;
                    dropped += 1;
                }
                None if eof => data.clear(),
                None => {
                    kept = Some(data);
                    continue;
                }
            }
        }
        if !eof {
            match format.cut(&data) {
                Some(cut) => {
                    carry.extend_from_slice(&data[cut..]);
                    data.truncate(cut);
                }
                None if matches!(format, Input::Hl7(_)) => {
                    if data.len() > formats::HL7_MAX_WITHOUT_BOUNDARY {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!(
                                "no HL7 v2 message boundary (MSH) in {} MiB of input",
                                formats::HL7_MAX_WITHOUT_BOUNDARY >> 20
                            ),
                        ));
                    }
                    carry = data;
                    continue;
                }
                None if data.len() > max_line + 1 => {
                    // One line, already too long: drop it up to its end.
                    skipping = true;
                    kept = Some(data);
                    continue;
                }
                None => {
                    // One line, not too long yet: read on.
                    carry = data;
                    continue;
                }
            }
        }
        if skipping {
            // The input ended inside the oversized line.
            dropped += 1;
        }
        let block = Block {
            seq,
            data,
            dropped_before: std::mem::take(&mut dropped),
        };
        seq += 1;
        if !send(block) || eof {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests;
