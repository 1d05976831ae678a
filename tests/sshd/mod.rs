//! A throw-away OpenSSH server on loopback for the SFTP tests: `mod sshd;` in a test, then
//! `let Some(server) = sshd::Sshd::start() else { return };`.
//!
//! Every operation runs `scripts/sshd.sh` (its header says what each does and what was learned
//! about OpenSSH); each server lives in its own temporary folder on its own port, so tests in one
//! binary may run in parallel. Dropping the value stops the server and removes the folder.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Where `scripts/sshd.sh install` puts the server.
const SSHD: &str = "/usr/sbin/sshd";
/// Set to 1 to skip the SFTP tests on a machine without OpenSSH's server instead of failing.
const SKIP_VAR: &str = "TALLYMAN_SKIP_SFTP";

pub struct Sshd {
    // Before `dir`, which is removed when dropped (after `Drop::drop` stopped the server).
    port: u16,
    user: String,
    uid: u32,
    gid: u32,
    dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/sshd.sh")
}

fn run_script(args: &[&str]) -> Output {
    Command::new(script())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()))
}

fn missing_sshd() -> Option<Sshd> {
    if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
        eprintln!("skipped: {SSHD} is missing and {SKIP_VAR}=1");
        return None;
    }
    panic!(
        "OpenSSH's server ({SSHD}) is missing: run `scripts/sshd.sh install` as root \
         (or set {SKIP_VAR}=1 to skip the SFTP tests)"
    );
}

impl Sshd {
    /// Starts a server. Panics with a clear message when sshd is missing (naming
    /// `scripts/sshd.sh install`), unless TALLYMAN_SKIP_SFTP=1 is set: then it returns None and
    /// prints that the test is skipped. Panics when the server cannot start, with its log.
    pub fn start() -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            return missing_sshd();
        }
        let dir = tempfile::Builder::new()
            .prefix("tallyman-sshd-")
            .tempdir()
            .expect("temporary folder for sshd");
        let out = run_script(&["start", &dir.path().to_string_lossy()]);
        if out.status.code() == Some(2) {
            return missing_sshd();
        }
        let fields = parse_start(&out, dir.path());
        let get = |k: &str| {
            fields
                .get(k)
                .unwrap_or_else(|| panic!("scripts/sshd.sh start printed no {k}"))
        };
        Some(Sshd {
            port: get("PORT").parse().expect("PORT"),
            user: get("USER").clone(),
            uid: get("UID").parse().expect("UID"),
            gid: get("GID").parse().expect("GID"),
            dir,
        })
    }

    /// The server's own folder (keys, config, log, data/).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The login user (tallyman-sftp when the tests run as root).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The folder SFTP sessions start in: an absolute path on this machine, which is also the
    /// absolute path the SFTP client uses. Owned by the login user.
    pub fn data(&self) -> PathBuf {
        self.dir().join("data")
    }

    /// `sftp://USER@127.0.0.1:PORT` and the absolute path of `path` under `data()`:
    /// `url("outgoing")` ends in `.../data/outgoing`, `url("")` in `.../data`.
    pub fn url(&self, path: &str) -> String {
        let rel = path.trim_start_matches('/');
        let p = if rel.is_empty() {
            self.data()
        } else {
            self.data().join(rel)
        };
        format!(
            "sftp://{}@127.0.0.1:{}{}",
            self.user,
            self.port,
            p.display()
        )
    }

    /// The private key allowed to log in.
    pub fn client_key(&self) -> PathBuf {
        self.dir().join("client_ed25519")
    }

    /// A private key the server does not accept.
    pub fn other_key(&self) -> PathBuf {
        self.dir().join("other_ed25519")
    }

    /// A known_hosts file with the host key the server was first started with (stale after
    /// `rekey`).
    pub fn known_hosts(&self) -> PathBuf {
        self.dir().join("known_hosts")
    }

    /// The known_hosts line for the server's current host key:
    /// `[127.0.0.1]:PORT ssh-ed25519 AAAA...`.
    pub fn host_key_line(&self) -> String {
        let pubkey = self.dir().join("host_ed25519.pub");
        let text = std::fs::read_to_string(&pubkey)
            .unwrap_or_else(|e| panic!("{}: {e}", pubkey.display()));
        let mut words = text.split_whitespace();
        let (kind, key) = (words.next().expect("key type"), words.next().expect("key"));
        format!("[127.0.0.1]:{} {kind} {key}", self.port)
    }

    /// Creates `rel` (and its parents) under `data()`, owned by the login user.
    pub fn mkdir(&self, rel: &str) {
        let mut p = self.data();
        for c in Path::new(rel).components() {
            match c {
                Component::Normal(name) => p.push(name),
                Component::CurDir => continue,
                _ => panic!("mkdir wants a relative path under data(), not {rel:?}"),
            }
            if !p.is_dir() {
                std::fs::create_dir(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                self.chown_user(&p);
            }
        }
    }

    /// Writes a file `rel` under `data()` (parents made), owned by the login user.
    pub fn put(&self, rel: &str, bytes: &[u8]) {
        if let Some(parent) = Path::new(rel).parent() {
            self.mkdir(&parent.to_string_lossy());
        }
        let p = self.data().join(rel);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        self.chown_user(&p);
    }

    /// Gives `path` to the login user (who is the caller when the tests do not run as root).
    pub fn chown_user(&self, path: &Path) {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }

    fn run(&self, cmd: &str) -> Output {
        let out = run_script(&[cmd, &self.dir().to_string_lossy()]);
        assert!(
            out.status.success(),
            "scripts/sshd.sh {cmd} failed ({}): {}\nsshd's log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        out
    }

    /// Stops the server and every open session (SIGTERM, then SIGKILL after 3 s).
    pub fn stop(&self) {
        self.run("stop");
    }

    /// Starts the stopped (or killed) server again: same port, same host key.
    pub fn start_again(&self) {
        self.run("start");
    }

    /// SIGKILLs the server and every open session: a server that dies.
    pub fn kill(&self) {
        self.run("kill");
    }

    /// SIGKILLs every open session's processes, leaving the listener up: dropped connections.
    pub fn drop_connections(&self) {
        self.run("drop");
    }

    /// Restarts the server with a new host key on the same port; `known_hosts()` is now stale.
    pub fn rekey(&self) {
        self.run("rekey");
    }

    /// The per-connection processes now (a session under way has some).
    pub fn connection_pids(&self) -> Vec<u32> {
        String::from_utf8_lossy(&self.run("connections").stdout)
            .lines()
            .map(|l| l.trim().parse().expect("pid"))
            .collect()
    }

    /// sshd's log, across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir().join("sshd.log")).unwrap_or_default()
    }

    /// OpenSSH's own client: `sftp -b -` with `batch` on stdin, logging in with `key` and
    /// checking the host strictly against `known_hosts()`.
    pub fn sftp(&self, key: &Path, batch: &str) -> Output {
        self.sftp_command(key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map(|mut child| {
                child
                    .stdin
                    .take()
                    .expect("stdin")
                    .write_all(batch.as_bytes())
                    .expect("sftp's stdin");
                child.wait_with_output().expect("sftp")
            })
            .expect("cannot run sftp (OpenSSH's client)")
    }

    /// The `sftp -b -` command `sftp` runs, for a test that wants to hold a session open.
    pub fn sftp_command(&self, key: &Path) -> Command {
        let mut cmd = Command::new("sftp");
        cmd.args(["-b", "-", "-F", "/dev/null", "-i"])
            .arg(key)
            .arg("-o")
            .arg(format!(
                "UserKnownHostsFile={}",
                self.known_hosts().display()
            ))
            .args([
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "ConnectTimeout=5",
                "-P",
            ])
            .arg(self.port.to_string())
            .arg(format!("{}@127.0.0.1", self.user));
        cmd
    }
}

/// `KEY=VALUE` lines of `scripts/sshd.sh start`; panics with its error and log on failure.
fn parse_start(out: &Output, dir: &Path) -> HashMap<String, String> {
    assert!(
        out.status.success(),
        "scripts/sshd.sh start {} failed ({}): {}",
        dir.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = run_script(&["stop", &self.dir().to_string_lossy()]);
    }
}
