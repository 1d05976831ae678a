//! Segments cut into elements once, whatever the standard: what validation and mapping read.
//!
//! Validation and mapping read elements by position many times; scanning the segment for each
//! read would cost more than everything else they do. A [`FieldTable`] splits every segment of a
//! transaction set or message once into one flat list of raw values, and hands out [`Fields`]
//! views over it. Values stay raw (EDIFACT escapes still in) until [`Separators::unescape`].
//!
//! The same scan notes whether a segment is printable ASCII besides its element separators, and
//! the set's bytes are checked for UTF-8 once ([`FieldTable::reading`]): the mapping then takes a
//! value of such a segment as text as it stands ([`Fields::text_of`]) instead of checking its
//! characters and its UTF-8 value by value.

use super::Span;
use super::block::{self, BLOCK};
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
        // The release characters of a short value (a name, a description) are found eight
        // bytes at a time: its runs are too short for a `memchr` call each to pay.
        let short = v.len() <= SHORT_UNESCAPE;
        let find = |rest: &[u8]| {
            if short {
                find_byte(rest, 0, rel)
            } else {
                memchr::memchr(rel, rest)
            }
        };
        let Some(first) = find(v) else {
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
            at = find(rest);
        }
        out.extend_from_slice(rest);
        Cow::Owned(out)
    }
}

/// The longest value whose release characters [`Separators::unescape`] finds with
/// [`find_byte`] rather than `memchr`.
const SHORT_UNESCAPE: usize = 64;

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
    /// The segment's bytes as text when every byte but the element separators is printable
    /// ASCII (0x20 to 0x7F): then each of its values, and each piece of one, is that text as it
    /// stands ([`Fields::text_of`]), with nothing to decode, check or search for controls.
    text: Option<&'s str>,
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

    /// `part` (a value of this segment, or a piece of one) as text, when the segment is
    /// printable ASCII besides its element separators: one check a segment instead of a
    /// character check and a UTF-8 check a value. `None` when it is not (the caller then looks at
    /// the bytes), or when `part` is not from this segment.
    #[inline]
    pub fn text_of(&self, part: &'s [u8]) -> Option<&'s str> {
        text_within(self.text?, part)
    }

    /// The segment's text, as [`Fields::text_of`] reads it from, for a view that keeps pieces
    /// of its values.
    pub fn text(&self) -> Option<&'s str> {
        self.text
    }
}

/// `part` as a slice of `text`, when it lies within it (a value cut from the text's bytes).
#[inline]
pub fn text_within<'s>(text: &'s str, part: &[u8]) -> Option<&'s str> {
    // Where the part starts in the text, from the addresses alone (a part from elsewhere is
    // out of range, and `get` says so).
    let at = (part.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
    text.get(at..at.checked_add(part.len())?)
}

/// The split elements of a run of segments.
#[derive(Debug, Default)]
pub struct FieldTable<'s> {
    values: Vec<&'s [u8]>,
    rows: Vec<Row<'s>>,
    /// The UTF-8 text of the bytes the segments were read from, as far as it is UTF-8
    /// ([`FieldTable::reading`]): a segment within it takes its text from there instead of
    /// checking its own bytes again.
    source: &'s str,
}

#[derive(Debug)]
struct Row<'s> {
    tag: &'s [u8],
    span: Span,
    index: usize,
    separators: Separators,
    values: std::ops::Range<usize>,
    text: Option<&'s str>,
}

/// The room of the last field table dropped on this thread, for the next one: a set's table
/// then grows only where no set before it on the thread reached. Its contents borrow the
/// set's bytes, so only the empty buffers are kept (see [`recycle`]).
#[derive(Default)]
struct Spare {
    values: Vec<&'static [u8]>,
    rows: Vec<Row<'static>>,
}

/// A table whose values or rows need more than this much room (a set of some 8,000 segments:
/// 1 MiB of values, 640 KiB of rows) gives its buffers back to the allocator rather than keep
/// them for the thread's next set.
const SPARE_VALUES: usize = 1 << 16;
const SPARE_ROWS: usize = SPARE_VALUES / 8;

thread_local! {
    static SPARE: std::cell::Cell<Spare> = std::cell::Cell::new(Spare::default());
}

/// `v` emptied, as a vector of another lifetime with the same allocation: the standard
/// library collects a vector's own iterator, mapped to a type of the same size and alignment,
/// in place (for other types it would allocate anew, which is never wrong).
fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    v.into_iter().filter_map(|_| None).collect()
}

impl<'s> FieldTable<'s> {
    /// An empty table with room for `segments` segments, in the buffers the last table dropped
    /// on this thread left when they are large enough.
    pub fn with_capacity(segments: usize) -> Self {
        let spare = SPARE.take();
        let mut values: Vec<&'s [u8]> = recycle(spare.values);
        let mut rows: Vec<Row<'s>> = recycle(spare.rows);
        values.reserve(segments * 8);
        rows.reserve(segments);
        FieldTable {
            values,
            rows,
            source: "",
        }
    }

    /// Segments to be read from `bytes` (a transaction set's): its UTF-8 is checked once, in
    /// one pass over the whole, which costs a fraction of a check per segment.
    pub fn reading(mut self, bytes: &'s [u8]) -> Self {
        self.source = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
        };
        self
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
            text: None,
        });
    }

    /// Adds a segment from its bytes: the pieces between `sep` are its tag (the first, cut at
    /// `tag_component` when that is in it) and its element values (the rest). The bytes are
    /// scanned once, sixteen at a time ([`split_into`]), so a value costs a few instructions
    /// rather than the set-up of a `memchr` call. With a release character in `separators`
    /// the same scan finds it ([`split_released_into`]): a segment without one gets a row
    /// whose separators have none, so that nothing reading its values looks for one.
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
        let (printable, released) = match separators.release {
            Some(rel) => split_released_into(data, sep, rel, &mut self.values),
            None => (split_into(data, sep, &mut self.values), false),
        };
        let separators = Separators {
            release: separators.release.filter(|_| released),
            ..separators
        };
        // With an ASCII separator, printable bytes are UTF-8 as they are. Values that hold
        // release characters are not text as they stand: they are read unescaped.
        let text = if printable && !released && sep.is_ascii() {
            text_within(self.source, data).or_else(|| std::str::from_utf8(data).ok())
        } else {
            None
        };
        // The first piece stays in `values`, outside every row's range. A tag ends at the
        // first separator, released or not (tags are letters and digits).
        let mut tag = self.values[first];
        if released && separators.release.is_some_and(|r| tag.contains(&r)) {
            tag = super::before_byte(data, sep);
        }
        let tag = match tag_component {
            Some(c) => super::before_byte(tag, c),
            None => tag,
        };
        self.rows.push(Row {
            tag,
            span,
            index,
            separators,
            values: first + 1..self.values.len(),
            text,
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
                text: r.text,
            })
            .collect()
    }
}

impl Drop for FieldTable<'_> {
    /// Leaves the buffers to the thread's next table, unless they are larger than
    /// [`SPARE_VALUES`] and [`SPARE_ROWS`] allow, or smaller than those already left (a table
    /// made while another is in use gives back less room).
    fn drop(&mut self) {
        let values = std::mem::take(&mut self.values);
        let rows = std::mem::take(&mut self.rows);
        if values.capacity() > SPARE_VALUES || rows.capacity() > SPARE_ROWS {
            return;
        }
        // A thread that is ending has no next table to keep them for.
        let _ = SPARE.try_with(|spare| {
            let kept = spare.take();
            spare.set(if kept.values.capacity() >= values.capacity() {
                kept
            } else {
                Spare {
                    values: recycle(values),
                    rows: recycle(rows),
                }
            });
        });
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The high bit of each byte of `x` that is zero, and no other (exact, unlike the shorter test
/// that may flag a byte after a zero): adding 0x7F to the low seven bits never carries into the
/// next byte. With `x` a word xor a byte repeated, the bytes equal to that byte.
#[inline]
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Appends to `out` the pieces of `data` between the bytes equal to `sep`, in order: one more
/// than there are separators (`b"a**b"` gives `a`, ``, `b`; `b""` gives ``). Sixteen bytes are
/// tested at a time (a [`BLOCK`]), with no set-up per piece: the pieces are mostly a few bytes
/// long.
///
/// Returns true when every byte but the separators is printable ASCII (0x20 to 0x7F), which the
/// same pass finds out on the same blocks.
pub fn split_into<'a>(data: &'a [u8], sep: u8, out: &mut Vec<&'a [u8]>) -> bool {
    split_words::<false>(data, sep, 0, out).0
}

/// [`split_into`] where `release` makes the byte after it ordinary (an EDIFACT release
/// character): a separator after it does not split, and the pieces keep their release
/// characters, as [`Split`] gives them. The same pass finds both bytes. Returns, besides
/// [`split_into`]'s answer, whether a release character was met.
pub fn split_released_into<'a>(
    data: &'a [u8],
    sep: u8,
    release: u8,
    out: &mut Vec<&'a [u8]>,
) -> (bool, bool) {
    split_words::<true>(data, sep, release, out)
}

#[inline(always)]
fn split_words<'a, const RELEASE: bool>(
    data: &'a [u8],
    sep: u8,
    release: u8,
    out: &mut Vec<&'a [u8]>,
) -> (bool, bool) {
    let mut start = 0;
    // The first byte that may split again: the one after a released byte is ordinary.
    let mut free_from = 0;
    let mut met_release = false;
    // A bit for each byte that is not printable and not a separator, over all blocks.
    let mut unprintable = 0u32;
    // One block's masks, bit 0 for `data[base]`: its pieces cut, its bytes checked.
    let mut cut = |base: usize, m: block::Masks| {
        unprintable |= m.unprintable & !m.separators;
        let mut found = if RELEASE {
            m.separators | m.releases
        } else {
            m.separators
        };
        while found != 0 {
            let at = base + found.trailing_zeros() as usize;
            found &= found - 1;
            if RELEASE {
                if at < free_from {
                    continue;
                }
                if data[at] == release {
                    met_release = true;
                    free_from = at + 2;
                    continue;
                }
            }
            out.push(&data[start..at]);
            start = at + 1;
        }
    };
    let mut chunks = data.chunks_exact(BLOCK);
    let mut base = 0;
    for chunk in &mut chunks {
        cut(
            base,
            block::masks(chunk.try_into().expect("a block"), sep, release),
        );
        base += BLOCK;
    }
    let rest = chunks.remainder().len();
    if rest > 0 {
        // The tail: the last block of the data shifted past the bytes already seen, or, when
        // the data is shorter than a block, a copy padded with bits that are masked off.
        let m = if data.len() >= BLOCK {
            let last = &data[data.len() - BLOCK..];
            block::masks(last.try_into().expect("a block"), sep, release).shifted(BLOCK - rest)
        } else {
            let mut padded = [0u8; BLOCK];
            padded[..rest].copy_from_slice(data);
            block::masks(&padded, sep, release).within(rest)
        };
        cut(base, m);
    }
    out.push(&data[start..]);
    (unprintable == 0, met_release)
}

/// The first byte equal to `sep` at or after `from`, tested eight bytes at a time: for the
/// components of a value, which are too short for a `memchr` call's set-up to pay.
#[inline]
pub fn find_byte(v: &[u8], from: usize, sep: u8) -> Option<usize> {
    let pattern = ONES * u64::from(sep);
    let hits =
        |w: &[u8]| zero_bytes(u64::from_le_bytes(w.try_into().expect("eight bytes")) ^ pattern);
    let first = |at: usize, m: u64| at + (m.trailing_zeros() / 8) as usize;
    if v.len() < 8 {
        let rest = v.get(from..)?;
        return rest.iter().position(|&b| b == sep).map(|i| from + i);
    }
    let mut at = from;
    while at + 8 <= v.len() {
        let m = hits(&v[at..at + 8]);
        if m != 0 {
            return Some(first(at, m));
        }
        at += 8;
    }
    if at >= v.len() {
        return None;
    }
    // The tail as the last eight bytes, leaving out those already searched.
    let last = v.len() - 8;
    let m = hits(&v[last..]) & (!0u64 << (8 * (at - last)));
    (m != 0).then(|| first(last, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_into_agrees_with_a_plain_split() {
        use proptest::prelude::*;
        // Bytes from a small alphabet, so that separators, runs of them and the high-bit
        // bytes next to them are common, at every length around the sixteen-byte blocks.
        let alphabet = prop::sample::select(vec![
            b'*', b'a', 0x80, 0xAA, 0x2B, 0x29, 0xFF, 0, 0x1F, 0x20, 0x7E, 0x7F, 0x9F, 0xA0, 0xE0,
        ]);
        proptest!(|(data in prop::collection::vec(alphabet, 0..40), sep in prop::sample::select(vec![b'*', 0x80, 0, 0xFF, 0x1F, 0x7F]))| {
            let mut got = vec![&b"before"[..]];
            let printable = split_into(&data, sep, &mut got);
            let want: Vec<&[u8]> = std::iter::once(&b"before"[..])
                .chain(data.split(|&b| b == sep))
                .collect();
            prop_assert_eq!(got, want);
            let plain = data.iter().all(|&b| b == sep || (0x20..0x80).contains(&b));
            prop_assert_eq!(printable, plain, "{:?} split at {}", data, sep);
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
    fn unescape_copies_as_byte_by_byte_at_every_length() {
        use proptest::prelude::*;
        let alphabet = prop::sample::select(vec![b'?', b'a', b':']);
        proptest!(|(v in prop::collection::vec(alphabet, 0..150))| {
            let seps = Separators { component: b':', repetition: None, release: Some(b'?') };
            let mut want = Vec::new();
            let mut k = 0;
            while k < v.len() {
                if v[k] == b'?' && k + 1 < v.len() {
                    k += 1;
                }
                want.push(v[k]);
                k += 1;
            }
            prop_assert_eq!(seps.unescape(&v).into_owned(), want);
        });
    }

    #[test]
    fn find_byte_finds_what_a_plain_search_finds() {
        use proptest::prelude::*;
        let alphabet = prop::sample::select(vec![b':', b'a', 0x80, 0xBA, 0x3A ^ 0x80, 0]);
        proptest!(|(v in prop::collection::vec(alphabet, 0..30), from in 0usize..32, sep in prop::sample::select(vec![b':', 0x80, 0]))| {
            let want = v
                .get(from..)
                .and_then(|rest| rest.iter().position(|&b| b == sep))
                .map(|i| from + i);
            prop_assert_eq!(find_byte(&v, from, sep), want);
        });
    }

    #[test]
    fn a_dropped_tables_room_serves_the_next_on_its_thread() {
        let seps = Separators {
            component: b'>',
            repetition: None,
            release: None,
        };
        let set = b"PO1*1*10*EA*2.50**UP*012345678905".repeat(40);
        let (values, rows) = {
            let mut table = FieldTable::with_capacity(1);
            for (i, data) in set.chunks(33).enumerate() {
                table.push_split(data, b'*', Span::new(i * 33, i * 33 + 33), i, seps, None);
            }
            assert_eq!(table.fields().len(), 40);
            (table.values.capacity(), table.rows.capacity())
        };
        let next = FieldTable::with_capacity(1);
        assert!(next.values.capacity() >= values && next.rows.capacity() >= rows);
        assert!(next.values.is_empty() && next.rows.is_empty());
        // A table made while another is in use leaves the larger room.
        let inner = FieldTable::with_capacity(1);
        assert!(inner.values.capacity() < values);
        drop(inner);
        drop(next);
        assert!(FieldTable::with_capacity(1).values.capacity() >= values);
        // A table past the bound gives its room back to the allocator.
        {
            let mut huge = FieldTable::with_capacity(SPARE_ROWS + 1);
            huge.push_split(b"LX*1", b'*', Span::new(0, 4), 0, seps, None);
        }
        let after = FieldTable::with_capacity(1);
        assert!(after.rows.capacity() <= SPARE_ROWS && after.values.capacity() <= SPARE_VALUES);
    }

    #[test]
    fn split_released_into_agrees_with_split() {
        use proptest::prelude::*;
        // Runs of release characters, released separators and releases at word edges and at
        // the very end, at every length around the sixteen-byte blocks.
        let alphabet = prop::sample::select(vec![b'+', b'?', b'a', b':', 0x80, 0x1F, b' ']);
        proptest!(|(data in prop::collection::vec(alphabet, 0..40), rel in prop::sample::select(vec![b'?', b'+', 0x80]))| {
            let mut got = vec![&b"before"[..]];
            let (printable, released) = split_released_into(&data, b'+', rel, &mut got);
            let want: Vec<&[u8]> = std::iter::once(&b"before"[..])
                .chain(Split::new(&data, Some(b'+'), Some(rel)))
                .collect();
            prop_assert_eq!(got, want);
            prop_assert_eq!(released, data.contains(&rel));
            let plain = data.iter().all(|&b| b == b'+' || (0x20..0x80).contains(&b));
            prop_assert_eq!(printable, plain, "{:?} split at + released by {}", data, rel);
        });
        let mut out = Vec::new();
        split_released_into(b"FTX+AAI+++A?+B?:C:D??+E?", b'+', b'?', &mut out);
        assert_eq!(out, [&b"FTX"[..], b"AAI", b"", b"", b"A?+B?:C:D??", b"E?"]);
    }

    #[test]
    fn a_printable_segment_is_read_as_text_from_its_sets_text() {
        let seps = Separators {
            component: b'>',
            repetition: None,
            release: None,
        };
        // The set's text ends before its first byte that is not UTF-8.
        let set = b"N1*ST* STORE 1 ~PO1\x1d1\x1dEA~REF*A\x01B*C~PID*\xc3\xa9*D~MSG*\xff~N9*OK";
        let mut table = FieldTable::with_capacity(6).reading(set);
        let mut from = 0;
        for (data, sep) in set
            .split(|&b| b == b'~')
            .zip([b'*', 0x1d, b'*', b'*', b'*', b'*'])
        {
            let span = Span {
                start: from,
                end: from + data.len(),
            };
            table.push_split(data, sep, span, 0, seps, None);
            from = span.end + 1;
        }
        let fields = table.fields();
        fn text<'s>(f: &Fields<'s>, n: usize) -> Option<&'s str> {
            f.text_of(f.value(n))
        }
        // Printable ASCII besides the element separators, whatever they are: text.
        assert_eq!(text(&fields[0], 2), Some(" STORE 1 "));
        assert_eq!(text(&fields[1], 2), Some("EA"));
        // A control character, or a byte that is not ASCII, anywhere in the segment: none.
        assert_eq!(text(&fields[2], 2), None);
        assert_eq!(text(&fields[3], 1), None);
        assert_eq!(text(&fields[4], 1), None);
        // Past the set's UTF-8 a segment checks its own bytes.
        assert_eq!(text(&fields[5], 1), Some("OK"));
        // A piece of a value is text too; bytes from elsewhere are not.
        assert_eq!(fields[0].text_of(&fields[0].value(2)[1..6]), Some("STORE"));
        assert_eq!(fields[0].text_of(b"ST"), None);
        // A segment read from bytes of its own (a copy) checks them itself.
        let copy = b"DTM*002*20240423".to_vec();
        let mut alone = FieldTable::default();
        alone.push_split(&copy, b'*', Span { start: 0, end: 16 }, 0, seps, None);
        assert_eq!(
            alone.fields()[0].text_of(alone.fields()[0].value(2)),
            Some("20240423")
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
