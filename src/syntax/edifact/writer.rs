//! Writing EDIFACT segments with any separators, escaping what needs it.
//!
//! The owned segment form is shared with X12 ([`crate::syntax::x12::Segment`]): a tag and
//! elements, each element repetitions of components. A property test checks that reading what
//! was written gives the same segments back, for any separators and values (including values
//! that hold separators and release characters).

use super::Delimiters;
use crate::syntax::x12::Segment;

/// Writes the service string advice an interchange needs: `UNA` and the six service characters
/// when the separators are not the defaults `:+.? '`, nothing otherwise. Returns whether it
/// wrote one.
pub fn write_una_if_needed(out: &mut Vec<u8>, d: &Delimiters) -> bool {
    // Syntax version 4's `*` repetition separator is a default too.
    let defaults = Delimiters {
        repetition: d.repetition.filter(|&r| r == b'*'),
        ..Delimiters::default()
    };
    if *d == defaults {
        return false;
    }
    write_una(out, d);
    true
}

/// Writes `UNA` and the six service characters.
pub fn write_una(out: &mut Vec<u8>, d: &Delimiters) {
    out.extend_from_slice(b"UNA");
    out.extend_from_slice(&[
        d.component,
        d.element,
        d.decimal,
        d.release.unwrap_or(b' '),
        d.repetition.unwrap_or(b' '),
        d.terminator,
    ]);
}

/// Why a segment cannot be written with the chosen separators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// A value holds a separator and the interchange has no release character to escape it.
    #[error("{tag}: value '{value}' holds a separator and there is no release character")]
    CannotEscape { tag: String, value: String },
    /// A value holds a carriage return or line feed. Readers (ours among them) take line breaks
    /// inside a segment for line wrapping and drop them, and releasing them is not defined by
    /// ISO 9735, so such a value cannot be sent faithfully.
    #[error("{tag}: value '{value}' contains a line break, which readers drop as line wrapping")]
    LineBreakInValue { tag: String, value: String },
    /// A repeated element needs a repetition separator (syntax version 4).
    #[error("{tag}: a repeated element needs a repetition separator")]
    NoRepetitionSeparator { tag: String },
}

/// Appends one segment and its terminator, escaping separators inside values; trailing empty
/// elements and components are left out. A value holding a line break is refused
/// ([`WriteError::LineBreakInValue`]) and nothing is appended.
pub fn write_segment(out: &mut Vec<u8>, seg: &Segment, d: &Delimiters) -> Result<(), WriteError> {
    let start = out.len();
    out.extend_from_slice(seg.tag.as_bytes());
    let is_empty = |rep: &[String]| rep.iter().all(String::is_empty);
    let last = seg
        .elements
        .iter()
        .rposition(|e| !e.0.iter().all(|r| is_empty(r)))
        .map_or(0, |p| p + 1);
    for el in &seg.elements[..last] {
        out.push(d.element);
        if el.0.len() > 1 && d.repetition.is_none() {
            out.truncate(start);
            return Err(WriteError::NoRepetitionSeparator {
                tag: seg.tag.clone(),
            });
        }
        for (r, rep) in el.0.iter().enumerate() {
            if r > 0 {
                out.push(d.repetition.expect("checked above"));
            }
            let last_comp = rep.iter().rposition(|c| !c.is_empty()).map_or(0, |p| p + 1);
            for (c, comp) in rep[..last_comp].iter().enumerate() {
                if c > 0 {
                    out.push(d.component);
                }
                if comp.bytes().any(|b| b == b'\r' || b == b'\n') {
                    out.truncate(start);
                    return Err(WriteError::LineBreakInValue {
                        tag: seg.tag.clone(),
                        value: comp.clone(),
                    });
                }
                for &b in comp.as_bytes() {
                    if d.is_special(b) {
                        let Some(rel) = d.release else {
                            out.truncate(start);
                            return Err(WriteError::CannotEscape {
                                tag: seg.tag.clone(),
                                value: comp.clone(),
                            });
                        };
                        out.push(rel);
                    }
                    out.push(b);
                }
            }
        }
    }
    out.push(d.terminator);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::edifact::Reader;
    use crate::syntax::x12::Element;
    use proptest::prelude::*;

    #[test]
    fn una_only_when_needed() {
        let mut out = Vec::new();
        assert!(!write_una_if_needed(&mut out, &Delimiters::default()));
        assert!(out.is_empty());
        let d = Delimiters {
            element: b'|',
            ..Delimiters::default()
        };
        assert!(write_una_if_needed(&mut out, &d));
        assert_eq!(out, b"UNA:|.? '");
    }

    #[test]
    fn escapes_separators() {
        let mut out = Vec::new();
        let seg = Segment::new(
            "FTX",
            vec![Element::simple("AAI"), Element::simple("a+b:c'd?e")],
        );
        write_segment(&mut out, &seg, &Delimiters::default()).unwrap();
        assert_eq!(out, b"FTX+AAI+a?+b?:c?'d??e'");
    }

    fn delimiter_sets() -> impl Strategy<Value = Delimiters> {
        proptest::sample::subsequence(b":+?*'|~^=\\".to_vec(), 5)
            .prop_shuffle()
            .prop_map(|v| Delimiters {
                component: v[0],
                element: v[1],
                decimal: b'.',
                release: Some(v[2]),
                repetition: Some(v[3]),
                terminator: v[4],
            })
    }

    fn segments() -> impl Strategy<Value = Vec<Segment>> {
        let value = "[A-Z0-9 .,:+?*'|~^=\\\\-]{0,8}";
        let comps = prop::collection::vec(value, 1..3);
        let element = prop::collection::vec(comps, 1..3).prop_map(Element);
        let seg = ("[A-Z]{3}", prop::collection::vec(element, 0..5));
        prop::collection::vec(seg, 1..6).prop_map(|v| {
            v.into_iter()
                .filter(|(t, _)| t != "UNA")
                .map(|(tag, els)| Segment::new(tag, els).trimmed())
                .collect()
        })
    }

    #[test]
    fn a_line_break_in_a_value_is_refused() {
        for value in ["A\nB", "A\rB", "AB\r\n"] {
            let seg = Segment::new("FTX", vec![Element::simple("AAI"), Element::simple(value)]);
            let mut out = b"UNH+1'".to_vec();
            let e = write_segment(&mut out, &seg, &Delimiters::default()).unwrap_err();
            assert!(matches!(e, WriteError::LineBreakInValue { .. }), "{e}");
            assert!(e.to_string().contains("line break"), "{e}");
            assert_eq!(out, b"UNH+1'", "nothing appended");
        }
    }

    proptest! {
        #[test]
        fn round_trip(d in delimiter_sets(), segs in segments()) {
            let mut out = Vec::new();
            write_una(&mut out, &d);
            for s in &segs {
                write_segment(&mut out, s, &d).unwrap();
                out.extend_from_slice(b"\r\n");
            }
            let back: Vec<Segment> = Reader::new(&out)
                .skip(1)
                .map(|r| r.unwrap().to_segment())
                .collect();
            prop_assert_eq!(back, segs);
        }
    }
}
