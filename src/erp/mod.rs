//! The ERP side: column tables declared once, and the import files written with them.
//!
//! Phase: output. [`columns`] names every column an ERP file can carry per document kind and
//! reads its value from a canonical document; [`import`] writes the flat CSV import files with them.
//! [`export`] reads the ERP's shipment and invoice exports back into documents with the same tables.

pub mod columns;
pub mod export;
pub mod import;

pub use columns::{check_columns, default_columns, known_columns};
