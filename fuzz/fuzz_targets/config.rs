//! The run configuration loader on any UTF-8 text (invariants in
//! `tallyman::fuzzing::config`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::config(data);
});
