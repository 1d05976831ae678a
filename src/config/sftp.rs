//! A channel's SFTP settings: `inbound`/`outbound` as `sftp://user@host:port/path`, with
//! `ssh_key`, `ssh_key_passphrase_env`, `password_env`, `known_hosts`, `remote_archive`,
//! `sftp_timeout`, `sftp_retries`, `sftp_retry_delay` and `sftp_connections`.
//!
//! Secrets are never in the file: a passphrase or password is named by the environment
//! variable that holds it.

use super::{Error, Invalid, RawChannel, duration};
use crate::pipeline::settings::ChannelSftp;
use crate::transport::sftp::{Location, Settings};
use std::path::{Path, PathBuf};

/// The folder in the work directory where documents for a remote outbound folder wait for
/// delivery (`WORK/outgoing/CHANNEL`).
pub(super) const OUTGOING: &str = "outgoing";

/// An environment variable's name as shells write them: `ACME_SFTP_PASSWORD`. Anything else
/// is refused without being echoed, since it may be the secret itself.
fn env_var_name(v: &str) -> bool {
    v.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_uppercase() || b == b'_')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The channel's SFTP settings, `None` when neither of its folders is remote.
pub(super) fn settings(
    c: &RawChannel,
    key: &str,
    span: std::ops::Range<usize>,
    abs: &dyn Fn(&Path) -> PathBuf,
    invalid: &Invalid<'_>,
) -> Result<Option<ChannelSftp>, Error> {
    let url = |p: &Path, field: &str| -> Result<Option<Location>, Error> {
        match p.to_str() {
            Some(s) if s.starts_with("sftp://") => Location::parse(s)
                .map(Some)
                .map_err(|m| invalid(Some(span.clone()), &format!("{key}.{field}"), m)),
            Some(s) if s.contains("://") => Err(invalid(
                Some(span.clone()),
                &format!("{key}.{field}"),
                format!("'{s}': only local folders and sftp:// URLs are supported"),
            )),
            _ => Ok(None),
        }
    };
    let inbound = url(&c.inbound, "inbound")?;
    let outbound = match &c.outbound {
        Some(o) => url(o, "outbound")?,
        None => None,
    };
    if inbound.is_none() && outbound.is_none() {
        // The SFTP keys mean nothing for local folders: a typo'd URL should not pass silently.
        let given = [
            ("ssh_key", c.ssh_key.as_ref().map(toml::Spanned::span)),
            (
                "ssh_key_passphrase_env",
                c.ssh_key_passphrase_env.as_ref().map(toml::Spanned::span),
            ),
            (
                "password_env",
                c.password_env.as_ref().map(toml::Spanned::span),
            ),
            (
                "known_hosts",
                c.known_hosts.as_ref().map(toml::Spanned::span),
            ),
            (
                "remote_archive",
                c.remote_archive.as_ref().map(toml::Spanned::span),
            ),
            (
                "sftp_timeout",
                c.sftp_timeout.as_ref().map(toml::Spanned::span),
            ),
            (
                "sftp_retry_delay",
                c.sftp_retry_delay.as_ref().map(toml::Spanned::span),
            ),
            (
                "sftp_connections",
                c.sftp_connections.as_ref().map(toml::Spanned::span),
            ),
        ];
        if let Some((field, at)) = given.iter().find(|(_, s)| s.is_some()) {
            return Err(invalid(
                at.clone(),
                &format!("{key}.{field}"),
                "applies only to a channel whose inbound or outbound is an sftp:// URL".into(),
            ));
        }
        return Ok(None);
    }
    let env_name = |v: &Option<toml::Spanned<String>>,
                    field: &str|
     -> Result<Option<String>, Error> {
        match v {
            None => Ok(None),
Some(s) if env_var_name(s.get_ref()) =>
            {
                Ok(Some(s.get_ref().clone()))
            }
            Some(s) => Err(invalid(
                Some(s.span()),
                &format!("{key}.{field}"),
                "names the environment variable that holds the secret (capital letters, digits and '_', not a digit first), never the secret itself".into(),
            )),
        }
    };
    let passphrase_env = env_name(&c.ssh_key_passphrase_env, "ssh_key_passphrase_env")?;
    let password_env = env_name(&c.password_env, "password_env")?;
    let key_file = c.ssh_key.as_ref().map(|k| abs(k.get_ref()));
    if key_file.is_none() && password_env.is_none() {
        return Err(invalid(
            Some(span.clone()),
            &format!("{key}.ssh_key"),
            "an sftp:// channel needs ssh_key = \"PATH\" (a private key file; or password_env = \"VAR\" when the partner requires a password)".into(),
        ));
    }
    let known_hosts = match &c.known_hosts {
        Some(k) => abs(k.get_ref()),
        None => match std::env::var_os("HOME") {
            Some(home) => Path::new(&home).join(".ssh/known_hosts"),
            None => {
                return Err(invalid(
                    Some(span.clone()),
                    &format!("{key}.known_hosts"),
                    "HOME is not set, so there is no ~/.ssh/known_hosts: set known_hosts = \"PATH\"".into(),
                ));
            }
        },
    };
    let mut settings = Settings::new(key_file, known_hosts);
    settings.passphrase_env = passphrase_env;
    settings.password_env = password_env;
    if let Some(t) = &c.sftp_timeout {
        settings.timeout = duration(t, &format!("{key}.sftp_timeout"), invalid)?;
    }
    if let Some(d) = &c.sftp_retry_delay {
        settings.retry_delay = duration(d, &format!("{key}.sftp_retry_delay"), invalid)?;
    }
    if let Some(r) = c.sftp_retries {
        settings.retries = r.min(20);
    }
    if let Some(n) = &c.sftp_connections {
        if !(1..=32).contains(n.get_ref()) {
            return Err(invalid(
                Some(n.span()),
                &format!("{key}.sftp_connections"),
                "must be between 1 and 32".into(),
            ));
        }
        settings.connections = *n.get_ref();
    }
    let remote_archive = match &c.remote_archive {
        None => None,
        Some(a) => {
            let field = format!("{key}.remote_archive");
            let Some(inb) = &inbound else {
                return Err(invalid(
                    Some(a.span()),
                    &field,
                    "applies only to an sftp:// inbound".into(),
                ));
            };
            let v = a.get_ref().trim_end_matches('/');
            if !v.starts_with('/')
                || v.split('/')
                    .skip(1)
                    .any(|c| c == ".." || c == "." || c.is_empty())
                || v.chars().any(char::is_control)
            {
                return Err(invalid(
                    Some(a.span()),
                    &field,
                    "must be an absolute folder on the server, written plainly (no '.', '..' or '//')".into(),
                ));
            }
            // Inside the drop folder, archived files would be read again, unless hidden.
            let inside =
                v == inb.path || v.starts_with(&format!("{}/", inb.path.trim_end_matches('/')));
            let hidden = v[inb.path.len().min(v.len())..]
                .split('/')
                .any(|c| c.starts_with('.'));
            if inside && !hidden {
                return Err(invalid(
                    Some(a.span()),
                    &field,
                    format!(
                        "'{v}' is inside the drop folder {}, where archived files would be read again: use a folder outside it, or a hidden one (a name starting with '.')",
                        inb.path
                    ),
                ));
            }
            Some(v.to_owned())
        }
    };
    Ok(Some(ChannelSftp {
        settings,
        inbound,
        outbound,
        remote_archive,
    }))
}
