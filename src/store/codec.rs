//! How bodies and results are kept on disk: JSON compressed with zstd against a dictionary
//! trained on canonical records and results (`data/store/zstd-v1.dict`, made by
//! `examples/train_dictionary.rs`). A record's body and result share most of their bytes
//! with every other record (keys, code systems, the catalog's hints), which a dictionary
//! holds once: a 500-byte body and a 1,100-byte result take about a tenth of that.
//!
//! Rows written before compression hold plain JSON; a value that starts with `{` is read as
//! it is. Every frame names the dictionary it needs (its ID), so a later dictionary
//! supersedes this one without rewriting stored rows.

use std::cell::RefCell;
use std::sync::OnceLock;

use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// The dictionary, version 1 (its frames carry the ID `0x52445101`).
const DICTIONARY: &[u8] = include_bytes!("../../data/store/zstd-v1.dict");

/// zstd's level: 3 (its default) measured as small as 9 on these values at a third of the
/// time.
const LEVEL: i32 = 3;

fn encoder() -> &'static EncoderDictionary<'static> {
    static ENCODER: OnceLock<EncoderDictionary<'static>> = OnceLock::new();
    ENCODER.get_or_init(|| EncoderDictionary::copy(DICTIONARY, LEVEL))
}

fn decoder() -> &'static DecoderDictionary<'static> {
    static DECODER: OnceLock<DecoderDictionary<'static>> = OnceLock::new();
    DECODER.get_or_init(|| DecoderDictionary::copy(DICTIONARY))
}

thread_local! {
    static COMPRESSOR: RefCell<Compressor<'static>> = RefCell::new(
        Compressor::with_prepared_dictionary(encoder()).expect("zstd takes its dictionary"),
    );
    static DECOMPRESSOR: RefCell<Decompressor<'static>> = RefCell::new(
        Decompressor::with_prepared_dictionary(decoder()).expect("zstd takes its dictionary"),
    );
}

/// A stored value that cannot be read back.
#[derive(Debug, thiserror::Error)]
#[error("a stored value cannot be decoded")]
pub struct CorruptValue(#[source] pub std::io::Error);

/// The first 16 bytes of the SHA-256 of a canonical record's JSON without its top-level
/// `"recorded_at"` member: what a re-send whose time real-dq assigned shares with the record
/// it repeats. The canonical text is the pipeline's serialisation of the record, so the same
/// content always gives the same text around that member.
pub fn timeless_hash(canonical: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    const MEMBER: &str = "\"recorded_at\":\"";
    let mut hasher = Sha256::new();
    match canonical.find(MEMBER) {
        Some(start) => {
            let value = start + MEMBER.len();
            // A timestamp holds no quote or backslash: its end is the next quote.
            let end = canonical[value..]
                .find('"')
                .map_or(canonical.len(), |at| value + at + 1);
            let end = if canonical[end..].starts_with(',') {
                end + 1
            } else {
                end
            };
            hasher.update(&canonical.as_bytes()[..start]);
            hasher.update(&canonical.as_bytes()[end..]);
        }
        None => hasher.update(canonical.as_bytes()),
    }
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&hasher.finalize()[..16]);
    hash
}

/// Compresses a JSON value for storage.
pub fn encode(json: &str) -> Vec<u8> {
    COMPRESSOR.with(|compressor| {
        compressor
            .borrow_mut()
            .compress(json.as_bytes())
            .expect("zstd compresses into a buffer it sizes itself")
    })
}

/// The JSON text of a stored value (compressed, or plain from before compression).
pub fn decode(stored: &[u8]) -> Result<String, CorruptValue> {
    if stored.first() == Some(&b'{') {
        return String::from_utf8(stored.to_vec())
            .map_err(|error| CorruptValue(std::io::Error::other(error)));
    }
    let size = zstd::zstd_safe::get_frame_content_size(stored)
        .ok()
        .flatten()
        .ok_or_else(|| CorruptValue(std::io::Error::other("no frame content size")))?;
    let bytes = DECOMPRESSOR.with(|decompressor| {
        decompressor
            .borrow_mut()
            .decompress(stored, usize::try_from(size).unwrap_or(usize::MAX))
            .map_err(CorruptValue)
    })?;
    String::from_utf8(bytes).map_err(|error| CorruptValue(std::io::Error::other(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_and_shrinks() {
        let json = r#"{"source":"synthetic","patient_id":"SYN-1","unit":"ED","recorded_at":"2026-03-24T01:49:00Z","race":{"null_flavor":"UNK"},"language":{"preferred":"es"}}"#;
        let stored = encode(json);
        assert!(stored.len() < json.len() / 2, "{} bytes", stored.len());
        assert_eq!(decode(&stored).unwrap(), json);
    }

    #[test]
    fn plain_json_from_before_compression_reads_as_it_is() {
        assert_eq!(decode(br#"{"a":1}"#).unwrap(), r#"{"a":1}"#);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode(b"\x28\xb5\x2f\xfd garbage").is_err());
        assert!(decode(b"").is_err());
    }

    #[test]
    fn the_timeless_hash_ignores_only_the_record_time() {
        let at = |t: &str| format!(r#"{{"source":"s","recorded_at":"{t}","unit":"u"}}"#);
        assert_eq!(
            timeless_hash(&at("2026-11-20T10:00:00Z")),
            timeless_hash(&at("2026-12-01T08:30:00.5Z"))
        );
        assert_ne!(
            timeless_hash(&at("2026-11-20T10:00:00Z")),
            timeless_hash(&at("2026-11-20T10:00:00Z").replace("\"u\"", "\"v\""))
        );
        assert_eq!(
            timeless_hash(r#"{"source":"s","unit":"u"}"#),
            timeless_hash(&at("x").replace(r#""recorded_at":"x","#, ""))
        );
    }
}
