#!/usr/bin/env python3
"""Reference fixtures for railguard's transformer sentence encoder.

Runs where torch, transformers, tokenizers and safetensors are installed (the
GPU machine); railguard's C++ tests only read what it writes.

  python3 tests/data/encoder/make_fixture.py                 # -> tests/data/encoder/tiny/
  python3 tests/data/encoder/make_fixture.py --out DIR       # tiny fixture elsewhere
  python3 tests/data/encoder/make_fixture.py --big --out DIR # all-MiniLM-L6-v2-shaped

Tiny (committed under tests/data/encoder/tiny/, ~100 KB):
  tokenizer.json                    uncased BERT tokenizer (lowercase, accents stripped)
  tokenizer_cased.json              same vocab, lowercase=False (accents kept)
  tokenizer_lower_keep_accents.json lowercase=True, strip_accents=False
  config.json, model.safetensors    random BertModel: hidden 32, 2 layers, 4 heads,
                                    intermediate 64, 64 positions, fixed seed
  expected.json                     HF token ids of ~200 strings for each tokenizer,
                                    ids under truncation to 16, and the mean-pooled
                                    and CLS-pooled L2-normalised fp32 embeddings of
                                    ~20 sentences

Big (--big; not committed, ~90 MB): the same files for a model shaped like
all-MiniLM-L6-v2 (vocab 30522, hidden 384, 6 layers, 12 heads, intermediate
1536, 512 positions), random weights, a synthetic vocabulary, and expected
embeddings of 64 sentences (up to ~250 tokens) computed in fp32 on the CPU.

Weights are drawn with std 1/sqrt(fan_in) (LayerNorm gains 1 +- 0.1) rather
than BERT's 0.02 so that attention is far from uniform and every part of the
forward pass shows in the output.
"""

import argparse
import json
import os
import random
import sys


def build_tiny_vocab():
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ascii_punct = [chr(c) for c in list(range(33, 48)) + list(range(58, 65)) +
                   list(range(91, 97)) + list(range(123, 127))]
    digits = [str(d) for d in range(10)]
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    cont_letters = ["##" + c for c in letters]
    words = """the a an is are was be to of and in on at it this that what how who
    why can could would i you we they he she me my your do does did not no yes
    please help hello hi hey world good morning night evening thank thanks bye
    weather today tomorrow rain sun user bot express greeting ask about tell
    play run walk talk un ##aff ##able ##ing ##ed ##s ##er ##ly ##ness ##ion
    cafe naive resume uber angstrom zurich sao paulo
    привет мир москва да нет
    ελληνικα αθηνα καλημερα""".split()
    cased = ["Hello", "World", "The", "I", "Paris", "NVIDIA", "GPU", "##PU", "##U",
             "A", "B", "C", "H", "W", "##E", "##L", "##O", "##R", "##D"]
    accented = ["é", "è", "ê", "ü", "ö", "ñ", "ç", "å", "ø", "ß", "##é", "##ü", "##ñ",
                "café", "naïve", "résumé", "über", "São", "Zürich", "Ångström",
                "é", "##è", "##ö", "##ç"]
    greek_cyr = ["α", "β", "γ", "δ", "ε", "λ", "##λ", "##α", "##ε", "Σ", "σ", "ς",
                 "п", "р", "и", "в", "е", "т", "##р", "##и", "##в", "##е", "##т", "М", "И", "Р"]
    cjk = ["中", "文", "日", "本", "人", "你", "好", "世", "界", "学", "生", "大"]
    kana = ["こんにちは", "こ", "##ん", "##に", "##ち", "##は", "カタカナ"]
    uni_punct = ["¿", "¡", "«", "»", "—", "–", "…", "“", "”", "‘", "’", "。", "、",
                 "！", "，", "？", "·", "§", "¶"]
    symbols = ["€", "£", "¥", "©", "°", "±", "×", "##€"]
    vocab = []
    seen = set()
    for tok in (special + ascii_punct + digits + letters + cont_letters + words + cased +
                accented + greek_cyr + cjk + kana + uni_punct + symbols):
        if tok not in seen:
            seen.add(tok)
            vocab.append(tok)
    return vocab


def build_big_vocab(size=30522):
    vocab = build_tiny_vocab()
    seen = set(vocab)
    # [unused*] like BERT's vocab, then syllable words and their ## forms.
    for i in range(50):
        t = "[unused%d]" % i
        seen.add(t)
        vocab.append(t)
    cons = "bcdfghjklmnpqrstvwxyz"
    vows = "aeiou"
    syll = [c + v for c in cons for v in vows] + [v + c for v in vows for c in cons]
    rng = random.Random(7)
    n = 0
    while len(vocab) < size:
        k = 1 + (n % 3)
        w = "".join(rng.choice(syll) for _ in range(k))
        n += 1
        for t in (w, "##" + w):
            if t not in seen and len(vocab) < size:
                seen.add(t)
                vocab.append(t)
    return vocab


def make_tokenizer(vocab, lowercase, strip_accents, max_chars=100):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    ids = {t: i for i, t in enumerate(vocab)}
    tok = Tokenizer(models.WordPiece(vocab=ids, unk_token="[UNK]",
                                     max_input_chars_per_word=max_chars))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=strip_accents,
                                                lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])])
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    return tok


def tokenizer_strings(vocab, seed=1234):
    s = [
        "", " ", "   \t\n  ", "hello", "Hello, WORLD!", "Héllo, WORLD!", "hello world",
        "unaffable", "playing played plays player", "UNAFFABLE", "Unaffable!",
        "café naïve résumé über", "CAFÉ NAÏVE RÉSUMÉ ÜBER", "Ångström in Zürich",
        "São Paulo", "sao paulo", "ÀÁÂÃÄÅ àáâãäå ÈÉÊË", "ñandú piñata", "Straße",
        "ﬁne ﬂow", "Ǆ ǅ ǆ", "İstanbul", "ISTANBUL ıi", "ΑΘΗΝΑ Αθήνα",
        "Ελληνικά: καλημέρα!", "ΣΟΦΟΣ σοφός", "Привет, МИР!", "Москва — да/нет?",
        "Ёлка й Й", "中文", "我爱北京天安门", "日本人", "你好，世界！", "大学生。",
        "hello中文world", "中 文", "こんにちは", "カタカナ", "안녕하세요", "한국어 텍스트",
        "¿Qué tal? ¡Muy bien!", "«quoted» “curly” ‘single’", "wait… what—no – maybe",
        "a.b,c;d:e!f?g", "(parens) [brackets] {braces}", "$100 + 5% = ~€105 ^_^",
        "email@example.com", "http://example.com/path?q=1&r=2#frag", "C++ & C#",
        "don't won't it's", "rock'n'roll", "\"double\" 'single' `back`", "a/b\\c|d",
        "100€ 5£ ¥20 ©2024 25° ±3 2×3", "§1 ¶2 ·dot",
        "tab\tseparated\twords", "new\nlines\r\nhere", "nbsp\u00a0space", "ideo\u3000space",
        "zero\u200bwidth", "soft\u00adhyphen", "ctrl\x07bell\x00nul", "repl\ufffdchar",
        "\x0bvt\x0cff", "line\u2028sep\u2029para", "next\x85line", "bom\ufeffhere",
        "emoji 😀 👍🏽 ❤️", "🇫🇷", "math 𝐀𝐁𝐂", "ａｂｃ ＡＢＣ １２３", "Ⅻ ⅻ", "ⓐⓑ Ⓐ",
        "e\u0301 vs é", "a\u0308\u0301", "n\u0303", "\u0301alone", "x\u20dd",
        "क्षत्रिय हिन्दी", "العربية مرحبا", "עברית", "ไทย", "Tiếng Việt có dấu",
        "Ǻ ǻ Ḁ ḁ Ṩ ṩ", "ŁÓDŹ łódź", "ØRESUND øresund", "ÆØÅ æøå", "Œuvre œuvre",
        "Kelvin K sign", "Ω ohm Ω omega", "Å angstrom Å", "ﬃ ligature",
        "hello [MASK] world", "[CLS] already [SEP]", "[mask] lower", "[UNK]x",
        "the the the the the", "a" * 99, "a" * 100, "a" * 101, "b" * 150,
        "é" * 100, "é" * 101, "x" + "y" * 120 + " ok", "word " * 30,
        "supercalifragilisticexpialidocious", "antidisestablishmentarianism",
        "1234567890 3.14159 1,000,000", "mixed123abc ABC123def", "NVIDIA GPU gpu Gpu",
        "The Paris I A B C", "HELLO hello Hello hElLo", "ﬀ", "ǲ", "ẞ ß", "Ϊ ϊ ΰ",
        "ЍЀЁЂ ѝѐёђ", "Ӂ ӂ Ӑ ӑ", "힣ᄀ", "Ａ",
    ]
    # Random strings over a pool that mixes every class the tokenizer treats
    # differently, deterministic for a given seed.
    pool = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") +
            list("éèêëüöñçåøßÉÈÜÖÑÇÅØàáâãäÀÁÂÃÄ") + list("αβγδελσςΣΑΘΗΝάέήίόύώ") +
            list("привеПРИВЕЁёйЙ") + list("中文日本人你好世界学生大") + list("こんにちはカタ") +
            list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + list("¿¡«»—–…“”‘’。、！，？·§¶") +
            list("€£¥©°±×") + [" "] * 12 + ["\t", "\n", "\u00a0", "\u3000", "\u200b", "\x00",
                                              "\u0301", "\u0308", "\ufffd", "😀"])
    words = [w for w in vocab if not w.startswith("[") and not w.startswith("##")]
    rng = random.Random(seed)
    for i in range(60):
        n = rng.randint(1, 40)
        s.append("".join(rng.choice(pool) for _ in range(n)))
    for i in range(50):
        n = rng.randint(1, 12)
        parts = []
        for _ in range(n):
            w = rng.choice(words)
            r = rng.random()
            if r < 0.2:
                w = w.upper()
            elif r < 0.35:
                w = w.capitalize()
            elif r < 0.45:
                w = w + rng.choice(words)
            parts.append(w)
            parts.append(rng.choice([" ", " ", " ", ", ", ". ", "!", "", "-", " — "]))
        s.append("".join(parts))
    return s


SENTENCES = [
    "hello",
    "Hello, WORLD!",
    "how are you today?",
    "what is the weather tomorrow",
    "please help me",
    "good morning, bot",
    "thank you! bye",
    "user express greeting",
    "tell me about the weather in Paris",
    "café naïve résumé",
    "中文 日本人 你好",
    "Привет, мир!",
    "Ελληνικά καλημέρα",
    "unaffable playing players",
    "",
    "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    "NVIDIA GPU is good",
    "the " * 20,
    "yes no yes no, can you do it? i can not",
    "¿Qué tal? €100 — 25° 2×3",
]


def random_init(model, seed):
    import torch
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or "layer_norm" in name:
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "embeddings" in name:
                p.copy_(torch.randn(p.shape, generator=g))
            elif name.endswith("weight"):
                p.copy_(torch.randn(p.shape, generator=g) / (p.shape[1] ** 0.5))
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))


def embed(model, tok, sentences, max_length):
    import torch
    tok.no_padding()
    tok.enable_truncation(max_length=max_length)
    encs = [tok.encode(s) for s in sentences]
    tok.no_truncation()
    n = max(len(e.ids) for e in encs)
    ids = torch.zeros(len(encs), n, dtype=torch.long)
    mask = torch.zeros(len(encs), n, dtype=torch.long)
    for i, e in enumerate(encs):
        ids[i, :len(e.ids)] = torch.tensor(e.ids)
        mask[i, :len(e.ids)] = 1
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask,
                    token_type_ids=torch.zeros_like(ids)).last_hidden_state
    m = mask.unsqueeze(-1).to(out.dtype)
    mean = (out * m).sum(1) / m.sum(1).clamp(min=1e-9)
    mean = torch.nn.functional.normalize(mean, p=2, dim=1)
    cls = torch.nn.functional.normalize(out[:, 0], p=2, dim=1)
    return [e.ids for e in encs], mean.tolist(), cls.tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", action="store_true", help="all-MiniLM-L6-v2-shaped model")
    ap.add_argument("--out", default=None, help="output folder (default: tests/data/encoder/tiny)")
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()

    import safetensors
    import tokenizers
    import torch
    import transformers
    from transformers import BertConfig, BertModel

    here = os.path.dirname(os.path.abspath(__file__))
    out = args.out or os.path.join(here, "big" if args.big else "tiny")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    if args.big:
        vocab = build_big_vocab()
        cfg = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                   intermediate_size=1536, max_position_embeddings=512)
    else:
        vocab = build_tiny_vocab()
        cfg = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                   intermediate_size=64, max_position_embeddings=64)

    variants = {
        "tokenizer.json": make_tokenizer(vocab, lowercase=True, strip_accents=None),
    }
    if not args.big:
        variants["tokenizer_cased.json"] = make_tokenizer(vocab, lowercase=False,
                                                          strip_accents=None)
        variants["tokenizer_lower_keep_accents.json"] = make_tokenizer(vocab, lowercase=True,
                                                                       strip_accents=False)
    for fname, tok in variants.items():
        tok.save(os.path.join(out, fname))
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")

    config = BertConfig(vocab_size=len(vocab), type_vocab_size=2, hidden_act="gelu",
                        layer_norm_eps=1e-12, pad_token_id=0, **cfg)
    model = BertModel(config, add_pooling_layer=False)
    random_init(model, args.seed)
    model.eval()
    model.save_pretrained(out)
    # save_pretrained writes config.json and model.safetensors; check both.
    assert os.path.exists(os.path.join(out, "model.safetensors")), "no model.safetensors written"

    expected = {
        "generator": "tests/data/encoder/make_fixture.py" + (" --big" if args.big else ""),
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                     "torch": torch.__version__, "safetensors": safetensors.__version__,
                     "python_unicodedata": __import__("unicodedata").unidata_version},
        "seed": args.seed,
        "special_tokens_included": True,
        "tokenizers": {},
    }

    if not args.big:
        strings = tokenizer_strings(vocab)
        for fname, tok in variants.items():
            tok.no_truncation()
            tok.no_padding()
            rows = []
            for s in strings:
                e = tok.encode(s)
                rows.append({"text": s, "ids": e.ids, "type_ids": e.type_ids})
            expected["tokenizers"][fname] = rows
        tok = variants["tokenizer.json"]
        tok.enable_truncation(max_length=16)
        expected["truncation"] = {
            "tokenizer": "tokenizer.json", "max_length": 16,
            "cases": [{"text": s, "ids": tok.encode(s).ids} for s in strings],
        }
        tok.no_truncation()
        sentences = SENTENCES
        max_length = cfg["max_position_embeddings"]
    else:
        rng = random.Random(args.seed)
        words = [w for w in vocab[:400] if not w.startswith("[") and not w.startswith("##")]
        sentences = list(SENTENCES)
        while len(sentences) < 64:
            n = rng.choice([3, 8, 15, 30, 60, 120, 200])
            sentences.append(" ".join(rng.choice(words) for _ in range(n)))
        max_length = 256  # sentence-transformers' max_seq_length for all-MiniLM-L6-v2

    tok = variants["tokenizer.json"]
    ids, mean, cls = embed(model, tok, sentences, max_length)
    # Each sentence alone too: padding must not change a sentence's vector.
    alone_err = 0.0
    for i, s in enumerate(sentences):
        _, m1, _ = embed(model, tok, [s], max_length)
        alone_err = max(alone_err, max(abs(a - b) for a, b in zip(m1[0], mean[i])))
    expected["embeddings"] = {
        "tokenizer": "tokenizer.json", "max_length": max_length, "dtype": "float32",
        "token_type_ids": "zeros", "max_abs_diff_alone_vs_batched": alone_err,
        "sentences": [{"text": s, "ids": i_, "mean": m, "cls": c}
                      for s, i_, m, c in zip(sentences, ids, mean, cls)],
    }
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    n_tok = sum(len(v) for v in expected["tokenizers"].values())
    print("wrote %s: vocab %d, %d tokenizer cases, %d sentences, alone-vs-batched %.2e"
          % (out, len(vocab), n_tok, len(sentences), alone_err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
