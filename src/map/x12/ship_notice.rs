//! 856 ship notice → [`ShipNotice`]: the HL hierarchy flattened into packages and lines.
//!
//! Each HL names its parent (HL02), so an item knows its pack, its tare and its order by walking
//! up; this works for the usual S-O-P-I ("pick and pack") and S-O-I-P ("standard pack") layouts
//! alike.

use super::common::{
    Ctx, PartyLoop, absent, append_description, dated, item_ids, purpose, reference, text, text_ref,
};
use crate::model::{Carrier, Package, Purpose, QualifiedId, ShipLine, ShipNotice, Source, Totals};
use crate::syntax::Fields;
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
struct Level {
    code: String,
    order: Option<String>,
    package: Option<usize>,
    line: Option<usize>,
}

pub fn map(ctx: &mut Ctx<'_>, segs: &[Fields<'_>], source: Source) -> Option<ShipNotice> {
    let mut sn = ShipNotice {
        shipment_id: String::new(),
        ship_date: None,
        ship_time: None,
        purpose: Purpose::Original,
        order_refs: Vec::new(),
        carrier: None,
        tracking_numbers: Vec::new(),
        bill_of_lading: None,
        parties: Vec::new(),
        references: Vec::new(),
        dates: Vec::new(),
        packages: Vec::new(),
        lines: Vec::new(),
        totals: Totals::default(),
        source,
    };
    let mut bsn: Option<&Fields<'_>> = None;
    let mut bsn_date = None;
    let mut levels: HashMap<String, Level> = HashMap::new();
    // HL ids in file order, so the result never depends on hash order.
    let mut hl_order: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut parties = PartyLoop::default();
    // The LIN of each line, and whether an SN1 gave it its units shipped.
    let mut line_segs: Vec<(&Fields<'_>, bool)> = Vec::new();

    for seg in segs {
        if parties.detail(seg, &mut sn.parties) {
            continue;
        }
        let level_code = current
            .as_ref()
            .and_then(|c| levels.get(c))
            .map_or("", |l| l.code.as_str());
        match seg.tag {
            b"BSN" => {
                bsn = Some(seg);
                sn.purpose = purpose(seg.value(1));
                sn.shipment_id = text(seg, 2).unwrap_or_default();
                bsn_date = ctx.date(seg, 3);
                sn.ship_time = ctx.time(seg, 4);
            }
            b"HL" => {
                let id = text(seg, 1).unwrap_or_else(|| format!("#{}", seg.index));
                let parent = text(seg, 2);
                let code = text(seg, 3).unwrap_or_default();
                let inherited = parent.as_ref().and_then(|p| levels.get(p)).cloned();
                let mut lv = Level {
                    code: code.clone(),
                    order: inherited.as_ref().and_then(|p| p.order.clone()),
                    package: inherited.as_ref().and_then(|p| p.package),
                    line: None,
                };
                if matches!(code.as_str(), "P" | "T") {
                    let parent_sscc = lv.package.and_then(|i| sn.packages[i].sscc.clone());
                    sn.packages.push(Package {
                        sscc: None,
                        marks: Vec::new(),
                        level: if code == "T" { "tare" } else { "pack" }.to_string(),
                        parent: parent_sscc,
                        tracking_number: None,
                        lines: Vec::new(),
                    });
                    let idx = sn.packages.len() - 1;
                    lv.package = Some(idx);
                    // A pack under an item (standard pack): the item is in this pack.
                    lv.line = inherited.as_ref().and_then(|p| p.line);
                }
                if levels.insert(id.clone(), lv).is_none() {
                    hl_order.push(id.clone());
                }
                current = Some(id);
            }
            b"PRF" => {
                if let Some(po) = text(seg, 1) {
                    if !sn.order_refs.contains(&po) {
                        sn.order_refs.push(po.clone());
                    }
                    if let Some(lv) = current.as_ref().and_then(|c| levels.get_mut(c)) {
                        lv.order = Some(po);
                    }
                }
            }
            b"TD5" if sn.carrier.is_none() || level_code == "S" => {
                let mut c = sn.carrier.take().unwrap_or_default();
                if text_ref(seg, 2).as_deref() == Some("2") {
                    c.scac = c.scac.or(text(seg, 3));
                }
                c.mode = c.mode.or(text(seg, 4));
                c.name = c.name.or(text(seg, 5));
                c.service_level = c.service_level.or(text(seg, 12));
                if c != Carrier::default() {
                    sn.carrier = Some(c);
                }
            }
            b"REF" => match (text_ref(seg, 1).as_deref(), text(seg, 2)) {
                (Some("BM"), Some(v)) => sn.bill_of_lading = Some(v),
                (Some("CN"), Some(v)) => sn.tracking_numbers.push(v),
                _ => sn.references.extend(reference(seg)),
            },
            b"DTM" => {
                if let Some(d) = dated(ctx, seg) {
                    if d.qualifier == "011" && sn.ship_date.is_none() {
                        sn.ship_date = Some(d.date);
                    }
                    sn.dates.push(d);
                }
            }
            b"N1" => parties.open(seg, &mut sn.parties),
            b"MAN" => {
                let q = text(seg, 1).unwrap_or_default();
                let v = text(seg, 2);
                let pkg_idx = current
                    .as_ref()
                    .and_then(|c| levels.get(c))
                    .and_then(|l| l.package);
                let pkg_idx = match pkg_idx {
                    Some(i) => i,
                    None => {
                        // MAN at an item or order level without a pack: the item is its own package.
                        sn.packages.push(Package {
                            sscc: None,
                            marks: Vec::new(),
                            level: "pack".into(),
                            parent: None,
                            tracking_number: None,
                            lines: Vec::new(),
                        });
                        let i = sn.packages.len() - 1;
                        if let Some(lv) = current.as_ref().and_then(|c| levels.get_mut(c)) {
                            lv.package = Some(i);
                            if let Some(li) = lv.line {
                                sn.packages[i].lines.push(sn.lines[li].line_number.clone());
                            }
                        }
                        i
                    }
                };
                let pkg = &mut sn.packages[pkg_idx];
                match (q.as_str(), v) {
                    ("GM", Some(v)) if pkg.sscc.is_none() => pkg.sscc = Some(v),
                    ("CP", Some(v)) if pkg.tracking_number.is_none() => {
                        pkg.tracking_number = Some(v)
                    }
                    (_, Some(v)) => pkg.marks.push(QualifiedId {
                        qualifier: q,
                        value: v,
                    }),
                    _ => {}
                }
            }
            b"LIN" => {
                let lv = current
                    .as_ref()
                    .and_then(|c| levels.get(c))
                    .cloned()
                    .unwrap_or_default();
                let number = text(seg, 1).unwrap_or_else(|| (sn.lines.len() + 1).to_string());
                sn.lines.push(ShipLine {
                    line_number: number,
                    order_number: lv.order.clone(),
                    quantity: rust_decimal::Decimal::ZERO,
                    unit: None,
                    quantity_ordered: None,
                    item_ids: item_ids(seg, 2),
                    description: None,
                    package: None,
                });
                let li = sn.lines.len() - 1;
                line_segs.push((seg, false));
                if let Some(l) = current.as_ref().and_then(|c| levels.get_mut(c)) {
                    l.line = Some(li);
                }
            }
            b"SN1" => {
                let Some(li) = current
                    .as_ref()
                    .and_then(|c| levels.get(c))
                    .and_then(|l| l.line)
                else {
                    ctx.warn(
                        seg,
                        0,
                        "SN1 outside an item level (no LIN before it); ignored",
                    );
                    continue;
                };
                line_segs[li].1 = true;
                match ctx.number(seg, 2) {
                    Some(q) => sn.lines[li].quantity = q,
                    None => ctx.error(
                        seg,
                        2,
                        format!(
                            "SN102 (units shipped) {} for line {}",
                            absent(seg, 2),
                            sn.lines[li].line_number
                        ),
                    ),
                }
                sn.lines[li].unit = text(seg, 3);
                sn.lines[li].quantity_ordered = ctx.number(seg, 5);
            }
            b"PID" => {
                if let Some(li) = current
                    .as_ref()
                    .and_then(|c| levels.get(c))
                    .and_then(|l| l.line)
                {
                    append_description(&mut sn.lines[li].description, seg);
                }
            }
            b"CTT" => {
                sn.totals.line_count = ctx.whole(seg, 1);
                sn.totals.hash_total = ctx.number(seg, 2);
            }
            _ => {}
        }
    }
    parties.finish(&mut sn.parties);
    // A line without SN1 would reach the ERP as "0 shipped", which means a backorder.
    for (li, (lin, _)) in line_segs.iter().enumerate().filter(|(_, (_, q))| !q) {
        ctx.error(
            lin,
            0,
            format!(
                "line {} has no SN1, so its units shipped are unknown: each item level needs an SN1 after its LIN",
                sn.lines[li].line_number
            ),
        );
    }
    // Items: their package is the nearest pack or tare above them (or below, for standard pack).
    for lv in hl_order.iter().filter_map(|id| levels.get(id)) {
        if let (Some(li), Some(pi)) = (lv.line, lv.package) {
            let sscc = sn.packages[pi].sscc.clone();
            let line_number = sn.lines[li].line_number.clone();
            let l = &mut sn.lines[li];
            if l.package.is_none() {
                l.package = sscc;
            }
            if !sn.packages[pi].lines.contains(&line_number) {
                sn.packages[pi].lines.push(line_number);
            }
        }
    }
    for p in &mut sn.packages {
        p.lines.sort_by(|a, b| natural(a).cmp(&natural(b)));
    }
    if sn.ship_date.is_none() {
        sn.ship_date = bsn_date;
    }
    let Some(bsn) = bsn else {
        ctx.error(
            &segs[0],
            0,
            "the ship notice has no BSN segment, so it has no shipment id",
        );
        return None;
    };
    if sn.shipment_id.is_empty() {
        ctx.error(
            bsn,
            2,
            "BSN02 (shipment identification) is empty: a ship notice needs one",
        );
        return None;
    }
    Some(sn)
}

/// Orders "2" before "10".
fn natural(s: &str) -> (usize, &str) {
    (s.len(), s)
}
