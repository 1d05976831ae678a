//! Mapping pieces both standards share.

use crate::model::{ItemIds, QualifiedId};
use std::borrow::Cow;

/// Adds `part` to a text made of parts (a name in N1 and N2, a description over several
/// segments), after a space; the first part starts it.
pub fn append_spaced(text: &mut Option<String>, part: Cow<'_, str>) {
    match text {
        Some(t) => {
            t.push(' ');
            t.push_str(&part);
        }
        None => *text = Some(part.into_owned()),
    }
}

/// Files one identifier under its kind (the first of each kind wins; the rest go to `other`).
/// The qualifier is model text (trimmed, without control characters), matched as bytes.
pub fn add_item_id(ids: &mut ItemIds, qualifier: &[u8], value: String) {
    let slot = match qualifier {
        b"UP" | b"UA" => &mut ids.upc,
        b"UK" | b"EO" | b"UD" | b"UN" => &mut ids.gtin,
        b"EN" | b"EA" => &mut ids.ean,
        b"IB" | b"IS" => &mut ids.isbn,
        b"BP" | b"IN" | b"PI" => &mut ids.buyer_part,
        b"VP" | b"VN" | b"VA" | b"VC" => &mut ids.vendor_part,
        b"SK" => &mut ids.sku,
        _ => {
            ids.other.push(qualified(qualifier, value));
            return;
        }
    };
    if slot.is_none() {
        *slot = Some(value);
    } else {
        ids.other.push(qualified(qualifier, value));
    }
}

fn qualified(qualifier: &[u8], value: String) -> QualifiedId {
    QualifiedId {
        qualifier: String::from_utf8_lossy(qualifier).into_owned(),
        value,
    }
}

/// The finding code of a value the mapping cannot use, as the grammar validator would give it.
pub fn value_code(e: crate::syntax::values::Error) -> crate::diag::Code {
    use crate::diag::Code;
    use crate::syntax::values::Error;
    match e {
        Error::NotADate(_) => Code::InvalidDate,
        Error::NotATime(_) => Code::InvalidTime,
        _ => Code::InvalidCharacter,
    }
}
