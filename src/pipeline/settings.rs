//! What a run is told to do: the work directory, the ERP inbox and one entry per channel.
//!
//! The pipeline owns these types; [`crate::config`] reads them from the run's TOML file (and
//! re-exports them), so that the pipeline never depends on how its settings were written.

use crate::grammar::Strictness;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Input formats a channel can deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelFormat {
    X12,
    Edifact,
    /// A marketplace CSV, TSV or XML feed read with a feed profile.
    Feed,
}

impl fmt::Display for ChannelFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChannelFormat::X12 => "x12",
            ChannelFormat::Edifact => "edifact",
            ChannelFormat::Feed => "feed",
        })
    }
}

/// ERP import file flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Canonical JSON Lines, one document per line.
    Jsonl,
    /// Flat CSV, one row per document line, columns from `[output.csv]`.
    Csv,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Csv => "csv",
        }
    }
}

/// One trading partner or marketplace.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub format: ChannelFormat,
    /// Expected version (`004010`, `D96A`); documents in another version are rejected when
    /// strict and warned about when lenient.
    pub version: Option<String>,
    /// The partner's interchange sender id (ISA06 / UNB 0004), trimmed; documents from another
    /// sender are refused as misrouted.
    pub partner_id: Option<String>,
    /// Our own id as the partner addresses us (ISA08 / UNB 0010), trimmed.
    pub our_id: Option<String>,
    /// Where the partner's files arrive: a local folder (for an SFTP drop folder, its URL;
    /// it is read through `sftp`).
    pub inbound: PathBuf,
    pub strictness: Strictness,
    pub relax_envelope: bool,
    /// Feed profile id, for feeds (otherwise picked from the header row or root element).
    pub profile: Option<String>,
    /// Leave files in the drop folder after they are processed (for drops we may only read);
    /// a file already received is then recognized by its checksum.
    pub keep_inputs: bool,
    pub output: Vec<OutputFormat>,
    /// Where documents to this partner go (acknowledgments now): a local folder. Nothing is
    /// sent without one.
    pub outbound: Option<PathBuf>,
    /// The functional acknowledgment sent for what the partner sends (`acks`).
    pub acks: crate::ack::AckKind,
    /// When a TA1 is sent (X12; `ta1`); only with an `outbound`.
    pub ta1: crate::ack::Ta1Policy,
    /// The delimiters acknowledgments are written with (`delimiters`); `None`: those of the
    /// interchange acknowledged.
    pub delimiters: Option<String>,
    /// Ship notices and invoices to this partner (`[channel.ID.send]`); `None`: none are sent.
    pub send: Option<Send>,
    /// How long after sending a document its acknowledgment is overdue (`ack_due`).
    pub ack_due: Option<std::time::Duration>,
    /// The partner's SFTP server, when `inbound` or `outbound` is an `sftp://` URL.
    pub sftp: Option<ChannelSftp>,
    /// How long without a file from this partner before `tallyman status` flags it
    /// (`silence_alert`).
    pub silence_alert: Option<std::time::Duration>,
    /// The partner's implementation guide (`guide`), read and checked against the grammars
    /// when the configuration is loaded; [`channel_grammars`] applies it.
    pub guide: Option<std::sync::Arc<crate::grammar::guide::Guide>>,
}

/// A channel's SFTP locations and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSftp {
    pub settings: crate::transport::sftp::Settings,
    /// The remote drop folder read (`inbound = "sftp://..."`).
    pub inbound: Option<crate::transport::sftp::Location>,
    /// The remote folder delivered to (`outbound = "sftp://..."`); the channel's `outbound`
    /// is then the folder in the work directory where documents wait for delivery.
    pub outbound: Option<crate::transport::sftp::Location>,
    /// Where remote inputs go once read (`remote_archive`), instead of being deleted.
    pub remote_archive: Option<String>,
}

/// One `[[export]]`: the outbox files an ERP export profile reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFiles {
    /// A file name pattern with at most one `*` (`shipments-*.csv`).
    pub files: String,
    /// The export profile id.
    pub profile: String,
    /// For a header and detail profile: the detail file of each header file, its `*` what
    /// the header file's `*` stood for (`inv-head-*.csv` and `inv-lines-*.csv`).
    pub detail: Option<String>,
}

impl ExportFiles {
    /// What the `*` of `pattern` stands for in `name`, when `name` matches it.
    pub fn matches<'n>(pattern: &str, name: &'n str) -> Option<&'n str> {
        match pattern.split_once('*') {
            None => (pattern == name).then_some(""),
            Some((pre, post)) => (name.len() >= pre.len() + post.len()
                && name.starts_with(pre)
                && name.ends_with(post))
            .then(|| &name[pre.len()..name.len() - post.len()]),
        }
    }
}

/// What a partner's implementation guide decides about the ship notices and invoices we send
/// it (`[channel.ID.send]`).
#[derive(Debug, Clone)]
pub struct Send {
    /// The document kinds it takes: `ship_notice`, `invoice`.
    pub documents: Vec<String>,
    /// Version, hierarchy and EDIFACT association codes of the bodies.
    pub profile: crate::map::outbound::Profile,
    /// EANCOM association assigned codes per message type (`DESADV` → `EAN005`).
    pub associations: BTreeMap<String, String>,
    /// ISA05 / UNB S002 0007: the qualifier of our id (`ZZ`, `01`, `14`).
    pub sender_qualifier: String,
    /// ISA07 / UNB S003 0007: the qualifier of the partner's id.
    pub receiver_qualifier: String,
    /// GS02 and GS03 (default: our id and the partner's).
    pub application_sender: String,
    pub application_receiver: String,
    /// EDIFACT: UNB S001 (`UNOC`, `3` by default).
    pub syntax_id: String,
    pub syntax_version: String,
    /// EDIFACT: characters the character set lacks are transliterated, not refused.
    pub transliterate: bool,
    /// Mark interchanges as test data (ISA15 `T`, UNB 0035 `1`).
    pub test: bool,
    /// Ask for an acknowledgment (ISA14 `1`, UNB 0031 `1`).
    pub ack_requested: bool,
    /// What the partner tolerates against its PO.
    pub policy: crate::rules::presend::Policy,
}

impl Channel {
    /// Whether this channel sends anything back for what it receives.
    pub fn sends_acks(&self) -> bool {
        self.outbound.is_some()
            && (self.acks != crate::ack::AckKind::None
                || (self.format == ChannelFormat::X12 && self.ta1 != crate::ack::Ta1Policy::Never))
    }
}

/// The default of `[run] spool_memory_mib`.
pub const SPOOL_MEMORY_MIB: usize = 16;

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from (for messages).
    pub file: String,
    /// Staging, archive, quarantine, reports, the ledger and the lock live here.
    pub work: PathBuf,
    /// Where ERP import files are written.
    pub erp_inbox: PathBuf,
    /// Where the ERP's ship notice and invoice exports are read from (`[paths] erp_outbox`).
    pub erp_outbox: Option<PathBuf>,
    /// Leave exports in the outbox once read (`[paths] keep_exports`); a file read before is
    /// then recognized by its checksum and not read again.
    pub keep_exports: bool,
    /// Directory of ERP export profiles laid over the built-in ones (`[paths] exports`).
    pub exports: Option<PathBuf>,
    /// Which export profile reads which outbox files (`[[export]]`), first match wins.
    pub export_files: Vec<ExportFiles>,
    /// Where the ledger is (`[ledger] url`).
    pub ledger: LedgerAt,
    /// This worker's name (`[ledger] worker`; by default the host's name and the work
    /// directory's path): what the ledger records runs and claims under.
    pub worker: String,
    /// A run reads at most this many inputs of the drop folders (`[run] max_files`; 0, the
    /// default, is all): the rest wait for the next run, or are read by another worker
    /// sharing the ledger meanwhile.
    pub max_files: usize,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// A file modified within this many seconds is watched that long and left for the next run
    /// if its size or modification time changes.
    pub settle_seconds: f64,
    /// A run lock held longer than this makes the next run fail naming the holder
    /// (`[run] stuck_after`, default 2 hours).
    pub stuck_after: std::time::Duration,
    /// Bytes of translated documents (their JSON lines, CSV rows and summaries) the run keeps
    /// in memory before it writes the rest to the work directory (`[run] spool_memory_mib`,
    /// default `SPOOL_MEMORY_MIB`).
    pub spool_memory: usize,
    /// How long a header export file waits for its detail file (or the reverse) before it is
    /// quarantined as an orphan (`[run] export_pair_wait`, default 1 hour).
    pub export_pair_wait: std::time::Duration,
    /// Directory of grammar files laid over the built-in ones.
    pub grammars: Option<PathBuf>,
    /// Directory of feed profiles laid over the built-in ones.
    pub feeds: Option<PathBuf>,
    /// CSV columns per document kind (`order`, `ship_notice`, `invoice`).
    pub csv_columns: BTreeMap<String, Vec<String>>,
    /// Resource limits for hostile input (`[limits]`).
    pub limits: crate::syntax::limits::Limits,
    /// Channels in the order the file lists them (which is the order they are processed in).
    pub channels: Vec<Channel>,
    /// Permissions of what a run writes in the work directory: staged, archived and
    /// quarantined copies of inputs (never wider than the input's own), reports and the
    /// ledger (`[paths] file_mode`, default 0600).
    pub file_mode: u32,
    /// Permissions of the ERP import files (`[output] file_mode`, default 0640).
    pub erp_file_mode: u32,
    /// Put before every ERP import file name (`[output] name_prefix`), so that several
    /// configurations can share one ERP inbox.
    pub erp_prefix: String,
    /// `[metrics] textfile`: a Prometheus textfile written at the end of every run.
    pub metrics_textfile: Option<PathBuf>,
}

impl Config {
    /// The channel with this id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// What to say of a channel id the configuration does not have.
    pub fn no_channel(&self, id: &str) -> String {
        format!(
            "no channel '{id}' in {}; channels: {}",
            self.file,
            self.channels
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

/// One `*.toml` file of a grammar or feed-profile folder.
#[derive(Debug, Clone)]
pub struct TomlFile {
    /// Its path below the folder, with `/` between parts (`x12/004010/850.toml`).
    pub relative: String,
    /// Its whole path, for messages.
    pub path: PathBuf,
    pub text: String,
}

/// Reads the `*.toml` files of `dir` (and of its sub-folders when `nested`), sorted by their
/// relative path: the grammar and feed-profile loaders take contents, and the reading of
/// folders happens here, above them. An error names the path it concerns.
pub fn read_toml_files(dir: &Path, nested: bool) -> std::io::Result<Vec<TomlFile>> {
    fn walk(root: &Path, dir: &Path, nested: bool, out: &mut Vec<TomlFile>) -> std::io::Result<()> {
        let named = |e: std::io::Error, p: &Path| {
            std::io::Error::new(e.kind(), format!("{}: {e}", p.display()))
        };
        for entry in std::fs::read_dir(dir).map_err(|e| named(e, dir))? {
            let p = entry.map_err(|e| named(e, dir))?.path();
            if p.is_dir() {
                if nested {
                    walk(root, &p, nested, out)?;
                }
            } else if p.extension().is_some_and(|x| x == "toml") {
                let relative = p
                    .strip_prefix(root)
                    .expect("walked from root")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p).map_err(|e| named(e, &p))?;
                out.push(TomlFile {
                    relative,
                    path: p,
                    text,
                });
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, nested, &mut out)?;
    out.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(out)
}

/// The built-in grammars with those of `dir` (its sub-folders by standard and version) laid
/// over them.
pub fn load_grammars(dir: Option<&Path>) -> Result<crate::grammar::GrammarSet, String> {
    match dir {
        None => crate::grammar::GrammarSet::builtin().map_err(|e| e.to_string()),
        Some(d) => {
            let files = read_toml_files(d, true).map_err(|e| e.to_string())?;
            crate::grammar::GrammarSet::with_overrides(
                files.into_iter().map(|f| (f.relative, f.text)),
            )
            .map_err(|e| e.to_string())
        }
    }
}

/// The built-in feed profiles with the `*.toml` files of `dir` added (same id replaces).
pub fn load_profiles(dir: Option<&Path>) -> Result<crate::feeds::Profiles, String> {
    match dir {
        None => crate::feeds::Profiles::builtin().map_err(|e| e.to_string()),
        Some(d) => {
            let files = read_toml_files(d, false).map_err(|e| e.to_string())?;
            crate::feeds::Profiles::with_files(
                files
                    .into_iter()
                    .map(|f| (f.path.display().to_string(), f.text)),
            )
            .map_err(|e| e.to_string())
        }
    }
}

/// The built-in ERP export profiles with the `*.toml` files of `dir` laid over them.
pub fn load_export_profiles(dir: Option<&Path>) -> Result<crate::erp::export::Profiles, String> {
    match dir {
        None => crate::erp::export::Profiles::builtin().map_err(|e| e.to_string()),
        Some(d) => {
            let files: Vec<(String, String)> = read_toml_files(d, false)
                .map_err(|e| e.to_string())?
                .into_iter()
                .map(|f| (f.path.display().to_string(), f.text))
                .collect();
            crate::erp::export::Profiles::with_overrides(&files).map_err(|e| e.to_string())
        }
    }
}

/// Reads an implementation guide file: the parsing alone (checking it against the grammars is
/// [`crate::grammar::GrammarSet::with_guide`]). The error names the file, and for a guide that
/// does not parse its line and key.
pub fn read_guide(path: &Path) -> Result<crate::grammar::guide::Guide, GuideError> {
    use std::io::Read;
    // A guide is a few kilobytes of TOML: a path naming a device or a huge file is refused
    // rather than read.
    const MAX_GUIDE_BYTES: u64 = 4 << 20;
    let read = || -> std::io::Result<String> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() > MAX_GUIDE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a guide file (a regular file of at most {MAX_GUIDE_BYTES} bytes)"),
            ));
        }
        let mut text = String::new();
        file.take(MAX_GUIDE_BYTES).read_to_string(&mut text)?;
        Ok(text)
    };
    let text = read().map_err(|e| GuideError::Read {
        path: path.to_owned(),
        source: e,
    })?;
    crate::grammar::guide::Guide::parse(&path.display().to_string(), &text)
        .map_err(GuideError::Invalid)
}

/// An implementation guide that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuideError {
    /// The file could not be read.
    #[error("cannot read the guide {path}: {source}")]
    Read {
        /// The guide file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The guide does not parse, or contradicts the grammar it narrows.
    #[error(transparent)]
    Invalid(crate::grammar::guide::Error),
}

/// The grammars for this channel: `base`, narrowed by the channel's implementation guide when
/// it has one (a view that shares every grammar the guide leaves alone). `run` validates the
/// channel's files with them, and so does any command that checks files for a channel.
pub fn channel_grammars(
    base: &crate::grammar::GrammarSet,
    channel: &Channel,
) -> Result<crate::grammar::GrammarSet, crate::grammar::guide::Error> {
    match &channel.guide {
        None => Ok(base.clone()),
        Some(g) => base.with_guide(g),
    }
}

/// Where the ledger is (`[ledger] url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerAt {
    /// The embedded ledger: a SQLite file, `WORK/ledger.sqlite` unless `url = "sqlite:PATH"`.
    Sqlite(PathBuf),
    /// A PostgreSQL database that several workers share (`url = "postgres://..."`).
    Postgres {
        /// The connection URL as configured (it may hold a password: show it through
        /// [`crate::transport::url::redact`]).
        url: String,
        /// How long a worker that stopped renewing its lease counts as alive (`[ledger]
        /// lease`, default 30 s): its unfinished runs and claims are then taken over.
        lease: std::time::Duration,
    },
}

impl LedgerAt {
    /// How messages name it: the file's path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            LedgerAt::Sqlite(p) => p.display().to_string(),
            LedgerAt::Postgres { url, .. } => crate::transport::url::redact(url),
        }
    }

    /// False for a SQLite ledger whose file is not there yet (a database server's is assumed
    /// to be, and says otherwise when it is opened).
    pub fn exists(&self) -> bool {
        match self {
            LedgerAt::Sqlite(p) => p.exists(),
            LedgerAt::Postgres { .. } => true,
        }
    }
}
