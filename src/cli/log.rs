//! Logs: `-v`/`-q`, `RUST_LOG` and `--log-format`, for every command.
//!
//! The pipeline and the transports emit `tracing` events; this module decides which are shown
//! and how. Lines go to stderr (stdout is for data), past the progress bar when one is drawn
//! ([`crate::pipeline::progress::suspend`]).
//!
//! Levels, from quiet to loud: error, warn, info (one line per file and per document outcome,
//! per acknowledgment and outbound document sent, per run), debug (listings, connections,
//! transfers), trace. The default is warn for text, whose reader has the run's summary, and
//! info for JSON, whose reader (journald, a log shipper) has no summary: there the run's last
//! line, `run finished`, carries its counts and exit code, and every line on stderr of `run`
//! and `ledger replay` is a JSON object, errors included. `-v` and `-q` move the level one step
//! each time; `-q` also keeps the summary of a run that needs no attention to itself (a cron job
//! mails only what matters). `RUST_LOG` (`info`, `tallyman::transport=debug`, ...) overrides
//! both. Values from partners (file names, numbers) are quoted and escaped in text lines and are
//! JSON strings in JSON lines; secrets are never logged (the configuration names the variables
//! that hold them, and only those names are ever printed).

use std::io::{self, IsTerminal, Write};
use std::sync::OnceLock;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// One line of text per event, coloured on a terminal (NO_COLOR honoured).
    #[default]
    Text,
    /// One JSON object per line, for journald and log shippers.
    Json,
}

/// The options every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// More log lines on stderr: -v one per file and document outcome (info), -vv debug, -vvv
    /// trace. RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Fewer: -q only errors, and a run's summary only when the run needs attention; -qq no log
    /// lines.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub quiet: u8,
    /// text, or json: one JSON object per line on stderr (default level info).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t,
        global = true
    )]
    pub log_format: Format,
}

static SETTINGS: OnceLock<(Format, u8)> = OnceLock::new();

/// Whether log lines are JSON: then messages that would be text on stderr are events too.
pub(super) fn json() -> bool {
    SETTINGS.get().is_some_and(|(f, _)| *f == Format::Json)
}

/// Whether `-q` was given: a clean run prints no summary.
pub(super) fn quiet() -> bool {
    SETTINGS.get().is_some_and(|(_, q)| *q > 0)
}

/// Installs the subscriber. A `RUST_LOG` that does not parse is reported and the flags' level
/// used instead.
pub(super) fn init(args: &Args, err: &mut dyn Write) {
    let _ = SETTINGS.set((args.log_format, args.quiet));
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let base = match args.log_format {
        Format::Text => 2,
        Format::Json => 3,
    };
    let level = (base + usize::from(args.verbose))
        .saturating_sub(usize::from(args.quiet))
        .min(LEVELS.len() - 1);
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => match EnvFilter::try_new(&spec) {
            Ok(f) => f,
            Err(e) => {
                let _ = writeln!(
                    err,
                    "tallyman: RUST_LOG={spec:?} is not a log filter ({e}); using {}",
                    LEVELS[level]
                );
                EnvFilter::new(LEVELS[level])
            }
        },
        _ => EnvFilter::new(LEVELS[level]),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Stderr);
    let result = match args.log_format {
        Format::Text => builder.with_ansi(colour()).try_init(),
        Format::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    // Set already (a test calling `main` twice): the first one stays.
    drop(result);
}

/// Colour only for a person at a terminal who has not asked for none (<https://no-color.org>).
fn colour() -> bool {
    io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A message of the command itself: an event in JSON mode, a `tallyman: ` line otherwise.
pub(super) fn say(err: &mut dyn Write, level: tracing::Level, text: &str) -> io::Result<()> {
    if json() {
        match level {
            tracing::Level::ERROR => tracing::error!("{text}"),
            tracing::Level::WARN => tracing::warn!("{text}"),
            _ => tracing::info!("{text}"),
        }
        Ok(())
    } else if level == tracing::Level::ERROR {
        writeln!(err, "tallyman: error: {text}")
    } else {
        writeln!(err, "tallyman: {text}")
    }
}

/// Reports a panic (a bug of ours) where it happens, as an error line like any other: past
/// the progress bar, and in JSON a JSON object, so that a run that goes on after it (the file
/// is quarantined) keeps its log readable.
pub(super) fn panicked(text: &str) {
    crate::pipeline::progress::suspend(|| {
        let _ = say(&mut io::stderr(), tracing::Level::ERROR, text);
    });
}

/// Stderr, each line written whole and past the progress bar.
struct Stderr;

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line(Vec::with_capacity(256))
    }
}

/// One event's text, written to stderr when complete (the formatter writes an event in pieces).
struct Line(Vec<u8>);

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let text = std::mem::take(&mut self.0);
            // Nowhere left to report a failure to write to stderr.
            let _ = crate::pipeline::progress::suspend(|| io::stderr().lock().write_all(&text));
        }
    }
}
