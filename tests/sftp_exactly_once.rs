//! Exactly once with SFTP drop folders: the X12 channel reads its orders from a partner's SFTP
//! server and delivers its acknowledgments, ship notices and invoices there, while the Shopify
//! feed stays local. Runs are stopped at their crash points (and by real SIGKILLs), and the
//! server is killed between a commit and its delivery; then the work is run again. Afterwards
//! every order must be in the ERP files exactly once, every remote input removed from the server
//! (and only once its run committed) and archived or quarantined here once, and every document
//! for the partner in its folder exactly once, with no partial upload left behind.

mod batch;
mod sshd;

use batch::{Env, po, shopify, walk};
use sshd::Sshd;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// One trial: a work directory here, and its remote folders under `data()/ROOT/` on the server.
struct Trial<'s> {
    env: Env,
    server: &'s Sshd,
    root: String,
    /// Whether processed remote inputs are moved to `ROOT/done` (`remote_archive`) instead of
    /// being deleted.
    archive: bool,
}

impl<'s> Trial<'s> {
    /// A work directory with the batch every trial starts from: orders on the server (a
    /// duplicate, a conflict and a broken file among them), two local feeds, ERP exports.
    fn new(server: &'s Sshd, root: &str, archive: bool) -> Trial<'s> {
        let t = Trial {
            env: Env::new(""),
            server,
            root: root.to_owned(),
            archive,
        };
        for dir in ["in", "out", "done"] {
            server.mkdir(&format!("{root}/{dir}"));
        }
        std::fs::write(t.env.config(), t.config()).unwrap();
        t.populate();
        t
    }

    /// acme reads and sends over SFTP (a 997 per group, a TA1 on interchange errors, ship
    /// notices and invoices from the ERP outbox); the Shopify feed stays local.
    fn config(&self) -> String {
        let archive = if self.archive {
            format!(
                "remote_archive = \"{}\"\n",
                self.remote("done").to_string_lossy()
            )
        } else {
            String::new()
        };
        format!(
            r#"[paths]
work = "work"
erp_inbox = "inbox"
erp_outbox = "outbox"

[run]
settle_seconds = 0

[channel.acme]
format = "x12"
inbound = "{inbound}"
outbound = "{outbound}"
ssh_key = "{key}"
known_hosts = "{known_hosts}"
sftp_retries = 1
sftp_retry_delay = "100ms"
{archive}partner_id = "ACME"
our_id = "TALLYCO"
version = "004010"
acks = "997"
ta1 = "errors"

[channel.acme.send]

[channel.shop]
format = "feed"
inbound = "drop/shop"
profile = "shopify-orders"
"#,
            inbound = self.server.url(&format!("{}/in", self.root)),
            outbound = self.server.url(&format!("{}/out", self.root)),
            key = self.server.client_key().display(),
            known_hosts = self.server.known_hosts().display(),
        )
    }

    /// A folder of the trial's on the server (a plain folder on this machine).
    fn remote(&self, dir: &str) -> PathBuf {
        self.server.data().join(&self.root).join(dir)
    }

    fn put(&self, name: &str, text: &str) {
        self.server
            .put(&format!("{}/in/{name}", self.root), text.as_bytes());
    }

    fn populate(&self) {
        for i in 0..10u32 {
            let qty = (i + 1).to_string();
            self.put(
                &format!("po-{i:02}.edi"),
                &po(
                    700 + i,
                    &format!("PO-{i}"),
                    &[(&qty, "SKU-1"), ("2", "SKU-2")],
                ),
            );
        }
        self.put(
            "po-03-again.edi",
            &po(710, "PO-3", &[("4", "SKU-1"), ("2", "SKU-2")]),
        );
        self.put("po-04-changed.edi", &po(711, "PO-4", &[("9", "SKU-1")]));
        self.put("po-broken.edi", &po(712, "PO-X", &[("x", "SKU-1")]));
        self.env.drop_file(
            "shop",
            "day1.csv",
            &shopify(&[("#1", "A", 1), ("#2", "B", 2), ("#3", "C", 3)]),
        );
        self.env.drop_file(
            "shop",
            "day2.csv",
            &shopify(&[("#3", "C", 3), ("#4", "D", 1)]),
        );
        exports(&self.env);
    }

    /// Runs without crash points; the exit code and stderr.
    fn run(&self) -> (i32, String) {
        let r = self.env.run(&[]);
        (r.code, r.stderr)
    }

    /// Runs with `TALLYMAN_CRASH_AFTER=k` (`TALLYMAN_CRASH_AT=name`): whether it died there.
    fn run_crashing(&self, var: &str, value: &str) -> bool {
        let out = self
            .env
            .command(&["run", "--config", "tallyman.toml"])
            .env(var, value)
            .output()
            .unwrap();
        out.status.code().is_none()
    }

    /// Whether a run has committed (the ledger says so, whatever the files say).
    fn committed(&self) -> bool {
        let path = self.env.path("work/ledger.sqlite");
        if !path.exists() {
            return false;
        }
        let db = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let n: i64 = db
            .query_row(
                "SELECT count(*) FROM runs WHERE status IN ('committed', 'finished')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        n > 0
    }

    /// The inputs' checksums: the orders on the server, the local feeds and exports.
    fn input_checksums(&self) -> Vec<String> {
        let mut v: Vec<String> = [
            self.remote("in"),
            self.env.path("drop"),
            self.env.path("outbox"),
        ]
        .iter()
        .flat_map(|d| walk(d))
        .map(|p| tallyman::transport::sha256_file(&p).unwrap())
        .collect();
        v.sort();
        v
    }

    /// The channel errors of the latest run's report.
    fn last_channel_errors(&self) -> Vec<String> {
        let reports = self.env.files("work/reports");
        let last = reports.last().expect("a run report");
        let report: serde_json::Value =
            serde_json::from_str(&self.env.read(&format!("work/reports/{last}"))).unwrap();
        // Left out of the report when there are none.
        report["channel_errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }
}

/// The ERP exports of `batch::write_exports`.
fn exports(env: &Env) {
    batch::write_exports(env);
}

/// The files under a folder (hidden ones included), by path relative to it, with their bytes.
fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walk(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

fn hidden(name: &str) -> bool {
    name.rsplit('/').next().unwrap_or(name).starts_with('.')
}

/// An X12 interchange with the times it was written blanked (ISA09/ISA10, GS04/GS05): what is
/// left is the same whenever a run writes it.
fn timeless(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    text.split_inclusive('~')
        .map(|seg| {
            let mut el: Vec<&str> = seg.split('*').collect();
            match el[0].trim() {
                "ISA" if el.len() > 10 => {
                    el[9] = "YYMMDD";
                    el[10] = "HHMM";
                }
                "GS" if el.len() > 5 => {
                    el[4] = "CCYYMMDD";
                    el[5] = "HHMM";
                }
                _ => {}
            }
            el.join("*")
        })
        .collect()
}

/// What a finished trial left, comparable between trials.
#[derive(Debug)]
struct State {
    /// Each accepted document (as JSON text) with how often it is in the ERP files.
    documents: BTreeMap<String, usize>,
    /// ERP CSV data rows with their counts.
    csv_rows: BTreeMap<String, usize>,
    /// Checksums of the inputs stored here (archive and quarantine; reports and delivered
    /// documents excluded), sorted.
    stored: Vec<String>,
    /// The partner's outbound folder on the server: name, and bytes without their times.
    sent: BTreeMap<String, String>,
    /// The names of the documents archived here as delivered, as often as they occur (a
    /// second delivery of one name would be archived as `NAME~2`).
    delivered_here: Vec<String>,
    /// Files that should be gone: local drop folders and outbox, the remote drop folder,
    /// hidden files in the remote outbound folder, the outgoing folders, ERP temp files.
    left: Vec<String>,
}

fn state(t: &Trial) -> State {
    let env = &t.env;
    let mut documents = BTreeMap::new();
    let mut csv_rows = BTreeMap::new();
    let mut left = Vec::new();
    for f in env.files("inbox") {
        if hidden(&f) {
            left.push(format!("inbox/{f}"));
            continue;
        }
        let text = env.read(&format!("inbox/{f}"));
        if f.ends_with(".jsonl") {
            for l in text.lines() {
                *documents.entry(l.to_owned()).or_insert(0) += 1;
            }
        } else {
            for l in text.lines().skip(1) {
                *csv_rows.entry(l.to_owned()).or_insert(0) += 1;
            }
        }
    }
    let mut sent = BTreeMap::new();
    for (name, bytes) in files_in(&t.remote("out")) {
        if hidden(&name) {
            left.push(format!("remote out/{name}"));
        } else {
            sent.insert(name, timeless(&bytes));
        }
    }
    left.extend(
        files_in(&t.remote("in"))
            .into_keys()
            .map(|n| format!("remote in/{n}")),
    );
    for dir in ["drop", "outbox", "work/outgoing"] {
        left.extend(env.files(dir).into_iter().map(|n| format!("{dir}/{n}")));
    }
    let mut stored = Vec::new();
    let mut delivered_here = Vec::new();
    for d in ["work/archive", "work/quarantine"] {
        let root = env.path(d);
        for p in walk(&root) {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel.contains("/@delivered/") {
                delivered_here.push(p.file_name().unwrap().to_string_lossy().into_owned());
            } else if !rel.contains(".report.") {
                stored.push(tallyman::transport::sha256_file(&p).unwrap());
            }
        }
    }
    stored.sort();
    delivered_here.sort();
    State {
        documents,
        csv_rows,
        stored,
        sent,
        delivered_here,
        left,
    }
}

/// Whatever a crash left on the server is consistent with where it stopped: before the commit
/// the remote inputs are all there as they were and nothing is in the partner's folder; after
/// it, an input is there as it was (or renamed aside, unchanged) or gone, and every delivered
/// file is one a clean run delivers, with the same bytes. Returns whether a run had committed.
fn check_after_crash(t: &Trial, r: &Reference, what: &str) -> bool {
    let (originals, reference) = (&r.originals, &r.state);
    let inbound = files_in(&t.remote("in"));
    let outbound = files_in(&t.remote("out"));
    if !t.committed() {
        assert_eq!(
            &inbound,
            originals,
            "{what}: no run committed, but the remote inputs changed: {:?}",
            inbound.keys()
        );
        assert!(
            outbound.is_empty(),
            "{what}: no run committed, but the partner's folder holds {:?}",
            outbound.keys()
        );
        assert!(
            files_in(&t.remote("done")).is_empty(),
            "{what}: no run committed, but inputs were archived on the server"
        );
        let waiting: Vec<String> = t
            .env
            .files("work/outgoing")
            .into_iter()
            .filter(|n| !hidden(n))
            .collect();
        assert!(
            waiting.is_empty(),
            "{what}: no run committed, but documents wait for delivery: {waiting:?}"
        );
        return false;
    }
    for (name, bytes) in &inbound {
        let original = match name.strip_prefix('.') {
            // `.NAME.HASH.tallyman-done`: being removed.
            Some(aside) => {
                let base = aside
                    .strip_suffix(".tallyman-done")
                    .and_then(|s| s.rsplit_once('.'))
                    .map(|(b, _)| b);
                base.and_then(|b| originals.get(b))
            }
            None => originals.get(name),
        };
        assert_eq!(
            original,
            Some(bytes),
            "{what}: remote input {name} is not one of the inputs as they were"
        );
    }
    for (name, bytes) in files_in(&t.remote("done")) {
        assert_eq!(
            originals.get(&name),
            Some(&bytes),
            "{what}: {name} in the remote archive is not one of the inputs as they were"
        );
        assert!(
            !inbound.contains_key(&name),
            "{what}: {name} is both in the remote archive and in the drop folder"
        );
    }
    for (name, bytes) in &outbound {
        let name = match name.strip_prefix('.') {
            Some(part) => part.strip_suffix(".part").unwrap_or_else(|| {
                panic!("{what}: unexpected hidden file .{part} in the partner's folder")
            }),
            None => {
                assert_eq!(
                    reference.sent.get(name.as_str()),
                    Some(&timeless(bytes)),
                    "{what}: {name} in the partner's folder is not what a clean run delivers"
                );
                name
            }
        };
        assert!(
            reference.sent.contains_key(name),
            "{what}: {name} in the partner's folder is not one a clean run delivers"
        );
    }
    true
}

/// Every order once in the ERP files, every input stored once here and gone from where it was,
/// every document for the partner in its folder once (as a clean run leaves it), nothing waiting.
fn check(t: &Trial, r: &Reference, what: &str) {
    let (reference, inputs, originals) = (&r.state, &r.inputs, &r.originals);
    let s = state(t);
    assert!(s.left.is_empty(), "{what}: files left behind: {:?}", s.left);
    for (doc, n) in &s.documents {
        assert_eq!(*n, 1, "{what}: document in the ERP files {n} times: {doc}");
    }
    assert_eq!(
        s.documents, reference.documents,
        "{what}: ERP documents differ from a clean run"
    );
    assert_eq!(
        s.csv_rows, reference.csv_rows,
        "{what}: ERP CSV rows differ from a clean run"
    );
    let names: BTreeSet<&String> = s.sent.keys().collect();
    let want: BTreeSet<&String> = reference.sent.keys().collect();
    assert_eq!(
        names, want,
        "{what}: the partner's folder holds other files than after a clean run"
    );
    for (name, text) in &s.sent {
        assert_eq!(
            text, &reference.sent[name],
            "{what}: {name} differs from a clean run's"
        );
    }
    assert_eq!(
        s.delivered_here, reference.delivered_here,
        "{what}: documents archived as delivered differ from a clean run"
    );
    let archived = files_in(&t.remote("done"));
    if t.archive {
        // Each remote input moved to the remote archive once, as it was.
        assert_eq!(
            &archived,
            originals,
            "{what}: the remote archive differs from the inputs: {:?}",
            archived.keys()
        );
    } else {
        assert!(
            archived.is_empty(),
            "{what}: {:?} in the remote archive",
            archived.keys()
        );
    }
    // Each input archived or quarantined here once (last: the other checks say more).
    let twice: BTreeSet<&String> = s
        .stored
        .iter()
        .filter(|c| s.stored.iter().filter(|d| d == c).count() > 1)
        .collect();
    assert!(
        twice.is_empty(),
        "{what}: {} of the {} inputs stored here more than once (sha256 {twice:?})",
        twice.len(),
        inputs.len()
    );
    assert_eq!(
        &s.stored, inputs,
        "{what}: inputs stored here differ from the inputs"
    );
}

/// Runs once more, without stopping, after whatever stopped the trial; then checks that the
/// work is done, exactly once.
fn recover_and_check(t: &Trial, r: &Reference, what: &str) {
    let (code, stderr) = t.run();
    assert!(
        code == 0 || code == 1,
        "{what}: the run after failed: {stderr}"
    );
    let errors = t.last_channel_errors();
    assert!(
        errors.is_empty(),
        "{what}: the run after reported channel errors: {errors:?}"
    );
    check(t, r, what);
}

/// The crash points on the SFTP path, each stopped at (its first occurrence) at least once.
const NAMED: [&str; 9] = [
    "staged",
    "before commit",
    "committed",
    "input stored",
    "input removed",
    "uploaded",
    "upload marked",
    "remote renamed",
    "finished",
];

/// What a clean run of the batch leaves, to compare the trials with.
struct Reference {
    state: State,
    /// Checksums of every input, remote and local.
    inputs: Vec<String>,
    /// The remote inputs as they were put on the server.
    originals: BTreeMap<String, Vec<u8>>,
    /// The crash points a run passes (with the crash hooks built in).
    points: Option<usize>,
}

/// Runs the batch once without crashes (counting the crash points it passes).
fn reference(server: &Sshd) -> Reference {
    let clean = Trial::new(server, "clean", false);
    let inputs = clean.input_checksums();
    let originals = files_in(&clean.remote("in"));
    assert_eq!(originals.len(), 13);
    let out = clean
        .env
        .command(&["run", "--config", "tallyman.toml"])
        .env("TALLYMAN_CRASH_AFTER", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Two files quarantined: exit 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let points = stderr
        .lines()
        .find_map(|l| l.strip_prefix("crash points passed: "))
        .and_then(|n| n.parse().ok());
    assert!(clean.last_channel_errors().is_empty(), "{stderr}");
    let state = state(&clean);
    assert!(state.left.is_empty(), "{:?}", state.left);
    assert_eq!(state.stored, inputs);
    let ids: BTreeSet<_> = batch::identities(&clean.env.erp_documents())
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 14, "{ids:?}");
    assert!(ids.contains(&("acme".into(), "order".into(), "PO-9".into())));
    assert!(ids.contains(&("shop".into(), "order".into(), "#4".into())));
    // 13 acknowledgments (the broken group's rejecting it), two ship notices and an invoice
    // (SH-3 ships more than was ordered: held).
    let kinds = |set: &str| {
        state
            .sent
            .keys()
            .filter(|n| n.starts_with(&format!("acme-{set}-")))
            .count()
    };
    assert_eq!(
        (kinds("997"), kinds("856"), kinds("810")),
        (13, 2, 1),
        "{:?}",
        state.sent.keys()
    );
    assert!(
        state
            .sent
            .values()
            .any(|t| t.contains("AK1*PO*712~") && t.contains("AK9*R*")),
        "{:?}",
        state.sent
    );
    assert_eq!(
        state.delivered_here,
        state.sent.keys().cloned().collect::<Vec<_>>()
    );
    Reference {
        state,
        inputs,
        originals,
        points,
    }
}

#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "kills runs at crash points: needs --features crash-hooks"
)]
fn every_order_and_every_delivery_exactly_once_after_kills_at_any_point() {
    let Some(server) = Sshd::start() else { return };
    let began = Instant::now();
    // A clean run gives the reference, and counts the crash points a run passes.
    let r = reference(&server);
    let points = r.points.expect("a clean run counts its crash points");
    assert!(points > 100, "only {points} crash points");

    // Seeded, so that a failing trial can be reproduced.
    let mut rng = fastrand::Rng::with_seed(0x5f7b_0ce5);
    // Trials stopped at the k-th crash point: stratified, a random point in each stratum.
    let strata = 48;
    let mut plans: Vec<(String, String)> = (0..strata)
        .map(|t| {
            let k = 1 + (t * points / strata + rng.usize(..(points / strata).max(1))) % points;
            ("TALLYMAN_CRASH_AFTER".to_owned(), k.to_string())
        })
        .collect();
    // The last crash point (after the last delivery), and each named point on the SFTP path.
    plans.push(("TALLYMAN_CRASH_AFTER".into(), points.to_string()));
    plans.extend(
        NAMED
            .iter()
            .map(|n| ("TALLYMAN_CRASH_AT".to_owned(), (*n).to_owned())),
    );
    let (mut kills, mut before_commit, mut in_delivery) = (0, 0, 0);
    for (i, (var, value)) in plans.iter().enumerate() {
        let t = Trial::new(&server, &format!("t{i:02}"), i % 2 == 1);
        let what = format!("trial {i} ({var}={value} of {points})");
        assert!(
            t.run_crashing(var, value),
            "{what}: the run did not stop there"
        );
        kills += 1;
        if !check_after_crash(&t, &r, &what) {
            before_commit += 1;
        } else if !waiting(&t).is_empty() {
            in_delivery += 1;
        }
        // Every third trial also stops the run that recovers from the first stop.
        if i % 3 == 0 {
            let k2 = rng.usize(1..=points.max(1));
            if t.run_crashing("TALLYMAN_CRASH_AFTER", &k2.to_string()) {
                kills += 1;
                check_after_crash(&t, &r, &format!("{what}, then {k2}"));
            }
        }
        recover_and_check(&t, &r, &what);
        // Every fourth trial runs once more: nothing changes.
        if i % 4 == 1 {
            recover_and_check(&t, &r, &format!("{what}, again"));
        }
    }

    // Real SIGKILLs at random moments (a partial upload may be left on the server).
    for i in 0..6 {
        let t = Trial::new(&server, &format!("k{i:02}"), i % 2 == 0);
        let mut child = t
            .env
            .command(&["run", "--config", "tallyman.toml"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(50..500)));
        let _ = child.kill();
        let _ = child.wait();
        kills += 1;
        let what = format!("SIGKILL trial {i}");
        check_after_crash(&t, &r, &what);
        recover_and_check(&t, &r, &what);
    }
    eprintln!(
        "{} trials ({before_commit} stopped before a commit, {in_delivery} after it with documents still to deliver), {kills} kills of runs with {points} crash points, in {:.1} s",
        plans.len() + 6,
        began.elapsed().as_secs_f64()
    );
    // Both sides of the commit are tried, and the delivery after it.
    assert!(
        before_commit >= 10 && in_delivery >= 10,
        "of {} trials, {before_commit} stopped before a commit, {in_delivery} before the delivery's end",
        plans.len()
    );
}

/// `user@127.0.0.1:PORT`, as the run names the server.
fn server_name(server: &Sshd) -> String {
    format!("{}@127.0.0.1:{}", server.user(), server.port())
}

/// The documents waiting for delivery in the work directory, marked uploaded or not (hidden
/// names are temporary files and what a mark records, not documents).
fn waiting(t: &Trial) -> Vec<String> {
    t.env
        .files("work/outgoing/acme")
        .into_iter()
        .filter(|n| !hidden(n))
        .map(|n| n.trim_start_matches(".uploaded/").to_owned())
        .collect()
}

/// The server killed between a commit and its delivery, with no crash: the run names the
/// server it could not reach and exits 1, and the documents wait in `WORK/outgoing`; once the
/// server is back, the next run delivers each of them exactly once.
#[test]
fn documents_wait_for_a_killed_server_and_are_delivered_once_when_it_is_back() {
    let Some(server) = Sshd::start() else { return };
    let r = reference(&server);
    let t = Trial::new(&server, "a", false);
    // The orders first, alone: the ship notices are checked against them.
    let later = t.env.path("later");
    std::fs::rename(t.env.path("outbox/acme"), &later).unwrap();
    let (code, stderr) = t.run();
    assert_eq!(code, 1, "{stderr}");
    assert!(t.last_channel_errors().is_empty(), "{stderr}");
    assert_eq!(files_in(&t.remote("out")).len(), 13, "{stderr}");
    std::fs::rename(&later, t.env.path("outbox/acme")).unwrap();

    // The ship notices and the invoice are committed, but the server is gone.
    server.kill();
    let (code, stderr) = t.run();
    assert_eq!(code, 1, "{stderr}");
    let who = server_name(&server);
    let errors = t.last_channel_errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("delivering to") && e.contains(&who)),
        "no sentence names {who}: {errors:?}\n{stderr}"
    );
    assert!(stderr.contains(&who), "{stderr}");
    let sent_later: Vec<String> = r
        .state
        .sent
        .keys()
        .filter(|n| !n.starts_with("acme-997-"))
        .cloned()
        .collect();
    assert_eq!(waiting(&t), sent_later, "{stderr}");
    assert_eq!(files_in(&t.remote("out")).len(), 13);

    server.start_again();
    let (code, stderr) = t.run();
    assert_eq!(code, 0, "{stderr}");
    assert!(t.last_channel_errors().is_empty(), "{stderr}");
    check(&t, &r, "server killed before the delivery");
    // Nothing more to do.
    let (code, stderr) = t.run();
    assert_eq!(code, 0, "{stderr}");
    check(&t, &r, "server killed before the delivery, once more");
}

/// A run stopped in its delivery, and the server killed before the run that completes it:
/// that run names the server it could not reach and exits 1, and what was not delivered yet
/// waits here (uploaded and marked, or not); once the server is back, every document is
/// delivered exactly once.
#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "stops runs at crash points: needs --features crash-hooks"
)]
fn a_delivery_stopped_half_way_is_completed_once_the_killed_server_is_back() {
    let Some(server) = Sshd::start() else { return };
    let r = reference(&server);
    let who = server_name(&server);
    for (i, point) in ["uploaded", "upload marked", "remote renamed"]
        .into_iter()
        .enumerate()
    {
        let what = format!("stopped at {point:?}, server killed");
        let t = Trial::new(&server, &format!("b{i}"), i % 2 == 1);
        assert!(t.run_crashing("TALLYMAN_CRASH_AT", point), "{what}");
        assert!(check_after_crash(&t, &r, &what), "{what}: not committed");
        server.kill();
        let (code, stderr) = t.run();
        assert_eq!(code, 1, "{what}: {stderr}");
        let errors = t.last_channel_errors();
        assert!(
            errors
                .iter()
                .any(|e| e.contains("delivering to") && e.contains(&who)),
            "{what}: no sentence names {who}: {errors:?}\n{stderr}"
        );
        // Whatever is not in the partner's folder waits here; the first file only is there
        // (renamed, still marked here) or on its way (uploaded as .NAME.part).
        let delivered: BTreeSet<String> = files_in(&t.remote("out"))
            .into_keys()
            .filter(|n| !hidden(n))
            .collect();
        assert!(delivered.len() <= 1, "{what}: {delivered:?}");
        let marked: Vec<String> = t
            .env
            .files("work/outgoing/acme/.uploaded")
            .into_iter()
            .filter(|n| !hidden(n))
            .collect();
        assert_eq!(
            marked.len(),
            usize::from(point != "uploaded"),
            "{what}: {marked:?}"
        );
        let all: BTreeSet<String> = waiting(&t).into_iter().chain(delivered).collect();
        assert_eq!(
            all,
            r.state.sent.keys().cloned().collect(),
            "{what}: {stderr}"
        );
        server.start_again();
        recover_and_check(&t, &r, &what);
    }
}

/// A run stopped right after its commit, and the server killed before the run that completes
/// it: that run cannot remove the remote inputs it recorded, says so, and delivers nothing;
/// once the server is back, the next run removes them from the server without storing them a
/// second time (they were archived or quarantined by the run that read them) and delivers
/// every document exactly once.
#[test]
#[cfg_attr(
    not(feature = "crash-hooks"),
    ignore = "stops runs at crash points: needs --features crash-hooks"
)]
fn remote_inputs_left_by_a_killed_server_are_removed_without_being_stored_twice() {
    let Some(server) = Sshd::start() else { return };
    let r = reference(&server);
    let who = server_name(&server);
    for (i, point) in ["committed", "input removed"].into_iter().enumerate() {
        let what = format!("stopped at {point:?}, server killed");
        let t = Trial::new(&server, &format!("c{i}"), i % 2 == 1);
        assert!(t.run_crashing("TALLYMAN_CRASH_AT", point), "{what}");
        assert!(check_after_crash(&t, &r, &what), "{what}: not committed");
        server.kill();
        let (code, stderr) = t.run();
        assert_eq!(code, 1, "{what}: {stderr}");
        assert!(stderr.contains(&who), "{what}: {stderr}");
        assert!(
            stderr.contains("could not be removed from the server"),
            "{what}: {stderr}"
        );
        // The ERP files are in place; nothing was delivered, and nothing more was removed.
        assert_eq!(state(&t).documents, r.state.documents, "{what}");
        assert!(files_in(&t.remote("out")).is_empty(), "{what}");
        assert_eq!(waiting(&t).len(), 16, "{what}: {stderr}");
        let left = files_in(&t.remote("in"));
        assert_eq!(left.len(), 13 - i, "{what}: {:?}", left.keys());
        server.start_again();
        recover_and_check(&t, &r, &what);
    }
}
