//! Feed text encodings: a byte order mark decides (UTF-8, UTF-16LE/BE); without one, bytes that
//! are valid UTF-8 are UTF-8 and anything else is Windows-1252, the encoding spreadsheet tools
//! on Windows write. Decoding streams: a 1 GiB feed is never held whole.

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};
use std::io::{self, Read};

/// How much of the start of a file decides between UTF-8 and Windows-1252.
pub const SNIFF: usize = 64 * 1024;

/// Picks the encoding from the first bytes of a file.
pub fn sniff(head: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(head) {
        return encoding;
    }
    match std::str::from_utf8(head) {
        Ok(_) => UTF_8,
        // A multi-byte character cut at the end of the sniffed bytes is still UTF-8.
        Err(e) if e.error_len().is_none() => UTF_8,
        Err(_) => WINDOWS_1252,
    }
}

/// A reader that turns bytes of `encoding` into UTF-8 as they are read (the BOM is dropped).
///
/// Written here rather than taken from `encoding_rs_io` (`DecodeReaderBytes`, 0.1.8), which
/// streams the same way (an explicit encoding; for UTF-8 none, with `strip_bom`) but drops what
/// `decode_to_utf8` says about replacements: a feed whose bytes were not valid in its encoding must say so
/// ([`Decode::replaced`], the "replaced with U+FFFD" warning; tests/feeds.rs), and counting
/// U+FFFD in the output afterwards would also count those the file holds as text.
pub struct Decode<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    eof: bool,
    /// The decoder saw the last input and emptied itself: it must not be called again.
    finished: bool,
    /// UTF-8 input is passed through as it is (after its BOM): the CSV reader checks each
    /// record's UTF-8 and reports a bad row as that row.
    passthrough: bool,
    bom_skipped: bool,
    /// Set when bytes that are not valid in the encoding were replaced by U+FFFD.
    pub replaced: bool,
}

impl<R: Read> Decode<R> {
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        Decode {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; 64 * 1024],
            in_start: 0,
            in_end: 0,
            output: vec![0; 3 * 64 * 1024 + 16],
            out_start: 0,
            out_end: 0,
            eof: false,
            finished: false,
            passthrough: encoding == UTF_8,
            bom_skipped: false,
            replaced: false,
        }
    }

    /// Decodes more input into the output buffer; false at the end.
    fn fill(&mut self) -> io::Result<bool> {
        loop {
            if self.finished {
                return Ok(false);
            }
            if self.in_start == self.in_end && !self.eof {
                self.in_start = 0;
                self.in_end = self.inner.read(&mut self.input)?;
                self.eof = self.in_end == 0;
            }
            let (result, read, written, replaced) = self.decoder.decode_to_utf8(
                &self.input[self.in_start..self.in_end],
                &mut self.output,
                self.eof,
            );
            self.in_start += read;
            if self.eof && result == encoding_rs::CoderResult::InputEmpty {
                self.finished = true;
            }
            self.replaced |= replaced;
            self.out_start = 0;
            self.out_end = written;
            if written > 0 {
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for Decode<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.passthrough {
            if !self.bom_skipped {
                self.bom_skipped = true;
                let mut bom = [0u8; 3];
                let n = crate::syntax::read_full(&mut self.inner, &mut bom)?;
                if bom[..n] != *b"\xEF\xBB\xBF" {
                    // Not a BOM: those bytes are text; hand them out with what follows.
                    self.output[..n].copy_from_slice(&bom[..n]);
                    self.out_start = 0;
                    self.out_end = n;
                    if out.len() > n {
                        out[..n].copy_from_slice(&bom[..n]);
                        self.out_end = 0;
                        let m = self.inner.read(&mut out[n..])?;
                        return Ok(n + m);
                    }
                }
            }
            if self.out_start < self.out_end {
                let k = out.len().min(self.out_end - self.out_start);
                out[..k].copy_from_slice(&self.output[self.out_start..self.out_start + k]);
                self.out_start += k;
                return Ok(k);
            }
            return self.inner.read(out);
        }
        if self.out_start == self.out_end && !self.fill()? {
            return Ok(0);
        }
        let n = out.len().min(self.out_end - self.out_start);
        out[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> String {
        let enc = sniff(bytes);
        let mut s = String::new();
        Decode::new(bytes, enc).read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn encodings() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b"), "a,b");
        assert_eq!(decode(b"Caf\xE9 \x96 1"), "Café – 1");
        assert_eq!(decode("Café".as_bytes()), "Café");
        assert_eq!(decode(b"\xFF\xFEa\x00\xFC\x00"), "aü");
        assert_eq!(decode(b"\xFE\xFF\x00a\x00\xFC"), "aü");
    }
}
