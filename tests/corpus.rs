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
        Document::Acknowledgment(a) => ack_summary(a),
    }
}

fn ack_summary(a: &tallyman::model::ack::Acknowledgment) -> String {
    let sets: Vec<String> = a
        .sets
        .iter()
        .map(|s| format!("{} {} {}", s.set_id, s.control, s.verdict_code))
        .collect();
    let codes: Vec<&str> = a.codes.iter().map(|c| c.code.as_str()).collect();
    format!(
        "acknowledgment {} {} verdict {:?} ({}) codes {codes:?} sets {sets:?}",
        a.ack_type.as_str(),
        a.number,
        a.verdict,
        a.verdict_code
    )
}

/// The acknowledgments partners sent in the corpus, with what can be read in each file: the
/// control number acknowledged and the verdict. Real files carry real faults (a TA1 whose
/// TA101 is five digits, a 997 with repetitions in AK3), so they are read leniently, as an
/// operator onboarding the partner would.
#[test]
fn corpus_acknowledgments_translate() {
    use tallyman::model::ack::{AckType, AckVerdict};
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus is absent: skipped");
        return;
    };
    /// What one file acknowledges: per ack, its type, number and verdict.
    type Acks = &'static [(AckType, &'static str, AckVerdict)];
    let expected: &[(&str, Acks)] = &[
        (
            "x12-other/staedi__simple997-multiple-interchanges.edi",
            &[(AckType::Fa997, "GS:HC:000001", AckVerdict::Rejected); 3],
        ),
        (
            "x12-other/staedi__optionalInterchangeServices.edi",
            &[(AckType::Fa997, "GS:HC:000001", AckVerdict::Accepted)],
        ),
        (
            "x12-other/staedi__extraDelimiter997.edi",
            &[(AckType::Fa997, "GS:HC:000001", AckVerdict::Rejected)],
        ),
        (
            "x12-other/oopfactory__TechnicalAcknowledgment_SampleFromJeffN825.txt",
            &[(AckType::Ta1, "ISA:900000001", AckVerdict::Rejected)],
        ),
        (
            "x12-810/edifabric__X12_810_00204_TA1.txt",
            &[(AckType::Ta1, "ISA:17456", AckVerdict::Accepted)],
        ),
    ];
    for (file, acks) in expected {
        let t = translate_checked(&root.join(file), Strictness::Lenient, true, false);
        let got: Vec<(AckType, &str, AckVerdict)> = t
            .outcomes
            .iter()
            .filter_map(|o| match &o.document {
                Some(Document::Acknowledgment(a)) => {
                    Some((a.ack_type, a.number.as_str(), a.verdict))
                }
                _ => None,
            })
            .collect();
        assert_eq!(got, *acks, "{file}: {:#?}", t.outcomes);
    }
    // What the files say beyond the verdict: the set, segment and element in error.
    let t = translate_checked(
        &root.join("x12-other/staedi__simple997-multiple-interchanges.edi"),
        Strictness::Lenient,
        true,
        false,
    );
    let Some(Document::Acknowledgment(a)) = &t.outcomes[0].document else {
        panic!("an acknowledgment");
    };
    let set = &a.sets[0];
    assert_eq!((set.set_id.as_str(), set.control.as_str()), ("837", "0021"));
    let seg = &set.errors[0];
    assert_eq!(
        (seg.segment_id.as_deref(), seg.position),
        (Some("NM1"), Some(8))
    );
    let el = &seg.elements[0];
    assert_eq!(
        (
            el.position,
            el.reference.as_deref(),
            el.bad_value.as_deref()
        ),
        (Some(8), Some("66"), Some("MI"))
    );
    assert_eq!(
        el.code.as_ref().map(|c| c.meaning.as_str()),
        Some("invalid code value")
    );
    let counts = a.counts;
    assert_eq!(
        (counts.included, counts.received, counts.accepted),
        (Some(1), Some(1), Some(0))
    );
    // The TA1 of the JeffN825 sample rejects interchange 900000001 with note 006.
    let t = translate_checked(
        &root.join("x12-other/oopfactory__TechnicalAcknowledgment_SampleFromJeffN825.txt"),
        Strictness::Lenient,
        true,
        false,
    );
    let Some(Document::Acknowledgment(a)) = &t.outcomes[0].document else {
        panic!("an acknowledgment: {:#?}", t.outcomes);
    };
    assert_eq!(a.codes[0].code, "006");
    assert_eq!(a.codes[0].meaning, "invalid interchange sender ID");
}

/// The broken 997s of `negative/` are rejected, each with the reason the file was made for.
#[test]
fn corpus_broken_997s_are_rejected_with_their_reason() {
    let Some(root) = corpus() else {
        eprintln!("../shared/corpus is absent: skipped");
        return;
    };
    for (file, reason) in [
        ("staedi__empty997.edi", "mandatory segment AK1"),
        (
            "staedi__invalid997.edi",
            "AK101 (Functional Identifier Code) 'HC NOT IN CODESET'",
        ),
        (
            "staedi__invalid997_min.edi",
            "GS04 'BAD_DATE' is not a date",
        ),
    ] {
        let t = translate(&root.join("negative").join(file), Strictness::Strict);
        assert!(
            t.outcomes
                .iter()
                .all(|o| o.set_id == "997" && o.status == Status::Rejected && o.document.is_none()),
            "{file}: {:#?}",
            t.outcomes
        );
        let said: Vec<String> = t
            .errors()
            .iter()
            .map(|f| f.to_string())
            .chain(
                t.outcomes
                    .iter()
                    .flat_map(|o| o.envelope_reasons.iter().map(|r| r.to_string())),
            )
            .collect();
        assert!(said.iter().any(|s| s.contains(reason)), "{file}: {said:#?}");
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
