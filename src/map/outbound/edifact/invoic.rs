//! An invoice → the body of an INVOIC (BGM to the summary section).

use super::desadv::line_number;
use super::values::{Out, Version, comp, el, none, purpose_code};
use crate::map::outbound::{Body, Error, Profile};
use crate::model::{
    AllowanceCharge, AllowanceOrCharge, DatedEvent, Invoice, InvoiceLine, Reference, Tax, Terms,
};
use rust_decimal::Decimal;

/// The invoice message of an invoice. See the module documentation of
/// [`crate::map::outbound::edifact`] for what is written where and what reads back.
pub fn invoic(inv: &Invoice, p: &Profile) -> Result<Body, Error> {
    let mut w = Out::new(Version::of(&p.version)?);
    let v = w.v;
    let number = w.required(
        "invoice_number",
        &inv.invoice_number,
        "1004",
        "BGM 1004 numbers the invoice",
    )?;
    if inv.lines.is_empty() {
        return Err(Error::Missing {
            field: "lines".into(),
            why: "an invoice bills lines",
        });
    }
    let total = match (inv.total_amount, inv.totals.amount) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::Unrepresentable {
                field: "totals.amount".into(),
                value: b.to_string(),
                why: format!("it differs from total_amount {a}, and both are MOA+77"),
            });
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => {
            return Err(Error::Missing {
                field: "total_amount".into(),
                why: "an INVOIC's summary states the invoice amount (MOA+77)",
            });
        }
    };
    let code = document_code(inv.invoice_type.as_deref())?;
    w.seg(
        "BGM",
        vec![el(code), el(number), el(purpose_code(inv.purpose)?)],
    );

    let dates = dates(inv)?;
    w.at_most("dates", dates.len(), 35, "INVOIC header (DTM)")?;
    for (i, d) in dates.iter().enumerate() {
        w.dtm(&format!("dates[{i}]"), d)?;
    }
    w.at_most(
        "notes",
        inv.notes.len(),
        if v == Version::D96A { 10 } else { 99 },
        "INVOIC header (FTX)",
    )?;
    for (i, n) in inv.notes.iter().enumerate() {
        let parts = w.parts(&format!("notes[{i}]"), n, "4440", 5)?;
        // AAI: general information.
        w.seg(
            "FTX",
            vec![el("AAI"), none(), none(), Element::composite(parts)],
        );
    }

    let refs = references(inv)?;
    w.at_most("references", refs.len(), 99, "INVOIC header (SG1 RFF)")?;
    let mut order_date = inv.order_date;
    for (i, r) in refs.iter().enumerate() {
        w.rff(&format!("references[{i}]"), r)?;
        if r.qualifier == "ON"
            && let Some(date) = order_date.take()
        {
            let d = DatedEvent {
                qualifier: "171".into(),
                date,
                time: None,
            };
            w.dtm("order_date", &d)?;
        }
    }
    if order_date.is_some() {
        return Err(Error::Missing {
            field: "order_number".into(),
            why: "the order date is sent after the order number (RFF+ON, DTM+171)",
        });
    }

    w.at_most("parties", inv.parties.len(), 99, "INVOIC (SG2 NAD)")?;
    for (i, party) in inv.parties.iter().enumerate() {
        w.party(&format!("parties[{i}]"), party)?;
    }
    if let Some(c) = &inv.currency {
        let c = w.text("currency", c, "6345")?;
        // 2: reference currency; 4: invoicing currency.
        w.seg("CUX", vec![comp(["2".into(), c, "4".into()])]);
    }
    if let Some(t) = &inv.terms {
        terms(&mut w, t)?;
    }
    for (i, ac) in inv.allowances_charges.iter().enumerate() {
        allowance_charge(&mut w, &format!("allowances_charges[{i}]"), ac)?;
    }

    let mut lines_total = Decimal::ZERO;
    for (i, l) in inv.lines.iter().enumerate() {
        let amount = line(&mut w, i, l)?;
        lines_total = lines_total
            .checked_add(amount)
            .ok_or_else(|| overflow("lines", amount))?;
    }

    w.seg("UNS", vec![el("S")]);
    if let Some(n) = inv.totals.line_count
        && n != inv.lines.len() as u64
    {
        return Err(Error::Unrepresentable {
            field: "totals.line_count".into(),
            value: n.to_string(),
            why: format!("CNT+2 counts the {} lines written", inv.lines.len()),
        });
    }
    w.seg("CNT", vec![comp(["2".into(), inv.lines.len().to_string()])]);
    if let Some(h) = inv.totals.hash_total {
        let h = w.number("totals.hash_total", h, "6066")?;
        w.seg("CNT", vec![comp(["1".into(), h])]);
    }
    // The summary amounts precede the TAX groups: a MOA after a TAX is that tax's.
    let moa = |w: &mut Out, field: &str, q: &str, a: Decimal| -> Result<(), Error> {
        let a = w.number(field, a, "5004")?;
        w.seg("MOA", vec![comp([q.into(), a])]);
        Ok(())
    };
    moa(&mut w, "lines", "79", lines_total)?;
    if let Some(taxable) = taxable(lines_total, &inv.allowances_charges) {
        moa(&mut w, "allowances_charges", "125", taxable)?;
    }
    if let Some(tax) = tax_total(inv) {
        moa(&mut w, "taxes", "124", tax)?;
    }
    moa(&mut w, "total_amount", "77", total)?;
    w.at_most("taxes", inv.taxes.len(), 10, "INVOIC summary (TAX)")?;
    for (i, t) in inv.taxes.iter().enumerate() {
        tax(&mut w, &format!("taxes[{i}]"), t)?;
    }
    Ok(Body {
        set_id: "INVOIC",
        functional_id: "",
        segments: w.segments,
    })
}

use crate::syntax::x12::Element;

fn overflow(field: &str, at: Decimal) -> Error {
    Error::Unrepresentable {
        field: field.into(),
        value: at.to_string(),
        why: "the sum of the line amounts overflows a decimal".into(),
    }
}

/// BGM 1001: 380 commercial invoice unless the type says otherwise; the X12 codes of a credit
/// (`CR`, `CN`) become 381, of a debit (`DI`, `DR`) 383; a UNCL 1001 code is kept.
fn document_code(t: Option<&str>) -> Result<String, Error> {
    Ok(match t {
        None => "380".into(),
        Some("CR" | "CN") => "381".into(),
        Some("DI" | "DR") => "383".into(),
        Some(c) if !c.is_empty() && c.len() <= 3 && c.bytes().all(|b| b.is_ascii_digit()) => {
            c.into()
        }
        Some(c) => {
            return Err(Error::Unrepresentable {
                field: "invoice_type".into(),
                value: c.into(),
                why: "it is no UNCL 1001 document code, and no X12 code known to have one".into(),
            });
        }
    })
}

/// The header dates: `dates`, with the invoice date (DTM 137) first when `dates` has none.
fn dates(inv: &Invoice) -> Result<Vec<DatedEvent>, Error> {
    let d137 = inv.dates.iter().find(|d| d.qualifier == "137");
    let mut out = Vec::with_capacity(inv.dates.len() + 1);
    match (inv.invoice_date, d137) {
        (Some(date), None) => out.push(DatedEvent {
            qualifier: "137".into(),
            date,
            time: None,
        }),
        (Some(date), Some(d)) if d.date != date => {
            return Err(Error::Unrepresentable {
                field: "invoice_date".into(),
                value: date.to_string(),
                why: format!("the document date (DTM 137) in dates says {}", d.date),
            });
        }
        (None, None) if inv.dates.is_empty() => {
            return Err(Error::Missing {
                field: "invoice_date".into(),
                why: "an INVOIC needs a date (DTM 137)",
            });
        }
        _ => {}
    }
    out.extend(inv.dates.iter().cloned());
    Ok(out)
}

/// The header references: the order number first (RFF+ON) when `references` has none, then
/// `references`.
fn references(inv: &Invoice) -> Result<Vec<Reference>, Error> {
    let on = inv.references.iter().find(|r| r.qualifier == "ON");
    let mut out = Vec::with_capacity(inv.references.len() + 1);
    match (&inv.order_number, on) {
        (Some(o), None) => out.push(Reference {
            qualifier: "ON".into(),
            value: o.clone(),
            description: None,
        }),
        (Some(o), Some(r)) if &r.value != o => {
            return Err(Error::Unrepresentable {
                field: "order_number".into(),
                value: o.clone(),
                why: format!("the first RFF+ON in references says '{}'", r.value),
            });
        }
        _ => {}
    }
    out.extend(inv.references.iter().cloned());
    Ok(out)
}

/// `PAT+1+code:::description+5:3:D:net days`, and `PAT+22++5:3:D:days` with `PCD+12:percent`
/// for the discount. Read by partners; our reader keeps no terms.
fn terms(w: &mut Out, t: &Terms) -> Result<(), Error> {
    let c110 = match (&t.code, &t.description) {
        (Some(c), d) => comp([
            w.text("terms.code", c, "4277")?,
            String::new(),
            String::new(),
            w.opt("terms.description", d.as_deref(), "4276")?,
        ]),
        (None, Some(_)) => {
            return Err(Error::Missing {
                field: "terms.code".into(),
                why: "PAT carries a terms description with its terms id (C110 4277)",
            });
        }
        (None, None) => none(),
    };
    // 5: date of invoice; 3: after reference; D: days.
    let after = |w: &Out, field: &str, days: Option<u32>| -> Result<Element, Error> {
        Ok(match days {
            Some(d) => comp([
                "5".into(),
                "3".into(),
                "D".into(),
                w.text(field, &d.to_string(), "2152")?,
            ]),
            None => none(),
        })
    };
    let net = after(w, "terms.net_days", t.net_days)?;
    w.seg("PAT", vec![el("1"), c110, net]);
    if t.discount_percent.is_some() || t.discount_days.is_some() {
        let days = after(w, "terms.discount_days", t.discount_days)?;
        w.seg("PAT", vec![el("22"), none(), days]);
        if let Some(p) = t.discount_percent {
            let p = w.number("terms.discount_percent", p, "5482")?;
            // 12: discount.
            w.seg("PCD", vec![comp(["12".into(), p])]);
        }
    }
    Ok(())
}

/// `ALC+A|C++++code:::description`, `PCD` (percentage), `MOA+204|23` (amount): the order the
/// reader takes them in (a QTY or RTE between would end the allowance's group for it).
fn allowance_charge(w: &mut Out, field: &str, ac: &AllowanceCharge) -> Result<(), Error> {
    let (kind, pcd, moa) = match ac.kind {
        AllowanceOrCharge::Allowance => ("A", "1", "204"),
        AllowanceOrCharge::Charge => ("C", "2", "23"),
    };
    let code = w.opt(&format!("{field}.code"), ac.code.as_deref(), "7161")?;
    let desc = w.opt(
        &format!("{field}.description"),
        ac.description.as_deref(),
        "7160",
    )?;
    w.seg(
        "ALC",
        vec![
            el(kind),
            none(),
            none(),
            none(),
            comp([code, String::new(), String::new(), desc]),
        ],
    );
    if let Some(p) = ac.percent {
        let p = w.number(&format!("{field}.percent"), p, "5482")?;
        w.seg("PCD", vec![comp([pcd.into(), p])]);
    }
    if let Some(a) = ac.amount {
        let a = w.number(&format!("{field}.amount"), a, "5004")?;
        w.seg("MOA", vec![comp([moa.into(), a])]);
    }
    Ok(())
}

/// `TAX+7+type+++:::rate`, `MOA+124` (its amount).
fn tax(w: &mut Out, field: &str, t: &Tax) -> Result<(), Error> {
    let code = w.text(&format!("{field}.code"), &t.code, "5153")?;
    let rate = match t.percent {
        Some(p) => w.number(&format!("{field}.percent"), p, "5278")?,
        None => String::new(),
    };
    // 7: tax.
    w.seg(
        "TAX",
        vec![
            el("7"),
            comp([code]),
            none(),
            none(),
            comp([String::new(), String::new(), String::new(), rate]),
        ],
    );
    if let Some(a) = t.amount {
        let a = w.number(&format!("{field}.amount"), a, "5004")?;
        w.seg("MOA", vec![comp(["124".into(), a])]);
    }
    Ok(())
}

/// LIN, PIA, IMD, QTY+47, MOA+203 (quantity × price), PRI+AAA, TAX/MOA, ALC/PCD/MOA; the
/// line amount.
fn line(w: &mut Out, i: usize, l: &InvoiceLine) -> Result<Decimal, Error> {
    let f = format!("lines[{i}]");
    let number = line_number(w, &f, &l.line_number)?;
    let price = l.unit_price.ok_or_else(|| Error::Missing {
        field: format!("{f}.unit_price"),
        why: "an invoice line is billed at its price (PRI+AAA)",
    })?;
    let amount = l
        .quantity
        .checked_mul(price)
        .ok_or_else(|| overflow(&format!("{f}.unit_price"), price))?;
    let (item, pia) = w.item_ids(&format!("{f}.item_ids"), &l.item_ids, 25)?;
    w.seg("LIN", vec![el(number), none(), item]);
    w.segments.extend(pia);
    if let Some(d) = &l.description {
        w.description(&format!("{f}.description"), d, 10)?;
    }
    let unit = w.opt(&format!("{f}.unit"), l.unit.as_deref(), "6411")?;
    let q = w.number(&format!("{f}.quantity"), l.quantity, "6060")?;
    // 47: invoiced quantity.
    w.seg("QTY", vec![comp(["47".into(), q, unit])]);
    let a = w.number(
        &format!("{f} amount (quantity × unit_price)"),
        amount,
        "5004",
    )?;
    w.seg("MOA", vec![comp(["203".into(), a])]);
    let p = w.number(&format!("{f}.unit_price"), price, "5118")?;
    w.seg("PRI", vec![comp(["AAA".into(), p])]);
    w.at_most(&format!("{f}.taxes"), l.taxes.len(), 99, "line (TAX)")?;
    for (k, t) in l.taxes.iter().enumerate() {
        tax(w, &format!("{f}.taxes[{k}]"), t)?;
    }
    w.at_most(
        &format!("{f}.allowances_charges"),
        l.allowances_charges.len(),
        15,
        "line (ALC)",
    )?;
    for (k, ac) in l.allowances_charges.iter().enumerate() {
        allowance_charge(w, &format!("{f}.allowances_charges[{k}]"), ac)?;
    }
    Ok(amount)
}

/// MOA 125, the taxable amount: the lines, plus charges, less allowances; none when one of
/// those has no amount.
fn taxable(lines: Decimal, acs: &[AllowanceCharge]) -> Option<Decimal> {
    acs.iter().try_fold(lines, |sum, ac| match ac.kind {
        AllowanceOrCharge::Charge => sum.checked_add(ac.amount?),
        AllowanceOrCharge::Allowance => sum.checked_sub(ac.amount?),
    })
}

/// MOA 124, the total tax: of the invoice's taxes when they state amounts, else of the lines'.
fn tax_total(inv: &Invoice) -> Option<Decimal> {
    let sum = |taxes: &mut dyn Iterator<Item = &Tax>| {
        let amounts: Vec<Decimal> = taxes.filter_map(|t| t.amount).collect();
        if amounts.is_empty() {
            return None;
        }
        amounts
            .into_iter()
            .try_fold(Decimal::ZERO, |a, b| a.checked_add(b))
    };
    sum(&mut inv.taxes.iter()).or_else(|| sum(&mut inv.lines.iter().flat_map(|l| &l.taxes)))
}
