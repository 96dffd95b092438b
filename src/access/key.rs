//! API keys: `rdq_` and 40 random alphanumeric characters (about 238 bits), so that secret
//! scanners can recognise a leaked one; only their SHA-256 is ever stored (as crates.io does
//! with its API tokens).

use sha2::{Digest, Sha256};

/// Every key starts with this.
pub const PREFIX: &str = "rdq_";
/// Random characters after the prefix in a generated key.
const GENERATED_LEN: usize = 40;
/// The fewest characters after the prefix a key given from outside (`REALDQ_ADMIN_KEY`) may
/// have.
pub const MIN_SECRET_LEN: usize = 32;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Why a string is not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormError {
    /// It does not start with `rdq_`.
    #[error("a key starts with `rdq_`")]
    Prefix,
    /// Too short to be a secret.
    #[error("a key has at least 32 characters after `rdq_`")]
    TooShort,
    /// Characters a header cannot carry safely.
    #[error("a key holds only letters, digits, `-` and `_`")]
    Characters,
}

/// A new random key, from the operating system's generator.
pub fn generate() -> String {
    let mut key = String::with_capacity(PREFIX.len() + GENERATED_LEN);
    key.push_str(PREFIX);
    let mut buffer = [0u8; 64];
    while key.len() < PREFIX.len() + GENERATED_LEN {
        getrandom::fill(&mut buffer).expect("the operating system's random generator works");
        // Rejection sampling: 248 = 4 * 62, so every character is equally likely.
        for byte in buffer.iter().filter(|b| **b < 248) {
            if key.len() == PREFIX.len() + GENERATED_LEN {
                break;
            }
            key.push(ALPHABET[usize::from(*byte % 62)] as char);
        }
    }
    key
}

/// Checks that `text` has the form of a key.
pub fn check_form(text: &str) -> Result<(), KeyFormError> {
    let secret = text.strip_prefix(PREFIX).ok_or(KeyFormError::Prefix)?;
    if secret.len() < MIN_SECRET_LEN {
        return Err(KeyFormError::TooShort);
    }
    if !secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(KeyFormError::Characters);
    }
    Ok(())
}

/// The SHA-256 of a key: what the service's key cache is keyed by.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// A digest in lower-case hex: what the store keeps and looks keys up by.
pub fn to_hex(digest: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// The SHA-256 of a key, in hex.
pub fn hash(key: &str) -> String {
    to_hex(&digest(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_form_and_differ() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        for key in [&a, &b] {
            assert_eq!(key.len(), 44);
            assert!(key.starts_with("rdq_"));
            assert_eq!(check_form(key), Ok(()));
        }
    }

    #[test]
    fn strings_that_are_not_keys_are_refused_with_the_reason() {
        assert_eq!(
            check_form("abc_0123456789012345678901234567890123"),
            Err(KeyFormError::Prefix)
        );
        assert_eq!(check_form("rdq_short"), Err(KeyFormError::TooShort));
        assert_eq!(
            check_form("rdq_0123456789012345678901234567890 1"),
            Err(KeyFormError::Characters)
        );
        assert_eq!(check_form("rdq_01234567890123456789012345678901"), Ok(()));
    }

    #[test]
    fn the_hash_is_the_hex_sha256_of_the_key() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
