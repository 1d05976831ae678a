//! tallyman: an EDI and file-feed batch translator.
//!
//! The library is layered: [`syntax`] turns bytes into segments, [`envelope`] checks the
//! interchange, group and transaction-set envelopes, [`grammar`] validates transaction sets
//! against declarative grammars, [`map`] turns valid documents into the canonical [`model`].
//! The `tallyman` binary is a thin command line over these.

pub mod ack;
pub mod cli;
pub mod config;
pub mod diag;
pub mod envelope;
pub mod erp;
pub mod feeds;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod grammar;
pub mod ledger;
pub mod map;
pub mod model;
pub mod pipeline;
pub mod rules;
pub mod syntax;
pub mod synthetic;
pub mod translate;
pub mod transport;
