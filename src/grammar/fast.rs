//! The validator's fast paths: answers to "is this value valid?" on its bytes, without building
//! a decimal, a string or a message.
//!
//! Phase: one simple value → "surely valid" or "look closer". Most values of a valid set are
//! short printable ASCII, so [`surely_valid`] checks type, length and code list in one pass over
//! the bytes (dates and times by their digits) and leaves everything else (non-ASCII, exponents,
//! more than 18 digits, anything it does not accept) to `validate::check_value`, the slow path
//! that says what is wrong. It only ever says yes where the slow path finds nothing: the tests
//! compare the two.

use super::{ElementDef, ElementType, Item, Position, Usage};
use crate::syntax::values;

/// True only when `validate::check_value` would find nothing wrong with `v`; false means
/// "ask the slow path" (which may still find nothing).
#[inline]
pub(super) fn surely_valid(e: &ElementDef, v: &[u8]) -> bool {
    surely_valid_in::<false>(e, v)
}

/// [`surely_valid`] for a value known to be ASCII (one of a segment read as text,
/// [`Fields::text`](crate::syntax::Fields::text)): its bytes are not tested again.
#[inline]
pub(super) fn surely_valid_ascii(e: &ElementDef, v: &[u8]) -> bool {
    debug_assert!(v.is_ascii());
    surely_valid_in::<true>(e, v)
}

#[inline(always)]
fn surely_valid_in<const ASCII: bool>(e: &ElementDef, v: &[u8]) -> bool {
    let len = match e.kind {
        ElementType::ID | ElementType::AN | ElementType::A | ElementType::B => {
            // Characters are bytes only in ASCII; the slow path counts the others.
            if !ASCII && !v.is_ascii() {
                return false;
            }
            v.len()
        }
        ElementType::R => match plain_number(v, false) {
            Some(d) => d,
            None => return false,
        },
        ElementType::N => match plain_number(v, true) {
            Some(d) => d,
            None => return false,
        },
        // Implied decimals: 1 to 18 digits after an optional minus, which a decimal always
        // holds whatever the places (at most 9); the length counts the digits.
        kind if kind.implied_decimals().is_some() => {
            let body = v.strip_prefix(b"-").unwrap_or(v);
            if body.is_empty() || body.len() > 18 || !body.iter().all(u8::is_ascii_digit) {
                return false;
            }
            body.len()
        }
        ElementType::DT => {
            if values::x12_date(v).is_err() {
                return false;
            }
            v.len()
        }
        ElementType::TM => {
            if !values::valid_x12_time(v) {
                return false;
            }
            v.len()
        }
        _ => return false,
    };
    len <= e.max && len >= e.min && e.codes.as_ref().is_none_or(|c| c.contains(v))
}

/// True only when `validate::check_composite` would find nothing wrong with the composite `v`
/// (which holds no repetition separator): every component present where mandatory and surely
/// valid once unescaped, nothing past the last component. False means "ask the slow path".
/// `rel` is the release character (`sep` when there is none, which then never matches).
#[inline]
pub(super) fn composite_surely_valid(components: &[Position], v: &[u8], sep: u8, rel: u8) -> bool {
    if rel == sep {
        // No release character: the parts are cut by a plain search (as in
        // `composite_surely_valid_ascii`; a function of its own for the two measured more
        // instructions).
        let parts = v.split(move |&b| b == sep).map(|p| (p, false));
        return composite_in::<false>(components, parts, rel);
    }
    composite_in::<false>(components, Parts { v, at: 0, sep, rel }, rel)
}

/// [`composite_surely_valid`] for a value known to be ASCII and free of release characters
/// (one of a segment read as text, [`Fields::text`](crate::syntax::Fields::text)): its parts
/// are cut by a plain search, with no release character to look for.
#[inline]
pub(super) fn composite_surely_valid_ascii(components: &[Position], v: &[u8], sep: u8) -> bool {
    // Components are a few bytes each, too few for a word-at-a-time search to pay.
    let parts = v.split(move |&b| b == sep).map(|p| (p, false));
    composite_in::<true>(components, parts, sep)
}

/// The components' checks over `parts` (each with whether it holds a release character,
/// `rel`). With `ASCII`, the parts are taken as ASCII without release characters, and `rel`
/// is not read.
#[inline(always)]
fn composite_in<'v, const ASCII: bool>(
    components: &[Position],
    mut parts: impl Iterator<Item = (&'v [u8], bool)>,
    rel: u8,
) -> bool {
    for comp in components {
        let (part, released) = parts.next().unwrap_or((b"", false));
        if part.is_empty() {
            if comp.usage == Usage::Mandatory {
                return false;
            }
            continue;
        }
        if let Item::Simple(e) = &comp.item {
            let valid = if ASCII {
                surely_valid_ascii(e, part)
            } else {
                surely_valid_raw(e, part, released.then_some(rel))
            };
            if !valid {
                return false;
            }
        }
    }
    parts.all(|(p, _)| p.is_empty())
}

/// [`surely_valid`] on a raw value that may hold release characters (`rel`, when it does):
/// unescaped into a buffer on the stack; a value too long for it goes the slow way.
#[inline]
pub(super) fn surely_valid_raw(e: &ElementDef, v: &[u8], rel: Option<u8>) -> bool {
    let Some(rel) = rel else {
        return surely_valid(e, v);
    };
    let mut buf = [0u8; 72];
    match unescape_into(v, rel, &mut buf) {
        Some(u) => surely_valid(e, u),
        None => false,
    }
}

/// As `Separators::unescape` (the byte after a release character stands for itself; one at
/// the very end stays), into `buf`; `None` when it does not fit.
pub(super) fn unescape_into<'b>(v: &[u8], rel: u8, buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let (mut n, mut k) = (0, 0);
    while k < v.len() {
        let mut b = v[k];
        if b == rel && k + 1 < v.len() {
            k += 1;
            b = v[k];
        }
        *buf.get_mut(n)? = b;
        n += 1;
        k += 1;
    }
    Some(&buf[..n])
}

/// The parts of a value between unreleased separators, as `Separators::components` cuts
/// them, each with whether it holds a release character. (With `rel` equal to `sep` the
/// separator is met first and nothing is released; [`composite_surely_valid`] cuts such a
/// value with a plain search instead.)
struct Parts<'v> {
    v: &'v [u8],
    /// Where the next part starts; past the end when there is none.
    at: usize,
    sep: u8,
    rel: u8,
}

impl<'v> Iterator for Parts<'v> {
    type Item = (&'v [u8], bool);

    #[inline]
    fn next(&mut self) -> Option<(&'v [u8], bool)> {
        let start = self.at;
        if start > self.v.len() {
            return None;
        }
        let (mut k, mut released) = (start, false);
        while k < self.v.len() {
            let b = self.v[k];
            if b == self.sep {
                break;
            }
            if b == self.rel {
                released = true;
                k += 2;
            } else {
                k += 1;
            }
        }
        let end = k.min(self.v.len());
        self.at = end + 1;
        Some((&self.v[start..end], released))
    }
}

/// The number of digits of a number `values::decimal` surely reads (its own short path): an
/// optional minus, then 1 to 18 bytes of digits with at most one decimal mark (`.`, or `,` as
/// well when `comma`), at least one of them a digit. `None` for anything else.
#[inline]
pub(super) fn plain_number(v: &[u8], comma: bool) -> Option<usize> {
    let body = v.strip_prefix(b"-").unwrap_or(v);
    if body.is_empty() || body.len() > 18 {
        return None;
    }
    let (mut digits, mut marks) = (0usize, 0usize);
    for &b in body {
        if b.is_ascii_digit() {
            digits += 1;
        } else if b == b'.' || (comma && b == b',') {
            marks += 1;
        } else {
            return None;
        }
    }
    (digits > 0 && marks <= 1).then_some(digits)
}

/// True when `v` holds neither `a` nor `b` (the repetition separator and the release
/// character, either standing in for the other when absent). No early exit: values are short,
/// and a loop without one vectorizes when they are not.
#[inline]
pub(super) fn holds_neither(v: &[u8], a: u8, b: u8) -> bool {
    !v.iter().fold(false, |m, &c| m | (c == a) | (c == b))
}

#[cfg(test)]
mod tests {
    use super::super::CodeList;
    use super::super::validate::check_value;
    use super::*;
    use crate::syntax::values::{self, Notation};
    use proptest::prelude::*;
    use std::sync::Arc;

    fn def(kind: ElementType, min: usize, max: usize, codes: Option<&[&str]>) -> ElementDef {
        ElementDef {
            id: "1".into(),
            name: "Test".into(),
            kind,
            min,
            max,
            codes: codes
                .map(|c| Arc::new(CodeList::new(c.iter().map(|s| s.to_string()).collect()))),
        }
    }

    fn defs() -> Vec<ElementDef> {
        use ElementType::*;
        let mut out = Vec::new();
        for kind in [ID, AN, A, B, R, N, N0, N2, DT, TM] {
            for (min, max) in [(1, 1), (1, 3), (2, 6), (1, 18), (4, 8), (0, 35)] {
                out.push(def(kind, min, max, None));
            }
            out.push(def(
                kind,
                1,
                3,
                Some(&["A", "ZZ", "00", "1", "1.5", "-1", "É"]),
            ));
        }
        out
    }

    /// The edge values: empty, at and past the lengths, non-ASCII, separators, numbers.
    const EDGES: &[&[u8]] = &[
        b"",
        b"A",
        b"ZZ",
        b"ZZZ",
        b"00",
        b"1",
        b"-1",
        b"-",
        b".",
        b",",
        b"1.",
        b".5",
        b"1,5",
        b"1.2.3",
        b"1,2.3",
        b"-.5",
        b"--1",
        b"1E3",
        b"1e3",
        b"+1",
        b" 1",
        b"1 ",
        b"123456",
        b"1234567",
        b"12345678",
        b"123456789012345678",
        b"1234567890123456789",
        b"-123456789012345678",
        b"12345678901234567.8",
        b"1.5",
        b"\xc3\x89",
        b"\xff",
        b"A*B",
        b"A^B",
        b"A?B",
        b"A:B",
        b"\x01",
        b"20240315",
        b"20240230",
        b"20240229",
        b"20230229",
        b"240229",
        b"250229",
        b"991231",
        b"00000000",
        b"0930",
        b"2400",
        b"0960",
        b"093059",
        b"093060",
        b"0930599",
        b"09305999",
        b"-0930",
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    ];

    #[test]
    fn fast_agrees_with_slow_on_edges() {
        for e in defs() {
            for &v in EDGES {
                if surely_valid(&e, v) {
                    assert_eq!(check_value(&e, v), None, "{:?} {v:?}", e.kind);
                }
            }
        }
    }

    #[test]
    fn fast_covers_the_common_values() {
        use ElementType::*;
        for (kind, v) in [
            (ID, &b"ZZ"[..]),
            (AN, b"PO 1"),
            (R, b"252.01"),
            (N, b"1,5"),
            (R, b"-7"),
            (N0, b"-7"),
            (N2, b"12345"),
            (DT, b"20240229"),
            (DT, b"991231"),
            (TM, b"0930"),
            (TM, b"09305999"),
        ] {
            assert!(surely_valid(&def(kind, 1, 18, None), v), "{kind:?} {v:?}");
        }
        let coded = def(ID, 1, 3, Some(&["ZZ"]));
        assert!(surely_valid(&coded, b"ZZ") && !surely_valid(&coded, b"ZY"));
        assert!(!surely_valid(&def(AN, 1, 3, None), b"\xc3\x89"));
        assert!(!surely_valid(&def(R, 1, 3, None), b"1234"));
        assert!(!surely_valid(&def(DT, 8, 8, None), b"20230229"));
        assert!(!surely_valid(&def(TM, 4, 8, None), b"0960"));
        assert!(!surely_valid(&def(N2, 1, 18, None), b"1.5"));
    }

    #[test]
    fn plain_numbers_are_decimals() {
        for &v in EDGES {
            for (comma, notation) in [(false, Notation::X12), (true, Notation::Edifact)] {
                if let Some(d) = plain_number(v, comma) {
                    assert!(values::decimal(v, notation).is_ok(), "{v:?}");
                    assert_eq!(d, v.iter().filter(|b| b.is_ascii_digit()).count());
                }
            }
        }
    }

    #[test]
    fn holds_neither_finds_both() {
        assert!(holds_neither(b"", b'^', b'?'));
        assert!(holds_neither(b"ABC", b'^', b'?'));
        assert!(!holds_neither(b"A^C", b'^', b'?'));
        assert!(!holds_neither(b"A?", b'^', b'?'));
        assert!(!holds_neither(
            &[b'x'; 100].iter().chain(b"?").copied().collect::<Vec<_>>(),
            b'^',
            b'?'
        ));
    }

    #[test]
    fn parts_and_unescaping_at_the_edges() {
        let parts = |v: &'static [u8]| {
            Parts {
                v,
                at: 0,
                sep: b':',
                rel: b'?',
            }
            .collect::<Vec<_>>()
        };
        assert_eq!(parts(b""), [(&b""[..], false)]);
        assert_eq!(parts(b":"), [(&b""[..], false), (&b""[..], false)]);
        assert_eq!(
            parts(b"a?:b:c?"),
            [(&b"a?:b"[..], true), (&b"c?"[..], true)]
        );
        let mut buf = [0u8; 4];
        assert_eq!(unescape_into(b"a?:b?", b'?', &mut buf), Some(&b"a:b?"[..]));
        assert_eq!(unescape_into(b"??", b'?', &mut buf), Some(&b"?"[..]));
        assert_eq!(unescape_into(b"abcde", b'?', &mut buf), None);
        assert_eq!(unescape_into(b"abc?de", b'?', &mut buf), None);
        assert_eq!(unescape_into(b"ab?cd", b'?', &mut buf), Some(&b"abcd"[..]));
    }

    proptest! {
        #[test]
        fn parts_cut_and_unescape_as_the_separators_do(
            v in proptest::collection::vec(
                prop_oneof![Just(b':'), Just(b'?'), Just(b'a'), Just(b'+')],
                0..16,
            ),
            release in any::<bool>(),
        ) {
            use crate::syntax::Separators;
            let seps = Separators {
                component: b':',
                repetition: None,
                release: release.then_some(b'?'),
            };
            let rel = seps.release.unwrap_or(b':');
            let ours: Vec<_> = Parts { v: &v, at: 0, sep: b':', rel }.collect();
            let theirs: Vec<_> = seps.components(&v).collect();
            prop_assert_eq!(ours.iter().map(|p| p.0).collect::<Vec<_>>(), theirs);
            // Without a release character the plain search of `composite_surely_valid` and
            // `composite_surely_valid_ascii` cuts the same parts.
            if !release {
                let plain: Vec<_> = v.split(|&b| b == b':').map(|p| (p, false)).collect();
                prop_assert_eq!(plain, ours.clone());
            }
            for (part, released) in ours {
                prop_assert_eq!(released, release && part.contains(&b'?'));
                let mut buf = [0u8; 72];
                prop_assert_eq!(
                    unescape_into(part, b'?', &mut buf).map(<[u8]>::to_vec),
                    Some(Separators { release: Some(b'?'), ..seps }.unescape(part).into_owned())
                );
            }
        }

        #[test]
        fn fast_never_accepts_what_slow_rejects(
            v in proptest::collection::vec(
                prop_oneof![
                    Just(b'0'), Just(b'9'), Just(b'5'), Just(b'.'), Just(b','), Just(b'-'),
                    Just(b'E'), Just(b'A'), Just(b'Z'), Just(b' '), Just(0xC3), Just(0x89), any::<u8>()
                ],
                0..24,
            ),
            which in 0usize..70,
        ) {
            let defs = defs();
            let e = &defs[which % defs.len()];
            if surely_valid(e, &v) {
                prop_assert_eq!(check_value(e, &v), None);
            }
            // Told that the value is ASCII, the fast path answers as it does finding it so.
            if v.is_ascii() {
                prop_assert_eq!(surely_valid_ascii(e, &v), surely_valid(e, &v));
            }
            let (a, b) = (b'^', b'?');
            prop_assert_eq!(holds_neither(&v, a, b), !v.iter().any(|&c| c == a || c == b));
        }
    }
}
