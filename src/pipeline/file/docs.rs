//! The summaries of a file's documents: what routing and the reports need of each, written
//! by the worker as it translates and read back one by one, in file order, by the main thread
//! (see the parent module).

use super::{ContentHashes, DocResult, InterchangeKey};
use crate::diag::{Code, Controls, Finding};
use crate::pipeline::spool::{Spool, SpoolReader, SpoolWriter};
use std::io::{self, Read, Write};
use std::path::Path;

/// A file's document summaries on disk, and what of them stays in memory.
///
/// The record format is ours alone (written and read back within one run, by one binary), so a
/// few length-prefixed fields are all it takes; a serialization crate would add a dependency
/// and, for `Finding` (which has no `Deserialize`), still not cover the problems.
#[derive(Debug, Default)]
pub(super) struct DocSpool {
    pub(super) spool: Option<Spool>,
    pub(super) count: usize,
    /// The document kinds seen, which a record names by index.
    pub(super) kinds: Vec<&'static str>,
    /// The file is not in its channel's format: no candidate stays one.
    pub(super) wrong_format: bool,
}

/// Writes document summaries (see [`DocSpool`]).
pub(super) struct DocWriter {
    pub(super) out: SpoolWriter,
    pub(super) spool: DocSpool,
    pub(super) last_interchange: Option<InterchangeKey>,
}

impl DocWriter {
    pub(super) fn add(&mut self, d: DocResult) -> io::Result<()> {
        let w = &mut self.out;
        w.write_all(&d.offset.to_le_bytes())?;
        put_str(w, &d.set_id)?;
        for c in [
            &d.controls.interchange,
            &d.controls.group,
            &d.controls.transaction,
        ] {
            put_opt(w, c.as_deref())?;
        }
        w.write_all(&[u8::from(d.candidate) | u8::from(d.not_mapped) << 1])?;
        let kind = match d.kind {
            None => u8::MAX,
            Some(k) => match self.spool.kinds.iter().position(|&x| x == k) {
                Some(i) => i as u8,
                None => {
                    self.spool.kinds.push(k);
                    u8::try_from(self.spool.kinds.len() - 1)
                        .ok()
                        .filter(|&i| i < u8::MAX)
                        .ok_or_else(|| io::Error::other("too many document kinds"))?
                }
            },
        };
        w.write_all(&[kind])?;
        put_opt(w, d.number.as_deref())?;
        put_opt(w, d.purpose.as_deref())?;
        // 0: no hashes; 1: v2 only; 2: v2 then v1.
        match &d.content_hash {
            Some(h) => {
                w.write_all(&[if h.v1.is_some() { 2 } else { 1 }])?;
                w.write_all(&h.v2)?;
                if let Some(v1) = &h.v1 {
                    w.write_all(v1)?;
                }
            }
            None => w.write_all(&[0])?,
        }
        match d.spool_line {
            Some(l) => {
                w.write_all(&[1])?;
                w.write_all(&(l as u64).to_le_bytes())?;
            }
            None => w.write_all(&[0])?,
        }
        match &d.interchange {
            None => w.write_all(&[0])?,
            Some(k) if self.last_interchange.as_ref() == Some(k) => w.write_all(&[1])?,
            Some(k) => {
                w.write_all(&[2])?;
                put_str(w, &k.0)?;
                put_str(w, &k.1)?;
                put_str(w, &k.2)?;
                self.last_interchange = Some(k.clone());
            }
        }
        // What explains a document that failed: its problems (as JSON, the form reports give
        // them) and item ids.
        if d.problems.is_empty() {
            w.write_all(&[0])?;
        } else {
            w.write_all(&[1])?;
            put_str(w, &serde_json::to_string(&d.problems)?)?;
        }
        let items = u32::try_from(d.items.len())
            .map_err(|_| io::Error::other("a document with over 4 billion items"))?;
        w.write_all(&items.to_le_bytes())?;
        for item in &d.items {
            put_str(w, item)?;
        }
        put_opt(w, d.acknowledgment.as_deref())?;
        self.spool.count += 1;
        Ok(())
    }
}

fn put_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    let len =
        u32::try_from(s.len()).map_err(|_| io::Error::other("a document field is over 4 GiB"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn put_opt(w: &mut impl Write, s: Option<&str>) -> io::Result<()> {
    match s {
        // A length no string of ours has marks the absent one.
        None => w.write_all(&u32::MAX.to_le_bytes()),
        Some(s) => put_str(w, s),
    }
}

/// A file's documents, read back in file order (see [`FileResult::documents`]).
pub struct Documents<'a> {
    pub(super) spool: &'a DocSpool,
    pub(super) reader: Option<SpoolReader<'a>>,
    pub(super) index: usize,
    pub(super) last_interchange: Option<InterchangeKey>,
    pub(super) buf: Vec<u8>,
}

impl<'a> Documents<'a> {
    fn u8(&mut self) -> io::Result<u8> {
        let mut b = [0u8; 1];
        self.read().read_exact(&mut b)?;
        Ok(b[0])
    }

    fn u32(&mut self) -> io::Result<u32> {
        let mut b = [0u8; 4];
        self.read().read_exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> io::Result<u64> {
        let mut b = [0u8; 8];
        self.read().read_exact(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn read(&mut self) -> &mut SpoolReader<'a> {
        self.reader
            .as_mut()
            .expect("a document is read only while the spool has some")
    }

    fn string_of(&mut self, len: u32) -> io::Result<String> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.resize(len as usize, 0);
        self.read().read_exact(&mut buf)?;
        let s = String::from_utf8(buf.clone()).map_err(io::Error::other);
        self.buf = buf;
        s
    }

    fn string(&mut self) -> io::Result<String> {
        let len = self.u32()?;
        self.string_of(len)
    }

    fn opt(&mut self) -> io::Result<Option<String>> {
        match self.u32()? {
            u32::MAX => Ok(None),
            len => self.string_of(len).map(Some),
        }
    }

    fn next_doc(&mut self) -> io::Result<DocResult> {
        let offset = self.u64()?;
        let set_id = self.string()?;
        let controls = Controls {
            interchange: self.opt()?,
            group: self.opt()?,
            transaction: self.opt()?,
        };
        let flags = self.u8()?;
        let kind = match self.u8()? {
            u8::MAX => None,
            i => Some(
                *self
                    .spool
                    .kinds
                    .get(usize::from(i))
                    .ok_or_else(|| io::Error::other("document spool: unknown kind"))?,
            ),
        };
        let number = self.opt()?;
        let purpose = self.opt()?;
        let content_hash = match self.u8()? {
            0 => None,
            tag => {
                let mut v2 = [0; 32];
                self.read().read_exact(&mut v2)?;
                let v1 = if tag == 2 {
                    let mut v1 = [0; 32];
                    self.read().read_exact(&mut v1)?;
                    Some(v1)
                } else {
                    None
                };
                Some(ContentHashes { v1, v2 })
            }
        };
        let spool_line = match self.u8()? {
            0 => None,
            _ => Some(self.u64()? as usize),
        };
        let interchange = match self.u8()? {
            0 => None,
            1 => self.last_interchange.clone(),
            _ => {
                let k = InterchangeKey::new((self.string()?, self.string()?, self.string()?));
                self.last_interchange = Some(k.clone());
                Some(k)
            }
        };
        let mut problems: Vec<Finding> = match self.u8()? {
            0 => Vec::new(),
            _ => serde_json::from_str(&self.string()?).map_err(io::Error::other)?,
        };
        let items = (0..self.u32()?)
            .map(|_| self.string())
            .collect::<io::Result<Vec<_>>>()?;
        let acknowledgment = self.opt()?;
        let mut candidate = flags & 1 != 0;
        if candidate && self.spool.wrong_format {
            candidate = false;
            problems.push(
                Finding::error(
                    Code::WrongChannel,
                    "the file is not in the channel's format",
                )
                .at_offset(offset as usize)
                .with_controls(&controls),
            );
        }
        Ok(DocResult {
            offset,
            set_id,
            controls,
            candidate,
            not_mapped: flags & 2 != 0,
            kind,
            number,
            purpose,
            content_hash,
            spool_line,
            interchange,
            problems,
            items,
            acknowledgment,
        })
    }
}

impl Iterator for Documents<'_> {
    type Item = io::Result<DocResult>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.index >= self.spool.count {
            return None;
        }
        let d = self.next_doc().map_err(|e| {
            io::Error::other(format!(
                "reading document {} back from {}: {e}",
                self.index + 1,
                self.spool
                    .spool
                    .as_ref()
                    .map_or(Path::new("?"), Spool::path)
                    .display()
            ))
        });
        self.index += 1;
        if d.is_err() {
            // One error, then the end: the rest of the spool cannot be trusted.
            self.index = self.spool.count;
        }
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::super::unreadable;
    use super::*;
    use crate::pipeline::spool::Budget;

    fn doc(offset: u64) -> DocResult {
        DocResult::new(offset, "850".into(), Controls::default())
    }

    /// What routing reads back of a file's documents is what translation wrote, field for
    /// field, in order; the documents of one interchange share its key again.
    #[test]
    fn document_summaries_read_back_as_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("1.docs");
        let ic = InterchangeKey::new(("S".into(), "R".into(), "000000001".into()));
        let mut a = doc(0);
        a.controls = Controls {
            interchange: Some("000000001".into()),
            group: None,
            transaction: Some("0001".into()),
        };
        a.candidate = true;
        a.kind = Some("order");
        a.number = Some("PO-1".into());
        a.purpose = Some("original".into());
        a.content_hash = Some(ContentHashes {
            v1: Some([7; 32]),
            v2: std::array::from_fn(|i| i as u8),
        });
        a.spool_line = Some(0);
        a.interchange = Some(ic.clone());
        let mut b = doc(106);
        b.kind = Some("invoice");
        b.number = Some(String::new());
        b.interchange = Some(ic);
        b.problems = vec![Finding::error(Code::BusinessRule, "a quantity of 0")];
        b.items = vec!["SKU-1".into(), "SKU-2".into()];
        // Without a v1 hash (the ledger held none).
        b.content_hash = Some(ContentHashes {
            v1: None,
            v2: [3; 32],
        });
        let mut c = doc(999);
        c.not_mapped = true;
        c.set_id = "997 ü".into();
        let docs = [a, b, c];
        // A budget too small for the three documents: their summaries go to disk.
        let budget = Budget::new(100);
        let mut w = DocWriter {
            out: SpoolWriter::new(path.clone(), &budget),
            spool: DocSpool::default(),
            last_interchange: None,
        };
        for d in &docs {
            w.add(d.clone()).expect("written");
        }
        let mut result = unreadable(String::new());
        result.docs = DocSpool {
            spool: Some(w.out.finish().expect("written")),
            ..w.spool
        };
        assert!(path.exists());
        let back: Vec<DocResult> = result
            .documents()
            .expect("opens")
            .collect::<io::Result<_>>()
            .expect("reads back");
        assert_eq!(format!("{back:?}"), format!("{docs:?}"));
        assert!(std::sync::Arc::ptr_eq(
            back[0].interchange.as_ref().expect("a"),
            back[1].interchange.as_ref().expect("b")
        ));
        // A file in the wrong format: its candidates are read back as rejected, saying why.
        result.docs.wrong_format = true;
        let back: Vec<DocResult> = result
            .documents()
            .expect("opens")
            .collect::<io::Result<_>>()
            .expect("reads back");
        assert!(!back[0].candidate);
        assert_eq!(back[0].problems[0].code, Code::WrongChannel);
        assert_eq!(back[1].problems.len(), 1);
    }
}
