//! One pass over an EDIFACT message into a neutral form that ORDERS, DESADV and INVOIC share.
//!
//! The three messages use the same segments for the same things (BGM, DTM, RFF, NAD groups, CUX,
//! LIN/PIA/IMD/QTY/PRI items, ALC/TAX with their MOA and PCD, UNS, CNT); only which qualifier
//! means what differs. So the walk keeps every qualifier, and each message's mapping picks.

use super::common::{Composite, Ctx};
use super::parties::NadGroup;
use crate::map::common::append_spaced;
use crate::model::{AllowanceCharge, DatedEvent, ItemIds, Party, Reference, Tax};
use crate::syntax::Fields;
use crate::syntax::values;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// A qualified number (QTY 6063/6060/6411, PRI 5125/5118, MOA 5025/5004).
#[derive(Debug, Clone)]
pub struct Amount<'s> {
    /// Borrowed from the segment: most qualifiers are only compared.
    pub qualifier: Cow<'s, str>,
    pub value: Decimal,
    pub unit: Option<String>,
}

/// First value with one of the qualifiers, in the order given.
pub fn pick<'a, 's>(amounts: &'a [Amount<'s>], qualifiers: &[&str]) -> Option<&'a Amount<'s>> {
    qualifiers
        .iter()
        .find_map(|q| amounts.iter().find(|a| a.qualifier == *q))
}

/// One LIN group.
#[derive(Debug, Clone, Default)]
pub struct Item<'s> {
    pub line_number: String,
    pub item_ids: ItemIds,
    pub description: Option<String>,
    pub quantities: Vec<Amount<'s>>,
    pub prices: Vec<Amount<'s>>,
    pub amounts: Vec<Amount<'s>>,
    pub taxes: Vec<Tax>,
    pub allowances_charges: Vec<AllowanceCharge>,
    pub dates: Vec<DatedEvent>,
    pub references: Vec<Reference>,
    /// The CPS (DESADV packing level) the item was listed under.
    pub cps: Option<String>,
    /// The QTY (its place in the message) whose quantity could not be used: a line must not
    /// fall back to quantity 0 in silence.
    pub unusable_quantity: Option<usize>,
    /// The LIN's place in the message.
    pub at: usize,
}

/// One CPS packing level (DESADV) with its SSCC.
#[derive(Debug, Clone, Default)]
pub struct Cps {
    pub id: String,
    pub parent: Option<String>,
    pub sscc: Option<String>,
}

/// A transport stage (TDT).
#[derive(Debug, Clone, Default)]
pub struct Transport {
    pub mode: Option<String>,
    pub carrier_id: Option<String>,
    pub carrier_name: Option<String>,
}

/// The message, as read.
#[derive(Debug, Default)]
pub struct Walked<'s> {
    pub document_code: Option<String>,
    pub number: String,
    pub function: Option<String>,
    pub has_bgm: bool,
    pub dates: Vec<DatedEvent>,
    pub references: Vec<Reference>,
    /// Dates that follow a header RFF (RFF+ON then DTM+171: the order's date).
    pub reference_dates: Vec<(String, DatedEvent)>,
    pub parties: Vec<Party>,
    pub currency: Option<String>,
    pub notes: Vec<String>,
    pub allowances_charges: Vec<AllowanceCharge>,
    pub taxes: Vec<Tax>,
    pub amounts: Vec<Amount<'s>>,
    pub summary_amounts: Vec<Amount<'s>>,
    pub counts: Vec<Amount<'s>>,
    pub items: Vec<Item<'s>>,
    pub packages: Vec<Cps>,
    pub transport: Option<Transport>,
}

/// What the next MOA, PCD or DTM belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    None,
    Alc,
    Tax,
    Rff,
}

pub fn walk<'s>(ctx: &mut Ctx<'_>, segs: &[Fields<'s>]) -> Walked<'s> {
    let mut w = Walked {
        // One count of the LINs spares the items' regrowth.
        items: Vec::with_capacity(segs.iter().filter(|s| s.tag == b"LIN").count()),
        ..Walked::default()
    };
    let mut nad = NadGroup::default();
    let mut summary = false;
    let mut cps: Option<String> = None;
    let mut context = Context::None;
    for (at, seg) in segs.iter().enumerate() {
        if w.items.is_empty() && !summary && nad.take(ctx, seg, &mut w.parties) {
            continue;
        }
        let follows = std::mem::replace(&mut context, Context::None);
        let item = if summary { None } else { w.items.last_mut() };
        match seg.tag {
            b"BGM" => {
                w.has_bgm = true;
                w.document_code = ctx.text(seg, 1, 1);
                w.number = ctx.text(seg, 2, 1).unwrap_or_default();
                w.function = ctx.text(seg, 3, 1);
            }
            b"DTM" => {
                if let Some(d) = ctx.dated(seg) {
                    match (item, follows) {
                        (Some(i), _) => i.dates.push(d),
                        (None, Context::Rff) => {
                            let q = w
                                .references
                                .last()
                                .map(|r| r.qualifier.clone())
                                .unwrap_or_default();
                            w.reference_dates.push((q, d));
                            context = Context::Rff;
                        }
                        (None, _) => w.dates.push(d),
                    }
                }
            }
            b"FTX" => w.notes.extend(ctx.joined(seg, 4)),
            b"RFF" => {
                if let Some(r) = ctx.reference(seg) {
                    match item {
                        Some(i) => i.references.push(r),
                        None => {
                            w.references.push(r);
                            context = Context::Rff;
                        }
                    }
                }
            }
            // The first CUX names the currency.
            b"CUX" if w.currency.is_none() => w.currency = ctx.text(seg, 1, 2),
            b"TDT" if w.transport.is_none() => {
                let c040 = Composite::of(seg, 5);
                let carrier = |c| c040.as_ref().and_then(|el| ctx.text_in(el, c));
                w.transport = Some(Transport {
                    mode: ctx.text(seg, 3, 1),
                    carrier_id: carrier(1),
                    carrier_name: carrier(4),
                });
            }
            b"ALC" => {
                if let Some(ac) = ctx.allowance_charge(seg) {
                    match item {
                        Some(i) => i.allowances_charges.push(ac),
                        None => w.allowances_charges.push(ac),
                    }
                    context = Context::Alc;
                }
            }
            b"TAX" => {
                let t = ctx.tax(seg);
                match item {
                    Some(i) => i.taxes.push(t),
                    None => w.taxes.push(t),
                }
                context = Context::Tax;
            }
            b"PCD" if follows == Context::Alc => {
                let pct = ctx.number(seg, 1, 2);
                let ac = match item {
                    Some(i) => i.allowances_charges.last_mut(),
                    None => w.allowances_charges.last_mut(),
                };
                if let Some(ac) = ac {
                    ac.percent = pct;
                }
                context = Context::Alc;
            }
            b"MOA" => {
                let Some(a) = amount(ctx, seg, Composite::of(seg, 1).as_ref()) else {
                    continue;
                };
                match follows {
                    Context::Alc => {
                        let ac = match item {
                            Some(i) => i.allowances_charges.last_mut(),
                            None => w.allowances_charges.last_mut(),
                        };
                        // MOA 25 is the basis the allowance is computed on, not its amount.
                        if let Some(ac) = ac
                            && ac.amount.is_none()
                            && a.qualifier != "25"
                        {
                            ac.amount = Some(a.value);
                        }
                        context = Context::Alc;
                    }
                    Context::Tax => {
                        let t = match item {
                            Some(i) => i.taxes.last_mut(),
                            None => w.taxes.last_mut(),
                        };
                        // Only a tax amount (124, 150 VAT, 176 total duty/tax); MOA 125 after
                        // a TAX is the taxable amount it was computed on.
                        if let Some(t) = t
                            && t.amount.is_none()
                            && matches!(&*a.qualifier, "124" | "150" | "176")
                        {
                            t.amount = Some(a.value);
                        }
                        context = Context::Tax;
                    }
                    _ => match item {
                        Some(i) => i.amounts.push(a),
                        None if summary => w.summary_amounts.push(a),
                        None => w.amounts.push(a),
                    },
                }
            }
            b"CPS" => {
                let id = ctx
                    .text(seg, 1, 1)
                    .unwrap_or_else(|| format!("#{}", seg.index));
                w.packages.push(Cps {
                    id: id.clone(),
                    parent: ctx.text(seg, 2, 1),
                    sscc: None,
                });
                cps = Some(id);
            }
            b"GIN" => {
                // GIN+BJ: SSCC of the package the current CPS (or item) describes.
                if Composite::of(seg, 1)
                    .and_then(|c| ctx.text_ref(&c, 1))
                    .as_deref()
                    == Some("BJ")
                    && let Some(p) = w.packages.last_mut()
                    && p.sscc.is_none()
                {
                    p.sscc = ctx.text(seg, 2, 1);
                }
            }
            b"LIN" => {
                let mut item_ids = ItemIds::default();
                ctx.item_ids_into(&mut item_ids, seg, 3..=3);
                w.items.push(Item {
                    line_number: ctx
                        .text(seg, 1, 1)
                        .unwrap_or_else(|| (w.items.len() + 1).to_string()),
                    item_ids,
                    cps: cps.clone(),
                    at,
                    ..Item::default()
                });
            }
            b"PIA" => {
                if let Some(i) = item {
                    ctx.item_ids_into(&mut i.item_ids, seg, 2..=6);
                }
            }
            b"IMD" => {
                // C273 7008, free-form description, in two parts; both go on the line's.
                if let Some(i) = item
                    && let Some(c273) = Composite::of(seg, 3)
                {
                    for d in [4, 5].into_iter().filter_map(|c| ctx.text_ref(&c273, c)) {
                        append_spaced(&mut i.description, d);
                    }
                }
            }
            b"QTY" => {
                let before = ctx.findings.len();
                let a = amount(ctx, seg, Composite::of(seg, 1).as_ref());
                match (item, a) {
                    (Some(i), Some(a)) => i.quantities.push(a),
                    (Some(i), None) if ctx.findings.len() > before => {
                        i.unusable_quantity = Some(at);
                    }
                    _ => {}
                }
            }
            b"PRI" => {
                let c509 = Composite::of(seg, 1);
                if let (Some(i), Some(mut a)) = (item, amount(ctx, seg, c509.as_ref())) {
                    // C509 5284, the unit price basis: `PRI+AAA:3630.1724::NTP:100:C62` is the
                    // price of 100 pieces. The model's price is per unit.
                    let basis = c509.as_ref().and_then(|el| ctx.number_in(seg, el, 5));
                    if let Some(basis) = basis {
                        match per_unit(a.value, basis) {
                            Some(v) => a.value = v,
                            None => {
                                let why = if basis <= Decimal::ZERO {
                                    format!("its unit price basis {basis} is not a number of units")
                                } else {
                                    format!(
                                        "it is the price of {basis} units, and the price of one is no decimal that holds it exactly"
                                    )
                                };
                                ctx.error(
                                    seg,
                                    1,
                                    format!("PRI {} {why}; the price is not used", a.value),
                                );
                                continue;
                            }
                        }
                    }
                    i.prices.push(a);
                }
            }
            b"UNS" => summary = true,
            b"CNT" => {
                let Some(a) = amount(ctx, seg, Composite::of(seg, 1).as_ref()) else {
                    continue;
                };
                // CNT 2 is the number of lines: a fraction or a negative number is no count.
                if a.qualifier == "2"
                    && (a.value.fract() != Decimal::ZERO || a.value.is_sign_negative())
                {
                    let v = a.value.to_string();
                    ctx.refuse(seg, 1, 2, v.as_bytes(), values::Error::NotACount);
                    continue;
                }
                w.counts.push(a);
            }
            _ => {}
        }
    }
    nad.finish(&mut w.parties);
    w
}

/// The price of one unit, from the price of `basis` units: exact, or none (a basis that is not
/// positive, or a quotient a decimal does not hold exactly).
fn per_unit(price: Decimal, basis: Decimal) -> Option<Decimal> {
    if basis <= Decimal::ZERO {
        return None;
    }
    if basis == Decimal::ONE {
        return Some(price);
    }
    let unit = price.checked_div(basis)?;
    // Exact only if unit × basis is the price again, multiplied without rounding (a decimal
    // product rounds to 28 digits: 3.33…3 × 3 would come back as 10).
    let times = unit.mantissa().checked_mul(basis.mantissa())?;
    let (a, b) = same_scale(
        (times, unit.scale() + basis.scale()),
        (price.mantissa(), price.scale()),
    )?;
    (a == b).then_some(unit)
}

/// Two mantissas with their scales, brought to the larger scale (none on overflow).
fn same_scale((a, sa): (i128, u32), (b, sb): (i128, u32)) -> Option<(i128, i128)> {
    let up = |m: i128, by: u32| m.checked_mul(10i128.checked_pow(by)?);
    if sa >= sb {
        Some((a, up(b, sa - sb)?))
    } else {
        Some((up(a, sb - sa)?, b))
    }
}

/// The first composite's qualifier, value and (QTY) unit.
fn amount<'s>(
    ctx: &mut Ctx<'_>,
    seg: &Fields<'_>,
    first: Option<&Composite<'s>>,
) -> Option<Amount<'s>> {
    let el = first?;
    Some(Amount {
        qualifier: ctx.text_ref(el, 1)?,
        value: ctx.number_in(seg, el, 2)?,
        unit: ctx.text_in(el, 3),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_price_for_many_units_is_read_per_unit_exactly_or_not_at_all() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(per_unit(d("3630.1724"), d("100")), Some(d("36.301724")));
        assert_eq!(per_unit(d("60"), d("12")), Some(d("5")));
        assert_eq!(per_unit(d("9.83"), d("1")), Some(d("9.83")));
        // 10 for 3 pieces is no decimal price per piece; a basis of 0 or less is no basis.
        assert_eq!(per_unit(d("10"), d("3")), None);
        assert_eq!(per_unit(d("10"), d("0")), None);
        assert_eq!(per_unit(d("10"), d("-2")), None);
    }
}
