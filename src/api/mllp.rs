//! HL7 v2 over MLLP (`real-dq serve --mllp ADDR`): frames `0x0B message 0x1C 0x0D` in,
//! framed ACKs out, one task per connection, many connections at once. A frame that is not
//! one, or a message that cannot be read, is answered AR; a connection's error closes that
//! connection only, never the listener.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::auth::Caller;
use super::hl7::process;
use super::AppState;
use crate::access::{Principal, Role, Units};
use crate::hl7v2::ack::{self, AckCode, AckError};
use crate::hl7v2::parse::Message;
use crate::rules::Severity;

/// Start of block.
pub const START: u8 = 0x0b;
/// End of block (followed by a carriage return).
pub const END: u8 = 0x1c;
/// Largest frame; a longer one is answered AR and discarded.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Accepts connections until the process ends.
pub async fn serve(listener: TcpListener, state: AppState) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let state = state.clone();
                actix_web::rt::spawn(async move {
                    if let Err(error) = connection(stream, &state, peer).await {
                        tracing::debug!(kind = ?error.kind(), "mllp connection ended");
                    }
                });
            }
            Err(error) => {
                tracing::warn!(kind = ?error.kind(), "mllp accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

/// What the front of the buffer holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete framed message.
    Message(Vec<u8>),
    /// Bytes outside any frame.
    Garbage,
}

/// Takes the next complete frame off the buffer (`None`: wait for more bytes).
pub fn next_frame(buffer: &mut Vec<u8>) -> Option<Frame> {
    let skip = buffer
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    buffer.drain(..skip);
    if buffer.is_empty() {
        return None;
    }
    if buffer[0] != START {
        // Everything up to the next start of block is not a frame.
        let until = buffer
            .iter()
            .position(|b| *b == START)
            .unwrap_or(buffer.len());
        buffer.drain(..until);
        return Some(Frame::Garbage);
    }
    let end = buffer.iter().position(|b| *b == END)?;
    let message = buffer[1..end].to_vec();
    let mut consumed = end + 1;
    if buffer.get(consumed) == Some(&b'\r') {
        consumed += 1;
    }
    buffer.drain(..consumed);
    Some(Frame::Message(message))
}

fn framed(ack: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(ack.len() + 3);
    out.push(START);
    out.extend_from_slice(ack.as_bytes());
    out.push(END);
    out.push(b'\r');
    out
}

fn reject(original: Option<&Message>, code: AckCode, error: &str, text: &str) -> String {
    let errors = [AckError {
        location: "MSH^1".into(),
        severity: Severity::Error,
        code: error.into(),
        message: text.into(),
    }];
    ack::build(original, code, &errors, chrono::Utc::now())
}

/// The caller an MLLP connection acts as: no key (the protocol has none), every unit; the
/// peer address names it in the audit log.
fn mllp_caller(peer: std::net::SocketAddr) -> Caller {
    Caller {
        principal: Principal {
            name: "mllp".into(),
            role: Role::Ingest,
            units: Units::All,
        },
        route: "MLLP".into(),
        peer: Some(peer.ip().to_string()),
    }
}

async fn connection(
    mut stream: TcpStream,
    state: &AppState,
    peer: std::net::SocketAddr,
) -> io::Result<()> {
    let caller = mllp_caller(peer);
    let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(frame) = next_frame(&mut buffer) {
            let answer = match frame {
                Frame::Garbage => reject(
                    None,
                    AckCode::Rejected,
                    "BAD_FRAME",
                    "bytes outside an MLLP frame (0x0B ... 0x1C 0x0D)",
                ),
                Frame::Message(bytes) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    let original = Message::parse(&text).ok();
                    match process(state, text, &caller, state.hl7.clone()).await {
                        Ok(acks) => acks,
                        // The database is down: AE, so that the sender retries.
                        Err(_) => reject(
                            original.as_ref(),
                            AckCode::Error,
                            "UNAVAILABLE",
                            "the message could not be stored now; send it again",
                        ),
                    }
                }
            };
            stream.write_all(&framed(&answer)).await?;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if buffer.len() > MAX_FRAME {
            buffer.clear();
            let answer = reject(
                None,
                AckCode::Rejected,
                "FRAME_TOO_LARGE",
                "the frame exceeds 16 MiB",
            );
            stream.write_all(&framed(&answer)).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_cut_from_a_stream_in_any_pieces() {
        let mut buffer = b"\x0bMSH|one\x1c\r\r\n\x0bMSH|two\x1c".to_vec();
        assert_eq!(
            next_frame(&mut buffer),
            Some(Frame::Message(b"MSH|one".to_vec()))
        );
        assert_eq!(
            next_frame(&mut buffer),
            Some(Frame::Message(b"MSH|two".to_vec()))
        );
        assert_eq!(next_frame(&mut buffer), None);
        let mut partial = b"\x0bMSH|thr".to_vec();
        assert_eq!(next_frame(&mut partial), None);
        partial.extend_from_slice(b"ee\x1c\r");
        assert_eq!(
            next_frame(&mut partial),
            Some(Frame::Message(b"MSH|three".to_vec()))
        );
        assert!(partial.is_empty());
    }

    #[test]
    fn bytes_outside_a_frame_are_garbage_up_to_the_next_frame() {
        let mut buffer = b"hello\x0bMSH|x\x1c\r".to_vec();
        assert_eq!(next_frame(&mut buffer), Some(Frame::Garbage));
        assert_eq!(
            next_frame(&mut buffer),
            Some(Frame::Message(b"MSH|x".to_vec()))
        );
        let mut only = b"junk".to_vec();
        assert_eq!(next_frame(&mut only), Some(Frame::Garbage));
        assert!(only.is_empty());
    }
}
