//! A body's messages: one message, several one after another, or an HL7 batch file
//! (`FHS`, `BHS`, messages, `BTS`, `FTS`). The split works on bytes, before any message is
//! decoded in its own character set (`super::charset`); every separator it looks for is
//! ASCII in each set real-dq reads.
//!
//! A batch is answered as a batch: the ACKs inside `BHS`…`BTS` (and `FHS`…`FTS` when the
//! file had them), the headers naming the sender's batch and file control IDs.

use std::ops::Range;

use chrono::{DateTime, Utc};

const BOM: &[u8] = b"\xef\xbb\xbf";

/// What a body holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Body {
    /// Where each message lies, in order. Text before the first message or after a batch
    /// trailer that is not one is a piece of its own, to be answered AR.
    pub messages: Vec<Range<usize>>,
    /// The file header (`FHS`) line, when the body is a batch file.
    pub file_header: Option<Range<usize>>,
    /// The batch header (`BHS`) line, when the body is a batch.
    pub batch_header: Option<Range<usize>>,
}

impl Body {
    /// Splits `body` at each line starting with `MSH` (after a BOM, if any), taking batch
    /// envelope lines out.
    pub fn split(body: &[u8]) -> Body {
        let mut out = Body::default();
        let mut piece: Option<usize> = None;
        let close = |piece: &mut Option<usize>, end: usize, out: &mut Body| {
            if let Some(start) = piece.take() {
                if !is_blank(&body[start..end]) {
                    out.messages.push(start..end);
                }
            }
        };
        let mut line = 0;
        loop {
            let end = body[line..]
                .iter()
                .position(|b| matches!(b, b'\r' | b'\n' | b'\x0b'))
                .map_or(body.len(), |k| line + k);
            let mut at = line;
            while body[at..end].starts_with(BOM) {
                at += BOM.len();
            }
            match body.get(at..at + 3) {
                Some(b"MSH") => {
                    close(&mut piece, line, &mut out);
                    piece = Some(at);
                }
                Some(tag @ (b"FHS" | b"BHS" | b"BTS" | b"FTS")) => {
                    close(&mut piece, line, &mut out);
                    match tag {
                        b"FHS" if out.file_header.is_none() => out.file_header = Some(at..end),
                        b"BHS" if out.batch_header.is_none() => out.batch_header = Some(at..end),
                        _ => {}
                    }
                }
                _ if piece.is_none() && !is_blank(&body[line..end]) => piece = Some(line),
                _ => {}
            }
            if end >= body.len() {
                break;
            }
            line = end + 1;
        }
        close(&mut piece, body.len(), &mut out);
        out
    }

    /// Whether the body was a batch (it had a `BHS` or an `FHS`).
    pub fn is_batch(&self) -> bool {
        self.file_header.is_some() || self.batch_header.is_some()
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| b.is_ascii_whitespace() || matches!(b, b'\x0b' | b'\x1c'))
}

/// The envelope of a batch's answer: what goes before the ACKs and after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `FHS` and `BHS` lines.
    pub head: String,
    /// `BTS` and `FTS` lines.
    pub tail: String,
}

/// The answer's envelope for a batch body (`None` for a body that was not one). `count` is
/// the number of ACKs inside.
pub fn envelope(body: &[u8], split: &Body, count: usize, now: DateTime<Utc>) -> Option<Envelope> {
    if !split.is_batch() {
        return None;
    }
    let stamp = now.format("%Y%m%d%H%M%S+0000").to_string();
    let control = format!("{}", now.timestamp_micros());
    let header = |range: &Option<Range<usize>>, id: &str| -> String {
        // Fields of the sender's header: 3/4 sending application and facility, 11 its
        // control ID. The answer swaps sender and receiver and refers to that ID in field 12.
        let text = range
            .as_ref()
            .map(|r| String::from_utf8_lossy(&body[r.clone()]).into_owned())
            .unwrap_or_default();
        let separator = text.chars().nth(3).filter(|c| c.is_ascii_punctuation());
        let fields: Vec<&str> = match separator {
            Some(s) => text.split(s).collect(),
            None => Vec::new(),
        };
        // Piece n is field n+1 (piece 1 is the encoding characters, field 2).
        let field = |n: usize| clean(fields.get(n - 1).copied().unwrap_or(""));
        format!(
            "{id}|^~\\&|REALDQ|REALDQ|{}|{}|{stamp}||||{}{control}|{}\r",
            field(3),
            field(4),
            &id[..1],
            field(11),
        )
    };
    let mut head = String::new();
    let mut tail = format!("BTS|{count}\r");
    if split.file_header.is_some() {
        head.push_str(&header(&split.file_header, "FHS"));
        tail.push_str("FTS|1\r");
    }
    head.push_str(&header(&split.batch_header, "BHS"));
    Some(Envelope { head, tail })
}

/// A header field of the sender's, safe to write between `|`s of the answer: only its
/// visible characters other than the answer's delimiters.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() && !matches!(c, '|' | '^' | '~' | '\\' | '&'))
        .take(199)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADT: &str =
        "MSH|^~\\&|EPIC|HOSP|X|Y|20261120||ADT^A04^ADT_A01|MSG1|P|2.5.1\rPID|1||MRN1\r";

    fn pieces(body: &str) -> Vec<&str> {
        Body::split(body.as_bytes())
            .messages
            .into_iter()
            .map(|r| &body[r])
            .collect()
    }

    #[test]
    fn a_body_splits_into_its_messages() {
        let two = format!("{ADT}{ADT}");
        assert_eq!(pieces(&two), [ADT, ADT]);
        assert_eq!(pieces(&ADT.replace('\r', "\n")).len(), 1);
        assert!(pieces("  \n").is_empty());
        assert!(pieces("").is_empty());
        assert_eq!(pieces("garbage"), ["garbage"]);
        let bom = format!("\u{feff}{ADT}\u{feff}{ADT}");
        assert_eq!(pieces(&bom), [ADT, ADT]);
        let framed = format!("\x0b{ADT}\x1c\r");
        assert_eq!(pieces(&framed), [format!("{ADT}\x1c\r")]);
    }

    #[test]
    fn a_batch_file_is_its_messages_without_the_envelope() {
        let body = format!(
            "FHS|^~\\&|EPIC|HOSP|||20261120||||F77\rBHS|^~\\&|EPIC|HOSP|||20261120||||B12\r{ADT}{ADT}BTS|2\rFTS|1\r"
        );
        let split = Body::split(body.as_bytes());
        assert_eq!(split.messages.len(), 2);
        assert!(split.is_batch());
        for range in &split.messages {
            assert_eq!(&body[range.clone()], ADT);
        }
        assert_eq!(
            &body[split.batch_header.clone().unwrap()],
            "BHS|^~\\&|EPIC|HOSP|||20261120||||B12"
        );
        let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let answer = envelope(body.as_bytes(), &split, 2, now).unwrap();
        assert_eq!(
            answer.head,
            "FHS|^~\\&|REALDQ|REALDQ|EPIC|HOSP|20261122100000+0000||||F1795341600000000|F77\r\
             BHS|^~\\&|REALDQ|REALDQ|EPIC|HOSP|20261122100000+0000||||B1795341600000000|B12\r"
        );
        assert_eq!(answer.tail, "BTS|2\rFTS|1\r");
        // A batch without a file header, with LF line ends.
        let body = format!("BHS|^~\\&|A\n{}BTS|1\n", ADT.replace('\r', "\n"));
        let split = Body::split(body.as_bytes());
        assert_eq!(split.messages.len(), 1);
        assert!(split.file_header.is_none());
        let answer = envelope(body.as_bytes(), &split, 1, now).unwrap();
        assert!(answer.head.starts_with("BHS|^~\\&|REALDQ|REALDQ|A||"));
        assert_eq!(answer.tail, "BTS|1\r");
        assert!(envelope(ADT.as_bytes(), &Body::split(ADT.as_bytes()), 1, now).is_none());
    }

    #[test]
    fn text_after_a_trailer_is_a_piece_of_its_own() {
        let body = format!("BHS|^~\\&\r{ADT}BTS|1\rnot hl7\r");
        assert_eq!(pieces(&body), [ADT, "not hl7\r"]);
    }
}
