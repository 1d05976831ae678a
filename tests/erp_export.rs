//! ERP exports read into canonical ship notices and invoices: each built-in profile's layout
//! against an expected-JSON snapshot beside its fixture, and bad rows, lines and profiles that
//! hold back only their own document.
//!
//! `TALLYMAN_BLESS=1 cargo test --test erp_export` rewrites the expected files; review the diff.

use serde_json::{Value, json};
use std::path::PathBuf;
use tallyman::erp::export::{self, Exported, Held, Problem, Profiles, Read};

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/erp-export")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn profiles() -> Profiles {
    Profiles::builtin().expect("the built-in profiles load")
}

/// What a read gives, as JSON: every document with its channel and rows, every held one with
/// its problems as they display.
fn shown(read: &Read) -> Value {
    Value::Array(
        read.iter()
            .map(|r| match r {
                Ok(Exported {
                    document,
                    channel,
                    rows,
                }) => json!({
                    "rows": [rows.0, rows.1],
                    "channel": channel,
                    "document": document,
                }),
                Err(Held { number, problems }) => json!({
                    "held": number,
                    "problems": problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
                }),
            })
            .collect(),
    )
}

fn snapshot(name: &str, read: &Read) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/erp-export")
        .join(name);
    let actual = serde_json::to_string_pretty(&shown(read)).expect("json") + "\n";
    if std::env::var_os("TALLYMAN_BLESS").is_some() {
        std::fs::write(&path, &actual).expect("write the expected file");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "{} differs (TALLYMAN_BLESS=1 rewrites it)",
        path.display()
    );
}

fn held(read: &Read) -> Vec<&Held> {
    read.iter().filter_map(|r| r.as_ref().err()).collect()
}

fn numbers(read: &Read) -> Vec<&str> {
    read.iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|e| e.document.number())
        .collect()
}

/// The one problem of the held document `number`.
fn problem<'a>(read: &'a Read, number: &str) -> &'a Problem {
    let h = held(read)
        .into_iter()
        .find(|h| h.number.as_deref() == Some(number))
        .unwrap_or_else(|| panic!("{number} is not held: {:#}", shown(read)));
    assert_eq!(h.problems.len(), 1, "{h}");
    &h.problems[0]
}

#[test]
fn rows_layout_reads_lines_packages_and_pallets() {
    let p = profiles();
    let read = export::read_csv(
        p.get("erp-ship-notice-rows").unwrap(),
        "ship-rows.csv",
        &fixture("ship-rows.csv"),
    );
    assert_eq!(numbers(&read), ["SH-1001", "SH-1002"]);
    // The quoted cell with a line break is one row: SH-1001 is rows 2 to 4, SH-1002 row 5.
    let first = read[0].as_ref().unwrap();
    assert_eq!(
        (first.rows, first.channel.as_deref()),
        ((2, 4), Some("acme"))
    );
    assert_eq!(read[1].as_ref().unwrap().rows, (5, 5));
    assert_eq!(read[1].as_ref().unwrap().channel, None);
    let tallyman::model::Document::ShipNotice(s) = &first.document else {
        panic!("a ship notice")
    };
    // One package per SSCC, the pallet first as a tare, cartons naming it as their parent.
    let levels: Vec<(&str, &str, Option<&str>)> = s
        .packages
        .iter()
        .map(|p| {
            (
                p.sscc.as_deref().unwrap(),
                p.level.as_str(),
                p.parent.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("000123450000000093", "tare", None),
            ("000123450000000017", "pack", Some("000123450000000093")),
            ("000123450000000024", "pack", Some("000123450000000093")),
        ]
    );
    assert_eq!(s.packages[2].lines, ["2", "3"]);
    assert_eq!(s.lines[2].package.as_deref(), Some("000123450000000024"));
    // The import writer's formula guard is taken off again.
    assert_eq!(s.lines[2].description.as_deref(), Some("=cheap"));
    snapshot("ship-rows.expected.json", &read);
}

#[test]
fn header_detail_layout_links_detail_rows_by_key() {
    let p = profiles();
    let read = export::read_header_detail(
        p.get("erp-invoice-header-detail").unwrap(),
        ("invoice-header.csv", &fixture("invoice-header.csv")),
        ("invoice-detail.csv", &fixture("invoice-detail.csv")),
    );
    assert_eq!(numbers(&read), ["INV-1", "INV-2"]);
    let tallyman::model::Document::Invoice(i) = &read[0].as_ref().unwrap().document else {
        panic!("an invoice")
    };
    // Detail rows need not be adjacent; decimal commas are read exactly.
    assert_eq!(i.lines.len(), 2);
    assert_eq!(i.lines[1].quantity.to_string(), "1.5");
    assert_eq!(i.total_amount.unwrap().to_string(), "31.50");
    snapshot("invoice-header-detail.expected.json", &read);
}

#[test]
fn positional_layout_reads_columns_by_position() {
    let p = profiles();
    let read = export::read_csv(
        p.get("erp-ship-notice-positional").unwrap(),
        "ship-positional.txt",
        &fixture("ship-positional.txt"),
    );
    assert_eq!(numbers(&read), ["SH-2001", "SH-2002"]);
    // No header row: the first row is row 1.
    assert_eq!(read[0].as_ref().unwrap().rows, (1, 2));
    snapshot("ship-positional.expected.json", &read);
}

#[test]
fn a_bad_row_holds_back_only_its_document() {
    let p = profiles();
    let read = export::read_csv(
        p.get("erp-ship-notice-rows").unwrap(),
        "ship-rows-bad.csv",
        &fixture("ship-rows-bad.csv"),
    );
    assert_eq!(numbers(&read), ["SH-1", "SH-6"]);
    assert_eq!(held(&read).len(), 4);

    let bad_decimal = problem(&read, "SH-2");
    assert_eq!(
        (
            bad_decimal.file.as_str(),
            bad_decimal.row,
            bad_decimal.column.as_deref()
        ),
        ("ship-rows-bad.csv", Some(3), Some("quantity"))
    );
    assert_eq!(bad_decimal.value.as_deref(), Some("1e3"));
    assert!(bad_decimal.message.contains("exponent"), "{bad_decimal}");

    let missing = problem(&read, "SH-3");
    assert_eq!(
        (missing.row, missing.column.as_deref()),
        (Some(4), Some("quantity"))
    );
    assert!(missing.message.contains("is empty"), "{missing}");

    let disagree = problem(&read, "SH-4");
    assert_eq!(
        (
            disagree.row,
            disagree.column.as_deref(),
            disagree.value.as_deref()
        ),
        (Some(6), Some("ship_date"), Some("2024-03-12"))
    );
    assert!(disagree.message.contains("first row 5"), "{disagree}");

    let zero = problem(&read, "SH-5");
    assert_eq!(
        (zero.row, zero.column.as_deref()),
        (Some(7), Some("quantity"))
    );
    assert!(zero.message.contains("backorder"), "{zero}");
    assert_eq!(
        zero.to_string(),
        "ship-rows-bad.csv, row 7, column quantity: '0' is not above zero: a backorder is not a \
         shipment; leave the line out of the export"
    );
}

#[test]
fn an_orphan_detail_row_and_a_bad_price_are_held_alone() {
    let p = profiles();
    let read = export::read_header_detail(
        p.get("erp-invoice-header-detail").unwrap(),
        ("invoice-header.csv", &fixture("invoice-header.csv")),
        ("invoice-detail-bad.csv", &fixture("invoice-detail-bad.csv")),
    );
    assert_eq!(numbers(&read), ["INV-1"]);
    let price = problem(&read, "INV-2");
    assert_eq!(
        (
            price.file.as_str(),
            price.row,
            price.column.as_deref(),
            price.header.as_deref()
        ),
        (
            "invoice-detail-bad.csv",
            Some(4),
            Some("unit_price"),
            Some("Price")
        )
    );
    assert!(price.message.contains("decimal mark is ','"), "{price}");
    let orphan = held(&read)
        .into_iter()
        .find(|h| h.number.is_none())
        .expect("the orphan row is held");
    let o = &orphan.problems[0];
    assert_eq!(
        (
            o.file.as_str(),
            o.row,
            o.header.as_deref(),
            o.value.as_deref()
        ),
        (
            "invoice-detail-bad.csv",
            Some(3),
            Some("InvoiceNo"),
            Some("INV-9")
        )
    );
    assert!(o.message.contains("names no row of the header file"), "{o}");
}

#[test]
fn a_header_row_the_file_lacks_is_a_problem_of_the_file() {
    let p = profiles();
    let read = export::read_header_detail(
        p.get("erp-invoice-header-detail").unwrap(),
        ("h.csv", b"InvoiceNo;InvoiceDate\nINV-1;2024-03-15\n"),
        ("invoice-detail.csv", &fixture("invoice-detail.csv")),
    );
    assert_eq!(read.len(), 1);
    let p = &held(&read)[0].problems[0];
    assert_eq!((p.file.as_str(), p.row), ("h.csv", Some(1)));
    assert!(p.message.contains("`OrderNo` (order_number)"), "{p}");
}

#[test]
fn jsonl_with_a_bad_line_holds_that_document_only() {
    let read = export::read_jsonl("documents.jsonl", &fixture("documents.jsonl"));
    assert_eq!(numbers(&read), ["SH-3001", "INV-8"]);
    let first = read[0].as_ref().unwrap();
    assert_eq!(first.rows, (1, 1));
    let src = first.document.source();
    assert_eq!(
        (src.standard.as_str(), src.set.as_str(), src.file.as_str()),
        ("erp", "ship_notice", "documents.jsonl")
    );
    let inv8 = read[2].as_ref().unwrap();
    assert_eq!((inv8.rows, inv8.channel.as_deref()), ((4, 4), Some("beta")));

    let missing = problem(&read, "INV-7");
    assert_eq!(
        (missing.row, missing.column.as_deref()),
        (Some(2), Some("quantity"))
    );
    assert!(
        missing.message.contains("missing field `quantity`"),
        "{missing}"
    );
    let order = problem(&read, "PO-1");
    assert_eq!(
        (order.row, order.column.as_deref()),
        (Some(5), Some("type"))
    );
    let broken = held(&read)
        .into_iter()
        .find(|h| h.number.is_none())
        .unwrap();
    assert_eq!(broken.problems[0].row, Some(6));
    assert!(
        broken.problems[0]
            .message
            .contains("is not valid JSON at character"),
        "{}",
        broken.problems[0]
    );
    assert_eq!(read.len(), 5);
}

#[test]
fn a_profile_with_an_unknown_column_is_refused_with_its_line() {
    let text = String::from_utf8(fixture("bad-profile.toml")).unwrap();
    let err = Profiles::with_overrides(&[("exports.d/bad-profile.toml".into(), text)]).unwrap_err();
    match &err {
        export::Error::Invalid {
            file, line, key, ..
        } => {
            assert_eq!(
                (file.as_str(), *line, key.as_str()),
                ("exports.d/bad-profile.toml", 7, "carrier")
            );
        }
        e => panic!("{e}"),
    }
    assert!(
        err.to_string().starts_with(
            "exports.d/bad-profile.toml, line 7: `carrier`: unknown ship_notice column"
        ),
        "{err}"
    );
}

#[test]
fn an_override_replaces_the_builtin_profile_of_its_id() {
    let text = "id = \"erp-ship-notice-rows\"\nkind = \"ship_notice\"\ndelimiter = \";\"\n\
                [columns]\nshipment_id = \"Shipment\"\nquantity = \"Qty\"\nchannel = \"Shop\"\n";
    let p = Profiles::with_overrides(&[("mine.toml".into(), text.into())]).unwrap();
    let read = export::read_csv(
        p.get("erp-ship-notice-rows").unwrap(),
        "mine.csv",
        b"Shipment;Qty;Shop\nS1;1;web\nS1;2;web\n",
    );
    let e = read[0].as_ref().unwrap();
    assert_eq!(
        (e.document.line_count(), e.channel.as_deref()),
        (2, Some("web"))
    );
    // Unnumbered lines are numbered by their place in the document.
    let tallyman::model::Document::ShipNotice(s) = &e.document else {
        panic!()
    };
    assert_eq!(s.lines[1].line_number, "2");
}

#[test]
fn computed_columns_and_packages_are_cross_checked() {
    let p = profiles();
    let read = export::read_header_detail(
        p.get("erp-invoice-header-detail").unwrap(),
        (
            "h.csv",
            b"InvoiceNo;InvoiceDate;OrderNo;Currency;Total;Lines\nI1;2024-03-15;P1;EUR;5,00;2\n",
        ),
        (
            "d.csv",
            b"InvoiceNo;LineNo;ItemNo;Qty;UOM;Price;Amount\nI1;1;A;2;EA;2,50;5,01\n",
        ),
    );
    let h = held(&read)[0];
    let cols: Vec<(&str, Option<u64>)> = h
        .problems
        .iter()
        .map(|p| (p.column.as_deref().unwrap(), p.row))
        .collect();
    assert_eq!(
        cols,
        [("line_amount", Some(2)), ("line_count", Some(2))],
        "{h}"
    );

    let ships = "shipment_id,quantity,sscc,package_level,pallet_sscc\n\
                 S1,1,C1,pack,P1\n\
                 S1,1,C1,pack,P2\n\
                 S2,1,,pack,\n";
    let read = export::read_csv(
        p.get("erp-ship-notice-rows").unwrap(),
        "s.csv",
        ships.as_bytes(),
    );
    let two_pallets = problem(&read, "S1");
    assert_eq!(
        (two_pallets.row, two_pallets.column.as_deref()),
        (Some(3), Some("sscc"))
    );
    assert!(
        two_pallets.message.contains("one carton is on one pallet"),
        "{two_pallets}"
    );
    let no_sscc = problem(&read, "S2");
    assert_eq!(no_sscc.column.as_deref(), Some("package_level"));
}
