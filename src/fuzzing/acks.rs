//! The acknowledgments we send, for any input: every 997, 999, TA1 and CONTRL that the writers
//! agree to write reads back through our own reader and grammar with no error, as an accepted
//! acknowledgment; a value they cannot write is refused with an error, never a panic.

use super::grammars;
use crate::ack::receipt::{Collector, Receipt};
use crate::ack::{AckKind, edifact as contrl, x12 as fa};
use crate::envelope::Envelope;
use crate::map::driver::{Mapping, translate_all, translate_reader};
use crate::map::{Options, Status};
use crate::syntax::edifact::Edifact;
use crate::syntax::x12::X12;

fn stamp() -> jiff::civil::DateTime {
    jiff::civil::date(2024, 3, 11).at(9, 31, 0, 0)
}

fn receipts<S: Mapping>(data: &[u8]) -> Vec<Receipt<S>> {
    let mut c = Collector::<S>::new();
    let map = translate_reader::<S, _, _>(data, grammars(), &Options::default(), 4096, |x, o| {
        c.add(x, &o);
        Ok(())
    })
    .expect("in-memory input");
    c.finish(&map)
}

/// An acknowledgment copies the references of what it answers as they were sent, since they
/// are how the partner finds it: TA101..TA103 (ISA13, ISA09, ISA10), AK101..AK103 and
/// AK201..AK203 (GS01, GS06, GS08; ST01..ST03), UCI, UCF and UCM 0020/0048/0062 with the
/// parties and the message identifier. When the inbound's were malformed (it is rejected for
/// that), the copies are too; everything else an ack says must read back clean.
fn echoed_reference(f: &crate::diag::Finding) -> bool {
    let on = |tags: &[&str]| f.segment.as_deref().is_some_and(|t| tags.contains(&t));
    f.code.level() == crate::diag::Level::Element
        && ((on(&["TA1", "AK1", "AK2", "UCI", "UCF"]) && matches!(f.element, Some(1..=3)))
            || (on(&["UCM"]) && matches!(f.element, Some(1 | 2))))
}

/// What we wrote reads back: no error at any level, every set an accepted acknowledgment.
fn reads_back<S: Mapping + Envelope>(what: &str, bytes: &[u8]) {
    let (map, outcomes) = translate_all::<S>(bytes, grammars(), &Options::default());
    let text = String::from_utf8_lossy(bytes);
    let errors: Vec<String> = map
        .all_findings()
        .chain(outcomes.iter().flat_map(|o| o.findings.iter()))
        .filter(|f| f.is_error() && !echoed_reference(f))
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} we wrote reads back with errors: {errors:?}\n{text}"
    );
    assert!(
        !outcomes.is_empty(),
        "{what} we wrote reads back empty\n{text}"
    );
    for o in &outcomes {
        let echoed = o.findings.iter().any(echoed_reference);
        assert!(
            o.status == Status::Accepted || echoed,
            "{what}: {o:?}\n{text}"
        );
    }
}

/// The acks of every X12 or EDIFACT interchange in `data` (see the module documentation).
pub fn acks_read_back(data: &[u8]) {
    match crate::translate::detect(&data[..data.len().min(512)]) {
        crate::translate::Format::X12 => {
            for (i, r) in receipts::<X12>(data).iter().enumerate() {
                let n = 1 + i as u64;
                for kind in [AckKind::Fa997, AckKind::Ia999] {
                    let acks: Vec<fa::FunctionalAck> = r
                        .groups
                        .iter()
                        .filter_map(|g| fa::functional_ack(kind, r, g))
                        .collect();
                    let groups: Vec<_> = acks
                        .iter()
                        .enumerate()
                        .map(|(g, a)| {
                            let g = 1 + g as u64;
                            (fa::GroupControls { group: g, set: g }, a)
                        })
                        .collect();
                    let ta1 = fa::ta1(r, i % 2 == 1);
                    let mut out = Vec::new();
                    let env = fa::Outgoing::new(r, n, stamp());
                    if fa::write_interchange(&mut out, &env, Some(&ta1), &groups).is_ok() {
                        reads_back::<X12>(kind.as_str(), &out);
                    }
                }
            }
        }
        crate::translate::Format::Edifact => {
            for (i, r) in receipts::<Edifact>(data).iter().enumerate() {
                if !r.interchange.explicit {
                    continue;
                }
                let Some(c) = contrl::contrl(r) else { continue };
                let n = 1 + i as u64;
                let mut out = Vec::new();
                let env = contrl::Outgoing::new(r, n, n, stamp());
                if contrl::write_interchange(&mut out, &env, &c).is_ok() {
                    reads_back::<Edifact>("CONTRL", &out);
                }
            }
        }
        _ => {}
    }
}
