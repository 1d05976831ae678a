//! Generation throughput: canonical ship notices and invoices → 856/810 and DESADV/INVOIC,
//! body and envelope, in documents per second.
//!
//! `cargo bench --bench outbound` runs criterion. For instruction counts, which do not depend
//! on what else the machine does: `OUTBOUND_DOCS=2000 valgrind --tool=callgrind
//! target/release/deps/outbound-HASH` writes each kind's documents once and exits (divide by
//! the documents, minus a run with `OUTBOUND_DOCS=0` for start-up); `OUTBOUND_KIND=856` (810,
//! DESADV, INVOIC) writes one kind only.

use criterion::{Criterion, Throughput};
use rust_decimal::Decimal;
use tallyman::envelope::build::{
    EdifactEnvelope, EdifactMessage, X12Envelope, X12Group, X12Set, write_edifact, write_x12,
};
use tallyman::map::outbound::{Hierarchy, Profile, body};
use tallyman::model::*;

fn sscc(n: u64) -> String {
    let body = format!("00614141{n:09}");
    let c = tallyman::synthetic::check_digit(&body);
    format!("{body}{c}")
}

/// A pick-and-pack ship notice: one order, a pallet of four cartons, eight lines.
fn ship_notice(n: u64) -> Document {
    let pallet = sscc(n * 10);
    let mut packages = vec![Package {
        sscc: Some(pallet.clone()),
        marks: vec![],
        level: "tare".into(),
        parent: None,
        tracking_number: None,
        lines: vec![],
    }];
    let mut lines = Vec::new();
    for i in 1..=8u64 {
        let carton = sscc(n * 10 + i.div_ceil(2));
        if i % 2 == 1 {
            packages.push(Package {
                sscc: Some(carton.clone()),
                marks: vec![],
                level: "pack".into(),
                parent: Some(pallet.clone()),
                tracking_number: None,
                lines: vec![],
            });
        }
        packages
            .last_mut()
            .expect("a carton")
            .lines
            .push(i.to_string());
        lines.push(ShipLine {
            line_number: i.to_string(),
            order_number: Some(format!("PO-{n}")),
            quantity: Decimal::from(i * 3),
            unit: Some("EA".into()),
            quantity_ordered: None,
            item_ids: ItemIds {
                vendor_part: Some(format!("SKU-{i}")),
                buyer_part: Some(format!("B-{i}")),
                ..Default::default()
            },
            description: None,
            package: Some(carton),
        });
    }
    Document::ShipNotice(ShipNotice {
        shipment_id: format!("SH-{n}"),
        ship_date: Some(jiff::civil::date(2024, 3, 14)),
        ship_time: Some(jiff::civil::time(14, 30, 0, 0)),
        purpose: Purpose::Original,
        order_refs: vec![format!("PO-{n}")],
        carrier: Some(Carrier {
            scac: Some("TLYF".into()),
            name: None,
            mode: Some("M".into()),
            service_level: None,
        }),
        tracking_numbers: vec![],
        bill_of_lading: Some(format!("BOL-{n}")),
        parties: vec![],
        references: vec![],
        dates: vec![],
        packages,
        lines,
        totals: Totals::default(),
        source: Source::default(),
    })
}

/// An invoice of eight lines.
fn invoice(n: u64) -> Document {
    let lines: Vec<InvoiceLine> = (1..=8u64)
        .map(|i| InvoiceLine {
            line_number: i.to_string(),
            quantity: Decimal::from(i * 3),
            unit: Some("EA".into()),
            unit_price: Some(Decimal::new(1250, 2)),
            item_ids: ItemIds {
                vendor_part: Some(format!("SKU-{i}")),
                ..Default::default()
            },
            description: None,
            allowances_charges: vec![],
            taxes: vec![],
        })
        .collect();
    let total: Decimal = lines
        .iter()
        .map(|l| l.quantity * l.unit_price.unwrap_or_default())
        .sum();
    Document::Invoice(Invoice {
        invoice_number: format!("INV-{n}"),
        invoice_date: Some(jiff::civil::date(2024, 3, 15)),
        purpose: Purpose::Original,
        invoice_type: None,
        order_number: Some(format!("PO-{n}")),
        order_date: None,
        currency: Some("USD".into()),
        parties: vec![],
        references: vec![],
        dates: vec![],
        terms: None,
        lines,
        allowances_charges: vec![],
        taxes: vec![],
        total_amount: Some(total),
        totals: Totals::default(),
        notes: vec![],
        source: Source::default(),
    })
}

fn stamp() -> jiff::civil::DateTime {
    jiff::civil::date(2026, 12, 3).at(9, 30, 0, 0)
}

/// Writes one document as a whole interchange; returns its length.
fn write(doc: &Document, edifact: bool, n: u64, out: &mut Vec<u8>) -> usize {
    let profile = Profile {
        version: if edifact { "D96A" } else { "004010" }.into(),
        hierarchy: Hierarchy::ShipmentOrderPackItem,
        ..Profile::default()
    };
    let b = body(doc, edifact, &profile).expect("writable");
    out.clear();
    let id = |q: &str, v: &str| Identity {
        qualifier: q.into(),
        id: v.into(),
    };
    if edifact {
        let env = EdifactEnvelope {
            syntax_id: "UNOC".into(),
            syntax_version: "3".into(),
            sender: id("14", "0614141200016"),
            recipient: id("14", "0614141100422"),
            control: n,
            ack_requested: false,
            test: false,
            delimiters: Default::default(),
            stamp: stamp(),
            transliterate: true,
        };
        let m = EdifactMessage {
            reference: n,
            identifier: vec![b.set_id, "D", "96A", "UN"],
            segments: &b.segments,
        };
        write_edifact(out, &env, &[m]).expect("envelope");
    } else {
        let env = X12Envelope {
            sender: id("ZZ", "NORTHWINDSUP"),
            receiver: id("ZZ", "ACMERETAIL"),
            version: "00401".into(),
            control: n,
            ack_requested: false,
            usage: "P".into(),
            delimiters: Default::default(),
            stamp: stamp(),
        };
        let g = X12Group {
            functional_id: b.functional_id,
            sender: "NORTHWINDSUP",
            receiver: "ACMERETAIL",
            control: n,
            version: "004010",
            sets: vec![X12Set {
                id: b.set_id,
                control: n,
                implementation: None,
                segments: &b.segments,
            }],
        };
        write_x12(out, &env, &[], &[g]).expect("envelope");
    }
    out.len()
}

/// A document kind: its set id, whether it is EDIFACT, and how to make the n-th one.
type Kind = (&'static str, bool, fn(u64) -> Document);

const KINDS: [Kind; 4] = [
    ("856", false, ship_notice),
    ("810", false, invoice),
    ("DESADV", true, ship_notice),
    ("INVOIC", true, invoice),
];

fn main() {
    if let Some(n) = std::env::var("OUTBOUND_DOCS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        let mut out = Vec::new();
        let mut bytes = 0;
        let only = std::env::var("OUTBOUND_KIND").ok();
        let mut docs = 0;
        for (name, edifact, make) in KINDS {
            if only.as_deref().is_some_and(|k| k != name) {
                continue;
            }
            docs += n;
            for i in 1..=n {
                bytes += write(&make(i), edifact, i, &mut out);
            }
        }
        println!("{docs} documents, {bytes} bytes");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("generate");
    const N: u64 = 200;
    g.throughput(Throughput::Elements(N));
    g.sample_size(20);
    for (name, edifact, make) in KINDS {
        let docs: Vec<Document> = (1..=N).map(make).collect();
        g.bench_function(name, |b| {
            let mut out = Vec::new();
            b.iter(|| {
                docs.iter()
                    .enumerate()
                    .map(|(i, d)| write(d, edifact, i as u64 + 1, &mut out))
                    .sum::<usize>()
            })
        });
    }
    g.finish();
    c.final_summary();
}
