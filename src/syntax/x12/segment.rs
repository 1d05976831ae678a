//! One segment, borrowed from the input.

use super::Delimiters;
use crate::syntax::Span;
use std::borrow::Cow;

/// A segment as read: its tag and elements borrow from the input unless the file was wrapped
/// across lines inside the segment, in which case the line breaks are removed into an owned copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRef<'a> {
    /// 0-based position of the segment in the file.
    pub index: usize,
    /// Byte span of the segment in the file, without its terminator.
    pub span: Span,
    /// The delimiters in force for this segment.
    pub delimiters: Delimiters,
    /// True when the segment ended at the end of the input without a terminator.
    pub unterminated: bool,
    data: Cow<'a, [u8]>,
}

impl<'a> SegmentRef<'a> {
    pub(crate) fn new(
        index: usize,
        span: Span,
        delimiters: Delimiters,
        data: Cow<'a, [u8]>,
        unterminated: bool,
    ) -> Self {
        SegmentRef {
            index,
            span,
            delimiters,
            unterminated,
            data,
        }
    }

    /// The segment's bytes (tag and elements, no terminator).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// True when the value is the bytes the segment spans, borrowed from them (not a copy
    /// without the line breaks that were inside it).
    pub(crate) fn borrowed(&self) -> bool {
        matches!(self.data, Cow::Borrowed(_))
    }

    /// The segment tag (`ISA`, `BEG`, ...): the bytes before the first element separator.
    pub fn tag(&self) -> &[u8] {
        crate::syntax::before_byte(&self.data, self.delimiters.element)
    }

    /// The tag as text, for messages.
    pub fn tag_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.tag())
    }

    /// The elements after the tag, in order (empty elements included).
    pub fn elements(&self) -> Elements<'_> {
        let rest = memchr::memchr(self.delimiters.element, &self.data).map(|i| &self.data[i + 1..]);
        Elements {
            rest,
            sep: self.delimiters.element,
        }
    }

    /// How the segment splits into its tag and values in one scan (see
    /// [`FieldTable::push_split`](crate::syntax::FieldTable::push_split)): at the element
    /// separator, the tag whole. X12 has no release character, so always.
    pub(crate) fn plain_split(&self) -> Option<(u8, Option<u8>)> {
        Some((self.delimiters.element, None))
    }

    /// Element `n` (1-based, as in `BEG03`); `None` past the last element.
    pub fn element(&self, n: usize) -> Option<&[u8]> {
        if n == 0 {
            return None;
        }
        self.elements().nth(n - 1)
    }

    /// Element `n`, or empty when absent: absent and empty mean the same in X12.
    pub fn value(&self, n: usize) -> &[u8] {
        self.element(n).unwrap_or(b"")
    }

    /// Number of elements after the tag, trailing empty ones included.
    pub fn element_count(&self) -> usize {
        match memchr::memchr(self.delimiters.element, &self.data) {
            Some(i) => memchr::memchr_iter(self.delimiters.element, &self.data[i..]).count(),
            None => 0,
        }
    }

    /// How values of this segment split further (X12 has no release character).
    pub fn separators(&self) -> crate::syntax::Separators {
        crate::syntax::Separators {
            component: self.delimiters.component,
            repetition: self.delimiters.repetition,
            release: None,
        }
    }

    /// Splits an element value into its components.
    pub fn components<'v>(&self, value: &'v [u8]) -> Components<'v> {
        Components {
            rest: Some(value),
            sep: self.delimiters.component,
        }
    }

    /// Splits an element value into its repetitions (one when the interchange has no repetition
    /// separator).
    pub fn repetitions<'v>(&self, value: &'v [u8]) -> Components<'v> {
        match self.delimiters.repetition {
            Some(sep) => Components {
                rest: Some(value),
                sep,
            },
            None => Components {
                rest: Some(value),
                sep: self.delimiters.element,
            },
        }
    }

    /// The byte offset in the file where element `n` starts, when the segment was not wrapped
    /// (otherwise the segment's start).
    pub fn element_offset(&self, n: usize) -> usize {
        if matches!(self.data, Cow::Owned(_)) || n == 0 {
            return self.span.start;
        }
        match memchr::memchr_iter(self.delimiters.element, &self.data).nth(n - 1) {
            Some(i) => self.span.start + i + 1,
            None => self.span.end,
        }
    }

    /// An owned copy that no longer borrows the input.
    pub fn into_owned(self) -> SegmentRef<'static> {
        SegmentRef {
            index: self.index,
            span: self.span,
            delimiters: self.delimiters,
            unterminated: self.unterminated,
            data: Cow::Owned(self.data.into_owned()),
        }
    }
}

/// Iterator over the elements of a segment.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    rest: Option<&'a [u8]>,
    sep: u8,
}

impl<'a> Iterator for Elements<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match memchr::memchr(self.sep, rest) {
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

/// Iterator over the components (or repetitions) of an element value.
pub type Components<'a> = Elements<'a>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-scan row of a field table holds what `tag` and `elements` read.
    #[test]
    fn a_field_table_row_is_the_tag_and_elements() {
        crate::syntax::standard::tests::row_is_tag_and_elements::<super::super::X12>(
            Delimiters::default(),
            &[b'*', b'>', b'^', b'A', b'1', b'~', 0xC3],
        );
    }

    fn seg(data: &'static [u8]) -> SegmentRef<'static> {
        SegmentRef::new(
            0,
            Span::new(10, 10 + data.len()),
            Delimiters::default(),
            Cow::Borrowed(data),
            false,
        )
    }

    #[test]
    fn elements_and_positions() {
        let s = seg(b"PO1*1*10*EA*2.50**UP*012345678905");
        assert_eq!(s.tag(), b"PO1");
        assert_eq!(s.element(1), Some(&b"1"[..]));
        assert_eq!(s.element(5), Some(&b""[..]));
        assert_eq!(s.element(7), Some(&b"012345678905"[..]));
        assert_eq!(s.element(8), None);
        assert_eq!(s.element_count(), 7);
        assert_eq!(s.element_offset(2), 16);
    }

    #[test]
    fn tag_only_segment() {
        let s = seg(b"ZZ");
        assert_eq!(s.tag(), b"ZZ");
        assert_eq!(s.elements().count(), 0);
        assert_eq!(s.element_count(), 0);
    }

    #[test]
    fn components_and_repetitions() {
        let s = seg(b"REF*CO*121212>a^133>b");
        let v = s.element(2).unwrap();
        let reps: Vec<&[u8]> = s.repetitions(v).collect();
        assert_eq!(reps, [&b"121212>a"[..], &b"133>b"[..]]);
        let comps: Vec<&[u8]> = s.components(reps[1]).collect();
        assert_eq!(comps, [&b"133"[..], &b"b"[..]]);
    }
}
