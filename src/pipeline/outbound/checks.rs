//! What a document must pass before it is written: whether its number went before (and for
//! what purpose), the business rules, and the checks against the partner's PO.

use super::super::settings::{Channel, Send};
use super::Error;
use crate::ledger::Ledger;
use crate::ledger::outbound::OutboundRow;
use crate::model::Document;
use crate::rules::presend::{self, PoState};
use std::collections::{BTreeMap, HashMap};

/// A document with the same number sent to the channel before.
pub enum Before {
    /// With the same purpose and content: it is not sent again (a sentence saying when it
    /// was sent).
    Same(String),
    /// It cannot be sent: held (the sentence, with its rule code).
    Other(String),
}

/// Why the channel's partner does not take this kind of document (`send.documents`), if it
/// does not.
pub fn not_taken(channel: &Channel, send: &Send, doc: &Document) -> Option<String> {
    (!send.documents.iter().any(|d| d == doc.kind())).then(|| {
        format!(
            "not_sent_to_channel: channel {} takes no {}s (send.documents = {:?})",
            channel.id,
            doc.kind().replace('_', " "),
            send.documents
        )
    })
}

/// The wire name of a purpose (`original`, `replace`, `cancel`...).
pub(super) fn purpose_name(p: crate::model::Purpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a document replaces or cancels one sent under its number.
pub(super) fn amends(doc: &Document) -> bool {
    matches!(
        doc.purpose(),
        crate::model::Purpose::Replace | crate::model::Purpose::Cancel
    )
}

/// The document's content hash, and what its number was sent as before. A number is sent
/// once per purpose: an original once, then replacements and a cancellation of it, each once.
pub fn sent_before(
    ledger: &dyn Ledger,
    channel: &Channel,
    doc: &Document,
) -> Result<(String, Option<Before>), Error> {
    let kind = doc.kind();
    let purpose = purpose_name(doc.purpose());
    let hash = crate::model::hash::ValueHasher::new()
        .document(doc)
        .map(|h| crate::model::hash::ContentHash::V2(h).to_string())
        .map_err(|e| Error::Setup(format!("hashing an exported document: {e}")))?;
    let rows = ledger.outbound_documents(&channel.id, kind, doc.number())?;
    let what = |b: &OutboundRow| {
        format!(
            "{} {} ({}) was sent to {} in run {} ({})",
            kind.replace('_', " "),
            doc.number(),
            b.purpose,
            channel.id,
            b.run,
            b.path
        )
    };
    let replacing = doc.purpose() == crate::model::Purpose::Replace;
    let before = if let Some(b) = rows
        .iter()
        .find(|b| b.purpose == purpose && b.content_hash == hash)
    {
        Some(Before::Same(format!(
            "already_sent: {}, with the same content",
            what(b)
        )))
    } else if let Some(b) = rows.iter().find(|b| b.purpose == "cancel") {
        Some(Before::Other(format!(
            "sent_before: {}: a cancelled number is not sent again; use a new number",
            what(b)
        )))
    } else if let Some(b) = rows.iter().find(|b| b.purpose == purpose && !replacing) {
        // An original goes once; replacements may follow one another.
        Some(Before::Other(format!(
            "sent_before: {} with other content; a partner takes a number once: send a correction as a replacement (purpose replace), or use a new number",
            what(b)
        )))
    } else if amends(doc) && !rows.iter().any(|b| b.purpose == "original") {
        Some(Before::Other(format!(
            "nothing_to_amend: {} {} would {} a document never sent to {} under that number: check the number (an amendment goes after the document it amends, in this run or an earlier one)",
            kind.replace('_', " "),
            doc.number(),
            if doc.purpose() == crate::model::Purpose::Cancel {
                "cancel"
            } else {
                "replace"
            },
            channel.id
        )))
    } else if !amends(doc)
        && let Some(b) = rows.first()
    {
        Some(Before::Other(format!(
            "sent_before: {}; a partner takes a number once: send a correction as a replacement (purpose replace), or use a new number",
            what(b)
        )))
    } else {
        None
    };
    Ok((hash, before))
}

/// The business rules and the checks against the partner's PO (from `ledger`); the problems
/// found (rule code, colon, sentence) and what the document covers of the PO.
pub fn check_against_po(
    doc: &Document,
    channel: &Channel,
    send: &Send,
    ledger: &dyn Ledger,
) -> Result<(Vec<String>, presend::Checked), Error> {
    // A cancellation ships and invoices nothing: it withdraws what its number covered.
    if doc.purpose() == crate::model::Purpose::Cancel {
        return Ok((Vec::new(), presend::Checked::default()));
    }
    let mut problems: Vec<String> = crate::rules::check(doc)
        .into_iter()
        .map(|v| format!("{}: {}", v.rule, v.message))
        .collect();
    let mut pos = BTreeMap::new();
    for po in presend::orders_of(doc) {
        let lines = ledger.po_lines(&channel.id, &po)?;
        // A replacement is checked as if what it replaces had not been sent.
        // (Of its own kind only: an ERP may number a delivery's ship notice and invoice alike.)
        let sum = |kind: &str| -> Result<HashMap<String, rust_decimal::Decimal>, Error> {
            let except = (amends(doc) && kind == doc.kind()).then(|| doc.number());
            Ok(ledger
                .covered(&channel.id, kind, &po, except)?
                .into_iter()
                .collect())
        };
        let state = PoState {
            lines,
            shipped: sum("ship_notice")?,
            invoiced: sum("invoice")?,
        };
        pos.insert(po, state);
    }
    // Earlier ship notices' SSCCs, looked up first so that a ledger error stops the run
    // instead of passing for "never sent".
    let mut earlier = HashMap::new();
    if let Document::ShipNotice(s) = doc {
        for sscc in s.packages.iter().filter_map(|p| p.sscc.as_deref()) {
            let key = presend::sscc_key(sscc);
            if let Some((c, n)) = ledger.sscc_sent(&key)?
                // A replacement keeps the packages of the notice it replaces.
                && !(amends(doc) && c == channel.id && n == doc.number())
            {
                earlier.insert(key, format!("{n} (channel {c})"));
            }
        }
    }
    let sscc_sent = |s: &str| earlier.get(s).cloned();
    let checked = presend::check(doc, &pos, &sscc_sent, &send.policy);
    problems.extend(
        checked
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.rule, v.message)),
    );
    Ok((problems, checked))
}

/// The export as the partner reads it: a ship notice's lines without an order of their own
/// belong to its one order (the 856's HL order level, the DESADV's line RFF+ON), and every
/// order a line names is among its `order_refs`.
pub fn normalized(doc: &Document) -> Document {
    let mut doc = doc.clone();
    if let Document::ShipNotice(s) = &mut doc {
        for l in &s.lines {
            if let Some(o) = &l.order_number
                && !s.order_refs.contains(o)
            {
                s.order_refs.push(o.clone());
            }
        }
        if let [only] = s.order_refs.as_slice() {
            let only = only.clone();
            for l in &mut s.lines {
                l.order_number.get_or_insert_with(|| only.clone());
            }
        }
    }
    doc
}
