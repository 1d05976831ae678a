//! The canonical acknowledgment: what a partner's 997, 999, TA1 or CONTRL says about something
//! we sent.
//!
//! Phase: none of its own; `map::x12::ack` and `map::edifact::contrl` build it, `translate`
//! prints it, and the run records it so that the outbound side can match it to what it sent.
//! Every code is kept twice: as the wire sends it, and in plain words, so that an operator need
//! not look the code up. Counts are whole numbers; there is no money and no float here.
//!
//! Its document number ([`Acknowledgment::number`], the `number` of its dedupe identity) names
//! what it acknowledges: for a 997 or 999 `GS:<AK101>:<AK102>` (our group's functional id and
//! control number), for a TA1 `ISA:<TA101>` (our ISA13), for a CONTRL `UNB:<UCI 0020>` (our UNB
//! control reference). The same ack sent again has the same identity and the same content: a
//! duplicate. A different ack for the same group (a rejection after an acceptance, or a 999
//! after a 997) has the same identity and different content: a conflict, which it is.
//!
//! ```
//! use tallyman::model::{Document, ack::AckVerdict};
//! let json = r#"{"type":"acknowledgment","ack_type":"997","number":"GS:PO:1201","purpose":"original",
//!   "acknowledged":{"group_control":"1201","functional_id":"PO"},
//!   "verdict":"accepted","verdict_code":"A","source":{"standard":"x12","set":"997"}}"#;
//! let doc: Document = serde_json::from_str(json).unwrap();
//! assert_eq!((doc.kind(), doc.number()), ("acknowledgment", "GS:PO:1201"));
//! # let _ = AckVerdict::Accepted;
//! ```

use super::{Identity, Purpose, Source};
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

/// Which acknowledgment it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AckType {
    /// X12 997 Functional Acknowledgment.
    #[serde(rename = "997")]
    Fa997,
    /// X12 999 Implementation Acknowledgment (005010X231).
    #[serde(rename = "999")]
    Ia999,
    /// X12 TA1 Interchange Acknowledgment.
    #[serde(rename = "ta1")]
    Ta1,
    /// EDIFACT CONTRL syntax and service report.
    #[serde(rename = "contrl")]
    Contrl,
}

impl AckType {
    /// The type as its JSON value: `997`, `999`, `ta1` or `contrl`.
    pub fn as_str(self) -> &'static str {
        match self {
            AckType::Fa997 => "997",
            AckType::Ia999 => "999",
            AckType::Ta1 => "ta1",
            AckType::Contrl => "contrl",
        }
    }
}

/// What an acknowledgment says of what it acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AckVerdict {
    /// X12 `A`; CONTRL action 7 with nothing below rejected.
    Accepted,
    /// X12 `E`: accepted, but errors were noted.
    AcceptedWithErrors,
    /// X12 `P` (a group some of whose sets were rejected); CONTRL action 7 with some group or
    /// message below rejected (action 4).
    PartiallyAccepted,
    /// X12 `R` and the rejections for security reasons (`M`, `W`, `X`); CONTRL action 4.
    Rejected,
    /// CONTRL action 8: the interchange was received, nothing is said of its content yet.
    Received,
    /// A code the standard does not define (kept in `verdict_code`).
    Unknown,
}

impl AckVerdict {
    /// The verdict of an X12 acknowledgment code (AK501, AK901, IK501, TA104).
    pub fn from_x12(code: &str) -> AckVerdict {
        match code {
            "A" => AckVerdict::Accepted,
            "E" => AckVerdict::AcceptedWithErrors,
            "P" => AckVerdict::PartiallyAccepted,
            "R" | "M" | "W" | "X" => AckVerdict::Rejected,
            _ => AckVerdict::Unknown,
        }
    }

    /// The verdict of an EDIFACT action code (0083).
    pub fn from_contrl(code: &str) -> AckVerdict {
        match code {
            "7" => AckVerdict::Accepted,
            "4" => AckVerdict::Rejected,
            "8" => AckVerdict::Received,
            _ => AckVerdict::Unknown,
        }
    }
}

/// A code as sent, with what it means in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckCode {
    /// The code as the partner sent it.
    pub code: String,
    /// What the code means, in plain words; for a code its list lacks, a note saying so.
    pub meaning: String,
}

/// What the acknowledgment acknowledges: our interchange, group and version as it quotes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledged {
    /// ISA13 (TA101) or UNB 0020 (UCI 0020).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange_control: Option<String>,
    /// GS06 (AK102); for a CONTRL of one group (a single UCF), its UNG 0048.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_control: Option<String>,
    /// GS01 (AK101: `IN` invoices, `SH` ship notices...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub functional_id: Option<String>,
    /// GS08 (AK103, 005010 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_version: Option<String>,
    /// The interchange's date and time as quoted (TA102, TA103).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange_date: Option<Date>,
    /// The interchange's time as quoted (TA103); only a TA1 quotes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange_time: Option<Time>,
    /// The interchange's sender and recipient as quoted (UCI S002, S003): us, and the partner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<Identity>,
    /// The interchange's recipient as quoted (UCI S003): the partner; `None` for X12.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Identity>,
}

/// The counts of a 997/999 AK9.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckCounts {
    /// AK902: transaction sets the group said it held (its GE01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included: Option<u64>,
    /// AK903: transaction sets the partner received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub received: Option<u64>,
    /// AK904: transaction sets the partner accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<u64>,
}

impl AckCounts {
    /// True when no count was sent (always so for a TA1 or a CONTRL).
    pub fn is_empty(&self) -> bool {
        self == &AckCounts::default()
    }
}

/// An error in one element (AK4, IK4, UCD; TA1 and UCI errors about an envelope element).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementError {
    /// Position of the element in its segment (AK401-1, UCD S011 0098).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    /// Position of the component in a composite (AK401-2, UCD S011 0104).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<u32>,
    /// Which repetition (AK401-3, 005010; UCD S011 0136, syntax 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repetition: Option<u32>,
    /// The data element reference number (AK402: `324` PO number...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// AK403, IK403, UCD 0085.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<AckCode>,
    /// AK404: a copy of the bad value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_value: Option<String>,
    /// 999 CTX segments that give the error's context, as sent (`CTX*...` without the tag).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<String>,
}

/// An error in one segment (AK3, IK3, UCS) and the element errors under it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentError {
    /// AK301, IK301 (EDIFACT's UCS does not name the segment; UCI names a service segment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_id: Option<String>,
    /// Position of the segment in the set, the header being 1 (AK302, IK302, UCS 0096).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// The loop it is in (AK303, IK303).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_id: Option<String>,
    /// AK304, IK304, UCS 0085.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<AckCode>,
    /// 999 CTX segments after the IK3 (business unit, situational trigger), as sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<String>,
    /// The errors in elements of this segment (AK4, IK4, UCD; for a UCI or UCF, its S011 element).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ElementError>,
}

/// What the acknowledgment says of one transaction set or message (AK2..AK5, IK5, UCM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAck {
    /// AK201 (`810`), UCM S009 0065 (`INVOIC`).
    pub set_id: String,
    /// AK202 (ST02), UCM 0062 (UNH 0062).
    pub control: String,
    /// AK203 (ST03, 005010) or the UCM's message version (`D:96A:UN:EAN008`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The group it was in, when a CONTRL answers it inside a UCF.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_control: Option<String>,
    /// The verdict on this set or message, from `verdict_code`.
    pub verdict: AckVerdict,
    /// AK501, IK501, UCM 0083.
    pub verdict_code: String,
    /// AK502..AK506, IK502..IK506, UCM 0085.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<AckCode>,
    /// The segments in error in it (AK3, IK3, UCS), each with its element errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<SegmentError>,
}

/// What a CONTRL says of one functional group (UCF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAck {
    /// UCF 0048 (UNG 0048).
    pub control: String,
    /// The verdict on this group, from `verdict_code`.
    pub verdict: AckVerdict,
    /// UCF 0083.
    pub verdict_code: String,
    /// UCF 0085.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<AckCode>,
    /// The UNG or UNE element in error (UCF 0135 and S011).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<SegmentError>,
}

/// A partner's acknowledgment of something we sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgment {
    /// Which acknowledgment it is: 997, 999, TA1 or CONTRL.
    pub ack_type: AckType,
    /// What it acknowledges, as a document number: `GS:IN:1201`, `ISA:000000123`, `UNB:5301`
    /// (see the module docs and [`Acknowledgment::number_of`]).
    pub number: String,
    /// Always `original`: an acknowledgment has no purpose code of its own.
    pub purpose: Purpose,
    /// Our interchange and group as the acknowledgment quotes them.
    pub acknowledged: Acknowledged,
    /// The verdict on the whole: the group (997, 999), the interchange (TA1, CONTRL).
    pub verdict: AckVerdict,
    /// AK901, TA104, UCI 0083, as sent.
    pub verdict_code: String,
    /// AK905..AK909 (group), TA105 (interchange), UCI 0085.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<AckCode>,
    /// The set counts of a 997 or 999 (AK902..AK904); empty for a TA1 or a CONTRL.
    #[serde(default, skip_serializing_if = "AckCounts::is_empty")]
    pub counts: AckCounts,
    /// A CONTRL's errors in our UNB or UNZ (UCI 0135 and S011).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<SegmentError>,
    /// A CONTRL's verdicts on groups (UCF).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupAck>,
    /// Verdicts on transaction sets or messages (AK2 loops, UCM).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<SetAck>,
    /// Where the acknowledgment came from: its file and the envelope it arrived in.
    pub source: Source,
}

impl Acknowledgment {
    /// The document number of an acknowledgment of this type for what `acknowledged` names.
    pub fn number_of(ack_type: AckType, acknowledged: &Acknowledged) -> String {
        let part = |v: &Option<String>| v.clone().unwrap_or_default();
        match ack_type {
            AckType::Fa997 | AckType::Ia999 => format!(
                "GS:{}:{}",
                part(&acknowledged.functional_id),
                part(&acknowledged.group_control)
            ),
            AckType::Ta1 => format!("ISA:{}", part(&acknowledged.interchange_control)),
            AckType::Contrl => format!("UNB:{}", part(&acknowledged.interchange_control)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Document;
    use crate::model::hash::ValueHasher;

    fn ta1(verdict_code: &str, file: &str) -> Document {
        let acknowledged = Acknowledged {
            interchange_control: Some("000004201".into()),
            ..Acknowledged::default()
        };
        Document::Acknowledgment(Acknowledgment {
            ack_type: AckType::Ta1,
            number: Acknowledgment::number_of(AckType::Ta1, &acknowledged),
            purpose: Purpose::Original,
            acknowledged,
            verdict: AckVerdict::from_x12(verdict_code),
            verdict_code: verdict_code.into(),
            codes: Vec::new(),
            counts: AckCounts::default(),
            errors: Vec::new(),
            groups: Vec::new(),
            sets: Vec::new(),
            source: Source {
                file: file.into(),
                standard: "x12".into(),
                set: "TA1".into(),
                ..Source::default()
            },
        })
    }

    /// The same ack re-sent is a duplicate (same identity, same hash); a different verdict
    /// for the same interchange is a conflict (same identity, another hash).
    #[test]
    fn a_resent_ack_is_a_duplicate_and_a_changed_one_a_conflict() {
        let mut h = ValueHasher::new();
        let (first, again, changed) = (ta1("A", "a.edi"), ta1("A", "b.edi"), ta1("R", "a.edi"));
        assert_eq!(
            (first.kind(), first.number()),
            ("acknowledgment", "ISA:000004201")
        );
        assert_eq!(first.number(), changed.number());
        let hash = |d: &Document, h: &mut ValueHasher| h.document(d).expect("hashes");
        assert_eq!(hash(&first, &mut h), hash(&again, &mut h));
        assert_ne!(hash(&first, &mut h), hash(&changed, &mut h));
    }

    #[test]
    fn json_reads_back_and_is_what_serde_json_writes() {
        let doc = ta1("E", "a.edi");
        let mut ours = Vec::new();
        crate::model::json::write(&mut ours, &doc).expect("writes");
        assert_eq!(ours, serde_json::to_vec(&doc).expect("serde_json"));
        let back: Document = serde_json::from_slice(&ours).expect("reads back");
        assert_eq!(back, doc);
        let text = String::from_utf8(ours).expect("UTF-8");
        assert!(
            text.starts_with(
                r#"{"type":"acknowledgment","ack_type":"ta1","number":"ISA:000004201""#
            )
        );
        assert!(text.contains(r#""verdict":"accepted_with_errors","verdict_code":"E""#));
    }

    #[test]
    fn numbers_name_what_is_acknowledged() {
        let group = Acknowledged {
            functional_id: Some("IN".into()),
            group_control: Some("7301".into()),
            interchange_control: Some("5301".into()),
            ..Acknowledged::default()
        };
        assert_eq!(
            Acknowledgment::number_of(AckType::Fa997, &group),
            "GS:IN:7301"
        );
        assert_eq!(
            Acknowledgment::number_of(AckType::Ia999, &group),
            "GS:IN:7301"
        );
        assert_eq!(
            Acknowledgment::number_of(AckType::Contrl, &group),
            "UNB:5301"
        );
        assert_eq!(AckVerdict::from_contrl("8"), AckVerdict::Received);
        assert_eq!(AckVerdict::from_x12("W"), AckVerdict::Rejected);
    }
}
