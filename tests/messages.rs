//! What a new user reads when something goes wrong: each message names the file, says in plain
//! words what is wrong and what to do, and the exit code tells the kind of failure (0 all
//! accepted, 1 something rejected, 2 the command itself failed). One test per message that a
//! new user met, named after it.

mod common;

use common::root;
use std::io::Write;
use std::process::{Command, Stdio};

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn tallyman(args: &[&str]) -> Ran {
    tallyman_with_stdin(args, None)
}

/// Runs the binary from the repository's root, with `stdin` piped in when given.
fn tallyman_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Ran {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .args(args)
        .current_dir(root())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tallyman");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("piped stdin");
        pipe.write_all(bytes).expect("write stdin");
    }
    let out = child.wait_with_output().expect("tallyman ends");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

/// A temporary folder holding `tallyman.toml` with `text`, and the path of that file.
fn config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tallyman.toml");
    std::fs::write(&path, text).expect("write config");
    let path = path.to_str().expect("utf-8 temp path").to_owned();
    (dir, path)
}

const CHANNEL: &str = "[channel.acme]\nformat = \"x12\"\ninbound = \"drop\"\n";

/// `cannot read cfg/nonexist.toml: No such file or directory (os error 2): No such file or
/// directory (os error 2)`: the error's own text held the OS error, and the printer added it
/// again from the error's source.
#[test]
fn the_os_error_is_printed_once() {
    let r = tallyman(&["run", "--config", "no/such/tallyman.toml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(
        r.stderr.matches("No such file or directory").count(),
        1,
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("no/such/tallyman.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("--config FILE"), "{}", r.stderr);
}

/// `creating folders in cfg/work` when it was the ERP inbox that could not be created.
#[test]
fn the_folder_that_could_not_be_created_is_named() {
    let (dir, path) = config(&format!(
        "[paths]\nwork = \"work\"\nerp_inbox = \"blocker/erp\"\n\n{CHANNEL}"
    ));
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").unwrap();
    let r = tallyman(&["run", "--config", &path]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let inbox = dir.path().join("blocker/erp");
    assert!(
        r.stderr.contains(&format!(
            "creating the ERP inbox {} ([paths] erp_inbox)",
            inbox.display()
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("creating folders in"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("(os error").count(), 1, "{}", r.stderr);
}

/// `tallyman.toml:6: invalid type: string "two", expected usize`: no key, and a Rust type.
#[test]
fn a_type_error_in_the_configuration_names_its_key() {
    let (_dir, path) = config(&format!(
        "[paths]\nwork = \"work\"\nerp_inbox = \"erp\"\n\n[run]\nthreads = \"two\"\n\n{CHANNEL}"
    ));
    let r = tallyman(&["run", "--config", &path]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{path}:6: run.threads: invalid type: string \"two\", expected an integer"
        )),
        "{}",
        r.stderr
    );
}

/// `--profile shopfy` was taken for a file no profile matches ("not an X12, EDIFACT or known
/// feed file", exit 1): it is a bad argument, refused before any file is read.
#[test]
fn an_unknown_profile_is_a_bad_argument_that_lists_the_known_ones() {
    let r = tallyman(&[
        "translate",
        "--profile",
        "shopfy",
        "samples/feeds/shopify-orders.csv",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("--profile shopfy: there is no feed profile 'shopfy'"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("shopify-orders") && r.stderr.contains("amazon-order-report"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("not an X12"), "{}", r.stderr);
}

/// `inspect` listed `--feeds` and `--profile`, which it never used.
#[test]
fn inspect_offers_no_feed_options() {
    let r = tallyman(&["inspect", "--help"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("--profile"), "{}", r.stdout);
    assert!(!r.stdout.contains("--feeds"), "{}", r.stdout);
    let r = tallyman(&[
        "inspect",
        "--profile",
        "shopify-orders",
        "samples/x12/850-northwind.edi",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// `inspect` on a Walmart XML feed said "use translate for CSV/TSV feeds".
#[test]
fn inspect_on_a_feed_names_the_feed_and_points_to_translate() {
    let xml = "fuzz/seeds/xml/walmart-one-order.xml";
    let r = tallyman(&["inspect", xml]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!(
            "{xml}: an XML feed (profile walmart-orders-v3): inspect shows X12 and EDIFACT files only; `tallyman translate {xml}` prints its orders and findings"
        )),
        "{}",
        r.stderr
    );
    let csv = "samples/feeds/shopify-orders.csv";
    let r = tallyman(&["inspect", csv]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{csv}: a CSV feed (profile shopify-orders)")),
        "{}",
        r.stderr
    );
}

/// `inspect` on a binary file suggested `translate`, which cannot read it either.
#[test]
fn inspect_on_a_binary_file_does_not_suggest_translate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.edi");
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10").unwrap();
    let path = path.to_str().unwrap();
    let r = tallyman(&["inspect", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stderr.contains("translate"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{path}: not an X12, EDIFACT or feed file")),
        "{}",
        r.stderr
    );
}

/// An empty file was `not an X12, EDIFACT or known feed file ... (found '')`, counted as
/// "1 errors outside any document".
#[test]
fn an_empty_file_is_called_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.edi");
    std::fs::write(&path, b"").unwrap();
    let path = path.to_str().unwrap();
    let r = tallyman(&["translate", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("the file is empty (0 bytes)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("found ''"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{path}: 0 translated, 0 rejected, 0 not translated, 1 error outside any document"
        )),
        "{}",
        r.stderr
    );
    let r = tallyman(&["inspect", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{path}: the file is empty (0 bytes)")),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("translate"), "{}", r.stderr);
}

/// `translate a.edi missing.edi b.edi` stopped at the missing file and never read b.edi.
#[test]
fn translate_goes_on_past_a_missing_file_and_exits_2_at_the_end() {
    let r = tallyman(&[
        "translate",
        "samples/x12/850-northwind.edi",
        "no/such/file.edi",
        "samples/x12/856-northwind.edi",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("samples/x12/856-northwind.edi: 1 translated, 0 rejected"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("opening no/such/file.edi: No such file or directory"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .trim_end()
            .ends_with("1 of 3 files could not be read: no/such/file.edi"),
        "{}",
        r.stderr
    );
}

/// `translate -` looked for a file named `-`.
#[test]
fn translate_dash_reads_standard_input() {
    // UTF-16 with a byte order mark: not text a line-based reader would pass through intact.
    let bytes =
        std::fs::read(root().join("tests/fixtures/feeds/valid/amazon-utf16le.txt")).unwrap();
    let r = tallyman_with_stdin(&["translate", "-"], Some(&bytes));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(docs.len(), 2, "{}", r.stdout);
    assert_eq!(docs[0]["source"]["file"], "<stdin>");
    assert!(
        r.stderr
            .contains("<stdin>: 2 translated, 0 rejected, 0 not translated"),
        "{}",
        r.stderr
    );
    // Findings name it the same way.
    let bad = std::fs::read(root().join("tests/fixtures/x12/invalid/se-count-wrong.edi")).unwrap();
    let r = tallyman_with_stdin(&["translate", "-"], Some(&bad));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("<stdin>:518: segment 14 (SE)"),
        "{}",
        r.stderr
    );
    // inspect reads it too.
    let sample = std::fs::read(root().join("samples/x12/850-northwind.edi")).unwrap();
    let r = tallyman_with_stdin(&["inspect", "-"], Some(&sample));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("=> 850 0001: accepted"), "{}", r.stdout);
    // Standard input is read once.
    let r = tallyman_with_stdin(&["translate", "-", "-"], Some(&bad));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("standard input"), "{}", r.stderr);
}

/// A document the nearest version's grammar rejected gave no hint that `--grammars` (a grammar
/// of its own version) or `--lenient` would have read it.
#[test]
fn a_rejection_by_a_fallback_grammar_hints_at_grammars_and_lenient() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read_to_string(root().join("samples/x12/850-northwind.edi")).unwrap();
    // 004030 has no built-in grammar: 004010's is used, and it has no purpose code 99.
    let text = sample
        .replace("*X*004010~", "*X*004030~")
        .replace("BEG*00*SA", "BEG*99*SA");
    let path = dir.path().join("004030.edi");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();
    let r = tallyman(&["translate", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let hint = r
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("{path}: hint: ")))
        .unwrap_or_else(|| panic!("a hint: {}", r.stderr));
    assert!(
        hint.contains("850 0001 was checked against the grammar of another version")
            && hint.contains("--grammars DIR")
            && hint.contains("--lenient"),
        "{hint}"
    );
    let r = tallyman(&["translate", "--lenient", path]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("hint:"), "{}", r.stderr);
    // The sample as sent, in its own version: no hint.
    let r = tallyman(&["translate", "tests/fixtures/x12/invalid/bad-code.edi"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stderr.contains("hint:"), "{}", r.stderr);
}

/// A message whose bytes are not in the character set its UNB declares was rejected with no
/// word of `--lenient`.
#[test]
fn a_charset_mismatch_rejection_hints_at_lenient() {
    let file = "tests/fixtures/edifact/invalid/utf8-in-unoa.edi";
    let r = tallyman(&["translate", file]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let hint = r
        .stderr
        .lines()
        .find(|l| l.starts_with(&format!("{file}: hint: ")))
        .unwrap_or_else(|| panic!("a hint: {}", r.stderr));
    assert!(
        hint.contains("not in the character set its UNB declares") && hint.contains("--lenient"),
        "{hint}"
    );
    let r = tallyman(&["inspect", file]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("hint: "), "{}", r.stdout);
}
