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

use super::file::{DocResult, InterchangeKey};
use crate::diag::{Code, Finding};
use crate::ledger::{self, DocKey, Ledger, Route};

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
    /// The last interchange looked up and where it was received before (documents of one
    /// interchange come together).
    last: Option<(InterchangeKey, Option<String>)>,
}

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

    /// Routes the next document of the file.
    pub fn route(&mut self, d: &DocResult, ledger: &dyn Ledger) -> ledger::Result<Decision> {
        if !d.candidate {
            return Ok(Decision {
                route: Route::Rejected,
                reason: None,
            });
        }
        let hash = d.content_hash.expect("a candidate has a hash");
        let key = DocKey {
            channel: self.channel.to_owned(),
            kind: d.kind.expect("a candidate has a kind").to_owned(),
            number: d.number.clone().unwrap_or_default(),
            purpose: d
                .purpose
                .clone()
                .unwrap_or_else(super::file::default_purpose),
        };
        let here = format!("{} at byte {}", self.name, d.offset);
        let first = ledger.accepted_document(&key)?.map(|s| {
            let mut h = [0u8; 32];
            decode_hex(&s.content_hash, &mut h);
            let place = if s.file_id == self.file {
                format!("{} at byte {}", self.name, s.offset)
            } else {
                format!("{} at byte {} in run {}", s.file, s.offset, s.run)
            };
            (h, place)
        });
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
        Ok(decision)
    }
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
