//! Valid X12 interchanges mutated segment by segment (drop, duplicate, move, set values,
//! counts, control numbers), then validated and mapped (invariants in
//! `tallyman::fuzzing::x12_structured`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::x12_structured(data);
});
