#!/usr/bin/env python3
"""Deterministic generator for tallyman's X12 samples and test fixtures.

All companies, addresses, people, item numbers, SCACs and GTINs are invented.
GTINs/SSCCs use the GS1 documentation example company prefix 0614141 so they can
never collide with a real product; check digits are computed (GS1 mod 10).

Usage: python3 scripts/gen_x12.py .   (writes samples/x12 and tests/fixtures/x12, then re-reads
and checks them; scripts/check_x12.py checks files independently)
"""
import os
import sys
from decimal import Decimal as D

ROOT = sys.argv[1] if len(sys.argv) > 1 else "/work/main"
SAMPLES = os.path.join(ROOT, "samples/x12")
VALID = os.path.join(ROOT, "tests/fixtures/x12/valid")
INVALID = os.path.join(ROOT, "tests/fixtures/x12/invalid")


# --------------------------------------------------------------------------- GS1
def gs1_check(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def gtin(body: str) -> str:
    return body + gs1_check(body)


def sscc(ext: str, prefix: str, serial: str) -> str:
    body = ext + prefix + serial
    assert len(body) == 17, body
    return gtin(body)


GS1_PREFIX = "0614141"  # GS1's own example company prefix (documentation use)


# --------------------------------------------------------------------------- data
class Item:
    def __init__(self, ref, vn, bp, inum, desc, unit, price):
        # UPC-A (GTIN-12) = GS1 prefix without its leading 0 + 5-digit item ref + check
        self.upc = gtin(GS1_PREFIX[1:] + ref)
        # EAN-13 form of another packaging level: "0" + prefix... keep 13 digits
        self.ean = gtin("0" + GS1_PREFIX[1:] + ref)  # GTIN-13 with leading zero
        self.vn = vn
        self.bp = bp
        self.inum = inum
        self.desc = desc
        self.unit = unit
        self.price = D(price)


MUG = Item("00125", "NW-TM16-SS", "AR-55120", "778812", "STAINLESS TRAVEL MUG 16 OZ", "EA", "12.50")
BOARD = Item("00342", "NW-CB3-BAM", "AR-55131", "778830", "BAMBOO CUTTING BOARD SET OF 3", "EA", "27.95")
CANDLE = Item("00517", "NW-BWC12", "AR-56002", "779104", "BEESWAX PILLAR CANDLE CASE OF 12", "CA", "41.40")
SKILLET = Item("00608", "NW-CI10-SK", "AR-56017", "779121", "CAST IRON SKILLET 10 IN", "EA", "18.75")
KETTLE = Item("00731", "NW-KT17-GL", "AR-56044", "779160", "GLASS ELECTRIC KETTLE 1.7 L", "EA", "34.20")
TOWEL = Item("00856", "NW-DT6-LIN", "AR-56051", "779172", "LINEN DISH TOWEL PACK OF 6", "PK", "9.80")

ACME = dict(isa="ACMERETAIL", gs="ACMERETAIL")
NORTHWIND = dict(isa="NORTHWINDSUP", gs="NORTHWINDSUP")
BLUEBIRD = dict(isa="BLUEBIRDHW", gs="BLUEBIRDHW")
HARBORLINE = dict(isa="HARBORLINEMKT", gs="HARBORLINEMKT")


def n1_loop(code, name=None, addr=None, idq="92", ident=None):
    parties = {
        "BY": ("ACME RETAIL GROUP", "0042", ["1200 HARBOR POINT BLVD"], ("MILLBROOK", "OH", "43199", "US")),
        "ST": ("ACME RETAIL DC 7", "0007", ["88 LOGISTICS PKWY", "DOCK 12"], ("GROVER HEIGHTS", "IN", "46299", "US")),
        "BT": ("ACME RETAIL ACCOUNTS PAYABLE", "0042", ["PO BOX 4410"], ("MILLBROOK", "OH", "43199", "US")),
        "SF": ("NORTHWIND SUPPLY CO", "NW01", ["455 FOUNDRY LANE", "SUITE 200"], ("KETTLE CREEK", "PA", "17399", "US")),
        "SE": ("NORTHWIND SUPPLY CO", "NW01", ["455 FOUNDRY LANE", "SUITE 200"], ("KETTLE CREEK", "PA", "17399", "US")),
        "RE": ("NORTHWIND SUPPLY CO LOCKBOX", "NW01", ["PO BOX 7720"], ("KETTLE CREEK", "PA", "17399", "US")),
        "ST-BB": ("BLUEBIRD HARDWARE STORE 14", "BB014", ["2270 ORCHARD VALLEY RD"], ("PINE HOLLOW", "VT", "05999", "US")),
        "ST-HM": ("HARBORLINE FULFILLMENT EAST", "HFE2", ["19 CONTAINER YARD WAY", "BAY 6"], ("SALT MARSH", "NJ", "08999", "US")),
    }
    pname, pid, lines, city = parties[code]
    code = code.split("-")[0]
    segs = [["N1", code, name or pname, idq, ident or pid]]
    if addr:
        segs.append(["N3"] + lines)
        segs.append(["N4", *city])
    return segs


def ids(item, quals):
    out = []
    for q in quals:
        out += [q, {"UP": item.upc, "EN": item.ean, "VN": item.vn, "BP": item.bp, "IN": item.inum}[q]]
    return out


def money(d):
    """R-type decimal rendering: no trailing zeros beyond what is needed."""
    return str(d)


def cents(d):
    v = d * 100
    assert v == v.to_integral_value(), d
    return str(int(v))


# --------------------------------------------------------------------------- transactions
def tx_850_full(po, po_date, deliver, lines, header_sac=None):
    """lines: list of (item, qty, quals)"""
    body = [
        ["BEG", "00", "SA", po, "", po_date],
        ["CUR", "BY", "USD"],
        ["REF", "DP", "042"],
        ["REF", "IA", "NW7781"],
        ["PER", "BD", "DANA WHITLOCK", "TE", "5550142233", "EM", "D.WHITLOCK@ACME-RETAIL.EXAMPLE"],
        ["FOB", "PP", "OR", "KETTLE CREEK PA"],
    ]
    if header_sac:
        body.append(header_sac)
    body += [
        ["ITD", "01", "3", "2", "", "10", "", "30", "", "", "", "", "2 PCT 10 NET 30"],
        ["DTM", "002", deliver],
        ["TD5", "O", "2", "TLYF", "M", "TALLY FREIGHT LINES"],
    ]
    body += n1_loop("BY", addr=True)
    body += n1_loop("ST", addr=True)
    body += n1_loop("BT")
    hash_total = 0
    for n, (item, qty, quals) in enumerate(lines, 1):
        body.append(["PO1", str(n), str(qty), item.unit, money(item.price), ""] + ids(item, quals))
        body.append(["PID", "F", "", "", "", item.desc])
        hash_total += qty
    body.append(["CTT", str(len(lines)), str(hash_total)])
    return ("850", body)


def tx_850_small(po, po_date, deliver, lines, dept="042", extra_ref=None, ship_to="ST"):
    body = [["BEG", "00", "SA", po, "", po_date]]
    body.append(["REF", "DP", dept] if extra_ref is None else extra_ref)
    body.append(["DTM", "002", deliver])
    if ship_to:
        body += n1_loop(ship_to, addr=True)
    hash_total = 0
    for n, (item, qty, quals) in enumerate(lines, 1):
        body.append(["PO1", str(n), str(qty), item.unit, money(item.price), ""] + ids(item, quals))
        body.append(["PID", "F", "", "", "", item.desc])
        hash_total += qty
    body.append(["CTT", str(len(lines)), str(hash_total)])
    return ("850", body)


def sac(ac, code, amount_cents, desc, handling, rate=None, unit=None, qty=None):
    s = ["SAC", ac, code, "", "", str(amount_cents), "", "", "", "", "", "", handling, "", "", desc]
    if rate is not None:
        s[8] = money(rate)
        s[9] = unit
        s[10] = str(qty)
    return s


def tx_810(inv, inv_date, po, po_date, ship_date, lines, line_sacs=None, summary_sacs=(), addr=True,
           refs=(("IA", "NW7781"), ("BM", "TLYF4471290"))):
    """lines: list of (item, qty, quals); line_sacs: {line_no: [sac segments]}"""
    line_sacs = line_sacs or {}
    body = [["BIG", inv_date, inv, po_date, po], ["CUR", "SE", "USD"]]
    for q, v in refs:
        body.append(["REF", q, v])
    body += n1_loop("RE", addr=addr)
    body += n1_loop("ST", addr=addr)
    body += n1_loop("BT", addr=addr)
    body += [["ITD", "01", "3", "2", "", "10", "", "30", "", "", "", "", "2 PCT 10 NET 30"],
             ["DTM", "011", ship_date]]
    total = D(0)
    hash_total = 0
    for n, (item, qty, quals) in enumerate(lines, 1):
        body.append(["IT1", str(n), str(qty), item.unit, money(item.price), ""] + ids(item, quals))
        body.append(["PID", "F", "", "", "", item.desc])
        total += qty * item.price
        hash_total += qty
        for s in line_sacs.get(n, []):
            body.append(s)
            total += (1 if s[1] == "C" else -1) * D(s[5]) / 100
    for s in summary_sacs:
        total += (1 if s[1] == "C" else -1) * D(s[5]) / 100
    tds = ["TDS", cents(total)]
    body.append(tds)
    body += list(summary_sacs)
    body.append(["CTT", str(len(lines)), str(hash_total)])
    return ("810", body)


def tx_856(bsn, ship_date, ship_time, po, po_date, bol, structure, weight, cartons, pkg="CTN25"):
    """structure: list of pallets/packs: ('P', sscc, [(item, qty)]) or ('T', sscc, [packs...])"""
    body = [["BSN", "00", bsn, ship_date, ship_time, "0001"]]
    hls = []  # (id, parent, level, segments)
    counter = [0]

    def new_hl(parent, level):
        counter[0] += 1
        hl = [str(counter[0]), parent, level, None]
        hls.append(hl)
        return hl

    ship = new_hl("", "S")
    ship_segs = [["TD1", pkg, str(cartons), "", "", "", "G", money(weight), "LB"],
                 ["TD5", "B", "2", "TLYF", "M", "TALLY FREIGHT LINES"],
                 ["REF", "BM", bol],
                 ["DTM", "011", ship_date]]
    ship_segs += n1_loop("SF", addr=True)
    ship_segs += n1_loop("ST", addr=True)
    ship[3] = ship_segs
    order = new_hl(ship[0], "O")
    order[3] = [["PRF", po, "", "", po_date]]
    lin_count = 0
    qty_total = 0

    def add_pack(parent, pack):
        nonlocal lin_count, qty_total
        _, code, items = pack
        p = new_hl(parent[0], "P")
        p[3] = [["MAN", "GM", code]]
        for item, qty in items:
            i = new_hl(p[0], "I")
            lin_count += 1
            qty_total += qty
            i[3] = [["LIN", str(line_of[item]), "UP", item.upc, "VN", item.vn],
                    ["SN1", "", str(qty), item.unit],
                    ["PID", "F", "", "", "", item.desc]]

    line_of = {}
    for unit in structure:
        for it in (unit[2] if unit[0] == "P" else [x for pk in unit[2] for x in pk[2]]):
            line_of.setdefault(it[0], len(line_of) + 1)
    for unit in structure:
        if unit[0] == "P":
            add_pack(order, unit)
        else:
            t = new_hl(order[0], "T")
            t[3] = [["MAN", "GM", unit[1]]]
            for pk in unit[2]:
                add_pack(t, pk)
    parents = {h[1] for h in hls}
    for h in hls:
        child = "1" if h[0] in parents else "0"
        body.append(["HL", h[0], h[1], h[2], child])
        body += h[3]
    body.append(["CTT", str(lin_count), str(qty_total)])
    return ("856", body)


def tx_855(po, po_date, ack_date, so, lines):
    """lines: list of (item, qty, quals, [(status, qty, date)])"""
    body = [["BAK", "00", "AC", po, po_date, "", "", "", so, ack_date],
            ["REF", "VN", so]]
    body += n1_loop("ST")
    hash_total = 0
    for n, (item, qty, quals, acks) in enumerate(lines, 1):
        body.append(["PO1", str(n), str(qty), item.unit, money(item.price), ""] + ids(item, quals))
        body.append(["PID", "F", "", "", "", item.desc])
        for st, q, dt in acks:
            body.append(["ACK", st, str(q), item.unit] + (["068", dt] if dt else []))
        hash_total += qty
    body.append(["CTT", str(len(lines)), str(hash_total)])
    return ("855", body)


# --------------------------------------------------------------------------- envelope
FID = {"850": "PO", "856": "SH", "810": "IN", "855": "PR", "997": "FA"}


def isa_seg(sender, receiver, date, time, ctrl, version="00401", rep="U", comp=">", usage="P",
            pad=True, ack="0"):
    def p(v, n):
        return v.ljust(n) if pad else v
    return ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", p(sender, 15), "ZZ", p(receiver, 15),
            date, time, rep, version, "%09d" % ctrl, ack, usage, comp]


def interchange(sender, receiver, date, time, ctrl, groups, version="00401", rep="U", comp=">",
                usage="P", pad=True, pre_group=()):
    """groups: list of (gs_ctrl, gs_version, [(st02, (st01, body))]) ; date = CCYYMMDD"""
    segs = [isa_seg(sender["isa"], receiver["isa"], date[2:], time, ctrl, version, rep, comp, usage, pad)]
    segs += list(pre_group)
    for gctrl, gver, txs, *fid in groups:
        fid = fid[0] if fid else FID[txs[0][1][0]]
        segs.append(["GS", fid, sender["gs"], receiver["gs"], date, time, str(gctrl), "X", gver])
        for st02, (st01, body) in txs:
            segs.append(["ST", st01, st02])
            segs += body
            segs.append(["SE", str(len(body) + 2), st02])
        segs.append(["GE", str(len(txs)), str(gctrl)])
    segs.append(["IEA", str(len(groups)), "%09d" % ctrl])
    return segs


class Delims:
    def __init__(self, elem="*", comp=">", rep="^", term="~", after="\n"):
        self.elem, self.comp, self.rep, self.term, self.after = elem, comp, rep, term, after


def seg_text(s, d):
    parts = []
    for e in s:
        if isinstance(e, tuple):
            parts.append(d.comp.join(e))
        elif isinstance(e, list):
            parts.append(d.rep.join(e))
        else:
            parts.append(e)
    if s[0] != "ISA":
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
    txt = d.elem.join(parts)
    for ch in (d.term,):
        assert ch not in txt, (ch, txt)
    return txt


def render(segs, d, indent=None):
    isas = [s for s in segs if s[0] == "ISA"]
    assert all(s[16] == d.comp for s in isas), "ISA16 does not match the component separator"
    assert all(s[11] in ("U", d.rep) for s in isas)
    out = []
    for i, s in enumerate(segs):
        pre = indent(i, s) if indent else ""
        out.append(pre + seg_text(s, d) + d.term + d.after)
    return "".join(out)


def check_isa_len(segs, d):
    t = seg_text(segs[0], d) + d.term
    assert len(t) == 106, (len(t), t)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


STD = Delims("*", ">", "^", "~", "\n")

# --------------------------------------------------------------------------- samples
PO = "4500012345"
PO_DATE = "20240311"
SHIP_DATE = "20240318"
BOL = "TLYF4471290"
LINES_850 = [(MUG, 24, ["UP", "VN"]), (BOARD, 10, ["VN", "BP"]), (CANDLE, 6, ["BP", "IN"]),
             (SKILLET, 12, ["IN", "UP"])]


def samples():
    # 850
    tx = tx_850_full(PO, PO_DATE, "20240325", LINES_850,
                     header_sac=sac("A", "C310", 2500, "VOLUME DISCOUNT", "02"))
    segs = interchange(ACME, NORTHWIND, "20240311", "0915", 4201, [(4201, "004010", [("0001", tx)])])
    check_isa_len(segs, STD)
    write(os.path.join(SAMPLES, "850-northwind.edi"), render(segs, STD))

    # 856: two cartons
    c1 = sscc("0", GS1_PREFIX, "000004471")
    c2 = sscc("0", GS1_PREFIX, "000004472")
    tx = tx_856("SHP0098765", SHIP_DATE, "1430", PO, PO_DATE, BOL,
                [("P", c1, [(MUG, 24), (BOARD, 10)]), ("P", c2, [(CANDLE, 6), (SKILLET, 12)])],
                D("86.4"), 2)
    segs = interchange(NORTHWIND, ACME, "20240318", "1432", 318, [(318, "004010", [("0001", tx)])])
    check_isa_len(segs, STD)
    write(os.path.join(SAMPLES, "856-northwind.edi"), render(segs, STD))

    # 810
    lines = [(it, q, ["UP", "VN"]) for it, q, _ in LINES_850]
    tx = tx_810("INV-240319-01", "20240319", PO, PO_DATE, SHIP_DATE, lines,
                summary_sacs=[sac("C", "D240", 4500, "FREIGHT", "06"),
                              sac("A", "C310", 2500, "VOLUME DISCOUNT", "02")])
    segs = interchange(NORTHWIND, ACME, "20240319", "0800", 319, [(319, "004010", [("0001", tx)])])
    check_isa_len(segs, STD)
    write(os.path.join(SAMPLES, "810-northwind.edi"), render(segs, STD))

    # 850 005010
    tx = tx_850_full("4500012388", "20240402", "20240416",
                     [(KETTLE, 8, ["UP", "VN"]), (TOWEL, 30, ["VN", "BP"]), (MUG, 48, ["UP", "IN"])])
    segs = interchange(ACME, NORTHWIND, "20240402", "1107", 4388, [(4388, "005010", [("0001", tx)])],
                       version="00501", rep="^")
    check_isa_len(segs, STD)
    write(os.path.join(SAMPLES, "850-005010.edi"), render(segs, STD))


# --------------------------------------------------------------------------- valid fixtures
def small_ic(ctrl, po, po_date="20240408", deliver="20240422", lines=None, time="1015", version="00401",
             gver="004010", rep="U", comp=">", sender=ACME, receiver=NORTHWIND, pad=True, pre_group=(),
             extra_ref=None, ship_to="ST", dept="042"):
    lines = lines or [(MUG, 12, ["UP", "VN"]), (KETTLE, 4, ["UP", "VN"])]
    tx = tx_850_small(po, po_date, deliver, lines, extra_ref=extra_ref, ship_to=ship_to, dept=dept)
    return interchange(sender, receiver, po_date, time, ctrl, [(ctrl, gver, [("0001", tx)])],
                       version=version, rep=rep, comp=comp, pad=pad, pre_group=pre_group)


def valid():
    v = lambda n: os.path.join(VALID, n)

    segs = small_ic(5101, "4500012501")
    write(v("crlf.edi"), render(segs, Delims(after="\r\n")))

    segs = small_ic(5102, "4500012502")
    write(v("no-newlines.edi"), render(segs, Delims(after="")))

    segs = small_ic(5103, "4500012503")
    write(v("bom.edi"), b"\xef\xbb\xbf" + render(segs, STD).encode())

    segs = small_ic(5104, "4500012504", lines=[(MUG, 12, ["UP", "VN"]), (BOARD, 6, ["VN", "BP"]),
                                                 (TOWEL, 20, ["UP", "VN"])])
    flat = render(segs, Delims(after=""))
    wrapped = "\n".join(flat[i:i + 80] for i in range(0, len(flat), 80)) + "\n"
    write(v("wrapped-80.edi"), wrapped)

    segs = small_ic(5105, "4500012505", comp="^")
    d = Delims("|", "^", "^", "~", "\n")
    check_isa_len(segs, d)
    write(v("pipe-elements.edi"), render(segs, d))

    segs = small_ic(5106, "4500012506")
    d = Delims("*", ">", "^", "\n", "")
    write(v("newline-terminator.edi"), render(segs, d))

    # three interchanges from three buyers to the same receiver (a mailbox file)
    a = small_ic(5107, "4500012507")
    b = small_ic(781, "BB-20240408-07", sender=BLUEBIRD, time="1122", ship_to="ST-BB", dept="HW3", comp=":",
                 lines=[(SKILLET, 6, ["UP", "VN"]), (CANDLE, 2, ["VN"])])
    c = small_ic(90012, "HM77120", sender=HARBORLINE, time="1140", version="00501", gver="005010",
                 rep="^", comp=":", ship_to="ST-HM", dept="HOME", lines=[(TOWEL, 40, ["UP", "VN"])])
    txt = render(a, STD) + render(b, Delims("|", ":", "^", "!", "\n")) + render(c, Delims("*", ":", "^", "~", "\n"))
    write(v("multi-interchange.edi"), txt)

    # one ISA: GS*PO with two 850s, GS*IN with one 810 (retailer's co-op advertising invoice to the vendor)
    po1 = tx_850_small("4500012508", "20240408", "20240422", [(MUG, 12, ["UP", "VN"])])
    po2 = tx_850_small("4500012509", "20240408", "20240429", [(KETTLE, 6, ["UP", "VN"]), (TOWEL, 24, ["VN", "BP"])])
    coop = ("810", [
        ["BIG", "20240408", "ACR-COOP-2291"],
        ["CUR", "SE", "USD"],
        ["N1", "RE", "ACME RETAIL GROUP", "92", "0042"],
        ["N1", "BT", "NORTHWIND SUPPLY CO", "92", "NW01"],
        ["IT1", "1", "1", "EA", "350.00"],
        ["PID", "F", "", "", "", "SPRING CIRCULAR CO-OP ADVERTISING"],
        ["TDS", "35000"],
        ["CTT", "1", "1"],
    ])
    segs = interchange(ACME, NORTHWIND, "20240408", "1610", 5108,
                       [(5108, "004010", [("0001", po1), ("0002", po2)]),
                        (5109, "004010", [("0001", coop)])])
    write(v("multi-group.edi"), render(segs, STD))

    # short ISA06/ISA08 + a TA1 acknowledging Northwind's 856 interchange 000000318
    segs = small_ic(5110, "4500012510", pad=False,
                    pre_group=[["TA1", "000000318", "240318", "1432", "A", "000"]])
    write(v("ta1-and-isa-short.edi"), render(segs, STD))

    # 005010 declaring the repetition separator ^ in ISA11 without using it (the 850 has no repeating
    # element; the same interchange with a repeat is invalid/repetition-not-allowed.edi)
    segs = small_ic(5111, "4500012511", version="00501", gver="005010", rep="^")
    check_isa_len(segs, STD)
    write(v("repetition.edi"), render(segs, STD))

    segs = small_ic(5112, "4500012512")
    write(v("ebcdic-037.edi"), render(segs, STD).encode("cp037"))

    segs = small_ic(5113, "4500012513")
    write(v("multibyte-terminator.edi"), render(segs, Delims(term="\u2026", after="\r\n")))

    segs = small_ic(5114, "4500012514")

    def indent(i, s):
        tag = s[0]
        if tag in ("ISA", "IEA"):
            return ""
        if tag in ("GS", "GE"):
            return "  "
        if tag in ("ST", "SE"):
            return "    "
        if tag in ("N3", "N4", "PID"):
            return "\t\t"  # loop children: tabs
        return "      "
    write(v("indented.edi"), render(segs, Delims(after="\r\n"), indent=indent))

    # 856 S/O/T/P/I
    pallet = sscc("1", GS1_PREFIX, "000009001")
    p1 = sscc("0", GS1_PREFIX, "000009002")
    p2 = sscc("0", GS1_PREFIX, "000009003")
    tx = tx_856("SHP0099120", "20240415", "0905", "4500012515", "20240408", "TLYF4479918",
                [("T", pallet, [("P", p1, [(KETTLE, 4), (MUG, 12)]), ("P", p2, [(TOWEL, 24)])])],
                D("61.2"), 1, pkg="PLT94")
    segs = interchange(NORTHWIND, ACME, "20240415", "0910", 920, [(920, "004010", [("0001", tx)])], usage="P")
    write(v("856-pack-tare.edi"), render(segs, STD))

    # 810 with line-level and summary-level SAC
    lines = [(MUG, 24, ["UP", "VN"]), (BOARD, 10, ["UP", "VN"]), (CANDLE, 6, ["EN", "VN"])]
    line_sacs = {
        1: [sac("A", "F800", 360, "PROMOTIONAL ALLOWANCE", "02", rate=D("0.15"), unit="EA", qty=24)],
        2: [sac("C", "D500", 800, "SPECIAL HANDLING", "06")],
        3: [sac("A", "C310", 500, "DAMAGED PACKAGING DISCOUNT", "02"),
            sac("C", "H550", 150, "SMALL LOT SURCHARGE", "06")],
    }
    summary = [sac("C", "D240", 4500, "FREIGHT", "06"),
               sac("C", "D260", 675, "FUEL SURCHARGE", "06"),
               sac("A", "C310", 2000, "VOLUME DISCOUNT", "02")]
    tx = tx_810("INV-240416-07", "20240416", "4500012516", "20240408", "20240415", lines,
                line_sacs=line_sacs, summary_sacs=summary, refs=(("IA", "NW7781"), ("BM", "TLYF4480102")))
    segs = interchange(NORTHWIND, ACME, "20240416", "0830", 921, [(921, "004010", [("0001", tx)])])
    write(v("810-allowance-charge.edi"), render(segs, STD))

    # 855
    tx = tx_855("4500012517", "20240408", "20240409", "SO-88213",
                [(MUG, 24, ["UP", "VN"], [("IA", 24, "20240415")]),
                 (KETTLE, 10, ["UP", "VN"], [("IA", 8, "20240415"), ("IB", 2, "20240429")]),
                 (TOWEL, 12, ["VN", "BP"], [("IR", 12, None)])])
    segs = interchange(NORTHWIND, ACME, "20240409", "1345", 922, [(922, "004010", [("0001", tx)])])
    write(v("unmapped-855.edi"), render(segs, STD))



README = """# X12 test fixtures

Hand-made X12 interchanges for tallyman's tests. All trading partners (Acme Retail Group, Northwind
Supply Co, Bluebird Hardware, Harborline Marketplace), people, addresses, item numbers and carrier codes
are invented. UPC/EAN codes and SSCC-18s use the GS1 documentation example company prefix `0614141`
and carry correct GS1 mod-10 check digits. Unless a fixture says otherwise: X12 004010, delimiters
`*` element, `>` component, `~` segment terminator followed by LF, ISA exactly 106 bytes.

Segment indices are 0-based over the whole file, ISA = 0, counting on across interchanges. For a
*missing* segment the index is where that segment should have been (the index of the segment that
stands there instead, or one past the last segment at end of file).

## valid/

Every file here must parse and validate without errors.

| file | exercises |
|---|---|
{valid_rows}

## invalid/

Each file has exactly one problem; everything else (counts, control numbers, check digits) is correct.
`<file>.why` holds one line: the problem in plain words, ending in `(segment N, TAG)` with the 0-based
segment index where it must be reported.

| file | what must be reported |
|---|---|
{invalid_rows}

The samples used by the README quick start live in `samples/x12/` (850, 856 and 810 of one order,
PO 4500012345, plus a 005010 850).
"""

VALID_DESC = {
    "crlf.edi": "CR LF after every segment terminator",
    "no-newlines.edi": "the whole interchange on one line, no line breaks at all",
    "bom.edi": "UTF-8 byte order mark (EF BB BF) before `ISA`",
    "wrapped-80.edi": "the interchange as one stream hard-wrapped at 80 columns with LF; breaks fall inside segments and inside the ISA (line 1 ends in the middle of ISA10), so line breaks must be ignored when the terminator is not a newline",
    "pipe-elements.edi": "element separator `|`, component separator `^`, terminator `~`",
    "newline-terminator.edi": "the segment terminator is LF itself (the byte after ISA16 is `\\n`), no `~` anywhere",
    "multi-interchange.edi": "three interchanges in one file from three buyers: `*`/`>`/`~`; then `|`/`:`/`!` (004010); then `*`/`:`/`~` with ISA11 `^` and ISA12 00501 (005010). Delimiters must be re-detected at every ISA; segment indices continue across interchanges",
    "multi-group.edi": "one ISA with a GS*PO holding two 850s (ST02 0001, 0002) and a GS*IN holding one 810 (ST02 0001 again: ST02 need only be unique within its group); IEA01 = 2",
    "ta1-and-isa-short.edi": "ISA06/ISA08 not padded to 15 characters (ISA is shorter than 106 bytes, delimiters must be found by counting separators, not by fixed offsets), and a TA1 interchange acknowledgment between ISA and GS (not counted by IEA01)",
    "repetition.edi": "005010 850 (ISA12 00501, GS08 005010) whose ISA11 declares the repetition separator `^` but never uses it: no element repeats (the 850 declares no repeating element), `REF*DP*042` carries a single value. The same interchange with `REF*DP*042^044` is `invalid/repetition-not-allowed.edi`",
    "ebcdic-037.edi": "a small 850 encoded in EBCDIC code page 037 (`ISA` = C9 E2 C1, `~` = A1, LF between segments = 25)",
    "multibyte-terminator.edi": "segment terminator is the multi-byte UTF-8 character U+2026 `\u2026` (E2 80 A6) followed by CR LF; the ISA is 106 characters but 108 bytes",
    "indented.edi": "segments indented by loop depth (spaces for envelope and header, tabs for N3/N4/PID loop children), CR LF line ends; leading whitespace before a segment tag must be ignored",
    "856-pack-tare.edi": "856 with S/O/T/P/I levels: one pallet (tare, HL03 `T`, its own SSCC) holding two cartons (packs) with items; HL04 child codes; CTT01 counts LIN, CTT02 sums SN102",
    "810-allowance-charge.edi": "810 with line-level SACs (allowance with rate x quantity, charge, allowance + charge on one line) and summary-level SACs after TDS (freight, fuel surcharge, discount); TDS01 86055 = items 827.90 - 3.60 + 8.00 - 5.00 + 1.50 + 45.00 + 6.75 - 20.00; line 3 uses an EAN-13 (`EN`)",
    "unmapped-855.edi": "a correct 855 purchase order acknowledgment (GS*PR) with ACK lines (accepted, partially backordered, rejected): a set that is recognized but has no mapping",
}

# --------------------------------------------------------------------------- invalid fixtures
def find(segs, tag, nth=0, pred=None):
    k = 0
    for i, s in enumerate(segs):
        if s[0] == tag and (pred is None or pred(s)):
            if k == nth:
                return i
            k += 1
    raise KeyError(tag)


def invalid():
    out = {}

    def emit(name, segs, why, idx, tag, text=None):
        path = os.path.join(INVALID, name)
        write(path, text if text is not None else render(segs, STD))
        write(path + ".why", "%s (segment %d, %s)\n" % (why, idx, tag))
        out[name] = (idx, tag, why)

    base = lambda ctrl, po, **kw: small_ic(ctrl, po, po_date="20240506", deliver="20240520", time="0940", **kw)

    s = base(6201, "4500012601")
    i = find(s, "SE")
    real = int(s[i][1])
    s[i][1] = str(real + 1)
    emit("se-count-wrong.edi", s, "SE01 says %d segments but the transaction has %d" % (real + 1, real), i, "SE")

    s = base(6202, "4500012602")
    i = find(s, "SE")
    s[i][2] = "0002"
    emit("st-se-control-mismatch.edi", s, "SE02 is 0002 but the matching ST02 is 0001", i, "SE")

    s = base(6203, "4500012603")
    i = find(s, "GE")
    s[i][1] = "2"
    emit("ge-count-wrong.edi", s, "GE01 says 2 transaction sets but the group holds 1", i, "GE")

    s = base(6204, "4500012604")
    i = find(s, "GE")
    s[i][2] = "6205"
    emit("gs-ge-control-mismatch.edi", s, "GE02 is 6205 but GS06 is 6204", i, "GE")

    s = base(6206, "4500012606")
    i = find(s, "IEA")
    s[i][2] = "000006207"
    emit("iea-control-mismatch.edi", s, "IEA02 is 000006207 but ISA13 is 000006206", i, "IEA")

    s = base(6208, "4500012608")
    s = s[:-1]
    emit("missing-iea.edi", s, "file ends after GE: the IEA interchange trailer is missing, expected at this index", len(s), "IEA")

    # two transactions in one group, the first without SE
    t1 = tx_850_small("4500012609", "20240506", "20240520", [(MUG, 12, ["UP", "VN"])])
    t2 = tx_850_small("4500012610", "20240506", "20240520", [(KETTLE, 4, ["UP", "VN"])])
    s = interchange(ACME, NORTHWIND, "20240506", "0940", 6209, [(6209, "004010", [("0001", t1), ("0002", t2)])])
    i = find(s, "SE")
    del s[i]
    emit("missing-se.edi", s, "transaction set 0001 has no SE: ST 0002 follows its CTT directly; "
         "only 0001 must be rejected, 0002 is complete and valid", i, "ST")

    t1 = tx_850_small("4500012611", "20240506", "20240520", [(MUG, 12, ["UP", "VN"])])
    t2 = tx_850_small("4500012612", "20240506", "20240520", [(KETTLE, 4, ["UP", "VN"])])
    s = interchange(ACME, NORTHWIND, "20240506", "0940", 6210, [(6210, "004010", [("0001", t1), ("0001", t2)])])
    i = find(s, "ST", 1)
    emit("duplicate-st-control.edi", s, "second transaction set reuses ST02 0001 within the same functional group", i, "ST")

    s = base(6211, "4500012613")
    s[1][1] = "IN"
    i = find(s, "ST")
    emit("gs01-mismatch.edi", s, "an 850 purchase order inside a GS*IN (invoice) functional group; GS01 must be PO", i, "ST")

    s = base(6212, "4500012614")
    i = find(s, "BEG")
    del s[i]
    se = find(s, "SE")
    s[se][1] = str(se - find(s, "ST") + 1)
    emit("missing-beg.edi", s, "850 without its mandatory BEG segment: ST is followed directly by REF", i, "REF")

    s = small_ic(6213, "4500012615", po_date="20230228", deliver="20230314", time="0940")
    i = find(s, "BEG")
    s[i][5] = "20230231"
    emit("bad-date.edi", s, "BEG05 is 20230231, February 31 does not exist", i, "BEG")

    s = base(6214, "4500012616", lines=[(MUG, 10, ["UP", "VN"]), (KETTLE, 4, ["UP", "VN"])])
    i = find(s, "PO1")
    s[i][2] = "1O"
    emit("bad-number.edi", s, "PO102 quantity is '1O' (letter O), not a number", i, "PO1")

    s = base(6215, "4500012617")
    i = find(s, "PID") + 1
    s.insert(i, ["ZZZ", "1"])
    se = find(s, "SE")
    s[se][1] = str(se - find(s, "ST") + 1)
    emit("unknown-segment.edi", s, "unknown segment ZZZ inside the 850 (SE01 counts it)", i, "ZZZ")

    s = base(6216, "4500012618")
    s[0][8] = "NORTHWINDSUP".ljust(16)
    emit("isa-element-too-long.edi", s, "ISA08 receiver id is 16 characters (padded one space too many), the ISA is 107 bytes", 0, "ISA")

    s = base(6217, "4500012619")
    i = find(s, "PO1", 1)
    txt = render(s, STD)
    line = seg_text(s[i], STD)
    start = txt.index(line)
    cut = txt[:start + len(line) - 9]  # cut inside the unit price / product ids
    emit("truncated.edi", s, "file is cut off in the middle of the second PO1 (no terminator, no SE/GE/IEA)", i, "PO1",
         text=cut)

    s = base(6218, "4500012620")
    emit("garbage-after-iea.edi", s, "junk bytes 'xx1r' after the IEA interchange trailer", len(s), "xx1r",
         text=render(s, STD) + "xx1r")

    s = base(6219, "4500012621")
    txt = render(s, STD)
    emit("not-x12.edi", s, "file starts with FSA instead of ISA, not an X12 interchange", 0, "FSA",
         text="FSA" + txt[3:])

    s = base(6220, "4500012622")
    i = find(s, "N1")
    s[i][1] = ""
    emit("mandatory-element-missing.edi", s, "N1 with the mandatory N101 entity identifier code empty", i, "N1")

    s = base(6221, "4500012623")
    i = find(s, "BEG")
    s[i][1] = "99"
    emit("bad-code.edi", s, "BEG01 transaction set purpose code '99' is not a valid code", i, "BEG")

    # valid/repetition.edi as it was before REF02 lost its repeat: ISA11 ^ used in an element that
    # does not repeat
    s = small_ic(5111, "4500012511", version="00501", gver="005010", rep="^",
                 extra_ref=["REF", "DP", ["042", "044"]])
    check_isa_len(s, STD)
    i = find(s, "REF")
    emit("repetition-not-allowed.edi", s, "REF02 repeats with the repetition separator '^', but REF02 is not "
         "a repeating element", i, "REF")
    return out


# --------------------------------------------------------------------------- re-reading checker
def read_x12(data):
    """Splits a written file into (interchange delimiters, segment elements) per segment, ISA = 0 counting
    on across interchanges. Finds the delimiters at every ISA by counting element separators (ISA06/08 may
    be short, line breaks may fall inside the ISA), ignores CR/LF inside segments unless the terminator is
    one, and leading whitespace before a tag."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    text = data.decode("cp037") if data.startswith("ISA".encode("cp037")) else data.decode("utf-8")
    segs, pos, n, d = [], 0, len(text), None
    while True:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            return segs
        if d is None and not text.startswith("ISA", pos):
            return segs + [(None, [text[pos:pos + 3]])]  # not X12: nothing to split by
        if text.startswith("ISA", pos):
            elem, k, seps = text[pos + 3], pos + 3, 0
            while seps < 16:
                seps += text[k] == elem
                k += 1
            comp, term = text[k], text[k + 1]
            isa = "".join(ch for ch in text[pos:k + 1] if ch not in "\r\n").split(elem)
            d = Delims(elem, comp, isa[11] if isa[11] != "U" else None, term)
        end = text.find(d.term, pos)
        raw = text[pos:] if end < 0 else text[pos:end]
        if d.term not in "\r\n":
            raw = raw.replace("\r", "").replace("\n", "")
        segs.append((d, raw.split(d.elem)))
        if end < 0:
            return segs
        pos = end + len(d.term)


def repeats(segs):
    """[(index, tag, element position)] of every element that uses the declared repetition separator."""
    return [(i, e[0], k) for i, (d, e) in enumerate(segs) if d and d.rep and e[0] != "ISA"
            for k, v in enumerate(e[1:], 1) if d.rep in v]


def verify():
    for d in (SAMPLES, VALID):
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                segs = read_x12(f.read())
            assert segs and segs[0][1][0] == "ISA", name
            assert not repeats(segs), (name, "repetition separator used", repeats(segs))
    with open(os.path.join(VALID, "repetition.edi"), "rb") as f:
        segs = read_x12(f.read())
    assert segs[0][1][11:13] == ["^", "00501"] and "^" not in "".join(e for _, el in segs[1:] for e in el)
    for name in sorted(n for n in os.listdir(INVALID) if n.endswith(".edi")):
        with open(os.path.join(INVALID, name), "rb") as f:
            segs = read_x12(f.read())
        with open(os.path.join(INVALID, name + ".why"), encoding="utf-8") as f:
            why = f.read()
        assert why.count("\n") == 1 and why.endswith(")\n"), name
        if name == "repetition-not-allowed.edi":
            idx, tag = why.rsplit("(segment ", 1)[1].rstrip(")\n").split(", ")
            assert repeats(segs) == [(int(idx), tag, 2)], (name, repeats(segs), why)
            assert segs[0][1][11:13] == ["^", "00501"] and segs[int(idx)][1] == ["REF", "DP", "042^044"]
        else:
            assert not repeats(segs), (name, repeats(segs))


if __name__ == "__main__":
    import shutil
    for d in (SAMPLES, VALID, INVALID):
        shutil.rmtree(d, ignore_errors=True)
    samples()
    valid()
    res = invalid()
    esc = lambda t: t.replace("|", "\\|")
    vrows = "\n".join("| `%s` | %s |" % (k, esc(VALID_DESC[k])) for k in sorted(VALID_DESC))
    irows = "\n".join("| `%s` | %s (segment %d, %s) |" % (k, esc(v[2]), v[0], v[1]) for k, v in sorted(res.items()))
    assert sorted(VALID_DESC) == sorted(os.listdir(VALID))
    write(os.path.join(ROOT, "tests/fixtures/x12/README.md"),
          README.replace("{valid_rows}", vrows).replace("{invalid_rows}", irows))
    for k, v in sorted(res.items()):
        print(k, v[0], v[1])
    verify()
    print("ok: %d samples, %d valid, %d invalid fixtures re-read" % (len(os.listdir(SAMPLES)), len(VALID_DESC),
                                                                      len(res)))
