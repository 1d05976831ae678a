//! Opening the ledger a configuration names (`[ledger] url`): the embedded SQLite file in the
//! work directory, or a PostgreSQL database that several workers share.
//!
//! Phase: at the start of `run` (for writing, as this configuration's worker) and of the
//! commands that only look (`status`, `generate`, `ledger` listings).

use super::settings::{Config, LedgerAt};
use super::{Error, io_err, with_suffix};
use crate::ledger::{Ledger, sqlite::SqliteLedger};
use std::io;
use std::path::Path;

/// Opens the ledger for a run, as this configuration's worker: a SQLite file is created
/// owner-only when missing, and its schema brought up to date.
pub fn open(cfg: &Config) -> Result<Box<dyn Ledger>, Error> {
    match &cfg.ledger {
        LedgerAt::Sqlite(path) => {
            restrict_ledger(path, cfg.file_mode)
                .map_err(io_err(format!("restricting {}", path.display())))?;
            let mut l = SqliteLedger::open(path)?;
            l.set_worker(&cfg.worker);
            Ok(Box::new(l))
        }
        LedgerAt::Postgres { url, lease } => Ok(Box::new(
            crate::ledger::postgres::PgLedger::connect(url, &cfg.worker, *lease)?,
        )),
    }
}

/// Opens the ledger to look only: nothing is written (a SQLite ledger of an older schema is
/// read from an upgraded copy). `None` when a SQLite ledger does not exist yet.
pub fn open_read_only(cfg: &Config) -> Result<Option<Box<dyn Ledger>>, Error> {
    match &cfg.ledger {
        LedgerAt::Sqlite(path) if !path.exists() => Ok(None),
        LedgerAt::Sqlite(path) => Ok(Some(Box::new(SqliteLedger::open_read_only(path)?))),
        LedgerAt::Postgres { url, .. } => Ok(Some(Box::new(
            crate::ledger::postgres::PgLedger::connect_read_only(url)?,
        ))),
    }
}

/// The ledger holds every partner's documents: owner-only, like the rest of the work directory.
/// Called before SQLite opens it: a new ledger is created here, empty, with `mode` (SQLite
/// gives the -wal and -shm files it creates the database file's permissions, so they are born
/// owner-only too); an existing one, and -wal or -shm files an earlier version left wider, are
/// narrowed.
fn restrict_ledger(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    for p in [
        path.to_path_buf(),
        with_suffix(path, "-wal"),
        with_suffix(path, "-shm"),
    ] {
        let meta = match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_file() => m,
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let current = meta.permissions().mode() & 0o777;
        if current & !mode != 0 {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(current & mode))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_ledger_and_its_wal_and_shm_files_are_owner_only_while_open() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("ledger.sqlite");
        restrict_ledger(&path, 0o600).unwrap();
        let mut l = SqliteLedger::open(&path).unwrap();
        l.begin_run("2026-12-03T08:00:00Z").unwrap();
        for f in ["ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm"] {
            assert_eq!(mode(&d.path().join(f)), 0o600, "{f}");
        }
        drop(l);
        // Left wider by an earlier version: narrowed, never widened.
        std::fs::write(d.path().join("ledger.sqlite-wal"), "").unwrap();
        std::fs::set_permissions(
            d.path().join("ledger.sqlite-wal"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        restrict_ledger(&path, 0o600).unwrap();
        assert_eq!(mode(&d.path().join("ledger.sqlite-wal")), 0o600);
        assert_eq!(mode(&path), 0o400);
    }
}
