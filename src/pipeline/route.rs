//! Routing: accept, duplicate, conflict or reject each document, in input order.
//!
//! Phase: after the files of the batch are translated, one thread walks them in the order they
//! were discovered (channel order of the configuration, then file name), so that which of two
//! equal documents is "the first" never depends on thread timing. A document's identity is
//! channel + kind + number + purpose; the first accepted one wins, an identical later one is a
//! duplicate (skipped, counted), a different later one a conflict (quarantined, never applied).
//! The same holds against everything the ledger accepted in earlier runs.
//!
//! "Identical" is told by content hash (see [`crate::model::hash`]): a stored hash is compared
//! in its own version, so a ledger that recorded v1 hashes (the JSON) before v2 (the values)
//! still tells a re-sent document from a changed one; new documents are recorded with v2.
//!
//! A repeated interchange (same sender, receiver and control number as one received before in
//! another file) is a partner error: its documents that are not plain duplicates are rejected,
//! since a corrected document must come with a new control number. `relax_envelope` turns that
//! into a warning.

use super::file::{DocResult, InterchangeKey};
use crate::diag::{Code, Finding};
use crate::ledger::{self, DocKey, Ledger, Route};
use crate::model::hash::ContentHash;

/// Routes the documents of one input, one at a time in file order.
///
/// Earlier files of the batch are in the ledger already (inside the run's open transaction), and
/// so are this file's earlier documents and interchanges: the caller records each document
/// ([`Ledger::add_document`], [`Ledger::add_interchange`]) before routing the next, under the
/// file's id (`file`), so the same lookups serve the file, the batch and earlier runs and
/// nothing per document is kept here. What the ledger holds of this file is told apart by that
/// id: an interchange first seen in this file is not a repeat, and a document accepted earlier
/// in this file is named by its place in it.
pub struct Router<'a> {
    pub channel: &'a str,
    pub name: &'a str,
    pub relax_envelope: bool,
    /// The file's id in the ledger.
    pub file: i64,
    /// In a dry run, the throwaway run it records into (rolled back): documents accepted
    /// there are named as earlier in this dry run, not by a run number that will not exist.
    pub dry_run: Option<i64>,
    /// The last interchange looked up and where it was received before (documents of one
    /// interchange come together).
    last: Option<(InterchangeKey, Option<String>)>,
}

/// What the ledger accepted of some identities (`None`: nothing yet), looked up in one batch
/// for a chunk of documents, with what the chunk itself accepted added as it is routed.
pub type Known = std::collections::HashMap<DocKey, Option<ledger::SeenDocument>>;

/// The route of one document and, when it is not accepted, why.
#[derive(Debug, Clone)]
pub struct Decision {
    pub route: Route,
    pub reason: Option<Finding>,
}

impl<'a> Router<'a> {
    pub fn new(channel: &'a str, name: &'a str, relax_envelope: bool, file: i64) -> Self {
        Router {
            channel,
            name,
            relax_envelope,
            file,
            dry_run: None,
            last: None,
        }
    }

    /// Where an interchange was received before, in another file.
    fn repeated(
        &mut self,
        ic: &InterchangeKey,
        ledger: &dyn Ledger,
    ) -> ledger::Result<Option<String>> {
        if let Some((k, place)) = &self.last
            && k == ic
        {
            return Ok(place.clone());
        }
        let place = ledger
            .interchange(&ic.0, &ic.1, &ic.2)?
            .filter(|prev| prev.id != self.file)
            .map(|prev| format!("{} (channel {}, run {})", prev.name, prev.channel, prev.run));
        self.last = Some((ic.clone(), place.clone()));
        Ok(place)
    }

    /// The identity a document is deduped by; `None` for one that is not a candidate.
    pub fn key(&self, d: &DocResult) -> Option<DocKey> {
        if !d.candidate {
            return None;
        }
        Some(DocKey {
            channel: self.channel.to_owned(),
            kind: d.kind.expect("a candidate has a kind").to_owned(),
            number: d.number.clone().unwrap_or_default(),
            purpose: d
                .purpose
                .clone()
                .unwrap_or_else(super::file::default_purpose),
        })
    }

    /// Routes the next document of the file.
    pub fn route(&mut self, d: &DocResult, ledger: &dyn Ledger) -> ledger::Result<Decision> {
        self.route_known(d, ledger, None)
    }

    /// Routes the next document of the file, taking what the ledger accepted of its identity
    /// from `known` when it is there (a chunk's identities looked up in one batch), and
    /// adding the document to `known` when it is accepted, as recording it would add it to
    /// the ledger.
    pub fn route_known(
        &mut self,
        d: &DocResult,
        ledger: &dyn Ledger,
        known: Option<&mut Known>,
    ) -> ledger::Result<Decision> {
        let Some(key) = self.key(d) else {
            return Ok(Decision {
                route: Route::Rejected,
                reason: None,
            });
        };
        let hashes = d.content_hash.expect("a candidate has a hash");
        let seen = match known.as_deref().and_then(|k| k.get(&key)) {
            Some(seen) => seen.clone(),
            None => ledger.accepted_document(&key)?,
        };
        let first = seen.map(|s| {
            // A hash in no version this tallyman knows matches nothing: a conflict, which is
            // quarantined, rather than a duplicate, which would be skipped.
            let same = ContentHash::parse(&s.content_hash).is_some_and(|h| hashes.matches(&h));
            let place = if s.file_id == self.file {
                format!("{} at byte {}", self.name, s.offset)
            } else if self.dry_run == Some(s.run) {
                format!("{} at byte {} earlier in this dry run", s.file, s.offset)
            } else {
                format!("{} at byte {} in run {}", s.file, s.offset, s.run)
            };
            (same, place)
        });
        let at = |code, message: String| {
            let mut f = Finding::error(code, message)
                .at_offset(d.offset as usize)
                .with_controls(&d.controls);
            f.segment_position = Some(1);
            f
        };
        let decision = match first {
            Some((true, place)) => Decision {
                route: Route::Duplicate,
                reason: Some(Finding {
                    severity: crate::diag::Severity::Warning,
                    ..at(
                        Code::DuplicateDocument,
                        format!("{key} is a duplicate of the one accepted from {place}; skipped"),
                    )
                }),
            },
            Some((false, place)) => Decision {
                route: Route::Conflict,
                reason: Some(at(
                    Code::ConflictingDocument,
                    format!(
                        "{key} conflicts with the one accepted from {place}: same number and purpose, different content; this version ({} at byte {}) is not applied",
                        self.name, d.offset
                    ),
                )),
            },
            None => {
                let repeated = match &d.interchange {
                    Some(ic) if !self.relax_envelope => self.repeated(ic, ledger)?,
                    _ => None,
                };
                match repeated {
                    Some(place) => {
                        let (s, r, c) = &**d.interchange.as_ref().expect("checked above");
                        Decision {
                            route: Route::Rejected,
                            reason: Some(at(
                                Code::DuplicateInterchange,
                                format!(
                                    "interchange {c} from '{s}' to '{r}' was already received in {place}; a new or corrected document needs a new interchange control number"
                                ),
                            )),
                        }
                    }
                    None => Decision {
                        route: Route::Accepted,
                        reason: None,
                    },
                }
            }
        };
        if let (Route::Accepted, Some(known)) = (decision.route, known) {
            known.insert(
                key,
                Some(ledger::SeenDocument {
                    run: self.dry_run.unwrap_or(0),
                    file_id: self.file,
                    file: self.name.to_owned(),
                    offset: d.offset,
                    content_hash: hashes.recorded().to_string(),
                }),
            );
        }
        Ok(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Controls;
    use crate::ledger::sqlite::SqliteLedger;
    use crate::ledger::{Disposition, DocRow, FileRow};
    use crate::pipeline::file::ContentHashes;

    fn file_row(name: &str) -> FileRow {
        FileRow {
            channel: "acme".into(),
            name: name.into(),
            sha256: name.into(),
            size: 1,
            disposition: Disposition::Archived,
            staged: String::new(),
            stored: String::new(),
            origin: String::new(),
            remove_origin: false,
            replay_of: None,
        }
    }

    fn candidate(number: &str, v1: Option<u8>, v2: u8) -> DocResult {
        DocResult {
            offset: 106,
            set_id: "850".into(),
            controls: Controls::default(),
            candidate: true,
            not_mapped: false,
            kind: Some("order"),
            number: Some(number.into()),
            purpose: Some("original".into()),
            content_hash: Some(ContentHashes {
                v1: v1.map(|b| [b; 32]),
                v2: [v2; 32],
            }),
            spool_line: Some(0),
            interchange: None,
            problems: Vec::new(),
            items: Vec::new(),
            acknowledgment: None,
        }
    }

    /// A ledger holds the hashes of the version that recorded them: v1 rows from before v2, v2
    /// rows after, and rows it cannot read. Each is compared in its own version.
    #[test]
    fn a_stored_hash_is_compared_in_its_own_version() {
        let mut l = SqliteLedger::open_in_memory().expect("ledger");
        let run = l.begin_run("t0").expect("run");
        l.begin(run).expect("begin");
        let old = l.add_file(run, &file_row("old.edi")).expect("file");
        for (number, hash) in [
            ("PO-1", ContentHash::V1([1; 32]).to_string()),
            ("PO-2", ContentHash::V2([2; 32]).to_string()),
            ("PO-3", "not a hash".to_owned()),
        ] {
            let row = DocRow {
                file: 0,
                key: DocKey {
                    channel: "acme".into(),
                    kind: "order".into(),
                    number: number.into(),
                    purpose: "original".into(),
                },
                content_hash: hash,
                route: Route::Accepted,
                offset: 106,
                controls: String::new(),
                reason: None,
            };
            l.add_document(run, old, &row).expect("document");
        }
        let new = l.add_file(run, &file_row("new.edi")).expect("file");
        let mut router = Router::new("acme", "new.edi", false, new);
        let mut route = |number, v1, v2| {
            router
                .route(&candidate(number, v1, v2), &l)
                .expect("routes")
                .route
        };
        assert_eq!(route("PO-1", Some(1), 9), Route::Duplicate);
        assert_eq!(route("PO-1", Some(8), 9), Route::Conflict);
        assert_eq!(route("PO-1", Some(9), 1), Route::Conflict);
        // No v1 hash worked out (the run began on a ledger with none): never a duplicate.
        assert_eq!(route("PO-1", None, 1), Route::Conflict);
        assert_eq!(route("PO-2", Some(9), 2), Route::Duplicate);
        assert_eq!(route("PO-2", None, 2), Route::Duplicate);
        assert_eq!(route("PO-2", Some(2), 9), Route::Conflict);
        assert_eq!(route("PO-3", Some(0), 0), Route::Conflict);
        assert_eq!(route("PO-4", Some(1), 2), Route::Accepted);
        assert_eq!(route("PO-5", None, 2), Route::Accepted);
    }
}
