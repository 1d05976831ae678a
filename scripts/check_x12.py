#!/usr/bin/env python3
"""Independent checker for the generated X12 files (does not import the generator).

check(path) -> (problems, notes) where problems is a list of (segment_index, message).
Segment indices are 0-based over the whole file, ISA = 0, counted across interchanges.
"""
import datetime
import re
import sys
from decimal import Decimal, InvalidOperation

ISA_WIDTHS = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1]
KNOWN = set("ISA TA1 GS ST BEG CUR REF PER FOB SAC ITD DTM TD5 TD1 N1 N2 N3 N4 PO1 PID CTT SE GE IEA "
            "BSN HL PRF MAN LIN SN1 BIG IT1 TDS BAK ACK".split())
FID = {"850": "PO", "856": "SH", "810": "IN", "855": "PR"}
BEG01 = {"00", "01", "04", "05", "06", "07", "18", "22"}
DATE_ELEMS = {("BEG", 5), ("DTM", 2), ("BIG", 1), ("BIG", 3), ("BSN", 3), ("PRF", 4), ("BAK", 4),
              ("BAK", 9), ("ACK", 5), ("GS", 4)}
NUM_ELEMS = {("PO1", 2), ("PO1", 4), ("IT1", 2), ("IT1", 4), ("SN1", 2), ("ACK", 2), ("TD1", 7),
             ("CTT", 1), ("CTT", 2), ("SE", 1), ("GE", 1), ("IEA", 1), ("TDS", 1), ("SAC", 5), ("SAC", 8),
             ("SAC", 10)}
TIME_ELEMS = {("GS", 5), ("BSN", 4)}


def gs1_ok(code):
    if not code.isdigit():
        return False
    body, chk = code[:-1], int(code[-1])
    tot = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return (10 - tot % 10) % 10 == chk


def date_ok(s, fmt="%Y%m%d"):
    try:
        datetime.datetime.strptime(s, fmt)
        return len(s) == len(datetime.datetime.strptime(s, fmt).strftime(fmt))
    except ValueError:
        return False


def num(s):
    if not re.fullmatch(r"-?(\d+\.?\d*|\.\d+)", s):
        raise ValueError(s)
    return Decimal(s)


class File:
    def __init__(self, raw):
        self.raw = raw
        self.notes = []
        if raw[:3] == b"\xef\xbb\xbf":
            raw = raw[3:]
            self.notes.append("bom")
        if raw[:3] == "ISA".encode("cp037"):
            self.text = raw.decode("cp037")
            self.notes.append("ebcdic")
        else:
            self.text = raw.decode("utf-8")


def segments(f):
    """Yields (kind, payload). kind: 'seg' (list of elements, delims) | 'problem' | 'truncated' | 'garbage'."""
    t = f.text
    pos = 0
    idx = 0
    out = []
    while True:
        while pos < len(t) and t[pos] in " \t\r\n":
            pos += 1
        if pos >= len(t):
            break
        if not t.startswith("ISA", pos):
            kind = "garbage" if idx > 0 else "not-isa"
            out.append((kind, idx, t[pos:pos + 10]))
            break
        es = t[pos + 3]
        # walk the ISA, ignoring CR/LF wraps
        k = pos
        seps = 0
        chars = []
        while seps < 16:
            c = t[k]
            if c not in "\r\n":
                chars.append(c)
                if c == es:
                    seps += 1
            k += 1
        while t[k] in "\r\n":
            k += 1
        comp = t[k]
        chars.append(comp)
        k += 1
        term = t[k]
        isa_text = "".join(chars)
        fields = isa_text.split(es)
        rep = fields[11]
        delims = dict(elem=es, comp=comp, rep=rep if fields[12] >= "00402" else None, term=term,
                      newline_term=term in "\r\n")
        out.append(("seg", idx, fields, delims, isa_text))
        idx += 1
        pos = k + 1
        if term == "\r" and pos < len(t) and t[pos] == "\n":
            pos += 1
        # other segments
        while True:
            while pos < len(t) and t[pos] in " \t\r\n" and not (delims["newline_term"] and False):
                pos += 1
            if pos >= len(t):
                break
            end = t.find(term, pos)
            if end < 0:
                out.append(("truncated", idx, t[pos:]))
                pos = len(t)
                break
            body = t[pos:end]
            if not delims["newline_term"]:
                body = body.replace("\r", "").replace("\n", "")
            else:
                body = body.rstrip("\r")
            body = body.lstrip(" \t")
            pos = end + len(term)
            els = body.split(es)
            out.append(("seg", idx, els, delims, body))
            idx += 1
            if els[0] == "IEA":
                break
        if pos >= len(t):
            break
    return out


def check(path):
    f = File(open(path, "rb").read())
    probs = []
    P = lambda i, m: probs.append((i, m))
    items = segments(f)
    if items and items[0][0] == "not-isa":
        P(0, "does not start with ISA")
        return probs, f.notes
    truncated = any(x[0] == "truncated" for x in items)
    for x in items:
        if x[0] == "truncated":
            P(x[1], "truncated segment %r" % x[2][:20])
        if x[0] == "garbage":
            P(x[1], "garbage after IEA %r" % x[2])
    segs = [x for x in items if x[0] == "seg"]

    isa = gs = st = None
    st_body = []
    groups_in_isa = 0
    sts_in_gs = 0
    st_ids = set()
    for _, i, els, d, body in segs:
        tag = els[0]
        if tag not in KNOWN:
            P(i, "unknown segment " + tag)
            if st:
                st_body.append((i, els, d))
            continue
        # generic element checks
        for (t_, n) in DATE_ELEMS:
            if t_ == tag and len(els) > n and els[n] and not date_ok(els[n]):
                P(i, "bad date %s%02d %s" % (tag, n, els[n]))
        for (t_, n) in TIME_ELEMS:
            if t_ == tag and len(els) > n and els[n] and not date_ok(els[n], "%H%M"):
                P(i, "bad time")
        for (t_, n) in NUM_ELEMS:
            if t_ == tag and len(els) > n and els[n]:
                try:
                    num(els[n])
                except ValueError:
                    P(i, "bad number %s%02d %r" % (tag, n, els[n]))
        if d["rep"] and tag != "ISA":
            for n, e in enumerate(els[1:], 1):
                if d["rep"] in e:
                    # No element of the 850/856/810 grammars repeats: any repetition is a fault.
                    P(i, "repeat %s%02d=%s" % (tag, n, e.split(d["rep"])))
        if tag == "ISA":
            if isa:
                P(i, "ISA inside interchange")
            isa = (i, els, d)
            groups_in_isa = 0
            if len(els) != 17:
                P(i, "ISA has %d elements" % (len(els) - 1))
            for n, w in enumerate(ISA_WIDTHS, 1):
                v = els[n]
                if len(v) > w:
                    P(i, "ISA%02d too long (%d > %d)" % (n, len(v), w))
                elif len(v) < w:
                    if n in (6, 8):
                        f.notes.append("short ISA%02d" % n)
                    else:
                        P(i, "ISA%02d too short" % n)
            if not date_ok(els[9], "%y%m%d"):
                P(i, "ISA09 date")
            if not els[13].isdigit():
                P(i, "ISA13 not numeric")
            if len(body) == 105:
                f.notes.append("isa106")
            if els[12] not in ("00401", "00501"):
                P(i, "ISA12")
            if els[12] == "00401" and els[11] != "U":
                P(i, "ISA11 should be U in 00401")
            seps = {d["elem"], d["comp"], d["term"]} | ({d["rep"]} if d["rep"] else set())
            if len(seps) != (4 if d["rep"] else 3):
                P(i, "delimiters not distinct")
            continue
        if tag == "TA1":
            if gs or not isa:
                P(i, "TA1 out of place")
            if not date_ok(els[2], "%y%m%d"):
                P(i, "TA1 date")
            continue
        if tag == "IEA":
            if gs:
                P(i, "IEA inside group (GE missing)")
            if not isa:
                P(i, "IEA without ISA")
            else:
                if els[1] != str(groups_in_isa):
                    P(i, "IEA01 %s but %d groups" % (els[1], groups_in_isa))
                if els[2] != isa[1][13]:
                    P(i, "IEA02 %s != ISA13 %s" % (els[2], isa[1][13]))
            isa = None
            continue
        if tag == "GS":
            if not isa:
                P(i, "GS outside interchange")
            if gs:
                P(i, "GS inside group")
            gs = (i, els)
            groups_in_isa += 1
            sts_in_gs = 0
            st_ids = set()
            ver = {"00401": "004010", "00501": "005010"}.get(isa[1][12]) if isa else None
            if els[8] != ver:
                P(i, "GS08 %s vs ISA12" % els[8])
            continue
        if tag == "GE":
            if st:
                P(i, "GE inside transaction (SE missing)")
                st = None
            if not gs:
                P(i, "GE without GS")
            else:
                if els[1] != str(sts_in_gs):
                    P(i, "GE01 %s but %d transaction sets" % (els[1], sts_in_gs))
                if els[2] != gs[1][6]:
                    P(i, "GE02 %s != GS06 %s" % (els[2], gs[1][6]))
            gs = None
            continue
        if tag == "ST":
            if st:
                P(i, "SE missing for ST %s" % st[1][2])
                st = None
            if not gs:
                P(i, "ST outside group")
            else:
                sts_in_gs += 1
                if els[2] in st_ids:
                    P(i, "duplicate ST02 %s" % els[2])
                st_ids.add(els[2])
                if FID.get(els[1]) != gs[1][1]:
                    P(i, "ST01 %s in GS01 %s" % (els[1], gs[1][1]))
            st = (i, els)
            st_body = []
            continue
        if tag == "SE":
            if not st:
                P(i, "SE without ST")
                continue
            n = i - st[0] + 1
            if els[1] != str(n):
                P(i, "SE01 %s but %d segments" % (els[1], n))
            if els[2] != st[1][2]:
                P(i, "SE02 %s != ST02 %s" % (els[2], st[1][2]))
            content(st, st_body, P)
            st = None
            continue
        if not st:
            P(i, "segment outside transaction")
            continue
        st_body.append((i, els, d))
    if truncated:
        pass  # unclosed structures are a consequence of truncation
    elif isa:
        last = segs[-1][1] if segs else 0
        P(last + 1, "IEA missing")
    return probs, f.notes


def el(els, n):
    return els[n] if len(els) > n else ""


def content(st, body, P):
    si, sels = st
    set_id = sels[1]
    first = {"850": "BEG", "810": "BIG", "856": "BSN", "855": "BAK"}[set_id]
    if not body or body[0][1][0] != first:
        P(si + 1, "%s missing" % first)
    line_items = 0
    qty_total = Decimal(0)
    qty_bad = False
    total = Decimal(0)
    tds = None
    hl_ids = {}
    hl_children = set()
    hl_list = []
    lin = 0
    for i, els, d in body:
        tag = els[0]
        if tag == "BEG" and el(els, 1) not in BEG01:
            P(i, "BEG01 code %r" % el(els, 1))
        if tag == "N1":
            if not el(els, 1):
                P(i, "N101 empty")
            if not (el(els, 2) or (el(els, 3) and el(els, 4))):
                P(i, "N1 needs N102 or N103/N104")
        if tag in ("PO1", "IT1"):
            line_items += 1
            try:
                q = num(els[2])
                qty_total += q
                total += q * num(els[4])
            except (ValueError, IndexError):
                qty_bad = True
            pairs = els[6:]
            check_ids(i, pairs, P)
        if tag == "LIN":
            lin += 1
            check_ids(i, els[2:], P)
        if tag == "SN1":
            qty_total += num(els[2])
        if tag == "SAC":
            if els[1] not in ("A", "C"):
                P(i, "SAC01")
            amt = Decimal(int(els[5])) / 100
            total += amt if els[1] == "C" else -amt
            if el(els, 8):
                if Decimal(int(els[5])) != num(els[8]) * num(els[10]) * 100:
                    P(i, "SAC05 != rate*qty")
        if tag == "TDS":
            tds = (i, els[1])
        if tag == "MAN" and els[1] == "GM":
            code = els[2]
            if len(code) == 20 and code.startswith("00"):
                code = code[2:]
            if len(code) != 18 or not gs1_ok(code):
                P(i, "bad SSCC %s" % els[2])
        if tag == "HL":
            hid, par, lvl = els[1], el(els, 2), el(els, 3)
            if hid != str(len(hl_list) + 1):
                P(i, "HL01 sequence")
            if par and par not in hl_ids:
                P(i, "HL02 unknown parent")
            allowed = {"S": [""], "O": ["S"], "T": ["O"], "P": ["O", "T"], "I": ["P", "O"]}
            plevel = hl_ids.get(par, "")
            if plevel not in allowed.get(lvl, []):
                P(i, "HL level %s under %s" % (lvl, plevel))
            hl_ids[hid] = lvl
            hl_children.add(par)
            hl_list.append((i, hid, el(els, 4)))
        if tag == "CTT":
            ctt = (i, els)
    for i, hid, child in hl_list:
        if child and child != ("1" if hid in hl_children else "0"):
            P(i, "HL04")
    ctts = [x for x in body if x[1][0] == "CTT"]
    if ctts:
        i, els = ctts[0][0], ctts[0][1]
        n = lin if set_id == "856" else line_items
        if els[1] != str(n):
            P(i, "CTT01 %s but %d line items" % (els[1], n))
        if el(els, 2) and not qty_bad and num(els[2]) != qty_total:
            P(i, "CTT02 %s but quantities sum to %s" % (els[2], qty_total))
    if set_id == "810":
        if tds is None:
            P(si, "no TDS")
        elif Decimal(int(tds[1])) != total * 100:
            P(tds[0], "TDS01 %s but computed %s" % (tds[1], total * 100))


def check_ids(i, pairs, P):
    for q, v in zip(pairs[0::2], pairs[1::2]):
        if q == "UP" and (len(v) != 12 or not gs1_ok(v)):
            P(i, "bad UPC %s" % v)
        if q == "EN" and (len(v) not in (13, 14) or not gs1_ok(v)):
            P(i, "bad EAN %s" % v)


if __name__ == "__main__":
    import glob
    import os
    root = sys.argv[1]
    ok = True
    for p in sorted(glob.glob(root + "/samples/x12/*.edi") + glob.glob(root + "/tests/fixtures/x12/valid/*.edi")):
        probs, notes = check(p)
        status = "OK " if not probs else "BAD"
        ok &= not probs
        print(status, os.path.relpath(p, root), probs or "", sorted(set(notes)))
    for p in sorted(glob.glob(root + "/tests/fixtures/x12/invalid/*.edi")):
        probs, notes = check(p)
        why = open(p + ".why").read()
        m = re.search(r"\(segment (\d+), (\S+)\)\s*$", why)
        exp = int(m.group(1))
        good = len(probs) == 1 and probs[0][0] == exp
        ok &= good
        print("OK " if good else "BAD", os.path.relpath(p, root), probs, "| why:", why.strip())
    print("ALL GOOD" if ok else "FAILURES")
