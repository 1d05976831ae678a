//! The work directory: its layout, the run lock, durable file operations and crash points.
//!
//! ```text
//! WORK/lock                          held by the running `tallyman run`
//! WORK/ledger.sqlite                 the ledger (unless [ledger] url says otherwise)
//! WORK/staging/run-N/                inputs copied from the drop folders, spools, reports
//! WORK/archive/run-N/CHANNEL/NAME    inputs whose documents were all accepted or duplicates
//! WORK/quarantine/run-N/CHANNEL/NAME inputs with a rejected or conflicting document,
//!                                    with NAME.report.json and NAME.report.txt beside them
//! WORK/reports/run-N.json            the run report
//! INBOX/run-N-KIND.jsonl|csv         ERP import files (written as .run-N-KIND.EXT.tmp first)
//! ```
//!
//! Crash points: the environment variable `TALLYMAN_CRASH_AFTER=N` makes the process abort
//! (no unwinding, no flushing: as close to `kill -9` as a process can do to itself) when it
//! reaches its N-th crash point. `TALLYMAN_CRASH_AFTER=0` only counts them and prints the count
//! on stderr at exit of the run. The exactly-once test uses this to stop runs at every stage.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The folders of one work directory.
#[derive(Debug, Clone)]
pub struct Layout {
    pub work: PathBuf,
    pub inbox: PathBuf,
}

impl Layout {
    pub fn new(work: &Path, inbox: &Path) -> Self {
        Layout {
            work: work.to_owned(),
            inbox: inbox.to_owned(),
        }
    }

    pub fn create(&self) -> io::Result<()> {
        for d in ["staging", "archive", "quarantine", "reports"] {
            fs::create_dir_all(self.work.join(d))?;
        }
        fs::create_dir_all(&self.inbox)
    }

    pub fn staging(&self, run: i64) -> PathBuf {
        self.work.join("staging").join(run_dir(run))
    }

    pub fn archive(&self, run: i64) -> PathBuf {
        self.work.join("archive").join(run_dir(run))
    }

    pub fn quarantine(&self, run: i64) -> PathBuf {
        self.work.join("quarantine").join(run_dir(run))
    }

    pub fn report(&self, run: i64) -> PathBuf {
        self.work
            .join("reports")
            .join(format!("{}.json", run_dir(run)))
    }

    /// Final and temporary name of an ERP import file. The temporary name starts with a dot
    /// so that an ERP polling the inbox for `run-*` files does not pick it up half written.
    pub fn output(&self, run: i64, kind: &str, ext: &str) -> (PathBuf, PathBuf) {
        let name = format!("{}-{kind}.{ext}", run_dir(run));
        (
            self.inbox.join(&name),
            self.inbox.join(format!(".{name}.tmp")),
        )
    }

    /// Temporary ERP files a run left behind.
    pub fn temp_outputs(&self, run: i64) -> io::Result<Vec<PathBuf>> {
        let prefix = format!(".{}-", run_dir(run));
        let mut out = Vec::new();
        for e in fs::read_dir(&self.inbox)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) && name.ends_with(".tmp") {
                out.push(e.path());
            }
        }
        Ok(out)
    }
}

fn run_dir(run: i64) -> String {
    format!("run-{run:06}")
}

/// The run lock: held for as long as this value lives.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

/// Takes the work directory's lock, or says who holds it.
pub fn lock(work: &Path) -> io::Result<Result<Lock, String>> {
    let path = work.join("lock");
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            writeln!(file, "{}", std::process::id())?;
            Ok(Ok(Lock { _file: file }))
        }
        Err(fs::TryLockError::WouldBlock) => {
            let holder = fs::read_to_string(&path).unwrap_or_default();
            Ok(Err(format!(
                "another tallyman run (pid {}) is working in {}; this one does nothing",
                holder.trim(),
                work.display()
            )))
        }
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Writes a file durably under its final name: temp file, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map_or("out".into(), |n| n.to_string_lossy())
    ));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, path)?;
    sync_dir(dir)
}

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Moves a file, creating the destination's folder; a no-op when the source is gone and the
/// destination exists (an earlier attempt got that far).
pub fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    if !from.exists() && to.exists() {
        return Ok(());
    }
    let dir = to.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    match fs::rename(from, to) {
        Ok(()) => {}
        // Staging and archive may sit on different file systems.
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => {
            fs::copy(from, to)?;
            File::open(to)?.sync_all()?;
            fs::remove_file(from)?;
        }
        Err(e) => return Err(e),
    }
    sync_dir(dir)
}

/// Removes a folder tree, ignoring that it is already gone.
pub fn remove_tree(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

static CRASH_AFTER: OnceLock<Option<usize>> = OnceLock::new();
static CRASH_POINTS: AtomicUsize = AtomicUsize::new(0);

/// A place where the exactly-once test may stop the process.
pub fn crash_point(_what: &str) {
    let target = *CRASH_AFTER.get_or_init(|| {
        std::env::var("TALLYMAN_CRASH_AFTER")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    let Some(target) = target else { return };
    let n = CRASH_POINTS.fetch_add(1, Ordering::SeqCst) + 1;
    if target != 0 && n == target {
        std::process::abort();
    }
}

/// How many crash points were passed, when counting is on.
pub fn crash_points_passed() -> Option<usize> {
    CRASH_AFTER
        .get()
        .copied()
        .flatten()
        .map(|_| CRASH_POINTS.load(Ordering::SeqCst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_exclusive() {
        let d = tempfile::tempdir().unwrap();
        let first = lock(d.path()).unwrap().unwrap();
        let second = lock(d.path()).unwrap();
        assert!(second.unwrap_err().contains("another tallyman run"));
        drop(first);
        assert!(lock(d.path()).unwrap().is_ok());
    }

    #[test]
    fn atomic_write_and_idempotent_move() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/b.txt");
        write_atomic(&p, b"x").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"x");
        let to = d.path().join("c/d.txt");
        move_file(&p, &to).unwrap();
        move_file(&p, &to).unwrap();
        assert!(!p.exists() && to.exists());
        let l = Layout::new(d.path(), &d.path().join("inbox"));
        l.create().unwrap();
        let (fin, tmp) = l.output(7, "order", "csv");
        assert!(fin.ends_with("run-000007-order.csv"));
        fs::write(&tmp, "").unwrap();
        assert_eq!(l.temp_outputs(7).unwrap(), vec![tmp]);
        assert!(l.temp_outputs(8).unwrap().is_empty());
    }
}
