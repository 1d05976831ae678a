use super::*;
use crate::syntax::Token;

/// Scans the two-thousand-interchange file both standards' tests build (interchange 1500
/// with a wrong group trailer count in its second group, 1700 with a repeated control
/// number) with a compact scanner, checking that what it holds stays small and that it
/// finds what a full scan finds; returns the findings.
pub(crate) fn compact_scan_of_2000<S: Envelope>(f: &[u8]) -> Vec<String> {
    let mut scanner = Scanner::<S>::compact();
    let mut tok = S::tokenizer(0);
    let mut pos = 0;
    loop {
        match S::next(&mut tok, f, &mut pos, true) {
            Token::Segment(s) => scanner.segment(&s),
            Token::Error(e) => scanner.syntax_error(&e),
            Token::End | Token::NeedMore => break,
        }
        // What the scanner holds stays small however many interchanges went by.
        let held = scanner.map();
        let groups: usize = held.interchanges.iter().map(|i| i.groups.len()).sum();
        assert!(held.interchanges.len() <= 3 && groups <= 4, "{groups}");
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
    let full = super::super::scan::<S>(f);
    assert_eq!(full.interchanges.len(), 2000);
    let all = |m: &EnvelopeMap<S>| {
        m.all_findings()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(all(&full), all(&m));
    all(&m)
}

/// A stream read in windows of each of `chunks` bytes gives the map of the whole input.
pub(crate) fn chunked_scan_matches_whole<S: Envelope>(f: &[u8], chunks: &[usize]) {
    let whole = serde_json::to_string(&super::super::scan::<S>(f)).unwrap();
    for &chunk in chunks {
        let m = super::super::scan_reader::<S, _>(f, chunk).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), whole, "chunk {chunk}");
    }
}
