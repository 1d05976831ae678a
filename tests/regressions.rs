//! Inputs that once broke an invariant (found by the fuzzer, named after the bug), replayed
//! with the fuzz targets' own checks, in windows of several sizes.
//!
//! An input that still breaks an invariant (a bug not fixed yet) is kept as an `#[ignore]` test
//! that replays it, naming the bug; once fixed, the file moves into its target's folder. The
//! writers' line-break refusals (`x12_roundtrip/`, `edifact_roundtrip/`) started that way.

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

/// The real X12 and EDIFACT files of the shared corpus (when it is beside the repository): the
/// streaming translation, which keeps only envelopes with findings, gives what the in-memory one
/// does.
#[test]
fn corpus_holds_every_invariant() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let mut seen = 0;
    let x12 = ["x12-850", "x12-856", "x12-810", "x12-other"];
    let edifact = [
        "edifact-orders",
        "edifact-desadv",
        "edifact-invoic",
        "edifact-other",
    ];
    for dir in x12.iter().chain(&edifact).chain(&["negative"]) {
        for path in common::files(&corpus.join(dir), &["edi", "x12", "txt", "dat", "edifact"]) {
            let data = std::fs::read(&path).unwrap();
            if !edifact.contains(dir) {
                tallyman::fuzzing::x12_translate(&data);
            }
            // Any format; for EDIFACT, streamed and in-memory outcomes are compared.
            tallyman::fuzzing::translate_any(&data);
            seen += 1;
        }
    }
    assert!(seen > 10, "only {seen} corpus files");
}

/// A target's checks, given the fuzzer's bytes.
type Check = fn(&[u8]);

/// The targets that read their bytes their own way, by folder: a crash input of TARGET is kept
/// in `tests/regressions/TARGET/` (any file name) and replayed with that target's checks.
const TARGETS: &[(&str, Check)] = &[
    ("csv_feed", tallyman::fuzzing::csv_feed),
    ("xml_feed", tallyman::fuzzing::xml_feed),
    ("config", tallyman::fuzzing::config),
    ("x12_roundtrip", tallyman::fuzzing::x12_roundtrip),
    ("edifact_roundtrip", tallyman::fuzzing::edifact_roundtrip),
    ("x12_structured", tallyman::fuzzing::x12_structured),
    ("edifact_structured", tallyman::fuzzing::edifact_structured),
    ("erp_export", tallyman::fuzzing::erp_export),
];

/// Every file of a folder (none when it does not exist), sorted.
fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<_> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn target_regressions_hold_every_invariant() {
    let root = common::root().join("tests/regressions");
    for (target, check) in TARGETS {
        for path in all_files(&root.join(target)) {
            eprintln!("{target}: {}", path.display());
            check(&std::fs::read(&path).unwrap());
        }
    }
}

/// The feed and configuration targets' seeds (our samples, fixtures and `fuzz/seeds/`).
#[test]
fn seeds_hold_every_invariant() {
    let root = common::root();
    for dir in [
        "samples/feeds",
        "tests/fixtures/feeds/valid",
        "tests/fixtures/feeds/invalid",
    ] {
        for path in all_files(&root.join(dir)) {
            tallyman::fuzzing::csv_feed(&std::fs::read(&path).unwrap());
        }
    }
    // Large enough for the second read to come in small pieces after its first 24 KiB.
    let mut big = Vec::new();
    tallyman::synthetic::shopify_csv(&mut big, 40_000, 7).unwrap();
    tallyman::fuzzing::csv_feed(&big);
    let xml = all_files(&root.join("fuzz/seeds/xml"));
    assert!(!xml.is_empty());
    for path in xml {
        tallyman::fuzzing::xml_feed(&std::fs::read(&path).unwrap());
    }
    let mut configs = all_files(&root.join("fuzz/seeds/config"));
    configs.push(root.join("samples/demo/tallyman.toml"));
    for path in configs {
        tallyman::fuzzing::config(&std::fs::read(&path).unwrap());
    }
}

/// The structured targets on a few hundred pseudo-random inputs: a fuzz run in miniature, so a
/// change that breaks a round trip or a base document shows in `cargo test` too.
#[test]
fn structured_targets_hold_on_pseudo_random_input() {
    // Seeded: the same inputs every run, so a failure here fails again.
    let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
    for round in 0..24 {
        let len = rng.usize(..160);
        let data: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let data = if round == 0 { Vec::new() } else { data };
        tallyman::fuzzing::x12_roundtrip(&data);
        tallyman::fuzzing::edifact_roundtrip(&data);
        tallyman::fuzzing::x12_structured(&data);
        tallyman::fuzzing::edifact_structured(&data);
    }
}
