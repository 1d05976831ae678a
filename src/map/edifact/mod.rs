//! EDIFACT messages → canonical documents.
//!
//! Phase: envelope map + message bytes → validated, mapped document, exactly as for X12: the
//! envelope verdict first, then the grammar of the message's directory (or the nearest one, with
//! a warning), the character set the UNB declares (checked against the bytes), then the mapping
//! of ORDERS, DESADV and INVOIC into the same `Order`, `ShipNotice` and `Invoice` an 850, 856 or
//! 810 becomes. CONTRL, APERAK and other messages are envelope-checked and reported as not
//! translated.

mod common;
mod documents;
mod parties;
mod walk;

use super::{Options, Outcome, Status};
use crate::diag::{Code, Controls, Finding};
use crate::envelope::edifact::{
    EnvelopeMap, Group, Interchange, Message, Scanner, StreamFeed, scan,
};
use crate::grammar::{GrammarSet, Placement, validate};
use crate::model::{Document, Identity, Source};
use crate::syntax::FieldTable;
use crate::syntax::edifact::charset::{Charset, Mismatch};
use crate::syntax::edifact::{Reader, SegmentRef};
use crate::syntax::text::for_message;

/// Human names of message types, for messages.
pub fn message_name(t: &str) -> Option<&'static str> {
    Some(match t {
        "ORDERS" => "Purchase order",
        "DESADV" => "Despatch advice",
        "INVOIC" => "Invoice",
        "CONTRL" => "Syntax and service report",
        "APERAK" => "Application error and acknowledgement",
        "ORDRSP" => "Purchase order response",
        "ORDCHG" => "Purchase order change request",
        "RECADV" => "Receiving advice",
        "PRICAT" => "Price/sales catalogue",
        "INVRPT" => "Inventory report",
        "SLSRPT" => "Sales data report",
        "REMADV" => "Remittance advice",
        "IFTMIN" => "Instruction message",
        "PAORES" => "Passenger availability response",
        "PNRGOV" => "Passenger name record",
        _ => return None,
    })
}

fn controls(ic: &Interchange, g: &Group, m: &Message) -> Controls {
    Controls {
        interchange: ic.explicit.then(|| ic.control.clone()),
        group: g.explicit.then(|| g.control.clone()),
        transaction: Some(m.control.clone()),
    }
}

/// The directory to validate against (`D96A`) and a note when UNH did not say it plainly.
fn directory_of(m: &Message) -> (String, Option<String>) {
    let release = m.header.release.to_ascii_uppercase();
    let looks = release.len() == 3 && release.as_bytes()[..2].iter().all(u8::is_ascii_digit);
    if m.header.version == "D" && looks {
        return (format!("D{release}"), None);
    }
    let dir = if looks {
        format!("D{release}")
    } else {
        "D96A".to_string()
    };
    (
        dir.clone(),
        Some(format!(
            "UNH gives version '{}' release '{}', not a UN directory such as D:96A; validated as {dir}",
            m.header.version, m.header.release
        )),
    )
}

/// Translates one message. `bytes` are the message's bytes (`input[m.span]`).
pub fn translate_message(
    grammars: &GrammarSet,
    map: &EnvelopeMap,
    (i, g, m): (usize, usize, usize),
    bytes: &[u8],
    opts: &Options,
) -> Outcome {
    let ic = &map.interchanges[i];
    let gr = &ic.groups[g];
    translate_inner(grammars, (ic, gr, &gr.transactions[m]), bytes, opts, false).0
}

/// Translates one message and also returns its segments' placements (for `inspect`).
pub fn translate_with_placements<'b>(
    grammars: &GrammarSet,
    map: &EnvelopeMap,
    (i, g, m): (usize, usize, usize),
    bytes: &'b [u8],
    opts: &Options,
) -> (Outcome, Vec<SegmentRef<'b>>, Vec<Placement>) {
    let ic = &map.interchanges[i];
    let gr = &ic.groups[g];
    translate_inner(grammars, (ic, gr, &gr.transactions[m]), bytes, opts, true)
}

fn translate_inner<'b>(
    grammars: &GrammarSet,
    (ic, gr, msg): (&Interchange, &Group, &Message),
    bytes: &'b [u8],
    opts: &Options,
    want_placements: bool,
) -> (Outcome, Vec<SegmentRef<'b>>, Vec<Placement>) {
    let ctl = controls(ic, gr, msg);
    let mut outcome = Outcome {
        status: Status::Rejected,
        set_id: msg.header.message_type.clone(),
        offset: msg.span.start,
        controls: ctl.clone(),
        document: None,
        findings: Vec::new(),
        envelope_reasons: super::envelope_reasons([&ic.findings, &gr.findings, &msg.findings]),
        context: None,
    };
    let what = format!("message {} {}", msg.header.message_type, msg.control);
    if let Some(m) = super::over_limits(&opts.limits, &what, msg.segment_count, msg.span.len()) {
        let mut f = Finding::error(Code::LimitExceeded, m)
            .at(msg.span.start, msg.first_index, "UNH")
            .with_controls(&ctl);
        f.segment_position = Some(1);
        outcome.findings.push(f);
        return (outcome, Vec::new(), Vec::new());
    }
    let segments: Vec<SegmentRef<'b>> =
        Reader::resume(bytes, ic.delimiters, msg.span.start, msg.first_index)
            .with_max_segment(opts.limits.max_segment_bytes)
            .filter_map(Result::ok)
            .collect();
    let rejected_by_envelope = !outcome.envelope_reasons.is_empty();
    if rejected_by_envelope && !want_placements {
        return (outcome, segments, Vec::new());
    }
    let at_unh = |f: Finding| {
        let mut f = f
            .at(msg.span.start, msg.first_index, "UNH")
            .with_controls(&ctl);
        f.segment_position = Some(1);
        f
    };
    let (directory, note) = directory_of(msg);
    if let Some(note) = note {
        outcome
            .findings
            .push(at_unh(Finding::warning(Code::VersionFallback, note)));
    }
    let Some((grammar, fallback)) = grammars.edifact(&directory, &msg.header.message_type) else {
        let what = match message_name(&msg.header.message_type) {
            Some(n) => format!(
                "{} ({n}) is recognized and its envelope checked, but tallyman does not translate it",
                msg.header.message_type
            ),
            None => format!(
                "'{}' is not a message type tallyman knows; its envelope was checked and it was not translated",
                msg.header.message_type
            ),
        };
        outcome.findings.push(at_unh(Finding::warning(
            Code::SetNotSupported,
            format!("message {what}"),
        )));
        outcome.status = if rejected_by_envelope {
            Status::Rejected
        } else {
            Status::NotMapped
        };
        return (outcome, segments, Vec::new());
    };
    if let Some(note) = fallback {
        outcome
            .findings
            .push(at_unh(Finding::warning(Code::VersionFallback, note)));
    }

    // The declared character set against the bytes actually sent.
    let declared = Charset::from_syntax_id(&ic.header.syntax_id);
    let mut charset = declared;
    if let Some(mm) = declared.inspect(bytes) {
        let offset = msg.span.start + mm.offset();
        let seg = segments
            .iter()
            .rev()
            .find(|s| s.span.start <= offset)
            .unwrap_or(&segments[0]);
        let message = match &mm {
            Mismatch::Utf8 { sample, .. } => {
                charset = Charset::Utf8("UTF-8");
                format!(
                    "UNB declares {}, but the message carries UTF-8 ('{sample}' at byte {offset}); its text is read as UTF-8",
                    declared.describe()
                )
            }
            Mismatch::OutsideSet { byte, .. } => format!(
                "UNB declares {}, but byte 0x{byte:02X} at {offset} is not in that set; it is read as ISO 8859-1",
                declared.describe()
            ),
            Mismatch::InvalidUtf8 { .. } => format!(
                "UNB declares {}, but the bytes at {offset} are not valid UTF-8 ('{}')",
                declared.describe(),
                for_message(&bytes[mm.offset()..(mm.offset() + 4).min(bytes.len())], 8)
            ),
        };
        let mut f = Finding::error(Code::InvalidCharacter, message)
            .at(seg.span.start, seg.index, seg.tag_str())
            .with_controls(&ctl);
        f.segment_position = Some(seg.index - msg.first_index + 1);
        outcome.findings.push(f);
    }

    let mut table = FieldTable::with_capacity(segments.len());
    for s in &segments {
        table.push(s.tag(), s.span, s.index, s.separators(), s.elements());
    }
    let fields = table.fields();
    let validation = validate(&grammar, &fields, &ctl, want_placements);
    outcome.findings.extend(validation.findings);
    opts.strictness.apply(&mut outcome.findings);
    if rejected_by_envelope {
        outcome.status = Status::Rejected;
        return (outcome, segments, validation.placements);
    }
    // A document with grammar errors is still read, for the business context of its report.
    let grammar_rejected = outcome.findings.iter().any(Finding::is_error);

    let source = Source {
        file: opts.file.clone(),
        offset: msg.span.start,
        standard: "edifact".into(),
        version: [
            &msg.header.version,
            &msg.header.release,
            &msg.header.agency,
            &msg.header.association,
        ]
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(":")
        .trim_end_matches(':')
        .to_string(),
        set: msg.header.message_type.clone(),
        sender: ic.explicit.then(|| Identity {
            qualifier: ic.header.sender_qualifier.clone(),
            id: ic.header.sender_id.clone(),
        }),
        receiver: ic.explicit.then(|| Identity {
            qualifier: ic.header.recipient_qualifier.clone(),
            id: ic.header.recipient_id.clone(),
        }),
        interchange_control: ctl.interchange.clone(),
        group_control: ctl.group.clone(),
        transaction_control: ctl.transaction.clone(),
        channel: opts.channel.clone(),
        test: ic.header.test,
    };
    let mut source = source;
    let mut envelope_values = super::clean_source(&mut source, "UNB/UNG/UNH", at_unh);
    opts.strictness.apply(&mut envelope_values);
    outcome.findings.extend(envelope_values);
    let mut ctx = common::Ctx {
        controls: &ctl,
        charset,
        findings: Vec::new(),
    };
    let doc = match msg.header.message_type.as_str() {
        "ORDERS" | "DESADV" | "INVOIC" => {
            let w = walk::walk(&mut ctx, &fields);
            match msg.header.message_type.as_str() {
                "ORDERS" => documents::order(&mut ctx, &fields, w, source).map(Document::Order),
                "DESADV" => {
                    documents::ship_notice(&mut ctx, &fields, w, source).map(Document::ShipNotice)
                }
                _ => documents::invoice(&mut ctx, &fields, w, source).map(Document::Invoice),
            }
        }
        other => {
            let name = message_name(other).unwrap_or("");
            outcome.findings.extend((!grammar_rejected).then(|| at_unh(Finding::warning(
                Code::SetNotSupported,
                format!("message {other} ({name}) is valid, but tallyman does not translate it into the canonical model"),
            ))));
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

/// Translates a whole EDIFACT input held in memory.
pub fn translate_all(
    input: &[u8],
    grammars: &GrammarSet,
    opts: &Options,
) -> (EnvelopeMap, Vec<Outcome>) {
    let mut map = scan(input);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    let outcomes = map
        .messages()
        .map(|(i, g, m, msg)| {
            translate_message(
                grammars,
                &map,
                (i, g, m),
                &input[msg.span.start..msg.span.end],
                opts,
            )
        })
        .collect();
    (map, outcomes)
}

/// Translates an EDIFACT stream with memory flat in the file size, as the X12 one does: a
/// compact envelope pass for the group and interchange verdicts, then a second pass that hands
/// out each message as it closes, re-read by its span.
pub fn translate_reader<R, F>(
    mut reader: R,
    grammars: &GrammarSet,
    opts: &Options,
    chunk: usize,
    mut sink: F,
) -> std::io::Result<EnvelopeMap>
where
    R: std::io::Read + std::io::Seek,
    F: FnMut(&EnvelopeMap, &Message, Outcome) -> std::io::Result<()>,
{
    use crate::envelope::{pump, pump_with};
    use std::io::SeekFrom;
    reader.seek(SeekFrom::Start(0))?;
    let max_segment = opts.limits.max_segment_bytes;
    let mut first = StreamFeed::with(Scanner::compact()).with_max_segment(max_segment);
    let total = pump(std::io::BufReader::new(&mut reader), chunk, &mut first)?;
    let mut map = first.scanner.finish(total);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    reader.seek(SeekFrom::Start(0))?;
    let mut second = StreamFeed::with(Scanner::streaming()).with_max_segment(max_segment);
    let mut batch = super::Batch::new();
    let map = map;
    let translate = |c: &crate::envelope::edifact::Closed, bytes: &[u8]| {
        // The first pass's copy holds the findings; one it did not keep had none.
        let judged = map.interchange(c.interchange.number);
        let ic = judged.unwrap_or(&c.interchange);
        let gr = judged
            .and_then(|ic| ic.group(c.group.number))
            .unwrap_or(&c.group);
        translate_inner(grammars, (ic, gr, &c.transaction), bytes, opts, false).0
    };
    // Collects every set the second pass has closed so far; translates them when enough wait.
    let mut drain = |scanner: &mut Scanner, r: &mut R, last: bool| -> std::io::Result<()> {
        while let Some(mut closed) = scanner.take_closed() {
            let msg = &mut closed.transaction;
            if opts.relax_envelope {
                crate::envelope::relax_findings(&mut msg.findings);
            }
            let what = format!("message {}", msg.header.message_type);
            if super::over_limits(&opts.limits, &what, msg.segment_count, msg.span.len()).is_some()
            {
                // Rejected unread: translate_inner says why.
                if batch.push(closed, Vec::new()) {
                    batch.flush(translate, |c, o| sink(&map, &c.transaction, o))?;
                }
                continue;
            }
            let here = r.stream_position()?;
            let mut buf = vec![0; msg.span.len()];
            r.seek(SeekFrom::Start(msg.span.start as u64))?;
            r.read_exact(&mut buf)?;
            r.seek(SeekFrom::Start(here))?;
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
