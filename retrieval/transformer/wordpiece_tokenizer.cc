// retrieval/transformer/wordpiece_tokenizer.cc: see wordpiece_tokenizer.h.
#include "retrieval/transformer/wordpiece_tokenizer.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "retrieval/transformer/unicode_tables.h"

namespace rg::retrieval {

namespace uc = unicode;
using json = nlohmann::json;

struct WordPieceTokenizer::NormalizerStep {
  enum Kind { kBert, kNfd, kLowercase, kStripAccents, kStrip } kind = kBert;
  bool clean_text = true, chinese = true, strip_accents = true, lowercase = true;
  bool strip_left = true, strip_right = true;
};

struct WordPieceTokenizer::PreTokenizerStep {
  enum Kind { kBert, kWhitespace, kWhitespaceSplit } kind = kBert;
};

struct WordPieceTokenizer::AddedToken {
  std::string content;
  std::int32_t id = 0;
  bool normalized = false, lstrip = false, rstrip = false;
};

struct WordPieceTokenizer::TemplatePiece {
  bool is_sequence = false;
  std::vector<std::int32_t> ids;  // special token ids
  std::int32_t type_id = 0;
};

WordPieceTokenizer::WordPieceTokenizer() = default;
WordPieceTokenizer::~WordPieceTokenizer() = default;

namespace {

struct Fail : std::runtime_error {
  using std::runtime_error::runtime_error;
};

WordPieceTokenizer::NormalizerStep parse_normalizer_one(const json& j) {
  using Step = WordPieceTokenizer::NormalizerStep;
  Step s;
  const std::string type = j.value("type", "");
  if (type == "BertNormalizer") {
    s.kind = Step::kBert;
    s.clean_text = j.value("clean_text", true);
    s.chinese = j.value("handle_chinese_chars", true);
    s.lowercase = j.value("lowercase", true);
    const auto it = j.find("strip_accents");
    s.strip_accents = (it == j.end() || it->is_null()) ? s.lowercase : it->get<bool>();
  } else if (type == "NFD") {
    s.kind = Step::kNfd;
  } else if (type == "Lowercase") {
    s.kind = Step::kLowercase;
  } else if (type == "StripAccents") {
    s.kind = Step::kStripAccents;
  } else if (type == "Strip") {
    s.kind = Step::kStrip;
    s.strip_left = j.value("strip_left", true);
    s.strip_right = j.value("strip_right", true);
  } else {
    throw Fail("normalizer type \"" + type +
               "\" is not supported (BertNormalizer, NFD, Lowercase, StripAccents, Strip, "
               "Sequence)");
  }
  return s;
}

void parse_normalizer(const json& j, std::vector<WordPieceTokenizer::NormalizerStep>& out) {
  if (j.is_null()) return;
  if (!j.is_object()) throw Fail("normalizer is not an object");
  if (j.value("type", "") == "Sequence") {
    for (const auto& n : j.at("normalizers")) parse_normalizer(n, out);
    return;
  }
  out.push_back(parse_normalizer_one(j));
}

void parse_pre_tokenizer(const json& j, std::vector<WordPieceTokenizer::PreTokenizerStep>& out) {
  using Step = WordPieceTokenizer::PreTokenizerStep;
  if (j.is_null()) return;
  if (!j.is_object()) throw Fail("pre_tokenizer is not an object");
  const std::string type = j.value("type", "");
  if (type == "Sequence") {
    for (const auto& p : j.at("pretokenizers")) parse_pre_tokenizer(p, out);
    return;
  }
  Step s;
  if (type == "BertPreTokenizer") s.kind = Step::kBert;
  else if (type == "Whitespace") s.kind = Step::kWhitespace;
  else if (type == "WhitespaceSplit") s.kind = Step::kWhitespaceSplit;
  else
    throw Fail("pre_tokenizer type \"" + type +
               "\" is not supported (BertPreTokenizer, Whitespace, WhitespaceSplit, Sequence)");
  out.push_back(s);
}

std::int32_t checked_id(const json& v, const char* what) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > INT32_MAX)
    throw Fail(std::string(what) + " is not a valid token id");
  return static_cast<std::int32_t>(v.get<std::int64_t>());
}

// Splits on characters for which `sep` is true; `isolate` keeps each as its
// own piece, otherwise they are dropped.
template <typename Pred>
void split_pieces(const std::u32string& s, Pred sep, bool isolate, std::vector<std::u32string>& out) {
  std::u32string cur;
  for (char32_t c : s) {
    if (sep(c)) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      if (isolate) out.emplace_back(1, c);
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
}

}  // namespace

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::from_file(const std::string& path,
                                                                  std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (error) *error = path + ": cannot open tokenizer file";
    return nullptr;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), error, path);
}

std::unique_ptr<WordPieceTokenizer> WordPieceTokenizer::from_json(std::string_view text,
                                                                  std::string* error,
                                                                  const std::string& source) {
  auto tok = std::make_unique<WordPieceTokenizer>();
  try {
    json j;
    try {
      j = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
      throw Fail(std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) throw Fail("not a JSON object");
    const auto& model = j.at("model");
    const std::string mtype = model.value("type", "");
    if (mtype != "WordPiece")
      throw Fail("model type \"" + mtype + "\" is not supported (only WordPiece)");
    tok->unk_token_ = model.value("unk_token", "[UNK]");
    if (model.contains("continuing_subword_prefix") && !model["continuing_subword_prefix"].is_null())
      tok->prefix_ = model["continuing_subword_prefix"].get<std::string>();
    if (model.contains("max_input_chars_per_word"))
      tok->max_input_chars_per_word_ = model["max_input_chars_per_word"].get<std::size_t>();
    const auto& vocab = model.at("vocab");
    if (!vocab.is_object() || vocab.empty()) throw Fail("model.vocab is empty or not an object");
    std::int32_t max_id = -1;
    for (auto it = vocab.begin(); it != vocab.end(); ++it) {
      const std::int32_t id = checked_id(it.value(), ("vocab entry \"" + it.key() + "\"").c_str());
      tok->vocab_[it.key()] = id;
      max_id = std::max(max_id, id);
    }
    if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
      for (const auto& a : j["added_tokens"]) {
        AddedToken t;
        t.content = a.at("content").get<std::string>();
        t.id = checked_id(a.at("id"), ("added token \"" + t.content + "\"").c_str());
        t.normalized = a.value("normalized", false);
        t.lstrip = a.value("lstrip", false);
        t.rstrip = a.value("rstrip", false);
        if (t.content.empty()) continue;
        max_id = std::max(max_id, t.id);
        tok->added_.push_back(std::move(t));
      }
    }
    tok->id_to_token_.assign(static_cast<std::size_t>(max_id) + 1, std::string());
    for (const auto& [k, v] : tok->vocab_) tok->id_to_token_[static_cast<std::size_t>(v)] = k;
    for (const auto& a : tok->added_) {
      tok->id_to_token_[static_cast<std::size_t>(a.id)] = a.content;
    }
    const auto unk = tok->vocab_.find(tok->unk_token_);
    if (unk == tok->vocab_.end())
      throw Fail("unk_token \"" + tok->unk_token_ + "\" is not in the vocabulary");
    tok->unk_id_ = unk->second;

    parse_normalizer(j.value("normalizer", json()), tok->normalizers_);
    parse_pre_tokenizer(j.value("pre_tokenizer", json()), tok->pre_tokenizers_);

    auto special_ids = [&](const std::string& name) -> std::int32_t {
      const std::int32_t id = tok->token_to_id(name);
      if (id < 0) throw Fail("special token \"" + name + "\" is not in the vocabulary");
      return id;
    };
    const json pp = j.value("post_processor", json());
    if (pp.is_object()) {
      const std::string ptype = pp.value("type", "");
      if (ptype == "TemplateProcessing") {
        const auto& special = pp.value("special_tokens", json::object());
        for (const auto& piece : pp.at("single")) {
          TemplatePiece t;
          if (piece.contains("Sequence")) {
            t.is_sequence = true;
            t.type_id = piece["Sequence"].value("type_id", 0);
          } else if (piece.contains("SpecialToken")) {
            const std::string name = piece["SpecialToken"].at("id").get<std::string>();
            t.type_id = piece["SpecialToken"].value("type_id", 0);
            if (special.contains(name) && special[name].contains("ids")) {
              for (const auto& id : special[name]["ids"]) t.ids.push_back(checked_id(id, name.c_str()));
            } else {
              t.ids.push_back(special_ids(name));
            }
          } else {
            throw Fail("post_processor.single has an unknown piece " + piece.dump());
          }
          tok->template_.push_back(std::move(t));
        }
      } else if (ptype == "BertProcessing" || ptype == "RobertaProcessing") {
        TemplatePiece cls, seq, sep;
        cls.ids.push_back(checked_id(pp.at("cls").at(1), "post_processor.cls"));
        sep.ids.push_back(checked_id(pp.at("sep").at(1), "post_processor.sep"));
        seq.is_sequence = true;
        tok->template_ = {cls, seq, sep};
      } else {
        throw Fail("post_processor type \"" + ptype +
                   "\" is not supported (TemplateProcessing, BertProcessing, RobertaProcessing)");
      }
    }
    if (tok->template_.empty()) {
      TemplatePiece seq;
      seq.is_sequence = true;
      tok->template_.push_back(seq);
    }

    const json trunc = j.value("truncation", json());
    if (trunc.is_object()) {
      tok->max_length_ = trunc.value("max_length", 0);
      tok->truncate_left_ = trunc.value("direction", "Right") == "Left";
    }
    const json pad = j.value("padding", json());
    if (pad.is_object() && pad.contains("pad_id")) {
      tok->pad_id_ = checked_id(pad["pad_id"], "padding.pad_id");
    } else if (tok->token_to_id("[PAD]") >= 0) {
      tok->pad_id_ = tok->token_to_id("[PAD]");
    } else if (tok->token_to_id("<pad>") >= 0) {
      tok->pad_id_ = tok->token_to_id("<pad>");
    }
  } catch (const Fail& e) {
    if (error) *error = source + ": " + e.what();
    return nullptr;
  } catch (const json::exception& e) {
    if (error) *error = source + ": malformed tokenizer.json: " + e.what();
    return nullptr;
  }
  return tok;
}

std::int32_t WordPieceTokenizer::token_to_id(std::string_view token) const {
  for (const auto& a : added_)
    if (a.content == token) return a.id;
  const auto it = vocab_.find(std::string(token));
  return it == vocab_.end() ? -1 : it->second;
}

std::string WordPieceTokenizer::id_to_token(std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= id_to_token_.size()) return {};
  return id_to_token_[static_cast<std::size_t>(id)];
}

int WordPieceTokenizer::num_special_tokens() const {
  int n = 0;
  for (const auto& t : template_)
    if (!t.is_sequence) n += static_cast<int>(t.ids.size());
  return n;
}

void WordPieceTokenizer::normalize_into(std::u32string& s) const {
  std::u32string out;
  for (const auto& step : normalizers_) {
    out.clear();
    switch (step.kind) {
      case NormalizerStep::kBert:
        if (step.clean_text) {
          for (char32_t c : s) {
            if (c == 0 || c == 0xFFFD) continue;
            if (c != '\t' && c != '\n' && c != '\r' && uc::is_other(c)) continue;
            out.push_back(uc::is_whitespace(c) ? U' ' : c);
          }
          s.swap(out);
          out.clear();
        }
        if (step.chinese) {
          for (char32_t c : s) {
            if (uc::is_chinese_char(c)) {
              out.push_back(U' ');
              out.push_back(c);
              out.push_back(U' ');
            } else {
              out.push_back(c);
            }
          }
          s.swap(out);
          out.clear();
        }
        if (step.strip_accents) {
          for (char32_t c : uc::nfd(s))
            if (!uc::is_mark_nonspacing(c)) out.push_back(c);
          s.swap(out);
          out.clear();
        }
        if (step.lowercase) {
          for (char32_t c : s) uc::append_lower(c, out);
          s.swap(out);
        }
        break;
      case NormalizerStep::kNfd:
        s = uc::nfd(s);
        break;
      case NormalizerStep::kLowercase:
        for (char32_t c : s) uc::append_lower(c, out);
        s.swap(out);
        break;
      case NormalizerStep::kStripAccents:
        for (char32_t c : s)
          if (!uc::is_mark_nonspacing(c)) out.push_back(c);
        s.swap(out);
        break;
      case NormalizerStep::kStrip: {
        std::size_t b = 0, e = s.size();
        if (step.strip_left)
          while (b < e && uc::is_whitespace(s[b])) ++b;
        if (step.strip_right)
          while (e > b && uc::is_whitespace(s[e - 1])) --e;
        s = s.substr(b, e - b);
        break;
      }
    }
  }
}

std::string WordPieceTokenizer::normalize(std::string_view text) const {
  std::u32string s = uc::utf8_to_utf32(std::string(text));
  normalize_into(s);
  return uc::utf32_to_utf8(s);
}

void WordPieceTokenizer::pre_tokenize(const std::u32string& s,
                                      std::vector<std::u32string>& words) const {
  std::vector<std::u32string> cur{s}, next;
  for (const auto& step : pre_tokenizers_) {
    next.clear();
    for (const auto& piece : cur) {
      switch (step.kind) {
        case PreTokenizerStep::kBert: {
          std::vector<std::u32string> tmp;
          split_pieces(piece, uc::is_whitespace, false, tmp);
          for (const auto& t : tmp) split_pieces(t, uc::is_bert_punctuation, true, next);
          break;
        }
        case PreTokenizerStep::kWhitespaceSplit:
          split_pieces(piece, uc::is_whitespace, false, next);
          break;
        case PreTokenizerStep::kWhitespace: {
          // \w+|[^\w\s]+
          std::u32string run;
          int kind = 0;  // 0 none, 1 word, 2 other
          for (char32_t c : piece) {
            const int k = uc::is_word_char(c) ? 1 : (uc::is_whitespace(c) ? 0 : 2);
            if (k != kind && !run.empty()) {
              next.push_back(std::move(run));
              run.clear();
            }
            kind = k;
            if (k != 0) run.push_back(c);
          }
          if (!run.empty()) next.push_back(std::move(run));
          break;
        }
      }
    }
    cur.swap(next);
  }
  for (auto& w : cur)
    if (!w.empty()) words.push_back(std::move(w));
}

void WordPieceTokenizer::word_piece(const std::u32string& word, std::vector<std::int32_t>& ids,
                                    std::vector<std::string>* tokens) const {
  if (word.size() > max_input_chars_per_word_) {
    ids.push_back(unk_id_);
    if (tokens) tokens->push_back(unk_token_);
    return;
  }
  const std::size_t first = ids.size();
  const std::size_t first_tok = tokens ? tokens->size() : 0;
  std::size_t start = 0;
  std::string candidate;
  while (start < word.size()) {
    std::size_t end = word.size();
    std::int32_t found = -1;
    while (start < end) {
      candidate.clear();
      if (start > 0) candidate = prefix_;
      for (std::size_t i = start; i < end; ++i) uc::append_utf8(word[i], candidate);
      const auto it = vocab_.find(candidate);
      if (it != vocab_.end()) {
        found = it->second;
        break;
      }
      --end;
    }
    if (found < 0) {
      ids.resize(first);
      ids.push_back(unk_id_);
      if (tokens) {
        tokens->resize(first_tok);
        tokens->push_back(unk_token_);
      }
      return;
    }
    ids.push_back(found);
    if (tokens) tokens->push_back(candidate);
    start = end;
  }
}

void WordPieceTokenizer::tokenize_ids(std::string_view text, std::vector<std::int32_t>& ids,
                                      std::vector<std::string>* tokens) const {
  const std::u32string raw = uc::utf8_to_utf32(std::string(text));
  // Segments: (text, added-token id or -1). Raw-text added tokens first.
  struct Segment {
    std::u32string text;
    std::int32_t id = -1;
    bool normalized = false;
  };
  auto split_added = [&](const std::u32string& s, bool normalized_pass,
                         std::vector<Segment>& out) {
    std::vector<std::pair<std::u32string, const AddedToken*>> cands;
    for (const auto& a : added_)
      if (a.normalized == normalized_pass) cands.emplace_back(uc::utf8_to_utf32(a.content), &a);
    std::size_t pos = 0, seg_start = 0;
    while (pos < s.size()) {
      const AddedToken* best = nullptr;
      std::size_t best_len = 0;
      for (const auto& [c, a] : cands) {
        if (c.size() > best_len && s.compare(pos, c.size(), c) == 0) {
          best = a;
          best_len = c.size();
        }
      }
      if (!best) {
        ++pos;
        continue;
      }
      std::size_t before_end = pos;
      if (best->lstrip)
        while (before_end > seg_start && uc::is_whitespace(s[before_end - 1])) --before_end;
      if (before_end > seg_start)
        out.push_back({s.substr(seg_start, before_end - seg_start), -1, normalized_pass});
      out.push_back({{}, best->id, normalized_pass});
      pos += best_len;
      if (best->rstrip)
        while (pos < s.size() && uc::is_whitespace(s[pos])) ++pos;
      seg_start = pos;
    }
    if (seg_start < s.size()) out.push_back({s.substr(seg_start), -1, normalized_pass});
  };
  std::vector<Segment> raw_segments;
  split_added(raw, false, raw_segments);
  std::vector<std::u32string> words;
  for (auto& seg : raw_segments) {
    if (seg.id >= 0) {
      ids.push_back(seg.id);
      if (tokens) tokens->push_back(id_to_token(seg.id));
      continue;
    }
    normalize_into(seg.text);
    std::vector<Segment> norm_segments;
    split_added(seg.text, true, norm_segments);
    for (auto& ns : norm_segments) {
      if (ns.id >= 0) {
        ids.push_back(ns.id);
        if (tokens) tokens->push_back(id_to_token(ns.id));
        continue;
      }
      words.clear();
      pre_tokenize(ns.text, words);
      for (const auto& w : words) word_piece(w, ids, tokens);
    }
  }
}

std::vector<std::string> WordPieceTokenizer::tokenize(std::string_view text) const {
  std::vector<std::int32_t> ids;
  std::vector<std::string> tokens;
  tokenize_ids(text, ids, &tokens);
  return tokens;
}

TokenEncoding WordPieceTokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<std::int32_t> seq;
  tokenize_ids(text, seq, nullptr);
  const int n_special = add_special_tokens ? num_special_tokens() : 0;
  if (max_length_ > 0) {
    const std::size_t room =
        static_cast<std::size_t>(std::max(0, max_length_ - n_special));
    if (seq.size() > room) {
      if (truncate_left_)
        seq.erase(seq.begin(), seq.end() - static_cast<std::ptrdiff_t>(room));
      else
        seq.resize(room);
    }
  }
  TokenEncoding enc;
  if (!add_special_tokens) {
    enc.ids = std::move(seq);
    enc.type_ids.assign(enc.ids.size(), 0);
    return enc;
  }
  enc.ids.reserve(seq.size() + static_cast<std::size_t>(n_special));
  for (const auto& t : template_) {
    if (t.is_sequence) {
      enc.ids.insert(enc.ids.end(), seq.begin(), seq.end());
      enc.type_ids.insert(enc.type_ids.end(), seq.size(), t.type_id);
    } else {
      enc.ids.insert(enc.ids.end(), t.ids.begin(), t.ids.end());
      enc.type_ids.insert(enc.type_ids.end(), t.ids.size(), t.type_id);
    }
  }
  return enc;
}

}  // namespace rg::retrieval
