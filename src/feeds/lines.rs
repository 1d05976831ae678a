//! Row numbers for the CSV reader: where the lines of the text end, noted as it is read.

use std::io::{self, Read};

/// Where the lines of the text the csv reader reads end, kept while they are near.
///
/// The csv reader ends a row at a CR, an LF or a CRLF outside quotes and keeps all three inside
/// quotes, as RFC 4180 asks, but its positions are not line numbers: it counts lines by LF
/// alone (in a file whose rows end with a bare CR every row was row 1), and a row after a CRLF
/// starts, for it, at that LF, one line and one byte early. Row numbers are the line a row
/// starts on, a line ending at LF, CRLF or a lone CR, so line ends are noted here as the text
/// goes by.
#[derive(Default)]
struct LineEnds {
    /// Offsets just past each line end read and not yet before a row asked about.
    ends: std::collections::VecDeque<u64>,
    /// Offsets of the LFs of CRLFs, for the same stretch.
    crlf: std::collections::VecDeque<u64>,
    /// Line ends before the last row asked about.
    before: u64,
    /// The offset of a CR whose next byte was not read yet.
    cr: Option<u64>,
}

/// The reader side of [`LineEnds`]: hands the text on as it is.
pub(super) struct NoteLines<R> {
    inner: R,
    at: u64,
    ends: std::rc::Rc<std::cell::RefCell<LineEnds>>,
}

/// The row side of [`LineEnds`].
pub(super) struct Lines(std::rc::Rc<std::cell::RefCell<LineEnds>>);

impl<R: Read> NoteLines<R> {
    pub(super) fn new(inner: R) -> (Self, Lines) {
        let ends = std::rc::Rc::default();
        let lines = Lines(std::rc::Rc::clone(&ends));
        (NoteLines { inner, at: 0, ends }, lines)
    }
}

impl<R: Read> Read for NoteLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut e = self.ends.borrow_mut();
        for i in memchr::memchr2_iter(b'\r', b'\n', &buf[..n]) {
            let o = self.at + i as u64;
            match (e.cr.take(), buf[i]) {
                (Some(cr), b'\n') if cr + 1 == o => {
                    e.ends.push_back(o + 1);
                    e.crlf.push_back(o);
                    continue;
                }
                (Some(cr), _) => e.ends.push_back(cr + 1),
                (None, _) => {}
            }
            if buf[i] == b'\r' {
                e.cr = Some(o);
            } else {
                e.ends.push_back(o + 1);
            }
        }
        // A CR followed by something else than LF in this read is a line end of its own; one
        // that ends the read waits for the next byte (or the end of the text).
        let end = self.at + n as u64;
        if let Some(cr) = e.cr
            && (cr + 1 < end || n == 0)
        {
            e.ends.push_back(cr + 1);
            e.cr = None;
        }
        self.at = end;
        Ok(n)
    }
}

impl Lines {
    /// The byte offset and line number where a row starts that csv places at `pos`. Rows are
    /// asked about in file order, so the line ends before one are counted once and dropped:
    /// what is kept are the line ends of one row and of the read-ahead, eight bytes each, a
    /// row being bounded by the guarded reader (`limits.max_record_bytes`).
    pub(super) fn at(&self, pos: &csv::Position) -> (usize, u64) {
        let mut e = self.0.borrow_mut();
        let mut b = pos.byte();
        while e.crlf.front().is_some_and(|&lf| lf < b) {
            e.crlf.pop_front();
        }
        if e.crlf.front() == Some(&b) {
            b += 1;
        }
        while e.ends.front().is_some_and(|&end| end <= b) {
            e.ends.pop_front();
            e.before += 1;
        }
        (b as usize, 1 + e.before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out `chunk` bytes per read, so a CRLF can be cut between two reads.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn line_ends_are_lf_crlf_and_lone_cr_whatever_the_read_sizes() {
        let text = b"h\r\na\rb\nc\r\n\"q\rq\"\r\rd";
        for chunk in 1..=text.len() {
            let (mut r, lines) = NoteLines::new(Chunks(text, chunk));
            io::copy(&mut r, &mut io::sink()).unwrap();
            let e = lines.0.borrow();
            assert_eq!(e.ends, [3, 5, 7, 10, 13, 16, 17], "reads of {chunk}");
            assert_eq!(e.crlf, [2, 9], "reads of {chunk}");
            drop(e);
            // csv places the row after the CRLF at byte 9, its LF: it starts at 10, line 5.
            let mut pos = csv::Position::new();
            pos.set_byte(9);
            assert_eq!(lines.at(&pos), (10, 5));
            assert_eq!(lines.at(&pos), (10, 5), "asked twice");
            pos.set_byte(17);
            assert_eq!(lines.at(&pos), (17, 8));
        }
    }
}
