//! Ship notices and invoices from the ERP outbox, end to end through `tallyman run`: the demo
//! sends and holds what it should, what was sent parses back with no finding, the partners'
//! acknowledgments mark it accepted or rejected, a document exported again is not sent again,
//! and CSV exports are read through their profiles.

mod batch;

use batch::{Env, po};

/// The demo copied into a temporary folder: drop folders, outbox and configuration.
fn demo() -> Env {
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/demo");
    let env = Env::new("");
    for dir in ["drop", "outbox", "guides"] {
        for src in batch::walk(&demo.join(dir)) {
            let rel = src.strip_prefix(&demo).unwrap();
            let dest = env.path(&rel.to_string_lossy());
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(&src, dest).unwrap();
        }
    }
    std::fs::copy(demo.join("tallyman.toml"), env.config()).unwrap();
    env
}

/// Asserts that a run's stderr says `what`.
#[track_caller]
fn says(r: &batch::Ran, what: &str) {
    assert!(
        r.stderr.contains(what),
        "expected {what:?} in:\n{}",
        r.stderr
    );
}

/// Replaces `from` with `to` in the test's configuration.
fn edit_config(env: &Env, from: &str, to: &str) {
    let text = std::fs::read_to_string(env.config()).unwrap();
    assert!(text.contains(from), "{from:?} not in the configuration");
    std::fs::write(env.config(), text.replacen(from, to, 1)).unwrap();
}

/// An exported document with another purpose (`replace`, `cancel`).
fn amended(text: String, purpose: &str) -> String {
    text.replace(
        "\"purpose\":\"original\"",
        &format!("\"purpose\":\"{purpose}\""),
    )
}

fn run_report(env: &Env, run: u32) -> serde_json::Value {
    serde_json::from_str(&env.read(&format!("work/reports/run-{run:06}.json"))).expect("run report")
}

#[test]
fn the_demo_sends_what_agrees_with_the_po_and_holds_the_rest_and_acks_mark_it() {
    let env = demo();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sent = env.files("work/outbound");
    for f in [
        "acme-eu/acme-eu-desadv-3.edi",
        "acme-eu/acme-eu-invoic-4.edi",
        "acme/acme-856-000000006.x12",
        "acme/acme-810-000000007.x12",
    ] {
        assert!(sent.contains(&f.to_owned()), "{f}: {sent:?}");
    }
    let report = run_report(&env, 1);
    let held: Vec<(String, String)> = report["outbound"]["held"]
        .as_array()
        .expect("held documents")
        .iter()
        .map(|h| {
            (
                h["number"].as_str().unwrap().to_owned(),
                h["problems"][0]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            ("INV-90002".to_owned(), "over_invoice".to_owned()),
            ("SH-70002".to_owned(), "over_shipment".to_owned()),
            ("SH-70003".to_owned(), "po_unknown".to_owned()),
        ]
    );
    // The held ones' export is quarantined with a report naming PO, line, item and rule.
    let text =
        env.read("work/quarantine/run-000001/@erp-outbox/acme/03-asn-problems.jsonl.report.txt");
    assert!(
        text.contains("ship notice SH-70002")
            && text.contains("PO 4500012345")
            && text.contains("over_shipment: line 1 (vendor part NW-CB3-BAM)")
            && text.contains("PO 4500012345 line 2"),
        "{text}"
    );
    assert!(
        env.path("work/archive/run-000001/@erp-outbox/acme/01-asn-SH-70001.jsonl")
            .exists()
    );
    // What was sent reads back through our own reader and grammar with no finding at all.
    for f in &sent {
        let path = env.path(&format!("work/outbound/{f}"));
        let t = env.tallyman(&["translate", &path.to_string_lossy()]);
        assert_eq!(t.code, 0, "{f}: {}", t.stderr);
        assert!(
            t.stderr
                .ends_with(": 1 translated, 0 rejected, 0 not translated\n")
                && t.stderr.lines().count() == 1,
            "{f}: {}",
            t.stderr
        );
    }
    let asn = env.read("work/outbound/acme/acme-856-000000006.x12");
    assert!(
        asn.contains("GS*SH*NORTHWINDSUP*ACMERETAIL*") && asn.contains("*6*X*004010~"),
        "{asn}"
    );
    assert!(
        asn.contains("HL*2*1*O*1~PRF*4500012345~HL*3*2*T*1~MAN*GM*006141410000700011~"),
        "{asn}"
    );

    // Nothing is sent twice.
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.files("work/outbound"), sent);

    // The partner's 997 accepts the 856; Acme's EU site's CONTRL rejects the DESADV.
    env.drop_file(
        "acme",
        "06-997-for-856.x12",
        "ISA*00*          *00*          *ZZ*ACMERETAIL     *ZZ*NORTHWINDSUP   *240316*0900*U*00401*000009001*0*P*>~\n\
         GS*FA*ACMERETAIL*NORTHWINDSUP*20240316*0900*9001*X*004010~\nST*997*0001~\nAK1*SH*6~\n\
         AK2*856*0006~\nAK5*A~\nAK9*A*1*1*1~\nSE*6*0001~\nGE*1*9001~\nIEA*1*000009001~\n",
    );
    env.drop_file(
        "acme-eu",
        "03-contrl.edi",
        "UNA:+.? 'UNB+UNOC:3+0614141100422:14+0614141200016:14+240316:0900+5001'\
         UNH+1+CONTRL:D:3:UN'UCI+3+0614141200016:14+0614141100422:14+4'\
         UCM+3+DESADV:D:96A:UN:EAN005+4+12'UNT+4+1'UNZ+1+5001'",
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "a rejection needs attention: {}", r.stderr);
    says(&r, "acme: ship notice SH-70001 856 (PO 4500012345, sent ");
    says(&r, "accepted 997 A in 06-997-for-856.x12");
    says(
        &r,
        "acme-eu: ship notice DN-80001 DESADV (PO 4500012345, sent ",
    );
    says(&r, "rejected CONTRL 4 in 03-contrl.edi");
    let config = env.config();
    let config = config.to_string_lossy();
    let l = env.tallyman(&["ledger", "outbound", "acme", "--config", &config]);
    assert_eq!(l.code, 0, "{}{}", l.stdout, l.stderr);
    let line = |out: &str, number: &str| {
        out.lines()
            .find(|l| l.contains(number))
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(line(&l.stdout, "SH-70001")[6], "accepted", "{}", l.stdout);
    assert_eq!(line(&l.stdout, "INV-90001")[6], "awaiting", "{}", l.stdout);
    let l = env.tallyman(&[
        "ledger", "outbound", "acme-eu", "--config", &config, "--json",
    ]);
    assert_eq!(
        l.code, 1,
        "a rejected document needs attention: {}",
        l.stdout
    );
    let rows: Vec<serde_json::Value> = l
        .stdout
        .lines()
        .map(|x| serde_json::from_str(x).unwrap())
        .collect();
    assert_eq!(rows[0]["number"], "DN-80001");
    assert_eq!(rows[0]["ack"]["status"], "rejected");
    assert_eq!(rows[0]["controls"], "3/3");
}

const SENDING: &str = r#"
[channel.acme]
format = "x12"
inbound = "drop/acme"
partner_id = "ACME"
our_id = "TALLYCO"
version = "004010"
outbound = "out/acme"
ack_due = "1s"

[channel.acme.send]
"#;

fn with_outbox(env: &Env, extra: &str) {
    edit_config(
        env,
        "erp_inbox = \"inbox\"\n",
        &format!("erp_inbox = \"inbox\"\nerp_outbox = \"outbox\"\n{extra}"),
    );
}

fn export(env: &Env, name: &str, text: &str) {
    let p = env.path("outbox").join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A sending channel with an outbox, and PO-1 for 10 of SKU-1 in its drop folder.
fn po_of_ten() -> Env {
    let env = Env::new(SENDING);
    with_outbox(&env, "");
    env.drop_file("acme", "po.edi", &po(801, "PO-1", &[("10", "SKU-1")]));
    env
}

fn asn(number: &str, po: &str, qty: &str) -> String {
    format!(
        r#"{{"type":"ship_notice","shipment_id":"{number}","ship_date":"2024-03-14","ship_time":"14:30:00","purpose":"original","order_refs":["{po}"],"lines":[{{"line_number":"1","quantity":"{qty}","unit":"EA","item_ids":{{"vendor_part":"SKU-1"}}}}]}}"#
    ) + "\n"
}

#[test]
fn a_document_exported_again_is_not_sent_again_and_a_changed_one_is_held() {
    let env = po_of_ten();
    export(&env, "acme/a.jsonl", &asn("SH-1", "PO-1", "4"));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.files("out/acme"), ["acme-856-000000001.x12"]);
    assert!(env.files("outbox").is_empty(), "the export left the outbox");
    // The same document again (another file) is a duplicate; changed, it is held.
    export(&env, "acme/b.jsonl", &asn("SH-1", "PO-1", "4"));
    export(&env, "acme/c.jsonl", &asn("SH-1", "PO-1", "5"));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    says(
        &r,
        "ERP outbox: 1 document exported again as sent before, not sent again",
    );
    says(
        &r,
        "held ship notice SH-1 (acme/c.jsonl): sent_before: ship notice SH-1 (original) was sent to acme in run 1",
    );
    // A second ship notice of the rest is sent with the next control numbers; one over the
    // rest is held.
    export(
        &env,
        "acme/d.jsonl",
        &(asn("SH-2", "PO-1", "6") + &asn("SH-3", "PO-1", "1")),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    says(
        &r,
        "held ship notice SH-3 (acme/d.jsonl): over_shipment: line 1 (vendor part SKU-1): ships 1, and 10 were shipped before, against 10 ordered on PO PO-1 line 1",
    );
    assert_eq!(
        env.files("out/acme"),
        ["acme-856-000000001.x12", "acme-856-000000002.x12"]
    );
    let second = env.read("out/acme/acme-856-000000002.x12");
    assert!(second.contains("GS*SH*TALLYCO*ACME*") && second.contains("ST*856*0002~"));
    // Unacknowledged past the channel's ack_due: overdue, in the run and in the ledger.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = env.run(&[]);
    says(&r, "acme: ship notice SH-1 856 (PO PO-1, sent ");
    says(&r, "acknowledgment overdue");
    let config = env.config();
    let l = env.tallyman(&[
        "ledger",
        "outbound",
        "acme",
        "--config",
        &config.to_string_lossy(),
    ]);
    assert_eq!(l.code, 1, "{}", l.stdout);
    assert!(l.stdout.contains("overdue"), "{}", l.stdout);
}

#[test]
fn csv_exports_are_read_through_their_profiles_and_a_bad_row_holds_only_its_document() {
    let env = Env::new(SENDING);
    with_outbox(
        &env,
        "\n[[export]]\nfiles = \"asn-*.csv\"\nprofile = \"erp-ship-notice-rows\"\n\n\
         [[export]]\nfiles = \"inv-head-*.csv\"\ndetail = \"inv-lines-*.csv\"\nprofile = \"erp-invoice-header-detail\"\n",
    );
    let config = std::fs::read_to_string(env.config()).unwrap();
    // [[export]] tables must follow [paths]' keys, before the channels.
    assert!(config.find("[[export]]") < config.find("[channel.acme]"));
    env.drop_file(
        "acme",
        "po.edi",
        &po(801, "PO-1", &[("10", "SKU-1"), ("5", "SKU-2")]),
    );
    export(
        &env,
        "acme/asn-1.csv",
        "shipment_id,ship_date,ship_time,order_refs,line_number,sku,quantity,unit\n\
         SH-1,2024-03-14,14:30,PO-1,1,SKU-1,10,EA\n\
         SH-1,2024-03-14,14:30,PO-1,2,SKU-2,5,EA\n\
         SH-2,2024-03-14,14:30,PO-1,1,SKU-2,1x,EA\n",
    );
    export(
        &env,
        "acme/inv-head-7.csv",
        "InvoiceNo;InvoiceDate;OrderNo;Currency;Total\nINV-7;2024-03-15;PO-1;USD;187,50\n",
    );
    // The header file waits for its detail file.
    let r = env.run(&[]);
    says(
        &r,
        "left for the next run: @erp-outbox/acme/inv-head-7.csv (waits for its detail file acme/inv-lines-7.csv)",
    );
    says(
        &r,
        "held ship notice SH-2 (acme/asn-1.csv): bad_export_row: acme/asn-1.csv, row 4, column quantity: '1x' is not a decimal",
    );
    says(&r, "'1x'");
    assert_eq!(env.files("out/acme"), ["acme-856-000000001.x12"]);
    export(
        &env,
        "acme/inv-lines-7.csv",
        "InvoiceNo;LineNo;ItemNo;Qty;UOM;Price\nINV-7;1;SKU-1;10;EA;12,50\nINV-7;2;SKU-2;5;EA;12,50\n",
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        env.files("out/acme"),
        ["acme-810-000000002.x12", "acme-856-000000001.x12"]
    );
    let inv = env.read("out/acme/acme-810-000000002.x12");
    assert!(
        inv.contains("BIG*20240315*INV-7**PO-1~") && inv.contains("TDS*18750~"),
        "{inv}"
    );
    assert!(env.files("outbox").is_empty(), "{:?}", env.files("outbox"));
    // A header file whose detail file has not come in `export_pair_wait` (here 1 s; an old
    // modification time alone does not count) is quarantined as an orphan.
    edit_config(
        &env,
        "settle_seconds = 0\n",
        "settle_seconds = 0\nexport_pair_wait = \"1s\"\n",
    );
    export(
        &env,
        "acme/inv-head-8.csv",
        "InvoiceNo;InvoiceDate;OrderNo;Currency;Total\nINV-8;2024-03-15;PO-1;USD;1,00\n",
    );
    std::fs::File::options()
        .write(true)
        .open(env.path("outbox/acme/inv-head-8.csv"))
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(7200))
        .unwrap();
    let r = env.run(&[]);
    says(
        &r,
        "acme/inv-head-8.csv (waits for its detail file acme/inv-lines-8.csv)",
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    says(
        &r,
        "orphan_export: acme/inv-head-8.csv has waited more than 1s (run.export_pair_wait) for its detail file acme/inv-lines-8.csv",
    );
}

#[test]
fn a_send_table_that_cannot_work_is_refused_with_its_line_and_key() {
    let env = Env::new(&SENDING.replace("outbound = \"out/acme\"\n", ""));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    says(
        &r,
        "channel.acme.send: ship notices and invoices need somewhere to go",
    );
    let env = Env::new(&format!("{SENDING}version = \"003060\"\n"));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    says(
        &r,
        "channel.acme.send.version: tallyman writes 004010 and 005010",
    );
    // An outbox that holds (or is inside) a folder tallyman writes to or reads from would
    // have our own files taken for exports: relative, absolute or with `..`.
    let probe = Env::new(SENDING);
    let root = probe.dir.path().display().to_string();
    for outbox in [
        "out".to_owned(),
        "out/acme/x".to_owned(),
        "inbox".to_owned(),
        "drop/../out".to_owned(),
        ".".to_owned(),
        "work/ledger.sqlite".to_owned(),
        root.clone(),
    ] {
        let env = Env::new(SENDING);
        let outbox = outbox.replace(&root, &env.dir.path().display().to_string());
        edit_config(
            &env,
            "erp_inbox = \"inbox\"\n",
            &format!("erp_inbox = \"inbox\"\nerp_outbox = \"{outbox}\"\n"),
        );
        let r = env.run(&[]);
        assert_eq!(r.code, 2, "{outbox}: {}", r.stderr);
        says(&r, "paths.erp_outbox: ");
        says(&r, " overlaps ");
    }
    let env = Env::new(SENDING);
    with_outbox(
        &env,
        "\n[[export]]\nfiles = \"*.csv\"\nprofile = \"nope\"\n",
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    says(
        &r,
        "export[0].profile: no ERP export profile 'nope'; known: ",
    );
}

#[test]
fn generate_writes_with_the_runs_checks_and_touches_no_ledger() {
    let env = Env::new(SENDING);
    with_outbox(&env, "");
    let export = env.path("asn.jsonl");
    std::fs::write(
        &export,
        asn("SH-1", "PO-1", "4") + &asn("SH-2", "PO-1", "7"),
    )
    .unwrap();
    let config = env.config();
    let config = config.to_string_lossy();
    let export = export.to_string_lossy();
    // Without a ledger: only the documents' own rules, and no ledger is made.
    let g = env.tallyman(&[
        "generate",
        "--partner",
        "acme",
        "--config",
        &config,
        "--control",
        "500",
        &export,
    ]);
    assert_eq!(g.code, 0, "{}", g.stderr);
    assert!(
        g.stderr
            .contains("the checks against the partner's PO are skipped"),
        "{}",
        g.stderr
    );
    assert_eq!(g.stdout.matches("ISA*00*").count(), 2, "{}", g.stdout);
    assert!(
        g.stdout.contains("*000000500*0*T*>~GS*SH*TALLYCO*ACME*")
            && g.stdout.contains("ST*856*0501~"),
        "{}",
        g.stdout
    );
    assert!(!env.path("work/ledger.sqlite").exists());
    // Marked as test data unless asked; never into a channel's outbound folder.
    let g = env.tallyman(&[
        "generate",
        "--partner",
        "acme",
        "--config",
        &config,
        "--production",
        &export,
    ]);
    assert!(g.stdout.contains("*000000001*0*P*>~"), "{}", g.stdout);
    let g = env.tallyman(&[
        "generate",
        "--partner",
        "acme",
        "--config",
        &config,
        "--out",
        &env.path("out/acme").to_string_lossy(),
        &export,
    ]);
    assert_eq!(g.code, 2, "{}", g.stderr);
    assert!(
        g.stderr.contains("is in channel acme's outbound folder"),
        "{}",
        g.stderr
    );
    // With the ledger of a run that accepted PO-1 (10 ordered), read only: generate records
    // nothing, so each document is checked against what runs sent, not against the others.
    env.drop_file("acme", "po.edi", &po(801, "PO-1", &[("10", "SKU-1")]));
    assert_eq!(env.run(&[]).code, 0);
    let ledger = std::fs::read(env.path("work/ledger.sqlite")).unwrap();
    std::fs::write(env.path("over.jsonl"), asn("SH-3", "PO-1", "11")).unwrap();
    let over = env.path("over.jsonl");
    let g = env.tallyman(&[
        "generate",
        "--partner",
        "acme",
        "--config",
        &config,
        "--out",
        &env.path("gen").to_string_lossy(),
        &export,
        &over.to_string_lossy(),
    ]);
    assert_eq!(g.code, 1, "{}", g.stderr);
    assert!(
        g.stderr.contains("held ship notice SH-3") && g.stderr.contains("over_shipment: line 1 (vendor part SKU-1): ships 11, and 0 were shipped before, against 10 ordered"),
        "{}",
        g.stderr
    );
    assert_eq!(
        env.files("gen"),
        ["acme-856-000000001.x12", "acme-856-000000002.x12"]
    );
    assert_eq!(
        std::fs::read(env.path("work/ledger.sqlite")).unwrap(),
        ledger,
        "the ledger is not touched"
    );
}

/// A run killed after its commit: the next run delivers the very bytes the ledger recorded
/// under their final name; and a document gone from the outbound folder after its commit (the
/// partner's pickup took it) is not sent a second time.
#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "stops a run at a crash point: needs --features crash-hooks"
)]
fn after_a_kill_past_the_commit_each_document_is_delivered_once() {
    let env = po_of_ten();
    export(&env, "acme/a.jsonl", &asn("SH-1", "PO-1", "4"));
    let stop_after_commit = |env: &Env| {
        let out = env
            .command(&["run", "--config", "tallyman.toml"])
            .env("TALLYMAN_CRASH_AT", "committed")
            .output()
            .unwrap();
        assert!(
            out.status.code().is_none(),
            "the run was to stop after its commit"
        );
    };
    stop_after_commit(&env);
    let temp: Vec<String> = env.files("out/acme");
    assert_eq!(temp.len(), 1, "{temp:?}");
    assert!(
        temp[0].starts_with('.') && temp[0].ends_with(".tmp"),
        "{temp:?}"
    );
    let bytes = std::fs::read(env.path(&format!("out/acme/{}", temp[0]))).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.files("out/acme"), ["acme-856-000000001.x12"]);
    assert_eq!(
        std::fs::read(env.path("out/acme/acme-856-000000001.x12")).unwrap(),
        bytes
    );
    assert!(env.files("outbox").is_empty());

    // Killed again after a commit, and the file is gone before the next run: not sent again.
    export(&env, "acme/b.jsonl", &asn("SH-2", "PO-1", "2"));
    stop_after_commit(&env);
    let temp: Vec<String> = env
        .files("out/acme")
        .into_iter()
        .filter(|f| f.starts_with('.'))
        .collect();
    assert_eq!(temp.len(), 1, "{temp:?}");
    std::fs::remove_file(env.path(&format!("out/acme/{}", temp[0]))).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    says(&r, "856 SH-2 for acme is not in");
    says(&r, "it is not sent again");
    assert_eq!(env.files("out/acme"), ["acme-856-000000001.x12"]);
    let l = env.tallyman(&[
        "ledger",
        "outbound",
        "acme",
        "--config",
        &env.config().to_string_lossy(),
    ]);
    assert!(
        l.stdout.contains("SH-2"),
        "the ledger still has it: {}",
        l.stdout
    );
}

/// The same document twice in one export (or in two exports of one run): the second is a
/// duplicate, a changed second one is held; the run goes on.
#[test]
fn the_same_document_twice_in_one_run_is_sent_once() {
    let env = po_of_ten();
    export(
        &env,
        "acme/a.jsonl",
        &(asn("SH-1", "PO-1", "4") + &asn("SH-1", "PO-1", "4") + &asn("SH-1", "PO-1", "3")),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    says(&r, "1 document exported again as sent before");
    says(&r, "held ship notice SH-1 (acme/a.jsonl): sent_before");
    assert_eq!(env.files("out/acme"), ["acme-856-000000001.x12"]);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "the next run is not stopped: {}", r.stderr);
}

#[test]
fn a_dry_run_says_what_it_would_send_and_hold_and_sends_nothing() {
    let env = po_of_ten();
    export(
        &env,
        "acme/a.jsonl",
        &(asn("SH-1", "PO-1", "4") + &asn("SH-2", "PO-1", "7")),
    );
    let r = env.run(&["--dry-run"]);
    says(&r, "acme: would send 1 856");
    says(
        &r,
        "would hold ship notice SH-2 (acme/a.jsonl): over_shipment",
    );
    assert!(env.files("out/acme").is_empty());
    assert_eq!(env.files("outbox"), ["acme/a.jsonl"]);
    assert!(!env.path("work").exists());
    // The real run does what the dry run said.
    let r = env.run(&[]);
    says(&r, "acme: sent 1 856");
    says(&r, "held ship notice SH-2");
}

/// A ship notice sent with a mistake is corrected by replacements under its number (BSN01
/// 05), each checked as if the earlier ones had not been sent, and withdrawn by a cancellation
/// (01); a cancelled number is not used again.
#[test]
fn a_replacement_corrects_a_ship_notice_and_a_cancellation_withdraws_it() {
    let env = po_of_ten();
    export(&env, "acme/a.jsonl", &asn("SH-1", "PO-1", "8"));
    assert_eq!(env.run(&[]).code, 0);
    // 8 of 10 went; the correction says 10, which would be over the order on top of the 8.
    export(
        &env,
        "acme/b.jsonl",
        &amended(asn("SH-1", "PO-1", "10"), "replace"),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = env.files("out/acme");
    assert_eq!(files.len(), 2, "{files:?}");
    let replacement = env.read(&format!("out/acme/{}", files[1]));
    assert!(replacement.contains("BSN*05*SH-1*"), "{replacement}");
    // A second correction follows the first (9 now, decided first: SH-1 went in an earlier
    // run); a new ship notice of 2 more is over.
    export(
        &env,
        "acme/c.jsonl",
        &(amended(asn("SH-1", "PO-1", "9"), "replace") + &asn("SH-2", "PO-1", "2")),
    );
    let r = env.run(&[]);
    says(
        &r,
        "held ship notice SH-2 (acme/c.jsonl): over_shipment: line 1 (vendor part SKU-1): ships 2, and 9 were shipped before",
    );
    assert_eq!(env.files("out/acme").len(), 3);
    // The same correction again is a duplicate, not a third one.
    export(
        &env,
        "acme/c2.jsonl",
        &amended(asn("SH-1", "PO-1", "9"), "replace"),
    );
    let r = env.run(&[]);
    says(&r, "1 document exported again as sent before");
    // The cancellation frees the order: then a new ship notice of all 10 goes.
    export(
        &env,
        "acme/d.jsonl",
        &(amended(asn("SH-1", "PO-1", "10"), "cancel") + &asn("SH-3", "PO-1", "10")),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = env.files("out/acme");
    assert_eq!(files.len(), 5, "{files:?}");
    assert!(
        env.read(&format!("out/acme/{}", files[3]))
            .contains("BSN*01*SH-1*")
    );
    // A cancelled number is not sent again, and nothing can be replaced that was never sent.
    export(
        &env,
        "acme/e.jsonl",
        &(asn("SH-1", "PO-1", "1") + &amended(asn("SH-9", "PO-1", "1"), "replace")),
    );
    let r = env.run(&[]);
    says(&r, "held ship notice SH-1 (acme/e.jsonl): sent_before");
    says(&r, "held ship notice SH-9 (acme/e.jsonl): nothing_to_amend");
}

/// An amendment in a file that sorts before the original's is decided after it; a detail
/// file whose name the header pattern also matches is never taken for a header.
#[test]
fn amendments_wait_for_their_originals_and_detail_files_for_their_headers() {
    let env = po_of_ten();
    export(
        &env,
        "acme/a-fix.jsonl",
        &amended(asn("SH-1", "PO-1", "5"), "replace"),
    );
    export(&env, "acme/b.jsonl", &asn("SH-1", "PO-1", "4"));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = env.files("out/acme");
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        env.read(&format!("out/acme/{}", files[0]))
            .contains("BSN*00*SH-1*")
    );
    assert!(
        env.read(&format!("out/acme/{}", files[1]))
            .contains("BSN*05*SH-1*")
    );

    let env = po_of_ten();
    edit_config(
        &env,
        "erp_outbox = \"outbox\"\n",
        "erp_outbox = \"outbox\"\n\n[[export]]\nfiles = \"inv-*.csv\"\ndetail = \"inv-lines-*.csv\"\nprofile = \"erp-invoice-header-detail\"\n",
    );
    export(&env, "acme/a.jsonl", &asn("SH-1", "PO-1", "10"));
    export(
        &env,
        "acme/inv-9.csv",
        "InvoiceNo;InvoiceDate;OrderNo;Currency;Total\nINV-9;2024-03-15;PO-1;USD;125,00\n",
    );
    export(
        &env,
        "acme/inv-lines-9.csv",
        "InvoiceNo;LineNo;ItemNo;Qty;UOM;Price\nINV-9;1;SKU-1;10;EA;12,50\n",
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    says(&r, "acme: sent 1 810");
    assert!(!r.stderr.contains("waits for"), "{}", r.stderr);
}

/// Text outside ASCII goes to an X12 partner transliterated, and the length checks see the
/// transliterated text: `ß` is `ss`, one character more.
#[test]
fn x12_text_is_transliterated_before_its_length_is_checked() {
    let env = po_of_ten();
    let with_name = |number: &str, name: &str| {
        asn(number, "PO-1", "1").replace(
            "\"lines\":",
            &format!("\"parties\":[{{\"role\":\"ship_to\",\"role_code\":\"ST\",\"name\":\"{name}\"}}],\"lines\":"),
        )
    };
    let fits = format!("Müller Straße {}", "x".repeat(40));
    let over = format!("{}ß", "x".repeat(59));
    export(
        &env,
        "acme/a.jsonl",
        &(with_name("SH-1", &fits) + &with_name("SH-2", &over)),
    );
    let r = env.run(&[]);
    says(&r, "held ship notice SH-2 (acme/a.jsonl): cannot_write: ");
    says(&r, "N102");
    let sent = env.read("out/acme/acme-856-000000001.x12");
    assert!(sent.contains("N1*ST*Muller Strasse x"), "{sent}");
    assert!(sent.is_ascii());
}

/// A partner on UNOA reads capital letters, digits and a little punctuation only: letters go
/// as capitals when the channel transliterates, and anything else is held, never sent.
#[test]
fn a_unoa_partner_gets_capitals_or_nothing() {
    let channel = |transliterate: bool| {
        format!(
            "\n[channel.eu]\nformat = \"edifact\"\ninbound = \"drop/eu\"\npartner_id = \"4012345000009\"\nour_id = \"5412345000013\"\noutbound = \"out/eu\"\n\n[channel.eu.send]\nsyntax_id = \"UNOA\"\ntransliterate = {transliterate}\n"
        )
    };
    let desadv = |number: &str, name: &str| {
        format!(
            r#"{{"type":"ship_notice","shipment_id":"{number}","ship_date":"2024-03-14","purpose":"original","order_refs":["PO-1"],"parties":[{{"role":"ship_to","role_code":"DP","name":"{name}"}}],"lines":[{{"line_number":"1","quantity":"2","item_ids":{{"gtin":"00012345678905"}}}}]}}"#
        ) + "\n"
    };
    for (transliterate, name, outcome) in [
        (true, "Müller & Söhne", Ok("NAD+DP+++MULLER & SOHNE'")),
        (false, "Muller", Err("'u' is not in UNOA")),
        (true, "orders@example.com", Err("'@' is not in UNOA")),
    ] {
        let env = Env::new(&channel(transliterate));
        let file = env.path("x.jsonl");
        std::fs::write(&file, desadv("DN-1", name)).unwrap();
        let g = env.tallyman(&[
            "generate",
            "--partner",
            "eu",
            "--config",
            &env.config().to_string_lossy(),
            &file.to_string_lossy(),
        ]);
        match outcome {
            Ok(segment) => {
                assert_eq!(g.code, 0, "{}", g.stderr);
                assert!(g.stdout.contains(segment), "{}", g.stdout);
                assert!(g.stdout.starts_with("UNB+UNOA:3+"), "{}", g.stdout);
            }
            Err(why) => {
                assert_eq!(g.code, 1, "{}", g.stdout);
                assert!(
                    g.stderr.contains("cannot_write: ") && g.stderr.contains(why),
                    "{}",
                    g.stderr
                );
            }
        }
    }
}
