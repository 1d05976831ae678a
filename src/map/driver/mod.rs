//! The translate driver, written once for both standards.
//!
//! Phase: envelope map + transaction bytes → validated, mapped document, for every transaction
//! set (message) of a file: the envelope verdict first (a broken envelope rejects what it
//! encloses), then the grammar of its version (or the nearest one, with a warning), then the
//! standard's own checks and its mapping into the canonical model. [`Mapping`] is what each
//! standard says (`map::x12`, `map::edifact`); the walk, the limits, validation and strictness
//! are here, and the one-pass streaming read in `stream` (re-exported here). A set's segments
//! are made from the scan's [`Marks`](crate::syntax::Marks), so each byte is tokenized once; a
//! set the scan could not mark whole (a line break inside an X12 segment, bytes skipped) is
//! tokenized again.
//!
//! ```
//! use tallyman::grammar::GrammarSet;
//! use tallyman::map::{Options, Status, driver::translate_all};
//! use tallyman::syntax::x12::X12;
//! let edi = b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       \
//! *240101*1200*U*00401*000000001*0*P*>~GS*PR*S*R*20240101*1200*1*X*004010~\
//! ST*855*0001~BAK*00*AC*PO1*20240101~SE*3*0001~GE*1*1~IEA*1*000000001~";
//! let grammars = GrammarSet::builtin().unwrap();
//! let (map, outcomes) = translate_all::<X12>(edi, &grammars, &Options::default());
//! assert!(map.accepted(0, 0, 0));
//! assert_eq!((outcomes[0].set_id.as_str(), outcomes[0].status), ("855", Status::NotMapped));
//! ```

use super::{Options, Outcome, Status};
use crate::diag::{Code, Controls, Finding};
#[cfg(any(test, feature = "internals"))]
use crate::envelope::scan;
use crate::envelope::{Envelope, EnvelopeMap, Group, Interchange, Transaction, controls};
use crate::grammar::{Grammar, GrammarSet, Placement, validate};
use crate::model::{Document, Identity, Source};
use crate::syntax::{FieldTable, Fields, SegmentView};
use std::sync::Arc;

mod stream;
#[cfg(any(test, feature = "internals"))]
pub use stream::translate_reader_holding;
pub use stream::{Reading, translate_reader, translate_reader_prepared};

/// What a document's `source` says of its envelope besides the control numbers.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The version as the document records it (`004010`, `D:96A:UN:EAN008`).
    pub version: String,
    pub sender: Option<Identity>,
    pub receiver: Option<Identity>,
    /// The interchange is a test interchange.
    pub test: bool,
}

/// What the mapping of one document gave.
#[derive(Debug)]
// Built once per document and moved straight into its outcome: boxing the document would only
// add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Mapped {
    /// A set the mapping knows: the document when it could be built, and the findings about
    /// values it could not use.
    Document(Option<Document>, Vec<Finding>),
    /// A set with a grammar but no mapping into the canonical model, and why.
    NotTranslated(String),
}

/// What a standard says to the driver: versions and grammars, its own checks, the source
/// identities, and the mapping of each document.
pub trait Mapping: Envelope {
    /// What the standard's checks before validation hand to its mapping (the character set
    /// EDIFACT text is read in).
    type Prepared;
    /// Whether a set too large to read still names the envelope errors that reject it
    /// (EDIFACT's outcomes do, X12's do not; both kept as they were).
    const REASONS_WHEN_OVER_LIMITS: bool;
    /// Which envelope the document's `source` values come from, for findings about them
    /// ("ISA/GS", "UNB/UNG/UNH").
    const SOURCE_HEADERS: &'static str;

    /// The transaction set id or message type (`850`, `ORDERS`).
    fn set_id(t: &Transaction<Self>) -> &str;
    /// The version (directory) to validate against, and a note when the header did not say
    /// it plainly.
    fn version(
        ic: &Interchange<Self>,
        g: &Group<Self>,
        t: &Transaction<Self>,
    ) -> (String, Option<String>);
    /// The grammar of a set in that version (or the nearest one, with a note).
    fn grammar(
        grammars: &GrammarSet,
        version: &str,
        t: &Transaction<Self>,
    ) -> Option<(Arc<Grammar>, Option<String>)>;
    /// Why a set without a grammar was only envelope-checked.
    fn unsupported(t: &Transaction<Self>) -> String;
    /// The standard's checks between the grammar lookup and validation; what they find goes
    /// into `findings`.
    #[allow(clippy::too_many_arguments)]
    fn prepare(
        ic: &Interchange<Self>,
        g: &Group<Self>,
        t: &Transaction<Self>,
        grammar: &Grammar,
        segments: &[Self::Segment<'_>],
        bytes: &[u8],
        controls: &Controls,
        findings: &mut Vec<Finding>,
    ) -> Self::Prepared;
    /// The document's version and identities.
    fn origin(ic: &Interchange<Self>, t: &Transaction<Self>, version: &str) -> Origin;
    /// Places a finding about a `source` value taken from the envelope.
    fn at_source_headers(
        f: Finding,
        ic: &Interchange<Self>,
        t: &Transaction<Self>,
        controls: &Controls,
    ) -> Finding;
    /// Maps a validated set into the canonical model.
    fn map_document(
        prepared: Self::Prepared,
        grammar: &Grammar,
        controls: &Controls,
        t: &Transaction<Self>,
        fields: &[Fields<'_>],
        source: Source,
    ) -> Mapped;
}

/// Translates one transaction set of a map. `bytes` are the set's bytes (`input[t.span]`,
/// transcoded when the file was).
#[cfg(any(test, feature = "internals"))]
pub fn translate_transaction<S: Mapping>(
    grammars: &GrammarSet,
    map: &EnvelopeMap<S>,
    (i, g, t): (usize, usize, usize),
    bytes: &[u8],
    opts: &Options,
) -> Outcome {
    let ic = &map.interchanges[i];
    let gr = &ic.groups[g];
    translate_inner(grammars, (ic, gr, &gr.transactions[t]), bytes, opts, false).0
}

/// Translates one transaction set and also returns its segments and their placements (for
/// `inspect`).
pub fn translate_with_placements<'b, S: Mapping>(
    grammars: &GrammarSet,
    map: &EnvelopeMap<S>,
    (i, g, t): (usize, usize, usize),
    bytes: &'b [u8],
    opts: &Options,
) -> (Outcome, Vec<S::Segment<'b>>, Vec<Placement>) {
    let ic = &map.interchanges[i];
    let gr = &ic.groups[g];
    translate_inner(grammars, (ic, gr, &gr.transactions[t]), bytes, opts, true)
}

fn translate_inner<'b, S: Mapping>(
    grammars: &GrammarSet,
    (ic, gr, tx): (&Interchange<S>, &Group<S>, &Transaction<S>),
    bytes: &'b [u8],
    opts: &Options,
    want_placements: bool,
) -> (Outcome, Vec<S::Segment<'b>>, Vec<Placement>) {
    let ctl = controls(ic, gr, tx);
    let header = S::NAMES.tags[2].0;
    let reasons = || super::envelope_reasons([&ic.findings, &gr.findings, &tx.findings]);
    let mut outcome = Outcome {
        status: Status::Rejected,
        set_id: S::set_id(tx).to_string(),
        offset: tx.span.start,
        controls: ctl.clone(),
        document: None,
        findings: Vec::new(),
        envelope_reasons: Vec::new(),
        context: None,
    };
    let what = || S::transaction_title(tx);
    if let Some(m) = super::over_limits(&opts.limits, what, tx.segment_count, tx.span.len()) {
        if S::REASONS_WHEN_OVER_LIMITS {
            outcome.envelope_reasons = reasons();
        }
        let mut f = Finding::error(Code::LimitExceeded, m)
            .at(tx.span.start, tx.first_index, header)
            .with_controls(&ctl);
        f.segment_position = Some(1);
        outcome.findings.push(f);
        return (outcome, Vec::new(), Vec::new());
    }
    // The segments as the envelope scan read them, when it marked them all; otherwise (a set
    // read back without marks, lines wrapped inside a segment) its bytes tokenized again.
    let marked = tx
        .marks
        .within(bytes.len())
        .filter(|_| bytes.len() == tx.span.len());
    let segments: Vec<S::Segment<'b>> = match marked {
        Some(spans) => {
            S::remade(bytes, ic.delimiters, tx.span.start, tx.first_index, spans).collect()
        }
        None => S::resume(
            bytes,
            ic.delimiters,
            tx.span.start,
            tx.first_index,
            opts.limits.max_segment_bytes,
        )
        .collect(),
    };
    outcome.envelope_reasons = reasons();
    let rejected_by_envelope = !outcome.envelope_reasons.is_empty();
    if rejected_by_envelope && !want_placements {
        return (outcome, segments, Vec::new());
    }
    // Validation and mapping borrow the segments through the field table; the borrow ends
    // with this closure, before the segments are handed back.
    let mut judge = || -> Vec<Placement> {
        let at_header = |f: Finding| {
            let mut f = f
                .at(tx.span.start, tx.first_index, header)
                .with_controls(&ctl);
            f.segment_position = Some(1);
            f
        };

        let (version, version_note) = S::version(ic, gr, tx);
        if let Some(note) = version_note {
            outcome
                .findings
                .push(at_header(Finding::warning(Code::VersionFallback, note)));
        }
        let Some((grammar, fallback)) = S::grammar(grammars, &version, tx) else {
            outcome.findings.push(at_header(Finding::warning(
                Code::SetNotSupported,
                S::unsupported(tx),
            )));
            outcome.status = if rejected_by_envelope {
                Status::Rejected
            } else {
                Status::NotMapped
            };
            return Vec::new();
        };
        if let Some(note) = fallback {
            outcome
                .findings
                .push(at_header(Finding::warning(Code::VersionFallback, note)));
        }
        let prepared = S::prepare(
            ic,
            gr,
            tx,
            &grammar,
            &segments,
            bytes,
            &ctl,
            &mut outcome.findings,
        );

        let mut table = FieldTable::with_capacity(segments.len()).reading(bytes);
        for s in &segments {
            s.push_to(&mut table);
        }
        let fields = table.fields();
        let validation = validate(&grammar, &fields, &ctl, want_placements);
        outcome.findings.extend(validation.findings);
        opts.strictness.apply(&mut outcome.findings);
        if rejected_by_envelope {
            outcome.status = Status::Rejected;
            return validation.placements;
        }
        // A document with grammar errors is still read, for the business context of its report.
        let grammar_rejected = outcome.findings.iter().any(Finding::is_error);

        let origin = S::origin(ic, tx, &version);
        let mut source = Source {
            file: opts.file.clone(),
            offset: tx.span.start,
            standard: S::NAME.into(),
            version: origin.version,
            set: S::set_id(tx).to_string(),
            sender: origin.sender,
            receiver: origin.receiver,
            interchange_control: ctl.interchange.clone(),
            group_control: ctl.group.clone(),
            transaction_control: ctl.transaction.clone(),
            channel: opts.channel.clone(),
            test: origin.test,
        };
        let mut envelope_values = super::clean_source(&mut source, S::SOURCE_HEADERS, |f| {
            S::at_source_headers(f, ic, tx, &ctl)
        });
        opts.strictness.apply(&mut envelope_values);
        outcome.findings.extend(envelope_values);
        let (doc, mut mapping_findings) =
            match S::map_document(prepared, &grammar, &ctl, tx, &fields, source) {
                Mapped::Document(doc, findings) => (doc, findings),
                Mapped::NotTranslated(why) => {
                    if !grammar_rejected {
                        outcome
                            .findings
                            .push(at_header(Finding::warning(Code::SetNotSupported, why)));
                    }
                    outcome.status = if grammar_rejected {
                        Status::Rejected
                    } else {
                        Status::NotMapped
                    };
                    return validation.placements;
                }
            };
        if grammar_rejected {
            outcome.context = doc.as_ref().map(super::DocContext::of);
            outcome.status = Status::Rejected;
            return validation.placements;
        }
        // Values the mapping could not use are element findings: strict rejects, lenient warns.
        opts.strictness.apply(&mut mapping_findings);
        outcome.findings.extend(mapping_findings);
        match doc {
            Some(d) if !outcome.findings.iter().any(Finding::is_error) => {
                outcome.status = Status::Accepted;
                outcome.document = Some(d);
            }
            _ => outcome.status = Status::Rejected,
        }
        validation.placements
    };
    let placements = judge();
    (outcome, segments, placements)
}

/// Translates a whole input held in memory, transaction set by transaction set.
#[cfg(any(test, feature = "internals"))]
pub fn translate_all<S: Mapping>(
    input: &[u8],
    grammars: &GrammarSet,
    opts: &Options,
) -> (EnvelopeMap<S>, Vec<Outcome>) {
    let mut map = scan::<S>(input);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    let transcoded;
    let input = if map.transcoded {
        let mut owned = input.to_vec();
        S::transcode(&mut owned);
        transcoded = owned;
        &transcoded[..]
    } else {
        input
    };
    let outcomes = map
        .transactions()
        .map(|(i, g, t, tx)| {
            translate_transaction(
                grammars,
                &map,
                (i, g, t),
                &input[tx.span.start..tx.span.end],
                opts,
            )
        })
        .collect();
    (map, outcomes)
}
