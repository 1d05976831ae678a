//! Segments cut into elements once, whatever the standard: what validation and mapping read.
//!
//! Validation and mapping read elements by position many times; scanning the segment for each
//! read would cost more than everything else they do. A [`FieldTable`] splits every segment of a
//! transaction set or message once into one flat list of raw values, and hands out [`Fields`]
//! views over it. Values stay raw (EDIFACT escapes still in) until [`Separators::unescape`].

use super::Span;
use std::borrow::Cow;

/// What splits a value further, and the EDIFACT release character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    pub component: u8,
    pub repetition: Option<u8>,
    pub release: Option<u8>,
}

impl Separators {
    pub fn components<'v>(&self, v: &'v [u8]) -> Split<'v> {
        Split::new(v, Some(self.component), self.release)
    }

    /// One item when the interchange has no repetition separator.
    pub fn repetitions<'v>(&self, v: &'v [u8]) -> Split<'v> {
        Split::new(v, self.repetition, self.release)
    }

    /// Removes release characters (one at the very end stays); borrows when there are none.
    /// Copies the runs between release characters whole.
    pub fn unescape<'v>(&self, v: &'v [u8]) -> Cow<'v, [u8]> {
        let Some(rel) = self.release else {
            return Cow::Borrowed(v);
        };
        let Some(first) = memchr::memchr(rel, v) else {
            return Cow::Borrowed(v);
        };
        let mut out = Vec::with_capacity(v.len());
        let mut rest = v;
        let mut at = Some(first);
        while let Some(p) = at {
            out.extend_from_slice(&rest[..p]);
            match rest.get(p + 1) {
                Some(&released) => {
                    out.push(released);
                    rest = &rest[p + 2..];
                }
                None => {
                    out.push(rel);
                    rest = &[];
                }
            }
            at = memchr::memchr(rel, rest);
        }
        out.extend_from_slice(rest);
        Cow::Owned(out)
    }
}

/// Splits raw bytes at a separator that is not preceded by the release character.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    rest: Option<&'a [u8]>,
    /// `None`: the value is not split.
    sep: Option<u8>,
    /// The release character, only when the input holds one: otherwise plain `memchr`.
    release: Option<u8>,
}

impl<'a> Split<'a> {
    pub fn new(data: &'a [u8], sep: Option<u8>, release: Option<u8>) -> Self {
        Split {
            rest: Some(data),
            sep,
            release: release.filter(|&r| memchr::memchr(r, data).is_some()),
        }
    }

    pub fn empty() -> Self {
        Split {
            rest: None,
            sep: None,
            release: None,
        }
    }
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        let at = match (self.sep, self.release) {
            (None, _) => None,
            (Some(sep), None) => memchr::memchr(sep, rest),
            (Some(sep), Some(rel)) => {
                let mut i = 0;
                loop {
                    match rest.get(i) {
                        None => break None,
                        Some(&b) if b == rel => i += 2,
                        Some(&b) if b == sep => break Some(i),
                        Some(_) => i += 1,
                    }
                }
            }
        };
        match at {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// One segment's tag, position and raw element values.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'s> {
    pub tag: &'s [u8],
    /// Byte span of the segment in the file.
    pub span: Span,
    /// 0-based index of the segment in the file.
    pub index: usize,
    pub separators: Separators,
    values: &'s [&'s [u8]],
}

impl<'s> Fields<'s> {
    /// Element `n` (1-based), raw; `None` past the last.
    pub fn element(&self, n: usize) -> Option<&'s [u8]> {
        n.checked_sub(1).and_then(|i| self.values.get(i)).copied()
    }

    /// Element `n`, empty when absent (absent and empty mean the same).
    pub fn value(&self, n: usize) -> &'s [u8] {
        self.element(n).unwrap_or(b"")
    }

    /// All element values, raw.
    pub fn values(&self) -> &'s [&'s [u8]] {
        self.values
    }

    pub fn tag_str(&self) -> Cow<'s, str> {
        String::from_utf8_lossy(self.tag)
    }

    pub fn components<'v>(&self, v: &'v [u8]) -> Split<'v> {
        self.separators.components(v)
    }
}

/// The split elements of a run of segments.
#[derive(Debug, Default)]
pub struct FieldTable<'s> {
    values: Vec<&'s [u8]>,
    rows: Vec<Row<'s>>,
}

#[derive(Debug)]
struct Row<'s> {
    tag: &'s [u8],
    span: Span,
    index: usize,
    separators: Separators,
    values: std::ops::Range<usize>,
}

impl<'s> FieldTable<'s> {
    pub fn with_capacity(segments: usize) -> Self {
        FieldTable {
            values: Vec::with_capacity(segments * 8),
            rows: Vec::with_capacity(segments),
        }
    }

    /// Adds a segment: its tag, span, index, separators and raw element values.
    pub fn push(
        &mut self,
        tag: &'s [u8],
        span: Span,
        index: usize,
        separators: Separators,
        values: impl Iterator<Item = &'s [u8]>,
    ) {
        let start = self.values.len();
        self.values.extend(values);
        self.rows.push(Row {
            tag,
            span,
            index,
            separators,
            values: start..self.values.len(),
        });
    }

    /// Adds a segment from its bytes: the pieces between `sep` are its tag (the first, cut at
    /// `tag_component` when that is in it) and its element values (the rest). The bytes are
    /// scanned once, eight at a time ([`split_into`]), so a value costs a few instructions
    /// rather than the set-up of a `memchr` call. For segments without release characters.
    pub fn push_split(
        &mut self,
        data: &'s [u8],
        sep: u8,
        span: Span,
        index: usize,
        separators: Separators,
        tag_component: Option<u8>,
    ) {
        let first = self.values.len();
        split_into(data, sep, &mut self.values);
        // The first piece stays in `values`, outside every row's range.
        let tag = self.values[first];
        let tag = match tag_component.and_then(|c| memchr::memchr(c, tag)) {
            Some(i) => &tag[..i],
            None => tag,
        };
        self.rows.push(Row {
            tag,
            span,
            index,
            separators,
            values: first + 1..self.values.len(),
        });
    }

    /// The segments as views.
    pub fn fields(&self) -> Vec<Fields<'_>> {
        self.rows
            .iter()
            .map(|r| Fields {
                tag: r.tag,
                span: r.span,
                index: r.index,
                separators: r.separators,
                values: &self.values[r.values.clone()],
            })
            .collect()
    }
}

/// Appends to `out` the pieces of `data` between the bytes equal to `sep`, in order: one more
/// than there are separators (`b"a**b"` gives `a`, ``, `b`; `b""` gives ``). Eight bytes are
/// tested at a time, with no set-up per piece: the pieces are mostly a few bytes long.
pub fn split_into<'a>(data: &'a [u8], sep: u8, out: &mut Vec<&'a [u8]>) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let pattern = ONES * u64::from(sep);
    let mut start = 0;
    let mut base = 0;
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes")) ^ pattern;
        // The high bit of each byte that is zero (equal to `sep` before the xor), and no other:
        // adding 0x7F to the low seven bits never carries into the next byte.
        let mut found = !(((x & LOW7) + LOW7) | x | LOW7);
        while found != 0 {
            let at = base + (found.trailing_zeros() / 8) as usize;
            out.push(&data[start..at]);
            start = at + 1;
            found &= found - 1;
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == sep {
            out.push(&data[start..base + i]);
            start = base + i + 1;
        }
    }
    out.push(&data[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_into_agrees_with_a_plain_split() {
        use proptest::prelude::*;
        // Bytes from a small alphabet, so that separators, runs of them and the high-bit
        // bytes next to them are common, at every length around the eight-byte steps.
        let alphabet = prop::sample::select(vec![b'*', b'a', 0x80, 0xAA, 0x2B, 0x29, 0xFF, 0]);
        proptest!(|(data in prop::collection::vec(alphabet, 0..40), sep in prop::sample::select(vec![b'*', 0x80, 0, 0xFF]))| {
            let mut got = vec![&b"before"[..]];
            split_into(&data, sep, &mut got);
            let want: Vec<&[u8]> = std::iter::once(&b"before"[..])
                .chain(data.split(|&b| b == sep))
                .collect();
            prop_assert_eq!(got, want);
        });
        let mut out = Vec::new();
        split_into(b"PO1*1*10*EA*2.50**UP*012345678905", b'*', &mut out);
        assert_eq!(
            out,
            [
                &b"PO1"[..],
                b"1",
                b"10",
                b"EA",
                b"2.50",
                b"",
                b"UP",
                b"012345678905"
            ]
        );
    }

    #[test]
    fn split_and_unescape() {
        let s = Separators {
            component: b':',
            repetition: Some(b'*'),
            release: Some(b'?'),
        };
        assert_eq!(
            s.components(b"a?:b:c").collect::<Vec<_>>(),
            [&b"a?:b"[..], b"c"]
        );
        assert_eq!(
            s.repetitions(b"1*2?*3").collect::<Vec<_>>(),
            [&b"1"[..], b"2?*3"]
        );
        assert_eq!(&*s.unescape(b"a?:b??"), b"a:b?");
        let x12 = Separators {
            component: b'>',
            repetition: None,
            release: None,
        };
        assert_eq!(x12.repetitions(b"a^b").count(), 1);
    }
}
