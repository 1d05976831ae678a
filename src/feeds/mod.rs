//! Marketplace feeds: Shopify, Amazon and user-defined CSV/TSV order exports into the
//! canonical model.
//!
//! Phase: bytes → decoded text → rows → orders. The encoding comes from the byte order mark or,
//! without one, from whether the start of the file is valid UTF-8 (else Windows-1252); the
//! profile comes from the header row (or is named). Orders come out as the same [`crate::model::Order`]
//! an 850 or an ORDERS becomes, told apart only by `source` (`standard: "csv"`, `set`: the
//! profile id, `transaction_control`: the order key).
//!
//! ```
//! use tallyman::feeds::{Options, Profiles, translate_feed};
//! let csv = "order-id\torder-item-id\tpurchase-date\tsku\tquantity-purchased\tcurrency\titem-price\n\
//! 111-1\tA1\t2024-03-11T14:02:11+00:00\tSKU-1\t2\tUSD\t10.00\n";
//! let profiles = Profiles::builtin().unwrap();
//! let mut orders = Vec::new();
//! translate_feed(std::io::Cursor::new(csv), &profiles, None, &Options::default(), |o| {
//!     orders.push(o);
//!     Ok(())
//! })
//! .unwrap();
//! let order = orders[0].document.as_ref().unwrap();
//! assert_eq!(order.number(), "111-1");
//! ```

mod csv_feed;
pub mod encoding;
mod lines;
pub mod profile;
mod xml_feed;

#[cfg(any(test, feature = "internals"))]
pub use csv_feed::{amount, timestamp_date};
pub use profile::Profiles;
#[cfg(any(test, feature = "internals"))]
pub use profile::{Profile, XmlProfile};

use crate::diag::{Code, Finding};
use crate::model::outcome::Outcome;
use std::io::{self, BufRead, BufReader, Read};

/// How to read a feed file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Recorded in each order's `source.file`.
    pub file: String,
    /// Recorded in each order's `source.channel`.
    pub channel: Option<String>,
    /// Resource limits for hostile input (rows, XML depth and size).
    pub limits: crate::syntax::limits::Limits,
}

/// What a feed file gave, besides its orders.
#[derive(Debug, Clone)]
pub struct FeedReport {
    /// The profile used, when one matched.
    pub profile: Option<String>,
    /// The encoding the text was decoded from (the fuzz invariants compare it).
    #[cfg_attr(not(feature = "internals"), allow(dead_code))]
    pub encoding: &'static str,
    /// True for an XML document (a feed even when no profile matched or it was refused).
    pub xml: bool,
    /// Findings about the file as a whole (no profile, unreadable header, undecodable bytes).
    pub findings: Vec<Finding>,
}

/// Translates a CSV/TSV feed: picks the encoding and (unless `profile` names one) the profile
/// from the header row, then hands each order's outcome to `sink`.
pub fn translate_feed<R: Read>(
    reader: R,
    profiles: &Profiles,
    profile: Option<&str>,
    opts: &Options,
    sink: impl FnMut(Outcome) -> io::Result<()>,
) -> io::Result<FeedReport> {
    let mut buffered = BufReader::with_capacity(encoding::SNIFF, reader);
    let head = buffered.fill_buf()?.to_vec();
    let enc = encoding::sniff(&head);
    let mut text = BufReader::new(encoding::Decode::new(buffered, enc));
    // The start of the text, decoded, picks the profile.
    let header_text = String::from_utf8_lossy(text.fill_buf()?).into_owned();
    if header_text.trim_start().starts_with('<') {
        return translate_xml(text, &header_text, enc, profiles, profile, opts, sink);
    }
    let first_line = header_text.lines().next().unwrap_or("");
    let chosen = match profile {
        Some(id) => profiles.get(id),
        None => {
            let by_tab: Vec<&str> = first_line.split('\t').collect();
            let by_comma: Vec<&str> = first_line.split(',').map(|h| h.trim_matches('"')).collect();
            profiles
                .detect(&by_tab)
                .or_else(|| profiles.detect(&by_comma))
        }
    };
    let mut report = FeedReport {
        profile: chosen.map(|p| p.id.clone()),
        encoding: enc.name(),
        xml: false,
        findings: Vec::new(),
    };
    let Some(p) = chosen else {
        let known = profiles.ids();
        let why = match profile {
            Some(id) => format!(
                "there is no feed profile '{id}' (known: {})",
                known.join(", ")
            ),
            None => format!(
                "no feed profile matches this header row (known profiles: {})",
                known.join(", ")
            ),
        };
        report
            .findings
            .push(Finding::error(Code::InvalidRow, why).at_row(0, 1, None));
        return Ok(report);
    };
    report.findings = csv_feed::translate(&mut text, p, opts, sink)?;
    if text.get_ref().replaced {
        report.findings.push(replaced(enc).at_row(0, 1, None));
    }
    Ok(report)
}

/// Said of a file some of whose bytes were not valid in its encoding.
fn replaced(enc: &'static encoding_rs::Encoding) -> Finding {
    Finding::warning(
        Code::InvalidRow,
        format!(
            "some bytes are not valid {}; they were replaced with U+FFFD",
            enc.name()
        ),
    )
}

/// The first C0 control character other than TAB, CR and LF in `text`, with its byte index.
/// In a value it would reach the ERP files as it is (a NUL ends a C string); XML 1.0 allows
/// none of them, not even as a character reference.
fn control_char(text: &str) -> Option<(usize, char)> {
    // A C0 control is one byte, and no byte of a longer UTF-8 sequence is below 0x80.
    let i = text.bytes().position(is_control)?;
    Some((i, char::from(text.as_bytes()[i])))
}

/// A C0 control byte other than TAB, CR and LF (see [`control_char`]).
fn is_control(b: u8) -> bool {
    b < b' ' && !matches!(b, b'\t' | b'\n' | b'\r')
}

/// How a control character is named in a finding.
fn control_name(c: char) -> String {
    let code = u32::from(c);
    if code == 0 {
        "a NUL character (U+0000)".to_string()
    } else {
        format!("a control character (U+{code:04X})")
    }
}

/// The root element's local name, skipping the declaration, comments and processing
/// instructions; `Err` when the document has a DTD.
fn xml_root(head: &str) -> Result<Option<String>, ()> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(head);
    loop {
        match r.read_event() {
            Ok(Event::DocType(_)) => return Err(()),
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.name();
                let n: &str = name.as_ref();
                return Ok(Some(n.rsplit_once(':').map_or(n, |(_, l)| l).to_string()));
            }
            Ok(Event::Eof) | Err(_) => return Ok(None),
            Ok(_) => {}
        }
    }
}

fn translate_xml<R: Read>(
    mut text: BufReader<encoding::Decode<R>>,
    head: &str,
    enc: &'static encoding_rs::Encoding,
    profiles: &Profiles,
    profile: Option<&str>,
    opts: &Options,
    sink: impl FnMut(Outcome) -> io::Result<()>,
) -> io::Result<FeedReport> {
    let mut report = FeedReport {
        profile: None,
        encoding: enc.name(),
        xml: true,
        findings: Vec::new(),
    };
    let root = match xml_root(head) {
        Ok(r) => r,
        Err(()) => {
            report.findings.push(Finding::error(
                Code::InvalidRow,
                "the document has a DTD: XML with DTDs or entity declarations is refused (nothing in it is expanded)",
            ));
            return Ok(report);
        }
    };
    let chosen = match profile {
        Some(id) => profiles.xml(id),
        None => root.as_deref().and_then(|r| profiles.detect_xml(r, head)),
    };
    let Some(p) = chosen else {
        report.findings.push(Finding::error(
            Code::InvalidRow,
            format!(
                "no XML feed profile matches this document (root element '{}'; known profiles: {})",
                root.unwrap_or_default(),
                profiles.ids().join(", ")
            ),
        ));
        return Ok(report);
    };
    report.profile = Some(p.id.clone());
    report.findings = xml_feed::translate(&mut text, p, opts, sink)?;
    // As for CSV: text the decoder had to replace is not passed on without a word.
    if text.get_ref().replaced {
        report.findings.push(replaced(enc));
    }
    Ok(report)
}
