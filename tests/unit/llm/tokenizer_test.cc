// tests/unit/llm/tokenizer_test.cc: llm/local/tokenizer/ on handmade
// tokenizer.json files (byte-level BPE with merges, SentencePiece BPE with byte
// fallback, declared by the legacy normalizer or by a Metaspace pre-tokenizer), the pre-tokenizer scanner on tricky strings, special tokens,
// decoding and streaming, errors; then, when tests/data/tokenizer/ holds HF's
// recorded sample (scripts/gpu_tokenizer_check.sh), exactness against HF.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/local/tokenizer/internal/pre_tokenizer.h"
#include "llm/local/tokenizer/tokenizer.h"
#include "llm/local/tokenizer/unicode_nfc.h"
#include "tests/gpu/tokenizer/hf_cases.h"
#include "tests/unit/llm/llama3_pre_tokenizer_json.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace rg::llm::local;

namespace {

// GPT-2's byte alphabet, written out independently of byte_level.cc.
std::string byte_char(int b) {
  bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  int cp = b;
  if (!printable) {
    int n = 0;
    for (int x = 0; x < b; ++x) {
      bool p = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
      if (!p) ++n;
    }
    cp = 0x100 + n;
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("rg_tokenizer_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::create_directories((path / name).parent_path());
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

// Byte-level BPE, Llama-3 style: 256 byte tokens, a few merges, specials.
json byte_level_json(bool ignore_merges = false) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_char(b)] = b;
  std::vector<std::string> merges = {"h e", "l l", "he ll", "hell o", "Ġ w", "o r",
                                     "Ġw or", "l d", "Ġwor ld", "Ġ t", "Ġt he"};
  int next = 256;
  for (const std::string& m : merges) {
    std::size_t sp = m.find(' ');
    vocab[m.substr(0, sp) + m.substr(sp + 1)] = next++;
  }
  vocab["world"] = next++;  // reachable only with ignore_merges (no "wor" merge)
  json added = json::array();
  added.push_back({{"id", 300}, {"content", "<|begin_of_text|>"}, {"special", true},
                   {"normalized", false}, {"lstrip", false}, {"rstrip", false}, {"single_word", false}});
  added.push_back({{"id", 301}, {"content", "<|eot_id|>"}, {"special", true}, {"normalized", false}});
  added.push_back({{"id", 302}, {"content", "<|end_of_text|>"}, {"special", true}, {"normalized", false}});
  for (int i = next; i < 300; ++i) vocab["<pad" + std::to_string(i) + ">"] = i;
  return {
      {"version", "1.0"},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer", rg::test::llama3_pre_tokenizer_json()},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", "<|begin_of_text|>"}, {"type_id", 0}}}},
                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"special_tokens", {{"<|begin_of_text|>", {{"id", "<|begin_of_text|>"}, {"ids", {300}},
                                                   {"tokens", {"<|begin_of_text|>"}}}}}}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"ignore_merges", ignore_merges},
                 {"byte_fallback", false}, {"fuse_unk", false}, {"dropout", nullptr}}}};
}

// SentencePiece-style BPE, Llama-2 style.
json sentencepiece_json() {
  json vocab = json::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    vocab[hex] = 3 + b;
  }
  int next = 259;
  for (std::string c : {"\xE2\x96\x81", "h", "e", "l", "o", "w", "r", "d", "a", "b"}) vocab[c] = next++;
  std::vector<std::string> merges = {"\xE2\x96\x81 h", "e l", "\xE2\x96\x81h el", "l o", "\xE2\x96\x81hel lo",
                                     "\xE2\x96\x81 w", "o r", "\xE2\x96\x81w or", "l d", "\xE2\x96\x81wor ld"};
  for (const std::string& m : merges) {
    std::size_t sp = m.find(' ');
    vocab[m.substr(0, sp) + m.substr(sp + 1)] = next++;
  }
  json added = json::array();
  int i = 0;
  for (const char* n : {"<unk>", "<s>", "</s>"})
    added.push_back({{"id", i++}, {"content", n}, {"special", true}, {"normalized", false}});
  const char* mark = "\xE2\x96\x81";
  return {
      {"added_tokens", added},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers", {{{"type", "Prepend"}, {"prepend", mark}},
                         {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", mark}}}}}},
      {"pre_tokenizer", nullptr},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
        {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders", {{{"type", "Replace"}, {"pattern", {{"String", mark}}}, {"content", " "}},
                      {{"type", "ByteFallback"}},
                      {{"type", "Fuse"}},
                      {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}, {"unk_token", "<unk>"},
                 {"byte_fallback", true}, {"fuse_unk", true}, {"dropout", nullptr}}}};
}

// The same vocabulary declared the newer way: no normalizer, a Metaspace
// pre-tokenizer. decoder: "llama" (Replace/ByteFallback/Fuse, plus Strip unless
// the scheme is never: transformers' LlamaConverter) or "metaspace"
// (Metaspace, ByteFallback, Fuse). Extra tokens: "a▁" (a merge across a U+2581,
// ranked first, so that split matters), "▁▁", and a non-special added "<x>".
json metaspace_json(const std::string& scheme, bool split, const std::string& decoder) {
  const char* mark = "\xE2\x96\x81";
  json j = sentencepiece_json();
  json& vocab = j["model"]["vocab"];
  int next = static_cast<int>(vocab.size());
  vocab["a\xE2\x96\x81"] = next++;
  vocab["\xE2\x96\x81\xE2\x96\x81"] = next++;
  vocab["<x>"] = next;
  json merges = json::array({"a \xE2\x96\x81"});
  for (const auto& m : j["model"]["merges"]) merges.push_back(m);
  merges.push_back("\xE2\x96\x81 \xE2\x96\x81");
  j["model"]["merges"] = merges;
  j["added_tokens"].push_back({{"id", next}, {"content", "<x>"}, {"special", false}, {"normalized", true}});
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", mark}, {"prepend_scheme", scheme},
                        {"split", split}};
  json steps = json::array();
  if (decoder == "metaspace")
    steps.push_back({{"type", "Metaspace"}, {"replacement", mark}, {"prepend_scheme", scheme}, {"split", split}});
  else
    steps.push_back({{"type", "Replace"}, {"pattern", {{"String", mark}}}, {"content", " "}});
  steps.push_back({{"type", "ByteFallback"}});
  steps.push_back({{"type", "Fuse"}});
  if (decoder == "llama" && scheme != "never")
    steps.push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  j["decoder"] = {{"type", "Sequence"}, {"decoders", steps}};
  return j;
}

std::shared_ptr<const Tokenizer> load(const TempDir& d, const std::string& name, const json& j) {
  d.write(name + "/tokenizer.json", j.dump(1));
  return Tokenizer::create(tokenizer_spec_from_hf((d.path / name).string()));
}

std::vector<std::string> split(PreTokenizerKind k, std::string_view text) {
  std::vector<std::string_view> pieces;
  pre_tokenize(k, text, pieces);
  return {pieces.begin(), pieces.end()};
}

std::vector<std::string> tokens_of(const Tokenizer& t, const std::vector<std::int32_t>& ids) {
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(t.spec().tokens.at(id));
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("pre-tokenizer: llama3 split rule") {
  auto L = PreTokenizerKind::kLlama3;
  CHECK(split(L, "Hello world") == V{"Hello", " world"});
  CHECK(split(L, "I'm don't YOU'LL 'sup") == V{"I", "'m", " don", "'t", " YOU", "'LL", " '", "sup"});
  CHECK(split(L, "1234567") == V{"123", "456", "7"});
  CHECK(split(L, "\n\n  x") == V{"\n\n", " ", " x"});
  CHECK(split(L, "  \nabc") == V{"  \n", "abc"});
  CHECK(split(L, "a  ") == V{"a", "  "});
  CHECK(split(L, "a  b") == V{"a", " ", " b"});
  CHECK(split(L, "x  5") == V{"x", " ", " ", "5"});
  CHECK(split(L, "Hello!!\n\nWorld") == V{"Hello", "!!\n\n", "World"});
  CHECK(split(L, "\tfoo") == V{"\tfoo"});
  CHECK(split(L, "(x)=>{}") == V{"(x", ")=>{}"});
  // CJK and Cyrillic/Arabic letters, an emoji with a skin-tone modifier (So + Sk: "other").
  CHECK(split(L, "你好世界 Привет مرحبا") == V{"你好世界", " Привет", " مرحبا"});
  CHECK(split(L, "👋🏽 hi👍") == V{"👋🏽", " hi", "👍"});
  // Combining acute (Mn, "other") splits the word; full-width digits are N.
  CHECK(split(L, "cafe\xCC\x81 １２３４") == V{"cafe", "\xCC\x81", " ", "１２３", "４"});
  CHECK(split(L, "") == V{});
}

TEST_CASE("pre-tokenizer: gpt2 and qwen2 split rules") {
  auto G = PreTokenizerKind::kGpt2, Q = PreTokenizerKind::kQwen2;
  CHECK(split(G, "I'm YOU'LL") == V{"I", "'m", " YOU", "'", "LL"});
  CHECK(split(G, "\n\n  x") == V{"\n\n ", " x"});
  CHECK(split(G, "1234567 abc") == V{"1234567", " abc"});
  // No [^\r\n...]? prefix in gpt2: the newline before a word stands alone.
  CHECK(split(G, "Hello!!\n\nWorld") == V{"Hello", "!!", "\n", "\n", "World"});
  CHECK(split(G, " !x  ") == V{" !", "x", "  "});
  CHECK(split(Q, "1234 x") == V{"1", "2", "3", "4", " x"});
  CHECK(split(Q, "\n\n  x") == V{"\n\n", " ", " x"});
}

TEST_CASE("byte-level BPE: merges, specials, bos, round trips") {
  TempDir d;
  auto t = load(d, "bl", byte_level_json());
  CHECK(t->vocab_size() == 303);
  CHECK(t->bos_id() == 300);
  CHECK(t->eos_id() == 302);
  CHECK(t->stop_ids() == std::vector<std::int32_t>{302, 301});
  CHECK(t->is_special(301));
  CHECK_FALSE(t->is_special(5));
  CHECK(t->token_id("Ġworld") > 0);
  CHECK(t->token_id("nope") == -1);

  auto ids = t->encode("hello world");
  CHECK(tokens_of(*t, ids) == V{"<|begin_of_text|>", "hello", "Ġworld"});
  CHECK(t->decode(ids) == "<|begin_of_text|>hello world");
  CHECK(t->decode(ids, true) == "hello world");
  CHECK(tokens_of(*t, t->encode("world", false)) == V{"w", "or", "ld"});

  // Specials in the middle, and as text when not parsed.
  ids = t->encode("hi<|eot_id|>the", false);
  CHECK(tokens_of(*t, ids) == V{"h", "i", "<|eot_id|>", "t", "he"});
  ids = t->encode("a<|eot_id|>", false, false);
  CHECK(tokens_of(*t, ids) == V{"a", "<", "|", "e", "o", "t", "_", "i", "d", "|", ">"});

  for (std::string s : {"", " ", "Hello, world!\n\n\tfoo(1234567)", "你好 мир 🤷‍♀️ é",
                        "  trailing   ", "\xF0\x9F\x98\x80"}) {
    CHECK(t->decode(t->encode(s, false)) == s);
    CHECK(t->decode(t->encode(s)) == "<|begin_of_text|>" + s);
  }

  // ignore_merges: a pre-token in the vocabulary is one token.
  auto t2 = load(d, "bl2", byte_level_json(true));
  CHECK(tokens_of(*t2, t2->encode("world", false)) == V{"world"});
}

TEST_CASE("NFC: the examples of UAX #15, Hangul, and invalid bytes") {
  using rg::llm::local::nfc;
  CHECK(rg::llm::local::nfc_trivially_unchanged("plain ASCII, Latin-1 \xC3\xA9"));
  CHECK_FALSE(rg::llm::local::nfc_trivially_unchanged("e\xCC\x81"));
  CHECK(nfc("cafe\u0301") == "caf\u00E9");                         // compose
  CHECK(nfc("\u00E9") == "\u00E9");                                 // already composed
  CHECK(nfc("\u212B") == "\u00C5");                                 // singleton: Angstrom sign
  CHECK(nfc("\u2126") == "\u03A9");                                 // Ohm sign
  CHECK(nfc("a\u0307\u0323") == "\u1EA1\u0307");                   // reorder, then compose
  CHECK(nfc("a\u0323\u0307") == "\u1EA1\u0307");
  CHECK(nfc("\u1E9B\u0323") == "\u1E9B\u0323");                    // UAX #15's long s example
  CHECK(nfc("\u0915\u093C") == "\u0915\u093C");                    // composition exclusion
  CHECK(nfc("\u0344") == "\u0308\u0301");                           // non-starter decomposition
  CHECK(nfc("\u1100\u1161\u11A8") == "\uAC01");                    // Hangul L V T
  CHECK(nfc("\uAC00\u11A8") == "\uAC01");                           // LV + T
  CHECK(nfc("\u0B47\u0B3E") == "\u0B4B");                           // two starters compose
  CHECK(nfc("e\u0301\u0301") == "\u00E9\u0301");                    // blocked by the same class
  CHECK(nfc("\u0301e") == "\u0301e");                                // leading mark stays
  CHECK(nfc("e\xFF\u0301") == "e\xFF\u0301");                       // invalid byte: a boundary
  CHECK(std::string(rg::llm::local::nfc_unicode_version()).size() >= 4);
}

TEST_CASE("byte-level BPE with an NFC normalizer (Qwen2): decomposed text encodes as composed") {
  TempDir d;
  json j = byte_level_json();
  auto plain = load(d, "plain", j);
  j["normalizer"] = {{"type", "NFC"}};
  auto t = load(d, "nfc", j);
  CHECK(t->spec().nfc);
  CHECK_FALSE(plain->spec().nfc);
  CHECK(t->encode("cafe\u0301 \u212B", false) == t->encode("caf\u00E9 \u00C5", false));
  CHECK(plain->encode("cafe\u0301", false) != plain->encode("caf\u00E9", false));
  // Special tokens are matched in the raw text first, then each side is normalized.
  CHECK(t->encode("e\u0301<|eot_id|>e\u0301", false) == t->encode("\u00E9<|eot_id|>\u00E9", false));
  j["normalizer"] = {{"type", "NFKC"}};
  d.write("nfkc/tokenizer.json", j.dump());
  CHECK_THROWS_WITH(tokenizer_spec_from_hf((d.path / "nfkc").string()), doctest::Contains("normalizer"));
}

TEST_CASE("byte-level decode: invalid UTF-8 becomes U+FFFD per maximal subpart") {
  TempDir d;
  auto t = load(d, "bl", byte_level_json());
  // Bytes F0 9F (a cut emoji) then 'A', then a lone FF.
  std::vector<std::int32_t> ids = {0xF0, 0x9F, 'A', 0xFF};
  CHECK(t->decode(ids) == "\xEF\xBF\xBD" "A" "\xEF\xBF\xBD");
}

TEST_CASE("StreamDecoder holds back partial characters") {
  TempDir d;
  auto t = load(d, "bl", byte_level_json());
  auto ids = t->encode("a😀b", false);
  REQUIRE(ids.size() == 6);  // a, 4 bytes, b
  StreamDecoder s(t);
  std::vector<std::string> out;
  for (auto id : ids) out.push_back(s.push(id));
  CHECK(out == V{"a", "", "", "", "😀", "b"});
  CHECK(s.finish().empty());

  StreamDecoder cut(t);
  CHECK(cut.push(0xF0).empty());
  CHECK(cut.push(0x9F).empty());
  CHECK(cut.push('x') == "\xEF\xBF\xBDx");
  CHECK(cut.push(0xE4).empty());
  CHECK(cut.finish() == "\xEF\xBF\xBD");

  StreamDecoder skip(t, true);
  CHECK(skip.push(300).empty());
  CHECK(skip.push('h') == "h");
}

TEST_CASE("SentencePiece BPE: normalizer, merges, byte fallback, unk, decode") {
  TempDir d;
  auto t = load(d, "sp", sentencepiece_json());
  CHECK(t->spec().kind == TokenizerKind::kSentencePieceBpe);
  CHECK(t->bos_id() == 1);
  CHECK(t->eos_id() == 2);
  auto ids = t->encode("hello world");
  CHECK(tokens_of(*t, ids) == V{"<s>", "▁hello", "▁world"});
  CHECK(t->decode(ids) == "<s> hello world");
  CHECK(t->decode(ids, true) == "hello world");
  // é is not in the vocabulary: its bytes.
  ids = t->encode("hé", false);
  CHECK(tokens_of(*t, ids) == V{"▁h", "<0xC3>", "<0xA9>"});
  CHECK(t->decode(ids) == "hé");
  // Specials inside the text; the piece after one gets its own U+2581 (HF's
  // Prepend normalizer runs on each piece between added tokens).
  ids = t->encode("hello</s>world", false);
  CHECK(tokens_of(*t, ids) == V{"▁hello", "</s>", "▁world"});
  // Invalid byte runs: one U+FFFD per byte (HF's ByteFallback decoder).
  std::vector<std::int32_t> bad = {t->token_id("<0xF0>"), t->token_id("<0x9F>"), t->token_id("▁h")};
  CHECK(t->decode(bad) == "\xEF\xBF\xBD\xEF\xBF\xBD h");

  StreamDecoder s(t);
  std::string streamed;
  for (auto id : t->encode("hello 😀 world", false)) streamed += s.push(id);
  streamed += s.finish();
  CHECK(streamed == "hello 😀 world");

  // Without byte fallback: unknown characters, consecutive ones fused, become <unk>.
  json j = sentencepiece_json();
  j["model"]["byte_fallback"] = false;
  auto t2 = load(d, "sp2", j);
  CHECK(tokens_of(*t2, t2->encode("hézzz", false)) == V{"▁h", "<unk>"});

  // Merge by score (GGUF without merges): scores in merge order give the same ids.
  TokenizerSpec spec = t->spec();
  spec.scores.assign(spec.tokens.size(), -1000.0f);
  for (std::size_t r = 0; r < spec.merges.size(); ++r) {
    std::string m = spec.merges[r];
    std::size_t sp = m.find(' ');
    spec.scores[t->token_id(m.substr(0, sp) + m.substr(sp + 1))] = -static_cast<float>(r);
  }
  spec.merges.clear();
  auto t3 = Tokenizer::create(spec);
  for (std::string text : {"hello world", "hé lo", "worldhello  hello"})
    CHECK(t3->encode(text) == t->encode(text));
}

TEST_CASE("SentencePiece with a Metaspace pre-tokenizer: prepend_scheme first") {
  TempDir d;
  auto t = load(d, "first", metaspace_json("first", false, "llama"));
  CHECK(t->spec().kind == TokenizerKind::kSentencePieceBpe);
  CHECK(t->spec().space_marking == SpaceMarking::kMetaspaceFirst);
  CHECK_FALSE(t->spec().metaspace_split);
  CHECK(t->spec().add_space_prefix);  // the decoder's Strip
  auto ids = t->encode("hello world");
  CHECK(tokens_of(*t, ids) == V{"<s>", "▁hello", "▁world"});
  CHECK(t->decode(ids) == "<s> hello world");
  CHECK(t->decode(ids, true) == "hello world");
  // Only the text at the start of the input gets the U+2581: not the piece
  // after a special or an added token (the difference from "always" and from
  // the legacy normalizer), nor text that starts with a space already.
  CHECK(tokens_of(*t, t->encode("hello</s>world", false)) == V{"▁hello", "</s>", "w", "or", "ld"});
  CHECK(tokens_of(*t, t->encode("</s>hello", false)) == V{"</s>", "h", "el", "lo"});
  CHECK(tokens_of(*t, t->encode("<x>hello", false)) == V{"<x>", "h", "el", "lo"});
  CHECK(tokens_of(*t, t->encode("hello</s> world", false)) == V{"▁hello", "</s>", "▁world"});
  CHECK(tokens_of(*t, t->encode(" hello", false)) == V{"▁hello"});
  auto legacy = load(d, "legacy", sentencepiece_json());
  CHECK(tokens_of(*legacy, legacy->encode(" hello", false)) == V{"▁", "▁hello"});
  CHECK(tokens_of(*legacy, legacy->encode("hello</s>world", false)) == V{"▁hello", "</s>", "▁world"});
  // split=false: one word, so a merge may cross a U+2581 ("a▁").
  CHECK(tokens_of(*t, t->encode("a b", false)) == V{"▁", "a▁", "b"});
  // Byte fallback as before.
  CHECK(tokens_of(*t, t->encode("hé", false)) == V{"▁h", "<0xC3>", "<0xA9>"});

  for (std::string s : {"hello world", "hé lo", "hello<x> world", "worldhello  hello", "😀 a<x>b",
                        "", "a\nb"}) {
    CHECK(t->decode(t->encode(s, false)) == s);
    CHECK(t->decode(t->encode(s), true) == s);
  }
  CHECK(t->decode(t->encode("hello</s>world", false)) == "hello</s>world");
  CHECK(t->decode(t->encode("hello</s>world"), true) == "helloworld");
  // The one leading space goes in decoding (HF's Strip), as with Llama 2.
  CHECK(t->decode(t->encode(" hello", false)) == "hello");

  StreamDecoder st(t, true);
  std::string streamed;
  for (auto id : t->encode("hello 😀</s>world")) streamed += st.push(id);
  streamed += st.finish();
  CHECK(streamed == t->decode(t->encode("hello 😀</s>world"), true));
  CHECK(streamed == "hello 😀world");
}

TEST_CASE("SentencePiece with a Metaspace pre-tokenizer: always, never, split, Metaspace decoder") {
  TempDir d;
  auto t = load(d, "always", metaspace_json("always", true, "metaspace"));
  CHECK(t->spec().space_marking == SpaceMarking::kMetaspaceAlways);
  CHECK(t->spec().metaspace_split);
  CHECK(t->spec().decode_metaspace_first);
  CHECK_FALSE(t->spec().add_space_prefix);  // no Strip in this decoder
  // Every piece between added tokens gets its U+2581.
  CHECK(tokens_of(*t, t->encode("hello</s>world", false)) == V{"▁hello", "</s>", "▁world"});
  CHECK(tokens_of(*t, t->encode("<x>hello", false)) == V{"<x>", "▁hello"});
  CHECK(tokens_of(*t, t->encode(" hello", false)) == V{"▁hello"});
  // split=true: words start at each U+2581, so "a▁" cannot form.
  CHECK(tokens_of(*t, t->encode("a b", false)) == V{"▁", "a", "▁", "b"});
  CHECK(tokens_of(*t, t->encode("  hello", false)) == V{"▁", "▁hello"});
  CHECK(tokens_of(*t, t->encode("a  b", false)) == V{"▁", "a", "▁", "▁", "b"});

  // Metaspace decoder: the first token (after skipped specials) loses all its
  // U+2581; every later one is a space. A <s> kept in front keeps them.
  auto ids = t->encode("hello world");
  CHECK(t->decode(ids) == "<s> hello world");
  CHECK(t->decode(ids, true) == "hello world");
  std::vector<std::int32_t> two = {t->token_id("▁▁"), t->token_id("h")};
  CHECK(t->decode(two) == "h");  // a Strip decoder would give " h"
  two.insert(two.begin(), 1);
  CHECK(t->decode(two) == "<s>  h");
  CHECK(t->decode(two, true) == "h");
  std::vector<std::int32_t> bytes_first = {t->token_id("<0x20>"), t->token_id("▁h")};
  CHECK(t->decode(bytes_first) == "  h");
  StreamDecoder st(t, true);
  std::string streamed;
  for (auto id : two) streamed += st.push(id);
  CHECK(streamed + st.finish() == "h");
  for (std::string s : {"hello world", "hé lo", "hello<x> world", "😀 a<x> b", ""}) {
    CHECK(t->decode(t->encode(s, false)) == s);
    CHECK(t->decode(t->encode(s), true) == s);
  }
  // The piece after an added token gets its own U+2581, a space in decoding.
  CHECK(t->decode(t->encode("hello</s>world", false)) == "hello</s> world");
  CHECK(t->decode(t->encode("hello</s>world"), true) == "hello world");

  // never: no U+2581 in front, and nothing stripped in decoding.
  auto n = load(d, "never", metaspace_json("never", false, "llama"));
  CHECK(n->spec().space_marking == SpaceMarking::kMetaspaceNever);
  CHECK_FALSE(n->spec().add_space_prefix);
  CHECK(tokens_of(*n, n->encode("hello world", false)) == V{"h", "el", "lo", "▁world"});
  CHECK(n->decode(n->encode(" hello", false)) == " hello");
  auto nm = load(d, "never_ms", metaspace_json("never", true, "metaspace"));
  CHECK_FALSE(nm->spec().decode_metaspace_first);
  CHECK(nm->decode(std::vector<std::int32_t>{nm->token_id("▁▁"), nm->token_id("h")}) == "  h");

  // Older files: add_prefix_space instead of prepend_scheme (false = never;
  // absent = always), split absent = true.
  json j = metaspace_json("always", false, "llama");
  j["pre_tokenizer"].erase("prepend_scheme");
  j["pre_tokenizer"].erase("split");
  j["pre_tokenizer"]["add_prefix_space"] = false;
  CHECK(load(d, "old1", j)->spec().space_marking == SpaceMarking::kMetaspaceNever);
  j["pre_tokenizer"].erase("add_prefix_space");
  auto old2 = load(d, "old2", j);
  CHECK(old2->spec().space_marking == SpaceMarking::kMetaspaceAlways);
  CHECK(old2->spec().metaspace_split);
  // A Sequence holding only the Metaspace is the same.
  j = metaspace_json("first", false, "llama");
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", {j["pre_tokenizer"]}}};
  CHECK(load(d, "seq", j)->spec().space_marking == SpaceMarking::kMetaspaceFirst);
}

TEST_CASE("Metaspace: what is refused") {
  TempDir d;
  auto refused = [&](const std::string& name, const json& j, const std::string& what) {
    d.write(name + "/tokenizer.json", j.dump());
    CHECK_THROWS_WITH_AS(tokenizer_spec_from_hf((d.path / name).string()), doctest::Contains(what.c_str()),
                         TokenizerError);
  };
  json j = metaspace_json("first", false, "llama");
  j["pre_tokenizer"]["prepend_scheme"] = "sometimes";
  refused("scheme", j, "prepend_scheme 'sometimes'");
  j = metaspace_json("first", false, "llama");
  j["pre_tokenizer"]["replacement"] = "_";
  refused("repl", j, "pre_tokenizer: Metaspace replacement");
  j = metaspace_json("first", false, "llama");
  j["pre_tokenizer"]["add_prefix_space"] = false;
  refused("contra", j, "contradicts prepend_scheme 'first'");
  j = metaspace_json("first", false, "llama");
  j["normalizer"] = {{"type", "NFKC"}};
  refused("norm", j, "normalizer: 'NFKC' before a Metaspace");
  j = metaspace_json("always", false, "metaspace");
  std::swap(j["decoder"]["decoders"][0], j["decoder"]["decoders"][1]);
  refused("order", j, "Metaspace after ByteFallback");
  j = metaspace_json("always", false, "llama");
  j["decoder"]["decoders"][3]["start"] = 2;
  refused("strip", j, "Strip(' ', 1, 0)");
  // The legacy normalizer's Prepend and the decoder's Strip go together.
  j = sentencepiece_json();
  j["decoder"]["decoders"].erase(3);
  refused("nostrip", j, "no Strip with the normalizer's Prepend");
}

TEST_CASE("errors name the file and the field") {
  TempDir d;
  d.write("bad/tokenizer.json", "{\"model\": ");
  try {
    tokenizer_spec_from_hf((d.path / "bad").string());
    FAIL("no error");
  } catch (const TokenizerError& e) {
    CHECK(std::string(e.what()).find("bad/tokenizer.json") != std::string::npos);
    CHECK(std::string(e.what()).find("not valid JSON") != std::string::npos);
  }
  json j = byte_level_json();
  j["model"]["type"] = "Unigram";
  d.write("uni/tokenizer.json", j.dump());
  CHECK_THROWS_WITH_AS(tokenizer_spec_from_hf((d.path / "uni").string()),
                       doctest::Contains("model.type: 'Unigram' is not supported"), TokenizerError);
  j = byte_level_json();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+";
  d.write("re/tokenizer.json", j.dump());
  CHECK_THROWS_WITH_AS(tokenizer_spec_from_hf((d.path / "re/tokenizer.json").string()),
                       doctest::Contains("pre_tokenizer: unrecognised Split pattern"), TokenizerError);
  j = byte_level_json();
  j["model"]["merges"].push_back("q zz");
  d.write("m/tokenizer.json", j.dump());
  CHECK_THROWS_WITH_AS(Tokenizer::create(tokenizer_spec_from_hf((d.path / "m").string())),
                       doctest::Contains("merges[11] = 'q zz'"), TokenizerError);
  CHECK_THROWS_AS(tokenizer_spec_from_hf((d.path / "missing").string()), TokenizerError);
}

TEST_CASE("encode speed and long words") {
  TempDir d;
  auto bl = load(d, "bl", byte_level_json());
  auto sp = load(d, "sp", sentencepiece_json());
  std::mt19937 rng(7);
  const char* words[] = {"hello", "world", "the", "Привет", "你好", "1234567", "don't", "😀", "\n\n", "  "};
  std::string text;
  while (text.size() < (2 << 20)) {
    text += words[rng() % 10];
    text += ' ';
  }
  for (auto* t : {bl.get(), sp.get()}) {
    auto t0 = std::chrono::steady_clock::now();
    auto ids = t->encode(text, false);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE(std::string(t == bl.get() ? "byte-level" : "sentencepiece") << ": " << text.size() / 1e6 / s
                                                              << " MB/s (" << ids.size() << " ids)");
    CHECK(t->decode(ids) == text);
  }
  // One 1 MB word of repeated merges: linear-log, not quadratic.
  std::string word;
  while (word.size() < (1 << 20)) word += "helloworld";
  auto t0 = std::chrono::steady_clock::now();
  auto ids = sp->encode(word, false);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("sentencepiece, one 1 MB word: " << s << " s, " << ids.size() << " ids");
  CHECK(s < 5.0);
  CHECK(sp->decode(ids) == word);
}

TEST_CASE("exactness against HF tokenizers on the recorded sample (tests/data/tokenizer)") {
  auto dirs = rg::test::hf_case_dirs(RG_TOKENIZER_DATA_DIR);
  if (dirs.empty()) {
    MESSAGE("skipped: no HF sample in " RG_TOKENIZER_DATA_DIR " (scripts/gpu_tokenizer_check.sh writes it)");
    return;
  }
  for (const auto& dir : dirs) {
    auto r = rg::test::run_hf_cases(dir);
    INFO(r.name << ": " << r.error);
    for (const auto& m : r.mismatches) INFO(m);
    CHECK(r.error.empty());
    CHECK(r.total > 0);
    CHECK(r.identical == r.total);
    MESSAGE(r.name << ": " << r.identical << "/" << r.total << " identical");
  }
}
