//! A first-in, first-out buffer of answer bytes between the batch pipeline and the HTTP
//! response: up to a memory bound in memory, beyond it in an anonymous temporary file.
//!
//! It decouples processing from the client's reading. A client that sends its whole body
//! before reading the answer (many do) would otherwise stall the pipeline once the socket
//! buffers fill, and the pipeline would stall the client's sending: a deadlock. With the
//! spool, the batch is read and stored to the end whatever the client does, memory stays
//! bounded, and the answer waits on disk.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

use actix_web::web::Bytes;
use tokio::sync::Notify;

/// Bytes kept in memory before answers go to the temporary file.
pub const MEMORY_BOUND: usize = 32 * 1024 * 1024;
/// Largest piece read back from the file at once.
const READ_PIECE: usize = 1024 * 1024;

#[derive(Default)]
struct State {
    memory: VecDeque<Bytes>,
    memory_bytes: usize,
    file: Option<File>,
    written: u64,
    read: u64,
    finished: bool,
    /// The writer lost answers: the reader fails once it has taken what was spooled.
    aborted: bool,
    closed: bool,
}

/// The shared spool; clone it for the writer and the reader.
#[derive(Clone, Default)]
pub struct Spool {
    state: Arc<Mutex<State>>,
    ready: Arc<Notify>,
}

/// What the reader gets.
pub enum Next {
    /// Bytes to send.
    Bytes(Bytes),
    /// Nothing yet: wait.
    Wait,
    /// Everything was sent.
    End,
}

impl Spool {
    /// A new, empty spool.
    pub fn new() -> Self {
        Spool::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends answer bytes (blocking file I/O: call it off the async workers).
    pub fn push(&self, bytes: Bytes) -> std::io::Result<()> {
        let mut state = self.lock();
        let spilled = state.written > state.read;
        if !spilled && state.memory_bytes + bytes.len() <= MEMORY_BOUND {
            state.memory_bytes += bytes.len();
            state.memory.push_back(bytes);
        } else {
            if state.file.is_none() {
                state.file = Some(tempfile::tempfile()?);
            }
            let offset = state.written;
            let file = state.file.as_mut().expect("file was just created");
            file.seek(SeekFrom::Start(offset))?;
            file.write_all(&bytes)?;
            state.written += bytes.len() as u64;
        }
        drop(state);
        self.ready.notify_one();
        Ok(())
    }

    /// Marks the end of the answers.
    pub fn finish(&self) {
        self.lock().finished = true;
        self.ready.notify_one();
    }

    /// Marks the answers incomplete: once the reader has taken what was spooled, `take`
    /// fails instead of ending, so the response cannot pass for a complete one.
    pub fn abort(&self) {
        let mut state = self.lock();
        state.aborted = true;
        state.finished = true;
        drop(state);
        self.ready.notify_one();
    }

    /// Whether the reader has gone away (the client disconnected).
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Marks the reader gone.
    pub fn close(&self) {
        self.lock().closed = true;
    }

    /// Takes the next bytes in order (blocking file I/O when the answer is on disk).
    pub fn take(&self) -> std::io::Result<Next> {
        let mut state = self.lock();
        if let Some(bytes) = state.memory.pop_front() {
            state.memory_bytes -= bytes.len();
            return Ok(Next::Bytes(bytes));
        }
        if state.written > state.read {
            let length = (state.written - state.read).min(READ_PIECE as u64) as usize;
            let offset = state.read;
            let mut piece = vec![0; length];
            let file = state.file.as_mut().expect("written bytes live in the file");
            file.seek(SeekFrom::Start(offset))?;
            file.read_exact(&mut piece)?;
            state.read += length as u64;
            if state.read == state.written {
                // Drained: reuse the file from its start.
                state.read = 0;
                state.written = 0;
                if let Some(file) = state.file.as_mut() {
                    file.set_len(0)?;
                }
            }
            return Ok(Next::Bytes(Bytes::from(piece)));
        }
        if state.aborted {
            return Err(std::io::Error::other("the answers are incomplete"));
        }
        Ok(if state.finished {
            Next::End
        } else {
            Next::Wait
        })
    }

    /// Waits until something was pushed or the spool finished.
    pub async fn wait(&self) {
        self.ready.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(spool: &Spool) -> Vec<u8> {
        let mut out = Vec::new();
        while let Next::Bytes(bytes) = spool.take().unwrap() {
            out.extend_from_slice(&bytes);
        }
        out
    }

    #[test]
    fn bytes_come_out_in_order_across_memory_and_file() {
        let spool = Spool::new();
        let piece = vec![b'a'; MEMORY_BOUND / 2 + 1];
        let mut expected = Vec::new();
        for marker in [b'1', b'2', b'3', b'4'] {
            let mut bytes = piece.clone();
            bytes[0] = marker;
            expected.extend_from_slice(&bytes);
            spool.push(Bytes::from(bytes)).unwrap();
        }
        // Two pieces fit in memory, the rest spilled to the file.
        assert!(spool.lock().written > 0);
        let first = match spool.take().unwrap() {
            Next::Bytes(bytes) => bytes,
            _ => panic!("bytes are ready"),
        };
        assert_eq!(first[0], b'1');
        // Pushing while spilled keeps the order.
        spool.push(Bytes::from_static(b"tail")).unwrap();
        expected.extend_from_slice(b"tail");
        spool.finish();
        let mut got = first.to_vec();
        got.extend(drain(&spool));
        assert_eq!(got, expected);
        assert!(matches!(spool.take().unwrap(), Next::End));
    }

    #[test]
    fn an_aborted_spool_gives_what_it_holds_then_fails() {
        let spool = Spool::new();
        spool.push(Bytes::from_static(b"kept")).unwrap();
        spool.abort();
        assert!(matches!(spool.take().unwrap(), Next::Bytes(bytes) if bytes == "kept"));
        assert!(spool.take().is_err(), "never a clean end");
    }

    #[test]
    fn an_unfinished_empty_spool_says_wait() {
        let spool = Spool::new();
        assert!(matches!(spool.take().unwrap(), Next::Wait));
        spool.finish();
        assert!(matches!(spool.take().unwrap(), Next::End));
    }
}
