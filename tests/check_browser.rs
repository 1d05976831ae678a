//! `tallyman check --html` in a real browser: Debian's Chromium, headless (scripts/test.sh
//! installs it when it is missing). The page must render (a screenshot and a PDF are made of
//! it), request nothing (Chromium's own network log is read), and a file whose values are full of
//! markup and script must execute and fetch nothing: the DOM after the page has loaded is read
//! back from the browser. The same probes run first on a page that does fetch and run a script,
//! so that a probe that sees nothing is known to be able to see something.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An address of TEST-NET-2 (RFC 5737): nothing answers there, and the browser is told not to
/// resolve names at all.
const OUTSIDE: &str = "http://198.51.100.7";

fn chromium() -> PathBuf {
    let path = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "{} not found: the HTML report is checked in a real browser (apt-get install chromium, \
         which scripts/test.sh does; CHROMIUM=PATH for another one)",
        path.display()
    );
    path
}

/// What the browser made of a page.
struct Loaded {
    /// The DOM after the page loaded and its scripts (if any) ran.
    dom: String,
    /// URLs the page asked the network for (the browser's own background requests left out).
    requested: Vec<String>,
}

/// Runs headless Chromium on `page` with `extra` arguments, in a profile of its own.
fn browse(page: &Path, scratch: &Path, extra: &[String]) -> std::process::Output {
    let profile = scratch.join("chromium-profile");
    let out = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn load(page: &Path, scratch: &Path) -> Loaded {
    let netlog = scratch.join("net.json");
    let _ = std::fs::remove_file(&netlog);
    let out = browse(
        page,
        scratch,
        &[
            format!("--log-net-log={}", netlog.display()),
            "--dump-dom".to_owned(),
        ],
    );
    let dom = String::from_utf8(out.stdout).expect("the DOM is UTF-8");
    let log: Value =
        serde_json::from_slice(&std::fs::read(&netlog).expect("net log written")).expect("JSON");
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("the net log names its event types");
    // A request the page made carries the page's network isolation key (file://); the browser's
    // own requests (updates, time) do not.
    let requested = log["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| {
            e["params"]["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_owned))
        .collect();
    Loaded { dom, requested }
}

fn title(dom: &str) -> &str {
    let start = dom.find("<title>").expect("a title") + "<title>".len();
    let end = dom[start..].find("</title>").expect("the title ends") + start;
    &dom[start..end]
}

/// The probes see a page that fetches and runs a script.
#[test]
fn the_probes_see_a_page_that_fetches_and_runs_a_script() {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("control.html");
    std::fs::write(
        &page,
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>control</title></head>\
             <body><img src=\"{OUTSIDE}/control.png\">\
             <script>document.title = 'RAN'</script></body></html>"
        ),
    )
    .expect("written");
    let loaded = load(&page, dir.path());
    assert_eq!(title(&loaded.dom), "RAN", "the script ran");
    assert_eq!(loaded.requested, [format!("{OUTSIDE}/control.png")]);
}

/// An 850 (our crlf fixture) with markup and script in its values, each where the report shows
/// it: a party name, an address, a reference, an item description; with `}` as the component
/// separator, so that `>` is a character like any other.
fn hostile_850() -> String {
    let text = std::fs::read_to_string(common::root().join("tests/fixtures/x12/valid/crlf.edi"))
        .expect("fixture");
    let swaps = [
        ("*P*>~", "*P*}~"),
        (
            "ACME RETAIL DC 7",
            "<script>document.title='PWNED'</script>",
        ),
        (
            "88 LOGISTICS PKWY",
            &format!("\"><img src={OUTSIDE}/a.png onerror=document.title='PWNED'>"),
        ),
        (
            "REF*DP*042",
            &format!("REF*DP*</td></tr></table><iframe src={OUTSIDE}/f></iframe>"),
        ),
        (
            "STAINLESS TRAVEL MUG 16 OZ",
            &format!(
                "<link rel=stylesheet href={OUTSIDE}/s.css><style>@import url({OUTSIDE}/t.css);</style>"
            ),
        ),
    ];
    let mut out = text.clone();
    for (from, to) in swaps {
        assert!(out.contains(from), "{from} in the fixture");
        out = out.replace(from, to);
    }
    out
}

#[test]
fn the_report_renders_fetches_nothing_and_runs_nothing_from_the_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("po.edi"), hostile_850()).expect("written");
    let report = dir.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .current_dir(dir.path())
        .args(["check", "--format", "x12", "--html"])
        .arg(&report)
        .arg("po.edi")
        .env("NO_COLOR", "1")
        .output()
        .expect("tallyman runs");
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "check ran: {code:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let loaded = load(&report, dir.path());
    let dom = &loaded.dom;
    assert!(
        loaded.requested.is_empty(),
        "the page requested {:?}",
        loaded.requested
    );
    assert!(
        !title(dom).contains("PWNED"),
        "a script from the file ran: {}",
        title(dom)
    );
    let lower = dom.to_ascii_lowercase();
    for element in ["<script", "<img", "<iframe", "<link", "<object", "<embed"] {
        assert!(
            !lower.contains(element),
            "{element} became an element of the page"
        );
    }
    assert_eq!(
        lower.matches("<style").count(),
        1,
        "only the page's own style"
    );
    // The values are there, as text.
    assert!(
        dom.contains("&lt;script&gt;document.title='PWNED'&lt;/script&gt;"),
        "the party name shows as text"
    );
    assert!(
        dom.contains("&lt;iframe src="),
        "the reference shows as text"
    );

    // It renders: a screenshot of the page's width, and a PDF for the printer.
    let png = dir.path().join("report.png");
    browse(
        &report,
        dir.path(),
        &[
            "--window-size=1280,2000".to_owned(),
            format!("--screenshot={}", png.display()),
        ],
    );
    let png = std::fs::read(&png).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().expect("IHDR width"));
    assert_eq!(width, 1280);
    assert!(png.len() > 20_000, "a page with content, not a blank one");
    let pdf = dir.path().join("report.pdf");
    browse(
        &report,
        dir.path(),
        &[
            "--no-pdf-header-footer".to_owned(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    );
    let pdf = std::fs::read(&pdf).expect("PDF written");
    assert!(pdf.starts_with(b"%PDF-"));
}
