//! The ERP side: column tables declared once, and the import files written with them.
//!
//! Phase: output. [`columns`] names every column an ERP file can carry per document kind and
//! reads its value from a canonical document; [`import`] writes the flat CSV import files with them.
//! The outbound issue reads ERP exports through the same tables.

pub mod columns;
pub mod import;

pub use columns::{check_columns, default_columns, known_columns};
