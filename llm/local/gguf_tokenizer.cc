// llm/local/gguf_tokenizer.cc: see gguf_tokenizer.h.
#include "llm/local/gguf_tokenizer.h"

#include <algorithm>
#include <stdexcept>

#include "kernels/formats/gguf.h"
#include "kernels/formats/gguf_writer.h"

namespace rg::llm::local {

namespace {

using kernels::formats::GgufFile;
using kernels::formats::GgufType;
using kernels::formats::GgufValue;

[[noreturn]] void fail(const GgufFile& f, const std::string& key, const std::string& what) {
  throw std::runtime_error(f.path() + ": metadata \"" + key + "\" " + what);
}

const GgufValue* array_of(const GgufFile& f, const std::string& key, bool want_strings, bool required) {
  const GgufValue* v = f.find(key);
  if (!v) {
    if (required) fail(f, key, "is missing");
    return nullptr;
  }
  const bool is_strings = v->type == GgufType::kArray && v->array_type == GgufType::kString;
  const bool is_numbers = v->type == GgufType::kArray && v->array_type != GgufType::kString &&
                          v->array_type != GgufType::kArray;
  if (want_strings ? !is_strings : !is_numbers)
    fail(f, key, "is " + v->describe() + ", expected an array of " + (want_strings ? "strings" : "numbers"));
  return v;
}

std::int32_t token_id(const GgufFile& f, const std::string& key, std::size_t vocab) {
  if (!f.find(key)) return -1;
  std::int64_t v = 0;
  std::string error;
  if (!f.get_int(key, &v, &error)) throw std::runtime_error(error);
  if (v < 0 || static_cast<std::size_t>(v) >= vocab)
    fail(f, key, "= " + std::to_string(v) + " is not a token id (vocabulary of " + std::to_string(vocab) + ")");
  return static_cast<std::int32_t>(v);
}

bool flag(const GgufFile& f, const std::string& key, bool fallback) {
  if (!f.find(key)) return fallback;
  bool b = false;
  std::string error;
  if (!f.get_bool(key, &b, &error)) throw std::runtime_error(error);
  return b;
}

}  // namespace

TokenizerSpec tokenizer_spec_from_gguf(const GgufFile& f) {
  TokenizerSpec s;
  std::string model, error;
  if (!f.get_string("tokenizer.ggml.model", &model, &error)) throw std::runtime_error(error);
  if (model == "gpt2") s.kind = TokenizerKind::kByteLevelBpe;
  else if (model == "llama") s.kind = TokenizerKind::kSentencePieceBpe;
  else fail(f, "tokenizer.ggml.model", "is \"" + model + "\": supported are gpt2 (byte-level BPE) and llama (SentencePiece)");

  s.pre = PreTokenizerKind::kGpt2;
  if (s.kind == TokenizerKind::kByteLevelBpe && f.find("tokenizer.ggml.pre")) {
    std::string pre;
    if (!f.get_string("tokenizer.ggml.pre", &pre, &error)) throw std::runtime_error(error);
    if (pre == "llama-bpe" || pre == "llama3") s.pre = PreTokenizerKind::kLlama3;
    else if (pre == "qwen2") s.pre = PreTokenizerKind::kQwen2;
    else if (pre == "default" || pre == "gpt-2" || pre == "gpt2") s.pre = PreTokenizerKind::kGpt2;
    else fail(f, "tokenizer.ggml.pre", "is \"" + pre + "\": supported are llama-bpe, llama3, qwen2, default, gpt-2");
  }

  s.tokens = array_of(f, "tokenizer.ggml.tokens", true, true)->strings;
  const std::size_t vocab = s.tokens.size();
  if (vocab == 0) fail(f, "tokenizer.ggml.tokens", "is empty");
  if (const GgufValue* v = array_of(f, "tokenizer.ggml.scores", false, false)) {
    if (v->array_size() != vocab) fail(f, "tokenizer.ggml.scores", "has " + std::to_string(v->array_size()) +
                                              " entries for " + std::to_string(vocab) + " tokens");
    s.scores.reserve(vocab);
    for (double x : v->reals) s.scores.push_back(static_cast<float>(x));
    for (std::int64_t x : v->integers) s.scores.push_back(static_cast<float>(x));
  }
  if (const GgufValue* v = array_of(f, "tokenizer.ggml.token_type", false, false)) {
    if (v->array_size() != vocab || v->integers.size() != vocab)
      fail(f, "tokenizer.ggml.token_type", "must hold " + std::to_string(vocab) + " integers, has " + v->describe());
    s.token_types.reserve(vocab);
    for (std::int64_t t : v->integers) {
      if (t < 1 || t > 6) fail(f, "tokenizer.ggml.token_type", "holds unknown type " + std::to_string(t));
      s.token_types.push_back(static_cast<TokenType>(t));
    }
  }
  if (const GgufValue* v = array_of(f, "tokenizer.ggml.merges", true, s.kind == TokenizerKind::kByteLevelBpe))
    s.merges = v->strings;

  s.bos_id = token_id(f, "tokenizer.ggml.bos_token_id", vocab);
  s.eos_id = token_id(f, "tokenizer.ggml.eos_token_id", vocab);
  s.unk_id = token_id(f, "tokenizer.ggml.unknown_token_id", vocab);
  s.pad_id = token_id(f, "tokenizer.ggml.padding_token_id", vocab);
  for (const char* key : {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
    const std::int32_t id = token_id(f, key, vocab);
    if (id >= 0 && std::find(s.stop_ids.begin(), s.stop_ids.end(), id) == s.stop_ids.end()) s.stop_ids.push_back(id);
  }
  const bool spm = s.kind == TokenizerKind::kSentencePieceBpe;
  s.add_bos = flag(f, "tokenizer.ggml.add_bos_token", spm);
  s.add_eos = flag(f, "tokenizer.ggml.add_eos_token", false);
  s.add_space_prefix = flag(f, "tokenizer.ggml.add_space_prefix", spm);
  s.byte_fallback = spm;
  // llama.cpp takes a pre-token that is itself a token whole for Llama 3
  // vocabularies (HF's ignore_merges), and only for those.
  s.ignore_merges = s.kind == TokenizerKind::kByteLevelBpe && s.pre == PreTokenizerKind::kLlama3;
  // GGUF has no key for a normalizer; Qwen2's tokenizer.json declares NFC,
  // so its pre-tokenizer stands for it (llama.cpp skips NFC; HF, the
  // reference, applies it).
  s.nfc = s.kind == TokenizerKind::kByteLevelBpe && s.pre == PreTokenizerKind::kQwen2;
  return s;
}

void write_tokenizer_metadata(const TokenizerSpec& s, kernels::formats::GgufWriter* w) {
  const bool spm = s.kind == TokenizerKind::kSentencePieceBpe;
  w->set("tokenizer.ggml.model", GgufValue::str(spm ? "llama" : "gpt2"));
  if (!spm) {
    const char* pre = s.pre == PreTokenizerKind::kLlama3 ? "llama-bpe"
                      : s.pre == PreTokenizerKind::kQwen2 ? "qwen2"
                                                          : "default";
    w->set("tokenizer.ggml.pre", GgufValue::str(pre));
  }
  w->set("tokenizer.ggml.tokens", GgufValue::string_array(s.tokens));
  if (!s.scores.empty()) w->set("tokenizer.ggml.scores", GgufValue::f32_array(s.scores));
  if (!s.token_types.empty()) {
    std::vector<std::int32_t> types;
    types.reserve(s.token_types.size());
    for (TokenType t : s.token_types) types.push_back(static_cast<std::int32_t>(t));
    w->set("tokenizer.ggml.token_type", GgufValue::i32_array(std::move(types)));
  }
  // Byte-level BPE always has the key (readers require it), even with no merges.
  if (!spm || !s.merges.empty()) w->set("tokenizer.ggml.merges", GgufValue::string_array(s.merges));
  const auto id = [&](const char* key, std::int32_t v) {
    if (v >= 0) w->set(key, GgufValue::u32(static_cast<std::uint32_t>(v)));
  };
  id("tokenizer.ggml.bos_token_id", s.bos_id);
  id("tokenizer.ggml.eos_token_id", s.eos_id);
  id("tokenizer.ggml.unknown_token_id", s.unk_id);
  id("tokenizer.ggml.padding_token_id", s.pad_id);
  std::vector<std::int32_t> extra;
  for (std::int32_t x : s.stop_ids)
    if (x != s.eos_id) extra.push_back(x);
  if (!extra.empty()) id("tokenizer.ggml.eot_token_id", extra[0]);
  if (extra.size() > 1) id("tokenizer.ggml.eom_token_id", extra[1]);
  w->set("tokenizer.ggml.add_bos_token", GgufValue::boolean(s.add_bos));
  w->set("tokenizer.ggml.add_eos_token", GgufValue::boolean(s.add_eos));
  // GGUF knows only the legacy marking (llama.cpp puts a U+2581 before every
  // piece of text between special tokens, as kNormalizer): a Metaspace
  // tokenizer is written as that, with a prefix unless its scheme is "never"
  // (its "first" rule, split and Metaspace decoder are not carried).
  if (spm) {
    const bool prefix = s.space_marking == SpaceMarking::kNormalizer
                            ? s.add_space_prefix
                            : s.space_marking != SpaceMarking::kMetaspaceNever;
    w->set("tokenizer.ggml.add_space_prefix", GgufValue::boolean(prefix));
  }
}

}  // namespace rg::llm::local
