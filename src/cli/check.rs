//! `tallyman check FILE...`: what a run would do with a partner's sample files.
//!
//! The report is built once ([`crate::pipeline::check`]) and rendered for a terminal (the
//! default: per file, interchange, group and document, findings with their address and the
//! acknowledgment code the partner would read, the acknowledgments a run would send, the
//! canonical documents, then the coverage), or as JSON (`--json`, schema in the README).
//! Colour only on a terminal, and not with `NO_COLOR`.
//!
//! ```text
//! $ tallyman check tests/fixtures/x12/invalid/bad-code.edi
//! check: settings from the command line, format detected per file, strict, acknowledgment 997
//!
//! tests/fixtures/x12/invalid/bad-code.edi (X12 004010, 558 bytes): rejected
//!   interchange 000006221 from ACMERETAIL to NORTHWINDSUP: rejected
//!     group 6221 (PO, 004010): rejected
//!       850 004010 0001 (order 4500012623): rejected
//!         error at byte 179, segment 2 of the set (BEG), element BEG01, value '99'
//!           BEG01 (Transaction Set Purpose Code) '99' is not one of its codes (00, 01, ...)
//!           to fix: send one of the element's codes (the coverage shows what was sent)
//!           acknowledgment code AK403 7 (invalid code value)
//! ```

mod html;

use super::Outcome;
use crate::ack::AckKind;
use crate::grammar::Strictness;
use crate::pipeline::check::{
    self, ChannelReport, DocumentCheck, FileCheck, FindingCheck, Report, Setting, Verdict,
    coverage::Coverage,
};
use crate::pipeline::settings::ChannelFormat;
use anyhow::Context;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sample files from the partner: X12, EDIFACT, or marketplace feeds. `-` reads standard
    /// input. A file that cannot be read is reported, the others are checked, and the command
    /// exits 2.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The run's configuration file: the channel's settings (strictness, ids, version,
    /// acknowledgments, grammars, feed profiles) are those a run applies.
    #[arg(long, value_name = "FILE", requires = "partner")]
    pub config: Option<PathBuf>,
    /// The channel (partner) of --config whose settings apply.
    #[arg(long, value_name = "ID", requires = "config")]
    pub partner: Option<String>,
    /// Without --config: the format the channel receives (a file in another format is
    /// reported as such); detected per file when not given.
    #[arg(long, value_enum, conflicts_with = "config")]
    pub format: Option<FormatArg>,
    /// Without --config: the version the channel expects (`004010`, `D96A`); a strict channel
    /// rejects documents in another.
    #[arg(long, value_name = "VERSION", conflicts_with = "config")]
    pub version: Option<String>,
    /// Without --config: grammar errors reject the document (the default).
    #[arg(long, conflicts_with_all = ["config", "lenient"])]
    pub strict: bool,
    /// Without --config: grammar errors are warnings, and the document is accepted.
    #[arg(long, conflicts_with = "config")]
    pub lenient: bool,
    /// Without --config: envelope count and control-number mismatches are warnings.
    #[arg(long, conflicts_with = "config")]
    pub relax_envelope: bool,
    /// Without --config: the acknowledgment shown (default: 997 for X12, CONTRL for EDIFACT).
    #[arg(long, value_enum, conflicts_with = "config")]
    pub acks: Option<AcksArg>,
    /// Without --config: a directory of grammar files laid over the built-in ones.
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub grammars: Option<PathBuf>,
    /// Without --config: a directory of feed profiles laid over the built-in ones.
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    pub feeds: Option<PathBuf>,
    /// Without --config: the partner's implementation guide (TOML; see "Implementation
    /// guides" in the README), laid over the grammars as a channel's `guide` is.
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    pub guide: Option<PathBuf>,
    /// Without --config: read feeds with this profile.
    #[arg(long, value_name = "ID", conflicts_with = "config")]
    pub profile: Option<String>,
    /// Print the report as JSON (its schema is in the README: `schema_version` 1).
    #[arg(long)]
    pub json: bool,
    /// Also write the report as one self-contained HTML page (no scripts, nothing fetched,
    /// printable) to FILE, with each document's segment tree and its findings inline.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    X12,
    Edifact,
    Feed,
}

/// `--acks`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AcksArg {
    #[value(name = "997")]
    Fa997,
    #[value(name = "999")]
    Ia999,
    Contrl,
    None,
}

pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<Outcome> {
    let (setting, grammars, profiles, config) = setting(args)?;
    let grammars = check::grammars_for(grammars, &setting)?;
    let mut coverage = check::coverage::Gatherer::new();
    coverage.segments = args.html.is_some();
    let mut files = Vec::with_capacity(args.files.len());
    let mut unread: Vec<String> = Vec::new();
    super::stdin_at_most_once(&args.files)?;
    for path in &args.files {
        let (name, bytes) = if path.as_os_str() == "-" {
            let mut b = Vec::new();
            let r = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut b);
            ("<stdin>".to_owned(), r.map(|_| b))
        } else {
            (path.display().to_string(), std::fs::read(path))
        };
        match bytes {
            // A bug of ours met in one sample is that file's finding, and the others are
            // checked (the coverage may then hold part of that file).
            Ok(bytes) => files.push(
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    check::check_file(&name, &bytes, &setting, &grammars, &profiles, &mut coverage)
                }))
                .unwrap_or_else(|panic| FileCheck::internal_error(&name, panic.as_ref())),
            ),
            Err(e) => {
                let message = format!(
                    "cannot read {name}: {e}; check the path and its permissions (the other files are checked)"
                );
                writeln!(err, "tallyman: error: {message}")?;
                files.push(FileCheck::unreadable(&name, message));
                unread.push(name);
            }
        }
    }
    let report = check::report(ChannelReport::of(&setting, config), files, coverage);
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &report).context("writing the JSON report")?;
        writeln!(out)?;
    } else {
        let colour = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        terminal(out, &report, colour)?;
    }
    if let Some(path) = &args.html {
        write_page(path, &html::page(&report))?;
    }
    if !unread.is_empty() {
        anyhow::bail!(
            "{} of {} files could not be read: {}",
            unread.len(),
            args.files.len(),
            unread.join(", ")
        );
    }
    Ok(if report.totals.clean() {
        Outcome::Clean
    } else {
        Outcome::Rejections
    })
}

/// Writes the page under a temporary name beside `path`, then renames it, so that a page
/// open in a browser is never half written.
fn write_page(path: &std::path::Path, page: &str) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| {
        format!(
            "writing --html {}: cannot create a file in {}",
            path.display(),
            dir.display()
        )
    })?;
    tmp.write_all(page.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("writing --html {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing --html {}", path.display()))?;
    Ok(())
}

type Loaded = (
    Setting,
    crate::grammar::GrammarSet,
    crate::feeds::Profiles,
    Option<String>,
);

/// The setting, grammars and feed profiles: the channel's, or those the flags describe.
fn setting(args: &Args) -> anyhow::Result<Loaded> {
    use crate::pipeline::settings::{load_grammars, load_profiles};
    if let (Some(path), Some(id)) = (&args.config, &args.partner) {
        let cfg = crate::config::Config::load(path)?;
        let Some(channel) = cfg.channel(id) else {
            anyhow::bail!("--partner {id}: {}", cfg.no_channel(id));
        };
        let grammars = load_grammars(cfg.grammars.as_deref())
            .map_err(anyhow::Error::msg)
            .context("loading the configuration's grammars")?;
        let profiles = load_profiles(cfg.feeds.as_deref())
            .map_err(anyhow::Error::msg)
            .context("loading the configuration's feed profiles")?;
        return Ok((
            Setting::configured(channel, cfg.limits),
            grammars,
            profiles,
            Some(path.display().to_string()),
        ));
    }
    // The same options as `translate`'s, the guide aside: it goes into the setting, whose
    // report names it, and `check::grammars_for` lays it over these grammars.
    let grammars = super::GrammarArgs {
        grammars: args.grammars.clone(),
        guide: None,
        lenient: false,
        relax_envelope: false,
    }
    .load()?;
    let profiles = super::FeedArgs {
        feeds: args.feeds.clone(),
        profile: args.profile.clone(),
    }
    .profiles()?;
    let format = args.format.map(|f| match f {
        FormatArg::X12 => ChannelFormat::X12,
        FormatArg::Edifact => ChannelFormat::Edifact,
        FormatArg::Feed => ChannelFormat::Feed,
    });
    let acks = args.acks.map(|a| match a {
        AcksArg::Fa997 => AckKind::Fa997,
        AcksArg::Ia999 => AckKind::Ia999,
        AcksArg::Contrl => AckKind::Contrl,
        AcksArg::None => AckKind::None,
    });
    let strictness = if args.lenient {
        Strictness::Lenient
    } else {
        Strictness::Strict
    };
    let mut setting = Setting::adhoc(
        format,
        args.version.clone(),
        strictness,
        args.relax_envelope,
        acks,
    );
    setting.channel.profile = args.profile.clone();
    if let Some(path) = &args.guide {
        let guide = crate::pipeline::settings::read_guide(path)?;
        setting.channel.guide = Some(std::sync::Arc::new(guide));
    }
    Ok((setting, grammars, profiles, None))
}

/// Terminal styles: ANSI sequences, or nothing.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn verdict(&self, v: Verdict) -> String {
        let code = match v {
            Verdict::Accepted => "32",
            Verdict::AcceptedWithWarnings | Verdict::PartiallyAccepted => "33",
            Verdict::Rejected | Verdict::NotTranslated => "31",
        };
        self.paint(code, v.words())
    }

    fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    fn bold(&self, text: &str) -> String {
        self.paint("1", text)
    }
}

/// The report for people: per file, interchange, group and document, then coverage and
/// totals.
pub fn terminal(out: &mut dyn Write, report: &Report, colour: bool) -> std::io::Result<()> {
    let s = Style { on: colour };
    writeln!(out, "{}", s.bold(&setting_line(&report.channel)))?;
    for f in &report.files {
        writeln!(out)?;
        file(out, f, &s)?;
    }
    for c in &report.coverage {
        writeln!(out)?;
        coverage(out, c, &s)?;
    }
    let t = &report.totals;
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        s.bold(&format!(
            "{} file{}: {} accepted, {} accepted with warnings, {} rejected, {} not translated, {} file{} with errors outside any document",
            t.files,
            plural(t.files),
            t.accepted,
            t.accepted_with_warnings,
            t.rejected,
            t.not_translated,
            t.files_with_errors,
            plural(t.files_with_errors)
        ))
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What the files were checked against, in one line.
pub fn setting_line(c: &ChannelReport) -> String {
    let mut parts = Vec::new();
    match (&c.partner, &c.config) {
        (Some(p), Some(cfg)) => parts.push(format!("channel {p} of {cfg}")),
        _ => parts.push("settings from the command line".to_owned()),
    }
    parts.push(match c.format {
        Some(f) => f.to_string(),
        None => "format detected per file".to_owned(),
    });
    if let Some(v) = &c.version {
        parts.push(format!("version {v}"));
    }
    if let Some(p) = &c.partner_id {
        parts.push(format!("from {p}"));
    }
    if let Some(o) = &c.our_id {
        parts.push(format!("to {o}"));
    }
    parts.push(
        match c.strictness {
            Strictness::Strict => "strict",
            Strictness::Lenient => "lenient",
        }
        .to_owned(),
    );
    if c.relax_envelope {
        parts.push("envelope relaxed".to_owned());
    }
    if let Some(g) = &c.guide {
        parts.push(format!("implementation guide {g}"));
    }
    parts.push(format!("acknowledgment {}", c.acks.as_str()));
    format!("check: {}", parts.join(", "))
}

fn file(out: &mut dyn Write, f: &FileCheck, s: &Style) -> std::io::Result<()> {
    let profile = f
        .profile
        .as_deref()
        .map(|p| format!(", profile {p}"))
        .unwrap_or_default();
    let versions = if f.versions.is_empty() {
        String::new()
    } else {
        format!(" {}", f.versions.join(", "))
    };
    writeln!(
        out,
        "{} ({}{versions}{profile}, {} bytes): {}",
        s.bold(&f.name),
        format_word(f.format),
        f.size,
        s.verdict(f.verdict)
    )?;
    for x in &f.findings {
        finding(out, x, s, 2)?;
    }
    for ic in &f.interchanges {
        let head = if ic.explicit {
            format!(
                "interchange {} from {} to {}",
                ic.control, ic.sender, ic.receiver
            )
        } else {
            "messages without an interchange header".to_owned()
        };
        writeln!(out, "  {head}: {}", s.verdict(ic.verdict))?;
        for x in &ic.findings {
            finding(out, x, s, 4)?;
        }
        for g in &ic.groups {
            let mut indent = 4;
            if g.explicit {
                let version = if g.version.is_empty() {
                    String::new()
                } else {
                    format!(", {}", g.version)
                };
                writeln!(
                    out,
                    "    group {} ({}{version}): {}",
                    g.control,
                    g.functional_id,
                    s.verdict(g.verdict)
                )?;
                indent = 6;
            }
            for x in &g.findings {
                finding(out, x, s, indent)?;
            }
            for d in &g.documents {
                document(out, d, s, indent)?;
            }
        }
        for a in &ic.acks {
            let pad = "    ";
            match (&a.text, &a.note) {
                (Some(text), _) => {
                    let what = match &a.group {
                        Some(g) => format!("{} for group {g}", a.kind),
                        None => a.kind.to_owned(),
                    };
                    writeln!(
                        out,
                        "{pad}a run sends {what} ({}), body (envelope and control numbers are the run's):",
                        a.verdict.as_deref().unwrap_or("")
                    )?;
                    for line in text.lines() {
                        writeln!(out, "{pad}  {}", s.dim(line))?;
                    }
                }
                (None, Some(note)) => writeln!(out, "{pad}{note}")?,
                (None, None) => {}
            }
        }
    }
    for d in &f.documents {
        document(out, d, s, 2)?;
    }
    Ok(())
}

fn format_word(f: crate::translate::Format) -> &'static str {
    use crate::translate::Format;
    match f {
        Format::X12 => "X12",
        Format::Edifact => "EDIFACT",
        Format::Feed => "feed",
        Format::Unknown => "unknown format",
    }
}

fn document(
    out: &mut dyn Write,
    d: &DocumentCheck,
    s: &Style,
    indent: usize,
) -> std::io::Result<()> {
    let pad = " ".repeat(indent);
    let what = match (&d.kind, &d.number) {
        (Some(k), Some(n)) => format!(" ({} {n})", k.replace('_', " ")),
        (Some(k), None) => format!(" ({})", k.replace('_', " ")),
        _ => String::new(),
    };
    let version = if d.version.is_empty() {
        String::new()
    } else {
        format!(" {}", d.version)
    };
    let at = if d.control.is_empty() {
        format!(" at byte {}", d.offset)
    } else {
        format!(" {}", d.control)
    };
    writeln!(
        out,
        "{pad}{}{version}{at}{what}: {}",
        d.set_id,
        s.verdict(d.verdict)
    )?;
    for x in &d.findings {
        finding(out, x, s, indent + 2)?;
    }
    if let Some(doc) = &d.document {
        writeln!(out, "{pad}  to the ERP: {}", s.dim(doc.get()))?;
    }
    Ok(())
}

/// Where a finding is, in words: byte, row, segment, loop, element, component, value.
pub fn address(x: &FindingCheck) -> String {
    let f = &x.finding;
    let mut parts = vec![format!("byte {}", f.offset)];
    if let Some(r) = f.row {
        parts.push(match &f.column {
            Some(c) => format!("row {r}, column {c}"),
            None => format!("row {r}"),
        });
    }
    match (f.segment_position, &f.segment) {
        (Some(p), Some(t)) => parts.push(format!("segment {p} of the set ({t})")),
        (Some(p), None) => parts.push(format!("segment {p} of the set")),
        (None, Some(t)) => parts.push(format!(
            "segment {}{t}",
            f.segment_index
                .map(|i| format!("{i} of the file, "))
                .unwrap_or_default()
        )),
        (None, None) => {}
    }
    if !x.loop_path.is_empty() {
        parts.push(format!("loop {}", x.loop_path));
    } else if let Some(l) = &f.loop_id {
        parts.push(format!("loop {l}"));
    }
    if let Some(e) = f.element {
        let tag = f.segment.as_deref().unwrap_or("");
        parts.push(match f.component {
            Some(c) => format!("element {tag}{e:02}, component {c}"),
            None => format!("element {tag}{e:02}"),
        });
    }
    if let Some(m) = &f.missing {
        parts.push(format!("missing {m}"));
    }
    if let Some(v) = &f.value {
        parts.push(format!("value '{v}'"));
    }
    parts.join(", ")
}

fn finding(out: &mut dyn Write, x: &FindingCheck, s: &Style, indent: usize) -> std::io::Result<()> {
    let pad = " ".repeat(indent);
    let f = &x.finding;
    let sev = if f.is_error() {
        s.paint("31", "error")
    } else {
        s.paint("33", "warning")
    };
    writeln!(out, "{pad}{sev} at {}", address(x))?;
    writeln!(out, "{pad}  {}", f.message)?;
    if let Some(fix) = x.fix
        && f.is_error()
    {
        writeln!(out, "{pad}  to fix: {fix}")?;
    }
    if let Some(a) = &x.ack_code {
        writeln!(
            out,
            "{pad}  {}",
            s.dim(&format!(
                "acknowledgment code {} {} ({})",
                a.element, a.code, a.meaning
            ))
        )?;
    }
    Ok(())
}

fn coverage(out: &mut dyn Write, c: &Coverage, s: &Style) -> std::io::Result<()> {
    let name = c
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    writeln!(
        out,
        "{}",
        s.bold(&format!(
            "coverage: {} {} {}{name} ({} document{})",
            c.standard,
            c.set_id,
            c.version,
            c.documents,
            plural(c.documents)
        ))
    )?;
    if c.name.is_none() {
        writeln!(out, "  no grammar: nothing is known to be allowed")?;
    }
    writeln!(out, "  segments sent:")?;
    for u in &c.segments {
        let place = if u.path.is_empty() {
            "-".to_owned()
        } else {
            u.path.clone()
        };
        let rule = match (u.usage, u.max) {
            (Some(usage), Some(max)) => format!("{usage}, max {max}"),
            _ => "not in the grammar here".to_owned(),
        };
        let fits = if u.allowed {
            String::new()
        } else {
            format!(", {}", s.paint("31", "not allowed where sent"))
        };
        writeln!(
            out,
            "    {:<12} {:<4} {:>6} in {:>4} document{:<1} ({rule}{fits})  {}",
            place,
            u.tag,
            u.count,
            u.documents,
            plural(u.documents),
            s.dim(u.name.as_deref().unwrap_or(""))
        )?;
    }
    if !c.codes.is_empty() {
        writeln!(out, "  codes sent:")?;
        let mut i = 0;
        while i < c.codes.len() {
            let element = &c.codes[i].element;
            let mut values = Vec::new();
            while i < c.codes.len() && &c.codes[i].element == element {
                let u = &c.codes[i];
                let v = format!("{} x{}", u.value, u.count);
                values.push(if u.allowed {
                    v
                } else {
                    s.paint("31", &format!("{v} (not in the code list)"))
                });
                i += 1;
            }
            let name = &c.codes[i - 1].name;
            writeln!(
                out,
                "    {element:<10} {}  {}",
                values.join(", "),
                s.dim(&format!("({name})"))
            )?;
        }
    }
    if !c.unused.is_empty() {
        let list: Vec<String> = c
            .unused
            .iter()
            .map(|u| {
                let at = match (u.whole_loop, u.path.is_empty()) {
                    (true, _) => format!("loop {}", u.path),
                    (false, true) => u.tag.clone(),
                    (false, false) => format!("{}/{}", u.path, u.tag),
                };
                if u.usage == "mandatory" {
                    format!("{at} (mandatory)")
                } else {
                    at
                }
            })
            .collect();
        writeln!(out, "  never sent: {}", s.dim(&list.join(", ")))?;
    }
    Ok(())
}
