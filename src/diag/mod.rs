//! Findings: what validation and mapping say about a document, with positions and codes.
//!
//! Every finding carries the byte offset, the segment index and tag, the element position, and the
//! control numbers of its interchange, group and transaction set, so that an operator can find
//! the spot in the file and the partner can find the document in their system. Its [`Code`] maps
//! onto the codes of an X12 997 (AK3/AK4/AK5/AK9) or TA1, so acknowledgments are generated from
//! findings, not from messages.
//!
//! ```
//! use tallyman::diag::{Code, Finding};
//! let f = Finding::error(Code::SegmentCountMismatch, "SE01 says 12 segments, the set has 11")
//!     .at(240, 14, "SE");
//! assert_eq!(f.to_string(), "240: segment 14 (SE): SE01 says 12 segments, the set has 11");
//! ```

mod codes;

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Rejects what the finding is about (in `strict` mode; `lenient` keeps grammar errors as
    /// warnings).
    Error,
    /// Reported; the document goes on.
    Warning,
}

/// The level a finding is about, which is also what it rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The file as a whole (unreadable bytes, an unknown format, a feed's header row).
    File,
    /// An interchange (ISA..IEA, UNB..UNZ): it rejects every document inside.
    Interchange,
    /// A functional group (GS..GE, UNG..UNE): it rejects every document inside.
    Group,
    /// A transaction set or message (ST..SE, UNH..UNT), or one order of a feed.
    Transaction,
    /// One segment of a transaction set.
    Segment,
    /// One element (or component) of a segment.
    Element,
}

/// What a finding says, as a code that maps onto X12 acknowledgment codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Code {
    // File and interchange (TA1 I18 codes where one exists).
    /// Bytes that cannot be read as segments.
    Syntax,
    /// An ISA field is malformed (length, characters, code).
    InvalidInterchangeHeader,
    /// IEA02 differs from ISA13 (TA1 001).
    InterchangeControlMismatch,
    /// IEA01 differs from the number of groups (TA1 021).
    GroupCountMismatch,
    /// The interchange has no IEA trailer (TA1 023).
    InterchangeTrailerMissing,
    /// An ISA13 repeats in the same file.
    DuplicateInterchange,
    /// A segment appears where only envelope segments may be.
    SegmentOutsideEnvelope,

    // Functional group (AK9/AK905).
    /// GS01 is not the functional code of the set inside it, or is unknown (AK905 1).
    GroupNotSupported,
    /// GS08/ST03 names a version we have no grammar for (AK905 2).
    VersionNotSupported,
    /// The group has no GE trailer (AK905 3).
    GroupTrailerMissing,
    /// GE02 differs from GS06 (AK905 4).
    GroupControlMismatch,
    /// GE01 differs from the number of transaction sets (AK905 5).
    TransactionCountMismatch,
    /// GS06 is not a valid control number, or repeats in the interchange (AK905 6).
    GroupControlInvalid,
    /// A GS field is malformed.
    InvalidGroupHeader,

    // Transaction set (AK5/AK502).
    /// A set we recognize but do not map (855, 860...) or do not know (AK502 1).
    SetNotSupported,
    /// The set has no SE trailer (AK502 2).
    TransactionTrailerMissing,
    /// SE02 differs from ST02 (AK502 3).
    TransactionControlMismatch,
    /// SE01 differs from the number of segments (AK502 4).
    SegmentCountMismatch,
    /// ST01 is missing or not a set id (AK502 6).
    InvalidSetId,
    /// ST02 is missing or malformed (AK502 7).
    InvalidTransactionControl,
    /// ST02 repeats in the group (AK502 23).
    DuplicateTransactionControl,
    /// The set is rejected because an envelope around it is (the envelope finding says why).
    EnvelopeRejected,

    // Segment (AK3/AK304).
    /// The tag is not a segment of the dictionary (AK304 1).
    UnrecognizedSegment,
    /// A known segment where the structure does not allow it (AK304 2).
    UnexpectedSegment,
    /// A mandatory segment is missing (AK304 3).
    MandatorySegmentMissing,
    /// A loop repeats more often than allowed (AK304 4).
    LoopOverMaximum,
    /// A segment repeats more often than allowed (AK304 5).
    SegmentOverMaximum,
    /// The segment is not part of this transaction set (AK304 6).
    SegmentNotInSet,
    /// The segment is in the set but out of order (AK304 7).
    SegmentOutOfSequence,

    // Element (AK4/AK403).
    /// A mandatory element is empty (AK403 1).
    MandatoryElementMissing,
    /// A syntax note requires this element (AK403 2).
    ConditionalElementMissing,
    /// More elements than the segment defines (AK403 3).
    TooManyElements,
    /// Shorter than the minimum length (AK403 4).
    ElementTooShort,
    /// Longer than the maximum length (AK403 5).
    ElementTooLong,
    /// Characters the element type does not allow (AK403 6).
    InvalidCharacter,
    /// Not one of the element's codes (AK403 7).
    InvalidCode,
    /// Not a real date (AK403 8).
    InvalidDate,
    /// Not a real time (AK403 9).
    InvalidTime,
    /// A syntax note forbids this element with another (AK403 10).
    ExclusionViolated,
    /// More repetitions than allowed (AK403 12).
    TooManyRepetitions,
    /// More components than the composite has (AK403 13).
    TooManyComponents,
    /// A value where the partner's implementation guide says the element is not used (997
    /// AK403 10, the nearest code before implementation codes; 999 IK403 I10).
    ElementNotUsed,
    /// A code the standard allows but the partner's implementation guide does not (997
    /// AK403 7, as for any invalid code; 999 IK403 I6, "code value not used in
    /// implementation").
    CodeNotInGuide,
    /// A segment or loop the partner's implementation guide says is not used (997 AK304 2,
    /// "unexpected segment"; 999 IK304 I4, "implementation 'not used' segment present").
    SegmentNotUsed,

    // Translation.
    /// The grammar used is the nearest one to the version sent.
    VersionFallback,
    /// The document lacks something the canonical model needs (a number, a line...).
    Mapping,
    /// A feed row or field cannot be read (bad number, date, quoting, field count).
    InvalidRow,

    // Batch run.
    /// A business rule after grammar validation fails (quantity, totals, check digit...).
    BusinessRule,
    /// Same identity as a document accepted earlier, different content: never applied.
    ConflictingDocument,
    /// Same identity and content as a document accepted earlier: skipped.
    DuplicateDocument,
    /// The document does not come from the channel's partner, or not to us, or not in the
    /// channel's version: the file was dropped in the wrong place.
    WrongChannel,
    /// The file could not be read or holds nothing tallyman can translate.
    UnreadableFile,
    /// A unit of input is larger than a resource limit allows (see `limits`).
    LimitExceeded,
}

/// Control numbers of the envelope a finding is in (ISA13, GS06, ST02).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Controls {
    /// The interchange control number (ISA13, UNB 0020).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interchange: Option<String>,
    /// The group control number (GS06, UNG 0048).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The transaction set or message control number (ST02, UNH 0062).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
}

impl Controls {
    /// True when no control number is known (a feed, or bytes before any envelope).
    pub fn is_empty(&self) -> bool {
        self.interchange.is_none() && self.group.is_none() && self.transaction.is_none()
    }
}

impl fmt::Display for Controls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        write!(
            f,
            "[{}/{}/{}]",
            part(&self.interchange),
            part(&self.group),
            part(&self.transaction)
        )
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Whether it rejects what it is about.
    pub severity: Severity,
    /// What it says, as a code (the acknowledgments' codes are derived from it).
    pub code: Code,
    /// Absolute byte offset in the file.
    pub offset: usize,
    /// 0-based index of the segment in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_index: Option<usize>,
    /// 1-based position of the segment within its transaction set (the 997's AK302).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment_position: Option<usize>,
    /// The tag of the segment it is about (`BEG`, `UNH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// 1-based element position (`BEG03` is 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub element: Option<usize>,
    /// 1-based component position inside a composite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<usize>,
    /// The loop the segment is in, when known (`PO1`, `N1`, `HL`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_id: Option<String>,
    /// 1-based line of a feed row (the header is row 1), for CSV and TSV feeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The feed column (header name) or XML element path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The control numbers of the envelopes it is in.
    #[serde(default, skip_serializing_if = "Controls::is_empty")]
    pub controls: Controls,
    /// A copy of the bad value of an element finding (the 997's AK404, the CONTRL's
    /// reading of it): at most 99 characters, control characters left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// For a mandatory segment that is missing, its tag (a loop's first segment): the 997's
    /// AK301 names it, while `segment` is where its absence was noticed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// What is wrong and what to do, in plain words.
    pub message: String,
}

/// The most characters of a bad value a finding keeps: AK404 (724) holds at most 99.
pub const VALUE_CAP: usize = 99;

impl Finding {
    /// A finding at byte 0 with nothing placed yet; the builder methods below place it.
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Finding {
            severity,
            code,
            offset: 0,
            segment_index: None,
            segment_position: None,
            segment: None,
            element: None,
            component: None,
            loop_id: None,
            row: None,
            column: None,
            controls: Controls::default(),
            value: None,
            missing: None,
            message: message.into(),
        }
    }

    /// Places the finding at a feed row (and column) starting at byte `offset`.
    pub fn at_row(mut self, offset: usize, row: u64, column: Option<&str>) -> Self {
        self.offset = offset;
        self.row = Some(row);
        self.column = column.map(str::to_string);
        self
    }

    /// A finding of [`Severity::Error`].
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Finding::new(Severity::Error, code, message)
    }

    /// A finding of [`Severity::Warning`].
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Finding::new(Severity::Warning, code, message)
    }

    /// Places the finding at a segment.
    pub fn at(mut self, offset: usize, segment_index: usize, tag: impl Into<String>) -> Self {
        self.offset = offset;
        self.segment_index = Some(segment_index);
        self.segment = Some(tag.into());
        self
    }

    /// Places the finding at a byte offset only.
    pub fn at_offset(mut self, offset: usize) -> Self {
        self.offset = offset;
        self
    }

    /// Places the finding at an element (1-based).
    pub fn element(mut self, position: usize) -> Self {
        self.element = Some(position);
        self
    }

    /// Places the finding at a component of a composite element (1-based).
    pub fn component(mut self, position: usize) -> Self {
        self.component = Some(position);
        self
    }

    /// Keeps a copy of the bad value: control characters are left out (an acknowledgment
    /// must not carry them, and they were the finding's point, not the value's), then it is
    /// cut at 99 characters; an empty copy is none.
    pub fn with_value(mut self, value: &str) -> Self {
        let copy: String = value
            .chars()
            .filter(|c| !c.is_control())
            .take(VALUE_CAP)
            .collect();
        self.value = (!copy.is_empty()).then_some(copy);
        self
    }

    /// Records the control numbers of the envelopes the finding is in.
    pub fn with_controls(mut self, controls: &Controls) -> Self {
        self.controls = controls.clone();
        self
    }

    /// True when it rejects what it is about.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The 1-based line of byte `offset` in `text`: where an error in a file a person wrote (a
/// configuration, an export profile, an implementation guide) is reported.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl fmt::Display for Finding {
    /// `OFFSET: segment N (TAG) [ISA13/GS06/ST02]: message` — the file name is put in front by
    /// whoever knows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.offset)?;
        if let Some(r) = self.row {
            write!(f, ": row {r}")?;
            if let Some(c) = &self.column {
                write!(f, " ({c})")?;
            }
        }
        if let Some(i) = self.segment_index {
            write!(f, ": segment {i}")?;
            if let Some(tag) = &self.segment {
                write!(f, " ({tag})")?;
            }
        }
        if !self.controls.is_empty() {
            write!(f, " {}", self.controls)?;
        }
        if self.severity == Severity::Warning {
            write!(f, ": warning")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The last panic [`note_panic`] saw: its message and where in the code it was raised.
static LAST_PANIC: std::sync::Mutex<Option<(String, String)>> = std::sync::Mutex::new(None);

/// The message a panic was raised with (`panic!("...")`, an `expect`), or `"no message"`.
fn payload_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

/// For the panic hook: the panic's message and place (`MESSAGE, at src/FILE.rs:LINE:COL`),
/// remembered for [`panic_text`], which is given only the payload where the panic is caught
/// (often on another thread).
pub fn note_panic(info: &std::panic::PanicHookInfo<'_>) -> String {
    let message = payload_text(info.payload()).to_owned();
    let place = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    let text = if place.is_empty() {
        message.clone()
    } else {
        format!("{message}, at {place}")
    };
    if let Ok(mut last) = LAST_PANIC.lock() {
        *last = Some((message, place));
    }
    text
}

/// What a report says of a caught panic: its message, and the place in the code when the
/// hook noted a panic with that message last (see [`note_panic`]).
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    let message = payload_text(panic);
    let place = LAST_PANIC.lock().ok().and_then(|last| {
        last.as_ref()
            .filter(|(m, p)| m == message && !p.is_empty())
            .map(|(_, p)| p.clone())
    });
    match place {
        Some(p) => format!("{message}, at {p}"),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_read_back_from_their_json() {
        // Runs spool findings as JSON lines and read them back for the reports.
        let mut f = Finding::warning(Code::BusinessRule, "line 2 '\u{1b}' \n")
            .at(120, 7, "PO1")
            .element(2)
            .with_controls(&Controls {
                interchange: Some("000000001".into()),
                group: None,
                transaction: Some("0001".into()),
            });
        f.row = Some(3);
        f.value = Some("12.5X".into());
        f.column = Some("Lineitem price".into());
        let bare = Finding::error(Code::UnreadableFile, "x");
        for f in [f, bare] {
            let json = serde_json::to_string(&f).unwrap();
            assert!(!json.contains('\n'), "one line: {json}");
            assert_eq!(serde_json::from_str::<Finding>(&json).unwrap(), f);
        }
    }

    #[test]
    fn display_with_controls_and_warning() {
        let c = Controls {
            interchange: Some("000000001".into()),
            group: Some("1".into()),
            transaction: Some("0001".into()),
        };
        let f = Finding::warning(Code::VersionFallback, "validated as 004010")
            .at(120, 2, "ST")
            .with_controls(&c);
        assert_eq!(
            f.to_string(),
            "120: segment 2 (ST) [000000001/1/0001]: warning: validated as 004010"
        );
    }

    #[test]
    fn a_bad_value_is_capped_and_has_no_control_characters() {
        let f = Finding::error(Code::ElementTooLong, "x").with_value(&"A\u{0}B\n".repeat(80));
        let v = f.value.unwrap();
        assert_eq!(v.chars().count(), VALUE_CAP);
        assert!(v.chars().all(|c| c == 'A' || c == 'B'), "{v}");
        assert_eq!(
            Finding::error(Code::InvalidCode, "x")
                .with_value("\u{1}")
                .value,
            None
        );
        let json = serde_json::to_string(&Finding::error(Code::InvalidCode, "x")).unwrap();
        assert!(!json.contains("value"), "{json}");
    }

    #[test]
    fn codes_map_to_997() {
        assert_eq!(Code::SegmentCountMismatch.x12_code(), Some("4"));
        assert_eq!(Code::InvalidCode.x12_code(), Some("7"));
        assert_eq!(Code::InvalidCode.level(), Level::Element);
        assert_eq!(Code::Mapping.x12_code(), None);
    }
}
