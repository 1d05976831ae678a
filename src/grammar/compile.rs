//! Compiling grammar files: TOML → definitions → the tables the validator reads.
//!
//! Phase: `(path, TOML)` pairs of one standard and version → the grammars of that version. The
//! standard's base dictionary is parsed once and shared by its versions; a version's own
//! `dictionary.toml` is laid over it entry by entry ([`Layered`]) without copying the base.
//! Code lists are built when the file is read ([`super::codes::deserialize`]) and shared by
//! every element position that uses them.

use super::format::{DictionaryFile, ElementFile, Entry, RefDef, SetFile};
use super::tables::{Dictionary, Walk};
use super::{ElementDef, Error, Grammar, Item, Node, Position, Rule, SegmentDef, Usage};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// The grammars of one version, by set id.
pub(crate) type Sets = BTreeMap<String, Arc<Grammar>>;

pub(crate) fn parse_dictionary(path: &str, text: &str) -> Result<DictionaryFile, Error> {
    parse(path, text)
}

/// A grammar file's contents: from the JSON `build.rs` made of it when `text` is a built-in
/// file's TOML itself (a tenth of the time), from the TOML otherwise.
fn parse<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, Error> {
    match super::builtin::builtin_json(path, text) {
        Some(json) => serde_json::from_str(json).map_err(|e| Error::Parse {
            path: format!("{path} (built in, as JSON)"),
            message: e.to_string(),
        }),
        None => toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_string(),
            message: e.to_string(),
        }),
    }
}

/// Compiles the files of one version (`standard/version/*.toml`, in path order) over the
/// standard's parsed base dictionary.
pub(crate) fn compile_version(
    standard: &str,
    version: &str,
    base: &DictionaryFile,
    files: &[(String, &str)],
) -> Result<Sets, Error> {
    let is_dictionary = |p: &str| p.ends_with("/dictionary.toml");
    let mut over: Option<DictionaryFile> = None;
    for (path, text) in files.iter().filter(|(p, _)| is_dictionary(p)) {
        let d = parse_dictionary(path, text)?;
        match &mut over {
            Some(o) => o.merge(d),
            None => over = Some(d),
        }
    }
    let layered = Layered {
        base,
        over: over.as_ref(),
    };
    let dict = Arc::new(compile_dictionary(
        &layered,
        &format!("{standard}/{version}"),
    )?);
    let mut out = Sets::new();
    for (path, text) in files.iter().filter(|(p, _)| !is_dictionary(p)) {
        let set: SetFile = parse(path, text)?;
        let g = compile_set(standard, version, path, set, &dict)?;
        out.insert(g.id.clone(), Arc::new(g));
    }
    Ok(out)
}

/// A version's dictionary entries over the standard's: an entry of `over` replaces the base
/// entry with the same id as a whole.
struct Layered<'a> {
    base: &'a DictionaryFile,
    over: Option<&'a DictionaryFile>,
}

impl Layered<'_> {
    fn element(&self, id: &str) -> Option<&ElementFile> {
        self.over
            .and_then(|o| o.elements.get(id))
            .or_else(|| self.base.elements.get(id))
    }

    fn composite(&self, id: &str) -> Option<&super::format::CompositeFile> {
        self.over
            .and_then(|o| o.composites.get(id))
            .or_else(|| self.base.composites.get(id))
    }

    /// Every segment, in tag order.
    fn segments(&self) -> Vec<(&String, &super::format::SegmentFile)> {
        let mut all: BTreeMap<&String, &super::format::SegmentFile> =
            self.base.segments.iter().collect();
        if let Some(o) = self.over {
            all.extend(o.segments.iter());
        }
        all.into_iter().collect()
    }
}

fn compile_dictionary(d: &Layered<'_>, path: &str) -> Result<Dictionary, Error> {
    let mut out = Vec::new();
    for (tag, seg) in d.segments() {
        let elements = seg
            .elements
            .iter()
            .map(|r| compile_position(d, r, path, tag))
            .collect::<Result<Vec<_>, _>>()?;
        let rules = seg
            .rules
            .iter()
            .map(|r| parse_rule(r).ok_or_else(|| Error::Reference {
                path: path.to_string(),
                message: format!("segment {tag}: syntax note '{r}' is not of the form P0102, R0203, E0203, C0203 or L020304"),
            }))
            .collect::<Result<Vec<_>, _>>()?;
        let required = elements
            .iter()
            .rposition(|p| p.usage == Usage::Mandatory)
            .map_or(0, |i| i + 1);
        out.push(Arc::new(SegmentDef {
            tag: tag.clone(),
            name: seg.name.clone(),
            elements,
            rules,
            required,
        }));
    }
    Ok(Dictionary::new(out))
}

fn compile_position(
    d: &Layered<'_>,
    r: &RefDef,
    path: &str,
    owner: &str,
) -> Result<Position, Error> {
    let missing = |what: &str, id: &str| Error::Reference {
        path: path.to_string(),
        message: format!("{owner}: {what} '{id}' is not defined in the dictionary"),
    };
    let item = match (&r.id, &r.composite) {
        (Some(id), None) => {
            let e = d.element(id).ok_or_else(|| missing("element", id))?;
            Item::Simple(ElementDef {
                id: id.clone(),
                name: e.name.clone(),
                kind: e.kind,
                min: e.min,
                max: e.max,
                codes: r.codes.clone().or_else(|| e.codes.clone()),
            })
        }
        (None, Some(cid)) => {
            let c = d.composite(cid).ok_or_else(|| missing("composite", cid))?;
            let components = c
                .elements
                .iter()
                .map(|cr| compile_position(d, cr, path, cid))
                .collect::<Result<Vec<_>, _>>()?;
            Item::Composite {
                id: cid.clone(),
                components,
            }
        }
        _ => {
            return Err(Error::Reference {
                path: path.to_string(),
                message: format!(
                    "{owner}: an element entry needs exactly one of 'id' or 'composite'"
                ),
            });
        }
    };
    let name = r.name.clone().unwrap_or_else(|| match &item {
        Item::Simple(e) => e.name.clone(),
        Item::Composite { id, .. } => d.composite(id).map(|c| c.name.clone()).unwrap_or_default(),
    });
    Ok(Position {
        usage: r.usage,
        repeat: r.repeat.max(1),
        name,
        item,
        guide: None,
    })
}

pub(crate) fn parse_rule(text: &str) -> Option<Rule> {
    let t = text.trim();
    let kind = *t.as_bytes().first()?;
    if !matches!(kind, b'P' | b'R' | b'E' | b'C' | b'L') {
        return None;
    }
    let digits = &t[1..];
    if digits.len() < 4
        || !digits.len().is_multiple_of(2)
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let positions: Vec<usize> = (0..digits.len())
        .step_by(2)
        .map(|i| digits[i..i + 2].parse().expect("two digits"))
        .collect();
    let mask = positions.iter().fold(0u128, |m, &p| m | 1 << p);
    Some(Rule {
        kind,
        mask: if mask.count_ones() as usize == positions.len() {
            mask
        } else {
            0
        },
        first: 1 << positions[0],
        positions,
        text: t.to_string(),
    })
}

fn compile_set(
    standard: &str,
    version: &str,
    path: &str,
    set: SetFile,
    dict: &Arc<Dictionary>,
) -> Result<Grammar, Error> {
    let mut tags = HashSet::new();
    let structure = compile_entries(&set.structure, path, dict, &mut tags)?;
    if structure.is_empty() {
        return Err(Error::Reference {
            path: path.to_string(),
            message: "the structure is empty".into(),
        });
    }
    let walk = Walk::new(&structure);
    Ok(Grammar {
        standard: standard.to_string(),
        version: version.to_string(),
        id: set.id,
        name: set.name,
        functional_group: set.functional_group,
        hierarchy: set.hierarchy,
        structure,
        dictionary: dict.clone(),
        tags_in_set: tags,
        walk,
    })
}

fn compile_entries(
    entries: &[Entry],
    path: &str,
    dict: &Dictionary,
    tags: &mut HashSet<String>,
) -> Result<Vec<Node>, Error> {
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        match (&e.segment, &e.loop_id) {
            (Some(tag), None) => {
                let def = dict.get(tag).ok_or_else(|| Error::Reference {
                    path: path.to_string(),
                    message: format!("segment '{tag}' is not defined in the dictionary"),
                })?;
                tags.insert(tag.clone());
                out.push(Node::Segment {
                    def: def.clone(),
                    usage: e.usage,
                    max: e.max,
                    guide: None,
                });
            }
            (None, Some(id)) => {
                let body = compile_entries(&e.body, path, dict, tags)?;
                if !matches!(body.first(), Some(Node::Segment { .. })) {
                    return Err(Error::Reference {
                        path: path.to_string(),
                        message: format!("loop '{id}' must start with a segment"),
                    });
                }
                out.push(Node::Loop {
                    id: id.clone(),
                    name: e.name.clone().unwrap_or_else(|| id.clone()),
                    usage: e.usage,
                    max: e.max,
                    body,
                    guide: None,
                });
            }
            _ => {
                return Err(Error::Reference {
                    path: path.to_string(),
                    message: "a structure entry needs exactly one of 'segment' or 'loop'".into(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse() {
        let r = parse_rule("L020304").unwrap();
        assert_eq!(r.kind, b'L');
        assert_eq!(r.positions, [2, 3, 4]);
        assert!(parse_rule("X0102").is_none());
        assert!(parse_rule("P012").is_none());
        assert_eq!(r.mask, 0b11100);
        assert_eq!(
            parse_rule("E0101").unwrap().mask,
            0,
            "no quick test for repeats"
        );
    }

    const BASE: &str = r#"
[elements]
"1" = { name = "One", type = "ID", min = 1, max = 2, codes = ["A", "B"] }
"2" = { name = "Two", type = "AN", min = 1, max = 5 }
[composites]
"C1" = { name = "Comp", elements = [{ id = "1" }, { id = "2" }] }
[segments]
"AA" = { name = "Aa", elements = [{ id = "1", usage = "M" }, { composite = "C1" }] }
"BB" = { name = "Bb", elements = [{ id = "2" }] }
"#;

    const SET: &str = r#"
id = "100"
name = "Test"
structure = [
  { segment = "AA", usage = "M" },
  { loop = "BB", max = 9, body = [{ segment = "BB", usage = "M" }, { segment = "AA" }] },
]
"#;

    #[test]
    fn a_version_dictionary_replaces_whole_entries_and_shares_the_rest() {
        let base = parse_dictionary("t/dictionary.toml", BASE).unwrap();
        let over = r#"
[elements]
"1" = { name = "One again", type = "ID", min = 1, max = 3, codes = ["C"] }
[segments]
"CC" = { name = "Cc", elements = [{ id = "2" }] }
"#;
        let files = [
            ("t/v2/100.toml".to_string(), SET),
            ("t/v2/dictionary.toml".to_string(), over),
        ];
        let sets = compile_version("t", "v2", &base, &files).unwrap();
        let g = &sets["100"];
        let aa = g.dictionary.get("AA").unwrap();
        let Item::Simple(e) = &aa.elements[0].item else {
            panic!("simple")
        };
        assert_eq!((e.name.as_str(), e.max), ("One again", 3));
        assert!(e.codes.as_ref().unwrap().contains(b"C"));
        assert!(g.dictionary.contains_key("CC") && g.dictionary.contains_key("BB"));
        // The base itself is untouched, and a version without an overlay reads it alone.
        let plain = compile_version("t", "v1", &base, &files[..1]).unwrap();
        let aa = plain["100"].dictionary.get("AA").unwrap();
        let Item::Simple(e) = &aa.elements[0].item else {
            panic!("simple")
        };
        assert_eq!(e.name, "One");
        assert!(!plain["100"].dictionary.contains_key("CC"));
        // The code list of the base is one list, shared by the positions that use it.
        let Item::Composite { components, .. } = &aa.elements[1].item else {
            panic!("composite")
        };
        let Item::Simple(inner) = &components[0].item else {
            panic!("simple")
        };
        assert!(Arc::ptr_eq(
            e.codes.as_ref().unwrap(),
            inner.codes.as_ref().unwrap()
        ));
    }

    #[test]
    fn the_walk_tables_follow_the_structure() {
        let base = parse_dictionary("t/dictionary.toml", BASE).unwrap();
        let sets = compile_version("t", "v1", &base, &[("t/v1/100.toml".into(), SET)]).unwrap();
        let w = &sets["100"].walk;
        assert_eq!((w.steps.len(), w.bodies.len(), w.depth), (4, 2, 2));
        let root = &w.bodies[0];
        assert_eq!((root.start, root.end, root.first_mandatory), (0, 2, 0));
        assert_eq!(w.steps[1].child, Some(1));
        assert_eq!(&*w.steps[1].what, "loop BB (starting with BB)");
        let body = &w.bodies[1];
        assert_eq!(body.loop_id.as_deref(), Some("BB"));
        assert_eq!((body.start, body.end, body.first_mandatory), (2, 4, 2));
        assert_eq!(body.mandatory_from(&w.steps, 2).collect::<Vec<_>>(), [2]);
        assert_eq!(body.mandatory_from(&w.steps, 3).count(), 0);
        assert_eq!(root.mandatory_from(&w.steps, 1).count(), 0);
        let aa = crate::grammar::tables::key(b"AA");
        let bb = crate::grammar::tables::key(b"BB");
        assert_eq!(w.find(0, 0, aa, b"AA"), Some(0));
        assert_eq!(w.find(0, 1, aa, b"AA"), None);
        assert_eq!(w.find(0, 0, bb, b"BB"), Some(1));
        assert_eq!(w.find(1, 3, aa, b"AA"), Some(3));
        assert_eq!(w.find(1, 3, bb, b"BB"), None);
    }

    #[test]
    fn the_same_tag_twice_in_a_body_is_found_from_where_the_walk_is() {
        let base = parse_dictionary("t/dictionary.toml", BASE).unwrap();
        let set = r#"
id = "100"
name = "Test"
structure = [
  { segment = "AA" }, { segment = "BB" }, { segment = "AA", usage = "M" },
  { loop = "AA", body = [{ segment = "AA" }, { segment = "BB" }, { segment = "BB" }] },
]
"#;
        let sets = compile_version("t", "v1", &base, &[("t/v1/100.toml".into(), set)]).unwrap();
        let w = &sets["100"].walk;
        let (aa, bb) = (
            crate::grammar::tables::key(b"AA"),
            crate::grammar::tables::key(b"BB"),
        );
        let found: Vec<_> = (0..5).map(|from| w.find(0, from, aa, b"AA")).collect();
        assert_eq!(found, [Some(0), Some(2), Some(2), Some(3), None]);
        assert_eq!(w.find(1, 5, bb, b"BB"), Some(5));
        assert_eq!(w.find(1, 6, bb, b"BB"), Some(6));
        assert_eq!(w.find(1, 7, bb, b"BB"), None);
        assert_eq!(w.find(1, 4, aa, b"AA"), Some(4));
        assert_eq!(
            w.find(0, 0, crate::grammar::tables::key(b"CC"), b"CC"),
            None
        );
        // Tags too long to pack are compared as bytes.
        let long = crate::grammar::tables::key(b"LONGTAG1");
        assert_eq!(w.find(0, 0, long, b"LONGTAG1"), None);
    }
}
