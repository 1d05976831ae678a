//! `tallyman ledger`: look into the ledger and replay quarantined files.

use super::Outcome;
use crate::config::Config;
use crate::ledger::Ledger;
use crate::pipeline::{Replay, RunOptions};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "tallyman.toml",
        global = true
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// The last runs with their counts, and the files waiting in quarantine.
    List {
        /// How many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One run: its files and documents (JSON).
    Show {
        /// The run id.
        run: i64,
    },
    /// The acknowledgments sent to a channel's partner: what each acknowledges, its verdict,
    /// our control numbers and its file, oldest first.
    Acks {
        /// The channel id.
        channel: String,
        /// As JSON Lines.
        #[arg(long)]
        json: bool,
    },
    /// The ship notices and invoices sent to a channel's partner, each with what its
    /// acknowledgment said (accepted, accepted with errors, rejected, awaiting, or overdue
    /// after the channel's `ack_due`), and the partner's acknowledgments that match nothing
    /// we sent. Exits 1 when something was rejected or is overdue.
    Outbound {
        /// The channel id.
        channel: String,
        /// As JSON Lines.
        #[arg(long)]
        json: bool,
    },
    /// Decide about a quarantined file: a conflict's new version replaces the one accepted
    /// before (--take-new: the file is then run again and the new versions reach the ERP), or
    /// the old stays (--keep-old), or the file is set aside (--dismiss). Recorded in the ledger.
    Resolve {
        /// The quarantined file's id (see `ledger list`).
        id: i64,
        #[arg(long, group = "decision", required = true)]
        take_new: bool,
        #[arg(long, group = "decision")]
        keep_old: bool,
        #[arg(long, group = "decision")]
        dismiss: bool,
        /// Why, in words, kept with the decision.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Run quarantined files again after they were fixed in the quarantine folder.
    Replay {
        /// Quarantined file ids (see `ledger list`); all of them with --all.
        ids: Vec<i64>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// Print the run report (JSON) on stdout.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let cfg = Config::load(&args.config)?;
    match &args.command {
        Command::Resolve {
            id,
            take_new,
            keep_old,
            note,
            ..
        } => {
            use crate::ledger::Decision;
            let decision = if *take_new {
                Decision::TakeNew
            } else if *keep_old {
                Decision::KeepOld
            } else {
                Decision::Dismiss
            };
            let mut ledger = open(&cfg)?;
            let Some(q) = ledger
                .quarantined_files()?
                .into_iter()
                .find(|q| q.id == *id)
            else {
                bail!(
                    "file {id} is not waiting in quarantine (replayed or resolved already, archived, or no such file); see `tallyman ledger list`"
                );
            };
            let conflicts = ledger.conflicts_of(*id)?;
            if decision != Decision::Dismiss && conflicts.is_empty() {
                bail!(
                    "file {id} ({}/{}) holds no conflict, so there is no version to choose: fix it in the quarantine folder and `tallyman ledger replay {id}`, or set it aside with --dismiss",
                    q.channel,
                    q.name
                );
            }
            let at = jiff::Timestamp::now().to_string();
            let superseded = ledger.resolve(*id, decision, note, &at)?;
            drop(ledger);
            let docs = conflicts
                .iter()
                .map(|k| format!("{} {} ({})", k.kind, k.number, k.purpose))
                .collect::<Vec<_>>()
                .join(", ");
            match decision {
                Decision::TakeNew => {
                    writeln!(
                        err,
                        "file {id} ({}/{}): its version of {docs} replaces the one accepted before ({superseded} superseded); running it again so that it reaches the ERP",
                        q.channel, q.name
                    )?;
                    let opts = RunOptions {
                        replay: Some(Replay::Files(vec![*id])),
                        progress: true,
                        new_ledger: false,
                        ..RunOptions::default()
                    };
                    super::run::finish(&cfg, &opts, false, out, err)
                }
                Decision::KeepOld => {
                    writeln!(
                        err,
                        "file {id} ({}/{}): the versions of {docs} accepted before stay; it leaves the quarantine (its copy stays in {})",
                        q.channel, q.name, q.stored
                    )?;
                    Ok(Outcome::Clean)
                }
                Decision::Dismiss => {
                    writeln!(
                        err,
                        "file {id} ({}/{}) is set aside: it leaves the quarantine (its copy stays in {})",
                        q.channel, q.name, q.stored
                    )?;
                    Ok(Outcome::Clean)
                }
            }
        }
        Command::Replay { ids, all, json } => {
            if ids.is_empty() && !all {
                bail!(
                    "name the quarantined file ids to replay, or give --all (see `tallyman ledger list`)"
                );
            }
            // Every id named must be a file waiting in quarantine: an unknown one, or one
            // replayed already, is a mistake to say, not an empty run.
            if !ids.is_empty() {
                let waiting: Vec<i64> = open(&cfg)?
                    .quarantined_files()?
                    .iter()
                    .map(|q| q.id)
                    .collect();
                let wrong: Vec<String> = ids
                    .iter()
                    .filter(|id| !waiting.contains(id))
                    .map(i64::to_string)
                    .collect();
                if !wrong.is_empty() {
                    bail!(
                        "{} {} {} not waiting in quarantine (replayed already, archived, or no such file); nothing was replayed. The files waiting are listed by `tallyman ledger list`{}",
                        if wrong.len() == 1 { "file" } else { "files" },
                        wrong.join(", "),
                        if wrong.len() == 1 { "is" } else { "are" },
                        if waiting.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (ids {})",
                                waiting
                                    .iter()
                                    .map(i64::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    );
                }
            }
            let opts = RunOptions {
                replay: Some(if *all {
                    Replay::All
                } else {
                    Replay::Files(ids.clone())
                }),
                progress: true,
                new_ledger: false,
                ..RunOptions::default()
            };
            super::run::finish(&cfg, &opts, *json, out, err)
        }
        Command::List { limit } => {
            let ledger = open(&cfg)?;
            writeln!(
                out,
                "{:>6}  {:24}  {:9}  {:>5}  {:>8}  {:>9}  {:>8}  {:>8}",
                "run",
                "started",
                "status",
                "files",
                "accepted",
                "duplicate",
                "conflict",
                "rejected"
            )?;
            for r in ledger.runs(*limit)? {
                writeln!(
                    out,
                    "{:>6}  {:24}  {:9}  {:>5}  {:>8}  {:>9}  {:>8}  {:>8}",
                    r.id,
                    r.started,
                    r.status,
                    r.files,
                    r.accepted,
                    r.duplicate,
                    r.conflict,
                    r.rejected
                )?;
            }
            let q = ledger.quarantined_files()?;
            if !q.is_empty() {
                writeln!(
                    out,
                    "\nin quarantine (replay with `tallyman ledger replay ID...`):"
                )?;
                for f in q {
                    writeln!(
                        out,
                        "{:>6}  run {:<5} {}/{}  {}",
                        f.id, f.run, f.channel, f.name, f.stored
                    )?;
                }
            }
            Ok(Outcome::Clean)
        }
        Command::Acks { channel, json } => {
            if cfg.channel(channel).is_none() {
                bail!("{}", cfg.no_channel(channel));
            }
            let ledger = open(&cfg)?;
            let acks = ledger.acks_sent(channel)?;
            let received = ledger.acks_received(channel)?;
            if *json {
                for a in &acks {
                    let mut v = serde_json::to_value(a)?;
                    v["direction"] = "sent".into();
                    serde_json::to_writer(&mut *out, &v)?;
                    writeln!(out)?;
                }
                for (_, doc) in &received {
                    let mut v: serde_json::Value = serde_json::from_str(doc)?;
                    v["direction"] = "received".into();
                    serde_json::to_writer(&mut *out, &v)?;
                    writeln!(out)?;
                }
                return Ok(Outcome::Clean);
            }
            writeln!(
                out,
                "{:7}  {:24}  {:20}  {:24}  file",
                "ack", "acknowledges", "verdict", "our control numbers"
            )?;
            for a in &acks {
                writeln!(
                    out,
                    "{:7}  {:24}  {:20}  {:24}  {}",
                    a.kind,
                    crate::syntax::text::for_message(a.acknowledged.as_bytes(), 24),
                    a.verdict,
                    a.controls,
                    a.path
                )?;
            }
            if acks.is_empty() {
                writeln!(out, "(none sent to {channel} yet)")?;
            }
            writeln!(out, "\nreceived from {channel}:")?;
            for (number, doc) in &received {
                let v: serde_json::Value = serde_json::from_str(doc)?;
                let field = |k: &str| v[k].as_str().unwrap_or("").to_owned();
                let file = v["source"]["file"].as_str().unwrap_or("");
                writeln!(
                    out,
                    "{:7}  {:24}  {:20}  {}",
                    field("ack_type"),
                    crate::syntax::text::for_message(number.as_bytes(), 24),
                    field("verdict"),
                    crate::syntax::text::for_message(file.as_bytes(), 200)
                )?;
            }
            if received.is_empty() {
                writeln!(out, "(none received yet)")?;
            }
            Ok(Outcome::Clean)
        }
        Command::Outbound { channel, json } => {
            let Some(ch) = cfg.channel(channel) else {
                bail!("{}", cfg.no_channel(channel));
            };
            let ledger = open(&cfg)?;
            let m = crate::pipeline::matching::match_acks(
                ledger.outbound(Some(channel))?,
                &ledger.acks_received(channel)?,
                ch.ack_due,
                jiff::Timestamp::now(),
            );
            let attention = m
                .documents
                .iter()
                .any(|(_, s)| matches!(s.status, "rejected" | "overdue"));
            if *json {
                for (row, status) in &m.documents {
                    let mut v = serde_json::to_value(row)?;
                    v["ack"] = serde_json::to_value(status)?;
                    serde_json::to_writer(&mut *out, &v)?;
                    writeln!(out)?;
                }
                for (number, doc) in &m.unmatched {
                    serde_json::to_writer(
                        &mut *out,
                        &serde_json::json!({
                            "unmatched_ack": number,
                            "document": serde_json::from_str::<serde_json::Value>(doc)?,
                        }),
                    )?;
                    writeln!(out)?;
                }
            } else {
                let text = |v: &str, n: usize| crate::syntax::text::for_message(v.as_bytes(), n);
                writeln!(
                    out,
                    "{:11}  {:16}  {:6}  {:16}  {:20}  {:24}  {:20}  detail",
                    "document", "number", "set", "PO", "sent", "our control numbers", "ack"
                )?;
                for (row, st) in &m.documents {
                    writeln!(
                        out,
                        "{:11}  {:16}  {:6}  {:16}  {:20}  {:24}  {:20}  {}",
                        row.kind,
                        text(&row.number, 16),
                        row.set_id,
                        text(&row.orders.join(" "), 16),
                        row.sent.get(..19).unwrap_or(&row.sent),
                        row.controls,
                        st.status,
                        text(&st.detail, 200)
                    )?;
                }
                if m.documents.is_empty() {
                    writeln!(out, "(nothing sent to {channel} yet)")?;
                }
                if !m.unmatched.is_empty() {
                    writeln!(
                        out,
                        "\nacknowledgments from {channel} that match nothing we sent:"
                    )?;
                    for (number, doc) in &m.unmatched {
                        let v: serde_json::Value = serde_json::from_str(doc)?;
                        writeln!(
                            out,
                            "  {}  {}  {}",
                            text(number, 24),
                            v["verdict"].as_str().unwrap_or(""),
                            text(v["source"]["file"].as_str().unwrap_or(""), 200)
                        )?;
                    }
                }
            }
            Ok(if attention {
                Outcome::Rejections
            } else {
                Outcome::Clean
            })
        }
        Command::Show { run } => {
            let ledger = open(&cfg)?;
            let Some((summary, files, docs)) = ledger.run_detail(*run)? else {
                bail!("no run {run} in {}", cfg.ledger.describe());
            };
            let files: Vec<_> = files
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "channel": f.channel, "name": f.name, "sha256": f.sha256, "bytes": f.size,
                        "disposition": f.disposition, "stored": f.stored, "replay_of": f.replay_of,
                    })
                })
                .collect();
            let docs: Vec<_> = docs
                .iter()
                .map(|d| {
                    serde_json::json!({
                        "file": files.get(d.file).map(|f| f["name"].clone()),
                        "channel": d.key.channel, "kind": d.key.kind, "number": d.key.number,
                        "purpose": d.key.purpose, "route": d.route, "offset": d.offset,
                        "controls": d.controls, "reason": d.reason,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(
                &mut *out,
                &serde_json::json!({ "run": summary, "files": files, "documents": docs }),
            )?;
            writeln!(out)?;
            let _ = err;
            Ok(Outcome::Clean)
        }
    }
}

fn open(cfg: &Config) -> anyhow::Result<Box<dyn Ledger>> {
    if !cfg.ledger.exists() {
        bail!(
            "no ledger at {} yet: nothing has run with this configuration",
            cfg.ledger.describe()
        );
    }
    crate::pipeline::store::open(cfg).with_context(|| format!("opening {}", cfg.ledger.describe()))
}
