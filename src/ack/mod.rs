//! Acknowledgments: what we tell partners about what they sent, and what they tell us.
//!
//! Phase: verdicts → acknowledgments. While a file is translated, a [`receipt::Collector`]
//! gathers, per inbound interchange, the judged envelopes and the syntax findings of every set;
//! from a [`receipt::Receipt`] the builders here write a 997 or 999 per functional group and a
//! TA1 per interchange (X12), or a CONTRL per interchange (EDIFACT). An acknowledgment says what
//! the syntax says: business-rule rejections, duplicates and conflicts are not syntax errors,
//! and the ack does not report them (the quarantine report does). Never an ack for an ack.

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
