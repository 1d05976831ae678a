//! The PostgreSQL side of [`super::super::outbound`]: purchase order lines, documents sent,
//! the order lines they covered and their SSCCs (migration 3 of `schema.rs`). Query for query
//! the same as `sqlite_outbound.rs`.

use super::super::outbound::{CoveredLine, OutboundRow, PoLine};
use super::super::{Error, Result};
use super::conn::Conn;
use super::db_err;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub(super) fn add_po(
    db: &mut Conn,
    run: i64,
    channel: &str,
    po: &str,
    lines: &[PoLine],
    all: bool,
) -> Result<()> {
    // A replacement order's lines take the place of the original's; a change order's change
    // the lines of their numbers.
    if all {
        db.execute(
            "DELETE FROM po_lines WHERE channel = $1 AND po = $2",
            &[&channel, &po],
        )
        .map_err(db_err("record a purchase order"))?;
    }
    for l in lines {
        let value = serde_json::to_string(l).map_err(|e| Error::Corrupt(e.to_string()))?;
        db.execute(
            "INSERT INTO po_lines (channel, po, line, run, value) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (channel, po, line) DO UPDATE SET run = excluded.run,
                value = excluded.value",
            &[&channel, &po, &l.line, &run, &value],
        )
        .map_err(db_err("record a purchase order"))?;
    }
    Ok(())
}

pub(super) fn po_lines(db: &mut Conn, channel: &str, po: &str) -> Result<Option<Vec<PoLine>>> {
    let rows = db
        .query(
            "SELECT value FROM po_lines WHERE channel = $1 AND po = $2",
            &[&channel, &po],
        )
        .map_err(db_err("purchase order lines"))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut lines = rows
        .iter()
        .map(|r| {
            serde_json::from_str::<PoLine>(r.get(0)).map_err(|e| Error::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    // In the partner's order: "2" before "10".
    lines.sort_by(|a, b| (a.line.len(), &a.line).cmp(&(b.line.len(), &b.line)));
    Ok(Some(lines))
}

pub(super) fn covered(
    db: &mut Conn,
    channel: &str,
    kind: &str,
    po: &str,
    except: Option<&str>,
) -> Result<Vec<(String, Decimal)>> {
    let rows = db
        .query(
            "SELECT l.line, l.quantity FROM outbound_lines l JOIN outbound o ON o.id = l.outbound
             WHERE l.channel = $1 AND l.kind = $2 AND l.po = $3
               AND ($4::TEXT IS NULL OR o.number <> $4)",
            &[&channel, &kind, &po, &except],
        )
        .map_err(db_err("order lines covered"))?;
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in rows {
        let q: &str = r.get(1);
        let q: Decimal = q
            .parse()
            .map_err(|e| Error::Corrupt(format!("quantity '{q}': {e}")))?;
        *sums.entry(r.get(0)).or_default() += q;
    }
    Ok(sums.into_iter().collect())
}

pub(super) fn withdraw(db: &mut Conn, channel: &str, kind: &str, number: &str) -> Result<()> {
    db.execute(
        "DELETE FROM outbound_lines WHERE outbound IN
            (SELECT id FROM outbound WHERE channel = $1 AND kind = $2 AND number = $3)",
        &[&channel, &kind, &number],
    )
    .map_err(db_err("withdraw a document"))?;
    db.execute(
        "DELETE FROM ssccs WHERE outbound IN
            (SELECT id FROM outbound WHERE channel = $1 AND kind = $2 AND number = $3)",
        &[&channel, &kind, &number],
    )
    .map_err(db_err("withdraw a document"))?;
    Ok(())
}

pub(super) fn sscc_sent(db: &mut Conn, sscc: &str) -> Result<Option<(String, String)>> {
    db.query_opt(
        "SELECT o.channel, o.number FROM ssccs s JOIN outbound o ON o.id = s.outbound
         WHERE s.sscc = $1",
        &[&sscc],
    )
    .map(|r| r.map(|r| (r.get(0), r.get(1))))
    .map_err(db_err("SSCCs sent"))
}

pub(super) fn add(
    db: &mut Conn,
    row: &OutboundRow,
    lines: &[CoveredLine],
    ssccs: &[String],
) -> Result<i64> {
    let orders = serde_json::to_string(&row.orders).unwrap_or_else(|_| "[]".into());
    let id: i64 = db
        .query_one(
            "INSERT INTO outbound (run, channel, kind, number, orders, set_id, controls, ack_key,
                path, temp, bytes, sent, export, content_hash, purpose)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             RETURNING id",
            &[
                &row.run,
                &row.channel,
                &row.kind,
                &row.number,
                &orders,
                &row.set_id,
                &row.controls,
                &row.ack_key,
                &row.path,
                &row.temp,
                &row.bytes,
                &row.sent,
                &row.export,
                &row.content_hash,
                &row.purpose,
            ],
        )
        .map_err(db_err("record a document sent"))?
        .get(0);
    for l in lines {
        db.execute(
            "INSERT INTO outbound_lines (outbound, channel, kind, po, line, quantity)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id,
                &row.channel,
                &row.kind,
                &l.po,
                &l.line,
                &l.quantity.to_string(),
            ],
        )
        .map_err(db_err("record a document sent"))?;
    }
    for s in ssccs {
        db.execute(
            "INSERT INTO ssccs (sscc, outbound) VALUES ($1, $2)",
            &[s, &id],
        )
        .map_err(db_err("record a document's SSCC"))?;
    }
    Ok(id)
}

fn row(r: &postgres::Row) -> Result<OutboundRow> {
    let orders: Vec<String> =
        serde_json::from_str(r.get(5)).map_err(|e| Error::Corrupt(format!("orders: {e}")))?;
    Ok(OutboundRow {
        id: r.get(0),
        run: r.get(1),
        channel: r.get(2),
        kind: r.get(3),
        number: r.get(4),
        orders,
        set_id: r.get(6),
        controls: r.get(7),
        ack_key: r.get(8),
        path: r.get(9),
        temp: r.get(10),
        bytes: Vec::new(),
        sent: r.get(11),
        export: r.get(12),
        content_hash: r.get(13),
        purpose: r.get(14),
    })
}

pub(super) fn list(db: &mut Conn, channel: Option<&str>) -> Result<Vec<OutboundRow>> {
    // Only what counts: documents of committed runs.
    db.query(
        "SELECT id, run, channel, kind, number, orders, set_id, controls, ack_key, path,
            temp, sent, export, content_hash, purpose
         FROM outbound WHERE ($1::TEXT IS NULL OR channel = $1)
           AND run IN (SELECT id FROM runs WHERE status IN ('committed', 'finished'))
         ORDER BY id",
        &[&channel],
    )
    .map_err(db_err("documents sent"))?
    .iter()
    .map(row)
    .collect()
}

/// The documents of one number. Every row is of a committed run or of the open one: a run
/// that dies before its commit leaves none.
pub(super) fn documents(
    db: &mut Conn,
    channel: &str,
    kind: &str,
    number: &str,
) -> Result<Vec<OutboundRow>> {
    db.query(
        "SELECT id, run, channel, kind, number, orders, set_id, controls, ack_key, path,
            temp, sent, export, content_hash, purpose
         FROM outbound WHERE channel = $1 AND kind = $2 AND number = $3 ORDER BY id",
        &[&channel, &kind, &number],
    )
    .map_err(db_err("documents sent"))?
    .iter()
    .map(row)
    .collect()
}

/// A run's documents with their bytes, for completing it.
pub(super) fn of_run(db: &mut Conn, run: i64) -> Result<Vec<OutboundRow>> {
    db.query(
        "SELECT id, run, channel, kind, number, orders, set_id, controls, ack_key, path,
            temp, sent, export, content_hash, purpose, bytes
         FROM outbound WHERE run = $1 ORDER BY id",
        &[&run],
    )
    .map_err(db_err("documents of run"))?
    .iter()
    .map(|r| {
        let mut o = row(r)?;
        o.bytes = r.get(15);
        Ok(o)
    })
    .collect()
}
