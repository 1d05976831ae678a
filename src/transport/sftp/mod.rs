//! SFTP drop folders: a partner's server, reached with `ssh2` (libssh2).
//!
//! Phase: acquire (pull) and deliver (push). A channel's `inbound` or `outbound` may be
//! `sftp://user@host:port/path`. Every connection checks the server's host key against
//! `known_hosts` before it authenticates ([`trust`]), logs in with a key (a password only when
//! the channel names the environment variable that holds it), and is kept in a small pool per
//! server ([`Server`]), so that a run opens a few connections, not one per file, and never more
//! than `sftp_connections` at once. Transient failures (a refused or dropped connection, a
//! timeout) are retried with backoff on a new connection; a refusal (host key, login,
//! permissions, a missing folder) is not.
//!
//! Pulling ([`folder::SftpFolder`]) lists the remote folder, downloads into staging while
//! hashing, and removes (or archives) a remote file after the run's commit only if it still
//! has the content that was read. Pushing ([`push`]) uploads under a temporary name the
//! partner does not pick up and renames it to a name that does not exist yet; a marker kept in
//! the work directory between the upload and the rename tells the next run, after a crash,
//! whether the rename was done, so nothing is delivered twice.
//!
//! Secrets never leave this module: passphrases and passwords are read from the environment
//! when a connection is made, and errors name the variable, never its value.
//!
//! ```
//! use tallyman::transport::sftp::Location;
//! let l = Location::parse("sftp://acme@sftp.acme.example:2222/outgoing/orders").unwrap();
//! assert_eq!((l.user.as_str(), l.host.as_str(), l.port), ("acme", "sftp.acme.example", 2222));
//! assert_eq!(l.path, "/outgoing/orders");
//! assert_eq!(l.to_string(), "sftp://acme@sftp.acme.example:2222/outgoing/orders");
//! ```

pub mod folder;
pub mod push;
pub mod trust;

use ssh2::{ErrorCode, Session, Sftp};
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub use folder::SftpFolder;

/// `sftp://user@host[:port]/path`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub user: String,
    pub host: String,
    pub port: u16,
    /// Absolute on the server, as the server shows it (inside a chroot, from the chroot),
    /// without a trailing `/`.
    pub path: String,
}

impl Location {
    /// Parses an `sftp://` URL; the error says what is wrong in a sentence.
    pub fn parse(url: &str) -> Result<Location, String> {
        let rest = url.strip_prefix("sftp://").ok_or_else(|| {
            format!(
                "'{}' is not an sftp:// URL",
                crate::transport::url::redact(url)
            )
        })?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        // The last '@' ends the user (a user name may hold one; a host never does).
        let (user, hostport) = authority.rsplit_once('@').ok_or_else(|| {
            format!(
                "'{}' names no user: write sftp://USER@HOST:PORT/PATH",
                crate::transport::url::redact(url)
            )
        })?;
        if user.contains(':') {
            // Never echoed: what follows the ':' is a password.
            return Err(
                "an sftp:// URL holds a password after its user name: remove it (a password never goes in the URL: name the environment variable that holds it with password_env)"
                    .into(),
            );
        }
        if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("'{url}' has no valid user name"));
        }
        let (host, port) = match hostport.strip_prefix('[') {
            // An IPv6 address: `[::1]:2222`.
            Some(v6) => {
                let (h, rest) = v6
                    .split_once(']')
                    .ok_or_else(|| format!("'{url}' has an unclosed '['"))?;
                (h, rest.strip_prefix(':'))
            }
            None => match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            },
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p > 0)
                .ok_or_else(|| format!("'{url}' has no valid port ('{p}')"))?,
            None => 22,
        };
        if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("'{url}' names no valid host"));
        }
        if path.chars().any(char::is_control)
            || path.split('/').skip(1).any(|c| c == ".." || c == ".")
            || path.contains("//")
        {
            return Err(format!(
                "'{url}' has a path with '.', '..', '//' or a control character: write the folder plainly"
            ));
        }
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        Ok(Location {
            user: user.to_owned(),
            // Host names are case-insensitive; known_hosts hashes the lowercase form.
            host: host.to_ascii_lowercase(),
            port,
            path: path.to_owned(),
        })
    }

    /// `user@host:port`, for messages and as the key of a server's connection pool.
    pub fn server(&self) -> String {
        format!("{}@{}:{}", self.user, self.host, self.port)
    }

    /// The remote path of a `/`-separated name under this folder.
    pub fn join(&self, name: &str) -> String {
        if self.path.ends_with('/') {
            format!("{}{name}", self.path)
        } else {
            format!("{}/{name}", self.path)
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sftp://{}{}", self.server(), self.path)
    }
}

/// How to reach and trust a server: a channel's `ssh_key`, `known_hosts`, `password_env`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The private key to log in with.
    pub key: Option<PathBuf>,
    /// The environment variable that holds the key's passphrase (never the passphrase).
    pub passphrase_env: Option<String>,
    /// The environment variable that holds a password, for partners that require one.
    pub password_env: Option<String>,
    pub known_hosts: PathBuf,
    /// For connecting and for each operation.
    pub timeout: Duration,
    /// Attempts after the first, for transient failures.
    pub retries: u32,
    /// The first pause between attempts; it doubles each time.
    pub retry_delay: Duration,
    /// At most this many connections to one server at once.
    pub connections: usize,
}

impl Settings {
    /// The defaults for a key file and a `known_hosts` file.
    pub fn new(key: Option<PathBuf>, known_hosts: PathBuf) -> Settings {
        Settings {
            key,
            passphrase_env: None,
            password_env: None,
            known_hosts,
            timeout: Duration::from_secs(30),
            retries: 3,
            retry_delay: Duration::from_secs(1),
            connections: 4,
        }
    }
}

/// What went wrong with a server, said so that the operator knows what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The TCP connection could not be made.
    #[error("cannot connect to {server}: {source}")]
    Connect { server: String, source: io::Error },
    /// The server's key is not in `known_hosts`.
    #[error(
        "{server} offered a host key that {known_hosts} does not know ({fingerprint}); nothing was sent or read. If the partner confirms this fingerprint, add this line to {known_hosts}:\n    {line}"
    )]
    UnknownHost {
        server: String,
        known_hosts: String,
        fingerprint: String,
        line: String,
    },
    /// `known_hosts` holds another key for the server.
    #[error(
        "{server} offered a host key ({fingerprint}) other than the one on line {lines} of {known_hosts}: the server's key CHANGED, or someone is in between; nothing was sent or read. Ask the partner whether they changed their key; if they did, {fix}"
    )]
    HostChanged {
        server: String,
        known_hosts: String,
        lines: String,
        fingerprint: String,
        /// How to replace the old line with the new one.
        fix: String,
    },
    /// The key offered is on an `@revoked` line.
    #[error(
        "{server} offered a host key ({fingerprint}) that line {line} of {known_hosts} revokes; nothing was sent or read"
    )]
    Revoked {
        server: String,
        known_hosts: String,
        fingerprint: String,
        line: usize,
    },
    /// Logging in failed.
    #[error("{server} refused to log in: {why}")]
    Login { server: String, why: String },
    /// An operation on the server failed.
    #[error("{server}: {what}: {why}")]
    Remote {
        server: String,
        what: String,
        why: String,
        /// libssh2's code, to tell a lost connection from a refusal.
        code: Code,
    },
    /// A local file (key, known_hosts, staging) could not be used.
    #[error("{what}: {source}")]
    Local { what: String, source: io::Error },
}

/// Where an error came from: the session (connection, protocol) or an SFTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Session(i32),
    Sftp(i32),
    /// Something we found (a name taken, a file changed), not the server.
    Ours,
}

/// SFTP status codes (draft-ietf-secsh-filexfer-02).
pub const NO_SUCH_FILE: i32 = 2;
pub const PERMISSION_DENIED: i32 = 3;

impl Error {
    /// Worth another attempt on a new connection: the connection failed or was lost, or timed
    /// out. A refusal (host key, login, permission, a missing file) is not.
    pub fn transient(&self) -> bool {
        match self {
            Error::Connect { .. } => true,
            Error::Remote { code, .. } => match *code {
                // LIBSSH2_FX_NO_CONNECTION, LIBSSH2_FX_CONNECTION_LOST
                Code::Sftp(c) => matches!(c, 6 | 7),
                // The connection's own failures (libssh2.h): banner receive and send, socket
                // send, timeout, disconnect, channel closed, socket timeout, socket receive.
                // Everything else (key exchange without a common algorithm, authentication,
                // a key file, a refused subsystem) would fail the same way again.
                Code::Session(c) => matches!(c, -2 | -3 | -7 | -9 | -13 | -26 | -30 | -43),
                Code::Ours => false,
            },
            _ => false,
        }
    }

    /// The file or folder is not there.
    pub fn not_found(&self) -> bool {
        matches!(
            self,
            Error::Remote {
                code: Code::Sftp(NO_SUCH_FILE),
                ..
            }
        )
    }

    pub(crate) fn remote(
        server: &str,
        what: impl Into<String>,
        e: impl std::borrow::Borrow<ssh2::Error>,
    ) -> Error {
        let e = e.borrow();
        let code = match e.code() {
            ErrorCode::Session(c) => Code::Session(c),
            ErrorCode::SFTP(c) => Code::Sftp(c),
        };
        let why = match code {
            Code::Sftp(NO_SUCH_FILE) => "no such file or folder".to_owned(),
            Code::Sftp(PERMISSION_DENIED) => {
                "permission denied (the login user may not do this there: ask the partner to grant it)"
                    .to_owned()
            }
            Code::Session(-9) => "timed out".to_owned(),
            Code::Session(-13) | Code::Session(-43) | Code::Session(-7) => {
                "the connection was lost".to_owned()
            }
            _ => e.message().to_owned(),
        };
        Error::Remote {
            server: server.to_owned(),
            what: what.into(),
            why,
            code,
        }
    }

    pub(crate) fn ours(server: &str, what: impl Into<String>, why: impl Into<String>) -> Error {
        Error::Remote {
            server: server.to_owned(),
            what: what.into(),
            why: why.into(),
            code: Code::Ours,
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = if e.not_found() {
            io::ErrorKind::NotFound
        } else {
            io::ErrorKind::Other
        };
        io::Error::new(kind, e)
    }
}

/// One logged-in connection.
pub struct Conn {
    /// The session owns the TCP stream; the SFTP channel runs inside it.
    _session: Session,
    pub sftp: Sftp,
}

/// Idle connections older than this are closed rather than used: a firewall or the server
/// may have dropped them while the run was translating.
const IDLE_MAX: Duration = Duration::from_secs(60);
/// The longest pause between two attempts.
const PAUSE_MAX: Duration = Duration::from_secs(60);

/// A server and the connections open to it, shared by every channel that uses it (the same
/// user, host, port and login settings).
pub struct Server {
    pub location: Location,
    pub settings: Settings,
    pool: Mutex<Pool>,
    freed: Condvar,
    /// Set when the retries ran out: the rest of the run does not wait on this server again.
    failed: Mutex<Option<String>>,
}

#[derive(Default)]
struct Pool {
    idle: Vec<(Conn, std::time::Instant)>,
    /// Connections open now (idle or in use).
    open: usize,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("server", &self.location.server())
            .finish_non_exhaustive()
    }
}

impl Server {
    pub fn new(location: &Location, settings: Settings) -> Arc<Server> {
        Arc::new(Server {
            location: Location {
                path: "/".into(),
                ..location.clone()
            },
            settings,
            pool: Mutex::new(Pool::default()),
            freed: Condvar::new(),
            failed: Mutex::new(None),
        })
    }

    /// `user@host:port`.
    pub fn name(&self) -> String {
        self.location.server()
    }

    /// Runs `op` on a pooled connection, retrying transient failures on a new connection with
    /// a doubling pause (at most a minute). `op` must be safe to run again from the start.
    /// A failure on an idle connection taken from the pool does not count as an attempt (it
    /// may have died while idle); once the attempts run out, the server is not tried again in
    /// this run, so a server that went down does not hold the run for each of its files.
    pub fn with<T>(&self, mut op: impl FnMut(&Conn) -> Result<T, Error>) -> Result<T, Error> {
        if let Some(first) = self.failed.lock().expect("pool lock").clone() {
            return Err(Error::ours(
                &self.name(),
                "not tried again in this run",
                format!("it failed earlier: {first}"),
            ));
        }
        let mut delay = self.settings.retry_delay;
        let mut attempt = 0;
        let mut free = self.settings.connections.max(1);
        loop {
            let (result, reused) = match self.take() {
                Err(e) => (Err(e), false),
                Ok((conn, reused)) => {
                    // A panic in `op` (a bug of ours) gives the connection's slot back before
                    // it goes on: the run's staging goes on with its next file, which would
                    // otherwise wait for the slot forever.
                    let r = match std::panic::catch_unwind(AssertUnwindSafe(|| op(&conn))) {
                        Ok(r) => r,
                        Err(panic) => {
                            self.discard(conn);
                            std::panic::resume_unwind(panic)
                        }
                    };
                    match &r {
                        // A connection that failed is dropped, not pooled.
                        Err(e) if e.transient() => self.discard(conn),
                        _ => self.give_back(conn),
                    }
                    (r, reused)
                }
            };
            match result {
                Err(e) if e.transient() && reused && free > 0 => free -= 1,
                Err(e) if e.transient() && attempt < self.settings.retries => {
                    attempt += 1;
                    tracing::debug!(
                        server = self.name().as_str(),
                        attempt,
                        pause_ms = delay.as_millis() as u64,
                        error = e.to_string().as_str(),
                        "SFTP operation failed, trying again on a new connection"
                    );
                    std::thread::sleep(delay);
                    delay = delay.saturating_mul(2).min(PAUSE_MAX);
                }
                Err(e) => {
                    if e.transient() {
                        *self.failed.lock().expect("pool lock") = Some(e.to_string());
                    }
                    return Err(e);
                }
                ok => return ok,
            }
        }
    }

    /// Closes the idle connections (at the end of a run).
    pub fn close(&self) {
        let idle = {
            let mut pool = self.pool.lock().expect("pool lock");
            pool.open -= pool.idle.len();
            std::mem::take(&mut pool.idle)
        };
        drop(idle);
        self.freed.notify_all();
    }

    /// A connection, and whether it was an idle one from the pool.
    fn take(&self) -> Result<(Conn, bool), Error> {
        {
            let mut pool = self.pool.lock().expect("pool lock");
            loop {
                while let Some((c, since)) = pool.idle.pop() {
                    if since.elapsed() < IDLE_MAX {
                        return Ok((c, true));
                    }
                    pool.open -= 1;
                    drop(c);
                }
                if pool.open < self.settings.connections.max(1) {
                    pool.open += 1;
                    break;
                }
                pool = self.freed.wait(pool).expect("pool lock");
            }
        }
        // The slot is given back when connecting fails, and when it panics (see `with`).
        match std::panic::catch_unwind(AssertUnwindSafe(|| connect(&self.location, &self.settings)))
        {
            Ok(r) => r.map(|c| (c, false)).inspect_err(|_| self.release()),
            Err(panic) => {
                self.release();
                std::panic::resume_unwind(panic)
            }
        }
    }

    fn give_back(&self, conn: Conn) {
        let mut pool = self.pool.lock().expect("pool lock");
        pool.idle.push((conn, std::time::Instant::now()));
        self.freed.notify_one();
    }

    fn discard(&self, conn: Conn) {
        drop(conn);
        self.release();
    }

    fn release(&self) {
        let mut pool = self.pool.lock().expect("pool lock");
        pool.open -= 1;
        self.freed.notify_one();
    }
}

/// Connects, checks the host key against `known_hosts`, then logs in.
pub fn connect(loc: &Location, s: &Settings) -> Result<Conn, Error> {
    connect_with(loc, s, true)
}

/// `pin`: ask the server for the key types `known_hosts` holds for it.
fn connect_with(loc: &Location, s: &Settings, pin: bool) -> Result<Conn, Error> {
    let server = loc.server();
    tracing::debug!(
        server = server.as_str(),
        pin_key_types = pin,
        "connecting to SFTP server"
    );
    let connect_err = |source| Error::Connect {
        server: server.clone(),
        source,
    };
    let addrs = (loc.host.as_str(), loc.port)
        .to_socket_addrs()
        .map_err(connect_err)?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "the host name has no address");
    let mut tcp = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, s.timeout) {
            Ok(t) => {
                tcp = Some(t);
                break;
            }
            Err(e) => last = e,
        }
    }
    let tcp = tcp.ok_or_else(|| connect_err(last))?;
    let _ = tcp.set_nodelay(true);
    let remote = |what: &str| {
        let server = server.clone();
        let what = what.to_owned();
        move |e: ssh2::Error| Error::remote(&server, what, e)
    };
    let mut session = Session::new().map_err(remote("starting a session"))?;
    // Zero would mean no timeout at all.
    session.set_timeout(
        u32::try_from(s.timeout.as_millis())
            .unwrap_or(u32::MAX)
            .max(1),
    );
    session.set_tcp_stream(tcp);

    let mut kh_missing = false;
    let kh_text = match std::fs::read_to_string(&s.known_hosts) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            kh_missing = true;
            String::new()
        }
        Err(source) => {
            return Err(Error::Local {
                what: format!("reading {}", s.known_hosts.display()),
                source,
            });
        }
    };
    let known = trust::Known::parse(&kh_text, &loc.host, loc.port);
    let pinned = if pin { known.algorithms() } else { None };
    if let Some(algs) = &pinned {
        // Ask for a key of a type we hold, so that a server with several keys is checked
        // against the one we know rather than refused as changed.
        session
            .method_pref(ssh2::MethodType::HostKey, algs)
            .map_err(remote("choosing host key types"))?;
    }
    match session.handshake() {
        Ok(()) => {}
        // The server no longer has a key of the types we know: its key changed. Connect
        // again without asking, to see the key it offers and say so (nothing is sent).
        Err(e) if pinned.is_some() && matches!(e.code(), ErrorCode::Session(-5 | -8 | -51)) => {
            return connect_with(loc, s, false);
        }
        Err(e) => return Err(Error::remote(&server, "key exchange", e)),
    }
    let (blob, _) = session
        .host_key()
        .ok_or_else(|| Error::ours(&server, "key exchange", "the server sent no host key"))?;
    let kh = if kh_missing {
        format!("{} (which does not exist yet)", s.known_hosts.display())
    } else {
        s.known_hosts.display().to_string()
    };
    let fingerprint = trust::fingerprint(blob);
    let line = trust::line_for(&loc.host, loc.port, blob);
    match known.verdict(blob) {
        trust::Verdict::Trusted(_) => {}
        trust::Verdict::Unknown => {
            return Err(Error::UnknownHost {
                server,
                known_hosts: kh,
                fingerprint,
                line,
            });
        }
        trust::Verdict::Changed(lines) => {
            let fix = format!(
                "remove the old line (ssh-keygen -R '{}' -f {kh}) and add:\n    {line}",
                trust::host_spec(&loc.host, loc.port)
            );
            return Err(Error::HostChanged {
                server,
                known_hosts: kh,
                lines: lines
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                fingerprint,
                fix,
            });
        }
        trust::Verdict::Revoked(l) => {
            return Err(Error::Revoked {
                server,
                known_hosts: kh,
                fingerprint,
                line: l,
            });
        }
    }

    login(&session, loc, s)?;
    let sftp = session.sftp().map_err(remote("starting SFTP"))?;
    Ok(Conn {
        _session: session,
        sftp,
    })
}

fn login(session: &Session, loc: &Location, s: &Settings) -> Result<(), Error> {
    let server = loc.server();
    let secret = |var: &str| -> Result<String, Error> {
        std::env::var(var).map_err(|_| Error::Login {
            server: server.clone(),
            why: format!("the environment variable {var} is not set (it should hold the secret; the configuration names it)"),
        })
    };
    let mut tried = Vec::new();
    if let Some(key) = &s.key {
        if let Err(e) = std::fs::metadata(key) {
            return Err(Error::Local {
                what: format!("reading the key {}", key.display()),
                source: e,
            });
        }
        let passphrase = s.passphrase_env.as_deref().map(secret).transpose()?;
        match session.userauth_pubkey_file(&loc.user, None, key, passphrase.as_deref()) {
            Ok(()) if session.authenticated() => return Ok(()),
            Ok(()) => {}
            // The key file itself could not be used (wrong passphrase, unreadable format).
            Err(e) if matches!(e.code(), ErrorCode::Session(-16)) => {
                return Err(Error::Login {
                    server,
                    why: format!(
                        "the key {} could not be used ({}): check the file and its passphrase variable",
                        key.display(),
                        e.message()
                    ),
                });
            }
            Err(e) if Error::remote(&server, "", &e).transient() => {
                return Err(Error::remote(&server, "logging in", e));
            }
            Err(_) => {}
        }
        tried.push(format!("the key {}", key.display()));
    }
    if let Some(var) = &s.password_env {
        let password = secret(var)?;
        match session.userauth_password(&loc.user, &password) {
            Ok(()) if session.authenticated() => return Ok(()),
            Err(e) if Error::remote(&server, "", &e).transient() => {
                return Err(Error::remote(&server, "logging in", e));
            }
            _ => {}
        }
        tried.push(format!("the password in {var}"));
    }
    Err(Error::Login {
        server: server.clone(),
        why: if tried.is_empty() {
            "the channel names no ssh_key (nor password_env)".to_owned()
        } else {
            format!(
                "user {} with {} was not accepted: the public key must be in that user's authorized_keys on the server (ask the partner), or the password is wrong",
                loc.user,
                tried.join(" nor ")
            )
        },
    })
}

/// A remote path for ssh2.
pub(crate) fn p(path: &str) -> &Path {
    Path::new(path)
}

/// The servers a run talks to, one pool each.
#[derive(Debug, Default)]
pub struct Servers {
    pools: Mutex<Vec<Arc<Server>>>,
}

impl Servers {
    /// The pool for a location reached with these settings, made on first use.
    pub fn get(&self, loc: &Location, settings: &Settings) -> Arc<Server> {
        let mut pools = self.pools.lock().expect("servers lock");
        if let Some(s) = pools.iter().find(|s| {
            s.location.user == loc.user
                && s.location.host == loc.host
                && s.location.port == loc.port
                && s.settings == *settings
        }) {
            return s.clone();
        }
        let s = Server::new(loc, settings.clone());
        pools.push(s.clone());
        s
    }

    /// Closes every idle connection.
    pub fn close(&self) {
        for s in self.pools.lock().expect("servers lock").iter() {
            s.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_strictly_and_never_echo_a_password() {
        let e = Location::parse("sftp://u:Hunter2@h/x").unwrap_err();
        assert!(!e.contains("Hunter2"), "{e}");
        let e = Location::parse("ftp://u:Hunter2@h/x").unwrap_err();
        assert!(!e.contains("Hunter2"), "{e}");
        let l = Location::parse("sftp://me@corp@SFTP.Example.com/in").unwrap();
        assert_eq!(
            (l.user.as_str(), l.host.as_str()),
            ("me@corp", "sftp.example.com")
        );
        let l = Location::parse("sftp://u@h/").unwrap();
        assert_eq!((l.port, l.path.as_str()), (22, "/"));
        let l = Location::parse("sftp://u@[::1]:2222/in/").unwrap();
        assert_eq!(
            (l.host.as_str(), l.port, l.path.as_str()),
            ("::1", 2222, "/in")
        );
        assert_eq!(l.join("a.edi"), "/in/a.edi");
        for bad in [
            "ftp://u@h/x",
            "sftp://h/x",
            "sftp://u:secret@h/x",
            "sftp://u@h:0/x",
            "sftp://u@h:99999/x",
            "sftp://u@:22/x",
            "sftp://u@h/a/../b",
            "sftp://u@h/a\nb",
            "sftp://u@h/in/./x",
            "sftp://u@h/in//x",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
