//! The ledger's lookups on PostgreSQL: what was seen (files, documents, interchanges), runs
//! and their details, totals, acknowledgments and quarantined files. Each is its `sqlite.rs`
//! twin, query for query; they run on the run's connection, so that they see its open
//! transaction.

use super::super::{
    AckRow, Disposition, DocKey, DocRow, FileRow, QuarantinedFile, Result, Route, RunDetail,
    RunSummary, SeenDocument, SeenFile, Totals,
};
use super::conn::Conn;
use super::db_err;
use postgres::Row;

pub(super) fn files_of(db: &mut Conn, run: i64) -> Result<Vec<FileRow>> {
    let rows = db
        .query(
            "SELECT channel, name, sha256, size, disposition, staged, stored, origin,
                    remove_origin, replay_of FROM files WHERE run = $1 ORDER BY id",
            &[&run],
        )
        .map_err(db_err("files of run"))?;
    Ok(rows
        .iter()
        .map(|r| FileRow {
            channel: r.get(0),
            name: r.get(1),
            sha256: r.get(2),
            size: r.get::<_, i64>(3) as u64,
            disposition: Disposition::parse(r.get(4)),
            staged: r.get(5),
            stored: r.get(6),
            origin: r.get(7),
            remove_origin: r.get(8),
            replay_of: r.get(9),
        })
        .collect())
}

pub(super) fn acks_of_run(db: &mut Conn, run: i64) -> Result<Vec<AckRow>> {
    let rows = db
        .query(
            "SELECT channel, kind, acknowledged, verdict, controls, temp, path FROM acks
             WHERE run = $1 ORDER BY id",
            &[&run],
        )
        .map_err(db_err("acknowledgments"))?;
    Ok(rows.iter().map(ack_row).collect())
}

pub(super) fn summary(db: &mut Conn, id: i64) -> Result<Option<RunSummary>> {
    let row = db
        .query_opt(
            "SELECT r.id, r.started, r.finished, r.status,
                (SELECT count(*) FROM files f WHERE f.run = r.id),
                (SELECT count(*) FROM documents d
                    WHERE d.run = r.id AND d.route IN ('accepted', 'superseded')),
                (SELECT count(*) FROM documents d WHERE d.run = r.id AND d.route = 'duplicate'),
                (SELECT count(*) FROM documents d WHERE d.run = r.id AND d.route = 'conflict'),
                (SELECT count(*) FROM documents d WHERE d.run = r.id AND d.route = 'rejected')
             FROM runs r WHERE r.id = $1",
            &[&id],
        )
        .map_err(db_err("run summary"))?;
    Ok(row.map(|r| RunSummary {
        id: r.get(0),
        started: r.get(1),
        finished: r.get(2),
        status: r.get(3),
        files: r.get::<_, i64>(4) as u64,
        accepted: r.get::<_, i64>(5) as u64,
        duplicate: r.get::<_, i64>(6) as u64,
        conflict: r.get::<_, i64>(7) as u64,
        rejected: r.get::<_, i64>(8) as u64,
    }))
}

pub(super) fn acks_sent(db: &mut Conn, channel: &str) -> Result<Vec<AckRow>> {
    let rows = db
        .query(
            "SELECT channel, kind, acknowledged, verdict, controls, temp, path FROM acks
             WHERE channel = $1 ORDER BY id",
            &[&channel],
        )
        .map_err(db_err("acknowledgments"))?;
    Ok(rows.iter().map(ack_row).collect())
}

pub(super) fn acks_received(db: &mut Conn, channel: &str) -> Result<Vec<(String, String)>> {
    let rows = db
        .query(
            "SELECT number, document FROM acks_received WHERE channel = $1 ORDER BY id",
            &[&channel],
        )
        .map_err(db_err("received acknowledgments"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub(super) fn file_by_sha(db: &mut Conn, channel: &str, sha256: &str) -> Result<Option<SeenFile>> {
    db.query_opt(
        "SELECT id, run, channel, name, disposition FROM files
             WHERE channel = $1 AND sha256 = $2 AND disposition != 'duplicate_file'
             ORDER BY id LIMIT 1",
        &[&channel, &sha256],
    )
    .map(|r| r.as_ref().map(seen_file))
    .map_err(db_err("file by checksum"))
}

pub(super) fn accepted_document(db: &mut Conn, key: &DocKey) -> Result<Option<SeenDocument>> {
    db.query_opt(
        r#"SELECT d.run, f.name, d."offset", d.content_hash, d.file FROM documents d
             JOIN files f ON f.id = d.file
             WHERE d.channel = $1 AND d.kind = $2 AND d.number = $3 AND d.purpose = $4
               AND d.route = 'accepted'"#,
        &[&key.channel, &key.kind, &key.number, &key.purpose],
    )
    .map(|r| {
        r.map(|r| SeenDocument {
            run: r.get(0),
            file: r.get(1),
            offset: r.get::<_, i64>(2) as u64,
            content_hash: r.get(3),
            file_id: r.get(4),
        })
    })
    .map_err(db_err("document lookup"))
}

/// Answered from the partial index `documents_v1`, which holds only such rows.
pub(super) fn holds_v1_hashes(db: &mut Conn) -> Result<bool> {
    db.query_one(crate::ledger::V1_HASH_QUERY, &[])
        .map(|r| r.get(0))
        .map_err(db_err("v1 content hash lookup"))
}

pub(super) fn accepted_documents(
    db: &mut Conn,
    keys: &[DocKey],
) -> Result<Vec<Option<SeenDocument>>> {
    let mut cols: [Vec<&str>; 4] = Default::default();
    for k in keys {
        for (col, v) in cols
            .iter_mut()
            .zip([&k.channel, &k.kind, &k.number, &k.purpose])
        {
            col.push(v.as_str());
        }
    }
    let [channel, kind, number, purpose] = &cols;
    let rows = db
        .query(
            // One index lookup per key (LATERAL): with the estimates of a table filled by the
            // run's own transaction, never analyzed, a plain join was planned as a merge join
            // over every accepted document, once per chunk (15 of 27 s for 1,000 files).
            r#"SELECT k.ord, d.run, f.name, d."offset", d.content_hash, d.file
             FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[])
                WITH ORDINALITY AS k(channel, kind, number, purpose, ord)
             CROSS JOIN LATERAL (
                SELECT a.run, a."offset", a.content_hash, a.file FROM documents a
                WHERE a.channel = k.channel AND a.kind = k.kind AND a.number = k.number
                  AND a.purpose = k.purpose AND a.route = 'accepted'
                LIMIT 1) d
             JOIN files f ON f.id = d.file"#,
            &[channel, kind, number, purpose],
        )
        .map_err(db_err("document lookup"))?;
    let mut out = vec![None; keys.len()];
    for r in rows {
        let i = r.get::<_, i64>(0) as usize - 1;
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(SeenDocument {
                run: r.get(1),
                file: r.get(2),
                offset: r.get::<_, i64>(3) as u64,
                content_hash: r.get(4),
                file_id: r.get(5),
            });
        }
    }
    Ok(out)
}

pub(super) fn interchange(
    db: &mut Conn,
    sender: &str,
    receiver: &str,
    control: &str,
) -> Result<Option<SeenFile>> {
    db.query_opt(
        "SELECT f.id, f.run, f.channel, f.name, f.disposition FROM interchanges i
             JOIN files f ON f.id = i.file
             WHERE i.sender = $1 AND i.receiver = $2 AND i.control = $3",
        &[&sender, &receiver, &control],
    )
    .map(|r| r.as_ref().map(seen_file))
    .map_err(db_err("interchange lookup"))
}

pub(super) fn quarantined_files(db: &mut Conn) -> Result<Vec<QuarantinedFile>> {
    let rows = db
        .query(
            "SELECT f.id, f.run, f.channel, f.name, f.stored, f.sha256, r.started FROM files f
             JOIN runs r ON r.id = f.run
             WHERE f.disposition = 'quarantined' AND f.replayed_by IS NULL
               AND f.id NOT IN (SELECT file FROM resolutions WHERE decision != 'take_new')
               AND r.status IN ('committed', 'finished')
             ORDER BY f.id",
            &[],
        )
        .map_err(db_err("quarantined files"))?;
    Ok(rows
        .iter()
        .map(|r| QuarantinedFile {
            id: r.get(0),
            run: r.get(1),
            channel: r.get(2),
            name: r.get(3),
            stored: r.get(4),
            sha256: r.get(5),
            received: r.get(6),
        })
        .collect())
}

pub(super) fn runs(db: &mut Conn, limit: usize) -> Result<Vec<RunSummary>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ids: Vec<i64> = db
        .query("SELECT id FROM runs ORDER BY id DESC LIMIT $1", &[&limit])
        .map_err(db_err("runs"))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(summary(db, id)?);
    }
    Ok(out)
}

pub(super) fn run_detail(db: &mut Conn, run: i64) -> Result<Option<RunDetail>> {
    let Some(summary) = summary(db, run)? else {
        return Ok(None);
    };
    let files = files_of(db, run)?;
    let rows = db
        .query(
            r#"SELECT (SELECT count(*) FROM files g WHERE g.run = d.run AND g.id < d.file),
                    channel, kind, number, purpose, content_hash, route, "offset", controls,
                    reason
             FROM documents d WHERE run = $1 ORDER BY id"#,
            &[&run],
        )
        .map_err(db_err("documents of run"))?;
    let docs = rows
        .iter()
        .map(|r| DocRow {
            file: r.get::<_, i64>(0) as usize,
            key: DocKey {
                channel: r.get(1),
                kind: r.get(2),
                number: r.get(3),
                purpose: r.get(4),
            },
            content_hash: r.get(5),
            route: route(r.get(6)),
            offset: r.get::<_, i64>(7) as u64,
            controls: r.get(8),
            reason: r.get(9),
        })
        .collect();
    Ok(Some((summary, files, docs)))
}

pub(super) fn totals(db: &mut Conn) -> Result<Totals> {
    let conn = db;
    let documents = conn
        .query(
            "SELECT d.channel, d.kind, d.route, count(*) FROM documents d
             JOIN runs r ON r.id = d.run WHERE r.status IN ('committed', 'finished')
             GROUP BY d.channel, d.kind, d.route ORDER BY d.channel, d.kind, d.route",
            &[],
        )
        .map_err(db_err("document totals"))?
        .iter()
        .map(|r| super::super::DocumentTotal {
            channel: r.get(0),
            kind: r.get(1),
            route: r.get(2),
            count: count(r, 3),
        })
        .collect();
    let channels = conn
        .query(
            "SELECT f.channel, count(*), coalesce(sum(f.size), 0)::BIGINT,
                    max(CASE WHEN f.replay_of IS NULL THEN r.started END)
             FROM files f JOIN runs r ON r.id = f.run
             WHERE r.status IN ('committed', 'finished')
             GROUP BY f.channel ORDER BY f.channel",
            &[],
        )
        .map_err(db_err("file totals"))?
        .iter()
        .map(|r| super::super::ChannelTotal {
            channel: r.get(0),
            files: count(r, 1),
            bytes: count(r, 2),
            last_file: r.get(3),
        })
        .collect();
    Ok(Totals {
        documents,
        channels,
    })
}

pub(super) fn conflicts_of(db: &mut Conn, file: i64) -> Result<Vec<DocKey>> {
    // SQLite's `SELECT DISTINCT ... ORDER BY id`: each identity once, in the order of its
    // first row.
    let rows = db
        .query(
            "SELECT channel, kind, number, purpose FROM documents
             WHERE file = $1 AND route = 'conflict'
             GROUP BY channel, kind, number, purpose ORDER BY min(id)",
            &[&file],
        )
        .map_err(db_err("conflicts of a file"))?;
    Ok(rows
        .iter()
        .map(|r| DocKey {
            channel: r.get(0),
            kind: r.get(1),
            number: r.get(2),
            purpose: r.get(3),
        })
        .collect())
}

pub(super) fn received(db: &mut Conn, channel: &str) -> Result<Vec<(String, u64)>> {
    let rows = db
        .query(
            "SELECT DISTINCT f.name, f.size FROM files f JOIN runs r ON r.id = f.run
             WHERE f.channel = $1 AND r.status IN ('committed', 'finished')",
            &[&channel],
        )
        .map_err(db_err("files received"))?;
    Ok(rows.iter().map(|r| (r.get(0), count(r, 1))).collect())
}

fn ack_row(r: &Row) -> AckRow {
    AckRow {
        file: 0,
        channel: r.get(0),
        kind: r.get(1),
        acknowledged: r.get(2),
        verdict: r.get(3),
        controls: r.get(4),
        temp: r.get(5),
        path: r.get(6),
    }
}

fn seen_file(r: &Row) -> SeenFile {
    SeenFile {
        id: r.get(0),
        run: r.get(1),
        channel: r.get(2),
        name: r.get(3),
        disposition: Disposition::parse(r.get(4)),
    }
}

fn route(s: &str) -> Route {
    match s {
        "accepted" => Route::Accepted,
        "duplicate" => Route::Duplicate,
        "conflict" => Route::Conflict,
        "superseded" => Route::Superseded,
        _ => Route::Rejected,
    }
}

fn count(r: &Row, i: usize) -> u64 {
    r.get::<_, i64>(i).try_into().unwrap_or(0)
}
