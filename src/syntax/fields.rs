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

#[cfg(test)]
mod tests {
    use super::*;

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
