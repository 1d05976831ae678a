//! The X12 envelope rules: ISA/IEA, GS/GE, ST/SE. The state machine is [`super::Scanner`];
//! what is X12's own is here: the header fields and their checks (ISA widths, GS dates), the
//! corrupt ISA under another tag, TA1 and ISB/ISE between ISA and GS, and the names in
//! messages (SE01, "transaction set").

use super::{Envelope, Misplaced, Names, Open, Role, SyntaxEvent, TrailerFields, Unique};
use crate::diag::{Code, Controls, Finding, Level};
use crate::syntax::text::{decode, decode_trimmed, for_message};
use crate::syntax::values::{valid_ccyymmdd, valid_hhmm, valid_yymmdd};
use crate::syntax::x12::{SegmentRef, SyntaxError};
use serde::Serialize;
#[cfg(any(test, feature = "internals"))]
use std::io::{self, Read};

pub use crate::syntax::x12::X12;

/// The envelope map of one X12 file.
#[cfg(any(test, feature = "internals"))]
pub type EnvelopeMap = super::EnvelopeMap<X12>;
/// One ISA..IEA interchange.
pub type Interchange = super::Interchange<X12>;
/// One GS..GE functional group.
pub type Group = super::Group<X12>;
/// One ST..SE transaction set.
pub type Transaction = super::Transaction<X12>;
/// The envelope scanner over X12 segments.
#[cfg(any(test, feature = "internals"))]
pub type Scanner = super::Scanner<X12>;
/// An X12 tokenizer and its scanner, fed through the stream pump.
#[cfg(any(test, feature = "internals"))]
pub type StreamFeed = super::StreamFeed<X12>;
/// A transaction set closed by a streaming scanner.
#[cfg(any(test, feature = "internals"))]
pub type Closed = super::Closed<X12>;

/// The ISA fields besides ISA13 (the interchange control number).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Isa {
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    pub date: String,
    pub time: String,
    /// ISA12.
    pub version: String,
    pub ack_requested: String,
    /// ISA15: P production, T test, I information.
    pub usage: String,
}

/// The GS fields besides GS06 (the group control number).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct Gs {
    /// GS01.
    pub functional_id: String,
    pub sender: String,
    pub receiver: String,
    pub date: String,
    pub time: String,
    pub agency: String,
    /// GS08.
    pub version: String,
}

/// The ST fields besides ST02 (the transaction set control number).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct St {
    /// ST01.
    pub set_id: String,
    /// ST03 (005010 implementation convention), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
}

impl Envelope for X12 {
    type InterchangeHeader = Isa;
    type GroupHeader = Gs;
    type TransactionHeader = St;

    const NAMES: Names = Names {
        tags: [("ISA", "IEA"), ("GS", "GE"), ("ST", "SE")],
        control_fields: ["ISA13", "GS06", "ST02"],
        segments: "segments (ST to SE inclusive)",
        transactions: "transaction sets",
    };

    fn role(tag: &[u8]) -> Role {
        match tag {
            b"ISA" => Role::InterchangeHeader,
            b"GS" => Role::GroupHeader,
            b"ST" => Role::TransactionHeader,
            b"SE" => Role::TransactionTrailer,
            b"GE" => Role::GroupTrailer,
            b"IEA" => Role::InterchangeTrailer,
            _ => Role::Body,
        }
    }

    fn syntax_error(e: &SyntaxError) -> SyntaxEvent {
        let message = format!(
            "{} (bytes {}..{} skipped, {})",
            e.kind,
            e.skipped.start,
            e.skipped.end,
            if e.to_end {
                "to the end of the file"
            } else {
                "up to the next ISA"
            }
        );
        SyntaxEvent {
            message,
            offset: e.offset,
            segment_index: e.segment_index,
            next_index: e.segment_index,
            // The tokenizer skips to the next ISA.
            breaks_interchange: true,
        }
    }

    fn reports_unterminated(tag: &[u8], _open: &Open) -> bool {
        // A file may end right after its last IEA without a terminator.
        tag != b"IEA"
    }

    fn misplaced(role: Role, s: &SegmentRef<'_>, open: &Open) -> Misplaced {
        let stray = |why: &str| Misplaced::Stray(why.to_string());
        match role {
            Role::GroupHeader => stray("GS outside of an interchange (no ISA before it)"),
            Role::TransactionHeader => stray("ST outside of a functional group (no GS before it)"),
            Role::TransactionTrailer => stray("SE without a matching ST"),
            Role::GroupTrailer => stray("GE without a matching GS"),
            Role::InterchangeTrailer => stray("IEA without a matching ISA"),
            // A corrupt interchange header: sixteen elements like an ISA, under another tag. It
            // starts an interchange of its own, which is rejected; the one before it ends there.
            _ if s.element_count() == 16 && s.tag() != b"ISA" => Misplaced::CorruptHeader(format!(
                "segment {} has the sixteen elements of an interchange header, but its tag is not ISA: the header is corrupt, so this interchange is rejected",
                s.tag_str()
            )),
            // A TA1 (interchange acknowledgment) sits between ISA and GS, outside any set: it is
            // a set of its own, translated into an acknowledgment. ISB/ISE service segments
            // sit there too, and say nothing we use.
            _ if s.tag() == b"TA1" && open.interchange && !open.group => Misplaced::Lone,
            _ if matches!(s.tag(), b"ISB" | b"ISE") && open.interchange && !open.group => {
                Misplaced::Ignore
            }
            _ => Misplaced::Stray(format!(
                "segment {} is outside of any transaction set (between envelope segments)",
                s.tag_str()
            )),
        }
    }

    fn interchange_header(s: &SegmentRef<'_>) -> (String, Isa) {
        let text = |n: usize| decode_trimmed(s.value(n));
        let isa = Isa {
            sender_qualifier: text(5),
            sender_id: text(6),
            receiver_qualifier: text(7),
            receiver_id: text(8),
            date: text(9),
            time: text(10),
            version: text(12),
            ack_requested: text(14),
            usage: text(15),
        };
        (text(13), isa)
    }

    fn check_interchange(
        s: &SegmentRef<'_>,
        _control: &str,
        _header: &Isa,
        controls: &Controls,
    ) -> Vec<Finding> {
        check_isa_fields(s, controls)
    }

    fn group_header(s: &SegmentRef<'_>) -> (String, Gs) {
        let text = |n: usize| decode_trimmed(s.value(n));
        let gs = Gs {
            functional_id: text(1),
            sender: text(2),
            receiver: text(3),
            date: text(4),
            time: text(5),
            agency: text(7),
            version: text(8),
        };
        (text(6), gs)
    }

    fn check_group(
        s: &SegmentRef<'_>,
        _control: &str,
        _header: &Gs,
        controls: &Controls,
    ) -> Vec<Finding> {
        check_gs_fields(s, controls)
    }

    fn group_opened(ic: &mut Interchange, s: &SegmentRef<'_>, controls: &Controls) {
        // A file that ends every segment with '~' + newline but has no ISA16 reads as component
        // separator '~' and terminator newline; its GS then ends with the "component separator".
        let d = ic.delimiters;
        if ic.group_count == 0
            && d.terminator.is_line_break()
            && s.data().last() == Some(&d.component)
        {
            let c = for_message(&[d.component], 4);
            ic.findings.push(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "ISA16 (component separator) reads as '{c}', but the GS also ends with '{c}': the file uses '{c}' as its segment terminator and the ISA lacks its component separator"
                    ),
                )
                .at(ic.span.start, ic.first_index, "ISA")
                .element(16)
                .with_controls(controls),
            );
        }
    }

    fn transaction_header(s: &SegmentRef<'_>) -> (String, St) {
        // A TA1 is a set of one segment (see `misplaced`): its id is its tag, and what names it
        // is the interchange control number it acknowledges (TA101), having none of its own.
        if s.tag() == b"TA1" {
            let st = St {
                set_id: "TA1".into(),
                implementation: None,
            };
            return (decode_trimmed(s.value(1)), st);
        }
        let st = St {
            set_id: decode_trimmed(s.value(1)),
            implementation: s.element(3).filter(|v| !v.is_empty()).map(decode_trimmed),
        };
        (decode_trimmed(s.value(2)), st)
    }

    fn check_transaction(
        s: &SegmentRef<'_>,
        control: &str,
        st: &St,
        controls: &Controls,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        if s.tag() == b"TA1" {
            // Its elements are the TA1 grammar's to check.
            return findings;
        }
        let at = |f: Finding, el: usize| {
            f.at(s.span.start, s.index, "ST")
                .element(el)
                .with_controls(controls)
        };
        let set_id = &st.set_id;
        if set_id.len() != 3 || !set_id.bytes().all(|b| b.is_ascii_digit()) {
            findings.push(at(
                Finding::error(
                    Code::InvalidSetId,
                    format!("ST01 '{set_id}' is not a transaction set identifier (three digits)"),
                ),
                1,
            ));
        }
        if control.len() < 4 || control.len() > 9 {
            findings.push(at(
                Finding::error(
                    Code::InvalidTransactionControl,
                    format!("ST02 '{control}' must be 4 to 9 characters"),
                ),
                2,
            ));
        }
        findings
    }

    fn unique(level: Level) -> Option<Unique> {
        Some(match level {
            Level::Interchange => Unique {
                within: Level::File,
                element: 13,
                finding: |control, first| {
                    Finding::warning(
                        Code::DuplicateInterchange,
                        format!(
                            "interchange control number {control} was already used by the interchange at byte {first} of this file"
                        ),
                    )
                },
            },
            Level::Group => Unique {
                within: Level::Interchange,
                element: 6,
                finding: |control, first| {
                    Finding::warning(
                        Code::GroupControlInvalid,
                        format!(
                            "group control number {control} was already used by the group at byte {first} in this interchange"
                        ),
                    )
                },
            },
            _ => Unique {
                within: Level::Group,
                element: 2,
                finding: |control, first| {
                    Finding::error(
                        Code::DuplicateTransactionControl,
                        format!(
                            "transaction set control number {control} was already used at byte {first} in this group"
                        ),
                    )
                },
            },
        })
    }

    fn interrupted(level: Level, s: &SegmentRef<'_>) -> String {
        match level {
            Level::Interchange => format!(
                "a new interchange header ({}) starts at segment {} before the IEA of this one",
                s.tag_str(),
                s.index
            ),
            Level::Group => "a new GS starts before the GE of this group".to_string(),
            _ => format!("a new ST starts at segment {}", s.index),
        }
    }

    fn transaction_title(t: &Transaction) -> String {
        if t.header.set_id == "TA1" {
            return format!("TA1 acknowledging interchange {}", t.control);
        }
        format!("transaction set {} {}", t.header.set_id, t.control)
    }

    fn group_title(g: &Group) -> String {
        format!("functional group {} {}", g.header.functional_id, g.control)
    }

    fn interchange_counted(ic: &Interchange) -> (usize, &'static str) {
        // GS headers only: the implicit group around a TA1 is not one IEA01 counts.
        (ic.explicit_groups, "functional groups")
    }

    fn trailer_fields(_level: Level, s: &SegmentRef<'_>) -> TrailerFields {
        TrailerFields {
            names: ["01", "02"],
            count: decode_trimmed(s.value(1)),
            control: decode_trimmed(s.value(2)),
        }
    }
}

/// Scans an X12 input held whole (transcoded first when it is EBCDIC).
#[cfg(any(test, feature = "internals"))]
pub fn scan(input: &[u8]) -> EnvelopeMap {
    super::scan(input)
}

/// Scans an X12 stream in chunks of `chunk` bytes, keeping every transaction set in the map.
#[cfg(any(test, feature = "internals"))]
pub fn scan_reader<R: Read>(r: R, chunk: usize) -> io::Result<EnvelopeMap> {
    super::scan_reader(r, chunk)
}

/// The functional identifier (GS01) each transaction set travels in.
pub fn functional_group_of(set_id: &str) -> Option<&'static str> {
    Some(match set_id {
        "850" => "PO",
        "856" => "SH",
        "810" => "IN",
        "997" => "FA",
        "999" => "FA",
        "855" => "PR",
        "860" => "PC",
        "865" => "CA",
        "820" => "RA",
        "846" => "IB",
        "852" => "PD",
        "832" => "SC",
        "864" => "TX",
        "875" => "OG",
        "880" => "GP",
        "940" => "OW",
        "945" => "SW",
        "943" => "AR",
        "944" => "RE",
        "210" => "IM",
        "214" => "QM",
        "204" => "SM",
        "990" => "GF",
        "824" => "AG",
        "812" => "CD",
        "753" => "GI",
        "754" => "GI",
        "270" => "HS",
        "271" => "HB",
        "837" => "HC",
        "835" => "HP",
        _ => return None,
    })
}

/// (min, max) character lengths of ISA01..ISA16.
const ISA_WIDTHS: [(usize, usize); 16] = [
    (2, 2),
    (10, 10),
    (2, 2),
    (10, 10),
    (2, 2),
    (15, 15),
    (2, 2),
    (15, 15),
    (6, 6),
    (4, 4),
    (1, 1),
    (5, 5),
    (9, 9),
    (1, 1),
    (1, 1),
    (1, 1),
];

fn check_isa_fields(s: &SegmentRef<'_>, controls: &Controls) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |f: Finding, el: usize| {
        f.at(s.element_offset(el), s.index, "ISA")
            .element(el)
            .with_controls(controls)
    };
    let count = s.element_count();
    if count != 16 {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!("the ISA has {count} elements; it must have 16"),
            ),
            count.min(16),
        ));
    }
    for (i, v) in s.elements().take(16).enumerate() {
        let n = i + 1;
        let chars = decode(v).chars().count();
        let (min, max) = ISA_WIDTHS[i];
        if chars > max {
            out.push(at(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "ISA{n:02} '{}' is {}; the field is {max} wide",
                        for_message(v, 40),
                        crate::syntax::text::characters(chars)
                    ),
                ),
                n,
            ));
        } else if chars < min && n != 11 && n != 16 {
            out.push(at(
                Finding::warning(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "ISA{n:02} is {} instead of {min}: the header is not padded to its fixed width",
                        crate::syntax::text::characters(chars)
                    ),
                ),
                n,
            ));
        }
    }
    let digits = |v: &[u8]| !v.is_empty() && v.iter().all(u8::is_ascii_digit);
    let isa09 = s.value(9);
    if !(digits(isa09) && isa09.len() == 6 && valid_yymmdd(isa09)) {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!("ISA09 '{}' is not a date (YYMMDD)", for_message(isa09, 12)),
            ),
            9,
        ));
    }
    let isa10 = s.value(10);
    if !(digits(isa10) && isa10.len() == 4 && valid_hhmm(isa10)) {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!("ISA10 '{}' is not a time (HHMM)", for_message(isa10, 12)),
            ),
            10,
        ));
    }
    let isa13 = s.value(13);
    if !digits(isa13) {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA13 '{}' is not an interchange control number (9 digits)",
                    for_message(isa13, 12)
                ),
            ),
            13,
        ));
    }
    if !matches!(s.value(14), b"0" | b"1") {
        out.push(at(
            Finding::warning(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA14 '{}' should be 0 or 1 (acknowledgment requested)",
                    for_message(s.value(14), 8)
                ),
            ),
            14,
        ));
    }
    if !matches!(s.value(15), b"P" | b"T" | b"I") {
        out.push(at(
            Finding::warning(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA15 '{}' should be P (production), T (test) or I (information)",
                    for_message(s.value(15), 8)
                ),
            ),
            15,
        ));
    }
    let isa12 = s.value(12);
    if !digits(isa12) {
        out.push(at(
            Finding::warning(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA12 '{}' is not an interchange version number",
                    for_message(isa12, 12)
                ),
            ),
            12,
        ));
    }
    out
}

fn check_gs_fields(s: &SegmentRef<'_>, controls: &Controls) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |f: Finding, el: usize| {
        f.at(s.element_offset(el), s.index, "GS")
            .element(el)
            .with_controls(controls)
    };
    let gs04 = s.value(4);
    let date_ok = gs04.iter().all(u8::is_ascii_digit)
        && match gs04.len() {
            8 => valid_ccyymmdd(gs04),
            6 => valid_yymmdd(gs04),
            _ => false,
        };
    if !date_ok {
        out.push(at(
            Finding::error(
                Code::InvalidGroupHeader,
                format!("GS04 '{}' is not a date (CCYYMMDD)", for_message(gs04, 16)),
            ),
            4,
        ));
    }
    let gs05 = s.value(5);
    if !(gs05.len() >= 4
        && gs05.len() <= 8
        && gs05.iter().all(u8::is_ascii_digit)
        && valid_hhmm(&gs05[..4]))
    {
        out.push(at(
            Finding::error(
                Code::InvalidGroupHeader,
                format!("GS05 '{}' is not a time (HHMM)", for_message(gs05, 16)),
            ),
            5,
        ));
    }
    let gs06 = s.value(6);
    if gs06.is_empty() || gs06.len() > 9 || !gs06.iter().all(u8::is_ascii_digit) {
        out.push(at(
            Finding::error(
                Code::GroupControlInvalid,
                format!(
                    "GS06 '{}' is not a group control number (1 to 9 digits)",
                    for_message(gs06, 16)
                ),
            ),
            6,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~";

    fn doc(body: &str) -> String {
        format!("{ISA}\n{body}")
    }

    fn messages(m: &EnvelopeMap) -> Vec<String> {
        m.all_findings().map(|f| f.to_string()).collect()
    }

    #[test]
    fn good_envelope() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001~GE*1*7~IEA*1*000000001~",
        );
        let m = scan(f.as_bytes());
        assert!(messages(&m).is_empty(), "{:?}", messages(&m));
        let tx = &m.interchanges[0].groups[0].transactions[0];
        assert_eq!(tx.segment_count, 3);
        assert_eq!(
            &f.as_bytes()[tx.span.start..tx.span.end],
            b"ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001"
        );
        assert!(m.accepted(0, 0, 0));
    }

    #[test]
    fn wrong_counts_reject_only_their_level() {
        let f = doc(concat!(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*4*0001~",
            "ST*850*0002~BEG*00*SA*2**20240101~SE*3*0002~GE*2*7~",
            "GS*PO*S*R*20240101*1200*8*X*004010~ST*850*0003~SE*2*0003~GE*5*8~IEA*2*000000001~"
        ));
        let m = scan(f.as_bytes());
        assert!(!m.accepted(0, 0, 0));
        assert!(m.accepted(0, 0, 1));
        assert!(!m.accepted(0, 1, 0));
        let msgs = messages(&m);
        assert!(
            msgs.iter().any(|s| s.contains(
                "SE01 says 4 segments (ST to SE inclusive), but transaction set 850 0001 has 3"
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("GE01 says 5 transaction sets, but group 8 has 1")),
            "{msgs:?}"
        );
    }

    #[test]
    fn missing_se_rejects_that_set_only() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~ST*850*0002~BEG*00*SA*2**20240101~SE*3*0002~GE*2*7~IEA*1*000000001~",
        );
        let m = scan(f.as_bytes());
        assert!(!m.accepted(0, 0, 0));
        assert!(m.accepted(0, 0, 1));
    }

    #[test]
    fn missing_iea_at_end() {
        let f = doc("GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~SE*2*0001~GE*1*7~");
        let m = scan(f.as_bytes());
        let msgs = messages(&m);
        assert!(
            msgs.iter()
                .any(|s| s.contains("interchange 000000001 has no IEA trailer: the file ends")),
            "{msgs:?}"
        );
        assert!(!m.accepted(0, 0, 0));
    }

    #[test]
    fn duplicate_st_control() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~SE*2*0001~ST*850*0001~SE*2*0001~GE*2*7~IEA*1*000000001~",
        );
        let m = scan(f.as_bytes());
        assert!(m.accepted(0, 0, 0));
        assert!(!m.accepted(0, 0, 1));
    }

    #[test]
    fn compact_scan_keeps_only_what_has_findings() {
        // 2,000 interchanges of two groups each; interchange 1500 has a wrong GE01 in its
        // second group, and 1700 reuses an earlier ISA13.
        let mut f = String::new();
        for n in 0..2000u32 {
            let control = if n == 1700 { 5 } else { n };
            f.push_str(&ISA.replace("000000001", &format!("{control:09}")));
            for g in 1..=2u32 {
                let count = if n == 1500 && g == 2 { 9 } else { 1 };
                f.push_str(&format!(
                    "GS*PO*S*R*20240101*1200*{g}*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001~GE*{count}*{g}~"
                ));
            }
            f.push_str(&format!("IEA*2*{control:09}~"));
        }
        crate::envelope::scanner::tests::compact_scan_of_2000::<X12>(f.as_bytes());
    }

    #[test]
    fn chunked_scan_matches_whole() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001~GE*1*7~IEA*1*000000001~xx",
        );
        crate::envelope::scanner::tests::chunked_scan_matches_whole::<X12>(
            f.as_bytes(),
            &[64, 65, 100, 333],
        );
    }
}

/// A TA1 between ISA and GS is handed out as a set of its own, in an implicit group that the
/// IEA does not count; the streaming and in-memory translations agree on it.
#[cfg(test)]
mod ta1_tests {
    use super::*;

    const TA1_THEN_GROUP: &[u8] =
        b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
*240101*1200*U*00401*000000001*0*P*>~TA1*000000007*231231*2359*E*006~\
GS*PR*S*R*20240101*1200*1*X*004010~ST*855*0001~BAK*00*AC*PO1*20240101~SE*3*0001~GE*1*1~\
IEA*1*000000001~";

    #[test]
    fn a_ta1_is_a_set_of_its_own_and_not_a_group_the_iea_counts() {
        let map = scan(TA1_THEN_GROUP);
        let ic = &map.interchanges[0];
        assert!(ic.findings.is_empty(), "{:?}", ic.findings);
        assert_eq!((ic.groups.len(), ic.explicit_groups), (2, 1));
        let (ta1, gs) = (&ic.groups[0], &ic.groups[1]);
        assert!(!ta1.explicit && gs.explicit);
        let t = &ta1.transactions[0];
        assert_eq!(
            (t.header.set_id.as_str(), t.control.as_str()),
            ("TA1", "000000007")
        );
        assert_eq!((t.segment_count, t.span.start), (1, 106));
        assert!(map.accepted(0, 0, 0) && map.accepted(0, 1, 0));
    }
}
