//! Generated inputs for benchmarks: valid X12 850 interchanges and EDIFACT ORDERS interchanges
//! of any size.
//!
//! The content varies from order to order (numbers, quantities, prices, item ids, party names),
//! so nothing downstream can take shortcuts on repeated bytes; it is deterministic for a seed.
//!
//! ```
//! let mut out = Vec::new();
//! let stats = tallyman::synthetic::x12_850s(&mut out, 20_000, 7).unwrap();
//! assert!(out.len() >= 20_000);
//! assert!(stats.orders > 5);
//! ```
//!
//! Files generated separately and processed in one `tallyman run` must not share interchange
//! control numbers or document numbers (the run would take them for repeated interchanges,
//! duplicates and conflicts): give each its own [`Numbering`].
//!
//! ```
//! use tallyman::synthetic::{Numbering, x12_850s_numbered};
//! let (mut a, mut b) = (Vec::new(), Vec::new());
//! let first = Numbering { batch: 5, ..Numbering::default() };
//! let sa = x12_850s_numbered(&mut a, 20_000, 7, first).unwrap();
//! let sb = x12_850s_numbered(&mut b, 20_000, 8, first.after(&sa)).unwrap();
//! let text = String::from_utf8(b).unwrap();
//! // The second file goes on where the first stopped.
//! let icn = format!("*{:09}*0*P*", sa.interchanges + 1);
//! assert!(text.starts_with("ISA*") && text.contains(&icn));
//! assert!(text.contains(&format!("BEG*00*SA*PO{:010}*", sa.orders + 1)));
//! ```

use std::io::{self, Write};

/// What a generator wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub bytes: u64,
    pub interchanges: u64,
    pub orders: u64,
    pub lines: u64,
}

/// Where a generator starts numbering interchanges and orders, and how many orders it writes
/// between two looks at the target size. [`Numbering::default`] is what the plain generators
/// ([`x12_850s`], [`edifact_orders`], [`shopify_csv`]) use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbering {
    /// The first interchange control number: X12 ISA13 and GS06 (ISA13 is taken modulo
    /// 10^9, it has 9 digits), EDIFACT UNB 0020 (up to 14 digits). Shopify exports have none.
    pub first_interchange: u64,
    /// The first order number: X12 BEG03 and EDIFACT BGM 1004 `PO` + 10 digits (more when it
    /// grows past them), EDIFACT UNH 0062, Shopify `Name` `#` + (1000 + number).
    pub first_order: u64,
    /// Orders written between two looks at the target size, and orders per X12 interchange:
    /// the smaller, the closer a file ends to its target. 0 means the generator's own (100
    /// for X12 and EDIFACT, 200 for Shopify).
    pub batch: u64,
}

impl Default for Numbering {
    fn default() -> Self {
        Numbering {
            first_interchange: 1,
            first_order: 1,
            batch: 0,
        }
    }
}

impl Numbering {
    /// The numbering of a file that follows one generated with `self` and wrote `st`.
    pub fn after(self, st: &Stats) -> Numbering {
        Numbering {
            first_interchange: self.first_interchange + st.interchanges,
            first_order: self.first_order + st.orders,
            batch: self.batch,
        }
    }

    fn batch_or(self, default: u64) -> u64 {
        if self.batch == 0 { default } else { self.batch }
    }
}

/// A small deterministic PRNG (xorshift64*), so benchmarks need no extra crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const CITIES: [(&str, &str, &str); 6] = [
    ("SPRINGFIELD", "IL", "62701"),
    ("RIVERTON", "WY", "82501"),
    ("FAIRVIEW", "TN", "37062"),
    ("MADISON", "WI", "53703"),
    ("GREENVILLE", "SC", "29601"),
    ("CLINTON", "IA", "52732"),
];

/// GS1 check digit of a number string without it (a GTIN, an SSCC).
pub fn check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

/// Writes X12 004010 850 interchanges (100 orders per interchange, 1 to 30 lines each) until at
/// least `target` bytes are written.
pub fn x12_850s<W: Write>(w: W, target: u64, seed: u64) -> io::Result<Stats> {
    x12_850s_numbered(w, target, seed, Numbering::default())
}

/// [`x12_850s`] numbered from `num`, with `num.batch` orders per interchange.
pub fn x12_850s_numbered<W: Write>(
    mut w: W,
    target: u64,
    seed: u64,
    num: Numbering,
) -> io::Result<Stats> {
    let mut rng = Rng(seed.max(1));
    let mut st = Stats::default();
    let mut buf = String::with_capacity(64 * 1024);
    let per = num.batch_or(100);
    while st.bytes < target {
        let icn = (num.first_interchange + st.interchanges) % 1_000_000_000;
        st.interchanges += 1;
        buf.clear();
        buf.push_str(&format!(
            "ISA*00*          *00*          *ZZ*BUYERCO        *ZZ*NORTHWIND      *240315*0930*U*00401*{icn:09}*0*P*>~\n"
        ));
        buf.push_str(&format!(
            "GS*PO*BUYERCO*NORTHWIND*20240315*0930*{icn}*X*004010~\n"
        ));
        for k in 0..per {
            let number = num.first_order + st.orders;
            st.orders += 1;
            let mut segs: Vec<String> = Vec::with_capacity(64);
            let control = format!("{:04}", k + 1);
            segs.push(format!("ST*850*{control}"));
            segs.push(format!(
                "BEG*00*SA*PO{number:010}**202403{:02}",
                1 + rng.below(28)
            ));
            segs.push("CUR*BY*USD".into());
            segs.push(format!("REF*DP*{:03}", rng.below(999)));
            segs.push("PER*BD*PAT BUYER*TE*5555550100".into());
            segs.push("ITD*01*3*2**10**30".into());
            segs.push(format!("DTM*002*202404{:02}", 1 + rng.below(28)));
            let (city, state, zip) = CITIES[rng.below(CITIES.len() as u64) as usize];
            segs.push(format!(
                "N1*ST*STORE {}*92*{:05}",
                rng.below(9999),
                rng.below(99999)
            ));
            segs.push(format!("N3*{} MAIN STREET", 1 + rng.below(9000)));
            segs.push(format!("N4*{city}*{state}*{zip}*US"));
            segs.push("N1*BT*BUYERCO ACCOUNTS PAYABLE*92*0001".into());
            let lines = 1 + rng.below(30);
            let mut hash = 0u64;
            for l in 1..=lines {
                st.lines += 1;
                let qty = 1 + rng.below(500);
                hash += qty;
                let cents = 100 + rng.below(99_900);
                let upc_body = format!("0614141{:04}", rng.below(10_000));
                let upc = format!("{upc_body}{}", check_digit(&upc_body));
                segs.push(format!(
                    "PO1*{l}*{qty}*EA*{}.{:02}**UP*{upc}*VN*NW-{:06}*BP*B{:07}",
                    cents / 100,
                    cents % 100,
                    rng.below(1_000_000),
                    rng.below(10_000_000)
                ));
                segs.push(format!(
                    "PID*F****WIDGET MODEL {} SIZE {}",
                    rng.below(900),
                    rng.below(20)
                ));
            }
            segs.push(format!("CTT*{lines}*{hash}"));
            let count = segs.len() + 1;
            segs.push(format!("SE*{count}*{control}"));
            for s in &segs {
                buf.push_str(s);
                buf.push_str("~\n");
            }
        }
        buf.push_str(&format!("GE*{per}*{icn}~\nIEA*1*{icn:09}~\n"));
        w.write_all(buf.as_bytes())?;
        st.bytes += buf.len() as u64;
    }
    Ok(st)
}

/// Writes one EDIFACT D96A ORDERS interchange holding orders of 1 to 30 lines, until at least
/// `target` bytes are written. Item descriptions carry release characters (`?+`, `?'`, `?:`),
/// so the tokenizer's escape path is measured too.
pub fn edifact_orders<W: Write>(w: W, target: u64, seed: u64) -> io::Result<Stats> {
    edifact_orders_numbered(w, target, seed, Numbering::default())
}

/// [`edifact_orders`] numbered from `num` (one interchange, control number
/// `num.first_interchange`).
pub fn edifact_orders_numbered<W: Write>(
    mut w: W,
    target: u64,
    seed: u64,
    num: Numbering,
) -> io::Result<Stats> {
    let mut rng = Rng(seed.max(1));
    let mut st = Stats {
        interchanges: 1,
        ..Stats::default()
    };
    let icn = num.first_interchange;
    let head =
        format!("UNA:+.? 'UNB+UNOC:3+0614141100422:14+0614141200016:14+240315:0930+{icn}'\n");
    w.write_all(head.as_bytes())?;
    st.bytes += head.len() as u64;
    let mut buf = String::with_capacity(64 * 1024);
    let per = num.batch_or(100);
    while st.bytes < target {
        buf.clear();
        for _ in 0..per {
            let reference = num.first_order + st.orders;
            st.orders += 1;
            let mut segs: Vec<String> = Vec::with_capacity(64);
            segs.push(format!("UNH+{reference}+ORDERS:D:96A:UN:EAN008"));
            segs.push(format!("BGM+220+PO{reference:010}+9"));
            segs.push(format!("DTM+137:202403{:02}:102", 1 + rng.below(28)));
            segs.push(format!("DTM+2:202404{:02}:102", 1 + rng.below(28)));
            segs.push(format!("RFF+CT:NW-{:06}", rng.below(1_000_000)));
            segs.push("NAD+BY+0614141100422::9".into());
            let (city, _, zip) = CITIES[rng.below(CITIES.len() as u64) as usize];
            segs.push(format!(
                "NAD+DP+0614141{:05}::9++STORE {}+{} MAIN STREET+{city}++{zip}+US",
                rng.below(99_999),
                rng.below(9999),
                1 + rng.below(9000)
            ));
            segs.push("NAD+SU+0614141200016::9".into());
            segs.push("CUX+2:USD:9".into());
            let lines = 1 + rng.below(30);
            let mut qty_total = 0;
            for l in 1..=lines {
                st.lines += 1;
                let qty = 1 + rng.below(500);
                qty_total += qty;
                let body = format!("061414{:06}", rng.below(1_000_000));
                let gtin = format!("{body}{}", check_digit(&body));
                let cents = 100 + rng.below(99_900);
                segs.push(format!("LIN+{l}++{gtin}:SRV"));
                segs.push(format!("PIA+1+NW-{:06}:SA", rng.below(1_000_000)));
                segs.push(format!(
                    "IMD+F++:::WIDGET ?+ BOLT {}?: SIZE {} ?'STD?'",
                    rng.below(900),
                    rng.below(20)
                ));
                segs.push(format!("QTY+21:{qty}:PCE"));
                segs.push(format!("PRI+AAA:{}.{:02}", cents / 100, cents % 100));
            }
            segs.push("UNS+S".into());
            segs.push(format!("CNT+2:{lines}"));
            segs.push(format!("CNT+1:{qty_total}"));
            let count = segs.len() + 1;
            segs.push(format!("UNT+{count}+{reference}"));
            for s in &segs {
                buf.push_str(s);
                buf.push_str("'\n");
            }
        }
        w.write_all(buf.as_bytes())?;
        st.bytes += buf.len() as u64;
    }
    let tail = format!("UNZ+{}+{icn}'\n", st.orders);
    w.write_all(tail.as_bytes())?;
    st.bytes += tail.len() as u64;
    Ok(st)
}

/// The Shopify "Export orders" header used by [`shopify_csv`].
const SHOPIFY_HEADER: &str = "Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name,Billing Address1,Billing City,Billing Zip,Billing Province,Billing Country,Shipping Name,Shipping Address1,Shipping City,Shipping Zip,Shipping Province,Shipping Country,Notes,Tax 1 Name,Tax 1 Value";

/// Writes a Shopify-style orders export (one row per line item, order fields on the first row
/// only, quoted notes with commas) until at least `target` bytes are written.
pub fn shopify_csv<W: Write>(w: W, target: u64, seed: u64) -> io::Result<Stats> {
    shopify_csv_numbered(w, target, seed, Numbering::default())
}

/// [`shopify_csv`] numbered from `num.first_order` (`num.first_interchange` is not used).
pub fn shopify_csv_numbered<W: Write>(
    mut w: W,
    target: u64,
    seed: u64,
    num: Numbering,
) -> io::Result<Stats> {
    let mut rng = Rng(seed.max(1));
    let mut st = Stats {
        interchanges: 1,
        ..Stats::default()
    };
    let head = format!("{SHOPIFY_HEADER}\n");
    w.write_all(head.as_bytes())?;
    st.bytes += head.len() as u64;
    let mut buf = String::with_capacity(64 * 1024);
    let per = num.batch_or(200);
    while st.bytes < target {
        buf.clear();
        for _ in 0..per {
            let number = num.first_order + st.orders;
            st.orders += 1;
            let lines = 1 + rng.below(5);
            let (city, state, zip) = CITIES[rng.below(CITIES.len() as u64) as usize];
            let items: Vec<(u64, u64)> = (0..lines)
                .map(|_| (1 + rng.below(4), 100 + rng.below(9_900)))
                .collect();
            let subtotal: u64 = items.iter().map(|(q, p)| q * p).sum();
            let shipping = 500 + rng.below(1000);
            let tax = subtotal * 6 / 100;
            let total = subtotal + shipping + tax;
            let money = |c: u64| format!("{}.{:02}", c / 100, c % 100);
            for (k, (q, p)) in items.iter().enumerate() {
                st.lines += 1;
                let name = format!("#{}", 1000 + number);
                let sku = format!("SKU-{:06}", rng.below(1_000_000));
                if k == 0 {
                    buf.push_str(&format!(
                        "{name},buyer{}@example.com,paid,USD,{},{},{},{},,0.00,2024-03-{:02} 09:15:42 -0500,{q},Widget {},{},{sku},Pat Buyer {},{} Main St,{city},{zip},{state},US,Pat Buyer {},{} Main St,{city},{zip},{state},US,\"Leave at door, ring twice\",State Tax 6%,{}\n",
                        number,
                        money(subtotal),
                        money(shipping),
                        money(tax),
                        money(total),
                        1 + rng.below(28),
                        rng.below(900),
                        money(*p),
                        number % 997,
                        1 + rng.below(9000),
                        number % 997,
                        1 + rng.below(9000),
                        money(tax),
                    ));
                } else {
                    buf.push_str(&format!(
                        "{name},buyer{}@example.com,,,,,,,,,,{q},Widget {},{},{sku},,,,,,,,,,,,,,,\n",
                        number,
                        rng.below(900),
                        money(*p),
                    ));
                }
            }
        }
        w.write_all(buf.as_bytes())?;
        st.bytes += buf.len() as u64;
    }
    Ok(st)
}
