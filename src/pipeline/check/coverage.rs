//! Coverage: what a partner's files actually use, against what their grammar allows.
//!
//! Phase: after each set is placed in its grammar (the validator's placements, as `inspect`
//! shows them). Per transaction set or message type and version, over every file of a check:
//! each segment sent, by loop, how often and in how many documents, with the grammar's usage
//! and whether it fits there; each value sent in an element that has a code list (qualifiers
//! and codes), how often, and whether the list allows it; and the grammar's segments the
//! partner never sent. With an implementation-guide overlay in the grammars, "allowed" is the
//! guide's word.
//!
//! ```text
//! 850 004010 (2 documents)
//!   PO1        PO1  Baseline Item Data       M  4 in 2 documents
//!   PO1/PID    PID  Product/Item Description O  4 in 2 documents
//!   codes: PO106 Product/Service ID Qualifier  UP x4  VN x4 ...
//! ```

use super::DocumentCheck;
use crate::grammar::{Grammar, Item, Node, Placement, Usage};
use crate::syntax::{SegmentView, Standard};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The coverage of one transaction set or message type in one version.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// `x12` or `edifact`.
    pub standard: String,
    /// The version of the grammar the sets were validated with (`004010`, `D96A`).
    pub version: String,
    /// The set or message type (`850`, `ORDERS`).
    pub set_id: String,
    /// The grammar's name for it, when there is a grammar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many documents of this type the files hold.
    pub documents: usize,
    /// Every segment sent, by loop, in the grammar's order (segments the grammar does not
    /// place come last).
    pub segments: Vec<SegmentUse>,
    /// Every value sent in an element with a code list, by element and value.
    pub codes: Vec<CodeUse>,
    /// The grammar's segments no document sent, in the grammar's order.
    pub unused: Vec<Unused>,
}

/// One segment as sent in one loop.
#[derive(Debug, Clone, Serialize)]
pub struct SegmentUse {
    /// The loops it sits in, outermost first, `/`-separated (`N1`, `PO1/PID`); empty at the
    /// top level or where it was not placed.
    pub path: String,
    /// The segment tag.
    pub tag: String,
    /// The segment's name in the dictionary, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How many times it was sent there.
    pub count: usize,
    /// In how many documents.
    pub documents: usize,
    /// The grammar's usage there: `mandatory`, `optional`, `conditional`; `null` where the
    /// grammar has no such segment.
    pub usage: Option<&'static str>,
    /// The grammar's maximum repeat there, when it has the segment (for the first segment of
    /// a loop, the loop's maximum, and `usage` is the loop's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<usize>,
    /// Whether the grammar placed it (false: not in the set, unknown, or out of place; the
    /// findings say which).
    pub allowed: bool,
}

/// One value of an element with a code list.
#[derive(Debug, Clone, Serialize)]
pub struct CodeUse {
    /// The element: segment tag and position (`BEG01`), a component after a dash
    /// (`C50601-1`... as `TAGnn-c`).
    pub element: String,
    /// The element's name in the grammar.
    pub name: String,
    /// The value sent.
    pub value: String,
    /// How many times.
    pub count: usize,
    /// Whether the element's code list has it.
    pub allowed: bool,
}

/// A segment of the grammar no document sent.
#[derive(Debug, Clone, Serialize)]
pub struct Unused {
    /// The loops it sits in, `/`-separated.
    pub path: String,
    /// The segment tag.
    pub tag: String,
    /// Its name.
    pub name: String,
    /// Its usage (for a whole loop, the loop's): `mandatory`, `optional`, `conditional`.
    pub usage: &'static str,
    /// True when this stands for a whole loop never sent (`path` is then the loop's, `name`
    /// the loop's, and `tag` its first segment): its segments are not listed one by one.
    pub whole_loop: bool,
}

fn usage_name(u: Usage) -> &'static str {
    match u {
        Usage::Mandatory => "mandatory",
        Usage::Optional => "optional",
        Usage::Conditional => "conditional",
    }
}

/// A loop of a grammar's structure.
#[derive(Clone)]
struct LoopInfo {
    /// Its loop ids from the outermost, `/`-separated.
    path: String,
    name: String,
    usage: Usage,
}

/// A segment of a grammar's structure: where, and what it allows.
struct Slot {
    path: String,
    tag: String,
    name: String,
    usage: Usage,
    max: usize,
    /// The loops it is in, outermost first.
    loops: Vec<LoopInfo>,
    /// Whether it starts the innermost of them.
    starts_loop: bool,
}

/// The segments of `nodes` in order. The segment that starts a loop carries the loop's usage
/// and maximum: how often it may come is the loop's.
fn slots(nodes: &[Node], loops: &mut Vec<(LoopInfo, usize)>, out: &mut Vec<Slot>) {
    for (i, n) in nodes.iter().enumerate() {
        match n {
            Node::Segment {
                def, usage, max, ..
            } => {
                let starts_loop = i == 0 && !loops.is_empty();
                let (usage, max) = match loops.last() {
                    Some((l, m)) if starts_loop => (l.usage, *m),
                    _ => (*usage, *max),
                };
                out.push(Slot {
                    path: loops.last().map(|l| l.0.path.clone()).unwrap_or_default(),
                    tag: def.tag.clone(),
                    name: def.name.clone(),
                    usage,
                    max,
                    loops: loops.iter().map(|l| l.0.clone()).collect(),
                    starts_loop,
                });
            }
            Node::Loop {
                id,
                name,
                usage,
                max,
                body,
                ..
            } => {
                let path = match loops.last() {
                    Some((l, _)) => format!("{}/{id}", l.path),
                    None => id.clone(),
                };
                let info = LoopInfo {
                    path,
                    name: name.clone(),
                    usage: *usage,
                };
                loops.push((info, *max));
                slots(body, loops, out);
                loops.pop();
            }
        }
    }
}

#[derive(Default)]
struct Seen {
    count: usize,
    documents: usize,
    placed: bool,
}

#[derive(Default)]
struct Acc {
    standard: String,
    shape: Option<GrammarShape>,
    documents: usize,
    /// By (path, tag).
    segments: BTreeMap<(String, String), Seen>,
    /// By (element, value): name, count, allowed.
    codes: BTreeMap<(String, String), (String, usize, bool)>,
}

/// Gathers the coverage of a check's documents, type by type.
#[derive(Default)]
pub struct Gatherer {
    /// Also keep each document's segment tree ([`super::DocumentCheck::segments`]), for the
    /// HTML page.
    pub segments: bool,
    /// By (standard, version, set id).
    types: BTreeMap<(String, String, String), Acc>,
}

impl Gatherer {
    /// A gatherer with nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one set: its segments and their placements, with the grammar it was validated
    /// with (none: the segments are counted, nothing is allowed).
    pub fn add<S: Standard>(
        &mut self,
        doc: &DocumentCheck,
        grammar: Option<&Grammar>,
        segments: &[S::Segment<'_>],
        placements: &[Placement],
    ) {
        let key = (S::NAME.to_owned(), doc.version.clone(), doc.set_id.clone());
        let acc = self.types.entry(key).or_default();
        acc.standard = S::NAME.to_owned();
        acc.documents += 1;
        if acc.shape.is_none()
            && let Some(g) = grammar
        {
            acc.shape = Some(clone_shape(g));
        }
        let mut in_doc: BTreeSet<(String, String)> = BTreeSet::new();
        for (i, s) in segments.iter().enumerate() {
            let tag = s.tag_str().into_owned();
            let p = placements.get(i);
            let placed = p.is_some_and(|p| p.placed);
            let path = p.map(|p| p.loops.join("/")).unwrap_or_default();
            let key = (path, tag.clone());
            let seen = acc.segments.entry(key.clone()).or_default();
            seen.count += 1;
            seen.placed |= placed;
            if in_doc.insert(key) {
                seen.documents += 1;
            }
            // The place's definition, which a guide may have narrowed (its codes are then the
            // guide's); the dictionary's for a segment that fits nowhere.
            let def = p
                .and_then(|p| p.def.as_deref())
                .or_else(|| grammar.and_then(|g| g.dictionary.get(&tag)).map(|d| &**d));
            if let Some(def) = def {
                codes(s, def, &mut acc.codes);
            }
        }
    }

    /// The segment tree of one set, when [`Gatherer::segments`] asks for it.
    pub fn lines<S: Standard>(
        &self,
        grammar: Option<&Grammar>,
        segments: &[S::Segment<'_>],
        placements: &[Placement],
    ) -> Vec<super::SegmentLine> {
        if !self.segments {
            return Vec::new();
        }
        segments
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let tag = s.tag_str().into_owned();
                let def = grammar.and_then(|g| g.dictionary.get(&tag));
                let p = placements.get(i);
                let elements = s
                    .shown_elements()
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(j, v)| super::ElementLine {
                        id: format!("{tag}{:02}", j + 1),
                        name: def.and_then(|d| d.elements.get(j)).map(|p| p.name.clone()),
                        value: crate::syntax::text::for_message(v, 200),
                    })
                    .collect();
                super::SegmentLine {
                    index: s.index(),
                    offset: s.span().start,
                    name: def.map(|d| d.name.clone()),
                    path: p.map(|p| p.loops.join("/")).unwrap_or_default(),
                    placed: p.is_some_and(|p| p.placed),
                    tag,
                    elements,
                }
            })
            .collect()
    }

    /// The coverage of every type seen, sorted by standard, version and type.
    pub fn finish(self) -> Vec<Coverage> {
        self.types
            .into_iter()
            .map(|((standard, version, set_id), acc)| acc.finish(standard, version, set_id))
            .collect()
    }
}

/// The values of one segment's coded elements, counted into `out`.
fn codes<V: SegmentView>(
    s: &V,
    def: &crate::grammar::SegmentDef,
    out: &mut BTreeMap<(String, String), (String, usize, bool)>,
) {
    let sep = s.separators();
    for (i, raw) in s.values().enumerate() {
        let Some(pos) = def.elements.get(i) else {
            continue;
        };
        for rep in sep.repetitions(raw) {
            match &pos.item {
                Item::Simple(e) => {
                    if let Some(list) = &e.codes {
                        let name = format!("{}{:02}", def.tag, i + 1);
                        count(out, name, &pos.name, &sep.unescape(rep), list);
                    }
                }
                Item::Composite { components, .. } => {
                    for (j, v) in sep.components(rep).enumerate() {
                        let Some(c) = components.get(j) else { continue };
                        if let Item::Simple(e) = &c.item
                            && let Some(list) = &e.codes
                        {
                            let name = format!("{}{:02}-{}", def.tag, i + 1, j + 1);
                            count(out, name, &c.name, &sep.unescape(v), list);
                        }
                    }
                }
            }
        }
    }
}

fn count(
    out: &mut BTreeMap<(String, String), (String, usize, bool)>,
    element: String,
    name: &str,
    value: &[u8],
    list: &crate::grammar::CodeList,
) {
    if value.is_empty() {
        return;
    }
    let allowed = list.contains(value);
    let shown = crate::syntax::text::for_message(value, 40);
    let e = out
        .entry((element, shown))
        .or_insert_with(|| (name.to_owned(), 0, allowed));
    e.1 += 1;
}

/// The parts of a grammar coverage reads (its name and structure), kept past the check's
/// grammar set.
fn clone_shape(g: &Grammar) -> GrammarShape {
    let mut out = Vec::new();
    slots(&g.structure, &mut Vec::new(), &mut out);
    GrammarShape {
        name: g.name.clone(),
        slots: out,
    }
}

/// The grammar's segments never sent; a loop never entered is one entry, at its first
/// segment, rather than one per segment in it.
fn unused(shape: &GrammarShape, used: &BTreeMap<(String, String), Seen>) -> Vec<Unused> {
    let entered: BTreeSet<&str> = used.keys().map(|(p, _)| p.as_str()).collect();
    let loop_entered = |path: &str| {
        entered
            .iter()
            .any(|p| *p == path || p.strip_prefix(path).is_some_and(|r| r.starts_with('/')))
    };
    let mut out = Vec::new();
    for x in &shape.slots {
        if used.contains_key(&(x.path.clone(), x.tag.clone())) {
            continue;
        }
        // The outermost loop around it that was never entered, if any.
        match x.loops.iter().position(|l| !loop_entered(&l.path)) {
            None => out.push(Unused {
                path: x.path.clone(),
                tag: x.tag.clone(),
                name: x.name.clone(),
                usage: usage_name(x.usage),
                whole_loop: false,
            }),
            Some(k) if x.starts_loop && k == x.loops.len() - 1 => {
                let l = &x.loops[k];
                out.push(Unused {
                    path: l.path.clone(),
                    tag: x.tag.clone(),
                    name: l.name.clone(),
                    usage: usage_name(l.usage),
                    whole_loop: true,
                });
            }
            Some(_) => {}
        }
    }
    out
}

/// What coverage keeps of a grammar.
struct GrammarShape {
    name: String,
    slots: Vec<Slot>,
}

impl Acc {
    fn finish(self, standard: String, version: String, set_id: String) -> Coverage {
        let shape = self.shape.as_ref();
        let slot_of = |path: &str, tag: &str| {
            shape.and_then(|s| {
                s.slots
                    .iter()
                    .enumerate()
                    .find(|(_, x)| x.path == path && x.tag == tag)
            })
        };
        let mut segments: Vec<(usize, SegmentUse)> = self
            .segments
            .iter()
            .map(|((path, tag), seen)| {
                let slot = slot_of(path, tag);
                let order = slot.map_or(usize::MAX, |(i, _)| i);
                let name = slot.map(|(_, s)| s.name.clone()).or_else(|| {
                    shape.and_then(|s| {
                        s.slots
                            .iter()
                            .find(|x| &x.tag == tag)
                            .map(|x| x.name.clone())
                    })
                });
                (
                    order,
                    SegmentUse {
                        path: path.clone(),
                        tag: tag.clone(),
                        name,
                        count: seen.count,
                        documents: seen.documents,
                        usage: slot.map(|(_, s)| usage_name(s.usage)),
                        max: slot.map(|(_, s)| s.max),
                        allowed: seen.placed,
                    },
                )
            })
            .collect();
        segments.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.tag.cmp(&b.1.tag)));
        let unused = shape.map(|s| unused(s, &self.segments)).unwrap_or_default();
        let codes = self
            .codes
            .into_iter()
            .map(|((element, value), (name, count, allowed))| CodeUse {
                element,
                name,
                value,
                count,
                allowed,
            })
            .collect();
        Coverage {
            standard,
            version,
            set_id,
            name: shape.map(|s| s.name.clone()),
            documents: self.documents,
            segments: segments.into_iter().map(|(_, s)| s).collect(),
            codes,
            unused,
        }
    }
}
