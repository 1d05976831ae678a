//! `tallyman check`: the onboarding report, run as a user runs it, on our own fixtures.
//!
//! The JSON reports are snapshots (`tests/snapshots/check/`): a change in a verdict, a
//! finding's address or ack code, an acknowledgment or a canonical document shows up there.

mod common;

use common::root;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn tallyman_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("run tallyman");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

fn tallyman(args: &[&str]) -> (i32, String, String) {
    tallyman_in(&root(), args)
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn snapshot(name: &str, report: &Value) {
    insta::with_settings!({
        snapshot_path => "snapshots/check",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_json_snapshot!(name, report);
    });
}

fn text_snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "snapshots/check",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

const VALID_850: &str = "tests/fixtures/x12/valid/crlf.edi";
const INVALID_850: &str = "tests/fixtures/x12/invalid/bad-code.edi";
const ORDERS: &str = "tests/fixtures/edifact/valid/no-una.edi";
const FEED: &str = "tests/fixtures/feeds/valid/shopify-utf8-bom.csv";

#[test]
fn a_valid_850_is_accepted_with_its_997_and_its_document() {
    let (code, out, err) = tallyman(&["check", "--json", VALID_850]);
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    assert_eq!(r["schema_version"], 1);
    let doc = &r["files"][0]["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "accepted");
    assert_eq!(doc["document"]["order_number"], "4500012501");
    let ack = &r["files"][0]["interchanges"][0]["acks"][0];
    assert_eq!(
        (ack["kind"].as_str(), ack["verdict"].as_str()),
        (Some("997"), Some("A"))
    );
    snapshot("valid_850", &r);
}

#[test]
fn an_invalid_850_is_rejected_with_the_code_the_partner_reads() {
    let (code, out, err) = tallyman(&["check", "--json", INVALID_850]);
    assert_eq!(code, 1, "{err}");
    let r = json(&out);
    let doc = &r["files"][0]["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "rejected");
    assert!(
        doc.get("document").is_none(),
        "a rejected document reaches no ERP"
    );
    let f = &doc["findings"][0];
    assert_eq!(
        (
            &f["segment"],
            &f["segment_position"],
            &f["element"],
            &f["value"]
        ),
        (
            &Value::from("BEG"),
            &Value::from(2),
            &Value::from(1),
            &Value::from("99")
        )
    );
    assert_eq!(f["ack_code"]["element"], "AK403");
    assert_eq!(f["ack_code"]["code"], "7");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with("send one of the element's codes"),
        "{f}"
    );
    let ack = &r["files"][0]["interchanges"][0]["acks"][0];
    assert_eq!(ack["verdict"], "R");
    assert!(
        ack["text"].as_str().unwrap().contains("AK4*1**7*99~"),
        "{ack}"
    );
    // The coverage says which code was sent and that the list lacks it.
    let codes = r["coverage"][0]["codes"].as_array().unwrap();
    let beg01 = codes.iter().find(|c| c["element"] == "BEG01").unwrap();
    assert_eq!(
        (&beg01["value"], &beg01["allowed"]),
        (&Value::from("99"), &Value::from(false))
    );
    snapshot("invalid_850", &r);
}

#[test]
fn lenient_accepts_the_invalid_850_with_warnings() {
    let (code, out, err) = tallyman(&["check", "--json", "--lenient", INVALID_850]);
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    let doc = &r["files"][0]["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "accepted_with_warnings");
    assert_eq!(doc["findings"][0]["severity"], "warning");
    assert_eq!(doc["document"]["order_number"], "4500012623");
    assert_eq!(r["files"][0]["interchanges"][0]["acks"][0]["verdict"], "E");
}

#[test]
fn an_edifact_orders_gets_its_contrl() {
    let (code, out, err) = tallyman(&["check", "--json", ORDERS]);
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    let ack = &r["files"][0]["interchanges"][0]["acks"][0];
    assert_eq!(ack["kind"], "contrl");
    assert!(ack["text"].as_str().unwrap().starts_with("UCI+"), "{ack}");
    assert_eq!(r["coverage"][0]["set_id"], "ORDERS");
    snapshot("edifact_orders", &r);
}

#[test]
fn a_feed_is_checked_order_by_order() {
    let (code, out, err) = tallyman(&["check", "--json", FEED]);
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    let f = &r["files"][0];
    assert_eq!(
        (&f["format"], &f["profile"]),
        (&Value::from("feed"), &Value::from("shopify-orders"))
    );
    assert!(!f["documents"].as_array().unwrap().is_empty());
    assert!(
        r["coverage"].as_array().unwrap().is_empty(),
        "no grammar for feeds"
    );
    snapshot("feed", &r);
}

#[test]
fn a_file_in_another_format_than_given_is_rejected() {
    let (code, out, _) = tallyman(&["check", "--json", "--format", "edifact", VALID_850]);
    assert_eq!(code, 1);
    let r = json(&out);
    let f = &r["files"][0];
    assert_eq!(f["verdict"], "rejected");
    assert!(
        f["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--format says edifact")
    );
    let doc = &f["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "rejected");
}

/// A configuration with one channel for the partner whose sender id the fixtures use, one
/// expecting someone else, and one sending no acknowledgments; the invalid and valid 850s
/// copied beside it so that the report's names do not depend on where the tests run.
fn configured() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("tallyman.toml"),
        r#"[paths]
work = "work"
erp_inbox = "erp"

[channel.acme]
format = "x12"
version = "004010"
partner_id = "ACMERETAIL"
our_id = "NORTHWINDSUP"
inbound = "drop/acme"
outbound = "out/acme"
acks = "999"

[channel.other]
format = "x12"
partner_id = "SOMEONEELSE"
inbound = "drop/other"
outbound = "out/other"
acks = "997"

[channel.silent]
format = "x12"
inbound = "drop/silent"
"#,
    )
    .expect("config written");
    for (from, to) in [(VALID_850, "valid.edi"), (INVALID_850, "invalid.edi")] {
        std::fs::copy(root().join(from), dir.path().join(to)).expect("fixture copied");
    }
    dir
}

#[test]
fn a_configured_channel_applies_its_ids_and_its_999() {
    let dir = configured();
    let args = [
        "check",
        "--config",
        "tallyman.toml",
        "--partner",
        "acme",
        "--json",
    ];
    let (code, out, err) = tallyman_in(
        dir.path(),
        &[&args[..], &["valid.edi", "invalid.edi"]].concat(),
    );
    assert_eq!(code, 1, "{err}");
    let r = json(&out);
    assert_eq!(r["channel"]["partner"], "acme");
    assert_eq!(r["channel"]["acks"], "999");
    assert_eq!(r["files"][0]["verdict"], "accepted");
    let ack = &r["files"][1]["interchanges"][0]["acks"][0];
    assert_eq!(ack["kind"], "999");
    let f = &r["files"][1]["interchanges"][0]["groups"][0]["documents"][0]["findings"][0];
    assert_eq!(f["ack_code"]["element"], "IK403");
    snapshot("configured_acme", &r);
}

#[test]
fn a_file_from_another_sender_is_rejected_and_not_acknowledged() {
    let dir = configured();
    let (code, out, err) = tallyman_in(
        dir.path(),
        &[
            "check",
            "--config",
            "tallyman.toml",
            "--partner",
            "other",
            "--json",
            "valid.edi",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let r = json(&out);
    let ic = &r["files"][0]["interchanges"][0];
    let doc = &ic["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "rejected");
    assert_eq!(doc["findings"][0]["code"], "wrong_channel");
    assert!(
        doc["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("SOMEONEELSE")
    );
    assert_eq!(ic["acks"][0]["kind"], "none");
    assert!(
        ic["acks"][0]["note"]
            .as_str()
            .unwrap()
            .contains("misrouted")
    );
}

#[test]
fn a_channel_without_outbound_sends_no_acknowledgment_and_says_so() {
    let dir = configured();
    let (code, out, err) = tallyman_in(
        dir.path(),
        &[
            "check",
            "--config",
            "tallyman.toml",
            "--partner",
            "silent",
            "valid.edi",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("channel silent has no `outbound` folder"),
        "{out}"
    );
    assert!(out.contains("acknowledgment none"), "{out}");
}

#[test]
fn an_unknown_partner_fails_listing_the_known_ones() {
    let dir = configured();
    let (code, out, err) = tallyman_in(
        dir.path(),
        &[
            "check",
            "--config",
            "tallyman.toml",
            "--partner",
            "nobody",
            "valid.edi",
        ],
    );
    assert_eq!(code, 2);
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("no channel 'nobody'"), "{err}");
    assert!(err.contains("acme, other, silent"), "{err}");
}

#[test]
fn piped_terminal_rendering_has_no_colour() {
    let (code, out, err) = tallyman(&["check", INVALID_850]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains('\x1b'), "{out}");
    assert!(
        out.contains("error at byte 179, segment 2 of the set (BEG), element BEG01, value '99'"),
        "{out}"
    );
    assert!(
        out.contains("acknowledgment code AK403 7 (invalid code value)"),
        "{out}"
    );
    text_snapshot("invalid_850_terminal", &out);
}

#[test]
fn a_missing_file_is_reported_and_the_others_are_checked() {
    let (code, out, err) = tallyman(&["check", "--json", "no/such/file.edi", VALID_850]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no/such/file.edi"), "{err}");
    assert!(err.contains("1 of 2 files could not be read"), "{err}");
    let r = json(&out);
    assert_eq!(r["files"][0]["verdict"], "rejected");
    assert_eq!(r["files"][0]["findings"][0]["code"], "unreadable_file");
    assert_eq!(r["files"][1]["verdict"], "accepted");
}

#[test]
fn the_same_check_twice_gives_the_same_report() {
    let args = ["check", "--json", VALID_850, INVALID_850, ORDERS, FEED];
    let (_, first, _) = tallyman(&args);
    let (_, second, _) = tallyman(&args);
    assert_eq!(first, second);
}

#[test]
fn the_html_page_is_self_contained_and_escapes_what_files_hold() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(root().join(VALID_850)).expect("fixture");
    // A party name with markup in it, and an invalid code so that the page has findings.
    let hostile = text
        .replace("ACME RETAIL DC 7", "<script>alert(1)</script> & \"Co\"")
        .replace("BEG*00*", "BEG*9<*");
    assert_ne!(hostile, text);
    std::fs::write(dir.path().join("po.edi"), &hostile).expect("written");
    let (code, out, err) = tallyman_in(dir.path(), &["check", "--html", "report.html", "po.edi"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("rejected"),
        "the terminal report is still printed: {out}"
    );
    let page = std::fs::read_to_string(dir.path().join("report.html")).expect("page written");
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        !page.contains("<script"),
        "a value from the file became markup"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;"));
    for external in ["http://", "https://", "<link", "src=", "@import"] {
        assert!(!page.contains(external), "{external} in the page");
    }
    assert!(
        page.contains("What must change"),
        "the summary lists the fixes"
    );
    assert!(
        page.contains("acknowledgment code AK403 7"),
        "the finding inline"
    );
    // Unwritable: the command fails (exit 2) and says which file.
    let (code, _, err) = tallyman_in(
        dir.path(),
        &["check", "--html", "no/such/dir/report.html", "po.edi"],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--html no/such/dir/report.html"), "{err}");
}

/// A grammar folder laid over the built-in grammars (what a partner's guide will narrow once
/// overlays exist) changes the verdict, the findings and the coverage: here an 850 without a
/// heading REF, against which the valid 850 (it sends REF*DP) is rejected.
#[test]
fn a_narrowed_grammar_rejects_what_the_built_in_one_accepts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let builtin =
        std::fs::read_to_string(root().join("grammars/x12/004010/850.toml")).expect("grammar");
    let heading_ref = "[[structure]]\nsegment = \"REF\"\nmax = 99999\n";
    assert!(builtin.contains(heading_ref), "the 850's heading REF moved");
    let narrowed = builtin.replacen(heading_ref, "", 1);
    let at = dir.path().join("grammars/x12/004010");
    std::fs::create_dir_all(&at).expect("folder");
    std::fs::write(at.join("850.toml"), narrowed).expect("grammar written");
    std::fs::copy(root().join(VALID_850), dir.path().join("po.edi")).expect("copied");

    let (code, out, err) = tallyman_in(dir.path(), &["check", "--json", "po.edi"]);
    assert_eq!(code, 0, "without the overlay: {err}");
    let r = json(&out);
    let uses = r["coverage"][0]["segments"].as_array().unwrap().clone();
    let heading = |uses: &[Value]| {
        uses.iter()
            .find(|s| s["tag"] == "REF" && s["path"] == "")
            .cloned()
            .expect("REF in the coverage")
    };
    assert_eq!(heading(&uses)["allowed"], true);

    let args = ["check", "--json", "--grammars", "grammars", "po.edi"];
    let (code, out, err) = tallyman_in(dir.path(), &args);
    assert_eq!(code, 1, "with the overlay: {err}");
    let r = json(&out);
    let doc = &r["files"][0]["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "rejected");
    let f = &doc["findings"][0];
    assert_eq!(f["segment"], "REF");
    assert_eq!(f["level"], "segment");
    assert!(f["ack_code"]["element"] == "AK304", "{f}");
    let ref_use = heading(r["coverage"][0]["segments"].as_array().unwrap());
    assert_eq!(ref_use["allowed"], false);
    assert_eq!(ref_use["usage"], Value::Null);
    snapshot("narrowed_grammar", &r);
}

/// What `check` says a run would do is what a run does: the same files through `run
/// --dry-run` and `check` under the same channel give the same documents accepted and
/// rejected per file, with the same errors (code and byte offset) for each rejected one.
#[test]
fn check_agrees_with_a_dry_run_on_the_same_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let drop = dir.path().join("drop/acme");
    std::fs::create_dir_all(&drop).expect("drop folder");
    let valid = std::fs::read_to_string(root().join(VALID_850)).expect("fixture");
    let misrouted = valid.replace("ACMERETAIL     ", "OTHERSENDER    ");
    assert_ne!(misrouted, valid);
    std::fs::write(drop.join("misrouted.edi"), misrouted).expect("written");
    for (from, to) in [
        (VALID_850, "valid.edi"),
        (INVALID_850, "invalid.edi"),
        (
            "tests/fixtures/x12/invalid/missing-se.edi",
            "missing-se.edi",
        ),
        (
            "tests/fixtures/x12/invalid/se-count-wrong.edi",
            "se-count.edi",
        ),
        ("tests/fixtures/x12/valid/unmapped-855.edi", "unmapped.edi"),
        (ORDERS, "orders.edi"),
    ] {
        std::fs::copy(root().join(from), drop.join(to)).expect("fixture copied");
    }
    std::fs::write(
        dir.path().join("tallyman.toml"),
        "[paths]\nwork = \"work\"\nerp_inbox = \"erp\"\n[run]\nsettle_seconds = 0\n\
         [channel.acme]\nformat = \"x12\"\npartner_id = \"ACMERETAIL\"\nversion = \"004010\"\n\
         inbound = \"drop/acme\"\nkeep_inputs = true\n",
    )
    .expect("config");
    let (_, out, err) = tallyman_in(
        dir.path(),
        &["run", "--config", "tallyman.toml", "--dry-run", "--json"],
    );
    let run = json(&out);
    let run_files = run["files"]
        .as_array()
        .unwrap_or_else(|| panic!("{err}: {out}"));
    let mut names: Vec<String> = run_files
        .iter()
        .map(|f| f["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 7, "{names:?}");
    let paths: Vec<String> = names.iter().map(|n| format!("drop/acme/{n}")).collect();
    let mut args = vec![
        "check",
        "--config",
        "tallyman.toml",
        "--partner",
        "acme",
        "--json",
    ];
    args.extend(paths.iter().map(String::as_str));
    let (_, out, err) = tallyman_in(dir.path(), &args);
    let check = json(&out);
    for (name, checked) in names.iter().zip(check["files"].as_array().expect("files")) {
        let ran = run_files
            .iter()
            .find(|f| f["name"] == name.as_str())
            .expect("run's file");
        let docs: Vec<&Value> = checked["interchanges"]
            .as_array()
            .expect("interchanges")
            .iter()
            .flat_map(|i| i["groups"].as_array().expect("groups"))
            .flat_map(|g| g["documents"].as_array().expect("documents"))
            .chain(checked["documents"].as_array().expect("documents"))
            .collect();
        let count = |verdicts: &[&str]| {
            docs.iter()
                .filter(|d| verdicts.contains(&d["verdict"].as_str().unwrap()))
                .count() as u64
        };
        let n = &ran["documents"];
        assert_eq!(
            count(&["accepted", "accepted_with_warnings"]),
            n["accepted"].as_u64().unwrap(),
            "{name}: accepted\n{err}"
        );
        assert_eq!(
            count(&["rejected", "not_translated"]),
            n["rejected"].as_u64().unwrap() + n["not_translated"].as_u64().unwrap(),
            "{name}: not accepted"
        );
        for not_accepted in ran["documents_not_accepted"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let offset = &not_accepted["offset"];
            let doc = docs
                .iter()
                .find(|d| &d["offset"] == offset)
                .unwrap_or_else(|| panic!("{name}: no document at {offset} in the check"));
            let errors = |list: &Value| {
                let mut v: Vec<(String, u64)> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|f| f["severity"] == "error")
                    .map(|f| (f["code"].to_string(), f["offset"].as_u64().unwrap()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(
                errors(&doc["findings"]),
                errors(&not_accepted["problems"]),
                "{name}: the errors of the document at {offset}"
            );
        }
        // A file a run would accept whole is archived; any other is quarantined.
        let whole = ["accepted", "accepted_with_warnings", "not_translated"]
            .contains(&checked["verdict"].as_str().unwrap());
        assert_eq!(
            ran["disposition"],
            if whole { "archived" } else { "quarantined" },
            "{name}: disposition, check said {}",
            checked["verdict"]
        );
    }
}

/// Runs `check` under a pseudo terminal (`script -qec`, util-linux); `None` when `script` is
/// not installed.
fn check_on_a_terminal(env: &[(&str, &str)]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let cmd = format!("{} check {INVALID_850}", env!("CARGO_BIN_EXE_tallyman"));
    let mut c = Command::new("timeout");
    c.args(["60", "script", "-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run script");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn on_a_terminal_the_verdicts_are_coloured_unless_no_color() {
    let Some(screen) = check_on_a_terminal(&[]) else {
        return;
    };
    assert!(screen.contains("\x1b[31mrejected\x1b[0m"), "{screen}");
    let Some(screen) = check_on_a_terminal(&[("NO_COLOR", "1")]) else {
        return;
    };
    assert!(!screen.contains('\x1b'), "{screen}");
    assert!(screen.contains("rejected"), "{screen}");
}

/// Without a configuration, `--guide FILE` lays a partner's implementation guide over the
/// grammars as a channel's `guide` does: the valid 850 (accepted above) is rejected by ACME's
/// guide, which allows only NE in BEG02; the finding names the guide, the 999 would carry the
/// implementation code I6; a guide that does not parse is the command's failure (exit 2).
#[test]
fn a_guide_on_the_command_line_rejects_the_valid_850() {
    let guide = "tests/fixtures/guides/acme-850.toml";
    let (code, out, err) = tallyman(&[
        "check", "--json", "--acks", "999", "--guide", guide, VALID_850,
    ]);
    assert_eq!(code, 1, "{err}");
    let r = json(&out);
    assert_eq!(r["channel"]["guide"], guide);
    let doc = &r["files"][0]["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "rejected");
    let f = &doc["findings"][0];
    assert_eq!(f["code"], "code_not_in_guide");
    assert_eq!(
        (
            f["ack_code"]["element"].as_str(),
            f["ack_code"]["code"].as_str()
        ),
        (Some("IK403"), Some("I6")),
        "{f}"
    );
    snapshot("guide_850", &r);

    let (code, out, _) = tallyman(&["check", "--guide", guide, VALID_850]);
    assert_eq!(code, 1);
    assert!(
        out.contains("implementation guide tests/fixtures/guides/acme-850.toml"),
        "{out}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n[[set.element]]\nat = \"BEG02\"\ncodes = [\"ZZZZ\"]\n").expect("written");
    let (code, _, err) = tallyman(&["check", "--guide", bad.to_str().expect("utf-8"), VALID_850]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("bad.toml:7: set.element.codes") && err.contains("a guide can only narrow"),
        "{err}"
    );
}

/// A finding's address names the loops its segment sits in, as the validator placed it.
#[test]
fn a_finding_in_a_loop_names_its_loop_path() {
    let file = "samples/demo/drop/acme/05-po-broken-quantity.edi";
    let (code, out, err) = tallyman(&["check", "--json", file]);
    assert_eq!(code, 1, "{err}");
    let r = json(&out);
    let f = &r["files"][0]["interchanges"][0]["groups"][0]["documents"][0]["findings"][0];
    assert_eq!(
        (f["segment"].as_str(), f["loop_path"].as_str()),
        (Some("PO1"), Some("PO1")),
        "{f}"
    );
    let (_, out, _) = tallyman(&["check", file]);
    assert!(
        out.contains("segment 21 of the set (PO1), loop PO1, element PO102, value '1O'"),
        "{out}"
    );
}

/// A sample whose checking panics (a bug of ours, made here by the test hook) is reported as
/// that file's internal error, and the other samples are checked.
#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "makes a check panic: needs --features crash-hooks"
)]
fn a_sample_whose_checking_panics_is_reported_and_the_others_are_checked() {
    let out = Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .args([
            "check",
            "--json",
            "samples/x12/850-northwind.edi",
            VALID_850,
        ])
        .current_dir(root())
        .env("TALLYMAN_PANIC_AT_DOCUMENT", "4500012345")
        .output()
        .expect("run tallyman");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let r = json(&stdout);
    let failed = &r["files"][0];
    assert_eq!(failed["verdict"], "rejected", "{failed}");
    let message = failed["findings"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("internal error"), "{failed}");
    assert!(
        message.contains("a bug in tallyman, not in the file"),
        "{failed}"
    );
    let other = &r["files"][1]["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(other["verdict"], "accepted", "{other}");
    assert_eq!(other["document"]["order_number"], "4500012501");
}
