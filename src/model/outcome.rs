//! What became of one transaction set, message or feed order: the result every translator
//! (X12, EDIFACT, feeds) hands to whoever translates files.
//!
//! Phase: the boundary between translating and routing. It lives in the model, below every
//! translator, so that the feeds and the EDI mappings produce the same type without depending
//! on each other.

use super::Document;
use crate::diag::{Controls, Finding};
use serde::Serialize;

/// What became of one transaction set or message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Valid and translated: `document` holds the canonical document.
    Accepted,
    /// Rejected by its envelope, its grammar, the mapping or a business rule: `findings` and
    /// `envelope_reasons` say why.
    Rejected,
    /// Recognized and checked, but not a set tallyman translates.
    NotMapped,
}

/// The result of one transaction set or message.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// What became of it.
    pub status: Status,
    /// Transaction set id or message type (`850`, `ORDERS`).
    pub set_id: String,
    /// The byte offset of its first segment (ST, UNH) or feed row in the file.
    pub offset: usize,
    /// Its control numbers and those of its envelopes.
    pub controls: Controls,
    /// The canonical document, when it could be built (an accepted one always has it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Document>,
    /// Grammar and mapping findings (envelope findings stay in the envelope map).
    pub findings: Vec<Finding>,
    /// Why the envelope rejects this set, when it does (one per envelope error).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub envelope_reasons: Vec<EnvelopeReason>,
    /// For a document rejected by its grammar: what it is about, read as well as its errors
    /// allow, so that reports can name the PO number and SKUs. Never applied to anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<DocContext>,
}

/// The business context of a document: kind, number, purpose and item ids of its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocContext {
    /// `order`, `ship_notice`, `invoice` or `acknowledgment`.
    pub kind: &'static str,
    /// The document number (PO, shipment, invoice number).
    pub number: String,
    /// What it does to an earlier document with the same number.
    pub purpose: super::Purpose,
    /// Per line, the first of SKU, vendor part, buyer part, GTIN, UPC.
    pub items: Vec<String>,
}

impl DocContext {
    /// The context of a document that was built.
    pub fn of(doc: &Document) -> Self {
        use super::ItemIds;
        let (purpose, ids): (_, Vec<&ItemIds>) = match doc {
            Document::Order(o) => (o.purpose, o.lines.iter().map(|l| &l.item_ids).collect()),
            Document::ShipNotice(s) => (s.purpose, s.lines.iter().map(|l| &l.item_ids).collect()),
            Document::Invoice(i) => (i.purpose, i.lines.iter().map(|l| &l.item_ids).collect()),
            // An acknowledgment's context is its number: what it acknowledges.
            Document::Acknowledgment(a) => (a.purpose, Vec::new()),
        };
        DocContext {
            kind: doc.kind(),
            number: doc.number().to_owned(),
            purpose,
            items: ids
                .into_iter()
                .filter_map(|i| {
                    i.sku
                        .as_ref()
                        .or(i.vendor_part.as_ref())
                        .or(i.buyer_part.as_ref())
                        .or(i.gtin.as_ref())
                        .or(i.upc.as_ref())
                        .cloned()
                })
                .collect(),
        }
    }
}

/// An envelope error that rejects a transaction set: its own (SE count...), its group's or its
/// interchange's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvelopeReason {
    /// Whose error it is: the set's own, its group's or its interchange's.
    pub level: crate::diag::Level,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for EnvelopeReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::diag::Level;
        match self.level {
            Level::Interchange => write!(f, "its interchange is rejected: {}", self.message),
            Level::Group => write!(f, "its functional group is rejected: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}
