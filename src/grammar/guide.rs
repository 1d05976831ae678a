//! Implementation guides: a partner's narrowing of the standard, as a TOML overlay.
//!
//! Phase: `(file name, TOML)` → a [`Guide`] (this module), then a guide and the grammars it
//! names → narrowed copies of those grammars (`super::narrow`, called by
//! [`super::GrammarSet::with_guide`]). A partner's implementation guide makes segments required
//! or unused, lowers repeats, limits the codes an element may take, fixes values and tightens
//! lengths, per transaction set and version. The narrowing is data in the compiled tables (a
//! lower maximum, a shorter code list, a mandatory flag), so the validator's hot path is the
//! same with or without a guide; only a finding's wording asks the guide's notes
//! ([`StepNote`], [`ElementNote`]) what to say.
//!
//! A guide can only narrow: anything it says that would widen the standard, or that names what
//! the grammar does not have, is refused with the guide's file, line and key. The format is
//! documented in `grammars/README.md` and in the README ("Implementation guides").
//!
//! ```
//! use tallyman::grammar::{GrammarSet, guide::Guide};
//! let text = r#"
//! partner = "ACME"
//! [[set]]
//! standard = "x12"
//! version = "004010"
//! id = "850"
//! [[set.element]]
//! at = "BEG01"
//! codes = ["00"]
//! "#;
//! let guide = Guide::parse("acme.toml", text).unwrap();
//! let set = GrammarSet::builtin().unwrap().with_guide(&guide).unwrap();
//! assert!(set.has_guide());
//! let bad = Guide::parse("acme.toml", &text.replace("\"00\"", "\"99\"")).unwrap();
//! let e = GrammarSet::builtin().unwrap().with_guide(&bad).unwrap_err();
//! assert_eq!((e.line, e.key.as_str()), (9, "set.element.codes"));
//! ```

use super::ElementDef;
use super::validate::{check_value, code_preview, value_finding};
use crate::diag::line_of;
use crate::diag::{Code, Finding};
use crate::syntax::text::for_message;
use serde::Deserialize;
use toml::Spanned;

/// A guide that cannot be used: its file, the 1-based line and the key at fault, and what is
/// wrong in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {key}: {message}")]
#[non_exhaustive]
pub struct Error {
    /// The guide file, as the caller named it.
    pub file: String,
    /// The 1-based line of the key at fault.
    pub line: usize,
    /// The dotted key at fault (`set.element.codes`).
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

/// A value of the guide with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// The 1-based line of its key.
    pub line: usize,
}

/// What a guide says of a segment, loop or element's use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuideUsage {
    /// It must be there (where the standard makes it optional or conditional).
    Required,
    /// It must not be there.
    Unused,
    /// As the standard says (only for what the standard makes optional).
    Optional,
}

/// A parsed implementation guide, not yet checked against the grammars.
#[derive(Debug, Clone)]
pub struct Guide {
    /// The file as the caller named it, for errors.
    pub file: String,
    /// How findings name the guide: "ACME's guide", or "the guide" without `partner`.
    pub name: String,
    /// The sets it narrows, in file order.
    pub sets: Vec<SetGuide>,
}

/// What a guide says of one transaction set or message in one version.
#[derive(Debug, Clone)]
pub struct SetGuide {
    /// `x12` or `edifact`.
    pub standard: At<String>,
    /// The grammar's version: X12 `004010`, EDIFACT `D96A`.
    pub version: At<String>,
    /// The set id (`850`) or message type (`ORDERS`).
    pub id: At<String>,
    /// `[[set.segment]]` entries.
    pub segments: Vec<NodeRule>,
    /// `[[set.loop]]` entries.
    pub loops: Vec<NodeRule>,
    /// `[[set.element]]` entries.
    pub elements: Vec<ElementRule>,
}

/// A `[[set.segment]]` or `[[set.loop]]` entry.
#[derive(Debug, Clone)]
pub struct NodeRule {
    /// Loop ids from the top level, then (for a segment) its tag: `BEG`, `N1/N1`, `PO1/N1`.
    pub path: At<String>,
    /// Required, unused or optional.
    pub usage: Option<At<GuideUsage>>,
    /// A lower maximum of repeats.
    pub max: Option<At<usize>>,
}

/// A `[[set.element]]` entry.
#[derive(Debug, Clone)]
pub struct ElementRule {
    /// The element: loop ids, then the segment tag, the two-digit position and, for a
    /// component, `-` and its number: `BEG01`, `N1/N101`, `LIN03-1`.
    pub at: At<String>,
    /// Required, unused or optional.
    pub usage: Option<At<GuideUsage>>,
    /// The only codes allowed.
    pub codes: Option<At<Vec<String>>>,
    /// The one value allowed.
    pub value: Option<At<String>>,
    /// A higher minimum length.
    pub min_length: Option<At<usize>>,
    /// A lower maximum length.
    pub max_length: Option<At<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuide {
    #[serde(default)]
    partner: Option<String>,
    #[serde(default)]
    set: Vec<Spanned<RawSet>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    standard: Spanned<String>,
    version: Spanned<String>,
    id: Spanned<String>,
    #[serde(default)]
    segment: Vec<RawNode>,
    #[serde(default, rename = "loop")]
    loops: Vec<RawNode>,
    #[serde(default)]
    element: Vec<RawElement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    path: Spanned<String>,
    #[serde(default)]
    usage: Option<Spanned<GuideUsage>>,
    #[serde(default)]
    max: Option<Spanned<usize>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    at: Spanned<String>,
    #[serde(default)]
    usage: Option<Spanned<GuideUsage>>,
    #[serde(default)]
    codes: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    value: Option<Spanned<String>>,
    #[serde(default)]
    min_length: Option<Spanned<usize>>,
    #[serde(default)]
    max_length: Option<Spanned<usize>>,
}

impl Guide {
    /// Parses a guide. `file` names it in errors and (its last path part) in findings.
    pub fn parse(file: &str, text: &str) -> Result<Guide, Error> {
        let err = |line: usize, key: &str, message: String| Error {
            file: file.to_string(),
            line,
            key: key.to_string(),
            message,
        };
        let raw: RawGuide = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            let key = e.span().map(|s| key_at(text, s.start)).unwrap_or_default();
            let message = e.message().trim().replace('`', "'");
            err(line, &key, message)
        })?;
        let at = |s: Spanned<String>| At {
            line: line_of(text, s.span().start),
            value: s.into_inner().trim().to_string(),
        };
        let at_usage = |s: Option<Spanned<GuideUsage>>| {
            s.map(|s| At {
                line: line_of(text, s.span().start),
                value: s.into_inner(),
            })
        };
        let at_num = |s: Option<Spanned<usize>>| {
            s.map(|s| At {
                line: line_of(text, s.span().start),
                value: s.into_inner(),
            })
        };
        if raw.set.is_empty() {
            return Err(err(
                1,
                "set",
                "the guide narrows no set; add a [[set]] table with standard, version and id"
                    .into(),
            ));
        }
        let mut sets = Vec::new();
        for s in raw.set {
            let s = s.into_inner();
            let standard = at(s.standard);
            if !matches!(standard.value.as_str(), "x12" | "edifact") {
                return Err(err(
                    standard.line,
                    "set.standard",
                    format!(
                        "'{}' is not a standard; write \"x12\" or \"edifact\"",
                        standard.value
                    ),
                ));
            }
            let version = at(s.version);
            let id = at(s.id);
            let node = |n: RawNode| NodeRule {
                path: at(n.path),
                usage: at_usage(n.usage),
                max: at_num(n.max),
            };
            let elements = s
                .element
                .into_iter()
                .map(|e| ElementRule {
                    at: at(e.at),
                    usage: at_usage(e.usage),
                    codes: e.codes.map(|c| At {
                        line: line_of(text, c.span().start),
                        value: c.into_inner(),
                    }),
                    value: e.value.map(at),
                    min_length: at_num(e.min_length),
                    max_length: at_num(e.max_length),
                })
                .collect();
            sets.push(SetGuide {
                standard,
                version,
                id,
                segments: s.segment.into_iter().map(node).collect(),
                loops: s.loops.into_iter().map(node).collect(),
                elements,
            });
        }
        Ok(Guide {
            file: file.to_string(),
            name: match raw.partner.as_deref().map(str::trim) {
                Some(p) if !p.is_empty() => format!("{p}'s guide"),
                _ => "the guide".to_string(),
            },
            sets,
        })
    }

    /// The error for `key` at `line` of this guide.
    pub fn error(&self, line: usize, key: &str, message: String) -> Error {
        Error {
            file: self.file.clone(),
            line,
            key: key.to_string(),
            message,
        }
    }

    /// How a finding names the guide and the line of the rule it breaks:
    /// "ACME's guide (acme.toml line 12)".
    pub fn origin(&self, line: usize) -> String {
        let short = self
            .file
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(self.file.as_str());
        format!("{} ({short} line {line})", self.name)
    }
}

/// What a guide says of a segment or loop of the structure, for the walk's findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepNote {
    /// "ACME's guide (acme.toml line 12)".
    pub origin: String,
    /// The guide makes it mandatory where the standard does not.
    pub required: bool,
    /// The guide says it is not used (its maximum is then 0).
    pub unused: bool,
    /// The standard's maximum, when the guide lowered it.
    pub standard_max: Option<usize>,
}

/// What a guide says of an element or component position, for its findings.
#[derive(Debug, Clone, Default)]
pub struct ElementNote {
    /// "ACME's guide (acme.toml line 12)".
    pub origin: String,
    /// The standard's definition of a simple element, to tell a value the standard refuses
    /// from one only the guide refuses.
    pub standard: Option<ElementDef>,
    /// The guide makes it mandatory where the standard does not.
    pub required: bool,
    /// The guide says it is not used.
    pub unused: bool,
    /// The codes the guide allows (one for a fixed value), when it limits them.
    pub codes: Option<Vec<String>>,
    /// True when the guide fixes the value (`value = ...`).
    pub fixed: bool,
}

impl ElementNote {
    /// The finding for a value of this position that failed the narrowed definition:
    /// the standard's own finding when the standard refuses it too, else one that names the
    /// guide and says what the standard allows.
    pub(super) fn finding(
        &self,
        label: &str,
        name: &str,
        v: &[u8],
        problem: (Code, String),
    ) -> Finding {
        let shown = for_message(v, 40);
        let decoded = crate::syntax::text::decode(v);
        if self.unused {
            return Finding::error(
                Code::ElementNotUsed,
                format!(
                    "{label} ({name}) holds '{shown}', but {} says {label} is not used: the partner neither sends nor reads it; leave it empty",
                    self.origin
                ),
            )
            .with_value(&decoded);
        }
        if let Some(std) = &self.standard
            && let Some(p) = check_value(std, v)
        {
            return value_finding(label, name, v, p);
        }
        let (code, tail) = problem;
        let standard_allows = match &self.standard {
            Some(std) => match &std.codes {
                Some(c) => format!("the standard allows {}", code_preview(&c.codes)),
                None => format!(
                    "the standard allows any value of {} to {} characters",
                    std.min, std.max
                ),
            },
            None => "the standard allows it".to_string(),
        };
        let message = match (code, &self.codes) {
            (Code::InvalidCode, Some(codes)) if self.fixed => format!(
                "{label} ({name}) is '{shown}', but {} fixes {label} to '{}'; {standard_allows}",
                self.origin,
                codes.join(", ")
            ),
            (Code::InvalidCode, Some(codes)) => format!(
                "{label} ({name}) '{shown}' is not allowed: {} allows only {} in {label}; {standard_allows}",
                self.origin,
                code_preview(codes)
            ),
            (Code::ElementTooLong | Code::ElementTooShort, _) => {
                let std = self
                    .standard
                    .as_ref()
                    .map(|s| format!(" (the standard allows {} to {})", s.min, s.max))
                    .unwrap_or_default();
                format!("{label} ({name}) '{shown}' {tail} by {}{std}", self.origin)
            }
            _ => format!("{label} ({name}) '{shown}' {tail} ({})", self.origin),
        };
        // A code the standard allows (the standard's refusal returned above) that the guide
        // does not: the 999 has a code of its own for it.
        let code = match (code, &self.codes) {
            (Code::InvalidCode, Some(_)) => Code::CodeNotInGuide,
            (code, _) => code,
        };
        Finding::error(code, message).with_value(&decoded)
    }
}

/// The key written on the line of byte `offset` (`codes` of `codes = [...]`, or a table
/// header's name), for a TOML error's message.
fn key_at(text: &str, offset: usize) -> String {
    let start = text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("").trim();
    if let Some(h) = line.strip_prefix('[') {
        return h.trim_matches(['[', ']', ' ']).to_string();
    }
    line.split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sets_with_their_lines() {
        let g = Guide::parse(
            "guides/acme.toml",
            r#"partner = "ACME"
[[set]]
standard = "x12"
version = "004010"
id = "850"
[[set.segment]]
path = "N1/N1"
usage = "required"
max = 2
[[set.element]]
at = "BEG01"
codes = ["00", "07"]
"#,
        )
        .unwrap();
        assert_eq!(g.name, "ACME's guide");
        assert_eq!(g.origin(12), "ACME's guide (acme.toml line 12)");
        let s = &g.sets[0];
        assert_eq!((s.id.value.as_str(), s.id.line), ("850", 5));
        let n = &s.segments[0];
        assert_eq!((n.path.value.as_str(), n.path.line), ("N1/N1", 7));
        assert_eq!(
            n.usage.as_ref().map(|u| (u.value, u.line)),
            Some((GuideUsage::Required, 8))
        );
        assert_eq!(n.max.as_ref().map(|m| (m.value, m.line)), Some((2, 9)));
        let e = &s.elements[0];
        assert_eq!(e.codes.as_ref().map(|c| c.line), Some(12));
    }

    #[test]
    fn refuses_unknown_keys_bad_values_and_empty_guides_with_line_and_key() {
        let e = Guide::parse(
            "g.toml",
            "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n[[set.element]]\nat = \"BEG01\"\ncode = [\"00\"]\n",
        )
        .unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.line, e.key.as_str()),
            ("g.toml", 7, "code")
        );
        assert!(e.message.contains("unknown field 'code'"), "{}", e.message);
        let e = Guide::parse(
            "g.toml",
            "[[set]]\nstandard = \"x12\"\nversion = \"004010\"\nid = \"850\"\n[[set.segment]]\npath = \"N1\"\nusage = \"sometimes\"\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (7, "usage"));
        let e = Guide::parse(
            "g.toml",
            "[[set]]\nstandard = \"x13\"\nversion = \"004010\"\nid = \"850\"\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (2, "set.standard"));
        assert!(e.message.contains("\"x12\" or \"edifact\""));
        let e = Guide::parse("g.toml", "partner = \"ACME\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (1, "set"));
        assert_eq!(
            e.to_string(),
            "g.toml:1: set: the guide narrows no set; add a [[set]] table with standard, version and id"
        );
    }
}
