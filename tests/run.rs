//! `tallyman run` end to end: real binary, real SQLite ledger, real folders.

mod batch;

use batch::{CHANNELS, Env, identities, po, shopify};

#[test]
fn a_run_accepts_dedupes_conflicts_rejects_and_a_second_run_counts_repeats() {
    let env = Env::new(CHANNELS);
    let p1 = po(101, "PO-1", &[("24", "SKU-1"), ("10", "SKU-2")]);
    env.drop_file("acme", "a-po1.edi", &p1);
    env.drop_file("acme", "b-po2.edi", &po(102, "PO-2", &[("5", "SKU-3")]));
    // The same order again under a new interchange: a duplicate.
    env.drop_file(
        "acme",
        "c-po1-again.edi",
        &po(103, "PO-1", &[("24", "SKU-1"), ("10", "SKU-2")]),
    );
    // The same order number with another quantity: a conflict.
    env.drop_file(
        "acme",
        "d-po2-changed.edi",
        &po(104, "PO-2", &[("6", "SKU-3")]),
    );
    // A grammar error.
    env.drop_file("acme", "e-broken.edi", &po(105, "PO-3", &[("1O", "SKU-4")]));
    // A business rule: a quantity of zero.
    env.drop_file("acme", "f-zero.edi", &po(107, "PO-4", &[("0", "SKU-7")]));
    env.drop_file(
        "shop",
        "orders.csv",
        &shopify(&[("#1001", "MUG", 2), ("#1002", "CUP", 1)]),
    );

    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("tallyman run 1: 7 files"), "{}", r.stderr);
    let docs = env.erp_documents();
    assert_eq!(
        identities(&docs),
        [
            ("acme".into(), "order".into(), "PO-1".into()),
            ("acme".into(), "order".into(), "PO-2".into()),
            ("shop".into(), "order".into(), "#1001".into()),
            ("shop".into(), "order".into(), "#1002".into()),
        ]
    );
    assert_eq!(
        env.files("inbox"),
        ["run-000001-order.csv", "run-000001-order.jsonl"]
    );
    let csv = env.read("inbox/run-000001-order.csv");
    // Two PO lines, one line for PO-2, one per Shopify order, plus the header.
    assert_eq!(csv.lines().count(), 1 + 2 + 1 + 2, "{csv}");

    // Inputs left the drop folders only into the archive or quarantine.
    assert!(env.files("drop").is_empty(), "{:?}", env.files("drop"));
    assert_eq!(
        env.files("work/archive"),
        [
            "run-000001/acme/a-po1.edi",
            "run-000001/acme/b-po2.edi",
            "run-000001/acme/c-po1-again.edi",
            "run-000001/shop/orders.csv",
        ]
    );
    assert_eq!(
        env.files("work/quarantine"),
        [
            "run-000001/acme/d-po2-changed.edi",
            "run-000001/acme/d-po2-changed.edi.report.json",
            "run-000001/acme/d-po2-changed.edi.report.txt",
            "run-000001/acme/e-broken.edi",
            "run-000001/acme/e-broken.edi.report.json",
            "run-000001/acme/e-broken.edi.report.txt",
            "run-000001/acme/f-zero.edi",
            "run-000001/acme/f-zero.edi.report.json",
            "run-000001/acme/f-zero.edi.report.txt",
        ]
    );
    let conflict = env.read("work/quarantine/run-000001/acme/d-po2-changed.edi.report.txt");
    assert!(
        conflict.contains(
            "order PO-2 (original, acme) conflicts with the one accepted from b-po2.edi at byte 154"
        ),
        "{conflict}"
    );
    assert!(
        conflict.contains("this version (d-po2-changed.edi at byte 154) is not applied"),
        "{conflict}"
    );
    let broken = env.read("work/quarantine/run-000001/acme/e-broken.edi.report.txt");
    assert!(
        broken.contains("rejected 850 = order PO-3 (original)"),
        "{broken}"
    );
    assert!(broken.contains("PO102"), "{broken}");
    assert!(broken.contains("[000000105/105/0001]"), "{broken}");
    let zero = env.read("work/quarantine/run-000001/acme/f-zero.edi.report.txt");
    assert!(
        zero.contains("rejected 850 = order PO-4 (original)"),
        "{zero}"
    );
    assert!(zero.contains("items: SKU-7"), "{zero}");
    assert!(zero.contains("quantity_not_positive: line 1"), "{zero}");
    let json: serde_json::Value =
        serde_json::from_str(&env.read("work/quarantine/run-000001/acme/e-broken.edi.report.json"))
            .unwrap();
    assert_eq!(json["documents"]["rejected"], 1);
    assert_eq!(
        json["documents_not_accepted"][0]["problems"][0]["code"],
        "invalid_character"
    );

    let report: serde_json::Value =
        serde_json::from_str(&env.read("work/reports/run-000001.json")).unwrap();
    assert_eq!(report["totals"]["accepted"], 4);
    assert_eq!(report["totals"]["duplicate"], 1);
    assert_eq!(report["totals"]["conflict"], 1);
    assert_eq!(report["totals"]["rejected"], 2);
    assert_eq!(
        report["channels"]["acme"]["documents"]["order"]["accepted"],
        2
    );

    // Second run: the same file delivered again, and the same order in a new interchange.
    env.drop_file("acme", "a-po1.edi", &p1);
    env.drop_file(
        "acme",
        "f-po1-third.edi",
        &po(106, "PO-1", &[("24", "SKU-1"), ("10", "SKU-2")]),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("1 file already received before"),
        "{}",
        r.stderr
    );
    assert_eq!(env.erp_documents().len(), 4, "nothing new accepted");
    assert!(env.files("drop").is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&env.read("work/reports/run-000002.json")).unwrap();
    assert_eq!(report["totals"]["duplicate"], 1);
    assert_eq!(report["files"][0]["disposition"], "duplicate_file");
    assert!(
        report["files"][0]["duplicate_of"]
            .as_str()
            .unwrap()
            .contains("a-po1.edi received in run 1"),
        "{report}"
    );

    // A reused interchange control number with new content is refused.
    env.drop_file("acme", "g-reused.edi", &po(101, "PO-9", &[("1", "SKU-9")]));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = env.read("work/quarantine/run-000003/acme/g-reused.edi.report.txt");
    assert!(
        text.contains(
            "interchange 000000101 from 'ACME' to 'TALLYCO' was already received in a-po1.edi"
        ),
        "{text}"
    );

    // The interchange of a-po1.edi sent again whole (one byte more, so not the same file):
    // its order is a duplicate of the one accepted, not a refused reuse of the control number.
    env.drop_file("acme", "h-resent.edi", &format!("{p1}\n"));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&env.read("work/reports/run-000004.json")).unwrap();
    assert_eq!(report["totals"]["duplicate"], 1, "{report}");
    assert_eq!(report["totals"]["rejected"], 0, "{report}");
    assert_eq!(env.erp_documents().len(), 4, "nothing new accepted");

    let list = env.tallyman(&["ledger", "list", "--config", "tallyman.toml"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(list.stdout.contains("finished"), "{}", list.stdout);
    assert!(list.stdout.contains("acme/e-broken.edi"), "{}", list.stdout);
}

#[test]
fn outputs_are_identical_whatever_the_thread_count() {
    let make = || {
        let env = Env::new(CHANNELS);
        for i in 0..24u32 {
            let qty = (i % 7 + 1).to_string();
            // Every fourth file repeats an earlier order number with other content.
            let number = if i % 4 == 3 {
                format!("PO-{}", i - 2)
            } else {
                format!("PO-{i}")
            };
            env.drop_file(
                "acme",
                &format!("f{i:02}.edi"),
                &po(200 + i, &number, &[(&qty, "SKU-1"), ("2", "SKU-2")]),
            );
        }
        let orders: Vec<(String, String, u32)> = (0..50)
            .map(|i| (format!("#{}", 5000 + i), format!("S{i}"), i % 3 + 1))
            .collect();
        let refs: Vec<(&str, &str, u32)> = orders
            .iter()
            .map(|(a, b, c)| (a.as_str(), b.as_str(), *c))
            .collect();
        env.drop_file("shop", "export.csv", &shopify(&refs));
        env
    };
    let one = make();
    let two = make();
    let r1 = one.run(&["--threads", "1"]);
    let r2 = two.run(&["--threads", "2"]);
    assert_eq!(r1.code, r2.code, "{}\n{}", r1.stderr, r2.stderr);
    assert!(r2.stderr.contains("with 2 threads"), "{}", r2.stderr);
    let files = one.files("inbox");
    assert_eq!(files, two.files("inbox"));
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(
            one.read(&format!("inbox/{f}")),
            two.read(&format!("inbox/{f}")),
            "{f} differs between 1 and 2 threads"
        );
    }
    assert_eq!(one.files("work/quarantine"), two.files("work/quarantine"));
}

#[test]
fn a_quarantined_file_fixed_in_place_is_replayed() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(301, "PO-A", &[("3", "SKU-1")]));
    env.drop_file("acme", "b.edi", &po(302, "PO-B", &[("1O", "SKU-2")]));
    assert_eq!(env.run(&[]).code, 1);
    let q = "work/quarantine/run-000001/acme/b.edi";
    std::fs::write(env.path(q), po(302, "PO-B", &[("10", "SKU-2")])).unwrap();

    let r = env.tallyman(&["ledger", "replay", "--all", "--config", "tallyman.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!env.path(q).exists());
    assert!(env.path("work/archive/run-000002/acme/b.edi").exists());
    let ids = identities(&env.erp_documents());
    assert_eq!(ids.iter().filter(|i| i.2 == "PO-B").count(), 1, "{ids:?}");
    // Nothing is left to replay.
    let list = env.tallyman(&["ledger", "list", "--config", "tallyman.toml"]);
    assert!(!list.stdout.contains("in quarantine"), "{}", list.stdout);
}

#[test]
fn a_dry_run_changes_nothing() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(401, "PO-A", &[("3", "SKU-1")]));
    let r = env.run(&["--dry-run", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("tallyman dry run"), "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["totals"]["accepted"], 1);
    assert_eq!(env.files("drop"), ["acme/a.edi"]);
    assert!(env.files("inbox").is_empty());
    assert!(env.files("work/archive").is_empty());
    // The real run afterwards accepts it.
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(env.erp_documents().len(), 1);
}

#[test]
fn a_second_run_on_the_same_work_directory_leaves_cleanly() {
    let env = Env::new(CHANNELS);
    std::fs::create_dir_all(env.path("work")).unwrap();
    let held =
        tallyman::pipeline::work::lock(&env.path("work"), std::time::Duration::from_secs(3600))
            .unwrap()
            .unwrap();
    env.drop_file("acme", "a.edi", &po(501, "PO-A", &[("3", "SKU-1")]));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("another tallyman run"), "{}", r.stderr);
    assert_eq!(env.files("drop"), ["acme/a.edi"]);
    drop(held);
    assert_eq!(env.run(&[]).code, 0);
    assert!(env.files("drop").is_empty());
}

#[test]
fn a_bad_configuration_is_refused_with_line_and_key() {
    let env = Env::new(&CHANNELS.replace("profile = \"shopify-orders\"", "profile = \"shopfiy\""));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("tallyman.toml:18: channel.shop.profile: no feed profile 'shopfiy'"),
        "{}",
        r.stderr
    );
    let r = env.run(&["--partner", "nobody"]);
    assert_eq!(r.code, 2);
}

#[test]
fn a_file_still_being_written_is_left_for_the_next_run() {
    let env = Env::new(CHANNELS);
    std::fs::write(
        env.config(),
        env.read("tallyman.toml")
            .replace("settle_seconds = 0", "settle_seconds = 1.5"),
    )
    .unwrap();
    let path = env.path("drop/acme/slow.edi");
    std::fs::write(&path, po(601, "PO-S", &[("3", "SKU-1")])).unwrap();
    // The partner's upload goes on (trailing line ends) for longer than the run watches.
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            for _ in 0..40 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .unwrap();
                f.write_all(b"\n").unwrap();
            }
        })
    };
    let r = env.run(&[]);
    writer.join().unwrap();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("left for the next run (still being written): acme/slow.edi"),
        "{}",
        r.stderr
    );
    assert_eq!(env.files("drop"), ["acme/slow.edi"]);
    std::thread::sleep(std::time::Duration::from_millis(1600));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.erp_documents().len(), 1);
}

#[test]
fn the_demo_runs_and_a_second_run_accepts_nothing_new() {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/demo");
    let env = Env::new("");
    for src in batch::walk(&demo.join("drop"))
        .into_iter()
        .chain(batch::walk(&demo.join("guides")))
    {
        let rel = src.strip_prefix(&demo).unwrap();
        let dest = env.path(&rel.to_string_lossy());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&src, dest).unwrap();
    }
    std::fs::copy(demo.join("tallyman.toml"), env.config()).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let acme = r
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("acme "))
        .unwrap();
    assert_eq!(
        acme.split_whitespace().collect::<Vec<_>>(),
        ["acme", "order", "2", "1", "1", "1"]
    );
    for ch in [
        "acme-eu  order            2",
        "shopify  order            4",
        "amazon   order            3",
    ] {
        assert!(r.stderr.contains(ch), "{ch}: {}", r.stderr);
    }
    assert_eq!(
        env.files("work/quarantine").len(),
        6,
        "two files with two reports each"
    );
    let accepted = env.files("work/erp-inbox");
    // A 997 per X12 interchange, the broken file's rejecting it at its segment and element;
    // a CONTRL per EDIFACT interchange.
    let sent = env.files("work/outbound");
    assert_eq!(
        sent,
        [
            "acme-eu/acme-eu-contrl-1.edi",
            "acme-eu/acme-eu-contrl-2.edi",
            "acme/acme-997-000000001.x12",
            "acme/acme-997-000000002.x12",
            "acme/acme-997-000000003.x12",
            "acme/acme-997-000000004.x12",
            "acme/acme-997-000000005.x12",
        ]
    );
    let broken = env.read("work/outbound/acme/acme-997-000000005.x12");
    assert!(
        broken.contains("AK1*PO*4204~AK2*850*0001~AK3*PO1*21**8~AK4*2**6*1O~AK5*R*5~AK9*R*1*1*0~"),
        "{broken}"
    );
    assert!(
        env.read("work/outbound/acme/acme-997-000000001.x12")
            .contains("AK9*A*1*1*1~")
    );
    assert!(
        env.read("work/outbound/acme-eu/acme-eu-contrl-1.edi")
            .contains("UCI+4201+")
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("acme: 5 files already received before"),
        "{}",
        r.stderr
    );
    assert_eq!(env.files("work/erp-inbox"), accepted, "nothing new");
    assert_eq!(env.files("work/outbound"), sent, "no ack sent again");
    // The drop folders are kept.
    assert_eq!(env.files("drop").len(), 9);
}

#[test]
fn a_file_over_the_size_limit_is_quarantined_unread() {
    let env = Env::new(&format!("\n[limits]\nmax_file_bytes = 200\n{CHANNELS}"));
    env.drop_file("acme", "big.edi", &po(801, "PO-B", &[("3", "SKU-1")]));
    env.drop_file("shop", "small.csv", "Name\n");
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = env.read("work/quarantine/run-000001/acme/big.edi.report.txt");
    assert!(
        text.contains("more than the limit of 200 (limits.max_file_bytes); it is not read"),
        "{text}"
    );
    assert!(env.erp_documents().is_empty());
}

#[test]
fn a_quarantine_report_lists_every_rejected_document_and_the_run_report_the_first_100() {
    let env = Env::new(CHANNELS);
    let names: Vec<String> = (1..=150).map(|n| format!("#{n}")).collect();
    let orders: Vec<(&str, &str, u32)> = names.iter().map(|n| (n.as_str(), "SKU-1", 1)).collect();
    let export = batch::shopify(&orders).replace(",Mug,10.00,", ",Mug,1x,");
    env.drop_file("shop", "bad.csv", &export);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The summary names the first problem.
    assert!(
        r.stderr.contains("quarantined shop/bad.csv: ") && r.stderr.contains("'1x'"),
        "{}",
        r.stderr
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.read("work/quarantine/run-000001/shop/bad.csv.report.json"))
            .expect("quarantine report parses");
    let listed = json["documents_not_accepted"]
        .as_array()
        .expect("documents");
    assert_eq!(listed.len(), 150);
    assert_eq!(listed[149]["problems"][0]["row"], 151);
    assert_eq!(json["documents"]["rejected"], 150);
    assert!(json.get("documents_not_listed").is_none());
    let text = env.read("work/quarantine/run-000001/shop/bad.csv.report.txt");
    assert_eq!(text.matches("\nrejected ").count(), 150, "{text}");
    assert!(text.contains("#150"), "{text}");
    // The run report lists the first 100 and counts the rest.
    let run: serde_json::Value =
        serde_json::from_str(&env.read("work/reports/run-000001.json")).expect("run report");
    let file = &run["files"][0];
    assert_eq!(
        file["documents_not_accepted"].as_array().unwrap().len(),
        100
    );
    assert_eq!(file["documents_not_listed"], 50);
    // Nothing of the spools is left.
    let left: Vec<_> = batch::walk(&env.path("work"))
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("not-accepted"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The content hashes of the accepted documents in the ledger, by document number.
fn accepted_hashes(env: &Env) -> std::collections::BTreeMap<String, String> {
    let db = rusqlite::Connection::open(env.path("work/ledger.sqlite")).unwrap();
    let mut st = db
        .prepare("SELECT number, content_hash FROM documents WHERE route = 'accepted'")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// A ledger written before content hashes were versioned holds v1 hashes (SHA-256 of the JSON
/// with a default source); re-sent documents are still duplicates and changed ones conflicts,
/// and new documents are recorded with v2 hashes (of the values).
#[test]
fn a_ledger_of_v1_content_hashes_still_tells_duplicates_from_conflicts() {
    use sha2::{Digest, Sha256};
    use tallyman::model::hash::{ContentHash, ValueHasher};
    use tallyman::model::{Document, Source};

    let env = Env::new(CHANNELS);
    let lines = |qty| [(qty, "SKU-1"), ("10", "SKU-2")];
    env.drop_file("acme", "a-po1.edi", &po(201, "PO-1", &lines("24")));
    env.drop_file("acme", "b-po2.edi", &po(202, "PO-2", &lines("5")));
    env.drop_file("acme", "c-po3.edi", &po(203, "PO-3", &lines("7")));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs: Vec<Document> = env
        .erp_documents()
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    assert_eq!(docs.len(), 3);

    // Recorded with v2 hashes: of the values, without the source.
    let mut hasher = ValueHasher::new();
    let recorded = accepted_hashes(&env);
    for d in &docs {
        let v2 = ContentHash::V2(hasher.document(d).unwrap()).to_string();
        assert!(v2.starts_with("v2:"), "{v2}");
        assert_eq!(recorded[d.number()], v2);
    }

    // What tallyman wrote before v2: SHA-256 of the document's JSON with a default source, in
    // bare hex. PO-3's row gets the v1 hash of other content, which a re-sent PO-3 must not
    // match.
    let v1 = |d: &Document| {
        let mut bare = d.clone();
        *bare.source_mut() = Source::default();
        let h: [u8; 32] = Sha256::digest(serde_json::to_vec(&bare).unwrap()).into();
        ContentHash::V1(h).to_string()
    };
    let db = rusqlite::Connection::open(env.path("work/ledger.sqlite")).unwrap();
    for d in &docs {
        let hash = match d.number() {
            "PO-3" => v1(&docs[0]),
            _ => v1(d),
        };
        assert_eq!(hash.len(), 64, "{hash}");
        db.execute(
            "UPDATE documents SET content_hash = ?1 WHERE number = ?2",
            [&hash, d.number()],
        )
        .unwrap();
    }
    drop(db);

    env.drop_file("acme", "d-po1-again.edi", &po(204, "PO-1", &lines("24")));
    env.drop_file("acme", "e-po2-changed.edi", &po(205, "PO-2", &lines("6")));
    env.drop_file("acme", "f-po3-again.edi", &po(206, "PO-3", &lines("7")));
    env.drop_file("acme", "g-po4.edi", &po(207, "PO-4", &lines("1")));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: serde_json::Value =
        serde_json::from_str(&env.read("work/reports/run-000002.json")).unwrap();
    assert_eq!(report["totals"]["accepted"], 1, "{report}");
    assert_eq!(report["totals"]["duplicate"], 1, "{report}");
    assert_eq!(report["totals"]["conflict"], 2, "{report}");
    assert_eq!(
        env.files("work/archive/run-000002"),
        ["acme/d-po1-again.edi", "acme/g-po4.edi"]
    );
    let conflict = env.read("work/quarantine/run-000002/acme/e-po2-changed.edi.report.txt");
    assert!(
        conflict
            .contains("order PO-2 (original, acme) conflicts with the one accepted from b-po2.edi"),
        "{conflict}"
    );
    let recorded = accepted_hashes(&env);
    let po4: Document = serde_json::from_value(env.erp_documents().pop().unwrap()).unwrap();
    assert_eq!(po4.number(), "PO-4");
    assert_eq!(
        recorded["PO-4"],
        ContentHash::V2(hasher.document(&po4).unwrap()).to_string()
    );
    assert_eq!(
        recorded["PO-1"],
        v1(&docs[0]),
        "old rows are left as they are"
    );
}
