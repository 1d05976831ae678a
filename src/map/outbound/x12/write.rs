//! Segments built against the grammar they will be read with.
//!
//! Each value is formatted as its element's type wants it (`R` plain decimal, `Nn` implied
//! decimals, `DT` CCYYMMDD, `TM` HHMM or HHMMSS) and checked against the element definition of
//! the version's built-in grammar (length, code list, the position existing at all), and each
//! finished segment against its mandatory elements and syntax notes. A value that fails is an
//! [`Error`] naming the model field it came from: nothing is truncated or dropped here.

use crate::grammar::{ElementType, Grammar, Item, Node, SegmentDef, Usage};
use crate::map::outbound::Error;
use crate::syntax::x12::{Element, Segment};
use jiff::civil::{Date, Time};
use rust_decimal::Decimal;
use std::sync::Arc;

/// The grammar of `set_id` in exactly `version`: a writer never falls back to a neighbour.
pub fn grammar(version: &str, set_id: &str) -> Result<Arc<Grammar>, Error> {
    match crate::map::outbound::grammars().x12(version, set_id) {
        Some((g, None)) => Ok(g),
        _ => Err(Error::NotSupported {
            what: format!("transaction set {set_id} in version '{version}'"),
            standard: "X12 (versions 004010 and 005010)",
        }),
    }
}

/// A value of the model, before it is formatted for its element.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// Text from the model: it must read back as itself (no surrounding spaces, no control
    /// characters, not empty).
    Text(&'a str),
    /// A code the writer itself chooses (`F`, `2`, `GM`): still checked against the grammar.
    Code(&'a str),
    Number(Decimal),
    Count(u64),
    Date(Date),
    Time(Time),
}

/// The segments of one body, with the grammar they are checked against.
pub struct Writer {
    grammar: Arc<Grammar>,
    pub segments: Vec<Segment>,
}

impl Writer {
    pub fn new(version: &str, set_id: &str) -> Result<Self, Error> {
        Ok(Writer {
            grammar: grammar(version, set_id)?,
            segments: Vec::new(),
        })
    }

    /// Starts a segment. The tag is always one the writers know; a version without it is
    /// not one they support.
    pub fn seg(&mut self, tag: &'static str) -> Result<Seg<'_>, Error> {
        let def = self
            .grammar
            .dictionary
            .get(tag)
            .cloned()
            .ok_or_else(|| Error::NotSupported {
                what: format!("segment {tag} in version {}", self.grammar.version),
                standard: "X12",
            })?;
        Ok(Seg {
            w: self,
            def,
            elements: Vec::new(),
            fields: Vec::new(),
        })
    }

    /// How many elements `tag` has in this version (for item id pairs).
    pub fn positions(&self, tag: &str) -> usize {
        self.grammar
            .dictionary
            .get(tag)
            .map_or(0, |d| d.elements.len())
    }

    /// How many times the set's structure allows what `path` names: loops by their first
    /// segment, then a segment or loop in the last one (`["IT1", "SAC"]`: SAC loops in an IT1
    /// loop). 0 when the structure has no such place.
    pub fn limit(&self, path: &[&str]) -> usize {
        let mut nodes = &self.grammar.structure;
        let mut max = 0;
        for (i, tag) in path.iter().enumerate() {
            let Some(n) = nodes.iter().find(|n| n.trigger() == *tag) else {
                return 0;
            };
            max = n.max();
            if i + 1 < path.len() {
                match n {
                    Node::Loop { body, .. } => nodes = body,
                    Node::Segment { .. } => return 0,
                }
            }
        }
        max
    }

    /// At most as many `items` as the structure allows at `path`.
    pub fn at_most<T>(&self, items: &[T], path: &[&str], field: &str) -> Result<(), Error> {
        let max = self.limit(path);
        if items.len() > max {
            return Err(Error::Unrepresentable {
                field: field.to_string(),
                value: format!("{} entries", items.len()),
                why: format!(
                    "{} {} allows at most {max} of {}",
                    self.grammar.id,
                    self.grammar.version,
                    path.join("/")
                ),
            });
        }
        Ok(())
    }

    /// The maximum length of element `n` of `tag` (for splitting long text over segments).
    pub fn max_len(&self, tag: &str, n: usize) -> usize {
        self.grammar
            .dictionary
            .get(tag)
            .and_then(|d| d.elements.get(n - 1))
            .map_or(0, |p| match &p.item {
                Item::Simple(e) => e.max,
                Item::Composite { .. } => 0,
            })
    }
}

/// One segment being built: element values by position, each with the model field it holds.
pub struct Seg<'w> {
    w: &'w mut Writer,
    def: Arc<SegmentDef>,
    elements: Vec<Element>,
    fields: Vec<String>,
}

impl Seg<'_> {
    /// Sets element `n` (1-based) from `field` of the model; `None` leaves it empty (a
    /// mandatory element left empty is [`Error::Missing`] naming `field`).
    pub fn el(mut self, n: usize, field: &str, v: Option<Value<'_>>) -> Result<Self, Error> {
        let tag = self.def.tag.clone();
        let label = format!("{tag}{n:02}");
        let Some(pos) = self.def.elements.get(n - 1) else {
            if v.is_none() {
                return Ok(self);
            }
            return Err(Error::Unrepresentable {
                field: field.to_string(),
                value: shown(v),
                why: format!(
                    "version {} has no element {label} to carry it",
                    self.w.grammar.version
                ),
            });
        };
        let Item::Simple(e) = &pos.item else {
            unreachable!("the writers put no value in a composite position ({label})")
        };
        if self.elements.len() < n {
            self.elements.resize(n, Element::simple(""));
            self.fields.resize(n, String::new());
        }
        self.fields[n - 1] = field.to_string();
        let Some(v) = v else {
            if pos.usage == Usage::Mandatory {
                return Err(Error::Missing {
                    field: field.to_string(),
                    why: "the element that carries it is mandatory",
                });
            }
            return Ok(self);
        };
        let unrepresentable = |value: String, why: String| Error::Unrepresentable {
            field: field.to_string(),
            value,
            why: format!("{label} ({}): {why}", e.name),
        };
        let text = format_value(v, e.kind).map_err(|(value, why)| unrepresentable(value, why))?;
        if let Some(codes) = &e.codes
            && !codes.contains(text.as_bytes())
        {
            return Err(unrepresentable(
                text,
                format!("not one of its codes in version {}", self.w.grammar.version),
            ));
        }
        let len = if is_numeric(e.kind) {
            text.bytes().filter(u8::is_ascii_digit).count()
        } else {
            text.chars().count()
        };
        if len > e.max || len < e.min {
            return Err(unrepresentable(
                text,
                format!(
                    "{} where {}..{} are allowed",
                    crate::syntax::text::characters(len),
                    e.min.max(1),
                    e.max
                ),
            ));
        }
        self.elements[n - 1] = Element::simple(text);
        Ok(self)
    }

    /// [`Seg::el`] for a value the model always has.
    pub fn val(self, n: usize, field: &str, v: Value<'_>) -> Result<Self, Error> {
        self.el(n, field, Some(v))
    }

    /// [`Seg::el`] for optional text.
    pub fn text(self, n: usize, field: &str, v: Option<&str>) -> Result<Self, Error> {
        self.el(n, field, v.map(Value::Text))
    }

    /// A code chosen by the writer (qualifiers, fixed values).
    pub fn code(self, n: usize, code: &str) -> Result<Self, Error> {
        let field = format!("{}{n:02} (a code the writer sets)", self.def.tag);
        self.el(n, &field, Some(Value::Code(code)))
    }

    /// Optional number.
    pub fn num(self, n: usize, field: &str, v: Option<Decimal>) -> Result<Self, Error> {
        self.el(n, field, v.map(Value::Number))
    }

    /// Ends the segment: mandatory elements and syntax notes are checked, then it is added.
    pub fn done(self) -> Result<(), Error> {
        let present = |p: usize| {
            self.elements
                .get(p - 1)
                .is_some_and(|e| e.0.iter().any(|r| r.iter().any(|c| !c.is_empty())))
        };
        let name = |p: usize| {
            let f = self.fields.get(p - 1).map_or("", String::as_str);
            if f.is_empty() {
                format!("{}{p:02}", self.def.tag)
            } else {
                f.to_string()
            }
        };
        for (i, pos) in self.def.elements.iter().enumerate() {
            if pos.usage == Usage::Mandatory && !present(i + 1) {
                return Err(Error::Missing {
                    field: name(i + 1),
                    why: "the element that carries it is mandatory",
                });
            }
        }
        for rule in &self.def.rules {
            let ps = &rule.positions;
            let missing: Vec<usize> = ps.iter().copied().filter(|&p| !present(p)).collect();
            let n_present = ps.len() - missing.len();
            let names = |v: &[usize]| v.iter().map(|&p| name(p)).collect::<Vec<_>>().join(", ");
            let why = match rule.kind {
                b'P' if n_present > 0 && !missing.is_empty() => {
                    "the segment's syntax note pairs it with a value that is present"
                }
                b'R' if n_present == 0 => {
                    "the segment's syntax note needs at least one of these values"
                }
                b'C' if present(ps[0]) && !missing.is_empty() => {
                    "the segment's syntax note needs it with a value that is present"
                }
                b'L' if present(ps[0]) && missing.len() == ps.len() - 1 => {
                    "the segment's syntax note needs one of these with a value that is present"
                }
                b'E' if n_present > 1 => {
                    let shown: Vec<usize> = ps.iter().copied().filter(|&p| present(p)).collect();
                    return Err(Error::Unrepresentable {
                        field: names(&shown),
                        value: String::new(),
                        why: format!(
                            "{} allows only one of them (syntax note {})",
                            self.def.tag, rule.text
                        ),
                    });
                }
                _ => continue,
            };
            return Err(Error::Missing {
                field: format!(
                    "{} ({} syntax note {})",
                    names(&missing),
                    self.def.tag,
                    rule.text
                ),
                why,
            });
        }
        let seg = Segment::new(self.def.tag.clone(), self.elements).trimmed();
        self.w.segments.push(seg);
        Ok(())
    }
}

fn is_numeric(kind: ElementType) -> bool {
    matches!(kind, ElementType::R | ElementType::N) || kind.implied_decimals().is_some()
}

fn shown(v: Option<Value<'_>>) -> String {
    match v {
        None => String::new(),
        Some(Value::Text(s) | Value::Code(s)) => s.to_string(),
        Some(Value::Number(d)) => d.to_string(),
        Some(Value::Count(c)) => c.to_string(),
        Some(Value::Date(d)) => d.to_string(),
        Some(Value::Time(t)) => t.to_string(),
    }
}

/// The wire form of a value for an element of type `kind`, or (the value, why not).
fn format_value(v: Value<'_>, kind: ElementType) -> Result<String, (String, String)> {
    let mismatch = |what: &str| {
        Err((
            shown(Some(v)),
            format!("a {what} cannot go in an element of type {kind:?}"),
        ))
    };
    match (v, kind) {
        (Value::Text(s), ElementType::AN | ElementType::ID | ElementType::A) => {
            model_text(s).map(str::to_string)
        }
        (Value::Code(s), _) => Ok(s.to_string()),
        (Value::Number(d), ElementType::R) => Ok(real(d)),
        (Value::Number(d), k) if k.implied_decimals().is_some() => {
            implied(d, k.implied_decimals().unwrap_or(0)).ok_or_else(|| {
                (
                    d.to_string(),
                    format!(
                        "has more decimal places than the {} the element implies",
                        k.implied_decimals().unwrap_or(0)
                    ),
                )
            })
        }
        (Value::Count(c), k) if k == ElementType::R || k.implied_decimals() == Some(0) => {
            Ok(c.to_string())
        }
        (Value::Date(d), ElementType::DT) => ccyymmdd(d),
        (Value::Time(t), ElementType::TM) => hhmm(t),
        (Value::Text(_), _) => mismatch("text"),
        (Value::Number(_), _) => mismatch("number"),
        (Value::Count(_), _) => mismatch("count"),
        (Value::Date(_), _) => mismatch("date"),
        (Value::Time(_), _) => mismatch("time"),
    }
}

/// Text the reader gives back unchanged: it trims and drops control characters.
fn model_text(s: &str) -> Result<&str, (String, String)> {
    let why = if s.is_empty() {
        "is empty, and an empty element reads back as no value"
    } else if s.trim() != s {
        "has leading or trailing spaces, which readers drop"
    } else if s.chars().any(char::is_control) {
        "holds a control character, which X12 cannot carry"
    } else {
        return Ok(s);
    };
    Err((s.to_string(), why.to_string()))
}

/// An `R` value: the shortest exact decimal, no exponent, no trailing zeros after the point,
/// leading zero suppressed (`.5`, `-.25`) as X12 asks of numeric values.
pub fn real(d: Decimal) -> String {
    let d = d.normalize();
    if d.is_zero() {
        return "0".into();
    }
    let s = d.to_string();
    if let Some(rest) = s.strip_prefix("0.") {
        format!(".{rest}")
    } else if let Some(rest) = s.strip_prefix("-0.") {
        format!("-.{rest}")
    } else {
        s
    }
}

/// An `Nn` value: the digits of `d` × 10^`places`, or `None` when that is not whole.
pub fn implied(d: Decimal, places: u32) -> Option<String> {
    let d = d.normalize();
    if d.scale() > places {
        return None;
    }
    let mut scaled = d;
    scaled.rescale(places);
    if scaled.scale() != places {
        return None;
    }
    let m = scaled.mantissa();
    Some(if m == 0 { "0".into() } else { m.to_string() })
}

fn ccyymmdd(d: Date) -> Result<String, (String, String)> {
    if d.year() < 0 {
        return Err((d.to_string(), "CCYYMMDD has no years before 0".into()));
    }
    Ok(format!("{:04}{:02}{:02}", d.year(), d.month(), d.day()))
}

/// HHMM, or HHMMSS when there are seconds; fractions of a second are refused because readers
/// take only HHMMSS (HHMMSSDD's hundredths would be lost).
fn hhmm(t: Time) -> Result<String, (String, String)> {
    if t.subsec_nanosecond() != 0 {
        return Err((
            t.to_string(),
            "has a fraction of a second, which readers of HHMMSS(DD) drop".into(),
        ));
    }
    Ok(if t.second() == 0 {
        format!("{:02}{:02}", t.hour(), t.minute())
    } else {
        format!("{:02}{:02}{:02}", t.hour(), t.minute(), t.second())
    })
}

/// Splits text over elements of at most `max` characters at single spaces, so that readers
/// joining the parts with one space give it back; `None` when it cannot be split so.
pub fn split_words(s: &str, max: usize) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut rest = s;
    while rest.chars().count() > max {
        // A space among the first max + 1 characters splits into rest[..i] (at most max
        // characters) and rest[i + 1..]; neither may start or end with a space, or the
        // reader's trimming would change the text.
        let at = rest
            .char_indices()
            .take(max + 1)
            .filter(|&(i, c)| c == ' ' && i > 0)
            .map(|(i, _)| i)
            .filter(|&i| !rest[..i].ends_with(' ') && !rest[i + 1..].starts_with(' '))
            .last()?;
        parts.push(&rest[..at]);
        rest = &rest[at + 1..];
    }
    parts.push(rest);
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn reals_are_plain_and_short() {
        assert_eq!(real(d("10.50")), "10.5");
        assert_eq!(real(d("0.25")), ".25");
        assert_eq!(real(d("-0.25")), "-.25");
        assert_eq!(real(d("-0.00")), "0");
        assert_eq!(real(d("1000")), "1000");
        assert_eq!(real(d("1e3")), "1000");
        assert_eq!(real(d("0.0000001")), ".0000001");
    }

    #[test]
    fn implied_decimals_are_whole_or_refused() {
        assert_eq!(implied(d("1072.9"), 2).as_deref(), Some("107290"));
        assert_eq!(implied(d("-0.05"), 2).as_deref(), Some("-5"));
        assert_eq!(implied(d("0"), 2).as_deref(), Some("0"));
        assert_eq!(implied(d("12.00"), 0).as_deref(), Some("12"));
        assert_eq!(implied(d("1.005"), 2), None);
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(
            hhmm(Time::new(7, 5, 0, 0).unwrap()).unwrap(),
            "0705".to_string()
        );
        assert_eq!(hhmm(Time::new(7, 5, 9, 0).unwrap()).unwrap(), "070509");
        assert!(hhmm(Time::new(7, 5, 9, 10).unwrap()).is_err());
        assert_eq!(ccyymmdd(Date::new(999, 1, 2).unwrap()).unwrap(), "09990102");
    }

    #[test]
    fn words_split_where_a_reader_joins_them_back() {
        assert_eq!(split_words("abc def", 80), Some(vec!["abc def"]));
        assert_eq!(split_words("abc def ghi", 7), Some(vec!["abc def", "ghi"]));
        assert_eq!(split_words("abcdefgh ij", 7), None);
        assert_eq!(split_words("abc  def", 4), None);
        let long = "word ".repeat(40);
        let long = long.trim_end();
        let parts = split_words(long, 80).unwrap();
        assert!(parts.iter().all(|p| p.len() <= 80));
        assert_eq!(parts.join(" "), long);
    }
}
