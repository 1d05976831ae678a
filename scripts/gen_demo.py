#!/usr/bin/env python3
"""Deterministic generator for the demo drop folders in samples/demo/drop.

The demo (samples/demo/tallyman.toml, the README's first command) is a batch run over four channels.
Its input files are derived from tallyman's own samples, never from ../shared/corpus:

  drop/acme/      X12 004010 850s from Acme Retail Group (ISA06 ACMERETAIL -> ISA08 NORTHWINDSUP),
                  from samples/x12/850-northwind.edi and samples/x12/850-005010.edi:
                  two valid orders, a resend (duplicate), a changed quantity (conflict) and a
                  broken quantity (rejected)
  drop/acme-eu/   EDIFACT D96A ORDERS from Acme's European sites (UNB 0614141100422 ->
                  0614141200016), from samples/edifact/orders-d96a.edi and orders-d01b.edi
  drop/shopify/   samples/feeds/shopify-orders.csv as is
  drop/amazon/    samples/feeds/amazon-orders.txt as is

The 856 and 810 samples (and the EDIFACT DESADV and INVOIC) are left out: Northwind sends them to
Acme, so in a demo run at Northwind they would be outbound documents, and on the acme channel
they would be refused as misrouted (their sender is not the channel's partner_id).

Every envelope count and control number this script changes is recomputed (X12: SE01, SE02 =
ST02, GE01, GE02 = GS06, IEA01, IEA02 = ISA13; EDIFACT: UNT 0074, UNT 0062 = UNH 0062, UNZ 0036,
UNZ 0020 = UNB 0020), and every written file is read back and checked independently at the end:
envelopes, CTT/CNT totals, GTIN/UPC check digits, and that the one broken file has exactly its one
flaw and nothing else.

Usage: python3 scripts/gen_demo.py [ROOT]   (ROOT defaults to the repository holding this script;
stdlib only; re-runnable: the drop folders are rewritten from scratch, samples/demo/work is not
touched)
"""
import os
import re
import shutil
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")
DEMO = os.path.join(ROOT, "samples/demo")
DROP = os.path.join(DEMO, "drop")


def read(rel):
    with open(os.path.join(SAMPLES, rel), "rb") as f:
        return f.read().decode("utf-8")


def write(channel, name, text):
    path = os.path.join(DROP, channel, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# --------------------------------------------------------------------------- GS1
def gs1_ok(code):
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return False
    body, check = code[:-1], int(code[-1])
    total = sum(int(ch) * (3 if i % 2 == 0 else 1) for i, ch in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


# --------------------------------------------------------------------------- X12
class X12:
    """One X12 file as segments of elements, with the delimiters of its (single) ISA."""

    def __init__(self, text):
        assert text.startswith("ISA"), "not an X12 interchange"
        self.elem = text[3]
        isa = text[:106]
        parts = isa[:-1].split(self.elem)
        assert len(parts) == 17 and len(isa) == 106, "the sample's ISA is not the fixed 106 bytes"
        self.comp, self.term = parts[16], isa[-1]
        self.after = "\n" if text[106:107] == "\n" else ""
        self.segs = [s.strip().split(self.elem) for s in text.split(self.term) if s.strip()]
        assert all(len(s[0]) in (2, 3) for s in self.segs)

    def copy(self):
        c = object.__new__(X12)
        c.__dict__.update(self.__dict__)
        c.segs = [list(s) for s in self.segs]
        return c

    def find(self, tag, nth=0):
        hits = [i for i, s in enumerate(self.segs) if s[0] == tag]
        return hits[nth]

    def all(self, tag):
        return [s for s in self.segs if s[0] == tag]

    def set_controls(self, ctrl):
        """New interchange and group control numbers (one interchange, one group per file), and a
        new ISA09/ISA10 and GS04/GS05 only when given; the envelope trailers follow."""
        isa = self.segs[0]
        isa[13] = "%09d" % ctrl
        for gs in self.all("GS"):
            gs[6] = str(ctrl)
        self.fix_envelopes()

    def fix_envelopes(self):
        """Recomputes SE01/SE02, GE01/GE02 and IEA01/IEA02 from what the envelopes enclose."""
        st = gs = None
        sets = groups = 0
        for i, s in enumerate(self.segs):
            tag = s[0]
            if tag == "ISA":
                groups = 0
            elif tag == "GS":
                gs, sets = s, 0
                groups += 1
            elif tag == "ST":
                st = i
                sets += 1
            elif tag == "SE":
                s[1] = str(i - st + 1)
                s[2] = self.segs[st][2]
            elif tag == "GE":
                s[1] = str(sets)
                s[2] = gs[6]
            elif tag == "IEA":
                s[1] = str(groups)
                s[2] = self.segs[0][13]

    def text(self):
        out = []
        for s in self.segs:
            t = self.elem.join(s)
            assert self.term not in t, t
            out.append(t + self.term + self.after)
        isa = out[0][:-len(self.after)] if self.after else out[0]
        assert len(isa) == 106, (len(isa), isa)
        return "".join(out)


def recount_ctt(x):
    """CTT01 = number of PO1 lines, CTT02 = sum of PO102 quantities (the 850's hash total)."""
    po1 = x.all("PO1")
    ctt = x.all("CTT")[0]
    ctt[1] = str(len(po1))
    ctt[2] = str(sum(int(p[2]) for p in po1))


# --------------------------------------------------------------------------- EDIFACT
class Edifact:
    """One EDIFACT file as segments; elements are kept as written (release characters and all),
    split on unescaped separators only, so rewriting a segment never changes what it escapes."""

    def __init__(self, text):
        if text.startswith("UNA"):
            self.una = text[:9]
            self.comp, self.elem, self.dec, self.rel, _, self.term = self.una[3:9]
            rest = text[9:]
        else:
            self.una = None
            self.comp, self.elem, self.dec, self.rel, self.term = ":", "+", ".", "?", "'"
            rest = text
        self.after = "\n" if rest.lstrip("\r")[:1] == "\n" else ""
        self.segs = [self.split(s.strip("\r\n"), self.elem) for s in self.raw_segments(rest)]

    def raw_segments(self, text):
        out, cur, i = [], [], 0
        while i < len(text):
            ch = text[i]
            if ch == self.rel:
                cur.append(text[i:i + 2])
                i += 2
                continue
            if ch == self.term:
                seg = "".join(cur).strip()
                if seg:
                    out.append(seg)
                cur = []
            else:
                cur.append(ch)
            i += 1
        assert not "".join(cur).strip(), "text after the last segment terminator"
        return out

    def split(self, text, sep):
        out, cur, i = [], [], 0
        while i < len(text):
            ch = text[i]
            if ch == self.rel:
                cur.append(text[i:i + 2])
                i += 2
                continue
            if ch == sep:
                out.append("".join(cur))
                cur = []
            else:
                cur.append(ch)
            i += 1
        out.append("".join(cur))
        return out

    def comps(self, element):
        return self.split(element, self.comp)

    def find(self, tag, nth=0):
        return [i for i, s in enumerate(self.segs) if s[0] == tag][nth]

    def fix_envelopes(self):
        """Recomputes UNT 0074/0062, UNE and UNZ 0036/0020 from what the envelopes enclose."""
        unh = ung = None
        msgs = parts = 0
        for i, s in enumerate(self.segs):
            tag = s[0]
            if tag == "UNB":
                parts = 0
            elif tag == "UNG":
                ung, msgs = s, 0
                parts += 1
            elif tag == "UNH":
                unh = i
                msgs += 1
                if ung is None:
                    parts += 1
            elif tag == "UNT":
                s[1] = str(i - unh + 1)
                s[2] = self.segs[unh][1]
            elif tag == "UNE":
                s[1] = str(msgs)
                s[2] = ung[5]
                ung = None
            elif tag == "UNZ":
                s[1] = str(parts)
                s[2] = self.segs[0][5]

    def text(self):
        out = [self.una + self.after] if self.una else []
        for s in self.segs:
            out.append(self.elem.join(s) + self.term + self.after)
        return "".join(out)


# --------------------------------------------------------------------------- the demo files
ACME_PARTNER, ACME_US = "ACMERETAIL", "NORTHWINDSUP"
ACME_GLN, NORTHWIND_GLN = "0614141100422", "0614141200016"


def acme():
    """drop/acme: X12 850s. Files are routed in name order, hence the numeric prefixes: the first
    delivery of a purchase order must come before its resend and its changed version."""
    files = {}
    po45 = X12(read("x12/850-northwind.edi"))  # PO 4500012345, ISA13 4201
    assert po45.segs[0][6].strip() == ACME_PARTNER and po45.segs[0][8].strip() == ACME_US
    files["01-po-4500012345.edi"] = po45.text()
    assert files["01-po-4500012345.edi"] == read("x12/850-northwind.edi"), "X12 round trip changed the sample"

    # PO 4500012388 is the 005010 sample; Acme's channel is 004010, so it is re-enveloped as
    # 004010 (ISA11 back to U, ISA12 00401, GS08 004010). Nothing in its transaction set uses
    # the repetition separator or a 005010-only element.
    po88 = X12(read("x12/850-005010.edi"))
    assert po88.all("BEG")[0][3] == "4500012388"
    po88.segs[0][11] = "U"
    po88.segs[0][12] = "00401"
    po88.all("GS")[0][8] = "004010"
    po88.fix_envelopes()
    files["02-po-4500012388.edi"] = po88.text()

    # The same purchase order sent again in a new interchange: the document is a duplicate,
    # the interchange is not (new ISA13/GS06, a later ISA time).
    resend = po45.copy()
    resend.segs[0][10] = resend.all("GS")[0][5] = "1640"
    resend.set_controls(4202)
    files["03-po-4500012345-resend.edi"] = resend.text()

    # Same number and purpose (BEG01 00 original) as 4500012345, line 2 now 12 boards instead of
    # 10; CTT02 follows. A conflict: quarantined, never applied.
    changed = po45.copy()
    line2 = changed.all("PO1")[1]
    assert line2[1] == "2" and line2[2] == "10"
    line2[2] = "12"
    recount_ctt(changed)
    changed.segs[0][10] = changed.all("GS")[0][5] = "1715"
    changed.set_controls(4203)
    files["04-po-4500012345-changed-qty.edi"] = changed.text()

    # A new order (4500012399) whose line 2 quantity is typed '1O' (letter O) instead of 10.
    # Everything else is right: envelopes, CTT (counted as if it read 10), ids.
    broken = po45.copy()
    broken.all("BEG")[0][3] = "4500012399"
    broken.all("BEG")[0][5] = broken.all("GS")[0][4] = "20240312"
    broken.segs[0][9] = "240312"
    broken.segs[0][10] = broken.all("GS")[0][5] = "0830"
    broken.set_controls(4204)
    broken.all("PO1")[1][2] = "1O"
    files["05-po-broken-quantity.edi"] = broken.text()
    return files


def acme_eu():
    files = {}
    o45 = Edifact(read("edifact/orders-d96a.edi"))  # ORDERS 4500012345, UNB 0020 4201
    files["01-orders-4500012345.edi"] = o45.text()
    assert files["01-orders-4500012345.edi"] == read("edifact/orders-d96a.edi"), "EDIFACT round trip changed the sample"

    # The D01B sample (order 4500012388) re-enveloped as D96A, the channel's directory: UNH S009
    # D:96A:UN:EAN008 instead of D:01B:UN:EAN010; every segment it uses exists in D96A ORDERS.
    # It keeps its UNA with the decimal comma ('34,20'), which any EDIFACT reader must honour.
    o88 = Edifact(read("edifact/orders-d01b.edi"))
    assert o88.comps(o88.segs[o88.find("BGM")][2])[0] == "4500012388"
    unh = o88.segs[o88.find("UNH")]
    unh[2] = o88.comp.join(["ORDERS", "D", "96A", "UN", "EAN008"])
    o88.fix_envelopes()
    files["02-orders-4500012388-decimal-comma.edi"] = o88.text()
    return files


def feeds():
    return {
        "shopify": {"orders-export-2024-03-12.csv": read("feeds/shopify-orders.csv")},
        "amazon": {"order-report-2024-03-13.txt": read("feeds/amazon-orders.txt")},
    }


# --------------------------------------------------------------------------- checks (re-read from disk)
def check_x12(path, broken=False):
    with open(path, "rb") as f:
        x = X12(f.read().decode("utf-8"))
    segs = x.segs
    isa, iea = segs[0], segs[-1]
    assert isa[0] == "ISA" and iea[0] == "IEA" and iea[2] == isa[13] and iea[1] == str(len(x.all("GS")))
    assert isa[6].strip() == ACME_PARTNER and isa[8].strip() == ACME_US, path
    assert isa[12] == "00401" and isa[11] == "U"
    gs = st = None
    for i, s in enumerate(segs):
        if s[0] == "GS":
            gs, sets = s, 0
            assert s[2] == ACME_PARTNER and s[3] == ACME_US and s[8] == "004010"
        elif s[0] == "ST":
            st, sets = i, sets + 1
        elif s[0] == "SE":
            assert s[1] == str(i - st + 1) and s[2] == segs[st][2], (path, s)
        elif s[0] == "GE":
            assert s[1] == str(sets) and s[2] == gs[6], (path, s)
    po1 = x.all("PO1")
    qty_bad = [p for p in po1 if not re.fullmatch(r"\d+", p[2])]
    if broken:
        assert [p[2] for p in qty_bad] == ["1O"], (path, qty_bad)
        quantities = [10 if p[2] == "1O" else int(p[2]) for p in po1]
    else:
        assert not qty_bad, path
        quantities = [int(p[2]) for p in po1]
    assert all(q > 0 for q in quantities)
    nums = [p[1] for p in po1]
    assert len(set(nums)) == len(nums), path
    ctt = x.all("CTT")[0]
    assert ctt[1] == str(len(po1)) and ctt[2] == str(sum(quantities)), (path, ctt)
    assert [n for n in x.all("N1") if n[1] == "ST"], (path, "no ship-to")
    for p in po1:
        for q, v in zip(p[6::2], p[7::2]):
            if q in ("UP", "EN"):
                assert gs1_ok(v), (path, v)
    return x


def check_edifact(path):
    with open(path, "rb") as f:
        e = Edifact(f.read().decode("utf-8"))
    segs = e.segs
    unb, unz = segs[0], segs[-1]
    assert unb[0] == "UNB" and unz[0] == "UNZ" and unz[2] == unb[5]
    assert e.comps(unb[2])[0] == ACME_GLN and e.comps(unb[3])[0] == NORTHWIND_GLN, path
    assert unz[1] == str(sum(1 for s in segs if s[0] == "UNH"))
    unh = e.find("UNH")
    unt = e.find("UNT")
    assert segs[unt][1] == str(unt - unh + 1) and segs[unt][2] == segs[unh][1], path
    assert e.comps(segs[unh][2])[:3] == ["ORDERS", "D", "96A"], path
    lins = [s for s in segs if s[0] == "LIN"]
    cnt = [s for s in segs if s[0] == "CNT"][0]
    assert e.comps(cnt[1]) == ["2", str(len(lins))], path
    for lin in lins:
        assert gs1_ok(e.comps(lin[3])[0]), (path, lin)
    for s in segs:
        if s[0] == "QTY":
            assert int(e.comps(s[1])[1]) > 0
    assert any(s[0] == "NAD" and s[1] == "DP" for s in segs), (path, "no delivery party")
    return e


def main():
    # Rewrite the drop folders from scratch (a file left from an older version of this script
    # would be read by the demo); the work directory is never touched.
    shutil.rmtree(DROP, ignore_errors=True)
    written = []
    for name, text in acme().items():
        written.append(write("acme", name, text))
    for name, text in acme_eu().items():
        written.append(write("acme-eu", name, text))
    for channel, files in feeds().items():
        for name, text in files.items():
            written.append(write(channel, name, text))

    # Read back and check.
    acme_docs = {}
    for path in written:
        rel = os.path.relpath(path, DROP)
        channel, name = rel.split(os.sep)
        if channel == "acme":
            x = check_x12(path, broken="broken" in name)
            beg = x.all("BEG")[0]
            acme_docs[name] = (beg[1], beg[3], [s for s in x.segs if s[0] not in ("ISA", "GS", "GE", "IEA")])
        elif channel == "acme-eu":
            check_edifact(path)
    # The story the README tells: resend = same document, changed = same number, other content.
    first = acme_docs["01-po-4500012345.edi"]
    resend = acme_docs["03-po-4500012345-resend.edi"]
    changed = acme_docs["04-po-4500012345-changed-qty.edi"]
    assert first == resend, "the resend must carry the very same transaction set"
    assert first[:2] == changed[:2] and first[2] != changed[2]
    diff = [(a, b) for a, b in zip(first[2], changed[2]) if a != b]
    assert [d[0][0] for d in diff] == ["PO1", "CTT"], diff
    with open(os.path.join(DROP, "acme/03-po-4500012345-resend.edi"), "rb") as f:
        with open(os.path.join(DROP, "acme/01-po-4500012345.edi"), "rb") as g:
            assert f.read() != g.read(), "a byte-identical resend would be a duplicate file, not a duplicate document"
    for path in written:
        print(os.path.relpath(path, ROOT))
    print("ok: %d demo files written and re-read" % len(written))


if __name__ == "__main__":
    main()
