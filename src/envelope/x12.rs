//! The X12 envelope pass: ISA/IEA, GS/GE, ST/SE.

use super::{Feed, Step, Trailer, TrailerFields, pump, relax_findings as relax};
use crate::diag::{Code, Controls, Finding, Level};
use crate::syntax::text::{decode, decode_trimmed, for_message};
use crate::syntax::values::{valid_ccyymmdd, valid_hhmm, valid_yymmdd};
use crate::syntax::x12::{Delimiters, Next, SegmentRef, SyntaxError, Tokenizer};
use crate::syntax::{Span, ebcdic, hash_str};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

/// The envelope map of one X12 file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EnvelopeMap {
    pub interchanges: Vec<Interchange>,
    /// Findings outside any interchange (unreadable bytes between interchanges).
    pub findings: Vec<Finding>,
    /// True when the file was EBCDIC (code page 037) and was transcoded.
    pub ebcdic: bool,
    /// Bytes read.
    pub bytes: usize,
}

impl EnvelopeMap {
    /// The interchange with this [`Interchange::number`], when the map kept it.
    pub fn interchange(&self, number: usize) -> Option<&Interchange> {
        let at = self
            .interchanges
            .binary_search_by_key(&number, |ic| ic.number)
            .ok()?;
        Some(&self.interchanges[at])
    }

    /// True when the transaction set and every envelope around it hold.
    pub fn accepted(&self, i: usize, g: usize, t: usize) -> bool {
        let ic = &self.interchanges[i];
        let gr = &ic.groups[g];
        !ic.rejected() && !gr.rejected() && !gr.transactions[t].rejected()
    }

    /// Every transaction set with its indexes, in file order.
    pub fn transactions(&self) -> impl Iterator<Item = (usize, usize, usize, &Transaction)> {
        self.interchanges.iter().enumerate().flat_map(|(i, ic)| {
            ic.groups.iter().enumerate().flat_map(move |(g, gr)| {
                gr.transactions
                    .iter()
                    .enumerate()
                    .map(move |(t, tx)| (i, g, t, tx))
            })
        })
    }

    /// Turns count and control-number mismatches (SE01/SE02, GE01/GE02, IEA01/IEA02) into
    /// warnings: the explicit `--relax-envelope` choice for partners whose envelopes are known to
    /// be sloppy. Missing trailers, unreadable bytes and duplicate control numbers still reject.
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

/// One ISA..IEA interchange.
#[derive(Debug, Clone, Serialize)]
pub struct Interchange {
    pub span: Span,
    pub isa_index: usize,
    pub delimiters: Delimiters,
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    pub date: String,
    pub time: String,
    /// ISA12.
    pub version: String,
    /// ISA13.
    pub control: String,
    pub ack_requested: String,
    /// ISA15: P production, T test, I information.
    pub usage: String,
    /// The groups (in compact mode, only those with findings or with sets that have findings,
    /// and the last one).
    pub groups: Vec<Group>,
    pub findings: Vec<Finding>,
    /// Position among the file's interchanges (0 for the first). In compact mode the map keeps
    /// only interchanges with findings, so this is not always the index in the map.
    #[serde(skip)]
    pub number: usize,
    /// GS segments read in the interchange.
    #[serde(skip)]
    pub group_count: usize,
    /// ST segments read in the interchange.
    #[serde(skip)]
    pub transaction_count: usize,
    /// Set when IEA was read.
    #[serde(skip)]
    closed: bool,
}

impl Interchange {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The group with this [`Group::number`], when the map kept it.
    pub fn group(&self, number: usize) -> Option<&Group> {
        let at = self
            .groups
            .binary_search_by_key(&number, |g| g.number)
            .ok()?;
        Some(&self.groups[at])
    }

    /// The interchange's header fields alone (no groups, no findings).
    fn header(&self) -> Interchange {
        Interchange {
            groups: Vec::new(),
            findings: Vec::new(),
            sender_qualifier: self.sender_qualifier.clone(),
            sender_id: self.sender_id.clone(),
            receiver_qualifier: self.receiver_qualifier.clone(),
            receiver_id: self.receiver_id.clone(),
            date: self.date.clone(),
            time: self.time.clone(),
            version: self.version.clone(),
            control: self.control.clone(),
            ack_requested: self.ack_requested.clone(),
            usage: self.usage.clone(),
            ..*self
        }
    }

    /// Nothing in it needs to be kept: no findings at any level.
    fn clean(&self) -> bool {
        self.findings.is_empty() && self.groups.iter().all(Group::clean)
    }

    fn controls(&self) -> Controls {
        Controls {
            interchange: Some(self.control.clone()),
            group: None,
            transaction: None,
        }
    }
}

/// One GS..GE functional group.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub span: Span,
    pub functional_id: String,
    pub sender: String,
    pub receiver: String,
    pub date: String,
    pub time: String,
    /// GS06.
    pub control: String,
    pub agency: String,
    /// GS08.
    pub version: String,
    /// Transaction sets read in the group (in streaming mode, `transactions` keeps only those
    /// with findings).
    pub transaction_count: usize,
    pub transactions: Vec<Transaction>,
    pub findings: Vec<Finding>,
    /// Position among the interchange's groups (0 for the first; see [`Interchange::number`]).
    #[serde(skip)]
    pub number: usize,
    #[serde(skip)]
    closed: bool,
}

impl Group {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The group's header fields alone (no sets, no findings).
    fn header(&self) -> Group {
        Group {
            transactions: Vec::new(),
            findings: Vec::new(),
            functional_id: self.functional_id.clone(),
            sender: self.sender.clone(),
            receiver: self.receiver.clone(),
            date: self.date.clone(),
            time: self.time.clone(),
            control: self.control.clone(),
            agency: self.agency.clone(),
            version: self.version.clone(),
            ..*self
        }
    }

    /// Closed, with no findings and no set with findings.
    fn clean(&self) -> bool {
        self.closed && self.findings.is_empty() && self.transactions.is_empty()
    }
}

/// One ST..SE transaction set.
#[derive(Debug, Clone, Serialize)]
pub struct Transaction {
    /// From the ST's first byte to the end of the SE (without its terminator).
    pub span: Span,
    /// Index of the ST segment in the file.
    pub first_index: usize,
    /// ST01.
    pub set_id: String,
    /// ST02.
    pub control: String,
    /// ST03 (005010 implementation convention), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub implementation: Option<String>,
    /// Segments counted from ST to SE inclusive.
    pub segment_count: usize,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    closed: bool,
}

impl Transaction {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

/// The functional identifier (GS01) each transaction set travels in.
pub fn functional_group_of(set_id: &str) -> Option<&'static str> {
    Some(match set_id {
        "850" => "PO",
        "856" => "SH",
        "810" => "IN",
        "997" => "FA",
        "999" => "FA",
        "855" => "PR",
        "860" => "PC",
        "865" => "CA",
        "820" => "RA",
        "846" => "IB",
        "852" => "PD",
        "832" => "SC",
        "864" => "TX",
        "875" => "OG",
        "880" => "GP",
        "940" => "OW",
        "945" => "SW",
        "943" => "AR",
        "944" => "RE",
        "210" => "IM",
        "214" => "QM",
        "204" => "SM",
        "990" => "GF",
        "824" => "AG",
        "812" => "CD",
        "753" => "GI",
        "754" => "GI",
        "270" => "HS",
        "271" => "HB",
        "837" => "HC",
        "835" => "HP",
        _ => return None,
    })
}

/// A transaction set closed by a streaming scanner, with the headers of its group and
/// interchange (shared by the sets of one group; they carry no findings: a streaming scan
/// judges nothing, the compact pass before it does).
#[derive(Debug, Clone)]
pub struct Closed {
    pub interchange: Arc<Interchange>,
    pub group: Arc<Group>,
    pub transaction: Transaction,
}

/// Incremental envelope checker: feed it segments and syntax errors in file order.
///
/// A compact scanner keeps only what has findings, so its memory does not grow with the file:
/// a closed group with nothing to report is dropped when the next one starts, a closed
/// interchange with nothing to report when the next one starts or the file ends. The kept ones
/// carry their [`Interchange::number`] and [`Group::number`]; what is not in the map was clean.
/// The duplicate checks keep a 16-byte hash per control number, not the strings.
#[derive(Debug, Default)]
pub struct Scanner {
    map: EnvelopeMap,
    /// Hash of ISA13 → byte offset of the first interchange that used it.
    seen_interchanges: HashMap<u64, usize>,
    /// Hash of GS06 → byte offset of the first group of the open interchange that used it.
    seen_groups: HashMap<u64, usize>,
    /// Interchanges started so far.
    interchange_count: usize,
    /// Header copies of the open interchange and group, shared by the sets handed out.
    headers: Option<(Arc<Interchange>, Arc<Group>)>,
    /// ST02 hashes of the open group: a huge group costs 16 bytes a set, not its strings.
    seen_transactions: HashMap<u64, usize>,
    /// Segment count of the open transaction set.
    open_tx_count: usize,
    /// Index the next segment will have (for findings about what is missing at the end).
    next_index: usize,
    /// Compact mode: only transaction sets with findings stay in the map, so memory does not
    /// grow with the file.
    compact: bool,
    /// Streaming mode (compact too): closed transaction sets are handed out by
    /// [`Scanner::take_closed`].
    emit: bool,
    closed: std::collections::VecDeque<Closed>,
}

impl Scanner {
    pub fn new() -> Self {
        Scanner::default()
    }

    /// A scanner whose map keeps interchanges, groups and only the transaction sets with
    /// findings.
    pub fn compact() -> Self {
        Scanner {
            compact: true,
            ..Scanner::default()
        }
    }

    /// A compact scanner that also hands out every closed set by [`Scanner::take_closed`].
    pub fn streaming() -> Self {
        Scanner {
            compact: true,
            emit: true,
            ..Scanner::default()
        }
    }

    /// The next transaction set closed since the last call, with its group and interchange
    /// (streaming mode only).
    pub fn take_closed(&mut self) -> Option<Closed> {
        self.closed.pop_front()
    }

    /// Called whenever the open transaction set was just closed.
    fn closed_tx(&mut self) {
        if !self.compact {
            return;
        }
        let ic = self.map.interchanges.last_mut().expect("a set is in one");
        let group = ic.groups.last_mut().expect("a set is in one");
        let tx = if self.emit
            || group
                .transactions
                .last()
                .is_some_and(|t| t.findings.is_empty())
        {
            group.transactions.pop().expect("just closed")
        } else {
            return;
        };
        if !self.emit {
            return;
        }
        let ic = self.map.interchanges.last().expect("a set is in one");
        let group = ic.groups.last().expect("a set is in one");
        let fresh = |(i, g): &(Arc<Interchange>, Arc<Group>)| {
            i.number == ic.number && g.number == group.number
        };
        let (interchange, group) = match &self.headers {
            Some(h) if fresh(h) => h.clone(),
            _ => {
                let h = (Arc::new(ic.header()), Arc::new(group.header()));
                self.headers = Some(h.clone());
                h
            }
        };
        self.closed.push_back(Closed {
            interchange,
            group,
            transaction: tx,
        });
    }

    /// Drops, in compact mode, the closed groups of the open interchange and the closed
    /// interchanges that have nothing to report (a streaming scanner drops every closed one:
    /// its sets carry their headers).
    fn retire(&mut self) {
        if !self.compact {
            return;
        }
        let emit = self.emit;
        if let Some(ic) = self.map.interchanges.last_mut() {
            if ic.closed {
                if emit || ic.clean() {
                    self.map.interchanges.pop();
                }
            } else if ic
                .groups
                .last()
                .is_some_and(|g| g.closed && (emit || g.clean()))
            {
                ic.groups.pop();
            }
        }
    }

    fn open_interchange(&mut self) -> Option<&mut Interchange> {
        self.map.interchanges.last_mut().filter(|i| !i.closed)
    }

    fn open_group(&mut self) -> Option<&mut Group> {
        self.open_interchange()?
            .groups
            .last_mut()
            .filter(|g| !g.closed)
    }

    fn open_tx(&mut self) -> Option<&mut Transaction> {
        self.open_group()?
            .transactions
            .last_mut()
            .filter(|t| !t.closed)
    }

    fn controls(&mut self) -> Controls {
        let mut c = Controls::default();
        if let Some(i) = self.open_interchange() {
            c.interchange = Some(i.control.clone());
            if let Some(g) = i.groups.last().filter(|g| !g.closed) {
                c.group = Some(g.control.clone());
                if let Some(t) = g.transactions.last().filter(|t| !t.closed) {
                    c.transaction = Some(t.control.clone());
                }
            }
        }
        c
    }

    /// Takes one unreadable stretch of the file.
    pub fn syntax_error(&mut self, e: &SyntaxError) {
        let msg = format!(
            "{} (bytes {}..{} skipped, {})",
            e.kind,
            e.skipped.start,
            e.skipped.end,
            if e.to_end {
                "to the end of the file"
            } else {
                "up to the next ISA"
            }
        );
        let controls = self.controls();
        let mut f = Finding::error(Code::Syntax, msg)
            .at_offset(e.offset)
            .with_controls(&controls);
        f.segment_index = Some(e.segment_index);
        self.next_index = e.segment_index;
        // An error inside an open interchange breaks it: its trailers will never come.
        let at = e.offset;
        let idx = e.segment_index;
        if self.open_interchange().is_some() {
            self.close_open(
                Level::Interchange,
                at,
                idx,
                None,
                "the rest of the interchange could not be read",
            );
            let ic = self.map.interchanges.last_mut().expect("just closed");
            ic.findings.push(f);
        } else {
            self.map.findings.push(f);
        }
    }

    /// Takes the next segment.
    pub fn segment(&mut self, s: &SegmentRef<'_>) {
        self.next_index = s.index + 1;
        if s.unterminated && s.tag() != b"IEA" {
            let controls = self.controls();
            let f = Finding::error(
                Code::Syntax,
                format!(
                    "the file ends inside segment {}: it has no segment terminator (the file looks truncated)",
                    s.tag_str()
                ),
            )
            .at(s.span.start, s.index, s.tag_str())
            .with_controls(&controls);
            // The cut is the enclosing transaction set's problem when there is one.
            if let Some(t) = self.open_tx() {
                t.findings.push(f);
            } else if let Some(ic) = self.open_interchange() {
                ic.findings.push(f);
            } else {
                self.map.findings.push(f);
            }
        }
        match s.tag() {
            b"ISA" => self.isa(s),
            b"GS" => self.gs(s),
            b"ST" => self.st(s),
            b"SE" => self.se(s),
            b"GE" => self.ge(s),
            b"IEA" => self.iea(s),
            _ => self.body(s),
        }
    }

    /// Ends the file: whatever is still open lacks its trailer (sets closed here are handed
    /// out by [`Scanner::take_closed`] in streaming mode).
    pub fn end(&mut self, bytes: usize) {
        let next = self.next_index;
        self.close_open(Level::Interchange, bytes, next, None, "the file ends");
        self.retire();
        self.map.bytes = bytes;
    }

    /// Ends the file and returns the map.
    pub fn finish(mut self, bytes: usize) -> EnvelopeMap {
        self.end(bytes);
        self.map
    }

    /// Closes what is open, from the transaction set up to `upto`, each with a missing-trailer
    /// error placed at `offset` / `index` (and `tag` when a segment is there).
    fn close_open(
        &mut self,
        upto: Level,
        offset: usize,
        index: usize,
        tag: Option<&str>,
        why: &str,
    ) {
        let place = |f: Finding, controls: &Controls| {
            let mut f = f.at_offset(offset).with_controls(controls);
            f.segment_index = Some(index);
            f.segment = tag.map(str::to_string);
            f
        };
        let controls = self.controls();
        if let Some(t) = self.open_tx() {
            let msg = format!(
                "transaction set {} {} has no SE trailer: {why}",
                t.set_id, t.control
            );
            t.findings.push(place(
                Finding::error(Code::TransactionTrailerMissing, msg),
                &controls,
            ));
            t.closed = true;
            self.closed_tx();
        }
        if upto == Level::Transaction {
            return;
        }
        let controls = Controls {
            transaction: None,
            ..controls
        };
        if let Some(g) = self.open_group() {
            let msg = format!(
                "functional group {} {} has no GE trailer: {why}",
                g.functional_id, g.control
            );
            g.findings.push(place(
                Finding::error(Code::GroupTrailerMissing, msg),
                &controls,
            ));
            g.closed = true;
        }
        if upto == Level::Group {
            return;
        }
        let controls = Controls {
            group: None,
            ..controls
        };
        if let Some(ic) = self.open_interchange() {
            let msg = format!("interchange {} has no IEA trailer: {why}", ic.control);
            ic.findings.push(place(
                Finding::error(Code::InterchangeTrailerMissing, msg),
                &controls,
            ));
            ic.closed = true;
        }
    }

    fn isa(&mut self, s: &SegmentRef<'_>) {
        if self.open_interchange().is_some() {
            let why = format!(
                "a new interchange header ({}) starts at segment {} before the IEA of this one",
                s.tag_str(),
                s.index
            );
            self.close_at(s, Level::Interchange, &why);
        }
        self.retire();
        let text = |n: usize| decode_trimmed(s.value(n));
        let mut ic = Interchange {
            span: Span::new(s.span.start, s.span.end),
            isa_index: s.index,
            delimiters: s.delimiters,
            sender_qualifier: text(5),
            sender_id: text(6),
            receiver_qualifier: text(7),
            receiver_id: text(8),
            date: text(9),
            time: text(10),
            version: text(12),
            control: text(13),
            ack_requested: text(14),
            usage: text(15),
            groups: Vec::new(),
            findings: Vec::new(),
            number: self.interchange_count,
            group_count: 0,
            transaction_count: 0,
            closed: false,
        };
        self.interchange_count += 1;
        let controls = ic.controls();
        ic.findings = check_isa_fields(s, &controls);
        let key = hash_str(&ic.control);
        if let Some(&first) = self.seen_interchanges.get(&key) {
            ic.findings.push(
                Finding::warning(
                    Code::DuplicateInterchange,
                    format!(
                        "interchange control number {} was already used by the interchange at byte {first} of this file",
                        ic.control
                    ),
                )
                .at(s.span.start, s.index, "ISA")
                .element(13)
                .with_controls(&controls),
            );
        } else {
            self.seen_interchanges.insert(key, s.span.start);
        }
        self.seen_groups.clear();
        self.map.interchanges.push(ic);
    }

    fn gs(&mut self, s: &SegmentRef<'_>) {
        if self.open_interchange().is_none() {
            return self.stray(s, "GS outside of an interchange (no ISA before it)");
        }
        if self.open_group().is_some() {
            self.close_at(
                s,
                Level::Group,
                "a new GS starts before the GE of this group",
            );
        }
        self.retire();
        let text = |n: usize| decode_trimmed(s.value(n));
        let mut g = Group {
            span: s.span,
            functional_id: text(1),
            sender: text(2),
            receiver: text(3),
            date: text(4),
            time: text(5),
            control: text(6),
            agency: text(7),
            version: text(8),
            transaction_count: 0,
            transactions: Vec::new(),
            findings: Vec::new(),
            number: 0,
            closed: false,
        };
        let mut controls = self.controls();
        controls.group = Some(g.control.clone());
        g.findings = check_gs_fields(s, &controls);
        let key = hash_str(&g.control);
        if let Some(&first) = self.seen_groups.get(&key) {
            g.findings.push(
                Finding::warning(
                    Code::GroupControlInvalid,
                    format!(
                        "group control number {} was already used by the group at byte {first} in this interchange",
                        g.control
                    ),
                )
                .at(s.span.start, s.index, "GS")
                .element(6)
                .with_controls(&controls),
            );
        } else {
            self.seen_groups.insert(key, s.span.start);
        }
        self.seen_transactions.clear();
        let ic = self.open_interchange().expect("checked above");
        // A file that ends every segment with '~' + newline but has no ISA16 reads as component
        // separator '~' and terminator newline; its GS then ends with the "component separator".
        let d = ic.delimiters;
        if ic.group_count == 0
            && d.terminator.is_line_break()
            && s.data().last() == Some(&d.component)
        {
            let c = for_message(&[d.component], 4);
            ic.findings.push(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "ISA16 (component separator) reads as '{c}', but the GS also ends with '{c}': the file uses '{c}' as its segment terminator and the ISA lacks its component separator"
                    ),
                )
                .at(ic.span.start, ic.isa_index, "ISA")
                .element(16)
                .with_controls(&controls),
            );
        }
        g.number = ic.group_count;
        ic.group_count += 1;
        ic.groups.push(g);
    }

    fn close_at(&mut self, s: &SegmentRef<'_>, upto: Level, why: &str) {
        let tag = s.tag_str().into_owned();
        self.close_open(upto, s.span.start, s.index, Some(&tag), why);
    }

    fn st(&mut self, s: &SegmentRef<'_>) {
        if self.open_group().is_none() {
            return self.stray(s, "ST outside of a functional group (no GS before it)");
        }
        let why = format!("a new ST starts at segment {}", s.index);
        self.close_at(s, Level::Transaction, &why);
        let controls = self.controls();
        let set_id = decode_trimmed(s.value(1));
        let control = decode_trimmed(s.value(2));
        let implementation = s.element(3).filter(|v| !v.is_empty()).map(decode_trimmed);
        let controls = Controls {
            transaction: Some(control.clone()),
            ..controls
        };
        let mut findings = Vec::new();
        let at = |f: Finding, el: usize| {
            f.at(s.span.start, s.index, "ST")
                .element(el)
                .with_controls(&controls)
        };
        if set_id.len() != 3 || !set_id.bytes().all(|b| b.is_ascii_digit()) {
            findings.push(at(
                Finding::error(
                    Code::InvalidSetId,
                    format!("ST01 '{set_id}' is not a transaction set identifier (three digits)"),
                ),
                1,
            ));
        }
        if control.len() < 4 || control.len() > 9 {
            findings.push(at(
                Finding::error(
                    Code::InvalidTransactionControl,
                    format!("ST02 '{control}' must be 4 to 9 characters"),
                ),
                2,
            ));
        }
        let key = hash_str(&control);
        if let Some(&first) = self.seen_transactions.get(&key) {
            findings.push(at(
                Finding::error(
                    Code::DuplicateTransactionControl,
                    format!(
                        "transaction set control number {control} was already used at byte {first} in this group"
                    ),
                ),
                2,
            ));
        } else {
            self.seen_transactions.insert(key, s.span.start);
        }
        let tx = Transaction {
            span: s.span,
            first_index: s.index,
            set_id,
            control,
            implementation,
            segment_count: 1,
            findings,
            closed: false,
        };
        self.open_tx_count = 1;
        self.open_interchange()
            .expect("checked above")
            .transaction_count += 1;
        let g = self.open_group().expect("checked above");
        g.transaction_count += 1;
        g.transactions.push(tx);
    }

    fn body(&mut self, s: &SegmentRef<'_>) {
        if self.open_tx().is_some() {
            self.open_tx_count += 1;
            return;
        }
        // A corrupt interchange header: sixteen elements like an ISA, under another tag. It
        // starts an interchange of its own, which is rejected; the one before it ends there.
        if s.element_count() == 16 && s.tag() != b"ISA" {
            return self.corrupt_isa(s);
        }
        // TA1 acknowledgments and ISB/ISE service segments sit between ISA and GS.
        let tag = s.tag();
        if matches!(tag, b"TA1" | b"ISB" | b"ISE")
            && self.open_interchange().is_some()
            && self.open_group().is_none()
        {
            return;
        }
        self.stray(
            s,
            &format!(
                "segment {} is outside of any transaction set (between envelope segments)",
                s.tag_str()
            ),
        );
    }

    fn corrupt_isa(&mut self, s: &SegmentRef<'_>) {
        self.isa(s);
        let ic = self.map.interchanges.last_mut().expect("isa() opened one");
        let controls = ic.controls();
        ic.findings
            .retain(|f| f.code != Code::InvalidInterchangeHeader);
        ic.findings.push(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!(
                    "segment {} has the sixteen elements of an interchange header, but its tag is not ISA: the header is corrupt, so this interchange is rejected",
                    s.tag_str()
                ),
            )
            .at(s.span.start, s.index, s.tag_str())
            .with_controls(&controls),
        );
    }

    fn stray(&mut self, s: &SegmentRef<'_>, why: &str) {
        let controls = self.controls();
        let f = Finding::error(Code::SegmentOutsideEnvelope, why)
            .at(s.span.start, s.index, s.tag_str())
            .with_controls(&controls);
        if let Some(g) = self.open_group() {
            g.findings.push(f);
        } else if let Some(ic) = self.open_interchange() {
            ic.findings.push(f);
        } else {
            self.map.findings.push(f);
        }
    }

    fn se(&mut self, s: &SegmentRef<'_>) {
        let controls = self.controls();
        let count = self.open_tx_count + 1;
        let Some(t) = self.open_tx() else {
            return self.stray(s, "SE without a matching ST");
        };
        t.segment_count = count;
        t.span.end = s.span.end;
        let what = format!("transaction set {} {}", t.set_id, t.control);
        let trailer = Trailer {
            counted: count,
            noun: "segments (ST to SE inclusive)",
            what: &what,
            count_code: Code::SegmentCountMismatch,
            control: &t.control,
            header: "ST02",
            control_code: Code::TransactionControlMismatch,
        };
        t.findings.extend(check_trailer(&trailer, s, &controls));
        t.closed = true;
        self.closed_tx();
    }

    fn ge(&mut self, s: &SegmentRef<'_>) {
        if self.open_group().is_none() {
            return self.stray(s, "GE without a matching GS");
        }
        if self.open_tx().is_some() {
            self.close_at(s, Level::Transaction, "the group ends (GE) before it");
        }
        let controls = Controls {
            transaction: None,
            ..self.controls()
        };
        let g = self.open_group().expect("checked above");
        g.span.end = s.span.end;
        let what = format!("group {}", g.control);
        let trailer = Trailer {
            counted: g.transaction_count,
            noun: "transaction sets",
            what: &what,
            count_code: Code::TransactionCountMismatch,
            control: &g.control,
            header: "GS06",
            control_code: Code::GroupControlMismatch,
        };
        g.findings.extend(check_trailer(&trailer, s, &controls));
        g.closed = true;
    }

    fn iea(&mut self, s: &SegmentRef<'_>) {
        if self.open_interchange().is_none() {
            return self.stray(s, "IEA without a matching ISA");
        }
        if self.open_group().is_some() {
            self.close_at(s, Level::Group, "the interchange ends (IEA) before it");
        }
        let ic = self.open_interchange().expect("checked above");
        let controls = ic.controls();
        ic.span.end = s.span.end;
        let what = format!("interchange {}", ic.control);
        let trailer = Trailer {
            counted: ic.group_count,
            noun: "functional groups",
            what: &what,
            count_code: Code::GroupCountMismatch,
            control: &ic.control,
            header: "ISA13",
            control_code: Code::InterchangeControlMismatch,
        };
        ic.findings.extend(check_trailer(&trailer, s, &controls));
        ic.closed = true;
    }
}

/// Checks an X12 trailer's first two elements.
fn check_trailer(t: &Trailer<'_>, s: &SegmentRef<'_>, controls: &Controls) -> Vec<Finding> {
    let tag = s.tag_str();
    let read = TrailerFields {
        count_label: &format!("{tag}01"),
        count: &decode_trimmed(s.value(1)),
        control_label: &format!("{tag}02"),
        control: &decode_trimmed(s.value(2)),
    };
    t.check(&read, |f, el| {
        f.at(s.span.start, s.index, tag.as_ref())
            .element(el)
            .with_controls(controls)
    })
}

/// (min, max) character lengths of ISA01..ISA16.
const ISA_WIDTHS: [(usize, usize); 16] = [
    (2, 2),
    (10, 10),
    (2, 2),
    (10, 10),
    (2, 2),
    (15, 15),
    (2, 2),
    (15, 15),
    (6, 6),
    (4, 4),
    (1, 1),
    (5, 5),
    (9, 9),
    (1, 1),
    (1, 1),
    (1, 1),
];

fn check_isa_fields(s: &SegmentRef<'_>, controls: &Controls) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |f: Finding, el: usize| {
        f.at(s.element_offset(el), s.index, "ISA")
            .element(el)
            .with_controls(controls)
    };
    let count = s.element_count();
    if count != 16 {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!("the ISA has {count} elements; it must have 16"),
            ),
            count.min(16),
        ));
    }
    for (i, v) in s.elements().take(16).enumerate() {
        let n = i + 1;
        let chars = decode(v).chars().count();
        let (min, max) = ISA_WIDTHS[i];
        if chars > max {
            out.push(at(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "ISA{n:02} '{}' is {chars} characters; the field is {max} wide",
                        for_message(v, 40)
                    ),
                ),
                n,
            ));
        } else if chars < min && n != 11 && n != 16 {
            out.push(at(
                Finding::warning(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "ISA{n:02} is {chars} characters instead of {min}: the header is not padded to its fixed width"
                    ),
                ),
                n,
            ));
        }
    }
    let digits = |v: &[u8]| !v.is_empty() && v.iter().all(u8::is_ascii_digit);
    let isa09 = s.value(9);
    if !(digits(isa09) && isa09.len() == 6 && valid_yymmdd(isa09)) {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!("ISA09 '{}' is not a date (YYMMDD)", for_message(isa09, 12)),
            ),
            9,
        ));
    }
    let isa10 = s.value(10);
    if !(digits(isa10) && isa10.len() == 4 && valid_hhmm(isa10)) {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!("ISA10 '{}' is not a time (HHMM)", for_message(isa10, 12)),
            ),
            10,
        ));
    }
    let isa13 = s.value(13);
    if !digits(isa13) {
        out.push(at(
            Finding::error(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA13 '{}' is not an interchange control number (9 digits)",
                    for_message(isa13, 12)
                ),
            ),
            13,
        ));
    }
    if !matches!(s.value(14), b"0" | b"1") {
        out.push(at(
            Finding::warning(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA14 '{}' should be 0 or 1 (acknowledgment requested)",
                    for_message(s.value(14), 8)
                ),
            ),
            14,
        ));
    }
    if !matches!(s.value(15), b"P" | b"T" | b"I") {
        out.push(at(
            Finding::warning(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA15 '{}' should be P (production), T (test) or I (information)",
                    for_message(s.value(15), 8)
                ),
            ),
            15,
        ));
    }
    let isa12 = s.value(12);
    if !digits(isa12) {
        out.push(at(
            Finding::warning(
                Code::InvalidInterchangeHeader,
                format!(
                    "ISA12 '{}' is not an interchange version number",
                    for_message(isa12, 12)
                ),
            ),
            12,
        ));
    }
    out
}

fn check_gs_fields(s: &SegmentRef<'_>, controls: &Controls) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |f: Finding, el: usize| {
        f.at(s.element_offset(el), s.index, "GS")
            .element(el)
            .with_controls(controls)
    };
    let gs04 = s.value(4);
    let date_ok = gs04.iter().all(u8::is_ascii_digit)
        && match gs04.len() {
            8 => valid_ccyymmdd(gs04),
            6 => valid_yymmdd(gs04),
            _ => false,
        };
    if !date_ok {
        out.push(at(
            Finding::error(
                Code::InvalidGroupHeader,
                format!("GS04 '{}' is not a date (CCYYMMDD)", for_message(gs04, 16)),
            ),
            4,
        ));
    }
    let gs05 = s.value(5);
    if !(gs05.len() >= 4
        && gs05.len() <= 8
        && gs05.iter().all(u8::is_ascii_digit)
        && valid_hhmm(&gs05[..4]))
    {
        out.push(at(
            Finding::error(
                Code::InvalidGroupHeader,
                format!("GS05 '{}' is not a time (HHMM)", for_message(gs05, 16)),
            ),
            5,
        ));
    }
    let gs06 = s.value(6);
    if gs06.is_empty() || gs06.len() > 9 || !gs06.iter().all(u8::is_ascii_digit) {
        out.push(at(
            Finding::error(
                Code::GroupControlInvalid,
                format!(
                    "GS06 '{}' is not a group control number (1 to 9 digits)",
                    for_message(gs06, 16)
                ),
            ),
            6,
        ));
    }
    out
}

/// Scans an input held whole.
pub fn scan(input: &[u8]) -> EnvelopeMap {
    if ebcdic::looks_like_ebcdic_isa(input) {
        let mut owned = input.to_vec();
        ebcdic::transcode_in_place(&mut owned);
        let mut map = scan_ascii(&owned);
        map.ebcdic = true;
        return map;
    }
    scan_ascii(input)
}

fn scan_ascii(input: &[u8]) -> EnvelopeMap {
    let mut sc = Scanner::new();
    let mut tok = Tokenizer::new();
    let mut pos = 0;
    loop {
        match tok.next(input, &mut pos, true) {
            Next::Segment(s) => sc.segment(&s),
            Next::Error(e) => sc.syntax_error(&e),
            Next::End | Next::NeedMore => break,
        }
    }
    sc.finish(input.len())
}

/// A tokenizer and its scanner, fed through the stream pump.
pub struct StreamFeed {
    pub scanner: Scanner,
    tok: Tokenizer,
    ebcdic: Option<bool>,
}

impl StreamFeed {
    /// A feed whose scanner keeps every transaction set.
    pub fn full() -> Self {
        StreamFeed {
            scanner: Scanner::new(),
            tok: Tokenizer::new(),
            ebcdic: None,
        }
    }

    /// A feed whose scanner keeps only the sets with findings (see [`Scanner::compact`]).
    pub fn compact() -> Self {
        StreamFeed {
            scanner: Scanner::compact(),
            ..StreamFeed::full()
        }
    }

    /// A feed whose scanner streams closed transaction sets out (see [`Scanner::streaming`]).
    pub fn new() -> Self {
        StreamFeed {
            scanner: Scanner::streaming(),
            ..StreamFeed::full()
        }
    }

    /// The same feed with another segment length limit (0: the tokenizer's default).
    pub fn with_max_segment(mut self, limit: usize) -> Self {
        self.tok = self.tok.with_max_segment(limit);
        self
    }

    pub fn finish(self, total: usize) -> EnvelopeMap {
        let ebcdic = self.ebcdic.unwrap_or(false);
        let mut map = self.scanner.finish(total);
        map.ebcdic = ebcdic;
        map
    }
}

impl Default for StreamFeed {
    fn default() -> Self {
        StreamFeed::new()
    }
}

impl Feed for StreamFeed {
    fn step(&mut self, window: &[u8], pos: &mut usize, eof: bool) -> Step {
        match self.tok.next(window, pos, eof) {
            Next::Segment(s) => self.scanner.segment(&s),
            Next::Error(e) => self.scanner.syntax_error(&e),
            Next::End => return Step::End,
            Next::NeedMore => return Step::NeedMore,
        }
        Step::Go
    }

    fn consumed(&mut self, n: usize) {
        self.tok.consumed(n);
    }

    fn arrived(&mut self, window: &mut [u8], new_from: usize) {
        let is_ebcdic = *self
            .ebcdic
            .get_or_insert_with(|| ebcdic::looks_like_ebcdic_isa(&window[..window.len().min(16)]));
        if is_ebcdic {
            ebcdic::transcode_in_place(&mut window[new_from..]);
        }
    }
}

/// Scans a stream in chunks of `chunk` bytes, keeping every transaction set in the map.
pub fn scan_reader<R: Read>(r: R, chunk: usize) -> io::Result<EnvelopeMap> {
    let mut feed = StreamFeed::full();
    let total = pump(r, chunk, &mut feed)?;
    Ok(feed.finish(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*U*00401*000000001*0*P*>~";

    fn doc(body: &str) -> String {
        format!("{ISA}\n{body}")
    }

    fn messages(m: &EnvelopeMap) -> Vec<String> {
        m.all_findings().map(|f| f.to_string()).collect()
    }

    #[test]
    fn good_envelope() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001~GE*1*7~IEA*1*000000001~",
        );
        let m = scan(f.as_bytes());
        assert!(messages(&m).is_empty(), "{:?}", messages(&m));
        let tx = &m.interchanges[0].groups[0].transactions[0];
        assert_eq!(tx.segment_count, 3);
        assert_eq!(
            &f.as_bytes()[tx.span.start..tx.span.end],
            b"ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001"
        );
        assert!(m.accepted(0, 0, 0));
    }

    #[test]
    fn wrong_counts_reject_only_their_level() {
        let f = doc(concat!(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*4*0001~",
            "ST*850*0002~BEG*00*SA*2**20240101~SE*3*0002~GE*2*7~",
            "GS*PO*S*R*20240101*1200*8*X*004010~ST*850*0003~SE*2*0003~GE*5*8~IEA*2*000000001~"
        ));
        let m = scan(f.as_bytes());
        assert!(!m.accepted(0, 0, 0));
        assert!(m.accepted(0, 0, 1));
        assert!(!m.accepted(0, 1, 0));
        let msgs = messages(&m);
        assert!(
            msgs.iter().any(|s| s.contains(
                "SE01 says 4 segments (ST to SE inclusive), but transaction set 850 0001 has 3"
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("GE01 says 5 transaction sets, but group 8 has 1")),
            "{msgs:?}"
        );
    }

    #[test]
    fn missing_se_rejects_that_set_only() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~ST*850*0002~BEG*00*SA*2**20240101~SE*3*0002~GE*2*7~IEA*1*000000001~",
        );
        let m = scan(f.as_bytes());
        assert!(!m.accepted(0, 0, 0));
        assert!(m.accepted(0, 0, 1));
    }

    #[test]
    fn missing_iea_at_end() {
        let f = doc("GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~SE*2*0001~GE*1*7~");
        let m = scan(f.as_bytes());
        let msgs = messages(&m);
        assert!(
            msgs.iter()
                .any(|s| s.contains("interchange 000000001 has no IEA trailer: the file ends")),
            "{msgs:?}"
        );
        assert!(!m.accepted(0, 0, 0));
    }

    #[test]
    fn duplicate_st_control() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~SE*2*0001~ST*850*0001~SE*2*0001~GE*2*7~IEA*1*000000001~",
        );
        let m = scan(f.as_bytes());
        assert!(m.accepted(0, 0, 0));
        assert!(!m.accepted(0, 0, 1));
    }

    #[test]
    fn compact_scan_keeps_only_what_has_findings() {
        // 2,000 interchanges of two groups each; interchange 1500 has a wrong GE01 in its
        // second group, and 1700 reuses an earlier ISA13.
        let mut f = String::new();
        for n in 0..2000u32 {
            let control = if n == 1700 { 5 } else { n };
            f.push_str(&ISA.replace("000000001", &format!("{control:09}")));
            for g in 1..=2u32 {
                let count = if n == 1500 && g == 2 { 9 } else { 1 };
                f.push_str(&format!(
                    "GS*PO*S*R*20240101*1200*{g}*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001~GE*{count}*{g}~"
                ));
            }
            f.push_str(&format!("IEA*2*{control:09}~"));
        }
        let mut scanner = Scanner::compact();
        let mut pos = 0;
        let mut tok = Tokenizer::new();
        loop {
            match tok.next(f.as_bytes(), &mut pos, true) {
                Next::Segment(s) => scanner.segment(&s),
                Next::Error(e) => scanner.syntax_error(&e),
                Next::End | Next::NeedMore => break,
            }
            // What the scanner holds stays small however many interchanges went by.
            let held: usize = scanner
                .map
                .interchanges
                .iter()
                .map(|i| i.groups.len())
                .sum();
            assert!(scanner.map.interchanges.len() <= 3 && held <= 4, "{held}");
        }
        let m = scanner.finish(f.len());
        let kept: Vec<(usize, Vec<usize>)> = m
            .interchanges
            .iter()
            .map(|i| (i.number, i.groups.iter().map(|g| g.number).collect()))
            .collect();
        // 1500 keeps its second group only (its first was clean); 1700 keeps its last group
        // (an interchange with findings keeps the group open when it closed).
        assert_eq!(kept, vec![(1500, vec![1]), (1700, vec![1])]);
        assert!(m.interchange(1500).unwrap().group(1).unwrap().rejected());
        assert!(m.interchange(1500).unwrap().group(0).is_none());
        assert!(m.interchange(3).is_none());
        assert_eq!(m.interchange(1700).unwrap().transaction_count, 2);
        // The full scan finds the same.
        let full = scan(f.as_bytes());
        assert_eq!(full.interchanges.len(), 2000);
        assert_eq!(
            full.all_findings()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            m.all_findings()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn chunked_scan_matches_whole() {
        let f = doc(
            "GS*PO*S*R*20240101*1200*7*X*004010~ST*850*0001~BEG*00*SA*1**20240101~SE*3*0001~GE*1*7~IEA*1*000000001~xx",
        );
        let whole = serde_json::to_string(&scan(f.as_bytes())).unwrap();
        for chunk in [64, 65, 100, 333] {
            let m = scan_reader(f.as_bytes(), chunk).unwrap();
            assert_eq!(serde_json::to_string(&m).unwrap(), whole);
        }
    }
}
