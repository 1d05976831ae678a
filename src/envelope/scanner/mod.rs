//! The envelope scanner, written once for both standards: the open/close state machine, the
//! trailer checks, and the compact and streaming modes that keep memory flat. It marks where
//! each segment of an open set lies ([`Marks`]), so that translation makes a set's segments
//! again from its bytes without tokenizing them a second time.

use super::map::{Closed, EnvelopeMap, Group, Interchange, Transaction};
use super::{Envelope, Misplaced, Open, Role, Trailer, slot};
use crate::diag::{Code, Controls, Finding, Level};
use crate::syntax::Marks;
use crate::syntax::{SegmentView, hash_str};
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Shared header copies of an interchange and a group.
type Headers<S> = (Arc<Interchange<S>>, Arc<Group<S>>);

/// Incremental envelope checker: feed it segments and syntax errors in file order.
///
/// A compact scanner keeps only what has findings, so its memory does not grow with the file:
/// a closed group with nothing to report is dropped when the next one starts, a closed
/// interchange with nothing to report when the next one starts or the file ends. The kept ones
/// carry their [`Interchange::number`] and [`Group::number`]; what is not in the map was clean.
/// The duplicate checks keep a 16-byte hash per control number, not the strings.
#[derive(Debug, Default)]
pub struct Scanner<S: Envelope> {
    map: EnvelopeMap<S>,
    /// Per level (interchange, group, set), the hashes of the control numbers seen where they
    /// must be unique ([`Envelope::unique`]) → byte offset of their first use. A huge group
    /// costs 16 bytes a set, not its strings, and only while it is read.
    seen: [HashMap<u64, usize>; 3],
    /// Interchanges started so far, implicit ones included.
    interchange_count: usize,
    /// Whether the last interchange started had a header (it may no longer be in the map).
    last_explicit: bool,
    /// Header copies of the open interchange and group, shared by the sets handed out.
    headers: Option<Headers<S>>,
    /// Segment count of the open transaction set.
    open_tx_count: usize,
    /// Index the next segment will have (for findings about what is missing at the end).
    next_index: usize,
    /// Compact mode: only transaction sets with findings stay in the map, so memory does not
    /// grow with the file.
    compact: bool,
    /// Streaming mode (compact too): closed transaction sets are handed out by
    /// [`Scanner::take_closed`] (and kept in the map as well when they have findings).
    emit: bool,
    closed: VecDeque<Closed<S>>,
    /// Sets are marked while they are at most this long (0: never; see [`Marks`]).
    mark_limit: usize,
}

impl<S: Envelope> Scanner<S> {
    /// A scanner whose map keeps every interchange, group and transaction set.
    pub fn new() -> Self {
        Scanner {
            mark_limit: usize::MAX,
            ..Scanner::default()
        }
    }

    /// The same scanner, marking the segments of sets at most `limit` bytes long, for their
    /// translation (a compact or streaming scanner marks none unless asked: what it keeps
    /// must not grow with a set that is never translated).
    pub(crate) fn marking(mut self, limit: usize) -> Self {
        self.mark_limit = limit;
        self
    }

    /// A scanner whose map keeps interchanges, groups and only the transaction sets with
    /// findings.
    #[cfg(any(test, feature = "internals"))]
    pub fn compact() -> Self {
        Scanner {
            compact: true,
            ..Scanner::default()
        }
    }

    /// A compact scanner that also hands out every closed set by [`Scanner::take_closed`], with
    /// header copies of its group and interchange that carry no findings: those are final only
    /// once the interchange is [settled](Scanner::settled), and then in [`Scanner::map`] (see
    /// [`EnvelopeMap::judged`]).
    pub fn streaming() -> Self {
        Scanner {
            compact: true,
            emit: true,
            ..Scanner::default()
        }
    }

    /// The next transaction set closed since the last call, with its group and interchange
    /// (streaming mode only).
    pub fn take_closed(&mut self) -> Option<Closed<S>> {
        self.closed.pop_front()
    }

    /// Takes one unreadable stretch of the file.
    pub fn syntax_error(&mut self, e: &S::SyntaxError) {
        // Bytes were skipped: the open set's segments are no longer all marked.
        if let Some(t) = self.open_tx() {
            t.marks.broken();
        }
        let ev = S::syntax_error(e);
        let controls = self.controls();
        let mut f = Finding::error(Code::Syntax, ev.message)
            .at_offset(ev.offset)
            .with_controls(&controls);
        f.segment_index = Some(ev.segment_index);
        self.next_index = ev.next_index;
        if self.open_interchange().is_none() {
            self.map.findings.push(f);
            return;
        }
        if ev.breaks_interchange {
            // Its trailers will never come.
            self.close_open(
                Level::Interchange,
                ev.offset,
                ev.segment_index,
                None,
                "the rest of the interchange could not be read",
            );
        }
        let ic = self.map.interchanges.last_mut().expect("one was open");
        ic.findings.push(f);
    }

    /// Takes the next segment.
    pub fn segment(&mut self, s: &S::Segment<'_>) {
        self.next_index = s.index() + 1;
        if s.unterminated() {
            let open = self.open_state();
            if S::reports_unterminated(s.tag(), &open) {
                self.truncated(s);
            }
        }
        let role = S::role(s.tag());
        // The trailer closes the set: marked while it is open. A header marks itself.
        if role == Role::TransactionTrailer {
            self.mark(s);
        }
        match role {
            Role::InterchangeHeader => self.interchange_header(s),
            Role::GroupHeader => self.group_header(s),
            Role::TransactionHeader => self.transaction_header(s),
            Role::TransactionTrailer => self.transaction_trailer(s),
            Role::GroupTrailer => self.group_trailer(s),
            Role::InterchangeTrailer => self.interchange_trailer(s),
            Role::Service => {}
            Role::Body => self.body(s),
        }
        if !matches!(role, Role::TransactionHeader | Role::TransactionTrailer) {
            self.mark(s);
        }
    }

    /// Marks a segment of the open set, unless it is its header (see [`Marks`]).
    fn mark(&mut self, s: &S::Segment<'_>) {
        let (index, span, limit) = (s.index(), s.span(), self.mark_limit);
        if let Some(t) = self.open_tx().filter(|t| t.first_index != index) {
            t.marks.push(t.span.start, span, S::remakeable(s), limit);
        }
    }

    /// Ends the file: whatever is still open lacks its trailer (sets closed here are handed
    /// out by [`Scanner::take_closed`] in streaming mode). An implicit envelope needs none.
    pub fn end(&mut self, bytes: usize) {
        let next = self.next_index;
        self.close_open(Level::Interchange, bytes, next, None, "the file ends");
        self.retire();
        self.map.bytes = bytes;
    }

    /// Ends the file and returns the map.
    pub fn finish(mut self, bytes: usize) -> EnvelopeMap<S> {
        self.end(bytes);
        self.map
    }

    /// Called whenever the open transaction set was just closed.
    fn closed_tx(&mut self) {
        if !self.compact {
            return;
        }
        let ic = self.map.interchanges.last_mut().expect("a set is in one");
        let group = ic.groups.last_mut().expect("a set is in one");
        let last = group.transactions.last_mut().expect("just closed");
        let tx = match (self.emit, last.findings.is_empty()) {
            (false, false) => return,
            (false, true) | (true, true) => group.transactions.pop().expect("just closed"),
            // Kept for the map (without its marks), handed out as well.
            (true, false) => {
                let marks = std::mem::take(&mut last.marks);
                Transaction {
                    marks,
                    ..last.clone()
                }
            }
        };
        if !self.emit {
            return;
        }
        let ic = self.map.interchanges.last().expect("a set is in one");
        let group = ic.groups.last().expect("a set is in one");
        let fresh = |(i, g): &Headers<S>| i.number == ic.number && g.number == group.number;
        let (interchange, group) = match &self.headers {
            Some(h) if fresh(h) => h.clone(),
            _ => {
                let h = (Arc::new(ic.header_only()), Arc::new(group.header_only()));
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
    /// interchanges that have nothing to report.
    fn retire(&mut self) {
        if !self.compact {
            return;
        }
        if let Some(ic) = self.map.interchanges.last_mut() {
            if ic.closed {
                if ic.clean() {
                    self.map.interchanges.pop();
                }
            } else if ic.groups.last().is_some_and(|g| g.closed && g.clean()) {
                ic.groups.pop();
            }
        }
    }

    /// The file offset where the open transaction set starts, when one is open.
    pub fn open_transaction_start(&self) -> Option<usize> {
        let ic = self.map.interchanges.last().filter(|i| !i.closed)?;
        let g = ic.groups.last().filter(|g| !g.closed)?;
        g.transactions
            .last()
            .filter(|t| !t.closed)
            .map(|t| t.span.start)
    }

    /// How many of the file's interchanges are settled: closed, so that the findings of each
    /// and of its groups are final. The sets of interchange `n` (its [`Interchange::number`])
    /// may be judged once `n` is below this.
    pub fn settled(&self) -> usize {
        let open = self.map.interchanges.last().is_some_and(|i| !i.closed);
        self.interchange_count - usize::from(open)
    }

    /// What the scanner holds so far: in compact and streaming modes, the interchanges, groups
    /// and sets with findings (a closed one without is gone), and the open ones.
    pub fn map(&self) -> &EnvelopeMap<S> {
        &self.map
    }

    fn open_interchange(&mut self) -> Option<&mut Interchange<S>> {
        self.map.interchanges.last_mut().filter(|i| !i.closed)
    }

    fn open_group(&mut self) -> Option<&mut Group<S>> {
        self.open_interchange()?
            .groups
            .last_mut()
            .filter(|g| !g.closed)
    }

    fn open_tx(&mut self) -> Option<&mut Transaction<S>> {
        self.open_group()?
            .transactions
            .last_mut()
            .filter(|t| !t.closed)
    }

    fn open_state(&mut self) -> Open {
        Open {
            interchange: self.open_interchange().is_some(),
            group: self.open_group().is_some(),
            after_explicit: self.last_explicit,
        }
    }

    /// The control numbers of what is open, for findings.
    fn controls(&mut self) -> Controls {
        let mut c = Controls::default();
        if let Some(i) = self.open_interchange() {
            c = i.controls();
            if let Some(g) = i.groups.last().filter(|g| !g.closed) {
                c.group = g.explicit.then(|| g.control.clone());
                if let Some(t) = g.transactions.last().filter(|t| !t.closed) {
                    c.transaction = Some(t.control.clone());
                }
            }
        }
        c
    }

    /// A segment cut by the end of the file: the enclosing transaction set's problem when
    /// there is one.
    fn truncated(&mut self, s: &S::Segment<'_>) {
        let controls = self.controls();
        let f = Finding::error(
            Code::Syntax,
            format!(
                "the file ends inside segment {}: it has no segment terminator (the file looks truncated)",
                s.tag_str()
            ),
        )
        .at(s.span().start, s.index(), s.tag_str())
        .with_controls(&controls);
        if let Some(t) = self.open_tx() {
            t.findings.push(f);
        } else if let Some(ic) = self.open_interchange() {
            ic.findings.push(f);
        } else {
            self.map.findings.push(f);
        }
    }

    /// Closes what is open, from the transaction set up to `upto`, each with a missing-trailer
    /// error placed at `offset` / `index` (and `tag` when a segment is there). An implicit
    /// envelope closes without one.
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
        let [(_, iea), (_, ge), (_, se)] = S::NAMES.tags;
        let controls = self.controls();
        if let Some(t) = self.open_tx() {
            let msg = format!("{} has no {se} trailer: {why}", S::transaction_title(t));
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
            if g.explicit {
                let msg = format!("{} has no {ge} trailer: {why}", S::group_title(g));
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
                let msg = format!("interchange {} has no {iea} trailer: {why}", ic.control);
                ic.findings.push(place(
                    Finding::error(Code::InterchangeTrailerMissing, msg),
                    &controls,
                ));
            }
            ic.closed = true;
        }
    }

    fn close_at(&mut self, s: &S::Segment<'_>, upto: Level, why: &str) {
        let tag = s.tag_str().into_owned();
        self.close_open(upto, s.span().start, s.index(), Some(&tag), why);
    }

    /// Checks a control number against those seen where it must be unique: the finding for a
    /// repeat, placed at the header `s`.
    fn duplicate(
        &mut self,
        level: Level,
        control: &str,
        s: &S::Segment<'_>,
        controls: &Controls,
    ) -> Option<Finding> {
        let rule = S::unique(level)?;
        let at = s.span().start;
        let first = *self.seen[slot(level)]
            .entry(hash_str(control))
            .or_insert(at);
        (first != at).then(|| {
            (rule.finding)(control, first)
                .at(at, s.index(), S::NAMES.tags[slot(level)].0)
                .element(rule.element)
                .with_controls(controls)
        })
    }

    /// Forgets the control numbers whose uniqueness ends where an envelope at `opened` starts.
    fn forget_controls(&mut self, opened: Level) {
        for level in [Level::Interchange, Level::Group, Level::Transaction] {
            let within = S::unique(level).map(|u| u.within);
            let ends = match opened {
                Level::Interchange => matches!(within, Some(Level::Interchange | Level::Group)),
                _ => within == Some(Level::Group),
            };
            if ends {
                self.seen[slot(level)].clear();
            }
        }
    }

    fn push_interchange(&mut self, ic: Interchange<S>) {
        self.forget_controls(Level::Interchange);
        self.retire();
        self.interchange_count += 1;
        self.last_explicit = ic.explicit;
        self.map.interchanges.push(ic);
    }

    /// Starts a group in the open interchange.
    fn push_group(&mut self, mut g: Group<S>) {
        self.forget_controls(Level::Group);
        let ic = self.open_interchange().expect("a group is in one");
        g.number = ic.group_count;
        ic.group_count += 1;
        ic.explicit_groups += usize::from(g.explicit);
        ic.groups.push(g);
    }

    fn new_interchange(&self, s: &S::Segment<'_>, explicit: bool) -> Interchange<S> {
        Interchange {
            span: s.span(),
            first_index: s.index(),
            delimiters: S::delimiters(s),
            explicit,
            control: String::new(),
            header: S::InterchangeHeader::default(),
            groups: Vec::new(),
            findings: Vec::new(),
            number: self.interchange_count,
            group_count: 0,
            explicit_groups: 0,
            transaction_count: 0,
            closed: false,
        }
    }

    fn ensure_interchange(&mut self, s: &S::Segment<'_>) {
        if self.open_interchange().is_none() {
            let ic = self.new_interchange(s, false);
            self.push_interchange(ic);
        }
    }

    fn implicit_group(&mut self, s: &S::Segment<'_>) {
        self.retire();
        self.push_group(Group {
            span: s.span(),
            explicit: false,
            control: String::new(),
            header: S::GroupHeader::default(),
            transaction_count: 0,
            transactions: Vec::new(),
            findings: Vec::new(),
            number: 0,
            closed: false,
        });
    }

    fn interchange_header(&mut self, s: &S::Segment<'_>) {
        if self.open_interchange().is_some() {
            let why = S::interrupted(Level::Interchange, s);
            self.close_at(s, Level::Interchange, &why);
        }
        let mut ic = self.new_interchange(s, true);
        (ic.control, ic.header) = S::interchange_header(s);
        let controls = ic.controls();
        ic.findings = S::check_interchange(s, &ic.control, &ic.header, &controls);
        ic.findings
            .extend(self.duplicate(Level::Interchange, &ic.control, s, &controls));
        self.push_interchange(ic);
    }

    fn group_header(&mut self, s: &S::Segment<'_>) {
        if self.open_interchange().is_none() && !self.misplaced(Role::GroupHeader, s) {
            return;
        }
        if self.open_group().is_some() {
            let why = S::interrupted(Level::Group, s);
            self.close_at(s, Level::Group, &why);
        }
        self.retire();
        let (control, header) = S::group_header(s);
        let mut controls = self.controls();
        controls.group = Some(control.clone());
        let mut findings = S::check_group(s, &control, &header, &controls);
        findings.extend(self.duplicate(Level::Group, &control, s, &controls));
        let ic = self.open_interchange().expect("checked above");
        S::group_opened(ic, s, &controls);
        self.push_group(Group {
            span: s.span(),
            explicit: true,
            control,
            header,
            transaction_count: 0,
            transactions: Vec::new(),
            findings,
            number: 0,
            closed: false,
        });
    }

    fn transaction_header(&mut self, s: &S::Segment<'_>) {
        if self.open_group().is_none() && !self.misplaced(Role::TransactionHeader, s) {
            return;
        }
        if self.open_tx().is_some() {
            let why = S::interrupted(Level::Transaction, s);
            self.close_at(s, Level::Transaction, &why);
        }
        let (mut tx, controls) = self.transaction_at(s, false);
        let duplicate = self.duplicate(Level::Transaction, &tx.control, s, &controls);
        tx.findings.extend(duplicate);
        self.open_tx_count = 1;
        self.push_transaction(tx);
    }

    /// A transaction set whose header is `s`, with the header's own findings, and the control
    /// numbers of findings about it.
    fn transaction_at(&mut self, s: &S::Segment<'_>, closed: bool) -> (Transaction<S>, Controls) {
        let mut controls = self.controls();
        let (control, header) = S::transaction_header(s);
        controls.transaction = Some(control.clone());
        let findings = S::check_transaction(s, &control, &header, &controls);
        let mut tx = Transaction {
            span: s.span(),
            first_index: s.index(),
            control,
            header,
            segment_count: 1,
            findings,
            closed,
            marks: Marks::default(),
        };
        tx.marks
            .push(s.span().start, s.span(), S::remakeable(s), self.mark_limit);
        (tx, controls)
    }

    /// Adds a set to the open group, counted by it and by its interchange.
    fn push_transaction(&mut self, tx: Transaction<S>) {
        self.open_interchange()
            .expect("a set stands in an open interchange")
            .transaction_count += 1;
        let g = self.open_group().expect("a set stands in an open group");
        g.transaction_count += 1;
        g.transactions.push(tx);
    }

    /// A one-segment set between envelopes ([`Misplaced::Lone`]): opened and closed at once in
    /// an implicit group of its own, so that the driver translates it and a streaming scan
    /// hands it out like any set. The interchange trailer does not count that group.
    fn lone_transaction(&mut self, s: &S::Segment<'_>) {
        self.implicit_group(s);
        let (tx, _) = self.transaction_at(s, true);
        self.push_transaction(tx);
        self.closed_tx();
        if let Some(g) = self.open_group() {
            g.closed = true;
        }
    }

    fn body(&mut self, s: &S::Segment<'_>) {
        if self.open_tx().is_some() {
            self.open_tx_count += 1;
            return;
        }
        self.misplaced(Role::Body, s);
    }

    /// Handles a segment whose role does not fit where the scanner stands, as the standard
    /// says; true when the envelopes it lacked were opened implicitly and it goes on.
    fn misplaced(&mut self, role: Role, s: &S::Segment<'_>) -> bool {
        let open = self.open_state();
        match S::misplaced(role, s, &open) {
            Misplaced::Ignore => {}
            Misplaced::Lone => self.lone_transaction(s),
            Misplaced::Stray(why) => self.stray(s, &why),
            Misplaced::Body => {
                if role != Role::Body {
                    self.misplaced(Role::Body, s);
                }
            }
            Misplaced::Implicit => {
                self.ensure_interchange(s);
                if role == Role::TransactionHeader && self.open_group().is_none() {
                    self.implicit_group(s);
                }
                return true;
            }
            Misplaced::CorruptHeader(why) => {
                self.interchange_header(s);
                let ic = self.map.interchanges.last_mut().expect("just opened");
                let controls = ic.controls();
                ic.findings
                    .retain(|f| f.code != Code::InvalidInterchangeHeader);
                ic.findings.push(
                    Finding::error(Code::InvalidInterchangeHeader, why)
                        .at(s.span().start, s.index(), s.tag_str())
                        .with_controls(&controls),
                );
            }
            Misplaced::LostHeader(why) => {
                let trailer = S::NAMES.tags[0].1;
                self.ensure_interchange(s);
                let controls = self.controls();
                let ic = self.open_interchange().expect("ensured");
                ic.findings.push(
                    Finding::error(Code::InvalidInterchangeHeader, why)
                        .at(s.span().start, s.index(), trailer)
                        .with_controls(&controls),
                );
                let why = format!("the interchange ends ({trailer})");
                self.close_at(s, Level::Group, &why);
                if let Some(ic) = self.open_interchange() {
                    ic.closed = true;
                }
            }
        }
        false
    }

    fn stray(&mut self, s: &S::Segment<'_>, why: &str) {
        let controls = self.controls();
        let f = Finding::error(Code::SegmentOutsideEnvelope, why)
            .at(s.span().start, s.index(), s.tag_str())
            .with_controls(&controls);
        if let Some(g) = self.open_group() {
            g.findings.push(f);
        } else if let Some(ic) = self.open_interchange() {
            ic.findings.push(f);
        } else {
            self.map.findings.push(f);
        }
    }

    /// The findings of a trailer at `level`.
    fn trailer(
        s: &S::Segment<'_>,
        level: Level,
        trailer: &Trailer<'_>,
        controls: &Controls,
    ) -> Vec<Finding> {
        let read = S::trailer_fields(level, s);
        let tag = s.tag_str();
        trailer.check(&tag, &read, |f, el| {
            f.at(s.span().start, s.index(), tag.as_ref())
                .element(el)
                .with_controls(controls)
        })
    }

    fn transaction_trailer(&mut self, s: &S::Segment<'_>) {
        let controls = self.controls();
        let count = self.open_tx_count + 1;
        let Some(t) = self.open_tx() else {
            self.misplaced(Role::TransactionTrailer, s);
            return;
        };
        t.segment_count = count;
        t.span.end = s.span().end;
        let what = || S::transaction_title(t);
        let trailer = Trailer {
            counted: count,
            noun: S::NAMES.segments,
            what: &what,
            count_code: Code::SegmentCountMismatch,
            control: &t.control,
            header: S::NAMES.control_fields[2],
            control_code: Code::TransactionControlMismatch,
        };
        let found = Self::trailer(s, Level::Transaction, &trailer, &controls);
        t.findings.extend(found);
        t.closed = true;
        self.closed_tx();
    }

    fn group_trailer(&mut self, s: &S::Segment<'_>) {
        if !self.open_group().is_some_and(|g| g.explicit) {
            self.misplaced(Role::GroupTrailer, s);
            return;
        }
        if self.open_tx().is_some() {
            let why = format!("the group ends ({}) before it", S::NAMES.tags[1].1);
            self.close_at(s, Level::Transaction, &why);
        }
        let controls = Controls {
            transaction: None,
            ..self.controls()
        };
        let g = self.open_group().expect("checked above");
        g.span.end = s.span().end;
        let what = || format!("group {}", g.control);
        let trailer = Trailer {
            counted: g.transaction_count,
            noun: S::NAMES.transactions,
            what: &what,
            count_code: Code::TransactionCountMismatch,
            control: &g.control,
            header: S::NAMES.control_fields[1],
            control_code: Code::GroupControlMismatch,
        };
        let found = Self::trailer(s, Level::Group, &trailer, &controls);
        g.findings.extend(found);
        g.closed = true;
    }

    fn interchange_trailer(&mut self, s: &S::Segment<'_>) {
        if !self.open_interchange().is_some_and(|ic| ic.explicit) {
            self.misplaced(Role::InterchangeTrailer, s);
            return;
        }
        if self.open_group().is_some() {
            let why = format!("the interchange ends ({}) before it", S::NAMES.tags[0].1);
            self.close_at(s, Level::Group, &why);
        }
        let ic = self.open_interchange().expect("checked above");
        let controls = ic.controls();
        ic.span.end = s.span().end;
        let (counted, noun) = S::interchange_counted(ic);
        let what = || format!("interchange {}", ic.control);
        let trailer = Trailer {
            counted,
            noun,
            what: &what,
            count_code: Code::GroupCountMismatch,
            control: &ic.control,
            header: S::NAMES.control_fields[0],
            control_code: Code::InterchangeControlMismatch,
        };
        let found = Self::trailer(s, Level::Interchange, &trailer, &controls);
        ic.findings.extend(found);
        ic.closed = true;
    }
}

/// Checks shared by the scanner tests of both standards.
#[cfg(test)]
pub(crate) mod tests;
