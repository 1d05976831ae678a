//! Building envelopes: ISA/GS/ST…SE/GE/IEA and UNA/UNB/UNH…UNT/UNZ around bodies we send.
//!
//! Phase: bodies → bytes. Acknowledgments (`crate::ack`) and the outbound documents
//! (`crate::map::outbound`) both send interchanges; what their envelopes need (fixed-width
//! ISA fields, zero-padded control numbers, counts, a UNA when the separators are not the
//! defaults, the character set the UNB declares) is written once, here. The caller says who
//! sends to whom with which control numbers; every value is checked against what its element
//! holds, and an interchange that cannot be written is an [`Error`], never a truncated one.
//!
//! ```
//! use tallyman::envelope::build::{X12Envelope, X12Group, X12Set, write_x12};
//! use tallyman::model::Identity;
//! use tallyman::syntax::x12::{Delimiters, Element, Segment};
//! let body = [Segment::new("BSN", vec![Element::simple("00"), Element::simple("SHIP1")])];
//! let env = X12Envelope {
//!     sender: Identity { qualifier: "ZZ".into(), id: "US".into() },
//!     receiver: Identity { qualifier: "ZZ".into(), id: "THEM".into() },
//!     version: "00401".into(),
//!     control: 7,
//!     ack_requested: false,
//!     usage: "P".into(),
//!     delimiters: Delimiters::default(),
//!     stamp: jiff::civil::date(2026, 12, 3).at(9, 30, 0, 0),
//! };
//! let group = X12Group {
//!     functional_id: "SH", sender: "US", receiver: "THEM", control: 7, version: "004010",
//!     sets: vec![X12Set { id: "856", control: 1, implementation: None, segments: &body }],
//! };
//! let mut out = Vec::new();
//! write_x12(&mut out, &env, &[], &[group]).unwrap();
//! assert!(out.starts_with(b"ISA*00*"));
//! assert!(out.ends_with(b"IEA*1*000000007~"));
//! ```

use crate::model::Identity;
use crate::syntax::edifact::{self, charset::Charset};
use crate::syntax::x12::{self, Element, Segment};

/// Why an interchange cannot be written. Nothing is appended then.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An X12 segment holds a value the delimiters cannot carry.
    #[error(transparent)]
    X12Segment(#[from] x12::WriteError),
    /// An EDIFACT segment holds a value the separators cannot carry.
    #[error(transparent)]
    EdifactSegment(#[from] edifact::WriteError),
    /// A header value does not fit its element (a control number over nine digits, an
    /// interchange id over fifteen characters, an ISA field holding a delimiter).
    #[error("{element}: '{value}' {why}")]
    Header {
        element: &'static str,
        value: String,
        why: &'static str,
    },
    /// ISA11 is the repetition separator from version 00402 on, and none was given.
    #[error("ISA12 {version} needs a repetition separator in ISA11, and the delimiters have none")]
    NoRepetitionSeparator { version: String },
    /// A value holds a character the declared EDIFACT character set lacks (and the envelope
    /// does not transliterate).
    #[error("'{}' cannot be written in {syntax_id}, the character set the interchange declares", ch.escape_default())]
    Charset { ch: char, syntax_id: String },
}

fn header(element: &'static str, value: &str, why: &'static str) -> Error {
    Error::Header {
        element,
        value: value.to_string(),
        why,
    }
}

/// An X12 interchange's header: ISA05 to ISA16 (ISA01 to ISA04 are written empty, `00`).
#[derive(Debug, Clone)]
pub struct X12Envelope {
    /// ISA05/ISA06.
    pub sender: Identity,
    /// ISA07/ISA08.
    pub receiver: Identity,
    /// ISA12 (`00401`, `00501`); ISA11 is `U` before `00402`, the repetition separator after.
    pub version: String,
    /// ISA13 (and IEA02), 1 to 999999999, written zero-padded.
    pub control: u64,
    /// ISA14.
    pub ack_requested: bool,
    /// ISA15: `P`, `T` or `I`.
    pub usage: String,
    pub delimiters: x12::Delimiters,
    /// ISA09/ISA10 and GS04/GS05.
    pub stamp: jiff::civil::DateTime,
}

/// One functional group: GS, its sets, GE.
#[derive(Debug, Clone)]
pub struct X12Group<'a> {
    /// GS01 (`SH`, `IN`, `FA`).
    pub functional_id: &'a str,
    /// GS02 and GS03, 2 to 15 characters (a shorter one is padded with spaces).
    pub sender: &'a str,
    pub receiver: &'a str,
    /// GS06 (and GE02).
    pub control: u64,
    /// GS08 (`004010`, `005010X231A1`).
    pub version: &'a str,
    pub sets: Vec<X12Set<'a>>,
}

/// One transaction set: ST, its body, SE.
#[derive(Debug, Clone)]
pub struct X12Set<'a> {
    /// ST01.
    pub id: &'a str,
    /// ST02 (and SE02), written with at least four digits.
    pub control: u64,
    /// ST03, the implementation convention (005010 on).
    pub implementation: Option<&'a str>,
    pub segments: &'a [Segment],
}

/// Writes one X12 interchange: the ISA, `leading` (a TA1), each group, the IEA.
pub fn write_x12(
    out: &mut Vec<u8>,
    env: &X12Envelope,
    leading: &[Segment],
    groups: &[X12Group<'_>],
) -> Result<(), Error> {
    let start = out.len();
    let r = x12_all(out, env, leading, groups);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

fn x12_all(
    out: &mut Vec<u8>,
    env: &X12Envelope,
    leading: &[Segment],
    groups: &[X12Group<'_>],
) -> Result<(), Error> {
    let mut d = env.delimiters;
    let version = env.version.as_str();
    if version.len() != 5 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return Err(header("ISA12", version, "is not a five-digit version"));
    }
    let isa11 = if version >= "00402" {
        d.repetition.ok_or_else(|| Error::NoRepetitionSeparator {
            version: version.to_string(),
        })?
    } else {
        d.repetition = None;
        b'U'
    };
    let control = nine(env.control, "ISA13")?;
    if !matches!(env.usage.as_str(), "P" | "T" | "I") {
        return Err(header("ISA15", &env.usage, "is not P, T or I"));
    }
    // The ISA has fixed widths in bytes: what goes into it must be printable ASCII.
    let qualifier = |q: &str, element: &'static str| -> Result<String, Error> {
        if q.len() == 2 && q.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            Ok(q.to_string())
        } else {
            Err(header(
                element,
                q,
                "is not a two-character qualifier of printable ASCII",
            ))
        }
    };
    let id = |v: &str, element: &'static str| -> Result<String, Error> {
        if v.trim().is_empty() || v.len() > 15 {
            return Err(header(element, v, "is not 1 to 15 characters"));
        }
        if !v.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return Err(header(
                element,
                v,
                "holds characters outside printable ASCII",
            ));
        }
        Ok(format!("{v:<15}"))
    };
    let date = env.stamp.strftime("%Y%m%d").to_string();
    let time = env.stamp.strftime("%H%M").to_string();
    let (isa05, isa06) = (
        qualifier(&env.sender.qualifier, "ISA05")?,
        id(&env.sender.id, "ISA06")?,
    );
    let (isa07, isa08) = (
        qualifier(&env.receiver.qualifier, "ISA07")?,
        id(&env.receiver.id, "ISA08")?,
    );
    let isa11 = [isa11];
    let isa14: &[u8] = if env.ack_requested { b"1" } else { b"0" };
    let isa16 = [d.component];
    let fields: [&[u8]; 16] = [
        b"00",
        b"          ",
        b"00",
        b"          ",
        isa05.as_bytes(),
        isa06.as_bytes(),
        isa07.as_bytes(),
        isa08.as_bytes(),
        &date.as_bytes()[2..],
        time.as_bytes(),
        &isa11,
        version.as_bytes(),
        control.as_bytes(),
        isa14,
        env.usage.as_bytes(),
        &isa16,
    ];
    // ISA is fixed-width and carries the separators themselves, so it is written here, not
    // by `write_segment` (which refuses a delimiter in a value).
    out.extend_from_slice(b"ISA");
    for (i, f) in fields.iter().enumerate() {
        if i < 10 && f.iter().any(|&b| d.is_delimiter(b)) {
            return Err(header(
                "ISA",
                &String::from_utf8_lossy(f),
                "holds a delimiter",
            ));
        }
        out.push(d.element);
        out.extend_from_slice(f);
    }
    out.extend_from_slice(d.terminator.as_bytes());
    for seg in leading {
        x12::write_segment(out, seg, &d)?;
    }
    for g in groups {
        let gs06 = number(g.control, "GS06", 1)?;
        let app = |v: &str, element: &'static str| -> Result<String, Error> {
            if v.trim().is_empty() || v.chars().count() > 15 {
                return Err(header(element, v, "is not 1 to 15 characters"));
            }
            Ok(format!("{v:<2}"))
        };
        let gs = Segment::new(
            "GS",
            vec![
                Element::simple(g.functional_id),
                Element::simple(app(g.sender, "GS02")?),
                Element::simple(app(g.receiver, "GS03")?),
                Element::simple(&date),
                Element::simple(&time),
                Element::simple(&gs06),
                Element::simple("X"),
                Element::simple(g.version),
            ],
        );
        x12::write_segment(out, &gs, &d)?;
        for set in &g.sets {
            let st02 = number(set.control, "ST02", 4)?;
            let mut st = vec![Element::simple(set.id), Element::simple(&st02)];
            if let Some(i) = set.implementation {
                st.push(Element::simple(i));
            }
            x12::write_segment(out, &Segment::new("ST", st), &d)?;
            for seg in set.segments {
                x12::write_segment(out, seg, &d)?;
            }
            let se = Segment::new(
                "SE",
                vec![
                    Element::simple((set.segments.len() + 2).to_string()),
                    Element::simple(&st02),
                ],
            );
            x12::write_segment(out, &se, &d)?;
        }
        let ge = Segment::new(
            "GE",
            vec![
                Element::simple(g.sets.len().to_string()),
                Element::simple(&gs06),
            ],
        );
        x12::write_segment(out, &ge, &d)?;
    }
    let iea = Segment::new(
        "IEA",
        vec![
            Element::simple(groups.len().to_string()),
            Element::simple(&control),
        ],
    );
    x12::write_segment(out, &iea, &d)?;
    Ok(())
}

fn nine(n: u64, element: &'static str) -> Result<String, Error> {
    if n > 999_999_999 {
        return Err(header(element, &n.to_string(), "has more than nine digits"));
    }
    Ok(format!("{n:09}"))
}

fn number(n: u64, element: &'static str, min: usize) -> Result<String, Error> {
    if n == 0 || n > 999_999_999 {
        return Err(header(element, &n.to_string(), "is not 1 to 999999999"));
    }
    Ok(format!("{n:0min$}"))
}

/// An EDIFACT interchange's header: UNB and how its values are encoded.
#[derive(Debug, Clone)]
pub struct EdifactEnvelope {
    /// UNB S001 0001 (`UNOA`, `UNOC`, `UNOY`...): the character set values are encoded in.
    pub syntax_id: String,
    /// UNB S001 0002: `3` or `4` (only 4 has a repetition separator and CCYYMMDD dates).
    pub syntax_version: String,
    /// UNB S002 (0004 and its qualifier 0007).
    pub sender: Identity,
    /// UNB S003 (0010 and 0007).
    pub recipient: Identity,
    /// UNB 0020 (and UNZ 0020), 1 to 14 digits.
    pub control: u64,
    /// UNB 0031: acknowledgment requested.
    pub ack_requested: bool,
    /// UNB 0035: test.
    pub test: bool,
    pub delimiters: edifact::Delimiters,
    /// UNB S004.
    pub stamp: jiff::civil::DateTime,
    /// Characters the character set lacks are transliterated (`é` → `e`) instead of refused:
    /// for partners on UNOA/UNOB whose master data holds accented names; under UNOA, whose
    /// level A has capital letters only, letters are written as capitals.
    pub transliterate: bool,
}

/// One message: UNH, its body, UNT.
#[derive(Debug, Clone)]
pub struct EdifactMessage<'a> {
    /// UNH 0062 (and UNT 0062), 1 to 14 digits.
    pub reference: u64,
    /// UNH S009: type, version, release, agency, and the association assigned code when
    /// there is one (`["DESADV", "D", "96A", "UN", "EAN005"]`).
    pub identifier: Vec<&'a str>,
    pub segments: &'a [Segment],
}

/// Writes one EDIFACT interchange: a UNA when the separators are not the defaults, the UNB,
/// each message, the UNZ; re-encoded in the character set the UNB declares.
pub fn write_edifact(
    out: &mut Vec<u8>,
    env: &EdifactEnvelope,
    messages: &[EdifactMessage<'_>],
) -> Result<(), Error> {
    let start = out.len();
    let r = edifact_all(out, env, messages).and_then(|()| encode(out, start, &env.syntax_id));
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// The separators an interchange is written with: `d`, unless one is outside ASCII (a byte of
/// the inbound's character set, which the values are re-encoded into) or alphanumeric (which
/// separates nothing reliably); then the standard ones. Syntax version 3 has no repetition
/// separator.
pub fn edifact_delimiters(d: edifact::Delimiters, syntax_version: &str) -> edifact::Delimiters {
    let mut d = d;
    let separators = [d.component, d.element, d.terminator];
    if separators
        .iter()
        .chain(d.release.iter())
        .chain(d.repetition.iter())
        .any(|b| !b.is_ascii() || b.is_ascii_alphanumeric())
        || !matches!(d.decimal, b'.' | b',')
    {
        let repetition = d.repetition.map(|_| b'*');
        d = edifact::Delimiters::default();
        d.repetition = repetition;
    }
    if syntax_version != "4" {
        d.repetition = None;
    }
    d
}

fn reference(n: u64, element: &'static str) -> Result<String, Error> {
    let s = n.to_string();
    if n == 0 || s.len() > 14 {
        return Err(header(element, &s, "is not 1 to 14 digits"));
    }
    Ok(s)
}

/// S002/S003: the id (an..35) and its qualifier (an..4).
fn party(p: &Identity, element: &'static str) -> Result<Element, Error> {
    if p.id.trim().is_empty() || p.id.chars().count() > 35 || p.id.chars().any(char::is_control) {
        return Err(header(element, &p.id, "is not 1 to 35 characters"));
    }
    if p.qualifier.chars().count() > 4 || p.qualifier.chars().any(char::is_control) {
        return Err(header(
            element,
            &p.qualifier,
            "is not a qualifier of up to 4 characters",
        ));
    }
    Ok(if p.qualifier.is_empty() {
        Element::simple(&p.id)
    } else {
        Element::composite([p.id.as_str(), p.qualifier.as_str()])
    })
}

fn edifact_all(
    out: &mut Vec<u8>,
    env: &EdifactEnvelope,
    messages: &[EdifactMessage<'_>],
) -> Result<(), Error> {
    let d = edifact_delimiters(env.delimiters, &env.syntax_version);
    let control = reference(env.control, "UNB 0020")?;
    edifact::write_una_if_needed(out, &d);
    let date = if env.syntax_version == "4" {
        env.stamp.strftime("%Y%m%d").to_string()
    } else {
        env.stamp.strftime("%y%m%d").to_string()
    };
    let time = env.stamp.strftime("%H%M").to_string();
    let mut unb = vec![
        Element::composite([env.syntax_id.as_str(), env.syntax_version.as_str()]),
        party(&env.sender, "UNB S002")?,
        party(&env.recipient, "UNB S003")?,
        Element::composite([date, time]),
        Element::simple(&control),
    ];
    if env.ack_requested || env.test {
        // 0022 S005, 0026, 0029 stay empty; 0031 is the ninth element, 0035 the eleventh.
        unb.extend((0..3).map(|_| Element::simple("")));
        unb.push(Element::simple(if env.ack_requested { "1" } else { "" }));
        if env.test {
            unb.push(Element::simple(""));
            unb.push(Element::simple("1"));
        }
    }
    edifact::write_segment(out, &Segment::new("UNB", unb), &d)?;
    let charset = Charset::from_syntax_id(&env.syntax_id);
    for m in messages {
        let unh0062 = reference(m.reference, "UNH 0062")?;
        let unh = Segment::new(
            "UNH",
            vec![
                Element::simple(&unh0062),
                Element::composite(m.identifier.iter().copied()),
            ],
        );
        edifact::write_segment(out, &unh, &d)?;
        for seg in m.segments {
            if env.transliterate && matches!(charset, Charset::Ascii(_)) {
                let mut seg = to_ascii(seg);
                // UNOA (level A) has capital letters only.
                if env.syntax_id == "UNOA" {
                    for v in seg
                        .elements
                        .iter_mut()
                        .flat_map(|e| e.0.iter_mut().flatten())
                    {
                        v.make_ascii_uppercase();
                    }
                }
                edifact::write_segment(out, &seg, &d)?;
            } else {
                edifact::write_segment(out, seg, &d)?;
            }
        }
        let unt = Segment::new(
            "UNT",
            vec![
                Element::simple((m.segments.len() + 2).to_string()),
                Element::simple(&unh0062),
            ],
        );
        edifact::write_segment(out, &unt, &d)?;
    }
    let unz = Segment::new(
        "UNZ",
        vec![
            Element::simple(messages.len().to_string()),
            Element::simple(&control),
        ],
    );
    edifact::write_segment(out, &unz, &d)?;
    Ok(())
}

/// The first character outside ASCII in `segments`, if any: X12 partners read ASCII (the basic
/// and extended character sets), whatever bytes they are sent.
pub fn first_non_ascii(segments: &[Segment]) -> Option<char> {
    segments
        .iter()
        .flat_map(|s| s.elements.iter())
        .flat_map(|e| e.0.iter().flatten())
        .find_map(|v| v.chars().find(|c| !c.is_ascii()))
}

/// A segment with every value transliterated to ASCII (`Müller` → `Muller`): before it is
/// written, so that a separator the transliteration yields is escaped like any other.
fn to_ascii(seg: &Segment) -> Segment {
    let mut seg = seg.clone();
    for el in &mut seg.elements {
        for v in el.0.iter_mut().flatten() {
            if !v.is_ascii() {
                *v = deunicode::deunicode(v);
            }
        }
    }
    seg
}

/// Re-encodes what was written from `start` (UTF-8, as Rust strings are) in the character set
/// the UNB declares, since the partner reads it in that set.
fn encode(out: &mut Vec<u8>, start: usize, syntax_id: &str) -> Result<(), Error> {
    let text = std::str::from_utf8(&out[start..]).expect("the writers write UTF-8");
    let refuse = |ch: char| Error::Charset {
        ch,
        syntax_id: syntax_id.to_owned(),
    };
    let declared = Charset::from_syntax_id(syntax_id);
    let bytes: Vec<u8> = match declared {
        Charset::Utf8(_) | Charset::Other => return Ok(()),
        Charset::Ascii(_) => match text.chars().find(|c| !c.is_ascii()) {
            Some(c) => return Err(refuse(c)),
            None => return Ok(()),
        },
        Charset::Latin1 => text
            .chars()
            .map(|c| u8::try_from(u32::from(c)).map_err(|_| refuse(c)))
            .collect::<Result<_, _>>()?,
        Charset::Iso8859(_, encoding) => {
            let (bytes, _, unmappable) = encoding.encode(text);
            if unmappable {
                let c = text
                    .chars()
                    .find(|c| encoding.encode(&c.to_string()).2)
                    .unwrap_or('\u{FFFD}');
                return Err(refuse(c));
            }
            bytes.into_owned()
        }
    };
    // Bytes of a single-byte set that also read as UTF-8 (`Ê¾` in ISO 8859-1) are taken for
    // UTF-8 by readers that check, ours included: such a value cannot be sent unambiguously.
    if let Some(m) = declared.inspect(&bytes) {
        let at = std::str::from_utf8(&bytes[m.offset()..])
            .ok()
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{FFFD}');
        return Err(refuse(at));
    }
    out.truncate(start);
    out.extend_from_slice(&bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> jiff::civil::DateTime {
        jiff::civil::date(2026, 12, 3).at(9, 30, 0, 0)
    }

    fn id(q: &str, v: &str) -> Identity {
        Identity {
            qualifier: q.into(),
            id: v.into(),
        }
    }

    #[test]
    fn an_x12_interchange_has_its_counts_and_padded_controls() {
        let body = [Segment::new("BSN", vec![Element::simple("00")])];
        let env = X12Envelope {
            sender: id("ZZ", "US"),
            receiver: id("01", "123456789"),
            version: "00501".into(),
            control: 42,
            ack_requested: true,
            usage: "T".into(),
            delimiters: x12::Delimiters::default(),
            stamp: stamp(),
        };
        let sets = |c| X12Set {
            id: "856",
            control: c,
            implementation: None,
            segments: &body,
        };
        let g = X12Group {
            functional_id: "SH",
            sender: "US",
            receiver: "THEM",
            control: 9,
            version: "005010",
            sets: vec![sets(1), sets(2)],
        };
        let mut out = Vec::new();
        write_x12(&mut out, &env, &[], &[g]).expect("writable");
        let text = String::from_utf8(out).expect("ascii");
        assert!(
            text.starts_with(
                "ISA*00*          *00*          *ZZ*US             *01*123456789      *261203*0930*^*00501*000000042*1*T*>~"
            ),
            "{text}"
        );
        assert!(text.contains(
            "GS*SH*US*THEM*20261203*0930*9*X*005010~ST*856*0001~BSN*00~SE*3*0001~ST*856*0002~"
        ));
        assert!(text.ends_with("GE*2*9~IEA*1*000000042~"), "{text}");
    }

    #[test]
    fn an_x12_header_that_does_not_fit_writes_nothing() {
        let env = X12Envelope {
            sender: id("ZZ", "A-SENDER-ID-OVER-15"),
            receiver: id("ZZ", "THEM"),
            version: "00401".into(),
            control: 1,
            ack_requested: false,
            usage: "P".into(),
            delimiters: x12::Delimiters::default(),
            stamp: stamp(),
        };
        let mut out = b"kept".to_vec();
        let e = write_x12(&mut out, &env, &[], &[]).expect_err("ISA06 too long");
        assert!(e.to_string().starts_with("ISA06"), "{e}");
        assert_eq!(out, b"kept");
        let env = X12Envelope {
            sender: id("ZZ", "US"),
            control: 1_000_000_000,
            ..env
        };
        assert!(write_x12(&mut out, &env, &[], &[]).is_err());
    }

    fn edifact_env(syntax_id: &str, transliterate: bool) -> EdifactEnvelope {
        EdifactEnvelope {
            syntax_id: syntax_id.into(),
            syntax_version: "3".into(),
            sender: id("14", "5412345000013"),
            recipient: id("14", "4012345000009"),
            control: 17,
            ack_requested: false,
            test: true,
            delimiters: edifact::Delimiters::default(),
            stamp: stamp(),
            transliterate,
        }
    }

    #[test]
    fn an_edifact_interchange_is_encoded_in_its_declared_set() {
        let body = [Segment::new(
            "NAD",
            vec![Element::simple("ST"), Element::simple("Müller+Söhne")],
        )];
        let m = EdifactMessage {
            reference: 1,
            identifier: vec!["DESADV", "D", "96A", "UN", "EAN005"],
            segments: &body,
        };
        let mut out = Vec::new();
        write_edifact(
            &mut out,
            &edifact_env("UNOC", false),
            std::slice::from_ref(&m),
        )
        .expect("latin-1");
        assert_eq!(
            out,
            b"UNB+UNOC:3+5412345000013:14+4012345000009:14+261203:0930+17++++++1'UNH+1+DESADV:D:96A:UN:EAN005'NAD+ST+M\xfcller?+S\xf6hne'UNT+3+1'UNZ+1+17'"
        );
        let e = write_edifact(
            &mut out,
            &edifact_env("UNOA", false),
            std::slice::from_ref(&m),
        )
        .expect_err("UNOA has no ü");
        assert!(matches!(e, Error::Charset { ch: 'ü', .. }), "{e}");
        out.clear();
        write_edifact(
            &mut out,
            &edifact_env("UNOB", true),
            std::slice::from_ref(&m),
        )
        .expect("transliterated");
        assert!(
            String::from_utf8(out)
                .expect("ascii")
                .contains("NAD+ST+Muller?+Sohne'"),
        );
        let mut out = Vec::new();
        write_edifact(&mut out, &edifact_env("UNOA", true), &[m]).expect("transliterated");
        assert!(
            String::from_utf8(out)
                .expect("ascii")
                .contains("NAD+ST+MULLER?+SOHNE'"),
        );
    }
}
