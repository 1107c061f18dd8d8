// llm/local/tokenizer/byte_level.cc: see internal/byte_level.h.
#include "llm/local/tokenizer/internal/byte_level.h"

#include "llm/local/tokenizer/internal/utf8.h"

namespace rg::llm::local::byte_level {
namespace {

bool printable(unsigned b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<std::string, 256> chars;
  std::array<int, 0x144> byte_of;  // code point (< U+0144) -> byte, -1 if none
  Tables() {
    byte_of.fill(-1);
    unsigned next = 0x100;
    for (unsigned b = 0; b < 256; ++b) {
      char32_t cp = printable(b) ? b : next++;
      utf8::append(chars[b], cp);
      byte_of[cp] = static_cast<int>(b);
    }
  }
};

// Built once, read-only afterwards (a function-local static: thread-safe init).
const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const std::array<std::string, 256>& byte_chars() { return tables().chars; }

bool to_bytes(std::string_view stored, std::string* bytes) {
  const Tables& t = tables();
  bytes->clear();
  for (std::size_t i = 0; i < stored.size();) {
    char32_t cp;
    std::size_t n = utf8::decode(stored, i, &cp);
    if (n == 0 || cp >= t.byte_of.size() || t.byte_of[cp] < 0) return false;
    bytes->push_back(static_cast<char>(t.byte_of[cp]));
    i += n;
  }
  return true;
}

std::string from_bytes(std::string_view bytes) {
  std::string out;
  for (unsigned char b : bytes) out += byte_chars()[b];
  return out;
}

}  // namespace rg::llm::local::byte_level
