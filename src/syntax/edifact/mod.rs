//! UN/EDIFACT syntax: service string advice, release character, segments with spans, writer.
//!
//! Phase: bytes → segments. Separators come from the UNA service string advice when one precedes
//! the interchange, otherwise they are the defaults `:+.? '` (syntax version 4 adds `*` as the
//! repetition separator). The release character (`?` by default) makes the next character
//! literal: `??` is a question mark, `?'` an apostrophe inside a value. Segments borrow from the
//! input with their escapes still in; a value is unescaped only when it is read, so values
//! without a release character are never copied.
//!
//! ```
//! use tallyman::syntax::edifact::Reader;
//! let edi = b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+240101:1200+1'UNH+1+ORDERS:D:96A:UN'\
//! IMD+F++:::Nuts ?+ bolts'";
//! let segs: Vec<_> = Reader::new(edi).collect::<Result<_, _>>().unwrap();
//! assert_eq!(segs[1].tag(), b"UNB");
//! let imd = &segs[3];
//! let comps: Vec<_> = imd.components(imd.element(3).unwrap()).collect();
//! assert_eq!(&*imd.unescape(comps[3]), b"Nuts + bolts");
//! ```

pub mod charset;
mod segment;
mod tokenizer;
mod writer;

pub use segment::SegmentRef;
pub use tokenizer::{Next, Reader, SyntaxError, Tokenizer};
#[cfg(feature = "internals")]
pub use writer::write_una;
pub use writer::{WriteError, write_segment, write_una_if_needed};

use serde::Serialize;

/// The separators of one interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Delimiters {
    pub component: u8,
    pub element: u8,
    pub decimal: u8,
    /// `None` when the UNA declares a space (no release character).
    pub release: Option<u8>,
    /// Syntax version 4 repetition separator.
    pub repetition: Option<u8>,
    pub terminator: u8,
}

impl Default for Delimiters {
    /// `:+.? '`: the defaults of ISO 9735 for UNOA/UNOB and the other syntax identifiers.
    fn default() -> Self {
        Delimiters {
            component: b':',
            element: b'+',
            decimal: b'.',
            release: Some(b'?'),
            repetition: None,
            terminator: b'\'',
        }
    }
}

impl Delimiters {
    /// Reads a UNA service string advice: `UNA` and six characters. The error says in plain
    /// words why they are no usable set of separators.
    pub fn from_una(una: &[u8]) -> Result<Self, &'static str> {
        if una.len() < 9 || &una[..3] != b"UNA" {
            return Err("is cut short: a UNA is 'UNA' and six characters");
        }
        let c = &una[3..9];
        let opt = |b: u8| (b != b' ').then_some(b);
        let d = Delimiters {
            component: c[0],
            element: c[1],
            decimal: c[2],
            release: opt(c[3]),
            repetition: opt(c[4]),
            terminator: c[5],
        };
        // Separators must differ from one another. The decimal mark is no separator, and is
        // taken as the UNA gives it.
        let seps = [
            Some(d.component),
            Some(d.element),
            d.release,
            d.repetition,
            Some(d.terminator),
        ];
        for i in 0..seps.len() {
            for j in i + 1..seps.len() {
                if seps[i].is_some() && seps[i] == seps[j] {
                    return Err("declares one separator twice; each must differ");
                }
            }
        }
        // A line break inside a segment is read as a wrapped line and dropped, so only the
        // segment terminator can be one.
        if seps[..4]
            .iter()
            .flatten()
            .any(|b| matches!(b, b'\r' | b'\n'))
        {
            return Err(
                "declares a line break as a separator other than the segment terminator; a line break inside a segment is read as a wrapped line",
            );
        }
        Ok(d)
    }

    /// True when `b` separates something (it must be escaped inside a value).
    pub fn is_special(&self, b: u8) -> bool {
        b == self.component
            || b == self.element
            || b == self.terminator
            || Some(b) == self.release
            || Some(b) == self.repetition
    }

    /// The separators that split values further.
    pub fn separators(&self) -> crate::syntax::Separators {
        crate::syntax::Separators {
            component: self.component,
            repetition: self.repetition,
            release: self.release,
        }
    }
}

/// UN/EDIFACT, for the code written once for both standards (see [`crate::syntax::Standard`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Edifact;

crate::syntax::standard::tokenized_standard!(Edifact, "edifact" {});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn una_variants() {
        let d = Delimiters::from_una(b"UNA=*.? ~").unwrap();
        assert_eq!((d.component, d.element, d.terminator), (b'=', b'*', b'~'));
        assert_eq!(d.release, Some(b'?'));
        assert_eq!(d.repetition, None);
        let d = Delimiters::from_una(b"UNA:+.?*'").unwrap();
        assert_eq!(d.repetition, Some(b'*'));
        let d = Delimiters::from_una(b"UNA:+.\\ '").unwrap();
        assert_eq!(d.release, Some(b'\\'));
        assert!(Delimiters::from_una(b"UNA::.? '").is_err());
        assert!(
            Delimiters::from_una(b"UNA:+.? \n").is_ok(),
            "a line break ends segments"
        );
        for una in [
            &b"UNA\n+.? '"[..],
            b"UNA:\r.? '",
            b"UNA:+.\n '",
            b"UNA:+.?\n'",
        ] {
            let e = Delimiters::from_una(una).unwrap_err();
            assert!(e.contains("line break"), "{e}");
        }
    }

    #[test]
    fn unescape_release() {
        let d = Delimiters::default().separators();
        assert_eq!(&*d.unescape(b"a??b?'c?+"), b"a?b'c+");
        assert!(matches!(
            d.unescape(b"plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
