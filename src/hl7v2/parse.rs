//! A lenient HL7 v2 (ER7) parser: segments split on CR, LF or CRLF, a UTF-8 BOM skipped,
//! the encoding characters taken from MSH-1 and MSH-2, escape sequences decoded. It never
//! panics: anything it cannot read is a [`ParseError`].

/// Why a message cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text does not start with an MSH segment.
    #[error("the message does not start with an MSH segment")]
    NoHeader,
    /// MSH-1/MSH-2 do not give usable encoding characters.
    #[error("MSH-1 and MSH-2 do not give usable encoding characters")]
    BadEncodingCharacters,
}

/// The separators a message declares in MSH-1 and MSH-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiters {
    /// Between fields (`|`).
    pub field: char,
    /// Between components (`^`).
    pub component: char,
    /// Between repetitions (`~`).
    pub repetition: char,
    /// Starts and ends escape sequences (`\`).
    pub escape: Option<char>,
    /// Between subcomponents (`&`).
    pub subcomponent: char,
}

impl Default for Delimiters {
    fn default() -> Self {
        Delimiters {
            field: '|',
            component: '^',
            repetition: '~',
            escape: Some('\\'),
            subcomponent: '&',
        }
    }
}

/// One segment: its ID and raw fields (index 0 is the ID; for MSH, index 1 is MSH-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Segment ID, e.g. `PID`.
    pub id: String,
    fields: Vec<String>,
}

impl Segment {
    /// The raw text of field `n` (1-based, as HL7 numbers them); empty when absent.
    pub fn field(&self, n: usize) -> &str {
        self.fields.get(n).map_or("", String::as_str)
    }
}

/// A parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its separators.
    pub delimiters: Delimiters,
    /// Its segments, in order.
    pub segments: Vec<Segment>,
}

impl Message {
    /// Parses one message.
    pub fn parse(text: &str) -> Result<Message, ParseError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let text = text.trim_start_matches(['\r', '\n', ' ', '\t', '\u{b}', '\u{1c}']);
        if !text.starts_with("MSH") {
            return Err(ParseError::NoHeader);
        }
        let mut chars = text.chars().skip(3);
        let field = chars.next().ok_or(ParseError::BadEncodingCharacters)?;
        let encoding: Vec<char> = chars.take_while(|c| *c != field).collect();
        // A delimiter is a visible non-alphanumeric character: letters, digits, spaces,
        // line breaks and control characters would make segments or values ambiguous.
        let usable = |c: &char| c.is_ascii_graphic() && !c.is_ascii_alphanumeric();
        if !usable(&field) || encoding.len() < 2 || !encoding.iter().take(4).all(usable) {
            return Err(ParseError::BadEncodingCharacters);
        }
        let delimiters = Delimiters {
            field,
            component: encoding[0],
            repetition: encoding[1],
            escape: encoding.get(2).copied(),
            subcomponent: encoding.get(3).copied().unwrap_or('&'),
        };
        let mut all = vec![field, delimiters.component, delimiters.repetition];
        all.extend(delimiters.escape);
        all.push(delimiters.subcomponent);
        let distinct = all.iter().enumerate().all(|(i, c)| !all[..i].contains(c));
        if !distinct || all.iter().any(|c| c.is_alphanumeric()) {
            return Err(ParseError::BadEncodingCharacters);
        }
        let segments = text
            .split(['\r', '\n'])
            .map(|line| line.trim_end_matches(['\u{1c}', ' ', '\u{feff}']))
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let mut fields: Vec<String> = line.split(field).map(str::to_string).collect();
                let id = fields.first().cloned().unwrap_or_default();
                if id == "MSH" {
                    // MSH-1 is the field separator itself: shift so field(n) is MSH-n.
                    fields.insert(1, field.to_string());
                }
                Segment {
                    id: id.trim().to_string(),
                    fields,
                }
            })
            .collect();
        Ok(Message {
            delimiters,
            segments,
        })
    }

    /// The first segment with this ID.
    pub fn segment(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    /// Every segment with this ID, in order.
    pub fn segments_named<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Segment> + 'a {
        self.segments.iter().filter(move |s| s.id == id)
    }

    /// The repetitions of a raw field.
    pub fn repetitions<'a>(&self, field: &'a str) -> Vec<&'a str> {
        if field.is_empty() {
            return Vec::new();
        }
        field.split(self.delimiters.repetition).collect()
    }

    /// Component `n` (1-based) of a field or repetition, unescaped and trimmed; its first
    /// subcomponent only.
    pub fn component(&self, value: &str, n: usize) -> String {
        let raw = value
            .split(self.delimiters.component)
            .nth(n.saturating_sub(1))
            .unwrap_or("");
        let raw = raw.split(self.delimiters.subcomponent).next().unwrap_or("");
        self.unescape(raw).trim().to_string()
    }

    /// Decodes `\F\ \S\ \T\ \R\ \E\` and `\Xhh..\`; unknown sequences are dropped.
    pub fn unescape(&self, text: &str) -> String {
        let Some(escape) = self.delimiters.escape else {
            return text.to_string();
        };
        if !text.contains(escape) {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find(escape) {
            out.push_str(&rest[..start]);
            let after = &rest[start + escape.len_utf8()..];
            let Some(end) = after.find(escape) else {
                // An unterminated escape: keep the text as sent.
                out.push_str(&rest[start..]);
                return out;
            };
            let sequence = &after[..end];
            match sequence {
                "F" => out.push(self.delimiters.field),
                "S" => out.push(self.delimiters.component),
                "T" => out.push(self.delimiters.subcomponent),
                "R" => out.push(self.delimiters.repetition),
                "E" => out.push(escape),
                hex if hex.starts_with('X') => {
                    let digits = &hex[1..];
                    let bytes: Vec<u8> = (0..digits.len() / 2)
                        .filter_map(|i| digits.get(i * 2..i * 2 + 2))
                        .filter_map(|pair| u8::from_str_radix(pair, 16).ok())
                        .collect();
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
                _ => {}
            }
            rest = &after[end + escape.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    /// Escapes text for a field of an answer built with these delimiters.
    pub fn escape(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        self.escape_into(text, &mut out);
        out
    }

    /// Appends `text` to `out`, escaped for a field of an answer built with these
    /// delimiters (line breaks become spaces).
    pub fn escape_into(&self, text: &str, out: &mut String) {
        let d = self.delimiters;
        let e = d.escape.unwrap_or('\\');
        let special = |c: char| {
            c == e
                || c == d.field
                || c == d.component
                || c == d.subcomponent
                || c == d.repetition
                || c == '\r'
                || c == '\n'
        };
        // Most texts (rule IDs, messages) hold no delimiter: copied as they are.
        let Some(first) = text.find(special) else {
            out.push_str(text);
            return;
        };
        out.push_str(&text[..first]);
        for c in text[first..].chars() {
            let code = if c == e {
                Some('E')
            } else if c == d.field {
                Some('F')
            } else if c == d.component {
                Some('S')
            } else if c == d.subcomponent {
                Some('T')
            } else if c == d.repetition {
                Some('R')
            } else {
                None
            };
            match code {
                Some(code) => {
                    out.push(e);
                    out.push(code);
                    out.push(e);
                }
                None if c == '\r' || c == '\n' => out.push(' '),
                None => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADT: &str = "MSH|^~\\&|EPIC|PEDS_HOSP|REALDQ|REALDQ|20261120140300||ADT^A04^ADT_A01|MSG1|P|2.5.1\rPID|1||MRN123^^^HOSP^MR||DOE^JANE||20190402|F||2106-3^White^CDCREC~2028-9^Asian^CDCREC|||||spa^Spanish^HL70296|||||||H^Hispanic^HL70189\r";

    #[test]
    fn fields_repetitions_and_components_are_numbered_as_hl7_numbers_them() {
        let message = Message::parse(ADT).unwrap();
        let msh = message.segment("MSH").unwrap();
        assert_eq!(msh.field(1), "|");
        assert_eq!(msh.field(2), "^~\\&");
        assert_eq!(msh.field(3), "EPIC");
        assert_eq!(msh.field(9), "ADT^A04^ADT_A01");
        let pid = message.segment("PID").unwrap();
        assert_eq!(pid.field(7), "20190402");
        let races = message.repetitions(pid.field(10));
        assert_eq!(races.len(), 2);
        assert_eq!(message.component(races[1], 1), "2028-9");
        assert_eq!(message.component(races[1], 3), "CDCREC");
        assert_eq!(message.component(pid.field(22), 1), "H");
        assert_eq!(message.component(pid.field(3), 5), "MR");
    }

    #[test]
    fn lf_crlf_and_a_bom_are_all_accepted() {
        for text in [
            ADT.replace('\r', "\n"),
            ADT.replace('\r', "\r\n"),
            format!("\u{feff}{ADT}"),
        ] {
            let message = Message::parse(&text).unwrap();
            assert_eq!(message.segments.len(), 2, "{text:?}");
            assert_eq!(message.segment("PID").unwrap().field(7), "20190402");
        }
    }

    #[test]
    fn custom_encoding_characters_and_escapes_are_honoured() {
        let text = "MSH#*@!$#APP#FAC\rPID#1##X*Y$Z#A!B@C";
        let message = Message::parse(text).unwrap();
        assert_eq!(message.delimiters.component, '*');
        assert_eq!(message.delimiters.repetition, '@');
        assert_eq!(message.delimiters.escape, Some('!'));
        assert_eq!(message.delimiters.subcomponent, '$');
        let pid = message.segment("PID").unwrap();
        assert_eq!(message.component(pid.field(3), 2), "Y");
        assert_eq!(message.repetitions(pid.field(4)).len(), 2);
        let plain =
            Message::parse("MSH|^~\\&|A\rNTE|1||a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\X41\\").unwrap();
        let note = plain.segment("NTE").unwrap();
        assert_eq!(plain.unescape(note.field(3)), "a|b^c&d~e\\fA");
        assert_eq!(plain.escape("a|b^c"), "a\\F\\b\\S\\c");
    }

    #[test]
    fn what_is_not_a_message_is_an_error_not_a_panic() {
        assert_eq!(Message::parse(""), Err(ParseError::NoHeader));
        assert_eq!(Message::parse("PID|1"), Err(ParseError::NoHeader));
        assert_eq!(
            Message::parse("MSH"),
            Err(ParseError::BadEncodingCharacters)
        );
        assert_eq!(
            Message::parse("MSH|"),
            Err(ParseError::BadEncodingCharacters)
        );
        assert_eq!(
            Message::parse("MSHA^~"),
            Err(ParseError::BadEncodingCharacters)
        );
        assert_eq!(
            Message::parse("MSH|^^\\&|"),
            Err(ParseError::BadEncodingCharacters)
        );
    }
}
