// tests/unit/retrieval/wordpiece_tokenizer_test.cc: the HF-compatible
// WordPiece tokenizer. Hand-checked classic BERT cases on a tokenizer.json
// written here, then (when tests/data/encoder/tiny/ exists) the ids HF
// tokenizers produced for ~230 strings with three normalizer settings.
#include "retrieval/transformer/wordpiece_tokenizer.h"

#include <doctest/doctest.h>

#include "encoder_test_util.h"
#include "retrieval/transformer/unicode_tables.h"

using namespace rg::retrieval;

namespace {

const std::vector<std::string> kVocab = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", ",", "world", "!", "un",
    "##aff", "##able", "中", "文", "a", "##a", "cafe", "naive", "##s", "play",
    "##ing", ".", "Hello", "é", "x", "##é"};

std::unique_ptr<WordPieceTokenizer> make(bool lowercase = true) {
  std::string error;
  auto t = WordPieceTokenizer::from_json(rg::test::bert_tokenizer_json(kVocab, lowercase), &error);
  REQUIRE_MESSAGE(t, error);
  return t;
}

std::vector<std::string> toks(const WordPieceTokenizer& t, const std::string& s) {
  return t.tokenize(s);
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("wordpiece: classic BERT cases") {
  auto t = make();
  CHECK(toks(*t, "Héllo, WORLD!") == V{"hello", ",", "world", "!"});
  CHECK(t->encode("Héllo, WORLD!").ids == std::vector<std::int32_t>{2, 5, 6, 7, 8, 3});
  CHECK(t->encode("Héllo, WORLD!").type_ids == std::vector<std::int32_t>(6, 0));
  CHECK(toks(*t, "unaffable") == V{"un", "##aff", "##able"});
  CHECK(toks(*t, "UNAFFABLE!") == V{"un", "##aff", "##able", "!"});
  CHECK(toks(*t, "中文") == V{"中", "文"});
  CHECK(toks(*t, "x中文x") == V{"x", "中", "文", "x"});
  CHECK(toks(*t, "hello中world") == V{"hello", "中", "world"});
  CHECK(toks(*t, "unknownword") == V{"[UNK]"});
  CHECK(toks(*t, "playing plays") == V{"play", "##ing", "play", "##s"});
  CHECK(toks(*t, "Café NAÏVE") == V{"cafe", "naive"});
  CHECK(toks(*t, "a.a,a") == V{"a", ".", "a", ",", "a"});
  CHECK(toks(*t, "  \t\n ") == V{});
  CHECK(t->encode("").ids == std::vector<std::int32_t>{2, 3});
  // max_input_chars_per_word (100): longer words are [UNK] whole.
  CHECK(toks(*t, std::string(150, 'a')) == V{"[UNK]"});
  CHECK(toks(*t, std::string(101, 'a')) == V{"[UNK]"});
  const V hundred = toks(*t, std::string(100, 'a'));
  REQUIRE(hundred.size() == 100);
  CHECK(hundred[0] == "a");
  CHECK(hundred[99] == "##a");
  // Control characters dropped, odd whitespace is whitespace.
  CHECK(toks(*t, std::string("hel") + '\0' + "lo\u00a0world\u3000!") == V{"hello", "world", "!"});
  CHECK(t->normalize("Héllo\tWORLD\x07") == "hello world");
  // Added tokens are matched in the raw text, before normalisation.
  CHECK(toks(*t, "hello [MASK] world") == V{"hello", "[MASK]", "world"});
  CHECK(toks(*t, "hello[MASK]!") == V{"hello", "[MASK]", "!"});
  CHECK(toks(*t, "[mask]") == V{"[UNK]", "[UNK]", "[UNK]"});  // "[" "mask" "]": none in vocab
}

TEST_CASE("wordpiece: cased, truncation, ids") {
  auto cased = make(false);
  CHECK(toks(*cased, "Hello hello") == V{"Hello", "hello"});
  CHECK(toks(*cased, "é") == V{"é"});  // strip_accents null follows lowercase=false
  CHECK(toks(*cased, "xé") == V{"x", "##é"});
  auto t = make();
  CHECK(t->max_length() == 0);
  t->set_max_length(4);
  CHECK(t->encode("hello world hello world").ids == std::vector<std::int32_t>{2, 5, 7, 3});
  t->set_max_length(2);
  CHECK(t->encode("hello world").ids == std::vector<std::int32_t>{2, 3});
  CHECK(t->num_special_tokens() == 2);
  CHECK(t->pad_id() == 0);
  CHECK(t->unk_id() == 1);
  CHECK(t->token_to_id("##aff") == 10);
  CHECK(t->token_to_id("nope") == -1);
  CHECK(t->id_to_token(12) == "中");
  CHECK(t->vocab_size() == kVocab.size());
  CHECK(t->encode("hello", false).ids == std::vector<std::int32_t>{5});
}

TEST_CASE("wordpiece: unsupported or broken tokenizer.json") {
  std::string error;
  CHECK_FALSE(WordPieceTokenizer::from_json("{", &error, "x/tokenizer.json"));
  CHECK(error.find("x/tokenizer.json") != std::string::npos);
  CHECK_FALSE(WordPieceTokenizer::from_json(R"({"model":{"type":"BPE","vocab":{}}})", &error));
  CHECK(error.find("BPE") != std::string::npos);
  CHECK_FALSE(WordPieceTokenizer::from_json(R"({"model":{"type":"WordPiece","vocab":{"a":0}}})", &error));
  CHECK(error.find("[UNK]") != std::string::npos);
  auto j = nlohmann::json::parse(rg::test::bert_tokenizer_json(kVocab));
  j["normalizer"] = {{"type", "NFKC"}};
  CHECK_FALSE(WordPieceTokenizer::from_json(j.dump(), &error));
  CHECK(error.find("NFKC") != std::string::npos);
  // Sequences and the other pre-tokenizers parse.
  j["normalizer"] = {{"type", "Sequence"},
                     {"normalizers", {{{"type", "NFD"}}, {{"type", "Lowercase"}}, {{"type", "StripAccents"}}}}};
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  j["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}};
  auto t = WordPieceTokenizer::from_json(j.dump(), &error);
  REQUIRE_MESSAGE(t, error);
  CHECK(t->tokenize("Héllo, WORLD!") == V{"hello", ",", "world", "!"});
  CHECK(t->encode("hello").ids == std::vector<std::int32_t>{2, 5, 3});
  j["pre_tokenizer"] = {{"type", "WhitespaceSplit"}};
  t = WordPieceTokenizer::from_json(j.dump(), &error);
  REQUIRE_MESSAGE(t, error);
  CHECK(t->tokenize("hello, world") == V{"[UNK]", "world"});
}

TEST_CASE("unicode tables: spot checks") {
  using namespace rg::retrieval::unicode;
  CHECK(is_bert_punctuation(U'$'));
  CHECK(is_bert_punctuation(U'¿'));
  CHECK(is_bert_punctuation(U'。'));
  CHECK_FALSE(is_bert_punctuation(U'€'));
  CHECK_FALSE(is_bert_punctuation(U'a'));
  CHECK(is_other(0x200B));
  CHECK(is_other(0x07));
  CHECK(is_other(0xE000));
  CHECK_FALSE(is_other(U'a'));
  CHECK(is_whitespace(0x3000));
  CHECK(is_whitespace(0x85));
  CHECK_FALSE(is_whitespace(0x200B));
  CHECK(is_chinese_char(U'中'));
  CHECK_FALSE(is_chinese_char(U'こ'));
  CHECK(nfd(U"é") == U"e\u0301");
  CHECK(nfd(U"\u1E69") == U"s\u0323\u0307");      // ṩ: dot below (220) before dot above (230)
  CHECK(nfd(U"s\u0307\u0323") == U"s\u0323\u0307");  // canonical ordering
  CHECK(nfd(U"한") == U"\u1112\u1161\u11AB");
  std::u32string l;
  append_lower(U'Ä', l);
  append_lower(U'Σ', l);
  append_lower(U'Ж', l);
  append_lower(0x130, l);
  CHECK(l == U"äσжi\u0307");
  CHECK(utf8_to_utf32("a\xffz") == U"a\uFFFDz");
  CHECK(utf32_to_utf8(U"h\u00e9\u4e2d\U0001F600") == "h\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
  CHECK(std::string(unicode_version()).size() > 0);
}

TEST_CASE("wordpiece: ids identical to HF tokenizers on the fixture") {
  const std::string dir = rg::test::fixture_dir();
  if (dir.empty()) {
    MESSAGE("SKIPPED: tests/data/encoder/tiny/ is not there (run tests/data/encoder/make_fixture.py)");
    return;
  }
  const auto expected = rg::test::read_json_file(dir + "/expected.json");
  int total = 0, failures = 0;
  for (const auto& [file, rows] : expected.at("tokenizers").items()) {
    std::string error;
    auto t = WordPieceTokenizer::from_file(dir + "/" + file, &error);
    REQUIRE_MESSAGE(t, error);
    for (const auto& row : rows) {
      const std::string text = row.at("text").get<std::string>();
      const auto want = row.at("ids").get<std::vector<std::int32_t>>();
      const TokenEncoding got = t->encode(text);
      ++total;
      if (got.ids != want || got.type_ids != row.at("type_ids").get<std::vector<std::int32_t>>()) {
        ++failures;
        std::string g, w;
        for (auto id : got.ids) g += t->id_to_token(id) + " ";
        for (auto id : want) w += t->id_to_token(id) + " ";
        if (failures <= 10) FAIL_CHECK(file << ": \"" << text << "\"\n  got:  " << g << "\n  want: " << w);
      }
    }
  }
  CHECK(total >= 600);
  CHECK(failures == 0);
  MESSAGE(total << " strings compared with HF tokenizers " << expected["versions"]["tokenizers"]);

  const auto& trunc = expected.at("truncation");
  std::string error;
  auto t = WordPieceTokenizer::from_file(dir + "/" + trunc.at("tokenizer").get<std::string>(), &error);
  REQUIRE_MESSAGE(t, error);
  t->set_max_length(trunc.at("max_length").get<int>());
  for (const auto& c : trunc.at("cases")) {
    const auto want = c.at("ids").get<std::vector<std::int32_t>>();
    CHECK_MESSAGE(t->encode(c.at("text").get<std::string>()).ids == want, c.at("text").get<std::string>());
  }
}
