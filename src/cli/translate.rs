//! `tallyman translate FILE...`: canonical JSON Lines on stdout, findings on stderr.
//!
//! Each file is read twice through a small buffer (see [`crate::translate`]): once for the
//! envelope map, then each transaction set or message by its byte span, so memory stays flat
//! in the file size. A translated document is then checked against the business rules, as
//! `tallyman run` checks it ([`crate::rules`]): one that breaks any is rejected here too,
//! unless `--no-rules` (for looking at what a partner sent, rules aside).

use super::hints::Hints;
use super::{FeedArgs, GrammarArgs, Outcome};
use crate::map::{Options, Status};
use anyhow::Context;
use std::fs::File;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to translate: X12 850/856/810, EDIFACT ORDERS/DESADV/INVOIC (other sets and
    /// messages are checked and reported as not translated), and CSV/TSV or XML marketplace feeds
    /// (Shopify, Amazon, or a profile from --feeds). `-` reads standard input (shown as
    /// `<stdin>`); a file that cannot be read is reported, the others are translated, and the
    /// command exits 2.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub grammar: GrammarArgs,
    #[command(flatten)]
    pub feed: FeedArgs,
    /// Skip the business rules (quantities, totals, GS1 check digits...) that `tallyman run`
    /// applies: a document is then judged by its grammar and envelope alone.
    #[arg(long)]
    pub no_rules: bool,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let grammars = args.grammar.load()?;
    let profiles = args.feed.profiles()?;
    super::stdin_at_most_once(&args.files)?;
    let mut all_clean = true;
    // Files that could not be opened or read: reported as met, the others translated, and the
    // command fails at the end (as `grep` and `rg` do with a missing file among many).
    let mut unread: Vec<String> = Vec::new();
    // An accepted document's JSON line, written where the document is made: in the parallel
    // stage for X12 and EDIFACT sets, so that with more threads the JSON is not left to the one
    // thread that writes the lines in order.
    let json_line = |o: &mut crate::map::Outcome| -> Option<std::io::Result<Vec<u8>>> {
        let doc = o
            .document
            .as_ref()
            .filter(|_| o.status == Status::Accepted)?;
        let line = crate::model::json::line(|line| crate::model::json::write_document(line, doc));
        Some(line.map(|(line, ())| line).map_err(std::io::Error::other))
    };
    for path in &args.files {
        let name = if is_stdin(path) {
            STDIN.to_owned()
        } else {
            path.display().to_string()
        };
        let opts = Options {
            strictness: args.grammar.strictness(),
            file: name.clone(),
            channel: None,
            relax_envelope: args.grammar.relax_envelope,
            feed_profile: args.feed.profile.clone(),
            limits: Default::default(),
            spill_dir: None,
        };
        let checks = crate::translate::Checks {
            receipts: false,
            business_rules: !args.no_rules,
            document_findings: true,
        };
        // An error of our own output (a closed pipe, a full disk) ends the command; an error
        // reading one file ends only that file.
        let mut output_failed = false;
        let mut hints = Hints::new();
        let report = open(path).and_then(|file| {
            let write = |o: &mut crate::map::Outcome, line: Option<std::io::Result<Vec<u8>>>| {
                hints.add(o);
                if let Some(line) = line {
                    out.write_all(&line?)
                        .inspect_err(|_| output_failed = true)?;
                }
                Ok(())
            };
            crate::translate::translate_prepared(
                file, &grammars, &profiles, &opts, checks, &json_line, write,
            )
            .with_context(|| format!("reading {name}"))
        });
        let report = match report {
            Ok(r) => r,
            Err(e) if output_failed || args.files.len() == 1 => return Err(e),
            Err(e) => {
                writeln!(err, "tallyman: error: {}", super::message(&e))?;
                unread.push(name);
                continue;
            }
        };
        for f in &report.findings {
            writeln!(err, "{name}:{f}")?;
        }
        let t = report.tally;
        writeln!(
            err,
            "{name}: {} translated, {} rejected, {} not translated{}",
            t.accepted,
            t.rejected,
            t.not_mapped,
            match t.envelope_errors {
                0 => String::new(),
                1 => ", 1 error outside any document".into(),
                n => format!(", {n} errors outside any document"),
            }
        )?;
        hints.write(&name, err)?;
        all_clean &= t.clean();
    }
    if !unread.is_empty() {
        anyhow::bail!(
            "{} of {} files could not be read: {}",
            unread.len(),
            args.files.len(),
            unread.join(", ")
        );
    }
    Ok(if all_clean {
        Outcome::Clean
    } else {
        Outcome::Rejections
    })
}

/// What findings and documents call standard input.
const STDIN: &str = "<stdin>";

fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The file, or for `-` standard input copied to a temporary file: translating reads a file
/// twice (the envelope pass, then each document by its span), so it must be seekable, and a
/// pipe is not. Bytes are copied as they are, whatever the encoding.
fn open(path: &Path) -> anyhow::Result<File> {
    if !is_stdin(path) {
        return File::open(path).with_context(|| format!("opening {}", path.display()));
    }
    let mut spool = tempfile::tempfile().context("making a temporary file for standard input")?;
    std::io::copy(&mut std::io::stdin().lock(), &mut spool).context("reading standard input")?;
    spool.rewind().context("reading standard input back")?;
    Ok(spool)
}
