#!/usr/bin/env python3
"""Deterministic generator for the demo's ERP exports in samples/demo/outbox.

The ERP exports ship notices and invoices as canonical JSON Lines (a `ship_notice` or `invoice` per
line, as `tallyman translate` prints them), one sub-folder per channel. They answer the purchase
orders of the demo's drop folders (samples/demo/drop), which the same run accepts first:

  outbox/acme/      for the X12 channel (856 and 810, 004010):
    01-asn-SH-70001.jsonl        ship notice SH-70001 for PO 4500012345 lines 1, 2 and 4 on one
                                 pallet of two cartons                                -> sent (856)
    02-invoices.jsonl            invoice INV-90001 for what SH-70001 shipped           -> sent (810)
                                 invoice INV-90002 for line 3, which nothing shipped   -> held (over_invoice)
    03-asn-problems.jsonl        ship notice SH-70002: 4 more boards of line 2, all 10 ordered were
                                 shipped by SH-70001                                   -> held (over_shipment)
                                 ship notice SH-70003 for PO 4500099999, never received -> held (po_unknown)
  outbox/acme-eu/   for the EDIFACT channel (DESADV and INVOIC, D96A EANCOM):
    01-desadv-DN-80001.jsonl     DESADV DN-80001 for ORDERS 4500012345 lines 1 and 2    -> sent
    02-invoic-INV-E-80001.jsonl  INVOIC INV-E-80001 for what DN-80001 shipped          -> sent

All companies, people and numbers are invented. SSCCs and GTINs carry correct GS1 check digits;
invoice totals follow from their lines. Usage: python3 scripts/gen_demo_outbox.py [ROOT]
"""
import json
import os
import shutil
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTBOX = os.path.join(ROOT, "samples/demo/outbox")


def check_digit(digits):
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def sscc(serial):
    body = "0" + "0614141" + "%09d" % serial
    return body + check_digit(body)


NORTHWIND = {
    "role": "ship_from", "role_code": "SF", "name": "NORTHWIND SUPPLY CO",
    "ids": [{"qualifier": "92", "id": "NW01"}],
    "address": {"lines": ["455 FOUNDRY LANE"], "city": "KETTLE CREEK", "region": "PA",
                "postal_code": "16999", "country": "US"},
}
ACME_DC7 = {
    "role": "ship_to", "role_code": "ST", "name": "ACME RETAIL DC 7",
    "ids": [{"qualifier": "92", "id": "0007"}],
    "address": {"lines": ["88 LOGISTICS PKWY"], "city": "GROVER HEIGHTS", "region": "IN",
                "postal_code": "46299", "country": "US"},
}

MUGS = {"upc": "614141001255", "vendor_part": "NW-TM16-SS"}
BOARDS = {"buyer_part": "AR-55131", "vendor_part": "NW-CB3-BAM"}
CANDLES = {"buyer_part": "AR-56002"}
SKILLETS = {"upc": "614141006083", "buyer_part": "779121"}


def ship_notice(number, date, po, packages, lines, carrier=True):
    sn = {
        "type": "ship_notice", "shipment_id": number, "ship_date": date, "ship_time": "14:30:00",
        "purpose": "original",
        "order_refs": [po],
        "parties": [NORTHWIND, ACME_DC7],
        "packages": packages, "lines": lines,
    }
    if carrier:
        sn["carrier"] = {"scac": "TLYF", "name": "TALLY FREIGHT LINES", "mode": "M"}
        sn["bill_of_lading"] = number.replace("SH-", "BOL")
    return sn


def line(n, qty, ids, unit="EA", package=None, po=None):
    l = {"line_number": str(n), "quantity": str(qty), "unit": unit, "item_ids": ids}
    if po:
        l["order_number"] = po
    if package:
        l["package"] = package
    return l


def invoice(number, date, po, lines, currency="USD", parties=None):
    total = sum(int(l["quantity"]) * float(l["unit_price"]) for l in lines)
    return {
        "type": "invoice", "invoice_number": number, "invoice_date": date, "purpose": "original",
        "order_number": po, "currency": currency,
        "parties": parties or [
            {"role": "bill_to", "role_code": "BT", "name": "ACME RETAIL ACCOUNTS PAYABLE",
             "ids": [{"qualifier": "92", "id": "0042"}]},
            {"role": "remit_to", "role_code": "RE", "name": "NORTHWIND SUPPLY CO",
             "ids": [{"qualifier": "92", "id": "NW01"}]},
        ],
        "terms": {"code": "01", "discount_percent": "2", "discount_days": 10, "net_days": 30},
        "lines": lines,
        "total_amount": "%.2f" % total,
    }


def inv_line(n, qty, price, ids, unit="EA"):
    return {"line_number": str(n), "quantity": str(qty), "unit": unit, "unit_price": price,
            "item_ids": ids}


def acme():
    pallet, c1, c2 = sscc(70001), sscc(70002), sscc(70003)
    packages = [
        {"sscc": pallet, "level": "tare"},
        {"sscc": c1, "level": "pack", "parent": pallet, "lines": ["1"]},
        {"sscc": c2, "level": "pack", "parent": pallet, "lines": ["2", "4"]},
    ]
    sh1 = ship_notice("SH-70001", "2024-03-14", "4500012345", packages, [
        line(1, 24, MUGS, package=c1),
        line(2, 10, BOARDS, package=c2),
        line(4, 12, SKILLETS, package=c2),
    ])
    inv1 = invoice("INV-90001", "2024-03-15", "4500012345", [
        inv_line(1, 24, "12.50", MUGS),
        inv_line(2, 10, "27.95", BOARDS),
        inv_line(4, 12, "18.75", SKILLETS),
    ])
    inv2 = invoice("INV-90002", "2024-03-15", "4500012345", [
        inv_line(3, 6, "41.40", CANDLES, unit="CA"),
    ])
    c3 = sscc(70004)
    sh2 = ship_notice("SH-70002", "2024-03-16", "4500012345",
                      [{"sscc": c3, "level": "pack", "lines": ["1"]}],
                      [line(1, 4, BOARDS, package=c3)])
    c4 = sscc(70005)
    sh3 = ship_notice("SH-70003", "2024-03-16", "4500099999",
                      [{"sscc": c4, "level": "pack", "lines": ["1"]}],
                      [line(1, 2, MUGS, package=c4)])
    return {
        "01-asn-SH-70001.jsonl": [sh1],
        "02-invoices.jsonl": [inv1, inv2],
        "03-asn-problems.jsonl": [sh2, sh3],
    }


def acme_eu():
    gln = lambda role, code, name, gln: {"role": role, "role_code": code, "name": name,
                                         "ids": [{"qualifier": "9", "id": gln}]}
    pallet, c1, c2 = sscc(80001), sscc(80002), sscc(80003)
    desadv = {
        "type": "ship_notice", "shipment_id": "DN-80001", "ship_date": "2024-03-14", "ship_time": "14:30:00",
        "purpose": "original", "order_refs": ["4500012345"],
        "parties": [gln("ship_from", "SF", "NORTHWIND SUPPLY CO", "0614141200016"),
                    gln("ship_to", "DP", "ACME RETAIL DC 7", "0614141100071")],
        "packages": [
            {"sscc": pallet, "level": "tare"},
            {"sscc": c1, "level": "pack", "parent": pallet, "lines": ["1"]},
            {"sscc": c2, "level": "pack", "parent": pallet, "lines": ["2"]},
        ],
        "lines": [
            {"line_number": "1", "quantity": "24", "item_ids": {"gtin": "0614141001255", "vendor_part": "NW-TM16-SS"}, "package": c1},
            {"line_number": "2", "quantity": "10", "item_ids": {"gtin": "0614141003426", "vendor_part": "NW-CB3-BAM"}, "package": c2},
        ],
    }
    invoic = invoice("INV-E-80001", "2024-03-15", "4500012345", [
        {"line_number": "1", "quantity": "24", "unit_price": "12.50",
         "item_ids": {"gtin": "0614141001255", "vendor_part": "NW-TM16-SS"}},
        {"line_number": "2", "quantity": "10", "unit_price": "27.95",
         "item_ids": {"gtin": "0614141003426", "vendor_part": "NW-CB3-BAM"}},
    ], currency="EUR", parties=[
        gln("buyer", "BY", "ACME RETAIL GROUP", "0614141100422"),
        gln("seller", "SU", "NORTHWIND SUPPLY CO", "0614141200016"),
    ])
    del invoic["terms"]
    return {"01-desadv-DN-80001.jsonl": [desadv], "02-invoic-INV-E-80001.jsonl": [invoic]}


def main():
    shutil.rmtree(OUTBOX, ignore_errors=True)
    for channel, files in (("acme", acme()), ("acme-eu", acme_eu())):
        os.makedirs(os.path.join(OUTBOX, channel))
        for name, docs in files.items():
            path = os.path.join(OUTBOX, channel, name)
            with open(path, "w") as f:
                for d in docs:
                    f.write(json.dumps(d, separators=(",", ":")) + "\n")
            print(os.path.relpath(path, ROOT))


if __name__ == "__main__":
    main()
