//! The ledger: what tallyman has seen and done, kept across runs.
//!
//! Phase: consulted while a batch is routed (has this file, interchange or document been seen?)
//! and written in one transaction per run ([`Transaction`]), which commits at the end. That
//! commit is the point after which a run's outputs exist: ERP files are renamed into the inbox
//! and inputs leave their drop folders only afterwards, and a run that dies before it is rolled
//! back by the next one (see `pipeline::recover`).
//!
//! [`Ledger`] is the interface the pipeline uses, with two implementations that one conformance
//! suite holds to the same behaviour (`conformance`, run for both):
//! - [`sqlite::SqliteLedger`], the embedded default: a file in the work directory, WAL mode,
//!   one worker;
//! - [`postgres::PgLedger`], shared by several workers, each with its own work directory: they
//!   claim inputs before reading them, hold leases that a heartbeat renews, and take over the
//!   unfinished runs of a worker whose lease ran out.
//!
//! Both keep versioned migrations and refuse a schema newer than the binary. Errors name no
//! backend ([`Error`]). "The first accepted wins" is the database's unique constraint on
//! accepted identities ([`Ledger::add_document`]), and control numbers are allocated by one
//! update that returns the new value ([`Ledger::next_control`]), so that workers sharing a
//! ledger never decide on a lookup that another worker's commit has made stale.
//!
//! ```
//! use tallyman::ledger::{Ledger, sqlite::SqliteLedger};
//! let mut l = SqliteLedger::open_in_memory().unwrap();
//! let run = l.begin_run("2026-11-26T10:00:00Z").unwrap();
//! assert!(l.unfinished_runs().unwrap().iter().any(|r| r.id == run));
//! ```

#[cfg(any(test, feature = "internals"))]
pub mod conformance;
pub mod outbound;
pub mod postgres;
pub mod sqlite;
mod sqlite_outbound;

use serde::Serialize;

/// A ledger operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused an operation or could not be reached (whichever backend).
    #[error("ledger {what}: {source}")]
    Db {
        /// What the ledger was doing ("record document").
        what: &'static str,
        /// The backend's own error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// Another worker sharing the ledger waited for what this run held while this run waited
    /// for what it held (a deadlock, say over a document both accepted and a control number),
    /// and the database rolled this run's transaction back. Nothing of the run counts; it can
    /// be run again at once.
    #[error(
        "ledger {what}: another worker sharing the ledger and this run each waited for the other ({source}); this run was rolled back and nothing of it counts"
    )]
    Contended {
        /// What the ledger was doing.
        what: &'static str,
        /// The backend's own error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The run is no longer this worker's: its lease ran out (the worker was stopped, or could
    /// not reach the ledger) and another worker sharing the ledger rolled it back or took it
    /// over. Nothing of it was committed; its files are read again by whoever claims them.
    #[error(
        "run {run} was taken over by another worker while this one was away (its lease ran out); nothing of it was committed, and its files are read again"
    )]
    Lost { run: i64 },
    /// The database was written by a newer tallyman.
    #[error(
        "the ledger has schema version {found}; this tallyman knows up to {known}: upgrade tallyman"
    )]
    TooNew { found: i64, known: i64 },
    /// A value the ledger holds cannot be read back (edited by hand, or damaged).
    #[error("the ledger holds a value it cannot read back: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Where an input file ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Every document in it was accepted or was a duplicate.
    Archived,
    /// Something in it was rejected or conflicted; a report sits beside it.
    Quarantined,
    /// Byte for byte a file received before; nothing in it was translated again.
    DuplicateFile,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Archived => "archived",
            Disposition::Quarantined => "quarantined",
            Disposition::DuplicateFile => "duplicate_file",
        }
    }

    fn parse(s: &str) -> Disposition {
        match s {
            "quarantined" => Disposition::Quarantined,
            "duplicate_file" => Disposition::DuplicateFile,
            _ => Disposition::Archived,
        }
    }
}

/// What became of one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Accepted,
    /// Same identity and content as a document already accepted: skipped.
    Duplicate,
    /// Same identity as an accepted document, different content: never applied.
    Conflict,
    Rejected,
    /// Accepted once, then replaced by a newer version an operator chose
    /// (`tallyman ledger resolve --take-new`).
    Superseded,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Accepted => "accepted",
            Route::Duplicate => "duplicate",
            Route::Conflict => "conflict",
            Route::Rejected => "rejected",
            Route::Superseded => "superseded",
        }
    }
}

/// What an operator decided about a quarantined file (`tallyman ledger resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Its conflicting documents replace the versions accepted before (it is then replayed).
    TakeNew,
    /// The versions accepted before stay; this file leaves the quarantine.
    KeepOld,
    /// Nothing of it is to be processed; it leaves the quarantine.
    Dismiss,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::TakeNew => "take_new",
            Decision::KeepOld => "keep_old",
            Decision::Dismiss => "dismiss",
        }
    }
}

/// A document's identity for dedupe: channel + document type + number + purpose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DocKey {
    pub channel: String,
    pub kind: String,
    pub number: String,
    pub purpose: String,
}

impl std::fmt::Display for DocKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.kind.replace('_', " ");
        write!(
            f,
            "{} {} ({}, {})",
            kind, self.number, self.purpose, self.channel
        )
    }
}

/// An input file as the run commits it.
#[derive(Debug, Clone)]
pub struct FileRow {
    pub channel: String,
    /// Name relative to the channel's drop folder.
    pub name: String,
    pub sha256: String,
    pub size: u64,
    pub disposition: Disposition,
    /// Where the run staged it (moved to `stored` after the commit).
    pub staged: String,
    /// Archive or quarantine path; empty for a kept duplicate that is not stored again.
    pub stored: String,
    /// Where it came from.
    pub origin: String,
    /// Remove `origin` after the commit (false for kept drops).
    pub remove_origin: bool,
    /// The quarantined file this one replays.
    pub replay_of: Option<i64>,
}

/// A document as the run commits it.
#[derive(Debug, Clone)]
pub struct DocRow {
    /// Index into the commit's `files`.
    pub file: usize,
    pub key: DocKey,
    pub content_hash: String,
    pub route: Route,
    pub offset: u64,
    pub controls: String,
    pub reason: Option<String>,
}

/// An interchange as the run commits it.
#[derive(Debug, Clone)]
pub struct InterchangeRow {
    /// The file's index among those a test records (the run passes the file's row id to
    /// [`Ledger::add_interchange`] instead).
    #[cfg_attr(not(any(test, feature = "internals")), allow(dead_code))]
    pub file: usize,
    pub sender: String,
    pub receiver: String,
    pub control: String,
}

/// An ERP import file: written under `temp` before the commit, renamed to `path` after.
#[derive(Debug, Clone)]
pub struct OutputRow {
    pub temp: String,
    pub path: String,
    pub documents: u64,
}

/// An acknowledgment sent to a partner: written under `temp` in the channel's outbound folder
/// before the commit, renamed to `path` after. Several acknowledgments (a TA1 and the 997s of
/// one interchange) may share one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckRow {
    /// Index into the commit's `files` (ignored by [`Ledger::add_ack`], which takes the id).
    #[serde(skip)]
    pub file: usize,
    pub channel: String,
    /// `997`, `999`, `ta1`, `contrl`.
    pub kind: String,
    /// The control numbers of what it acknowledges: the inbound interchange (`ISA13`, `UNB
    /// 0020`), and `/GS06` for a functional group.
    pub acknowledged: String,
    /// `accepted`, `accepted_with_errors`, `partially_accepted`, `rejected`.
    pub verdict: String,
    /// Our own control numbers in it (`ISA13/GS06/ST02`, `0020/0062`).
    pub controls: String,
    #[serde(skip)]
    pub temp: String,
    pub path: String,
}

/// A run that did not finish.
#[derive(Debug, Clone)]
pub struct PendingRun {
    pub id: i64,
    /// The worker that started it: this one, or one whose lease ran out (a worker that died;
    /// its runs are taken over by the next worker to look).
    pub worker: String,
    /// When it started (what its files and folders are named after).
    pub started: String,
    /// True when the run committed: its outputs and moves must be completed. False: it must be
    /// rolled back (nothing of it counts).
    pub committed: bool,
    pub files: Vec<FileRow>,
    pub outputs: Vec<OutputRow>,
    /// The acknowledgments it sends (their files are renamed into place when it completes).
    pub acks: Vec<AckRow>,
    /// The ship notices and invoices it sends (likewise).
    pub outbound: Vec<outbound::OutboundRow>,
}

/// A document accepted earlier.
#[derive(Debug, Clone)]
pub struct SeenDocument {
    pub run: i64,
    /// The file's id and name.
    pub file_id: i64,
    pub file: String,
    pub offset: u64,
    pub content_hash: String,
}

/// A file or interchange received earlier.
#[derive(Debug, Clone)]
pub struct SeenFile {
    pub id: i64,
    pub run: i64,
    pub channel: String,
    pub name: String,
    pub disposition: Disposition,
}

/// A quarantined file that has not been replayed.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantinedFile {
    pub id: i64,
    pub run: i64,
    pub channel: String,
    pub name: String,
    pub stored: String,
    pub sha256: String,
    /// When it was received: the start of its run (RFC 3339).
    pub received: String,
}

/// What the ledger holds in all, for `tallyman status` and the metrics file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    /// Documents per channel, kind and route (`accepted`, `duplicate`, `conflict`,
    /// `rejected`), over every committed run.
    pub documents: Vec<DocumentTotal>,
    /// Files per channel.
    pub channels: Vec<ChannelTotal>,
}

/// One line of [`Totals::documents`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DocumentTotal {
    pub channel: String,
    pub kind: String,
    pub route: String,
    pub count: u64,
}

/// One line of [`Totals::channels`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChannelTotal {
    pub channel: String,
    pub files: u64,
    pub bytes: u64,
    /// When its last file arrived (the start of that run, RFC 3339); replays not counted.
    pub last_file: Option<String>,
}

/// One run, for listings.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub id: i64,
    pub started: String,
    pub finished: Option<String>,
    pub status: String,
    pub files: u64,
    pub accepted: u64,
    pub duplicate: u64,
    pub conflict: u64,
    pub rejected: u64,
}

/// One run with its files and documents (`DocRow::file` indexes `files`).
pub type RunDetail = (RunSummary, Vec<FileRow>, Vec<DocRow>);

/// A run's transaction, explicit: what is recorded through it counts only once
/// [`Transaction::commit`] succeeds. Dropped without a commit (an error, a panic, a dry run's
/// end) it is rolled back, on every backend, so no path leaves a transaction open on a
/// connection.
pub struct Transaction<'l> {
    ledger: &'l mut dyn Ledger,
    run: i64,
    open: bool,
}

impl<'l> Transaction<'l> {
    /// Opens `run`'s transaction ([`Ledger::begin`]).
    pub fn begin(ledger: &'l mut dyn Ledger, run: i64) -> Result<Transaction<'l>> {
        ledger.begin(run)?;
        Ok(Transaction {
            ledger,
            run,
            open: true,
        })
    }

    /// Commits the run ([`Ledger::commit`]): from here on it counts. On an error nothing of
    /// it was committed.
    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        let committed = self.ledger.commit(self.run);
        if committed.is_err() {
            let _ = self.ledger.rollback();
        }
        committed
    }

    /// Drops everything recorded through it (a dry run's end).
    pub fn rollback(mut self) -> Result<()> {
        self.open = false;
        self.ledger.rollback()
    }
}

impl<'l> std::ops::Deref for Transaction<'l> {
    type Target = dyn Ledger + 'l;
    fn deref(&self) -> &Self::Target {
        &*self.ledger
    }
}

impl std::ops::DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.ledger
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.ledger.rollback();
        }
    }
}

/// The migration, the same in both schemas (SQLite's and PostgreSQL's sixth), that indexes the
/// accepted documents recorded with a v1 content hash (before v2, [`crate::model::hash`]): a
/// run computes v1 hashes only when there is one ([`Ledger::holds_v1_hashes`]).
pub(crate) const V1_HASH_INDEX: &str = "
CREATE INDEX documents_v1 ON documents(id)
    WHERE route = 'accepted' AND substr(content_hash, 1, 3) <> 'v2:';
";

/// [`Ledger::holds_v1_hashes`] in both backends: its condition is the index's, word for word,
/// so that the planner answers it from [`V1_HASH_INDEX`] (a test in `sqlite.rs` holds SQLite's
/// plan to that), and a ledger whose index went missing is scanned instead of refused.
pub(crate) const V1_HASH_QUERY: &str = "SELECT EXISTS (SELECT 1 FROM documents
    WHERE route = 'accepted' AND substr(content_hash, 1, 3) <> 'v2:')";

/// The ledger interface.
///
/// One ledger may be shared by several workers (PostgreSQL): each is a process with its own
/// work directory, known by its name ([`Ledger::worker`]). Runs are recorded under their
/// worker; a worker claims each input before reading it ([`Ledger::claim`]), so that no two
/// read the same file; and a worker that dies (its lease runs out) leaves its unfinished runs to
/// the next worker that looks ([`Ledger::unfinished_runs`]). An embedded ledger (SQLite) has
/// one worker, its work directory's.
pub trait Ledger {
    /// The name of the worker this ledger records runs and claims under.
    fn worker(&self) -> &str;
    /// Records a new run of this worker and returns its id (never reused, across workers).
    fn begin_run(&mut self, started: &str) -> Result<i64>;
    /// Runs that started but did not finish, oldest first: this worker's, and, taken over in
    /// the same step, those of workers whose lease ran out (so that exactly one worker completes
    /// or rolls back each).
    fn unfinished_runs(&mut self) -> Result<Vec<PendingRun>>;
    /// Marks a run that never committed as aborted, and lets go of its claims.
    fn abort_run(&mut self, run: i64) -> Result<()>;
    /// Claims inputs for `run` before they are read: each `(channel, name)` names a channel's
    /// file by its name in the drop folder. Returns, for each, `None` when the claim is this
    /// run's (made now, or before), or the worker whose run holds it. The claims are committed
    /// together at once, outside the run's transaction, so that other workers see them (an
    /// embedded ledger has no other worker: a claim it takes while the run's transaction is
    /// open, an ERP export's, goes with that transaction); each ends when its run finishes or
    /// is rolled back, or when its worker's lease runs out before the run committed.
    fn claim(&mut self, run: i64, inputs: &[(&str, &str)]) -> Result<Vec<Option<String>>>;
    /// Opens the run's transaction (callers hold it as a [`Transaction`]): what is added until
    /// [`Ledger::commit`] is seen by this ledger's own lookups (so later files of the batch
    /// dedupe against earlier ones) and by no one else, and vanishes if the process dies
    /// first.
    fn begin(&mut self, run: i64) -> Result<()>;
    /// Adds an input file; returns its id for the documents and interchanges in it.
    fn add_file(&mut self, run: i64, file: &FileRow) -> Result<i64>;
    /// Records where a file added in the open transaction went, once its documents are routed
    /// (a run adds a file before its documents, so that routing sees them).
    fn set_file_outcome(&mut self, file: i64, disposition: Disposition, stored: &str)
    -> Result<()>;
    /// Adds a document of a file added before (`DocRow::file` is ignored). Returns false, and
    /// records nothing, when the document is routed `accepted` and a document of the same
    /// identity is accepted already: another worker committed it after this one looked. The
    /// first accepted wins, by the ledger's unique constraint; the document is routed again.
    fn add_document(&mut self, run: i64, file: i64, doc: &DocRow) -> Result<bool>;
    /// Adds documents of a file added before, in their order, all or none: a batch of
    /// [`Ledger::add_document`]. Returns false, and records none of them, when one routed
    /// `accepted` is refused because a document of its identity is accepted already: the run
    /// routes a chunk as new before it looks its identities up, so this is how a duplicate or
    /// a conflict is first noticed (or another worker accepted the identity first). The chunk
    /// is then looked up and routed again.
    fn add_documents(&mut self, run: i64, file: i64, docs: &[DocRow]) -> Result<bool>;
    /// Adds an interchange first received in a file added before (a repeat is ignored).
    fn add_interchange(&mut self, run: i64, file: i64, ic: &InterchangeRow) -> Result<()>;
    /// Adds an ERP file written under its temporary name.
    fn add_output(&mut self, run: i64, output: &OutputRow) -> Result<()>;
    /// Allocates the next control number of a `kind` (`isa`, `gs`, `st`, `unb`, `unh`) for a
    /// channel's outbound documents, in the run's open transaction: it counts only if the run
    /// commits, and a committed one is never handed out again (after `max` it starts over at
    /// 1, the only repeat, and only after `max` documents).
    fn next_control(&mut self, channel: &str, kind: &str, max: u64) -> Result<u64>;
    /// Adds an acknowledgment sent for a file added before (`AckRow::file` is ignored).
    fn add_ack(&mut self, run: i64, file: i64, ack: &AckRow) -> Result<()>;
    /// The acknowledgments sent for what a channel sent us, oldest first.
    fn acks_sent(&self, channel: &str) -> Result<Vec<AckRow>>;
    /// Records an acknowledgment a channel's partner sent (its identity, `GS:PO:4201`, and
    /// its canonical JSON), for matching with what we sent.
    fn add_received_ack(
        &mut self,
        run: i64,
        file: i64,
        channel: &str,
        number: &str,
        document: &str,
    ) -> Result<()>;
    /// The acknowledgments a channel's partner sent: (identity, canonical JSON), oldest first.
    fn acks_received(&self, channel: &str) -> Result<Vec<(String, String)>>;
    /// Records the lines of a purchase order accepted from a channel: with `all`, they are
    /// its lines (an original, a replacement; none for a cancellation), else they change the
    /// lines of the same numbers and add new ones (a change order).
    fn add_po(
        &mut self,
        run: i64,
        channel: &str,
        po: &str,
        lines: &[outbound::PoLine],
        all: bool,
    ) -> Result<()>;
    /// The lines of an accepted purchase order; `None` when the channel never sent it.
    fn po_lines(&self, channel: &str, po: &str) -> Result<Option<Vec<outbound::PoLine>>>;
    /// Per line of a purchase order, how much the documents of `kind` sent so far covered
    /// (leaving out those numbered `except`: the document a replacement replaces).
    fn covered(
        &self,
        channel: &str,
        kind: &str,
        po: &str,
        except: Option<&str>,
    ) -> Result<Vec<(String, rust_decimal::Decimal)>>;
    /// The ship notice (channel and number) that sent this SSCC, if one did.
    fn sscc_sent(&self, sscc: &str) -> Result<Option<(String, String)>>;
    /// Records a document sent, the order lines it covers and the SSCCs it uses; returns its
    /// id.
    fn add_outbound(
        &mut self,
        row: &outbound::OutboundRow,
        lines: &[outbound::CoveredLine],
        ssccs: &[String],
    ) -> Result<i64>;
    /// The documents of this kind and number sent to a channel (an original, its replacements,
    /// its cancellation), by committed runs or earlier in the open one, without their bytes.
    fn outbound_documents(
        &self,
        channel: &str,
        kind: &str,
        number: &str,
    ) -> Result<Vec<outbound::OutboundRow>>;
    /// Withdraws what the documents of this kind and number sent so far cover (PO lines,
    /// SSCCs): a replacement or cancellation of them is being sent.
    fn withdraw(&mut self, channel: &str, kind: &str, number: &str) -> Result<()>;
    /// The documents sent to a channel (every channel with `None`), oldest first, without
    /// their bytes.
    fn outbound(&self, channel: Option<&str>) -> Result<Vec<outbound::OutboundRow>>;
    /// Commits the run's transaction: after this the run counts. Fails with [`Error::Lost`],
    /// committing nothing, when the run is no longer this worker's.
    fn commit(&mut self, run: i64) -> Result<()>;
    /// Drops the run's transaction, if one is open.
    fn rollback(&mut self) -> Result<()>;

    /// Marks a committed run whose outputs and moves are complete, and lets go of its claims.
    fn finish_run(&mut self, run: i64, finished: &str) -> Result<()>;
    /// A file with this checksum received on the channel before (not a duplicate itself).
    fn file_by_sha(&self, channel: &str, sha256: &str) -> Result<Option<SeenFile>>;
    /// The accepted document with this identity.
    fn accepted_document(&self, key: &DocKey) -> Result<Option<SeenDocument>>;
    /// Whether some accepted document is recorded with a v1 content hash (64 hex digits, no
    /// `v2:`; see [`crate::model::hash`]): only a ledger written before v2 holds one, and only
    /// then must a run work out its documents' v1 hashes to compare them. An index of those
    /// rows alone answers it at once, however large the ledger. A ledger whose schema has that
    /// index cannot be opened by a tallyman older than it, so none is added to a ledger that
    /// had none.
    fn holds_v1_hashes(&self) -> Result<bool>;
    /// The accepted documents with these identities, one answer per key, in their order: a
    /// batch of [`Ledger::accepted_document`] (one round trip to a database server).
    fn accepted_documents(&self, keys: &[DocKey]) -> Result<Vec<Option<SeenDocument>>> {
        keys.iter().map(|k| self.accepted_document(k)).collect()
    }
    /// Where this interchange was first received.
    fn interchange(&self, sender: &str, receiver: &str, control: &str) -> Result<Option<SeenFile>>;
    /// Quarantined files not replayed yet, oldest first.
    fn quarantined_files(&self) -> Result<Vec<QuarantinedFile>>;
    /// The last `limit` runs, newest first.
    fn runs(&self, limit: usize) -> Result<Vec<RunSummary>>;
    /// Files and documents of one run.
    fn run_detail(&self, run: i64) -> Result<Option<RunDetail>>;
    /// Documents and files in all, per channel, over the committed runs.
    fn totals(&self) -> Result<Totals>;
    /// The identities of a file's documents that were conflicts.
    fn conflicts_of(&mut self, file: i64) -> Result<Vec<DocKey>>;
    /// Records an operator's decision on a quarantined file; with [`Decision::TakeNew`], the
    /// accepted versions of its conflicting documents become superseded, in one transaction.
    /// Returns how many documents were superseded.
    fn resolve(&mut self, file: i64, decision: Decision, note: &str, at: &str) -> Result<usize>;
    /// Names and sizes of the files a channel delivered that committed runs read (to tell, in
    /// a drop folder whose files are kept, the new ones from those read before).
    fn received(&self, channel: &str) -> Result<Vec<(String, u64)>>;
}
