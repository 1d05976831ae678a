//! X12 transaction sets → canonical documents.
//!
//! Phase: envelope map + transaction bytes → validated, mapped document, driven by
//! [`super::driver`]. What is X12's own is here: the version to validate against (GS08, ST03,
//! ISA12), the GS01 a set must travel in, the sender and receiver from the ISA, and the mapping
//! of 850/856/810, and of the acknowledgments partners send (997, 999, and the TA1 the envelope
//! scanner hands out as a set of its own). Sets we recognize but do not map (855, 860...) are
//! envelope-checked and reported as not mapped, never dropped silently.

mod ack;
mod common;
/// The role the inbound mapping gives an N101 code: the outbound writers keep to it.
pub(crate) use common::role;
mod invoice;
mod order;
mod ship_notice;

use super::driver::{Mapped, Mapping, Origin};
use crate::diag::{Code, Controls, Finding};
use crate::envelope::x12::{Group, Interchange, Transaction, functional_group_of};
use crate::grammar::{Grammar, GrammarSet};
use crate::model::ack::AckType;
use crate::model::{Document, Identity, Source};
use crate::syntax::Fields;
use crate::syntax::x12::{SegmentRef, X12};
use std::sync::Arc;

#[cfg(any(test, feature = "internals"))]
pub use super::{EnvelopeReason, Options, Outcome, Status};

/// Human names of transaction sets, for messages.
pub fn set_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "850" => "Purchase Order",
        "856" => "Ship Notice/Manifest",
        "810" => "Invoice",
        "997" => "Functional Acknowledgment",
        "999" => "Implementation Acknowledgment",
        "TA1" => "Interchange Acknowledgment",
        "855" => "Purchase Order Acknowledgment",
        "860" => "Purchase Order Change Request",
        "865" => "Purchase Order Change Acknowledgment",
        "820" => "Payment Order/Remittance Advice",
        "846" => "Inventory Inquiry/Advice",
        "852" => "Product Activity Data",
        "832" => "Price/Sales Catalog",
        "864" => "Text Message",
        "940" => "Warehouse Shipping Order",
        "945" => "Warehouse Shipping Advice",
        "210" => "Motor Carrier Freight Details and Invoice",
        "214" => "Transportation Carrier Shipment Status",
        "204" => "Motor Carrier Load Tender",
        "270" => "Eligibility, Coverage or Benefit Inquiry",
        "271" => "Eligibility, Coverage or Benefit Information",
        "837" => "Health Care Claim",
        "835" => "Health Care Claim Payment/Advice",
        _ => return None,
    })
}

/// The version to validate against: GS08, else ST03, else ISA12; and a note when GS08 was not
/// usable.
pub fn version_of(ic: &Interchange, g: &Group, t: &Transaction) -> (String, Option<String>) {
    // A TA1 travels in no group: the interchange's version (ISA12) is its own.
    if !g.explicit {
        return (format!("{}0", ic.header.version), None);
    }
    let looks = |v: &str| v.len() >= 6 && v.as_bytes()[..6].iter().all(u8::is_ascii_digit);
    if looks(&g.header.version) {
        return (g.header.version.clone(), None);
    }
    if let Some(st03) = t.header.implementation.as_deref().filter(|v| looks(v)) {
        return (
            st03.to_string(),
            Some(format!(
                "GS08 '{}' is not a version; ST03 '{st03}' is used",
                g.header.version
            )),
        );
    }
    let isa = format!("{}0", ic.header.version);
    (
        isa.clone(),
        Some(format!(
            "GS08 '{}' is not a version; ISA12 '{}' is used as {isa}",
            g.header.version, ic.header.version
        )),
    )
}

impl Mapping for X12 {
    type Prepared = ();
    const REASONS_WHEN_OVER_LIMITS: bool = false;
    const SOURCE_HEADERS: &'static str = "ISA/GS";

    fn set_id(t: &Transaction) -> &str {
        &t.header.set_id
    }

    fn version(ic: &Interchange, g: &Group, t: &Transaction) -> (String, Option<String>) {
        version_of(ic, g, t)
    }

    fn grammar(
        grammars: &GrammarSet,
        version: &str,
        t: &Transaction,
    ) -> Option<(Arc<Grammar>, Option<String>)> {
        let found = grammars.x12(version, &t.header.set_id);
        // The TA1 has had the same five elements in every version: reading it with another
        // version's grammar is not worth a warning.
        if t.header.set_id == "TA1" {
            return found.map(|(g, _)| (g, None));
        }
        found
    }

    fn unsupported(t: &Transaction) -> String {
        let set_id = &t.header.set_id;
        match (set_name(set_id), functional_group_of(set_id)) {
            (Some(n), _) | (None, Some(n)) => format!(
                "transaction set {set_id} ({n}) is recognized and its envelope checked, but tallyman does not translate it"
            ),
            _ => format!(
                "transaction set {set_id} is not one tallyman knows; its envelope was checked and it was not translated"
            ),
        }
    }

    /// The set's functional group (GS01) against the one its grammar names.
    fn prepare(
        _ic: &Interchange,
        g: &Group,
        t: &Transaction,
        grammar: &Grammar,
        _segments: &[SegmentRef<'_>],
        _bytes: &[u8],
        controls: &Controls,
        findings: &mut Vec<Finding>,
    ) {
        if let Some(fg) = grammar.functional_group.as_deref()
            && fg != g.header.functional_id
        {
            findings.push(
                Finding::error(
                    Code::GroupNotSupported,
                    format!(
                        "transaction set {} belongs in a functional group with GS01 '{fg}', but its group's GS01 is '{}'",
                        t.header.set_id, g.header.functional_id
                    ),
                )
                .at(t.span.start, t.first_index, "ST")
                .element(1)
                .with_controls(controls),
            );
        }
    }

    fn origin(ic: &Interchange, _t: &Transaction, version: &str) -> Origin {
        let isa = &ic.header;
        Origin {
            version: version.to_string(),
            sender: Some(Identity {
                qualifier: isa.sender_qualifier.clone(),
                id: isa.sender_id.clone(),
            }),
            receiver: Some(Identity {
                qualifier: isa.receiver_qualifier.clone(),
                id: isa.receiver_id.clone(),
            }),
            test: isa.usage == "T",
        }
    }

    fn at_source_headers(
        f: Finding,
        ic: &Interchange,
        _t: &Transaction,
        controls: &Controls,
    ) -> Finding {
        f.at(ic.span.start, ic.first_index, "ISA")
            .with_controls(controls)
    }

    fn map_document(
        _prepared: (),
        grammar: &Grammar,
        controls: &Controls,
        t: &Transaction,
        fields: &[Fields<'_>],
        source: Source,
    ) -> Mapped {
        let mut ctx = common::Ctx {
            grammar,
            controls,
            findings: Vec::new(),
        };
        let doc = match t.header.set_id.as_str() {
            "850" => order::map(&mut ctx, fields, source).map(Document::Order),
            "856" => ship_notice::map(&mut ctx, fields, source).map(Document::ShipNotice),
            "810" => invoice::map(&mut ctx, fields, source).map(Document::Invoice),
            "997" => ack::functional(&mut ctx, fields, source, AckType::Fa997)
                .map(Document::Acknowledgment),
            "999" => ack::functional(&mut ctx, fields, source, AckType::Ia999)
                .map(Document::Acknowledgment),
            "TA1" => ack::ta1(&mut ctx, fields, source).map(Document::Acknowledgment),
            other => {
                let n = set_name(other).unwrap_or("");
                return Mapped::NotTranslated(format!(
                    "transaction set {other} ({n}) is valid, but tallyman does not translate it into the canonical model"
                ));
            }
        };
        Mapped::Document(doc, ctx.findings)
    }
}
