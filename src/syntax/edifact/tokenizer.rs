//! The EDIFACT tokenizer: a resumable state machine over a window of bytes, like the X12 one.
//!
//! A UNA sets the separators of the interchange that follows it; after a UNZ they fall back to
//! the defaults unless another UNA comes. A syntax version 4 interchange without UNA gets the
//! default repetition separator `*`. Line breaks inside a segment (files wrapped at a fixed
//! width) are removed; whitespace between segments is skipped.

use super::{Delimiters, SegmentRef};
use crate::syntax::block::find_any;
use crate::syntax::text::for_message;
use crate::syntax::{Span, UTF8_BOM, is_inter_segment_space};
use std::borrow::Cow;

/// A stretch of input that cannot be read as segments.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub offset: usize,
    pub skipped: Span,
    pub segment_index: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// `UNA` followed by six characters that are not a valid set of separators.
    #[error(
        "the UNA service string advice '{found}' {why}; what follows it is read with the default separators :+.? ' instead. Ask the partner for a UNA whose separators all differ, with a line break at most as the segment terminator"
    )]
    BadUna { found: String, why: &'static str },
    /// A segment longer than the limit: hostile or corrupt input (a missing terminator).
    #[error(
        "a segment runs past {limit} bytes (limits.max_segment_bytes) without a terminator (is the segment terminator missing or wrong?); it was skipped up to the next terminator"
    )]
    SegmentTooLong { limit: usize },
}

/// The outcome of one [`Tokenizer::next`] call.
#[derive(Debug)]
pub enum Next<'a> {
    Segment(SegmentRef<'a>),
    NeedMore,
    Error(SyntaxError),
    End,
}

#[derive(Debug, Clone, Default)]
pub struct Tokenizer {
    delimiters: Delimiters,
    /// A UNA set the separators of the current (or next) interchange.
    una: bool,
    /// After UNZ: the next interchange starts from the defaults unless a UNA comes.
    after_unz: bool,
    next_index: usize,
    base: usize,
    started: bool,
    /// Longest segment accepted; 0 means [`crate::syntax::x12::MAX_SEGMENT`].
    max_segment: usize,
    /// Start (absolute) of an over-long segment being skipped up to its terminator.
    skipping_from: Option<usize>,
}

impl Tokenizer {
    pub fn new() -> Self {
        Tokenizer::default()
    }

    /// Continues inside an interchange whose separators are known.
    pub fn resume(delimiters: Delimiters, base: usize, next_index: usize) -> Self {
        Tokenizer {
            delimiters,
            una: true,
            after_unz: false,
            next_index,
            base,
            started: true,
            max_segment: 0,
            skipping_from: None,
        }
    }

    /// The same tokenizer with another segment length limit.
    pub fn with_max_segment(mut self, limit: usize) -> Self {
        self.max_segment = limit;
        self
    }

    fn limit(&self) -> usize {
        if self.max_segment == 0 {
            crate::syntax::x12::MAX_SEGMENT
        } else {
            self.max_segment
        }
    }

    /// Skips an over-long segment up to its terminator, then reports it once.
    fn skip_long<'a>(&mut self, window: &'a [u8], pos: &mut usize, eof: bool) -> Next<'a> {
        let d = self.delimiters;
        match find_end(window, *pos, &d, eof) {
            Ok((_, next, _)) => {
                let from = self.skipping_from.take().expect("skipping");
                *pos = next;
                let e = SyntaxError {
                    kind: SyntaxErrorKind::SegmentTooLong {
                        limit: self.limit(),
                    },
                    offset: from,
                    skipped: Span::new(from, self.base + next),
                    segment_index: self.next_index,
                };
                self.next_index += 1;
                Next::Error(e)
            }
            Err(resume) => {
                *pos = resume.max(*pos);
                Next::NeedMore
            }
        }
    }

    pub fn consumed(&mut self, n: usize) {
        self.base += n;
    }

    pub fn delimiters(&self) -> Delimiters {
        self.delimiters
    }

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
        // Skipping an over-long segment comes first: its terminator may be a space.
        if self.skipping_from.is_some() {
            return self.skip_long(window, pos, eof);
        }
        while *pos < window.len() && is_inter_segment_space(window[*pos]) {
            *pos += 1;
        }
        if *pos >= window.len() {
            return if eof { Next::End } else { Next::NeedMore };
        }
        let rest = &window[*pos..];
        if rest.len() < 9 && !eof {
            return Next::NeedMore;
        }
        if rest.starts_with(b"UNA") {
            return self.read_una(window, pos);
        }
        if self.after_unz && (rest.starts_with(b"UNB") || rest.starts_with(b"UNH")) {
            self.delimiters = Delimiters::default();
            self.una = false;
            self.after_unz = false;
        }
        let d = self.delimiters;
        let start = *pos;
        let Ok((end, next, wrapped)) = find_end(window, start, &d, eof) else {
            if window.len() - start > self.limit() {
                self.skipping_from = Some(self.base + start);
                return self.skip_long(window, pos, eof);
            }
            return Next::NeedMore;
        };
        if end - start > self.limit() {
            self.skipping_from = Some(self.base + start);
            return self.skip_long(window, pos, eof);
        }
        let unterminated = end == next;
        let body = &window[start..end];
        let data = if wrapped {
            Cow::Owned(
                body.iter()
                    .copied()
                    .filter(|b| !matches!(b, b'\r' | b'\n'))
                    .collect(),
            )
        } else if unterminated {
            let trimmed = body
                .iter()
                .rposition(|&b| !is_inter_segment_space(b))
                .map_or(0, |p| p + 1);
            Cow::Borrowed(&body[..trimmed])
        } else {
            Cow::Borrowed(body)
        };
        let span_end = if unterminated {
            start + data.len()
        } else {
            end
        };
        let seg = SegmentRef::new(
            self.next_index,
            Span::new(self.base + start, self.base + span_end),
            d,
            data,
            unterminated,
        );
        self.next_index += 1;
        *pos = next;
        // Service segments are recognized by their first bytes; the full tag is not needed.
        let head = &seg.data()[..seg.data().len().min(4)];
        let service =
            |tag: &[u8]| head.starts_with(tag) && head.get(3).is_none_or(|&b| b == d.element);
        match () {
            _ if service(b"UNB") && !self.una => {
                // Syntax version 4 without UNA: the repetition separator defaults to '*'.
                let version = seg
                    .element(1)
                    .and_then(|s001| seg.components(s001).nth(1))
                    .unwrap_or(b"");
                if version == b"4" {
                    self.delimiters.repetition = Some(b'*');
                }
            }
            _ if service(b"UNZ") => self.after_unz = true,
            _ => {}
        }
        Next::Segment(seg)
    }

    fn read_una<'a>(&mut self, window: &'a [u8], pos: &mut usize) -> Next<'a> {
        let start = *pos;
        let una = &window[start..(start + 9).min(window.len())];
        match Delimiters::from_una(una) {
            Ok(d) => {
                self.delimiters = d;
                self.una = true;
                self.after_unz = false;
                let seg = SegmentRef::new(
                    self.next_index,
                    Span::new(self.base + start, self.base + start + 9),
                    d,
                    Cow::Borrowed(una),
                    false,
                );
                self.next_index += 1;
                *pos = start + 9;
                Next::Segment(seg)
            }
            Err(why) => {
                // What follows is read with the defaults, as the finding says, whatever an
                // earlier UNA had set.
                self.delimiters = Delimiters::default();
                self.una = false;
                self.after_unz = false;
                *pos = start + una.len();
                let e = SyntaxError {
                    kind: SyntaxErrorKind::BadUna {
                        found: for_message(una, 12),
                        why,
                    },
                    offset: self.base + start,
                    skipped: Span::new(self.base + start, self.base + start + una.len()),
                    segment_index: self.next_index,
                };
                self.next_index += 1;
                Next::Error(e)
            }
        }
    }
}

/// Finds the end of the segment starting at `start`: `(body end, next position, wrapped)`, or,
/// when the window ends first and more input may come, where a later scan can safely resume
/// (never between a release character and the character it escapes).
fn find_end(
    window: &[u8],
    start: usize,
    d: &Delimiters,
    eof: bool,
) -> Result<(usize, usize, bool), usize> {
    let term = d.terminator;
    let line_term = matches!(term, b'\r' | b'\n');
    let mut i = start;
    let mut wrapped = false;
    loop {
        let sought = match (d.release, line_term) {
            (Some(r), false) => [term, r, b'\n'],
            (Some(r), true) => [term, r, r],
            (None, false) => [term, b'\n', b'\n'],
            (None, true) => [term; 3],
        };
        let Some(at) = find_any(window, i, sought) else {
            return if eof {
                Ok((window.len(), window.len(), wrapped))
            } else {
                Err(window.len())
            };
        };
        let b = window[at];
        if b == term {
            return Ok((at, at + 1, wrapped));
        }
        if Some(b) == d.release {
            if at + 1 >= window.len() {
                // The release character's partner is not here yet: resume at the release.
                return if eof {
                    Ok((window.len(), window.len(), wrapped))
                } else {
                    Err(at)
                };
            }
            i = at + 2;
        } else {
            wrapped = true;
            i = at + 1;
        }
    }
}

/// Tokenizes an input held whole.
#[derive(Debug)]
pub struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    tok: Tokenizer,
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

    /// Reads a span of an interchange whose separators are known (one message).
    pub fn resume(input: &'a [u8], delimiters: Delimiters, base: usize, index: usize) -> Self {
        Reader {
            input,
            pos: 0,
            tok: Tokenizer::resume(delimiters, base, index),
            done: false,
        }
    }

    /// The same reader with another segment length limit (0: the default).
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
                Err(e) => format!("ERR@{}", e.offset),
            })
            .collect()
    }

    #[test]
    fn una_then_segments_with_escaped_terminator() {
        let f = b"UNA:+.? 'UNB+UNOC:3+S+R+240101:1200+1'NAD+BY+++Koenig ?'s D?''UNZ+0+1'";
        let segs: Vec<_> = Reader::new(f).map(Result::unwrap).collect();
        assert_eq!(tags(f), ["UNA", "UNB", "NAD", "UNZ"]);
        assert_eq!(segs[2].data(), b"NAD+BY+++Koenig ?'s D?'");
        let v = segs[2].element(4).unwrap();
        assert_eq!(&*segs[2].unescape(v), b"Koenig 's D'");
    }

    #[test]
    fn custom_separators_and_wrapping() {
        let f = b"UNA=*.? ~\nUNB*UNOA=3*S*R*060515=1434*77~\nUNH*1*INV\nOIC=D=97B=UN~";
        let segs: Vec<_> = Reader::new(f).map(Result::unwrap).collect();
        assert_eq!(segs[2].data(), b"UNH*1*INVOIC=D=97B=UN");
        let comps: Vec<&[u8]> = segs[2].components(segs[2].element(2).unwrap()).collect();
        assert_eq!(comps, [&b"INVOIC"[..], b"D", b"97B", b"UN"]);
    }

    #[test]
    fn syntax_4_without_una_repeats_with_star() {
        let f = b"UNB+UNOA:4+S+R+240101:1200+1'COM+1:2*3:4'";
        let segs: Vec<_> = Reader::new(f).map(Result::unwrap).collect();
        let v = segs[1].element(1).unwrap();
        assert_eq!(segs[1].repetitions(v).count(), 2);
    }

    #[test]
    fn defaults_return_after_unz() {
        let f = b"UNA:|.? 'UNB|UNOC:3|S|R|1|1'UNZ|0|1'UNB+UNOC:3+S+R+1+2'UNZ+0+2'";
        assert_eq!(tags(f), ["UNA", "UNB", "UNZ", "UNB", "UNZ"]);
    }

    #[test]
    fn after_a_refused_una_the_defaults_are_read_whatever_came_before() {
        // Straight after a good UNA, and mid-interchange.
        let cases: [(&[u8], [&str; 4]); 2] = [
            (
                b"UNA=*.? ~UNA\n+.? 'UNB+UNOC:3+S+R+1+1'UNZ+0+1'",
                ["UNA", "ERR@9", "UNB", "UNZ"],
            ),
            (
                b"UNA=*.? ~UNB*UNOC=3*S*R*1*1~UNA::.? 'UNH+1+ORDERS:D:96A:UN'",
                ["UNA", "UNB", "ERR@28", "UNH"],
            ),
        ];
        for (f, want) in cases {
            assert_eq!(tags(f), want);
            let e = Reader::new(f).find_map(Result::err).unwrap();
            assert!(
                e.to_string().contains("read with the default separators"),
                "{e}"
            );
        }
    }

    #[test]
    fn an_over_long_segment_is_skipped_to_its_terminator() {
        let long = "X".repeat(300);
        let f = format!("UNB+UNOC:3+S+R+1+1'FTX+AAI+++{long}'UNZ+0+1'");
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
        assert_eq!(
            out,
            [
                "UNB",
                "ERR a segment runs past 100 bytes (limits.max_segment_bytes) without a terminator (is the segment terminator missing or wrong?); it was skipped up to the next terminator",
                "UNZ"
            ]
        );
    }

    #[test]
    fn chunked_equals_whole() {
        let f: &[u8] = b"\xEF\xBB\xBFUNA:+.? 'UNB+UNOC:3+S+R+1+1'\r\nIMD+F++:::A ?' B?? C'\r\nUN\nZ+0+1'UNB+UNOC:4+S+R+1+2'COM+1*2'";
        let whole: Vec<_> = Reader::new(f)
            .map(|r| r.map(SegmentRef::into_owned))
            .collect();
        for chunk in 1..30 {
            let mut tok = Tokenizer::new();
            let mut window = Vec::new();
            let (mut fed, mut pos) = (0, 0);
            let mut out = Vec::new();
            loop {
                let eof = fed == f.len();
                match tok.next(&window, &mut pos, eof) {
                    Next::Segment(s) => out.push(Ok(s.into_owned())),
                    Next::Error(e) => out.push(Err(e)),
                    Next::End => break,
                    Next::NeedMore => {
                        window.drain(..pos);
                        tok.consumed(pos);
                        pos = 0;
                        let n = chunk.min(f.len() - fed);
                        window.extend_from_slice(&f[fed..fed + n]);
                        fed += n;
                    }
                }
            }
            assert_eq!(out, whole, "chunk {chunk}");
        }
    }
}
