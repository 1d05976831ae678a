//! The bundled samples are good business: every document in samples/ passes the rules.

/// Every document in samples/ is good business: none may break a rule.
#[test]
fn samples_pass() {
    use tallyman::{feeds::Profiles, grammar::GrammarSet, map::Options, rules::check};
    let grammars = GrammarSet::builtin().expect("built-in grammars load");
    let profiles = Profiles::builtin().expect("built-in feed profiles load");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut files = Vec::new();
    // The demo's drop folders hold broken files on purpose; these hold only good ones.
    for dir in ["x12", "edifact", "feeds"] {
        for f in std::fs::read_dir(root.join(dir)).expect("a samples folder") {
            files.push(f.expect("an entry").path());
        }
    }
    files.sort();
    let (mut documents, mut broken) = (0, Vec::new());
    for path in &files {
        let file = std::fs::File::open(path).expect("sample opens");
        let file_name = path.display().to_string();
        let opts = Options {
            file: file_name,
            ..Options::default()
        };
        let report = tallyman::translate::translate(file, &grammars, &profiles, &opts, |o| {
            if let Some(doc) = &o.document {
                documents += 1;
                let number = doc.number();
                let v = check(doc)
                    .into_iter()
                    .map(|v| format!("{number}: {}", v.message));
                broken.extend(v);
            }
            Ok(())
        })
        .expect("sample translates");
        assert!(report.tally.accepted > 0, "{path:?} gave no document");
    }
    assert!(files.len() >= 10 && documents >= 15, "{documents}");
    assert!(broken.is_empty(), "{broken:#?}");
}
