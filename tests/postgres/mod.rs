//! A throw-away PostgreSQL server on loopback for the PostgreSQL ledger's tests: `mod postgres;`
//! in a test, then `let server = postgres::Server::start();`.
//!
//! Every operation runs `scripts/postgres.sh` (its header says what each does and what was
//! learned about PostgreSQL); each server lives in its own temporary folder on its own port, so
//! tests in one binary may run in parallel. Dropping the value stops the server (also when the
//! test panics) and removes the folder. There is no skipping: a machine without PostgreSQL
//! fails the tests, saying what to install.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Server {
    port: u16,
    password: String,
    databases: AtomicU32,
    // Last: removed after `Drop::drop` stopped the server.
    dir: tempfile::TempDir,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/postgres.sh")
}

fn run_script(args: &[&str]) -> Output {
    Command::new(script())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()))
}

impl Server {
    /// Starts a server. Panics when PostgreSQL is not installed (naming what to install) or
    /// when the server cannot start (with the script's error and the server's log).
    pub fn start() -> Server {
        let dir = tempfile::Builder::new()
            .prefix("tallyman-pg-")
            .tempdir()
            .expect("temporary folder for PostgreSQL");
        let out = run_script(&["start", &dir.path().to_string_lossy()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(2) {
            panic!(
                "PostgreSQL's server is missing: install it (apt-get install -y postgresql, or \
                 scripts/postgres.sh install as root); the script said: {stderr}"
            );
        }
        assert!(
            out.status.success(),
            "scripts/postgres.sh start {} failed ({}): {stderr}",
            dir.path().display(),
            out.status
        );
        let fields: HashMap<String, String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let get = |k: &str| {
            fields
                .get(k)
                .unwrap_or_else(|| panic!("scripts/postgres.sh start printed no {k}"))
                .clone()
        };
        Server {
            port: get("PORT").parse().expect("PORT"),
            password: get("PASSWORD"),
            databases: AtomicU32::new(0),
            dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's password (`tallyman`).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The URL of database `db`, without the password.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://tallyman@127.0.0.1:{}/{db}", self.port)
    }

    /// `url` with the password in it.
    pub fn with_password(&self, url: &str) -> String {
        url.replacen(
            "postgres://tallyman@",
            &format!("postgres://tallyman:{}@", self.password),
            1,
        )
    }

    /// A client of database `db`, as the superuser.
    pub fn client(&self, db: &str) -> ::postgres::Client {
        ::postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user("tallyman")
            .password(&self.password)
            .dbname(db)
            .connect(::postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", self.url(db)))
    }

    /// A new, empty database; its URL, without the password.
    pub fn fresh_db(&self) -> String {
        let name = format!(
            "ledger_{}",
            self.databases.fetch_add(1, Ordering::Relaxed) + 1
        );
        self.client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        self.url(&name)
    }

    /// Writes a password file (mode `mode`) with a line for this server; its path.
    pub fn pgpass(&self, mode: u32) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = self.dir.path().join(format!("pgpass-{mode:o}"));
        std::fs::write(
            &p,
            format!(
                "# written by the test\nother:1:*:*:wrong\n127.0.0.1:{}:*:tallyman:{}\n",
                self.port,
                self.password.replace('\\', "\\\\").replace(':', "\\:")
            ),
        )
        .expect("password file");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        p
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pg/log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = run_script(&["stop", &self.dir.path().to_string_lossy()]);
    }
}
