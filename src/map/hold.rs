//! Transaction sets held until their interchange is settled.
//!
//! The driver reads a file once. A set closes before the trailers of its group and
//! interchange say whether those hold, and a broken envelope rejects what it encloses, so each
//! closed set is held, with its bytes copied from the read window and the marks of its
//! segments ([`Marks`]), until its interchange closes; then all are judged and translated.
//! Held sets stay in memory up to a bound; past it (one interchange of many megabytes, as
//! EDIFACT files often are) the rest go to an anonymous temporary file, written once and read
//! back once in order, so memory stays flat whatever the interchange's size. The file is gone
//! when the hold is dropped, whatever happens; it is made in
//! [`Options::spill_dir`](super::Options::spill_dir).

use crate::diag::Finding;
use crate::envelope::{Closed, Envelope, Group, Interchange, Transaction};
use crate::syntax::{Marks, Span};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

/// How many bytes of held sets stay in memory by default.
pub(crate) const MEMORY: usize = 8 << 20;

/// Closed transaction sets waiting for their interchange's verdict, in file order.
pub(crate) struct Hold<S: Envelope> {
    memory: Vec<(Closed<S>, Vec<u8>)>,
    /// What the sets in memory cost, as [`Hold::push`] counts it.
    memory_bytes: usize,
    /// How many bytes of sets stay in memory before the rest are spilled.
    limit: usize,
    spill: Option<Spill<S>>,
    /// Where the temporary file goes (`None`: the system's temporary folder).
    dir: Option<std::path::PathBuf>,
}

/// The sets held in the temporary file.
struct Spill<S: Envelope> {
    out: BufWriter<File>,
    count: usize,
    /// The interchanges and group of the sets written, so that each is written once: a record
    /// names its interchange by index here, and carries its group when it changes.
    interchanges: Vec<Arc<Interchange<S>>>,
    last_group: Option<(usize, usize)>,
}

/// One spilled set: its header fields, and its group's when the group changed.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
struct Record<S: Envelope> {
    interchange: usize,
    group: Option<GroupRecord<S>>,
    tx: TxRecord<S>,
    bytes: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
struct GroupRecord<S: Envelope> {
    span: Span,
    explicit: bool,
    control: String,
    header: S::GroupHeader,
    transaction_count: usize,
    number: usize,
}

#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
struct TxRecord<S: Envelope> {
    span: Span,
    first_index: usize,
    control: String,
    header: S::TransactionHeader,
    segment_count: usize,
    findings: Vec<Finding>,
    /// How many segment marks follow the set's bytes (8 bytes each; `None`: not intact).
    marks: Option<usize>,
}

impl<S: Envelope> Hold<S> {
    /// What a held set costs in memory besides its bytes (its header fields, control number
    /// and findings), counted against the bound.
    const PER_SET: usize = 256;

    pub(crate) fn new(limit: usize, dir: Option<&std::path::Path>) -> Self {
        Hold {
            memory: Vec::new(),
            memory_bytes: 0,
            limit,
            spill: None,
            dir: dir.map(std::path::Path::to_path_buf),
        }
    }

    /// The interchange number of the first held set.
    pub(crate) fn first_interchange(&self) -> Option<usize> {
        if let Some((c, _)) = self.memory.first() {
            return Some(c.interchange.number);
        }
        let s = self.spill.as_ref().filter(|s| s.count > 0)?;
        s.interchanges.first().map(|ic| ic.number)
    }

    /// Holds a closed set with its bytes.
    pub(crate) fn push(&mut self, closed: Closed<S>, bytes: &[u8]) -> io::Result<()> {
        let spilling = self.spill.as_ref().is_some_and(|s| s.count > 0);
        // A set costs its bytes and its headers: a hostile interchange of many tiny sets is
        // spilled as soon as one of large sets.
        let cost = bytes.len() + closed.transaction.marks.cost() + Self::PER_SET;
        if !spilling && self.memory_bytes + cost <= self.limit {
            self.memory_bytes += cost;
            self.memory.push((closed, bytes.to_vec()));
            return Ok(());
        }
        let dir = self.dir.as_deref();
        let spill = match &mut self.spill {
            Some(s) => s,
            None => {
                let file = match dir {
                    Some(dir) => tempfile::tempfile_in(dir),
                    None => tempfile::tempfile(),
                }
                .map_err(|e| spill_error(dir, "could not be created", e))?;
                self.spill.insert(Spill {
                    out: BufWriter::with_capacity(1 << 20, file),
                    count: 0,
                    interchanges: Vec::new(),
                    last_group: None,
                })
            }
        };
        spill
            .write(closed, bytes)
            .map_err(|e| spill_error(dir, "could not be written", e))
    }

    /// Hands every held set to `each`, in file order, and empties the hold.
    pub(crate) fn release(
        &mut self,
        mut each: impl FnMut(Closed<S>, Vec<u8>) -> io::Result<()>,
    ) -> io::Result<()> {
        self.memory_bytes = 0;
        for (closed, bytes) in self.memory.drain(..) {
            each(closed, bytes)?;
        }
        let dir = self.dir.as_deref();
        match &mut self.spill {
            Some(s) if s.count > 0 => {
                s.read_back(each, |e| spill_error(dir, "could not be read", e))
            }
            _ => Ok(()),
        }
    }
}

/// An I/O error of the temporary file, said so that an operator knows what it is and where.
fn spill_error(dir: Option<&std::path::Path>, what: &str, e: io::Error) -> io::Error {
    let place = match dir {
        Some(d) => format!("in {}", d.display()),
        None => "in the system's temporary folder (TMPDIR)".to_owned(),
    };
    io::Error::new(
        e.kind(),
        format!(
            "the temporary file {place} for the transaction sets of an interchange too large to hold in memory {what}: {e} (check the free space and permissions there)"
        ),
    )
}

impl<S: Envelope> Spill<S> {
    fn write(&mut self, closed: Closed<S>, bytes: &[u8]) -> io::Result<()> {
        let Closed {
            interchange,
            group,
            transaction: tx,
        } = closed;
        let interchange = match self.interchanges.last() {
            Some(ic) if ic.number == interchange.number => self.interchanges.len() - 1,
            _ => {
                self.interchanges.push(interchange);
                self.interchanges.len() - 1
            }
        };
        let key = (self.interchanges[interchange].number, group.number);
        let group = (self.last_group != Some(key)).then(|| GroupRecord {
            span: group.span,
            explicit: group.explicit,
            control: group.control.clone(),
            header: group.header.clone(),
            transaction_count: group.transaction_count,
            number: group.number,
        });
        self.last_group = Some(key);
        let marks = tx.marks.spans().map(|spans| {
            spans
                .iter()
                .flat_map(|&(a, b)| [a.to_le_bytes(), b.to_le_bytes()])
                .flatten()
                .collect::<Vec<u8>>()
        });
        let record = Record::<S> {
            interchange,
            group,
            tx: TxRecord {
                span: tx.span,
                first_index: tx.first_index,
                control: tx.control,
                header: tx.header,
                segment_count: tx.segment_count,
                findings: tx.findings,
                marks: marks.as_ref().map(|m| m.len() / 8),
            },
            bytes: bytes.len(),
        };
        let meta = serde_json::to_vec(&record)?;
        let len = u32::try_from(meta.len()).map_err(io::Error::other)?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&meta)?;
        self.out.write_all(bytes)?;
        self.out.write_all(marks.as_deref().unwrap_or_default())?;
        self.count += 1;
        Ok(())
    }

    /// Reads every spilled set back in order, then empties the file for the next interchange.
    /// `failed` says what an I/O error of the file itself means; errors of `each` pass as
    /// they are.
    fn read_back(
        &mut self,
        mut each: impl FnMut(Closed<S>, Vec<u8>) -> io::Result<()>,
        failed: impl Fn(io::Error) -> io::Error,
    ) -> io::Result<()> {
        self.out.flush().map_err(&failed)?;
        let file = self.out.get_mut();
        file.seek(SeekFrom::Start(0)).map_err(&failed)?;
        let mut r = BufReader::with_capacity(1 << 20, &*file);
        let mut group: Option<Arc<Group<S>>> = None;
        let mut meta = Vec::new();
        for _ in 0..self.count {
            let (closed, bytes) =
                Self::next_record(&self.interchanges, &mut r, &mut meta, &mut group)
                    .map_err(&failed)?;
            each(closed, bytes)?;
        }
        drop(r);
        file.set_len(0).map_err(&failed)?;
        file.seek(SeekFrom::Start(0)).map_err(&failed)?;
        self.count = 0;
        self.interchanges.clear();
        self.last_group = None;
        Ok(())
    }

    /// The next spilled set, with the group its record names or the one before.
    fn next_record(
        interchanges: &[Arc<Interchange<S>>],
        r: &mut impl Read,
        meta: &mut Vec<u8>,
        group: &mut Option<Arc<Group<S>>>,
    ) -> io::Result<(Closed<S>, Vec<u8>)> {
        let mut len = [0u8; 4];
        r.read_exact(&mut len)?;
        meta.resize(u32::from_le_bytes(len) as usize, 0);
        r.read_exact(meta)?;
        let record: Record<S> = serde_json::from_slice(meta)?;
        let interchange = interchanges
            .get(record.interchange)
            .cloned()
            .ok_or_else(|| io::Error::other("a record names an interchange it does not hold"))?;
        if let Some(g) = record.group {
            *group = Some(Arc::new(Group {
                span: g.span,
                explicit: g.explicit,
                control: g.control,
                header: g.header,
                transaction_count: g.transaction_count,
                transactions: Vec::new(),
                findings: Vec::new(),
                number: g.number,
                closed: true,
            }));
        }
        let group = group
            .clone()
            .ok_or_else(|| io::Error::other("a record comes before any group"))?;
        let mut bytes = vec![0; record.bytes];
        r.read_exact(&mut bytes)?;
        let t = record.tx;
        let marks = match t.marks {
            Some(n) => {
                let mut raw = vec![
                    0;
                    n.checked_mul(8)
                        .ok_or_else(|| io::Error::other("too many marks"))?
                ];
                r.read_exact(&mut raw)?;
                let word = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("four bytes"));
                Some(
                    raw.chunks_exact(8)
                        .map(|m| (word(&m[..4]), word(&m[4..])))
                        .collect(),
                )
            }
            None => None,
        };
        let transaction = Transaction {
            span: t.span,
            first_index: t.first_index,
            control: t.control,
            header: t.header,
            segment_count: t.segment_count,
            findings: t.findings,
            closed: true,
            marks: Marks::from_spans(marks),
        };
        Ok((
            Closed {
                interchange,
                group,
                transaction,
            },
            bytes,
        ))
    }
}
