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
use crate::syntax::edifact::{Delimiters, Edifact, write_segment, write_una_if_needed};
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
    /// A value cannot be written with the separators.
    #[error(transparent)]
    Segment(#[from] crate::syntax::edifact::WriteError),
    /// A control reference over 14 digits (0020 and 0062 are an..14), or zero.
    #[error("{element}: {value} is not 1 to 14 digits")]
    Control { element: &'static str, value: u64 },
    /// A value copied from the inbound holds a character the declared character set lacks.
    #[error("'{}' cannot be written in {syntax_id}, the character set the interchange declares", ch.escape_default())]
    Charset { ch: char, syntax_id: String },
    /// The inbound UNB has no sender, recipient or control reference to answer.
    #[error("the inbound UNB has no {0} to answer")]
    NoParty(&'static str),
}

fn reference(n: u64, element: &'static str) -> Result<String, WriteError> {
    let s = n.to_string();
    if n == 0 || s.len() > 14 {
        return Err(WriteError::Control { element, value: n });
    }
    Ok(s)
}

/// Writes one interchange holding `c`: UNA when the separators are not the defaults, UNB
/// (the inbound's syntax identifier and version, sender and recipient swapped with their
/// qualifiers, the test indicator mirrored), UNH, the CONTRL, UNT and UNZ.
pub fn write_interchange(out: &mut Vec<u8>, env: &Outgoing, c: &Contrl) -> Result<(), WriteError> {
    let start = out.len();
    let r = write_all(out, env, c).and_then(|()| encode(out, start, syntax_id(&env.inbound)));
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// The syntax identifier written: the inbound's, UNOA when it had none.
fn syntax_id(unb: &Unb) -> &str {
    if unb.syntax_id.is_empty() {
        "UNOA"
    } else {
        unb.syntax_id.as_str()
    }
}

/// Re-encodes what was written from `start` (UTF-8, as Rust strings are) in the character set
/// the UNB declares, since the partner reads it in that set: a value copied from the inbound
/// may hold characters outside it (sent as UTF-8 under UNOC, say).
fn encode(out: &mut Vec<u8>, start: usize, syntax_id: &str) -> Result<(), WriteError> {
    use crate::syntax::edifact::charset::Charset;
    let text = std::str::from_utf8(&out[start..]).expect("the writers write UTF-8");
    let refuse = |ch: char| WriteError::Charset {
        ch,
        syntax_id: syntax_id.to_owned(),
    };
    let bytes: Vec<u8> = match Charset::from_syntax_id(syntax_id) {
        Charset::Utf8(_) | Charset::Other => return Ok(()),
        Charset::Ascii(_) => match text.chars().find(|c| !c.is_ascii()) {
            Some(c) => return Err(refuse(c)),
            None => return Ok(()),
        },
        Charset::Latin1 => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).map_err(|_| refuse(c)))
            .collect::<Result<_, _>>()?,
        Charset::Iso8859(_, encoding) => {
            let (bytes, _, unmappable) = encoding.encode(text);
            if unmappable {
                let c = text
                    .chars()
                    .find(|c| encoding.encode(&c.to_string()).2)
                    .unwrap_or('\u{FFFD}');
                return Err(refuse(c));
            }
            bytes.into_owned()
        }
    };
    // Bytes of a single-byte set that also read as UTF-8 (`Ê¾` in ISO 8859-1) are taken for
    // UTF-8 by readers that check, ours included: such a value cannot be sent unambiguously.
    let declared = Charset::from_syntax_id(syntax_id);
    if let Some(m) = declared.inspect(&bytes) {
        let at = std::str::from_utf8(&bytes[m.offset()..])
            .ok()
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{FFFD}');
        return Err(refuse(at));
    }
    out.truncate(start);
    out.extend_from_slice(&bytes);
    Ok(())
}

fn write_all(out: &mut Vec<u8>, env: &Outgoing, c: &Contrl) -> Result<(), WriteError> {
    let unb = &env.inbound;
    // As written: without the control characters `text` leaves out.
    if text(&unb.sender_id, 35).trim().is_empty() {
        return Err(WriteError::NoParty("sender"));
    }
    if text(&unb.recipient_id, 35).trim().is_empty() {
        return Err(WriteError::NoParty("recipient"));
    }
    // UCI 0020 names the interchange answered: without it the partner cannot tell which.
    let answered = c.segments.first().and_then(|uci| uci.elements.first());
    if answered.is_none_or(|e| e.0.iter().flatten().all(|v| v.trim().is_empty())) {
        return Err(WriteError::NoParty("interchange control reference (0020)"));
    }
    let mut d = env.delimiters;
    // A separator outside ASCII is a byte of the inbound's character set, which the values we
    // write are re-encoded into (see `encode`), and a letter or digit separates nothing
    // reliably: write with the standard ones then, in a UNA.
    let separators = [d.component, d.element, d.terminator];
    if separators
        .iter()
        .chain(d.release.iter())
        .chain(d.repetition.iter())
        .any(|b| !b.is_ascii() || b.is_ascii_alphanumeric())
        || !matches!(d.decimal, b'.' | b',')
    {
        d = Delimiters::default();
        d.repetition = env.delimiters.repetition.map(|_| b'*');
    }
    if c.syntax_version != "4" {
        // Syntax version 3 has no repetition separator.
        d.repetition = None;
    }
    let control = reference(env.control, "UNB 0020")?;
    let message = reference(env.message, "UNH 0062")?;
    write_una_if_needed(out, &d);
    let date = if c.syntax_version == "4" {
        env.stamp.strftime("%Y%m%d").to_string()
    } else {
        env.stamp.strftime("%y%m%d").to_string()
    };
    let time = env.stamp.strftime("%H%M").to_string();
    let syntax_id = syntax_id(unb);
    let mut unb_out = vec![
        Element::composite([syntax_id, c.syntax_version]),
        party(&unb.recipient_id, &unb.recipient_qualifier),
        party(&unb.sender_id, &unb.sender_qualifier),
        Element::composite([date, time]),
        Element::simple(&control),
    ];
    if unb.test {
        // 0035 is the eleventh element; 0022..0032 stay empty.
        unb_out.extend((0..5).map(|_| Element::simple("")));
        unb_out.push(Element::simple("1"));
    }
    write_segment(out, &Segment::new("UNB", unb_out), &d)?;
    write_segment(
        out,
        &Segment::new(
            "UNH",
            vec![
                Element::simple(&message),
                Element::composite(c.identifier()),
            ],
        ),
        &d,
    )?;
    for seg in &c.segments {
        write_segment(out, seg, &d)?;
    }
    write_segment(
        out,
        &Segment::new(
            "UNT",
            vec![
                Element::simple((c.segments.len() + 2).to_string()),
                Element::simple(&message),
            ],
        ),
        &d,
    )?;
    write_segment(
        out,
        &Segment::new("UNZ", vec![Element::simple("1"), Element::simple(&control)]),
        &d,
    )?;
    Ok(())
}
