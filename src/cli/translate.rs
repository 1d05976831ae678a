//! `tallyman translate FILE...`: canonical JSON Lines on stdout, findings on stderr.
//!
//! Each file is read twice through a small buffer: once for the envelope map, then each
//! transaction set by its byte span. Memory stays flat in the file size.

use super::{GrammarArgs, Outcome};
use crate::diag::{Code, Finding};
use crate::envelope::x12::EnvelopeMap;
use crate::grammar::GrammarSet;
use crate::map::x12::{self as mapx12, Options, Status};
use anyhow::Context;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Read buffer for the envelope pass.
const CHUNK: usize = 1 << 20;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files to translate (X12 850, 856, 810; other sets are checked and reported).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub grammar: GrammarArgs,
}

/// Counts for one file.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub accepted: usize,
    pub rejected: usize,
    pub not_mapped: usize,
    /// Errors outside any transaction set (unreadable bytes, broken envelopes around nothing).
    pub envelope_errors: usize,
}

impl Tally {
    fn clean(&self) -> bool {
        self.rejected == 0 && self.not_mapped == 0 && self.envelope_errors == 0
    }
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let grammars = args.grammar.load()?;
    let mut all_clean = true;
    for path in &args.files {
        let opts = Options {
            strictness: args.grammar.strictness(),
            file: path.display().to_string(),
            channel: None,
            relax_envelope: args.grammar.relax_envelope,
        };
        let tally = translate_file(path, &grammars, &opts, out, err)?;
        writeln!(
            err,
            "{}: {} translated, {} rejected, {} not translated{}",
            path.display(),
            tally.accepted,
            tally.rejected,
            tally.not_mapped,
            if tally.envelope_errors > 0 {
                format!(", {} envelope errors", tally.envelope_errors)
            } else {
                String::new()
            }
        )?;
        all_clean &= tally.clean();
    }
    Ok(if all_clean {
        Outcome::Clean
    } else {
        Outcome::Rejections
    })
}

/// Translates one file, writing documents to `out` and findings to `err`.
pub fn translate_file(
    path: &Path,
    grammars: &GrammarSet,
    opts: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Tally> {
    let name = path.display().to_string();
    let mut file = File::open(path).with_context(|| format!("opening {name}"))?;
    let mut head = [0u8; 512];
    let n = crate::envelope::x12::read_full(&mut file, &mut head)
        .with_context(|| format!("reading {name}"))?;
    let mut tally = Tally::default();
    match super::detect(&head[..n]) {
        super::Format::X12 => {}
        super::Format::Edifact => {
            writeln!(
                err,
                "{name}:0: this is an EDIFACT file; tallyman translates X12 so far (EDIFACT support is on its way)"
            )?;
            tally.envelope_errors += 1;
            return Ok(tally);
        }
        super::Format::Unknown => {
            writeln!(
                err,
                "{name}:0: not an X12 file: it does not start with an ISA interchange header (found '{}')",
                crate::syntax::text::for_message(&head[..n.min(24)], 24)
            )?;
            tally.envelope_errors += 1;
            return Ok(tally);
        }
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut line = Vec::new();
    let map = mapx12::translate_reader(&mut file, grammars, opts, CHUNK, |_, tx, outcome| {
        match outcome.status {
            Status::Accepted => {
                tally.accepted += 1;
                let doc = outcome.document.as_ref().expect("accepted has a document");
                line.clear();
                serde_json::to_writer(&mut line, doc).map_err(std::io::Error::other)?;
                line.push(b'\n');
                out.write_all(&line)?;
            }
            Status::Rejected => tally.rejected += 1,
            Status::NotMapped => tally.not_mapped += 1,
        }
        let own_errors = outcome.findings.iter().any(Finding::is_error);
        findings.extend(outcome.findings.iter().cloned());
        // A set rejected because of its group or interchange: say so at the set, since the
        // envelope finding itself sits at the GE or IEA.
        let outer: Vec<String> = outcome
            .envelope_reasons
            .iter()
            .filter(|r| r.level != crate::diag::Level::Transaction)
            .map(ToString::to_string)
            .collect();
        if outcome.status == Status::Rejected && !own_errors && !outer.is_empty() {
            findings.push(
                Finding::error(
                    Code::EnvelopeRejected,
                    format!(
                        "transaction set {} {} is rejected: {}",
                        tx.set_id,
                        tx.control,
                        outer.join("; ")
                    ),
                )
                .at(tx.span.start, tx.first_index, "ST")
                .with_controls(&outcome.controls),
            );
        }
        Ok(())
    })
    .with_context(|| format!("reading {name}"))?;
    findings.extend(map.all_findings().cloned());
    tally.envelope_errors = envelope_errors_without_sets(&map);
    findings.sort_by_key(|f| f.offset);
    for f in &findings {
        writeln!(err, "{name}:{f}")?;
    }
    Ok(tally)
}

/// Envelope errors at file, interchange or group level whose interchange or group holds no
/// transaction set (those with sets are counted as rejected sets).
fn envelope_errors_without_sets(map: &EnvelopeMap) -> usize {
    let file_level = map.findings.iter().filter(|f| f.is_error()).count();
    let ic_level: usize = map
        .interchanges
        .iter()
        .filter(|ic| ic.groups.iter().all(|g| g.transactions.is_empty()))
        .map(|ic| {
            ic.findings.iter().filter(|f| f.is_error()).count()
                + ic.groups
                    .iter()
                    .map(|g| g.findings.iter().filter(|f| f.is_error()).count())
                    .sum::<usize>()
        })
        .sum();
    let group_level: usize = map
        .interchanges
        .iter()
        .filter(|ic| ic.groups.iter().any(|g| !g.transactions.is_empty()))
        .flat_map(|ic| ic.groups.iter())
        .filter(|g| g.transactions.is_empty())
        .map(|g| g.findings.iter().filter(|f| f.is_error()).count())
        .sum();
    file_level + ic_level + group_level
}
