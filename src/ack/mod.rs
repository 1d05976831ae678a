//! Acknowledgments: what we tell partners about what they sent, and what they tell us.
//!
//! Phase: verdicts → acknowledgments. While a file is translated, a [`receipt::Collector`]
//! gathers, per inbound interchange, the judged envelopes and the syntax findings of every set;
//! from a [`receipt::Receipt`] the builders here write a 997 or 999 per functional group and a
//! TA1 per interchange (X12), or a CONTRL per interchange (EDIFACT). An acknowledgment says what
//! the syntax says: business-rule rejections, duplicates and conflicts are not syntax errors,
//! and the ack does not report them (the quarantine report does). Never an ack for an ack.
//!
//! ```
//! use tallyman::ack::{AckKind, receipt::Collector, x12::functional_ack};
//! use tallyman::grammar::GrammarSet;
//! use tallyman::map::{Options, driver::translate_reader};
//! use tallyman::syntax::x12::X12;
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~GS*PO*S*R*20240101*1200*7*X*004010~\
//! ST*850*0001~BEG*00*SA*PO1**2024013X~SE*3*0001~GE*1*7~IEA*1*000000001~";
//! let grammars = GrammarSet::builtin().unwrap();
//! let mut collector = Collector::<X12>::new();
//! let map = translate_reader::<X12, _, _>(&edi[..], &grammars, &Options::default(), 4096, |c, o| {
//!     collector.add(c, &o);
//!     Ok(())
//! })
//! .unwrap();
//! let receipts = collector.finish(&map);
//! let ack = functional_ack(AckKind::Fa997, &receipts[0], &receipts[0].groups[0]).unwrap();
//! let mut text = Vec::new();
//! for s in &ack.segments {
//!     tallyman::syntax::x12::write_segment(&mut text, s, &receipts[0].interchange.delimiters).unwrap();
//! }
//! // BEG05 is not a date (segment 2, element 5), and the mandatory PO1 loop is missing.
//! assert_eq!(
//!     String::from_utf8(text).unwrap(),
//!     "AK1*PO*7~AK2*850*0001~AK3*BEG*2**8~AK4*5**8*2024013X~AK3*PO1*3**3~AK5*R*5~AK9*R*1*1*0~"
//! );
//! assert_eq!(ack.verdict.x12(), "R");
//! ```

pub mod edifact;
pub mod receipt;
pub mod x12;

use serde::{Deserialize, Serialize};

/// Which functional acknowledgment a channel sends (`acks = ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AckKind {
    /// None.
    #[default]
    None,
    /// X12 997 Functional Acknowledgment, per inbound group.
    #[serde(rename = "997")]
    Fa997,
    /// X12 999 Implementation Acknowledgment (005010X231A1), per inbound group.
    #[serde(rename = "999")]
    Ia999,
    /// EDIFACT CONTRL, per inbound interchange.
    Contrl,
}

impl AckKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AckKind::None => "none",
            AckKind::Fa997 => "997",
            AckKind::Ia999 => "999",
            AckKind::Contrl => "contrl",
        }
    }
}

/// When a channel sends a TA1 interchange acknowledgment (`ta1 = ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ta1Policy {
    /// When the interchange asks for one (ISA14 = 1).
    #[default]
    Requested,
    /// When the interchange has an error (or asks for one).
    Errors,
    /// For every interchange.
    Always,
    Never,
}

/// The verdict an acknowledgment gives a set, a group or an interchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A.
    Accepted,
    /// E: accepted, but errors were noted (a lenient channel's grammar errors).
    AcceptedWithErrors,
    /// P: a group some of whose sets were rejected.
    PartiallyAccepted,
    /// R.
    Rejected,
}

impl Verdict {
    /// How the ledger and reports name it (as it serializes).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::AcceptedWithErrors => "accepted_with_errors",
            Verdict::PartiallyAccepted => "partially_accepted",
            Verdict::Rejected => "rejected",
        }
    }

    /// The X12 code (AK501, AK901, IK501, TA104 uses A, E, R).
    pub fn x12(self) -> &'static str {
        match self {
            Verdict::Accepted => "A",
            Verdict::AcceptedWithErrors => "E",
            Verdict::PartiallyAccepted => "P",
            Verdict::Rejected => "R",
        }
    }
}
