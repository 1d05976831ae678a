//! Reading the ERP outbox's files: JSON Lines, CSV through the `[[export]]` profiles, header
//! and detail files paired (and quarantined as orphans when one half never comes).

use super::super::report::HeldEntry;
use super::super::settings::Config;
use super::{Error, OUTBOX};
use crate::erp::export::{self, Exported};
use std::collections::HashMap;

/// An export read, whatever its format: documents with where they are (`line 3`, `rows
/// 4-6`), and the documents held back by their rows.
pub(super) struct Read {
    pub(super) documents: Vec<(Exported, String)>,
    pub(super) held: Vec<ReadHeld>,
}

pub(super) struct ReadHeld {
    /// The profile's document kind, when the file has one.
    pub(super) kind: Option<String>,
    pub(super) at: String,
    pub(super) number: Option<String>,
    pub(super) problems: Vec<String>,
}

/// How an export file is read.
pub(super) enum How {
    Jsonl,
    Csv(String),
    /// A header file with its detail file ([`Unit::detail`]).
    HeaderDetail(String),
    /// No `[[export]]` names it.
    Unknown,
    /// A header file whose detail file (or the reverse) has not come in `export_pair_wait`:
    /// quarantined with this sentence, so that it does not wait unseen for ever.
    Orphan(String),
}

/// Whether a file has waited for its other half longer than `wait` (`[run]
/// export_pair_wait`), counted from when it arrived (the later of its modification and inode
/// change times: a copy may keep an old modification time).
fn waited_out(e: &crate::transport::Entry, wait: std::time::Duration) -> bool {
    std::time::SystemTime::now()
        .duration_since(e.modified.max(e.changed))
        .is_ok_and(|age| age > wait)
}

/// A duration as people write it (`1h`, `90s`).
fn human(d: std::time::Duration) -> String {
    jiff::SignedDuration::try_from(d)
        .map(|d| format!("{d:#}"))
        .unwrap_or_else(|_| format!("{} s", d.as_secs()))
}

/// What is read together: one file, or a header file and its detail file.
pub(super) struct Unit {
    pub(super) main: crate::transport::Entry,
    pub(super) detail: Option<crate::transport::Entry>,
    pub(super) how: How,
}

/// Pairs the outbox's files into what is read together. A detail file waits for its header
/// file and a header file for its detail file (named in `waiting`): the ERP may be writing
/// the other one still.
pub(super) fn units(
    cfg: &Config,
    entries: Vec<crate::transport::Entry>,
    arriving: &std::collections::HashSet<String>,
    waiting: &mut Vec<String>,
) -> Vec<Unit> {
    use super::super::settings::ExportFiles;
    let base = |name: &str| name.rsplit('/').next().unwrap_or(name).to_owned();
    let folder = |name: &str| name.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
    let is_detail = |name: &str| {
        cfg.export_files.iter().any(|e| {
            e.detail
                .as_deref()
                .is_some_and(|d| ExportFiles::matches(d, &base(name)).is_some())
        })
    };
    // A half still being written (left for the next run) keeps the other waiting.
    let orphaned = |e: &crate::transport::Entry, other: &str| {
        waited_out(e, cfg.export_pair_wait) && !arriving.contains(other)
    };
    let mut by_name: std::collections::HashMap<String, crate::transport::Entry> = entries
        .iter()
        .map(|e| (e.name.clone(), e.clone()))
        .collect();
    let mut out = Vec::new();
    for e in entries {
        let lower = e.name.to_ascii_lowercase();
        let b = base(&e.name);
        if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            out.push(Unit {
                main: e,
                detail: None,
                how: How::Jsonl,
            });
            continue;
        }
        // A detail file is never taken for a header file, whatever `files` also matches.
        let rule = if is_detail(&e.name) {
            None
        } else {
            cfg.export_files
                .iter()
                .find_map(|r| ExportFiles::matches(&r.files, &b).map(|star| (r, star.to_owned())))
        };
        match rule {
            Some((r, star)) => match &r.detail {
                None => out.push(Unit {
                    main: e,
                    detail: None,
                    how: How::Csv(r.profile.clone()),
                }),
                Some(d) => {
                    let dir = folder(&e.name);
                    let detail_name = d.replacen('*', &star, 1);
                    let detail_path = if dir.is_empty() {
                        detail_name
                    } else {
                        format!("{dir}/{detail_name}")
                    };
                    match by_name.remove(&detail_path) {
                        Some(detail) => out.push(Unit {
                            main: e,
                            detail: Some(detail),
                            how: How::HeaderDetail(r.profile.clone()),
                        }),
                        None if orphaned(&e, &detail_path) => out.push(Unit {
                            how: How::Orphan(format!(
                                "orphan_export: {} has waited more than {} (run.export_pair_wait) for its detail file {detail_path}, which has not come: export the document again, both files",
                                e.name,
                                human(cfg.export_pair_wait)
                            )),
                            main: e,
                            detail: None,
                        }),
                        None => waiting.push(format!(
                            "{OUTBOX}/{} (waits for its detail file {detail_path})",
                            e.name
                        )),
                    }
                }
            },
            None if is_detail(&e.name) => {
                // Read with its header file, if that is here.
                let here = cfg.export_files.iter().any(|r| {
                    r.detail.as_deref().is_some_and(|d| {
                        ExportFiles::matches(d, &b).is_some_and(|star| {
                            let header = r.files.replacen('*', star, 1);
                            let dir = folder(&e.name);
                            let header = if dir.is_empty() {
                                header
                            } else {
                                format!("{dir}/{header}")
                            };
                            by_name.contains_key(&header) || arriving.contains(&header)
                        })
                    })
                });
                if !here && waited_out(&e, cfg.export_pair_wait) {
                    out.push(Unit {
                        how: How::Orphan(format!(
                            "orphan_export: {} has waited more than {} (run.export_pair_wait) for its header file, which has not come: export the document again, both files",
                            e.name,
                            human(cfg.export_pair_wait)
                        )),
                        main: e,
                        detail: None,
                    });
                } else if !here {
                    waiting.push(format!("{OUTBOX}/{} (waits for its header file)", e.name));
                }
            }
            None => out.push(Unit {
                main: e,
                detail: None,
                how: How::Unknown,
            }),
        }
    }
    // A detail file taken with a header file listed after it is not read on its own.
    out.retain(|u| !matches!(u.how, How::Csv(_) | How::Unknown) || !is_detail(&u.main.name));
    out
}

/// Reads a unit's contents (`contents[0]` the main file's, `[1]` the detail file's).
pub(super) fn read_unit(unit: &Unit, contents: &[Vec<u8>], profiles: &export::Profiles) -> Read {
    let name = unit.main.name.as_str();
    let whole_file = |why: String| Read {
        documents: Vec::new(),
        held: vec![ReadHeld {
            kind: None,
            at: "the whole file".to_owned(),
            number: None,
            problems: vec![why],
        }],
    };
    let profile = |id: &str| {
        profiles
            .get(id)
            .expect("the configuration checked that the profile exists")
    };
    let kind = match &unit.how {
        How::Csv(id) | How::HeaderDetail(id) => Some(profile(id).kind.name()),
        _ => None,
    };
    let (results, unit_word) = match &unit.how {
        How::Jsonl => (export::read_jsonl(name, &contents[0]), "line"),
        How::Csv(id) => (export::read_csv(profile(id), name, &contents[0]), "row"),
        How::HeaderDetail(id) => {
            let detail = unit.detail.as_ref().expect("paired with its detail file");
            (
                export::read_header_detail(
                    profile(id),
                    (name, &contents[0]),
                    (&detail.name, &contents[1]),
                ),
                "row",
            )
        }
        How::Orphan(why) => return whole_file(why.clone()),
        How::Unknown => {
            return whole_file(format!(
                "unknown_export: {name} is not JSON Lines (.jsonl) and no [[export]] in the configuration names a profile for it; nothing in it is sent: add an [[export]] with files = \"...\" and the profile that reads it"
            ));
        }
    };
    let mut read = Read {
        documents: Vec::new(),
        held: Vec::new(),
    };
    for r in results {
        match r {
            Ok(ex) => {
                let at = match ex.rows {
                    (a, b) if a == b => format!("{unit_word} {a}"),
                    (a, b) => format!("{unit_word}s {a}-{b}"),
                };
                read.documents.push((ex, at));
            }
            Err(h) => read.held.push(ReadHeld {
                kind: kind.map(str::to_owned),
                at: h.problems.iter().find_map(|p| p.row).map_or_else(
                    || "the whole file".to_owned(),
                    |r| format!("{unit_word} {r}"),
                ),
                number: h.number.clone(),
                problems: h
                    .problems
                    .iter()
                    .map(|p| format!("bad_export_row: {p}"))
                    .collect(),
            }),
        }
    }
    read
}

/// Export files read for `tallyman generate`: the documents (with the file and where in it),
/// the documents held back by their rows, and files left unread (a header file without its
/// detail file) with why.
#[derive(Debug, Default)]
pub struct ReadFiles {
    pub documents: Vec<(Exported, String, String)>,
    pub held: Vec<HeldEntry>,
    pub unread: Vec<String>,
}

/// Reads export files given by name and contents, as the run reads the outbox's (JSON Lines,
/// CSV through the configuration's `[[export]]`, header and detail files paired).
pub fn read_files(cfg: &Config, files: &[(String, Vec<u8>)]) -> Result<ReadFiles, Error> {
    let profiles = super::super::settings::load_export_profiles(cfg.exports.as_deref())
        .map_err(|e| Error::Setup(format!("loading ERP export profiles: {e}")))?;
    let entries: Vec<crate::transport::Entry> = files
        .iter()
        .map(|(name, bytes)| crate::transport::Entry {
            name: name.clone(),
            size: bytes.len() as u64,
            // Given now: a header file without its detail file is not read, not an orphan.
            modified: std::time::SystemTime::now(),
            changed: std::time::SystemTime::now(),
            dev: 0,
            ino: 0,
        })
        .collect();
    let mut out = ReadFiles::default();
    let contents: HashMap<&str, &[u8]> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    for unit in units(cfg, entries, &Default::default(), &mut out.unread) {
        let mut c = vec![contents[unit.main.name.as_str()].to_vec()];
        if let Some(d) = &unit.detail {
            c.push(contents[d.name.as_str()].to_vec());
        }
        let read = read_unit(&unit, &c, &profiles);
        for (ex, at) in read.documents {
            out.documents.push((ex, at, unit.main.name.clone()));
        }
        for h in read.held {
            out.held.push(HeldEntry {
                file: unit.main.name.clone(),
                at: h.at,
                channel: None,
                kind: h.kind,
                number: h.number,
                orders: Vec::new(),
                problems: h.problems,
            });
        }
    }
    Ok(out)
}
