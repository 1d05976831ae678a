//! Spools: what a worker writes about a file for the main thread to read back after it.
//!
//! A spool stays in memory while the run's budget allows it ([`Budget`], shared by every
//! worker; `[run] spool_memory_mib`), and goes to its file in the staging folder once it does
//! not: then the rest is
//! written there too. Most files' spools never touch the disk, which spares the creation,
//! writing, reading and removal of four files per input, while a run's memory stays bounded
//! whatever its files' sizes. Spools are never fsynced: they are read before the commit, and a
//! run that stops before its commit is rolled back and translated again.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many bytes of spools a run keeps in memory at most.
#[derive(Debug)]
pub struct Budget {
    left: AtomicUsize,
    /// What one spool may take: an eighth, so that a large file's spools, which go to disk in
    /// the end anyway, leave the budget to the many small files beside it.
    per_spool: usize,
}

impl Budget {
    pub fn new(bytes: usize) -> Arc<Budget> {
        Arc::new(Budget {
            left: AtomicUsize::new(bytes),
            per_spool: bytes / 8,
        })
    }

    /// Takes `n` bytes of the budget for a spool that holds `held`, if that many are left and
    /// the spool may have them.
    fn take(&self, held: usize, n: usize) -> bool {
        held + n <= self.per_spool
            && self
                .left
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                    left.checked_sub(n)
                })
                .is_ok()
    }

    fn give(&self, n: usize) {
        self.left.fetch_add(n, Ordering::AcqRel);
    }

    /// What is left.
    #[cfg(test)]
    fn left(&self) -> usize {
        self.left.load(Ordering::Acquire)
    }
}

/// Bytes of the budget held by a spool in memory, given back when it is dropped.
#[derive(Debug)]
pub struct Lease {
    budget: Arc<Budget>,
    bytes: usize,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.budget.give(self.bytes);
    }
}

/// Spools in memory are made of blocks of this size, taken from the budget one by one (never
/// reallocated, so the memory given back is whole blocks the allocator can reuse).
const BLOCK: usize = 64 << 10;

/// A spool being written.
pub struct SpoolWriter {
    path: PathBuf,
    memory: Vec<Vec<u8>>,
    lease: Lease,
    file: Option<BufWriter<File>>,
}

impl SpoolWriter {
    /// A spool that goes to `path` if the budget does not hold it.
    pub fn new(path: PathBuf, budget: &Arc<Budget>) -> Self {
        SpoolWriter {
            path,
            memory: Vec::new(),
            lease: Lease {
                budget: budget.clone(),
                bytes: 0,
            },
            file: None,
        }
    }

    /// Moves what is in memory to the file; the rest is written there.
    fn spill(&mut self) -> io::Result<&mut BufWriter<File>> {
        let mut out = BufWriter::with_capacity(BLOCK, File::create(&self.path)?);
        for block in &self.memory {
            out.write_all(block)?;
        }
        self.memory = Vec::new();
        self.lease
            .budget
            .give(std::mem::take(&mut self.lease.bytes));
        Ok(self.file.insert(out))
    }

    /// The spool, to be read back.
    pub fn finish(self) -> io::Result<Spool> {
        let SpoolWriter {
            path,
            memory,
            lease,
            file,
        } = self;
        match file {
            Some(out) => {
                out.into_inner().map_err(|e| e.into_error())?;
                Ok(Spool::File(path))
            }
            None => Ok(Spool::Memory {
                path,
                blocks: memory,
                _lease: lease,
            }),
        }
    }
}

impl Write for SpoolWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() {
            if let Some(block) = self.memory.last_mut().filter(|b| b.len() < BLOCK) {
                let n = buf.len().min(BLOCK - block.len());
                block.extend_from_slice(&buf[..n]);
                return Ok(n);
            }
            if self.lease.budget.take(self.lease.bytes, BLOCK) {
                self.lease.bytes += BLOCK;
                let mut block = Vec::with_capacity(BLOCK);
                let n = buf.len().min(BLOCK);
                block.extend_from_slice(&buf[..n]);
                self.memory.push(block);
                return Ok(n);
            }
        }
        let out = match &mut self.file {
            Some(out) => out,
            None => self.spill()?,
        };
        out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(out) => out.flush(),
            None => Ok(()),
        }
    }
}

/// A spool written, in memory or in its file.
#[derive(Debug)]
pub enum Spool {
    Memory {
        /// Where it would have gone (for messages).
        path: PathBuf,
        blocks: Vec<Vec<u8>>,
        _lease: Lease,
    },
    File(PathBuf),
}

impl Spool {
    /// Reads the spool from its start.
    pub fn reader(&self) -> io::Result<SpoolReader<'_>> {
        Ok(match self {
            Spool::Memory { blocks, .. } => SpoolReader::Memory(blocks, 0),
            Spool::File(p) => SpoolReader::File(BufReader::with_capacity(BLOCK, File::open(p)?)),
        })
    }

    /// Where it is, or would have been, on disk.
    pub fn path(&self) -> &Path {
        match self {
            Spool::Memory { path, .. } | Spool::File(path) => path,
        }
    }

    /// Gives its memory or its disk space back.
    pub fn remove(self) {
        if let Spool::File(p) = self {
            // Staging goes at the end of the run anyway.
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A spool read back.
pub enum SpoolReader<'a> {
    /// The blocks not read yet, and how far the first one was read.
    Memory(&'a [Vec<u8>], usize),
    File(BufReader<File>),
}

impl Read for SpoolReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let SpoolReader::File(f) = self {
            return f.read(buf);
        }
        let n = {
            let mut rest = self.fill_buf()?;
            rest.read(buf)?
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SpoolReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            SpoolReader::Memory(blocks, at) => {
                while let [first, rest @ ..] = blocks
                    && *at == first.len()
                {
                    *blocks = rest;
                    *at = 0;
                }
                Ok(blocks.first().map_or(&[][..], |b| &b[*at..]))
            }
            SpoolReader::File(f) => f.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            SpoolReader::Memory(_, at) => *at += n,
            SpoolReader::File(f) => f.consume(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(s: &Spool) -> Vec<u8> {
        let mut out = Vec::new();
        s.reader().unwrap().read_to_end(&mut out).unwrap();
        out
    }

    /// Writes `n` numbered lines; returns the spool and what was written.
    fn lines(dir: &Path, name: &str, budget: &Arc<Budget>, n: u32) -> (Spool, Vec<u8>) {
        let mut w = SpoolWriter::new(dir.join(name), budget);
        let mut want = Vec::new();
        for i in 0..n {
            let line = format!("line {i}\n");
            w.write_all(line.as_bytes()).unwrap();
            want.extend_from_slice(line.as_bytes());
        }
        (w.finish().unwrap(), want)
    }

    /// A spool stays in memory within the budget (in blocks, read back across their edges)
    /// and gives it back when dropped; past the budget, or past an eighth of it, it moves to its
    /// file with what it held, and reads back the same either way.
    #[test]
    fn spools_stay_in_memory_within_the_budget_and_spill_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Budget::new(32 * BLOCK);
        let (small, want) = lines(dir.path(), "small", &budget, 2);
        assert!(matches!(small, Spool::Memory { .. }));
        assert!(!dir.path().join("small").exists());
        assert_eq!(read_all(&small), want);
        assert_eq!(budget.left(), 31 * BLOCK);
        // Three blocks' worth: in memory, with lines across the blocks' edges.
        let (medium, want) = lines(dir.path(), "medium", &budget, 15_000);
        assert!(want.len() > 2 * BLOCK && want.len() < 3 * BLOCK);
        assert!(matches!(medium, Spool::Memory { .. }));
        assert_eq!(read_all(&medium), want);
        let back: Vec<String> = medium
            .reader()
            .unwrap()
            .lines()
            .map(Result::unwrap)
            .collect();
        assert_eq!(back.len(), 15_000);
        assert_eq!(back[14_999], "line 14999");
        assert_eq!(budget.left(), 28 * BLOCK);
        // More than an eighth of the budget: to its file, with what it held, and the budget
        // it took is given back.
        let (large, want) = lines(dir.path(), "large", &budget, 40_000);
        assert!(matches!(large, Spool::File(_)));
        assert!(dir.path().join("large").exists());
        assert_eq!(read_all(&large), want);
        assert_eq!(budget.left(), 28 * BLOCK);
        large.remove();
        assert!(!dir.path().join("large").exists());
        // Spools that fit one by one until the budget is spent; then the next goes to disk.
        let mut held = Vec::new();
        loop {
            let name = format!("more{}", held.len());
            let (s, want) = lines(dir.path(), &name, &budget, 15_000);
            assert_eq!(read_all(&s), want);
            let on_disk = matches!(s, Spool::File(_));
            held.push(s);
            if on_disk {
                break;
            }
        }
        assert_eq!(held.len(), 10, "nine spools of three blocks fit in 28");
        assert_eq!(budget.left(), BLOCK);
        drop((small, medium, held));
        assert_eq!(budget.left(), 32 * BLOCK, "the budget is whole again");
    }
}
