//! The v2 encoding's promises, each as a test.

use super::*;
use crate::model::{Document, Source};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

fn hash<T: Serialize>(v: &T) -> [u8; 32] {
    ValueHasher::new().hash(v).expect("hashes")
}

fn encoding<T: Serialize>(v: &T) -> Vec<u8> {
    let mut h = ValueHasher::new();
    h.encode(v, &[]).expect("encodes");
    h.buf
}

#[derive(Serialize)]
struct V1 {
    a: String,
    b: u32,
}

/// `V1` after the model gained fields, in every way a field can be added.
#[derive(Serialize)]
struct V2 {
    a: String,
    b: u32,
    c: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    d: Option<Decimal>,
    e: Vec<String>,
    f: String,
    g: Inner,
    h: BTreeMap<String, u32>,
    i: (),
}

#[derive(Serialize, Default)]
struct Inner {
    x: Option<u64>,
    y: Vec<Inner>,
}

fn v2(a: &str, b: u32) -> V2 {
    V2 {
        a: a.into(),
        b,
        c: None,
        d: None,
        e: Vec::new(),
        f: String::new(),
        g: Inner::default(),
        h: BTreeMap::new(),
        i: (),
    }
}

#[test]
fn a_field_added_to_the_model_leaves_the_hash_unchanged() {
    let old = V1 {
        a: "PO-1".into(),
        b: 7,
    };
    assert_eq!(hash(&old), hash(&v2("PO-1", 7)));
    assert_eq!(encoding(&old), encoding(&v2("PO-1", 7)));
    // The JSON, which v1 hashed, is not unchanged.
    assert_ne!(
        serde_json::to_string(&old).expect("json"),
        serde_json::to_string(&v2("PO-1", 7)).expect("json")
    );
}

#[test]
fn a_changed_value_changes_the_hash() {
    let base = hash(&v2("PO-1", 7));
    assert_ne!(hash(&v2("PO-1", 8)), base);
    assert_ne!(hash(&v2("PO-2", 7)), base);
    let mut with_c = v2("PO-1", 7);
    with_c.c = Some("note".into());
    assert_ne!(hash(&with_c), base);
    let mut with_d = v2("PO-1", 7);
    with_d.d = Some(Decimal::ZERO);
    assert_ne!(hash(&with_d), base);
    let mut nested = v2("PO-1", 7);
    nested.g.y.push(Inner {
        x: Some(0),
        y: Vec::new(),
    });
    assert_ne!(hash(&nested), base);
    // An element of a sequence is kept even when it holds nothing: its place counts.
    let mut empty_element = v2("PO-1", 7);
    empty_element.g.y.push(Inner::default());
    assert_ne!(hash(&empty_element), base);
    assert_ne!(hash(&empty_element), hash(&nested));
}

#[test]
fn boundaries_and_places_are_unambiguous() {
    #[derive(Serialize)]
    struct Two<A, B> {
        a: A,
        b: B,
    }
    let two = |a: &str, b: &str| hash(&Two { a, b });
    assert_ne!(two("ab", "c"), two("a", "bc"));
    assert_ne!(two("x", "y"), two("y", "x"));
    assert_ne!(two("", "x"), two("x", ""));
    assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
    assert_ne!(
        hash(&vec![vec!["a"], vec!["b"]]),
        hash(&vec![vec!["a", "b"]])
    );
    assert_ne!(hash(&[None, Some(1)]), hash(&[Some(1), None]));
    // A key's bytes are not a value's.
    let mut m = BTreeMap::new();
    m.insert("a", "bc");
    let mut n = BTreeMap::new();
    n.insert("ab", "c");
    assert_ne!(hash(&m), hash(&n));
    // Types are told apart.
    assert_ne!(hash(&"1"), hash(&1u8));
    assert_ne!(hash(&"true"), hash(&true));
    assert_ne!(hash(&1u64), hash(&-1i64));
    assert_ne!(hash(&1u64), hash(&1.0f64));
    assert_ne!(hash(&vec!["a"]), hash(&"a"));
    // The width of an integer is not: JSON does not show it either.
    assert_eq!(hash(&7u8), hash(&7i64));
    assert_eq!(hash(&u128::MAX), hash(&u128::MAX));
    assert_ne!(hash(&i128::MIN), hash(&(i128::MIN + 1)));
}

#[test]
fn decimals_hash_as_written() {
    let d = |s: &str| s.parse::<Decimal>().expect("decimal");
    assert_eq!(hash(&d("12.50")), hash(&d("12.50")));
    assert_eq!(hash(&d("12.50")), hash(&"12.50"));
    // As their JSON differs, so do their hashes (and their v1 hashes did).
    assert_ne!(hash(&d("1.0")), hash(&d("1.00")));
    assert_ne!(hash(&d("1.0")), hash(&d("1")));
}

#[test]
fn the_order_of_fields_does_not_matter() {
    #[derive(Serialize)]
    struct Ab {
        a: u8,
        b: &'static str,
    }
    #[derive(Serialize)]
    struct Ba {
        b: &'static str,
        a: u8,
    }
    let ab = Ab { a: 1, b: "x" };
    assert_eq!(hash(&ab), hash(&Ba { b: "x", a: 1 }));
    let mut map = BTreeMap::new();
    map.insert("b", serde_json::json!("x"));
    map.insert("a", serde_json::json!(1));
    assert_eq!(hash(&ab), hash(&map));
    // serde_json's own maps and values hash as the structs they were read from.
    let value: serde_json::Value = serde_json::from_str(r#"{"b":"x","a":1}"#).expect("json");
    assert_eq!(hash(&ab), hash(&value));
}

/// The encoding is what the module documentation says, byte for byte: the ledger keeps
/// v2 hashes across versions of tallyman, so it must never change.
#[test]
fn the_encoding_is_as_documented() {
    #[derive(Serialize)]
    enum E {
        Unit,
        New(Option<u8>),
        Pair(u8, bool),
        Named { n: f64 },
    }
    #[derive(Serialize)]
    struct Doc {
        z: Vec<Option<i32>>,
        a: (char, E, E, E, E),
        skipped: Option<u8>,
    }
    let v = Doc {
        z: vec![None, Some(-2)],
        a: (
            'é',
            E::Unit,
            E::New(None),
            E::Pair(1, true),
            E::Named { n: 0.5 },
        ),
        skipped: None,
    };
    let s = |tag: u8, text: &str| {
        let mut out = vec![tag];
        out.extend_from_slice(&(text.len() as u64).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
        out
    };
    let int = |negative: bool, m: u128| {
        let mut out = vec![b'i', u8::from(!negative)];
        out.extend_from_slice(&m.to_le_bytes());
        out
    };
    let mut want = vec![b'{'];
    want.extend(s(b'k', "a"));
    want.push(b'[');
    want.extend(s(b's', "é"));
    want.extend(s(b's', "Unit"));
    want.push(b'{');
    want.extend(s(b'k', "New"));
    want.extend([b'z', b'}', b'{']);
    want.extend(s(b'k', "Pair"));
    want.push(b'[');
    want.extend(int(false, 1));
    want.extend([b'b', 1, b']', b'}', b'{']);
    want.extend(s(b'k', "Named"));
    want.push(b'{');
    want.extend(s(b'k', "n"));
    want.push(b'f');
    want.extend(0.5f64.to_bits().to_le_bytes());
    want.extend([b'}', b'}', b']']);
    want.extend(s(b'k', "z"));
    want.extend([b'[', b'z']);
    want.extend(int(true, 2));
    want.extend([b']', b'}']);
    assert_eq!(encoding(&v), want);
    let mut sha = Sha256::new();
    sha.update(b"tallyman content hash v2\0");
    sha.update(&want);
    let want: [u8; 32] = sha.finalize().into();
    assert_eq!(hash(&v), want);
}

fn order(json: &str) -> Document {
    serde_json::from_str(json).expect("a document")
}

const ORDER: &str = r#"{"type":"order","order_number":"PO-1","order_date":"2024-03-11",
    "purpose":"original","lines":[{"line_number":"1","quantity":"24","unit":"EA",
    "unit_price":"12.50","item_ids":{"vendor_part":"SKU-1"}}],
    "source":{"file":"a.edi","offset":106,"standard":"x12","set":"850",
    "interchange_control":"000000101","channel":"acme"}}"#;

#[test]
fn a_documents_source_is_not_its_content() {
    let mut h = ValueHasher::new();
    let doc = order(ORDER);
    let first = h.document(&doc).expect("hashes");
    let mut again = doc.clone();
    *again.source_mut() = Source {
        file: "b.edi".into(),
        offset: 9,
        standard: "x12".into(),
        set: "850".into(),
        ..Source::default()
    };
    assert_eq!(h.document(&again).expect("hashes"), first);
    let changed = order(&ORDER.replace(r#""24""#, r#""25""#));
    assert_ne!(h.document(&changed).expect("hashes"), first);
    // `source` is left out at the top only.
    assert_ne!(
        h.document(&doc).expect("hashes"),
        h.hash(&doc).expect("hashes")
    );
    // Pinned (and computed apart, from the documented encoding): a change to the encoding
    // or to how the model serializes this order would turn every re-sent one into a
    // conflict.
    assert_eq!(
        ContentHash::V2(first).to_string(),
        "v2:1b0b66440750beddb116497d00a335fa79b79e6cc98e5dcf8c8339fa4f894a4d"
    );
}

/// The ledger stores hashes as this text: it must stay as it is, and read back.
#[test]
fn hashes_are_stored_as_versioned_hex() {
    let h: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(ContentHash::V1(h).to_string(), hex);
    assert_eq!(ContentHash::V2(h).to_string(), format!("v2:{hex}"));
    assert_eq!(ContentHash::parse(&hex), Some(ContentHash::V1(h)));
    assert_eq!(
        ContentHash::parse(&format!("v2:{hex}")),
        Some(ContentHash::V2(h))
    );
    assert_eq!(
        ContentHash::parse(&hex.to_uppercase()),
        Some(ContentHash::V1(h))
    );
    for bad in [
        "",
        "h1",
        &hex[1..],
        &format!("{hex}0"),
        &format!("v3:{hex}"),
        &format!("g{}", &hex[1..]),
    ] {
        assert_eq!(ContentHash::parse(bad), None, "{bad}");
    }
}

/// The serde path's encoding of a document without its source, which the hand-written one
/// must equal byte for byte.
fn serde_encoding(doc: &Document) -> Vec<u8> {
    let mut h = ValueHasher::new();
    h.encode(doc, NOT_CONTENT).expect("encodes");
    h.buf
}

fn hand_encoding(doc: &Document) -> Vec<u8> {
    let mut out = Vec::new();
    assert!(document::encode_document(&mut out, doc));
    out
}

proptest::proptest! {
    /// Orders, ship notices and invoices are encoded by hand as the serde path encodes them,
    /// empty strings, empty lists and structs of absent values included.
    #[test]
    fn any_document_is_encoded_by_hand_as_serde_encodes_it(
        doc in crate::model::json::differential::any_document()
    ) {
        proptest::prop_assert_eq!(hand_encoding(&doc), serde_encoding(&doc));
        let mut h = ValueHasher::new();
        proptest::prop_assert_eq!(
            h.document(&doc).expect("hashes"),
            h.hash_without(&doc, NOT_CONTENT).expect("hashes")
        );
    }
}

/// The values the hand-written encoder writes without a formatter, at the edges where it
/// hands over to one: years outside 0..=9999, times with fractions of a second.
#[test]
fn dates_and_times_at_their_edges_are_encoded_as_serde_encodes_them() {
    let json = r#"{"type":"ship_notice","shipment_id":"S1","purpose":"original","lines":[],
      "source":{"standard":"x12","set":"856"}}"#;
    let base: Document = serde_json::from_str(json).expect("a ship notice");
    for (y, t) in [
        (2024, jiff::civil::time(9, 5, 7, 0)),
        (0, jiff::civil::Time::MIN),
        (9999, jiff::civil::Time::MAX),
        (-1, jiff::civil::time(23, 59, 59, 500_000_000)),
        (-9999, jiff::civil::time(0, 0, 0, 1)),
        (999, jiff::civil::time(12, 0, 0, 0)),
    ] {
        let mut doc = base.clone();
        let Document::ShipNotice(s) = &mut doc else {
            unreachable!()
        };
        s.ship_date = Some(jiff::civil::date(y, 3, 11));
        s.ship_time = Some(t);
        assert_eq!(hand_encoding(&doc), serde_encoding(&doc), "{y} {t}");
    }
}
