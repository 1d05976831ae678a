//! ERP import files: one per run, document kind and format, under temporary names until the
//! run commits.
//!
//! The main thread adds each input's accepted documents as it routes them, in input order
//! (while the workers translate the next chunk), so the files are byte for byte the same
//! whatever the number of threads. The workers wrote each document's JSON line and (when its
//! channel writes CSV) its CSV rows already (`file.rs`); this only copies the accepted ones.

use super::Input;
use super::file::Spools;
use super::settings::{Config, OutputFormat};
use super::spool::SpoolReader;
use super::work::{Layout, crash_point, sync_dir};
use crate::ledger::OutputRow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Bytes written to an ERP file at once. A run writes about five times its input into ERP files;
/// with `BufWriter`'s 8 KiB that is one `write` per two pages, and the kernel's per-call work
/// (page-cache copies, zeroing the tail of the last page) held 16% of a profiled run's samples.
/// On a 100 MiB mixed folder, 5 alternating runs each, system time fell from 2.19 to 1.89 s
/// (user time unchanged within noise).
const WRITE_BUFFER: usize = 1 << 20;

struct Open {
    sink: BufWriter<File>,
    row: OutputRow,
}

/// Where the copying of one input's accepted documents stands in its spools (opened at the
/// first accepted document).
pub(super) struct SpoolCursor<'p> {
    spools: Option<&'p Spools>,
    readers: Option<(SpoolReader<'p>, Option<SpoolReader<'p>>)>,
    /// The next spool line to read.
    next: usize,
}

impl<'p> SpoolCursor<'p> {
    pub fn new(spools: Option<&'p Spools>) -> Self {
        SpoolCursor {
            spools,
            readers: None,
            next: 0,
        }
    }
}

/// The run's ERP files being written.
pub(super) struct Writer<'a> {
    layout: &'a Layout,
    run: i64,
    cfg: &'a Config,
    open: BTreeMap<(&'static str, OutputFormat), Open>,
    line: String,
    rows: Vec<u8>,
    dry: bool,
}

impl<'a> Writer<'a> {
    /// `dry`: write nothing, only read the documents (a dry run still records the orders it
    /// would accept, in its rolled-back transaction, so its ship notices are checked as a real
    /// run's would be).
    pub fn new(layout: &'a Layout, run: i64, cfg: &'a Config, dry: bool) -> Self {
        Writer {
            layout,
            run,
            cfg,
            dry,
            open: BTreeMap::new(),
            line: String::new(),
            rows: Vec::new(),
        }
    }

    /// The canonical JSON of the document [`Writer::copy`] copied last.
    pub fn last_line(&self) -> &str {
        &self.line
    }

    /// Copies an accepted document of `inp` into the ERP files: the one on line `line` of its
    /// spool. Documents come in file order (lines only ever increase for one cursor).
    pub fn copy<'p>(
        &mut self,
        inp: &Input<'_>,
        cursor: &mut SpoolCursor<'p>,
        line: usize,
        kind: &'static str,
    ) -> io::Result<()> {
        let Some(spools) = cursor.spools else {
            return Ok(());
        };
        let spool = spools.lines.path();
        let csv_spool = match (&spools.csv, inp.channel.output.contains(&OutputFormat::Csv)) {
            (Some(c), true) => Some(c),
            (None, true) => return Err(io::Error::other("a CSV channel's file has no CSV spool")),
            (_, false) => None,
        };
        if cursor.readers.is_none() {
            let csv = csv_spool.map(|c| c.reader()).transpose()?;
            cursor.readers = Some((spools.lines.reader()?, csv));
        }
        let (reader, csv_reader) = cursor.readers.as_mut().expect("opened above");
        let csv_path = || csv_spool.map_or(spool, |c| c.path());
        // Documents not accepted are read past.
        while cursor.next <= line {
            self.line.clear();
            if reader.read_line(&mut self.line)? == 0 {
                return Err(ended_early(spool));
            }
            if let Some(r) = csv_reader {
                let mut len = [0u8; 4];
                r.read_exact(&mut len)
                    .map_err(|_| ended_early(csv_path()))?;
                self.rows.clear();
                self.rows.resize(u32::from_le_bytes(len) as usize, 0);
                r.read_exact(&mut self.rows)
                    .map_err(|_| ended_early(csv_path()))?;
            }
            cursor.next += 1;
        }
        if self.dry {
            return Ok(());
        }
        for &format in &inp.channel.output {
            let o = match self.open.entry((kind, format)) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(create(self.layout, self.run, self.cfg, kind, format)?)
                }
            };
            match format {
                OutputFormat::Jsonl => o.sink.write_all(self.line.as_bytes())?,
                OutputFormat::Csv => o.sink.write_all(&self.rows)?,
            }
            o.row.documents += 1;
        }
        Ok(())
    }

    /// Flushes and fsyncs every file (still under its temporary name).
    pub fn finish(self) -> io::Result<Vec<OutputRow>> {
        let mut written = Vec::new();
        for (_, o) in self.open {
            o.sink
                .into_inner()
                .map_err(|e| e.into_error())?
                .sync_all()?;
            crash_point("output written");
            written.push(o.row);
        }
        sync_dir(&self.layout.inbox)?;
        Ok(written)
    }
}

fn ended_early(spool: &Path) -> io::Error {
    io::Error::other(format!("spool {} ended early", spool.display()))
}

fn create(
    layout: &Layout,
    run: i64,
    cfg: &Config,
    kind: &'static str,
    format: OutputFormat,
) -> io::Result<Open> {
    let (path, temp) = layout.output(run, kind, format.extension());
    // Nothing is ever replaced: not an ERP file of an earlier ledger's run, not another
    // configuration's (the final name is checked again, without a race, when it is linked).
    if path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists already and is never replaced", path.display()),
        ));
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(layout.erp_file_mode)
        .open(&temp)?;
    let mut sink = BufWriter::with_capacity(WRITE_BUFFER, file);
    if format == OutputFormat::Csv {
        let mut header = Vec::new();
        crate::erp::import::write_header(&mut header, &cfg.csv_columns[kind]);
        sink.write_all(&header)?;
    }
    Ok(Open {
        sink,
        row: OutputRow {
            temp: temp.display().to_string(),
            path: path.display().to_string(),
            documents: 0,
        },
    })
}
