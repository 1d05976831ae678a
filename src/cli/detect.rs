//! Which format a file is in, from its first bytes.

use crate::syntax::{UTF8_BOM, ebcdic, is_inter_segment_space};

/// Formats tallyman can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    X12,
    Edifact,
    Unknown,
}

/// Detects the format from the start of a file (a few hundred bytes are enough).
pub fn detect(head: &[u8]) -> Format {
    if ebcdic::looks_like_ebcdic_isa(head) {
        return Format::X12;
    }
    let mut s = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    while let Some((&b, rest)) = s.split_first() {
        if !is_inter_segment_space(b) {
            break;
        }
        s = rest;
    }
    if s.starts_with(b"ISA") && s.get(3).is_some_and(|b| !b.is_ascii_alphanumeric()) {
        return Format::X12;
    }
    if s.starts_with(b"UNA") || s.starts_with(b"UNB") || s.starts_with(b"UNH") {
        return Format::Edifact;
    }
    Format::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(detect(b"\xEF\xBB\xBF  ISA*00*"), Format::X12);
        assert_eq!(detect(b"UNA:+.? 'UNB+UNOC:3"), Format::Edifact);
        assert_eq!(detect(b"Name,Email\n"), Format::Unknown);
        assert_eq!(detect(&[0xC9, 0xE2, 0xC1, 0x5C]), Format::X12);
    }
}
