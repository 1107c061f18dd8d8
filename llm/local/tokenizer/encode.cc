// llm/local/tokenizer/encode.cc: Tokenizer::encode. The text is cut at
// special/added tokens (raw text first, then, for tokens marked normalized,
// the normalized text, as HF does); what is left goes through the
// pre-tokenizer (byte-level split rules, or SentencePiece's Metaspace) and BPE
// of the tokenizer's kind.
#include <cstdint>
#include <string>
#include <vector>

#include "llm/local/tokenizer/internal/pre_tokenizer.h"
#include "llm/local/tokenizer/unicode_nfc.h"
#include "llm/local/tokenizer/internal/tokenizer_impl.h"
#include "llm/local/tokenizer/internal/utf8.h"

namespace rg::llm::local {
namespace {

// Working memory of one encode call (encode is const and thread-safe, so
// nothing of this lives in the Tokenizer).
struct EncodeState {
  BpeScratch bpe;
  std::vector<std::int32_t> word;
  std::vector<std::string_view> pieces;
  std::vector<TextSegment> segments;
};

// Byte-level BPE of one pre-token (raw bytes).
void encode_byte_level_piece(const Tokenizer::Impl& t, std::string_view piece, EncodeState& st,
                             std::vector<std::int32_t>& out) {
  if (t.spec.ignore_merges || piece.size() == 1) {
    auto it = t.raw_ids.find(piece);
    if (it != t.raw_ids.end()) {
      out.push_back(it->second);
      return;
    }
  }
  st.word.clear();
  for (unsigned char b : piece) {
    std::int32_t id = t.byte_ids[b];
    if (id < 0) id = t.spec.unk_id;  // no unk: the byte is dropped, as HF's BPE does
    if (id >= 0) st.word.push_back(id);
  }
  bpe_merge(t.merge_source(), st.word, st.bpe);
  out.insert(out.end(), st.word.begin(), st.word.end());
}

void encode_byte_level_text(const Tokenizer::Impl& t, std::string_view text, EncodeState& st,
                            std::vector<std::int32_t>& out) {
  st.pieces.clear();
  pre_tokenize(t.spec.pre, text, st.pieces);
  for (std::string_view p : st.pieces) encode_byte_level_piece(t, p, st, out);
}

// SentencePiece BPE of one normalized word (the whole text between added
// tokens, or one word of a Metaspace split).
void encode_sentencepiece_word(const Tokenizer::Impl& t, std::string_view word, EncodeState& st,
                               std::vector<std::int32_t>& out) {
  st.word.clear();
  bool last_unk = false;
  for (std::size_t i = 0; i < word.size();) {
    char32_t cp;
    std::size_t n = utf8::decode_or_replace(word, i, &cp);
    std::string_view ch = word.substr(i, n);
    i += n;
    auto it = t.ids.find(ch);
    if (it != t.ids.end()) {
      st.word.push_back(it->second);
      last_unk = false;
    } else if (t.spec.byte_fallback && t.all_byte_tokens) {
      for (unsigned char b : ch) st.word.push_back(t.byte_ids[b]);
      last_unk = false;
    } else if (t.spec.unk_id >= 0) {
      // Consecutive unknown characters become one unk (SentencePiece, HF fuse_unk).
      if (!last_unk) st.word.push_back(t.spec.unk_id);
      last_unk = true;
    }
  }
  bpe_merge(t.merge_source(), st.word, st.bpe);
  out.insert(out.end(), st.word.begin(), st.word.end());
}

// HF's Metaspace pre-tokenizer on one piece of text between added tokens
// (at_start: the piece begins the input), then the model on its word(s).
void encode_metaspace_piece(const Tokenizer::Impl& t, std::string_view piece, bool at_start,
                            EncodeState& st, std::vector<std::int32_t>& out) {
  if (piece.empty()) return;
  // The prefix goes only where the marked text does not start with U+2581.
  bool marked = piece[0] == ' ' || piece.substr(0, 3) == "\xE2\x96\x81";
  SpaceMarking m = t.spec.space_marking;
  bool prefix = !marked && (m == SpaceMarking::kMetaspaceAlways ||
                            (m == SpaceMarking::kMetaspaceFirst && at_start));
  std::string text = sentencepiece_normalize(piece, prefix);
  if (!t.spec.metaspace_split) {
    encode_sentencepiece_word(t, text, st, out);
    return;
  }
  // split: a new word before every U+2581 (HF MergedWithNext), none empty.
  std::string_view rest = text;
  std::size_t begin = 0;
  for (std::size_t k = 1; k + 3 <= rest.size(); ++k) {
    if (rest.compare(k, 3, "\xE2\x96\x81") != 0) continue;
    encode_sentencepiece_word(t, rest.substr(begin, k - begin), st, out);
    begin = k;
    k += 2;
  }
  encode_sentencepiece_word(t, rest.substr(begin), st, out);
}

// Text between raw-matched added tokens: normalize, cut at normalized added
// tokens, run the model on the rest. input: the whole text being encoded
// (text is a view into it).
void encode_text(const Tokenizer::Impl& t, std::string_view input, std::string_view text,
                 bool parse_special, EncodeState& st, std::vector<std::int32_t>& out) {
  const bool metaspace = t.sentencepiece() && t.spec.space_marking != SpaceMarking::kNormalizer;
  std::string normalized;
  std::string_view norm = text;
  if (t.sentencepiece() && !metaspace) {
    normalized = sentencepiece_normalize(text, t.spec.add_space_prefix);
    norm = normalized;
  } else if (t.spec.nfc && !nfc_trivially_unchanged(text)) {
    normalized = nfc(text);
    norm = normalized;
  }
  auto model = [&](std::string_view s) {
    if (s.empty()) return;
    if (metaspace)
      encode_metaspace_piece(t, s, s.data() == input.data(), st, out);
    else if (t.sentencepiece())
      encode_sentencepiece_word(t, s, st, out);
    else
      encode_byte_level_text(t, s, st, out);
  };
  if (t.normalized_matcher.empty()) {
    model(norm);
    return;
  }
  std::vector<TextSegment> segs;
  t.normalized_matcher.split(norm, parse_special, segs);
  for (const TextSegment& g : segs) {
    if (g.id >= 0)
      out.push_back(g.id);
    else
      model(g.text);
  }
}

}  // namespace

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool add_special,
                                            bool parse_special) const {
  const Impl& t = *impl_;
  std::vector<std::int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_special && t.spec.add_bos) out.push_back(t.spec.bos_id);
  EncodeState st;
  if (t.raw_matcher.empty()) {
    encode_text(t, text, text, parse_special, st, out);
  } else {
    t.raw_matcher.split(text, parse_special, st.segments);
    for (const TextSegment& g : st.segments) {
      if (g.id >= 0)
        out.push_back(g.id);
      else
        encode_text(t, text, g.text, parse_special, st, out);
    }
  }
  if (add_special && t.spec.add_eos) out.push_back(t.spec.eos_id);
  return out;
}

}  // namespace rg::llm::local
