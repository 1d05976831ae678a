//! Validating a transaction set against its grammar.
//!
//! Phase: the segments of one transaction set or message → findings. [`validate`] walks the
//! structure (`super::walk`) and checks every segment the dictionary knows: element counts,
//! usage, repetitions, composites, types, lengths, code lists and syntax notes. The success
//! path allocates nothing per segment or element: repetitions and composites are read in one
//! pass over their parts, syntax notes are tested on a bitmask of the positions present, and
//! a message is built only when there is a finding. The usual segment (no release character,
//! no repetition separator) is first read in one tight pass that only asks whether every
//! value is surely valid (`super::fast`), its values taken as ASCII when the segment was read
//! as text; a segment it doubts is read again, position by position, to say what is wrong.

use super::codes::FxBuild;
use super::walk::Walker;
use super::{ElementType, Grammar, Item, Position, SegmentDef, Usage};
use super::{fast, notes};
use crate::diag::{Code, Controls, Finding, Level, Severity};
use crate::syntax::Fields;
use crate::syntax::text::{decode, for_message};
use crate::syntax::values::{self, Notation};
use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Not;

/// What to do with compliance errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strictness {
    /// Segment and element errors reject the document.
    #[default]
    Strict,
    /// Segment and element errors are reported as warnings; envelope integrity (counts, control
    /// numbers, trailers) still rejects.
    Lenient,
}

impl Strictness {
    /// Downgrades the findings this strictness tolerates.
    pub fn apply(self, findings: &mut [Finding]) {
        if self == Strictness::Lenient {
            for f in findings {
                if Strictness::relaxes(f) {
                    f.severity = Severity::Warning;
                }
            }
        }
    }

    /// True for a finding that `Lenient` reports as a warning: segment and element errors,
    /// and a group or interchange header that is merely unusual.
    pub fn relaxes(f: &Finding) -> bool {
        matches!(f.code.level(), Level::Segment | Level::Element)
            || matches!(
                f.code,
                Code::GroupNotSupported | Code::InvalidInterchangeHeader | Code::InvalidGroupHeader
            )
    }
}

/// Where a segment sits in the structure (for `inspect` and `check`).
#[derive(Debug, Clone, Default)]
pub struct Placement {
    /// Loop ids from the outermost to the innermost (empty at the top level).
    pub loops: Vec<String>,
    /// False when the segment did not fit the structure.
    pub placed: bool,
    /// The definition its elements were checked with at that place: the dictionary's, or the
    /// one a partner's implementation guide narrowed there (its codes, lengths, usage).
    /// `None` when it fits nowhere.
    pub def: Option<std::sync::Arc<SegmentDef>>,
}

/// The result of validating one transaction set.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    pub findings: Vec<Finding>,
    /// One per segment when asked for.
    pub placements: Vec<Placement>,
}

pub(super) struct Ctx<'a> {
    controls: &'a Controls,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    pub(super) fn push(&mut self, seg: &Fields<'_>, position: usize, f: Finding) {
        let f = self.locate(seg, position, f);
        self.findings.push(f);
    }

    /// As [`Ctx::push`], at index `at` of the findings.
    fn insert(&mut self, at: usize, seg: &Fields<'_>, position: usize, f: Finding) {
        let f = self.locate(seg, position, f);
        self.findings.insert(at, f);
    }

    fn locate(&self, seg: &Fields<'_>, position: usize, f: Finding) -> Finding {
        let mut f = f
            .at(seg.span.start, seg.index, seg.tag_str())
            .with_controls(self.controls);
        f.segment_position = Some(position);
        f
    }
}

/// Validates the segments of one transaction set (ST..SE) or message (UNH..UNT) against `g`.
pub fn validate(
    g: &Grammar,
    segments: &[Fields<'_>],
    controls: &Controls,
    want_placements: bool,
) -> Validation {
    let mut ctx = Ctx {
        controls,
        findings: Vec::new(),
    };
    let mut placements = Vec::new();
    let mut walker = Walker::new(g);
    let mut hl = HlCheck::default();

    for (i, seg) in segments.iter().enumerate() {
        let position = i + 1;
        let tag = seg.tag;
        let placed = walker.place(seg, position, &mut ctx);
        if want_placements {
            placements.push(Placement {
                loops: walker.loops(),
                placed: placed.is_some(),
                def: placed.flatten().cloned(),
            });
        }
        check_controls(seg, position, &mut ctx);
        // The place's definition (an implementation guide may have narrowed it there), or
        // the dictionary's for a segment that fits nowhere.
        if let Some(def) = placed
            .flatten()
            .map(|d| &**d)
            .or_else(|| g.dictionary.get_bytes(tag).map(|d| &**d))
        {
            check_elements(seg, def, position, &mut ctx);
            if !def.rules.is_empty() {
                // Notes remembered per step: a segment that fits nowhere has no step of its own.
                let kept = if matches!(placed, Some(Some(_))) {
                    walker.kept()
                } else {
                    None
                };
                check_notes(seg, def, position, kept, &mut ctx);
            }
        }
        if g.hierarchy.is_some() && tag == b"HL" {
            hl.check(
                seg,
                position,
                g.hierarchy.as_deref().unwrap_or(&[]),
                &mut ctx,
            );
        }
    }
    if let Some(last) = segments.last() {
        walker.finish(last, segments.len(), &mut ctx);
    }
    Validation {
        findings: ctx.findings,
        placements,
    }
}

fn check_elements(seg: &Fields<'_>, def: &SegmentDef, position: usize, ctx: &mut Ctx<'_>) {
    let values = seg.values();
    let tag = &def.tag;
    if values.len() > def.elements.len()
        && values[def.elements.len()..].iter().any(|v| !v.is_empty())
    {
        let n = def.elements.len() + 1;
        let extra = values[def.elements.len()..]
            .iter()
            .find(|v| !v.is_empty())
            .copied()
            .unwrap_or(b"");
        ctx.push(
            seg,
            position,
            Finding::error(
                Code::TooManyElements,
                format!(
                    "{tag} has {} elements; it defines {}",
                    values.len(),
                    def.elements.len()
                ),
            )
            .element(n)
            .with_value(&decode(&unescaped(seg, extra))),
        );
    }
    // Past the last value only mandatory positions can have something to say.
    let look = values.len().max(def.required).min(def.elements.len());
    let seps = &seg.separators;
    // The component separator stands in for an absent release character: it ends a part
    // before it could be taken for one.
    let rel = seps.release.unwrap_or(seps.component);
    // One search of a segment read as text instead of one a value: no value of a segment
    // without the repetition separator holds one.
    let text = seg.text();
    let repetition = seps
        .repetition
        .filter(|&r| text.is_none_or(|t| memchr::memchr(r, t.as_bytes()).is_some()));
    // The usual segment: no release character, no repetition separator, every value surely
    // valid and every mandatory one there. One tight pass says so; any doubt takes the
    // segment through the loop below, which looks again and says what is wrong.
    if seps.release.is_none()
        && repetition.is_none()
        && surely_all_valid(
            &def.elements[..look],
            values,
            seps.component,
            text.is_some(),
        )
    {
        return;
    }
    for i in 0..look {
        let pos = &def.elements[i];
        let n = i + 1;
        let v = if i < values.len() { values[i] } else { b"" };
        // The common case: one simple value, no escapes, valid on its bytes (`super::fast`).
        if !v.is_empty() && repetition.is_none_or(|r| fast::holds_neither(v, r, r)) {
            match &pos.item {
                Item::Simple(e) => {
                    let released = seps.release.filter(|&r| fast::holds_neither(v, r, r).not());
                    if !fast::surely_valid_raw(e, v, released) {
                        check_simple(seg, tag, n, pos, e, v, position, ctx);
                    }
                }
                // DTM's C507 has a check of its own (`check_dtm`): always the slow way.
                Item::Composite { id, components } => {
                    if id == "C507"
                        || !fast::composite_surely_valid(components, v, seps.component, rel)
                    {
                        check_position(seg, tag, n, pos, v, position, ctx);
                    }
                }
            }
            continue;
        }
        if v.is_empty() {
            if pos.usage == Usage::Mandatory {
                let label = format!("{tag}{n:02}");
                ctx.push(
                    seg,
                    position,
                    Finding::error(Code::MandatoryElementMissing, missing_message(&label, pos))
                        .element(n),
                );
            }
            continue;
        }
        // Split only a value that holds the separator: the rest is one repetition.
        if repetition.is_none_or(|r| memchr::memchr(r, v).is_none()) {
            check_position(seg, tag, n, pos, v, position, ctx);
            continue;
        }
        let reps = seg.separators.repetitions(v);
        let count = reps.clone().count();
        if count > pos.repeat {
            let msg = if pos.repeat <= 1 {
                format!(
                    "{tag}{n:02} ({}) repeats {count} times, but it is not a repeating element",
                    pos.name,
                )
            } else {
                format!(
                    "{tag}{n:02} ({}) repeats {count} times; at most {} allowed",
                    pos.name, pos.repeat
                )
            };
            ctx.push(
                seg,
                position,
                Finding::error(Code::TooManyRepetitions, msg).element(n),
            );
        }
        for rep in reps {
            check_position(seg, tag, n, pos, rep, position, ctx);
        }
    }
}

/// True only when [`check_elements`] would find nothing wrong with `values` at `positions`
/// (the positions it looks at) in a segment without release characters or repetition
/// separators; false means "look closer". `text` says that the segment was read as text
/// ([`Fields::text`]): its values are ASCII.
#[inline]
fn surely_all_valid(positions: &[Position], values: &[&[u8]], component: u8, text: bool) -> bool {
    positions.iter().enumerate().all(|(i, pos)| {
        let v = values.get(i).copied().unwrap_or_default();
        if v.is_empty() {
            return pos.usage != Usage::Mandatory;
        }
        match &pos.item {
            Item::Simple(e) if text => fast::surely_valid_ascii(e, v),
            Item::Simple(e) => fast::surely_valid(e, v),
            // DTM's C507: the slow way, as in `check_elements`'s loop.
            Item::Composite { id, components } => {
                id != "C507"
                    && if text {
                        fast::composite_surely_valid_ascii(components, v, component)
                    } else {
                        fast::composite_surely_valid(components, v, component, component)
                    }
            }
        }
    })
}

/// Checks the syntax notes of `def` on `seg`. `kept` is the last presence pattern that kept
/// every note at this place of the structure ([`Walker::kept`]), or `None`.
fn check_notes(
    seg: &Fields<'_>,
    def: &SegmentDef,
    position: usize,
    kept: Option<&mut u128>,
    ctx: &mut Ctx<'_>,
) {
    let values = seg.values();
    let present = presence(values);
    if kept.as_deref() == Some(&present) {
        return;
    }
    let mut all_kept = true;
    for rule in &def.rules {
        if !notes::surely_kept(rule, present) {
            all_kept = false;
            notes::check_rule(seg, &def.tag, rule, values, position, ctx);
        }
    }
    if all_kept && let Some(k) = kept {
        *k = present;
    }
}

/// Bit `p` for each element `p` (1-based, up to 127) that has a value.
#[inline]
fn presence(values: &[&[u8]]) -> u128 {
    // The usual segment has fewer than 64 elements: one word's shifts instead of two.
    if values.len() < 64 {
        let mut present = 0u64;
        for (i, v) in values.iter().enumerate() {
            present |= u64::from(!v.is_empty()) << (i + 1);
        }
        return u128::from(present);
    }
    let mut present = 0u128;
    for (i, v) in values[..values.len().min(127)].iter().enumerate() {
        present |= u128::from(!v.is_empty()) << (i + 1);
    }
    present
}

fn check_position(
    seg: &Fields<'_>,
    tag: &str,
    n: usize,
    pos: &Position,
    value: &[u8],
    position: usize,
    ctx: &mut Ctx<'_>,
) {
    match &pos.item {
        Item::Simple(e) => check_simple(seg, tag, n, pos, e, value, position, ctx),
        Item::Composite { id, components } => {
            check_composite(seg, tag, n, id, components, value, position, ctx);
        }
    }
}

/// Checks one simple value the slow way, saying what is wrong with it.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn check_simple(
    seg: &Fields<'_>,
    tag: &str,
    n: usize,
    pos: &Position,
    e: &super::ElementDef,
    value: &[u8],
    position: usize,
    ctx: &mut Ctx<'_>,
) {
    let value = unescaped(seg, value);
    if let Some(p) = check_value(e, &value) {
        let f = position_finding(&format!("{tag}{n:02}"), pos, &value, p);
        ctx.push(seg, position, f.element(n));
    }
}

/// Checks a composite in one pass over its parts. A part past the last component that holds
/// something is reported before the components' findings, as if it had been seen first: the
/// finding is inserted where the pass began, which costs nothing when there is none.
#[allow(clippy::too_many_arguments)]
fn check_composite(
    seg: &Fields<'_>,
    tag: &str,
    n: usize,
    id: &str,
    components: &[Position],
    value: &[u8],
    position: usize,
    ctx: &mut Ctx<'_>,
) {
    let mark = ctx.findings.len();
    let mut parts = seg.components(value);
    // DTM's date and format, whatever the composite's definition says.
    let mut dtm = [&b""[..]; 3];
    let mut count = 0;
    for (c, comp) in components.iter().enumerate() {
        let Some(cv) = parts.next() else {
            // No more parts: only mandatory components have something to say.
            for (c, comp) in components.iter().enumerate().skip(c) {
                if comp.usage == Usage::Mandatory {
                    component_missing(seg, tag, n, c, comp, position, ctx);
                }
            }
            break;
        };
        count += 1;
        if c < 3 {
            dtm[c] = cv;
        }
        if cv.is_empty() {
            if comp.usage == Usage::Mandatory {
                component_missing(seg, tag, n, c, comp, position, ctx);
            }
            continue;
        }
        if let Item::Simple(e) = &comp.item
            && let Some(p) = check_value(e, &unescaped(seg, cv))
        {
            let label = format!("{tag}{n:02}-{}", c + 1);
            let f = position_finding(&label, comp, &unescaped(seg, cv), p);
            ctx.push(seg, position, f.element(n).component(c + 1));
        }
    }
    let mut extra = false;
    for p in parts {
        if count < 3 {
            dtm[count] = p;
        }
        count += 1;
        extra |= !p.is_empty();
    }
    if extra {
        let f = Finding::error(
            Code::TooManyComponents,
            format!(
                "{tag}{n:02} has {count} components; the composite has {}",
                components.len()
            ),
        )
        .element(n);
        ctx.insert(mark, seg, position, f);
    }
    if id == "C507" {
        check_dtm(seg, tag, n, &dtm[..count.min(3)], position, ctx);
    }
}

/// The value without release characters. Values are short, so `contains` finds out
/// whether there is one without the call `unescape` makes to `memchr`; most have none.
#[inline]
pub(super) fn unescaped<'v>(seg: &Fields<'_>, v: &'v [u8]) -> Cow<'v, [u8]> {
    match seg.separators.release {
        Some(r) if v.contains(&r) => seg.separators.unescape(v),
        _ => Cow::Borrowed(v),
    }
}

fn component_missing(
    seg: &Fields<'_>,
    tag: &str,
    n: usize,
    c: usize,
    comp: &Position,
    position: usize,
    ctx: &mut Ctx<'_>,
) {
    ctx.push(
        seg,
        position,
        Finding::error(
            Code::MandatoryElementMissing,
            missing_message(&format!("{tag}{n:02}-{}", c + 1), comp),
        )
        .element(n)
        .component(c + 1),
    );
}

/// EDIFACT DTM C507: the date (2380) must exist in the calendar as its format (2379) reads
/// it. The dictionary can only say `an..35`; the format is in the next component.
fn check_dtm(
    seg: &Fields<'_>,
    tag: &str,
    n: usize,
    parts: &[&[u8]],
    position: usize,
    ctx: &mut Ctx<'_>,
) {
    let part = |i: usize| {
        seg.separators
            .unescape(parts.get(i).copied().unwrap_or(b""))
    };
    let (value, format) = (part(1), part(2));
    if value.is_empty() {
        return;
    }
    if let Err(e) = values::edifact_date_time(&value, &format) {
        let format = if format.is_empty() {
            "no format given".to_string()
        } else {
            format!("format {}", for_message(&format, 3))
        };
        let f = Finding::error(
            Code::InvalidDate,
            format!(
                "{tag}{n:02}-2 (Date/time/period) '{}' {e} in {format}",
                for_message(&value, 35)
            ),
        )
        .with_value(&decode(&value));
        ctx.push(seg, position, f.element(n).component(2));
    }
}

/// Control characters in any value of any segment, known to the grammar or not: neither X12's
/// character sets nor EDIFACT's repertoires have them, and they must not reach an ERP file.
/// The mapping reads such a value without them (`syntax::text::tidy`).
fn check_controls(seg: &Fields<'_>, position: usize, ctx: &mut Ctx<'_>) {
    // A segment read as text is printable (`Fields::text`): nothing to look for.
    if seg.text().is_some() {
        return;
    }
    // The common case first, without a branch per byte: nothing below 0x20 in the segment.
    let mut lowest = u8::MAX;
    for v in seg.values() {
        lowest = v.iter().fold(lowest, |m, &b| m.min(b));
    }
    if lowest >= 0x20 {
        return;
    }
    let s = &seg.separators;
    // An array, not a Vec: this runs for every segment.
    let allowed = [
        s.component,
        s.repetition.unwrap_or(s.component),
        s.release.unwrap_or(s.component),
    ];
    for (i, v) in seg.values().iter().enumerate() {
        let Some((at, byte)) = values::control_character(v, &allowed) else {
            continue;
        };
        // The component holding it, when the element has several (escapes skipped).
        let mut component = None;
        if memchr::memchr(s.component, v).is_some() {
            let (mut c, mut k) = (1, 0);
            while k < at {
                if Some(v[k]) == s.release {
                    k += 1;
                } else if v[k] == s.component {
                    c += 1;
                }
                k += 1;
            }
            component = Some(c);
        }
        let label = match component {
            Some(c) => format!("{}{:02}-{c}", seg.tag_str(), i + 1),
            None => format!("{}{:02}", seg.tag_str(), i + 1),
        };
        let mut f = Finding::error(
            Code::InvalidCharacter,
            format!(
                "{label} holds the control character 0x{byte:02X} ('{}'): X12 and EDIFACT data may not carry control characters; the value is read without it",
                for_message(v, 40)
            ),
        )
        .element(i + 1)
        .with_value(&decode(&seg.separators.unescape(v)));
        if let Some(c) = component {
            f = f.component(c);
        }
        ctx.push(seg, position, f);
    }
}

/// Checks one simple value against its definition: the code and the end of the sentence
/// ("is not a real date"), built only when something is wrong.
pub(super) fn check_value(e: &super::ElementDef, v: &[u8]) -> Option<(Code, String)> {
    let numeric =
        matches!(e.kind, ElementType::R | ElementType::N) || e.kind.implied_decimals().is_some();
    match e.kind {
        ElementType::N => {
            // EDIFACT `n`: a decimal mark `.` or `,` (ISO 9735 clause 10), no exponent, and
            // a value the model's decimals hold exactly.
            if let Err(e) = values::decimal(v, Notation::Edifact) {
                return Some((Code::InvalidCharacter, e.to_string()));
            }
        }
        ElementType::N0
        | ElementType::N1
        | ElementType::N2
        | ElementType::N3
        | ElementType::N4
        | ElementType::N5
        | ElementType::N6
        | ElementType::N7
        | ElementType::N8
        | ElementType::N9 => match values::implied(v, e.kind.implied_decimals().unwrap_or(0)) {
            Err(values::Error::NotANumber) => {
                return Some((
                    Code::InvalidCharacter,
                    "is not a whole number (implied decimals, digits only)".into(),
                ));
            }
            Err(e) => return Some((Code::InvalidCharacter, e.to_string())),
            Ok(_) => {}
        },
        ElementType::R => match values::decimal(v, Notation::X12) {
            Err(values::Error::NotANumber) => {
                return Some((Code::InvalidCharacter, "is not a decimal number".into()));
            }
            Err(e) => return Some((Code::InvalidCharacter, e.to_string())),
            Ok(_) => {}
        },
        ElementType::DT => {
            if values::x12_date(v).is_err() {
                return Some((Code::InvalidDate, "is not a real date (CCYYMMDD)".into()));
            }
        }
        ElementType::TM => {
            if !values::valid_x12_time(v) {
                return Some((
                    Code::InvalidTime,
                    "is not a real time (HHMM, HHMMSS)".into(),
                ));
            }
        }
        ElementType::ID | ElementType::AN | ElementType::A | ElementType::B => {}
    }
    // A code list applies whatever the type (EDIFACT codes are `an` elements).
    if let Some(codes) = &e.codes
        && !codes.contains(v)
    {
        return Some((
            Code::InvalidCode,
            format!("is not one of its codes ({})", code_preview(&codes.codes)),
        ));
    }
    let len = if numeric {
        v.iter().filter(|b| b.is_ascii_digit()).count()
    } else if v.is_ascii() {
        v.len()
    } else {
        crate::syntax::text::decode(v).chars().count()
    };
    if len > e.max {
        return Some((
            Code::ElementTooLong,
            format!(
                "is {}; at most {} allowed",
                crate::syntax::text::characters(len),
                e.max
            ),
        ));
    }
    if len < e.min {
        return Some((
            Code::ElementTooShort,
            format!(
                "is {}; at least {} required",
                crate::syntax::text::characters(len),
                e.min
            ),
        ));
    }
    None
}

/// What to say of a mandatory position left empty: that the guide requires it, when the
/// standard does not.
fn missing_message(label: &str, pos: &Position) -> String {
    match pos.guide.as_deref().filter(|g| g.required) {
        Some(g) => format!(
            "{label} ({}) is empty, but {} requires it (the standard makes it optional)",
            pos.name, g.origin
        ),
        None => format!("{label} ({}) is mandatory but empty", pos.name),
    }
}

/// The finding for a value of `pos` that failed [`check_value`]: the guide's, when a guide
/// narrowed the position and the standard alone would have taken the value.
fn position_finding(label: &str, pos: &Position, v: &[u8], problem: (Code, String)) -> Finding {
    match &pos.guide {
        Some(g) => g.finding(label, &pos.name, v, problem),
        None => value_finding(label, &pos.name, v, problem),
    }
}

/// The finding for a value that failed [`check_value`].
pub(super) fn value_finding(
    label: &str,
    name: &str,
    v: &[u8],
    (code, tail): (Code, String),
) -> Finding {
    Finding::error(
        code,
        format!("{label} ({name}) '{}' {tail}", for_message(v, 40)),
    )
    .with_value(&decode(v))
}

pub(super) fn code_preview(codes: &[String]) -> String {
    if codes.len() <= 8 {
        codes.join(", ")
    } else {
        format!("{}, ... {} codes", codes[..8].join(", "), codes.len())
    }
}

/// The 856 hierarchy: HL01 ids unique, HL02 names an earlier HL, HL03 a known level.
#[derive(Default)]
struct HlCheck<'s> {
    ids: HashSet<&'s [u8], FxBuild>,
}

impl<'s> HlCheck<'s> {
    fn check(&mut self, seg: &Fields<'s>, position: usize, levels: &[String], ctx: &mut Ctx<'_>) {
        let id = seg.value(1);
        let parent = seg.value(2);
        let level = seg.value(3);
        if !id.is_empty() && !self.ids.insert(id) {
            ctx.push(
                seg,
                position,
                Finding::error(
                    Code::InvalidCode,
                    format!(
                        "HL01 '{}' repeats an earlier hierarchical id",
                        for_message(id, 20)
                    ),
                )
                .element(1),
            );
        }
        if !parent.is_empty() && !self.ids.contains(parent) {
            ctx.push(
                seg,
                position,
                Finding::error(
                    Code::InvalidCode,
                    format!(
                        "HL02 '{}' names no earlier HL01: the parent level must come first",
                        for_message(parent, 20)
                    ),
                )
                .element(2),
            );
        }
        let level_s = crate::syntax::text::decode(level);
        if !level.is_empty() && !levels.is_empty() && !levels.iter().any(|l| l == level_s.as_ref())
        {
            ctx.push(
                seg,
                position,
                Finding::error(
                    Code::InvalidCode,
                    format!(
                        "HL03 '{}' is not a hierarchical level of this set ({})",
                        for_message(level, 8),
                        levels.join(", ")
                    ),
                )
                .element(3),
            );
        }
    }
}

#[cfg(test)]
mod tests;
