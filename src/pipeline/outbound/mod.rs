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
//! document, its row, PO, line, SKU and rule (`finish::complete`); a run killed
//! before its commit sent nothing, and one killed after it is completed by the next run: the
//! same bytes under the same name, never a document with new control numbers (the ledger keeps
//! every document's bytes).
//!
//! Workers sharing a ledger read the outbox one at a time, all of it (a claim on the whole
//! outbox, then on each file): read side by side, an invoice could be checked before another
//! worker's ship notice for its PO was recorded, and held for want of one.
//!
//! `checks` says whether a document may go, `render` writes its interchange, `read`
//! reads the outbox's files; `tallyman generate` uses all three without a run.

mod checks;
mod read;
mod render;

pub use checks::{Before, check_against_po, normalized, not_taken, sent_before};
pub use read::read_files;
pub use render::{Controls, body_for, file_name, render};

use super::deliver::{Delivery, EDIFACT_MAX, X12_MAX, free_control};
use super::report::{HeldEntry, SentEntry};
use super::settings::{Channel, ChannelFormat, Config};
use super::work::{self, Layout, crash_point};
use super::{Error, io_err};
use crate::erp::export::Exported;
use crate::ledger::outbound::{CoveredLine, OutboundRow};
use crate::ledger::{Disposition, FileRow, Ledger};
use crate::model::Document;
use crate::rules::presend;
use crate::transport::{Inbound, local::LocalFolder};
use checks::{amends, purpose_name};
use read::{read_unit, units};
use std::path::Path;

/// The channel name export files are recorded under in the ledger: not a channel id (those
/// are letters, digits, `-` and `_`), so it never mixes with a partner's files.
pub const OUTBOX: &str = "@erp-outbox";

/// The claim on the whole outbox, under [`OUTBOX`]: no file's name (those are relative paths
/// of at least one character other than `/`).
const WHOLE_OUTBOX: &str = "/";

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
    // One worker at a time reads the outbox, all of it, in name order: an invoice after the
    // ship notice it follows, an amendment after what it amends, as the ERP wrote them.
    // Workers sharing the ledger that read its files side by side would check an invoice
    // before another worker's ship notice for its PO was recorded, and hold it.
    if let Some(run) = run
        && !listing.entries.is_empty()
        && let Some(holder) = ledger
            .claim(run, &[(OUTBOX, WHOLE_OUTBOX)])?
            .pop()
            .flatten()
    {
        tracing::info!(
            worker = holder.as_str(),
            "ERP outbox left to the worker reading it"
        );
        return Ok(done);
    }
    let listed: std::collections::HashSet<String> =
        listing.entries.iter().map(|e| e.name.clone()).collect();
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
    // Files still being written: left for the next run, but the other half of a pair waits
    // for them.
    let mut arriving = listed;
    for e in &entries {
        arriving.remove(&e.name);
    }
    // Every export is read first: an amendment may come in a file before the one holding
    // what it amends.
    let mut pending: Vec<Pending> = Vec::new();
    for unit in units(cfg, entries, &arriving, &mut report.waiting) {
        // Each file is claimed too, as inputs are.
        if let Some(run) = run {
            let names: Vec<(&str, &str)> = std::iter::once(&unit.main)
                .chain(unit.detail.iter())
                .map(|e| (OUTBOX, e.name.as_str()))
                .collect();
            if let Some(holder) = ledger.claim(run, &names)?.into_iter().flatten().next() {
                tracing::info!(
                    file = unit.main.name.as_str(),
                    worker = holder.as_str(),
                    "ERP export left to the worker reading it"
                );
                continue;
            }
        }
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
        let name = unit.main.name.clone();
        let folder_channel = name
            .split_once('/')
            .map(|(dir, _)| dir.to_owned())
            .filter(|d| cfg.channel(d).is_some());
        let held = read
            .held
            .into_iter()
            .map(|h| HeldEntry {
                file: name.clone(),
                at: h.at,
                channel: folder_channel.clone(),
                kind: h.kind,
                number: h.number,
                orders: Vec::new(),
                problems: h.problems,
            })
            .collect();
        pending.push(Pending {
            name,
            folder_channel,
            staged_files: staged_files
                .into_iter()
                .map(|(e, s, f)| (e.name.clone(), s, f))
                .collect(),
            documents: read.documents,
            held,
            sent: 0,
        });
    }
    // Amendments of what earlier runs sent first (a cancellation frees what a new notice may
    // ship), then originals, then amendments of this run's originals: whatever order the
    // files are in, an amendment comes after what it amends.
    let mut order: Vec<Vec<u8>> = Vec::with_capacity(pending.len());
    for p in &pending {
        let mut passes = Vec::with_capacity(p.documents.len());
        for (ex, _) in &p.documents {
            let doc = &ex.document;
            let channel = ex
                .channel
                .as_deref()
                .or(doc.source().channel.as_deref())
                .or(p.folder_channel.as_deref());
            passes.push(if !amends(doc) {
                1
            } else if let Some(c) = channel
                && !ledger
                    .outbound_documents(c, doc.kind(), doc.number())?
                    .is_empty()
            {
                0
            } else {
                2
            });
        }
        order.push(passes);
    }
    for pass in 0..3u8 {
        for (p, passes) in pending.iter_mut().zip(&order) {
            for ((ex, at), _) in p.documents.iter().zip(passes).filter(|(_, q)| **q == pass) {
                match one(
                    cfg,
                    ex,
                    at,
                    p.folder_channel.as_deref(),
                    ledger_run,
                    started,
                    delivery,
                    ledger,
                )? {
                    Decision::Sent(sent) => {
                        let (row, entry_sent) = *sent;
                        p.sent += 1;
                        report.sent.push(entry_sent);
                        done.sent.push(row);
                    }
                    Decision::Duplicate => report.duplicates += 1,
                    Decision::Held {
                        channel,
                        problems,
                        orders,
                    } => p.held.push(HeldEntry {
                        file: p.name.clone(),
                        at: at.clone(),
                        channel,
                        kind: Some(ex.document.kind().to_owned()),
                        number: Some(ex.document.number().to_owned()),
                        orders,
                        problems,
                    }),
                }
            }
        }
    }
    for p in pending {
        let quarantined = !p.held.is_empty();
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
        for (i, (name, staged, fetched)) in p.staged_files.iter().enumerate() {
            let stored =
                crate::transport::join_name(&folder, &super::fit_name(name, super::RESERVED));
            // The report goes beside the file the export is named after.
            if i == 0 && quarantined && run.is_some() {
                write_reports(staged, name, &p.held, cfg.file_mode)?;
            }
            let row = FileRow {
                channel: OUTBOX.to_owned(),
                name: name.clone(),
                sha256: fetched.sha256.clone(),
                size: fetched.size,
                disposition,
                staged: staged.display().to_string(),
                stored: stored.display().to_string(),
                origin: source.origin(name),
                remove_origin: !cfg.keep_exports,
                replay_of: None,
            };
            ledger.add_file(ledger_run, &row)?;
            if i == 0 {
                report.exports.push(super::report::ExportEntry {
                    name: name.clone(),
                    disposition,
                    stored: run.map(|_| row.stored.clone()),
                    sent: p.sent,
                    held: p.held.len() as u64,
                });
            }
            done.files.push(row);
        }
        report.held.extend(p.held);
        crash_point("export read");
    }
    Ok(done)
}

/// An export read and waiting for its documents to be decided.
struct Pending {
    /// The file it is named after (the header file of a pair).
    name: String,
    folder_channel: Option<String>,
    /// Name, staged path and what was fetched, of each of its files.
    staged_files: Vec<(String, std::path::PathBuf, crate::transport::Fetched)>,
    documents: Vec<(Exported, String)>,
    held: Vec<HeldEntry>,
    sent: u64,
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
    if let Some(why) = checks::not_taken(channel, send, doc) {
        return Ok(held(Some(channel), orders, vec![why]));
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
