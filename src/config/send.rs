//! `[channel.ID.send]`: what a partner's implementation guide decides about the ship notices
//! and invoices we send it, read and checked before anything is touched.

use super::{Error, Invalid};
use crate::map::outbound::{Hierarchy, Profile};
use crate::pipeline::settings::{ChannelFormat, Send};
use crate::rules::presend::Policy;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSend {
    #[serde(default)]
    documents: Option<toml::Spanned<Vec<String>>>,
    #[serde(default)]
    version: Option<toml::Spanned<String>>,
    #[serde(default)]
    hierarchy: Option<toml::Spanned<String>>,
    #[serde(default)]
    associations: BTreeMap<String, String>,
    #[serde(default)]
    sender_qualifier: Option<toml::Spanned<String>>,
    #[serde(default)]
    receiver_qualifier: Option<toml::Spanned<String>>,
    #[serde(default)]
    application_sender: Option<String>,
    #[serde(default)]
    application_receiver: Option<String>,
    #[serde(default)]
    syntax_id: Option<toml::Spanned<String>>,
    #[serde(default)]
    syntax_version: Option<toml::Spanned<String>>,
    #[serde(default = "yes")]
    transliterate: bool,
    #[serde(default)]
    test: bool,
    #[serde(default)]
    ack_requested: bool,
    #[serde(default)]
    over_ship_percent: Option<toml::Spanned<String>>,
    #[serde(default)]
    unit_may_differ: bool,
    #[serde(default)]
    price_may_differ: bool,
    #[serde(default = "yes")]
    asn_before_invoice: bool,
}

fn yes() -> bool {
    true
}

/// What the channel needs to send anything, besides its `send` table.
pub(super) struct Needs<'a> {
    pub key: &'a str,
    pub format: ChannelFormat,
    pub version: Option<&'a str>,
    pub our_id: Option<&'a str>,
    pub partner_id: Option<&'a str>,
    pub has_outbound: bool,
    pub span: std::ops::Range<usize>,
}

pub(super) fn settings(
    raw: toml::Spanned<RawSend>,
    n: &Needs<'_>,
    invalid: &Invalid<'_>,
) -> Result<Send, Error> {
    let span = raw.span();
    let raw = raw.into_inner();
    let key = |k: &str| format!("{}.send.{k}", n.key);
    let edifact = match n.format {
        ChannelFormat::X12 => false,
        ChannelFormat::Edifact => true,
        ChannelFormat::Feed => {
            return Err(invalid(
                Some(span),
                &format!("{}.send", n.key),
                "a marketplace feed channel takes no EDI ship notices or invoices; send is for x12 and edifact channels".into(),
            ));
        }
    };
    if !n.has_outbound {
        return Err(invalid(
            Some(span),
            &format!("{}.send", n.key),
            "ship notices and invoices need somewhere to go: set outbound = \"DIR\" for this channel".into(),
        ));
    }
    let (Some(our_id), Some(partner_id)) = (n.our_id, n.partner_id) else {
        return Err(invalid(
            Some(n.span.clone()),
            &format!("{}.send", n.key),
            "sending needs the interchange ids of both sides: set our_id and partner_id for this channel".into(),
        ));
    };
    let documents = match raw.documents {
        None => vec!["ship_notice".to_string(), "invoice".to_string()],
        Some(d) => {
            for k in d.get_ref() {
                if !matches!(k.as_str(), "ship_notice" | "invoice") {
                    return Err(invalid(
                        Some(d.span()),
                        &key("documents"),
                        format!(
                            "'{k}' is not a document tallyman sends; use \"ship_notice\" and \"invoice\""
                        ),
                    ));
                }
            }
            d.into_inner()
        }
    };
    let version = match raw.version {
        Some(v) => {
            let ok = if edifact {
                matches!(v.get_ref().as_str(), "D96A" | "D01B")
            } else {
                matches!(v.get_ref().as_str(), "004010" | "005010")
            };
            if !ok {
                return Err(invalid(
                    Some(v.span()),
                    &key("version"),
                    format!(
                        "tallyman writes {}, not '{}'",
                        if edifact {
                            "D96A and D01B"
                        } else {
                            "004010 and 005010"
                        },
                        v.get_ref()
                    ),
                ));
            }
            v.into_inner()
        }
        None => match n.version {
            Some(v @ ("004010" | "005010" | "D96A" | "D01B")) => v.to_string(),
            _ if edifact => "D96A".into(),
            _ => "004010".into(),
        },
    };
    let hierarchy = match raw.hierarchy {
        None => Hierarchy::ShipmentOrderPackItem,
        Some(h) => match h.get_ref().as_str() {
            "SOPI" => Hierarchy::ShipmentOrderPackItem,
            "SOI" => Hierarchy::ShipmentOrderItem,
            other => {
                return Err(invalid(
                    Some(h.span()),
                    &key("hierarchy"),
                    format!(
                        "'{other}' is not a hierarchy; use \"SOPI\" (shipment, order, pack, item) or \"SOI\" (shipment, order, item)"
                    ),
                ));
            }
        },
    };
    let qualifier = |q: Option<toml::Spanned<String>>, name: &str| -> Result<String, Error> {
        let default = if edifact { "14" } else { "ZZ" };
        let Some(q) = q else {
            return Ok(default.into());
        };
        let fits = if edifact {
            q.get_ref().len() <= 4 && q.get_ref().bytes().all(|b| b.is_ascii_alphanumeric())
        } else {
            q.get_ref().len() == 2 && q.get_ref().bytes().all(|b| b.is_ascii_alphanumeric())
        };
        if !fits {
            return Err(invalid(
                Some(q.span()),
                &key(name),
                format!(
                    "'{}' is not an id qualifier ({})",
                    q.get_ref(),
                    if edifact {
                        "up to four letters or digits, as UNB 0007"
                    } else {
                        "two letters or digits, as ISA05"
                    }
                ),
            ));
        }
        Ok(q.into_inner())
    };
    let sender_qualifier = qualifier(raw.sender_qualifier, "sender_qualifier")?;
    let receiver_qualifier = qualifier(raw.receiver_qualifier, "receiver_qualifier")?;
    let syntax_id = match raw.syntax_id {
        None => "UNOC".into(),
        Some(s) => {
            if !matches!(
                s.get_ref().as_str(),
                "UNOA" | "UNOB" | "UNOC" | "UNOD" | "UNOE" | "UNOF" | "UNOW" | "UNOY"
            ) {
                return Err(invalid(
                    Some(s.span()),
                    &key("syntax_id"),
                    format!(
                        "'{}' is not a character set tallyman writes (UNOA, UNOB, UNOC..UNOF, UNOW, UNOY)",
                        s.get_ref()
                    ),
                ));
            }
            s.into_inner()
        }
    };
    let syntax_version = match raw.syntax_version {
        None => "3".into(),
        Some(s) if matches!(s.get_ref().as_str(), "3" | "4") => s.into_inner(),
        Some(s) => {
            return Err(invalid(
                Some(s.span()),
                &key("syntax_version"),
                format!(
                    "'{}' is not a syntax version; use \"3\" or \"4\"",
                    s.get_ref()
                ),
            ));
        }
    };
    let over_ship_percent = match raw.over_ship_percent {
        None => Decimal::ZERO,
        Some(p) => p
            .get_ref()
            .trim_end_matches('%')
            .parse::<Decimal>()
            .ok()
            .filter(|d| !d.is_sign_negative())
            .ok_or_else(|| {
                invalid(
                    Some(p.span()),
                    &key("over_ship_percent"),
                    format!(
                        "'{}' is not a percentage such as \"5\" or \"2.5%\"",
                        p.get_ref()
                    ),
                )
            })?,
    };
    Ok(Send {
        documents,
        profile: Profile {
            version,
            hierarchy,
            association: None,
            ..Profile::default()
        },
        associations: raw.associations,
        sender_qualifier,
        receiver_qualifier,
        application_sender: raw.application_sender.unwrap_or_else(|| our_id.to_string()),
        application_receiver: raw
            .application_receiver
            .unwrap_or_else(|| partner_id.to_string()),
        syntax_id,
        syntax_version,
        transliterate: raw.transliterate,
        test: raw.test,
        ack_requested: raw.ack_requested,
        policy: Policy {
            over_ship_percent,
            unit_may_differ: raw.unit_may_differ,
            price_may_differ: raw.price_may_differ,
            asn_before_invoice: raw.asn_before_invoice,
        },
    })
}
