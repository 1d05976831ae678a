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
//! on stderr at exit of the run. The exactly-once test uses this to stop runs at every stage;
//! `TALLYMAN_CRASH_AT=NAME` stops at the first crash point of that name (`committed`), for
//! tests of one moment. Both exist only in builds with the `crash-hooks` feature.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The folders of one work directory, and the names and permissions of what a run writes.
#[derive(Debug, Clone)]
pub struct Layout {
    pub work: PathBuf,
    pub inbox: PathBuf,
    /// Put before ERP import file names (`[output] name_prefix`).
    pub prefix: String,
    /// Permissions of staged, archived and quarantined copies and of reports.
    pub file_mode: u32,
    /// Permissions of ERP import files.
    pub erp_file_mode: u32,
    /// The channels' outbound folders (where acknowledgments are written, under temporary
    /// names until the run commits), with the channel each serves.
    pub outbound: Vec<(String, PathBuf)>,
    /// The run being written and its tag ([`run_tag`]).
    current: Option<(i64, String)>,
}

impl Layout {
    pub fn new(work: &Path, inbox: &Path) -> Self {
        Layout {
            work: work.to_owned(),
            inbox: inbox.to_owned(),
            prefix: String::new(),
            file_mode: 0o600,
            erp_file_mode: 0o640,
            outbound: Vec::new(),
            current: None,
        }
    }

    pub fn for_config(cfg: &super::settings::Config) -> Self {
        Layout {
            prefix: cfg.erp_prefix.clone(),
            file_mode: cfg.file_mode,
            erp_file_mode: cfg.erp_file_mode,
            outbound: cfg
                .channels
                .iter()
                .filter_map(|c| Some((c.id.clone(), c.outbound.clone()?)))
                .collect(),
            ..Layout::new(&cfg.work, &cfg.erp_inbox)
        }
    }

    /// The run whose files are written from now on, and when it started.
    pub fn set_run(&mut self, run: i64, started: &str) {
        self.current = Some((run, run_tag(run, started)));
    }

    /// The tag of the current run.
    pub fn tag(&self) -> &str {
        &self
            .current
            .as_ref()
            .expect("a run is set before its files are named")
            .1
    }

    /// Creates the folders, owner-only (the work directory holds partners' data).
    /// An error names the folder that could not be made and the setting that put it there.
    pub fn create(&self) -> Result<(), super::Error> {
        use super::io_err;
        for d in ["staging", "archive", "quarantine", "reports"] {
            let dir = self.work.join(d);
            crate::transport::create_private_dirs(&dir).map_err(io_err(format!(
                "creating {} in the work directory ([paths] work)",
                dir.display()
            )))?;
        }
        for (channel, d) in &self.outbound {
            // The work directory's own (an SFTP channel's outgoing folder) are owner-only;
            // a partner's local outbound folder keeps the permissions it was given.
            let made = if d.starts_with(&self.work) {
                crate::transport::create_private_dirs(d)
            } else {
                fs::create_dir_all(d)
            };
            made.map_err(io_err(format!(
                "creating channel {channel}'s outbound folder {} (channel.{channel}.outbound)",
                d.display()
            )))?;
        }
        fs::create_dir_all(&self.inbox).map_err(io_err(format!(
            "creating the ERP inbox {} ([paths] erp_inbox)",
            self.inbox.display()
        )))
    }

    pub fn staging(&self, run: i64) -> PathBuf {
        self.work.join("staging").join(run_dir(run))
    }

    pub fn archive(&self, tag: &str) -> PathBuf {
        self.work.join("archive").join(tag)
    }

    pub fn quarantine(&self, tag: &str) -> PathBuf {
        self.work.join("quarantine").join(tag)
    }

    pub fn report(&self, tag: &str) -> PathBuf {
        self.work.join("reports").join(format!("{tag}.json"))
    }

    /// Final and temporary name of an ERP import file of the current run. The temporary name
    /// starts with a dot so that an ERP polling the inbox for `run-*` files does not pick it up
    /// half written.
    pub fn output(&self, run: i64, kind: &str, ext: &str) -> (PathBuf, PathBuf) {
        let tag = match &self.current {
            Some((r, tag)) if *r == run => tag,
            _ => panic!("ERP files are named for the current run, not run {run}"),
        };
        let name = format!("{}{tag}-{kind}.{ext}", self.prefix);
        (
            self.inbox.join(&name),
            self.inbox.join(format!(".{name}.tmp")),
        )
    }

    /// Final and temporary name of an outbound document of the current run (`name` is
    /// unique among the channel's documents: it holds the channel and our control number).
    /// The temporary name starts with a dot and ends in `.tmp`, names a partner's pickup
    /// does not take, and carries the run's tag so that recovery finds what a dead run left.
    pub fn outbound_file(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        (
            dir.join(name),
            dir.join(format!(".{}{}-{name}.tmp", self.prefix, self.tag())),
        )
    }

    /// The outbound folders, each once.
    fn outbound_dirs(&self) -> Vec<&PathBuf> {
        let mut dirs: Vec<&PathBuf> = self.outbound.iter().map(|(_, d)| d).collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// Temporary ERP files and outbound documents a run (by its tag) left behind.
    pub fn temp_outputs(&self, tag: &str) -> io::Result<Vec<PathBuf>> {
        let prefix = format!(".{}{tag}-", self.prefix);
        let mut out = Vec::new();
        for dir in std::iter::once(&self.inbox).chain(self.outbound_dirs()) {
            let entries = match fs::read_dir(dir) {
                Ok(e) => e,
                // An outbound folder not made yet holds nothing.
                Err(e) if e.kind() == io::ErrorKind::NotFound && *dir != self.inbox => continue,
                Err(e) => return Err(e),
            };
            for e in entries {
                let e = e?;
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(&prefix) && name.ends_with(".tmp") {
                    out.push(e.path());
                }
            }
        }
        Ok(out)
    }

    /// What this work directory and ERP inbox hold of earlier runs, said in a few words, or
    /// `None` when they hold nothing. A ledger that is missing or empty beside such history
    /// was lost: running on would count every order again.
    pub fn history(&self) -> io::Result<Option<String>> {
        let mut found = Vec::new();
        for d in ["archive", "quarantine", "reports", "staging"] {
            let n = count_entries(&self.work.join(d), |_| true)?;
            if n > 0 {
                found.push(format!("{n} in {}", self.work.join(d).display()));
            }
        }
        let ours = format!("{}run-", self.prefix);
        let n = count_entries(&self.inbox, |name| {
            name.trim_start_matches('.').starts_with(&ours)
        })?;
        if n > 0 {
            found.push(format!(
                "{n} ERP file{} named {ours}* in {}",
                if n == 1 { "" } else { "s" },
                self.inbox.display()
            ));
        }
        // Acknowledgments sent: a new ledger would number them from 1 again, and partners
        // reject repeated control numbers.
        for (channel, dir) in &self.outbound {
            let ours = format!("{channel}-");
            let n = count_entries(dir, |name| name.starts_with(&ours))?;
            if n > 0 {
                found.push(format!(
                    "{n} document{} sent to {channel} in {}",
                    if n == 1 { "" } else { "s" },
                    dir.display()
                ));
            }
        }
        Ok((!found.is_empty()).then(|| found.join(", ")))
    }
}

fn count_entries(dir: &Path, wanted: impl Fn(&str) -> bool) -> io::Result<usize> {
    match fs::read_dir(dir) {
        Ok(rd) => {
            let mut n = 0;
            for e in rd {
                if wanted(&e?.file_name().to_string_lossy()) {
                    n += 1;
                }
            }
            Ok(n)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

fn run_dir(run: i64) -> String {
    format!("run-{run:06}")
}

/// How a run is named in file and folder names: its number and the time it started
/// (`run-000001-20261202T183512.345Z`). Run numbers come from the ledger and start again at 1 with
/// a new ledger; the time keeps the names of two ledgers' runs apart, and every name is
/// created new, so that nothing of an earlier run is ever replaced.
pub fn run_tag(run: i64, started: &str) -> String {
    // Milliseconds too: a ledger lost and replaced within a second still names its runs apart.
    let mut digits: String = started
        .chars()
        .filter(char::is_ascii_digit)
        .take(17)
        .collect();
    while digits.len() < 17 {
        digits.push('0');
    }
    let (date, rest) = digits.split_at(8);
    let (time, millis) = rest.split_at(6);
    format!("{}-{date}T{time}.{millis}Z", run_dir(run))
}

/// The run lock: held for as long as this value lives.
///
/// The lock itself is an advisory `flock` on `WORK/lock`, which the kernel lets go when the
/// holder dies however it dies. The file's contents say who holds it, one `key: value` a line
/// (`pid`, `host`, `started` in RFC 3339, `command`), so that a run that finds the lock taken
/// can name the holder and tell a run at work from one that is stuck. A run that ends empties
/// the file before letting go; a taken-over lock file that still names a holder therefore means
/// that holder was killed.
#[derive(Debug)]
pub struct Lock {
    file: File,
    /// The holder the lock file still named when this run took the lock: a run that ended
    /// without releasing it (killed, or the machine went down).
    pub left_by: Option<Holder>,
}

impl Lock {
    /// A sentence for the run report when this run took over the lock of a run that died.
    pub fn taken_over(&self) -> Option<String> {
        let h = self.left_by.as_ref()?;
        Some(format!(
            "the run lock was left by {}, which ended without releasing it (killed?); this run took it over",
            h.describe()
        ))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Emptied while still held, so that whoever takes it next sees a clean hand-over.
        let _ = self.file.set_len(0);
    }
}

/// Who holds, or held, the run lock, as the lock file says; a field it did not say is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holder {
    pub pid: Option<u32>,
    pub host: Option<String>,
    pub started: Option<jiff::Timestamp>,
    pub command: Option<String>,
}

impl Holder {
    /// This process, now.
    fn this_process() -> Holder {
        let args: Vec<String> = std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        Holder {
            pid: Some(std::process::id()),
            host: Some(this_host()),
            started: jiff::Timestamp::now().round(jiff::Unit::Second).ok(),
            command: Some(args.join(" ")),
        }
    }

    /// Reads a lock file's contents; a bare number (the format before the other keys) is a pid.
    fn parse(text: &str) -> Option<Holder> {
        let mut h = Holder::default();
        for line in text.lines() {
            let line = line.trim();
            if let Ok(pid) = line.parse() {
                h.pid = Some(pid);
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim() {
                "pid" => h.pid = value.parse().ok(),
                "host" => h.host = Some(value.to_owned()),
                "started" => h.started = value.parse().ok(),
                "command" => h.command = Some(value.to_owned()),
                _ => {}
            }
        }
        (h != Holder::default()).then_some(h)
    }

    fn to_text(&self) -> String {
        let mut s = String::new();
        if let Some(p) = self.pid {
            s += &format!("pid: {p}\n");
        }
        if let Some(h) = &self.host {
            s += &format!("host: {h}\n");
        }
        if let Some(t) = &self.started {
            s += &format!("started: {t}\n");
        }
        if let Some(c) = &self.command {
            s += &format!("command: {c}\n");
        }
        s
    }

    /// `pid 123 on HOST`, as far as known.
    fn describe(&self) -> String {
        let mut s = match self.pid {
            Some(p) => format!("pid {p}"),
            None => "a process".to_owned(),
        };
        if let Some(h) = &self.host {
            s += &format!(" on {h}");
        }
        s
    }

    /// True when the holder was a process of this host and that process is gone: `kill(pid,
    /// 0)` says there is no such process (a process of another user answers "not permitted",
    /// and counts as alive; `/proc` is not asked, since `hidepid` hides other users' processes
    /// there). For another host a holder is taken to be alive, and only the time limit applies.
    fn is_gone(&self) -> bool {
        let (Some(pid), Some(host)) = (self.pid, &self.host) else {
            return false;
        };
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        *host == this_host()
            && rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH)
    }
}

/// The run lock is taken: by whom, since when, and what that means for this run.
#[derive(Debug)]
pub struct Held {
    pub holder: Option<Holder>,
    pub lock_file: PathBuf,
    /// When it was taken: the holder's start time, or else the lock file's modification time.
    pub since: Option<jiff::Timestamp>,
    pub verdict: Verdict,
}

/// What a run that finds the lock taken makes of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Another run is at work (overlapping scheduled runs are normal): this one leaves.
    Working,
    /// Held for longer than the limit (`[run] stuck_after`): someone must look.
    Stuck {
        held_for: std::time::Duration,
        limit: std::time::Duration,
    },
    /// The holder was a process of this host that no longer exists, yet the lock is held: a
    /// process that inherited its open lock file holds it, and waiting will not help.
    Orphaned,
}

impl Held {
    /// True when this run could not do its job and someone must act (exit code 2).
    pub fn needs_attention(&self) -> bool {
        self.verdict != Verdict::Working
    }
}

impl std::fmt::Display for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let work = self.lock_file.parent().unwrap_or(Path::new(".")).display();
        let lock_file = self.lock_file.display();
        let Some(h) = &self.holder else {
            return match self.verdict {
                Verdict::Stuck { held_for, limit } => write!(
                    f,
                    "the run lock {lock_file} has been held for {} (more than run.stuck_after = {}) by a process that did not say who it is; this run did nothing: find it with `fuser -v {lock_file}`, stop it if it is stuck; the next run takes over the lock and recovers",
                    friendly(held_for),
                    friendly(limit)
                ),
                _ => write!(
                    f,
                    "another tallyman run is starting or finishing in {work}; this one does nothing"
                ),
            };
        };
        let who = h.describe();
        let since = self
            .since
            .map(|t| format!(", since {t}"))
            .unwrap_or_default();
        let command = h
            .command
            .as_ref()
            .map(|c| format!(", `{c}`"))
            .unwrap_or_default();
        match self.verdict {
            Verdict::Working => write!(
                f,
                "another tallyman run ({who}{since}{command}) is working in {work}; this one does nothing"
            ),
            Verdict::Stuck { held_for, limit } => {
                let pid = h.pid.map_or("PID".to_owned(), |p| p.to_string());
                let on_host = h
                    .host
                    .as_ref()
                    .filter(|host| **host != this_host())
                    .map(|host| format!(" on {host}"))
                    .unwrap_or_default();
                write!(
                    f,
                    "the run lock of {work} has been held for {} (more than run.stuck_after = {}) by {who}{since}{command}; this run did nothing. What to do: check process {pid}{on_host} (`ps -o pid,etime,stat,wchan,args -p {pid}`); if it is stuck, kill it (kill {pid}, then kill -9 {pid} if it stays): the next run takes over its lock and recovers its work. If it is only slow, raise run.stuck_after",
                    friendly(held_for),
                    friendly(limit),
                )
            }
            Verdict::Orphaned => write!(
                f,
                "the run lock {lock_file} is held, but the run that took it ({who}{since}{command}) no longer exists: a process that inherited its open lock file holds the lock. Find it with `fuser -v {lock_file}` (or `lsof {lock_file}`) and stop it; the next run takes over the lock and recovers the dead run's work"
            ),
        }
    }
}

/// A duration in words (`2h 5m 3s`), to the second.
fn friendly(d: std::time::Duration) -> String {
    let secs = jiff::SignedDuration::from_secs(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    format!("{secs:#}")
}

/// This machine's name, to tell our own processes from another host's (on a shared work
/// directory). Read from /proc rather than through a crate: it is all we need, and where /proc
/// is missing the liveness check it serves cannot be done anyway.
pub(crate) fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// Takes the work directory's lock, or says who holds it and whether that holder has held it
/// for longer than `stuck_after` (or is gone while the lock is still held).
pub fn lock(work: &Path, stuck_after: std::time::Duration) -> io::Result<Result<Lock, Held>> {
    use std::io::{Read, Seek};
    let path = work.join("lock");
    let mut file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {
            let mut before = String::new();
            // An unreadable leftover (not UTF-8) names no one; it is overwritten all the same.
            let _ = file.read_to_string(&mut before);
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(Holder::this_process().to_text().as_bytes())?;
            Ok(Ok(Lock {
                file,
                left_by: Holder::parse(&before),
            }))
        }
        Err(fs::TryLockError::WouldBlock) => Ok(Err(held(path, &file, stuck_after))),
        Err(fs::TryLockError::Error(e)) => Err(e),
    }
}

/// Who holds a lock that is taken.
fn held(path: PathBuf, file: &fs::File, stuck_after: std::time::Duration) -> Held {
    let holder = Holder::parse(&fs::read_to_string(&path).unwrap_or_default());
    let since = holder.as_ref().and_then(|h| h.started).or_else(|| {
        let modified = file.metadata().and_then(|m| m.modified()).ok()?;
        jiff::Timestamp::try_from(modified)
            .ok()?
            .round(jiff::Unit::Second)
            .ok()
    });
    let held_for = since.map(|t| {
        let d = jiff::Timestamp::now().duration_since(t);
        std::time::Duration::try_from(d).unwrap_or_default()
    });
    let verdict = match (&holder, held_for) {
        (Some(h), _) if h.is_gone() => Verdict::Orphaned,
        (_, Some(held_for)) if held_for > stuck_after => Verdict::Stuck {
            held_for,
            limit: stuck_after,
        },
        _ => Verdict::Working,
    };
    Held {
        holder,
        lock_file: path,
        since,
        verdict,
    }
}

/// Whether a run holds the work directory's lock, without taking it even for an instant (a
/// run starting then would leave, thinking another was at work): the kernel's table of file
/// locks (`/proc/locks`) is read for the lock file's inode. `None` when it is free, or when
/// there is no lock file or no such table.
pub fn peek_lock(work: &Path, stuck_after: std::time::Duration) -> io::Result<Option<Held>> {
    use std::os::unix::fs::MetadataExt;
    let path = work.join("lock");
    let file = match fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    let dev = meta.dev();
    // glibc's encoding of a device number.
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let wanted = format!("{major:02x}:{minor:02x}:{}", meta.ino());
    let Ok(table) = fs::read_to_string("/proc/locks") else {
        return Ok(None);
    };
    // `1: FLOCK  ADVISORY  WRITE 1234 00:2e:5678 0 EOF` (blocked waiters are marked `->`).
    let taken = table.lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(1) == Some(&"FLOCK") && f.get(5) == Some(&wanted.as_str())
    });
    Ok(taken.then(|| held(path, &file, stuck_after)))
}

/// Writes a new file durably under its final name: temp file with `mode`, fsync, then moved
/// to the final name, which must not exist (nothing is ever replaced), fsync the folder. On
/// failure the temp file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    write_atomic_with(path, mode, |w| w.write_all(bytes))
}

/// Replaces a file of our own (a run report completed after the commit) atomically: readers
/// see the old content or the new, never a part.
pub fn replace_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    write_with(
        path,
        mode,
        |w| w.write_all(bytes),
        |tmp, path| {
            fs::rename(tmp, path)?;
            sync_dir(path.parent().unwrap_or(Path::new(".")))
        },
    )
}

/// [`write_atomic`] for content written piece by piece by `write`.
pub fn write_atomic_with(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write_with(path, mode, write, move_file)
}

fn write_with(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    place: impl FnOnce(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::transport::create_private_dirs(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .map_or("out".into(), |n| n.to_string_lossy())
    ));
    // A stale one is an earlier attempt's, never a file to write through.
    let _ = fs::remove_file(&tmp);
    let written = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .and_then(|f| {
            let mut w = io::BufWriter::new(f);
            write(&mut w)?;
            w.into_inner()
                .map_err(io::IntoInnerError::into_error)?
                .sync_all()
        })
        .and_then(|()| place(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// A new folder under the system's temporary folder that only this process uses: owner-only,
/// under a random name that did not exist (a name planted in a shared /tmp is never written
/// through). It stays until the caller removes it.
pub fn private_temp_dir(prefix: &str) -> io::Result<PathBuf> {
    Ok(tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir()?
        .keep())
}

pub use crate::transport::sync_dir;

/// Moves a file to a name that must not exist yet, creating the destination's folder
/// (owner-only); a no-op when the source is gone and the destination exists (an earlier attempt
/// got that far). A destination that exists as another file is an error: nothing is replaced.
///
/// On Linux the move is one `renameat2(RENAME_NOREPLACE)`: the file appears under its new name
/// and leaves its old one at the same instant, so a kill can never leave both names (an ERP
/// that imports and deletes a published file would otherwise import it again when recovery
/// published the temporary name a second time). Where the file system refuses that flag, a
/// hard link then an unlink (the window between them is what a retry completes); where it has
/// no hard links either, a check then a plain rename (the run lock keeps other tallyman runs
/// out meanwhile). Across file systems (staging and archive on different mounts): a copy under
/// a temporary name beside the destination, moved into place, then the source removed.
pub fn move_file(from: &Path, to: &Path) -> io::Result<()> {
    let mut syncs = DirSyncs::default();
    move_file_then(from, to, &mut syncs)?;
    syncs.sync()
}

/// Directories whose entries changed, made durable later, once each: a run's completion moves
/// a thousand inputs into one archive folder with one `fsync` of it, not a thousand.
#[derive(Default)]
pub struct DirSyncs(std::collections::BTreeSet<PathBuf>);

impl DirSyncs {
    /// Notes the folder of `path`, a file moved there (now, or by a run that was stopped
    /// before its sync): it is synced by the next [`DirSyncs::sync`].
    pub fn note(&mut self, path: &Path) {
        self.0
            .insert(path.parent().unwrap_or(Path::new(".")).to_path_buf());
    }

    /// Makes every directory noted so far durable. One that fails stays noted, with those
    /// not reached yet.
    pub fn sync(&mut self) -> io::Result<()> {
        while let Some(dir) = self.0.first().cloned() {
            sync_dir(&dir).map_err(|e| {
                io::Error::new(e.kind(), format!("syncing folder {}: {e}", dir.display()))
            })?;
            self.0.remove(&dir);
        }
        Ok(())
    }
}

/// [`move_file`], leaving the destination directory to `syncs`: the move is durable once
/// [`DirSyncs::sync`] returns. A move across file systems is durable when this returns.
pub fn move_file_then(from: &Path, to: &Path, syncs: &mut DirSyncs) -> io::Result<()> {
    if !from.exists() && to.exists() {
        // Moved by a run stopped before its sync: synced now.
        syncs.note(to);
        return Ok(());
    }
    let dir = to.parent().unwrap_or(Path::new("."));
    crate::transport::create_private_dirs(dir)?;
    let refused = |r: &io::Result<()>, codes: &[i32]| {
        r.as_ref()
            .is_err_and(|e| e.raw_os_error().is_some_and(|c| codes.contains(&c)))
    };
    let mut moved = rename_noreplace(from, to);
    if refused(&moved, &[libc::EINVAL, libc::ENOSYS]) {
        // A hard link is a rename that cannot replace: it fails when the name exists.
        moved = fs::hard_link(from, to).and_then(|()| fs::remove_file(from));
        if refused(&moved, &[libc::EPERM, libc::EOPNOTSUPP, libc::ENOSYS]) {
            moved = if to.exists() {
                Err(exists(to))
            } else {
                fs::rename(from, to)
            };
        }
    }
    match moved {
        Ok(()) => {
            syncs.note(to);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::CrossesDevices => copy_across(from, to, dir),
        // An earlier attempt by hard link stopped before removing the source.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && same_file(from, to)? => {
            fs::remove_file(from)?;
            syncs.note(to);
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(exists(to)),
        Err(e) => Err(e),
    }
}

/// Renames, failing with `AlreadyExists` when `to` exists, atomically.
#[cfg(target_os = "linux")]
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE).map_err(io::Error::from)
}

/// Elsewhere: "not supported", so that [`move_file`] links then unlinks.
#[cfg(not(target_os = "linux"))]
fn rename_noreplace(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from_raw_os_error(libc::ENOSYS))
}

/// [`move_file`] across file systems: a copy, durable under a temporary name, moved into
/// place, then the source removed. A destination with the source's very bytes is an earlier
/// attempt's copy.
fn copy_across(from: &Path, to: &Path, dir: &Path) -> io::Result<()> {
    if to.exists() {
        if !same_content(from, to)? {
            return Err(exists(to));
        }
    } else {
        let name = to
            .file_name()
            .map_or("file".into(), |n| n.to_string_lossy());
        let tmp = dir.join(format!(".{name}.copy"));
        let _ = fs::remove_file(&tmp);
        let mut src = File::open(from)?;
        let mut dst = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(fs::metadata(from)?.permissions().mode() & 0o777)
            .open(&tmp)?;
        io::copy(&mut src, &mut dst)?;
        dst.sync_all()?;
        drop(dst);
        move_file(&tmp, to)?;
    }
    fs::remove_file(from)?;
    sync_dir(dir)
}

/// The two files hold the same bytes.
fn same_content(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut a, mut b) = (File::open(a)?, File::open(b)?);
    if a.metadata()?.len() != b.metadata()?.len() {
        return Ok(false);
    }
    let (mut x, mut y) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let n = crate::syntax::read_full(&mut a, &mut x)?;
        let m = crate::syntax::read_full(&mut b, &mut y)?;
        if n != m || x[..n] != y[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn same_file(a: &Path, b: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (fs::symlink_metadata(a)?, fs::symlink_metadata(b)?);
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}

fn exists(to: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} exists already and is never replaced; move it away if it is not this run's",
            to.display()
        ),
    )
}

/// Removes a folder tree, ignoring that it is already gone.
pub fn remove_tree(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(feature = "crash-hooks")]
static CRASH_AFTER: std::sync::OnceLock<Option<usize>> = std::sync::OnceLock::new();
#[cfg(feature = "crash-hooks")]
static CRASH_POINTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A place where the exactly-once tests may stop the process (only in builds with the
/// `crash-hooks` feature; elsewhere it does nothing).
#[cfg(feature = "crash-hooks")]
pub fn crash_point(what: &str) {
    // `TALLYMAN_CRASH_AT=NAME` stops at the first crash point of that name.
    if std::env::var("TALLYMAN_CRASH_AT").is_ok_and(|at| at == what) {
        std::process::abort();
    }
    // `TALLYMAN_PANIC_AT=NAME` panics there instead: a bug of ours, as the command meets it.
    if std::env::var("TALLYMAN_PANIC_AT").is_ok_and(|at| at == what) {
        panic!("TALLYMAN_PANIC_AT: the test hook panics at crash point {what}");
    }
    let target = *CRASH_AFTER.get_or_init(|| {
        std::env::var("TALLYMAN_CRASH_AFTER")
            .ok()
            .and_then(|v| v.parse().ok())
    });
    let Some(target) = target else { return };
    let n = CRASH_POINTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    if target != 0 && n == target {
        std::process::abort();
    }
}

/// A place where the exactly-once tests may stop the process: nothing in this build.
#[cfg(not(feature = "crash-hooks"))]
#[inline(always)]
pub fn crash_point(_what: &str) {}

/// A place where the tests make the translation of a file fail from inside (only in builds
/// with the `crash-hooks` feature): `TALLYMAN_PANIC_AT_DOCUMENT=NUMBER` panics while the
/// document of that number is prepared, in the parallel stage of its batch (or judged by
/// `tallyman check`).
#[cfg(feature = "crash-hooks")]
pub fn panic_point(document: &str) {
    static AT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let at = AT.get_or_init(|| std::env::var("TALLYMAN_PANIC_AT_DOCUMENT").ok());
    if at.as_deref() == Some(document) {
        panic!("TALLYMAN_PANIC_AT_DOCUMENT: the test hook stops at document {document}");
    }
}

/// A place where the tests make a translation fail from inside: nothing in this build.
#[cfg(not(feature = "crash-hooks"))]
#[inline(always)]
pub fn panic_point(_document: &str) {}

/// How many crash points were passed, when counting is on.
#[cfg(feature = "crash-hooks")]
pub fn crash_points_passed() -> Option<usize> {
    CRASH_AFTER
        .get()
        .copied()
        .flatten()
        .map(|_| CRASH_POINTS.load(std::sync::atomic::Ordering::SeqCst))
}

/// How many crash points were passed: never counted in this build.
#[cfg(not(feature = "crash-hooks"))]
pub fn crash_points_passed() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_seen_held_without_being_taken() {
        let d = tempfile::tempdir().unwrap();
        let hour = std::time::Duration::from_secs(3600);
        assert!(peek_lock(d.path(), hour).unwrap().is_none(), "no lock file");
        let held = lock(d.path(), hour).unwrap().unwrap();
        let seen = peek_lock(d.path(), hour).unwrap().expect("held");
        assert_eq!(seen.verdict, Verdict::Working);
        assert!(seen.holder.is_some());
        drop(held);
        assert!(peek_lock(d.path(), hour).unwrap().is_none(), "free again");
        // Looking did not take it.
        let _again = lock(d.path(), hour).unwrap().unwrap();
    }

    #[test]
    fn the_lock_is_exclusive() {
        let d = tempfile::tempdir().unwrap();
        let hour = std::time::Duration::from_secs(3600);
        let first = lock(d.path(), hour).unwrap().unwrap();
        assert_eq!(first.left_by, None);
        let second = lock(d.path(), hour).unwrap().unwrap_err();
        assert_eq!(second.verdict, Verdict::Working);
        assert_eq!(
            second.holder.as_ref().unwrap().pid,
            Some(std::process::id())
        );
        assert!(second.to_string().contains("another tallyman run (pid"));
        drop(first);
        // Released cleanly: nothing to take over.
        let third = lock(d.path(), hour).unwrap().unwrap();
        assert_eq!(third.left_by, None);
    }

    #[test]
    fn a_lock_file_that_still_names_a_holder_is_taken_over_and_named() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("lock"), "pid: 4242\nhost: elsewhere\n").unwrap();
        let l = lock(d.path(), std::time::Duration::from_secs(60))
            .unwrap()
            .unwrap();
        assert_eq!(l.left_by.as_ref().unwrap().pid, Some(4242));
        assert!(l.taken_over().unwrap().contains("pid 4242 on elsewhere"));
        let text = fs::read_to_string(d.path().join("lock")).unwrap();
        assert!(text.starts_with(&format!("pid: {}\n", std::process::id())));
        assert_eq!(Holder::parse(&text).unwrap().host, Some(this_host()));
    }

    #[test]
    fn lock_files_of_the_old_format_and_garbage_are_read() {
        assert_eq!(Holder::parse("123\n").unwrap().pid, Some(123));
        assert_eq!(Holder::parse(""), None);
        assert_eq!(Holder::parse("\u{0}zz"), None);
        let h = Holder::parse("started: 2026-12-02T18:40:40Z\ncommand: a: b\n").unwrap();
        assert_eq!(h.command.as_deref(), Some("a: b"));
        assert!(h.started.is_some() && h.pid.is_none());
    }

    #[test]
    fn moves_leave_each_folder_to_one_sync() {
        let d = tempfile::tempdir().unwrap();
        let mut syncs = DirSyncs::default();
        for (name, to) in [("a", "x/a"), ("b", "x/b"), ("c", "y/c"), ("d", "x/d")] {
            let from = d.path().join(name);
            fs::write(&from, name).unwrap();
            move_file_then(&from, &d.path().join(to), &mut syncs).unwrap();
        }
        let noted: Vec<_> = syncs.0.iter().cloned().collect();
        assert_eq!(noted, [d.path().join("x"), d.path().join("y")]);
        syncs.sync().unwrap();
        assert!(syncs.0.is_empty(), "synced once");
        assert_eq!(fs::read(d.path().join("y/c")).unwrap(), b"c");
        // A move found done (by a run stopped before its sync) is synced again.
        move_file_then(&d.path().join("a"), &d.path().join("x/a"), &mut syncs).unwrap();
        assert_eq!(syncs.0.iter().collect::<Vec<_>>(), [&d.path().join("x")]);
        syncs.sync().unwrap();
        // A folder gone before its sync is an error of the completion, not a silent loss.
        move_file_then(&d.path().join("y/c"), &d.path().join("z/c"), &mut syncs).unwrap();
        fs::remove_file(d.path().join("z/c")).unwrap();
        fs::remove_dir(d.path().join("z")).unwrap();
        let e = syncs.sync().unwrap_err();
        assert!(e.to_string().contains("syncing folder"), "{e}");
        assert_eq!(syncs.0.len(), 1, "still noted");
    }

    #[test]
    fn atomic_write_and_idempotent_move() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/b.txt");
        write_atomic(&p, b"x", 0o600).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"x");
        // Never replaced.
        assert!(write_atomic(&p, b"y", 0o600).is_err());
        assert_eq!(fs::read(&p).unwrap(), b"x");
        let to = d.path().join("c/d.txt");
        move_file(&p, &to).unwrap();
        move_file(&p, &to).unwrap();
        assert!(!p.exists() && to.exists());
        // A move onto another file refuses and leaves both.
        fs::write(&p, "other").unwrap();
        let e = move_file(&p, &to).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&to).unwrap(), b"x");
        // Interrupted between link and unlink: finished, not refused.
        let (a, b) = (d.path().join("e"), d.path().join("f/e"));
        fs::write(&a, "e").unwrap();
        fs::create_dir_all(b.parent().unwrap()).unwrap();
        fs::hard_link(&a, &b).unwrap();
        move_file(&a, &b).unwrap();
        assert!(!a.exists() && b.exists());

        let mut l = Layout::new(d.path(), &d.path().join("inbox"));
        l.create().unwrap();
        l.set_run(7, "2026-12-02T18:35:12.345Z");
        assert_eq!(l.tag(), "run-000007-20261202T183512.345Z");
        assert_eq!(
            run_tag(7, "2026-12-02T18:35:12Z"),
            "run-000007-20261202T183512.000Z"
        );
        let (fin, tmp) = l.output(7, "order", "csv");
        assert!(fin.ends_with("run-000007-20261202T183512.345Z-order.csv"));
        fs::write(&tmp, "").unwrap();
        assert_eq!(l.temp_outputs(l.tag()).unwrap(), vec![tmp]);
        assert!(
            l.temp_outputs(&run_tag(7, "2026-12-02T18:35:13Z"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_move_across_file_systems_copies_and_finishes_an_interrupted_copy() {
        let d = tempfile::tempdir().unwrap();
        let (from, to) = (d.path().join("a"), d.path().join("x/a"));
        fs::write(&from, "abc").unwrap();
        copy_across(&from, &to, &d.path().join("x")).unwrap_err(); // its folder is made by move_file
        fs::create_dir_all(d.path().join("x")).unwrap();
        copy_across(&from, &to, &d.path().join("x")).unwrap();
        assert!(!from.exists());
        assert_eq!(fs::read(&to).unwrap(), b"abc");
        // Killed after the copy was in place, before the source was removed: finished.
        fs::write(&from, "abc").unwrap();
        copy_across(&from, &to, &d.path().join("x")).unwrap();
        assert!(!from.exists());
        // Another file under the name: refused, both left.
        fs::write(&from, "abd").unwrap();
        let e = copy_across(&from, &to, &d.path().join("x")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert!(from.exists());
        assert_eq!(fs::read(&to).unwrap(), b"abc");
        // For real, where /dev/shm is another file system than the temporary folder.
        let shm = Path::new("/dev/shm");
        if let Ok(other) = tempfile::tempdir_in(shm) {
            let to = other.path().join("y/b");
            fs::write(&from, "over").unwrap();
            fs::remove_file(d.path().join("x/a")).unwrap();
            move_file(&from, &to).unwrap();
            assert!(!from.exists());
            assert_eq!(fs::read(&to).unwrap(), b"over");
            let left: Vec<_> = fs::read_dir(other.path().join("y")).unwrap().collect();
            assert_eq!(left.len(), 1, "no temporary copy left behind");
        }
    }

    #[test]
    fn a_move_never_leaves_the_file_under_both_names() {
        // Linux: one renameat2(RENAME_NOREPLACE); the old name is gone the moment the new one
        // exists (no link+unlink window a kill could stop in).
        let d = tempfile::tempdir().unwrap();
        let (from, to) = (d.path().join("t.tmp"), d.path().join("t.csv"));
        fs::write(&from, "1").unwrap();
        let ino = |p: &Path| std::os::unix::fs::MetadataExt::ino(&fs::metadata(p).unwrap());
        let before = ino(&from);
        rename_noreplace(&from, &to).unwrap();
        assert!(!from.exists());
        assert_eq!(ino(&to), before);
        fs::write(&from, "2").unwrap();
        let e = rename_noreplace(&from, &to).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&to).unwrap(), b"1");
    }

    #[test]
    fn history_is_what_earlier_runs_left() {
        let d = tempfile::tempdir().unwrap();
        let mut l = Layout::new(d.path(), &d.path().join("inbox"));
        assert_eq!(l.history().unwrap(), None);
        l.create().unwrap();
        assert_eq!(l.history().unwrap(), None);
        fs::write(d.path().join("inbox/run-000001-x-order.jsonl"), "").unwrap();
        assert!(
            l.history()
                .unwrap()
                .unwrap()
                .contains("1 ERP file named run-*")
        );
        // Another configuration's files (another prefix) are not this one's history.
        l.prefix = "east-".into();
        assert_eq!(l.history().unwrap(), None);
        fs::create_dir_all(d.path().join("archive/run-000001-x")).unwrap();
        assert!(l.history().unwrap().unwrap().contains("archive"));
    }
}
