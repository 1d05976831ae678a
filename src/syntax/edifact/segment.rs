//! One EDIFACT segment, borrowed from the input, with escape-aware splitting.

use super::Delimiters;
use crate::syntax::{Separators, Span, Split, before_byte};
use std::borrow::Cow;

/// A segment as read; its data keeps the release characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentRef<'a> {
    /// 0-based position of the segment in the file (a UNA counts as one).
    pub index: usize,
    /// Byte span in the file, without the terminator.
    pub span: Span,
    pub delimiters: Delimiters,
    /// True when the input ended before the terminator.
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

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// True when the value is the bytes the segment spans, borrowed from them (not a copy
    /// without the line breaks that were inside it).
    pub(crate) fn borrowed(&self) -> bool {
        matches!(self.data, Cow::Borrowed(_))
    }

    /// The tag: the bytes before the first element separator (a UNA is `UNA`). Tags are
    /// letters and digits, so no release character can precede that separator.
    pub fn tag(&self) -> &[u8] {
        if self.data.starts_with(b"UNA") {
            return &self.data[..3];
        }
        let tag = before_byte(&self.data, self.delimiters.element);
        // A tag may carry components (some old messages use `TAG:1`).
        before_byte(tag, self.delimiters.component)
    }

    pub fn tag_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.tag())
    }

    /// The elements after the tag, raw (escapes still in).
    pub fn elements(&self) -> Split<'_> {
        if self.data.starts_with(b"UNA") {
            return Split::empty();
        }
        let mut s = Split::new(
            &self.data,
            Some(self.delimiters.element),
            self.delimiters.release,
        );
        s.next();
        s
    }

    /// How the segment splits into its tag and values in one scan (see
    /// [`FieldTable::push_split`](crate::syntax::FieldTable::push_split), which finds release
    /// characters in the same scan): at the element separator, the tag cut at a component
    /// separator (some old messages use `TAG:1`, as `tag` reads). `None` for a UNA, whose
    /// bytes after the tag are delimiters rather than elements.
    pub(crate) fn plain_split(&self) -> Option<(u8, Option<u8>)> {
        (!self.data.starts_with(b"UNA"))
            .then_some((self.delimiters.element, Some(self.delimiters.component)))
    }

    /// Element `n` (1-based), raw.
    pub fn element(&self, n: usize) -> Option<&[u8]> {
        n.checked_sub(1).and_then(|i| self.elements().nth(i))
    }

    /// Element `n`, or empty when absent.
    pub fn value(&self, n: usize) -> &[u8] {
        self.element(n).unwrap_or(b"")
    }

    /// How values of this segment split further and unescape.
    pub fn separators(&self) -> Separators {
        self.delimiters.separators()
    }

    /// The components of a raw element value.
    pub fn components<'v>(&self, value: &'v [u8]) -> Split<'v> {
        self.separators().components(value)
    }

    /// The repetitions of a raw element value (syntax version 4).
    pub fn repetitions<'v>(&self, value: &'v [u8]) -> Split<'v> {
        self.separators().repetitions(value)
    }

    /// Removes release characters from a raw value.
    pub fn unescape<'v>(&self, value: &'v [u8]) -> Cow<'v, [u8]> {
        self.separators().unescape(value)
    }

    /// The segment in the owned form the writers take ([`crate::syntax::x12::Segment`]), every
    /// component unescaped and decoded: what [`super::write_segment`] writes back.
    pub fn to_segment(&self) -> crate::syntax::x12::Segment {
        use crate::syntax::text::decode;
        use crate::syntax::x12::{Element, Segment};
        Segment {
            tag: self.tag_str().into_owned(),
            elements: self
                .elements()
                .map(|v| {
                    Element(
                        self.repetitions(v)
                            .map(|r| {
                                self.components(r)
                                    .map(|c| decode(&self.unescape(c)).into_owned())
                                    .collect()
                            })
                            .collect(),
                    )
                })
                .collect(),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-scan row of a field table holds what `tag` and `elements` read.
    #[test]
    fn a_field_table_row_is_the_tag_and_elements() {
        crate::syntax::standard::tests::row_is_tag_and_elements::<super::super::Edifact>(
            Delimiters::default(),
            &[b'+', b':', b'?', b'A', b'1', b'\'', b'*', 0xC3],
        );
        // A UNA is its tag alone.
        let una = seg(b"UNA:+.? ");
        let mut table = crate::syntax::FieldTable::default();
        crate::syntax::SegmentView::push_to(&una, &mut table);
        assert_eq!(
            (table.fields()[0].tag, table.fields()[0].values().len()),
            (&b"UNA"[..], 0)
        );
    }

    fn seg(data: &'static [u8]) -> SegmentRef<'static> {
        SegmentRef::new(
            0,
            Span::new(0, data.len()),
            Delimiters::default(),
            Cow::Borrowed(data),
            false,
        )
    }

    #[test]
    fn escaped_separators_stay_in_values() {
        let s = seg(b"NAD+BY+5412345000013::9++Smith ?+ Sons:Dept?: A");
        assert_eq!(s.tag(), b"NAD");
        let els: Vec<&[u8]> = s.elements().collect();
        assert_eq!(els.len(), 4);
        let comps: Vec<&[u8]> = s.components(els[3]).collect();
        assert_eq!(comps, [&b"Smith ?+ Sons"[..], &b"Dept?: A"[..]]);
        assert_eq!(&*s.unescape(comps[1]), b"Dept: A");
    }

    #[test]
    fn escaped_release_before_separator() {
        let s = seg(b"FTX+AAI??+++x");
        let els: Vec<&[u8]> = s.elements().collect();
        assert_eq!(els[0], b"AAI??");
        assert_eq!(&*s.unescape(els[0]), b"AAI?");
        assert_eq!(els.len(), 4);
    }

    #[test]
    fn repetitions_without_separator_are_whole() {
        let s = seg(b"COM+1:2*3");
        let v = s.element(1).unwrap();
        assert_eq!(s.repetitions(v).collect::<Vec<_>>(), [&b"1:2*3"[..]]);
    }
}
