//! The PostgreSQL ledger against a real server (tests/postgres/mod.rs, scripts/postgres.sh):
//! the conformance suite every ledger passes, then what only a shared ledger does: workers
//! whose claims exclude each other, a dead worker's runs taken over by exactly one other, a
//! late commit refused, the first accepted document winning across workers, migrations under
//! concurrent starts, the password never shown, and TLS as `sslmode` asks.

mod postgres;

use self::postgres::Server;
use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use tallyman::ledger::postgres::PgLedger;
use tallyman::ledger::{
    Disposition, DocKey, DocRow, Error, FileRow, Ledger, PendingRun, Route, conformance,
};

const LONG: Duration = Duration::from_secs(30);
/// A lease short enough to wait out in a test.
const SHORT: Duration = Duration::from_millis(1500);

fn connect(server: &Server, url: &str, worker: &str, lease: Duration) -> PgLedger {
    PgLedger::connect(&server.with_password(url), worker, lease)
        .unwrap_or_else(|e| panic!("connect as {worker}: {e}\nserver log:\n{}", server.log()))
}

fn file(name: &str) -> FileRow {
    FileRow {
        channel: "acme".into(),
        name: name.into(),
        sha256: format!("sha-{name}"),
        size: 10,
        disposition: Disposition::Archived,
        staged: format!("/w/staging/{name}"),
        stored: format!("/w/archive/{name}"),
        origin: format!("/drop/{name}"),
        remove_origin: true,
        replay_of: None,
    }
}

fn accepted(number: &str) -> DocRow {
    DocRow {
        file: 0,
        key: key(number),
        content_hash: "h".into(),
        route: Route::Accepted,
        offset: 0,
        controls: String::new(),
        reason: None,
    }
}

fn key(number: &str) -> DocKey {
    DocKey {
        channel: "acme".into(),
        kind: "order".into(),
        number: number.into(),
        purpose: "original".into(),
    }
}

#[test]
fn the_conformance_suite_passes_on_postgres() {
    let started = Instant::now();
    let server = Server::start();
    conformance::assert_conforms(&mut || {
        let url = server.fresh_db();
        Box::new(connect(&server, &url, "w1", LONG))
    });
    eprintln!(
        "{} checks in {:?}",
        conformance::CHECKS.len(),
        started.elapsed()
    );
}

#[test]
fn claims_of_two_workers_exclude_each_other() {
    let server = Server::start();
    let url = server.fresh_db();
    let mut w1 = connect(&server, &url, "w1", LONG);
    let mut w2 = connect(&server, &url, "w2", LONG);
    assert_eq!((w1.worker(), w2.worker()), ("w1", "w2"));
    let r1 = w1.begin_run("t1").unwrap();
    let r2 = w2.begin_run("t2").unwrap();
    assert_ne!(r1, r2);
    // Made while w1's run transaction is open, seen by w2 at once, and kept by the rollback.
    w1.begin(r1).unwrap();
    assert_eq!(w1.claim(r1, &[("acme", "a.edi")]).unwrap().remove(0), None);
    assert_eq!(
        w2.claim(r2, &[("acme", "a.edi")])
            .unwrap()
            .remove(0)
            .as_deref(),
        Some("w1")
    );
    w1.rollback().unwrap();
    assert_eq!(
        w2.claim(r2, &[("acme", "a.edi")])
            .unwrap()
            .remove(0)
            .as_deref(),
        Some("w1")
    );
    assert_eq!(w2.claim(r2, &[("acme", "b.edi")]).unwrap().remove(0), None);
    assert_eq!(
        w1.claim(r1, &[("acme", "b.edi")])
            .unwrap()
            .remove(0)
            .as_deref(),
        Some("w2")
    );
    // Committed, not finished: still held.
    w1.begin(r1).unwrap();
    w1.commit(r1).unwrap();
    assert_eq!(
        w2.claim(r2, &[("acme", "a.edi")])
            .unwrap()
            .remove(0)
            .as_deref(),
        Some("w1")
    );
    w1.finish_run(r1, "t3").unwrap();
    assert_eq!(w2.claim(r2, &[("acme", "a.edi")]).unwrap().remove(0), None);
    let r3 = w1.begin_run("t4").unwrap();
    assert_eq!(
        w1.claim(r3, &[("acme", "b.edi")])
            .unwrap()
            .remove(0)
            .as_deref(),
        Some("w2")
    );
    w2.abort_run(r2).unwrap();
    assert_eq!(w1.claim(r3, &[("acme", "b.edi")]).unwrap().remove(0), None);
    // A worker sees only its own unfinished runs while the others live.
    assert_eq!(
        w2.unfinished_runs()
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        Vec::<i64>::new()
    );
    assert_eq!(
        w1.unfinished_runs()
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>(),
        [r3]
    );
}

/// w1 dies (dropped: its open transaction vanishes, its lease is no longer renewed) with a
/// started run and a committed one. Once the lease ran out, its claims of the started run are
/// claimable, and two workers looking at once take its runs over: exactly one gets each.
#[test]
fn a_dead_workers_runs_are_taken_over_by_exactly_one_worker() {
    let server = Server::start();
    let url = server.fresh_db();
    let mut w1 = connect(&server, &url, "w1", SHORT);
    let done = w1.begin_run("t0").unwrap();
    assert_eq!(
        w1.claim(done, &[("acme", "c.edi")]).unwrap().remove(0),
        None
    );
    w1.begin(done).unwrap();
    w1.add_file(done, &file("c.edi")).unwrap();
    w1.commit(done).unwrap();
    let run = w1.begin_run("t1").unwrap();
    assert_eq!(w1.claim(run, &[("acme", "a.edi")]).unwrap().remove(0), None);
    assert_eq!(w1.claim(run, &[("acme", "b.edi")]).unwrap().remove(0), None);
    w1.begin(run).unwrap();
    let f = w1.add_file(run, &file("a.edi")).unwrap();
    assert!(w1.add_document(run, f, &accepted("PO1")).unwrap());
    let w2 = connect(&server, &url, "w2", LONG);
    let mut w3 = connect(&server, &url, "w3", LONG);
    let r3 = w3.begin_run("t2").unwrap();
    // Alive: its claims hold.
    assert_eq!(
        w3.claim(r3, &[("acme", "a.edi")])
            .unwrap()
            .remove(0)
            .as_deref(),
        Some("w1")
    );
    let died = Instant::now();
    drop(w1);
    std::thread::sleep((SHORT + Duration::from_millis(500)).saturating_sub(died.elapsed()));
    // Dead: the started run's claims are free; the committed run's are not (its moves are
    // still to be completed).
    assert_eq!(w3.claim(r3, &[("acme", "a.edi")]).unwrap().remove(0), None);
    assert_eq!(
        w3.claim(r3, &[("acme", "c.edi")])
            .unwrap()
            .remove(0)
            .as_deref(),
        Some("w1")
    );
    // The dead run's transaction vanished with it.
    assert!(w3.accepted_document(&key("PO1")).unwrap().is_none());

    let barrier = Arc::new(Barrier::new(2));
    let look = |mut l: PgLedger, barrier: Arc<Barrier>| {
        std::thread::spawn(move || {
            barrier.wait();
            let got = l.unfinished_runs().expect("unfinished_runs");
            (l, got)
        })
    };
    let t2 = look(w2, barrier.clone());
    let t3 = look(w3, barrier);
    let (mut w2, got2) = t2.join().unwrap();
    let (mut w3, got3) = t3.join().unwrap();
    // Each of w1's runs is taken by one worker; w3's own started run r3 shows in its list.
    let ids = |got: &[PendingRun]| got.iter().map(|p| p.id).collect::<Vec<_>>();
    let mut all = [ids(&got2), ids(&got3)].concat();
    all.sort();
    assert_eq!(all, [done, run, r3], "each run once: {got2:?} {got3:?}");
    assert!(ids(&got3).contains(&r3));
    let ids2 = ids(&got2);
    assert!(
        ids2.is_empty() || ids2 == [done, run],
        "one worker takes all of w1's runs in one statement: {got2:?}"
    );
    let (taker, taken) = if got2.iter().any(|p| p.id == run) {
        (&mut w2, got2)
    } else {
        (&mut w3, got3)
    };
    for p in taken.iter().filter(|p| p.id != r3) {
        assert_eq!(p.worker, "w1", "the worker it was taken from");
    }
    let started = taken.iter().find(|p| p.id == run).unwrap();
    assert!(!started.committed);
    assert!(started.files.is_empty(), "its transaction never committed");
    let committed = taken.iter().find(|p| p.id == done).unwrap();
    assert!(committed.committed);
    assert_eq!(committed.files[0].name, "c.edi");
    let taker_name = taker.worker().to_owned();
    // Asked again, they are the taker's own.
    let again = taker.unfinished_runs().unwrap();
    assert!(again.iter().all(|p| p.worker == taker_name));
    // The taker rolls back the started run and completes the committed one: every claim ends.
    taker.abort_run(run).unwrap();
    taker.finish_run(done, "t3").unwrap();
    let mut w4 = connect(&server, &url, "w4", LONG);
    let r4 = w4.begin_run("t4").unwrap();
    assert_eq!(w4.claim(r4, &[("acme", "b.edi")]).unwrap().remove(0), None);
    assert_eq!(w4.claim(r4, &[("acme", "c.edi")]).unwrap().remove(0), None);
}

/// A worker that could not renew its lease (its heartbeat stopped) loses its run to another
/// worker; its late commit fails with Error::Lost and commits nothing. A run whose lease ran
/// out is lost even when no one took it over yet.
#[test]
fn a_late_commit_after_a_takeover_fails_with_lost() {
    let server = Server::start();
    let url = server.fresh_db();
    let mut w1 = connect(&server, &url, "w1", SHORT);
    let run = w1.begin_run("t0").unwrap();
    assert_eq!(w1.claim(run, &[("acme", "a.edi")]).unwrap().remove(0), None);
    w1.begin(run).unwrap();
    let f = w1.add_file(run, &file("a.edi")).unwrap();
    assert!(w1.add_document(run, f, &accepted("PO1")).unwrap());
    w1.stop_heartbeat();
    std::thread::sleep(SHORT + Duration::from_millis(500));
    let mut w2 = connect(&server, &url, "w2", LONG);
    let taken = w2.unfinished_runs().unwrap();
    assert_eq!(taken.len(), 1);
    assert_eq!((taken[0].id, taken[0].worker.as_str()), (run, "w1"));
    match w1.commit(run) {
        Err(e @ Error::Lost { .. }) => {
            assert!(e.to_string().contains(&format!("run {run} was taken over")))
        }
        other => panic!("late commit: {other:?}"),
    }
    assert!(w2.accepted_document(&key("PO1")).unwrap().is_none());
    w2.abort_run(run).unwrap();
    let r2 = w2.begin_run("t1").unwrap();
    assert_eq!(w2.claim(r2, &[("acme", "a.edi")]).unwrap().remove(0), None);

    // No takeover this time: the lease alone decides.
    let r = w1.begin_run("t2").unwrap();
    w1.begin(r).unwrap();
    assert!(matches!(w1.commit(r), Err(Error::Lost { run }) if run == r));
}

/// Two workers' open transactions accept the same identity: the second waits for the first
/// and, once it commits, is told its row was not recorded.
#[test]
fn the_first_accepted_wins_across_workers() {
    let server = Server::start();
    let url = server.fresh_db();
    let mut w1 = connect(&server, &url, "w1", LONG);
    let mut w2 = connect(&server, &url, "w2", LONG);
    let r1 = w1.begin_run("t1").unwrap();
    let r2 = w2.begin_run("t2").unwrap();
    w1.begin(r1).unwrap();
    let f1 = w1.add_file(r1, &file("a.edi")).unwrap();
    assert!(w1.add_document(r1, f1, &accepted("PO1")).unwrap());
    // w2 looked before w1 committed: not accepted yet.
    w2.begin(r2).unwrap();
    assert!(w2.accepted_document(&key("PO1")).unwrap().is_none());
    let f2 = w2.add_file(r2, &file("b.edi")).unwrap();
    let second = std::thread::spawn(move || {
        let recorded = w2.add_document(r2, f2, &accepted("PO1")).unwrap();
        (w2, recorded)
    });
    // w2's insert waits for w1's transaction (the unique index): seen as a lock wait.
    let db = url.rsplit('/').next().unwrap();
    let mut admin = server.client(db);
    let deadline = Instant::now() + Duration::from_secs(15);
    while admin
        .query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
            &[&db],
        )
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "w2's insert never waited for w1");
        std::thread::sleep(Duration::from_millis(20));
    }
    w1.commit(r1).unwrap();
    let (mut w2, recorded) = second.join().unwrap();
    assert!(!recorded, "the first accepted wins");
    // Routed again, the document is a duplicate; the run commits.
    let mut dup = accepted("PO1");
    dup.route = Route::Duplicate;
    assert!(w2.add_document(r2, f2, &dup).unwrap());
    w2.commit(r2).unwrap();
    let seen = w2.accepted_document(&key("PO1")).unwrap().unwrap();
    assert_eq!((seen.run, seen.file.as_str()), (r1, "a.edi"));
}

/// Two workers' runs that each wait for the other (w1 holds a control number and wants a
/// document w2 accepted; w2 wants the control number): the server breaks the deadlock by
/// rolling one back, which the ledger reports as `Contended` (the run is then tried again),
/// and the other goes on and commits.
#[test]
fn a_deadlock_between_workers_is_contended_and_the_other_commits() {
    let server = Server::start();
    let url = server.fresh_db();
    let mut w1 = connect(&server, &url, "w1", LONG);
    let mut w2 = connect(&server, &url, "w2", LONG);
    let r1 = w1.begin_run("t1").unwrap();
    let r2 = w2.begin_run("t2").unwrap();
    w1.begin(r1).unwrap();
    assert_eq!(w1.next_control("acme", "isa", 999_999_999).unwrap(), 1);
    w2.begin(r2).unwrap();
    let f2 = w2.add_file(r2, &file("b.edi")).unwrap();
    assert!(w2.add_document(r2, f2, &accepted("PO1")).unwrap());
    let f1 = w1.add_file(r1, &file("a.edi")).unwrap();
    // w1 waits for w2's document; w2 then waits for w1's control number.
    let first = std::thread::spawn(move || {
        let r = w1.add_document(r1, f1, &accepted("PO1"));
        (w1, r)
    });
    let db = url.rsplit('/').next().unwrap();
    let mut admin = server.client(db);
    let deadline = Instant::now() + Duration::from_secs(15);
    while admin
        .query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
            &[&db],
        )
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "w1's insert never waited for w2");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = w2.next_control("acme", "isa", 999_999_999);
    let (mut w1, first) = first.join().unwrap();
    let first_contended = matches!(first, Err(tallyman::ledger::Error::Contended { .. }));
    let second_contended = matches!(second, Err(tallyman::ledger::Error::Contended { .. }));
    assert!(
        first_contended != second_contended,
        "exactly one is rolled back: {first:?} / {second:?}"
    );
    let text = format!("{first:?} {second:?}");
    assert!(text.contains("deadlock"), "{text}");
    // The survivor commits; the other's run is rolled back and counts for nothing.
    if first_contended {
        w1.rollback().unwrap();
        // The rolled-back run's number never counted: it is handed out again.
        assert_eq!(second.unwrap(), 1);
        w2.commit(r2).unwrap();
    } else {
        assert!(!first.unwrap(), "w2 accepted PO1 first");
        w2.rollback().unwrap();
        w1.commit(r1).unwrap();
    }
}

#[test]
fn concurrent_starts_migrate_once_and_a_newer_schema_is_refused() {
    let server = Server::start();
    let url = server.fresh_db();
    let starts: Vec<_> = (0..4)
        .map(|i| {
            let url = server.with_password(&url);
            std::thread::spawn(move || PgLedger::connect(&url, &format!("w{i}"), LONG).map(|_| ()))
        })
        .collect();
    for s in starts {
        s.join().unwrap().expect("connect");
    }
    let db = url.rsplit('/').next().unwrap();
    let mut client = server.client(db);
    let versions: Vec<i32> = client
        .query("SELECT version FROM tallyman_schema", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [6]);
    // Reading only: listings work, writing fails.
    let mut ro = PgLedger::connect_read_only(&server.with_password(&url)).unwrap();
    assert!(ro.runs(10).unwrap().is_empty());
    assert!(ro.unfinished_runs().unwrap().is_empty());
    assert!(ro.begin_run("t").is_err());
    drop(ro);

    client
        .batch_execute("UPDATE tallyman_schema SET version = 99")
        .unwrap();
    for result in [
        PgLedger::connect(&server.with_password(&url), "w9", LONG).map(|_| ()),
        PgLedger::connect_read_only(&server.with_password(&url)).map(|_| ()),
    ] {
        assert!(
            matches!(
                result,
                Err(Error::TooNew {
                    found: 99,
                    known: 6
                })
            ),
            "{result:?}"
        );
    }
}

#[test]
fn the_password_is_never_shown() {
    let server = Server::start();
    let url = server.fresh_db();
    let wrong = "Wr0ngPassw0rd";
    let err = PgLedger::connect(
        &url.replacen("tallyman@", &format!("tallyman:{wrong}@"), 1),
        "w1",
        LONG,
    )
    .unwrap_err();
    let text = format!("{err} | {err:?}");
    assert!(!text.contains(wrong), "{text}");
    assert!(text.contains(&url), "names the URL: {text}");
    assert!(text.contains("password authentication failed"), "{text}");
    let ok = connect(&server, &url, "w1", LONG);
    let shown = format!("{ok:?}");
    assert!(!shown.contains(server.password()), "{shown}");
    assert!(shown.contains(&url), "{shown}");
    // A password in a parameter is hidden too.
    let err = PgLedger::connect(
        &format!("{url}?password={wrong}&sslmode=disable"),
        "w1",
        LONG,
    )
    .unwrap_err();
    let text = format!("{err} | {err:?}");
    assert!(!text.contains(wrong), "{text}");
    // No password at all: said, and nothing guessed.
    let out = child(
        "connects_with_the_environments_password",
        &url,
        &[("PGPASSFILE", "/nonexistent")],
    );
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains(&format!("{url}: invalid configuration: password missing")),
        "{said}"
    );
}

/// Runs this test binary's `test` alone in a child process with `env` (the variables a
/// process reads at start cannot be set in this one), giving it `url`.
fn child(test: &str, url: &str, env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        test,
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("TALLYMAN_PG_CHILD_URL", url)
    .env("HOME", "/nonexistent")
    .env_remove("PGPASSWORD")
    .env_remove("PGPASSFILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run the test binary")
}

/// Not a test of its own: the child process of
/// `the_password_comes_from_the_environment_or_the_password_file` and
/// `the_password_is_never_shown`.
#[test]
#[ignore = "run by another test, in a child process"]
fn connects_with_the_environments_password() {
    let Ok(url) = std::env::var("TALLYMAN_PG_CHILD_URL") else {
        return;
    };
    let mut l = PgLedger::connect(&url, "child", LONG).unwrap_or_else(|e| panic!("{e}"));
    l.begin_run("t").unwrap();
}

#[test]
fn the_password_comes_from_the_environment_or_the_password_file() {
    let server = Server::start();
    let url = server.fresh_db();
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let test = "connects_with_the_environments_password";
    ok(child(test, &url, &[("PGPASSWORD", server.password())]));
    let private = server.pgpass(0o600);
    ok(child(
        test,
        &url,
        &[("PGPASSFILE", private.to_str().unwrap())],
    ));
    // The environment comes before the file.
    ok(child(
        test,
        &url,
        &[
            ("PGPASSWORD", server.password()),
            ("PGPASSFILE", "/nonexistent"),
        ],
    ));
    // A file others may read is ignored, as libpq does.
    let open = server.pgpass(0o644);
    let out = child(test, &url, &[("PGPASSFILE", open.to_str().unwrap())]);
    assert!(
        !out.status.success(),
        "a world-readable password file was used"
    );
}

#[test]
fn sslmode_is_honoured_and_require_fails_without_tls() {
    let server = Server::start();
    let url = server.with_password(&server.fresh_db());
    // The test server has no TLS: prefer (the default) and disable connect in the clear.
    connect(&server, &format!("{url}?sslmode=disable"), "w1", LONG);
    connect(&server, &format!("{url}?sslmode=prefer"), "w2", LONG);
    let err = PgLedger::connect(&format!("{url}?sslmode=require"), "w3", LONG).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("TLS"), "{text}");
    assert!(!text.contains(server.password()), "{text}");
    let err = PgLedger::connect(&format!("{url}?sslmode=verify-full"), "w4", LONG).unwrap_err();
    assert!(err.to_string().contains("sslmode"), "{err}");
}

/// The server drops every connection (a restart, a network cut): the heartbeat renews the
/// lease on a fresh connection, and the ledger's next operation after the one that failed
/// gets a fresh connection too.
#[test]
fn a_dropped_connection_is_replaced_and_the_lease_renewed() {
    let server = Server::start();
    let url = server.fresh_db();
    let lease = Duration::from_secs(3);
    let mut w1 = connect(&server, &url, "w1", lease);
    w1.begin_run("t0").unwrap();
    let db = url.rsplit('/').next().unwrap();
    let mut admin = server.client(db);
    // The heartbeat opens its connection from its own thread: wait for it (a loaded machine
    // may take a while), so that both are there to be dropped.
    let waiting = Instant::now();
    loop {
        let n = admin
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&db],
            )
            .unwrap()
            .len();
        if n >= 2 || waiting.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dropped = Instant::now();
    let killed = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&db],
        )
        .unwrap()
        .len();
    assert!(
        killed >= 2,
        "the run's and the heartbeat's connections: {killed}"
    );
    // Past the lease as it stood when the connections went: alive only if renewed since.
    std::thread::sleep((lease + Duration::from_millis(500)).saturating_sub(dropped.elapsed()));
    let alive: bool = admin
        .query_one(
            "SELECT lease_until > now() FROM workers WHERE id = 'w1'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        alive,
        "the heartbeat did not renew the lease after the drop"
    );
    // The first operation may meet the dead connection; the next has a fresh one.
    let _ = w1.runs(10);
    assert_eq!(w1.runs(10).unwrap().len(), 1);
    let run = w1.begin_run("t1").unwrap();
    w1.begin(run).unwrap();
    w1.add_file(run, &file("a.edi")).unwrap();
    w1.commit(run).unwrap();
    assert_eq!(w1.runs(10).unwrap()[0].files, 1);
}
