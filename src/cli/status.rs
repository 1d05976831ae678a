//! `tallyman status`: the state at a glance, for people and for monitoring checks (exit 1
//! when something needs attention).

use super::Outcome;
use crate::config::Config;
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The configuration file.
    #[arg(long, value_name = "FILE", default_value = "tallyman.toml")]
    pub config: PathBuf,
    /// Print the status as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Do not list the drop folders (an SFTP folder is connected to otherwise).
    #[arg(long)]
    pub no_list: bool,
}

pub fn run(args: &Args, out: &mut dyn Write, _err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let cfg = Config::load(&args.config)?;
    let status = crate::pipeline::status::status(
        &cfg,
        crate::pipeline::status::Look {
            list_folders: !args.no_list,
            overdue_acks: true,
        },
    )
    .with_context(|| format!("status of {}", cfg.file))?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &status)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", status.text())?;
    }
    Ok(if status.attention.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Rejections
    })
}
