//! An export file as rows: decoded (BOM, UTF-16, Windows-1252 as the feeds decode them), split
//! by the csv crate, each row numbered as a spreadsheet shows it, and the profile's columns
//! found in it.

use super::profile::{Col, Profile};
use super::value;
use super::{Counts, Problem};
use crate::feeds::encoding;

/// One row of a file.
pub(crate) struct Row {
    /// 1-based, as a spreadsheet shows it: the header row and blank lines counted, a quoted cell
    /// with line breaks one row.
    pub number: u64,
    /// Byte offset of the row in the decoded text.
    pub offset: usize,
    pub fields: csv::StringRecord,
}

/// A whole file, read.
pub(crate) struct Sheet {
    pub file: String,
    /// The trimmed header names, when the profile says there is a header row.
    pub headers: Option<Vec<String>>,
    /// Row number of the header row.
    pub header_row: u64,
    pub rows: Vec<Row>,
}

/// Reads a file into rows; Err when not even the header row can be read.
pub(crate) fn read(profile: &Profile, file: &str, bytes: &[u8]) -> Result<Sheet, Box<Problem>> {
    let enc = encoding::sniff(bytes);
    let (text, _) = enc.decode_with_bom_removal(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(profile.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut rec = csv::StringRecord::new();
    // Lines taken by line breaks inside quoted cells so far: a spreadsheet shows such a record
    // as one row, so they come off the line number.
    let mut inner_lines = 0;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let pos = rec.position().expect("a read record has a position");
                let number = pos.line() - inner_lines;
                inner_lines += rec
                    .iter()
                    .map(|f| f.matches('\n').count() as u64)
                    .sum::<u64>();
                rows.push(Row {
                    number,
                    offset: pos.byte() as usize,
                    fields: rec.clone(),
                });
            }
            // The text is decoded already, so this is not an encoding error; stop at it.
            Err(e) => {
                let row = e.position().map(|p| p.line() - inner_lines);
                return Err(Box::new(Problem {
                    file: file.to_string(),
                    row,
                    counts: Counts::Rows,
                    column: None,
                    header: None,
                    value: None,
                    message: format!("the file cannot be read as CSV from here on: {e}"),
                }));
            }
        }
    }
    let (headers, header_row) = if profile.header {
        if rows.is_empty() {
            return Err(Box::new(Problem::file(
                file,
                "the file is empty: it has no header row",
            )));
        }
        let h = rows.remove(0);
        let names = h.fields.iter().map(|n| n.trim().to_string()).collect();
        (Some(names), h.number)
    } else {
        (None, 0)
    };
    Ok(Sheet {
        file: file.to_string(),
        headers,
        header_row,
        rows,
    })
}

/// Our columns found in one file: name, field index, the file's name for it.
pub(crate) struct Cols {
    at: Vec<(&'static str, usize, String)>,
}

impl Cols {
    /// Finds `wanted` (our name, where the profile says it is) in the sheet's header row, or by
    /// position; Err names every column the header row lacks.
    pub fn find(
        sheet: &Sheet,
        wanted: impl IntoIterator<Item = (&'static str, Col)>,
        optional: &[&str],
    ) -> Result<Cols, Box<Problem>> {
        let mut at = Vec::new();
        let mut missing = Vec::new();
        for (ours, col) in wanted {
            match (&col, &sheet.headers) {
                (Col::Name(n), Some(h)) => match h.iter().position(|x| x == n) {
                    Some(i) => at.push((ours, i, n.clone())),
                    None if optional.contains(&ours) => {}
                    None => missing.push(format!("`{n}` ({ours})")),
                },
                (Col::Position(p), _) => at.push((ours, p - 1, col.to_string())),
                // The profile's check makes names and header rows go together.
                (Col::Name(n), None) => missing.push(format!("`{n}` ({ours})")),
            }
        }
        if missing.is_empty() {
            Ok(Cols { at })
        } else {
            Err(Box::new(Problem {
                file: sheet.file.clone(),
                row: Some(sheet.header_row),
                counts: Counts::Rows,
                column: None,
                header: None,
                value: None,
                message: format!(
                    "the header row has no column {}: export it, or fix the profile's `[columns]`",
                    missing.join(", ")
                ),
            }))
        }
    }

    /// The field index and file name of our column.
    pub fn get(&self, ours: &str) -> Option<(usize, &str)> {
        self.at
            .iter()
            .find(|(n, _, _)| *n == ours)
            .map(|(_, i, h)| (*i, h.as_str()))
    }

    /// The highest field index read.
    pub fn widest(&self) -> usize {
        self.at.iter().map(|(_, i, _)| *i).max().unwrap_or(0)
    }
}

/// The value of one row's cell under our column name, for the builders.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub file: &'a str,
    pub row: &'a Row,
    pub cols: &'a Cols,
    pub profile: &'a Profile,
}

impl<'a> At<'a> {
    /// The raw cell (trimmed, the formula guard taken off); `None` when unmapped or empty.
    pub fn cell(&self, ours: &str) -> Option<&'a str> {
        let (i, _) = self.cols.get(ours)?;
        self.row.fields.get(i).and_then(value::text)
    }

    pub fn problem(&self, ours: &str, value: Option<&str>, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.to_string(),
            row: Some(self.row.number),
            counts: Counts::Rows,
            column: Some(ours.to_string()),
            header: self.cols.get(ours).map(|(_, h)| h.to_string()),
            value: value.map(String::from),
            message: message.into(),
        }
    }

    /// A text value; a control character in it is a problem.
    pub fn text(&self, ours: &str, problems: &mut Vec<Problem>) -> Option<String> {
        let v = self.cell(ours)?;
        match value::control(v) {
            Some(c) => {
                problems.push(self.problem(
                    ours,
                    Some(v),
                    format!(
                        "holds the control character U+{:04X}: remove it in the ERP",
                        c as u32
                    ),
                ));
                None
            }
            None => Some(v.to_string()),
        }
    }

    /// A value read by `read`; what it refuses is a problem naming the cell.
    pub fn parse<T>(
        &self,
        ours: &str,
        problems: &mut Vec<Problem>,
        read: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.cell(ours)?;
        match read(v) {
            Ok(x) => Some(x),
            Err(why) => {
                problems.push(self.problem(ours, Some(v), why));
                None
            }
        }
    }

    pub fn decimal(
        &self,
        ours: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<rust_decimal::Decimal> {
        let mark = self.profile.decimal_mark;
        self.parse(ours, problems, |v| value::decimal(v, mark))
    }

    pub fn date(&self, ours: &str, problems: &mut Vec<Problem>) -> Option<jiff::civil::Date> {
        self.parse(ours, problems, |v| {
            value::date(v, &self.profile.date_formats)
        })
    }

    /// Whether the row has fewer fields than the columns read need, or (with a header row) a
    /// different count than the header: a delimiter missing or a quote left open.
    pub fn shape(&self, sheet: &Sheet) -> Option<Problem> {
        let n = self.row.fields.len();
        let message = match &sheet.headers {
            Some(h) if n != h.len() => format!(
                "the row has {n} fields and the header row {}: a delimiter missing or a quote left open; fix the export",
                h.len()
            ),
            None if n <= self.cols.widest() => format!(
                "the row has {n} fields and the profile reads column {}: fix the export or the profile",
                self.cols.widest() + 1
            ),
            _ => return None,
        };
        Some(Problem {
            file: self.file.to_string(),
            row: Some(self.row.number),
            counts: Counts::Rows,
            column: None,
            header: None,
            value: None,
            message,
        })
    }
}
