//! The onboarding report: what a run would do with a partner's sample files, without running.
//!
//! Phase: beside the run, for people. Each file is translated as the run translates it under
//! the channel's settings ([`super::file`]'s checks: strictness, envelope relaxation, the
//! channel's partner id, our id and version, the business rules, a file in the wrong format),
//! and the verdicts, findings, canonical documents and acknowledgments are gathered into one
//! [`Report`], which the command line renders for a terminal, as JSON or as HTML. The report is
//! built once; its renderings only read it. Nothing is written, no ledger is opened: repeats of
//! interchanges or documents a run has already seen are the one thing a check cannot tell.
//!
//! A second, whole-file pass over each X12 or EDIFACT file places every segment in its grammar
//! ([`coverage`]): which segments, loops and code values the partner actually sends, against
//! what the grammar (and, once overlays are plugged in, the partner's guide) allows.
//!
//! The JSON rendering is the serde form of [`Report`]; its fields are documented on the
//! structs, and [`SCHEMA_VERSION`] changes when a field changes meaning or goes away (adding a
//! field does not change it).
//!
//! ```
//! use tallyman::pipeline::check::{Setting, check_file};
//! use tallyman::pipeline::settings::ChannelFormat;
//! let setting = Setting::adhoc(Some(ChannelFormat::X12), None, Default::default(), false, None);
//! let grammars = tallyman::pipeline::check::grammars_for(tallyman::GrammarSet::builtin().unwrap(), &setting).unwrap();
//! let profiles = tallyman::Profiles::builtin().unwrap();
//! let bytes = std::fs::read("samples/x12/850-northwind.edi").unwrap();
//! let mut coverage = tallyman::pipeline::check::coverage::Gatherer::new();
//! let file = check_file("850-northwind.edi", &bytes, &setting, &grammars, &profiles, &mut coverage);
//! assert_eq!(file.verdict, tallyman::pipeline::check::Verdict::Accepted);
//! ```

pub mod coverage;
mod edi;

use super::settings::{Channel, ChannelFormat};
use crate::ack::{AckKind, Ta1Policy};
use crate::diag::{Code, Finding, Level};
use crate::feeds::Profiles;
use crate::grammar::{GrammarSet, Strictness};
use crate::map::{Options, Status};
use crate::translate::Format;
use serde::Serialize;
use serde_json::value::RawValue;

/// The version of the JSON schema of [`Report`]: raised when a field changes meaning or is
/// removed; new fields may appear without it changing.
pub const SCHEMA_VERSION: u32 = 1;

/// What a check validates against: a configured channel, or one described on the command line.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The channel, as a run would use it (for a command-line setting, one made up from the
    /// flags, with no partner or receiver id and no drop folder).
    pub channel: Channel,
    /// True when `channel` comes from a configuration file.
    pub configured: bool,
    /// True when the channel's expected format was given (a configured channel always has one;
    /// on the command line, `--format`).
    pub format_given: bool,
    /// The resource limits a run reads files with (the configuration's `[limits]`).
    pub limits: crate::syntax::limits::Limits,
}

impl Setting {
    /// A setting described on the command line: the expected format (detected when `None`),
    /// version, strictness, envelope relaxation and acknowledgment (`None`: a 997 for X12 and
    /// a CONTRL for EDIFACT, as the partner would most likely be sent).
    pub fn adhoc(
        format: Option<ChannelFormat>,
        version: Option<String>,
        strictness: Strictness,
        relax_envelope: bool,
        acks: Option<AckKind>,
    ) -> Setting {
        Setting {
            channel: Channel {
                id: String::new(),
                format: format.unwrap_or(ChannelFormat::X12),
                version,
                partner_id: None,
                our_id: None,
                inbound: Default::default(),
                strictness,
                relax_envelope,
                profile: None,
                keep_inputs: false,
                output: Vec::new(),
                // A folder is what makes a run send acknowledgments: a check only shows them.
                outbound: Some(Default::default()),
                acks: acks.unwrap_or(match format {
                    Some(ChannelFormat::Edifact) => AckKind::Contrl,
                    Some(ChannelFormat::Feed) => AckKind::None,
                    // Detected later: `ack_kind` picks the CONTRL for an EDIFACT file.
                    _ => AckKind::Fa997,
                }),
                ta1: Ta1Policy::Requested,
                delimiters: None,
                send: None,
                ack_due: None,
                sftp: None,
                silence_alert: None,
                guide: None,
            },
            configured: false,
            format_given: format.is_some(),
            limits: Default::default(),
        }
    }

    /// A configured channel, read with the configuration's resource limits.
    pub fn configured(channel: &Channel, limits: crate::syntax::limits::Limits) -> Setting {
        Setting {
            channel: channel.clone(),
            configured: true,
            format_given: true,
            limits,
        }
    }

    /// The acknowledgment a run sends for a file of `format` under this setting.
    fn ack_kind(&self, format: Format) -> AckKind {
        let acks = self.channel.acks;
        if self.configured {
            return if self.channel.sends_acks() {
                acks
            } else {
                AckKind::None
            };
        }
        match (format, acks) {
            (Format::Edifact, AckKind::Fa997) if !self.format_given => AckKind::Contrl,
            (Format::Feed | Format::Unknown, _) => AckKind::None,
            (_, a) => a,
        }
    }
}

/// The grammars a check validates a channel's files with: `base` (the built-in grammars with
/// the configuration's or `--grammars` folder laid over them).
///
/// A configured channel's implementation guide is laid over them (`settings::channel_grammars`,
/// as a run does): every verdict, finding and coverage line then follows the guide, and
/// `ChannelReport::guide` names it.
pub fn grammars_for(
    base: GrammarSet,
    setting: &Setting,
) -> Result<GrammarSet, crate::grammar::guide::Error> {
    // A configured channel's guide was checked against these same grammars when the
    // configuration loaded (`config::guides`); a `--guide` is checked here.
    crate::pipeline::settings::channel_grammars(&base, &setting.channel)
}

/// The whole report: the setting, then every file in the order given.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What the files were checked against.
    pub channel: ChannelReport,
    /// One entry per file, in the order given.
    pub files: Vec<FileCheck>,
    /// Segment and code coverage per transaction set or message type and version, over all
    /// files, sorted by standard, version and type.
    pub coverage: Vec<coverage::Coverage>,
    /// Documents by verdict, over all files.
    pub totals: Totals,
}

/// The channel settings a check applied.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelReport {
    /// The channel id (`--partner`), or `null` for a setting given by flags.
    pub partner: Option<String>,
    /// The configuration file, when one was used.
    pub config: Option<String>,
    /// `x12`, `edifact` or `feed`, or `null` when detected per file.
    pub format: Option<ChannelFormat>,
    /// The version the channel expects, if any.
    pub version: Option<String>,
    /// The partner's interchange sender id the channel expects, if any.
    pub partner_id: Option<String>,
    /// Our id as the partner must address us, if any.
    pub our_id: Option<String>,
    /// `strict` (grammar errors reject) or `lenient` (they are warnings).
    pub strictness: Strictness,
    /// Whether envelope count and control-number mismatches are only warnings.
    pub relax_envelope: bool,
    /// The acknowledgment a run sends back: `997`, `999`, `contrl` or `none`; for a setting
    /// given by flags without `--acks`, `997` (a CONTRL for EDIFACT files).
    pub acks: AckKind,
    /// The implementation-guide overlay applied (its file), or `null`.
    pub guide: Option<String>,
}

impl ChannelReport {
    /// The report's description of a setting.
    pub fn of(setting: &Setting, config: Option<String>) -> Self {
        let c = &setting.channel;
        ChannelReport {
            partner: setting.configured.then(|| c.id.clone()),
            config,
            format: setting.format_given.then_some(c.format),
            version: c.version.clone(),
            partner_id: c.partner_id.clone(),
            our_id: c.our_id.clone(),
            strictness: c.strictness,
            relax_envelope: c.relax_envelope,
            acks: if setting.configured && !c.sends_acks() {
                AckKind::None
            } else {
                c.acks
            },
            guide: c.guide.as_ref().map(|g| g.file.clone()),
        }
    }
}

/// What a run would decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Accepted, nothing said.
    Accepted,
    /// Accepted, with warnings (a lenient channel's grammar errors, a version fallback...).
    AcceptedWithWarnings,
    /// An interchange, group or file some of whose documents are rejected.
    PartiallyAccepted,
    /// Rejected: nothing of it reaches the ERP.
    Rejected,
    /// A transaction set or message tallyman reads but does not translate (an 855, an
    /// APERAK): nothing reaches the ERP, the run counts it as not translated and archives its
    /// file; an interchange, group or file that holds only such sets.
    NotTranslated,
}

impl Verdict {
    /// As people read it.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::AcceptedWithWarnings => "accepted with warnings",
            Verdict::PartiallyAccepted => "partially accepted",
            Verdict::Rejected => "rejected",
            Verdict::NotTranslated => "not translated",
        }
    }

    /// The verdict of what holds `parts`, with `own_error` for an error of its own. A set a
    /// run does not translate (an 855) neither accepts nor rejects what holds it: a run
    /// archives a file of them.
    fn of_parts(own_error: bool, own_warning: bool, parts: &[Verdict]) -> Verdict {
        let judged: Vec<Verdict> = parts
            .iter()
            .copied()
            .filter(|v| *v != Verdict::NotTranslated)
            .collect();
        let rejected = judged.iter().filter(|v| **v == Verdict::Rejected).count();
        if own_error || (!judged.is_empty() && rejected == judged.len()) {
            Verdict::Rejected
        } else if judged.is_empty() && !parts.is_empty() {
            Verdict::NotTranslated
        } else if rejected > 0 || judged.contains(&Verdict::PartiallyAccepted) {
            Verdict::PartiallyAccepted
        } else if own_warning || judged.contains(&Verdict::AcceptedWithWarnings) {
            Verdict::AcceptedWithWarnings
        } else {
            Verdict::Accepted
        }
    }
}

/// Documents by verdict.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    /// Files checked (including those that could not be read).
    pub files: usize,
    /// Documents accepted without a word.
    pub accepted: usize,
    /// Documents accepted with warnings.
    pub accepted_with_warnings: usize,
    /// Documents rejected.
    pub rejected: usize,
    /// Transaction sets or messages read but not translated.
    pub not_translated: usize,
    /// Files with errors outside any document (unreadable, unknown format, broken envelopes
    /// around nothing, the wrong format for the channel).
    pub files_with_errors: usize,
}

impl Totals {
    /// Whether a run would accept everything: the check's exit code 0.
    pub fn clean(&self) -> bool {
        self.rejected == 0 && self.not_translated == 0 && self.files_with_errors == 0
    }

    fn add(&mut self, file: &FileCheck) {
        self.files += 1;
        if file.errors_outside_documents > 0 {
            self.files_with_errors += 1;
        }
        for d in file.all_documents() {
            match d.verdict {
                Verdict::Accepted => self.accepted += 1,
                Verdict::AcceptedWithWarnings => self.accepted_with_warnings += 1,
                Verdict::Rejected | Verdict::PartiallyAccepted => self.rejected += 1,
                Verdict::NotTranslated => self.not_translated += 1,
            }
        }
    }
}

/// One file.
#[derive(Debug, Clone, Serialize)]
pub struct FileCheck {
    /// The file as given on the command line.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// `x12`, `edifact`, `feed` or `unknown`.
    pub format: Format,
    /// The feed profile that read it, for feeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The versions its documents were validated in (`004010`, `D96A`), sorted, each once.
    pub versions: Vec<String>,
    /// What a run would do with the file as a whole.
    pub verdict: Verdict,
    /// Errors outside any document (the run counts the file as failed for each).
    pub errors_outside_documents: usize,
    /// Findings outside any interchange: unreadable bytes, an unknown format, the wrong format
    /// for the channel, a file with no document.
    pub findings: Vec<FindingCheck>,
    /// X12 and EDIFACT interchanges, in file order.
    pub interchanges: Vec<InterchangeCheck>,
    /// Documents outside any interchange: the orders of a feed.
    pub documents: Vec<DocumentCheck>,
}

impl FileCheck {
    /// Every document of the file, in file order.
    pub fn all_documents(&self) -> impl Iterator<Item = &DocumentCheck> {
        self.interchanges
            .iter()
            .flat_map(|i| i.groups.iter())
            .flat_map(|g| g.documents.iter())
            .chain(self.documents.iter())
    }

    /// A file whose checking a bug of ours stopped (a panic, caught by the caller): said as
    /// that file's finding, so that the other files are checked.
    pub fn internal_error(name: &str, panic: &(dyn std::any::Any + Send)) -> FileCheck {
        FileCheck::unreadable(
            name,
            format!(
                "tallyman failed while checking this file (an internal error: {}); this is a \
                 bug in tallyman, not in the file: report it with the file. The other files \
                 were checked",
                crate::diag::panic_text(panic)
            ),
        )
    }

    /// A file that could not be read: said once, nothing else known.
    pub fn unreadable(name: &str, message: String) -> FileCheck {
        FileCheck {
            name: name.to_owned(),
            size: 0,
            format: Format::Unknown,
            profile: None,
            versions: Vec::new(),
            verdict: Verdict::Rejected,
            errors_outside_documents: 1,
            // The message says what to do about a file we cannot read; it is not the partner's.
            findings: vec![FindingCheck {
                fix: None,
                ..FindingCheck::new(
                    Finding::error(Code::UnreadableFile, message),
                    AckKind::None,
                    "",
                )
            }],
            interchanges: Vec::new(),
            documents: Vec::new(),
        }
    }
}

/// One interchange (ISA..IEA, UNB..UNZ; EDIFACT messages sent without UNB sit in one with
/// `explicit` false).
#[derive(Debug, Clone, Serialize)]
pub struct InterchangeCheck {
    /// Byte offset of its header.
    pub offset: usize,
    /// Whether it has a header of its own.
    pub explicit: bool,
    /// ISA06 / UNB 0004, trimmed.
    pub sender: String,
    /// ISA08 / UNB 0010, trimmed.
    pub receiver: String,
    /// ISA13 / UNB 0020.
    pub control: String,
    /// What a run would do with it.
    pub verdict: Verdict,
    /// Its own findings (header, trailer, counts).
    pub findings: Vec<FindingCheck>,
    /// Its functional groups (EDIFACT messages without UNG sit in one with `explicit` false).
    pub groups: Vec<GroupCheck>,
    /// The acknowledgments a run would send for it.
    pub acks: Vec<AckCheck>,
}

/// One functional group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupCheck {
    /// Whether it has a header of its own (GS, UNG).
    pub explicit: bool,
    /// GS01 or UNG 0038.
    pub functional_id: String,
    /// GS06 / UNG 0048.
    pub control: String,
    /// GS08 (X12), empty for EDIFACT.
    pub version: String,
    /// What a run would do with it.
    pub verdict: Verdict,
    /// Its own findings (header, trailer, counts).
    pub findings: Vec<FindingCheck>,
    /// Its transaction sets or messages, in file order.
    pub documents: Vec<DocumentCheck>,
}

/// One transaction set, message or feed order: what a run would do with it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentCheck {
    /// Byte offset of its header (ST, UNH) or first row.
    pub offset: usize,
    /// ST01 / UNH message type (`850`, `ORDERS`), or the feed document kind.
    pub set_id: String,
    /// ST02 / UNH 0062, empty for feeds.
    pub control: String,
    /// The version it was validated in (`004010`, `D96A`), empty for feeds.
    pub version: String,
    /// What a run would do with it.
    pub verdict: Verdict,
    /// `order`, `ship_notice`, `invoice`, `acknowledgment` when it was read that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// The document's number (PO number, invoice number...) when it was read that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Every finding: envelope, grammar, mapping, channel and business rules, in file order.
    pub findings: Vec<FindingCheck>,
    /// The canonical JSON the ERP would receive, exactly as a run writes it; only for an
    /// accepted document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<Box<RawValue>>,
    /// The set's segments as read, placed in their loops, with the grammar's element names:
    /// only when asked for (the HTML page shows them; `--json` with `--html` includes them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<SegmentLine>,
}

/// One segment of a document, for its segment tree.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentLine {
    /// 0-based index of the segment in the file (findings' `segment_index`).
    pub index: usize,
    /// Byte offset in the file.
    pub offset: usize,
    /// The segment tag.
    pub tag: String,
    /// The segment's name in the grammar, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The loops it was placed in, outermost first, `/`-separated; empty at the top level.
    pub path: String,
    /// False when the grammar could not place it.
    pub placed: bool,
    /// Its elements, as a person reads them (release characters removed), empty ones left out.
    pub elements: Vec<ElementLine>,
}

/// One element value of a segment.
#[derive(Debug, Clone, Serialize)]
pub struct ElementLine {
    /// `BEG03`.
    pub id: String,
    /// The element's name in the grammar, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value, control characters shown escaped, at most 200 characters.
    pub value: String,
}

/// A finding with what the partner's acknowledgment would say of it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingCheck {
    /// The finding: `severity`, `code`, `offset`, `segment_index`, `segment_position`,
    /// `segment`, `element`, `component`, `loop_id`, `row`, `column`, `controls`, `value`,
    /// `missing`, `message` (see `diag::Finding`).
    #[serde(flatten)]
    pub finding: Finding,
    /// The level it is about: `file`, `interchange`, `group`, `transaction`, `segment`,
    /// `element`.
    pub level: Level,
    /// The loops the finding's segment sits in, outermost first (`N1`, `PO1`, `PO1/PID`),
    /// where the validator placed it; empty at the set's top level, for a segment that fits
    /// nowhere, and for findings that are not about a segment.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub loop_path: String,
    /// The acknowledgment code the partner would read, when the acknowledgment carries one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_code: Option<AckCode>,
    /// What to change, in a sentence for the partner (or, for a finding about the channel's
    /// settings, for us), when the finding's code says it; `message` has the particulars.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<&'static str>,
}

/// An acknowledgment code, where it sits and what it means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckCode {
    /// The element that carries it: `AK304`, `AK403`, `AK502`, `AK905`, `TA105`, `IK304`,
    /// `IK403`, `IK502`, or `0085` (CONTRL).
    pub element: &'static str,
    /// The code.
    pub code: &'static str,
    /// Its meaning in the standard's code list.
    pub meaning: String,
}

impl FindingCheck {
    /// A finding with the code of the acknowledgment `acks` (for X12 a 997 also when the
    /// channel sends none: it is what the partner's tools speak); `version` is the group's
    /// (GS08), for the codes 004010 lacks.
    pub fn new(finding: Finding, acks: AckKind, version: &str) -> FindingCheck {
        let level = finding.code.level();
        let ack_code = ack_code(&finding, acks, version);
        let fix = fix(finding.code);
        FindingCheck {
            finding,
            level,
            loop_path: String::new(),
            ack_code,
            fix,
        }
    }
}

/// What to change for a finding of `code`, said once per code; `None` where the finding's
/// message is all there is to say.
pub fn fix(code: Code) -> Option<&'static str> {
    use Code::*;
    Some(match code {
        Syntax | UnreadableFile => {
            "send the file again as X12 or EDIFACT (or a feed the channel's profile reads), whole"
        }
        InvalidInterchangeHeader => {
            "correct the ISA/UNB field the message names: fixed lengths and codes as the standard sets them"
        }
        InterchangeControlMismatch => "make IEA02/UNZ 0020 repeat the header's control number",
        GroupCountMismatch => "make IEA01/UNZ 0036 count the groups (or messages) it encloses",
        InterchangeTrailerMissing => {
            "end the interchange with its IEA/UNZ; a file cut short must be sent again whole"
        }
        DuplicateInterchange => "give each interchange a control number of its own",
        SegmentOutsideEnvelope => "send segments only inside their interchange, group and set",
        GroupNotSupported => "send the set in the functional group its type belongs to (GS01)",
        VersionNotSupported | VersionFallback => {
            "send the version agreed for this channel (or give us a grammar of that version)"
        }
        GroupTrailerMissing => "end the group with its GE/UNE",
        GroupControlMismatch => "make GE02/UNE 0048 repeat the group header's control number",
        TransactionCountMismatch => "make GE01/UNE 0060 count the sets it encloses",
        GroupControlInvalid => "give each group a valid control number of its own",
        InvalidGroupHeader => "correct the GS/UNG field the message names",
        SetNotSupported => {
            "tallyman does not translate this kind of set: leave it out of this channel's files"
        }
        TransactionTrailerMissing => "end the set with its SE/UNT",
        TransactionControlMismatch => "make SE02/UNT 0062 repeat ST02/UNH 0062",
        SegmentCountMismatch => {
            "make SE01/UNT 0074 count the set's segments, its header and trailer included"
        }
        InvalidSetId => "name the set's type in ST01/UNH 0065",
        InvalidTransactionControl => "give ST02/UNH 0062 a valid control number",
        DuplicateTransactionControl => "give each set in a group a control number of its own",
        EnvelopeRejected => {
            "fix the envelope error it names; the content of the document may well be fine"
        }
        UnrecognizedSegment => "remove the segment, or correct its tag",
        UnexpectedSegment | SegmentNotInSet | SegmentOutOfSequence => {
            "move the segment to where the set's structure allows it, or leave it out"
        }
        MandatorySegmentMissing => "send the missing segment (the finding names it)",
        LoopOverMaximum | SegmentOverMaximum => {
            "send no more repeats than the structure allows: split the document if needed"
        }
        MandatoryElementMissing => "fill the element: the standard requires it",
        ConditionalElementMissing | ExclusionViolated => {
            "follow the segment's syntax note: send the elements it pairs, or only one of those it excludes"
        }
        TooManyElements | TooManyComponents | TooManyRepetitions => {
            "leave out what the segment does not define (a delimiter too many?)"
        }
        ElementTooShort | ElementTooLong => "send a value within the element's length",
        InvalidCharacter => {
            "send only what the element's type allows (a number: digits, one decimal point, a leading minus)"
        }
        InvalidCode => "send one of the element's codes (the coverage shows what was sent)",
        CodeNotInGuide => {
            "send one of the codes the partner's implementation guide allows in this element (the finding lists them)"
        }
        SegmentNotUsed => {
            "leave the segment out: the partner's implementation guide does not use it here"
        }
        ElementNotUsed => {
            "leave the element empty: the partner's implementation guide does not use it"
        }
        InvalidDate => "send a real calendar date in the element's format (CCYYMMDD, YYMMDD)",
        InvalidTime => "send a real time of day in the element's format (HHMM, HHMMSS)",
        Mapping => "send what the message says the order, ship notice or invoice lacks",
        InvalidRow => "correct the row and column the message names",
        BusinessRule => "correct the value the rule names (quantity, price, total, check digit)",
        WrongChannel => {
            "send with the sender id, receiver id and version agreed for this channel, or correct the channel's settings (partner_id, our_id, version, format)"
        }
        LimitExceeded => {
            "split what is over the limit into smaller interchanges, or raise [limits] if it is expected"
        }
        _ => return None,
    })
}

fn ack_code(f: &Finding, acks: AckKind, version: &str) -> Option<AckCode> {
    use crate::map::ack_codes::{Kind, code};
    let level = f.code.level();
    let (element, kind, value) = if acks == AckKind::Contrl {
        ("0085", Kind::Edifact, f.code.edifact_code()?)
    } else {
        // A 999 reports segments, elements and sets in IK3/IK4/IK5 with codes of its own; the
        // group (AK9) and the interchange (TA1) as a 997 does. With no acknowledgment sent, the
        // 997's codes: what the partner's tools speak.
        let ik = acks == AckKind::Ia999;
        let (element, kind) = match level {
            Level::Segment => (if ik { "IK304" } else { "AK304" }, Kind::X12Segment),
            Level::Element => (if ik { "IK403" } else { "AK403" }, Kind::X12Element),
            Level::Transaction => (if ik { "IK502" } else { "AK502" }, Kind::X12Set),
            Level::Group => ("AK905", Kind::X12Group),
            Level::Interchange => ("TA105", Kind::Ta1Note),
            Level::File => return None,
        };
        let value = match level {
            Level::Interchange => f.code.x12_code()?,
            _ if ik => f.code.x12_999_code()?,
            _ => f.code.x12_code_in(version)?,
        };
        (element, kind, value)
    };
    Some(AckCode {
        element,
        code: value,
        meaning: code(kind, value).meaning,
    })
}

/// An acknowledgment a run would send, or why none is sent.
#[derive(Debug, Clone, Serialize)]
pub struct AckCheck {
    /// `997`, `999`, `ta1`, `contrl`, or `none`.
    pub kind: &'static str,
    /// The group it answers (GS06), for a 997 or 999.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// What it says: `A`, `E`, `P`, `R` (X12), or the CONTRL's action code (`4` rejected,
    /// `7` accepted, `8` received).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Its segments as EDI text, one per line, in the inbound's delimiters: the body only;
    /// the envelope around it (ISA/GS, UNB/UNH) and its control numbers are the run's, from
    /// the ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Why none is sent, when none is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Checks one file's bytes under a setting: what a run would do with each of its documents.
/// `name` is what the report and the documents' `source.file` call it. Never fails: what
/// cannot be read is a finding.
pub fn check_file(
    name: &str,
    bytes: &[u8],
    setting: &Setting,
    grammars: &GrammarSet,
    profiles: &Profiles,
    coverage: &mut coverage::Gatherer,
) -> FileCheck {
    let channel = &setting.channel;
    let opts = Options {
        strictness: channel.strictness,
        file: name.to_owned(),
        channel: setting.configured.then(|| channel.id.clone()),
        relax_envelope: channel.relax_envelope,
        feed_profile: channel.profile.clone(),
        limits: setting.limits,
        spill_dir: None,
    };
    // The run's pass: its checks, its receipts (for the acknowledgments).
    let checks = crate::translate::Checks {
        business_rules: false,
        document_findings: false,
        receipts: true,
    };
    let mut docs: Vec<DocumentCheck> = Vec::new();
    let reader = std::io::Cursor::new(bytes);
    let report = crate::translate::translate_with(reader, grammars, profiles, &opts, checks, |o| {
        docs.push(judge(o, setting));
        Ok(())
    });
    let report = match report {
        Ok(r) => r,
        // In memory, only our own callback could fail, and it does not.
        Err(e) => return FileCheck::unreadable(name, format!("{name}: {e}")),
    };
    let acks = setting.ack_kind(report.format);
    let mut file = FileCheck {
        name: name.to_owned(),
        size: bytes.len() as u64,
        format: report.format,
        profile: report.profile.clone(),
        versions: Vec::new(),
        verdict: Verdict::Accepted,
        errors_outside_documents: report.tally.envelope_errors,
        findings: Vec::new(),
        interchanges: Vec::new(),
        documents: Vec::new(),
    };
    if setting.format_given
        && let Some(mut f) = super::file::wrong_format(channel, report.format)
    {
        if !setting.configured {
            f.message = format!(
                "this is {} data, but --format says {}: a channel of that format would apply nothing in it",
                report.format.as_str(),
                channel.format
            );
        }
        file.errors_outside_documents += 1;
        file.findings.push(FindingCheck::new(f, AckKind::None, ""));
        // As a run reads the documents back: one that would have been accepted is not.
        for d in docs
            .iter_mut()
            .filter(|d| matches!(d.verdict, Verdict::Accepted | Verdict::AcceptedWithWarnings))
        {
            d.verdict = Verdict::Rejected;
            d.document = None;
            d.findings.push(FindingCheck::new(
                Finding::error(
                    Code::WrongChannel,
                    "the file is not in the channel's format",
                )
                .at_offset(d.offset),
                AckKind::None,
                "",
            ));
        }
    }
    match report.format {
        Format::X12 => edi::build::<crate::syntax::x12::X12>(
            &mut file, bytes, &report, docs, grammars, &opts, setting, acks, coverage,
        ),
        Format::Edifact => edi::build::<crate::syntax::edifact::Edifact>(
            &mut file, bytes, &report, docs, grammars, &opts, setting, acks, coverage,
        ),
        Format::Feed | Format::Unknown => {
            for d in &mut docs {
                for f in &mut d.findings {
                    f.ack_code = None;
                }
            }
            file.documents = docs;
            file.findings.extend(
                report
                    .findings
                    .iter()
                    .cloned()
                    .map(|f| FindingCheck::new(f, AckKind::None, "")),
            );
        }
    }
    if file.all_documents().next().is_none() && file.errors_outside_documents == 0 {
        file.errors_outside_documents += 1;
        file.findings.push(FindingCheck::new(
            Finding::error(
                Code::UnreadableFile,
                "the file holds no document (it is empty or has only envelopes)",
            ),
            AckKind::None,
            "",
        ));
    }
    let versions: std::collections::BTreeSet<String> = file
        .all_documents()
        .map(|d| d.version.clone())
        .filter(|v| !v.is_empty())
        .collect();
    file.versions = versions.into_iter().collect();
    let parts: Vec<Verdict> = file
        .interchanges
        .iter()
        .map(|i| i.verdict)
        .chain(file.documents.iter().map(|d| d.verdict))
        .collect();
    let own_warning = file.findings.iter().any(|f| !f.finding.is_error());
    file.verdict = Verdict::of_parts(file.errors_outside_documents > 0, own_warning, &parts);
    file
}

/// The run's verdict on one outcome: the translation's, then for an accepted document the
/// channel's checks and the business rules, as [`super::file::process`] applies them.
fn judge(o: &mut crate::map::Outcome, setting: &Setting) -> DocumentCheck {
    if let Some(d) = &o.document {
        super::work::panic_point(d.number());
    }
    let mut findings: Vec<Finding> = std::mem::take(&mut o.findings);
    findings.extend(super::file::envelope_findings(o));
    let mut status = o.status;
    let context = o
        .document
        .as_ref()
        .map(crate::map::DocContext::of)
        .or_else(|| o.context.clone());
    if status == Status::Accepted
        && let Some(doc) = &o.document
    {
        let broken = super::file::run_findings(&setting.channel, doc, o.offset, &o.controls);
        if !broken.is_empty() {
            status = Status::Rejected;
            findings.extend(broken);
        }
    }
    findings.sort_by_key(|f| f.offset);
    let document = match (status, &o.document) {
        (Status::Accepted, Some(doc)) => {
            let mut line = Vec::new();
            crate::model::json::write_document(&mut line, doc)
                .ok()
                .and_then(|()| String::from_utf8(line).ok())
                .and_then(|s| RawValue::from_string(s).ok())
        }
        _ => None,
    };
    let verdict = match status {
        Status::Accepted if findings.is_empty() => Verdict::Accepted,
        Status::Accepted => Verdict::AcceptedWithWarnings,
        Status::Rejected => Verdict::Rejected,
        Status::NotMapped => Verdict::NotTranslated,
    };
    DocumentCheck {
        offset: o.offset,
        set_id: o.set_id.clone(),
        control: o.controls.transaction.clone().unwrap_or_default(),
        // The grammar's, once the document's envelope is known (`edi`).
        version: String::new(),
        verdict,
        kind: context.as_ref().map(|c| c.kind),
        number: context.map(|c| c.number),
        // The acknowledgment codes are added once the group's version is known.
        findings: findings
            .into_iter()
            .map(|f| FindingCheck::new(f, AckKind::None, ""))
            .collect(),
        document,
        segments: Vec::new(),
    }
}

/// Builds the report from checked files; `coverage` is gathered by the files' second pass.
pub fn report(
    channel: ChannelReport,
    files: Vec<FileCheck>,
    coverage: coverage::Gatherer,
) -> Report {
    let mut totals = Totals::default();
    for f in &files {
        totals.add(f);
    }
    Report {
        schema_version: SCHEMA_VERSION,
        channel,
        files,
        coverage: coverage.finish(),
        totals,
    }
}

/// Whether a finding is an error, for the verdicts of what holds it.
fn any_error(list: &[FindingCheck]) -> bool {
    list.iter().any(|f| f.finding.is_error())
}

fn any_warning(list: &[FindingCheck]) -> bool {
    list.iter().any(|f| !f.finding.is_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_holds_documents_is_judged_by_them() {
        use Verdict::*;
        assert_eq!(
            Verdict::of_parts(false, false, &[Accepted, Accepted]),
            Accepted
        );
        assert_eq!(
            Verdict::of_parts(false, false, &[Accepted, AcceptedWithWarnings]),
            AcceptedWithWarnings
        );
        assert_eq!(
            Verdict::of_parts(false, true, &[Accepted]),
            AcceptedWithWarnings
        );
        assert_eq!(
            Verdict::of_parts(false, false, &[Accepted, Rejected]),
            PartiallyAccepted
        );
        // A set a run does not translate leaves the verdict to the others.
        assert_eq!(
            Verdict::of_parts(false, false, &[Accepted, NotTranslated]),
            Accepted
        );
        assert_eq!(
            Verdict::of_parts(false, false, &[NotTranslated]),
            NotTranslated
        );
        assert_eq!(
            Verdict::of_parts(false, false, &[Rejected, NotTranslated]),
            Rejected
        );
        assert_eq!(
            Verdict::of_parts(false, false, &[Rejected, Rejected]),
            Rejected
        );
        // An error of its own rejects it, whatever its documents.
        assert_eq!(Verdict::of_parts(true, false, &[Accepted]), Rejected);
        assert_eq!(Verdict::of_parts(false, false, &[]), Accepted);
    }

    /// The code shown is the one the channel's acknowledgment carries: 997 (with 004010's
    /// nearest code for what only 005010 has), 999, CONTRL; none for what is not syntax.
    #[test]
    fn each_acknowledgment_says_a_finding_with_its_own_code() {
        let bad_code = Finding::error(Code::InvalidCode, "x");
        let code =
            |f: &Finding, acks, version| ack_code(f, acks, version).map(|a| (a.element, a.code));
        assert_eq!(
            code(&bad_code, AckKind::Fa997, "004010"),
            Some(("AK403", "7"))
        );
        assert_eq!(
            code(&bad_code, AckKind::Ia999, "005010"),
            Some(("IK403", "7"))
        );
        assert_eq!(
            code(&bad_code, AckKind::Contrl, "").map(|c| c.0),
            Some("0085")
        );
        let reps = Finding::error(Code::TooManyRepetitions, "x");
        assert_eq!(code(&reps, AckKind::Fa997, "004010"), Some(("AK403", "3")));
        assert_eq!(code(&reps, AckKind::Fa997, "005010"), Some(("AK403", "12")));
        let rule = Finding::error(Code::BusinessRule, "x");
        assert_eq!(code(&rule, AckKind::Fa997, "004010"), None);
        let iea = Finding::error(Code::InterchangeTrailerMissing, "x");
        assert_eq!(code(&iea, AckKind::Fa997, "004010"), Some(("TA105", "023")));
        let meaning = ack_code(&bad_code, AckKind::Fa997, "004010")
            .unwrap()
            .meaning;
        assert_eq!(meaning, "invalid code value");
    }
}
