//! Canonical documents → X12 856 and 810 bodies.
//!
//! Phase: model → segments between ST and SE, the exact inverse of `map::x12::ship_notice` and
//! `map::x12::invoice`. Every value is formatted for its element (`R` as the shortest plain
//! decimal with no exponent and the leading zero suppressed, `Nn` as implied decimals, dates
//! CCYYMMDD, times HHMM or HHMMSS) and checked against the built-in grammar of
//! [`Profile::version`] (`004010` or `005010`): its length, its code list, that the version has
//! the element at all, the segment's mandatory elements and syntax notes, and how many times
//! the set's structure allows a segment or loop. What cannot be written is an [`Error`] naming
//! the model field; nothing is truncated, rounded or dropped.
//!
//! ```
//! use tallyman::map::outbound::{Profile, x12};
//! use tallyman::model::{ItemIds, Purpose, ShipLine, ShipNotice, Source, Totals};
//! let sn = ShipNotice {
//!     shipment_id: "SH1".into(),
//!     ship_date: Some(jiff::civil::date(2024, 3, 1)),
//!     ship_time: Some(jiff::civil::time(9, 30, 0, 0)),
//!     purpose: Purpose::Original,
//!     order_refs: vec![], carrier: None, tracking_numbers: vec![], bill_of_lading: None,
//!     parties: vec![], references: vec![], dates: vec![], packages: vec![],
//!     lines: vec![ShipLine {
//!         line_number: "1".into(), order_number: None, quantity: 12.into(),
//!         unit: Some("EA".into()), quantity_ordered: None,
//!         item_ids: ItemIds { sku: Some("AB-1".into()), ..Default::default() },
//!         description: None, package: None,
//!     }],
//!     totals: Totals::default(), source: Source::default(),
//! };
//! let body = x12::ship_notice(&sn, &Profile::default()).unwrap();
//! let tags: Vec<&str> = body.segments.iter().map(|s| s.tag.as_str()).collect();
//! assert_eq!(tags, ["BSN", "HL", "DTM", "HL", "LIN", "SN1", "CTT"]);
//! ```
//!
//! # The 856
//! BSN (purpose, shipment id, ship date, ship time, BSN05 `0001` for S-O-P-I or `0004` for
//! S-O-I); then the HL tree, each HL with its parent (HL02) and whether it has children (HL04):
//! - shipment: TD1 (TD102, the number of outermost packages: the model has no packaging code or
//!   weight), TD5 (TD502 `2` and the SCAC, mode, carrier name, TD512 service level), REF BM
//!   (bill of lading), REF CN (tracking numbers), other REFs, DTMs, N1 loops;
//! - one order level (PRF) per `order_refs` entry, in that order; a line goes under the order
//!   its `order_number` names (which must be among `order_refs`); lines and packages of no
//!   order hang under the shipment, after the orders;
//! - with [`Hierarchy::ShipmentOrderPackItem`], the packages under their order: `T` (tare) for a
//!   package with packages in it or of level `tare`, else `P`, each with MAN GM (SSCC), MAN CP
//!   (tracking number) and its other marks; a package holding lines of two orders is refused,
//!   because an HL has one parent. [`Hierarchy::ShipmentOrderItem`] refuses a notice with
//!   packages (it has nowhere to put them);
//! - items: LIN (line number, item ids), SN1 (shipped, unit, ordered with the same unit), PID F
//!   (the description, split at single spaces over several PID when longer than PID05);
//!
//! and CTT: CTT01 the document's stated line count, or the number of lines when it states none;
//! CTT02 its stated hash total, or the sum of the shipped quantities when it states none (left
//! out when that sum does not fit CTT02: the standard's "drop the high digits" would read back
//! as a wrong total).
//!
//! # The 810
//! BIG (invoice date, number, order date, order number, BIG07 type, BIG08 purpose, left out for
//! an original), NTE (notes), CUR (CUR01 `SE`, the currency), REF, N1 loops, ITD (terms type,
//! discount percent and days, net days, description), DTM; per line IT1 (line number, quantity,
//! unit, unit price, item ids), TXI (line taxes), PID, SAC (line allowances and charges); TDS
//! (the total with its two implied decimals: a total with more decimals is refused), TXI, SAC,
//! CTT (as for the 856, with the invoiced quantities). SAC06 is
//! [`Profile::sac_percent_qualifier`] when an allowance has a percentage. ISS is left out: its
//! shipped units, weight and volume are not in the invoice model.
//!
//! # What the round trip gives back
//! Reading a written body back (through the real translator) gives the document it was written
//! from, `source` aside, when the document is in this canonical form:
//! - `ship_date` is the date of the first DTM 011 in `dates`; when `dates` has none, the writer
//!   puts one first (`011`, ship date, ship time), so the read-back `dates` starts with it;
//! - `role` is what the reader derives from `role_code` (an empty `role_code` is written as the
//!   role's usual code, `BY`, `SE`, `ST`, `BT`, `SF` or `RE`); a carrier with no value at all is
//!   no carrier;
//! - packages and lines come back in HL order (orders as in `order_refs`; under each, its
//!   outermost packages, a package's lines before the packages in it, then its unpacked lines);
//!   a package's `lines` are sorted ("2" before "10"), a line's `package` is the SSCC of the
//!   package listing it, and a package with packages in it is a `tare`;
//! - `totals.line_count` and `totals.hash_total` are filled as CTT is written (above);
//!   an invoice's `totals.amount` equals its `total_amount` (TDS01 gives both).
//!
//! Refused, because the 856 or 810 (or our reader) cannot carry them: purpose `other` (it keeps
//! no code); more than one id per party (N1 has one pair); address lines beyond four and names
//! beyond N102 plus two N2; references of qualifier BM or CN in a ship notice's `references`
//! (they read back as bill of lading and tracking numbers); an item id in `other` whose
//! qualifier names a kind the line has none of; MAN GM or CP marks without an SSCC or tracking
//! number; an allowance's quantity (SAC10 needs a unit the model does not keep); a time with a
//! fraction of a second; text with leading or trailing spaces, control characters, or empty
//! (readers trim it away); an 856 monetary total. Values the reader takes but these writers
//! never produce (an 810 line's dates and references, a party's REF) are not in the model.

mod common;
mod invoice;
mod ship_notice;
mod write;

use super::{Body, Error, Profile};
use crate::model::{Invoice, ShipNotice};

#[cfg(doc)]
use super::Hierarchy;

/// An 856 body (BSN to CTT) for `sn`, as `p` wants it.
pub fn ship_notice(sn: &ShipNotice, p: &Profile) -> Result<Body, Error> {
    ship_notice::write(sn, p)
}

/// An 810 body (BIG to CTT) for `inv`, as `p` wants it.
pub fn invoice(inv: &Invoice, p: &Profile) -> Result<Body, Error> {
    invoice::write(inv, p)
}
