//! Transports: where a channel's files come from.
//!
//! Phase: acquire. A transport lists a drop folder, copies a file into the run's staging
//! directory (hashing it on the way), and removes it once the run that read it has committed.
//! [`local::LocalFolder`] is a folder on this machine; an SFTP transport implements the same
//! trait.
//!
//! Names are always relative, `/`-separated and checked by [`safe_name`], so that nothing a
//! partner names can escape the staging directory.

pub mod local;

use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A file waiting in a drop folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the drop folder, `/`-separated.
    pub name: String,
    pub size: u64,
    pub modified: SystemTime,
}

/// A file copied into staging.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub size: u64,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

/// Where one channel's inbound files arrive.
pub trait Inbound: Send + Sync {
    /// For messages: the folder or URL.
    fn describe(&self) -> String;
    /// Files waiting, sorted by name. Hidden files and names ending in `.tmp`, `.part` or
    /// `.filepart` (uploads in progress by convention) are not listed.
    fn list(&self) -> io::Result<Vec<Entry>>;
    /// Size and modification time of one file now, or `None` when it is gone.
    fn stat(&self, name: &str) -> io::Result<Option<(u64, SystemTime)>>;
    /// Copies a file to `dest` (created, fsynced) and hashes it.
    fn fetch(&self, name: &str, dest: &Path) -> io::Result<Fetched>;
    /// Where a file is, as recorded in the ledger and understood by [`remove_at`].
    fn origin(&self, name: &str) -> String;
}

/// Removes an input after its run committed, but only if it still has the content that was
/// read (a partner may have dropped a new file under the same name since). Returns whether it
/// removed something. `origin` is what [`Inbound::origin`] gave: a local path for now; remote
/// transports add their scheme here, so that recovery can finish a run from the ledger alone.
pub fn remove_at(origin: &str, sha256: &str) -> io::Result<bool> {
    let p = Path::new(origin);
    match sha256_file(p) {
        Ok(h) if h == sha256 => {
            std::fs::remove_file(p)?;
            if let Some(dir) = p.parent() {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(true)
        }
        Ok(_) => Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Checks a partner-supplied relative name: no absolute paths, no `..`, no empty or `.`
/// components, no backslashes or NUL. Returns the name when it is safe.
pub fn safe_name(name: &str) -> Option<&str> {
    if name.is_empty() || name.starts_with('/') || name.contains(['\\', '\0']) {
        return None;
    }
    name.split('/')
        .all(|c| !c.is_empty() && c != "." && c != "..")
        .then_some(name)
}

/// Copies `src` to a new file at `dest`, fsyncs it and returns its size and SHA-256.
pub fn copy_hashed(src: &mut dyn Read, dest: &Path) -> io::Result<Fetched> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = std::fs::File::create(dest)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        size += n as u64;
    }
    out.sync_all()?;
    Ok(Fetched {
        size,
        sha256: hex(&hasher.finalize()),
    })
}

/// SHA-256 of a file's content, lowercase hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut f, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Joins a safe relative name onto a directory.
pub fn join_name(dir: &Path, name: &str) -> PathBuf {
    name.split('/').fold(dir.to_path_buf(), |p, c| p.join(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\..\\b",
            "a\0",
        ] {
            assert_eq!(safe_name(bad), None, "{bad:?}");
        }
        for good in ["a.edi", "sub/a.edi", "..a", "a..b/c"] {
            assert_eq!(safe_name(good), Some(good));
        }
    }

    #[test]
    fn hashes_while_copying() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x/y.edi");
        let f = copy_hashed(&mut &b"abc"[..], &dest).unwrap();
        assert_eq!(f.size, 3);
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_file(&dest).unwrap(), f.sha256);
        assert_eq!(sha256_bytes(b"abc"), f.sha256);
    }
}
