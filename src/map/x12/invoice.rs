//! 810 invoice → [`Invoice`].

use super::common::{
    Ctx, PartyLoop, absent, allowance_charge, append_description, dated, item_ids, purpose,
    reference, tax, terms, text,
};
use crate::model::{Invoice, InvoiceLine, Purpose, Source, Totals};
use crate::syntax::Fields;

pub fn map(ctx: &mut Ctx<'_>, segs: &[Fields<'_>], source: Source) -> Option<Invoice> {
    let mut inv = Invoice {
        invoice_number: String::new(),
        invoice_date: None,
        purpose: Purpose::Original,
        invoice_type: None,
        order_number: None,
        order_date: None,
        currency: None,
        parties: Vec::new(),
        references: Vec::new(),
        dates: Vec::new(),
        terms: None,
        lines: Vec::with_capacity(segs.iter().filter(|s| s.tag == b"IT1").count()),
        allowances_charges: Vec::new(),
        taxes: Vec::new(),
        total_amount: None,
        totals: Totals::default(),
        notes: Vec::new(),
        source,
    };
    let mut big: Option<&Fields<'_>> = None;
    let mut parties = PartyLoop::default();
    let mut in_line = false;

    for seg in segs {
        if parties.detail(seg, &mut inv.parties) {
            continue;
        }
        match seg.tag {
            b"BIG" => {
                big = Some(seg);
                inv.invoice_date = ctx.date(seg, 1);
                inv.invoice_number = text(seg, 2).unwrap_or_default();
                inv.order_date = ctx.date(seg, 3);
                inv.order_number = text(seg, 4);
                inv.invoice_type = text(seg, 7);
                inv.purpose = purpose(seg.value(8));
            }
            b"NTE" => inv.notes.extend(text(seg, 2)),
            b"CUR" => inv.currency = text(seg, 2),
            b"REF" if !in_line => inv.references.extend(reference(seg)),
            b"N1" if !in_line => parties.open(seg, &mut inv.parties),
            b"ITD" => inv.terms = Some(terms(ctx, seg)),
            b"DTM" if !in_line => inv.dates.extend(dated(ctx, seg)),
            b"IT1" => {
                in_line = true;
                let number = text(seg, 1).unwrap_or_else(|| (inv.lines.len() + 1).to_string());
                let Some(quantity) = ctx.number(seg, 2) else {
                    ctx.error(
                        seg,
                        2,
                        format!(
                            "IT102 (quantity invoiced) {} on line {number}",
                            absent(seg, 2)
                        ),
                    );
                    continue;
                };
                inv.lines.push(InvoiceLine {
                    line_number: number,
                    quantity,
                    unit: text(seg, 3),
                    unit_price: ctx.number(seg, 4),
                    item_ids: item_ids(seg, 6),
                    description: None,
                    allowances_charges: Vec::new(),
                    taxes: Vec::new(),
                });
            }
            b"PID" if in_line => {
                if let Some(l) = inv.lines.last_mut() {
                    append_description(&mut l.description, seg);
                }
            }
            b"TDS" => {
                in_line = false;
                inv.total_amount = ctx.number(seg, 1);
                inv.totals.amount = inv.total_amount;
            }
            b"TXI" => {
                let t = tax(ctx, seg);
                match inv.lines.last_mut() {
                    Some(l) if in_line => l.taxes.push(t),
                    _ => inv.taxes.push(t),
                }
            }
            b"SAC" => {
                if let Some(ac) = allowance_charge(ctx, seg) {
                    match inv.lines.last_mut() {
                        Some(l) if in_line => l.allowances_charges.push(ac),
                        _ => inv.allowances_charges.push(ac),
                    }
                }
            }
            b"CTT" => {
                in_line = false;
                inv.totals.line_count = ctx.whole(seg, 1);
                inv.totals.hash_total = ctx.number(seg, 2);
            }
            _ => {}
        }
    }
    parties.finish(&mut inv.parties);
    let Some(big) = big else {
        ctx.error(
            &segs[0],
            0,
            "the invoice has no BIG segment, so it has no invoice number",
        );
        return None;
    };
    if inv.invoice_number.is_empty() {
        ctx.error(
            big,
            2,
            "BIG02 (invoice number) is empty: an invoice needs a number",
        );
        return None;
    }
    Some(inv)
}
