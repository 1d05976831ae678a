//! The whole X12 translate path on arbitrary bytes and mutations of valid interchanges
//! (invariants in `tallyman::fuzzing::x12_translate`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::x12_translate(data);
});
