//! Feed profiles: which columns of a marketplace export hold which canonical fields.
//!
//! A profile is a TOML file (the built-in ones are in `feeds/`, and a directory given with
//! `--feeds` adds more or replaces them by id). It names the columns that identify the export,
//! the column that keys rows into orders, and column names for order, party, line and charge
//! fields. See `feeds/README.md` for the format.

use serde::Deserialize;
use std::collections::BTreeMap;

/// Profiles compiled into the binary.
const BUILTIN: &[(&str, &str)] = &[
    (
        "feeds/shopify-orders.toml",
        include_str!("../../feeds/shopify-orders.toml"),
    ),
    (
        "feeds/amazon-order-report.toml",
        include_str!("../../feeds/amazon-order-report.toml"),
    ),
    (
        "feeds/walmart-orders-v3.toml",
        include_str!("../../feeds/walmart-orders-v3.toml"),
    ),
    (
        "feeds/amazon-mws-orders.toml",
        include_str!("../../feeds/amazon-mws-orders.toml"),
    ),
    (
        "feeds/amazon-mws-order-items.toml",
        include_str!("../../feeds/amazon-mws-order-items.toml"),
    ),
];

/// A profile file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is not valid TOML or not of the profile format.
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

/// How order-level columns are filled on an order's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OrderFields {
    /// Only on the first row (Shopify): later rows leave them empty.
    #[default]
    FirstRow,
    /// Repeated on every row (Amazon): they must agree.
    EveryRow,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderColumns {
    pub order_number: String,
    #[serde(default)]
    pub order_date: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineColumns {
    pub quantity: String,
    #[serde(default)]
    pub unit_price: Option<String>,
    /// The price column holds the amount for the whole quantity (Amazon), not for one unit.
    #[serde(default)]
    pub price_is_total: bool,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// A marketplace line id, kept as the line number when present.
    #[serde(default)]
    pub line_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyColumns {
    /// `buyer`, `ship_to`, `bill_to`...
    pub role: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub address: Vec<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// Where an amount goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountKind {
    Charge,
    Allowance,
    Tax,
}

/// Whether an amount is the order's (first row), each line's, or one per row wherever it is
/// filled (Shopify shipping-line rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Order,
    Line,
    Row,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountColumn {
    pub kind: AmountKind,
    /// A fixed code (`shipping`, `discount`, `tax`) ...
    #[serde(default)]
    pub code: Option<String>,
    /// ... or a column holding it (`Tax 1 Name`).
    #[serde(default)]
    pub code_column: Option<String>,
    pub amount: String,
    #[serde(default)]
    pub scope: Scope,
}

/// A feed profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub id: String,
    pub name: String,
    /// Field delimiter: `","` or `"\t"`.
    #[serde(default = "comma")]
    pub delimiter: String,
    /// Header names that must all be present for the profile to be picked automatically.
    pub detect: Vec<String>,
    /// The column whose value groups rows into orders.
    pub order_key: String,
    #[serde(default)]
    pub order_fields: OrderFields,
    /// Rows where this column is empty carry no line item (Shopify refund and shipping rows).
    #[serde(default)]
    pub line_required: Option<String>,
    pub order: OrderColumns,
    pub line: LineColumns,
    #[serde(default, rename = "party")]
    pub parties: Vec<PartyColumns>,
    #[serde(default, rename = "amount")]
    pub amounts: Vec<AmountColumn>,
    /// Other names the same columns go by in other versions of the export
    /// (`"Processed At" = "Created at"`): used when the profile's own name is absent.
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
}

fn comma() -> String {
    ",".into()
}

impl Profile {
    /// The delimiter byte.
    pub fn delimiter_byte(&self) -> u8 {
        match self.delimiter.as_str() {
            "\\t" | "\t" | "tab" => b'\t',
            d => d.as_bytes().first().copied().unwrap_or(b','),
        }
    }

    /// True when every detection header is in `headers`.
    pub fn matches(&self, headers: &[&str]) -> bool {
        self.detect
            .iter()
            .all(|d| headers.iter().any(|h| h.trim() == d))
    }
}

/// Order-level fields of an XML profile, as element paths under the order element.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlOrderFields {
    pub order_number: String,
    #[serde(default)]
    pub order_date: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub total: Option<String>,
    #[serde(default)]
    pub order_type: Option<String>,
}

/// Line fields of an XML profile: `element` is the path of each line under the order, the
/// others paths under the line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlLineFields {
    pub element: String,
    pub quantity: String,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub unit_price: Option<String>,
    #[serde(default)]
    pub price_is_total: bool,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub line_id: Option<String>,
    /// Other item ids by qualifier (`ASIN = "ASIN"`).
    #[serde(default)]
    pub other_ids: BTreeMap<String, String>,
}

/// An amount of each line (every element the path reaches counts).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlAmount {
    pub kind: AmountKind,
    #[serde(default)]
    pub code: Option<String>,
    pub amount: String,
}

/// An XML feed profile: element paths instead of columns.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlProfile {
    pub id: String,
    pub name: String,
    /// Always `"xml"`.
    pub format: String,
    /// Local names the root element may have.
    pub roots: Vec<String>,
    /// Element names that must occur near the start of the document.
    #[serde(default)]
    pub contains: Vec<String>,
    /// Local name of the element each order is.
    pub order: String,
    /// Whether an order without lines is an error (false for order lists that carry no items).
    #[serde(default = "yes")]
    pub lines_required: bool,
    pub order_fields: XmlOrderFields,
    pub line: XmlLineFields,
    #[serde(default, rename = "party")]
    pub parties: Vec<PartyColumns>,
    #[serde(default, rename = "line_amount")]
    pub line_amounts: Vec<XmlAmount>,
}

fn yes() -> bool {
    true
}

/// All known profiles, by id.
#[derive(Debug, Clone, Default)]
pub struct Profiles {
    by_id: BTreeMap<String, Profile>,
    xml: BTreeMap<String, XmlProfile>,
}

impl Profiles {
    /// The feed profiles shipped inside the binary (`feeds/*.toml`: Shopify, Amazon, Walmart
    /// and their variants).
    pub fn builtin() -> Result<Self, Error> {
        let mut p = Profiles::default();
        for (path, text) in BUILTIN {
            p.add(path, text)?;
        }
        Ok(p)
    }

    /// The built-in profiles and `files` (a name for messages, such as the file's path → TOML),
    /// added in the order given: a profile with the id of an earlier one replaces it. Reading
    /// them from a folder is the caller's business (`pipeline::settings::read_toml_files`).
    pub fn with_files(files: impl IntoIterator<Item = (String, String)>) -> Result<Self, Error> {
        let mut p = Profiles::builtin()?;
        for (name, text) in files {
            p.add(&name, &text)?;
        }
        Ok(p)
    }

    fn add(&mut self, path: &str, text: &str) -> Result<(), Error> {
        let parse_err = |e: toml::de::Error| Error::Parse {
            path: path.to_string(),
            message: e.to_string(),
        };
        let value: toml::Table = toml::from_str(text).map_err(parse_err)?;
        if value.get("format").and_then(|f| f.as_str()) == Some("xml") {
            let profile: XmlProfile = toml::from_str(text).map_err(parse_err)?;
            self.xml.insert(profile.id.clone(), profile);
        } else {
            let profile: Profile = toml::from_str(text).map_err(parse_err)?;
            self.by_id.insert(profile.id.clone(), profile);
        }
        Ok(())
    }

    /// The XML profile with this id.
    pub fn xml(&self, id: &str) -> Option<&XmlProfile> {
        self.xml.get(id)
    }

    /// The XML profile for a document whose root element is `root` and whose start is `head`.
    pub fn detect_xml(&self, root: &str, head: &str) -> Option<&XmlProfile> {
        self.xml
            .values()
            .filter(|p| p.roots.iter().any(|r| r == root))
            .filter(|p| p.contains.iter().all(|c| head.contains(c.as_str())))
            .max_by_key(|p| p.contains.len())
    }

    /// Ids of every profile, CSV and XML.
    pub fn ids(&self) -> Vec<&str> {
        self.by_id
            .keys()
            .chain(self.xml.keys())
            .map(String::as_str)
            .collect()
    }

    /// The CSV/TSV profile with this id.
    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.by_id.get(id)
    }

    /// The profile whose detection headers a header row has (the most specific one wins).
    pub fn detect(&self, headers: &[&str]) -> Option<&Profile> {
        self.by_id
            .values()
            .filter(|p| p.matches(headers))
            .max_by_key(|p| p.detect.len())
    }

    /// Every CSV/TSV profile, by id.
    pub fn all(&self) -> impl Iterator<Item = &Profile> {
        self.by_id.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_load_and_detect() {
        let p = Profiles::builtin().unwrap();
        let shopify = [
            "Name",
            "Email",
            "Lineitem quantity",
            "Lineitem price",
            "Lineitem sku",
            "Created at",
        ];
        assert_eq!(p.detect(&shopify).unwrap().id, "shopify-orders");
        let amazon = [
            "order-id",
            "order-item-id",
            "purchase-date",
            "sku",
            "quantity-purchased",
            "item-price",
        ];
        assert_eq!(p.detect(&amazon).unwrap().id, "amazon-order-report");
        assert_eq!(
            p.get("amazon-order-report").unwrap().delimiter_byte(),
            b'\t'
        );
        assert!(p.detect(&["a", "b"]).is_none());
    }
}
