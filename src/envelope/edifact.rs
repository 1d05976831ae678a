//! The EDIFACT envelope rules: UNB/UNZ, UNG/UNE, UNH/UNT. The state machine is
//! [`super::Scanner`]; what is EDIFACT's own is here.
//!
//! Messages without a UNB are allowed (some partners send bare UNH..UNT); they are kept in an
//! implicit interchange. A UNZ that closes such an implicit interchange means its UNB was lost
//! or corrupt, and everything in it is rejected. Messages outside a UNG group sit in an implicit
//! group, so the map has the same three levels as X12's.

use super::{Envelope, Misplaced, Names, Open, Role, SyntaxEvent, TrailerFields, Unique};
use crate::diag::{Code, Controls, Finding, Level};
use crate::syntax::edifact::{SegmentRef, SyntaxError};
use crate::syntax::text::{decode, for_message};
use serde::Serialize;
#[cfg(any(test, feature = "internals"))]
use std::io::{self, Read};

pub use crate::syntax::edifact::Edifact;

/// The envelope map of one EDIFACT file.
#[cfg(any(test, feature = "internals"))]
pub type EnvelopeMap = super::EnvelopeMap<Edifact>;
/// One UNB..UNZ interchange (or the implicit one around messages sent without UNB).
pub type Interchange = super::Interchange<Edifact>;
/// One UNG..UNE group (or the implicit one around ungrouped messages).
pub type Group = super::Group<Edifact>;
/// One UNH..UNT message.
pub type Message = super::Transaction<Edifact>;
/// The envelope scanner over EDIFACT segments.
#[cfg(any(test, feature = "internals"))]
pub type Scanner = super::Scanner<Edifact>;
/// An EDIFACT tokenizer and its scanner, fed through the stream pump.
#[cfg(any(test, feature = "internals"))]
pub type StreamFeed = super::StreamFeed<Edifact>;
/// A message closed by a streaming scanner.
#[cfg(any(test, feature = "internals"))]
pub type Closed = super::Closed<Edifact>;

#[cfg(any(test, feature = "internals"))]
impl EnvelopeMap {
    /// Every message with its indexes, in file order (the EDIFACT name of
    /// [`super::EnvelopeMap::transactions`]).
    pub fn messages(&self) -> impl Iterator<Item = (usize, usize, usize, &Message)> {
        self.transactions()
    }
}

/// The UNB fields besides 0020 (the interchange control reference).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Unb {
    /// UNB S001 0001 (UNOA, UNOC, UNOW...).
    pub syntax_id: String,
    /// UNB S001 0002.
    pub syntax_version: String,
    pub sender_id: String,
    pub sender_qualifier: String,
    pub recipient_id: String,
    pub recipient_qualifier: String,
    pub date: String,
    pub time: String,
    /// UNB 0035 = 1.
    pub test: bool,
}

/// The UNG fields besides 0048 (the group reference).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Ung {
    /// UNG 0038.
    pub id: String,
}

/// The UNH fields besides 0062 (the message reference).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Unh {
    /// S009 0065 (ORDERS, DESADV...).
    pub message_type: String,
    /// S009 0052 (D).
    pub version: String,
    /// S009 0054 (96A).
    pub release: String,
    /// S009 0051 (UN).
    pub agency: String,
    /// S009 0057 (EAN008...).
    pub association: String,
}

impl Unh {
    /// The directory, `D96A` from `D` and `96A`.
    pub fn directory(&self) -> String {
        format!("{}{}", self.version, self.release)
    }
}

impl Envelope for Edifact {
    type InterchangeHeader = Unb;
    type GroupHeader = Ung;
    type TransactionHeader = Unh;

    const NAMES: Names = Names {
        tags: [("UNB", "UNZ"), ("UNG", "UNE"), ("UNH", "UNT")],
        control_fields: ["UNB 0020", "UNG 0048", "UNH 0062"],
        segments: "segments (UNH to UNT inclusive)",
        transactions: "messages",
    };

    fn role(tag: &[u8]) -> Role {
        match tag {
            b"UNA" => Role::Service,
            b"UNB" => Role::InterchangeHeader,
            b"UNG" => Role::GroupHeader,
            b"UNH" => Role::TransactionHeader,
            b"UNT" => Role::TransactionTrailer,
            b"UNE" => Role::GroupTrailer,
            b"UNZ" => Role::InterchangeTrailer,
            _ => Role::Body,
        }
    }

    fn syntax_error(e: &SyntaxError) -> SyntaxEvent {
        SyntaxEvent {
            message: e.kind.to_string(),
            offset: e.offset,
            segment_index: e.segment_index,
            next_index: e.segment_index + 1,
            // The tokenizer skips one segment; the interchange goes on.
            breaks_interchange: false,
        }
    }

    fn reports_unterminated(_tag: &[u8], open: &Open) -> bool {
        // A cut segment inside a message or interchange means a truncated file; outside of
        // both it is stray data, reported as such.
        open.interchange
    }

    fn misplaced(role: Role, s: &SegmentRef<'_>, open: &Open) -> Misplaced {
        match role {
            Role::GroupHeader | Role::TransactionHeader => Misplaced::Implicit,
            // Messages before this UNZ had no (readable) UNB: they cannot be trusted.
            Role::InterchangeTrailer => Misplaced::LostHeader(
                "UNZ without a UNB: the interchange header is missing or corrupt, so the interchange is rejected"
                    .to_string(),
            ),
            Role::TransactionTrailer | Role::GroupTrailer => Misplaced::Body,
            _ => {
                let what = if open.interchange {
                    "is outside of any message (between envelope segments)"
                } else if open.after_explicit {
                    "is unexpected data after the UNZ interchange trailer"
                } else {
                    "is outside of any interchange: expected UNA, UNB or UNH"
                };
                Misplaced::Stray(format!("segment '{}' {what}", for_message(s.tag(), 12)))
            }
        }
    }

    fn interchange_header(s: &SegmentRef<'_>) -> (String, Unb) {
        let e = Elements::of(s);
        let unb = Unb {
            syntax_id: e.comp(1, 1),
            syntax_version: e.comp(1, 2),
            sender_id: e.comp(2, 1),
            sender_qualifier: e.comp(2, 2),
            recipient_id: e.comp(3, 1),
            recipient_qualifier: e.comp(3, 2),
            date: e.comp(4, 1),
            time: e.comp(4, 2),
            test: e.comp(11, 1) == "1",
        };
        (e.comp(5, 1), unb)
    }

    fn check_interchange(
        s: &SegmentRef<'_>,
        control: &str,
        unb: &Unb,
        controls: &Controls,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        let at = |f: Finding, el: usize| {
            f.at(s.span.start, s.index, "UNB")
                .element(el)
                .with_controls(controls)
        };
        if control.is_empty() || control.len() > 14 {
            findings.push(at(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "UNB 0020 (interchange control reference) '{control}' must be 1 to 14 characters"
                    ),
                ),
                5,
            ));
        }
        if unb.sender_id.is_empty() || unb.recipient_id.is_empty() {
            findings.push(at(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    "UNB needs a sender (S002 0004) and a recipient (S003 0010)",
                ),
                if unb.sender_id.is_empty() { 2 } else { 3 },
            ));
        }
        if !unb.syntax_id.starts_with("UNO") {
            findings.push(at(
                Finding::warning(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "UNB syntax identifier '{}' is not a UN/EDIFACT character set (UNOA..UNOY); text is read as UTF-8 or ISO 8859-1",
                        unb.syntax_id
                    ),
                ),
                1,
            ));
        }
        findings
    }

    fn group_header(s: &SegmentRef<'_>) -> (String, Ung) {
        let e = Elements::of(s);
        (e.comp(5, 1), Ung { id: e.comp(1, 1) })
    }

    fn transaction_header(s: &SegmentRef<'_>) -> (String, Unh) {
        let e = Elements::of(s);
        let unh = Unh {
            message_type: e.comp(2, 1),
            version: e.comp(2, 2),
            release: e.comp(2, 3),
            agency: e.comp(2, 4),
            association: e.comp(2, 5),
        };
        (e.comp(1, 1), unh)
    }

    fn check_transaction(
        s: &SegmentRef<'_>,
        reference: &str,
        unh: &Unh,
        controls: &Controls,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        let at = |f: Finding, el: usize| {
            f.at(s.span.start, s.index, "UNH")
                .element(el)
                .with_controls(controls)
        };
        if reference.is_empty() || reference.len() > 14 {
            findings.push(at(
                Finding::error(
                    Code::InvalidTransactionControl,
                    format!(
                        "UNH 0062 (message reference) '{reference}' must be 1 to 14 characters"
                    ),
                ),
                1,
            ));
        }
        if unh.message_type.is_empty() {
            findings.push(at(
                Finding::error(Code::InvalidSetId, "UNH S009 0065 (message type) is empty"),
                2,
            ));
        }
        findings
    }

    fn unique(level: Level) -> Option<Unique> {
        // Message references within their interchange; interchange and group references are
        // not checked.
        (level == Level::Transaction).then_some(Unique {
            within: Level::Interchange,
            element: 1,
            finding: |reference, first| {
                Finding::error(
                    Code::DuplicateTransactionControl,
                    format!(
                        "message reference {reference} was already used at byte {first} in this interchange"
                    ),
                )
            },
        })
    }

    fn transaction_title(m: &Message) -> String {
        format!("message {} {}", m.header.message_type, m.control)
    }

    fn group_title(g: &Group) -> String {
        format!("group {} {}", g.header.id, g.control)
    }

    fn interchange_counted(ic: &Interchange) -> (usize, &'static str) {
        // UNZ counts groups when there are any, messages otherwise.
        if ic.explicit_groups > 0 {
            (ic.explicit_groups, "groups")
        } else {
            (ic.transaction_count, "messages")
        }
    }

    fn trailer_fields(level: Level, s: &SegmentRef<'_>) -> TrailerFields {
        let names = match level {
            Level::Interchange => [" 0036", " 0020"],
            Level::Group => [" 0060", " 0048"],
            _ => [" 0074", " 0062"],
        };
        let e = Elements::of(s);
        TrailerFields {
            names,
            count: e.comp(1, 1),
            control: e.comp(2, 1),
        }
    }
}

/// The elements of a service segment (UNB, UNG, UNH, a trailer), split once for the several
/// fields read from it; the envelope reads none past the eleventh.
struct Elements<'s> {
    s: &'s SegmentRef<'s>,
    values: [&'s [u8]; 11],
    len: usize,
}

impl<'s> Elements<'s> {
    fn of(s: &'s SegmentRef<'s>) -> Self {
        let mut values: [&[u8]; 11] = [b""; 11];
        let mut len = 0;
        for (slot, v) in values.iter_mut().zip(s.elements()) {
            *slot = v;
            len += 1;
        }
        Elements { s, values, len }
    }

    /// Component `c` (1-based) of element `n`, unescaped and trimmed; empty when absent.
    fn comp(&self, n: usize, c: usize) -> String {
        let Some(v) = n
            .checked_sub(1)
            .and_then(|i| self.values[..self.len].get(i))
        else {
            return String::new();
        };
        self.s
            .components(v)
            .nth(c - 1)
            .map(|v| decode(&self.s.unescape(v)).trim().to_string())
            .unwrap_or_default()
    }
}

/// Scans an EDIFACT input held whole.
#[cfg(any(test, feature = "internals"))]
pub fn scan(input: &[u8]) -> EnvelopeMap {
    super::scan(input)
}

/// Scans an EDIFACT stream through a window of about `chunk` bytes, keeping every message in
/// the map.
#[cfg(any(test, feature = "internals"))]
pub fn scan_reader<R: Read>(r: R, chunk: usize) -> io::Result<EnvelopeMap> {
    super::scan_reader(r, chunk)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(m: &EnvelopeMap) -> Vec<String> {
        m.all_findings().map(|f| f.to_string()).collect()
    }

    #[test]
    fn compact_scan_keeps_only_what_has_findings() {
        // 2,000 interchanges of two groups of one message each; interchange 1500 has a wrong
        // UNE count in its second group, the second message of 1700 repeats the first one's
        // reference, and a stray segment follows the last UNZ.
        let mut f = String::new();
        for n in 0..2000u32 {
            f.push_str(&format!("UNB+UNOC:3+S+R+240101:1200+{n}'"));
            for g in 1..=2u32 {
                let count = if n == 1500 && g == 2 { 9 } else { 1 };
                let reference = if n == 1700 { 1 } else { g };
                f.push_str(&format!(
                    "UNG+ORDERS+S+R+240101:1200+{g}+UN+D:96A'UNH+{reference}+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+{reference}'UNE+{count}+{g}'"
                ));
            }
            f.push_str(&format!("UNZ+2+{n}'"));
        }
        f.push_str("FTX+AAI'");
        // The compact scan finds what the full one does, the stray segment after the last UNZ
        // included.
        let all = crate::envelope::scanner::tests::compact_scan_of_2000::<Edifact>(f.as_bytes());
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[0].contains("after the UNZ"), "{all:?}");
    }

    #[test]
    fn good_interchange() {
        let f = b"UNA:+.? 'UNB+UNOC:3+SENDER:14+RECEIVER:14+240101:1200+77'UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1+9'UNT+3+1'UNZ+1+77'";
        let m = scan(f);
        assert!(messages(&m).is_empty(), "{:?}", messages(&m));
        let msg = &m.interchanges[0].groups[0].transactions[0];
        assert_eq!(
            (
                msg.header.message_type.as_str(),
                msg.header.directory().as_str(),
                msg.header.association.as_str()
            ),
            ("ORDERS", "D96A", "EAN008")
        );
        assert!(m.accepted(0, 0, 0));
        assert_eq!(m.interchanges[0].header.syntax_id, "UNOC");
    }

    #[test]
    fn counts_and_references() {
        let f =
            b"UNB+UNOC:3+S+R+240101:1200+77'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+4+2'UNZ+2+78'";
        let m = scan(f);
        let msgs = messages(&m);
        assert!(
            msgs.iter().any(|s| s.contains(
                "UNT 0074 says 4 segments (UNH to UNT inclusive), but message ORDERS 1 has 3"
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNT 0062 '2' does not match UNH 0062 '1'")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNZ 0036 says 2 messages, but interchange 77 has 1")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNZ 0020 '78' does not match UNB 0020 '77'")),
            "{msgs:?}"
        );
    }

    #[test]
    fn bare_messages_and_lost_unb() {
        let bare = scan(b"UNA:+.? 'UNH+1+ORDERS:D:11A:UN'BGM+220+PO-1+9'UNT+3+1'");
        assert!(bare.accepted(0, 0, 0), "{:?}", messages(&bare));
        let lost = scan(b"FNB+UNOB:1+S+R+1+1'UNH+1+INVOIC:D:00A:UN'BGM+380+1'UNT+3+1'UNZ+1+1'");
        assert!(!lost.accepted(0, 0, 0));
        let msgs = messages(&lost);
        assert!(
            msgs.iter()
                .any(|s| s.contains("segment 'FNB' is outside of any interchange")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|s| s.contains("UNZ without a UNB")),
            "{msgs:?}"
        );
    }

    #[test]
    fn groups() {
        let f = b"UNB+UNOC:3+S+R+1+1'UNG+INVOIC+S+R+1+9+UN+D:96A'UNH+1+INVOIC:D:96A:UN'UNT+2+1'UNE+1+5'UNZ+1+1'";
        let m = scan(f);
        let msgs = messages(&m);
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNE 0048 '5' does not match UNG 0048 '9'")),
            "{msgs:?}"
        );
        assert!(!m.accepted(0, 0, 0));
    }

    #[test]
    fn chunked_matches_whole() {
        let f: &[u8] = b"UNA:+.? 'UNB+UNOC:3+S+R+1+1'UNH+1+ORDERS:D:96A:UN'IMD+F++:::a?'b'UNT+3+1'UNZ+1+1'junk";
        crate::envelope::scanner::tests::chunked_scan_matches_whole::<Edifact>(f, &[64, 70, 100]);
    }
}
