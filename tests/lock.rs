//! The run lock and the recovery of interrupted runs: who holds the lock, a holder that is stuck
//! or dead, and what a run that finishes or rolls back an interrupted one leaves behind.

mod batch;

use batch::{CHANNELS, Env, po};
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
