//! X12 syntax: delimiters from the ISA, segments with spans, and a writer.
//!
//! Phase: bytes → segments. The ISA header names the delimiters of its interchange: the element
//! separator is the byte after `ISA`, the component separator is ISA16, the segment terminator is
//! what follows ISA16, and ISA11 is the repetition separator when it is a punctuation character
//! (from version 00402 on it must be). Nothing is assumed from literals, every interchange of a
//! file brings its own delimiters, and the ISA is read by counting separators, not by fixed
//! offsets, because real partners send ISAs whose fields are not padded to their fixed widths.
//!
//! ```
//! use tallyman::syntax::x12::Reader;
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~\nGS*PO*S*R*20240101*1200*1*X*004010~\n";
//! let tags: Vec<String> = Reader::new(edi)
//!     .map(|s| String::from_utf8(s.unwrap().tag().to_vec()).unwrap())
//!     .collect();
//! assert_eq!(tags, ["ISA", "GS"]);
//! ```

mod isa;
mod segment;
mod tokenizer;
mod writer;

pub use segment::SegmentRef;
pub use tokenizer::{MAX_SEGMENT, Next, Reader, SyntaxError, Tokenizer};
pub use writer::{Element, Segment, WriteError, write_segment};

use serde::Serialize;

/// A segment terminator: one byte, or a multi-byte UTF-8 character (some partners end segments
/// with `…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Terminator {
    bytes: [u8; 4],
    len: u8,
    /// A space terminator that is always followed by a line break in this interchange: then a
    /// space ends a segment only before a line break, and free text keeps its spaces.
    line_ended: bool,
}

impl Terminator {
    /// A terminator of one to four bytes.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() || bytes.len() > 4 {
            return None;
        }
        let mut b = [0u8; 4];
        b[..bytes.len()].copy_from_slice(bytes);
        Some(Terminator {
            bytes: b,
            len: bytes.len() as u8,
            line_ended: false,
        })
    }

    pub fn byte(b: u8) -> Self {
        Terminator {
            bytes: [b, 0, 0, 0],
            len: 1,
            line_ended: false,
        }
    }

    /// Marks a space terminator as followed by line breaks (see the field's note).
    pub fn with_line_end(mut self, line_ended: bool) -> Self {
        self.line_ended = line_ended && self.as_bytes() == b" ";
        self
    }

    pub fn is_line_ended(&self) -> bool {
        self.line_ended
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    pub fn first(&self) -> u8 {
        self.bytes[0]
    }

    /// True for CR or LF: such files cannot be wrapped, and line breaks end segments.
    pub fn is_line_break(&self) -> bool {
        self.len == 1 && matches!(self.bytes[0], b'\r' | b'\n')
    }
}

impl Serialize for Terminator {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::syntax::text::for_message(self.as_bytes(), 8))
    }
}

/// The delimiters of one interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Delimiters {
    #[serde(serialize_with = "ser_byte")]
    pub element: u8,
    #[serde(serialize_with = "ser_byte")]
    pub component: u8,
    #[serde(serialize_with = "ser_opt_byte")]
    pub repetition: Option<u8>,
    pub terminator: Terminator,
}

fn ser_byte<S: serde::Serializer>(b: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::syntax::text::for_message(&[*b], 4))
}

fn ser_opt_byte<S: serde::Serializer>(b: &Option<u8>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => ser_byte(b, s),
        None => s.serialize_none(),
    }
}

impl Default for Delimiters {
    /// The delimiters most partners use: `*`, `>`, `^`, `~`.
    fn default() -> Self {
        Delimiters {
            element: b'*',
            component: b'>',
            repetition: Some(b'^'),
            terminator: Terminator::byte(b'~'),
        }
    }
}

impl Delimiters {
    /// True when `b` is one of the delimiters (so it cannot appear in a value).
    pub fn is_delimiter(&self, b: u8) -> bool {
        b == self.element
            || b == self.component
            || Some(b) == self.repetition
            || self.terminator.as_bytes().contains(&b)
    }
}

/// ASC X12, for the code written once for both standards (see [`crate::syntax::Standard`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct X12;

crate::syntax::standard::tokenized_standard!(X12, "x12" {
    fn needs_transcoding(head: &[u8]) -> bool {
        crate::syntax::ebcdic::looks_like_ebcdic_isa(head)
    }

    fn transcode(bytes: &mut [u8]) {
        crate::syntax::ebcdic::transcode_in_place(bytes);
    }
});
