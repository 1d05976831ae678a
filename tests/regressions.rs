//! Inputs that once broke an invariant (found by the fuzzer, named after the bug), replayed
//! with the fuzz targets' own checks, in windows of several sizes.

mod common;

#[test]
fn regression_inputs_hold_every_invariant() {
    let files = common::files(
        &common::root().join("tests/regressions"),
        &["bin", "edi", "csv"],
    );
    assert!(!files.is_empty());
    for path in files {
        let data = std::fs::read(&path).unwrap();
        for chunk in [1, 3, 7, 64, 4096] {
            tallyman::fuzzing::x12_reader(&data, chunk);
            tallyman::fuzzing::edifact_reader(&data, chunk);
            tallyman::fuzzing::segment_limits(&data, chunk);
        }
        tallyman::fuzzing::x12_translate(&data);
        tallyman::fuzzing::translate_any(&data);
    }
}

/// Every fixture and sample, in small windows too (the chunked reader must equal the whole one).
#[test]
fn fixtures_hold_every_invariant() {
    let root = common::root();
    for dir in [
        "samples/x12",
        "tests/fixtures/x12/valid",
        "tests/fixtures/x12/invalid",
    ] {
        for path in common::files(&root.join(dir), &["edi", "csv", "txt"]) {
            let data = std::fs::read(&path).unwrap();
            for chunk in [1, 5, 13, 100] {
                tallyman::fuzzing::x12_reader(&data, chunk);
            }
            tallyman::fuzzing::x12_translate(&data);
        }
    }
}
