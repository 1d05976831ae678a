use super::*;
use crate::syntax::{FieldTable, Separators, Span};
use proptest::prelude::*;
use std::sync::Arc;

fn simple(usage: Usage, kind: ElementType, min: usize, max: usize, codes: &[&str]) -> Position {
    let codes = (!codes.is_empty()).then(|| {
        Arc::new(super::super::CodeList::new(
            codes.iter().map(|c| c.to_string()).collect(),
        ))
    });
    Position {
        usage,
        repeat: 1,
        name: "Test".into(),
        item: Item::Simple(super::super::ElementDef {
            id: "1".into(),
            name: "Test".into(),
            kind,
            min,
            max,
            codes,
        }),
        guide: None,
    }
}

/// One position of each kind the fast paths take: simple values and composites.
fn positions() -> Vec<Position> {
    use ElementType::*;
    let m = Usage::Mandatory;
    let o = Usage::Optional;
    let components = vec![
        simple(m, AN, 1, 3, &[]),
        simple(o, ID, 1, 2, &["A", "ZZ", "É"]),
        simple(o, R, 1, 5, &[]),
        simple(o, N, 2, 4, &[]),
    ];
    let mut out = vec![
        simple(m, AN, 1, 3, &[]),
        simple(o, ID, 1, 2, &["A", "ZZ", "É"]),
        simple(m, R, 1, 5, &[]),
        simple(o, N, 2, 4, &[]),
        simple(o, DT, 8, 8, &[]),
    ];
    for id in ["C001", "C507"] {
        out.push(Position {
            usage: m,
            repeat: 1,
            name: "Composite".into(),
            item: Item::Composite {
                id: id.into(),
                components: components.clone(),
            },
            guide: None,
        });
    }
    out
}

proptest! {
    /// The element loop's fast paths find what the slow path (`check_position`, which the
    /// loop called for every such value before them) finds, on values without the
    /// repetition separator: escapes, separators, non-ASCII, numbers, lengths.
    #[test]
    fn fast_paths_find_what_the_slow_path_finds(
        v in proptest::collection::vec(
            prop_oneof![
                Just(b':'), Just(b'?'), Just(b'A'), Just(b'Z'), Just(b'1'), Just(b'.'),
                Just(b','), Just(b'-'), Just(0xC3), Just(0x89), Just(b' '), Just(b'+')
            ],
            1..12,
        ),
        which in 0usize..7,
        release in any::<bool>(),
    ) {
        let seps = Separators {
            component: b':',
            repetition: Some(b'*'),
            release: release.then_some(b'?'),
        };
        let pos = positions().swap_remove(which);
        let def = SegmentDef {
            tag: "TST".into(),
            name: "Test".into(),
            elements: vec![pos.clone()],
            rules: Vec::new(),
            required: 1,
        };
        let mut table = FieldTable::with_capacity(1);
        table.push(b"TST", Span::default(), 0, seps, [&v[..]].into_iter());
        let fields = table.fields();
        let controls = Controls::default();
        let mut fast = Ctx { controls: &controls, findings: Vec::new() };
        check_elements(&fields[0], &def, 1, &mut fast);
        let mut slow = Ctx { controls: &controls, findings: Vec::new() };
        check_position(&fields[0], "TST", 1, &pos, &v, 1, &mut slow);
        prop_assert_eq!(format!("{:?}", fast.findings), format!("{:?}", slow.findings));
    }
}

proptest! {
    /// A whole segment, read as text or not (its bytes decide), with or without release
    /// characters, gets from `check_elements` (whose first pass over a segment without
    /// escapes or repetitions says "surely all valid" or hands it on) the findings that each
    /// position checked the slow way gives: values missing, escapes, separators, non-ASCII
    /// (a two-byte character in a field of two or more), a control character (which makes the
    /// segment not text), numbers, lengths, composites and DTM's C507.
    #[test]
    fn a_whole_segment_finds_what_each_position_finds(
        values in proptest::collection::vec(
            prop_oneof![
                4 => proptest::collection::vec(
                    prop_oneof![
                        Just(b':'), Just(b'A'), Just(b'Z'), Just(b'1'), Just(b'2'), Just(b'0'),
                        Just(b'.'), Just(b','), Just(b'-'), Just(0xC3), Just(0x89), Just(b' '),
                        Just(0x01), Just(b'?')
                    ],
                    0..10,
                ),
                // One character in two bytes: as long as the shortest text field allows in
                // bytes, too short in characters.
                1 => Just("É".as_bytes().to_vec()),
            ],
            0..8,
        ),
        order in proptest::collection::vec(0usize..8, 1..8),
        repetition in any::<bool>(),
        release in any::<bool>(),
    ) {
        let seps = Separators {
            component: b':',
            repetition: repetition.then_some(b'*'),
            release: release.then_some(b'?'),
        };
        let mut all = positions();
        all.push(simple(Usage::Optional, ElementType::AN, 2, 3, &[]));
        let elements: Vec<Position> = order.iter().map(|&i| all[i].clone()).collect();
        let required = elements
            .iter()
            .rposition(|p| p.usage == Usage::Mandatory)
            .map_or(0, |i| i + 1);
        let def = SegmentDef {
            tag: "TST".into(),
            name: "Test".into(),
            elements,
            rules: Vec::new(),
            required,
        };
        // No more values than positions: a value past the last is another finding's matter.
        let values = &values[..values.len().min(def.elements.len())];
        let mut data = b"TST".to_vec();
        for v in values {
            data.push(b'+');
            data.extend_from_slice(v);
        }
        let mut table = FieldTable::with_capacity(1).reading(&data);
        table.push_split(&data, b'+', Span::default(), 0, seps, None);
        let fields = table.fields();
        let seg = &fields[0];
        let controls = Controls::default();
        let mut whole = Ctx { controls: &controls, findings: Vec::new() };
        check_elements(seg, &def, 1, &mut whole);
        let mut each = Ctx { controls: &controls, findings: Vec::new() };
        for (i, pos) in def.elements.iter().enumerate() {
            let n = i + 1;
            match seg.values().get(i).copied().unwrap_or_default() {
                b"" if pos.usage == Usage::Mandatory => {
                    let f = Finding::error(
                        Code::MandatoryElementMissing,
                        missing_message(&format!("TST{n:02}"), pos),
                    );
                    each.push(seg, 1, f.element(n));
                }
                b"" => {}
                v => check_position(seg, "TST", n, pos, v, 1, &mut each),
            }
        }
        prop_assert_eq!(format!("{:?}", whole.findings), format!("{:?}", each.findings));
    }
}

/// DTM's C507 is checked the slow way even in a segment the first pass takes (printable,
/// no release character): its date must exist in the format its next component names.
#[test]
fn a_date_that_does_not_exist_is_found_in_a_segment_read_as_text() {
    use ElementType::*;
    let o = Usage::Optional;
    let c507 = Position {
        usage: Usage::Mandatory,
        repeat: 1,
        name: "Date/time/period".into(),
        item: Item::Composite {
            id: "C507".into(),
            components: vec![
                simple(Usage::Mandatory, AN, 1, 3, &[]),
                simple(o, AN, 1, 35, &[]),
                simple(o, AN, 1, 3, &[]),
            ],
        },
        guide: None,
    };
    let def = SegmentDef {
        tag: "DTM".into(),
        name: "Date/time/period".into(),
        elements: vec![c507],
        rules: Vec::new(),
        required: 1,
    };
    let seps = Separators {
        component: b':',
        repetition: None,
        release: None,
    };
    let findings = |data: &[u8]| {
        let mut table = FieldTable::with_capacity(1).reading(data);
        table.push_split(data, b'+', Span::default(), 0, seps, None);
        let fields = table.fields();
        assert!(fields[0].text().is_some(), "read as text");
        let controls = Controls::default();
        let mut ctx = Ctx {
            controls: &controls,
            findings: Vec::new(),
        };
        check_elements(&fields[0], &def, 1, &mut ctx);
        ctx.findings
    };
    assert!(findings(b"DTM+137:20240229:102").is_empty());
    let f = findings(b"DTM+137:20230229:102");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].code, Code::InvalidDate);
}

proptest! {
    /// Syntax notes checked with the remembered presence patterns of earlier segments find
    /// what they find checked afresh for each segment: a pattern is remembered only when
    /// it kept every note, so a broken note is never skipped.
    #[test]
    fn remembered_patterns_find_what_a_fresh_check_finds(
        segments in proptest::collection::vec(proptest::collection::vec(any::<bool>(), 0..7), 1..12),
    ) {
        let seps = Separators { component: b':', repetition: None, release: None };
        let def = SegmentDef {
            tag: "TST".into(),
            name: "Test".into(),
            elements: (0..6).map(|_| simple(Usage::Optional, ElementType::AN, 1, 3, &[])).collect(),
            rules: ["P0102", "C0304", "E0506", "L010304", "R0205"]
                .iter()
                .map(|r| crate::grammar::compile::parse_rule(r).expect("a note"))
                .collect(),
            required: 0,
        };
        let mut table = FieldTable::with_capacity(segments.len());
        for filled in &segments {
            let values: Vec<&[u8]> = filled.iter().map(|&f| if f { &b"A"[..] } else { b"" }).collect();
            table.push(b"TST", Span::default(), 0, seps, values.into_iter());
        }
        let fields = table.fields();
        let controls = Controls::default();
        let mut shared = Ctx { controls: &controls, findings: Vec::new() };
        let mut kept = u128::MAX;
        let mut fresh = Vec::new();
        for (i, seg) in fields.iter().enumerate() {
            check_notes(seg, &def, i + 1, Some(&mut kept), &mut shared);
            let mut one = Ctx { controls: &controls, findings: Vec::new() };
            check_notes(seg, &def, i + 1, None, &mut one);
            fresh.extend(one.findings);
        }
        prop_assert_eq!(format!("{:?}", shared.findings), format!("{fresh:?}"));
    }
}

/// The patterns a walk remembers from set to set (per thread) belong to that walk: two
/// grammars whose first noted segment has the same tag but opposite notes never read each
/// other's patterns, and a pattern that kept the notes in one set does not hide a broken
/// note of the same segment in the next.
#[test]
fn remembered_patterns_stay_with_their_walk_from_set_to_set() {
    use crate::grammar::compile::{compile_version, parse_dictionary};
    let grammar = |rule: &str| {
        let dictionary = format!(
            r#"
[elements]
"1" = {{ name = "One", type = "AN", min = 1, max = 3 }}
[segments]
"AA" = {{ name = "Aa", elements = [{{ id = "1" }}, {{ id = "1" }}], rules = ["{rule}"] }}
"#
        );
        let base = parse_dictionary("t/dictionary.toml", &dictionary).unwrap();
        let set = r#"
id = "100"
name = "Test"
structure = [{ segment = "AA", usage = "M", max = 9 }]
"#;
        let mut sets = compile_version("t", "v1", &base, &[("t/v1/100.toml".into(), set)]).unwrap();
        sets.remove("100").unwrap()
    };
    // Both elements or neither; never both.
    let (paired, exclusive) = (grammar("P0102"), grammar("E0102"));
    let notes = |g: &Grammar, values: &[&[u8]]| {
        let seps = Separators {
            component: b':',
            repetition: None,
            release: None,
        };
        let mut table = FieldTable::with_capacity(1);
        table.push(b"AA", Span::default(), 0, seps, values.iter().copied());
        // Nothing else is wrong with these sets: every finding is a broken note.
        validate(g, &table.fields(), &Controls::default(), false)
            .findings
            .len()
    };
    let both: &[&[u8]] = &[b"A", b"B"];
    let one: &[&[u8]] = &[b"A"];
    assert_eq!(notes(&paired, both), 0, "both present keeps P0102");
    assert_eq!(notes(&exclusive, both), 1, "both present breaks E0102");
    assert_eq!(notes(&paired, both), 0);
    assert_eq!(notes(&exclusive, both), 1, "still broken in the next set");
    assert_eq!(notes(&paired, one), 1, "one alone breaks P0102");
    assert_eq!(notes(&exclusive, one), 0);
    assert_eq!(notes(&paired, one), 1);
}

#[test]
fn decimals() {
    let r = |v: &[u8]| {
        let e = super::super::ElementDef {
            id: "60".into(),
            name: "Price".into(),
            kind: ElementType::R,
            min: 1,
            max: 15,
            codes: None,
        };
        check_value(&e, v).map(|(_, m)| m)
    };
    for ok in [&b"1"[..], b"-1.5", b".5", b"10.", b"1.2E3", b"007", b"1E28"] {
        assert_eq!(r(ok), None, "{ok:?}");
    }
    for bad in [&b"-"[..], b"1.2.3", b"1O", b"$1.179", b"1,5", b"1E+3"] {
        assert_eq!(
            r(bad).as_deref(),
            Some("is not a decimal number"),
            "{bad:?}"
        );
    }
    assert!(r(b"1E40").unwrap().contains("28 significant digits"));
}

proptest! {
    /// The walk places a segment where it placed one with the same tag after the same step
    /// (its memo) exactly where a walk that searches every time places it, with the same
    /// findings, in loops nested two deep, repeated, left and re-entered, and for tags that
    /// fit nowhere.
    #[test]
    fn remembered_places_are_those_a_search_finds(
        tags in proptest::collection::vec(0usize..7, 1..40),
    ) {
        use crate::grammar::compile::{compile_version, parse_dictionary};
        const TAGS: [&[u8]; 7] = [b"AA", b"BB", b"CC", b"DD", b"EE", b"FF", b"ZZ"];
        let dictionary = r#"
[elements]
"1" = { name = "One", type = "AN", min = 1, max = 3 }
[segments]
"AA" = { name = "Aa", elements = [{ id = "1" }] }
"BB" = { name = "Bb", elements = [{ id = "1" }] }
"CC" = { name = "Cc", elements = [{ id = "1" }] }
"DD" = { name = "Dd", elements = [{ id = "1" }] }
"EE" = { name = "Ee", elements = [{ id = "1" }] }
"FF" = { name = "Ff", elements = [{ id = "1" }] }
"#;
        let set = r#"
id = "100"
name = "Test"
structure = [
  { segment = "AA", usage = "M" },
  { segment = "CC", max = 2 },
  { loop = "BB", max = 5, body = [
    { segment = "BB", usage = "M" },
    { segment = "CC" },
    { loop = "DD", max = 3, body = [
      { segment = "DD", usage = "M" },
      { segment = "EE", usage = "M" },
    ] },
    { segment = "FF" },
  ] },
  { loop = "DD", max = 2, body = [{ segment = "DD", usage = "M" }, { segment = "CC" }] },
  { segment = "FF", usage = "M" },
]
"#;
        let base = parse_dictionary("t/dictionary.toml", dictionary).unwrap();
        let mut sets = compile_version("t", "v1", &base, &[("t/v1/100.toml".into(), set)]).unwrap();
        let g = sets.remove("100").unwrap();
        let seps = Separators { component: b':', repetition: None, release: None };
        let mut table = FieldTable::with_capacity(tags.len());
        for &t in &tags {
            table.push(TAGS[t], Span::default(), 0, seps, [&b"A"[..]].into_iter());
        }
        let fields = table.fields();
        let controls = Controls::default();
        let mut remembering = Walker::new(&g);
        let mut searching = Walker::new(&g).searching_every_time();
        let mut a = Ctx { controls: &controls, findings: Vec::new() };
        let mut b = Ctx { controls: &controls, findings: Vec::new() };
        for (i, seg) in fields.iter().enumerate() {
            let pa = remembering.place(seg, i + 1, &mut a).map(|d| d.map(Arc::as_ptr));
            let pb = searching.place(seg, i + 1, &mut b).map(|d| d.map(Arc::as_ptr));
            prop_assert_eq!(pa, pb, "segment {}", i + 1);
            prop_assert_eq!(remembering.loops(), searching.loops());
        }
        prop_assert_eq!(format!("{:?}", a.findings), format!("{:?}", b.findings));
    }
}
