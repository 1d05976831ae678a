//! `tallyman generate`: ship notices and invoices for one partner from ERP export files, for
//! one-off use and onboarding, without a run.
//!
//! The same reading, checks and writers as the run's outbound step, to stdout or into a
//! folder; nothing is recorded, nothing is moved. Control numbers come from `--control` (one
//! interchange per document, numbered on from it). The checks against the partner's PO read
//! the configuration's ledger when there is one (opened for reading only); without one only
//! the document's own business rules apply, and stderr says so.

use super::Outcome;
use crate::config::Config;
use crate::pipeline::outbound::{self, Controls};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The channel whose partner the documents are for (its `[channel.ID.send]` settings).
    #[arg(long, value_name = "ID")]
    pub partner: String,
    /// The configuration file.
    #[arg(long, value_name = "FILE", default_value = "tallyman.toml")]
    pub config: PathBuf,
    /// The first interchange, group and set control number; each document gets the next.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub control: u64,
    /// Write each interchange into this folder (under the name a run gives it) instead of
    /// stdout; an existing file is never replaced. Never a channel's outbound folder: what
    /// goes there is a run's to send and record.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Mark the interchanges as production data (ISA15 `P`, no UNB 0035); by default they are
    /// test data, since nothing generated here is recorded as sent.
    #[arg(long)]
    pub production: bool,
    /// ERP export files: JSON Lines, or CSV read by the configuration's [[export]] profiles.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let cfg = Config::load(&args.config)?;
    let Some(channel) = cfg.channel(&args.partner) else {
        bail!("{}", cfg.no_channel(&args.partner));
    };
    if let Some(dir) = &args.out {
        let lexical = |p: &std::path::Path| -> PathBuf {
            let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            let mut out = PathBuf::new();
            for c in p.components() {
                match c {
                    std::path::Component::CurDir => {}
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    other => out.push(other),
                }
            }
            out
        };
        let out = lexical(dir);
        if let Some(c) = cfg.channels.iter().find(|c| {
            c.outbound
                .as_deref()
                .is_some_and(|o| out.starts_with(lexical(o)))
        }) {
            bail!(
                "--out {} is in channel {}'s outbound folder: what goes there is sent, and only a run records what it sends (with control numbers from the ledger); write elsewhere",
                dir.display(),
                c.id
            );
        }
    }
    let Some(send) = channel.send.as_ref() else {
        bail!(
            "channel {} sends no ship notices or invoices: add a [channel.{}.send] table to {}",
            channel.id,
            channel.id,
            args.config.display()
        );
    };
    let mut files = Vec::new();
    for f in &args.files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        files.push((f.display().to_string(), bytes));
    }
    let read = outbound::read_files(&cfg, &files)?;
    let ledger = crate::pipeline::store::open_read_only(&cfg)
        .with_context(|| format!("opening {} for reading", cfg.ledger.describe()))?;
    if ledger.is_none() {
        writeln!(
            err,
            "no ledger at {}: the checks against the partner's PO are skipped (only each document's own rules apply)",
            cfg.ledger.describe()
        )?;
    }
    let stamp = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .datetime();
    // Nothing generated here is recorded as sent: test data unless asked otherwise.
    let mut send = send.clone();
    send.test = !args.production;
    let send = &send;
    let mut held = read.held;
    for u in &read.unread {
        writeln!(err, "not read: {u}")?;
    }
    let mut n = args.control;
    let mut written = 0usize;
    for (ex, at, file) in &read.documents {
        let doc = outbound::normalized(&ex.document);
        let mut problems = Vec::new();
        if let Some(other) = ex
            .channel
            .as_deref()
            .or(doc.source().channel.as_deref())
            .filter(|c| *c != channel.id)
        {
            problems.push(format!(
                "channel_mismatch: the export names channel {other}, not {}: generate it with --partner {other}",
                channel.id
            ));
        }
        problems.extend(outbound::not_taken(channel, send, &doc));
        problems.extend(match &ledger {
            Some(l) => match outbound::sent_before(&**l, channel, &doc)?.1 {
                Some(outbound::Before::Same(why) | outbound::Before::Other(why)) => vec![why],
                None => outbound::check_against_po(&doc, channel, send, &**l)?.0,
            },
            None => crate::rules::check(&doc)
                .into_iter()
                .map(|v| format!("{}: {}", v.rule, v.message))
                .collect(),
        });
        let rendered = if problems.is_empty() {
            outbound::body_for(channel, send, &doc).and_then(|(body, profile)| {
                let c = Controls {
                    interchange: n,
                    group: n,
                    set: n,
                };
                outbound::render(channel, send, &body, &profile, &c, stamp)
            })
        } else {
            Err(String::new())
        };
        let r = match rendered {
            Ok(r) => r,
            Err(e) => {
                let mut problems = problems;
                problems.extend((!e.is_empty()).then_some(e));
                held.push(crate::pipeline::report::HeldEntry {
                    file: file.clone(),
                    at: at.clone(),
                    channel: Some(channel.id.clone()),
                    kind: Some(doc.kind().to_owned()),
                    number: Some(doc.number().to_owned()),
                    orders: crate::rules::presend::orders_of(&doc),
                    problems,
                });
                continue;
            }
        };
        n += 1;
        written += 1;
        match &args.out {
            None => {
                out.write_all(&r.bytes)?;
                writeln!(out)?;
            }
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let path = dir.join(&r.name);
                crate::pipeline::work::write_atomic(&path, &r.bytes, 0o640)
                    .with_context(|| format!("writing {}", path.display()))?;
                writeln!(
                    err,
                    "wrote {} ({} {})",
                    path.display(),
                    doc.kind(),
                    doc.number()
                )?;
            }
        }
    }
    for h in &held {
        write!(err, "held {}", h.describe())?;
    }
    writeln!(
        err,
        "{written} document{} written, {} held",
        if written == 1 { "" } else { "s" },
        held.len()
    )?;
    Ok(if held.is_empty() && read.unread.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Rejections
    })
}
