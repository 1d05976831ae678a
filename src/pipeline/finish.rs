//! Finishing runs: completing a committed run (its outputs renamed into place, its inputs
//! stored), and, before a new run starts, completing or rolling back the runs that were
//! interrupted.
//!
//! Phase: after the commit (`complete`), and at the start of every run (`recover`). Every
//! step can be done again, so a run killed anywhere in here is finished by the next one.

use super::remote::Remotes;
use super::work::{self, Layout, crash_point};
use super::{Error, io_err, now, report, with_suffix};
use crate::ledger::{self, Disposition, FileRow, Ledger};
use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

/// After the commit: rename ERP files into place, move inputs to the archive or quarantine,
/// remove them from their drop folders, and mark the run finished. Every step can be done
/// again, so a run interrupted anywhere in here is completed by the next one.
///
/// Something that should be there and is not (someone cleaned staging by hand) does not stop
/// the run: it is returned as a note, since stopping would block every later run.
pub(super) fn complete(
    run: i64,
    files: &[FileRow],
    outputs: &[ledger::OutputRow],
    acks: &[ledger::AckRow],
    outbound: &[ledger::outbound::OutboundRow],
    ledger: &mut dyn Ledger,
    remotes: &Remotes<'_>,
) -> Result<Vec<String>, Error> {
    let mut notes = Vec::new();
    // Each folder moved into is synced once per step below, not once per file. What others
    // may take (acknowledgments, ship notices and invoices, ERP files) is durable before the
    // next step, and inputs are in the archive or quarantine durably before their originals
    // are removed. Until a sync, a power cut that takes back a move leaves the staged or
    // temporary file where it was, and the next run completes this one again; a move found
    // done is synced again, since the run that made it may have stopped before its sync.
    let mut syncs = work::DirSyncs::default();
    let durable = |syncs: &mut work::DirSyncs, what: &str| {
        syncs
            .sync()
            .map_err(io_err(format!("making the {what} durable")))
    };
    // Acknowledgments first: the partner waits for them, and they are small. Several rows
    // share one file (a TA1 and the 997s of one interchange).
    let mut renamed = HashSet::new();
    for a in acks.iter().filter(|a| !a.temp.is_empty()) {
        if !renamed.insert(a.temp.as_str()) {
            continue;
        }
        let (temp, path) = (Path::new(&a.temp), Path::new(&a.path));
        if !temp.exists() && !path.exists() {
            notes.push(format!(
                "run {run}'s acknowledgment {} is missing (neither it nor {} exists); the ledger records it as sent",
                a.path, a.temp
            ));
            continue;
        }
        // Never over an existing file: a partner's pickup may hold one of the same name.
        work::move_file_then(temp, path, &mut syncs)
            .map_err(io_err(format!("renaming {}", a.temp)))?;
        crash_point("ack renamed");
    }
    durable(&mut syncs, "acknowledgments")?;
    // Ship notices and invoices, likewise. Their temporary files were made durable before the
    // commit, so one that is gone now was renamed already, and a final file gone too was taken
    // by the partner's pickup: writing it again would send it twice. The ledger keeps the bytes.
    for o in outbound.iter().filter(|o| !o.temp.is_empty()) {
        let (temp, path) = (Path::new(&o.temp), Path::new(&o.path));
        if temp.exists() {
            work::move_file_then(temp, path, &mut syncs)
                .map_err(io_err(format!("renaming {}", o.temp)))?;
        } else if path.exists() {
            syncs.note(path);
        } else {
            notes.push(format!(
                "run {run}'s {} {} for {} is not in {} (nor under its temporary name): it was delivered and taken by the partner's pickup, or removed; it is not sent again, and the ledger keeps its bytes",
                o.set_id, o.number, o.channel, o.path
            ));
        }
        crash_point("outbound renamed");
    }
    durable(&mut syncs, "ship notices and invoices")?;
    for o in outputs {
        let (temp, path) = (Path::new(&o.temp), Path::new(&o.path));
        if !temp.exists() && !path.exists() {
            notes.push(format!(
                "run {run}'s ERP file {} is missing (neither it nor {} exists); its {} documents are in the ledger as accepted",
                o.path, o.temp, o.documents
            ));
        }
        if temp.exists() {
            // Never over an existing file: an ERP file of another ledger's run stays.
            work::move_file_then(temp, path, &mut syncs)
                .map_err(io_err(format!("renaming {}", o.temp)))?;
        } else if path.exists() {
            syncs.note(path);
        }
        crash_point("output renamed");
    }
    durable(&mut syncs, "ERP files")?;
    let mut stored_now = Vec::with_capacity(files.len());
    for f in files {
        let staged = Path::new(&f.staged);
        if f.stored.is_empty() {
            // A kept duplicate is not stored again.
            let _ = std::fs::remove_file(staged);
        } else {
            let stored = Path::new(&f.stored);
            if !staged.exists() && !stored.exists() {
                notes.push(format!(
                    "run {run}'s staged copy of {}/{} is missing; the original is left where it was",
                    f.channel, f.name
                ));
                stored_now.push(false);
                continue;
            }
            work::move_file_then(staged, stored, &mut syncs)
                .map_err(io_err(format!("storing {}", f.stored)))?;
            for suffix in [".report.json", ".report.txt"] {
                let from = with_suffix(staged, suffix);
                if from.exists() {
                    work::move_file_then(&from, &with_suffix(stored, suffix), &mut syncs)
                        .map_err(io_err("storing a quarantine report"))?;
                }
            }
        }
        crash_point("input stored");
        stored_now.push(true);
    }
    durable(&mut syncs, "stored inputs")?;
    for (f, _) in files.iter().zip(stored_now).filter(|(_, stored)| *stored) {
        if f.remove_origin {
            // A remote input's removal that fails (the server is down or refuses) is one of
            // the run's errors; the file stays there and a later run removes it.
            if !remotes.remove(&f.channel, &f.origin, &f.sha256) {
                crate::transport::remove_at(&f.origin, &f.sha256)
                    .map_err(io_err(format!("removing {}", f.origin)))?;
            }
            crash_point("input removed");
        }
    }
    ledger.finish_run(run, &now())?;
    Ok(notes)
}

/// What [`recover`] did.
#[derive(Debug, Default)]
pub struct Recovered {
    /// One sentence per run finished or rolled back, for the run report.
    pub notes: Vec<String>,
    /// Files that the runs it finished had quarantined: news for whoever reads this run's
    /// report and exit code, since no one read the interrupted run's.
    pub quarantined: Vec<report::RecoveredFile>,
}

/// Finishes runs that committed and rolls back runs that did not, before a new run starts.
///
/// Disk space comes back before the ledger is written: a run that died of a full disk left its
/// staging and temporary ERP files behind, and the ledger needs space to record anything, so
/// the other order would fail every later run the same way. Each step can be done again, and
/// staging folders of runs that are no longer unfinished (left by a recovery killed after its
/// ledger write) are swept first.
pub(super) fn recover(
    layout: &Layout,
    ledger: &mut dyn Ledger,
    remotes: &Remotes<'_>,
) -> Result<Recovered, Error> {
    let mut done = Recovered::default();
    let pending = ledger.unfinished_runs()?;
    sweep_staging(layout, &pending).map_err(io_err("removing old staging"))?;
    let me = ledger.worker().to_owned();
    for p in pending {
        let staging = layout.staging(p.id);
        // A run of a worker that stopped renewing its lease (it died), taken over by this one.
        let whose = if p.worker == me {
            String::new()
        } else {
            format!(
                " (worker '{}', which stopped renewing its lease)",
                p.worker.escape_debug()
            )
        };
        if p.committed {
            // Its accepted documents are in its ERP files already; its staged inputs are not
            // yet in the archive or quarantine, so they stay until `complete` has moved them.
            work::remove_tree(&staging.join("spool")).map_err(io_err("removing old spools"))?;
            crash_point("recovery freed disk");
            let missing = complete(
                p.id,
                &p.files,
                &p.outputs,
                &p.acks,
                &p.outbound,
                ledger,
                remotes,
            )?;
            done.notes.extend(missing);
            done.notes.push(format!(
                "run {}{whose} was interrupted after its commit; its {} ERP file(s), {} acknowledgment(s), {} outbound document(s) and {} input(s) were put in place",
                p.id,
                p.outputs.len(),
                p.acks.len(),
                p.outbound.len(),
                p.files.len()
            ));
            done.quarantined.extend(
                p.files
                    .iter()
                    .filter(|f| f.disposition == Disposition::Quarantined)
                    .map(|f| report::RecoveredFile {
                        run: p.id,
                        channel: f.channel.clone(),
                        name: f.name.clone(),
                        stored: f.stored.clone(),
                    }),
            );
            work::remove_tree(&staging).map_err(io_err("removing old staging"))?;
        } else {
            let tag = work::run_tag(p.id, &p.started);
            for t in layout
                .temp_outputs(&tag)
                .map_err(io_err("listing the ERP inbox"))?
            {
                std::fs::remove_file(&t).map_err(io_err(format!("removing {}", t.display())))?;
            }
            let _ = std::fs::remove_file(layout.report(&tag));
            work::remove_tree(&staging).map_err(io_err("removing old staging"))?;
            crash_point("recovery freed disk");
            ledger.abort_run(p.id)?;
            done.notes.push(format!(
                "run {}{whose} was interrupted before its commit; it was rolled back and its inputs are read again",
                p.id
            ));
        }
        crash_point("recovered");
    }
    Ok(done)
}

/// Removes everything in the staging folder but the staging of the runs still to be recovered:
/// no other run is at work (this one holds the lock, and has not staged anything yet).
fn sweep_staging(layout: &Layout, pending: &[ledger::PendingRun]) -> io::Result<()> {
    let keep: HashSet<PathBuf> = pending.iter().map(|p| layout.staging(p.id)).collect();
    let root = layout.staging(0);
    let Some(root) = root.parent() else {
        return Ok(());
    };
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for e in entries {
        let path = e?.path();
        if keep.contains(&path) {
            continue;
        }
        if path.is_dir() {
            work::remove_tree(&path)?;
        } else {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
