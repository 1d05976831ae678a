//! CSV and TSV order feeds → canonical orders, streamed row by row.
//!
//! Rows are grouped into orders by the profile's key column; an order ends when the key
//! changes, so only one order is held at a time. A row that cannot be read (a bad number or
//! date, a control character in a value, a field count that does not match the header, an
//! empty key, order fields that contradict the order's first row) rejects its order with the
//! row and column named; the other orders go on.

use super::Options;
use super::profile::{AmountKind, OrderFields, Profile, Scope};
use crate::diag::{Code, Controls, Finding};
use crate::model::outcome::{Outcome, Status};
use crate::model::{
    Address, AllowanceCharge, AllowanceOrCharge, Contact, Document, Identity, ItemIds, Order,
    OrderLine, Party, Purpose, Role, Source, Tax, Totals,
};
use jiff::civil::Date;
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read};

/// A small, fast hash for the short column names looked up on every row (SipHash's strength
/// against hostile keys buys nothing here: the keys are the profile's own names).
#[derive(Default)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A column index by header name.
struct Columns {
    index: HashMap<String, usize, std::hash::BuildHasherDefault<Fx>>,
    names: Vec<String>,
}

impl Columns {
    fn get(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// One order being read.
struct Group {
    key: String,
    offset: usize,
    first_row: u64,
    /// Order-level values of the first row, in the order of the reader's `order_cols`.
    first: Vec<String>,
    order: Order,
    findings: Vec<Finding>,
}

fn role(r: &str) -> Role {
    match r {
        "buyer" => Role::Buyer,
        "seller" => Role::Seller,
        "ship_to" => Role::ShipTo,
        "bill_to" => Role::BillTo,
        "ship_from" => Role::ShipFrom,
        "remit_to" => Role::RemitTo,
        _ => Role::Other,
    }
}

/// A decimal amount as marketplace exports write it: an optional sign, digits, and a point with
/// more digits (`12.99`, `-3.00`, `+2`). Shopify, Amazon and Walmart never write an exponent,
/// digit separators, a currency sign or a decimal comma, so each of those is refused rather than
/// read (rust_decimal would take `1e2` and `1_000`); so is a value with more digits than a
/// decimal holds exactly (28 or 29), which would otherwise be rounded without a word.
pub fn amount(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = match unsigned.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (unsigned, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !(digits(int) && frac.is_none_or(digits)) {
        return Err(if t.contains(',') {
            format!("'{t}' is not an amount: the decimal mark must be '.'")
        } else if t.contains(['e', 'E'])
            && t.bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
        {
            format!("'{t}' is not an amount: feeds write plain decimals, never an exponent")
        } else {
            format!("'{t}' is not an amount")
        });
    }
    Decimal::from_str_exact(t).map_err(|_| {
        format!("'{t}' is not an amount: it has more digits than a decimal holds exactly (28)")
    })
}

/// The calendar date of a timestamp as the feed wrote it, offset included:
/// `2024-03-11 09:15:42 -0500`, `2024-03-11T14:02:11+00:00`, `2024-03-11T14:02:11Z`, or a date.
pub fn timestamp_date(s: &str) -> Result<Date, String> {
    // Some APIs hand out timestamps still URL-encoded (`2010-10-05T00%3A06%3A07Z`).
    let decoded;
    let t = if s.contains('%') {
        // `%XX` escapes decoded; anything that is not one is kept as it is.
        decoded = percent_encoding::percent_decode_str(s.trim()).decode_utf8_lossy();
        &decoded
    } else {
        s.trim()
    };
    let bad = || format!("'{t}' is not a date or timestamp");
    let date: Date = t.get(..10).ok_or_else(bad)?.parse().map_err(|_| bad())?;
    let rest = &t[10..];
    if rest.is_empty() {
        return Ok(date);
    }
    let ok = t.parse::<jiff::Timestamp>().is_ok()
        || jiff::fmt::strtime::parse("%Y-%m-%d %H:%M:%S %z", t)
            .is_ok_and(|p| p.to_timestamp().is_ok())
        || t.parse::<jiff::civil::DateTime>().is_ok();
    if ok { Ok(date) } else { Err(bad()) }
}

/// The limit breach behind a csv error, when that is what stopped the reading.
fn too_long(e: &csv::Error) -> Option<String> {
    match e.kind() {
        csv::ErrorKind::Io(io) => {
            crate::syntax::limits::Exceeded::find(io).map(ToString::to_string)
        }
        _ => None,
    }
}

/// Translates a decoded CSV/TSV feed; `sink` gets one outcome per order (and per unreadable row
/// that belongs to no order). Returns findings about the file as a whole.
pub fn translate<R: Read>(
    reader: R,
    profile: &Profile,
    opts: &Options,
    mut sink: impl FnMut(Outcome) -> io::Result<()>,
) -> io::Result<Vec<Finding>> {
    // The csv crate holds a whole record in memory; a quote left open makes the rest of the
    // file one record, so the reader is guarded (with slack for csv's own read-ahead).
    let (reader, row_start) = crate::syntax::limits::Guarded::new(
        reader,
        opts.limits.max_record_bytes as u64 + (64 << 10),
        "a row",
        "max_record_bytes",
    );
    let (reader, lines) = super::lines::NoteLines::new(reader);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(profile.delimiter_byte())
        .flexible(true)
        .has_headers(true)
        .from_reader(reader);
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Ok(vec![
                Finding::error(
                    Code::InvalidRow,
                    format!("the header row cannot be read: {e}"),
                )
                .at_row(0, 1, None),
            ]);
        }
    };
    let names: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
    let mut index: HashMap<String, usize, std::hash::BuildHasherDefault<Fx>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i))
        .collect();
    for (other, ours) in &profile.aliases {
        if !index.contains_key(ours)
            && let Some(&i) = index.get(other)
        {
            index.insert(ours.clone(), i);
        }
    }
    let cols = Columns {
        index,
        names: names.clone(),
    };
    // Columns the profile cannot do without.
    let mut missing = Vec::new();
    for c in [
        &profile.order_key,
        &profile.order.order_number,
        &profile.line.quantity,
    ] {
        if cols.get(c).is_none() && !missing.contains(c) {
            missing.push(c.clone());
        }
    }
    if !missing.is_empty() {
        return Ok(vec![
            Finding::error(
                Code::InvalidRow,
                format!(
                    "profile {} needs the column(s) {}, which the header row lacks",
                    profile.id,
                    missing.join(", ")
                ),
            )
            .at_row(0, 1, None),
        ]);
    }
    let order_cols = order_columns(profile, &cols);
    let mapped = mapped_columns(profile, &cols, &order_cols);
    let reader = Reader {
        profile,
        cols: &cols,
        order_cols: &order_cols,
        mapped: &mapped,
        opts,
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let mut current: Option<Group> = None;
    // Outcomes of unreadable rows, held until the open order is out.
    let mut deferred: Vec<Outcome> = Vec::new();
    let mut rec = csv::StringRecord::new();
    loop {
        let pos = rdr.position().clone();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => row_start.reset(),
            Err(e) if too_long(&e).is_some() => {
                let why = too_long(&e).expect("checked");
                let (o, r) = lines.at(&pos);
                let f = Finding::error(
                    Code::LimitExceeded,
                    format!("{why}: a quote left open? The rest of the file is not read"),
                )
                .at_row(o, r, None);
                match current.as_mut() {
                    Some(g) => g.findings.push(f),
                    None => sink(lone_row(profile, f))?,
                }
                break;
            }
            Err(e) => {
                let (o, r) = lines.at(&pos);
                let f = Finding::error(Code::InvalidRow, format!("the row cannot be read: {e}"))
                    .at_row(o, r, None);
                match current.as_mut() {
                    Some(g) => g.findings.push(f),
                    None => sink(lone_row(profile, f))?,
                }
                continue;
            }
        }
        let (offset, row) = lines.at(rec.position().unwrap_or(&pos));
        let key = rec
            .get(cols.get(&profile.order_key).expect("checked"))
            .unwrap_or("")
            .trim()
            .to_string();
        if rec.len() != names.len() {
            let f = Finding::error(
                Code::InvalidRow,
                format!(
                    "the row has {} fields, the header {}: a quote left open or a delimiter missing",
                    rec.len(),
                    names.len()
                ),
            )
            .at_row(offset, row, None);
            match current.as_mut() {
                Some(g) if g.key == key || key.is_empty() => g.findings.push(f),
                Some(_) => deferred.push(lone_row(profile, f)),
                None => sink(lone_row(profile, f))?,
            }
            continue;
        }
        if key.is_empty() {
            let f = Finding::error(
                Code::InvalidRow,
                format!(
                    "{} is empty: the row belongs to no order",
                    profile.order_key
                ),
            )
            .at_row(offset, row, Some(&profile.order_key));
            if current.is_some() {
                deferred.push(lone_row(profile, f));
            } else {
                sink(lone_row(profile, f))?;
            }
            continue;
        }
        if current.as_ref().is_none_or(|g| g.key != key) {
            if let Some(g) = current.take() {
                sink(reader.finish(g))?;
                // Rows that belong to no order, read while an order was open, come after it:
                // outcomes stay in file order.
                for o in deferred.drain(..) {
                    sink(o)?;
                }
            }
            let mut g = reader.start(&rec, key.clone(), offset, row);
            if !seen.insert(crate::syntax::hash_str(&key)) {
                g.findings.push(
                    Finding::error(
                        Code::InvalidRow,
                        format!(
                            "order {key} appears again at row {row} after other orders: an order's rows must be next to each other"
                        ),
                    )
                    .at_row(offset, row, Some(&profile.order_key)),
                );
            }
            current = Some(g);
        } else if let Some(g) = current.as_mut() {
            reader.check_order_fields(g, &rec, offset, row);
        }
        let g = current.as_mut().expect("set above");
        reader.check_controls(g, &rec, offset, row);
        reader.add_line(g, &rec, offset, row);
    }
    if let Some(g) = current.take() {
        sink(reader.finish(g))?;
    }
    for o in deferred {
        sink(o)?;
    }
    Ok(Vec::new())
}

/// Every column that holds an order-level field.
fn order_columns(p: &Profile, cols: &Columns) -> Vec<usize> {
    let mut names: Vec<&String> = vec![&p.order.order_number];
    names.extend(
        [
            &p.order.order_date,
            &p.order.currency,
            &p.order.note,
            &p.order.total,
            &p.order.status,
        ]
        .into_iter()
        .flatten(),
    );
    for party in &p.parties {
        names.extend(
            [
                &party.name,
                &party.company,
                &party.city,
                &party.region,
                &party.postal_code,
                &party.country,
                &party.phone,
                &party.email,
            ]
            .into_iter()
            .flatten(),
        );
        names.extend(party.address.iter());
    }
    for a in p.amounts.iter().filter(|a| a.scope == Scope::Order) {
        names.push(&a.amount);
        names.extend(a.code_column.iter());
    }
    let mut out: Vec<usize> = names.into_iter().filter_map(|n| cols.get(n)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Every column the profile reads into an order: the cells whose text can reach the ERP files.
fn mapped_columns(p: &Profile, cols: &Columns, order_cols: &[usize]) -> Vec<usize> {
    let l = &p.line;
    let mut names: Vec<&String> = vec![&p.order_key, &l.quantity];
    names.extend(
        [
            &l.unit_price,
            &l.sku,
            &l.description,
            &l.line_id,
            &p.line_required,
        ]
        .into_iter()
        .flatten(),
    );
    for a in &p.amounts {
        names.push(&a.amount);
        names.extend(a.code_column.iter());
    }
    let mut out: Vec<usize> = names.into_iter().filter_map(|n| cols.get(n)).collect();
    out.extend_from_slice(order_cols);
    out.sort_unstable();
    out.dedup();
    out
}

/// An outcome for a row that belongs to no readable order.
fn lone_row(profile: &Profile, f: Finding) -> Outcome {
    Outcome {
        status: Status::Rejected,
        set_id: profile.id.clone(),
        offset: f.offset,
        controls: Controls::default(),
        document: None,
        findings: vec![f],
        envelope_reasons: Vec::new(),
        context: None,
    }
}

struct Reader<'a> {
    profile: &'a Profile,
    cols: &'a Columns,
    order_cols: &'a [usize],
    /// Columns read into the order (see [`mapped_columns`]).
    mapped: &'a [usize],
    opts: &'a Options,
}

impl Reader<'_> {
    fn value<'r>(&self, rec: &'r csv::StringRecord, column: Option<&str>) -> Option<&'r str> {
        let c = self.cols.get(column?)?;
        rec.get(c).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The profile's amounts of one scope on a row, added to `acs` and `taxes`; unreadable ones
    /// become findings at their column.
    #[allow(clippy::too_many_arguments)]
    fn amounts(
        &self,
        rec: &csv::StringRecord,
        scope: Scope,
        acs: &mut Vec<AllowanceCharge>,
        taxes: &mut Vec<Tax>,
        findings: &mut Vec<Finding>,
        offset: usize,
        row: u64,
    ) {
        for a in self.profile.amounts.iter().filter(|a| a.scope == scope) {
            let Some(v) = self.value(rec, Some(&a.amount)) else {
                continue;
            };
            let code = a.code.clone().or_else(|| {
                self.value(rec, a.code_column.as_deref())
                    .map(str::to_string)
            });
            match amount(v) {
                Ok(x) if x.is_zero() => {}
                Ok(x) => add_amount(acs, taxes, a.kind, code, x),
                Err(m) => findings.push(Finding::error(Code::InvalidRow, m).at_row(
                    offset,
                    row,
                    Some(&a.amount),
                )),
            }
        }
    }

    fn start(&self, rec: &csv::StringRecord, key: String, offset: usize, row: u64) -> Group {
        let p = self.profile;
        let mut findings = Vec::new();
        let col_finding = |findings: &mut Vec<Finding>, col: &str, msg: String| {
            findings.push(Finding::error(Code::InvalidRow, msg).at_row(offset, row, Some(col)));
        };
        let order_date = self
            .value(rec, p.order.order_date.as_deref())
            .and_then(|v| match timestamp_date(v) {
                Ok(d) => Some(d),
                Err(m) => {
                    col_finding(
                        &mut findings,
                        p.order.order_date.as_deref().unwrap_or(""),
                        m,
                    );
                    None
                }
            });
        let parties = p
            .parties
            .iter()
            .filter_map(|pc| {
                let get = |c: &Option<String>| self.value(rec, c.as_deref()).map(str::to_string);
                let name = match (get(&pc.name), get(&pc.company)) {
                    (Some(n), Some(c)) => Some(format!("{n}, {c}")),
                    (n, c) => n.or(c),
                };
                let address = Address {
                    lines: pc
                        .address
                        .iter()
                        .filter_map(|c| self.value(rec, Some(c)).map(str::to_string))
                        .collect(),
                    city: get(&pc.city),
                    region: get(&pc.region),
                    // Spreadsheet exports guard leading zeros with an apostrophe ('05998).
                    postal_code: get(&pc.postal_code)
                        .map(|z| z.trim_start_matches('\'').to_string()),
                    country: get(&pc.country),
                };
                let contact =
                    (get(&pc.phone).is_some() || get(&pc.email).is_some()).then(|| Contact {
                        name: None,
                        phone: get(&pc.phone),
                        email: get(&pc.email),
                    });
                let party = Party {
                    role: role(&pc.role),
                    role_code: pc.role.clone(),
                    name,
                    ids: Vec::new(),
                    address,
                    contacts: contact.into_iter().collect(),
                };
                (party.name.is_some() || !party.address.is_empty() || !party.contacts.is_empty())
                    .then_some(party)
            })
            .collect();
        let mut order = Order {
            order_number: key.clone(),
            order_date,
            purpose: Purpose::Original,
            order_type: None,
            currency: self
                .value(rec, p.order.currency.as_deref())
                .map(str::to_string),
            parties,
            lines: Vec::new(),
            references: Vec::new(),
            dates: Vec::new(),
            terms: None,
            allowances_charges: Vec::new(),
            taxes: Vec::new(),
            totals: Totals::default(),
            notes: self
                .value(rec, p.order.note.as_deref())
                .map(str::to_string)
                .into_iter()
                .collect(),
            source: Source {
                file: self.opts.file.clone(),
                offset,
                standard: "csv".into(),
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
                channel: self.opts.channel.clone(),
                test: false,
            },
        };
        if let Some(total) = self.value(rec, p.order.total.as_deref()) {
            match amount(total) {
                Ok(t) => order.totals.amount = Some(t),
                Err(m) => col_finding(&mut findings, p.order.total.as_deref().unwrap_or(""), m),
            }
        }
        self.amounts(
            rec,
            Scope::Order,
            &mut order.allowances_charges,
            &mut order.taxes,
            &mut findings,
            offset,
            row,
        );
        let first = self
            .order_cols
            .iter()
            .map(|&c| rec.get(c).unwrap_or("").trim().to_string())
            .collect();
        Group {
            key,
            offset,
            first_row: row,
            first,
            order,
            findings,
        }
    }

    /// A C0 control character other than TAB, CR and LF in a cell the profile reads (a NUL is
    /// the usual one: UTF-16 read as bytes, or a damaged file) would reach the ERP files as it
    /// is, so it rejects the order with its row and column.
    fn check_controls(&self, g: &mut Group, rec: &csv::StringRecord, offset: usize, row: u64) {
        for &c in self.mapped {
            let Some((i, ch)) = rec.get(c).and_then(super::control_char) else {
                continue;
            };
            let name = &self.cols.names[c];
            let at = rec.get(c).map_or(0, |v| v[..i].chars().count() + 1);
            g.findings.push(
                Finding::error(
                    Code::InvalidRow,
                    format!(
                        "{name} holds {} at character {at}: control characters are not allowed in a value",
                        super::control_name(ch)
                    ),
                )
                .at_row(offset, row, Some(name)),
            );
        }
    }

    /// Later rows of an order must not contradict its first row.
    fn check_order_fields(&self, g: &mut Group, rec: &csv::StringRecord, offset: usize, row: u64) {
        for (k, &c) in self.order_cols.iter().enumerate() {
            let v = rec.get(c).unwrap_or("").trim();
            let first = g.first[k].as_str();
            let contradicts = match self.profile.order_fields {
                OrderFields::FirstRow => !v.is_empty() && v != first,
                OrderFields::EveryRow => v != first,
            };
            if contradicts {
                let name = &self.cols.names[c];
                g.findings.push(
                    Finding::error(
                        Code::InvalidRow,
                        format!(
                            "{name} is '{v}' here but '{first}' on row {} of order {}: rows of one order must agree",
                            g.first_row, g.key
                        ),
                    )
                    .at_row(offset, row, Some(name)),
                );
            }
        }
    }

    fn add_line(&self, g: &mut Group, rec: &csv::StringRecord, offset: usize, row: u64) {
        let p = self.profile;
        // Amounts that stand on rows of their own (shipping lines) belong to the order.
        self.amounts(
            rec,
            Scope::Row,
            &mut g.order.allowances_charges,
            &mut g.order.taxes,
            &mut g.findings,
            offset,
            row,
        );
        if let Some(req) = &p.line_required
            && self.value(rec, Some(req.as_str())).is_none()
        {
            return;
        }
        let mut bad = |col: &str, msg: String| {
            g.findings
                .push(Finding::error(Code::InvalidRow, msg).at_row(offset, row, Some(col)));
        };
        let qty_col = &p.line.quantity;
        let quantity = match self.value(rec, Some(qty_col.as_str())).map(amount) {
            Some(Ok(q)) => q,
            Some(Err(m)) => {
                bad(qty_col, m.replace("an amount", "a quantity"));
                return;
            }
            None => {
                bad(qty_col, format!("{qty_col} is empty"));
                return;
            }
        };
        let mut unit_price = None;
        if let Some(v) = self.value(rec, p.line.unit_price.as_deref()) {
            match amount(v) {
                Ok(x) if p.line.price_is_total && !quantity.is_zero() => {
                    match unit_price_of(x, quantity) {
                        Ok(u) => unit_price = Some(u),
                        Err(m) => bad(p.line.unit_price.as_deref().unwrap_or(""), m),
                    }
                }
                Ok(x) => unit_price = Some(x),
                Err(m) => bad(p.line.unit_price.as_deref().unwrap_or(""), m),
            }
        }
        let mut line = OrderLine {
            line_number: self
                .value(rec, p.line.line_id.as_deref())
                .map_or_else(|| (g.order.lines.len() + 1).to_string(), str::to_string),
            quantity,
            unit: None,
            unit_price,
            price_basis: None,
            item_ids: ItemIds {
                sku: self.value(rec, p.line.sku.as_deref()).map(str::to_string),
                ..ItemIds::default()
            },
            description: self
                .value(rec, p.line.description.as_deref())
                .map(str::to_string),
            dates: Vec::new(),
            allowances_charges: Vec::new(),
            taxes: Vec::new(),
        };
        self.amounts(
            rec,
            Scope::Line,
            &mut line.allowances_charges,
            &mut line.taxes,
            &mut g.findings,
            offset,
            row,
        );
        g.order.lines.push(line);
    }

    fn finish(&self, g: Group) -> Outcome {
        let mut findings = g.findings;
        let mut order = g.order;
        if order.lines.is_empty() && findings.is_empty() {
            findings.push(
                Finding::error(Code::Mapping, format!("order {} has no line item", g.key)).at_row(
                    g.offset,
                    g.first_row,
                    None,
                ),
            );
        }
        for f in &mut findings {
            f.controls.transaction = Some(g.key.clone());
        }
        order.totals.line_count = Some(order.lines.len() as u64);
        let rejected = findings.iter().any(Finding::is_error);
        Outcome {
            status: if rejected {
                Status::Rejected
            } else {
                Status::Accepted
            },
            set_id: self.profile.id.clone(),
            offset: g.offset,
            controls: Controls {
                interchange: None,
                group: None,
                transaction: Some(g.key),
            },
            document: (!rejected).then_some(Document::Order(order)),
            findings,
            envelope_reasons: Vec::new(),
            context: None,
        }
    }
}

/// The unit price when a feed gives the amount for the whole quantity: it keeps the amount's
/// scale (44.00 for 2 is 22.00), six places when the division is not exact. A quotient too
/// large for a decimal (a huge amount over a tiny quantity) is an error, not a panic.
pub(super) fn unit_price_of(total: Decimal, quantity: Decimal) -> Result<Decimal, String> {
    let mut u = total
        .checked_div(quantity)
        .ok_or_else(|| {
            format!(
                "{total} for a quantity of {quantity} gives a unit price too large for an amount"
            )
        })?
        .round_dp(6)
        .normalize();
    if u.scale() < total.scale() {
        u.rescale(total.scale());
    }
    Ok(u)
}

pub(super) fn add_amount(
    acs: &mut Vec<AllowanceCharge>,
    taxes: &mut Vec<Tax>,
    kind: AmountKind,
    code: Option<String>,
    value: Decimal,
) {
    match kind {
        AmountKind::Tax => taxes.push(Tax {
            code: code.unwrap_or_else(|| "tax".into()),
            amount: Some(value),
            percent: None,
        }),
        AmountKind::Charge | AmountKind::Allowance => acs.push(AllowanceCharge {
            kind: if kind == AmountKind::Charge {
                AllowanceOrCharge::Charge
            } else {
                AllowanceOrCharge::Allowance
            },
            code,
            amount: Some(value),
            percent: None,
            rate: None,
            quantity: None,
            description: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_amounts() {
        assert_eq!(
            timestamp_date("2024-03-11 09:15:42 -0500")
                .unwrap()
                .to_string(),
            "2024-03-11"
        );
        assert_eq!(
            timestamp_date("2024-03-11T14:02:11+00:00")
                .unwrap()
                .to_string(),
            "2024-03-11"
        );
        assert_eq!(
            timestamp_date("2024-03-11").unwrap().to_string(),
            "2024-03-11"
        );
        assert!(timestamp_date("2024-02-30T10:00:00+00:00").is_err());
        assert_eq!(
            timestamp_date("2010-10-05T00%3A06%3A07.000Z")
                .unwrap()
                .to_string(),
            "2010-10-05"
        );
        assert!(timestamp_date("2024-03-11 25:00:00 -0500").is_err());
        // A `%` that starts no escape is kept, and then the value is not a timestamp.
        assert!(
            timestamp_date("2010-10-05T00%3A06%3A07%Z")
                .unwrap_err()
                .contains("'2010-10-05T00:06:07%Z'")
        );
        assert_eq!(amount("24.00").unwrap().to_string(), "24.00");
        assert!(amount("12,99").unwrap_err().contains("decimal mark"));
        assert_eq!(amount(" +2 ").unwrap().to_string(), "2");
        assert_eq!(amount("-0.50").unwrap().to_string(), "-0.50");
        assert!(amount("1e2").unwrap_err().contains("exponent"));
        assert!(amount("1E40").unwrap_err().contains("exponent"));
        for bad in ["1_000", ".5", "5.", "$5", "", "-", "1.2.3", "NaN", "inf"] {
            assert!(amount(bad).is_err(), "{bad}");
        }
        assert!(
            amount("79228162514264337593543950336")
                .unwrap_err()
                .contains("digits")
        );
        assert!(
            amount("0.12345678901234567890123456789012")
                .unwrap_err()
                .contains("digits")
        );
        assert_eq!(
            amount("79228162514264337593543950335").unwrap().to_string(),
            "79228162514264337593543950335"
        );
    }
}
