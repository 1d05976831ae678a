//! The shared ledger's schema: numbered migrations, applied in order, each in one transaction
//! that holds an advisory lock, so that workers starting at once migrate once. The table
//! `tallyman_schema` says how many ran; a schema newer than this tallyman's is refused.
//!
//! The tables and indexes are SQLite's (`sqlite.rs`, migrations 1 to 5) in PostgreSQL's types,
//! with three differences: ids are `BIGSERIAL`, the tables SQLite orders by `rowid` (`outputs`,
//! `acks`, `acks_received`) get an `id` to order by, and `workers` holds the leases.

use super::super::{Error, Result};
use super::db_err;
use postgres::Client;

/// The key of the advisory lock migrations hold (`tallyman` in ASCII).
const LOCK: i64 = 0x7461_6c6c_796d_616e;

/// Schema migrations; entry `i` takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id BIGSERIAL PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    -- started | committed | finished | aborted
    status TEXT NOT NULL
);
CREATE TABLE files (
    id BIGSERIAL PRIMARY KEY,
    run BIGINT NOT NULL REFERENCES runs(id),
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    disposition TEXT NOT NULL,
    staged TEXT NOT NULL,
    stored TEXT NOT NULL,
    origin TEXT NOT NULL,
    remove_origin BOOLEAN NOT NULL,
    replay_of BIGINT REFERENCES files(id),
    replayed_by BIGINT REFERENCES files(id)
);
CREATE INDEX files_sha ON files(channel, sha256);
CREATE INDEX files_run ON files(run);
CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    run BIGINT NOT NULL REFERENCES runs(id),
    file BIGINT NOT NULL REFERENCES files(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    purpose TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    route TEXT NOT NULL,
    "offset" BIGINT NOT NULL,
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
    run BIGINT NOT NULL REFERENCES runs(id),
    file BIGINT NOT NULL REFERENCES files(id),
    PRIMARY KEY (sender, receiver, control)
);
CREATE TABLE outputs (
    id BIGSERIAL PRIMARY KEY,
    run BIGINT NOT NULL REFERENCES runs(id),
    temp TEXT NOT NULL,
    path TEXT NOT NULL,
    documents BIGINT NOT NULL
);
CREATE INDEX outputs_run ON outputs(run);
"#,
    r#"
-- Acknowledgments sent, and the control numbers of what we send, per channel.
CREATE TABLE acks (
    id BIGSERIAL PRIMARY KEY,
    run BIGINT NOT NULL REFERENCES runs(id),
    file BIGINT NOT NULL REFERENCES files(id),
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
    id BIGSERIAL PRIMARY KEY,
    run BIGINT NOT NULL REFERENCES runs(id),
    file BIGINT NOT NULL REFERENCES files(id),
    channel TEXT NOT NULL,
    number TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX acks_received_channel ON acks_received(channel, number);
CREATE TABLE control_numbers (
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    last BIGINT NOT NULL,
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
    run BIGINT NOT NULL REFERENCES runs(id),
    value TEXT NOT NULL,
    PRIMARY KEY (channel, po, line)
);
CREATE TABLE outbound (
    id BIGSERIAL PRIMARY KEY,
    run BIGINT NOT NULL REFERENCES runs(id),
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
    bytes BYTEA NOT NULL,
    sent TEXT NOT NULL,
    export TEXT NOT NULL
);
CREATE UNIQUE INDEX outbound_document ON outbound(channel, kind, number, purpose, content_hash);
CREATE INDEX outbound_run ON outbound(run);
CREATE TABLE outbound_lines (
    outbound BIGINT NOT NULL REFERENCES outbound(id),
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    po TEXT NOT NULL,
    line TEXT NOT NULL,
    quantity TEXT NOT NULL
);
CREATE INDEX outbound_lines_po ON outbound_lines(channel, kind, po);
CREATE TABLE ssccs (
    sscc TEXT PRIMARY KEY,
    outbound BIGINT NOT NULL REFERENCES outbound(id)
);
"#,
    r#"
-- Operators' decisions on quarantined files (`tallyman ledger resolve`): take_new, keep_old or
-- dismiss. A superseded document has route 'superseded' and names the file that replaced it.
CREATE TABLE resolutions (
    file BIGINT PRIMARY KEY REFERENCES files(id),
    decision TEXT NOT NULL,
    at TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE superseded (
    document BIGINT PRIMARY KEY REFERENCES documents(id),
    by_file BIGINT NOT NULL REFERENCES files(id)
);
"#,
    r#"
-- Workers sharing the ledger: the run's worker, the inputs claimed by unfinished runs, and each
-- worker's lease (it counts as alive until lease_until; its heartbeat renews it).
ALTER TABLE runs ADD COLUMN worker TEXT NOT NULL DEFAULT '';
CREATE INDEX runs_unfinished ON runs(worker) WHERE status IN ('started', 'committed');
CREATE TABLE claims (
    channel TEXT NOT NULL,
    name TEXT NOT NULL,
    run BIGINT NOT NULL REFERENCES runs(id),
    worker TEXT NOT NULL,
    PRIMARY KEY (channel, name)
);
CREATE INDEX claims_run ON claims(run);
CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    lease_until TIMESTAMPTZ NOT NULL
);
"#,
    crate::ledger::V1_HASH_INDEX,
];

/// The schema version the database holds (0 for an empty database).
fn version(db: &mut impl postgres::GenericClient) -> Result<i64> {
    db.batch_execute("CREATE TABLE IF NOT EXISTS tallyman_schema (version INT NOT NULL)")
        .map_err(db_err("schema version"))?;
    let row = db
        .query_one(
            "SELECT coalesce(max(version), 0)::BIGINT FROM tallyman_schema",
            &[],
        )
        .map_err(db_err("schema version"))?;
    Ok(row.get(0))
}

/// Brings the schema up to date, one migration per transaction under the advisory lock; a
/// newer schema is refused with [`Error::TooNew`].
pub(super) fn migrate(db: &mut Client) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    loop {
        let mut tx = db.transaction().map_err(db_err("migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])
            .map_err(db_err("migration"))?;
        let found = version(&mut tx)?;
        if found > known {
            return Err(Error::TooNew { found, known });
        }
        if found == known {
            tx.commit().map_err(db_err("migration"))?;
            return Ok(());
        }
        tx.batch_execute(MIGRATIONS[found as usize])
            .map_err(db_err("migration"))?;
        tx.execute("DELETE FROM tallyman_schema", &[])
            .map_err(db_err("migration"))?;
        let next = i32::try_from(found + 1).expect("a few migrations");
        tx.execute(
            "INSERT INTO tallyman_schema (version) VALUES ($1)",
            &[&next],
        )
        .map_err(db_err("migration"))?;
        tx.commit().map_err(db_err("migration"))?;
    }
}
