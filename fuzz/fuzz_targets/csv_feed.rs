//! CSV/TSV marketplace feeds, the profile picked from the header row and then named
//! (invariants in `tallyman::fuzzing::csv_feed`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::csv_feed(data);
});
