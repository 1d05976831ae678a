//! ORDERS, DESADV and INVOIC from the walked message.

use super::common::{Ctx, purpose};
use super::walk::{Amount, Walked, pick};
use crate::model::{
    Carrier, Invoice, InvoiceLine, Order, OrderLine, Package, ShipLine, ShipNotice, Source, Totals,
};
use crate::syntax::Fields;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// A line whose wanted quantity is absent because its QTY could not be used: an error, so the
/// line never reaches the ERP with quantity 0 instead (the QTY's own finding says why).
/// A line without the quantity it needs is an error, never quantity 0: the QTY it has could
/// not be used, or it has none of the qualifiers `wanted` names.
/// `line` is the item's number, its LIN's place and the place of a QTY it could not use.
fn quantity_missing(
    ctx: &mut Ctx<'_>,
    segs: &[Fields<'_>],
    (number, lin, unusable): (&str, usize, Option<usize>),
    has_quantity: bool,
    wanted: &str,
) {
    if has_quantity {
        return;
    }
    match unusable {
        Some(at) => ctx.error(
            &segs[at],
            1,
            format!("line {number}: its quantity could not be used, so the line has none"),
        ),
        None => ctx.error(&segs[lin], 0, format!("line {number} has no {wanted}")),
    }
}

/// [`pick`] for a value whose parts are moved into the model.
fn pick_mut<'a, 's>(
    amounts: &'a mut [Amount<'s>],
    qualifiers: &[&str],
) -> Option<&'a mut Amount<'s>> {
    let at = qualifiers
        .iter()
        .find_map(|q| amounts.iter().position(|a| a.qualifier == *q))?;
    Some(&mut amounts[at])
}

fn totals(w: &Walked<'_>, amount: &[&str]) -> Totals {
    Totals {
        line_count: pick(&w.counts, &["2"]).and_then(|c| c.value.to_u64()),
        hash_total: pick(&w.counts, &["1"]).map(|c| c.value),
        amount: pick(&w.summary_amounts, amount).map(|a| a.value),
    }
}

/// A message needs a BGM with a document number; otherwise it is reported and left out.
fn numbered(ctx: &mut Ctx<'_>, w: &Walked<'_>, segs: &[Fields<'_>], what: &str) -> bool {
    if !w.has_bgm {
        ctx.error(
            &segs[0],
            0,
            format!("the {what} has no BGM segment, so it has no document number"),
        );
        return false;
    }
    if w.number.is_empty() {
        let bgm = segs.iter().find(|s| s.tag == b"BGM").unwrap_or(&segs[0]);
        ctx.error(
            bgm,
            2,
            format!("BGM 1004 (document number) is empty: a {what} needs a number"),
        );
        return false;
    }
    true
}

pub fn order(
    ctx: &mut Ctx<'_>,
    segs: &[Fields<'_>],
    w: Walked<'_>,
    source: Source,
) -> Option<Order> {
    if !numbered(ctx, &w, segs, "order") {
        return None;
    }
    let order_date = w
        .dates
        .iter()
        .find(|d| d.qualifier == "137")
        .map(|d| d.date);
    let totals = totals(&w, &["86", "128", "79"]);
    let purpose = purpose(w.function.as_deref());
    let lines = w
        .items
        .into_iter()
        .map(|mut i| {
            let q = pick_mut(&mut i.quantities, &["21", "1"]);
            quantity_missing(
                ctx,
                segs,
                (&i.line_number, i.at, i.unusable_quantity),
                q.is_some(),
                "ordered quantity (QTY+21, or QTY+1)",
            );
            let price = pick(&i.prices, &["AAA", "AAB", "INV", "CAL"]);
            OrderLine {
                quantity: q.as_ref().map_or(Decimal::ZERO, |q| q.value),
                unit: q.and_then(|q| q.unit.take()),
                unit_price: price.map(|p| p.value),
                price_basis: price.map(|p| p.qualifier.clone().into_owned()),
                line_number: i.line_number,
                item_ids: i.item_ids,
                description: i.description,
                dates: i.dates,
                allowances_charges: i.allowances_charges,
                taxes: i.taxes,
            }
        })
        .collect();
    Some(Order {
        order_number: w.number,
        order_date,
        purpose,
        order_type: w.document_code,
        currency: w.currency,
        totals,
        parties: w.parties,
        lines,
        references: w.references,
        dates: w
            .dates
            .into_iter()
            .filter(|d| d.qualifier != "137")
            .collect(),
        terms: None,
        allowances_charges: w.allowances_charges,
        taxes: w.taxes,
        notes: w.notes,
        source,
    })
}

pub fn ship_notice(
    ctx: &mut Ctx<'_>,
    segs: &[Fields<'_>],
    w: Walked<'_>,
    source: Source,
) -> Option<ShipNotice> {
    if !numbered(ctx, &w, segs, "ship notice") {
        return None;
    }
    let ship_date = pick_date(&w, &["11", "137"]);
    let mut order_refs: Vec<String> = Vec::new();
    let mut add_ref = |r: &str| {
        if !order_refs.iter().any(|o| o == r) {
            order_refs.push(r.to_string());
        }
    };
    let header_order = w
        .references
        .iter()
        .find(|r| r.qualifier == "ON")
        .map(|r| r.value.clone());
    if let Some(o) = &header_order {
        add_ref(o);
    }
    // Packages: every CPS with an SSCC; a CPS holding other packages is a tare (pallet).
    let sscc_of = |id: &str| {
        w.packages
            .iter()
            .find(|p| p.id == id)
            .and_then(|p| p.sscc.clone())
    };
    let nearest_sscc = |mut id: Option<String>| {
        let mut hops = 0;
        while let Some(cur) = id {
            if let Some(s) = sscc_of(&cur) {
                return Some(s);
            }
            id = w
                .packages
                .iter()
                .find(|p| p.id == cur)
                .and_then(|p| p.parent.clone());
            hops += 1;
            if hops > w.packages.len() {
                break;
            }
        }
        None
    };
    let mut packages: Vec<Package> = w
        .packages
        .iter()
        .filter(|p| p.sscc.is_some())
        .map(|p| Package {
            sscc: p.sscc.clone(),
            marks: Vec::new(),
            level: if w
                .packages
                .iter()
                .any(|c| c.parent.as_deref() == Some(&p.id) && c.sscc.is_some())
            {
                "tare".into()
            } else {
                "pack".into()
            },
            parent: nearest_sscc(p.parent.clone()),
            tracking_number: None,
            lines: Vec::new(),
        })
        .collect();
    let mut lines = Vec::new();
    for i in &w.items {
        let order_number = i
            .references
            .iter()
            .find(|r| r.qualifier == "ON")
            .map(|r| r.value.clone())
            .or_else(|| header_order.clone());
        if let Some(o) = &order_number {
            add_ref(o);
        }
        let shipped = pick(&i.quantities, &["12", "1"]);
        // "0 dispatched" means a backorder: a line that says nothing must not say that.
        quantity_missing(
            ctx,
            segs,
            (&i.line_number, i.at, i.unusable_quantity),
            shipped.is_some(),
            "dispatched quantity (QTY+12, or QTY+1), so what was shipped is unknown",
        );
        let package = nearest_sscc(i.cps.clone());
        if let Some(p) = packages
            .iter_mut()
            .find(|p| p.sscc == package && package.is_some())
        {
            p.lines.push(i.line_number.clone());
        }
        lines.push(ShipLine {
            line_number: i.line_number.clone(),
            order_number,
            quantity: shipped.map_or(Decimal::ZERO, |q| q.value),
            unit: shipped.and_then(|q| q.unit.clone()),
            quantity_ordered: pick(&i.quantities, &["21"]).map(|q| q.value),
            item_ids: i.item_ids.clone(),
            description: i.description.clone(),
            package,
        });
    }
    let carrier = w.transport.as_ref().map(|t| Carrier {
        scac: t.carrier_id.clone(),
        name: t.carrier_name.clone(),
        mode: t.mode.clone(),
        service_level: None,
    });
    let bill_of_lading = w
        .references
        .iter()
        .find(|r| r.qualifier == "BM")
        .map(|r| r.value.clone());
    let tracking_numbers = w
        .references
        .iter()
        .filter(|r| r.qualifier == "CN")
        .map(|r| r.value.clone())
        .collect();
    Some(ShipNotice {
        shipment_id: w.number.clone(),
        ship_date,
        ship_time: w
            .dates
            .iter()
            .find(|d| d.qualifier == "11")
            .and_then(|d| d.time),
        purpose: purpose(w.function.as_deref()),
        order_refs,
        carrier,
        tracking_numbers,
        bill_of_lading,
        totals: totals(&w, &[]),
        parties: w.parties,
        references: w.references,
        dates: w.dates,
        packages,
        lines,
        source,
    })
}

fn pick_date(w: &Walked<'_>, qualifiers: &[&str]) -> Option<jiff::civil::Date> {
    qualifiers
        .iter()
        .find_map(|q| w.dates.iter().find(|d| d.qualifier == *q))
        .map(|d| d.date)
}

pub fn invoice(
    ctx: &mut Ctx<'_>,
    segs: &[Fields<'_>],
    w: Walked<'_>,
    source: Source,
) -> Option<Invoice> {
    if !numbered(ctx, &w, segs, "invoice") {
        return None;
    }
    let order_number = w
        .references
        .iter()
        .find(|r| r.qualifier == "ON")
        .map(|r| r.value.clone());
    let order_date = w
        .reference_dates
        .iter()
        .find(|(q, d)| q == "ON" && matches!(d.qualifier.as_str(), "171" | "4"))
        .map(|(_, d)| d.date);
    let totals = totals(&w, &["77", "86", "39", "9", "79"]);
    let invoice_date = pick_date(&w, &["137", "3"]);
    let purpose = purpose(w.function.as_deref());
    let lines = w
        .items
        .into_iter()
        .map(|mut i| {
            let q = pick_mut(&mut i.quantities, &["47", "46", "12", "1"]);
            quantity_missing(
                ctx,
                segs,
                (&i.line_number, i.at, i.unusable_quantity),
                q.is_some(),
                "invoiced quantity (QTY+47, QTY+46, QTY+12 or QTY+1)",
            );
            InvoiceLine {
                quantity: q.as_ref().map_or(Decimal::ZERO, |q| q.value),
                unit: q.and_then(|q| q.unit.take()),
                unit_price: pick(&i.prices, &["AAA", "AAB", "INV", "CAL"]).map(|p| p.value),
                line_number: i.line_number,
                item_ids: i.item_ids,
                description: i.description,
                allowances_charges: i.allowances_charges,
                taxes: i.taxes,
            }
        })
        .collect();
    Some(Invoice {
        invoice_number: w.number,
        invoice_date,
        purpose,
        invoice_type: w.document_code,
        order_number,
        order_date,
        currency: w.currency,
        total_amount: totals.amount,
        totals,
        parties: w.parties,
        references: w.references,
        dates: w.dates,
        terms: None,
        lines,
        allowances_charges: w.allowances_charges,
        taxes: w.taxes,
        notes: w.notes,
        source,
    })
}
