//! Our own fixtures and samples, X12 and EDIFACT: valid ones translate (snapshots of the
//! canonical JSON), invalid ones are rejected at the segment their `.why` file names.

mod common;

use common::{files, report, root, translate};
use tallyman::grammar::Strictness;
use tallyman::map::Status;

/// Sets and messages that are checked but not translated.
const NOT_MAPPED: &[&str] = &["855", "CONTRL", "APERAK"];

fn valid_fixtures_translate(standard: &str) {
    let dir = root().join(format!("tests/fixtures/{standard}/valid"));
    for path in files(&dir, &["edi"]) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let t = translate(&path, Strictness::Strict);
        let errors = t.errors();
        assert!(errors.is_empty(), "{name}: unexpected errors: {errors:#?}");
        for o in &t.outcomes {
            let expected = if NOT_MAPPED.contains(&o.set_id.as_str()) {
                Status::NotMapped
            } else {
                Status::Accepted
            };
            assert_eq!(o.status, expected, "{name}: {} {:?}", o.set_id, o.findings);
        }
        assert!(!t.outcomes.is_empty(), "{name}: no transaction sets");
        insta::assert_snapshot!(format!("{standard}_valid__{name}"), report(&t));
    }
}

fn samples_translate(standard: &str) {
    let dir = root().join(format!("samples/{standard}"));
    for path in files(&dir, &["edi"]) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let t = translate(&path, Strictness::Strict);
        assert!(t.errors().is_empty(), "{name}: {:#?}", t.errors());
        assert!(
            t.outcomes.iter().all(|o| o.status == Status::Accepted),
            "{name}"
        );
        insta::assert_snapshot!(format!("{standard}_sample__{name}"), report(&t));
    }
}

/// `(segment N, TAG)` at the end of a `.why` line.
fn expected_index(why: &str) -> usize {
    let at = why.rfind("(segment ").expect("why names a segment");
    why[at + 9..]
        .split(',')
        .next()
        .unwrap()
        .trim()
        .parse()
        .expect("segment index")
}

fn invalid_fixtures_are_rejected_where_the_problem_is(standard: &str) {
    let dir = root().join(format!("tests/fixtures/{standard}/invalid"));
    for path in files(&dir, &["edi"]) {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let why = std::fs::read_to_string(path.with_extension("edi.why")).expect("why file");
        let index = expected_index(&why);
        let t = translate(&path, Strictness::Strict);
        let errors = t.errors();
        assert!(
            errors.iter().any(|f| f.segment_index == Some(index)),
            "{name}: expected an error at segment {index} ({}), got {errors:#?}",
            why.trim()
        );
        // Garbage between interchanges is a file-level error; it rejects no document.
        let file_level = t.envelope_errors() > 0;
        assert!(
            t.outcomes.iter().any(|o| o.status == Status::Rejected)
                || t.outcomes.is_empty()
                || file_level,
            "{name}: nothing rejected"
        );
        insta::assert_snapshot!(
            format!("{standard}_invalid__{name}"),
            errors.iter().map(|f| format!("{f}\n")).collect::<String>()
        );
    }
}

#[test]
fn x12_valid_fixtures_translate() {
    valid_fixtures_translate("x12");
}

#[test]
fn x12_samples_translate() {
    samples_translate("x12");
}

#[test]
fn x12_invalid_fixtures_are_rejected_where_the_problem_is() {
    invalid_fixtures_are_rejected_where_the_problem_is("x12");
}

#[test]
fn edifact_valid_fixtures_translate() {
    valid_fixtures_translate("edifact");
}

#[test]
fn edifact_samples_translate() {
    samples_translate("edifact");
}

#[test]
fn edifact_invalid_fixtures_are_rejected_where_the_problem_is() {
    invalid_fixtures_are_rejected_where_the_problem_is("edifact");
}

#[test]
fn missing_se_rejects_only_its_set() {
    let t = translate(
        &root().join("tests/fixtures/x12/invalid/missing-se.edi"),
        Strictness::Strict,
    );
    let st: Vec<_> = t
        .outcomes
        .iter()
        .map(|o| (o.controls.transaction.clone().unwrap(), o.status))
        .collect();
    assert_eq!(
        st,
        [
            ("0001".to_string(), Status::Rejected),
            ("0002".to_string(), Status::Accepted)
        ]
    );
}

#[test]
fn lenient_accepts_element_errors_but_not_envelope_errors() {
    let bad_code = translate(
        &root().join("tests/fixtures/x12/invalid/bad-code.edi"),
        Strictness::Lenient,
    );
    assert!(
        bad_code
            .outcomes
            .iter()
            .all(|o| o.status == Status::Accepted)
    );
    assert!(
        bad_code
            .findings()
            .iter()
            .any(|f| f.message.contains("'99'"))
    );
    let se = translate(
        &root().join("tests/fixtures/x12/invalid/se-count-wrong.edi"),
        Strictness::Lenient,
    );
    assert!(se.outcomes.iter().all(|o| o.status == Status::Rejected));
}
