//! ERP import files: one per run, document kind and format, under temporary names until the
//! run commits.
//!
//! The main thread adds each input's accepted documents right after routing it, in input order
//! (while the workers translate the next chunk), so the files are byte for byte the same
//! whatever the number of threads. The workers wrote each document's JSON line and (when its
//! channel writes CSV) its CSV rows already (`file.rs`); this only copies the accepted ones.

use super::Input;
use super::work::{Layout, crash_point, sync_dir};
use crate::config::{Config, OutputFormat};
use crate::ledger::OutputRow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

struct Open {
    sink: BufWriter<File>,
    row: OutputRow,
}

/// The run's ERP files being written.
pub(super) struct Writer<'a> {
    layout: &'a Layout,
    run: i64,
    cfg: &'a Config,
    open: BTreeMap<(&'static str, OutputFormat), Open>,
    line: String,
    rows: Vec<u8>,
}

impl<'a> Writer<'a> {
    pub fn new(layout: &'a Layout, run: i64, cfg: &'a Config) -> Self {
        Writer {
            layout,
            run,
            cfg,
            open: BTreeMap::new(),
            line: String::new(),
            rows: Vec::new(),
        }
    }

    /// Adds the accepted documents of one input: `accepted[line]` is the kind of spool line
    /// `line` when that document was accepted.
    pub fn add(
        &mut self,
        inp: &Input<'_>,
        spool: Option<&Path>,
        accepted: &[Option<&'static str>],
    ) -> io::Result<()> {
        if accepted.iter().all(Option::is_none) {
            return Ok(());
        }
        let Some(spool) = spool else {
            return Ok(());
        };
        let mut reader = BufReader::new(File::open(spool)?);
        let csv_path = super::file::csv_spool(spool);
        let mut csv_reader = if inp.channel.output.contains(&OutputFormat::Csv) {
            Some(BufReader::new(File::open(&csv_path)?))
        } else {
            None
        };
        for kind in accepted {
            self.line.clear();
            if reader.read_line(&mut self.line)? == 0 {
                return Err(ended_early(spool));
            }
            if let Some(r) = &mut csv_reader {
                let mut len = [0u8; 4];
                r.read_exact(&mut len).map_err(|_| ended_early(&csv_path))?;
                self.rows.clear();
                self.rows.resize(u32::from_le_bytes(len) as usize, 0);
                r.read_exact(&mut self.rows)
                    .map_err(|_| ended_early(&csv_path))?;
            }
            let Some(kind) = kind else { continue };
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
    let mut sink = BufWriter::new(file);
    if format == OutputFormat::Csv {
        let mut w = super::erp_csv::writer(Vec::new());
        super::erp_csv::write_header(&mut w, &cfg.csv_columns[kind]).map_err(io::Error::other)?;
        sink.write_all(
            &w.into_inner()
                .map_err(|e| io::Error::other(e.to_string()))?,
        )?;
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
