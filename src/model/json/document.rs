//! The canonical JSON of a [`Document`], written field by field without serde's generic
//! machinery: the bytes [`super::write`] gives for the same document (which are serde_json's).
//!
//! Phase: output of `translate` and of the run's spool, one call per accepted document. Why
//! by hand: through serde every field is a chain of generic calls (`serialize_field`, the
//! `skip_serializing_if` test, the name, the value), a decimal is formatted into a buffer and
//! then scanned for escapes, a date goes through `fmt`. Here a field name and its comma are one
//! constant copied at once, a decimal's digits go straight into the output, and a date is ten
//! bytes. What keeps the two writers from drifting apart: the module's tests write every
//! fixture, sample and corpus document and arbitrary documents both ways and compare the bytes,
//! so a field added to `types.rs` and not here fails them. An acknowledgment is rare; it goes
//! through serde.

use super::{Error, write_str};
use crate::model::{
    Address, AllowanceCharge, Carrier, Contact, DatedEvent, Document, Identity, Invoice,
    InvoiceLine, ItemIds, Order, OrderLine, Package, Party, PartyId, QualifiedId, Reference,
    ShipLine, ShipNotice, Source, Tax, Terms, Totals,
};
use jiff::civil::{Date, Time};
use rust_decimal::Decimal;

/// `,"name":`: the comma that goes before every field but an object's first, and the name.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":").as_bytes()
    };
}

/// Appends the canonical JSON of `doc` to `out`: the bytes of `json::write(out, doc)`.
pub fn write_document(out: &mut Vec<u8>, doc: &Document) -> Result<(), Error> {
    match doc {
        Document::Order(o) => order(out, o),
        Document::ShipNotice(s) => ship_notice(out, s),
        Document::Invoice(i) => invoice(out, i),
        Document::Acknowledgment(_) => return super::write(out, doc),
    }
    Ok(())
}

/// An object whose first written field is not known in advance (every field may be skipped).
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    /// An object after `{`, no field written yet.
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, first: true }
    }

    /// An object whose first field is already written.
    fn after_first(out: &'a mut Vec<u8>) -> Self {
        Obj { out, first: false }
    }

    /// Writes `,"name":` (without the comma for the first field) and gives the buffer.
    #[inline]
    fn key(&mut self, key: &'static [u8]) -> &mut Vec<u8> {
        let k = if self.first { &key[1..] } else { key };
        self.first = false;
        self.out.extend_from_slice(k);
        self.out
    }

    fn str(&mut self, key: &'static [u8], v: &str) {
        write_str(self.key(key), v);
    }

    fn opt_str(&mut self, key: &'static [u8], v: &Option<String>) {
        if let Some(v) = v {
            self.str(key, v);
        }
    }

    fn opt_decimal(&mut self, key: &'static [u8], v: &Option<Decimal>) {
        if let Some(v) = v {
            decimal(self.key(key), v);
        }
    }

    fn opt_date(&mut self, key: &'static [u8], v: &Option<Date>) {
        if let Some(v) = v {
            date(self.key(key), *v);
        }
    }

    fn opt_u64(&mut self, key: &'static [u8], v: Option<u64>) {
        if let Some(v) = v {
            uint(self.key(key), v);
        }
    }

    /// A list, skipped when empty.
    fn list<T>(&mut self, key: &'static [u8], items: &[T], each: impl Fn(&mut Vec<u8>, &T)) {
        if !items.is_empty() {
            let out = self.key(key);
            list(out, items, each);
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn list<T>(out: &mut Vec<u8>, items: &[T], each: impl Fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, item);
    }
    out.push(b']');
}

/// A `&String` because `list` hands each item of a `Vec<String>` by reference.
#[allow(clippy::ptr_arg)]
fn string(out: &mut Vec<u8>, s: &String) {
    write_str(out, s);
}

fn uint(out: &mut Vec<u8>, v: u64) {
    let mut digits = [0u8; 20];
    let n = digits_of(&mut digits, v);
    out.extend_from_slice(&digits[n..]);
}

/// Writes the decimal digits of `v` at the end of `buf`; returns where they start.
fn digits_of(buf: &mut [u8], mut v: u64) -> usize {
    let mut n = buf.len();
    loop {
        n -= 1;
        buf[n] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return n;
        }
    }
}

/// A decimal as rust_decimal's `Serialize` writes it (a JSON string of its plain text, every
/// digit of its scale kept, `-` for any negative value, `-0` included), without formatting it
/// into a buffer of its own first.
pub(super) fn decimal(out: &mut Vec<u8>, d: &Decimal) {
    out.push(b'"');
    decimal_text(out, d);
    out.push(b'"');
}

/// A decimal's plain text, as its `Display` writes it (the same text as its `Serialize`), put
/// straight into `out`: the ERP files' cells are written with it too.
pub(crate) fn decimal_text(out: &mut Vec<u8>, d: &Decimal) {
    if d.is_sign_negative() {
        out.push(b'-');
    }
    let scale = d.scale() as usize;
    // The mantissa has 96 bits: 29 digits at most; `buf` leaves room for the zeros a scale
    // larger than the digits puts in front.
    let mut buf = [b'0'; 40];
    let m = d.mantissa().unsigned_abs();
    let mut start = buf.len();
    if m != 0 {
        start = match u64::try_from(m) {
            Ok(small) => digits_of(&mut buf, small),
            Err(_) => {
                let mut v = m;
                let mut n = buf.len();
                while v != 0 {
                    n -= 1;
                    buf[n] = b'0' + (v % 10) as u8;
                    v /= 10;
                }
                n
            }
        };
    }
    let len = buf.len() - start;
    if scale == 0 {
        if len == 0 {
            out.push(b'0');
        } else {
            out.extend_from_slice(&buf[start..]);
        }
    } else if len <= scale {
        // `0.` and the fraction with its leading zeros (`buf` is filled with zeros).
        out.extend_from_slice(b"0.");
        out.extend_from_slice(&buf[buf.len() - scale..]);
    } else {
        let point = buf.len() - scale;
        out.extend_from_slice(&buf[start..point]);
        out.push(b'.');
        out.extend_from_slice(&buf[point..]);
    }
}

/// A date as jiff writes it: `YYYY-MM-DD` for years 0 to 9999, jiff's own text otherwise.
pub(super) fn date(out: &mut Vec<u8>, d: Date) {
    match date_text(d) {
        Some(text) => quoted(out, &text),
        None => display(out, &d),
    }
}

/// `YYYY-MM-DD` for years 0 to 9999, as jiff writes them; `None` for the others.
pub(crate) fn date_text(d: Date) -> Option<[u8; 10]> {
    let y = u16::try_from(d.year()).ok().filter(|&y| y <= 9999)?;
    let (m, day) = (d.month() as u8, d.day() as u8);
    Some([
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + m / 10,
        b'0' + m % 10,
        b'-',
        b'0' + day / 10,
        b'0' + day % 10,
    ])
}

/// A time as jiff writes it: `HH:MM:SS` when it has no fraction of a second, jiff's own text
/// otherwise.
pub(super) fn time(out: &mut Vec<u8>, t: Time) {
    match time_text(t) {
        Some(text) => quoted(out, &text),
        None => display(out, &t),
    }
}

/// `HH:MM:SS` for a time without a fraction of a second, as jiff writes it; `None` for the
/// others.
pub(crate) fn time_text(t: Time) -> Option<[u8; 8]> {
    if t.subsec_nanosecond() != 0 {
        return None;
    }
    let (h, m, s) = (t.hour() as u8, t.minute() as u8, t.second() as u8);
    Some([
        b'0' + h / 10,
        b'0' + h % 10,
        b':',
        b'0' + m / 10,
        b'0' + m % 10,
        b':',
        b'0' + s / 10,
        b'0' + s % 10,
    ])
}

/// Text that needs no escape, in quotes.
fn quoted(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

/// What `collect_str` writes: the value's `Display`, escaped, in quotes.
fn display(out: &mut Vec<u8>, v: &dyn std::fmt::Display) {
    write_str(out, &v.to_string());
}

fn order(out: &mut Vec<u8>, o: &Order) {
    out.extend_from_slice(br#"{"type":"order","order_number":"#);
    write_str(out, &o.order_number);
    let mut w = Obj::after_first(out);
    w.opt_date(key!("order_date"), &o.order_date);
    quoted(w.key(key!("purpose")), o.purpose.as_str().as_bytes());
    w.opt_str(key!("order_type"), &o.order_type);
    w.opt_str(key!("currency"), &o.currency);
    w.list(key!("parties"), &o.parties, party);
    list(w.key(key!("lines")), &o.lines, order_line);
    w.list(key!("references"), &o.references, reference);
    w.list(key!("dates"), &o.dates, dated);
    if let Some(t) = &o.terms {
        terms(w.key(key!("terms")), t);
    }
    w.list(key!("allowances_charges"), &o.allowances_charges, allowance);
    w.list(key!("taxes"), &o.taxes, tax);
    if !o.totals.is_empty() {
        totals(w.key(key!("totals")), &o.totals);
    }
    w.list(key!("notes"), &o.notes, string);
    source(w.key(key!("source")), &o.source);
    w.close();
}

fn order_line(out: &mut Vec<u8>, l: &OrderLine) {
    out.extend_from_slice(br#"{"line_number":"#);
    write_str(out, &l.line_number);
    let mut w = Obj::after_first(out);
    decimal(w.key(key!("quantity")), &l.quantity);
    w.opt_str(key!("unit"), &l.unit);
    w.opt_decimal(key!("unit_price"), &l.unit_price);
    w.opt_str(key!("price_basis"), &l.price_basis);
    if !l.item_ids.is_empty() {
        item_ids(w.key(key!("item_ids")), &l.item_ids);
    }
    w.opt_str(key!("description"), &l.description);
    w.list(key!("dates"), &l.dates, dated);
    w.list(key!("allowances_charges"), &l.allowances_charges, allowance);
    w.list(key!("taxes"), &l.taxes, tax);
    w.close();
}

fn ship_notice(out: &mut Vec<u8>, s: &ShipNotice) {
    out.extend_from_slice(br#"{"type":"ship_notice","shipment_id":"#);
    write_str(out, &s.shipment_id);
    let mut w = Obj::after_first(out);
    w.opt_date(key!("ship_date"), &s.ship_date);
    if let Some(t) = s.ship_time {
        time(w.key(key!("ship_time")), t);
    }
    quoted(w.key(key!("purpose")), s.purpose.as_str().as_bytes());
    w.list(key!("order_refs"), &s.order_refs, string);
    if let Some(c) = &s.carrier {
        carrier(w.key(key!("carrier")), c);
    }
    w.list(key!("tracking_numbers"), &s.tracking_numbers, string);
    w.opt_str(key!("bill_of_lading"), &s.bill_of_lading);
    w.list(key!("parties"), &s.parties, party);
    w.list(key!("references"), &s.references, reference);
    w.list(key!("dates"), &s.dates, dated);
    w.list(key!("packages"), &s.packages, package);
    list(w.key(key!("lines")), &s.lines, ship_line);
    if !s.totals.is_empty() {
        totals(w.key(key!("totals")), &s.totals);
    }
    source(w.key(key!("source")), &s.source);
    w.close();
}

fn carrier(out: &mut Vec<u8>, c: &Carrier) {
    let mut w = Obj::open(out);
    w.opt_str(key!("scac"), &c.scac);
    w.opt_str(key!("name"), &c.name);
    w.opt_str(key!("mode"), &c.mode);
    w.opt_str(key!("service_level"), &c.service_level);
    w.close();
}

fn ship_line(out: &mut Vec<u8>, l: &ShipLine) {
    out.extend_from_slice(br#"{"line_number":"#);
    write_str(out, &l.line_number);
    let mut w = Obj::after_first(out);
    w.opt_str(key!("order_number"), &l.order_number);
    decimal(w.key(key!("quantity")), &l.quantity);
    w.opt_str(key!("unit"), &l.unit);
    w.opt_decimal(key!("quantity_ordered"), &l.quantity_ordered);
    if !l.item_ids.is_empty() {
        item_ids(w.key(key!("item_ids")), &l.item_ids);
    }
    w.opt_str(key!("description"), &l.description);
    w.opt_str(key!("package"), &l.package);
    w.close();
}

fn package(out: &mut Vec<u8>, p: &Package) {
    let mut w = Obj::open(out);
    w.opt_str(key!("sscc"), &p.sscc);
    w.list(key!("marks"), &p.marks, qualified_id);
    w.str(key!("level"), &p.level);
    w.opt_str(key!("parent"), &p.parent);
    w.opt_str(key!("tracking_number"), &p.tracking_number);
    w.list(key!("lines"), &p.lines, string);
    w.close();
}

fn invoice(out: &mut Vec<u8>, i: &Invoice) {
    out.extend_from_slice(br#"{"type":"invoice","invoice_number":"#);
    write_str(out, &i.invoice_number);
    let mut w = Obj::after_first(out);
    w.opt_date(key!("invoice_date"), &i.invoice_date);
    quoted(w.key(key!("purpose")), i.purpose.as_str().as_bytes());
    w.opt_str(key!("invoice_type"), &i.invoice_type);
    w.opt_str(key!("order_number"), &i.order_number);
    w.opt_date(key!("order_date"), &i.order_date);
    w.opt_str(key!("currency"), &i.currency);
    w.list(key!("parties"), &i.parties, party);
    w.list(key!("references"), &i.references, reference);
    w.list(key!("dates"), &i.dates, dated);
    if let Some(t) = &i.terms {
        terms(w.key(key!("terms")), t);
    }
    list(w.key(key!("lines")), &i.lines, invoice_line);
    w.list(key!("allowances_charges"), &i.allowances_charges, allowance);
    w.list(key!("taxes"), &i.taxes, tax);
    w.opt_decimal(key!("total_amount"), &i.total_amount);
    if !i.totals.is_empty() {
        totals(w.key(key!("totals")), &i.totals);
    }
    w.list(key!("notes"), &i.notes, string);
    source(w.key(key!("source")), &i.source);
    w.close();
}

fn invoice_line(out: &mut Vec<u8>, l: &InvoiceLine) {
    out.extend_from_slice(br#"{"line_number":"#);
    write_str(out, &l.line_number);
    let mut w = Obj::after_first(out);
    decimal(w.key(key!("quantity")), &l.quantity);
    w.opt_str(key!("unit"), &l.unit);
    w.opt_decimal(key!("unit_price"), &l.unit_price);
    if !l.item_ids.is_empty() {
        item_ids(w.key(key!("item_ids")), &l.item_ids);
    }
    w.opt_str(key!("description"), &l.description);
    w.list(key!("allowances_charges"), &l.allowances_charges, allowance);
    w.list(key!("taxes"), &l.taxes, tax);
    w.close();
}

fn party(out: &mut Vec<u8>, p: &Party) {
    out.extend_from_slice(br#"{"role":"#);
    quoted(out, p.role.as_str().as_bytes());
    let mut w = Obj::after_first(out);
    w.str(key!("role_code"), &p.role_code);
    w.opt_str(key!("name"), &p.name);
    w.list(key!("ids"), &p.ids, party_id);
    if !p.address.is_empty() {
        address(w.key(key!("address")), &p.address);
    }
    w.list(key!("contacts"), &p.contacts, contact);
    w.close();
}

fn party_id(out: &mut Vec<u8>, p: &PartyId) {
    out.extend_from_slice(br#"{"qualifier":"#);
    write_str(out, &p.qualifier);
    out.extend_from_slice(key!("id"));
    write_str(out, &p.id);
    out.push(b'}');
}

fn address(out: &mut Vec<u8>, a: &Address) {
    let mut w = Obj::open(out);
    w.list(key!("lines"), &a.lines, string);
    w.opt_str(key!("city"), &a.city);
    w.opt_str(key!("region"), &a.region);
    w.opt_str(key!("postal_code"), &a.postal_code);
    w.opt_str(key!("country"), &a.country);
    w.close();
}

fn contact(out: &mut Vec<u8>, c: &Contact) {
    let mut w = Obj::open(out);
    w.opt_str(key!("name"), &c.name);
    w.opt_str(key!("phone"), &c.phone);
    w.opt_str(key!("email"), &c.email);
    w.close();
}

fn item_ids(out: &mut Vec<u8>, ids: &ItemIds) {
    let mut w = Obj::open(out);
    w.opt_str(key!("gtin"), &ids.gtin);
    w.opt_str(key!("upc"), &ids.upc);
    w.opt_str(key!("ean"), &ids.ean);
    w.opt_str(key!("isbn"), &ids.isbn);
    w.opt_str(key!("buyer_part"), &ids.buyer_part);
    w.opt_str(key!("vendor_part"), &ids.vendor_part);
    w.opt_str(key!("sku"), &ids.sku);
    w.list(key!("other"), &ids.other, qualified_id);
    w.close();
}

fn qualified_id(out: &mut Vec<u8>, q: &QualifiedId) {
    out.extend_from_slice(br#"{"qualifier":"#);
    write_str(out, &q.qualifier);
    out.extend_from_slice(key!("value"));
    write_str(out, &q.value);
    out.push(b'}');
}

fn reference(out: &mut Vec<u8>, r: &Reference) {
    out.extend_from_slice(br#"{"qualifier":"#);
    write_str(out, &r.qualifier);
    out.extend_from_slice(key!("value"));
    write_str(out, &r.value);
    if let Some(d) = &r.description {
        out.extend_from_slice(key!("description"));
        write_str(out, d);
    }
    out.push(b'}');
}

fn dated(out: &mut Vec<u8>, d: &DatedEvent) {
    out.extend_from_slice(br#"{"qualifier":"#);
    write_str(out, &d.qualifier);
    out.extend_from_slice(key!("date"));
    date(out, d.date);
    if let Some(t) = d.time {
        out.extend_from_slice(key!("time"));
        time(out, t);
    }
    out.push(b'}');
}

fn allowance(out: &mut Vec<u8>, a: &AllowanceCharge) {
    out.extend_from_slice(br#"{"kind":"#);
    quoted(out, a.kind.as_str().as_bytes());
    let mut w = Obj::after_first(out);
    w.opt_str(key!("code"), &a.code);
    w.opt_decimal(key!("amount"), &a.amount);
    w.opt_decimal(key!("percent"), &a.percent);
    w.opt_decimal(key!("rate"), &a.rate);
    w.opt_decimal(key!("quantity"), &a.quantity);
    w.opt_str(key!("description"), &a.description);
    w.close();
}

fn tax(out: &mut Vec<u8>, t: &Tax) {
    out.extend_from_slice(br#"{"code":"#);
    write_str(out, &t.code);
    let mut w = Obj::after_first(out);
    w.opt_decimal(key!("amount"), &t.amount);
    w.opt_decimal(key!("percent"), &t.percent);
    w.close();
}

fn terms(out: &mut Vec<u8>, t: &Terms) {
    let mut w = Obj::open(out);
    w.opt_str(key!("code"), &t.code);
    w.opt_decimal(key!("discount_percent"), &t.discount_percent);
    w.opt_u64(key!("discount_days"), t.discount_days.map(u64::from));
    w.opt_u64(key!("net_days"), t.net_days.map(u64::from));
    w.opt_str(key!("description"), &t.description);
    w.close();
}

fn totals(out: &mut Vec<u8>, t: &Totals) {
    let mut w = Obj::open(out);
    w.opt_u64(key!("line_count"), t.line_count);
    w.opt_decimal(key!("hash_total"), &t.hash_total);
    w.opt_decimal(key!("amount"), &t.amount);
    w.close();
}

/// Also what the run's spool writes alone for a document it keeps no copy of.
pub fn source(out: &mut Vec<u8>, s: &Source) {
    let mut w = Obj::open(out);
    if !s.file.is_empty() {
        w.str(key!("file"), &s.file);
    }
    uint(w.key(key!("offset")), s.offset as u64);
    w.str(key!("standard"), &s.standard);
    if !s.version.is_empty() {
        w.str(key!("version"), &s.version);
    }
    w.str(key!("set"), &s.set);
    if let Some(i) = &s.sender {
        identity(w.key(key!("sender")), i);
    }
    if let Some(i) = &s.receiver {
        identity(w.key(key!("receiver")), i);
    }
    w.opt_str(key!("interchange_control"), &s.interchange_control);
    w.opt_str(key!("group_control"), &s.group_control);
    w.opt_str(key!("transaction_control"), &s.transaction_control);
    w.opt_str(key!("channel"), &s.channel);
    if s.test {
        w.key(key!("test")).extend_from_slice(b"true");
    }
    w.close();
}

fn identity(out: &mut Vec<u8>, i: &Identity) {
    let mut w = Obj::open(out);
    if !i.qualifier.is_empty() {
        w.str(key!("qualifier"), &i.qualifier);
    }
    w.str(key!("id"), &i.id);
    w.close();
}
