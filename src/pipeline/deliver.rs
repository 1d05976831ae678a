//! Delivery to partners' outbound folders: what acknowledgments, ship notices and invoices
//! share.
//!
//! Phase: before the commit. Each document is written under a temporary name in the channel's
//! outbound folder and fsynced, each folder's entries once per run ([`Delivery::sync`]), so
//! that what the ledger records as sent is on disk when the run commits; the files are renamed
//! to their final names after the commit (`finish::complete`), and a run that dies before its
//! commit leaves only temporary files, which recovery deletes. Control numbers come from the
//! ledger in the run's open transaction ([`free_control`]).

use super::work::{Layout, crash_point, sync_dir};
use crate::ledger::Ledger;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The largest control number of each kind (ISA13 and GS06 have nine digits; ST02 four to
/// nine characters; UNB 0020 and UNH 0062 up to fourteen).
pub(super) const X12_MAX: u64 = 999_999_999;
pub(super) const EDIFACT_MAX: u64 = 99_999_999_999_999;

/// Writes a run's outbound files.
pub(super) struct Delivery<'a> {
    layout: &'a Layout,
    /// Nothing is written in a dry run: what would be sent is reported.
    pub dry_run: bool,
    /// Date and time stamped on what is sent: the run's start, UTC.
    pub stamp: jiff::civil::DateTime,
    /// Outbound folders written to, whose entries are made durable once, before the commit.
    dirs: std::collections::BTreeSet<PathBuf>,
}

impl<'a> Delivery<'a> {
    pub fn new(layout: &'a Layout, dry_run: bool, started: &str) -> Self {
        // `started` is RFC 3339 (2026-12-02T18:35:12.345Z), written by the run itself.
        let stamp = started
            .parse::<jiff::Timestamp>()
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .datetime();
        Delivery {
            layout,
            dry_run,
            stamp,
            dirs: Default::default(),
        }
    }

    /// Writes one file under its temporary name, durably; returns its final and temporary
    /// paths (nothing is written in a dry run, and the temporary path is empty).
    pub fn write(
        &mut self,
        dir: &Path,
        name: &str,
        bytes: &[u8],
    ) -> Result<(String, String), super::Error> {
        if self.dry_run {
            return Ok((dir.join(name).display().to_string(), String::new()));
        }
        let (path, temp) = self.layout.outbound_file(dir, name);
        let what = || format!("writing {}", temp.display());
        let write = || -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(self.layout.erp_file_mode)
                .open(&temp)?;
            f.write_all(bytes)?;
            f.sync_all()
        };
        write().map_err(|source| super::Error::Io {
            what: what(),
            source,
        })?;
        crash_point("ack written");
        self.dirs.insert(dir.to_path_buf());
        Ok((path.display().to_string(), temp.display().to_string()))
    }

    /// Makes the names of the files written durable (one fsync per outbound folder, not per
    /// file): after the commit the ledger says they were sent, so they must be there.
    pub fn sync(&self) -> Result<(), super::Error> {
        for dir in &self.dirs {
            sync_dir(dir).map_err(|source| super::Error::Io {
                what: format!("syncing the outbound folder {}", dir.display()),
                source,
            })?;
        }
        Ok(())
    }
}

/// The next interchange control number whose file is not in the outbound folder already.
/// The ledger's numbers never repeat; but a ledger started anew (`--new-ledger`) numbers from
/// 1 again, and an acknowledgment still waiting for pickup under that number must neither be
/// replaced nor block the run: its number is passed over.
pub(super) fn free_control(
    ledger: &mut dyn Ledger,
    channel: &str,
    kind: &str,
    max: u64,
    path: impl Fn(u64) -> std::path::PathBuf,
) -> Result<u64, super::Error> {
    let mut n = ledger.next_control(channel, kind, max)?;
    for _ in 0..10_000 {
        if !path(n).exists() {
            break;
        }
        n = ledger.next_control(channel, kind, max)?;
    }
    Ok(n)
}

/// A channel's X12 `delimiters` (`*>^~`: element, component, repetition, segment; checked
/// when the configuration was read).
pub(super) fn x12_delimiters(d: &str) -> Option<crate::syntax::x12::Delimiters> {
    let b = d.as_bytes();
    (b.len() == 4).then(|| crate::syntax::x12::Delimiters {
        element: b[0],
        component: b[1],
        repetition: Some(b[2]),
        terminator: crate::syntax::x12::Terminator::byte(b[3]),
    })
}

/// A channel's EDIFACT `delimiters`, as a UNA gives them (`:+.? '`).
pub(super) fn edifact_delimiters(d: &str) -> Option<crate::syntax::edifact::Delimiters> {
    crate::syntax::edifact::Delimiters::from_una(format!("UNA{d}").as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channels_delimiters_are_read_as_the_configuration_documents_them() {
        let d = x12_delimiters("|:^\n").expect("four characters");
        assert_eq!(
            (d.element, d.component, d.repetition),
            (b'|', b':', Some(b'^'))
        );
        assert_eq!(d.terminator.as_bytes(), b"\n");
        let e = edifact_delimiters("*+,? '").expect("a UNA's six");
        assert_eq!((e.component, e.element, e.decimal), (b'*', b'+', b','));
        assert_eq!(
            (e.release, e.repetition, e.terminator),
            (Some(b'?'), None, b'\'')
        );
        assert!(
            edifact_delimiters("::.? '").is_none(),
            "separators must differ"
        );
    }
}
