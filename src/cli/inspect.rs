//! `tallyman inspect FILE`: the segment tree with loops, element names and findings.

use super::{GrammarArgs, Outcome};
use crate::diag::Finding;
use crate::envelope::x12::scan;
use crate::grammar::{Grammar, Item};
use crate::map::x12 as mapx12;
use crate::map::{Options, Status};
use crate::syntax::ebcdic;
use crate::syntax::text::for_message;
use crate::syntax::x12::{Reader, SegmentRef};
use anyhow::Context;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to show.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub grammar: GrammarArgs,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let grammars = args.grammar.load()?;
    let name = args.file.display().to_string();
    let mut input = std::fs::read(&args.file).with_context(|| format!("reading {name}"))?;
    if super::detect(&input[..input.len().min(512)]) != super::Format::X12 {
        writeln!(
            err,
            "{name}:0: not an X12 file: it does not start with an ISA interchange header"
        )?;
        return Ok(Outcome::Rejections);
    }
    let mut map = scan(&input);
    if args.grammar.relax_envelope {
        map.relax_integrity();
    }
    if map.ebcdic {
        ebcdic::transcode_in_place(&mut input);
        writeln!(out, "(EBCDIC code page 037, shown transcoded)")?;
    }
    let opts = Options {
        strictness: args.grammar.strictness(),
        file: name.clone(),
        channel: None,
        relax_envelope: args.grammar.relax_envelope,
    };
    // Envelope dictionary: the baseline grammar's segment definitions (ISA, GS...).
    let envelope_grammar = grammars.x12("004010", "850").map(|(g, _)| g);
    let mut clean = map.all_findings().all(|f| !f.is_error());

    // Transaction sets, by the index of their ST, with their placements and findings.
    let mut sets = std::collections::HashMap::new();
    for (i, g, t, tx) in map.transactions() {
        let bytes = &input[tx.span.start..tx.span.end];
        let (outcome, _, placements) =
            mapx12::translate_with_placements(&grammars, &map, (i, g, t), bytes, &opts);
        let grammar = {
            let (v, _) =
                mapx12::version_of(&map.interchanges[i], &map.interchanges[i].groups[g], tx);
            grammars.x12(&v, &tx.set_id).map(|(g, _)| g)
        };
        clean &= outcome.status == Status::Accepted;
        sets.insert(tx.first_index, (tx.span.end, outcome, placements, grammar));
    }
    let envelope_findings: Vec<&Finding> = map.all_findings().collect();

    let mut depth_base = 0usize;
    let mut current: Option<(usize, usize)> = None; // (ST index, span end)
    let mut prev_loops: Vec<String> = Vec::new();
    for item in Reader::new(&input) {
        let seg = match item {
            Ok(s) => s,
            Err(e) => {
                writeln!(
                    out,
                    "!! {}: {} (bytes {}..{})",
                    e.offset, e.kind, e.skipped.start, e.skipped.end
                )?;
                continue;
            }
        };
        let tag = seg.tag_str().into_owned();
        match tag.as_str() {
            "ISA" => depth_base = 0,
            "GS" => depth_base = 1,
            "ST" => {
                depth_base = 2;
                current = sets.get(&seg.index).map(|(end, ..)| (seg.index, *end));
                prev_loops.clear();
            }
            "GE" => depth_base = 1,
            "IEA" => depth_base = 0,
            _ => {}
        }
        let in_set = current.filter(|(_, end)| seg.span.start < *end || seg.tag() == b"SE");
        let (grammar, placement, tx_findings) = match in_set.and_then(|(st, _)| sets.get(&st)) {
            Some((_, outcome, placements, grammar)) => {
                let pos = seg.index - in_set.expect("matched").0;
                (
                    grammar.clone(),
                    placements.get(pos).cloned(),
                    outcome
                        .findings
                        .iter()
                        .filter(|f| f.segment_index == Some(seg.index))
                        .collect::<Vec<_>>(),
                )
            }
            None => (envelope_grammar.clone(), None, Vec::new()),
        };
        let mut depth = depth_base + usize::from(tag != "ST" && tag != "SE" && in_set.is_some());
        if let Some(p) = &placement {
            depth += p.loops.len();
            if p.loops.len() > prev_loops.len()
                || (p.loops.last() != prev_loops.last() && !p.loops.is_empty())
            {
                writeln!(
                    out,
                    "{:w$}[loop {}]",
                    "",
                    p.loops.last().expect("non-empty"),
                    w = (depth - 1) * 2 + 8
                )?;
            }
            prev_loops = p.loops.clone();
        }
        write_segment(out, &seg, grammar.as_deref(), depth)?;
        let mut here: Vec<&Finding> = envelope_findings
            .iter()
            .copied()
            .filter(|f| f.segment_index == Some(seg.index))
            .collect();
        here.extend(tx_findings);
        for f in here {
            let sev = if f.is_error() { "error" } else { "warning" };
            writeln!(out, "{:w$}!! {sev}: {}", "", f.message, w = depth * 2 + 8)?;
        }
        if tag == "SE" {
            if let Some((_, outcome, ..)) = in_set.and_then(|(st, _)| sets.get(&st)) {
                let verdict = match outcome.status {
                    Status::Accepted => "accepted".to_string(),
                    Status::NotMapped => "not translated".to_string(),
                    Status::Rejected if outcome.envelope_reasons.is_empty() => {
                        "rejected".to_string()
                    }
                    Status::Rejected => format!(
                        "rejected: {}",
                        outcome
                            .envelope_reasons
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                };
                writeln!(
                    out,
                    "{:w$}=> {} {}: {verdict}",
                    "",
                    outcome.set_id,
                    outcome.controls.transaction.as_deref().unwrap_or(""),
                    w = depth * 2 + 8
                )?;
            }
            current = None;
        }
    }
    for f in map.findings.iter() {
        writeln!(out, "!! {f}")?;
    }
    Ok(if clean {
        Outcome::Clean
    } else {
        Outcome::Rejections
    })
}

fn write_segment(
    out: &mut dyn Write,
    seg: &SegmentRef<'_>,
    grammar: Option<&Grammar>,
    depth: usize,
) -> std::io::Result<()> {
    let tag = seg.tag_str();
    let def = grammar.and_then(|g| g.dictionary.get(tag.as_ref()));
    let name = def.map(|d| d.name.as_str()).unwrap_or("(unknown segment)");
    writeln!(
        out,
        "{:>6}  {:w$}{tag:<4} {name}",
        seg.index,
        "",
        w = depth * 2
    )?;
    for (i, v) in seg.elements().enumerate() {
        if v.is_empty() {
            continue;
        }
        let n = i + 1;
        let ename = def
            .and_then(|d| d.elements.get(i))
            .map(|p| match &p.item {
                Item::Simple(_) => p.name.clone(),
                Item::Composite { id, .. } => format!("{} ({id})", p.name),
            })
            .unwrap_or_default();
        writeln!(
            out,
            "{:>6}  {:w$}  {tag}{n:02} {ename:<34} {}",
            "",
            "",
            for_message(v, 80),
            w = depth * 2
        )?;
    }
    Ok(())
}
