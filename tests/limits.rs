//! Resource limits end to end: a file whose units outgrow `[limits]` is reported with the limit
//! named, and the rest of the file goes on (see `tallyman::syntax::limits`).

use tallyman::syntax::limits::Limits;

fn translate(bytes: &[u8], limits: Limits) -> (tallyman::translate::FileReport, Vec<String>) {
    let grammars = tallyman::grammar::GrammarSet::builtin().expect("grammars");
    let profiles = tallyman::feeds::Profiles::builtin().expect("profiles");
    let opts = tallyman::map::Options {
        limits,
        ..Default::default()
    };
    let mut statuses = Vec::new();
    let report = tallyman::translate::translate(
        std::io::Cursor::new(bytes),
        &grammars,
        &profiles,
        &opts,
        |o| {
            statuses.push(format!("{:?}", o.status));
            Ok(())
        },
    )
    .expect("translates");
    (report, statuses)
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).expect("sample")
}

fn limit_messages(r: &tallyman::translate::FileReport) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.code == tallyman::diag::Code::LimitExceeded)
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn a_transaction_over_the_limits_is_rejected_unread() {
    let bytes = sample("samples/x12/850-northwind.edi");
    let (r, st) = translate(&bytes, Limits::default());
    assert_eq!(st, ["Accepted"]);
    assert!(limit_messages(&r).is_empty());
    let small = Limits {
        max_segments_per_transaction: 10,
        ..Limits::default()
    };
    let (r, st) = translate(&bytes, small);
    assert_eq!(st, ["Rejected"]);
    assert_eq!(
        limit_messages(&r),
        [
            "transaction set 850 0001 has 28 segments, more than the limit of 10 (limits.max_segments_per_transaction); it is not read"
        ]
    );
    let small = Limits {
        max_transaction_bytes: 100,
        ..Limits::default()
    };
    let (r, st) = translate(&sample("samples/edifact/orders-d96a.edi"), small);
    assert_eq!(st, ["Rejected"]);
    assert!(
        limit_messages(&r)[0].contains("(limits.max_transaction_bytes)"),
        "{:?}",
        r.findings
    );
}

#[test]
fn a_segment_over_the_limit_is_reported_and_skipped() {
    let msg = |r: &tallyman::translate::FileReport| {
        r.findings
            .iter()
            .filter(|f| f.message.contains("limits.max_segment_bytes"))
            .count()
    };
    // X12: the longest segment after the ISA is 68 bytes; reading resumes at the next ISA.
    let bytes = sample("samples/x12/850-northwind.edi");
    let (r, st) = translate(&bytes, Limits::default());
    assert_eq!((st.as_slice(), msg(&r)), (&["Accepted".to_owned()][..], 0));
    let small = Limits {
        max_segment_bytes: 60,
        ..Limits::default()
    };
    let (r, st) = translate(&bytes, small);
    assert_ne!(st, ["Accepted"], "{:?}", r.findings);
    assert_eq!(msg(&r), 1, "{:?}", r.findings);
    // EDIFACT: the longest is 82 bytes; the reader skips it and goes on.
    let bytes = sample("samples/edifact/orders-d96a.edi");
    let (r, st) = translate(&bytes, Limits::default());
    assert_eq!((st.as_slice(), msg(&r)), (&["Accepted".to_owned()][..], 0));
    let small = Limits {
        max_segment_bytes: 80,
        ..Limits::default()
    };
    let (r, st) = translate(&bytes, small);
    assert_eq!(st, ["Rejected"], "{:?}", r.findings);
    assert_eq!(msg(&r), 1, "{:?}", r.findings);
}

#[test]
fn a_csv_row_over_the_limit_stops_the_file_with_a_finding() {
    let mut csv = sample("samples/feeds/shopify-orders.csv");
    // A quote left open: the rest of any file would be one field.
    csv.extend_from_slice(b"#9999,\"x@example.com,paid\n");
    csv.extend(std::iter::repeat_n(b'y', 300 << 10));
    let small = Limits {
        max_record_bytes: 64 << 10,
        ..Limits::default()
    };
    let (r, st) = translate(&csv, small);
    // The order open when the runaway row began may have lost a line: it is rejected too.
    assert_eq!(st, ["Accepted", "Accepted", "Accepted", "Rejected"]);
    let m = limit_messages(&r);
    assert_eq!(m.len(), 1, "{:?}", r.findings);
    assert!(m[0].starts_with("a row is longer than"), "{m:?}");
    assert!(m[0].contains("a quote left open?"), "{m:?}");
}

#[test]
fn deep_or_huge_xml_orders_are_rejected() {
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><list xmlns=\"http://walmart.com/mp/v3/orders\"><elements><order><purchaseOrderId>1</purchaseOrderId><orderLines><orderLine>",
    );
    for _ in 0..100 {
        xml.push_str("<a>");
    }
    let (r, st) = translate(xml.as_bytes(), Limits::default());
    assert_eq!(st, ["Rejected"], "{:?}", r.findings);
    assert_eq!(
        limit_messages(&r),
        [
            "the order element nests deeper than 64 levels (limits.max_xml_depth); it is rejected and the rest of the file is not read"
        ]
    );
    // Cut short inside an order (no limit involved): the order is rejected, not dropped.
    let cut = &xml[..xml.find("<a>").expect("nesting")];
    let (r, st) = translate(cut.as_bytes(), Limits::default());
    assert_eq!(st, ["Rejected"], "{:?}", r.findings);
    let mut xml = String::from(
        "<?xml version=\"1.0\"?><list xmlns=\"http://walmart.com/mp/v3/orders\"><elements><order><orderLines><orderLine/></orderLines><purchaseOrderId>",
    );
    xml.push_str(&"9".repeat(200 << 10));
    let small = Limits {
        max_xml_order_bytes: 32 << 10,
        ..Limits::default()
    };
    let (r, st) = translate(xml.as_bytes(), small);
    assert!(st.is_empty() || st == ["Rejected"], "{st:?}");
    let m = limit_messages(&r);
    assert_eq!(m.len(), 1, "{:?}", r.findings);
    assert!(m[0].contains("limits.max_xml_order_bytes"), "{m:?}");
}
