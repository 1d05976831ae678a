//! Character sets named by the UNB syntax identifier, decoded with `encoding_rs`.
//!
//! UNOA and UNOB are subsets of ASCII, UNOC..UNOK the ISO 8859 parts, UNOW and UNOY UTF-8.
//! Real partners declare one set and send another (UTF-8 bytes under UNOA or UNOC are common):
//! [`Charset::inspect`] tells which set the bytes really are in, so the translator can say so and
//! decode them as what they are instead of garbling them.

use encoding_rs::Encoding;
use std::borrow::Cow;

/// A declared character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UNOA / UNOB: ASCII letters, digits and some punctuation.
    Ascii(&'static str),
    /// UNOC: ISO 8859-1.
    Latin1,
    /// UNOD..UNOK: another ISO 8859 part.
    Iso8859(&'static str, &'static Encoding),
    /// UNOW, UNOY: UTF-8 (UNOY is ISO 10646, sent as UTF-8 in practice).
    Utf8(&'static str),
    /// Anything else (IATA, KECA...): read as UTF-8 when valid, else ISO 8859-1.
    Other,
}

/// What a message's bytes really are, when they differ from the declared set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Valid UTF-8 multi-byte characters under a single-byte set; `sample` is the first one.
    Utf8 { offset: usize, sample: String },
    /// A byte the declared set does not have (and the bytes are not UTF-8 either).
    OutsideSet { offset: usize, byte: u8 },
    /// Not valid UTF-8 under UNOW/UNOY.
    InvalidUtf8 { offset: usize },
}

impl Mismatch {
    pub fn offset(&self) -> usize {
        match self {
            Mismatch::Utf8 { offset, .. }
            | Mismatch::OutsideSet { offset, .. }
            | Mismatch::InvalidUtf8 { offset } => *offset,
        }
    }
}

impl Charset {
    /// The set for a UNB S001 0001 value.
    pub fn from_syntax_id(id: &str) -> Charset {
        use encoding_rs::*;
        match id {
            "UNOA" => Charset::Ascii("UNOA"),
            "UNOB" => Charset::Ascii("UNOB"),
            "UNOC" => Charset::Latin1,
            "UNOD" => Charset::Iso8859("UNOD", ISO_8859_2),
            "UNOE" => Charset::Iso8859("UNOE", ISO_8859_5),
            "UNOF" => Charset::Iso8859("UNOF", ISO_8859_7),
            "UNOG" => Charset::Iso8859("UNOG", ISO_8859_3),
            "UNOH" => Charset::Iso8859("UNOH", ISO_8859_4),
            "UNOI" => Charset::Iso8859("UNOI", ISO_8859_6),
            "UNOJ" => Charset::Iso8859("UNOJ", ISO_8859_8),
            "UNOK" => Charset::Iso8859("UNOK", WINDOWS_1254),
            "UNOW" => Charset::Utf8("UNOW"),
            "UNOY" => Charset::Utf8("UNOY"),
            _ => Charset::Other,
        }
    }

    /// A name for messages: `UNOC (ISO 8859-1)`.
    pub fn describe(&self) -> String {
        match self {
            Charset::Ascii(n) => format!("{n} (a subset of ASCII)"),
            Charset::Latin1 => "UNOC (ISO 8859-1)".into(),
            Charset::Iso8859(n, e) => format!("{n} ({})", e.name()),
            Charset::Utf8(n) => format!("{n} (UTF-8)"),
            Charset::Other => "a character set outside UN/EDIFACT's".into(),
        }
    }

    /// Checks bytes against the set; `None` when they fit it.
    pub fn inspect(&self, bytes: &[u8]) -> Option<Mismatch> {
        // The usual answer, ASCII, a word at a time rather than a byte.
        if bytes.is_ascii() {
            return None;
        }
        let first_high = bytes.iter().position(|&b| b >= 0x80)?;
        match (self, std::str::from_utf8(bytes)) {
            (Charset::Utf8(_), Ok(_)) | (Charset::Other, _) => None,
            (Charset::Utf8(_), Err(e)) => Some(Mismatch::InvalidUtf8 {
                offset: e.valid_up_to(),
            }),
            (_, Ok(s)) => {
                let sample = s[first_high..]
                    .chars()
                    .next()
                    .map(String::from)
                    .unwrap_or_default();
                Some(Mismatch::Utf8 {
                    offset: first_high,
                    sample,
                })
            }
            (Charset::Ascii(_), Err(_)) => Some(Mismatch::OutsideSet {
                offset: first_high,
                byte: bytes[first_high],
            }),
            (Charset::Latin1 | Charset::Iso8859(..), Err(_)) => None,
        }
    }

    /// Decodes a value in this set.
    pub fn decode<'v>(&self, bytes: &'v [u8]) -> Cow<'v, str> {
        if bytes.is_ascii() {
            return Cow::Borrowed(std::str::from_utf8(bytes).expect("ASCII is UTF-8"));
        }
        match self {
            Charset::Iso8859(_, e) => e.decode_without_bom_handling(bytes).0,
            Charset::Utf8(_) => String::from_utf8_lossy(bytes),
            // ISO 8859-1 maps each byte to the code point of the same value.
            Charset::Latin1 | Charset::Ascii(_) | Charset::Other => {
                crate::syntax::text::decode(bytes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_sets() {
        assert_eq!(Charset::from_syntax_id("UNOC").decode(b"Caf\xE9"), "Café");
        assert_eq!(Charset::from_syntax_id("UNOE").decode(b"\xB0"), "А");
        assert_eq!(
            Charset::from_syntax_id("UNOW").decode("Ëx".as_bytes()),
            "Ëx"
        );
    }

    #[test]
    fn mismatches() {
        let unoc = Charset::from_syntax_id("UNOC");
        assert_eq!(
            unoc.inspect("ab Ëc".as_bytes()),
            Some(Mismatch::Utf8 {
                offset: 3,
                sample: "Ë".into()
            })
        );
        assert_eq!(unoc.inspect(b"Caf\xE9"), None);
        let unoa = Charset::from_syntax_id("UNOA");
        assert_eq!(
            unoa.inspect(b"Caf\xE9"),
            Some(Mismatch::OutsideSet {
                offset: 3,
                byte: 0xE9
            })
        );
        assert_eq!(unoa.inspect(b"plain"), None);
        assert!(matches!(
            Charset::from_syntax_id("UNOW").inspect(b"\xE9x"),
            Some(Mismatch::InvalidUtf8 { .. })
        ));
    }
}
