#include "colang/v1/internal/text_util.h"

#include <cstdint>
#include <cstdio>

namespace rg::colang::v1::internal {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_word_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_word_char(char c) { return is_word_start(c) || (c >= '0' && c <= '9'); }
}  // namespace

std::string strip(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view x) {
  return s.size() >= x.size() && s.substr(s.size() - x.size()) == x;
}

std::vector<std::string> word_split(std::string_view text, std::string_view word) {
  std::vector<std::string> parts;
  if (text.empty()) return {""};
  if (word.empty()) return {std::string(text)};
  size_t start = 0;
  bool in_string = false;
  size_t i = 0;
  while (i < text.size()) {
    if (in_string) {
      if (text[i] == '"') in_string = false;
      ++i;
      continue;
    }
    if (text.compare(i, word.size(), word) == 0) {
      std::string part = strip(text.substr(start, i - start));
      if (!part.empty()) parts.push_back(std::move(part));
      i += word.size();
      start = i;
      continue;
    }
    if (text[i] == '"') in_string = true;
    ++i;
  }
  if (start < text.size()) {
    std::string part = strip(text.substr(start));
    if (ends_with(part, word)) part = strip(part.substr(0, part.size() - word.size()));
    if (!part.empty()) parts.push_back(std::move(part));
  }
  return parts;
}

std::vector<std::string> split_once(std::string_view text, std::string_view sep) {
  size_t p = text.find(sep);
  if (p == std::string_view::npos) return {std::string(text)};
  return {std::string(text.substr(0, p)), std::string(text.substr(p + sep.size()))};
}

std::string collapse_spaces(std::string_view text) {
  std::string out;
  for (const std::string& w : word_split(text, " ")) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

std::string main_token(std::string_view text) {
  std::string t = strip(text);
  auto first_word = [](std::string_view s) {
    size_t p = s.find(' ');
    return std::string(p == std::string_view::npos ? s : s.substr(0, p));
  };
  std::string tok = first_word(t);
  if ((tok == "else" || tok == "go") && t != tok) {
    std::string rest = strip(std::string_view(t).substr(tok.size()));
    tok += " " + first_word(rest);
  }
  return tok;
}

std::string remove_token(std::string_view token, std::string_view text) {
  std::string t = strip(text);
  if (!starts_with(t, token)) return t;
  return strip(std::string_view(t).substr(token.size()));
}

std::string string_hash(std::string_view s) {
  if (s.empty()) return "0";
  uint32_t h = 0;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    uint32_t cp = b;
    size_t len = 1;
    if (b >= 0xF0) {
      cp = b & 0x07;
      len = 4;
    } else if (b >= 0xE0) {
      cp = b & 0x0F;
      len = 3;
    } else if (b >= 0xC0) {
      cp = b & 0x1F;
      len = 2;
    }
    if (i + len > s.size()) len = 1, cp = b;
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    i += len;
    h = (h << 5) - h + cp;
  }
  uint64_t v = h;
  if (v >= (1ull << 31)) v = (1ull << 32) - v;
  char buf[24];
  snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string bot_text_to_jinja(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 2, "{{") == 0) {
      size_t end = text.find("}}", i + 2);
      size_t stop = end == std::string_view::npos ? text.size() : end + 2;
      out.append(text.substr(i, stop - i));
      i = stop;
      continue;
    }
    if (text[i] == '$' && i + 1 < text.size() && is_word_start(text[i + 1])) {
      size_t j = i + 1;
      while (j < text.size() && is_word_char(text[j])) ++j;
      while (j + 1 < text.size() && text[j] == '.' && is_word_start(text[j + 1])) {
        ++j;
        while (j < text.size() && is_word_char(text[j])) ++j;
      }
      out += "{{ ";
      out.append(text.substr(i + 1, j - i - 1));
      out += " }}";
      i = j;
      continue;
    }
    out += text[i++];
  }
  return out;
}

std::string user_example_slots(std::string_view text) {
  static constexpr std::string_view kStop = " \"'!?-,;</";
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '$') {
      size_t j = i + 1;
      while (j < text.size() && kStop.find(text[j]) == std::string_view::npos && text[j] != '$') ++j;
      // The slot name must end with a word character or ']'.
      while (j > i + 1 && !(is_word_char(text[j - 1]) || text[j - 1] == ']' ||
                            static_cast<unsigned char>(text[j - 1]) >= 0x80)) {
        --j;
      }
      if (j > i + 1) {
        out += '{';
        out.append(text.substr(i + 1, j - i - 1));
        out += '}';
        i = j;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

size_t find_string_end(std::string_view text, size_t open) {
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i;
    }
  }
  return std::string_view::npos;
}

bool is_var_ref(std::string_view s) {
  if (s.size() < 2 || s[0] != '$' || !is_word_start(s[1])) return false;
  for (size_t i = 2; i < s.size(); ++i) {
    if (!is_word_char(s[i]) && s[i] != '.') return false;
  }
  return true;
}

}  // namespace rg::colang::v1::internal
