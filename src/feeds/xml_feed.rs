//! XML order feeds (Walmart Marketplace v3, Amazon MWS) → canonical orders, one order element
//! at a time.
//!
//! The reader streams with quick-xml; when it meets an order element (by local name, so
//! namespaced and unprefixed documents read alike) it builds a small tree of that element only,
//! evaluates the profile's paths on it, and drops it. A document with a DTD is refused before
//! anything is read from it: no entity is ever expanded. The five predefined entities and
//! character references are text; any other reference, a control character (XML 1.0 allows
//! none but TAB, CR and LF) or a value that does not read as its type rejects the order that
//! holds it, with the element's path and byte offset, and the other orders go on.
//!
//! Paths are local element names joined by `/`; a step may filter on a child's text:
//! `charges/charge[chargeType=PRODUCT]/chargeAmount/amount`.

use super::Options;
use super::csv_feed::{amount, timestamp_date};
use super::profile::XmlProfile;
use crate::diag::{Code, Controls, Finding};
use crate::model::outcome::{Outcome, Status};
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
    /// Byte offset of the start tag in the decoded text: where a finding about its value points.
    offset: usize,
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
        self.value(path).map(|(t, _)| t.to_string())
    }

    /// As [`Node::text`], borrowed, with the byte offset of the element that holds it.
    fn value(&self, path: &str) -> Option<(&str, usize)> {
        self.find(path)
            .first()
            .map(|n| (n.text.trim(), n.offset))
            .filter(|(t, _)| !t.is_empty())
    }
}

/// The path of the element being read, from the order element down (`order/shipTo/name`).
fn path_of(stack: &[Node]) -> String {
    let names: Vec<&str> = stack.iter().map(|n| n.name.as_str()).collect();
    names.join("/")
}

/// A finding about the text of the element being read, at `offset`; it rejects the order.
fn text_finding(stack: &[Node], offset: usize, message: String) -> Finding {
    let path = path_of(stack);
    let mut f = Finding::error(Code::InvalidRow, format!("{path}: {message}")).at_offset(offset);
    f.column = Some(path);
    f
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
    let (reader, event_start) = crate::syntax::limits::Guarded::new(
        reader,
        limits.max_xml_order_bytes as u64 + (64 << 10),
        "an XML text or tag",
        "max_xml_order_bytes",
    );
    // Text is not trimmed by the reader: it would trim each piece between two references
    // (`Bob &amp; Sons` would become `Bob&Sons`); values are trimmed whole when read.
    let mut xml = quick_xml::Reader::from_reader(io::BufReader::new(reader));
    let mut buf = Vec::new();
    // Open elements of the order being built (the first is the order itself).
    let mut stack: Vec<Node> = Vec::new();
    let mut order_offset = 0usize;
    let mut order_index = 0usize;
    let mut findings = Vec::new();
    // Findings about the text of the order being read (references, control characters).
    let mut order_findings: Vec<Finding> = Vec::new();
    loop {
        let at = xml.buffer_position() as usize;
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let over = match &e {
                    quick_xml::Error::Io(io) => crate::syntax::limits::Exceeded::find(io),
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
                    order_findings.clear();
                }
                stack.push(Node {
                    name,
                    offset: at,
                    ..Node::default()
                });
            }
            Event::Empty(e) => {
                let node = Node {
                    name: local(e.name().as_ref()),
                    offset: at,
                    ..Node::default()
                };
                match stack.last_mut() {
                    Some(top) => top.children.push(node),
                    // An empty order element (`<order/>`) is an order without a number or
                    // lines: rejected as one, not passed over.
                    None if node.name == profile.order => {
                        order_index += 1;
                        sink(order_from(
                            profile,
                            &node,
                            at,
                            order_index,
                            Vec::new(),
                            opts,
                        ))?;
                    }
                    None => {}
                }
            }
            Event::Text(t) if !stack.is_empty() => {
                if let Some((i, c)) = super::control_char(&t) {
                    order_findings.push(text_finding(
                        &stack,
                        at + i,
                        format!("{} in the text is not allowed", super::control_name(c)),
                    ));
                }
                let top = stack.last_mut().expect("not empty");
                top.text.push_str(&t.xml10_content());
            }
            Event::CData(t) if !stack.is_empty() => {
                if let Some((i, c)) = super::control_char(&t) {
                    order_findings.push(text_finding(
                        &stack,
                        at + "<![CDATA[".len() + i,
                        format!("{} in the text is not allowed", super::control_name(c)),
                    ));
                }
                let top = stack.last_mut().expect("not empty");
                top.text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) => {
                let name = r.xml10_content().into_owned();
                // Only the five predefined entities and character references are text: an
                // undefined entity (or a reference to a character XML does not allow) cannot
                // be read, so the order that holds it is rejected rather than read without it.
                let resolved = match quick_xml::escape::resolve_predefined_entity(&name) {
                    Some(s) => Ok(s.to_string()),
                    None => match r.resolve_char_ref() {
                        Ok(Some(c))
                            if super::control_char(c.encode_utf8(&mut [0; 4])).is_some() =>
                        {
                            Err(format!(
                                "'&{name};' stands for {}, which XML does not allow",
                                super::control_name(c)
                            ))
                        }
                        Ok(Some(c)) => Ok(c.to_string()),
                        Ok(None) => Err(format!(
                            "'&{name};' is not a defined entity (only &amp; &lt; &gt; &quot; &apos; and character references are read; no entity is expanded)"
                        )),
                        Err(_) => Err(format!("'&{name};' is not a valid character reference")),
                    },
                };
                match (resolved, stack.last_mut()) {
                    (Ok(s), Some(top)) => top.text.push_str(&s),
                    (Ok(_), None) => {}
                    (Err(m), Some(_)) => order_findings.push(text_finding(&stack, at, m)),
                    (Err(m), None) => {
                        findings.push(Finding::error(Code::InvalidRow, m).at_offset(at))
                    }
                }
            }
            Event::End(_) => {
                if let Some(node) = stack.pop() {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => {
                            order_index += 1;
                            let found = std::mem::take(&mut order_findings);
                            sink(order_from(
                                profile,
                                &node,
                                order_offset,
                                order_index,
                                found,
                                opts,
                            ))?;
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
///
/// `findings` are those about the order's text, found while it was read.
fn order_from(
    p: &XmlProfile,
    node: &Node,
    offset: usize,
    index: usize,
    mut findings: Vec<Finding>,
    opts: &Options,
) -> Outcome {
    // A finding about a field names its element path and points at the element itself.
    let at_node = |path: &str, node_offset: usize, msg: String| {
        let path = format!("{}/{path}", p.order);
        let mut f =
            Finding::error(Code::InvalidRow, format!("{path}: {msg}")).at_offset(node_offset);
        f.column = Some(path);
        f
    };
    let at = |path: &str, msg: String| at_node(path, offset, msg);
    let number = node.text(&p.order_fields.order_number);
    let key = number.clone().unwrap_or_else(|| format!("#{index}"));
    if number.is_none() {
        findings.push(at(
            &p.order_fields.order_number,
            format!("order {index} has no {}", p.order_fields.order_number),
        ));
    }
    let order_date = p.order_fields.order_date.as_deref().and_then(|path| {
        let (v, o) = node.value(path)?;
        timestamp_date(v)
            .map_err(|m| findings.push(at_node(path, o, m)))
            .ok()
    });
    let total = p.order_fields.total.as_deref().and_then(|path| {
        let (v, o) = node.value(path)?;
        amount(v)
            .map_err(|m| findings.push(at_node(path, o, m)))
            .ok()
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
        let quantity = match ln.value(&p.line.quantity).map(|(v, o)| (amount(v), o)) {
            Some((Ok(q), _)) => q,
            Some((Err(m), o)) => {
                findings.push(at_node(
                    &path(&p.line.quantity),
                    o,
                    m.replace("an amount", "a quantity"),
                ));
                continue;
            }
            None => {
                findings.push(at_node(
                    &path(&p.line.quantity),
                    ln.offset,
                    format!("line {} has no quantity", i + 1),
                ));
                continue;
            }
        };
        let unit_price = p.line.unit_price.as_deref().and_then(|f| {
            let (v, o) = ln.value(f)?;
            match amount(v) {
                Ok(x) if p.line.price_is_total && !quantity.is_zero() => {
                    super::csv_feed::unit_price_of(x, quantity)
                        .map_err(|m| findings.push(at_node(&path(f), o, m)))
                        .ok()
                }
                Ok(x) => Some(x),
                Err(m) => {
                    findings.push(at_node(&path(f), o, m));
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
                    Err(m) => findings.push(at_node(&path(&a.amount), n.offset, m)),
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
            ..Node::default()
        };
        let charge = |kind: &str, amt: &str| Node {
            name: "charge".into(),
            children: vec![leaf("chargeType", kind), leaf("amount", amt)],
            ..Node::default()
        };
        let root = Node {
            name: "order".into(),
            children: vec![Node {
                name: "charges".into(),
                children: vec![charge("SHIPPING", "5.00"), charge("PRODUCT", "10.00")],
                ..Node::default()
            }],
            ..Node::default()
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
