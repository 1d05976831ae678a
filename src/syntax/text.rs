//! Element values as text.
//!
//! X12 and EDIFACT values are bytes. Most are ASCII; partners also send UTF-8, and EBCDIC input
//! is transcoded to ISO-8859-1. A value becomes a `String` only when the canonical model needs
//! one: valid UTF-8 is taken as is, anything else is read as ISO-8859-1 so no byte is lost.

use std::borrow::Cow;

/// Decodes an element value: UTF-8 when valid, otherwise ISO-8859-1 byte for byte.
#[inline]
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

/// Decodes a value and trims the padding spaces that fixed-width fields carry.
pub fn decode_trimmed(bytes: &[u8]) -> String {
    decode(bytes).trim().to_string()
}

/// Renders bytes for a message: printable ASCII as is, anything else escaped, at most `max`
/// characters, so an error line never carries control characters or a megabyte of garbage.
pub fn for_message(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for (i, &b) in bytes.iter().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7E => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_fallback_keeps_every_byte() {
        assert_eq!(decode(b"Stra\xDFe"), "Straße");
        assert_eq!(decode("Straße".as_bytes()), "Straße");
    }

    #[test]
    fn message_rendering_escapes_controls() {
        assert_eq!(for_message(b"AB\r\n\x15", 10), "AB\\r\\n\\x15");
        assert_eq!(for_message(b"ABCDEF", 3), "ABC…");
    }
}
