//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tallyman::diag::Finding;
use tallyman::grammar::{GrammarSet, Strictness};
use tallyman::map::{Options, Outcome, Status};
use tallyman::translate::FileReport;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The public corpus beside the repository, when it is there.
pub fn corpus() -> Option<PathBuf> {
    let p = root().join("../shared/corpus");
    p.is_dir().then_some(p)
}

/// Files of a folder with one of the extensions, sorted.
pub fn files(dir: &Path, exts: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| exts.contains(&x))
        })
        .collect();
    v.sort();
    v
}

pub fn grammars() -> &'static GrammarSet {
    use std::sync::OnceLock;
    static G: OnceLock<GrammarSet> = OnceLock::new();
    G.get_or_init(|| GrammarSet::builtin().expect("built-in grammars"))
}

pub struct Translated {
    pub report: FileReport,
    pub outcomes: Vec<Outcome>,
}

impl Translated {
    pub fn accepted(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.status == Status::Accepted)
    }

    /// Every finding (envelope, grammar, mapping), ordered by offset.
    pub fn findings(&self) -> Vec<&Finding> {
        self.report.findings.iter().collect()
    }

    pub fn errors(&self) -> Vec<&Finding> {
        self.findings()
            .into_iter()
            .filter(|f| f.is_error())
            .collect()
    }

    /// Errors that enclose no document (garbage between interchanges, a broken empty envelope).
    pub fn envelope_errors(&self) -> usize {
        self.report.tally.envelope_errors
    }
}

pub fn translate(path: &Path, strictness: Strictness) -> Translated {
    translate_with(path, strictness, false)
}

/// Translates a file of any format the way `tallyman translate` does (business rules applied).
pub fn translate_with(path: &Path, strictness: Strictness, relax_envelope: bool) -> Translated {
    translate_checked(path, strictness, relax_envelope, true)
}

/// [`translate_with`], with or without the business rules (`translate --no-rules`).
pub fn translate_checked(
    path: &Path,
    strictness: Strictness,
    relax_envelope: bool,
    business_rules: bool,
) -> Translated {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let opts = Options {
        strictness,
        file: path.file_name().unwrap().to_string_lossy().into_owned(),
        channel: None,
        relax_envelope,
        feed_profile: None,
        limits: Default::default(),
        spill_dir: None,
    };
    let mut outcomes = Vec::new();
    let profiles = tallyman::feeds::Profiles::builtin().expect("built-in profiles");
    let checks = tallyman::translate::Checks {
        receipts: false,
        business_rules,
        document_findings: true,
    };
    let report =
        tallyman::translate::translate_with(file, grammars(), &profiles, &opts, checks, |o| {
            outcomes.push(o.clone());
            Ok(())
        })
        .expect("reading a local file");
    Translated { report, outcomes }
}

/// A readable report of a translation: documents as pretty JSON, then findings and statuses.
pub fn report(t: &Translated) -> String {
    let mut s = String::new();
    for o in &t.outcomes {
        s.push_str(&format!(
            "== {} {} at byte {}: {:?}\n",
            o.set_id,
            o.controls.transaction.as_deref().unwrap_or("-"),
            o.offset,
            o.status
        ));
        for r in &o.envelope_reasons {
            s.push_str(&format!("   envelope: {r}\n"));
        }
        if let Some(d) = &o.document {
            s.push_str(&serde_json::to_string_pretty(d).unwrap());
            s.push('\n');
        }
    }
    s.push_str("== findings\n");
    for f in t.findings() {
        s.push_str(&format!("{f}\n"));
    }
    s
}

/// Copies the demo (configuration, drop folders and ERP outbox) into a temporary folder, so the
/// run writes its work directory there and not into the repository.
pub fn demo_copy() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("temp dir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/demo");
    copy_tree(&src.join("drop"), &d.path().join("drop"));
    copy_tree(&src.join("outbox"), &d.path().join("outbox"));
    copy_tree(&src.join("guides"), &d.path().join("guides"));
    std::fs::copy(src.join("tallyman.toml"), d.path().join("tallyman.toml")).expect("copy config");
    d
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read demo") {
        let e = e.expect("entry");
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}
