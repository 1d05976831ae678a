//! The outbound half of the conformance suite: acknowledgments sent and received, documents
//! sent with their bytes, the order lines they cover and their SSCCs, and purchase order lines.

use super::{Ledger, ack, file};
use crate::ledger::Disposition;
use crate::ledger::outbound::{CoveredLine, OutboundRow, PoLine};
use rust_decimal::Decimal;

pub fn acknowledgments_round_trip(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    let id = l
        .add_file(run, &file("a", "a", Disposition::Archived))
        .unwrap();
    let (a1, b1, a2) = (ack("acme", "1"), ack("beta", "1"), ack("acme", "2"));
    for a in [&a1, &b1, &a2] {
        l.add_ack(run, id, a).unwrap();
    }
    l.add_received_ack(run, id, "acme", "GS:SH:2", r#"{"n":2}"#)
        .unwrap();
    l.add_received_ack(run, id, "beta", "UNB:1", r#"{"n":0}"#)
        .unwrap();
    l.add_received_ack(run, id, "acme", "GS:SH:1", r#"{"n":1}"#)
        .unwrap();
    l.commit(run).unwrap();
    assert_eq!(l.acks_sent("acme").unwrap(), [a1, a2]);
    assert_eq!(l.acks_sent("beta").unwrap(), [b1]);
    assert!(l.acks_sent("gamma").unwrap().is_empty());
    assert_eq!(
        l.acks_received("acme").unwrap(),
        [
            ("GS:SH:2".to_owned(), r#"{"n":2}"#.to_owned()),
            ("GS:SH:1".to_owned(), r#"{"n":1}"#.to_owned())
        ],
        "oldest first"
    );
    assert_eq!(l.acks_received("beta").unwrap().len(), 1);
    assert!(l.acks_received("gamma").unwrap().is_empty());
}

pub(super) fn outbound_row(run: i64, number: &str, bytes: &[u8]) -> OutboundRow {
    OutboundRow {
        id: 0,
        run,
        channel: "acme".into(),
        kind: "ship_notice".into(),
        number: number.into(),
        purpose: "original".into(),
        content_hash: format!("hash-{number}"),
        orders: vec!["PO1".into(), "PO2".into()],
        set_id: "856".into(),
        controls: "000000001/1/0001".into(),
        ack_key: format!("GS:SH:{number}"),
        path: format!("/o/{number}.x12"),
        temp: format!("/o/.{number}"),
        bytes: bytes.to_vec(),
        sent: "t0".into(),
        export: "outbox.csv:2".into(),
    }
}

fn covered(po: &str, line: &str, q: i64) -> CoveredLine {
    CoveredLine {
        po: po.into(),
        line: line.into(),
        quantity: Decimal::from(q),
    }
}

pub fn documents_sent_round_trip(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    let sh1 = outbound_row(run, "SH1", b"one");
    let id1 = l
        .add_outbound(
            &sh1,
            &[covered("PO1", "1", 3), covered("PO1", "2", 1)],
            &["000000000000000001".into()],
        )
        .unwrap();
    let mut sh2 = outbound_row(run, "SH2", b"two");
    sh2.orders = vec!["PO1".into()];
    let id2 = l
        .add_outbound(&sh2, &[covered("PO1", "1", 2)], &[])
        .unwrap();
    assert!(id1 > 0 && id2 > id1);
    // Seen by the open run before its commit; not listed as sent until it commits.
    let docs = l.outbound_documents("acme", "ship_notice", "SH1").unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(
        docs[0],
        OutboundRow {
            id: id1,
            bytes: Vec::new(),
            ..sh1.clone()
        }
    );
    assert!(l.outbound(None).unwrap().is_empty());
    assert_eq!(
        l.covered("acme", "ship_notice", "PO1", None).unwrap(),
        [
            ("1".to_owned(), Decimal::from(5)),
            ("2".to_owned(), Decimal::from(1))
        ]
    );
    assert_eq!(
        l.covered("acme", "ship_notice", "PO1", Some("SH2"))
            .unwrap(),
        [
            ("1".to_owned(), Decimal::from(3)),
            ("2".to_owned(), Decimal::from(1))
        ],
        "leaving out the document replaced"
    );
    assert!(
        l.covered("acme", "invoice", "PO1", None)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        l.sscc_sent("000000000000000001").unwrap(),
        Some(("acme".to_owned(), "SH1".to_owned()))
    );
    assert_eq!(l.sscc_sent("000000000000000002").unwrap(), None);
    l.commit(run).unwrap();

    let all = l.outbound(None).unwrap();
    assert_eq!(
        all.iter().map(|o| o.number.as_str()).collect::<Vec<_>>(),
        ["SH1", "SH2"]
    );
    assert!(
        all.iter().all(|o| o.bytes.is_empty()),
        "without their bytes"
    );
    assert_eq!(l.outbound(Some("acme")).unwrap().len(), 2);
    assert!(l.outbound(Some("beta")).unwrap().is_empty());

    // A replacement withdraws what SH1 covered.
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    l.withdraw("acme", "ship_notice", "SH1").unwrap();
    let mut replace = outbound_row(run, "SH1", b"one again");
    replace.purpose = "replace".into();
    replace.content_hash = "hash-SH1-2".into();
    l.add_outbound(
        &replace,
        &[covered("PO1", "2", 4)],
        &["000000000000000001".into()],
    )
    .unwrap();
    l.commit(run).unwrap();
    assert_eq!(
        l.covered("acme", "ship_notice", "PO1", None).unwrap(),
        [
            ("1".to_owned(), Decimal::from(2)),
            ("2".to_owned(), Decimal::from(4))
        ]
    );
    let docs = l.outbound_documents("acme", "ship_notice", "SH1").unwrap();
    assert_eq!(
        docs.iter().map(|d| d.purpose.as_str()).collect::<Vec<_>>(),
        ["original", "replace"]
    );
    assert_eq!(
        l.sscc_sent("000000000000000001").unwrap(),
        Some(("acme".to_owned(), "SH1".to_owned()))
    );
}

fn po_line(line: &str, q: i64) -> PoLine {
    PoLine {
        line: line.into(),
        quantity: Decimal::from(q),
        unit: Some("EA".into()),
        unit_price: Some(Decimal::new(1250, 2)),
        ids: Default::default(),
    }
}

pub fn purchase_order_lines_round_trip(l: &mut dyn Ledger) {
    assert_eq!(l.po_lines("acme", "PO1").unwrap(), None);
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    let lines = [po_line("10", 1), po_line("2", 2), po_line("1", 3)];
    l.add_po(run, "acme", "PO1", &lines, true).unwrap();
    l.commit(run).unwrap();
    let got = l.po_lines("acme", "PO1").unwrap().unwrap();
    assert_eq!(
        got.iter().map(|p| p.line.as_str()).collect::<Vec<_>>(),
        ["1", "2", "10"],
        "in the partner's order"
    );
    assert_eq!(got[0], lines[2]);
    assert_eq!(l.po_lines("beta", "PO1").unwrap(), None);

    // A change order changes line 2 and adds line 3; a replacement's lines replace all.
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    l.add_po(
        run,
        "acme",
        "PO1",
        &[po_line("2", 7), po_line("3", 1)],
        false,
    )
    .unwrap();
    let got = l.po_lines("acme", "PO1").unwrap().unwrap();
    assert_eq!(
        got.iter()
            .map(|p| (p.line.as_str(), p.quantity))
            .collect::<Vec<_>>(),
        [
            ("1", Decimal::from(3)),
            ("2", Decimal::from(7)),
            ("3", Decimal::from(1)),
            ("10", Decimal::from(1))
        ]
    );
    l.add_po(run, "acme", "PO2", &[po_line("1", 1)], true)
        .unwrap();
    l.add_po(run, "acme", "PO2", &[po_line("5", 5)], true)
        .unwrap();
    l.commit(run).unwrap();
    let got = l.po_lines("acme", "PO2").unwrap().unwrap();
    assert_eq!(
        got.iter().map(|p| p.line.as_str()).collect::<Vec<_>>(),
        ["5"]
    );
    // A cancellation: no lines.
    let run = l.begin_run("t2").unwrap();
    l.begin(run).unwrap();
    l.add_po(run, "acme", "PO2", &[], true).unwrap();
    l.commit(run).unwrap();
    assert_eq!(l.po_lines("acme", "PO2").unwrap(), None);
}
