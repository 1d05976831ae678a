//! Grammars: declarative descriptions of segments, elements and transaction-set structures, and
//! the validator that checks a transaction set against them.
//!
//! Phase: segments → findings. Grammar files are TOML (the format is documented in
//! `grammars/README.md`); the ones under `grammars/` are compiled in, and a directory given with
//! `--grammars` replaces or adds files by relative path. A [`GrammarSet`] picks the grammar for a
//! version and set id, falling back to the nearest version it has (with a warning) when a partner
//! sends one we do not ship (004030, 003010, 002040...).
//!
//! The parts, in the order a grammar goes through them:
//! - `format`: the TOML shapes of the files;
//! - `set`: which files a run has, and each standard and version compiled on first use;
//! - `compile`: a version's files → definitions ([`SegmentDef`], [`Node`]) and tables;
//! - `codes` and `tables`: code lists, segments by tag and the structure as index tables, all
//!   with constant-time lookups;
//! - `walk` and `validate`: the structure walk and the element checks;
//! - [`guide`] and `narrow`: a partner's implementation guide (a TOML overlay) parsed, checked
//!   against the grammars it names and compiled into narrowed copies of them, which a
//!   [`GrammarSet::with_guide`] view serves in place of the standard's.
//!
//! ```
//! use tallyman::grammar::GrammarSet;
//! let set = GrammarSet::builtin().unwrap();
//! let (g, fallback) = set.x12("004010VICS", "850").unwrap();
//! assert_eq!(g.version, "004010");
//! assert!(fallback.is_some());
//! ```

mod builtin;
mod codes;
mod compile;
mod fast;
mod format;
pub mod guide;
mod narrow;
mod notes;
mod set;
mod tables;
mod validate;
mod walk;

pub use codes::CodeList;
pub use format::{ElementType, Usage};
pub use set::GrammarSet;
pub use tables::Dictionary;
#[cfg(any(test, feature = "internals"))]
pub use validate::Validation;
pub use validate::{Placement, Strictness, validate};

use std::sync::Arc;

/// A grammar file that cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
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

/// An element in a segment or composite position.
#[derive(Debug, Clone)]
pub struct Position {
    pub usage: Usage,
    pub repeat: usize,
    pub name: String,
    pub item: Item,
    /// What an implementation guide says of this position, when one narrowed it: read only
    /// when a value fails, to say that the guide is why.
    pub guide: Option<Arc<guide::ElementNote>>,
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
    /// Bit `p` for each position `p`, for the validator's quick test; 0 when a position
    /// repeats (`P0101`), which the quick test would count differently.
    mask: u128,
    /// Bit `p` for the first position alone (the one `C` and `L` notes hinge on).
    first: u128,
}

/// A segment definition.
#[derive(Debug, Clone)]
pub struct SegmentDef {
    pub tag: String,
    pub name: String,
    pub elements: Vec<Position>,
    pub rules: Vec<Rule>,
    /// One past the last mandatory position: positions after it and after the last value
    /// need no look.
    required: usize,
}

/// A node of a transaction-set structure.
#[derive(Debug, Clone)]
pub enum Node {
    Segment {
        def: Arc<SegmentDef>,
        usage: Usage,
        max: usize,
        /// What an implementation guide says of this segment, when one narrowed it.
        guide: Option<Arc<guide::StepNote>>,
    },
    Loop {
        id: String,
        name: String,
        usage: Usage,
        max: usize,
        body: Vec<Node>,
        /// What an implementation guide says of this loop, when one narrowed it.
        guide: Option<Arc<guide::StepNote>>,
    },
}

impl Node {
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

    /// What an implementation guide says of this node, when one narrowed it.
    pub fn guide(&self) -> Option<&Arc<guide::StepNote>> {
        match self {
            Node::Segment { guide, .. } | Node::Loop { guide, .. } => guide.as_ref(),
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
    /// The structure as the validator walks it.
    walk: tables::Walk,
}
