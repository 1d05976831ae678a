//! The X12 outbound writers against their readers: what `map::outbound::x12` writes, wrapped in
//! an envelope and translated by the real translator, is accepted without a single finding and
//! reads back as the document it was written from (in the canonical form the module documents).

use jiff::civil::{Date, Time, date, time};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::io::Cursor;
use std::str::FromStr;
use tallyman::grammar::GrammarSet;
use tallyman::map::outbound::{Body, Error, Hierarchy, Profile, x12};
use tallyman::map::{Options, Status};
use tallyman::model::*;
use tallyman::syntax::x12::{Delimiters, write_segment};
use tallyman::translate::{Checks, translate_with};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

/// A test-only envelope (ISA/GS/ST ... SE/GE/IEA) around one body, until the shared envelope
/// builder lands.
fn envelope(body: &Body, version: &str) -> Vec<u8> {
    let dl = Delimiters::default();
    let (isa11, isa12) = match version {
        "004010" => ("U", "00401"),
        _ => ("^", "00501"),
    };
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240301*1200*{isa11}*{isa12}*000000905*0*P*>~\n\
         GS*{}*SENDER*RECEIVER*20240301*1200*905*X*{version}~\nST*{}*0001~\n",
        body.functional_id, body.set_id
    )
    .into_bytes();
    for s in &body.segments {
        write_segment(&mut out, s, &dl).expect("writable with the default delimiters");
        out.push(b'\n');
    }
    out.extend(
        format!(
            "SE*{}*0001~\nGE*1*905~\nIEA*1*000000905~\n",
            body.segments.len() + 2
        )
        .bytes(),
    );
    out
}

/// The segments as text, one a line.
fn text(body: &Body) -> String {
    let mut out = Vec::new();
    for s in &body.segments {
        write_segment(&mut out, s, &Delimiters::default()).expect("writable");
        out.push(b'\n');
    }
    String::from_utf8(out).expect("ASCII")
}

fn grammars() -> &'static GrammarSet {
    static SET: std::sync::OnceLock<GrammarSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| tallyman::pipeline::settings::load_grammars(None).expect("grammars"))
}

/// Translates the enveloped body; asserts it is accepted with no finding at all (envelope,
/// grammar, mapping and, with `rules`, business rules) and gives the document, `source` cleared.
fn read_back(body: &Body, version: &str, rules: bool) -> Document {
    let bytes = envelope(body, version);
    let profiles = tallyman::pipeline::settings::load_profiles(None).expect("profiles");
    let mut docs = Vec::new();
    let checks = Checks {
        business_rules: rules,
        document_findings: true,
        receipts: false,
    };
    let report = translate_with(
        Cursor::new(&bytes),
        grammars(),
        &profiles,
        &Options::default(),
        checks,
        |o| {
            assert_eq!(o.status, Status::Accepted, "{:#?}", o.findings);
            assert!(o.findings.is_empty(), "{:#?}", o.findings);
            docs.push(o.document.take());
            Ok(())
        },
    )
    .expect("translates");
    assert!(
        report.findings.is_empty(),
        "{:#?}\n{}",
        report.findings,
        String::from_utf8_lossy(&bytes)
    );
    assert_eq!(docs.len(), 1);
    let mut doc = docs.pop().flatten().expect("a document");
    *doc.source_mut() = Source::default();
    doc
}

fn ids(sku: &str, gtin: Option<&str>) -> ItemIds {
    ItemIds {
        sku: Some(sku.into()),
        gtin: gtin.map(Into::into),
        ..Default::default()
    }
}

fn party(code: &str, role: Role, name: &str) -> Party {
    Party {
        role,
        role_code: code.into(),
        name: Some(name.into()),
        ids: vec![PartyId {
            qualifier: "92".into(),
            id: format!("{code}01"),
        }],
        address: Address {
            lines: vec!["1 Harbour Road".into()],
            city: Some("Portland".into()),
            region: Some("OR".into()),
            postal_code: Some("97201".into()),
            country: Some("US".into()),
        },
        contacts: vec![Contact {
            name: Some("Dock Office".into()),
            phone: Some("5035550100".into()),
            email: None,
        }],
    }
}

fn ship_line(n: &str, po: &str, qty: &str, sku: &str, pkg: Option<&str>) -> ShipLine {
    ShipLine {
        line_number: n.into(),
        order_number: Some(po.into()),
        quantity: d(qty),
        unit: Some("EA".into()),
        quantity_ordered: Some(d(qty)),
        item_ids: ids(sku, None),
        description: Some(format!("Widget {sku}")),
        package: pkg.map(Into::into),
    }
}

const PALLET: &str = "000123450000000010";
const CARTON_A: &str = "000123450000000027";
const CARTON_B: &str = "000123450000000034";

/// Two orders; order PO-1 on a pallet of two cartons (lines 1 and 2 in the first, 3 in the
/// second); order PO-2's line 4 shipped loose.
fn notice() -> ShipNotice {
    let pkg = |sscc: &str, level: &str, parent: Option<&str>, lines: &[&str]| Package {
        sscc: Some(sscc.into()),
        marks: Vec::new(),
        level: level.into(),
        parent: parent.map(Into::into),
        tracking_number: None,
        lines: lines.iter().map(|l| l.to_string()).collect(),
    };
    ShipNotice {
        shipment_id: "SH-2024-0301".into(),
        ship_date: Some(date(2024, 3, 1)),
        ship_time: Some(time(14, 30, 0, 0)),
        purpose: Purpose::Original,
        order_refs: vec!["PO-1".into(), "PO-2".into()],
        carrier: Some(Carrier {
            scac: Some("ABFS".into()),
            name: Some("ABF Freight".into()),
            mode: Some("M".into()),
            service_level: Some("ND".into()),
        }),
        tracking_numbers: vec!["1Z999AA10123456784".into()],
        bill_of_lading: Some("BOL-7781".into()),
        parties: vec![
            party("ST", Role::ShipTo, "Northwind Store 12"),
            party("SF", Role::ShipFrom, "Contoso Warehouse"),
        ],
        references: vec![Reference {
            qualifier: "IA".into(),
            value: "V-100".into(),
            description: None,
        }],
        dates: vec![DatedEvent {
            qualifier: "011".into(),
            date: date(2024, 3, 1),
            time: Some(time(14, 30, 0, 0)),
        }],
        packages: vec![
            pkg(PALLET, "tare", None, &[]),
            pkg(CARTON_A, "pack", Some(PALLET), &["1", "2"]),
            pkg(CARTON_B, "pack", Some(PALLET), &["3"]),
        ],
        lines: vec![
            ship_line("1", "PO-1", "12", "AB-1", Some(CARTON_A)),
            ship_line("2", "PO-1", "6", "AB-2", Some(CARTON_A)),
            ship_line("3", "PO-1", "24", "AB-3", Some(CARTON_B)),
            ship_line("4", "PO-2", "1.5", "CD-9", None),
        ],
        totals: Totals {
            line_count: Some(4),
            hash_total: Some(d("43.5")),
            amount: None,
        },
        source: Source::default(),
    }
}

fn invoice() -> Invoice {
    let line = |n: &str, qty: &str, price: &str, sku: &str| InvoiceLine {
        line_number: n.into(),
        quantity: d(qty),
        unit: Some("EA".into()),
        unit_price: Some(d(price)),
        item_ids: ids(sku, Some("00012345600012")),
        description: Some(format!("Widget {sku}")),
        allowances_charges: Vec::new(),
        taxes: Vec::new(),
    };
    Invoice {
        invoice_number: "INV-88".into(),
        invoice_date: Some(date(2024, 3, 2)),
        purpose: Purpose::Original,
        invoice_type: Some("DI".into()),
        order_number: Some("PO-1".into()),
        order_date: Some(date(2024, 2, 20)),
        currency: Some("USD".into()),
        parties: vec![
            party("BT", Role::BillTo, "Northwind Accounts"),
            party("RE", Role::RemitTo, "Contoso Receivables"),
        ],
        references: vec![Reference {
            qualifier: "IA".into(),
            value: "V-100".into(),
            description: None,
        }],
        dates: vec![DatedEvent {
            qualifier: "011".into(),
            date: date(2024, 3, 1),
            time: None,
        }],
        terms: Some(Terms {
            code: Some("05".into()),
            discount_percent: Some(d("2")),
            discount_days: Some(10),
            net_days: Some(30),
            description: Some("2% 10 Net 30".into()),
        }),
        lines: vec![
            line("1", "12", "2.5", "AB-1"),
            line("2", "6", "10.25", "AB-2"),
        ],
        allowances_charges: vec![AllowanceCharge {
            kind: AllowanceOrCharge::Charge,
            code: Some("D240".into()),
            amount: Some(d("15")),
            percent: None,
            rate: None,
            quantity: None,
            description: Some("Freight".into()),
        }],
        taxes: vec![Tax {
            code: "ST".into(),
            amount: Some(d("7.35")),
            percent: Some(d("6.5")),
        }],
        total_amount: Some(d("113.85")),
        totals: Totals {
            line_count: Some(2),
            hash_total: Some(d("18")),
            amount: Some(d("113.85")),
        },
        notes: vec!["Thank you".into()],
        source: Source::default(),
    }
}

fn v4010() -> Profile {
    Profile::default()
}

fn v5010() -> Profile {
    Profile {
        version: "005010".into(),
        ..Profile::default()
    }
}

#[test]
fn fixture_ship_notice_004010() {
    let body = x12::ship_notice(&notice(), &v4010()).expect("writes");
    assert_eq!((body.set_id, body.functional_id), ("856", "SH"));
    assert_eq!(text(&body), SHIP_NOTICE_004010);
}

#[test]
fn fixture_invoice_004010() {
    let body = x12::invoice(&invoice(), &v4010()).expect("writes");
    assert_eq!((body.set_id, body.functional_id), ("810", "IN"));
    assert_eq!(text(&body), INVOICE_004010);
}

/// Checked by eye against grammars/x12/004010/856.toml and the dictionary: TD512 is the 12th
/// element, HL02 points at the pallet for both cartons, the loose line 4 hangs under PO-2.
const SHIP_NOTICE_004010: &str = "\
BSN*00*SH-2024-0301*20240301*1430*0001~
HL*1**S*1~
TD1**1~
TD5**2*ABFS*M*ABF Freight*******ND~
REF*BM*BOL-7781~
REF*CN*1Z999AA10123456784~
REF*IA*V-100~
DTM*011*20240301*1430~
N1*ST*Northwind Store 12*92*ST01~
N3*1 Harbour Road~
N4*Portland*OR*97201*US~
PER*IC*Dock Office*TE*5035550100~
N1*SF*Contoso Warehouse*92*SF01~
N3*1 Harbour Road~
N4*Portland*OR*97201*US~
PER*IC*Dock Office*TE*5035550100~
HL*2*1*O*1~
PRF*PO-1~
HL*3*2*T*1~
MAN*GM*000123450000000010~
HL*4*3*P*1~
MAN*GM*000123450000000027~
HL*5*4*I*0~
LIN*1*SK*AB-1~
SN1**12*EA**12*EA~
PID*F****Widget AB-1~
HL*6*4*I*0~
LIN*2*SK*AB-2~
SN1**6*EA**6*EA~
PID*F****Widget AB-2~
HL*7*3*P*1~
MAN*GM*000123450000000034~
HL*8*7*I*0~
LIN*3*SK*AB-3~
SN1**24*EA**24*EA~
PID*F****Widget AB-3~
HL*9*1*O*1~
PRF*PO-2~
HL*10*9*I*0~
LIN*4*SK*CD-9~
SN1**1.5*EA**1.5*EA~
PID*F****Widget CD-9~
CTT*4*43.5~
";

/// BIG07 is the 7th element, ITD12 the description, TDS01 113.85 with two implied decimals,
/// SAC05 15.00 likewise and SAC15 the description.
const INVOICE_004010: &str = "\
BIG*20240302*INV-88*20240220*PO-1***DI~
NTE**Thank you~
CUR*SE*USD~
REF*IA*V-100~
N1*BT*Northwind Accounts*92*BT01~
N3*1 Harbour Road~
N4*Portland*OR*97201*US~
PER*IC*Dock Office*TE*5035550100~
N1*RE*Contoso Receivables*92*RE01~
N3*1 Harbour Road~
N4*Portland*OR*97201*US~
PER*IC*Dock Office*TE*5035550100~
ITD*05**2**10**30*****2% 10 Net 30~
DTM*011*20240301~
IT1*1*12*EA*2.5**UK*00012345600012*SK*AB-1~
PID*F****Widget AB-1~
IT1*2*6*EA*10.25**UK*00012345600012*SK*AB-2~
PID*F****Widget AB-2~
TDS*11385~
TXI*ST*7.35*6.5~
SAC*C*D240***1500**********Freight~
CTT*2*18~
";

#[test]
fn fixtures_read_back_with_business_rules_in_both_versions() {
    for p in [v4010(), v5010()] {
        let sn = notice();
        let back = read_back(&x12::ship_notice(&sn, &p).unwrap(), &p.version, true);
        assert_eq!(back, Document::ShipNotice(sn), "{}", p.version);
        let inv = invoice();
        let back = read_back(&x12::invoice(&inv, &p).unwrap(), &p.version, true);
        assert_eq!(back, Document::Invoice(inv), "{}", p.version);
    }
}

#[test]
fn a_missing_shipment_id_is_missing() {
    let sn = ShipNotice {
        shipment_id: String::new(),
        ..notice()
    };
    let e = x12::ship_notice(&sn, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Missing { field, .. } if field == "shipment_id"),
        "{e}"
    );
}

#[test]
fn a_total_with_three_decimals_is_refused() {
    let inv = Invoice {
        total_amount: Some(d("113.855")),
        totals: Totals::default(),
        ..invoice()
    };
    let e = x12::invoice(&inv, &v4010()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "total_amount '113.855' cannot be written: TDS01 (Amount): has more decimal places than the 2 the element implies"
    );
}

#[test]
fn an_over_long_value_is_refused_never_cut() {
    let sn = ShipNotice {
        shipment_id: "S".repeat(31),
        ..notice()
    };
    let e = x12::ship_notice(&sn, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Unrepresentable { field, why, .. }
            if field == "shipment_id" && why.contains("31 characters where 2..30")),
        "{e}"
    );
    // REF02 holds 30 characters in 004010 and 50 in 005010.
    let mut sn = notice();
    sn.references[0].value = "R".repeat(40);
    let e = x12::ship_notice(&sn, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Unrepresentable { field, .. } if field == "references[0].value"),
        "{e}"
    );
    let back = read_back(&x12::ship_notice(&sn, &v5010()).unwrap(), "005010", true);
    assert_eq!(back, Document::ShipNotice(sn));
}

#[test]
fn what_the_810_cannot_carry_is_named() {
    let mut inv = invoice();
    inv.lines[1].unit_price = None;
    let e = x12::invoice(&inv, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Missing { field, .. } if field.starts_with("lines[1].unit_price")),
        "{e}"
    );
    let mut inv = invoice();
    inv.invoice_date = None;
    let e = x12::invoice(&inv, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Missing { field, .. } if field == "invoice_date"),
        "{e}"
    );
    let mut inv = invoice();
    inv.terms.as_mut().unwrap().discount_days = None;
    let e = x12::invoice(&inv, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Missing { field, .. } if field.contains("terms.discount_days")),
        "{e}"
    );
    let p = Profile {
        version: "003040".into(),
        ..Profile::default()
    };
    assert!(matches!(
        x12::invoice(&invoice(), &p),
        Err(Error::NotSupported { .. })
    ));
}

#[test]
fn what_the_856_cannot_carry_is_named() {
    // A pallet with cartons of two orders (the second carton's line now of PO-2): an HL has
    // one parent.
    let mut sn = notice();
    sn.lines[2].order_number = Some("PO-2".into());
    let e = x12::ship_notice(&sn, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Unrepresentable { field, .. } if field == "packages[0]"),
        "{e}"
    );
    // Packages in a hierarchy without pack levels.
    let p = Profile {
        hierarchy: Hierarchy::ShipmentOrderItem,
        ..Profile::default()
    };
    let e = x12::ship_notice(&notice(), &p).unwrap_err();
    assert!(
        matches!(&e, Error::Unrepresentable { field, .. } if field == "packages"),
        "{e}"
    );
    // No ship time for the mandatory BSN04.
    let sn = ShipNotice {
        ship_time: None,
        ..notice()
    };
    let e = x12::ship_notice(&sn, &v4010()).unwrap_err();
    assert!(
        matches!(&e, Error::Missing { field, .. } if field == "ship_time"),
        "{e}"
    );
}

#[test]
fn the_canonical_form_is_what_reads_back() {
    // No DTM 011, no totals, a "pack" holding packs, lines listed only by their package
    // field: the reader gives the canonical form the module documents.
    let mut sn = notice();
    sn.dates.clear();
    sn.totals = Totals::default();
    sn.packages[0].level = "pack".into();
    for p in &mut sn.packages {
        p.lines.clear();
    }
    let back = read_back(&x12::ship_notice(&sn, &v4010()).unwrap(), "004010", true);
    assert_eq!(back, Document::ShipNotice(notice()));
}

// Property tests: documents within what X12 carries, generated in the canonical form the
// module documents, are written and read back (grammar and mapping findings none; business
// rules off, since random ids have no check digits) equal.

fn words(max_words: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "[A-Z0-9]{{1,8}}( [A-Za-z0-9.,/-]{{1,8}}){{0,{max_words}}}"
    ))
    .expect("a regex")
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

fn pick(codes: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::sample::select(codes).prop_map(str::to_string)
}

fn a_date() -> impl Strategy<Value = Date> {
    (1990i16..2100, 1i8..13, 1i8..29).prop_map(|(y, m, d)| date(y, m, d))
}

fn a_time() -> impl Strategy<Value = Time> {
    (0i8..24, 0i8..60, prop_oneof![Just(0i8), 0i8..60]).prop_map(|(h, m, s)| time(h, m, s, 0))
}

/// Up to 1000.00, so that the sum of any generated lines fits CTT02.
fn quantity() -> impl Strategy<Value = Decimal> {
    (0i64..100_000, 0u32..3).prop_map(|(m, s)| Decimal::new(m, s))
}

fn money(max: i64, places: u32) -> impl Strategy<Value = Decimal> {
    (0..max, 0..=places).prop_map(|(m, s)| Decimal::new(m, s))
}

fn purpose() -> impl Strategy<Value = Purpose> {
    proptest::sample::select(
        &[
            Purpose::Original,
            Purpose::Replace,
            Purpose::Cancel,
            Purpose::Change,
            Purpose::Duplicate,
            Purpose::Confirmation,
            Purpose::Test,
        ][..],
    )
}

fn item_ids() -> impl Strategy<Value = ItemIds> {
    (
        opt("[0-9]{14}"),
        opt("[0-9]{12}"),
        "[A-Z0-9-]{1,20}",
        opt("[A-Z0-9]{1,20}"),
        proptest::collection::vec("[A-Z0-9]{1,20}", 0..2),
    )
        .prop_map(|(gtin, upc, sku, vendor_part, other)| ItemIds {
            gtin,
            upc,
            sku: Some(sku),
            vendor_part,
            other: other
                .into_iter()
                .map(|value| QualifiedId {
                    qualifier: "MG".into(),
                    value,
                })
                .collect(),
            ..Default::default()
        })
}

fn parties() -> impl Strategy<Value = Vec<Party>> {
    let contact = (
        opt(words(2)),
        opt("[0-9]{10}"),
        opt("[a-z]{1,8}@[a-z]{1,8}\\.com"),
    )
        .prop_map(|(name, phone, email)| Contact { name, phone, email });
    let party = (
        proptest::sample::select(
            &[
                ("BY", Role::Buyer),
                ("SE", Role::Seller),
                ("ST", Role::ShipTo),
                ("BT", Role::BillTo),
                ("SF", Role::ShipFrom),
                ("RE", Role::RemitTo),
                ("MF", Role::Other),
                ("", Role::ShipTo),
            ][..],
        ),
        words(12),
        opt((pick(&["92", "UL", "1"]), "[A-Z0-9]{2,20}")),
        proptest::collection::vec(words(5), 0..5),
        (
            opt("[A-Z]{2,20}"),
            opt("[A-Z]{2}"),
            opt("[0-9]{5}"),
            opt(pick(&["US", "CA"])),
        ),
        proptest::collection::vec(contact, 0..4),
    )
        .prop_map(
            |((code, role), name, id, lines, (city, region, postal_code, country), contacts)| {
                Party {
                    role,
                    // An empty role code is written as the role's usual one.
                    role_code: if code.is_empty() {
                        "ST".into()
                    } else {
                        code.into()
                    },
                    name: Some(name),
                    ids: id
                        .into_iter()
                        .map(|(qualifier, id)| PartyId { qualifier, id })
                        .collect(),
                    address: Address {
                        lines,
                        city,
                        region,
                        postal_code,
                        country,
                    },
                    contacts,
                }
            },
        );
    proptest::collection::vec(party, 0..3)
}

fn references() -> impl Strategy<Value = Vec<Reference>> {
    let r = (pick(&["IA", "DP", "PK"]), "[A-Z0-9]{1,30}", opt(words(3))).prop_map(
        |(qualifier, value, description)| Reference {
            qualifier,
            value,
            description,
        },
    );
    proptest::collection::vec(r, 0..3)
}

fn dates() -> impl Strategy<Value = Vec<DatedEvent>> {
    let e = (pick(&["017", "002", "067"]), a_date(), opt(a_time())).prop_map(
        |(qualifier, date, time)| DatedEvent {
            qualifier,
            date,
            time,
        },
    );
    proptest::collection::vec(e, 0..3)
}

/// What one line carries besides its number, order and package.
#[derive(Debug, Clone)]
struct LineData {
    quantity: Decimal,
    unit: String,
    ordered: Option<Decimal>,
    ids: ItemIds,
    description: Option<String>,
}

fn line_data() -> impl Strategy<Value = LineData> {
    (
        quantity(),
        pick(&["EA", "CA", "PK"]),
        opt(quantity()),
        item_ids(),
        opt(words(15)),
    )
        .prop_map(|(quantity, unit, ordered, ids, description)| LineData {
            quantity,
            unit,
            ordered,
            ids,
            description,
        })
}

/// The packages of one order: each outermost one a pack of n lines, or a tare of packs.
type Shape = (Vec<Vec<usize>>, usize);

fn shape(packs: bool) -> impl Strategy<Value = Shape> {
    let top = proptest::collection::vec(proptest::collection::vec(1usize..3, 1..3), 0..3);
    (
        top.prop_map(move |t| if packs { t } else { Vec::new() }),
        0usize..3,
    )
}

fn ship_notice_in(hierarchy: Hierarchy) -> impl Strategy<Value = ShipNotice> {
    let packs = hierarchy == Hierarchy::ShipmentOrderPackItem;
    let orders = proptest::collection::vec(shape(packs), 0..3);
    (
        ("[A-Z0-9]{2,30}", a_date(), a_time(), purpose()),
        (orders, shape(packs)),
        proptest::collection::vec(line_data(), 60),
        opt((
            opt("[A-Z]{2,4}"),
            opt(pick(&["M", "U", "A"])),
            opt(words(3)),
            opt(pick(&["ND", "SE", "G2"])),
        )),
        (
            proptest::collection::vec("[A-Z0-9]{5,30}", 0..3),
            opt("[A-Z0-9]{1,30}"),
        ),
        (parties(), references(), dates()),
        proptest::collection::vec(opt(("[A-Z0-9]{5,20}", opt("[A-Z0-9]{1,20}"))), 40),
    )
        .prop_map(
            |(
                (shipment_id, ship_date, ship_time, purpose),
                (orders, loose),
                pool,
                carrier,
                (tracking_numbers, bill_of_lading),
                (parties, references, extra_dates),
                extras,
            )| {
                let order_refs: Vec<String> = (0..orders.len()).map(|i| format!("PO{i}")).collect();
                let mut sn = ShipNotice {
                    shipment_id,
                    ship_date: Some(ship_date),
                    ship_time: Some(ship_time),
                    purpose,
                    order_refs: order_refs.clone(),
                    carrier: carrier
                        .map(|(scac, mode, name, service_level)| Carrier {
                            scac,
                            name,
                            mode,
                            service_level,
                        })
                        .filter(|c| *c != Carrier::default()),
                    tracking_numbers,
                    bill_of_lading,
                    parties,
                    references,
                    dates: std::iter::once(DatedEvent {
                        qualifier: "011".into(),
                        date: ship_date,
                        time: Some(ship_time),
                    })
                    .chain(extra_dates)
                    .collect(),
                    packages: Vec::new(),
                    lines: Vec::new(),
                    totals: Totals::default(),
                    source: Source::default(),
                };
                let groups = orders
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| (Some(order_refs[i].clone()), s))
                    .chain([(None, loose)]);
                for (order, (top, loose)) in groups {
                    for packs in top {
                        let tare = packs.len() > 1;
                        let mut parent = None;
                        if tare {
                            parent = Some(add_package(&mut sn, "tare", None, &extras));
                        }
                        for n in packs {
                            let sscc = add_package(&mut sn, "pack", parent.clone(), &extras);
                            for _ in 0..n {
                                add_line(&mut sn, &pool, order.clone(), Some(&sscc));
                            }
                        }
                    }
                    for _ in 0..loose {
                        add_line(&mut sn, &pool, order.clone(), None);
                    }
                }
                if sn.lines.is_empty() {
                    add_line(&mut sn, &pool, None, None);
                }
                sn.totals.line_count = Some(sn.lines.len() as u64);
                sn.totals.hash_total = Some(sn.lines.iter().map(|l| l.quantity).sum());
                sn
            },
        )
}

fn add_package(
    sn: &mut ShipNotice,
    level: &str,
    parent: Option<String>,
    extras: &[Option<(String, Option<String>)>],
) -> String {
    let k = sn.packages.len();
    let sscc = format!("00{:016}", k + 1);
    let (tracking_number, marks) = match extras.get(k).cloned().flatten() {
        None => (None, Vec::new()),
        Some((t, mark)) => (
            Some(t),
            mark.into_iter()
                .map(|value| QualifiedId {
                    qualifier: "L".into(),
                    value,
                })
                .collect(),
        ),
    };
    sn.packages.push(Package {
        sscc: Some(sscc.clone()),
        marks,
        level: level.into(),
        parent,
        tracking_number,
        lines: Vec::new(),
    });
    sscc
}

fn add_line(sn: &mut ShipNotice, pool: &[LineData], order: Option<String>, sscc: Option<&str>) {
    let n = sn.lines.len();
    let data = pool[n % pool.len()].clone();
    let number = (n + 1).to_string();
    if let Some(s) = sscc {
        let p = sn
            .packages
            .iter_mut()
            .find(|p| p.sscc.as_deref() == Some(s))
            .expect("the package was added");
        p.lines.push(number.clone());
    }
    sn.lines.push(ShipLine {
        line_number: number,
        order_number: order,
        quantity: data.quantity,
        unit: Some(data.unit),
        quantity_ordered: data.ordered,
        item_ids: data.ids,
        description: data.description,
        package: sscc.map(Into::into),
    });
}

fn allowance_charge() -> impl Strategy<Value = AllowanceCharge> {
    (
        prop_oneof![
            Just(AllowanceOrCharge::Allowance),
            Just(AllowanceOrCharge::Charge)
        ],
        pick(&["C310", "D240", "A260", "D500"]),
        opt(money(1_000_000, 2)),
        opt(money(10_000, 2)),
        opt(money(1_000_000, 4)),
        opt(words(4)),
    )
        .prop_map(
            |(kind, code, amount, percent, rate, description)| AllowanceCharge {
                kind,
                code: Some(code),
                amount,
                percent,
                rate,
                quantity: None,
                description,
            },
        )
}

fn tax() -> impl Strategy<Value = Tax> {
    (
        pick(&["ST", "LS", "GS"]),
        money(10_000_000, 2),
        opt(money(10_000, 3)),
        any::<bool>(),
    )
        .prop_map(|(code, amount, percent, with_amount)| Tax {
            code,
            // TXI needs an amount or a percent (R020306).
            amount: (with_amount || percent.is_none()).then_some(amount),
            percent,
        })
}

fn invoice_line() -> impl Strategy<Value = InvoiceLine> {
    (
        quantity(),
        pick(&["EA", "CA", "PK"]),
        money(10_000_000, 4),
        item_ids(),
        opt(words(15)),
        proptest::collection::vec(allowance_charge(), 0..3),
        proptest::collection::vec(tax(), 0..3),
    )
        .prop_map(
            |(quantity, unit, price, item_ids, description, allowances_charges, taxes)| {
                InvoiceLine {
                    line_number: String::new(),
                    quantity,
                    unit: Some(unit),
                    unit_price: Some(price),
                    item_ids,
                    description,
                    allowances_charges,
                    taxes,
                }
            },
        )
}

fn an_invoice() -> impl Strategy<Value = Invoice> {
    let terms = (
        opt(pick(&["01", "05", "08"])),
        opt((money(10_000, 2), 0u32..1000)),
        opt(0u32..1000),
        opt(words(4)),
    )
        .prop_map(|(code, discount, net_days, description)| Terms {
            code,
            discount_percent: discount.map(|d| d.0),
            discount_days: discount.map(|d| d.1),
            net_days,
            description,
        });
    (
        (
            "[A-Z0-9-]{1,22}",
            a_date(),
            purpose(),
            opt(pick(&["DI", "CR", "DR"])),
        ),
        (
            opt("[A-Z0-9]{1,22}"),
            opt(a_date()),
            opt(pick(&["USD", "CAD", "EUR"])),
        ),
        (parties(), references(), dates(), opt(terms)),
        proptest::collection::vec(invoice_line(), 0..4),
        proptest::collection::vec(allowance_charge(), 0..3),
        proptest::collection::vec(tax(), 0..3),
        money(1_000_000_000_000, 2),
        proptest::collection::vec(words(6), 0..3),
    )
        .prop_map(
            |(
                (invoice_number, invoice_date, purpose, invoice_type),
                (order_number, order_date, currency),
                (parties, references, dates, terms),
                mut lines,
                allowances_charges,
                taxes,
                total,
                notes,
            )| {
                for (i, l) in lines.iter_mut().enumerate() {
                    l.line_number = (i + 1).to_string();
                }
                Invoice {
                    invoice_number,
                    invoice_date: Some(invoice_date),
                    purpose,
                    invoice_type,
                    order_number,
                    order_date,
                    currency,
                    parties,
                    references,
                    dates,
                    terms,
                    totals: Totals {
                        line_count: Some(lines.len() as u64),
                        hash_total: Some(lines.iter().map(|l| l.quantity).sum()),
                        amount: Some(total),
                    },
                    lines,
                    allowances_charges,
                    taxes,
                    total_amount: Some(total),
                    notes,
                    source: Source::default(),
                }
            },
        )
}

fn profile(version: &str, hierarchy: Hierarchy) -> Profile {
    Profile {
        version: version.into(),
        hierarchy,
        ..Profile::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ship_notices_read_back_004010(sn in ship_notice_in(Hierarchy::ShipmentOrderPackItem)) {
        let p = profile("004010", Hierarchy::ShipmentOrderPackItem);
        let body = x12::ship_notice(&sn, &p).expect("writes");
        prop_assert_eq!(read_back(&body, "004010", false), Document::ShipNotice(sn));
    }

    #[test]
    fn ship_notices_read_back_005010(sn in ship_notice_in(Hierarchy::ShipmentOrderPackItem)) {
        let p = profile("005010", Hierarchy::ShipmentOrderPackItem);
        let body = x12::ship_notice(&sn, &p).expect("writes");
        prop_assert_eq!(read_back(&body, "005010", false), Document::ShipNotice(sn));
    }

    #[test]
    fn ship_notices_without_packs_read_back(sn in ship_notice_in(Hierarchy::ShipmentOrderItem)) {
        for v in ["004010", "005010"] {
            let body = x12::ship_notice(&sn, &profile(v, Hierarchy::ShipmentOrderItem)).expect("writes");
            prop_assert_eq!(read_back(&body, v, false), Document::ShipNotice(sn.clone()));
        }
    }

    #[test]
    fn invoices_read_back_004010(inv in an_invoice()) {
        let body = x12::invoice(&inv, &profile("004010", Hierarchy::default())).expect("writes");
        prop_assert_eq!(read_back(&body, "004010", false), Document::Invoice(inv));
    }

    #[test]
    fn invoices_read_back_005010(inv in an_invoice()) {
        let body = x12::invoice(&inv, &profile("005010", Hierarchy::default())).expect("writes");
        prop_assert_eq!(read_back(&body, "005010", false), Document::Invoice(inv));
    }
}
