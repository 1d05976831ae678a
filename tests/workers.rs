//! Several workers sharing one PostgreSQL ledger (issue: a shared ledger): three `tallyman run`
//! processes, each with its own work directory, read the same drop folders and ERP outbox and
//! write to the same ERP inbox and outbound folder, while workers are killed with SIGKILL at
//! random moments and started again. Afterwards every order is in the ERP files once, every
//! input is archived or quarantined once (in one of the work directories), every inbound group
//! is acknowledged once, no control number of ours repeats, and every ship notice and invoice
//! is sent once.
//!
//! The PostgreSQL server is a real one, started by the test (`tests/postgres`).

mod batch;
mod postgres;

use batch::Env;
use batch::trial::{State, channels_with_acks, exports, input_checksums, populate, state};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const WORKERS: usize = 3;
/// The workers' lease: short, so that a killed worker's runs are taken over within the test.
const LEASE: &str = "2s";

/// Writes `w1.toml` .. `w3.toml`: the batch's configuration with a work directory per worker and
/// the shared ledger.
fn worker_configs(env: &Env, url: &str) {
    let text = std::fs::read_to_string(env.config()).unwrap();
    for w in 1..=WORKERS {
        // A few files a run, so that the workers share the drop folders between them.
        let own = text
            .replace("work = \"work\"", &format!("work = \"work-{w}\""))
            .replace("[run]\n", "[run]\nmax_files = 3\n");
        assert_eq!(own.matches("work-").count(), 1, "{text}");
        assert!(own.contains("max_files"), "{text}");
        std::fs::write(
            env.path(&format!("w{w}.toml")),
            format!("{own}\n[ledger]\nurl = \"{url}\"\nworker = \"w{w}\"\nlease = \"{LEASE}\"\n"),
        )
        .unwrap();
    }
}

fn start(env: &Env, server: &postgres::Server, w: usize) -> Child {
    let config = format!("w{w}.toml");
    env.command(&["run", "--config", &config, "-q"])
        .env("PGPASSWORD", server.password())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Rounds of three concurrent workers, some killed at random moments, until the drop folders
/// and the outbox are empty; then, once the killed workers' leases have run out, one more run of
/// each (what a dead worker left is finished by whoever looks first).
fn work_through(env: &Env, server: &postgres::Server, rng: &mut fastrand::Rng, kills: &mut usize) {
    // A worker killed in one round stays dead through the next now and then, past its lease,
    // so that the others take its unfinished runs over.
    let mut resting = None;
    for round in 0..40 {
        if resting.is_some() {
            std::thread::sleep(Duration::from_millis(2_300));
        }
        let mut children: Vec<(usize, Child)> = (1..=WORKERS)
            .filter(|w| Some(*w) != resting)
            .map(|w| (w, start(env, server, w)))
            .collect();
        resting = None;
        // The first round always kills one early, mid-run, and leaves it dead past its lease.
        let victim = if round == 0 {
            rng.usize(..children.len())
        } else {
            rng.usize(..WORKERS + 1)
        };
        let delay = if round == 0 {
            rng.u64(..20)
        } else {
            rng.u64(..400)
        };
        if let Some((w, child)) = children.get_mut(victim) {
            if round == 0 {
                // Mid-run: once it has begun a run (its staging folder is there), so that
                // there is an unfinished run for the others to take over.
                let staging = env.path(&format!("work-{w}/staging"));
                let waiting = Instant::now();
                while child.try_wait().unwrap().is_none()
                    && std::fs::read_dir(&staging).map_or(true, |mut d| d.next().is_none())
                    && waiting.elapsed() < Duration::from_secs(10)
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
            std::thread::sleep(Duration::from_millis(delay));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                *kills += 1;
                if round == 0 || rng.bool() {
                    resting = Some(*w);
                }
            }
        }
        for (w, c) in children {
            let out = c.wait_with_output().unwrap();
            if let Some(code) = out.status.code() {
                assert!(
                    code == 0 || code == 1,
                    "round {round}: worker w{w} failed ({code}): {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        if env.files("drop").is_empty() && env.files("outbox").is_empty() && resting.is_none() {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(2_500));
    for w in 1..=WORKERS {
        let out = start(env, server, w).wait_with_output().unwrap();
        let code = out.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "the last run of w{w} failed ({code:?}): {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The (channel, kind, number) of every document in the ERP files, as often as it is there.
fn identities(env: &Env) -> Vec<(String, String, String)> {
    let mut ids = batch::identities(&env.erp_documents());
    ids.sort();
    ids
}

fn check(
    env: &Env,
    reference: &State,
    ref_ids: &[(String, String, String)],
    inputs: &[String],
    what: &str,
) {
    let works: Vec<String> = (1..=WORKERS).map(|w| format!("work-{w}")).collect();
    let works: Vec<&str> = works.iter().map(String::as_str).collect();
    let s = state(env, &works);
    s.assert_once(reference, inputs, what);
    // Which of two conflicting versions is first depends on which worker read its file first;
    // the identities do not.
    assert_eq!(
        identities(env),
        ref_ids,
        "{what}: ERP documents' identities"
    );
    // SH-2 and SH-3 together ship more of PO-2 than was ordered: whichever a worker checked
    // second is held, never both sent.
    let mut sent = s.sent.clone();
    sent.dedup();
    assert_eq!(sent, s.sent, "{what}: a document sent twice: {:?}", s.sent);
    assert_eq!(s.sent.len(), 3, "{what}: sent {:?}", s.sent);
    assert!(s.sent.contains(&"INV-1".to_owned()) && s.sent.contains(&"SH-1".to_owned()));
}

#[test]
fn three_workers_killed_at_random_count_every_order_once() {
    let server = postgres::Server::start();
    // The reference: one worker on its own SQLite ledger, orders first, then the exports.
    let clean = Env::new(&channels_with_acks());
    populate(&clean);
    let r = clean.run(&[]);
    assert!(r.code <= 1, "{}", r.stderr);
    exports(&clean);
    let r = clean.run(&[]);
    assert!(r.code <= 1, "{}", r.stderr);
    let reference = state(&clean, &["work"]);
    let ref_ids = identities(&clean);
    assert!(ref_ids.len() >= 12, "{ref_ids:?}");
    assert_eq!(reference.sent, ["INV-1", "SH-1", "SH-2"]);

    let mut rng = fastrand::Rng::with_seed(0x3a0_4e45);
    let mut kills = 0;
    let (mut takeovers, mut archived) = (0, [0usize; WORKERS]);
    let clock = Instant::now();
    for t in 0..4 {
        let env = Env::new(&channels_with_acks());
        populate(&env);
        let mut inputs = input_checksums(&env);
        let url = server.fresh_db();
        worker_configs(&env, &url);
        work_through(&env, &server, &mut rng, &mut kills);
        // The exports once the orders are in: a ship notice for an order no worker has read
        // yet is held, as it would be with one worker.
        exports(&env);
        inputs.extend(input_checksums(&env));
        inputs.sort();
        worker_configs(&env, &url);
        work_through(&env, &server, &mut rng, &mut kills);
        check(&env, &reference, &ref_ids, &inputs, &format!("trial {t}"));
        // The work was shared, and what a dead worker left was taken over by another.
        for w in 1..=WORKERS {
            let reports = env.path(&format!("work-{w}/reports"));
            let reports = std::fs::read_dir(&reports).map_or(0, |d| d.count());
            assert!(reports > 0, "trial {t}: worker w{w} did no run");
            for f in batch::walk(&env.path(&format!("work-{w}/reports"))) {
                let text = std::fs::read_to_string(f).unwrap();
                takeovers += text.matches("which stopped renewing its lease").count();
            }
            archived[w - 1] += batch::walk(&env.path(&format!("work-{w}/archive"))).len();
        }
    }
    assert!(kills >= 4, "only {kills} workers were killed");
    assert!(takeovers >= 1, "no worker took over a dead worker's run");
    assert!(
        archived.iter().all(|&n| n > 0),
        "inputs archived per worker: {archived:?}"
    );
    eprintln!(
        "runs taken over from dead workers: {takeovers}; inputs archived per worker: {archived:?}"
    );
    eprintln!("{kills} workers killed in {:?}", clock.elapsed());
}

/// The ERP outbox is read by one worker at a time, all of it: a worker whose run is reading
/// it (here: stopped before its commit, its lease still running) has it to itself, even the
/// files that came after it listed the outbox. Read side by side, the invoice of `02-more`
/// would be checked before the ship notice of `01-asn` was recorded, and held (the partner
/// wants the ship notice first).
#[test]
fn the_erp_outbox_is_read_by_one_worker_at_a_time() {
    let server = postgres::Server::start();
    let env = Env::new(&channels_with_acks());
    populate(&env);
    let url = server.fresh_db();
    worker_configs(&env, &url);
    let run = |w: usize, crash: Option<&str>| {
        let mut c = env.command(&["run", "--config", &format!("w{w}.toml"), "-q"]);
        c.env("PGPASSWORD", server.password());
        if let Some(at) = crash {
            c.env("TALLYMAN_CRASH_AT", at);
        }
        c.output().unwrap()
    };
    for _ in 0..20 {
        if env.files("drop").is_empty() {
            break;
        }
        let out = run(1, None);
        assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    }
    assert!(env.files("drop").is_empty(), "{:?}", env.files("drop"));
    exports(&env);
    worker_configs(&env, &url);
    let later = env.path("02-more.jsonl");
    std::fs::rename(env.path("outbox/acme/02-more.jsonl"), &later).unwrap();
    // w1 reads the ship notices and stops before its commit; its lease runs on for 2 s.
    let out = run(1, Some("before commit"));
    assert!(
        out.status.code().is_none(),
        "w1 should have stopped before its commit (needs --features crash-hooks): {out:?}"
    );
    let clock = Instant::now();
    std::fs::rename(&later, env.path("outbox/acme/02-more.jsonl")).unwrap();
    let out = run(2, None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let lease = seconds_of(LEASE);
    assert!(
        clock.elapsed() < lease,
        "w2 finished after w1's lease ran out ({:?}): the test proves nothing",
        clock.elapsed()
    );
    let s = state(&env, &["work-1", "work-2"]);
    assert!(s.sent.is_empty(), "w2 sent {:?} from w1's outbox", s.sent);
    assert_eq!(
        env.files("outbox"),
        ["acme/01-asn.jsonl", "acme/02-more.jsonl"]
    );
    // Once w1's lease has run out, w2 rolls its run back and reads the outbox in order.
    std::thread::sleep(lease.saturating_sub(clock.elapsed()) + Duration::from_millis(500));
    let out = run(2, None);
    assert_eq!(out.status.code(), Some(1), "SH-3 is held: {out:?}");
    let s = state(&env, &["work-1", "work-2"]);
    assert_eq!(s.sent, ["INV-1", "SH-1", "SH-2"]);
    assert!(env.files("outbox").is_empty(), "{:?}", env.files("outbox"));
}

/// `LEASE` as a duration.
fn seconds_of(lease: &str) -> Duration {
    Duration::from_secs(lease.trim_end_matches('s').parse().unwrap())
}
