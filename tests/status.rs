//! `tallyman status` and the metrics textfile, run as an operator and a monitor would.

mod batch;

use batch::{CHANNELS, Env, po, shopify};
use std::collections::BTreeMap;

/// Parses a Prometheus textfile strictly: every family has HELP and TYPE before its samples,
/// every sample line is `name{labels} value`, label values are quoted with escapes, and no
/// series repeats. Returns the samples by `name{labels}`.
fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    let mut helped = std::collections::BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(!help.is_empty(), "{line}");
            assert!(helped.insert(name.to_owned()), "HELP twice: {line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge"].contains(&kind), "{line}");
            assert!(
                typed.insert(name.to_owned(), kind.to_owned()).is_none(),
                "{line}"
            );
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "stray line: {line:?}"
        );
        let (series, value) = line.rsplit_once(' ').expect("series value");
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        assert!(
            typed.contains_key(name) && helped.contains(name),
            "untyped: {line}"
        );
        if typed[name] == "counter" {
            assert!(
                name.ends_with("_total"),
                "a counter's name ends in _total: {line}"
            );
        }
        if let Some(labels) = series.strip_prefix(name)
            && !labels.is_empty()
        {
            let inner = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .expect("braced labels");
            // key="value" pairs, values with \\ \" \n escapes only.
            let mut rest = inner;
            while !rest.is_empty() {
                let (key, after) = rest.split_once("=\"").expect("key=\"");
                assert!(key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
                let mut end = None;
                let mut chars = after.char_indices();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            let (_, e) = chars.next().expect("escape");
                            assert!(['\\', '"', 'n'].contains(&e), "{line}");
                        }
                        '"' => {
                            end = Some(i);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end.expect("closing quote");
                rest = after[end + 1..]
                    .strip_prefix(',')
                    .unwrap_or(&after[end + 1..]);
            }
        }
        let v: f64 = value.parse().unwrap_or_else(|_| panic!("value: {line}"));
        assert!(
            out.insert(series.to_owned(), v).is_none(),
            "series twice: {line}"
        );
    }
    out
}

fn with_metrics(channels: &str) -> Env {
    let env = Env::new(channels);
    let text = std::fs::read_to_string(env.config()).unwrap().replace(
        "[run]\n",
        "[metrics]\ntextfile = \"metrics/tallyman.prom\"\n\n[run]\n",
    );
    std::fs::write(env.config(), text).unwrap();
    env
}

#[test]
fn the_metrics_textfile_parses_and_counts_what_the_ledger_holds() {
    let env = with_metrics(CHANNELS);
    env.drop_file("acme", "po-1.edi", &po(1, "PO-1", &[("2", "SKU-1")]));
    env.drop_file("acme", "po-2.edi", &po(2, "PO-2", &[("0", "SKU-1")]));
    env.drop_file("shop", "orders.csv", &shopify(&[("#1", "MUG", 1)]));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let text = std::fs::read_to_string(env.path("metrics/tallyman.prom")).unwrap();
    let m = parse_prometheus(&text);
    let get = |k: &str| *m.get(k).unwrap_or_else(|| panic!("{k} missing:\n{text}"));
    assert_eq!(
        get(r#"tallyman_documents_total{channel="acme",kind="order",outcome="accepted"}"#),
        1.0
    );
    assert_eq!(
        get(r#"tallyman_documents_total{channel="acme",kind="order",outcome="rejected"}"#),
        1.0
    );
    assert_eq!(
        get(r#"tallyman_documents_total{channel="shop",kind="order",outcome="accepted"}"#),
        1.0
    );
    assert_eq!(get(r#"tallyman_files_total{channel="acme"}"#), 2.0);
    assert_eq!(get("tallyman_quarantine_files"), 1.0);
    assert_eq!(get("tallyman_last_run_exit_code"), 1.0);
    assert_eq!(get("tallyman_runs_total"), 1.0);
    assert_eq!(get("tallyman_run_failures_total"), 0.0);
    assert_eq!(get(r#"tallyman_files_waiting{channel="acme"}"#), 0.0);
    let success = get("tallyman_last_success_timestamp_seconds");
    assert!(success > 1.7e9, "{success}");

    // A run that fails counts as a failure, and keeps the last success.
    let cfg = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.path("work/ledger.sqlite"),
        b"not a database at all, sixteen+ bytes",
    )
    .unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let m = parse_prometheus(&std::fs::read_to_string(env.path("metrics/tallyman.prom")).unwrap());
    assert_eq!(m["tallyman_run_failures_total"], 1.0);
    assert_eq!(m["tallyman_runs_total"], 2.0);
    assert_eq!(m["tallyman_last_run_exit_code"], 2.0);
    assert_eq!(m["tallyman_last_success_timestamp_seconds"], success);
    std::fs::write(env.config(), cfg).unwrap();
}

#[test]
fn status_says_what_needs_attention_and_exits_1_then_0_when_all_is_well() {
    let channels = CHANNELS.replace(
        "version = \"004010\"\n",
        "version = \"004010\"\nsilence_alert = \"6h\"\n",
    );
    let env = Env::new(&channels);
    // Before any run: nothing recorded is itself worth a look.
    let r = env.tallyman(&["status", "--config", "tallyman.toml"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("no run is recorded yet"), "{}", r.stdout);
    assert!(
        r.stdout.contains("channel acme: no file received yet"),
        "{}",
        r.stdout
    );

    env.drop_file("acme", "po-1.edi", &po(1, "PO-1", &[("2", "SKU-1")]));
    env.drop_file("acme", "po-2.edi", &po(2, "PO-2", &[("0", "SKU-1")]));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // A file arrives after the run: one waiting.
    env.drop_file("shop", "orders.csv", &shopify(&[("#1", "MUG", 1)]));
    let r = env.tallyman(&["status", "--config", "tallyman.toml", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(s["runs"][0]["exit"], 1);
    assert_eq!(s["quarantine"].as_array().unwrap().len(), 1);
    assert_eq!(s["quarantine"][0]["name"], "po-2.edi");
    let shop = s["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "shop")
        .unwrap();
    assert_eq!(shop["waiting"], 1);
    let attention: Vec<&str> = s["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(attention.len(), 1, "{attention:?}");
    assert!(
        attention[0].contains("1 file in quarantine")
            && attention[0].contains("tallyman ledger replay"),
        "{attention:?}"
    );

    // The quarantined file fixed and replayed, the new file read: all is well.
    let id = s["quarantine"][0]["id"].as_i64().unwrap().to_string();
    let stored = s["quarantine"][0]["stored"].as_str().unwrap().to_owned();
    std::fs::write(
        env.dir.path().join(&stored),
        po(2, "PO-2", &[("1", "SKU-1")]),
    )
    .unwrap();
    let r = env.tallyman(&["ledger", "replay", &id, "--config", "tallyman.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.tallyman(&["status", "--config", "tallyman.toml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("all is well"), "{}", r.stdout);
    assert!(r.stdout.contains("0 waiting"), "{}", r.stdout);
}

#[test]
fn status_sees_a_run_at_work_without_taking_its_lock() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "po-1.edi", &po(1, "PO-1", &[("2", "SKU-1")]));
    assert_eq!(env.run(&[]).code, 0);
    let lock = env.hold_lock("pid 1\n");
    let r = env.tallyman(&["status", "--config", "tallyman.toml", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(s["running"].is_string(), "{}", r.stdout);
    drop(lock);
    // Looking did not take it: a run right after works.
    let r = env.tallyman(&["status", "--config", "tallyman.toml", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(s.get("running").is_none(), "{}", r.stdout);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn replaying_an_unknown_or_replayed_id_is_an_error_not_an_empty_run() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "po-1.edi", &po(1, "PO-1", &[("0", "SKU-1")]));
    assert_eq!(env.run(&[]).code, 1);
    let r = env.tallyman(&["ledger", "replay", "999", "--config", "tallyman.toml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("file 999 is not waiting in quarantine")
            && r.stderr.contains("ids 1")
            && r.stderr.contains("nothing was replayed"),
        "{}",
        r.stderr
    );
    let runs = env.files("work/reports").len();
    // Replayed once (still broken: quarantined again under a new id), the old id is gone.
    let r = env.tallyman(&["ledger", "replay", "1", "--config", "tallyman.toml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let r = env.tallyman(&["ledger", "replay", "1", "--config", "tallyman.toml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("file 1 is not waiting"), "{}", r.stderr);
    assert_eq!(
        env.files("work/reports").len(),
        runs + 1,
        "no empty run recorded"
    );
}

#[test]
fn a_dry_run_says_what_it_would_quarantine_and_names_no_run_that_will_not_exist() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "po-1.edi", &po(1, "PO-1", &[("2", "SKU-1")]));
    env.drop_file("acme", "po-2.edi", &po(2, "PO-1", &[("3", "SKU-1")]));
    let r = env.run(&["--dry-run"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("would quarantine acme/po-2.edi")
            && r.stderr.contains("earlier in this dry run"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("  quarantined"), "{}", r.stderr);
    assert!(!r.stderr.contains("in run "), "{}", r.stderr);
    assert!(!r.stderr.contains("report:"), "{}", r.stderr);
}

#[test]
fn resolving_a_conflict_takes_the_new_version_or_keeps_the_old_and_says_so() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a-po.edi", &po(1, "PO-1", &[("2", "SKU-1")]));
    env.drop_file(
        "acme",
        "b-po-changed.edi",
        &po(2, "PO-1", &[("5", "SKU-1")]),
    );
    env.drop_file("acme", "c-po-other.edi", &po(3, "PO-2", &[("1", "SKU-1")]));
    env.drop_file(
        "acme",
        "d-po-other-changed.edi",
        &po(4, "PO-2", &[("7", "SKU-1")]),
    );
    assert_eq!(env.run(&[]).code, 1);
    let list = env.tallyman(&["ledger", "list", "--config", "tallyman.toml"]);
    assert!(list.stdout.contains("b-po-changed.edi"), "{}", list.stdout);
    let ids: Vec<String> = {
        let r = env.tallyman(&["status", "--config", "tallyman.toml", "--json"]);
        let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        s["quarantine"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["id"].as_i64().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids.len(), 2);

    // A file without a conflict cannot be resolved by choosing a version.
    let r = env.tallyman(&[
        "ledger",
        "resolve",
        "1",
        "--take-new",
        "--config",
        "tallyman.toml",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // PO-1: the partner's change is the right one.
    let r = env.tallyman(&[
        "ledger",
        "resolve",
        &ids[0],
        "--take-new",
        "--note",
        "confirmed by phone",
        "--config",
        "tallyman.toml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("replaces the one accepted before (1 superseded)"),
        "{}",
        r.stderr
    );
    let qty = |n: &str| -> Vec<String> {
        env.erp_documents()
            .iter()
            .filter(|d| d["order_number"] == n)
            .map(|d| d["lines"][0]["quantity"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(qty("PO-1"), ["2", "5"], "the new version reached the ERP");

    // PO-2: the first version stays.
    let r = env.tallyman(&[
        "ledger",
        "resolve",
        &ids[1],
        "--keep-old",
        "--config",
        "tallyman.toml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(qty("PO-2"), ["1"]);
    let r = env.tallyman(&["status", "--config", "tallyman.toml", "--json"]);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        s["quarantine"].as_array().unwrap().is_empty(),
        "{}",
        r.stdout
    );
    // Decided once: not again.
    let r = env.tallyman(&[
        "ledger",
        "resolve",
        &ids[1],
        "--dismiss",
        "--config",
        "tallyman.toml",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);

    // From now on the new PO-1 is the one: the old version re-sent is the conflict, the new
    // one a duplicate.
    env.drop_file("acme", "e-old-again.edi", &po(5, "PO-1", &[("2", "SKU-1")]));
    env.drop_file("acme", "f-new-again.edi", &po(6, "PO-1", &[("5", "SKU-1")]));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("quarantined acme/e-old-again.edi"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("quarantined acme/f-new-again.edi"),
        "{}",
        r.stderr
    );
    assert_eq!(qty("PO-1"), ["2", "5"]);
}
