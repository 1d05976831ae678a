//! What the ledger keeps of the outbound half: the partners' purchase orders line by line (the
//! contract every ship notice and invoice is checked against), and every document we sent
//! with its exact bytes, the order lines it covered and the SSCCs it used.
//!
//! Phase: ledger. The pipeline records these in the run's transaction, like everything else: a
//! document counts as sent only if its run commits, and a committed one is delivered again
//! from its recorded bytes, never generated anew.

use rust_decimal::Decimal;
use serde::Serialize;

pub use crate::rules::presend::PoLine;

/// A document we sent (or are sending, in the run's open transaction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboundRow {
    /// Its ledger id (0 until recorded).
    pub id: i64,
    pub run: i64,
    pub channel: String,
    /// `ship_notice` or `invoice`.
    pub kind: String,
    /// Shipment or invoice number.
    pub number: String,
    /// `original`, `replace`, `cancel`: a number is sent once per purpose.
    pub purpose: String,
    /// The document's content hash (`model::hash`): the same export again is a duplicate,
    /// a different one under the same number a conflict.
    #[serde(skip)]
    pub content_hash: String,
    /// The purchase orders it answers.
    pub orders: Vec<String>,
    /// `856`, `810`, `DESADV`, `INVOIC`.
    pub set_id: String,
    /// Our control numbers in it: `ISA13/GS06/ST02` or `0020/0062`.
    pub controls: String,
    /// The number a partner's acknowledgment of it carries (`GS:SH:17`, `UNB:17`).
    pub ack_key: String,
    /// Where it is delivered, and the temporary name it waits under until its run commits.
    pub path: String,
    #[serde(skip)]
    pub temp: String,
    /// The exact bytes sent: after a crash the same bytes are delivered, never new ones.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// When its run started (RFC 3339).
    pub sent: String,
    /// The ERP export it was made from (the outbox file's name, and row or line).
    pub export: String,
}

/// How much of a purchase order line a document covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoveredLine {
    pub po: String,
    pub line: String,
    pub quantity: Decimal,
}
