//! Bytes classified sixteen at a time: where the separators of a segment are, and where it
//! ends.
//!
//! Phase: part of tokenizing. Segments are short (thirty to fifty bytes) and hold a separator
//! every few bytes, so a search that sets up for each piece (`memchr`) spends more on the set-up
//! than on the bytes. Here a block of [`BLOCK`] bytes is compared with each byte sought at once,
//! and each comparison becomes a bit mask, bit `i` for byte `i`: [`masks`] for splitting a
//! segment into its elements ([`super::fields`]), [`find_any`] for the end of a segment (the
//! tokenizers).
//!
//! On x86-64 that is SSE2, which every x86-64 processor has, through `safe_arch`'s safe wrappers
//! of the intrinsics (which this crate, forbidding `unsafe`, could not call itself); elsewhere
//! (and on a target built without SSE2) a loop a byte at a time gives the same masks. The tests
//! hold the two to each other.
//!
//! ```text
//! block:        P  O  1  *  1  *  1  0  *  E  A  *  2  .  5  0
//! separators:   0  0  0  1  0  1  0  0  1  0  0  1  0  0  0  0   (read from the right: 0x0928)
//! ```

/// The bytes looked at in one step.
pub const BLOCK: usize = 16;

/// How far [`find_any`] searches by blocks before it hands the rest to `memchr3`.
const NEAR: usize = 4 * BLOCK;

/// What a block holds, a bit for each byte (bit `i` for byte `i`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Masks {
    pub separators: u32,
    pub releases: u32,
    /// Below 0x20 or above 0x7F.
    pub unprintable: u32,
}

impl Masks {
    /// The masks of a block whose first `seen` bytes were looked at already, moved down past
    /// them: bit 0 is then the first byte not seen. `seen` is less than [`BLOCK`].
    #[inline(always)]
    pub fn shifted(self, seen: usize) -> Masks {
        debug_assert!(seen < BLOCK);
        Masks {
            separators: self.separators >> seen,
            releases: self.releases >> seen,
            unprintable: self.unprintable >> seen,
        }
    }

    /// The bits of the first `n` bytes only; `n` is less than [`BLOCK`].
    #[inline(always)]
    pub fn within(self, n: usize) -> Masks {
        debug_assert!(n < BLOCK);
        let keep = (1u32 << n) - 1;
        Masks {
            separators: self.separators & keep,
            releases: self.releases & keep,
            unprintable: self.unprintable & keep,
        }
    }
}

/// Where `block` holds `sep`, `release`, and bytes that are not printable ASCII.
#[inline(always)]
pub fn masks(block: &[u8; BLOCK], sep: u8, release: u8) -> Masks {
    imp::masks(block, sep, release)
}

/// The first position at or after `from` in `v` that holds `a`, `b` or `c` (give one twice to
/// look for two), as `memchr3(a, b, c, &v[from..])` plus `from` answers it (`None` for a `from`
/// past the end, where that slice would panic): a block at a time for the first [`NEAR`] bytes,
/// where a segment usually ends, then `memchr3`, whose wider vectors pay for its set-up on a
/// long stretch.
#[inline]
pub fn find_any(v: &[u8], from: usize, [a, b, c]: [u8; 3]) -> Option<usize> {
    let mut at = from;
    while let Some(block) = v.get(at..at + BLOCK) {
        let m = imp::any(block.try_into().expect("a block"), a, b, c);
        if m != 0 {
            return Some(at + m.trailing_zeros() as usize);
        }
        at += BLOCK;
        if at - from >= NEAR {
            return memchr::memchr3(a, b, c, &v[at..]).map(|i| at + i);
        }
    }
    if at >= v.len() {
        return None;
    }
    // The tail: the last block of `v`, past the bytes already searched; or, when `v` is
    // shorter than a block, a copy (the bits past its end are masked off).
    let rest = v.len() - at;
    let m = if v.len() >= BLOCK {
        let last = &v[v.len() - BLOCK..];
        imp::any(last.try_into().expect("a block"), a, b, c) >> (BLOCK - rest)
    } else {
        let mut padded = [0u8; BLOCK];
        padded[..rest].copy_from_slice(&v[at..]);
        imp::any(&padded, a, b, c) & ((1u32 << rest) - 1)
    };
    (m != 0).then(|| at + m.trailing_zeros() as usize)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
use sse2 as imp;

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
use portable as imp;

/// SSE2: each comparison of sixteen bytes at once, made a bit mask by one instruction.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use super::{BLOCK, Masks};
    use safe_arch::{
        cmp_eq_mask_i8_m128i, cmp_lt_mask_i8_m128i, load_unaligned_m128i, m128i,
        move_mask_i8_m128i, set_splat_i8_m128i,
    };

    /// Sixteen sign bits, one per byte: the result's low 16 bits, never negative.
    #[inline(always)]
    fn mask(m: m128i) -> u32 {
        move_mask_i8_m128i(m) as u32
    }

    #[inline(always)]
    fn splat(b: u8) -> m128i {
        set_splat_i8_m128i(b as i8)
    }

    #[inline(always)]
    pub(super) fn masks(b: &[u8; BLOCK], sep: u8, release: u8) -> Masks {
        let v = load_unaligned_m128i(b);
        Masks {
            separators: mask(cmp_eq_mask_i8_m128i(v, splat(sep))),
            releases: mask(cmp_eq_mask_i8_m128i(v, splat(release))),
            // Compared as signed, a byte of 0x80 or more is negative, so below 0x20 too.
            unprintable: mask(cmp_lt_mask_i8_m128i(v, splat(0x20))),
        }
    }

    #[inline(always)]
    pub(super) fn any(b: &[u8; BLOCK], x: u8, y: u8, z: u8) -> u32 {
        let v = load_unaligned_m128i(b);
        let hits = cmp_eq_mask_i8_m128i(v, splat(x))
            | cmp_eq_mask_i8_m128i(v, splat(y))
            | cmp_eq_mask_i8_m128i(v, splat(z));
        mask(hits)
    }
}

/// A byte at a time: for other processors, and for the tests to hold SSE2 to.
#[cfg(any(not(all(target_arch = "x86_64", target_feature = "sse2")), test))]
mod portable {
    use super::{BLOCK, Masks};

    #[inline(always)]
    pub(super) fn masks(b: &[u8; BLOCK], sep: u8, release: u8) -> Masks {
        let mut m = Masks::default();
        for (i, &x) in b.iter().enumerate() {
            m.separators |= u32::from(x == sep) << i;
            m.releases |= u32::from(x == release) << i;
            m.unprintable |= u32::from(!(0x20..0x80).contains(&x)) << i;
        }
        m
    }

    #[inline(always)]
    pub(super) fn any(b: &[u8; BLOCK], x: u8, y: u8, z: u8) -> u32 {
        let mut m = 0;
        for (i, &v) in b.iter().enumerate() {
            m |= u32::from(v == x || v == y || v == z) << i;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes around every edge a comparison could get wrong: signed and unsigned limits, the
    /// printable range's ends, and the separators.
    fn byte() -> impl Strategy<Value = u8> {
        prop_oneof![
            prop::sample::select(vec![
                0u8, 0x1F, 0x20, 0x21, 0x7E, 0x7F, 0x80, 0x81, 0xFE, 0xFF, b'*', b'?', b'\n',
                b'\r', b'~', b'\''
            ]),
            any::<u8>(),
        ]
    }

    proptest! {
        #[test]
        fn the_masks_are_those_a_byte_at_a_time_gives(
            block in prop::array::uniform16(byte()),
            sep in byte(),
            release in byte(),
        ) {
            prop_assert_eq!(masks(&block, sep, release), portable::masks(&block, sep, release));
            let any = |f: fn(&[u8; BLOCK], u8, u8, u8) -> u32| f(&block, sep, release, b'\n');
            prop_assert_eq!(any(imp::any), any(portable::any));
        }

        #[test]
        fn find_any_finds_what_memchr3_finds(
            v in prop::collection::vec(byte(), 0..150),
            from in 0usize..90,
            sought in prop::array::uniform3(byte()),
        ) {
            let [a, b, c] = sought;
            let want = v.get(from..).and_then(|r| memchr::memchr3(a, b, c, r)).map(|i| from + i);
            prop_assert_eq!(find_any(&v, from, sought), want);
        }
    }

    #[test]
    fn the_example_in_the_module_doc() {
        let m = masks(b"PO1*1*10*EA*2.50", b'*', b'?');
        assert_eq!(m.separators, 0x0928);
        assert_eq!((m.releases, m.unprintable), (0, 0));
        assert_eq!(
            find_any(b"PO1*1*10*EA*2.50~N1", 0, [b'~', b'\n', b'\r']),
            Some(16)
        );
        assert_eq!(find_any(b"PO1~", 4, [b'~', b'~', b'~']), None);
        assert_eq!(find_any(b"PO1~", 9, [b'~', b'~', b'~']), None);
    }
}
