#!/usr/bin/env python3
"""Trains small tokenizers with HF `tokenizers` on a corpus this script makes
itself, and records HF's ids and decoded text on thousands of test strings, for
tests/gpu/tokenizer/tokenizer_check.cc (llm/local/tokenizer/ must agree).

Six tokenizers, one folder each (tokenizer.json, tokenizer_config.json,
cases.jsonl; the line format is in tests/gpu/tokenizer/hf_cases.h):
  llama3   byte-level BPE, Split(Llama 3 pattern) + ByteLevel(use_regex=False),
           ignore_merges, specials added after the vocabulary, bos by
           TemplateProcessing (after a ByteLevel post-processor, as Llama 3.1)
  qwen2    the same with the Qwen2 pattern (single digits) and Qwen2's NFC
           normalizer, no bos
  gpt2     ByteLevel(use_regex=True) alone, <|endoftext|>, an lstrip <mask>
  spm      SentencePiece-style BPE: normalizer Prepend+Replace U+2581, byte
           fallback <0x00>..<0xFF> at ids 3..258, unk, decoder Replace /
           ByteFallback / Fuse / Strip (Llama 2's tokenizer.json)
  spm_first  the same vocabulary declared as newer conversions do (transformers'
           LlamaConverter with legacy=False): normalizer null, pre-tokenizer
           Metaspace(prepend_scheme="first", split=False), decoder Replace /
           ByteFallback / Fuse / Strip; plus a non-special added token <tool>
  spm_always Metaspace(prepend_scheme="always", split=True), decoder
           Metaspace(always) / ByteFallback / Fuse; <tool> too

  python3 make_tokenizers.py --out DIR [--cases 3000] [--vocab 2000] [--unicode-dump FILE]
                             [--sample DIR --sample-cases 300 --sample-vocab 600 --sample-bytes 300000]

--unicode-dump writes the code points that HF's regex engine (Oniguruma, in
`tokenizers`) puts in \p{L}, \p{N} and \s, as ranges: tokenizer_check
compares our tables with it, and scripts/gen_tokenizer_unicode.py
--from-hf-dump regenerates ours from it if they differ.

--sample writes the same six kinds again, trained smaller and with short
strings, sized to fit --sample-bytes: the copy committed under
tests/data/tokenizer/ so that CI checks exactness without this machine.
"""

import argparse
import json
import os
import random
import sys

import tokenizers
from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models,
                        normalizers, pre_tokenizers, processors, trainers)

LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
          r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
         r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
MARK = "\u2581"

# ---------------------------------------------------------------- text
ENGLISH = ("the quick brown fox jumps over the lazy dog while guardrails check every "
           "turn of a conversation and the model answers questions about the weather "
           "it's they're we've I'm you'll he'd DON'T Can't O'Neil rock'n'roll").split()
CODE = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "if x != None and y >= 3:", "#include <vector>\n", "std::vector<int> v{1, 2, 3};",
        "console.log(`value: ${v}`);", "SELECT * FROM users WHERE id = 42;", "a->b = c[d];",
        "\tindented\ttabs", "    four spaces", "x+=1;y-=2;z**=3", "{\"key\": [1, 2.5, -3e10]}",
        "<div class=\"a\">&nbsp;</div>", "// comment\r\n", "fn main() -> Result<(), E> {}"]
CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切"
CYRILLIC = "Привет мир это проверка токенизатора съешь же ещё этих мягких французских булок".split()
ARABIC = "مرحبا بالعالم هذا اختبار للمحلل اللغوي العربية جميلة".split()
GREEK_ETC = ["Ελληνικά", "עברית", "हिन्दी", "ภาษาไทย", "한국어", "日本語のテキスト", "Tiếng Việt",
             "Ωμέγα", "ſtraße", "ﬁnance", "Ⅻ", "½ ¼ ¾", "①②③", "٣٤٥", "१२३"]
COMBINING = ["e\u0301", "a\u0300\u0301", "n\u0303", "o\u0308\u0304", "\u0915\u094d\u0937",
             "Z\u0351\u036b\u0343\u036a", "\u1100\u1161\u11a8",
             # Text not in NFC (the qwen2 kind normalizes): decomposed accents and
             # Hangul, marks out of canonical order, singletons (Angstrom, Kelvin,
             # Ohm signs), an exclusion (Devanagari nukta), a non-starter
             # decomposition, Hangul LV + T, a starter pair (Oriya).
             "cafe\u0301 nai\u0308ve", "Tie\u0302\u0301ng Vie\u0323\u0302t", "A\u030Angstro\u0308m",
             "\u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165", "a\u0307\u0323", "a\u0323\u0307",
             "\u212B \u212A \u2126", "\u0915\u093C", "\u1E9B\u0323", "\u0344", "\uAC00\u11A8",
             "\u0B47\u0B3E", "\u0391\u0301\u03B9\u0308\u0301", "\u304B\u3099\u306F\u309A",
             "e\u0301\u0301\u0327", "\u0301leading mark"]
EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "🇫🇷", "👩🏾‍💻", "🤷‍♀️", "✅", "🦀", "🙂🙃",
         "☃", "💯", "🧑‍🤝‍🧑"]
SPACES = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "\u00a0", "\u3000",
          "\u2003", "\u2028", " \t ", "\n\n\n    ", "\x0b", "\x0c", "\u0085"]
PUNCT = list(".,;:!?-()[]{}\"'`~@#$%^&*_+=|\\/<>…—–«»¿¡") + ["...", "!!", "?!", "''", "--"]


def rand_digits(rng):
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 14)))


def rand_codepoint_text(rng):
    """A few random assigned-ish code points from blocks HF and we must agree on."""
    blocks = [(0x00A0, 0x024F), (0x0370, 0x052F), (0x0590, 0x06FF), (0x0900, 0x0DFF),
              (0x0E00, 0x0EFF), (0x1100, 0x11FF), (0x1E00, 0x1FFF), (0x2000, 0x2BFF),
              (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF00, 0xFFEF),
              (0x1D400, 0x1D7FF), (0x1F300, 0x1FAFF), (0x10000, 0x1007F), (0x20000, 0x2A6DF)]
    out = []
    for _ in range(rng.randint(1, 6)):
        lo, hi = rng.choice(blocks)
        out.append(chr(rng.randint(lo, hi)))
    return "".join(out)


def pieces(rng, specials):
    """One random piece of text of a random category."""
    k = rng.random()
    if k < 0.25:
        w = rng.choice(ENGLISH)
        return w.capitalize() if rng.random() < 0.2 else (w.upper() if rng.random() < 0.05 else w)
    if k < 0.33:
        return rng.choice(CODE)
    if k < 0.41:
        return rand_digits(rng)
    if k < 0.52:
        return rng.choice(SPACES)
    if k < 0.58:
        return "".join(rng.choice(CJK) for _ in range(rng.randint(1, 8)))
    if k < 0.63:
        return rng.choice(CYRILLIC)
    if k < 0.67:
        return rng.choice(ARABIC)
    if k < 0.71:
        return rng.choice(GREEK_ETC)
    if k < 0.74:
        return rng.choice(COMBINING)
    if k < 0.80:
        return rng.choice(EMOJI)
    if k < 0.88:
        return rng.choice(PUNCT)
    if k < 0.92:
        return rand_codepoint_text(rng)
    if k < 0.96 and specials:
        return rng.choice(specials)
    return rng.choice(["'s", "'T", "'re", "'VE", "'m", "'Ll", "'d", "'x", "n't", "'ſ"])


def corpus(rng, lines):
    out = []
    for _ in range(lines):
        parts = []
        for _ in range(rng.randint(5, 40)):
            parts.append(pieces(rng, []))
            if rng.random() < 0.6:
                parts.append(" ")
        out.append("".join(parts))
    # Plenty of plain prose so that merges exist for common words.
    for _ in range(lines):
        out.append(" ".join(rng.choice(ENGLISH) for _ in range(rng.randint(5, 25))))
    return out


def test_strings(rng, n, specials, max_parts):
    out = ["", " ", "  ", "\n", "hello", " hello", "hello ", "1234567890", "\n\n  x",
           "I'm you'RE", "😀", "👨‍👩‍👧‍👦", "a\u0301", "你好世界"]
    out += [s + " between" + s for s in specials]
    # Text right after an added token (Metaspace "first" vs "always").
    out += [s + "word " + s + "after" for s in specials] + ["  x" + s + " y" for s in specials]
    while len(out) < n:
        parts = [pieces(rng, specials) for _ in range(rng.randint(1, max_parts))]
        sep = rng.choice(["", " ", " ", "\n"])
        out.append(sep.join(parts))
    return out[:n]


# ---------------------------------------------------------------- tokenizers
def byte_level(kind, train_lines, vocab):
    tok = Tokenizer(models.BPE())
    if kind == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        pattern = LLAMA3 if kind == "llama3" else QWEN2
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    if kind == "qwen2":
        tok.normalizer = normalizers.NFC()  # as Qwen2's tokenizer.json declares
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=2, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(train_lines, trainer=trainer)
    j = json.loads(tok.to_str())
    if kind == "llama3":
        j["model"]["ignore_merges"] = True
    tok = Tokenizer.from_str(json.dumps(j))
    config = {}
    if kind == "llama3":
        specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                    "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>"]
        tok.add_special_tokens(specials)
        tok.add_tokens(["<tool>"])  # a non-special added token (normalized=True)
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                          pair="<|begin_of_text|> $A <|begin_of_text|> $B",
                                          special_tokens=[("<|begin_of_text|>", bos)])])
        config = {"add_bos_token": True, "bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}
        embedded = specials + ["<tool>"]
    elif kind == "qwen2":
        specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
        tok.add_special_tokens(specials)
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        config = {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                  "add_bos_token": False}
        embedded = specials
    else:
        tok.add_special_tokens(["<|endoftext|>"])
        tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
        tok.post_processor = processors.ByteLevel(trim_offsets=True)
        config = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}
        embedded = ["<|endoftext|>", "<mask>"]
    return tok, config, embedded


def sentencepiece(train_lines, vocab, style="legacy"):
    # Train on U+2581-marked words (as SentencePiece does), then save the
    # Llama 2 layout: no pre-tokenizer, the normalizer does the marking
    # (style "legacy"), or no normalizer and a Metaspace pre-tokenizer
    # ("first", "always"; see the module docstring).
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=MARK, prepend_scheme="always", split=True)
    trainer = trainers.BpeTrainer(vocab_size=vocab - 256, min_frequency=2, show_progress=False,
                                  special_tokens=["<unk>", "<s>", "</s>"], limit_alphabet=200)
    tok.train_from_iterator(train_lines, trainer=trainer)
    j = json.loads(tok.to_str())
    old = sorted(j["model"]["vocab"].items(), key=lambda kv: kv[1])
    new_vocab = {}
    for t, i in old:
        if i < 3:
            new_vocab[t] = i
    for b in range(256):
        new_vocab["<0x%02X>" % b] = 3 + b
    for t, i in old:
        if i >= 3 and t not in new_vocab:
            new_vocab[t] = len(new_vocab)
    j["model"]["vocab"] = new_vocab
    j["model"]["byte_fallback"] = True
    j["model"]["fuse_unk"] = True
    j["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": MARK},
        {"type": "Replace", "pattern": {"String": " "}, "content": MARK}]}
    j["pre_tokenizer"] = None
    j["decoder"] = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": MARK}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    j["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    for a in j["added_tokens"]:
        a["normalized"] = False
    if style != "legacy":
        j["normalizer"] = None
    tok = Tokenizer.from_str(json.dumps(j))
    config = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>",
              "eos_token": "</s>", "unk_token": "<unk>"}
    embedded = ["<s>", "</s>", "<unk>"]
    if style == "first":
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=MARK, prepend_scheme="first",
                                                     split=False)
    elif style == "always":
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=MARK, prepend_scheme="always",
                                                     split=True)
        tok.decoder = decoders.Sequence([
            decoders.Metaspace(replacement=MARK, prepend_scheme="always", split=True),
            decoders.ByteFallback(), decoders.Fuse()])
    if style != "legacy":
        tok.add_tokens(["<tool>"])  # non-special, normalized=True
        config["legacy"] = False
        embedded.append("<tool>")
    return tok, config, embedded


def write(folder, tok, config, strings, short_keys):
    os.makedirs(folder, exist_ok=True)
    tok.save(os.path.join(folder, "tokenizer.json"), pretty=False)
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False)
    with open(os.path.join(folder, "cases.jsonl"), "w", encoding="utf-8") as f:
        for s in strings:
            ids = tok.encode(s).ids
            rec = {"text": s, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                   "decoded_skip": tok.decode(ids, skip_special_tokens=True)}
            if short_keys:  # absent = equal to text (keeps the committed sample small)
                for k in ("decoded", "decoded_skip"):
                    if rec[k] == s:
                        del rec[k]
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def unicode_dump(path):
    """HF's own classes: split the text of every code point with a regex that
    removes one class; what disappeared is the class (every code point occurs
    once, so no offsets are needed)."""
    cps = [cp for cp in range(1, 0x110000) if not 0xD800 <= cp <= 0xDFFF]
    text = "".join(map(chr, cps))
    out = {"tokenizers": tokenizers.__version__}
    for name, pattern in (("letter", r"\p{L}"), ("number", r"\p{N}"), ("space", r"\s")):
        split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
        kept = set("".join(p for p, _ in split.pre_tokenize_str(text)))
        members = [cp for cp in cps if chr(cp) not in kept]
        ranges = []
        for cp in members:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
        out[name] = ranges
        print(f"unicode dump: {name} {len(members)} code points, {len(ranges)} ranges", file=sys.stderr)
    with open(path, "w") as f:
        json.dump(out, f)


def folder_bytes(folder):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(folder) for f in fs)


def make_all(out, n_cases, vocab, seed, max_parts, short_keys):
    rng = random.Random(seed)
    train = corpus(rng, 3000)
    made = {}
    for kind in ("llama3", "qwen2", "gpt2"):
        made[kind] = byte_level(kind, train, vocab)
    made["spm"] = sentencepiece(train, vocab)
    made["spm_first"] = sentencepiece(train, vocab, "first")
    made["spm_always"] = sentencepiece(train, vocab, "always")
    for kind, (tok, config, specials) in made.items():
        strings = test_strings(random.Random(seed * 31 + len(kind)), n_cases, specials, max_parts)
        write(os.path.join(out, kind), tok, config, strings, short_keys)
        print(f"{kind}: vocab {tok.get_vocab_size()}, {len(strings)} strings -> {out}/{kind}",
              file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--vocab", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--unicode-dump")
    ap.add_argument("--sample")
    ap.add_argument("--sample-cases", type=int, default=300)
    ap.add_argument("--sample-vocab", type=int, default=600)
    ap.add_argument("--sample-bytes", type=int, default=450000)
    a = ap.parse_args()
    print(f"tokenizers {tokenizers.__version__}", file=sys.stderr)
    if a.unicode_dump:
        unicode_dump(a.unicode_dump)
    make_all(a.out, a.cases, a.vocab, a.seed, 12, False)
    if a.sample:
        cases = a.sample_cases
        while True:
            make_all(a.sample, cases, a.sample_vocab, a.seed + 1, 5, True)
            size = folder_bytes(a.sample)
            print(f"sample: {cases} strings each, {size} bytes", file=sys.stderr)
            if size <= a.sample_bytes or cases <= 50:
                break
            cases = int(cases * 0.8)


if __name__ == "__main__":
    main()
