// llm/local/tokenizer/decode.cc: Tokenizer::decode and StreamDecoder.
//
// Byte-level: every token's bytes, concatenated, then invalid UTF-8 repaired
// per maximal subpart (HF's ByteLevel decoder + from_utf8_lossy).
// SentencePiece (HF decoder Replace(U+2581 -> ' '), ByteFallback, Fuse,
// Strip(1 leading space)): a run of <0xAB> tokens becomes its bytes when they
// are valid UTF-8, else one U+FFFD per byte; then one leading space goes.
// With HF's Metaspace decoder (first/always) the first token (after skipped
// specials) loses its U+2581s rather than having them as spaces.
#include <string>

#include "llm/local/tokenizer/internal/tokenizer_impl.h"
#include "llm/local/tokenizer/internal/utf8.h"

namespace rg::llm::local {
namespace {

bool valid_utf8(std::string_view s) {
  char32_t cp;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8::decode(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void flush_byte_run(std::string& run, std::string& out) {
  if (run.empty()) return;
  if (valid_utf8(run)) {
    out += run;
  } else {
    for (std::size_t k = 0; k < run.size(); ++k) utf8::append(out, utf8::kReplacement);
  }
  run.clear();
}

}  // namespace

std::string Tokenizer::decode(std::span<const std::int32_t> ids, bool skip_special) const {
  const Impl& t = *impl_;
  std::string raw, out;
  if (!t.sentencepiece()) {
    for (std::int32_t id : ids) {
      if (id < 0 || id >= vocab_size()) continue;  // HF skips unknown ids too
      if (skip_special && (t.flags[id] & Impl::kSpecial)) continue;
      raw += t.bytes[id];
    }
    utf8::append_lossy(out, raw);
    return out;
  }
  std::string run;
  bool first = true;
  for (std::int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    if (skip_special && (t.flags[id] & Impl::kSpecial)) continue;
    if (t.flags[id] & Impl::kByte) {
      run += t.bytes[id];
      first = false;
      continue;
    }
    flush_byte_run(run, out);
    if (first && t.spec.decode_metaspace_first)
      out += first_token_bytes(id);
    else
      out += t.bytes[id];
    first = false;
  }
  flush_byte_run(run, out);
  if (t.spec.add_space_prefix && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

StreamDecoder::StreamDecoder(std::shared_ptr<const Tokenizer> tokenizer, bool skip_special)
    : tok_(std::move(tokenizer)), skip_special_(skip_special) {
  if (!tok_) throw TokenizerError("StreamDecoder: no tokenizer");
}

std::string StreamDecoder::push(std::int32_t id) {
  if (skip_special_ && tok_->is_special(id)) return {};
  if (id < 0 || id >= tok_->vocab_size()) return {};  // decode skips these too
  if (first_token_)
    pending_ += tok_->first_token_bytes(id);
  else
    pending_ += tok_->token_bytes(id);
  first_token_ = false;
  if (at_start_ && !pending_.empty()) {
    at_start_ = false;
    if (tok_->strips_leading_space() && pending_[0] == ' ') pending_.erase(0, 1);
  }
  std::size_t tail = 0;
  utf8::has_incomplete_tail(pending_, &tail);
  std::string out;
  utf8::append_lossy(out, std::string_view(pending_).substr(0, pending_.size() - tail));
  pending_.erase(0, pending_.size() - tail);
  return out;
}

std::string StreamDecoder::finish() {
  std::string out;
  utf8::append_lossy(out, pending_);
  pending_.clear();
  return out;
}

}  // namespace rg::llm::local
