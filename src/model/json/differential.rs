//! [`write_document`] against [`write`] (serde's path, itself held to serde_json's bytes) on
//! arbitrary documents and on the edges of decimals, dates and times; `tests/json_writer.rs`
//! does the same for every document the fixtures, the samples and the corpus give (the model
//! may not use the translation, not even in tests).

use super::{write, write_document};
use crate::model::*;
use jiff::civil::{Date, Time};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn both(doc: &Document) -> (String, String) {
    let mut direct = Vec::new();
    write_document(&mut direct, doc).expect("writes");
    let mut serde = Vec::new();
    write(&mut serde, doc).expect("writes");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (text(direct), text(serde))
}

#[test]
fn decimals_dates_and_times_at_their_edges() {
    let mut values = Vec::new();
    for scale in 0..=28 {
        for m in [
            0i128,
            1,
            -1,
            5,
            10,
            100,
            -120,
            123_456_789,
            i128::from(u64::MAX) + 1,
        ] {
            values.push(Decimal::from_i128_with_scale(m, scale));
        }
        values.push(Decimal::from_parts(
            u32::MAX,
            u32::MAX,
            u32::MAX,
            true,
            scale,
        ));
        values.push(Decimal::from_parts(0, 0, 0, true, scale));
    }
    values.extend([
        Decimal::MAX,
        Decimal::MIN,
        Decimal::ZERO,
        Decimal::NEGATIVE_ONE,
    ]);
    for d in values {
        let mut direct = Vec::new();
        super::document::decimal(&mut direct, &d);
        let mut serde = Vec::new();
        write(&mut serde, &d).expect("writes");
        assert_eq!(direct, serde, "{d:?}");
        let mut text = Vec::new();
        super::document::decimal_text(&mut text, &d);
        assert_eq!(text, d.to_string().into_bytes(), "{d:?}");
    }
    for (y, m, d) in [
        (0, 1, 1),
        (9999, 12, 31),
        (-1, 1, 1),
        (-9999, 1, 1),
        (999, 5, 9),
    ] {
        let date = jiff::civil::date(y, m, d);
        let mut direct = Vec::new();
        super::document::date(&mut direct, date);
        assert_eq!(direct, serde_json::to_vec(&date).expect("writes"), "{date}");
    }
    for t in [
        Time::MIN,
        Time::MAX,
        jiff::civil::time(9, 5, 7, 0),
        jiff::civil::time(9, 5, 7, 500_000_000),
    ] {
        let mut direct = Vec::new();
        super::document::time(&mut direct, t);
        assert_eq!(direct, serde_json::to_vec(&t).expect("writes"), "{t}");
    }
}

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[A-Z0-9 -]{0,12}",
        1 => ".{0,8}",
        1 => Just("a\"b\\c\u{1}\u{7f}é".to_owned()),
    ]
    .boxed()
}

fn opt_text() -> BoxedStrategy<Option<String>> {
    proptest::option::of(text()).boxed()
}

fn texts() -> BoxedStrategy<Vec<String>> {
    proptest::collection::vec(text(), 0..3).boxed()
}

fn decimal() -> BoxedStrategy<Decimal> {
    (
        any::<u32>(),
        any::<u32>(),
        prop_oneof![Just(0u32), any::<u32>()],
        any::<bool>(),
        0u32..=28,
    )
        .prop_map(|(lo, mid, hi, neg, scale)| Decimal::from_parts(lo, mid, hi, neg, scale))
        .boxed()
}

fn opt_decimal() -> BoxedStrategy<Option<Decimal>> {
    proptest::option::of(decimal()).boxed()
}

fn date() -> BoxedStrategy<Date> {
    (-9999i16..=9999, 1i8..=12, 1i8..=28)
        .prop_map(|(y, m, d)| jiff::civil::date(y, m, d))
        .boxed()
}

fn time() -> BoxedStrategy<Time> {
    (
        0i8..24,
        0i8..60,
        0i8..60,
        prop_oneof![Just(0i32), 0i32..1_000_000_000],
    )
        .prop_map(|(h, m, s, n)| jiff::civil::time(h, m, s, n))
        .boxed()
}

fn purpose() -> BoxedStrategy<Purpose> {
    prop_oneof![
        Just(Purpose::Original),
        Just(Purpose::Replace),
        Just(Purpose::Cancel),
        Just(Purpose::Change),
        Just(Purpose::Duplicate),
        Just(Purpose::Confirmation),
        Just(Purpose::Test),
        Just(Purpose::Other),
    ]
    .boxed()
}

fn qualified() -> BoxedStrategy<QualifiedId> {
    (text(), text())
        .prop_map(|(qualifier, value)| QualifiedId { qualifier, value })
        .boxed()
}

fn item_ids() -> BoxedStrategy<ItemIds> {
    (
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        proptest::collection::vec(qualified(), 0..2),
    )
        .prop_map(
            |(gtin, upc, ean, isbn, buyer_part, vendor_part, sku, other)| ItemIds {
                gtin,
                upc,
                ean,
                isbn,
                buyer_part,
                vendor_part,
                sku,
                other,
            },
        )
        .boxed()
}

fn party() -> BoxedStrategy<Party> {
    let role = prop_oneof![
        Just(Role::Buyer),
        Just(Role::Seller),
        Just(Role::ShipTo),
        Just(Role::BillTo),
        Just(Role::ShipFrom),
        Just(Role::RemitTo),
        Just(Role::Other),
    ];
    let address = (texts(), opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
        |(lines, city, region, postal_code, country)| Address {
            lines,
            city,
            region,
            postal_code,
            country,
        },
    );
    let contact = (opt_text(), opt_text(), opt_text()).prop_map(|(name, phone, email)| Contact {
        name,
        phone,
        email,
    });
    let id = (text(), text()).prop_map(|(qualifier, id)| PartyId { qualifier, id });
    (
        role,
        text(),
        opt_text(),
        proptest::collection::vec(id, 0..2),
        address,
        proptest::collection::vec(contact, 0..2),
    )
        .prop_map(|(role, role_code, name, ids, address, contacts)| Party {
            role,
            role_code,
            name,
            ids,
            address,
            contacts,
        })
        .boxed()
}

fn reference() -> BoxedStrategy<Reference> {
    (text(), text(), opt_text())
        .prop_map(|(qualifier, value, description)| Reference {
            qualifier,
            value,
            description,
        })
        .boxed()
}

fn dated() -> BoxedStrategy<DatedEvent> {
    (text(), date(), proptest::option::of(time()))
        .prop_map(|(qualifier, date, time)| DatedEvent {
            qualifier,
            date,
            time,
        })
        .boxed()
}

fn allowance() -> BoxedStrategy<AllowanceCharge> {
    let kind = prop_oneof![
        Just(AllowanceOrCharge::Allowance),
        Just(AllowanceOrCharge::Charge)
    ];
    (
        kind,
        opt_text(),
        opt_decimal(),
        opt_decimal(),
        opt_decimal(),
        opt_decimal(),
        opt_text(),
    )
        .prop_map(
            |(kind, code, amount, percent, rate, quantity, description)| AllowanceCharge {
                kind,
                code,
                amount,
                percent,
                rate,
                quantity,
                description,
            },
        )
        .boxed()
}

fn tax() -> BoxedStrategy<Tax> {
    (text(), opt_decimal(), opt_decimal())
        .prop_map(|(code, amount, percent)| Tax {
            code,
            amount,
            percent,
        })
        .boxed()
}

fn terms() -> BoxedStrategy<Terms> {
    (
        opt_text(),
        opt_decimal(),
        any::<Option<u32>>(),
        any::<Option<u32>>(),
        opt_text(),
    )
        .prop_map(
            |(code, discount_percent, discount_days, net_days, description)| Terms {
                code,
                discount_percent,
                discount_days,
                net_days,
                description,
            },
        )
        .boxed()
}

fn totals() -> BoxedStrategy<Totals> {
    (any::<Option<u64>>(), opt_decimal(), opt_decimal())
        .prop_map(|(line_count, hash_total, amount)| Totals {
            line_count,
            hash_total,
            amount,
        })
        .boxed()
}

fn source() -> BoxedStrategy<Source> {
    let identity = || {
        (prop_oneof![Just(String::new()), text()], text())
            .prop_map(|(qualifier, id)| Identity { qualifier, id })
    };
    (
        (
            prop_oneof![Just(String::new()), text()],
            any::<usize>(),
            text(),
        ),
        (prop_oneof![Just(String::new()), text()], text()),
        proptest::option::of(identity()),
        proptest::option::of(identity()),
        (opt_text(), opt_text(), opt_text(), opt_text()),
        any::<bool>(),
    )
        .prop_map(
            |((file, offset, standard), (version, set), sender, receiver, controls, test)| {
                let (interchange_control, group_control, transaction_control, channel) = controls;
                Source {
                    file,
                    offset,
                    standard,
                    version,
                    set,
                    sender,
                    receiver,
                    interchange_control,
                    group_control,
                    transaction_control,
                    channel,
                    test,
                }
            },
        )
        .boxed()
}

/// What orders, ship notices and invoices share: parties, references, dates, terms,
/// allowances, taxes, totals, notes.
type Common = (
    Vec<Party>,
    Vec<Reference>,
    Vec<DatedEvent>,
    Option<Terms>,
    Vec<AllowanceCharge>,
    Vec<Tax>,
    Totals,
    Vec<String>,
);

fn common() -> BoxedStrategy<Common> {
    (
        proptest::collection::vec(party(), 0..2),
        proptest::collection::vec(reference(), 0..2),
        proptest::collection::vec(dated(), 0..2),
        proptest::option::of(terms()),
        proptest::collection::vec(allowance(), 0..2),
        proptest::collection::vec(tax(), 0..2),
        totals(),
        texts(),
    )
        .boxed()
}

fn order() -> BoxedStrategy<Document> {
    let line = (
        (text(), decimal(), opt_text(), opt_decimal(), opt_text()),
        (item_ids(), opt_text()),
        proptest::collection::vec(dated(), 0..2),
        proptest::collection::vec(allowance(), 0..2),
        proptest::collection::vec(tax(), 0..2),
    )
        .prop_map(
            |(
                (line_number, quantity, unit, unit_price, price_basis),
                (item_ids, description),
                dates,
                allowances_charges,
                taxes,
            )| {
                OrderLine {
                    line_number,
                    quantity,
                    unit,
                    unit_price,
                    price_basis,
                    item_ids,
                    description,
                    dates,
                    allowances_charges,
                    taxes,
                }
            },
        );
    (
        (
            text(),
            proptest::option::of(date()),
            purpose(),
            opt_text(),
            opt_text(),
        ),
        proptest::collection::vec(line, 0..3),
        common(),
        source(),
    )
        .prop_map(
            |((order_number, order_date, purpose, order_type, currency), lines, c, source)| {
                let (parties, references, dates, terms, allowances_charges, taxes, totals, notes) =
                    c;
                Document::Order(Order {
                    order_number,
                    order_date,
                    purpose,
                    order_type,
                    currency,
                    parties,
                    lines,
                    references,
                    dates,
                    terms,
                    allowances_charges,
                    taxes,
                    totals,
                    notes,
                    source,
                })
            },
        )
        .boxed()
}

fn ship_notice() -> BoxedStrategy<Document> {
    let line = (
        (text(), opt_text(), decimal(), opt_text(), opt_decimal()),
        (item_ids(), opt_text(), opt_text()),
    )
        .prop_map(
            |(
                (line_number, order_number, quantity, unit, quantity_ordered),
                (item_ids, description, package),
            )| {
                ShipLine {
                    line_number,
                    order_number,
                    quantity,
                    unit,
                    quantity_ordered,
                    item_ids,
                    description,
                    package,
                }
            },
        );
    let package = (
        opt_text(),
        proptest::collection::vec(qualified(), 0..2),
        text(),
        opt_text(),
        opt_text(),
        texts(),
    )
        .prop_map(
            |(sscc, marks, level, parent, tracking_number, lines)| Package {
                sscc,
                marks,
                level,
                parent,
                tracking_number,
                lines,
            },
        );
    let carrier = (opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
        |(scac, name, mode, service_level)| Carrier {
            scac,
            name,
            mode,
            service_level,
        },
    );
    (
        (
            text(),
            proptest::option::of(date()),
            proptest::option::of(time()),
            purpose(),
        ),
        (texts(), proptest::option::of(carrier), texts(), opt_text()),
        (common(), proptest::collection::vec(package, 0..2)),
        proptest::collection::vec(line, 0..3),
        source(),
    )
        .prop_map(|(head, shipping, (c, packages), lines, source)| {
            let (shipment_id, ship_date, ship_time, purpose) = head;
            let (order_refs, carrier, tracking_numbers, bill_of_lading) = shipping;
            let (parties, references, dates, _, _, _, totals, _) = c;
            Document::ShipNotice(ShipNotice {
                shipment_id,
                ship_date,
                ship_time,
                purpose,
                order_refs,
                carrier,
                tracking_numbers,
                bill_of_lading,
                parties,
                references,
                dates,
                packages,
                lines,
                totals,
                source,
            })
        })
        .boxed()
}

fn invoice() -> BoxedStrategy<Document> {
    let line = (
        (text(), decimal(), opt_text(), opt_decimal()),
        (item_ids(), opt_text()),
        proptest::collection::vec(allowance(), 0..2),
        proptest::collection::vec(tax(), 0..2),
    )
        .prop_map(
            |(
                (line_number, quantity, unit, unit_price),
                (item_ids, description),
                allowances_charges,
                taxes,
            )| {
                InvoiceLine {
                    line_number,
                    quantity,
                    unit,
                    unit_price,
                    item_ids,
                    description,
                    allowances_charges,
                    taxes,
                }
            },
        );
    (
        (text(), proptest::option::of(date()), purpose(), opt_text()),
        (
            opt_text(),
            proptest::option::of(date()),
            opt_text(),
            opt_decimal(),
        ),
        proptest::collection::vec(line, 0..3),
        common(),
        source(),
    )
        .prop_map(|(head, order, lines, c, source)| {
            let (invoice_number, invoice_date, purpose, invoice_type) = head;
            let (order_number, order_date, currency, total_amount) = order;
            let (parties, references, dates, terms, allowances_charges, taxes, totals, notes) = c;
            Document::Invoice(Invoice {
                invoice_number,
                invoice_date,
                purpose,
                invoice_type,
                order_number,
                order_date,
                currency,
                parties,
                references,
                dates,
                terms,
                lines,
                allowances_charges,
                taxes,
                total_amount,
                totals,
                notes,
                source,
            })
        })
        .boxed()
}

/// An arbitrary order, ship notice or invoice.
pub(crate) fn any_document() -> BoxedStrategy<Document> {
    prop_oneof![order(), ship_notice(), invoice()].boxed()
}

proptest! {
    #[test]
    fn any_document_is_written_as_serde_writes_it(doc in any_document()) {
        let (direct, serde) = both(&doc);
        prop_assert_eq!(direct, serde);
    }

    #[test]
    fn any_decimal_is_written_as_it_displays(d in decimal()) {
        let mut text = Vec::new();
        super::document::decimal_text(&mut text, &d);
        prop_assert_eq!(String::from_utf8(text).unwrap(), d.to_string());
    }
}

/// The names the writers take from `as_str` are the ones serde gives every variant.
#[test]
fn enum_names_are_serdes() {
    use AllowanceOrCharge as K;
    use Purpose as P;
    use Role as R;
    let name = |v: serde_json::Value| v.as_str().expect("a string").to_owned();
    for p in [
        P::Original,
        P::Replace,
        P::Cancel,
        P::Change,
        P::Duplicate,
        P::Confirmation,
        P::Test,
        P::Other,
    ] {
        assert_eq!(p.as_str(), name(serde_json::to_value(p).unwrap()));
    }
    for r in [
        R::Buyer,
        R::Seller,
        R::ShipTo,
        R::BillTo,
        R::ShipFrom,
        R::RemitTo,
        R::Other,
    ] {
        assert_eq!(r.as_str(), name(serde_json::to_value(r).unwrap()));
    }
    for k in [K::Allowance, K::Charge] {
        assert_eq!(k.as_str(), name(serde_json::to_value(k).unwrap()));
    }
}
