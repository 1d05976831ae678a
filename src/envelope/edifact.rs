//! The EDIFACT envelope pass: UNB/UNZ, UNG/UNE, UNH/UNT.
//!
//! Messages without a UNB are allowed (some partners send bare UNH..UNT); they are kept in an
//! implicit interchange. A UNZ that closes such an implicit interchange means its UNB was lost
//! or corrupt, and everything in it is rejected. Messages outside a UNG group sit in an implicit
//! group, so the map has the same three levels as X12's.

use super::{Feed, Step, Trailer, TrailerFields, pump, relax_findings as relax};
use crate::diag::{Code, Controls, Finding, Level};
use crate::syntax::Span;
use crate::syntax::edifact::{Delimiters, Next, SegmentRef, SyntaxError, Tokenizer};
use crate::syntax::text::{decode, for_message};
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Arc;

/// The envelope map of one EDIFACT file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EnvelopeMap {
    pub interchanges: Vec<Interchange>,
    pub findings: Vec<Finding>,
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

    /// True when the message and every envelope around it hold.
    pub fn accepted(&self, i: usize, g: usize, m: usize) -> bool {
        let ic = &self.interchanges[i];
        let gr = &ic.groups[g];
        !ic.rejected() && !gr.rejected() && !gr.messages[m].rejected()
    }

    /// Every message with its indexes, in file order.
    pub fn messages(&self) -> impl Iterator<Item = (usize, usize, usize, &Message)> {
        self.interchanges.iter().enumerate().flat_map(|(i, ic)| {
            ic.groups.iter().enumerate().flat_map(move |(g, gr)| {
                gr.messages
                    .iter()
                    .enumerate()
                    .map(move |(m, msg)| (i, g, m, msg))
            })
        })
    }

    /// Every envelope finding of the file.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .chain(self.interchanges.iter().flat_map(|ic| {
                ic.findings.iter().chain(ic.groups.iter().flat_map(|g| {
                    g.findings
                        .iter()
                        .chain(g.messages.iter().flat_map(|m| m.findings.iter()))
                }))
            }))
    }

    /// Count and reference mismatches become warnings (see the X12 map's `relax_integrity`).
    pub fn relax_integrity(&mut self) {
        for ic in &mut self.interchanges {
            relax(&mut ic.findings);
            for g in &mut ic.groups {
                relax(&mut g.findings);
                for m in &mut g.messages {
                    relax(&mut m.findings);
                }
            }
        }
    }
}

/// One UNB..UNZ interchange (or the implicit one around messages sent without UNB).
#[derive(Debug, Clone, Serialize)]
pub struct Interchange {
    pub span: Span,
    pub delimiters: Delimiters,
    /// False for messages sent without a UNB.
    pub explicit: bool,
    /// UNB S001 0001 (UNOA, UNOC, UNOW...).
    pub syntax_id: String,
    /// UNB S001 0002.
    pub syntax_version: String,
    pub sender_id: String,
    pub sender_qualifier: String,
    pub recipient_id: String,
    pub recipient_qualifier: String,
    pub date: String,
    pub time: String,
    /// UNB 0020.
    pub control: String,
    /// UNB 0035 = 1.
    pub test: bool,
    /// The groups (in compact mode, only those with findings or with messages that have
    /// findings, and the last one).
    pub groups: Vec<Group>,
    pub findings: Vec<Finding>,
    /// Position among the file's interchanges (0 for the first), implicit ones included. In
    /// compact mode the map keeps only interchanges with findings, so this is not always the
    /// index in the map.
    #[serde(skip)]
    pub number: usize,
    /// Groups started in the interchange, implicit ones included.
    #[serde(skip)]
    pub group_count: usize,
    /// UNG segments read in the interchange.
    #[serde(skip)]
    pub explicit_groups: usize,
    /// UNH segments read in the interchange.
    #[serde(skip)]
    pub message_count: usize,
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
            syntax_id: self.syntax_id.clone(),
            syntax_version: self.syntax_version.clone(),
            sender_id: self.sender_id.clone(),
            sender_qualifier: self.sender_qualifier.clone(),
            recipient_id: self.recipient_id.clone(),
            recipient_qualifier: self.recipient_qualifier.clone(),
            date: self.date.clone(),
            time: self.time.clone(),
            control: self.control.clone(),
            ..*self
        }
    }

    /// Nothing in it needs to be kept: no findings at any level.
    fn clean(&self) -> bool {
        self.findings.is_empty() && self.groups.iter().all(Group::clean)
    }

    fn controls(&self) -> Controls {
        Controls {
            interchange: self.explicit.then(|| self.control.clone()),
            group: None,
            transaction: None,
        }
    }
}

/// One UNG..UNE group (or the implicit one around ungrouped messages).
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub span: Span,
    pub explicit: bool,
    /// UNG 0038.
    pub id: String,
    /// UNG 0048.
    pub control: String,
    /// Messages read in the group (in compact mode, `messages` keeps only those with findings).
    pub message_count: usize,
    pub messages: Vec<Message>,
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

    /// The group's header fields alone (no messages, no findings).
    fn header(&self) -> Group {
        Group {
            messages: Vec::new(),
            findings: Vec::new(),
            id: self.id.clone(),
            control: self.control.clone(),
            ..*self
        }
    }

    /// Closed, with no findings and no message with findings.
    fn clean(&self) -> bool {
        self.closed && self.findings.is_empty() && self.messages.is_empty()
    }
}

/// One UNH..UNT message.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// From the UNH's first byte to the end of the UNT (without its terminator).
    pub span: Span,
    pub first_index: usize,
    /// UNH 0062.
    pub reference: String,
    /// S009 0065 (ORDERS, DESADV...).
    pub message_type: String,
    /// S009 0052 (D).
    pub version: String,
    /// S009 0054 (96A).
    pub release: String,
    /// S009 0051 (UN).
    pub agency: String,
    /// S009 0057 (EAN008...).
    pub association: String,
    pub segment_count: usize,
    pub findings: Vec<Finding>,
    #[serde(skip)]
    closed: bool,
}

impl Message {
    pub fn rejected(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }

    /// The directory, `D96A` from `D` and `96A`.
    pub fn directory(&self) -> String {
        format!("{}{}", self.version, self.release)
    }
}

/// Component `c` (1-based) of element `n`, unescaped and trimmed.
fn comp(s: &SegmentRef<'_>, n: usize, c: usize) -> String {
    s.element(n)
        .and_then(|v| s.components(v).nth(c - 1))
        .map(|v| decode(&s.unescape(v)).trim().to_string())
        .unwrap_or_default()
}

/// A message closed by a streaming scanner, with the headers of its group and interchange
/// (shared by the messages of one group; they carry no findings: the compact pass before the
/// streaming one judges the envelopes).
#[derive(Debug, Clone)]
pub struct Closed {
    pub interchange: Arc<Interchange>,
    pub group: Arc<Group>,
    pub message: Message,
}

/// Incremental envelope checker.
///
/// A compact scanner keeps only what has findings, so its memory does not grow with the number
/// of envelopes: a closed group with nothing to report is dropped when the next one starts, a
/// closed interchange with nothing to report when the next one starts or the file ends. The
/// kept ones carry their [`Interchange::number`] and [`Group::number`]; what is not in the map
/// was clean. Within one interchange the duplicate check keeps 16 bytes per message reference.
#[derive(Debug, Default)]
pub struct Scanner {
    map: EnvelopeMap,
    open_count: usize,
    next_index: usize,
    /// Interchanges started so far, implicit ones included.
    interchange_count: usize,
    /// Whether the last interchange started had a UNB (it may no longer be in the map).
    last_explicit: bool,
    /// Hash of UNH 0062 → byte offset of the first message of the open interchange that used
    /// it: a huge interchange costs 16 bytes a message, not its strings, and only while the
    /// scanner reads it (the map never holds them).
    references: HashMap<u64, usize>,
    /// Compact mode: only messages with findings stay in the map.
    compact: bool,
    /// Streaming mode (compact too): closed messages are handed out by [`Scanner::take_closed`].
    emit: bool,
    /// Header copies of the open interchange and group, shared by the messages handed out.
    headers: Option<(Arc<Interchange>, Arc<Group>)>,
    closed: std::collections::VecDeque<Closed>,
}

impl Scanner {
    pub fn new() -> Self {
        Scanner::default()
    }

    /// A scanner whose map keeps interchanges, groups and only the messages with findings.
    pub fn compact() -> Self {
        Scanner {
            compact: true,
            ..Scanner::default()
        }
    }

    /// A compact scanner that also hands out every closed message.
    pub fn streaming() -> Self {
        Scanner {
            compact: true,
            emit: true,
            ..Scanner::default()
        }
    }

    /// The next message closed since the last call, with its group and interchange (streaming
    /// mode only).
    pub fn take_closed(&mut self) -> Option<Closed> {
        self.closed.pop_front()
    }

    fn closed_message(&mut self) {
        if !self.compact {
            return;
        }
        let ic = self
            .map
            .interchanges
            .last_mut()
            .expect("a message is in one");
        let group = ic.groups.last_mut().expect("a message is in one");
        let m = if self.emit || group.messages.last().is_some_and(|m| m.findings.is_empty()) {
            group.messages.pop().expect("just closed")
        } else {
            return;
        };
        if !self.emit {
            return;
        }
        let ic = self.map.interchanges.last().expect("a message is in one");
        let group = ic.groups.last().expect("a message is in one");
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
            message: m,
        });
    }

    /// Drops, in compact mode, the closed groups of the open interchange and the closed
    /// interchanges that have nothing to report (a streaming scanner drops every closed one:
    /// its messages carry their headers).
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

    fn open_message(&mut self) -> Option<&mut Message> {
        self.open_group()?.messages.last_mut().filter(|m| !m.closed)
    }

    fn controls(&mut self) -> Controls {
        let mut c = Controls::default();
        if let Some(i) = self.open_interchange() {
            c = i.controls();
            if let Some(g) = i.groups.last().filter(|g| !g.closed) {
                c.group = g.explicit.then(|| g.control.clone());
                if let Some(m) = g.messages.last().filter(|m| !m.closed) {
                    c.transaction = Some(m.reference.clone());
                }
            }
        }
        c
    }

    pub fn syntax_error(&mut self, e: &SyntaxError) {
        let controls = self.controls();
        let mut f = Finding::error(Code::Syntax, e.kind.to_string())
            .at_offset(e.offset)
            .with_controls(&controls);
        f.segment_index = Some(e.segment_index);
        self.next_index = e.segment_index + 1;
        match self.open_interchange() {
            Some(ic) => ic.findings.push(f),
            None => self.map.findings.push(f),
        }
    }

    pub fn segment(&mut self, s: &SegmentRef<'_>) {
        self.next_index = s.index + 1;
        // A cut segment inside a message or interchange means a truncated file; outside of
        // both it is stray data, reported as such below.
        if s.unterminated && self.open_interchange().is_some() {
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
            if let Some(m) = self.open_message() {
                m.findings.push(f);
            } else if let Some(ic) = self.open_interchange() {
                ic.findings.push(f);
            }
        }
        match s.tag() {
            b"UNA" => {}
            b"UNB" => self.unb(s),
            b"UNG" => self.ung(s),
            b"UNH" => self.unh(s),
            b"UNT" => self.unt(s),
            b"UNE" => self.une(s),
            b"UNZ" => self.unz(s),
            _ => self.body(s),
        }
    }

    /// Ends the file and returns the map.
    pub fn finish(mut self, bytes: usize) -> EnvelopeMap {
        self.end(bytes);
        self.map
    }

    /// Ends the file: whatever is still open lacks its trailer.
    pub fn end(&mut self, bytes: usize) {
        let next = self.next_index;
        // Bare messages need no UNZ; a real interchange does.
        let explicit = self.open_interchange().is_some_and(|i| i.explicit);
        let upto = if explicit {
            Level::Interchange
        } else {
            Level::Group
        };
        self.close_open(upto, bytes, next, None, "the file ends");
        if let Some(ic) = self.open_interchange() {
            ic.closed = true;
        }
        self.retire();
        self.map.bytes = bytes;
    }

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
        if let Some(m) = self.open_message() {
            let msg = format!(
                "message {} {} has no UNT trailer: {why}",
                m.message_type, m.reference
            );
            m.findings.push(place(
                Finding::error(Code::TransactionTrailerMissing, msg),
                &controls,
            ));
            m.closed = true;
            self.closed_message();
        }
        if upto == Level::Transaction {
            return;
        }
        let controls = Controls {
            transaction: None,
            ..controls
        };
        if let Some(g) = self.open_group() {
            if g.explicit {
                let msg = format!("group {} {} has no UNE trailer: {why}", g.id, g.control);
                g.findings.push(place(
                    Finding::error(Code::GroupTrailerMissing, msg),
                    &controls,
                ));
            }
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
            if ic.explicit {
                let msg = format!("interchange {} has no UNZ trailer: {why}", ic.control);
                ic.findings.push(place(
                    Finding::error(Code::InterchangeTrailerMissing, msg),
                    &controls,
                ));
            }
            ic.closed = true;
        }
    }

    fn close_at(&mut self, s: &SegmentRef<'_>, upto: Level, why: &str) {
        let tag = s.tag_str().into_owned();
        self.close_open(upto, s.span.start, s.index, Some(&tag), why);
    }

    fn new_interchange(&self, s: &SegmentRef<'_>, explicit: bool) -> Interchange {
        Interchange {
            span: s.span,
            delimiters: s.delimiters,
            explicit,
            syntax_id: String::new(),
            syntax_version: String::new(),
            sender_id: String::new(),
            sender_qualifier: String::new(),
            recipient_id: String::new(),
            recipient_qualifier: String::new(),
            date: String::new(),
            time: String::new(),
            control: String::new(),
            test: false,
            groups: Vec::new(),
            findings: Vec::new(),
            number: self.interchange_count,
            group_count: 0,
            explicit_groups: 0,
            message_count: 0,
            closed: false,
        }
    }

    fn unb(&mut self, s: &SegmentRef<'_>) {
        if self.open_interchange().is_some() {
            let why = format!("a new UNB starts at segment {}", s.index);
            self.close_at(s, Level::Interchange, &why);
        }
        let mut ic = self.new_interchange(s, true);
        ic.syntax_id = comp(s, 1, 1);
        ic.syntax_version = comp(s, 1, 2);
        ic.sender_id = comp(s, 2, 1);
        ic.sender_qualifier = comp(s, 2, 2);
        ic.recipient_id = comp(s, 3, 1);
        ic.recipient_qualifier = comp(s, 3, 2);
        ic.date = comp(s, 4, 1);
        ic.time = comp(s, 4, 2);
        ic.control = comp(s, 5, 1);
        ic.test = comp(s, 11, 1) == "1";
        let controls = ic.controls();
        let at = |f: Finding, el: usize| {
            f.at(s.span.start, s.index, "UNB")
                .element(el)
                .with_controls(&controls)
        };
        if ic.control.is_empty() || ic.control.len() > 14 {
            ic.findings.push(at(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "UNB 0020 (interchange control reference) '{}' must be 1 to 14 characters",
                        ic.control
                    ),
                ),
                5,
            ));
        }
        if ic.sender_id.is_empty() || ic.recipient_id.is_empty() {
            ic.findings.push(at(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    "UNB needs a sender (S002 0004) and a recipient (S003 0010)",
                ),
                if ic.sender_id.is_empty() { 2 } else { 3 },
            ));
        }
        if !ic.syntax_id.starts_with("UNO") {
            ic.findings.push(at(
                Finding::warning(
                    Code::InvalidInterchangeHeader,
                    format!(
                        "UNB syntax identifier '{}' is not a UN/EDIFACT character set (UNOA..UNOY); text is read as UTF-8 or ISO 8859-1",
                        ic.syntax_id
                    ),
                ),
                1,
            ));
        }
        self.push_interchange(ic);
    }

    /// Starts an interchange; the previous one's reference hashes are no longer needed.
    fn push_interchange(&mut self, ic: Interchange) {
        self.references = HashMap::new();
        self.retire();
        self.interchange_count += 1;
        self.last_explicit = ic.explicit;
        self.map.interchanges.push(ic);
    }

    /// Starts a group in the open interchange.
    fn push_group(&mut self, mut g: Group) {
        self.retire();
        let ic = self.open_interchange().expect("a group is in one");
        g.number = ic.group_count;
        ic.group_count += 1;
        ic.explicit_groups += usize::from(g.explicit);
        ic.groups.push(g);
    }

    fn ensure_interchange(&mut self, s: &SegmentRef<'_>) {
        if self.open_interchange().is_none() {
            let ic = self.new_interchange(s, false);
            self.push_interchange(ic);
        }
    }

    fn ung(&mut self, s: &SegmentRef<'_>) {
        self.ensure_interchange(s);
        if self.open_group().is_some() {
            let why = format!("a new UNG starts at segment {}", s.index);
            self.close_at(s, Level::Group, &why);
        }
        let g = Group {
            span: s.span,
            explicit: true,
            id: comp(s, 1, 1),
            control: comp(s, 5, 1),
            message_count: 0,
            messages: Vec::new(),
            findings: Vec::new(),
            number: 0,
            closed: false,
        };
        self.push_group(g);
    }

    fn unh(&mut self, s: &SegmentRef<'_>) {
        self.ensure_interchange(s);
        if self.open_message().is_some() {
            let why = format!("a new UNH starts at segment {}", s.index);
            self.close_at(s, Level::Transaction, &why);
        }
        if self.open_group().is_none() {
            let g = Group {
                span: s.span,
                explicit: false,
                id: String::new(),
                control: String::new(),
                message_count: 0,
                messages: Vec::new(),
                findings: Vec::new(),
                number: 0,
                closed: false,
            };
            self.push_group(g);
        }
        let reference = comp(s, 1, 1);
        let mut m = Message {
            span: s.span,
            first_index: s.index,
            reference: reference.clone(),
            message_type: comp(s, 2, 1),
            version: comp(s, 2, 2),
            release: comp(s, 2, 3),
            agency: comp(s, 2, 4),
            association: comp(s, 2, 5),
            segment_count: 1,
            findings: Vec::new(),
            closed: false,
        };
        let mut controls = self.controls();
        controls.transaction = Some(reference.clone());
        let at = |f: Finding, el: usize| {
            f.at(s.span.start, s.index, "UNH")
                .element(el)
                .with_controls(&controls)
        };
        if reference.is_empty() || reference.len() > 14 {
            m.findings.push(at(
                Finding::error(
                    Code::InvalidTransactionControl,
                    format!(
                        "UNH 0062 (message reference) '{reference}' must be 1 to 14 characters"
                    ),
                ),
                1,
            ));
        }
        if m.message_type.is_empty() {
            m.findings.push(at(
                Finding::error(Code::InvalidSetId, "UNH S009 0065 (message type) is empty"),
                2,
            ));
        }
        let key = crate::syntax::hash_str(&reference);
        if let Some(&first) = self.references.get(&key) {
            m.findings.push(at(
                Finding::error(
                    Code::DuplicateTransactionControl,
                    format!("message reference {reference} was already used at byte {first} in this interchange"),
                ),
                1,
            ));
        } else {
            self.references.insert(key, s.span.start);
        }
        self.open_interchange().expect("ensured").message_count += 1;
        self.open_count = 1;
        let g = self.open_group().expect("ensured");
        g.message_count += 1;
        g.messages.push(m);
    }

    fn body(&mut self, s: &SegmentRef<'_>) {
        if self.open_message().is_some() {
            self.open_count += 1;
            return;
        }
        let controls = self.controls();
        let what = if self.open_interchange().is_some() {
            "is outside of any message (between envelope segments)"
        } else if self.last_explicit {
            "is unexpected data after the UNZ interchange trailer"
        } else {
            "is outside of any interchange: expected UNA, UNB or UNH"
        };
        let f = Finding::error(
            Code::SegmentOutsideEnvelope,
            format!("segment '{}' {what}", for_message(s.tag(), 12)),
        )
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

    fn unt(&mut self, s: &SegmentRef<'_>) {
        let controls = self.controls();
        let count = self.open_count + 1;
        let Some(m) = self.open_message() else {
            return self.body(s);
        };
        m.segment_count = count;
        m.span.end = s.span.end;
        let what = format!("message {} {}", m.message_type, m.reference);
        let trailer = Trailer {
            counted: count,
            noun: "segments (UNH to UNT inclusive)",
            what: &what,
            count_code: Code::SegmentCountMismatch,
            control: &m.reference,
            header: "UNH 0062",
            control_code: Code::TransactionControlMismatch,
        };
        m.findings
            .extend(check_trailer(&trailer, s, ["0074", "0062"], &controls));
        m.closed = true;
        self.closed_message();
    }

    fn une(&mut self, s: &SegmentRef<'_>) {
        if !self.open_group().is_some_and(|g| g.explicit) {
            return self.body(s);
        }
        if self.open_message().is_some() {
            self.close_at(s, Level::Transaction, "the group ends (UNE) before it");
        }
        let controls = Controls {
            transaction: None,
            ..self.controls()
        };
        let g = self.open_group().expect("checked");
        g.span.end = s.span.end;
        let what = format!("group {}", g.control);
        let trailer = Trailer {
            counted: g.message_count,
            noun: "messages",
            what: &what,
            count_code: Code::TransactionCountMismatch,
            control: &g.control,
            header: "UNG 0048",
            control_code: Code::GroupControlMismatch,
        };
        g.findings
            .extend(check_trailer(&trailer, s, ["0060", "0048"], &controls));
        g.closed = true;
    }

    fn unz(&mut self, s: &SegmentRef<'_>) {
        if self.open_interchange().is_none_or(|ic| !ic.explicit) {
            // Messages before this UNZ had no (readable) UNB: they cannot be trusted.
            self.ensure_interchange(s);
            let controls = self.controls();
            let ic = self.open_interchange().expect("ensured");
            ic.findings.push(
                Finding::error(
                    Code::InvalidInterchangeHeader,
                    "UNZ without a UNB: the interchange header is missing or corrupt, so the interchange is rejected",
                )
                .at(s.span.start, s.index, "UNZ")
                .with_controls(&controls),
            );
            self.close_at(s, Level::Group, "the interchange ends (UNZ)");
            if let Some(ic) = self.open_interchange() {
                ic.closed = true;
            }
            return;
        }
        if self.open_group().is_some() {
            let explicit = self.open_group().is_some_and(|g| g.explicit);
            let upto = if explicit {
                Level::Group
            } else {
                Level::Transaction
            };
            self.close_at(s, upto, "the interchange ends (UNZ) before it");
            if let Some(g) = self.open_group() {
                g.closed = true;
            }
        }
        let ic = self.open_interchange().expect("checked");
        let controls = ic.controls();
        ic.span.end = s.span.end;
        // UNZ counts groups when there are any, messages otherwise.
        let grouped = ic.explicit_groups > 0;
        let counted = if grouped {
            ic.explicit_groups
        } else {
            ic.message_count
        };
        let what = format!("interchange {}", ic.control);
        let trailer = Trailer {
            counted,
            noun: if grouped { "groups" } else { "messages" },
            what: &what,
            count_code: Code::GroupCountMismatch,
            control: &ic.control,
            header: "UNB 0020",
            control_code: Code::InterchangeControlMismatch,
        };
        ic.findings
            .extend(check_trailer(&trailer, s, ["0036", "0020"], &controls));
        ic.closed = true;
    }
}

fn check_trailer(
    t: &Trailer<'_>,
    s: &SegmentRef<'_>,
    ids: [&str; 2],
    controls: &Controls,
) -> Vec<Finding> {
    let tag = s.tag_str();
    let read = TrailerFields {
        count_label: &format!("{tag} {}", ids[0]),
        count: &comp(s, 1, 1),
        control_label: &format!("{tag} {}", ids[1]),
        control: &comp(s, 2, 1),
    };
    t.check(&read, |f, el| {
        f.at(s.span.start, s.index, tag.as_ref())
            .element(el)
            .with_controls(controls)
    })
}

/// Scans an input held whole.
pub fn scan(input: &[u8]) -> EnvelopeMap {
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
}

impl StreamFeed {
    pub fn with(scanner: Scanner) -> Self {
        StreamFeed {
            scanner,
            tok: Tokenizer::new(),
        }
    }

    /// The same feed with another segment length limit (0: the tokenizer's default).
    pub fn with_max_segment(mut self, limit: usize) -> Self {
        self.tok = self.tok.with_max_segment(limit);
        self
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
}

/// Scans a stream through a window of about `chunk` bytes, keeping every message in the map.
pub fn scan_reader<R: Read>(r: R, chunk: usize) -> io::Result<EnvelopeMap> {
    let mut feed = StreamFeed::with(Scanner::new());
    let total = pump(r, chunk, &mut feed)?;
    Ok(feed.scanner.finish(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(m: &EnvelopeMap) -> Vec<String> {
        m.all_findings().map(|f| f.to_string()).collect()
    }

    #[test]
    fn compact_scan_keeps_only_what_has_findings() {
        // 2,000 interchanges of two groups of one message each; interchange 1500 has a wrong
        // UNE count in its second group, the second message of 1700 repeats the first one's
        // reference, and a stray segment follows the last UNZ.
        let mut f = String::new();
        for n in 0..2000u32 {
            f.push_str(&format!("UNB+UNOC:3+S+R+240101:1200+{n}'"));
            for g in 1..=2u32 {
                let count = if n == 1500 && g == 2 { 9 } else { 1 };
                let reference = if n == 1700 { 1 } else { g };
                f.push_str(&format!(
                    "UNG+ORDERS+S+R+240101:1200+{g}+UN+D:96A'UNH+{reference}+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+3+{reference}'UNE+{count}+{g}'"
                ));
            }
            f.push_str(&format!("UNZ+2+{n}'"));
        }
        f.push_str("FTX+AAI'");
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
        assert_eq!(kept, vec![(1500, vec![1]), (1700, vec![1])]);
        assert!(m.interchange(1500).unwrap().group(1).unwrap().rejected());
        assert!(m.interchange(1500).unwrap().group(0).is_none());
        assert!(m.interchange(3).is_none());
        assert_eq!(m.interchange(1700).unwrap().message_count, 2);
        // The full scan finds the same, the stray segment after the last UNZ included.
        let full = scan(f.as_bytes());
        assert_eq!(full.interchanges.len(), 2000);
        let all = |m: &EnvelopeMap| {
            m.all_findings()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(all(&full), all(&m));
        assert_eq!(all(&m).len(), 3, "{:?}", all(&m));
        assert!(all(&m)[0].contains("after the UNZ"), "{:?}", all(&m));
    }

    #[test]
    fn good_interchange() {
        let f = b"UNA:+.? 'UNB+UNOC:3+SENDER:14+RECEIVER:14+240101:1200+77'UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1+9'UNT+3+1'UNZ+1+77'";
        let m = scan(f);
        assert!(messages(&m).is_empty(), "{:?}", messages(&m));
        let msg = &m.interchanges[0].groups[0].messages[0];
        assert_eq!(
            (
                msg.message_type.as_str(),
                msg.directory().as_str(),
                msg.association.as_str()
            ),
            ("ORDERS", "D96A", "EAN008")
        );
        assert!(m.accepted(0, 0, 0));
        assert_eq!(m.interchanges[0].syntax_id, "UNOC");
    }

    #[test]
    fn counts_and_references() {
        let f =
            b"UNB+UNOC:3+S+R+240101:1200+77'UNH+1+ORDERS:D:96A:UN'BGM+220+PO1+9'UNT+4+2'UNZ+2+78'";
        let m = scan(f);
        let msgs = messages(&m);
        assert!(
            msgs.iter().any(|s| s.contains(
                "UNT 0074 says 4 segments (UNH to UNT inclusive), but message ORDERS 1 has 3"
            )),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNT 0062 '2' does not match UNH 0062 '1'")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNZ 0036 says 2 messages, but interchange 77 has 1")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNZ 0020 '78' does not match UNB 0020 '77'")),
            "{msgs:?}"
        );
    }

    #[test]
    fn bare_messages_and_lost_unb() {
        let bare = scan(b"UNA:+.? 'UNH+1+ORDERS:D:11A:UN'BGM+220+PO-1+9'UNT+3+1'");
        assert!(bare.accepted(0, 0, 0), "{:?}", messages(&bare));
        let lost = scan(b"FNB+UNOB:1+S+R+1+1'UNH+1+INVOIC:D:00A:UN'BGM+380+1'UNT+3+1'UNZ+1+1'");
        assert!(!lost.accepted(0, 0, 0));
        let msgs = messages(&lost);
        assert!(
            msgs.iter()
                .any(|s| s.contains("segment 'FNB' is outside of any interchange")),
            "{msgs:?}"
        );
        assert!(
            msgs.iter().any(|s| s.contains("UNZ without a UNB")),
            "{msgs:?}"
        );
    }

    #[test]
    fn groups() {
        let f = b"UNB+UNOC:3+S+R+1+1'UNG+INVOIC+S+R+1+9+UN+D:96A'UNH+1+INVOIC:D:96A:UN'UNT+2+1'UNE+1+5'UNZ+1+1'";
        let m = scan(f);
        let msgs = messages(&m);
        assert!(
            msgs.iter()
                .any(|s| s.contains("UNE 0048 '5' does not match UNG 0048 '9'")),
            "{msgs:?}"
        );
        assert!(!m.accepted(0, 0, 0));
    }

    #[test]
    fn chunked_matches_whole() {
        let f: &[u8] = b"UNA:+.? 'UNB+UNOC:3+S+R+1+1'UNH+1+ORDERS:D:96A:UN'IMD+F++:::a?'b'UNT+3+1'UNZ+1+1'junk";
        let whole = serde_json::to_string(&scan(f)).unwrap();
        for chunk in [64, 70, 100] {
            assert_eq!(
                serde_json::to_string(&scan_reader(f, chunk).unwrap()).unwrap(),
                whole
            );
        }
    }
}
