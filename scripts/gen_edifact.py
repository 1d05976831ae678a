#!/usr/bin/env python3
"""Deterministic generator for tallyman's UN/EDIFACT samples and test fixtures.

Same business story as the X12 files (scripts/gen_x12.py): purchase order 4500012345 from Acme Retail
Group to Northwind Supply Co, then Northwind's despatch advice and invoice. Here the two companies
trade in EUR from (invented) German sites, so the invoice carries 19 % VAT.

All companies, addresses, people, VAT numbers, article numbers and document numbers are invented.
GLNs, GTINs and SSCCs are built on the GS1 documentation example company prefix 0614141 and carry
correct GS1 mod-10 check digits. Nothing here is copied from public sample files.

The second half of this file is an independent checker: it re-reads every written file from disk,
tokenizes it (UNA, release character, repetition separator, character sets), checks envelopes
(UNT/UNZ/UNE counts and references), check digits, code values, numbers and amounts, and asserts
that every valid file is clean and every invalid file shows exactly the one problem its .why names.

Usage: python3 scripts/gen_edifact.py /work/main     (stdlib only, Python 3.11)
"""
import datetime
import os
import re
import shutil
import sys
from decimal import Decimal as D

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/work/main"
SAMPLES = os.path.join(ROOT, "samples/edifact")
FIXTURES = os.path.join(ROOT, "tests/fixtures/edifact")
VALID = os.path.join(FIXTURES, "valid")
INVALID = os.path.join(FIXTURES, "invalid")


# --------------------------------------------------------------------------- GS1
def gs1_check(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def with_check(body: str) -> str:
    return body + gs1_check(body)


GS1_PREFIX = "0614141"  # GS1's own example company prefix (documentation use)


def gln(location_ref: str) -> str:
    """13-digit GLN: company prefix + 5-digit location reference + check digit."""
    assert len(location_ref) == 5
    return with_check(GS1_PREFIX + location_ref)


def sscc(ext: str, serial: str) -> str:
    """SSCC-18: extension digit + company prefix + 9-digit serial reference + check digit."""
    body = ext + GS1_PREFIX + serial
    assert len(body) == 17, body
    return with_check(body)


# --------------------------------------------------------------------------- data
class Item:
    def __init__(self, ref, sa, desc, price, indicator=None):
        body12 = GS1_PREFIX + ref
        # GTIN-13 on the example prefix (= the X12 files' EAN-13); a case-level item gets a GTIN-14
        self.gtin = with_check(indicator + body12) if indicator else with_check(body12)
        self.sa = sa          # supplier's (Northwind's) article number, PIA ...:SA (= X12 VN)
        self.desc = desc
        self.price = D(price)


MUG = Item("00125", "NW-TM16-SS", "STAINLESS TRAVEL MUG 16 OZ", "12.50")
BOARD = Item("00342", "NW-CB3-BAM", "BAMBOO CUTTING BOARD SET S+M+L", "27.95")
CANDLE = Item("00517", "NW-BWC12", "BEESWAX PILLAR CANDLE CASE OF 12", "41.40", indicator="1")
SKILLET = Item("00608", "NW-CI10-SK", "CAST IRON SKILLET 10 IN", "18.75")
KETTLE = Item("00731", "NW-KT17-GL", "GLASS ELECTRIC KETTLE 1.7 L", "34.20")
TOWEL = Item("00856", "NW-DT6-LIN", "LINEN DISH TOWEL PACK OF 6", "9.80")
UMBRELLA = Item("00904", "NW-PU9-TL", "PATIO UMBRELLA 9'", "64.00")
TEALIGHT = Item("00963", "NW-TL10-BW", "BEESWAX TEALIGHT", "1.25")


class Party:
    def __init__(self, name, loc, street=None, city=None, postcode=None, country="DE", vat=None):
        self.name, self.gln, self.street, self.city = name, gln(loc), street, city
        self.postcode, self.country, self.vat = postcode, country, vat


ACME = Party("ACME RETAIL GROUP", "10042", "HARBOR POINT 12", "NORDHAVEN", "20999", vat="DE999990042")
ACME_DC = Party("ACME RETAIL DC 7", "10007", "LOGISTIKPARK 88", "GROVENSTADT", "46299")
ACME_AP = Party("ACME RETAIL GROUP ACCOUNTS PAYABLE", "10099", "POSTFACH 4410", "NORDHAVEN", "20998",
                vat="DE999990042")
NORTHWIND = Party("NORTHWIND SUPPLY CO", "20001", "FOUNDRY LANE 455", "KETTLEBACH", "57399", vat="DE999990071")
BLUEBIRD = Party("BLUEBIRD HARDWARE", "30014", "ORCHARD VALLEY 22", "PINEHOLM", "79999")
BLUEBIRD_STORE = Party("BLUEBIRD HARDWARE STORE 14", "30140", "ORCHARD VALLEY 22", "PINEHOLM", "79999")

ORDERS_96A = ("ORDERS", "D", "96A", "UN", "EAN008")
ORDERS_01B = ("ORDERS", "D", "01B", "UN", "EAN010")
DESADV_96A = ("DESADV", "D", "96A", "UN", "EAN005")
INVOIC_96A = ("INVOIC", "D", "96A", "UN", "EAN008")
APERAK_96A = ("APERAK", "D", "96A", "UN")
CONTRL_3 = ("CONTRL", "D", "3", "UN")

VAT_RATE = D("19")
CENT = D("0.01")


# --------------------------------------------------------------------------- rendering
class Raw(str):
    """A value written exactly as given (no release escaping) - used to build broken fixtures."""


class Rep(list):
    """Repeated data element (syntax 4 repetition separator)."""


class Syn:
    """Service characters: UNA order is component, element, decimal, release, repetition/reserved, terminator."""

    def __init__(self, comp=":", elem="+", dec=".", rel="?", rep=" ", term="'"):
        self.comp, self.elem, self.dec, self.rel, self.rep, self.term = comp, elem, dec, rel, rep, term

    def una(self):
        return "UNA" + self.comp + self.elem + self.dec + self.rel + self.rep + self.term

    def esc(self, s):
        special = {self.comp, self.elem, self.rel, self.term}
        if self.rep != " ":
            special.add(self.rep)
        return "".join(self.rel + ch if ch in special else ch for ch in s)


STD = Syn()


def value_text(v, syn):
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, D):
        return str(v).replace(".", syn.dec)
    if isinstance(v, int):
        return str(v)
    return syn.esc(v)


def element_text(e, syn):
    if isinstance(e, Rep):
        return syn.rep.join(element_text(x, syn) for x in e)
    if isinstance(e, tuple):
        parts = [value_text(c, syn) for c in e]
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        return syn.comp.join(parts)
    return value_text(e, syn)


def seg_text(s, syn):
    if s[0] == "UNA":
        return syn.una()
    parts = [s[0]] + [element_text(e, syn) for e in s[1:]]
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return syn.elem.join(parts) + syn.term


def render(segs, syn=STD, after="\n", indent=None):
    return "".join((indent(s) if indent else "") + seg_text(s, syn) + after for s in segs)


# --------------------------------------------------------------------------- envelope
def message(ref, s009, body):
    return [["UNH", ref, s009]] + body + [["UNT", len(body) + 2, ref]]


def interchange(sender, recipient, date, time, ref, parts, syntax=("UNOC", "3"), una=True,
                app_ref=None, ack=None):
    """parts: list of message segment lists, or of ("group", UNG-tuple, [messages]).
    date is CCYYMMDD; syntax version 3 writes YYMMDD in UNB/UNG."""
    d = date if int(syntax[1]) >= 4 else date[2:]
    unb = ["UNB", syntax, (sender, "14"), (recipient, "14"), (d, time), ref]
    extra = ["", app_ref or "", "", ack or ""]
    while extra and extra[-1] == "":
        extra.pop()
    segs = ([["UNA"]] if una else []) + [unb + extra]
    count = 0
    for p in parts:
        if p[0] == "group":
            _, (name, gref, version), msgs = p
            segs.append(["UNG", name, (sender, "14"), (recipient, "14"), (d, time), gref, "UN", version])
            for m in msgs:
                segs += m
            segs.append(["UNE", len(msgs), gref])
        else:
            segs += p
        count += 1
    segs.append(["UNZ", count, ref])
    return segs


def nad(code, p, address=True, vat=False):
    s = ["NAD", code, (p.gln, "", "9")]
    if address:
        s += ["", p.name, p.street, p.city, "", p.postcode, p.country]
    out = [s]
    if vat:
        out.append(["RFF", ("VA", p.vat)])
    return out


def dtm(q, d, fmt="102"):
    return ["DTM", (q, d, fmt)]


def money(d):
    return d.quantize(CENT)


# --------------------------------------------------------------------------- samples
PO = "4500012345"
PO_DATE = "20240311"
DELIVERY = "20240325"
DESPATCH_DATE = "20240318"
DESADV_NO = "DES0098765"
INVOICE_NO = "INV-240321-01"
INVOICE_DATE = "20240321"
DELIVERED = "20240320"
ORDER_LINES = [(MUG, 24), (BOARD, 10), (CANDLE, 6), (SKILLET, 12)]
PALLET = sscc("1", "000004470")
CARTON1 = sscc("0", "000004471")
CARTON2 = sscc("0", "000004472")


def item_lines(lines, qty_q, with_imd=True, with_pia=True, price_q="AAA", start=1):
    out = []
    for n, (item, qty) in enumerate(lines, start):
        out.append(["LIN", n, "", (item.gtin, "SRV")])
        if with_pia:
            out.append(["PIA", "1", (item.sa, "SA")])
        if with_imd:
            out.append(["IMD", "F", "", ("", "", "", item.desc)])
        out.append(["QTY", (qty_q, qty)])
        if price_q:
            out.append(["PRI", (price_q, item.price)])
    return out


def orders_sample():
    body = [
        ["BGM", "220", PO, "9"],
        dtm("137", PO_DATE),
        dtm("2", DELIVERY),
        ["FTX", "DEL", "", "", ("DELIVER TO DOCK 12 BETWEEN 06.00 AND 14.00",)],
        ["RFF", ("CT", "NW-2024-ACME-01")],
    ]
    body += nad("BY", ACME) + nad("SU", NORTHWIND) + nad("DP", ACME_DC)
    body += [["CUX", ("2", "EUR", "9")],
             ["ALC", "A", "", "", "1", ("DI", "", "", "VOLUME DISCOUNT")],
             ["MOA", ("204", money(D("25")))]]
    body += item_lines(ORDER_LINES, "21")
    body += [["UNS", "S"], ["CNT", ("2", len(ORDER_LINES))]]
    return interchange(ACME.gln, NORTHWIND.gln, PO_DATE, "0915", "4201",
                       [message("1", ORDERS_96A, body)], app_ref="ORDERS", ack="1")


def desadv_sample():
    body = [
        ["BGM", "351", DESADV_NO, "9"],
        dtm("137", DESPATCH_DATE),
        dtm("11", DESPATCH_DATE),
        ["RFF", ("ON", PO)],
        dtm("171", PO_DATE),
    ]
    body += nad("SU", NORTHWIND, address=False) + nad("DP", ACME_DC, address=False)
    body += [["CPS", "1"], ["PAC", "1", "", "201"],
             ["CPS", "2", "1"], ["PAC", "1", "", "201"], ["PCI", "33E"], ["GIN", "BJ", PALLET],
             ["CPS", "3", "2"], ["PAC", "1", "", "CT"], ["PCI", "33E"], ["GIN", "BJ", CARTON1]]
    body += item_lines(ORDER_LINES[:2], "12", with_imd=False, price_q=None)
    body += [["CPS", "4", "2"], ["PAC", "1", "", "CT"], ["PCI", "33E"], ["GIN", "BJ", CARTON2]]
    body += item_lines(ORDER_LINES[2:], "12", with_imd=False, price_q=None, start=3)
    body += [["CNT", ("2", len(ORDER_LINES))]]
    return interchange(NORTHWIND.gln, ACME.gln, DESPATCH_DATE, "1432", "318",
                       [message("1", DESADV_96A, body)], app_ref="DESADV")


def invoic_body(number, date, delivered, po, po_date, lines, line_allowances=None, header_alc=(),
                parties=None, terms=True, refs=()):
    """lines: [(item, qty)]; line_allowances: {line_no: (per_unit_amount, description)};
    header_alc: [(A|C, code, description, amount)]. Returns (body, totals)."""
    line_allowances = line_allowances or {}
    body = [["BGM", "380", number, "9"], dtm("137", date), dtm("35", delivered),
            ["RFF", ("ON", po)], dtm("171", po_date)]
    for q, v in refs:
        body.append(["RFF", (q, v)])
    if parties is None:
        parties = nad("SU", NORTHWIND, vat=True) + nad("BY", ACME, vat=True) + nad("IV", ACME_AP, vat=True)
    body += parties
    body.append(["CUX", ("2", "EUR", "4")])
    if terms:
        body += [["PAT", "1", "", ("5", "3", "D", "30")],
                 ["PAT", "22", "", ("5", "3", "D", "10")],
                 ["PCD", ("12", D("2"))]]
    hdr = D(0)
    for ac, code, desc, amount in header_alc:
        body.append(["ALC", ac, "", "", "1", (code, "", "", desc)])
        body.append(["MOA", ("204" if ac == "A" else "23", money(amount))])
        hdr += amount if ac == "C" else -amount
    total_lines = D(0)
    for n, (item, qty) in enumerate(lines, 1):
        allowance = line_allowances.get(n)
        net = item.price - (allowance[0] if allowance else 0)
        amount = money(net * qty)
        assert amount == net * qty
        total_lines += amount
        body += [["LIN", n, "", (item.gtin, "SRV")],
                 ["PIA", "1", (item.sa, "SA")],
                 ["IMD", "F", "", ("", "", "", item.desc)],
                 ["QTY", ("47", qty)],
                 ["MOA", ("203", amount)],
                 ["PRI", ("AAA", net)]]
        if allowance:
            body.append(["PRI", ("AAB", item.price)])
        body.append(["TAX", "7", "VAT", "", "", ("", "", "", VAT_RATE), "S"])
        if allowance:
            body += [["ALC", "A", "", "", "1", ("DI", "", "", allowance[1])],
                     ["MOA", ("204", money(allowance[0] * qty))]]
    taxable = total_lines + hdr
    tax = taxable * VAT_RATE / 100
    assert tax == money(tax), ("VAT must come out in whole cents", taxable, tax)
    tax = money(tax)
    total = taxable + tax
    body += [["UNS", "S"], ["CNT", ("2", len(lines))],
             ["MOA", ("79", money(total_lines))],
             ["MOA", ("125", money(taxable))],
             ["MOA", ("124", tax)],
             ["MOA", ("77", money(total))],
             ["TAX", "7", "VAT", "", "", ("", "", "", VAT_RATE), "S"],
             ["MOA", ("125", money(taxable))],
             ["MOA", ("124", tax)]]
    return body, dict(lines=total_lines, taxable=taxable, tax=tax, total=total)


def invoic_sample():
    body, totals = invoic_body(
        INVOICE_NO, INVOICE_DATE, DELIVERED, PO, PO_DATE, ORDER_LINES,
        line_allowances={3: (D("0.15"), "DAMAGED PACKAGING")},
        header_alc=[("A", "DI", "VOLUME DISCOUNT", D("25")), ("C", "FC", "FREIGHT", D("45"))],
        refs=[("AAK", DESADV_NO)])
    segs = interchange(NORTHWIND.gln, ACME.gln, INVOICE_DATE, "0800", "321",
                       [message("1", INVOIC_96A, body)], app_ref="INVOIC")
    return segs, totals


D01B_LINES = [(KETTLE, 8), (TOWEL, 30), (MUG, 48)]


def orders_d01b_sample():
    body = [["BGM", "220", "4500012388", "9"], dtm("137", "20240402"), dtm("2", "20240416"),
            ["RFF", ("CT", "NW-2024-ACME-01")]]
    body += nad("BY", ACME) + nad("SU", NORTHWIND) + nad("DP", ACME_DC)
    body.append(["CUX", ("2", "EUR", "9")])
    body += item_lines(D01B_LINES, "21")
    total = sum(it.price * q for it, q in D01B_LINES)
    body += [["UNS", "S"], ["MOA", ("79", money(total))], ["CNT", ("2", len(D01B_LINES))]]
    return interchange(ACME.gln, NORTHWIND.gln, "20240402", "1107", "4388",
                       [message("1", ORDERS_01B, body)], app_ref="ORDERS")


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


SAMPLE_DESC = {}


def samples():
    s = lambda n: os.path.join(SAMPLES, n)
    write(s("orders-d96a.edi"), render(orders_sample()))
    SAMPLE_DESC["orders-d96a.edi"] = (
        "EANCOM ORDERS D96A (EAN008), PO 4500012345 from Acme Retail Group to Northwind Supply Co: "
        "BY/SU/DP with GLNs and addresses, header volume-discount ALC with MOA 204, 4 lines "
        "(LIN GTIN:SRV, one GTIN-14 for a case, PIA SA, IMD, QTY 21, PRI AAA); line 2's description "
        "is `BAMBOO CUTTING BOARD SET S?+M?+L` (decodes to `S+M+L`); UNB asks for a CONTRL (0031 = 1)")
    write(s("desadv-d96a.edi"), render(desadv_sample()))
    SAMPLE_DESC["desadv-d96a.edi"] = (
        "EANCOM DESADV D96A (EAN005) DES0098765 for the same order: CPS 1 consignment, CPS 2 pallet "
        "(SSCC %s), CPS 3 and 4 cartons under it (SSCC %s, %s) holding lines 1-2 and 3-4; "
        "quantities equal the order" % (PALLET, CARTON1, CARTON2))
    segs, t = invoic_sample()
    write(s("invoic-d96a.edi"), render(segs))
    SAMPLE_DESC["invoic-d96a.edi"] = (
        "EANCOM INVOIC D96A (EAN008) %s for the same order: SU/BY/IV with VAT numbers, PAT net 30 and "
        "2 %% within 10 days, header allowance 25.00 and freight charge 45.00, line 3 net of a 0.15/unit "
        "allowance (PRI AAA 41.25, AAB 41.40); MOA 79 %s, MOA 125 %s = 79 - 25.00 + 45.00, "
        "MOA 124 %s = 19 %% exactly, MOA 77 %s" % (INVOICE_NO, t["lines"], t["taxable"], t["tax"], t["total"]))
    write(s("orders-d01b.edi"), render(orders_d01b_sample(), Syn(dec=",")))
    SAMPLE_DESC["orders-d01b.edi"] = (
        "EANCOM ORDERS D01B (EAN010), PO 4500012388, with `UNA:+,? '`: decimal comma in prices "
        "(`34,20`) and the MOA 79 total (`1167,60`)")


# --------------------------------------------------------------------------- small messages for fixtures
def small_orders(po, date="20240408", lines=None, dp=ACME_DC, ftx=None, extra=(), s009=ORDERS_96A,
                 total=False, dp_name=None, descs=None):
    lines = lines or [(MUG, 12), (KETTLE, 4)]
    deliver = (datetime.date(int(date[:4]), int(date[4:6]), int(date[6:])) + datetime.timedelta(days=14))
    body = [["BGM", "220", po, "9"], dtm("137", date), dtm("2", deliver.strftime("%Y%m%d"))]
    if ftx:
        body.append(ftx)
    body += list(extra)
    body += [["NAD", "BY", (ACME.gln, "", "9")], ["NAD", "SU", (NORTHWIND.gln, "", "9")]]
    if dp_name:
        body.append(["NAD", "DP", (dp.gln, "", "9"), "", dp_name])
    else:
        body.append(["NAD", "DP", (dp.gln, "", "9")])
    for n, (item, qty) in enumerate(lines, 1):
        desc = (descs or {}).get(n, item.desc)
        body += [["LIN", n, "", (item.gtin, "SRV")],
                 ["IMD", "F", "", ("", "", "", desc)],
                 ["QTY", ("21", qty)],
                 ["PRI", ("AAA", item.price)]]
    body.append(["UNS", "S"])
    if total:
        body.append(["MOA", ("79", money(sum(it.price * q for it, q in lines)))])
    body.append(["CNT", ("2", len(lines))])
    return body


def small_ic(ctrl, po, date="20240408", time="1015", sender=ACME, receiver=NORTHWIND, syntax=("UNOC", "3"),
             una=True, ref="1", **kw):
    return interchange(sender.gln, receiver.gln, date, time, ctrl,
                       [message(ref, kw.pop("s009", ORDERS_96A), small_orders(po, date, **kw))],
                       syntax=syntax, una=una)


def small_invoic(number, po, lines):
    parties = nad("SU", NORTHWIND, address=False, vat=True) + nad("BY", ACME, address=False, vat=True)
    body, _ = invoic_body(number, "20240409", "20240408", po, "20240402", lines, parties=parties, terms=False)
    return body


VALID_DESC = {}
DECODE_EXPECT = {}   # file -> [(segment index, element, component, expected decoded text)]


def valid():
    v = lambda n: os.path.join(VALID, n)

    def put(name, text, desc, enc="utf-8", prefix=b""):
        write(v(name), prefix + text.encode(enc))
        VALID_DESC[name] = desc

    segs = small_ic("7101", "4500012701", una=False)
    put("no-una.edi", render(segs),
        "no UNA: the file starts with `UNB+UNOC:3`, default service characters `:+.? '` apply; "
        "segment 0 is the UNB")

    syn = Syn(comp="^", elem="|", dec=".", rel="\\", rep=" ", term="~")
    ftx = ["FTX", "DEL", "", "", ("QUESTIONS? CALL 555-0142: ASK FOR DANA",)]
    segs = small_ic("7102", "4500012702", ftx=ftx, lines=[(SKILLET, 6), (TOWEL, 20)],
                    descs={1: "CHEF'S SKILLET 10 IN + LID", 2: "DISH TOWEL RED|WHITE PACK OF 6"})
    put("custom-separators.edi", render(segs, syn),
        "`UNA^|.\\ ~`: component `^`, element `|`, release `\\`, terminator `~` (LF after each). "
        "`'`, `+`, `:` and `?` are ordinary characters here and appear unescaped in the FTX and IMD texts; "
        "one IMD escapes the element separator with the custom release character: `RED\\|WHITE`")
    i = [k for k, s in enumerate(segs) if s[0] == "IMD"]
    j = [k for k, s in enumerate(segs) if s[0] == "FTX"][0]
    DECODE_EXPECT["custom-separators.edi"] = [
        (i[0], 3, 3, "CHEF'S SKILLET 10 IN + LID"), (i[1], 3, 3, "DISH TOWEL RED|WHITE PACK OF 6"),
        (j, 4, 0, "QUESTIONS? CALL 555-0142: ASK FOR DANA")]

    ftx = ["FTX", "DEL", "", "", ("NORTHWIND'S DOCK 12+13", "CALL 555:0142 FIRST", "ASK FOR 'DANA'",
                                  "QUESTIONS?")]
    segs = small_ic("7103", "4500012703", ftx=ftx, lines=[(UMBRELLA, 2), (MUG, 12)])
    put("release-escapes.edi", render(segs),
        "release character everywhere it can be: FTX `NORTHWIND?'S DOCK 12?+13:CALL 555?:0142 FIRST:"
        "ASK FOR ?'DANA?':QUESTIONS??'` decodes to four components `NORTHWIND'S DOCK 12+13` / "
        "`CALL 555:0142 FIRST` / `ASK FOR 'DANA'` / `QUESTIONS?` (`?'` mid-value and before a `:`, `?+`, "
        "`?:`, `??` right before the terminator); IMD `PATIO UMBRELLA 9?''` ends a value and the segment "
        "with an escaped terminator")
    j = [k for k, s in enumerate(segs) if s[0] == "FTX"][0]
    i = [k for k, s in enumerate(segs) if s[0] == "IMD"][0]
    DECODE_EXPECT["release-escapes.edi"] = [
        (j, 4, 0, "NORTHWIND'S DOCK 12+13"), (j, 4, 1, "CALL 555:0142 FIRST"), (j, 4, 2, "ASK FOR 'DANA'"),
        (j, 4, 3, "QUESTIONS?"), (i, 3, 3, "PATIO UMBRELLA 9'")]

    segs = small_ic("7104", "4500012704", lines=[(TEALIGHT, 40), (MUG, 12)], total=True)
    put("decimal-comma.edi", render(segs, Syn(dec=",")),
        "`UNA:+,? '`: decimal comma; PRI `AAA:1,25` and `AAA:12,50`, summary `MOA+79:200,00` "
        "(40 x 1,25 + 12 x 12,50)")

    # the repetition separator is declared but never used as one (C506 does not repeat; the repeated form
    # is invalid/repetition-not-allowed.edi); a literal * in the contract number must be released
    segs = small_ic("7105", "4500012705", syntax=("UNOC", "4"), s009=ORDERS_01B,
                    extra=[["RFF", ("CT", "NW*2024-ACME-01")]])
    put("syntax4-repetition.edi", render(segs, Syn(rep="*")),
        "syntax version 4 (`UNOC:4`, UNB date CCYYMMDD) with `UNA:+.?*'`: the repetition separator `*` is "
        "declared but never used as a separator (no element repeats); the contract number in "
        "`RFF+CT:NW?*2024-ACME-01` holds a literal asterisk escaped with the release character (decodes to "
        "`NW*2024-ACME-01`), so in syntax 4 `*` is a service character that must be escaped in data. The "
        "repeated form is `invalid/repetition-not-allowed.edi`")
    DECODE_EXPECT["syntax4-repetition.edi"] = [(find(segs, "RFF"), 1, 1, "NW*2024-ACME-01")]

    inv1 = small_invoic("INV-240409-01", "4500012706", [(MUG, 12)])
    inv2 = small_invoic("INV-240409-02", "4500012707", [(KETTLE, 5)])
    segs = interchange(NORTHWIND.gln, ACME.gln, "20240409", "0830", "7106",
                       [("group", ("INVOIC", "71", ("D", "96A", "EAN008")),
                         [message("1", INVOIC_96A, inv1), message("2", INVOIC_96A, inv2)])])
    put("ung-group.edi", render(segs),
        "UNG/UNE functional group (`UNG+INVOIC`, group reference 71) holding two INVOICs "
        "(12 x 12.50 = 150.00 + 19 % = 178.50; 5 x 34.20 = 171.00 + 19 % = 203.49); UNE+2+71, "
        "UNZ+1 counts the group, not the messages")

    a = small_ic("7108", "4500012708")
    b = small_ic("781", "BB-20240408-07", sender=BLUEBIRD, time="1122", dp=BLUEBIRD_STORE,
                 lines=[(SKILLET, 6), (CANDLE, 2)])
    syn_b = Syn(comp=">", elem="*", dec=",", rel="?", rep=" ", term="!")
    put("multi-interchange.edi", render(a) + render(b, syn_b),
        "two interchanges back to back: Acme with `UNA:+.? '`, then Bluebird Hardware with its own "
        "`UNA>*,? !` (component `>`, element `*`, decimal comma, terminator `!`). Service characters must "
        "be re-read at the second UNA; segment indices continue (the second UNA is segment %d)" % len(a))

    segs = small_ic("7109", "4500012709")
    segs = [segs[0]] + segs[2:-1]
    put("no-unb.edi", render(segs),
        "UNA followed by a bare UNH..UNT message, no UNB/UNZ envelope")

    segs = small_ic("7110", "4500012710", lines=[(MUG, 12), (BOARD, 6), (TOWEL, 20)],
                    descs={2: "BAMBOO CUTTING BOARD SET OF 3"})
    flat = render(segs, after="")
    assert "?" not in flat[9:], "no release characters in the wrapped file: a break must not split an escape"
    put("wrapped.edi", "\n".join(flat[k:k + 70] for k in range(0, len(flat), 70)) + "\n",
        "the interchange as one stream hard-wrapped at 70 columns with LF; breaks fall inside segments "
        "(and inside values), so CR/LF must be ignored when the terminator is not a newline")

    segs = small_ic("7111", "4500012711")

    def indent(s):
        return {"UNA": "", "UNB": "", "UNZ": "", "UNH": "  ", "UNT": "  ",
                "IMD": "      ", "QTY": "      ", "PRI": "      "}.get(s[0], "    ")
    put("crlf-indented.edi", render(segs, after="\r\n", indent=indent),
        "CR LF after every terminator and spaces before segment tags (2 for UNH/UNT, 4 for the body, 6 for "
        "the IMD/QTY/PRI under each LIN); leading whitespace before a tag must be ignored")

    name = "Acme Retail Caf\u00e9 7"
    segs = small_ic("7112", "4500012712", syntax=("UNOW", "4"), dp_name=name)
    put("bom.edi", render(segs),
        "UTF-8 byte order mark (EF BB BF) before `UNA`, `UNOW:4` (UTF-8, syntax 4, UNB date CCYYMMDD), "
        "NAD+DP name `Acme Retail Caf\u00e9 7` with \u00e9 as C3 A9", prefix=b"\xef\xbb\xbf")
    DECODE_EXPECT["bom.edi"] = [([k for k, s in enumerate(segs) if s[:2] == ["NAD", "DP"]][0], 4, 0, name)]

    segs = small_ic("7113", "4500012713", dp_name=name)
    put("latin1-unoc.edi", render(segs),
        "`UNOC:3` (ISO 8859-1) and the file bytes are Latin-1: NAD+DP name `Acme Retail Caf\u00e9 7` with "
        "\u00e9 as the single byte E9 (not valid UTF-8: decode by the declared syntax identifier)", enc="latin-1")
    DECODE_EXPECT["latin1-unoc.edi"] = [([k for k, s in enumerate(segs) if s[:2] == ["NAD", "DP"]][0], 4, 0, name)]

    ack = [["UCI", "4201", (ACME.gln, "14"), (NORTHWIND.gln, "14"), "7"],
           ["UCM", "1", ORDERS_96A, "7"]]
    segs = interchange(NORTHWIND.gln, ACME.gln, "20240311", "0931", "5301", [message("1", CONTRL_3, ack)])
    put("contrl.edi", render(segs),
        "CONTRL D:3 from Northwind acknowledging Acme's interchange 4201 (`samples/edifact/orders-d96a.edi`, "
        "which asks for it): UCI copies 0020/S002/S003 with action 7 (acknowledged), UCM message 1 "
        "ORDERS:D:96A:UN:EAN008 action 7")

    body = [["BGM", ("12E", "", "9"), "APK-240322-01", "27"],
            dtm("137", "20240322"),
            ["RFF", ("IV", "INV-240322-04")], dtm("171", "20240322"),
            ["NAD", "MS", (ACME.gln, "", "9")], ["NAD", "MR", (NORTHWIND.gln, "", "9")],
            ["ERC", ("12",)], ["FTX", "AAO", "", "", ("ORDER NUMBER 4500012399 IS UNKNOWN",)],
            ["RFF", ("ON", "4500012399")]]
    segs = interchange(ACME.gln, NORTHWIND.gln, "20240322", "1005", "4522", [message("1", APERAK_96A, body)])
    put("aperak.edi", render(segs),
        "APERAK D96A from Acme rejecting (BGM 12E::9, function 27 not accepted) Northwind's invoice "
        "INV-240322-04: NAD MS/MR, ERC 12 with FTX AAO text and RFF ON pointing at the unknown order number")


# --------------------------------------------------------------------------- invalid fixtures
def find(segs, tag, nth=0):
    k = 0
    for i, s in enumerate(segs):
        if s[0] == tag:
            if k == nth:
                return i
            k += 1
    raise KeyError(tag)


def fix_unt(segs):
    """Recount every UNT after an edit."""
    start = None
    for i, s in enumerate(segs):
        if s[0] == "UNH":
            start = i
        elif s[0] == "UNT" and start is not None:
            s[1] = i - start + 1
            start = None
    return segs


INVALID_RES = {}


def invalid():
    def emit(name, segs, why, idx, tag, data=None):
        path = os.path.join(INVALID, name)
        write(path, data if data is not None else render(segs))
        write(path + ".why", "%s (segment %d, %s)\n" % (why, idx, tag))
        INVALID_RES[name] = (idx, tag, why)

    base = lambda ctrl, po, **kw: small_ic(ctrl, po, date="20240506", time="0940", **kw)

    s = base("8201", "4500012801")
    i = find(s, "UNT")
    real = s[i][1]
    s[i][1] = real + 1
    emit("unt-count-wrong.edi", s, "UNT says %d segments but the message has %d (UNH to UNT inclusive)"
         % (real + 1, real), i, "UNT")

    s = base("8202", "4500012802")
    i = find(s, "UNT")
    s[i][2] = "2"
    emit("unt-ref-mismatch.edi", s, "UNT message reference (0062) is 2 but the matching UNH has 1", i, "UNT")

    s = base("8203", "4500012803")
    i = find(s, "UNZ")
    s[i][1] = 2
    emit("unz-count-wrong.edi", s, "UNZ says 2 messages but the interchange holds 1", i, "UNZ")

    s = base("8204", "4500012804")
    i = find(s, "UNZ")
    s[i][2] = "8205"
    emit("unz-ref-mismatch.edi", s, "UNZ interchange control reference (0020) is 8205 but UNB has 8204", i, "UNZ")

    m1 = message("1", ORDERS_96A, small_orders("4500012806", "20240506"))
    m2 = message("2", ORDERS_96A, small_orders("4500012807", "20240506", lines=[(KETTLE, 4)]))
    s = interchange(ACME.gln, NORTHWIND.gln, "20240506", "0940", "8206", [m1[:-1], m2])
    i = find(s, "UNH", 1)
    emit("missing-unt.edi", s, "message 1 has no UNT: UNH 2 follows its CNT directly; only message 1 must be "
         "rejected, message 2 is complete and valid (UNZ counts both)", i, "UNH")

    s = base("8208", "4500012808")
    s = s[:-1]
    emit("missing-unz.edi", s, "file ends after UNT: the UNZ interchange trailer is missing, expected at this "
         "index", len(s), "UNZ")

    m = message("1", ORDERS_96A, small_orders("4500012809", "20240506"))
    s = interchange(ACME.gln, NORTHWIND.gln, "20240506", "0940", "8209",
                    [("group", ("ORDERS", "82", ("D", "96A", "EAN008")), [m])])
    i = find(s, "UNE")
    s[i][2] = "83"
    emit("une-mismatch.edi", s, "UNE group reference (0048) is 83 but UNG has 82", i, "UNE")

    s = base("8210", "4500012810")
    i = find(s, "BGM")
    del s[i]
    fix_unt(s)
    emit("missing-bgm.edi", s, "ORDERS without its mandatory BGM: UNH is followed directly by DTM", i, "DTM")

    s = base("8211", "4500012811")
    i = find(s, "BGM")
    s[i][3] = "99"
    emit("bad-function-code.edi", s, "BGM message function code (1225) '99' is not a message function code",
         i, "BGM")

    s = base("8212", "4500012812")
    i = find(s, "QTY")
    s[i][1] = ("21", Raw("1O"))
    emit("bad-number.edi", s, "QTY+21 quantity is '1O' (letter O), not a number", i, "QTY")

    s = base("8213", "4500012813", syntax=("UNOA", "3"), dp_name="ACME RETAIL GR\u00fcNFELD")
    i = [k for k, x in enumerate(s) if x[:2] == ["NAD", "DP"]][0]
    emit("utf8-in-unoa.edi", s, "UNB declares UNOA (upper-case ASCII subset) but the NAD+DP name holds the "
         "UTF-8 bytes C3 BC (\u00fc), which are not in UNOA", i, "NAD")

    s = base("8214", "4500012814", lines=[(BOARD, 6), (MUG, 12)])
    i = find(s, "IMD")
    s[i][3] = ("", "", "", Raw("BAMBOO CUTTING BOARD SET SIZES S:M:L:XL"))
    emit("unescaped-component.edi", s, "IMD text 'BAMBOO CUTTING BOARD SET SIZES S:M:L:XL' has unescaped ':' "
         "(should be ?:), so the C273 item description has 7 components where at most 6 are allowed", i, "IMD")

    s = base("8215", "4500012815")
    i = find(s, "PRI") + 1
    s.insert(i, ["XYZ", "1"])
    fix_unt(s)
    emit("unknown-segment.edi", s, "unknown segment XYZ inside the ORDERS (UNT counts it)", i, "XYZ")

    # valid/syntax4-repetition.edi as it was: C506 repeated with the syntax 4 repetition separator
    ref_rep = ["RFF", Rep([("CT", "NW-2024-ACME-01"), ("CT", "NW-2024-ACME-02")])]
    s = small_ic("7105", "4500012705", syntax=("UNOC", "4"), s009=ORDERS_01B, extra=[ref_rep])
    i = find(s, "RFF")
    emit("repetition-not-allowed.edi", s, "RFF C506 repeats with the repetition separator '*', but C506 is not "
         "a repeating element", i, "RFF", data=render(s, Syn(rep="*")).encode())

    s = base("8216", "4500012816")
    emit("garbage-after-unz.edi", s, "junk bytes 'xx1r' after the UNZ interchange trailer", len(s), "xx1r",
         data=(render(s) + "xx1r").encode())

    s = base("8217", "4500012817")
    i = find(s, "LIN", 1)
    txt = render(s)
    line = seg_text(s[i], STD)
    start = txt.index(line)
    cut = txt[:start + len(line) - 8]  # inside the GTIN of the second LIN
    emit("truncated.edi", s, "file is cut off in the middle of the second LIN (no terminator, no UNT/UNZ)",
         i, "LIN", data=cut.encode())


# =========================================================================== independent checker
UNOA_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>")
UNOB_CHARS = UNOA_CHARS | set("abcdefghijklmnopqrstuvwxyz@[]{}\\|~#$^_`")
KNOWN = {
    "ORDERS": set("BGM DTM FTX RFF NAD CTA COM CUX PAT TDT TOD ALC MOA PCD LIN PIA IMD MEA QTY PRI TAX LOC "
                  "UNS CNT".split()),
    "DESADV": set("BGM DTM RFF NAD TDT CPS PAC MEA PCI GIN LIN PIA IMD QTY CNT".split()),
    "INVOIC": set("BGM DTM FTX RFF NAD CUX PAT PCD ALC MOA LIN PIA IMD QTY PRI TAX UNS CNT".split()),
    "APERAK": set("BGM DTM FTX CNT RFF NAD CTA COM ERC".split()),
    "CONTRL": set("UCI UCM UCF UCS UCD".split()),
}
BGM_CODE = {"ORDERS": "220", "DESADV": "351", "INVOIC": "380", "APERAK": "12E"}
MESSAGE_FUNCTION = {str(n) for n in range(1, 56)}   # UN/EDIFACT 1225 message function codes 1 to 55
REPEATING = set()   # (tag, element position) declared repeatable; none of the segments used here has one
NAD_CODES = {"BY", "SU", "DP", "IV", "MS", "MR", "SE", "ST", "UC", "CA", "PE", "II"}
# (tag, element position) -> max components of that composite
MAX_COMPS = {("IMD", 3): 6, ("QTY", 1): 3, ("PRI", 1): 6, ("MOA", 1): 5, ("DTM", 1): 3, ("NAD", 2): 3,
             ("NAD", 4): 6, ("NAD", 5): 4, ("LIN", 3): 4, ("PIA", 2): 4, ("RFF", 1): 5, ("CUX", 1): 4,
             ("CNT", 1): 3, ("TAX", 5): 7, ("ALC", 5): 5, ("FTX", 4): 5, ("BGM", 1): 4, ("PCD", 1): 3,
             ("PAT", 3): 4}
# (tag, element, component) -> numeric
NUMERIC = {("QTY", 1, 1), ("MOA", 1, 1), ("PRI", 1, 1), ("CNT", 1, 1), ("TAX", 5, 3), ("PCD", 1, 1),
           ("UNT", 1, 0), ("UNZ", 1, 0), ("UNE", 1, 0), ("LIN", 1, 0), ("PAC", 1, 0)}


class CSyn:
    def __init__(self, advice=":+.? '"):
        self.comp, self.elem, self.dec, self.rel, self.rep, self.term = advice


class Seg:
    def __init__(self, idx, tag, elems, raw, syn, complete):
        self.idx, self.tag, self.elems, self.raw, self.syn, self.complete = idx, tag, elems, raw, syn, complete
        self.charset = None

    def get(self, e, c=0, r=0, default=""):
        try:
            return self.elems[e][r][c]
        except IndexError:
            return default

    def text(self, e, c=0, r=0):
        """Decoded by the interchange's character set."""
        v = self.get(e, c, r)
        if self.charset == "UNOW":
            return v.encode("latin-1").decode("utf-8")
        return v


def tokenize(data: bytes):
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("latin-1")  # bytes 1:1; every service character is ASCII
    segs, pos, syn, una_seen = [], 0, CSyn(), False
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        if text.startswith("UNA", pos):
            advice = text[pos + 3:pos + 9]
            if len(advice) < 6:
                segs.append(Seg(len(segs), "UNA", [], text[pos:], syn, False))
                break
            syn = CSyn(advice)
            una_seen = True
            segs.append(Seg(len(segs), "UNA", [], text[pos:pos + 9], syn, True))
            pos += 9
            continue
        chars, complete, start = [], False, pos   # chars: (char, escaped)
        while pos < n:
            ch = text[pos]
            if ch in "\r\n" and ch not in (syn.term, syn.elem, syn.comp):
                pos += 1
                continue
            if ch == syn.rel:
                pos += 1
                while pos < n and text[pos] in "\r\n":
                    pos += 1
                if pos < n:
                    chars.append((text[pos], True))
                pos += 1
                continue
            if ch == syn.term:
                pos += 1
                complete = True
                break
            chars.append((ch, False))
            pos += 1
        elems, rep_list, comps, cur = [], [], [], []
        rep_active = syn.rep != " "
        for ch, esc in chars:
            if not esc and ch == syn.elem:
                comps.append("".join(cur)); rep_list.append(comps); elems.append(rep_list)
                rep_list, comps, cur = [], [], []
            elif not esc and ch == syn.comp:
                comps.append("".join(cur)); cur = []
            elif not esc and rep_active and ch == syn.rep:
                comps.append("".join(cur)); rep_list.append(comps); comps, cur = [], []
            else:
                cur.append(ch)
        comps.append("".join(cur)); rep_list.append(comps); elems.append(rep_list)
        tag = elems[0][0][0]
        seg = Seg(len(segs), tag, elems, text[start:pos], syn, complete)
        segs.append(seg)
        if tag == "UNB" and not una_seen:
            try:
                if int(seg.get(1, 1)) >= 4:
                    syn = CSyn(syn.comp + syn.elem + syn.dec + syn.rel + "*" + syn.term)
            except ValueError:
                pass
        if tag == "UNZ":
            syn, una_seen = CSyn(), False   # a following interchange starts from the defaults
        if not complete:
            break
    return segs


def is_number(v, dec):
    other = "," if dec == "." else "."
    return bool(re.fullmatch(r"-?\d+(\%s\d+)?" % dec, v)) and other not in v


def num(v, dec):
    return D(v.replace(dec, "."))


def gs1_ok(code, lengths):
    return code.isdigit() and len(code) in lengths and gs1_check(code[:-1]) == code[-1]


def valid_date(v, fmt):
    try:
        datetime.datetime.strptime(v, fmt)
        return True
    except ValueError:
        return False


def check_charset(seg, charset, probs):
    raw = seg.raw
    if charset == "UNOA":
        bad = [c for c in raw if c not in UNOA_CHARS and c not in "\r\n"]
    elif charset == "UNOB":
        bad = [c for c in raw if c not in UNOB_CHARS and c not in "\r\n"]
    elif charset == "UNOC":
        bad = [c for c in raw if not (" " <= c <= "~" or "\xa0" <= c <= "\xff" or c in "\r\n")]
    elif charset == "UNOW":
        try:
            raw.encode("latin-1").decode("utf-8")
            bad = []
        except UnicodeDecodeError:
            bad = ["?"]
    else:
        bad = []
    if bad:
        probs.append((seg.idx, seg.tag, "characters outside %s: %r" % (charset, "".join(bad))))


def check_segment(seg, probs):
    dec = seg.syn.dec
    for e, reps in enumerate(seg.elems[1:], 1):
        if len(reps) > 1 and (seg.tag, e) not in REPEATING:
            probs.append((seg.idx, seg.tag, "element %d repeats %d times, not a repeating element" % (e, len(reps))))
    if seg.tag == "BGM" and seg.get(3) and seg.get(3) not in MESSAGE_FUNCTION:
        probs.append((seg.idx, seg.tag, "message function code (1225) %r" % seg.get(3)))
    for (tag, e), mx in MAX_COMPS.items():
        if seg.tag == tag and len(seg.elems) > e:
            for rep in seg.elems[e]:
                if len(rep) > mx:
                    probs.append((seg.idx, seg.tag, "element %d has %d components, max %d" % (e, len(rep), mx)))
    for (tag, e, c) in NUMERIC:
        if seg.tag == tag:
            v = seg.get(e, c)
            if v and not is_number(v, dec):
                probs.append((seg.idx, seg.tag, "not a number: %r" % v))
    if seg.tag == "DTM":
        v, fmt = seg.get(1, 1), seg.get(1, 2)
        pyfmt = {"102": "%Y%m%d", "203": "%Y%m%d%H%M"}.get(fmt)
        if not pyfmt or not valid_date(v, pyfmt):
            probs.append((seg.idx, seg.tag, "bad date %r/%r" % (v, fmt)))
    if seg.tag == "LIN" and seg.get(3, 1) == "SRV" and not gs1_ok(seg.get(3, 0), (8, 12, 13, 14)):
        probs.append((seg.idx, seg.tag, "bad GTIN %s" % seg.get(3, 0)))
    if seg.tag == "NAD":
        if seg.get(1) not in NAD_CODES:
            probs.append((seg.idx, seg.tag, "bad party qualifier %r" % seg.get(1)))
        if seg.get(2, 2) == "9" and not gs1_ok(seg.get(2, 0), (13,)):
            probs.append((seg.idx, seg.tag, "bad GLN %s" % seg.get(2, 0)))
    if seg.tag == "GIN" and seg.get(1) == "BJ" and not gs1_ok(seg.get(2, 0), (18,)):
        probs.append((seg.idx, seg.tag, "bad SSCC %s" % seg.get(2, 0)))
    if seg.tag in ("UNB", "UNG", "UCI"):
        for e in (2, 3):
            if seg.get(e, 1) == "14" and not gs1_ok(seg.get(e, 0), (13,)):
                probs.append((seg.idx, seg.tag, "bad GLN %s" % seg.get(e, 0)))


def check_message(mtype, msegs, probs):
    """msegs: segments strictly between UNH and UNT."""
    if not msegs:
        return
    dec = msegs[0].syn.dec
    if mtype in BGM_CODE:
        if msegs[0].tag != "BGM":
            probs.append((msegs[0].idx, msegs[0].tag, "BGM missing after UNH"))
            return
        if msegs[0].get(1, 0) != BGM_CODE[mtype]:
            probs.append((msegs[0].idx, "BGM", "document code %r" % msegs[0].get(1, 0)))
    known = KNOWN.get(mtype, set())
    for s in msegs:
        if s.tag not in known:
            probs.append((s.idx, s.tag, "segment %s unknown in %s" % (s.tag, mtype)))
    if any(p[0] >= msegs[0].idx for p in probs):
        return
    lins = [s for s in msegs if s.tag == "LIN"]
    for k, s in enumerate(lins, 1):
        if s.get(1) != str(k):
            probs.append((s.idx, "LIN", "line number %s, expected %d" % (s.get(1), k)))
    cnt = [s for s in msegs if s.tag == "CNT" and s.get(1, 0) == "2"]
    if lins and (not cnt or int(cnt[0].get(1, 1)) != len(lins)):
        probs.append((cnt[0].idx if cnt else msegs[-1].idx, "CNT", "CNT 2 does not match %d LIN" % len(lins)))

    if mtype == "ORDERS":
        # line price x quantity against an optional MOA 79
        total, qty, in_summary = D(0), None, False
        for s in msegs:
            if s.tag == "UNS":
                in_summary = True
            elif s.tag == "QTY" and s.get(1, 0) == "21":
                qty = num(s.get(1, 1), dec)
            elif s.tag == "PRI" and s.get(1, 0) == "AAA":
                total += qty * num(s.get(1, 1), dec)
            elif s.tag == "MOA" and in_summary and s.get(1, 0) == "79" and num(s.get(1, 1), dec) != total:
                probs.append((s.idx, "MOA", "MOA 79 %s != lines %s" % (s.get(1, 1), total)))

    if mtype == "DESADV":
        ids = set()
        for k, s in enumerate(msegs):
            if s.tag == "CPS":
                if s.get(2) and s.get(2) not in ids:
                    probs.append((s.idx, "CPS", "parent %s unknown" % s.get(2)))
                ids.add(s.get(1))
            if s.tag == "GIN" and (msegs[k - 1].tag != "PCI" or msegs[k - 1].get(1) != "33E"):
                probs.append((s.idx, "GIN", "GIN BJ without PCI 33E"))

    if mtype == "INVOIC":
        lines, hdr, summ, tax_summ = [], D(0), {}, {}
        cur, alc, in_summary, after_tax = None, None, False, False
        for s in msegs:
            t = s.tag
            if t == "LIN":
                cur = dict(idx=s.idx, alc=D(0)); lines.append(cur); alc = None
            elif t == "UNS":
                in_summary, cur, alc = True, None, None
            elif t == "ALC":
                alc = s.get(1)
            elif t == "QTY" and cur is not None and s.get(1, 0) == "47":
                cur["qty"] = num(s.get(1, 1), dec)
            elif t == "PRI" and cur is not None:
                cur[s.get(1, 0)] = num(s.get(1, 1), dec)
            elif t == "TAX":
                rate = num(s.get(5, 3), dec)
                if in_summary:
                    after_tax, tax_summ["rate"] = True, rate
                elif cur is not None:
                    cur["rate"] = rate
            elif t == "MOA":
                q, amount = s.get(1, 0), num(s.get(1, 1), dec)
                if in_summary:
                    (tax_summ if after_tax else summ)[q] = (amount, s.idx)
                elif alc:
                    signed = amount if alc == "C" else -amount
                    if cur is None:
                        hdr += signed
                    else:
                        cur["alc"] += signed
                elif cur is not None:
                    cur[q] = amount
        bad = lambda idx, msg: probs.append((idx, "MOA", msg))
        for ln in lines:
            if ln["qty"] * ln["AAA"] != ln["203"]:
                bad(ln["idx"], "line amount %s != %s x %s" % (ln["203"], ln["qty"], ln["AAA"]))
            if "AAB" in ln and (ln["AAB"] - ln["AAA"]) * ln["qty"] != -ln["alc"]:
                bad(ln["idx"], "gross-net difference does not match the line allowance")
        items = sum(ln["203"] for ln in lines)
        rate = tax_summ.get("rate")
        if any(ln.get("rate") != rate for ln in lines):
            bad(lines[0]["idx"], "line VAT rate differs from the summary")
        need = ("79", "125", "124", "77")
        if not all(q in summ for q in need):
            bad(msegs[-1].idx, "summary MOA missing")
            return
        if summ["79"][0] != items:
            bad(summ["79"][1], "MOA 79 %s != sum of lines %s" % (summ["79"][0], items))
        if summ["125"][0] != items + hdr:
            bad(summ["125"][1], "MOA 125 != 79 + header charges - allowances")
        if summ["125"][0] * rate / 100 != summ["124"][0]:
            bad(summ["124"][1], "MOA 124 is not exactly %s %% of MOA 125" % rate)
        if summ["125"][0] + summ["124"][0] != summ["77"][0]:
            bad(summ["77"][1], "MOA 77 != 125 + 124")
        for q in ("125", "124"):
            if q not in tax_summ or tax_summ[q][0] != summ[q][0]:
                bad(msegs[-1].idx, "TAX summary MOA %s differs" % q)


def check(data: bytes):
    """Returns (segments, problems); problems = [(segment index, tag, message)]."""
    segs = tokenize(data)
    probs = []
    ic = grp = msg = None
    for s in segs:
        if not s.complete:
            probs.append((s.idx, s.tag, "segment not terminated (file truncated)"))
            return segs, probs
        if ic:
            s.charset = ic["charset"]
            check_charset(s, ic["charset"], probs)
        t = s.tag
        if t == "UNA":
            if ic or msg:
                probs.append((s.idx, t, "UNA inside an interchange"))
            continue
        if t == "UNB":
            if ic:
                probs.append((s.idx, t, "UNB before UNZ"))
            ic = dict(ref=s.get(5), msgs=0, groups=0, charset=s.get(1, 0), version=s.get(1, 1))
            s.charset = ic["charset"]
            check_charset(s, ic["charset"], probs)
            fmt = "%Y%m%d" if int(ic["version"]) >= 4 else "%y%m%d"
            if not valid_date(s.get(4, 0), fmt) or not valid_date(s.get(4, 1), "%H%M"):
                probs.append((s.idx, t, "bad UNB date/time"))
            check_segment(s, probs)
            continue
        if t == "UNG":
            grp = dict(ref=s.get(5), count=0)
            ic["groups"] += 1
            check_segment(s, probs)
            continue
        if t == "UNE":
            if not grp:
                probs.append((s.idx, t, "UNE without UNG"))
            else:
                if s.get(1) != str(grp["count"]):
                    probs.append((s.idx, t, "UNE count %s != %d" % (s.get(1), grp["count"])))
                if s.get(2) != grp["ref"]:
                    probs.append((s.idx, t, "UNE reference %s != UNG %s" % (s.get(2), grp["ref"])))
            grp = None
            continue
        if t == "UNH":
            if msg:
                probs.append((s.idx, t, "UNT missing for message %s" % msg["ref"]))
            msg = dict(ref=s.get(1), type=s.get(2, 0), start=s.idx, segs=[])
            if ic:
                ic["msgs"] += 1
            if grp:
                grp["count"] += 1
            continue
        if t == "UNT":
            if not msg:
                probs.append((s.idx, t, "UNT without UNH"))
                continue
            check_segment(s, probs)
            if s.get(1) != str(s.idx - msg["start"] + 1):
                probs.append((s.idx, t, "UNT count %s != %d" % (s.get(1), s.idx - msg["start"] + 1)))
            if s.get(2) != msg["ref"]:
                probs.append((s.idx, t, "UNT reference %s != UNH %s" % (s.get(2), msg["ref"])))
            check_message(msg["type"], msg["segs"], probs)
            msg = None
            continue
        if t == "UNZ":
            if not ic:
                probs.append((s.idx, t, "UNZ without UNB"))
                continue
            if msg:
                probs.append((s.idx, "UNT", "UNT missing before UNZ"))
                msg = None
            expect = ic["groups"] if ic["groups"] else ic["msgs"]
            if s.get(1) != str(expect):
                probs.append((s.idx, t, "UNZ count %s != %d" % (s.get(1), expect)))
            if s.get(2) != ic["ref"]:
                probs.append((s.idx, t, "UNZ reference %s != UNB %s" % (s.get(2), ic["ref"])))
            ic = None
            continue
        if msg:
            check_segment(s, probs)
            msg["segs"].append(s)
        else:
            probs.append((s.idx, t, "data outside any message"))
    if msg:
        probs.append((len(segs), "UNT", "end of file inside message %s" % msg["ref"]))
    elif ic:
        probs.append((len(segs), "UNZ", "end of file inside interchange %s" % ic["ref"]))
    return segs, probs


def read(path):
    with open(path, "rb") as f:
        return f.read()


def verify():
    failures = []
    nsegs = 0
    for d in (SAMPLES, VALID):
        for name in sorted(os.listdir(d)):
            segs, probs = check(read(os.path.join(d, name)))
            nsegs += len(segs)
            if probs:
                failures.append((name, probs))
            for idx, e, c, want in DECODE_EXPECT.get(name, []):
                got = segs[idx].text(e, c)
                if got != want:
                    failures.append((name, "decoded %r, expected %r" % (got, want)))
    for name in sorted(n for n in os.listdir(INVALID) if n.endswith(".edi")):
        segs, probs = check(read(os.path.join(INVALID, name)))
        why = open(os.path.join(INVALID, name + ".why"), encoding="utf-8").read()
        m = re.search(r"\(segment (\d+), (\S+)\)\n$", why)
        expected = (int(m.group(1)), m.group(2))
        if len(probs) != 1 or probs[0][:2] != expected or why.count("\n") != 1:
            failures.append((name, "expected exactly %s, got %s" % (expected, probs)))

    # IMD C273 item description (7008, components 3 and 4) is an..35, counted after release characters are
    # removed and in characters of the declared character set; every written file
    for d in (SAMPLES, VALID, INVALID):
        for name in sorted(n for n in os.listdir(d) if n.endswith(".edi")):
            segs, _ = check(read(os.path.join(d, name)))
            for s in segs:
                if s.tag == "IMD" and s.complete:
                    for r in range(len(s.elems[3]) if len(s.elems) > 3 else 0):
                        for c in (3, 4):
                            if len(s.text(3, c, r)) > 35:
                                failures.append((name, "IMD 7008 %r is over 35 characters (segment %d)"
                                                 % (s.text(3, c, r), s.idx)))

    # cross-document story: DESADV and INVOIC quantities equal the ORDERS; CONTRL answers the ORDERS interchange
    def lines(path, qty_q):
        segs, _ = check(read(path))
        out, cur = [], None
        for s in segs:
            if s.tag == "LIN":
                cur = s.get(3, 0)
            if s.tag == "QTY" and s.get(1, 0) == qty_q:
                out.append((cur, s.get(1, 1)))
        return out
    o = lines(os.path.join(SAMPLES, "orders-d96a.edi"), "21")
    if o != lines(os.path.join(SAMPLES, "desadv-d96a.edi"), "12") or o != lines(
            os.path.join(SAMPLES, "invoic-d96a.edi"), "47"):
        failures.append(("samples", "order, despatch and invoice quantities differ"))
    orders, _ = check(read(os.path.join(SAMPLES, "orders-d96a.edi")))
    contrl, _ = check(read(os.path.join(VALID, "contrl.edi")))
    unb = [s for s in orders if s.tag == "UNB"][0]
    uci = [s for s in contrl if s.tag == "UCI"][0]
    if (uci.get(1), uci.elems[2], uci.elems[3]) != (unb.get(5), unb.elems[2], unb.elems[3]):
        failures.append(("contrl.edi", "UCI does not match the ORDERS UNB"))
    # raw-byte expectations
    raw = lambda p: read(os.path.join(VALID, p))
    assert raw("bom.edi").startswith(b"\xef\xbb\xbfUNA") and b"Caf\xc3\xa9" in raw("bom.edi")
    assert b"Caf\xe9" in raw("latin1-unoc.edi")
    try:
        raw("latin1-unoc.edi").decode("utf-8")
        raise AssertionError("latin1-unoc.edi must not be valid UTF-8")
    except UnicodeDecodeError:
        pass
    assert b"\xc3\xbc" in read(os.path.join(INVALID, "utf8-in-unoa.edi"))
    s4 = raw("syntax4-repetition.edi")  # UNA position 4 + one released literal, no use as a separator
    assert s4.startswith(b"UNA:+.?*'") and s4.count(b"*") == 2 and s4[9:].count(b"?*") == 1
    assert b"RFF+CT:NW?*2024-ACME-01'" in s4
    s4 = read(os.path.join(INVALID, "repetition-not-allowed.edi"))
    assert s4.count(b"*") == 2 and b"RFF+CT:NW-2024-ACME-01*CT:NW-2024-ACME-02'" in s4
    assert b"\r\n" in raw("crlf-indented.edi") and b"\n" not in raw("crlf-indented.edi").replace(b"\r\n", b"")
    assert all(len(line) <= 70 for line in raw("wrapped.edi").split(b"\n"))
    assert not raw("no-una.edi").startswith(b"UNA") and not raw("no-unb.edi").count(b"UNB")
    return failures, nsegs


# --------------------------------------------------------------------------- README
README = """# EDIFACT test fixtures

Hand-made UN/EDIFACT interchanges for tallyman's tests, generated by `scripts/gen_edifact.py`
(`python3 scripts/gen_edifact.py .`; deterministic, it also re-checks every file it writes). All trading
partners (Acme Retail Group, Northwind Supply Co, Bluebird Hardware), people, addresses, VAT numbers,
article and document numbers are invented. GLNs (13 digits), GTINs (13 digits, one 14-digit case GTIN) and
SSCC-18s use the GS1 documentation example company prefix `0614141` and carry correct GS1 mod-10 check
digits. Unless a fixture says otherwise: syntax `UNOC:3`, `UNA:+.? '` present, LF after every segment
terminator, EANCOM-style ORDERS `D:96A:UN:EAN008`, UNB/NAD parties identified by GLN (`:14`, `::9`), dates in
DTM format 102.

Segment indices are 0-based over the whole file, the UNA (when present) is segment 0, counting on across
interchanges (a later UNA is a segment too). For a *missing* segment the index is where that segment should
have been (the index of the segment that stands there instead, or one past the last segment at end of file).

## valid/

Every file here must parse and validate without errors.

| file | exercises |
|---|---|
{valid_rows}

## invalid/

Each file has exactly one problem; everything else (counts, references, check digits) is correct.
`<file>.why` holds one line: the problem in plain words, ending in `(segment N, TAG)` with the 0-based
segment index where it must be reported.

| file | what must be reported |
|---|---|
{invalid_rows}

## samples/edifact/

The documents of one order, PO 4500012345 (the X12 samples tell the same story), plus a D01B order.

| file | contents |
|---|---|
{sample_rows}
"""


def main():
    for d in (SAMPLES, VALID, INVALID):
        shutil.rmtree(d, ignore_errors=True)
    samples()
    valid()
    invalid()
    esc = lambda t: t.replace("|", "\\|")
    rows = lambda desc: "\n".join("| `%s` | %s |" % (k, esc(desc[k])) for k in sorted(desc))
    assert sorted(VALID_DESC) == sorted(os.listdir(VALID))
    assert sorted(SAMPLE_DESC) == sorted(os.listdir(SAMPLES))
    irows = "\n".join("| `%s` | %s (segment %d, %s) |" % (k, esc(v[2]), v[0], v[1])
                      for k, v in sorted(INVALID_RES.items()))
    write(os.path.join(FIXTURES, "README.md"),
          README.replace("{valid_rows}", rows(VALID_DESC)).replace("{invalid_rows}", irows)
          .replace("{sample_rows}", rows(SAMPLE_DESC)))
    failures, nsegs = verify()
    for f in failures:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print("ok: %d samples, %d valid, %d invalid fixtures, %d segments checked"
          % (len(SAMPLE_DESC), len(VALID_DESC), len(INVALID_RES), nsegs))


if __name__ == "__main__":
    main()
