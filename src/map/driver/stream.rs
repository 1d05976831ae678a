//! The streaming read of the driver: one pass over a [`Read`], with memory flat in the file
//! size. The envelope scan reads the stream through a window; each closed set is held until
//! its interchange is settled, judged with its group's and interchange's findings, gathered
//! into batches and translated in the pool ([`translate_inner`]); outcomes reach the sink in
//! file order. A large stream is scanned a batch ahead on a thread of its own
//! ([`Reading::scan_ahead`]).

use super::super::hold::{self, Hold};
use super::super::{Batch, Options, Outcome};
use super::{Mapping, translate_inner};
use crate::envelope::{
    Closed, EnvelopeMap, Group, Interchange, StreamFeed, pump_with, relax_findings,
};
use crate::grammar::GrammarSet;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Translates a stream in one pass, with memory flat in the file size: the envelope scan reads
/// the file through a `chunk`-sized window that keeps the bytes of the transaction set being
/// read; each set is held, with its bytes, until its interchange closes
/// ([`Scanner::settled`](crate::envelope::Scanner::settled)), then judged with its group's and
/// interchange's findings and translated, in parallel batches. `sink` gets every outcome in
/// file order, with the set and the judged headers of its group and interchange (see
/// [`Closed`]). Returns the envelope map of what has findings (as a compact scan keeps it).
pub fn translate_reader<S, R, F>(
    reader: R,
    grammars: &GrammarSet,
    opts: &Options,
    chunk: usize,
    sink: F,
) -> io::Result<EnvelopeMap<S>>
where
    S: Mapping,
    R: Read + Send,
    F: FnMut(&Closed<S>, Outcome) -> io::Result<()>,
{
    translate_reader_holding(reader, grammars, opts, chunk, hold::MEMORY, sink)
}

/// [`translate_reader`], holding at most `hold` bytes of sets in memory before the rest of an
/// interchange's sets go to a temporary file (for tests of that path).
#[doc(hidden)]
pub fn translate_reader_holding<S, R, F>(
    reader: R,
    grammars: &GrammarSet,
    opts: &Options,
    chunk: usize,
    hold: usize,
    mut sink: F,
) -> io::Result<EnvelopeMap<S>>
where
    S: Mapping,
    R: Read + Send,
    F: FnMut(&Closed<S>, Outcome) -> io::Result<()>,
{
    let prepare = |_: &mut Outcome| ();
    translate_reader_prepared(
        reader,
        grammars,
        opts,
        Reading {
            chunk,
            hold,
            scan_ahead: false,
        },
        &prepare,
        |c, o, ()| sink(c, o),
    )
}

/// How [`translate_reader_prepared`] reads its stream.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// The size of the read window (a chunk is read into it at a time).
    pub chunk: usize,
    /// How many bytes of held sets stay in memory before the rest of an interchange's sets go
    /// to a temporary file (by default 8 MiB).
    pub hold: usize,
    /// Whether the stream is read and scanned on a thread of its own, a batch ahead of the
    /// translation, when the pool has more than one thread: for a stream of more than a batch
    /// ([`Batch::BYTES`]), where reading and scanning would otherwise leave the pool idle.
    pub scan_ahead: bool,
}

impl Reading {
    /// The usual window and hold bound; scanning ahead when `large`.
    pub fn new(chunk: usize, large: bool) -> Self {
        Reading {
            chunk,
            hold: hold::MEMORY,
            scan_ahead: large,
        }
    }
}

/// [`translate_reader`], with `prepare` applied to each outcome in the parallel stage, right
/// after its set is translated: what it makes of the outcome (its output bytes, hashes, further
/// checks) is handed to `sink` beside it, in file order. The work a caller does per document
/// then runs on every core, not on the one thread that takes the outcomes in order.
///
/// With [`Reading::scan_ahead`] and a pool of more than one thread, the stream is read,
/// scanned, held and batched on a thread of its own (`tallyman-scan`) while the calling thread
/// translates the batch before in the pool and hands its outcomes to `sink`: the scan of a
/// large file is about a sixth of its work, and done between batches it left the pool idle a
/// third of the time. At most one finished batch waits for the translation (a rendezvous
/// channel), and batches are half the usual size: the outcomes alive at once (one batch's
/// being made, the one before's being handed on) take what one batch's did, and the sets
/// (one batch filled, one waiting, one translated) one and a half batches' worth. A sink
/// error or a panic here stops the scan at its next step. Outcomes reach `sink` in the same
/// order and with the same content either way. When the thread cannot be started, the calling
/// thread does both in turn.
pub fn translate_reader_prepared<S, R, P, F>(
    mut reader: R,
    grammars: &GrammarSet,
    opts: &Options,
    reading: Reading,
    prepare: &(dyn Fn(&mut Outcome) -> P + Sync),
    mut sink: F,
) -> io::Result<EnvelopeMap<S>>
where
    S: Mapping,
    R: Read + Send,
    P: Send,
    F: FnMut(&Closed<S>, Outcome, P) -> io::Result<()>,
{
    let translate = |c: &Closed<S>, bytes: &[u8]| {
        let mut o = translate_inner(
            grammars,
            (&c.interchange, &c.group, &c.transaction),
            bytes,
            opts,
            false,
        )
        .0;
        let p = prepare(&mut o);
        (o, p)
    };
    if reading.scan_ahead
        && rayon::current_num_threads() > 1
        && let Some(done) = scanned_ahead(&mut reader, opts, reading, &translate, &mut sink)
    {
        return done;
    }
    scan_batches(&mut reader, opts, reading, None, |batch| {
        batch.flush(translate, |c, o, p| sink(&c, o, p))
    })
}

/// [`translate_reader_prepared`] with the scan on a thread of its own, a batch ahead; `None`
/// when that thread cannot be started (nothing has been read then).
fn scanned_ahead<S, R, P>(
    reader: &mut R,
    opts: &Options,
    reading: Reading,
    translate: &(impl Fn(&Closed<S>, &[u8]) -> (Outcome, P) + Sync),
    sink: &mut impl FnMut(&Closed<S>, Outcome, P) -> io::Result<()>,
) -> Option<io::Result<EnvelopeMap<S>>>
where
    S: Mapping,
    R: Read + Send,
    P: Send,
{
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch<Closed<S>>>(0);
        let stop = &stop;
        let scanner = std::thread::Builder::new()
            .name("tallyman-scan".into())
            .spawn_scoped(scope, move || {
                scan_batches(reader, opts, reading, Some(stop), |batch| {
                    tx.send(batch.take()).map_err(|_| stopped())
                })
            })
            .ok()?;
        // However this thread leaves (an error, a panic), the scan stops at its next step,
        // instead of reading on (and spilling) until its next batch is full.
        let stopping = StopOnDrop(stop);
        // Each batch is translated in the pool while the outcomes of the one before are handed
        // on here (and freed): `sink` runs on this thread only.
        let mut before: Option<Translated<S, P>> = None;
        let mut handed = Ok(());
        for batch in rx.iter() {
            let mut outcomes = None;
            handed = rayon::in_place_scope(|pool| {
                pool.spawn(|_| outcomes = Some(batch.translated(translate)));
                match before.take() {
                    Some((mut b, done)) => b.hand_on(done, |c, o, p| sink(&c, o, p)),
                    None => Ok(()),
                }
            });
            if handed.is_err() {
                break;
            }
            before = outcomes.map(|done| (batch, done));
        }
        if let Some((mut b, done)) = before.take().filter(|_| handed.is_ok()) {
            handed = b.hand_on(done, |c, o, p| sink(&c, o, p));
        }
        // The scan thread's next step or send fails once nothing receives, and it ends.
        drop(stopping);
        drop(rx);
        let scanned = scanner
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Some(handed.and(scanned))
    })
}

/// Tells a scan running ahead to stop, when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Why a scan running ahead ended early: nothing takes its batches any more.
fn stopped() -> io::Error {
    io::Error::other("the translation of the batches before stopped")
}

/// A batch with its outcomes, waiting to be handed on.
type Translated<S, P> = (Batch<Closed<S>>, Vec<Box<(Outcome, P)>>);

/// The envelope pass of a stream: holds each closed set until its interchange is settled, then
/// judges the held ones in file order and gathers them into batches, handing each full batch
/// (and the last, at the end) to `full`, which empties it. Returns the envelope map. `ahead`
/// is given when the scan runs ahead of the translation: batches are half the usual size, and
/// the scan ends at its next step once the flag is set.
fn scan_batches<S, R>(
    reader: &mut R,
    opts: &Options,
    reading: Reading,
    ahead: Option<&AtomicBool>,
    mut full: impl FnMut(&mut Batch<Closed<S>>) -> io::Result<()>,
) -> io::Result<EnvelopeMap<S>>
where
    S: Mapping,
    R: Read,
{
    let limits = &opts.limits;
    let mut feed = StreamFeed::<S>::new()
        .with_max_segment(limits.max_segment_bytes)
        .keeping_sets(limits.max_transaction_bytes);
    let mut hold = Hold::<S>::new(reading.hold, opts.spill_dir.as_deref());
    // Scanned ahead, two batches' outcomes are alive at once: each is half the usual size.
    let mut batch = if ahead.is_some() {
        Batch::half()
    } else {
        Batch::new()
    };
    let mut judged: Option<Headers<S>> = None;
    // Holds the sets closed by the last step; judges and batches the held ones once their
    // interchange is settled (`end`: the file ended, all are).
    let mut step = |feed: &mut StreamFeed<S>, window: &[u8], base: usize, end: bool| {
        if ahead.is_some_and(|stop| stop.load(Ordering::Relaxed)) {
            return Err(stopped());
        }
        while let Some(mut closed) = feed.scanner.take_closed() {
            let tx = &mut closed.transaction;
            if opts.relax_envelope {
                relax_findings(&mut tx.findings);
            }
            // A set too large to read is rejected unread. The window holds every other set
            // that closed with its trailer; one closed without (its span is its header) is
            // rejected by that alone, whatever its bytes.
            let (start, end) = (tx.span.start, tx.span.end);
            let bytes = if super::super::exceeds(limits, tx.segment_count, tx.span.len()) {
                &[][..]
            } else {
                window
                    .get(start.wrapping_sub(base)..end.wrapping_sub(base))
                    .unwrap_or_default()
            };
            hold.push(closed, bytes)?;
        }
        let settled = feed.scanner.settled();
        if hold.first_interchange().is_some_and(|n| n < settled) {
            let map = feed.scanner.map();
            hold.release(|closed, bytes| {
                let headers = judge(map, &closed, &mut judged, opts.relax_envelope);
                let c = Closed {
                    interchange: headers.0,
                    group: headers.1,
                    transaction: closed.transaction,
                };
                if batch.push(c, bytes) {
                    full(&mut batch)?;
                }
                Ok(())
            })?;
        }
        if end {
            full(&mut batch)?;
        }
        io::Result::Ok(())
    };
    let total = pump_with(reader, reading.chunk, &mut feed, |feed, window, base| {
        step(feed, window, base, false)
    })?;
    feed.scanner.end(total);
    step(&mut feed, &[], total, true)?;
    let mut map = feed.finish(total);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    Ok(map)
}

/// Shared judged copies of an interchange and a group.
type Headers<S> = (Arc<Interchange<S>>, Arc<Group<S>>);

/// The interchange and group of a set, with their findings as the scan left them once the
/// interchange was settled (relaxed when asked), shared with the set before when it is in the
/// same group.
fn judge<S: Mapping>(
    map: &EnvelopeMap<S>,
    closed: &Closed<S>,
    last: &mut Option<Headers<S>>,
    relax: bool,
) -> Headers<S> {
    let same = |(i, g): &Headers<S>| {
        i.number == closed.interchange.number && g.number == closed.group.number
    };
    if let Some(h) = last.as_ref().filter(|h| same(h)) {
        return h.clone();
    }
    let (ic, gr) = map.judged(closed);
    let (mut ic, mut gr) = (ic.without_groups(), gr.without_transactions());
    if relax {
        relax_findings(&mut ic.findings);
        relax_findings(&mut gr.findings);
    }
    let h = (Arc::new(ic), Arc::new(gr));
    *last = Some(h.clone());
    h
}

#[cfg(test)]
mod tests {
    use super::super::translate_all;
    use super::*;
    use crate::envelope::Envelope;
    use crate::map::Status;
    use crate::syntax::SegmentView;
    use crate::syntax::x12::X12;

    /// A reader that counts the bytes it hands out.
    struct Counting<'a>(&'a [u8], usize);

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1 += n;
            Ok(n)
        }
    }

    /// The sample 850 three times: interchanges 1 and 3 clean, interchange 2 with an IEA that
    /// counts two groups where it has one (read after its set closed).
    fn three_interchanges() -> Vec<u8> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let one = std::fs::read_to_string(root.join("samples/x12/850-northwind.edi")).unwrap();
        let bad = one.replace("IEA*1*000004201~", "IEA*2*000004201~");
        assert_ne!(one, bad);
        [one.as_str(), bad.as_str(), one.as_str()]
            .concat()
            .into_bytes()
    }

    fn streamed(input: &[u8], chunk: usize, hold: usize) -> (Vec<Outcome>, usize) {
        let mut reader = Counting(input, 0);
        let mut out = Vec::new();
        translate_reader_holding::<X12, _, _>(
            &mut reader,
            &GrammarSet::builtin().unwrap(),
            &Options::default(),
            chunk,
            hold,
            |c, o| {
                // The sink sees the judged interchange: its findings are final.
                assert_eq!(c.interchange.rejected(), c.interchange.number == 1);
                out.push(o);
                Ok(())
            },
        )
        .unwrap();
        (out, reader.1)
    }

    #[test]
    fn one_pass_reads_each_byte_once_and_judges_sets_by_their_later_trailers() {
        let input = three_interchanges();
        let (_, whole) =
            translate_all::<X12>(&input, &GrammarSet::builtin().unwrap(), &Options::default());
        let expected = serde_json::to_string(&whole).unwrap();
        // Small and large windows; held sets in memory, or every one spilled to a file.
        for (chunk, hold) in [
            (64, 0),
            (100, usize::MAX),
            (1 << 20, 0),
            (1 << 20, usize::MAX),
        ] {
            let (outcomes, read) = streamed(&input, chunk, hold);
            assert_eq!(read, input.len(), "chunk {chunk}: every byte read once");
            assert_eq!(serde_json::to_string(&outcomes).unwrap(), expected);
            let status: Vec<Status> = outcomes.iter().map(|o| o.status).collect();
            assert_eq!(
                status,
                [Status::Accepted, Status::Rejected, Status::Accepted],
                "chunk {chunk}, hold {hold}"
            );
            let reasons = &outcomes[1].envelope_reasons;
            assert!(
                reasons.iter().any(|r| r.message.contains("IEA01 says 2")),
                "{reasons:?}"
            );
        }
    }

    /// What translation reads of a segment: where it is, its tag and its values.
    type Seen = (usize, crate::syntax::Span, Vec<u8>, Vec<Vec<u8>>);

    fn seen<S: Envelope>(s: &S::Segment<'_>) -> Seen {
        let values = s.values().map(<[u8]>::to_vec).collect();
        (s.index(), s.span(), s.tag().to_vec(), values)
    }

    /// Checks that the envelope scan marks each set's segments as a second read of its bytes
    /// finds them, so translation needs no second read; a set with a line break inside a
    /// segment (read without it) is not marked, and is read again. Returns how many sets were
    /// marked and how many not.
    fn marks_agree<S: Envelope>(input: &[u8]) -> (usize, usize) {
        let map = crate::envelope::scan::<S>(input);
        let (mut marked, mut unmarked) = (0, 0);
        for (i, _, _, tx) in map.transactions() {
            let ic = &map.interchanges[i];
            let bytes = &input[tx.span.start..tx.span.end];
            let again: Vec<_> = S::resume(bytes, ic.delimiters, tx.span.start, tx.first_index, 0)
                .map(|s| seen::<S>(&s))
                .collect();
            let Some(spans) = tx.marks.within(bytes.len()) else {
                unmarked += 1;
                continue;
            };
            let remade: Vec<_> =
                S::remade(bytes, ic.delimiters, tx.span.start, tx.first_index, spans)
                    .map(|s| seen::<S>(&s))
                    .collect();
            assert_eq!(remade, again);
            marked += 1;
        }
        (marked, unmarked)
    }

    #[test]
    fn the_scan_marks_each_sets_segments_as_a_second_read_finds_them() {
        use crate::syntax::edifact::Edifact;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let x12 = three_interchanges();
        assert_eq!(marks_agree::<X12>(&x12), (3, 0));
        // CRLF after each terminator, and a line break inside the second set's PO1.
        let text = String::from_utf8(x12).unwrap().replace('~', "~\r\n");
        let nth = text.match_indices("PO1*").nth(3).unwrap().0;
        let wrapped = format!("{}PO\n1{}", &text[..nth], &text[nth + 2..]);
        assert_eq!(marks_agree::<X12>(wrapped.as_bytes()), (2, 1));
        for f in [
            "orders-d96a.edi",
            "desadv-d96a.edi",
            "invoic-d96a.edi",
            "orders-d01b.edi",
        ] {
            let edi = std::fs::read(root.join("samples/edifact").join(f)).unwrap();
            let (marked, unmarked) = marks_agree::<Edifact>(&edi);
            assert!(marked > 0 && unmarked == 0, "{f}: {marked}, {unmarked}");
        }
    }

    /// Held sets that do not fit in memory go to the folder the options name (a run's work
    /// directory, not a `/tmp` that may be memory): a folder that is not there fails the read.
    #[test]
    fn held_sets_spill_into_the_folder_asked_for() {
        let input = three_interchanges();
        let dir = tempfile::tempdir().unwrap();
        let read = |spill_dir: std::path::PathBuf| {
            let opts = Options {
                spill_dir: Some(spill_dir),
                ..Options::default()
            };
            let grammars = GrammarSet::builtin().unwrap();
            translate_reader_holding::<X12, _, _>(&input[..], &grammars, &opts, 4096, 0, |_, _| {
                Ok(())
            })
            .map(|_| ())
        };
        read(dir.path().to_path_buf()).expect("spilled into the folder");
        let missing = read(dir.path().join("missing")).expect_err("no such folder");
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        // Said so that an operator knows what the file is and where to look.
        let said = missing.to_string();
        assert!(
            said.contains("missing")
                && said.contains("interchange too large to hold in memory could not be created"),
            "{said}"
        );
    }

    /// Scanning a batch ahead on a thread of its own hands on the same outcomes in the same
    /// order as the plain way; an error reading the stream, or one of the sink, ends it with
    /// that error, with what the plain way handed on before it, no call of the sink after it,
    /// and the scan stopped well before the end of the stream.
    #[test]
    fn scanning_ahead_hands_on_what_the_plain_way_does_and_stops_on_errors() {
        let mut input = Vec::new();
        // Several batches (`Batch::BYTES`) of sets, a few interchanges each.
        crate::synthetic::x12_850s(&mut input, 5 << 19, 11).unwrap();
        let grammars = GrammarSet::builtin().unwrap();
        let opts = Options::default();
        let read = |threads: usize, scan_ahead: bool, fail_read: bool, fail_at: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut seen = Vec::new();
                let mut calls = 0;
                let reading = Reading {
                    chunk: 1 << 16,
                    hold: hold::MEMORY,
                    scan_ahead,
                };
                // A stream that fails after most of the file.
                let cut = if fail_read {
                    input.len() * 3 / 4
                } else {
                    input.len()
                };
                let mut reader = Tracked {
                    data: &input[..cut],
                    fail: fail_read,
                    read: 0,
                    on_scan_thread: false,
                };
                let prepare = |o: &mut Outcome| o.offset;
                let done = translate_reader_prepared::<X12, _, _, _>(
                    &mut reader,
                    &grammars,
                    &opts,
                    reading,
                    &prepare,
                    |_, o, p| {
                        assert_eq!(p, o.offset, "prepared for another outcome");
                        calls += 1;
                        if seen.len() == fail_at {
                            return Err(io::Error::other("sink full"));
                        }
                        seen.push((o.offset, o.status, o.document, o.findings.len()));
                        Ok(())
                    },
                );
                let run = Run {
                    calls,
                    on_scan_thread: reader.on_scan_thread,
                };
                (done.map(|_| ()), seen, run)
            })
        };
        let (done, want, plain) = read(2, false, false, usize::MAX);
        done.unwrap();
        assert!(!plain.on_scan_thread);
        assert!(want.len() > 1000, "{} sets", want.len());
        let (done, want_cut, _) = read(2, false, true, usize::MAX);
        assert_eq!(done.unwrap_err().to_string(), "the disk went away");
        assert!(want_cut.len() > 500 && want.starts_with(&want_cut));
        for threads in [2, 3] {
            let (done, got, run) = read(threads, true, false, usize::MAX);
            done.unwrap();
            assert!(run.on_scan_thread, "{threads} threads: not scanned ahead");
            assert!(got == want, "{threads} threads");
            let (done, got, _) = read(threads, true, true, usize::MAX);
            assert_eq!(done.unwrap_err().to_string(), "the disk went away");
            assert!(got == want_cut, "{threads} threads, read error");
            let (done, got, run) = read(threads, true, false, 300);
            assert_eq!(done.unwrap_err().to_string(), "sink full");
            assert!(got[..] == want[..300], "{threads} threads, sink error");
            assert_eq!(
                run.calls, 301,
                "{threads} threads: the sink called after its error"
            );
        }
        // After the sink's error the scan stops at its next step: it does not read on to the
        // end of an interchange of 16 MiB, whose sets would wait (and spill) for its trailer.
        let mut long = input[..input.len() / 2].to_vec();
        let tail = crate::synthetic::Numbering {
            first_interchange: 900_000,
            first_order: 900_000,
            batch: 10_000,
        };
        crate::synthetic::x12_850s_numbered(&mut long, 16 << 20, 12, tail).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let mut reader = Tracked {
            data: &long,
            fail: false,
            read: 0,
            on_scan_thread: false,
        };
        let reading = Reading::new(1 << 16, true);
        let done = pool.install(|| {
            translate_reader_prepared::<X12, _, _, _>(
                &mut reader,
                &grammars,
                &opts,
                reading,
                &|_: &mut Outcome| (),
                |_, _, ()| Err(io::Error::other("sink full")),
            )
        });
        assert_eq!(done.unwrap_err().to_string(), "sink full");
        assert!(reader.on_scan_thread);
        assert!(
            reader.read < long.len() / 2,
            "read {} of {} bytes",
            reader.read,
            long.len()
        );
    }

    /// What a call of [`translate_reader_prepared`] did besides its outcomes.
    struct Run {
        calls: usize,
        on_scan_thread: bool,
    }

    /// A stream of `data` that then fails (when `fail`) or ends, and notes how many bytes it
    /// gave and whether the thread that read it was the scan thread.
    struct Tracked<'a> {
        data: &'a [u8],
        fail: bool,
        read: usize,
        on_scan_thread: bool,
    }

    impl Read for Tracked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.on_scan_thread |= std::thread::current().name() == Some("tallyman-scan");
            let n = self.data.read(buf)?;
            self.read += n;
            if n == 0 && self.fail && !buf.is_empty() {
                return Err(io::Error::other("the disk went away"));
            }
            Ok(n)
        }
    }
}
