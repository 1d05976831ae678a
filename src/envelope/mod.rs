//! Envelopes: interchanges, functional groups and transaction sets, checked before anything is
//! translated.
//!
//! Phase: segments → envelope map. The scanner reads the envelope segments
//! (ISA/GS/ST/SE/GE/IEA, UNB/UNG/UNH/UNT/UNE/UNZ) as the tokenizer hands out every segment,
//! counts what they enclose and checks counts and control numbers. Its result is a map of the
//! file: every transaction set with its byte span and whether its envelope holds. Streamed, it
//! hands out each set as it closes and keeps only what has findings, so memory stays flat in
//! the file size; the translate driver holds each set until its interchange is settled, so
//! that a broken envelope rejects exactly what it encloses: a wrong GE count rejects that
//! group, not the interchange's other groups, nor the file's other interchanges.
//!
//! One [`Scanner`] does this for both standards; what differs (which tags open and close what,
//! the header fields and their checks, the names in messages, implicit envelopes around bare
//! EDIFACT messages) is said by each standard's [`Envelope`] implementation in [`x12`] and
//! [`edifact`].
//!
//! ```
//! use tallyman::envelope::x12::scan;
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~GS*PO*S*R*20240101*1200*1*X*004010~\
//! ST*850*0001~BEG*00*SA*PO1**20240101~SE*3*0001~GE*1*1~IEA*1*000000001~";
//! let map = scan(edi);
//! let tx = &map.interchanges[0].groups[0].transactions[0];
//! assert_eq!(tx.header.set_id, "850");
//! assert!(map.accepted(0, 0, 0));
//! ```

pub mod build;
pub mod edifact;
mod map;
mod scanner;
mod stream;
pub mod x12;

pub use map::{Closed, EnvelopeMap, Group, Interchange, Transaction, controls};
pub use scanner::Scanner;
#[cfg(any(test, feature = "internals"))]
pub use stream::scan_reader;
pub use stream::{StreamFeed, scan};

use crate::diag::{Code, Controls, Finding, Level};
use crate::syntax::{SegmentView, Standard};

/// What a segment is to the envelope scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    InterchangeHeader,
    GroupHeader,
    TransactionHeader,
    TransactionTrailer,
    GroupTrailer,
    InterchangeTrailer,
    /// A service segment read and passed over (UNA).
    Service,
    /// Anything else: counted inside a transaction set, judged by [`Envelope::misplaced`]
    /// outside of one.
    Body,
}

/// What to do with a segment that stands where its role does not allow it: a header without
/// the envelope that must enclose it, a trailer without its header, a body segment outside of
/// any transaction set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misplaced {
    /// Nothing: it may stand there (ISB/ISE between ISA and GS).
    Ignore,
    /// A set of one segment that stands between envelopes (an X12 TA1 between ISA and GS): it
    /// is handed out as the only set of an implicit group of the open interchange, its header
    /// read by [`Envelope::transaction_header`], so that it is translated like any other set.
    Lone,
    /// An error at the segment, kept by the innermost open envelope, with this text.
    Stray(String),
    /// Judged as a body segment outside of any transaction set.
    Body,
    /// The missing envelopes are opened implicitly (EDIFACT messages sent without UNB or UNG).
    Implicit,
    /// A corrupt interchange header: the segment opens an interchange, which is rejected with
    /// this text instead of the header's field findings.
    CorruptHeader(String),
    /// An interchange trailer without its header: the open interchange (an implicit one when
    /// none is open) is rejected with this text and ends here.
    LostHeader(String),
}

/// Where the scanner stands, for [`Envelope::misplaced`].
#[derive(Debug, Clone, Copy)]
pub struct Open {
    pub interchange: bool,
    pub group: bool,
    /// Whether the last interchange started (it may be closed) had a header of its own.
    pub after_explicit: bool,
}

/// A syntax error as the scanner reports it.
#[derive(Debug, Clone)]
pub struct SyntaxEvent {
    pub message: String,
    pub offset: usize,
    pub segment_index: usize,
    /// The index the scanner takes for the segment after the error (for findings about what
    /// is missing at the end of the file).
    pub next_index: usize,
    /// True when the bytes skipped end the open interchange (X12 skips to the next ISA), so
    /// its trailers will never come.
    pub breaks_interchange: bool,
}

/// The names a standard's messages use.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    /// Header and trailer tags of the interchange, the group and the transaction set.
    pub tags: [(&'static str, &'static str); 3],
    /// The header fields that hold the three control numbers ("ISA13", "UNH 0062").
    pub control_fields: [&'static str; 3],
    /// What a set trailer counts ("segments (ST to SE inclusive)").
    pub segments: &'static str,
    /// What a group trailer counts ("transaction sets", "messages").
    pub transactions: &'static str,
}

/// A uniqueness rule for the control numbers of one envelope level.
#[derive(Debug, Clone, Copy)]
pub struct Unique {
    /// Where they must be unique: `File`, `Interchange` or `Group`.
    pub within: Level,
    /// The header element that holds the control number (the finding is placed there).
    pub element: usize,
    /// The finding for a repeat: the control number and the byte offset of its first use.
    pub finding: fn(&str, usize) -> Finding,
}

/// Index of an envelope level in [`Names`]' arrays: 0 interchange, 1 group, 2 transaction set.
pub(crate) fn slot(level: Level) -> usize {
    match level {
        Level::Interchange => 0,
        Level::Group => 1,
        _ => 2,
    }
}

/// The envelope rules of a standard: which segments open and close what, the header fields and
/// their checks, and the names its messages use. The state machine that applies them is
/// [`Scanner`], written once.
pub trait Envelope: Standard {
    /// Interchange header fields besides the control number (ISA, UNB).
    type InterchangeHeader: Clone + std::fmt::Debug + Default + serde::Serialize + Send + Sync;
    /// Group header fields besides the control number (GS, UNG).
    type GroupHeader: Clone
        + std::fmt::Debug
        + Default
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Send
        + Sync;
    /// Transaction set header fields besides the control number (ST, UNH).
    type TransactionHeader: Clone
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned
        + Send
        + Sync;

    const NAMES: Names;

    /// What a segment with this tag is.
    fn role(tag: &[u8]) -> Role;
    /// The finding a syntax error becomes.
    fn syntax_error(e: &Self::SyntaxError) -> SyntaxEvent;
    /// Whether a segment cut by the end of the file is reported as a truncated file.
    fn reports_unterminated(tag: &[u8], open: &Open) -> bool;
    /// What to do with a segment whose role does not fit where the scanner stands.
    fn misplaced(role: Role, s: &Self::Segment<'_>, open: &Open) -> Misplaced;

    /// The control number and other fields of an interchange header.
    fn interchange_header(s: &Self::Segment<'_>) -> (String, Self::InterchangeHeader);
    /// The findings about an interchange header's fields.
    fn check_interchange(
        s: &Self::Segment<'_>,
        control: &str,
        header: &Self::InterchangeHeader,
        controls: &Controls,
    ) -> Vec<Finding>;
    /// The control number and other fields of a group header.
    fn group_header(s: &Self::Segment<'_>) -> (String, Self::GroupHeader);
    /// The findings about a group header's fields.
    fn check_group(
        _s: &Self::Segment<'_>,
        _control: &str,
        _header: &Self::GroupHeader,
        _controls: &Controls,
    ) -> Vec<Finding> {
        Vec::new()
    }
    /// A group header was read in `ic`, before the group is counted: a chance to look back at
    /// the interchange header with what the group header shows.
    fn group_opened(_ic: &mut Interchange<Self>, _s: &Self::Segment<'_>, _controls: &Controls) {}
    /// The control number and other fields of a transaction set header.
    fn transaction_header(s: &Self::Segment<'_>) -> (String, Self::TransactionHeader);
    /// The findings about a transaction set header's fields.
    fn check_transaction(
        s: &Self::Segment<'_>,
        control: &str,
        header: &Self::TransactionHeader,
        controls: &Controls,
    ) -> Vec<Finding>;

    /// How the control numbers of a level must be unique, when the standard checks them.
    fn unique(level: Level) -> Option<Unique>;

    /// Why the open envelope at `level` ends at `s`, a new header of the same level.
    fn interrupted(level: Level, s: &Self::Segment<'_>) -> String {
        let tag = Self::NAMES.tags[slot(level)].0;
        format!("a new {tag} starts at segment {}", s.index())
    }
    /// A transaction set as messages name it ("transaction set 850 0001", "message ORDERS 1").
    fn transaction_title(t: &Transaction<Self>) -> String;
    /// A group as the missing-trailer message names it ("functional group PO 7").
    fn group_title(g: &Group<Self>) -> String;
    /// What an interchange trailer counts: the number, and its noun.
    fn interchange_counted(ic: &Interchange<Self>) -> (usize, &'static str);
    /// A trailer's count and control number as read, with their names ("SE01", "UNT 0074").
    fn trailer_fields(level: Level, s: &Self::Segment<'_>) -> TrailerFields;
}

/// Turns count and control-reference mismatches, duplicate references and missing group or
/// interchange trailers into warnings: the explicit choice to relax envelope checks for a
/// partner whose envelopes are known to be sloppy. A transaction set or message without its own
/// trailer (SE, UNT) and unreadable data still reject: what they enclose may be incomplete.
pub(crate) fn relax_findings(findings: &mut [Finding]) {
    for f in findings.iter_mut().filter(|f| f.is_error()) {
        if matches!(
            f.code,
            Code::SegmentCountMismatch
                | Code::TransactionControlMismatch
                | Code::TransactionCountMismatch
                | Code::GroupControlMismatch
                | Code::GroupCountMismatch
                | Code::InterchangeControlMismatch
                | Code::DuplicateTransactionControl
                | Code::GroupTrailerMissing
                | Code::InterchangeTrailerMissing
        ) {
            f.severity = crate::diag::Severity::Warning;
            f.message.push_str(" (accepted: envelope checks relaxed)");
        }
    }
}

/// What a trailer (SE/GE/IEA, UNT/UNE/UNZ) must repeat: a count in its first element and the
/// header's control reference in its second.
pub(crate) struct Trailer<'a> {
    /// What was counted.
    pub counted: usize,
    /// What the count counts ("segments (ST to SE inclusive)").
    pub noun: &'static str,
    /// What encloses them ("transaction set 850 0001"), said only in a finding: made then.
    pub what: &'a dyn Fn() -> String,
    pub count_code: Code,
    /// The header's control reference.
    pub control: &'a str,
    /// The header field that holds it ("ST02", "UNH 0062").
    pub header: &'static str,
    pub control_code: Code,
}

/// A trailer's two fields as read, and what their names add to the trailer's tag ("01" for
/// SE01, " 0074" for UNT 0074): a name is made only for a finding.
#[derive(Debug, Clone)]
pub struct TrailerFields {
    pub names: [&'static str; 2],
    pub count: String,
    pub control: String,
}

impl Trailer<'_> {
    /// The findings for the trailer `tag`; `place` puts a finding at the trailer's element (1
    /// or 2).
    pub fn check(
        &self,
        tag: &str,
        read: &TrailerFields,
        place: impl Fn(Finding, usize) -> Finding,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let counted = self.counted;
        let label = format_args!("{tag}{}", read.names[0]);
        match read.count.parse::<usize>() {
            Ok(n) if n == counted => {}
            Ok(n) => out.push(place(
                Finding::error(
                    self.count_code,
                    format!(
                        "{label} says {n} {}, but {} has {counted}",
                        self.noun,
                        (self.what)()
                    ),
                ),
                1,
            )),
            Err(_) => out.push(place(
                Finding::error(
                    self.count_code,
                    format!(
                        "{label} '{}' is not a count; {} has {counted} {}",
                        read.count,
                        (self.what)(),
                        self.noun
                    ),
                ),
                1,
            )),
        }
        if read.control != self.control {
            out.push(place(
                Finding::error(
                    self.control_code,
                    format!(
                        "{tag}{} '{}' does not match {} '{}'",
                        read.names[1], read.control, self.header, self.control
                    ),
                ),
                2,
            ));
        }
        out
    }
}

/// What a resumable tokenizer says after one step.
pub(crate) enum Step {
    Go,
    NeedMore,
    End,
}

/// A tokenizer and its scanner, fed by [`pump`].
pub(crate) trait Feed {
    /// Reads from `window[*pos..]` and hands what it finds to the scanner.
    fn step(&mut self, window: &[u8], pos: &mut usize, eof: bool) -> Step;
    /// The caller dropped `n` bytes from the front of the window.
    fn consumed(&mut self, n: usize);
    /// Bytes from `new_from` on just arrived (a chance to transcode them in place).
    fn arrived(&mut self, _window: &mut [u8], _new_from: usize) {}
    /// The file offset of the first byte already read that must stay in the window, with the
    /// tokenizer at file offset `at` (the bytes of the transaction set being read); `None` when
    /// everything before `at` may go.
    fn keep(&self, _at: usize) -> Option<usize> {
        None
    }
}

/// Feeds a stream through a window of about `chunk` bytes: memory stays that of the largest
/// segment (or of the largest transaction set the feed keeps, see [`Feed::keep`]) plus one
/// chunk, whatever the file's size. Returns the number of bytes read.
#[cfg(any(test, feature = "internals"))]
pub(crate) fn pump<R: std::io::Read>(
    mut r: R,
    chunk: usize,
    feed: &mut impl Feed,
) -> std::io::Result<usize> {
    pump_with(&mut r, chunk, feed, |_, _, _| Ok(()))
}

/// [`pump`], calling `after` once after every step with the feed, the window and the file
/// offset of the window's first byte: what the feed keeps ([`Feed::keep`]) is in the window.
pub(crate) fn pump_with<R: std::io::Read, F: Feed>(
    r: &mut R,
    chunk: usize,
    feed: &mut F,
    after: impl FnMut(&mut F, &[u8], usize) -> std::io::Result<()>,
) -> std::io::Result<usize> {
    thread_local! {
        /// The window of this thread's last stream, for its next one. A window is a chunk (a
        /// megabyte) or two; allocated afresh for every file, its memory came new from the
        /// kernel each time, which zeroed a huge page for a file of a few kilobytes.
        static WINDOW: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    // At least the head that decides on EBCDIC, so that the first window holds it.
    let chunk = chunk.max(crate::syntax::ebcdic::HEAD);
    let mut window = WINDOW.take();
    window.clear();
    let read = pump_through(r, chunk, feed, after, &mut window);
    // A window that grew past two chunks held a large kept transaction set: not kept.
    if window.capacity() <= 2 * chunk {
        window.clear();
        WINDOW.set(window);
    }
    read
}

fn pump_through<R: std::io::Read, F: Feed>(
    r: &mut R,
    chunk: usize,
    feed: &mut F,
    mut after: impl FnMut(&mut F, &[u8], usize) -> std::io::Result<()>,
    window: &mut Vec<u8>,
) -> std::io::Result<usize> {
    use std::io::Read as _;
    let mut pos = 0;
    let mut eof = false;
    let mut total = 0usize;
    // File offset of window[0].
    let mut base = 0usize;
    loop {
        let step = feed.step(window, &mut pos, eof);
        after(feed, window, base)?;
        match step {
            Step::Go => {}
            Step::End => return Ok(total),
            Step::NeedMore => {
                let cut = match feed.keep(base + pos) {
                    Some(k) if k >= base => (k - base).min(pos),
                    _ => pos,
                };
                window.drain(..cut);
                feed.consumed(cut);
                base += cut;
                pos -= cut;
                let old = window.len();
                // Into the window's spare capacity, without zeroing a chunk first; `read_to_end`
                // on a `take` reads until the chunk is full or the stream ends, retrying on
                // `Interrupted` as `read_full` does.
                window.reserve(chunk);
                let n = std::io::Read::take(&mut *r, chunk as u64).read_to_end(window)?;
                if n == 0 {
                    eof = true;
                    continue;
                }
                total += n;
                feed.arrived(window, old);
            }
        }
    }
}
