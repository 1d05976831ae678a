//! Invariant checks shared by the cargo-fuzz targets (`fuzz/`) and the regression tests
//! (`tests/regressions.rs`), so a crash found by the fuzzer is replayed by `cargo test` with the
//! very same assertions. Each function panics when an invariant does not hold.

use crate::grammar::GrammarSet;
use crate::map::x12::translate_all;
use crate::map::{Options, Status};
use crate::syntax::edifact;
use crate::syntax::x12::{Next, Reader, Tokenizer};
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
    let (map, outcomes) = translate_all(data, grammars(), &Options::default());
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
    // The streaming path (flat memory, two passes) gives exactly what the in-memory one does,
    // through windows of any size.
    for chunk in [64, 4096] {
        let mut streamed = Vec::new();
        crate::map::x12::translate_reader(
            std::io::Cursor::new(data),
            grammars(),
            &Options::default(),
            chunk,
            |_, _, o| {
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
    // EDIFACT: the streamed outcomes equal the in-memory ones.
    if report.format == crate::translate::Format::Edifact {
        let (_, whole) = crate::map::edifact::translate_all(data, grammars(), &Options::default());
        let a = serde_json::to_string(&whole).expect("serializes");
        let b = serde_json::to_string(&outcomes).expect("serializes");
        assert_eq!(a, b, "streamed outcomes differ from in-memory ones");
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
