//! The character set of a message (MSH-18, HL7 table 0211): its bytes decoded to text
//! before anything is read from it.
//!
//! Without MSH-18 a message is UTF-8. A message that declares a single-byte set (ISO 8859
//! parts, read as the WHATWG encodings that browsers use for those labels) or one of the
//! common multi-byte sets decodes without loss; a message whose bytes do not fit its set
//! decodes with U+FFFD in their place and says so (`lossy`), so that an identity is never
//! built from such a decode (`super::check_message` answers AR naming the field).

use std::borrow::Cow;

use encoding_rs::Encoding;

/// A message's text and whether any of its bytes did not fit its character set.
#[derive(Debug)]
pub struct Decoded<'a> {
    /// The text; bytes that did not fit are U+FFFD.
    pub text: Cow<'a, str>,
    /// Whether some bytes did not fit.
    pub lossy: bool,
    /// MSH-18 as sent (empty when absent).
    pub declared: String,
}

/// MSH-18 names a character set real-dq does not read (UTF-16 and UTF-32, whose bytes an
/// ER7 parser cannot split, the JIS sets, or a name outside table 0211).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCharset(pub String);

/// The encoding of a table 0211 name (case and surrounding spaces ignored).
pub fn encoding_of(name: &str) -> Option<&'static Encoding> {
    let name = name.trim().to_ascii_uppercase();
    let encoding = match name.as_str() {
        "" | "ASCII" | "UNICODE UTF-8" | "UTF-8" | "UTF8" => encoding_rs::UTF_8,
        "8859/1" => encoding_rs::WINDOWS_1252,
        "8859/2" => encoding_rs::ISO_8859_2,
        "8859/3" => encoding_rs::ISO_8859_3,
        "8859/4" => encoding_rs::ISO_8859_4,
        "8859/5" => encoding_rs::ISO_8859_5,
        "8859/6" => encoding_rs::ISO_8859_6,
        "8859/7" => encoding_rs::ISO_8859_7,
        "8859/8" => encoding_rs::ISO_8859_8,
        "8859/9" => encoding_rs::WINDOWS_1254,
        "8859/15" => encoding_rs::ISO_8859_15,
        "GB 18030-2000" | "GB18030" => encoding_rs::GB18030,
        "KS X 1001" => encoding_rs::EUC_KR,
        "BIG-5" | "BIG5" => encoding_rs::BIG5,
        // Windows code pages that some engines write in MSH-18 although table 0211 has none.
        "WINDOWS-1252" | "CP1252" => encoding_rs::WINDOWS_1252,
        _ => return None,
    };
    Some(encoding)
}

/// MSH-18's first repetition, read from the raw first line (its separators are ASCII in
/// every set real-dq reads).
pub fn declared(raw: &[u8]) -> String {
    let start = raw
        .windows(3)
        .position(|w| w == b"MSH")
        .unwrap_or(raw.len());
    let line = &raw[start..];
    let line = &line[..line
        .iter()
        .position(|b| *b == b'\r' || *b == b'\n')
        .unwrap_or(line.len())];
    let Some(&separator) = line.get(3) else {
        return String::new();
    };
    let repetition = line.get(5).copied().unwrap_or(b'~');
    // Split on the field separator: piece 0 is `MSH`, piece 1 is MSH-2, piece n is MSH-(n+1).
    let field = line.split(|b| *b == separator).nth(17).unwrap_or(&[]);
    let first = field.split(|b| *b == repetition).next().unwrap_or(&[]);
    String::from_utf8_lossy(first).trim().to_string()
}

/// Decodes a message's bytes in the character set it declares.
pub fn decode(raw: &[u8]) -> Result<Decoded<'_>, UnknownCharset> {
    let declared = declared(raw);
    let encoding = encoding_of(&declared).ok_or_else(|| UnknownCharset(declared.clone()))?;
    let (text, lossy) = if encoding == encoding_rs::UTF_8 {
        match std::str::from_utf8(raw) {
            Ok(text) => (Cow::Borrowed(text), false),
            Err(_) => (String::from_utf8_lossy(raw), true),
        }
    } else {
        let (text, had_errors) = encoding.decode_without_bom_handling(raw);
        (text, had_errors)
    };
    Ok(Decoded {
        text,
        lossy,
        declared,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msh(charset: &str) -> Vec<u8> {
        format!("MSH|^~\\&|A|B|C|D|20261120||ADT^A04|1|P|2.5.1||||||{charset}\rPID|1||ANA")
            .into_bytes()
    }

    #[test]
    fn msh_18_is_read_from_the_first_line() {
        assert_eq!(declared(&msh("8859/1")), "8859/1");
        assert_eq!(declared(&msh("8859/1~UNICODE UTF-8")), "8859/1");
        assert_eq!(declared(&msh("")), "");
        assert_eq!(declared(b"MSH|^~\\&|A\rPID|1"), "");
        assert_eq!(
            declared(b"\xef\xbb\xbfMSH#^~\\&#3#4#5#6#7#8#9#10#11#12#13#14#15#16#17#8859/2"),
            "8859/2"
        );
        assert_eq!(declared(b""), "");
    }

    #[test]
    fn latin_1_bytes_decode_to_the_letters_they_are() {
        let mut raw = msh("8859/1");
        raw.extend_from_slice(b"\xe9-88");
        let decoded = decode(&raw).unwrap();
        assert!(!decoded.lossy);
        assert!(decoded.text.ends_with("ANA\u{e9}-88"));
        let mut other = msh("8859/1");
        other.extend_from_slice(b"\xe8-88");
        assert_ne!(decode(&other).unwrap().text, decoded.text);
    }

    #[test]
    fn bytes_that_are_not_utf_8_are_reported_lossy() {
        let mut raw = msh("");
        raw.extend_from_slice(b"\xe9-88");
        let decoded = decode(&raw).unwrap();
        assert!(decoded.lossy);
        assert!(decoded.text.ends_with("ANA\u{fffd}-88"));
        let mut utf8 = msh("UNICODE UTF-8");
        utf8.extend_from_slice("\u{e9}-88".as_bytes());
        let decoded = decode(&utf8).unwrap();
        assert!(!decoded.lossy);
        assert!(matches!(decoded.text, Cow::Borrowed(_)));
    }

    #[test]
    fn sets_real_dq_cannot_split_are_named() {
        assert_eq!(
            decode(&msh("UNICODE UTF-16")).unwrap_err(),
            UnknownCharset("UNICODE UTF-16".into())
        );
        assert!(decode(&msh("KLINGON")).is_err());
        for name in [
            "ASCII",
            "8859/5",
            "8859/15",
            "GB 18030-2000",
            "BIG-5",
            "KS X 1001",
        ] {
            assert!(encoding_of(name).is_some(), "{name}");
        }
    }
}
