//! `tallyman run`: one batch run over every channel's drop folder.

use super::Outcome;
use crate::config::Config;
use crate::pipeline::{self, RunOptions, RunOutcome};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file.
    #[arg(long, value_name = "FILE", default_value = "tallyman.toml")]
    pub config: PathBuf,
    /// Translate, route and report, but write, move and record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Only this channel.
    #[arg(long, value_name = "ID")]
    pub partner: Option<String>,
    /// Worker threads (default: the configuration's, or one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Print the run report (JSON) on stdout.
    #[arg(long)]
    pub json: bool,
    /// Start a new ledger although the work directory or ERP inbox holds files of earlier runs
    /// (the ledger was lost): documents received before will not be recognized.
    #[arg(long)]
    pub new_ledger: bool,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let cfg = Config::load(&args.config)?;
    let opts = RunOptions {
        dry_run: args.dry_run,
        partner: args.partner.clone(),
        threads: args.threads,
        replay: None,
        progress: true,
        new_ledger: args.new_ledger,
    };
    finish(&cfg, &opts, args.json, out, err)
}

/// Runs and reports; shared with `tallyman ledger replay`.
pub fn finish(
    cfg: &Config,
    opts: &RunOptions,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Outcome> {
    let outcome = pipeline::run(cfg, opts).with_context(|| format!("run with {}", cfg.file));
    // The metrics file, whatever the end (a dry run, or one that found another at work, did
    // nothing to count).
    let exit = match &outcome {
        Err(_) => Some(2),
        Ok(RunOutcome::Locked(held)) => held.needs_attention().then_some(2),
        Ok(RunOutcome::Done(report)) => (!report.dry_run).then_some(report.exit_code()),
    };
    if let Some(exit) = exit {
        let report = match &outcome {
            Ok(RunOutcome::Done(r)) => Some(&**r),
            _ => None,
        };
        if let Err(e) = pipeline::metrics::write(cfg, report, exit) {
            let file = cfg
                .metrics_textfile
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string());
            let text = format!("the metrics file {file} could not be written: {e}");
            super::log::say(err, tracing::Level::WARN, &text)?;
        }
    }
    let outcome = outcome?;
    if let Some(n) = pipeline::work::crash_points_passed() {
        writeln!(err, "crash points passed: {n}")?;
    }
    match outcome {
        // Held too long, or by a process that is gone: the run could not do its job and
        // someone must look, so it fails like any other failure of the run itself (exit 2);
        // within the limit another run is simply at work, which is normal (exit 0).
        RunOutcome::Locked(held) if held.needs_attention() => Err(anyhow::anyhow!("{held}")),
        RunOutcome::Locked(held) => {
            super::log::say(err, tracing::Level::INFO, &held.to_string())?;
            Ok(Outcome::Clean)
        }
        RunOutcome::Done(report) => {
            if json {
                serde_json::to_writer_pretty(&mut *out, &report)?;
                writeln!(out)?;
            }
            // In JSON logs the run's last event (`run finished`) stands for the summary; `-q`
            // keeps a clean run's to itself.
            let quiet = super::log::quiet() && report.clean();
            if !super::log::json() && !quiet {
                write!(err, "{}", report.summary())?;
            }
            Ok(if report.clean() {
                Outcome::Clean
            } else {
                Outcome::Rejections
            })
        }
    }
}
