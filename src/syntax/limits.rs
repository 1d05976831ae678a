//! Resource limits for hostile input.
//!
//! Memory stays bounded whatever a file holds: the readers stream, and the few places that must
//! hold a unit of input whole (a transaction set or message while it is validated, a CSV row,
//! an XML order element, one segment) refuse units over these limits with a finding that names
//! the limit, instead of growing until the process dies. Every limit can be set in the run
//! configuration's `[limits]` table.
//!
//! Element length needs no limit of its own: every element of a grammar has a maximum length
//! (a longer one is an `ElementTooLong` finding) and an element cannot outgrow its segment,
//! whose length is limited by `max_segment_bytes`.
//!
//! ```
//! let l = tallyman::syntax::limits::Limits::default();
//! assert!(l.max_transaction_bytes >= 1 << 20);
//! ```

use serde::Deserialize;
use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// The limits, with defaults far above any real document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// A larger input file is not read at all.
    #[serde(deserialize_with = "at_least_one")]
    pub max_file_bytes: u64,
    /// A longer X12 or EDIFACT segment is taken for a missing or wrong terminator: the reader
    /// reports it and skips it (X12: to the next ISA; EDIFACT: to the next terminator).
    #[serde(deserialize_with = "at_least_one")]
    pub max_segment_bytes: usize,
    /// A transaction set or message with more segments is rejected unread.
    #[serde(deserialize_with = "at_least_one")]
    pub max_segments_per_transaction: usize,
    /// A transaction set or message larger than this (ST to SE, UNH to UNT) is rejected unread.
    #[serde(deserialize_with = "at_least_one")]
    pub max_transaction_bytes: usize,
    /// A CSV/TSV feed row longer than this stops the reading of its file (typically a quote
    /// left open, which makes the rest of the file one field).
    #[serde(deserialize_with = "at_least_one")]
    pub max_record_bytes: usize,
    /// An XML order element nested deeper than this is rejected.
    #[serde(deserialize_with = "at_least_one")]
    pub max_xml_depth: usize,
    /// An XML order element (with everything inside it) larger than this is rejected, and so
    /// is a single text or tag larger than this.
    #[serde(deserialize_with = "at_least_one")]
    pub max_xml_order_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 8 << 30,
            max_segment_bytes: super::x12::MAX_SEGMENT,
            max_segments_per_transaction: 500_000,
            max_transaction_bytes: 64 << 20,
            max_record_bytes: 1 << 20,
            max_xml_depth: 64,
            max_xml_order_bytes: 16 << 20,
        }
    }
}

/// A limit of 0 would refuse everything (or, for segments, mean the default): refused.
fn at_least_one<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default + PartialEq,
{
    let v = T::deserialize(d)?;
    if v == T::default() {
        return Err(serde::de::Error::custom("a limit must be at least 1"));
    }
    Ok(v)
}

/// The error a [`Guarded`] reader returns when a unit outgrows its limit.
#[derive(Debug, thiserror::Error)]
#[error("{what} is longer than {limit} bytes (limits.{key})")]
pub struct Exceeded {
    pub what: &'static str,
    pub key: &'static str,
    pub limit: u64,
}

impl Exceeded {
    /// The limit breach inside an I/O error, if that is what it is.
    pub fn find(e: &io::Error) -> Option<&Exceeded> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<Exceeded>())
    }
}

/// Marks the start of the next unit for a [`Guarded`] reader.
#[derive(Debug, Clone)]
pub struct Mark(Rc<Cell<u64>>);

impl Mark {
    /// The unit before ended: count from zero again.
    pub fn reset(&self) {
        self.0.set(0);
    }
}

/// A reader that fails once more than `limit` bytes were read since the last [`Mark::reset`].
///
/// Parsers that buffer a whole unit (the csv crate a record, quick-xml an event) cannot be told
/// to stop; reading through this makes them stop. The count includes what the parser's own
/// buffer reads ahead, so give `limit` that much slack.
pub struct Guarded<R> {
    inner: R,
    count: Rc<Cell<u64>>,
    limit: u64,
    what: &'static str,
    key: &'static str,
}

impl<R: Read> Guarded<R> {
    pub fn new(inner: R, limit: u64, what: &'static str, key: &'static str) -> (Self, Mark) {
        let count = Rc::new(Cell::new(0));
        (
            Guarded {
                inner,
                count: count.clone(),
                limit,
                what,
                key,
            },
            Mark(count),
        )
    }
}

impl<R: Read> Read for Guarded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.count.get() > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                Exceeded {
                    what: self.what,
                    key: self.key,
                    limit: self.limit,
                },
            ));
        }
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guarded_reader_stops_a_unit_over_its_limit() {
        let data = [b'x'; 100];
        let (mut r, mark) = Guarded::new(&data[..], 10, "a row", "max_record_bytes");
        let mut buf = [0u8; 8];
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        mark.reset();
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        assert_eq!(r.read(&mut buf).unwrap(), 8);
        let e = r.read(&mut buf).unwrap_err();
        let ex = Exceeded::find(&e).unwrap();
        assert_eq!(
            ex.to_string(),
            "a row is longer than 10 bytes (limits.max_record_bytes)"
        );
        mark.reset();
        assert_eq!(r.read(&mut buf).unwrap(), 8);
    }
}
