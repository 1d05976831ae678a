//! Outbound: the ERP's ship notices and invoices, checked against the partner's PO, written as
//! 856/810 or DESADV/INVOIC into the partner's outbound folder, exactly once.
//!
//! Phase: after the inbound files are routed (so a PO that arrived in this run is known) and
//! before the commit. For each file in `[paths] erp_outbox` (in name order; a file in a
//! sub-folder named after a channel is for that channel):
//!
//! 1. it is staged and read: canonical JSON Lines (`.jsonl`, a `ShipNotice` or `Invoice` per
//!    line as `translate` prints it) or CSV through an ERP export profile
//!    ([`crate::erp::export`]); a bad row holds back its document only;
//! 2. each document finds its channel: its own `channel` (a column, `source.channel`), the
//!    sub-folder, or the one channel that sent the PO it answers;
//! 3. a document sent before under the same number is a duplicate when its content is the
//!    same (nothing is sent again) and held as a conflict when it is not;
//! 4. the business rules ([`crate::rules::check`]) and the pre-send compliance rules against
//!    the PO ([`crate::rules::presend`]) run; any violation holds the document back;
//! 5. the body is written for the partner ([`crate::map::outbound`]), wrapped in an envelope
//!    with control numbers from the ledger ([`crate::envelope::build`]), written under a
//!    temporary name in the channel's outbound folder, and recorded in the ledger with its
//!    exact bytes, the PO lines it covers and its SSCCs, all in the run's open transaction.
//!
//! After the commit the documents are renamed into place and the export file moves to the
//! archive (everything sent or a duplicate) or to quarantine with a report naming each held
//! document, its row, PO, line, SKU and rule ([`super::finish::complete`]); a run killed
//! before its commit sent nothing, and one killed after it is completed from the ledger,
//! which holds every document's bytes: the same bytes under the same name, never a document
//! with new control numbers.

use super::deliver::{
    Delivery, EDIFACT_MAX, X12_MAX, edifact_delimiters, free_control, x12_delimiters,
};
use super::report::{HeldEntry, SentEntry};
use super::settings::{Channel, ChannelFormat, Config};
use super::work::{self, Layout, crash_point};
use super::{Error, io_err};
use crate::envelope::build::{
    EdifactEnvelope, EdifactMessage, X12Envelope, X12Group, X12Set, write_edifact, write_x12,
};
use crate::erp::export::{self, Exported};
use crate::ledger::outbound::{CoveredLine, OutboundRow};
use crate::ledger::{Disposition, FileRow, Ledger};
use crate::model::{Document, Identity};
use crate::rules::presend::{self, PoState};
use crate::transport::{Inbound, local::LocalFolder};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The channel name export files are recorded under in the ledger: not a channel id (those
/// are letters, digits, `-` and `_`), so it never mixes with a partner's files.
pub const OUTBOX: &str = "@erp-outbox";

/// What the outbound step of a run did.
#[derive(Debug, Default)]
pub(super) struct Done {
    /// The export files, for completing the run.
    pub files: Vec<FileRow>,
    /// The documents sent, for completing the run.
    pub sent: Vec<OutboundRow>,
}

/// Reads the ERP outbox and sends what it holds (see the module documentation).
#[allow(clippy::too_many_arguments)]
pub(super) fn send(
    cfg: &Config,
    layout: &Layout,
    staging: &Path,
    run: Option<i64>,
    ledger_run: i64,
    started: &str,
    delivery: &mut Delivery<'_>,
    ledger: &mut dyn Ledger,
    run_report: &mut super::report::RunReport,
) -> Result<Done, Error> {
    let mut done = Done::default();
    let super::report::RunReport {
        outbound: report,
        channel_errors: errors,
        still_arriving,
        ..
    } = run_report;
    let Some(outbox) = cfg.erp_outbox.as_deref() else {
        return Ok(done);
    };
    let source = LocalFolder::new(outbox);
    let listing = match source.list() {
        Ok(l) => l,
        // An outbox not made yet holds nothing.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
        Err(e) => {
            errors.push(format!(
                "ERP outbox: cannot list {}: {e}",
                source.describe()
            ));
            return Ok(done);
        }
    };
    errors.extend(listing.problems.iter().map(|p| format!("ERP outbox: {p}")));
    let entries = super::settled(
        &source,
        listing.entries,
        cfg.settle_seconds,
        still_arriving,
        OUTBOX,
    );
    let tag = if run.is_some() {
        layout.tag()
    } else {
        "dry-run"
    };
    let mut staged_count = 0usize;
    let export_profiles = super::settings::load_export_profiles(cfg.exports.as_deref())
        .map_err(|e| Error::Setup(format!("loading ERP export profiles: {e}")))?;
    for unit in units(cfg, entries, &mut report.waiting) {
        let mut staged_files = Vec::new();
        let mut failed = false;
        for entry in std::iter::once(&unit.main).chain(unit.detail.iter()) {
            // Too large to read: left where it is, said once a run, never copied.
            if entry.size > cfg.limits.max_file_bytes {
                errors.push(format!(
                    "ERP outbox: {} has {} bytes, more than limits.max_file_bytes ({}); it is left where it is",
                    source.origin(&entry.name),
                    entry.size,
                    cfg.limits.max_file_bytes
                ));
                failed = true;
                break;
            }
            let n = staged_count;
            staged_count += 1;
            let base = entry.name.rsplit('/').next().unwrap_or(&entry.name);
            let staged = staging.join("files").join(OUTBOX).join(format!(
                "{n:06}-{}",
                super::fit_name(base, 7 + super::RESERVED)
            ));
            if let Some(dir) = staged.parent() {
                crate::transport::create_private_dirs(dir).map_err(io_err("creating staging"))?;
            }
            match source.fetch(&entry.name, Some(entry), &staged, cfg.file_mode) {
                Ok(f) if f.size > cfg.limits.max_file_bytes => {
                    errors.push(format!(
                        "ERP outbox: {} has {} bytes, more than limits.max_file_bytes ({}); it is left where it is",
                        source.origin(&entry.name),
                        f.size,
                        cfg.limits.max_file_bytes
                    ));
                    let _ = std::fs::remove_file(&staged);
                    failed = true;
                }
                Ok(f) => staged_files.push((entry, staged, f)),
                Err(e) => {
                    errors.push(format!(
                        "ERP outbox: {} is not read: {e}; it is left where it is",
                        source.origin(&entry.name)
                    ));
                    failed = true;
                }
            }
        }
        if failed {
            for (_, staged, _) in &staged_files {
                let _ = std::fs::remove_file(staged);
            }
            continue;
        }
        // Kept in the outbox and read before: every file of it (a header file and its detail
        // file) as it was then; a corrected detail file is read again with its header.
        let mut seen = Vec::new();
        if cfg.keep_exports {
            for (_, _, f) in &staged_files {
                match ledger.file_by_sha(OUTBOX, &f.sha256)? {
                    Some(prev) => seen.push(prev),
                    None => break,
                }
            }
        }
        if cfg.keep_exports
            && seen.len() == staged_files.len()
            && let Some(prev) = seen.first()
        {
            // Kept in the outbox: read before, and what it held was sent or held then.
            report.already_read.push(format!(
                "{} (read in run {} as {})",
                unit.main.name, prev.run, prev.name
            ));
            for (_, staged, _) in &staged_files {
                let _ = std::fs::remove_file(staged);
            }
            continue;
        }
        let mut contents = Vec::new();
        for (_, staged, _) in &staged_files {
            contents.push(std::fs::read(staged).map_err(io_err("reading a staged ERP export"))?);
        }
        let read = read_unit(&unit, &contents, &export_profiles);
        let name = &unit.main.name;
        let folder_channel = name
            .split_once('/')
            .map(|(dir, _)| dir)
            .filter(|d| cfg.channel(d).is_some());
        let mut held_here = Vec::new();
        for h in read.held {
            held_here.push(HeldEntry {
                file: name.clone(),
                at: h.at,
                channel: folder_channel.map(str::to_owned),
                kind: h.kind,
                number: h.number,
                orders: Vec::new(),
                problems: h.problems,
            });
        }
        let mut sent_here = 0usize;
        for (ex, at) in read.documents {
            match one(
                cfg,
                &ex,
                &at,
                folder_channel,
                ledger_run,
                started,
                delivery,
                ledger,
            )? {
                Decision::Sent(sent) => {
                    let (row, entry_sent) = *sent;
                    sent_here += 1;
                    report.sent.push(entry_sent);
                    done.sent.push(row);
                }
                Decision::Duplicate => report.duplicates += 1,
                Decision::Held {
                    channel,
                    problems,
                    orders,
                } => held_here.push(HeldEntry {
                    file: name.clone(),
                    at,
                    channel,
                    kind: Some(ex.document.kind().to_owned()),
                    number: Some(ex.document.number().to_owned()),
                    orders,
                    problems,
                }),
            }
        }
        let quarantined = !held_here.is_empty();
        let disposition = if quarantined {
            Disposition::Quarantined
        } else {
            Disposition::Archived
        };
        let folder = if quarantined {
            layout.quarantine(tag)
        } else {
            layout.archive(tag)
        }
        .join(OUTBOX);
        for (i, (entry, staged, fetched)) in staged_files.iter().enumerate() {
            let stored = crate::transport::join_name(
                &folder,
                &super::fit_name(&entry.name, super::RESERVED),
            );
            // The report goes beside the file the export is named after.
            if i == 0 && quarantined && run.is_some() {
                write_reports(staged, &entry.name, &held_here, cfg.file_mode)?;
            }
            let row = FileRow {
                channel: OUTBOX.to_owned(),
                name: entry.name.clone(),
                sha256: fetched.sha256.clone(),
                size: fetched.size,
                disposition,
                staged: staged.display().to_string(),
                stored: stored.display().to_string(),
                origin: source.origin(&entry.name),
                remove_origin: !cfg.keep_exports,
                replay_of: None,
            };
            ledger.add_file(ledger_run, &row)?;
            if i == 0 {
                report.exports.push(super::report::ExportEntry {
                    name: entry.name.clone(),
                    disposition,
                    stored: run.map(|_| row.stored.clone()),
                    sent: sent_here as u64,
                    held: held_here.len() as u64,
                });
            }
            done.files.push(row);
        }
        report.held.extend(held_here);
        crash_point("export read");
    }
    Ok(done)
}

/// A document with the same number sent to the channel before.
pub enum Before {
    /// With the same purpose and content: it is not sent again (a sentence saying when it
    /// was sent).
    Same(String),
    /// It cannot be sent: held (the sentence, with its rule code).
    Other(String),
}

/// The wire name of a purpose (`original`, `replace`, `cancel`...).
fn purpose_name(p: crate::model::Purpose) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Whether a document replaces or cancels one sent under its number.
fn amends(doc: &Document) -> bool {
    matches!(
        doc.purpose(),
        crate::model::Purpose::Replace | crate::model::Purpose::Cancel
    )
}

/// The document's content hash, and what its number was sent as before. A number is sent
/// once per purpose: an original once, then replacements and a cancellation of it, each once.
pub fn sent_before(
    ledger: &dyn Ledger,
    channel: &Channel,
    doc: &Document,
) -> Result<(String, Option<Before>), Error> {
    let kind = doc.kind();
    let purpose = purpose_name(doc.purpose());
    let hash = crate::model::hash::ValueHasher::new()
        .document(doc)
        .map(|h| crate::model::hash::ContentHash::V2(h).to_string())
        .map_err(|e| Error::Setup(format!("hashing an exported document: {e}")))?;
    let rows = ledger.outbound_documents(&channel.id, kind, doc.number())?;
    let what = |b: &OutboundRow| {
        format!(
            "{} {} ({}) was sent to {} in run {} ({})",
            kind.replace('_', " "),
            doc.number(),
            b.purpose,
            channel.id,
            b.run,
            b.path
        )
    };
    let before = if let Some(b) = rows.iter().find(|b| b.purpose == purpose) {
        Some(if b.content_hash == hash {
            Before::Same(format!("already_sent: {}, with the same content", what(b)))
        } else {
            Before::Other(format!(
                "sent_before: {} with other content; a partner takes a number once per purpose: send a replacement (purpose replace) or use a new number",
                what(b)
            ))
        })
    } else if amends(doc) && !rows.iter().any(|b| b.purpose == "original") {
        Some(Before::Other(format!(
            "nothing_to_amend: {} {} would {} a document never sent to {} under that number: send it as an original, or check the number",
            kind.replace('_', " "),
            doc.number(),
            if doc.purpose() == crate::model::Purpose::Cancel {
                "cancel"
            } else {
                "replace"
            },
            channel.id
        )))
    } else if !amends(doc)
        && let Some(b) = rows.first()
    {
        Some(Before::Other(format!(
            "sent_before: {}; a partner takes a number once: send a replacement (purpose replace) or use a new number",
            what(b)
        )))
    } else if rows.iter().any(|b| b.purpose == "cancel") {
        Some(Before::Other(format!(
            "sent_before: {} {} was cancelled; a cancelled number is not sent again: use a new number",
            kind.replace('_', " "),
            doc.number()
        )))
    } else {
        None
    };
    Ok((hash, before))
}

/// The business rules and the checks against the partner's PO (from `ledger`); the problems
/// found (rule code, colon, sentence) and what the document covers of the PO.
pub fn check_against_po(
    doc: &Document,
    channel: &Channel,
    send: &super::settings::Send,
    ledger: &dyn Ledger,
) -> Result<(Vec<String>, presend::Checked), Error> {
    // A cancellation ships and invoices nothing: it withdraws what its number covered.
    if doc.purpose() == crate::model::Purpose::Cancel {
        return Ok((Vec::new(), presend::Checked::default()));
    }
    let mut problems: Vec<String> = crate::rules::check(doc)
        .into_iter()
        .map(|v| format!("{}: {}", v.rule, v.message))
        .collect();
    let mut pos = BTreeMap::new();
    for po in presend::orders_of(doc) {
        let lines = ledger.po_lines(&channel.id, &po)?;
        // A replacement is checked as if what it replaces had not been sent.
        let except = amends(doc).then(|| doc.number());
        let sum = |kind: &str| -> Result<HashMap<String, rust_decimal::Decimal>, Error> {
            Ok(ledger
                .covered(&channel.id, kind, &po, except)?
                .into_iter()
                .collect())
        };
        let state = PoState {
            lines,
            shipped: sum("ship_notice")?,
            invoiced: sum("invoice")?,
        };
        pos.insert(po, state);
    }
    // Earlier ship notices' SSCCs, looked up first so that a ledger error stops the run
    // instead of passing for "never sent".
    let mut earlier = HashMap::new();
    if let Document::ShipNotice(s) = doc {
        for sscc in s.packages.iter().filter_map(|p| p.sscc.as_deref()) {
            let key = presend::sscc_key(sscc);
            if let Some((c, n)) = ledger.sscc_sent(&key)?
                // A replacement keeps the packages of the notice it replaces.
                && !(amends(doc) && c == channel.id && n == doc.number())
            {
                earlier.insert(key, format!("{n} (channel {c})"));
            }
        }
    }
    let sscc_sent = |s: &str| earlier.get(s).cloned();
    let checked = presend::check(doc, &pos, &sscc_sent, &send.policy);
    problems.extend(
        checked
            .violations
            .iter()
            .map(|v| format!("{}: {}", v.rule, v.message)),
    );
    Ok((problems, checked))
}

/// The body of `doc` for the channel's partner, and the profile it was written with; an
/// error is the sentence a held document's report gives.
pub fn body_for(
    channel: &Channel,
    send: &super::settings::Send,
    doc: &Document,
) -> Result<(crate::map::outbound::Body, crate::map::outbound::Profile), String> {
    let edifact = channel.format == ChannelFormat::Edifact;
    let mut profile = send.profile.clone();
    let set_id = match (edifact, doc) {
        (false, Document::ShipNotice(_)) => "856",
        (false, _) => "810",
        (true, Document::ShipNotice(_)) => "DESADV",
        (true, _) => "INVOIC",
    };
    profile.association = send.associations.get(set_id).cloned();
    let body = crate::map::outbound::body(doc, edifact, &profile)
        .map_err(|e| format!("cannot_write: {e}"))?;
    Ok((body, profile))
}

/// Our control numbers in one outbound interchange: ISA13, GS06, ST02; or UNB 0020 and UNH
/// 0062 (`group` unused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    pub interchange: u64,
    pub group: u64,
    pub set: u64,
}

/// One interchange ready to deliver.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    /// Its file name in the outbound folder (`acme-856-000000017.x12`, `acme-desadv-17.edi`).
    pub name: String,
    /// `ISA13/GS06/ST02` or `0020/0062`.
    pub controls: String,
    /// The number the partner's acknowledgment of it carries (`GS:SH:17`, `UNB:17`).
    pub ack_key: String,
}

/// The file name of an outbound document.
pub fn file_name(channel: &Channel, set_id: &str, n: u64) -> String {
    if channel.format == ChannelFormat::Edifact {
        format!("{}-{}-{n}.edi", channel.id, set_id.to_lowercase())
    } else {
        format!("{}-{set_id}-{n:09}.x12", channel.id)
    }
}

/// Wraps a body in its interchange for the channel's partner.
pub fn render(
    channel: &Channel,
    send: &super::settings::Send,
    body: &crate::map::outbound::Body,
    profile: &crate::map::outbound::Profile,
    c: &Controls,
    stamp: jiff::civil::DateTime,
) -> Result<Rendered, String> {
    let our = Identity {
        qualifier: send.sender_qualifier.clone(),
        id: channel.our_id.clone().unwrap_or_default(),
    };
    let theirs = Identity {
        qualifier: send.receiver_qualifier.clone(),
        id: channel.partner_id.clone().unwrap_or_default(),
    };
    let mut bytes = Vec::new();
    let name = file_name(channel, body.set_id, c.interchange);
    if channel.format == ChannelFormat::Edifact {
        let (v, r) = profile.version.split_at(1);
        let mut identifier = vec![body.set_id, v, r, "UN"];
        if let Some(a) = profile.association.as_deref() {
            identifier.push(a);
        }
        let env = EdifactEnvelope {
            syntax_id: send.syntax_id.clone(),
            syntax_version: send.syntax_version.clone(),
            sender: our,
            recipient: theirs,
            control: c.interchange,
            ack_requested: send.ack_requested,
            test: send.test,
            delimiters: channel
                .delimiters
                .as_deref()
                .and_then(edifact_delimiters)
                .unwrap_or_default(),
            stamp,
            transliterate: send.transliterate,
        };
        let message = EdifactMessage {
            reference: c.set,
            identifier,
            segments: &body.segments,
        };
        write_edifact(&mut bytes, &env, &[message]).map_err(|e| format!("cannot_write: {e}"))?;
        return Ok(Rendered {
            bytes,
            name,
            controls: format!("{}/{}", c.interchange, c.set),
            ack_key: format!("UNB:{}", c.interchange),
        });
    }
    // X12 partners read ASCII: other characters are transliterated (the channel's
    // `send.transliterate`, on by default) or the document is held.
    let ascii;
    let segments = match crate::envelope::build::first_non_ascii(&body.segments) {
        None => &body.segments,
        Some(_) if send.transliterate => {
            ascii = crate::envelope::build::transliterated(&body.segments);
            &ascii
        }
        Some(c) => {
            return Err(format!(
                "cannot_write: '{}' is not ASCII, which X12 partners read; set the channel's send.transliterate = true to write it as its closest ASCII, or correct it in the ERP",
                c.escape_default()
            ));
        }
    };
    let env = X12Envelope {
        sender: our,
        receiver: theirs,
        version: if profile.version == "005010" {
            "00501".into()
        } else {
            "00401".into()
        },
        control: c.interchange,
        ack_requested: send.ack_requested,
        usage: if send.test { "T" } else { "P" }.into(),
        delimiters: channel
            .delimiters
            .as_deref()
            .and_then(x12_delimiters)
            .unwrap_or_default(),
        stamp,
    };
    let group = X12Group {
        functional_id: body.functional_id,
        sender: &send.application_sender,
        receiver: &send.application_receiver,
        control: c.group,
        version: &profile.version,
        sets: vec![X12Set {
            id: body.set_id,
            control: c.set,
            implementation: None,
            segments,
        }],
    };
    write_x12(&mut bytes, &env, &[], &[group]).map_err(|e| format!("cannot_write: {e}"))?;
    Ok(Rendered {
        bytes,
        name,
        controls: format!("{:09}/{}/{:04}", c.interchange, c.group, c.set),
        ack_key: format!("GS:{}:{}", body.functional_id, c.group),
    })
}

/// The export as the partner reads it: a ship notice's lines without an order of their own
/// belong to its one order (the 856's HL order level, the DESADV's line RFF+ON), and every
/// order a line names is among its `order_refs`.
pub fn normalized(doc: &Document) -> Document {
    let mut doc = doc.clone();
    if let Document::ShipNotice(s) = &mut doc {
        for l in &s.lines {
            if let Some(o) = &l.order_number
                && !s.order_refs.contains(o)
            {
                s.order_refs.push(o.clone());
            }
        }
        if let [only] = s.order_refs.as_slice() {
            let only = only.clone();
            for l in &mut s.lines {
                l.order_number.get_or_insert_with(|| only.clone());
            }
        }
    }
    doc
}

/// What became of one exported document.
enum Decision {
    Sent(Box<(OutboundRow, SentEntry)>),
    /// Sent before with the same content: nothing is sent again.
    Duplicate,
    Held {
        channel: Option<String>,
        orders: Vec<String>,
        problems: Vec<String>,
    },
}

fn held(channel: Option<&Channel>, orders: Vec<String>, problems: Vec<String>) -> Decision {
    Decision::Held {
        channel: channel.map(|c| c.id.clone()),
        orders,
        problems,
    }
}

/// Decides, checks, writes and records one document.
#[allow(clippy::too_many_arguments)]
fn one(
    cfg: &Config,
    ex: &Exported,
    at: &str,
    folder_channel: Option<&str>,
    ledger_run: i64,
    started: &str,
    delivery: &mut Delivery<'_>,
    ledger: &mut dyn Ledger,
) -> Result<Decision, Error> {
    let doc = &normalized(&ex.document);
    let orders = presend::orders_of(doc);
    let kind = doc.kind();
    // Its channel: its own, the sub-folder's, or the one that sent its PO.
    let own = ex.channel.as_deref().or(doc.source().channel.as_deref());
    if let (Some(own), Some(folder)) = (own, folder_channel)
        && own != folder
    {
        return Ok(held(
            None,
            orders,
            vec![format!(
                "channel_mismatch: the export names channel {own}, but it is in channel {folder}'s folder of the ERP outbox: a document goes to one partner; correct the channel in the ERP or move the file"
            )],
        ));
    }
    let named = own.or(folder_channel);
    let channel = match named {
        Some(id) => match cfg.channel(id) {
            Some(c) => c,
            None => {
                return Ok(held(
                    None,
                    orders,
                    vec![format!(
                        "channel_unknown: the export names channel '{id}', which is not configured; {}",
                        cfg.no_channel(id)
                    )],
                ));
            }
        },
        None => {
            let mut found: Vec<&Channel> = Vec::new();
            for c in cfg.channels.iter().filter(|c| c.send.is_some()) {
                for po in &orders {
                    if ledger.po_lines(&c.id, po)?.is_some() && !found.iter().any(|f| f.id == c.id)
                    {
                        found.push(c);
                    }
                }
            }
            match found.as_slice() {
                [one] => *one,
                [] => {
                    return Ok(held(
                        None,
                        orders.clone(),
                        vec![format!(
                            "channel_unknown: no channel sent PO {}, and the export names no channel: put the file in the channel's sub-folder of the ERP outbox or give it a channel column",
                            if orders.is_empty() {
                                "(none named)".to_owned()
                            } else {
                                orders.join(", ")
                            }
                        )],
                    ));
                }
                several => {
                    return Ok(held(
                        None,
                        orders,
                        vec![format!(
                            "channel_ambiguous: PO numbers {} were sent by several channels ({}): name the channel in the export",
                            presend::orders_of(doc).join(", "),
                            several
                                .iter()
                                .map(|c| c.id.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )],
                    ));
                }
            }
        }
    };
    let Some(send) = channel.send.as_ref() else {
        return Ok(held(
            Some(channel),
            orders,
            vec![format!(
                "not_sent_to_channel: channel {} sends no ship notices or invoices: add a [channel.{}.send] table",
                channel.id, channel.id
            )],
        ));
    };
    if !send.documents.iter().any(|d| d == kind) {
        return Ok(held(
            Some(channel),
            orders,
            vec![format!(
                "not_sent_to_channel: channel {} takes no {}s (send.documents = {:?})",
                channel.id,
                kind.replace('_', " "),
                send.documents
            )],
        ));
    }
    let dir = channel
        .outbound
        .as_deref()
        .expect("configuration checks that send has an outbound folder");
    let (hash, before) = sent_before(&*ledger, channel, doc)?;
    match before {
        Some(Before::Same(_)) => return Ok(Decision::Duplicate),
        Some(Before::Other(why)) => return Ok(held(Some(channel), orders, vec![why])),
        None => {}
    }
    let (problems, checked) = check_against_po(doc, channel, send, &*ledger)?;
    if !problems.is_empty() {
        return Ok(held(Some(channel), orders, problems));
    }
    let (body, profile) = match body_for(channel, send, doc) {
        Ok(b) => b,
        Err(e) => return Ok(held(Some(channel), orders, vec![e])),
    };
    let edifact = channel.format == ChannelFormat::Edifact;
    let controls = if edifact {
        let unb = free_control(ledger, &channel.id, "unb", EDIFACT_MAX, |n| {
            dir.join(file_name(channel, body.set_id, n))
        })?;
        Controls {
            interchange: unb,
            group: 0,
            set: ledger.next_control(&channel.id, "unh", EDIFACT_MAX)?,
        }
    } else {
        let isa = free_control(ledger, &channel.id, "isa", X12_MAX, |n| {
            dir.join(file_name(channel, body.set_id, n))
        })?;
        Controls {
            interchange: isa,
            group: ledger.next_control(&channel.id, "gs", X12_MAX)?,
            set: ledger.next_control(&channel.id, "st", X12_MAX)?,
        }
    };
    let r = match render(channel, send, &body, &profile, &controls, delivery.stamp) {
        Ok(r) => r,
        Err(e) => return Ok(held(Some(channel), orders, vec![e])),
    };
    let (bytes, name, controls, ack_key, set_id) =
        (r.bytes, r.name, r.controls, r.ack_key, body.set_id);
    let (path, temp) = delivery.write(dir, &name, &bytes)?;
    crash_point("outbound written");
    let row = OutboundRow {
        id: 0,
        run: ledger_run,
        channel: channel.id.clone(),
        kind: kind.to_owned(),
        number: doc.number().to_owned(),
        purpose: purpose_name(doc.purpose()),
        content_hash: hash,
        orders: orders.clone(),
        set_id: set_id.to_owned(),
        controls: controls.clone(),
        ack_key,
        path: path.clone(),
        temp,
        bytes,
        sent: started.to_owned(),
        export: at.to_owned(),
    };
    let covered: Vec<CoveredLine> = checked
        .matched
        .iter()
        .map(|m| CoveredLine {
            po: m.po.clone(),
            line: m.line.clone(),
            quantity: m.quantity,
        })
        .collect();
    let ssccs: Vec<String> = match doc {
        // A cancelled notice's packages are not shipped: their SSCCs stay free.
        _ if doc.purpose() == crate::model::Purpose::Cancel => Vec::new(),
        Document::ShipNotice(s) => s
            .packages
            .iter()
            .filter_map(|p| p.sscc.as_deref().map(presend::sscc_key))
            .collect(),
        _ => Vec::new(),
    };
    let mut row = row;
    // A replacement or cancellation takes back what the earlier ones of its number covered.
    if amends(doc) {
        ledger.withdraw(&channel.id, kind, doc.number())?;
    }
    row.id = ledger.add_outbound(&row, &covered, &ssccs)?;
    let entry = SentEntry {
        channel: channel.id.clone(),
        kind: kind.to_owned(),
        number: doc.number().to_owned(),
        set: set_id.to_owned(),
        orders,
        controls,
        path,
    };
    Ok(Decision::Sent(Box::new((row, entry))))
}

/// An export read, whatever its format: documents with where they are (`line 3`, `rows
/// 4-6`), and the documents held back by their rows.
struct Read {
    documents: Vec<(Exported, String)>,
    held: Vec<ReadHeld>,
}

struct ReadHeld {
    /// The profile's document kind, when the file has one.
    kind: Option<String>,
    at: String,
    number: Option<String>,
    problems: Vec<String>,
}

/// How an export file is read.
enum How {
    Jsonl,
    Csv(String),
    /// A header file with its detail file ([`Unit::detail`]).
    HeaderDetail(String),
    /// No `[[export]]` names it.
    Unknown,
    /// A header file whose detail file (or the reverse) has not come in [`ORPHAN_AFTER`]:
    /// quarantined with this sentence, so that it does not wait unseen for ever.
    Orphan(String),
}

/// How long a header file waits for its detail file (or the reverse) before it is
/// quarantined: an ERP writes the two within minutes.
const ORPHAN_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);
const ORPHAN_HOURS_TEXT: &str = "more than an hour";

/// Whether a file has waited for its other half longer than [`ORPHAN_AFTER`].
fn waited_out(e: &crate::transport::Entry) -> bool {
    std::time::SystemTime::now()
        .duration_since(e.modified)
        .is_ok_and(|age| age > ORPHAN_AFTER)
}

/// What is read together: one file, or a header file and its detail file.
struct Unit {
    main: crate::transport::Entry,
    detail: Option<crate::transport::Entry>,
    how: How,
}

/// Pairs the outbox's files into what is read together. A detail file waits for its header
/// file and a header file for its detail file (named in `waiting`): the ERP may be writing
/// the other one still.
fn units(
    cfg: &Config,
    entries: Vec<crate::transport::Entry>,
    waiting: &mut Vec<String>,
) -> Vec<Unit> {
    use super::settings::ExportFiles;
    let base = |name: &str| name.rsplit('/').next().unwrap_or(name).to_owned();
    let folder = |name: &str| name.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    let is_detail = |name: &str| {
        cfg.export_files.iter().any(|e| {
            e.detail
                .as_deref()
                .is_some_and(|d| ExportFiles::matches(d, &base(name)).is_some())
        })
    };
    let mut by_name: std::collections::HashMap<String, crate::transport::Entry> = entries
        .iter()
        .map(|e| (e.name.clone(), e.clone()))
        .collect();
    let mut out = Vec::new();
    for e in entries {
        let lower = e.name.to_ascii_lowercase();
        let b = base(&e.name);
        if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            out.push(Unit {
                main: e,
                detail: None,
                how: How::Jsonl,
            });
            continue;
        }
        let rule = cfg
            .export_files
            .iter()
            .find_map(|r| ExportFiles::matches(&r.files, &b).map(|star| (r, star.to_owned())));
        match rule {
            Some((r, star)) => match &r.detail {
                None => out.push(Unit {
                    main: e,
                    detail: None,
                    how: How::Csv(r.profile.clone()),
                }),
                Some(d) => {
                    let dir = folder(&e.name);
                    let detail_name = d.replacen('*', &star, 1);
                    let detail_path = if dir.is_empty() {
                        detail_name
                    } else {
                        format!("{dir}/{detail_name}")
                    };
                    match by_name.remove(&detail_path) {
                        Some(detail) => out.push(Unit {
                            main: e,
                            detail: Some(detail),
                            how: How::HeaderDetail(r.profile.clone()),
                        }),
                        None if waited_out(&e) => out.push(Unit {
                            how: How::Orphan(format!(
                                "orphan_export: {} has waited {} for its detail file {detail_path}, which has not come: export the invoice again, both files",
                                e.name,
                                ORPHAN_HOURS_TEXT
                            )),
                            main: e,
                            detail: None,
                        }),
                        None => waiting.push(format!(
                            "{OUTBOX}/{} (waits for its detail file {detail_path})",
                            e.name
                        )),
                    }
                }
            },
            None if is_detail(&e.name) => {
                // Read with its header file, if that is here.
                let here = cfg.export_files.iter().any(|r| {
                    r.detail.as_deref().is_some_and(|d| {
                        ExportFiles::matches(d, &b).is_some_and(|star| {
                            let header = r.files.replacen('*', star, 1);
                            let dir = folder(&e.name);
                            let header = if dir.is_empty() {
                                header
                            } else {
                                format!("{dir}/{header}")
                            };
                            by_name.contains_key(&header)
                        })
                    })
                });
                if !here && waited_out(&e) {
                    out.push(Unit {
                        how: How::Orphan(format!(
                            "orphan_export: {} has waited {} for its header file, which has not come: export the document again, both files",
                            e.name, ORPHAN_HOURS_TEXT
                        )),
                        main: e,
                        detail: None,
                    });
                } else if !here {
                    waiting.push(format!("{OUTBOX}/{} (waits for its header file)", e.name));
                }
            }
            None => out.push(Unit {
                main: e,
                detail: None,
                how: How::Unknown,
            }),
        }
    }
    // A detail file taken with a header file listed after it is not read on its own.
    out.retain(|u| !matches!(u.how, How::Csv(_) | How::Unknown) || !is_detail(&u.main.name));
    out
}

/// Reads a unit's contents (`contents[0]` the main file's, `[1]` the detail file's).
fn read_unit(unit: &Unit, contents: &[Vec<u8>], profiles: &export::Profiles) -> Read {
    let name = unit.main.name.as_str();
    let whole_file = |why: String| Read {
        documents: Vec::new(),
        held: vec![ReadHeld {
            kind: None,
            at: "the whole file".to_owned(),
            number: None,
            problems: vec![why],
        }],
    };
    let profile = |id: &str| {
        profiles
            .get(id)
            .expect("the configuration checked that the profile exists")
    };
    let kind = match &unit.how {
        How::Csv(id) | How::HeaderDetail(id) => Some(profile(id).kind.name()),
        _ => None,
    };
    let (results, unit_word) = match &unit.how {
        How::Jsonl => (export::read_jsonl(name, &contents[0]), "line"),
        How::Csv(id) => (export::read_csv(profile(id), name, &contents[0]), "row"),
        How::HeaderDetail(id) => {
            let detail = unit.detail.as_ref().expect("paired with its detail file");
            (
                export::read_header_detail(
                    profile(id),
                    (name, &contents[0]),
                    (&detail.name, &contents[1]),
                ),
                "row",
            )
        }
        How::Orphan(why) => return whole_file(why.clone()),
        How::Unknown => {
            return whole_file(format!(
                "unknown_export: {name} is not JSON Lines (.jsonl) and no [[export]] in the configuration names a profile for it; nothing in it is sent: add an [[export]] with files = \"...\" and the profile that reads it"
            ));
        }
    };
    let mut read = Read {
        documents: Vec::new(),
        held: Vec::new(),
    };
    for r in results {
        match r {
            Ok(ex) => {
                let at = match ex.rows {
                    (a, b) if a == b => format!("{unit_word} {a}"),
                    (a, b) => format!("{unit_word}s {a}-{b}"),
                };
                read.documents.push((ex, at));
            }
            Err(h) => read.held.push(ReadHeld {
                kind: kind.map(str::to_owned),
                at: h.problems.iter().find_map(|p| p.row).map_or_else(
                    || "the whole file".to_owned(),
                    |r| format!("{unit_word} {r}"),
                ),
                number: h.number.clone(),
                problems: h
                    .problems
                    .iter()
                    .map(|p| format!("bad_export_row: {p}"))
                    .collect(),
            }),
        }
    }
    read
}

/// The quarantine report of an export file with held documents, beside its staged copy
/// (moved with it after the commit).
fn write_reports(staged: &Path, name: &str, held: &[HeldEntry], mode: u32) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(&serde_json::json!({
        "file": name,
        "held": held,
    }))
    .map_err(|e| Error::Setup(e.to_string()))?;
    work::write_atomic(&super::with_suffix(staged, ".report.json"), &json, mode)
        .map_err(io_err("writing an export's quarantine report"))?;
    let mut text = format!(
        "ERP export {}: {} document(s) held back, not sent to any partner.\nFix them in the ERP and export them again; what was sent from this file stays sent.\n\n",
        crate::transport::printable(name),
        held.len()
    );
    for h in held {
        text.push_str(&h.describe());
        text.push('\n');
    }
    work::write_atomic(
        &super::with_suffix(staged, ".report.txt"),
        text.as_bytes(),
        mode,
    )
    .map_err(io_err("writing an export's quarantine report"))?;
    Ok(())
}

/// Records the lines of a purchase order accepted from a channel we send to (`json` is its
/// canonical JSON line): what its ship notices and invoices are checked against.
pub(super) fn record_po(
    ledger: &mut dyn Ledger,
    run: i64,
    channel: &str,
    json: &str,
) -> Result<(), Error> {
    let order = match serde_json::from_str::<Document>(json) {
        Ok(Document::Order(o)) => o,
        Ok(_) => return Ok(()),
        Err(e) => {
            return Err(Error::Setup(format!(
                "reading back an accepted order to record its lines: {e}"
            )));
        }
    };
    use crate::model::Purpose;
    // A cancellation leaves the order no lines: nothing more is shipped or invoiced against it.
    if order.purpose == Purpose::Cancel {
        ledger.add_po(run, channel, &order.order_number, &[], true)?;
        return Ok(());
    }
    let lines: Vec<presend::PoLine> = order
        .lines
        .iter()
        .map(|l| presend::PoLine {
            line: l.line_number.clone(),
            quantity: l.quantity,
            unit: l.unit.clone(),
            unit_price: l.unit_price,
            ids: l.item_ids.clone(),
        })
        .collect();
    let all = order.purpose != Purpose::Change;
    ledger.add_po(run, channel, &order.order_number, &lines, all)?;
    Ok(())
}

/// Export files read for `tallyman generate`: the documents (with the file and where in it),
/// the documents held back by their rows, and files left unread (a header file without its
/// detail file) with why.
#[derive(Debug, Default)]
pub struct ReadFiles {
    pub documents: Vec<(Exported, String, String)>,
    pub held: Vec<HeldEntry>,
    pub unread: Vec<String>,
}

/// Reads export files given by name and contents, as the run reads the outbox's (JSON Lines,
/// CSV through the configuration's `[[export]]`, header and detail files paired).
pub fn read_files(cfg: &Config, files: &[(String, Vec<u8>)]) -> Result<ReadFiles, Error> {
    let profiles = super::settings::load_export_profiles(cfg.exports.as_deref())
        .map_err(|e| Error::Setup(format!("loading ERP export profiles: {e}")))?;
    let entries: Vec<crate::transport::Entry> = files
        .iter()
        .map(|(name, bytes)| crate::transport::Entry {
            name: name.clone(),
            size: bytes.len() as u64,
            // Given now: a header file without its detail file is not read, not an orphan.
            modified: std::time::SystemTime::now(),
            dev: 0,
            ino: 0,
        })
        .collect();
    let mut out = ReadFiles::default();
    let contents: HashMap<&str, &[u8]> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    for unit in units(cfg, entries, &mut out.unread) {
        let mut c = vec![contents[unit.main.name.as_str()].to_vec()];
        if let Some(d) = &unit.detail {
            c.push(contents[d.name.as_str()].to_vec());
        }
        let read = read_unit(&unit, &c, &profiles);
        for (ex, at) in read.documents {
            out.documents.push((ex, at, unit.main.name.clone()));
        }
        for h in read.held {
            out.held.push(HeldEntry {
                file: unit.main.name.clone(),
                at: h.at,
                channel: None,
                kind: h.kind,
                number: h.number,
                orders: Vec::new(),
                problems: h.problems,
            });
        }
    }
    Ok(out)
}
