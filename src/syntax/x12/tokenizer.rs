//! The X12 tokenizer: a resumable state machine over a window of bytes.
//!
//! [`Tokenizer::next`] takes the bytes available now and a position in them; it returns a
//! segment, or asks for more bytes when the next segment's terminator is not in the window yet.
//! The caller then drops what was consumed, appends more bytes and calls again: a 1 GiB file is
//! tokenized through a small buffer. [`Reader`] wraps the same machine for an input held whole.
//!
//! Recovery: when a segment cannot be read (a header that is not `ISA`, garbage after `IEA`, a
//! broken ISA), the tokenizer reports one [`SyntaxError`] and skips to the next `ISA`, so one bad
//! interchange never hides the others in the file.

use super::isa::{IsaError, read_isa};
use super::{Delimiters, SegmentRef};
use crate::syntax::block::find_any;
use crate::syntax::text::for_message;
use crate::syntax::{Span, UTF8_BOM, is_inter_segment_space};
use std::borrow::Cow;

/// What went wrong while tokenizing; the byte offset is absolute in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    /// Absolute byte offset of the problem.
    pub offset: usize,
    /// Bytes skipped to recover (from `offset` to the next `ISA` or the end of input).
    pub skipped: Span,
    /// Index the next segment would have had.
    pub segment_index: usize,
    /// True when no further interchange header was found: everything to the end was skipped.
    pub to_end: bool,
}

/// The kinds of syntax error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// An interchange must start with `ISA`; something else was found.
    #[error("expected an ISA interchange header, found '{found}'")]
    NotIsa { found: String },
    /// The ISA header itself cannot be read.
    #[error("{0}")]
    Isa(IsaError),
    /// Bytes after an interchange's IEA that are not another interchange.
    #[error("unexpected data after the IEA interchange trailer: '{found}'")]
    TrailingGarbage { found: String },
    /// A segment longer than the limit: hostile or corrupt input (a missing terminator).
    #[error(
        "a segment runs past {limit} bytes (limits.max_segment_bytes) without a terminator (is the segment terminator missing or wrong?); reading resumes at the next ISA"
    )]
    SegmentTooLong { limit: usize },
}

/// The longest segment read before the input is taken as corrupt (real segments are at most a
/// few kilobytes; without a limit a file with no terminators would be held whole).
pub const MAX_SEGMENT: usize = 1 << 20;

/// The outcome of one [`Tokenizer::next`] call.
#[derive(Debug)]
pub enum Next<'a> {
    /// A segment (an `ISA` also changes the delimiters for the segments that follow it).
    Segment(SegmentRef<'a>),
    /// The window ends inside a segment: feed more bytes (or pass `eof`).
    NeedMore,
    /// Unreadable bytes were skipped; tokenizing goes on after them.
    Error(SyntaxError),
    /// Nothing left.
    End,
}

/// Resumable tokenizer state.
#[derive(Debug, Clone, Default)]
pub struct Tokenizer {
    delimiters: Option<Delimiters>,
    next_index: usize,
    /// Absolute file offset of `window[0]`.
    base: usize,
    /// After IEA: the next segment must be a new ISA.
    between_interchanges: bool,
    started: bool,
    /// A syntax error is being recovered from: bytes are skipped up to the next `ISA`.
    skipping: Option<Skipping>,
    /// Longest segment accepted; 0 means [`MAX_SEGMENT`].
    max_segment: usize,
}

impl Tokenizer {
    pub fn new() -> Self {
        Tokenizer::default()
    }

    /// A tokenizer that continues inside an interchange whose delimiters are known, at file
    /// offset `base` with segment index `next_index` (used to re-read one transaction set).
    pub fn resume(delimiters: Delimiters, base: usize, next_index: usize) -> Self {
        Tokenizer {
            delimiters: Some(delimiters),
            next_index,
            base,
            between_interchanges: false,
            started: true,
            skipping: None,
            max_segment: 0,
        }
    }

    /// The same tokenizer with another segment length limit.
    pub fn with_max_segment(mut self, limit: usize) -> Self {
        self.max_segment = limit;
        self
    }

    fn limit(&self) -> usize {
        if self.max_segment == 0 {
            MAX_SEGMENT
        } else {
            self.max_segment
        }
    }

    /// More input is needed for the segment at `start`, unless it is already too long.
    fn need_more<'a>(
        &mut self,
        window: &'a [u8],
        pos: &mut usize,
        eof: bool,
        start: usize,
        min_end: usize,
    ) -> Next<'a> {
        // The segment ends at `min_end` at the earliest (a candidate terminator may still be
        // undecided after it).
        if min_end - start > self.limit() {
            let limit = self.limit();
            return self.skip_to_next_isa(window, pos, eof, SkipReason::TooLong(limit));
        }
        Next::NeedMore
    }

    /// The delimiters of the current interchange, once its ISA was read.
    pub fn delimiters(&self) -> Option<Delimiters> {
        self.delimiters
    }

    /// The absolute offset of the window's first byte.
    pub fn base(&self) -> usize {
        self.base
    }

    /// Tells the tokenizer that the caller dropped `n` bytes from the front of its window.
    pub fn consumed(&mut self, n: usize) {
        self.base += n;
    }

    /// Reads the next segment from `window[*pos..]`.
    pub fn next<'a>(&mut self, window: &'a [u8], pos: &mut usize, eof: bool) -> Next<'a> {
        if !self.started {
            if window.len() < UTF8_BOM.len() && !eof {
                return Next::NeedMore;
            }
            if window[*pos..].starts_with(UTF8_BOM) {
                *pos += UTF8_BOM.len();
            }
            self.started = true;
        }
        if self.skipping.is_some() {
            return self.continue_skip(window, pos, eof);
        }
        // Whitespace between segments.
        while *pos < window.len() && is_inter_segment_space(window[*pos]) {
            *pos += 1;
        }
        if *pos >= window.len() {
            return if eof { Next::End } else { Next::NeedMore };
        }
        let rest = &window[*pos..];
        if rest.len() < 4 && !eof {
            return Next::NeedMore;
        }
        let is_isa = rest.starts_with(b"ISA")
            && rest
                .get(3)
                .is_some_and(|b| !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace());
        if is_isa {
            return self.read_header(window, pos, eof);
        }
        match self.delimiters {
            Some(d) if !self.between_interchanges => self.read_segment(window, pos, eof, d),
            _ => {
                let reason = if self.between_interchanges {
                    SkipReason::TrailingGarbage
                } else {
                    SkipReason::NotIsa
                };
                self.skip_to_next_isa(window, pos, eof, reason)
            }
        }
    }

    fn read_header<'a>(&mut self, window: &'a [u8], pos: &mut usize, eof: bool) -> Next<'a> {
        match read_isa(window, *pos, eof) {
            Ok(None) => Next::NeedMore,
            Ok(Some(h)) => {
                let start = *pos;
                let body = &window[start..h.body_end];
                let data = if h.wrapped {
                    Cow::Owned(strip_line_breaks(body))
                } else {
                    Cow::Borrowed(body)
                };
                self.delimiters = Some(h.delimiters);
                self.between_interchanges = false;
                *pos = h.next;
                let seg = SegmentRef::new(
                    self.next_index,
                    Span::new(self.base + start, self.base + h.body_end),
                    h.delimiters,
                    data,
                    false,
                );
                self.next_index += 1;
                Next::Segment(seg)
            }
            Err(e) => {
                let e = e.shifted(self.base);
                let at = e.offset();
                let from = self.base + *pos;
                let mut skip = Skipping {
                    reason: SkipReason::Isa(e),
                    offset: at,
                    from,
                    preview: Vec::new(),
                };
                skip.see(&window[*pos..(*pos + 3).min(window.len())]);
                self.skipping = Some(skip);
                // Search past this "ISA" so the next header is found.
                *pos += 3;
                self.continue_skip(window, pos, eof)
            }
        }
    }

    fn read_segment<'a>(
        &mut self,
        window: &'a [u8],
        pos: &mut usize,
        eof: bool,
        d: Delimiters,
    ) -> Next<'a> {
        let start = *pos;
        let term = d.terminator;
        let first = term.first();
        let line_break_term = term.is_line_break();
        let mut search = start;
        let mut wrapped = false;
        let (end, next) = loop {
            // One scan finds the terminator or a line break, whichever comes first: files
            // with `~\n` pay nothing for the wrapped-line check.
            let sought = if line_break_term {
                [first; 3]
            } else {
                [first, b'\n', b'\r']
            };
            match find_any(window, search, sought) {
                Some(at) => {
                    let b = window[at];
                    if b == first {
                        let tb = term.as_bytes();
                        if window.len() < at + tb.len() {
                            if !eof {
                                return self.need_more(window, pos, eof, start, at);
                            }
                            break (window.len(), window.len());
                        }
                        if &window[at..at + tb.len()] == tb {
                            if tb == b" " {
                                match space_ends_segment(window, at + 1, d, eof) {
                                    None => return self.need_more(window, pos, eof, start, at),
                                    Some(false) => {
                                        search = at + 1;
                                        continue;
                                    }
                                    Some(true) => {}
                                }
                            }
                            break (at, at + tb.len());
                        }
                        search = at + 1;
                    } else {
                        wrapped = true;
                        search = at + 1;
                    }
                }
                None => {
                    if !eof {
                        return self.need_more(window, pos, eof, start, window.len());
                    }
                    break (window.len(), window.len());
                }
            }
        };
        if end - start > self.limit() {
            let limit = self.limit();
            return self.skip_to_next_isa(window, pos, eof, SkipReason::TooLong(limit));
        }
        let unterminated = next == end;
        let body = &window[start..end];
        let (data, body_end) = if wrapped {
            // Trailing line breaks before the terminator are not part of the segment.
            let trimmed_end = body
                .iter()
                .rposition(|&b| !matches!(b, b'\r' | b'\n'))
                .map_or(0, |p| p + 1);
            let stripped = strip_line_breaks(&body[..trimmed_end]);
            (Cow::Owned(stripped), start + trimmed_end)
        } else if unterminated {
            let trimmed_end = body
                .iter()
                .rposition(|&b| !is_inter_segment_space(b))
                .map_or(0, |p| p + 1);
            (Cow::Borrowed(&body[..trimmed_end]), start + trimmed_end)
        } else {
            (Cow::Borrowed(body), end)
        };
        let seg = SegmentRef::new(
            self.next_index,
            Span::new(self.base + start, self.base + body_end),
            d,
            data,
            unterminated,
        );
        self.next_index += 1;
        *pos = next;
        if seg.tag() == b"IEA" {
            self.between_interchanges = true;
        }
        Next::Segment(seg)
    }

    /// Reports `kind` at `*pos` and skips to the next `ISA` that starts a header.
    fn skip_to_next_isa<'a>(
        &mut self,
        window: &'a [u8],
        pos: &mut usize,
        eof: bool,
        reason: SkipReason,
    ) -> Next<'a> {
        self.skipping = Some(Skipping {
            reason,
            offset: self.base + *pos,
            from: self.base + *pos,
            preview: window[*pos..*pos + 1].to_vec(),
        });
        *pos += 1;
        self.continue_skip(window, pos, eof)
    }

    /// Searches for the next header; while none is in the window, the window is consumed so a
    /// long stretch of garbage never has to be held whole.
    fn continue_skip<'a>(&mut self, window: &'a [u8], pos: &mut usize, eof: bool) -> Next<'a> {
        let mut search = (*pos).min(window.len());
        let found = loop {
            match memchr::memmem::find(&window[search..], b"ISA") {
                Some(i) => {
                    let at = search + i;
                    match window.get(at + 3) {
                        None if !eof => break None,
                        Some(b) if !b.is_ascii_alphanumeric() && !b.is_ascii_whitespace() => {
                            break Some(at);
                        }
                        _ => search = at + 1,
                    }
                }
                None => break None,
            }
        };
        let to = match found {
            Some(at) => at,
            None if !eof => {
                // Keep the last bytes: "ISA*" may straddle the window's end.
                let keep_from = window.len().saturating_sub(3).max(*pos);
                if let Some(s) = self.skipping.as_mut() {
                    s.see(&window[*pos..keep_from]);
                }
                *pos = keep_from;
                return Next::NeedMore;
            }
            None => window.len(),
        };
        let mut s = self
            .skipping
            .take()
            .expect("continue_skip runs while skipping");
        s.see(&window[(*pos).min(to)..to]);
        *pos = to;
        self.delimiters = None;
        self.between_interchanges = false;
        let offset = s.offset;
        let from = s.from;
        Next::Error(SyntaxError {
            kind: s.kind(),
            offset,
            skipped: Span::new(from, self.base + to),
            segment_index: self.next_index,
            to_end: found.is_none(),
        })
    }
}

#[derive(Debug, Clone)]
struct Skipping {
    reason: SkipReason,
    offset: usize,
    from: usize,
    /// The first skipped bytes, for the message.
    preview: Vec<u8>,
}

#[derive(Debug, Clone)]
enum SkipReason {
    NotIsa,
    TrailingGarbage,
    Isa(IsaError),
    TooLong(usize),
}

const PREVIEW: usize = 24;

impl Skipping {
    fn see(&mut self, bytes: &[u8]) {
        let room = (PREVIEW + 1).saturating_sub(self.preview.len());
        self.preview
            .extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    fn kind(self) -> SyntaxErrorKind {
        let found = for_message(&self.preview, PREVIEW);
        match self.reason {
            SkipReason::NotIsa => SyntaxErrorKind::NotIsa { found },
            SkipReason::TrailingGarbage => SyntaxErrorKind::TrailingGarbage { found },
            SkipReason::Isa(e) => SyntaxErrorKind::Isa(e),
            SkipReason::TooLong(limit) => SyntaxErrorKind::SegmentTooLong { limit },
        }
    }
}

/// With a space as segment terminator, free text full of spaces would split into false segments.
/// A space ends a segment only when a line break, the end of input, or the next segment's tag
/// (two or three letters or digits and the element separator) follows it. `None`: need more bytes.
/// When the ISA's own terminator was followed by a line break, only a line break counts.
fn space_ends_segment(window: &[u8], mut i: usize, d: Delimiters, eof: bool) -> Option<bool> {
    while i < window.len() && matches!(window[i], b' ' | b'\t') {
        i += 1;
    }
    if i >= window.len() {
        return if eof { Some(true) } else { None };
    }
    if matches!(window[i], b'\r' | b'\n') {
        return Some(true);
    }
    if d.terminator.is_line_ended() {
        return Some(false);
    }
    let element = d.element;
    let tag_len = window[i..]
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    match window.get(i + tag_len) {
        None if !eof => None,
        Some(&b) => Some((2..=3).contains(&tag_len) && b == element),
        None => Some(false),
    }
}

fn strip_line_breaks(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect()
}

/// Tokenizes an input held whole.
#[derive(Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    tok: Tokenizer,
    /// Errors that stopped nothing are reported in order with the segments.
    done: bool,
}

impl<'a> Reader<'a> {
    pub fn new(input: &'a [u8]) -> Self {
        Reader {
            input,
            pos: 0,
            tok: Tokenizer::new(),
            done: false,
        }
    }

    /// Reads a span of an interchange whose delimiters are known (one transaction set).
    pub fn resume(input: &'a [u8], delimiters: Delimiters, base: usize, index: usize) -> Self {
        Reader {
            input,
            pos: 0,
            tok: Tokenizer::resume(delimiters, base, index),
            done: false,
        }
    }

    /// The same reader with another segment length limit (0: [`MAX_SEGMENT`]).
    pub fn with_max_segment(mut self, limit: usize) -> Self {
        self.tok = self.tok.with_max_segment(limit);
        self
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<SegmentRef<'a>, SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let input = self.input;
        match self.tok.next(input, &mut self.pos, true) {
            Next::Segment(s) => Some(Ok(s)),
            Next::Error(e) => Some(Err(e)),
            Next::End | Next::NeedMore => {
                self.done = true;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(input: &[u8]) -> Vec<String> {
        Reader::new(input)
            .map(|r| match r {
                Ok(s) => s.tag_str().into_owned(),
                Err(e) => format!("ERR@{}:{}", e.offset, e.kind),
            })
            .collect()
    }

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>";

    #[test]
    fn crlf_bom_and_indentation() {
        let f = format!("\u{feff}{ISA}~\r\n  GS*PO*A*B~\r\n\tST*850*1~\r\nIEA*1*000000001~\r\n");
        assert_eq!(tags(f.as_bytes()), ["ISA", "GS", "ST", "IEA"]);
    }

    #[test]
    fn wrapped_lines_are_joined_and_spans_kept() {
        let f = format!("{ISA}~GS*PO*A\n*B~ST*8\n50*1~");
        let segs: Vec<_> = Reader::new(f.as_bytes()).map(Result::unwrap).collect();
        assert_eq!(segs[2].data(), b"ST*850*1");
        assert_eq!(segs[1].data(), b"GS*PO*A*B");
        assert_eq!(segs[1].span.start, 106);
    }

    #[test]
    fn newline_terminator() {
        let f = format!("{ISA}\nGS*PO*A*B\nST*850*1\n");
        assert_eq!(tags(f.as_bytes()), ["ISA", "GS", "ST"]);
    }

    #[test]
    fn garbage_after_iea_then_next_interchange() {
        let f = format!("{ISA}~IEA*0*000000001~xx1r\n{ISA}~IEA*0*000000001~");
        let t = tags(f.as_bytes());
        assert_eq!(t[0], "ISA");
        assert_eq!(t[1], "IEA");
        assert!(
            t[2].starts_with("ERR@122:unexpected data after the IEA"),
            "{t:?}"
        );
        assert_eq!(t[3..], ["ISA", "IEA"]);
    }

    #[test]
    fn not_isa_skips_to_next_isa() {
        let f = format!("FSA*00~GS*X~\n{ISA}~IEA*0*1~");
        let t = tags(f.as_bytes());
        assert!(t[0].starts_with("ERR@0:expected an ISA"), "{t:?}");
        assert_eq!(t[1..], ["ISA", "IEA"]);
    }

    #[test]
    fn last_segment_without_terminator() {
        let f = format!("{ISA}~IEA*0*000000001\r\n");
        let segs: Vec<_> = Reader::new(f.as_bytes()).map(Result::unwrap).collect();
        assert!(segs[1].unterminated);
        assert_eq!(segs[1].data(), b"IEA*0*000000001");
    }

    #[test]
    fn space_terminator_keeps_text_with_spaces() {
        let isa = ISA;
        let f =
            format!("{isa} N1*BY*SOLD TO Org Name*ZZ*0381 N2*Partner Name SE*3*1 IEA*1*000000001");
        let segs: Vec<_> = Reader::new(f.as_bytes()).map(Result::unwrap).collect();
        let data: Vec<&[u8]> = segs.iter().map(|s| s.data()).collect();
        assert_eq!(data[1], b"N1*BY*SOLD TO Org Name*ZZ*0381");
        assert_eq!(data[2], b"N2*Partner Name");
        assert_eq!(data[3], b"SE*3*1");
        assert_eq!(data[4], b"IEA*1*000000001");
        // Line-ended: "John Doe*TE" is not a segment start.
        let f = format!("{isa} \r\nPER*IC*John Doe*TE*1 \r\nSE*3*1 \r\n");
        let segs: Vec<_> = Reader::new(f.as_bytes()).map(Result::unwrap).collect();
        assert_eq!(segs[1].data(), b"PER*IC*John Doe*TE*1");
    }

    #[test]
    fn a_segment_without_terminator_is_cut_at_the_limit() {
        let long = "N".repeat(300);
        let f = format!("{ISA}~GS*PO*A*B~MSG*{long}~IEA*0*000000001~{ISA}~IEA*0*000000001~");
        let mut tok = Tokenizer::new().with_max_segment(100);
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            match tok.next(f.as_bytes(), &mut pos, true) {
                Next::Segment(s) => out.push(s.tag_str().into_owned()),
                Next::Error(e) => out.push(format!("ERR {}", e.kind)),
                Next::End | Next::NeedMore => break,
            }
        }
        assert_eq!(out[..2], ["ISA", "GS"]);
        assert_eq!(
            out[2],
            "ERR a segment runs past 100 bytes (limits.max_segment_bytes) without a terminator (is the segment terminator missing or wrong?); reading resumes at the next ISA"
        );
        assert_eq!(out[3..], ["ISA", "IEA"]);
    }

    /// Feeding the tokenizer in windows of every size gives the same segments as reading whole.
    #[test]
    fn chunked_equals_whole() {
        let f = format!(
            "\u{feff}{ISA}~\r\nGS*PO*A\n*B~ST*850*1~BEG*00*SA*1**20240101~SE*3*1~GE*1*1~IEA*1*000000001~junk{ISA}…"
        );
        let whole: Vec<_> = Reader::new(f.as_bytes())
            .map(|r| r.map(SegmentRef::into_owned))
            .collect();
        for chunk in 1..40 {
            assert_eq!(chunked(f.as_bytes(), chunk), whole, "chunk size {chunk}");
        }
    }

    fn chunked(input: &[u8], chunk: usize) -> Vec<Result<SegmentRef<'static>, SyntaxError>> {
        let mut out = Vec::new();
        let mut tok = Tokenizer::new();
        let mut window: Vec<u8> = Vec::new();
        let mut fed = 0;
        let mut pos = 0;
        loop {
            let eof = fed == input.len();
            match tok.next(&window, &mut pos, eof) {
                Next::Segment(s) => out.push(Ok(s.into_owned())),
                Next::Error(e) => out.push(Err(e)),
                Next::End => break,
                Next::NeedMore => {
                    window.drain(..pos);
                    tok.consumed(pos);
                    pos = 0;
                    let n = chunk.min(input.len() - fed);
                    window.extend_from_slice(&input[fed..fed + n]);
                    fed += n;
                }
            }
        }
        out
    }
}
