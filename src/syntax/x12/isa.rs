//! Reading the ISA interchange header: delimiters and the sixteen fixed fields.
//!
//! The ISA is meant to be 106 bytes with fixed-width fields, but real files carry fields that are
//! not padded (or padded with non-breaking spaces), headers wrapped across lines, and one-byte
//! or multi-byte terminators. So the header is read by counting sixteen element separators; the
//! byte after the sixteenth is ISA16 (the component separator) and what follows is the segment
//! terminator. Field widths are checked later, by envelope validation, where a short field is a
//! warning and a long one an error.

use super::{Delimiters, Terminator};
use crate::syntax::text::for_message;
use nom::IResult;
use nom::Parser;
use nom::bytes::complete::{tag, take};

/// How far the sixteen separators of an ISA may spread (106 bytes, plus generous room for
/// multi-byte padding and line wrapping); past this the header is taken as broken.
const ISA_SCAN_LIMIT: usize = 400;

/// A read ISA header: its delimiters, its sixteen field values and where it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsaHeader {
    pub delimiters: Delimiters,
    /// Byte ranges (relative to the buffer given to [`read_isa`]) of ISA01..ISA16.
    pub fields: [(usize, usize); 16],
    /// Where the header body ends (the terminator's first byte).
    pub body_end: usize,
    /// The first byte after the terminator.
    pub next: usize,
    /// True when line breaks inside the header were skipped (a wrapped file).
    pub wrapped: bool,
}

/// Why an ISA header cannot be read; `offset` is relative to the buffer given to [`read_isa`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IsaError {
    /// The byte after `ISA` is a letter, digit or space, so it cannot be the element separator.
    #[error("the byte after 'ISA' is '{found}', which cannot be an element separator")]
    BadElementSeparator { found: String, offset: usize },
    /// Fewer than sixteen element separators before the end of input or the scan limit.
    #[error(
        "the ISA header is incomplete: only {found} of its 16 element separators '{separator}' were found"
    )]
    Incomplete {
        found: usize,
        separator: String,
        offset: usize,
    },
    /// Nothing usable follows ISA15's separator.
    #[error("ISA16 (component separator) is missing after the sixteenth element separator")]
    MissingComponentSeparator { offset: usize },
    /// ISA16 is followed directly by the next segment's tag.
    #[error("no segment terminator follows ISA16 '{component}' (found '{found}')")]
    MissingTerminator {
        component: String,
        found: String,
        offset: usize,
    },
    /// Two delimiters are the same character.
    #[error("the ISA declares '{character}' as both {first} and {second}")]
    AmbiguousDelimiters {
        character: String,
        first: &'static str,
        second: &'static str,
        offset: usize,
    },
    /// Line breaks end segments in this file, yet one occurs inside the ISA.
    #[error(
        "the ISA header is broken across lines: ISA{field:02} contains a line break, but line breaks end segments in this file"
    )]
    LineBreakInside { field: usize, offset: usize },
}

impl IsaError {
    /// The same error with its offset moved by `base` (from the buffer to the file).
    pub fn shifted(mut self, base: usize) -> Self {
        match &mut self {
            IsaError::BadElementSeparator { offset, .. }
            | IsaError::Incomplete { offset, .. }
            | IsaError::MissingComponentSeparator { offset }
            | IsaError::MissingTerminator { offset, .. }
            | IsaError::AmbiguousDelimiters { offset, .. }
            | IsaError::LineBreakInside { offset, .. } => *offset += base,
        }
        self
    }

    /// Where the problem is, relative to the buffer given to [`read_isa`].
    pub fn offset(&self) -> usize {
        match self {
            IsaError::BadElementSeparator { offset, .. }
            | IsaError::Incomplete { offset, .. }
            | IsaError::MissingComponentSeparator { offset }
            | IsaError::MissingTerminator { offset, .. }
            | IsaError::AmbiguousDelimiters { offset, .. }
            | IsaError::LineBreakInside { offset, .. } => *offset,
        }
    }
}

fn isa_tag(input: &[u8]) -> IResult<&[u8], u8> {
    let (rest, (_, sep)) = (tag(&b"ISA"[..]), take(1usize)).parse(input)?;
    Ok((rest, sep[0]))
}

/// Length of the UTF-8 character starting with `lead` (1 for ASCII or stray bytes).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

/// Reads the ISA header that starts at `buf[start]` (which must be `ISA`).
///
/// Returns `Ok(None)` when `buf` ends before the header does and `eof` is false: the caller
/// feeds more bytes and asks again.
pub fn read_isa(buf: &[u8], start: usize, eof: bool) -> Result<Option<IsaHeader>, IsaError> {
    let input = &buf[start..];
    let element = match isa_tag(input) {
        Ok((_, sep)) => sep,
        Err(_) if !eof && input.len() < 4 => return Ok(None),
        Err(_) => {
            return Err(IsaError::Incomplete {
                found: 0,
                separator: "?".into(),
                offset: start,
            });
        }
    };
    if element.is_ascii_alphanumeric() || element.is_ascii_whitespace() {
        return Err(IsaError::BadElementSeparator {
            found: for_message(&[element], 4),
            offset: start + 3,
        });
    }

    // Count sixteen separators; remember each field's range.
    let mut fields = [(0usize, 0usize); 16];
    let mut field_start = start + 4;
    let mut found = 0usize;
    let mut i = start + 4;
    let limit = (start + ISA_SCAN_LIMIT).min(buf.len());
    let mut line_break_in: Option<(usize, usize)> = None;
    while found < 15 {
        let Some(rel) = memchr::memchr(element, &buf[i..limit]) else {
            if !eof && buf.len() < start + ISA_SCAN_LIMIT {
                return Ok(None);
            }
            return Err(IsaError::Incomplete {
                found: found + 1,
                separator: for_message(&[element], 4),
                offset: start,
            });
        };
        let sep = i + rel;
        if line_break_in.is_none()
            && let Some(lb) = memchr::memchr2(b'\r', b'\n', &buf[field_start..sep])
        {
            line_break_in = Some((found + 1, field_start + lb));
        }
        fields[found] = (field_start, sep);
        found += 1;
        field_start = sep + 1;
        i = sep + 1;
    }
    // ISA16 is the byte after the sixteenth separator.
    let comp_at = field_start;
    if comp_at >= buf.len() {
        return if eof {
            Err(IsaError::MissingComponentSeparator { offset: comp_at })
        } else {
            Ok(None)
        };
    }
    let component = buf[comp_at];
    if matches!(component, b'\r' | b'\n') {
        return Err(IsaError::MissingComponentSeparator { offset: comp_at });
    }
    fields[15] = (comp_at, comp_at + 1);
    let term_at = comp_at + 1;
    if term_at >= buf.len() {
        if !eof {
            return Ok(None);
        }
        return Err(IsaError::MissingTerminator {
            component: for_message(&[component], 4),
            found: "end of file".into(),
            offset: term_at,
        });
    }
    let tlen = utf8_len(buf[term_at]);
    if term_at + tlen > buf.len() {
        if !eof {
            return Ok(None);
        }
        return Err(IsaError::MissingTerminator {
            component: for_message(&[component], 4),
            found: "end of file".into(),
            offset: term_at,
        });
    }
    let term_bytes = &buf[term_at..term_at + tlen];
    if term_bytes[0].is_ascii_alphanumeric() {
        // The message quotes what follows; wait for it so the error is the same however the
        // input arrives.
        if !eof && buf.len() < term_at + 8 {
            return Ok(None);
        }
        return Err(IsaError::MissingTerminator {
            component: for_message(&[component], 4),
            found: for_message(&buf[term_at..(term_at + 8).min(buf.len())], 8),
            offset: term_at,
        });
    }
    // Whether a line break follows the terminator decides how a space terminator is read:
    // wait for that byte so the answer does not depend on where the input was cut.
    if !eof && buf.len() <= term_at + tlen {
        return Ok(None);
    }
    let after = buf.get(term_at + tlen).copied();
    let terminator = Terminator::new(term_bytes)
        .expect("one to four bytes")
        .with_line_end(matches!(after, Some(b'\r' | b'\n')));

    if let Some((field, at)) = line_break_in
        && terminator.is_line_break()
    {
        return Err(IsaError::LineBreakInside { field, offset: at });
    }

    // ISA11: a repetition separator when it is punctuation (required from 00402 on; some older
    // files use it too). A letter (normally `U`) means the interchange has none.
    let (r0, r1) = fields[10];
    let isa11 = trimmed_single(&buf[r0..r1]);
    let repetition = isa11.filter(|b| !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace());

    let delimiters = Delimiters {
        element,
        component,
        repetition,
        terminator,
    };
    check_distinct(&delimiters, start)?;

    Ok(Some(IsaHeader {
        delimiters,
        fields,
        body_end: term_at,
        next: term_at + tlen,
        wrapped: line_break_in.is_some(),
    }))
}

/// The single non-line-break byte of a field, if it has exactly one.
fn trimmed_single(field: &[u8]) -> Option<u8> {
    let mut it = field
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n'));
    let first = it.next()?;
    it.next().is_none().then_some(first)
}

fn check_distinct(d: &Delimiters, offset: usize) -> Result<(), IsaError> {
    let mut named: Vec<(u8, &'static str)> = vec![
        (d.element, "element separator"),
        (d.component, "component separator (ISA16)"),
    ];
    if let Some(r) = d.repetition {
        named.push((r, "repetition separator (ISA11)"));
    }
    named.push((d.terminator.first(), "segment terminator"));
    for i in 0..named.len() {
        for j in i + 1..named.len() {
            if named[i].0 == named[j].0 {
                return Err(IsaError::AmbiguousDelimiters {
                    character: for_message(&[named[i].0], 4),
                    first: named[i].1,
                    second: named[j].1,
                    offset,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STD: &[u8] = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~GS*";

    #[test]
    fn standard_header() {
        let h = read_isa(STD, 0, true).unwrap().unwrap();
        assert_eq!(h.delimiters.element, b'*');
        assert_eq!(h.delimiters.component, b'>');
        assert_eq!(h.delimiters.repetition, None);
        assert_eq!(h.delimiters.terminator.as_bytes(), b"~");
        assert_eq!(h.body_end, 105);
        assert_eq!(h.next, 106);
        let (a, b) = h.fields[12];
        assert_eq!(&STD[a..b], b"000000001");
    }

    #[test]
    fn repetition_and_multibyte_terminator() {
        let isa = "ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*^*00501*000000001*0*P*:…\r\nGS";
        let h = read_isa(isa.as_bytes(), 0, true).unwrap().unwrap();
        assert_eq!(h.delimiters.repetition, Some(b'^'));
        assert_eq!(h.delimiters.terminator.as_bytes(), "…".as_bytes());
    }

    #[test]
    fn needs_more_when_cut() {
        assert_eq!(read_isa(&STD[..60], 0, false), Ok(None));
        assert!(matches!(
            read_isa(&STD[..60], 0, true),
            Err(IsaError::Incomplete { .. })
        ));
    }

    #[test]
    fn line_break_inside_with_line_break_terminator() {
        let isa = b"ISA*00* *00* *ZZ*S *ZZ*R *060814*213\n5*U*00401*702351422*0*P*>\nGS*PR";
        let e = read_isa(isa, 0, true).unwrap_err();
        assert!(
            matches!(e, IsaError::LineBreakInside { field: 10, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn wrapped_header_with_tilde_terminator() {
        let isa = b"ISA*00*          *00*          *ZZ*DDDD           *ZZ*XXXXXX         *200918*022\n4*U*00401*000026003*0*P*>~GS";
        let h = read_isa(isa, 0, true).unwrap().unwrap();
        assert!(h.wrapped);
        assert_eq!(h.delimiters.terminator.as_bytes(), b"~");
    }

    #[test]
    fn letter_after_isa16_is_missing_terminator() {
        let isa = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240101*1200*U*00401*000000001*0*P*>GS*";
        assert!(matches!(
            read_isa(isa, 0, true),
            Err(IsaError::MissingTerminator { .. })
        ));
    }
}
