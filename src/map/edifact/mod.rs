//! EDIFACT messages → canonical documents.
//!
//! Phase: envelope map + message bytes → validated, mapped document, driven by
//! [`super::driver`] exactly as for X12: the envelope verdict first, then the grammar of the
//! message's directory (or the nearest one, with a warning), the character set the UNB declares
//! (checked against the bytes), then the mapping of ORDERS, DESADV and INVOIC into the same
//! `Order`, `ShipNotice` and `Invoice` an 850, 856 or 810 becomes, and of CONTRL into the
//! `Acknowledgment` a 997 becomes. APERAK and other messages are envelope-checked and reported
//! as not translated.

mod common;
/// The role the inbound mapping gives a NAD 3035 code: the outbound writers keep to it.
pub(crate) use common::role;
mod contrl;
mod documents;
mod parties;
mod walk;

use super::driver::{Mapped, Mapping, Origin};
use crate::diag::{Code, Controls, Finding};
use crate::envelope::edifact::{Group, Interchange, Message};
use crate::grammar::{Grammar, GrammarSet};
use crate::model::{Document, Identity, Source};
use crate::syntax::Fields;
use crate::syntax::edifact::charset::{Charset, Mismatch};
use crate::syntax::edifact::{Edifact, SegmentRef};
use crate::syntax::text::for_message;
use std::sync::Arc;

/// True for the finding that a message's bytes are not in the character set its UNB declares:
/// the one [`Code::InvalidCharacter`] finding placed at a segment but at no element (a value's
/// own bad characters are placed at their element).
pub fn is_charset_mismatch(f: &Finding) -> bool {
    f.code == Code::InvalidCharacter && f.element.is_none() && f.segment.is_some()
}

/// Human names of message types, for messages.
pub fn message_name(t: &str) -> Option<&'static str> {
    Some(match t {
        "ORDERS" => "Purchase order",
        "DESADV" => "Despatch advice",
        "INVOIC" => "Invoice",
        "CONTRL" => "Syntax and service report",
        "APERAK" => "Application error and acknowledgement",
        "ORDRSP" => "Purchase order response",
        "ORDCHG" => "Purchase order change request",
        "RECADV" => "Receiving advice",
        "PRICAT" => "Price/sales catalogue",
        "INVRPT" => "Inventory report",
        "SLSRPT" => "Sales data report",
        "REMADV" => "Remittance advice",
        "IFTMIN" => "Instruction message",
        "PAORES" => "Passenger availability response",
        "PNRGOV" => "Passenger name record",
        _ => return None,
    })
}

/// The directory to validate against (`D96A`) and a note when UNH did not say it plainly.
fn directory_of(m: &Message) -> (String, Option<String>) {
    // A CONTRL's version names the syntax version it reports in (`CONTRL:D:3:UN` for syntax 3,
    // `CONTRL:4:1:UN` or `CONTRL:D:4:UN` for syntax 4), not a directory: its structure is
    // ISO 9735's, shipped in the D96A (syntax 3) and D01B (syntax 4) folders.
    if m.header.message_type == "CONTRL" {
        let (v, r) = (m.header.version.as_str(), m.header.release.as_str());
        if v == "4" || (v == "D" && r == "4") {
            return ("D01B".to_string(), None);
        }
        if v == "3" || (v == "D" && r == "3") {
            return ("D96A".to_string(), None);
        }
    }
    let release = m.header.release.to_ascii_uppercase();
    let looks = release.len() == 3 && release.as_bytes()[..2].iter().all(u8::is_ascii_digit);
    if m.header.version == "D" && looks {
        return (format!("D{release}"), None);
    }
    let dir = if looks {
        format!("D{release}")
    } else {
        "D96A".to_string()
    };
    (
        dir.clone(),
        Some(format!(
            "UNH gives version '{}' release '{}', not a UN directory such as D:96A; validated as {dir}",
            m.header.version, m.header.release
        )),
    )
}

impl Mapping for Edifact {
    type Prepared = Charset;
    const REASONS_WHEN_OVER_LIMITS: bool = true;
    const SOURCE_HEADERS: &'static str = "UNB/UNG/UNH";

    fn set_id(m: &Message) -> &str {
        &m.header.message_type
    }

    fn version(_ic: &Interchange, _g: &Group, m: &Message) -> (String, Option<String>) {
        directory_of(m)
    }

    fn grammar(
        grammars: &GrammarSet,
        directory: &str,
        m: &Message,
    ) -> Option<(Arc<Grammar>, Option<String>)> {
        grammars.edifact(directory, &m.header.message_type)
    }

    fn unsupported(m: &Message) -> String {
        let message_type = &m.header.message_type;
        match message_name(message_type) {
            Some(n) => format!(
                "message {message_type} ({n}) is recognized and its envelope checked, but tallyman does not translate it"
            ),
            None => format!(
                "message '{message_type}' is not a message type tallyman knows; its envelope was checked and it was not translated"
            ),
        }
    }

    /// The declared character set against the bytes actually sent: the set the text is read in.
    /// A mismatch is an [`Code::InvalidCharacter`] error at the segment, with no element
    /// ([`is_charset_mismatch`]).
    fn prepare(
        ic: &Interchange,
        _g: &Group,
        msg: &Message,
        _grammar: &Grammar,
        segments: &[SegmentRef<'_>],
        bytes: &[u8],
        controls: &Controls,
        findings: &mut Vec<Finding>,
    ) -> Charset {
        let declared = Charset::from_syntax_id(&ic.header.syntax_id);
        let mut charset = declared;
        if let Some(mm) = declared.inspect(bytes) {
            let offset = msg.span.start + mm.offset();
            let seg = segments
                .iter()
                .rev()
                .find(|s| s.span.start <= offset)
                .unwrap_or(&segments[0]);
            let message = match &mm {
                Mismatch::Utf8 { sample, .. } => {
                    charset = Charset::Utf8("UTF-8");
                    format!(
                        "UNB declares {}, but the message carries UTF-8 ('{sample}' at byte {offset}); its text is read as UTF-8",
                        declared.describe()
                    )
                }
                Mismatch::OutsideSet { byte, .. } => format!(
                    "UNB declares {}, but byte 0x{byte:02X} at {offset} is not in that set; it is read as ISO 8859-1",
                    declared.describe()
                ),
                Mismatch::InvalidUtf8 { .. } => format!(
                    "UNB declares {}, but the bytes at {offset} are not valid UTF-8 ('{}')",
                    declared.describe(),
                    for_message(&bytes[mm.offset()..(mm.offset() + 4).min(bytes.len())], 8)
                ),
            };
            let mut f = Finding::error(Code::InvalidCharacter, message)
                .at(seg.span.start, seg.index, seg.tag_str())
                .with_controls(controls);
            f.segment_position = Some(seg.index - msg.first_index + 1);
            findings.push(f);
        }
        charset
    }

    fn origin(ic: &Interchange, m: &Message, _directory: &str) -> Origin {
        let (unb, unh) = (&ic.header, &m.header);
        Origin {
            version: [&unh.version, &unh.release, &unh.agency, &unh.association]
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(":")
                .trim_end_matches(':')
                .to_string(),
            sender: ic.explicit.then(|| Identity {
                qualifier: unb.sender_qualifier.clone(),
                id: unb.sender_id.clone(),
            }),
            receiver: ic.explicit.then(|| Identity {
                qualifier: unb.recipient_qualifier.clone(),
                id: unb.recipient_id.clone(),
            }),
            test: unb.test,
        }
    }

    fn at_source_headers(
        f: Finding,
        _ic: &Interchange,
        msg: &Message,
        controls: &Controls,
    ) -> Finding {
        let mut f = f
            .at(msg.span.start, msg.first_index, "UNH")
            .with_controls(controls);
        f.segment_position = Some(1);
        f
    }

    fn map_document(
        charset: Charset,
        _grammar: &Grammar,
        controls: &Controls,
        msg: &Message,
        fields: &[Fields<'_>],
        source: Source,
    ) -> Mapped {
        let mut ctx = common::Ctx {
            controls,
            charset,
            findings: Vec::new(),
        };
        let doc = match msg.header.message_type.as_str() {
            "ORDERS" | "DESADV" | "INVOIC" => {
                let w = walk::walk(&mut ctx, fields);
                match msg.header.message_type.as_str() {
                    "ORDERS" => documents::order(&mut ctx, fields, w, source).map(Document::Order),
                    "DESADV" => documents::ship_notice(&mut ctx, fields, w, source)
                        .map(Document::ShipNotice),
                    _ => documents::invoice(&mut ctx, fields, w, source).map(Document::Invoice),
                }
            }
            "CONTRL" => contrl::map(&mut ctx, fields, source).map(Document::Acknowledgment),
            other => {
                let name = message_name(other).unwrap_or("");
                return Mapped::NotTranslated(format!(
                    "message {other} ({name}) is valid, but tallyman does not translate it into the canonical model"
                ));
            }
        };
        Mapped::Document(doc, ctx.findings)
    }
}
