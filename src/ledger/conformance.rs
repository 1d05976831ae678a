//! One suite of checks that every [`Ledger`] must pass, whatever its backend: written once
//! against `&mut dyn Ledger`, run against SQLite here and against PostgreSQL by
//! `tests/ledger_postgres.rs`.
//!
//! Phase: tests only. Each check gets a fresh, empty ledger from the caller's factory;
//! [`run`] runs them all and names every one that failed.
//!
//! ```
//! use tallyman::ledger::{conformance, sqlite::SqliteLedger};
//! conformance::assert_conforms(&mut || Box::new(SqliteLedger::open_in_memory().unwrap()));
//! ```

use super::{
    AckRow, Decision, Disposition, DocKey, DocRow, Error, FileRow, InterchangeRow, Ledger,
    OutputRow, Route,
};
use std::panic::{AssertUnwindSafe, catch_unwind};

mod outbound;

use outbound::{
    acknowledgments_round_trip, documents_sent_round_trip, outbound_row,
    purchase_order_lines_round_trip,
};

/// A check: panics (by `assert!`) when the ledger does not behave as the trait says.
pub type Check = fn(&mut dyn Ledger);

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    (
        "control_numbers_count_only_when_their_run_commits",
        control_numbers_count_only_when_their_run_commits,
    ),
    (
        "control_numbers_start_over_after_max",
        control_numbers_start_over_after_max,
    ),
    (
        "a_committed_run_is_found_by_file_document_and_interchange",
        a_committed_run_is_found_by_file_document_and_interchange,
    ),
    (
        "the_open_transaction_sees_its_own_rows_and_a_rollback_drops_them",
        the_open_transaction_sees_its_own_rows_and_a_rollback_drops_them,
    ),
    ("the_first_accepted_wins", the_first_accepted_wins),
    (
        "v1_hashes_are_told_by_accepted_documents",
        v1_hashes_are_told_by_accepted_documents,
    ),
    (
        "documents_in_batches_are_all_or_none",
        documents_in_batches_are_all_or_none,
    ),
    (
        "large_document_batches_are_all_or_none",
        large_document_batches_are_all_or_none,
    ),
    (
        "claims_exclude_other_runs_until_finish_or_abort",
        claims_exclude_other_runs_until_finish_or_abort,
    ),
    ("an_aborted_run_cannot_commit", an_aborted_run_cannot_commit),
    (
        "unfinished_runs_say_what_to_complete_or_roll_back",
        unfinished_runs_say_what_to_complete_or_roll_back,
    ),
    ("acknowledgments_round_trip", acknowledgments_round_trip),
    ("documents_sent_round_trip", documents_sent_round_trip),
    (
        "purchase_order_lines_round_trip",
        purchase_order_lines_round_trip,
    ),
    (
        "resolve_supersedes_or_releases_a_quarantined_file",
        resolve_supersedes_or_releases_a_quarantined_file,
    ),
    (
        "totals_count_committed_runs_only",
        totals_count_committed_runs_only,
    ),
    (
        "run_detail_and_listings_round_trip",
        run_detail_and_listings_round_trip,
    ),
    (
        "file_outcomes_and_duplicate_files",
        file_outcomes_and_duplicate_files,
    ),
];

/// Runs every check, each on a fresh ledger from `factory`; the names of those that failed,
/// with their messages.
pub fn run(factory: &mut dyn FnMut() -> Box<dyn Ledger>) -> std::result::Result<(), Vec<String>> {
    let mut failed = Vec::new();
    for (name, check) in CHECKS {
        let mut ledger = factory();
        let outcome = catch_unwind(AssertUnwindSafe(|| check(ledger.as_mut())));
        drop(ledger);
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            failed.push(format!("{name}: {message}"));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed)
    }
}

/// [`run`], panicking with the failed checks' names and messages.
pub fn assert_conforms(factory: &mut dyn FnMut() -> Box<dyn Ledger>) {
    if let Err(failed) = run(factory) {
        panic!(
            "{} of {} ledger checks failed:\n  {}",
            failed.len(),
            CHECKS.len(),
            failed.join("\n  ")
        );
    }
}

// --- values -----------------------------------------------------------------------------------

pub(crate) fn file(name: &str, sha: &str, d: Disposition) -> FileRow {
    FileRow {
        channel: "acme".into(),
        name: name.into(),
        sha256: sha.into(),
        size: 10,
        disposition: d,
        staged: format!("/w/staging/{name}"),
        stored: format!("/w/archive/{name}"),
        origin: format!("/drop/{name}"),
        remove_origin: true,
        replay_of: None,
    }
}

fn key(n: &str) -> DocKey {
    DocKey {
        channel: "acme".into(),
        kind: "order".into(),
        number: n.into(),
        purpose: "original".into(),
    }
}

pub(crate) fn doc(file: usize, n: &str, hash: &str, route: Route) -> DocRow {
    DocRow {
        file,
        key: key(n),
        content_hash: hash.into(),
        route,
        offset: 106,
        controls: "1/1/0001".into(),
        reason: (route == Route::Rejected).then(|| "BEG03 missing".into()),
    }
}

fn ack(channel: &str, controls: &str) -> AckRow {
    AckRow {
        file: 0,
        channel: channel.into(),
        kind: "997".into(),
        acknowledged: "000000007/7".into(),
        verdict: "accepted".into(),
        controls: controls.into(),
        temp: "/o/.t".into(),
        path: format!("/o/{channel}-997-{controls}.x12"),
    }
}

fn interchange(file: usize, control: &str) -> InterchangeRow {
    InterchangeRow {
        file,
        sender: "S".into(),
        receiver: "R".into(),
        control: control.into(),
    }
}

/// What one run records: its files, then the documents, interchanges, outputs and
/// acknowledgments of those files (by index).
#[derive(Default)]
struct Batch {
    files: Vec<FileRow>,
    documents: Vec<DocRow>,
    interchanges: Vec<InterchangeRow>,
    outputs: Vec<OutputRow>,
    acks: Vec<AckRow>,
}

/// Adds a batch in the open transaction; returns the files' ids and whether each document was
/// recorded.
fn add(l: &mut dyn Ledger, run: i64, b: &Batch) -> (Vec<i64>, Vec<bool>) {
    let ids: Vec<i64> = b
        .files
        .iter()
        .map(|f| l.add_file(run, f).expect("add_file"))
        .collect();
    let recorded = b
        .documents
        .iter()
        .map(|d| l.add_document(run, ids[d.file], d).expect("add_document"))
        .collect();
    for i in &b.interchanges {
        l.add_interchange(run, ids[i.file], i)
            .expect("add_interchange");
    }
    for o in &b.outputs {
        l.add_output(run, o).expect("add_output");
    }
    for a in &b.acks {
        l.add_ack(run, ids[a.file], a).expect("add_ack");
    }
    (ids, recorded)
}

/// A new run that records `b` and commits; returns the run and its files' ids.
fn committed(l: &mut dyn Ledger, started: &str, b: &Batch) -> (i64, Vec<i64>) {
    let run = l.begin_run(started).expect("begin_run");
    l.begin(run).expect("begin");
    let (ids, _) = add(l, run, b);
    l.commit(run).expect("commit");
    (run, ids)
}

// --- checks -----------------------------------------------------------------------------------

/// A ledger holds v1 hashes when an accepted document was recorded with one (anything but
/// `v2:`): not for documents of other routes, nor for v2 hashes, and the rows of the open
/// transaction count.
pub fn v1_hashes_are_told_by_accepted_documents(l: &mut dyn Ledger) {
    let v1 = "9f".repeat(32);
    let v2 = format!("v2:{v1}");
    assert!(!l.holds_v1_hashes().unwrap(), "an empty ledger");
    let batch = Batch {
        files: vec![file("a.edi", "aa", Disposition::Quarantined)],
        documents: vec![
            doc(0, "PO1", &v2, Route::Accepted),
            doc(0, "PO2", &v1, Route::Conflict),
            doc(0, "PO3", &v1, Route::Rejected),
        ],
        interchanges: Vec::new(),
        outputs: Vec::new(),
        acks: Vec::new(),
    };
    committed(l, "t0", &batch);
    assert!(!l.holds_v1_hashes().unwrap(), "v2, or not accepted");
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    let batch = Batch {
        files: vec![file("b.edi", "bb", Disposition::Archived)],
        documents: vec![doc(0, "PO4", &v1, Route::Accepted)],
        ..batch
    };
    add(l, run, &batch);
    assert!(l.holds_v1_hashes().unwrap(), "an accepted v1 hash");
    l.rollback().unwrap();
    assert!(!l.holds_v1_hashes().unwrap(), "rolled back");
}

/// Control numbers count only when their run commits, never repeat within `max`, and are kept
/// per channel and kind; acknowledgments are found by channel and by unfinished run.
pub fn control_numbers_count_only_when_their_run_commits(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    assert_eq!(l.next_control("acme", "isa", 999_999_999).unwrap(), 1);
    assert_eq!(l.next_control("acme", "isa", 999_999_999).unwrap(), 2);
    l.rollback().unwrap();
    l.begin(run).unwrap();
    assert_eq!(
        l.next_control("acme", "isa", 999_999_999).unwrap(),
        1,
        "rolled back"
    );
    assert_eq!(l.next_control("acme", "gs", 999_999_999).unwrap(), 1);
    assert_eq!(l.next_control("beta", "isa", 999_999_999).unwrap(), 1);
    let id = l
        .add_file(run, &file("a.edi", "aa", Disposition::Archived))
        .unwrap();
    let a = ack("acme", "000000001/1/0001");
    l.add_ack(run, id, &a).unwrap();
    l.commit(run).unwrap();
    let pending = l.unfinished_runs().unwrap();
    assert_eq!(pending[0].acks, vec![a.clone()]);
    assert_eq!(l.acks_sent("acme").unwrap(), vec![a]);
    assert!(l.acks_sent("beta").unwrap().is_empty());
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    assert_eq!(l.next_control("acme", "isa", 999_999_999).unwrap(), 2);
    // After the largest number a field holds, numbering starts over.
    assert_eq!(l.next_control("acme", "st", 2).unwrap(), 1);
    assert_eq!(l.next_control("acme", "st", 2).unwrap(), 2);
    assert_eq!(l.next_control("acme", "st", 2).unwrap(), 1);
    l.rollback().unwrap();
}

/// Starting over after `max` is the only repeat, and it carries across committed runs.
pub fn control_numbers_start_over_after_max(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    let got: Vec<u64> = (0..4)
        .map(|_| l.next_control("acme", "unb", 3).unwrap())
        .collect();
    assert_eq!(got, [1, 2, 3, 1]);
    l.commit(run).unwrap();
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    assert_eq!(l.next_control("acme", "unb", 3).unwrap(), 2, "after commit");
    assert_eq!(l.next_control("acme", "unb", 3).unwrap(), 3);
    assert_eq!(l.next_control("acme", "unb", 3).unwrap(), 1);
    // A max of 0 is taken as 1: always 1.
    assert_eq!(l.next_control("acme", "unh", 0).unwrap(), 1);
    assert_eq!(l.next_control("acme", "unh", 0).unwrap(), 1);
    l.commit(run).unwrap();
}

pub fn a_committed_run_is_found_by_file_document_and_interchange(l: &mut dyn Ledger) {
    let batch = Batch {
        files: vec![
            file("a.edi", "aa", Disposition::Archived),
            file("b.edi", "bb", Disposition::Quarantined),
        ],
        documents: vec![doc(0, "PO1", "h1", Route::Accepted)],
        interchanges: vec![interchange(0, "000000001")],
        outputs: vec![OutputRow {
            temp: "/i/.t".into(),
            path: "/i/t".into(),
            documents: 1,
        }],
        acks: Vec::new(),
    };
    // Before the commit nothing counts.
    assert!(l.accepted_document(&key("PO1")).unwrap().is_none());
    let (run, _) = committed(l, "t0", &batch);
    let pending = l.unfinished_runs().unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0].committed);
    assert_eq!(pending[0].outputs[0].path, "/i/t");
    assert_eq!(pending[0].outputs[0].documents, 1);
    assert_eq!(pending[0].files.len(), 2);
    assert_eq!(pending[0].started, "t0");
    l.finish_run(run, "t1").unwrap();
    assert!(l.unfinished_runs().unwrap().is_empty());

    let d = l.accepted_document(&key("PO1")).unwrap().unwrap();
    assert_eq!((d.run, d.file.as_str(), d.offset), (run, "a.edi", 106));
    assert_eq!(d.content_hash, "h1");
    assert_eq!(l.file_by_sha("acme", "aa").unwrap().unwrap().name, "a.edi");
    assert!(l.file_by_sha("other", "aa").unwrap().is_none());
    let seen = l.interchange("S", "R", "000000001").unwrap().unwrap();
    assert_eq!(
        (seen.name.as_str(), seen.run, seen.id),
        ("a.edi", run, d.file_id)
    );
    assert!(l.interchange("S", "R", "000000002").unwrap().is_none());
    let q = l.quarantined_files().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(
        (q[0].name.as_str(), q[0].received.as_str()),
        ("b.edi", "t0")
    );
    let runs = l.runs(10).unwrap();
    assert_eq!((runs[0].files, runs[0].accepted), (2, 1));
    assert_eq!(runs[0].status, "finished");
    assert_eq!(runs[0].finished.as_deref(), Some("t1"));

    // A replay marks the quarantined file as replayed.
    let mut f = file("b.edi", "cc", Disposition::Archived);
    f.replay_of = Some(q[0].id);
    committed(
        l,
        "t2",
        &Batch {
            files: vec![f],
            ..Batch::default()
        },
    );
    assert!(l.quarantined_files().unwrap().is_empty());
}

/// Later files of a batch dedupe against earlier ones: the run's own lookups see what it added
/// before the commit; a rollback leaves nothing.
pub fn the_open_transaction_sees_its_own_rows_and_a_rollback_drops_them(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    let batch = Batch {
        files: vec![file("a.edi", "aa", Disposition::Archived)],
        documents: vec![doc(0, "PO1", "h1", Route::Accepted)],
        interchanges: vec![interchange(0, "000000001")],
        ..Batch::default()
    };
    add(l, run, &batch);
    assert!(l.accepted_document(&key("PO1")).unwrap().is_some());
    assert!(l.file_by_sha("acme", "aa").unwrap().is_some());
    assert!(l.interchange("S", "R", "000000001").unwrap().is_some());
    l.rollback().unwrap();
    // A second rollback, with no transaction open, is nothing.
    l.rollback().unwrap();
    assert!(l.accepted_document(&key("PO1")).unwrap().is_none());
    assert!(l.file_by_sha("acme", "aa").unwrap().is_none());
    assert!(l.interchange("S", "R", "000000001").unwrap().is_none());
    let pending = l.unfinished_runs().unwrap();
    assert_eq!(pending.len(), 1);
    assert!(!pending[0].committed, "never committed: to roll back");
    assert!(pending[0].files.is_empty());
    assert_eq!(pending[0].worker, l.worker());
    // An interchange repeated in the same run is ignored, not an error.
    l.begin(run).unwrap();
    let b = Batch {
        files: vec![
            file("a.edi", "aa", Disposition::Archived),
            file("b.edi", "bb", Disposition::Archived),
        ],
        interchanges: vec![interchange(0, "000000009"), interchange(1, "000000009")],
        ..Batch::default()
    };
    add(l, run, &b);
    l.commit(run).unwrap();
    assert_eq!(
        l.interchange("S", "R", "000000009").unwrap().unwrap().name,
        "a.edi",
        "where it was first received"
    );
}

/// An identity is accepted once: a second accepted row of it is refused (false, nothing
/// recorded), in the same run or a later one; duplicates, conflicts and rejections of it are
/// recorded, and so is another purpose.
pub fn the_first_accepted_wins(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    let batch = Batch {
        files: vec![file("a", "a", Disposition::Archived)],
        documents: vec![
            doc(0, "PO1", "h", Route::Accepted),
            doc(0, "PO1", "h2", Route::Accepted),
        ],
        ..Batch::default()
    };
    let (_, recorded) = add(l, run, &batch);
    assert_eq!(recorded, [true, false], "in one run");
    l.commit(run).unwrap();

    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    let mut other_purpose = doc(0, "PO1", "h", Route::Accepted);
    other_purpose.key.purpose = "replace".into();
    let batch = Batch {
        files: vec![file("b", "b", Disposition::Quarantined)],
        documents: vec![
            doc(0, "PO1", "h", Route::Accepted),
            doc(0, "PO1", "h", Route::Duplicate),
            doc(0, "PO1", "h3", Route::Conflict),
            doc(0, "PO1", "h4", Route::Rejected),
            other_purpose,
        ],
        ..Batch::default()
    };
    let (_, recorded) = add(l, run, &batch);
    assert_eq!(recorded, [false, true, true, true, true]);
    // The refusal left the transaction usable.
    l.commit(run).unwrap();
    let d = l.accepted_document(&key("PO1")).unwrap().unwrap();
    assert_eq!((d.file.as_str(), d.content_hash.as_str()), ("a", "h"));
    let runs = l.runs(10).unwrap();
    let r = &runs[0];
    assert_eq!(
        (r.accepted, r.duplicate, r.conflict, r.rejected),
        (1, 1, 1, 1)
    );
    assert_eq!(runs[1].accepted, 1);
}

/// Documents recorded in a batch are all recorded, in order, or none of them when one
/// accepted is refused; lookups in a batch answer as one at a time do.
pub fn documents_in_batches_are_all_or_none(l: &mut dyn Ledger) {
    let (_, ids) = committed(
        l,
        "t0",
        &Batch {
            files: vec![file("a", "a", Disposition::Archived)],
            documents: vec![doc(0, "PO1", "h", Route::Accepted)],
            ..Batch::default()
        },
    );
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    let f = l
        .add_file(run, &file("b", "b", Disposition::Archived))
        .unwrap();
    let refused = [
        doc(0, "PO2", "h", Route::Accepted),
        doc(0, "PO1", "h2", Route::Accepted),
        doc(0, "PO3", "h", Route::Rejected),
    ];
    assert!(
        !l.add_documents(run, f, &refused).unwrap(),
        "PO1 was accepted before"
    );
    assert!(
        l.accepted_document(&key("PO2")).unwrap().is_none(),
        "none of a refused batch is recorded"
    );
    let good = [
        doc(0, "PO2", "h", Route::Accepted),
        doc(0, "PO1", "h", Route::Duplicate),
        doc(0, "PO1", "h2", Route::Conflict),
        doc(0, "PO3", "h", Route::Rejected),
    ];
    assert!(l.add_documents(run, f, &good).unwrap());
    assert!(l.add_documents(run, f, &[]).unwrap(), "an empty batch");
    let batch = lookups_agree(l, &[key("PO9"), key("PO2"), key("PO1"), key("PO2")]);
    assert!(batch[0].is_none());
    assert_eq!(batch[2].as_ref().unwrap().file_id, ids[0]);
    assert_eq!(
        batch[1].as_ref().unwrap().file_id,
        f,
        "the open run's own rows"
    );
    l.commit(run).unwrap();
    let detail = l.run_detail(run).unwrap().unwrap();
    let routes: Vec<(&str, Route)> = detail
        .2
        .iter()
        .map(|d| (d.key.number.as_str(), d.route))
        .collect();
    assert_eq!(
        routes,
        [
            ("PO2", Route::Accepted),
            ("PO1", Route::Duplicate),
            ("PO1", Route::Conflict),
            ("PO3", Route::Rejected)
        ],
        "in their order"
    );
}

/// The ledger's batched lookup of `keys`, after asserting that it answers as one lookup at a
/// time does.
fn lookups_agree(l: &mut dyn Ledger, keys: &[DocKey]) -> Vec<Option<crate::ledger::SeenDocument>> {
    let batch = l.accepted_documents(keys).unwrap();
    let one_by_one: Vec<_> = keys
        .iter()
        .map(|k| l.accepted_document(k).unwrap())
        .collect();
    let show = |v: &[Option<crate::ledger::SeenDocument>]| {
        v.iter()
            .map(|d| {
                d.as_ref().map(|d| {
                    (
                        d.run,
                        d.file_id,
                        d.file.clone(),
                        d.offset,
                        d.content_hash.clone(),
                    )
                })
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(show(&batch), show(&one_by_one));
    batch
}

/// Batches of hundreds (a backend may split them into several statements): one refused
/// document anywhere in the batch, early, late or in its last rows, takes back all of the
/// batch and nothing recorded before it in the same transaction; a batch of new documents is
/// recorded whole, in its order.
pub fn large_document_batches_are_all_or_none(l: &mut dyn Ledger) {
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    let f = l
        .add_file(run, &file("a", "a", Disposition::Archived))
        .unwrap();
    let earlier = [
        doc(0, "PO1", "h", Route::Accepted),
        doc(0, "PO2", "h", Route::Rejected),
    ];
    assert!(l.add_documents(run, f, &earlier).unwrap());
    let batch = |from: usize, n: usize, refused_at: Option<usize>| -> Vec<DocRow> {
        (0..n)
            .map(|i| match refused_at {
                Some(r) if r == i => doc(0, "PO1", "h2", Route::Accepted),
                _ => doc(0, &format!("B{}", from + i), "h", Route::Accepted),
            })
            .collect()
    };
    for (n, at) in [
        (300, 0),
        (300, 70),
        (300, 200),
        (300, 299),
        (129, 128),
        (1, 0),
    ] {
        assert!(
            !l.add_documents(run, f, &batch(1000, n, Some(at))).unwrap(),
            "{n} documents, the one at {at} accepted before"
        );
        for i in [0, 63, 64, 127, 128, 299]
            .into_iter()
            .filter(|&i| i < n && i != at)
        {
            assert!(
                l.accepted_document(&key(&format!("B{}", 1000 + i)))
                    .unwrap()
                    .is_none(),
                "{n} documents refused at {at}: the one at {i} is not recorded"
            );
        }
    }
    let seen = l.accepted_document(&key("PO1")).unwrap().unwrap();
    assert_eq!(
        (seen.file_id, seen.content_hash.as_str()),
        (f, "h"),
        "the transaction's earlier rows stay"
    );
    let good = batch(2000, 300, None);
    assert!(l.add_documents(run, f, &good).unwrap());
    l.commit(run).unwrap();
    let detail = l.run_detail(run).unwrap().unwrap();
    let numbers: Vec<&str> = detail.2.iter().map(|d| d.key.number.as_str()).collect();
    let mut expected = vec!["PO1".to_string(), "PO2".to_string()];
    expected.extend((2000..2300).map(|i| format!("B{i}")));
    assert_eq!(numbers, expected, "the rows recorded, in their order");
    // Lookups of hundreds (a backend may split them too), found and not, some twice.
    let keys: Vec<DocKey> = (0..200)
        .map(|i| match i % 5 {
            0 => key(&format!("B{}", 2000 + i)),
            1 => key(&format!("B{}", 1000 + i)),
            2 => key("PO2"),
            3 => key("PO1"),
            _ => key(&format!("B{}", 2299 - i)),
        })
        .collect();
    let batch = lookups_agree(l, &keys);
    assert_eq!(
        batch.iter().filter(|d| d.is_some()).count(),
        120,
        "B2000.., PO1 and B2299.. are found; B1000.. and PO2 (rejected) are not"
    );
}

/// A run claims an input once; no other run gets it while the holder is started or committed;
/// it is free again once the holder finishes or is aborted.
pub fn claims_exclude_other_runs_until_finish_or_abort(l: &mut dyn Ledger) {
    let me = l.worker().to_owned();
    let r1 = l.begin_run("t1").unwrap();
    let r2 = l.begin_run("t2").unwrap();
    assert_eq!(l.claim(r1, &[("acme", "a.edi")]).unwrap().remove(0), None);
    assert_eq!(
        l.claim(r1, &[("acme", "a.edi")]).unwrap().remove(0),
        None,
        "again: still ours"
    );
    assert_eq!(
        l.claim(r2, &[("acme", "a.edi")]).unwrap().remove(0),
        Some(me.clone())
    );
    assert_eq!(
        l.claim(r2, &[("beta", "a.edi")]).unwrap().remove(0),
        None,
        "per channel"
    );
    // (That a claim made while the run's transaction is open survives its rollback, as the
    // trait says, is checked for PostgreSQL only: SQLite's claim joins the open transaction.)
    assert_eq!(l.claim(r1, &[("acme", "b.edi")]).unwrap().remove(0), None);
    assert_eq!(
        l.claim(r2, &[("acme", "b.edi")]).unwrap().remove(0),
        Some(me.clone())
    );
    // Committed: still held (its moves are not done).
    l.begin(r1).unwrap();
    l.commit(r1).unwrap();
    assert_eq!(
        l.claim(r2, &[("acme", "a.edi")]).unwrap().remove(0),
        Some(me.clone())
    );
    l.finish_run(r1, "t3").unwrap();
    assert_eq!(
        l.claim(r2, &[("acme", "a.edi")]).unwrap().remove(0),
        None,
        "after finish"
    );
    assert_eq!(l.claim(r2, &[("acme", "b.edi")]).unwrap().remove(0), None);
    let r3 = l.begin_run("t4").unwrap();
    assert_eq!(
        l.claim(r3, &[("acme", "a.edi")]).unwrap().remove(0),
        Some(me)
    );
    l.abort_run(r2).unwrap();
    assert_eq!(
        l.claim(r3, &[("acme", "a.edi")]).unwrap().remove(0),
        None,
        "after abort"
    );
}

/// A run aborted (by a rollback after a crash, or another worker) cannot commit: nothing of
/// it counts.
pub fn an_aborted_run_cannot_commit(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.abort_run(run).unwrap();
    l.begin(run).unwrap();
    add(
        l,
        run,
        &Batch {
            files: vec![file("a", "a", Disposition::Archived)],
            documents: vec![doc(0, "PO1", "h", Route::Accepted)],
            ..Batch::default()
        },
    );
    match l.commit(run) {
        Err(Error::Lost { run: r }) => assert_eq!(r, run),
        other => panic!("commit of an aborted run: {other:?}"),
    }
    assert!(l.accepted_document(&key("PO1")).unwrap().is_none());
    let runs = l.runs(10).unwrap();
    assert_eq!((runs[0].status.as_str(), runs[0].files), ("aborted", 0));
    assert!(l.unfinished_runs().unwrap().is_empty());
    // The ledger goes on.
    committed(l, "t1", &Batch::default());
}

/// Unfinished runs, oldest first, with what completing a committed one needs.
pub fn unfinished_runs_say_what_to_complete_or_roll_back(l: &mut dyn Ledger) {
    let started = l.begin_run("t0").unwrap();
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    let (ids, _) = add(
        l,
        run,
        &Batch {
            files: vec![file("a", "a", Disposition::Archived)],
            outputs: vec![
                OutputRow {
                    temp: "/i/.1".into(),
                    path: "/i/1".into(),
                    documents: 2,
                },
                OutputRow {
                    temp: "/i/.2".into(),
                    path: "/i/2".into(),
                    documents: 1,
                },
            ],
            acks: vec![ack("acme", "1/1/0001"), ack("acme", "2/2/0001")],
            ..Batch::default()
        },
    );
    let sent = outbound_row(run, "SH1", b"ISA*00~\x00\xff");
    l.add_outbound(&sent, &[], &[]).unwrap();
    l.add_received_ack(run, ids[0], "acme", "GS:SH:1", "{}")
        .unwrap();
    l.commit(run).unwrap();
    let pending = l.unfinished_runs().unwrap();
    assert_eq!(
        pending.iter().map(|p| p.id).collect::<Vec<_>>(),
        [started, run]
    );
    assert!(!pending[0].committed);
    assert!(pending.iter().all(|p| p.worker == l.worker()));
    let p = &pending[1];
    assert!(p.committed);
    assert_eq!(
        p.outputs
            .iter()
            .map(|o| o.path.as_str())
            .collect::<Vec<_>>(),
        ["/i/1", "/i/2"]
    );
    assert_eq!(
        p.acks
            .iter()
            .map(|a| a.controls.as_str())
            .collect::<Vec<_>>(),
        ["1/1/0001", "2/2/0001"]
    );
    assert_eq!(p.outbound.len(), 1);
    assert_eq!(p.outbound[0].bytes, b"ISA*00~\x00\xff", "the exact bytes");
    assert_eq!(p.outbound[0].orders, ["PO1", "PO2"]);
    l.abort_run(started).unwrap();
    l.finish_run(run, "t2").unwrap();
    assert!(l.unfinished_runs().unwrap().is_empty());
    // Aborting a committed run changes nothing.
    l.abort_run(run).unwrap();
    assert_eq!(l.runs(1).unwrap()[0].status, "finished");
}

pub fn resolve_supersedes_or_releases_a_quarantined_file(l: &mut dyn Ledger) {
    let (_, first) = committed(
        l,
        "t0",
        &Batch {
            files: vec![file("a", "a", Disposition::Archived)],
            documents: vec![doc(0, "PO1", "h1", Route::Accepted)],
            ..Batch::default()
        },
    );
    let (run2, ids) = committed(
        l,
        "t1",
        &Batch {
            files: vec![
                file("b", "b", Disposition::Quarantined),
                file("c", "c", Disposition::Quarantined),
            ],
            documents: vec![
                doc(0, "PO1", "h2", Route::Conflict),
                doc(0, "PO1", "h2", Route::Conflict),
                doc(0, "PO9", "h9", Route::Conflict),
                doc(1, "PO1", "h3", Route::Conflict),
            ],
            interchanges: vec![interchange(0, "000000005")],
            ..Batch::default()
        },
    );
    let (b, c) = (ids[0], ids[1]);
    assert_eq!(
        l.quarantined_files()
            .unwrap()
            .iter()
            .map(|q| q.id)
            .collect::<Vec<_>>(),
        [b, c]
    );
    assert_eq!(
        l.conflicts_of(b).unwrap(),
        [key("PO1"), key("PO9")],
        "each identity once, in order"
    );
    assert!(l.conflicts_of(first[0]).unwrap().is_empty());

    assert_eq!(
        l.resolve(b, Decision::TakeNew, "the partner says so", "t2")
            .unwrap(),
        1,
        "PO1 superseded; PO9 was never accepted"
    );
    assert!(l.accepted_document(&key("PO1")).unwrap().is_none());
    assert!(
        l.interchange("S", "R", "000000005").unwrap().is_none(),
        "the file is run again"
    );
    // Taken: it stays quarantined until it is replayed.
    assert_eq!(l.quarantined_files().unwrap().len(), 2);
    let summary = &l.runs(10).unwrap()[1];
    assert_eq!(
        summary.accepted, 1,
        "a superseded document counts as accepted"
    );

    assert_eq!(l.resolve(c, Decision::KeepOld, "", "t3").unwrap(), 0);
    assert_eq!(
        l.quarantined_files()
            .unwrap()
            .iter()
            .map(|q| q.id)
            .collect::<Vec<_>>(),
        [b]
    );
    // Deciding again replaces the decision.
    assert_eq!(l.resolve(b, Decision::Dismiss, "no", "t4").unwrap(), 0);
    assert!(l.quarantined_files().unwrap().is_empty());
    let (_, _, docs) = l.run_detail(run2).unwrap().unwrap();
    assert!(docs.iter().all(|d| d.route == Route::Conflict));
}

pub fn totals_count_committed_runs_only(l: &mut dyn Ledger) {
    assert!(l.totals().unwrap().documents.is_empty());
    let (_, ids) = committed(
        l,
        "2026-12-01T00:00:00Z",
        &Batch {
            files: vec![
                file("a", "a", Disposition::Archived),
                file("b", "b", Disposition::Quarantined),
            ],
            documents: vec![
                doc(0, "PO1", "h1", Route::Accepted),
                doc(0, "PO2", "h2", Route::Accepted),
                doc(1, "PO1", "h3", Route::Conflict),
            ],
            ..Batch::default()
        },
    );
    let mut replay = file("b", "b2", Disposition::Archived);
    replay.replay_of = Some(ids[1]);
    replay.size = 5;
    committed(
        l,
        "2026-12-02T00:00:00Z",
        &Batch {
            files: vec![replay],
            documents: vec![doc(0, "PO3", "h4", Route::Rejected)],
            ..Batch::default()
        },
    );
    // Rolled back and aborted: nothing of it counts.
    let run = l.begin_run("2026-12-03T00:00:00Z").unwrap();
    l.begin(run).unwrap();
    add(
        l,
        run,
        &Batch {
            files: vec![file("x", "x", Disposition::Archived)],
            documents: vec![doc(0, "PO4", "h5", Route::Accepted)],
            ..Batch::default()
        },
    );
    l.rollback().unwrap();
    l.abort_run(run).unwrap();
    let mut beta = file("z", "z", Disposition::Archived);
    beta.channel = "beta".into();
    committed(
        l,
        "2026-12-04T00:00:00Z",
        &Batch {
            files: vec![beta],
            ..Batch::default()
        },
    );

    let t = l.totals().unwrap();
    let docs: Vec<(&str, &str, &str, u64)> = t
        .documents
        .iter()
        .map(|d| {
            (
                d.channel.as_str(),
                d.kind.as_str(),
                d.route.as_str(),
                d.count,
            )
        })
        .collect();
    assert_eq!(
        docs,
        [
            ("acme", "order", "accepted", 2),
            ("acme", "order", "conflict", 1),
            ("acme", "order", "rejected", 1)
        ]
    );
    let ch: Vec<(&str, u64, u64, Option<&str>)> = t
        .channels
        .iter()
        .map(|c| (c.channel.as_str(), c.files, c.bytes, c.last_file.as_deref()))
        .collect();
    assert_eq!(
        ch,
        [
            ("acme", 3, 25, Some("2026-12-01T00:00:00Z")),
            ("beta", 1, 10, Some("2026-12-04T00:00:00Z"))
        ],
        "a replay is no new arrival"
    );
    let mut received = l.received("acme").unwrap();
    received.sort();
    assert_eq!(
        received,
        [
            ("a".to_owned(), 10),
            ("b".to_owned(), 5),
            ("b".to_owned(), 10)
        ]
    );
    assert!(l.received("gamma").unwrap().is_empty());
}

pub fn run_detail_and_listings_round_trip(l: &mut dyn Ledger) {
    assert!(l.runs(10).unwrap().is_empty());
    assert!(l.run_detail(1).unwrap().is_none());
    let batch = Batch {
        files: vec![
            file("a", "a", Disposition::Archived),
            file("b", "b", Disposition::Quarantined),
        ],
        documents: vec![
            doc(0, "PO1", "h1", Route::Accepted),
            doc(1, "PO2", "h2", Route::Rejected),
            doc(1, "PO1", "h1", Route::Duplicate),
        ],
        ..Batch::default()
    };
    let (r1, _) = committed(l, "t1", &batch);
    let r2 = l.begin_run("t2").unwrap();
    let r3 = l.begin_run("t3").unwrap();
    let runs = l.runs(2).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.id).collect::<Vec<_>>(),
        [r3, r2],
        "newest first, at most the limit"
    );
    assert_eq!((runs[0].status.as_str(), runs[0].files), ("started", 0));
    assert_eq!(runs[0].finished, None);
    let (summary, files, docs) = l.run_detail(r1).unwrap().unwrap();
    assert_eq!(
        (
            summary.id,
            summary.started.as_str(),
            summary.status.as_str()
        ),
        (r1, "t1", "committed")
    );
    assert_eq!(
        (
            summary.files,
            summary.accepted,
            summary.duplicate,
            summary.rejected
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(
        files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        ["a", "b"]
    );
    let f = &files[1];
    let want = &batch.files[1];
    assert_eq!(
        (
            &f.channel,
            &f.sha256,
            f.size,
            f.disposition,
            &f.staged,
            &f.stored,
            &f.origin,
            f.remove_origin,
            f.replay_of
        ),
        (
            &want.channel,
            &want.sha256,
            want.size,
            want.disposition,
            &want.staged,
            &want.stored,
            &want.origin,
            want.remove_origin,
            want.replay_of
        )
    );
    assert_eq!(docs.len(), 3);
    for (got, want) in docs.iter().zip(&batch.documents) {
        assert_eq!(
            (
                got.file,
                &got.key,
                &got.content_hash,
                got.route,
                got.offset,
                &got.controls,
                &got.reason
            ),
            (
                want.file,
                &want.key,
                &want.content_hash,
                want.route,
                want.offset,
                &want.controls,
                &want.reason
            )
        );
    }
}

pub fn file_outcomes_and_duplicate_files(l: &mut dyn Ledger) {
    let run = l.begin_run("t0").unwrap();
    l.begin(run).unwrap();
    let mut kept = file("a", "aa", Disposition::Archived);
    kept.remove_origin = false;
    kept.stored = String::new();
    let id = l.add_file(run, &kept).unwrap();
    l.set_file_outcome(id, Disposition::Quarantined, "/w/quarantine/a")
        .unwrap();
    let dup = l
        .add_file(run, &file("a2", "aa", Disposition::DuplicateFile))
        .unwrap();
    l.commit(run).unwrap();
    let seen = l.file_by_sha("acme", "aa").unwrap().unwrap();
    assert_eq!((seen.id, seen.disposition), (id, Disposition::Quarantined));
    assert_ne!(seen.id, dup, "a duplicate file is not what it duplicates");
    let (_, files, _) = l.run_detail(run).unwrap().unwrap();
    assert_eq!(files[0].stored, "/w/quarantine/a");
    assert!(!files[0].remove_origin);
    assert_eq!(files[1].disposition, Disposition::DuplicateFile);
    // Only a duplicate file with this checksum: not found.
    let run = l.begin_run("t1").unwrap();
    l.begin(run).unwrap();
    l.add_file(run, &file("x", "xx", Disposition::DuplicateFile))
        .unwrap();
    l.commit(run).unwrap();
    assert!(l.file_by_sha("acme", "xx").unwrap().is_none());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::sqlite::SqliteLedger;

    #[test]
    fn sqlite_conforms() {
        assert_conforms(&mut || Box::new(SqliteLedger::open_in_memory().unwrap()));
    }

    #[test]
    fn a_failing_check_is_named() {
        // A ledger that is not empty fails the checks that count from nothing.
        let failed = run(&mut || -> Box<dyn Ledger> {
            let mut l = SqliteLedger::open_in_memory().unwrap();
            committed(&mut l, "t", &Batch::default());
            Box::new(l)
        })
        .unwrap_err();
        assert!(
            failed
                .iter()
                .any(|f| f.starts_with("run_detail_and_listings_round_trip: ")),
            "{failed:?}"
        );
    }
}
