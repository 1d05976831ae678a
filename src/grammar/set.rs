//! The grammars a run has: which files, compiled when, and which version serves a request.
//!
//! Phase: `(path, TOML)` pairs → a [`GrammarSet`] that compiles each standard and version on
//! first use. An X12 file pays neither for the EDIFACT grammars nor for an X12 version it does
//! not use: the files are only sorted by standard and version when the set is built. The
//! standard's base dictionary is parsed once, when its first version is compiled, and shared.
//!
//! Only the built-in grammars are compiled lazily (a unit test proves that every one compiles).
//! Files a user gives ([`GrammarSet::with_overrides`], [`GrammarSet::from_files`]) are compiled
//! when the set is built, with every version they touch, so that a bad grammar is refused when
//! it is loaded, not when a file first needs it.
//!
//! ```
//! use tallyman::grammar::GrammarSet;
//! let set = GrammarSet::builtin().unwrap();
//! assert_eq!(set.versions("x12"), ["004010", "005010"]);
//! let (g, note) = set.x12("004010", "850").unwrap();
//! assert_eq!((g.version.as_str(), note), ("004010", None));
//! ```

use super::builtin::BUILTIN;
use super::compile::{Sets, compile_version, parse_dictionary};
use super::format::DictionaryFile;
use super::{Error, Grammar};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

/// The standards, in the order their grammars are compiled (and errors reported) when a set
/// is built eagerly.
const STANDARDS: [&str; 2] = ["x12", "edifact"];

type Text = Cow<'static, str>;

/// All grammars, by standard, version and set id, each version compiled on first use.
///
/// Cloning is cheap and shares everything: a channel's view with an implementation guide
/// ([`GrammarSet::with_guide`]) is a clone with the few grammars the guide narrows.
#[derive(Default, Clone)]
pub struct GrammarSet {
    /// In name order ("edifact" before "x12"), as [`GrammarSet::all`] lists them.
    standards: Arc<Vec<Standard>>,
    /// The grammars an implementation guide narrowed, by (standard, version, set id); they
    /// stand in for the standard's wherever it would serve.
    narrowed: Arc<BTreeMap<(String, String, String), Arc<Grammar>>>,
}

/// One standard's files: the base dictionary and the version folders.
struct Standard {
    name: &'static str,
    base_path: String,
    base_text: Text,
    base: OnceLock<Result<Arc<DictionaryFile>, Error>>,
    /// In version-string order.
    versions: Vec<Version>,
}

/// One version folder: its files in path order, and its grammars once compiled.
struct Version {
    version: String,
    files: Vec<(String, Text)>,
    /// A version with only a dictionary has no grammars, and is not listed.
    has_sets: bool,
    compiled: OnceLock<Sets>,
}

impl std::fmt::Debug for GrammarSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut l = f.debug_list();
        for s in self.standards.iter() {
            for v in &s.versions {
                l.entry(&format_args!(
                    "{}/{} ({} files, {})",
                    s.name,
                    v.version,
                    v.files.len(),
                    if v.compiled.get().is_some() {
                        "compiled"
                    } else {
                        "not compiled yet"
                    }
                ));
            }
        }
        l.finish()
    }
}

impl GrammarSet {
    /// The grammars compiled into the binary, each version compiled when first asked for.
    pub fn builtin() -> Result<Self, Error> {
        Ok(Self::sorted(
            BUILTIN
                .iter()
                .map(|(p, c)| ((*p).to_string(), Cow::Borrowed(*c))),
        ))
    }

    /// The built-in grammars with `files` (relative path such as `x12/004010/850.toml` →
    /// TOML) laid over them: same relative paths replace, new ones add. Reading them from a
    /// folder is the caller's business (`pipeline::settings::read_toml_files`). Every version
    /// the files touch (all of a standard's when they replace its base dictionary) is compiled
    /// here, so that an error in them is reported now.
    pub fn with_overrides(
        files: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, Error> {
        let mut all: BTreeMap<String, Text> = BUILTIN
            .iter()
            .map(|(p, c)| ((*p).to_string(), Cow::Borrowed(*c)))
            .collect();
        let mut touched = BTreeSet::new();
        for (path, text) in files {
            touched.insert(path.clone());
            all.insert(path, Cow::Owned(text));
        }
        let set = Self::sorted(all);
        set.compile_now(|s, v| {
            touched.contains(&s.base_path)
                || v.files.iter().any(|(p, _)| touched.contains(p.as_str()))
        })?;
        Ok(set)
    }

    /// Builds the set from `(relative path, TOML)` pairs, compiling every grammar now.
    pub fn from_files(files: &BTreeMap<String, String>) -> Result<Self, Error> {
        let set = Self::sorted(
            files
                .iter()
                .map(|(p, c)| (p.clone(), Cow::Owned(c.clone()))),
        );
        set.compile_now(|_, _| true)?;
        Ok(set)
    }

    /// Sorts files by standard and version folder, compiling nothing. A standard without a
    /// base dictionary is left out, and so are paths of any other shape.
    fn sorted(files: impl IntoIterator<Item = (String, Text)>) -> Self {
        let files: BTreeMap<String, Text> = files.into_iter().collect();
        let mut standards = Vec::new();
        for name in STANDARDS {
            let base_path = format!("{name}/dictionary.toml");
            let Some(base_text) = files.get(&base_path) else {
                continue;
            };
            let mut versions: BTreeMap<&str, Vec<(String, Text)>> = BTreeMap::new();
            for (path, text) in &files {
                let mut parts = path.split('/');
                if let (Some(s), Some(v), Some(_), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                    && s == name
                {
                    versions
                        .entry(v)
                        .or_default()
                        .push((path.clone(), text.clone()));
                }
            }
            standards.push(Standard {
                name,
                base_text: base_text.clone(),
                base_path,
                base: OnceLock::new(),
                versions: versions
                    .into_iter()
                    .map(|(v, files)| Version {
                        version: v.to_string(),
                        has_sets: files.iter().any(|(p, _)| !p.ends_with("/dictionary.toml")),
                        files,
                        compiled: OnceLock::new(),
                    })
                    .collect(),
            });
        }
        standards.sort_by_key(|s| s.name);
        GrammarSet {
            standards: Arc::new(standards),
            narrowed: Arc::default(),
        }
    }

    /// Compiles the versions `eager` picks, standard by standard in [`STANDARDS`] order and
    /// version by version, stopping at the first error.
    fn compile_now(&self, eager: impl Fn(&Standard, &Version) -> bool) -> Result<(), Error> {
        for name in STANDARDS {
            let Some(s) = self.standard(name) else {
                continue;
            };
            for v in s.versions.iter().filter(|v| eager(s, v)) {
                let sets = s.compile(v)?;
                // Nobody else can have compiled it: the set is not shared yet.
                let _ = v.compiled.set(sets);
            }
        }
        Ok(())
    }

    fn standard(&self, name: &str) -> Option<&Standard> {
        self.standards.iter().find(|s| s.name == name)
    }

    /// The versions that have grammars, for a standard.
    pub fn versions(&self, standard: &str) -> Vec<&str> {
        self.standard(standard)
            .map(|s| {
                s.versions
                    .iter()
                    .filter(|v| v.has_sets)
                    .map(|v| v.version.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// This set with the grammars `guide` narrows in place of the standard's (see
    /// `grammar::guide`): a view that shares every other grammar with `self`. The grammars the
    /// guide names are compiled now, and a guide that names what they lack, or would widen
    /// what they allow, is refused with its line and key.
    pub fn with_guide(
        &self,
        guide: &super::guide::Guide,
    ) -> Result<GrammarSet, super::guide::Error> {
        let mut narrowed = (*self.narrowed).clone();
        let mut seen: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        for set in &guide.sets {
            let key = (
                set.standard.value.as_str(),
                set.version.value.as_str(),
                set.id.value.as_str(),
            );
            if let Some(first) = seen.insert(key, set.id.line) {
                return Err(guide.error(
                    set.id.line,
                    "set",
                    format!(
                        "{} {} {} is narrowed twice (first at line {first}); say everything about it in one [[set]]",
                        set.standard.value, set.id.value, set.version.value
                    ),
                ));
            }
            let base = self.exact(&set.standard.value, &set.version.value, &set.id.value);
            let g = match base {
                Ok(g) => g,
                Err(known) => {
                    return Err(guide.error(
                        set.id.line,
                        "set",
                        format!(
                            "there is no {} grammar for {} {}; the grammars have {}",
                            set.standard.value, set.id.value, set.version.value, known
                        ),
                    ));
                }
            };
            let key = (g.standard.clone(), g.version.clone(), g.id.clone());
            let g = super::narrow::narrow(&g, set, guide)?;
            narrowed.insert(key, Arc::new(g));
        }
        Ok(GrammarSet {
            standards: self.standards.clone(),
            narrowed: Arc::new(narrowed),
        })
    }

    /// The standard's grammar of exactly this version and set, or what there is instead.
    fn exact(&self, standard: &str, version: &str, set_id: &str) -> Result<Arc<Grammar>, String> {
        let Some(s) = self.standard(standard) else {
            return Err(format!("no standard '{standard}' (x12 or edifact)"));
        };
        if let Some(g) = s.find(version, set_id) {
            return Ok(g);
        }
        let versions: Vec<&str> = self.versions(standard);
        let with_set: Vec<&str> = s
            .versions
            .iter()
            .filter(|v| v.has_sets && s.sets(v).contains_key(set_id))
            .map(|v| v.version.as_str())
            .collect();
        Err(if with_set.is_empty() {
            format!("no set {set_id} in any version ({})", versions.join(", "))
        } else {
            format!("{set_id} in {} only", with_set.join(", "))
        })
    }

    /// The grammar a guide narrowed in place of `g`, or `g`.
    #[inline]
    fn guided(&self, found: (Arc<Grammar>, Option<String>)) -> (Arc<Grammar>, Option<String>) {
        if self.narrowed.is_empty() {
            return found;
        }
        let (g, note) = found;
        let key = (g.standard.clone(), g.version.clone(), g.id.clone());
        match self.narrowed.get(&key) {
            Some(n) => (n.clone(), note),
            None => (g, note),
        }
    }

    /// True when an implementation guide narrows some of these grammars.
    pub fn has_guide(&self) -> bool {
        !self.narrowed.is_empty()
    }

    /// The X12 grammar for `version` (GS08 or ST03, e.g. `004010VICS`) and set id. When the
    /// exact version is not available, the nearest lower version that has the set is used (or
    /// the lowest higher one), and the second value says so.
    pub fn x12(&self, version: &str, set_id: &str) -> Option<(Arc<Grammar>, Option<String>)> {
        self.x12_standard(version, set_id).map(|f| self.guided(f))
    }

    fn x12_standard(&self, version: &str, set_id: &str) -> Option<(Arc<Grammar>, Option<String>)> {
        let s = self.standard("x12")?;
        let v = version.trim();
        let base = v.char_indices().nth(6).map_or(v, |(i, _)| &v[..i]);
        if base.len() == v.len()
            && let Some(g) = s.find(base, set_id)
        {
            return Some((g, None));
        }
        let wanted: u64 = base.parse().unwrap_or(0);
        let g = s.nearest(set_id, wanted, |ver| ver.parse::<u64>().ok())?;
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
        self.edifact_standard(directory, message)
            .map(|f| self.guided(f))
    }

    fn edifact_standard(
        &self,
        directory: &str,
        message: &str,
    ) -> Option<(Arc<Grammar>, Option<String>)> {
        let s = self.standard("edifact")?;
        if let Some(g) = s.find(directory, message) {
            return Some((g, None));
        }
        let wanted = directory_key(directory).unwrap_or((0, 0));
        let g = s.nearest(message, wanted, directory_key)?;
        let note = format!(
            "directory '{directory}' has no grammar of its own; {message} is validated against {}",
            g.version
        );
        Some((g, Some(note)))
    }

    /// Every grammar, for listing: this compiles every version.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Grammar>> {
        self.standards
            .iter()
            .flat_map(|s| s.versions.iter().flat_map(|v| s.sets(v).values()))
    }
}

impl Standard {
    /// The parsed base dictionary, parsed on first use.
    fn base(&self) -> Result<&DictionaryFile, Error> {
        self.base
            .get_or_init(|| parse_dictionary(&self.base_path, &self.base_text).map(Arc::new))
            .as_deref()
            .map_err(Clone::clone)
    }

    fn compile(&self, v: &Version) -> Result<Sets, Error> {
        let files: Vec<(String, &str)> = v
            .files
            .iter()
            .map(|(p, t)| (p.clone(), t.as_ref()))
            .collect();
        compile_version(self.name, &v.version, self.base()?, &files)
    }

    /// The grammars of a version, compiled now if nobody has asked for them before. Only
    /// built-in grammars get here uncompiled ([`GrammarSet::with_overrides`] compiles what the
    /// user gave), and `builtin_grammars_compile` proves that they all compile.
    fn sets<'s>(&'s self, v: &'s Version) -> &'s Sets {
        v.compiled.get_or_init(|| {
            self.compile(v).unwrap_or_else(|e| {
                panic!(
                    "built-in grammar does not compile ({e}); builtin_grammars_compile tests this"
                )
            })
        })
    }

    /// The grammar of `set_id` in exactly `version`.
    fn find(&self, version: &str, set_id: &str) -> Option<Arc<Grammar>> {
        let v = self.versions.iter().find(|v| v.version == version)?;
        self.sets(v).get(set_id).cloned()
    }

    /// The grammar of `set_id` in the nearest version at or below `wanted` in the order `rank`
    /// gives, or else in the lowest version above. Versions `rank` cannot read are never used.
    /// Versions are compiled one by one from the nearest until one has the set.
    fn nearest<K: Ord + Copy>(
        &self,
        set_id: &str,
        wanted: K,
        rank: impl Fn(&str) -> Option<K>,
    ) -> Option<Arc<Grammar>> {
        let mut ranked: Vec<(K, &Version)> = self
            .versions
            .iter()
            .filter_map(|v| Some((rank(&v.version)?, v)))
            .collect();
        // Stable: versions of equal rank stay in name order, as they always were.
        ranked.sort_by_key(|(k, _)| *k);
        let has = |v: &Version| self.sets(v).get(set_id).cloned();
        ranked
            .iter()
            .rev()
            .filter(|(k, _)| *k <= wanted)
            .find_map(|(_, v)| has(v))
            .or_else(|| ranked.iter().find_map(|(_, v)| has(v)))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(set: &GrammarSet) -> Vec<String> {
        set.standards
            .iter()
            .flat_map(|s| {
                s.versions
                    .iter()
                    .filter(|v| v.compiled.get().is_some())
                    .map(move |v| format!("{}/{}", s.name, v.version))
            })
            .collect()
    }

    fn parsed_bases(set: &GrammarSet) -> Vec<&str> {
        set.standards
            .iter()
            .filter(|s| s.base.get().is_some())
            .map(|s| s.name)
            .collect()
    }

    /// Start-up reads each built-in base dictionary from its JSON, the same data as its TOML;
    /// a dictionary laid over the built-in one is read as TOML.
    #[test]
    fn builtin_base_dictionaries_are_read_from_their_json() {
        let set = GrammarSet::builtin().unwrap();
        for s in set.standards.iter() {
            assert!(
                super::super::builtin::builtin_json(&s.base_path, &s.base_text).is_some(),
                "{}",
                s.name
            );
            // Read through the same serde types as the TOML (`builtin` holds the data equal):
            // the grammars compiled over it are those of `builtin_grammars_compile` and of every
            // fixture's snapshot.
            assert!(s.base().is_ok(), "{}", s.name);
        }
    }

    #[test]
    fn builtin_grammars_compile() {
        let set = GrammarSet::builtin().expect("built-in grammars are valid");
        for s in ["x12", "edifact"] {
            let st = set.standard(s).expect("standard");
            for v in &st.versions {
                st.compile(v)
                    .unwrap_or_else(|e| panic!("{s}/{}: {e}", v.version));
            }
        }
        assert_eq!(set.all().count(), 21);
        assert_eq!(compiled(&set).len(), 4);
    }

    #[test]
    fn builtin_grammars_load() {
        let set = GrammarSet::builtin().expect("built-in grammars are valid");
        for v in ["004010", "005010"] {
            for id in ["850", "856", "810", "997", "TA1"] {
                let (g, fb) = set.x12(v, id).unwrap_or_else(|| panic!("{v} {id}"));
                assert_eq!(g.version, v);
                assert!(fb.is_none());
            }
        }
        // The 999 is 005010X231's: only 005010 has it.
        let (g, fb) = set.x12("005010", "999").expect("999");
        assert_eq!((g.version.as_str(), fb), ("005010", None));
    }

    #[test]
    fn one_version_is_compiled_on_first_use_and_nothing_before() {
        let set = GrammarSet::builtin().unwrap();
        assert!(compiled(&set).is_empty() && parsed_bases(&set).is_empty());
        assert_eq!(set.versions("x12"), ["004010", "005010"]);
        assert_eq!(set.versions("edifact"), ["D01B", "D96A"]);
        assert!(
            compiled(&set).is_empty(),
            "listing versions compiles nothing"
        );
        let (g, _) = set.x12("004010", "850").unwrap();
        assert_eq!(compiled(&set), ["x12/004010"]);
        assert_eq!(parsed_bases(&set), ["x12"]);
        // The same grammar, not a second compilation.
        assert!(Arc::ptr_eq(&g, &set.x12("004010", "850").unwrap().0));
        // A later version's fallback compiles the version it falls back to, and only that.
        assert_eq!(set.x12("004030", "810").unwrap().0.version, "004010");
        assert_eq!(compiled(&set), ["x12/004010"]);
        set.edifact("D96A", "ORDERS").unwrap();
        assert_eq!(compiled(&set), ["edifact/D96A", "x12/004010"]);
    }

    #[test]
    fn compiled_once_when_threads_race() {
        let set = GrammarSet::builtin().unwrap();
        let grammars: Vec<Arc<Grammar>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| set.x12("005010", "856").unwrap().0))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(grammars.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
        assert_eq!(compiled(&set), ["x12/005010"]);
    }

    #[test]
    fn version_fallback_picks_nearest_lower() {
        let set = GrammarSet::builtin().unwrap();
        assert_eq!(set.x12("004030", "810").unwrap().0.version, "004010");
        assert_eq!(set.x12("005030", "850").unwrap().0.version, "005010");
        assert_eq!(set.x12("002040", "810").unwrap().0.version, "004010");
        assert_eq!(set.x12("005010X222A1", "850").unwrap().0.version, "005010");
        // A 999 under an earlier GS08 is read with the 005010 grammar, and the note says so.
        let (g, note) = set.x12("004010", "999").expect("999");
        assert_eq!(g.version, "005010");
        assert!(note.is_some_and(|n| n.contains("999 is validated against 005010")));
        let (g, note) = set.x12(" 004010VICS ", "850").unwrap();
        assert_eq!(g.version, "004010");
        assert_eq!(
            note.as_deref(),
            Some("version '004010VICS' has no grammar of its own; 850 is validated against 004010")
        );
        assert_eq!(set.edifact("D97A", "ORDERS").unwrap().0.version, "D96A");
        assert_eq!(set.edifact("D93A", "ORDERS").unwrap().0.version, "D96A");
        assert_eq!(set.edifact("D12A", "DESADV").unwrap().0.version, "D01B");
        let (_, note) = set.edifact("bad", "INVOIC").unwrap();
        assert_eq!(
            note.as_deref(),
            Some("directory 'bad' has no grammar of its own; INVOIC is validated against D96A")
        );
        assert!(set.edifact("D96A", "NOPE").is_none());
    }

    #[test]
    fn overrides_compile_what_they_touch_when_loaded() {
        let file = |p: &str, t: &str| (p.to_string(), t.to_string());
        // A set replaced in one version: that version is compiled now, the others wait.
        let own_850 = BUILTIN
            .iter()
            .find(|(p, _)| *p == "x12/004010/850.toml")
            .unwrap()
            .1
            .replace("name = \"Purchase Order\"", "name = \"Our Purchase Order\"");
        let set = GrammarSet::with_overrides([file("x12/004010/850.toml", &own_850)]).unwrap();
        assert_eq!(compiled(&set), ["x12/004010"]);
        assert_eq!(
            set.x12("004010", "850").unwrap().0.name,
            "Our Purchase Order"
        );
        // A new version folder is compiled, and its sets are found.
        let set = GrammarSet::with_overrides([file("x12/004030/850.toml", &own_850)]).unwrap();
        assert_eq!(compiled(&set), ["x12/004030"]);
        assert_eq!(set.versions("x12"), ["004010", "004030", "005010"]);
        assert_eq!(set.x12("004030", "850").unwrap().1, None);
        // The base dictionary touches every version of its standard.
        let x12_base = BUILTIN
            .iter()
            .find(|(p, _)| *p == "x12/dictionary.toml")
            .unwrap()
            .1;
        let set = GrammarSet::with_overrides([file("x12/dictionary.toml", x12_base)]).unwrap();
        assert_eq!(compiled(&set), ["x12/004010", "x12/005010"]);
    }

    #[test]
    fn a_bad_override_is_refused_when_loaded() {
        let file = |p: &str, t: &str| (p.to_string(), t.to_string());
        let bad_ref = "id = \"850\"\nname = \"PO\"\nstructure = [{ segment = \"ZZZ\" }]\n";
        let e = GrammarSet::with_overrides([file("x12/004010/850.toml", bad_ref)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x12/004010/850.toml: segment 'ZZZ' is not defined in the dictionary"
        );
        let e =
            GrammarSet::with_overrides([file("edifact/D96A/ORDERS.toml", "id = ")]).unwrap_err();
        assert!(matches!(e, Error::Parse { ref path, .. } if path == "edifact/D96A/ORDERS.toml"));
        // A broken base dictionary breaks every version of its standard, now.
        let e =
            GrammarSet::with_overrides([file("edifact/dictionary.toml", "[elements")]).unwrap_err();
        assert!(matches!(e, Error::Parse { ref path, .. } if path == "edifact/dictionary.toml"));
        // X12 is compiled (and reported) before EDIFACT, as it always was.
        let e = GrammarSet::with_overrides([
            file("edifact/D96A/ORDERS.toml", "id = "),
            file("x12/004010/850.toml", bad_ref),
        ])
        .unwrap_err();
        assert!(e.to_string().starts_with("x12/004010/850.toml"));
        // Files of other shapes are ignored, as before.
        GrammarSet::with_overrides([file("x12/004010/extra/850.toml", "id = ")]).unwrap();
    }

    #[test]
    fn from_files_compiles_everything() {
        let files: BTreeMap<String, String> = BUILTIN
            .iter()
            .map(|(p, c)| ((*p).to_string(), (*c).to_string()))
            .collect();
        let set = GrammarSet::from_files(&files).unwrap();
        assert_eq!(compiled(&set).len(), 4);
        let mut broken = files.clone();
        broken.insert("x12/005010/dictionary.toml".into(), "[segments.X]".into());
        assert!(GrammarSet::from_files(&broken).is_err());
        // Without a base dictionary a standard is left out.
        broken.retain(|p, _| !p.starts_with("x12/"));
        let set = GrammarSet::from_files(&broken).unwrap();
        assert!(set.versions("x12").is_empty() && set.x12("004010", "850").is_none());
    }
}
