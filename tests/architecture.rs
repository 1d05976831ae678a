//! The layering of the crate, as `../shared/house-style.md` draws it: every `crate::` arrow in
//! `src/` points down. A module may use itself and the layers below it, never one above.
//!
//! Top to bottom:
//!
//! ```text
//! cli → config → pipeline → report → ledger → transport → translate → ack → erp → feeds
//!     → rules → map → envelope → grammar → syntax → model → diag
//! ```
//!
//! `fuzzing` (the fuzz targets' invariants, a test harness behind the `fuzzing` feature) may use
//! anything and nothing uses it; `synthetic` (generated benchmark inputs) uses nothing above
//! `syntax`. Arrows in `#[cfg(test)]` modules are not counted: a unit test may drive its module
//! through a higher layer. The lowest layers (`syntax`, `grammar`, `model`, `diag`) also never
//! touch the file system, rayon or anyhow, so the fuzzer and the benchmarks use them alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const LAYERS: &[&str] = &[
    "cli",
    "config",
    "pipeline",
    "report",
    "ledger",
    "transport",
    "translate",
    "ack",
    "erp",
    "feeds",
    "rules",
    "map",
    "envelope",
    "grammar",
    "syntax",
    "model",
    "diag",
];

/// Modules outside the stack, with the highest layer each may use (`None`: any).
const TOOLS: &[(&str, Option<&str>)] = &[("fuzzing", None), ("synthetic", Some("syntax"))];

/// Layers that must stay pure: no files, no threads of their own, no anyhow.
const PURE: &[&str] = &["syntax", "grammar", "model", "diag"];
const IMPURE: &[&str] = &["std::fs", "rayon", "anyhow", "walkdir", "std::thread"];

fn rank(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == module)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let p = entry.expect("an entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/pipeline/file.rs` → `pipeline`).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_owned())
}

/// The code of a file without comments and without its `#[cfg(test)]` modules.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut skip_depth: Option<i32> = None;
    let mut depth = 0i32;
    let mut pending_test = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        if t.starts_with("#[cfg(test)]") {
            pending_test = true;
            continue;
        }
        let opens = line.matches('{').count() as i32;
        let closes = line.matches('}').count() as i32;
        if pending_test && skip_depth.is_none() && t.starts_with("mod ") {
            skip_depth = Some(depth);
        }
        pending_test = false;
        depth += opens - closes;
        if let Some(d) = skip_depth {
            if depth <= d {
                skip_depth = None;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Every top-level module named after `crate::`, including those of grouped imports
/// (`use crate::{diag::Finding, model};`).
fn targets(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "crate::".len()..];
        // `tallyman_crate::` or `$crate::` are not ours.
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut name = String::new();
            let mut at_top = true;
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => at_top = true,
                    c if at_top && (c.is_alphanumeric() || c == '_') => name.push(c),
                    _ => {
                        if !name.is_empty() {
                            found.push(std::mem::take(&mut name));
                        }
                        if !c.is_whitespace() {
                            at_top = false;
                        }
                    }
                }
            }
            if !name.is_empty() {
                found.push(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

#[test]
fn every_crate_arrow_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for file in &files {
        let Some(from) = module_of(&src, file) else {
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a source file");
        let code = code(&text);
        let shown = file.strip_prefix(&src).expect("under src").display();
        let limit = match TOOLS.iter().find(|(t, _)| *t == from) {
            Some((_, None)) => continue,
            Some((_, Some(highest))) => rank(highest).expect("a layer") as isize - 1,
            None => match rank(&from) {
                Some(r) => r as isize,
                None => {
                    unknown.push(format!("src/{shown}: module `{from}` is in no layer"));
                    continue;
                }
            },
        };
        for to in targets(&code) {
            if to == from || to == "self" {
                continue;
            }
            // Below the limit; a tool module is in no layer, so nothing may use it.
            if rank(&to).is_none_or(|r| r as isize <= limit) {
                wrong
                    .entry(format!("src/{shown}"))
                    .or_default()
                    .push(format!("{from} → {to}"));
            }
        }
        if PURE.contains(&from.as_str()) {
            for bad in IMPURE {
                if code.contains(bad) {
                    wrong
                        .entry(format!("src/{shown}"))
                        .or_default()
                        .push(format!("{from} uses {bad}"));
                }
            }
        }
    }
    assert!(unknown.is_empty(), "{unknown:#?}");
    for list in wrong.values_mut() {
        list.sort();
        list.dedup();
    }
    assert!(
        wrong.is_empty(),
        "arrows against the layering (house-style.md: {}):\n{wrong:#?}",
        LAYERS.join(" → ")
    );
}

#[test]
fn the_checker_sees_grouped_and_inline_arrows() {
    let code = code(
        "use crate::{diag::{Code, Finding}, model};\n\
         // crate::cli in a comment\n\
         fn f() { crate::envelope::scan(b\"\"); }\n\
         #[cfg(test)]\nmod tests {\n    use crate::cli;\n}\n",
    );
    assert_eq!(targets(&code), ["diag", "model", "envelope"]);
}
