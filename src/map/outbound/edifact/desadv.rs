//! A ship notice → the body of a DESADV (BGM to CNT).

use super::values::{Out, Version, comp, el, none, purpose_code};
use crate::map::outbound::{Body, Error, Hierarchy, Profile};
use crate::model::{DatedEvent, Reference, ShipLine, ShipNotice};

/// The despatch advice of a ship notice. See the module documentation of
/// [`crate::map::outbound::edifact`] for what is written where and what reads back.
pub fn desadv(sn: &ShipNotice, p: &Profile) -> Result<Body, Error> {
    let mut w = Out::new(Version::of(&p.version)?);
    let v = w.v;
    let number = w.required(
        "shipment_id",
        &sn.shipment_id,
        "1004",
        "BGM 1004 numbers the despatch advice",
    )?;
    if sn.lines.is_empty() {
        return Err(Error::Missing {
            field: "lines".into(),
            why: "a despatch advice lists what was shipped",
        });
    }
    w.seg(
        "BGM",
        vec![el("351"), el(number), el(purpose_code(sn.purpose)?)],
    );

    let dates = dates(sn)?;
    w.at_most("dates", dates.len(), 10, "DESADV header (DTM)")?;
    for (i, d) in dates.iter().enumerate() {
        w.dtm(&format!("dates[{i}]"), d)?;
    }

    let refs = references(sn)?;
    w.at_most("references", refs.len(), 10, "DESADV header (SG1 RFF)")?;
    for (i, r) in refs.iter().enumerate() {
        w.rff(&format!("references[{i}]"), r)?;
    }

    let max_nad = if v == Version::D96A { 10 } else { 99 };
    w.at_most("parties", sn.parties.len(), max_nad, "DESADV (SG2 NAD)")?;
    for (i, party) in sn.parties.iter().enumerate() {
        w.party(&format!("parties[{i}]"), party)?;
    }

    if let Some(c) = &sn.carrier {
        let mode = w.opt("carrier.mode", c.mode.as_deref(), "8067")?;
        let id = w.opt("carrier.scac", c.scac.as_deref(), "3127")?;
        let name = w.opt("carrier.name", c.name.as_deref(), "3128")?;
        // 20: main-carriage transport.
        w.seg(
            "TDT",
            vec![
                el("20"),
                none(),
                el(mode),
                none(),
                comp([id, String::new(), String::new(), name]),
            ],
        );
    }

    hierarchy(&mut w, sn, p.hierarchy)?;

    if let Some(n) = sn.totals.line_count
        && n != sn.lines.len() as u64
    {
        return Err(Error::Unrepresentable {
            field: "totals.line_count".into(),
            value: n.to_string(),
            why: format!("CNT+2 counts the {} lines written", sn.lines.len()),
        });
    }
    w.seg("CNT", vec![comp(["2".into(), sn.lines.len().to_string()])]);
    if let Some(h) = sn.totals.hash_total {
        let h = w.number("totals.hash_total", h, "6066")?;
        w.seg("CNT", vec![comp(["1".into(), h])]);
    }
    Ok(Body {
        set_id: "DESADV",
        functional_id: "",
        segments: w.segments,
    })
}

/// The header dates: `dates`, with the despatch date (DTM 11) first when `dates` has none.
fn dates(sn: &ShipNotice) -> Result<Vec<DatedEvent>, Error> {
    let d11 = sn.dates.iter().find(|d| d.qualifier == "11");
    let mut out = Vec::with_capacity(sn.dates.len() + 1);
    match (sn.ship_date, d11) {
        (Some(date), None) => out.push(DatedEvent {
            qualifier: "11".into(),
            date,
            time: sn.ship_time,
        }),
        (Some(date), Some(d)) if d.date != date || d.time != sn.ship_time => {
            return Err(Error::Unrepresentable {
                field: "ship_date".into(),
                value: date.to_string(),
                why: format!(
                    "the despatch date (DTM 11) in dates says {}{}",
                    d.date,
                    d.time.map(|t| format!(" {t}")).unwrap_or_default()
                ),
            });
        }
        (None, _) if sn.ship_time.is_some() => {
            return Err(Error::Missing {
                field: "ship_date".into(),
                why: "a despatch time is written with its date (DTM 11)",
            });
        }
        _ => {}
    }
    out.extend(sn.dates.iter().cloned());
    Ok(out)
}

/// The header references: `references`, then those the fields need that it lacks (the bill
/// of lading `BM`, tracking numbers `CN`, and the message's order `ON`).
fn references(sn: &ShipNotice) -> Result<Vec<Reference>, Error> {
    let mut out: Vec<Reference> = sn.references.clone();
    let new = |qualifier: &str, value: &str| Reference {
        qualifier: qualifier.into(),
        value: value.into(),
        description: None,
    };
    if let Some(b) = &sn.bill_of_lading {
        match sn.references.iter().find(|r| r.qualifier == "BM") {
            None => out.push(new("BM", b)),
            Some(r) if &r.value != b => {
                return Err(Error::Unrepresentable {
                    field: "bill_of_lading".into(),
                    value: b.clone(),
                    why: format!("the first RFF+BM in references says '{}'", r.value),
                });
            }
            Some(_) => {}
        }
    }
    let cn: Vec<&String> = sn
        .references
        .iter()
        .filter(|r| r.qualifier == "CN")
        .map(|r| &r.value)
        .collect();
    if cn.is_empty() {
        out.extend(sn.tracking_numbers.iter().map(|t| new("CN", t)));
    } else if cn.len() != sn.tracking_numbers.len()
        || cn.iter().zip(&sn.tracking_numbers).any(|(a, b)| *a != b)
    {
        return Err(Error::Unrepresentable {
            field: "tracking_numbers".into(),
            value: sn.tracking_numbers.join(" "),
            why: "they differ from the RFF+CN references, which are the tracking numbers".into(),
        });
    }
    // An order no line names can only be the message's order (the first header RFF+ON).
    if !sn.references.iter().any(|r| r.qualifier == "ON") {
        let unlined: Vec<&String> = sn
            .order_refs
            .iter()
            .filter(|o| !sn.lines.iter().any(|l| l.order_number.as_ref() == Some(*o)))
            .collect();
        match unlined.as_slice() {
            [] => {}
            [o] => out.push(new("ON", o)),
            [_, second, ..] => {
                return Err(Error::Unrepresentable {
                    field: "order_refs".into(),
                    value: (*second).clone(),
                    why: "a DESADV names one order for the whole message (RFF+ON); others only on lines, and no line is for this one".into(),
                });
            }
        }
    }
    Ok(out)
}

/// CPS+1 for the shipment with the lines in no package, then a CPS per package (in the
/// order of `packages`) with PAC, PCI+33E and GIN+BJ (its SSCC) and the lines packed in it.
/// The parent of a package is the CPS of its tare, or the shipment's.
fn hierarchy(w: &mut Out, sn: &ShipNotice, h: Hierarchy) -> Result<(), Error> {
    let packed = h == Hierarchy::ShipmentOrderPackItem;
    w.seg("CPS", vec![el("1")]);
    let ssccs: Vec<&str> = if packed {
        sn.packages
            .iter()
            .enumerate()
            .map(|(i, pk)| match pk.sscc.as_deref() {
                Some(s) if !s.trim().is_empty() => Ok(s),
                _ => Err(Error::Missing {
                    field: format!("packages[{i}].sscc"),
                    why: "a DESADV names a package by its SSCC (GIN+BJ)",
                }),
            })
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    for (i, s) in ssccs.iter().enumerate() {
        if ssccs[..i].contains(s) {
            return Err(Error::Unrepresentable {
                field: format!("packages[{i}].sscc"),
                value: s.to_string(),
                why: "another package has this SSCC".into(),
            });
        }
    }
    let cps_of = |sscc: &str| ssccs.iter().position(|s| *s == sscc).map(|i| i + 2);
    for (i, l) in sn.lines.iter().enumerate() {
        if let (true, Some(s)) = (packed, &l.package)
            && cps_of(s).is_none()
        {
            return Err(Error::Unrepresentable {
                field: format!("lines[{i}].package"),
                value: s.clone(),
                why: "no package has this SSCC".into(),
            });
        }
    }
    let in_package = |l: &ShipLine, at: Option<&str>| !packed || l.package.as_deref() == at;
    for (i, l) in sn.lines.iter().enumerate() {
        if in_package(l, None) {
            line(w, i, l)?;
        }
    }
    for (i, pk) in sn.packages.iter().enumerate().filter(|_| packed) {
        let parent = match pk.parent.as_deref() {
            None => 1,
            Some(s) => cps_of(s).ok_or_else(|| Error::Unrepresentable {
                field: format!("packages[{i}].parent"),
                value: s.to_string(),
                why: "no package has this SSCC".into(),
            })?,
        };
        let sscc = w.text(&format!("packages[{i}].sscc"), ssccs[i], "7402")?;
        let tare = pk_is_tare(sn, ssccs[i]);
        w.seg("CPS", vec![el((i + 2).to_string()), el(parent.to_string())]);
        // PX pallet, CT carton (UN/ECE recommendation 21).
        let kind = if tare { "PX" } else { "CT" };
        w.seg("PAC", vec![el("1"), none(), el(kind)]);
        // 33E: marked with the serial shipping container code.
        w.seg("PCI", vec![el("33E")]);
        w.seg("GIN", vec![el("BJ"), el(sscc)]);
        for (k, l) in sn.lines.iter().enumerate() {
            if in_package(l, Some(ssccs[i])) {
                line(w, k, l)?;
            }
        }
    }
    Ok(())
}

fn pk_is_tare(sn: &ShipNotice, sscc: &str) -> bool {
    sn.packages
        .iter()
        .any(|c| c.parent.as_deref() == Some(sscc))
}

/// LIN, PIA, IMD, QTY+12 (dispatched), QTY+21 (ordered), RFF+ON.
fn line(w: &mut Out, i: usize, l: &ShipLine) -> Result<(), Error> {
    let f = format!("lines[{i}]");
    let number = line_number(w, &f, &l.line_number)?;
    let (item, pia) = w.item_ids(&format!("{f}.item_ids"), &l.item_ids, 10)?;
    w.seg("LIN", vec![el(number), none(), item]);
    w.segments.extend(pia);
    if let Some(d) = &l.description {
        w.description(&format!("{f}.description"), d, 25)?;
    }
    let unit = w.opt(&format!("{f}.unit"), l.unit.as_deref(), "6411")?;
    let q = w.number(&format!("{f}.quantity"), l.quantity, "6060")?;
    w.seg("QTY", vec![comp(["12".into(), q, unit])]);
    if let Some(o) = l.quantity_ordered {
        let o = w.number(&format!("{f}.quantity_ordered"), o, "6060")?;
        w.seg("QTY", vec![comp(["21".into(), o])]);
    }
    if let Some(o) = &l.order_number {
        let r = Reference {
            qualifier: "ON".into(),
            value: o.clone(),
            description: None,
        };
        w.rff(&format!("{f}.order_number"), &r)?;
    }
    Ok(())
}

/// LIN 1082: digits in D96A (`n..6`), text in D01B (`an..6`).
pub(super) fn line_number(w: &Out, field: &str, n: &str) -> Result<String, Error> {
    let field = format!("{field}.line_number");
    let n = w.required(&field, n, "1082", "LIN 1082 numbers the line")?;
    if w.v == Version::D96A && !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::Unrepresentable {
            field,
            value: n,
            why: "D96A numbers lines with digits (1082 n..6)".into(),
        });
    }
    Ok(n)
}
