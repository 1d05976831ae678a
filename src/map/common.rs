//! Mapping pieces both standards share.

use crate::model::{ItemIds, QualifiedId};

/// Files one identifier under its kind (the first of each kind wins; the rest go to `other`).
pub fn add_item_id(ids: &mut ItemIds, qualifier: &str, value: String) {
    let slot = match qualifier {
        "UP" | "UA" => &mut ids.upc,
        "UK" | "EO" | "UD" | "UN" => &mut ids.gtin,
        "EN" | "EA" => &mut ids.ean,
        "IB" | "IS" => &mut ids.isbn,
        "BP" | "IN" | "PI" => &mut ids.buyer_part,
        "VP" | "VN" | "VA" | "VC" => &mut ids.vendor_part,
        "SK" => &mut ids.sku,
        _ => {
            ids.other.push(QualifiedId {
                qualifier: qualifier.to_string(),
                value,
            });
            return;
        }
    };
    if slot.is_none() {
        *slot = Some(value);
    } else {
        ids.other.push(QualifiedId {
            qualifier: qualifier.to_string(),
            value,
        });
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
