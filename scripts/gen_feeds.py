#!/usr/bin/env python3
"""Deterministic generator for tallyman's marketplace order-feed samples and test fixtures.

Writes a Shopify "Export orders" CSV and an Amazon order-report flat file (tab separated) under
samples/feeds, and valid/invalid fixtures under tests/fixtures/feeds, then re-reads every file it
wrote (Python's csv module in the file's encoding, plus an independent little validator) and checks:
totals add up, valid files have no problem, each invalid file has exactly the one problem its
`.why` names, at the row and column the `.why` names.

All shops, customers, addresses, phone numbers (555-01xx), e-mail addresses (example.com /
example.net), SKUs, order numbers, ids, payment references and amounts are invented.

Conventions (see tests/fixtures/feeds/README.md):
  * Shopify: one row per line item. Name and Email repeat on every row of an order (that is how an
    export's rows are grouped); every other order-level column is filled on the order's first row
    only. Lineitem * columns and Vendor (the line item's product vendor) are filled on every row.
    Subtotal = sum(qty x price); Discount Amount = sum(Lineitem discount);
    Taxes = Tax 1 Value + Tax 2 Value; Total = Subtotal + Shipping + Taxes - Discount Amount.
    Zips carry Shopify's leading apostrophe ('43199) that keeps spreadsheets from eating zeros.
  * Amazon: one row per order item; every order-level column repeats on each row of the order;
    item-price is the price of the whole quantity, item-tax the tax on it.
  * Row N = 1-based physical line number where the record starts, header = row 1.

Usage: python3 scripts/gen_feeds.py /work/main
"""
import csv
import hashlib
import io
import os
import re
import sys
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal as D

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/work/main"
SAMPLES = os.path.join(ROOT, "samples/feeds")
FIX = os.path.join(ROOT, "tests/fixtures/feeds")
VALID = os.path.join(FIX, "valid")
INVALID = os.path.join(FIX, "invalid")

CENT = D("0.01")


def money(d: D) -> str:
    return str(d.quantize(CENT, rounding=ROUND_HALF_UP))


def rnd(d: D) -> D:
    return d.quantize(CENT, rounding=ROUND_HALF_UP)


def token(seed: str, n: int = 25) -> str:
    """Deterministic opaque reference (payment reference / payment id)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    h = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    out = []
    for _ in range(n):
        h, r = divmod(h, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


# =========================================================================== Shopify
SHOPIFY_HEADER = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor", "Id", "Tags",
    "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name",
    "Tax 2 Value", "Phone", "Receipt Number", "Billing Province Name", "Shipping Province Name",
    "Payment ID",
]
assert len(SHOPIFY_HEADER) == 65 and len(set(SHOPIFY_HEADER)) == 65

# Filled on every row of an order.
SHOPIFY_LINE_COLS = [c for c in SHOPIFY_HEADER if c.startswith("Lineitem ")] + ["Vendor"]
SHOPIFY_REPEATED_ORDER_COLS = ["Name", "Email"]
# Filled on the first row only.
SHOPIFY_ORDER_COLS = [c for c in SHOPIFY_HEADER
                      if c not in SHOPIFY_LINE_COLS and c not in SHOPIFY_REPEATED_ORDER_COLS]

PROVINCES = {"OH": "Ohio", "VT": "Vermont", "WA": "Washington", "IL": "Illinois",
             "CO": "Colorado", "OR": "Oregon", "MN": "Minnesota", "ME": "Maine"}

# sku: (Lineitem name, price, compare at, requires shipping, taxable, vendor)
CATALOG = {
    "FH-MUG-SAGE": ("Stoneware Mug - Sage / 12 oz", "18.00", "", True, True, "Fernhill Goods"),
    "FH-MUG-RUST": ("Stoneware Mug - Rust / 12 oz", "18.00", "", True, True, "Fernhill Goods"),
    "FH-TOWEL-OAT": ('Linen Tea Towel 20" x 30" - Oat', "14.50", "", True, True, "Fernhill Goods"),
    "FH-BOARD-WAL": ("Walnut Serving Board - Large", "64.00", "72.00", True, True, "Fernhill Goods"),
    "FH-GIFT-25": ("Fernhill Gift Card - $25", "25.00", "", False, False, "Fernhill Goods"),
    "FH-CANDLE-CDR": ("Cedar & Moss Candle - 8 oz", "22.00", "", True, True, "Cedar Row Candle Co."),
    "FH-BOWL-SET": ("Nesting Bowl Set of 3 - Speckled", "39.95", "", True, True, "Fernhill Goods"),
    "FH-PLANT-TER": ("Terracotta Planter - 6 in", "16.75", "", True, True, "Fernhill Goods"),
    # fixture-only items with non-ASCII names
    "FH-BOARD-WAL-EN": ("Walnut Serving Board \u2013 Large", "64.00", "", True, True, "Fernhill Goods"),
    "FH-TRAY-ASH": ("Ash Tray Caf\u00e9 Set \u2013 2 pc", "34.00", "", True, True, "Fernhill Goods"),
}


def addr(name, a1, a2, company, city, zip_, prov, phone, country="US"):
    return dict(name=name, a1=a1, a2=a2, company=company, city=city, zip=zip_, prov=prov,
                country=country, phone=phone)


def sline(sku, qty, status, discount="0.00", name=None, price=None):
    nm, pr, cmp_, ship, tax, vendor = CATALOG[sku]
    return dict(sku=sku, qty=qty, name=name or nm, price=D(price or pr), compare=cmp_, ship=ship,
                taxable=tax, status=status, vendor=vendor, discount=D(discount))


class ShopifyOrder:
    def __init__(self, name, oid, email, created, paid, fulfilled, fin, ful, accepts, method,
                 shipping, bill, ship_to, lines, taxes, code="", notes="", attrs="", tags="",
                 pay_method="Shopify Payments", phone=""):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.shipping = D(shipping)

    def totals(self):
        subtotal = sum((D(l["qty"]) * l["price"] for l in self.lines), D(0))
        discount = sum((l["discount"] for l in self.lines), D(0))
        base = sum((D(l["qty"]) * l["price"] - l["discount"] for l in self.lines if l["taxable"]), D(0))
        tax_values = [(tname, rnd(base * D(rate))) for tname, rate in self.taxes]
        taxes = sum((v for _, v in tax_values), D(0))
        total = subtotal + self.shipping + taxes - discount
        return dict(subtotal=subtotal, discount=discount, tax_values=tax_values, taxes=taxes, total=total)

    def rows(self):
        t = self.totals()
        b, s = self.bill, self.ship_to
        paid_ref = token("ref" + self.name + self.oid) if self.pay_method == "Shopify Payments" else ""

        def street(a):
            return a["a1"] + (", " + a["a2"] if a["a2"] else "")

        first = {
            "Financial Status": self.fin, "Paid at": self.paid, "Fulfillment Status": self.ful,
            "Fulfilled at": self.fulfilled, "Accepts Marketing": self.accepts, "Currency": "USD",
            "Subtotal": money(t["subtotal"]), "Shipping": money(self.shipping),
            "Taxes": money(t["taxes"]), "Total": money(t["total"]), "Discount Code": self.code,
            "Discount Amount": money(t["discount"]), "Shipping Method": self.method,
            "Created at": self.created,
            "Billing Name": b["name"], "Billing Street": street(b), "Billing Address1": b["a1"],
            "Billing Address2": b["a2"], "Billing Company": b["company"], "Billing City": b["city"],
            "Billing Zip": "'" + b["zip"], "Billing Province": b["prov"], "Billing Country": b["country"],
            "Billing Phone": b["phone"],
            "Shipping Name": s["name"], "Shipping Street": street(s), "Shipping Address1": s["a1"],
            "Shipping Address2": s["a2"], "Shipping Company": s["company"], "Shipping City": s["city"],
            "Shipping Zip": "'" + s["zip"], "Shipping Province": s["prov"],
            "Shipping Country": s["country"], "Shipping Phone": s["phone"],
            "Notes": self.notes, "Note Attributes": self.attrs, "Cancelled at": "",
            "Payment Method": self.pay_method, "Payment Reference": paid_ref, "Refunded Amount": "0.00",
            "Id": self.oid, "Tags": self.tags, "Risk Level": "Low", "Source": "web",
            "Phone": self.phone, "Receipt Number": "",
            "Billing Province Name": PROVINCES[b["prov"]], "Shipping Province Name": PROVINCES[s["prov"]],
            "Payment ID": token("pay" + self.name + self.oid, 20) if paid_ref else "",
        }
        for i, (tname, tval) in enumerate(t["tax_values"], 1):
            first[f"Tax {i} Name"] = tname
            first[f"Tax {i} Value"] = money(tval)
        out = []
        for i, l in enumerate(self.lines):
            row = {c: "" for c in SHOPIFY_HEADER}
            row["Name"] = self.name
            row["Email"] = self.email
            if i == 0:
                row.update(first)
            row.update({
                "Lineitem quantity": str(l["qty"]), "Lineitem name": l["name"],
                "Lineitem price": money(l["price"]), "Lineitem compare at price": l["compare"],
                "Lineitem sku": l["sku"], "Lineitem requires shipping": "true" if l["ship"] else "false",
                "Lineitem taxable": "true" if l["taxable"] else "false",
                "Lineitem fulfillment status": l["status"], "Vendor": l["vendor"],
                "Lineitem discount": money(l["discount"]),
            })
            out.append([row[c] for c in SHOPIFY_HEADER])
        return out


OH_TAX = [("OH State Tax 5.75%", "0.0575"), ("County Tax 1.25%", "0.0125")]
VT_TAX = [("VT State Tax 6%", "0.06")]
WA_TAX = [("WA State Tax 6.5%", "0.065"), ("Local Tax 2.4%", "0.024")]
CO_TAX = [("CO State Tax 2.9%", "0.029"), ("Sable Creek City Tax 3.5%", "0.035")]
MN_TAX = [("MN State Tax 6.875%", "0.06875")]

PRIYA = addr("Priya Castellano", "418 Quarry Hill Rd", "", "", "Millbrook", "43199", "OH", "+16145550142")
OWEN = addr("Owen Haldane", "27 Birch Meadow Ln", "Suite 4", "Haldane & Pike Architects, LLP",
            "Cobble Ridge", "05998", "VT", "+18025550117")
MARA = addr("Mara Linwood", "1630 Kestrel Ave", "", "", "Grover Falls", "62999", "IL", "+12175550163")
JONAH = addr("Jonah Linwood", "88 Driftwood Ct", "Unit 12", "", "Alder Bend", "98199", "WA", "+12065550188")
RUTH = addr("Ruth Okonjo", "5 Larkspur Terrace", "", "", "Sable Creek", "80999", "CO", "+17195550109")

SAMPLE_SHOPIFY = [
    ShopifyOrder("#1001", "5710000011001", "priya.castellano@example.com",
                 "2024-03-11 09:15:42 -0500", "2024-03-11 09:15:44 -0500", "2024-03-12 14:03:10 -0500",
                 "paid", "fulfilled", "yes", "Standard Shipping", "6.95", PRIYA, PRIYA,
                 [sline("FH-MUG-SAGE", 2, "fulfilled")], OH_TAX, phone="+16145550142"),
    ShopifyOrder("#1002", "5710000011002", "owen.haldane@example.net",
                 "2024-03-12 16:41:07 -0500", "2024-03-12 16:41:09 -0500", "",
                 "paid", "partial", "no", "Free Shipping over $75", "0.00", OWEN, OWEN,
                 [sline("FH-BOARD-WAL", 1, "pending", "6.40"),
                  sline("FH-TOWEL-OAT", 2, "pending", "2.90"),
                  sline("FH-GIFT-25", 1, "fulfilled")],
                 VT_TAX, code="SPRING10", notes="Leave at the side door, not the front porch.",
                 tags="repeat customer, spring-promo"),
    ShopifyOrder("#1003", "5710000011003", "mara.linwood@example.com",
                 "2024-03-14 11:02:55 -0500", "2024-03-14 11:02:58 -0500", "2024-03-15 10:47:31 -0500",
                 "paid", "fulfilled", "yes", "Expedited", "8.50", MARA, JONAH,
                 [sline("FH-CANDLE-CDR", 1, "fulfilled"), sline("FH-BOWL-SET", 1, "fulfilled")],
                 WA_TAX, notes="Gift message: Happy housewarming, Jonah!\nPlease leave out the packing slip.",
                 attrs="gift-wrap: yes", tags="gift"),
    ShopifyOrder("#1004", "5710000011004", "r.okonjo@example.net",
                 "2024-03-15 19:26:03 -0500", "", "",
                 "pending", "unfulfilled", "no", "Standard Shipping", "5.00", RUTH, RUTH,
                 [sline("FH-PLANT-TER", 3, "pending"), sline("FH-MUG-RUST", 1, "pending")],
                 CO_TAX, pay_method="Bank Deposit"),
]

# ---- invalid fixtures' base orders (no embedded newlines: row number == line number)
FELIX = addr("Felix Arden", "902 Tamarack St", "", "", "Millbrook", "43199", "OH", "+16145550176")
NADIA = addr("Nadia Sorensen", "14 Wren Hollow Rd", "Apt 3C", "", "Lake Tessel", "55999", "MN", "+16125550131")
GRETA = addr("Greta Whitcombe", "3301 Ridgeline Dr", "", "", "Sable Creek", "80999", "CO", "+17195550154")

INV_1101 = ShopifyOrder("#1101", "5710000011101", "felix.arden@example.com",
                        "2024-03-18 08:12:30 -0500", "2024-03-18 08:12:33 -0500", "2024-03-19 09:40:02 -0500",
                        "paid", "fulfilled", "no", "Standard Shipping", "6.95", FELIX, FELIX,
                        [sline("FH-CANDLE-CDR", 2, "fulfilled"), sline("FH-MUG-SAGE", 1, "fulfilled")],
                        OH_TAX)
INV_1102 = ShopifyOrder("#1102", "5710000011102", "nadia.sorensen@example.net",
                        "2024-03-18 13:55:21 -0500", "2024-03-18 13:55:24 -0500", "",
                        "paid", "unfulfilled", "yes", "Standard Shipping", "7.50", NADIA, NADIA,
                        [sline("FH-PLANT-TER", 2, "pending"), sline("FH-MUG-RUST", 2, "pending"),
                         sline("FH-BOWL-SET", 1, "pending")],
                        MN_TAX, notes="Ring the bell twice, then wait")
INV_1103 = ShopifyOrder("#1103", "5710000011103", "g.whitcombe@example.com",
                        "2024-03-19 10:31:47 -0500", "2024-03-19 10:31:50 -0500", "",
                        "paid", "unfulfilled", "no", "Standard Shipping", "5.00", GRETA, GRETA,
                        [sline("FH-BOARD-WAL", 1, "pending", "5.00")], CO_TAX, code="WELCOME5")

# ---- valid fixtures
RENEE = addr("Ren\u00e9e Marchetti", "71 Juniper Row", "", "", "Cobble Ridge", "05998", "VT", "+18025550122")
HUGO = addr("Hugo Barrow", "240 Stillwater Pkwy", "Apt 9", "", "Millbrook", "43199", "OH", "+16145550190")
LUCJA = addr("\u0141ucja Brennan", "19 Osprey Point Rd", "", "", "Harbor Vale", "04999", "ME", "+12075550137")
ME_TAX = [("ME State Tax 5.5%", "0.055")]

CP1252_SHOPIFY = [
    ShopifyOrder("#2001", "5710000012001", "renee.marchetti@example.com",
                 "2024-04-02 10:05:11 -0500", "2024-04-02 10:05:14 -0500", "2024-04-03 15:20:45 -0500",
                 "paid", "fulfilled", "yes", "Standard Shipping", "6.95", RENEE, RENEE,
                 [sline("FH-BOARD-WAL-EN", 1, "fulfilled"), sline("FH-MUG-SAGE", 2, "fulfilled")],
                 VT_TAX, notes="Bonjour, merci \u2013 Ren\u00e9e"),
    ShopifyOrder("#2002", "5710000012002", "hugo.barrow@example.net",
                 "2024-04-02 17:48:36 -0500", "2024-04-02 17:48:39 -0500", "",
                 "paid", "unfulfilled", "no", "Standard Shipping", "5.00", HUGO, HUGO,
                 [sline("FH-TRAY-ASH", 1, "pending")], OH_TAX),
]
BOM_SHOPIFY = [
    ShopifyOrder("#3001", "5710000013001", "lucja.brennan@example.com",
                 "2024-04-05 09:30:00 -0500", "2024-04-05 09:30:03 -0500", "2024-04-06 11:12:13 -0500",
                 "paid", "fulfilled", "yes", "Standard Shipping", "6.95", LUCJA, LUCJA,
                 [sline("FH-CANDLE-CDR", 1, "fulfilled"), sline("FH-TOWEL-OAT", 3, "fulfilled")],
                 ME_TAX, code="THANKS3", notes="Dzi\u0119kuj\u0119! \u2014 \u0141.B.",
                 ),
    ShopifyOrder("#3002", "5710000013002", "hugo.barrow@example.net",
                 "2024-04-05 14:02:27 -0500", "2024-04-05 14:02:30 -0500", "",
                 "paid", "unfulfilled", "no", "Standard Shipping", "5.00", HUGO, HUGO,
                 [sline("FH-PLANT-TER", 2, "pending")], OH_TAX),
]
# THANKS3: 3.00 off the candle line
BOM_SHOPIFY[0].lines[0]["discount"] = D("3.00")


def shopify_text(orders, eol="\n"):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=eol, quoting=csv.QUOTE_MINIMAL)
    w.writerow(SHOPIFY_HEADER)
    for o in orders:
        w.writerows(o.rows())
    return buf.getvalue()


# =========================================================================== Amazon
AMAZON_HEADER = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "buyer-email", "buyer-name",
    "buyer-phone-number", "sku", "product-name", "quantity-purchased", "currency", "item-price",
    "item-tax", "shipping-price", "shipping-tax", "ship-service-level", "recipient-name",
    "ship-address-1", "ship-address-2", "ship-address-3", "ship-city", "ship-state",
    "ship-postal-code", "ship-country", "ship-phone-number", "delivery-start-date",
    "delivery-end-date", "delivery-time-zone", "delivery-Instructions", "sales-channel",
]
assert len(AMAZON_HEADER) == 30
AMAZON_ITEM_COLS = ["order-item-id", "sku", "product-name", "quantity-purchased", "item-price",
                    "item-tax", "shipping-price", "shipping-tax"]
AMAZON_ORDER_COLS = [c for c in AMAZON_HEADER if c not in AMAZON_ITEM_COLS]

AMAZON_PRODUCTS = {
    "FH-CANDLE-CDR": ("Cedar & Moss Soy Candle, 8 oz, Wooden Wick", "22.00"),
    "FH-BOWL-SET": ("Fernhill Nesting Bowl Set of 3, Speckled Stoneware", "39.95"),
    "FH-PLANT-TER": ('Fernhill Terracotta Planter 6" with Saucer', "16.75"),
    "FH-TOWEL-OAT": ("Fernhill Linen Tea Towel, Oat", "12.99"),
    "FH-MUG-SAGE": ("Fernhill Stoneware Mug 12 oz, Sage", "18.00"),
}


class AmazonOrder:
    def __init__(self, oid, purchase, payments, email, buyer, buyer_phone, level, recipient,
                 a1, a2, a3, city, state, postal, phone, tax_rate, items, instructions=""):
        self.__dict__.update(locals())
        del self.__dict__["self"]

    def item_rows(self):
        """(row dict, tax totals) per item. items: (order-item-id, sku, qty, shipping-price)."""
        out = []
        for item_id, sku, qty, ship in self.items:
            pname, unit = AMAZON_PRODUCTS[sku]
            price = D(unit) * qty
            ship = D(ship)
            rate = D(self.tax_rate)
            row = {
                "order-id": self.oid, "order-item-id": item_id, "purchase-date": self.purchase,
                "payments-date": self.payments, "buyer-email": self.email, "buyer-name": self.buyer,
                "buyer-phone-number": self.buyer_phone, "sku": sku, "product-name": pname,
                "quantity-purchased": str(qty), "currency": "USD", "item-price": money(price),
                "item-tax": money(rnd(price * rate)), "shipping-price": money(ship),
                "shipping-tax": money(rnd(ship * rate)), "ship-service-level": self.level,
                "recipient-name": self.recipient, "ship-address-1": self.a1, "ship-address-2": self.a2,
                "ship-address-3": self.a3, "ship-city": self.city, "ship-state": self.state,
                "ship-postal-code": self.postal, "ship-country": "US", "ship-phone-number": self.phone,
                "delivery-start-date": "", "delivery-end-date": "", "delivery-time-zone": "",
                "delivery-Instructions": self.instructions, "sales-channel": "Amazon.com",
            }
            out.append(row)
        return out

    def rows(self):
        return [[r[c] for c in AMAZON_HEADER] for r in self.item_rows()]

    def total(self):
        return sum((D(r[c]) for r in self.item_rows()
                    for c in ("item-price", "item-tax", "shipping-price", "shipping-tax")), D(0))


SAMPLE_AMAZON = [
    AmazonOrder("113-4820917-3356204", "2024-03-11T14:02:11+00:00", "2024-03-11T14:33:40+00:00",
                "q7d2kx9mvw4hbt1@marketplace.example.com", "Theo Marchbanks", "",
                "Standard", "Theo Marchbanks", "2207 Heron Bluff Way", "Apt 5", "", "Alder Bend",
                "WA", "98199-4402", "+1 206-555-0175", "0.089",
                [("30517284619402", "FH-CANDLE-CDR", 2, "4.99"),
                 ("30517284619418", "FH-BOWL-SET", 1, "0.00")]),
    AmazonOrder("114-0638251-7719036", "2024-03-12T09:47:03+00:00", "2024-03-12T09:47:03+00:00",
                "m3zr8wq1tky6pv2@marketplace.example.com", "Ines Halvorsen", "+1 719-555-0128",
                "Expedited", "Ines Halvorsen", "61 Cottonwood Bend", "", "", "Sable Creek",
                "CO", "80999", "+1 719-555-0128", "0.029",
                [("48261037755910", "FH-PLANT-TER", 3, "5.99")],
                instructions="Leave with the building manager"),
    AmazonOrder("112-9574130-2048815", "2024-03-13T22:15:49+00:00", "2024-03-13T22:16:02+00:00",
                "h8nc4jv7xq2ms5r@marketplace.example.com", "Calvin Pryor", "",
                "Standard", "Calvin Pryor", "730 Fernway Rd", "", "", "Marsh Hollow",
                "OR", "97999", "+1 503-555-0161", "0",
                [("61940285317726", "FH-TOWEL-OAT", 1, "3.99")]),
]

UTF16_AMAZON = [
    AmazonOrder("111-2093846-5517203", "2024-04-08T07:21:36+00:00", "2024-04-08T07:22:05+00:00",
                "t5wm9hq3zx8kc1v@marketplace.example.com", "Anneliese Gr\u00fcnwald", "",
                "Standard", "Anneliese Gr\u00fcnwald", "45 Lindenhof Ln", "", "", "Lake Tessel",
                "MN", "55999", "+1 612-555-0144", "0.06875",
                [("72039481156630", "FH-MUG-SAGE", 2, "4.99"),
                 ("72039481156647", "FH-TOWEL-OAT", 1, "0.00")]),
    AmazonOrder("113-7718402-0954361", "2024-04-08T18:03:12+00:00", "2024-04-08T18:03:12+00:00",
                "b2xk7pm4wq9zt6n@marketplace.example.com", "Dara Quill", "",
                "SecondDay", "Dara Quill", "12 Sandpiper Cir", "", "", "Alder Bend",
                "WA", "98199", "+1 206-555-0119", "0.089",
                [("83150627490015", "FH-BOWL-SET", 1, "7.49")]),
]


def amazon_text(orders, eol="\n", mutate=None):
    rows = [AMAZON_HEADER] + [r for o in orders for r in o.rows()]
    if mutate:
        mutate(rows)
    for r in rows:
        for v in r:
            assert "\t" not in v and "\n" not in v and "\r" not in v, v
    return "".join("\t".join(r) + eol for r in rows)


# =========================================================================== invalid fixtures
def shopify_bad_quantity():
    orders = [INV_1101, INV_1102, INV_1103]
    good = shopify_text(orders)
    recs = list(csv.reader(io.StringIO(good, newline="")))
    qi = SHOPIFY_HEADER.index("Lineitem quantity")
    # row 5 = header(1) + #1101 (rows 2-3) + #1102 line 1 (row 4) + #1102 line 2
    assert recs[4][0] == "#1102" and recs[4][qi] == "2" and recs[4][SHOPIFY_HEADER.index("Subtotal")] == ""
    recs[4][qi] = "2x"
    bad = rewrite_csv(recs)
    why = "Lineitem quantity is '2x', not a whole number; the other rows and orders are fine (row 5, column Lineitem quantity)"
    return good, bad, why, (5, "Lineitem quantity")


def shopify_missing_name():
    orders = [INV_1101, INV_1103, INV_1102]
    good = shopify_text(orders)
    recs = list(csv.reader(io.StringIO(good, newline="")))
    assert recs[3][0] == "#1103" and recs[3][SHOPIFY_HEADER.index("Total")] != ""
    recs[3][0] = ""
    bad = rewrite_csv(recs)
    why = ("first row of an order has an empty Name (order number) although its order-level fields "
           "(Email, Financial Status, totals, addresses, Id) are filled (row 4, column Name)")
    return good, bad, why, (4, "Name")


def shopify_unterminated_quote():
    orders = [INV_1101, INV_1103, INV_1102]
    good = shopify_text(orders)
    quoted = '"Ring the bell twice, then wait"'
    assert good.count(quoted) == 1
    bad = good.replace(quoted, quoted[:-1])
    why = ("quoted Notes field of the last order's first row opens with a double quote that is never "
           "closed, so it runs to the end of the file; the two orders before it are complete and valid "
           "(row 5, column Notes)")
    return good, bad, why, (5, "Notes")


def rewrite_csv(recs):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(recs)
    return buf.getvalue()


def amazon_contradiction():
    good = amazon_text(SAMPLE_AMAZON)

    def mutate(rows):
        bi = AMAZON_HEADER.index("buyer-name")
        assert rows[1][0] == rows[2][0] and rows[2][bi] == "Theo Marchbanks"
        rows[2][bi] = "T. Marchbanks"

    bad = amazon_text(SAMPLE_AMAZON, mutate=mutate)
    why = ("buyer-name 'T. Marchbanks' contradicts 'Theo Marchbanks' on row 2 for the same order-id "
           "113-4820917-3356204 (row 3, column buyer-name)")
    return good, bad, why, (3, "buyer-name")


def amazon_bad_price():
    good = amazon_text(SAMPLE_AMAZON)

    def mutate(rows):
        pi = AMAZON_HEADER.index("item-price")
        assert rows[4][pi] == "12.99"
        rows[4][pi] = "12,99"

    bad = amazon_text(SAMPLE_AMAZON, mutate=mutate)
    why = "item-price '12,99' has a decimal comma, not a decimal point, so it is not a valid amount (row 5, column item-price)"
    return good, bad, why, (5, "item-price")


def amazon_bad_date():
    # order 2 (single item, row 4) bought on leap day 2024-02-29; the broken copy says 02-30
    orders = [SAMPLE_AMAZON[0], AmazonOrder(**{**SAMPLE_AMAZON[1].__dict__,
                                               "purchase": "2024-02-29T10:00:00+00:00",
                                               "payments": "2024-02-29T10:07:13+00:00"}),
              SAMPLE_AMAZON[2]]
    good = amazon_text(orders)

    def mutate(rows):
        di = AMAZON_HEADER.index("purchase-date")
        assert rows[3][di] == "2024-02-29T10:00:00+00:00" and rows[3][0] != rows[2][0]
        rows[3][di] = "2024-02-30T10:00:00+00:00"

    bad = amazon_text(orders, mutate=mutate)
    why = "purchase-date 2024-02-30T10:00:00+00:00 is not a real date, February 2024 has 29 days (row 4, column purchase-date)"
    return good, bad, why, (4, "purchase-date")


INVALID_FILES = {
    "shopify-bad-quantity.csv": shopify_bad_quantity,
    "shopify-missing-name.csv": shopify_missing_name,
    "shopify-unterminated-quote.csv": shopify_unterminated_quote,
    "amazon-contradiction.txt": amazon_contradiction,
    "amazon-bad-price.txt": amazon_bad_price,
    "amazon-bad-date.txt": amazon_bad_date,
}


# =========================================================================== README
README = """# Marketplace order-feed test fixtures

Hand-made Shopify "Export orders" CSVs and Amazon order-report flat files for tallyman's tests,
generated by `scripts/gen_feeds.py` (`python3 scripts/gen_feeds.py .`; deterministic, it re-reads and
checks every file it writes). The shop (Fernhill Goods), customers, addresses, phone numbers (555-01xx),
e-mail addresses (example.com / example.net), SKUs (`FH-...`), order numbers, ids and payment references are
invented. The samples `samples/feeds/shopify-orders.csv` (#1001..#1004) and `samples/feeds/amazon-orders.txt`
(3 orders, 4 rows) come from the same script.

Shopify files: the 65-column header of the script's `SHOPIFY_HEADER`, one row per line item. `Name` and
`Email` repeat on every row of an order (rows are grouped by `Name`); every other order-level column is
filled on the order's first row only; the `Lineitem *` columns and `Vendor` (the item's product vendor)
are filled on every row. Money is a plain decimal with two places, currency USD, times like
`2024-03-11 09:15:42 -0500`, zips carry Shopify's leading apostrophe (`'43199`, `'05998`).
Subtotal = sum(Lineitem quantity x Lineitem price); Discount Amount = sum(Lineitem discount);
Taxes = Tax 1 Value + Tax 2 Value; Total = Subtotal + Shipping + Taxes - Discount Amount.

Amazon files: tab separated, no quoting (a `"` is an ordinary character), the 30-column order-report
header, one row per order item; every order-level column repeats on each row of an order; `item-price` is
the price of the whole `quantity-purchased`, `item-tax` the tax on it; times ISO 8601 with offset.

Row N is the 1-based line number where the record starts, the header being row 1.

## valid/

Every file here must parse and validate without errors.

| file | exercises |
|---|---|
| `shopify-windows-1252.csv` | Windows-1252 bytes, no BOM, CR LF line ends: #2001 billing/shipping name `Renée Marchetti` (é = E9), line item `Walnut Serving Board – Large` (en dash = 96), Notes `Bonjour, merci – Renée`; #2002 `Ash Tray Café Set – 2 pc`. Not valid UTF-8: must be decoded as cp1252 (2 orders, 3 rows) |
| `amazon-utf16le.txt` | UTF-16LE with BOM (FF FE), CR LF line ends: buyer/recipient `Anneliese Grünwald` (ü); order 111-2093846-5517203 with two items whose order-level columns repeat; 113-7718402-0954361 one item (2 orders, 3 rows) |
| `shopify-utf8-bom.csv` | UTF-8 with BOM (EF BB BF) before `Name`, LF line ends: `Łucja Brennan` (Ł is not in Windows-1252), Notes `Dziękuję! — Ł.B.`; #3001 has a 3.00 line discount (code THANKS3) (2 orders, 3 rows) |

## invalid/

Each file has exactly one problem; putting the one value back makes the file valid. `<file>.why` holds one
line: the problem in plain words, ending in `(row N, column NAME)`.

| file | what must be reported |
|---|---|
| `shopify-bad-quantity.csv` | Lineitem quantity `2x` on the second line item of #1102, the second of three orders; #1101 and #1103 are fine (row 5, column Lineitem quantity) |
| `shopify-missing-name.csv` | order #1103 (a one-line order between #1101 and #1102) has an empty Name while Email, statuses, totals, addresses and Id are filled (row 4, column Name) |
| `shopify-unterminated-quote.csv` | the Notes field of #1102, the last order, opens a quote that is never closed and swallows the rest of the file (its two continuation rows); #1101 and #1103 before it are complete and valid (row 5, column Notes) |
| `amazon-contradiction.txt` | the two rows of order 113-4820917-3356204 disagree on buyer-name: `Theo Marchbanks` then `T. Marchbanks` (row 3, column buyer-name) |
| `amazon-bad-price.txt` | item-price `12,99` (decimal comma) for order 112-9574130-2048815 (row 5, column item-price) |
| `amazon-bad-date.txt` | purchase-date `2024-02-30T10:00:00+00:00` for order 114-0638251-7719036 (payments-date is the real leap day 2024-02-29) (row 4, column purchase-date) |
"""


# =========================================================================== checker
class Problem(Exception):
    pass


def scan_csv(text, delim=","):
    """RFC 4180 scan of `text` (already decoded, BOM removed) returning [(start_line, fields)].
    Raises Problem((line, field_index)) on an unterminated quoted field."""
    recs, fields, field = [], [], []
    line, start, fstart_line = 1, 1, 1
    i, n = 0, len(text)
    in_q = False
    at_field_start = True
    while i < n:
        c = text[i]
        if in_q:
            if c == '"':
                if i + 1 < n and text[i + 1] == '"':
                    field.append('"')
                    i += 2
                    continue
                in_q = False
            else:
                if c == "\n":
                    line += 1
                field.append(c)
            i += 1
            continue
        if c == '"' and at_field_start:
            in_q = True
            at_field_start = False
            fstart_line = line
        elif c == delim:
            fields.append("".join(field))
            field = []
            at_field_start = True
        elif c in "\r\n":
            if c == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
            fields.append("".join(field))
            recs.append((start, fields))
            fields, field = [], []
            line += 1
            start = line
            at_field_start = True
        else:
            if c == '"':
                raise Problem((line, len(fields), "stray quote"))
            field.append(c)
            at_field_start = False
        i += 1
    if in_q:
        raise Problem((start, len(fields), "unterminated quote"))
    if field or fields:
        fields.append("".join(field))
        recs.append((start, fields))
    return recs


MONEY_RE = re.compile(r"^\d+\.\d{2}$")


def shopify_time(s):
    if not re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}", s):
        return None
    try:
        return datetime.strptime(s, "%Y-%m-%d %H:%M:%S %z")
    except ValueError:
        return None


def validate_shopify(text):
    """Returns a list of (row, column, message)."""
    try:
        recs = scan_csv(text)
    except Problem as p:
        line, fi, msg = p.args[0]
        return [(line, SHOPIFY_HEADER[fi], msg)]
    errs = []
    line, header = recs[0]
    if header != SHOPIFY_HEADER:
        return [(1, "", "header differs")]
    orders = []  # (first_row, first_rec, [(row, rec)])
    prev_name = None
    seen = set()
    for row, f in recs[1:]:
        if len(f) != len(SHOPIFY_HEADER):
            errs.append((row, "", f"{len(f)} fields"))
            continue
        r = dict(zip(SHOPIFY_HEADER, f))
        cont = r["Name"] != "" and r["Name"] == prev_name
        if not cont:
            if r["Name"] == "":
                errs.append((row, "Name", "empty Name"))
            elif not re.fullmatch(r"#\d+", r["Name"]):
                errs.append((row, "Name", "bad Name"))
            elif r["Name"] in seen:
                errs.append((row, "Name", "order appears twice"))
            seen.add(r["Name"])
            orders.append((row, r, []))
            for c in ["Email", "Financial Status", "Fulfillment Status", "Accepts Marketing", "Currency",
                      "Subtotal", "Shipping", "Taxes", "Total", "Discount Amount", "Created at",
                      "Billing Name", "Billing Address1", "Billing City", "Billing Zip", "Billing Country",
                      "Shipping Name", "Shipping Address1", "Shipping City", "Shipping Zip",
                      "Shipping Country", "Id", "Refunded Amount"]:
                if r[c] == "":
                    errs.append((row, c, "missing order-level value"))
        else:
            first = orders[-1][1]
            for c in SHOPIFY_ORDER_COLS:
                if r[c] != "":
                    errs.append((row, c, "order-level value on a continuation row"))
            if r["Email"] != first["Email"]:
                errs.append((row, "Email", "differs from the order's first row"))
        prev_name = r["Name"]
        orders[-1][2].append((row, r))
        # field syntax
        if not re.fullmatch(r"[1-9]\d*", r["Lineitem quantity"]):
            errs.append((row, "Lineitem quantity", "not a whole number"))
        for c in ["Lineitem price", "Lineitem discount"]:
            if not MONEY_RE.match(r[c]):
                errs.append((row, c, "bad amount"))
        for c in ["Lineitem compare at price", "Subtotal", "Shipping", "Taxes", "Total",
                  "Discount Amount", "Refunded Amount", "Tax 1 Value", "Tax 2 Value"]:
            if r[c] and not MONEY_RE.match(r[c]):
                errs.append((row, c, "bad amount"))
        for c in ["Created at", "Paid at", "Fulfilled at", "Cancelled at"]:
            if r[c] and shopify_time(r[c]) is None:
                errs.append((row, c, "bad time"))
        for c in ["Lineitem requires shipping", "Lineitem taxable"]:
            if r[c] not in ("true", "false"):
                errs.append((row, c, "not true/false"))
        if r["Lineitem sku"] == "" or r["Lineitem name"] == "":
            errs.append((row, "Lineitem sku", "missing"))
        if not cont:
            if r["Accepts Marketing"] not in ("yes", "no"):
                errs.append((row, "Accepts Marketing", "not yes/no"))
            if r["Currency"] != "USD":
                errs.append((row, "Currency", "not USD"))
            if "@" not in r["Email"]:
                errs.append((row, "Email", "no @"))
            for c in ["Billing Zip", "Shipping Zip"]:
                if not re.fullmatch(r"'\d{5}(-\d{4})?", r[c]):
                    errs.append((row, c, "bad zip"))
            if r["Financial Status"] == "paid" and not r["Paid at"]:
                errs.append((row, "Paid at", "paid without Paid at"))
            if r["Fulfillment Status"] == "fulfilled" and not r["Fulfilled at"]:
                errs.append((row, "Fulfilled at", "fulfilled without Fulfilled at"))
    if errs:
        bad_rows = {e[0] for e in errs}
    else:
        bad_rows = set()
    # arithmetic, only for orders whose values all parsed
    for frow, first, rows in orders:
        if any(rw in bad_rows for rw, _ in rows):
            continue
        sub = sum((D(r["Lineitem quantity"]) * D(r["Lineitem price"]) for _, r in rows), D(0))
        disc = sum((D(r["Lineitem discount"]) for _, r in rows), D(0))
        taxes = sum((D(first[c]) for c in ("Tax 1 Value", "Tax 2 Value") if first[c]), D(0))
        if D(first["Subtotal"]) != sub:
            errs.append((frow, "Subtotal", f"{first['Subtotal']} != {sub}"))
        if D(first["Discount Amount"]) != disc:
            errs.append((frow, "Discount Amount", f"{first['Discount Amount']} != {disc}"))
        if D(first["Taxes"]) != taxes:
            errs.append((frow, "Taxes", f"{first['Taxes']} != {taxes}"))
        tot = D(first["Subtotal"]) + D(first["Shipping"]) + D(first["Taxes"]) - D(first["Discount Amount"])
        if D(first["Total"]) != tot:
            errs.append((frow, "Total", f"{first['Total']} != {tot}"))
    return errs


def amazon_time_ok(s):
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", s):
        return False
    try:
        datetime.fromisoformat(s)
        return True
    except ValueError:
        return False


def validate_amazon(text):
    lines = text.split("\n")
    assert lines[-1] == "", "file must end with a line end"
    lines = [l[:-1] if l.endswith("\r") else l for l in lines[:-1]]
    if lines[0].split("\t") != AMAZON_HEADER:
        return [(1, "", "header differs")]
    errs, first_of, item_ids = [], {}, set()
    for row, l in enumerate(lines[1:], 2):
        f = l.split("\t")
        if len(f) != len(AMAZON_HEADER):
            errs.append((row, "", f"{len(f)} fields"))
            continue
        r = dict(zip(AMAZON_HEADER, f))
        if not re.fullmatch(r"\d{3}-\d{7}-\d{7}", r["order-id"]):
            errs.append((row, "order-id", "bad order-id"))
        if not re.fullmatch(r"\d{14}", r["order-item-id"]) or r["order-item-id"] in item_ids:
            errs.append((row, "order-item-id", "bad or repeated order-item-id"))
        item_ids.add(r["order-item-id"])
        for c in ["purchase-date", "payments-date"]:
            if not amazon_time_ok(r[c]):
                errs.append((row, c, "bad time"))
        if not re.fullmatch(r"[1-9]\d*", r["quantity-purchased"]):
            errs.append((row, "quantity-purchased", "not a whole number"))
        for c in ["item-price", "item-tax", "shipping-price", "shipping-tax"]:
            if not MONEY_RE.match(r[c]):
                errs.append((row, c, "bad amount"))
        for c in ["buyer-email", "buyer-name", "sku", "product-name", "currency", "recipient-name",
                  "ship-address-1", "ship-city", "ship-state", "ship-postal-code", "ship-country",
                  "sales-channel"]:
            if r[c] == "":
                errs.append((row, c, "missing"))
        if r["order-id"] in first_of:
            prev = first_of[r["order-id"]]
            for c in AMAZON_ORDER_COLS:
                if r[c] != prev[c]:
                    errs.append((row, c, f"{r[c]!r} contradicts {prev[c]!r}"))
        else:
            first_of[r["order-id"]] = r
    return errs


def read_csv_module(data: bytes, encoding: str, delim: str):
    text = data.decode(encoding)
    if delim == "\t":
        rd = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
    else:
        rd = csv.reader(io.StringIO(text, newline=""), strict=True)
    return list(rd)


def check_file(path, encoding, kind, expect_bom=None, expect_crlf=False, expect_errors=None):
    data = open(path, "rb").read()
    if expect_bom is not None:
        assert data.startswith(expect_bom), path
    else:
        assert not data.startswith(b"\xef\xbb\xbf") and not data.startswith(b"\xff\xfe"), path
    text = data.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    if expect_crlf:
        assert text.count("\r\n") == text.count("\n") == text.count("\r"), path
    else:
        assert "\r" not in text, path
    validator = validate_shopify if kind == "shopify" else validate_amazon
    errs = validator(text)
    if expect_errors is None:
        assert errs == [], (path, errs)
        recs = read_csv_module(data, encoding, "," if kind == "shopify" else "\t")
        header = SHOPIFY_HEADER if kind == "shopify" else AMAZON_HEADER
        assert recs[0] == header and all(len(r) == len(header) for r in recs), path
        return recs
    assert [(e[0], e[1]) for e in errs] == [expect_errors], (path, errs)
    return None


def write(path, data: bytes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def main():
    summary = []

    # ---- samples
    sh = shopify_text(SAMPLE_SHOPIFY)
    write(os.path.join(SAMPLES, "shopify-orders.csv"), sh.encode("utf-8"))
    am = amazon_text(SAMPLE_AMAZON)
    write(os.path.join(SAMPLES, "amazon-orders.txt"), am.encode("utf-8"))

    # ---- valid fixtures
    cp = shopify_text(CP1252_SHOPIFY, eol="\r\n")
    write(os.path.join(VALID, "shopify-windows-1252.csv"), cp.encode("cp1252"))
    u16 = amazon_text(UTF16_AMAZON, eol="\r\n")
    write(os.path.join(VALID, "amazon-utf16le.txt"), b"\xff\xfe" + u16.encode("utf-16-le"))
    bom = shopify_text(BOM_SHOPIFY)
    write(os.path.join(VALID, "shopify-utf8-bom.csv"), b"\xef\xbb\xbf" + bom.encode("utf-8"))

    # ---- invalid fixtures
    invalid = {}
    for fname, fn in INVALID_FILES.items():
        good, bad, why, where = fn()
        assert why.endswith(f"(row {where[0]}, column {where[1]})") and "\n" not in why
        write(os.path.join(INVALID, fname), bad.encode("utf-8"))
        write(os.path.join(INVALID, fname + ".why"), (why + "\n").encode("utf-8"))
        invalid[fname] = (good, bad, where)

    write(os.path.join(FIX, "README.md"), README.encode("utf-8"))

    # ================================================================ checks
    p = lambda *a: os.path.join(*a)
    recs = check_file(p(SAMPLES, "shopify-orders.csv"), "utf-8", "shopify")
    raw = open(p(SAMPLES, "shopify-orders.csv"), "rb").read()
    assert raw.count(b"\n") == len(recs) + 1  # exactly one embedded newline (in #1003's Notes)
    ni = SHOPIFY_HEADER.index("Notes")
    notes = [r[ni] for r in recs[1:] if r[ni]]
    assert any("," in n and "\n" not in n for n in notes) and any("\n" in n for n in notes)
    assert b'"Leave at the side door, not the front porch."' in raw
    assert [r[0] for r in recs[1:]] == ["#1001", "#1002", "#1002", "#1002", "#1003", "#1003", "#1004", "#1004"]
    for o in SAMPLE_SHOPIFY:
        assert 1 <= len(o.lines) <= 3

    # continuation rows carry nothing order-level but Name and Email
    oi = [SHOPIFY_HEADER.index(c) for c in SHOPIFY_ORDER_COLS]
    for k, r in enumerate(recs[1:], 1):
        if k > 1 and r[0] == recs[k - 1][0]:
            assert all(r[i] == "" for i in oi)

    recs = check_file(p(SAMPLES, "amazon-orders.txt"), "utf-8", "amazon")
    assert [r[0] for r in recs[1:]] == ["113-4820917-3356204", "113-4820917-3356204",
                                        "114-0638251-7719036", "112-9574130-2048815"]
    oc = [AMAZON_HEADER.index(c) for c in AMAZON_ORDER_COLS]
    assert [recs[1][i] for i in oc] == [recs[2][i] for i in oc]
    # item-price is for the whole quantity
    for r in recs[1:]:
        unit = D(AMAZON_PRODUCTS[r[AMAZON_HEADER.index("sku")]][1])
        assert D(r[AMAZON_HEADER.index("item-price")]) == unit * int(r[AMAZON_HEADER.index("quantity-purchased")])

    cpb = open(p(VALID, "shopify-windows-1252.csv"), "rb").read()
    assert b"\xe9" in cpb and b"\x96" in cpb and max(cpb) >= 0x80
    try:
        cpb.decode("utf-8")
        raise AssertionError("cp1252 fixture decodes as UTF-8")
    except UnicodeDecodeError:
        pass
    check_file(p(VALID, "shopify-windows-1252.csv"), "cp1252", "shopify", expect_crlf=True)
    u16b = open(p(VALID, "amazon-utf16le.txt"), "rb").read()
    assert "\u00fc".encode("utf-16-le") in u16b
    check_file(p(VALID, "amazon-utf16le.txt"), "utf-16", "amazon", expect_bom=b"\xff\xfe", expect_crlf=True)
    check_file(p(VALID, "shopify-utf8-bom.csv"), "utf-8-sig", "shopify", expect_bom=b"\xef\xbb\xbf")
    assert "\u0141" in open(p(VALID, "shopify-utf8-bom.csv"), encoding="utf-8-sig").read()

    for fname, (good, bad, where) in invalid.items():
        kind = "shopify" if fname.startswith("shopify") else "amazon"
        validator = validate_shopify if kind == "shopify" else validate_amazon
        if kind == "shopify":  # row number == line number
            assert "\n" not in "".join(f for _, rec in scan_csv(good) for f in rec), fname
        assert validator(good) == [], (fname, validator(good))
        check_file(p(INVALID, fname), "utf-8", kind, expect_errors=where)
        why = open(p(INVALID, fname + ".why"), encoding="utf-8").read()
        assert why.count("\n") == 1 and why.rstrip("\n").endswith(f"(row {where[0]}, column {where[1]})")
        if fname == "shopify-unterminated-quote.csv":
            assert len(good) == len(bad) + 1
            try:
                read_csv_module(bad.encode(), "utf-8", ",")
                raise AssertionError("csv module accepted the unterminated quote")
            except csv.Error:
                pass
            # everything before the broken record reads fine
            head = "".join(bad.splitlines(keepends=True)[:where[0] - 1])
            assert validate_shopify(head) == []
        else:
            d = "," if kind == "shopify" else "\t"
            g = read_csv_module(good.encode(), "utf-8", d)
            b = read_csv_module(bad.encode(), "utf-8", d)
            diffs = [(ri + 1, SHOPIFY_HEADER[ci] if kind == "shopify" else AMAZON_HEADER[ci])
                     for ri, (gr, br) in enumerate(zip(g, b)) for ci, (gv, bv) in enumerate(zip(gr, br))
                     if gv != bv]
            assert len(g) == len(b) and diffs == [where], (fname, diffs)

    # ---- summary for people writing tests
    def shopify_summary(label, orders, path, enc):
        data = open(path, "rb").read().decode(enc)
        nrows = sum(len(o.lines) for o in orders)
        summary.append(f"{label}: {data.count(chr(10))} lines, {nrows + 1} records")
        for o in orders:
            t = o.totals()
            skus = ", ".join(f"{l['sku']} x{l['qty']}" for l in o.lines)
            summary.append(f"  {o.name} rows={len(o.lines)} [{skus}] subtotal={money(t['subtotal'])} "
                           f"shipping={money(o.shipping)} taxes={money(t['taxes'])} "
                           f"discount={money(t['discount'])} total={money(t['total'])}")

    def amazon_summary(label, orders, path, enc):
        data = open(path, "rb").read().decode(enc)
        nrows = sum(len(o.items) for o in orders)
        summary.append(f"{label}: {data.count(chr(10))} lines, {nrows + 1} records")
        for o in orders:
            items = ", ".join(f"{r['sku']} x{r['quantity-purchased']} @{r['item-price']}+{r['item-tax']}"
                              f" ship {r['shipping-price']}+{r['shipping-tax']}" for r in o.item_rows())
            summary.append(f"  {o.oid} rows={len(o.items)} [{items}] sum={money(o.total())}")

    shopify_summary("samples/feeds/shopify-orders.csv", SAMPLE_SHOPIFY, p(SAMPLES, "shopify-orders.csv"), "utf-8")
    amazon_summary("samples/feeds/amazon-orders.txt", SAMPLE_AMAZON, p(SAMPLES, "amazon-orders.txt"), "utf-8")
    shopify_summary("valid/shopify-windows-1252.csv", CP1252_SHOPIFY, p(VALID, "shopify-windows-1252.csv"), "cp1252")
    amazon_summary("valid/amazon-utf16le.txt", UTF16_AMAZON, p(VALID, "amazon-utf16le.txt"), "utf-16")
    shopify_summary("valid/shopify-utf8-bom.csv", BOM_SHOPIFY, p(VALID, "shopify-utf8-bom.csv"), "utf-8-sig")
    shopify_summary("invalid base #1101/#1102/#1103", [INV_1101, INV_1102, INV_1103],
                    p(INVALID, "shopify-bad-quantity.csv"), "utf-8")
    for fname, (_, bad, where) in invalid.items():
        summary.append(f"invalid/{fname}: {bad.count(chr(10))} lines, problem at row {where[0]}, column {where[1]}")
    print("\n".join(summary))
    print("all feed files written and checked")


if __name__ == "__main__":
    main()
