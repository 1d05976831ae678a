//! ERP column tables: the column names an ERP import (and, later, an ERP export profile) can use
//! per document kind, and the value of each column for a document and one of its lines.
//!
//! Phase: output. The tables are declared once here, so the CSV import writer, the
//! configuration's column checks and the outbound issue's export readers agree on every name.
//!
//! ```
//! use tallyman::erp::columns;
//! assert!(columns::known_columns("order").contains(&"order_number"));
//! assert!(columns::check_columns("order", &["nope".to_string()]).is_err());
//! ```

use crate::model::{Document, InvoiceLine, OrderLine, Package, Party, Role, ShipLine, ShipNotice};
use std::borrow::Cow;
use std::sync::LazyLock;
// Column tables as whitespace-separated text: they read as lists and stay compact; they are split
// once into the static slices the API hands out.
const COMMON: &str = "channel source_file source_offset standard version set sender_qualifier
    sender_id receiver_qualifier receiver_id interchange_control group_control transaction_control
    test purpose";
const PARTIES: &str = "
    buyer_name buyer_id buyer_address buyer_city buyer_region buyer_postal_code buyer_country
    seller_name seller_id seller_address seller_city seller_region seller_postal_code seller_country
    ship_to_name ship_to_id ship_to_address ship_to_city ship_to_region ship_to_postal_code
    ship_to_country bill_to_name bill_to_id bill_to_address bill_to_city bill_to_region
    bill_to_postal_code bill_to_country ship_from_name ship_from_id ship_from_address
    ship_from_city ship_from_region ship_from_postal_code ship_from_country remit_to_name
    remit_to_id remit_to_address remit_to_city remit_to_region remit_to_postal_code
    remit_to_country";
const TERMS: &str = "terms_code terms_net_days terms_discount_percent terms_discount_days
    terms_description";
const ITEM: &str = "sku gtin upc ean isbn buyer_part vendor_part description";

const ORDER_HEADER: &str = "order_number order_date order_type currency total_amount line_count";
const ORDER_LINE: &str = "line_number quantity unit unit_price price_basis line_amount";
const SHIP_HEADER: &str = "shipment_id ship_date ship_time order_refs carrier_scac carrier_name
    carrier_mode carrier_service_level tracking_numbers bill_of_lading package_count line_count";
const SHIP_LINE: &str = "line_number line_order_number quantity unit quantity_ordered package sscc
    package_level package_tracking_number pallet_sscc";
const INVOICE_HEADER: &str = "invoice_number invoice_date invoice_type order_number order_date
    currency total_amount line_count";
const INVOICE_LINE: &str = "line_number quantity unit unit_price line_amount";

const ORDER_DEFAULT: &str = "channel source_file order_number order_date purpose currency
    buyer_name ship_to_name ship_to_address ship_to_city ship_to_region ship_to_postal_code
    ship_to_country total_amount line_number sku gtin buyer_part vendor_part description quantity
    unit unit_price line_amount";
const SHIP_DEFAULT: &str = "channel source_file shipment_id ship_date purpose order_refs
    carrier_scac tracking_numbers bill_of_lading ship_to_name line_number line_order_number sku
    gtin buyer_part vendor_part description quantity unit quantity_ordered sscc";
const INVOICE_DEFAULT: &str = "channel source_file invoice_number invoice_date invoice_type
    purpose order_number currency bill_to_name remit_to_name total_amount line_number sku gtin
    buyer_part vendor_part description quantity unit unit_price line_amount";

fn split(parts: &[&'static str]) -> Vec<&'static str> {
    parts.iter().flat_map(|p| p.split_whitespace()).collect()
}

// Per kind: every known column, then the default selection.
type Tables = LazyLock<[Vec<&'static str>; 2]>;
static ORDER: Tables = LazyLock::new(|| {
    let known = split(&[COMMON, ORDER_HEADER, TERMS, PARTIES, ORDER_LINE, ITEM]);
    [known, split(&[ORDER_DEFAULT])]
});
static SHIP: Tables = LazyLock::new(|| {
    let known = split(&[COMMON, SHIP_HEADER, PARTIES, SHIP_LINE, ITEM]);
    [known, split(&[SHIP_DEFAULT])]
});
static INVOICE: Tables = LazyLock::new(|| {
    let known = split(&[COMMON, INVOICE_HEADER, TERMS, PARTIES, INVOICE_LINE, ITEM]);
    [known, split(&[INVOICE_DEFAULT])]
});

fn tables(kind: &str) -> Option<&'static [Vec<&'static str>; 2]> {
    match kind {
        "order" => Some(&ORDER),
        "ship_notice" => Some(&SHIP),
        "invoice" => Some(&INVOICE),
        _ => None,
    }
}

/// Every column name available for a document kind (`order`, `ship_notice`, `invoice`, as
/// [`Document::kind`] names them); empty for an unknown kind.
pub fn known_columns(kind: &str) -> &'static [&'static str] {
    tables(kind).map_or(&[], |t| &t[0])
}

/// A sensible default selection for a document kind; empty for an unknown kind.
pub fn default_columns(kind: &str) -> &'static [&'static str] {
    tables(kind).map_or(&[], |t| &t[1])
}

/// Checks a configured column list; Err names the first unknown column and lists the known ones.
///
/// An empty list and a column listed twice are refused too: both are configuration mistakes that
/// would give an ERP a file it cannot map.
pub fn check_columns(kind: &str, columns: &[String]) -> Result<(), String> {
    let known = known_columns(kind);
    if known.is_empty() {
        return Err(format!(
            "unknown document kind `{kind}` (order, ship_notice, invoice)"
        ));
    }
    if columns.is_empty() {
        return Err(format!("no columns configured for {kind}"));
    }
    for (i, c) in columns.iter().enumerate() {
        if !known.contains(&c.as_str()) {
            return Err(format!(
                "unknown {kind} column `{c}`; known columns: {}",
                known.join(", ")
            ));
        }
        if columns[..i].contains(c) {
            return Err(format!("{kind} column `{c}` is listed twice"));
        }
    }
    Ok(())
}

/// One line of a document; ship lines carry their package, resolved once per row.
#[derive(Clone, Copy)]
pub(crate) enum Line<'a> {
    Order(&'a OrderLine),
    Ship(&'a ShipLine, Option<&'a Package>),
    Invoice(&'a InvoiceLine),
}

pub(crate) type Cell<'a> = Option<Cow<'a, str>>;

fn text(s: &str) -> Cell<'_> {
    (!s.is_empty()).then_some(Cow::Borrowed(s))
}

fn opt(s: &Option<String>) -> Cell<'_> {
    s.as_deref().and_then(text)
}

fn shown<'a>(v: Option<impl ToString>) -> Cell<'a> {
    v.map(|v| Cow::Owned(v.to_string()))
}

fn joined<'a>(items: &[String], sep: &str) -> Cell<'a> {
    (!items.is_empty()).then(|| Cow::Owned(items.join(sep)))
}

/// Document-level columns; outer `None` when `col` is a party or line column. Names shared by
/// several kinds match any kind: columns were checked against the document's kind already.
pub(crate) fn header_cell<'a>(doc: &'a Document, col: &str) -> Option<Cell<'a>> {
    use Document::{Invoice as I, Order as O, ShipNotice as S};
    let src = doc.source();
    let (purpose, terms) = match doc {
        O(o) => (o.purpose, o.terms.as_ref()),
        S(s) => (s.purpose, None),
        I(i) => (i.purpose, i.terms.as_ref()),
        Document::Acknowledgment(a) => (a.purpose, None),
    };
    Some(match (doc, col) {
        (_, "channel") => opt(&src.channel),
        (_, "source_file") => text(&src.file),
        (_, "source_offset") => shown(Some(src.offset)),
        (_, "standard") => text(&src.standard),
        (_, "version") => text(&src.version),
        (_, "set") => text(&src.set),
        (_, "sender_qualifier") => src.sender.as_ref().and_then(|i| text(&i.qualifier)),
        (_, "sender_id") => src.sender.as_ref().and_then(|i| text(&i.id)),
        (_, "receiver_qualifier") => src.receiver.as_ref().and_then(|i| text(&i.qualifier)),
        (_, "receiver_id") => src.receiver.as_ref().and_then(|i| text(&i.id)),
        (_, "interchange_control") => opt(&src.interchange_control),
        (_, "group_control") => opt(&src.group_control),
        (_, "transaction_control") => opt(&src.transaction_control),
        (_, "test") => shown(Some(src.test)),
        // The serde name, so the CSV says what the JSON output says.
        (_, "purpose") => match serde_json::to_value(purpose) {
            Ok(serde_json::Value::String(name)) => Some(Cow::Owned(name)),
            _ => None,
        },
        (_, "line_count") => shown(Some(doc.line_count())),
        (_, "terms_code") => terms.and_then(|t| opt(&t.code)),
        (_, "terms_net_days") => shown(terms.and_then(|t| t.net_days)),
        (_, "terms_discount_percent") => shown(terms.and_then(|t| t.discount_percent)),
        (_, "terms_discount_days") => shown(terms.and_then(|t| t.discount_days)),
        (_, "terms_description") => terms.and_then(|t| opt(&t.description)),
        (O(o), "order_number") => text(&o.order_number),
        (O(o), "order_date") => shown(o.order_date),
        (O(o), "order_type") => opt(&o.order_type),
        (O(o), "currency") => opt(&o.currency),
        (O(o), "total_amount") => shown(o.totals.amount),
        (S(s), "shipment_id") => text(&s.shipment_id),
        (S(s), "ship_date") => shown(s.ship_date),
        (S(s), "ship_time") => shown(s.ship_time),
        (S(s), "order_refs") => joined(&s.order_refs, " "),
        (S(s), "carrier_scac") => s.carrier.as_ref().and_then(|c| opt(&c.scac)),
        (S(s), "carrier_name") => s.carrier.as_ref().and_then(|c| opt(&c.name)),
        (S(s), "carrier_mode") => s.carrier.as_ref().and_then(|c| opt(&c.mode)),
        (S(s), "carrier_service_level") => s.carrier.as_ref().and_then(|c| opt(&c.service_level)),
        (S(s), "tracking_numbers") => joined(&s.tracking_numbers, " "),
        (S(s), "bill_of_lading") => opt(&s.bill_of_lading),
        (S(s), "package_count") => shown(Some(s.packages.len())),
        (I(i), "invoice_number") => text(&i.invoice_number),
        (I(i), "invoice_date") => shown(i.invoice_date),
        (I(i), "invoice_type") => opt(&i.invoice_type),
        (I(i), "order_number") => opt(&i.order_number),
        (I(i), "order_date") => shown(i.order_date),
        (I(i), "currency") => opt(&i.currency),
        // `total_amount` is the total as sent; EDIFACT mappers may only fill the totals block.
        (I(i), "total_amount") => shown(i.total_amount.or(i.totals.amount)),
        _ => return None,
    })
}

const ROLES: [(&str, Role); 6] = [
    ("buyer_", Role::Buyer),
    ("seller_", Role::Seller),
    ("ship_to_", Role::ShipTo),
    ("bill_to_", Role::BillTo),
    ("ship_from_", Role::ShipFrom),
    ("remit_to_", Role::RemitTo),
];

/// `<role>_<field>` columns; outer `None` when `col` is not one.
pub(crate) fn party_cell<'a>(parties: &'a [Party], col: &str) -> Option<Cell<'a>> {
    let (role, field) = ROLES
        .iter()
        .find_map(|(prefix, role)| col.strip_prefix(prefix).map(|f| (*role, f)))?;
    let p = parties.iter().find(|p| p.role == role);
    let a = p.map(|p| &p.address);
    Some(match field {
        "name" => p.and_then(|p| opt(&p.name)),
        "id" => p.and_then(|p| p.ids.first()).and_then(|i| text(&i.id)),
        "address" => a.and_then(|a| joined(&a.lines, ", ")),
        "city" => a.and_then(|a| opt(&a.city)),
        "region" => a.and_then(|a| opt(&a.region)),
        "postal_code" => a.and_then(|a| opt(&a.postal_code)),
        "country" => a.and_then(|a| opt(&a.country)),
        _ => return None,
    })
}

/// A line column, resolved from its name once per document instead of matched by name on
/// every row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineColumn {
    LineNumber,
    Quantity,
    Unit,
    Description,
    Sku,
    Gtin,
    Upc,
    Ean,
    Isbn,
    BuyerPart,
    VendorPart,
    UnitPrice,
    LineAmount,
    PriceBasis,
    LineOrderNumber,
    QuantityOrdered,
    Package,
    Sscc,
    PackageLevel,
    PackageTrackingNumber,
    PalletSscc,
}

impl LineColumn {
    /// The line column of that name; `None` for a header or party column.
    pub(crate) fn named(col: &str) -> Option<LineColumn> {
        use LineColumn::*;
        Some(match col {
            "line_number" => LineNumber,
            "quantity" => Quantity,
            "unit" => Unit,
            "description" => Description,
            "sku" => Sku,
            "gtin" => Gtin,
            "upc" => Upc,
            "ean" => Ean,
            "isbn" => Isbn,
            "buyer_part" => BuyerPart,
            "vendor_part" => VendorPart,
            "unit_price" => UnitPrice,
            "line_amount" => LineAmount,
            "price_basis" => PriceBasis,
            "line_order_number" => LineOrderNumber,
            "quantity_ordered" => QuantityOrdered,
            "package" => Package,
            "sscc" => Sscc,
            "package_level" => PackageLevel,
            "package_tracking_number" => PackageTrackingNumber,
            "pallet_sscc" => PalletSscc,
            _ => return None,
        })
    }
}

/// The text of a line column for one line: borrowed from the line, or a number written into
/// `scratch`; `None` when the line has no value there (or the column is another kind's).
pub(crate) fn line_value<'s>(
    line: Line<'s>,
    col: LineColumn,
    scratch: &'s mut Vec<u8>,
) -> Option<&'s [u8]> {
    use Line::{Invoice as I, Order as O, Ship as S};
    use LineColumn::*;
    let non_empty = |s: &'s str| (!s.is_empty()).then_some(s.as_bytes());
    let opt = |s: &'s Option<String>| s.as_deref().and_then(non_empty);
    // The fields every line kind has, under the same names.
    let (number, quantity, unit) = match line {
        O(l) => (&l.line_number, l.quantity, &l.unit),
        S(l, _) => (&l.line_number, l.quantity, &l.unit),
        I(l) => (&l.line_number, l.quantity, &l.unit),
    };
    let (ids, description, price) = match line {
        O(l) => (&l.item_ids, &l.description, l.unit_price),
        S(l, _) => (&l.item_ids, &l.description, None),
        I(l) => (&l.item_ids, &l.description, l.unit_price),
    };
    let amount = match (line, col) {
        (_, Quantity) => Some(quantity),
        (_, UnitPrice) => price,
        // Checked: an absurd quantity × price leaves the cell empty instead of panicking.
        (_, LineAmount) => price.and_then(|p| quantity.checked_mul(p)),
        (S(l, _), QuantityOrdered) => l.quantity_ordered,
        (_, LineNumber) => return non_empty(number),
        (_, Unit) => return opt(unit),
        (_, Description) => return opt(description),
        (_, Sku) => return opt(&ids.sku),
        (_, Gtin) => return opt(&ids.gtin),
        (_, Upc) => return opt(&ids.upc),
        (_, Ean) => return opt(&ids.ean),
        (_, Isbn) => return opt(&ids.isbn),
        (_, BuyerPart) => return opt(&ids.buyer_part),
        (_, VendorPart) => return opt(&ids.vendor_part),
        (O(l), PriceBasis) => return opt(&l.price_basis),
        (S(l, _), LineOrderNumber) => return opt(&l.order_number),
        (S(l, _), Package) => return opt(&l.package),
        (S(_, p), Sscc) => return p.and_then(|p| opt(&p.sscc)),
        (S(_, p), PackageLevel) => return p.and_then(|p| non_empty(&p.level)),
        (S(_, p), PackageTrackingNumber) => return p.and_then(|p| opt(&p.tracking_number)),
        (S(_, p), PalletSscc) => return p.and_then(|p| opt(&p.parent)),
        _ => return None,
    };
    scratch.clear();
    crate::model::json::document::decimal_text(scratch, &amount?);
    Some(scratch)
}

/// The package holding a ship line: the one whose SSCC the line names, else (a pack sent with
/// marks but no SSCC) the first package listing the line's number, packs before tares.
pub(crate) fn package_of<'a>(s: &'a ShipNotice, l: &ShipLine) -> Option<&'a Package> {
    let by_sscc = l
        .package
        .as_ref()
        .and_then(|id| s.packages.iter().find(|p| p.sscc.as_ref() == Some(id)));
    by_sscc.or_else(|| {
        s.packages
            .iter()
            .filter(|p| p.lines.contains(&l.line_number))
            .min_by_key(|p| p.level != "pack")
    })
}
