//! A body for the channel's partner, wrapped in its interchange with our control numbers.

use super::super::deliver::{edifact_delimiters, x12_delimiters};
use super::super::settings::{Channel, ChannelFormat, Send};
use crate::envelope::build::{
    EdifactEnvelope, EdifactMessage, X12Envelope, X12Group, X12Set, write_edifact, write_x12,
};
use crate::model::{Document, Identity};

/// The body of `doc` for the channel's partner, and the profile it was written with; an
/// error is the sentence a held document's report gives.
pub fn body_for(
    channel: &Channel,
    send: &Send,
    doc: &Document,
) -> Result<(crate::map::outbound::Body, crate::map::outbound::Profile), String> {
    let edifact = channel.format == ChannelFormat::Edifact;
    let mut profile = send.profile.clone();
    let set_id = match (edifact, doc) {
        (false, Document::ShipNotice(_)) => "856",
        (false, _) => "810",
        (true, Document::ShipNotice(_)) => "DESADV",
        (true, _) => "INVOIC",
    };
    profile.association = send.associations.get(set_id).cloned();
    let body = crate::map::outbound::body(doc, edifact, &profile)
        .map_err(|e| format!("cannot_write: {e}"))?;
    // Text outside ASCII is transliterated in the document and the body written again, so that
    // the writers' length checks see the text that is sent (`ß` becomes `ss`): for X12, whose
    // partners read ASCII, and for the EDIFACT character sets that are ASCII (UNOA, UNOB).
    let ascii =
        send.transliterate && (!edifact || matches!(send.syntax_id.as_str(), "UNOA" | "UNOB"));
    if ascii && crate::envelope::build::first_non_ascii(&body.segments).is_some() {
        let body = crate::map::outbound::body(&to_ascii(doc)?, edifact, &profile)
            .map_err(|e| format!("cannot_write: {e}"))?;
        return Ok((body, profile));
    }
    Ok((body, profile))
}

/// The document with every text outside ASCII transliterated (`Müller` → `Muller`); names,
/// codes and numbers in ASCII are left as they are.
fn to_ascii(doc: &Document) -> Result<Document, String> {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) if !s.is_ascii() => *s = deunicode::deunicode(s),
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            serde_json::Value::Object(o) => o.values_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(doc).map_err(|e| format!("cannot_write: {e}"))?;
    walk(&mut v);
    serde_json::from_value(v).map_err(|e| format!("cannot_write: transliterating: {e}"))
}

/// Our control numbers in one outbound interchange: ISA13, GS06, ST02; or UNB 0020 and UNH
/// 0062 (`group` unused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Controls {
    pub interchange: u64,
    pub group: u64,
    pub set: u64,
}

/// One interchange ready to deliver.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    /// Its file name in the outbound folder (`acme-856-000000017.x12`, `acme-desadv-17.edi`).
    pub name: String,
    /// `ISA13/GS06/ST02` or `0020/0062`.
    pub controls: String,
    /// The number the partner's acknowledgment of it carries (`GS:SH:17`, `UNB:17`).
    pub ack_key: String,
}

/// The first character of `segments` outside UN/EDIFACT level A (UNOA), letters taken as
/// capitals when they are written so (`upper`).
fn outside_level_a(segments: &[crate::syntax::x12::Segment], upper: bool) -> Option<char> {
    let level_a = |c: char| {
        c.is_ascii_uppercase() || c.is_ascii_digit() || " .,-()/='+:?!\"%&*;<>".contains(c)
    };
    segments
        .iter()
        .flat_map(|s| s.elements.iter())
        .flat_map(|e| e.0.iter().flatten())
        .flat_map(|v| v.chars())
        .map(|c| if upper { c.to_ascii_uppercase() } else { c })
        .find(|&c| !level_a(c))
}

/// The file name of an outbound document.
pub fn file_name(channel: &Channel, set_id: &str, n: u64) -> String {
    if channel.format == ChannelFormat::Edifact {
        format!("{}-{}-{n}.edi", channel.id, set_id.to_lowercase())
    } else {
        format!("{}-{set_id}-{n:09}.x12", channel.id)
    }
}

/// Wraps a body in its interchange for the channel's partner.
pub fn render(
    channel: &Channel,
    send: &Send,
    body: &crate::map::outbound::Body,
    profile: &crate::map::outbound::Profile,
    c: &Controls,
    stamp: jiff::civil::DateTime,
) -> Result<Rendered, String> {
    let our = Identity {
        qualifier: send.sender_qualifier.clone(),
        id: channel.our_id.clone().unwrap_or_default(),
    };
    let theirs = Identity {
        qualifier: send.receiver_qualifier.clone(),
        id: channel.partner_id.clone().unwrap_or_default(),
    };
    let mut bytes = Vec::new();
    let name = file_name(channel, body.set_id, c.interchange);
    if channel.format == ChannelFormat::Edifact {
        if send.syntax_id == "UNOA"
            && let Some(c) = outside_level_a(&body.segments, send.transliterate)
        {
            return Err(format!(
                "cannot_write: '{}' is not in UNOA (level A: capital letters, digits, space and . , - ( ) / = ' + : ? ! \" % & * ; < >), the character set this partner reads; correct it in the ERP{}",
                c.escape_default(),
                if send.transliterate {
                    ""
                } else {
                    ", or set the channel's send.transliterate = true to write letters as capitals"
                }
            ));
        }
        let (v, r) = profile.version.split_at(1);
        let mut identifier = vec![body.set_id, v, r, "UN"];
        if let Some(a) = profile.association.as_deref() {
            identifier.push(a);
        }
        let env = EdifactEnvelope {
            syntax_id: send.syntax_id.clone(),
            syntax_version: send.syntax_version.clone(),
            sender: our,
            recipient: theirs,
            control: c.interchange,
            ack_requested: send.ack_requested,
            test: send.test,
            delimiters: channel
                .delimiters
                .as_deref()
                .and_then(edifact_delimiters)
                .unwrap_or_default(),
            stamp,
            transliterate: send.transliterate,
        };
        let message = EdifactMessage {
            reference: c.set,
            identifier,
            segments: &body.segments,
        };
        write_edifact(&mut bytes, &env, &[message]).map_err(|e| format!("cannot_write: {e}"))?;
        return Ok(Rendered {
            bytes,
            name,
            controls: format!("{}/{}", c.interchange, c.set),
            ack_key: format!("UNB:{}", c.interchange),
        });
    }
    // X12 partners read ASCII: with `send.transliterate` the body is ASCII already
    // ([`body_for`]); without it, other characters hold the document.
    if let Some(c) = crate::envelope::build::first_non_ascii(&body.segments) {
        return Err(format!(
            "cannot_write: '{}' is not ASCII, which X12 partners read; set the channel's send.transliterate = true to write it as its closest ASCII, or correct it in the ERP",
            c.escape_default()
        ));
    }
    let env = X12Envelope {
        sender: our,
        receiver: theirs,
        version: if profile.version == "005010" {
            "00501".into()
        } else {
            "00401".into()
        },
        control: c.interchange,
        ack_requested: send.ack_requested,
        usage: if send.test { "T" } else { "P" }.into(),
        delimiters: channel
            .delimiters
            .as_deref()
            .and_then(x12_delimiters)
            .unwrap_or_default(),
        stamp,
    };
    let group = X12Group {
        functional_id: body.functional_id,
        sender: &send.application_sender,
        receiver: &send.application_receiver,
        control: c.group,
        version: &profile.version,
        sets: vec![X12Set {
            id: body.set_id,
            control: c.set,
            implementation: None,
            segments: &body.segments,
        }],
    };
    write_x12(&mut bytes, &env, &[], &[group]).map_err(|e| format!("cannot_write: {e}"))?;
    Ok(Rendered {
        bytes,
        name,
        controls: format!("{:09}/{}/{:04}", c.interchange, c.group, c.set),
        ack_key: format!("GS:{}:{}", body.functional_id, c.group),
    })
}
