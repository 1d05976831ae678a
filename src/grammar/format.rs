//! The TOML shapes of grammar files (see `grammars/README.md`).

use super::CodeList;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// `"M"` mandatory, `"O"` optional, `"X"` conditional (decided by syntax notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum Usage {
    #[serde(rename = "M")]
    Mandatory,
    #[default]
    #[serde(rename = "O")]
    Optional,
    #[serde(rename = "X")]
    Conditional,
}

/// Element data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ElementType {
    AN,
    A,
    ID,
    N,
    N0,
    N1,
    N2,
    N3,
    N4,
    N5,
    N6,
    N7,
    N8,
    N9,
    R,
    DT,
    TM,
    B,
}

impl ElementType {
    /// Implied decimal places of `Nn` types.
    pub fn implied_decimals(self) -> Option<u32> {
        use ElementType::*;
        Some(match self {
            N0 => 0,
            N1 => 1,
            N2 => 2,
            N3 => 3,
            N4 => 4,
            N5 => 5,
            N6 => 6,
            N7 => 7,
            N8 => 8,
            N9 => 9,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementFile {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ElementType,
    pub min: usize,
    pub max: usize,
    /// Built into a lookup table as the file is read, and shared by every use of the element.
    #[serde(default, deserialize_with = "super::codes::deserialize")]
    pub codes: Option<Arc<CodeList>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefDef {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub composite: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default = "one")]
    pub repeat: usize,
    #[serde(default)]
    pub name: Option<String>,
    /// Built into a lookup table as the file is read, and shared by every use of the element.
    #[serde(default, deserialize_with = "super::codes::deserialize")]
    pub codes: Option<Arc<CodeList>>,
}

fn one() -> usize {
    1
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositeFile {
    pub name: String,
    pub elements: Vec<RefDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentFile {
    pub name: String,
    pub elements: Vec<RefDef>,
    #[serde(default)]
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DictionaryFile {
    #[serde(default)]
    pub elements: HashMap<String, ElementFile>,
    #[serde(default)]
    pub composites: HashMap<String, CompositeFile>,
    #[serde(default)]
    pub segments: HashMap<String, SegmentFile>,
}

impl DictionaryFile {
    /// Lays `other` over `self`: entries with the same id are replaced whole.
    pub fn merge(&mut self, other: DictionaryFile) {
        self.elements.extend(other.elements);
        self.composites.extend(other.composites);
        self.segments.extend(other.segments);
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    #[serde(default)]
    pub segment: Option<String>,
    #[serde(default, rename = "loop")]
    pub loop_id: Option<String>,
    #[serde(default)]
    pub body: Vec<Entry>,
    #[serde(default)]
    pub usage: Usage,
    #[serde(default = "one")]
    pub max: usize,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetFile {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub functional_group: Option<String>,
    #[serde(default)]
    pub hierarchy: Option<Vec<String>>,
    pub structure: Vec<Entry>,
}
