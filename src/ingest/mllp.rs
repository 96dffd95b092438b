//! HL7 v2 over MLLP (`real-dq serve --mllp ADDR`): frames `0x0B message 0x1C 0x0D` in,
//! framed ACKs out, one task per connection, many connections at once. Each frame's
//! messages go through the ingest pipeline as an HTTP body's do ([`super::hl7::process`]).
//! A frame that is not one, or a message that cannot be read, is answered AR; a
//! connection's error closes that connection only, never the listener.
//!
//! MLLP carries no credentials, so a connection is admitted by its peer address
//! (`REALDQ_MLLP_ALLOW`, loopback only by default) and, when `REALDQ_TLS_CERT` and
//! `REALDQ_TLS_KEY` are set, speaks TLS only.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::hl7::process;
use super::Sender;
use crate::access::{Principal, Role, Units};
use crate::catalog::Severity;
use crate::hl7v2::ack::{self, AckCode, AckError, ErrorCondition};
use crate::hl7v2::parse::Message;
use crate::service::{AppState, Caller};
use crate::store::audit::{self, Action, AuditEntry};
use crate::store::StoreError;

/// Start of block.
pub const START: u8 = 0x0b;
/// End of block (followed by a carriage return).
pub const END: u8 = 0x1c;
/// Largest frame; a longer one is answered AR and discarded.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// The default of `REALDQ_MLLP_ALLOW`: loopback only.
pub const DEFAULT_ALLOW: &str = "127.0.0.0/8,::1/128";

/// How long a TLS handshake may take before the connection is dropped (a silent peer must
/// not hold a task forever).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The peers allowed to connect over MLLP (`REALDQ_MLLP_ALLOW`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList(Vec<IpNet>);

impl AllowList {
    /// Parses comma-separated CIDRs or plain addresses (a plain address is that one host).
    /// The message names the variable, because clap's names only the flag.
    pub fn parse(text: &str) -> Result<AllowList, String> {
        let mut networks = Vec::new();
        for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let network = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!("REALDQ_MLLP_ALLOW: `{item}` is not a CIDR (10.0.0.0/8, fd00::/8) or an address")
                })?;
            networks.push(network);
        }
        if networks.is_empty() {
            return Err("REALDQ_MLLP_ALLOW is empty: no peer could connect".into());
        }
        Ok(AllowList(networks))
    }

    /// Whether `peer` may connect. An IPv4 peer on a dual-stack socket arrives as
    /// `::ffff:a.b.c.d` and is judged as the IPv4 address it is.
    pub fn permits(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.0.iter().any(|network| network.contains(&peer))
    }
}

impl Default for AllowList {
    fn default() -> Self {
        AllowList::parse(DEFAULT_ALLOW).expect("the default allow-list parses")
    }
}

/// How connections are admitted: the peer allow-list, and TLS when configured.
#[derive(Clone)]
pub struct Admission {
    /// The peers allowed to connect.
    pub allow: AllowList,
    /// The TLS acceptor, when `REALDQ_TLS_CERT` and `REALDQ_TLS_KEY` are set.
    pub tls: Option<TlsAcceptor>,
}

/// Records an MLLP connection in the audit log: accepted (200) or refused by the allow-list
/// (403), with the peer's address. Written on a task of its own so that the accept loop
/// never waits on the database; a failure to write is logged.
fn audit_connection(state: &AppState, peer: SocketAddr, status: u16) {
    tracing::info!(%peer, status, "mllp connection");
    let pool = state.pool.clone();
    let entry = AuditEntry {
        route: "MLLP connection".into(),
        ..mllp_caller(peer).audit(Action::Execute, status)
    };
    let at = chrono::Utc::now().timestamp_micros();
    actix_web::rt::spawn(async move {
        let audited = super::blocking(move || -> Result<(), StoreError> {
            let mut conn = pool.get()?;
            audit::record(&mut conn, &entry, at)
        })
        .await;
        // A cancelled task was logged as it was met.
        if let Ok(Err(error)) = audited {
            tracing::warn!(error = %error.causes(), "mllp connection could not be audited");
        }
    });
}

/// Accepts connections until the process ends.
pub async fn serve(listener: TcpListener, state: AppState, admission: Admission) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if !admission.allow.permits(peer.ip()) {
                    audit_connection(&state, peer, 403);
                    // Dropping the stream closes it unread.
                    drop(stream);
                    continue;
                }
                audit_connection(&state, peer, 200);
                let state = state.clone();
                let tls = admission.tls.clone();
                actix_web::rt::spawn(async move {
                    let ended = match tls {
                        None => connection(stream, &state, peer).await,
                        // The handshake runs in the connection's task, so a slow peer
                        // never delays the accept loop.
                        Some(tls) => {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await
                            {
                                Ok(Ok(stream)) => connection(stream, &state, peer).await,
                                Ok(Err(error)) => Err(error),
                                Err(_) => Err(io::ErrorKind::TimedOut.into()),
                            }
                        }
                    };
                    if let Err(error) = ended {
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

fn reject(
    original: Option<&Message>,
    code: AckCode,
    condition: ErrorCondition,
    error: &str,
    text: &str,
) -> String {
    let errors = [AckError {
        location: "MSH^1".into(),
        condition,
        severity: Severity::Error,
        code: error.into(),
        message: text.into(),
    }];
    let msa = (code == AckCode::Error).then_some("not stored: send the message again");
    ack::build(original, code, msa, &errors, chrono::Utc::now())
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

async fn connection<S>(
    mut stream: S,
    state: &AppState,
    peer: std::net::SocketAddr,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let sender = Sender::of(&mllp_caller(peer));
    let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        while let Some(frame) = next_frame(&mut buffer) {
            let answer = match frame {
                Frame::Garbage => reject(
                    None,
                    AckCode::Rejected,
                    ErrorCondition::SEGMENT_SEQUENCE,
                    "BAD_FRAME",
                    "bytes outside an MLLP frame (0x0B ... 0x1C 0x0D)",
                ),
                Frame::Message(bytes) => {
                    // Only to answer with its header if it cannot be stored.
                    let original = Message::parse(&String::from_utf8_lossy(&bytes)).ok();
                    match process(state, bytes, &sender, state.hl7.clone()).await {
                        Ok(acks) => acks,
                        // The database is down: AE, so that the sender retries.
                        Err(_) => reject(
                            original.as_ref(),
                            AckCode::Error,
                            ErrorCondition::INTERNAL,
                            "UNAVAILABLE",
                            "the message could not be stored now; send it again",
                        ),
                    }
                }
            };
            stream.write_all(&framed(&answer)).await?;
            // A TLS stream buffers records until flushed; a plain one ignores this.
            stream.flush().await?;
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
                ErrorCondition::SEGMENT_SEQUENCE,
                "FRAME_TOO_LARGE",
                "the frame exceeds 16 MiB",
            );
            stream.write_all(&framed(&answer)).await?;
            stream.flush().await?;
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

    #[test]
    fn the_allow_list_takes_cidrs_and_addresses_of_both_families() {
        let allow = AllowList::parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,::1").unwrap();
        for ok in [
            "10.1.2.3",
            "192.168.1.7",
            "fd12::1",
            "::1",
            "::ffff:10.9.9.9",
        ] {
            assert!(allow.permits(ok.parse().unwrap()), "{ok}");
        }
        for refused in ["11.0.0.1", "192.168.1.8", "fe80::1", "127.0.0.1"] {
            assert!(!allow.permits(refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn the_default_allows_loopback_only() {
        let allow = AllowList::default();
        for ok in ["127.0.0.1", "127.8.0.1", "::1", "::ffff:127.0.0.1"] {
            assert!(allow.permits(ok.parse().unwrap()), "{ok}");
        }
        for refused in ["10.0.0.1", "192.168.0.1", "fd00::1", "::2"] {
            assert!(!allow.permits(refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn a_bad_entry_names_the_variable() {
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.0/8,nope", "", " , "] {
            let error = AllowList::parse(bad).unwrap_err();
            assert!(error.contains("REALDQ_MLLP_ALLOW"), "{bad}: {error}");
        }
    }
}
