#!/usr/bin/env python3
"""Dumps what HF tokenizers BertNormalizer / BertPreTokenizer do to every code point
(removed by clean_text, mapped to a space, punctuation, whitespace, strip_accents and
lowercase results) as JSON, for scripts/gen_unicode_tables.py --check.
Run where tokenizers is installed: OUT=DIR python3 tests/data/encoder/dump_hf_unicode.py
"""
import unicodedata, json, sys, os
from tokenizers import normalizers, pre_tokenizers
print("unicodedata", unicodedata.unidata_version)
clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
pt = pre_tokenizers.BertPreTokenizer()
out = {"removed": [], "space": [], "punct": [], "ws": [], "strip": {}, "lower": {}}
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF: continue
    c = chr(cp)
    r = clean.normalize_str(c)
    if r == "": out["removed"].append(cp)
    elif r == " ": out["space"].append(cp)
    s = strip.normalize_str(c)
    if s != c: out["strip"][cp] = s
    l = lower.normalize_str(c)
    if l != c: out["lower"][cp] = l
    p = pt.pre_tokenize_str("a" + c + "a")
    if len(p) == 3: out["punct"].append(cp)
    elif len(p) == 2 and p[0][0] == "a" and p[1][0] == "a": out["ws"].append(cp)
json.dump(out, open(os.environ["OUT"] + "/hf_tables.json", "w"))
print({k: len(v) for k, v in out.items()})
