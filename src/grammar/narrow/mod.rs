//! Applying an implementation guide to a grammar: the standard's structure and definitions →
//! a narrowed copy, or the guide's first contradiction of the standard.
//!
//! Phase: one [`SetGuide`] and the grammar it names → a new [`Grammar`] that shares the
//! dictionary and every definition the guide leaves alone. A segment whose elements the guide
//! narrows gets its own copy of the definition at that place in the structure (the walk hands
//! it to the element checks), so `N1` in loop `N1` can be narrowed apart from `N1` in loop
//! `PO1/N1`. Narrowing is data: a lower `max` (0 for "unused"), a mandatory flag, a shorter
//! code list, tighter lengths; the notes beside them ([`StepNote`], [`ElementNote`]) are read
//! only to word a finding.

use super::guide::{
    ElementNote, ElementRule, Error, Guide, GuideUsage, NodeRule, SetGuide, StepNote,
};
use super::tables::Walk;
use super::validate::{check_value, code_preview};
use super::{CodeList, ElementDef, ElementType, Grammar, Item, Node, Position, SegmentDef, Usage};
use std::collections::HashMap;
use std::sync::Arc;

/// The narrowed copy of `g` that `set` describes.
pub(super) fn narrow(g: &Grammar, set: &SetGuide, guide: &Guide) -> Result<Grammar, Error> {
    let mut structure = g.structure.clone();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let what = format!("{} {} {}", g.standard, g.version, g.id);
    let mut once = |key: String, line: usize, field: &str| -> Result<(), Error> {
        if let Some(first) = seen.insert(key.clone(), line) {
            return Err(guide.error(
                line,
                field,
                format!(
                    "{key} is narrowed twice in {what} (first at line {first}); say everything about it in one entry"
                ),
            ));
        }
        Ok(())
    };
    for rule in &set.loops {
        once(
            format!("loop {}", rule.path.value),
            rule.path.line,
            "set.loop.path",
        )?;
        let node = find(&mut structure, &rule.path.value, true, g)
            .map_err(|m| guide.error(rule.path.line, "set.loop.path", m))?;
        narrow_node(node, rule, guide, "set.loop")?;
    }
    for rule in &set.segments {
        once(
            format!("segment {}", rule.path.value),
            rule.path.line,
            "set.segment.path",
        )?;
        let node = find(&mut structure, &rule.path.value, false, g)
            .map_err(|m| guide.error(rule.path.line, "set.segment.path", m))?;
        narrow_node(node, rule, guide, "set.segment")?;
    }
    for rule in &set.elements {
        let (path, n, c) = element_address(&rule.at.value)
            .map_err(|m| guide.error(rule.at.line, "set.element.at", m))?;
        once(
            format!("element {}", rule.at.value),
            rule.at.line,
            "set.element.at",
        )?;
        let node = find(&mut structure, &path, false, g)
            .map_err(|m| guide.error(rule.at.line, "set.element.at", m))?;
        let Node::Segment { def, .. } = node else {
            unreachable!("find with loop = false answers segments")
        };
        let seg = Arc::make_mut(def);
        narrow_element(seg, n, c, rule, guide)?;
        seg.required = seg
            .elements
            .iter()
            .rposition(|p| p.usage == Usage::Mandatory)
            .map_or(0, |i| i + 1);
    }
    let walk = Walk::new(&structure);
    Ok(Grammar {
        standard: g.standard.clone(),
        version: g.version.clone(),
        id: g.id.clone(),
        name: g.name.clone(),
        functional_group: g.functional_group.clone(),
        hierarchy: g.hierarchy.clone(),
        structure,
        dictionary: g.dictionary.clone(),
        tags_in_set: g.tags_in_set.clone(),
        walk,
    })
}

/// Splits `PO1/N1/N101` or `LIN03-1` into the segment path (`PO1/N1/N1`, `LIN`), the 1-based
/// position and the 1-based component.
fn element_address(at: &str) -> Result<(String, usize, Option<usize>), String> {
    let bad = || {
        format!(
            "'{at}' is not an element address; write the segment tag and the two-digit position (BEG01), with '-' and the component for a composite (LIN03-1), after the loop ids for a segment in a loop (N1/N101)"
        )
    };
    let (prefix, last) = match at.rsplit_once('/') {
        Some((p, l)) => (Some(p), l),
        None => (None, at),
    };
    let (element, component) = match last.split_once('-') {
        Some((e, c)) => {
            let c: usize = c.parse().map_err(|_| bad())?;
            if c == 0 {
                return Err(bad());
            }
            (e, Some(c))
        }
        None => (last, None),
    };
    if element.len() < 4 || !element.is_ascii() {
        return Err(bad());
    }
    let (tag, pos) = element.split_at(element.len() - 2);
    if !pos.bytes().all(|b| b.is_ascii_digit()) || tag.is_empty() {
        return Err(bad());
    }
    let n: usize = pos.parse().map_err(|_| bad())?;
    if n == 0 {
        return Err(bad());
    }
    let path = match prefix {
        Some(p) => format!("{p}/{tag}"),
        None => tag.to_string(),
    };
    Ok((path, n, component))
}

/// The node `path` names: loop ids from the top level, then a segment tag (or, for a loop,
/// only loop ids). The message says where the tag or loop is when it is not there.
fn find<'s>(
    structure: &'s mut [Node],
    path: &str,
    want_loop: bool,
    g: &Grammar,
) -> Result<&'s mut Node, String> {
    let parts: Vec<&str> = path.split('/').map(str::trim).collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "'{path}' has an empty part; write loop ids and the segment tag separated by '/'"
        ));
    }
    let (last, loops) = parts.split_last().expect("split always yields a part");
    let mut body = structure;
    let mut walked = String::new();
    for id in loops {
        let at = index_of(body, |n| matches!(n, Node::Loop { id: l, .. } if l == id));
        let i = match at {
            Ok(i) => i,
            Err(count) => return Err(not_there(g, path, "loop", id, &walked, count, true)),
        };
        walked = if walked.is_empty() {
            (*id).to_string()
        } else {
            format!("{walked}/{id}")
        };
        let Node::Loop { body: inner, .. } = &mut body[i] else {
            unreachable!("matched a loop")
        };
        body = inner;
    }
    let matches = |n: &Node| match n {
        Node::Loop { id, .. } => want_loop && id == last,
        Node::Segment { def, .. } => !want_loop && def.tag == *last,
    };
    match index_of(body, matches) {
        Ok(i) => Ok(&mut body[i]),
        Err(count) => {
            let kind = if want_loop { "loop" } else { "segment" };
            Err(not_there(g, path, kind, last, &walked, count, want_loop))
        }
    }
}

/// The index of the one node of `body` that `pred` picks, or how many it picks.
fn index_of(body: &[Node], pred: impl Fn(&Node) -> bool) -> Result<usize, usize> {
    let found: Vec<usize> = (0..body.len()).filter(|&i| pred(&body[i])).collect();
    match found.as_slice() {
        [i] => Ok(*i),
        other => Err(other.len()),
    }
}

/// Why `name` is not found at `walked`: where it is instead, or that it is there twice.
fn not_there(
    g: &Grammar,
    path: &str,
    kind: &str,
    name: &str,
    walked: &str,
    count: usize,
    is_loop: bool,
) -> String {
    let place = if walked.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in loop {walked}")
    };
    if count > 1 {
        return format!(
            "{} {} has {kind} {name} {count} times {place}: '{path}' is ambiguous, and a guide cannot narrow one of them alone",
            g.id, g.version
        );
    }
    let mut places = Vec::new();
    paths_of(&g.structure, name, is_loop, "", &mut places);
    if places.is_empty() {
        format!(
            "{} {} has no {kind} {name} anywhere; a guide can only narrow what the standard has",
            g.id, g.version
        )
    } else {
        format!(
            "{} {} has no {kind} {name} {place}; write its path: {}",
            g.id,
            g.version,
            places.join(", ")
        )
    }
}

/// Every path of `name` (a segment tag, or a loop id) in `nodes`.
fn paths_of(nodes: &[Node], name: &str, is_loop: bool, prefix: &str, out: &mut Vec<String>) {
    let join = |s: &str| {
        if prefix.is_empty() {
            s.to_string()
        } else {
            format!("{prefix}/{s}")
        }
    };
    for n in nodes {
        match n {
            Node::Segment { def, .. } => {
                if !is_loop && def.tag == name {
                    out.push(join(&def.tag));
                }
            }
            Node::Loop { id, body, .. } => {
                if is_loop && id == name {
                    out.push(join(id));
                }
                paths_of(body, name, is_loop, &join(id), out);
            }
        }
    }
}

fn narrow_node(node: &mut Node, rule: &NodeRule, guide: &Guide, key: &str) -> Result<(), Error> {
    let path = &rule.path.value;
    let (kind, name, usage, max, note) = match node {
        Node::Segment {
            def,
            usage,
            max,
            guide,
        } => ("segment", def.tag.clone(), usage, max, guide),
        Node::Loop {
            id,
            usage,
            max,
            guide,
            ..
        } => ("loop", id.clone(), usage, max, guide),
    };
    let what = if path.contains('/') {
        format!("{kind} {name} at {path}")
    } else {
        format!("{kind} {name}")
    };
    let mut n = StepNote {
        origin: guide.origin(rule.path.line),
        ..StepNote::default()
    };
    if let Some(u) = &rule.usage {
        let field = format!("{key}.usage");
        n.origin = guide.origin(u.line);
        match (u.value, *usage) {
            (GuideUsage::Required, Usage::Mandatory) => {}
            (GuideUsage::Required, _) => {
                *usage = Usage::Mandatory;
                n.required = true;
            }
            (GuideUsage::Unused | GuideUsage::Optional, Usage::Mandatory) => {
                return Err(guide.error(
                    u.line,
                    &field,
                    format!(
                        "the standard makes {what} mandatory; a guide can only narrow the standard, so it cannot make it {}",
                        if u.value == GuideUsage::Unused { "unused" } else { "optional" }
                    ),
                ));
            }
            (GuideUsage::Unused, _) => {
                if let Some(m) = &rule.max {
                    return Err(guide.error(
                        m.line,
                        &format!("{key}.max"),
                        format!(
                            "{what} is unused in this guide; a maximum says nothing more: remove max or the usage"
                        ),
                    ));
                }
                *max = 0;
                n.unused = true;
            }
            (GuideUsage::Optional, _) => {}
        }
    }
    if let Some(m) = &rule.max {
        let field = format!("{key}.max");
        if m.value == 0 {
            return Err(guide.error(
                m.line,
                &field,
                format!("a maximum of 0 forbids {what}; say so with usage = \"unused\""),
            ));
        }
        if m.value > *max {
            return Err(guide.error(
                m.line,
                &field,
                format!(
                    "the standard allows {what} at most {} times; a guide can only narrow the standard, so {} is too many",
                    *max, m.value
                ),
            ));
        }
        if m.value < *max {
            n.standard_max = Some(*max);
            *max = m.value;
        }
        if rule.usage.is_none() {
            n.origin = guide.origin(m.line);
        }
    }
    *note = Some(Arc::new(n));
    Ok(())
}

fn narrow_element(
    seg: &mut SegmentDef,
    n: usize,
    c: Option<usize>,
    rule: &ElementRule,
    guide: &Guide,
) -> Result<(), Error> {
    let at = &rule.at;
    let count = seg.elements.len();
    let tag = seg.tag.clone();
    let Some(pos) = seg.elements.get_mut(n - 1) else {
        return Err(guide.error(
            at.line,
            "set.element.at",
            format!("{tag} has {count} elements; there is no {tag}{n:02}"),
        ));
    };
    let (label, pos) = match c {
        None => (format!("{tag}{n:02}"), pos),
        Some(c) => {
            let name = pos.name.clone();
            let Item::Composite { id, components } = &mut pos.item else {
                return Err(guide.error(
                    at.line,
                    "set.element.at",
                    format!("{tag}{n:02} ({name}) is a simple element; address it without a component: {tag}{n:02}"),
                ));
            };
            let len = components.len();
            let id = id.clone();
            let Some(comp) = components.get_mut(c - 1) else {
                return Err(guide.error(
                    at.line,
                    "set.element.at",
                    format!("{tag}{n:02} ({id}) has {len} components; there is no {tag}{n:02}-{c}"),
                ));
            };
            (format!("{tag}{n:02}-{c}"), comp)
        }
    };
    let mut note = ElementNote {
        origin: guide.origin(at.line),
        ..ElementNote::default()
    };
    if let Item::Simple(e) = &pos.item {
        note.standard = Some(e.clone());
    }
    let describe = format!("{label} ({})", pos.name);
    let composite = matches!(pos.item, Item::Composite { .. });
    // Code lists and lengths are a simple element's.
    let simple = |line: usize, key: &str| -> Result<(), Error> {
        if composite {
            return Err(guide.error(
                line,
                key,
                format!(
                    "{describe} is a composite; narrow its components: {label}-1, {label}-2 ..."
                ),
            ));
        }
        Ok(())
    };
    if let Some(u) = &rule.usage {
        let key = "set.element.usage";
        note.origin = guide.origin(u.line);
        match (u.value, pos.usage) {
            (GuideUsage::Required, Usage::Mandatory) => {}
            (GuideUsage::Required, _) => {
                pos.usage = Usage::Mandatory;
                note.required = true;
            }
            (GuideUsage::Unused | GuideUsage::Optional, Usage::Mandatory) => {
                return Err(guide.error(
                    u.line,
                    key,
                    format!(
                        "the standard makes {describe} mandatory; a guide can only narrow the standard, so it cannot make it {}",
                        if u.value == GuideUsage::Unused { "unused" } else { "optional" }
                    ),
                ));
            }
            (GuideUsage::Unused, _) => {
                let others = [
                    rule.codes.as_ref().map(|c| c.line),
                    rule.value.as_ref().map(|c| c.line),
                    rule.min_length.as_ref().map(|c| c.line),
                    rule.max_length.as_ref().map(|c| c.line),
                ];
                if let Some(line) = others.into_iter().flatten().next() {
                    return Err(guide.error(
                        line,
                        "set.element",
                        format!("{describe} is unused in this guide; codes, values and lengths say nothing more: remove them or the usage"),
                    ));
                }
                note.unused = true;
                let note = Arc::new(note);
                make_unused(pos, &note);
                pos.guide = Some(note);
                return Ok(());
            }
            (GuideUsage::Optional, _) => {}
        }
    }
    if let (Some(c), Some(v)) = (&rule.codes, &rule.value) {
        return Err(guide.error(
            v.line,
            "set.element.value",
            format!(
                "{describe} has both codes (line {}) and a fixed value; keep one",
                c.line
            ),
        ));
    }
    let listed = match (&rule.codes, &rule.value) {
        (Some(c), _) => Some((c.value.clone(), c.line, "set.element.codes", false)),
        (_, Some(v)) => Some((vec![v.value.clone()], v.line, "set.element.value", true)),
        _ => None,
    };
    if let Some((codes, line, key, fixed)) = listed {
        simple(line, key)?;
        let std = note.standard.as_ref().expect("a simple element");
        if codes.is_empty() {
            return Err(guide.error(
                line,
                key,
                format!(
                    "an empty list allows no value; to forbid {describe}, write usage = \"unused\""
                ),
            ));
        }
        for code in &codes {
            if let Some(list) = &std.codes
                && !list.contains(code.as_bytes())
            {
                return Err(guide.error(
                    line,
                    key,
                    format!(
                        "'{code}' is not a code of {describe} in the standard ({}); a guide can only narrow the standard's list",
                        code_preview(&list.codes)
                    ),
                ));
            }
            if let Some((_, why)) = check_value(std, code.as_bytes()) {
                return Err(guide.error(
                    line,
                    key,
                    format!("'{code}' {why} in {describe} by the standard; a guide can only narrow the standard"),
                ));
            }
        }
        note.codes = Some(codes.clone());
        note.fixed = fixed;
        note.origin = guide.origin(line);
        if let Item::Simple(e) = &mut pos.item {
            e.codes = Some(Arc::new(CodeList::new(codes)));
        }
    }
    let (mut min, mut max) = match &note.standard {
        Some(e) => (e.min, e.max),
        None => (0, 0),
    };
    let std_len = (min, max);
    for (bound, key) in [
        (&rule.min_length, "set.element.min_length"),
        (&rule.max_length, "set.element.max_length"),
    ] {
        let Some(b) = bound else { continue };
        simple(b.line, key)?;
        let is_min = key.ends_with("min_length");
        if b.value < std_len.0 || b.value > std_len.1 {
            return Err(guide.error(
                b.line,
                key,
                format!(
                    "{} {} is outside the standard's lengths for {describe} ({} to {}); a guide can only narrow the standard",
                    if is_min { "min_length" } else { "max_length" },
                    b.value,
                    std_len.0,
                    std_len.1
                ),
            ));
        }
        if is_min {
            min = b.value;
        } else {
            max = b.value;
        }
        if rule.codes.is_none() && rule.value.is_none() {
            note.origin = guide.origin(b.line);
        }
    }
    if min > max {
        let line = rule.max_length.as_ref().map_or(at.line, |m| m.line);
        return Err(guide.error(
            line,
            "set.element.max_length",
            format!("{describe}: min_length {min} is above max_length {max}; no value could pass"),
        ));
    }
    if let Item::Simple(e) = &mut pos.item {
        e.min = min;
        e.max = max;
        // A code the guide allows must still fit its lengths.
        if let Some(codes) = &note.codes
            && let Some(code) = codes
                .iter()
                .find(|c| check_value(e, c.as_bytes()).is_some())
        {
            let line = rule
                .max_length
                .as_ref()
                .or(rule.min_length.as_ref())
                .map_or(at.line, |m| m.line);
            return Err(guide.error(
                line,
                "set.element",
                format!("the guide's own code '{code}' does not fit its lengths for {describe} ({min} to {max})"),
            ));
        }
    }
    pos.guide = Some(Arc::new(note));
    Ok(())
}

/// Makes a position take no value: its elements may hold nothing (a maximum length of 0), so
/// any value fails the fast path and the slow one reports it with the guide's note.
fn make_unused(pos: &mut Position, note: &Arc<ElementNote>) {
    let nothing = |e: &mut ElementDef| {
        e.min = 0;
        e.max = 0;
        e.codes = None;
        // A text type: the value is refused for its length alone.
        e.kind = ElementType::AN;
    };
    match &mut pos.item {
        Item::Simple(e) => nothing(e),
        Item::Composite { components, .. } => {
            for c in components {
                if let Item::Simple(e) = &mut c.item {
                    nothing(e);
                }
                c.usage = Usage::Optional;
                c.guide = Some(note.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests;
