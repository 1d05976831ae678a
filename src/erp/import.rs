//! Flat-CSV ERP import files: one row per document line.
//!
//! Phase: output. After translation (and business rules) the pipeline writes each accepted
//! document into the ERP import file of its kind. This module writes the flat flavour: one row per
//! line, the document's header fields repeated on every row, columns chosen in the configuration
//! from [`known_columns`](super::known_columns). A document without lines still gets one row, its line columns empty, so
//! no document silently disappears from the import.
//!
//! ```
//! use tallyman::model::Document;
//! use tallyman::erp::{self, import};
//! let json = r#"{"type":"order","order_number":"PO1","order_date":"2024-03-11",
//!   "purpose":"original","source":{"standard":"x12","set":"850"},
//!   "lines":[{"line_number":"1","quantity":"2","unit_price":"-12.50","description":"=1+1"}]}"#;
//! let doc: Document = serde_json::from_str(json)?;
//! let columns = ["order_number", "order_date", "quantity", "unit_price", "description"];
//! let columns: Vec<String> = columns.map(String::from).to_vec();
//! erp::check_columns(doc.kind(), &columns).map_err(std::io::Error::other)?;
//! let mut out = Vec::new();
//! import::write_header(&mut out, &columns);
//! import::write_document(&mut out, &doc, &columns)?;
//! let out = String::from_utf8(out)?;
//! assert_eq!(out.lines().next(), Some("order_number,order_date,quantity,unit_price,description"));
//! assert_eq!(out.lines().nth(1), Some("PO1,2024-03-11,2,-12.50,'=1+1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Values: decimals by `rust_decimal`'s own `to_string` (never through a float, scale kept),
//! dates `YYYY-MM-DD` and times `HH:MM:SS` (jiff's ISO 8601 display), booleans `true`/`false`,
//! missing values empty. Lists are joined: address lines with `", "`, order references and tracking
//! numbers with a space. Party columns (`<role>_name`, `_id`, `_address`, `_city`, `_region`,
//! `_postal_code`, `_country` for buyer, seller, ship_to, bill_to, ship_from, remit_to) take the
//! first party of that role and, for `_id`, its first identifier; the qualifier is left out
//! because ERP imports key on the bare number. `line_amount` is quantity × unit price, empty
//! when there is no price. `line_count` counts the lines of the document (what the rows add up
//! to), not the count the sender stated.
//!
//! Formula injection (OWASP "CSV injection"): every data cell starting with `=`, `+`, `-`, `@`, a
//! tab or a carriage return gets a leading `'`, so a spreadsheet opening the file shows text
//! instead of running a formula. A cell that is entirely a plain decimal number (`-12.50`, `+3`)
//! is left alone, so credit amounts stay numbers in the ERP. The header row is not neutralised:
//! it holds only our own column names, checked by [`check_columns`].
//!
//! Output is deterministic: rows in line order, cells from the document alone, no clock or map
//! iteration order involved.

#[cfg(any(test, feature = "internals"))]
use super::columns::check_columns;
use super::columns::{Line, LineColumn, header_cell, line_value, package_of, party_cell};
use crate::model::{Document, Party};

/// Appends the header row (the column names as configured).
pub fn write_header(out: &mut Vec<u8>, columns: &[String]) {
    let mut row = Row::start(out);
    for c in columns {
        row.field(c.as_bytes());
    }
    row.end();
}

/// Appends one row per line of `doc` (one row if it has no lines).
///
/// Columns are checked against the document's kind first, so an unchecked configuration fails
/// with the [`check_columns`] message (as an `InvalidInput` I/O error) instead of writing blanks.
#[cfg(any(test, feature = "internals"))]
pub fn write_document(
    out: &mut Vec<u8>,
    doc: &Document,
    columns: &[String],
) -> std::io::Result<()> {
    check_columns(doc.kind(), columns)
        .map_err(|m| std::io::Error::new(std::io::ErrorKind::InvalidInput, m))?;
    write_rows(out, doc, columns);
    Ok(())
}

/// [`write_document`] for columns checked already (the run's configuration checks them when it
/// loads): a column that does not exist would be left blank.
///
/// Header and party cells are the same on every row of a document, so they are found and
/// written as CSV once (commas, quotes and the formula guard included), and each row copies
/// that text between its line cells: a row costs its line columns, whatever the number of
/// header columns.
pub(crate) fn write_rows(out: &mut Vec<u8>, doc: &Document, columns: &[String]) {
    let Some((lines, parties)) = rows_of(doc) else {
        return;
    };
    // The row as pieces: runs of fixed cells rendered into `fixed`, and line columns (resolved
    // from their names once per document, not on every row).
    let mut fixed = Vec::new();
    let mut pieces: Vec<Piece> = Vec::with_capacity(columns.len());
    {
        let mut row = Row::start(&mut fixed);
        for c in columns {
            // A header or party cell, else a line column; a name that is neither (the run's
            // configuration refuses those) is an empty cell.
            let line_column = match header_cell(doc, c).or_else(|| party_cell(parties, c)) {
                Some(v) => Err(v),
                None => LineColumn::named(c).ok_or(None),
            };
            match line_column {
                Ok(col) => {
                    pieces.push(Piece::Line(col, row.fields > 0));
                    // Only counted: the line's value is written row by row.
                    row.fields += 1;
                }
                Err(v) => {
                    let from = row.out.len();
                    row.cell(v.as_deref().map_or(b"", str::as_bytes));
                    match pieces.last_mut() {
                        Some(Piece::Fixed(r)) => r.end = row.out.len(),
                        _ => pieces.push(Piece::Fixed(from..row.out.len())),
                    }
                }
            }
        }
    }
    let mut scratch = Vec::new();
    for line in lines {
        let mut row = Row::start(out);
        for piece in &pieces {
            match piece {
                Piece::Fixed(r) => row.out.extend_from_slice(&fixed[r.clone()]),
                Piece::Line(col, comma) => {
                    if *comma {
                        row.out.push(b',');
                    }
                    // A line-less document's single row leaves its line columns empty.
                    let v = line.and_then(|l| line_value(l, *col, &mut scratch));
                    row.value(v.unwrap_or_default());
                }
            }
        }
        row.end();
    }
}

/// The lines a document's rows are written for (one `None` for a document without lines) and
/// its parties; `None` for an acknowledgment, which is never an ERP import row (it answers
/// what we sent, and the run records it for the outbound side).
fn rows_of(doc: &Document) -> Option<(Vec<Option<Line<'_>>>, &[Party])> {
    let (mut lines, parties): (Vec<Option<Line>>, _) = match doc {
        Document::Order(o) => (
            o.lines.iter().map(|l| Some(Line::Order(l))).collect(),
            &o.parties,
        ),
        Document::ShipNotice(s) => (
            (s.lines.iter())
                .map(|l| Some(Line::Ship(l, package_of(s, l))))
                .collect(),
            &s.parties,
        ),
        Document::Invoice(i) => (
            i.lines.iter().map(|l| Some(Line::Invoice(l))).collect(),
            &i.parties,
        ),
        Document::Acknowledgment(_) => return None,
    };
    if lines.is_empty() {
        lines.push(None);
    }
    Some((lines, parties))
}

/// A part of a document's rows: fixed cells already written as CSV (in the document's `fixed`
/// text, with the commas before them), or a line column with whether a comma goes before it.
enum Piece {
    Fixed(std::ops::Range<usize>),
    Line(LineColumn, bool),
}

/// One CSV record being appended, written as the `csv` crate's default writer writes it (the
/// proptest below holds the two to the same bytes): fields separated by commas, a field quoted
/// when it holds a comma, a quote, a carriage return or a line feed, a quote inside it doubled;
/// the record ends with a line feed, and a record of one empty field is written `""` so that it
/// is not an empty line.
struct Row<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    fields: usize,
}

/// The bytes that make a field quoted.
const QUOTED: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\r' as usize] = true;
    t[b'\n' as usize] = true;
    t
};

impl<'o> Row<'o> {
    fn start(out: &'o mut Vec<u8>) -> Self {
        let start = out.len();
        Row {
            out,
            start,
            fields: 0,
        }
    }

    /// Appends a data cell as one field: with a leading `'` when it could be read as a
    /// formula ([`is_risky`]).
    fn cell(&mut self, v: &[u8]) {
        if self.fields > 0 {
            self.out.push(b',');
        }
        self.fields += 1;
        self.value(v);
    }

    /// Appends a data cell's text, guarded and quoted as needed, after its comma.
    #[inline]
    fn value(&mut self, v: &[u8]) {
        let prefix: &[u8] = if is_risky(v) { b"'" } else { b"" };
        self.text(prefix, v);
    }

    /// Appends `prefix` and `v` as one field, quoted when `v` needs it (`prefix` holds no byte
    /// that needs quoting). A fold over a table, without a branch per byte: values are short.
    #[inline]
    fn text(&mut self, prefix: &[u8], v: &[u8]) {
        if !v.iter().fold(false, |q, &b| q | QUOTED[usize::from(b)]) {
            self.out.extend_from_slice(prefix);
            self.out.extend_from_slice(v);
            return;
        }
        self.out.push(b'"');
        self.out.extend_from_slice(prefix);
        for (i, part) in v.split(|&b| b == b'"').enumerate() {
            if i > 0 {
                self.out.extend_from_slice(b"\"\"");
            }
            self.out.extend_from_slice(part);
        }
        self.out.push(b'"');
    }

    /// Appends `v` as one field, unguarded (the header row's column names).
    fn field(&mut self, v: &[u8]) {
        if self.fields > 0 {
            self.out.push(b',');
        }
        self.fields += 1;
        self.text(b"", v);
    }

    fn end(self) {
        if self.out.len() == self.start {
            self.out.extend_from_slice(b"\"\"");
        }
        self.out.push(b'\n');
    }
}

/// Neutralises a cell against spreadsheet formula injection: a leading `'` when it starts with
/// `=`, `+`, `-`, `@`, tab or carriage return, unless the whole cell is a plain decimal number.
/// The rows get the same treatment as they are written.
#[cfg(any(test, feature = "internals"))]
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if is_risky(cell.as_bytes()) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn is_risky(cell: &[u8]) -> bool {
    matches!(
        cell.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    ) && !is_plain_number(cell)
}

/// `[+-]?digits(.digits)?`: what a spreadsheet reads as a number and nothing else.
fn is_plain_number(s: &[u8]) -> bool {
    let s = s.strip_prefix(b"-").or(s.strip_prefix(b"+")).unwrap_or(s);
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(dot) => (&s[..dot], &s[dot + 1..]),
        None => (s, &b"0"[..]),
    };
    let digits = |p: &[u8]| !p.is_empty() && p.iter().all(u8::is_ascii_digit);
    digits(int) && digits(frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erp::columns::{default_columns, known_columns};
    use crate::map::Status;

    fn owned(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|c| c.to_string()).collect()
    }

    fn doc(json: &str) -> Document {
        serde_json::from_str(json).expect("test document is valid JSON")
    }

    /// The data rows `doc` writes under `cols` (whitespace-separated), as raw CSV text.
    fn rows(doc: &Document, cols: &str) -> Vec<String> {
        let cols: Vec<String> = cols.split_whitespace().map(String::from).collect();
        let mut out = Vec::new();
        write_header(&mut out, &cols);
        write_document(&mut out, doc, &cols).expect("rows");
        let out = String::from_utf8(out).expect("utf-8");
        out.lines().skip(1).map(String::from).collect()
    }

    /// The rows of `d` under `cols` as the `csv` crate writes each cell worked out on its own
    /// (header, party or line value, guarded by `neutralise`): what `write_rows`, which
    /// writes a document's header and party cells once for all its rows, is held to.
    fn reference_rows(d: &Document, cols: &[String]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        let Some((lines, parties)) = rows_of(d) else {
            return Vec::new();
        };
        let mut scratch = Vec::new();
        for line in lines {
            let record: Vec<String> = (cols.iter())
                .map(|c| {
                    let v = match header_cell(d, c).or_else(|| party_cell(parties, c)) {
                        Some(v) => v.map(|v| v.into_owned()).unwrap_or_default(),
                        None => (line.zip(LineColumn::named(c)))
                            .and_then(|(l, col)| line_value(l, col, &mut scratch))
                            .map(|v| String::from_utf8(v.to_vec()).expect("utf-8"))
                            .unwrap_or_default(),
                    };
                    neutralise(&v).into_owned()
                })
                .collect();
            w.write_record(&record).expect("csv record");
        }
        w.into_inner().expect("csv bytes")
    }

    /// `write_document`'s bytes for `d` under its default columns, every known column, and
    /// every known column in reverse, each held to [`reference_rows`].
    fn check_against_reference(d: &Document) {
        let known = owned(known_columns(d.kind()));
        let reversed: Vec<String> = known.iter().rev().cloned().collect();
        for cols in [owned(default_columns(d.kind())), known, reversed] {
            let mut out = Vec::new();
            write_document(&mut out, d, &cols).expect("rows");
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&reference_rows(d, &cols)),
                "{} under {cols:?}",
                d.number()
            );
        }
    }

    const SRC: &str = r#""source":{"standard":"x12","set":"850","channel":"acme","file":"in.edi"}"#;

    fn two_line_order() -> Document {
        doc(&format!(
            r#"{{"type":"order","order_number":"PO7","order_date":"2024-03-11","purpose":"original",
            "parties":[{{"role":"ship_to","role_code":"ST","name":"DC 7",
              "address":{{"lines":["88 Logistics Pkwy","Dock 12"],"city":"Grover"}}}}],
            "lines":[{{"line_number":"1","quantity":"10","unit_price":"1.25",
                       "item_ids":{{"sku":"A-1"}},"description":"Widget, \"large\""}},
                     {{"line_number":"2","quantity":"3","description":"@evil"}}],
            {SRC}}}"#
        ))
    }

    #[test]
    fn defaults_are_known_and_unique() {
        for kind in ["order", "ship_notice", "invoice"] {
            assert!(!default_columns(kind).is_empty(), "{kind}");
            assert_eq!(check_columns(kind, &owned(default_columns(kind))), Ok(()));
            assert_eq!(check_columns(kind, &owned(known_columns(kind))), Ok(()));
        }
        assert!(known_columns("catalog").is_empty());
    }

    #[test]
    fn check_columns_names_the_unknown_column() {
        let cols = owned(&["order_number", "shipment_id", "bogus"]);
        let err = check_columns("order", &cols).expect_err("shipment_id is not an order column");
        assert!(err.contains("`shipment_id`"), "{err}");
        assert!(err.contains("order_number, order_date"), "{err}");
        assert!(check_columns("order", &owned(&["sku", "sku"])).is_err());
        assert!(check_columns("order", &[]).is_err());
        assert!(check_columns("catalog", &owned(&["sku"])).is_err());
        // write_document refuses rather than writing blanks.
        assert!(write_document(&mut Vec::new(), &two_line_order(), &owned(&["bogus"])).is_err());
    }

    /// Header fields repeat on each line's row; commas and quotes are quoted by csv.
    #[test]
    fn order_lines_repeat_the_header_fields() {
        let cols = "channel order_number order_date ship_to_address line_number line_amount sku
            description";
        let head = r#"acme,PO7,2024-03-11,"88 Logistics Pkwy, Dock 12""#;
        let expected = [
            format!(r#"{head},1,12.50,A-1,"Widget, ""large""""#),
            format!("{head},2,,,'@evil"),
        ];
        assert_eq!(rows(&two_line_order(), cols), expected);
        check_against_reference(&two_line_order());
    }

    /// Header and party cells, written once per document, are guarded and quoted as the line
    /// cells are, on every row.
    #[test]
    fn header_cells_are_guarded_and_quoted_on_every_row() {
        let d = doc(&format!(
            r#"{{"type":"order","order_number":"=PO,1","purpose":"original",
            "parties":[{{"role":"ship_to","role_code":"ST","name":"@DC \"7\""}}],
            "lines":[{{"line_number":"1","quantity":"-2"}},{{"line_number":"2","quantity":"3"}}],
            {SRC}}}"#
        ));
        let cols = "order_number line_number ship_to_name quantity channel";
        let expected = [
            r#""'=PO,1",1,"'@DC ""7""",-2,acme"#,
            r#""'=PO,1",2,"'@DC ""7""",3,acme"#,
        ];
        assert_eq!(rows(&d, cols), expected);
        check_against_reference(&d);
    }

    #[test]
    fn a_document_without_lines_gives_one_row() {
        let d = doc(&format!(
            r#"{{"type":"invoice","invoice_number":"INV9","purpose":"original","lines":[],{SRC}}}"#
        ));
        let cols = "invoice_number line_count line_number quantity test";
        assert_eq!(rows(&d, cols), ["INV9,0,,,false"]);
        check_against_reference(&d);
    }

    #[test]
    fn neutralise_cases() {
        for risky in [
            "=SUM(A1)", "+1a", "-2+3", "@x", "\tx", "\rx", "-", "-12.", "--1",
        ] {
            assert_eq!(neutralise(risky), format!("'{risky}"));
        }
        for safe in ["+1", "-12.50", "12", "0.5", "a = b", "a-b", ""] {
            assert!(
                matches!(neutralise(safe), std::borrow::Cow::Borrowed(c) if c == safe),
                "{safe:?}"
            );
        }
    }

    #[test]
    fn ship_rows_carry_their_package_sscc() {
        // Line 1 names its pack's SSCC; line 2 sits in a pack sent with no SSCC, found by number.
        let d = doc(
            r#"{"type":"ship_notice","shipment_id":"SHP1","purpose":"original",
            "packages":[{"sscc":"00006141410000044719","level":"tare"},
              {"sscc":"00106141410000044716","level":"pack","parent":"00006141410000044719",
               "lines":["1"]},
              {"level":"pack","tracking_number":"1Z999","lines":["2"]}],
            "lines":[{"line_number":"1","quantity":"4","package":"00106141410000044716"},
                     {"line_number":"2","quantity":"1"}],
            "source":{"standard":"x12","set":"856"}}"#,
        );
        let cols = "line_number sscc pallet_sscc package_tracking_number";
        let expected = ["1,00106141410000044716,00006141410000044719,", "2,,,1Z999"];
        assert_eq!(rows(&d, cols), expected);
        check_against_reference(&d);
    }

    /// Every known column is really filled from the model: a fully populated document of each kind
    /// leaves no cell empty (no value below holds a comma, so `,,` means an empty cell).
    #[test]
    fn every_known_column_is_filled() {
        let party = |role: &str| {
            format!(
                r#"{{"role":"{role}","role_code":"X","name":"N",
                "ids":[{{"qualifier":"92","id":"1"}}],"address":{{"lines":["a"],"city":"c",
                "region":"r","postal_code":"p","country":"US"}}}}"#
            )
        };
        let roles = "buyer seller ship_to bill_to ship_from remit_to".split_whitespace();
        let parties = roles.map(party).collect::<Vec<_>>().join(",");
        let source = r#""source":{"file":"f","offset":7,"standard":"x12","version":"004010",
            "set":"850","sender":{"qualifier":"ZZ","id":"S"},"receiver":{"qualifier":"ZZ","id":"R"},
            "interchange_control":"1","group_control":"2","transaction_control":"3",
            "channel":"c","test":true}"#;
        let ids = r#""item_ids":{"gtin":"1","upc":"2","ean":"3","isbn":"4","buyer_part":"5",
            "vendor_part":"6","sku":"7"},"description":"d","unit":"EA""#;
        let terms = r#""terms":{"code":"01","discount_percent":"2","discount_days":10,
            "net_days":30,"description":"2% 10 net 30"}"#;
        let docs = [
            format!(
                r#"{{"type":"order","order_number":"PO","order_date":"2024-01-02",
                "purpose":"change","order_type":"SA","currency":"USD",
                "totals":{{"amount":"9.99"}},{terms},"parties":[{parties}],{source},
                "lines":[{{"line_number":"1","quantity":"1","unit_price":"9.99",
                  "price_basis":"PE",{ids}}}]}}"#
            ),
            format!(
                r#"{{"type":"ship_notice","shipment_id":"S","ship_date":"2024-01-02",
                "ship_time":"14:30:00","purpose":"original","order_refs":["PO"],
                "carrier":{{"scac":"TLYF","name":"T","mode":"M","service_level":"ND"}},
                "tracking_numbers":["1Z"],"bill_of_lading":"BOL","parties":[{parties}],{source},
                "packages":[{{"sscc":"P1","level":"pack","parent":"T1","tracking_number":"1Z1"}}],
                "lines":[{{"line_number":"1","order_number":"PO","quantity":"1",
                  "quantity_ordered":"2","package":"P1",{ids}}}]}}"#
            ),
            format!(
                r#"{{"type":"invoice","invoice_number":"I","invoice_date":"2024-01-02",
                "purpose":"original","invoice_type":"DI","order_number":"PO",
                "order_date":"2024-01-01","currency":"USD","total_amount":"9.99",{terms},
                "parties":[{parties}],{source},
                "lines":[{{"line_number":"1","quantity":"1","unit_price":"9.99",{ids}}}]}}"#
            ),
        ];
        for json in docs {
            let d = doc(&json);
            let known = known_columns(d.kind());
            let row = &rows(&d, &known.join(" "))[0];
            assert_eq!(row.split(',').count(), known.len(), "{row}");
            assert!(!row.contains(",,") && !row.ends_with(','), "{row}");
            check_against_reference(&d);
        }
    }

    /// Every sample translates, and each accepted document writes one row per line (one when it
    /// has none), the same bytes every time.
    #[test]
    fn samples_write_one_row_per_line() {
        let grammars = crate::grammar::GrammarSet::builtin().expect("builtin grammars");
        let profiles = crate::feeds::Profiles::builtin().expect("builtin profiles");
        let opts = crate::map::Options::default();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut files: Vec<_> = ["x12", "edifact", "feeds"]
            .iter()
            .flat_map(|d| std::fs::read_dir(root.join(d)).expect("samples directory"))
            .map(|e| e.expect("directory entry").path())
            .collect();
        files.sort();
        let mut kinds = std::collections::BTreeSet::new();
        for path in files {
            let file = std::fs::File::open(&path).expect("sample opens");
            let mut docs = Vec::new();
            crate::translate::translate(file, &grammars, &profiles, &opts, |o| {
                if o.status == Status::Accepted {
                    docs.extend(o.document.clone());
                }
                Ok(())
            })
            .expect("sample translates");
            assert!(!docs.is_empty(), "{} gave no document", path.display());
            for d in &docs {
                kinds.insert(d.kind());
                let cols = owned(default_columns(d.kind()));
                let write = || {
                    let mut out = Vec::new();
                    write_document(&mut out, d, &cols).expect("rows");
                    out
                };
                let bytes = write();
                assert_eq!(bytes, write(), "{} not deterministic", path.display());
                let mut r = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(&bytes[..]);
                let n = r.records().collect::<Result<Vec<_>, _>>().expect("records");
                let at = format!("{} {}", path.display(), d.number());
                assert_eq!(n.len(), d.line_count().max(1), "{at}");
                check_against_reference(d);
            }
        }
        assert_eq!(kinds.len(), 3, "samples cover every kind: {kinds:?}");
    }

    /// Our rows are byte for byte what the `csv` crate's default writer makes of the same
    /// fields, quoting and all.
    #[test]
    fn rows_are_what_the_csv_crate_writes() {
        use proptest::prelude::*;
        let byte = prop::sample::select(vec![b'a', b' ', b',', b'"', b'\r', b'\n', b'\'', b'=']);
        let field = prop::collection::vec(byte, 0..6);
        proptest!(|(records in prop::collection::vec(prop::collection::vec(field, 1..5), 1..4))| {
            let mut ours = Vec::new();
            let mut theirs = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for fields in &records {
                let mut row = Row::start(&mut ours);
                for f in fields {
                    row.field(f);
                }
                row.end();
                theirs.write_record(fields).unwrap();
            }
            prop_assert_eq!(ours, theirs.into_inner().unwrap());
        });
    }
}
