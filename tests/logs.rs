//! Logs as the people who run tallyman from cron or a systemd timer read them: the summary by
//! default, one line per file and document outcome with `-v`, JSON for journald and log
//! shippers, `-q` for a cron job that mails only what matters, `RUST_LOG` over all of it.

mod common;

use common::demo_copy;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

struct Ran {
    code: i32,
    stderr: String,
}

fn tallyman(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tallyman"));
    c.args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("TALLYMAN_CRASH_AFTER");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run tallyman");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run(dir: &Path, extra: &[&str]) -> Ran {
    let mut args = vec!["run", "--config", "tallyman.toml"];
    args.extend_from_slice(extra);
    tallyman(dir, &args, &[])
}

fn events(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
            assert!(v.is_object(), "{l}");
            for key in ["timestamp", "level", "message", "target"] {
                assert!(v[key].is_string(), "no {key}: {l}");
            }
            v
        })
        .collect()
}

fn find<'a>(events: &'a [Value], message: &str, field: &str, value: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["message"] == message && e[field] == value)
        .unwrap_or_else(|| panic!("no {message} event with {field} = {value}: {events:#?}"))
}

#[test]
fn json_logs_are_one_object_per_line_with_every_file_and_document_outcome() {
    let d = demo_copy();
    let r = run(d.path(), &["--log-format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let ev = events(&r.stderr);
    assert_eq!(ev[0]["message"], "run started");
    assert_eq!(ev[0]["run"], 1);

    let broken = find(&ev, "file", "file", "05-po-broken-quantity.edi");
    assert_eq!(broken["level"], "INFO");
    assert_eq!(broken["channel"], "acme");
    assert_eq!(broken["format"], "x12");
    assert_eq!(broken["disposition"], "quarantined");
    assert_eq!(broken["rejected"], 1);
    assert!(
        broken["error"]
            .as_str()
            .is_some_and(|e| e.contains("'1O' is not a decimal number")),
        "{broken}"
    );
    assert!(broken["stored"].as_str().unwrap().contains("quarantine/"));

    let doc = find(&ev, "document", "file", "05-po-broken-quantity.edi");
    assert_eq!(doc["channel"], "acme");
    assert_eq!(doc["number"], "4500012399");
    assert_eq!(doc["route"], "rejected");
    assert_eq!(doc["controls"], "[000004204/4204/0001]");
    let resent = find(&ev, "document", "file", "03-po-4500012345-resend.edi");
    assert_eq!(resent["route"], "duplicate");
    let shop = ev
        .iter()
        .filter(|e| e["message"] == "document" && e["channel"] == "shopify")
        .count();
    assert_eq!(shop, 4, "one line per document of the feed");

    let ack = find(
        &ev,
        "acknowledgment sent",
        "file",
        "05-po-broken-quantity.edi",
    );
    assert_eq!(ack["kind"], "997");
    assert_eq!(ack["verdict"], "rejected");
    find(&ev, "outbound document sent", "kind", "ship_notice");
    find(&ev, "outbound document held", "number", "SH-70002");
    assert!(
        ev.iter()
            .any(|e| e["message"] == "ERP file written" && e["documents"].as_u64() > Some(0))
    );

    // The last line stands for the summary, which JSON logs do not print as text.
    let last = ev.last().unwrap();
    assert_eq!(last["message"], "run finished");
    assert_eq!(last["exit"], 1);
    assert_eq!(last["rejected"], 1);
    assert_eq!(last["conflict"], 1);
    assert!(!r.stderr.contains("tallyman run 1:"));

    // An error of the command itself is a JSON line too.
    let r = tallyman(
        d.path(),
        &["run", "--config", "missing.toml", "--log-format", "json"],
        &[],
    );
    assert_eq!(r.code, 2);
    let ev = events(&r.stderr);
    assert_eq!(ev.len(), 1, "{}", r.stderr);
    assert_eq!(ev[0]["level"], "ERROR");
    assert!(
        ev[0]["message"].as_str().unwrap().contains("missing.toml"),
        "{}",
        r.stderr
    );
}

#[test]
fn text_logs_show_the_summary_by_default_and_each_outcome_with_verbose() {
    let d = demo_copy();
    let r = run(d.path(), &["--dry-run"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("tallyman dry run:"), "{}", r.stderr);
    assert!(!r.stderr.contains(" INFO "), "{}", r.stderr);

    let r = run(d.path(), &["--dry-run", "-v"]);
    assert_eq!(r.code, 1);
    let files: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains(" INFO ") && l.contains(": file "))
        .collect();
    assert_eq!(files.len(), 9, "one line per file: {}", r.stderr);
    // A dry run says what would become of a file, never that it was stored.
    assert!(
        files
            .iter()
            .any(|l| l.contains("file=\"05-po-broken-quantity.edi\"")
                && l.contains("disposition=\"would_quarantine\"")),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("disposition=\"quarantined\""));
    assert!(!r.stderr.contains("stored="));
    // The summary follows the lines.
    assert!(r.stderr.contains("tallyman dry run:"), "{}", r.stderr);

    let r = run(d.path(), &["-vv", "--dry-run"]);
    assert!(
        r.stderr.contains(" DEBUG ")
            && r.stderr.contains("listed the drop folder channel=\"acme\""),
        "{}",
        r.stderr
    );
}

#[test]
fn quiet_keeps_a_clean_run_to_itself_and_says_what_needs_attention() {
    let d = demo_copy();
    let r = run(d.path(), &["-q"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("tallyman run 1:"), "{}", r.stderr);
    assert!(r.stderr.contains("quarantined"), "{}", r.stderr);
    // Everything again: recognized, nothing to say.
    let r = run(d.path(), &["-q"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let r = run(d.path(), &["-q", "-v"]);
    assert_eq!(r.code, 2, "-q and -v together are refused");
}

#[test]
fn rust_log_overrides_the_flags_and_a_filter_that_does_not_parse_is_said() {
    let d = demo_copy();
    let args = ["run", "--config", "tallyman.toml", "--dry-run", "-v"];
    let r = tallyman(d.path(), &args, &[("RUST_LOG", "error")]);
    assert!(!r.stderr.contains(" INFO "), "{}", r.stderr);
    let r = tallyman(
        d.path(),
        &["run", "--config", "tallyman.toml", "--dry-run"],
        &[("RUST_LOG", "tallyman::pipeline=info")],
    );
    assert!(r.stderr.contains(" INFO "), "{}", r.stderr);
    let r = tallyman(d.path(), &args, &[("RUST_LOG", "tallyman=loud")]);
    assert_eq!(r.code, 1, "the run goes on: {}", r.stderr);
    assert!(
        r.stderr
            .contains("RUST_LOG=\"tallyman=loud\" is not a log filter"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(" INFO "),
        "the flags' level: {}",
        r.stderr
    );
}

#[test]
fn names_from_partners_are_escaped_in_text_lines() {
    let d = demo_copy();
    let csv = d.path().join("drop/shopify/orders-export-2024-03-12.csv");
    let evil = d.path().join("drop/shopify/orders\u{1b}[2J\rspoof.csv");
    std::fs::copy(&csv, &evil).unwrap();
    let r = run(d.path(), &["--dry-run", "-v"]);
    assert!(r.stderr.contains("spoof.csv"), "{}", r.stderr);
    assert!(
        !r.stderr.contains('\u{1b}') && !r.stderr.contains('\r'),
        "{:?}",
        r.stderr
    );
    assert!(
        r.stderr.contains(r#"file="orders\u{1b}[2J\rspoof.csv""#),
        "{}",
        r.stderr
    );
}
