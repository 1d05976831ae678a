//! The interchanges, groups and acknowledgments of an X12 or EDIFACT file in a check.
//!
//! The run's pass gave each document's verdict; here the file's envelopes are scanned whole to
//! hang the documents under their interchanges and groups, each set is placed in its grammar
//! for the coverage, and the receipts the run's pass collected become the acknowledgments a
//! run would send, built by the run's own code (`crate::ack`).

use super::coverage::Gatherer;
use super::{
    AckCheck, DocumentCheck, FileCheck, FindingCheck, GroupCheck, InterchangeCheck, Setting,
    Verdict, any_error, any_warning,
};
use crate::ack::AckKind;
use crate::ack::receipt::{Receipt, Receipts};
use crate::envelope::{EnvelopeMap, Group, Interchange, Transaction};
use crate::grammar::{Grammar, GrammarSet};
use crate::map::Options;
use crate::map::driver::{Mapping, translate_with_placements};
use crate::syntax::edifact::Edifact;
use crate::syntax::x12::X12;
use crate::translate::FileReport;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What differs between the standards here.
pub(super) trait Side: Mapping {
    /// Sender and receiver of an interchange, trimmed.
    fn parties(ic: &Interchange<Self>) -> (String, String);
    /// The group's functional id and version.
    fn group_id(g: &Group<Self>) -> (String, String);
    /// The version a set is validated in, and its grammar.
    fn set_grammar(
        grammars: &GrammarSet,
        ic: &Interchange<Self>,
        g: &Group<Self>,
        tx: &Transaction<Self>,
    ) -> (String, Option<Arc<Grammar>>);
    /// The acknowledgments of one receipt.
    fn acks(r: &Receipt<Self>, setting: &Setting, acks: AckKind) -> Vec<AckCheck>;
    /// The receipts of this standard, if the file's are.
    fn receipts(r: &Receipts) -> &[Receipt<Self>];
    /// The acknowledgment whose codes findings are shown with.
    fn codes(acks: AckKind) -> AckKind;
}

impl Side for X12 {
    fn parties(ic: &Interchange<X12>) -> (String, String) {
        let h = &ic.header;
        (
            h.sender_id.trim().to_owned(),
            h.receiver_id.trim().to_owned(),
        )
    }

    fn group_id(g: &Group<X12>) -> (String, String) {
        (g.header.functional_id.clone(), g.header.version.clone())
    }

    fn set_grammar(
        grammars: &GrammarSet,
        ic: &Interchange<X12>,
        g: &Group<X12>,
        tx: &Transaction<X12>,
    ) -> (String, Option<Arc<Grammar>>) {
        let (v, _) = crate::map::x12::version_of(ic, g, tx);
        let grammar = grammars.x12(&v, &tx.header.set_id).map(|(g, _)| g);
        let shown = grammar.as_ref().map_or(v, |g| g.version.clone());
        (shown, grammar)
    }

    fn acks(r: &Receipt<X12>, setting: &Setting, acks: AckKind) -> Vec<AckCheck> {
        use crate::ack::x12 as ack;
        let ic = &r.interchange;
        if let Some(note) = refused(setting, ic.explicit, &ic.header.sender_id) {
            return vec![none(note)];
        }
        let d = ic.delimiters;
        let mut out = Vec::new();
        if setting.channel.outbound.is_some() && ack::ta1_due(setting.channel.ta1, r, false) {
            let mut b = Vec::new();
            let text = crate::syntax::x12::write_segment(&mut b, &ack::ta1(r, false), &d)
                .map(|()| lines(b));
            out.push(written(
                "ta1",
                None,
                ack::ta1_verdict(r, false).0.x12().to_owned(),
                text,
            ));
        }
        if matches!(acks, AckKind::Fa997 | AckKind::Ia999) {
            for g in &r.groups {
                let Some(fa) = ack::functional_ack(acks, r, g) else {
                    continue;
                };
                let mut b = Vec::new();
                let text = fa
                    .segments
                    .iter()
                    .try_for_each(|s| crate::syntax::x12::write_segment(&mut b, s, &d))
                    .map(|()| lines(b));
                out.push(written(
                    acks.as_str(),
                    Some(g.group.control.clone()),
                    fa.verdict.x12().to_owned(),
                    text,
                ));
            }
        }
        if out.is_empty() {
            out.push(none(nothing_sent(setting, acks)));
        }
        out
    }

    fn receipts(r: &Receipts) -> &[Receipt<X12>] {
        match r {
            Receipts::X12(list) => list,
            _ => &[],
        }
    }

    fn codes(acks: AckKind) -> AckKind {
        acks
    }
}

impl Side for Edifact {
    fn parties(ic: &Interchange<Edifact>) -> (String, String) {
        let h = &ic.header;
        (
            h.sender_id.trim().to_owned(),
            h.recipient_id.trim().to_owned(),
        )
    }

    fn group_id(g: &Group<Edifact>) -> (String, String) {
        (g.header.id.clone(), String::new())
    }

    fn set_grammar(
        grammars: &GrammarSet,
        _: &Interchange<Edifact>,
        _: &Group<Edifact>,
        tx: &Transaction<Edifact>,
    ) -> (String, Option<Arc<Grammar>>) {
        let unh = &tx.header;
        let v = format!("D{}", unh.release);
        let grammar = grammars.edifact(&v, &unh.message_type).map(|(g, _)| g);
        let shown = grammar.as_ref().map_or(v, |g| g.version.clone());
        (shown, grammar)
    }

    fn acks(r: &Receipt<Edifact>, setting: &Setting, acks: AckKind) -> Vec<AckCheck> {
        let ic = &r.interchange;
        if let Some(note) = refused(setting, ic.explicit, &ic.header.sender_id) {
            return vec![none(note)];
        }
        if acks != AckKind::Contrl {
            return vec![none(nothing_sent(setting, acks))];
        }
        let Some(contrl) = crate::ack::edifact::contrl(r) else {
            return vec![none(
                "no CONTRL: the interchange holds only acknowledgments (CONTRL, APERAK), and an acknowledgment is never acknowledged".to_owned(),
            )];
        };
        let mut b = Vec::new();
        let text = contrl
            .segments
            .iter()
            .try_for_each(|s| crate::syntax::edifact::write_segment(&mut b, s, &ic.delimiters))
            .map(|()| lines(b));
        vec![written("contrl", None, contrl.action.to_owned(), text)]
    }

    fn receipts(r: &Receipts) -> &[Receipt<Edifact>] {
        match r {
            Receipts::Edifact(list) => list,
            _ => &[],
        }
    }

    fn codes(_: AckKind) -> AckKind {
        AckKind::Contrl
    }
}

/// Why a run sends nothing back for an interchange, whatever the channel's `acks`.
fn refused(setting: &Setting, explicit: bool, sender: &str) -> Option<String> {
    if !explicit {
        return Some(
            "no acknowledgment: the messages come without an interchange header (UNB), which names no one to answer to".to_owned(),
        );
    }
    match &setting.channel.partner_id {
        Some(p) if p != sender.trim() => Some(format!(
            "no acknowledgment: the interchange is from '{}', not from partner '{p}', and a run answers only the channel's partner (documents it would otherwise accept are refused as misrouted)",
            sender.trim()
        )),
        _ => None,
    }
}

/// Why a channel's settings send nothing.
fn nothing_sent(setting: &Setting, acks: AckKind) -> String {
    let c = &setting.channel;
    if setting.configured && c.outbound.is_none() {
        format!(
            "no acknowledgment: channel {} has no `outbound` folder, so a run sends nothing back; give it one (and `acks`) to answer the partner",
            c.id
        )
    } else if acks == AckKind::None {
        if setting.configured {
            format!(
                "no acknowledgment: channel {} has `acks = \"none\"`; set `acks` (997, 999 or contrl) to answer the partner",
                c.id
            )
        } else {
            "no acknowledgment: --acks none".to_owned()
        }
    } else {
        "no acknowledgment: the interchange holds only acknowledgments or transaction sets outside any functional group, and an acknowledgment is never acknowledged".to_owned()
    }
}

fn none(note: String) -> AckCheck {
    AckCheck {
        kind: "none",
        group: None,
        verdict: None,
        text: None,
        note: Some(note),
    }
}

fn written<E: std::fmt::Display>(
    kind: &'static str,
    group: Option<String>,
    verdict: String,
    text: Result<String, E>,
) -> AckCheck {
    match text {
        Ok(t) => AckCheck {
            kind,
            group,
            verdict: Some(verdict),
            text: Some(t),
            note: None,
        },
        // The run reports the same and sends nothing.
        Err(e) => AckCheck {
            kind,
            group,
            verdict: Some(verdict),
            text: None,
            note: Some(format!(
                "a run could not write this acknowledgment and sends none: {e}; a value copied from the partner's envelope holds one of the delimiters: set the channel's `delimiters` to characters the partner's values do not hold"
            )),
        },
    }
}

/// Segments as text, one per line.
fn lines(bytes: Vec<u8>) -> String {
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // The last byte is the segment terminator the writer used.
    match text.chars().last() {
        Some(t) => text.split_inclusive(t).collect::<Vec<_>>().join("\n"),
        None => text,
    }
}

/// Fills the interchanges of an X12 or EDIFACT file (`S`): its documents hung under their
/// groups, the acknowledgments a run would send, the coverage.
#[allow(clippy::too_many_arguments)]
pub(super) fn build<S: Side>(
    file: &mut FileCheck,
    bytes: &[u8],
    report: &FileReport,
    docs: Vec<DocumentCheck>,
    grammars: &GrammarSet,
    opts: &Options,
    setting: &Setting,
    acks: AckKind,
    coverage: &mut Gatherer,
) {
    let owned;
    let input: &[u8] = if S::needs_transcoding(bytes) {
        let mut copy = bytes.to_vec();
        S::transcode(&mut copy);
        owned = copy;
        &owned
    } else {
        bytes
    };
    let mut map: EnvelopeMap<S> = crate::envelope::scan::<S>(input);
    if opts.relax_envelope {
        map.relax_integrity();
    }
    let codes = S::codes(acks);
    file.findings.extend(
        map.findings
            .iter()
            .cloned()
            .map(|f| FindingCheck::new(f, codes, "")),
    );
    let mut by_offset: BTreeMap<usize, DocumentCheck> =
        docs.into_iter().map(|d| (d.offset, d)).collect();
    for (i, ic) in map.interchanges.iter().enumerate() {
        let (sender, receiver) = S::parties(ic);
        let mut groups = Vec::with_capacity(ic.groups.len());
        for (g, gr) in ic.groups.iter().enumerate() {
            let (functional_id, version) = S::group_id(gr);
            let mut documents = Vec::with_capacity(gr.transactions.len());
            for (t, tx) in gr.transactions.iter().enumerate() {
                let Some(mut doc) = by_offset.remove(&tx.span.start) else {
                    continue;
                };
                let (set_version, grammar) = S::set_grammar(grammars, ic, gr, tx);
                doc.version = set_version;
                for f in &mut doc.findings {
                    *f = FindingCheck::new(f.finding.clone(), codes, &version);
                }
                let set_bytes = input.get(tx.span.start..tx.span.end).unwrap_or_default();
                let (_, segments, placements) =
                    translate_with_placements(grammars, &map, (i, g, t), set_bytes, opts);
                for f in &mut doc.findings {
                    if let Some(p) = f
                        .finding
                        .segment_position
                        .and_then(|p| p.checked_sub(1))
                        .and_then(|i| placements.get(i))
                    {
                        f.loop_path = p.loops.join("/");
                    }
                }
                coverage.add::<S>(&doc, grammar.as_deref(), &segments, &placements);
                doc.segments = coverage.lines::<S>(grammar.as_deref(), &segments, &placements);
                documents.push(doc);
            }
            let findings: Vec<FindingCheck> = gr
                .findings
                .iter()
                .cloned()
                .map(|f| FindingCheck::new(f, codes, &version))
                .collect();
            let parts: Vec<Verdict> = documents.iter().map(|d| d.verdict).collect();
            groups.push(GroupCheck {
                explicit: gr.explicit,
                verdict: Verdict::of_parts(any_error(&findings), any_warning(&findings), &parts),
                functional_id,
                control: gr.control.clone(),
                version,
                findings,
                documents,
            });
        }
        let findings: Vec<FindingCheck> = ic
            .findings
            .iter()
            .cloned()
            .map(|f| FindingCheck::new(f, codes, ""))
            .collect();
        let parts: Vec<Verdict> = groups.iter().map(|g| g.verdict).collect();
        let acks = S::receipts(&report.receipts)
            .iter()
            .find(|r| r.interchange.span.start == ic.span.start)
            .map(|r| S::acks(r, setting, acks))
            .unwrap_or_default();
        file.interchanges.push(InterchangeCheck {
            offset: ic.span.start,
            explicit: ic.explicit,
            sender,
            receiver,
            control: ic.control.clone(),
            verdict: Verdict::of_parts(any_error(&findings), any_warning(&findings), &parts),
            findings,
            groups,
            acks,
        });
    }
    // Documents the scan did not place (none expected): kept, not lost.
    file.documents.extend(by_offset.into_values());
}
