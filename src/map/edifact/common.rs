//! Pieces shared by the EDIFACT mappings: components as text and numbers, dates, parties, item
//! ids, allowances and charges, taxes.

use crate::diag::{Code, Controls, Finding};
use crate::map::common::value_code;
use crate::map::common::{add_item_id, append_spaced};
use crate::model::{
    Address, AllowanceCharge, AllowanceOrCharge, Contact, DatedEvent, ItemIds, Party, PartyId,
    Purpose, Reference, Role, Tax,
};
use crate::syntax::edifact::charset::Charset;
use crate::syntax::text::{for_message, tidy, tidy_ascii, tidy_bytes, tidy_printable, tidy_raw};
use crate::syntax::values::{self, Notation};
use crate::syntax::{Fields, Separators, find_byte, text_within};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// Mapping context: where findings go and how text is decoded.
pub struct Ctx<'a> {
    pub controls: &'a Controls,
    pub charset: Charset,
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

    /// An unescaped value as model text: decoded, trimmed, and without control characters
    /// (the grammar validator reports them).
    #[cfg(test)]
    fn decoded(&self, v: &[u8]) -> String {
        let plain = Separators {
            component: b':',
            repetition: None,
            release: None,
        };
        self.clean(None, v, plain)
            .map(Cow::into_owned)
            .unwrap_or_default()
    }

    /// A raw component as model text: unescaped, decoded, trimmed, without control characters;
    /// `None` if empty. Borrowed from the segment unless a release character, the character
    /// set or a control character made a copy necessary. `text` is the segment's text when it
    /// is known to be printable ASCII ([`Fields::text`]): then `comp` is read from it as it is.
    fn clean<'s>(
        &self,
        text: Option<&'s str>,
        comp: &'s [u8],
        separators: Separators,
    ) -> Option<Cow<'s, str>> {
        if let Some(t) = text.and_then(|t| text_within(t, comp)) {
            return tidy_printable(t).map(Cow::Borrowed);
        }
        match separators.unescape(comp) {
            Cow::Borrowed(b) => tidy_bytes(b, |b| self.charset.decode(b)),
            // ASCII reads the same in every set: the unescaped bytes become the text as they are.
            Cow::Owned(b) if b.is_ascii() => tidy_ascii(b).map(Cow::Owned),
            Cow::Owned(b) => tidy(self.charset.decode(&b)).map(|t| Cow::Owned(t.into_owned())),
        }
    }

    /// Component `c` (1-based) of element `n`, unescaped, decoded and trimmed, without control
    /// characters; `None` if empty.
    pub fn text(&self, seg: &Fields<'_>, n: usize, c: usize) -> Option<String> {
        self.text_in(&Composite::of(seg, n)?, c)
    }

    /// Component `c` of an element already split, as [`Self::text`] gives it.
    pub fn text_in(&self, el: &Composite<'_>, c: usize) -> Option<String> {
        self.text_ref(el, c).map(Cow::into_owned)
    }

    /// [`Self::text_in`] borrowed when it can be: for values compared or joined, not kept.
    pub fn text_ref<'s>(&self, el: &Composite<'s>, c: usize) -> Option<Cow<'s, str>> {
        self.clean(el.text, el.get(c)?, el.separators)
    }

    /// [`Self::text_ref`] as bytes, for a code that is matched rather than kept.
    fn raw_ref<'s>(&self, el: &Composite<'s>, c: usize) -> Option<Cow<'s, [u8]>> {
        let comp = el.get(c)?;
        if let Some(t) = el.text.and_then(|t| text_within(t, comp)) {
            return tidy_printable(t).map(|t| Cow::Borrowed(t.as_bytes()));
        }
        match el.separators.unescape(comp) {
            Cow::Borrowed(b) => tidy_raw(b, |b| self.charset.decode(b)),
            Cow::Owned(_) => self
                .clean(None, comp, el.separators)
                .map(|t| Cow::Owned(t.into_owned().into_bytes())),
        }
    }

    /// Component `c` of an element as [`Self::text_in`] gives it but with its control
    /// characters: a number or a date is read from what was sent, so that one the grammar
    /// validator refuses for a control character is refused here too, never repaired.
    ///
    /// The text's bytes: numbers and dates are read from bytes, and ASCII needs no decoding.
    fn value<'s>(&self, el: &Composite<'s>, c: usize) -> Option<Cow<'s, [u8]>> {
        let comp = el.get(c)?;
        // Borrowed from the segment unless a release character or the character set made a
        // copy necessary: most values are plain ASCII and cost no allocation here.
        let t = match el.separators.unescape(comp) {
            Cow::Borrowed(b) if b.is_ascii() => Cow::Borrowed(trim_ascii_white(b)),
            Cow::Borrowed(b) => match self.charset.decode(b) {
                Cow::Borrowed(s) => Cow::Borrowed(s.trim().as_bytes()),
                Cow::Owned(s) => Cow::Owned(s.trim().as_bytes().to_vec()),
            },
            Cow::Owned(b) => Cow::Owned(self.charset.decode(&b).trim().as_bytes().to_vec()),
        };
        (!t.is_empty()).then_some(t)
    }

    /// Non-empty components of element `n` joined with spaces (names, free text).
    pub fn joined(&self, seg: &Fields<'_>, n: usize) -> Option<String> {
        let raw = seg.element(n)?;
        let mut out: Option<String> = None;
        for part in seg
            .components(raw)
            .filter_map(|c| self.clean(seg.text(), c, seg.separators))
        {
            append_spaced(&mut out, part);
        }
        out
    }

    /// A value the mapping cannot use: an element-level finding (so `lenient` makes it a
    /// warning and `strict` rejects), saying that the field is left empty.
    pub fn refuse(&mut self, seg: &Fields<'_>, n: usize, c: usize, v: &[u8], e: values::Error) {
        let tag = seg.tag_str().into_owned();
        let f = Finding::error(
            value_code(e),
            format!(
                "{tag}{n:02}-{c} '{}' {e}; the value is not used (its field is left empty)",
                for_message(v, 40)
            ),
        )
        .component(c);
        self.push(f, seg, n);
    }

    /// A number in component `c` of element `n`; the decimal mark may be `.` or `,`.
    pub fn number(&mut self, seg: &Fields<'_>, n: usize, c: usize) -> Option<Decimal> {
        self.number_in(seg, &Composite::of(seg, n)?, c)
    }

    /// [`Self::number`] from an element already split.
    pub fn number_in(&mut self, seg: &Fields<'_>, el: &Composite<'_>, c: usize) -> Option<Decimal> {
        let t = self.value(el, c)?;
        values::decimal(&t, Notation::Edifact)
            .map_err(|e| self.refuse(seg, el.n, c, &t, e))
            .ok()
    }

    /// DTM C507: qualifier, value, format (102 CCYYMMDD, 203 CCYYMMDDHHMM, 101 YYMMDD...).
    pub fn dated(&mut self, seg: &Fields<'_>) -> Option<DatedEvent> {
        let el = Composite::of(seg, 1)?;
        let qualifier = self.text_in(&el, 1)?;
        let value = self.value(&el, 2)?;
        let format = self.value(&el, 3).unwrap_or_default();
        match values::edifact_date_time(&value, &format) {
            Ok(Some((date, time))) => Some(DatedEvent {
                qualifier,
                date,
                time,
            }),
            Ok(None) => {
                self.warn(
                    seg,
                    1,
                    format!(
                        "DTM {qualifier} '{}' is not a date in format {}; left out",
                        for_message(&value, 40),
                        for_message(&format, 12)
                    ),
                );
                None
            }
            Err(e) => {
                self.refuse(seg, 1, 2, &value, e);
                None
            }
        }
    }

    /// A party from NAD: role, C082 id, C058/C080 name, C059 street, city, region, postcode,
    /// country.
    pub fn party(&self, seg: &Fields<'_>) -> Party {
        let role_code = self.text(seg, 1, 1).unwrap_or_default();
        let mut ids = Vec::new();
        if let Some(c082) = Composite::of(seg, 2)
            && let Some(id) = self.text_in(&c082, 1)
        {
            ids.push(PartyId {
                qualifier: self.text_in(&c082, 3).unwrap_or_default(),
                id,
            });
        }
        let name = self.joined(seg, 4).or_else(|| self.joined(seg, 3));
        let mut lines: Vec<String> = Vec::new();
        if let Some(street) = seg.element(5) {
            lines.extend(
                seg.components(street)
                    .filter_map(|c| self.clean(seg.text(), c, seg.separators))
                    .map(Cow::into_owned),
            );
        }
        Party {
            role: role(&role_code),
            role_code,
            name,
            ids,
            address: Address {
                lines,
                city: self.text(seg, 6, 1),
                region: self.text(seg, 7, 1),
                postal_code: self.text(seg, 8, 1),
                country: self.text(seg, 9, 1),
            },
            contacts: Vec::new(),
        }
    }

    /// RFF C506: qualifier and value.
    pub fn reference(&self, seg: &Fields<'_>) -> Option<Reference> {
        let c506 = Composite::of(seg, 1)?;
        Some(Reference {
            qualifier: self.text_in(&c506, 1)?,
            value: self.text_in(&c506, 2)?,
            description: None,
        })
    }

    /// Item ids of a LIN (element 3) or PIA (elements 2 to 6): C212 id and type.
    pub fn item_ids_into(
        &self,
        ids: &mut ItemIds,
        seg: &Fields<'_>,
        elements: std::ops::RangeInclusive<usize>,
    ) {
        for n in elements {
            let Some(c212) = Composite::of(seg, n) else {
                continue;
            };
            if let (Some(id), Some(kind)) = (self.text_ref(&c212, 1), self.raw_ref(&c212, 2)) {
                add_item_id(ids, edifact_item_qualifier(&kind), id.into_owned());
            }
        }
    }

    /// ALC: allowance or charge, its code (C214 7161) and description.
    pub fn allowance_charge(&self, seg: &Fields<'_>) -> Option<AllowanceCharge> {
        let kind = match Composite::of(seg, 1)
            .and_then(|c| self.text_ref(&c, 1))
            .as_deref()
        {
            Some("A") => AllowanceOrCharge::Allowance,
            Some("C") => AllowanceOrCharge::Charge,
            _ => return None,
        };
        let c214 = Composite::of(seg, 5);
        let text = |c| c214.as_ref().and_then(|el| self.text_in(el, c));
        Some(AllowanceCharge {
            kind,
            code: text(1),
            amount: None,
            percent: None,
            rate: None,
            quantity: None,
            description: text(4),
        })
    }

    /// TAX: type (C241 5153) and rate (C243 5278).
    pub fn tax(&mut self, seg: &Fields<'_>) -> Tax {
        Tax {
            code: self.text(seg, 2, 1).unwrap_or_default(),
            amount: None,
            percent: self.number(seg, 5, 4),
        }
    }

    /// A CTA/COM contact detail.
    pub fn contact_detail(&self, party: &mut Party, seg: &Fields<'_>) {
        match seg.tag {
            b"CTA" => party.contacts.push(Contact {
                name: self.text(seg, 2, 2),
                phone: None,
                email: None,
            }),
            b"COM" => {
                let Some(c076) = Composite::of(seg, 1) else {
                    return;
                };
                let (Some(value), Some(kind)) = (self.text_in(&c076, 1), self.text_ref(&c076, 2))
                else {
                    return;
                };
                if party.contacts.is_empty() {
                    party.contacts.push(Contact {
                        name: None,
                        phone: None,
                        email: None,
                    });
                }
                let c = party.contacts.last_mut().expect("one at least");
                match &*kind {
                    "TE" if c.phone.is_none() => c.phone = Some(value),
                    "EM" if c.email.is_none() => c.email = Some(value),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// ASCII decodes to itself in every set: this trims what `str::trim` trims from ASCII text (the
/// Unicode White_Space of ASCII: tab, line feed, vertical tab, form feed, carriage return and
/// space; `u8::trim_ascii` keeps the vertical tab).
fn trim_ascii_white(b: &[u8]) -> &[u8] {
    let white = |c: &u8| matches!(c, b'\t'..=b'\r' | b' ');
    let start = b.iter().position(|c| !white(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !white(c)).map_or(start, |e| e + 1);
    &b[start..end]
}

/// How many components [`Composite`] keeps at hand; the mapping reads none beyond the fifth.
const KEPT: usize = 5;

/// One element split into its components once, for a mapping that reads several of them.
pub struct Composite<'s> {
    /// The element's position (1-based), for findings.
    pub n: usize,
    raw: &'s [u8],
    /// The release character only when the element holds one, so that plain components are
    /// not searched for it again.
    separators: Separators,
    parts: [&'s [u8]; KEPT],
    len: usize,
    /// The segment's text, when it is printable ASCII ([`Fields::text`]).
    text: Option<&'s str>,
}

impl<'s> Composite<'s> {
    /// Element `n` of the segment; `None` past the last element.
    pub fn of(seg: &Fields<'s>, n: usize) -> Option<Self> {
        let raw = seg.element(n)?;
        let (sep, release) = (seg.separators.component, seg.separators.release);
        let mut parts: [&'s [u8]; KEPT] = [b""; KEPT];
        let mut len = 0;
        let mut released = false;
        let mut start = 0;
        match release {
            // The segment holds no release character: the separators are found eight bytes at
            // a time.
            None => {
                while let Some(at) = find_byte(raw, start, sep) {
                    if len == KEPT {
                        break;
                    }
                    parts[len] = &raw[start..at];
                    len += 1;
                    start = at + 1;
                }
            }
            // One pass that splits as `Separators::components` does (a released separator does
            // not split) and notes whether the release character occurs: elements are short,
            // and a `memchr` per component and one for the release cost more than the bytes.
            Some(rel) => {
                let mut i = 0;
                while i < raw.len() {
                    let b = raw[i];
                    if b == rel {
                        released = true;
                        i += 2;
                        continue;
                    }
                    if b == sep {
                        if len == KEPT {
                            break;
                        }
                        parts[len] = &raw[start..i];
                        len += 1;
                        start = i + 1;
                    }
                    i += 1;
                }
            }
        }
        if len < KEPT {
            parts[len] = &raw[start..];
            len += 1;
        }
        let released =
            released || release.is_some_and(|r| len == KEPT && memchr::memchr(r, raw).is_some());
        Some(Composite {
            n,
            raw,
            separators: Separators {
                release: release.filter(|_| released),
                ..seg.separators
            },
            parts,
            len,
            text: seg.text(),
        })
    }

    /// Component `c` (1-based), raw; `None` past the last.
    #[inline]
    fn get(&self, c: usize) -> Option<&'s [u8]> {
        match c.checked_sub(1)? {
            i if i < self.len => Some(self.parts[i]),
            _ if self.len < KEPT => None,
            i => self.separators.components(self.raw).nth(i),
        }
    }
}

/// BGM 1225 message function codes.
pub fn purpose(code: Option<&str>) -> Purpose {
    match code.unwrap_or("9") {
        "9" => Purpose::Original,
        "1" | "3" => Purpose::Cancel,
        "4" => Purpose::Change,
        "5" => Purpose::Replace,
        "6" | "29" => Purpose::Confirmation,
        "7" | "31" | "43" => Purpose::Duplicate,
        _ => Purpose::Other,
    }
}

/// NAD 3035 party function codes to roles.
pub fn role(code: &str) -> Role {
    match code {
        "BY" => Role::Buyer,
        "SU" | "SE" | "II" => Role::Seller,
        "DP" | "ST" | "CN" | "UD" => Role::ShipTo,
        "IV" | "BT" | "OB" => Role::BillTo,
        "SF" | "CZ" | "SH" => Role::ShipFrom,
        "PE" | "RE" => Role::RemitTo,
        _ => Role::Other,
    }
}

/// EDIFACT item number type codes (7143) in terms of the X12 qualifiers the model files by.
fn edifact_item_qualifier(kind: &[u8]) -> &[u8] {
    match kind {
        b"SRV" | b"EN" | b"EU" => b"UK",
        b"UP" => b"UP",
        b"IB" => b"IB",
        b"IN" | b"BP" => b"IN",
        b"SA" | b"VN" | b"VP" => b"VN",
        b"SK" => b"SK",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_text_has_no_control_characters() {
        let ctx = Ctx {
            controls: &Controls::default(),
            charset: Charset::Latin1,
            findings: Vec::new(),
        };
        assert_eq!(ctx.decoded(b" ACME\x00 RETAIL\x1F "), "ACME RETAIL");
    }

    /// Release characters removed one byte at a time (one at the very end stays): what the
    /// run-copying `Separators::unescape` must give.
    fn unescaped_byte_by_byte(v: &[u8], rel: u8) -> Cow<'_, [u8]> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < v.len() {
            if v[i] == rel && i + 1 < v.len() {
                i += 1;
            }
            out.push(v[i]);
            i += 1;
        }
        Cow::Owned(out)
    }

    #[test]
    fn unescape_and_split_as_the_separators_do() {
        let seps = Separators {
            component: b':',
            repetition: Some(b'*'),
            release: Some(b'?'),
        };
        let fields_of = |raw: &'static [u8]| {
            let mut table = crate::syntax::FieldTable::with_capacity(1);
            table.push(
                b"IMD",
                crate::syntax::Span::default(),
                0,
                seps,
                [raw].into_iter(),
            );
            table
        };
        for raw in [
            &b""[..],
            b":",
            b"a:b:c",
            b"a?:b:c?",
            b"??:?",
            b":::WIDGET ?+ BOLT 1?: SIZE 2 ?'STD?':x",
            b"1:2:3:4:5:6:7:8:9",
            b"1:2:3:4:5:6:7:8?:9?",
        ] {
            let table = fields_of(raw);
            let seg = table.fields()[0];
            let el = Composite::of(&seg, 1).expect("one element");
            let want: Vec<&[u8]> = seps.components(raw).collect();
            for c in 1..=want.len() + 2 {
                assert_eq!(el.get(c), want.get(c - 1).copied(), "{raw:?} {c}");
                if let Some(part) = el.get(c) {
                    assert_eq!(el.separators.unescape(part), seps.unescape(part));
                    assert_eq!(seps.unescape(part), unescaped_byte_by_byte(part, b'?'));
                }
            }
        }
    }
}
