//! Values as the EDIFACT directories let them be written: text within its element's length,
//! numerics without exponent, dates with their format qualifier; and the segments that recur
//! in every message (DTM, RFF, NAD with its RFF/CTA/COM, item ids, descriptions).

use crate::map::outbound::Error;
use crate::model::{DatedEvent, ItemIds, Party, Reference, Role};
use crate::syntax::x12::{Element, Segment};
use rust_decimal::Decimal;

/// The directories written; element lengths come from their grammars ([`def`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    D96A,
    D01B,
}

impl Version {
    pub fn of(version: &str) -> Result<Self, Error> {
        match version {
            "D96A" => Ok(Version::D96A),
            "D01B" => Ok(Version::D01B),
            other => Err(Error::NotSupported {
                what: format!("directory '{other}' (D96A and D01B are written)"),
                standard: "EDIFACT",
            }),
        }
    }
}

/// How an element is measured: its maximum length, and whether it is numeric (`n`: only the
/// digits count, ISO 9735 clause 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Def {
    pub max: usize,
    pub numeric: bool,
}

/// The definition of a data element in a directory, as the grammars the messages are read
/// with define it (their dictionaries, through the DESADV and INVOIC structures).
pub fn def(id: &str, v: Version) -> Def {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static TABLES: [OnceLock<HashMap<String, Def>>; 2] = [OnceLock::new(), OnceLock::new()];
    let (slot, dir) = match v {
        Version::D96A => (0, "D96A"),
        Version::D01B => (1, "D01B"),
    };
    let table = TABLES[slot].get_or_init(|| {
        fn add(positions: &[crate::grammar::Position], out: &mut HashMap<String, Def>) {
            for p in positions {
                match &p.item {
                    crate::grammar::Item::Simple(e) => {
                        out.entry(e.id.clone()).or_insert(Def {
                            max: e.max,
                            numeric: e.kind == crate::grammar::ElementType::N,
                        });
                    }
                    crate::grammar::Item::Composite { components, .. } => add(components, out),
                }
            }
        }
        let mut out = HashMap::new();
        for message in ["DESADV", "INVOIC"] {
            if let Some((g, _)) = crate::map::outbound::grammars().edifact(dir, message) {
                for seg in g.dictionary.iter() {
                    add(&seg.elements, &mut out);
                }
            }
        }
        out
    });
    // Every element the writers use is in those dictionaries (a unit test holds them to it);
    // an unknown one is measured as a code.
    table.get(id).copied().unwrap_or(Def {
        max: 3,
        numeric: false,
    })
}

/// Builds one message body: the segments, and the directory their values are measured by.
pub struct Out {
    pub v: Version,
    pub segments: Vec<Segment>,
}

/// An element of one value.
pub fn el(v: impl Into<String>) -> Element {
    Element::simple(v)
}

/// An element of components.
pub fn comp<const N: usize>(parts: [String; N]) -> Element {
    Element::composite(parts)
}

/// No value.
pub fn none() -> Element {
    Element::simple("")
}

fn too_long(field: &str, value: &str, id: &str, d: Def) -> Error {
    let unit = if d.numeric { "digits" } else { "characters" };
    Error::Unrepresentable {
        field: field.to_string(),
        value: value.to_string(),
        why: format!("EDIFACT {id} holds at most {} {unit}", d.max),
    }
}

impl Out {
    pub fn new(v: Version) -> Self {
        Out {
            v,
            segments: Vec::new(),
        }
    }

    pub fn seg(&mut self, tag: &str, elements: Vec<Element>) {
        self.segments.push(Segment::new(tag, elements));
    }

    /// Text for element `id`: refused, never cut, when longer than the element holds or when
    /// it holds a control character (the grammar refuses those, and readers drop them).
    pub fn text(&self, field: &str, value: &str, id: &str) -> Result<String, Error> {
        // What the reader would not give back as it is: it trims values, and an empty one
        // is no value at all.
        let unchanged = if value.is_empty() {
            Some("it is empty, and an empty element reads back as no value")
        } else if value.trim() != value {
            Some("it has leading or trailing spaces, which readers drop")
        } else {
            None
        };
        if let Some(why) = unchanged {
            return Err(Error::Unrepresentable {
                field: field.to_string(),
                value: value.to_string(),
                why: why.into(),
            });
        }
        if value.chars().any(char::is_control) {
            return Err(Error::Unrepresentable {
                field: field.to_string(),
                value: value.to_string(),
                why: "it holds a control character, which EDIFACT data may not carry".into(),
            });
        }
        let d = def(id, self.v);
        let len = if d.numeric {
            value.bytes().filter(u8::is_ascii_digit).count()
        } else {
            value.chars().count()
        };
        if len > d.max {
            return Err(too_long(field, value, id, d));
        }
        Ok(value.to_string())
    }

    /// [`Self::text`] for a value that must be there.
    pub fn required(
        &self,
        field: &str,
        value: &str,
        id: &str,
        why: &'static str,
    ) -> Result<String, Error> {
        if value.trim().is_empty() {
            return Err(Error::Missing {
                field: field.to_string(),
                why,
            });
        }
        self.text(field, value, id)
    }

    /// [`Self::text`] of an optional value (empty when absent).
    pub fn opt(&self, field: &str, value: Option<&str>, id: &str) -> Result<String, Error> {
        value.map_or(Ok(String::new()), |v| self.text(field, v, id))
    }

    /// A decimal as an EDIFACT numeric: plain digits with `.` as the mark (the envelope writer
    /// puts the interchange's mark in), no exponent, no negative zero. Trailing zeros are kept
    /// unless the value is too long with them.
    pub fn number(&self, field: &str, value: Decimal, id: &str) -> Result<String, Error> {
        let mut value = value;
        if value.is_zero() {
            value.set_sign_positive(true);
        }
        let s = value.to_string();
        match self.text(field, &s, id) {
            Err(Error::Unrepresentable { .. }) => {
                self.text(field, &value.normalize().to_string(), id)
            }
            r => r,
        }
    }

    /// `DTM+qualifier:value:format`: 102 (CCYYMMDD) for a date, 203 (CCYYMMDDHHMM) with a time,
    /// 204 (CCYYMMDDHHMMSS) when the time has seconds.
    pub fn dtm(&mut self, field: &str, d: &DatedEvent) -> Result<(), Error> {
        let q = self.required(
            &format!("{field}.qualifier"),
            &d.qualifier,
            "2005",
            "DTM 2005 says which date it is",
        )?;
        let (value, format) = date_time(field, d)?;
        self.seg("DTM", vec![comp([q, value, format.into()])]);
        Ok(())
    }

    /// `RFF+qualifier:value`.
    pub fn rff(&mut self, field: &str, r: &Reference) -> Result<(), Error> {
        let q = self.required(
            &format!("{field}.qualifier"),
            &r.qualifier,
            "1153",
            "RFF 1153 says what the reference is",
        )?;
        let value = self.required(
            &format!("{field}.value"),
            &r.value,
            "1154",
            "an RFF without its reference number says nothing",
        )?;
        self.seg("RFF", vec![comp([q, value])]);
        Ok(())
    }

    /// At most `max` of something the message structure repeats.
    pub fn at_most(&self, field: &str, count: usize, max: usize, what: &str) -> Result<(), Error> {
        if count > max {
            return Err(Error::Unrepresentable {
                field: field.to_string(),
                value: count.to_string(),
                why: format!("a {what} holds at most {max}"),
            });
        }
        Ok(())
    }

    /// NAD, then an RFF for each party id after the first, then CTA/COM per contact.
    pub fn party(&mut self, field: &str, p: &Party) -> Result<(), Error> {
        let code = role_code(field, p)?;
        let code = self.text(&format!("{field}.role_code"), code, "3035")?;
        let c082 = match p.ids.first() {
            Some(id) => comp([
                self.required(
                    &format!("{field}.ids[0].id"),
                    &id.id,
                    "3039",
                    "a party id without its value",
                )?,
                String::new(),
                self.text(&format!("{field}.ids[0].qualifier"), &id.qualifier, "3055")?,
            ]),
            None => none(),
        };
        let name = match &p.name {
            Some(n) => Element::composite(self.parts(&format!("{field}.name"), n, "3036", 5)?),
            None => none(),
        };
        let lines = &p.address.lines;
        self.at_most(
            &format!("{field}.address.lines"),
            lines.len(),
            4,
            "NAD street (C059)",
        )?;
        let mut street = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            street.push(self.text(&format!("{field}.address.lines[{i}]"), l, "3042")?);
        }
        let a = &p.address;
        let nad = vec![
            el(code),
            c082,
            none(),
            name,
            Element::composite(street),
            el(self.opt(&format!("{field}.address.city"), a.city.as_deref(), "3164")?),
            el(self.opt(
                &format!("{field}.address.region"),
                a.region.as_deref(),
                "3229",
            )?),
            el(self.opt(
                &format!("{field}.address.postal_code"),
                a.postal_code.as_deref(),
                "3251",
            )?),
            el(self.opt(
                &format!("{field}.address.country"),
                a.country.as_deref(),
                "3207",
            )?),
        ];
        self.seg("NAD", nad);
        for (i, id) in p.ids.iter().enumerate().skip(1) {
            let r = Reference {
                qualifier: id.qualifier.clone(),
                value: id.id.clone(),
                description: None,
            };
            self.rff(&format!("{field}.ids[{i}]"), &r)?;
        }
        for (i, c) in p.contacts.iter().enumerate() {
            let f = format!("{field}.contacts[{i}]");
            let name = self.opt(&format!("{f}.name"), c.name.as_deref(), "3412")?;
            // IC: information contact; the reader opens a contact at each CTA.
            self.seg("CTA", vec![el("IC"), comp([String::new(), name])]);
            for (value, kind, what) in [(&c.phone, "TE", "phone"), (&c.email, "EM", "email")] {
                if let Some(v) = value {
                    let v = self.text(&format!("{f}.{what}"), v, "3148")?;
                    self.seg("COM", vec![comp([v, kind.into()])]);
                }
            }
        }
        Ok(())
    }

    /// Text cut at spaces into at most `max_parts` components of element `id`, which readers
    /// join again with one space: refused when it does not fit, or when a cut would leave a
    /// part starting or ending with a space (which readers trim).
    pub fn parts(
        &self,
        field: &str,
        text: &str,
        id: &str,
        max_parts: usize,
    ) -> Result<Vec<String>, Error> {
        let d = def(id, self.v);
        let whole = self.text(field, text, id);
        if whole.is_ok() {
            return whole.map(|t| vec![t]);
        }
        let refuse = || Error::Unrepresentable {
            field: field.to_string(),
            value: text.to_string(),
            why: format!(
                "it does not fit {max_parts} parts of {} characters (EDIFACT {id}) cut at single spaces",
                d.max
            ),
        };
        let mut parts: Vec<String> = Vec::new();
        let mut cur: Option<String> = None;
        for word in text.split(' ') {
            match cur.as_mut() {
                Some(c) if c.chars().count() + 1 + word.chars().count() <= d.max => {
                    c.push(' ');
                    c.push_str(word);
                }
                _ => {
                    parts.extend(cur.take());
                    cur = Some(word.to_string());
                }
            }
        }
        parts.extend(cur);
        let ok = parts.len() <= max_parts
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.chars().count() <= d.max
                    && p.trim() == p
                    && !p.chars().any(char::is_control)
            });
        if ok { Ok(parts) } else { Err(refuse()) }
    }

    /// `IMD+F++:::part:part`, as many as the description needs (at most `max_imd`).
    pub fn description(&mut self, field: &str, text: &str, max_imd: usize) -> Result<(), Error> {
        let parts = self.parts(field, text, "7008", 2 * max_imd)?;
        for pair in parts.chunks(2) {
            let second = pair.get(1).cloned().unwrap_or_default();
            let c273 = comp([
                String::new(),
                String::new(),
                String::new(),
                pair[0].clone(),
                second,
            ]);
            self.seg("IMD", vec![el("F"), none(), c273]);
        }
        Ok(())
    }

    /// The LIN item number (C212) and the PIA segments for the other ids.
    ///
    /// The GTIN goes on LIN as `SRV`; an EAN (the same number space) goes there as `EN` when
    /// there is no GTIN, and the reader files it as the GTIN. The others go on `PIA+1`, five to
    /// a segment: UPC `UP`, ISBN `IB`, buyer's `IN`, supplier's `SA`, SKU `SK`, then the other
    /// ids with their qualifiers as they are.
    pub fn item_ids(
        &self,
        field: &str,
        ids: &ItemIds,
        max_pia: usize,
    ) -> Result<(Element, Vec<Segment>), Error> {
        let id = |kind: &str, value: &str, q: &str| -> Result<[String; 2], Error> {
            let f = format!("{field}.{kind}");
            Ok([
                self.required(&f, value, "7140", "an item id without its value")?,
                self.text(&format!("{f} qualifier"), q, "7143")?,
            ])
        };
        let lin = match (&ids.gtin, &ids.ean) {
            (Some(_), Some(ean)) => {
                return Err(Error::Unrepresentable {
                    field: format!("{field}.ean"),
                    value: ean.clone(),
                    why: "EDIFACT numbers an EAN as a GTIN (EN, SRV), and this line has a GTIN already"
                        .into(),
                });
            }
            (Some(g), None) => Element::composite(id("gtin", g, "SRV")?),
            (None, Some(e)) => Element::composite(id("ean", e, "EN")?),
            (None, None) => none(),
        };
        let mut more: Vec<[String; 2]> = Vec::new();
        for (kind, value, q) in [
            ("upc", &ids.upc, "UP"),
            ("isbn", &ids.isbn, "IB"),
            ("buyer_part", &ids.buyer_part, "IN"),
            ("vendor_part", &ids.vendor_part, "SA"),
            ("sku", &ids.sku, "SK"),
        ] {
            if let Some(v) = value {
                more.push(id(kind, v, q)?);
            }
        }
        for (i, o) in ids.other.iter().enumerate() {
            let f = format!("{field}.other[{i}]");
            more.push([
                self.required(&f, &o.value, "7140", "an item id without its value")?,
                self.required(
                    &format!("{f}.qualifier"),
                    &o.qualifier,
                    "7143",
                    "an item id the reader cannot tell the kind of",
                )?,
            ]);
        }
        self.at_most(
            field,
            more.len(),
            5 * max_pia,
            "line's PIA segments (five ids each)",
        )?;
        let pia = more
            .chunks(5)
            .map(|c| {
                let mut els = vec![el("1")];
                els.extend(c.iter().map(|p| Element::composite(p.clone())));
                Segment::new("PIA", els)
            })
            .collect();
        Ok((lin, pia))
    }
}

/// The date and format qualifier of a DTM.
fn date_time(field: &str, d: &DatedEvent) -> Result<(String, &'static str), Error> {
    let refuse = |why: &str| Error::Unrepresentable {
        field: field.to_string(),
        value: match d.time {
            Some(t) => format!("{}T{t}", d.date),
            None => d.date.to_string(),
        },
        why: why.to_string(),
    };
    if d.date.year() < 0 {
        return Err(refuse("CCYYMMDD holds the years 0000 to 9999"));
    }
    let date = format!(
        "{:04}{:02}{:02}",
        d.date.year(),
        d.date.month(),
        d.date.day()
    );
    Ok(match d.time {
        None => (date, "102"),
        Some(t) if t.subsec_nanosecond() != 0 => {
            return Err(refuse("EDIFACT dates hold whole seconds at most"));
        }
        Some(t) if t.second() == 0 => (format!("{date}{:02}{:02}", t.hour(), t.minute()), "203"),
        Some(t) => (
            format!("{date}{:02}{:02}{:02}", t.hour(), t.minute(), t.second()),
            "204",
        ),
    })
}

/// The NAD 3035 code of a party: its own code when the reader takes it for the same role (an
/// X12 code such as `VN` it does not), otherwise the usual code of the role.
fn role_code<'p>(field: &str, p: &'p Party) -> Result<&'p str, Error> {
    if !p.role_code.is_empty() && crate::map::edifact::role(&p.role_code) == p.role {
        return Ok(&p.role_code);
    }
    Ok(match p.role {
        Role::Buyer => "BY",
        Role::Seller => "SU",
        Role::ShipTo => "DP",
        Role::BillTo => "IV",
        Role::ShipFrom => "SF",
        Role::RemitTo => "PE",
        Role::Other => {
            return Err(Error::Missing {
                field: format!("{field}.role_code"),
                why: "a party of another role needs its NAD 3035 code",
            });
        }
    })
}

/// Message function (BGM 1225) of a purpose, as the reader maps it back.
pub fn purpose_code(p: crate::model::Purpose) -> Result<&'static str, Error> {
    use crate::model::Purpose;
    Ok(match p {
        Purpose::Original => "9",
        Purpose::Cancel => "1",
        Purpose::Change => "4",
        Purpose::Replace => "5",
        Purpose::Confirmation => "6",
        Purpose::Duplicate => "7",
        Purpose::Test | Purpose::Other => {
            let why = if p == Purpose::Test {
                "EDIFACT marks test data in UNB 0035, not in BGM 1225"
            } else {
                "no message function code (1225) means 'other'"
            };
            return Err(Error::Unrepresentable {
                field: "purpose".into(),
                value: format!("{p:?}"),
                why: why.into(),
            });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::{GrammarSet, Item, Position};

    fn find(positions: &[Position], id: &str) -> Option<(usize, bool)> {
        positions.iter().find_map(|p| match &p.item {
            Item::Simple(e) if e.id == id => {
                Some((e.max, e.kind == crate::grammar::ElementType::N))
            }
            Item::Simple(_) => None,
            Item::Composite { components, .. } => find(components, id),
        })
    }

    #[test]
    fn lengths_are_the_grammars() {
        let set = GrammarSet::builtin().expect("built-in grammars");
        let ids = [
            "1004", "2380", "3039", "3036", "3042", "3164", "3128", "3412", "4276", "7140", "7160",
            "7402", "1154", "3229", "3251", "3148", "3127", "4277", "7065", "7164", "7166", "7008",
            "4440", "5278", "1082", "6060", "5004", "6066", "5118", "5482", "2152", "1001", "1153",
            "1225", "2005", "2379", "3035", "3055", "3207", "3139", "3155", "6345", "6411", "7143",
            "7161", "5025", "5153", "5463", "8067", "8051", "6063", "6069", "4279", "5125", "5283",
            "5245", "7077", "4347", "7405", "4233", "2475", "2009", "2151", "6347", "6343",
        ];
        for (dir, v) in [("D96A", Version::D96A), ("D01B", Version::D01B)] {
            let (g, _) = set.edifact(dir, "INVOIC").expect("INVOIC grammar");
            let (g2, _) = set.edifact(dir, "DESADV").expect("DESADV grammar");
            for id in ids {
                let found = g
                    .dictionary
                    .iter()
                    .chain(g2.dictionary.iter())
                    .find_map(|s| find(&s.elements, id))
                    .unwrap_or_else(|| panic!("{dir} {id} in no segment"));
                let d = def(id, v);
                assert_eq!((d.max, d.numeric), found, "{dir} {id}");
            }
        }
    }

    #[test]
    fn long_text_is_cut_at_spaces_or_refused() {
        let out = Out::new(Version::D96A);
        let name = "NORTHWIND SUPPLY COMPANY OF THE GREATER KETTLEBACH AREA";
        let parts = out.parts("name", name, "3036", 5).unwrap();
        assert_eq!(parts.join(" "), name);
        assert!(parts.iter().all(|p| p.len() <= 35), "{parts:?}");
        let word = "X".repeat(36);
        assert!(matches!(
            out.parts("name", &word, "3036", 5),
            Err(Error::Unrepresentable { .. })
        ));
    }

    #[test]
    fn numbers_are_plain_and_measured_in_digits() {
        let out = Out::new(Version::D96A);
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(out.number("q", d("12.50"), "5118").unwrap(), "12.50");
        assert_eq!(out.number("q", d("-0.0"), "5118").unwrap(), "0.0");
        assert_eq!(
            out.number("q", d("0.0000000000000000000000000001"), "5004")
                .map_err(|e| e.to_string())
                .unwrap_err(),
            "q '0.0000000000000000000000000001' cannot be written: EDIFACT 5004 holds at most 18 digits"
        );
        // Trailing zeros go before the value is refused.
        assert_eq!(
            out.number("q", d("1.00000000000000000000"), "6060")
                .unwrap(),
            "1"
        );
    }
}
