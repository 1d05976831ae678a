//! Acknowledgments for what we sent: the partners' 997, 999, TA1 and CONTRL matched to the
//! ship notices and invoices we sent them.
//!
//! Phase: after routing (the partner's acks of this run are in the ledger) and for `tallyman
//! ledger outbound`. Every document we send is the only set of its own interchange and group,
//! so an acknowledgment finds it by the number it carries: `GS:SH:17` (a 997 or 999 of our
//! group 17), `ISA:000000017` (a TA1 of our interchange), `UNB:17` (a CONTRL). A set-level
//! verdict (AK2/AK5, UCM) for our ST02 or UNH 0062 decides over the group's or interchange's.
//! A document without a matching ack is awaited until the channel's `ack_due` has passed since
//! it was sent, then overdue. An ack that matches nothing we sent is reported, never dropped.

use crate::ledger::outbound::OutboundRow;
use crate::model::ack::{AckVerdict, Acknowledgment};
use serde::Serialize;
use std::time::Duration;

/// What became of one document we sent.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// `accepted`, `accepted_with_errors`, `rejected`, `received` (a CONTRL that says only
    /// that it arrived), `overdue`, `awaiting`.
    pub status: &'static str,
    /// The acknowledgment's own words: its type, codes and file.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Documents with their status, and the acknowledgments that match nothing.
#[derive(Debug, Default)]
pub struct Matched {
    pub documents: Vec<(OutboundRow, Status)>,
    /// (what it acknowledges, its canonical JSON).
    pub unmatched: Vec<(String, String)>,
}

/// Matches `received` (identity and canonical JSON, oldest first, as the ledger keeps them)
/// to `sent`; the latest ack of a document decides (a partner may re-send one).
pub fn match_acks(
    sent: Vec<OutboundRow>,
    received: &[(String, String)],
    due: Option<Duration>,
    now: jiff::Timestamp,
) -> Matched {
    let acks: Vec<(&str, Option<Acknowledgment>, &str)> = received
        .iter()
        .map(|(n, json)| (n.as_str(), serde_json::from_str(json).ok(), json.as_str()))
        .collect();
    let mut used = vec![false; acks.len()];
    let mut out = Matched::default();
    for row in sent {
        let isa = row.controls.split('/').next().unwrap_or_default();
        let set_control = row.controls.rsplit('/').next().unwrap_or_default();
        let keys = [key(&row.ack_key), key(&format!("ISA:{isa}"))];
        let mut status = None;
        for (i, (number, ack, _)) in acks.iter().enumerate() {
            let number = key(number);
            if !keys.contains(&number) {
                continue;
            }
            used[i] = true;
            if let Some(a) = ack {
                status = Some(verdict(a, set_control));
            }
        }
        let status = status.unwrap_or_else(|| waiting(&row, due, now));
        out.documents.push((row, status));
    }
    out.unmatched = acks
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|((n, _, json), _)| ((*n).to_owned(), (*json).to_owned()))
        .collect();
    out
}

/// An acknowledgment's identity with its control number read as a number: a partner may
/// quote our GS06 `17` as `000000017`, our UNB 0020 `17` as `00017`.
fn key(s: &str) -> String {
    match s.rsplit_once(':') {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            let n = n.trim_start_matches('0');
            format!("{head}:{}", if n.is_empty() { "0" } else { n })
        }
        _ => s.to_owned(),
    }
}

/// What one acknowledgment says of our set (or, without a word on it, of the whole).
fn verdict(a: &Acknowledgment, set_control: &str) -> Status {
    let same = |c: &str| c.trim_start_matches('0') == set_control.trim_start_matches('0');
    let set = a.sets.iter().find(|s| same(&s.control));
    let (v, codes) = match set {
        Some(s) => (s.verdict, &s.codes),
        None => (a.verdict, &a.codes),
    };
    let status = match v {
        AckVerdict::Accepted => "accepted",
        AckVerdict::AcceptedWithErrors => "accepted_with_errors",
        AckVerdict::Received => "received",
        // A group some of whose sets were rejected, with ours not named: ours is its only set.
        AckVerdict::PartiallyAccepted | AckVerdict::Rejected => "rejected",
        _ => "rejected",
    };
    let codes: Vec<String> = codes
        .iter()
        .map(|c| format!("{} {}", c.code, c.meaning))
        .collect();
    let mut detail = format!(
        "{} {} in {}",
        serde_json::to_value(a.ack_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
            .to_uppercase(),
        a.verdict_code,
        a.source.file
    );
    if !codes.is_empty() {
        detail.push_str(&format!(" ({})", codes.join("; ")));
    }
    Status { status, detail }
}

fn waiting(row: &OutboundRow, due: Option<Duration>, now: jiff::Timestamp) -> Status {
    let sent = row.sent.parse::<jiff::Timestamp>().ok();
    let overdue = match (due, sent) {
        (Some(due), Some(sent)) => jiff::SignedDuration::try_from(due)
            .ok()
            .is_some_and(|d| now.duration_since(sent) > d),
        _ => false,
    };
    Status {
        status: if overdue { "overdue" } else { "awaiting" },
        detail: match (overdue, due) {
            (true, Some(due)) => format!(
                "no acknowledgment {} after it was sent (ack_due)",
                jiff::SignedDuration::try_from(due)
                    .map(|d| format!("{d:#}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        },
    }
}

/// The run report's word on acknowledgments: what those received in this run (`now`: channel,
/// identity, canonical JSON) say of what we sent, and what is overdue on channels with an
/// `ack_due`.
pub(super) fn report(
    cfg: &super::settings::Config,
    ledger: &dyn crate::ledger::Ledger,
    now: &[(String, String, String)],
    out: &mut super::report::OutboundReport,
) -> Result<(), super::Error> {
    let at = jiff::Timestamp::now();
    let entry = |row: &OutboundRow, st: &Status| super::report::AckedEntry {
        channel: row.channel.clone(),
        kind: row.kind.clone(),
        number: row.number.clone(),
        orders: row.orders.clone(),
        set: row.set_id.clone(),
        controls: row.controls.clone(),
        sent: row.sent.clone(),
        status: st.status.to_owned(),
        detail: st.detail.clone(),
    };
    for ch in &cfg.channels {
        let fresh: Vec<(String, String)> = now
            .iter()
            .filter(|(c, _, _)| *c == ch.id)
            .map(|(_, n, j)| (n.clone(), j.clone()))
            .collect();
        if fresh.is_empty() && ch.ack_due.is_none() {
            continue;
        }
        let sent = ledger.outbound(Some(&ch.id))?;
        if sent.is_empty() && fresh.is_empty() {
            continue;
        }
        if !fresh.is_empty() {
            let m = match_acks(sent.clone(), &fresh, None, at);
            out.acknowledged.extend(
                m.documents
                    .iter()
                    .filter(|(_, s)| s.status != "awaiting")
                    .map(|(r, s)| entry(r, s)),
            );
            out.unmatched_acks.extend(
                m.unmatched
                    .into_iter()
                    .map(|(n, _)| format!("{n} from {}", ch.id)),
            );
        }
        if ch.ack_due.is_some() {
            let all = ledger.acks_received(&ch.id)?;
            let m = match_acks(sent, &all, ch.ack_due, at);
            out.overdue.extend(
                m.documents
                    .iter()
                    .filter(|(_, s)| s.status == "overdue")
                    .map(|(r, s)| entry(r, s)),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(controls: &str, key: &str, sent: &str) -> OutboundRow {
        OutboundRow {
            id: 1,
            run: 1,
            channel: "acme".into(),
            kind: "ship_notice".into(),
            number: "SH1".into(),
            purpose: "original".into(),
            content_hash: String::new(),
            orders: vec!["PO1".into()],
            set_id: "856".into(),
            controls: controls.into(),
            ack_key: key.into(),
            path: "out/acme-856-000000017.x12".into(),
            temp: String::new(),
            bytes: Vec::new(),
            sent: sent.into(),
            export: String::new(),
        }
    }

    fn ack(number: &str, verdict: &str, sets: &str) -> (String, String) {
        (
            number.into(),
            format!(
                r#"{{"type":"acknowledgment","ack_type":"997","number":"{number}","purpose":"original",
                "acknowledged":{{}},"verdict":"{verdict}","verdict_code":"X","sets":[{sets}],
                "source":{{"standard":"x12","set":"997","file":"in/ack.x12"}}}}"#
            ),
        )
    }

    #[test]
    fn a_set_verdict_decides_and_unmatched_acks_are_kept() {
        let now: jiff::Timestamp = "2026-12-03T12:00:00Z".parse().expect("time");
        let sent = vec![
            row("000000017/17/0017", "GS:SH:17", "2026-12-03T10:00:00Z"),
            row("000000018/18/0018", "GS:SH:18", "2026-12-01T10:00:00Z"),
            row("000000019/19/0019", "GS:SH:19", "2026-12-03T11:00:00Z"),
        ];
        let received = vec![
            ack(
                "GS:SH:17",
                "partially_accepted",
                r#"{"set_id":"856","control":"0017","verdict":"rejected","verdict_code":"R"}"#,
            ),
            ack("GS:SH:99", "accepted", ""),
            // Our GS06 quoted zero-padded.
            ack("GS:SH:000000019", "accepted", ""),
        ];
        let m = match_acks(sent, &received, Some(Duration::from_secs(24 * 3600)), now);
        let statuses: Vec<&str> = m.documents.iter().map(|(_, s)| s.status).collect();
        assert_eq!(statuses, ["rejected", "overdue", "accepted"]);
        assert_eq!(m.unmatched.len(), 1);
        assert_eq!(m.unmatched[0].0, "GS:SH:99");
    }
}
