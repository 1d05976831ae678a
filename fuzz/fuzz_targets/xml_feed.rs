//! XML marketplace feeds (Walmart, Amazon MWS), the profile picked from the root element
//! and then named; a DTD is refused (invariants in `tallyman::fuzzing::xml_feed`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tallyman::fuzzing::xml_feed(data);
});
