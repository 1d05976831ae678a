//! What the layers above the tokenizers need from a standard's syntax, behind one trait.
//!
//! Phase: bytes → segments, seen from above. The envelope scanner and the translate driver are
//! written once, generic over [`Standard`]; [`crate::syntax::x12::X12`] and
//! [`crate::syntax::edifact::Edifact`] say how their segments are tokenized, read again from a
//! transaction set's bytes and (for X12 in EBCDIC) transcoded.
//!
//! ```
//! use tallyman::syntax::{SegmentView, Standard, Token, x12::X12};
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~GS*PO*S*R*20240101*1200*1*X*004010~";
//! let mut tok = X12::tokenizer(0);
//! let mut pos = 0;
//! let mut tags = Vec::new();
//! while let Token::Segment(s) = X12::next(&mut tok, edi, &mut pos, true) {
//!     tags.push(s.tag_str().into_owned());
//! }
//! assert_eq!(tags, ["ISA", "GS"]);
//! ```

use super::{FieldTable, Separators, Span};
use std::borrow::Cow;

/// A segment as read, whatever its standard: where it is and what its tag and values are.
pub trait SegmentView {
    /// 0-based position of the segment in the file.
    fn index(&self) -> usize;
    /// Byte span in the file, without the terminator.
    fn span(&self) -> Span;
    /// True when the input ended before the segment's terminator.
    fn unterminated(&self) -> bool;
    /// The segment tag (`ISA`, `UNH`, `BEG`...).
    fn tag(&self) -> &[u8];
    /// How the segment's values split further and unescape.
    fn separators(&self) -> Separators;
    /// The element values after the tag, raw (EDIFACT's release characters still in).
    fn values(&self) -> impl Iterator<Item = &[u8]>;

    /// The tag as text, for messages.
    fn tag_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.tag())
    }
    /// The segment as one row of a field table (for the grammar validator and the mappings).
    fn push_to<'s>(&'s self, table: &mut FieldTable<'s>) {
        table.push(
            self.tag(),
            self.span(),
            self.index(),
            self.separators(),
            self.values(),
        );
    }
    /// The element values as a person reads them (release characters removed).
    fn shown_elements(&self) -> Vec<Cow<'_, [u8]>> {
        let separators = self.separators();
        self.values().map(|v| separators.unescape(v)).collect()
    }
}

/// Where the segments of one transaction set lie in its bytes, as the envelope scan read them:
/// translation makes the segments again from these spans instead of tokenizing the set's bytes
/// a second time. 8 bytes a segment.
#[derive(Debug, Clone)]
pub struct Marks {
    /// Each segment's start and end (without its terminator), from the set's first byte.
    spans: Vec<(u32, u32)>,
    /// False once a segment could not be marked (an X12 segment read without the line breaks
    /// inside it, an offset past 4 GiB) or the tokenizer skipped bytes while the set was open:
    /// the set's bytes are then tokenized again.
    intact: bool,
}

impl Default for Marks {
    fn default() -> Self {
        Marks {
            spans: Vec::new(),
            intact: true,
        }
    }
}

impl Marks {
    /// Marks a segment of the set that starts at file offset `set_start`; `remakeable` says
    /// whether [`Standard::remakeable`] holds for it. A set that runs past `limit` bytes is
    /// not marked (it is not translated, or is read again).
    pub fn push(&mut self, set_start: usize, span: Span, remakeable: bool, limit: usize) {
        if !self.intact {
            return;
        }
        let rel = |at: usize| {
            at.checked_sub(set_start)
                .filter(|&r| r <= limit)
                .and_then(|r| u32::try_from(r).ok())
        };
        match (remakeable, rel(span.start), rel(span.end)) {
            (true, Some(a), Some(b)) => {
                // Room for a usual set's segments at once rather than by doubling from four.
                if self.spans.capacity() == 0 {
                    self.spans.reserve(64);
                }
                self.spans.push((a, b));
            }
            _ => self.broken(),
        }
    }

    /// Marks read back as [`Marks::spans`] gave them (`None`: not intact).
    pub fn from_spans(spans: Option<Vec<(u32, u32)>>) -> Self {
        match spans {
            Some(spans) => Marks {
                spans,
                intact: true,
            },
            None => Marks {
                spans: Vec::new(),
                intact: false,
            },
        }
    }

    /// Every span marked, when the marks are intact (to be written out and read back).
    pub fn spans(&self) -> Option<&[(u32, u32)]> {
        self.intact.then_some(&self.spans[..])
    }

    /// Bytes of memory the marks take: their room, not only the spans in it (room for 64 is
    /// made at once, so a held tiny set counts its unused room against the budget too).
    pub fn cost(&self) -> usize {
        self.spans.capacity() * std::mem::size_of::<(u32, u32)>()
    }

    /// Something was read inside the set that the marks cannot stand for.
    pub fn broken(&mut self) {
        self.intact = false;
        self.spans = Vec::new();
    }

    /// The spans of the segments of a set `len` bytes long, relative to its first byte, when
    /// they cover it from its first byte to its last (a set closed without its trailer spans
    /// its header alone, and gets that); `None` when the set must be tokenized again.
    pub fn within(&self, len: usize) -> Option<&[(u32, u32)]> {
        if !self.intact {
            return None;
        }
        let n = self.spans.partition_point(|&(_, end)| end as usize <= len);
        let spans = &self.spans[..n];
        let first = spans.first()?;
        let last = spans.last()?;
        (first.0 == 0 && last.1 as usize == len).then_some(spans)
    }
}

/// One step of a resumable tokenizer.
#[derive(Debug)]
pub enum Token<'a, S: Standard> {
    /// The next segment.
    Segment(S::Segment<'a>),
    /// The window ends inside a segment: feed more bytes (or pass `eof`).
    NeedMore,
    /// Unreadable bytes were skipped; tokenizing goes on after them.
    Error(S::SyntaxError),
    /// Nothing left.
    End,
}

/// A standard's syntax: its delimiters, segments, syntax errors and tokenizer.
pub trait Standard:
    Sized + std::fmt::Debug + Clone + Copy + Default + Send + Sync + 'static
{
    /// The name recorded in a document's `source.standard` (`x12`, `edifact`).
    const NAME: &'static str;
    /// The delimiters of one interchange.
    type Delimiters: Copy + std::fmt::Debug + serde::Serialize + Send + Sync;
    /// A segment borrowed from the read window.
    type Segment<'a>: SegmentView + std::fmt::Debug;
    /// A stretch of unreadable bytes the tokenizer skipped.
    type SyntaxError: std::fmt::Debug;
    /// The resumable tokenizer.
    type Tokenizer;

    /// A tokenizer at the start of a file, with a segment length limit (0: the default).
    fn tokenizer(max_segment: usize) -> Self::Tokenizer;
    /// Reads the next item from `window[*pos..]`; `eof` says no more bytes will come.
    fn next<'a>(
        tok: &mut Self::Tokenizer,
        window: &'a [u8],
        pos: &mut usize,
        eof: bool,
    ) -> Token<'a, Self>;
    /// The caller dropped `n` bytes from the front of the window.
    fn consumed(tok: &mut Self::Tokenizer, n: usize);
    /// The delimiters in force for a segment.
    fn delimiters(s: &Self::Segment<'_>) -> Self::Delimiters;
    /// The readable segments of `bytes`, a stretch of an interchange with known delimiters
    /// that starts at file offset `base` with segment index `index` (one transaction set).
    fn resume(
        bytes: &[u8],
        delimiters: Self::Delimiters,
        base: usize,
        index: usize,
        max_segment: usize,
    ) -> impl Iterator<Item = Self::Segment<'_>>;
    /// The readable segments of a whole input.
    fn segments(input: &[u8]) -> impl Iterator<Item = Self::Segment<'_>>;
    /// True when the segment's value is the bytes it spans, so that [`Standard::remake`] can
    /// make it again from them (not so for an X12 segment with line breaks inside).
    fn remakeable(s: &Self::Segment<'_>) -> bool;
    /// The segment with index `index` that spans `span` of `bytes` (relative to `bytes`, which
    /// start at file offset `base`), as the tokenizer read it ([`Marks`]).
    fn remake(
        bytes: &[u8],
        delimiters: Self::Delimiters,
        base: usize,
        index: usize,
        span: (u32, u32),
    ) -> Self::Segment<'_>;
    /// The segments of a set, made from the spans its [`Marks`] give ([`Marks::within`]): the
    /// set's `bytes` start at file offset `base`, its header has index `first_index`.
    fn remade<'b>(
        bytes: &'b [u8],
        delimiters: Self::Delimiters,
        base: usize,
        first_index: usize,
        spans: &[(u32, u32)],
    ) -> impl Iterator<Item = Self::Segment<'b>> {
        spans
            .iter()
            .enumerate()
            .map(move |(i, &span)| Self::remake(bytes, delimiters, base, first_index + i, span))
    }
    /// True when an input that starts with `head` must be transcoded before it is read (an X12
    /// file in EBCDIC).
    fn needs_transcoding(_head: &[u8]) -> bool {
        false
    }
    /// Transcodes bytes in place (one byte stays one byte, so spans hold).
    fn transcode(_bytes: &mut [u8]) {}
}

/// Implements [`Standard`] for `$standard` and [`SegmentView`] for `SegmentRef`, in the syntax
/// module it is invoked in: the `Tokenizer`, `Reader`, `Next`, `SegmentRef`, `Delimiters` and
/// `SyntaxError` of both standards have the same API. The items in braces (X12's transcoding)
/// are added to the `Standard` impl.
macro_rules! tokenized_standard {
    ($standard:ident, $name:literal { $($items:tt)* }) => {
        impl $crate::syntax::Standard for $standard {
            const NAME: &'static str = $name;
            type Delimiters = Delimiters;
            type Segment<'a> = SegmentRef<'a>;
            type SyntaxError = SyntaxError;
            type Tokenizer = Tokenizer;

            fn tokenizer(max_segment: usize) -> Tokenizer {
                Tokenizer::new().with_max_segment(max_segment)
            }

            fn next<'a>(
                tok: &mut Tokenizer,
                window: &'a [u8],
                pos: &mut usize,
                eof: bool,
            ) -> $crate::syntax::Token<'a, $standard> {
                use $crate::syntax::Token;
                match tok.next(window, pos, eof) {
                    Next::Segment(s) => Token::Segment(s),
                    Next::Error(e) => Token::Error(e),
                    Next::NeedMore => Token::NeedMore,
                    Next::End => Token::End,
                }
            }

            fn consumed(tok: &mut Tokenizer, n: usize) {
                tok.consumed(n);
            }

            fn delimiters(s: &SegmentRef<'_>) -> Delimiters {
                s.delimiters
            }

            fn resume(
                bytes: &[u8],
                delimiters: Delimiters,
                base: usize,
                index: usize,
                max_segment: usize,
            ) -> impl Iterator<Item = SegmentRef<'_>> {
                Reader::resume(bytes, delimiters, base, index)
                    .with_max_segment(max_segment)
                    .filter_map(Result::ok)
            }

            fn segments(input: &[u8]) -> impl Iterator<Item = SegmentRef<'_>> {
                Reader::new(input).filter_map(Result::ok)
            }

            fn remakeable(s: &SegmentRef<'_>) -> bool {
                s.borrowed()
            }

            fn remake(
                bytes: &[u8],
                delimiters: Delimiters,
                base: usize,
                index: usize,
                (start, end): (u32, u32),
            ) -> SegmentRef<'_> {
                let (start, end) = (start as usize, end as usize);
                SegmentRef::new(
                    index,
                    $crate::syntax::Span::new(base + start, base + end),
                    delimiters,
                    std::borrow::Cow::Borrowed(&bytes[start..end]),
                    false,
                )
            }

            $($items)*
        }

        impl $crate::syntax::SegmentView for SegmentRef<'_> {
            fn index(&self) -> usize {
                self.index
            }

            fn span(&self) -> $crate::syntax::Span {
                self.span
            }

            fn unterminated(&self) -> bool {
                self.unterminated
            }

            fn tag(&self) -> &[u8] {
                SegmentRef::tag(self)
            }

            fn separators(&self) -> $crate::syntax::Separators {
                SegmentRef::separators(self)
            }

            fn values(&self) -> impl Iterator<Item = &[u8]> {
                self.elements()
            }

            fn push_to<'s>(&'s self, table: &mut $crate::syntax::FieldTable<'s>) {
                let (span, index, separators) = (self.span, self.index, self.separators());
                match self.plain_split() {
                    Some((sep, tag_component)) => {
                        table.push_split(self.data(), sep, span, index, separators, tag_component)
                    }
                    None => table.push(self.tag(), span, index, separators, self.elements()),
                }
            }
        }
    };
}

pub(crate) use tokenized_standard;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A field table's row, split in one scan, holds what a segment's `tag` and `values` read,
    /// for segments of bytes drawn from `alphabet` (separators and others).
    pub(crate) fn row_is_tag_and_elements<S: Standard>(delimiters: S::Delimiters, alphabet: &[u8]) {
        use proptest::prelude::*;
        let alphabet = prop::sample::select(alphabet.to_vec());
        proptest!(|(data in prop::collection::vec(alphabet, 0..30))| {
            let len = u32::try_from(data.len()).unwrap();
            let s = S::remake(&data, delimiters, 7, 3, (0, len));
            let mut table = FieldTable::default();
            s.push_to(&mut table);
            let row = table.fields()[0];
            prop_assert_eq!(row.tag, s.tag());
            prop_assert_eq!(row.values(), s.values().collect::<Vec<_>>());
            prop_assert_eq!((row.index, row.span), (3, s.span()));
            // A row whose values hold a release character reads them unescaped, never as
            // the text they stand as; one without keeps no release character to look for.
            let release = s.separators().release.filter(|r| data.contains(r));
            prop_assert_eq!(row.separators.release, release);
            if release.is_some() {
                prop_assert!(row.text().is_none());
            }
        });
    }
}
