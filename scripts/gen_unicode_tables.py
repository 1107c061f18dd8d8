#!/usr/bin/env python3
"""Generates retrieval/transformer/unicode_tables.cc: the Unicode data the
WordPiece tokenizer (retrieval/transformer/wordpiece_tokenizer.cc) needs to
produce the same ids as HuggingFace `tokenizers` (BertNormalizer,
BertPreTokenizer):

  * "other" code points (general category Cc, Cf, Co, Cs) that clean_text drops
  * punctuation (general category P*) that BertPreTokenizer splits out
  * non-spacing marks (Mn) that strip_accents drops after NFD
  * canonical decompositions (fully expanded) and canonical combining classes
    for NFD (Hangul syllables are decomposed algorithmically in C++)
  * simple + special lower-case mappings (char::to_lowercase, per character)
  * "word" characters for the Whitespace pre-tokenizer (regex \\w)

Usage: python3 scripts/gen_unicode_tables.py [--out FILE] [--check HF_TABLES_JSON]

Source: Python's `unicodedata` (this script records its Unicode version in the
output) plus Perl's Unicode::UCD for the Age property. HF `tokenizers` takes
categories from the `unicode_categories` crate, whose tables are Unicode 8.0:
code points assigned after 8.0 are not "other", punctuation or Mn there, so
this script keeps only code points present in Unicode 8.0 in those three sets
(and in NFD), and applies the few category changes since 8.0 explicitly
(OLD_CATEGORY below). Lower-casing follows the newer Unicode of Rust's std;
the tables here follow Python's version, so letters added after it are not
lower-cased.

--check compares against a dump of HF's behaviour for every code point (made
on a machine with `tokenizers` by tests/data/encoder/dump_hf_unicode.py) and
prints the differences; with Python 3.11 (Unicode 14.0) and tokenizers 0.23.2
the only ones are 55 lower-case mappings of letters added in Unicode 15/16.
"""

import argparse
import json
import os
import subprocess
import sys
import unicodedata

MAX_CP = 0x110000

# Category changes since Unicode 8.0 for code points present in 8.0 (what the
# unicode_categories crate still says): cp -> category in 8.0.
OLD_CATEGORY = {
    0x111C9: "Po",  # SHARADA SANDHI MARK: Po in 8.0, Mn since 9.0
    0x166D: "Po",   # CANADIAN SYLLABICS CHI SIGN: Po in 8.0, So since 12.0
    0x1734: "Mn",   # HANUNOO SIGN PAMUDPOD: Mn in 8.0, Mc since 14.0
    0x1885: "Lo",   # MONGOLIAN LETTER ALI GALI BALUDA: Lo in 8.0, Mn since 9.0
    0x1886: "Lo",   # MONGOLIAN LETTER ALI GALI THREE BALUDA: Lo in 8.0, Mn since 9.0
    0xA9BD: "Mc",   # JAVANESE CONSONANT SIGN KERET: Mc in 8.0, Mn since 12.0
}


def present_in_8():
    """Code points assigned in Unicode 8.0 (Perl's Unicode::UCD, Present_In)."""
    out = subprocess.check_output(
        ["perl", "-MUnicode::UCD=prop_invlist", "-e",
         'print join(" ", prop_invlist("In=8.0"))'])
    inv = [int(x) for x in out.split()]
    s = bytearray(MAX_CP)
    for i in range(0, len(inv), 2):
        hi = inv[i + 1] if i + 1 < len(inv) else MAX_CP
        for cp in range(inv[i], hi):
            s[cp] = 1
    return s


def ranges(pred):
    out = []
    start = None
    for cp in range(MAX_CP + 1):
        ok = cp < MAX_CP and pred(cp)
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append((start, cp - 1))
            start = None
    return out


def full_nfd(cp, old):
    if 0xAC00 <= cp <= 0xD7A3:
        return None  # algorithmic
    d = unicodedata.decomposition(chr(cp))
    if not d or d.startswith("<") or not old[cp]:
        return None
    res = []
    for part in d.split():
        sub = int(part, 16)
        rec = full_nfd(sub, old)
        res.extend(rec if rec else [sub])
    return res


def build(old):
    def cat8(cp):
        return OLD_CATEGORY.get(cp) or unicodedata.category(chr(cp))

    def in8(cp):
        return old[cp] == 1

    t = {}
    t["other"] = ranges(lambda cp: in8(cp) and cat8(cp) in ("Cc", "Cf", "Co", "Cs"))
    t["punct"] = ranges(lambda cp: in8(cp) and cat8(cp).startswith("P"))
    t["mn"] = ranges(lambda cp: in8(cp) and cat8(cp) == "Mn")
    word_extra = set([0x200C, 0x200D]) | set(range(0x24B6, 0x24EA)) | \
        set(range(0x1F130, 0x1F14A)) | set(range(0x1F150, 0x1F16A)) | set(range(0x1F170, 0x1F18A))
    t["word"] = ranges(lambda cp: unicodedata.category(chr(cp))[0] in "LM" or
                       unicodedata.category(chr(cp)) in ("Nd", "Nl", "Pc") or cp in word_extra)
    ccc = []
    for cp in range(MAX_CP):
        c = unicodedata.combining(chr(cp))
        if c:
            if ccc and ccc[-1][1] == cp - 1 and ccc[-1][2] == c:
                ccc[-1] = (ccc[-1][0], cp, c)
            else:
                ccc.append((cp, cp, c))
    t["ccc"] = ccc
    nfd = []
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        d = full_nfd(cp, old)
        if d:
            nfd.append((cp, d))
    t["nfd"] = nfd
    lower = []
    for cp in range(MAX_CP):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        lo = chr(cp).lower()
        if lo != chr(cp):
            lower.append((cp, [ord(x) for x in lo]))
    multi = [cp for cp, l in lower if len(l) != 1]
    assert multi == [0x130], "only U+0130 lower-cases to two code points: %r" % multi
    t["lower"] = lower
    return t


def emit(t, path):
    L = []
    w = L.append
    w("// GENERATED by scripts/gen_unicode_tables.py from Python %s's unicodedata"
      % sys.version.split()[0])
    w("// (Unicode %s; categories as of Unicode 8.0, see the script). Do not edit." %
      unicodedata.unidata_version)
    w('#include "retrieval/transformer/unicode_tables.h"')
    w("")
    w("namespace rg::retrieval::unicode::tables {")
    w("")
    w('const char* const kUnicodeVersion = "%s";' % unicodedata.unidata_version)
    w("")
    for name, key in (("kOther", "other"), ("kPunctuation", "punct"),
                      ("kNonSpacingMark", "mn"), ("kWord", "word")):
        rs = t[key]
        w("const Range %s[] = {" % name)
        for i in range(0, len(rs), 4):
            w("  " + " ".join("{0x%X, 0x%X}," % r for r in rs[i:i + 4]))
        w("};")
        w("const std::size_t %sSize = %d;" % (name, len(rs)))
        w("")
    w("const CccRange kCombiningClass[] = {")
    cc = t["ccc"]
    for i in range(0, len(cc), 4):
        w("  " + " ".join("{0x%X, 0x%X, %d}," % r for r in cc[i:i + 4]))
    w("};")
    w("const std::size_t kCombiningClassSize = %d;" % len(cc))
    w("")
    pool = []
    w("const Mapping kDecomposition[] = {")
    rows = []
    for cp, d in t["nfd"]:
        rows.append("{0x%X, %d, %d}," % (cp, len(pool), len(d)))
        pool.extend(d)
    for i in range(0, len(rows), 4):
        w("  " + " ".join(rows[i:i + 4]))
    w("};")
    w("const std::size_t kDecompositionSize = %d;" % len(t["nfd"]))
    w("const char32_t kDecompositionPool[] = {")
    for i in range(0, len(pool), 8):
        w("  " + " ".join("0x%X," % c for c in pool[i:i + 8]))
    w("};")
    w("")
    w("const SimpleMapping kLower[] = {")
    lows = [(cp, l[0]) for cp, l in t["lower"] if len(l) == 1]
    for i in range(0, len(lows), 4):
        w("  " + " ".join("{0x%X, 0x%X}," % r for r in lows[i:i + 4]))
    w("};")
    w("const std::size_t kLowerSize = %d;" % len(lows))
    w("")
    w("}  // namespace rg::retrieval::unicode::tables")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(L) + "\n")


def check(t, old, path):
    """Compares the generated sets with a dump of HF tokenizers' behaviour."""
    hf = json.load(open(path))

    def in_ranges(rs, cp):
        import bisect
        i = bisect.bisect_right([r[0] for r in rs], cp) - 1
        return i >= 0 and rs[i][0] <= cp <= rs[i][1]
    cps = [cp for cp in range(MAX_CP) if not 0xD800 <= cp <= 0xDFFF]
    removed = set(cp for cp in cps if cp in (0, 0xFFFD) or
                  (chr(cp) not in "\t\n\r" and in_ranges(t["other"], cp)))
    print("clean_text removes: %d differences" % len(removed ^ set(hf["removed"])))
    ascii_p = set(ord(c) for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    punct = set(cp for cp in cps if cp in ascii_p or in_ranges(t["punct"], cp))
    print("punctuation: %d differences" % len(punct ^ set(hf["punct"])))
    nfd = dict(t["nfd"])
    strip = {}
    for cp in cps:
        d = nfd.get(cp, [cp])
        if 0xAC00 <= cp <= 0xD7A3:
            s = cp - 0xAC00
            d = [0x1100 + s // 588, 0x1161 + (s % 588) // 28] + ([0x11A7 + s % 28] if s % 28 else [])
        r = "".join(chr(c) for c in d if not in_ranges(t["mn"], c))
        if r != chr(cp):
            strip[cp] = r
    hs = {int(k): v for k, v in hf["strip"].items()}
    diff = [hex(k) for k in set(strip) | set(hs) if strip.get(k) != hs.get(k)]
    print("strip_accents: %d differences %s" % (len(diff), diff[:20]))
    low = {cp: "".join(chr(c) for c in l) for cp, l in t["lower"]}
    hl = {int(k): v for k, v in hf["lower"].items()}
    diff = [hex(k) for k in set(low) | set(hl) if low.get(k) != hl.get(k)]
    print("lowercase: %d differences %s" % (len(diff), diff[:20]))


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "retrieval", "transformer",
                                                  "unicode_tables.cc"))
    ap.add_argument("--check", help="HF behaviour dump (JSON) to compare against")
    args = ap.parse_args()
    old = present_in_8()
    t = build(old)
    emit(t, args.out)
    print("wrote %s (Unicode %s): other %d, punct %d, Mn %d, word %d ranges; ccc %d; "
          "nfd %d; lower %d" % (args.out, unicodedata.unidata_version, len(t["other"]),
                                len(t["punct"]), len(t["mn"]), len(t["word"]), len(t["ccc"]),
                                len(t["nfd"]), len(t["lower"])))
    if args.check:
        check(t, old, args.check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
