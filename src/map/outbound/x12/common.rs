//! Pieces both writers share, each the inverse of its reader in `map::x12::common`: purpose
//! codes, N1 loops, item id pairs, REF and DTM.

use super::write::{Value, Writer, split_words};
use crate::map::outbound::Error;
use crate::model::{DatedEvent, ItemIds, Party, Purpose, Reference, Role};

/// The transaction set purpose code (353) the reader maps back to `purpose`.
pub fn purpose_code(purpose: Purpose, field: &str) -> Result<&'static str, Error> {
    Ok(match purpose {
        Purpose::Original => "00",
        Purpose::Cancel => "01",
        Purpose::Change => "04",
        Purpose::Replace => "05",
        Purpose::Confirmation => "06",
        Purpose::Duplicate => "07",
        Purpose::Test => "18",
        Purpose::Other => {
            return Err(Error::Unrepresentable {
                field: field.to_string(),
                value: "other".into(),
                why: "'other' keeps no wire code to write back".into(),
            });
        }
    })
}

/// The N101 code of a party: its own when it has one, else the usual code of its role.
fn role_code(p: &Party, field: &str) -> Result<String, Error> {
    if !p.role_code.is_empty() {
        if crate::map::x12::role(&p.role_code) != p.role {
            return Err(Error::Unrepresentable {
                field: format!("{field}.role"),
                value: format!("{:?}", p.role),
                why: format!(
                    "N101 '{}' reads back as {:?}: role and role_code disagree",
                    p.role_code,
                    crate::map::x12::role(&p.role_code)
                ),
            });
        }
        return Ok(p.role_code.clone());
    }
    Ok(match p.role {
        Role::Buyer => "BY",
        Role::Seller => "SE",
        Role::ShipTo => "ST",
        Role::BillTo => "BT",
        Role::ShipFrom => "SF",
        Role::RemitTo => "RE",
        Role::Other => {
            return Err(Error::Missing {
                field: format!("{field}.role_code"),
                why: "a party of another role needs its N101 code",
            });
        }
    }
    .to_string())
}

/// One N1 loop per party: N1 (role, name, first id), N2 (the rest of a long name), N3
/// (address lines, two a segment), N4, PER (contacts).
/// `within` is the path of loops the N1 loop sits in (`["HL"]` in an 856).
pub fn parties(w: &mut Writer, parties: &[Party], within: &[&str]) -> Result<(), Error> {
    let path = |tag: &'static str| -> Vec<&str> {
        within
            .iter()
            .copied()
            .chain(["N1"])
            .chain((tag != "N1").then_some(tag))
            .collect()
    };
    w.at_most(parties, &path("N1"), "parties")?;
    for (i, p) in parties.iter().enumerate() {
        let field = format!("parties[{i}]");
        w.at_most(&p.contacts, &path("PER"), &format!("{field}.contacts"))?;
        party(w, p, &field)?;
    }
    Ok(())
}

fn party(w: &mut Writer, p: &Party, field: &str) -> Result<(), Error> {
    let code = role_code(p, field)?;
    let name_field = format!("{field}.name");
    // N102, then N201 and N202 of at most two N2: the reader joins them with spaces.
    let names = match &p.name {
        None => Vec::new(),
        Some(n) => split_words(n, w.max_len("N1", 2))
            .filter(|v| v.len() <= 5)
            .ok_or_else(|| Error::Unrepresentable {
                field: name_field.clone(),
                value: n.clone(),
                why: "too long for N102 and two N2 segments, split at single spaces".into(),
            })?,
    };
    if p.ids.len() > 1 {
        return Err(Error::Unrepresentable {
            field: format!("{field}.ids[1]"),
            value: p.ids[1].id.clone(),
            why: "N1 carries one id (N103/N104), and the reader takes none from elsewhere".into(),
        });
    }
    let id = p.ids.first();
    w.seg("N1")?
        .val(1, &format!("{field}.role_code"), Value::Text(&code))?
        .text(2, &name_field, names.first().copied())?
        .text(
            3,
            &format!("{field}.ids[0].qualifier"),
            id.map(|i| i.qualifier.as_str()),
        )?
        .text(4, &format!("{field}.ids[0].id"), id.map(|i| i.id.as_str()))?
        .done()?;
    for pair in names.get(1..).unwrap_or_default().chunks(2) {
        w.seg("N2")?
            .text(1, &name_field, pair.first().copied())?
            .text(2, &name_field, pair.get(1).copied())?
            .done()?;
    }
    let a = &p.address;
    if a.lines.len() > 4 {
        return Err(Error::Unrepresentable {
            field: format!("{field}.address.lines"),
            value: a.lines[4].clone(),
            why: "an N1 loop has at most two N3 of two lines each".into(),
        });
    }
    for (k, pair) in a.lines.chunks(2).enumerate() {
        w.seg("N3")?
            .text(
                1,
                &format!("{field}.address.lines[{}]", 2 * k),
                pair.first().map(String::as_str),
            )?
            .text(
                2,
                &format!("{field}.address.lines[{}]", 2 * k + 1),
                pair.get(1).map(String::as_str),
            )?
            .done()?;
    }
    if a.city.is_some() || a.region.is_some() || a.postal_code.is_some() || a.country.is_some() {
        w.seg("N4")?
            .text(1, &format!("{field}.address.city"), a.city.as_deref())?
            .text(2, &format!("{field}.address.region"), a.region.as_deref())?
            .text(
                3,
                &format!("{field}.address.postal_code"),
                a.postal_code.as_deref(),
            )?
            .text(4, &format!("{field}.address.country"), a.country.as_deref())?
            .done()?;
    }
    for (k, c) in p.contacts.iter().enumerate() {
        let cf = format!("{field}.contacts[{k}]");
        // PER01 IC (information contact): the reader keeps no function code.
        let mut seg =
            w.seg("PER")?
                .code(1, "IC")?
                .text(2, &format!("{cf}.name"), c.name.as_deref())?;
        let mut at = 3;
        for (q, v, f) in [("TE", &c.phone, "phone"), ("EM", &c.email, "email")] {
            if let Some(v) = v {
                seg = seg
                    .code(at, q)?
                    .val(at + 1, &format!("{cf}.{f}"), Value::Text(v))?;
                at += 2;
            }
        }
        seg.done()?;
    }
    Ok(())
}

/// The (qualifier, value) pairs of item ids in the order the reader files them back: the named
/// kinds first, then the others as they are.
pub fn item_id_pairs<'a>(
    ids: &'a ItemIds,
    field: &str,
) -> Result<Vec<(&'a str, &'a str, String)>, Error> {
    let named: [(&str, &Option<String>, &str); 7] = [
        ("UK", &ids.gtin, "gtin"),
        ("UP", &ids.upc, "upc"),
        ("EN", &ids.ean, "ean"),
        ("IB", &ids.isbn, "isbn"),
        ("BP", &ids.buyer_part, "buyer_part"),
        ("VP", &ids.vendor_part, "vendor_part"),
        ("SK", &ids.sku, "sku"),
    ];
    let mut pairs = Vec::new();
    for (q, v, name) in named {
        if let Some(v) = v {
            pairs.push((q, v.as_str(), format!("{field}.{name}")));
        }
    }
    for (k, o) in ids.other.iter().enumerate() {
        let f = format!("{field}.other[{k}]");
        // A qualifier of a named kind whose slot is empty would be read back into that slot.
        let slot = match o.qualifier.as_str() {
            "UP" | "UA" => Some(&ids.upc),
            "UK" | "EO" | "UD" | "UN" => Some(&ids.gtin),
            "EN" | "EA" => Some(&ids.ean),
            "IB" | "IS" => Some(&ids.isbn),
            "BP" | "IN" | "PI" => Some(&ids.buyer_part),
            "VP" | "VN" | "VA" | "VC" => Some(&ids.vendor_part),
            "SK" => Some(&ids.sku),
            _ => None,
        };
        if slot.is_some_and(Option::is_none) {
            return Err(Error::Unrepresentable {
                field: f,
                value: format!("{} {}", o.qualifier, o.value),
                why: "its qualifier names a kind of id this line has none of, so it would read \
                      back as that kind rather than as another id"
                    .into(),
            });
        }
        pairs.push((o.qualifier.as_str(), o.value.as_str(), f));
    }
    Ok(pairs)
}

/// REF: qualifier, value, description.
pub fn reference(w: &mut Writer, r: &Reference, field: &str) -> Result<(), Error> {
    w.seg("REF")?
        .val(1, &format!("{field}.qualifier"), Value::Text(&r.qualifier))?
        .val(2, &format!("{field}.value"), Value::Text(&r.value))?
        .text(3, &format!("{field}.description"), r.description.as_deref())?
        .done()
}

/// DTM: qualifier, date, time.
pub fn dated(w: &mut Writer, d: &DatedEvent, field: &str) -> Result<(), Error> {
    w.seg("DTM")?
        .val(1, &format!("{field}.qualifier"), Value::Text(&d.qualifier))?
        .val(2, &format!("{field}.date"), Value::Date(d.date))?
        .el(3, &format!("{field}.time"), d.time.map(Value::Time))?
        .done()
}
