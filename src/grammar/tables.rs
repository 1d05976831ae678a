//! The compiled tables the validator reads: segment definitions by tag, and a transaction set's
//! structure flattened into index tables.
//!
//! Phase: compiled definitions → lookup tables, once per grammar. A tag is packed into one word
//! ([`super::codes::pack`]: up to seven bytes and the length), so finding a segment definition
//! is a multiplication and usually one comparison. The structure tree becomes one array of
//! [`Step`]s in which every loop body is a contiguous range ([`Body`]); the walk keeps a stack
//! of (body, position) pairs and one array of counts indexed like the steps, so entering a loop
//! clears a range instead of allocating.

use super::codes::{pack, slot, table_bits};
use super::guide::StepNote;
use super::{Node, SegmentDef, Usage};
use std::sync::Arc;

/// The packed form of a tag for the tables; `LONG` for tags that do not fit, which are then
/// compared as bytes.
#[inline]
pub(crate) fn key(tag: &[u8]) -> u64 {
    pack(tag).unwrap_or(LONG)
}

/// The key shared by all tags of more than seven bytes.
pub(crate) const LONG: u64 = u64::MAX;

/// Mixed into a key so that the same tag in different bodies lands in different slots.
#[inline]
fn body_salt(body: usize) -> u64 {
    (body as u64).wrapping_mul(0xA076_1D64_78BD_642F)
}

/// The segments of a version, by tag.
#[derive(Debug, Default)]
pub struct Dictionary {
    /// In tag order.
    segments: Vec<Arc<SegmentDef>>,
    /// Open addressing over [`key`]: (key, index + 1 into `segments`); index 0 marks a free slot.
    slots: Box<[(u64, u32)]>,
    bits: u32,
}

impl Dictionary {
    pub(crate) fn new(mut segments: Vec<Arc<SegmentDef>>) -> Self {
        segments.sort_by(|a, b| a.tag.cmp(&b.tag));
        segments.dedup_by(|b, a| a.tag == b.tag);
        let bits = table_bits(segments.len());
        let mut slots = vec![(0u64, 0u32); 1 << bits].into_boxed_slice();
        let mask = slots.len() - 1;
        for (i, d) in segments.iter().enumerate() {
            let k = key(d.tag.as_bytes());
            if k == LONG {
                continue;
            }
            let mut s = slot(k, bits);
            while slots[s].1 != 0 {
                s = (s + 1) & mask;
            }
            slots[s] = (k, u32::try_from(i + 1).expect("fewer than 2^32 segments"));
        }
        Dictionary {
            segments,
            slots,
            bits,
        }
    }

    pub fn get(&self, tag: &str) -> Option<&Arc<SegmentDef>> {
        self.get_bytes(tag.as_bytes())
    }

    /// Looks a segment up by the bytes of its tag.
    #[inline]
    pub fn get_bytes(&self, tag: &[u8]) -> Option<&Arc<SegmentDef>> {
        let k = key(tag);
        if k == LONG {
            return self.segments.iter().find(|d| d.tag.as_bytes() == tag);
        }
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut s = slot(k, self.bits);
        loop {
            match self.slots[s] {
                (_, 0) => return None,
                (x, i) if x == k => return Some(&self.segments[i as usize - 1]),
                _ => s = (s + 1) & mask,
            }
        }
    }

    pub fn contains_key(&self, tag: &str) -> bool {
        self.get(tag).is_some()
    }

    /// Every segment, in tag order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<SegmentDef>> {
        self.segments.iter()
    }

    pub fn len(&self) -> usize {
        self.segments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }
}

/// A transaction set's structure as index tables.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    pub steps: Vec<Step>,
    /// Body 0 is the top level.
    pub bodies: Vec<Body>,
    /// The deepest nesting, the top level counting as one.
    pub depth: usize,
    /// How many steps have a segment definition with syntax notes ([`Step::notes`]).
    pub noted: usize,
    /// This walk's number, unique in the process: what the walker's per-thread memory of
    /// presence patterns is kept under (see `walk::Remembered`).
    pub id: u64,
    /// Open addressing over (body, [`key`]): (key, body, first step of the body with that key,
    /// as index + 1; 0 marks a free slot). Tags that do not pack are left out.
    starts: Box<[(u64, u32, u32)]>,
    bits: u32,
}

/// The nodes of one loop (or of the top level): `steps[start..end]`.
#[derive(Debug)]
pub(crate) struct Body {
    pub start: usize,
    pub end: usize,
    /// `None` for the top level.
    pub loop_id: Option<Box<str>>,
    /// The first mandatory step of the body, or `end`.
    pub first_mandatory: usize,
}

/// One node of the structure: a segment, or a loop entered by its first segment.
#[derive(Debug)]
pub(crate) struct Step {
    /// [`key`] of the tag that starts the node.
    pub key: u64,
    /// That tag, for tags that do not pack.
    pub tag: Box<str>,
    pub mandatory: bool,
    pub max: usize,
    /// The loop's body, for a loop.
    pub child: Option<usize>,
    /// The segment tag or loop id, as over-maximum messages name it.
    pub name: Box<str>,
    /// "segment BEG (Beginning Segment for Purchase Order)", "loop N1 (starting with N1)".
    pub what: Box<str>,
    /// The first mandatory step after this one in its body, or the body's end.
    pub next_mandatory: usize,
    /// The next step of the same body that starts with the same tag, if any.
    pub next_same: Option<usize>,
    /// The definition the segment's elements are checked with, for a segment step: the
    /// dictionary's, or the copy an implementation guide narrowed for this place.
    pub def: Option<Arc<SegmentDef>>,
    /// What an implementation guide says of this step (its findings name the guide).
    pub guide: Option<Arc<StepNote>>,
    /// For a segment whose definition has syntax notes, its number among such steps (the
    /// walker remembers one presence pattern per number); `usize::MAX` for the others.
    pub notes: usize,
}

impl Step {
    #[inline]
    pub fn starts_with(&self, key: u64, tag: &[u8]) -> bool {
        self.key == key && (key != LONG || self.tag.as_bytes() == tag)
    }
}

impl Body {
    /// The mandatory steps of the body from `from` on (an index in `steps`).
    pub fn mandatory_from<'w>(
        &self,
        steps: &'w [Step],
        from: usize,
    ) -> impl Iterator<Item = usize> + 'w {
        let first = if from <= self.start {
            self.first_mandatory
        } else {
            steps[from - 1].next_mandatory
        };
        let end = self.end;
        std::iter::successors((first < end).then_some(first), move |&k| {
            let next = steps[k].next_mandatory;
            (next < end).then_some(next)
        })
    }
}

impl Walk {
    pub(crate) fn new(structure: &[Node]) -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut w = Walk {
            id: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            ..Walk::default()
        };
        w.depth = w.flatten(structure, None, 1);
        w.index();
        for step in &mut w.steps {
            if step.def.as_ref().is_some_and(|d| !d.rules.is_empty()) {
                step.notes = w.noted;
                w.noted += 1;
            }
        }
        w
    }

    /// The first step in `steps[from..body.end]` that `tag` starts: a table lookup and a walk
    /// along the steps of the body with the same tag (rarely more than one).
    #[inline]
    pub fn find(&self, body: usize, from: usize, k: u64, tag: &[u8]) -> Option<usize> {
        if k == LONG {
            let b = &self.bodies[body];
            return (from..b.end).find(|&j| self.steps[j].starts_with(k, tag));
        }
        let mask = self.starts.len() - 1;
        let mut s = slot(k ^ body_salt(body), self.bits);
        let first = loop {
            match self.starts[s] {
                (_, _, 0) => return None,
                (x, b, j) if x == k && b as usize == body => break j as usize - 1,
                _ => s = (s + 1) & mask,
            }
        };
        let mut j = first;
        while j < from {
            j = self.steps[j].next_same?;
        }
        Some(j)
    }

    /// Builds the (body, tag) table and the same-tag links.
    fn index(&mut self) {
        self.bits = table_bits(self.steps.len());
        let mut starts = vec![(0u64, 0u32, 0u32); 1 << self.bits].into_boxed_slice();
        let mask = starts.len() - 1;
        for (b, body) in self.bodies.iter().enumerate() {
            for j in (body.start..body.end).rev() {
                let k = self.steps[j].key;
                if k == LONG {
                    continue;
                }
                let mut s = slot(k ^ body_salt(b), self.bits);
                loop {
                    let (x, bb, first) = starts[s];
                    if first == 0 {
                        break;
                    }
                    if x == k && bb as usize == b {
                        // Walking backwards: the step found so far comes after this one.
                        self.steps[j].next_same = Some(first as usize - 1);
                        break;
                    }
                    s = (s + 1) & mask;
                }
                let b32 = u32::try_from(b).expect("fewer than 2^32 loops");
                let j32 = u32::try_from(j + 1).expect("fewer than 2^32 steps");
                starts[s] = (k, b32, j32);
            }
        }
        self.starts = starts;
    }

    /// Lays out `nodes` as one body, then the bodies of its loops; returns the depth reached.
    fn flatten(&mut self, nodes: &[Node], loop_id: Option<&str>, depth: usize) -> usize {
        let start = self.steps.len();
        let end = start + nodes.len();
        let body = self.bodies.len();
        self.bodies.push(Body {
            start,
            end,
            loop_id: loop_id.map(Into::into),
            first_mandatory: end,
        });
        for n in nodes {
            let (name, what): (&str, String) = match n {
                Node::Segment { def, .. } => {
                    (&def.tag, format!("segment {} ({})", def.tag, def.name))
                }
                Node::Loop { id, .. } => (id, format!("loop {id} (starting with {})", n.trigger())),
            };
            self.steps.push(Step {
                key: key(n.trigger().as_bytes()),
                tag: n.trigger().into(),
                mandatory: n.usage() == Usage::Mandatory,
                max: n.max(),
                child: None,
                name: name.into(),
                what: what.into(),
                next_mandatory: end,
                next_same: None,
                def: match n {
                    Node::Segment { def, .. } => Some(def.clone()),
                    Node::Loop { .. } => None,
                },
                guide: n.guide().cloned(),
                notes: usize::MAX,
            });
        }
        let mut next = end;
        for k in (start..end).rev() {
            self.steps[k].next_mandatory = next;
            if self.steps[k].mandatory {
                next = k;
            }
        }
        self.bodies[body].first_mandatory = next;
        let mut deepest = depth;
        for (k, n) in (start..end).zip(nodes) {
            if let Node::Loop {
                id, body: inner, ..
            } = n
            {
                let child = self.bodies.len();
                deepest = deepest.max(self.flatten(inner, Some(id), depth + 1));
                self.steps[k].child = Some(child);
            }
        }
        deepest
    }
}
