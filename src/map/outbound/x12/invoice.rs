//! [`Invoice`] → 810 body: heading (BIG to DTM), IT1 loops, summary (TDS to CTT).

use super::common::{dated, item_id_pairs, parties, purpose_code, reference};
use super::ship_notice::{computed_hash, description};
use super::write::{Value, Writer};
use crate::map::outbound::{Body, Error, Profile};
use crate::model::{AllowanceCharge, AllowanceOrCharge, Invoice, Purpose, Tax};

pub fn write(inv: &Invoice, p: &Profile) -> Result<Body, Error> {
    let mut w = Writer::new(&p.version, "810")?;
    if inv.invoice_number.is_empty() {
        return Err(Error::Missing {
            field: "invoice_number".into(),
            why: "BIG02 identifies the invoice",
        });
    }
    // TDS01 is read back as both total_amount and totals.amount.
    let total = match (inv.total_amount, inv.totals.amount) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::Unrepresentable {
                field: "totals.amount".into(),
                value: b.to_string(),
                why: format!("TDS01 carries one total, and total_amount is {a}"),
            });
        }
        (a, b) => a.or(b).ok_or(Error::Missing {
            field: "total_amount".into(),
            why: "TDS01 (the invoice total) is mandatory",
        })?,
    };
    w.seg("BIG")?
        .el(1, "invoice_date", inv.invoice_date.map(Value::Date))?
        .val(2, "invoice_number", Value::Text(&inv.invoice_number))?
        .el(3, "order_date", inv.order_date.map(Value::Date))?
        .text(4, "order_number", inv.order_number.as_deref())?
        .text(7, "invoice_type", inv.invoice_type.as_deref())?
        .el(
            8,
            "purpose",
            match inv.purpose {
                // Readers take an absent BIG08 as an original.
                Purpose::Original => None,
                other => Some(Value::Code(purpose_code(other, "purpose")?)),
            },
        )?
        .done()?;
    w.at_most(&inv.notes, &["NTE"], "notes")?;
    for (i, n) in inv.notes.iter().enumerate() {
        w.seg("NTE")?
            .val(2, &format!("notes[{i}]"), Value::Text(n))?
            .done()?;
    }
    if let Some(c) = &inv.currency {
        // CUR01 SE: the currency is the seller's; readers keep only CUR02.
        w.seg("CUR")?
            .code(1, "SE")?
            .val(2, "currency", Value::Text(c))?
            .done()?;
    }
    w.at_most(&inv.references, &["REF"], "references")?;
    for (i, r) in inv.references.iter().enumerate() {
        reference(&mut w, r, &format!("references[{i}]"))?;
    }
    parties(&mut w, &inv.parties, &[])?;
    if let Some(t) = &inv.terms {
        w.seg("ITD")?
            .text(1, "terms.code", t.code.as_deref())?
            .num(3, "terms.discount_percent", t.discount_percent)?
            .el(
                5,
                "terms.discount_days",
                t.discount_days.map(|d| Value::Count(d.into())),
            )?
            .el(
                7,
                "terms.net_days",
                t.net_days.map(|d| Value::Count(d.into())),
            )?
            .text(12, "terms.description", t.description.as_deref())?
            .done()?;
    }
    w.at_most(&inv.dates, &["DTM"], "dates")?;
    for (i, d) in inv.dates.iter().enumerate() {
        dated(&mut w, d, &format!("dates[{i}]"))?;
    }
    for (li, l) in inv.lines.iter().enumerate() {
        let field = format!("lines[{li}]");
        if l.line_number.is_empty() {
            return Err(Error::Missing {
                field: format!("{field}.line_number"),
                why: "IT101 numbers the line",
            });
        }
        let pairs = item_id_pairs(&l.item_ids, &format!("{field}.item_ids"))?;
        let room = (w.positions("IT1") - 5) / 2;
        if pairs.len() > room {
            return Err(Error::Unrepresentable {
                field: pairs[room].2.clone(),
                value: pairs[room].1.to_string(),
                why: format!("IT1 holds {room} item ids"),
            });
        }
        let mut seg = w
            .seg("IT1")?
            .val(
                1,
                &format!("{field}.line_number"),
                Value::Text(&l.line_number),
            )?
            .val(2, &format!("{field}.quantity"), Value::Number(l.quantity))?
            .text(3, &format!("{field}.unit"), l.unit.as_deref())?
            .num(4, &format!("{field}.unit_price"), l.unit_price)?;
        for (k, (q, v, f)) in pairs.iter().enumerate() {
            seg = seg
                .val(6 + 2 * k, f, Value::Code(q))?
                .val(7 + 2 * k, f, Value::Text(v))?;
        }
        seg.done()?;
        w.at_most(&l.taxes, &["IT1", "TXI"], &format!("{field}.taxes"))?;
        taxes(&mut w, &l.taxes, &format!("{field}.taxes"))?;
        description(
            &mut w,
            l.description.as_deref(),
            &format!("{field}.description"),
            "IT1",
        )?;
        w.at_most(
            &l.allowances_charges,
            &["IT1", "SAC"],
            &format!("{field}.allowances_charges"),
        )?;
        allowances_charges(
            &mut w,
            &l.allowances_charges,
            &format!("{field}.allowances_charges"),
            p,
        )?;
    }
    w.seg("TDS")?
        .val(1, "total_amount", Value::Number(total))?
        .done()?;
    w.at_most(&inv.taxes, &["TXI"], "taxes")?;
    taxes(&mut w, &inv.taxes, "taxes")?;
    w.at_most(&inv.allowances_charges, &["SAC"], "allowances_charges")?;
    allowances_charges(&mut w, &inv.allowances_charges, "allowances_charges", p)?;
    let count = inv.totals.line_count.unwrap_or(inv.lines.len() as u64);
    let hash = match inv.totals.hash_total {
        Some(h) => Some(h),
        None => computed_hash(&w, inv.lines.iter().map(|l| l.quantity)),
    };
    w.seg("CTT")?
        .val(1, "totals.line_count", Value::Count(count))?
        .num(2, "totals.hash_total", hash)?
        .done()?;
    Ok(Body {
        set_id: "810",
        functional_id: "IN",
        segments: w.segments,
    })
}

/// TXI: tax type, amount, percent.
fn taxes(w: &mut Writer, taxes: &[Tax], field: &str) -> Result<(), Error> {
    for (i, t) in taxes.iter().enumerate() {
        let f = format!("{field}[{i}]");
        w.seg("TXI")?
            .val(1, &format!("{f}.code"), Value::Text(&t.code))?
            .num(2, &format!("{f}.amount"), t.amount)?
            .num(3, &format!("{f}.percent"), t.percent)?
            .done()?;
    }
    Ok(())
}

/// SAC: indicator, code, amount (N2), percent with the profile's SAC06, rate, description.
fn allowances_charges(
    w: &mut Writer,
    acs: &[AllowanceCharge],
    field: &str,
    p: &Profile,
) -> Result<(), Error> {
    for (i, ac) in acs.iter().enumerate() {
        let f = format!("{field}[{i}]");
        if let Some(q) = ac.quantity {
            return Err(Error::Unrepresentable {
                field: format!("{f}.quantity"),
                value: q.to_string(),
                why: "SAC10 goes with a unit (SAC09, syntax note P0910) the model does not keep"
                    .into(),
            });
        }
        let indicator = match ac.kind {
            AllowanceOrCharge::Allowance => "A",
            AllowanceOrCharge::Charge => "C",
        };
        w.seg("SAC")?
            .code(1, indicator)?
            .text(2, &format!("{f}.code"), ac.code.as_deref())?
            .num(5, &format!("{f}.amount"), ac.amount)?
            .el(
                6,
                "profile.sac_percent_qualifier",
                ac.percent
                    .map(|_| Value::Code(p.sac_percent_qualifier.as_str())),
            )?
            .num(7, &format!("{f}.percent"), ac.percent)?
            .num(8, &format!("{f}.rate"), ac.rate)?
            .text(15, &format!("{f}.description"), ac.description.as_deref())?
            .done()?;
    }
    Ok(())
}
