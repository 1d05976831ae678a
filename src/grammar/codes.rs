//! Code lists with constant-time membership, and the small multiplicative hashing the grammar
//! tables share.
//!
//! Every ID element of every segment is checked against its list, and some lists hold over a
//! thousand codes. Codes are short ASCII strings, so a code of up to seven bytes is packed with
//! its length into one `u64` ([`pack`]) and looked up in an open-addressing table of those words:
//! one multiplication, usually one comparison, no string compare. Longer codes (rare) sit in a
//! second table keyed by a hash of their bytes.
//!
//! ```
//! use tallyman::grammar::CodeList;
//! let c = CodeList::new(vec!["00".into(), "1".into(), "LONGER CODE".into()]);
//! assert!(c.contains(b"00") && c.contains(b"LONGER CODE"));
//! assert!(!c.contains(b"0") && !c.contains(b"01"));
//! ```

use serde::{Deserialize, Deserializer};
use std::hash::BuildHasher;
use std::sync::Arc;

/// Up to seven bytes with their length in the low byte (so `"01"` and `"1"` differ); `None`
/// for longer values. Only the empty value packs to 0.
#[inline]
pub(crate) fn pack(v: &[u8]) -> Option<u64> {
    if v.len() > 7 {
        return None;
    }
    Some(v.iter().fold(0u64, |k, &b| (k << 8) | u64::from(b)) << 8 | v.len() as u64)
}

/// Fibonacci hashing: the top `bits` bits of `key` times 2^64/φ.
#[inline]
pub(crate) fn slot(key: u64, bits: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

/// The number of index bits of an open-addressing table for `n` entries: at most half full,
/// at least eight slots.
pub(crate) fn table_bits(n: usize) -> u32 {
    (n * 2).max(8).next_power_of_two().trailing_zeros()
}

/// A hash of any byte string, for the keys [`pack`] cannot hold.
fn hash_bytes(v: &[u8]) -> u64 {
    FxBuild::default().hash_one(v)
}

/// A fast, fixed-seed hasher for the few sets of short byte strings the validator keeps (such
/// as HL ids) and the long codes: SipHash's resistance to chosen keys buys nothing for sets
/// that live for one transaction set, and costs several times more per lookup.
pub(crate) type FxBuild = foldhash::fast::FixedState;

/// An element's allowed codes, in file order for messages, with a constant-time lookup.
#[derive(Debug, Clone)]
pub struct CodeList {
    pub codes: Vec<String>,
    /// [`pack`]ed codes in an open-addressing table; 0 marks a free slot.
    short: Box<[u64]>,
    short_bits: u32,
    /// Codes of more than seven bytes: index + 1 into `codes`, 0 free, placed by [`hash_bytes`].
    long: Box<[u32]>,
    long_bits: u32,
    /// The empty code packs to 0, the free-slot mark: kept apart.
    has_empty: bool,
}

impl CodeList {
    pub fn new(codes: Vec<String>) -> Self {
        let n_long = codes.iter().filter(|c| c.len() > 7).count();
        let short_bits = table_bits(codes.len() - n_long);
        let long_bits = table_bits(n_long);
        let mut short = vec![0u64; 1 << short_bits].into_boxed_slice();
        let mut long = vec![0u32; 1 << long_bits].into_boxed_slice();
        let mut has_empty = false;
        for (i, c) in codes.iter().enumerate() {
            match pack(c.as_bytes()) {
                Some(0) => has_empty = true,
                Some(k) => {
                    let mask = short.len() - 1;
                    let mut s = slot(k, short_bits);
                    while short[s] != 0 && short[s] != k {
                        s = (s + 1) & mask;
                    }
                    short[s] = k;
                }
                None => {
                    let mask = long.len() - 1;
                    let mut s = slot(hash_bytes(c.as_bytes()), long_bits);
                    while long[s] != 0 && codes[long[s] as usize - 1] != *c {
                        s = (s + 1) & mask;
                    }
                    long[s] = u32::try_from(i + 1).expect("fewer than 2^32 codes");
                }
            }
        }
        CodeList {
            codes,
            short,
            short_bits,
            long,
            long_bits,
            has_empty,
        }
    }

    #[inline]
    pub fn contains(&self, value: &[u8]) -> bool {
        match pack(value) {
            Some(0) => self.has_empty,
            Some(k) => {
                let mask = self.short.len() - 1;
                let mut s = slot(k, self.short_bits);
                loop {
                    match self.short[s] {
                        0 => return false,
                        x if x == k => return true,
                        _ => s = (s + 1) & mask,
                    }
                }
            }
            None => self.contains_long(value),
        }
    }

    #[cold]
    fn contains_long(&self, value: &[u8]) -> bool {
        let mask = self.long.len() - 1;
        let mut s = slot(hash_bytes(value), self.long_bits);
        loop {
            match self.long[s] {
                0 => return false,
                i if self.codes[i as usize - 1].as_bytes() == value => return true,
                _ => s = (s + 1) & mask,
            }
        }
    }
}

/// Reads a `codes = [...]` array straight into a shared [`CodeList`], so that the list is built
/// once per file however many segments and versions use the element.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Arc<CodeList>>, D::Error> {
    let codes: Option<Vec<String>> = Option::deserialize(d)?;
    Ok(codes.map(|c| Arc::new(CodeList::new(c))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(codes: &[&str]) -> CodeList {
        CodeList::new(codes.iter().map(|c| c.to_string()).collect())
    }

    #[test]
    fn code_lists() {
        let c = CodeList::new(vec![
            "00".into(),
            "1".into(),
            "ZZ".into(),
            "LONGER CODE".into(),
        ]);
        assert!(c.contains(b"00") && c.contains(b"1") && c.contains(b"LONGER CODE"));
        assert!(
            !c.contains(b"01") && !c.contains(b"0") && !c.contains(b"") && !c.contains(b"LONGER")
        );
    }

    #[test]
    fn short_codes_differ_by_length_and_leading_zeros() {
        let c = list(&["00", "1", "ZZ", "LONGER CODE"]);
        for no in [
            &b"01"[..],
            b"0",
            b"",
            b"LONGER",
            b"001",
            b"\x001",
            b"1\x00",
            b"zz",
        ] {
            assert!(!c.contains(no), "{no:?}");
        }
    }

    #[test]
    fn seven_and_eight_bytes() {
        // Seven bytes still pack; eight go to the long table.
        let c = list(&["ABCDEFG", "ABCDEFGH", "\u{ff}\u{ff}\u{ff}"]);
        assert!(c.contains(b"ABCDEFG") && c.contains(b"ABCDEFGH"));
        assert!(c.contains("\u{ff}\u{ff}\u{ff}".as_bytes()));
        assert!(!c.contains(b"ABCDEF") && !c.contains(b"ABCDEFGHI") && !c.contains(b"BCDEFGH"));
    }

    #[test]
    fn empty_lists_and_the_empty_code() {
        let none = list(&[]);
        assert!(!none.contains(b"") && !none.contains(b"A") && !none.contains(b"LONGER CODE"));
        let empty = list(&["", "A"]);
        assert!(empty.contains(b"") && empty.contains(b"A") && !empty.contains(b"B"));
    }

    #[test]
    fn duplicates_and_large_lists() {
        let codes: Vec<String> = (0..3000).map(|i| format!("{i:03}")).collect();
        let mut with_dups = codes.clone();
        with_dups.extend(codes.iter().take(100).cloned());
        with_dups.extend((0..50).map(|i| format!("LONG CODE {i}")));
        with_dups.push("LONG CODE 7".into());
        let c = CodeList::new(with_dups);
        for code in &codes {
            assert!(c.contains(code.as_bytes()), "{code}");
        }
        for i in 0..50 {
            assert!(c.contains(format!("LONG CODE {i}").as_bytes()));
        }
        for no in ["3000", "00", "0", "-01", "LONG CODE 50", "LONG CODE "] {
            assert!(!c.contains(no.as_bytes()), "{no}");
        }
        // Messages keep the file order, duplicates included.
        assert_eq!(c.codes[..3], ["000", "001", "002"]);
        assert_eq!(c.codes.len(), 3151);
    }

    #[test]
    fn packing() {
        assert_eq!(pack(b""), Some(0));
        assert_eq!(pack(b"A"), Some(0x4101));
        assert_eq!(pack(b"\0A"), Some(0x4102));
        assert_eq!(pack(b"1234567").map(|k| k & 0xff), Some(7));
        assert_eq!(pack(b"12345678"), None);
    }
}
