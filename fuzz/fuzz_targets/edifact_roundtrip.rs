//! Segments with any values and separators → the EDIFACT writer (escaping) → the reader
//! → the same segments, and the ORDERS generator → translate (invariants in
//! `tallyman::fuzzing::edifact_roundtrip`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::edifact_roundtrip(data);
});
