//! EDIFACT acknowledgments: one CONTRL per inbound interchange.
//!
//! Phase: receipts → CONTRL segments → bytes. [`contrl`] answers one interchange in its own
//! syntax version (UNB S001 0002): UCI for the interchange, UCF for each explicit group (UNG),
//! UCM for every message, and under a message UCS/UCD pointing at each faulty segment and
//! element; [`write_interchange`] wraps it in UNA (when needed), UNB, UNH, UNT and UNZ.
//!
//! ```no_run
//! # use tallyman::ack::{edifact::{contrl, write_interchange, Outgoing}, receipt::Receipt};
//! # use tallyman::envelope::edifact::Edifact;
//! # fn demo(receipt: &Receipt<Edifact>) -> Result<(), tallyman::ack::edifact::WriteError> {
//! if let Some(c) = contrl(receipt) {
//!     let stamp = jiff::civil::date(2024, 3, 11).at(9, 31, 0, 0);
//!     let env = Outgoing::new(receipt, 42, 1, stamp);
//!     let mut out = Vec::new();
//!     write_interchange(&mut out, &env, &c)?;
//! }
//! # Ok(()) }
//! ```
//!
//! Action codes (0083): 4 ("this level and all lower levels rejected") for what is rejected,
//! 7 ("this level acknowledged, lower levels acknowledged if not explicitly rejected")
//! otherwise. The interchange is 7 also when some of its messages are rejected: their UCM says
//! 4, which is what 7 means. Code 8 ("interchange received") is not used: tallyman always
//! checks the syntax before it answers. A message accepted with warnings (a lenient channel)
//! is 7, its UCS/UCD still naming what was noted. Never a CONTRL for a CONTRL or an APERAK:
//! those messages get no UCM, and an interchange of nothing else gets no CONTRL.

use super::receipt::{Receipt, SetReceipt};
use crate::diag::{Finding, Level};
use crate::envelope::edifact::Unb;
use crate::syntax::edifact::{Delimiters, Edifact};
use crate::syntax::x12::{Element, Segment};

/// 0083: this level and all lower levels rejected.
pub const REJECTED: &str = "4";
/// 0083: this level acknowledged, lower levels acknowledged if not explicitly rejected.
pub const ACKNOWLEDGED: &str = "7";

/// Message types that are acknowledgments themselves, never acknowledged.
const ACKS: [&str; 2] = ["CONTRL", "APERAK"];
/// The most UCD under one UCS, and UCS under one UCM (the CONTRL's structure).
const MAX_UCD: usize = 99;
const MAX_UCS: usize = 999;

/// One CONTRL message, without its UNH and UNT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contrl {
    /// The syntax version it is written in (UNB S001 0002 of the inbound): `3` or `4`.
    pub syntax_version: &'static str,
    /// UCI, then the UCM/UCS/UCD of messages outside groups, then each UCF with its own.
    pub segments: Vec<Segment>,
    /// UCI 0083: [`REJECTED`] or [`ACKNOWLEDGED`].
    pub action: &'static str,
    /// Messages answered, and how many of them were rejected.
    pub messages: usize,
    pub rejected: usize,
}

impl Contrl {
    /// Its verdict: the UCI's action, and whether some messages under it were rejected.
    pub fn verdict(&self) -> crate::ack::Verdict {
        use crate::ack::Verdict;
        if self.action == REJECTED {
            Verdict::Rejected
        } else if self.rejected > 0 {
            Verdict::PartiallyAccepted
        } else {
            Verdict::Accepted
        }
    }

    /// The CONTRL message identifier (UNH S009) of this syntax version: `CONTRL:D:3:UN` for
    /// syntax versions 2 and 3 (the UN's stand-alone CONTRL, release 3), `CONTRL:4:1:UN` for
    /// version 4 (the service message of ISO 9735 version 4, release 1).
    pub fn identifier(&self) -> [&'static str; 4] {
        match self.syntax_version {
            "4" => ["CONTRL", "4", "1", "UN"],
            _ => ["CONTRL", "D", "3", "UN"],
        }
    }
}

/// The CONTRL answering `receipt`'s interchange; `None` when it holds only CONTRL and APERAK
/// messages.
pub fn contrl(receipt: &Receipt<Edifact>) -> Option<Contrl> {
    let sets = || receipt.groups.iter().flat_map(|g| g.sets.iter());
    let is_ack = |s: &SetReceipt<Edifact>| ACKS.contains(&s.header.message_type.as_str());
    if sets().next().is_some() && sets().all(is_ack) {
        return None;
    }
    let ic = &receipt.interchange;
    let unb = &ic.header;
    let syntax_version = if unb.syntax_version == "4" { "4" } else { "3" };
    let ic_rejected = receipt.interchange_rejected();
    let ic_findings: Vec<Finding> = receipt.interchange_findings().cloned().collect();
    let action = if ic_rejected { REJECTED } else { ACKNOWLEDGED };

    let mut uci = vec![
        Element::simple(text(&ic.control, 14)),
        party(&unb.sender_id, &unb.sender_qualifier),
        party(&unb.recipient_id, &unb.recipient_qualifier),
        Element::simple(action),
    ];
    uci.extend(level_error(
        &ic_findings,
        Level::Interchange,
        &["UNA", "UNB", "UNZ"],
    ));
    let mut segments = vec![Segment::new("UCI", uci)];

    let (mut messages, mut rejected) = (0, 0);
    let mut grouped = Vec::new();
    for g in &receipt.groups {
        let out = if g.group.explicit {
            &mut grouped
        } else {
            &mut segments
        };
        let group_rejected = ic_rejected || g.group.rejected();
        if g.group.explicit {
            let mut ucf = vec![
                Element::simple(text(&g.group.control, 14)),
                Element::simple(""),
                Element::simple(""),
                Element::simple(if group_rejected {
                    REJECTED
                } else {
                    ACKNOWLEDGED
                }),
            ];
            ucf.extend(level_error(
                &g.group.findings,
                Level::Group,
                &["UNG", "UNE"],
            ));
            out.push(Segment::new("UCF", ucf));
        }
        for set in g.sets.iter().filter(|s| !is_ack(s)) {
            messages += 1;
            let r = set.rejected || group_rejected;
            rejected += usize::from(r);
            message_response(out, set, r);
        }
    }
    segments.extend(grouped);
    Some(Contrl {
        syntax_version,
        segments,
        action,
        messages,
        rejected,
    })
}

/// A value copied from the inbound: without control characters (a CONTRL must not carry
/// them; the inbound was rejected for them), at most `max` characters.
fn text(v: &str, max: usize) -> String {
    v.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// S002/S003 as sent: the id (0004/0010, an..35) and its qualifier (0007, an..4).
fn party(id: &str, qualifier: &str) -> Element {
    let (id, qualifier) = (text(id, 35), text(qualifier, 4));
    if qualifier.is_empty() {
        Element::simple(id)
    } else {
        Element::composite([id, qualifier])
    }
}

/// 0085, 0013 and S011 of the first error of a level's own findings (UCI, UCF, UCM), or
/// nothing when there is none with a code. 0013 names the service segment in error when it
/// is one of `tags`.
fn level_error(findings: &[Finding], level: Level, tags: &[&str]) -> Vec<Element> {
    let Some((f, code)) = findings
        .iter()
        .filter(|f| f.is_error() && f.code.level() == level)
        .find_map(|f| f.code.edifact_code().map(|c| (f, c)))
    else {
        return Vec::new();
    };
    let tag = f
        .segment
        .as_deref()
        .filter(|t| tags.contains(t))
        .unwrap_or("");
    let mut out = vec![Element::simple(code), Element::simple(tag)];
    if !tag.is_empty()
        && let Some(el) = f.element
    {
        out.push(position(el, f.component));
    }
    out
}

/// S011: the element's position, and its component's when there is one.
fn position(element: usize, component: Option<usize>) -> Element {
    match component {
        Some(c) => Element::composite([element.to_string(), c.to_string()]),
        None => Element::simple(element.to_string()),
    }
}

/// UCM for one message, then a UCS (and its UCDs) per faulty segment.
fn message_response(out: &mut Vec<Segment>, set: &SetReceipt<Edifact>, rejected: bool) {
    let h = &set.header;
    // S009 as sent, each part cut to what its element holds (0065 an..6, 0052/0054/0051
    // an..3); an association code (0057, an..6) that does not fit is left out, since it is
    // optional and a cut one would name another association.
    let mut id = vec![
        text(&h.message_type, 6),
        text(&h.version, 3),
        text(&h.release, 3),
        text(&h.agency, 3),
    ];
    if !h.association.is_empty() && h.association.chars().count() <= 6 {
        id.push(text(&h.association, 6));
    }
    let mut ucm = vec![
        Element::simple(text(&set.control, 14)),
        Element(vec![id]),
        Element::simple(if rejected { REJECTED } else { ACKNOWLEDGED }),
    ];
    let own: Vec<Finding> = set
        .findings
        .iter()
        .filter(|f| f.code.level() == Level::Transaction)
        .cloned()
        .collect();
    ucm.extend(level_error(&own, Level::Transaction, &["UNH", "UNT"]));
    out.push(Segment::new("UCM", ucm));

    let noted: Vec<&Finding> = set
        .findings
        .iter()
        .filter(|f| {
            matches!(f.code.level(), Level::Segment | Level::Element)
                && f.segment_position.is_some()
                && f.code.edifact_code().is_some()
        })
        .collect();
    let mut i = 0;
    let mut ucs_count = 0;
    while i < noted.len() && ucs_count < MAX_UCS {
        let pos = noted[i].segment_position;
        let end = noted[i..]
            .iter()
            .position(|f| f.segment_position != pos)
            .map_or(noted.len(), |n| i + n);
        let here = &noted[i..end];
        i = end;
        let segment_code = here
            .iter()
            .find(|f| f.code.level() == Level::Segment)
            .and_then(|f| f.code.edifact_code())
            .unwrap_or("");
        ucs_count += 1;
        out.push(Segment::new(
            "UCS",
            vec![
                Element::simple(pos.expect("filtered on it").to_string()),
                Element::simple(segment_code),
            ],
        ));
        for f in here
            .iter()
            .filter(|f| f.code.level() == Level::Element)
            .take(MAX_UCD)
        {
            let Some(el) = f.element else { continue };
            out.push(Segment::new(
                "UCD",
                vec![
                    Element::simple(f.code.edifact_code().expect("filtered on it")),
                    position(el, f.component),
                ],
            ));
        }
    }
}

/// The envelope of an outgoing CONTRL.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The inbound interchange's UNB (its sender is our recipient).
    pub inbound: Unb,
    /// Our UNB 0020 (and UNZ 0020).
    pub control: u64,
    /// Our UNH 0062 (and UNT 0062).
    pub message: u64,
    /// What to write with (by default the inbound's).
    pub delimiters: Delimiters,
    /// UNB S004: YYMMDD in syntax version 3, CCYYMMDD in 4; HHMM.
    pub stamp: jiff::civil::DateTime,
}

impl Outgoing {
    /// The envelope answering `receipt`'s interchange, with its delimiters.
    pub fn new(
        receipt: &Receipt<Edifact>,
        control: u64,
        message: u64,
        stamp: jiff::civil::DateTime,
    ) -> Self {
        Outgoing {
            inbound: receipt.interchange.header.clone(),
            control,
            message,
            delimiters: receipt.interchange.delimiters,
            stamp,
        }
    }
}

/// Why a CONTRL interchange cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The envelope builder refused it: a value the separators or the declared character set
    /// cannot carry, a control reference over 14 digits.
    #[error(transparent)]
    Envelope(#[from] crate::envelope::build::Error),
    /// The inbound UNB has no sender, recipient or control reference to answer.
    #[error("the inbound UNB has no {0} to answer")]
    NoParty(&'static str),
}

/// Writes one interchange holding `c`: UNA when the separators are not the defaults, UNB
/// (the inbound's syntax identifier and version, sender and recipient swapped with their
/// qualifiers, the test indicator mirrored), UNH, the CONTRL, UNT and UNZ.
pub fn write_interchange(out: &mut Vec<u8>, env: &Outgoing, c: &Contrl) -> Result<(), WriteError> {
    use crate::envelope::build::{EdifactEnvelope, EdifactMessage, write_edifact};
    use crate::model::Identity;
    let unb = &env.inbound;
    // As written: without the control characters `text` leaves out.
    let (sender, recipient) = (text(&unb.recipient_id, 35), text(&unb.sender_id, 35));
    if recipient.trim().is_empty() {
        return Err(WriteError::NoParty("sender"));
    }
    if sender.trim().is_empty() {
        return Err(WriteError::NoParty("recipient"));
    }
    // UCI 0020 names the interchange answered: without it the partner cannot tell which.
    let answered = c.segments.first().and_then(|uci| uci.elements.first());
    if answered.is_none_or(|e| e.0.iter().flatten().all(|v| v.trim().is_empty())) {
        return Err(WriteError::NoParty("interchange control reference (0020)"));
    }
    let envelope = EdifactEnvelope {
        // The inbound's syntax identifier, UNOA when it had none.
        syntax_id: if unb.syntax_id.is_empty() {
            "UNOA".into()
        } else {
            unb.syntax_id.clone()
        },
        syntax_version: c.syntax_version.to_string(),
        sender: Identity {
            qualifier: text(&unb.recipient_qualifier, 4),
            id: sender,
        },
        recipient: Identity {
            qualifier: text(&unb.sender_qualifier, 4),
            id: recipient,
        },
        control: env.control,
        ack_requested: false,
        test: unb.test,
        delimiters: env.delimiters,
        stamp: env.stamp,
        transliterate: false,
    };
    let message = EdifactMessage {
        reference: env.message,
        identifier: c.identifier().to_vec(),
        segments: &c.segments,
    };
    Ok(write_edifact(out, &envelope, &[message])?)
}
