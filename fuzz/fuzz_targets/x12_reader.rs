//! The X12 tokenizer on arbitrary bytes (invariants in `tallyman::fuzzing::x12_reader`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let chunk = data.first().map_or(7, |&b| usize::from(b % 64) + 1);
    tallyman::fuzzing::x12_reader(data, chunk);
    tallyman::fuzzing::segment_limits(data, chunk);
});
