//! A run treats the drop folders and the partners who write to them as hostile: files swapped
//! for links, FIFOs and folders after they were listed, names that forge output lines, names
//! too long to store, folders it may not read, and a work directory whose ledger was lost.
//! Each test is named after what a partner or an accident did.

mod batch;

use batch::{CHANNELS, Env, po};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::Duration;

fn mode(env: &Env, rel: &str) -> u32 {
    std::fs::symlink_metadata(env.path(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
        .permissions()
        .mode()
        & 0o777
}

fn with_settle(env: &Env, seconds: &str) {
    let text = std::fs::read_to_string(env.config()).unwrap();
    std::fs::write(
        env.config(),
        text.replace("settle_seconds = 0", &format!("settle_seconds = {seconds}")),
    )
    .unwrap();
}

const SECRET: &str = "root:$y$j9T$very-secret-hash:19000:0:99999:7:::\n";

/// Starts a run that waits out its settle window, swaps `drop/acme/b.edi` while it waits, and
/// returns what the run printed.
fn swap_during_the_settle_window(env: &Env, swap: impl FnOnce(&std::path::Path)) -> batch::Ran {
    with_settle(env, "1.5");
    let child = env
        .command(&["run", "--config", "tallyman.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let victim = env.path("drop/acme/b.edi");
    std::fs::remove_file(&victim).unwrap();
    swap(&victim);
    // A run that blocks (on a FIFO) must not hang the test: give it ample time, then fail.
    batch::Ran::wait_within(
        child,
        Duration::from_secs(60),
        "a run with a file swapped while it settled (blocked on it?)",
    )
}

fn two_orders(env: &Env) {
    env.drop_file("acme", "a.edi", &po(801, "PO-A", &[("1", "SKU-1")]));
    env.drop_file("acme", "b.edi", &po(802, "PO-B", &[("2", "SKU-2")]));
}

/// Nothing of the secret anywhere a run writes, and it is printed nowhere.
fn assert_not_leaked(env: &Env, ran: &batch::Ran) {
    assert!(!ran.stderr.contains("very-secret"), "{}", ran.stderr);
    for p in batch::walk(&env.path("work"))
        .into_iter()
        .chain(batch::walk(&env.path("inbox")))
    {
        let bytes = std::fs::read(&p).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("very-secret"),
            "{} holds the secret",
            p.display()
        );
    }
}

#[test]
fn a_drop_file_swapped_for_a_link_to_a_secret_is_not_followed() {
    let env = Env::new(CHANNELS);
    let secret = env.path("shadow");
    std::fs::write(&secret, SECRET).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    two_orders(&env);
    let ran = swap_during_the_settle_window(&env, |victim| {
        std::os::unix::fs::symlink(&secret, victim).unwrap();
    });
    assert_not_leaked(&env, &ran);
    assert!(
        ran.stderr.contains("b.edi"),
        "the link is reported: {}",
        ran.stderr
    );
    // The link is left alone; the other order went through.
    assert!(
        std::fs::symlink_metadata(env.path("drop/acme/b.edi"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(batch::identities(&env.erp_documents()).len(), 1);
    // And on the next run too.
    let again = env.run(&[]);
    assert_not_leaked(&env, &again);
    assert!(
        again.stderr.contains("symbolic link, not a regular file"),
        "{}",
        again.stderr
    );
}

#[test]
fn a_drop_file_swapped_for_a_fifo_does_not_block_the_run() {
    let env = Env::new(CHANNELS);
    two_orders(&env);
    let ran = swap_during_the_settle_window(&env, |victim| {
        let ok = std::process::Command::new("mkfifo")
            .arg(victim)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo");
    });
    assert!(ran.code == 0 || ran.code == 1, "{}", ran.stderr);
    assert_eq!(batch::identities(&env.erp_documents()).len(), 1);
    // The lock was given back: the next run works and reports the FIFO it leaves alone.
    let again = env.run(&[]);
    assert!(again.stderr.contains("tallyman run 2"), "{}", again.stderr);
    assert!(again.stderr.contains("FIFO"), "{}", again.stderr);
}

#[test]
fn a_drop_file_swapped_for_a_link_to_dev_zero_is_not_copied() {
    let env = Env::new(CHANNELS);
    two_orders(&env);
    let ran = swap_during_the_settle_window(&env, |victim| {
        std::os::unix::fs::symlink("/dev/zero", victim).unwrap();
    });
    assert!(ran.code == 0 || ran.code == 1, "{}", ran.stderr);
    let staged: u64 = batch::walk(&env.path("work"))
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(staged < 1 << 20, "{staged} bytes in the work directory");
}

#[test]
fn copies_and_reports_are_owner_only_and_never_wider_than_the_source() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "good.edi", &po(811, "PO-G", &[("1", "SKU-1")]));
    env.drop_file("acme", "bad.edi", &po(812, "PO-H", &[("x", "SKU-1")]));
    env.drop_file("acme", "private.edi", &po(813, "PO-P", &[("1", "SKU-1")]));
    std::fs::set_permissions(
        env.path("drop/acme/private.edi"),
        std::fs::Permissions::from_mode(0o400),
    )
    .unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(mode(&env, "work/archive/run-000001/acme/good.edi"), 0o600);
    assert_eq!(
        mode(&env, "work/archive/run-000001/acme/private.edi"),
        0o400
    );
    assert_eq!(mode(&env, "work/quarantine/run-000001/acme/bad.edi"), 0o600);
    assert_eq!(
        mode(&env, "work/quarantine/run-000001/acme/bad.edi.report.txt"),
        0o600
    );
    assert_eq!(mode(&env, "work/reports/run-000001.json"), 0o600);
    assert_eq!(mode(&env, "work/ledger.sqlite"), 0o600);
    assert_eq!(mode(&env, "work/quarantine"), 0o700);
    assert_eq!(mode(&env, "inbox/run-000001-order.jsonl"), 0o640);
}

#[test]
fn names_with_a_newline_esc_or_bidi_override_are_printed_escaped() {
    let env = Env::new(CHANNELS);
    let forged = "x\n  wrote /etc/forged (9 documents)\n.edi";
    env.drop_file("acme", forged, &po(821, "PO-N", &[("x", "SKU-1")]));
    env.drop_file(
        "acme",
        "esc\u{1b}[2J.edi",
        &po(822, "PO-E", &[("x", "SKU-1")]),
    );
    env.drop_file(
        "acme",
        "inv\u{202e}ide.edi",
        &po(823, "PO-R", &[("x", "SKU-1")]),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        !r.stderr
            .lines()
            .any(|l| l.starts_with("  wrote /etc/forged")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("x\\n  wrote /etc/forged"), "{}", r.stderr);
    assert!(!r.stderr.contains('\u{1b}'), "{}", r.stderr);
    assert!(r.stderr.contains("esc\\u{001B}[2J.edi"), "{}", r.stderr);
    assert!(!r.stderr.contains('\u{202e}'), "{}", r.stderr);
    let report = env.read("work/quarantine/run-000001/acme/esc\u{1b}[2J.edi.report.txt");
    assert!(!report.contains('\u{1b}'), "{report}");
}

#[test]
fn a_name_that_is_not_utf8_is_reported_not_silently_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new(CHANNELS);
    let name = std::ffi::OsStr::from_bytes(b"po-\xff\xfe.edi");
    std::fs::write(
        env.path("drop/acme").join(name),
        po(831, "PO-U", &[("1", "SKU-1")]),
    )
    .unwrap();
    let r = env.run(&[]);
    assert!(r.stderr.contains("not UTF-8"), "{}", r.stderr);
    assert!(r.stderr.contains("po-\\xFF\\xFE.edi"), "{}", r.stderr);
    assert!(
        env.path("drop/acme").join(name).exists(),
        "left where it is"
    );
}

#[test]
fn a_254_byte_name_is_stored_and_leaves_nothing_in_staging() {
    let env = Env::new(CHANNELS);
    let long = format!("{}.edi", "p".repeat(250));
    assert_eq!(long.len(), 254);
    env.drop_file("acme", &long, &po(841, "PO-L", &[("x", "SKU-1")]));
    env.drop_file(
        "acme",
        &format!("{}.ed2", "p".repeat(250)),
        &po(842, "PO-M", &[("1", "SKU-1")]),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(env.files("drop").is_empty(), "{:?}", env.files("drop"));
    assert!(batch::walk(&env.path("work/staging")).is_empty());
    let stored = env.files("work/quarantine");
    assert_eq!(stored.len(), 3, "the file and its two reports: {stored:?}");
    assert!(
        stored
            .iter()
            .all(|n| n.rsplit('/').next().unwrap().len() <= 255)
    );
    assert_eq!(env.files("work/archive").len(), 1);
    let again = env.run(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
}

#[test]
fn an_unreadable_sub_folder_skips_only_that_folder() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(851, "PO-1", &[("1", "SKU-1")]));
    env.drop_file("acme", "locked/b.edi", &po(852, "PO-2", &[("1", "SKU-1")]));
    env.drop_file("acme", "open/c.edi", &po(853, "PO-3", &[("1", "SKU-1")]));
    std::fs::set_permissions(
        env.path("drop/acme/locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    // Root reads every folder whatever its mode: run as an unprivileged user then.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .unwrap()
        .stdout
        == b"0\n";
    let r = if root {
        let ok = std::process::Command::new("chmod")
            .args(["-R", "a+rwX"])
            .arg(env.path(""))
            .status()
            .unwrap()
            .success()
            && std::process::Command::new("chmod")
                .arg("000")
                .arg(env.path("drop/acme/locked"))
                .status()
                .unwrap()
                .success();
        assert!(ok);
        // The temporary folder itself must be reachable by that user.
        let mut p = env.path("");
        while let Some(parent) = p.parent() {
            if parent == std::path::Path::new("/") {
                break;
            }
            let m = std::fs::metadata(parent).unwrap().permissions().mode();
            assert!(
                m & 0o001 != 0,
                "{} is not searchable by others",
                parent.display()
            );
            p = parent.to_path_buf();
        }
        let out = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_tallyman"))
            .args(["run", "--config", "tallyman.toml"])
            .current_dir(env.path(""))
            .env_remove("TALLYMAN_CRASH_AFTER")
            .output()
            .unwrap();
        batch::Ran::from(out)
    } else {
        env.run(&[])
    };
    std::fs::set_permissions(
        env.path("drop/acme/locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    assert!(r.stderr.contains("locked cannot be read"), "{}", r.stderr);
    let numbers: Vec<String> = batch::identities(&env.erp_documents())
        .into_iter()
        .map(|i| i.2)
        .collect();
    assert_eq!(numbers, ["PO-1", "PO-3"], "{}", r.stderr);
}

#[test]
fn a_lost_ledger_is_refused_instead_of_counting_every_order_again() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(861, "PO-1", &[("1", "SKU-1")]));
    assert_eq!(env.run(&[]).code, 0);
    let first = env.files("inbox");
    assert_eq!(first.len(), 2, "{first:?}");
    let real = batch::walk(&env.path("inbox"));
    let erp_before: Vec<String> = real
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();

    for lose in ["delete", "truncate"] {
        match lose {
            "delete" => std::fs::remove_file(env.path("work/ledger.sqlite")).unwrap(),
            _ => std::fs::write(env.path("work/ledger.sqlite"), b"").unwrap(),
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(env.path(&format!("work/ledger.sqlite{suffix}")));
        }
        // The partner sends the same order again.
        env.drop_file("acme", "a-again.edi", &po(862, "PO-1", &[("1", "SKU-1")]));
        let r = env.run(&[]);
        assert_eq!(r.code, 2, "{lose}: {}", r.stderr);
        assert!(r.stderr.contains("holds no run"), "{}", r.stderr);
        assert!(r.stderr.contains("--new-ledger"), "{}", r.stderr);
        assert_eq!(env.files("inbox"), first, "{lose}: nothing written");
        assert!(env.path("drop/acme/a-again.edi").exists());
    }

    // The operator's explicit choice: a new ledger, and nothing of the old runs replaced.
    let r = env.run(&["--new-ledger"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = batch::walk(&env.path("inbox"));
    assert_eq!(after.len(), 4, "{after:?}");
    for (p, before) in real.iter().zip(&erp_before) {
        let now = std::fs::read_to_string(p).unwrap();
        assert_eq!(&now, before, "{} was replaced", p.display());
    }
    assert_eq!(batch::walk(&env.path("work/archive")).len(), 2);
}

#[test]
fn two_configurations_sharing_an_erp_inbox_never_replace_each_others_files() {
    let east = Env::new(CHANNELS);
    east.drop_file("acme", "a.edi", &po(871, "PO-E", &[("1", "SKU-1")]));
    assert_eq!(east.run(&[]).code, 0);
    // A second configuration writes to the same inbox.
    let west = Env::new(CHANNELS);
    std::fs::remove_dir_all(west.path("inbox")).ok();
    std::os::unix::fs::symlink(east.path("inbox"), west.path("inbox")).unwrap();
    west.drop_file("acme", "a.edi", &po(872, "PO-W", &[("1", "SKU-1")]));
    let r = west.run(&[]);
    assert_eq!(
        r.code, 2,
        "refused without a prefix of its own: {}",
        r.stderr
    );
    assert!(r.stderr.contains("ERP files named run-*"), "{}", r.stderr);
    let text = std::fs::read_to_string(west.config()).unwrap();
    std::fs::write(
        west.config(),
        text.replace("[run]", "[output]\nname_prefix = \"west-\"\n\n[run]"),
    )
    .unwrap();
    let r = west.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let names = east.files("inbox");
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(
        names
            .iter()
            .filter(|n| n.starts_with("west-run-000001-"))
            .count()
            == 2
    );
}

/// A file whose reading ends in a panic (a bug of ours, made here by the test hook) is
/// quarantined with a report that says so, and the run goes on with the other files; the next
/// run does not stumble on it again. The large file is scanned a batch ahead on a thread of its
/// own while the pool translates: the panic, in the pool, ends that file's reading only.
#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "makes a translation panic: needs --features crash-hooks"
)]
fn a_file_whose_reading_panics_is_quarantined_and_the_run_goes_on() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(871, "PO-A", &[("1", "SKU-1")]));
    env.drop_file("acme", "b.edi", &po(872, "PO-BUG", &[("2", "SKU-2")]));
    env.drop_file("acme", "c.edi", &po(873, "PO-C", &[("3", "SKU-3")]));
    // 3 MiB: more than a batch, so read ahead; the bad order two thirds in.
    let big: String = (0..7000)
        .map(|i| {
            let number = if i == 4700 {
                "PO-BUG".to_owned()
            } else {
                format!("PO-BIG-{i}")
            };
            po(10_000 + i, &number, &[("1", "SKU-9")])
        })
        .collect();
    assert!(big.len() > 2 << 20, "{}", big.len());
    env.drop_file("acme", "d-big.edi", &big);

    let ran = |threads: &str, log: &str| {
        // A panic that deadlocked the scan-ahead would hang: fail fast instead.
        batch::Ran::within(
            env.command(&["run", "--config", "tallyman.toml", "--threads", threads])
                .args(["--log-format", log])
                .env("TALLYMAN_PANIC_AT_DOCUMENT", "PO-BUG")
                // Which adds the standard hook's backtrace, not JSON.
                .env_remove("RUST_BACKTRACE"),
            Duration::from_secs(120),
            "a run with a panicking document",
        )
    };
    let r = ran("2", "json");
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // The panic's own message, with its place in the code, is in the run's log, which stays
    // one JSON object a line.
    assert!(
        r.stderr
            .contains("the test hook stops at document PO-BUG, at src/pipeline/work.rs:"),
        "{}",
        r.stderr
    );
    for line in r.stderr.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line:?} in {}",
            r.stderr
        );
    }
    let numbers: Vec<String> = env
        .erp_documents()
        .iter()
        .map(|d| d["order_number"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        numbers,
        ["PO-A", "PO-C"],
        "none of the failed files' orders"
    );
    let quarantined = batch::walk(&env.path("work/quarantine"));
    for name in ["b.edi", "d-big.edi"] {
        let report = quarantined
            .iter()
            .find(|p| p.to_string_lossy().ends_with(&format!("{name}.report.txt")))
            .unwrap_or_else(|| panic!("no report for {name}: {quarantined:?}"));
        let text = std::fs::read_to_string(report).unwrap();
        assert!(text.contains("internal error"), "{text}");
        // The panic's message and its place in the code, for the bug report.
        assert!(
            text.contains("the test hook stops at document PO-BUG, at src/pipeline/work.rs:"),
            "{text}"
        );
        assert!(
            text.contains("a bug in tallyman, not in the file"),
            "{text}"
        );
        assert!(text.contains("tallyman ledger replay"), "{text}");
        assert!(
            quarantined
                .iter()
                .any(|p| p.to_string_lossy().ends_with(&format!("/{name}"))),
            "{name} is kept: {quarantined:?}"
        );
    }
    assert_eq!(batch::walk(&env.path("work/archive")).len(), 2);
    assert!(env.files("drop/acme").is_empty(), "every input was taken");

    // The next run has nothing to do; with one thread, the same file fails the same way.
    let again = ran("1", "text");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(env.erp_documents().len(), 2);
    env.drop_file("acme", "e.edi", &po(874, "PO-BUG", &[("2", "SKU-2")]));
    let single = ran("1", "text");
    assert_eq!(single.code, 1, "{}", single.stderr);
    assert_eq!(env.erp_documents().len(), 2);
}

/// A panic outside a file's reading (here in the pool after a file is read, and on the main
/// thread while routing) fails the command as the exit codes say, 2 with a sentence, not with
/// Rust's 101; the next run recovers the work and records every order once.
#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "makes a run panic: needs --features crash-hooks"
)]
fn a_run_that_panics_fails_with_exit_2_and_the_next_run_recovers() {
    for at in ["translated", "routed"] {
        let env = Env::new(CHANNELS);
        two_orders(&env);
        let out = env
            .command(&["run", "--config", "tallyman.toml"])
            .env("TALLYMAN_PANIC_AT", at)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{at}: {stderr}");
        assert!(
            stderr.contains(&format!("the test hook panics at crash point {at}")),
            "{at}: {stderr}"
        );
        // The closing sentence carries the panic's own message and place, whichever thread
        // it happened on.
        assert!(
            stderr.contains(&format!(
                "internal error: TALLYMAN_PANIC_AT: the test hook panics at crash point {at}, at src/pipeline/work.rs:"
            )),
            "{at}: {stderr}"
        );
        assert!(stderr.contains("a bug in tallyman"), "{at}: {stderr}");
        assert!(env.erp_documents().is_empty(), "{at}: nothing committed");

        let r = env.run(&[]);
        assert_eq!(r.code, 0, "{at}: {}", r.stderr);
        let mut numbers: Vec<String> = env
            .erp_documents()
            .iter()
            .map(|d| d["order_number"].as_str().unwrap_or_default().to_owned())
            .collect();
        numbers.sort();
        assert_eq!(numbers, ["PO-A", "PO-B"], "{at}");
        assert_eq!(env.run(&[]).code, 0, "{at}: nothing left");
        assert_eq!(env.erp_documents().len(), 2, "{at}");
    }
}

/// A panic while a file is copied into staging (a bug of ours) leaves each such file where it
/// is, says why, and the run ends as it does for a file it cannot read; the next run, without
/// the bug, reads them.
#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "makes a copy panic: needs --features crash-hooks"
)]
fn a_file_whose_staging_panics_is_left_where_it_is() {
    let env = Env::new(CHANNELS);
    two_orders(&env);
    let r = batch::Ran::within(
        env.command(&["run", "--config", "tallyman.toml"])
            .env("TALLYMAN_PANIC_AT", "staged")
            .env_remove("RUST_BACKTRACE"),
        Duration::from_secs(120),
        "a run whose staging panics",
    );
    // As for a file that cannot be read: the run goes on and fails (exit 1), not the command
    // itself (exit 2).
    assert_eq!(r.code, 1, "{}", r.stderr);
    for name in ["a.edi", "b.edi"] {
        assert!(
            env.path(&format!("drop/acme/{name}")).exists(),
            "{name} left"
        );
        assert!(
            r.stderr.lines().any(|l| l.contains(name)
                && l.contains("tallyman failed while copying it (an internal error: TALLYMAN_PANIC_AT: the test hook panics at crash point staged, at src/pipeline/work.rs:")
                && l.contains("the next run tries it again")),
            "{name}: {}",
            r.stderr
        );
    }
    assert!(env.erp_documents().is_empty());
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.erp_documents().len(), 2);
}
