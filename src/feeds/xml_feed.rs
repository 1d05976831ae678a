//! XML order feeds (Walmart Marketplace v3, Amazon MWS) → canonical orders, one order element
//! at a time.
//!
//! The reader streams with quick-xml; when it meets an order element (by local name, so
//! namespaced and unprefixed documents read alike) it builds a small tree of that element only,
//! evaluates the profile's paths on it, and drops it. A document with a DTD is refused before
//! anything is read from it: no entity is ever expanded.
//!
//! Paths are local element names joined by `/`; a step may filter on a child's text:
//! `charges/charge[chargeType=PRODUCT]/chargeAmount/amount`.

use super::csv_feed::{amount, timestamp_date};
use super::profile::XmlProfile;
use crate::diag::{Code, Controls, Finding};
use crate::map::{Options, Outcome, Status};
use crate::model::{
    Address, Contact, Document, Identity, ItemIds, Order, OrderLine, Party, Purpose, Role, Source,
    Totals,
};
use quick_xml::events::Event;
use std::io::{self, BufRead};

/// One element of an order, with its text and children.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    /// Every node a path reaches from here.
    fn find<'a>(&'a self, path: &str) -> Vec<&'a Node> {
        let mut current: Vec<&Node> = vec![self];
        for step in path.split('/').filter(|s| !s.is_empty()) {
            let (name, filter) = match step.split_once('[') {
                Some((n, f)) => (n, f.strip_suffix(']').and_then(|f| f.split_once('='))),
                None => (step, None),
            };
            current = current
                .iter()
                .flat_map(|n| n.children.iter())
                .filter(|c| c.name == name)
                .filter(|c| match filter {
                    Some((child, value)) => c
                        .children
                        .iter()
                        .any(|g| g.name == child && g.text.trim() == value),
                    None => true,
                })
                .collect();
        }
        current
    }

    /// The trimmed text of the first node a path reaches, when not empty.
    fn text(&self, path: &str) -> Option<String> {
        self.find(path)
            .first()
            .map(|n| n.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }
}

fn local(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.to_string(),
    }
}

fn role(r: &str) -> Role {
    match r {
        "buyer" => Role::Buyer,
        "seller" => Role::Seller,
        "ship_to" => Role::ShipTo,
        "bill_to" => Role::BillTo,
        _ => Role::Other,
    }
}

/// Translates an XML feed; `sink` gets one outcome per order element. Returns findings about
/// the document as a whole.
pub fn translate<R: BufRead>(
    reader: R,
    profile: &XmlProfile,
    opts: &Options,
    mut sink: impl FnMut(Outcome) -> io::Result<()>,
) -> io::Result<Vec<Finding>> {
    // quick-xml holds one event (a text, a tag) whole, and we hold one order element whole:
    // both are bounded by limits, checked as the events come.
    let limits = opts.limits;
    let (reader, event_start) = crate::limits::Guarded::new(
        reader,
        limits.max_xml_order_bytes as u64 + (64 << 10),
        "an XML text or tag",
        "max_xml_order_bytes",
    );
    let mut xml = quick_xml::Reader::from_reader(io::BufReader::new(reader));
    xml.config_mut().trim_text(true);
    let mut buf = Vec::new();
    // Open elements of the order being built (the first is the order itself).
    let mut stack: Vec<Node> = Vec::new();
    let mut order_offset = 0usize;
    let mut order_index = 0usize;
    let mut findings = Vec::new();
    loop {
        let at = xml.buffer_position() as usize;
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let over = match &e {
                    quick_xml::Error::Io(io) => crate::limits::Exceeded::find(io),
                    _ => None,
                };
                findings.push(
                    match over {
                        Some(x) => Finding::error(
                            Code::LimitExceeded,
                            format!("{x}; the rest of the file is not read"),
                        ),
                        None => Finding::error(
                            Code::InvalidRow,
                            format!("the XML is not well-formed: {e}"),
                        ),
                    }
                    .at_offset(at),
                );
                if let Some(order) = stack.first() {
                    let mut f = Finding::error(
                        Code::InvalidRow,
                        format!("the document breaks off inside this {} element", order.name),
                    )
                    .at_offset(order_offset);
                    f.column = Some(order.name.clone());
                    sink(rejected(profile, order_offset, f))?;
                }
                return Ok(findings);
            }
        };
        event_start.reset();
        let breach = if stack.len() > limits.max_xml_depth {
            Some(format!(
                "the {} element nests deeper than {} levels (limits.max_xml_depth)",
                profile.order, limits.max_xml_depth
            ))
        } else if !stack.is_empty() && at.saturating_sub(order_offset) > limits.max_xml_order_bytes
        {
            Some(format!(
                "the {} element is longer than {} bytes (limits.max_xml_order_bytes)",
                profile.order, limits.max_xml_order_bytes
            ))
        } else {
            None
        };
        if let Some(why) = breach {
            let mut f = Finding::error(
                Code::LimitExceeded,
                format!("{why}; it is rejected and the rest of the file is not read"),
            )
            .at_offset(order_offset);
            f.column = Some(profile.order.clone());
            sink(rejected(profile, order_offset, f))?;
            return Ok(findings);
        }
        match event {
            Event::DocType(_) => {
                findings.push(
                    Finding::error(
                        Code::InvalidRow,
                        "the document has a DTD: XML with DTDs or entity declarations is refused (nothing in it is expanded)",
                    )
                    .at_offset(at),
                );
                return Ok(findings);
            }
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                if stack.is_empty() && name != profile.order {
                    buf.clear();
                    continue;
                }
                if stack.is_empty() {
                    order_offset = at;
                }
                stack.push(Node {
                    name,
                    ..Node::default()
                });
            }
            Event::Empty(e) => {
                if let Some(top) = stack.last_mut() {
                    top.children.push(Node {
                        name: local(e.name().as_ref()),
                        ..Node::default()
                    });
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.xml10_content().into_owned();
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => top.text.push_str(s),
                        None => match r.resolve_char_ref() {
                            Ok(Some(c)) => top.text.push(c),
                            _ => findings.push(
                                Finding::error(
                                    Code::InvalidRow,
                                    format!("unknown entity '&{name};': entities are not expanded"),
                                )
                                .at_offset(at),
                            ),
                        },
                    }
                }
            }
            Event::End(_) => {
                if let Some(node) = stack.pop() {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => {
                            order_index += 1;
                            sink(order_from(profile, &node, order_offset, order_index, opts))?;
                        }
                    }
                }
            }
            Event::Eof => {
                // A file that ends inside an order loses nothing silently.
                if let Some(order) = stack.first() {
                    let mut f = Finding::error(
                        Code::InvalidRow,
                        format!(
                            "the document ends inside this {} element: it is cut short",
                            order.name
                        ),
                    )
                    .at_offset(order_offset);
                    f.column = Some(order.name.clone());
                    sink(rejected(profile, order_offset, f))?;
                }
                break;
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(findings)
}

fn rejected(profile: &XmlProfile, offset: usize, f: Finding) -> Outcome {
    Outcome {
        status: Status::Rejected,
        set_id: profile.id.clone(),
        offset,
        controls: Controls::default(),
        document: None,
        findings: vec![f],
        envelope_reasons: Vec::new(),
        context: None,
    }
}

/// Maps one order element.
fn order_from(p: &XmlProfile, node: &Node, offset: usize, index: usize, opts: &Options) -> Outcome {
    let mut findings = Vec::new();
    let at = |path: &str, msg: String| {
        let mut f = Finding::error(Code::InvalidRow, msg).at_offset(offset);
        f.column = Some(format!("{}/{path}", p.order));
        f
    };
    let number = node.text(&p.order_fields.order_number);
    let key = number.clone().unwrap_or_else(|| format!("#{index}"));
    if number.is_none() {
        findings.push(at(
            &p.order_fields.order_number,
            format!("order {index} has no {}", p.order_fields.order_number),
        ));
    }
    let order_date = p.order_fields.order_date.as_deref().and_then(|path| {
        let v = node.text(path)?;
        timestamp_date(&v)
            .map_err(|m| findings.push(at(path, m)))
            .ok()
    });
    let total = p.order_fields.total.as_deref().and_then(|path| {
        let v = node.text(path)?;
        amount(&v).map_err(|m| findings.push(at(path, m))).ok()
    });
    let parties = p
        .parties
        .iter()
        .filter_map(|pc| {
            let get = |c: &Option<String>| c.as_deref().and_then(|c| node.text(c));
            let party = Party {
                role: role(&pc.role),
                role_code: pc.role.clone(),
                name: get(&pc.name),
                ids: Vec::new(),
                address: Address {
                    lines: pc.address.iter().filter_map(|a| node.text(a)).collect(),
                    city: get(&pc.city),
                    region: get(&pc.region),
                    postal_code: get(&pc.postal_code),
                    country: get(&pc.country),
                },
                contacts: (get(&pc.phone).is_some() || get(&pc.email).is_some())
                    .then(|| Contact {
                        name: None,
                        phone: get(&pc.phone),
                        email: get(&pc.email),
                    })
                    .into_iter()
                    .collect(),
            };
            (party.name.is_some() || !party.address.is_empty() || !party.contacts.is_empty())
                .then_some(party)
        })
        .collect();
    let mut lines = Vec::new();
    for (i, ln) in node.find(&p.line.element).into_iter().enumerate() {
        let path = |f: &str| format!("{}/{f}", p.line.element);
        let quantity = match ln.text(&p.line.quantity).map(|v| amount(&v)) {
            Some(Ok(q)) => q,
            Some(Err(m)) => {
                findings.push(at(
                    &path(&p.line.quantity),
                    m.replace("an amount", "a quantity"),
                ));
                continue;
            }
            None => {
                findings.push(at(
                    &path(&p.line.quantity),
                    format!("line {} has no quantity", i + 1),
                ));
                continue;
            }
        };
        let unit_price = p.line.unit_price.as_deref().and_then(|f| {
            let v = ln.text(f)?;
            match amount(&v) {
                Ok(x) if p.line.price_is_total && !quantity.is_zero() => {
                    super::csv_feed::unit_price_of(x, quantity)
                        .map_err(|m| findings.push(at(&path(f), m)))
                        .ok()
                }
                Ok(x) => Some(x),
                Err(m) => {
                    findings.push(at(&path(f), m));
                    None
                }
            }
        });
        let mut line = OrderLine {
            line_number: p
                .line
                .line_id
                .as_deref()
                .and_then(|f| ln.text(f))
                .unwrap_or_else(|| (i + 1).to_string()),
            quantity,
            unit: p.line.unit.as_deref().and_then(|f| ln.text(f)),
            unit_price,
            price_basis: None,
            item_ids: ItemIds {
                sku: p.line.sku.as_deref().and_then(|f| ln.text(f)),
                other: p
                    .line
                    .other_ids
                    .iter()
                    .filter_map(|(q, f)| {
                        Some(crate::model::QualifiedId {
                            qualifier: q.clone(),
                            value: ln.text(f)?,
                        })
                    })
                    .collect(),
                ..ItemIds::default()
            },
            description: p.line.description.as_deref().and_then(|f| ln.text(f)),
            dates: Vec::new(),
            allowances_charges: Vec::new(),
            taxes: Vec::new(),
        };
        for a in &p.line_amounts {
            for n in ln.find(&a.amount) {
                let v = n.text.trim();
                if v.is_empty() {
                    continue;
                }
                match amount(v) {
                    Ok(x) if x.is_zero() => {}
                    Ok(x) => {
                        let code = a.code.clone().unwrap_or_else(|| a.amount.clone());
                        super::csv_feed::add_amount(
                            &mut line.allowances_charges,
                            &mut line.taxes,
                            a.kind,
                            Some(code),
                            x,
                        );
                    }
                    Err(m) => findings.push(at(&path(&a.amount), m)),
                }
            }
        }
        lines.push(line);
    }
    if lines.is_empty() && p.lines_required && findings.is_empty() {
        findings.push(at(&p.line.element, format!("order {key} has no line item")));
    }
    let rejected = findings.iter().any(Finding::is_error);
    for f in &mut findings {
        f.controls.transaction = Some(key.clone());
    }
    let order = Order {
        order_number: key.clone(),
        order_date,
        purpose: Purpose::Original,
        order_type: p
            .order_fields
            .order_type
            .as_deref()
            .and_then(|f| node.text(f)),
        currency: p
            .order_fields
            .currency
            .as_deref()
            .and_then(|f| node.text(f)),
        parties,
        totals: Totals {
            line_count: Some(lines.len() as u64),
            hash_total: None,
            amount: total,
        },
        lines,
        references: Vec::new(),
        dates: Vec::new(),
        terms: None,
        allowances_charges: Vec::new(),
        taxes: Vec::new(),
        notes: Vec::new(),
        source: Source {
            file: opts.file.clone(),
            offset,
            standard: "xml".into(),
            version: String::new(),
            set: p.id.clone(),
            sender: Some(Identity {
                qualifier: String::new(),
                id: p.id.clone(),
            }),
            receiver: None,
            interchange_control: None,
            group_control: None,
            transaction_control: Some(key.clone()),
            channel: opts.channel.clone(),
            test: false,
        },
    };
    Outcome {
        status: if rejected {
            Status::Rejected
        } else {
            Status::Accepted
        },
        set_id: p.id.clone(),
        offset,
        controls: Controls {
            interchange: None,
            group: None,
            transaction: Some(key),
        },
        document: (!rejected).then_some(Document::Order(order)),
        findings,
        envelope_reasons: Vec::new(),
        context: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_filters() {
        let leaf = |n: &str, t: &str| Node {
            name: n.into(),
            text: t.into(),
            children: vec![],
        };
        let charge = |kind: &str, amt: &str| Node {
            name: "charge".into(),
            text: String::new(),
            children: vec![leaf("chargeType", kind), leaf("amount", amt)],
        };
        let root = Node {
            name: "order".into(),
            text: String::new(),
            children: vec![Node {
                name: "charges".into(),
                text: String::new(),
                children: vec![charge("SHIPPING", "5.00"), charge("PRODUCT", "10.00")],
            }],
        };
        assert_eq!(
            root.text("charges/charge[chargeType=PRODUCT]/amount")
                .as_deref(),
            Some("10.00")
        );
        assert_eq!(root.find("charges/charge").len(), 2);
        assert_eq!(local("ns3:order"), "order");
    }
}
