//! Our own fixtures and samples, X12 and EDIFACT: valid ones translate (snapshots of the
//! canonical JSON), invalid ones are rejected at the segment their `.why` file names.

mod common;

use common::{files, report, root, translate};
use tallyman::grammar::Strictness;
use tallyman::map::Status;

/// Sets and messages that are checked but not translated.
const NOT_MAPPED: &[&str] = &["855", "APERAK"];

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

// Issue 11: impossible values (dates that do not exist, numbers the standard or the model does
// not allow, control characters) must never reach the ERP as a silent null or raw byte.

/// The invalid fixtures that hold one impossible value, and the segment it is in.
const IMPOSSIBLE_VALUES: &[(&str, &str, usize)] = &[
    ("edifact", "dtm-month-13", 4),
    ("edifact", "dtm-zero-date", 4),
    ("edifact", "qty-exponent", 11),
    ("edifact", "qty-exponent-d01b", 14),
    ("edifact", "pri-exponent", 12),
    ("edifact", "moa-exponent", 13),
    ("edifact", "nul-in-value", 10),
    ("x12", "dtm-month-13", 5),
    ("x12", "dtm-zero-date", 5),
    ("x12", "price-out-of-range", 9),
    ("x12", "quantity-too-precise", 11),
    ("x12", "nul-in-value", 6),
];

fn impossible(standard: &str, name: &str, strictness: Strictness) -> common::Translated {
    translate(
        &root().join(format!("tests/fixtures/{standard}/invalid/{name}.edi")),
        strictness,
    )
}

/// Strict: each is an error at its segment, and the document is rejected. Every fixture is
/// tried before the test fails, so the failure lists all that slip through.
#[test]
fn impossible_values_reject_in_strict_mode() {
    let mut slipped = Vec::new();
    for &(standard, name, index) in IMPOSSIBLE_VALUES {
        let t = impossible(standard, name, Strictness::Strict);
        let at = t
            .errors()
            .iter()
            .any(|f| f.segment_index == Some(index) && f.element.is_some());
        let rejected = t.outcomes.iter().all(|o| o.status == Status::Rejected);
        if !(at && rejected) {
            slipped.push(format!("{standard}/{name}"));
        }
    }
    assert!(
        slipped.is_empty(),
        "accepted or not reported where the value is: {slipped:?}"
    );
}

/// Fixtures whose impossible value is a line quantity: without it the line cannot go to the
/// ERP (never as quantity 0), so even lenient rejects the document.
const REQUIRED: &[&str] = &[
    "x12/quantity-too-precise",
    "edifact/qty-exponent",
    "edifact/qty-exponent-d01b",
];

/// Lenient: a warning at the value's segment that says the value was not used (or was read
/// without its control character); the field is never silently empty. The document is
/// accepted, unless the value was a line's quantity.
#[test]
fn impossible_values_in_lenient_mode_are_warnings_that_say_what_was_done() {
    let mut silent = Vec::new();
    for &(standard, name, index) in IMPOSSIBLE_VALUES {
        let t = impossible(standard, name, Strictness::Lenient);
        let said = t.findings().iter().any(|f| {
            f.segment_index == Some(index)
                && !f.is_error()
                && (f.message.contains("is not used") || f.message.contains("read without it"))
        });
        let key = format!("{standard}/{name}");
        let accepted = if REQUIRED.contains(&key.as_str()) {
            t.outcomes.iter().all(|o| o.status == Status::Rejected)
                && t.errors()
                    .iter()
                    .any(|f| f.message.contains("could not be used"))
        } else {
            t.outcomes.iter().all(|o| o.status == Status::Accepted)
        };
        if !(said && accepted) {
            silent.push(format!("{standard}/{name}"));
        }
    }
    assert!(
        silent.is_empty(),
        "no warning saying what was done: {silent:?}"
    );
}

#[test]
fn edifact_dtm_month_13_rejects_in_strict_mode() {
    let t = impossible("edifact", "dtm-month-13", Strictness::Strict);
    assert!(t.outcomes.iter().all(|o| o.status == Status::Rejected));
    let f = t.errors().into_iter().find(|f| f.segment_index == Some(4));
    let f = f.expect("an error at the DTM");
    assert_eq!((f.element, f.component), (Some(1), Some(2)));
    assert!(f.message.contains("20241345"), "{}", f.message);
}

#[test]
fn edifact_dtm_month_13_in_lenient_mode_says_the_order_date_is_not_used() {
    let t = impossible("edifact", "dtm-month-13", Strictness::Lenient);
    let doc = t.outcomes[0].document.as_ref().expect("accepted");
    let json = serde_json::to_value(doc).unwrap();
    assert!(json["order_date"].is_null());
    assert!(t.findings().iter().any(|f| f.segment_index == Some(4)
        && f.message.contains("20241345")
        && f.message.contains("not used")));
}

#[test]
fn qty_with_exponent_is_a_finding() {
    for name in ["qty-exponent", "qty-exponent-d01b"] {
        let t = impossible("edifact", name, Strictness::Strict);
        assert!(
            t.errors()
                .iter()
                .any(|f| f.segment.as_deref() == Some("QTY") && f.message.contains("exponent")),
            "{name}: {:#?}",
            t.errors()
        );
    }
}

/// The canonical JSON of every document of a translation.
fn documents_json(t: &common::Translated) -> String {
    t.outcomes
        .iter()
        .filter_map(|o| o.document.as_ref())
        .map(|d| serde_json::to_string(d).unwrap())
        .collect()
}

#[test]
fn nul_in_x12_value_never_reaches_the_model() {
    let t = impossible("x12", "nul-in-value", Strictness::Lenient);
    let json = documents_json(&t);
    assert!(json.contains("ACME RETAILDC 7"), "{json}");
    assert!(!json.contains("\\u0000"), "{json}");
    let strict = impossible("x12", "nul-in-value", Strictness::Strict);
    let f = strict
        .errors()
        .into_iter()
        .find(|f| f.segment_index == Some(6));
    assert_eq!(f.expect("an error at the N1").element, Some(2));
}

#[test]
fn nul_in_edifact_value_never_reaches_the_model() {
    let t = impossible("edifact", "nul-in-value", Strictness::Lenient);
    let json = documents_json(&t);
    assert!(json.contains("STAINLESSTRAVEL MUG"), "{json}");
    assert!(!json.contains("\\u0000"), "{json}");
    let strict = impossible("edifact", "nul-in-value", Strictness::Strict);
    let f = strict
        .errors()
        .into_iter()
        .find(|f| f.segment_index == Some(10));
    let f = f.expect("an error at the IMD");
    assert_eq!((f.element, f.component), (Some(3), Some(4)));
}

/// A number or date with a control character inside was read with the character dropped in
/// lenient mode (`QTY+21:2<NUL>4` became 24): now it is refused there too, never repaired.
#[test]
fn edifact_values_with_a_control_character_are_not_repaired_in_lenient_mode() {
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/edifact/orders-d96a.edi"),
    )
    .expect("sample");
    for (from, to, field) in [
        ("QTY+21:24'", "QTY+21:2\u{0}4'", "\"quantity\":\"24\""),
        (
            "PRI+AAA:12.50'",
            "PRI+AAA:12.5\u{1}0'",
            "\"unit_price\":\"12.50\"",
        ),
        (
            "DTM+137:20240311:102'",
            "DTM+137:2024\u{0}0311:102'",
            "2024-03-11",
        ),
    ] {
        assert!(sample.contains(from), "{from}");
        let data = sample.replacen(from, to, 1).into_bytes();
        let (outcomes, findings) = translate_bytes(data.clone(), Strictness::Lenient);
        let json = serde_json::to_string(&outcomes[0].document).expect("serializes");
        assert!(!json.contains(field), "{to:?} repaired: {json}");
        assert!(
            findings
                .iter()
                .any(|f| f.message.contains("the value is not used")),
            "{to:?}: {findings:?}"
        );
        let (strict, _) = translate_bytes(data, Strictness::Strict);
        assert_eq!(strict[0].status, tallyman::map::Status::Rejected, "{to:?}");
    }
}

/// A ship notice line that says nothing of what was shipped reached the ERP as "0 shipped",
/// which means a backorder: now it is an error at the line.
#[test]
fn ship_notice_lines_without_a_shipped_quantity_are_errors() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let x12 = std::fs::read_to_string(root.join("x12/856-northwind.edi")).expect("sample");
    // The first item's SN1 left out (and SE01 counting one segment less).
    let x12 = x12
        .replacen("SN1**24*EA~", "", 1)
        .replacen("SE*37*", "SE*36*", 1);
    let edifact = std::fs::read_to_string(root.join("edifact/desadv-d96a.edi")).expect("sample");
    // The first line's dispatched quantity sent as an ordered one.
    let edifact = edifact.replacen("QTY+12:24'", "QTY+21:24'", 1);
    for (data, said) in [
        (x12, "has no SN1, so its units shipped are unknown"),
        (edifact, "has no dispatched quantity (QTY+12, or QTY+1)"),
    ] {
        let (outcomes, findings) = translate_bytes(data.into_bytes(), Strictness::Strict);
        assert_eq!(outcomes[0].status, tallyman::map::Status::Rejected);
        let f = findings
            .iter()
            .find(|f| f.message.contains(said))
            .unwrap_or_else(|| panic!("{said}: {findings:?}"));
        assert!(f.is_error(), "{f}");
        assert!(matches!(f.segment.as_deref(), Some("LIN")), "{f}");
        // The envelope holds: the line itself is the only problem.
        assert_eq!(
            findings.iter().filter(|f| f.is_error()).count(),
            1,
            "{findings:?}"
        );
    }
}

/// An EDIFACT order or invoice line without the quantity it needs reached the model as
/// quantity 0 and only the business rules stopped it ("quantity 0 is not greater than zero",
/// and not at all with `--no-rules`): now it is a mapping error at the line, naming the QTY
/// qualifiers looked for, as PO102 missing is for X12.
#[test]
fn order_and_invoice_lines_without_a_quantity_are_errors() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/edifact");
    let orders = std::fs::read_to_string(root.join("orders-d96a.edi")).expect("sample");
    let invoic = std::fs::read_to_string(root.join("invoic-d96a.edi")).expect("sample");
    // The first line's quantity sent with a qualifier the document does not read (dispatched,
    // free goods).
    for (data, from, to, said) in [
        (
            orders,
            "QTY+21:24'",
            "QTY+12:24'",
            "line 1 has no ordered quantity (QTY+21, or QTY+1)",
        ),
        (
            invoic,
            "QTY+47:24'",
            "QTY+192:24'",
            "line 1 has no invoiced quantity (QTY+47, QTY+46, QTY+12 or QTY+1)",
        ),
    ] {
        assert!(data.contains(from), "{from}");
        let data = data.replacen(from, to, 1);
        let (outcomes, findings) = translate_bytes(data.into_bytes(), Strictness::Strict);
        assert_eq!(
            outcomes[0].status,
            tallyman::map::Status::Rejected,
            "{said}"
        );
        let f = findings
            .iter()
            .find(|f| f.message.contains(said))
            .unwrap_or_else(|| panic!("{said}: {findings:?}"));
        assert!(f.is_error(), "{f}");
        assert_eq!(f.segment.as_deref(), Some("LIN"), "{f}");
    }
}

/// `PRI+AAA:3630.1724::NTP:100:C62` prices 100 pieces: the unit price was read as 3630.1724,
/// a hundred times too much, and the invoice's lines no longer added up to its total.
#[test]
fn edifact_price_for_many_units_is_the_price_of_one() {
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/edifact/invoic-d96a.edi"),
    )
    .expect("sample");
    let price = |data: String| {
        let (outcomes, findings) = translate_bytes(data.into_bytes(), Strictness::Strict);
        let doc = outcomes[0].document.as_ref().expect("translated");
        let json = serde_json::to_value(doc).expect("serializes");
        (json["lines"][0]["unit_price"].clone(), findings)
    };
    let (plain, _) = price(sample.clone());
    assert_eq!(plain, "12.50");
    // The same price, given for 100 pieces.
    let per_100 = sample.replacen("PRI+AAA:12.50'", "PRI+AAA:1250::NTP:100:PCE'", 1);
    let (read, findings) = price(per_100);
    assert_eq!(read, "12.50", "{findings:?}");
    // No decimal is the price of one of 3 pieces that cost 10: refused, never rounded.
    let thirds = sample.replacen("PRI+AAA:12.50'", "PRI+AAA:10::NTP:3:PCE'", 1);
    let (outcomes, findings) = translate_bytes(thirds.into_bytes(), Strictness::Strict);
    assert_eq!(outcomes[0].status, tallyman::map::Status::Rejected);
    assert!(
        findings
            .iter()
            .any(|f| f.is_error() && f.message.contains("the price of 3 units")),
        "{findings:?}"
    );
}

/// Translates bytes held in memory, as `tallyman translate` would a file.
fn translate_bytes(
    data: Vec<u8>,
    strictness: Strictness,
) -> (Vec<tallyman::map::Outcome>, Vec<tallyman::diag::Finding>) {
    let opts = tallyman::map::Options {
        strictness,
        file: "memory.edi".into(),
        ..Default::default()
    };
    let profiles = tallyman::feeds::Profiles::builtin().expect("built-in profiles");
    let mut outcomes = Vec::new();
    let report = tallyman::translate::translate(
        std::io::Cursor::new(data),
        common::grammars(),
        &profiles,
        &opts,
        |o| {
            outcomes.push(o.clone());
            Ok(())
        },
    )
    .expect("in memory");
    (outcomes, report.findings)
}

/// CNT 2 / CTT01 were read with `.ok()`: a negative or fractional line count vanished.
#[test]
fn line_count_that_is_no_count_is_a_finding() {
    let edifact =
        std::fs::read(root().join("tests/fixtures/edifact/invalid/bad-number.edi")).unwrap();
    let edifact = String::from_utf8(edifact)
        .unwrap()
        .replace("QTY+21:1O'", "QTY+21:12'")
        .replace("CNT+2:2'", "CNT+2:1.5'");
    let x12 = std::fs::read(root().join("tests/fixtures/x12/invalid/bad-date.edi")).unwrap();
    let x12 = String::from_utf8(x12)
        .unwrap()
        .replace("**20230231~", "**20230228~")
        .replace("CTT*2*16~", "CTT*-2*16~");
    for (what, data, tag) in [("edifact", edifact, "CNT"), ("x12", x12, "CTT")] {
        let (strict, findings) = translate_bytes(data.clone().into_bytes(), Strictness::Strict);
        assert_eq!(strict[0].status, Status::Rejected, "{what}: {findings:#?}");
        let (lenient, findings) = translate_bytes(data.into_bytes(), Strictness::Lenient);
        assert_eq!(lenient[0].status, Status::Accepted, "{what}: {findings:#?}");
        assert!(
            findings.iter().any(|f| f.segment.as_deref() == Some(tag)
                && f.message.contains("is not a count")
                && f.message.contains("not used")),
            "{what}: {findings:#?}"
        );
    }
}

/// ISA06 / UNB sender ids are read by the envelope scanner, not the grammar: a NUL there went
/// into `source.sender` even in strict mode.
#[test]
fn nul_in_envelope_sender_never_reaches_the_model() {
    for (standard, index) in [("x12", 0), ("edifact", 2)] {
        let strict = impossible(standard, "nul-in-sender-id", Strictness::Strict);
        assert!(
            strict.outcomes.iter().all(|o| o.status == Status::Rejected),
            "{standard}"
        );
        assert!(
            strict
                .errors()
                .iter()
                .any(|f| f.segment_index == Some(index) && f.message.contains("sender id")),
            "{standard}: {:#?}",
            strict.errors()
        );
        let lenient = impossible(standard, "nul-in-sender-id", Strictness::Lenient);
        let json = documents_json(&lenient);
        assert!(
            !json.is_empty() && !json.contains("\\u0000"),
            "{standard}: {json}"
        );
        assert!(
            lenient
                .findings()
                .iter()
                .any(|f| !f.is_error() && f.message.contains("read without it")),
            "{standard}"
        );
    }
}
