//! Syntax: bytes to segments, with no knowledge of what the segments mean.
//!
//! Phase: the first one. Tokenizers here work over borrowed bytes, find delimiters sixteen bytes
//! at a time (`block`) or with `memchr`, and hand out segments that borrow from the input and
//! carry their byte span and their index in the file. Nothing here touches the file system;
//! callers feed bytes in.

mod block;
pub mod ebcdic;
pub mod edifact;
mod fields;
pub mod limits;
mod standard;
pub mod text;
pub mod values;
pub mod x12;

pub use fields::{FieldTable, Fields, Separators, Split, find_byte, text_within};
pub use standard::{Marks, SegmentView, Standard, Token};

use serde::Serialize;

/// A half-open byte range `start..end` in the original input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// The UTF-8 byte order mark some Windows tools put before the first segment.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whitespace that real files carry between segments: CR, LF, space, tab, and form feed.
#[inline]
pub fn is_inter_segment_space(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | b' ' | b'\t' | 0x0C)
}

/// The bytes of `data` before the first `sep`, all of them when there is none: a segment's tag
/// (or a tag's part before a component separator). Tags are a few letters and digits, so the
/// first bytes are looked at one by one, which costs less than a `memchr` call's set-up; a
/// longer run (a malformed segment) is left to `memchr`.
#[inline]
pub fn before_byte(data: &[u8], sep: u8) -> &[u8] {
    // Most tags are three letters (`PO1`, `LIN`): four compares answer those.
    if let [a, b, c, d, ..] = *data
        && d == sep
        && a != sep
        && b != sep
        && c != sep
    {
        return &data[..3];
    }
    const SHORT: usize = 8;
    let end = match data.iter().take(SHORT).position(|&b| b == sep) {
        Some(i) => i,
        None if data.len() <= SHORT => data.len(),
        None => memchr::memchr(sep, &data[SHORT..]).map_or(data.len(), |i| SHORT + i),
    };
    &data[..end]
}

/// A 64-bit hash of a control number (for duplicate checks that must not keep every string).
pub(crate) fn hash_str(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// Reads until `buf` is full or the stream ends.
pub(crate) fn read_full<R: std::io::Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::before_byte;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn before_byte_is_the_bytes_before_the_first_separator(
            data in proptest::collection::vec(prop_oneof![Just(b'*'), Just(b'A'), Just(b':')], 0..24),
        ) {
            for sep in [b'*', b':'] {
                let want = data.split(|&b| b == sep).next().unwrap_or(&[]);
                prop_assert_eq!(before_byte(&data, sep), want);
            }
        }
    }
}
