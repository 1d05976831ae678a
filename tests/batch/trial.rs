//! A batch for exactly-once trials (tests/exactly_once.rs, tests/workers.rs): X12 orders with a
//! duplicate, a conflict and a broken file, two feeds, ERP exports to send, and what a batch
//! left behind (ERP documents, stored inputs, acknowledgments and documents sent).

use super::{CHANNELS, Env, po, shopify, walk};
use std::collections::BTreeMap;

/// The batch's channels, the X12 one sending a 997 per group and a TA1 on interchange errors,
/// and ship notices and invoices from the ERP outbox.
pub fn channels_with_acks() -> String {
    CHANNELS.replace(
        "version = \"004010\"\n",
        "version = \"004010\"\noutbound = \"out/acme\"\nacks = \"997\"\nta1 = \"errors\"\n\n[channel.acme.send]\n",
    )
}

/// The ERP exports of `batch::write_exports`, and the outbox in the configuration.
pub fn exports(env: &Env) {
    super::write_exports(env);
    let text = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        text.replace(
            "erp_inbox = \"inbox\"\n",
            "erp_inbox = \"inbox\"\nerp_outbox = \"outbox\"\n",
        ),
    )
    .unwrap();
}

/// The batch every trial starts from: orders, a duplicate, a conflict, a broken file, two feeds.
pub fn populate(env: &Env) {
    for i in 0..10u32 {
        let qty = (i + 1).to_string();
        env.drop_file(
            "acme",
            &format!("po-{i:02}.edi"),
            &po(
                700 + i,
                &format!("PO-{i}"),
                &[(&qty, "SKU-1"), ("2", "SKU-2")],
            ),
        );
    }
    env.drop_file(
        "acme",
        "po-03-again.edi",
        &po(710, "PO-3", &[("4", "SKU-1"), ("2", "SKU-2")]),
    );
    env.drop_file(
        "acme",
        "po-04-changed.edi",
        &po(711, "PO-4", &[("9", "SKU-1")]),
    );
    env.drop_file("acme", "po-broken.edi", &po(712, "PO-X", &[("x", "SKU-1")]));
    env.drop_file(
        "shop",
        "day1.csv",
        &shopify(&[("#1", "A", 1), ("#2", "B", 2), ("#3", "C", 3)]),
    );
    env.drop_file(
        "shop",
        "day2.csv",
        &shopify(&[("#3", "C", 3), ("#4", "D", 1)]),
    );
}

pub struct State {
    /// Each accepted document (as JSON text) with how often it is in the ERP files.
    pub documents: BTreeMap<String, usize>,
    /// CSV data rows with their counts.
    pub csv_rows: BTreeMap<String, usize>,
    /// Checksums of stored inputs (archive and quarantine, reports excluded), sorted.
    pub stored: Vec<String>,
    pub left_in_drop: Vec<String>,
    pub temp_files: Vec<String>,
    /// Per acknowledged inbound group (GS06 of AK1), the AK9 verdicts sent for it.
    pub acks: BTreeMap<String, Vec<String>>,
    /// Our control numbers (ISA13, GS06, ST02) in the acknowledgments and documents sent, as
    /// often as they occur.
    pub ack_controls: Vec<(String, String)>,
    /// Ship notice and invoice numbers (BSN02, BIG02) sent, as often as they occur.
    pub sent: Vec<String>,
}

/// What a batch left: `works` are the work directories of the workers that ran it.
pub fn state(env: &Env, works: &[&str]) -> State {
    let mut documents = BTreeMap::new();
    let mut csv_rows = BTreeMap::new();
    let mut temp_files = Vec::new();
    for f in env.files("inbox") {
        if f.starts_with('.') {
            temp_files.push(f);
            continue;
        }
        let text = env.read(&format!("inbox/{f}"));
        if f.ends_with(".jsonl") {
            for l in text.lines() {
                *documents.entry(l.to_owned()).or_insert(0) += 1;
            }
        } else {
            for l in text.lines().skip(1) {
                *csv_rows.entry(l.to_owned()).or_insert(0) += 1;
            }
        }
    }
    let mut acks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut ack_controls = Vec::new();
    let mut sent = Vec::new();
    for f in env.files("out/acme") {
        if f.starts_with('.') {
            temp_files.push(format!("out/acme/{f}"));
            continue;
        }
        let text = env.read(&format!("out/acme/{f}"));
        let mut group = String::new();
        for seg in text.split('~').map(str::trim).filter(|s| !s.is_empty()) {
            let el: Vec<&str> = seg.split('*').collect();
            match el[0] {
                "ISA" => ack_controls.push(("ISA13".into(), el[13].to_owned())),
                "GS" => ack_controls.push(("GS06".into(), el[6].to_owned())),
                "ST" => ack_controls.push(("ST02".into(), el[2].to_owned())),
                "AK1" => group = el[2].to_owned(),
                "BSN" => sent.push(el[2].to_owned()),
                "BIG" => sent.push(el[2].to_owned()),
                "AK9" => acks
                    .entry(group.clone())
                    .or_default()
                    .push(el[1].to_owned()),
                _ => {}
            }
        }
    }
    let mut stored: Vec<String> = works
        .iter()
        .flat_map(|w| [format!("{w}/archive"), format!("{w}/quarantine")])
        .flat_map(|d| walk(&env.path(&d)))
        .filter(|p| !p.to_string_lossy().contains(".report."))
        .map(|p| tallyman::transport::sha256_file(&p).unwrap())
        .collect();
    stored.sort();
    sent.sort();
    let mut left_in_drop = env.files("drop");
    left_in_drop.extend(env.files("outbox"));
    State {
        documents,
        csv_rows,
        stored,
        left_in_drop,
        temp_files,
        acks,
        ack_controls,
        sent,
    }
}

pub fn input_checksums(env: &Env) -> Vec<String> {
    let mut v: Vec<String> = walk(&env.path("drop"))
        .iter()
        .chain(walk(&env.path("outbox")).iter())
        .map(|p| tallyman::transport::sha256_file(p).unwrap())
        .collect();
    v.sort();
    v
}

impl State {
    /// What every exactly-once trial asserts, against a clean run's `reference`: nothing
    /// temporary or unread left, every input stored once, every document in the ERP files
    /// once, every inbound group acknowledged once and as the clean run did, and no control
    /// number of ours repeated.
    pub fn assert_once(&self, reference: &State, inputs: &[String], what: &str) {
        assert!(
            self.temp_files.is_empty(),
            "{what}: temporary files left: {:?}",
            self.temp_files
        );
        assert!(
            self.left_in_drop.is_empty(),
            "{what}: inputs left: {:?}",
            self.left_in_drop
        );
        assert_eq!(
            self.stored, inputs,
            "{what}: stored inputs differ from the inputs"
        );
        for (doc, n) in &self.documents {
            assert_eq!(*n, 1, "{what}: document in the ERP files {n} times: {doc}");
        }
        for (group, verdicts) in &self.acks {
            assert_eq!(
                verdicts.len(),
                1,
                "{what}: group {group} acknowledged {verdicts:?}"
            );
        }
        assert_eq!(
            self.acks, reference.acks,
            "{what}: acknowledgments differ from a clean run"
        );
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.ack_controls {
            assert!(seen.insert(c), "{what}: control number {c:?} sent twice");
        }
    }
}
