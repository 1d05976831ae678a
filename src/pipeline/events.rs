//! The run's log events at info level: each file's and each document's outcome are logged
//! where they are routed (`Recorder::file`); what is known only at the end of the run (what was
//! sent, held, written and delivered, and the run's counts) is logged from its report here.
//! `cli::log` decides which are shown and how.

use super::report::{FileEntry, RunReport};
use crate::ledger::Disposition;

/// A file's outcome, at info level (`-v`, or JSON logs). A dry run's says what would become of
/// it, never that it was stored.
pub(super) fn file(entry: &FileEntry, dry_run: bool) {
    let disposition = match (dry_run, entry.disposition) {
        (false, d) => d.as_str(),
        (true, Disposition::Archived) => "would_archive",
        (true, Disposition::Quarantined) => "would_quarantine",
        (true, Disposition::DuplicateFile) => "would_set_aside_as_duplicate",
    };
    let d = &entry.documents;
    tracing::info!(
        channel = entry.channel.as_str(),
        file = entry.name.as_str(),
        format = entry.format.as_str(),
        profile = entry.profile.as_deref(),
        bytes = entry.bytes,
        sha256 = entry.sha256.as_str(),
        disposition,
        stored = entry.stored.as_deref(),
        duplicate_of = entry.duplicate_of.as_deref(),
        replay_of = entry.replay_of,
        accepted = d.accepted,
        duplicate = d.duplicate,
        conflict = d.conflict,
        rejected = d.rejected,
        not_translated = d.not_translated,
        acks_sent = entry.acks.len(),
        error = entry
            .first_file_error
            .as_deref()
            .or(entry.first_document_error.as_deref()),
        "file"
    );
    for a in &entry.acks {
        tracing::info!(
            channel = a.channel.as_str(),
            file = entry.name.as_str(),
            kind = a.kind.as_str(),
            acknowledged = a.acknowledged.as_str(),
            verdict = a.verdict.as_str(),
            controls = a.controls.as_str(),
            "acknowledgment sent"
        );
    }
}

/// The run's last event: in JSON logs it stands for the summary.
pub(super) fn finished(report: &RunReport) {
    let o = &report.outbound;
    for s in &o.sent {
        tracing::info!(
            channel = s.channel.as_str(),
            kind = s.kind.as_str(),
            number = s.number.as_str(),
            set = s.set.as_str(),
            orders = s.orders.join(" ").as_str(),
            controls = s.controls.as_str(),
            path = s.path.as_str(),
            "outbound document sent"
        );
    }
    for h in &o.held {
        tracing::info!(
            export = h.file.as_str(),
            at = h.at.as_str(),
            channel = h.channel.as_deref(),
            kind = h.kind.as_deref(),
            number = h.number.as_deref(),
            problems = h.problems.join("; ").as_str(),
            "outbound document held"
        );
    }
    for a in o.acknowledged.iter().chain(&o.overdue) {
        tracing::info!(
            channel = a.channel.as_str(),
            kind = a.kind.as_str(),
            number = a.number.as_str(),
            controls = a.controls.as_str(),
            status = a.status.as_str(),
            detail = a.detail.as_str(),
            "outbound document acknowledgment"
        );
    }
    for u in &o.unmatched_acks {
        tracing::info!(names = u.as_str(), "acknowledgment matching nothing sent");
    }
    for out in &report.outputs {
        tracing::info!(
            path = out.path.as_str(),
            documents = out.documents,
            "ERP file written"
        );
    }
    for d in &report.delivered {
        for f in &d.files {
            tracing::info!(
                channel = d.channel.as_str(),
                to = d.to.as_str(),
                file = f.as_str(),
                "delivered"
            );
        }
    }
    for r in &report.recovered {
        tracing::info!(note = r.as_str(), "recovered");
    }
    for e in &report.channel_errors {
        tracing::info!(problem = e.as_str(), "channel problem");
    }
    let t = &report.totals;
    let files: u64 = report.channels.values().map(|c| c.files).sum();
    tracing::info!(
        run = report.run,
        dry_run = report.dry_run,
        exit = report.exit,
        files,
        bytes = report.bytes,
        duration_ms = report.duration_ms,
        accepted = t.accepted,
        duplicate = t.duplicate,
        conflict = t.conflict,
        rejected = t.rejected,
        not_translated = t.not_translated,
        outputs = report.outputs.len(),
        channel_errors = report.channel_errors.len(),
        "run finished"
    );
}
