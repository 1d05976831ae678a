//! The embedded ledger: SQLite in the work directory, WAL mode, `synchronous = FULL` so that a
//! committed run survives a power cut, not only a killed process.
//!
//! Migrations are numbered SQL scripts applied in order inside one transaction each; the
//! database's `user_version` says how many ran. A ledger written by a newer tallyman is refused
//! rather than guessed at.

use super::{
    Disposition, DocKey, DocRow, Error, FileRow, Ledger, OutputRow, PendingRun, QuarantinedFile,
    Result, Route, RunSummary, SeenDocument, SeenFile,
};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

/// Schema migrations; entry `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT,
    -- started | committed | finished | aborted
    status TEXT NOT NULL
);
CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES runs(id),
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    disposition TEXT NOT NULL,
    staged TEXT NOT NULL,
    stored TEXT NOT NULL,
    origin TEXT NOT NULL,
    remove_origin INTEGER NOT NULL,
    replay_of INTEGER REFERENCES files(id),
    replayed_by INTEGER REFERENCES files(id)
);
CREATE INDEX files_sha ON files(channel, sha256);
CREATE INDEX files_run ON files(run);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES runs(id),
    file INTEGER NOT NULL REFERENCES files(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    purpose TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    route TEXT NOT NULL,
    offset INTEGER NOT NULL,
    controls TEXT NOT NULL,
    reason TEXT
);
-- An identity is accepted once, ever.
CREATE UNIQUE INDEX documents_accepted ON documents(channel, kind, number, purpose)
    WHERE route = 'accepted';
CREATE INDEX documents_run ON documents(run);
CREATE TABLE interchanges (
    sender TEXT NOT NULL,
    receiver TEXT NOT NULL,
    control TEXT NOT NULL,
    run INTEGER NOT NULL REFERENCES runs(id),
    file INTEGER NOT NULL REFERENCES files(id),
    PRIMARY KEY (sender, receiver, control)
);
CREATE TABLE outputs (
    run INTEGER NOT NULL REFERENCES runs(id),
    temp TEXT NOT NULL,
    path TEXT NOT NULL,
    documents INTEGER NOT NULL
);
"#,
    r#"
-- Acknowledgments sent, and the control numbers of what we send, per channel.
CREATE TABLE acks (
    run INTEGER NOT NULL REFERENCES runs(id),
    file INTEGER NOT NULL REFERENCES files(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    acknowledged TEXT NOT NULL,
    verdict TEXT NOT NULL,
    controls TEXT NOT NULL,
    temp TEXT NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX acks_run ON acks(run);
CREATE INDEX acks_channel ON acks(channel);
-- Acknowledgments partners sent us, for matching with what we sent.
CREATE TABLE acks_received (
    run INTEGER NOT NULL REFERENCES runs(id),
    file INTEGER NOT NULL REFERENCES files(id),
    channel TEXT NOT NULL,
    number TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX acks_received_channel ON acks_received(channel, number);
CREATE TABLE control_numbers (
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (channel, kind)
);
"#,
    r#"
-- The outbound half: purchase order lines (the contract), documents sent with their bytes,
-- the order lines they covered and the SSCCs they used.
CREATE TABLE po_lines (
    channel TEXT NOT NULL,
    po TEXT NOT NULL,
    line TEXT NOT NULL,
    run INTEGER NOT NULL REFERENCES runs(id),
    value TEXT NOT NULL,
    PRIMARY KEY (channel, po, line)
);
CREATE TABLE outbound (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL REFERENCES runs(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    purpose TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    orders TEXT NOT NULL,
    set_id TEXT NOT NULL,
    controls TEXT NOT NULL,
    ack_key TEXT NOT NULL,
    path TEXT NOT NULL,
    temp TEXT NOT NULL,
    bytes BLOB NOT NULL,
    sent TEXT NOT NULL,
    export TEXT NOT NULL
);
CREATE UNIQUE INDEX outbound_document ON outbound(channel, kind, number, purpose, content_hash);
CREATE INDEX outbound_run ON outbound(run);
CREATE TABLE outbound_lines (
    outbound INTEGER NOT NULL REFERENCES outbound(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    po TEXT NOT NULL,
    line TEXT NOT NULL,
    quantity TEXT NOT NULL
);
CREATE INDEX outbound_lines_po ON outbound_lines(channel, kind, po);
CREATE TABLE ssccs (
    sscc TEXT PRIMARY KEY,
    outbound INTEGER NOT NULL REFERENCES outbound(id)
);
"#,
    r#"
-- Operators' decisions on quarantined files (`tallyman ledger resolve`): take_new, keep_old or
-- dismiss. A superseded document has route 'superseded' and names the file that replaced it.
CREATE TABLE resolutions (
    file INTEGER PRIMARY KEY REFERENCES files(id),
    decision TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE superseded (
    document INTEGER PRIMARY KEY REFERENCES documents(id),
    by_file INTEGER NOT NULL REFERENCES files(id)
);
"#,
    r#"
-- Workers: the run's worker, and the inputs claimed by unfinished runs (one worker per SQLite
-- ledger; the schema is the shared ledger's).
ALTER TABLE runs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
CREATE TABLE claims (
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    run INTEGER NOT NULL REFERENCES runs(id),
    worker TEXT NOT NULL,
    PRIMARY KEY (channel, name)
);
CREATE INDEX claims_run ON claims(run);
"#,
    super::V1_HASH_INDEX,
];

/// The SQLite ledger.
pub struct SqliteLedger {
    db: Connection,
    /// The worker runs are recorded under ([`SqliteLedger::set_worker`]).
    worker: String,
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        let db = Connection::open(path).map_err(db_err("open"))?;
        Self::setup(db, true)
    }

    /// Opens the ledger at `path` for looking only: nothing is written, not even a schema
    /// upgrade. A ledger of an older schema (tallyman was upgraded, and no run has brought the
    /// ledger up to date yet) is copied into memory and the copy upgraded; a newer one is
    /// refused.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        let db = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(db_err("open"))?;
        db.busy_timeout(Duration::from_secs(30))
            .map_err(db_err("busy timeout"))?;
        let version: i64 = db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db_err("schema version"))?;
        let known = MIGRATIONS.len() as i64;
        if version < known {
            let mut copy = Connection::open_in_memory().map_err(db_err("open"))?;
            rusqlite::backup::Backup::new(&db, &mut copy)
                .and_then(|b| b.run_to_completion(1024, Duration::ZERO, None))
                .map_err(db_err("copying an older ledger to read it"))?;
            return Self::setup(copy, false);
        }
        if version != known {
            return Err(Error::TooNew {
                found: version,
                known,
            });
        }
        Ok(SqliteLedger {
            db,
            worker: String::new(),
        })
    }

    /// Names the worker that runs are recorded under (the run report and `status` show it).
    pub fn set_worker(&mut self, name: &str) {
        self.worker = name.to_owned();
    }

    /// A throwaway ledger, for tests and dry runs.
    pub fn open_in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory().map_err(db_err("open"))?, false)
    }

    fn setup(db: Connection, wal: bool) -> Result<Self> {
        db.busy_timeout(Duration::from_secs(30))
            .map_err(db_err("busy timeout"))?;
        if wal {
            db.pragma_update(None, "journal_mode", "WAL")
                .map_err(db_err("journal mode"))?;
        }
        db.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err("synchronous"))?;
        db.pragma_update(None, "foreign_keys", true)
            .map_err(db_err("foreign keys"))?;
        // The query planner stability guarantee: without it, the bundled SQLite (built with
        // STAT4) re-compiles a cached statement whose plan might depend on the values bound, and
        // the per-document lookups spent 20-30 µs each doing that instead of 2-4 µs.
        db.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(db_err("query planner stability"))?;
        let mut l = SqliteLedger {
            db,
            worker: String::new(),
        };
        l.migrate()?;
        Ok(l)
    }

    /// [`Ledger::add_documents`] inside a transaction: [`ROWS_PER_STATEMENT`] rows a statement,
    /// the rest one at a time; a refused row deletes what this call added.
    fn add_documents_in(&mut self, run: i64, file: i64, docs: &[DocRow]) -> Result<bool> {
        let before: i64 = self
            .db
            .prepare_cached("SELECT coalesce(max(id), 0) FROM documents")
            .and_then(|mut st| st.query_row([], |r| r.get(0)))
            .map_err(db_err("record documents"))?;
        let mut refused = false;
        let mut chunks = docs.chunks_exact(ROWS_PER_STATEMENT);
        for chunk in &mut chunks {
            let added = self
                .db
                .prepare_cached(&INSERT_MANY)
                .and_then(|mut st| {
                    bind_documents(&mut st, run, file, chunk)?;
                    st.raw_execute()
                })
                .map_err(db_err("record documents"))?;
            if added < chunk.len() {
                refused = true;
                break;
            }
        }
        if !refused {
            for d in chunks.remainder() {
                if !self.add_document(run, file, d)? {
                    refused = true;
                    break;
                }
            }
        }
        if refused {
            self.db
                .prepare_cached("DELETE FROM documents WHERE id > ?1")
                .and_then(|mut st| st.execute([before]))
                .map_err(db_err("take back refused documents"))?;
        }
        Ok(!refused)
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db_err("schema version"))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(Error::TooNew {
                found: version,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.db.transaction().map_err(db_err("migration"))?;
            tx.execute_batch(sql).map_err(db_err("migration"))?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(db_err("migration"))?;
            tx.commit().map_err(db_err("migration"))?;
        }
        Ok(())
    }

    /// Acknowledgments matching a condition on the `acks` table, in the order they were added.
    fn acks_where(
        &self,
        condition: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<super::AckRow>> {
        let mut st = self
            .db
            .prepare(&format!(
                "SELECT channel, kind, acknowledged, verdict, controls, temp, path FROM acks
                 WHERE {condition} ORDER BY rowid"
            ))
            .map_err(db_err("acknowledgments"))?;
        st.query_map(args, |r| {
            Ok(super::AckRow {
                file: 0,
                channel: r.get(0)?,
                kind: r.get(1)?,
                acknowledged: r.get(2)?,
                verdict: r.get(3)?,
                controls: r.get(4)?,
                temp: r.get(5)?,
                path: r.get(6)?,
            })
        })
        .map_err(db_err("acknowledgments"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("acknowledgments"))
    }

    fn files_of(&self, run: i64) -> Result<Vec<FileRow>> {
        let mut st = self
            .db
            .prepare_cached(
                "SELECT channel, name, sha256, size, disposition, staged, stored, origin,
                        remove_origin, replay_of FROM files WHERE run = ?1 ORDER BY id",
            )
            .map_err(db_err("files of run"))?;
        let rows = st
            .query_map([run], |r| {
                Ok(FileRow {
                    channel: r.get(0)?,
                    name: r.get(1)?,
                    sha256: r.get(2)?,
                    size: r.get::<_, i64>(3)? as u64,
                    disposition: Disposition::parse(&r.get::<_, String>(4)?),
                    staged: r.get(5)?,
                    stored: r.get(6)?,
                    origin: r.get(7)?,
                    remove_origin: r.get(8)?,
                    replay_of: r.get(9)?,
                })
            })
            .map_err(db_err("files of run"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db_err("files of run"))
    }

    fn summary(&self, id: i64) -> Result<Option<RunSummary>> {
        self.db
            .query_row(
                "SELECT r.id, r.started, r.finished, r.status,
                    (SELECT count(*) FROM files f WHERE f.run = r.id),
                    (SELECT count(*) FROM documents d WHERE d.run = r.id AND d.route IN ('accepted', 'superseded')),
                    (SELECT count(*) FROM documents d WHERE d.run = r.id AND d.route = 'duplicate'),
                    (SELECT count(*) FROM documents d WHERE d.run = r.id AND d.route = 'conflict'),
                    (SELECT count(*) FROM documents d WHERE d.run = r.id AND d.route = 'rejected')
                 FROM runs r WHERE r.id = ?1",
                [id],
                |r| {
                    Ok(RunSummary {
                        id: r.get(0)?,
                        started: r.get(1)?,
                        finished: r.get(2)?,
                        status: r.get(3)?,
                        files: r.get::<_, i64>(4)? as u64,
                        accepted: r.get::<_, i64>(5)? as u64,
                        duplicate: r.get::<_, i64>(6)? as u64,
                        conflict: r.get::<_, i64>(7)? as u64,
                        rejected: r.get::<_, i64>(8)? as u64,
                    })
                },
            )
            .optional()
            .map_err(db_err("run summary"))
    }
}

/// How many documents one INSERT of [`Ledger::add_documents`] adds, and how many identities one
/// lookup of [`Ledger::accepted_documents`] asks for: a batch of the run's (256) is four
/// statements instead of 256, which saves what SQLite spends on each statement besides its
/// rows (starting and ending it, binding, opening and closing cursors).
const ROWS_PER_STATEMENT: usize = 64;

/// The INSERTs of one document and of [`ROWS_PER_STATEMENT`] documents.
static INSERT_ONE: LazyLock<String> = LazyLock::new(|| insert_documents(1));
static INSERT_MANY: LazyLock<String> = LazyLock::new(|| insert_documents(ROWS_PER_STATEMENT));

/// The INSERT of `rows` documents, their values bound by [`bind_documents`]. Only the partial
/// unique index `documents_accepted` can refuse a row: that row is left out and the others are
/// added, so fewer changes than rows means one was refused.
fn insert_documents(rows: usize) -> String {
    format!(
        "INSERT INTO documents (run, file, channel, kind, number, purpose, content_hash, route,
            offset, controls, reason) VALUES {} ON CONFLICT DO NOTHING",
        vec!["(?,?,?,?,?,?,?,?,?,?,?)"; rows].join(",")
    )
}

/// Binds the values of `docs`, in order, to a statement of [`insert_documents`].
fn bind_documents(
    st: &mut rusqlite::CachedStatement<'_>,
    run: i64,
    file: i64,
    docs: &[DocRow],
) -> rusqlite::Result<()> {
    let mut i = 0;
    let mut bind = |v: &dyn rusqlite::ToSql| {
        i += 1;
        st.raw_bind_parameter(i, v)
    };
    for d in docs {
        bind(&run)?;
        bind(&file)?;
        bind(&d.key.channel)?;
        bind(&d.key.kind)?;
        bind(&d.key.number)?;
        bind(&d.key.purpose)?;
        bind(&d.content_hash)?;
        bind(&d.route.as_str())?;
        bind(&(d.offset as i64))?;
        bind(&d.controls)?;
        bind(&d.reason)?;
    }
    Ok(())
}

/// [`Ledger::accepted_documents`] of [`ROWS_PER_STATEMENT`] identities in one statement: the
/// identities are a table of values, each with its place, joined to the accepted documents
/// through their unique index (`documents_accepted`; a test holds the plan to it). Each
/// found identity gives one row: its place, then the columns [`seen_document`] reads.
static LOOKUP_MANY: LazyLock<String> = LazyLock::new(|| {
    let places: Vec<String> = (0..ROWS_PER_STATEMENT)
        .map(|i| format!("({i},?,?,?,?)"))
        .collect();
    format!(
        "WITH k(ord, channel, kind, number, purpose) AS (VALUES {})
         SELECT k.ord, d.run, f.name, d.offset, d.content_hash, d.file FROM k
         JOIN documents d ON d.channel = k.channel AND d.kind = k.kind
             AND d.number = k.number AND d.purpose = k.purpose AND d.route = 'accepted'
         JOIN files f ON f.id = d.file",
        places.join(",")
    )
});

/// A document accepted before, from the columns run, file name, offset, content hash and
/// file id, starting at column `from`.
fn seen_document(r: &rusqlite::Row<'_>, from: usize) -> rusqlite::Result<SeenDocument> {
    Ok(SeenDocument {
        run: r.get(from)?,
        file: r.get(from + 1)?,
        offset: r.get::<_, i64>(from + 2)? as u64,
        content_hash: r.get(from + 3)?,
        file_id: r.get(from + 4)?,
    })
}

pub(super) fn db_err(what: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |source| Error::Db {
        what,
        source: Box::new(source),
    }
}

fn seen_file(r: &rusqlite::Row<'_>) -> rusqlite::Result<SeenFile> {
    Ok(SeenFile {
        id: r.get(0)?,
        run: r.get(1)?,
        channel: r.get(2)?,
        name: r.get(3)?,
        disposition: Disposition::parse(&r.get::<_, String>(4)?),
    })
}

impl Ledger for SqliteLedger {
    fn worker(&self) -> &str {
        &self.worker
    }

    fn begin_run(&mut self, started: &str) -> Result<i64> {
        self.db
            .execute(
                "INSERT INTO runs (started, status, worker) VALUES (?1, 'started', ?2)",
                [started, &self.worker],
            )
            .map_err(db_err("begin run"))?;
        Ok(self.db.last_insert_rowid())
    }

    fn claim(&mut self, run: i64, inputs: &[(&str, &str)]) -> Result<Vec<Option<String>>> {
        // One worker: a claim held by another run is a run that did not finish, which
        // `unfinished_runs` handed to this worker to finish or roll back (which ends the claim).
        // A savepoint: committed at once outside a transaction; inside a run's (the ERP
        // outbox's exports are claimed while the run records), committed with the run.
        let tx = self.db.savepoint().map_err(db_err("claim inputs"))?;
        let mut out = Vec::with_capacity(inputs.len());
        {
            let mut take = tx
                .prepare_cached(
                    "INSERT INTO claims (channel, name, run, worker) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (channel, name) DO UPDATE SET run = excluded.run,
                        worker = excluded.worker
                     WHERE claims.run = excluded.run
                        OR (SELECT status FROM runs WHERE id = claims.run)
                            NOT IN ('started', 'committed')
                     RETURNING run",
                )
                .map_err(db_err("claim inputs"))?;
            let mut holder = tx
                .prepare_cached("SELECT worker FROM claims WHERE channel = ?1 AND name = ?2")
                .map_err(db_err("claim inputs"))?;
            for (channel, name) in inputs {
                let mine = take
                    .query_row(params![channel, name, run, self.worker], |r| {
                        r.get::<_, i64>(0)
                    })
                    .optional()
                    .map_err(db_err("claim inputs"))?;
                out.push(match mine {
                    Some(_) => None,
                    None => Some(
                        holder
                            .query_row([channel, name], |r| r.get(0))
                            .map_err(db_err("claim inputs"))?,
                    ),
                });
            }
        }
        tx.commit().map_err(db_err("claim inputs"))?;
        Ok(out)
    }

    fn unfinished_runs(&mut self) -> Result<Vec<PendingRun>> {
        let mut st = self
            .db
            .prepare(
                "SELECT id, status, started, worker FROM runs
                 WHERE status IN ('started', 'committed') ORDER BY id",
            )
            .map_err(db_err("unfinished runs"))?;
        let ids: Vec<(i64, String, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(db_err("unfinished runs"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err("unfinished runs"))?;
        let mut out = Vec::new();
        for (id, status, started, worker) in ids {
            let mut st = self
                .db
                .prepare("SELECT temp, path, documents FROM outputs WHERE run = ?1 ORDER BY rowid")
                .map_err(db_err("outputs of run"))?;
            let outputs = st
                .query_map([id], |r| {
                    Ok(OutputRow {
                        temp: r.get(0)?,
                        path: r.get(1)?,
                        documents: r.get::<_, i64>(2)? as u64,
                    })
                })
                .map_err(db_err("outputs of run"))?
                .collect::<rusqlite::Result<_>>()
                .map_err(db_err("outputs of run"))?;
            out.push(PendingRun {
                id,
                worker,
                started,
                committed: status == "committed",
                files: self.files_of(id)?,
                outputs,
                acks: self.acks_where("run = ?1", params![id])?,
                outbound: super::sqlite_outbound::of_run(&self.db, id)?,
            });
        }
        Ok(out)
    }

    fn abort_run(&mut self, run: i64) -> Result<()> {
        self.db
            .execute(
                "UPDATE runs SET status = 'aborted' WHERE id = ?1 AND status = 'started'",
                [run],
            )
            .map_err(db_err("abort run"))?;
        self.db
            .execute("DELETE FROM claims WHERE run = ?1", [run])
            .map_err(db_err("abort run"))?;
        Ok(())
    }

    fn begin(&mut self, _run: i64) -> Result<()> {
        // IMMEDIATE: take the write lock now, not at the first insert, so that another process
        // sharing the ledger cannot slip a conflicting write in between.
        self.db
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(db_err("begin run transaction"))
    }

    fn add_file(&mut self, run: i64, f: &FileRow) -> Result<i64> {
        self.db
            .prepare_cached(
                "INSERT INTO files (run, channel, name, sha256, size, disposition, staged,
                    stored, origin, remove_origin, replay_of)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    run,
                    f.channel,
                    f.name,
                    f.sha256,
                    f.size as i64,
                    f.disposition.as_str(),
                    f.staged,
                    f.stored,
                    f.origin,
                    f.remove_origin,
                    f.replay_of,
                ])
            })
            .map_err(db_err("record file"))?;
        let id = self.db.last_insert_rowid();
        if let Some(old) = f.replay_of {
            self.db
                .prepare_cached("UPDATE files SET replayed_by = ?1 WHERE id = ?2")
                .and_then(|mut st| st.execute([id, old]))
                .map_err(db_err("record file"))?;
        }
        Ok(id)
    }

    fn set_file_outcome(
        &mut self,
        file: i64,
        disposition: Disposition,
        stored: &str,
    ) -> Result<()> {
        self.db
            .prepare_cached("UPDATE files SET disposition = ?2, stored = ?3 WHERE id = ?1")
            .and_then(|mut st| st.execute(params![file, disposition.as_str(), stored]))
            .map_err(db_err("record file"))?;
        Ok(())
    }

    fn add_document(&mut self, run: i64, file: i64, d: &DocRow) -> Result<bool> {
        // Only the partial unique index `documents_accepted` can refuse a row.
        self.db
            .prepare_cached(&INSERT_ONE)
            .and_then(|mut st| {
                bind_documents(&mut st, run, file, std::slice::from_ref(d))?;
                st.raw_execute()
            })
            .map(|n| n == 1)
            .map_err(db_err("record document"))
    }

    fn add_documents(&mut self, run: i64, file: i64, docs: &[DocRow]) -> Result<bool> {
        // All of them or none. Inside the run's transaction (`BEGIN IMMEDIATE` holds the write
        // lock, and this connection is the only writer), the rows this call adds are those past
        // the largest id before it, since ids only grow (AUTOINCREMENT): a refused batch is
        // taken back by deleting them. A savepoint would do the same, but it copies each page
        // the batch touches to a sub-journal first (the unique index's pages are all over the
        // file), refused or not; this costs nothing unless a row is refused. Outside a
        // transaction, the batch is one of its own.
        let own = self.db.is_autocommit();
        if own {
            self.db
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(db_err("record documents"))?;
        }
        let done = self.add_documents_in(run, file, docs);
        let end = match (own, &done) {
            (false, _) => Ok(()),
            (true, Ok(true)) => self.db.execute_batch("COMMIT"),
            (true, _) => self.db.execute_batch("ROLLBACK"),
        };
        let done = done?;
        end.map_err(db_err("record documents"))?;
        Ok(done)
    }

    fn add_interchange(&mut self, run: i64, file: i64, i: &super::InterchangeRow) -> Result<()> {
        self.db
            .prepare_cached(
                "INSERT OR IGNORE INTO interchanges (sender, receiver, control, run, file)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut st| st.execute(params![i.sender, i.receiver, i.control, run, file]))
            .map_err(db_err("record interchange"))?;
        Ok(())
    }

    fn add_output(&mut self, run: i64, o: &OutputRow) -> Result<()> {
        self.db
            .prepare_cached(
                "INSERT INTO outputs (run, temp, path, documents) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut st| st.execute(params![run, o.temp, o.path, o.documents as i64]))
            .map_err(db_err("record output"))?;
        Ok(())
    }

    fn next_control(&mut self, channel: &str, kind: &str, max: u64) -> Result<u64> {
        let max = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
        self.db
            .prepare_cached(
                "INSERT INTO control_numbers (channel, kind, last) VALUES (?1, ?2, 1)
                 ON CONFLICT (channel, kind) DO UPDATE
                    SET last = CASE WHEN last >= ?3 THEN 1 ELSE last + 1 END
                 RETURNING last",
            )
            .and_then(|mut st| st.query_row(params![channel, kind, max], |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
            .map_err(db_err("allocate a control number"))
    }

    fn add_ack(&mut self, run: i64, file: i64, a: &super::AckRow) -> Result<()> {
        self.db
            .prepare_cached(
                "INSERT INTO acks (run, file, channel, kind, acknowledged, verdict, controls,
                    temp, path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    run,
                    file,
                    a.channel,
                    a.kind,
                    a.acknowledged,
                    a.verdict,
                    a.controls,
                    a.temp,
                    a.path
                ])
            })
            .map_err(db_err("record acknowledgment"))?;
        Ok(())
    }

    fn acks_sent(&self, channel: &str) -> Result<Vec<super::AckRow>> {
        self.acks_where("channel = ?1", params![channel])
    }

    fn add_received_ack(
        &mut self,
        run: i64,
        file: i64,
        channel: &str,
        number: &str,
        document: &str,
    ) -> Result<()> {
        self.db
            .prepare_cached(
                "INSERT INTO acks_received (run, file, channel, number, document)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut st| st.execute(params![run, file, channel, number, document]))
            .map_err(db_err("record a received acknowledgment"))?;
        Ok(())
    }

    fn acks_received(&self, channel: &str) -> Result<Vec<(String, String)>> {
        let mut st = self
            .db
            .prepare("SELECT number, document FROM acks_received WHERE channel = ?1 ORDER BY rowid")
            .map_err(db_err("received acknowledgments"))?;
        st.query_map([channel], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db_err("received acknowledgments"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err("received acknowledgments"))
    }

    fn add_po(
        &mut self,
        run: i64,
        channel: &str,
        po: &str,
        lines: &[super::outbound::PoLine],
        all: bool,
    ) -> Result<()> {
        super::sqlite_outbound::add_po(&self.db, run, channel, po, lines, all)
    }

    fn po_lines(&self, channel: &str, po: &str) -> Result<Option<Vec<super::outbound::PoLine>>> {
        super::sqlite_outbound::po_lines(&self.db, channel, po)
    }

    fn covered(
        &self,
        channel: &str,
        kind: &str,
        po: &str,
        except: Option<&str>,
    ) -> Result<Vec<(String, rust_decimal::Decimal)>> {
        super::sqlite_outbound::covered(&self.db, channel, kind, po, except)
    }

    fn sscc_sent(&self, sscc: &str) -> Result<Option<(String, String)>> {
        super::sqlite_outbound::sscc_sent(&self.db, sscc)
    }

    fn add_outbound(
        &mut self,
        row: &super::outbound::OutboundRow,
        lines: &[super::outbound::CoveredLine],
        ssccs: &[String],
    ) -> Result<i64> {
        super::sqlite_outbound::add(&self.db, row, lines, ssccs)
    }

    fn outbound_documents(
        &self,
        channel: &str,
        kind: &str,
        number: &str,
    ) -> Result<Vec<super::outbound::OutboundRow>> {
        super::sqlite_outbound::documents(&self.db, channel, kind, number)
    }

    fn withdraw(&mut self, channel: &str, kind: &str, number: &str) -> Result<()> {
        super::sqlite_outbound::withdraw(&self.db, channel, kind, number)
    }

    fn outbound(&self, channel: Option<&str>) -> Result<Vec<super::outbound::OutboundRow>> {
        super::sqlite_outbound::list(&self.db, channel)
    }

    fn commit(&mut self, run: i64) -> Result<()> {
        let n = self
            .db
            .execute(
                "UPDATE runs SET status = 'committed' WHERE id = ?1 AND status = 'started'",
                [run],
            )
            .map_err(db_err("commit run"))?;
        if n != 1 {
            // Another process aborted this run under us; committing now would double count.
            let _ = self.rollback();
            return Err(Error::Lost { run });
        }
        self.db
            .execute_batch("COMMIT")
            .map_err(db_err("commit run"))
    }

    fn rollback(&mut self) -> Result<()> {
        if !self.db.is_autocommit() {
            self.db
                .execute_batch("ROLLBACK")
                .map_err(db_err("roll back run"))?;
        }
        Ok(())
    }

    fn finish_run(&mut self, run: i64, finished: &str) -> Result<()> {
        self.db
            .execute(
                "UPDATE runs SET status = 'finished', finished = ?2 WHERE id = ?1",
                params![run, finished],
            )
            .map_err(db_err("finish run"))?;
        self.db
            .execute("DELETE FROM claims WHERE run = ?1", [run])
            .map_err(db_err("finish run"))?;
        Ok(())
    }

    fn file_by_sha(&self, channel: &str, sha256: &str) -> Result<Option<SeenFile>> {
        self.db
            .query_row(
                "SELECT id, run, channel, name, disposition FROM files
                 WHERE channel = ?1 AND sha256 = ?2 AND disposition != 'duplicate_file'
                 ORDER BY id LIMIT 1",
                [channel, sha256],
                seen_file,
            )
            .optional()
            .map_err(db_err("file by checksum"))
    }

    fn accepted_document(&self, key: &DocKey) -> Result<Option<SeenDocument>> {
        self.db
            .prepare_cached(
                "SELECT d.run, f.name, d.offset, d.content_hash, d.file FROM documents d
                 JOIN files f ON f.id = d.file
                 WHERE d.channel = ?1 AND d.kind = ?2 AND d.number = ?3 AND d.purpose = ?4
                   AND d.route = 'accepted'",
            )
            .map_err(db_err("document lookup"))?
            .query_row([&key.channel, &key.kind, &key.number, &key.purpose], |r| {
                seen_document(r, 0)
            })
            .optional()
            .map_err(db_err("document lookup"))
    }

    fn accepted_documents(&self, keys: &[DocKey]) -> Result<Vec<Option<SeenDocument>>> {
        let mut seen: Vec<Option<SeenDocument>> = vec![None; keys.len()];
        let mut chunks = keys.chunks_exact(ROWS_PER_STATEMENT);
        let mut at = 0;
        for chunk in &mut chunks {
            let mut st = self
                .db
                .prepare_cached(&LOOKUP_MANY)
                .map_err(db_err("document lookup"))?;
            for (i, k) in chunk.iter().enumerate() {
                for (j, v) in [&k.channel, &k.kind, &k.number, &k.purpose]
                    .into_iter()
                    .enumerate()
                {
                    st.raw_bind_parameter(4 * i + j + 1, v)
                        .map_err(db_err("document lookup"))?;
                }
            }
            let mut rows = st.raw_query();
            while let Some(r) = rows.next().map_err(db_err("document lookup"))? {
                let ord: i64 = r.get(0).map_err(db_err("document lookup"))?;
                let found = seen_document(r, 1).map_err(db_err("document lookup"))?;
                if let Some(slot) = usize::try_from(ord).ok().and_then(|o| seen.get_mut(at + o)) {
                    *slot = Some(found);
                }
            }
            at += chunk.len();
        }
        for (k, slot) in chunks.remainder().iter().zip(&mut seen[at..]) {
            *slot = self.accepted_document(k)?;
        }
        Ok(seen)
    }

    fn holds_v1_hashes(&self) -> Result<bool> {
        self.db
            .query_row(super::V1_HASH_QUERY, [], |r| r.get(0))
            .map_err(db_err("v1 content hash lookup"))
    }

    fn interchange(&self, sender: &str, receiver: &str, control: &str) -> Result<Option<SeenFile>> {
        self.db
            .prepare_cached(
                "SELECT f.id, f.run, f.channel, f.name, f.disposition FROM interchanges i
                 JOIN files f ON f.id = i.file
                 WHERE i.sender = ?1 AND i.receiver = ?2 AND i.control = ?3",
            )
            .map_err(db_err("interchange lookup"))?
            .query_row([sender, receiver, control], seen_file)
            .optional()
            .map_err(db_err("interchange lookup"))
    }

    fn quarantined_files(&self) -> Result<Vec<QuarantinedFile>> {
        let mut st = self
            .db
            .prepare(
                "SELECT f.id, f.run, f.channel, f.name, f.stored, f.sha256, r.started FROM files f
                 JOIN runs r ON r.id = f.run
                 WHERE f.disposition = 'quarantined' AND f.replayed_by IS NULL
                   AND f.id NOT IN (SELECT file FROM resolutions WHERE decision != 'take_new')
                   AND r.status IN ('committed', 'finished')
                 ORDER BY f.id",
            )
            .map_err(db_err("quarantined files"))?;
        st.query_map([], |r| {
            Ok(QuarantinedFile {
                id: r.get(0)?,
                run: r.get(1)?,
                channel: r.get(2)?,
                name: r.get(3)?,
                stored: r.get(4)?,
                sha256: r.get(5)?,
                received: r.get(6)?,
            })
        })
        .map_err(db_err("quarantined files"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("quarantined files"))
    }

    fn runs(&self, limit: usize) -> Result<Vec<RunSummary>> {
        let mut st = self
            .db
            .prepare("SELECT id FROM runs ORDER BY id DESC LIMIT ?1")
            .map_err(db_err("runs"))?;
        let ids: Vec<i64> = st
            .query_map([limit as i64], |r| r.get(0))
            .map_err(db_err("runs"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err("runs"))?;
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.summary(id)?);
        }
        Ok(out)
    }

    fn received(&self, channel: &str) -> Result<Vec<(String, u64)>> {
        let mut st = self
            .db
            .prepare(
                "SELECT DISTINCT f.name, f.size FROM files f JOIN runs r ON r.id = f.run
                 WHERE f.channel = ?1 AND r.status IN ('committed', 'finished')",
            )
            .map_err(db_err("files received"))?;
        st.query_map([channel], |r| {
            Ok((r.get(0)?, r.get::<_, i64>(1)?.try_into().unwrap_or(0)))
        })
        .map_err(db_err("files received"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("files received"))
    }

    fn conflicts_of(&mut self, file: i64) -> Result<Vec<DocKey>> {
        let mut st = self
            .db
            .prepare(
                "SELECT DISTINCT channel, kind, number, purpose FROM documents
                 WHERE file = ?1 AND route = 'conflict' ORDER BY id",
            )
            .map_err(db_err("conflicts of a file"))?;
        st.query_map([file], |r| {
            Ok(DocKey {
                channel: r.get(0)?,
                kind: r.get(1)?,
                number: r.get(2)?,
                purpose: r.get(3)?,
            })
        })
        .map_err(db_err("conflicts of a file"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("conflicts of a file"))
    }

    fn resolve(
        &mut self,
        file: i64,
        decision: super::Decision,
        note: &str,
        at: &str,
    ) -> Result<usize> {
        let keys = if decision == super::Decision::TakeNew {
            self.conflicts_of(file)?
        } else {
            Vec::new()
        };
        let tx = self.db.transaction().map_err(db_err("resolve"))?;
        tx.execute(
            "INSERT OR REPLACE INTO resolutions (file, decision, at, note) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![file, decision.as_str(), at, note],
        )
        .map_err(db_err("resolve"))?;
        if decision == super::Decision::TakeNew {
            // The file is run again: its interchanges are not repeats of itself.
            tx.execute("DELETE FROM interchanges WHERE file = ?1", [file])
                .map_err(db_err("resolve"))?;
        }
        let mut superseded = 0;
        for k in &keys {
            let ids: Vec<i64> = {
                let mut st = tx
                    .prepare(
                        "SELECT id FROM documents WHERE channel = ?1 AND kind = ?2 AND number = ?3
                           AND purpose = ?4 AND route = 'accepted'",
                    )
                    .map_err(db_err("resolve"))?;
                st.query_map([&k.channel, &k.kind, &k.number, &k.purpose], |r| r.get(0))
                    .map_err(db_err("resolve"))?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(db_err("resolve"))?
            };
            for id in ids {
                tx.execute(
                    "UPDATE documents SET route = 'superseded' WHERE id = ?1",
                    [id],
                )
                .map_err(db_err("resolve"))?;
                tx.execute(
                    "INSERT OR REPLACE INTO superseded (document, by_file) VALUES (?1, ?2)",
                    [id, file],
                )
                .map_err(db_err("resolve"))?;
                superseded += 1;
            }
        }
        tx.commit().map_err(db_err("resolve"))?;
        Ok(superseded)
    }

    fn totals(&self) -> Result<super::Totals> {
        let mut out = super::Totals::default();
        let mut st = self
            .db
            .prepare(
                "SELECT d.channel, d.kind, d.route, count(*) FROM documents d
                 JOIN runs r ON r.id = d.run WHERE r.status IN ('committed', 'finished')
                 GROUP BY d.channel, d.kind, d.route ORDER BY d.channel, d.kind, d.route",
            )
            .map_err(db_err("document totals"))?;
        out.documents = st
            .query_map([], |r| {
                Ok(super::DocumentTotal {
                    channel: r.get(0)?,
                    kind: r.get(1)?,
                    route: r.get(2)?,
                    count: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
                })
            })
            .map_err(db_err("document totals"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err("document totals"))?;
        let mut st = self
            .db
            .prepare(
                "SELECT f.channel, count(*), coalesce(sum(f.size), 0),
                        max(CASE WHEN f.replay_of IS NULL THEN r.started END)
                 FROM files f JOIN runs r ON r.id = f.run
                 WHERE r.status IN ('committed', 'finished')
                 GROUP BY f.channel ORDER BY f.channel",
            )
            .map_err(db_err("file totals"))?;
        out.channels = st
            .query_map([], |r| {
                Ok(super::ChannelTotal {
                    channel: r.get(0)?,
                    files: r.get::<_, i64>(1)?.try_into().unwrap_or(0),
                    bytes: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                    last_file: r.get(3)?,
                })
            })
            .map_err(db_err("file totals"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err("file totals"))?;
        Ok(out)
    }

    fn run_detail(&self, run: i64) -> Result<Option<super::RunDetail>> {
        let Some(summary) = self.summary(run)? else {
            return Ok(None);
        };
        let files = self.files_of(run)?;
        let mut st = self
            .db
            .prepare(
                "SELECT (SELECT count(*) FROM files g WHERE g.run = d.run AND g.id < d.file),
                        channel, kind, number, purpose, content_hash, route, offset, controls, reason
                 FROM documents d WHERE run = ?1 ORDER BY id",
            )
            .map_err(db_err("documents of run"))?;
        let docs = st
            .query_map([run], |r| {
                let route: String = r.get(6)?;
                Ok(DocRow {
                    file: r.get::<_, i64>(0)? as usize,
                    key: DocKey {
                        channel: r.get(1)?,
                        kind: r.get(2)?,
                        number: r.get(3)?,
                        purpose: r.get(4)?,
                    },
                    content_hash: r.get(5)?,
                    route: match route.as_str() {
                        "accepted" => Route::Accepted,
                        "duplicate" => Route::Duplicate,
                        "conflict" => Route::Conflict,
                        "superseded" => Route::Superseded,
                        _ => Route::Rejected,
                    },
                    offset: r.get::<_, i64>(7)? as u64,
                    controls: r.get(8)?,
                    reason: r.get(9)?,
                })
            })
            .map_err(db_err("documents of run"))?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_err("documents of run"))?;
        Ok(Some((summary, files, docs)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_outside_a_transaction_is_one_of_its_own() {
        use super::super::conformance::{doc as row, file};
        let mut l = SqliteLedger::open_in_memory().unwrap();
        let run = l.begin_run("t").unwrap();
        let f = l
            .add_file(run, &file("a", "a", Disposition::Archived))
            .unwrap();
        let doc = |n: usize| row(0, &format!("PO{n}"), "h", Route::Accepted);
        assert!(l.db.is_autocommit());
        let first: Vec<DocRow> = (0..100).map(doc).collect();
        assert!(l.add_documents(run, f, &first).unwrap());
        assert!(l.db.is_autocommit(), "committed");
        let refused: Vec<DocRow> = (100..200).chain([50]).map(doc).collect();
        assert!(!l.add_documents(run, f, &refused).unwrap());
        assert!(l.db.is_autocommit(), "rolled back");
        let count: i64 =
            l.db.query_row("SELECT count(*) FROM documents", [], |r| r.get(0))
                .unwrap();
        assert_eq!(
            count, 100,
            "the first batch, and nothing of the refused one"
        );
    }

    #[test]
    fn an_older_ledger_is_read_from_an_upgraded_copy_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute(
            "INSERT INTO runs (started, status) VALUES ('2026-12-01T00:00:00Z', 'finished')",
            [],
        )
        .unwrap();
        drop(c);
        let before = std::fs::read(&p).unwrap();
        let l = SqliteLedger::open_read_only(&p).unwrap();
        let runs = l.runs(10).unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].started, "2026-12-01T00:00:00Z");
        drop(l);
        assert_eq!(std::fs::read(&p).unwrap(), before, "nothing written");
        // A newer one is refused.
        let c = Connection::open(&p).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(
            SqliteLedger::open_read_only(&p),
            Err(Error::TooNew { found: 99, .. })
        ));
    }

    /// `holds_v1_hashes` is answered from the partial index of v1 rows, not by a scan of
    /// every document.
    #[test]
    fn the_v1_hash_question_is_answered_from_its_index() {
        let l = SqliteLedger::open_in_memory().unwrap();
        let plan: Vec<String> =
            l.db.prepare(&format!(
                "EXPLAIN QUERY PLAN {}",
                super::super::V1_HASH_QUERY
            ))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("documents_v1")),
            "{plan:?}"
        );
    }

    #[test]
    fn identities_are_looked_up_in_batches_through_the_unique_index() {
        let l = SqliteLedger::open_in_memory().unwrap();
        let mut st =
            l.db.prepare(&format!("EXPLAIN QUERY PLAN {}", &*super::LOOKUP_MANY))
                .unwrap();
        let mut rows = st.raw_query();
        let mut plan = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            plan.push(r.get::<_, String>(3).unwrap());
        }
        assert!(
            plan.iter()
                .any(|step| step.contains("SEARCH d USING INDEX documents_accepted")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN d")),
            "{plan:?}"
        );
    }

    #[test]
    fn migrations_run_once_and_a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.sqlite");
        drop(SqliteLedger::open(&p).unwrap());
        drop(SqliteLedger::open(&p).unwrap());
        let c = Connection::open(&p).unwrap();
        let mode: String = c
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        c.pragma_update(None, "user_version", 99).unwrap();
        drop(c);
        assert!(matches!(
            SqliteLedger::open(&p),
            Err(Error::TooNew { found: 99, .. })
        ));
    }
}
