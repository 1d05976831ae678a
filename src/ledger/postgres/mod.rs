//! The shared ledger: PostgreSQL, for several workers (processes, each with its own work
//! directory) that dedupe against one another.
//!
//! Phase: the same as the SQLite ledger's (consulted while a batch is routed, written in the
//! run's transaction), plus what sharing needs: each worker has a lease that a heartbeat renews
//! (`workers.rs`), claims its inputs before reading them, and takes over the unfinished runs of
//! workers whose lease ran out. Every query has the semantics of its twin in `sqlite.rs`.
//!
//! ```no_run
//! use std::time::Duration;
//! use tallyman::ledger::{Ledger, postgres::PgLedger};
//! let lease = Duration::from_secs(60);
//! let mut l = PgLedger::connect("postgres://tallyman@db/ledger", "host-a", lease)?;
//! let run = l.begin_run("2026-12-04T10:00:00Z")?;
//! assert_eq!(l.claim(run, &[("acme", "po-1.edi")])?, [None]);
//! # Ok::<(), tallyman::ledger::Error>(())
//! ```
//!
//! Connections: the ledger holds one pooled connection for the run's work, so that every
//! lookup between [`Ledger::begin`] and [`Ledger::commit`] sees the run's own rows; claims go
//! through another pooled connection and commit at once; the heartbeat has its own.

mod conn;
mod connect;
mod lookups;
mod outbound;
mod pgpass;
mod schema;
mod workers;

use super::{
    AckRow, Decision, Disposition, DocKey, DocRow, Error, FileRow, InterchangeRow, Ledger,
    OutputRow, PendingRun, QuarantinedFile, Result, RunDetail, RunSummary, SeenDocument, SeenFile,
    Totals,
};
use conn::Conn;
use connect::{Message, Target};
use postgres_openssl::MakeTlsConnector;
use r2d2_postgres::PostgresConnectionManager;
use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::time::Duration;

type Manager = PostgresConnectionManager<MakeTlsConnector>;

/// How long a connection may take to open, and the pool's wait for a free one.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn db_err(what: &'static str) -> impl Fn(postgres::Error) -> Error {
    move |source| {
        use postgres::error::SqlState;
        // The server broke a deadlock between this run and another worker's by aborting this
        // run's transaction (or could not serialise them): nothing of it counts, and it can
        // be run again at once.
        if matches!(
            source.code(),
            Some(&SqlState::T_R_DEADLOCK_DETECTED | &SqlState::T_R_SERIALIZATION_FAILURE)
        ) {
            return Error::Contended {
                what,
                source: Box::new(source),
            };
        }
        Error::Db {
            what,
            source: Box::new(source),
        }
    }
}

/// The PostgreSQL ledger.
pub struct PgLedger {
    /// Dropped first: the heartbeat stops before the connections go.
    heartbeat: Option<workers::Heartbeat>,
    /// The run's connection: every lookup and every write of the run goes through it.
    conn: RefCell<Conn>,
    /// Claims are made on a connection of this pool, outside the run's transaction.
    pool: r2d2::Pool<Manager>,
    /// Empty for a read-only ledger.
    worker: String,
    /// The URL without its password.
    url: String,
    read_only: bool,
    /// The run's transaction is open.
    in_tx: bool,
}

impl std::fmt::Debug for PgLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLedger")
            .field("url", &self.url)
            .field("worker", &self.worker)
            .field("read_only", &self.read_only)
            .field("in_transaction", &self.in_tx)
            .finish_non_exhaustive()
    }
}

impl PgLedger {
    /// Connects as `worker`, brings the schema up to date, records the worker's lease (alive
    /// for `lease` without renewal) and starts the heartbeat that renews it every third of
    /// `lease` until the ledger is dropped.
    ///
    /// The password comes from the URL, else `PGPASSWORD`, else the password file
    /// (`PGPASSFILE` or `~/.pgpass`). `sslmode=disable|prefer|require` (default `prefer`).
    /// Errors show the URL without its password.
    pub fn connect(url: &str, worker: &str, lease: Duration) -> Result<PgLedger> {
        if worker.is_empty() {
            return Err(Error::Db {
                what: "connect",
                source: Box::new(Message("a worker needs a name".into())),
            });
        }
        let mut l = Self::open(url, worker, false)?;
        workers::renew(&mut *l.conn.get_mut().client, worker, lease)?;
        let hb =
            workers::Heartbeat::start(l.pool.clone(), worker.to_owned(), lease).map_err(|e| {
                Error::Db {
                    what: "start the lease's heartbeat",
                    source: Box::new(e),
                }
            })?;
        l.heartbeat = Some(hb);
        Ok(l)
    }

    /// Connects for looking only (`status`, listings): no worker, no lease, no heartbeat. The
    /// session is read-only, so a writing method fails. A schema older than this tallyman's
    /// is brought up to date first (unlike SQLite's read-only open, which upgrades a copy).
    pub fn connect_read_only(url: &str) -> Result<PgLedger> {
        let mut l = Self::open(url, "", true)?;
        l.conn
            .get_mut()
            .batch("SET default_transaction_read_only = on")
            .map_err(db_err("connect"))?;
        Ok(l)
    }

    fn open(url: &str, worker: &str, read_only: bool) -> Result<PgLedger> {
        let mut target = Target::parse(url)?;
        if target.config.get_connect_timeout().is_none() {
            target.config.connect_timeout(CONNECT_TIMEOUT);
        }
        // Every statement planned for the values it runs with. A run's statements are
        // prepared once on a ledger that may be empty when the run starts; a plan cached then
        // (a sequential scan of `documents`) stays for the whole run while the run's own
        // transaction fills the table, and the lookups grew slower with every chunk (200
        // files of orders took 23 s instead of 3).
        let options = match target.config.get_options() {
            Some(o) => format!("{o} -c plan_cache_mode=force_custom_plan"),
            None => "-c plan_cache_mode=force_custom_plan".to_owned(),
        };
        target.config.options(&options);
        let tls = target.tls()?;
        // One connection first, directly: a wrong password or an unreachable server is said
        // at once, instead of after the pool's wait.
        let mut first = target
            .config
            .connect(tls.clone())
            .map_err(|e| target.error("connect", &e))?;
        schema::migrate(&mut first)?;
        drop(first);
        let pool = r2d2::Pool::builder()
            .max_size(4)
            .min_idle(Some(0))
            .connection_timeout(CONNECT_TIMEOUT)
            .build_unchecked(Manager::new(target.config.clone(), tls));
        let conn = pool.get().map_err(|e| target.error("connect", &e))?;
        Ok(PgLedger {
            heartbeat: None,
            conn: RefCell::new(Conn::new(conn)),
            pool,
            worker: worker.to_owned(),
            url: target.shown,
            read_only,
            in_tx: false,
        })
    }

    /// Stops renewing the lease, as if this worker could no longer reach the server; the
    /// ledger stays usable. For tests of what other workers do when a lease runs out.
    #[cfg(any(test, feature = "internals"))]
    pub fn stop_heartbeat(&mut self) {
        self.heartbeat = None;
    }

    fn writable(&self, what: &'static str) -> Result<()> {
        if self.read_only {
            return Err(Error::Db {
                what,
                source: Box::new(Message(format!(
                    "the ledger at {} was opened read-only",
                    self.url
                ))),
            });
        }
        Ok(())
    }

    /// The run's connection. One that broke (the server restarted, or the network dropped
    /// it) is replaced by a fresh one from the pool, unless the run's transaction was open on
    /// it: that transaction is gone, and its statements must fail rather than go on in
    /// autocommit (the rollback that follows ends it).
    fn db(&self) -> Result<RefMut<'_, Conn>> {
        let mut conn = self.conn.borrow_mut();
        if !self.in_tx && conn.client.is_closed() {
            let fresh = self.pool.get().map_err(|e| Error::Db {
                what: "reconnect",
                source: Box::new(e),
            })?;
            *conn = Conn::new(fresh);
            if self.read_only {
                conn.batch("SET default_transaction_read_only = on")
                    .map_err(db_err("reconnect"))?;
            }
            tracing::info!(url = self.url, "reconnected to the ledger");
        }
        Ok(conn)
    }

    /// Runs `f` in a transaction of its own on the run's connection (outside a run).
    fn in_transaction<T>(
        &mut self,
        what: &'static str,
        f: impl FnOnce(&mut Conn) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.db()?;
        conn.batch("BEGIN").map_err(db_err(what))?;
        match f(&mut conn) {
            Ok(v) => {
                conn.batch("COMMIT").map_err(db_err(what))?;
                Ok(v)
            }
            Err(e) => {
                let _ = conn.batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

impl Drop for PgLedger {
    fn drop(&mut self) {
        self.heartbeat = None;
        if self.in_tx {
            // What dying does: the run's transaction vanishes.
            let _ = self.conn.get_mut().batch("ROLLBACK");
        }
    }
}

impl Ledger for PgLedger {
    fn worker(&self) -> &str {
        &self.worker
    }

    fn begin_run(&mut self, started: &str) -> Result<i64> {
        self.writable("begin run")?;
        let row = self
            .db()?
            .query_one(
                "INSERT INTO runs (started, status, worker) VALUES ($1, 'started', $2)
                 RETURNING id",
                &[&started, &self.worker],
            )
            .map_err(db_err("begin run"))?;
        Ok(row.get(0))
    }

    fn unfinished_runs(&mut self) -> Result<Vec<PendingRun>> {
        let mut conn = self.db()?;
        // Taken over, in one statement, from workers whose lease ran out: a row another worker
        // takes first no longer matches when this statement gets its lock, so exactly one
        // worker takes each run. `old` keeps the worker it was taken from.
        let mut taken: HashMap<i64, String> = HashMap::new();
        let rows = if self.read_only {
            conn.query(
                "SELECT id, status, started, worker FROM runs
                 WHERE status IN ('started', 'committed') ORDER BY id",
                &[],
            )
        } else {
            for r in conn
                .query(
                    "UPDATE runs r SET worker = $1 FROM runs old
                     WHERE old.id = r.id AND r.status IN ('started', 'committed')
                       AND r.worker <> $1
                       AND r.worker NOT IN (SELECT id FROM workers WHERE lease_until > now())
                     RETURNING r.id, old.worker",
                    &[&self.worker],
                )
                .map_err(db_err("take over the runs of dead workers"))?
            {
                taken.insert(r.get(0), r.get(1));
            }
            conn.query(
                "SELECT id, status, started, worker FROM runs
                 WHERE status IN ('started', 'committed') AND worker = $1 ORDER BY id",
                &[&self.worker],
            )
        }
        .map_err(db_err("unfinished runs"))?;
        drop(conn);
        if !taken.is_empty() {
            tracing::info!(
                worker = self.worker,
                runs = ?taken,
                "took over the unfinished runs of workers whose lease ran out"
            );
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.get(0);
            let status: &str = r.get(1);
            let outputs = self
                .db()?
                .query(
                    "SELECT temp, path, documents FROM outputs WHERE run = $1 ORDER BY id",
                    &[&id],
                )
                .map_err(db_err("outputs of run"))?
                .iter()
                .map(|o| OutputRow {
                    temp: o.get(0),
                    path: o.get(1),
                    documents: o.get::<_, i64>(2) as u64,
                })
                .collect();
            // One statement each: the connection is borrowed for one query at a time.
            let files = lookups::files_of(&mut *self.db()?, id)?;
            let acks = lookups::acks_of_run(&mut *self.db()?, id)?;
            let outbound = outbound::of_run(&mut *self.db()?, id)?;
            out.push(PendingRun {
                id,
                worker: taken.remove(&id).unwrap_or_else(|| r.get(3)),
                started: r.get(2),
                committed: status == "committed",
                files,
                outputs,
                acks,
                outbound,
            });
        }
        Ok(out)
    }

    fn abort_run(&mut self, run: i64) -> Result<()> {
        self.writable("abort run")?;
        let mut conn = self.db()?;
        conn.execute(
            "UPDATE runs SET status = 'aborted' WHERE id = $1 AND status = 'started'",
            &[&run],
        )
        .map_err(db_err("abort run"))?;
        conn.execute("DELETE FROM claims WHERE run = $1", &[&run])
            .map_err(db_err("abort run"))?;
        Ok(())
    }

    fn claim(&mut self, run: i64, inputs: &[(&str, &str)]) -> Result<Vec<Option<String>>> {
        self.writable("claim inputs")?;
        // On a connection of its own, in a transaction of its own: other workers see the
        // claims as soon as they are made, whatever the run's transaction does.
        let mut conn = self.pool.get().map_err(|e| Error::Db {
            what: "claim inputs",
            source: Box::new(e),
        })?;
        let mut tx = conn.transaction().map_err(db_err("claim inputs"))?;
        let mut out = Vec::with_capacity(inputs.len());
        for (channel, name) in inputs {
            out.push(claim_one(&mut tx, run, &self.worker, channel, name)?);
        }
        tx.commit().map_err(db_err("claim inputs"))?;
        Ok(out)
    }

    fn begin(&mut self, _run: i64) -> Result<()> {
        self.writable("begin run transaction")?;
        self.db()?
            .batch("BEGIN ISOLATION LEVEL READ COMMITTED")
            .map_err(db_err("begin run transaction"))?;
        self.in_tx = true;
        Ok(())
    }

    fn add_file(&mut self, run: i64, f: &FileRow) -> Result<i64> {
        let mut conn = self.db()?;
        let id: i64 = conn
            .query_one(
                "INSERT INTO files (run, channel, name, sha256, size, disposition, staged,
                    stored, origin, remove_origin, replay_of)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[
                    &run,
                    &f.channel,
                    &f.name,
                    &f.sha256,
                    &(f.size as i64),
                    &f.disposition.as_str(),
                    &f.staged,
                    &f.stored,
                    &f.origin,
                    &f.remove_origin,
                    &f.replay_of,
                ],
            )
            .map_err(db_err("record file"))?
            .get(0);
        if let Some(old) = f.replay_of {
            conn.execute(
                "UPDATE files SET replayed_by = $1 WHERE id = $2",
                &[&id, &old],
            )
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
        self.db()?
            .execute(
                "UPDATE files SET disposition = $2, stored = $3 WHERE id = $1",
                &[&file, &disposition.as_str(), &stored],
            )
            .map_err(db_err("record file"))?;
        Ok(())
    }

    fn add_document(&mut self, run: i64, file: i64, d: &DocRow) -> Result<bool> {
        // Only the partial unique index `documents_accepted` can refuse a row. Another
        // worker's open transaction holding the same identity makes this wait for its end.
        self.db()?
            .execute(
                r#"INSERT INTO documents (run, file, channel, kind, number, purpose,
                    content_hash, route, "offset", controls, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT (channel, kind, number, purpose) WHERE route = 'accepted'
                 DO NOTHING"#,
                &[
                    &run,
                    &file,
                    &d.key.channel,
                    &d.key.kind,
                    &d.key.number,
                    &d.key.purpose,
                    &d.content_hash,
                    &d.route.as_str(),
                    &(d.offset as i64),
                    &d.controls,
                    &d.reason,
                ],
            )
            .map(|n| n == 1)
            .map_err(db_err("record document"))
    }

    fn add_documents(&mut self, run: i64, file: i64, docs: &[DocRow]) -> Result<bool> {
        // One statement for the whole batch: only an accepted row can be refused, and then
        // none of them counts.
        let mut cols: [Vec<&str>; 7] = Default::default();
        let mut offsets = Vec::with_capacity(docs.len());
        let mut reasons = Vec::with_capacity(docs.len());
        for d in docs {
            for (col, v) in cols.iter_mut().zip([
                d.key.channel.as_str(),
                d.key.kind.as_str(),
                d.key.number.as_str(),
                d.key.purpose.as_str(),
                d.content_hash.as_str(),
                d.route.as_str(),
                d.controls.as_str(),
            ]) {
                col.push(v);
            }
            offsets.push(d.offset as i64);
            reasons.push(d.reason.as_deref());
        }
        let [channel, kind, number, purpose, hash, route, controls] = &cols;
        let mut db = self.db()?;
        let ids: Vec<i64> = db
            .query(
                r#"INSERT INTO documents (run, file, channel, kind, number, purpose,
                    content_hash, route, "offset", controls, reason)
                 SELECT $1, $2, t.channel, t.kind, t.number, t.purpose, t.hash, t.route,
                    t.off, t.controls, t.reason
                 FROM unnest($3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[],
                    $8::TEXT[], $9::BIGINT[], $10::TEXT[], $11::TEXT[])
                    WITH ORDINALITY AS t(channel, kind, number, purpose, hash, route, off,
                        controls, reason, ord)
                 ORDER BY t.ord
                 ON CONFLICT (channel, kind, number, purpose) WHERE route = 'accepted'
                 DO NOTHING
                 RETURNING id"#,
                &[
                    &run, &file, channel, kind, number, purpose, hash, route, &offsets, controls,
                    &reasons,
                ],
            )
            .map_err(db_err("record documents"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if ids.len() == docs.len() {
            return Ok(true);
        }
        // All or none, without a savepoint: each savepoint is a subtransaction, and past 64 of
        // them in one transaction every look at the run's own rows goes through PostgreSQL's
        // subtransaction log (a run of 1,000 files slowed from 9,000 to 2,000 documents a
        // second). The rows this statement added are this transaction's own: deleted again.
        db.execute("DELETE FROM documents WHERE id = ANY($1)", &[&ids])
            .map_err(db_err("record documents"))?;
        Ok(false)
    }

    fn add_interchange(&mut self, run: i64, file: i64, i: &InterchangeRow) -> Result<()> {
        self.db()?
            .execute(
                "INSERT INTO interchanges (sender, receiver, control, run, file)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&i.sender, &i.receiver, &i.control, &run, &file],
            )
            .map_err(db_err("record interchange"))?;
        Ok(())
    }

    fn add_output(&mut self, run: i64, o: &OutputRow) -> Result<()> {
        self.db()?
            .execute(
                "INSERT INTO outputs (run, temp, path, documents) VALUES ($1, $2, $3, $4)",
                &[&run, &o.temp, &o.path, &(o.documents as i64)],
            )
            .map_err(db_err("record output"))?;
        Ok(())
    }

    fn next_control(&mut self, channel: &str, kind: &str, max: u64) -> Result<u64> {
        let max = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
        // The row stays locked until the run's transaction ends: another worker allocating on
        // the same channel and kind waits, so a committed number is never handed out twice.
        self.db()?
            .query_one(
                "INSERT INTO control_numbers (channel, kind, last) VALUES ($1, $2, 1)
                 ON CONFLICT (channel, kind) DO UPDATE
                    SET last = CASE WHEN control_numbers.last >= $3 THEN 1
                                    ELSE control_numbers.last + 1 END
                 RETURNING last",
                &[&channel, &kind, &max],
            )
            .map(|r| r.get::<_, i64>(0) as u64)
            .map_err(db_err("allocate a control number"))
    }

    fn add_ack(&mut self, run: i64, file: i64, a: &AckRow) -> Result<()> {
        self.db()?
            .execute(
                "INSERT INTO acks (run, file, channel, kind, acknowledged, verdict, controls,
                    temp, path)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &run,
                    &file,
                    &a.channel,
                    &a.kind,
                    &a.acknowledged,
                    &a.verdict,
                    &a.controls,
                    &a.temp,
                    &a.path,
                ],
            )
            .map_err(db_err("record acknowledgment"))?;
        Ok(())
    }

    fn acks_sent(&self, channel: &str) -> Result<Vec<AckRow>> {
        lookups::acks_sent(&mut *self.db()?, channel)
    }

    fn add_received_ack(
        &mut self,
        run: i64,
        file: i64,
        channel: &str,
        number: &str,
        document: &str,
    ) -> Result<()> {
        self.db()?
            .execute(
                "INSERT INTO acks_received (run, file, channel, number, document)
                 VALUES ($1, $2, $3, $4, $5)",
                &[&run, &file, &channel, &number, &document],
            )
            .map_err(db_err("record a received acknowledgment"))?;
        Ok(())
    }

    fn acks_received(&self, channel: &str) -> Result<Vec<(String, String)>> {
        lookups::acks_received(&mut *self.db()?, channel)
    }

    fn add_po(
        &mut self,
        run: i64,
        channel: &str,
        po: &str,
        lines: &[super::outbound::PoLine],
        all: bool,
    ) -> Result<()> {
        outbound::add_po(&mut *self.db()?, run, channel, po, lines, all)
    }

    fn po_lines(&self, channel: &str, po: &str) -> Result<Option<Vec<super::outbound::PoLine>>> {
        outbound::po_lines(&mut *self.db()?, channel, po)
    }

    fn covered(
        &self,
        channel: &str,
        kind: &str,
        po: &str,
        except: Option<&str>,
    ) -> Result<Vec<(String, rust_decimal::Decimal)>> {
        let mut conn = self.db()?;
        if self.in_tx {
            // What this run sends against the order is checked and recorded under a lock on
            // the order that its commit lets go: a second worker's check of the same order
            // waits, then sees what this one sent, so the last units are never shipped twice.
            let key = format!("covered\u{1f}{channel}\u{1f}{kind}\u{1f}{po}");
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&key],
            )
            .map_err(db_err("lock an order's lines"))?;
        }
        outbound::covered(&mut conn, channel, kind, po, except)
    }

    fn sscc_sent(&self, sscc: &str) -> Result<Option<(String, String)>> {
        outbound::sscc_sent(&mut *self.db()?, sscc)
    }

    fn add_outbound(
        &mut self,
        row: &super::outbound::OutboundRow,
        lines: &[super::outbound::CoveredLine],
        ssccs: &[String],
    ) -> Result<i64> {
        outbound::add(&mut *self.db()?, row, lines, ssccs)
    }

    fn outbound_documents(
        &self,
        channel: &str,
        kind: &str,
        number: &str,
    ) -> Result<Vec<super::outbound::OutboundRow>> {
        outbound::documents(&mut *self.db()?, channel, kind, number)
    }

    fn withdraw(&mut self, channel: &str, kind: &str, number: &str) -> Result<()> {
        outbound::withdraw(&mut *self.db()?, channel, kind, number)
    }

    fn outbound(&self, channel: Option<&str>) -> Result<Vec<super::outbound::OutboundRow>> {
        outbound::list(&mut *self.db()?, channel)
    }

    fn commit(&mut self, run: i64) -> Result<()> {
        let mut conn = self.db()?;
        // Still this worker's run, and this worker still alive: a lease that ran out may have
        // let other workers claim the run's files.
        let n = conn
            .execute(
                "UPDATE runs SET status = 'committed'
                 WHERE id = $1 AND status = 'started' AND worker = $2
                   AND EXISTS (SELECT 1 FROM workers
                               WHERE id = $2 AND lease_until > clock_timestamp())",
                &[&run, &self.worker],
            )
            .map_err(db_err("commit run"))?;
        if n != 1 {
            drop(conn);
            let _ = self.rollback();
            return Err(Error::Lost { run });
        }
        let done = conn.batch("COMMIT").map_err(db_err("commit run"));
        drop(conn);
        self.in_tx = false;
        done
    }

    fn rollback(&mut self) -> Result<()> {
        if self.in_tx {
            self.in_tx = false;
            self.conn
                .get_mut()
                .batch("ROLLBACK")
                .map_err(db_err("roll back run"))?;
        }
        Ok(())
    }

    fn finish_run(&mut self, run: i64, finished: &str) -> Result<()> {
        self.writable("finish run")?;
        let mut conn = self.db()?;
        conn.execute(
            "UPDATE runs SET status = 'finished', finished = $2 WHERE id = $1",
            &[&run, &finished],
        )
        .map_err(db_err("finish run"))?;
        conn.execute("DELETE FROM claims WHERE run = $1", &[&run])
            .map_err(db_err("finish run"))?;
        Ok(())
    }

    fn file_by_sha(&self, channel: &str, sha256: &str) -> Result<Option<SeenFile>> {
        lookups::file_by_sha(&mut *self.db()?, channel, sha256)
    }

    fn accepted_document(&self, key: &DocKey) -> Result<Option<SeenDocument>> {
        lookups::accepted_document(&mut *self.db()?, key)
    }

    fn accepted_documents(&self, keys: &[DocKey]) -> Result<Vec<Option<SeenDocument>>> {
        lookups::accepted_documents(&mut *self.db()?, keys)
    }

    fn holds_v1_hashes(&self) -> Result<bool> {
        lookups::holds_v1_hashes(&mut *self.db()?)
    }

    fn interchange(&self, sender: &str, receiver: &str, control: &str) -> Result<Option<SeenFile>> {
        lookups::interchange(&mut *self.db()?, sender, receiver, control)
    }

    fn quarantined_files(&self) -> Result<Vec<QuarantinedFile>> {
        lookups::quarantined_files(&mut *self.db()?)
    }

    fn runs(&self, limit: usize) -> Result<Vec<RunSummary>> {
        lookups::runs(&mut *self.db()?, limit)
    }

    fn run_detail(&self, run: i64) -> Result<Option<RunDetail>> {
        lookups::run_detail(&mut *self.db()?, run)
    }

    fn totals(&self) -> Result<Totals> {
        lookups::totals(&mut *self.db()?)
    }

    fn conflicts_of(&mut self, file: i64) -> Result<Vec<DocKey>> {
        lookups::conflicts_of(&mut *self.db()?, file)
    }

    fn resolve(&mut self, file: i64, decision: Decision, note: &str, at: &str) -> Result<usize> {
        self.writable("resolve")?;
        let keys = if decision == Decision::TakeNew {
            self.conflicts_of(file)?
        } else {
            Vec::new()
        };
        self.in_transaction("resolve", |conn| {
            conn.execute(
                "INSERT INTO resolutions (file, decision, at, note) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (file) DO UPDATE SET decision = excluded.decision,
                    at = excluded.at, note = excluded.note",
                &[&file, &decision.as_str(), &at, &note],
            )
            .map_err(db_err("resolve"))?;
            if decision == Decision::TakeNew {
                // The file is run again: its interchanges are not repeats of itself.
                conn.execute("DELETE FROM interchanges WHERE file = $1", &[&file])
                    .map_err(db_err("resolve"))?;
            }
            let mut superseded = 0;
            for k in &keys {
                let ids = conn
                    .query(
                        "UPDATE documents SET route = 'superseded'
                         WHERE channel = $1 AND kind = $2 AND number = $3 AND purpose = $4
                           AND route = 'accepted' RETURNING id",
                        &[&k.channel, &k.kind, &k.number, &k.purpose],
                    )
                    .map_err(db_err("resolve"))?;
                for r in ids {
                    let id: i64 = r.get(0);
                    conn.execute(
                        "INSERT INTO superseded (document, by_file) VALUES ($1, $2)
                         ON CONFLICT (document) DO UPDATE SET by_file = excluded.by_file",
                        &[&id, &file],
                    )
                    .map_err(db_err("resolve"))?;
                    superseded += 1;
                }
            }
            Ok(superseded)
        })
    }

    fn received(&self, channel: &str) -> Result<Vec<(String, u64)>> {
        lookups::received(&mut *self.db()?, channel)
    }
}

/// Claims one input in the claims' transaction: `None` when it is `run`'s, else the worker
/// whose run holds it.
fn claim_one(
    conn: &mut impl postgres::GenericClient,
    run: i64,
    worker: &str,
    channel: &str,
    name: &str,
) -> Result<Option<String>> {
    // A claim that ends between the two statements is tried again.
    for _ in 0..3 {
        let mine = conn
            .query_opt(
                "INSERT INTO claims (channel, name, run, worker) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (channel, name) DO UPDATE SET run = excluded.run,
                    worker = excluded.worker
                 WHERE claims.run = excluded.run
                    OR EXISTS (SELECT 1 FROM runs h WHERE h.id = claims.run
                        AND (h.status NOT IN ('started', 'committed')
                             OR (h.status = 'started' AND h.worker NOT IN
                                 (SELECT id FROM workers WHERE lease_until > now()))))
                 RETURNING run",
                &[&channel, &name, &run, &worker],
            )
            .map_err(db_err("claim an input"))?;
        if mine.is_some() {
            return Ok(None);
        }
        let holder = conn
            .query_opt(
                "SELECT coalesce(h.worker, c.worker) FROM claims c
                 LEFT JOIN runs h ON h.id = c.run
                 WHERE c.channel = $1 AND c.name = $2",
                &[&channel, &name],
            )
            .map_err(db_err("claim an input"))?;
        if let Some(h) = holder {
            return Ok(Some(h.get(0)));
        }
    }
    Err(Error::Db {
        what: "claim an input",
        source: Box::new(Message(format!(
            "the claim on {channel}/{name} kept changing hands"
        ))),
    })
}
