//! Pieces shared by the X12 mappings: values, parties, item ids, allowances.

use crate::diag::{Code, Controls, Finding};
use crate::grammar::{Grammar, Item};
use crate::map::common::value_code;
use crate::map::common::{add_item_id, append_spaced};
use crate::model::{
    Address, AllowanceCharge, AllowanceOrCharge, Contact, DatedEvent, ItemIds, Party, PartyId,
    Purpose, Reference, Role, Tax, Terms,
};
use crate::syntax::Fields;
use crate::syntax::text::{decode, for_message, tidy_bytes, tidy_printable, tidy_raw};
use crate::syntax::values::{self, Notation};
use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::borrow::Cow;

/// Mapping context: where findings go and how implied decimals are read.
pub struct Ctx<'a> {
    pub grammar: &'a Grammar,
    pub controls: &'a Controls,
    pub findings: Vec<Finding>,
}

impl Ctx<'_> {
    pub fn error(&mut self, seg: &Fields<'_>, element: usize, msg: impl Into<String>) {
        self.push(Finding::error(Code::Mapping, msg), seg, element);
    }

    pub fn warn(&mut self, seg: &Fields<'_>, element: usize, msg: impl Into<String>) {
        self.push(Finding::warning(Code::Mapping, msg), seg, element);
    }

    fn push(&mut self, f: Finding, seg: &Fields<'_>, element: usize) {
        let mut f = f
            .at(seg.span.start, seg.index, seg.tag_str())
            .with_controls(self.controls);
        if element > 0 {
            f = f.element(element);
        }
        self.findings.push(f);
    }

    /// Implied decimal places of `TAG nn` from the grammar (`N2` → 2), when it has some.
    pub fn implied_decimals(&self, tag: &[u8], n: usize) -> Option<u32> {
        let def = self.grammar.dictionary.get_bytes(tag)?;
        match &def.elements.get(n - 1)?.item {
            Item::Simple(e) => e.kind.implied_decimals(),
            Item::Composite { .. } => None,
        }
    }

    /// A value the mapping cannot use: an element-level finding (so `lenient` makes it a
    /// warning and `strict` rejects), saying that the field is left empty.
    fn refuse(&mut self, seg: &Fields<'_>, n: usize, v: &[u8], e: values::Error) {
        let tag = seg.tag_str().into_owned();
        let f = Finding::error(
            value_code(e),
            format!(
                "{tag}{n:02} '{}' {e}; the value is not used (its field is left empty)",
                for_message(v, 40)
            ),
        );
        self.push(f, seg, n);
    }

    /// A money or quantity element: `R` as written, `Nn` with its implied decimals.
    pub fn number(&mut self, seg: &Fields<'_>, n: usize) -> Option<Decimal> {
        let v = trim(seg.value(n));
        if v.is_empty() {
            return None;
        }
        let parsed = match self.implied_decimals(seg.tag, n) {
            // Some senders put a decimal point in an Nn field; the grammar reports it, and a
            // lenient partner's value is taken as written.
            Some(places) if !v.contains(&b'.') => values::implied(v, places),
            _ => values::decimal(v, Notation::X12),
        };
        parsed.map_err(|e| self.refuse(seg, n, v, e)).ok()
    }

    /// A date element (CCYYMMDD or YYMMDD); an unreal date is reported and left out.
    pub fn date(&mut self, seg: &Fields<'_>, n: usize) -> Option<Date> {
        let v = seg.value(n);
        if v.is_empty() {
            return None;
        }
        values::x12_date(v)
            .map_err(|e| self.refuse(seg, n, v, e))
            .ok()
    }

    /// A count (CTT01, ITD days): a whole number that is not negative.
    pub fn whole<T: TryFrom<u64>>(&mut self, seg: &Fields<'_>, n: usize) -> Option<T> {
        let v = trim(seg.value(n));
        if v.is_empty() {
            return None;
        }
        let e = match values::implied(v, 0) {
            Ok(d) if d.is_sign_negative() && !d.is_zero() => values::Error::NotACount,
            Ok(d) => match d.to_u64().and_then(|d| T::try_from(d).ok()) {
                Some(t) => return Some(t),
                None => values::Error::OutOfRange,
            },
            Err(e) => e,
        };
        self.refuse(seg, n, v, e);
        None
    }

    /// A time element (HHMM, HHMMSS, HHMMSSD, HHMMSSDD); an unreal time is reported and left
    /// out.
    pub fn time(&mut self, seg: &Fields<'_>, n: usize) -> Option<Time> {
        let v = seg.value(n);
        if v.is_empty() {
            return None;
        }
        let t = time(v);
        if t.is_none() {
            self.refuse(seg, n, v, values::Error::NotATime("HHMM, HHMMSS"));
        }
        t
    }
}

/// Why a required element has no value: not sent, or sent but refused (with its own finding).
pub fn absent(seg: &Fields<'_>, n: usize) -> &'static str {
    if seg.value(n).is_empty() {
        "is missing"
    } else {
        "could not be used"
    }
}

fn trim(v: &[u8]) -> &[u8] {
    v.trim_ascii()
}

/// Trimmed text of element `n`, `None` when empty. Control characters are left out (the
/// grammar validator reports them).
pub fn text(seg: &Fields<'_>, n: usize) -> Option<String> {
    text_ref(seg, n).map(Cow::into_owned)
}

/// [`text`] borrowed from the segment when it can be: for values that are compared or copied
/// into a larger string rather than kept.
pub fn text_ref<'s>(seg: &Fields<'s>, n: usize) -> Option<Cow<'s, str>> {
    let v = seg.value(n);
    match seg.text_of(v) {
        Some(t) => tidy_printable(t).map(Cow::Borrowed),
        None => tidy_bytes(v, decode),
    }
}

/// [`text`] as bytes, for a qualifier that is matched rather than kept.
fn qualifier<'s>(seg: &Fields<'s>, n: usize) -> Option<Cow<'s, [u8]>> {
    let v = seg.value(n);
    match seg.text_of(v) {
        Some(t) => tidy_printable(t).map(|t| Cow::Borrowed(t.as_bytes())),
        None => tidy_raw(v, decode),
    }
}

/// HHMM, HHMMSS or HHMMSSDD.
pub fn time(v: &[u8]) -> Option<Time> {
    let s = std::str::from_utf8(v).ok()?;
    if s.len() < 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h = s[..2].parse::<i8>().ok()?;
    let m = s[2..4].parse::<i8>().ok()?;
    let sec = if s.len() >= 6 {
        s[4..6].parse::<i8>().ok()?
    } else {
        0
    };
    Time::new(h, m, sec, 0).ok()
}

pub fn purpose(code: &[u8]) -> Purpose {
    match code {
        b"00" | b"" => Purpose::Original,
        b"01" => Purpose::Cancel,
        b"04" => Purpose::Change,
        b"05" => Purpose::Replace,
        b"06" => Purpose::Confirmation,
        b"07" => Purpose::Duplicate,
        b"18" | b"T" => Purpose::Test,
        _ => Purpose::Other,
    }
}

/// N101 entity codes to roles.
pub fn role(code: &str) -> Role {
    match code {
        "BY" | "BT2" | "OB" => Role::Buyer,
        "SE" | "SU" | "VN" | "SF2" => Role::Seller,
        "ST" | "DA" | "SN" => Role::ShipTo,
        "BT" | "BS" | "PR" => Role::BillTo,
        "SF" | "SH" | "WH" => Role::ShipFrom,
        "RE" | "RI" | "PE" => Role::RemitTo,
        _ => Role::Other,
    }
}

/// Starts a party from an N1 segment.
fn party_from_n1(seg: &Fields<'_>) -> Party {
    let role_code = text(seg, 1).unwrap_or_default();
    let mut ids = Vec::new();
    if let (Some(q), Some(id)) = (text_ref(seg, 3), text_ref(seg, 4)) {
        ids.push(PartyId {
            qualifier: q.into_owned(),
            id: id.into_owned(),
        });
    }
    Party {
        role: role(&role_code),
        role_code,
        name: text(seg, 2),
        ids,
        address: Address::default(),
        contacts: Vec::new(),
    }
}

/// The N1 loop being read: N1 opens a party, N2/N3/N4/PER add to it, any other segment closes
/// it into the document's parties.
#[derive(Default)]
pub struct PartyLoop {
    open: Option<Party>,
}

impl PartyLoop {
    /// Takes a party detail segment, returning true; any other segment closes the open party.
    pub fn detail(&mut self, seg: &Fields<'_>, parties: &mut Vec<Party>) -> bool {
        if let Some(p) = self.open.as_mut() {
            if party_detail(p, seg) {
                return true;
            }
            parties.extend(self.open.take());
        }
        false
    }

    /// Opens a party at an N1.
    pub fn open(&mut self, seg: &Fields<'_>, parties: &mut Vec<Party>) {
        parties.extend(self.open.take());
        self.open = Some(party_from_n1(seg));
    }

    /// Closes the open party at the end of the document.
    pub fn finish(&mut self, parties: &mut Vec<Party>) {
        parties.extend(self.open.take());
    }
}

/// Appends a PID free-form description (PID05) to a line's description.
pub fn append_description(description: &mut Option<String>, seg: &Fields<'_>) {
    if let Some(d) = text_ref(seg, 5) {
        append_spaced(description, d);
    }
}

/// Adds N2/N3/N4/PER details to the current party. Returns false for other tags.
fn party_detail(p: &mut Party, seg: &Fields<'_>) -> bool {
    match seg.tag {
        b"N2" => {
            for extra in [1, 2].iter().filter_map(|&n| text_ref(seg, n)) {
                append_spaced(&mut p.name, extra);
            }
        }
        b"N3" => p
            .address
            .lines
            .extend([1, 2].iter().filter_map(|&n| text(seg, n))),
        b"N4" => {
            p.address.city = text(seg, 1);
            p.address.region = text(seg, 2);
            p.address.postal_code = text(seg, 3);
            p.address.country = text(seg, 4);
        }
        b"PER" => p.contacts.push(contact(seg)),
        _ => return false,
    }
    true
}

/// A PER contact: PER02 name, PER03/04, 05/06, 07/08 communication pairs.
pub fn contact(seg: &Fields<'_>) -> Contact {
    let mut c = Contact {
        name: text(seg, 2),
        phone: None,
        email: None,
    };
    for (q, v) in [(3, 4), (5, 6), (7, 8)] {
        let slot = match text_ref(seg, q).as_deref() {
            Some("TE") => &mut c.phone,
            Some("EM") => &mut c.email,
            _ => continue,
        };
        if slot.is_none() {
            *slot = text(seg, v);
        }
    }
    c
}

/// Reads qualifier/id pairs starting at element `first` (PO106/PO107, IT106/IT107, LIN02/LIN03...).
pub fn item_ids(seg: &Fields<'_>, first: usize) -> ItemIds {
    let mut ids = ItemIds::default();
    let mut n = first;
    while n < first + 24 {
        let (Some(q), Some(v)) = (qualifier(seg, n), text_ref(seg, n + 1)) else {
            if seg.element(n).is_none() {
                break;
            }
            n += 2;
            continue;
        };
        add_item_id(&mut ids, &q, v.into_owned());
        n += 2;
    }
    ids
}

/// SAC: SAC01 A/C, SAC02 code, SAC05 amount (implied decimals), SAC07 percent, SAC08 rate,
/// SAC10 quantity, SAC15 description. `N` (no allowance or charge) gives `None`.
pub fn allowance_charge(ctx: &mut Ctx<'_>, seg: &Fields<'_>) -> Option<AllowanceCharge> {
    let kind = match seg.value(1) {
        b"A" => AllowanceOrCharge::Allowance,
        b"C" => AllowanceOrCharge::Charge,
        _ => return None,
    };
    Some(AllowanceCharge {
        kind,
        code: text(seg, 2),
        amount: ctx.number(seg, 5),
        percent: ctx.number(seg, 7),
        rate: ctx.number(seg, 8),
        quantity: ctx.number(seg, 10),
        description: text(seg, 15),
    })
}

/// TXI: TXI01 tax type, TXI02 amount, TXI03 percent.
pub fn tax(ctx: &mut Ctx<'_>, seg: &Fields<'_>) -> Tax {
    Tax {
        code: text(seg, 1).unwrap_or_default(),
        amount: ctx.number(seg, 2),
        percent: ctx.number(seg, 3),
    }
}

/// REF: qualifier, value, description.
pub fn reference(seg: &Fields<'_>) -> Option<Reference> {
    let qualifier = text(seg, 1)?;
    // REF02 is the value and REF03 its description; REF03 alone stands in for the value.
    let (value, description) = match (text(seg, 2), text(seg, 3)) {
        (Some(v), d) => (v, d),
        (None, v) => (v?, None),
    };
    Some(Reference {
        qualifier,
        value,
        description,
    })
}

/// DTM: qualifier, date, time.
pub fn dated(ctx: &mut Ctx<'_>, seg: &Fields<'_>) -> Option<DatedEvent> {
    let qualifier = text(seg, 1)?;
    let date = ctx.date(seg, 2)?;
    Some(DatedEvent {
        qualifier,
        date,
        time: ctx.time(seg, 3),
    })
}

/// ITD payment terms.
pub fn terms(ctx: &mut Ctx<'_>, seg: &Fields<'_>) -> Terms {
    Terms {
        code: text(seg, 1),
        discount_percent: ctx.number(seg, 3),
        discount_days: ctx.whole(seg, 5),
        net_days: ctx.whole(seg, 7),
        description: text(seg, 12),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_decimals_and_dates() {
        assert_eq!(
            values::x12_date(b"20240229").unwrap().to_string(),
            "2024-02-29"
        );
        assert_eq!(
            values::x12_date(b"990101").unwrap().to_string(),
            "1999-01-01"
        );
        assert!(values::x12_date(b"20230229").is_err());
        assert!(values::x12_date(b"00000000").is_err());
        assert_eq!(time(b"142428").unwrap().to_string(), "14:24:28");
    }
}
