//! CONTRL → [`Acknowledgment`]: what a partner's syntax and service report says of an
//! interchange we sent.
//!
//! Phase: mapping, after grammar validation (driven by `map::driver`). UCI answers our
//! interchange (UNB 0020) with an action (0083: 4 rejected, 7 acknowledged, 8 received) and
//! maybe an error (0085) in our UNB or UNZ; UCF answers a group; UCM answers a message, with
//! UCS (a segment, by its position in the message) and UCD (an element of it) under it. Syntax
//! versions 3 and 4 differ only in elements we do not read (4 adds security and package
//! references) and in S011's repetition (0136), read when sent. For example
//!
//! ```text
//! UCI+5301+SENDER:14+RECEIVER:14+4'UCM+1+ORDERS:D:96A:UN+4'UCS+3+13'UCD+12+2:1'
//! ```
//!
//! becomes a `rejected` acknowledgment of interchange `5301` whose ORDERS message `1` was
//! rejected: in its third segment, component 1 of element 2 held an invalid value.

use super::common::Ctx;
use crate::map::ack_codes::{Kind, code};
use crate::model::ack::{
    AckCode, AckCounts, AckType, AckVerdict, Acknowledged, Acknowledgment, ElementError, GroupAck,
    SegmentError, SetAck,
};
use crate::model::{Identity, Purpose, Source};
use crate::syntax::Fields;

pub fn map(ctx: &mut Ctx<'_>, segs: &[Fields<'_>], source: Source) -> Option<Acknowledgment> {
    let mut uci: Option<(Acknowledged, String, Vec<AckCode>, Vec<SegmentError>)> = None;
    let mut groups: Vec<GroupAck> = Vec::new();
    let mut sets: Vec<SetAck> = Vec::new();
    for seg in segs {
        match seg.tag {
            b"UCI" => {
                let identity = |n: usize| {
                    ctx.text(seg, n, 1).map(|id| Identity {
                        qualifier: ctx.text(seg, n, 2).unwrap_or_default(),
                        id,
                    })
                };
                let acknowledged = Acknowledged {
                    interchange_control: ctx.text(seg, 1, 1),
                    sender: identity(2),
                    recipient: identity(3),
                    ..Acknowledged::default()
                };
                let action = ctx.text(seg, 4, 1).unwrap_or_default();
                let codes = error_code(ctx, seg, 5);
                let errors = pointed(ctx, seg, 6, 7, &codes);
                uci = Some((acknowledged, action, codes, errors));
            }
            b"UCF" => {
                let action = ctx.text(seg, 4, 1).unwrap_or_default();
                let codes = error_code(ctx, seg, 5);
                let errors = pointed(ctx, seg, 6, 7, &codes);
                groups.push(GroupAck {
                    control: ctx.text(seg, 1, 1).unwrap_or_default(),
                    verdict: AckVerdict::from_contrl(&action),
                    verdict_code: action,
                    codes,
                    errors,
                });
            }
            b"UCM" => {
                let action = ctx.text(seg, 3, 1).unwrap_or_default();
                let codes = error_code(ctx, seg, 4);
                let errors = pointed(ctx, seg, 5, 6, &codes);
                let version: Vec<String> = (2..=5)
                    .map(|c| ctx.text(seg, 2, c).unwrap_or_default())
                    .collect();
                let version = version.join(":").trim_end_matches(':').to_string();
                sets.push(SetAck {
                    set_id: ctx.text(seg, 2, 1).unwrap_or_default(),
                    control: ctx.text(seg, 1, 1).unwrap_or_default(),
                    version: (!version.is_empty()).then_some(version),
                    // A UCM after a UCF answers a message of that group (SG4).
                    group_control: groups.last().map(|g| g.control.clone()),
                    verdict: AckVerdict::from_contrl(&action),
                    verdict_code: action,
                    codes,
                    errors,
                });
            }
            b"UCS" => {
                let error = SegmentError {
                    position: number(ctx, seg, 1, 1),
                    code: ctx.text(seg, 2, 1).map(|c| code(Kind::Edifact, &c)),
                    ..SegmentError::default()
                };
                if let Some(set) = sets.last_mut() {
                    set.errors.push(error);
                }
            }
            b"UCD" => {
                let mut el = element(ctx, seg, 2);
                el.code = ctx.text(seg, 1, 1).map(|c| code(Kind::Edifact, &c));
                if let Some(s) = sets.last_mut().and_then(|s| s.errors.last_mut()) {
                    s.elements.push(el);
                }
            }
            _ => {}
        }
    }
    let Some((mut acknowledged, action, codes, errors)) = uci else {
        ctx.error(
            &segs[0],
            0,
            "the CONTRL has no UCI segment: it does not say which of our interchanges it answers",
        );
        return None;
    };
    let Some(control) = acknowledged.interchange_control.clone() else {
        ctx.error(
            &segs[0],
            0,
            "the CONTRL's UCI has no interchange control reference (0020): it does not say which of our interchanges it answers",
        );
        return None;
    };
    if action.is_empty() {
        ctx.error(
            &segs[0],
            0,
            format!(
                "the CONTRL's UCI has no action code (0083): it gives no verdict on interchange {control}"
            ),
        );
        return None;
    }
    if let [only] = groups.as_slice() {
        acknowledged.group_control = Some(only.control.clone());
    }
    // Action 7 acknowledges what is not explicitly rejected below it: with a rejection below,
    // the interchange is only partly accepted.
    let mut verdict = AckVerdict::from_contrl(&action);
    let rejected_below = groups
        .iter()
        .map(|g| g.verdict)
        .chain(sets.iter().map(|s| s.verdict));
    if verdict == AckVerdict::Accepted
        && rejected_below
            .into_iter()
            .any(|v| v == AckVerdict::Rejected)
    {
        verdict = AckVerdict::PartiallyAccepted;
    }
    Some(Acknowledgment {
        ack_type: AckType::Contrl,
        number: Acknowledgment::number_of(AckType::Contrl, &acknowledged),
        purpose: Purpose::Original,
        acknowledged,
        verdict,
        verdict_code: action,
        codes,
        counts: AckCounts::default(),
        errors,
        groups,
        sets,
        source,
    })
}

/// The syntax error code (0085) of element `n`, when sent.
fn error_code(ctx: &Ctx<'_>, seg: &Fields<'_>, n: usize) -> Vec<AckCode> {
    ctx.text(seg, n, 1)
        .map(|c| code(Kind::Edifact, &c))
        .into_iter()
        .collect()
}

/// The service segment (0013/0135, element `tag`) and element (S011, element `at`) a UCI, UCF
/// or UCM error points at, when it points at one: one segment error with the code in `codes`.
fn pointed(
    ctx: &mut Ctx<'_>,
    seg: &Fields<'_>,
    tag: usize,
    at: usize,
    codes: &[AckCode],
) -> Vec<SegmentError> {
    let segment_id = ctx.text(seg, tag, 1);
    let has_element = ctx.text(seg, at, 1).is_some();
    if segment_id.is_none() && !has_element {
        return Vec::new();
    }
    let elements = if has_element {
        let mut el = element(ctx, seg, at);
        el.code = codes.first().cloned();
        vec![el]
    } else {
        Vec::new()
    };
    vec![SegmentError {
        segment_id,
        // Said once: on the element when one is named, else on the segment.
        code: if has_element {
            None
        } else {
            codes.first().cloned()
        },
        elements,
        ..SegmentError::default()
    }]
}

/// S011 in element `n`: position (0098), component (0104), repetition (0136, syntax 4).
fn element(ctx: &mut Ctx<'_>, seg: &Fields<'_>, n: usize) -> ElementError {
    ElementError {
        position: number(ctx, seg, n, 1),
        component: number(ctx, seg, n, 2),
        repetition: number(ctx, seg, n, 3),
        ..ElementError::default()
    }
}

/// A position (n..6): a whole number, or a finding saying why it is left out.
fn number<T: std::str::FromStr>(
    ctx: &mut Ctx<'_>,
    seg: &Fields<'_>,
    n: usize,
    c: usize,
) -> Option<T> {
    let v = ctx.text(seg, n, c)?;
    let parsed = v.parse::<T>().ok();
    if parsed.is_none() {
        ctx.error(
            seg,
            n,
            format!(
                "{} element {n} component {c} '{}' is not a position; it is left out",
                seg.tag_str(),
                crate::syntax::text::for_message(v.as_bytes(), 20)
            ),
        );
    }
    parsed
}
