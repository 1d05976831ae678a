//! The X12 tokenizer on arbitrary bytes: no panic, spans inside the input and increasing,
//! segment indexes consecutive, and a chunked read equal to a whole read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tallyman::syntax::x12::{Next, Reader, Tokenizer};

fuzz_target!(|data: &[u8]| {
    let whole: Vec<_> = Reader::new(data).map(|r| r.map(|s| s.into_owned())).collect();
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
                last_end = e.skipped.end;
            }
        }
    }
    // Chunked in windows of 7 bytes: the same segments and errors.
    let mut tok = Tokenizer::new();
    let mut window = Vec::new();
    let (mut fed, mut pos) = (0, 0);
    let mut chunked = Vec::new();
    loop {
        let eof = fed == data.len();
        match tok.next(&window, &mut pos, eof) {
            Next::Segment(s) => chunked.push(Ok(s.into_owned())),
            Next::Error(e) => chunked.push(Err(e)),
            Next::End => break,
            Next::NeedMore => {
                assert!(!eof, "NeedMore at end of input");
                window.drain(..pos);
                tok.consumed(pos);
                pos = 0;
                let n = 7.min(data.len() - fed);
                window.extend_from_slice(&data[fed..fed + n]);
                fed += n;
            }
        }
    }
    assert_eq!(chunked, whole);
});
