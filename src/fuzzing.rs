//! Invariant checks shared by the cargo-fuzz targets (`fuzz/`) and the regression tests
//! (`tests/regressions.rs`), so a crash found by the fuzzer is replayed by `cargo test` with the
//! very same assertions. Each function panics when an invariant does not hold.

mod acks;
mod outbound;

pub use acks::acks_read_back;
pub use outbound::erp_export;

use crate::grammar::GrammarSet;
use crate::map::driver::{translate_all, translate_reader_holding};
use crate::map::{Options, Status};
use crate::syntax::edifact;
use crate::syntax::x12::{Next, Reader, Tokenizer, X12};
use std::sync::OnceLock;

/// The X12 tokenizer: spans inside the input and in order, indexes consecutive, and a read in
/// windows of `chunk` bytes equal to a read of the whole input.
pub fn x12_reader(data: &[u8], chunk: usize) {
    let whole: Vec<_> = Reader::new(data)
        .map(|r| r.map(|s| s.into_owned()))
        .collect();
    let mut last_end = 0;
    let mut next_index = 0;
    for r in &whole {
        match r {
            Ok(s) => {
                assert!(s.span.start <= s.span.end && s.span.end <= data.len());
                assert!(s.span.start >= last_end, "spans overlap");
                assert_eq!(s.index, next_index);
                last_end = s.span.end;
                next_index += 1;
            }
            Err(e) => {
                assert!(e.skipped.start <= e.skipped.end && e.skipped.end <= data.len());
                assert!(e.skipped.start >= last_end);
                assert!(e.offset <= data.len());
                last_end = e.skipped.end;
            }
        }
    }
    let chunked = x12_tokens(data, chunk, Tokenizer::new);
    assert_eq!(chunked, whole, "chunked read differs from whole read");
}

fn grammars() -> &'static GrammarSet {
    static G: OnceLock<GrammarSet> = OnceLock::new();
    G.get_or_init(|| GrammarSet::builtin().expect("built-in grammars"))
}

/// The whole translate path: findings inside the input, outcomes in file order and one per
/// transaction set, accepted documents serializable.
pub fn x12_translate(data: &[u8]) {
    let (map, outcomes) = translate_all::<X12>(data, grammars(), &Options::default());
    for f in map.all_findings() {
        assert!(f.offset <= data.len(), "finding past the input: {f}");
    }
    let mut last = 0;
    for o in &outcomes {
        assert!(o.offset >= last && o.offset <= data.len());
        last = o.offset;
        for f in &o.findings {
            assert!(f.offset <= data.len(), "finding past the input: {f}");
        }
        if o.status == Status::Accepted {
            let d = o.document.as_ref().expect("accepted has a document");
            serde_json::to_string(d).expect("serializes");
        }
    }
    assert_eq!(outcomes.len(), map.transactions().count());
    // The streaming path (one pass, flat memory) gives exactly what the in-memory one does,
    // through windows of any size, with held sets in memory or spilled to a file.
    for (chunk, hold) in [(64, 0), (4096, 1 << 20)] {
        let mut streamed = Vec::new();
        translate_reader_holding::<X12, _, _>(
            std::io::Cursor::new(data),
            grammars(),
            &Options::default(),
            chunk,
            hold,
            |_, o| {
                streamed.push(o);
                Ok(())
            },
        )
        .expect("in-memory input");
        let a = serde_json::to_string(&outcomes).expect("serializes");
        let b = serde_json::to_string(&streamed).expect("serializes");
        assert_eq!(
            a, b,
            "streamed outcomes differ from in-memory ones (chunk {chunk})"
        );
    }
}

/// The EDIFACT tokenizer: the same invariants as [`x12_reader`].
pub fn edifact_reader(data: &[u8], chunk: usize) {
    let whole: Vec<_> = edifact::Reader::new(data)
        .map(|r| r.map(|s| s.into_owned()))
        .collect();
    let mut last_end = 0;
    let mut next_index = 0;
    for r in &whole {
        match r {
            Ok(s) => {
                assert!(s.span.start <= s.span.end && s.span.end <= data.len());
                assert!(s.span.start >= last_end, "spans overlap");
                assert_eq!(s.index, next_index);
                // Splitting never loses bytes: the parts and separators add up.
                let parts: usize =
                    s.elements().map(<[u8]>::len).sum::<usize>() + s.elements().count();
                assert!(parts <= s.data().len() + 1);
                last_end = s.span.end;
                next_index += 1;
            }
            Err(e) => {
                assert!(e.skipped.end <= data.len());
                next_index = e.segment_index + 1;
                last_end = e.skipped.end;
            }
        }
    }
    let chunked = edifact_tokens(data, chunk, edifact::Tokenizer::new);
    assert_eq!(chunked, whole, "chunked read differs from whole read");
}

/// The whole path for any format, streamed as `tallyman translate` runs it: findings inside
/// the input, outcomes in file order, accepted documents serializable, counts consistent.
pub fn translate_any(data: &[u8]) {
    let mut outcomes = Vec::new();
    static PROFILES: OnceLock<crate::feeds::Profiles> = OnceLock::new();
    let profiles =
        PROFILES.get_or_init(|| crate::feeds::Profiles::builtin().expect("built-in profiles"));
    let report = crate::translate::translate(
        std::io::Cursor::new(data),
        grammars(),
        profiles,
        &Options::default(),
        |o| {
            outcomes.push(o.clone());
            Ok(())
        },
    )
    .expect("in-memory input");
    // Feed offsets are in the decoded text (a Windows-1252 or UTF-16 file's bytes differ);
    // X12 and EDIFACT offsets are bytes of the input.
    let bytes_exact = report.format != crate::translate::Format::Feed;
    for f in &report.findings {
        assert!(
            !bytes_exact || f.offset <= data.len(),
            "finding past the input: {f}"
        );
    }
    let mut last = 0;
    for o in &outcomes {
        assert!(o.offset >= last, "outcomes out of file order");
        assert!(!bytes_exact || o.offset <= data.len());
        last = o.offset;
        if o.status == Status::Accepted {
            serde_json::to_string(o.document.as_ref().expect("accepted")).expect("serializes");
        }
    }
    let t = report.tally;
    assert_eq!(t.accepted + t.rejected + t.not_mapped, outcomes.len());
    acks_read_back(data);
    // EDIFACT: the streamed outcomes equal the in-memory ones.
    if report.format == crate::translate::Format::Edifact {
        let (_, mut whole) =
            translate_all::<edifact::Edifact>(data, grammars(), &Options::default());
        // `translate` applies the business rules to what the driver gives.
        whole.iter_mut().for_each(crate::translate::apply_rules);
        let a = serde_json::to_string(&whole).expect("serializes");
        let b = serde_json::to_string(&outcomes).expect("serializes");
        assert_eq!(a, b, "streamed outcomes differ from in-memory ones");
        // Again in small windows, with every held message spilled to a file.
        let mut spilled = Vec::new();
        translate_reader_holding::<edifact::Edifact, _, _>(
            std::io::Cursor::new(data),
            grammars(),
            &Options::default(),
            64,
            0,
            |_, o| {
                spilled.push(o);
                Ok(())
            },
        )
        .expect("in-memory input");
        spilled.iter_mut().for_each(crate::translate::apply_rules);
        let c = serde_json::to_string(&spilled).expect("serializes");
        assert_eq!(a, c, "spilled outcomes differ from in-memory ones");
    }
}

/// What the windowed reader below needs from either tokenizer: one step, mapped onto a
/// common shape, and the notice that bytes were dropped from the front of the window.
trait Stepper {
    type Item;
    fn step(&mut self, window: &[u8], pos: &mut usize, eof: bool) -> Step<Self::Item>;
    fn consumed(&mut self, n: usize);
}

/// One step of either tokenizer: a segment or syntax error, a request for more bytes, or the end.
enum Step<T> {
    Item(T),
    NeedMore,
    End,
}

type X12Item = Result<crate::syntax::x12::SegmentRef<'static>, crate::syntax::x12::SyntaxError>;
type EdifactItem = Result<edifact::SegmentRef<'static>, edifact::SyntaxError>;

impl Stepper for Tokenizer {
    type Item = X12Item;
    fn step(&mut self, window: &[u8], pos: &mut usize, eof: bool) -> Step<X12Item> {
        match self.next(window, pos, eof) {
            Next::Segment(s) => Step::Item(Ok(s.into_owned())),
            Next::Error(e) => Step::Item(Err(e)),
            Next::NeedMore => Step::NeedMore,
            Next::End => Step::End,
        }
    }
    fn consumed(&mut self, n: usize) {
        Tokenizer::consumed(self, n)
    }
}

impl Stepper for edifact::Tokenizer {
    type Item = EdifactItem;
    fn step(&mut self, window: &[u8], pos: &mut usize, eof: bool) -> Step<EdifactItem> {
        match self.next(window, pos, eof) {
            edifact::Next::Segment(s) => Step::Item(Ok(s.into_owned())),
            edifact::Next::Error(e) => Step::Item(Err(e)),
            edifact::Next::NeedMore => Step::NeedMore,
            edifact::Next::End => Step::End,
        }
    }
    fn consumed(&mut self, n: usize) {
        edifact::Tokenizer::consumed(self, n)
    }
}

/// Reads `data` with a tokenizer made by `make`, whole (`chunk` 0) or in windows of `chunk`
/// bytes, dropping consumed bytes from the window the way the streaming reader does.
fn windowed_tokens<T: Stepper>(data: &[u8], chunk: usize, make: impl Fn() -> T) -> Vec<T::Item> {
    let mut tok = make();
    let mut out = Vec::new();
    let mut window = Vec::new();
    let (mut fed, mut pos) = (0, 0);
    if chunk == 0 {
        window.extend_from_slice(data);
        fed = data.len();
    }
    loop {
        let eof = fed == data.len();
        match tok.step(&window, &mut pos, eof) {
            Step::Item(item) => out.push(item),
            Step::End => break,
            Step::NeedMore => {
                assert!(!eof, "NeedMore at the end of the input");
                window.drain(..pos);
                tok.consumed(pos);
                pos = 0;
                let n = chunk.max(1).min(data.len() - fed);
                window.extend_from_slice(&data[fed..fed + n]);
                fed += n;
            }
        }
    }
    out
}

/// Reads `data` with an X12 tokenizer made by `make`, whole (`chunk` 0) or in windows.
fn x12_tokens(data: &[u8], chunk: usize, make: impl Fn() -> Tokenizer) -> Vec<X12Item> {
    windowed_tokens(data, chunk, make)
}

/// Reads `data` with an EDIFACT tokenizer made by `make`, whole (`chunk` 0) or in windows.
fn edifact_tokens(
    data: &[u8],
    chunk: usize,
    make: impl Fn() -> edifact::Tokenizer,
) -> Vec<EdifactItem> {
    windowed_tokens(data, chunk, make)
}

/// With a small segment length limit, over-long segments are cut the same way whether the
/// input is read whole or through windows.
pub fn segment_limits(data: &[u8], chunk: usize) {
    let limit = 48;
    let x12 = || Tokenizer::new().with_max_segment(limit);
    assert_eq!(
        x12_tokens(data, 0, x12),
        x12_tokens(data, chunk, x12),
        "X12 with a limit"
    );
    let edi = || edifact::Tokenizer::new().with_max_segment(limit);
    assert_eq!(
        edifact_tokens(data, 0, edi),
        edifact_tokens(data, chunk, edi),
        "EDIFACT with a limit"
    );
}

// ---------------------------------------------------------------------------------------------
// Structured input: the targets below decode the fuzzer's bytes into choices (a profile, a set
// of delimiters, segments, mutations) by hand, so the main crate needs no `arbitrary`.
// ---------------------------------------------------------------------------------------------

/// The fuzzer's bytes read as a stream of choices; past the end every choice is 0.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A number below `n` (0 when `n` is 0), from one byte, or two when `n` > 256.
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let v = if n > 256 {
            usize::from(u16::from_le_bytes([self.byte(), self.byte()]))
        } else {
            usize::from(self.byte())
        };
        v % n
    }

    fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    fn u64(&mut self, bytes: usize) -> u64 {
        (0..bytes).fold(0, |v, i| v | u64::from(self.byte()) << (8 * i))
    }

    /// One of `items`, removed from the list so it is not picked twice.
    fn take<T: Copy>(&mut self, items: &mut Vec<T>) -> T {
        let i = self.below(items.len());
        items.remove(i)
    }
}

fn profiles() -> &'static crate::feeds::Profiles {
    static P: OnceLock<crate::feeds::Profiles> = OnceLock::new();
    P.get_or_init(|| crate::feeds::Profiles::builtin().expect("built-in profiles"))
}

// ---------------------------------------------------------------------------------------------
// Feeds
// ---------------------------------------------------------------------------------------------

/// What one read of a feed gave, in a form that can be compared.
struct FeedRun {
    report: crate::feeds::FeedReport,
    outcomes: Vec<crate::map::Outcome>,
}

impl FeedRun {
    fn comparable(&self) -> String {
        let r = &self.report;
        let head = serde_json::json!({
            "profile": r.profile,
            "encoding": r.encoding,
            "xml": r.xml,
            "findings": r.findings,
        });
        let outcomes = serde_json::to_string(&self.outcomes).expect("serializes");
        format!("{head}\n{outcomes}")
    }
}

/// Hands out a byte slice: the first `head` bytes in one read (what the feed reader sniffs the
/// encoding and the profile from, as a file gives them), then at most `chunk` bytes per read.
struct Trickle<'a> {
    data: &'a [u8],
    head: usize,
    chunk: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let limit = if self.head > 0 {
            std::mem::take(&mut self.head)
        } else {
            self.chunk
        };
        let n = limit.min(out.len()).min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fn read_feed<R: std::io::Read>(reader: R, profile: Option<&str>) -> FeedRun {
    let opts = crate::feeds::Options::default();
    let mut outcomes = Vec::new();
    let report = crate::feeds::translate_feed(reader, profiles(), profile, &opts, |o| {
        outcomes.push(o);
        Ok(())
    })
    .expect("in-memory input");
    FeedRun { report, outcomes }
}

/// The length of the feed's text once decoded (offsets of feed findings are in that text): the
/// larger of the input's length and what encoding_rs makes of it (Windows-1252 grows, UTF-16
/// shrinks; valid UTF-8 is passed through as it is).
fn decoded_len(data: &[u8]) -> usize {
    let head = &data[..data.len().min(crate::feeds::encoding::SNIFF)];
    let enc = crate::feeds::encoding::sniff(head);
    let (text, _) = enc.decode_with_bom_removal(data);
    text.len().max(data.len())
}

/// Invariants of one feed read: offsets inside the (decoded) input and in file order, accepted
/// outcomes with a document and no error, rejected outcomes with a reason, nothing read when no
/// profile was chosen.
fn check_feed_run(run: &FeedRun, bound: usize) {
    for f in &run.report.findings {
        assert!(f.offset <= bound, "file finding past the input: {f}");
    }
    let mut last = 0;
    for o in &run.outcomes {
        assert!(o.offset <= bound, "outcome past the input ({})", o.offset);
        assert!(o.offset >= last, "outcomes out of file order");
        last = o.offset;
        for f in &o.findings {
            assert!(f.offset <= bound, "finding past the input: {f}");
        }
        let errors = o.findings.iter().any(crate::diag::Finding::is_error);
        match o.status {
            Status::Accepted => {
                let d = o.document.as_ref().expect("accepted has a document");
                assert!(!errors, "accepted with an error finding");
                serde_json::to_string(d).expect("serializes");
            }
            Status::Rejected => {
                assert!(errors, "rejected without an error finding");
                assert!(o.document.is_none(), "rejected with a document");
            }
            Status::NotMapped => {}
        }
    }
    if run.report.profile.is_none() {
        assert!(run.outcomes.is_empty(), "outcomes without a profile");
        assert!(
            run.report
                .findings
                .iter()
                .any(crate::diag::Finding::is_error),
            "no profile and no error saying so"
        );
    }
}

/// Reads a feed whole, then again through small reads: the second read must give exactly what
/// the first gave (the same bytes read twice, whatever the read sizes).
///
/// The reader sniffs the encoding from its first read and the profile from the first 8 KiB of
/// text, so the second read hands out a first piece that gives both the same answers (24 KiB,
/// when the encoding sniffed from it is the same), then `chunk` bytes at a time.
fn feed_invariants(data: &[u8], profile: Option<&str>, chunk: usize) -> FeedRun {
    use crate::feeds::encoding::{SNIFF, sniff};
    let bound = decoded_len(data);
    let first = read_feed(std::io::Cursor::new(data), profile);
    check_feed_run(&first, bound);
    let short = 24 * 1024;
    let head =
        if data.len() > short && sniff(&data[..short]) == sniff(&data[..data.len().min(SNIFF)]) {
            short
        } else {
            SNIFF
        };
    let trickled = read_feed(Trickle { data, head, chunk }, profile);
    assert_eq!(
        first.comparable(),
        trickled.comparable(),
        "a second read, in pieces of {chunk} bytes, differs from the first"
    );
    first
}

/// CSV/TSV feeds: the profile picked from the header row, then one named (chosen from the last
/// byte, so the fuzzer gets past header matching without losing the first bytes of the text).
pub fn csv_feed(data: &[u8]) {
    let chunk = data.first().map_or(7, |&b| usize::from(b % 13) + 1);
    let auto = feed_invariants(data, None, chunk);
    let ids: Vec<&str> = profiles().all().map(|p| p.id.as_str()).collect();
    if let Some(&b) = data.last() {
        let id = ids[usize::from(b) % ids.len()];
        if auto.report.profile.as_deref() == Some(id) {
            return;
        }
        let run = feed_invariants(data, Some(id), chunk);
        if !run.report.xml {
            assert_eq!(
                run.report.profile.as_deref(),
                Some(id),
                "named profile not used"
            );
        }
    }
}

/// Where the first DTD of an XML text is, read the way the feed reader reads it (up to the
/// first well-formedness error).
fn dtd_offset(text: &str) -> Option<usize> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(text);
    loop {
        let at = r.buffer_position() as usize;
        match r.read_event() {
            Ok(Event::DocType(_)) => return Some(at),
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// XML feeds: as [`csv_feed`], with the XML profiles, and a document with a DTD is refused:
/// reading stops at the DTD or before it, with an error, and no order at or after it comes out.
pub fn xml_feed(data: &[u8]) {
    let chunk = data.first().map_or(7, |&b| usize::from(b % 13) + 1);
    let auto = feed_invariants(data, None, chunk);
    let ids: Vec<&str> = profiles()
        .ids()
        .into_iter()
        .filter(|id| profiles().xml(id).is_some())
        .collect();
    let detected = auto.report.profile.clone();
    let mut runs = vec![auto];
    if let Some(&b) = data.last()
        && detected.as_deref() != Some(ids[usize::from(b) % ids.len()])
    {
        let id = ids[usize::from(b) % ids.len()];
        let run = feed_invariants(data, Some(id), chunk);
        // (None when a DTD refused the document before any profile was looked at.)
        let used = run.report.profile.as_deref();
        assert!(
            used.is_none_or(|p| p == id),
            "profile {used:?} used, not {id}"
        );
        runs.push(run);
    }
    let head = &data[..data.len().min(crate::feeds::encoding::SNIFF)];
    let (text, _) = crate::feeds::encoding::sniff(head).decode_with_bom_removal(data);
    if let Some(at) = dtd_offset(&text) {
        for run in runs.iter().filter(|r| r.report.xml) {
            // Refused: reading stopped at the DTD or before it (a DTD finding, a document not
            // well-formed, an order over a limit with the rest of the file left unread).
            let stopped = run
                .report
                .findings
                .iter()
                .any(crate::diag::Finding::is_error)
                || run
                    .outcomes
                    .iter()
                    .flat_map(|o| &o.findings)
                    .any(|f| f.code == crate::diag::Code::LimitExceeded);
            assert!(stopped, "a document with a DTD at {at} is not refused");
            for o in &run.outcomes {
                assert!(
                    o.offset < at,
                    "an order at {} was read after the DTD at {at}",
                    o.offset
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// The run configuration on any text: an error names `config:LINE:` with a line inside the
/// text; a configuration that loads has channels with unique, well-formed ids and only
/// absolute paths.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match crate::config::Config::parse(text, std::path::Path::new("/base")) {
        Err(e) => {
            let shown = e.to_string();
            let rest = shown
                .strip_prefix("config:")
                .unwrap_or_else(|| panic!("error without 'config:': {shown}"));
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let line: usize = digits
                .parse()
                .unwrap_or_else(|_| panic!("error without a line number: {shown}"));
            let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
            assert!(
                (1..=lines).contains(&line),
                "line {line} outside the text's {lines} lines: {shown}"
            );
            let message = rest[digits.len()..].strip_prefix(": ").unwrap_or("");
            assert!(
                !message.trim().is_empty(),
                "error without a message: {shown}"
            );
        }
        Ok(c) => {
            assert!(!c.channels.is_empty(), "a configuration without channels");
            let mut ids = std::collections::HashSet::new();
            for ch in &c.channels {
                assert!(
                    !ch.id.is_empty()
                        && ch
                            .id
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                    "bad channel id '{}'",
                    ch.id
                );
                assert!(ids.insert(ch.id.clone()), "channel '{}' twice", ch.id);
                // A remote drop folder keeps its URL; a local one is made absolute.
                let remote = ch.sftp.as_ref().is_some_and(|s| s.inbound.is_some());
                assert!(
                    remote || ch.inbound.is_absolute(),
                    "relative inbound {:?}",
                    ch.inbound
                );
                if let Some(s) = &ch.sftp {
                    assert!(s.settings.key.is_some() || s.settings.password_env.is_some());
                    for l in s.inbound.iter().chain(s.outbound.iter()) {
                        assert!(l.path.starts_with('/') && !l.path.split('/').any(|c| c == ".."));
                    }
                }
                if ch.profile.is_some() {
                    assert_eq!(ch.format, crate::config::ChannelFormat::Feed);
                }
            }
            let mut paths = vec![&c.work, &c.erp_inbox];
            if let crate::config::LedgerAt::Sqlite(p) = &c.ledger {
                paths.push(p);
            }
            assert!(!c.worker.is_empty() && !c.worker.chars().any(char::is_control));
            paths.extend(c.erp_outbox.iter());
            paths.extend(c.grammars.iter());
            paths.extend(c.feeds.iter());
            for p in paths {
                assert!(p.is_absolute(), "relative path {p:?}");
            }
            assert!(
                c.settle_seconds.is_finite() && c.settle_seconds >= 0.0,
                "settle_seconds {}",
                c.settle_seconds
            );
            for kind in c.csv_columns.keys() {
                assert!(matches!(kind.as_str(), "order" | "ship_notice" | "invoice"));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writers: segments → our writer → our reader → the same segments
// ---------------------------------------------------------------------------------------------

use crate::syntax::x12::{Element, Segment};

/// Delimiter candidates: punctuation and the control characters partners use (never letters,
/// digits or whitespace, which values and tags are made of).
const DELIMITER_POOL: &[u8] = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\x07\x1C\x1D\x1E\x1F";

/// A value: any character, with delimiters, release characters, control characters and
/// multi-byte characters likely.
fn fuzz_value(c: &mut Choices, likely: &[u8]) -> String {
    const WIDE: [&str; 6] = ["é", "…", "€", "ß", "\u{FEFF}", "\u{85}"];
    let len = c.below(9);
    let mut s = String::new();
    for _ in 0..len {
        let b = c.byte();
        match b {
            0..=0x7F => s.push(char::from(b)),
            0x80..=0xBF if !likely.is_empty() => {
                s.push(char::from(likely[usize::from(b) % likely.len()]));
            }
            _ => s.push_str(WIDE[usize::from(b) % WIDE.len()]),
        }
    }
    s
}

/// Segments with tags from `tag` and values from [`fuzz_value`]: 1 to 3 repetitions of 1 to 3
/// components per element (the owned form cannot hold fewer).
fn fuzz_segments(
    c: &mut Choices,
    likely: &[u8],
    tag: impl Fn(&mut Choices) -> String,
) -> Vec<Segment> {
    let mut segs = Vec::new();
    while !c.is_empty() && segs.len() < 24 {
        let tag = tag(c);
        let elements = (0..c.below(7))
            .map(|_| {
                Element(
                    (0..1 + c.below(3))
                        .map(|_| (0..1 + c.below(3)).map(|_| fuzz_value(c, likely)).collect())
                        .collect(),
                )
            })
            .collect();
        segs.push(Segment::new(tag, elements));
    }
    segs
}

/// Every value written for a segment (the components before the trailing empty ones of the
/// elements before the trailing empty ones), with its element's repetition count.
/// Both writers refuse a value holding a line break: the value must be one they were given.
fn line_break_refused(e: &dyn std::fmt::Display, value: &str, values: &[(&str, usize)]) {
    assert!(
        values.iter().any(|(v, _)| *v == value) && value.bytes().any(|b| b == b'\r' || b == b'\n'),
        "{e}: no such value with a line break"
    );
}

/// Both writers refuse a repeated element without a repetition separator: something repeats.
fn repetition_refused(e: &dyn std::fmt::Display, has_separator: bool, values: &[(&str, usize)]) {
    assert!(
        !has_separator && values.iter().any(|&(_, reps)| reps > 1),
        "{e}: nothing repeats or there is a separator"
    );
}

fn written_values(s: &Segment) -> Vec<(&str, usize)> {
    let n = s.clone().trimmed();
    let mut out = Vec::new();
    for (el, norm) in s.elements.iter().zip(&n.elements) {
        for (rep, nrep) in el.0.iter().zip(&norm.0) {
            for comp in &rep[..nrep.len()] {
                out.push((comp.as_str(), el.0.len()));
            }
        }
    }
    out
}

/// X12 has no release character: a value that holds a delimiter cannot be written, and the
/// writer must say so (writing nothing); so must a value holding a line break, which readers
/// take for line wrapping. Everything else reads back as written.
pub fn x12_roundtrip(data: &[u8]) {
    use crate::syntax::x12::{Delimiters, Terminator, WriteError, write_segment};
    let mut c = Choices(data);
    let mut pool = DELIMITER_POOL.to_vec();
    let element = c.take(&mut pool);
    let component = c.take(&mut pool);
    let repetition = c.flag().then(|| c.take(&mut pool));
    let terminator = match c.below(8) {
        0 => Terminator::byte(b'\n'),
        1 => Terminator::byte(b'\r'),
        2 => Terminator::byte(b' '),
        3 => Terminator::new("…".as_bytes()).expect("three bytes"),
        _ => Terminator::byte(c.take(&mut pool)),
    };
    let d = Delimiters {
        element,
        component,
        repetition,
        terminator,
    };
    // Segments on lines of their own, or one after the other.
    let line_after = c.flag();
    let mut likely = vec![element, component, terminator.first()];
    likely.extend(repetition);
    let tags = |c: &mut Choices| {
        let a = char::from(b'A' + c.below(26) as u8);
        let rest = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut t = String::from(a);
        for _ in 0..1 + c.below(2) {
            t.push(char::from(rest[c.below(rest.len())]));
        }
        if t == "ISA" || t == "IEA" {
            t.replace_range(0..1, "X");
        }
        t
    };
    let mut segs = fuzz_segments(&mut c, &likely, tags);
    // Without line breaks, a space ends a segment only before the next tag and its element
    // separator: a segment with no value (which X12 does not have) would run on into the next.
    if terminator.first() == b' ' && !line_after {
        for s in &mut segs {
            if s.clone().trimmed().elements.is_empty() {
                s.elements = vec![Element::simple("X")];
            }
        }
    }

    let isa = format!(
        "ISA{e}00{e}          {e}00{e}          {e}ZZ{e}SENDER         {e}ZZ{e}RECEIVER       {e}240101{e}1200{e}{r}{e}00501{e}000000001{e}0{e}P{e}{c}",
        e = char::from(element),
        r = repetition.map_or('U', char::from),
        c = char::from(component),
    );
    let mut out = isa.into_bytes();
    out.extend_from_slice(terminator.as_bytes());
    if line_after {
        out.push(b'\n');
    }
    let mut expected = Vec::new();
    for s in segs {
        let before = out.clone();
        match write_segment(&mut out, &s, &d) {
            Ok(()) => {
                expected.push(s.trimmed());
                if line_after {
                    out.push(b'\n');
                }
            }
            Err(e) => {
                assert_eq!(out, before, "a refused segment left bytes behind");
                let values = written_values(&s);
                match &e {
                    WriteError::DelimiterInValue { value, .. } => assert!(
                        values.iter().any(|(v, _)| v == value)
                            && value.bytes().any(|b| d.is_delimiter(b)),
                        "{e}: no such value with a delimiter"
                    ),
                    WriteError::LineBreakInValue { value, .. } => {
                        line_break_refused(&e, value, &values)
                    }
                    WriteError::NoRepetitionSeparator { .. } => {
                        repetition_refused(&e, d.repetition.is_some(), &values)
                    }
                }
            }
        }
    }
    let mut read = crate::syntax::x12::Reader::new(&out);
    let header = read
        .next()
        .expect("the ISA")
        .unwrap_or_else(|e| panic!("our ISA is refused: {e}"));
    let got = header.delimiters;
    assert_eq!(
        (
            got.element,
            got.component,
            got.repetition,
            got.terminator.as_bytes()
        ),
        (element, component, repetition, terminator.as_bytes()),
        "the ISA does not give back its delimiters"
    );
    let back: Vec<Segment> = read
        .map(|r| Segment::from_ref(&r.unwrap_or_else(|e| panic!("syntax error: {e}"))))
        .collect();
    assert_eq!(back, expected, "read back differs from what was written");
    let chunk = data.first().map_or(7, |&b| usize::from(b % 64) + 1);
    x12_reader(&out, chunk);
    // One input in four also drives the generator (its output depends on a few bytes only).
    if data.len().is_multiple_of(4) {
        generated(data, false);
    }
}

/// EDIFACT escapes with the release character: every value reads back as written; without a
/// release character a value holding a separator is refused, and a value holding a line break
/// is always refused (readers take it for line wrapping). The interchange starts with a UNA, or
/// (when the separators are the defaults) with only a UNB whose syntax version gives the
/// repetition separator.
pub fn edifact_roundtrip(data: &[u8]) {
    use crate::syntax::edifact::{
        Delimiters, WriteError, write_segment, write_una, write_una_if_needed,
    };
    let mut c = Choices(data);
    let d = if c.below(4) == 0 {
        // The defaults, with or without syntax version 4's repetition separator.
        Delimiters {
            repetition: c.flag().then_some(b'*'),
            ..Delimiters::default()
        }
    } else {
        let mut pool: Vec<u8> = DELIMITER_POOL
            .iter()
            .copied()
            .filter(|b| !matches!(b, b'.' | b','))
            .collect();
        let component = c.take(&mut pool);
        let element = c.take(&mut pool);
        let release = (c.below(4) != 0).then(|| c.take(&mut pool));
        let repetition = c.flag().then(|| c.take(&mut pool));
        let terminator = match c.below(8) {
            0 => b'\n',
            1 => b'\r',
            2 => b' ',
            _ => c.take(&mut pool),
        };
        Delimiters {
            component,
            element,
            decimal: if c.flag() { b',' } else { b'.' },
            release,
            repetition,
            terminator,
        }
    };
    let always_una = c.flag();
    let mut likely = vec![d.component, d.element, d.terminator];
    likely.extend(d.release);
    likely.extend(d.repetition);
    let tags = |c: &mut Choices| {
        let mut t: String = (0..3)
            .map(|_| char::from(b'A' + c.below(26) as u8))
            .collect();
        // A UNA, UNB or UNZ changes the separators of what follows (a new interchange).
        if matches!(t.as_str(), "UNA" | "UNB" | "UNZ") {
            t.replace_range(0..1, "X");
        }
        t
    };
    let segs = fuzz_segments(&mut c, &likely, tags);
    let mut out = Vec::new();
    let una = if always_una {
        write_una(&mut out, &d);
        true
    } else {
        write_una_if_needed(&mut out, &d)
    };
    let version = if d.repetition.is_some() { "4" } else { "3" };
    let unb = Segment::new(
        "UNB",
        vec![
            Element::composite(["UNOC", version]),
            Element::simple("SENDER"),
            Element::simple("RECEIVER"),
            Element::composite(["240101", "1200"]),
            Element::simple("1"),
        ],
    );
    let mut expected = Vec::new();
    for s in std::iter::once(unb).chain(segs) {
        let before = out.clone();
        match write_segment(&mut out, &s, &d) {
            Ok(()) => {
                expected.push(s.trimmed());
                out.extend_from_slice(b"\r\n");
            }
            Err(e) => {
                assert_eq!(out, before, "a refused segment left bytes behind");
                let values = written_values(&s);
                match &e {
                    WriteError::CannotEscape { value, .. } => assert!(
                        d.release.is_none()
                            && values.iter().any(|(v, _)| v == value)
                            && value.bytes().any(|b| d.is_special(b)),
                        "{e}: nothing to escape or a release character to do it"
                    ),
                    WriteError::LineBreakInValue { value, .. } => {
                        line_break_refused(&e, value, &values)
                    }
                    WriteError::NoRepetitionSeparator { .. } => {
                        repetition_refused(&e, d.repetition.is_some(), &values)
                    }
                }
            }
        }
    }
    let mut read = crate::syntax::edifact::Reader::new(&out);
    if una {
        let s = read
            .next()
            .expect("the UNA")
            .unwrap_or_else(|e| panic!("our UNA is refused: {e}"));
        assert_eq!(s.tag(), b"UNA");
        assert_eq!(s.delimiters, d, "the UNA does not give back its separators");
    }
    let back: Vec<Segment> = read
        .map(|r| {
            let s = r.unwrap_or_else(|e| panic!("syntax error: {e}"));
            assert_eq!(
                (
                    s.delimiters.component,
                    s.delimiters.element,
                    s.delimiters.release
                ),
                (d.component, d.element, d.release),
                "separators changed"
            );
            s.to_segment()
        })
        .collect();
    assert_eq!(back, expected, "read back differs from what was written");
    let chunk = data.first().map_or(7, |&b| usize::from(b % 64) + 1);
    edifact_reader(&out, chunk);
    // One input in four also drives the generator (its output depends on a few bytes only).
    if data.len().is_multiple_of(4) {
        generated(data, true);
    }
}

/// The benchmark generators are writers too: whatever the seed and numbering, what they write
/// translates cleanly into as many documents (numbered from the first order on) and lines as
/// they say they wrote.
fn generated(data: &[u8], edifact: bool) {
    use crate::synthetic::{Numbering, edifact_orders_numbered, x12_850s_numbered};
    let mut c = Choices(data);
    let seed = c.u64(8);
    let num = Numbering {
        first_interchange: 1 + c.u64(4) % 999_999_999,
        first_order: 1 + c.u64(5),
        batch: 1 + c.u64(1) % 3,
    };
    let target = 1 + c.u64(1) * 4;
    let mut out = Vec::new();
    let st = if edifact {
        edifact_orders_numbered(&mut out, target, seed, num)
    } else {
        x12_850s_numbered(&mut out, target, seed, num)
    }
    .expect("in memory");
    assert_eq!(st.bytes, out.len() as u64, "byte count");
    let mut docs = Vec::new();
    let report = crate::translate::translate(
        std::io::Cursor::new(&out),
        grammars(),
        profiles(),
        &Options::default(),
        |o| {
            docs.push(o.clone());
            Ok(())
        },
    )
    .expect("in memory");
    let problems: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(
        report.tally.clean() && problems.is_empty(),
        "generated ({num:?}, seed {seed}) is not clean: {problems:?}"
    );
    assert_eq!(report.tally.accepted as u64, st.orders, "orders");
    let mut lines = 0;
    for (i, o) in docs.iter().enumerate() {
        let Some(crate::model::Document::Order(order)) = &o.document else {
            panic!("not an order");
        };
        assert_eq!(
            order.order_number,
            format!("PO{:010}", num.first_order + i as u64),
            "order number"
        );
        lines += order.lines.len() as u64;
    }
    assert_eq!(lines, st.lines, "lines");
}

// ---------------------------------------------------------------------------------------------
// Grammar validation and mapping: valid documents, mutated segment by segment
// ---------------------------------------------------------------------------------------------

/// Valid X12 interchanges the structured target starts from.
const X12_BASES: [&[u8]; 4] = [
    include_bytes!("../samples/x12/850-northwind.edi"),
    include_bytes!("../samples/x12/850-005010.edi"),
    include_bytes!("../samples/x12/810-northwind.edi"),
    include_bytes!("../samples/x12/856-northwind.edi"),
];

/// Valid EDIFACT interchanges the structured target starts from.
const EDIFACT_BASES: [&[u8]; 4] = [
    include_bytes!("../samples/edifact/orders-d96a.edi"),
    include_bytes!("../samples/edifact/orders-d01b.edi"),
    include_bytes!("../samples/edifact/invoic-d96a.edi"),
    include_bytes!("../samples/edifact/desadv-d96a.edi"),
];

/// Values a mutation puts into an element: numbers around the edges, dates that do not exist,
/// codes from other places, too long and empty.
const MUTATION_VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "2",
    "-1",
    "-0",
    "00",
    "1.5",
    ".5",
    "1E3",
    "999999999",
    "99999999999999999999999999",
    "A",
    "ZZ",
    "EA",
    "USD",
    "20240231",
    "20241301",
    "19991231",
    "2400",
    "240101",
    "0000",
    "850",
    "810",
    "856",
    "004010",
    "ORDERS",
    "D",
    "96A",
    "UN",
    "BY",
    "ST",
    "SE",
    "92",
    "UP",
    " ",
    "é",
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
];

/// Where counts and control numbers sit: (tag, element, component), all 1-based.
const COUNT_FIELDS: &[(&str, usize, usize)] = &[
    ("SE", 1, 1),
    ("CTT", 1, 1),
    ("CTT", 2, 1),
    ("GE", 1, 1),
    ("IEA", 1, 1),
    ("UNT", 1, 1),
    ("UNZ", 1, 1),
    ("CNT", 1, 2),
];
const CONTROL_FIELDS: &[(&str, usize, usize)] = &[
    ("ST", 2, 1),
    ("SE", 2, 1),
    ("GS", 6, 1),
    ("GE", 2, 1),
    ("ISA", 13, 1),
    ("IEA", 2, 1),
    ("UNB", 5, 1),
    ("UNZ", 2, 1),
    ("UNH", 1, 1),
    ("UNT", 2, 1),
];

/// Tags a mutation may rename a segment to, besides those of the base documents.
const EXTRA_TAGS: &[&str] = &[
    "ZZZ", "LIN", "HL", "N9", "MSG", "IT1", "SN1", "LS", "LE", "TDS", "AMT", "FTX", "ALC", "MOA",
    "TAX", "GIN", "PAC", "CPS", "UNS", "ISA", "IEA", "GS", "GE", "ST", "SE", "UNH", "UNT",
];

/// Applies up to 16 fuzzer-chosen mutations to `segs`: drop, duplicate, swap or move segments,
/// set an element or a component, drop an element, rename a segment, change a count or a
/// control number, cut the file short. Values never hold a byte for which `is_delimiter` holds.
/// Returns how many mutations were applied.
fn mutate(c: &mut Choices, segs: &mut Vec<Segment>, is_delimiter: &dyn Fn(u8) -> bool) -> usize {
    let clean = |s: String| -> String {
        s.chars()
            .filter(|&ch| !(ch.is_ascii() && is_delimiter(ch as u8)))
            .collect()
    };
    let mut applied = 0;
    while !c.is_empty() && applied < 16 && !segs.is_empty() {
        applied += 1;
        let n = segs.len();
        let i = c.below(n);
        match c.below(11) {
            0 => {
                segs.remove(i);
            }
            1 => {
                let s = segs[i].clone();
                segs.insert(i + 1, s);
            }
            2 => {
                let j = c.below(n);
                segs.swap(i, j);
            }
            3 => {
                let s = segs.remove(i);
                let j = c.below(n);
                segs.insert(j, s);
            }
            4 => {
                let el = c.below(segs[i].elements.len() + 2);
                let v = if c.flag() {
                    MUTATION_VALUES[c.below(MUTATION_VALUES.len())].to_string()
                } else {
                    fuzz_value(c, &[])
                };
                let s = &mut segs[i];
                if s.elements.len() <= el {
                    s.elements.resize(el + 1, Element::simple(""));
                }
                s.elements[el] = Element::simple(clean(v));
            }
            5 => {
                let s = &mut segs[i];
                if s.elements.is_empty() {
                    continue;
                }
                let el = c.below(s.elements.len());
                let comps = &mut s.elements[el].0[0];
                let k = c.below(comps.len() + 2);
                if comps.len() <= k {
                    comps.resize(k + 1, String::new());
                }
                comps[k] = clean(MUTATION_VALUES[c.below(MUTATION_VALUES.len())].to_string());
            }
            6 => {
                let s = &mut segs[i];
                if !s.elements.is_empty() {
                    let el = c.below(s.elements.len());
                    s.elements.remove(el);
                }
            }
            7 => {
                let mut tags: Vec<&str> = segs.iter().map(|s| s.tag.as_str()).collect();
                tags.extend(EXTRA_TAGS);
                let t = tags[c.below(tags.len())].to_string();
                segs[i].tag = t;
            }
            op @ (8 | 9) => {
                let fields = if op == 8 {
                    COUNT_FIELDS
                } else {
                    CONTROL_FIELDS
                };
                let at: Vec<(usize, usize, usize)> = segs
                    .iter()
                    .enumerate()
                    .flat_map(|(k, s)| {
                        fields
                            .iter()
                            .filter(move |(t, _, _)| *t == s.tag)
                            .map(move |&(_, e, comp)| (k, e - 1, comp - 1))
                    })
                    .filter(|&(k, e, comp)| {
                        segs[k]
                            .elements
                            .get(e)
                            .is_some_and(|el| el.0[0].len() > comp)
                    })
                    .collect();
                if at.is_empty() {
                    continue;
                }
                let (k, e, comp) = at[c.below(at.len())];
                let v = &mut segs[k].elements[e].0[0][comp];
                let width = v.len();
                let current: i128 = v.trim().parse().unwrap_or(0);
                let next = match c.below(6) {
                    0 => current - 1,
                    1 => current + 1,
                    2 => current + 2,
                    3 => 0,
                    4 => current + 1_000_000_000,
                    _ => i128::from(c.u64(2)),
                };
                // Control numbers keep their zero padding, as a partner's software would.
                *v = format!("{next:0width$}");
            }
            _ => segs.truncate(i.max(1)),
        }
    }
    applied
}

/// The X12 segments of an interchange in the owned form; an ISA keeps its elements whole
/// (ISA16 is the component separator itself).
fn x12_owned(data: &[u8]) -> (crate::syntax::x12::Delimiters, Vec<Segment>) {
    let mut d = None;
    let segs = crate::syntax::x12::Reader::new(data)
        .map(|r| {
            let s = r.expect("a valid base document");
            d.get_or_insert(s.delimiters);
            if s.tag() == b"ISA" {
                let els = s
                    .elements()
                    .map(|v| Element::simple(crate::syntax::text::decode(v)))
                    .collect();
                Segment::new("ISA", els)
            } else {
                Segment::from_ref(&s)
            }
        })
        .collect();
    (d.expect("an ISA"), segs)
}

/// Writes X12 segments with our writer; a segment it refuses (an ISA, whose ISA16 is the
/// component separator, or one renamed from an ISA) is written as it is, delimiters in values
/// and all, as a careless partner would.
fn x12_bytes(segs: &[Segment], d: &crate::syntax::x12::Delimiters) -> Vec<u8> {
    let mut out = Vec::new();
    for s in segs {
        if s.tag == "ISA" || crate::syntax::x12::write_segment(&mut out, s, d).is_err() {
            out.extend_from_slice(s.tag.as_bytes());
            for el in &s.elements {
                out.push(d.element);
                for (r, rep) in el.0.iter().enumerate() {
                    if r > 0 {
                        out.push(d.repetition.unwrap_or(d.component));
                    }
                    for (k, comp) in rep.iter().enumerate() {
                        if k > 0 {
                            out.push(d.component);
                        }
                        out.extend_from_slice(comp.as_bytes());
                    }
                }
            }
            out.extend_from_slice(d.terminator.as_bytes());
        }
        out.push(b'\n');
    }
    out
}

/// A valid X12 interchange (chosen by the first byte), mutated segment by segment (see
/// [`mutate`]), written with our writer and translated with the checks of [`x12_translate`]
/// and [`translate_any`]. Unmutated, every base document translates cleanly.
pub fn x12_structured(data: &[u8]) {
    let mut c = Choices(data);
    let base = X12_BASES[c.below(X12_BASES.len())];
    let (d, mut segs) = x12_owned(base);
    let applied = mutate(&mut c, &mut segs, &|b| d.is_delimiter(b));
    let bytes = x12_bytes(&segs, &d);
    if applied == 0 {
        assert_clean(&bytes);
    }
    x12_translate(&bytes);
    translate_any(&bytes);
}

/// The EDIFACT segments of an interchange in the owned form, and the separators in force after
/// its UNB (whether a UNA declared them).
fn edifact_owned_all(data: &[u8]) -> (edifact::Delimiters, bool, Vec<Segment>) {
    let mut d = edifact::Delimiters::default();
    let mut una = false;
    let mut segs = Vec::new();
    for r in edifact::Reader::new(data) {
        let s = r.expect("a valid base document");
        d = s.delimiters;
        if s.tag() == b"UNA" {
            una = true;
        } else {
            segs.push(s.to_segment());
        }
    }
    (d, una, segs)
}

/// [`x12_structured`] for EDIFACT: values are escaped by the writer, so a mutation may put any
/// character in them but a line break (which the writer refuses: readers drop it as wrapping).
pub fn edifact_structured(data: &[u8]) {
    let mut c = Choices(data);
    let base = EDIFACT_BASES[c.below(EDIFACT_BASES.len())];
    let (d, una, mut segs) = edifact_owned_all(base);
    let applied = mutate(&mut c, &mut segs, &|b| matches!(b, b'\r' | b'\n'));
    let mut bytes = Vec::new();
    if una {
        edifact::write_una(&mut bytes, &d);
    }
    for s in &segs {
        edifact::write_segment(&mut bytes, s, &d)
            .unwrap_or_else(|e| panic!("a mutated segment cannot be written: {e}"));
        bytes.push(b'\n');
    }
    if applied == 0 {
        assert_clean(&bytes);
    }
    let chunk = data.first().map_or(7, |&b| usize::from(b % 64) + 1);
    edifact_reader(&bytes, chunk);
    translate_any(&bytes);
}

/// The file translates with every document accepted and no finding at all.
fn assert_clean(data: &[u8]) {
    let report = crate::translate::translate(
        std::io::Cursor::new(data),
        grammars(),
        profiles(),
        &Options::default(),
        |_| Ok(()),
    )
    .expect("in memory");
    let problems: Vec<String> = report.findings.iter().map(ToString::to_string).collect();
    assert!(
        report.tally.clean() && report.tally.accepted > 0 && problems.is_empty(),
        "an unmutated base document is not clean: {problems:?}"
    );
}
