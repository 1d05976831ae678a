//! tallyman as a library: translate EDI files and marketplace feeds into canonical documents,
//! and run the batch that `tallyman run` runs.
//!
//! What is public is what a Rust program needs for that, and nothing else:
//!
//! - [`translate()`] (and [`translate_with`]) reads one file of any supported format (X12,
//!   EDIFACT, marketplace CSV/TSV/XML feeds), validates it against the grammars and hands each
//!   transaction set, message or feed document to a callback as an [`Outcome`]: its
//!   [`Status`], its [`Finding`]s, and the canonical [`model::Document`] when it was
//!   translated.
//! - [`model`] is the canonical model: orders, ship notices, invoices and acknowledgments, with
//!   money and quantities as decimals; [`model::json`] writes its canonical JSON.
//! - [`run`] runs one batch from a [`Config`] read by [`Config::load`], exactly as the command
//!   line does, and returns its [`RunReport`].
//!
//! ```
//! use tallyman::{Checks, GrammarSet, Options, Profiles, Status, translate};
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~GS*PO*S*R*20240101*1200*1*X*004010~\
//! ST*850*0001~BEG*00*SA*PO-1**20240101~N1*ST*Store 12*92*0012~PO1*1*2*EA*9.50**VP*SKU-1~\
//! CTT*1~SE*6*0001~GE*1*1~IEA*1*000000001~";
//! let grammars = GrammarSet::builtin().unwrap();
//! let profiles = Profiles::builtin().unwrap();
//! let mut numbers = Vec::new();
//! let report = translate(
//!     std::io::Cursor::new(&edi[..]),
//!     &grammars,
//!     &profiles,
//!     &Options::default(),
//!     |outcome| {
//!         if let (Status::Accepted, Some(doc)) = (outcome.status, &outcome.document) {
//!             numbers.push(doc.number().to_string());
//!         }
//!         Ok(())
//!     },
//! )
//! .unwrap();
//! assert_eq!(numbers, ["PO-1"]);
//! assert!(report.tally.clean());
//! # let _ = Checks { business_rules: true, document_findings: true, receipts: false };
//! ```
//!
//! A batch run, as `tallyman run --config FILE` does it:
//!
//! ```
//! # let dir = tempfile::tempdir().unwrap();
//! # std::fs::create_dir_all(dir.path().join("drop/acme")).unwrap();
//! # std::fs::write(dir.path().join("drop/acme/po.x12"), b"ISA*00*          *00*          *ZZ*ACME           *ZZ*US             *240101*1200*U*00401*000000001*0*P*>~GS*PO*ACME*US*20240101*1200*1*X*004010~ST*850*0001~BEG*00*SA*PO-1**20240101~N1*ST*Store 12*92*0012~PO1*1*2*EA*9.50**VP*SKU-1~CTT*1~SE*6*0001~GE*1*1~IEA*1*000000001~").unwrap();
//! # std::fs::write(dir.path().join("tallyman.toml"), "[paths]\nwork = \"work\"\nerp_inbox = \"erp\"\n[channel.acme]\nformat = \"x12\"\ninbound = \"drop/acme\"\n[run]\nsettle_seconds = 0\n").unwrap();
//! use tallyman::{Config, RunOptions, RunOutcome, run};
//! let config = Config::load(&dir.path().join("tallyman.toml")).unwrap();
//! let RunOutcome::Done(report) = run(&config, &RunOptions::default()).unwrap() else {
//!     panic!("another run holds the work directory");
//! };
//! assert_eq!((report.totals.accepted, report.exit_code()), (1, 0));
//! ```
//!
//! The modules behind these (syntax, envelopes, grammars, mapping, acknowledgments, the ledger,
//! transports, the pipeline) are private to the crate. The crate's own tests, benchmarks and
//! fuzz targets reach them through the `internals` feature, which makes them public but hidden
//! from the documentation; they are not a stable interface, and a program that turns the feature
//! on takes that risk.

#![warn(missing_docs)]

/// Declares implementation modules: crate-private, or public but hidden from the documentation
/// under the `internals` feature (the crate's tests, benchmarks, examples and fuzz targets).
macro_rules! internal {
    ($($(#[$meta:meta])* mod $name:ident;)*) => {$(
        $(#[$meta])*
        #[cfg(feature = "internals")]
        #[doc(hidden)]
        #[allow(missing_docs)]
        pub mod $name;
        $(#[$meta])*
        #[cfg(not(feature = "internals"))]
        pub(crate) mod $name;
    )*};
}

internal! {
    mod ack;
    mod cli;
    mod config;
    mod diag;
    mod envelope;
    mod erp;
    mod feeds;
    mod grammar;
    mod ledger;
    mod map;
    mod pipeline;
    mod rules;
    mod syntax;
    #[cfg(any(test, feature = "internals"))]
    mod synthetic;
    mod transport;
    mod translate;
}

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[allow(missing_docs)]
pub mod fuzzing;
pub mod model;

pub use config::Error as ConfigError;
pub use diag::{Code, Controls, Finding, Level, Severity};
pub use feeds::Profiles;
pub use grammar::{GrammarSet, Strictness};
pub use map::Options;
pub use model::outcome::{DocContext, EnvelopeReason, Outcome, Status};
pub use pipeline::report::{Counts, RunReport};
pub use pipeline::settings::Config;
pub use pipeline::{Error as RunError, Replay, RunOptions, RunOutcome, run};
pub use syntax::limits::Limits;
pub use translate::{Checks, FileReport, Format, Tally, detect, translate, translate_with};

/// The `tallyman` command line: parses the process's arguments, runs the command and returns
/// its exit code. The binary is this one call; it is not part of the library's interface.
#[doc(hidden)]
pub fn cli_main() -> std::process::ExitCode {
    cli::main()
}
