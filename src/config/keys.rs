//! Naming what a serde error in the configuration is about: the dotted key at its span, and the
//! expected type in plain words instead of Rust's (`usize`).
//!
//! `toml::from_str` reports a wrong type or value with the span of the value, an unknown key
//! with the span of the key, and a missing key with the span of its table's header; none of
//! them with the key. The key is found by walking the document's spans
//! ([`toml::de::DeTable`]) for the deepest key whose own span or value's span holds the error.
//!
//! ```text
//! tallyman.toml:7: run.threads: invalid type: string "two", expected an integer
//! ```

use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// The dotted key (`run.threads`, `channel.acme.send.kind`, `export[1].profile`) whose key or
/// value holds `span`, when the text parses and one does.
pub(super) fn key_at(text: &str, span: &Range<usize>) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    let mut best: Option<(usize, String)> = None;
    walk(doc.get_ref(), span, &mut Vec::new(), &mut best);
    best.map(|(_, key)| key)
}

fn holds(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

/// Visits every key of `table` below `path`, keeping in `best` the deepest one that holds
/// `span`. Tables' spans are only their headers (`[run]`), so every table is walked, not only
/// those whose span holds the error.
fn walk(
    table: &DeTable<'_>,
    span: &Range<usize>,
    path: &mut Vec<String>,
    best: &mut Option<(usize, String)>,
) {
    for (key, value) in table {
        path.push(key.get_ref().to_string());
        if holds(&key.span(), span) || holds(&value.span(), span) {
            keep(path, best);
        }
        visit(value.get_ref(), span, path, best);
        path.pop();
    }
}

fn visit(
    value: &DeValue<'_>,
    span: &Range<usize>,
    path: &mut Vec<String>,
    best: &mut Option<(usize, String)>,
) {
    match value {
        DeValue::Table(t) => walk(t, span, path, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let last = path.last_mut().expect("an array is a key's value");
                let bare = last.len();
                last.push_str(&format!("[{i}]"));
                if holds(&item.span(), span) {
                    keep(path, best);
                }
                visit(item.get_ref(), span, path, best);
                path.last_mut().expect("still there").truncate(bare);
            }
        }
        _ => {}
    }
}

fn keep(path: &[String], best: &mut Option<(usize, String)>) {
    // Deeper wins; at the same depth the later one (an item of an array after the array).
    let depth = path.len() * 2 + usize::from(path.last().is_some_and(|k| k.ends_with(']')));
    if best.as_ref().is_none_or(|(d, _)| depth >= *d) {
        *best = Some((depth, path.join(".")));
    }
}

/// A serde message with Rust's type names said in plain words: `expected usize` becomes
/// `expected an integer` (`an integer, 0 or more` when the value is out of range).
pub(super) fn plain(message: &str) -> String {
    let Some((head, expected)) = message.rsplit_once(", expected ") else {
        return message.to_owned();
    };
    let out_of_range = head.starts_with("invalid value: integer");
    let words = match expected {
        "u8" if out_of_range => "an integer from 0 to 255",
        "u16" if out_of_range => "an integer from 0 to 65535",
        "u32" if out_of_range => "an integer from 0 to 4294967295",
        "u64" | "usize" if out_of_range => "an integer, 0 or more",
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "an integer"
        }
        "f32" | "f64" => "a number",
        "a sequence" => "an array",
        "a map" => "a table",
        "path string" => "a string",
        s if s.starts_with("struct ") => "a table",
        _ => return message.to_owned(),
    };
    format!("{head}, expected {words}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str, at: &str) -> Option<String> {
        let start = text.find(at).expect("marker in text");
        key_at(text, &(start..start + at.len()))
    }

    #[test]
    fn finds_the_key_of_a_value_a_key_or_a_table_header() {
        let text = "[paths]\nwork = \"w\"\n\n[run]\nthreads = \"two\"\n\n[channel.acme]\nformat = \"x12\"\nsend.kind = 33\n\n[[export]]\nprofile = \"p\"\n\n[[export]]\nprofile = \"q\"\n\n[output]\nformats = [\"jsonl\", 77]\n";
        assert_eq!(key(text, "\"two\"").as_deref(), Some("run.threads"));
        assert_eq!(key(text, "threads").as_deref(), Some("run.threads"));
        assert_eq!(key(text, "[channel.acme]").as_deref(), Some("channel.acme"));
        assert_eq!(key(text, "33").as_deref(), Some("channel.acme.send.kind"));
        assert_eq!(key(text, "\"q\"").as_deref(), Some("export[1].profile"));
        assert_eq!(key(text, "[paths]").as_deref(), Some("paths"));
        assert_eq!(key(text, "77").as_deref(), Some("output.formats[1]"));
        assert_eq!(key_at("not = [toml", &(0..3)), None);
    }

    #[test]
    fn says_rust_types_in_plain_words() {
        assert_eq!(
            plain("invalid type: string \"two\", expected usize"),
            "invalid type: string \"two\", expected an integer"
        );
        assert_eq!(
            plain("invalid value: integer `-1`, expected usize"),
            "invalid value: integer `-1`, expected an integer, 0 or more"
        );
        assert_eq!(
            plain("invalid type: integer `1`, expected a sequence"),
            "invalid type: integer `1`, expected an array"
        );
        assert_eq!(
            plain("invalid type: string \"x\", expected f64"),
            "invalid type: string \"x\", expected a number"
        );
        // Already plain, or not a type: left as it is.
        let enum_message = "unknown variant `x13`, expected one of `x12`, `edifact`, `feed`";
        assert_eq!(plain(enum_message), enum_message);
        assert_eq!(
            plain("invalid type: string \"yes\", expected a boolean"),
            "invalid type: string \"yes\", expected a boolean"
        );
    }
}
