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

/// Model text of a raw value, as [`tidy`] gives it for the value decoded with `decode`; the
/// usual value, printable ASCII, is neither decoded nor searched for control characters twice.
pub fn tidy_bytes<'v>(
    bytes: &'v [u8],
    decode: impl FnOnce(&'v [u8]) -> Cow<'v, str>,
) -> Option<Cow<'v, str>> {
    // Printable ASCII reads the same in every character set, and its only whitespace is the
    // space: trimming bytes then trims the text.
    if printable_ascii(bytes) {
        let t = bytes.trim_ascii();
        return (!t.is_empty())
            .then(|| Cow::Borrowed(std::str::from_utf8(t).expect("ASCII is UTF-8")));
    }
    tidy(decode(bytes))
}

/// Model text of ASCII bytes already copied (an EDIFACT value with its release characters
/// taken out), as [`tidy`] gives it, in the copy: control characters taken out, then the
/// spaces around trimmed (in ASCII without controls the space is the only whitespace).
pub fn tidy_ascii(mut bytes: Vec<u8>) -> Option<String> {
    debug_assert!(bytes.is_ascii());
    if !printable_ascii(&bytes) {
        bytes.retain(|&b| b >= 0x20);
    }
    let end = bytes.len() - bytes.iter().rev().take_while(|&&b| b == b' ').count();
    bytes.truncate(end);
    let start = bytes.iter().take_while(|&&b| b == b' ').count();
    bytes.drain(..start);
    (!bytes.is_empty()).then(|| String::from_utf8(bytes).expect("ASCII is UTF-8"))
}

/// Model text of a value already known to be printable ASCII
/// ([`Fields::text_of`](crate::syntax::Fields::text_of)), as [`tidy_bytes`] gives it: trimmed,
/// `None` when nothing is left.
#[inline]
pub fn tidy_printable(text: &str) -> Option<&str> {
    let t = text.trim_ascii();
    (!t.is_empty()).then_some(t)
}

/// True when every byte is printable ASCII (0x20 to 0x7F), tested eight bytes at a time.
fn printable_ascii(bytes: &[u8]) -> bool {
    const LOW: u64 = 0x2020_2020_2020_2020;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        // With no high bit set, subtracting 0x20 from each byte borrows into a byte's high bit
        // only for a byte below 0x20 (or above one, which is already below).
        if x & HIGH != 0 || x.wrapping_sub(LOW) & !x & HIGH != 0 {
            return false;
        }
    }
    chunks
        .remainder()
        .iter()
        .all(|&b| (0x20..0x80).contains(&b))
}

/// [`tidy_bytes`] as the text's bytes, for a value that is matched rather than kept: printable
/// ASCII is not even turned into a `str`.
pub fn tidy_raw<'v>(
    bytes: &'v [u8],
    decode: impl FnOnce(&'v [u8]) -> Cow<'v, str>,
) -> Option<Cow<'v, [u8]>> {
    if printable_ascii(bytes) {
        let t = bytes.trim_ascii();
        return (!t.is_empty()).then_some(Cow::Borrowed(t));
    }
    tidy(decode(bytes)).map(|t| match t {
        Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
        Cow::Owned(s) => Cow::Owned(s.into_bytes()),
    })
}

/// Model text from a decoded value: control characters left out (the grammar validator reports
/// them) and surrounding whitespace trimmed; `None` when nothing is left. Borrows unless a
/// control character or the decoding made a copy, so the caller allocates once, if at all.
pub fn tidy(s: Cow<'_, str>) -> Option<Cow<'_, str>> {
    let controls = |s: &str| s.bytes().any(|b| b < 0x20);
    let t = match s {
        Cow::Borrowed(s) if !controls(s) => Cow::Borrowed(s.trim()),
        s => {
            let mut o: String = if controls(&s) {
                s.chars().filter(|&c| c >= ' ').collect()
            } else {
                s.into_owned()
            };
            let end = o.trim_end().len();
            o.truncate(end);
            let start = o.len() - o.trim_start().len();
            o.drain(..start);
            Cow::Owned(o)
        }
    };
    (!t.is_empty()).then_some(t)
}

/// `n` characters, said as a person would: "1 character", "0 characters", "12 characters".
pub fn characters(n: usize) -> String {
    if n == 1 {
        "1 character".to_owned()
    } else {
        format!("{n} characters")
    }
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
    fn tidy_ascii_is_tidy() {
        use proptest::prelude::*;
        let alphabet =
            prop::sample::select(vec![b' ', b'a', b'\t', b'\n', 0x0B, 0x0C, 0, 0x7F, b'?']);
        proptest!(|(bytes in prop::collection::vec(alphabet, 0..24))| {
            let want = tidy(Cow::Owned(String::from_utf8(bytes.clone()).unwrap()))
                .map(Cow::into_owned);
            prop_assert_eq!(tidy_ascii(bytes), want);
        });
        assert_eq!(tidy_ascii(b"  A\tB  ".to_vec()).as_deref(), Some("AB"));
        assert_eq!(tidy_ascii(b" \x01 ".to_vec()), None);
    }

    #[test]
    fn one_character_is_singular() {
        assert_eq!(characters(0), "0 characters");
        assert_eq!(characters(1), "1 character");
        assert_eq!(characters(31), "31 characters");
    }

    #[test]
    fn latin1_fallback_keeps_every_byte() {
        assert_eq!(decode(b"Stra\xDFe"), "Straße");
        assert_eq!(decode("Straße".as_bytes()), "Straße");
    }

    #[test]
    fn tidy_text_borrows_plain_values() {
        let t = |s: &'static str| tidy(Cow::Borrowed(s));
        assert!(matches!(t(" AB C "), Some(Cow::Borrowed("AB C"))));
        assert_eq!(t(" \x01 A\tB\u{a0}").as_deref(), Some("AB"));
        assert_eq!(t(" \x00 "), None);
        assert_eq!(tidy(decode(b" Stra\xDFe ")).as_deref(), Some("Straße"));
        for raw in [
            &b" A B "[..],
            b"\x0bA\x0c",
            b"  ",
            b"",
            b"A\x7f ",
            b" Stra\xDFe ",
            b"\xC2\xA0x\xC2\x85",
        ] {
            assert_eq!(tidy_bytes(raw, decode), tidy(decode(raw)), "{raw:?}");
            assert_eq!(
                tidy_raw(raw, decode).as_deref(),
                tidy(decode(raw)).as_deref().map(str::as_bytes),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn printable_ascii_eight_bytes_at_a_time() {
        for len in 0..20 {
            for at in 0..len {
                for b in [0x00, 0x1F, 0x20, 0x21, 0x7E, 0x7F, 0x80, 0xC3, 0xFF] {
                    let mut v = vec![b'A'; len];
                    v[at] = b;
                    let want = v.iter().all(|&b| (0x20..0x80).contains(&b));
                    assert_eq!(printable_ascii(&v), want, "{v:?}");
                }
            }
        }
    }

    #[test]
    fn message_rendering_escapes_controls() {
        assert_eq!(for_message(b"AB\r\n\x15", 10), "AB\\r\\n\\x15");
        assert_eq!(for_message(b"ABCDEF", 3), "ABC…");
    }
}
