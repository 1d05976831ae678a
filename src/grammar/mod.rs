//! Grammars: declarative descriptions of segments, elements and transaction-set structures, and
//! the validator that checks a transaction set against them.
//!
//! Phase: segments → findings. Grammar files are TOML (the format is documented in
//! `grammars/README.md`); the ones under `grammars/` are compiled in, and a directory given with
//! `--grammars` replaces or adds files by relative path. A [`GrammarSet`] picks the grammar for a
//! version and set id, falling back to the nearest version it has (with a warning) when a partner
//! sends one we do not ship (004030, 003010, 002040...).
//!
//! ```
//! use tallyman::grammar::GrammarSet;
//! let set = GrammarSet::builtin().unwrap();
//! let (g, fallback) = set.x12("004010VICS", "850").unwrap();
//! assert_eq!(g.version, "004010");
//! assert!(fallback.is_some());
//! ```

mod format;
mod validate;

pub use format::{ElementType, Usage};
pub use validate::{Placement, Strictness, Validation, validate};

use format::{DictionaryFile, Entry, RefDef, SetFile};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Grammar files compiled into the binary: `(path relative to grammars/, contents)`.
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_grammars.rs"));

/// A grammar file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file is not valid TOML or not of the grammar format.
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    /// A reference to an element, composite or segment that no dictionary defines.
    #[error("{path}: {message}")]
    Reference { path: String, message: String },
}

/// An element definition.
#[derive(Debug, Clone)]
pub struct ElementDef {
    pub id: String,
    pub name: String,
    pub kind: ElementType,
    pub min: usize,
    pub max: usize,
    pub codes: Option<Arc<CodeList>>,
}

/// An element's allowed codes, in file order for messages and sorted for lookups (some lists
/// hold over a thousand codes, and every ID element is checked). Codes of up to eight bytes
/// are compared as integers.
#[derive(Debug, Clone)]
pub struct CodeList {
    pub codes: Vec<String>,
    short: Vec<u64>,
    long: Vec<Box<[u8]>>,
}

fn code_key(v: &[u8]) -> Option<u64> {
    // The length goes in the low byte so "01" and "1" differ.
    (v.len() <= 7)
        .then(|| v.iter().fold(0u64, |k, &b| (k << 8) | u64::from(b)) << 8 | v.len() as u64)
}

impl CodeList {
    pub fn new(codes: Vec<String>) -> Self {
        let mut short = Vec::new();
        let mut long: Vec<Box<[u8]>> = Vec::new();
        for c in &codes {
            match code_key(c.as_bytes()) {
                Some(k) => short.push(k),
                None => long.push(c.as_bytes().into()),
            }
        }
        short.sort_unstable();
        short.dedup();
        long.sort();
        CodeList { codes, short, long }
    }

    pub fn contains(&self, value: &[u8]) -> bool {
        match code_key(value) {
            Some(k) => self.short.binary_search(&k).is_ok(),
            None => self
                .long
                .binary_search_by(|c| c.as_ref().cmp(value))
                .is_ok(),
        }
    }
}

/// An element in a segment or composite position.
#[derive(Debug, Clone)]
pub struct Position {
    pub usage: Usage,
    pub repeat: usize,
    pub name: String,
    pub item: Item,
}

/// What sits in a position: a simple element or a composite.
#[derive(Debug, Clone)]
pub enum Item {
    Simple(ElementDef),
    Composite {
        id: String,
        components: Vec<Position>,
    },
}

impl Position {
    /// The element id (`353`) or composite id (`C001`).
    pub fn id(&self) -> &str {
        match &self.item {
            Item::Simple(e) => &e.id,
            Item::Composite { id, .. } => id,
        }
    }
}

/// An X12 syntax note: `P0102`, `R0203`, `E0203`, `C0203`, `L020304`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub kind: u8,
    pub positions: Vec<usize>,
    pub text: String,
}

/// A segment definition.
#[derive(Debug, Clone)]
pub struct SegmentDef {
    pub tag: String,
    pub name: String,
    pub elements: Vec<Position>,
    pub rules: Vec<Rule>,
}

/// A segment tag packed into an integer, so structure walks and dictionary lookups compare
/// one word instead of strings. Tags longer than four bytes never match a dictionary entry.
pub fn tag_key(tag: &[u8]) -> u32 {
    if tag.len() > 4 {
        return u32::MAX;
    }
    tag.iter().fold(0u32, |k, &b| (k << 8) | u32::from(b))
}

/// The segments of a version, by tag.
#[derive(Debug, Default)]
pub struct Dictionary {
    by_tag: HashMap<String, Arc<SegmentDef>>,
    /// Sorted by key, for lookups with the bytes of a segment.
    by_key: Vec<(u32, Arc<SegmentDef>)>,
}

impl Dictionary {
    fn new(by_tag: HashMap<String, Arc<SegmentDef>>) -> Self {
        let mut by_key: Vec<(u32, Arc<SegmentDef>)> = by_tag
            .iter()
            .map(|(t, d)| (tag_key(t.as_bytes()), d.clone()))
            .collect();
        by_key.sort_by_key(|(k, _)| *k);
        Dictionary { by_tag, by_key }
    }

    pub fn get(&self, tag: &str) -> Option<&Arc<SegmentDef>> {
        self.by_tag.get(tag)
    }

    /// Looks a segment up by the bytes of its tag.
    pub fn get_bytes(&self, tag: &[u8]) -> Option<&Arc<SegmentDef>> {
        let key = tag_key(tag);
        self.by_key
            .binary_search_by_key(&key, |(k, _)| *k)
            .ok()
            .map(|i| &self.by_key[i].1)
    }

    pub fn contains_key(&self, tag: &str) -> bool {
        self.by_tag.contains_key(tag)
    }
}

/// A node of a transaction-set structure.
#[derive(Debug, Clone)]
pub enum Node {
    Segment {
        def: Arc<SegmentDef>,
        usage: Usage,
        max: usize,
        key: u32,
    },
    Loop {
        id: String,
        name: String,
        usage: Usage,
        max: usize,
        body: Vec<Node>,
        key: u32,
    },
}

impl Node {
    /// [`tag_key`] of the tag that starts this node.
    pub fn trigger_key(&self) -> u32 {
        match self {
            Node::Segment { key, .. } | Node::Loop { key, .. } => *key,
        }
    }

    /// The tag that starts this node (a loop starts with its first segment).
    pub fn trigger(&self) -> &str {
        match self {
            Node::Segment { def, .. } => &def.tag,
            Node::Loop { body, .. } => body[0].trigger(),
        }
    }

    pub fn usage(&self) -> Usage {
        match self {
            Node::Segment { usage, .. } | Node::Loop { usage, .. } => *usage,
        }
    }

    pub fn max(&self) -> usize {
        match self {
            Node::Segment { max, .. } | Node::Loop { max, .. } => *max,
        }
    }
}

/// The grammar of one transaction set in one version.
#[derive(Debug)]
pub struct Grammar {
    pub standard: String,
    pub version: String,
    pub id: String,
    pub name: String,
    pub functional_group: Option<String>,
    pub hierarchy: Option<Vec<String>>,
    pub structure: Vec<Node>,
    /// Every segment of the version's dictionary (for "not in this set" versus "unknown").
    pub dictionary: Arc<Dictionary>,
    /// Tags that occur anywhere in this set's structure.
    pub tags_in_set: std::collections::HashSet<String>,
}

/// All grammars, by standard, version and set id.
#[derive(Debug, Default)]
pub struct GrammarSet {
    /// ("x12", "004010") → set id → grammar.
    sets: BTreeMap<(String, String), BTreeMap<String, Arc<Grammar>>>,
}

impl GrammarSet {
    /// The grammars compiled into the binary.
    pub fn builtin() -> Result<Self, Error> {
        let files: BTreeMap<String, String> = BUILTIN
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        Self::from_files(&files)
    }

    /// The built-in grammars with `files` (relative path such as `x12/004010/850.toml` →
    /// TOML) laid over them: same relative paths replace, new ones add. Reading them from a
    /// folder is the caller's business (`pipeline::settings::read_toml_files`).
    pub fn with_overrides(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let mut all: BTreeMap<String, String> = BUILTIN
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        all.extend(files);
        Self::from_files(&all)
    }

    /// Builds the set from `(relative path, TOML)` pairs.
    pub fn from_files(files: &BTreeMap<String, String>) -> Result<Self, Error> {
        let mut out = GrammarSet::default();
        for standard in ["x12", "edifact"] {
            let base_path = format!("{standard}/dictionary.toml");
            let base = match files.get(&base_path) {
                Some(text) => parse_dictionary(&base_path, text)?,
                None => continue,
            };
            // Version folders: every "<standard>/<version>/<file>.toml".
            let mut versions: BTreeMap<String, Vec<(&String, &String)>> = BTreeMap::new();
            for (path, text) in files {
                let parts: Vec<&str> = path.split('/').collect();
                if parts.len() == 3 && parts[0] == standard {
                    versions
                        .entry(parts[1].to_string())
                        .or_default()
                        .push((path, text));
                }
            }
            for (version, vfiles) in versions {
                let mut dict = base.clone();
                for (path, text) in &vfiles {
                    if path.ends_with("/dictionary.toml") {
                        dict.merge(parse_dictionary(path, text)?);
                    }
                }
                let compiled = Arc::new(Dictionary::new(compile_dictionary(
                    &dict,
                    &format!("{standard}/{version}"),
                )?));
                for (path, text) in vfiles {
                    if path.ends_with("/dictionary.toml") {
                        continue;
                    }
                    let set: SetFile = toml::from_str(text).map_err(|e| Error::Parse {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                    let g = compile_set(standard, &version, path, set, &compiled)?;
                    out.sets
                        .entry((standard.to_string(), version.clone()))
                        .or_default()
                        .insert(g.id.clone(), Arc::new(g));
                }
            }
        }
        Ok(out)
    }

    /// The versions that have grammars, for a standard.
    pub fn versions(&self, standard: &str) -> Vec<&str> {
        self.sets
            .keys()
            .filter(|(s, _)| s == standard)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The X12 grammar for `version` (GS08 or ST03, e.g. `004010VICS`) and set id. When the
    /// exact version is not available, the nearest lower version that has the set is used (or
    /// the lowest higher one), and the second value says so.
    pub fn x12(&self, version: &str, set_id: &str) -> Option<(Arc<Grammar>, Option<String>)> {
        let v = version.trim();
        let base: String = v.chars().take(6).collect();
        if let Some(g) = self
            .sets
            .get(&("x12".to_string(), base.clone()))
            .and_then(|m| m.get(set_id))
            && base.len() == v.len()
        {
            return Some((g.clone(), None));
        }
        let wanted: u64 = base.parse().unwrap_or(0);
        let mut candidates: Vec<(u64, &Arc<Grammar>)> = self
            .sets
            .iter()
            .filter(|((s, _), _)| s == "x12")
            .filter_map(|((_, ver), m)| Some((ver.parse::<u64>().ok()?, m.get(set_id)?)))
            .collect();
        candidates.sort_by_key(|(n, _)| *n);
        let chosen = candidates
            .iter()
            .rev()
            .find(|(n, _)| *n <= wanted)
            .or_else(|| candidates.first())?;
        let g = chosen.1.clone();
        let note = format!(
            "version '{v}' has no grammar of its own; {set_id} is validated against {}",
            g.version
        );
        Some((g, Some(note)))
    }

    /// The EDIFACT grammar for a directory (`D96A`) and message type. Other directories fall
    /// back to the nearest earlier one that has the message (or the earliest later one), and
    /// the second value says so.
    pub fn edifact(
        &self,
        directory: &str,
        message: &str,
    ) -> Option<(Arc<Grammar>, Option<String>)> {
        if let Some(g) = self
            .sets
            .get(&("edifact".to_string(), directory.to_string()))
            .and_then(|m| m.get(message))
        {
            return Some((g.clone(), None));
        }
        let wanted = directory_key(directory).unwrap_or((0, 0));
        let mut candidates: Vec<((u32, u8), &Arc<Grammar>)> = self
            .sets
            .iter()
            .filter(|((s, _), _)| s == "edifact")
            .filter_map(|((_, dir), m)| Some((directory_key(dir)?, m.get(message)?)))
            .collect();
        candidates.sort_by_key(|(k, _)| *k);
        let chosen = candidates
            .iter()
            .rev()
            .find(|(k, _)| *k <= wanted)
            .or_else(|| candidates.first())?;
        let g = chosen.1.clone();
        let note = format!(
            "directory '{directory}' has no grammar of its own; {message} is validated against {}",
            g.version
        );
        Some((g, Some(note)))
    }

    /// Every grammar, for listing.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Grammar>> {
        self.sets.values().flat_map(|m| m.values())
    }
}

/// Orders EDIFACT directories: `D96A` is (1996, A), `D01B` is (2001, B).
fn directory_key(d: &str) -> Option<(u32, u8)> {
    let b = d.as_bytes();
    if b.len() != 4 || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
        return None;
    }
    let yy = u32::from(b[1] - b'0') * 10 + u32::from(b[2] - b'0');
    Some((if yy >= 90 { 1900 + yy } else { 2000 + yy }, b[3]))
}

fn parse_dictionary(path: &str, text: &str) -> Result<DictionaryFile, Error> {
    toml::from_str(text).map_err(|e| Error::Parse {
        path: path.to_string(),
        message: e.to_string(),
    })
}

fn compile_dictionary(
    d: &DictionaryFile,
    path: &str,
) -> Result<HashMap<String, Arc<SegmentDef>>, Error> {
    let mut out = HashMap::new();
    for (tag, seg) in &d.segments {
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
        out.insert(
            tag.clone(),
            Arc::new(SegmentDef {
                tag: tag.clone(),
                name: seg.name.clone(),
                elements,
                rules,
            }),
        );
    }
    Ok(out)
}

fn compile_position(
    d: &DictionaryFile,
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
            let e = d.elements.get(id).ok_or_else(|| missing("element", id))?;
            let codes = r.codes.clone().or_else(|| e.codes.clone());
            Item::Simple(ElementDef {
                id: id.clone(),
                name: e.name.clone(),
                kind: e.kind,
                min: e.min,
                max: e.max,
                codes: codes.map(|c| Arc::new(CodeList::new(c))),
            })
        }
        (None, Some(cid)) => {
            let c = d
                .composites
                .get(cid)
                .ok_or_else(|| missing("composite", cid))?;
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
        Item::Composite { id, .. } => d
            .composites
            .get(id)
            .map(|c| c.name.clone())
            .unwrap_or_default(),
    });
    Ok(Position {
        usage: r.usage,
        repeat: r.repeat.max(1),
        name,
        item,
    })
}

fn parse_rule(text: &str) -> Option<Rule> {
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
    let positions = (0..digits.len())
        .step_by(2)
        .map(|i| digits[i..i + 2].parse().expect("two digits"))
        .collect();
    Some(Rule {
        kind,
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
    let mut tags = std::collections::HashSet::new();
    let structure = compile_entries(&set.structure, path, dict, &mut tags)?;
    if structure.is_empty() {
        return Err(Error::Reference {
            path: path.to_string(),
            message: "the structure is empty".into(),
        });
    }
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
    })
}

fn compile_entries(
    entries: &[Entry],
    path: &str,
    dict: &Dictionary,
    tags: &mut std::collections::HashSet<String>,
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
                    key: tag_key(tag.as_bytes()),
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
                let key = body[0].trigger_key();
                out.push(Node::Loop {
                    key,
                    id: id.clone(),
                    name: e.name.clone().unwrap_or_else(|| id.clone()),
                    usage: e.usage,
                    max: e.max,
                    body,
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
    fn code_lists() {
        let c = CodeList::new(vec![
            "00".into(),
            "1".into(),
            "ZZ".into(),
            "LONGER CODE".into(),
        ]);
        assert!(c.contains(b"00") && c.contains(b"1") && c.contains(b"LONGER CODE"));
        assert!(
            !c.contains(b"01") && !c.contains(b"0") && !c.contains(b"") && !c.contains(b"LONGER")
        );
    }

    #[test]
    fn rules_parse() {
        let r = parse_rule("L020304").unwrap();
        assert_eq!(r.kind, b'L');
        assert_eq!(r.positions, [2, 3, 4]);
        assert!(parse_rule("X0102").is_none());
        assert!(parse_rule("P012").is_none());
    }

    #[test]
    fn builtin_grammars_load() {
        let set = GrammarSet::builtin().expect("built-in grammars are valid");
        for v in ["004010", "005010"] {
            for id in ["850", "856", "810", "997"] {
                let (g, fb) = set.x12(v, id).unwrap_or_else(|| panic!("{v} {id}"));
                assert_eq!(g.version, v);
                assert!(fb.is_none());
            }
        }
    }

    #[test]
    fn version_fallback_picks_nearest_lower() {
        let set = GrammarSet::builtin().unwrap();
        assert_eq!(set.x12("004030", "810").unwrap().0.version, "004010");
        assert_eq!(set.x12("005030", "850").unwrap().0.version, "005010");
        assert_eq!(set.x12("002040", "810").unwrap().0.version, "004010");
        assert_eq!(set.x12("005010X222A1", "850").unwrap().0.version, "005010");
        assert!(set.x12("004010", "999").is_none());
    }
}
