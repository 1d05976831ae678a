//! The acknowledgments we send: for each of our fixtures (and the shared corpus when it is
//! there) the 997 + TA1 or CONTRL a strict channel sends, snapshotted, consistent with the
//! findings, and read back through our own reader and grammar without a finding.
//!
//! Snapshots are under `tests/snapshots/acks/`; update them as the other snapshots are
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test acks`).

mod common;

use common::{corpus, files, grammars, root};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use tallyman::ack::receipt::{Collector, Receipt, reported};
use tallyman::ack::{AckKind, Ta1Policy, edifact as contrl, x12 as fa};
use tallyman::diag::{Code, Finding, Level, Severity};
use tallyman::envelope::edifact::Edifact;
use tallyman::envelope::x12::X12;
use tallyman::envelope::{Closed, Envelope};
use tallyman::grammar::Strictness;
use tallyman::map::driver::{Mapping, translate_all, translate_reader};
use tallyman::map::{Options, Outcome, Status};
use tallyman::syntax::x12::{Segment, Terminator};

fn stamp() -> jiff::civil::DateTime {
    jiff::civil::date(2024, 3, 11).at(9, 31, 0, 0)
}

/// What the driver said of one set, beside its receipt.
struct Seen<S: Envelope> {
    closed: Closed<S>,
    outcome: Outcome,
}

fn receive<S: Mapping>(bytes: &[u8]) -> (Vec<Receipt<S>>, Vec<Seen<S>>) {
    let opts = Options {
        strictness: Strictness::Strict,
        ..Options::default()
    };
    let mut collector = Collector::<S>::new();
    let mut seen = Vec::new();
    let map = translate_reader::<S, _, _>(bytes, grammars(), &opts, 1 << 20, |closed, outcome| {
        collector.add(closed, &outcome);
        seen.push(Seen {
            closed: closed.clone(),
            outcome,
        });
        Ok(())
    })
    .expect("in memory");
    (collector.finish(&map), seen)
}

/// Findings an ack read back may have: notes about our grammars, not about the ack.
fn tolerated(f: &Finding) -> bool {
    let on = |tag: &str| f.segment.as_deref() == Some(tag);
    f.severity == Severity::Warning
        && (
            // A 997 in a version we have no grammar of (002040) is validated against the
            // nearest one.
            (f.code == Code::VersionFallback && (on("UNH") || on("ST")))
            // The inbound's syntax identifier is mirrored, also one that is not UN/EDIFACT's
            // (IATA's IATB): our reader notes it.
            || (f.code == Code::InvalidInterchangeHeader && on("UNB") && f.element == Some(1))
        )
}

/// Reads written acks back: no finding at all at any level, every set translated into an
/// acknowledgment.
fn reads_back_clean<S: Mapping>(name: &str, bytes: &[u8]) {
    let opts = Options::default();
    let (map, outcomes) = translate_all::<S>(bytes, grammars(), &opts);
    let text = String::from_utf8_lossy(bytes);
    let envelope: Vec<&Finding> = map.all_findings().filter(|f| !tolerated(f)).collect();
    assert!(envelope.is_empty(), "{name}: {envelope:#?}\n{text}");
    assert!(!outcomes.is_empty(), "{name}: nothing read back\n{text}");
    for o in &outcomes {
        let bad: Vec<&Finding> = o.findings.iter().filter(|f| !tolerated(f)).collect();
        assert!(bad.is_empty(), "{name}: {bad:#?}\n{text}");
        assert_eq!(o.status, Status::Accepted, "{name}\n{text}");
        let kind = o.document.as_ref().map(tallyman::model::Document::kind);
        assert_eq!(kind, Some("acknowledgment"), "{name}\n{text}");
    }
}

/// Whether the driver rejected a set for what the syntax says (its envelope, its grammar, or
/// not supporting it), which is where an ack must say R.
fn syntax_rejected<S: Envelope>(s: &Seen<S>) -> bool {
    s.closed.interchange.rejected()
        || s.closed.group.rejected()
        || s.closed.transaction.rejected()
        || s.outcome.status == Status::NotMapped
        || s.outcome
            .findings
            .iter()
            .any(|f| f.is_error() && reported(f))
}

/// Errors of a set that an ack points at: segment or element findings with a position.
fn pointed<S: Envelope>(s: &Seen<S>) -> Vec<&Finding> {
    s.outcome
        .findings
        .iter()
        .filter(|f| {
            f.is_error()
                && reported(f)
                && f.segment_position.is_some()
                && matches!(f.code.level(), Level::Segment | Level::Element)
        })
        .collect()
}

fn value(seg: &Segment, n: usize) -> String {
    seg.elements
        .get(n - 1)
        .and_then(|e| e.0.first())
        .map(|c| c.join(":"))
        .unwrap_or_default()
}

/// The X12 acks of one input: the text of the interchanges written, one segment a line.
fn x12_acks(name: &str, bytes: &[u8]) -> String {
    let (receipts, seen) = receive::<X12>(bytes);
    let mut text = String::new();
    for (i, r) in receipts.iter().enumerate() {
        let mut acks: Vec<fa::FunctionalAck> = Vec::new();
        for g in &r.groups {
            if let Some(ack) = fa::functional_ack(AckKind::Fa997, r, g) {
                check_x12_consistency(name, r, g.group.number, &ack, &seen);
                acks.push(ack);
            }
        }
        let ta1 = fa::ta1_due(Ta1Policy::Errors, r, false).then(|| fa::ta1(r, false));
        if acks.is_empty() && ta1.is_none() {
            continue;
        }
        let env = fa::Outgoing::new(r, 1 + i as u64, stamp());
        let groups: Vec<_> = acks
            .iter()
            .enumerate()
            .map(|(g, a)| {
                let controls = fa::GroupControls {
                    group: 1 + g as u64,
                    set: 1 + g as u64,
                };
                (controls, a)
            })
            .collect();
        let mut out = Vec::new();
        match fa::write_interchange(&mut out, &env, ta1.as_ref(), &groups) {
            Ok(()) => {
                reads_back_clean::<X12>(name, &out);
                text.push_str(&lines(&out, env.delimiters.terminator.as_bytes()));
            }
            Err(e) => text.push_str(&format!("no ack for interchange {}: {e}\n", i + 1)),
        }
        // The 999 of the same groups reads back through the envelope and tokenizer.
        let acks999: Vec<_> = r
            .groups
            .iter()
            .filter_map(|g| fa::functional_ack(AckKind::Ia999, r, g))
            .collect();
        let groups: Vec<_> = acks999
            .iter()
            .enumerate()
            .map(|(g, a)| {
                let n = 1 + g as u64;
                (fa::GroupControls { group: n, set: n }, a)
            })
            .collect();
        let mut out = Vec::new();
        if fa::write_interchange(&mut out, &env, None, &groups).is_ok() && !groups.is_empty() {
            reads_back_clean::<X12>(&format!("{name} (999)"), &out);
        }
    }
    text
}

fn check_x12_consistency(
    name: &str,
    r: &Receipt<X12>,
    group: usize,
    ack: &fa::FunctionalAck,
    seen: &[Seen<X12>],
) {
    let sets: Vec<&Seen<X12>> = seen
        .iter()
        .filter(|s| {
            s.closed.interchange.number == r.interchange.number && s.closed.group.number == group
        })
        .collect();
    let mut k = 0;
    let mut control = String::new();
    let mut notes: Vec<&Segment> = Vec::new();
    for seg in &ack.segments {
        match seg.tag.as_str() {
            "AK2" => {
                control = value(seg, 2);
                notes.clear();
            }
            "AK3" | "AK4" => notes.push(seg),
            "AK5" => {
                let s = sets[k];
                k += 1;
                assert_eq!(s.closed.transaction.control, control, "{name}: set order");
                let verdict = value(seg, 1);
                assert_eq!(
                    verdict == "R",
                    syntax_rejected(s),
                    "{name}: set {control} AK5 {verdict}: {:#?}",
                    s.outcome.findings
                );
                for f in pointed(s) {
                    let pos = f.segment_position.unwrap().to_string();
                    // A missing segment is named itself, where it was expected.
                    let tag = f.missing.clone().or(f.segment.clone()).unwrap_or_default();
                    let at = notes
                        .iter()
                        .position(|n| n.tag == "AK3" && value(n, 1) == tag && value(n, 2) == pos)
                        .unwrap_or_else(|| {
                            panic!("{name}: set {control}: no AK3 for {f}: {notes:#?}")
                        });
                    if let (Level::Element, Some(el)) = (f.code.level(), f.element) {
                        let want = match f.component {
                            Some(c) => format!("{el}:{c}"),
                            None => el.to_string(),
                        };
                        assert!(
                            notes[at..]
                                .iter()
                                .any(|n| n.tag == "AK4" && value(n, 1) == want),
                            "{name}: set {control}: no AK4 {want} for {f}"
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

/// The CONTRL of one input.
fn edifact_acks(name: &str, bytes: &[u8]) -> String {
    let (receipts, seen) = receive::<Edifact>(bytes);
    let mut text = String::new();
    for (i, r) in receipts.iter().enumerate() {
        let Some(c) = contrl::contrl(r) else {
            text.push_str(&format!(
                "no CONTRL for interchange {} (acknowledgments only)\n",
                i + 1
            ));
            continue;
        };
        check_edifact_consistency(name, r, &c, &seen);
        let env = contrl::Outgoing::new(r, 1 + i as u64, 1, stamp());
        let mut out = Vec::new();
        match contrl::write_interchange(&mut out, &env, &c) {
            Ok(()) => {
                reads_back_clean::<Edifact>(name, &out);
                text.push_str(&lines(&out, &[env.delimiters.terminator]));
            }
            Err(e) => text.push_str(&format!("no CONTRL for interchange {}: {e}\n", i + 1)),
        }
    }
    text
}

fn check_edifact_consistency(
    name: &str,
    r: &Receipt<Edifact>,
    c: &contrl::Contrl,
    seen: &[Seen<Edifact>],
) {
    let ours: Vec<&Seen<Edifact>> = seen
        .iter()
        .filter(|s| s.closed.interchange.number == r.interchange.number)
        .filter(|s| !matches!(s.outcome.set_id.as_str(), "CONTRL" | "APERAK"))
        .collect();
    let ucms: Vec<usize> = c
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.tag == "UCM")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(ucms.len(), ours.len(), "{name}: one UCM per message");
    for (k, s) in ours.iter().enumerate() {
        let at = ucms[k];
        let ucm = &c.segments[at];
        assert_eq!(value(ucm, 1), s.closed.transaction.control, "{name}");
        let action = value(ucm, 3);
        assert_eq!(
            action == "4",
            syntax_rejected(s),
            "{name}: message {} UCM {action}: {:#?}",
            s.closed.transaction.control,
            s.outcome.findings
        );
        let end = ucms.get(k + 1).copied().unwrap_or(c.segments.len());
        let under = &c.segments[at + 1..end];
        for f in pointed(s) {
            let pos = f.segment_position.unwrap().to_string();
            let ucs = under
                .iter()
                .position(|u| u.tag == "UCS" && value(u, 1) == pos)
                .unwrap_or_else(|| panic!("{name}: no UCS for {f}: {under:#?}"));
            if let (Level::Element, Some(el)) = (f.code.level(), f.element) {
                let want = match f.component {
                    Some(c) => format!("{el}:{c}"),
                    None => el.to_string(),
                };
                assert!(
                    under[ucs + 1..]
                        .iter()
                        .take_while(|u| u.tag == "UCD")
                        .any(|u| value(u, 2) == want),
                    "{name}: no UCD {want} for {f}"
                );
            }
        }
    }
}

/// The bytes, one segment a line.
fn lines(bytes: &[u8], terminator: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let t = String::from_utf8_lossy(terminator).into_owned();
    let mut out = text.replace(&t, &format!("{t}\n"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => "snapshots/acks",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

fn fixtures(standard: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for kind in ["valid", "invalid"] {
        let dir = root().join(format!("tests/fixtures/{standard}/{kind}"));
        for path in files(&dir, &["edi"]) {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            out.push((format!("{standard}_{kind}__{stem}"), path));
        }
    }
    out
}

#[test]
fn x12_fixtures_get_their_997_and_ta1() {
    for (name, path) in fixtures("x12") {
        let bytes = std::fs::read(&path).unwrap();
        snapshot(&name, &x12_acks(&name, &bytes));
    }
}

#[test]
fn edifact_fixtures_get_their_contrl() {
    for (name, path) in fixtures("edifact") {
        let bytes = std::fs::read(&path).unwrap();
        snapshot(&name, &edifact_acks(&name, &bytes));
    }
}

fn corpus_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            corpus_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The standard of a corpus file by its first bytes.
fn standard(bytes: &[u8]) -> Option<&'static str> {
    let start = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(bytes)
        .trim_ascii_start();
    if start.starts_with(b"ISA") {
        Some("x12")
    } else if start.starts_with(b"UNA") || start.starts_with(b"UNB") || start.starts_with(b"UNH") {
        Some("edifact")
    } else {
        None
    }
}

#[test]
fn corpus_acks_read_back_clean() {
    let Some(dir) = corpus() else {
        eprintln!("no ../shared/corpus: skipped");
        return;
    };
    let mut paths = Vec::new();
    corpus_files(&dir, &mut paths);
    paths.sort();
    let mut done = 0;
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let text = match standard(&bytes) {
            Some("x12") => x12_acks(&name, &bytes),
            Some(_) => edifact_acks(&name, &bytes),
            None => continue,
        };
        // What a strict channel sends for each real file, kept for review.
        let rel = path.strip_prefix(&dir).unwrap().display().to_string();
        snapshot(&format!("corpus__{}", rel.replace('/', "__")), &text);
        done += 1;
    }
    assert!(done > 0, "no X12 or EDIFACT file in the corpus");
}

#[test]
fn a_group_of_acks_gets_no_ack_and_a_contrl_no_contrl() {
    let path = root().join("tests/fixtures/edifact/valid/contrl.edi");
    let (receipts, _) = receive::<Edifact>(&std::fs::read(path).unwrap());
    assert!(contrl::contrl(&receipts[0]).is_none());
    let mut out = Vec::new();
    let r = &x12_receipts("tests/fixtures/x12/invalid/bad-code.edi")[0];
    let ack = fa::functional_ack(AckKind::Fa997, r, &r.groups[0]).unwrap();
    let env = fa::Outgoing::new(r, 7, stamp());
    fa::write_interchange(
        &mut out,
        &env,
        None,
        &[(fa::GroupControls { group: 1, set: 1 }, &ack)],
    )
    .unwrap();
    let (back, _) = receive::<X12>(&out);
    assert!(fa::functional_ack(AckKind::Fa997, &back[0], &back[0].groups[0]).is_none());
}

#[test]
fn a_duplicate_interchange_gets_ta1_025() {
    let r = &x12_receipts("tests/fixtures/x12/valid/crlf.edi")[0];
    let t = fa::ta1(r, true);
    assert_eq!(value(&t, 4), "R");
    assert_eq!(value(&t, 5), "025");
    assert!(fa::ta1_due(Ta1Policy::Errors, r, true));
    assert!(!fa::ta1_due(Ta1Policy::Never, r, true));
    assert!(fa::ta1_due(Ta1Policy::Always, r, false));
}

fn x12_receipts(rel: &str) -> Vec<Receipt<X12>> {
    receive::<X12>(&std::fs::read(root().join(rel)).unwrap()).0
}

fn x12_delimiters() -> impl Strategy<Value = tallyman::syntax::x12::Delimiters> {
    proptest::sample::subsequence(b"*|~^>:!`{}$@#%;+".to_vec(), 4)
        .prop_shuffle()
        .prop_map(|v| tallyman::syntax::x12::Delimiters {
            element: v[0],
            component: v[1],
            repetition: Some(v[2]),
            terminator: Terminator::byte(v[3]),
        })
}

fn edifact_delimiters() -> impl Strategy<Value = tallyman::syntax::edifact::Delimiters> {
    proptest::sample::subsequence(b":+?'|~^=\\!".to_vec(), 4)
        .prop_shuffle()
        .prop_map(|v| tallyman::syntax::edifact::Delimiters {
            component: v[0],
            element: v[1],
            decimal: b'.',
            release: Some(v[2]),
            repetition: None,
            terminator: v[3],
        })
}

/// The segments of an interchange, read back.
fn x12_segments(bytes: &[u8]) -> Vec<Segment> {
    tallyman::syntax::x12::Reader::new(bytes)
        .skip(1)
        .map(|s| Segment::from_ref(&s.unwrap()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn x12_acks_round_trip_with_any_accepted_delimiters(d in x12_delimiters()) {
        let r = &x12_receipts("tests/fixtures/x12/invalid/bad-code.edi")[0];
        let ack = fa::functional_ack(AckKind::Fa997, r, &r.groups[0]).unwrap();
        let groups = [(fa::GroupControls { group: 3, set: 4 }, &ack)];
        let ta1 = fa::ta1(r, false);
        let mut env = fa::Outgoing::new(r, 5, stamp());
        let mut plain = Vec::new();
        fa::write_interchange(&mut plain, &env, Some(&ta1), &groups).unwrap();
        env.delimiters = d;
        let mut out = Vec::new();
        if fa::write_interchange(&mut out, &env, Some(&ta1), &groups).is_ok() {
            reads_back_clean::<X12>("round trip", &out);
            prop_assert_eq!(x12_segments(&out), x12_segments(&plain));
        } else {
            prop_assert!(out.is_empty());
        }
    }

    #[test]
    fn contrl_round_trips_with_any_accepted_separators(d in edifact_delimiters()) {
        let bytes = std::fs::read(root().join("tests/fixtures/edifact/invalid/bad-number.edi")).unwrap();
        let (receipts, _) = receive::<Edifact>(&bytes);
        let c = contrl::contrl(&receipts[0]).unwrap();
        let mut env = contrl::Outgoing::new(&receipts[0], 9, 2, stamp());
        let mut plain = Vec::new();
        contrl::write_interchange(&mut plain, &env, &c).unwrap();
        env.delimiters = d;
        let mut out = Vec::new();
        contrl::write_interchange(&mut out, &env, &c).unwrap();
        reads_back_clean::<Edifact>("round trip", &out);
        let read = |b: &[u8]| -> Vec<Segment> {
            tallyman::syntax::edifact::Reader::new(b)
                .map(|s| s.unwrap().to_segment())
                .filter(|s| s.tag != "UNA")
                .collect()
        };
        prop_assert_eq!(read(&out), read(&plain));
    }
}

/// A serialized enum's name (`invalid_code`, `element`).
fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

/// The README's "What the partner reads" is the code table: one row per code, same codes.
#[test]
fn readme_table_is_the_code_table() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = readme
        .split("### What the partner reads")
        .nth(1)
        .expect("README has the section");
    let rows: Vec<&str> = section
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();

    let want: Vec<String> = Code::ALL
        .iter()
        .map(|&c| {
            let row = c.row();
            let show = |v: Option<&str>| v.unwrap_or("-").to_string();
            format!(
                "| `{}` | {} | {} | {} | {} |",
                name(&c),
                name(&c.level()),
                show(row.x12),
                show(row.x12_999),
                show(row.edifact)
            )
        })
        .collect();
    assert_eq!(rows, want);
}
