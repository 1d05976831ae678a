//! A drop folder on a partner's SFTP server: listing, downloading, and removing what a
//! committed run read.
//!
//! Remote names are checked before they become local names: a name with `/`, a control
//! character, `.` or `..`, one that is not UTF-8 or longer than 255 bytes is reported and left
//! where it is. Links are never followed (the listing's attributes are the server's `lstat`),
//! and a file is downloaded only if it is still the regular file of the size and time that
//! were listed, and did not change while it was read. SFTP has no inode numbers, so "the same
//! file" is its size and modification time here, and its content hash when it is removed.

use super::{Conn, Error, Location, NO_SUCH_FILE, Server, p};
use crate::transport::local::in_progress;
use crate::transport::{Entry, Fetched, Inbound, Listing, copy_hashed_sized, printable};
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Folders deeper than this under the drop folder are not walked (a loop of folders the
/// server shows would otherwise never end).
const MAX_DEPTH: usize = 8;
/// The longest file name most file systems take.
const MAX_NAME: usize = 255;

/// The read size: large requests are what make SFTP fast (32 KiB halves the throughput).
pub(crate) const CHUNK: usize = 1 << 20;

/// One channel's remote drop folder.
#[derive(Debug, Clone)]
pub struct SftpFolder {
    pub server: Arc<Server>,
    pub location: Location,
    /// Where processed files go instead of being deleted (`remote_archive`), absolute.
    pub archive: Option<String>,
}

impl SftpFolder {
    pub fn new(server: Arc<Server>, location: Location, archive: Option<String>) -> Self {
        SftpFolder {
            server,
            location,
            archive,
        }
    }

    fn name_of(&self) -> String {
        self.server.name()
    }

    /// After the run that read it committed: removes the file (or moves it to the remote
    /// archive) if it still has the content that was read. Returns whether it did.
    ///
    /// The file is first renamed aside to a hidden name, so that a partner writing a new file
    /// under the same name meanwhile is not touched; then its content is hashed; a file that is
    /// not what was read is renamed back. Every step can be done again, so a run killed in the
    /// middle is finished by the next one.
    pub fn remove(&self, name: &str, sha256: &str) -> Result<bool, Error> {
        let path = self.location.join(name);
        let aside = aside_name(&path, sha256);
        let server = self.name_of();
        let base = name.rsplit('/').next().unwrap_or(name);
        self.server.with(|c| {
            // Where it goes is settled before it moves: a failure here leaves it in place.
            let target = match &self.archive {
                Some(dir) => {
                    make_dirs(c, &server, dir)?;
                    Some(free_name(c, &server, dir, base)?)
                }
                None => None,
            };
            if !exists(c, &server, &aside)? {
                match c.sftp.lstat(p(&path)) {
                    Ok(st) if st.file_type() == ssh2::FileType::RegularFile => {}
                    // Gone (removed by an earlier attempt, or taken), or no longer a file.
                    Ok(_) => return Ok(false),
                    Err(e) if is_code(&e, NO_SUCH_FILE) => return Ok(false),
                    Err(e) => return Err(Error::remote(&server, format!("looking at {path}"), e)),
                }
                c.sftp
                    .rename(p(&path), p(&aside), Some(NO_REPLACE))
                    .map_err(|e| Error::remote(&server, format!("moving {path} aside"), e))?;
            }
            let done = (|| {
                if hash_remote(c, &server, &aside)? != sha256 {
                    // Not the file that was read: a new one came under its name.
                    return Ok(false);
                }
                match &target {
                    Some(t) => c
                        .sftp
                        .rename(p(&aside), p(t), Some(NO_REPLACE))
                        .map_err(|e| Error::remote(&server, format!("moving {path} to {t}"), e))?,
                    None => c
                        .sftp
                        .unlink(p(&aside))
                        .map_err(|e| Error::remote(&server, format!("removing {path}"), e))?,
                }
                Ok(true)
            })();
            if !matches!(done, Ok(true)) {
                // Back under its name for the next run (which lists and restores it, should
                // this fail too).
                let _ = put_back(c, &server, &aside, &path);
            }
            done
        })
    }

    /// Files an interrupted removal left hidden (`.NAME.HASH.tallyman-done`) are put back
    /// under their names, so that they are read again (recognized as received, and removed) or,
    /// when a partner's new file took the name meanwhile, reported.
    fn restore(
        &self,
        c: &Conn,
        dir: &str,
        mut items: Vec<(Vec<u8>, ssh2::FileStat)>,
        out: &mut Listing,
    ) -> Result<Vec<(Vec<u8>, ssh2::FileStat)>, Error> {
        let server = self.name_of();
        for item in &mut items {
            let Some(base) = aside_of(&item.0) else {
                continue;
            };
            let hidden = format!("{dir}/{}", String::from_utf8_lossy(&item.0));
            let path = format!("{dir}/{base}");
            if put_back(c, &server, &hidden, &path)? {
                item.0 = base.as_bytes().to_vec();
            } else {
                out.problems.push(format!(
                    "{hidden} is a file tallyman moved aside while removing {base} after a run, and a new {base} arrived since; both are left: look at them"
                ));
            }
        }
        Ok(items)
    }

    fn walk(
        &self,
        c: &Conn,
        dir: &str,
        prefix: &str,
        depth: usize,
        out: &mut Listing,
    ) -> Result<(), Error> {
        let server = self.name_of();
        let items = match read_dir(c, &server, dir) {
            Ok(i) => i,
            Err(e) if depth > 0 && !e.transient() => {
                // One folder we may not read skips that folder, not the channel.
                out.problems.push(format!(
                    "{prefix} cannot be read ({e}); it is skipped, the rest of the folder is read"
                ));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut items = self.restore(c, dir, items, out)?;
        items.sort_by(|a, b| a.0.cmp(&b.0));
        for (raw, st) in items {
            let name = match remote_name(&raw) {
                Ok(Some(n)) => n,
                Ok(None) => continue,
                Err(why) => {
                    out.problems.push(format!(
                        "{prefix}{} {why}; it is left where it is: rename it to be read",
                        crate::transport::printable_bytes(cut_bytes(&raw, 80))
                    ));
                    continue;
                }
            };
            let rel = format!("{prefix}{name}");
            match st.file_type() {
                ssh2::FileType::Directory => {
                    if depth + 1 >= MAX_DEPTH {
                        out.problems.push(format!(
                            "{rel} is more than {MAX_DEPTH} folders deep; it is not read"
                        ));
                    } else {
                        self.walk(
                            c,
                            &format!("{dir}/{name}"),
                            &format!("{rel}/"),
                            depth + 1,
                            out,
                        )?;
                    }
                }
                ssh2::FileType::RegularFile => {
                    if in_progress(name) {
                        continue;
                    }
                    let modified = time(st.mtime);
                    out.entries.push(Entry {
                        name: rel,
                        size: st.size.unwrap_or(0),
                        modified,
                        // SFTP gives no inode change time nor inode numbers.
                        changed: modified,
                        dev: 0,
                        ino: 0,
                    });
                }
                t => out.problems.push(format!(
                    "{} is {}, not a regular file; it is left where it is",
                    printable(&rel),
                    kind(&t)
                )),
            }
        }
        Ok(())
    }
}

/// A name a server listed, checked before it becomes a local name: `Ok(None)` for names
/// passed over in silence (`.`, `..`, hidden names), an error sentence for a name that cannot
/// be one (not UTF-8, a `/`, a control character, longer than 255 bytes).
pub fn remote_name(raw: &[u8]) -> Result<Option<&str>, String> {
    if raw.is_empty() || raw.starts_with(b".") {
        return Ok(None);
    }
    let name = std::str::from_utf8(raw).map_err(|_| "has a name that is not UTF-8".to_owned())?;
    if name.contains('/') || name.chars().any(char::is_control) {
        return Err("has a name with a control character or '/'".into());
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "has a name of {} bytes, longer than {MAX_NAME}",
            name.len()
        ));
    }
    Ok(Some(name))
}

fn cut_bytes(b: &[u8], max: usize) -> &[u8] {
    &b[..b.len().min(max)]
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Rename flags that never replace: SFTP version 3 servers (OpenSSH) ignore flags and refuse
/// to rename onto an existing name; a later-version server is asked not to replace.
pub(crate) const NO_REPLACE: ssh2::RenameFlags =
    ssh2::RenameFlags::ATOMIC.union(ssh2::RenameFlags::NATIVE);

/// A folder's entries as the server names them (raw bytes: a hostile server's name with a `/`
/// is seen as such, not cut to its last component).
fn read_dir(c: &Conn, server: &str, dir: &str) -> Result<Vec<(Vec<u8>, ssh2::FileStat)>, Error> {
    use std::os::unix::ffi::OsStringExt;
    let mut handle = c
        .sftp
        .opendir(p(dir))
        .map_err(|e| Error::remote(server, format!("listing {dir}"), e))?;
    let mut items = Vec::new();
    loop {
        match handle.readdir() {
            Ok((name, st)) => items.push((name.into_os_string().into_vec(), st)),
            // libssh2's "no more files".
            Err(e) if matches!(e.code(), ssh2::ErrorCode::Session(-16)) => break,
            Err(e) => return Err(Error::remote(server, format!("listing {dir}"), e)),
        }
    }
    Ok(items)
}

/// Renames a file moved aside back to its name, unless that name was taken meanwhile.
fn put_back(c: &Conn, server: &str, aside: &str, path: &str) -> Result<bool, Error> {
    if exists(c, server, path)? {
        return Ok(false);
    }
    c.sftp
        .rename(p(aside), p(path), Some(NO_REPLACE))
        .map_err(|e| Error::remote(server, format!("putting back {path}"), e))?;
    Ok(true)
}

/// The name a file moved aside by [`aside_name`] had, when `hidden` is one.
fn aside_of(hidden: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(hidden).ok()?;
    let rest = s.strip_prefix('.')?.strip_suffix(".tallyman-done")?;
    let (base, tag) = rest.rsplit_once('.')?;
    (tag.len() == 12 && tag.bytes().all(|b| b.is_ascii_hexdigit()) && !base.is_empty())
        .then_some(base)
}

fn time(mtime: Option<u64>) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(mtime.unwrap_or(0))
}

fn kind(t: &ssh2::FileType) -> &'static str {
    match t {
        ssh2::FileType::Symlink => "a symbolic link (links are never followed)",
        ssh2::FileType::NamedPipe => "a FIFO (named pipe)",
        ssh2::FileType::Socket => "a socket",
        ssh2::FileType::BlockDevice | ssh2::FileType::CharDevice => "a device",
        _ => "not a file",
    }
}

pub(crate) fn is_code(e: &ssh2::Error, code: i32) -> bool {
    matches!(e.code(), ssh2::ErrorCode::SFTP(c) if c == code)
}

/// Whether a remote path exists (as anything; links not followed).
pub(crate) fn exists(c: &Conn, server: &str, path: &str) -> Result<bool, Error> {
    match c.sftp.lstat(p(path)) {
        Ok(_) => Ok(true),
        Err(e) if is_code(&e, NO_SUCH_FILE) => Ok(false),
        Err(e) => Err(Error::remote(server, format!("looking at {path}"), e)),
    }
}

/// The hidden name a file is moved to while it is removed.
fn aside_name(path: &str, sha256: &str) -> String {
    let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
    let tag = &sha256[..sha256.len().min(12)];
    // Within 255 bytes whatever the name.
    let base = cut(base, 200);
    format!("{dir}/.{base}.{tag}.tallyman-done")
}

/// Creates a remote folder and its missing parents (the remote archive is ours to make).
fn make_dirs(c: &Conn, server: &str, dir: &str) -> Result<(), Error> {
    let mut path = String::new();
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        path.push('/');
        path.push_str(part);
        if !exists(c, server, &path)? {
            c.sftp
                .mkdir(p(&path), 0o750)
                .map_err(|e| Error::remote(server, format!("creating {path}"), e))?;
        }
    }
    Ok(())
}

/// `dir/name`, or `dir/name~2`, ... when taken (the archive keeps every file).
fn free_name(c: &Conn, server: &str, dir: &str, name: &str) -> Result<String, Error> {
    let base = format!("{}/{name}", dir.trim_end_matches('/'));
    let mut candidate = base.clone();
    for n in 2..10_000 {
        if !exists(c, server, &candidate)? {
            return Ok(candidate);
        }
        candidate = format!("{base}~{n}");
    }
    Err(Error::ours(
        server,
        format!("archiving {name}"),
        format!("{dir} holds 10,000 files of that name"),
    ))
}

fn hash_remote(c: &Conn, server: &str, path: &str) -> Result<String, Error> {
    let mut f = c
        .sftp
        .open(p(path))
        .map_err(|e| Error::remote(server, format!("opening {path}"), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| io_remote(c, server, format!("reading {path}"), e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// An I/O error from a remote file's `Read`/`Write`. ssh2 keeps only the message of its own
/// error there, so the connection is asked: if it still answers, the error was a status the
/// server sent (disk full, permission denied; not worth retrying), else the connection failed
/// (retried).
pub(crate) fn io_remote(c: &Conn, server: &str, what: String, e: io::Error) -> Error {
    let code = if e.kind() == io::ErrorKind::TimedOut {
        super::Code::Session(-9)
    } else {
        match c.sftp.lstat(Path::new("/")).map_err(|e| e.code()) {
            Ok(_) | Err(ssh2::ErrorCode::SFTP(_)) => super::Code::Sftp(4),
            Err(ssh2::ErrorCode::Session(code)) => super::Code::Session(code),
        }
    };
    Error::Remote {
        server: server.to_owned(),
        what,
        why: e.to_string(),
        code,
    }
}

impl Inbound for SftpFolder {
    fn describe(&self) -> String {
        self.location.to_string()
    }

    fn list(&self) -> io::Result<Listing> {
        let root = self.location.path.clone();
        Ok(self.server.with(|c| {
            let mut out = Listing::default();
            self.walk(c, &root, "", 0, &mut out)?;
            out.entries.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(out)
        })?)
    }

    fn stat(&self, name: &str) -> io::Result<Option<(u64, SystemTime)>> {
        let path = self.location.join(name);
        let server = self.name_of();
        Ok(self.server.with(|c| match c.sftp.lstat(p(&path)) {
            Ok(st) => Ok(Some((st.size.unwrap_or(0), time(st.mtime)))),
            Err(e) if is_code(&e, NO_SUCH_FILE) => Ok(None),
            Err(e) => Err(Error::remote(&server, format!("looking at {path}"), e)),
        })?)
    }

    fn fetch(
        &self,
        name: &str,
        listed: Option<&Entry>,
        dest: &Path,
        mode: u32,
    ) -> io::Result<Fetched> {
        if crate::transport::safe_name(name).is_none() {
            return Err(io::Error::other(format!(
                "unsafe file name '{}'",
                printable(name)
            )));
        }
        let path = self.location.join(name);
        let server = self.name_of();
        Ok(self.server.with(|c| {
            let changed = |why: &str| {
                Error::ours(
                    &server,
                    format!("reading {path}"),
                    format!("{why}; it is read on the next run"),
                )
            };
            let before = c
                .sftp
                .lstat(p(&path))
                .map_err(|e| Error::remote(&server, format!("looking at {path}"), e))?;
            if before.file_type() != ssh2::FileType::RegularFile {
                return Err(changed(&format!("it is now {}", kind(&before.file_type()))));
            }
            if let Some(l) = listed
                && (before.size != Some(l.size) || time(before.mtime) != l.modified)
            {
                return Err(changed("it changed after it was listed"));
            }
            let mut f = c
                .sftp
                .open(p(&path))
                .map_err(|e| Error::remote(&server, format!("opening {path}"), e))?;
            // An attempt that failed half-way left a partial copy: start again.
            let _ = std::fs::remove_file(dest);
            // Never wider than the source's permissions, and always readable by this run.
            let mode = mode & (before.perm.unwrap_or(0o600) | 0o400) & 0o777;
            let size = before.size.unwrap_or(0);
            let mut reader = Reader {
                file: &mut f,
                err: None,
            };
            let fetched = copy_hashed_sized(&mut (&mut reader).take(size + 1), dest, mode, CHUNK);
            if let Some(e) = reader.err.take() {
                let _ = std::fs::remove_file(dest);
                return Err(io_remote(c, &server, format!("downloading {path}"), e));
            }
            let fetched = fetched.map_err(|source| Error::Local {
                what: format!("writing {}", dest.display()),
                source,
            })?;
            let after = f
                .stat()
                .map_err(|e| Error::remote(&server, format!("looking at {path}"), e))?;
            if fetched.size != size || after.size != before.size || after.mtime != before.mtime {
                let _ = std::fs::remove_file(dest);
                return Err(changed("it changed while it was being read"));
            }
            Ok(fetched)
        })?)
    }

    fn origin(&self, name: &str) -> String {
        format!(
            "sftp://{}{}",
            self.location.server(),
            self.location.join(name)
        )
    }

    fn pool(&self) -> Option<(String, usize)> {
        // One pool per server object (two channels on one server with different settings
        // have two), named so that transfers are grouped by the pool that bounds them.
        Some((
            format!("{}#{:p}", self.server.name(), Arc::as_ptr(&self.server)),
            self.server.settings.connections.max(1),
        ))
    }
}

/// A remote file's reader that keeps its error apart from the local copy's (a lost
/// connection is retried; a full local disk is not).
struct Reader<'a> {
    file: &'a mut ssh2::File,
    err: Option<io::Error>,
}

impl Read for Reader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Large requests: libssh2 pipelines a read of the whole buffer.
        let want = buf.len().min(CHUNK);
        match self.file.read(&mut buf[..want]) {
            Ok(n) => Ok(n),
            Err(e) => {
                let said = io::Error::new(e.kind(), e.to_string());
                self.err = Some(e);
                Err(said)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_a_server_lists_are_checked_before_they_become_local_names() {
        assert_eq!(remote_name(b"po-1.edi"), Ok(Some("po-1.edi")));
        assert_eq!(remote_name(b"x..y.edi"), Ok(Some("x..y.edi")));
        for silent in [&b""[..], b".", b"..", b".hidden", b"../../etc/passwd"] {
            assert_eq!(remote_name(silent), Ok(None), "{silent:?}");
        }
        assert!(remote_name(b"a/../b").is_err());
        assert!(remote_name(b"a/b").is_err());
        assert!(remote_name(b"evil\nname.edi").is_err());
        assert!(remote_name(b"bell\x07.edi").is_err());
        assert!(remote_name(b"\xff\xfe.edi").is_err());
        assert!(remote_name("x".repeat(256).as_bytes()).is_err());
        assert_eq!(
            remote_name("é".repeat(127).as_bytes()).map(|n| n.is_some()),
            Ok(true)
        );
        assert_eq!(cut("ééé", 3), "é");
    }

    #[test]
    fn the_aside_name_is_hidden_and_short_enough() {
        let a = aside_name(&format!("/in/{}", "n".repeat(250)), &"ab".repeat(32));
        let base = a.rsplit('/').next().unwrap();
        assert!(base.starts_with('.') && base.len() <= 255, "{a}");
        assert_eq!(
            aside_name("/in/po.edi", "0123456789abcdef"),
            "/in/.po.edi.0123456789ab.tallyman-done"
        );
    }
}
