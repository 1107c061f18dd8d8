// llm/local/tokenizer/pre_tokenizer.cc: see internal/pre_tokenizer.h.
//
// The rules, as regexes (\s is White_Space, \p{L}/\p{N} general categories):
//   gpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   llama3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//           ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2:  llama3 with \p{N} (one digit) in place of \p{N}{1,3}
// Every character is a letter, a number, a space or "other", so some
// alternative always matches and the pieces cover the text.
#include "llm/local/tokenizer/internal/pre_tokenizer.h"

#include <cstddef>

#include "llm/local/tokenizer/internal/utf8.h"
#include "llm/local/tokenizer/unicode_categories.h"

namespace rg::llm::local {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}

  std::size_t size() const { return s_.size(); }

  // Class and byte length of the character at i (i < size()).
  CharClass at(std::size_t i, std::size_t* len) const {
    unsigned char b = static_cast<unsigned char>(s_[i]);
    if (b < 0x80) {
      *len = 1;
      return char_class(b);
    }
    char32_t cp;
    *len = utf8::decode_or_replace(s_, i, &cp);
    return char_class(cp);
  }

  bool is(std::size_t i, CharClass c) const {
    std::size_t len;
    return i < s_.size() && at(i, &len) == c;
  }

  // End of the run of class c starting at i (i itself if none), at most
  // max_chars characters.
  std::size_t run(std::size_t i, CharClass c, std::size_t max_chars = SIZE_MAX) const {
    std::size_t len, n = 0;
    while (i < s_.size() && n < max_chars && at(i, &len) == c) {
      i += len;
      ++n;
    }
    return i;
  }

  std::size_t newline_run(std::size_t i) const {
    while (i < s_.size() && (s_[i] == '\r' || s_[i] == '\n')) ++i;
    return i;
  }

  // 's 't 're 've 'm 'll 'd at i (s_[i] == '\''); returns the match length or 0.
  std::size_t contraction(std::size_t i, bool fold_case) const {
    auto letter = [&](std::size_t k, char want, std::size_t* len) {
      *len = 1;
      if (k >= s_.size()) return false;
      char c = s_[k];
      if (c == want) return true;
      if (!fold_case) return false;
      if (c == want - 'a' + 'A') return true;
      // U+017F LATIN SMALL LETTER LONG S case-folds to 's' (Oniguruma's
      // case-insensitive match applies Unicode case folding).
      if (want == 's' && k + 1 < s_.size() && static_cast<unsigned char>(c) == 0xC5 &&
          static_cast<unsigned char>(s_[k + 1]) == 0xBF) {
        *len = 2;
        return true;
      }
      return false;
    };
    std::size_t a, b;
    for (char c : {'s', 't', 'm', 'd'})
      if (letter(i + 1, c, &a)) return 1 + a;
    static constexpr char kTwo[3][2] = {{'r', 'e'}, {'v', 'e'}, {'l', 'l'}};
    for (const auto& p : kTwo)
      if (letter(i + 1, p[0], &a) && letter(i + 1 + a, p[1], &b)) return 1 + a + b;
    return 0;
  }

  // The whitespace run starting at i (a space): its end, and the start of its
  // last character.
  std::size_t space_run(std::size_t i, std::size_t* last_start) const {
    std::size_t len;
    *last_start = i;
    while (i < s_.size() && at(i, &len) == CharClass::kSpace) {
      *last_start = i;
      i += len;
    }
    return i;
  }

  // \s+(?!\S) then \s+, for a space at i: the whole run when it ends the text,
  // else the run less its last character (which then starts the next piece),
  // else the single character.
  std::size_t trailing_space_rule(std::size_t i, std::size_t first_len) const {
    std::size_t last;
    std::size_t end = space_run(i, &last);
    if (end == s_.size()) return end;
    if (last > i) return last;
    return i + first_len;
  }

  std::size_t next_gpt2(std::size_t i) const {
    std::size_t len;
    CharClass c = at(i, &len);
    if (s_[i] == '\'') {
      if (std::size_t n = contraction(i, false)) return i + n;
    }
    if (c == CharClass::kLetter || c == CharClass::kNumber) return run(i, c);
    if (s_[i] == ' ' && i + 1 < s_.size()) {
      std::size_t len2;
      CharClass next = at(i + 1, &len2);
      if (next != CharClass::kSpace) return run(i + 1, next);
    }
    if (c == CharClass::kOther) return run(i, CharClass::kOther);
    return trailing_space_rule(i, len);
  }

  std::size_t next_llama3(std::size_t i, std::size_t max_digits) const {
    std::size_t len;
    CharClass c = at(i, &len);
    if (s_[i] == '\'') {
      if (std::size_t n = contraction(i, true)) return i + n;
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c == CharClass::kLetter) return run(i, c);
    bool is_newline = s_[i] == '\r' || s_[i] == '\n';
    if (c != CharClass::kNumber && !is_newline && is(i + len, CharClass::kLetter))
      return run(i + len, CharClass::kLetter);
    // \p{N}{1,3}
    if (c == CharClass::kNumber) return run(i, c, max_digits);
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    std::size_t k = s_[i] == ' ' && is(i + 1, CharClass::kOther) ? i + 1 : i;
    if (k > i || c == CharClass::kOther) return newline_run(run(k, CharClass::kOther));
    // c is a space. \s*[\r\n]+: up to and including the run's last newline.
    std::size_t last;
    std::size_t end = space_run(i, &last);
    for (std::size_t p = end; p > i; --p) {
      if (s_[p - 1] == '\r' || s_[p - 1] == '\n') return p;
    }
    return trailing_space_rule(i, len);
  }

 private:
  std::string_view s_;
};

}  // namespace

void pre_tokenize(PreTokenizerKind kind, std::string_view text,
                  std::vector<std::string_view>& pieces) {
  Scanner sc(text);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = kind == PreTokenizerKind::kGpt2    ? sc.next_gpt2(i)
                      : kind == PreTokenizerKind::kQwen2 ? sc.next_llama3(i, 1)
                                                         : sc.next_llama3(i, 3);
    pieces.push_back(text.substr(i, end - i));
    i = end;
  }
}

}  // namespace rg::llm::local
