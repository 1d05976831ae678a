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

    fn opt(&self, name: &Option<String>) -> Option<usize> {
        self.get(name.as_deref()?)
    }
}

/// The profile's columns placed in this file's header once, so that a row's values are read
/// by index: a name lookup for each value of each row cost a sixth of a feed's translation.
/// `None` is a column the profile does not name or the header lacks; either way its value is
/// absent.
struct Placed {
    key: usize,
    order_date: Option<usize>,
    currency: Option<usize>,
    note: Option<usize>,
    total: Option<usize>,
    parties: Vec<PartyPlaced>,
    quantity: usize,
    unit_price: Option<usize>,
    sku: Option<usize>,
    description: Option<usize>,
    line_id: Option<usize>,
    /// The column a row needs a value in to be a line, when the profile names one.
    line_required: Option<Option<usize>>,
    /// One per `profile.amounts`, in its order: the amount's column and the code's.
    amounts: Vec<(Option<usize>, Option<usize>)>,
}

struct PartyPlaced {
    name: Option<usize>,
    company: Option<usize>,
    /// The address columns the header has, in the profile's order.
    address: Vec<usize>,
    city: Option<usize>,
    region: Option<usize>,
    postal_code: Option<usize>,
    country: Option<usize>,
    phone: Option<usize>,
    email: Option<usize>,
}

impl Placed {
    /// `None` when the header lacks the order key or the quantity (reported before this).
    fn new(p: &Profile, cols: &Columns) -> Option<Placed> {
        Some(Placed {
            key: cols.get(&p.order_key)?,
            order_date: cols.opt(&p.order.order_date),
            currency: cols.opt(&p.order.currency),
            note: cols.opt(&p.order.note),
            total: cols.opt(&p.order.total),
            parties: p
                .parties
                .iter()
                .map(|pc| PartyPlaced {
                    name: cols.opt(&pc.name),
                    company: cols.opt(&pc.company),
                    address: pc.address.iter().filter_map(|c| cols.get(c)).collect(),
                    city: cols.opt(&pc.city),
                    region: cols.opt(&pc.region),
                    postal_code: cols.opt(&pc.postal_code),
                    country: cols.opt(&pc.country),
                    phone: cols.opt(&pc.phone),
                    email: cols.opt(&pc.email),
                })
                .collect(),
            quantity: cols.get(&p.line.quantity)?,
            unit_price: cols.opt(&p.line.unit_price),
            sku: cols.opt(&p.line.sku),
            description: cols.opt(&p.line.description),
            line_id: cols.opt(&p.line.line_id),
            line_required: p.line_required.as_ref().map(|c| cols.get(c)),
            amounts: p
                .amounts
                .iter()
                .map(|a| (cols.get(&a.amount), cols.opt(&a.code_column)))
                .collect(),
        })
    }
}

/// A cell's value without the spaces around it; `None` when that leaves nothing. Most cells
/// start and end with a visible ASCII character, which `str::trim` need not look at.
fn cell(rec: &csv::StringRecord, at: Option<usize>) -> Option<&str> {
    let v = trim(rec.get(at?)?);
    (!v.is_empty()).then_some(v)
}

/// `str::trim`, without decoding characters when the ends are visible ASCII (which is never
/// white space).
fn trim(v: &str) -> &str {
    match v.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => v,
        [only] if only.is_ascii_graphic() => v,
        _ => v.trim(),
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
    match usual_timestamp(s.as_bytes()) {
        Some(d) => Ok(d),
        None => parsed_timestamp_date(s),
    }
}

/// [`timestamp_date`] by jiff's parsers, for any layout they know.
fn parsed_timestamp_date(s: &str) -> Result<Date, String> {
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

/// The date of a timestamp in one of the usual layouts, read without a parser: `YYYY-MM-DD`
/// alone, with ` HH:MM:SS ±HHMM` (Shopify), or with `THH:MM:SS` and `Z` or `±HH:MM` (RFC
/// 3339), every field in range. `None` leaves the value to the parsers, which know every
/// other layout and say what is wrong; this never takes what they refuse (a test compares).
fn usual_timestamp(t: &[u8]) -> Option<Date> {
    let num = |r: &[u8], max: u8| -> Option<u8> {
        match r {
            [a @ b'0'..=b'9', b @ b'0'..=b'9'] => Some((a - b'0') * 10 + (b - b'0')),
            _ => None,
        }
        .filter(|&v| v <= max)
    };
    let (head, rest) = t.split_at_checked(10)?;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *head else {
        return None;
    };
    let year = i16::from(num(&[y0, y1], 99)?) * 100 + i16::from(num(&[y2, y3], 99)?);
    // Far from the ends of the range a timestamp with an offset can reach.
    if !(1000..=9000).contains(&year) {
        return None;
    }
    let date = Date::new(year, num(&[m0, m1], 12)? as i8, num(&[d0, d1], 31)? as i8).ok()?;
    let time = |r: &[u8]| -> Option<()> {
        let [h0, h1, b':', mi0, mi1, b':', s0, s1] = *r else {
            return None;
        };
        num(&[h0, h1], 23)?;
        num(&[mi0, mi1], 59)?;
        num(&[s0, s1], 59).map(drop)
    };
    let offset = |sign: u8, h: &[u8], m: &[u8]| -> Option<()> {
        matches!(sign, b'+' | b'-').then_some(())?;
        num(h, 23)?;
        num(m, 59).map(drop)
    };
    match rest {
        [] => {}
        [b' ', r @ ..] => {
            let (clock, zone) = r.split_at_checked(8)?;
            time(clock)?;
            let [b' ', sign, h0, h1, m0, m1] = *zone else {
                return None;
            };
            offset(sign, &[h0, h1], &[m0, m1])?;
        }
        [b'T', r @ ..] => {
            let (clock, zone) = r.split_at_checked(8)?;
            time(clock)?;
            match *zone {
                [b'Z'] => {}
                [sign, h0, h1, b':', m0, m1] => offset(sign, &[h0, h1], &[m0, m1])?,
                _ => return None,
            }
        }
        _ => return None,
    }
    Some(date)
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
    let placed = Placed::new(profile, &cols).expect("the key and quantity columns are there");
    let reader = Reader {
        profile,
        placed: &placed,
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
        let key = trim(rec.get(placed.key).unwrap_or("")).to_string();
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
    placed: &'a Placed,
    cols: &'a Columns,
    order_cols: &'a [usize],
    /// Columns read into the order (see [`mapped_columns`]).
    mapped: &'a [usize],
    opts: &'a Options,
}

impl Reader<'_> {
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
        let placed = self.profile.amounts.iter().zip(&self.placed.amounts);
        for (a, &(at, code_at)) in placed.filter(|(a, _)| a.scope == scope) {
            let Some(v) = cell(rec, at) else {
                continue;
            };
            let code = a
                .code
                .clone()
                .or_else(|| cell(rec, code_at).map(str::to_string));
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
        let at = self.placed;
        let mut findings = Vec::new();
        let col_finding = |findings: &mut Vec<Finding>, col: &str, msg: String| {
            findings.push(Finding::error(Code::InvalidRow, msg).at_row(offset, row, Some(col)));
        };
        let order_date = cell(rec, at.order_date).and_then(|v| match timestamp_date(v) {
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
            .zip(&at.parties)
            .filter_map(|(pc, at)| {
                let get = |c: Option<usize>| cell(rec, c).map(str::to_string);
                let name = match (cell(rec, at.name), cell(rec, at.company)) {
                    (Some(n), Some(c)) => Some(format!("{n}, {c}")),
                    (n, c) => n.or(c).map(str::to_string),
                };
                let address = Address {
                    lines: at.address.iter().filter_map(|&c| get(Some(c))).collect(),
                    city: get(at.city),
                    region: get(at.region),
                    // Spreadsheet exports guard leading zeros with an apostrophe ('05998).
                    postal_code: cell(rec, at.postal_code)
                        .map(|z| z.trim_start_matches('\'').to_string()),
                    country: get(at.country),
                };
                let (phone, email) = (get(at.phone), get(at.email));
                let contact = (phone.is_some() || email.is_some()).then_some(Contact {
                    name: None,
                    phone,
                    email,
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
            currency: cell(rec, at.currency).map(str::to_string),
            parties,
            lines: Vec::new(),
            references: Vec::new(),
            dates: Vec::new(),
            terms: None,
            allowances_charges: Vec::new(),
            taxes: Vec::new(),
            totals: Totals::default(),
            notes: cell(rec, at.note).map(str::to_string).into_iter().collect(),
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
        if let Some(total) = cell(rec, at.total) {
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
            .map(|&c| trim(rec.get(c).unwrap_or("")).to_string())
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
        // The usual row has no control character in any cell: one pass over all of its text.
        if !rec.as_slice().bytes().any(super::is_control) {
            return;
        }
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
            let v = trim(rec.get(c).unwrap_or(""));
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
        if let Some(req) = self.placed.line_required
            && cell(rec, req).is_none()
        {
            return;
        }
        let mut bad = |col: &str, msg: String| {
            g.findings
                .push(Finding::error(Code::InvalidRow, msg).at_row(offset, row, Some(col)));
        };
        let qty_col = &p.line.quantity;
        let quantity = match cell(rec, Some(self.placed.quantity)).map(amount) {
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
        if let Some(v) = cell(rec, self.placed.unit_price) {
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
            line_number: cell(rec, self.placed.line_id)
                .map_or_else(|| (g.order.lines.len() + 1).to_string(), str::to_string),
            quantity,
            unit: None,
            unit_price,
            price_basis: None,
            item_ids: ItemIds {
                sku: cell(rec, self.placed.sku).map(str::to_string),
                ..ItemIds::default()
            },
            description: cell(rec, self.placed.description).map(str::to_string),
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
mod tests;
