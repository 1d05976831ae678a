//! Pieces shared by the EDIFACT mappings: components as text and numbers, dates, parties, item
//! ids, allowances and charges, taxes.

use crate::diag::{Code, Controls, Finding};
use crate::map::common::add_item_id;
use crate::map::common::value_code;
use crate::model::{
    Address, AllowanceCharge, AllowanceOrCharge, Contact, DatedEvent, ItemIds, Party, PartyId,
    Purpose, Reference, Role, Tax,
};
use crate::syntax::Fields;
use crate::syntax::edifact::charset::Charset;
use crate::syntax::text::for_message;
use crate::syntax::values::{self, Notation, without_controls};
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
    fn decoded(&self, v: &[u8]) -> String {
        without_controls(&self.charset.decode(v)).trim().to_string()
    }

    /// Component `c` (1-based) of element `n`, unescaped, decoded and trimmed, without control
    /// characters; `None` if empty.
    pub fn text(&self, seg: &Fields<'_>, n: usize, c: usize) -> Option<String> {
        let t = without_controls(&self.value(seg, n, c)?).trim().to_string();
        (!t.is_empty()).then_some(t)
    }

    /// Component `c` of element `n` as [`Self::text`] gives it but with its control characters:
    /// a number or a date is read from what was sent, so that one the grammar validator
    /// refuses for a control character is refused here too, never repaired.
    fn value<'s>(&self, seg: &Fields<'s>, n: usize, c: usize) -> Option<Cow<'s, str>> {
        let raw = seg.element(n)?;
        let comp = seg.components(raw).nth(c - 1)?;
        // Borrowed from the segment unless a release character or the character set made a
        // copy necessary: most values are plain ASCII and cost no allocation here.
        let t = match seg.separators.unescape(comp) {
            Cow::Borrowed(b) => match self.charset.decode(b) {
                Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
                Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
            },
            Cow::Owned(b) => Cow::Owned(self.charset.decode(&b).trim().to_owned()),
        };
        (!t.is_empty()).then_some(t)
    }

    /// Non-empty components of element `n` joined with spaces (names, free text).
    pub fn joined(&self, seg: &Fields<'_>, n: usize) -> Option<String> {
        let raw = seg.element(n)?;
        let parts: Vec<String> = seg
            .components(raw)
            .map(|c| self.decoded(&seg.separators.unescape(c)))
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// A value the mapping cannot use: an element-level finding (so `lenient` makes it a
    /// warning and `strict` rejects), saying that the field is left empty.
    pub fn refuse(&mut self, seg: &Fields<'_>, n: usize, c: usize, v: &str, e: values::Error) {
        let tag = seg.tag_str().into_owned();
        let f = Finding::error(
            value_code(e),
            format!(
                "{tag}{n:02}-{c} '{}' {e}; the value is not used (its field is left empty)",
                for_message(v.as_bytes(), 40)
            ),
        )
        .component(c);
        self.push(f, seg, n);
    }

    /// A number in component `c` of element `n`; the decimal mark may be `.` or `,`.
    pub fn number(&mut self, seg: &Fields<'_>, n: usize, c: usize) -> Option<Decimal> {
        let t = self.value(seg, n, c)?;
        values::decimal(t.as_bytes(), Notation::Edifact)
            .map_err(|e| self.refuse(seg, n, c, &t, e))
            .ok()
    }

    /// DTM C507: qualifier, value, format (102 CCYYMMDD, 203 CCYYMMDDHHMM, 101 YYMMDD...).
    pub fn dated(&mut self, seg: &Fields<'_>) -> Option<DatedEvent> {
        let qualifier = self.text(seg, 1, 1)?;
        let value = self.value(seg, 1, 2)?;
        let format = self.value(seg, 1, 3).unwrap_or_default();
        match values::edifact_date_time(value.as_bytes(), format.as_bytes()) {
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
                        for_message(value.as_bytes(), 40),
                        for_message(format.as_bytes(), 12)
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
        if let Some(id) = self.text(seg, 2, 1) {
            ids.push(PartyId {
                qualifier: self.text(seg, 2, 3).unwrap_or_default(),
                id,
            });
        }
        let name = self.joined(seg, 4).or_else(|| self.joined(seg, 3));
        let mut lines: Vec<String> = Vec::new();
        if let Some(street) = seg.element(5) {
            lines.extend(
                seg.components(street)
                    .map(|c| self.decoded(&seg.separators.unescape(c)))
                    .filter(|s| !s.is_empty()),
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
        Some(Reference {
            qualifier: self.text(seg, 1, 1)?,
            value: self.text(seg, 1, 2)?,
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
            if let (Some(id), Some(kind)) = (self.text(seg, n, 1), self.text(seg, n, 2)) {
                add_item_id(ids, edifact_item_qualifier(&kind), id);
            }
        }
    }

    /// ALC: allowance or charge, its code (C214 7161) and description.
    pub fn allowance_charge(&self, seg: &Fields<'_>) -> Option<AllowanceCharge> {
        let kind = match self.text(seg, 1, 1).as_deref() {
            Some("A") => AllowanceOrCharge::Allowance,
            Some("C") => AllowanceOrCharge::Charge,
            _ => return None,
        };
        Some(AllowanceCharge {
            kind,
            code: self.text(seg, 5, 1),
            amount: None,
            percent: None,
            rate: None,
            quantity: None,
            description: self.text(seg, 5, 4),
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
                let (Some(value), Some(kind)) = (self.text(seg, 1, 1), self.text(seg, 1, 2)) else {
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
                match kind.as_str() {
                    "TE" if c.phone.is_none() => c.phone = Some(value),
                    "EM" if c.email.is_none() => c.email = Some(value),
                    _ => {}
                }
            }
            _ => {}
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
fn edifact_item_qualifier(kind: &str) -> &str {
    match kind {
        "SRV" | "EN" | "EU" => "UK",
        "UP" => "UP",
        "IB" => "IB",
        "IN" | "BP" => "IN",
        "SA" | "VN" | "VP" => "VN",
        "SK" => "SK",
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
}
