//! Memory of `tallyman run` does not grow with the number of documents (issue 11, item 5).
//!
//! The real binary runs twice over one generated Shopify export (the format with the most
//! documents per byte): a small one and one with twenty times the orders. What a run holds per
//! document shows as the difference of the two peaks (`VmHWM` of the child, polled until it
//! exits). Before the fix a run held about 1.2 KiB per document (its summaries, routing maps and
//! ledger rows in vectors until the file was done), about 25 MiB more for the larger file here;
//! now it holds none, and the difference is noise. The runs keep 1 MiB of translated documents
//! in memory (`spool_memory_mib`, a fixed budget: the rest goes to disk), so that a document
//! held past it would show. No time is measured.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Writes one Shopify export of about `bytes` bytes (the same orders for the same size) into
/// `dir/drop/name`, with `tail` after it; returns the orders written.
fn export(dir: &Path, name: &str, bytes: u64, tail: &str) -> u64 {
    export_as(dir, name, bytes, tail, |text| text)
}

/// [`export`], the text changed by `change` first.
fn export_as(
    dir: &Path,
    name: &str,
    bytes: u64,
    tail: &str,
    change: impl Fn(String) -> String,
) -> u64 {
    let inbound = dir.join("drop");
    std::fs::create_dir_all(&inbound).expect("drop folder");
    let mut text = Vec::new();
    let stats = tallyman::synthetic::shopify_csv(&mut text, bytes, 7).expect("generates");
    let text = change(String::from_utf8(text).expect("UTF-8")) + tail;
    let mut w = BufWriter::new(std::fs::File::create(inbound.join(name)).expect("export"));
    w.write_all(text.as_bytes()).expect("written");
    w.flush().expect("written");
    stats.orders
}

/// Runs `tallyman run` over one Shopify export of about `bytes` bytes in a fresh folder, and
/// returns its peak RSS in KiB and the orders generated.
fn peak_of_run(dir: &Path, bytes: u64) -> (u64, u64) {
    let orders = export(dir, "orders.csv", bytes, "");
    let (peak, report) = measured_run(dir, 1, true);
    assert_eq!(
        report["totals"]["accepted"].as_u64(),
        Some(orders),
        "not every order was accepted"
    );
    (peak, orders)
}

/// Runs `tallyman run` in `dir` (a configuration is written there the first time) and returns
/// its peak RSS in KiB and its run report.
fn measured_run(dir: &Path, run: u32, clean: bool) -> (u64, serde_json::Value) {
    let cfg = dir.join("tallyman.toml");
    std::fs::write(
        &cfg,
        "[paths]\nwork = \"work\"\nerp_inbox = \"erp\"\n[run]\nthreads = 1\nsettle_seconds = 0\nspool_memory_mib = 1\n\
         [channel.shop]\ninbound = \"drop\"\nformat = \"feed\"\nprofile = \"shopify-orders\"\n",
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .args(["run", "--config"])
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tallyman starts");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let status = loop {
        // VmHWM only grows, so the last look before the exit is the peak (what a run holds, it
        // holds for a while: there is no short spike to miss).
        if let Some(hwm) = std::fs::read_to_string(&status_path).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    // Exit 1 is a run that quarantined something; 2 a run that failed.
    let want = if clean { 0 } else { 1 };
    assert_eq!(status.code(), Some(want), "tallyman run:\n{err}");
    // Reports are named after the run and its start time: run-000001-<time>.json.
    let prefix = format!("run-{run:06}");
    let report = std::fs::read_dir(dir.join("work/reports"))
        .expect("reports folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".json"))
        })
        .expect("run report");
    let report = serde_json::from_slice(&std::fs::read(report).expect("run report"))
        .expect("run report parses");
    (peak, report)
}

/// The peak RSS of a run over a re-sent export (one more byte, so not the same file: every
/// order in it a duplicate), and the orders.
fn peak_of_a_resend(dir: &Path, bytes: u64) -> (u64, u64, serde_json::Value) {
    let orders = export(dir, "orders.csv", bytes, "");
    measured_run(dir, 1, true);
    export(dir, "orders-again.csv", bytes, "\n");
    let (peak, report) = measured_run(dir, 2, true);
    assert_eq!(report["totals"]["duplicate"].as_u64(), Some(orders));
    (peak, orders, report)
}

#[cfg(target_os = "linux")]
#[test]
fn peak_memory_of_a_run_does_not_grow_with_the_duplicates_of_a_resent_file() {
    // Before: every document not accepted was kept for the reports, about 2.5 KiB each (a
    // re-sent export of 238,400 orders peaked at 594 MiB and wrote a 165 MiB run report).
    let dir = tempfile::tempdir().expect("temp dir");
    let (small, small_orders, _) = peak_of_a_resend(&dir.path().join("small"), 200 << 10);
    let (large, large_orders, report) = peak_of_a_resend(&dir.path().join("large"), 4 << 20);
    assert_flat("duplicates", (small, small_orders), (large, large_orders));
    // The run report lists the first documents and counts the rest.
    let file = &report["files"][0];
    let listed = file["documents_not_accepted"]
        .as_array()
        .expect("listed")
        .len() as u64;
    assert_eq!(listed, 100);
    assert_eq!(
        file["documents_not_listed"].as_u64(),
        Some(large_orders - 100)
    );
}

#[cfg(target_os = "linux")]
#[test]
fn peak_memory_of_a_run_does_not_grow_with_the_documents_of_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (small, small_orders) = peak_of_run(&dir.path().join("small"), 200 << 10);
    let (large, large_orders) = peak_of_run(&dir.path().join("large"), 4 << 20);
    assert_flat("orders", (small, small_orders), (large, large_orders));
}

#[cfg(target_os = "linux")]
#[test]
fn peak_memory_of_a_run_does_not_grow_with_the_broken_documents_of_a_file() {
    // Before: every problem of every document was held for the file's report, about 2.9 KiB
    // an order (a 100 MiB export with a bad price on every line peaked at 685 MiB).
    let broken = |text: String| text.replace(" -0500,", " -0500 o'clock,");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut peaks = Vec::new();
    for (name, bytes) in [("small", 200 << 10), ("large", 4 << 20)] {
        let dir = dir.path().join(name);
        let orders = export_as(&dir, "orders.csv", bytes, "", broken);
        let (peak, report) = measured_run(&dir, 1, false);
        assert_eq!(report["totals"]["rejected"].as_u64(), Some(orders));
        peaks.push((peak, orders));
    }
    let [(small, small_orders), (large, large_orders)] = peaks[..] else {
        unreachable!()
    };
    assert_flat(
        "broken orders",
        (small, small_orders),
        (large, large_orders),
    );
}

/// The larger run's peak (KiB) is within what allocators and SQLite's page cache vary by of the
/// smaller one's: nothing is held per document. 1.2 KiB a document, what runs held before,
/// would be about 10 MiB more here. The bound is 8 MiB: a re-sent file's run reads the ledger
/// the first run filled, and SQLite's page cache (2 MiB at most) grows with what it reads, so
/// that run grew by 5.0 to 6.2 MiB, at 4ee101d as later, and with 6 MiB the test failed once in
/// eight runs here.
fn assert_flat(what: &str, (small, small_docs): (u64, u64), (large, large_docs): (u64, u64)) {
    assert!(large_docs >= 15 * small_docs, "{small_docs} {large_docs}");
    eprintln!("{what}: peak RSS {small} KiB for {small_docs}, {large} KiB for {large_docs}");
    let grown_kib = large.saturating_sub(small);
    assert!(
        grown_kib < 8 << 10,
        "peak RSS grew by {grown_kib} KiB for {} more {what} ({} bytes each): something is held per document",
        large_docs - small_docs,
        grown_kib * 1024 / (large_docs - small_docs)
    );
}
