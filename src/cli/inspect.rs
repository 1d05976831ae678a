//! `tallyman inspect FILE`: the segment tree with loops, element names and findings.
//!
//! The file is read whole (it is for people looking at one file); each transaction set or
//! message is validated with placements, and every segment is printed under its loop with the
//! grammar's element names, followed by the findings at that segment and, after each trailer,
//! the verdict.

use super::hints::Hints;
use super::{GrammarArgs, Outcome};
use crate::diag::Finding;
use crate::envelope::{Group, Interchange, Transaction};
use crate::grammar::{Grammar, GrammarSet, Item, Placement};
use crate::map::driver::{self, Mapping};
use crate::map::{Options, Status, x12 as mapx12};
use crate::syntax::edifact::Edifact;
use crate::syntax::text::for_message;
use crate::syntax::x12::X12;
use crate::syntax::{SegmentView, Span, ebcdic};
use crate::translate::{Format, detect};
use anyhow::Context;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to show (X12 or EDIFACT; feeds are read by `translate`); `-` reads standard
    /// input.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub grammar: GrammarArgs,
}

/// One segment to print.
struct Row {
    index: usize,
    tag: String,
    /// Elements: raw value and the component separator to show it with.
    values: Vec<String>,
    /// Envelope segments sit at fixed depths; set segments below their set.
    depth: usize,
    grammar: Option<Arc<Grammar>>,
    placement: Option<Placement>,
    findings: Vec<Finding>,
    verdict: Option<String>,
}

/// How envelope segments sit in the tree: the depth of their tags, and the grammar that names
/// the elements of segments outside any set.
struct Tree {
    depth: fn(&str) -> Option<usize>,
    grammar: Option<Arc<Grammar>>,
}

/// A validated transaction set or message, keyed by its first segment's index.
struct SetView {
    span: Span,
    outcome: crate::map::Outcome,
    placements: Vec<Placement>,
    grammar: Option<Arc<Grammar>>,
    first: usize,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let grammars = args.grammar.load()?;
    // `-` is standard input, as for `translate`; inspect reads its file whole anyway.
    let (name, mut input) = if args.file.as_os_str() == "-" {
        let mut input = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut input)
            .context("reading standard input")?;
        ("<stdin>".to_owned(), input)
    } else {
        let name = args.file.display().to_string();
        let input = std::fs::read(&args.file).with_context(|| format!("reading {name}"))?;
        (name, input)
    };
    let opts = Options {
        strictness: args.grammar.strictness(),
        file: name.clone(),
        channel: None,
        relax_envelope: args.grammar.relax_envelope,
        feed_profile: None,
        limits: Default::default(),
        spill_dir: None,
    };
    let (rows, envelope, clean, hints) = match detect(&input[..input.len().min(512)]) {
        Format::X12 => {
            if ebcdic::looks_like_ebcdic_isa(&input) {
                ebcdic::transcode_in_place(&mut input);
                writeln!(out, "(EBCDIC code page 037, shown transcoded)")?;
            }
            let tree = Tree {
                depth: |tag| match tag {
                    "ISA" | "IEA" => Some(0),
                    "GS" | "GE" => Some(1),
                    "ST" => Some(2),
                    _ => None,
                },
                grammar: grammars.x12("004010", "850").map(|(g, _)| g),
            };
            rows::<X12>(&input, &grammars, &opts, tree, |ic, g, tx| {
                let (v, _) = mapx12::version_of(ic, g, tx);
                grammars.x12(&v, &tx.header.set_id).map(|(g, _)| g)
            })
        }
        Format::Edifact => {
            let tree = Tree {
                depth: |tag| match tag {
                    "UNA" | "UNB" | "UNZ" => Some(0),
                    "UNG" | "UNE" => Some(1),
                    "UNH" => Some(1),
                    _ => None,
                },
                grammar: grammars.edifact("D96A", "ORDERS").map(|(g, _)| g),
            };
            rows::<Edifact>(&input, &grammars, &opts, tree, |_, _, msg| {
                let unh = &msg.header;
                grammars
                    .edifact(&format!("D{}", unh.release), &unh.message_type)
                    .map(|(g, _)| g)
            })
        }
        Format::Feed | Format::Unknown => return not_edi(&name, &input, err),
    };
    print(out, &rows)?;
    for f in envelope {
        writeln!(out, "!! {f}")?;
    }
    acks(out, &input, &grammars, &opts)?;
    hints.write(&name, out)?;
    Ok(if clean {
        Outcome::Clean
    } else {
        Outcome::Rejections
    })
}

/// A file that is neither X12 nor EDIFACT: a feed (which `translate` reads: a wrong argument
/// for `inspect`), or something tallyman does not read at all, said without sending the user
/// on to a command that cannot read it either.
fn not_edi(name: &str, input: &[u8], err: &mut dyn Write) -> anyhow::Result<Outcome> {
    if input.is_empty() {
        writeln!(
            err,
            "{name}: the file is empty (0 bytes): there is nothing to inspect"
        )?;
        return Ok(Outcome::Rejections);
    }
    let profiles = crate::feeds::Profiles::builtin().context("loading built-in feed profiles")?;
    let opts = crate::feeds::Options {
        file: name.to_owned(),
        ..Default::default()
    };
    let feed = crate::feeds::translate_feed(input, &profiles, None, &opts, |_| Ok(()))
        .with_context(|| format!("reading {name}"))?;
    if let Some(id) = &feed.profile {
        let kind = match profiles.get(id) {
            _ if feed.xml => "XML",
            Some(p) if p.delimiter == "\t" => "TSV",
            _ => "CSV",
        };
        anyhow::bail!(
            "{name}: a{} {kind} feed (profile {id}): inspect shows X12 and EDIFACT files only; `tallyman translate {name}` prints its orders and findings",
            if kind == "XML" { "n" } else { "" }
        );
    }
    let why = if feed.xml {
        let said = feed.findings.first().map_or("", |f| f.message.as_str());
        format!("an XML document, but {said}")
    } else {
        let shown = for_message(&input[..input.len().min(24)], 24);
        format!(
            "it starts with neither an ISA nor a UNA, UNB or UNH segment, and no built-in feed profile matches its first line (found '{shown}')"
        )
    };
    writeln!(err, "{name}: not an X12, EDIFACT or feed file: {why}")?;
    Ok(Outcome::Rejections)
}

/// The acknowledgments a strict channel sends for the file: per X12 group the 997 (with a TA1
/// when the interchange asks for one or has an error), per EDIFACT interchange the CONTRL.
/// Their bodies only: the envelope and its control numbers are the run's.
fn acks(
    out: &mut dyn Write,
    input: &[u8],
    grammars: &GrammarSet,
    opts: &Options,
) -> anyhow::Result<()> {
    use crate::ack::receipt::Collector;
    use crate::ack::{AckKind, Ta1Policy};
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).trim_end().to_owned();
    match detect(&input[..input.len().min(512)]) {
        Format::X12 => {
            let mut c = Collector::<X12>::new();
            let map =
                driver::translate_reader::<X12, _, _>(input, grammars, opts, 1 << 20, |x, o| {
                    c.add(x, &o);
                    Ok(())
                })?;
            for r in c.finish(&map) {
                let d = r.interchange.delimiters;
                if crate::ack::x12::ta1_due(Ta1Policy::Errors, &r, false) {
                    let mut b = Vec::new();
                    crate::syntax::x12::write_segment(
                        &mut b,
                        &crate::ack::x12::ta1(&r, false),
                        &d,
                    )?;
                    writeln!(
                        out,
                        "ack for interchange {}: {}",
                        r.interchange.control,
                        text(b)
                    )?;
                }
                for g in &r.groups {
                    let Some(fa) = crate::ack::x12::functional_ack(AckKind::Fa997, &r, g) else {
                        continue;
                    };
                    let mut b = Vec::new();
                    for s in &fa.segments {
                        crate::syntax::x12::write_segment(&mut b, s, &d)?;
                    }
                    writeln!(
                        out,
                        "ack for group {} (997, {}): {}",
                        g.group.control,
                        fa.verdict.x12(),
                        text(b)
                    )?;
                }
            }
        }
        Format::Edifact => {
            let mut c = Collector::<Edifact>::new();
            let map = driver::translate_reader::<Edifact, _, _>(
                input,
                grammars,
                opts,
                1 << 20,
                |x, o| {
                    c.add(x, &o);
                    Ok(())
                },
            )?;
            for r in c.finish(&map).iter().filter(|r| r.interchange.explicit) {
                let Some(contrl) = crate::ack::edifact::contrl(r) else {
                    continue;
                };
                let mut b = Vec::new();
                for s in &contrl.segments {
                    crate::syntax::edifact::write_segment(&mut b, s, &r.interchange.delimiters)?;
                }
                writeln!(
                    out,
                    "ack for interchange {} (CONTRL, action {}): {}",
                    r.interchange.control,
                    contrl.action,
                    text(b)
                )?;
            }
        }
        Format::Feed | Format::Unknown => {}
    }
    Ok(())
}

fn verdict(o: &crate::map::Outcome) -> String {
    let v = match o.status {
        Status::Accepted => "accepted".to_string(),
        Status::NotMapped => "not translated".to_string(),
        Status::Rejected if o.envelope_reasons.is_empty() => "rejected".to_string(),
        Status::Rejected => format!(
            "rejected: {}",
            o.envelope_reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    format!(
        "{} {}: {v}",
        o.set_id,
        o.controls.transaction.as_deref().unwrap_or("")
    )
}

/// Builds rows from segments given as (index, span, tag, elements), the sets, and the
/// envelope findings by segment index.
fn rows_from(
    segments: Vec<(usize, Span, String, Vec<String>)>,
    sets: &[SetView],
    envelope: &[Finding],
    envelope_grammar: Option<Arc<Grammar>>,
    depth_of: impl Fn(&str) -> Option<usize>,
) -> Vec<Row> {
    let by_first: HashMap<usize, &SetView> = sets.iter().map(|s| (s.first, s)).collect();
    let mut rows = Vec::with_capacity(segments.len());
    let mut current: Option<&SetView> = None;
    let mut base = 0;
    for (index, span, tag, values) in segments {
        if let Some(s) = by_first.get(&index) {
            current = Some(s);
        }
        let inside = current.filter(|s| span.start >= s.span.start && span.end <= s.span.end);
        if let Some(d) = depth_of(&tag) {
            base = d;
        }
        let (grammar, placement, mut findings, depth) = match inside {
            Some(s) => {
                let p = s.placements.get(index - s.first).cloned();
                let extra = p.as_ref().map_or(0, |p| p.loops.len()) + usize::from(index != s.first);
                let f: Vec<Finding> = s
                    .outcome
                    .findings
                    .iter()
                    .filter(|f| f.segment_index == Some(index))
                    .cloned()
                    .collect();
                (s.grammar.clone(), p, f, base + extra)
            }
            None => (envelope_grammar.clone(), None, Vec::new(), base),
        };
        findings.extend(
            envelope
                .iter()
                .filter(|f| f.segment_index == Some(index))
                .cloned(),
        );
        let verdict = inside
            .filter(|s| span.end == s.span.end)
            .map(|s| verdict(&s.outcome));
        rows.push(Row {
            index,
            tag,
            values,
            depth: if inside.is_some_and(|s| span.end == s.span.end) {
                base
            } else {
                depth
            },
            grammar,
            placement,
            findings,
            verdict,
        });
    }
    rows
}

/// The rows of a whole X12 or EDIFACT input: each set validated with placements, and
/// `grammar_of` naming the grammar whose element names are shown for a set.
fn rows<S: Mapping>(
    input: &[u8],
    grammars: &GrammarSet,
    opts: &Options,
    tree: Tree,
    grammar_of: impl Fn(&Interchange<S>, &Group<S>, &Transaction<S>) -> Option<Arc<Grammar>>,
) -> (Vec<Row>, Vec<Finding>, bool, Hints) {
    let mut map = crate::envelope::scan::<S>(input);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    let mut sets = Vec::new();
    for (i, g, t, tx) in map.transactions() {
        let bytes = &input[tx.span.start..tx.span.end];
        let (outcome, _, placements) =
            driver::translate_with_placements(grammars, &map, (i, g, t), bytes, opts);
        let ic = &map.interchanges[i];
        sets.push(SetView {
            span: tx.span,
            grammar: grammar_of(ic, &ic.groups[g], tx),
            outcome,
            placements,
            first: tx.first_index,
        });
    }
    let segments = S::segments(input)
        .map(|s| {
            let values = s
                .shown_elements()
                .iter()
                .map(|v| for_message(v, 80))
                .collect();
            (s.index(), s.span(), s.tag_str().into_owned(), values)
        })
        .collect();
    let envelope: Vec<Finding> = map.all_findings().cloned().collect();
    let clean = envelope.iter().all(|f| !f.is_error())
        && sets.iter().all(|s| s.outcome.status == Status::Accepted);
    let mut hints = Hints::new();
    for s in &sets {
        hints.add(&s.outcome);
    }
    let rows = rows_from(segments, &sets, &envelope, tree.grammar, tree.depth);
    (rows, map.findings, clean, hints)
}

fn print(out: &mut dyn Write, rows: &[Row]) -> std::io::Result<()> {
    let mut prev_loops: Vec<String> = Vec::new();
    for r in rows {
        let def = r.grammar.as_ref().and_then(|g| g.dictionary.get(&r.tag));
        if let Some(p) = &r.placement {
            let entered = p.loops.len() > prev_loops.len()
                || (!p.loops.is_empty() && p.loops.last() != prev_loops.last());
            if entered {
                writeln!(
                    out,
                    "{:w$}[loop {}]",
                    "",
                    p.loops.last().expect("non-empty"),
                    w = r.depth.saturating_sub(1) * 2 + 8
                )?;
            }
            prev_loops = p.loops.clone();
        } else {
            prev_loops.clear();
        }
        let name = match (def, r.tag.as_str()) {
            (Some(d), _) => d.name.as_str(),
            (None, "UNA") => "Service string advice",
            (None, _) => "(unknown segment)",
        };
        writeln!(
            out,
            "{:>6}  {:w$}{:<4} {name}",
            r.index,
            "",
            r.tag,
            w = r.depth * 2
        )?;
        for (i, v) in r.values.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            let ename = def
                .and_then(|d| d.elements.get(i))
                .map(|p| match &p.item {
                    Item::Simple(_) => p.name.clone(),
                    Item::Composite { id, .. } => format!("{} ({id})", p.name),
                })
                .unwrap_or_default();
            writeln!(
                out,
                "{:>6}  {:w$}  {}{:02} {ename:<34} {v}",
                "",
                "",
                r.tag,
                i + 1,
                w = r.depth * 2
            )?;
        }
        for f in &r.findings {
            let sev = if f.is_error() { "error" } else { "warning" };
            writeln!(out, "{:w$}!! {sev}: {}", "", f.message, w = r.depth * 2 + 8)?;
        }
        if let Some(v) = &r.verdict {
            writeln!(out, "{:w$}=> {v}", "", w = r.depth * 2 + 8)?;
        }
    }
    Ok(())
}
