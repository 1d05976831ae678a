//! 997, 999 and TA1 → [`Acknowledgment`]: what a partner says of the interchanges, groups and
//! sets we sent.
//!
//! Phase: mapping, after grammar validation (driven by `map::driver`). A 997 or 999 answers one
//! of our functional groups: AK1 names it (GS01, GS06, GS08), each AK2 loop one of its sets with
//! the segment (AK3/IK3) and element (AK4/IK4) errors the partner found and its verdict
//! (AK5/IK5), AK9 the group's verdict and counts. A TA1, which stands between the ISA and the
//! first GS, answers one of our interchanges (ISA13 in TA101). For example
//!
//! ```text
//! AK1*IN*1201~AK2*810*0001~AK3*N1*4*N1*8~AK4*4*66*7*ZZ~AK5*R*5~AK9*R*1*1*0~
//! ```
//!
//! becomes a `rejected` acknowledgment of group `IN 1201` whose invoice set `0001` was rejected
//! because element N104 (reference 66) held the invalid code value `ZZ`.

use super::common::{Ctx, text};
use crate::map::ack_codes::{Kind, code};
use crate::model::ack::{
    AckCounts, AckType, AckVerdict, Acknowledged, Acknowledgment, ElementError, SegmentError,
    SetAck,
};
use crate::model::{Purpose, Source};
use crate::syntax::Fields;

/// Maps a 997 or 999 (`ack_type` says which).
pub fn functional(
    ctx: &mut Ctx<'_>,
    segs: &[Fields<'_>],
    source: Source,
    ack_type: AckType,
) -> Option<Acknowledgment> {
    let mut acknowledged = Acknowledged::default();
    let mut sets: Vec<SetAck> = Vec::new();
    let mut verdict: Option<(String, Vec<_>)> = None;
    let mut counts = AckCounts::default();
    let mut ak1 = false;
    for seg in segs {
        match seg.tag {
            b"AK1" => {
                ak1 = true;
                acknowledged.functional_id = text(seg, 1);
                acknowledged.group_control = text(seg, 2);
                acknowledged.group_version = text(seg, 3);
            }
            b"AK2" => sets.push(SetAck {
                set_id: text(seg, 1).unwrap_or_default(),
                control: text(seg, 2).unwrap_or_default(),
                version: text(seg, 3),
                group_control: None,
                verdict: AckVerdict::Unknown,
                verdict_code: String::new(),
                codes: Vec::new(),
                errors: Vec::new(),
            }),
            b"AK3" | b"IK3" => {
                let error = SegmentError {
                    segment_id: text(seg, 1),
                    position: ctx.whole(seg, 2),
                    loop_id: text(seg, 3),
                    code: text(seg, 4).map(|c| code(Kind::X12Segment, &c)),
                    context: Vec::new(),
                    elements: Vec::new(),
                };
                // Out of place (before any AK2), it is the grammar's finding; nothing to add to.
                if let Some(set) = sets.last_mut() {
                    set.errors.push(error);
                }
            }
            b"AK4" | b"IK4" => {
                let el = element_error(ctx, seg);
                if let Some(s) = sets.last_mut().and_then(|s| s.errors.last_mut()) {
                    s.elements.push(el);
                }
            }
            b"CTX" => {
                let said = context(seg);
                // After an IK4 it is that element's context, else its IK3's.
                if let Some(s) = sets.last_mut().and_then(|s| s.errors.last_mut()) {
                    match s.elements.last_mut() {
                        Some(e) => e.context.push(said),
                        None => s.context.push(said),
                    }
                }
            }
            b"AK5" | b"IK5" => {
                if let Some(set) = sets.last_mut() {
                    let v = text(seg, 1).unwrap_or_default();
                    set.verdict = AckVerdict::from_x12(&v);
                    set.verdict_code = v;
                    set.codes = codes(seg, 2..=6, Kind::X12Set);
                }
            }
            b"AK9" => {
                verdict = Some((
                    text(seg, 1).unwrap_or_default(),
                    codes(seg, 5..=9, Kind::X12Group),
                ));
                counts = AckCounts {
                    included: ctx.whole(seg, 2),
                    received: ctx.whole(seg, 3),
                    accepted: ctx.whole(seg, 4),
                };
            }
            _ => {}
        }
    }
    let what = ack_type.as_str();
    if !ak1 || acknowledged.group_control.is_none() {
        ctx.error(
            &segs[0],
            0,
            format!(
                "the {what} has no AK1 with a group control number (AK102): it does not say which of our groups it acknowledges"
            ),
        );
        return None;
    }
    let Some((verdict_code, group_codes)) = verdict.filter(|(v, _)| !v.is_empty()) else {
        ctx.error(
            &segs[0],
            0,
            format!(
                "the {what} has no AK9 with an acknowledgment code (AK901): it gives no verdict on group {}",
                acknowledged.group_control.as_deref().unwrap_or_default()
            ),
        );
        return None;
    };
    Some(Acknowledgment {
        ack_type,
        number: Acknowledgment::number_of(ack_type, &acknowledged),
        purpose: Purpose::Original,
        acknowledged,
        verdict: AckVerdict::from_x12(&verdict_code),
        verdict_code,
        codes: group_codes,
        counts,
        errors: Vec::new(),
        groups: Vec::new(),
        sets,
        source,
    })
}

/// Maps a TA1 (its one segment, handed out by the envelope scanner as a set of its own).
pub fn ta1(ctx: &mut Ctx<'_>, segs: &[Fields<'_>], source: Source) -> Option<Acknowledgment> {
    let seg = segs.iter().find(|s| s.tag == b"TA1")?;
    let Some(control) = text(seg, 1) else {
        ctx.error(
            seg,
            1,
            "TA101 (interchange control number) is missing: the TA1 does not say which of our interchanges it acknowledges",
        );
        return None;
    };
    let Some(verdict_code) = text(seg, 4) else {
        ctx.error(
            seg,
            4,
            format!(
                "TA104 (interchange acknowledgment code) is missing: the TA1 gives no verdict on interchange {control}"
            ),
        );
        return None;
    };
    let acknowledged = Acknowledged {
        interchange_control: Some(control),
        interchange_date: ctx.date(seg, 2),
        interchange_time: ctx.time(seg, 3),
        ..Acknowledged::default()
    };
    Some(Acknowledgment {
        ack_type: AckType::Ta1,
        number: Acknowledgment::number_of(AckType::Ta1, &acknowledged),
        purpose: Purpose::Original,
        acknowledged,
        verdict: AckVerdict::from_x12(&verdict_code),
        verdict_code,
        codes: codes(seg, 5..=5, Kind::Ta1Note),
        counts: AckCounts::default(),
        errors: Vec::new(),
        groups: Vec::new(),
        sets: Vec::new(),
        source,
    })
}

/// An AK4 or IK4: position (with component and repetition in 005010), reference, code, value.
fn element_error(ctx: &mut Ctx<'_>, seg: &Fields<'_>) -> ElementError {
    let mut parts = seg.components(seg.value(1));
    let mut part = || {
        parts
            .next()
            .map(<[u8]>::trim_ascii)
            .filter(|v| !v.is_empty())
            .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u32>().ok())
    };
    let (position, component, repetition) = (part(), part(), part());
    if position.is_none() && !seg.value(1).is_empty() {
        ctx.warn(
            seg,
            1,
            format!(
                "{}01 '{}' is not an element position; the error's position is left out",
                seg.tag_str(),
                crate::syntax::text::for_message(seg.value(1), 20)
            ),
        );
    }
    ElementError {
        position,
        component,
        repetition,
        reference: text(seg, 2),
        code: text(seg, 3).map(|c| code(Kind::X12Element, &c)),
        bad_value: text(seg, 4),
        context: Vec::new(),
    }
}

/// The codes in elements `range` (AK502..AK506, AK905..AK909), the empty ones left out.
fn codes(
    seg: &Fields<'_>,
    range: std::ops::RangeInclusive<usize>,
    kind: Kind,
) -> Vec<crate::model::ack::AckCode> {
    range
        .filter_map(|n| text(seg, n))
        .map(|c| code(kind, &c))
        .collect()
}

/// A CTX in words: its context name and reference, then where it points, when it does
/// (`SITUATIONAL TRIGGER at NM1, segment 12, loop 2010BA, element 3`, `CLM01 = 12345`).
fn context(seg: &Fields<'_>) -> String {
    let component = |n: usize, c: usize| {
        let v = seg.components(seg.value(n)).nth(c - 1).unwrap_or_default();
        crate::syntax::text::tidy_bytes(v, crate::syntax::text::decode).map(|t| t.into_owned())
    };
    let mut out = component(1, 1).unwrap_or_default();
    if let Some(reference) = component(1, 2) {
        out.push_str(" = ");
        out.push_str(&reference);
    }
    let mut at = Vec::new();
    if let Some(tag) = text(seg, 2) {
        at.push(tag);
    }
    if let Some(p) = text(seg, 3) {
        at.push(format!("segment {p}"));
    }
    if let Some(l) = text(seg, 4) {
        at.push(format!("loop {l}"));
    }
    if let Some(e) = component(5, 1) {
        at.push(format!("element {e}"));
    }
    if let Some(r) = component(6, 1) {
        at.push(format!("reference {r}"));
    }
    if !at.is_empty() {
        out.push_str(" at ");
        out.push_str(&at.join(", "));
    }
    out
}
