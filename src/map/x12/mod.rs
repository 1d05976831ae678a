//! X12 transaction sets → canonical documents.
//!
//! Phase: envelope map + transaction bytes → validated, mapped document. For each transaction set
//! of the envelope map: the envelope verdict first (a broken envelope rejects what it encloses),
//! then the grammar of its version (or the nearest one, with a warning), then the mapping of
//! 850/856/810. Sets we recognize but do not map (855, 860, 997...) are envelope-checked and
//! reported as not mapped, never dropped silently.

mod common;
mod invoice;
mod order;
mod ship_notice;

use crate::diag::{Code, Controls, Finding};
use crate::envelope::x12::{EnvelopeMap, Group, Interchange, Transaction, functional_group_of};
use crate::grammar::{GrammarSet, Placement, validate};
use crate::model::{Document, Identity, Source};
use crate::syntax::FieldTable;
use crate::syntax::x12::{Reader, SegmentRef};

pub use super::{EnvelopeReason, Options, Outcome, Status};

/// Human names of transaction sets, for messages.
pub fn set_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "850" => "Purchase Order",
        "856" => "Ship Notice/Manifest",
        "810" => "Invoice",
        "997" => "Functional Acknowledgment",
        "999" => "Implementation Acknowledgment",
        "855" => "Purchase Order Acknowledgment",
        "860" => "Purchase Order Change Request",
        "865" => "Purchase Order Change Acknowledgment",
        "820" => "Payment Order/Remittance Advice",
        "846" => "Inventory Inquiry/Advice",
        "852" => "Product Activity Data",
        "832" => "Price/Sales Catalog",
        "864" => "Text Message",
        "940" => "Warehouse Shipping Order",
        "945" => "Warehouse Shipping Advice",
        "210" => "Motor Carrier Freight Details and Invoice",
        "214" => "Transportation Carrier Shipment Status",
        "204" => "Motor Carrier Load Tender",
        "270" => "Eligibility, Coverage or Benefit Inquiry",
        "271" => "Eligibility, Coverage or Benefit Information",
        "837" => "Health Care Claim",
        "835" => "Health Care Claim Payment/Advice",
        _ => return None,
    })
}

fn controls(ic: &Interchange, g: &Group, t: &Transaction) -> Controls {
    Controls {
        interchange: Some(ic.control.clone()),
        group: Some(g.control.clone()),
        transaction: Some(t.control.clone()),
    }
}

/// The version to validate against: GS08, else ST03, else ISA12; and a note when GS08 was not
/// usable.
pub fn version_of(ic: &Interchange, g: &Group, t: &Transaction) -> (String, Option<String>) {
    let looks = |v: &str| v.len() >= 6 && v.as_bytes()[..6].iter().all(u8::is_ascii_digit);
    if looks(&g.header.version) {
        return (g.header.version.clone(), None);
    }
    if let Some(st03) = t.header.implementation.as_deref().filter(|v| looks(v)) {
        return (
            st03.to_string(),
            Some(format!(
                "GS08 '{}' is not a version; ST03 '{st03}' is used",
                g.header.version
            )),
        );
    }
    let isa = format!("{}0", ic.header.version);
    (
        isa.clone(),
        Some(format!(
            "GS08 '{}' is not a version; ISA12 '{}' is used as {isa}",
            g.header.version, ic.header.version
        )),
    )
}

/// Envelope errors that reject this transaction set (its own, its group's, its interchange's).
fn envelope_errors(ic: &Interchange, g: &Group, t: &Transaction) -> Vec<EnvelopeReason> {
    super::envelope_reasons([&ic.findings, &g.findings, &t.findings])
}

/// Translates one transaction set. `bytes` are the set's bytes (`input[t.span]`, transcoded
/// when the file was EBCDIC).
pub fn translate_transaction(
    grammars: &GrammarSet,
    map: &EnvelopeMap,
    (i, g, t): (usize, usize, usize),
    bytes: &[u8],
    opts: &Options,
) -> Outcome {
    let ic = &map.interchanges[i];
    let gr = &ic.groups[g];
    translate_inner(grammars, (ic, gr, &gr.transactions[t]), bytes, opts, false).0
}

/// Translates one transaction set and also returns its segments' placements (for `inspect`).
pub fn translate_with_placements<'b>(
    grammars: &GrammarSet,
    map: &EnvelopeMap,
    (i, g, t): (usize, usize, usize),
    bytes: &'b [u8],
    opts: &Options,
) -> (Outcome, Vec<SegmentRef<'b>>, Vec<Placement>) {
    let ic = &map.interchanges[i];
    let gr = &ic.groups[g];
    translate_inner(grammars, (ic, gr, &gr.transactions[t]), bytes, opts, true)
}

fn translate_inner<'b>(
    grammars: &GrammarSet,
    (ic, gr, tx): (&Interchange, &Group, &Transaction),
    bytes: &'b [u8],
    opts: &Options,
    want_placements: bool,
) -> (Outcome, Vec<SegmentRef<'b>>, Vec<Placement>) {
    let ctl = controls(ic, gr, tx);
    let mut outcome = Outcome {
        status: Status::Rejected,
        set_id: tx.header.set_id.clone(),
        offset: tx.span.start,
        controls: ctl.clone(),
        document: None,
        findings: Vec::new(),
        envelope_reasons: Vec::new(),
        context: None,
    };
    let what = format!("transaction set {} {}", tx.header.set_id, tx.control);
    if let Some(m) = super::over_limits(&opts.limits, &what, tx.segment_count, tx.span.len()) {
        let mut f = Finding::error(Code::LimitExceeded, m)
            .at(tx.span.start, tx.first_index, "ST")
            .with_controls(&ctl);
        f.segment_position = Some(1);
        outcome.findings.push(f);
        return (outcome, Vec::new(), Vec::new());
    }
    let segments: Vec<SegmentRef<'b>> =
        Reader::resume(bytes, ic.delimiters, tx.span.start, tx.first_index)
            .with_max_segment(opts.limits.max_segment_bytes)
            .filter_map(Result::ok)
            .collect();
    let envelope = envelope_errors(ic, gr, tx);
    outcome.envelope_reasons = envelope.clone();
    if !envelope.is_empty() && !want_placements {
        return (outcome, segments, Vec::new());
    }
    let at_st = |f: Finding| {
        let mut f = f
            .at(tx.span.start, tx.first_index, "ST")
            .with_controls(&ctl);
        f.segment_position = Some(1);
        f
    };

    let (version, version_note) = version_of(ic, gr, tx);
    if let Some(note) = version_note {
        outcome
            .findings
            .push(at_st(Finding::warning(Code::VersionFallback, note)));
    }
    let name = set_name(&tx.header.set_id);
    let Some((grammar, fallback)) = grammars.x12(&version, &tx.header.set_id) else {
        let msg = match (name, functional_group_of(&tx.header.set_id)) {
            (Some(n), _) | (None, Some(n)) => format!(
                "transaction set {} ({n}) is recognized and its envelope checked, but tallyman does not translate it",
                tx.header.set_id
            ),
            _ => format!(
                "transaction set {} is not one tallyman knows; its envelope was checked and it was not translated",
                tx.header.set_id
            ),
        };
        outcome
            .findings
            .push(at_st(Finding::warning(Code::SetNotSupported, msg)));
        outcome.status = if envelope.is_empty() {
            Status::NotMapped
        } else {
            Status::Rejected
        };
        return (outcome, segments, Vec::new());
    };
    if let Some(note) = fallback {
        outcome
            .findings
            .push(at_st(Finding::warning(Code::VersionFallback, note)));
    }
    if let Some(fg) = grammar.functional_group.as_deref()
        && fg != gr.header.functional_id
    {
        outcome.findings.push(
            Finding::error(
                Code::GroupNotSupported,
                format!(
                    "transaction set {} belongs in a functional group with GS01 '{fg}', but its group's GS01 is '{}'",
                    tx.header.set_id, gr.header.functional_id
                ),
            )
            .at(tx.span.start, tx.first_index, "ST")
            .element(1)
            .with_controls(&ctl),
        );
    }
    let mut table = FieldTable::with_capacity(segments.len());
    for s in &segments {
        table.push(s.tag(), s.span, s.index, s.separators(), s.elements());
    }
    let fields = table.fields();
    let validation = validate(&grammar, &fields, &ctl, want_placements);
    outcome.findings.extend(validation.findings);
    opts.strictness.apply(&mut outcome.findings);
    if !envelope.is_empty() {
        outcome.status = Status::Rejected;
        return (outcome, segments, validation.placements);
    }
    // A document with grammar errors is still read, for the business context of its report.
    let grammar_rejected = outcome.findings.iter().any(Finding::is_error);

    let source = Source {
        file: opts.file.clone(),
        offset: tx.span.start,
        standard: "x12".into(),
        version: version.clone(),
        set: tx.header.set_id.clone(),
        sender: Some(Identity {
            qualifier: ic.header.sender_qualifier.clone(),
            id: ic.header.sender_id.clone(),
        }),
        receiver: Some(Identity {
            qualifier: ic.header.receiver_qualifier.clone(),
            id: ic.header.receiver_id.clone(),
        }),
        interchange_control: Some(ic.control.clone()),
        group_control: Some(gr.control.clone()),
        transaction_control: Some(tx.control.clone()),
        channel: opts.channel.clone(),
        test: ic.header.usage == "T",
    };
    let mut source = source;
    let mut envelope_values = super::clean_source(&mut source, "ISA/GS", |f| {
        f.at(ic.span.start, ic.first_index, "ISA")
            .with_controls(&ctl)
    });
    opts.strictness.apply(&mut envelope_values);
    outcome.findings.extend(envelope_values);
    let mut ctx = common::Ctx {
        grammar: &grammar,
        controls: &ctl,
        findings: Vec::new(),
    };
    let doc = match tx.header.set_id.as_str() {
        "850" => order::map(&mut ctx, &fields, source).map(Document::Order),
        "856" => ship_notice::map(&mut ctx, &fields, source).map(Document::ShipNotice),
        "810" => invoice::map(&mut ctx, &fields, source).map(Document::Invoice),
        other => {
            let n = set_name(other).unwrap_or("");
            ctx.findings.extend((!grammar_rejected).then(|| at_st(Finding::warning(
                Code::SetNotSupported,
                format!(
                    "transaction set {other} ({n}) is valid, but tallyman does not translate it into the canonical model"
                ),
            ))));
            outcome.findings.extend(ctx.findings);
            outcome.status = if grammar_rejected {
                Status::Rejected
            } else {
                Status::NotMapped
            };
            return (outcome, segments, validation.placements);
        }
    };
    if grammar_rejected {
        outcome.context = doc.as_ref().map(super::DocContext::of);
        outcome.status = Status::Rejected;
        return (outcome, segments, validation.placements);
    }
    // Values the mapping could not use are element findings: strict rejects, lenient warns.
    opts.strictness.apply(&mut ctx.findings);
    outcome.findings.extend(ctx.findings);
    match doc {
        Some(d) if !outcome.findings.iter().any(Finding::is_error) => {
            outcome.status = Status::Accepted;
            outcome.document = Some(d);
        }
        _ => outcome.status = Status::Rejected,
    }
    (outcome, segments, validation.placements)
}

/// Translates a whole X12 input held in memory, transaction set by transaction set.
pub fn translate_all(
    input: &[u8],
    grammars: &GrammarSet,
    opts: &Options,
) -> (EnvelopeMap, Vec<Outcome>) {
    let mut map = crate::envelope::x12::scan(input);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    let transcoded;
    let input = if map.transcoded {
        let mut owned = input.to_vec();
        crate::syntax::ebcdic::transcode_in_place(&mut owned);
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

/// Translates an X12 stream with memory flat in the file size: an envelope pass through a
/// `chunk`-sized buffer keeps only the interchanges, groups and transaction sets with findings;
/// a second pass hands out each transaction set as it closes (with its group's and
/// interchange's headers), re-read by its span and judged with its group's and interchange's
/// verdicts from the first pass (not in the first pass's map: clean). Returns the first pass's
/// map.
pub fn translate_reader<R, F>(
    mut reader: R,
    grammars: &GrammarSet,
    opts: &Options,
    chunk: usize,
    mut sink: F,
) -> std::io::Result<EnvelopeMap>
where
    R: std::io::Read + std::io::Seek,
    F: FnMut(&EnvelopeMap, &Transaction, Outcome) -> std::io::Result<()>,
{
    use crate::envelope::x12::StreamFeed;
    use crate::envelope::{pump, pump_with};
    use std::io::SeekFrom;
    reader.seek(SeekFrom::Start(0))?;
    let max_segment = opts.limits.max_segment_bytes;
    let mut first = StreamFeed::compact().with_max_segment(max_segment);
    let total = pump(std::io::BufReader::new(&mut reader), chunk, &mut first)?;
    let mut map = first.finish(total);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    reader.seek(SeekFrom::Start(0))?;
    let mut second = StreamFeed::new().with_max_segment(max_segment);
    let mut batch = super::Batch::new();
    let map = map;
    let translate = |c: &crate::envelope::x12::Closed, bytes: &[u8]| {
        // The first pass's copy holds the findings; one it did not keep had none.
        let judged = map.interchange(c.interchange.number);
        let ic = judged.unwrap_or(&c.interchange);
        let gr = judged
            .and_then(|ic| ic.group(c.group.number))
            .unwrap_or(&c.group);
        translate_inner(grammars, (ic, gr, &c.transaction), bytes, opts, false).0
    };
    // Collects every set the second pass has closed so far; translates them when enough wait.
    let mut drain = |scanner: &mut crate::envelope::x12::Scanner,
                     r: &mut R,
                     last: bool|
     -> std::io::Result<()> {
        while let Some(mut closed) = scanner.take_closed() {
            let tx = &mut closed.transaction;
            if opts.relax_envelope {
                crate::envelope::relax_findings(&mut tx.findings);
            }
            let what = format!("transaction set {}", tx.header.set_id);
            if super::over_limits(&opts.limits, &what, tx.segment_count, tx.span.len()).is_some() {
                // Rejected unread: translate_inner says why.
                if batch.push(closed, Vec::new()) {
                    batch.flush(translate, |c, o| sink(&map, &c.transaction, o))?;
                }
                continue;
            }
            let here = r.stream_position()?;
            let mut buf = vec![0; tx.span.len()];
            r.seek(SeekFrom::Start(tx.span.start as u64))?;
            r.read_exact(&mut buf)?;
            r.seek(SeekFrom::Start(here))?;
            if map.transcoded {
                crate::syntax::ebcdic::transcode_in_place(&mut buf);
            }
            if batch.push(closed, buf) {
                batch.flush(translate, |c, o| sink(&map, &c.transaction, o))?;
            }
        }
        if last {
            batch.flush(translate, |c, o| sink(&map, &c.transaction, o))?;
        }
        Ok(())
    };
    let total = pump_with(&mut reader, chunk, &mut second, |feed, r| {
        drain(&mut feed.scanner, r, false)
    })?;
    second.scanner.end(total);
    drain(&mut second.scanner, &mut reader, true)?;
    Ok(map)
}
