//! ERP import files: one per run, document kind and format, under temporary names until the
//! run commits.
//!
//! Documents come from the spools in input order, so the files are byte for byte the same
//! whatever the number of threads.

use super::Input;
use super::work::{Layout, crash_point, sync_dir};
use crate::config::{Config, OutputFormat};
use crate::ledger::OutputRow;
use crate::model::Document;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};

enum Sink {
    Jsonl(BufWriter<File>),
    Csv(Box<csv::Writer<BufWriter<File>>>),
}

struct Open {
    sink: Sink,
    row: OutputRow,
}

/// Writes the accepted documents: `accepted[i][line]` is the kind of spool line `line` of input
/// `i` when that document was accepted.
pub(super) fn write(
    layout: &Layout,
    run: i64,
    cfg: &Config,
    inputs: &[Input<'_>],
    spools: &[Option<std::path::PathBuf>],
    accepted: &[Vec<Option<&'static str>>],
) -> io::Result<Vec<OutputRow>> {
    let mut open: BTreeMap<(&'static str, OutputFormat), Open> = BTreeMap::new();
    let mut line = String::new();
    for ((inp, spool), lines) in inputs.iter().zip(spools).zip(accepted) {
        if lines.iter().all(Option::is_none) {
            continue;
        }
        let Some(spool) = spool else {
            continue;
        };
        let mut reader = BufReader::new(File::open(spool)?);
        for kind in lines {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(io::Error::other(format!(
                    "spool {} ended early",
                    spool.display()
                )));
            }
            let Some(kind) = kind else { continue };
            let mut doc: Option<Document> = None;
            for &format in &inp.channel.output {
                let o = match open.entry((kind, format)) {
                    std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::btree_map::Entry::Vacant(v) => {
                        v.insert(create(layout, run, cfg, kind, format)?)
                    }
                };
                match &mut o.sink {
                    Sink::Jsonl(w) => w.write_all(line.as_bytes())?,
                    Sink::Csv(w) => {
                        if doc.is_none() {
                            doc = Some(serde_json::from_str(&line).map_err(io::Error::other)?);
                        }
                        let columns = &cfg.csv_columns[*kind];
                        super::erp_csv::write_document(
                            w,
                            doc.as_ref().expect("parsed above"),
                            columns,
                        )
                        .map_err(io::Error::other)?;
                    }
                }
                o.row.documents += 1;
            }
        }
    }
    let mut rows = Vec::new();
    for (_, o) in open {
        let file = match o.sink {
            Sink::Jsonl(w) => w.into_inner().map_err(|e| e.into_error())?,
            Sink::Csv(w) => (*w)
                .into_inner()
                .map_err(|e| io::Error::other(e.to_string()))?
                .into_inner()
                .map_err(|e| e.into_error())?,
        };
        file.sync_all()?;
        crash_point("output written");
        rows.push(o.row);
    }
    sync_dir(&layout.inbox)?;
    Ok(rows)
}

fn create(
    layout: &Layout,
    run: i64,
    cfg: &Config,
    kind: &'static str,
    format: OutputFormat,
) -> io::Result<Open> {
    let (path, temp) = layout.output(run, kind, format.extension());
    let file = BufWriter::new(File::create(&temp)?);
    let sink = match format {
        OutputFormat::Jsonl => Sink::Jsonl(file),
        OutputFormat::Csv => {
            let mut w = csv::WriterBuilder::new().flexible(false).from_writer(file);
            super::erp_csv::write_header(&mut w, &cfg.csv_columns[kind])
                .map_err(io::Error::other)?;
            Sink::Csv(Box::new(w))
        }
    };
    Ok(Open {
        sink,
        row: OutputRow {
            temp: temp.display().to_string(),
            path: path.display().to_string(),
            documents: 0,
        },
    })
}
