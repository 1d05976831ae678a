//! The run's side of SFTP: which channels read or deliver to a server, removing remote inputs
//! after the commit, and delivering what waits in the work directory's outgoing folders.
//!
//! Phase: discover (listing), stage (downloads off the CPU pool, a few per server), and after
//! the commit (removal, then delivery). A server that is down or refuses us stops only its
//! channel: the run reports it in a sentence and exits 1, and what waits is delivered by a
//! later run.

use super::settings::{Channel, Config};
use super::work::{Layout, crash_point};
use crate::transport::sftp::{Location, Servers, SftpFolder, push};
use std::path::PathBuf;

/// The servers of one run's channels.
#[derive(Debug)]
pub(super) struct Remotes<'c> {
    cfg: &'c Config,
    servers: Servers,
    /// Remote inputs read and recorded but not removed: sentences for the run's errors.
    not_removed: std::sync::Mutex<Vec<String>>,
}

/// What delivery did for one channel.
#[derive(Debug)]
pub(super) struct Delivered {
    pub channel: String,
    pub to: String,
    pub files: Vec<String>,
    /// Sentences: files left waiting, or the server's failure.
    pub problems: Vec<String>,
}

impl<'c> Remotes<'c> {
    pub fn new(cfg: &'c Config) -> Self {
        Remotes {
            cfg,
            servers: Servers::default(),
            not_removed: Default::default(),
        }
    }

    /// The remote drop folder a channel reads, if it has one.
    pub fn inbound(&self, channel: &Channel) -> Option<SftpFolder> {
        let s = channel.sftp.as_ref()?;
        let loc = s.inbound.as_ref()?;
        Some(SftpFolder::new(
            self.servers.get(loc, &s.settings),
            loc.clone(),
            s.remote_archive.clone(),
        ))
    }

    /// Removes (or archives) a remote input once its run committed; false when the origin is
    /// not remote. A failure is kept for [`Remotes::not_removed`] (the run's errors): the file
    /// stays on the server, and the next run recognizes it as received and removes it then.
    pub fn remove(&self, channel: &str, origin: &str, sha256: &str) -> bool {
        if !origin.starts_with("sftp://") {
            return false;
        }
        if let Err(why) = self.try_remove(channel, origin, sha256) {
            self.not_removed.lock().expect("remotes lock").push(why);
        }
        true
    }

    fn try_remove(&self, channel: &str, origin: &str, sha256: &str) -> Result<(), String> {
        let unreachable = |why: &str| {
            format!(
                "{origin} was read and recorded, but is not removed from the server: {why}; remove it there by hand"
            )
        };
        let Some(folder) = self.cfg.channel(channel).and_then(|c| self.inbound(c)) else {
            return Err(unreachable(&format!(
                "channel {channel} no longer reads an SFTP folder"
            )));
        };
        let at = Location::parse(origin).map_err(|e| unreachable(&e))?;
        let prefix = format!("{}/", folder.location.path.trim_end_matches('/'));
        let Some(name) = at
            .path
            .strip_prefix(&prefix)
            .filter(|_| at.server() == folder.location.server())
        else {
            return Err(unreachable(&format!(
                "channel {channel} now reads {}",
                folder.location
            )));
        };
        folder.remove(name, sha256).map(|_| ()).map_err(|e| {
            let hint = if matches!(&e, crate::transport::sftp::Error::Remote { code: crate::transport::sftp::Code::Sftp(3), .. }) {
                " The login may read but not rename or remove there: ask the partner for those rights, or set keep_inputs = true (files are then recognized by their checksum and left)."
            } else {
                " The next run recognizes it as received and removes it then."
            };
            format!("{origin} was read and recorded, but could not be removed from the server ({e}).{hint}")
        })
    }

    /// The removals that failed, for the run's errors.
    pub fn not_removed(&self) -> Vec<String> {
        std::mem::take(&mut *self.not_removed.lock().expect("remotes lock"))
    }

    /// Delivers what waits in the outgoing folders of the channels with a remote outbound
    /// folder (`only`: one channel's), moving what was delivered into the run's archive.
    pub fn deliver(&self, layout: &Layout, only: Option<&str>) -> Vec<Delivered> {
        let mut out = Vec::new();
        for c in &self.cfg.channels {
            if only.is_some_and(|o| o != c.id) {
                continue;
            }
            let (Some(s), Some(local)) = (&c.sftp, &c.outbound) else {
                continue;
            };
            let Some(remote) = &s.outbound else { continue };
            let server = self.servers.get(remote, &s.settings);
            let delivered_to: PathBuf = layout.archive(layout.tag()).join("@delivered").join(&c.id);
            let mut d = Delivered {
                channel: c.id.clone(),
                to: remote.to_string(),
                files: Vec::new(),
                problems: Vec::new(),
            };
            let pushed = push::push(&server, remote, local, &delivered_to, &crash_point);
            d.files = pushed.delivered;
            d.problems = pushed.problems;
            if let Some(e) = pushed.error {
                d.problems.push(format!(
                    "delivering to {remote} failed: {e}; what waits in {} is delivered by a later run",
                    local.display()
                ));
            }
            if !d.files.is_empty() || !d.problems.is_empty() {
                out.push(d);
            }
        }
        out
    }

    /// Closes the connections still open.
    pub fn close(&self) {
        self.servers.close();
    }
}
