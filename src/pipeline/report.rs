//! Run reports and quarantine reports.
//!
//! Phase: the end of a run. Each run writes `WORK/reports/run-N.json` and prints a short
//! summary on stderr; each quarantined file gets `NAME.report.json` and `NAME.report.txt`
//! beside it, naming the file, every problem with its byte offset, segment and control
//! numbers, and the business context (channel, document number, SKUs).

use crate::diag::Finding;
use crate::ledger::{Disposition, Route};
use crate::transport::printable;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Documents per route.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Documents accepted and written to the ERP files.
    pub accepted: u64,
    /// Documents received before with the same content: set aside, not written again.
    pub duplicate: u64,
    /// Documents whose number was accepted before with other content: quarantined for the
    /// operator (`tallyman ledger resolve`).
    pub conflict: u64,
    /// Documents rejected (envelope, grammar, mapping, business rules).
    pub rejected: u64,
    /// Recognized, checked and reported, but not a kind tallyman translates (997, 855...).
    pub not_translated: u64,
}

impl Counts {
    /// Counts one document by the route the run gave it; `not_mapped` marks a rejection that
    /// only says tallyman does not translate this kind.
    pub fn add(&mut self, route: Route, not_mapped: bool) {
        match route {
            // A superseded document was accepted when it was routed.
            Route::Accepted | Route::Superseded => self.accepted += 1,
            Route::Duplicate => self.duplicate += 1,
            Route::Conflict => self.conflict += 1,
            Route::Rejected if not_mapped => self.not_translated += 1,
            Route::Rejected => self.rejected += 1,
        }
    }

    /// Adds another tally (a file's, a channel's) to this one.
    pub fn merge(&mut self, o: &Counts) {
        self.accepted += o.accepted;
        self.duplicate += o.duplicate;
        self.conflict += o.conflict;
        self.rejected += o.rejected;
        self.not_translated += o.not_translated;
    }
}

/// One document in a quarantine report.
#[derive(Debug, Clone, Serialize)]
pub struct DocEntry {
    pub offset: u64,
    pub set: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub controls: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub route: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Finding>,
}

/// One input file of a run.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    pub channel: String,
    pub name: String,
    pub format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub bytes: u64,
    pub sha256: String,
    pub disposition: Disposition,
    /// Where it is now (archive or quarantine), when it was stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    /// The earlier file with the same content, for a duplicate file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// The quarantined file this run replayed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay_of: Option<i64>,
    pub documents: Counts,
    /// Findings not told at a document (unreadable bytes, broken envelopes, wrong channel,
    /// warnings): all of them in a quarantine report, the first [`LISTED_PER_FILE`] in the
    /// run report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub file_problems: Vec<Finding>,
    /// Of those, the ones the run report does not list.
    #[serde(skip_serializing_if = "is_zero")]
    pub file_problems_not_listed: u64,
    /// The first error among them, listed or not, for the summary.
    #[serde(skip)]
    pub first_file_error: Option<String>,
    /// Documents that were not accepted: all of them in a quarantine report, the first
    /// [`LISTED_PER_FILE`] in the run report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub documents_not_accepted: Vec<DocEntry>,
    /// Documents not accepted that the run report does not list (the file's quarantine
    /// report lists them, and the ledger records every document).
    #[serde(skip_serializing_if = "is_zero")]
    pub documents_not_listed: u64,
    /// The first error of a document, listed or not, for the summary.
    #[serde(skip)]
    pub first_document_error: Option<String>,
    /// The acknowledgments sent for it: per inbound functional group a 997 or 999, per
    /// interchange a TA1 or CONTRL, with their verdicts and our control numbers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acks: Vec<crate::ledger::AckRow>,
}

/// How many documents not accepted, and how many problems outside them, the run report lists
/// per file: a re-sent file of two million orders is two million duplicates, and neither the
/// run's memory nor its report grows with them.
pub const LISTED_PER_FILE: usize = 100;

/// Adds `item` to a run report's list while it holds fewer than [`LISTED_PER_FILE`]; counts
/// it in `not_listed` after that.
pub fn list_or_count<T>(list: &mut Vec<T>, not_listed: &mut u64, item: T) {
    if list.len() < LISTED_PER_FILE {
        list.push(item);
    } else {
        *not_listed += 1;
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Per channel.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChannelEntry {
    pub files: u64,
    pub bytes: u64,
    pub duplicate_files: u64,
    pub quarantined_files: u64,
    /// Acknowledgments sent to the partner, and how many of them reject something.
    #[serde(skip_serializing_if = "is_zero")]
    pub acks_sent: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub acks_rejecting: u64,
    /// Counts per document kind.
    pub documents: BTreeMap<String, Counts>,
}

/// What a run sent from the ERP outbox, and what it held back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OutboundReport {
    /// The export files read.
    pub exports: Vec<ExportEntry>,
    /// Every document sent.
    pub sent: Vec<SentEntry>,
    /// Every document held back, with why.
    pub held: Vec<HeldEntry>,
    /// Documents exported again with the same content as one sent before: not sent again.
    pub duplicates: u64,
    /// Export files left for the next run: a header file whose detail file is not there yet,
    /// or the reverse.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waiting: Vec<String>,
    /// Export files kept in the outbox (`keep_exports`) and read in an earlier run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub already_read: Vec<String>,
    /// What the partners' acknowledgments received in this run say of documents we sent.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<AckedEntry>,
    /// Documents whose acknowledgment is overdue (the channel's `ack_due`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overdue: Vec<AckedEntry>,
    /// Acknowledgments received in this run that match nothing we sent (what they name).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched_acks: Vec<String>,
}

impl OutboundReport {
    pub fn is_empty(&self) -> bool {
        self.exports.is_empty()
            && self.already_read.is_empty()
            && self.acknowledged.is_empty()
            && self.overdue.is_empty()
            && self.unmatched_acks.is_empty()
    }

    /// Whether a partner rejected something we sent, in an acknowledgment of this run.
    pub fn rejected(&self) -> bool {
        self.acknowledged.iter().any(|a| a.status == "rejected")
    }
}

/// A document we sent, with what its acknowledgment says (or that it is overdue).
#[derive(Debug, Clone, Serialize)]
pub struct AckedEntry {
    pub channel: String,
    pub kind: String,
    pub number: String,
    pub orders: Vec<String>,
    pub set: String,
    pub controls: String,
    /// When it was sent.
    pub sent: String,
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// One ERP export file.
#[derive(Debug, Clone, Serialize)]
pub struct ExportEntry {
    pub name: String,
    pub disposition: Disposition,
    /// Where it was moved (with a report beside it when quarantined); none in a dry run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    pub sent: u64,
    pub held: u64,
}

/// A document sent to a partner.
#[derive(Debug, Clone, Serialize)]
pub struct SentEntry {
    pub channel: String,
    /// `ship_notice` or `invoice`.
    pub kind: String,
    pub number: String,
    /// `856`, `810`, `DESADV`, `INVOIC`.
    pub set: String,
    pub orders: Vec<String>,
    /// Our control numbers in it.
    pub controls: String,
    pub path: String,
}

/// A document held back: never sent.
#[derive(Debug, Clone, Serialize)]
pub struct HeldEntry {
    /// The export file, and where in it (`line 3`, `rows 4-6`).
    pub file: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<String>,
    /// Each problem: its rule code, a colon, a plain sentence.
    pub problems: Vec<String>,
}

impl HeldEntry {
    /// What is held: `ship notice SH-1`, `a ship notice without a number`, or everything in
    /// the file when no document could be told apart (an orphan, an unknown format).
    pub fn what(&self) -> String {
        let kind = self.kind.as_deref().map(|k| k.replace('_', " "));
        match (kind, self.number.as_deref()) {
            (Some(k), Some(n)) => format!("{k} {n}"),
            (None, Some(n)) => format!("document {n}"),
            (Some(k), None) => format!("a {k} without a number"),
            (None, None) => "everything in the file".to_owned(),
        }
    }

    /// The entry in a paragraph: which document, where, for whom, and every problem.
    pub fn describe(&self) -> String {
        let mut s = format!("{} ({}, {})", self.what(), self.file, self.at);
        if let Some(c) = &self.channel {
            let _ = write!(s, " for channel {c}");
        }
        if !self.orders.is_empty() {
            let _ = write!(s, ", PO {}", self.orders.join(", "));
        }
        // Values come from the export: each line is printed escaped, on its one line.
        let mut s = printable(&s).into_owned();
        s.push_str(":\n");
        for p in &self.problems {
            let _ = writeln!(s, "  - {}", printable(p));
        }
        s
    }
}

/// An ERP import file of the run.
#[derive(Debug, Clone, Serialize)]
pub struct OutputEntry {
    pub path: String,
    pub documents: u64,
}

/// A file quarantined by an interrupted run that this run completed.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveredFile {
    pub run: i64,
    pub channel: String,
    pub name: String,
    /// Where it is, with its `.report.txt` and `.report.json` beside it.
    pub stored: String,
}

/// The run report.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The run id; none for a dry run.
    pub run: Option<i64>,
    /// A dry run: nothing was written, moved or recorded.
    pub dry_run: bool,
    /// When it started (RFC 3339, UTC).
    pub started: String,
    /// When it finished (RFC 3339, UTC).
    pub finished: String,
    /// How long it took.
    pub duration_ms: u64,
    /// The worker threads it used.
    pub threads: usize,
    /// The bytes of the files it read.
    pub bytes: u64,
    /// Documents and files by outcome, over all channels.
    pub totals: Counts,
    /// The same counts per channel, by channel id.
    pub channels: BTreeMap<String, ChannelEntry>,
    /// The ERP import files it wrote.
    pub outputs: Vec<OutputEntry>,
    /// Files left in their drop folder because they were still changing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub still_arriving: Vec<String>,
    /// What was done to finish or roll back runs that were interrupted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovered: Vec<String>,
    /// Files quarantined by the interrupted runs it completed (their exit code was never seen).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovered_quarantined: Vec<RecoveredFile>,
    /// Channels whose drop folder could not be read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub channel_errors: Vec<String>,
    /// Every file it read, with what became of each document in it.
    pub files: Vec<FileEntry>,
    /// What the ERP outbox gave: documents sent to partners and documents held back.
    #[serde(skip_serializing_if = "OutboundReport::is_empty")]
    pub outbound: OutboundReport,
    /// The run's exit code: 0 when [`RunReport::clean`], else 1 (a run that fails with 2
    /// writes no report).
    pub exit: u8,
    /// What was delivered to partners' SFTP folders after the commit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<DeliveredEntry>,
    /// Channels in configuration order, for the summary.
    #[serde(skip)]
    pub channel_order: Vec<String>,
}

/// Files delivered to one channel's remote folder.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveredEntry {
    pub channel: String,
    /// The remote folder (`sftp://user@host:port/path`).
    pub to: String,
    pub files: Vec<String>,
}

impl RunReport {
    /// Channels in configuration order (then any others).
    fn channels_in_order(&self) -> Vec<(&String, &ChannelEntry)> {
        let rank = |c: &String| {
            self.channel_order
                .iter()
                .position(|o| o == c)
                .unwrap_or(usize::MAX)
        };
        let mut v: Vec<_> = self.channels.iter().collect();
        v.sort_by_key(|(c, _)| rank(c));
        v
    }

    /// True when nothing was rejected, conflicted or quarantined and every channel was read.
    pub fn clean(&self) -> bool {
        self.totals.rejected == 0
            && self.totals.conflict == 0
            && self.channel_errors.is_empty()
            && self.recovered_quarantined.is_empty()
            && self.outbound.held.is_empty()
            && !self.outbound.rejected()
            && self
                .files
                .iter()
                .all(|f| f.disposition != Disposition::Quarantined)
    }

    /// 0 when clean, else 1.
    pub fn exit_code(&self) -> u8 {
        u8::from(!self.clean())
    }

    /// The short human summary for stderr.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let what = match self.run {
            Some(r) => format!("run {r}"),
            None => "dry run".to_owned(),
        };
        let files: u64 = self.channels.values().map(|c| c.files).sum();
        let _ = writeln!(
            s,
            "tallyman {what}: {files} file{} ({}) in {:.2} s with {} thread{}",
            plural(files),
            human_bytes(self.bytes),
            self.duration_ms as f64 / 1000.0,
            self.threads,
            plural(self.threads as u64)
        );
        // Names and messages come from partners: each is printed on its one line, escaped.
        for r in &self.recovered {
            let _ = writeln!(s, "  recovered: {}", printable(r));
        }
        for f in &self.recovered_quarantined {
            let _ = writeln!(
                s,
                "  quarantined by run {}: {}/{} (report: {}.report.txt)",
                f.run,
                printable(&f.channel),
                printable(&f.name),
                printable(&f.stored)
            );
        }
        for e in &self.channel_errors {
            let _ = writeln!(s, "  error: {}", printable(e));
        }
        let rows: Vec<(String, String, &Counts)> = self
            .channels_in_order()
            .into_iter()
            .flat_map(|(c, e)| {
                e.documents
                    .iter()
                    .map(move |(k, n)| (c.clone(), k.clone(), n))
            })
            .collect();
        if !rows.is_empty() {
            let cw = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(7);
            let kw = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(8);
            let _ = writeln!(
                s,
                "  {:cw$}  {:kw$}  {:>8} {:>9} {:>8} {:>8}",
                "channel", "document", "accepted", "duplicate", "conflict", "rejected"
            );
            for (c, k, n) in rows {
                let _ = write!(
                    s,
                    "  {c:cw$}  {k:kw$}  {:>8} {:>9} {:>8} {:>8}",
                    n.accepted, n.duplicate, n.conflict, n.rejected
                );
                if n.not_translated > 0 {
                    let _ = write!(s, "  ({} not translated)", n.not_translated);
                }
                s.push('\n');
            }
        }
        for (c, e) in self.channels_in_order() {
            if e.acks_sent > 0 {
                let verb = if self.dry_run { "would send" } else { "sent" };
                let _ = write!(
                    s,
                    "  {c}: {verb} {} acknowledgment{}",
                    e.acks_sent,
                    plural(e.acks_sent)
                );
                if e.acks_rejecting > 0 {
                    let _ = write!(
                        s,
                        " ({} not accepting everything: see the run report)",
                        e.acks_rejecting
                    );
                }
                s.push('\n');
            }
            if e.duplicate_files > 0 {
                let _ = writeln!(
                    s,
                    "  {c}: {} file{} already received before (same checksum), not translated again",
                    e.duplicate_files,
                    plural(e.duplicate_files)
                );
            }
        }
        for f in self
            .files
            .iter()
            .filter(|f| f.disposition == Disposition::Quarantined)
        {
            let first = f
                .first_file_error
                .clone()
                .or_else(|| f.first_document_error.clone())
                .unwrap_or_default();
            // A dry run moves nothing and writes no report: it says what a run would do.
            let _ = writeln!(
                s,
                "  {} {}/{}: {}{}",
                if self.dry_run {
                    "would quarantine"
                } else {
                    "quarantined"
                },
                f.channel,
                printable(&f.name),
                printable(&first),
                f.stored
                    .as_ref()
                    .filter(|_| !self.dry_run)
                    .map(|p| format!(" (report: {}.report.txt)", printable(p)))
                    .unwrap_or_default()
            );
        }
        let verb = if self.dry_run { "would send" } else { "sent" };
        let mut sent: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for e in &self.outbound.sent {
            *sent.entry((&e.channel, &e.set)).or_default() += 1;
        }
        for ((c, set), n) in sent {
            let _ = writeln!(s, "  {c}: {verb} {n} {set}");
        }
        if !self.outbound.already_read.is_empty() {
            let n = self.outbound.already_read.len() as u64;
            let _ = writeln!(
                s,
                "  ERP outbox: {n} file{} kept there (keep_exports) and read before, not read again",
                plural(n)
            );
        }
        for w in &self.outbound.waiting {
            let _ = writeln!(s, "  left for the next run: {}", printable(w));
        }
        if self.outbound.duplicates > 0 {
            let _ = writeln!(
                s,
                "  ERP outbox: {} document{} exported again as sent before, not sent again",
                self.outbound.duplicates,
                plural(self.outbound.duplicates)
            );
        }
        for h in &self.outbound.held {
            let first = h.problems.first().map(String::as_str).unwrap_or_default();
            let _ = writeln!(
                s,
                "  {} {} ({}): {}",
                if self.dry_run { "would hold" } else { "held" },
                printable(&h.what()),
                printable(&h.file),
                printable(first)
            );
        }
        for a in &self.outbound.acknowledged {
            let _ = writeln!(
                s,
                "  {}: {} {} {} (PO {}, sent {}): {} {}",
                a.channel,
                a.kind.replace('_', " "),
                printable(&a.number),
                a.set,
                printable(&a.orders.join(", ")),
                a.sent.get(..10).unwrap_or(&a.sent),
                a.status.replace('_', " "),
                printable(&a.detail)
            );
        }
        // Overdue ones stay overdue run after run: the first few here, all in the run report
        // and in `tallyman ledger outbound`.
        const OVERDUE_LISTED: usize = 5;
        for a in self.outbound.overdue.iter().take(OVERDUE_LISTED) {
            let _ = writeln!(
                s,
                "  {}: {} {} {} (PO {}, sent {}): acknowledgment overdue",
                a.channel,
                a.kind.replace('_', " "),
                printable(&a.number),
                a.set,
                printable(&a.orders.join(", ")),
                a.sent.get(..16).unwrap_or(&a.sent)
            );
        }
        if self.outbound.overdue.len() > OVERDUE_LISTED {
            let _ = writeln!(
                s,
                "  and {} more documents with an overdue acknowledgment: `tallyman ledger outbound CHANNEL` lists them",
                self.outbound.overdue.len() - OVERDUE_LISTED
            );
        }
        for u in &self.outbound.unmatched_acks {
            let _ = writeln!(
                s,
                "  acknowledgment {} matches nothing we sent (it is kept in the ledger; check the control number it quotes against `tallyman ledger outbound`)",
                printable(u)
            );
        }
        for e in self
            .outbound
            .exports
            .iter()
            .filter(|e| e.disposition == Disposition::Quarantined)
        {
            if self.dry_run {
                let _ = writeln!(s, "  would quarantine ERP export {}", printable(&e.name));
            } else if let Some(p) = &e.stored {
                let _ = writeln!(
                    s,
                    "  quarantined ERP export {} (report: {}.report.txt)",
                    printable(&e.name),
                    printable(p)
                );
            }
        }
        for o in &self.outputs {
            let _ = writeln!(s, "  wrote {} ({} documents)", o.path, o.documents);
        }
        for d in &self.delivered {
            const LISTED: usize = 5;
            let mut names = d.files[..d.files.len().min(LISTED)].join(", ");
            if d.files.len() > LISTED {
                names += &format!(" and {} more", d.files.len() - LISTED);
            }
            let _ = writeln!(
                s,
                "  delivered {} file{} to {} ({}): {}",
                d.files.len(),
                plural(d.files.len() as u64),
                printable(&d.to),
                printable(&d.channel),
                printable(&names)
            );
        }
        for f in &self.still_arriving {
            let _ = writeln!(
                s,
                "  left for the next run (still being written): {}",
                printable(f)
            );
        }
        s
    }
}

/// The text flavour of a quarantine report, with the problems and documents `f` lists (runs
/// stream theirs from a [`ReportSpool`]; this is what the tests compare it with).
#[cfg(test)]
fn quarantine_text(f: &FileEntry, run: Option<i64>) -> String {
    let mut s = quarantine_head(f, run);
    if !f.file_problems.is_empty() {
        s += PROBLEMS_HEADING;
        for p in &f.file_problems {
            s += &problem_text(&f.name, p);
        }
    }
    for d in &f.documents_not_accepted {
        s += &document_text(&f.name, d);
    }
    s
}

const PROBLEMS_HEADING: &str = "\nproblems outside any document:\n";

/// One line of a quarantine report's problems outside any document.
fn problem_text(name: &str, p: &Finding) -> String {
    format!("  {}:{}\n", printable(name), printable(&p.to_string()))
}

/// A quarantine report's text up to its problems: the file and its counts.
fn quarantine_head(f: &FileEntry, run: Option<i64>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "tallyman quarantine report");
    let _ = writeln!(s, "file:     {}", printable(&f.name));
    let _ = writeln!(s, "channel:  {}", f.channel);
    if let Some(r) = run {
        let _ = writeln!(s, "run:      {r}");
    }
    let _ = writeln!(
        s,
        "format:   {}{}",
        f.format,
        f.profile
            .as_ref()
            .map(|p| format!(" (profile {p})"))
            .unwrap_or_default()
    );
    let _ = writeln!(s, "sha256:   {}", f.sha256);
    let c = &f.documents;
    let _ = writeln!(
        s,
        "documents: {} accepted, {} duplicate, {} conflict, {} rejected, {} not translated",
        c.accepted, c.duplicate, c.conflict, c.rejected, c.not_translated
    );
    s
}

/// One document of a quarantine report's text. Numbers, control numbers and items are the
/// partner's text: escaped like the names.
fn document_text(name: &str, d: &DocEntry) -> String {
    let mut s = String::new();
    let _ = write!(s, "\n{} {}", d.route, printable(&d.set));
    if let (Some(k), Some(n)) = (d.kind, &d.number) {
        let _ = write!(s, " = {} {}", k.replace('_', " "), printable(n));
        if let Some(p) = &d.purpose {
            let _ = write!(s, " ({})", printable(p));
        }
    }
    let _ = write!(s, " at byte {}", d.offset);
    if !d.controls.is_empty() {
        let _ = write!(s, " {}", printable(&d.controls));
    }
    s.push('\n');
    if !d.items.is_empty() {
        let _ = writeln!(s, "  items: {}", printable(&d.items.join(", ")));
    }
    for p in &d.problems {
        let _ = writeln!(s, "  {}:{}", printable(name), printable(&p.to_string()));
    }
    s
}

/// What a file's quarantine report lists, spooled to disk as it is found (its JSON and its
/// text): the problems outside any document and every document not accepted, so that the
/// report lists them all while memory holds none of them.
pub struct ReportSpool {
    problems: Spooled,
    documents: Spooled,
}

/// One list of a [`ReportSpool`]: a JSON object a line, and the text of each.
struct Spooled {
    json_path: std::path::PathBuf,
    text_path: std::path::PathBuf,
    files: Option<(
        std::io::BufWriter<std::fs::File>,
        std::io::BufWriter<std::fs::File>,
    )>,
    count: u64,
}

impl Spooled {
    fn new(staged: &std::path::Path, what: &str) -> Self {
        let with = |suffix: &str| {
            let mut s = staged.as_os_str().to_owned();
            s.push(format!(".{what}.{suffix}"));
            std::path::PathBuf::from(s)
        };
        Spooled {
            json_path: with("jsonl"),
            text_path: with("txt"),
            files: None,
            count: 0,
        }
    }

    fn push(&mut self, json: &impl Serialize, text: &str) -> std::io::Result<()> {
        use std::io::Write;
        if self.files.is_none() {
            let create = |p: &std::path::Path| -> std::io::Result<_> {
                Ok(std::io::BufWriter::new(std::fs::File::create(p)?))
            };
            self.files = Some((create(&self.json_path)?, create(&self.text_path)?));
        }
        let (j, t) = self.files.as_mut().expect("just opened");
        serde_json::to_writer(&mut *j, json)?;
        j.write_all(b"\n")?;
        t.write_all(text.as_bytes())?;
        self.count += 1;
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        if let Some((j, t)) = &mut self.files {
            j.flush()?;
            t.flush()?;
        }
        Ok(())
    }

    /// `,\n  "key": [` and the spooled objects, one a line, and `]` (nothing when empty).
    fn write_json(&mut self, key: &str, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        use std::io::BufRead;
        if self.count == 0 {
            return Ok(());
        }
        self.flush()?;
        write!(w, ",\n  \"{key}\": [")?;
        let lines = std::io::BufReader::new(std::fs::File::open(&self.json_path)?).lines();
        for (i, line) in lines.enumerate() {
            w.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
            w.write_all(line?.as_bytes())?;
        }
        w.write_all(b"\n  ]")
    }

    fn write_text(&mut self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        if self.count > 0 {
            self.flush()?;
            std::io::copy(&mut std::fs::File::open(&self.text_path)?, w)?;
        }
        Ok(())
    }

    fn remove(self) {
        if self.files.is_some() {
            let _ = std::fs::remove_file(&self.json_path);
            let _ = std::fs::remove_file(&self.text_path);
        }
    }
}

impl ReportSpool {
    /// A spool beside `staged` (its files are created at the first entry).
    pub fn new(staged: &std::path::Path) -> Self {
        ReportSpool {
            problems: Spooled::new(staged, "problems"),
            documents: Spooled::new(staged, "not-accepted"),
        }
    }

    /// A problem outside any document of file `name`.
    pub fn problem(&mut self, name: &str, p: &Finding) -> std::io::Result<()> {
        self.problems.push(p, &problem_text(name, p))
    }

    /// A document of file `name` that was not accepted.
    pub fn document(&mut self, name: &str, d: &DocEntry) -> std::io::Result<()> {
        self.documents.push(d, &document_text(name, d))
    }

    /// Writes the quarantine report's JSON: `f` with every spooled problem and document (one
    /// a line).
    pub fn write_json(&mut self, f: &FileEntry, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let mut head = f.clone();
        head.file_problems = Vec::new();
        head.file_problems_not_listed = 0;
        head.documents_not_accepted = Vec::new();
        head.documents_not_listed = 0;
        let head = serde_json::to_string_pretty(&head)?;
        let open = head
            .strip_suffix("\n}")
            .ok_or_else(|| std::io::Error::other("a file entry is a JSON object"))?;
        w.write_all(open.as_bytes())?;
        self.problems.write_json("file_problems", w)?;
        self.documents.write_json("documents_not_accepted", w)?;
        w.write_all(b"\n}")
    }

    /// Writes the quarantine report's text: `f`'s head, then every spooled problem and
    /// document.
    pub fn write_text(
        &mut self,
        f: &FileEntry,
        run: Option<i64>,
        w: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        w.write_all(quarantine_head(f, run).as_bytes())?;
        if self.problems.count > 0 {
            w.write_all(PROBLEMS_HEADING.as_bytes())?;
        }
        self.problems.write_text(w)?;
        self.documents.write_text(w)
    }

    /// Gives the disk space back.
    pub fn remove(self) {
        self.problems.remove();
        self.documents.remove();
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn human_bytes(b: u64) -> String {
    match b {
        b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A streamed quarantine report says what the whole entry would, in JSON and in text.
    #[test]
    fn a_spooled_quarantine_report_equals_the_entry_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let staged = dir.path().join("000001-po.edi");
        let problem = Finding::error(crate::diag::Code::Syntax, "stray bytes").at_offset(3);
        let doc = |n: u64| DocEntry {
            offset: n * 100,
            set: "850".into(),
            controls: format!("[1/1/{n:04}]"),
            kind: Some("order"),
            number: Some(format!("PO-{n}")),
            purpose: Some("original".into()),
            route: "rejected",
            items: vec!["SKU-1".into()],
            problems: vec![Finding::error(crate::diag::Code::BusinessRule, "qty 0")],
        };
        let mut whole = FileEntry {
            channel: "acme".into(),
            name: "po.edi".into(),
            format: "x12".into(),
            profile: None,
            bytes: 900,
            sha256: "00".into(),
            disposition: crate::ledger::Disposition::Quarantined,
            stored: Some("q/po.edi".into()),
            duplicate_of: None,
            replay_of: None,
            documents: Counts::default(),
            file_problems: vec![problem.clone(), problem.clone()],
            file_problems_not_listed: 0,
            first_file_error: None,
            documents_not_accepted: (1..=3).map(doc).collect(),
            documents_not_listed: 0,
            first_document_error: None,
            acks: Vec::new(),
        };
        whole.documents.rejected = 3;
        let mut spool = ReportSpool::new(&staged);
        for p in &whole.file_problems {
            spool.problem(&whole.name, p).unwrap();
        }
        for d in &whole.documents_not_accepted {
            spool.document(&whole.name, d).unwrap();
        }
        // What the run report keeps: the first of each, the rest counted.
        let mut listed = whole.clone();
        listed.file_problems.truncate(1);
        listed.file_problems_not_listed = 1;
        listed.documents_not_accepted.truncate(1);
        listed.documents_not_listed = 2;
        let mut json = Vec::new();
        spool.write_json(&listed, &mut json).unwrap();
        let streamed: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(streamed, serde_json::to_value(&whole).unwrap());
        let mut text = Vec::new();
        spool.write_text(&listed, Some(4), &mut text).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            quarantine_text(&whole, Some(4))
        );
        spool.remove();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_quarantine_report_escapes_the_partners_text() {
        let doc = DocEntry {
            offset: 7,
            set: "850\u{1b}[2J".into(),
            controls: "[1\n2/3/4]".into(),
            kind: Some("order"),
            number: Some("PO\r\nwrote samples/x".into()),
            purpose: Some("original\u{202e}".into()),
            route: "rejected",
            items: vec!["A\u{7}".into()],
            problems: Vec::new(),
        };
        let f = FileEntry {
            channel: "acme".into(),
            name: "po\n1.edi".into(),
            format: "x12".into(),
            profile: None,
            bytes: 1,
            sha256: "00".into(),
            disposition: crate::ledger::Disposition::Quarantined,
            stored: None,
            duplicate_of: None,
            replay_of: None,
            documents: Counts::default(),
            file_problems: Vec::new(),
            file_problems_not_listed: 0,
            first_file_error: None,
            documents_not_accepted: vec![doc],
            documents_not_listed: 0,
            first_document_error: None,
            acks: Vec::new(),
        };
        let text = quarantine_text(&f, Some(1));
        for raw in ['\u{1b}', '\r', '\u{7}', '\u{202e}'] {
            assert!(!text.contains(raw), "{raw:?} printed raw in {text}");
        }
        // Every line of the report is one the report wrote: none forged by a value.
        assert!(!text.lines().any(|l| l.starts_with("wrote ")), "{text}");
        assert!(text.contains(r"PO\r\nwrote samples/x"), "{text}");
    }
}
