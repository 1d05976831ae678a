//! X12 acknowledgments: 997 and 999 per inbound functional group, TA1 per interchange, and the
//! interchange that carries them.
//!
//! Phase: receipts → acknowledgment segments → bytes. [`functional_ack`] turns one
//! [`GroupReceipt`] into the body of a 997 or 999 (AK1 to AK9, without ST/SE) and its verdict;
//! [`ta1`] answers the interchange itself; [`write_interchange`] wraps them in ISA/GS/ST with
//! our control numbers, sender and receiver swapped from the inbound.
//!
//! ```no_run
//! # use tallyman::ack::{AckKind, receipt::Receipt};
//! # use tallyman::ack::x12::{functional_ack, write_interchange, GroupControls, Outgoing};
//! # use tallyman::envelope::x12::X12;
//! # fn demo(receipt: &Receipt<X12>) -> Result<(), tallyman::ack::x12::WriteError> {
//! let stamp = jiff::civil::date(2024, 3, 11).at(9, 31, 0, 0);
//! let env = Outgoing::new(receipt, 42, stamp);
//! let acks: Vec<_> = receipt
//!     .groups
//!     .iter()
//!     .filter_map(|g| functional_ack(AckKind::Fa997, receipt, g))
//!     .collect();
//! let groups: Vec<_> = acks
//!     .iter()
//!     .enumerate()
//!     .map(|(i, a)| (GroupControls { group: 1 + i as u64, set: 1 }, a))
//!     .collect();
//! let mut out = Vec::new();
//! write_interchange(&mut out, &env, None, &groups)?;
//! # Ok(()) }
//! ```
//!
//! What the syntax says, and only that: every code comes from the one table in
//! [`crate::diag`]. The 999's CTX segments are not written: they give the context of
//! implementation-guide (situational) errors and of health-care business units, and tallyman
//! reports neither. The element reference number (AK402/IK402) and the repetition of a bad
//! element are left out: findings do not carry them.

use super::receipt::{GroupReceipt, Receipt, SetReceipt};
use super::{AckKind, Ta1Policy, Verdict};
use crate::diag::{Code, Finding, Level, Severity};
use crate::envelope::x12::Isa;
use crate::syntax::x12::{Delimiters, Element, Segment, X12};

/// The implementation convention of the 999 we write (GS08 and ST03).
pub const IMPLEMENTATION_999: &str = "005010X231A1";

/// The most codes AK5/IK5 (AK502..AK506) and AK9 (AK905..AK909) hold.
const MAX_CODES: usize = 5;
/// The most AK4/IK4 under one AK3/IK3 (the 997's and 999's structure).
const MAX_ELEMENT_NOTES: usize = 99;

/// The body of one 997 or 999 (AK1 to AK9; ST and SE are written with the envelope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionalAck {
    /// `997` or `999` (ST01).
    pub set_id: &'static str,
    /// AK1 to AK9.
    pub segments: Vec<Segment>,
    /// AK901.
    pub verdict: Verdict,
    /// The ack group's GS08: the inbound group's for a 997, 005010X231A1 for a 999.
    pub version: String,
    /// The inbound group's application sender and receiver (GS02, GS03): the ack's GS03
    /// and GS02.
    pub inbound_sender: String,
    pub inbound_receiver: String,
    /// AK903: sets received.
    pub received: usize,
    /// AK904: sets accepted (A or E).
    pub accepted: usize,
}

/// Whether a group is one of acknowledgments, which is never acknowledged.
fn is_ack_group(g: &GroupReceipt<X12>) -> bool {
    g.group.header.functional_id == "FA"
        || (!g.sets.is_empty()
            && g.sets
                .iter()
                .all(|s| matches!(s.header.set_id.as_str(), "997" | "999")))
}

/// `005010` and later carry AK103 and AK203.
fn is_5010(version: &str) -> bool {
    numeric_version(version) && version[..6] >= *"005010"
}

/// A GS08 version: six digits, then perhaps an industry identifier (`004010VICS`).
fn numeric_version(v: &str) -> bool {
    v.len() >= 6
        && v.len() <= 12
        && v.as_bytes()[..6].iter().all(u8::is_ascii_digit)
        && v.bytes().all(|b| b.is_ascii_graphic())
}

/// The 997 or 999 of one inbound group; `None` for a group of acknowledgments (never an ack
/// for an ack) and for a kind that is not X12's.
pub fn functional_ack(
    kind: AckKind,
    receipt: &Receipt<X12>,
    group: &GroupReceipt<X12>,
) -> Option<FunctionalAck> {
    let set_id = match kind {
        AckKind::Fa997 => "997",
        AckKind::Ia999 => "999",
        AckKind::None | AckKind::Contrl => return None,
    };
    // The implicit group around a TA1 (handed out as a set of its own) is no functional group.
    if is_ack_group(group) || !group.group.explicit {
        return None;
    }
    let gs = &group.group.header;
    let isa12 = &receipt.interchange.header.version;
    let inbound_version = if numeric_version(&gs.version) {
        gs.version.clone()
    } else if isa12.len() == 5 && numeric_version(&format!("{isa12}0")) {
        // A GS08 that names no version (empty, `UNKNOWN`): the interchange's version.
        format!("{isa12}0")
    } else {
        "004010".to_string()
    };
    let is_999 = kind == AckKind::Ia999;
    let version = if is_999 {
        IMPLEMENTATION_999.to_string()
    } else {
        inbound_version.clone()
    };
    let new_elements = is_999 || is_5010(&version);
    let code = |c: Code| {
        if is_999 {
            c.x12_999_code()
        } else {
            c.x12_code_in(&version)
        }
    };

    let mut segments = Vec::new();
    let mut ak1 = vec![
        Element::simple(&gs.functional_id),
        Element::simple(n0(&group.group.control, 9).unwrap_or("0")),
    ];
    if new_elements {
        ak1.push(Element::simple(&inbound_version));
    }
    segments.push(Segment::new("AK1", ak1));

    let envelope_rejected = receipt.interchange_rejected() || group.group.rejected();
    let (mut accepted, mut any_e) = (0, false);
    for set in &group.sets {
        let verdict = set_verdict(set, envelope_rejected);
        match verdict {
            Verdict::Accepted => accepted += 1,
            Verdict::AcceptedWithErrors => {
                accepted += 1;
                any_e = true;
            }
            _ => {}
        }
        set_response(&mut segments, set, verdict, is_999, new_elements, &code);
    }

    let received = group.sets.len();
    let own_errors = group.group.rejected();
    let own_warnings = group
        .group
        .findings
        .iter()
        .any(|f| f.severity == Severity::Warning);
    let verdict = if own_errors || accepted == 0 {
        Verdict::Rejected
    } else if accepted < received {
        Verdict::PartiallyAccepted
    } else if any_e || own_warnings {
        Verdict::AcceptedWithErrors
    } else {
        Verdict::Accepted
    };
    let mut ak9 = vec![
        Element::simple(verdict.x12()),
        Element::simple(group.group.transaction_count.max(received).to_string()),
        Element::simple(received.to_string()),
        Element::simple(accepted.to_string()),
    ];
    // The group's own codes; a group rejected for its interchange's sake gets none (the TA1
    // says why), and neither does one whose sets were all rejected.
    let group_codes = codes(
        group
            .group
            .findings
            .iter()
            .filter(|f| f.code.level() == Level::Group),
        &code,
    );
    ak9.extend(group_codes.into_iter().map(Element::simple));
    segments.push(Segment::new("AK9", ak9));

    Some(FunctionalAck {
        set_id,
        segments,
        verdict,
        version,
        inbound_sender: gs.sender.clone(),
        inbound_receiver: gs.receiver.clone(),
        received,
        accepted,
    })
}

/// R when the set or an envelope around it is rejected, E when it passed with warnings
/// (lenient), A otherwise.
fn set_verdict(set: &SetReceipt<X12>, envelope_rejected: bool) -> Verdict {
    if set.rejected || envelope_rejected {
        Verdict::Rejected
    } else if set.with_warnings() {
        Verdict::AcceptedWithErrors
    } else {
        Verdict::Accepted
    }
}

/// Distinct codes of findings, in order, at most five.
fn codes<'f>(
    findings: impl Iterator<Item = &'f Finding>,
    code: &impl Fn(Code) -> Option<&'static str>,
) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for c in findings.filter_map(|f| code(f.code)) {
        if !out.contains(&c) && out.len() < MAX_CODES {
            out.push(c);
        }
    }
    out
}

/// AK2, the AK3/AK4 (IK3/IK4) notes and AK5 (IK5) of one set.
fn set_response(
    out: &mut Vec<Segment>,
    set: &SetReceipt<X12>,
    verdict: Verdict,
    is_999: bool,
    new_elements: bool,
    code: &impl Fn(Code) -> Option<&'static str>,
) {
    let mut ak2 = vec![
        Element::simple(&set.header.set_id),
        Element::simple(an(&set.control, 4, 9)),
    ];
    if new_elements && let Some(st03) = &set.header.implementation {
        ak2.push(Element::simple(st03));
    }
    out.push(Segment::new("AK2", ak2));

    let (seg_tag, el_tag) = if is_999 {
        ("IK3", "IK4")
    } else {
        ("AK3", "AK4")
    };
    let noted = |f: &&Finding| {
        matches!(f.code.level(), Level::Segment | Level::Element)
            && f.segment_position.is_some()
            && code(f.code).is_some()
    };
    let notes: Vec<&Finding> = set.findings.iter().filter(noted).collect();
    // Findings come in file order; one segment's findings are together.
    let mut i = 0;
    while i < notes.len() {
        let pos = notes[i].segment_position;
        let end = notes[i..]
            .iter()
            .position(|f| f.segment_position != pos)
            .map_or(notes.len(), |n| i + n);
        let here = &notes[i..end];
        i = end;
        let first = here[0];
        let Some(tag) = first.segment.as_deref().filter(|t| segment_id(t)) else {
            // A tag no AK301 can hold (a garbled one): the AK5 code 5 still says it.
            continue;
        };
        let position = pos.expect("filtered on it").to_string();
        let loop_id = first
            .loop_id
            .as_deref()
            .filter(|l| !l.is_empty() && l.len() <= if new_elements { 4 } else { 6 })
            .unwrap_or("");
        let ak3 = |c: &str| {
            Segment::new(
                seg_tag,
                vec![
                    Element::simple(tag),
                    Element::simple(&position),
                    Element::simple(loop_id),
                    Element::simple(c),
                ],
            )
        };
        for f in here.iter().filter(|f| f.code.level() == Level::Segment) {
            let mut seg = ak3(code(f.code).expect("filtered on it"));
            // A missing segment is named itself, at the position where it was expected.
            if let Some(missing) = f.missing.as_deref().filter(|t| segment_id(t)) {
                seg.elements[0] = Element::simple(missing);
            }
            out.push(seg);
        }
        // AK401 holds positions up to 99 (N0 1/2): an element past that (a segment with too
        // many elements) is told by the AK3's code 8 alone.
        let expressible = |f: &&&Finding| {
            f.element.is_some_and(|e| e <= 99) && f.component.is_none_or(|c| c <= 99)
        };
        let elements: Vec<&&Finding> = here
            .iter()
            .filter(|f| f.code.level() == Level::Element && f.element.is_some())
            .collect();
        let elements_noted = !elements.is_empty();
        let elements: Vec<&&Finding> = elements.into_iter().filter(expressible).collect();
        if !elements_noted {
            continue;
        }
        // AK304/IK304 8: the segment has data element errors, named by the AK4s below.
        out.push(ak3("8"));
        for f in elements.into_iter().take(MAX_ELEMENT_NOTES) {
            let el = f.element.expect("filtered on it");
            let at = match f.component {
                Some(c) => Element::composite([el.to_string(), c.to_string()]),
                None => Element::simple(el.to_string()),
            };
            let value = f.value.as_deref().unwrap_or("");
            out.push(Segment::new(
                el_tag,
                vec![
                    at,
                    Element::simple(""),
                    Element::simple(code(f.code).expect("filtered on it")),
                    Element::simple(value),
                ],
            ));
        }
    }

    let ak5_tag = if is_999 { "IK5" } else { "AK5" };
    let mut ak5 = vec![Element::simple(verdict.x12())];
    if verdict != Verdict::Accepted {
        // The set's own codes; an envelope's rejection adds none (that would lie about the
        // set), and segment or element notes add 5 ("one or more segments in error").
        let mut own = codes(
            set.findings
                .iter()
                .filter(|f| f.code.level() == Level::Transaction),
            code,
        );
        if set.not_supported && !own.contains(&"1") && own.len() < MAX_CODES {
            own.insert(0, "1");
        }
        if !notes.is_empty() && !own.contains(&"5") && own.len() < MAX_CODES {
            own.push("5");
        }
        ak5.extend(own.into_iter().map(Element::simple));
    }
    out.push(Segment::new(ak5_tag, ak5));
}

/// AK301 (721) is an identifier of two or three letters and digits.
fn segment_id(tag: &str) -> bool {
    (2..=3).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// `v` when it is 1 to `max` digits (an N0 element).
fn n0(v: &str, max: usize) -> Option<&str> {
    (!v.is_empty() && v.len() <= max && v.bytes().all(|b| b.is_ascii_digit())).then_some(v)
}

/// An inbound AN value made to fit `min..=max`: a short numeric one is zero-padded (ST02
/// `1` is `0001`), a long one cut. Only a malformed inbound control number needs this, and
/// its set is rejected for it.
fn an(v: &str, min: usize, max: usize) -> String {
    let v: String = v.chars().filter(|c| !c.is_control()).take(max).collect();
    if v.len() >= min {
        v
    } else {
        format!("{v:0>min$}")
    }
}

/// The TA1 of an interchange: TA101 its ISA13, TA102/TA103 its ISA09/ISA10, TA104 A, E or R,
/// TA105 the code of its first error (025 when `duplicate`: its control number was received
/// before), `000` when there is none.
pub fn ta1(receipt: &Receipt<X12>, duplicate: bool) -> Segment {
    let ic = &receipt.interchange;
    let isa = &ic.header;
    let (verdict, note) = ta1_verdict(receipt, duplicate);
    // TA101..TA103 echo the ISA; a malformed one cannot be echoed and gets zeros (the TA105
    // code says what was wrong with it).
    let control = match n0(&ic.control, 9) {
        Some(c) => format!("{c:0>9}"),
        None => "000000000".to_string(),
    };
    let fixed = |v: &str, n: usize| match n0(v, n) {
        Some(v) if v.len() == n => v.to_string(),
        _ => "0".repeat(n),
    };
    Segment::new(
        "TA1",
        vec![
            Element::simple(control),
            Element::simple(fixed(&isa.date, 6)),
            Element::simple(fixed(&isa.time, 4)),
            Element::simple(verdict.x12()),
            Element::simple(note),
        ],
    )
}

/// What a TA1 says of the interchange: its TA104 verdict and TA105 code.
pub fn ta1_verdict(receipt: &Receipt<X12>, duplicate: bool) -> (Verdict, &'static str) {
    let first_code = |s: Severity| {
        receipt
            .interchange_findings()
            .filter(|f| f.severity == s && f.code.level() == Level::Interchange)
            .find_map(|f| f.code.x12_code())
    };
    if duplicate {
        (Verdict::Rejected, "025")
    } else if receipt.interchange_rejected() {
        // A rejection whose finding has no TA105 code (unreadable bytes) is still one of
        // the interchange's content: 024.
        (
            Verdict::Rejected,
            first_code(Severity::Error).unwrap_or("024"),
        )
    } else if let Some(c) = first_code(Severity::Warning) {
        (Verdict::AcceptedWithErrors, c)
    } else {
        (Verdict::Accepted, "000")
    }
}

/// Whether a channel with `policy` sends a TA1 for this interchange.
pub fn ta1_due(policy: Ta1Policy, receipt: &Receipt<X12>, duplicate: bool) -> bool {
    let requested = receipt.interchange.header.ack_requested == "1";
    match policy {
        Ta1Policy::Requested => requested,
        Ta1Policy::Errors => requested || duplicate || receipt.interchange_rejected(),
        Ta1Policy::Always => true,
        Ta1Policy::Never => false,
    }
}

/// The envelope of an outgoing acknowledgment interchange.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The inbound interchange's ISA (its sender is our receiver).
    pub inbound: Isa,
    /// Our ISA13, at most nine digits (written zero-padded).
    pub control: u64,
    /// What to write with (by default the inbound's).
    pub delimiters: Delimiters,
    /// ISA09/ISA10 and GS04/GS05.
    pub stamp: jiff::civil::DateTime,
}

impl Outgoing {
    /// The envelope answering `receipt`'s interchange, with its delimiters.
    pub fn new(receipt: &Receipt<X12>, control: u64, stamp: jiff::civil::DateTime) -> Self {
        Outgoing {
            inbound: receipt.interchange.header.clone(),
            control,
            delimiters: receipt.interchange.delimiters,
            stamp,
        }
    }
}

/// Our control numbers of one functional ack: GS06 (and GE02) and ST02 (and SE02).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupControls {
    /// 1 to 999999999.
    pub group: u64,
    /// 1 to 999999999, written with at least four digits.
    pub set: u64,
}

/// Why an acknowledgment interchange cannot be written (the envelope builder's reasons).
pub use crate::envelope::build::Error as WriteError;

/// Writes one interchange: ISA (sender and receiver swapped from the inbound), the TA1 when
/// given, then per functional ack a GS (FA) with its ST, body and SE, a GE; the IEA.
pub fn write_interchange(
    out: &mut Vec<u8>,
    env: &Outgoing,
    ta1: Option<&Segment>,
    groups: &[(GroupControls, &FunctionalAck)],
) -> Result<(), WriteError> {
    use crate::envelope::build::{X12Envelope, X12Group, X12Set, write_x12};
    use crate::model::Identity;
    let isa = &env.inbound;
    // A malformed ISA12 or ISA15 rejected the inbound; answer as 00401 and production, the
    // safe readings.
    let version = if isa.version.len() == 5 && isa.version.bytes().all(|b| b.is_ascii_digit()) {
        isa.version.clone()
    } else {
        "00401".to_string()
    };
    let usage = if matches!(isa.usage.as_str(), "P" | "T" | "I") {
        isa.usage.clone()
    } else {
        "P".to_string()
    };
    // Without control characters: the inbound was rejected for them, and an ack must not
    // carry them.
    let clean = |v: &str| -> String { v.chars().filter(|c| !c.is_control()).collect() };
    let envelope = X12Envelope {
        sender: Identity {
            qualifier: isa.receiver_qualifier.clone(),
            id: clean(&isa.receiver_id).trim_end().to_string(),
        },
        receiver: Identity {
            qualifier: isa.sender_qualifier.clone(),
            id: clean(&isa.sender_id).trim_end().to_string(),
        },
        version,
        control: env.control,
        ack_requested: false,
        usage,
        delimiters: env.delimiters,
        stamp: env.stamp,
    };
    // GS02/GS03 are 2 to 15 characters; an inbound one longer is cut (its group was rejected
    // for it).
    let app = |v: &str| -> String { clean(v).chars().take(15).collect() };
    let bodies: Vec<(String, String, Vec<Segment>)> = groups
        .iter()
        .map(|(_, ack)| {
            (
                app(&ack.inbound_receiver),
                app(&ack.inbound_sender),
                ack.segments
                    .iter()
                    .map(|s| writable(s, &env.delimiters))
                    .collect(),
            )
        })
        .collect();
    let built: Vec<X12Group<'_>> = groups
        .iter()
        .zip(&bodies)
        .map(|((controls, ack), (sender, receiver, segments))| X12Group {
            functional_id: "FA",
            sender,
            receiver,
            control: controls.group,
            version: &ack.version,
            sets: vec![X12Set {
                id: ack.set_id,
                control: controls.set,
                implementation: (ack.set_id == "999").then_some(IMPLEMENTATION_999),
                segments,
            }],
        })
        .collect();
    let leading: Vec<Segment> = ta1.into_iter().cloned().collect();
    write_x12(out, &envelope, &leading, &built)
}

/// An AK4/IK4 whose copy of the bad value holds one of our delimiters (X12 has no escape)
/// loses the copy: AK404 is optional, and a altered copy would not be one.
fn writable(seg: &Segment, d: &Delimiters) -> Segment {
    let mut seg = seg.clone();
    if matches!(seg.tag.as_str(), "AK4" | "IK4")
        && let Some(v) = seg.elements.get_mut(3)
        && v.0.iter().flatten().any(|c| {
            c.bytes()
                .any(|b| d.is_delimiter(b) || b == b'\r' || b == b'\n')
        })
    {
        *v = Element::simple("");
    }
    seg
}
