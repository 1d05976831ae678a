//! ERP export profiles: which columns of an ERP's shipment or invoice export hold which of our
//! column names ([`crate::erp::known_columns`]), and how the file is laid out.
//!
//! Profiles are TOML, loaded from contents (the built-in ones are in `exports/`); reading a
//! directory of overrides is the caller's business. Everything that can be checked without a
//! file is checked at load time, and a refusal names the profile file's line and key. See
//! `exports/README.md` for the format.

use crate::diag::line_of;
use crate::erp::known_columns;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// Profiles compiled into the binary.
const BUILTIN: &[(&str, &str)] = &[
    (
        "exports/erp-ship-notice-rows.toml",
        include_str!("../../../exports/erp-ship-notice-rows.toml"),
    ),
    (
        "exports/erp-invoice-header-detail.toml",
        include_str!("../../../exports/erp-invoice-header-detail.toml"),
    ),
    (
        "exports/erp-ship-notice-positional.toml",
        include_str!("../../../exports/erp-ship-notice-positional.toml"),
    ),
];

/// A profile file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is not TOML, or not of the profile format (an unknown key, a wrong type); `line`
    /// is where the TOML reader stopped, when it says.
    #[error("{file}{}: {message}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Parse {
        file: String,
        line: Option<usize>,
        message: String,
    },
    /// A key whose value the profile format refuses (an unknown column, a kind that is not
    /// exported, a position where a header name is expected...).
    #[error("{file}, line {line}: `{key}`: {message}")]
    Invalid {
        file: String,
        line: usize,
        key: String,
        message: String,
    },
}

/// What an export file carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    ShipNotice,
    Invoice,
}

impl Kind {
    /// The name [`crate::model::Document::kind`] gives it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ShipNotice => "ship_notice",
            Kind::Invoice => "invoice",
        }
    }

    /// The column holding the document number, which groups rows into documents.
    pub fn number_column(self) -> &'static str {
        match self {
            Kind::ShipNotice => "shipment_id",
            Kind::Invoice => "invoice_number",
        }
    }
}

/// How rows make documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Layout {
    /// One row per line, the document's header fields repeated on every row (with or without a
    /// header row).
    #[default]
    Rows,
    /// A header file (one row per document) and a detail file (one row per line) linked by a
    /// key column.
    HeaderDetail,
}

/// Where a column is in the file: a header name, or a 1-based position when there is no header
/// row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Col {
    Name(String),
    Position(usize),
}

impl std::fmt::Display for Col {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Col::Name(n) => f.write_str(n),
            Col::Position(p) => write!(f, "column {p}"),
        }
    }
}

/// An export profile, checked.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub kind: Kind,
    pub layout: Layout,
    pub delimiter: u8,
    /// Whether the first row names the columns (else columns are positions).
    pub header: bool,
    /// `strftime` formats tried in turn for dates.
    pub date_formats: Vec<String>,
    /// `strftime` formats tried in turn for times.
    pub time_formats: Vec<String>,
    /// `.` or `,`.
    pub decimal_mark: u8,
    /// Header-detail layout: the key column of the header file and of the detail file.
    pub header_key: Option<Col>,
    pub detail_key: Option<Col>,
    /// Our column name → where it is, in the order the profile lists them.
    pub columns: Vec<(&'static str, Col)>,
    /// Mapped columns a file may lack (then read as empty); any other mapped column missing from
    /// the header row is a problem of the whole file, so a misspelt header is never a silent
    /// gap.
    pub optional: Vec<&'static str>,
}

impl Profile {
    /// Where our column `name` is, when the profile maps it.
    #[cfg(test)]
    pub fn column(&self, name: &str) -> Option<&Col> {
        self.columns
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c)
    }
}

/// Source columns: they say where a document came from, which tallyman fills itself.
const NOT_READ: &[&str] = &[
    "source_file",
    "source_offset",
    "standard",
    "version",
    "set",
    "sender_qualifier",
    "sender_id",
    "receiver_qualifier",
    "receiver_id",
    "interchange_control",
    "group_control",
    "transaction_control",
];

/// Whether one of our column names belongs to a line (else to the document).
pub(crate) fn is_line_column(name: &str) -> bool {
    const LINE: &[&str] = &[
        "line_number",
        "line_order_number",
        "quantity",
        "unit",
        "quantity_ordered",
        "package",
        "sscc",
        "package_level",
        "package_tracking_number",
        "pallet_sscc",
        "unit_price",
        "line_amount",
        "sku",
        "gtin",
        "upc",
        "ean",
        "isbn",
        "buyer_part",
        "vendor_part",
        "description",
    ];
    LINE.contains(&name)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: String,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "a title for people reading the profile: accepted, never used"
    )]
    name: Option<String>,
    kind: Spanned<String>,
    #[serde(default)]
    layout: Layout,
    #[serde(default)]
    delimiter: Option<Spanned<String>>,
    #[serde(default = "yes")]
    header: bool,
    #[serde(default)]
    date_format: Option<Spanned<String>>,
    #[serde(default)]
    date_formats: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    time_formats: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    decimal_mark: Option<Spanned<String>>,
    #[serde(default)]
    header_key: Option<Spanned<toml::Value>>,
    #[serde(default)]
    detail_key: Option<Spanned<toml::Value>>,
    columns: Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
    #[serde(default)]
    optional: Vec<Spanned<String>>,
}

fn yes() -> bool {
    true
}

/// Reads and checks one profile; `file` names it in messages.
pub fn parse(file: &str, text: &str) -> Result<Profile, Error> {
    let raw: Raw = toml::from_str(text).map_err(|e| Error::Parse {
        file: file.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().trim().to_string(),
    })?;
    let invalid = |span: std::ops::Range<usize>, key: &str, message: String| Error::Invalid {
        file: file.to_string(),
        line: line_of(text, span.start),
        key: key.to_string(),
        message,
    };
    let kind = match raw.kind.as_ref().as_str() {
        "ship_notice" => Kind::ShipNotice,
        "invoice" => Kind::Invoice,
        other => {
            return Err(invalid(
                raw.kind.span(),
                "kind",
                format!(
                    "`{other}` is not exported by an ERP: an export profile reads `ship_notice` or `invoice`"
                ),
            ));
        }
    };
    let delimiter = match raw
        .delimiter
        .as_ref()
        .map(|d| (d.span(), d.as_ref().as_str()))
    {
        None => b',',
        Some((_, "\\t" | "\t" | "tab")) => b'\t',
        Some((_, d)) if d.len() == 1 && d.is_ascii() && !matches!(d, "\"" | "\n" | "\r") => {
            d.as_bytes()[0]
        }
        Some((span, d)) => {
            return Err(invalid(
                span,
                "delimiter",
                format!("`{d}` is not a delimiter: use one ASCII character, or \"\\t\" for a tab"),
            ));
        }
    };
    let decimal_mark = match raw
        .decimal_mark
        .as_ref()
        .map(|d| (d.span(), d.as_ref().as_str()))
    {
        None | Some((_, ".")) => b'.',
        Some((_, ",")) => b',',
        Some((span, d)) => {
            return Err(invalid(
                span,
                "decimal_mark",
                format!("`{d}` is not a decimal mark: use \".\" or \",\""),
            ));
        }
    };
    let date_formats = match (raw.date_format, raw.date_formats) {
        (Some(_), Some(f)) => {
            return Err(invalid(
                f.span(),
                "date_formats",
                "give `date_format` or `date_formats`, not both".into(),
            ));
        }
        (Some(f), None) => {
            let span = f.span();
            check_formats(span, "date_format", vec![f.into_inner()], true, &invalid)?
        }
        (None, Some(f)) => {
            let span = f.span();
            check_formats(span, "date_formats", f.into_inner(), true, &invalid)?
        }
        (None, None) => vec!["%Y-%m-%d".into()],
    };
    let time_formats = match raw.time_formats {
        Some(f) => {
            let span = f.span();
            check_formats(span, "time_formats", f.into_inner(), false, &invalid)?
        }
        None => vec!["%H:%M:%S".into(), "%H:%M".into()],
    };
    let col = |key: &str, v: &Spanned<toml::Value>| -> Result<Col, Error> {
        match (raw.header, v.as_ref()) {
            (true, toml::Value::String(s)) if !s.trim().is_empty() => {
                Ok(Col::Name(s.trim().to_string()))
            }
            (false, toml::Value::Integer(p)) if *p >= 1 => Ok(Col::Position(*p as usize)),
            (true, _) => Err(invalid(
                v.span(),
                key,
                "expected the file's header name as a string (the profile says `header = true`)"
                    .into(),
            )),
            (false, _) => Err(invalid(
                v.span(),
                key,
                "expected a 1-based column position (the profile says `header = false`)".into(),
            )),
        }
    };
    let known = known_columns(kind.name());
    let mut columns = Vec::new();
    let mut entries: Vec<_> = raw.columns.as_ref().iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    for (key, value) in entries {
        let name = key.as_ref().as_str();
        let Some(&ours) = known.iter().find(|k| **k == name) else {
            return Err(invalid(
                key.span(),
                name,
                format!(
                    "unknown {} column; known columns: {}",
                    kind.name(),
                    known
                        .iter()
                        .filter(|k| !NOT_READ.contains(k))
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if NOT_READ.contains(&ours) {
            return Err(invalid(
                key.span(),
                name,
                "says where a document came from, which tallyman records itself: it cannot be read from an export".into(),
            ));
        }
        columns.push((ours, col(name, value)?));
    }
    for required in [kind.number_column(), "quantity"] {
        if !columns.iter().any(|(n, _)| *n == required) {
            return Err(invalid(
                raw.columns.span(),
                "columns",
                format!(
                    "`{required}` must be mapped: a {} cannot be read without it",
                    kind.name()
                ),
            ));
        }
    }
    let mut optional = Vec::new();
    for o in &raw.optional {
        match columns.iter().find(|(n, _)| *n == o.as_ref().as_str()) {
            Some((n, _)) if *n != kind.number_column() && *n != "quantity" => optional.push(*n),
            Some((n, _)) => {
                return Err(invalid(
                    o.span(),
                    "optional",
                    format!(
                        "`{n}` cannot be optional: a {} cannot be read without it",
                        kind.name()
                    ),
                ));
            }
            None => {
                return Err(invalid(
                    o.span(),
                    "optional",
                    format!(
                        "`{}` is not a column the profile maps in `[columns]`",
                        o.as_ref()
                    ),
                ));
            }
        }
    }
    let key =
        |k: &Option<Spanned<toml::Value>>, name: &str| k.as_ref().map(|v| (v.span(), col(name, v)));
    let (header_key, detail_key) = match (
        raw.layout,
        key(&raw.header_key, "header_key"),
        key(&raw.detail_key, "detail_key"),
    ) {
        (Layout::HeaderDetail, Some((_, h)), Some((_, d))) => (Some(h?), Some(d?)),
        (Layout::HeaderDetail, h, _) => {
            let missing = if h.is_none() {
                "header_key"
            } else {
                "detail_key"
            };
            return Err(invalid(
                raw.kind.span(),
                missing,
                "a `header_detail` profile names the key column of the header file (`header_key`) and of the detail file (`detail_key`)".into(),
            ));
        }
        (Layout::Rows, None, None) => (None, None),
        (Layout::Rows, Some((span, _)), _) | (Layout::Rows, None, Some((span, _))) => {
            return Err(invalid(
                span,
                "layout",
                "`header_key` and `detail_key` belong to `layout = \"header_detail\"`".into(),
            ));
        }
    };
    Ok(Profile {
        id: raw.id,
        kind,
        layout: raw.layout,
        delimiter,
        header: raw.header,
        date_formats,
        time_formats,
        decimal_mark,
        header_key,
        detail_key,
        columns,
        optional,
    })
}

/// A format is refused when jiff cannot format a sample value with it, or when it lacks what
/// makes the value (a year, month and day for a date).
fn check_formats(
    span: std::ops::Range<usize>,
    key: &str,
    formats: Vec<String>,
    date: bool,
    invalid: &dyn Fn(std::ops::Range<usize>, &str, String) -> Error,
) -> Result<Vec<String>, Error> {
    if formats.is_empty() {
        return Err(invalid(span, key, "give at least one format".into()));
    }
    for f in &formats {
        // Round trip: a format jiff cannot write, or that loses part of the value (no year),
        // does not read the same value back.
        let ok = if date {
            let d = jiff::civil::date(2024, 3, 11);
            jiff::fmt::strtime::format(f.as_str(), d)
                .is_ok_and(|s| jiff::civil::Date::strptime(f, s).is_ok_and(|r| r == d))
        } else {
            let t = jiff::civil::time(9, 15, 0, 0);
            jiff::fmt::strtime::format(f.as_str(), t)
                .is_ok_and(|s| jiff::civil::Time::strptime(f, s).is_ok_and(|r| r == t))
        };
        if !ok {
            return Err(invalid(
                span.clone(),
                key,
                format!(
                    "`{f}` is not a usable strftime {} format",
                    if date { "date" } else { "time" }
                ),
            ));
        }
    }
    Ok(formats)
}

/// Every known export profile, by id.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    by_id: BTreeMap<String, Profile>,
}

impl Profiles {
    /// The profiles compiled in from `exports/`.
    pub fn builtin() -> Result<Self, Error> {
        let mut p = Profiles::default();
        for (file, text) in BUILTIN {
            p.add(file, text)?;
        }
        Ok(p)
    }

    /// The built-in profiles, then `files` (a name for messages such as the path, and the TOML
    /// text) in the order given: a profile with the id of an earlier one replaces it.
    pub fn with_overrides(files: &[(String, String)]) -> Result<Self, Error> {
        let mut p = Profiles::builtin()?;
        for (file, text) in files {
            p.add(file, text)?;
        }
        Ok(p)
    }

    fn add(&mut self, file: &str, text: &str) -> Result<(), Error> {
        let profile = parse(file, text)?;
        self.by_id.insert(profile.id.clone(), profile);
        Ok(())
    }

    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.by_id.get(id)
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str =
        "id = \"t\"\nkind = \"ship_notice\"\n[columns]\nshipment_id = \"Id\"\nquantity = \"Qty\"\n";

    fn refused(text: &str) -> (usize, String, String) {
        match parse("t.toml", text).unwrap_err() {
            Error::Invalid {
                line, key, message, ..
            } => (line, key, message),
            e => panic!("not refused by a check: {e}"),
        }
    }

    #[test]
    fn builtin_profiles_load() {
        let p = Profiles::builtin().unwrap();
        let ids: Vec<&str> = p.ids().collect();
        assert_eq!(
            ids,
            [
                "erp-invoice-header-detail",
                "erp-ship-notice-positional",
                "erp-ship-notice-rows"
            ]
        );
        let pos = p.get("erp-ship-notice-positional").unwrap();
        assert_eq!(pos.column("quantity"), Some(&Col::Position(8)));
        assert_eq!(pos.delimiter, b'|');
        let inv = p.get("erp-invoice-header-detail").unwrap();
        assert_eq!(
            (inv.kind, inv.layout, inv.decimal_mark),
            (Kind::Invoice, Layout::HeaderDetail, b',')
        );
    }

    #[test]
    fn an_unknown_column_is_refused_with_its_line() {
        let (line, key, message) = refused(&format!("{BASE}unit_prize = \"Price\"\n"));
        assert_eq!((line, key.as_str()), (6, "unit_prize"));
        assert!(message.contains("unknown ship_notice column"), "{message}");
        // Known to invoices, not to ship notices.
        assert_eq!(refused(&format!("{BASE}unit_price = \"P\"\n")).0, 6);
        let (line, key, _) = refused(&format!("{BASE}source_file = \"F\"\n"));
        assert_eq!((line, key.as_str()), (6, "source_file"));
    }

    #[test]
    fn a_kind_that_is_not_exported_is_refused() {
        let (line, key, message) = refused(&BASE.replace("ship_notice", "order"));
        assert_eq!((line, key.as_str()), (2, "kind"));
        assert!(message.contains("ship_notice"));
    }

    #[test]
    fn positions_and_names_follow_the_header_setting() {
        let (line, key, _) = refused(&BASE.replace("[columns]", "header = false\n[columns]"));
        assert_eq!((line, key.as_str()), (5, "shipment_id"));
        let ok = "id = \"p\"\nkind = \"invoice\"\nheader = false\n[columns]\ninvoice_number = 1\nquantity = 3\n";
        assert_eq!(
            parse("p.toml", ok).unwrap().column("quantity"),
            Some(&Col::Position(3))
        );
        assert_eq!(refused(&ok.replace("= 3", "= 0")).0, 6);
    }

    #[test]
    fn required_columns_layout_keys_and_formats_are_checked() {
        let (_, key, message) = refused(&BASE.replace("quantity = \"Qty\"\n", ""));
        assert_eq!(key, "columns");
        assert!(message.contains("`quantity` must be mapped"));
        let hd = BASE.replace(
            "[columns]",
            "layout = \"header_detail\"\nheader_key = \"Id\"\n[columns]",
        );
        assert_eq!(refused(&hd).1, "detail_key");
        assert_eq!(
            refused(&BASE.replace("[columns]", "header_key = \"Id\"\n[columns]")).1,
            "layout"
        );
        assert_eq!(
            refused(&BASE.replace("[columns]", "date_format = \"%Q\"\n[columns]")).0,
            3
        );
        assert_eq!(
            refused(&BASE.replace("[columns]", "decimal_mark = \";\"\n[columns]")).1,
            "decimal_mark"
        );
        assert_eq!(
            refused(&BASE.replace("[columns]", "optional = [\"quantity\"]\n[columns]")).1,
            "optional"
        );
        assert_eq!(
            refused(&BASE.replace("[columns]", "optional = [\"sku\"]\n[columns]")).1,
            "optional"
        );
    }

    #[test]
    fn toml_errors_carry_their_line() {
        match parse(
            "t.toml",
            &BASE.replace("[columns]", "colour = 1\n[columns]"),
        )
        .unwrap_err()
        {
            Error::Parse { line, message, .. } => {
                assert_eq!(line, Some(3));
                assert!(
                    message.contains("colour") || message.contains("unknown"),
                    "{message}"
                );
            }
            e => panic!("{e}"),
        }
        let e = parse("t.toml", "id = \n").unwrap_err();
        assert!(e.to_string().starts_with("t.toml, line 1: "), "{e}");
    }
}
