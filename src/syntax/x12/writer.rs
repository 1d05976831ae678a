//! Writing X12 segments with any delimiter set.
//!
//! Every writer has a reader: [`Segment::from_ref`] reads back what [`write_segment`] wrote, and a
//! property test checks `parse(write(x)) == x` for any delimiters and values.

use super::{Delimiters, SegmentRef};
use crate::syntax::text::{decode, for_message};

/// An owned element: one or more repetitions, each one or more components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element(pub Vec<Vec<String>>);

impl Element {
    /// A simple element with one value.
    pub fn simple(v: impl Into<String>) -> Self {
        Element(vec![vec![v.into()]])
    }

    /// A composite element with components.
    pub fn composite<I: IntoIterator<Item = S>, S: Into<String>>(parts: I) -> Self {
        Element(vec![parts.into_iter().map(Into::into).collect()])
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|r| r.iter().all(String::is_empty))
    }
}

/// An owned segment for writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub tag: String,
    pub elements: Vec<Element>,
}

impl Segment {
    pub fn new(tag: impl Into<String>, elements: Vec<Element>) -> Self {
        Segment {
            tag: tag.into(),
            elements,
        }
    }

    /// The form a reader gives back: trailing empty components dropped (one kept per
    /// repetition), then trailing empty elements; the writers leave both out.
    pub fn trimmed(mut self) -> Self {
        for el in &mut self.elements {
            for rep in &mut el.0 {
                let keep = rep.iter().rposition(|c| !c.is_empty()).map_or(1, |p| p + 1);
                rep.truncate(keep);
            }
        }
        let keep = self
            .elements
            .iter()
            .rposition(|e| !e.is_empty())
            .map_or(0, |p| p + 1);
        self.elements.truncate(keep);
        self
    }

    /// Reads a segment back into the owned form (repetitions split only when the interchange
    /// has a repetition separator).
    pub fn from_ref(s: &SegmentRef<'_>) -> Self {
        let elements = s
            .elements()
            .map(|v| {
                let reps: Vec<Vec<String>> = match s.delimiters.repetition {
                    Some(_) => s
                        .repetitions(v)
                        .map(|r| s.components(r).map(|c| decode(c).into_owned()).collect())
                        .collect(),
                    None => vec![s.components(v).map(|c| decode(c).into_owned()).collect()],
                };
                Element(reps)
            })
            .collect();
        Segment {
            tag: s.tag_str().into_owned(),
            elements,
        }
    }
}

/// A value cannot be written with the chosen delimiters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// X12 has no escape character: a value holding a delimiter cannot be written.
    #[error("{tag}{position:02}: value '{value}' contains the delimiter '{delimiter}'")]
    DelimiterInValue {
        tag: String,
        position: usize,
        value: String,
        delimiter: String,
    },
    /// X12 readers take a line break inside a segment for line wrapping and drop it, so a value
    /// holding CR or LF cannot be written faithfully.
    #[error(
        "{tag}{position:02}: value '{value}' contains a line break, which readers drop as line wrapping"
    )]
    LineBreakInValue {
        tag: String,
        position: usize,
        value: String,
    },
    /// A repeated element needs a repetition separator, and this interchange has none.
    #[error("{tag}{position:02} repeats, but the interchange has no repetition separator")]
    NoRepetitionSeparator { tag: String, position: usize },
}

/// Appends one segment and its terminator to `out`; trailing empty elements and components are
/// left out, as X12 requires.
pub fn write_segment(out: &mut Vec<u8>, seg: &Segment, d: &Delimiters) -> Result<(), WriteError> {
    let start = out.len();
    out.extend_from_slice(seg.tag.as_bytes());
    let last = seg
        .elements
        .iter()
        .rposition(|e| !e.is_empty())
        .map_or(0, |p| p + 1);
    for (i, el) in seg.elements[..last].iter().enumerate() {
        out.push(d.element);
        if el.0.len() > 1 && d.repetition.is_none() {
            out.truncate(start);
            return Err(WriteError::NoRepetitionSeparator {
                tag: seg.tag.clone(),
                position: i + 1,
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
                if let Some(&bad) = comp.as_bytes().iter().find(|&&b| d.is_delimiter(b)) {
                    out.truncate(start);
                    return Err(WriteError::DelimiterInValue {
                        tag: seg.tag.clone(),
                        position: i + 1,
                        value: comp.clone(),
                        delimiter: for_message(&[bad], 4),
                    });
                }
                if comp.bytes().any(|b| b == b'\r' || b == b'\n') {
                    out.truncate(start);
                    return Err(WriteError::LineBreakInValue {
                        tag: seg.tag.clone(),
                        position: i + 1,
                        value: comp.clone(),
                    });
                }
                out.extend_from_slice(comp.as_bytes());
            }
        }
    }
    out.extend_from_slice(d.terminator.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::x12::{Reader, Terminator};
    use proptest::prelude::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*>~";

    #[test]
    fn trailing_empties_are_dropped() {
        let mut out = Vec::new();
        let seg = Segment::new(
            "BEG",
            vec![
                Element::simple("00"),
                Element::simple(""),
                Element::simple("PO1"),
                Element::simple(""),
            ],
        );
        write_segment(&mut out, &seg, &Delimiters::default()).unwrap();
        assert_eq!(out, b"BEG*00**PO1~");
    }

    #[test]
    fn delimiter_in_value_is_refused() {
        let mut out = Vec::new();
        let seg = Segment::new("N1", vec![Element::simple("ST"), Element::simple("A*B")]);
        let e = write_segment(&mut out, &seg, &Delimiters::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "N102: value 'A*B' contains the delimiter '*'"
        );
        assert!(out.is_empty());
    }

    fn delimiter_sets() -> impl Strategy<Value = Delimiters> {
        let punct = b"*|~^>:!`{}$@#%;\x1D\x15+".to_vec();
        proptest::sample::subsequence(punct, 4)
            .prop_shuffle()
            .prop_map(|v| Delimiters {
                element: v[0],
                component: v[1],
                repetition: Some(v[2]),
                terminator: Terminator::byte(v[3]),
            })
    }

    fn segments() -> impl Strategy<Value = Vec<Segment>> {
        let value = "[A-Z0-9 .,/()-]{0,8}";
        let comp_list = prop::collection::vec(value, 1..3);
        let element = prop::collection::vec(comp_list, 1..3).prop_map(Element);
        let seg = ("[A-Z][A-Z0-9]{1,2}", prop::collection::vec(element, 0..6));
        prop::collection::vec(seg, 1..8).prop_map(|v| {
            v.into_iter()
                .map(|(tag, els)| Segment::new(tag, els).trimmed())
                .filter(|s| s.tag != "ISA" && s.tag != "IEA")
                .collect()
        })
    }

    proptest! {
        #[test]
        fn round_trip(d in delimiter_sets(), segs in segments()) {
            let isa: Vec<u8> = ISA
                .bytes()
                .map(|b| match b {
                    b'*' => d.element,
                    b'^' => d.repetition.unwrap(),
                    b'>' => d.component,
                    b'~' => d.terminator.first(),
                    b => b,
                })
                .collect();
            let mut out = isa;
            for s in &segs {
                write_segment(&mut out, s, &d).unwrap();
                out.push(b'\n');
            }
            let back: Vec<Segment> = Reader::new(&out)
                .skip(1)
                .map(|r| Segment::from_ref(&r.unwrap()))
                .collect();
            prop_assert_eq!(back, segs);
        }
    }
}
