//! What the codes of partners' acknowledgments mean, in plain words.
//!
//! Phase: mapping of acknowledgments (`map::x12::ack`, `map::edifact::contrl`). The lists are
//! the standards' own: X12 716 (AK905), 718/618 (AK502, IK502), 720/620 (AK304, IK304), 723/621
//! (AK403, IK403), I18 (TA105); EDIFACT 0085 (syntax error) of syntax versions 1 to 4 and 0083
//! (action). The words are ours, short enough for a report line. A code no list has is kept,
//! and said to be unknown: a partner's private code is still what the partner said.
//!
//! ```
//! use tallyman::map::ack_codes::{Kind, code};
//! assert_eq!(code(Kind::X12Element, "1").meaning, "mandatory data element missing");
//! assert!(code(Kind::Edifact, "99").meaning.contains("not a code"));
//! ```

use crate::model::ack::AckCode;

/// Which code list a code is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// X12 716: a functional group's error (AK905..AK909).
    X12Group,
    /// X12 718 and 618: a transaction set's error (AK502.., IK502..).
    X12Set,
    /// X12 720 and 620: a segment's error (AK304, IK304).
    X12Segment,
    /// X12 723 and 621: an element's error (AK403, IK403).
    X12Element,
    /// X12 I18: an interchange note (TA105).
    Ta1Note,
    /// EDIFACT 0085: a syntax error (UCI, UCF, UCM, UCS, UCD).
    Edifact,
}

/// A code with its meaning.
pub fn code(kind: Kind, code: &str) -> AckCode {
    let meaning = match kind {
        Kind::X12Group => x12_group(code),
        Kind::X12Set => x12_set(code),
        Kind::X12Segment => x12_segment(code),
        Kind::X12Element => x12_element(code),
        Kind::Ta1Note => ta1_note(code),
        Kind::Edifact => edifact_error(code),
    };
    AckCode {
        code: code.to_string(),
        meaning: meaning.map_or_else(
            || format!("'{code}' is not a code of {}", list_name(kind)),
            str::to_string,
        ),
    }
}

fn list_name(kind: Kind) -> &'static str {
    match kind {
        Kind::X12Group => "X12 element 716 (functional group syntax error)",
        Kind::X12Set => "X12 element 718 (transaction set syntax error)",
        Kind::X12Segment => "X12 element 720 (segment syntax error)",
        Kind::X12Element => "X12 element 723 (data element syntax error)",
        Kind::Ta1Note => "X12 element I18 (interchange note)",
        Kind::Edifact => "EDIFACT element 0085 (syntax error)",
    }
}

/// The security codes shared by 716 and 718 (X12 security structures, S1S..S4E).
fn security(code: &str) -> Option<&'static str> {
    Some(match code {
        "19" => "S1E security end segment missing for S1S security start segment",
        "20" => "S1S security start segment missing for S1E security end segment",
        "21" => "S2E security end segment missing for S2S security start segment",
        "22" => "S2S security start segment missing for S2E security end segment",
        _ => return None,
    })
}

fn x12_group(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "functional group not supported",
        "2" => "functional group version not supported",
        "3" => "functional group trailer (GE) missing",
        "4" => "group control number in the GS and the GE do not agree",
        "5" => "number of included transaction sets does not match the actual count",
        "6" => "group control number violates syntax",
        "10" => "authentication key name unknown",
        "11" => "encryption key name unknown",
        "12" => "requested service (authentication or encryption) not available",
        "13" => "unknown security recipient",
        "14" => "unknown security originator",
        "15" => "syntax error in decrypted text",
        "16" => "security not supported",
        "17" => "incorrect message length (encryption only)",
        "18" => "message authentication code failed",
        "19" => "functional group control number not unique within the interchange",
        "23" => "S3E security end segment missing for S3S security start segment",
        "24" => "S3S security start segment missing for S3E security end segment",
        "25" => "S4E security end segment missing for S4S security start segment",
        "26" => "S4S security start segment missing for S4E security end segment",
        other => return security(other),
    })
}

fn x12_set(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "transaction set not supported",
        "2" => "transaction set trailer (SE) missing",
        "3" => "transaction set control number in the ST and the SE do not match",
        "4" => "number of included segments does not match the actual count",
        "5" => "one or more segments in error",
        "6" => "missing or invalid transaction set identifier",
        "7" => "missing or invalid transaction set control number",
        "8" => "authentication key name unknown",
        "9" => "encryption key name unknown",
        "10" => "requested service (authentication or encryption) not available",
        "11" => "unknown security recipient",
        "12" => "incorrect message length (encryption only)",
        "13" => "message authentication code failed",
        "15" => "unknown security originator",
        "16" => "syntax error in decrypted text",
        "17" => "security not supported",
        "18" => "transaction set not in a functional group",
        "23" => "transaction set control number not unique within the functional group",
        "24" => "S3E security end segment missing for S3S security start segment",
        "25" => "S3S security start segment missing for S3E security end segment",
        "26" => "S4E security end segment missing for S4S security start segment",
        "27" => "S4S security start segment missing for S4E security end segment",
        // 004010's 19 is a security code; 005010 gave it to the implementation reference.
        "19" => {
            "invalid implementation convention reference (ST03), or S1E security end segment missing"
        }
        "I5" => "implementation: one or more segments in error",
        "I6" => "implementation convention not supported",
        other => return security(other),
    })
}

fn x12_segment(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "unrecognized segment ID",
        "2" => "unexpected segment",
        "3" => "mandatory segment missing",
        "4" => "loop occurs over maximum times",
        "5" => "segment exceeds maximum use",
        "6" => "segment not in defined transaction set",
        "7" => "segment not in proper sequence",
        "8" => "segment has data element errors",
        "I4" => "implementation 'not used' segment present",
        "I6" => "implementation dependent segment missing",
        "I7" => "implementation loop occurs under minimum times",
        "I8" => "implementation segment below minimum use",
        "I9" => "implementation dependent 'not used' segment present",
        _ => return None,
    })
}

fn x12_element(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "mandatory data element missing",
        "2" => "conditional required data element missing",
        "3" => "too many data elements",
        "4" => "data element too short",
        "5" => "data element too long",
        "6" => "invalid character in data element",
        "7" => "invalid code value",
        "8" => "invalid date",
        "9" => "invalid time",
        "10" => "exclusion condition violated",
        "12" => "too many repetitions",
        "13" => "too many components",
        "I6" => "code value not used in the implementation",
        "I9" => "implementation dependent data element missing",
        "I10" => "implementation 'not used' data element present",
        "I11" => "implementation too few repetitions",
        "I12" => "implementation pattern match failure",
        "I13" => "implementation dependent 'not used' data element present",
        _ => return None,
    })
}

fn ta1_note(code: &str) -> Option<&'static str> {
    Some(match code {
        "000" => "no error",
        "001" => "interchange control number in the ISA and the IEA do not match",
        "002" => "this standard (ISA11 control standards identifier) is not supported",
        "003" => "this version of the controls is not supported",
        "004" => "the segment terminator is invalid",
        "005" => "invalid interchange ID qualifier for the sender",
        "006" => "invalid interchange sender ID",
        "007" => "invalid interchange ID qualifier for the receiver",
        "008" => "invalid interchange receiver ID",
        "009" => "unknown interchange receiver ID",
        "010" => "invalid authorization information qualifier value",
        "011" => "invalid authorization information value",
        "012" => "invalid security information qualifier value",
        "013" => "invalid security information value",
        "014" => "invalid interchange date value",
        "015" => "invalid interchange time value",
        "016" => "invalid interchange standards identifier value",
        "017" => "invalid interchange version ID value",
        "018" => "invalid interchange control number value",
        "019" => "invalid acknowledgment requested value",
        "020" => "invalid test indicator value",
        "021" => "invalid number of included groups value",
        "022" => "invalid control structure",
        "023" => "improper (premature) end of file (transmission)",
        "024" => "invalid interchange content (an invalid GS, for example)",
        "025" => "duplicate interchange control number",
        "026" => "invalid data element separator",
        "027" => "invalid component element separator",
        "028" => "invalid delivery date in a deferred delivery request",
        "029" => "invalid delivery time in a deferred delivery request",
        "030" => "invalid delivery time code in a deferred delivery request",
        "031" => "invalid grade of service code",
        _ => return None,
    })
}

fn edifact_error(code: &str) -> Option<&'static str> {
    Some(match code {
        // Syntax versions 1 and 2 (still sent by some partners).
        "1" => "UNA not supported",
        "2" => "syntax version or level not supported",
        "3" => "message version or release not supported",
        "4" => "service segment missing or invalid",
        "5" => "trailer check in error (counts or references)",
        "6" => "data segment missing or invalid",
        "7" => "interchange recipient is not the actual recipient",
        "8" => "too many data elements in segment",
        "9" => "mandatory data element missing",
        "10" => "data element attribute error",
        "11" => "password invalid",
        // Syntax versions 3 and 4.
        "12" => "invalid value",
        "13" => "missing",
        "14" => "value not supported in this position",
        "15" => "not supported in this position",
        "16" => "too many constituents",
        "17" => "no agreement",
        "18" => "unspecified error",
        "19" => "invalid decimal notation",
        "20" => "character invalid as service character",
        "21" => "invalid character(s)",
        "22" => "invalid service character(s)",
        "23" => "unknown interchange sender",
        "24" => "too old",
        "25" => "test indicator not supported",
        "26" => "duplicate detected",
        "27" => "security function not supported",
        "28" => "references do not match",
        "29" => "control count does not match the number of instances received",
        "30" => "functional groups and messages mixed",
        "31" => "more than one message type in group",
        "32" => "lower level empty",
        "33" => "invalid occurrence outside message, package or group",
        "34" => "nesting indicator not allowed",
        "35" => "too many segment repetitions",
        "36" => "too many segment group repetitions",
        "37" => "invalid type of character(s)",
        "38" => "missing digit in front of decimal sign",
        "39" => "data element too long",
        "40" => "data element too short",
        "41" => "permanent communication network error",
        "42" => "temporary communication network error",
        "43" => "unknown interchange recipient",
        "45" => "trailing separator",
        "46" => "character set not supported",
        "47" => "envelope functionality not supported",
        "48" => "dependency condition violated",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the shipped grammars allow has words of its own: a list the grammar grows
    /// without this table would print "not a code" for a code the partner may send.
    #[test]
    fn every_code_the_grammars_allow_has_a_meaning() {
        let set = crate::grammar::GrammarSet::builtin().expect("built-in grammars");
        let checks = [
            ("004010", "997", "AK9", 5, Kind::X12Group),
            ("004010", "997", "AK5", 2, Kind::X12Set),
            ("004010", "997", "AK3", 4, Kind::X12Segment),
            ("004010", "997", "AK4", 3, Kind::X12Element),
            ("005010", "997", "AK5", 2, Kind::X12Set),
            ("005010", "997", "AK3", 4, Kind::X12Segment),
            ("005010", "997", "AK4", 3, Kind::X12Element),
            ("005010", "999", "IK5", 2, Kind::X12Set),
            ("005010", "999", "IK3", 4, Kind::X12Segment),
            ("005010", "999", "IK4", 3, Kind::X12Element),
            ("004010", "TA1", "TA1", 5, Kind::Ta1Note),
        ];
        for (version, set_id, tag, n, kind) in checks {
            let (g, _) = set.x12(version, set_id).expect("grammar");
            let def = g.dictionary.get(tag).expect("segment in the dictionary");
            let crate::grammar::Item::Simple(e) = &def.elements[n - 1].item else {
                panic!("{version} {tag}{n:02} is a simple element");
            };
            let codes = &e
                .codes
                .as_ref()
                .unwrap_or_else(|| panic!("{version} {tag}{n:02} has a code list"))
                .codes;
            assert!(!codes.is_empty());
            for c in codes {
                let m = code(kind, c).meaning;
                assert!(!m.contains("not a code"), "{version} {tag}{n:02} '{c}'");
            }
        }
    }

    #[test]
    fn unknown_codes_are_kept_and_said_to_be_unknown() {
        let c = code(Kind::Ta1Note, "099");
        assert_eq!(c.code, "099");
        assert_eq!(
            c.meaning,
            "'099' is not a code of X12 element I18 (interchange note)"
        );
    }
}
