// llm/local/tokenizer/tokenizer.cc: Tokenizer::create (spec -> tables) and
// the accessors. Encoding is in encode.cc, decoding in decode.cc.
#include "llm/local/tokenizer/tokenizer.h"

#include <cstdio>
#include <string>

#include "llm/local/tokenizer/internal/byte_level.h"
#include "llm/local/tokenizer/internal/tokenizer_impl.h"

namespace rg::llm::local {
namespace {

[[noreturn]] void fail(const std::string& what) { throw TokenizerError("tokenizer: " + what); }

// "<0xAB>" -> 0xAB, else -1.
int byte_token_value(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  int v = 0;
  for (char c : t.substr(3, 2)) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void check_id(const TokenizerSpec& s, std::int32_t id, const char* field) {
  if (id < -1 || id >= static_cast<std::int32_t>(s.tokens.size()))
    fail(std::string(field) + " = " + std::to_string(id) + " is outside the vocabulary (" +
         std::to_string(s.tokens.size()) + " tokens)");
}

TokenType type_of(const TokenizerSpec& s, std::size_t id) {
  return s.token_types.empty() ? TokenType::kNormal : s.token_types[id];
}

void build_merges(Tokenizer::Impl& t) {
  const TokenizerSpec& s = t.spec;
  if (s.merges.empty()) {
    // SentencePiece models from GGUF carry scores instead of merges.
    t.merge_by_score = t.sentencepiece() && !s.scores.empty();
    return;
  }
  t.pairs.reserve(s.merges.size());
  std::string joined;
  for (std::size_t r = 0; r < s.merges.size(); ++r) {
    const std::string& m = s.merges[r];
    std::size_t sp = m.find(' ', 1);  // a token may itself be " " at the front
    if (sp == std::string::npos) fail("merges[" + std::to_string(r) + "] = '" + m + "' has no space");
    std::string_view a(m.data(), sp), b(m.data() + sp + 1, m.size() - sp - 1);
    joined.assign(a).append(b);
    auto ia = t.ids.find(a), ib = t.ids.find(b), ij = t.ids.find(std::string_view(joined));
    if (ia == t.ids.end() || ib == t.ids.end() || ij == t.ids.end())
      fail("merges[" + std::to_string(r) + "] = '" + m + "' uses a token not in the vocabulary ('" +
           std::string(ia == t.ids.end() ? a : ib == t.ids.end() ? b : std::string_view(joined)) +
           "')");
    t.pairs.insert(ia->second, ib->second, {static_cast<double>(r), ij->second});
  }
}

void build_added_tokens(Tokenizer::Impl& t) {
  const TokenizerSpec& s = t.spec;
  std::vector<AddedTokenOptions> opts = s.added_tokens;
  if (opts.empty()) {
    for (std::size_t i = 0; i < s.tokens.size(); ++i) {
      TokenType ty = type_of(s, i);
      if (ty == TokenType::kControl || ty == TokenType::kUserDefined) {
        AddedTokenOptions o;
        o.id = static_cast<std::int32_t>(i);
        o.special = ty == TokenType::kControl;
        opts.push_back(o);
      }
    }
  }
  for (const AddedTokenOptions& o : opts) {
    check_id(s, o.id, "added_tokens id");
    if (o.id < 0) fail("added_tokens: id -1");
    if (o.special) t.flags[o.id] |= Tokenizer::Impl::kSpecial;
    AddedTokenMatcher::Pattern p;
    p.id = o.id;
    p.special = o.special;
    p.lstrip = o.lstrip;
    p.rstrip = o.rstrip;
    p.single_word = o.single_word;
    if (o.normalized) {
      // HF normalizes the token's text with the model's normalizer too.
      // (With a Metaspace pre-tokenizer there is no normalizer: the text as is.)
      p.text = t.sentencepiece() && s.space_marking == SpaceMarking::kNormalizer
                   ? sentencepiece_normalize(s.tokens[o.id], s.add_space_prefix)
                   : s.tokens[o.id];
      t.normalized_matcher.add(std::move(p));
    } else {
      p.text = s.tokens[o.id];
      t.raw_matcher.add(std::move(p));
    }
  }
}

void build_decode_tables(Tokenizer::Impl& t) {
  const TokenizerSpec& s = t.spec;
  t.byte_ids.fill(-1);
  t.bytes.resize(s.tokens.size());
  std::string raw;
  for (std::size_t i = 0; i < s.tokens.size(); ++i) {
    const std::string& text = s.tokens[i];
    if (t.sentencepiece()) {
      int b = byte_token_value(text);
      if (b >= 0) {
        t.bytes[i] = std::string(1, static_cast<char>(b));
        t.flags[i] |= Tokenizer::Impl::kByte;
        if (t.byte_ids[b] < 0) t.byte_ids[b] = static_cast<std::int32_t>(i);
        continue;
      }
      std::string& out = t.bytes[i];
      for (std::size_t k = 0; k < text.size();) {
        if (text.compare(k, 3, "\xE2\x96\x81") == 0) {
          out.push_back(' ');
          k += 3;
        } else {
          out.push_back(text[k++]);
        }
      }
    } else if (byte_level::to_bytes(text, &raw)) {
      t.bytes[i] = raw;
      if (!(t.flags[i] & Tokenizer::Impl::kSpecial)) t.raw_ids.emplace(raw, static_cast<std::int32_t>(i));
    } else {
      t.bytes[i] = text;  // not in the byte alphabet: HF passes it through
    }
  }
  if (t.sentencepiece()) {
    t.all_byte_tokens = true;
    for (std::int32_t id : t.byte_ids) t.all_byte_tokens = t.all_byte_tokens && id >= 0;
  } else {
    const auto& chars = byte_level::byte_chars();
    for (int b = 0; b < 256; ++b) {
      auto it = t.ids.find(std::string_view(chars[b]));
      t.byte_ids[b] = it == t.ids.end() ? -1 : it->second;
    }
  }
}

}  // namespace

std::string sentencepiece_normalize(std::string_view text, bool add_prefix) {
  std::string out;
  if (text.empty()) return out;  // HF's Prepend leaves an empty string alone
  out.reserve(text.size() + 8);
  if (add_prefix) out += "\xE2\x96\x81";
  for (char c : text) {
    if (c == ' ')
      out += "\xE2\x96\x81";
    else
      out.push_back(c);
  }
  return out;
}

std::vector<std::int32_t> default_stop_ids(const TokenizerSpec& s) {
  std::vector<std::int32_t> out;
  if (s.eos_id >= 0) out.push_back(s.eos_id);
  for (const char* name : {"<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>"}) {
    for (std::size_t i = 0; i < s.tokens.size(); ++i) {
      if (s.tokens[i] != name) continue;
      auto id = static_cast<std::int32_t>(i);
      bool have = false;
      for (std::int32_t x : out) have = have || x == id;
      if (!have) out.push_back(id);
      break;
    }
  }
  return out;
}

std::shared_ptr<const Tokenizer> Tokenizer::create(TokenizerSpec spec) {
  auto t = std::make_unique<Impl>();
  t->spec = std::move(spec);
  const TokenizerSpec& s = t->spec;
  if (s.tokens.empty()) fail("the vocabulary is empty");
  if (!s.scores.empty() && s.scores.size() != s.tokens.size())
    fail("scores has " + std::to_string(s.scores.size()) + " entries for " +
         std::to_string(s.tokens.size()) + " tokens");
  if (!s.token_types.empty() && s.token_types.size() != s.tokens.size())
    fail("token_types has " + std::to_string(s.token_types.size()) + " entries for " +
         std::to_string(s.tokens.size()) + " tokens");
  check_id(s, s.bos_id, "bos_id");
  check_id(s, s.eos_id, "eos_id");
  check_id(s, s.unk_id, "unk_id");
  check_id(s, s.pad_id, "pad_id");
  for (std::int32_t id : s.stop_ids) check_id(s, id, "stop_ids");
  if (s.add_bos && s.bos_id < 0) fail("add_bos is set but there is no bos_id");
  if (s.add_eos && s.eos_id < 0) fail("add_eos is set but there is no eos_id");

  t->ids.reserve(s.tokens.size());
  for (std::size_t i = 0; i < s.tokens.size(); ++i)
    t->ids.emplace(s.tokens[i], static_cast<std::int32_t>(i));
  t->flags.assign(s.tokens.size(), 0);
  build_added_tokens(*t);
  build_merges(*t);
  build_decode_tables(*t);
  t->stop_ids = s.stop_ids.empty() ? default_stop_ids(s) : s.stop_ids;
  return std::shared_ptr<const Tokenizer>(new Tokenizer(std::move(t)));
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

int Tokenizer::vocab_size() const { return static_cast<int>(impl_->spec.tokens.size()); }
std::int32_t Tokenizer::bos_id() const { return impl_->spec.bos_id; }
std::int32_t Tokenizer::eos_id() const { return impl_->spec.eos_id; }
const std::vector<std::int32_t>& Tokenizer::stop_ids() const { return impl_->stop_ids; }
const TokenizerSpec& Tokenizer::spec() const { return impl_->spec; }

bool Tokenizer::is_special(std::int32_t id) const {
  return id >= 0 && id < vocab_size() && (impl_->flags[id] & Impl::kSpecial);
}

std::int32_t Tokenizer::token_id(std::string_view stored_text) const {
  auto it = impl_->ids.find(stored_text);
  return it == impl_->ids.end() ? -1 : it->second;
}

std::string_view Tokenizer::token_bytes(std::int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return impl_->bytes[id];
}

std::string Tokenizer::first_token_bytes(std::int32_t id) const {
  std::string out(token_bytes(id));
  const Impl& t = *impl_;
  if (!t.sentencepiece() || !t.spec.decode_metaspace_first || (t.flags[id] & Impl::kByte)) return out;
  // HF's Metaspace decoder drops every U+2581 of the first token; from the
  // stored text, since bytes[] has them as spaces already.
  out.clear();
  const std::string& text = t.spec.tokens[id];
  for (std::size_t k = 0; k < text.size();) {
    if (text.compare(k, 3, "\xE2\x96\x81") == 0)
      k += 3;
    else
      out.push_back(text[k++]);
  }
  return out;
}

bool Tokenizer::strips_leading_space() const {
  return impl_->sentencepiece() && impl_->spec.add_space_prefix;
}

}  // namespace rg::llm::local
