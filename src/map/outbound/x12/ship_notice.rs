//! [`ShipNotice`] → 856 body: the packages and lines laid out as an HL tree.
//!
//! The layout is decided first ([`layout`]), so that every HL knows its parent and whether it
//! has children (HL04) before anything is written, and every way the model cannot be laid out
//! is an error before the first segment.

use super::common::{dated, item_id_pairs, parties, purpose_code, reference};
use super::write::{Value, Writer, real, split_words};
use crate::map::outbound::{Body, Error, Hierarchy, Profile};
use crate::model::{DatedEvent, ShipNotice};
use rust_decimal::Decimal;
use std::collections::HashMap;

/// One HL of the tree, with the HLs under it.
#[derive(Debug)]
struct Hl {
    node: Node,
    children: Vec<Hl>,
}

#[derive(Debug, Clone, Copy)]
enum Node {
    Shipment,
    /// An index of `order_refs`.
    Order(usize),
    /// An index of `packages`.
    Package(usize),
    /// An index of `lines`.
    Item(usize),
}

pub fn write(sn: &ShipNotice, p: &Profile) -> Result<Body, Error> {
    let mut w = Writer::new(&p.version, "856")?;
    if sn.shipment_id.is_empty() {
        return Err(Error::Missing {
            field: "shipment_id".into(),
            why: "BSN02 identifies the shipment",
        });
    }
    if sn.lines.is_empty() {
        return Err(Error::Missing {
            field: "lines".into(),
            why: "a ship notice reports what was shipped",
        });
    }
    let ship_date = sn.ship_date.ok_or(Error::Missing {
        field: "ship_date".into(),
        why: "BSN03 and DTM 011 carry it",
    })?;
    let ship_time = sn.ship_time.ok_or(Error::Missing {
        field: "ship_time".into(),
        why: "BSN04 is mandatory",
    })?;
    if let Some(amount) = sn.totals.amount {
        return Err(Error::Unrepresentable {
            field: "totals.amount".into(),
            value: amount.to_string(),
            why: "an 856 carries no monetary total".into(),
        });
    }
    // DTM 011 is read back as the ship date: the model's own must agree with it, and one is
    // written when the model has none.
    let mut dates: Vec<DatedEvent> = Vec::with_capacity(sn.dates.len() + 1);
    match sn.dates.iter().find(|d| d.qualifier == "011") {
        Some(d) if d.date != ship_date => {
            return Err(Error::Unrepresentable {
                field: "ship_date".into(),
                value: ship_date.to_string(),
                why: format!(
                    "the first DTM 011 in dates ({}) is what readers take as the ship date",
                    d.date
                ),
            });
        }
        Some(_) => {}
        None => dates.push(DatedEvent {
            qualifier: "011".into(),
            date: ship_date,
            time: Some(ship_time),
        }),
    }
    dates.extend(sn.dates.iter().cloned());
    w.at_most(
        &dates,
        &["HL", "DTM"],
        "dates (with the DTM 011 written for ship_date)",
    )?;
    for (i, r) in sn.references.iter().enumerate() {
        if matches!(r.qualifier.as_str(), "BM" | "CN") {
            return Err(Error::Unrepresentable {
                field: format!("references[{i}].qualifier"),
                value: r.qualifier.clone(),
                why: "REF BM and CN are read back as bill_of_lading and tracking_numbers".into(),
            });
        }
    }
    let tree = layout(sn, p.hierarchy)?;

    let structure = match p.hierarchy {
        Hierarchy::ShipmentOrderPackItem => "0001",
        Hierarchy::ShipmentOrderItem => "0004",
    };
    w.seg("BSN")?
        .val(
            1,
            "purpose",
            Value::Code(purpose_code(sn.purpose, "purpose")?),
        )?
        .val(2, "shipment_id", Value::Text(&sn.shipment_id))?
        .val(3, "ship_date", Value::Date(ship_date))?
        .val(4, "ship_time", Value::Time(ship_time))?
        .code(5, structure)?
        .done()?;
    let mut next = 0;
    emit(&mut w, sn, &tree, None, &mut next, &dates)?;

    let count = sn.totals.line_count.unwrap_or(sn.lines.len() as u64);
    let hash = match sn.totals.hash_total {
        Some(h) => Some(h),
        None => computed_hash(&w, sn.lines.iter().map(|l| l.quantity)),
    };
    w.seg("CTT")?
        .val(1, "totals.line_count", Value::Count(count))?
        .num(2, "totals.hash_total", hash)?
        .done()?;
    Ok(Body {
        set_id: "856",
        functional_id: "SH",
        segments: w.segments,
    })
}

/// The sum of quantities for CTT02, or `None` when it does not fit the element (CTT02 is
/// optional; a hash total with its high digits dropped would read back as a wrong one).
pub fn computed_hash(w: &Writer, quantities: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    let mut sum = Decimal::ZERO;
    for q in quantities {
        sum = sum.checked_add(q)?;
    }
    let digits = real(sum).bytes().filter(u8::is_ascii_digit).count();
    (digits <= w.max_len("CTT", 2)).then_some(sum)
}

/// The HL tree: the shipment; under it each order of `order_refs` in turn, then the packages
/// and lines of no order. Under an order, its outermost packages (model order), then its lines
/// in no package. Under a package, its lines (model order), then the packages in it.
fn layout(sn: &ShipNotice, hierarchy: Hierarchy) -> Result<Hl, Error> {
    let unrep = |field: String, value: &str, why: &str| Error::Unrepresentable {
        field,
        value: value.to_string(),
        why: why.to_string(),
    };
    if hierarchy == Hierarchy::ShipmentOrderItem && !sn.packages.is_empty() {
        return Err(unrep(
            "packages".into(),
            &format!("{} packages", sn.packages.len()),
            "the shipment/order/item hierarchy has no pack levels to carry them",
        ));
    }
    // Orders.
    let mut order_of: HashMap<&str, usize> = HashMap::new();
    for (i, o) in sn.order_refs.iter().enumerate() {
        if order_of.insert(o.as_str(), i).is_some() {
            return Err(unrep(
                format!("order_refs[{i}]"),
                o,
                "the same order twice: readers keep one",
            ));
        }
    }
    let mut line_order: Vec<Option<usize>> = Vec::with_capacity(sn.lines.len());
    for (i, l) in sn.lines.iter().enumerate() {
        line_order.push(match &l.order_number {
            None => None,
            Some(o) => Some(*order_of.get(o.as_str()).ok_or_else(|| {
                unrep(
                    format!("lines[{i}].order_number"),
                    o,
                    "not among order_refs, which give the order levels (PRF) lines hang under",
                )
            })?),
        });
    }
    // Packages by SSCC, and each line's package.
    let mut by_sscc: HashMap<&str, usize> = HashMap::new();
    for (i, pk) in sn.packages.iter().enumerate() {
        if let Some(s) = &pk.sscc
            && by_sscc.insert(s.as_str(), i).is_some()
        {
            return Err(unrep(
                format!("packages[{i}].sscc"),
                s,
                "two packages with one SSCC",
            ));
        }
        if !matches!(pk.level.as_str(), "pack" | "tare") {
            return Err(unrep(
                format!("packages[{i}].level"),
                &pk.level,
                "an HL level is 'tare' (T) or 'pack' (P)",
            ));
        }
        for (k, m) in pk.marks.iter().enumerate() {
            if (m.qualifier == "GM" && pk.sscc.is_none())
                || (m.qualifier == "CP" && pk.tracking_number.is_none())
            {
                return Err(unrep(
                    format!("packages[{i}].marks[{k}]"),
                    &m.value,
                    "MAN GM and CP are read back as the package's SSCC and tracking number",
                ));
            }
        }
    }
    let mut line_pkg: Vec<Option<usize>> = vec![None; sn.lines.len()];
    if !sn.packages.is_empty() {
        let mut by_number: HashMap<&str, usize> = HashMap::new();
        for (i, l) in sn.lines.iter().enumerate() {
            if by_number.insert(l.line_number.as_str(), i).is_some() {
                return Err(unrep(
                    format!("lines[{i}].line_number"),
                    &l.line_number,
                    "packages name their lines by number, and two lines have this one",
                ));
            }
        }
        for (i, pk) in sn.packages.iter().enumerate() {
            for (k, n) in pk.lines.iter().enumerate() {
                let field = format!("packages[{i}].lines[{k}]");
                let li = *by_number
                    .get(n.as_str())
                    .ok_or_else(|| unrep(field.clone(), n, "no line has this number"))?;
                if line_pkg[li].replace(i).is_some() {
                    return Err(unrep(field, n, "the line is in two packages"));
                }
            }
        }
    }
    for (i, l) in sn.lines.iter().enumerate() {
        let Some(s) = &l.package else { continue };
        let field = format!("lines[{i}].package");
        match line_pkg[i] {
            Some(k) if sn.packages[k].sscc.as_deref() != Some(s.as_str()) => {
                return Err(unrep(
                    field,
                    s,
                    "a package with another SSCC lists this line",
                ));
            }
            Some(_) => {}
            None => {
                let k = *by_sscc
                    .get(s.as_str())
                    .ok_or_else(|| unrep(field, s, "no package has this SSCC"))?;
                line_pkg[i] = Some(k);
            }
        }
    }
    // The package tree.
    let mut parent: Vec<Option<usize>> = vec![None; sn.packages.len()];
    for (i, pk) in sn.packages.iter().enumerate() {
        if let Some(s) = &pk.parent {
            let k = *by_sscc.get(s.as_str()).ok_or_else(|| {
                unrep(
                    format!("packages[{i}].parent"),
                    s,
                    "no package has this SSCC",
                )
            })?;
            parent[i] = Some(k);
        }
    }
    for i in 0..sn.packages.len() {
        let (mut at, mut steps) = (i, 0);
        while let Some(up) = parent[at] {
            steps += 1;
            if steps > sn.packages.len() {
                return Err(unrep(
                    format!("packages[{i}].parent"),
                    sn.packages[i].parent.as_deref().unwrap_or_default(),
                    "the packages contain each other in a circle",
                ));
            }
            at = up;
        }
    }
    // Each package hangs under one order: the order of every line in it and below it.
    let mut pkg_order: Vec<Option<Option<usize>>> = vec![None; sn.packages.len()];
    for (li, pk) in line_pkg.iter().enumerate() {
        let mut at = *pk;
        while let Some(k) = at {
            match pkg_order[k] {
                None => pkg_order[k] = Some(line_order[li]),
                Some(o) if o == line_order[li] => {}
                Some(_) => {
                    return Err(unrep(
                        format!("packages[{k}]"),
                        sn.packages[k].sscc.as_deref().unwrap_or_default(),
                        "it holds lines of more than one order, and in an 856 a package \
                         hangs under one order level",
                    ));
                }
            }
            at = parent[k];
        }
    }
    fn package(k: usize, parent: &[Option<usize>], line_pkg: &[Option<usize>]) -> Hl {
        let mut children: Vec<Hl> = line_pkg
            .iter()
            .enumerate()
            .filter(|(_, p)| **p == Some(k))
            .map(|(li, _)| Hl {
                node: Node::Item(li),
                children: Vec::new(),
            })
            .collect();
        children.extend(
            (0..parent.len())
                .filter(|&c| parent[c] == Some(k))
                .map(|c| package(c, parent, line_pkg)),
        );
        Hl {
            node: Node::Package(k),
            children,
        }
    }
    let under = |order: Option<usize>| -> Vec<Hl> {
        let mut v: Vec<Hl> = (0..sn.packages.len())
            .filter(|&k| parent[k].is_none() && pkg_order[k].flatten() == order)
            .map(|k| package(k, &parent, &line_pkg))
            .collect();
        v.extend(
            (0..sn.lines.len())
                .filter(|&li| line_pkg[li].is_none() && line_order[li] == order)
                .map(|li| Hl {
                    node: Node::Item(li),
                    children: Vec::new(),
                }),
        );
        v
    };
    let mut top: Vec<Hl> = (0..sn.order_refs.len())
        .map(|o| Hl {
            node: Node::Order(o),
            children: under(Some(o)),
        })
        .collect();
    top.extend(under(None));
    Ok(Hl {
        node: Node::Shipment,
        children: top,
    })
}

/// Writes one HL and its segments, then the HLs under it.
fn emit(
    w: &mut Writer,
    sn: &ShipNotice,
    hl: &Hl,
    parent: Option<usize>,
    next: &mut usize,
    dates: &[DatedEvent],
) -> Result<(), Error> {
    *next += 1;
    let id = *next;
    let code = match hl.node {
        Node::Shipment => "S",
        Node::Order(_) => "O",
        Node::Package(k) => {
            let has_packs = hl
                .children
                .iter()
                .any(|c| matches!(c.node, Node::Package(_)));
            if has_packs || sn.packages[k].level == "tare" {
                "T"
            } else {
                "P"
            }
        }
        Node::Item(_) => "I",
    };
    w.seg("HL")?
        .val(1, "HL01", Value::Code(&id.to_string()))?
        .el(
            2,
            "HL02",
            parent.map(|p| p.to_string()).as_deref().map(Value::Code),
        )?
        .code(3, code)?
        .code(4, if hl.children.is_empty() { "0" } else { "1" })?
        .done()?;
    match hl.node {
        Node::Shipment => shipment(w, sn, dates)?,
        Node::Order(o) => w
            .seg("PRF")?
            .val(
                1,
                &format!("order_refs[{o}]"),
                Value::Text(&sn.order_refs[o]),
            )?
            .done()?,
        Node::Package(k) => package(w, sn, k)?,
        Node::Item(li) => item(w, sn, li)?,
    }
    for c in &hl.children {
        emit(w, sn, c, Some(id), next, dates)?;
    }
    Ok(())
}

/// The shipment level: TD1, TD5, REF, DTM, N1 loops, in the order of the 856's HL loop.
fn shipment(w: &mut Writer, sn: &ShipNotice, dates: &[DatedEvent]) -> Result<(), Error> {
    // TD102: the handling units the carrier takes (outermost packages). The model has no
    // packaging code or weight for the rest of TD1.
    let outer = sn.packages.iter().filter(|p| p.parent.is_none()).count();
    if outer > 0 {
        w.seg("TD1")?
            .val(2, "packages", Value::Count(outer as u64))?
            .done()?;
    }
    if let Some(c) = sn.carrier.as_ref().filter(|c| **c != Default::default()) {
        w.seg("TD5")?
            .el(2, "carrier.scac", c.scac.as_ref().map(|_| Value::Code("2")))?
            .text(3, "carrier.scac", c.scac.as_deref())?
            .text(4, "carrier.mode", c.mode.as_deref())?
            .text(5, "carrier.name", c.name.as_deref())?
            .text(12, "carrier.service_level", c.service_level.as_deref())?
            .done()?;
    }
    if let Some(b) = &sn.bill_of_lading {
        w.seg("REF")?
            .code(1, "BM")?
            .val(2, "bill_of_lading", Value::Text(b))?
            .done()?;
    }
    for (i, t) in sn.tracking_numbers.iter().enumerate() {
        w.seg("REF")?
            .code(1, "CN")?
            .val(2, &format!("tracking_numbers[{i}]"), Value::Text(t))?
            .done()?;
    }
    for (i, r) in sn.references.iter().enumerate() {
        reference(w, r, &format!("references[{i}]"))?;
    }
    // The written DTM 011 (when the model has none) comes first and is not one of `dates`.
    let offset = usize::from(sn.dates.len() < dates.len());
    for (i, d) in dates.iter().enumerate() {
        let field = match i.checked_sub(offset) {
            Some(k) => format!("dates[{k}]"),
            None => "ship_date".into(),
        };
        dated(w, d, &field)?;
    }
    parties(w, &sn.parties, &["HL"])
}

/// A pack or tare level: its SSCC (MAN GM), tracking number (MAN CP) and other marks.
fn package(w: &mut Writer, sn: &ShipNotice, k: usize) -> Result<(), Error> {
    let pk = &sn.packages[k];
    let field = format!("packages[{k}]");
    if let Some(s) = &pk.sscc {
        w.seg("MAN")?
            .code(1, "GM")?
            .val(2, &format!("{field}.sscc"), Value::Text(s))?
            .done()?;
    }
    if let Some(t) = &pk.tracking_number {
        w.seg("MAN")?
            .code(1, "CP")?
            .val(2, &format!("{field}.tracking_number"), Value::Text(t))?
            .done()?;
    }
    for (i, m) in pk.marks.iter().enumerate() {
        let f = format!("{field}.marks[{i}]");
        w.seg("MAN")?
            .val(1, &format!("{f}.qualifier"), Value::Text(&m.qualifier))?
            .val(2, &format!("{f}.value"), Value::Text(&m.value))?
            .done()?;
    }
    Ok(())
}

/// An item level: LIN (line number, item ids), SN1 (shipped, unit, ordered), PID.
fn item(w: &mut Writer, sn: &ShipNotice, li: usize) -> Result<(), Error> {
    let l = &sn.lines[li];
    let field = format!("lines[{li}]");
    if l.line_number.is_empty() {
        return Err(Error::Missing {
            field: format!("{field}.line_number"),
            why: "LIN01 numbers the line",
        });
    }
    let pairs = item_id_pairs(&l.item_ids, &format!("{field}.item_ids"))?;
    if pairs.is_empty() {
        return Err(Error::Missing {
            field: format!("{field}.item_ids"),
            why: "LIN02 and LIN03 (an item id) are mandatory",
        });
    }
    let room = (w.positions("LIN") - 1) / 2;
    if pairs.len() > room {
        return Err(Error::Unrepresentable {
            field: pairs[room].2.clone(),
            value: pairs[room].1.to_string(),
            why: format!("LIN holds {room} item ids"),
        });
    }
    let mut seg = w.seg("LIN")?.val(
        1,
        &format!("{field}.line_number"),
        Value::Text(&l.line_number),
    )?;
    for (k, (q, v, f)) in pairs.iter().enumerate() {
        seg = seg
            .val(2 + 2 * k, f, Value::Code(q))?
            .val(3 + 2 * k, f, Value::Text(v))?;
    }
    seg.done()?;
    w.seg("SN1")?
        .val(2, &format!("{field}.quantity"), Value::Number(l.quantity))?
        .text(3, &format!("{field}.unit"), l.unit.as_deref())?
        .num(5, &format!("{field}.quantity_ordered"), l.quantity_ordered)?
        .text(
            6,
            &format!("{field}.unit"),
            l.unit.as_deref().filter(|_| l.quantity_ordered.is_some()),
        )?
        .done()?;
    description(
        w,
        l.description.as_deref(),
        &format!("{field}.description"),
        "HL",
    )
}

/// PID F (free form) segments for a description, split at spaces when long.
/// `within` is the loop the PID sit in (`HL`, `IT1`).
pub fn description(
    w: &mut Writer,
    d: Option<&str>,
    field: &str,
    within: &str,
) -> Result<(), Error> {
    let Some(d) = d else { return Ok(()) };
    let parts = split_words(d, w.max_len("PID", 5)).ok_or_else(|| Error::Unrepresentable {
        field: field.to_string(),
        value: d.to_string(),
        why: "longer than PID05 and without single spaces to split it at".into(),
    })?;
    w.at_most(&parts, &[within, "PID"], field)?;
    for part in parts {
        w.seg("PID")?
            .code(1, "F")?
            .val(5, field, Value::Text(part))?
            .done()?;
    }
    Ok(())
}
