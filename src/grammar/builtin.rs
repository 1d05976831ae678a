//! The grammar files compiled into the binary, as `build.rs` lists them, each also as JSON.
//!
//! Phase: start-up. The TOML is what users read, override and get errors about; the JSON of
//! the same data is what start-up reads for a built-in file, in a tenth of the time.

/// Grammar files compiled into the binary: `(path relative to grammars/, contents)`. A static,
/// not a constant: [`builtin_json`] knows a built-in text by its address, which a constant
/// may give a copy of at each place it is used.
pub(super) static BUILTIN: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_grammars.rs"));

/// The same files as JSON (`build.rs` converts their TOML), in the same order.
static BUILTIN_JSON: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/builtin_grammars_json.rs"));

/// The JSON of a built-in grammar file, when `text` is that file's built-in TOML itself: not a
/// file laid over it, nor a copy (the address tells).
pub(super) fn builtin_json(path: &str, text: &str) -> Option<&'static str> {
    let (_, toml) = BUILTIN.iter().find(|(p, _)| *p == path)?;
    let (_, json) = BUILTIN_JSON.iter().find(|(p, _)| *p == path)?;
    std::ptr::eq(text, *toml).then_some(*json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_file_is_read_from_json_with_the_same_data() {
        assert_eq!(BUILTIN.len(), BUILTIN_JSON.len());
        for (path, toml_text) in BUILTIN {
            let json = builtin_json(path, toml_text).expect("built in");
            let from_toml: toml::Table = toml::from_str(toml_text).unwrap();
            let from_json: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(
                serde_json::to_value(&from_toml).unwrap(),
                from_json,
                "{path}"
            );
        }
        let copy = BUILTIN[0].1.to_owned();
        assert_eq!(
            builtin_json(BUILTIN[0].0, &copy),
            None,
            "a copy or a file laid over is TOML"
        );
        assert_eq!(builtin_json("x12/nowhere.toml", BUILTIN[0].1), None);
    }
}
