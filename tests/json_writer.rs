//! `model::json::write_document` (the canonical JSON of a document, written without serde)
//! gives the bytes of `model::json::write` and of serde_json on every document the fixtures,
//! the samples and the corpus give, read leniently so that as many as possible are; and the
//! content hash encoded by hand (`ValueHasher::document`) is the serde path's. Arbitrary
//! documents are held to the same in the model's own tests.

use std::path::Path;
use tallyman::model::Document;

fn both(doc: &Document) -> (Vec<u8>, Vec<u8>) {
    let mut direct = Vec::new();
    tallyman::model::json::write_document(&mut direct, doc).expect("writes");
    let serde = serde_json::to_vec(doc).expect("writes");
    let mut ours = Vec::new();
    tallyman::model::json::write(&mut ours, doc).expect("writes");
    assert_eq!(ours, serde);
    (direct, serde)
}

/// Every document of every file under `dir`, read leniently so that as many as possible are.
fn documents(dir: &Path, docs: &mut Vec<(String, Document)>) {
    let grammars = tallyman::grammar::GrammarSet::builtin().expect("grammars");
    let profiles = tallyman::feeds::Profiles::builtin().expect("profiles");
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("readable");
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let opts = tallyman::map::Options {
            strictness: tallyman::grammar::Strictness::Lenient,
            relax_envelope: true,
            file: path.display().to_string(),
            ..Default::default()
        };
        let checks = tallyman::translate::Checks {
            business_rules: false,
            document_findings: false,
            receipts: false,
        };
        let file = std::fs::File::open(path).expect("opens");
        let _ =
            tallyman::translate::translate_with(file, &grammars, &profiles, &opts, checks, |o| {
                if let Some(d) = o.document.take() {
                    docs.push((path.display().to_string(), d));
                }
                Ok(())
            });
    }
}

#[test]
fn every_fixture_sample_and_corpus_document_is_written_as_serde_writes_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut docs = Vec::new();
    for dir in ["tests/fixtures", "samples", "../shared/corpus"] {
        // The corpus sits beside the checkout, when it is there at all.
        if root.join(dir).is_dir() {
            documents(&root.join(dir), &mut docs);
        }
    }
    // Not a vacuous pass: the fixtures and samples alone give well over a hundred.
    assert!(docs.len() > 100, "{} documents", docs.len());
    for kind in ["order", "ship_notice", "invoice", "acknowledgment"] {
        assert!(docs.iter().any(|(_, d)| d.kind() == kind), "no {kind}");
    }
    let mut hasher = tallyman::model::hash::ValueHasher::new();
    for (path, doc) in &docs {
        let (direct, serde) = both(doc);
        assert!(
            direct == serde,
            "{path}:\n{}\n{}",
            String::from_utf8_lossy(&direct),
            String::from_utf8_lossy(&serde)
        );
        // The content hash, encoded by hand for orders, ship notices and invoices, is the
        // serde path's.
        assert_eq!(
            hasher.document(doc).expect("hashes"),
            hasher.hash_without(doc, &["source"]).expect("hashes"),
            "{path}: {}",
            String::from_utf8_lossy(&direct)
        );
    }
}
