//! Reaching the server: the URL, the password (URL, `PGPASSWORD`, the password file), TLS by
//! `sslmode`, and errors that never carry the password.
//!
//! Phase: opening the ledger. `sslmode=disable|prefer|require` (default `prefer`) is honoured as
//! libpq does: `prefer` and `require` encrypt without checking the server's certificate (libpq's
//! `verify-ca`/`verify-full` are not offered), and `require` fails when the server has no TLS.

use super::super::Error;
use super::pgpass;
use crate::transport::url::{authority, password_param, redact};
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use postgres::config::Host;
use postgres_openssl::MakeTlsConnector;
use std::fmt;

/// A connection's settings, with the URL as errors may show it.
pub(crate) struct Target {
    pub config: postgres::Config,
    /// The URL without its password.
    pub shown: String,
    /// The password, to scrub from any error text the server or the client makes.
    secret: Option<String>,
}

/// A failure to reach the server, naming the URL without its password.
#[derive(Debug)]
pub(crate) struct ConnectError {
    url: String,
    message: String,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.message)
    }
}

impl std::error::Error for ConnectError {}

/// A plain message as an error source.
#[derive(Debug)]
pub(crate) struct Message(pub String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // postgres::Config's own Debug leaves the password out.
        f.debug_struct("Target")
            .field("url", &self.shown)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Parses `url` and finds its password (URL, else `PGPASSWORD`, else the password file).
    pub fn parse(url: &str) -> Result<Target, Error> {
        let shown = redact(url);
        let in_url = url_password(url);
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            connect_error("parse the URL", &shown, in_url.as_deref(), &e)
        })?;
        if config.get_password().is_none() {
            if let Some(p) = std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()) {
                config.password(p);
            } else if let Some(p) = pgpass_password(&config) {
                config.password(p);
            }
        }
        let secret = config
            .get_password()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        Ok(Target {
            config,
            shown,
            secret,
        })
    }

    /// An error of the client or the server while connecting, as the ledger's error.
    pub fn error(&self, what: &'static str, e: &dyn std::error::Error) -> Error {
        connect_error(what, &self.shown, self.secret.as_deref(), e)
    }

    /// The TLS connector `sslmode` asks for.
    pub fn tls(&self) -> Result<MakeTlsConnector, Error> {
        let mut builder = SslConnector::builder(SslMethod::tls_client())
            .map_err(|e| self.error("set up TLS", &e))?;
        // libpq's `prefer` and `require`: encryption, without a certificate check.
        builder.set_verify(SslVerifyMode::NONE);
        let mut tls = MakeTlsConnector::new(builder.build());
        tls.set_callback(|c, _| {
            c.set_verify_hostname(false);
            Ok(())
        });
        Ok(tls)
    }
}

fn connect_error(
    what: &'static str,
    url: &str,
    secret: Option<&str>,
    e: &dyn std::error::Error,
) -> Error {
    // The chain of sources, each once: postgres::Error's Display leaves out its cause's text.
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    Error::Db {
        what,
        source: Box::new(ConnectError {
            url: url.to_owned(),
            message: scrub(&message, secret),
        }),
    }
}

/// `message` without any spelling of `secret` (as given, and percent-decoded).
fn scrub(message: &str, secret: Option<&str>) -> String {
    let mut out = message.to_owned();
    if let Some(s) = secret.filter(|s| !s.is_empty()) {
        out = out.replace(s, "***");
        let decoded = percent_encoding::percent_decode_str(s).decode_utf8_lossy();
        if !decoded.is_empty() {
            out = out.replace(decoded.as_ref(), "***");
        }
    }
    out
}

/// The password of a password file line for this configuration's first host.
fn pgpass_password(config: &postgres::Config) -> Option<String> {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.as_str(),
        // A Unix socket matches `localhost`, as in libpq.
        Some(Host::Unix(_)) | None => "localhost",
    };
    let user = config.get_user()?;
    pgpass::lookup(
        &pgpass::default_path()?,
        pgpass::Target {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            database: config.get_dbname().unwrap_or(user),
            user,
        },
    )
}

/// The raw password of a `postgres://user:password@host` URL or a `password=` parameter.
fn url_password(url: &str) -> Option<String> {
    if let Some(authority) = authority(url)
        && let Some((userinfo, _)) = authority.rsplit_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
    {
        return Some(password.to_owned());
    }
    password_param(url, 0).map(|(start, end)| url[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_read_from_the_url() {
        assert_eq!(
            url_password("postgres://tallyman:s3cr%40t@db/l").as_deref(),
            Some("s3cr%40t")
        );
        assert_eq!(
            url_password("postgres://u@h/d?password=pw").as_deref(),
            Some("pw")
        );
        assert_eq!(url_password("postgres://u@h/d"), None);
    }

    #[test]
    fn a_bad_url_error_holds_no_password() {
        let err = Target::parse("postgres://u:hunter2@h/d?sslmode=bogus").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("postgres://u@h/d"), "{text}");
        assert_eq!(
            scrub("x hunter%32 y hunter2", Some("hunter%32")),
            "x *** y ***"
        );
    }
}
