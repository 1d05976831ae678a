//! The whole translate path for any input (format detection, X12 or EDIFACT envelope pass,
//! validation, mapping), streamed as the command runs it (invariants in
//! `tallyman::fuzzing::translate_any`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::translate_any(data);
});
