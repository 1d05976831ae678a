//! The run lock and the recovery of interrupted runs: who holds the lock, a holder that is stuck
//! or dead, and what a run that finishes or rolls back an interrupted one leaves behind.

mod batch;

use batch::{CHANNELS, Env, po};
use std::path::Path;
use std::process::Stdio;
use tallyman::ledger::Ledger;

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

fn lock_contents(pid: u32, started: jiff::Timestamp) -> String {
    format!(
        "pid: {pid}\nhost: {}\nstarted: {started}\ncommand: tallyman run --config /srv/edi/tallyman.toml\n",
        hostname()
    )
}

fn hours_ago(h: i64) -> jiff::Timestamp {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(h);
    t.round(jiff::Unit::Second).expect("rounded")
}

/// Status of each run in the ledger, oldest first.
fn run_statuses(env: &Env) -> Vec<(i64, String)> {
    let ledger = tallyman::ledger::sqlite::SqliteLedger::open(&env.path("work/ledger.sqlite"))
        .expect("ledger");
    let mut runs: Vec<(i64, String)> = ledger
        .runs(100)
        .expect("runs")
        .into_iter()
        .map(|r| (r.id, r.status))
        .collect();
    runs.reverse();
    runs
}

fn copy_tree(from: &Path, to: &Path) {
    for p in batch::walk(from) {
        let dest = to.join(p.strip_prefix(from).expect("under from"));
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("dir");
        std::fs::copy(&p, dest).expect("copy");
    }
}

/// A work directory whose run 1 died right after its commit (the first crash point at which the
/// ledger says so: found by trying, so that new crash points do not break the test).
fn died_after_commit(populate: impl Fn(&Env)) -> Env {
    for k in 1..100 {
        let env = Env::new(CHANNELS);
        populate(&env);
        assert!(env.run_crashing_at(k), "the run got to its end");
        if run_statuses(&env) == [(1, "committed".to_owned())] {
            return env;
        }
    }
    panic!("no crash point after the commit");
}

#[test]
fn a_lock_held_past_the_limit_fails_the_next_run_naming_the_holder() {
    // The holder is alive (this test process) but has held the lock for three hours.
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(501, "PO-A", &[("3", "SKU-1")]));
    let pid = std::process::id();
    let started = hours_ago(3);
    let held = env.hold_lock(&lock_contents(pid, started));

    // The default limit is two hours.
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for part in [
        format!("pid {pid}"),
        format!("on {}", hostname()),
        format!("since {started}"),
        "tallyman run --config /srv/edi/tallyman.toml".to_owned(),
        "run.stuck_after = 2h".to_owned(),
        format!("check process {pid}"),
        format!("kill {pid}"),
        "the next run takes over".to_owned(),
    ] {
        assert!(r.stderr.contains(&part), "{part}: {}", r.stderr);
    }
    assert_eq!(env.files("drop"), ["acme/a.edi"], "nothing was done");

    // A configured limit: one hour is also exceeded...
    env.write_config(&format!("stuck_after = \"1h\"\n{CHANNELS}"));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("run.stuck_after = 1h"), "{}", r.stderr);

    // ...four hours is not: an overlapping run is normal, it says who works and leaves.
    env.write_config(&format!("stuck_after = \"4h\"\n{CHANNELS}"));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "another tallyman run (pid {pid} on {}",
            hostname()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("since {started}")),
        "{}",
        r.stderr
    );
    assert_eq!(env.files("drop"), ["acme/a.edi"]);

    drop(held);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(env.files("drop").is_empty());
}

#[test]
fn a_bad_stuck_after_is_refused_with_line_and_key() {
    let env = Env::new(&format!("stuck_after = \"soon\"\n{CHANNELS}"));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("tallyman.toml:7: run.stuck_after:"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_lock_still_held_after_its_holder_died_is_reported_precisely() {
    // The lock file names a process of this host that is gone, yet the lock is held (here by
    // this test process; in life by a process that inherited the holder's open lock file).
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(502, "PO-A", &[("3", "SKU-1")]));
    let mut gone = std::process::Command::new("true").spawn().expect("true");
    let dead = gone.id();
    gone.wait().expect("wait");
    let _held = env.hold_lock(&lock_contents(dead, hours_ago(0)));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    for part in [
        format!("pid {dead}"),
        "no longer exists".to_owned(),
        "inherited".to_owned(),
        "fuser".to_owned(),
    ] {
        assert!(r.stderr.contains(&part), "{part}: {}", r.stderr);
    }
    assert_eq!(env.files("drop"), ["acme/a.edi"]);
}

#[test]
fn a_run_killed_with_kill_9_never_blocks_the_next_one() {
    let env = Env::new(CHANNELS);
    // A long settle window makes the run wait, lock held, for the file to settle.
    std::fs::write(
        env.config(),
        env.read("tallyman.toml")
            .replace("settle_seconds = 0", "settle_seconds = 60"),
    )
    .unwrap();
    env.drop_file("acme", "a.edi", &po(503, "PO-A", &[("3", "SKU-1")]));
    let mut first = env
        .command(&["run", "--config", "tallyman.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lock = env.path("work/lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !std::fs::read_to_string(&lock).is_ok_and(|s| s.contains("command:")) {
        assert!(std::time::Instant::now() < deadline, "the run never locked");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // While it works, a second run says who holds the lock and leaves.
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("another tallyman run (pid {}", first.id())),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("run --config tallyman.toml"),
        "{}",
        r.stderr
    );

    first.kill().unwrap();
    first.wait().unwrap();
    assert!(std::fs::read_to_string(&lock).unwrap().contains("pid: "));
    std::fs::write(
        env.config(),
        env.read("tallyman.toml")
            .replace("settle_seconds = 60", "settle_seconds = 0"),
    )
    .unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "the run lock was left by pid {} on {}, which ended without releasing it",
            first.id(),
            hostname()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(env.erp_documents().len(), 1);
    assert!(env.files("drop").is_empty());
    // A run that ends normally leaves an empty lock file behind: nothing to take over.
    assert_eq!(std::fs::read_to_string(&lock).unwrap(), "");
    let r = env.run(&[]);
    assert!(!r.stderr.contains("without releasing"), "{}", r.stderr);
}

#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "kills runs at crash points: needs --features crash-hooks"
)]
fn a_run_killed_after_taking_the_lock_is_taken_over_and_recovered() {
    let env = died_after_commit(|env| {
        env.drop_file("acme", "a.edi", &po(504, "PO-A", &[("3", "SKU-1")]));
    });
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("recovered: run 1 was interrupted after its commit"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("ended without releasing it"),
        "{}",
        r.stderr
    );
    assert_eq!(env.erp_documents().len(), 1);
    assert!(env.files("drop").is_empty());
}

#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "kills runs at crash points: needs --features crash-hooks"
)]
fn a_killed_recovery_leaves_no_staging_behind() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(505, "PO-A", &[("3", "SKU-1")]));
    // Run 1 dies before its commit, with its inputs staged.
    assert!(env.run_crashing_at(4));
    assert!(!env.files("work/staging/run-000001").is_empty());
    // What a recovery killed after rolling run 1 back in the ledger, but before removing its
    // staging, used to leave: run 1 aborted, its staging still there.
    let saved = env.path("saved-staging");
    copy_tree(&env.path("work/staging/run-000001"), &saved);
    assert_eq!(env.run(&[]).code, 0);
    copy_tree(&saved, &env.path("work/staging/run-000001"));
    assert_eq!(run_statuses(&env)[0], (1, "aborted".to_owned()));

    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        env.files("work/staging").is_empty(),
        "{:?}",
        env.files("work/staging")
    );

    // And a recovery killed at any of its own crash points leaves nothing behind either.
    for k in 1..=3 {
        let env = Env::new(CHANNELS);
        env.drop_file("acme", "a.edi", &po(505, "PO-A", &[("3", "SKU-1")]));
        assert!(env.run_crashing_at(4));
        env.run_crashing_at(k);
        let r = env.run(&[]);
        assert_eq!(r.code, 0, "k={k}: {}", r.stderr);
        assert!(env.files("work/staging").is_empty(), "k={k}");
        assert_eq!(env.erp_documents().len(), 1, "k={k}");
        assert!(env.files("inbox").iter().all(|f| !f.starts_with('.')));
    }
}

#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "kills runs at crash points: needs --features crash-hooks"
)]
fn recovery_frees_disk_before_writing_the_ledger() {
    // Run 1 dies before its commit with its staging, temporary ERP files and report written.
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a.edi", &po(508, "PO-A", &[("3", "SKU-1")]));
    assert!(env.run_crashing_at(4));
    assert!(env.files("inbox").iter().any(|f| f.starts_with('.')));
    assert!(!env.files("work/staging").is_empty());
    // The recovering run dies at its first crash point: by then it has given back the disk
    // space of run 1 and has not yet written to the ledger (which needs space).
    assert!(env.run_crashing_at(1));
    assert!(
        env.files("inbox").is_empty(),
        "temporary ERP files: {:?}",
        env.files("inbox")
    );
    assert!(
        env.files("work/staging").is_empty(),
        "{:?}",
        env.files("work/staging")
    );
    assert_eq!(run_statuses(&env), [(1, "started".to_owned())]);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.erp_documents().len(), 1);
}

/// A small file system of its own (tmpfs) under `dir`, unmounted on drop. Needs root.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Result<SmallDisk, String> {
        let uid = std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        if uid != "0" {
            return Err(format!("not root (uid {uid}): cannot mount a small tmpfs"));
        }
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(SmallDisk(dir.to_owned()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_full_disk_does_not_fail_every_later_run() {
    let env = Env::new(CHANNELS);
    let disk = match SmallDisk::mount(&env.path("disk"), "1m") {
        Ok(d) => d,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    std::fs::write(
        env.config(),
        env.read("tallyman.toml")
            .replace("work = \"work\"", "work = \"disk/work\"")
            .replace("erp_inbox = \"inbox\"", "erp_inbox = \"disk/inbox\""),
    )
    .unwrap();
    // About 700 KiB of orders: their staged copies, spools and ERP files do not fit in 1 MiB.
    let lines: Vec<(String, String)> = (0..60)
        .map(|i| (format!("{}", i + 1), format!("SKU-{i:04}")))
        .collect();
    let lines: Vec<(&str, &str)> = lines
        .iter()
        .map(|(q, s)| (q.as_str(), s.as_str()))
        .collect();
    for i in 0..300u32 {
        env.drop_file(
            "acme",
            &format!("po-{i:03}.edi"),
            &po(1000 + i, &format!("PO-{i}"), &lines),
        );
    }
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("No space left on device") || r.stderr.contains("disk is full"),
        "{}",
        r.stderr
    );
    // The operator takes the batch away; the next runs must work again.
    std::fs::rename(env.path("drop/acme"), env.path("batch")).unwrap();
    std::fs::create_dir_all(env.path("drop/acme")).unwrap();
    for _ in 0..2 {
        let r = env.run(&[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert!(env.files("disk/work/staging").is_empty());
    drop(disk);
}

#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "kills runs at crash points: needs --features crash-hooks"
)]
fn completing_a_run_that_quarantined_exits_1() {
    let env = died_after_commit(|env| {
        env.drop_file("acme", "a-good.edi", &po(506, "PO-A", &[("3", "SKU-1")]));
        env.drop_file("acme", "b-broken.edi", &po(507, "PO-B", &[("1O", "SKU-2")]));
    });
    let r = env.run(&["--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("recovered: run 1 was interrupted after its commit"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("quarantined by run 1: acme/b-broken.edi (report: "),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("a-good.edi"), "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        report["recovered_quarantined"][0]["name"], "b-broken.edi",
        "{report}"
    );
    assert!(
        env.path("work/quarantine/run-000001/acme/b-broken.edi.report.txt")
            .exists()
    );
    // The next run has nothing of its own to say.
    assert_eq!(env.run(&[]).code, 0);
}
