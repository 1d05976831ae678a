//! Segments with any values and delimiters → the X12 writer → the X12 reader → the same
//! segments, and the 850 generator → translate (invariants in `tallyman::fuzzing::x12_roundtrip`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::x12_roundtrip(data);
});
