// Not for use outside rails/safety/.
//
// The recognizers behind SensitiveDataDetector: one object per entity type,
// built once, scanned with a const view of the text. A recognizer reports
// candidates with their raw score (after context); the detector applies the
// threshold and resolves overlaps.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rg::rails::safety {
struct CustomRecognizer;
}

namespace rg::rails::safety::internal {

struct Candidate {
  size_t begin = 0, end = 0;
  double score = 0;
};

// Cheap facts about the text, computed once per scan, that let a recognizer
// skip its regexes (the prefilters).
struct TextFacts {
  std::string_view text;
  int digits = 0;
  int colons = 0;
  bool at_sign = false;
  bool dot = false;
  bool letters = false;
  static TextFacts of(std::string_view text);
};

class Recognizer {
 public:
  virtual ~Recognizer() = default;
  virtual const std::string& entity() const = 0;
  // Appends candidates for this recognizer's entity.
  virtual void scan(const TextFacts& facts, std::vector<Candidate>* out) const = 0;
};

// Built-ins, one per entity (rails/safety/README.md): EMAIL_ADDRESS, URL,
// IP_ADDRESS, CREDIT_CARD, US_SSN, IBAN_CODE, US_PASSPORT, US_DRIVER_LICENSE
// (pii_recognizers.cc), PHONE_NUMBER (pii_phone.cc), DATE_TIME
// (pii_datetime.cc).
std::vector<std::unique_ptr<const Recognizer>> make_builtin_recognizers();
std::unique_ptr<const Recognizer> make_phone_recognizer();
std::unique_ptr<const Recognizer> make_datetime_recognizer();
// nullptr with *error set ("recognizers[2].patterns[0].regex: ...") when a
// pattern does not compile.
std::unique_ptr<const Recognizer> make_custom_recognizer(const CustomRecognizer& spec,
                                                         const std::string& where, std::string* error);

// --- shared helpers ------------------------------------------------------

// Presidio's context rule: a match with a context word near it scores
// max(base + 0.35, 0.4), at most 1.
double with_context(double base);
// Whether one of `words` (lower case) occurs as a word (optionally with a
// trailing "s" or "'s") within `before` bytes before [begin, end) or `after`
// bytes after it. ASCII case-insensitive.
bool near_word(std::string_view text, size_t begin, size_t end, const std::vector<std::string_view>& words,
               size_t before = 50, size_t after = 30);
// ASCII case-insensitive search of a lower-case needle.
bool contains_ci(std::string_view text, std::string_view lower_needle);
bool is_word_char(char c);

}  // namespace rg::rails::safety::internal
