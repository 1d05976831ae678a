//! Valid EDIFACT interchanges mutated segment by segment, then validated and mapped
//! (invariants in `tallyman::fuzzing::edifact_structured`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::edifact_structured(data);
});
