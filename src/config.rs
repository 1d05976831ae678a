//! The run configuration: one TOML file describing the work directory, the ERP inbox and one
//! table per channel (an X12 or EDIFACT trading partner, or a marketplace feed).
//!
//! Phase: read once at the start of `tallyman run` and `tallyman ledger`. Every problem is
//! refused before anything is touched, naming the line and the key at fault. Relative paths are
//! taken from the directory that holds the configuration file, so a configuration can be moved
//! together with its folders.
//!
//! ```
//! let text = r#"
//! [paths]
//! work = "work"
//! erp_inbox = "erp"
//!
//! [channel.acme]
//! format = "x12"
//! inbound = "drop/acme"
//! partner_id = "ACME"
//! "#;
//! let cfg = tallyman::config::Config::parse(text, std::path::Path::new("/srv/tallyman")).unwrap();
//! assert_eq!(cfg.channels[0].id, "acme");
//! assert_eq!(cfg.work, std::path::Path::new("/srv/tallyman/work"));
//! ```

mod exports;
mod guides;
mod keys;
mod send;
mod sftp;
use crate::diag::line_of;
use crate::grammar::Strictness;
pub use crate::pipeline::settings::{Channel, ChannelFormat, Config, LedgerAt, OutputFormat};
use crate::transport::url::redact as redact_url;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read.
    #[error("cannot read {path}: {source}{}", read_hint(.source))]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a wrong key or value; `line` is 1-based.
    #[error("{file}:{line}: {key}{message}")]
    Invalid {
        /// The file at fault: the configuration, or a file it names (a guide, a profile).
        file: String,
        /// The 1-based line.
        line: usize,
        /// The dotted key at fault, followed by ": " (empty when the fault is not in a key).
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// What to do about a configuration file that is not there: most often, name it.
fn read_hint(source: &std::io::Error) -> &'static str {
    if source.kind() == std::io::ErrorKind::NotFound {
        "; name the configuration file with --config FILE"
    } else {
        ""
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    paths: RawPaths,
    #[serde(default)]
    ledger: Option<RawLedger>,
    #[serde(default)]
    run: Option<RawRun>,
    #[serde(default)]
    output: Option<RawOutput>,
    #[serde(default)]
    limits: crate::syntax::limits::Limits,
    #[serde(default)]
    channel: indexmap_free::OrderedTables,
    #[serde(default)]
    export: Vec<exports::RawExport>,
    #[serde(default)]
    metrics: Option<RawMetrics>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    /// A Prometheus textfile, written at the end of every run.
    textfile: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    work: PathBuf,
    erp_inbox: PathBuf,
    #[serde(default)]
    erp_outbox: Option<PathBuf>,
    #[serde(default)]
    keep_exports: bool,
    #[serde(default)]
    exports: Option<PathBuf>,
    #[serde(default)]
    grammars: Option<PathBuf>,
    #[serde(default)]
    feeds: Option<PathBuf>,
    #[serde(default)]
    file_mode: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLedger {
    /// `sqlite:PATH` or `postgres://USER@HOST:PORT/DB`.
    #[serde(default)]
    url: Option<toml::Spanned<String>>,
    /// This worker's name among those sharing a PostgreSQL ledger.
    #[serde(default)]
    worker: Option<toml::Spanned<String>>,
    /// How long a worker that stopped renewing its lease counts as alive.
    #[serde(default)]
    lease: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRun {
    #[serde(default)]
    threads: usize,
    #[serde(default)]
    settle_seconds: Option<toml::Spanned<f64>>,
    #[serde(default)]
    stuck_after: Option<toml::Spanned<String>>,
    #[serde(default)]
    spool_memory_mib: Option<usize>,
    #[serde(default)]
    export_pair_wait: Option<toml::Spanned<String>>,
    /// At most this many inputs a run (0: all there are).
    #[serde(default)]
    max_files: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    #[serde(default)]
    formats: Option<Vec<OutputFormat>>,
    #[serde(default)]
    csv: BTreeMap<String, toml::Spanned<Vec<String>>>,
    #[serde(default)]
    name_prefix: Option<toml::Spanned<String>>,
    #[serde(default)]
    file_mode: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    format: ChannelFormat,
    inbound: PathBuf,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    partner_id: Option<String>,
    #[serde(default)]
    our_id: Option<String>,
    #[serde(default)]
    strictness: Strictness,
    #[serde(default)]
    relax_envelope: bool,
    #[serde(default)]
    profile: Option<toml::Spanned<String>>,
    #[serde(default)]
    keep_inputs: bool,
    #[serde(default)]
    output: Option<Vec<OutputFormat>>,
    #[serde(default)]
    outbound: Option<PathBuf>,
    #[serde(default)]
    acks: Option<toml::Spanned<crate::ack::AckKind>>,
    #[serde(default)]
    ta1: crate::ack::Ta1Policy,
    #[serde(default)]
    delimiters: Option<toml::Spanned<String>>,
    #[serde(default)]
    send: Option<toml::Spanned<send::RawSend>>,
    #[serde(default)]
    ack_due: Option<toml::Spanned<String>>,
    #[serde(default)]
    ssh_key: Option<toml::Spanned<PathBuf>>,
    #[serde(default)]
    ssh_key_passphrase_env: Option<toml::Spanned<String>>,
    #[serde(default)]
    password_env: Option<toml::Spanned<String>>,
    #[serde(default)]
    known_hosts: Option<toml::Spanned<PathBuf>>,
    #[serde(default)]
    remote_archive: Option<toml::Spanned<String>>,
    #[serde(default)]
    sftp_timeout: Option<toml::Spanned<String>>,
    #[serde(default)]
    sftp_retries: Option<u32>,
    #[serde(default)]
    sftp_retry_delay: Option<toml::Spanned<String>>,
    #[serde(default)]
    sftp_connections: Option<toml::Spanned<usize>>,
    #[serde(default)]
    silence_alert: Option<toml::Spanned<String>>,
    #[serde(default)]
    guide: Option<toml::Spanned<PathBuf>>,
}

/// Channel tables in file order (a plain map would sort them).
mod indexmap_free {
    use super::RawChannel;
    use serde::de::{Deserializer, MapAccess, Visitor};
    use std::fmt;

    #[derive(Default)]
    pub(super) struct OrderedTables(pub Vec<(toml::Spanned<String>, toml::Spanned<RawChannel>)>);

    impl<'de> serde::Deserialize<'de> for OrderedTables {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = OrderedTables;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("one table per channel, [channel.ID]")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<OrderedTables, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = m.next_entry()? {
                        out.push((k, v));
                    }
                    Ok(OrderedTables(out))
                }
            }
            d.deserialize_map(V)
        }
    }
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut cfg = Self::parse_named(&text, base, &path.display().to_string())?;
        cfg.file = path.display().to_string();
        Ok(cfg)
    }

    /// Parses configuration text; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Config, Error> {
        Self::parse_named(text, base, "config")
    }

    fn parse_named(text: &str, base: &Path, file: &str) -> Result<Config, Error> {
        let invalid =
            |span: Option<std::ops::Range<usize>>, key: &str, message: String| Error::Invalid {
                file: file.to_owned(),
                line: span.map_or(1, |s| line_of(text, s.start)),
                key: if key.is_empty() {
                    String::new()
                } else {
                    format!("{key}: ")
                },
                message,
            };
        let mut raw: RawConfig = toml::from_str(text).map_err(|e| {
            // The toml message repeats the source with a caret; keep its first sentence. A
            // serde error names neither its key nor its type in words: both are added.
            let message = keys::plain(e.message().trim());
            let key = e.span().and_then(|s| keys::key_at(text, &s));
            invalid(e.span(), key.as_deref().unwrap_or(""), message)
        })?;
        let abs = |p: &Path| {
            if p.is_absolute() {
                p.to_owned()
            } else {
                base.join(p)
            }
        };
        let work = abs(&raw.paths.work);
        let lease = match raw.ledger.as_ref().and_then(|l| l.lease.as_ref()) {
            None => std::time::Duration::from_secs(30),
            Some(s) => {
                let d = duration(s, "ledger.lease", &invalid)?;
                if d < std::time::Duration::from_secs(1) {
                    return Err(invalid(
                        Some(s.span()),
                        "ledger.lease",
                        "a lease shorter than a second would expire between two renewals; use at least \"1s\" (the default is \"30s\")".into(),
                    ));
                }
                d
            }
        };
        let url = raw.ledger.as_ref().and_then(|l| l.url.as_ref());
        let ledger = match url {
            None => LedgerAt::Sqlite(work.join("ledger.sqlite")),
            Some(u) => {
                let text = u.get_ref();
                if let Some(p) = text.strip_prefix("sqlite:").filter(|p| !p.is_empty()) {
                    LedgerAt::Sqlite(abs(Path::new(p)))
                } else if text.starts_with("postgres://") || text.starts_with("postgresql://") {
                    LedgerAt::Postgres {
                        url: text.clone(),
                        lease,
                    }
                } else {
                    return Err(invalid(
                        Some(u.span()),
                        "ledger.url",
                        format!(
                            "'{}' is not a ledger this build can open; use sqlite:PATH or postgres://USER@HOST:PORT/DATABASE",
                            redact_url(text)
                        ),
                    ));
                }
            }
        };
        let worker = match raw.ledger.as_ref().and_then(|l| l.worker.as_ref()) {
            Some(w) => {
                let name = w.get_ref().trim();
                if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
                    return Err(invalid(
                        Some(w.span()),
                        "ledger.worker",
                        "a worker's name is 1 to 200 printable characters, unique among the workers sharing a ledger".into(),
                    ));
                }
                name.to_owned()
            }
            None => format!("{}:{}", crate::pipeline::work::this_host(), work.display()),
        };
        let (threads, settle_seconds) = match &raw.run {
            None => (0, 2.0),
            Some(r) => {
                let settle = match &r.settle_seconds {
                    None => 2.0,
                    Some(s) if s.get_ref().is_finite() && *s.get_ref() >= 0.0 => *s.get_ref(),
                    Some(s) => {
                        return Err(invalid(
                            Some(s.span()),
                            "run.settle_seconds",
                            "must be a number of seconds, 0 or more".into(),
                        ));
                    }
                };
                (r.threads, settle)
            }
        };
        let stuck_after = match raw.run.as_ref().and_then(|r| r.stuck_after.as_ref()) {
            None => std::time::Duration::from_secs(2 * 3600),
            Some(s) => duration(s, "run.stuck_after", &invalid)?,
        };
        let export_pair_wait = match raw.run.as_ref().and_then(|r| r.export_pair_wait.as_ref()) {
            None => std::time::Duration::from_secs(3600),
            Some(s) => duration(s, "run.export_pair_wait", &invalid)?,
        };
        let default_output = raw
            .output
            .as_ref()
            .and_then(|o| o.formats.clone())
            .unwrap_or_else(|| vec![OutputFormat::Jsonl, OutputFormat::Csv]);
        let mut csv_columns = BTreeMap::new();
        for kind in ["order", "ship_notice", "invoice"] {
            let cols = crate::erp::default_columns(kind);
            csv_columns.insert(
                kind.to_owned(),
                cols.iter().map(|c| c.to_string()).collect(),
            );
        }
        if let Some(o) = &raw.output {
            for (kind, cols) in &o.csv {
                let key = format!("output.csv.{kind}");
                if !matches!(kind.as_str(), "order" | "ship_notice" | "invoice") {
                    return Err(invalid(
                        Some(cols.span()),
                        &key,
                        format!(
                            "'{kind}' is not a document kind; use order, ship_notice or invoice"
                        ),
                    ));
                }
                crate::erp::check_columns(kind, cols.get_ref())
                    .map_err(|m| invalid(Some(cols.span()), &key, m))?;
                csv_columns.insert(kind.clone(), cols.get_ref().clone());
            }
        }
        let mode = |v: Option<&toml::Spanned<String>>, key: &str, default: u32| {
            match v {
            None => Ok(default),
            Some(m) => u32::from_str_radix(m.get_ref().trim_start_matches("0o"), 8)
                .ok()
                .filter(|&n| n <= 0o777 && n & 0o600 == 0o600)
                .ok_or_else(|| {
                    invalid(
                        Some(m.span()),
                        key,
                        format!(
                            "'{}' is not a file mode: write it in octal, as \"0600\" or \"0640\" (owner read and write at least)",
                            m.get_ref()
                        ),
                    )
                }),
        }
        };
        let file_mode = mode(raw.paths.file_mode.as_ref(), "paths.file_mode", 0o600)?;
        let erp_file_mode = mode(
            raw.output.as_ref().and_then(|o| o.file_mode.as_ref()),
            "output.file_mode",
            0o640,
        )?;
        let erp_prefix = match raw.output.as_ref().and_then(|o| o.name_prefix.as_ref()) {
            None => String::new(),
            Some(p) => {
                let v = p.get_ref();
                if v.len() > 64
                    || !v
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    || v.starts_with('.')
                {
                    return Err(invalid(
                        Some(p.span()),
                        "output.name_prefix",
                        "may hold only letters, digits, '-', '_' and '.' (not first), at most 64"
                            .into(),
                    ));
                }
                v.clone()
            }
        };
        let profiles = match &raw.paths.feeds {
            Some(dir) => {
                crate::pipeline::settings::load_profiles(Some(&abs(dir))).map_err(|e| {
                    invalid(
                        None,
                        "paths.feeds",
                        format!("cannot load feed profiles: {e}"),
                    )
                })?
            }
            None => crate::feeds::Profiles::builtin()
                .map_err(|e| invalid(None, "", format!("built-in feed profiles: {e}")))?,
        };
        let export_profiles = crate::pipeline::settings::load_export_profiles(
            raw.paths.exports.as_deref().map(abs).as_deref(),
        )
        .map_err(|e| invalid(None, "paths.exports", e))?;
        let export_files =
            exports::settings(std::mem::take(&mut raw.export), &export_profiles, &invalid)?;
        // Loaded when the first channel with a guide needs them.
        let mut grammars: Option<crate::grammar::GrammarSet> = None;
        let mut channels: Vec<Channel> = Vec::new();
        for (id, table) in raw.channel.0 {
            let key = format!("channel.{}", id.get_ref());
            if id.get_ref().is_empty()
                || !id
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(invalid(
                    Some(id.span()),
                    &key,
                    "a channel id may hold only letters, digits, '-' and '_' (it names folders and files)".into(),
                ));
            }
            if channels.iter().any(|c| c.id == *id.get_ref()) {
                return Err(invalid(
                    Some(id.span()),
                    &key,
                    "this channel is defined twice".into(),
                ));
            }
            let span = table.span();
            let c = table.into_inner();
            if let Some(p) = &c.profile {
                if c.format != ChannelFormat::Feed {
                    return Err(invalid(
                        Some(p.span()),
                        &format!("{key}.profile"),
                        format!(
                            "a feed profile only applies to format = \"feed\", not {}",
                            c.format
                        ),
                    ));
                }
                if profiles.get(p.get_ref()).is_none()
                    && !profiles.ids().contains(&p.get_ref().as_str())
                {
                    return Err(invalid(
                        Some(p.span()),
                        &format!("{key}.profile"),
                        format!(
                            "no feed profile '{}'; known: {}",
                            p.get_ref(),
                            profiles.ids().join(", ")
                        ),
                    ));
                }
            }
            let sftp = sftp::settings(&c, &key, span.clone(), &abs, &invalid)?;
            let outgoing_id = id.get_ref().clone();
            if c.inbound.as_os_str().is_empty() {
                return Err(invalid(
                    Some(span),
                    &format!("{key}.inbound"),
                    "is empty".into(),
                ));
            }
            let acks = ack_settings(&c, &key, &invalid)?;
            let trimmed =
                |s: Option<String>| s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
            let (partner_id, our_id) = (trimmed(c.partner_id), trimmed(c.our_id));
            let send = match c.send {
                None => None,
                Some(raw) => Some(send::settings(
                    raw,
                    &send::Needs {
                        key: &key,
                        format: c.format,
                        version: c.version.as_deref().map(str::trim),
                        our_id: our_id.as_deref(),
                        partner_id: partner_id.as_deref(),
                        has_outbound: c.outbound.is_some(),
                        span: span.clone(),
                    },
                    &invalid,
                )?),
            };
            let silence_alert = match &c.silence_alert {
                None => None,
                Some(d) => Some(duration(d, &format!("{key}.silence_alert"), &invalid)?),
            };
            let ack_due = match &c.ack_due {
                None => None,
                Some(d) => Some(duration(d, &format!("{key}.ack_due"), &invalid)?),
            };
            let guide = match &c.guide {
                None => None,
                Some(p) => Some(guides::load(
                    p,
                    &key,
                    c.format,
                    &abs,
                    &mut grammars,
                    raw.paths.grammars.as_deref().map(abs).as_deref(),
                    &invalid,
                )?),
            };
            channels.push(Channel {
                id: id.into_inner(),
                format: c.format,
                version: trimmed(c.version),
                partner_id,
                our_id,
                // A remote folder is read through `sftp`; the URL stands here for messages.
                inbound: if sftp.as_ref().is_some_and(|s| s.inbound.is_some()) {
                    c.inbound.clone()
                } else {
                    abs(&c.inbound)
                },
                strictness: c.strictness,
                relax_envelope: c.relax_envelope,
                profile: c.profile.map(toml::Spanned::into_inner),
                keep_inputs: c.keep_inputs,
                output: c.output.unwrap_or_else(|| default_output.clone()),
                // What goes to a remote folder is written to the work directory first and
                // delivered from there once the run has committed.
                outbound: if sftp.as_ref().is_some_and(|s| s.outbound.is_some()) {
                    Some(abs(&raw.paths.work).join(sftp::OUTGOING).join(&outgoing_id))
                } else {
                    c.outbound.as_deref().map(abs)
                },
                sftp,
                silence_alert,
                acks,
                ta1: c.ta1,
                delimiters: c.delimiters.map(toml::Spanned::into_inner),
                send,
                ack_due,
                guide,
            });
        }
        if channels.is_empty() {
            return Err(invalid(
                None,
                "channel",
                "no channel is configured; add at least one [channel.ID] table".into(),
            ));
        }
        if let Some(outbox) = raw.paths.erp_outbox.as_deref().map(abs) {
            let work = abs(&raw.paths.work);
            let inbox = abs(&raw.paths.erp_inbox);
            let mut others: Vec<(String, &Path)> = vec![
                ("paths.work".into(), work.as_path()),
                ("paths.erp_inbox".into(), inbox.as_path()),
            ];
            if let LedgerAt::Sqlite(path) = &ledger {
                others.push(("ledger".into(), path.as_path()));
            }
            let folders = [
                ("paths.exports", raw.paths.exports.as_deref().map(abs)),
                ("paths.grammars", raw.paths.grammars.as_deref().map(abs)),
                ("paths.feeds", raw.paths.feeds.as_deref().map(abs)),
            ];
            for (key, dir) in &folders {
                if let Some(d) = dir {
                    others.push(((*key).into(), d.as_path()));
                }
            }
            for c in &channels {
                if c.sftp.as_ref().is_none_or(|s| s.inbound.is_none()) {
                    others.push((format!("channel.{}.inbound", c.id), c.inbound.as_path()));
                }
                if let Some(o) = &c.outbound
                    && c.sftp.as_ref().is_none_or(|s| s.outbound.is_none())
                {
                    others.push((format!("channel.{}.outbound", c.id), o.as_path()));
                }
            }
            // The outbox is emptied as it is read: a folder inside it (or holding it) would
            // have its files taken for exports, and sent or ERP files quarantined.
            // Compared as absolute paths, with `.` and `..` resolved (`out/../out` is `out`).
            let lexical = |p: &Path| {
                let p = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
                let mut out = std::path::PathBuf::new();
                for c in p.components() {
                    match c {
                        std::path::Component::CurDir => {}
                        std::path::Component::ParentDir => {
                            out.pop();
                        }
                        other => out.push(other),
                    }
                }
                out
            };
            let outbox = lexical(&outbox);
            if let Some((key, dir)) = others.iter().find(|(_, d)| {
                let d = lexical(d);
                d.starts_with(&outbox) || outbox.starts_with(&d)
            }) {
                return Err(invalid(
                    None,
                    "paths.erp_outbox",
                    format!(
                        "{} overlaps {key} ({}): the outbox is emptied as it is read, so it must be a folder of its own, apart from the work directory, the ERP inbox and every channel's folders",
                        outbox.display(),
                        dir.display()
                    ),
                ));
            }
        }
        Ok(Config {
            file: file.to_owned(),
            work,
            erp_inbox: abs(&raw.paths.erp_inbox),
            erp_outbox: raw.paths.erp_outbox.as_deref().map(abs),
            keep_exports: raw.paths.keep_exports,
            exports: raw.paths.exports.as_deref().map(abs),
            export_files,
            ledger,
            worker,
            max_files: raw.run.as_ref().map_or(0, |r| r.max_files),
            threads,
            settle_seconds,
            stuck_after,
            export_pair_wait,
            spool_memory: raw
                .run
                .as_ref()
                .and_then(|r| r.spool_memory_mib)
                .unwrap_or(crate::pipeline::settings::SPOOL_MEMORY_MIB)
                .saturating_mul(1 << 20),
            grammars: raw.paths.grammars.as_deref().map(abs),
            feeds: raw.paths.feeds.as_deref().map(abs),
            csv_columns,
            limits: raw.limits,
            channels,
            file_mode,
            erp_file_mode,
            erp_prefix,
            metrics_textfile: raw.metrics.as_ref().map(|m| abs(&m.textfile)),
        })
    }
}

/// Makes the error for a bad value: its span in the file, its key, what is wrong.
type Invalid<'a> = dyn Fn(Option<std::ops::Range<usize>>, &str, String) -> Error + 'a;

/// A duration such as `2h`, `90m` or `1h 30m`, not zero.
fn duration(
    s: &toml::Spanned<String>,
    key: &str,
    invalid: &Invalid<'_>,
) -> Result<std::time::Duration, Error> {
    s.get_ref()
        .parse::<jiff::SignedDuration>()
        .ok()
        .and_then(|d| std::time::Duration::try_from(d).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            invalid(
                Some(s.span()),
                key,
                format!(
                    "'{}' is not a duration; write one such as \"2h\", \"90m\" or \"1h 30m\"",
                    s.get_ref()
                ),
            )
        })
}

/// The channel's `acks`, checked against its format, its `outbound` and its `delimiters`.
fn ack_settings(
    c: &RawChannel,
    key: &str,
    invalid: &Invalid<'_>,
) -> Result<crate::ack::AckKind, Error> {
    use crate::ack::AckKind;
    let acks = c.acks.as_ref().map_or(AckKind::None, |a| *a.get_ref());
    if let Some(a) = &c.acks {
        let fits = match acks {
            AckKind::None => true,
            AckKind::Fa997 | AckKind::Ia999 => c.format == ChannelFormat::X12,
            AckKind::Contrl => c.format == ChannelFormat::Edifact,
        };
        if !fits {
            let hint = match c.format {
                ChannelFormat::X12 => "an x12 channel sends \"997\" or \"999\"",
                ChannelFormat::Edifact => "an edifact channel sends \"contrl\"",
                ChannelFormat::Feed => "a feed channel sends no acknowledgments: \"none\"",
            };
            return Err(invalid(
                Some(a.span()),
                &format!("{key}.acks"),
                format!(
                    "\"{}\" does not fit format = \"{}\": {hint}",
                    acks.as_str(),
                    c.format
                ),
            ));
        }
        if acks != AckKind::None && c.outbound.is_none() {
            return Err(invalid(
                Some(a.span()),
                &format!("{key}.acks"),
                "acknowledgments need somewhere to go: set outbound = \"DIR\" for this channel"
                    .into(),
            ));
        }
    }
    if let Some(d) = &c.delimiters
        && let Err(why) = check_delimiters(c.format, d.get_ref())
    {
        return Err(invalid(Some(d.span()), &format!("{key}.delimiters"), why));
    }
    Ok(acks)
}

/// Delimiters to write with: X12 as four characters (element, component, repetition, segment
/// terminator: `"*>^~"`), EDIFACT as the six of a UNA (component, element, decimal mark,
/// release, repetition, segment terminator: `":+.? '"`).
fn check_delimiters(format: ChannelFormat, d: &str) -> Result<(), String> {
    let chars: Vec<char> = d.chars().collect();
    let (n, example) = match format {
        ChannelFormat::X12 => (4, "\"*>^~\" (element, component, repetition, segment)"),
        ChannelFormat::Edifact => (
            6,
            "\":+.? '\" (component, element, decimal mark, release, repetition, segment)",
        ),
        ChannelFormat::Feed => return Err("a feed channel writes no EDI".into()),
    };
    if chars.len() != n {
        return Err(format!("needs {n} characters, like {example}"));
    }
    let checked: Vec<char> = match format {
        // The EDIFACT decimal mark is no separator, and a space as release character or
        // repetition separator means there is none (syntax 3 has no repetition).
        ChannelFormat::Edifact => {
            if !matches!(chars[2], '.' | ',') {
                return Err(format!(
                    "the decimal mark (third character) must be '.' or ','; like {example}"
                ));
            }
            [0, 1, 3, 4, 5]
                .iter()
                .filter(|&&i| !(matches!(i, 3 | 4) && chars[i] == ' '))
                .map(|&i| chars[i])
                .collect()
        }
        _ => chars.clone(),
    };
    for (i, c) in checked.iter().enumerate() {
        if !c.is_ascii()
            || c.is_ascii_alphanumeric()
            || *c == ' '
            || c.is_ascii_control() && *c != '\n' && *c != '\r'
        {
            return Err(format!(
                "'{}' cannot separate values (not a letter, digit, space or non-ASCII character); like {example}",
                c.escape_default()
            ));
        }
        // Our readers take a line break inside a segment for a wrapped line.
        if matches!(c, '\n' | '\r') && i + 1 != checked.len() {
            return Err(format!(
                "a line break can only be the segment terminator (the last character); like {example}"
            ));
        }
        if checked[..i].contains(c) {
            return Err(format!(
                "'{}' is given twice; each separator must differ, like {example}",
                c.escape_default()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[paths]
work = "work"
erp_inbox = "erp"

[run]
threads = 2
settle_seconds = 0

[output]
formats = ["jsonl"]
csv.order = ["order_number", "sku", "quantity"]

[channel.zeta]
format = "x12"
inbound = "drop/zeta"
partner_id = " ZETA  "
version = "004010"

[channel.alpha]
format = "feed"
inbound = "/abs/shop"
profile = "shopify-orders"
keep_inputs = true
output = ["csv", "jsonl"]
"#;

    fn err(text: &str) -> String {
        Config::parse(text, Path::new("/b"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_ack_settings_and_refuses_what_cannot_be_sent() {
        let with = |extra: &str| {
            GOOD.replace(
                "version = \"004010\"\n",
                &format!("version = \"004010\"\n{extra}"),
            )
        };
        let c = Config::parse(
            &with("outbound = \"out/zeta\"\nacks = \"997\"\nta1 = \"errors\"\ndelimiters = \"*:^~\"\n"),
            Path::new("/base"),
        )
        .unwrap();
        let z = &c.channels[0];
        assert_eq!(z.outbound.as_deref(), Some(Path::new("/base/out/zeta")));
        assert_eq!(
            (z.acks, z.ta1),
            (crate::ack::AckKind::Fa997, crate::ack::Ta1Policy::Errors)
        );
        assert!(z.sends_acks());
        // The defaults: no acks, TA1 when requested, which needs an outbound folder.
        let c = Config::parse(GOOD, Path::new("/base")).unwrap();
        assert_eq!(c.channels[0].acks, crate::ack::AckKind::None);
        assert_eq!(c.channels[0].ta1, crate::ack::Ta1Policy::Requested);
        assert!(!c.channels[0].sends_acks());
        let e = err(&with("acks = \"997\"\n"));
        assert!(
            e.contains("channel.zeta.acks: acknowledgments need somewhere to go"),
            "{e}"
        );
        let e = err(&with("outbound = \"o\"\nacks = \"contrl\"\n"));
        assert!(e.contains("does not fit format = \"x12\""), "{e}");
        let e = err(&with("outbound = \"o\"\nacks = \"998\"\n"));
        assert!(e.contains("unknown variant `998`, expected one of"), "{e}");
        let e = err(&with("delimiters = \"**^~\"\n"));
        assert!(
            e.contains("channel.zeta.delimiters: '*' is given twice"),
            "{e}"
        );
        let e = err(&with("delimiters = \"*A^~\"\n"));
        assert!(e.contains("'A' cannot separate values"), "{e}");
        // EDIFACT: a UNA's six, where a space says "no release character" or "no repetition".
        let edifact = |d: &str| {
            GOOD.replace("format = \"x12\"", "format = \"edifact\"")
                .replace("version = \"004010\"\n", &format!("delimiters = \"{d}\"\n"))
        };
        Config::parse(&edifact(":+.  '"), Path::new("/b")).expect("no release, no repetition");
        Config::parse(&edifact(":+,?*'"), Path::new("/b")).expect("syntax 4, decimal comma");
        let e = err(&edifact(":+;? '"));
        assert!(e.contains("decimal mark"), "{e}");
        let e = err(&edifact(":+.?:'"));
        assert!(e.contains("':' is given twice"), "{e}");
        // A line break only ends segments.
        Config::parse(&edifact(":+.? \\n"), Path::new("/b")).expect("line break terminator");
        let e = err(&edifact("\\n+.? '"));
        assert!(
            e.contains("a line break can only be the segment terminator"),
            "{e}"
        );
        let e = err(&with("delimiters = \"*\\n^~\"\n"));
        assert!(
            e.contains("a line break can only be the segment terminator"),
            "{e}"
        );
    }

    #[test]
    fn reads_a_full_configuration() {
        let c = Config::parse(GOOD, Path::new("/base")).unwrap();
        assert_eq!(c.work, Path::new("/base/work"));
        assert!(
            matches!(&c.ledger, LedgerAt::Sqlite(p) if p == Path::new("/base/work/ledger.sqlite"))
        );
        assert_eq!(c.threads, 2);
        assert_eq!(c.settle_seconds, 0.0);
        assert_eq!(c.spool_memory, 16 << 20, "the default");
        let small = GOOD.replace("[run]\n", "[run]\nspool_memory_mib = 0\n");
        assert_eq!(
            Config::parse(&small, Path::new("/b")).unwrap().spool_memory,
            0
        );
        // File order, not sorted.
        assert_eq!(c.channels[0].id, "zeta");
        assert_eq!(c.channels[0].partner_id.as_deref(), Some("ZETA"));
        assert_eq!(c.channels[0].output, vec![OutputFormat::Jsonl]);
        assert_eq!(c.channels[1].inbound, Path::new("/abs/shop"));
        assert!(c.channels[1].keep_inputs);
        assert_eq!(c.csv_columns["order"], ["order_number", "sku", "quantity"]);
        assert!(!c.csv_columns["invoice"].is_empty());
    }

    #[test]
    fn names_line_and_key_of_a_bad_value() {
        let bad = GOOD.replace("format = \"x12\"", "format = \"x13\"");
        let e = err(&bad);
        assert!(e.starts_with("config:15: "), "{e}");
        assert!(e.contains("x13"), "{e}");

        let bad = GOOD.replace("profile = \"shopify-orders\"", "profile = \"shopfy\"");
        let e = err(&bad);
        assert!(
            e.starts_with("config:23: channel.alpha.profile: no feed profile 'shopfy'"),
            "{e}"
        );

        let bad = GOOD.replace("\"sku\"", "\"skew\"");
        let e = err(&bad);
        assert!(e.starts_with("config:12: output.csv.order: "), "{e}");
        assert!(e.contains("skew"), "{e}");
    }

    /// `tallyman.toml:7: invalid type: string "two", expected usize`: serde's errors came
    /// without the key, in Rust's words.
    #[test]
    fn a_type_error_names_its_key_in_plain_words() {
        let e = err(&GOOD.replace("threads = 2", "threads = \"two\""));
        assert_eq!(
            e,
            "config:7: run.threads: invalid type: string \"two\", expected an integer"
        );
        let e = err(&GOOD.replace("threads = 2", "threads = -1"));
        assert_eq!(
            e,
            "config:7: run.threads: invalid value: integer `-1`, expected an integer, 0 or more"
        );
        let e = err(&GOOD.replace("keep_inputs = true", "keep_inputs = \"yes\""));
        assert_eq!(
            e,
            "config:24: channel.alpha.keep_inputs: invalid type: string \"yes\", expected a boolean"
        );
        let e = err(&GOOD.replace("format = \"x12\"\n", ""));
        assert_eq!(e, "config:14: channel.zeta: missing field `format`");
        let e = err(&GOOD.replace("formats = [\"jsonl\"]", "formats = \"jsonl\""));
        assert_eq!(
            e,
            "config:11: output.formats: invalid type: string \"jsonl\", expected an array"
        );
    }

    #[test]
    fn refuses_unknown_keys_and_missing_sections() {
        let e = err(&GOOD.replace("keep_inputs", "keep_input"));
        assert!(e.contains("keep_input"), "{e}");
        assert!(e.starts_with("config:24:"), "{e}");
        let e = err("[paths]\nwork = \"w\"\n");
        assert!(e.contains("erp_inbox"), "{e}");
        let e = err("[paths]\nwork = \"w\"\nerp_inbox = \"e\"\n");
        assert!(e.contains("no channel"), "{e}");
        let e = err(&GOOD.replace("[channel.alpha]", "[channel.\"al pha\"]"));
        assert!(e.contains("channel.al pha: a channel id"), "{e}");
        let e = err(&format!(
            "{GOOD}\n[ledger]\nurl = \"mysql://me:secret@x/db\"\n"
        ));
        assert!(e.contains("ledger.url"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        let e = err(&format!("{GOOD}\n[ledger]\nlease = \"500ms\"\n"));
        assert!(e.contains("ledger.lease"), "{e}");
    }

    #[test]
    fn reads_file_modes_and_the_name_prefix() {
        let c = Config::parse(GOOD, Path::new("/b")).unwrap();
        assert_eq!((c.file_mode, c.erp_file_mode), (0o600, 0o640));
        assert_eq!(c.erp_prefix, "");
        let text = GOOD
            .replace(
                "erp_inbox = \"erp\"",
                "erp_inbox = \"erp\"\nfile_mode = \"0640\"",
            )
            .replace(
                "formats = [\"jsonl\"]",
                "formats = [\"jsonl\"]\nname_prefix = \"east-\"\nfile_mode = \"0600\"",
            );
        let c = Config::parse(&text, Path::new("/b")).unwrap();
        assert_eq!((c.file_mode, c.erp_file_mode), (0o640, 0o600));
        assert_eq!(c.erp_prefix, "east-");
        let e = err(&GOOD.replace(
            "erp_inbox = \"erp\"",
            "erp_inbox = \"erp\"\nfile_mode = \"644\"x",
        ));
        assert!(e.contains("config:"), "{e}");
        let e = err(&GOOD.replace(
            "erp_inbox = \"erp\"",
            "erp_inbox = \"erp\"\nfile_mode = \"0999\"",
        ));
        assert!(
            e.starts_with("config:5: paths.file_mode: '0999' is not a file mode"),
            "{e}"
        );
        let e = err(&GOOD.replace(
            "erp_inbox = \"erp\"",
            "erp_inbox = \"erp\"\nfile_mode = \"0400\"",
        ));
        assert!(e.contains("owner read and write"), "{e}");
        let e = err(&GOOD.replace("formats = [\"jsonl\"]", "name_prefix = \"../x\""));
        assert!(e.contains("output.name_prefix"), "{e}");
    }

    #[test]
    fn reads_limits_and_refuses_a_zero_limit() {
        let c = Config::parse(
            &format!("{GOOD}\n[limits]\nmax_segment_bytes = 4096\n"),
            Path::new("/b"),
        )
        .unwrap();
        assert_eq!(c.limits.max_segment_bytes, 4096);
        assert_eq!(
            c.limits.max_file_bytes,
            crate::syntax::limits::Limits::default().max_file_bytes
        );
        let lines = GOOD.lines().count();
        let e = err(&format!("{GOOD}\n[limits]\nmax_xml_depth = 0\n"));
        assert!(e.starts_with(&format!("config:{}: ", lines + 3)), "{e}");
        assert!(e.contains("at least 1"), "{e}");
        let e = err(&format!("{GOOD}\n[limits]\nmax_segment_byte = 10\n"));
        assert!(e.contains("max_segment_byte"), "{e}");
    }
}
