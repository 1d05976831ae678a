//! Memory of `tallyman run` does not grow with the number of documents (issue 11, item 5).
//!
//! The real binary runs twice over one generated Shopify export (the format with the most
//! documents per byte): a small one and one with twenty times the orders. What a run holds per
//! document shows as the difference of the two peaks (`VmHWM` of the child, polled until it
//! exits). Before the fix a run held about 1.2 KiB per document (its summaries, routing maps and
//! ledger rows in vectors until the file was done), about 25 MiB more for the larger file here;
//! now it holds none, and the difference is noise. No time is measured.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `tallyman run` over one Shopify export of about `bytes` bytes in a fresh folder, and
/// returns its peak RSS in KiB and the orders generated.
fn peak_of_run(dir: &Path, bytes: u64) -> (u64, u64) {
    let inbound = dir.join("drop");
    std::fs::create_dir_all(&inbound).expect("drop folder");
    let mut w = BufWriter::new(std::fs::File::create(inbound.join("orders.csv")).expect("export"));
    let stats = tallyman::generate::shopify_csv(&mut w, bytes, 7).expect("generates");
    w.flush().expect("written");
    drop(w);
    let cfg = dir.join("tallyman.toml");
    std::fs::write(
        &cfg,
        "[paths]\nwork = \"work\"\nerp_inbox = \"erp\"\n[run]\nthreads = 1\nsettle_seconds = 0\n\
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
    assert!(status.success(), "tallyman run failed ({status}):\n{err}");
    // Reports are named after the run and its start time: run-000001-<time>.json.
    let report = std::fs::read_dir(dir.join("work/reports"))
        .expect("reports folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("run-000001") && n.ends_with(".json"))
        })
        .expect("run report");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report).expect("run report"))
            .expect("run report parses");
    assert_eq!(
        report["totals"]["accepted"].as_u64(),
        Some(stats.orders),
        "not every order was accepted:\n{err}"
    );
    (peak, stats.orders)
}

#[cfg(target_os = "linux")]
#[test]
fn peak_memory_of_a_run_does_not_grow_with_the_documents_of_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (small, small_orders) = peak_of_run(&dir.path().join("small"), 200 << 10);
    let (large, large_orders) = peak_of_run(&dir.path().join("large"), 4 << 20);
    assert!(
        large_orders >= 15 * small_orders,
        "{small_orders} {large_orders}"
    );
    let grown_kib = large.saturating_sub(small);
    eprintln!(
        "peak RSS {small} KiB for {small_orders} orders, {large} KiB for {large_orders} orders"
    );
    // 1.2 KiB per order would be about 10 MiB more; allow what allocators and SQLite's page
    // cache may vary by.
    assert!(
        grown_kib < 6 << 10,
        "peak RSS grew by {grown_kib} KiB for {} more orders ({} bytes each): something is held per document",
        large_orders - small_orders,
        grown_kib * 1024 / (large_orders - small_orders)
    );
}
