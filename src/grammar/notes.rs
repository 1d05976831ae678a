//! Syntax notes (X12 `P0102`, `R0203`, `E0203`, `C0203`, `L020304`): are they kept by a segment?
//!
//! Phase: one segment's values → findings, after its elements. The common case is decided on a
//! bitmask of the positions present ([`surely_kept`], a few instructions a note); only a note
//! that the bits cannot vouch for is looked at value by value ([`check_rule`]), which builds its
//! message only when the note is broken.

use super::Rule;
use super::validate::{Ctx, unescaped};
use crate::diag::{Code, Finding};
use crate::syntax::Fields;
use crate::syntax::text::decode;

/// True when the syntax note holds for the positions in `present` (bit `p` for element `p`),
/// tested on bits; false when [`check_rule`] must look (and may find nothing wrong).
#[inline]
pub(super) fn surely_kept(rule: &Rule, present: u128) -> bool {
    let all = rule.mask;
    if all == 0 {
        return false;
    }
    let m = present & all;
    let first = rule.first;
    let rest = all & !first;
    match rule.kind {
        b'P' => m == 0 || m == all,
        b'R' => m != 0,
        b'E' => m.count_ones() <= 1,
        b'C' => m & first == 0 || m & rest == rest,
        b'L' => m & first == 0 || m & rest != 0,
        _ => false,
    }
}

pub(super) fn check_rule(
    seg: &Fields<'_>,
    tag: &str,
    rule: &Rule,
    values: &[&[u8]],
    position: usize,
    ctx: &mut Ctx<'_>,
) {
    let present = |p: usize| values.get(p - 1).is_some_and(|v| !v.is_empty());
    let names = |ps: &[usize]| {
        ps.iter()
            .map(|p| format!("{tag}{p:02}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let ps = &rule.positions;
    let n_present = ps.iter().filter(|&&p| present(p)).count();
    let violation = match rule.kind {
        b'P' if n_present > 0 && n_present < ps.len() => {
            let missing: Vec<usize> = ps.iter().copied().filter(|&p| !present(p)).collect();
            Some((
                Code::ConditionalElementMissing,
                missing[0],
                format!(
                    "{} must all be present when any is (syntax note {}); {} missing",
                    names(ps),
                    rule.text,
                    names(&missing)
                ),
            ))
        }
        b'R' if n_present == 0 => Some((
            Code::ConditionalElementMissing,
            ps[0],
            format!(
                "at least one of {} is required (syntax note {})",
                names(ps),
                rule.text
            ),
        )),
        b'E' if n_present > 1 => Some((
            Code::ExclusionViolated,
            ps[1],
            format!(
                "only one of {} may be present (syntax note {})",
                names(ps),
                rule.text
            ),
        )),
        b'C' if present(ps[0]) && !ps[1..].iter().all(|&p| present(p)) => {
            let missing: Vec<usize> = ps[1..].iter().copied().filter(|&p| !present(p)).collect();
            Some((
                Code::ConditionalElementMissing,
                missing[0],
                format!(
                    "{} is present, so {} is required (syntax note {})",
                    names(&ps[..1]),
                    names(&missing),
                    rule.text
                ),
            ))
        }
        b'L' if present(ps[0]) && !ps[1..].iter().any(|&p| present(p)) => Some((
            Code::ConditionalElementMissing,
            ps[1],
            format!(
                "{} is present, so at least one of {} is required (syntax note {})",
                names(&ps[..1]),
                names(&ps[1..]),
                rule.text
            ),
        )),
        _ => None,
    };
    if let Some((code, el, msg)) = violation {
        // Only an exclusion has a bad value: the element that must not be there.
        let mut f = Finding::error(code, msg).element(el);
        if code == Code::ExclusionViolated {
            let v = values.get(el - 1).copied().unwrap_or(b"");
            f = f.with_value(&decode(&unescaped(seg, v)));
        }
        ctx.push(seg, position, f);
    }
}
