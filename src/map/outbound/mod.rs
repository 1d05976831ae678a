//! Outbound mapping: canonical documents → the body of an X12 transaction set or an EDIFACT
//! message, as a partner's implementation guide wants it.
//!
//! Phase: the inverse of the inbound mappings beside it. A [`crate::model::ShipNotice`] becomes
//! the segments of an 856 or a DESADV, a [`crate::model::Invoice`] those of an 810 or an INVOIC,
//! between ST and SE (UNH and UNT), which [`crate::envelope::build`] wraps with control numbers.
//! What an implementation guide decides (version, hierarchy, which references) comes in a
//! [`Profile`], never from code. Every writer has a reader: what is written here reads back
//! through our own grammar and inbound mapping to the document it was made from.

pub mod edifact;
pub mod x12;

use crate::syntax::x12::Segment;

/// The built-in grammars, compiled once per process: both writers check what they write
/// against the grammar it will be read with.
pub(crate) fn grammars() -> &'static crate::grammar::GrammarSet {
    static SET: std::sync::OnceLock<crate::grammar::GrammarSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        crate::grammar::GrammarSet::builtin().expect("the built-in grammars compile")
    })
}

/// How a partner wants its documents: what its implementation guide decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// `004010`, `005010` (X12: GS08 and ST03 are this version with `0` after it, `004010` →
    /// `004010`); `D96A`, `D01B` (EDIFACT: UNH 0052 `D` and 0054 `96A`).
    pub version: String,
    /// The 856 hierarchy.
    pub hierarchy: Hierarchy,
    /// EDIFACT only: the association assigned code of UNH 0057 (`EAN005` for an EANCOM
    /// DESADV D96A), `None` for plain UN/EDIFACT.
    pub association: Option<String>,
    /// X12 810 only: SAC06 (allowance or charge percent qualifier, element 378), written beside
    /// a percentage (SAC07) because the syntax note P0607 pairs them; the model keeps no basis
    /// of its own. Default `3` (discount/gross).
    pub sac_percent_qualifier: String,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            version: "004010".into(),
            hierarchy: Hierarchy::ShipmentOrderPackItem,
            association: None,
            sac_percent_qualifier: "3".into(),
        }
    }
}

/// The layout of a ship notice's HL (CPS) hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hierarchy {
    /// Shipment, order, pack (tare and pack), item: "pick and pack" (`SOPI`, HL03 S O T P I).
    #[default]
    ShipmentOrderPackItem,
    /// Shipment, order, item, without packs (`SOI`): for partners that take no SSCCs.
    ShipmentOrderItem,
}

/// The body of one outbound transaction set or message, without its ST/SE (UNH/UNT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// `856`, `810`, `DESADV`, `INVOIC`.
    pub set_id: &'static str,
    /// X12 GS01: `SH` (856), `IN` (810); empty for EDIFACT.
    pub functional_id: &'static str,
    pub segments: Vec<Segment>,
}

/// Why a document cannot be written for a partner. Nothing is sent then: the document is held
/// with this reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value the document needs is absent (a ship notice without lines, an invoice line
    /// without a unit price).
    #[error("{field} is missing: {why}")]
    Missing { field: String, why: &'static str },
    /// A value cannot be written in this standard or version (too long for its element, not
    /// representable with its implied decimals, a date outside what the element holds).
    #[error("{field} '{value}' cannot be written: {why}")]
    Unrepresentable {
        field: String,
        value: String,
        why: String,
    },
    /// The document kind or version is not one this standard's writer makes.
    #[error("{what} cannot be written as {standard}")]
    NotSupported {
        what: String,
        standard: &'static str,
    },
}

/// The body of `doc` for a partner on X12 (`edifact` false) or EDIFACT: an 856 or 810, a
/// DESADV or INVOIC.
pub fn body(doc: &crate::model::Document, edifact: bool, p: &Profile) -> Result<Body, Error> {
    use crate::model::Document;
    match (doc, edifact) {
        (Document::ShipNotice(s), false) => x12::ship_notice(s, p),
        (Document::Invoice(i), false) => x12::invoice(i, p),
        (Document::ShipNotice(s), true) => edifact::desadv(s, p),
        (Document::Invoice(i), true) => edifact::invoic(i, p),
        (other, _) => Err(Error::NotSupported {
            what: format!("a {}", other.kind().replace('_', " ")),
            standard: if edifact { "EDIFACT" } else { "X12" },
        }),
    }
}
