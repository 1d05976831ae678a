use super::super::GrammarSet;
use super::super::guide::Guide;
use super::*;

fn guide(body: &str) -> String {
    format!(
        "partner = \"ACME\"\n[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n{body}"
    )
}

/// The error the guide `body` (from line 6 on) is refused with: (line, key, message).
fn refused(body: &str) -> (usize, String, String) {
    let g = Guide::parse("acme.toml", &guide(body)).expect("parses");
    let Err(e) = GrammarSet::builtin().unwrap().with_guide(&g) else {
        panic!("not refused: {body}")
    };
    assert_eq!(e.file, "acme.toml");
    (e.line, e.key, e.message)
}

fn narrowed(body: &str) -> Arc<Grammar> {
    let g = Guide::parse("acme.toml", &guide(body)).expect("parses");
    let set = GrammarSet::builtin()
        .unwrap()
        .with_guide(&g)
        .expect("narrows");
    set.x12("004010", "850").unwrap().0
}

#[test]
fn the_narrowed_grammar_serves_its_version_and_those_validated_against_it() {
    let g = Guide::parse(
        "acme.toml",
        &guide("[[set.segment]]\npath = \"CUR\"\nusage = \"required\"\n"),
    )
    .unwrap();
    let base = GrammarSet::builtin().unwrap();
    let set = base.with_guide(&g).unwrap();
    let ours = set.x12("004010", "850").unwrap().0;
    assert!(!Arc::ptr_eq(&ours, &base.x12("004010", "850").unwrap().0));
    let (vics, note) = set.x12("004010VICS", "850").unwrap();
    assert!(Arc::ptr_eq(&ours, &vics) && note.is_some());
    // Other sets and versions are the standard's, shared with the base set.
    for (v, id) in [("004010", "810"), ("005010", "850")] {
        assert!(Arc::ptr_eq(
            &set.x12(v, id).unwrap().0,
            &base.x12(v, id).unwrap().0
        ));
    }
    assert!(set.has_guide() && !base.has_guide());
}

#[test]
fn element_addresses() {
    assert_eq!(element_address("BEG01"), Ok(("BEG".into(), 1, None)));
    assert_eq!(element_address("N101"), Ok(("N1".into(), 1, None)));
    assert_eq!(
        element_address("PO1/N1/N104"),
        Ok(("PO1/N1/N1".into(), 4, None))
    );
    assert_eq!(element_address("LIN03-2"), Ok(("LIN".into(), 3, Some(2))));
    for bad in ["BEG", "BEG1", "BEG00", "BEG01-0", "BEG01-x", "01"] {
        assert!(element_address(bad).is_err(), "{bad}");
    }
}

#[test]
fn refuses_what_the_grammar_does_not_have() {
    let (line, key, msg) = refused("[[set.segment]]\npath = \"ZZZ\"\n");
    assert_eq!((line, key.as_str()), (7, "set.segment.path"));
    assert_eq!(
        msg,
        "850 004010 has no segment ZZZ anywhere; a guide can only narrow what the standard has"
    );
    let (line, _, msg) = refused("[[set.segment]]\npath = \"N1\"\n");
    assert_eq!(line, 7);
    assert!(
        msg.contains(
            "has no segment N1 at the top level; write its path: N1/N1, SPI/N1/N1, PO1/N1/N1"
        ),
        "{msg}"
    );
    let (_, _, msg) = refused("[[set.loop]]\npath = \"PO1/NOPE\"\n");
    assert!(msg.contains("has no loop NOPE anywhere"), "{msg}");
    let (_, _, msg) = refused("[[set.segment]]\npath = \"PO1/N1/N9\"\n");
    assert!(
        msg.contains("has no segment N9 in loop PO1/N1; write its path: N9/N9, PO1/N9/N9"),
        "{msg}"
    );
    let (line, key, msg) = refused("[[set.element]]\nat = \"BEG13\"\n");
    assert_eq!((line, key.as_str()), (7, "set.element.at"));
    assert!(
        msg.starts_with("BEG has 12 elements; there is no BEG13"),
        "{msg}"
    );
    let (_, _, msg) = refused("[[set.element]]\nat = \"BEG\"\n");
    assert!(msg.contains("is not an element address"), "{msg}");
    let g = Guide::parse(
        "acme.toml",
        "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"875\"\n",
    )
    .unwrap();
    let e = GrammarSet::builtin().unwrap().with_guide(&g).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (4, "set"));
    assert!(
        e.message.contains("there is no x12 grammar for 875 004010"),
        "{}",
        e.message
    );
    let g = Guide::parse(
        "acme.toml",
        "[[set]]\nstandard = \"x12\"\nversion = \"004030\"\nid = \"850\"\n",
    )
    .unwrap();
    let e = GrammarSet::builtin().unwrap().with_guide(&g).unwrap_err();
    assert!(
        e.message.contains("850 in 004010, 005010 only"),
        "{}",
        e.message
    );
    let twice = "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n";
    let g = Guide::parse("acme.toml", &format!("{twice}{twice}")).unwrap();
    let e = GrammarSet::builtin().unwrap().with_guide(&g).unwrap_err();
    assert_eq!((e.line, e.key.as_str()), (8, "set"));
    assert!(
        e.message
            .contains("x12 850 004010 is narrowed twice (first at line 4)"),
        "{}",
        e.message
    );
}

#[test]
fn refuses_what_would_widen_the_standard() {
    let (line, key, msg) = refused("[[set.element]]\nat = \"BEG01\"\ncodes = [\"00\", \"Q9\"]\n");
    assert_eq!((line, key.as_str()), (8, "set.element.codes"));
    assert!(
        msg.starts_with(
            "'Q9' is not a code of BEG01 (Transaction Set Purpose Code) in the standard"
        ),
        "{msg}"
    );
    assert!(
        msg.ends_with("a guide can only narrow the standard's list"),
        "{msg}"
    );
    let (line, key, msg) = refused("[[set.segment]]\npath = \"PER\"\nmax = 4\n");
    assert_eq!((line, key.as_str()), (8, "set.segment.max"));
    assert!(
        msg.contains("at most 3 times; a guide can only narrow the standard, so 4 is too many"),
        "{msg}"
    );
    let (line, key, msg) = refused("[[set.segment]]\npath = \"BEG\"\nusage = \"unused\"\n");
    assert_eq!((line, key.as_str()), (8, "set.segment.usage"));
    assert!(
        msg.contains("the standard makes segment BEG mandatory"),
        "{msg}"
    );
    let (_, key, msg) = refused("[[set.element]]\nat = \"BEG03\"\nusage = \"optional\"\n");
    assert_eq!(key, "set.element.usage");
    assert!(msg.contains("cannot make it optional"), "{msg}");
    let (line, key, msg) = refused("[[set.element]]\nat = \"BEG03\"\nmax_length = 23\n");
    assert_eq!((line, key.as_str()), (8, "set.element.max_length"));
    assert!(
        msg.contains("outside the standard's lengths for BEG03 (Purchase Order Number) (1 to 22)"),
        "{msg}"
    );
    let (_, key, _) = refused("[[set.element]]\nat = \"BEG03\"\nmin_length = 5\nmax_length = 4\n");
    assert_eq!(key, "set.element.max_length");
    let (_, key, msg) = refused("[[set.element]]\nat = \"BEG05\"\nvalue = \"2024\"\n");
    assert_eq!(key, "set.element.value");
    assert!(msg.contains("'2024' is not a real date"), "{msg}");
    let (line, key, msg) = refused("[[set.segment]]\npath = \"CUR\"\nmax = 0\n");
    assert_eq!((line, key.as_str()), (8, "set.segment.max"));
    assert!(msg.contains("usage = \"unused\""));
    let (line, _, msg) =
        refused("[[set.segment]]\npath = \"CUR\"\n[[set.segment]]\npath = \"CUR\"\n");
    assert_eq!(line, 9);
    assert!(msg.contains("first at line 7"), "{msg}");
    let (_, _, msg) = refused("[[set.element]]\nat = \"PO1/PO101-1\"\n");
    assert!(msg.contains("is a simple element"), "{msg}");
    let (_, _, msg) =
        refused("[[set.element]]\nat = \"BEG01\"\ncodes = [\"00\"]\nvalue = \"00\"\n");
    assert!(msg.contains("keep one"), "{msg}");
}

#[test]
fn narrowing_is_data_in_the_tables_and_the_rest_is_shared() {
    let body = "[[set.segment]]\npath = \"CUR\"\nusage = \"required\"\n[[set.loop]]\npath = \"N1\"\nmax = 2\n[[set.segment]]\npath = \"PER\"\nusage = \"unused\"\n[[set.element]]\nat = \"N1/N101\"\ncodes = [\"ST\", \"BT\"]\n[[set.element]]\nat = \"BEG03\"\nmax_length = 10\n";
    narrowed(body);
    let base = GrammarSet::builtin().unwrap();
    let std = base.x12("004010", "850").unwrap().0;
    let g = {
        let guide = Guide::parse("acme.toml", &guide(body)).unwrap();
        base.with_guide(&guide)
            .unwrap()
            .x12("004010", "850")
            .unwrap()
            .0
    };
    let step = |g: &Grammar, name: &str, body: usize| {
        let b = &g.walk.bodies[body];
        (b.start..b.end)
            .find(|&j| &*g.walk.steps[j].name == name)
            .map(|j| (g.walk.steps[j].mandatory, g.walk.steps[j].max))
    };
    assert_eq!(step(&std, "CUR", 0), Some((false, 1)));
    assert_eq!(step(&g, "CUR", 0), Some((true, 1)));
    assert_eq!(step(&g, "N1", 0), Some((false, 2)));
    assert_eq!(step(&g, "PER", 0), Some((false, 0)));
    // N1 in loop N1 has its own definition; N1 elsewhere (PO1/N1) keeps the dictionary's.
    let n1 = |g: &Grammar| {
        let mut defs = Vec::new();
        for s in &g.walk.steps {
            if let Some(d) = &s.def
                && d.tag == "N1"
            {
                defs.push(d.clone());
            }
        }
        defs
    };
    let dict = g.dictionary.get("N1").unwrap();
    let ours = n1(&g);
    assert_eq!(
        ours.iter().filter(|d| Arc::ptr_eq(d, dict)).count(),
        ours.len() - 1
    );
    assert!(Arc::ptr_eq(&g.dictionary, &std.dictionary));
    let narrowed_n1 = ours.iter().find(|d| !Arc::ptr_eq(d, dict)).unwrap();
    let Item::Simple(e) = &narrowed_n1.elements[0].item else {
        panic!("N101 is simple")
    };
    assert!(
        e.codes.as_ref().unwrap().contains(b"ST") && !e.codes.as_ref().unwrap().contains(b"SU")
    );
    // Another version's and another set's grammars are the standard's.
    let set = GrammarSet::builtin().unwrap();
    let plain = set.x12("004010", "810").unwrap().0;
    assert!(plain.walk.steps.iter().all(|s| s.guide.is_none()));
}
