//! A drop folder on this machine.

use super::{
    Entry, Fetched, Inbound, Listing, fetch_file, join_name, kind_of, printable_bytes, safe_name,
};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A local folder, walked recursively.
#[derive(Debug, Clone)]
pub struct LocalFolder {
    root: PathBuf,
}

impl LocalFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalFolder { root: root.into() }
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        safe_name(name)
            .map(|n| join_name(&self.root, n))
            .ok_or_else(|| io::Error::other(format!("unsafe file name '{name}'")))
    }
}

/// Names that are in the middle of being written by convention, or hidden.
pub(crate) fn in_progress(file_name: &str) -> bool {
    file_name.starts_with('.')
        || [".tmp", ".part", ".filepart"]
            .iter()
            .any(|s| file_name.to_ascii_lowercase().ends_with(s))
}

impl Inbound for LocalFolder {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn list(&self) -> io::Result<Listing> {
        if !self.root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("drop folder {} does not exist", self.root.display()),
            ));
        }
        let mut out = Listing::default();
        let shown = |p: &Path| {
            use std::os::unix::ffi::OsStrExt;
            let rel = p.strip_prefix(&self.root).unwrap_or(p);
            printable_bytes(rel.as_os_str().as_bytes())
        };
        let walk = walkdir::WalkDir::new(&self.root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            // Hidden directories are someone else's business (and ours: `.tallyman`).
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for e in walk {
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    // One folder we may not read skips that folder, not the channel.
                    let Some(p) = err.path() else {
                        return Err(io::Error::other(err));
                    };
                    if p == self.root {
                        return Err(io::Error::other(err));
                    }
                    let why = err
                        .io_error()
                        .map_or_else(|| err.to_string(), |io| io.to_string());
                    out.problems.push(format!(
                        "{} cannot be read ({why}); it is skipped, the rest of the folder is read",
                        shown(p)
                    ));
                    continue;
                }
            };
            let t = e.file_type();
            if t.is_dir() || in_progress(&e.file_name().to_string_lossy()) {
                continue;
            }
            if !t.is_file() {
                out.problems.push(format!(
                    "{} is {}, not a regular file; it is left where it is",
                    shown(e.path()),
                    kind_of(&t)
                ));
                continue;
            }
            let rel = e
                .path()
                .strip_prefix(&self.root)
                .map_err(io::Error::other)?;
            let Some(name) = rel
                .to_str()
                .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
            else {
                // Names are recorded in the ledger, reports and ERP files as text.
                out.problems.push(format!(
                    "{} has a name that is not UTF-8; it is left where it is: rename it to be read",
                    shown(e.path())
                ));
                continue;
            };
            let meta = match e.metadata() {
                Ok(m) => m,
                // Gone between the listing and the look: the next run lists again.
                Err(_) => continue,
            };
            out.entries.push(Entry {
                name,
                size: meta.len(),
                modified: meta.modified()?,
                changed: SystemTime::UNIX_EPOCH
                    + std::time::Duration::new(
                        u64::try_from(meta.ctime()).unwrap_or(0),
                        u32::try_from(meta.ctime_nsec()).unwrap_or(0),
                    ),
                dev: meta.dev(),
                ino: meta.ino(),
            });
        }
        out.entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn stat(&self, name: &str) -> io::Result<Option<(u64, SystemTime)>> {
        match std::fs::symlink_metadata(self.path(name)?) {
            Ok(m) => Ok(Some((m.len(), m.modified()?))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn fetch(
        &self,
        name: &str,
        listed: Option<&Entry>,
        dest: &Path,
        mode: u32,
    ) -> io::Result<Fetched> {
        fetch_file(&self.path(name)?, listed, dest, mode)
    }

    fn origin(&self, name: &str) -> String {
        join_name(&self.root, name).display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_recursively_sorted_and_skips_uploads_in_progress() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "b.edi",
            "a.edi",
            "sub/c.csv",
            ".hidden",
            "x.part",
            ".dir/y.edi",
            "z.TMP",
        ] {
            let p = d.path().join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, n).unwrap();
        }
        let l = LocalFolder::new(d.path());
        let listing = l.list().unwrap();
        assert!(listing.problems.is_empty(), "{:?}", listing.problems);
        let names: Vec<_> = listing.entries.iter().map(|e| e.name.clone()).collect();
        assert_eq!(names, ["a.edi", "b.edi", "sub/c.csv"]);
        let dest = d.path().join("staged");
        let f = l
            .fetch("sub/c.csv", Some(&listing.entries[2]), &dest, 0o600)
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"sub/c.csv");
        // Changed content under the same name is not removed.
        std::fs::write(d.path().join("sub/c.csv"), "new").unwrap();
        let origin = l.origin("sub/c.csv");
        assert!(!super::super::remove_at(&origin, &f.sha256).unwrap());
        assert!(super::super::remove_at(&origin, &super::super::sha256_bytes(b"new")).unwrap());
        assert!(l.stat("sub/c.csv").unwrap().is_none());
        assert!(l.fetch("../etc", None, &d.path().join("x"), 0o600).is_err());
    }
}
