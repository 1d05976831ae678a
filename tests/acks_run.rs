//! Acknowledgments sent by `tallyman run`: one per inbound group (interchange), in the
//! channel's outbound folder, with control numbers that never repeat; none for a file
//! delivered again; a TA1 or CONTRL saying "duplicate" for an interchange repeated in a new
//! file; a new one for a quarantined file fixed and replayed.

mod batch;

use batch::{Env, po};
use std::collections::BTreeSet;

const CHANNELS: &str = r#"
[channel.acme]
format = "x12"
inbound = "drop/acme"
partner_id = "ACME"
our_id = "TALLYCO"
version = "004010"
outbound = "out/acme"
acks = "997"
ta1 = "errors"

[channel.eu]
format = "edifact"
inbound = "drop/eu"
outbound = "out/eu"
acks = "contrl"
"#;

/// The segments of every acknowledgment file in `dir` (not the temporary ones), per file, in
/// name order. Our writers use the inbound's delimiters: `*` and `~` here, `+` and `'` for
/// EDIFACT.
fn sent(env: &Env, dir: &str, element: char, terminator: char) -> Vec<(String, Vec<Vec<String>>)> {
    env.files(dir)
        .into_iter()
        .map(|f| {
            let text = env.read(&format!("{dir}/{f}"));
            let segments = text
                .split(terminator)
                .map(str::trim)
                .filter(|s| !s.is_empty() && !s.starts_with("UNA"))
                .map(|s| s.split(element).map(str::to_owned).collect())
                .collect();
            (f, segments)
        })
        .collect()
}

fn find<'a>(segments: &'a [Vec<String>], tag: &str) -> Vec<&'a Vec<String>> {
    segments.iter().filter(|s| s[0] == tag).collect()
}

#[test]
fn each_group_gets_one_ack_and_a_replayed_file_a_new_one() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a-po-1.edi", &po(700, "PO-1", &[("2", "SKU-1")]));
    env.drop_file(
        "acme",
        "b-po-broken.edi",
        &po(701, "PO-2", &[("x", "SKU-1")]),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("acme: sent 2 acknowledgments"),
        "{}",
        r.stderr
    );
    let acks = sent(&env, "out/acme", '*', '~');
    assert_eq!(acks.len(), 2, "{acks:?}");
    assert_eq!(acks[0].0, "acme-997-000000001.x12");
    let first = &acks[0].1;
    assert_eq!(find(first, "AK1")[0][1..], ["PO", "700"]);
    assert_eq!(find(first, "AK9")[0][1], "A");
    // Sender and receiver swapped; the test indicator mirrors the inbound's (P).
    let isa = find(first, "ISA")[0];
    assert_eq!(
        (isa[6].trim(), isa[8].trim(), isa[15].as_str()),
        ("TALLYCO", "ACME", "P")
    );
    let broken = &acks[1].1;
    assert_eq!(find(broken, "AK1")[0][2], "701");
    assert_eq!(find(broken, "AK5")[0][1], "R");
    // The bad quantity: PO1 is segment 6 of the set, its element 2, an invalid character.
    assert_eq!(find(broken, "AK3")[0][1..3], ["PO1", "6"]);
    let ak4 = find(broken, "AK4")[0];
    assert_eq!(
        (ak4[1].as_str(), ak4[3].as_str(), ak4[4].as_str()),
        ("2", "6", "x")
    );

    // The same file again, under another name: recognized, no second ack.
    env.drop_file(
        "acme",
        "c-po-1-again.edi",
        &po(700, "PO-1", &[("2", "SKU-1")]),
    );
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(sent(&env, "out/acme", '*', '~').len(), 2);

    // Interchange 700 again in a new file: its documents are refused as a repeat, and the TA1
    // says so (025); its group gets no second 997.
    env.drop_file("acme", "d-po-3.edi", &po(700, "PO-3", &[("1", "SKU-3")]));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let acks = sent(&env, "out/acme", '*', '~');
    assert_eq!(acks.len(), 3, "{acks:?}");
    let named = |acks: &[(String, Vec<Vec<String>>)], name: &str| {
        acks.iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name}: {acks:?}"))
            .1
            .clone()
    };
    let repeat = named(&acks, "acme-ta1-000000003.x12");
    let ta1 = find(&repeat, "TA1")[0];
    assert_eq!(ta1[1..], ["000000700", "240311", "0915", "R", "025"]);
    assert!(find(&repeat, "AK1").is_empty());

    // The broken file fixed where it lies in quarantine and replayed: a new 997, accepting.
    let quarantined = env.path("work/quarantine/run-000001/acme/b-po-broken.edi");
    let fixed = std::fs::read_to_string(&quarantined)
        .unwrap()
        .replace("PO1*1*x*", "PO1*1*1*")
        .replace("CTT*1*0", "CTT*1*1");
    std::fs::write(&quarantined, fixed).unwrap();
    let list = env.tallyman(&["ledger", "list", "--config", "tallyman.toml"]);
    let id = list
        .stdout
        .lines()
        .find(|l| l.ends_with("b-po-broken.edi") || l.contains("acme/b-po-broken.edi"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("not in quarantine: {}", list.stdout))
        .to_owned();
    let r = env.tallyman(&["ledger", "replay", &id, "--config", "tallyman.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let acks = sent(&env, "out/acme", '*', '~');
    assert_eq!(acks.len(), 4, "{acks:?}");
    let replayed = named(&acks, "acme-997-000000004.x12");
    assert_eq!(find(&replayed, "AK1")[0][2], "701");
    assert_eq!(find(&replayed, "AK9")[0][1], "A");

    // Never a control number twice.
    let mut ours = BTreeSet::new();
    for (_, segments) in &acks {
        for s in segments {
            let n = match s[0].as_str() {
                "ISA" => &s[13],
                "GS" => &s[6],
                "ST" => &s[2],
                _ => continue,
            };
            assert!(ours.insert((s[0].clone(), n.clone())), "{} {n} twice", s[0]);
        }
    }
    // The ledger lists them, and no temporary file is left.
    let r = env.tallyman(&["ledger", "acks", "acme", "--config", "tallyman.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.lines().filter(|l| l.starts_with("997")).count(),
        3,
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.lines().filter(|l| l.starts_with("ta1")).count(),
        1,
        "{}",
        r.stdout
    );
    assert!(
        env.files("out").iter().all(|f| !f.contains("/.")),
        "{:?}",
        env.files("out")
    );

    // An interchange from someone else, dropped in this partner's folder: quarantined as
    // misrouted, and not acknowledged to this partner.
    let stranger =
        po(950, "PO-9", &[("1", "SKU-1")]).replace("ZZ*ACME           ", "ZZ*STRANGER       ");
    env.drop_file("acme", "d2-stranger.edi", &stranger);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        sent(&env, "out/acme", '*', '~').len(),
        4,
        "an ack for a stranger"
    );

    // The partner's own 997 for something we sent: recorded, never sent to the ERP, never
    // acknowledged in turn.
    let their_997 = "ISA*00*          *00*          *ZZ*ACME           *ZZ*TALLYCO        *240312*1000*U*00401*000000900*0*P*>~\n\
GS*FA*ACME*TALLYCO*20240312*1000*900*X*004010~\nST*997*0001~\nAK1*SH*77~\nAK2*856*0001~\n\
AK5*A~\nAK9*A*1*1*1~\nSE*6*0001~\nGE*1*900~\nIEA*1*000000900~\n";
    env.drop_file("acme", "e-997.edi", their_997);
    let before = env.erp_documents().len();
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("acknowledgment"), "{}", r.stderr);
    assert_eq!(
        env.erp_documents().len(),
        before,
        "an ack reached the ERP files"
    );
    assert_eq!(
        sent(&env, "out/acme", '*', '~').len(),
        4,
        "an ack for an ack"
    );
    let r = env.tallyman(&["ledger", "acks", "acme", "--config", "tallyman.toml"]);
    let received: Vec<&str> = r
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("received from acme"))
        .skip(1)
        .collect();
    assert_eq!(received.len(), 1, "{}", r.stdout);
    assert!(
        received[0].starts_with("997")
            && received[0].contains("GS:SH:77")
            && received[0].contains("accepted"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_edifact_interchange_gets_a_contrl_and_a_repeat_says_duplicate() {
    let env = Env::new(CHANNELS);
    let orders = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/edifact/orders-d96a.edi"),
    )
    .unwrap();
    env.drop_file("eu", "1.edi", &orders);
    let r = env.run(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let acks = sent(&env, "out/eu", '+', '\'');
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].0, "eu-contrl-1.edi");
    let contrl = &acks[0].1;
    // UNB swapped, UCI answering 4201 with action 7 (acknowledged), one UCM.
    assert_eq!(find(contrl, "UNB")[0][2], "0614141200016:14");
    assert_eq!(find(contrl, "UNB")[0][3], "0614141100422:14");
    let uci = find(contrl, "UCI")[0];
    assert_eq!((uci[1].as_str(), uci[4].as_str()), ("4201", "7"));
    assert_eq!(find(contrl, "UCM").len(), 1);

    // The same interchange reference in a new file: rejected as a duplicate (0085 26).
    env.drop_file("eu", "2.edi", &orders.replace("4500012345", "4500012399"));
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let acks = sent(&env, "out/eu", '+', '\'');
    assert_eq!(acks.len(), 2, "{acks:?}");
    let uci = find(&acks[1].1, "UCI")[0];
    assert_eq!(
        (uci[1].as_str(), uci[4].as_str(), uci[5].as_str()),
        ("4201", "4", "26")
    );
}

/// A ledger lost beside acknowledgments already sent would number the next ones from 1 again,
/// and partners reject repeated control numbers: the run refuses, naming them.
#[test]
fn a_lost_ledger_beside_sent_acks_is_refused() {
    let env = Env::new(CHANNELS);
    env.drop_file("acme", "a-po-1.edi", &po(700, "PO-1", &[("2", "SKU-1")]));
    assert_eq!(env.run(&[]).code, 0);
    assert_eq!(sent(&env, "out/acme", '*', '~').len(), 1);
    std::fs::remove_dir_all(env.path("work")).unwrap();
    std::fs::remove_dir_all(env.path("inbox")).unwrap();
    env.drop_file("acme", "b-po-2.edi", &po(701, "PO-2", &[("2", "SKU-1")]));
    let r = env.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("1 document sent to acme in") && r.stderr.contains("--new-ledger"),
        "{}",
        r.stderr
    );
    assert_eq!(sent(&env, "out/acme", '*', '~').len(), 1, "nothing sent");
    // Started anew knowingly: numbering starts over, past what still waits for pickup.
    let r = env.run(&["--new-ledger"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let names: Vec<String> = sent(&env, "out/acme", '*', '~')
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["acme-997-000000001.x12", "acme-997-000000002.x12"]);
}

/// An ack that cannot be written with the channel's delimiters (a partner's value holds one)
/// is not sent, and the run says which, why, and what to do.
#[test]
fn an_ack_the_delimiters_cannot_carry_is_reported_with_what_to_do() {
    let env = Env::new(&CHANNELS.replace(
        "ta1 = \"errors\"\n",
        "ta1 = \"errors\"\ndelimiters = \"|>^~\"\n",
    ));
    let po = po(700, "PO-1", &[("2", "SKU-1")]).replace("GS*PO*ACME*", "GS*PO*AC|ME*");
    env.drop_file("acme", "a.edi", &po);
    let r = env.run(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no acknowledgment was sent for interchange 000000700 in a.edi")
            && r.stderr.contains("set the channel's `delimiters`"),
        "{}",
        r.stderr
    );
    assert!(sent(&env, "out/acme", '|', '~').is_empty());
}
