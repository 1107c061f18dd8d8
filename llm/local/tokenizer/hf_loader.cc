// llm/local/tokenizer/hf_loader.cc: tokenizer_spec_from_hf, an HF
// tokenizer.json (+ tokenizer_config.json) -> TokenizerSpec.
//
// What decides the kind:
//   byte-level   pre_tokenizer ByteLevel(use_regex: true) alone (GPT-2's
//                split), or Sequence[Split(Regex: llama3|qwen2|gpt2 pattern,
//                Isolated), ByteLevel(use_regex: false)]
//   SentencePiece  normalizer Replace(" " -> U+2581), optionally after
//                Prepend(U+2581) (add_space_prefix), no pre_tokenizer; or
//                no normalizer and pre_tokenizer Metaspace (newer
//                conversions; SpaceMarking::kMetaspace*)
// bos/add_bos come from post_processor TemplateProcessing (what HF tokenizers
// itself applies), else from tokenizer_config.json's add_bos_token.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "llm/local/tokenizer/internal/tokenizer_impl.h"

namespace rg::llm::local {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kSpaceMark = "\xE2\x96\x81";  // U+2581

// Errors name the file and the JSON field.
struct Source {
  std::string file;
  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    throw TokenizerError(file + ": " + field + ": " + what);
  }
};

json read_json(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw TokenizerError(p.string() + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::exception& e) {
    throw TokenizerError(p.string() + ": not valid JSON: " + e.what());
  }
}

std::string type_of(const json& j) {
  return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>()
                                                                        : "";
}

bool flag(const json& j, const char* key, bool def) {
  return j.is_object() && j.contains(key) && j[key].is_boolean() ? j[key].get<bool>() : def;
}

// A token name in tokenizer_config.json: "x" or {"content": "x", ...}.
std::string token_name(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string())
    return j["content"].get<std::string>();
  return "";
}

// The steps of a normalizer/pre_tokenizer/decoder: a Sequence's items, or itself.
std::vector<json> steps(const json& j, const char* list_key) {
  if (j.is_null()) return {};
  if (type_of(j) == "Sequence" && j.contains(list_key) && j[list_key].is_array())
    return j[list_key].get<std::vector<json>>();
  return {j};
}

void read_vocab(const Source& src, const json& model, TokenizerSpec& s) {
  if (!model.contains("vocab") || !model["vocab"].is_object())
    src.fail("model.vocab", "missing or not an object");
  const json& vocab = model["vocab"];
  std::size_t n = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<long long>() < 0)
      src.fail("model.vocab", "token '" + it.key() + "' has no valid id");
    n = std::max<std::size_t>(n, it.value().get<std::size_t>() + 1);
  }
  s.tokens.assign(n, std::string());
  std::vector<bool> seen(n, false);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    std::size_t id = it.value().get<std::size_t>();
    s.tokens[id] = it.key();
    seen[id] = true;
  }
  for (std::size_t i = 0; i < n; ++i)
    if (!seen[i]) src.fail("model.vocab", "no token has id " + std::to_string(i));
}

void read_merges(const Source& src, const json& model, TokenizerSpec& s) {
  if (!model.contains("merges")) return;
  const json& merges = model["merges"];
  if (!merges.is_array()) src.fail("model.merges", "not an array");
  s.merges.reserve(merges.size());
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const json& m = merges[i];
    if (m.is_string()) {
      s.merges.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      s.merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    } else {
      src.fail("model.merges[" + std::to_string(i) + "]", "neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
}

void read_added_tokens(const Source& src, const json& root, TokenizerSpec& s) {
  if (!root.contains("added_tokens") || root["added_tokens"].is_null()) return;
  const json& list = root["added_tokens"];
  if (!list.is_array()) src.fail("added_tokens", "not an array");
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& a = list[i];
    std::string field = "added_tokens[" + std::to_string(i) + "]";
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() ||
        !a.contains("content") || !a["content"].is_string())
      src.fail(field, "needs an integer id and a string content");
    long long id = a["id"].get<long long>();
    if (id < 0 || id > (1 << 30)) src.fail(field, "id " + std::to_string(id) + " out of range");
    std::string content = a["content"].get<std::string>();
    if (static_cast<std::size_t>(id) >= s.tokens.size()) s.tokens.resize(id + 1);
    if (!s.tokens[id].empty() && s.tokens[id] != content)
      src.fail(field, "id " + std::to_string(id) + " is '" + s.tokens[id] + "' in model.vocab but '" +
                          content + "' here");
    s.tokens[id] = content;
    AddedTokenOptions o;
    o.id = static_cast<std::int32_t>(id);
    o.special = flag(a, "special", false);
    o.lstrip = flag(a, "lstrip", false);
    o.rstrip = flag(a, "rstrip", false);
    o.single_word = flag(a, "single_word", false);
    o.normalized = flag(a, "normalized", !o.special);
    s.added_tokens.push_back(o);
  }
  for (std::size_t i = 0; i < s.tokens.size(); ++i)
    if (s.tokens[i].empty()) src.fail("added_tokens", "no token has id " + std::to_string(i));
}

void read_pre_tokenizer(const Source& src, const json& root, TokenizerSpec& s) {
  const json& pre = root.contains("pre_tokenizer") ? root["pre_tokenizer"] : json();
  std::vector<json> st = steps(pre, "pretokenizers");
  auto unsupported = [&](const std::string& why) {
    src.fail("pre_tokenizer", why + " (supported: ByteLevel(use_regex=true), or Split with the "
                                    "gpt2/llama3/qwen2 pattern then ByteLevel(use_regex=false))");
  };
  if (st.size() == 1 && type_of(st[0]) == "ByteLevel") {
    if (!flag(st[0], "use_regex", true)) unsupported("ByteLevel without a split rule");
    if (flag(st[0], "add_prefix_space", false)) unsupported("ByteLevel add_prefix_space=true");
    s.pre = PreTokenizerKind::kGpt2;
    return;
  }
  if (st.size() != 2 || type_of(st[0]) != "Split" || type_of(st[1]) != "ByteLevel")
    unsupported("unrecognised pre_tokenizer '" + pre.dump().substr(0, 200) + "'");
  const json& split = st[0];
  if (flag(st[1], "use_regex", true)) unsupported("ByteLevel after Split has use_regex=true");
  if (flag(st[1], "add_prefix_space", false)) unsupported("ByteLevel add_prefix_space=true");
  if (split.value("behavior", "") != "Isolated" || flag(split, "invert", false))
    unsupported("Split behavior must be Isolated, not inverted");
  std::string pattern;
  if (split.contains("pattern") && split["pattern"].is_object() && split["pattern"].contains("Regex"))
    pattern = split["pattern"]["Regex"].get<std::string>();
  if (pattern == kLlama3Pattern)
    s.pre = PreTokenizerKind::kLlama3;
  else if (pattern == kQwen2Pattern)
    s.pre = PreTokenizerKind::kQwen2;
  else if (pattern == kGpt2Pattern)
    s.pre = PreTokenizerKind::kGpt2;
  else
    unsupported("unrecognised Split pattern '" + pattern + "'");
}

void read_sentencepiece_normalizer(const Source& src, const json& root, TokenizerSpec& s) {
  std::vector<json> st = steps(root["normalizer"], "normalizers");
  bool prepend = false, replace = false;
  for (const json& n : st) {
    std::string ty = type_of(n);
    if (ty == "Prepend" && n.value("prepend", "") == kSpaceMark && !replace) {
      prepend = true;
    } else if (ty == "Replace" && n.contains("pattern") && n["pattern"].value("String", "") == " " &&
               n.value("content", "") == kSpaceMark) {
      replace = true;
    } else {
      src.fail("normalizer", "unsupported step '" + n.dump().substr(0, 200) +
                                 "' (supported: Prepend(U+2581) then Replace(' ' -> U+2581))");
    }
  }
  if (!replace) src.fail("normalizer", "no Replace(' ' -> U+2581)");
  s.add_space_prefix = prepend;
}

// A Metaspace pre-tokenizer's or decoder's prepend scheme, read as HF
// tokenizers 0.19+ reads it: prepend_scheme, else the older add_prefix_space
// (false = "never"), else "always".
SpaceMarking metaspace_scheme(const Source& src, const std::string& field, const json& m) {
  if (m.contains("replacement") && m["replacement"] != kSpaceMark)
    src.fail(field, "Metaspace replacement " + m["replacement"].dump() + " is not supported (only U+2581)");
  std::string scheme = "always";
  bool have_scheme = m.contains("prepend_scheme") && m["prepend_scheme"].is_string();
  if (have_scheme) scheme = m["prepend_scheme"].get<std::string>();
  if (!flag(m, "add_prefix_space", true)) {
    if (have_scheme && scheme != "never")
      src.fail(field, "Metaspace add_prefix_space=false contradicts prepend_scheme '" + scheme + "'");
    scheme = "never";
  }
  if (scheme == "always") return SpaceMarking::kMetaspaceAlways;
  if (scheme == "first") return SpaceMarking::kMetaspaceFirst;
  if (scheme == "never") return SpaceMarking::kMetaspaceNever;
  src.fail(field, "Metaspace prepend_scheme '" + scheme + "' is not always, first or never");
}

void read_metaspace_pre_tokenizer(const Source& src, const json& m, TokenizerSpec& s) {
  s.space_marking = metaspace_scheme(src, "pre_tokenizer", m);
  s.metaspace_split = flag(m, "split", true);
}

// Steps Replace(U+2581 -> ' '), ByteFallback, Fuse, Strip(' ', 1, 0),
// Metaspace. Returns whether a Strip drops one leading space.
bool read_sentencepiece_decoder(const Source& src, const json& root, TokenizerSpec& s) {
  if (!root.contains("decoder") || root["decoder"].is_null()) return false;
  bool strip = false, byte_fallback = false;
  for (const json& d : steps(root["decoder"], "decoders")) {
    std::string ty = type_of(d);
    if (ty == "Strip") {
      int start = d.value("start", 0), stop = d.value("stop", 0);
      if (d.value("content", "") != " " || start > 1 || stop != 0)
        src.fail("decoder", "unsupported step '" + d.dump() + "' (supported: Strip(' ', 1, 0))");
      strip = strip || start == 1;
    } else if (ty == "Metaspace") {
      // After ByteFallback it would also see the bytes of byte runs.
      if (byte_fallback) src.fail("decoder", "Metaspace after ByteFallback is not supported");
      s.decode_metaspace_first = metaspace_scheme(src, "decoder", d) != SpaceMarking::kMetaspaceNever;
    } else if (ty == "ByteFallback") {
      byte_fallback = true;
    } else if (ty != "Replace" && ty != "Fuse") {
      src.fail("decoder", "unsupported step '" + ty + "' for a SentencePiece-style tokenizer");
    }
  }
  return strip;
}

// TemplateProcessing's single template: SpecialToken first = bos, last = eos.
void read_post_processor(const json& root, TokenizerSpec& s, bool* have) {
  *have = false;
  if (!root.contains("post_processor")) return;
  for (const json& p : steps(root["post_processor"], "processors")) {
    if (type_of(p) != "TemplateProcessing" || !p.contains("single") || !p["single"].is_array())
      continue;
    *have = true;
    const json& single = p["single"];
    auto special_id = [&](const json& item) -> std::int32_t {
      if (!item.contains("SpecialToken")) return -1;
      std::string name = item["SpecialToken"].value("id", "");
      if (p.contains("special_tokens") && p["special_tokens"].contains(name)) {
        const json& ids = p["special_tokens"][name]["ids"];
        if (ids.is_array() && ids.size() == 1) return ids[0].get<std::int32_t>();
      }
      for (std::size_t i = 0; i < s.tokens.size(); ++i)
        if (s.tokens[i] == name) return static_cast<std::int32_t>(i);
      return -1;
    };
    if (!single.empty()) {
      std::int32_t b = special_id(single.front());
      if (b >= 0) {
        s.add_bos = true;
        s.bos_id = b;
      }
      std::int32_t e = single.size() > 1 ? special_id(single.back()) : -1;
      if (e >= 0) {
        s.add_eos = true;
        s.eos_id = e;
      }
    }
  }
}

std::int32_t find_token(const TokenizerSpec& s, const std::string& name) {
  if (name.empty()) return -1;
  for (std::size_t i = 0; i < s.tokens.size(); ++i)
    if (s.tokens[i] == name) return static_cast<std::int32_t>(i);
  return -1;
}

void read_config(const fs::path& p, TokenizerSpec& s, bool have_template) {
  json c = read_json(p);
  Source src{p.string()};
  if (!c.is_object()) src.fail("(root)", "not an object");
  // added_tokens_decoder: tokens tokenizer.json may lack.
  if (c.contains("added_tokens_decoder") && c["added_tokens_decoder"].is_object()) {
    for (auto it = c["added_tokens_decoder"].begin(); it != c["added_tokens_decoder"].end(); ++it) {
      std::string field = "added_tokens_decoder." + it.key();
      std::int32_t id;
      try {
        id = std::stoi(it.key());
      } catch (const std::exception&) {
        src.fail(field, "the key is not a token id");
      }
      std::string content = token_name(it.value());
      if (id < 0 || content.empty()) src.fail(field, "needs a non-negative id and a content");
      if (static_cast<std::size_t>(id) < s.tokens.size() && s.tokens[id] == content) continue;
      if (static_cast<std::size_t>(id) < s.tokens.size())
        src.fail(field, "id " + std::to_string(id) + " is '" + s.tokens[id] + "' in tokenizer.json");
      if (static_cast<std::size_t>(id) != s.tokens.size())
        src.fail(field, "leaves a hole in the ids before " + std::to_string(id));
      s.tokens.push_back(content);
      AddedTokenOptions o;
      o.id = id;
      o.special = flag(it.value(), "special", false);
      o.lstrip = flag(it.value(), "lstrip", false);
      o.rstrip = flag(it.value(), "rstrip", false);
      o.single_word = flag(it.value(), "single_word", false);
      o.normalized = flag(it.value(), "normalized", !o.special);
      s.added_tokens.push_back(o);
    }
  }
  auto id_of = [&](const char* key) -> std::int32_t {
    if (!c.contains(key) || c[key].is_null()) return -1;
    std::string name = token_name(c[key]);
    std::int32_t id = find_token(s, name);
    if (id < 0) src.fail(key, "token '" + name + "' is not in the vocabulary");
    return id;
  };
  if (std::int32_t b = id_of("bos_token"); b >= 0 && !(have_template && s.add_bos)) s.bos_id = b;
  if (std::int32_t e = id_of("eos_token"); e >= 0) s.eos_id = e;
  if (std::int32_t u = id_of("unk_token"); u >= 0) s.unk_id = u;
  if (std::int32_t pd = id_of("pad_token"); pd >= 0) s.pad_id = pd;
  // HF tokenizers applies the post_processor; tokenizer_config's flags speak
  // only where there is none.
  if (!have_template) {
    s.add_bos = flag(c, "add_bos_token", false) && s.bos_id >= 0;
    s.add_eos = flag(c, "add_eos_token", false) && s.eos_id >= 0;
  }
}

}  // namespace

TokenizerSpec tokenizer_spec_from_hf(const std::string& path) {
  fs::path json_path = path, config_path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    json_path = fs::path(path) / "tokenizer.json";
    config_path = fs::path(path) / "tokenizer_config.json";
  } else {
    config_path = fs::path(path).parent_path() / "tokenizer_config.json";
  }
  json root = read_json(json_path);
  Source src{json_path.string()};
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object())
    src.fail("model", "missing");
  const json& model = root["model"];
  std::string mtype = type_of(model);
  if (mtype.empty() && model.contains("merges")) mtype = "BPE";  // old files omit the type
  if (mtype != "BPE") src.fail("model.type", "'" + mtype + "' is not supported (only BPE)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(key) && model[key].is_string() && !model[key].get<std::string>().empty())
      src.fail(std::string("model.") + key, "not supported");
  }

  TokenizerSpec s;
  read_vocab(src, model, s);
  read_merges(src, model, s);
  read_added_tokens(src, root, s);
  s.ignore_merges = flag(model, "ignore_merges", false);
  s.byte_fallback = flag(model, "byte_fallback", false);
  if (model.contains("unk_token") && model["unk_token"].is_string())
    s.unk_id = find_token(s, model["unk_token"].get<std::string>());

  bool byte_level = false, metaspace = false;
  if (root.contains("pre_tokenizer") && !root["pre_tokenizer"].is_null()) {
    std::vector<json> st = steps(root["pre_tokenizer"], "pretokenizers");
    if (st.size() == 1 && type_of(st[0]) == "Metaspace") {
      read_metaspace_pre_tokenizer(src, st[0], s);
      metaspace = true;
    } else {
      read_pre_tokenizer(src, root, s);
      byte_level = true;
    }
  }
  const bool has_normalizer = root.contains("normalizer") && !root["normalizer"].is_null();
  if (byte_level) {
    s.kind = TokenizerKind::kByteLevelBpe;
    s.add_space_prefix = false;
    // Qwen2 declares NFC (unicode_nfc.h); nothing else is supported here.
    const json& norm = root.contains("normalizer") ? root["normalizer"] : json();
    if (!norm.is_null() && type_of(norm) != "NFC")
      src.fail("normalizer", "'" + type_of(norm) + "' before a byte-level pre-tokenizer is not supported");
    s.nfc = !norm.is_null();
  } else if (metaspace) {
    s.kind = TokenizerKind::kSentencePieceBpe;
    if (has_normalizer)
      src.fail("normalizer", "'" + type_of(root["normalizer"]) +
                                 "' before a Metaspace pre-tokenizer is not supported (only null)");
    // Decoding drops one leading space where the decoder has a Strip (Llama's
    // conversion); a Metaspace decoder instead drops the first token's marks.
    s.add_space_prefix = read_sentencepiece_decoder(src, root, s);
  } else if (has_normalizer) {
    s.kind = TokenizerKind::kSentencePieceBpe;
    read_sentencepiece_normalizer(src, root, s);
    const bool has_decoder = root.contains("decoder") && !root["decoder"].is_null();
    bool strip = read_sentencepiece_decoder(src, root, s);
    // add_space_prefix means both the Prepend and the decoder's Strip here.
    if (has_decoder && strip != s.add_space_prefix)
      src.fail("decoder", std::string(strip ? "a Strip without" : "no Strip with") +
                              " the normalizer's Prepend(U+2581) is not supported");
  } else {
    src.fail("pre_tokenizer", "none, and no SentencePiece normalizer: cannot tell the tokenizer kind");
  }

  // Types: specials are control, other added tokens user-defined, <0xAB> bytes.
  s.token_types.assign(s.tokens.size(), TokenType::kNormal);
  for (const AddedTokenOptions& o : s.added_tokens)
    s.token_types[o.id] = o.special ? TokenType::kControl : TokenType::kUserDefined;
  if (s.kind == TokenizerKind::kSentencePieceBpe) {
    for (std::size_t i = 0; i < s.tokens.size(); ++i) {
      const std::string& t = s.tokens[i];
      if (s.token_types[i] == TokenType::kNormal && t.size() == 6 && t.rfind("<0x", 0) == 0 &&
          t[5] == '>')
        s.token_types[i] = TokenType::kByte;
    }
  }
  if (s.unk_id >= 0 && s.token_types[s.unk_id] == TokenType::kNormal)
    s.token_types[s.unk_id] = TokenType::kUnknown;

  bool have_template = false;
  read_post_processor(root, s, &have_template);
  if (!config_path.empty() && fs::exists(config_path, ec)) {
    read_config(config_path, s, have_template);
    if (s.token_types.size() < s.tokens.size()) {
      std::size_t old = s.token_types.size();
      s.token_types.resize(s.tokens.size(), TokenType::kNormal);
      for (const AddedTokenOptions& o : s.added_tokens)
        if (static_cast<std::size_t>(o.id) >= old)
          s.token_types[o.id] = o.special ? TokenType::kControl : TokenType::kUserDefined;
    }
  }
  // Without a config, the usual names.
  if (s.bos_id < 0)
    for (const char* n : {"<|begin_of_text|>", "<s>"})
      if (s.bos_id < 0) s.bos_id = find_token(s, n);
  if (s.eos_id < 0)
    for (const char* n : {"<|end_of_text|>", "</s>", "<|endoftext|>"})
      if (s.eos_id < 0) s.eos_id = find_token(s, n);
  s.stop_ids = default_stop_ids(s);
  return s;
}

}  // namespace rg::llm::local
