//! Canonical documents → EDIFACT DESADV and INVOIC bodies.
//!
//! Phase: outbound mapping, the inverse of [`crate::map::edifact`]. A [`ShipNotice`] becomes
//! the segments of a DESADV, an [`Invoice`] those of an INVOIC, from BGM to the last segment
//! before UNT, in directory D96A or D01B ([`Profile::version`]); the envelope adds UNB, UNH
//! (with [`Profile::association`]), UNT and UNZ, and puts the interchange's separators and
//! decimal mark in. Values are checked against the directory's lengths and refused, never cut;
//! numbers are plain decimals (`1234.50`, no exponent); dates are `102` (CCYYMMDD), `203`
//! (CCYYMMDDHHMM) or `204` (with seconds).
//!
//! ```
//! use tallyman::map::outbound::{Profile, edifact};
//! # fn notice() -> tallyman::model::ShipNotice {
//! #     serde_json::from_value(serde_json::json!({"shipment_id": "DES1", "purpose": "original",
//! #         "lines": [{"line_number": "1", "quantity": "24"}],
//! #         "source": {"standard": "edifact", "set": "DESADV"}})).unwrap()
//! # }
//! let p = Profile { version: "D96A".into(), ..Profile::default() };
//! let body = edifact::desadv(&notice(), &p).unwrap();
//! assert_eq!(body.set_id, "DESADV");
//! assert_eq!(body.segments[0].tag, "BGM");
//! ```
//!
//! # What is written where
//!
//! Both: `BGM+code+number+function` (function `9` original, `1` cancel, `4` change, `5`
//! replace, `6` confirmation, `7` duplicate); a DTM per header date; an RFF per header
//! reference; a NAD per party (`NAD+role+id::qualifier++name+street+city+region+postcode+country`,
//! further ids as RFF, contacts as `CTA+IC+:name` with `COM+number:TE|EM`); LIN with the GTIN
//! (`SRV`, or an EAN as `EN`), PIA+1 with the other ids (`UP` `IB` `IN` `SA` `SK`, then the
//! others' own qualifiers), IMD+F with the description; `CNT+2` (lines) and `CNT+1` (hash total).
//!
//! DESADV: `BGM+351`; DTM 11 the despatch date; RFF+BM bill of lading, RFF+CN tracking
//! numbers, RFF+ON the message's order; `TDT+20++mode+++carrier:::name`; `CPS+1` the shipment
//! with the lines in no package, then per package `CPS+n+parent`, `PAC+1++PX|CT`, `PCI+33E`,
//! `GIN+BJ+sscc` and the lines in it ([`crate::map::outbound::Hierarchy::ShipmentOrderItem`]:
//! `CPS+1` and every line, no packages); per line `QTY+12` dispatched, `QTY+21` ordered,
//! `RFF+ON` its order.
//!
//! INVOIC: `BGM+380` (381 for a credit: the X12 types `CR`/`CN`; 383 for `DI`/`DR`; a UNCL 1001
//! code as it is); DTM 137 the invoice date; FTX+AAI the notes; RFF+ON the order with
//! `DTM+171` its date; `CUX+2:currency:4`; `PAT` the terms; `ALC`/`PCD`/`MOA+204|23`
//! allowances and charges; per line `QTY+47`, `MOA+203` (quantity × price), `PRI+AAA`,
//! `TAX+7`/`MOA+124`, ALC; `UNS+S`, CNT, `MOA+79` (lines), `MOA+125` (taxable), `MOA+124`
//! (tax), `MOA+77` (the total), then `TAX`/`MOA+124` per tax.
//!
//! # What reads back (the canonical form)
//!
//! Reading the message with [`crate::map::edifact`] gives the document written, `source`
//! aside, once these derivations of the reader are applied to it (the round-trip tests
//! compare with this form):
//! - Text is trimmed, and empty text is absent. A party's role is the one its code reads as;
//!   a code the reader takes for another role (an X12 `VN`) is replaced by the role's usual
//!   code (`BY` `SU` `DP` `IV` `SF` `PE`).
//! - Ship notice: `dates` holds the despatch date (DTM 11, first, when it had none);
//!   `ship_date` is DTM 11's date, else DTM 137's, `ship_time` DTM 11's time. `references`
//!   holds `BM` (bill of lading), the `CN`s (tracking numbers) and the message's `ON` after its
//!   own when it lacked them; `bill_of_lading` is the first `BM`, `tracking_numbers` every `CN`.
//!   A line without an order is the message's order's (the first header `ON`); `order_refs`
//!   are that order, then the lines' orders in line order, once each. Lines come in CPS order
//!   (those in no package, then package by package). A package's `level` is `tare` when a
//!   package names it as parent, else `pack`; its `lines` are the lines that name it.
//!   `line_count` is the number of lines. An EAN with no GTIN beside it reads back as the GTIN.
//! - Invoice: `dates` holds the invoice date (DTM 137, first, when it had none);
//!   `invoice_date` is DTM 137's date (else DTM 3's). `references` holds the order number
//!   (`ON`, first) when it lacked it; `order_number` is the first `ON`. `total_amount` and
//!   `totals.amount` are both MOA 77. `invoice_type` is the BGM code written. `line_count` is
//!   the number of lines.
//!
//! What the messages do not carry, as our reader reads them: a reference's `description`; a
//! carrier's `service_level`; a package's `marks` and `tracking_number`; a ship notice's
//! `totals.amount`; an allowance's `rate` and `quantity`; an invoice's `terms` (written as PAT
//! for the partner, but the reader keeps none). Under `ShipmentOrderItem` the packages and the
//! lines' packages are not written: the profile says the partner takes no SSCCs.
//!
//! A document that cannot be written is an [`Error`]: a number or value missing
//! ([`Error::Missing`]: the document number, lines, a package's SSCC, an invoice line's price,
//! the invoice total), a value too long for its element or otherwise not writable, or fields
//! that contradict each other (`ship_date` and a DTM 11 in `dates`) ([`Error::Unrepresentable`]).
//!
//! [`ShipNotice`]: crate::model::ShipNotice
//! [`Invoice`]: crate::model::Invoice
//! [`Profile::version`]: crate::map::outbound::Profile::version
//! [`Profile::association`]: crate::map::outbound::Profile::association
//! [`Error`]: crate::map::outbound::Error
//! [`Error::Missing`]: crate::map::outbound::Error::Missing
//! [`Error::Unrepresentable`]: crate::map::outbound::Error::Unrepresentable

mod desadv;
mod invoic;
mod values;

pub use desadv::desadv;
pub use invoic::invoic;
