//! Implementation guides (`tests/fixtures/guides/`): a valid file accepted without its
//! partner's guide and rejected with it, by `translate --guide` and by `run` (whose
//! acknowledgment carries the codes of what the guide forbids); lenient turns the guide's
//! findings into warnings; a guide that contradicts the standard is refused with its line and
//! key before any file is touched.

mod batch;

use batch::{Env, po};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn translate(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_tallyman"))
        .arg("translate")
        .args(args)
        .output()
        .expect("run tallyman");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn a_valid_850_is_accepted_without_the_guide_and_rejected_with_it() {
    let file = fixture("x12/valid/crlf.edi");
    let guide = fixture("guides/acme-850.toml");
    let plain = translate(&[path(&file)]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert_eq!(plain.stdout.lines().count(), 1);

    let guided = translate(&["--guide", path(&guide), path(&file)]);
    assert_eq!(guided.code, 1, "{}", guided.stderr);
    assert!(guided.stdout.is_empty(), "{}", guided.stdout);
    assert!(
        guided.stderr.contains(
            "segment 3 (BEG) [000005101/5101/0001]: BEG02 (Purchase Order Type Code) 'SA' is not allowed: ACME's guide (acme-850.toml line 17) allows only NE in BEG02; the standard allows AB, AC, AO"
        ),
        "{}",
        guided.stderr
    );
    assert!(guided.stderr.contains("0 translated, 1 rejected"));
    // BEG01 (00) and N101 (ST) are what the guide allows: nothing said of them.
    assert!(!guided.stderr.contains("BEG01") && !guided.stderr.contains("N101"));

    let lenient = translate(&["--lenient", "--guide", path(&guide), path(&file)]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    assert_eq!(
        lenient.stdout, plain.stdout,
        "the same document, warnings aside"
    );
    assert!(
        lenient.stderr.contains(
            "warning: BEG02 (Purchase Order Type Code) 'SA' is not allowed: ACME's guide"
        )
    );
}

#[test]
fn an_edifact_orders_is_accepted_without_the_guide_and_rejected_with_it() {
    let file = fixture("edifact/valid/no-una.edi");
    let guide = fixture("guides/eurotrade-orders.toml");
    let plain = translate(&[path(&file)]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let guided = translate(&["--guide", path(&guide), path(&file)]);
    assert_eq!(guided.code, 1, "{}", guided.stderr);
    assert!(
        guided.stderr.contains(
            "segment 6 (NAD) [7101/-/1]: NAD01 (Party qualifier) 'SU' is not allowed: EuroTrade's guide (eurotrade-orders.toml line 15) allows only BY, DP in NAD01"
        ),
        "{}",
        guided.stderr
    );
    // BGM01-1 is 220, the fixed value: allowed.
    assert!(!guided.stderr.contains("BGM"), "{}", guided.stderr);
    let lenient = translate(&["--lenient", "--guide", path(&guide), path(&file)]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    assert_eq!(lenient.stdout, plain.stdout);
    assert!(
        lenient
            .stderr
            .contains("warning: NAD01 (Party qualifier) 'SU'")
    );
}

#[test]
fn a_guide_makes_segments_required_and_unused_and_lowers_repeats_and_lengths() {
    let file = fixture("x12/valid/crlf.edi");
    let guide = fixture("guides/acme-structure.toml");
    let out = translate(&["--guide", path(&guide), path(&file)]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let expect = [
        "segment 3 (BEG) [000005101/5101/0001]: BEG03 (Purchase Order Number) '4500012501' is 10 characters; at most 8 allowed by ACME's guide (acme-structure.toml line 24) (the standard allows 1 to 22)",
        "segment 4 (REF) [000005101/5101/0001]: segment CUR (Currency) is missing before this REF: ACME's guide (acme-structure.toml line 12) requires it (the standard makes it optional)",
        "segment 4 (REF) [000005101/5101/0001]: segment REF (Reference Identification) is present, but ACME's guide (acme-structure.toml line 16) says it is not used here",
        "segment 11 (PO1) [000005101/5101/0001]: loop PO1 (starting with PO1) occurs 2 times here; ACME's guide (acme-structure.toml line 20) allows at most 1 (the standard allows 100000)",
    ];
    for e in expect {
        assert!(out.stderr.contains(e), "{e}\n{}", out.stderr);
    }
}

#[test]
fn translate_refuses_a_guide_that_contradicts_the_standard() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("wide.toml");
    std::fs::write(
        &bad,
        "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n[[set.segment]]\npath = \"PER\"\nmax = 9\n",
    )
    .unwrap();
    let out = translate(&["--guide", path(&bad), path(&fixture("x12/valid/crlf.edi"))]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "{}:7: set.segment.max: the standard allows segment PER at most 3 times; a guide can only narrow the standard, so 9 is too many",
            bad.display()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

const CHANNELS: &str = r#"
[channel.acme]
format = "x12"
inbound = "drop/acme"
partner_id = "ACME"
our_id = "TALLYCO"
version = "004010"
outbound = "out/acme"
acks = "997"
guide = "guides/acme.toml"

[channel.eu]
format = "edifact"
inbound = "drop/eu"
outbound = "out/eu"
acks = "contrl"
guide = "guides/eurotrade.toml"
"#;

fn with_guides(env: &Env) {
    let dir = env.path("guides");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(fixture("guides/acme-850.toml"), dir.join("acme.toml")).unwrap();
    std::fs::copy(
        fixture("guides/eurotrade-orders.toml"),
        dir.join("eurotrade.toml"),
    )
    .unwrap();
}

/// The segments of the one acknowledgment in `dir`.
fn ack(env: &Env, dir: &str, element: char, terminator: char) -> Vec<Vec<String>> {
    let files = env.files(dir);
    assert_eq!(files.len(), 1, "{files:?}");
    env.read(&format!("{dir}/{}", files[0]))
        .split(terminator)
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with("UNA"))
        .map(|s| s.split(element).map(str::to_owned).collect())
        .collect()
}

fn seg<'a>(segments: &'a [Vec<String>], tag: &str) -> &'a [String] {
    segments
        .iter()
        .find(|s| s[0] == tag)
        .unwrap_or_else(|| panic!("no {tag} in {segments:?}"))
}

#[test]
fn run_applies_the_channel_guide_and_the_ack_says_what_it_forbids() {
    let env = Env::new(CHANNELS);
    with_guides(&env);
    env.drop_file("acme", "po-1.edi", &po(800, "PO-1", &[("2", "SKU-1")]));
    env.drop_file(
        "eu",
        "orders.edi",
        &std::fs::read_to_string(fixture("edifact/valid/no-una.edi")).unwrap(),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(env.erp_documents().is_empty());
    // 997: the set rejected; BEG (segment 2 of the set), element 2, invalid code value 7.
    let x12 = ack(&env, "out/acme", '*', '~');
    assert_eq!(seg(&x12, "AK5")[1], "R");
    assert_eq!(seg(&x12, "AK3")[1..3], ["BEG", "2"]);
    let ak4 = seg(&x12, "AK4");
    assert_eq!(
        (ak4[1].as_str(), ak4[3].as_str(), ak4[4].as_str()),
        ("2", "7", "SA")
    );
    // CONTRL: the message rejected; NAD (segment 6), its first element, invalid value 12.
    let contrl = ack(&env, "out/eu", '+', '\'');
    assert_eq!(seg(&contrl, "UCM")[3], "4");
    assert_eq!(seg(&contrl, "UCS")[1], "6");
    assert_eq!(seg(&contrl, "UCD")[1..3], ["12", "1"]);
}

#[test]
fn a_lenient_channel_accepts_what_its_guide_forbids_with_warnings() {
    let env = Env::new(&CHANNELS.replace(
        "guide = \"guides/acme.toml\"",
        "guide = \"guides/acme.toml\"\nstrictness = \"lenient\"",
    ));
    with_guides(&env);
    env.drop_file("acme", "po-1.edi", &po(801, "PO-1", &[("2", "SKU-1")]));
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let docs = env.erp_documents();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0]["order_number"], "PO-1");
}

#[test]
fn without_the_guide_the_same_files_are_accepted() {
    let env = Env::new(&CHANNELS.replace("guide = ", "# guide = "));
    env.drop_file("acme", "po-1.edi", &po(802, "PO-1", &[("2", "SKU-1")]));
    env.drop_file(
        "eu",
        "orders.edi",
        &std::fs::read_to_string(fixture("edifact/valid/no-una.edi")).unwrap(),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.erp_documents().len(), 2);
    assert_eq!(seg(&ack(&env, "out/acme", '*', '~'), "AK5")[1], "A");
}

#[test]
fn a_bad_guide_fails_the_configuration_before_any_file_is_touched() {
    let env = Env::new(CHANNELS);
    with_guides(&env);
    env.drop_file("acme", "po-1.edi", &po(803, "PO-1", &[("2", "SKU-1")]));
    let acme = env.path("guides/acme.toml");
    let text = std::fs::read_to_string(&acme).unwrap();
    // A code the standard does not have.
    std::fs::write(
        &acme,
        text.replace("codes = [\"NE\"]", "codes = [\"NE\", \"Q9\"]"),
    )
    .unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("guides/acme.toml:17: set.element.codes: 'Q9' is not a code of BEG02 (Purchase Order Type Code) in the standard"),
        "{}",
        r.stderr
    );
    assert!(env.path("drop/acme/po-1.edi").exists());
    assert!(!env.path("work").join("ledger.sqlite").exists());
    // An unknown key.
    std::fs::write(&acme, text.replace("value = \"00\"", "valu = \"00\"")).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("guides/acme.toml:12: valu: unknown field 'valu'"),
        "{}",
        r.stderr
    );
    // A guide of the other standard.
    std::fs::copy(fixture("guides/eurotrade-orders.toml"), &acme).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "set.standard: this guide narrows edifact ORDERS D96A, but channel acme is x12"
        ),
        "{}",
        r.stderr
    );
    // A guide that is not there.
    std::fs::remove_file(&acme).unwrap();
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("channel.acme.guide: cannot read the guide"),
        "{}",
        r.stderr
    );
    assert!(env.path("drop/acme/po-1.edi").exists());
}

#[test]
fn the_997_names_what_a_structure_guide_forbids_with_the_standard_codes() {
    let env = Env::new(&CHANNELS.replace("guides/acme.toml", "guides/structure.toml"));
    with_guides(&env);
    std::fs::copy(
        fixture("guides/acme-structure.toml"),
        env.path("guides/structure.toml"),
    )
    .unwrap();
    // A REF the guide does not use, no CUR it requires, two PO1 loops where it allows one, and
    // a PO number longer than its 8 characters.
    let file = po(804, "PO-123456789", &[("2", "SKU-1"), ("3", "SKU-2")])
        .replace(
            "BEG*00*SA*PO-123456789**20240311~\n",
            "BEG*00*SA*PO-123456789**20240311~\nREF*DP*042~\n",
        )
        .replace("SE*9*0001", "SE*10*0001");
    env.drop_file("acme", "po-2.edi", &file);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let x12 = ack(&env, "out/acme", '*', '~');
    let ak3: Vec<(String, String, String)> = x12
        .iter()
        .filter(|s| s[0] == "AK3")
        .map(|s| (s[1].clone(), s[2].clone(), s[4].clone()))
        .collect();
    let own = |t: &str, p: &str, c: &str| (t.to_owned(), p.to_owned(), c.to_owned());
    assert_eq!(
        ak3,
        [
            own("BEG", "2", "8"),
            // A missing segment is named, at the position where the walk missed it.
            own("CUR", "3", "3"),
            own("REF", "3", "2"),
            own("PO1", "8", "4"),
        ],
        "{x12:?}"
    );
    let ak4 = seg(&x12, "AK4");
    assert_eq!((ak4[1].as_str(), ak4[3].as_str()), ("3", "5"));
}

#[test]
fn a_guide_makes_elements_required_and_unused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let guide = dir.path().join("elements.toml");
    std::fs::write(
        &guide,
        r#"partner = "ACME"
[[set]]
standard = "x12"
version = "004010"
id = "850"
[[set.element]]
at = "DTM02"
usage = "unused"
[[set.element]]
at = "PO1/PO105"
usage = "required"
[[set.element]]
at = "PO1/PO102"
min_length = 2
"#,
    )
    .unwrap();
    let out = translate(&[
        "--guide",
        path(&guide),
        path(&fixture("x12/valid/crlf.edi")),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    for e in [
        "segment 5 (DTM) [000005101/5101/0001]: DTM02 (Date) holds '20240422', but ACME's guide (elements.toml line 8) says DTM02 is not used: the partner neither sends nor reads it; leave it empty",
        "segment 9 (PO1) [000005101/5101/0001]: PO105 (Basis of Unit Price Code) is empty, but ACME's guide (elements.toml line 11) requires it (the standard makes it optional)",
        "segment 11 (PO1) [000005101/5101/0001]: PO102 (Quantity Ordered) '4' is 1 character; at least 2 required by ACME's guide (elements.toml line 14) (the standard allows 1 to 15)",
    ] {
        assert!(out.stderr.contains(e), "{e}\n{}", out.stderr);
    }
    // The first line's quantity (12) has the two digits the guide asks for.
    assert!(
        !out.stderr
            .contains("segment 9 (PO1) [000005101/5101/0001]: PO102"),
        "{}",
        out.stderr
    );
}

/// The first TOML block after `heading` in a documentation file.
fn example(doc: &str, heading: &str) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
    let after = &text[text
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} in {doc}"))..];
    let start = after.find("```toml\n").expect("a toml block") + 8;
    let end = start + after[start..].find("```").expect("its end");
    after[start..end].to_string()
}

#[test]
fn the_documented_examples_are_guides_the_grammars_accept() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (doc, heading) in [
        ("README.md", "### Implementation guides"),
        ("grammars/README.md", "## Implementation guides (overlays)"),
    ] {
        let guide = dir.path().join("example.toml");
        std::fs::write(&guide, example(doc, heading)).unwrap();
        let out = translate(&[
            "--guide",
            path(&guide),
            path(&fixture("x12/valid/crlf.edi")),
        ]);
        // Never refused as a guide. The README's narrows what this order has (it has no
        // CUR): rejected, and the guide named; the other's allows it.
        assert_ne!(out.code, 2, "{doc}: {}", out.stderr);
        if doc == "README.md" {
            assert_eq!(out.code, 1, "{}", out.stderr);
            assert!(
                out.stderr.contains("ACME's guide (example.toml line"),
                "{}",
                out.stderr
            );
        }
    }
}

#[test]
fn an_element_the_guide_does_not_use_is_ak4_10_in_a_997_and_ik4_i10_in_a_999() {
    for (kind, tag, code) in [("997", "AK4", "10"), ("999", "IK4", "I10")] {
        let env = Env::new(
            &CHANNELS
                .replace("guides/acme.toml", "guides/unused.toml")
                .replace("acks = \"997\"", &format!("acks = \"{kind}\"")),
        );
        with_guides(&env);
        std::fs::write(
            env.path("guides/unused.toml"),
            "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n[[set.element]]\nat = \"PO1/PO104\"\nusage = \"unused\"\n",
        )
        .unwrap();
        env.drop_file("acme", "po-3.edi", &po(805, "PO-3", &[("2", "SKU-1")]));
        let r = env.run(&[]);
        assert_eq!(r.code, 1, "{kind}: {}", r.stderr);
        assert!(
            r.stderr.contains("PO104 (Unit Price) holds '12.50', but the guide (unused.toml line 7) says PO104 is not used"),
            "{}",
            r.stderr
        );
        let ack = ack(&env, "out/acme", '*', '~');
        let ak4 = seg(&ack, tag);
        assert_eq!((ak4[1].as_str(), ak4[3].as_str()), ("4", code), "{ack:?}");
    }
}

/// What only the guide forbids has implementation codes of its own in a 999 (a code the
/// guide does not use: IK403 I6; a segment it does not use: IK304 I4), and the nearest
/// standard codes in a 997 (AK403 7, AK304 2).
#[test]
fn a_code_and_a_segment_only_the_guide_forbids_are_i6_and_i4_in_a_999() {
    for (kind, seg_tag, el_tag, seg_code, el_code) in [
        ("997", "AK3", "AK4", "2", "7"),
        ("999", "IK3", "IK4", "I4", "I6"),
    ] {
        let env = Env::new(
            &CHANNELS
                .replace("guides/acme.toml", "guides/narrow.toml")
                .replace("acks = \"997\"", &format!("acks = \"{kind}\"")),
        );
        with_guides(&env);
        std::fs::write(
            env.path("guides/narrow.toml"),
            "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n\
             [[set.element]]\nat = \"BEG02\"\ncodes = [\"NE\"]\n\
             [[set.segment]]\npath = \"REF\"\nusage = \"unused\"\n",
        )
        .unwrap();
        // One REF more in the heading, and SE01 counting it.
        let plain = po(807, "PO-7", &[("2", "SKU-1")]);
        let se = plain.find("SE*").expect("an SE");
        let count: usize = plain[se + 3..]
            .split('*')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("SE01");
        let file = plain
            .replace(
                "BEG*00*SA*PO-7**20240311~\n",
                "BEG*00*SA*PO-7**20240311~\nREF*DP*042~\n",
            )
            .replace(&format!("SE*{count}*"), &format!("SE*{}*", count + 1));
        assert!(file.contains("REF*DP*042~"), "{file}");
        env.drop_file("acme", "po-7.edi", &file);
        let r = env.run(&[]);
        assert_eq!(r.code, 1, "{kind}: {}", r.stderr);
        let ack = ack(&env, "out/acme", '*', '~');
        let s3 = ack
            .iter()
            .find(|s| s[0] == seg_tag && s[1] == "REF")
            .unwrap_or_else(|| panic!("no {seg_tag} for REF in {ack:?}"));
        assert_eq!(s3[4], seg_code, "{ack:?}");
        let s4 = seg(&ack, el_tag);
        assert_eq!(
            (s4[1].as_str(), s4[3].as_str(), s4[4].as_str()),
            ("2", el_code, "SA"),
            "{ack:?}"
        );
    }
}

#[test]
fn a_guide_path_naming_a_device_or_a_folder_is_refused_not_read() {
    for p in ["/dev/zero", env!("CARGO_MANIFEST_DIR")] {
        let out = translate(&["--guide", p, path(&fixture("x12/valid/crlf.edi"))]);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("cannot read the guide {p}: not a guide file")),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn check_applies_the_channel_guide_and_names_it() {
    let env = Env::new(CHANNELS);
    with_guides(&env);
    let file = env.path("po.edi");
    std::fs::write(&file, po(806, "PO-1", &[("2", "SKU-1")])).unwrap();
    let r = env.tallyman(&[
        "check",
        "--config",
        "tallyman.toml",
        "--partner",
        "acme",
        "--json",
        "po.edi",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(report["channel"]["guide"], "./guides/acme.toml");
    let doc = &report["files"][0]["interchanges"][0]["groups"][0]["documents"][0];
    assert_eq!(doc["verdict"], "rejected");
    let f = &doc["findings"][0];
    assert_eq!(
        (f["code"].as_str(), f["element"].as_u64()),
        (Some("code_not_in_guide"), Some(2))
    );
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("'SA' is not allowed: ACME's guide (acme.toml line 17) allows only NE"),
        "{f}"
    );
    // The same file without the guide: accepted.
    env.write_config(&CHANNELS.replace("guide = ", "# guide = "));
    let r = env.tallyman(&[
        "check",
        "--config",
        "tallyman.toml",
        "--partner",
        "acme",
        "--json",
        "po.edi",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(report["channel"]["guide"].is_null());
}

/// `inspect --guide` shows the segment tree with the guide's findings where they occur, as
/// `translate --guide` reports them.
#[test]
fn inspect_shows_what_the_guide_forbids_in_the_tree() {
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tallyman"))
            .arg("inspect")
            .args(extra)
            .arg(fixture("x12/valid/crlf.edi"))
            .output()
            .expect("run tallyman");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = "!! error: BEG02 (Purchase Order Type Code) 'SA' is not allowed: ACME's guide (acme-850.toml line 17) allows only NE in BEG02";
    let guide = fixture("guides/acme-850.toml");
    let with = run(&["--guide", path(&guide)]);
    assert!(with.contains(said), "{with}");
    let without = run(&[]);
    assert!(!without.contains("!! error"), "{without}");
}
