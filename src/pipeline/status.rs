//! The state at a glance (`tallyman status`), from the ledger and the work directory: whether
//! a run is at work or stuck, the last runs and how they ended, what waits in each drop
//! folder, what waits for delivery, the quarantine with ages, silent partners and overdue
//! acknowledgments, and, in one list, what needs someone's attention.
//!
//! Phase: none; it reads and changes nothing (the run lock is looked at, never taken, so a
//! run starting meanwhile is not turned away).

use super::Error;
use super::settings::{Channel, Config};
use super::work::{self, Layout};
use crate::transport::{Inbound, local::LocalFolder};
use serde::Serialize;

/// How many runs are shown.
const RUNS: usize = 5;

/// What `tallyman status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// When this was looked at (RFC 3339).
    pub at: String,
    /// The run holding the lock now, in a sentence; none when no run is at work.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running: Option<String>,
    /// The last runs, newest first.
    pub runs: Vec<RunState>,
    pub channels: Vec<ChannelState>,
    /// Files in quarantine, not replayed yet, oldest first.
    pub quarantine: Vec<Quarantined>,
    /// Documents we sent whose acknowledgment is overdue (`ack_due`).
    pub overdue_acks: Vec<OverdueAck>,
    /// Documents routed over all runs, per channel, kind and route.
    pub documents: Vec<crate::ledger::DocumentTotal>,
    /// What needs someone's attention, a sentence each; empty when all is well.
    pub attention: Vec<String>,
}

/// One run.
#[derive(Debug, Clone, Serialize)]
pub struct RunState {
    pub id: i64,
    pub started: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// `finished`, `committed` (finishing), `started` (at work, or interrupted), `aborted`.
    pub status: String,
    /// Its exit code, from its report: 0 clean, 1 something rejected, quarantined or held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<u8>,
    pub files: u64,
    pub accepted: u64,
    pub duplicate: u64,
    pub conflict: u64,
    pub rejected: u64,
    /// The run's own errors (a folder it could not list, a server down).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// One channel.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelState {
    pub id: String,
    /// Its drop folder (or SFTP URL).
    pub inbound: String,
    /// Files waiting in it now; none when it could not be listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<u64>,
    /// Why the drop folder could not be listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cannot_list: Option<String>,
    /// Documents waiting in the work directory for delivery to an SFTP folder.
    pub undelivered: u64,
    /// When its last file arrived (the start of that run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_file: Option<String>,
    /// Seconds since then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silent_seconds: Option<u64>,
    /// `silence_alert`, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silence_alert_seconds: Option<u64>,
    pub files: u64,
    pub bytes: u64,
}

/// A file in quarantine.
#[derive(Debug, Clone, Serialize)]
pub struct Quarantined {
    /// The id `tallyman ledger replay` takes.
    pub id: i64,
    pub run: i64,
    pub channel: String,
    pub name: String,
    pub stored: String,
    pub received: String,
    pub age_seconds: u64,
}

/// A document whose acknowledgment is overdue.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueAck {
    pub channel: String,
    pub kind: String,
    pub number: String,
    pub sent: String,
}

/// What [`status`] looks at beyond the ledger and the work directory.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    /// List each drop folder (an SFTP one is connected to) to count the files waiting there.
    pub list_folders: bool,
    /// Match what we sent with the acknowledgments received, to find the overdue ones (a
    /// walk over the ledger's history; a run's report has them already).
    pub overdue_acks: bool,
}

/// Looks at everything `look` asks for.
pub fn status(cfg: &Config, look: Look) -> Result<Status, Error> {
    let list_folders = look.list_folders;
    let now = jiff::Timestamp::now();
    let mut s = Status {
        at: now.to_string(),
        running: None,
        runs: Vec::new(),
        channels: Vec::new(),
        quarantine: Vec::new(),
        overdue_acks: Vec::new(),
        documents: Vec::new(),
        attention: Vec::new(),
    };
    if cfg.work.is_dir() {
        match work::peek_lock(&cfg.work, cfg.stuck_after) {
            Ok(Some(held)) => {
                if held.needs_attention() {
                    s.attention.push(held.to_string());
                }
                s.running = Some(held.to_string());
            }
            Ok(None) => {}
            Err(e) => s.attention.push(format!(
                "the run lock in {} cannot be read: {e}",
                cfg.work.display()
            )),
        }
    }
    let ledger = super::store::open_read_only(cfg)?;
    let age = |t: &str| -> Option<u64> {
        let t: jiff::Timestamp = t.parse().ok()?;
        u64::try_from(now.duration_since(t).as_secs()).ok()
    };
    let totals = match &ledger {
        Some(l) => l.totals()?,
        None => Default::default(),
    };
    if let Some(l) = &ledger {
        let layout = Layout::for_config(cfg);
        for r in l.runs(RUNS)? {
            let tag = work::run_tag(r.id, &r.started);
            let report: Option<serde_json::Value> = std::fs::read(layout.report(&tag))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let exit = report
                .as_ref()
                .and_then(|v| v.get("exit"))
                .and_then(serde_json::Value::as_u64)
                .and_then(|e| u8::try_from(e).ok());
            let errors = report
                .as_ref()
                .and_then(|v| v.get("channel_errors"))
                .and_then(serde_json::Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|e| e.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            s.runs.push(RunState {
                id: r.id,
                started: r.started,
                finished: r.finished,
                status: r.status,
                exit,
                files: r.files,
                accepted: r.accepted,
                duplicate: r.duplicate,
                conflict: r.conflict,
                rejected: r.rejected,
                errors,
            });
        }
        for q in l.quarantined_files()? {
            s.quarantine.push(Quarantined {
                age_seconds: age(&q.received).unwrap_or(0),
                id: q.id,
                run: q.run,
                channel: q.channel,
                name: q.name,
                stored: q.stored,
                received: q.received,
            });
        }
        let mut outbound = super::report::OutboundReport::default();
        if look.overdue_acks {
            super::matching::report(cfg, &**l, &[], &mut outbound)?;
        }
        s.overdue_acks = outbound
            .overdue
            .iter()
            .map(|o| OverdueAck {
                channel: o.channel.clone(),
                kind: o.kind.clone(),
                number: o.number.clone(),
                sent: o.sent.clone(),
            })
            .collect();
    }
    let remotes = super::remote::Remotes::new(cfg);
    for c in &cfg.channels {
        // A folder whose files are kept still holds those read before: not waiting.
        let read_before = match (&ledger, c.keep_inputs) {
            (Some(l), true) => l.received(&c.id)?,
            _ => Vec::new(),
        };
        s.channels.push(channel(
            c,
            &totals,
            &remotes,
            list_folders.then_some(read_before.as_slice()),
            &age,
        ));
    }
    remotes.close();
    s.documents = totals.documents;
    s.attention.extend(attention(&s));
    Ok(s)
}

fn channel(
    c: &Channel,
    totals: &crate::ledger::Totals,
    remotes: &super::remote::Remotes<'_>,
    list: Option<&[(String, u64)]>,
    age: &dyn Fn(&str) -> Option<u64>,
) -> ChannelState {
    let t = totals.channels.iter().find(|t| t.channel == c.id);
    let source: Box<dyn Inbound> = match remotes.inbound(c) {
        Some(r) => Box::new(r),
        None => Box::new(LocalFolder::new(&c.inbound)),
    };
    let (waiting, cannot_list) = match list {
        Some(read_before) => match source.list() {
            Ok(l) => (
                Some(
                    l.entries
                        .iter()
                        .filter(|e| {
                            !read_before
                                .iter()
                                .any(|(n, s)| *n == e.name && *s == e.size)
                        })
                        .count() as u64,
                ),
                None,
            ),
            Err(e) => (None, Some(e.to_string())),
        },
        None => (None, None),
    };
    // What waits for delivery: files (not our hidden temporary ones) in an SFTP channel's
    // outgoing folder, and those uploaded but not yet renamed.
    let undelivered = match (&c.sftp, &c.outbound) {
        (Some(s), Some(dir)) if s.outbound.is_some() => [dir.clone(), dir.join(".uploaded")]
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flat_map(|rd| rd.flatten())
            .filter(|e| {
                e.file_type().is_ok_and(|t| t.is_file())
                    && !e.file_name().to_string_lossy().starts_with('.')
            })
            .count() as u64,
        _ => 0,
    };
    let last_file = t.and_then(|t| t.last_file.clone());
    ChannelState {
        id: c.id.clone(),
        inbound: source.describe(),
        waiting,
        cannot_list,
        undelivered,
        silent_seconds: last_file.as_deref().and_then(age),
        last_file,
        silence_alert_seconds: c.silence_alert.map(|d| d.as_secs()),
        files: t.map_or(0, |t| t.files),
        bytes: t.map_or(0, |t| t.bytes),
    }
}

/// What needs attention, a sentence each.
fn attention(s: &Status) -> Vec<String> {
    let mut out = Vec::new();
    let words = |secs: u64| {
        let d = jiff::SignedDuration::from_secs(i64::try_from(secs).unwrap_or(i64::MAX));
        format!("{d:#}")
    };
    match s.runs.first() {
        None => out.push(
            "no run is recorded yet: run `tallyman run` (from cron or a systemd timer)".to_owned(),
        ),
        Some(r) if !r.errors.is_empty() => out.push(format!(
            "the last run ({}) reported {} error{}: {}",
            r.id,
            r.errors.len(),
            if r.errors.len() == 1 { "" } else { "s" },
            r.errors.join("; ")
        )),
        Some(r) if r.status == "started" && s.running.is_none() => out.push(format!(
            "run {} did not finish (it failed or was killed); the next run completes or rolls it back",
            r.id
        )),
        _ => {}
    }
    if let Some(oldest) = s.quarantine.first() {
        out.push(format!(
            "{} file{} in quarantine, the oldest ({}/{}) for {}: read its report ({}.report.txt), fix it and `tallyman ledger replay {}`",
            s.quarantine.len(),
            if s.quarantine.len() == 1 { "" } else { "s" },
            oldest.channel,
            oldest.name,
            words(oldest.age_seconds),
            oldest.stored,
            oldest.id
        ));
    }
    for c in &s.channels {
        if let Some(why) = &c.cannot_list {
            out.push(format!(
                "channel {}: its drop folder cannot be listed: {why}",
                c.id
            ));
        }
        if c.undelivered > 0 {
            out.push(format!(
                "channel {}: {} document{} not delivered yet (the last run said why); the next run tries again",
                c.id,
                c.undelivered,
                if c.undelivered == 1 { "" } else { "s" }
            ));
        }
        if let Some(alert) = c.silence_alert_seconds {
            match c.silent_seconds {
                Some(silent) if silent > alert => out.push(format!(
                    "channel {}: no file for {} (silence_alert = {}); ask the partner whether they still send",
                    c.id,
                    words(silent),
                    words(alert)
                )),
                None => out.push(format!(
                    "channel {}: no file received yet (silence_alert = {})",
                    c.id,
                    words(alert)
                )),
                _ => {}
            }
        }
    }
    if !s.overdue_acks.is_empty() {
        out.push(format!(
            "{} document{} sent without the partner's acknowledgment in time (`tallyman ledger outbound CHANNEL`)",
            s.overdue_acks.len(),
            if s.overdue_acks.len() == 1 { "" } else { "s" }
        ));
    }
    out
}

impl Status {
    /// The text for people.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let mut t = String::new();
        let p = |s: &str| crate::transport::printable(s).into_owned();
        match &self.running {
            Some(r) => {
                let _ = writeln!(t, "now: {}", p(r));
            }
            None => {
                let _ = writeln!(t, "now: no run at work");
            }
        }
        if !self.runs.is_empty() {
            let _ = writeln!(t, "last runs:");
        }
        for r in &self.runs {
            let exit = r.exit.map_or("-".to_owned(), |e| e.to_string());
            let _ = writeln!(
                t,
                "  run {:<5} {:<24} {:<9} exit {exit}  {} files: {} accepted, {} duplicate, {} conflict, {} rejected",
                r.id, r.started, r.status, r.files, r.accepted, r.duplicate, r.conflict, r.rejected
            );
        }
        let _ = writeln!(t, "channels:");
        for c in &self.channels {
            let waiting = match (&c.waiting, &c.cannot_list) {
                (Some(n), _) => format!("{n} waiting"),
                (None, Some(_)) => "cannot list".to_owned(),
                (None, None) => "not listed".to_owned(),
            };
            let last = match (&c.last_file, c.silent_seconds) {
                (Some(_), Some(s)) => format!(
                    "last file {} ago",
                    jiff::SignedDuration::from_secs(i64::try_from(s).unwrap_or(i64::MAX))
                        .round(jiff::Unit::Minute)
                        .map_or_else(|_| format!("{s}s"), |d| format!("{d:#}"))
                ),
                _ => "no file yet".to_owned(),
            };
            let undelivered = if c.undelivered > 0 {
                format!(", {} to deliver", c.undelivered)
            } else {
                String::new()
            };
            let _ = writeln!(
                t,
                "  {:<12} {waiting}, {last}{undelivered}  ({})",
                p(&c.id),
                p(&c.inbound)
            );
        }
        if !self.quarantine.is_empty() {
            let _ = writeln!(t, "quarantine:");
            for q in self.quarantine.iter().take(20) {
                let _ = writeln!(
                    t,
                    "  id {:<5} {}/{} since {}",
                    q.id,
                    p(&q.channel),
                    p(&q.name),
                    q.received
                );
            }
            if self.quarantine.len() > 20 {
                let _ = writeln!(t, "  ... and {} more", self.quarantine.len() - 20);
            }
        }
        if self.attention.is_empty() {
            let _ = writeln!(t, "all is well");
        } else {
            let _ = writeln!(t, "needs attention:");
            for a in &self.attention {
                let _ = writeln!(t, "  - {}", p(a));
            }
        }
        t
    }
}
