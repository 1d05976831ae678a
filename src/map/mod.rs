//! Mapping: validated syntax → canonical model (and, later, model → outbound EDI).
//!
//! Both standards produce the same [`Outcome`] per transaction set or message, so whoever
//! translates files cannot tell an 850 from an ORDERS except by `source`. One [`driver`] walks
//! both; `x12` and `edifact` say what differs.

pub mod ack_codes;
mod common;
pub mod driver;
pub mod edifact;
mod hold;
pub mod outbound;
pub mod x12;

use crate::diag::Finding;
use crate::grammar::Strictness;
pub use crate::model::outcome::{DocContext, EnvelopeReason, Outcome, Status};

/// How to translate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Whether segment and element errors reject a document or are only reported.
    pub strictness: Strictness,
    /// Recorded in each document's `source.file`.
    pub file: String,
    /// Recorded in each document's `source.channel`.
    pub channel: Option<String>,
    /// Accept count and control-number mismatches in envelopes (see
    /// `EnvelopeMap::relax_integrity`).
    pub relax_envelope: bool,
    /// The feed profile to read CSV/TSV/XML feeds with, instead of picking one from the header
    /// row or root element.
    pub feed_profile: Option<String>,
    /// Resource limits for hostile input.
    pub limits: crate::syntax::limits::Limits,
    /// Where the sets of an interchange too large to hold in memory wait for its trailer (an
    /// anonymous file, gone when translation ends); `None`: the system's temporary folder
    /// (`TMPDIR`), which may be memory (tmpfs), so a run puts them in its work directory.
    pub spill_dir: Option<std::path::PathBuf>,
}

/// True when a transaction set or message is too large to read (see [`over_limits`]).
pub(crate) fn exceeds(
    limits: &crate::syntax::limits::Limits,
    segments: usize,
    bytes: usize,
) -> bool {
    segments > limits.max_segments_per_transaction || bytes > limits.max_transaction_bytes
}

/// Why a transaction set or message is too large to read, if it is.
pub(crate) fn over_limits(
    limits: &crate::syntax::limits::Limits,
    what: impl FnOnce() -> String,
    segments: usize,
    bytes: usize,
) -> Option<String> {
    if segments > limits.max_segments_per_transaction {
        let what = what();
        Some(format!(
            "{what} has {segments} segments, more than the limit of {} (limits.max_segments_per_transaction); it is not read",
            limits.max_segments_per_transaction
        ))
    } else if bytes > limits.max_transaction_bytes {
        let what = what();
        Some(format!(
            "{what} is {bytes} bytes long, more than the limit of {} (limits.max_transaction_bytes); it is not read",
            limits.max_transaction_bytes
        ))
    } else {
        None
    }
}

/// The envelope errors that reject a transaction set or message: its interchange's, its
/// group's and its own findings, in that order.
pub(crate) fn envelope_reasons(levels: [&[Finding]; 3]) -> Vec<EnvelopeReason> {
    use crate::diag::Level;
    let mut out = Vec::new();
    for (level, list) in [Level::Interchange, Level::Group, Level::Transaction]
        .into_iter()
        .zip(levels)
    {
        for f in list.iter().filter(|f| f.is_error()) {
            out.push(EnvelopeReason {
                level,
                message: f.message.clone(),
            });
        }
    }
    out
}

/// Transaction sets (or messages) waiting to be translated together.
///
/// Closed sets are collected until about [`Batch::BYTES`] of them are waiting, then translated
/// in parallel (rayon, in whatever pool the caller runs in) and handed on in file order, so a
/// single large interchange uses every core while memory stays bounded by the batch. The
/// outcomes of a batch are held until the last is done, and an outcome's owned document takes
/// about five times the bytes it was read from: the bound is kept small (1 MiB of sets), since
/// what a batch allocates stays with the allocator as the process's peak. A stream scanned
/// ahead (`driver::Reading::scan_ahead`) uses batches of half that: the sets of up to three
/// (one filled, one waiting, one translated) and the outcomes of two are alive at once.
pub(crate) struct Batch<T> {
    items: Vec<(T, Vec<u8>)>,
    bytes: usize,
    /// Flushed at `BYTES >> shrink` bytes or `SETS >> shrink` sets.
    shrink: u32,
}

impl<T: Send + Sync> Batch<T> {
    pub(crate) const BYTES: usize = 1 << 20;
    const SETS: usize = 512;

    pub(crate) fn new() -> Self {
        Batch {
            items: Vec::new(),
            bytes: 0,
            shrink: 0,
        }
    }

    /// A batch bounded at half the usual bounds: for a stream scanned ahead, where two
    /// batches' outcomes are alive at once (one translated, one handed on).
    pub(crate) fn half() -> Self {
        Batch {
            shrink: 1,
            ..Self::new()
        }
    }

    /// The waiting sets, taken out as a batch of their own; this one is left empty.
    pub(crate) fn take(&mut self) -> Self {
        let room = self.items.capacity();
        Batch {
            items: std::mem::replace(&mut self.items, Vec::with_capacity(room)),
            bytes: std::mem::replace(&mut self.bytes, 0),
            shrink: self.shrink,
        }
    }

    /// Adds a set with its bytes; true when the batch should be flushed.
    pub(crate) fn push(&mut self, item: T, bytes: Vec<u8>) -> bool {
        self.bytes += bytes.len();
        self.items.push((item, bytes));
        self.bytes >= Self::BYTES >> self.shrink || self.items.len() >= Self::SETS >> self.shrink
    }

    /// Translates every waiting set and hands the outcomes to `sink` in the order they came.
    /// What `translate` gives besides an outcome (`P`: what the caller makes of it, such as its
    /// output bytes) is made in parallel with it and handed on beside it.
    pub(crate) fn flush<P: Send>(
        &mut self,
        translate: impl Fn(&T, &[u8]) -> (Outcome, P) + Sync,
        mut sink: impl FnMut(T, Outcome, P) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.bytes = 0;
        // With one set, or a pool of one thread, each set is translated here and handed on at
        // once, so that no more than one outcome is held: handing them to a single pool thread
        // runs nothing side by side, and every value the pool thread allocates would be freed
        // here, on another thread, which costs the allocator about as much as the rest of the
        // JSON output (`scripts/instructions.sh`, README Performance).
        if self.items.len() == 1 || rayon::current_num_threads() == 1 {
            for (t, b) in self.items.drain(..) {
                let (o, p) = translate(&t, &b);
                sink(t, o, p)?;
            }
            return Ok(());
        }
        let outcomes = self.translated(&translate);
        self.hand_on(outcomes, sink)
    }

    /// Every waiting set translated, in parallel, in the order they came.
    pub(crate) fn translated<P: Send>(
        &self,
        translate: &(impl Fn(&T, &[u8]) -> (Outcome, P) + Sync),
    ) -> Vec<Box<(Outcome, P)>> {
        use rayon::prelude::*;
        // Boxed: an outcome is a kilobyte or two, and a vector of hundreds of them was an
        // allocation of its own size for every batch, memory new from the kernel each time
        // (which zeroes it, a huge page at a time); boxes of that size the allocator reuses.
        self.items
            .par_iter()
            .map(|(t, b)| Box::new(translate(t, b)))
            .collect()
    }

    /// Hands the outcomes of [`Batch::translated`] to `sink` with their sets, in order, and
    /// empties the batch.
    pub(crate) fn hand_on<P>(
        &mut self,
        outcomes: Vec<Box<(Outcome, P)>>,
        mut sink: impl FnMut(T, Outcome, P) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        self.bytes = 0;
        for ((t, _), done) in self.items.drain(..).zip(outcomes) {
            let (o, p) = *done;
            sink(t, o, p)?;
        }
        Ok(())
    }
}

/// Envelope values copied into `source` (identities, control numbers, version) are read by the
/// envelope scanner, not the grammar validator, so their control characters are caught here,
/// once for both standards: each is reported (`place` gives the finding its position and
/// controls) and `source` keeps the value without them, as mapped text does.
pub(crate) fn clean_source(
    source: &mut crate::model::Source,
    header: &str,
    place: impl Fn(Finding) -> Finding,
) -> Vec<Finding> {
    use crate::diag::Code;
    use crate::syntax::values::{control_character, without_controls};
    let mut findings = Vec::new();
    // `what` is formatted only for a finding: this runs for every document.
    let mut check = |what: std::fmt::Arguments<'_>, value: &mut String| {
        if let Some((_, byte)) = control_character(value.as_bytes(), &[]) {
            findings.push(place(Finding::error(
                Code::InvalidInterchangeHeader,
                format!(
                    "{header}: the {what} '{}' holds the control character 0x{byte:02X}, which X12 and EDIFACT data may not carry; it is read without it",
                    crate::syntax::text::for_message(value.as_bytes(), 40)
                ),
            )));
            *value = without_controls(value).into_owned();
        }
    };
    for (what, identity) in [
        ("sender", source.sender.as_mut()),
        ("receiver", source.receiver.as_mut()),
    ] {
        if let Some(i) = identity {
            check(format_args!("{what} id"), &mut i.id);
            check(format_args!("{what} id qualifier"), &mut i.qualifier);
        }
    }
    for (what, value) in [
        (
            "interchange control number",
            source.interchange_control.as_mut(),
        ),
        ("group control number", source.group_control.as_mut()),
        (
            "transaction control number",
            source.transaction_control.as_mut(),
        ),
        ("version", Some(&mut source.version)),
    ] {
        if let Some(v) = value {
            check(format_args!("{what}"), v);
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn outcome(offset: usize) -> Outcome {
        Outcome {
            status: Status::Accepted,
            set_id: "850".into(),
            offset,
            controls: Default::default(),
            document: None,
            findings: Vec::new(),
            envelope_reasons: Vec::new(),
            context: None,
        }
    }

    /// Fills a batch until it asks to be flushed, flushes it in a pool of `threads`, and
    /// returns what happened in order: `t3` when set 3 was translated, `s3` when handed on.
    fn flushed(threads: usize) -> Vec<String> {
        let events = Mutex::new(Vec::new());
        let mut batch = Batch::new();
        let mut n = 0;
        while !batch.push(n, vec![b'x'; 1000]) {
            n += 1;
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            batch
                .flush(
                    |&t, bytes| {
                        assert_eq!(bytes.len(), 1000);
                        events.lock().unwrap().push(format!("t{t}"));
                        (outcome(t), ())
                    },
                    |t, o, ()| {
                        assert_eq!(o.offset, t);
                        events.lock().unwrap().push(format!("s{t}"));
                        Ok(())
                    },
                )
                .unwrap()
        });
        assert!(batch.items.is_empty() && batch.bytes == 0);
        events.into_inner().unwrap()
    }

    #[test]
    fn a_batch_is_bounded_and_handed_on_in_order() {
        // One thread: each outcome is handed on before the next set is translated, so a batch
        // never holds more than one.
        let one = flushed(1);
        assert!(one.len() > 2 && one.len() <= 2 * Batch::<usize>::SETS);
        for (i, pair) in one.chunks(2).enumerate() {
            assert_eq!(pair, [format!("t{i}"), format!("s{i}")]);
        }
        // Two threads: translated in any order, handed on in the order the sets came.
        let two = flushed(2);
        let handed: Vec<&String> = two.iter().filter(|e| e.starts_with('s')).collect();
        assert_eq!(handed.len(), one.len() / 2);
        for (i, s) in handed.iter().enumerate() {
            assert_eq!(**s, format!("s{i}"));
        }
    }
}
