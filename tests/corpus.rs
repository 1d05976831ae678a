//! The public corpus in `../shared/corpus` (skipped when absent): every X12 850, 856 and 810 and
//! every EDIFACT ORDERS, DESADV and INVOIC translates with the right numbers, lines and parties;
//! every file of `negative/` is rejected with findings that name the problem. Snapshots hold a
//! summary per file (numbers, dates, line counts, parties, totals), not the partners' data in
//! full.

mod common;

use common::{corpus, files, translate, translate_checked};
use tallyman::grammar::Strictness;
use tallyman::map::x12::Status;
use tallyman::model::Document;

fn summary(d: &Document) -> String {
    let parties = |ps: &[tallyman::model::Party]| {
        ps.iter()
            .map(|p| format!("{}:{}", p.role_code, p.name.as_deref().unwrap_or("-")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match d {
        Document::Order(o) => format!(
            "order {} date {:?} purpose {:?} lines {} qty {} parties [{}] totals {:?}",
            o.order_number,
            o.order_date.map(|d| d.to_string()),
            o.purpose,
            o.lines.len(),
            o.lines
                .iter()
                .map(|l| l.quantity)
                .sum::<rust_decimal::Decimal>(),
            parties(&o.parties),
            o.totals
        ),
        Document::ShipNotice(s) => format!(
            "ship_notice {} date {:?} orders {:?} packages {} lines {} qty {} parties [{}] carrier {:?}",
            s.shipment_id,
            s.ship_date.map(|d| d.to_string()),
            s.order_refs,
            s.packages.len(),
            s.lines.len(),
            s.lines
                .iter()
                .map(|l| l.quantity)
                .sum::<rust_decimal::Decimal>(),
            parties(&s.parties),
            s.carrier.as_ref().and_then(|c| c.scac.clone())
        ),
        Document::Invoice(i) => format!(
            "invoice {} date {:?} order {:?} lines {} total {:?} parties [{}]",
            i.invoice_number,
            i.invoice_date.map(|d| d.to_string()),
            i.order_number,
            i.lines.len(),
            i.total_amount.map(|t| t.to_string()),
            parties(&i.parties)
        ),
    }
}

#[test]
fn corpus_x12_850_856_810_translate() {
    corpus_translates(&["x12-850", "x12-856", "x12-810"]);
}

#[test]
fn corpus_edifact_orders_desadv_invoic_translate() {
    corpus_translates(&["edifact-orders", "edifact-desadv", "edifact-invoic"]);
}

fn corpus_translates(folders: &[&str]) {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus is absent: skipped");
        return;
    };
    let mut failures = Vec::new();
    for folder in folders {
        for path in files(&root.join(folder), &["edi", "txt"]) {
            let name = format!("{folder}/{}", path.file_name().unwrap().to_string_lossy());
            // Real files carry real faults: translate them the way an operator onboarding the
            // partner would, with --lenient --relax-envelope --no-rules (everything must be
            // read); the strict verdict, business rules included, is snapshotted.
            let lenient = translate_checked(&path, Strictness::Lenient, true, false);
            if lenient.outcomes.is_empty() {
                failures.push(format!("{name}: no transaction sets found"));
            }
            let mut out = String::new();
            for o in &lenient.outcomes {
                if o.status != Status::Accepted {
                    failures.push(format!(
                        "{name}: {} {:?} not accepted: {:#?} {:?}",
                        o.set_id, o.controls, o.findings, o.envelope_reasons
                    ));
                    continue;
                }
                let doc = o.document.as_ref().unwrap();
                // Our JSON writer gives serde_json's bytes on every real document.
                let mut ours = Vec::new();
                tallyman::model::json::write(&mut ours, doc).unwrap();
                if ours != serde_json::to_vec(doc).unwrap() {
                    failures.push(format!("{name}: model::json differs from serde_json"));
                }
                out.push_str(&format!("{} {}: {}\n", o.set_id, o.controls, summary(doc)));
            }
            let strict = translate(&path, Strictness::Strict);
            out.push_str("-- strict:\n");
            for o in &strict.outcomes {
                out.push_str(&format!("{} {:?}\n", o.set_id, o.status));
            }
            for f in strict.findings() {
                out.push_str(&format!("{f}\n"));
            }
            insta::assert_snapshot!(format!("corpus__{}", name.replace('/', "__")), out);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_negative_is_rejected() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus is absent: skipped");
        return;
    };
    for path in files(&root.join("negative"), &["edi", "txt"]) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let t = translate(&path, Strictness::Strict);
        let errors = t.errors();
        assert!(!errors.is_empty(), "{name}: no error reported");
        let rejected_something =
            t.outcomes.iter().any(|o| o.status != Status::Accepted) || t.envelope_errors() > 0;
        assert!(rejected_something, "{name}: nothing rejected");
        let mut out = String::new();
        for o in &t.outcomes {
            out.push_str(&format!("{} {:?} {:?}\n", o.set_id, o.controls, o.status));
        }
        for f in errors {
            out.push_str(&format!("{f}\n"));
        }
        insta::assert_snapshot!(format!("negative__{name}"), out);
    }
}
