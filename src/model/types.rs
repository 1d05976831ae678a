//! Canonical document types.

use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One canonical document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Document {
    Order(Order),
    ShipNotice(ShipNotice),
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

    pub fn source(&self) -> &Source {
        match self {
            Document::Order(o) => &o.source,
            Document::ShipNotice(s) => &s.source,
            Document::Invoice(i) => &i.source,
            Document::Acknowledgment(a) => &a.source,
        }
    }

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
    #[default]
    Original,
    Replace,
    Cancel,
    Change,
    Duplicate,
    Confirmation,
    Test,
    Other,
}

/// Role of a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Buyer,
    Seller,
    ShipTo,
    BillTo,
    ShipFrom,
    RemitTo,
    Other,
}

/// An identifier with the qualifier that says what kind it is (`92` assigned by buyer, `UL`
/// GLN, `1` DUNS...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyId {
    pub qualifier: String,
    pub id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub role: Role,
    /// The wire code of the role (`BY`, `ST`, N101 / NAD 3035), kept for roles we group as other.
    pub role_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<PartyId>,
    #[serde(default, skip_serializing_if = "Address::is_empty")]
    pub address: Address,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
}

/// Item identifiers by kind; anything else goes to `other` with its qualifier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemIds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ean: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isbn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_part: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_part: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<QualifiedId>,
}

impl ItemIds {
    pub fn is_empty(&self) -> bool {
        self == &ItemIds::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifiedId {
    pub qualifier: String,
    pub value: String,
}

/// A reference (REF/RFF) or a dated event (DTM), with its wire qualifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub qualifier: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatedEvent {
    pub qualifier: String,
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<Time>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllowanceOrCharge {
    Allowance,
    Charge,
}

/// An allowance or charge (SAC, ALC/MOA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowanceCharge {
    pub kind: AllowanceOrCharge,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tax {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<Decimal>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_days: Option<u32>,
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
    pub fn is_empty(&self) -> bool {
        self == &Totals::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub line_number: String,
    pub quantity: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_basis: Option<String>,
    #[serde(default, skip_serializing_if = "ItemIds::is_empty")]
    pub item_ids: ItemIds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<Date>,
    pub purpose: Purpose,
    /// The wire code of the order type (BEG02 `SA` stand-alone, `DS` drop ship...; BGM 1001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    pub lines: Vec<OrderLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<Terms>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
    #[serde(default, skip_serializing_if = "Totals::is_empty")]
    pub totals: Totals,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// Standard carrier alpha code (TD503 with qualifier 2) or other carrier id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scac: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Transportation method code (TD504: `M` motor, `U` parcel...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipLine {
    pub line_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    pub quantity: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_ordered: Option<Decimal>,
    #[serde(default, skip_serializing_if = "ItemIds::is_empty")]
    pub item_ids: ItemIds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// SSCC-18 of the package holding this line, when packed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// SSCC-18 (MAN*GM / GIN+BJ), or the marks and numbers when no SSCC was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<QualifiedId>,
    /// `pack`, `tare` (pallet) and so on, from the hierarchy level.
    pub level: String,
    /// SSCC of the tare (pallet) holding this pack, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// Line numbers (of `lines`) packed in it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipNotice {
    pub shipment_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_time: Option<Time>,
    pub purpose: Purpose,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_refs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<Carrier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracking_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_of_lading: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Package>,
    pub lines: Vec<ShipLine>,
    #[serde(default, skip_serializing_if = "Totals::is_empty")]
    pub totals: Totals,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub line_number: String,
    pub quantity: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    #[serde(default, skip_serializing_if = "ItemIds::is_empty")]
    pub item_ids: ItemIds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub invoice_number: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_date: Option<Date>,
    pub purpose: Purpose,
    /// Invoice type code (BIG07 `CR` credit memo, `DI` debit invoice...; BGM 1001 380/381).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_date: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parties: Vec<Party>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dates: Vec<DatedEvent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<Terms>,
    pub lines: Vec<InvoiceLine>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowances_charges: Vec<AllowanceCharge>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taxes: Vec<Tax>,
    /// The invoice total as sent (810 TDS01 with its implied decimals; MOA 77/86).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Totals::is_empty")]
    pub totals: Totals,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub source: Source,
}

/// An identifier with its qualifier (ISA05/ISA06, UNB 0007/0004).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub qualifier: String,
    pub id: String,
}

/// Where a document came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<Identity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_control: Option<String>,
    /// The partner or marketplace channel id, when run under a configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// True when the interchange was marked as test data (ISA15 `T`, UNB 0035 `1`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
}
