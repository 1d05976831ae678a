//! The canonical model: the contract between every input format and every output.
//!
//! Phase: none of its own. An X12 850, an EDIFACT ORDERS and a Shopify CSV row group all become an
//! [`Order`]; ship notices and invoices likewise, and a partner's 997, 999, TA1 or CONTRL an
//! [`ack::Acknowledgment`]. Money and quantities are [`Decimal`](rust_decimal::Decimal)s
//! (never floats, serialized as strings so no JSON reader rounds them), dates are calendar
//! dates. The only field that tells where a document came from is [`Source`]; the content hash
//! the run dedupes by covers the rest.
//!
//! ```
//! use tallyman::model::{Document, Purpose};
//! let json = r#"{"type":"order","order_number":"PO1","purpose":"original","lines":[],
//!   "source":{"standard":"x12","set":"850"}}"#;
//! let doc: Document = serde_json::from_str(json).unwrap();
//! assert_eq!(doc.number(), "PO1");
//! # let _ = Purpose::Original;
//! ```

pub mod ack;
internal! {
    mod hash;
}
pub mod json;
pub mod outcome;
mod ser;
mod types;

pub use types::*;
