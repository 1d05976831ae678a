//! Receipts: what an acknowledgment says about one inbound interchange, collected while the
//! file is translated.
//!
//! The translate driver hands every transaction set (message) to its sink with the judged
//! headers of its group and interchange ([`Closed`]) and its [`Outcome`]; a [`Collector`]
//! turns that stream into one [`Receipt`] per interchange, its groups in order and each group's
//! sets in order, with the findings an acknowledgment reports. Interchanges and groups that
//! enclose no set reach the collector only through the final envelope map
//! ([`Collector::finish`]), which keeps everything that has findings.
//!
//! A receipt holds, per set, its header, control number and findings: a clean set costs about
//! a hundred bytes, kept until the file ends (a group with findings but no set is known only
//! then). Only channels that send acknowledgments collect receipts.

use crate::diag::{Code, Finding, Level, Severity};
use crate::envelope::{Closed, Envelope, EnvelopeMap, Group, Interchange};
use crate::map::Outcome;

/// The receipts of one file, in the standard it was read in.
#[derive(Debug, Clone, Default)]
pub enum Receipts {
    /// None were collected (a feed, or a channel that sends nothing back).
    #[default]
    None,
    X12(Vec<Receipt<crate::syntax::x12::X12>>),
    Edifact(Vec<Receipt<crate::syntax::edifact::Edifact>>),
}

/// One inbound interchange as its acknowledgment sees it.
#[derive(Debug, Clone)]
pub struct Receipt<S: Envelope> {
    /// The interchange's header and its own findings (no groups: those are in `groups`).
    pub interchange: Interchange<S>,
    pub groups: Vec<GroupReceipt<S>>,
}

impl<S: Envelope> Receipt<S> {
    /// The interchange's findings about itself: its own, and those its sets found about it
    /// (a control character in the UNB sender is seen when a message is read).
    pub fn interchange_findings(&self) -> impl Iterator<Item = &Finding> {
        self.interchange.findings.iter().chain(
            self.groups
                .iter()
                .flat_map(|g| g.sets.iter())
                .flat_map(|s| s.findings.iter())
                .filter(|f| f.code.level() == Level::Interchange),
        )
    }

    /// Whether the interchange is rejected, by its own findings or those of its sets about it.
    pub fn interchange_rejected(&self) -> bool {
        self.interchange_findings().any(Finding::is_error)
    }
}

/// One inbound functional group (or the implicit group around EDIFACT messages sent without
/// UNG).
#[derive(Debug, Clone)]
pub struct GroupReceipt<S: Envelope> {
    /// The group's header and its own findings (no sets: those are in `sets`).
    pub group: Group<S>,
    pub sets: Vec<SetReceipt<S>>,
}

/// One inbound transaction set or message.
#[derive(Debug, Clone)]
pub struct SetReceipt<S: Envelope> {
    pub header: S::TransactionHeader,
    /// ST02, UNH 0062.
    pub control: String,
    /// Byte offset of its header in the file.
    pub offset: usize,
    /// What the syntax says of the set: its envelope findings (trailer, counts, control
    /// numbers) and the grammar's, errors and warnings (a lenient channel's grammar errors are
    /// warnings). Business rules, mapping findings, duplicates and conflicts are not among them:
    /// an acknowledgment says what the syntax says.
    pub findings: Vec<Finding>,
    /// Whether the set's own syntax rejects it.
    pub rejected: bool,
    /// Recognized but not supported here (no grammar, or a set we do not take: an 855).
    pub not_supported: bool,
}

impl<S: Envelope> SetReceipt<S> {
    /// Whether it was accepted with warnings: the syntax found something, and let it pass.
    pub fn with_warnings(&self) -> bool {
        !self.rejected
            && self
                .findings
                .iter()
                .any(|f| f.severity == Severity::Warning)
    }
}

/// Whether a finding is one an acknowledgment reports: a code of the syntax (envelope, segment
/// or element), not one of mapping, business rules or routing, which have no ack code.
pub fn reported(f: &Finding) -> bool {
    f.code.x12_code().is_some()
}

impl<S: Envelope> SetReceipt<S> {
    fn of(closed: &Closed<S>, outcome: &Outcome) -> Self {
        let tx = &closed.transaction;
        let mut findings: Vec<Finding> = tx
            .findings
            .iter()
            .chain(outcome.findings.iter())
            .filter(|f| reported(f))
            .cloned()
            .collect();
        findings.sort_by_key(|f| (f.offset, f.segment_index));
        let not_supported = outcome
            .findings
            .iter()
            .any(|f| f.code == Code::SetNotSupported);
        // An envelope error found while the set was read (a control character in the UNB
        // sender, seen when the message's charset is checked) rejects the set too.
        let rejected = not_supported || findings.iter().any(Finding::is_error);
        SetReceipt {
            header: tx.header.clone(),
            control: tx.control.clone(),
            offset: tx.span.start,
            findings,
            rejected,
            not_supported,
        }
    }
}

/// Builds receipts from the translate driver's sink, one interchange at a time.
#[derive(Debug)]
pub struct Collector<S: Envelope> {
    receipts: Vec<Receipt<S>>,
}

impl<S: Envelope> Default for Collector<S> {
    fn default() -> Self {
        Collector {
            receipts: Vec::new(),
        }
    }
}

impl<S: Envelope> Collector<S> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one set with its outcome (sets come in file order).
    pub fn add(&mut self, closed: &Closed<S>, outcome: &Outcome) {
        let number = closed.interchange.number;
        if self
            .receipts
            .last()
            .is_none_or(|r| r.interchange.number != number)
        {
            self.receipts.push(Receipt {
                interchange: closed.interchange.without_groups(),
                groups: Vec::new(),
            });
        }
        let receipt = self.receipts.last_mut().expect("pushed above");
        let group = closed.group.number;
        if receipt
            .groups
            .last()
            .is_none_or(|g| g.group.number != group)
        {
            receipt.groups.push(GroupReceipt {
                group: closed.group.without_transactions(),
                sets: Vec::new(),
            });
        }
        let g = receipt.groups.last_mut().expect("pushed above");
        g.sets.push(SetReceipt::of(closed, outcome));
    }

    /// Ends the file: every receipt, with the interchanges and groups of `map` that enclosed
    /// no set added, in file order. `map` is the envelope map the driver returned: it keeps
    /// every interchange and group with findings (a clean group without sets has nothing to
    /// acknowledge and is not kept).
    pub fn finish(self, map: &EnvelopeMap<S>) -> Vec<Receipt<S>> {
        let mut out = self.receipts;
        let mut unseen = Vec::new();
        for ic in &map.interchanges {
            let empty_groups: Vec<GroupReceipt<S>> = ic
                .groups
                .iter()
                .filter(|g| g.transaction_count == 0)
                .map(|g| GroupReceipt {
                    group: g.without_transactions(),
                    sets: Vec::new(),
                })
                .collect();
            match out.binary_search_by_key(&ic.number, |r| r.interchange.number) {
                Ok(at) => merge_groups(&mut out[at], empty_groups),
                Err(_) => unseen.push(Receipt {
                    interchange: ic.without_groups(),
                    groups: empty_groups,
                }),
            }
        }
        if !unseen.is_empty() {
            out.extend(unseen);
            out.sort_by_key(|r| r.interchange.number);
        }
        out
    }
}

fn merge_groups<S: Envelope>(r: &mut Receipt<S>, groups: Vec<GroupReceipt<S>>) {
    if groups.is_empty() {
        return;
    }
    for g in groups {
        if !r.groups.iter().any(|x| x.group.number == g.group.number) {
            r.groups.push(g);
        }
    }
    r.groups.sort_by_key(|g| g.group.number);
}
