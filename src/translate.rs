//! Translating one file of any supported format, streamed.
//!
//! Phase: the whole inbound path for one file: detect the format from its first bytes, then read
//! it once through a small window, the envelope scan handing each transaction set or message to
//! validation and mapping once its interchange is settled, and outcomes to the caller in file
//! order. The `translate` command and the batch run are built on this.
//!
//! ```no_run
//! use tallyman::grammar::GrammarSet;
//! use tallyman::map::Options;
//! let grammars = GrammarSet::builtin().unwrap();
//! let profiles = tallyman::feeds::Profiles::builtin().unwrap();
//! let file = std::fs::File::open("samples/x12/850-northwind.edi").unwrap();
//! let report = tallyman::translate::translate(file, &grammars, &profiles, &Options::default(), |o| {
//!     println!("{:?}", o.status);
//!     Ok(())
//! })
//! .unwrap();
//! assert!(report.tally.clean());
//! ```

use crate::ack::receipt::{Collector, Receipt, Receipts};
use crate::diag::{Code, Finding, Level};
use crate::feeds::Profiles;
use crate::grammar::GrammarSet;
use crate::map::driver::{Mapping, Reading, translate_reader_prepared};
use crate::map::{Options, Outcome, Status};
use crate::syntax::edifact::Edifact;
use crate::syntax::x12::X12;
use crate::syntax::{UTF8_BOM, ebcdic, is_inter_segment_space};
use std::io::{self, Read, Seek, SeekFrom};

/// Read buffer of the envelope pass.
pub const CHUNK: usize = 1 << 20;

/// Formats tallyman can tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An X12 interchange (ISA), in ASCII, UTF-8 or EBCDIC.
    X12,
    /// An EDIFACT interchange (UNA, UNB, or messages without UNB).
    Edifact,
    /// A CSV or TSV marketplace feed matched by a profile.
    Feed,
    /// None of these: the file is reported and not translated.
    Unknown,
}

impl Format {
    /// Its name as reports and JSON give it: `x12`, `edifact`, `feed`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::X12 => "x12",
            Format::Edifact => "edifact",
            Format::Feed => "feed",
            Format::Unknown => "unknown",
        }
    }
}

/// Detects the format from the start of a file (a few hundred bytes are enough).
pub fn detect(head: &[u8]) -> Format {
    if ebcdic::looks_like_ebcdic_isa(head) {
        return Format::X12;
    }
    let mut s = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    while let Some((&b, rest)) = s.split_first() {
        if !is_inter_segment_space(b) {
            break;
        }
        s = rest;
    }
    if s.starts_with(b"ISA") && s.get(3).is_some_and(|b| !b.is_ascii_alphanumeric()) {
        return Format::X12;
    }
    if s.starts_with(b"UNA") || s.starts_with(b"UNB") || s.starts_with(b"UNH") {
        return Format::Edifact;
    }
    Format::Unknown
}

/// What is said of a file of 0 bytes.
pub const EMPTY: &str = "the file is empty (0 bytes): there is nothing to translate; if a document was expected, ask the sender to send it again";

/// Counts for one file.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Tally {
    /// Documents translated and accepted.
    pub accepted: usize,
    /// Documents rejected (their envelope, their grammar, the mapping or a business rule).
    pub rejected: usize,
    /// Valid transaction sets or messages of a kind tallyman does not translate.
    pub not_mapped: usize,
    /// Errors that enclose no document (unreadable bytes, broken envelopes around nothing, a
    /// file of no known format).
    pub envelope_errors: usize,
}

impl Tally {
    /// True when every document was translated and nothing else went wrong.
    pub fn clean(&self) -> bool {
        self.rejected == 0 && self.not_mapped == 0 && self.envelope_errors == 0
    }
}

/// What one file gave.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    /// What the file was read as.
    pub format: Format,
    /// The feed profile used, for feeds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// How many documents became what.
    pub tally: Tally,
    /// Every finding (envelope, grammar, mapping), ordered by byte offset.
    pub findings: Vec<Finding>,
    /// What acknowledgments say of each interchange, when [`Checks::receipts`] asked for them.
    #[serde(skip)]
    pub receipts: Receipts,
}

/// Translates one file; `on_outcome` gets each transaction set or message in file order (it may
/// take what it needs out of the outcome; nothing reads it afterwards).
pub fn translate<R: Read + Seek + Send>(
    reader: R,
    grammars: &GrammarSet,
    profiles: &Profiles,
    opts: &Options,
    on_outcome: impl FnMut(&mut Outcome) -> io::Result<()>,
) -> io::Result<FileReport> {
    let checks = Checks {
        business_rules: true,
        document_findings: true,
        receipts: false,
    };
    translate_with(reader, grammars, profiles, opts, checks, on_outcome)
}

/// What [`translate_with`] does besides validating and mapping.
#[derive(Debug, Clone, Copy)]
pub struct Checks {
    /// Apply the business rules that `tallyman run` applies (the `rules` module): an accepted
    /// document that breaks one is rejected, its violations among its findings, so that a file
    /// means the same to `translate` as to `run`. Off for a look at what a partner sent, rules
    /// aside (`translate --no-rules`), and for the run, which checks the channel first.
    pub business_rules: bool,
    /// Gather the findings of every document in the report (with a note on each one its
    /// envelope rejects). Without them the report holds only what is
    /// outside the documents, so that its memory does not grow with them: the caller has each
    /// document's findings in its outcome.
    pub document_findings: bool,
    /// Collect a receipt per X12 or EDIFACT interchange ([`FileReport::receipts`]), for the
    /// acknowledgments a run sends. A receipt tells each set's outcome as translated and, with
    /// `business_rules`, as the rules left it (the run checks its rules later, on its own).
    pub receipts: bool,
}

/// [`translate`] with the [`Checks`] to apply.
pub fn translate_with<R: Read + Seek + Send>(
    reader: R,
    grammars: &GrammarSet,
    profiles: &Profiles,
    opts: &Options,
    checks: Checks,
    mut on_outcome: impl FnMut(&mut Outcome) -> io::Result<()>,
) -> io::Result<FileReport> {
    translate_prepared(
        reader,
        grammars,
        profiles,
        opts,
        checks,
        &|_| (),
        |o, ()| on_outcome(o),
    )
}

/// [`translate_with`], with `prepare` applied to each outcome (after the business rules, when
/// they are checked) where it is made: in the parallel stage for X12 and EDIFACT sets
/// ([`translate_reader_prepared`]), so that the caller's work per document (its output bytes,
/// hashes, further checks) runs on every core. `on_outcome` gets both, in file order.
pub fn translate_prepared<R: Read + Seek + Send, P: Send>(
    mut reader: R,
    grammars: &GrammarSet,
    profiles: &Profiles,
    opts: &Options,
    checks: Checks,
    prepare: &(dyn Fn(&mut Outcome) -> P + Sync),
    mut on_outcome: impl FnMut(&mut Outcome, P) -> io::Result<()>,
) -> io::Result<FileReport> {
    let mut head = [0u8; 512];
    let n = crate::syntax::read_full(&mut reader, &mut head)?;
    // A file of more than a batch is scanned a batch ahead of its translation.
    let large = reader.seek(SeekFrom::End(0))? > crate::map::Batch::<()>::BYTES as u64;
    reader.seek(SeekFrom::Start(0))?;
    if n == 0 {
        // Not "a file of no known format": there is nothing in it to have a format.
        return Ok(FileReport {
            format: Format::Unknown,
            profile: None,
            tally: Tally {
                envelope_errors: 1,
                ..Tally::default()
            },
            findings: vec![Finding::error(Code::UnreadableFile, EMPTY)],
            receipts: Receipts::None,
        });
    }
    let mut format = detect(&head[..n]);
    let mut profile = None;
    let mut tally = Tally::default();
    let mut findings: Vec<Finding> = Vec::new();
    // The rules, then the caller's preparation: where the outcome is made.
    let finish = |o: &mut Outcome| {
        if checks.business_rules {
            apply_rules(o);
        }
        prepare(o)
    };
    let mut take = |mut o: Outcome, p: P, findings: &mut Vec<Finding>| -> io::Result<()> {
        match o.status {
            Status::Accepted => tally.accepted += 1,
            Status::Rejected => tally.rejected += 1,
            Status::NotMapped => tally.not_mapped += 1,
        }
        if checks.document_findings {
            findings.extend(o.findings.iter().cloned());
            findings.extend(rejection_note(&o));
        }
        on_outcome(&mut o, p)
    };
    let mut receipts = Receipts::None;
    let stream = Stream {
        grammars,
        opts,
        receipts: checks.receipts,
        reading: Reading::new(CHUNK, large),
    };
    let envelope: Vec<(Level, Vec<Finding>, bool)> = match format {
        Format::X12 => {
            let (levels, r) = standard::<X12, _, _>(&mut reader, &stream, &finish, |o, p| {
                take(o, p, &mut findings)
            })?;
            receipts = r.map_or(Receipts::None, Receipts::X12);
            levels
        }
        Format::Edifact => {
            let (levels, r) = standard::<Edifact, _, _>(&mut reader, &stream, &finish, |o, p| {
                take(o, p, &mut findings)
            })?;
            receipts = r.map_or(Receipts::None, Receipts::Edifact);
            levels
        }
        Format::Unknown | Format::Feed => {
            let named = opts.feed_profile.as_deref();
            let feed_opts = crate::feeds::Options {
                file: opts.file.clone(),
                channel: opts.channel.clone(),
                limits: opts.limits,
            };
            let feed =
                crate::feeds::translate_feed(&mut reader, profiles, named, &feed_opts, |mut o| {
                    let p = finish(&mut o);
                    take(o, p, &mut findings)
                })?;
            if feed.profile.is_some() || feed.xml {
                format = Format::Feed;
                profile = feed.profile;
                vec![(Level::File, feed.findings, false)]
            } else {
                let shown = crate::syntax::text::for_message(&head[..n.min(24)], 24);
                let mut f = Finding::error(
                    Code::Syntax,
                    format!(
                        "not an X12, EDIFACT or known feed file: it starts with neither an ISA nor a UNA, UNB or UNH segment, and no feed profile matches its first line (found '{shown}')"
                    ),
                );
                f.segment_index = Some(0);
                vec![(Level::File, vec![f], false)]
            }
        }
    };
    // Envelope errors around documents were counted through those documents.
    for (_, list, encloses_documents) in &envelope {
        if !encloses_documents {
            tally.envelope_errors += list.iter().filter(|f| f.is_error()).count();
        }
    }
    findings.extend(envelope.into_iter().flat_map(|(_, list, _)| list));
    findings.sort_by_key(|f| f.offset);
    Ok(FileReport {
        format,
        profile,
        tally,
        findings,
        receipts,
    })
}

/// The envelope findings of every level a translation kept.
type Levels = Vec<(Level, Vec<Finding>, bool)>;

/// How [`standard`] translates a file: with which grammars and options, read how, and
/// whether the receipts of its interchanges are collected.
struct Stream<'a> {
    grammars: &'a GrammarSet,
    opts: &'a Options,
    receipts: bool,
    reading: Reading,
}

/// Translates an X12 or EDIFACT file streamed; the envelope findings of every level it kept,
/// and the receipts of its interchanges when asked for.
fn standard<S: Mapping, R: Read + Send, P: Send>(
    reader: R,
    stream: &Stream<'_>,
    prepare: &(dyn Fn(&mut Outcome) -> P + Sync),
    mut take: impl FnMut(Outcome, P) -> io::Result<()>,
) -> io::Result<(Levels, Option<Vec<Receipt<S>>>)> {
    let mut collector = stream.receipts.then(Collector::<S>::new);
    let map = translate_reader_prepared::<S, _, _, _>(
        reader,
        stream.grammars,
        stream.opts,
        stream.reading,
        prepare,
        |closed, o, p| {
            if let Some(c) = collector.as_mut() {
                c.add(closed, &o);
            }
            take(o, p)
        },
    )?;
    let receipts = collector.map(|c| c.finish(&map));
    Ok((map.into_levels(), receipts))
}

/// Rejects an accepted document that breaks a business rule: its violations join its findings,
/// and it keeps its business context (number, purpose, items) for reports, like a document its
/// grammar rejects. What [`translate_with`] does to every outcome with
/// [`Checks::business_rules`] on.
pub fn apply_rules(o: &mut Outcome) {
    if o.status != Status::Accepted {
        return;
    }
    let Some(doc) = &o.document else { return };
    let broken = crate::rules::findings(doc, o.offset, &o.controls);
    if broken.is_empty() {
        return;
    }
    o.context = Some(crate::map::DocContext::of(doc));
    o.document = None;
    o.status = Status::Rejected;
    o.findings.extend(broken);
}

/// A document rejected because of its group or interchange: say so at the document, since the
/// envelope finding itself sits at the trailer.
pub fn rejection_note(o: &Outcome) -> Option<Finding> {
    let outer: Vec<String> = o
        .envelope_reasons
        .iter()
        .filter(|r| r.level != Level::Transaction)
        .map(ToString::to_string)
        .collect();
    // The set's own envelope or grammar errors already explain it.
    let own_errors = o.findings.iter().any(Finding::is_error)
        || o.envelope_reasons
            .iter()
            .any(|r| r.level == Level::Transaction);
    if o.status != Status::Rejected || own_errors || outer.is_empty() {
        return None;
    }
    let mut f = Finding::error(
        Code::EnvelopeRejected,
        format!(
            "{} {} is rejected: {}",
            o.set_id,
            o.controls.transaction.as_deref().unwrap_or(""),
            outer.join("; ")
        ),
    )
    .at_offset(o.offset)
    .with_controls(&o.controls);
    f.segment_position = Some(1);
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `translate_prepared` prepares travels with its own outcome, in file order, after the
    /// business rules, whether the sets are translated on the calling thread or in parallel
    /// batches; and the outcomes are those `translate_with` gives.
    #[test]
    fn prepared_values_travel_with_their_outcomes_in_order() {
        let mut bytes = Vec::new();
        // About 1.5 MiB: more than one parallel batch (`map::Batch::BYTES`).
        crate::synthetic::x12_850s(&mut bytes, 3 << 19, 7).unwrap();
        // One order with a line of quantity 0: accepted by its grammar, rejected by a rule.
        let text = String::from_utf8(bytes).unwrap();
        let at = text.find("PO1*1*").unwrap() + "PO1*1*".len();
        let digits = text[at..].find('*').unwrap();
        let bad = format!("{}0{}", &text[..at], &text[at + digits..]);
        let grammars = GrammarSet::builtin().unwrap();
        let profiles = Profiles::builtin().unwrap();
        let checks = Checks {
            business_rules: true,
            document_findings: false,
            receipts: false,
        };
        let plain = |checks: Checks| {
            let mut seen = Vec::new();
            let cursor = std::io::Cursor::new(bad.as_bytes());
            let opts = Options::default();
            translate_with(cursor, &grammars, &profiles, &opts, checks, |o| {
                seen.push((o.offset, o.status));
                Ok(())
            })
            .unwrap();
            seen
        };
        let rejected =
            |seen: &[(usize, Status)]| seen.iter().filter(|(_, s)| *s == Status::Rejected).count();
        let want = plain(checks);
        assert!(want.len() > 512, "{} sets", want.len());
        assert_eq!(rejected(&want), 1);
        let without_rules = Checks {
            business_rules: false,
            ..checks
        };
        assert_eq!(rejected(&plain(without_rules)), 0, "rejected by a rule");
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let got = pool.install(|| {
                let mut got = Vec::new();
                let prepare = |o: &mut Outcome| (o.offset, o.status);
                let cursor = std::io::Cursor::new(bad.as_bytes());
                let opts = Options::default();
                translate_prepared(
                    cursor,
                    &grammars,
                    &profiles,
                    &opts,
                    checks,
                    &prepare,
                    |o, p| {
                        assert_eq!(p, (o.offset, o.status), "prepared for another outcome");
                        got.push(p);
                        Ok(())
                    },
                )
                .unwrap();
                got
            });
            assert_eq!(got, want, "{threads} threads");
        }
    }

    #[test]
    fn a_format_is_named_as_its_json_says() {
        for f in [Format::X12, Format::Edifact, Format::Feed, Format::Unknown] {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
    }

    #[test]
    fn formats() {
        assert_eq!(detect(b"\xEF\xBB\xBF  ISA*00*"), Format::X12);
        assert_eq!(detect(b"UNA:+.? 'UNB+UNOC:3"), Format::Edifact);
        assert_eq!(detect(b"Name,Email\n"), Format::Unknown);
        assert_eq!(detect(&[0xC9, 0xE2, 0xC1, 0x5C]), Format::X12);
    }

    /// A document that breaks a business rule means the same to `translate` as to `run`:
    /// rejected, its violation among its findings, its context kept; `--no-rules` accepts it.
    #[test]
    fn a_document_breaking_a_business_rule_is_rejected_unless_rules_are_off() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/x12/850-northwind.edi");
        let text = std::fs::read_to_string(path).expect("sample");
        // UPC 614141001255's check digit is 5; 614141001254 fails it.
        let bad = text.replace("UP*614141001255", "UP*614141001254");
        assert_ne!(bad, text);
        let grammars = GrammarSet::builtin().expect("grammars");
        let profiles = Profiles::builtin().expect("profiles");
        let run = |business_rules| {
            let mut outcomes = Vec::new();
            let checks = Checks {
                business_rules,
                document_findings: true,
                receipts: false,
            };
            let cursor = std::io::Cursor::new(bad.as_bytes());
            let opts = Options::default();
            let report = translate_with(cursor, &grammars, &profiles, &opts, checks, |o| {
                outcomes.push(o.clone());
                Ok(())
            })
            .expect("in memory");
            (report, outcomes)
        };
        let (report, outcomes) = run(true);
        assert_eq!(outcomes[0].status, Status::Rejected);
        assert!(outcomes[0].document.is_none());
        let context = outcomes[0].context.as_ref().expect("context kept");
        assert_eq!(
            (context.kind, context.number.as_str()),
            ("order", "4500012345")
        );
        let rule = |f: &&Finding| f.code == Code::BusinessRule;
        assert!(outcomes[0].findings.iter().any(|f| rule(&f)));
        assert!(
            report
                .findings
                .iter()
                .any(|f| rule(&f) && f.message.starts_with("bad_check_digit"))
        );
        assert_eq!((report.tally.accepted, report.tally.rejected), (0, 1));
        let (report, outcomes) = run(false);
        assert_eq!(outcomes[0].status, Status::Accepted);
        assert!(!report.findings.iter().any(|f| rule(&f)));
    }
}
