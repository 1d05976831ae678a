//! ERP exports → canonical ship notices and invoices: the first phase of the outbound direction.
//!
//! Phase: input (outbound). The ERP drops shipment and invoice exports into the outbox, either as
//! canonical JSON Lines ([`read_jsonl`]) or as CSV read through an export profile
//! ([`Profiles`], the TOML files of `exports/`): one row per line with the document's header
//! fields repeated ([`read_csv`], with or without a header row), or a header file and a detail
//! file linked by a key ([`read_header_detail`]). The column names are those of the ERP import
//! files ([`known_columns`](super::known_columns)), and each value is read as the import writer
//! writes it. A document that cannot be read exactly is held with every problem named (file, row
//! as a spreadsheet shows it, column, value, what to do); the other documents of the file come
//! through. Nothing here touches the file system: the caller reads the files and directories.
//!
//! ```
//! use tallyman::erp::export::{self, Profiles};
//! let profiles = Profiles::builtin()?;
//! let profile = profiles.get("erp-ship-notice-rows").expect("built in");
//! let csv = "shipment_id,ship_date,line_number,sku,quantity,unit,sscc\n\
//!            SH1,2024-03-11,1,SKU-1,2,EA,000123450000000017\n\
//!            SH1,2024-03-11,2,SKU-2,1,EA,000123450000000017\n";
//! let read = export::read_csv(profile, "ship.csv", csv.as_bytes());
//! let sent = read[0].as_ref().expect("readable");
//! assert_eq!(sent.document.number(), "SH1");
//! assert_eq!(sent.rows, (2, 3));
//! # Ok::<(), export::Error>(())
//! ```

mod build;
pub mod profile;
mod sheet;
mod value;

#[cfg(any(test, feature = "internals"))]
pub use profile::Error;
pub use profile::{Col, Kind, Layout, Profile, Profiles};

use crate::model::{Document, Source};
use profile::is_line_column;
use sheet::{At, Cols, Row, Sheet};
use std::collections::HashMap;
use std::fmt;

/// A document read from an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub document: Document,
    /// The channel the export names for it (a `channel` column, or `source.channel` in JSON
    /// Lines); `None` lets the caller fall back to the sub-folder or the ledger.
    pub channel: Option<String>,
    /// The rows it was read from, first and last (1-based, as a spreadsheet shows them; for
    /// JSON Lines the line; for a header and detail pair the header file's row).
    pub rows: (u64, u64),
}

/// A document held back: it is not sent until the export is fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// Its number, when the rows say it; `None` for a row that belongs to no document.
    pub number: Option<String>,
    pub problems: Vec<Problem>,
}

/// One thing wrong with an export, named so a person can find and fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    /// 1-based row as a spreadsheet shows it (the header row counted), or the line of a JSON
    /// Lines file (see `counts`); `None` for the file as a whole.
    pub row: Option<u64>,
    /// What `row` counts.
    pub counts: Counts,
    /// Our column name (or, in JSON Lines, the field).
    pub column: Option<String>,
    /// The file's name for the column (its header, or `column 3`).
    pub header: Option<String>,
    pub value: Option<String>,
    /// What is wrong and what to do; with a value it follows the value (`'1e3' is not a
    /// decimal: ...`).
    pub message: String,
}

/// What [`Problem::row`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Counts {
    /// CSV rows as a spreadsheet shows them.
    #[default]
    Rows,
    /// Lines of a JSON Lines file.
    Lines,
}

impl Problem {
    fn file(file: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            row: None,
            counts: Counts::Rows,
            column: None,
            header: None,
            value: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        match (self.row, self.counts) {
            (Some(r), Counts::Lines) => write!(f, ", line {r}")?,
            (Some(r), _) => write!(f, ", row {r}")?,
            (None, _) => {}
        }
        match (&self.header, &self.column) {
            (Some(h), Some(c)) if h != c => write!(f, ", column {h} ({c})")?,
            (_, Some(c)) => write!(f, ", column {c}")?,
            (Some(h), None) => write!(f, ", column {h}")?,
            (None, None) => {}
        }
        match &self.value {
            Some(v) => write!(f, ": '{v}' {}", self.message),
            None => write!(f, ": {}", self.message),
        }
    }
}

impl fmt::Display for Held {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.number {
            Some(n) => write!(f, "{n} is held")?,
            None => f.write_str("a row is held")?,
        }
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// What reading an export gives: every document in file order, read or held.
pub type Read = Vec<Result<Exported, Held>>;

fn held(number: Option<String>, problem: Problem) -> Result<Exported, Held> {
    Err(Held {
        number,
        problems: vec![problem],
    })
}

/// Canonical JSON Lines, as `translate` prints documents: one `ship_notice` or `invoice` per
/// line (blank lines skipped). A line without `source` gets one (`standard: "erp"`, `set`: its
/// type, the file name and the line's byte offset). A line that cannot be read holds that
/// document only.
pub fn read_jsonl(file: &str, bytes: &[u8]) -> Read {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let at = offset;
        offset += raw.len() + 1;
        let line = (i + 1) as u64;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let problem = |column: Option<String>, message: String| Problem {
            file: file.to_string(),
            row: Some(line),
            counts: Counts::Lines,
            column,
            header: None,
            value: None,
            message,
        };
        let mut value: serde_json::Value = match serde_json::from_slice(raw) {
            Ok(v) => v,
            Err(e) => {
                let why = plain(&e);
                out.push(held(
                    None,
                    problem(
                        None,
                        format!(
                            "is not valid JSON at character {}: {why}; export one document per line",
                            e.column()
                        ),
                    ),
                ));
                continue;
            }
        };
        let number = ["shipment_id", "invoice_number", "order_number"]
            .iter()
            .find_map(|k| value.get(k).and_then(|v| v.as_str()))
            .map(String::from);
        let kind = value.get("type").and_then(|t| t.as_str()).map(String::from);
        match kind.as_deref() {
            Some("ship_notice" | "invoice") => {}
            Some(other) => {
                out.push(held(
                    number,
                    problem(
                        Some("type".into()),
                        format!("is a `{other}`: an ERP export carries ship notices and invoices only; leave it out"),
                    ),
                ));
                continue;
            }
            None => {
                out.push(held(
                    number,
                    problem(
                        Some("type".into()),
                        "has no `type`: say \"ship_notice\" or \"invoice\"".into(),
                    ),
                ));
                continue;
            }
        }
        if let Some(obj) = value.as_object_mut()
            && !obj.contains_key("source")
        {
            let source = Source {
                file: file.to_string(),
                offset: at,
                standard: "erp".into(),
                set: kind.clone().unwrap_or_default(),
                ..Source::default()
            };
            obj.insert(
                "source".into(),
                serde_json::to_value(source).expect("a source serializes"),
            );
        }
        match serde_json::from_value::<Document>(value) {
            Ok(document) => {
                let channel = document.source().channel.clone();
                out.push(Ok(Exported {
                    document,
                    channel,
                    rows: (line, line),
                }));
            }
            Err(e) => {
                let why = plain(&e);
                let field = why
                    .split('`')
                    .nth(1)
                    .filter(|_| why.contains("field"))
                    .map(String::from);
                out.push(held(
                    number,
                    problem(
                        field,
                        format!(
                            "does not read as {}: {why}; fix the export",
                            match kind.as_deref() {
                                Some("invoice") => "an invoice",
                                _ => "a ship notice",
                            }
                        ),
                    ),
                ));
            }
        }
    }
    out
}

/// serde_json's message without its own `at line L column C` (the problem says where).
fn plain(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A CSV export through a `rows` profile: one row per line, the document's header fields
/// repeated on every row and agreeing; a document's rows next to each other.
pub fn read_csv(profile: &Profile, file: &str, bytes: &[u8]) -> Read {
    if profile.layout != Layout::Rows {
        return vec![held(
            None,
            Problem::file(
                file,
                format!(
                    "profile {} reads a header file and a detail file together, not one file",
                    profile.id
                ),
            ),
        )];
    }
    let sheet = match sheet::read(profile, file, bytes) {
        Ok(s) => s,
        Err(p) => return vec![held(None, *p)],
    };
    let cols = match Cols::find(&sheet, profile.columns.iter().cloned(), &profile.optional) {
        Ok(c) => c,
        Err(p) => return vec![held(None, *p)],
    };
    let number = profile.kind.number_column();
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut by_number: HashMap<&str, usize> = HashMap::new();
    let mut current: Option<usize> = None;
    for row in &sheet.rows {
        let at = At {
            file,
            row,
            cols: &cols,
            profile,
        };
        let shape = at.shape(&sheet);
        let Some(key) = at.cell(number) else {
            let p = shape.unwrap_or_else(|| {
                at.problem(
                    number,
                    None,
                    "is empty: the row belongs to no document; export the document number on every row",
                )
            });
            items.push(Item::Lone(Held {
                number: None,
                problems: vec![p],
            }));
            continue;
        };
        let i = match (current, by_number.get(key)) {
            (Some(c), _) if items[c].number() == Some(key) => c,
            (_, Some(&i)) => {
                let (_, header) = cols.get(number).expect("mapped");
                let p = at.problem(
                    number,
                    Some(key),
                    format!(
                        "appears again at row {} after other documents: a document's rows must be next to each other; sort the export by {header}",
                        row.number
                    ),
                );
                items[i].problems().push(p);
                i
            }
            (_, None) => {
                items.push(Item::Doc(Group {
                    number: key,
                    rows: Vec::new(),
                    problems: Vec::new(),
                }));
                by_number.insert(key, items.len() - 1);
                items.len() - 1
            }
        };
        current = Some(i);
        match shape {
            Some(p) => items[i].problems().push(p),
            None => {
                if let Item::Doc(g) = &mut items[i] {
                    g.rows.push(row);
                }
            }
        }
    }
    let header_cols: Vec<&'static str> = profile
        .columns
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !is_line_column(n))
        .collect();
    items
        .into_iter()
        .map(|item| match item {
            Item::Lone(h) => Err(h),
            Item::Doc(mut g) => {
                let ats: Vec<At<'_>> = g
                    .rows
                    .iter()
                    .map(|row| At {
                        file,
                        row,
                        cols: &cols,
                        profile,
                    })
                    .collect();
                if let Some(first) = ats.first() {
                    for at in &ats[1..] {
                        for c in &header_cols {
                            if at.cell(c) != first.cell(c) {
                                g.problems.push(at.problem(
                                    c,
                                    Some(at.cell(c).unwrap_or("")),
                                    format!(
                                        "disagrees with the document's first row {} ('{}'): header fields must be the same on every row of a document",
                                        first.row.number,
                                        first.cell(c).unwrap_or("")
                                    ),
                                ));
                            }
                        }
                    }
                }
                let rows = match (g.rows.first(), g.rows.last()) {
                    (Some(a), Some(b)) => (a.number, b.number),
                    _ => (0, 0),
                };
                finish(profile.kind, g.number, ats.first().copied(), &ats, g.problems, rows)
            }
        })
        .collect()
}

/// The rows of one document (layout `rows`).
struct Group<'s> {
    number: &'s str,
    rows: Vec<&'s Row>,
    problems: Vec<Problem>,
}

enum Item<'s> {
    Doc(Group<'s>),
    Lone(Held),
}

impl Item<'_> {
    fn number(&self) -> Option<&str> {
        match self {
            Item::Doc(g) => Some(g.number),
            Item::Lone(_) => None,
        }
    }

    fn problems(&mut self) -> &mut Vec<Problem> {
        match self {
            Item::Doc(g) => &mut g.problems,
            Item::Lone(h) => &mut h.problems,
        }
    }
}

fn finish(
    kind: Kind,
    number: &str,
    head: Option<At<'_>>,
    lines: &[At<'_>],
    mut problems: Vec<Problem>,
    rows: (u64, u64),
) -> Result<Exported, Held> {
    let doc = head.and_then(|h| build::document(kind, h, lines, &mut problems));
    match doc {
        Some(document) if problems.is_empty() => Ok(Exported {
            channel: document.source().channel.clone(),
            document,
            rows,
        }),
        _ => Err(Held {
            number: Some(number.to_string()),
            problems,
        }),
    }
}

/// A header file (one row per document, the document's columns) and a detail file (one row per
/// line, the line columns) through a `header_detail` profile, linked by the profile's
/// `header_key` and `detail_key`. Detail rows of a document need not be adjacent; a detail row
/// whose key names no header row is held on its own.
pub fn read_header_detail(profile: &Profile, header: (&str, &[u8]), detail: (&str, &[u8])) -> Read {
    let (hfile, dfile) = (header.0, detail.0);
    let (Some(hkey), Some(dkey)) = (&profile.header_key, &profile.detail_key) else {
        return vec![held(
            None,
            Problem::file(
                hfile,
                format!(
                    "profile {} reads one file with a row per line, not a header and a detail file",
                    profile.id
                ),
            ),
        )];
    };
    let sheets = sheet::read(profile, hfile, header.1)
        .and_then(|h| sheet::read(profile, dfile, detail.1).map(|d| (h, d)));
    let (hs, ds): (Sheet, Sheet) = match sheets {
        Ok(s) => s,
        Err(p) => return vec![held(None, *p)],
    };
    let split = |line: bool, key: (&'static str, Col)| {
        let mut v: Vec<(&'static str, Col)> = profile
            .columns
            .iter()
            .filter(|(n, _)| is_line_column(n) == line)
            .cloned()
            .collect();
        v.push(key);
        v
    };
    let hcols = Cols::find(
        &hs,
        split(false, ("header_key", hkey.clone())),
        &profile.optional,
    );
    let dcols = Cols::find(
        &ds,
        split(true, ("detail_key", dkey.clone())),
        &profile.optional,
    );
    let (hcols, dcols) = match (hcols, dcols) {
        (Ok(h), Ok(d)) => (h, d),
        (Err(p), _) | (_, Err(p)) => return vec![held(None, *p)],
    };
    let at = |row, cols, file| At {
        file,
        row,
        cols,
        profile,
    };
    // One entry per header row: its key, the row, its detail rows, its problems.
    let mut docs: Vec<(&str, At<'_>, Vec<At<'_>>, Vec<Problem>)> = Vec::new();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    let mut lone = Vec::new();
    for row in &hs.rows {
        let h = at(row, &hcols, hfile);
        let shape = h.shape(&hs);
        let Some(key) = h.cell("header_key") else {
            lone.push(Err(Held {
                number: None,
                problems: vec![shape.unwrap_or_else(|| {
                    h.problem(
                        "header_key",
                        None,
                        "is empty: a header row needs its key; export it",
                    )
                })],
            }));
            continue;
        };
        if let Some(&i) = by_key.get(key) {
            let p = h.problem(
                "header_key",
                Some(key),
                format!(
                    "is the key of header row {} too: one header row per document; remove the duplicate",
                    docs[i].1.row.number
                ),
            );
            docs[i].3.push(p);
            continue;
        }
        by_key.insert(key, docs.len());
        docs.push((key, h, Vec::new(), shape.into_iter().collect()));
    }
    for row in &ds.rows {
        let d = at(row, &dcols, dfile);
        let shape = d.shape(&ds);
        match d.cell("detail_key").and_then(|k| by_key.get(k)) {
            Some(&i) => match shape {
                Some(p) => docs[i].3.push(p),
                None => docs[i].2.push(d),
            },
            None => lone.push(Err(Held {
                number: None,
                problems: vec![shape.unwrap_or_else(|| {
                    d.problem(
                        "detail_key",
                        d.cell("detail_key"),
                        format!(
                            "names no row of the header file {hfile}: export the document's header row, or leave the line out"
                        ),
                    )
                })],
            })),
        }
    }
    let mut out: Read = docs
        .into_iter()
        .map(|(key, h, lines, problems)| {
            let rows = (h.row.number, h.row.number);
            let number = h.cell(profile.kind.number_column()).unwrap_or(key);
            finish(profile.kind, number, Some(h), &lines, problems, rows)
        })
        .collect();
    out.extend(lone);
    out
}
