//! Envelopes: interchanges, functional groups and transaction sets, checked before anything is
//! translated.
//!
//! Phase: segments → envelope map. A first pass over the file reads only the envelope segments
//! (ISA/GS/ST/SE/GE/IEA), counts what they enclose and checks counts and control numbers. Its
//! result is a map of the file: every transaction set with its byte span and whether its
//! envelope holds. The translation pass then re-reads each transaction set by its span, so memory
//! stays flat in the file size and a broken envelope rejects exactly what it encloses: a wrong GE
//! count rejects that group, not the interchange's other groups, nor the file's other
//! interchanges.
//!
//! ```
//! use tallyman::envelope::x12::scan;
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~GS*PO*S*R*20240101*1200*1*X*004010~\
//! ST*850*0001~BEG*00*SA*PO1**20240101~SE*3*0001~GE*1*1~IEA*1*000000001~";
//! let map = scan(edi);
//! let tx = &map.interchanges[0].groups[0].transactions[0];
//! assert_eq!(tx.set_id, "850");
//! assert!(map.accepted(0, 0, 0));
//! ```

pub mod edifact;
pub mod x12;

use crate::diag::{Code, Finding};

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
    /// What encloses them ("transaction set 850 0001").
    pub what: &'a str,
    pub count_code: Code,
    /// The header's control reference.
    pub control: &'a str,
    /// The header field that holds it ("ST02", "UNH 0062").
    pub header: &'static str,
    pub control_code: Code,
}

/// A trailer's two fields as read, with their names ("SE01", "UNT 0074").
pub(crate) struct TrailerFields<'a> {
    pub count_label: &'a str,
    pub count: &'a str,
    pub control_label: &'a str,
    pub control: &'a str,
}

impl Trailer<'_> {
    /// The findings for a trailer; `place` puts a finding at the trailer's element (1 or 2).
    pub fn check(
        &self,
        read: &TrailerFields<'_>,
        place: impl Fn(Finding, usize) -> Finding,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let counted = self.counted;
        let label = read.count_label;
        match read.count.parse::<usize>() {
            Ok(n) if n == counted => {}
            Ok(n) => out.push(place(
                Finding::error(
                    self.count_code,
                    format!(
                        "{label} says {n} {}, but {} has {counted}",
                        self.noun, self.what
                    ),
                ),
                1,
            )),
            Err(_) => out.push(place(
                Finding::error(
                    self.count_code,
                    format!(
                        "{label} '{}' is not a count; {} has {counted} {}",
                        read.count, self.what, self.noun
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
                        "{} '{}' does not match {} '{}'",
                        read.control_label, read.control, self.header, self.control
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
}

/// Feeds a stream through a window of about `chunk` bytes: memory stays that of the largest
/// segment plus one chunk, whatever the file's size. Returns the number of bytes read.
pub(crate) fn pump<R: std::io::Read>(
    mut r: R,
    chunk: usize,
    feed: &mut impl Feed,
) -> std::io::Result<usize> {
    pump_with(&mut r, chunk, feed, |_, _| Ok(()))
}

/// [`pump`], calling `after` once after every step with the feed and the reader. `after` may
/// use the reader (to re-read a transaction set by its span) as long as it leaves the read
/// position where it found it.
pub(crate) fn pump_with<R: std::io::Read, F: Feed>(
    r: &mut R,
    chunk: usize,
    feed: &mut F,
    mut after: impl FnMut(&mut F, &mut R) -> std::io::Result<()>,
) -> std::io::Result<usize> {
    let chunk = chunk.max(64);
    let mut window: Vec<u8> = Vec::with_capacity(chunk);
    let mut pos = 0;
    let mut eof = false;
    let mut total = 0usize;
    loop {
        let step = feed.step(&window, &mut pos, eof);
        after(feed, r)?;
        match step {
            Step::Go => {}
            Step::End => return Ok(total),
            Step::NeedMore => {
                window.drain(..pos);
                feed.consumed(pos);
                pos = 0;
                let old = window.len();
                window.resize(old + chunk, 0);
                let n = crate::syntax::read_full(r, &mut window[old..])?;
                window.truncate(old + n);
                if n == 0 {
                    eof = true;
                    continue;
                }
                total += n;
                feed.arrived(&mut window, old);
            }
        }
    }
}
