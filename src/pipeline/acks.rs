//! Acknowledgments out: what a run sends back for each file it routed.
//!
//! Phase: after a file's documents are routed (so that a repeated interchange is known), its
//! receipts (`ack::receipt`) become acknowledgment files in the channel's outbound folder: one
//! file per inbound interchange, holding for X12 a TA1 (as the channel's `ta1` asks) and a 997
//! or 999 per functional group, for EDIFACT a CONTRL. Their control numbers come from the
//! ledger, allocated in the run's open transaction, so they count only if the run commits and
//! never repeat. Each file is written under a temporary name and fsynced (its folder once per
//! run) before the commit,
//! and renamed into place after it ([`super::complete`]); a run that dies before its commit
//! leaves only temporary files, which recovery deletes. So every inbound group (interchange)
//! gets exactly one acknowledgment however often a run is killed: a file re-delivered byte for
//! byte is not read again and gets none; a quarantined file replayed gets a new one.

use super::Input;
use super::deliver::{
    Delivery, EDIFACT_MAX, X12_MAX, edifact_delimiters, free_control, x12_delimiters,
};
use super::work::Layout;
use crate::ack::receipt::{Receipt, Receipts};
use crate::ack::{AckKind, Verdict};
use crate::ledger::{AckRow, Ledger};
use crate::syntax::edifact::Edifact;
use crate::syntax::x12::X12;
use std::path::Path;

/// Writes a run's acknowledgments.
pub(super) struct AckWriter<'a> {
    /// Where they go; the run's ship notices and invoices go through it too.
    pub delivery: Delivery<'a>,
}

/// What one file's acknowledgments came to.
#[derive(Debug, Default)]
pub(super) struct Sent {
    pub rows: Vec<AckRow>,
    /// Acknowledgments that could not be written, said in a sentence.
    pub errors: Vec<String>,
}

impl<'a> AckWriter<'a> {
    pub fn new(layout: &'a Layout, dry_run: bool, started: &str) -> Self {
        AckWriter {
            delivery: Delivery::new(layout, dry_run, started),
        }
    }

    /// Writes the acknowledgments of one routed file (`file` is its ledger id) and records
    /// them in the ledger's open transaction.
    pub fn send(
        &mut self,
        inp: &Input<'_>,
        file: i64,
        receipts: &Receipts,
        ledger: &mut dyn Ledger,
        run: i64,
    ) -> Result<Sent, super::Error> {
        let mut sent = Sent::default();
        let Some(dir) = inp.channel.outbound.as_deref() else {
            return Ok(sent);
        };
        match receipts {
            Receipts::None => {}
            Receipts::X12(list) => {
                for r in list {
                    self.x12(inp, dir, file, r, ledger, &mut sent)?;
                }
            }
            Receipts::Edifact(list) => {
                for r in list {
                    self.edifact(inp, dir, file, r, ledger, &mut sent)?;
                }
            }
        }
        for row in &sent.rows {
            ledger.add_ack(run, file, row)?;
        }
        Ok(sent)
    }

    /// Whether an interchange with these parties and control number was received in an
    /// earlier file (routing rejected its documents as a repeat).
    fn repeated(
        ledger: &dyn Ledger,
        file: i64,
        sender: &str,
        receiver: &str,
        control: &str,
    ) -> Result<bool, super::Error> {
        Ok(ledger
            .interchange(sender.trim(), receiver.trim(), control)?
            .is_some_and(|seen| seen.id != file))
    }

    fn x12(
        &mut self,
        inp: &Input<'_>,
        dir: &Path,
        file: i64,
        r: &Receipt<X12>,
        ledger: &mut dyn Ledger,
        sent: &mut Sent,
    ) -> Result<(), super::Error> {
        use crate::ack::x12 as ack;
        let ch = inp.channel;
        let ic = &r.interchange;
        if !ic.explicit || !from_partner(inp, &ic.header.sender_id) {
            return Ok(());
        }
        let duplicate = Self::repeated(
            ledger,
            file,
            &ic.header.sender_id,
            &ic.header.receiver_id,
            &ic.control,
        )?;
        // A repeated interchange was acknowledged when it first came: its TA1 says 025.
        let functional: Vec<(&str, ack::FunctionalAck)> =
            if matches!(ch.acks, AckKind::Fa997 | AckKind::Ia999) && !duplicate {
                r.groups
                    .iter()
                    .filter_map(|g| {
                        ack::functional_ack(ch.acks, r, g).map(|fa| (g.group.control.as_str(), fa))
                    })
                    .collect()
            } else {
                Vec::new()
            };
        let ta1 = ack::ta1_due(ch.ta1, r, duplicate).then(|| ack::ta1(r, duplicate));
        if functional.is_empty() && ta1.is_none() {
            return Ok(());
        }
        let kind = match (ch.acks, functional.is_empty()) {
            (_, true) => "ta1",
            (AckKind::Ia999, false) => "999",
            _ => "997",
        };
        let name = |n: u64| format!("{}-{kind}-{n:09}.x12", ch.id);
        let isa13 = free_control(ledger, &ch.id, "isa", X12_MAX, |n| dir.join(name(n)))?;
        let mut groups = Vec::with_capacity(functional.len());
        for (_, fa) in &functional {
            let controls = ack::GroupControls {
                group: ledger.next_control(&ch.id, "gs", X12_MAX)?,
                set: ledger.next_control(&ch.id, "st", X12_MAX)?,
            };
            groups.push((controls, fa));
        }
        let mut env = ack::Outgoing::new(r, isa13, self.delivery.stamp);
        if let Some(d) = ch.delimiters.as_deref().and_then(x12_delimiters) {
            env.delimiters = d;
        }
        let mut bytes = Vec::new();
        if let Err(e) = ack::write_interchange(&mut bytes, &env, ta1.as_ref(), &groups) {
            let fix = match e {
                ack::WriteError::X12Segment(_) => DELIMITERS_HOLD_IT,
                ack::WriteError::NoRepetitionSeparator { .. } => {
                    "give the channel's `delimiters` a repetition separator (\"*>^~\")"
                }
                _ => ENVELOPE_HOLDS_IT,
            };
            sent.errors
                .push(unwritable(inp, "acknowledgment", &ic.control, &e, fix));
            return Ok(());
        }
        let ours = format!("{isa13:09}");
        let (path, temp) = self.delivery.write(dir, &name(isa13), &bytes)?;
        let row = |kind: &str, acknowledged: String, verdict: Verdict, controls: String| AckRow {
            file: 0,
            channel: ch.id.clone(),
            kind: kind.to_owned(),
            acknowledged,
            verdict: verdict.as_str().to_owned(),
            controls,
            temp: temp.clone(),
            path: path.clone(),
        };
        if ta1.is_some() {
            sent.rows.push(row(
                "ta1",
                ic.control.clone(),
                ack::ta1_verdict(r, duplicate).0,
                ours.clone(),
            ));
        }
        for ((group, fa), (c, _)) in functional.iter().zip(&groups) {
            sent.rows.push(row(
                ch.acks.as_str(),
                format!("{}/{group}", ic.control),
                fa.verdict,
                format!("{ours}/{}/{:04}", c.group, c.set),
            ));
        }
        Ok(())
    }

    fn edifact(
        &mut self,
        inp: &Input<'_>,
        dir: &Path,
        file: i64,
        r: &Receipt<Edifact>,
        ledger: &mut dyn Ledger,
        sent: &mut Sent,
    ) -> Result<(), super::Error> {
        use crate::ack::edifact as ack;
        let ch = inp.channel;
        let ic = &r.interchange;
        // Messages sent without a UNB name no one to answer to.
        if ch.acks != AckKind::Contrl || !ic.explicit || !from_partner(inp, &ic.header.sender_id) {
            return Ok(());
        }
        let duplicate = Self::repeated(
            ledger,
            file,
            &ic.header.sender_id,
            &ic.header.recipient_id,
            &ic.control,
        )?;
        // A repeated interchange is rejected as such (0085 26), whatever its syntax.
        let repeated;
        let r = if duplicate {
            let mut copy = r.clone();
            copy.interchange.findings.push(
                crate::diag::Finding::error(
                    crate::diag::Code::DuplicateInterchange,
                    format!(
                        "interchange control reference {} was received from this sender before",
                        ic.control
                    ),
                )
                .at(ic.span.start, ic.first_index, "UNB"),
            );
            repeated = copy;
            &repeated
        } else {
            r
        };
        let Some(contrl) = ack::contrl(r) else {
            return Ok(());
        };
        let name = |n: u64| format!("{}-contrl-{n}.edi", ch.id);
        let unb = free_control(ledger, &ch.id, "unb", EDIFACT_MAX, |n| dir.join(name(n)))?;
        let unh = ledger.next_control(&ch.id, "unh", EDIFACT_MAX)?;
        let mut env = ack::Outgoing::new(r, unb, unh, self.delivery.stamp);
        if let Some(d) = ch.delimiters.as_deref().and_then(edifact_delimiters) {
            env.delimiters = d;
        }
        let mut bytes = Vec::new();
        if let Err(e) = ack::write_interchange(&mut bytes, &env, &contrl) {
            let fix = match e {
                ack::WriteError::Envelope(crate::envelope::build::Error::EdifactSegment(_)) => {
                    DELIMITERS_HOLD_IT
                }
                _ => ENVELOPE_HOLDS_IT,
            };
            sent.errors
                .push(unwritable(inp, "CONTRL", &ic.control, &e, fix));
            return Ok(());
        }
        let (path, temp) = self.delivery.write(dir, &name(unb), &bytes)?;
        sent.rows.push(AckRow {
            file: 0,
            channel: ch.id.clone(),
            kind: "contrl".into(),
            acknowledged: ic.control.clone(),
            verdict: contrl.verdict().as_str().to_owned(),
            controls: format!("{unb}/{unh}"),
            temp,
            path,
        });
        Ok(())
    }
}

/// What to do when a value copied from the inbound holds one of the delimiters we write with.
const DELIMITERS_HOLD_IT: &str =
    "set the channel's `delimiters` to characters the partner's values do not hold";
/// What to do when the inbound's own envelope cannot be answered.
const ENVELOPE_HOLDS_IT: &str = "the value comes from the partner's envelope, which cannot be answered as sent: ask the partner to send the interchange again with it corrected";

/// An acknowledgment that could not be written, said for the run report: which, for what,
/// why, that nothing was sent, and what to do.
fn unwritable(
    inp: &Input<'_>,
    what: &str,
    control: &str,
    e: &dyn std::fmt::Display,
    fix: &str,
) -> String {
    format!(
        "channel {}: no {what} was sent for interchange {control} in {}: {e}; {fix}",
        inp.channel.id, inp.name
    )
}

/// Whether an interchange comes from the channel's partner (when the channel names one): an
/// interchange from someone else was dropped in the wrong folder and is quarantined as
/// misrouted; its acknowledgment would go to a partner it does not concern.
fn from_partner(inp: &Input<'_>, sender: &str) -> bool {
    inp.channel
        .partner_id
        .as_deref()
        .is_none_or(|p| p == sender.trim())
}
