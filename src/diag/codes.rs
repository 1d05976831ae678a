//! The one table from our finding codes to the codes a partner reads in an acknowledgment.
//!
//! Phase: findings → acknowledgment codes. Every [`Code`] has one row: its level, the X12 code
//! a 997 or TA1 carries (AK304, AK403, AK502, AK905 or TA105, by level), the code a 999
//! (005010X231A1) carries (IK304, IK403, IK502, or AK905), and the EDIFACT syntax error code
//! (data element 0085) a CONTRL carries in UCI, UCF, UCM, UCS or UCD. The README's "What the
//! partner reads" is this table, and a test keeps the two equal.
//!
//! ```
//! use tallyman::diag::Code;
//! assert_eq!(Code::ElementTooLong.x12_code(), Some("5")); // AK403 5
//! assert_eq!(Code::ElementTooLong.x12_999_code(), Some("5")); // IK403 5
//! assert_eq!(Code::ElementTooLong.edifact_code(), Some("39")); // 0085 39
//! assert_eq!(Code::BusinessRule.x12_code(), None); // not syntax: in no ack
//! ```
//!
//! Business-rule rejections, duplicates and conflicts are not syntax errors: they have no code
//! here, and no acknowledgment reports them.

use super::{Code, Level};

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRow {
    pub code: Code,
    /// 997 and TA1: AK304, AK403, AK502, AK905 or TA105, by the code's level.
    pub x12: Option<&'static str>,
    /// 999 (005010X231A1): IK304, IK403, IK502 or AK905; interchange codes go in the TA1.
    pub x12_999: Option<&'static str>,
    /// EDIFACT 0085 (syntax error, coded) in a CONTRL.
    pub edifact: Option<&'static str>,
}

impl Code {
    /// Every code, in declaration order (the README table's order).
    pub const ALL: &'static [Code] = &[
        Code::Syntax,
        Code::InvalidInterchangeHeader,
        Code::InterchangeControlMismatch,
        Code::GroupCountMismatch,
        Code::InterchangeTrailerMissing,
        Code::DuplicateInterchange,
        Code::SegmentOutsideEnvelope,
        Code::GroupNotSupported,
        Code::VersionNotSupported,
        Code::GroupTrailerMissing,
        Code::GroupControlMismatch,
        Code::TransactionCountMismatch,
        Code::GroupControlInvalid,
        Code::InvalidGroupHeader,
        Code::SetNotSupported,
        Code::TransactionTrailerMissing,
        Code::TransactionControlMismatch,
        Code::SegmentCountMismatch,
        Code::InvalidSetId,
        Code::InvalidTransactionControl,
        Code::DuplicateTransactionControl,
        Code::EnvelopeRejected,
        Code::UnrecognizedSegment,
        Code::UnexpectedSegment,
        Code::MandatorySegmentMissing,
        Code::LoopOverMaximum,
        Code::SegmentOverMaximum,
        Code::SegmentNotInSet,
        Code::SegmentOutOfSequence,
        Code::MandatoryElementMissing,
        Code::ConditionalElementMissing,
        Code::TooManyElements,
        Code::ElementTooShort,
        Code::ElementTooLong,
        Code::InvalidCharacter,
        Code::InvalidCode,
        Code::InvalidDate,
        Code::InvalidTime,
        Code::ExclusionViolated,
        Code::TooManyRepetitions,
        Code::TooManyComponents,
        Code::ElementNotUsed,
        Code::CodeNotInGuide,
        Code::SegmentNotUsed,
        Code::VersionFallback,
        Code::Mapping,
        Code::InvalidRow,
        Code::BusinessRule,
        Code::ConflictingDocument,
        Code::DuplicateDocument,
        Code::WrongChannel,
        Code::UnreadableFile,
        Code::LimitExceeded,
    ];

    /// This code's row of the table.
    pub fn row(self) -> CodeRow {
        use Code::*;
        // (997/TA1, 999, 0085). The 0085 codes are ISO 9735's: 12 invalid value, 13 missing,
        // 14 value not supported in this position, 15 not supported in this position,
        // 16 too many constituents, 18 unspecified error, 21 invalid character(s),
        // 26 duplicate detected, 28 references do not match, 29 control count does not
        // match, 33 invalid occurrence outside message, package or group, 35 too many
        // segment repetitions, 36 too many segment group repetitions, 39 data element too
        // long, 40 data element too short.
        let (x12, x12_999, edifact) = match self {
            // Unreadable bytes: in X12 nothing of the interchange can be trusted (no TA1
            // code says "unreadable"); in EDIFACT the unreadable segment is reported.
            Syntax => (None, None, Some("18")),
            InvalidInterchangeHeader => (Some("024"), None, Some("12")),
            InterchangeControlMismatch => (Some("001"), None, Some("28")),
            GroupCountMismatch => (Some("021"), None, Some("29")),
            InterchangeTrailerMissing => (Some("023"), None, Some("13")),
            DuplicateInterchange => (Some("025"), None, Some("26")),
            SegmentOutsideEnvelope => (Some("024"), None, Some("33")),
            // GS01 and GS08 are X12's: an EDIFACT interchange never has these findings.
            GroupNotSupported => (Some("1"), Some("1"), None),
            VersionNotSupported => (Some("2"), Some("2"), None),
            GroupTrailerMissing => (Some("3"), Some("3"), Some("13")),
            GroupControlMismatch => (Some("4"), Some("4"), Some("28")),
            TransactionCountMismatch => (Some("5"), Some("5"), Some("29")),
            GroupControlInvalid => (Some("6"), Some("6"), Some("12")),
            // No AK905 code names a bad GS date or id: the group is rejected without one.
            InvalidGroupHeader => (None, None, Some("12")),
            SetNotSupported => (Some("1"), Some("1"), Some("14")),
            TransactionTrailerMissing => (Some("2"), Some("2"), Some("13")),
            TransactionControlMismatch => (Some("3"), Some("3"), Some("28")),
            SegmentCountMismatch => (Some("4"), Some("4"), Some("29")),
            InvalidSetId => (Some("6"), Some("6"), Some("12")),
            InvalidTransactionControl => (Some("7"), Some("7"), Some("12")),
            DuplicateTransactionControl => (Some("23"), Some("23"), Some("26")),
            // Says only that an envelope rejected the set; the envelope's code says why.
            EnvelopeRejected => (None, None, None),
            UnrecognizedSegment => (Some("1"), Some("1"), Some("15")),
            UnexpectedSegment => (Some("2"), Some("2"), Some("15")),
            MandatorySegmentMissing => (Some("3"), Some("3"), Some("13")),
            LoopOverMaximum => (Some("4"), Some("4"), Some("36")),
            SegmentOverMaximum => (Some("5"), Some("5"), Some("35")),
            SegmentNotInSet => (Some("6"), Some("6"), Some("15")),
            SegmentOutOfSequence => (Some("7"), Some("7"), Some("15")),
            MandatoryElementMissing => (Some("1"), Some("1"), Some("13")),
            ConditionalElementMissing => (Some("2"), Some("2"), Some("13")),
            TooManyElements => (Some("3"), Some("3"), Some("16")),
            ElementTooShort => (Some("4"), Some("4"), Some("40")),
            ElementTooLong => (Some("5"), Some("5"), Some("39")),
            InvalidCharacter => (Some("6"), Some("6"), Some("21")),
            InvalidCode => (Some("7"), Some("7"), Some("12")),
            InvalidDate => (Some("8"), Some("8"), Some("12")),
            InvalidTime => (Some("9"), Some("9"), Some("12")),
            ExclusionViolated => (Some("10"), Some("10"), Some("15")),
            TooManyRepetitions => (Some("12"), Some("12"), Some("16")),
            TooManyComponents => (Some("13"), Some("13"), Some("16")),
            ElementNotUsed => (Some("10"), Some("I10"), Some("15")),
            CodeNotInGuide => (Some("7"), Some("I6"), Some("12")),
            SegmentNotUsed => (Some("2"), Some("I4"), Some("15")),
            VersionFallback | Mapping | InvalidRow | BusinessRule | ConflictingDocument
            | DuplicateDocument | WrongChannel | UnreadableFile | LimitExceeded => {
                (None, None, None)
            }
        };
        CodeRow {
            code: self,
            x12,
            x12_999,
            edifact,
        }
    }

    /// The level this code is about.
    pub fn level(self) -> Level {
        use Code::*;
        match self {
            Syntax => Level::File,
            InvalidInterchangeHeader
            | InterchangeControlMismatch
            | GroupCountMismatch
            | InterchangeTrailerMissing
            | DuplicateInterchange
            | SegmentOutsideEnvelope => Level::Interchange,
            GroupNotSupported
            | VersionNotSupported
            | GroupTrailerMissing
            | GroupControlMismatch
            | TransactionCountMismatch
            | GroupControlInvalid
            | InvalidGroupHeader => Level::Group,
            SetNotSupported
            | TransactionTrailerMissing
            | TransactionControlMismatch
            | SegmentCountMismatch
            | InvalidSetId
            | InvalidTransactionControl
            | DuplicateTransactionControl
            | EnvelopeRejected
            | VersionFallback
            | Mapping
            | InvalidRow
            | BusinessRule
            | ConflictingDocument
            | DuplicateDocument
            | WrongChannel
            | LimitExceeded => Level::Transaction,
            UnreadableFile => Level::File,
            UnrecognizedSegment
            | UnexpectedSegment
            | MandatorySegmentMissing
            | LoopOverMaximum
            | SegmentOverMaximum
            | SegmentNotInSet
            | SegmentOutOfSequence
            | SegmentNotUsed => Level::Segment,
            MandatoryElementMissing
            | ConditionalElementMissing
            | TooManyElements
            | ElementTooShort
            | ElementTooLong
            | InvalidCharacter
            | InvalidCode
            | InvalidDate
            | InvalidTime
            | ExclusionViolated
            | TooManyRepetitions
            | TooManyComponents
            | ElementNotUsed
            | CodeNotInGuide => Level::Element,
        }
    }

    /// The X12 acknowledgment code: AK304 for segments, AK403 for elements, AK502 for
    /// transaction sets, AK905 for groups, TA105 for interchanges; `None` when there is none.
    /// The AK403 codes 12 and 13 are 005010's: see [`Code::x12_code_in`].
    pub fn x12_code(self) -> Option<&'static str> {
        self.row().x12
    }

    /// [`Code::x12_code`] as a 997 of group version `version` (GS08) may say it: before
    /// 005010, AK403 has no 12 (too many repetitions) or 13 (too many components), and both
    /// are reported as 3 (too many data elements), the nearest code that version has.
    pub fn x12_code_in(self, version: &str) -> Option<&'static str> {
        match self.x12_code() {
            Some("12" | "13") if self.level() == Level::Element && version < "005010" => Some("3"),
            c => c,
        }
    }

    /// The 999 (005010X231A1) code: IK304 for segments, IK403 for elements, IK502 for
    /// transaction sets, AK905 for groups; `None` for interchange codes (the TA1 carries
    /// those) and for what is not syntax.
    pub fn x12_999_code(self) -> Option<&'static str> {
        self.row().x12_999
    }

    /// The EDIFACT syntax error code (0085) a CONTRL carries; `None` when there is none.
    pub fn edifact_code(self) -> Option<&'static str> {
        self.row().edifact
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_once_in_the_table() {
        let seen: HashSet<Code> = Code::ALL.iter().copied().collect();
        assert_eq!(seen.len(), Code::ALL.len());
        for &c in Code::ALL {
            assert_eq!(c.row().code, c);
        }
    }

    #[test]
    fn codes_are_legal_for_their_element() {
        // TA105 (I18) is three digits; 720/723/718/716 and 0085 are an..3.
        for &c in Code::ALL {
            let row = c.row();
            if let Some(x) = row.x12 {
                match c.level() {
                    Level::Interchange => assert!(x.len() == 3, "{c:?}"),
                    _ => assert!((1..=3).contains(&x.len()), "{c:?}"),
                }
            }
            for v in [row.x12_999, row.edifact].into_iter().flatten() {
                assert!((1..=3).contains(&v.len()), "{c:?}");
                assert!(v.bytes().all(|b| b.is_ascii_alphanumeric()), "{c:?}");
            }
            // A 999 reports what a 997 reports, except interchange codes (TA1) and what
            // only a partner's guide forbids, for which the 999 has implementation codes of
            // its own (I10, I6, I4) and the 997 only the nearest (10, 7, 2).
            let guide = [
                (Code::ElementNotUsed, "10", "I10"),
                (Code::CodeNotInGuide, "7", "I6"),
                (Code::SegmentNotUsed, "2", "I4"),
            ];
            if let Some((_, x12, x999)) = guide.iter().find(|g| g.0 == c) {
                assert_eq!((row.x12, row.x12_999), (Some(*x12), Some(*x999)));
            } else if c.level() != Level::Interchange {
                assert_eq!(row.x12, row.x12_999, "{c:?}");
            } else {
                assert_eq!(row.x12_999, None, "{c:?}");
            }
        }
    }

    #[test]
    fn what_is_not_syntax_is_in_no_ack() {
        for c in [
            Code::BusinessRule,
            Code::ConflictingDocument,
            Code::DuplicateDocument,
            Code::Mapping,
            Code::VersionFallback,
            Code::WrongChannel,
        ] {
            let row = c.row();
            assert_eq!((row.x12, row.x12_999, row.edifact), (None, None, None));
        }
    }

    #[test]
    fn codes_new_in_005010_fall_back_before_it() {
        assert_eq!(Code::TooManyComponents.x12_code_in("005010"), Some("13"));
        assert_eq!(Code::TooManyRepetitions.x12_code_in("004010"), Some("3"));
        assert_eq!(Code::InvalidCode.x12_code_in("004010"), Some("7"));
        // The group and set codes "12"/"13" do not exist, but the rule is by level anyway.
        assert_eq!(
            Code::DuplicateTransactionControl.x12_code_in("004010"),
            Some("23")
        );
    }

    #[test]
    fn some_codes() {
        assert_eq!(Code::DuplicateInterchange.x12_code(), Some("025"));
        assert_eq!(Code::SegmentCountMismatch.edifact_code(), Some("29"));
        assert_eq!(Code::MandatorySegmentMissing.x12_999_code(), Some("3"));
        assert_eq!(Code::UnreadableFile.edifact_code(), None);
    }
}
