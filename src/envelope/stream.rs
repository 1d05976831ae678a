//! The envelope scan of a whole input or of a stream read through a window.

use super::{Envelope, EnvelopeMap, Feed, Scanner, Step};
use crate::syntax::Token;
#[cfg(any(test, feature = "internals"))]
use {
    super::pump,
    std::io::{self, Read},
};

/// Scans an input held whole (transcoded first when the standard says so).
pub fn scan<S: Envelope>(input: &[u8]) -> EnvelopeMap<S> {
    if S::needs_transcoding(input) {
        let mut owned = input.to_vec();
        S::transcode(&mut owned);
        let mut map = scan_as_is::<S>(&owned);
        map.transcoded = true;
        return map;
    }
    scan_as_is(input)
}

fn scan_as_is<S: Envelope>(input: &[u8]) -> EnvelopeMap<S> {
    let mut sc = Scanner::new();
    let mut tok = S::tokenizer(0);
    let mut pos = 0;
    loop {
        match S::next(&mut tok, input, &mut pos, true) {
            Token::Segment(s) => sc.segment(&s),
            Token::Error(e) => sc.syntax_error(&e),
            Token::End | Token::NeedMore => break,
        }
    }
    sc.finish(input.len())
}

/// A tokenizer and its scanner, fed through the stream pump.
pub struct StreamFeed<S: Envelope> {
    pub scanner: Scanner<S>,
    tok: S::Tokenizer,
    /// Whether the input is transcoded as it arrives, once its first bytes were seen.
    transcoded: Option<bool>,
    /// The open transaction set's bytes are kept in the window while they are at most this
    /// long (0: never kept).
    keep_sets: usize,
}

impl<S: Envelope> StreamFeed<S> {
    /// A feed around this scanner.
    pub fn with(scanner: Scanner<S>) -> Self {
        StreamFeed {
            scanner,
            tok: S::tokenizer(0),
            transcoded: None,
            keep_sets: 0,
        }
    }

    /// A feed whose scanner keeps every transaction set.
    #[cfg(any(test, feature = "internals"))]
    pub fn full() -> Self {
        StreamFeed::with(Scanner::new())
    }

    /// A feed whose scanner keeps only the sets with findings (see [`Scanner::compact`]).
    #[cfg(any(test, feature = "internals"))]
    pub fn compact() -> Self {
        StreamFeed::with(Scanner::compact())
    }

    /// A feed whose scanner streams closed transaction sets out (see [`Scanner::streaming`]).
    pub fn new() -> Self {
        StreamFeed::with(Scanner::streaming())
    }

    /// The same feed, keeping the bytes of the open transaction set in the pump's window while
    /// they are at most `limit` long, so that a set is in the window when it closes: nothing
    /// is read twice.
    pub fn keeping_sets(mut self, limit: usize) -> Self {
        self.keep_sets = limit;
        // The sets kept are translated: their segments are marked too.
        self.scanner = std::mem::take(&mut self.scanner).marking(limit);
        self
    }

    /// The same feed, not yet fed, with another segment length limit (0: the tokenizer's
    /// default).
    pub fn with_max_segment(mut self, limit: usize) -> Self {
        self.tok = S::tokenizer(limit);
        self
    }

    /// Ends the input and returns the map.
    pub fn finish(self, total: usize) -> EnvelopeMap<S> {
        let transcoded = self.transcoded.unwrap_or(false);
        let mut map = self.scanner.finish(total);
        map.transcoded = transcoded;
        map
    }
}

impl<S: Envelope> Default for StreamFeed<S> {
    fn default() -> Self {
        StreamFeed::new()
    }
}

impl<S: Envelope> Feed for StreamFeed<S> {
    fn step(&mut self, window: &[u8], pos: &mut usize, eof: bool) -> Step {
        match S::next(&mut self.tok, window, pos, eof) {
            Token::Segment(s) => self.scanner.segment(&s),
            Token::Error(e) => self.scanner.syntax_error(&e),
            Token::End => return Step::End,
            Token::NeedMore => return Step::NeedMore,
        }
        Step::Go
    }

    fn consumed(&mut self, n: usize) {
        S::consumed(&mut self.tok, n);
    }

    fn arrived(&mut self, window: &mut [u8], new_from: usize) {
        let transcoded = *self
            .transcoded
            // The first window holds at least the pump's 64 bytes: the head a whole read
            // decides on too (`ebcdic::HEAD`).
            .get_or_insert_with(|| S::needs_transcoding(window));
        if transcoded {
            S::transcode(&mut window[new_from..]);
        }
    }

    fn keep(&self, at: usize) -> Option<usize> {
        let start = self.scanner.open_transaction_start()?;
        (self.keep_sets > 0 && at.saturating_sub(start) <= self.keep_sets).then_some(start)
    }
}

/// Scans a stream in chunks of `chunk` bytes, keeping every transaction set in the map.
#[cfg(any(test, feature = "internals"))]
pub fn scan_reader<S: Envelope, R: Read>(r: R, chunk: usize) -> io::Result<EnvelopeMap<S>> {
    let mut feed = StreamFeed::full();
    let total = pump(r, chunk, &mut feed)?;
    Ok(feed.finish(total))
}
