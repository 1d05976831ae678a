//! Business rules over canonical documents.
//!
//! Phase: business rules, run after grammar validation and mapping. A document that is
//! well-formed can still be wrong for business: a zero quantity, a CTT hash total that does not
//! add up, a GTIN with a bad check digit. [`check`] lists every such [`Violation`] in document
//! order; any violation rejects the document. The module is pure: it reads one document.
//!
//! ```
//! use tallyman::model::Document;
//! let json = r#"{"type":"order","order_number":"PO1","purpose":"original",
//!   "lines":[{"line_number":"1","quantity":"0","item_ids":{"sku":"AB-1"}}],
//!   "source":{"standard":"x12","set":"850"}}"#;
//! let doc: Document = serde_json::from_str(json).unwrap();
//! let found = tallyman::rules::check(&doc);
//! let rules: Vec<&str> = found.iter().map(|v| v.rule).collect();
//! assert_eq!(rules, ["ship_to_missing", "quantity_not_positive"]);
//! assert_eq!(found[1].message, "line 1 (SKU AB-1): quantity 0 is not greater than zero");
//! ```
//!
//! Rule codes:
//!
//! | code | applies to | fails when |
//! |---|---|---|
//! | `no_lines` | all | the document has no lines |
//! | `ship_to_missing` | orders | no party has the ship-to role |
//! | `date_out_of_range` | all | a header date (order, ship, invoice date) is outside 1990..=2100 |
//! | `quantity_not_positive` | orders, invoices | a line quantity is not > 0 (not checked on credit notes and cancellations) |
//! | `quantity_negative` | ship notices | a shipped quantity is < 0 (0 is a backorder) |
//! | `price_negative` | orders, invoices | a unit price is < 0 |
//! | `duplicate_line_number` | all | a line number repeats within the document |
//! | `line_count_mismatch` | orders, invoices | the stated line count differs from the lines |
//! | `hash_total_mismatch` | all | the stated hash total differs from the sum of quantities |
//! | `invoice_total_mismatch` | invoices | the stated total does not follow from lines, allowances, charges and tax |
//! | `bad_check_digit` | all | a GTIN, UPC, EAN or SSCC fails the GS1 mod-10 check digit |
//! | `malformed_gs1_id` | all | a GTIN, UPC, EAN or SSCC is not digits of a length its kind has |

pub mod presend;

use crate::diag::{Code, Controls, Finding};
use crate::model::{
    AllowanceCharge, AllowanceOrCharge, Document, Invoice, ItemIds, Order, Purpose, Role,
    ShipNotice, Tax, Totals,
};
use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// One broken business rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Stable rule code, snake_case (see the table in the module documentation).
    pub rule: &'static str,
    /// A plain sentence naming the values, e.g. "line 2 (SKU AB-1): quantity 0 is not greater
    /// than zero".
    pub message: String,
    /// The line number the failure is on, when it is on a line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    /// The line's SKU (or vendor/buyer part, GTIN, UPC: the first item id present).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

impl Violation {
    pub(crate) fn doc(rule: &'static str, message: String) -> Self {
        Violation {
            rule,
            message,
            line: None,
            item: None,
        }
    }
}

/// [`check`] as findings of the document at byte `offset` with its `controls`: one error each,
/// its rule code leading the message. `tallyman run` and `tallyman translate` both reject a
/// document with any, so a file means the same to both.
pub fn findings(doc: &Document, offset: usize, controls: &Controls) -> Vec<Finding> {
    check(doc)
        .into_iter()
        .map(|v| {
            let mut f = Finding::error(Code::BusinessRule, format!("{}: {}", v.rule, v.message))
                .at_offset(offset)
                .with_controls(controls);
            f.segment_position = Some(1);
            f
        })
        .collect()
}

/// Every business rule the document breaks, in document order (header, lines, totals).
pub fn check(doc: &Document) -> Vec<Violation> {
    let mut out = Vec::new();
    match doc {
        Document::Order(o) => check_order(o, &mut out),
        Document::ShipNotice(s) => check_ship_notice(s, &mut out),
        Document::Invoice(i) => check_invoice(i, &mut out),
        // An acknowledgment is the partner's verdict on what we sent: no business rule of
        // ours applies to it.
        Document::Acknowledgment(_) => {}
    }
    out
}

/// True when `digits` is a GTIN-8/12/13/14 or SSCC-18 whose last digit is the GS1 mod-10 check
/// digit of the others; false for anything else (other lengths, non-digits).
pub fn gs1_check_digit_ok(digits: &str) -> bool {
    matches!(digits.len(), 8 | 12 | 13 | 14 | 18)
        && digits.bytes().all(|b| b.is_ascii_digit())
        && expected_check_digit(digits) == digits.as_bytes()[digits.len() - 1] - b'0'
}

/// The GS1 check digit for the digits before the last: weights 3 and 1 alternate from the
/// rightmost body digit leftwards. `digits` must be ASCII digits, at least one.
fn expected_check_digit(digits: &str) -> u8 {
    let body = &digits.as_bytes()[..digits.len() - 1];
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// What the three line types have in common for the rules.
struct Line<'a> {
    number: &'a str,
    quantity: Decimal,
    unit_price: Option<Decimal>,
    ids: &'a ItemIds,
}

impl<'a> Line<'a> {
    fn new(
        number: &'a str,
        quantity: Decimal,
        unit_price: Option<Decimal>,
        ids: &'a ItemIds,
    ) -> Self {
        Line {
            number,
            quantity,
            unit_price,
            ids,
        }
    }

    /// The first item id present, with the name it goes by in messages.
    fn item(&self) -> Option<(&'static str, &str)> {
        let ids = self.ids;
        [
            ("SKU", &ids.sku),
            ("vendor part", &ids.vendor_part),
            ("buyer part", &ids.buyer_part),
            ("GTIN", &ids.gtin),
            ("UPC", &ids.upc),
            ("EAN", &ids.ean),
            ("ISBN", &ids.isbn),
        ]
        .into_iter()
        .find_map(|(kind, v)| v.as_deref().map(|v| (kind, v)))
        .or_else(|| ids.other.first().map(|q| ("item", q.value.as_str())))
    }

    fn violation(&self, rule: &'static str, what: String) -> Violation {
        let item = self.item();
        let at = match item {
            Some((kind, v)) => format!("line {} ({kind} {v})", self.number),
            None => format!("line {}", self.number),
        };
        Violation {
            rule,
            message: format!("{at}: {what}"),
            line: Some(self.number.to_string()),
            item: item.map(|(_, v)| v.to_string()),
        }
    }
}

/// How a line quantity must compare with zero.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sign {
    Positive,
    NonNegative,
    /// Credit notes and cancellations: quantities may carry either sign.
    Unchecked,
}

fn check_order(o: &Order, out: &mut Vec<Violation>) {
    check_date(out, "order date", o.order_date);
    // Marketplace feeds always give a ship-to address, so the rule holds for every source.
    if !o.parties.iter().any(|p| p.role == Role::ShipTo) {
        out.push(Violation::doc(
            "ship_to_missing",
            format!("order {} has no ship-to party", o.order_number),
        ));
    }
    let lines: Vec<Line> = o
        .lines
        .iter()
        .map(|l| Line::new(&l.line_number, l.quantity, l.unit_price, &l.item_ids))
        .collect();
    check_lines(out, "order", &o.order_number, &lines, Sign::Positive);
    check_line_count(out, &o.totals, lines.len());
    check_hash_total(out, &o.totals, &lines);
}

fn check_ship_notice(s: &ShipNotice, out: &mut Vec<Violation>) {
    check_date(out, "ship date", s.ship_date);
    for p in &s.packages {
        if let Some(sscc) = &p.sscc {
            check_sscc(out, sscc);
        }
    }
    let lines: Vec<Line> = s
        .lines
        .iter()
        .map(|l| Line::new(&l.line_number, l.quantity, None, &l.item_ids))
        .collect();
    // A shipped quantity of 0 is how an 856 reports a backordered line.
    check_lines(
        out,
        "ship notice",
        &s.shipment_id,
        &lines,
        Sign::NonNegative,
    );
    // No line-count check: many 856 guides have CTT01 count HL segments (shipment, order, pack
    // and item levels), not item lines, so a correct notice would fail it. CTT02 still sums the
    // shipped quantities (SN102) everywhere.
    check_hash_total(out, &s.totals, &lines);
}

fn check_invoice(inv: &Invoice, out: &mut Vec<Violation>) {
    check_date(out, "invoice date", inv.invoice_date);
    check_date(out, "order date", inv.order_date);
    let lines: Vec<Line> = inv
        .lines
        .iter()
        .map(|l| Line::new(&l.line_number, l.quantity, l.unit_price, &l.item_ids))
        .collect();
    let sign = if is_credit(inv) {
        Sign::Unchecked
    } else {
        Sign::Positive
    };
    check_lines(out, "invoice", &inv.invoice_number, &lines, sign);
    check_line_count(out, &inv.totals, lines.len());
    // 810 CTT02 and INVOIC CNT+1 are the same hash total of quantities as on orders.
    check_hash_total(out, &inv.totals, &lines);
    if let Some(total) = inv.total_amount {
        check_invoice_total(out, inv, total);
    }
}

/// Credit notes and cancellations carry returned or reversed quantities, which some senders
/// sign negative. Only codes that certainly mean a credit: X12 BIG07 `CR` credit memo and `CN`
/// credit note; UNCL 1001 `381` credit note and its variants `81`, `83`, `261`, `262`, `396`.
fn is_credit(inv: &Invoice) -> bool {
    inv.purpose == Purpose::Cancel
        || matches!(
            inv.invoice_type.as_deref(),
            Some("CR" | "CN" | "381" | "81" | "83" | "261" | "262" | "396")
        )
}

/// Only header dates: DTM lists may hold sentinels such as 9999-12-31 ("no end") on purpose.
fn check_date(out: &mut Vec<Violation>, what: &str, date: Option<Date>) {
    if let Some(d) = date
        && !(1990..=2100).contains(&d.year())
    {
        out.push(Violation::doc(
            "date_out_of_range",
            format!("{what} {d} is outside the years 1990 to 2100"),
        ));
    }
}

/// Up to this many lines, an unusual line number is looked for by looking back rather than
/// in a map.
const SCAN_LINES: usize = 48;

/// Finds repeated line numbers in one pass over the lines. Line numbers are nearly always 1, 2,
/// 3...: one below 1000 written without leading zeros is marked in a bit set (equal numbers,
/// equal text). Any other is looked for among the earlier lines, in a map when the document is
/// long (with a fast hasher: the numbers are the sender's, but a collision costs time only).
struct Repeats<'a> {
    small: [u64; 16],
    others: Option<HashMap<&'a str, usize, foldhash::fast::FixedState>>,
}

impl<'a> Repeats<'a> {
    fn new(lines: usize) -> Self {
        Repeats {
            small: [0; 16],
            others: (lines > SCAN_LINES).then(HashMap::default),
        }
    }

    /// The position of the first line before `lines[i]` with its number.
    fn earlier(&mut self, lines: &[Line<'a>], i: usize) -> Option<usize> {
        let number = lines[i].number;
        let look_back = || lines[..i].iter().position(|l| l.number == number);
        if let Some(k) = small_number(number) {
            let (word, bit) = (k / 64, 1u64 << (k % 64));
            if self.small[word] & bit == 0 {
                self.small[word] |= bit;
                return None;
            }
            return look_back();
        }
        match self.others.as_mut() {
            None => look_back(),
            Some(seen) => match seen.entry(number) {
                Entry::Occupied(e) => Some(*e.get()),
                Entry::Vacant(e) => {
                    e.insert(i);
                    None
                }
            },
        }
    }
}

/// `0` to `999` written without leading zeros, as its value.
fn small_number(s: &str) -> Option<usize> {
    match s.as_bytes() {
        [b'0'] => Some(0),
        b @ ([b'1'..=b'9'] | [b'1'..=b'9', _] | [b'1'..=b'9', _, _])
            if b.iter().all(u8::is_ascii_digit) =>
        {
            Some(b.iter().fold(0, |n, d| n * 10 + usize::from(d - b'0')))
        }
        _ => None,
    }
}

fn check_lines(out: &mut Vec<Violation>, kind: &str, number: &str, lines: &[Line], sign: Sign) {
    if lines.is_empty() {
        out.push(Violation::doc(
            "no_lines",
            format!("{kind} {number} has no lines"),
        ));
    }
    let mut repeats = Repeats::new(lines.len());
    for (i, l) in lines.iter().enumerate() {
        let q = l.quantity;
        if sign == Sign::Positive && q <= Decimal::ZERO {
            out.push(l.violation(
                "quantity_not_positive",
                format!("quantity {q} is not greater than zero"),
            ));
        }
        if sign == Sign::NonNegative && q < Decimal::ZERO {
            out.push(l.violation("quantity_negative", format!("quantity {q} is negative")));
        }
        if let Some(p) = l.unit_price
            && p < Decimal::ZERO
        {
            out.push(l.violation("price_negative", format!("unit price {p} is negative")));
        }
        if let Some(first) = repeats.earlier(lines, i) {
            out.push(l.violation(
                "duplicate_line_number",
                format!(
                    "line number {} is used more than once (positions {} and {} in the document)",
                    l.number,
                    first + 1,
                    i + 1
                ),
            ));
        }
        check_item_ids(out, l);
    }
}

fn check_item_ids(out: &mut Vec<Violation>, l: &Line) {
    let ids = l.ids;
    let kinds: [(&str, &Option<String>, &[usize], &str); 3] = [
        ("GTIN", &ids.gtin, &[8, 12, 13, 14], "8, 12, 13 or 14"),
        ("UPC", &ids.upc, &[11, 12], "11 or 12"),
        ("EAN", &ids.ean, &[8, 13], "8 or 13"),
    ];
    for (kind, value, lengths, said) in kinds {
        let Some(v) = value else { continue };
        if !v.bytes().all(|b| b.is_ascii_digit()) || !lengths.contains(&v.len()) {
            out.push(l.violation(
                "malformed_gs1_id",
                format!("{kind} '{v}' is not {said} digits"),
            ));
        } else if v.len() == 11 {
            // An 11-digit UPC is a UPC-A sent without its check digit: nothing to verify.
        } else if expected_check_digit(v) != v.as_bytes()[v.len() - 1] - b'0' {
            // What `gs1_check_digit_ok` checks, less the digits and length just checked.
            out.push(l.violation("bad_check_digit", check_digit_message(kind, v)));
        }
    }
}

/// `v` is all digits.
fn check_digit_message(kind: &str, v: &str) -> String {
    format!(
        "{kind} {v} fails the GS1 check digit (the last digit should be {})",
        expected_check_digit(v)
    )
}

fn check_sscc(out: &mut Vec<Violation>, sscc: &str) {
    // (00) is the GS1 application identifier of an SSCC; some senders keep it in MAN02.
    let bare = match sscc.strip_prefix("00") {
        Some(rest) if sscc.len() == 20 => rest,
        _ => sscc,
    };
    if bare.len() != 18 || !bare.bytes().all(|b| b.is_ascii_digit()) {
        out.push(Violation::doc(
            "malformed_gs1_id",
            format!("package SSCC '{sscc}' is not 18 digits (or 20 with the 00 prefix)"),
        ));
    } else if !gs1_check_digit_ok(bare) {
        out.push(Violation::doc(
            "bad_check_digit",
            format!("package {}", check_digit_message("SSCC", bare)),
        ));
    }
}

fn check_line_count(out: &mut Vec<Violation>, totals: &Totals, lines: usize) {
    if let Some(n) = totals.line_count
        && n != lines as u64
    {
        out.push(Violation::doc(
            "line_count_mismatch",
            format!("stated line count {n} does not equal the {lines} lines in the document"),
        ));
    }
}

fn check_hash_total(out: &mut Vec<Violation>, totals: &Totals, lines: &[Line]) {
    let Some(stated) = totals.hash_total else {
        return;
    };
    let sum = lines
        .iter()
        .try_fold(Decimal::ZERO, |acc, l| acc.checked_add(l.quantity));
    // Decimal equality compares values, so 52 and 52.0 are equal.
    let message = match sum {
        Some(sum) if sum == stated => return,
        Some(sum) => {
            format!("stated hash total {stated} does not equal the sum of line quantities {sum}")
        }
        None => format!(
            "stated hash total {stated} cannot be checked: the sum of line quantities is too large"
        ),
    };
    out.push(Violation::doc("hash_total_mismatch", message));
}

/// Money comparisons round half away from zero to cents, as invoices do (not bankers' rounding).
fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Sum of allowances (negative) and charges (positive) as (charges, allowances); `None` when
/// one has no amount (a percentage alone would need a guessed base) or on overflow.
fn allowances_charges(acs: &[AllowanceCharge]) -> Option<(Decimal, Decimal)> {
    acs.iter()
        .try_fold((Decimal::ZERO, Decimal::ZERO), |(c, a), ac| match ac.kind {
            AllowanceOrCharge::Charge => Some((c.checked_add(ac.amount?)?, a)),
            AllowanceOrCharge::Allowance => Some((c, a.checked_add(ac.amount?)?)),
        })
}

fn tax_amounts<'a>(taxes: impl IntoIterator<Item = &'a Tax>) -> Option<Decimal> {
    taxes
        .into_iter()
        .filter_map(|t| t.amount)
        .try_fold(Decimal::ZERO, |acc, a| acc.checked_add(a))
}

/// Computes the total the invoice should state. Senders differ, so several readings are
/// accepted; the total must match one of them to the cent:
/// - lines: Σ quantity × unit price, with line-level charges added and allowances subtracted,
///   or without them (EDIFACT PRI+AAA is the net price, line ALCs already applied; the model
///   keeps no price basis for invoice lines to tell which);
/// - plus document-level charges, minus document-level allowances;
/// - plus no tax, or the stated tax amounts (document and line level), or the document-level
///   rates applied to that amount (for senders that state a rate but no usable tax amount).
///
/// Nothing is checked when a line has no unit price or an allowance or charge has no amount.
fn check_invoice_total(out: &mut Vec<Violation>, inv: &Invoice, total: Decimal) {
    if inv.lines.is_empty() || inv.lines.iter().any(|l| l.unit_price.is_none()) {
        return;
    }
    let line_acs: Vec<AllowanceCharge> = inv
        .lines
        .iter()
        .flat_map(|l| l.allowances_charges.iter().cloned())
        .collect();
    let (Some((line_charges, line_allowances)), Some((charges, allowances))) = (
        allowances_charges(&line_acs),
        allowances_charges(&inv.allowances_charges),
    ) else {
        return;
    };
    let all_taxes = || {
        inv.taxes
            .iter()
            .chain(inv.lines.iter().flat_map(|l| &l.taxes))
    };
    let has_tax = all_taxes().any(|t| t.amount.is_some());
    let rates: Vec<Decimal> = inv.taxes.iter().filter_map(|t| t.percent).collect();
    let at_rates = |base: Decimal| {
        rates.iter().try_fold(Decimal::ZERO, |acc, p| {
            acc.checked_add(cents(
                base.checked_mul(*p)?.checked_div(Decimal::ONE_HUNDRED)?,
            ))
        })
    };
    let doc_of = |lines: Decimal| lines.checked_add(charges)?.checked_sub(allowances);
    let sums = (|| {
        let gross = inv.lines.iter().try_fold(Decimal::ZERO, |acc, l| {
            acc.checked_add(l.quantity.checked_mul(l.unit_price?)?)
        })?;
        let net = gross
            .checked_add(line_charges)?
            .checked_sub(line_allowances)?;
        Some((gross, net, doc_of(net)?, tax_amounts(all_taxes())?))
    })();
    let Some((gross, net, doc, tax)) = sums else {
        out.push(Violation::doc(
            "invoice_total_mismatch",
            format!("invoice total {total} cannot be checked: the amounts are too large"),
        ));
        return;
    };
    let mut candidates = Vec::new();
    for base in [Some(doc), doc_of(gross)].into_iter().flatten() {
        candidates.push(Some(base));
        if has_tax {
            candidates.push(base.checked_add(tax));
        }
        if !rates.is_empty() {
            candidates.push(at_rates(base).and_then(|t| base.checked_add(t)));
        }
    }
    if candidates
        .into_iter()
        .flatten()
        .any(|c| cents(c) == cents(total))
    {
        return;
    }
    let mut message = format!(
        "invoice total {total} does not equal lines {} + charges {charges} − allowances {allowances} = {}",
        cents(net),
        cents(doc)
    );
    if has_tax && let Some(with) = doc.checked_add(tax) {
        message.push_str(&format!(" (or {} with tax {tax})", cents(with)));
    }
    if let Some(t) = at_rates(doc).filter(|_| !rates.is_empty())
        && let Some(with) = doc.checked_add(t)
    {
        message.push_str(&format!(
            " (or {} with tax at the stated rates {t})",
            cents(with)
        ));
    }
    if !line_acs.is_empty() {
        message.push_str(&format!(
            "; lines include line-level charges {line_charges} and allowances {line_allowances} \
             (the total was also tried without them)"
        ));
    }
    out.push(Violation::doc("invoice_total_mismatch", message));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn d(s: &str) -> Decimal {
        s.parse().expect("test decimals are valid")
    }

    /// Builds any model type from JSON; documents and lines have no `Default`.
    fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).expect("test JSON fits the model")
    }

    fn line(n: &str, qty: &str, price: Option<&str>) -> Value {
        json!({"line_number": n, "quantity": qty, "unit_price": price,
            "item_ids": {"sku": format!("AB-{n}")}})
    }

    /// A clean order: ship-to, dated 2024, two lines of 24 and 10 with CTT 2/34.
    fn order() -> Order {
        let lines = [line("1", "24", Some("12.50")), line("2", "10", None)];
        from(
            json!({"order_number": "PO1", "order_date": "2024-03-11", "purpose": "original",
            "parties": [{"role": "ship_to", "role_code": "ST"}], "lines": lines,
            "totals": {"line_count": 2, "hash_total": "34"},
            "source": {"standard": "x12", "set": "850"}}),
        )
    }

    /// A clean notice: one pallet, 24 shipped and 0 backordered, CTT hash 24.
    fn notice() -> ShipNotice {
        let lines = [line("1", "24", None), line("2", "0", None)];
        from(
            json!({"shipment_id": "SHP1", "ship_date": "2024-03-18", "purpose": "original",
            "packages": [{"sscc": "106141411234567897", "level": "tare"}], "lines": lines,
            "totals": {"hash_total": "24"}, "source": {"standard": "x12", "set": "856"}}),
        )
    }

    /// The 810 sample's figures: lines 1052.90 + freight 45.00 − discount 25.00 = 1072.90.
    fn invoice() -> Invoice {
        let lines = [
            line("1", "24", Some("12.50")),
            line("2", "10", Some("27.95")),
            line("3", "6", Some("41.40")),
            line("4", "12", Some("18.75")),
        ];
        let charges = json!([{"kind": "charge", "amount": "45.00"},
            {"kind": "allowance", "amount": "25.00"}]);
        from(
            json!({"invoice_number": "INV1", "invoice_date": "2024-03-19", "purpose": "original",
            "lines": lines, "allowances_charges": charges, "total_amount": "1072.90",
            "totals": {"line_count": 4, "hash_total": "52"},
            "source": {"standard": "x12", "set": "810"}}),
        )
    }

    fn vat(amount: Option<&str>, percent: Option<&str>) -> Tax {
        from(json!({"code": "VAT", "amount": amount, "percent": percent}))
    }

    /// Wraps test documents; a private trait, so no `From` impl leaks into the crate.
    trait Doc {
        fn doc(self) -> Document;
    }
    impl Doc for Order {
        fn doc(self) -> Document {
            Document::Order(self)
        }
    }
    impl Doc for ShipNotice {
        fn doc(self) -> Document {
            Document::ShipNotice(self)
        }
    }
    impl Doc for Invoice {
        fn doc(self) -> Document {
            Document::Invoice(self)
        }
    }

    fn rules(doc: impl Doc) -> Vec<&'static str> {
        check(&doc.doc()).into_iter().map(|v| v.rule).collect()
    }

    /// "rule: message" for each violation.
    fn found(doc: impl Doc) -> Vec<String> {
        let v = check(&doc.doc());
        v.iter()
            .map(|v| format!("{}: {}", v.rule, v.message))
            .collect()
    }

    const NONE: [&str; 0] = [];

    #[test]
    fn check_digits_known_values() {
        // GTIN-13, UPC-A, SSCC-18, GTIN-8, GTIN-14 (the samples' candle case).
        let good = "4006381333931 036000291452 106141411234567897 96385074 10614141005175";
        for g in good.split(' ') {
            assert!(gs1_check_digit_ok(g), "{g}");
        }
        // Wrong check digits, a letter, 11 digits (no check digit), SSCC with its AI, empty.
        let bad = "4006381333932 036000291453 106141411234567898 40063813339a1 03600029145 \
                   00106141411234567897";
        for b in bad.split(' ').chain([""]) {
            assert!(!gs1_check_digit_ok(b), "{b}");
        }
    }

    #[test]
    fn clean_documents_pass() {
        assert_eq!(rules(order()), NONE);
        assert_eq!(rules(notice()), NONE);
        assert_eq!(rules(invoice()), NONE);
    }

    #[test]
    fn no_lines_and_ship_to() {
        let (mut o, mut s, mut i) = (order(), notice(), invoice());
        (o.lines, s.lines, i.lines) = Default::default();
        (o.totals, s.totals, i.totals) = Default::default();
        o.parties[0].role = Role::BillTo;
        let ship_to = "ship_to_missing: order PO1 has no ship-to party";
        assert_eq!(found(o), [ship_to, "no_lines: order PO1 has no lines"]);
        assert_eq!(rules(s), ["no_lines"]);
        // No total check without lines: the missing lines are the one reason.
        assert_eq!(rules(i), ["no_lines"]);
    }

    #[test]
    fn date_out_of_range() {
        let date = |y| Some(Date::new(y, 3, 11).expect("a real date"));
        for year in [1990, 2024, 2100, 1989, 2101, 24] {
            let mut o = order();
            o.order_date = date(year);
            assert_eq!(rules(o).is_empty(), (1990..=2100).contains(&year), "{year}");
        }
        let mut i = invoice();
        i.order_date = date(1024);
        let want = "date_out_of_range: order date 1024-03-11 is outside the years 1990 to 2100";
        assert_eq!(found(i), [want]);
        let mut s = notice();
        s.ship_date = date(2999);
        assert_eq!(rules(s), ["date_out_of_range"]);
    }

    #[test]
    fn quantities() {
        let mut o = order();
        o.lines[1].quantity = d("0");
        o.totals.hash_total = Some(d("24"));
        let v = &check(&o.clone().doc())[0];
        assert_eq!(
            (v.line.as_deref(), v.item.as_deref()),
            (Some("2"), Some("AB-2"))
        );
        let want = "quantity_not_positive: line 2 (SKU AB-2): quantity 0 is not greater than zero";
        assert_eq!(found(o), [want]);
        let credit = |kind: Option<&str>, purpose| {
            let mut i = invoice();
            i.lines[0].quantity = d("-24");
            (i.invoice_type, i.purpose) = (kind.map(str::to_string), purpose);
            (i.totals.hash_total, i.total_amount) = (None, Some(d("472.90")));
            rules(i)
        };
        let not_positive = ["quantity_not_positive"];
        assert_eq!(credit(None, Purpose::Original), not_positive);
        assert_eq!(credit(Some("380"), Purpose::Original), not_positive);
        assert_eq!(credit(Some("CR"), Purpose::Original), NONE);
        assert_eq!(credit(Some("381"), Purpose::Original), NONE);
        assert_eq!(credit(None, Purpose::Cancel), NONE);
        // The clean notice ships 0 on line 2 (a backorder); below zero is wrong.
        let mut s = notice();
        s.lines[1].quantity = d("-1");
        s.totals.hash_total = Some(d("23"));
        let want = "quantity_negative: line 2 (SKU AB-2): quantity -1 is negative";
        assert_eq!(found(s), [want]);
    }

    #[test]
    fn price_negative() {
        let mut o = order();
        o.lines[1].unit_price = Some(d("0.00"));
        assert_eq!(rules(o.clone()), NONE);
        o.lines[1].unit_price = Some(d("-0.01"));
        let want = "price_negative: line 2 (SKU AB-2): unit price -0.01 is negative";
        assert_eq!(found(o), [want]);
        let mut i = invoice();
        i.lines[0].unit_price = Some(d("-12.50"));
        assert!(rules(i).contains(&"price_negative"));
    }

    #[test]
    fn duplicate_line_number() {
        let mut o = order();
        o.lines.push(from(line("1", "5", None)));
        o.totals = Totals::default();
        let want = "duplicate_line_number: line 1 (SKU AB-1): line number 1 is used more than once \
                    (positions 1 and 3 in the document)";
        assert_eq!(found(o), [want]);
        let mut s = notice();
        s.lines[1].line_number = "1".to_string();
        assert_eq!(rules(s), ["duplicate_line_number"]);
    }

    /// Long documents find duplicates with a map: the same findings, first position first.
    #[test]
    fn duplicate_line_numbers_in_a_long_order() {
        for n in [SCAN_LINES - 2, SCAN_LINES + 10] {
            let mut o = order();
            o.totals = Totals::default();
            for k in 3..=n {
                o.lines.push(from(line(&k.to_string(), "1", None)));
            }
            // Numbers the bit set does not take, which equal none of the small ones.
            for k in ["02", "1000", "A1", "", "1000", "02"] {
                o.lines.push(from(line(k, "1", None)));
            }
            o.lines.push(from(line("2", "1", None)));
            o.lines.push(from(line("7", "1", None)));
            o.lines.push(from(line("2", "1", None)));
            let last = o.lines.len();
            let first = last - 9;
            let want = [
                format!(
                    "duplicate_line_number: line 1000 (SKU AB-1000): line number 1000 is used \
                     more than once (positions {} and {} in the document)",
                    first + 2,
                    first + 5
                ),
                format!(
                    "duplicate_line_number: line 02 (SKU AB-02): line number 02 is used more \
                     than once (positions {} and {} in the document)",
                    first + 1,
                    first + 6
                ),
                format!(
                    "duplicate_line_number: line 2 (SKU AB-2): line number 2 is used more than \
                     once (positions 2 and {} in the document)",
                    last - 2
                ),
                format!(
                    "duplicate_line_number: line 7 (SKU AB-7): line number 7 is used more than \
                     once (positions 7 and {} in the document)",
                    last - 1
                ),
                format!(
                    "duplicate_line_number: line 2 (SKU AB-2): line number 2 is used more than \
                     once (positions 2 and {last} in the document)"
                ),
            ];
            assert_eq!(found(o), want, "{n} lines");
        }
    }

    #[test]
    fn stated_counts() {
        let mut o = order();
        (o.totals.line_count, o.totals.hash_total) = (Some(3), Some(d("34.000")));
        let want = "line_count_mismatch: stated line count 3 does not equal the 2 lines in the \
                    document";
        assert_eq!(found(o.clone()), [want]);
        (o.totals.line_count, o.totals.hash_total) = (Some(2), Some(d("33")));
        let want = "hash_total_mismatch: stated hash total 33 does not equal the sum of line \
                    quantities 34";
        assert_eq!(found(o), [want]);
        let (mut i, mut j) = (invoice(), invoice());
        (i.totals.line_count, j.totals.hash_total) = (Some(5), Some(d("53")));
        assert_eq!(rules(i), ["line_count_mismatch"]);
        assert_eq!(rules(j), ["hash_total_mismatch"]);
        // An 856 CTT01 often counts HL segments: not checked; its hash total is.
        let mut s = notice();
        s.totals.line_count = Some(7);
        assert_eq!(rules(s.clone()), NONE);
        s.totals.hash_total = Some(d("25"));
        assert_eq!(rules(s), ["hash_total_mismatch"]);
    }

    #[test]
    fn invoice_total_mismatch() {
        let mut i = invoice();
        i.total_amount = Some(d("1072.91"));
        let first = "invoice_total_mismatch: invoice total 1072.91 does not equal \
                     lines 1052.90 + charges 45.00 − allowances 25.00 = 1072.90";
        assert_eq!(found(i.clone()), [first]);
        // With tax, stated or at a rate, the message gives both readings.
        i.taxes.push(vat(Some("10.00"), Some("10")));
        let taxed = " (or 1082.90 with tax 10.00) (or 1180.19 with tax at the stated rates 107.29)";
        assert_eq!(found(i.clone()), [format!("{first}{taxed}")]);
        // Skipped, not guessed: a line without a price, an allowance without an amount.
        let mut no_price = i.clone();
        no_price.lines[0].unit_price = None;
        assert_eq!(rules(no_price), NONE);
        let discount = &mut i.allowances_charges[1];
        (discount.amount, discount.percent) = (None, Some(d("2")));
        assert_eq!(rules(i), NONE);
    }

    #[test]
    fn invoice_total_readings() {
        let with = |f: &dyn Fn(&mut Invoice), total: &str| {
            let mut i = invoice();
            f(&mut i);
            i.total_amount = Some(d(total));
            rules(i)
        };
        let bad = ["invoice_total_mismatch"];
        // Stated tax amounts, document and line level, or no tax in the total.
        let taxed = |i: &mut Invoice| {
            i.taxes.push(vat(Some("100.00"), None));
            i.lines[0].taxes.push(vat(Some("0.50"), None));
        };
        assert_eq!(with(&taxed, "1173.40"), NONE);
        assert_eq!(with(&taxed, "1072.90"), NONE);
        assert_eq!(with(&taxed, "1173.41"), bad);
        // A rate alone: 19 % of 1072.90 is 203.851, so 1276.75 to the cent.
        let rated = |i: &mut Invoice| i.taxes.push(vat(None, Some("19")));
        assert_eq!(with(&rated, "1276.75"), NONE);
        assert_eq!(with(&rated, "1276.74"), bad);
        // A line allowance: subtracted from the lines, or already in the net price.
        let allowance = json!({"kind": "allowance", "amount": "0.90"});
        let allowed = |i: &mut Invoice| i.lines[2].allowances_charges.push(from(allowance.clone()));
        assert_eq!(with(&allowed, "1072.00"), NONE);
        assert_eq!(with(&allowed, "1072.90"), NONE);
        assert_eq!(with(&allowed, "1071.90"), bad);
        // Compared to the cent, half away from zero: 3 × 0.335 = 1.005 is 1.01.
        let tiny = |i: &mut Invoice| {
            i.lines = vec![from(line("1", "3", Some("0.335")))];
            (i.allowances_charges, i.totals) = Default::default();
        };
        assert_eq!(with(&tiny, "1.01"), NONE);
        assert_eq!(with(&tiny, "1.00"), bad);
    }

    #[test]
    fn item_ids() {
        let ids = |gtin: &str, upc: &str, ean: &str| {
            let mut o = order();
            let ids = json!({"sku": "AB-1", "gtin": gtin, "upc": upc, "ean": ean});
            o.lines[0].item_ids = from(ids);
            found(o)
        };
        // An 11-digit UPC has no check digit to verify.
        assert_eq!(ids("10614141005175", "03600029145", "96385074"), NONE);
        let gtin = "malformed_gs1_id: line 1 (SKU AB-1): GTIN 'ABC' is not 8, 12, 13 or 14 digits";
        let upc = "bad_check_digit: line 1 (SKU AB-1): UPC 036000291453 fails the GS1 check \
                   digit (the last digit should be 2)";
        assert_eq!(ids("ABC", "036000291453", "4006381333931"), [gtin, upc]);
        let ean = "malformed_gs1_id: line 1 (SKU AB-1): EAN '123' is not 8 or 13 digits";
        assert_eq!(ids("96385074", "036000291452", "123"), [ean]);
        // Without a SKU the item named is the first id present.
        let mut o = order();
        o.lines[0].item_ids = from(json!({"gtin": "4006381333932"}));
        let v = &check(&o.doc())[0];
        assert_eq!(
            (v.rule, v.item.as_deref()),
            ("bad_check_digit", Some("4006381333932"))
        );
        assert!(
            v.message.starts_with("line 1 (GTIN 4006381333932): GTIN"),
            "{v:?}"
        );
    }

    #[test]
    fn sscc() {
        let with = |sscc: &str| {
            let mut s = notice();
            let pack = json!({"sscc": sscc, "level": "pack"});
            s.packages.push(from(pack));
            found(s)
        };
        assert_eq!(with("00106141411234567897"), NONE);
        assert_eq!(with("006141410000044719"), NONE);
        let want = "bad_check_digit: package SSCC 106141411234567890 fails the GS1 check digit \
                    (the last digit should be 7)";
        assert_eq!(with("106141411234567890"), [want]);
        // Too short, 19 digits, 20 digits not starting 00, a letter.
        for bad in "1234 0106141411234567897 11106141411234567897 10614141123456789X".split(' ') {
            let v = with(bad);
            assert!(v[0].starts_with("malformed_gs1_id: package SSCC"), "{v:?}");
        }
    }

    #[test]
    fn serializes_without_empty_fields() {
        let mut o = order();
        o.parties.clear();
        o.lines[0].quantity = d("-2");
        o.totals = Totals::default();
        let json = serde_json::to_value(check(&o.doc())).expect("serializes");
        let line = "line 1 (SKU AB-1): quantity -2 is not greater than zero";
        let want = json!([{"rule": "ship_to_missing", "message": "order PO1 has no ship-to party"},
            {"rule": "quantity_not_positive", "message": line, "line": "1", "item": "AB-1"}]);
        assert_eq!(json, want);
    }
}
