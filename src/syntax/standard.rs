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
                SegmentRef::push_to(self, table)
            }
        }
    };
}

pub(crate) use tokenized_standard;
