//! Translating one staged file: the part of a run that runs in parallel.
//!
//! Each file is translated as `tallyman translate` would, under its channel's strictness; every
//! accepted document is then checked against the channel (sender, receiver, version) and the
//! business rules, hashed for dedupe, and written to a spool file so that memory holds only a
//! small summary per document. Nothing here looks at the ledger or at other files: routing
//! (duplicates, conflicts) happens afterwards, in input order.

use crate::config::{Channel, ChannelFormat};
use crate::diag::{Code, Controls, Finding};
use crate::feeds::Profiles;
use crate::grammar::{GrammarSet, Strictness};
use crate::map::{Options, Status};
use crate::model::{Document, Purpose, Source};
use crate::translate::Format;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Sender, receiver and control number of an interchange.
pub type InterchangeKey = std::sync::Arc<(String, String, String)>;

/// What one document came to before routing.
#[derive(Debug, Clone)]
pub struct DocResult {
    pub offset: u64,
    pub set_id: String,
    pub controls: Controls,
    /// Translated and passed the channel and business checks: a candidate for acceptance.
    pub candidate: bool,
    /// Recognized but not a document tallyman translates (997, 855, CONTRL...).
    pub not_mapped: bool,
    /// `order`, `ship_notice`, `invoice`, when the document was mapped.
    pub kind: Option<&'static str>,
    pub number: Option<String>,
    pub purpose: Option<Purpose>,
    /// SHA-256 of the canonical document without its `source`.
    pub content_hash: Option<[u8; 32]>,
    /// Line index in the file's spool, for candidates.
    pub spool_line: Option<usize>,
    /// Interchange sender, receiver and control number, when there is an interchange (shared
    /// by the documents of one interchange).
    pub interchange: Option<InterchangeKey>,
    /// Why it is rejected (empty for candidates).
    pub problems: Vec<Finding>,
    /// Item ids of the document's lines (SKU or other), for business context in reports.
    pub items: Vec<String>,
}

/// What one file came to before routing.
#[derive(Debug)]
pub struct FileResult {
    pub format: Format,
    pub profile: Option<String>,
    pub docs: Vec<DocResult>,
    /// Every finding the translation made, in file order (warnings included).
    pub findings: Vec<Finding>,
    /// Errors that enclose no document, or a file that could not be read at all.
    pub file_errors: usize,
    pub spool: Option<PathBuf>,
}

/// Translates a staged file. `name` is what findings and documents call it.
pub fn process(
    staged: &Path,
    name: &str,
    spool: &Path,
    channel: &Channel,
    grammars: &GrammarSet,
    profiles: &Profiles,
    limits: &crate::limits::Limits,
) -> io::Result<FileResult> {
    let opts = Options {
        strictness: channel.strictness,
        file: name.to_owned(),
        channel: Some(channel.id.clone()),
        relax_envelope: channel.relax_envelope,
        feed_profile: channel.profile.clone(),
        limits: *limits,
    };
    let file = std::fs::File::open(staged)?;
    let mut out = BufWriter::new(std::fs::File::create(spool)?);
    let mut docs = Vec::new();
    let mut spooled = 0usize;
    let mut line = Vec::new();
    let mut last_interchange: Option<InterchangeKey> = None;
    let report = crate::translate::translate(file, grammars, profiles, &opts, |o| {
        let mut d = DocResult {
            offset: o.offset as u64,
            set_id: o.set_id.clone(),
            controls: o.controls.clone(),
            candidate: false,
            not_mapped: o.status == Status::NotMapped,
            kind: None,
            number: None,
            purpose: None,
            content_hash: None,
            spool_line: None,
            interchange: None,
            problems: Vec::new(),
            items: Vec::new(),
        };
        let context = o
            .document
            .as_ref()
            .map(crate::map::DocContext::of)
            .or_else(|| o.context.clone());
        if let Some(c) = context {
            d.kind = Some(c.kind);
            d.number = Some(c.number);
            d.purpose = Some(c.purpose);
            d.items = c.items;
        }
        if let Some(doc) = &o.document {
            let s = doc.source();
            if let (Some(ic), Some(snd), Some(rcv)) =
                (&s.interchange_control, &s.sender, &s.receiver)
            {
                let key = (
                    snd.id.trim().to_owned(),
                    rcv.id.trim().to_owned(),
                    ic.clone(),
                );
                d.interchange = match &last_interchange {
                    Some(k) if **k == key => Some(k.clone()),
                    _ => {
                        let k = InterchangeKey::new(key);
                        last_interchange = Some(k.clone());
                        Some(k)
                    }
                };
            }
        }
        if o.status != Status::Accepted {
            d.problems = o
                .findings
                .iter()
                .filter(|f| f.is_error())
                .cloned()
                .collect();
            for r in &o.envelope_reasons {
                d.problems.push(
                    Finding::error(Code::EnvelopeRejected, r.to_string())
                        .at_offset(o.offset)
                        .with_controls(&o.controls),
                );
            }
            docs.push(d);
            return Ok(());
        }
        let doc = o
            .document
            .as_ref()
            .expect("an accepted outcome has a document");
        let at = |code, message: String| {
            let mut f = Finding::error(code, message)
                .at_offset(o.offset)
                .with_controls(&o.controls);
            f.segment_position = Some(1);
            f
        };
        for message in channel_mismatch(channel, doc) {
            d.problems.push(at(Code::WrongChannel, message));
        }
        for v in crate::rules::check(doc) {
            // The message names the line and its item; the rule code leads it.
            d.problems
                .push(at(Code::BusinessRule, format!("{}: {}", v.rule, v.message)));
        }
        if d.problems.is_empty() {
            line.clear();
            serde_json::to_writer(&mut line, doc).map_err(io::Error::other)?;
            line.push(b'\n');
            out.write_all(&line)?;
            d.content_hash = Some(content_hash(doc)?);
            d.spool_line = Some(spooled);
            d.candidate = true;
            // Item ids are context for reports on documents that fail; an accepted document's
            // are in the spool, and keeping them here would cost memory per line of the batch.
            d.items = Vec::new();
            spooled += 1;
        }
        docs.push(d);
        Ok(())
    })?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    let mut findings = report.findings;
    // Channel and rule problems are findings of this file too.
    for d in &docs {
        findings.extend(
            d.problems
                .iter()
                .filter(|f| matches!(f.code, Code::WrongChannel | Code::BusinessRule))
                .cloned(),
        );
    }
    findings.sort_by_key(|f| f.offset);
    let mut file_errors = report.tally.envelope_errors;
    let expected = match channel.format {
        ChannelFormat::X12 => Format::X12,
        ChannelFormat::Edifact => Format::Edifact,
        ChannelFormat::Feed => Format::Feed,
    };
    if report.format != expected && report.format != Format::Unknown {
        file_errors += 1;
        findings.insert(
            0,
            Finding::error(
                Code::WrongChannel,
                format!(
                    "this is {} data, but channel {} receives {}: nothing in it is applied",
                    format_name(report.format),
                    channel.id,
                    channel.format
                ),
            ),
        );
        for d in docs.iter_mut().filter(|d| d.candidate) {
            d.candidate = false;
            d.problems.push(
                Finding::error(
                    Code::WrongChannel,
                    "the file is not in the channel's format",
                )
                .at_offset(d.offset as usize)
                .with_controls(&d.controls),
            );
        }
    }
    if docs.is_empty() && file_errors == 0 {
        file_errors += 1;
        findings.push(Finding::error(
            Code::UnreadableFile,
            "the file holds no document (it is empty or has only envelopes)",
        ));
    }
    Ok(FileResult {
        format: report.format,
        profile: report.profile,
        docs,
        findings,
        file_errors,
        spool: Some(spool.to_owned()),
    })
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::X12 => "X12",
        Format::Edifact => "EDIFACT",
        Format::Feed => "marketplace feed",
        Format::Unknown => "unknown",
    }
}

/// A file that could not even be opened or read: one file error, nothing translated.
pub fn unreadable(message: String) -> FileResult {
    FileResult {
        format: Format::Unknown,
        profile: None,
        docs: Vec::new(),
        findings: vec![Finding::error(Code::UnreadableFile, message)],
        file_errors: 1,
        spool: None,
    }
}

pub fn purpose_name(p: Purpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{p:?}").to_lowercase())
}

/// The dedupe hash: the canonical document without `source`, which differs between two
/// deliveries of the same document (file name, offset, control numbers).
pub fn content_hash(doc: &Document) -> io::Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let mut d = doc.clone();
    *d.source_mut() = Source::default();
    let bytes = serde_json::to_vec(&d).map_err(io::Error::other)?;
    Ok(Sha256::digest(&bytes).into())
}

/// Checks a translated document against its channel's identifiers and version.
fn channel_mismatch(channel: &Channel, doc: &Document) -> Vec<String> {
    let s = doc.source();
    let mut out = Vec::new();
    let lenient = channel.strictness == Strictness::Lenient;
    if let (Some(want), Some(got)) = (&channel.partner_id, &s.sender)
        && got.id.trim() != want
    {
        out.push(format!(
            "sent by '{}', but channel {} is partner '{want}': the file is in the wrong drop folder or the partner changed ids",
            got.id.trim(),
            channel.id
        ));
    }
    if let (Some(want), Some(got)) = (&channel.our_id, &s.receiver)
        && got.id.trim() != want
    {
        out.push(format!(
            "addressed to '{}', but on channel {} we are '{want}'",
            got.id.trim(),
            channel.id
        ));
    }
    // `004010` against GS08 `004010` or `004010VICS`; `D96A` against UNH `D:96A:UN:EAN008`.
    let plain = |v: &str| v.replace(':', "").to_ascii_uppercase();
    if let Some(want) = &channel.version
        && !lenient
        && !s.version.is_empty()
        && !plain(&s.version).starts_with(&plain(want))
        && !plain(want).starts_with(&plain(&s.version))
    {
        out.push(format!(
            "version {} is not channel {}'s version {want}",
            s.version, channel.id
        ));
    }
    out
}
