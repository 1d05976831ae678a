//! ERP export readers on any bytes, and the 856/810/DESADV/INVOIC writers on what they read
//! (invariants in `tallyman::fuzzing::erp_export`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::erp_export(data);
});
