//! Transports: where a channel's files come from.
//!
//! Phase: acquire. A transport lists a drop folder, copies a file into the run's staging
//! directory (hashing it on the way), and removes it once the run that read it has committed.
//! [`local::LocalFolder`] is a folder on this machine; an SFTP transport implements the same
//! trait.
//!
//! Partners are treated as hostile, and so is the file system they write to. Names are always
//! relative, `/`-separated and checked by [`safe_name`], so that nothing a partner names can
//! escape the staging directory. A file is opened without following a link and without
//! blocking ([`open_regular`]), and the opened handle must be the regular file that was listed
//! (device, inode, size): a file swapped for a link, a FIFO or a device between the listing and
//! the copy is reported and left alone, never followed. Copies are created new, with the
//! permissions the caller asks for (never wider than the source's), and a file that grows or
//! changes while it is copied is refused.

pub mod local;
pub mod sftp;
pub mod url;

use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A file waiting in a drop folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the drop folder, `/`-separated.
    pub name: String,
    pub size: u64,
    pub modified: SystemTime,
    /// When its inode last changed (ctime): when it arrived here, for a copy that kept its
    /// modification time (`rsync -t`, `sftp -p`).
    pub changed: SystemTime,
    /// Device and inode seen when listing: the file copied must be this one.
    pub dev: u64,
    pub ino: u64,
}

/// What a listing found: the files to read, and what it saw but will not read, each said in a
/// sentence (a link, a FIFO, a folder it cannot open, a name that is not UTF-8).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub entries: Vec<Entry>,
    pub problems: Vec<String>,
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
    /// `.filepart` (uploads in progress by convention) are not listed. Anything that is not a
    /// regular file, and folders that cannot be read, are reported in [`Listing::problems`];
    /// the rest of the folder is still listed.
    fn list(&self) -> io::Result<Listing>;
    /// Size and modification time of one file now (the file itself, not what a link points
    /// to), or `None` when it is gone.
    fn stat(&self, name: &str) -> io::Result<Option<(u64, SystemTime)>>;
    /// Copies a file to `dest` (created new with `mode`, narrowed to the source's own
    /// permissions; fsynced) and hashes it. With `listed`, the file opened must be that entry
    /// (same device, inode and size), else nothing is copied.
    fn fetch(
        &self,
        name: &str,
        listed: Option<&Entry>,
        dest: &Path,
        mode: u32,
    ) -> io::Result<Fetched>;
    /// Where a file is, as recorded in the ledger and understood by [`remove_at`].
    fn origin(&self, name: &str) -> String;
    /// For a remote folder: its server's name and how many transfers it takes at once
    /// (transfers run on their own threads, not on the CPU pool). `None` for a local folder.
    fn pool(&self) -> Option<(String, usize)> {
        None
    }
}

/// Opens a file for reading without following a final symbolic link and without blocking
/// (a FIFO with no writer would block `open` forever), and checks that what was opened is a
/// regular file. A link, FIFO, socket, device or folder is refused with an error that says
/// what it is.
pub fn open_regular(path: &Path) -> io::Result<(std::fs::File, std::fs::Metadata)> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "it is a symbolic link, not a regular file; links are never followed",
                )
            } else {
                e
            }
        })?;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", kind_of(&meta.file_type())),
        ));
    }
    Ok((file, meta))
}

/// What a non-regular file is, in words.
pub fn kind_of(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}

/// Copies the regular file at `path` into `dest`, checking that it is still the file that was
/// listed and that it does not change while it is read.
pub fn fetch_file(
    path: &Path,
    listed: Option<&Entry>,
    dest: &Path,
    mode: u32,
) -> io::Result<Fetched> {
    let (mut file, meta) = open_regular(path)?;
    if let Some(l) = listed
        && (meta.dev() != l.dev || meta.ino() != l.ino)
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it was replaced by another file after it was listed; it is read on the next run",
        ));
    }
    let size = meta.len();
    if let Some(l) = listed
        && size != l.size
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "its size changed from {} to {size} bytes after it was listed; it is read on the next run",
                l.size
            ),
        ));
    }
    // Never wider than the source: a partner's 0600 file is not made readable by others. The
    // copy's owner is this run, which must read it whatever the source's owner bits say (a
    // file readable only through its group would otherwise become a copy nobody may read).
    let mode = mode & (meta.mode() | 0o400) & 0o777;
    let fetched = copy_hashed(&mut (&mut file).take(size + 1), dest, mode)?;
    let after = file.metadata()?;
    if fetched.size != size || after.len() != size || after.modified()? != meta.modified()? {
        let _ = std::fs::remove_file(dest);
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it changed while it was being read; it is read on the next run",
        ));
    }
    Ok(fetched)
}

/// Removes an input after its run committed, but only if it still has the content that was
/// read (a partner may have dropped a new file under the same name since). Returns whether it
/// removed something. `origin` is what [`Inbound::origin`] gave: a local path for now; remote
/// transports add their scheme here, so that recovery can finish a run from the ledger alone.
pub fn remove_at(origin: &str, sha256: &str) -> io::Result<bool> {
    let p = Path::new(origin);
    // Not followed, not blocked on: a link or FIFO put in the file's place is left alone.
    let hashed = open_regular(p).and_then(|(mut f, meta)| {
        let mut hasher = Sha256::new();
        io::copy(&mut f, &mut hasher)?;
        Ok((hex::encode(hasher.finalize()), meta.dev(), meta.ino()))
    });
    match hashed {
        // Still the file that was hashed (not renamed over meanwhile): removed.
        Ok((h, dev, ino)) if h == sha256 && still_at(p, dev, ino)? => {
            std::fs::remove_file(p)?;
            if let Some(dir) = p.parent() {
                sync_dir(dir)?;
            }
            Ok(true)
        }
        Ok(_) => Ok(false),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::InvalidInput
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// The name still leads to the file (device, inode) that was read through a handle.
fn still_at(p: &Path, dev: u64, ino: u64) -> io::Result<bool> {
    match std::fs::symlink_metadata(p) {
        Ok(m) => Ok(m.dev() == dev && m.ino() == ino),
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

/// Copies `src` to a new file at `dest` (which must not exist) with permissions `mode`,
/// fsyncs it and returns its size and SHA-256.
pub fn copy_hashed(src: &mut dyn Read, dest: &Path, mode: u32) -> io::Result<Fetched> {
    copy_hashed_sized(src, dest, mode, 1 << 16)
}

/// [`copy_hashed`] reading `chunk` bytes at a time (a remote file wants large reads).
pub(crate) fn copy_hashed_sized(
    src: &mut dyn Read,
    dest: &Path,
    mode: u32,
    chunk: usize,
) -> io::Result<Fetched> {
    if let Some(dir) = dest.parent() {
        create_private_dirs(dir)?;
    }
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(dest)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; chunk];
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
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Makes a folder's entries durable (a name created, renamed or removed in it).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// SHA-256 of a file's content, lowercase hex.
#[cfg(any(test, feature = "internals"))]
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut f, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Creates a folder and its parents with owner-only permissions (existing ones are left as
/// they are).
pub fn create_private_dirs(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// A name or message from outside (a partner's file name, a value) as it may be printed on one
/// line: control characters, DEL and the Unicode controls that reorder or hide text (bidi
/// overrides and isolates, zero-width marks) are shown escaped, so a name cannot forge a line
/// of output, move the cursor or read backwards.
pub fn printable(s: &str) -> Cow<'_, str> {
    fn hostile(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
    }
    if !s.chars().any(hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hostile(c) => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Bytes from outside (a file name that is not UTF-8) as they may be printed: valid text as
/// [`printable`] shows it, every other byte as `\xNN`.
pub fn printable_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&printable(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
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
    fn a_copy_is_never_wider_than_its_source_and_always_readable_by_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.edi");
        for (source, wanted, got) in [
            (0o644, 0o600, 0o600),
            (0o600, 0o640, 0o600),
            (0o640, 0o640, 0o640),
            (0o400, 0o600, 0o400),
            // Readable through its group only: the copy is still this run's to read.
            (0o040, 0o640, 0o440),
            (0o000, 0o600, 0o400),
        ] {
            std::fs::write(&src, "x").unwrap();
            std::fs::set_permissions(&src, std::fs::Permissions::from_mode(source)).unwrap();
            let dest = dir.path().join(format!("out-{source:o}-{wanted:o}"));
            if fetch_file(&src, None, &dest, wanted).is_err() {
                continue; // not root: a source this user may not read
            }
            let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, got, "source {source:o}, wanted {wanted:o}");
        }
    }

    #[test]
    fn an_input_renamed_over_after_it_was_read_is_not_removed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("po.edi");
        std::fs::write(&p, "old").unwrap();
        let sha = copy_hashed(&mut &b"old"[..], &dir.path().join("copy"), 0o600)
            .unwrap()
            .sha256;
        let (_, meta) = open_regular(&p).unwrap();
        // A new upload with the same bytes renamed onto the name: another inode.
        std::fs::write(dir.path().join("new"), "old").unwrap();
        std::fs::rename(dir.path().join("new"), &p).unwrap();
        assert!(!still_at(&p, meta.dev(), meta.ino()).unwrap());
        let (_, now) = open_regular(&p).unwrap();
        assert!(still_at(&p, now.dev(), now.ino()).unwrap());
        assert!(remove_at(p.to_str().unwrap(), &sha).unwrap());
        assert!(!p.exists());
    }

    #[test]
    fn hashes_while_copying() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("x/y.edi");
        let f = copy_hashed(&mut &b"abc"[..], &dest, 0o600).unwrap();
        assert_eq!(f.size, 3);
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_file(&dest).unwrap(), f.sha256);
        assert_eq!(sha256_bytes(b"abc"), f.sha256);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Created new: an existing file is never replaced.
        assert!(copy_hashed(&mut &b"xyz"[..], &dest, 0o600).is_err());
        assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
    }

    #[test]
    fn names_with_control_characters_print_escaped() {
        assert_eq!(printable("a.edi"), "a.edi");
        assert_eq!(printable("x\nwrote ERP file y"), "x\\nwrote ERP file y");
        assert_eq!(printable("\u{1b}[2Jx"), "\\u{001B}[2Jx");
        assert_eq!(
            printable("invoice\u{202E}fdp.exe"),
            "invoice\\u{202E}fdp.exe"
        );
    }
}
