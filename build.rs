//! Compiles the grammar files under `grammars/` into the binary: writes a table of
//! `(relative path, contents)` pairs that `grammar::set` includes, and each of them converted to
//! JSON, which start-up reads much faster than TOML.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo")).join("grammars");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for (rel, abs) in &files {
        out.push_str(&format!("    ({rel:?}, include_str!({abs:?})),\n"));
    }
    out.push_str("]\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    fs::write(out_dir.join("builtin_grammars.rs"), out).expect("write builtin grammar table");

    // Every grammar file as JSON too: the same data, read at start-up in a tenth of the time its
    // TOML takes (`grammar::set` reads the TOML of any file laid over a built-in one).
    let mut json = String::from("&[\n");
    for (rel, abs) in &files {
        let text = fs::read_to_string(abs).expect("read a built-in grammar file");
        let table: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("grammars/{rel}: {e}"));
        let file = format!("{rel}.json").replace('/', "_");
        fs::write(
            out_dir.join(&file),
            serde_json::to_string(&table).expect("TOML data is JSON data"),
        )
        .expect("write a built-in grammar file as JSON");
        json.push_str(&format!(
            "    ({rel:?}, include_str!(concat!(env!(\"OUT_DIR\"), \"/{file}\"))),\n"
        ));
    }
    json.push_str("]\n");
    fs::write(out_dir.join("builtin_grammars_json.rs"), json)
        .expect("write the built-in grammars' JSON table");
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        println!("cargo:rerun-if-changed={}", p.display());
        if p.is_dir() {
            collect(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "toml") {
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p.to_string_lossy().into_owned()));
        }
    }
}
