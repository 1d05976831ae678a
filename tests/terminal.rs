//! The README's first command on a terminal: the progress bar is drawn and the run finishes.
//!
//! Piped, stderr is not a terminal and no bar is drawn, so only a pseudo terminal shows a hang
//! between the bar and the command's own output. `script -qec` (util-linux) runs the real
//! binary under one; `timeout` turns a hang into a failure instead of a stuck suite.

mod common;

use common::demo_copy;
use std::path::Path;
use std::process::Command;

/// Runs tallyman under a pseudo terminal; `None` when `script` is not installed.
fn on_a_terminal(dir: &Path, args: &str) -> Option<(i32, String)> {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_tallyman"));
    let out = Command::new("timeout")
        .args(["120", "script", "-qec", &cmd, "/dev/null"])
        .current_dir(dir)
        .env_remove("TALLYMAN_CRASH_AFTER")
        .output()
        .expect("run script");
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(
        code, 124,
        "tallyman {args} did not finish on a terminal in 120 s"
    );
    Some((code, String::from_utf8_lossy(&out.stdout).into_owned()))
}

#[test]
fn the_demo_run_finishes_on_a_terminal_with_its_progress_bar() {
    let d = demo_copy();
    let Some((code, screen)) = on_a_terminal(d.path(), "run --config tallyman.toml") else {
        return;
    };
    assert_eq!(code, 1, "the demo quarantines two files: {screen}");
    assert!(screen.contains("translating"), "no progress bar: {screen}");
    assert!(screen.contains("files ("), "no summary: {screen}");
    assert!(screen.contains("tallyman run 1:"), "no summary: {screen}");
    assert!(
        screen.contains("acme: sent 1 856"),
        "no ship notice: {screen}"
    );
    assert!(
        screen.contains("held ship notice SH-70002"),
        "nothing held: {screen}"
    );
}

#[test]
fn a_dry_run_and_a_replay_finish_on_a_terminal() {
    let d = demo_copy();
    let Some((code, screen)) = on_a_terminal(d.path(), "run --dry-run --config tallyman.toml")
    else {
        return;
    };
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("tallyman dry run"), "{screen}");
    let (code, _) = on_a_terminal(d.path(), "run --config tallyman.toml").expect("script");
    assert_eq!(code, 1);
    let (code, screen) =
        on_a_terminal(d.path(), "ledger replay --all --config tallyman.toml").expect("script");
    assert!(screen.contains("tallyman run 2:"), "{screen}");
    assert!(
        !screen.contains("ERP export"),
        "--all passes over quarantined exports: {screen}"
    );
    assert_eq!(code, 1, "the quarantined files are still broken: {screen}");
}

#[test]
fn log_lines_pass_the_progress_bar_in_colour_unless_no_color_is_set() {
    let d = demo_copy();
    let Some((code, screen)) = on_a_terminal(d.path(), "run --dry-run -v --config tallyman.toml")
    else {
        return;
    };
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("translating"), "no progress bar: {screen}");
    assert!(screen.contains("tallyman dry run:"), "no summary: {screen}");
    // Coloured levels on a terminal: ESC [ ... m around INFO.
    assert!(screen.contains("\u{1b}[32m INFO"), "{screen:?}");
    let lines = screen.lines().filter(|l| l.contains("document")).count();
    assert!(lines >= 10, "{screen}");

    let cmd = format!(
        "{} run --dry-run -v --config tallyman.toml",
        env!("CARGO_BIN_EXE_tallyman")
    );
    let out = Command::new("timeout")
        .args(["120", "script", "-qec", &cmd, "/dev/null"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run script");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains(" INFO "), "{screen}");
    assert!(!screen.contains("\u{1b}[32m"), "{screen:?}");
}
