//! The `tallyman` binary: output channels, the finding line format, exit codes.

mod common;

use common::root;
use std::process::Command;

fn tallyman(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run tallyman");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// The JSON documents `translate` printed, one per line.
fn documents(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn translate_samples_prints_one_document_per_line() {
    let (code, out, err) = tallyman(&[
        "translate",
        "samples/x12/850-northwind.edi",
        "samples/x12/856-northwind.edi",
        "samples/x12/810-northwind.edi",
    ]);
    assert_eq!(code, 0, "{err}");
    let docs = documents(&out);
    let kinds: Vec<&str> = docs.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["order", "ship_notice", "invoice"]);
    assert_eq!(docs[0]["order_number"], "4500012345");
    assert_eq!(docs[2]["order_number"], "4500012345");
    assert_eq!(docs[2]["total_amount"], "1072.90");
    assert_eq!(docs[0]["source"]["file"], "samples/x12/850-northwind.edi");
    assert!(
        err.contains("samples/x12/850-northwind.edi: 1 translated, 0 rejected, 0 not translated"),
        "{err}"
    );
}

#[test]
fn rejected_document_exits_1_with_a_positioned_finding() {
    let (code, out, err) =
        tallyman(&["translate", "tests/fixtures/x12/invalid/se-count-wrong.edi"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    let line = err
        .lines()
        .find(|l| l.contains("SE01 says"))
        .expect("finding line");
    assert!(
        line.starts_with("tests/fixtures/x12/invalid/se-count-wrong.edi:518: segment 14 (SE) [000006201/6201/0001]: "),
        "{line}"
    );
}

#[test]
fn unmapped_set_exits_1_and_says_so() {
    let (code, out, err) = tallyman(&["translate", "tests/fixtures/x12/valid/unmapped-855.edi"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("855 (Purchase Order Acknowledgment)"), "{err}");
    assert!(
        err.contains("0 translated, 0 rejected, 1 not translated"),
        "{err}"
    );
}

#[test]
fn lenient_turns_element_errors_into_warnings() {
    let (code, out, err) = tallyman(&[
        "translate",
        "--lenient",
        "tests/fixtures/x12/invalid/bad-date.edi",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1);
    assert!(
        err.contains("warning: BEG05 (Date) '20230231' is not a real date"),
        "{err}"
    );
}

#[test]
fn not_x12_and_missing_file() {
    let (code, _, err) = tallyman(&["translate", "README.md"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("README.md:0: segment 0: not an X12, EDIFACT or known feed file"),
        "{err}"
    );
    let (code, _, err) = tallyman(&["translate", "no/such/file.edi"]);
    assert_eq!(code, 2);
    assert!(err.contains("opening no/such/file.edi"), "{err}");
}

#[test]
fn grammar_override_directory_narrows_a_set() {
    let dir = tempfile::tempdir().unwrap();
    let set = std::fs::read_to_string(root().join("grammars/x12/004010/850.toml")).unwrap();
    // A partner whose guide makes CUR mandatory.
    let narrowed = set.replacen(
        "segment = \"CUR\"\n",
        "segment = \"CUR\"\nusage = \"M\"\n",
        1,
    );
    assert_ne!(narrowed, set, "CUR entry found");
    std::fs::create_dir_all(dir.path().join("x12/004010")).unwrap();
    std::fs::write(dir.path().join("x12/004010/850.toml"), narrowed).unwrap();
    // bom.edi has no CUR: valid with the built-in grammar, rejected with the narrowed one.
    let fixture = "tests/fixtures/x12/valid/bom.edi";
    assert!(
        !std::fs::read_to_string(root().join(fixture))
            .unwrap()
            .contains("CUR*")
    );
    let (code, _, err) = tallyman(&["translate", fixture]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = tallyman(&[
        "translate",
        "--grammars",
        dir.path().to_str().unwrap(),
        fixture,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("mandatory segment CUR"), "{err}");
    let (code, _, err) = tallyman(&[
        "translate",
        "--grammars",
        "no/such/dir",
        "samples/x12/850-northwind.edi",
    ]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn inspect_shows_loops_names_and_findings() {
    let (code, out, err) = tallyman(&["inspect", "tests/fixtures/x12/invalid/bad-code.edi"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("BEG  Beginning Segment for Purchase Order"),
        "{out}"
    );
    assert!(out.contains("[loop N1]"), "{out}");
    assert!(
        out.contains("!! error: BEG01 (Transaction Set Purpose Code) '99' is not one of its codes"),
        "{out}"
    );
    assert!(out.contains("=> 850 0001: rejected"), "{out}");
    let (code, out, _) = tallyman(&["inspect", "samples/x12/856-northwind.edi"]);
    assert_eq!(code, 0);
    assert!(out.contains("[loop HL]"), "{out}");
}

#[test]
fn edifact_translates_and_inspects() {
    let (code, out, err) = tallyman(&[
        "translate",
        "samples/edifact/orders-d96a.edi",
        "samples/edifact/desadv-d96a.edi",
        "samples/edifact/invoic-d96a.edi",
    ]);
    assert_eq!(code, 0, "{err}");
    let docs = documents(&out);
    let kinds: Vec<&str> = docs.iter().map(|d| d["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["order", "ship_notice", "invoice"]);
    assert_eq!(docs[0]["order_number"], "4500012345");
    assert_eq!(docs[0]["source"]["standard"], "edifact");
    assert_eq!(docs[2]["total_amount"], "1275.68");
    let (code, out, _) = tallyman(&["inspect", "samples/edifact/desadv-d96a.edi"]);
    assert_eq!(code, 0);
    assert!(out.contains("[loop SG10]"), "{out}");
    assert!(out.contains("CPS  Consignment packing sequence"), "{out}");
    assert!(out.contains("=> DESADV 1: accepted"), "{out}");
}

/// `translate` judged a document by its grammar alone, and `run` then quarantined what it had
/// called translated (a real 856 with bad SSCC check digits): now both apply the business rules.
#[test]
fn translate_rejects_what_run_would_for_a_business_rule_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(root().join("samples/x12/850-northwind.edi")).unwrap();
    let zero = sample.replacen("PO1*1*24*EA", "PO1*1*0*EA", 1);
    assert_ne!(zero, sample);
    let path = dir.path().join("zero.edi");
    std::fs::write(&path, zero).unwrap();
    let path = path.to_str().unwrap();
    let (code, out, err) = tallyman(&["translate", path]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("quantity_not_positive: line 1") && err.contains("0 translated, 1 rejected"),
        "{err}"
    );
    // Looking at what the partner sent, rules aside.
    let (code, out, err) = tallyman(&["translate", "--no-rules", path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(documents(&out)[0]["lines"][0]["quantity"], "0");
}
