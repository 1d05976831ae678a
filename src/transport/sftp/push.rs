//! Delivering files to a partner's SFTP folder exactly once.
//!
//! Phase: after the commit. A run writes what it sends (acknowledgments, ship notices,
//! invoices) into the channel's outgoing folder in the work directory, exactly as it does for
//! a local outbound folder; once the run has committed, [`push`] delivers each waiting file:
//!
//! 1. upload it to `.NAME.part` in the remote folder (a name partners do not pick up),
//!    replacing a partial upload an earlier attempt left, and fsync it on the server;
//! 2. mark it uploaded here: move it into `.uploaded/` and sync the folder;
//! 3. rename `.NAME.part` to `NAME` on the server, which fails when `NAME` exists: a file
//!    there is never replaced;
//! 4. move it to `delivered_to` (the run's archive).
//!
//! After a crash, a file still waiting (not marked) is uploaded again from the start: the
//! rename had not happened. A marked one whose `.NAME.part` is still on the server is renamed
//! now; a marked one whose temporary file is gone was renamed (and perhaps already taken by
//! the partner): it is not sent again. So each file reaches the partner once whatever the
//! moment of the crash.

use super::folder::{CHUNK, exists, io_remote, is_code};
use super::{Error, Location, Server, p};
use crate::transport::sync_dir;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// What a push did.
#[derive(Debug, Default)]
pub struct Pushed {
    /// Names delivered.
    pub delivered: Vec<String>,
    /// Files left waiting, each with a sentence (a name taken on the server).
    pub problems: Vec<String>,
    /// The failure that stopped the push (the server down, refusing, out of space); what is
    /// in `delivered` was delivered before it.
    pub error: Option<Error>,
}

/// The local folder of files uploaded but perhaps not yet renamed on the server.
pub const UPLOADED: &str = ".uploaded";

/// Delivers every file waiting in `local` to `remote`, marked ones first. Stops at the first
/// failure that is the server's (down, refusing, out of space), leaving the rest waiting;
/// `hook` is called between the steps (the crash tests stop a run there).
pub fn push(
    server: &Server,
    remote: &Location,
    local: &Path,
    delivered_to: &Path,
    hook: &dyn Fn(&str),
) -> Pushed {
    let mut out = Pushed::default();
    if let Err(e) = push_all(server, remote, local, delivered_to, hook, &mut out) {
        out.error = Some(e);
    }
    out
}

fn push_all(
    server: &Server,
    remote: &Location,
    local: &Path,
    delivered_to: &Path,
    hook: &dyn Fn(&str),
    out: &mut Pushed,
) -> Result<(), Error> {
    let marked_dir = local.join(UPLOADED);
    let local_err = |what: String| move |source| Error::Local { what, source };
    // Marked first: they were uploaded by an earlier run that stopped before the rename.
    for name in
        waiting(&marked_dir).map_err(local_err(format!("listing {}", marked_dir.display())))?
    {
        // Where it was uploaded to: a destination changed since is not assumed to hold it.
        let to =
            std::fs::read_to_string(marked_dir.join(format!(".{name}.to"))).unwrap_or_default();
        if to != remote.to_string() {
            out.problems.push(format!(
                "{name} was uploaded to {} by an earlier run that stopped before renaming it there, and the channel now delivers to {remote}: check that folder for .{name}.part or {name}; to deliver it to {remote}, move {} back into {}",
                if to.is_empty() { "a folder not recorded" } else { to.as_str() },
                marked_dir.join(&name).display(),
                local.display()
            ));
            continue;
        }
        if finish(server, remote, &name, out)? {
            hook("remote renamed");
            deliver(&marked_dir, delivered_to, &name)?;
            out.delivered.push(name);
        }
    }
    for name in waiting(local).map_err(local_err(format!("listing {}", local.display())))? {
        let file = local.join(&name);
        if marked_dir.join(&name).exists() {
            out.problems.push(format!(
                "{name} waits in {} and in {}: two documents of one name; neither is delivered until one is moved away",
                local.display(),
                marked_dir.display()
            ));
            continue;
        }
        if !upload(server, remote, &file, &name, out)? {
            continue;
        }
        hook("uploaded");
        crate::transport::create_private_dirs(&marked_dir)
            .and_then(|()| {
                // The destination first, so that a mark never lacks it.
                let sidecar = marked_dir.join(format!(".{name}.to"));
                std::fs::write(&sidecar, remote.to_string())?;
                std::fs::File::open(&sidecar)?.sync_all()
            })
            .and_then(|()| std::fs::rename(&file, marked_dir.join(&name)))
            .and_then(|()| sync_dir(&marked_dir))
            .and_then(|()| sync_dir(local))
            .map_err(local_err(format!("marking {} uploaded", file.display())))?;
        hook("upload marked");
        if finish(server, remote, &name, out)? {
            hook("remote renamed");
            deliver(&marked_dir, delivered_to, &name)?;
            out.delivered.push(name);
        }
    }
    Ok(())
}

/// The files waiting in a folder, sorted (hidden names are our own temporary files).
fn waiting(dir: &Path) -> io::Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for e in entries {
        let e = e?;
        if !e.file_type()?.is_file() {
            continue;
        }
        if let Some(n) = e.file_name().to_str()
            && !n.starts_with('.')
        {
            names.push(n.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

fn temp_of(remote: &Location, name: &str) -> (String, String) {
    (remote.join(&format!(".{name}.part")), remote.join(name))
}

/// Uploads to the temporary name; false (with a problem said) when the final name is taken.
fn upload(
    server: &Server,
    remote: &Location,
    file: &Path,
    name: &str,
    out: &mut Pushed,
) -> Result<bool, Error> {
    let (temp, target) = temp_of(remote, name);
    let who = server.name();
    let taken = server.with(|c| {
        if exists(c, &who, &target)? {
            return Ok(true);
        }
        match c.sftp.unlink(p(&temp)) {
            Ok(()) => {}
            Err(e) if is_code(&e, super::NO_SUCH_FILE) => {}
            Err(e) => {
                return Err(Error::remote(
                    &who,
                    format!("removing the partial upload {temp}"),
                    e,
                ));
            }
        }
        // Not through a link: the outgoing folder is ours, and what is sent is its files.
        let (mut src, _) = crate::transport::open_regular(file).map_err(|source| Error::Local {
            what: format!("reading {}", file.display()),
            source,
        })?;
        let mut dst = c
            .sftp
            .open_mode(
                p(&temp),
                ssh2::OpenFlags::WRITE | ssh2::OpenFlags::EXCLUSIVE,
                0o640,
                ssh2::OpenType::File,
            )
            .map_err(|e| Error::remote(&who, format!("creating {temp}"), e))?;
        let mut buf = vec![0u8; CHUNK];
        let mut size = 0u64;
        loop {
            let n = src.read(&mut buf).map_err(|source| Error::Local {
                what: format!("reading {}", file.display()),
                source,
            })?;
            if n == 0 {
                break;
            }
            dst.write_all(&buf[..n])
                .map_err(|e| io_remote(c, &who, format!("uploading {temp}"), e))?;
            size += n as u64;
        }
        match dst.fsync() {
            Ok(()) => {}
            // A server without the fsync extension: the rename below still orders it.
            Err(e) if is_code(&e, 8) => {}
            Err(e) => return Err(Error::remote(&who, format!("syncing {temp}"), e)),
        }
        dst.close()
            .map_err(|e| Error::remote(&who, format!("closing {temp}"), e))?;
        let st = c
            .sftp
            .lstat(p(&temp))
            .map_err(|e| Error::remote(&who, format!("looking at {temp}"), e))?;
        if st.size != Some(size) {
            return Err(Error::ours(
                &who,
                format!("uploading {temp}"),
                format!(
                    "the server holds {} bytes of {size}",
                    st.size.map_or("?".into(), |s| s.to_string())
                ),
            ));
        }
        Ok(false)
    })?;
    if taken {
        out.problems.push(format!(
            "{name} is not delivered: {target} already exists on {who} and is never replaced (someone else's file, or one not yet picked up under that name); it waits in {}",
            file.parent().map_or(String::new(), |d| d.display().to_string())
        ));
    }
    Ok(!taken)
}

/// Renames the uploaded file into place; true when it is there (now or since an earlier run).
fn finish(server: &Server, remote: &Location, name: &str, out: &mut Pushed) -> Result<bool, Error> {
    let (temp, target) = temp_of(remote, name);
    let who = server.name();
    let done = server.with(|c| {
        if !exists(c, &who, &temp)? {
            // Renamed before (and perhaps picked up since).
            return Ok(true);
        }
        if exists(c, &who, &target)? {
            return Ok(false);
        }
        c.sftp
            .rename(p(&temp), p(&target), Some(super::folder::NO_REPLACE))
            .map_err(|e| Error::remote(&who, format!("renaming {temp} to {target}"), e))?;
        Ok(true)
    })?;
    if !done {
        out.problems.push(format!(
            "{name} is uploaded as {temp} but not delivered: {target} already exists on {who} and is never replaced; remove or rename it there and the next run delivers this one"
        ));
    }
    Ok(done)
}

/// Moves a delivered file (and its destination note) out of the outgoing folder into the
/// run's archive.
fn deliver(marked_dir: &Path, delivered_to: &Path, name: &str) -> Result<(), Error> {
    let marked = marked_dir.join(name);
    let mut target: PathBuf = delivered_to.join(name);
    let mut n = 2;
    while target.exists() {
        target = delivered_to.join(format!("{name}~{n}"));
        n += 1;
    }
    crate::transport::create_private_dirs(delivered_to)
        .and_then(|()| std::fs::rename(&marked, &target))
        .map_err(|source| Error::Local {
            what: format!(
                "{name} was delivered, but moving it from {} to {} failed (the next run finishes this)",
                marked.display(),
                target.display()
            ),
            source,
        })?;
    let _ = std::fs::remove_file(marked_dir.join(format!(".{name}.to")));
    Ok(())
}
