//! The envelope map: interchanges, groups and transaction sets (messages) with their findings,
//! the same three levels for both standards. What differs, the header fields, sits in each
//! level's `header` ([`Envelope::InterchangeHeader`] and its siblings).

use super::{Envelope, relax_findings as relax};
use crate::diag::{Controls, Finding, Level};
use crate::syntax::{Marks, Span};
use serde::Serialize;
use std::sync::Arc;

/// The envelope map of one file.
#[derive(Debug, Clone, Serialize)]
#[serde(bound = "")]
pub struct EnvelopeMap<S: Envelope> {
    pub interchanges: Vec<Interchange<S>>,
    /// Findings outside any interchange (unreadable bytes between interchanges, stray segments).
    pub findings: Vec<Finding>,
    /// True when the input was transcoded before it was read (an X12 file in EBCDIC, code page
    /// 037): spans are the same, bytes read again by span must be transcoded too.
    pub transcoded: bool,
    /// Bytes read.
    pub bytes: usize,
}

impl<S: Envelope> Default for EnvelopeMap<S> {
    fn default() -> Self {
        EnvelopeMap {
            interchanges: Vec::new(),
            findings: Vec::new(),
            transcoded: false,
            bytes: 0,
        }
    }
}

impl<S: Envelope> EnvelopeMap<S> {
    /// The interchange with this [`Interchange::number`], when the map kept it.
    pub fn interchange(&self, number: usize) -> Option<&Interchange<S>> {
        let at = self
            .interchanges
            .binary_search_by_key(&number, |ic| ic.number)
            .ok()?;
        Some(&self.interchanges[at])
    }

    /// True when the transaction set and every envelope around it hold.
    #[cfg(any(test, feature = "internals"))]
    pub fn accepted(&self, i: usize, g: usize, t: usize) -> bool {
        let ic = &self.interchanges[i];
        let gr = &ic.groups[g];
        !ic.rejected() && !gr.rejected() && !gr.transactions[t].rejected()
    }

    /// Every transaction set (message) with its indexes, in file order.
    pub fn transactions(&self) -> impl Iterator<Item = (usize, usize, usize, &Transaction<S>)> {
        self.interchanges.iter().enumerate().flat_map(|(i, ic)| {
            ic.groups.iter().enumerate().flat_map(move |(g, gr)| {
                gr.transactions
                    .iter()
                    .enumerate()
                    .map(move |(t, tx)| (i, g, t, tx))
            })
        })
    }

    /// The interchange and group of a set handed out by a streaming scan, as the scan judged
    /// them once its interchange was settled ([`Scanner::settled`](super::Scanner::settled)):
    /// their copies in this map carry the findings, and one this map did not keep had none
    /// (the set's own header copies are then the judged ones).
    pub fn judged<'m>(&'m self, closed: &'m Closed<S>) -> (&'m Interchange<S>, &'m Group<S>) {
        let judged = self.interchange(closed.interchange.number);
        let ic = judged.unwrap_or(&closed.interchange);
        let gr = judged
            .and_then(|ic| ic.group(closed.group.number))
            .unwrap_or(&closed.group);
        (ic, gr)
    }

    /// Turns count and control-number mismatches (SE01/SE02, GE01/GE02, IEA01/IEA02 and their
    /// EDIFACT counterparts) into warnings: the explicit `--relax-envelope` choice for partners
    /// whose envelopes are known to be sloppy. Missing set trailers, unreadable bytes and
    /// duplicate set control numbers still reject.
    pub fn relax_integrity(&mut self) {
        for ic in &mut self.interchanges {
            relax(&mut ic.findings);
            for g in &mut ic.groups {
                relax(&mut g.findings);
                for t in &mut g.transactions {
                    relax(&mut t.findings);
                }
            }
        }
    }

    /// The findings of every level the map holds, in file order (the file's first), each with
    /// whether that level encloses transaction sets (whose outcomes then account for its
    /// errors). A compact map holds only the interchanges, groups and sets with findings.
    pub fn into_levels(self) -> Vec<(Level, Vec<Finding>, bool)> {
        let mut levels = vec![(Level::File, self.findings, false)];
        for ic in self.interchanges {
            let has = ic.transaction_count > 0;
            levels.push((Level::Interchange, ic.findings, has));
            for g in ic.groups {
                levels.push((Level::Group, g.findings, g.transaction_count > 0));
                for t in g.transactions {
                    levels.push((Level::Transaction, t.findings, true));
                }
            }
        }
        levels
    }

    /// Every finding of the file, envelope levels first, in file order within each level.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .chain(self.interchanges.iter().flat_map(|ic| {
                ic.findings.iter().chain(ic.groups.iter().flat_map(|g| {
                    g.findings
                        .iter()
                        .chain(g.transactions.iter().flat_map(|t| t.findings.iter()))
                }))
            }))
    }
}

/// One interchange (ISA..IEA, UNB..UNZ), or the implicit one around EDIFACT messages sent
/// without a UNB.
#[derive(Debug, Clone, Serialize)]
#[serde(bound = "")]
pub struct Interchange<S: Envelope> {
    pub span: Span,
    /// Index of the header segment (for an implicit interchange, of its first segment).
    pub first_index: usize,
    pub delimiters: S::Delimiters,
    /// False for an implicit interchange.
    pub explicit: bool,
    /// The interchange control number (ISA13, UNB 0020); empty when implicit.
    pub control: String,
    /// The standard's other header fields.
    pub header: S::InterchangeHeader,
    /// The groups (in compact mode, only those with findings or with sets that have findings,
    /// and the last one).
    pub groups: Vec<Group<S>>,
    pub findings: Vec<Finding>,
    /// Position among the file's interchanges (0 for the first), implicit ones included. In
    /// compact mode the map keeps only interchanges with findings, so this is not always the
    /// index in the map.
    #[serde(skip)]
    pub number: usize,
    /// Groups started in the interchange, implicit ones included.
    #[serde(skip)]
    pub group_count: usize,
    /// Group headers (GS, UNG) read in the interchange.
    #[serde(skip)]
    pub explicit_groups: usize,
    /// Transaction set headers (ST, UNH) read in the interchange.
    #[serde(skip)]
    pub transaction_count: usize,
    /// Set when the trailer was read or the interchange was closed without it.
    #[serde(skip)]
    pub(crate) closed: bool,
}

impl<S: Envelope> Interchange<S> {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The group with this [`Group::number`], when the map kept it.
    pub fn group(&self, number: usize) -> Option<&Group<S>> {
        let at = self
            .groups
            .binary_search_by_key(&number, |g| g.number)
            .ok()?;
        Some(&self.groups[at])
    }

    /// The interchange's header fields alone (no groups, no findings).
    pub(super) fn header_only(&self) -> Interchange<S> {
        Interchange {
            span: self.span,
            first_index: self.first_index,
            delimiters: self.delimiters,
            explicit: self.explicit,
            control: self.control.clone(),
            header: self.header.clone(),
            groups: Vec::new(),
            findings: Vec::new(),
            number: self.number,
            group_count: self.group_count,
            explicit_groups: self.explicit_groups,
            transaction_count: self.transaction_count,
            closed: self.closed,
        }
    }

    /// The interchange's header fields and its own findings, without its groups: what a
    /// transaction set is judged with.
    pub fn without_groups(&self) -> Interchange<S> {
        Interchange {
            findings: self.findings.clone(),
            ..self.header_only()
        }
    }

    /// Nothing in it needs to be kept: no findings at any level.
    pub(super) fn clean(&self) -> bool {
        self.findings.is_empty() && self.groups.iter().all(Group::clean)
    }

    /// The control numbers of findings at this level.
    pub fn controls(&self) -> Controls {
        Controls {
            interchange: self.explicit.then(|| self.control.clone()),
            group: None,
            transaction: None,
        }
    }
}

/// One functional group (GS..GE, UNG..UNE), or the implicit one around EDIFACT messages sent
/// without a UNG.
#[derive(Debug, Clone, Serialize)]
#[serde(bound = "")]
pub struct Group<S: Envelope> {
    pub span: Span,
    /// False for an implicit group.
    pub explicit: bool,
    /// The group control number (GS06, UNG 0048); empty when implicit.
    pub control: String,
    /// The standard's other header fields.
    pub header: S::GroupHeader,
    /// Transaction sets read in the group (in compact mode, `transactions` keeps only those
    /// with findings).
    pub transaction_count: usize,
    pub transactions: Vec<Transaction<S>>,
    pub findings: Vec<Finding>,
    /// Position among the interchange's groups (0 for the first; see [`Interchange::number`]).
    #[serde(skip)]
    pub number: usize,
    #[serde(skip)]
    pub(crate) closed: bool,
}

impl<S: Envelope> Group<S> {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The group's header fields alone (no sets, no findings).
    pub(super) fn header_only(&self) -> Group<S> {
        Group {
            span: self.span,
            explicit: self.explicit,
            control: self.control.clone(),
            header: self.header.clone(),
            transaction_count: self.transaction_count,
            transactions: Vec::new(),
            findings: Vec::new(),
            number: self.number,
            closed: self.closed,
        }
    }

    /// The group's header fields and its own findings, without its sets: what a transaction
    /// set is judged with.
    pub fn without_transactions(&self) -> Group<S> {
        Group {
            findings: self.findings.clone(),
            ..self.header_only()
        }
    }

    /// Closed, with no findings and no set with findings.
    pub(super) fn clean(&self) -> bool {
        self.closed && self.findings.is_empty() && self.transactions.is_empty()
    }
}

/// One transaction set (ST..SE) or message (UNH..UNT).
#[derive(Debug, Clone, Serialize)]
#[serde(bound = "")]
pub struct Transaction<S: Envelope> {
    /// From the header's first byte to the end of the trailer (without its terminator).
    pub span: Span,
    /// Index of the header segment in the file.
    pub first_index: usize,
    /// The set's control number (ST02, UNH 0062).
    pub control: String,
    /// The standard's other header fields.
    pub header: S::TransactionHeader,
    /// Segments counted from header to trailer inclusive.
    pub segment_count: usize,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub(crate) closed: bool,
    /// Where its segments lie in its bytes, for translation (a streaming scan hands them out
    /// with the set and keeps none in its map).
    #[serde(skip)]
    pub(crate) marks: Marks,
}

impl<S: Envelope> Transaction<S> {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

/// The control numbers of a transaction set's findings, from its envelopes (an implicit
/// envelope has none).
pub fn controls<S: Envelope>(ic: &Interchange<S>, g: &Group<S>, t: &Transaction<S>) -> Controls {
    Controls {
        interchange: ic.explicit.then(|| ic.control.clone()),
        group: g.explicit.then(|| g.control.clone()),
        transaction: Some(t.control.clone()),
    }
}

/// A transaction set closed by a streaming scanner, with the headers of its group and
/// interchange (shared by the sets of one group). As the scanner hands it out, the headers
/// carry no findings, since those are final only when the interchange closes; the translate
/// driver hands its sink copies judged then ([`EnvelopeMap::judged`]), with their findings.
///
/// This is where a walk over closed groups with their verdicts starts (the acknowledgment
/// generator's 997/999/CONTRL): the outcomes of one group come one after another with the same
/// `group.number` (within `interchange.number`), the group's verdict is [`Group::rejected`],
/// its sets' verdicts are their outcomes.
#[derive(Debug, Clone)]
pub struct Closed<S: Envelope> {
    pub interchange: Arc<Interchange<S>>,
    pub group: Arc<Group<S>>,
    pub transaction: Transaction<S>,
}
