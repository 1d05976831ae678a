//! Routing: accept, duplicate, conflict or reject each document, in input order.
//!
//! Phase: after the files of the batch are translated, one thread walks them in the order they
//! were discovered (channel order of the configuration, then file name), so that which of two
//! equal documents is "the first" never depends on thread timing. A document's identity is
//! channel + kind + number + purpose; the first accepted one wins, an identical later one is a
//! duplicate (skipped, counted), a different later one a conflict (quarantined, never applied).
//! The same holds against everything the ledger accepted in earlier runs.
//!
//! A repeated interchange (same sender, receiver and control number as one received before in
//! another file) is a partner error: its documents that are not plain duplicates are rejected,
//! since a corrected document must come with a new control number. `relax_envelope` turns that
//! into a warning.

use super::file::{FileResult, InterchangeKey, purpose_name};
use crate::diag::{Code, Finding};
use crate::ledger::{self, DocKey, Ledger, Route};
use std::collections::HashMap;

/// One input of the batch as routing sees it.
pub struct Routed<'a> {
    pub channel: &'a str,
    pub name: &'a str,
    pub relax_envelope: bool,
    pub result: &'a FileResult,
}

/// The route of one document and, when it is not accepted, why.
#[derive(Debug, Clone)]
pub struct Decision {
    pub route: Route,
    pub reason: Option<Finding>,
}

/// Routes the documents of one file, in file order. Earlier files of the batch are in the ledger
/// already (inside the run's open transaction), so the same lookups serve the batch and earlier
/// runs; only the file's own earlier documents are kept here.
pub fn route_file(f: &Routed<'_>, ledger: &dyn Ledger) -> ledger::Result<Vec<Decision>> {
    // Interchanges first: a repeated one taints its documents.
    let mut repeated: HashMap<&InterchangeKey, String> = HashMap::new();
    let mut looked_up: HashMap<&InterchangeKey, ()> = HashMap::new();
    for d in &f.result.docs {
        let Some(ic) = &d.interchange else { continue };
        if looked_up.insert(ic, ()).is_some() {
            continue;
        }
        if let Some(prev) = ledger.interchange(&ic.0, &ic.1, &ic.2)? {
            repeated.insert(
                ic,
                format!("{} (channel {}, run {})", prev.name, prev.channel, prev.run),
            );
        }
    }
    // Identities accepted earlier in this file: hash and where.
    let mut here_first: HashMap<DocKey, ([u8; 32], String)> = HashMap::new();
    let mut decisions = Vec::with_capacity(f.result.docs.len());
    for d in &f.result.docs {
        if !d.candidate {
            decisions.push(Decision {
                route: Route::Rejected,
                reason: None,
            });
            continue;
        }
        let hash = d.content_hash.expect("a candidate has a hash");
        let key = DocKey {
            channel: f.channel.to_owned(),
            kind: d.kind.expect("a candidate has a kind").to_owned(),
            number: d.number.clone().unwrap_or_default(),
            purpose: purpose_name(d.purpose.unwrap_or_default()),
        };
        let here = format!("{} at byte {}", f.name, d.offset);
        let first = match here_first.get(&key) {
            Some((h, place)) => Some((*h, place.clone())),
            None => ledger.accepted_document(&key)?.map(|s| {
                let mut h = [0u8; 32];
                decode_hex(&s.content_hash, &mut h);
                (
                    h,
                    format!("{} at byte {} in run {}", s.file, s.offset, s.run),
                )
            }),
        };
        let at = |code, message: String| {
            let mut f = Finding::error(code, message)
                .at_offset(d.offset as usize)
                .with_controls(&d.controls);
            f.segment_position = Some(1);
            f
        };
        let decision = match first {
            Some((h, place)) if h == hash => Decision {
                route: Route::Duplicate,
                reason: Some(Finding {
                    severity: crate::diag::Severity::Warning,
                    ..at(
                        Code::DuplicateDocument,
                        format!("{key} is a duplicate of the one accepted from {place}; skipped"),
                    )
                }),
            },
            Some((_, place)) => Decision {
                route: Route::Conflict,
                reason: Some(at(
                    Code::ConflictingDocument,
                    format!(
                        "{key} conflicts with the one accepted from {place}: same number and purpose, different content; this version ({here}) is not applied"
                    ),
                )),
            },
            None => match d.interchange.as_ref().and_then(|ic| repeated.get(ic)) {
                Some(place) if !f.relax_envelope => {
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
                _ => {
                    here_first.insert(key, (hash, here));
                    Decision {
                        route: Route::Accepted,
                        reason: None,
                    }
                }
            },
        };
        decisions.push(decision);
    }
    Ok(decisions)
}

pub fn hex(h: &[u8; 32]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(64);
    for &b in h {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

fn decode_hex(s: &str, out: &mut [u8; 32]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = s
            .get(2 * i..2 * i + 2)
            .and_then(|p| u8::from_str_radix(p, 16).ok())
            .unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ledger stores content hashes as this text: it must stay lower-case hex, and read back.
    #[test]
    fn hex_round_trips() {
        let h: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        let s = hex(&h);
        let want: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(s, want);
        let mut back = [0u8; 32];
        decode_hex(&s, &mut back);
        assert_eq!(back, h);
    }
}
