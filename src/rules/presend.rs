//! Pre-send compliance: a ship notice or invoice checked against the partner's purchase order
//! before it leaves.
//!
//! Phase: outbound, after an ERP export is read and before anything is generated. The PO the
//! partner sent is the contract; what the ERP exports must agree with it, or the retailer
//! charges it back. [`check`] is pure: the caller hands it the POs (from the ledger), what
//! earlier documents already covered, and the partner's tolerances. Each failure is a
//! [`Violation`] with a stable rule code; any one holds the document back.
//!
//! | code | applies to | fails when |
//! |---|---|---|
//! | `po_missing` | both | the document names no purchase order |
//! | `po_unknown` | both | the channel never sent us that PO, or we did not accept it |
//! | `line_not_on_po` | both | no line of the PO has the line's item (by buyer part, vendor part, SKU, GTIN, UPC, EAN; by line number when the line has no item id) |
//! | `line_ambiguous` | both | the item is on several PO lines and the line's number is none of theirs |
//! | `line_order_missing` | ship notices | the notice answers several POs and a line names none |
//! | `over_shipment` | ship notices | shipped now and before exceeds the ordered quantity (plus the partner's tolerance) |
//! | `over_invoice` | invoices | invoiced now and before exceeds what was shipped (or ordered, when the partner takes invoices without ship notices); a credit note (BIG07 `CR`, BGM `381`) is not checked, and lowers what counts as invoiced |
//! | `over_credit` | credit notes | credited now exceeds what is invoiced on the line |
//! | `unit_mismatch` | both | the unit of measure differs from the PO line's (unless the partner allows it) |
//! | `price_mismatch` | invoices | the unit price differs from the PO line's (unless the partner allows it) |
//! | `sscc_repeated` | ship notices | two packages of the document carry the same SSCC |
//! | `sscc_reused` | ship notices | an SSCC was sent in an earlier ship notice |
//! | `asn_missing` | invoices | the partner wants a ship notice before the invoice and none was sent for the PO |
//!
//! The document's own business rules (check digits, totals, quantities) are [`super::check`]'s.

use super::Violation;
use crate::model::{Document, ItemIds};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// One line of an accepted purchase order, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoLine {
    /// The partner's line number (PO101, LIN 1082).
    pub line: String,
    pub quantity: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "ItemIds::is_empty")]
    pub ids: ItemIds,
}

/// What the partner allows (its profile's `send` settings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// Over-shipment allowed, in percent of the ordered quantity (0: none).
    pub over_ship_percent: Decimal,
    /// A unit of measure other than the PO's is allowed.
    pub unit_may_differ: bool,
    /// A unit price other than the PO's is allowed.
    pub price_may_differ: bool,
    /// An invoice needs a ship notice sent for its PO first.
    pub asn_before_invoice: bool,
}

/// What the ledger knows of one purchase order.
#[derive(Debug, Clone, Default)]
pub struct PoState {
    /// Its lines; `None` when the channel never sent it (or it was never accepted).
    pub lines: Option<Vec<PoLine>>,
    /// Per PO line, the quantity ship notices sent so far covered.
    pub shipped: HashMap<String, Decimal>,
    /// Per PO line, the quantity invoices sent so far covered.
    pub invoiced: HashMap<String, Decimal>,
}

/// A line of the document matched to a PO line: what the ledger records as covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub po: String,
    pub line: String,
    pub quantity: Decimal,
}

/// The outcome of [`check`]: the violations, and the PO lines the document covers (recorded
/// when it is sent, so the next document sees them).
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub violations: Vec<Violation>,
    pub matched: Vec<Matched>,
}

/// An SSCC as it is compared and kept: its digits, without the application identifier `00`
/// that a label's human-readable line puts before it (`(00)106141411234567897` and
/// `106141411234567897` are one SSCC).
pub fn sscc_key(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        20 if digits.starts_with("00") => digits[2..].to_owned(),
        18 => digits,
        _ => s.trim().to_owned(),
    }
}

/// The purchase orders a document answers: a ship notice's `order_refs` and its lines'
/// order numbers, an invoice's `order_number`.
pub fn orders_of(doc: &Document) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |po: &str| {
        if !po.is_empty() && !out.iter().any(|o| o == po) {
            out.push(po.to_owned());
        }
    };
    match doc {
        Document::ShipNotice(s) => {
            s.order_refs.iter().for_each(|o| add(o));
            s.lines
                .iter()
                .filter_map(|l| l.order_number.as_deref())
                .for_each(&mut add);
        }
        Document::Invoice(i) => i.order_number.iter().for_each(|o| add(o)),
        _ => {}
    }
    out
}

/// Checks a ship notice or invoice against its POs. `pos` holds the state of every PO
/// [`orders_of`] names; `sscc_sent` says which earlier ship notice sent an SSCC, if one did.
pub fn check(
    doc: &Document,
    pos: &BTreeMap<String, PoState>,
    sscc_sent: &dyn Fn(&str) -> Option<String>,
    policy: &Policy,
) -> Checked {
    let mut out = Checked::default();
    let orders = orders_of(doc);
    let number = doc.number();
    if orders.is_empty() {
        out.violations.push(doc_violation(
            "po_missing",
            format!(
                "{} {number} names no purchase order: give the ERP export the partner's PO number",
                what(doc)
            ),
        ));
        return out;
    }
    for po in &orders {
        if pos.get(po).is_none_or(|s| s.lines.is_none()) {
            out.violations.push(doc_violation(
                "po_unknown",
                format!(
                    "{} {number} answers PO {po}, which this partner never sent us, or which was not accepted or was cancelled: check the PO number in the ERP, or whether the PO is in quarantine",
                    what(doc)
                ),
            ));
        }
    }
    let lines: Vec<DocLine<'_>> = match doc {
        Document::ShipNotice(s) => s
            .lines
            .iter()
            .map(|l| DocLine {
                number: &l.line_number,
                po: l
                    .order_number
                    .as_deref()
                    // Without its own order, a line is the notice's one order's.
                    .or(match s.order_refs.as_slice() {
                        [only] => Some(only.as_str()),
                        _ => None,
                    }),
                quantity: l.quantity,
                unit: l.unit.as_deref(),
                unit_price: None,
                ids: &l.item_ids,
            })
            .collect(),
        Document::Invoice(i) => i
            .lines
            .iter()
            .map(|l| DocLine {
                number: &l.line_number,
                po: i.order_number.as_deref(),
                quantity: l.quantity,
                unit: l.unit.as_deref(),
                unit_price: l.unit_price,
                ids: &l.item_ids,
            })
            .collect(),
        _ => return out,
    };
    let shipping = matches!(doc, Document::ShipNotice(_));
    // A credit note (810 BIG07 CR, INVOIC 381) gives back what was invoiced: it is not
    // checked against what was shipped, and it lowers what counts as invoiced.
    let credit = matches!(doc, Document::Invoice(i)
        if matches!(i.invoice_type.as_deref(), Some("CR" | "381")) || i.purpose == crate::model::Purpose::Cancel);
    // Quantities of this document per PO line, added up before they are compared (two lines
    // of one ASN may ship the same PO line from two cartons).
    let mut now: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let mut first_line: HashMap<(String, String), usize> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(po) = l.po else {
            out.violations.push(l.violation(
                "line_order_missing",
                format!(
                    "the ship notice answers {} orders and this line names none: give each line its PO number",
                    orders.len()
                ),
            ));
            continue;
        };
        let Some(po_lines) = pos.get(po).and_then(|s| s.lines.as_ref()) else {
            continue;
        };
        let pl = match match_line(l, po_lines) {
            Match::One(pl) => pl,
            Match::None => {
                out.violations.push(l.violation(
                    "line_not_on_po",
                    format!(
                        "no line of PO {po} has this item: the partner takes only what it ordered; correct the item id in the ERP or leave the line out"
                    ),
                ));
                continue;
            }
            Match::Several(lines) => {
                out.violations.push(l.violation(
                    "line_ambiguous",
                    format!(
                        "the item is on PO {po} lines {}, and the line number matches none of them: export the PO's line number with the line",
                        lines.join(", ")
                    ),
                ));
                continue;
            }
        };
        if !policy.unit_may_differ
            && let (Some(u), Some(pu)) = (l.unit, pl.unit.as_deref())
            && u != pu
        {
            out.violations.push(l.violation(
                "unit_mismatch",
                format!(
                    "unit {u} differs from PO {po} line {}'s {pu}: send it in the PO's unit, or set the channel's `send.unit_may_differ` if the partner agrees",
                    pl.line
                ),
            ));
        }
        if !shipping
            && !credit
            && !policy.price_may_differ
            && let (Some(p), Some(pp)) = (l.unit_price, pl.unit_price)
            && p != pp
        {
            out.violations.push(l.violation(
                "price_mismatch",
                format!(
                    "unit price {p} differs from PO {po} line {}'s {pp}: invoice at the PO's price, or set the channel's `send.price_may_differ` if the partner agreed to the change",
                    pl.line
                ),
            ));
        }
        let key = (po.to_owned(), pl.line.clone());
        *now.entry(key.clone()).or_default() += l.quantity;
        first_line.entry(key).or_insert(i);
    }
    for ((po, line), qty) in &now {
        let state = &pos[po.as_str()];
        let pl = state
            .lines
            .as_ref()
            .and_then(|ls| ls.iter().find(|p| &p.line == line))
            .expect("matched above");
        let l = &lines[first_line[&(po.clone(), line.clone())]];
        if shipping {
            let before = state.shipped.get(line).copied().unwrap_or_default();
            let allowed =
                pl.quantity + pl.quantity * policy.over_ship_percent / Decimal::ONE_HUNDRED;
            if before + qty > allowed {
                let tolerance = if policy.over_ship_percent.is_zero() {
                    String::new()
                } else {
                    format!(
                        " (with the partner's {}% tolerance, {allowed})",
                        policy.over_ship_percent
                    )
                };
                out.violations.push(l.violation(
                    "over_shipment",
                    format!(
                        "ships {qty}, and {before} were shipped before, against {} ordered on PO {po} line {line}{tolerance}: ship at most {} or ask the partner for a PO change",
                        pl.quantity,
                        (allowed - before).max(Decimal::ZERO)
                    ),
                ));
            }
        } else if credit {
            // A credit gives back at most what is invoiced: more would let the line be
            // invoiced again.
            let before = state.invoiced.get(line).copied().unwrap_or_default();
            if *qty > before {
                out.violations.push(l.violation(
                    "over_credit",
                    format!(
                        "credits {qty} against {before} invoiced on PO {po} line {line}: credit at most what was invoiced (a price correction is a credit of the amount, not of the quantity)"
                    ),
                ));
            }
        } else {
            let before = state.invoiced.get(line).copied().unwrap_or_default();
            let shipped = state.shipped.get(line).copied();
            let (limit, against) = match shipped {
                Some(s) => (s, "shipped"),
                None if policy.asn_before_invoice => (Decimal::ZERO, "shipped"),
                None => (pl.quantity, "ordered"),
            };
            if before + qty > limit {
                out.violations.push(l.violation(
                    "over_invoice",
                    format!(
                        "invoices {qty}, and {before} were invoiced before, against {limit} {against} on PO {po} line {line}: invoice at most what was {against}"
                    ),
                ));
            }
        }
    }
    match doc {
        Document::ShipNotice(s) => {
            let mut seen = HashSet::new();
            for sscc in s.packages.iter().filter_map(|p| p.sscc.as_deref()) {
                if !seen.insert(sscc_key(sscc)) {
                    out.violations.push(doc_violation(
                        "sscc_repeated",
                        format!(
                            "SSCC {sscc} is on two packages of ship notice {number}: every package needs its own"
                        ),
                    ));
                } else if let Some(earlier) = sscc_sent(&sscc_key(sscc)) {
                    out.violations.push(doc_violation(
                        "sscc_reused",
                        format!(
                            "SSCC {sscc} was sent before, in ship notice {earlier}: an SSCC is never reused; label the package with a new one"
                        ),
                    ));
                }
            }
        }
        Document::Invoice(_) if policy.asn_before_invoice && !credit => {
            for po in &orders {
                if pos
                    .get(po)
                    .is_some_and(|s| s.lines.is_some() && s.shipped.is_empty())
                {
                    out.violations.push(doc_violation(
                        "asn_missing",
                        format!(
                            "invoice {number} for PO {po} comes before any ship notice for it, and this partner wants the ship notice first: send the ship notice, then the invoice"
                        ),
                    ));
                }
            }
        }
        _ => {}
    }
    if out.violations.is_empty() {
        out.matched = now
            .into_iter()
            .map(|((po, line), quantity)| Matched {
                po,
                line,
                quantity: if credit { -quantity } else { quantity },
            })
            .collect();
    }
    out
}

fn what(doc: &Document) -> &'static str {
    match doc {
        Document::ShipNotice(_) => "ship notice",
        Document::Invoice(_) => "invoice",
        _ => "document",
    }
}

fn doc_violation(rule: &'static str, message: String) -> Violation {
    Violation::doc(rule, message)
}

/// A line of the document being checked.
struct DocLine<'a> {
    number: &'a str,
    po: Option<&'a str>,
    quantity: Decimal,
    unit: Option<&'a str>,
    unit_price: Option<Decimal>,
    ids: &'a ItemIds,
}

impl DocLine<'_> {
    fn violation(&self, rule: &'static str, what: String) -> Violation {
        super::Line {
            number: self.number,
            quantity: self.quantity,
            unit_price: self.unit_price,
            ids: self.ids,
        }
        .violation(rule, what)
    }
}

/// How a line of the document matched the PO's lines.
enum Match<'p> {
    One(&'p PoLine),
    None,
    /// The item is on these PO lines, and the line number is none of theirs.
    Several(Vec<String>),
}

/// The PO line with the same item: by the ids both carry (the partner's own first), by line
/// number when the document's line has no id at all. Our SKU is what the partner calls the
/// vendor's part number, so the two are one kind of id here. An item on several PO lines is
/// told apart by the line number.
fn match_line<'p>(l: &DocLine<'_>, po: &'p [PoLine]) -> Match<'p> {
    let ids = |i: &ItemIds| -> [(&'static str, Option<String>); 6] {
        [
            ("buyer_part", i.buyer_part.clone()),
            ("vendor_part", i.vendor_part.clone()),
            ("vendor_part", i.sku.clone()),
            ("gtin", i.gtin.clone()),
            ("upc", i.upc.clone()),
            ("ean", i.ean.clone()),
        ]
    };
    let mine = ids(l.ids);
    if mine.iter().all(|(_, v)| v.is_none()) && l.ids.other.is_empty() {
        return po
            .iter()
            .find(|p| p.line == l.number)
            .map_or(Match::None, Match::One);
    }
    for (kind, v) in mine.iter() {
        let Some(v) = v else { continue };
        let found: Vec<&PoLine> = po
            .iter()
            .filter(|p| {
                ids(&p.ids)
                    .iter()
                    .any(|(k, pv)| k == kind && pv.as_deref() == Some(v.as_str()))
            })
            .collect();
        match found.as_slice() {
            [] => {}
            [one] => return Match::One(one),
            several => {
                return match several.iter().find(|p| p.line == l.number) {
                    Some(p) => Match::One(p),
                    None => Match::Several(several.iter().map(|p| p.line.clone()).collect()),
                };
            }
        }
    }
    Match::None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Package, Purpose, ShipLine, ShipNotice, Source};

    fn po() -> Vec<PoLine> {
        vec![
            PoLine {
                line: "1".into(),
                quantity: Decimal::from(10),
                unit: Some("EA".into()),
                unit_price: Some(Decimal::new(450, 2)),
                ids: ItemIds {
                    buyer_part: Some("B-1".into()),
                    ..Default::default()
                },
            },
            PoLine {
                line: "2".into(),
                quantity: Decimal::from(5),
                unit: Some("EA".into()),
                unit_price: None,
                ids: ItemIds {
                    gtin: Some("00012345678905".into()),
                    ..Default::default()
                },
            },
        ]
    }

    fn asn(lines: &[(&str, Option<&str>, i64)], ssccs: &[&str]) -> Document {
        Document::ShipNotice(ShipNotice {
            shipment_id: "SH1".into(),
            ship_date: None,
            ship_time: None,
            purpose: Purpose::Original,
            order_refs: vec!["PO1".into()],
            carrier: None,
            tracking_numbers: vec![],
            bill_of_lading: None,
            parties: vec![],
            references: vec![],
            dates: vec![],
            packages: ssccs
                .iter()
                .map(|s| Package {
                    sscc: Some((*s).into()),
                    marks: vec![],
                    level: "pack".into(),
                    parent: None,
                    tracking_number: None,
                    lines: vec![],
                })
                .collect(),
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, (bp, gtin, q))| ShipLine {
                    line_number: (i + 1).to_string(),
                    order_number: None,
                    quantity: Decimal::from(*q),
                    unit: Some("EA".into()),
                    quantity_ordered: None,
                    item_ids: ItemIds {
                        buyer_part: (!bp.is_empty()).then(|| bp.to_string()),
                        gtin: gtin.map(str::to_owned),
                        ..Default::default()
                    },
                    description: None,
                    package: None,
                })
                .collect(),
            totals: Default::default(),
            source: Source::default(),
        })
    }

    fn state(shipped: &[(&str, i64)]) -> BTreeMap<String, PoState> {
        BTreeMap::from([(
            "PO1".to_string(),
            PoState {
                lines: Some(po()),
                shipped: shipped
                    .iter()
                    .map(|(l, q)| (l.to_string(), Decimal::from(*q)))
                    .collect(),
                invoiced: HashMap::new(),
            },
        )])
    }

    fn rules(c: &Checked) -> Vec<&'static str> {
        c.violations.iter().map(|v| v.rule).collect()
    }

    #[test]
    fn a_shipment_within_the_order_passes_and_says_what_it_covers() {
        let c = check(
            &asn(&[("B-1", None, 6), ("", Some("00012345678905"), 5)], &[]),
            &state(&[("1", 4)]),
            &|_| None,
            &Policy::default(),
        );
        assert_eq!(rules(&c), Vec::<&str>::new());
        assert_eq!(c.matched.len(), 2);
        assert_eq!(c.matched[0].quantity, Decimal::from(6));
    }

    #[test]
    fn over_shipment_counts_earlier_shipments_and_the_tolerance() {
        let doc = asn(&[("B-1", None, 7)], &[]);
        let c = check(&doc, &state(&[("1", 4)]), &|_| None, &Policy::default());
        assert_eq!(rules(&c), ["over_shipment"]);
        assert!(
            c.violations[0]
                .message
                .starts_with("line 1 (buyer part B-1): ships 7, and 4 were shipped before, against 10 ordered on PO PO1 line 1"),
            "{}",
            c.violations[0].message
        );
        assert!(
            c.matched.is_empty(),
            "nothing is covered by a held document"
        );
        let lenient = Policy {
            over_ship_percent: Decimal::from(10),
            ..Policy::default()
        };
        assert_eq!(
            rules(&check(&doc, &state(&[("1", 4)]), &|_| None, &lenient)),
            Vec::<&str>::new()
        );
    }

    #[test]
    fn a_credit_note_gives_back_what_was_invoiced() {
        use crate::model::{Invoice, InvoiceLine};
        let inv = |kind: Option<&str>, qty: i64| {
            Document::Invoice(Invoice {
                invoice_number: "CR-1".into(),
                invoice_date: None,
                purpose: Purpose::Original,
                invoice_type: kind.map(str::to_owned),
                order_number: Some("PO1".into()),
                order_date: None,
                currency: None,
                parties: vec![],
                references: vec![],
                dates: vec![],
                terms: None,
                lines: vec![InvoiceLine {
                    line_number: "1".into(),
                    quantity: Decimal::from(qty),
                    unit: Some("EA".into()),
                    unit_price: Some(Decimal::new(450, 2)),
                    item_ids: ItemIds {
                        buyer_part: Some("B-1".into()),
                        ..Default::default()
                    },
                    description: None,
                    allowances_charges: vec![],
                    taxes: vec![],
                }],
                allowances_charges: vec![],
                taxes: vec![],
                total_amount: None,
                totals: Default::default(),
                notes: vec![],
                source: Source::default(),
            })
        };
        let mut pos = state(&[("1", 10)]);
        pos.get_mut("PO1")
            .expect("PO1")
            .invoiced
            .insert("1".into(), Decimal::from(10));
        let policy = Policy {
            asn_before_invoice: true,
            ..Policy::default()
        };
        // Invoiced in full: one more is over; a credit for one is not, and counts back.
        assert_eq!(
            rules(&check(&inv(None, 1), &pos, &|_| None, &policy)),
            ["over_invoice"]
        );
        let c = check(&inv(Some("CR"), 1), &pos, &|_| None, &policy);
        assert_eq!(rules(&c), Vec::<&str>::new());
        assert_eq!(c.matched[0].quantity, Decimal::from(-1));
    }

    #[test]
    fn an_item_on_two_po_lines_needs_the_line_number_and_two_orders_need_one_each() {
        let mut pos = state(&[]);
        let lines = pos
            .get_mut("PO1")
            .and_then(|s| s.lines.as_mut())
            .expect("lines");
        let mut again = lines[0].clone();
        again.line = "3".into();
        lines.push(again);
        // Line 1 of the ship notice is PO line 1; line 2 with the same item is on neither.
        let doc = asn(&[("B-1", None, 1), ("B-1", None, 1)], &[]);
        assert_eq!(
            rules(&check(&doc, &pos, &|_| None, &Policy::default())),
            ["line_ambiguous"]
        );
        let Document::ShipNotice(mut sn) = asn(&[("B-1", None, 1)], &[]) else {
            unreachable!()
        };
        sn.order_refs.push("PO2".into());
        let c = check(
            &Document::ShipNotice(sn),
            &pos,
            &|_| None,
            &Policy::default(),
        );
        assert_eq!(rules(&c), ["po_unknown", "line_order_missing"]);
    }

    #[test]
    fn an_sscc_is_one_whatever_way_it_is_written() {
        assert_eq!(sscc_key("(00)106141411234567897"), "106141411234567897");
        assert_eq!(sscc_key("00106141411234567897"), "106141411234567897");
        assert_eq!(sscc_key("106141411234567897"), "106141411234567897");
        let doc = asn(&[("B-1", None, 1)], &["00106141411234567897"]);
        let sent = |s: &str| (s == "106141411234567897").then(|| "SH0".to_owned());
        let c = check(&doc, &state(&[]), &sent, &Policy::default());
        assert_eq!(rules(&c), ["sscc_reused"]);
    }

    #[test]
    fn unknown_pos_items_and_reused_ssccs_are_named() {
        let doc = asn(
            &[("B-9", None, 1)],
            &["000123456789012347", "000123456789012347"],
        );
        let c = check(&doc, &state(&[]), &|_| None, &Policy::default());
        assert_eq!(rules(&c), ["line_not_on_po", "sscc_repeated"]);
        let doc = asn(&[("B-1", None, 1)], &["000123456789012347"]);
        let c = check(
            &doc,
            &state(&[]),
            &|_| Some("SH0".into()),
            &Policy::default(),
        );
        assert_eq!(rules(&c), ["sscc_reused"]);
        let c = check(&doc, &BTreeMap::new(), &|_| None, &Policy::default());
        assert_eq!(rules(&c), ["po_unknown"]);
    }
}
