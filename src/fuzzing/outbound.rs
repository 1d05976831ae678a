//! ERP exports and the documents we write from them, for any input: the export readers never
//! panic, and every ship notice or invoice the writers agree to write (856 and 810 in 004010
//! and 005010, DESADV and INVOIC in D96A and D01B) reads back through our own reader and
//! grammar with no error, as one accepted document of its kind; a value they cannot write is
//! refused with an error, never a panic.

use super::grammars;
use crate::envelope::build::{
    EdifactEnvelope, EdifactMessage, X12Envelope, X12Group, X12Set, write_edifact, write_x12,
};
use crate::erp::export;
use crate::map::driver::{Mapping, translate_all};
use crate::map::outbound::{Hierarchy, Profile, body};
use crate::map::{Options, Status};
use crate::model::{Document, Identity};
use crate::syntax::edifact::Edifact;
use crate::syntax::x12::X12;
use std::sync::OnceLock;

fn profiles() -> &'static export::Profiles {
    static P: OnceLock<export::Profiles> = OnceLock::new();
    P.get_or_init(|| export::Profiles::builtin().expect("built-in export profiles"))
}

fn id(q: &str, v: &str) -> Identity {
    Identity {
        qualifier: q.into(),
        id: v.into(),
    }
}

fn stamp() -> jiff::civil::DateTime {
    jiff::civil::date(2024, 3, 11).at(9, 31, 0, 0)
}

/// What we wrote reads back: no error, one accepted document of the same kind.
fn reads_back<S: Mapping + crate::envelope::Envelope>(what: &str, doc: &Document, bytes: &[u8]) {
    let (map, outcomes) = translate_all::<S>(bytes, grammars(), &Options::default());
    let text = String::from_utf8_lossy(bytes);
    let errors: Vec<String> = map
        .all_findings()
        .chain(outcomes.iter().flat_map(|o| o.findings.iter()))
        .filter(|f| f.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} we wrote reads back with errors: {errors:?}\n{text}\n{doc:?}"
    );
    assert_eq!(outcomes.len(), 1, "{what}: {outcomes:?}\n{text}");
    let o = &outcomes[0];
    assert_eq!(o.status, Status::Accepted, "{what}: {o:?}\n{text}");
    let back = o.document.as_ref().expect("an accepted document");
    assert_eq!(back.kind(), doc.kind(), "{what}\n{text}");
    assert_eq!(back.number(), doc.number(), "{what}\n{text}");
}

/// Writes `doc` in every standard and version we send, and reads back what was written.
fn write_all_ways(doc: &Document) {
    for (version, edifact) in [
        ("004010", false),
        ("005010", false),
        ("D96A", true),
        ("D01B", true),
    ] {
        for hierarchy in [
            Hierarchy::ShipmentOrderPackItem,
            Hierarchy::ShipmentOrderItem,
        ] {
            let profile = Profile {
                version: version.into(),
                hierarchy,
                ..Profile::default()
            };
            let Ok(b) = body(doc, edifact, &profile) else {
                continue;
            };
            let mut out = Vec::new();
            if edifact {
                let env = EdifactEnvelope {
                    syntax_id: "UNOW".into(),
                    syntax_version: "4".into(),
                    sender: id("14", "5412345000013"),
                    recipient: id("14", "4012345000009"),
                    control: 1,
                    ack_requested: false,
                    test: false,
                    delimiters: Default::default(),
                    stamp: stamp(),
                    transliterate: false,
                };
                let (v, r) = version.split_at(1);
                let m = EdifactMessage {
                    reference: 1,
                    identifier: vec![b.set_id, v, r, "UN"],
                    segments: &b.segments,
                };
                if write_edifact(&mut out, &env, &[m]).is_ok() {
                    reads_back::<Edifact>(b.set_id, doc, &out);
                }
            } else {
                let env = X12Envelope {
                    sender: id("ZZ", "US"),
                    receiver: id("ZZ", "THEM"),
                    version: if version == "005010" {
                        "00501"
                    } else {
                        "00401"
                    }
                    .into(),
                    control: 1,
                    ack_requested: false,
                    usage: "P".into(),
                    delimiters: Default::default(),
                    stamp: stamp(),
                };
                let g = X12Group {
                    functional_id: b.functional_id,
                    sender: "US",
                    receiver: "THEM",
                    control: 1,
                    version,
                    sets: vec![X12Set {
                        id: b.set_id,
                        control: 1,
                        implementation: None,
                        segments: &b.segments,
                    }],
                };
                if write_x12(&mut out, &env, &[], &[g]).is_ok() {
                    reads_back::<X12>(b.set_id, doc, &out);
                }
            }
        }
    }
}

/// The export readers on any bytes (JSON Lines, and CSV through every built-in profile), then
/// the writers on every document read.
pub fn erp_export(data: &[u8]) {
    let mut docs: Vec<Document> = Vec::new();
    docs.extend(
        export::read_jsonl("fuzz.jsonl", data)
            .into_iter()
            .flatten()
            .map(|e| e.document),
    );
    for pid in profiles().ids().collect::<Vec<_>>() {
        let p = profiles().get(pid).expect("listed");
        let read = match p.layout {
            export::Layout::HeaderDetail => {
                // The two files: the input split at its first NUL, or the same twice.
                let (h, d) = match data.iter().position(|&b| b == 0) {
                    Some(i) => (&data[..i], &data[i + 1..]),
                    None => (data, data),
                };
                export::read_header_detail(p, ("h.csv", h), ("d.csv", d))
            }
            _ => export::read_csv(p, "fuzz.csv", data),
        };
        docs.extend(read.into_iter().flatten().map(|e| e.document));
    }
    for d in docs.iter().take(8) {
        write_all_ways(d);
    }
}
