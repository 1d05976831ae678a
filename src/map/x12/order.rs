//! 850 purchase order → [`Order`].

use super::common::{
    Ctx, PartyLoop, absent, allowance_charge, append_description, dated, item_ids, purpose,
    reference, tax, terms, text, text_ref,
};
use crate::model::{Order, OrderLine, Purpose, Source, Totals};
use crate::syntax::Fields;

pub fn map(ctx: &mut Ctx<'_>, segs: &[Fields<'_>], source: Source) -> Option<Order> {
    let mut order = Order {
        order_number: String::new(),
        order_date: None,
        purpose: Purpose::Original,
        order_type: None,
        currency: None,
        parties: Vec::new(),
        // One count of the PO1s spares the lines' regrowth.
        lines: Vec::with_capacity(segs.iter().filter(|s| s.tag == b"PO1").count()),
        references: Vec::new(),
        dates: Vec::new(),
        terms: None,
        allowances_charges: Vec::new(),
        taxes: Vec::new(),
        totals: Totals::default(),
        notes: Vec::new(),
        source,
    };
    let mut beg: Option<&Fields<'_>> = None;
    // Header parties only: an N1 inside a PO1 loop is line-level.
    let mut parties = PartyLoop::default();
    let mut in_line = false;

    for seg in segs {
        let tag = seg.tag;
        if parties.detail(seg, &mut order.parties) {
            continue;
        }
        match tag {
            b"BEG" => {
                beg = Some(seg);
                order.purpose = purpose(seg.value(1));
                order.order_type = text(seg, 2);
                order.order_number = text(seg, 3).unwrap_or_default();
                if let Some(release) = text(seg, 4) {
                    order.references.push(crate::model::Reference {
                        qualifier: "release".into(),
                        value: release,
                        description: None,
                    });
                }
                order.order_date = ctx.date(seg, 5);
            }
            b"CUR" => order.currency = text(seg, 2),
            b"REF" if !in_line => order.references.extend(reference(seg)),
            b"ITD" => order.terms = Some(terms(ctx, seg)),
            b"DTM" => {
                if let Some(d) = dated(ctx, seg) {
                    match order.lines.last_mut() {
                        Some(l) if in_line => l.dates.push(d),
                        _ => order.dates.push(d),
                    }
                }
            }
            b"MSG" => order.notes.extend(text(seg, 1)),
            b"NTE" => order.notes.extend(text(seg, 2)),
            b"N9" if !in_line => order.references.extend(reference(seg)),
            b"N1" if !in_line => parties.open(seg, &mut order.parties),
            b"SAC" => {
                if let Some(ac) = allowance_charge(ctx, seg) {
                    match order.lines.last_mut() {
                        Some(l) if in_line => l.allowances_charges.push(ac),
                        _ => order.allowances_charges.push(ac),
                    }
                }
            }
            b"TXI" => {
                let t = tax(ctx, seg);
                match order.lines.last_mut() {
                    Some(l) if in_line => l.taxes.push(t),
                    _ => order.taxes.push(t),
                }
            }
            b"PO1" => {
                in_line = true;
                let number = text(seg, 1).unwrap_or_else(|| (order.lines.len() + 1).to_string());
                let quantity = match ctx.number(seg, 2) {
                    Some(q) => q,
                    None => {
                        let what = absent(seg, 2);
                        ctx.error(
                            seg,
                            2,
                            format!("PO102 (quantity ordered) {what} on line {number}"),
                        );
                        continue;
                    }
                };
                order.lines.push(OrderLine {
                    line_number: number,
                    quantity,
                    unit: text(seg, 3),
                    unit_price: ctx.number(seg, 4),
                    price_basis: text(seg, 5),
                    item_ids: item_ids(seg, 6),
                    description: None,
                    dates: Vec::new(),
                    allowances_charges: Vec::new(),
                    taxes: Vec::new(),
                });
            }
            b"PID" if in_line => {
                if let Some(l) = order.lines.last_mut() {
                    append_description(&mut l.description, seg);
                }
            }
            b"CTT" => {
                in_line = false;
                order.totals.line_count = ctx.whole(seg, 1);
                order.totals.hash_total = ctx.number(seg, 2);
            }
            b"AMT" if text_ref(seg, 1).as_deref() == Some("TT") => {
                order.totals.amount = ctx.number(seg, 2);
            }
            _ => {}
        }
    }
    parties.finish(&mut order.parties);
    let Some(beg) = beg else {
        let st = &segs[0];
        ctx.error(
            st,
            0,
            "the purchase order has no BEG segment, so it has no order number",
        );
        return None;
    };
    if order.order_number.is_empty() {
        ctx.error(
            beg,
            3,
            "BEG03 (purchase order number) is empty: an order needs a number",
        );
        return None;
    }
    Some(order)
}
