//! One document from its rows: the header fields from one row, a line from each line row,
//! packages from the SSCC columns, and the computed columns used as cross-checks.

use super::Problem;
use super::profile::Kind;
use super::sheet::At;
use super::value;
use crate::model::{
    Address, Carrier, Document, Invoice, InvoiceLine, ItemIds, Package, Party, PartyId, Role,
    ShipLine, ShipNotice, Source, Terms,
};
use rust_decimal::Decimal;

/// Role prefixes of the party columns, with the X12 N101 code kept as `role_code`.
const ROLES: [(&str, Role, &str); 6] = [
    ("buyer", Role::Buyer, "BY"),
    ("seller", Role::Seller, "SE"),
    ("ship_to", Role::ShipTo, "ST"),
    ("bill_to", Role::BillTo, "BT"),
    ("ship_from", Role::ShipFrom, "SF"),
    ("remit_to", Role::RemitTo, "RI"),
];

/// A document read from rows, or the problems that hold it.
pub(crate) fn document(
    kind: Kind,
    head: At<'_>,
    lines: &[At<'_>],
    problems: &mut Vec<Problem>,
) -> Option<Document> {
    let number = head.text(kind.number_column(), problems);
    if head.cell(kind.number_column()).is_none() {
        problems.push(head.problem(
            kind.number_column(),
            None,
            "is empty: every document needs its number",
        ));
    }
    if lines.is_empty() {
        problems.push(head.problem(
            kind.number_column(),
            number.as_deref(),
            "has no lines: the export must list what is shipped or invoiced",
        ));
    }
    let source = Source {
        file: head.file.to_string(),
        offset: head.row.offset,
        standard: "erp".into(),
        set: head.profile.id.clone(),
        channel: head.text("channel", problems),
        test: head
            .parse("test", problems, value::boolean)
            .unwrap_or(false),
        ..Source::default()
    };
    let purpose = head
        .parse("purpose", problems, value::purpose)
        .unwrap_or_default();
    let parties = parties(head, problems);
    let doc = match kind {
        Kind::ShipNotice => {
            let mut s = ShipNotice {
                shipment_id: number.clone().unwrap_or_default(),
                ship_date: head.date("ship_date", problems),
                ship_time: head.parse("ship_time", problems, |v| {
                    value::time(v, &head.profile.time_formats)
                }),
                purpose,
                order_refs: head
                    .cell("order_refs")
                    .map(value::words)
                    .unwrap_or_default(),
                carrier: None,
                tracking_numbers: head
                    .cell("tracking_numbers")
                    .map(value::words)
                    .unwrap_or_default(),
                bill_of_lading: head.text("bill_of_lading", problems),
                parties,
                references: Vec::new(),
                dates: Vec::new(),
                packages: Vec::new(),
                lines: Vec::new(),
                totals: Default::default(),
                source,
            };
            let carrier = Carrier {
                scac: head.text("carrier_scac", problems),
                name: head.text("carrier_name", problems),
                mode: head.text("carrier_mode", problems),
                service_level: head.text("carrier_service_level", problems),
            };
            s.carrier = (carrier != Carrier::default()).then_some(carrier);
            ship_lines(&mut s, lines, problems);
            check_count(head, "package_count", s.packages.len(), problems);
            Document::ShipNotice(s)
        }
        Kind::Invoice => {
            let terms = Terms {
                code: head.text("terms_code", problems),
                discount_percent: head.decimal("terms_discount_percent", problems),
                discount_days: head.parse("terms_discount_days", problems, value::days),
                net_days: head.parse("terms_net_days", problems, value::days),
                description: head.text("terms_description", problems),
            };
            let mut i = Invoice {
                invoice_number: number.clone().unwrap_or_default(),
                invoice_date: head.date("invoice_date", problems),
                purpose,
                invoice_type: head.text("invoice_type", problems),
                order_number: head.text("order_number", problems),
                order_date: head.date("order_date", problems),
                currency: head.text("currency", problems),
                parties,
                references: Vec::new(),
                dates: Vec::new(),
                terms: (terms != Terms::default()).then_some(terms),
                lines: Vec::new(),
                allowances_charges: Vec::new(),
                taxes: Vec::new(),
                total_amount: head.decimal("total_amount", problems),
                totals: Default::default(),
                notes: Vec::new(),
                source,
            };
            invoice_lines(&mut i, lines, problems);
            Document::Invoice(i)
        }
    };
    check_count(head, "line_count", doc.line_count(), problems);
    problems.is_empty().then_some(doc)
}

/// `<role>_<field>` columns: a party for each role that has any of them.
fn parties(head: At<'_>, problems: &mut Vec<Problem>) -> Vec<Party> {
    let mut out = Vec::new();
    for (prefix, role, code) in ROLES {
        let get = |field: &str, problems: &mut Vec<Problem>| {
            head.text(&format!("{prefix}_{field}"), problems)
        };
        let name = get("name", problems);
        let id = get("id", problems);
        let address = Address {
            // The import writer joins address lines with ", ".
            lines: get("address", problems)
                .map(|a| a.split(", ").map(|l| l.trim().to_string()).collect())
                .unwrap_or_default(),
            city: get("city", problems),
            region: get("region", problems),
            postal_code: get("postal_code", problems),
            country: get("country", problems),
        };
        if name.is_none() && id.is_none() && address.is_empty() {
            continue;
        }
        out.push(Party {
            role,
            role_code: code.into(),
            name,
            // The import writes the bare number; the partner profile supplies the qualifier.
            ids: id
                .map(|id| PartyId {
                    qualifier: String::new(),
                    id,
                })
                .into_iter()
                .collect(),
            address,
            contacts: Vec::new(),
        });
    }
    out
}

fn item_ids(at: At<'_>, problems: &mut Vec<Problem>) -> ItemIds {
    ItemIds {
        gtin: at.text("gtin", problems),
        upc: at.text("upc", problems),
        ean: at.text("ean", problems),
        isbn: at.text("isbn", problems),
        buyer_part: at.text("buyer_part", problems),
        vendor_part: at.text("vendor_part", problems),
        sku: at.text("sku", problems),
        other: Vec::new(),
    }
}

/// The line number as exported, else the line's place in the document; a number used twice is
/// a problem (the 856 and the 810 refer to lines by it).
fn line_number(
    at: At<'_>,
    index: usize,
    seen: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) -> String {
    let n = at
        .text("line_number", problems)
        .unwrap_or_else(|| (index + 1).to_string());
    if seen.contains(&n) {
        problems.push(at.problem(
            "line_number",
            Some(&n),
            "is used by an earlier line of the same document: line numbers must be unique",
        ));
    }
    seen.push(n.clone());
    n
}

fn quantity(at: At<'_>, problems: &mut Vec<Problem>) -> Option<Decimal> {
    if at.cell("quantity").is_none() {
        problems.push(at.problem(
            "quantity",
            None,
            "is empty: every line needs its quantity; export it",
        ));
        return None;
    }
    at.decimal("quantity", problems)
}

fn ship_lines(s: &mut ShipNotice, lines: &[At<'_>], problems: &mut Vec<Problem>) {
    let mut seen = Vec::new();
    for (index, at) in lines.iter().enumerate() {
        let line_number = line_number(*at, index, &mut seen, problems);
        let quantity = quantity(*at, problems);
        if let Some(q) = quantity
            && q <= Decimal::ZERO
        {
            problems.push(at.problem(
                "quantity",
                at.cell("quantity"),
                "is not above zero: a backorder is not a shipment; leave the line out of the export",
            ));
        }
        let sscc = at.text("sscc", problems);
        let package = at.text("package", problems);
        if let (Some(a), Some(b)) = (&sscc, &package)
            && a != b
        {
            problems.push(at.problem(
                "package",
                Some(b),
                format!("names another package than the row's SSCC {a}: export one of them"),
            ));
        }
        let sscc = sscc.or(package);
        let pallet = at.text("pallet_sscc", problems);
        let level = at.text("package_level", problems);
        let tracking = at.text("package_tracking_number", problems);
        if sscc.is_none() && (level.is_some() || tracking.is_some()) {
            let col = if level.is_some() {
                "package_level"
            } else {
                "package_tracking_number"
            };
            problems.push(at.problem(
                col,
                at.cell(col),
                "describes a package but the row names no SSCC: export the SSCC or leave it empty",
            ));
        }
        if let Some(p) = &pallet {
            pack(s, at, p, "tare", None, None, "pallet_sscc", problems);
        }
        let holder = match &sscc {
            Some(c) => {
                let level = level.as_deref().unwrap_or("pack");
                pack(
                    s,
                    at,
                    c,
                    level,
                    pallet.as_deref(),
                    tracking,
                    "sscc",
                    problems,
                );
                Some(c.clone())
            }
            None => pallet.clone(),
        };
        if let Some(h) = &holder {
            let p = s
                .packages
                .iter_mut()
                .find(|p| p.sscc.as_ref() == Some(h))
                .expect("added above");
            if !p.lines.contains(&line_number) {
                p.lines.push(line_number.clone());
            }
        }
        s.lines.push(ShipLine {
            line_number,
            order_number: at.text("line_order_number", problems),
            quantity: quantity.unwrap_or_default(),
            unit: at.text("unit", problems),
            quantity_ordered: at.decimal("quantity_ordered", problems),
            item_ids: item_ids(*at, problems),
            description: at.text("description", problems),
            package: holder,
        });
    }
}

/// Adds the package with this SSCC, or checks that what this row says of it agrees with what
/// an earlier row said.
#[allow(clippy::too_many_arguments)]
fn pack(
    s: &mut ShipNotice,
    at: &At<'_>,
    sscc: &str,
    level: &str,
    parent: Option<&str>,
    tracking: Option<String>,
    col: &str,
    problems: &mut Vec<Problem>,
) {
    match s
        .packages
        .iter_mut()
        .find(|p| p.sscc.as_deref() == Some(sscc))
    {
        None => s.packages.push(Package {
            sscc: Some(sscc.to_string()),
            marks: Vec::new(),
            level: level.to_string(),
            parent: parent.map(String::from),
            tracking_number: tracking,
            lines: Vec::new(),
        }),
        Some(p) => {
            let why = if p.level != level {
                Some(format!(
                    "is a {} on an earlier row and a {level} here: one SSCC is one package",
                    p.level
                ))
            } else if p.parent.as_deref() != parent {
                Some(format!(
                    "is on pallet {} on an earlier row and on {} here: one carton is on one pallet",
                    p.parent.as_deref().unwrap_or("none"),
                    parent.unwrap_or("none")
                ))
            } else if tracking.is_some()
                && p.tracking_number.is_some()
                && p.tracking_number != tracking
            {
                Some("has another tracking number on an earlier row: one package has one".into())
            } else {
                None
            };
            match why {
                Some(why) => problems.push(at.problem(col, Some(sscc), why)),
                None if p.tracking_number.is_none() => p.tracking_number = tracking,
                None => {}
            }
        }
    }
}

fn invoice_lines(i: &mut Invoice, lines: &[At<'_>], problems: &mut Vec<Problem>) {
    let mut seen = Vec::new();
    for (index, at) in lines.iter().enumerate() {
        let line_number = line_number(*at, index, &mut seen, problems);
        let quantity = quantity(*at, problems);
        let unit_price = at.decimal("unit_price", problems);
        // `line_amount` is computed by the import writer (quantity × unit price): read back,
        // it can only confirm the other two.
        if let (Some(amount), Some(q), Some(p)) =
            (at.decimal("line_amount", problems), quantity, unit_price)
            && q.checked_mul(p) != Some(amount)
        {
            problems.push(at.problem(
                "line_amount",
                at.cell("line_amount"),
                format!("is not quantity × unit price ({q} × {p}): correct the price or the quantity in the ERP"),
            ));
        }
        i.lines.push(InvoiceLine {
            line_number,
            quantity: quantity.unwrap_or_default(),
            unit: at.text("unit", problems),
            unit_price,
            item_ids: item_ids(*at, problems),
            description: at.text("description", problems),
            allowances_charges: Vec::new(),
            taxes: Vec::new(),
        });
    }
}

/// A computed count column (`line_count`, `package_count`) read back as a cross-check.
fn check_count(head: At<'_>, col: &str, actual: usize, problems: &mut Vec<Problem>) {
    let Some(v) = head.cell(col) else { return };
    if v.parse::<usize>().ok() != Some(actual) {
        problems.push(head.problem(
            col,
            Some(v),
            format!("does not match the {actual} the export's rows make: a row lost or added; export the document again"),
        ));
    }
}
