//! The v2 value encoding of a [`Document`] (see the parent module), written field by field
//! without serde's generic machinery: the bytes `ValueHasher::encode` gives for the same
//! document without `source`.
//!
//! Phase: the run hashes every accepted document, one call each. Why by hand: through serde
//! every struct's entries are written in the model's field order, then sorted by key and
//! copied into place at each level (a line's bytes are moved once for the line and once more
//! for the document), every date is formatted into a fresh `String`, and every field is a chain
//! of generic calls. Here each struct writes its present fields already in key order, and an
//! absent one is never written. What keeps the two encoders from drifting apart: the tests
//! encode arbitrary documents, and every fixture, sample and corpus document
//! (`tests/json_writer.rs`), both ways and compare the bytes, so a field added to `types.rs`
//! and not here fails them. An acknowledgment is rare; it goes through serde.
//!
//! Each struct below lists its fields in byte order of their names (`_` sorts before the
//! letters: `line_count` < `lines`), which is the order the serde path sorts them into.

use crate::model::json::document::{date_text, decimal_text, time_text};
use crate::model::{
    Address, AllowanceCharge, Carrier, Contact, DatedEvent, Document, Invoice, InvoiceLine,
    ItemIds, Order, OrderLine, Package, Party, PartyId, Purpose, QualifiedId, Reference, ShipLine,
    ShipNotice, Tax, Terms, Totals,
};
use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// Appends the encoding of `doc` without its `source`; `false` for a kind written only by the
/// serde path (an acknowledgment), with nothing appended.
pub(super) fn encode_document(out: &mut Vec<u8>, doc: &Document) -> bool {
    match doc {
        Document::Order(o) => order(out, o),
        Document::ShipNotice(s) => ship_notice(out, s),
        Document::Invoice(i) => invoice(out, i),
        Document::Acknowledgment(_) => return false,
    }
    true
}

fn length(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u64).to_le_bytes());
}

fn key(out: &mut Vec<u8>, name: &str) {
    out.push(b'k');
    length(out, name.len());
    out.extend_from_slice(name.as_bytes());
}

/// A string value; an empty one is absent.
fn text(out: &mut Vec<u8>, v: &str) {
    if !v.is_empty() {
        out.push(b's');
        length(out, v.len());
        out.extend_from_slice(v.as_bytes());
    }
}

/// An entry whose value may be absent: its key is taken back when the value writes nothing.
fn entry(out: &mut Vec<u8>, name: &str, value: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    key(out, name);
    let before = out.len();
    value(out);
    if out.len() == before {
        out.truncate(start);
    }
}

fn str_entry(out: &mut Vec<u8>, name: &str, v: &str) {
    if !v.is_empty() {
        key(out, name);
        text(out, v);
    }
}

fn opt_str_entry(out: &mut Vec<u8>, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        str_entry(out, name, v);
    }
}

fn decimal_entry(out: &mut Vec<u8>, name: &str, d: &Decimal) {
    key(out, name);
    decimal(out, d);
}

fn opt_decimal_entry(out: &mut Vec<u8>, name: &str, d: &Option<Decimal>) {
    if let Some(d) = d {
        decimal_entry(out, name, d);
    }
}

fn opt_int_entry(out: &mut Vec<u8>, name: &str, v: Option<u64>) {
    if let Some(v) = v {
        key(out, name);
        out.push(b'i');
        out.push(1);
        out.extend_from_slice(&u128::from(v).to_le_bytes());
    }
}

/// A struct: `{`, what `fields` writes, `}`; absent when it writes nothing.
fn obj(out: &mut Vec<u8>, fields: impl FnOnce(&mut Vec<u8>)) {
    out.push(b'{');
    let before = out.len();
    fields(out);
    if out.len() == before {
        out.pop();
    } else {
        out.push(b'}');
    }
}

/// A sequence: absent when empty; an element that writes nothing is `z`.
fn seq<T>(out: &mut Vec<u8>, name: &str, items: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    if items.is_empty() {
        return;
    }
    key(out, name);
    out.push(b'[');
    for item in items {
        let before = out.len();
        each(out, item);
        if out.len() == before {
            out.push(b'z');
        }
    }
    out.push(b']');
}

fn texts(out: &mut Vec<u8>, name: &str, items: &[String]) {
    seq(out, name, items, |out, s| text(out, s));
}

/// A string that `write` appends: `s`, its length (filled in once written), its bytes. Only for
/// values whose text is never empty (an empty string is absent).
fn written(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    out.push(b's');
    let at = out.len();
    length(out, 0);
    write(out);
    let n = out.len() - at - 8;
    out[at..at + 8].copy_from_slice(&(n as u64).to_le_bytes());
}

/// A decimal as its text (`12.50`), which is what it serializes as.
fn decimal(out: &mut Vec<u8>, d: &Decimal) {
    written(out, |out| decimal_text(out, d));
}

/// A date as its `Display` text, which is what it serializes as.
fn date(out: &mut Vec<u8>, d: Date) {
    match date_text(d) {
        Some(t) => written(out, |out| out.extend_from_slice(&t)),
        None => display(out, &d),
    }
}

/// A time as its `Display` text.
fn time(out: &mut Vec<u8>, t: Time) {
    match time_text(t) {
        Some(text) => written(out, |out| out.extend_from_slice(&text)),
        None => display(out, &t),
    }
}

fn display(out: &mut Vec<u8>, v: &dyn std::fmt::Display) {
    let mut s = String::new();
    write!(s, "{v}").expect("a String takes any text");
    text(out, &s);
}

fn purpose(out: &mut Vec<u8>, p: Purpose) {
    key(out, "purpose");
    text(out, p.as_str());
}

fn opt_date_entry(out: &mut Vec<u8>, name: &str, d: Option<Date>) {
    if let Some(d) = d {
        key(out, name);
        date(out, d);
    }
}

fn opt_time_entry(out: &mut Vec<u8>, name: &str, t: Option<Time>) {
    if let Some(t) = t {
        key(out, name);
        time(out, t);
    }
}

fn type_entry(out: &mut Vec<u8>, kind: &str) {
    key(out, "type");
    text(out, kind);
}

fn order(out: &mut Vec<u8>, o: &Order) {
    obj(out, |out| {
        seq(out, "allowances_charges", &o.allowances_charges, allowance);
        opt_str_entry(out, "currency", &o.currency);
        seq(out, "dates", &o.dates, dated);
        seq(out, "lines", &o.lines, order_line);
        texts(out, "notes", &o.notes);
        opt_date_entry(out, "order_date", o.order_date);
        str_entry(out, "order_number", &o.order_number);
        opt_str_entry(out, "order_type", &o.order_type);
        seq(out, "parties", &o.parties, party);
        purpose(out, o.purpose);
        seq(out, "references", &o.references, reference);
        seq(out, "taxes", &o.taxes, tax);
        if let Some(t) = &o.terms {
            entry(out, "terms", |out| terms(out, t));
        }
        entry(out, "totals", |out| totals(out, &o.totals));
        type_entry(out, "order");
    });
}

fn ship_notice(out: &mut Vec<u8>, s: &ShipNotice) {
    obj(out, |out| {
        opt_str_entry(out, "bill_of_lading", &s.bill_of_lading);
        if let Some(c) = &s.carrier {
            entry(out, "carrier", |out| carrier(out, c));
        }
        seq(out, "dates", &s.dates, dated);
        seq(out, "lines", &s.lines, ship_line);
        texts(out, "order_refs", &s.order_refs);
        seq(out, "packages", &s.packages, package);
        seq(out, "parties", &s.parties, party);
        purpose(out, s.purpose);
        seq(out, "references", &s.references, reference);
        opt_date_entry(out, "ship_date", s.ship_date);
        opt_time_entry(out, "ship_time", s.ship_time);
        str_entry(out, "shipment_id", &s.shipment_id);
        entry(out, "totals", |out| totals(out, &s.totals));
        texts(out, "tracking_numbers", &s.tracking_numbers);
        type_entry(out, "ship_notice");
    });
}

fn invoice(out: &mut Vec<u8>, i: &Invoice) {
    obj(out, |out| {
        seq(out, "allowances_charges", &i.allowances_charges, allowance);
        opt_str_entry(out, "currency", &i.currency);
        seq(out, "dates", &i.dates, dated);
        opt_date_entry(out, "invoice_date", i.invoice_date);
        str_entry(out, "invoice_number", &i.invoice_number);
        opt_str_entry(out, "invoice_type", &i.invoice_type);
        seq(out, "lines", &i.lines, invoice_line);
        texts(out, "notes", &i.notes);
        opt_date_entry(out, "order_date", i.order_date);
        opt_str_entry(out, "order_number", &i.order_number);
        seq(out, "parties", &i.parties, party);
        purpose(out, i.purpose);
        seq(out, "references", &i.references, reference);
        seq(out, "taxes", &i.taxes, tax);
        if let Some(t) = &i.terms {
            entry(out, "terms", |out| terms(out, t));
        }
        opt_decimal_entry(out, "total_amount", &i.total_amount);
        entry(out, "totals", |out| totals(out, &i.totals));
        type_entry(out, "invoice");
    });
}

fn order_line(out: &mut Vec<u8>, l: &OrderLine) {
    obj(out, |out| {
        seq(out, "allowances_charges", &l.allowances_charges, allowance);
        seq(out, "dates", &l.dates, dated);
        opt_str_entry(out, "description", &l.description);
        entry(out, "item_ids", |out| item_ids(out, &l.item_ids));
        str_entry(out, "line_number", &l.line_number);
        opt_str_entry(out, "price_basis", &l.price_basis);
        decimal_entry(out, "quantity", &l.quantity);
        seq(out, "taxes", &l.taxes, tax);
        opt_str_entry(out, "unit", &l.unit);
        opt_decimal_entry(out, "unit_price", &l.unit_price);
    });
}

fn ship_line(out: &mut Vec<u8>, l: &ShipLine) {
    obj(out, |out| {
        opt_str_entry(out, "description", &l.description);
        entry(out, "item_ids", |out| item_ids(out, &l.item_ids));
        str_entry(out, "line_number", &l.line_number);
        opt_str_entry(out, "order_number", &l.order_number);
        opt_str_entry(out, "package", &l.package);
        decimal_entry(out, "quantity", &l.quantity);
        opt_decimal_entry(out, "quantity_ordered", &l.quantity_ordered);
        opt_str_entry(out, "unit", &l.unit);
    });
}

fn invoice_line(out: &mut Vec<u8>, l: &InvoiceLine) {
    obj(out, |out| {
        seq(out, "allowances_charges", &l.allowances_charges, allowance);
        opt_str_entry(out, "description", &l.description);
        entry(out, "item_ids", |out| item_ids(out, &l.item_ids));
        str_entry(out, "line_number", &l.line_number);
        decimal_entry(out, "quantity", &l.quantity);
        seq(out, "taxes", &l.taxes, tax);
        opt_str_entry(out, "unit", &l.unit);
        opt_decimal_entry(out, "unit_price", &l.unit_price);
    });
}

fn package(out: &mut Vec<u8>, p: &Package) {
    obj(out, |out| {
        str_entry(out, "level", &p.level);
        texts(out, "lines", &p.lines);
        seq(out, "marks", &p.marks, qualified);
        opt_str_entry(out, "parent", &p.parent);
        opt_str_entry(out, "sscc", &p.sscc);
        opt_str_entry(out, "tracking_number", &p.tracking_number);
    });
}

fn carrier(out: &mut Vec<u8>, c: &Carrier) {
    obj(out, |out| {
        opt_str_entry(out, "mode", &c.mode);
        opt_str_entry(out, "name", &c.name);
        opt_str_entry(out, "scac", &c.scac);
        opt_str_entry(out, "service_level", &c.service_level);
    });
}

fn totals(out: &mut Vec<u8>, t: &Totals) {
    obj(out, |out| {
        opt_decimal_entry(out, "amount", &t.amount);
        opt_decimal_entry(out, "hash_total", &t.hash_total);
        opt_int_entry(out, "line_count", t.line_count);
    });
}

fn terms(out: &mut Vec<u8>, t: &Terms) {
    obj(out, |out| {
        opt_str_entry(out, "code", &t.code);
        opt_str_entry(out, "description", &t.description);
        opt_int_entry(out, "discount_days", t.discount_days.map(u64::from));
        opt_decimal_entry(out, "discount_percent", &t.discount_percent);
        opt_int_entry(out, "net_days", t.net_days.map(u64::from));
    });
}

fn tax(out: &mut Vec<u8>, t: &Tax) {
    obj(out, |out| {
        opt_decimal_entry(out, "amount", &t.amount);
        str_entry(out, "code", &t.code);
        opt_decimal_entry(out, "percent", &t.percent);
    });
}

fn allowance(out: &mut Vec<u8>, a: &AllowanceCharge) {
    obj(out, |out| {
        opt_decimal_entry(out, "amount", &a.amount);
        opt_str_entry(out, "code", &a.code);
        opt_str_entry(out, "description", &a.description);
        key(out, "kind");
        text(out, a.kind.as_str());
        opt_decimal_entry(out, "percent", &a.percent);
        opt_decimal_entry(out, "quantity", &a.quantity);
        opt_decimal_entry(out, "rate", &a.rate);
    });
}

fn dated(out: &mut Vec<u8>, d: &DatedEvent) {
    obj(out, |out| {
        key(out, "date");
        date(out, d.date);
        str_entry(out, "qualifier", &d.qualifier);
        opt_time_entry(out, "time", d.time);
    });
}

fn reference(out: &mut Vec<u8>, r: &Reference) {
    obj(out, |out| {
        opt_str_entry(out, "description", &r.description);
        str_entry(out, "qualifier", &r.qualifier);
        str_entry(out, "value", &r.value);
    });
}

fn qualified(out: &mut Vec<u8>, q: &QualifiedId) {
    obj(out, |out| {
        str_entry(out, "qualifier", &q.qualifier);
        str_entry(out, "value", &q.value);
    });
}

fn item_ids(out: &mut Vec<u8>, ids: &ItemIds) {
    obj(out, |out| {
        opt_str_entry(out, "buyer_part", &ids.buyer_part);
        opt_str_entry(out, "ean", &ids.ean);
        opt_str_entry(out, "gtin", &ids.gtin);
        opt_str_entry(out, "isbn", &ids.isbn);
        seq(out, "other", &ids.other, qualified);
        opt_str_entry(out, "sku", &ids.sku);
        opt_str_entry(out, "upc", &ids.upc);
        opt_str_entry(out, "vendor_part", &ids.vendor_part);
    });
}

fn party(out: &mut Vec<u8>, p: &Party) {
    obj(out, |out| {
        entry(out, "address", |out| address(out, &p.address));
        seq(out, "contacts", &p.contacts, contact);
        seq(out, "ids", &p.ids, party_id);
        opt_str_entry(out, "name", &p.name);
        key(out, "role");
        text(out, p.role.as_str());
        str_entry(out, "role_code", &p.role_code);
    });
}

fn party_id(out: &mut Vec<u8>, id: &PartyId) {
    obj(out, |out| {
        str_entry(out, "id", &id.id);
        str_entry(out, "qualifier", &id.qualifier);
    });
}

fn contact(out: &mut Vec<u8>, c: &Contact) {
    obj(out, |out| {
        opt_str_entry(out, "email", &c.email);
        opt_str_entry(out, "name", &c.name);
        opt_str_entry(out, "phone", &c.phone);
    });
}

fn address(out: &mut Vec<u8>, a: &Address) {
    obj(out, |out| {
        opt_str_entry(out, "city", &a.city);
        opt_str_entry(out, "country", &a.country);
        texts(out, "lines", &a.lines);
        opt_str_entry(out, "postal_code", &a.postal_code);
        opt_str_entry(out, "region", &a.region);
    });
}
