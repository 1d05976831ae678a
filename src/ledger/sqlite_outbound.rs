//! The SQLite side of [`super::outbound`]: purchase order lines, documents sent, the order
//! lines they covered and their SSCCs (migration 3 of `sqlite.rs`).

use super::outbound::{CoveredLine, OutboundRow, PoLine};
use super::sqlite::db_err;
use super::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub(super) fn add_po(
    db: &Connection,
    run: i64,
    channel: &str,
    po: &str,
    lines: &[PoLine],
    all: bool,
) -> Result<()> {
    // A replacement order's lines take the place of the original's; a change order's change
    // the lines of their numbers.
    if all {
        db.prepare_cached("DELETE FROM po_lines WHERE channel = ?1 AND po = ?2")
            .and_then(|mut st| st.execute(params![channel, po]))
            .map_err(db_err("record a purchase order"))?;
    }
    let mut st = db
        .prepare_cached(
            "INSERT OR REPLACE INTO po_lines (channel, po, line, run, value)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db_err("record a purchase order"))?;
    for l in lines {
        let value = serde_json::to_string(l).map_err(|e| Error::Corrupt(e.to_string()))?;
        st.execute(params![channel, po, l.line, run, value])
            .map_err(db_err("record a purchase order"))?;
    }
    Ok(())
}

pub(super) fn po_lines(db: &Connection, channel: &str, po: &str) -> Result<Option<Vec<PoLine>>> {
    let mut st = db
        .prepare_cached("SELECT value FROM po_lines WHERE channel = ?1 AND po = ?2")
        .map_err(db_err("purchase order lines"))?;
    let values: Vec<String> = st
        .query_map(params![channel, po], |r| r.get(0))
        .map_err(db_err("purchase order lines"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("purchase order lines"))?;
    if values.is_empty() {
        return Ok(None);
    }
    let mut lines = values
        .iter()
        .map(|v| serde_json::from_str::<PoLine>(v).map_err(|e| Error::Corrupt(e.to_string())))
        .collect::<Result<Vec<_>>>()?;
    // In the partner's order: "2" before "10".
    lines.sort_by(|a, b| (a.line.len(), &a.line).cmp(&(b.line.len(), &b.line)));
    Ok(Some(lines))
}

pub(super) fn covered(
    db: &Connection,
    channel: &str,
    kind: &str,
    po: &str,
    except: Option<&str>,
) -> Result<Vec<(String, Decimal)>> {
    let mut st = db
        .prepare_cached(
            "SELECT l.line, l.quantity FROM outbound_lines l JOIN outbound o ON o.id = l.outbound
             WHERE l.channel = ?1 AND l.kind = ?2 AND l.po = ?3
               AND (?4 IS NULL OR o.number <> ?4)",
        )
        .map_err(db_err("order lines covered"))?;
    let rows: Vec<(String, String)> = st
        .query_map(params![channel, kind, po, except], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(db_err("order lines covered"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("order lines covered"))?;
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    for (line, q) in rows {
        let q: Decimal = q
            .parse()
            .map_err(|e| Error::Corrupt(format!("quantity '{q}': {e}")))?;
        *sums.entry(line).or_default() += q;
    }
    Ok(sums.into_iter().collect())
}

pub(super) fn withdraw(db: &Connection, channel: &str, kind: &str, number: &str) -> Result<()> {
    let ids = "SELECT id FROM outbound WHERE channel = ?1 AND kind = ?2 AND number = ?3";
    db.prepare_cached(&format!(
        "DELETE FROM outbound_lines WHERE outbound IN ({ids})"
    ))
    .and_then(|mut st| st.execute(params![channel, kind, number]))
    .map_err(db_err("withdraw a document"))?;
    db.prepare_cached(&format!("DELETE FROM ssccs WHERE outbound IN ({ids})"))
        .and_then(|mut st| st.execute(params![channel, kind, number]))
        .map_err(db_err("withdraw a document"))?;
    Ok(())
}

pub(super) fn sscc_sent(db: &Connection, sscc: &str) -> Result<Option<(String, String)>> {
    db.prepare_cached(
        "SELECT o.channel, o.number FROM ssccs s JOIN outbound o ON o.id = s.outbound
         WHERE s.sscc = ?1",
    )
    .and_then(|mut st| {
        st.query_row([sscc], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    })
    .map_err(db_err("SSCCs sent"))
}

pub(super) fn add(
    db: &Connection,
    row: &OutboundRow,
    lines: &[CoveredLine],
    ssccs: &[String],
) -> Result<i64> {
    db.prepare_cached(
        "INSERT INTO outbound (run, channel, kind, number, orders, set_id, controls, ack_key,
            path, temp, bytes, sent, export, content_hash, purpose)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .and_then(|mut st| {
        st.execute(params![
            row.run,
            row.channel,
            row.kind,
            row.number,
            serde_json::to_string(&row.orders).unwrap_or_else(|_| "[]".into()),
            row.set_id,
            row.controls,
            row.ack_key,
            row.path,
            row.temp,
            row.bytes,
            row.sent,
            row.export,
            row.content_hash,
            row.purpose
        ])
    })
    .map_err(db_err("record a document sent"))?;
    let id = db.last_insert_rowid();
    let mut st = db
        .prepare_cached(
            "INSERT INTO outbound_lines (outbound, channel, kind, po, line, quantity)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db_err("record a document sent"))?;
    for l in lines {
        st.execute(params![
            id,
            row.channel,
            row.kind,
            l.po,
            l.line,
            l.quantity.to_string()
        ])
        .map_err(db_err("record a document sent"))?;
    }
    let mut st = db
        .prepare_cached("INSERT INTO ssccs (sscc, outbound) VALUES (?1, ?2)")
        .map_err(db_err("record a document sent"))?;
    for s in ssccs {
        st.execute(params![s, id])
            .map_err(db_err("record a document's SSCC"))?;
    }
    Ok(id)
}

const COLUMNS: &str = "id, run, channel, kind, number, orders, set_id, controls, ack_key, path,
    temp, sent, export, content_hash, purpose";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboundRow> {
    let orders: String = r.get(5)?;
    let orders: Vec<String> = serde_json::from_str(&orders).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(OutboundRow {
        id: r.get(0)?,
        run: r.get(1)?,
        channel: r.get(2)?,
        kind: r.get(3)?,
        number: r.get(4)?,
        orders,
        set_id: r.get(6)?,
        controls: r.get(7)?,
        ack_key: r.get(8)?,
        path: r.get(9)?,
        temp: r.get(10)?,
        bytes: Vec::new(),
        sent: r.get(11)?,
        export: r.get(12)?,
        content_hash: r.get(13)?,
        purpose: r.get(14)?,
    })
}

pub(super) fn list(db: &Connection, channel: Option<&str>) -> Result<Vec<OutboundRow>> {
    // Only what counts: documents of committed runs.
    let sql = format!(
        "SELECT {COLUMNS} FROM outbound WHERE (?1 IS NULL OR channel = ?1)
           AND run IN (SELECT id FROM runs WHERE status IN ('committed', 'finished'))
         ORDER BY id"
    );
    let mut st = db.prepare(&sql).map_err(db_err("documents sent"))?;
    st.query_map(params![channel], row)
        .map_err(db_err("documents sent"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("documents sent"))
}

/// The documents of one number. Every row is of a committed run or of the open one: a run
/// that dies before its commit leaves none.
pub(super) fn documents(
    db: &Connection,
    channel: &str,
    kind: &str,
    number: &str,
) -> Result<Vec<OutboundRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbound WHERE channel = ?1 AND kind = ?2 AND number = ?3 ORDER BY id"
    );
    let mut st = db.prepare_cached(&sql).map_err(db_err("documents sent"))?;
    st.query_map(params![channel, kind, number], row)
        .map_err(db_err("documents sent"))?
        .collect::<rusqlite::Result<_>>()
        .map_err(db_err("documents sent"))
}

/// A run's documents with their bytes, for completing it.
pub(super) fn of_run(db: &Connection, run: i64) -> Result<Vec<OutboundRow>> {
    let sql = format!("SELECT {COLUMNS}, bytes FROM outbound WHERE run = ?1 ORDER BY id");
    let mut st = db.prepare(&sql).map_err(db_err("documents of run"))?;
    st.query_map([run], |r| {
        let mut o = row(r)?;
        o.bytes = r.get(15)?;
        Ok(o)
    })
    .map_err(db_err("documents of run"))?
    .collect::<rusqlite::Result<_>>()
    .map_err(db_err("documents of run"))
}
