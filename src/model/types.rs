//! Canonical document types.

use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One canonical document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Document {
    /// A purchase order (850, ORDERS, a marketplace feed's order); JSON `"type": "order"`.
    Order(Order),
    /// An advance ship notice (856, DESADV); JSON `"type": "ship_notice"`.
    ShipNotice(ShipNotice),
    /// An invoice (810, INVOIC); JSON `"type": "invoice"`.
    Invoice(Invoice),
    /// A partner's 997, 999, TA1 or CONTRL (see [`super::ack`]).
    Acknowledgment(super::ack::Acknowledgment),
}

impl Document {
    /// The document number of its identity (order, shipment or invoice number; for an
    /// acknowledgment, what it acknowledges: `GS:IN:1201`, `ISA:000000123`, `UNB:5301`).
    pub fn number(&self) -> &str {
        match self {
            Document::Order(o) => &o.order_number,
            Document::ShipNotice(s) => &s.shipment_id,
            Document::Invoice(i) => &i.invoice_number,
            Document::Acknowledgment(a) => &a.number,
        }
    }

    /// `order`, `ship_notice`, `invoice` or `acknowledgment`.
    pub fn kind(&self) -> &'static str {
        match self {
            Document::Order(_) => "order",
            Document::ShipNotice(_) => "ship_notice",
            Document::Invoice(_) => "invoice",
            Document::Acknowledgment(_) => "acknowledgment",
        }
    }

    /// What it does to an earlier document with the same number.
    pub fn purpose(&self) -> Purpose {
        match self {
            Document::Order(o) => o.purpose,
            Document::ShipNotice(s) => s.purpose,
            Document::Invoice(i) => i.purpose,
            Document::Acknowledgment(a) => a.purpose,
        }
    }

    /// Where it came from.
    pub fn source(&self) -> &Source {
        match self {
            Document::Order(o) => &o.source,
            Document::ShipNotice(s) => &s.source,
            Document::Invoice(i) => &i.source,
            Document::Acknowledgment(a) => &a.source,
        }
    }

    /// Where it came from, to change (the content hash leaves the source out).
    pub fn source_mut(&mut self) -> &mut Source {
        match self {
            Document::Order(o) => &mut o.source,
            Document::ShipNotice(s) => &mut s.source,
            Document::Invoice(i) => &mut i.source,
            Document::Acknowledgment(a) => &mut a.source,
        }
    }

    /// Number of lines (an acknowledgment has none).
    pub fn line_count(&self) -> usize {
        match self {
            Document::Order(o) => o.lines.len(),
            Document::ShipNotice(s) => s.lines.len(),
            Document::Invoice(i) => i.lines.len(),
            Document::Acknowledgment(_) => 0,
        }
    }
}

/// What a document does to an earlier one with the same number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A new document (X12 `00`, EDIFACT `9`, or no code); a feed's orders are always original.
    #[default]
    Original,
    /// Replaces the earlier one whole (X12 `05`, EDIFACT `5`).
    Replace,
    /// Cancels the earlier one (X12 `01`, EDIFACT `1` or `3`).
    Cancel,
    /// Changes the earlier one (X12 `04`, EDIFACT `4`).
    Change,
    /// A copy of one already sent (X12 `07`, EDIFACT `7`, `31` or `43`).
    Duplicate,
    /// Confirms the earlier one (X12 `06`, EDIFACT `6` or `29`).
    Confirmation,
    /// Test data (X12 `18` or `T`; EDIFACT has no such function code).
    Test,
    /// Any other code; the code itself is not kept.
    Other,
}

impl Purpose {
    /// The purpose as its JSON value (`original`, `replace`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Original => "original",
            Purpose::Replace => "replace",
            Purpose::Cancel => "cancel",
            Purpose::Change => "change",
            Purpose::Duplicate => "duplicate",
            Purpose::Confirmation => "confirmation",
            Purpose::Test => "test",
            Purpose::Other => "other",
        }
    }
}

/// Role of a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Who orders (N101 `BY`, `OB`...; NAD `BY`).
    Buyer,
    /// The supplier or vendor (N101 `SE`, `SU`, `VN`...; NAD `SU`, `SE`, `II`).
    Seller,
    /// Where the goods go (N101 `ST`, `DA`, `SN`; NAD `DP`, `ST`, `CN`, `UD`).
    ShipTo,
    /// Who is billed (N101 `BT`, `BS`, `PR`; NAD `IV`, `BT`, `OB`).
    BillTo,
    /// Where the goods leave from (N101 `SF`, `SH`, `WH`; NAD `SF`, `CZ`, `SH`).
    ShipFrom,
    /// Who is paid (N101 `RE`, `RI`, `PE`; NAD `PE`, `RE`).
    RemitTo,
    /// Any other role; its code is in [`Party::role_code`].
    Other,
}

impl Role {
    /// The role as its JSON value (`buyer`, `ship_to`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Seller => "seller",
            Role::ShipTo => "ship_to",
            Role::BillTo => "bill_to",
            Role::ShipFrom => "ship_from",
            Role::RemitTo => "remit_to",
            Role::Other => "other",
        }
    }
}

/// An identifier with the qualifier that says what kind it is (`92` assigned by buyer, `UL`
/// GLN, `1` DUNS...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyId {
    /// N103, or NAD C082 3055 (the code list agency: `9` GS1, `92` assigned by buyer); for an id
    /// from an RFF after the NAD, its qualifier (`VA` VAT number...).
    pub qualifier: String,
    /// The identifier as sent (N104, NAD C082 3039, RFF C506 1154).
    pub id: String,
}

/// A postal address as sent; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street lines (N301, N302; NAD C059; a feed's address columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    /// City (N401, NAD 3164).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province, as sent (N402, NAD 3229).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code (N403, NAD 3251); a CSV feed's leading apostrophe (`'05998`) is taken off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country code as sent (N404, NAD 3207; in a feed, whatever its country column holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    /// True when no part is given (the JSON then leaves the address out).
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

/// A contact person or channel (PER; CTA and COM after a NAD; a feed's phone and email).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Name of the person or department (PER02, CTA C056 3412); feeds give none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone number as sent (PER qualifier `TE`, COM `TE`); the first one wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Email address (PER qualifier `EM`, COM `EM`); the first one wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A party named in a document: buyer, ship-to and so on (N1 loop, NAD group, a feed profile's
/// party columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// The role, read from `role_code`.
    pub role: Role,
    /// The wire code of the role (`BY`, `ST`, N101 / NAD 3035), kept for roles we group as other.
    pub role_code: String,
    /// Name (N102 then N201/N202; NAD C080, else C058); a feed's name, then `, ` and its company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Identifiers: N103/N104, NAD C082 and the RFFs after the NAD; feeds give none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<PartyId>,
    /// Postal address (N3/N4, NAD); empty when none was sent.
    #[serde(default, skip_serializing_if = "Address::is_empty")]
    pub address: Address,
    /// Contacts (PER; CTA/COM; a feed's phone and email), in the order sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
}

/// Item identifiers by kind; anything else goes to `other` with its qualifier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemIds {
    /// GTIN (X12 qualifiers `UK`, `EO`, `UD`, `UN`; EDIFACT 7143 `SRV`, `EN`, `EU`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    /// UPC (X12 `UP`, `UA`; EDIFACT `UP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    /// EAN (X12 `EN`, `EA`); an EDIFACT `EN` is filed as `gtin`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ean: Option<String>,
    /// ISBN (X12 `IB`, `IS`; EDIFACT `IB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isbn: Option<String>,
    /// The buyer's item number (X12 `BP`, `IN`, `PI`; EDIFACT `IN`, `BP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_part: Option<String>,
    /// The vendor's item number (X12 `VP`, `VN`, `VA`, `VC`; EDIFACT `SA`, `VN`, `VP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_part: Option<String>,
    /// SKU (X12 and EDIFACT `SK`; a feed's SKU column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Ids of any other kind, and further ids of a kind already filled, with their qualifier (a
    /// feed profile's extra ids, such as Amazon's `ASIN`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<QualifiedId>,
}

impl ItemIds {
    /// True when the item has no identifier (the JSON then leaves `item_ids` out).
    pub fn is_empty(&self) -> bool {
        self == &ItemIds::default()
    }
}

/// A value with the wire qualifier that says what it is (an item id, a package mark).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifiedId {
    /// The qualifier as sent, except that an EDIFACT 7143 code the model knows is given as its X12
    /// equivalent (`SA` as `VN`); MAN01 for a package mark; a feed profile's name (`ASIN`).
    pub qualifier: String,
    /// The value as sent.
    pub value: String,
}

/// A reference (REF/RFF) or a dated event (DTM), with its wire qualifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// REF01 or N901, RFF C506 1153 (`ON` order number, `BM` bill of lading...); `release` for
    /// BEG04.
    pub qualifier: String,
    /// REF02 or N902 (REF03 or N903 when that is empty), RFF C506 1154.
    pub value: String,
    /// REF03 or N903 beside a value; EDIFACT has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A date the document states, with the qualifier that says what it is the date of (DTM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedEvent {
    /// DTM01 (`002` delivery requested, `011` shipped...), DTM C507 2005 (`137` document date...).
    pub qualifier: String,
    /// The calendar date (DTM02 CCYYMMDD or YYMMDD; C507 2380 in the format 2379 names).
    pub date: Date,
    /// Time of day (DTM03; C507 2380 in a format with a time, such as `203`); `None` when not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
}

/// Whether an amount is taken off or added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowanceOrCharge {
    /// Taken off the price: a discount (SAC01 `A`, ALC 5463 `A`).
    Allowance,
    /// Added to the price: freight, handling (SAC01 `C`, ALC 5463 `C`).
    Charge,
}

impl AllowanceOrCharge {
    /// The kind as its JSON value: `allowance` or `charge`.
    pub fn as_str(self) -> &'static str {
        match self {
            AllowanceOrCharge::Allowance => "allowance",
            AllowanceOrCharge::Charge => "charge",
        }
    }
}

/// An allowance or charge (SAC, ALC/MOA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    /// Allowance or charge.
    pub kind: AllowanceOrCharge,
    /// What it is for, as sent (SAC02, ALC C214 7161); in a feed, the profile's code or a column's
    /// value (`shipping`, a discount code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The money amount (SAC05 with its implied decimals; the first MOA after the ALC but MOA 25;
    /// a feed's amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    /// Percentage, as a number of percent (SAC07; PCD after the ALC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
    /// Rate per unit (SAC08); EDIFACT has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Decimal>,
    /// Quantity it applies to (SAC10); EDIFACT has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    /// Free-form description (SAC15, ALC C214 7160).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A tax (TXI; TAX with its MOA; a feed's tax column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tax {
    /// Tax type as sent (TXI01 `ST` sales tax...; TAX C241 5153 `VAT`); in a feed, the profile's
    /// code or the tax name column.
    pub code: String,
    /// Tax amount (TXI02; MOA 124, 150 or 176 after the TAX; a feed's amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    /// Tax rate in percent (TXI03, TAX C243 5278).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
}

/// Payment terms (ITD; EDIFACT messages leave them out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// Terms type code (ITD01, such as `01` basic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Discount for early payment, in percent (ITD03).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<Decimal>,
    /// Days within which the discount applies (ITD05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_days: Option<u32>,
    /// Days until the full amount is due (ITD07).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_days: Option<u32>,
    /// Free-form description of the terms (ITD12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Totals as the document states them (checked against the lines by business rules later).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// CTT01 / CNT: number of line items the sender counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_count: Option<u64>,
    /// CTT02: hash total of quantities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_total: Option<Decimal>,
    /// Total amount (AMT*TT / MOA 86 / TDS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
}

impl Totals {
    /// True when no total is stated (the JSON then leaves `totals` out).
    pub fn is_empty(&self) -> bool {
        self == &Totals::default()
    }
}

/// One ordered item (PO1 loop, LIN group, a feed's line row or element).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// Line number as sent (PO101, LIN 1082, a feed's line id); else its position, from 1.
    pub line_number: String,
    /// Quantity ordered (PO102, QTY 21 else 1, a feed's quantity).
    pub quantity: Decimal,
    /// Unit of measure code as sent (PO103 `EA`, `CA`...; QTY 6411 `PCE`); CSV feeds give none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Price of one unit (PO104; PRI `AAA`, `AAB`, `INV` or `CAL` divided by its price basis;
    /// a feed's line price, divided by the quantity when the profile gives the line's amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// What kind of price `unit_price` is, as a code: PO105 (`PE` price per each...), or the PRI
    /// qualifier it came from (`AAA` net, `AAB` gross); `None` in feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_basis: Option<String>,
    /// The item's identifiers (PO106 onwards in pairs; LIN and PIA; a feed's SKU).
    #[serde(default, skip_serializing_if = "ItemIds::is_empty")]
    pub item_ids: ItemIds,
    /// Free-form description (PID05, IMD C273 7008, a feed's product name); parts joined by spaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Dates of this line (DTM in the PO1 loop or LIN group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    /// Allowances and charges of this line (SAC, ALC, a feed's line amounts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    /// Taxes of this line (TXI, TAX, a feed's line tax amounts).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
}

/// A purchase order (850, ORDERS, a marketplace order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The purchase order number (BEG03, BGM 1004, a feed's order key such as Shopify `Name`).
    pub order_number: String,
    /// Order date (BEG05, DTM 137, the date part of a feed's order timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<Date>,
    /// New, change, cancel... (BEG01, BGM 1225); always original in a feed.
    pub purpose: Purpose,
    /// The wire code of the order type (BEG02 `SA` stand-alone, `DS` drop ship...; BGM 1001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    /// Currency code as sent, ISO 4217 as a rule (CUR02, the first CUX's C504 6345, a feed's
    /// currency); `None` when not stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Header parties (N1 loops, NAD groups, a feed profile's parties).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    /// The lines, in the order sent.
    pub lines: Vec<OrderLine>,
    /// Header references (REF, N9, BEG04 as `release`; RFF).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Header dates (DTM), except an EDIFACT DTM 137 (that is `order_date`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    /// Payment terms (ITD); `None` for EDIFACT and feeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<Terms>,
    /// Header allowances and charges (SAC, ALC; a feed's order amounts such as shipping).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    /// Header taxes (TXI, TAX, a feed's order tax columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
    /// Totals as stated (CTT, AMT*TT; CNT, MOA 86/128/79 after UNS; a feed's total, and its number
    /// of lines).
    #[serde(default, skip_serializing_if = "Totals::is_empty")]
    pub totals: Totals,
    /// Free-form notes (MSG01, NTE02; FTX 4440; a feed's note column).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the order came from.
    pub source: Source,
}

/// The carrier of a shipment (TD5, TDT).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// Standard carrier alpha code (TD503 with qualifier 2) or other carrier id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scac: Option<String>,
    /// Carrier name or routing (TD505, TDT C040 3128).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Transportation method code (TD504: `M` motor, `U` parcel...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Service level code (TD512); EDIFACT has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<String>,
}

/// One shipped item (an 856 item level, a DESADV LIN group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipLine {
    /// Line number as sent (LIN01, LIN 1082); else its position, from 1.
    pub line_number: String,
    /// The order it ships (PRF01 of its order level; its RFF+ON, else the message's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// Units shipped (SN102; QTY 12, else 1).
    pub quantity: Decimal,
    /// Unit of measure code as sent (SN103, QTY 6411).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Units ordered, when the notice says (SN105, QTY 21).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_ordered: Option<Decimal>,
    /// The item's identifiers (LIN02 onwards in pairs; LIN and PIA).
    #[serde(default, skip_serializing_if = "ItemIds::is_empty")]
    pub item_ids: ItemIds,
    /// Free-form description (PID05, IMD C273 7008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// SSCC-18 of the package holding this line, when packed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

/// A pack or a pallet of a shipment (an 856 `P` or `T` level; a DESADV CPS with GIN+BJ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// SSCC-18 (MAN*GM / GIN+BJ), or the marks and numbers when no SSCC was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
    /// Other MAN marks, with MAN01 as qualifier; EDIFACT has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<QualifiedId>,
    /// `pack`, `tare` (pallet) and so on, from the hierarchy level.
    pub level: String,
    /// SSCC of the tare (pallet) holding this pack, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Carrier tracking number of the package (MAN*CP); EDIFACT has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Line numbers (of `lines`) packed in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

/// An advance ship notice (856, DESADV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipNotice {
    /// The shipment identification (BSN02, BGM 1004).
    pub shipment_id: String,
    /// Ship date: DTM*011, else BSN03; DTM 11, else DTM 137.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<Date>,
    /// Ship time: BSN04 (even when `ship_date` is a DTM*011's); DTM 11's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_time: Option<Time>,
    /// New, change, cancel... (BSN01, BGM 1225).
    pub purpose: Purpose,
    /// Order numbers shipped, each once, in the order met (PRF01; RFF+ON).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_refs: Vec<String>,
    /// The carrier (the shipment level's TD5s, else the first TD5; the first TDT); `None` when not
    /// stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<Carrier>,
    /// Carrier tracking numbers (REF*CN at any level, header RFF+CN).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking_numbers: Vec<String>,
    /// Bill of lading number (REF*BM, RFF+BM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_of_lading: Option<String>,
    /// Parties (N1 loops, NAD groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    /// References: REFs other than BM and CN; every header RFF (BM, CN and ON included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Dates (DTM at any level; header DTM), including the one `ship_date` was taken from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    /// Packs and pallets, in the order sent (in EDIFACT, only the CPS levels with an SSCC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    /// The items shipped.
    pub lines: Vec<ShipLine>,
    /// Totals as stated (CTT; CNT).
    #[serde(default, skip_serializing_if = "Totals::is_empty")]
    pub totals: Totals,
    /// Where the notice came from.
    pub source: Source,
}

/// One invoiced item (IT1 loop, LIN group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// Line number as sent (IT101, LIN 1082); else its position, from 1.
    pub line_number: String,
    /// Quantity invoiced (IT102; QTY 47, else 46, 12 or 1).
    pub quantity: Decimal,
    /// Unit of measure code as sent (IT103, QTY 6411).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Price of one unit (IT104; PRI `AAA`, `AAB`, `INV` or `CAL` divided by its price basis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// The item's identifiers (IT106 onwards in pairs; LIN and PIA).
    #[serde(default, skip_serializing_if = "ItemIds::is_empty")]
    pub item_ids: ItemIds,
    /// Free-form description (PID05, IMD C273 7008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Allowances and charges of this line (SAC, ALC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    /// Taxes of this line (TXI, TAX).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
}

/// An invoice or credit note (810, INVOIC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// The invoice number (BIG02, BGM 1004).
    pub invoice_number: String,
    /// Invoice date (BIG01; DTM 137, else DTM 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<Date>,
    /// New, change, cancel... (BIG08, BGM 1225).
    pub purpose: Purpose,
    /// Invoice type code (BIG07 `CR` credit memo, `DI` debit invoice...; BGM 1001 380/381).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_type: Option<String>,
    /// The order invoiced (BIG04; the first header RFF+ON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// Its order date (BIG03; DTM 171 or 4 after the RFF+ON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<Date>,
    /// Currency code as sent, ISO 4217 as a rule (CUR02, the first CUX's C504 6345).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Header parties (N1 loops, NAD groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    /// Header references (REF, RFF), the order's RFF+ON included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Header dates (DTM), an EDIFACT invoice date's DTM 137 included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    /// Payment terms (ITD); `None` for EDIFACT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<Terms>,
    /// The lines, in the order sent.
    pub lines: Vec<InvoiceLine>,
    /// Header allowances and charges (SAC, ALC).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    /// Header taxes (TXI, TAX).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
    /// The invoice total as sent (810 TDS01 with its implied decimals; MOA 77/86).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Decimal>,
    /// Totals as stated (CTT, TDS; CNT, MOA 77/86/39/9/79 after UNS); `amount` is `total_amount`.
    #[serde(default, skip_serializing_if = "Totals::is_empty")]
    pub totals: Totals,
    /// Free-form notes (NTE02, FTX 4440).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Where the invoice came from.
    pub source: Source,
}

/// An identifier with its qualifier (ISA05/ISA06, UNB 0007/0004).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    /// What kind of id it is (ISA05/ISA07, UNB 0007); empty when none was sent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub qualifier: String,
    /// The id as sent (ISA06/ISA08, UNB 0004/0010); for a feed, its profile id.
    pub id: String,
}

/// Where a document came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The input file's name as the run was given it; empty when not given.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub file: String,
    /// Byte offset of the transaction set header (ST / UNH) in the file.
    #[serde(default)]
    pub offset: usize,
    /// `x12`, `edifact`, `csv`, `xml`.
    pub standard: String,
    /// The version as sent (GS08 / ST03, UNH 0052+0054).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Transaction set or message type (`850`, `ORDERS`).
    pub set: String,
    /// The interchange sender (ISA05/ISA06, UNB S002); for a feed, its profile id; `None` for an
    /// EDIFACT message without UNB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<Identity>,
    /// The interchange recipient (ISA07/ISA08, UNB S003); `None` for feeds and without UNB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<Identity>,
    /// The interchange control number (ISA13, UNB 0020); `None` for feeds and without UNB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange_control: Option<String>,
    /// The group control number (GS06, UNG 0048); `None` without a functional group (no UNG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_control: Option<String>,
    /// The set or message control number (ST02, UNH 0062); for a feed, the order key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_control: Option<String>,
    /// The partner or marketplace channel id, when run under a configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// True when the interchange was marked as test data (ISA15 `T`, UNB 0035 `1`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}
