//! The command line. One file per command; `anyhow` lives only here.
//!
//! Exit codes: 0 every document accepted; 1 some document rejected, held back or quarantined, or
//! something else needs attention; 2 the command itself failed (bad arguments or configuration,
//! an unreadable file or grammar directory, I/O). Each command's meaning of them is in `exit.rs`,
//! which `--help` and the man page print. Data goes to stdout, diagnostics to stderr; a closed
//! stdout (`| head`) ends the command quietly.

mod check;
mod completions;
mod exit;
mod generate;
mod hints;
mod inspect;
mod ledger;
pub mod log;
mod man;
mod run;
mod status;
mod translate;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "tallyman",
    version,
    about = "EDI and file-feed batch translator"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub log: log::Args,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One batch run: read every channel's drop folder, write ERP import files, archive and
    /// quarantine inputs, record everything in the ledger.
    Run(run::Args),
    /// The state at a glance: runs, files waiting, quarantine, silent partners, overdue
    /// acknowledgments; exit 1 when something needs attention.
    Status(status::Args),
    /// Look into the ledger (runs, quarantine) and replay quarantined files.
    Ledger(ledger::Args),
    /// Translate files into canonical documents, one JSON object per line on stdout.
    Translate(translate::Args),
    /// Print a file's segment tree with loops, element names and findings.
    Inspect(inspect::Args),
    /// Onboarding a partner: what a run would do with sample files under the partner's
    /// channel (verdicts, findings with the codes the partner reads, acknowledgments, the
    /// documents the ERP gets) and which segments and codes the files use.
    Check(check::Args),
    /// Write ship notices and invoices for one partner from ERP export files, with the run's
    /// checks, to stdout or a folder; nothing is recorded (control numbers from --control).
    Generate(generate::Args),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    Completions(completions::Args),
    /// Print the manual page (roff), for packagers: `tallyman man > tallyman.1`, or a page per
    /// command with --dir.
    Man(man::Args),
}

/// The command line's definition, with each command's exit codes after its options: what
/// `main` parses, and what completions and the man page are made from.
pub fn command() -> clap::Command {
    with_exit_codes(Cli::command(), &mut Vec::new())
}

fn with_exit_codes(cmd: clap::Command, path: &mut Vec<String>) -> clap::Command {
    let names: Vec<&str> = path.iter().map(String::as_str).collect();
    // clap prints the epilogue as written, so it is wrapped here for an 80-column terminal.
    let codes = exit::help(exit::codes(&names), 80);
    // `--help` prints the long epilogue where a command has one (completions: where the script
    // goes): the codes follow it.
    let cmd = match cmd.get_after_long_help() {
        Some(long) => {
            let long = format!("{long}\n\n{codes}");
            cmd.after_long_help(long)
        }
        None => cmd,
    };
    let cmd = cmd.after_help(codes);
    cmd.mut_subcommands(|sub| {
        path.push(sub.get_name().to_owned());
        let sub = with_exit_codes(sub, path);
        path.pop();
        sub
    })
}

/// Options shared by commands that validate.
#[derive(Debug, Clone, clap::Args)]
pub struct GrammarArgs {
    /// A directory of grammar files laid over the built-in ones (same layout as grammars/).
    #[arg(long, value_name = "DIR")]
    pub grammars: Option<PathBuf>,
    /// A partner's implementation guide (TOML; see "Implementation guides" in the README):
    /// the grammars it names are narrowed by it, and what it forbids is rejected (or, with
    /// --lenient, warned about) and said to come from the guide.
    #[arg(long, value_name = "FILE")]
    pub guide: Option<PathBuf>,
    /// Accept documents with segment or element errors, reporting them as warnings
    /// (envelope counts and control numbers still reject).
    #[arg(long)]
    pub lenient: bool,
    /// Accept envelope count and control-number mismatches, duplicate control numbers and
    /// missing GE/IEA/UNE/UNZ trailers, reporting them as warnings (a transaction set or message
    /// without its SE/UNT, and unreadable data, still reject).
    #[arg(long)]
    pub relax_envelope: bool,
}

/// Options of commands that read marketplace feeds.
#[derive(Debug, Clone, clap::Args)]
pub struct FeedArgs {
    /// A directory of feed profiles (TOML) laid over the built-in ones (same id replaces).
    #[arg(long, value_name = "DIR")]
    pub feeds: Option<PathBuf>,
    /// Read feeds with this profile instead of picking one from the header row or root element.
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
}

impl GrammarArgs {
    /// The built-in grammars, with `--grammars` laid over them and `--guide` narrowing them.
    pub fn load(&self) -> anyhow::Result<crate::grammar::GrammarSet> {
        use anyhow::Context;
        let grammars = match &self.grammars {
            Some(dir) => crate::pipeline::settings::load_grammars(Some(dir))
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("loading grammars from {}", dir.display()))?,
            None => crate::grammar::GrammarSet::builtin().context("loading built-in grammars")?,
        };
        match &self.guide {
            Some(path) => {
                let guide = crate::pipeline::settings::read_guide(path)?;
                Ok(grammars.with_guide(&guide)?)
            }
            None => Ok(grammars),
        }
    }

    pub fn strictness(&self) -> crate::grammar::Strictness {
        if self.lenient {
            crate::grammar::Strictness::Lenient
        } else {
            crate::grammar::Strictness::Strict
        }
    }
}

impl FeedArgs {
    /// The built-in feed profiles with `--feeds` laid over them; a `--profile` none of them
    /// has is a bad argument (exit 2), not a file that no profile matches.
    pub fn profiles(&self) -> anyhow::Result<crate::feeds::Profiles> {
        use anyhow::Context;
        let profiles = match &self.feeds {
            Some(dir) => crate::pipeline::settings::load_profiles(Some(dir))
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("loading feed profiles from {}", dir.display()))?,
            None => crate::feeds::Profiles::builtin().context("loading built-in feed profiles")?,
        };
        if let Some(id) = &self.profile
            && !profiles.ids().contains(&id.as_str())
        {
            anyhow::bail!(
                "--profile {id}: there is no feed profile '{id}'; known: {}{}",
                profiles.ids().join(", "),
                if self.feeds.is_none() {
                    "; or give a folder of your own profiles with --feeds DIR"
                } else {
                    ""
                }
            );
        }
        Ok(profiles)
    }
}

/// `-` (standard input) at most once among `files`: it can be read only once.
pub fn stdin_at_most_once(files: &[PathBuf]) -> anyhow::Result<()> {
    let n = files.iter().filter(|p| p.as_os_str() == "-").count();
    if n > 1 {
        anyhow::bail!("`-` is given {n} times, but standard input can be read only once");
    }
    Ok(())
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything accepted.
    Clean,
    /// Something was rejected or not translated.
    Rejections,
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::from_arg_matches(&command().get_matches()).unwrap_or_else(|e| e.exit());
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    // Stderr is locked per write, never for the whole command: the progress bar draws from
    // worker threads through the same stderr, and a lock held here would make it wait forever
    // (the run hung on a terminal, where the bar is drawn).
    let mut err = io::stderr();
    log::init(&cli.log, &mut err);
    // A panic is said where it happens, with its place in the code, through the log (the
    // standard hook's lines are neither past the progress bar nor JSON); RUST_BACKTRACE adds
    // the standard hook's backtrace.
    let standard = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A named thread (`tallyman-scan`, `main`) helps the report; pool threads have none.
        let thread = std::thread::current();
        let on = thread.name().map(|n| format!(" (on thread {n})"));
        log::panicked(&format!(
            "a bug in tallyman: {}{}",
            crate::diag::note_panic(info),
            on.unwrap_or_default()
        ));
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            standard(info);
        }
    }));
    // A panic is a bug of ours. The hook above has said where it happened; the command then
    // fails as documented (exit 2, a sentence saying what to do), not with Rust's 101. A run
    // stopped this way is recovered by the next run, as after a kill (its ledger transaction
    // was rolled back on the way out).
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &cli.command {
        Command::Run(a) => run::run(a, &mut out, &mut err),
        Command::Status(a) => status::run(a, &mut out, &mut err),
        Command::Ledger(a) => ledger::run(a, &mut out, &mut err),
        Command::Translate(a) => translate::run(a, &mut out, &mut err),
        Command::Inspect(a) => inspect::run(a, &mut out, &mut err),
        Command::Check(a) => check::run(a, &mut out, &mut err),
        Command::Generate(a) => generate::run(a, &mut out, &mut err),
        Command::Completions(a) => completions::run(a, &mut out),
        Command::Man(a) => man::run(a, &mut out, &mut err),
    }));
    let result = match result {
        Ok(result) => result,
        Err(panic) => {
            // What the command wrote before is output it meant to give; the rest never came.
            let _ = out.flush();
            let _ = log::say(
                &mut err,
                tracing::Level::ERROR,
                &format!(
                    "internal error: {}. This is a bug in tallyman, not in its input: please \
                     report it with the command, its input and the lines above. The command \
                     stopped where it was; a run's work is recovered by the next run, as after \
                     a kill",
                    crate::diag::panic_text(panic.as_ref())
                ),
            );
            return ExitCode::from(2);
        }
    };
    if let Err(e) = out.flush()
        && e.kind() != io::ErrorKind::BrokenPipe
    {
        let _ = log::say(
            &mut err,
            tracing::Level::ERROR,
            &format!("writing output: {e}"),
        );
        return ExitCode::from(2);
    }
    match result {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Rejections) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = log::say(&mut err, tracing::Level::ERROR, &message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, `: `-separated, leaving out a cause whose text the error before it
/// already holds: many errors print their source themselves (`cannot read FILE: No such file or
/// directory (os error 2)`), and `{:#}` would print it a second time.
fn message(e: &anyhow::Error) -> String {
    let mut text = String::new();
    let mut previous = String::new();
    for cause in e.chain() {
        let this = cause.to_string();
        if !previous.contains(&this) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&this);
        }
        previous = this;
    }
    text
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
