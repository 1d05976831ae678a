//! The structure walk of the validator, over the index tables of [`super::tables::Walk`].
//!
//! The walk keeps a stack of frames (the top level and every loop entered). For each segment it
//! searches forward in the innermost frame, then in the enclosing ones; a match in an enclosing
//! frame closes the loops above it. Mandatory entries jumped over or left unseen when a loop
//! closes are reported where the walk noticed them. A segment that matches nothing is reported
//! as unknown, not in this set, or out of sequence, and the walk goes on from where it was.
//!
//! Where a segment is found depends only on the innermost frame and the tag: each body is
//! entered from one step, at which its enclosing frame then stays, so the innermost frame
//! fixes every frame below it. The walk remembers the places its searches found by that pair
//! (`Memo`), and a segment that follows the same step again (the next PO1 after a PID, the
//! next N1 after an N4) is placed without searching the frames again.
//!
//! Occurrence counts live in one array indexed like the steps; entering a loop clears its
//! range. Both the frames and the counts are sized when the walk starts, from the grammar, so
//! nothing is allocated per segment or per loop, and nothing at all unless a finding is made.
//!
//! The presence patterns that kept a step's syntax notes ([`Walker::kept`]) are a function of
//! the step's definition alone, so they stay true from one set to the next: each thread keeps
//! them per walk between sets (`Remembered`), and the second set of a file finds its PO1s,
//! N1s and PERs already known.

use super::codes::slot;
use super::tables::{Body, LONG, Walk, key};
use super::validate::Ctx;
use super::{Grammar, SegmentDef};
use crate::diag::{Code, Finding};
use crate::syntax::Fields;
use std::cell::RefCell;
use std::sync::Arc;

/// The remembered patterns of the walks this thread validated with last, by [`Walk::id`]; a
/// few walks, for files that mix sets (850s, 856s and 810s in one interchange).
struct Remembered(Vec<(u64, Vec<u128>)>);

/// How many walks a thread remembers patterns for.
const WALKS_REMEMBERED: usize = 8;

thread_local! {
    static REMEMBERED: RefCell<Remembered> = const { RefCell::new(Remembered(Vec::new())) };
}

impl Remembered {
    /// The patterns kept for walk `id` (empty if none), taken out until [`Remembered::put`].
    fn take(id: u64) -> Vec<u128> {
        REMEMBERED.with(|r| {
            let walks = &mut r.borrow_mut().0;
            walks
                .iter_mut()
                .find(|(w, _)| *w == id)
                .map(|(_, kept)| std::mem::take(kept))
                .unwrap_or_default()
        })
    }

    /// Keeps `kept` for walk `id`, forgetting the walk used longest ago when there are too many.
    fn put(id: u64, kept: Vec<u128>) {
        if kept.is_empty() {
            return;
        }
        REMEMBERED.with(|r| {
            let walks = &mut r.borrow_mut().0;
            if let Some(i) = walks.iter().position(|(w, _)| *w == id) {
                walks.remove(i);
            } else if walks.len() >= WALKS_REMEMBERED {
                walks.remove(0);
            }
            walks.push((id, kept));
        });
    }
}

/// A body entered, and the step of it last matched (`NONE` before the first).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Frame {
    body: usize,
    pos: usize,
}

const NONE: usize = usize::MAX;

/// A place found by searching the frames: for a segment with tag key `key` while the
/// innermost frame was `from`, the frame `depth` and the step `step` in it.
#[derive(Clone, Copy)]
struct Memo {
    key: u64,
    from: Frame,
    depth: usize,
    step: usize,
}

/// No place remembered: no tag packs to this key ([`key`] gives `LONG` to the long ones,
/// which are never remembered).
const FORGOTTEN: Memo = Memo {
    key: LONG,
    from: Frame { body: 0, pos: 0 },
    depth: 0,
    step: 0,
};

/// A walk remembers `1 << MEMO_BITS` places (32: a set's loops rarely hold more transitions
/// than that, and two that share a slot take turns).
const MEMO_BITS: u32 = 5;

/// The first step of `b` a segment may match in frame `f`: from the step last matched on (a
/// repeat). In a loop, the first segment starts a new repetition of the loop: that is matched in
/// the enclosing frame, never as a repeat inside the loop.
fn search_from(f: Frame, b: &Body) -> usize {
    match (f.pos, b.loop_id.is_some()) {
        (NONE, true) => b.start + 1,
        (p, true) => p.max(b.start + 1),
        (NONE, false) => b.start,
        (p, false) => p,
    }
}

pub(super) struct Walker<'g> {
    g: &'g Grammar,
    w: &'g Walk,
    frames: Vec<Frame>,
    counts: Vec<usize>,
    /// For each step whose definition has syntax notes ([`Step::notes`](super::tables::Step)),
    /// the last presence pattern of its segment that kept every note ([`Walker::kept`]);
    /// `NOTHING_KEPT` before one has. Empty until a step asks (EDIFACT sets have no notes);
    /// carried from set to set by `Remembered`.
    kept: Vec<u128>,
    /// The places searches found, by innermost frame and tag key (see the module doc).
    memo: [Memo; 1 << MEMO_BITS],
    /// False only in the tests that hold the walk to one that searches every time.
    remember: bool,
}

/// No presence pattern: bit 0 stands for no element, so no segment has it.
const NOTHING_KEPT: u128 = u128::MAX;

impl Drop for Walker<'_> {
    fn drop(&mut self) {
        Remembered::put(self.w.id, std::mem::take(&mut self.kept));
    }
}

impl<'g> Walker<'g> {
    pub fn new(g: &'g Grammar) -> Self {
        let w = &g.walk;
        let mut frames = Vec::with_capacity(w.depth);
        frames.push(Frame { body: 0, pos: NONE });
        Walker {
            g,
            w,
            frames,
            counts: vec![0; w.steps.len()],
            kept: Remembered::take(w.id),
            memo: [FORGOTTEN; 1 << MEMO_BITS],
            remember: true,
        }
    }

    /// This walk without its memo: every segment its fast path does not place is searched
    /// for in the frames.
    #[cfg(test)]
    pub fn searching_every_time(mut self) -> Self {
        self.remember = false;
        self
    }

    fn body(&self, f: Frame) -> &'g Body {
        &self.w.bodies[f.body]
    }

    /// Loop ids from the outermost to the innermost.
    pub fn loops(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter_map(|&f| self.body(f).loop_id.as_deref().map(str::to_string))
            .collect()
    }

    /// Finds where `seg` fits and reports what was skipped. Returns `None` when it fits
    /// nowhere, and otherwise the definition its elements are checked with at that place
    /// (`Some(None)` never happens with a compiled grammar: every loop starts with a segment).
    pub fn place(
        &mut self,
        seg: &Fields<'_>,
        position: usize,
        ctx: &mut Ctx<'_>,
    ) -> Option<Option<&'g Arc<SegmentDef>>> {
        let tag = seg.tag;
        let k = key(tag);
        let steps = &self.w.steps;
        let mut found = None;
        // A place a search found before from this frame for this tag; then the common case:
        // the segment is the step the innermost frame is at (a repeat) or the one after it,
        // which is what `find` would answer there (those two are never remembered, and the
        // memo is asked first because that measured fewer instructions).
        let d = self.frames.len() - 1;
        let f = self.frames[d];
        let b = self.body(f);
        let from = search_from(f, b);
        let memo = slot(
            k ^ (f.pos as u64).rotate_left(32) ^ f.body as u64,
            MEMO_BITS,
        );
        if k != LONG {
            let m = self.memo[memo];
            if m.key == k && m.from == f {
                found = Some((m.depth, m.step));
            } else if from < b.end && steps[from].key == k {
                found = Some((d, from));
            } else if from + 1 < b.end && steps[from + 1].key == k {
                found = Some((d, from + 1));
            }
        }
        for d in (0..self.frames.len()).rev() {
            if found.is_some() {
                break;
            }
            let here = self.frames[d];
            let from = search_from(here, self.body(here));
            if let Some(j) = self.w.find(here.body, from, k, tag) {
                found = Some((d, j));
                if k != LONG && self.remember {
                    self.memo[memo] = Memo {
                        key: k,
                        from: f,
                        depth: d,
                        step: j,
                    };
                }
                break;
            }
        }
        let Some((d, j)) = found else {
            let f = self.unplaced_reason(&String::from_utf8_lossy(tag));
            ctx.push(seg, position, f);
            return None;
        };
        while self.frames.len() > d + 1 {
            let f = self.frames.pop().expect("deeper frame");
            self.missing_after(f, seg, position, ctx, "its loop ends here");
        }
        let f = *self.frames.last().expect("frame d");
        let b = self.body(f);
        let skip_from = match f.pos {
            NONE => b.start,
            p if p == j => j,
            p => p + 1,
        };
        // The mandatory steps jumped over: those in `skip_from..j` (`j` is in the body).
        let mut m = if skip_from <= b.start {
            b.first_mandatory
        } else {
            steps[skip_from - 1].next_mandatory
        };
        while m < j {
            let next = steps[m].next_mandatory;
            if self.counts[m] == 0 {
                let msg = match steps[m].guide.as_deref().filter(|n| n.required) {
                    Some(n) => format!(
                        "{} is missing before this {}: {} requires it (the standard makes it optional)",
                        steps[m].what,
                        seg.tag_str(),
                        n.origin
                    ),
                    None => format!(
                        "mandatory {} is missing before this {}",
                        steps[m].what,
                        seg.tag_str()
                    ),
                };
                let mut f = Finding::error(Code::MandatorySegmentMissing, msg);
                f.missing = Some(steps[m].tag.to_string());
                ctx.push(seg, position, f);
            }
            m = next;
        }
        self.counts[j] += 1;
        self.frames.last_mut().expect("frame d").pos = j;
        let count = self.counts[j];
        let step = &steps[j];
        if count > step.max {
            let (code, msg) = match (step.guide.as_deref(), step.child) {
                (Some(n), _) if n.unused => (
                    Code::SegmentNotUsed,
                    format!(
                        "{} is present, but {} says it is not used here: the partner does not send or accept it",
                        step.what, n.origin
                    ),
                ),
                (Some(n), child) if n.standard_max.is_some() => (
                    if child.is_some() {
                        Code::LoopOverMaximum
                    } else {
                        Code::SegmentOverMaximum
                    },
                    format!(
                        "{} occurs {count} times here; {} allows at most {} (the standard allows {})",
                        step.what,
                        n.origin,
                        step.max,
                        n.standard_max.unwrap_or(step.max)
                    ),
                ),
                (_, None) => (
                    Code::SegmentOverMaximum,
                    format!(
                        "{} occurs {count} times here; at most {} allowed",
                        step.name, step.max
                    ),
                ),
                (_, Some(_)) => (
                    Code::LoopOverMaximum,
                    format!(
                        "loop {} occurs {count} times; at most {} allowed",
                        step.name, step.max
                    ),
                ),
            };
            ctx.push(seg, position, Finding::error(code, msg));
        }
        let mut def = step.def.as_ref();
        if let Some(c) = step.child {
            let body = &self.w.bodies[c];
            self.counts[body.start..body.end].fill(0);
            self.counts[body.start] = 1;
            self.frames.push(Frame {
                body: c,
                pos: body.start,
            });
            def = steps[body.start].def.as_ref();
        }
        Some(def)
    }

    /// The last presence pattern (bit `p` for each element `p` present) of a segment at the
    /// step last matched that kept every syntax note of its definition, for the validator to
    /// read and update. The notes are a function of the pattern alone, and the segments at one
    /// step are usually filled alike (every PO1 with the same elements), so a segment with the
    /// pattern remembered there keeps its notes without testing them one by one.
    pub fn kept(&mut self) -> Option<&mut u128> {
        let pos = self.frames.last()?.pos;
        let slot = self.w.steps.get(pos)?.notes;
        if slot == usize::MAX {
            return None;
        }
        if self.kept.is_empty() {
            self.kept.resize(self.w.noted, NOTHING_KEPT);
        }
        self.kept.get_mut(slot)
    }

    /// Closes every frame at the end of the set, reporting what is missing.
    pub fn finish(&mut self, last: &Fields<'_>, position: usize, ctx: &mut Ctx<'_>) {
        while let Some(f) = self.frames.pop() {
            self.missing_after(f, last, position, ctx, "the transaction set ends");
        }
    }

    fn unplaced_reason(&self, tag: &str) -> Finding {
        let g = self.g;
        if g.tags_in_set.contains(tag) {
            let inside = self
                .frames
                .last()
                .and_then(|&f| self.body(f).loop_id.as_deref());
            let where_ = match inside {
                Some(l) => format!("inside loop {l}"),
                None => "at this point".to_string(),
            };
            Finding::error(
                Code::SegmentOutOfSequence,
                format!(
                    "{tag} is not allowed {where_}: it belongs elsewhere in this transaction set (out of sequence)"
                ),
            )
        } else if g.dictionary.contains_key(tag) {
            Finding::error(
                Code::SegmentNotInSet,
                format!("{tag} is not a segment of transaction set {}", g.id),
            )
        } else {
            Finding::error(
                Code::UnrecognizedSegment,
                format!("'{tag}' is not a known segment"),
            )
        }
    }

    fn missing_after(
        &self,
        f: Frame,
        seg: &Fields<'_>,
        position: usize,
        ctx: &mut Ctx<'_>,
        why: &str,
    ) {
        let b = self.body(f);
        let from = if f.pos == NONE { b.start } else { f.pos + 1 };
        for m in b.mandatory_from(&self.w.steps, from) {
            if self.counts[m] == 0 {
                let inside = b
                    .loop_id
                    .as_deref()
                    .map(|l| format!(" in loop {l}"))
                    .unwrap_or_default();
                let step = &self.w.steps[m];
                let msg = match step.guide.as_deref().filter(|n| n.required) {
                    Some(n) => format!(
                        "{}{inside} is missing ({why}): {} requires it (the standard makes it optional)",
                        step.what, n.origin
                    ),
                    None => format!("mandatory {}{inside} is missing: {why}", step.what),
                };
                let mut f = Finding::error(Code::MandatorySegmentMissing, msg);
                f.missing = Some(self.w.steps[m].tag.to_string());
                ctx.push(seg, position, f);
            }
        }
    }
}
