//! A drop folder on this machine.

use super::{Entry, Fetched, Inbound, copy_hashed, join_name, safe_name};
use std::io;
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

    fn list(&self) -> io::Result<Vec<Entry>> {
        if !self.root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("drop folder {} does not exist", self.root.display()),
            ));
        }
        let mut out = Vec::new();
        let walk = walkdir::WalkDir::new(&self.root)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            // Hidden directories are someone else's business (and ours: `.tallyman`).
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for e in walk {
            let e = e.map_err(io::Error::other)?;
            if !e.file_type().is_file() || in_progress(&e.file_name().to_string_lossy()) {
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
                // A name that is not UTF-8 cannot be recorded faithfully; it is reported by
                // the caller through the listing of what it could not read.
                continue;
            };
            let meta = e.metadata().map_err(io::Error::other)?;
            out.push(Entry {
                name,
                size: meta.len(),
                modified: meta.modified()?,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn stat(&self, name: &str) -> io::Result<Option<(u64, SystemTime)>> {
        match std::fs::metadata(self.path(name)?) {
            Ok(m) => Ok(Some((m.len(), m.modified()?))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn fetch(&self, name: &str, dest: &Path) -> io::Result<Fetched> {
        let mut f = std::fs::File::open(self.path(name)?)?;
        copy_hashed(&mut f, dest)
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
        let names: Vec<_> = l.list().unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["a.edi", "b.edi", "sub/c.csv"]);
        let dest = d.path().join("staged");
        let f = l.fetch("sub/c.csv", &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"sub/c.csv");
        // Changed content under the same name is not removed.
        std::fs::write(d.path().join("sub/c.csv"), "new").unwrap();
        let origin = l.origin("sub/c.csv");
        assert!(!super::super::remove_at(&origin, &f.sha256).unwrap());
        assert!(super::super::remove_at(&origin, &super::super::sha256_bytes(b"new")).unwrap());
        assert!(l.stat("sub/c.csv").unwrap().is_none());
        assert!(l.fetch("../etc", &dest).is_err());
    }
}
