// Not for use outside colang/.
#include "colang/internal/string_literal.h"

#include "colang/value.h"

namespace rg::colang::internal {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the escape starting at raw[i] == '\\'. Appends the result to out
// and returns how many bytes were consumed (at least 1).
size_t decode_one_escape(std::string_view raw, size_t i, std::string& out) {
  if (i + 1 >= raw.size()) {
    out += '\\';
    return 1;
  }
  char c = raw[i + 1];
  switch (c) {
    case '\n': return 2;  // backslash-newline joins lines
    case '\\': out += '\\'; return 2;
    case '\'': out += '\''; return 2;
    case '"': out += '"'; return 2;
    case 'a': out += '\a'; return 2;
    case 'b': out += '\b'; return 2;
    case 'f': out += '\f'; return 2;
    case 'n': out += '\n'; return 2;
    case 'r': out += '\r'; return 2;
    case 't': out += '\t'; return 2;
    case 'v': out += '\v'; return 2;
    case 'x':
    case 'u':
    case 'U': {
      size_t digits = c == 'x' ? 2 : (c == 'u' ? 4 : 8);
      if (i + 2 + digits > raw.size()) break;
      uint32_t cp = 0;
      for (size_t k = 0; k < digits; ++k) {
        int h = hex_value(raw[i + 2 + k]);
        if (h < 0) {
          cp = UINT32_MAX;
          break;
        }
        cp = cp * 16 + static_cast<uint32_t>(h);
      }
      if (cp == UINT32_MAX) break;
      colang::append_utf8(out, cp);
      return 2 + digits;
    }
    default:
      if (c >= '0' && c <= '7') {
        uint32_t cp = 0;
        size_t k = 0;
        while (k < 3 && i + 1 + k < raw.size() && raw[i + 1 + k] >= '0' && raw[i + 1 + k] <= '7') {
          cp = cp * 8 + static_cast<uint32_t>(raw[i + 1 + k] - '0');
          ++k;
        }
        colang::append_utf8(out, cp);
        return 1 + k;
      }
      break;
  }
  // Unknown or malformed escape: the backslash stays, the next character is
  // read normally (Python keeps "\d" as backslash + d).
  out += '\\';
  return 1;
}

}  // namespace

StringToken split_string_token(std::string_view text) {
  StringToken st;
  size_t i = 0;
  if (text.substr(0, 3) == "...") {
    st.nld = true;
    i = 3;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  }
  std::string_view rest = text.substr(i);
  size_t q = 1;
  if (rest.size() >= 6 && (rest.substr(0, 3) == "\"\"\"" || rest.substr(0, 3) == "'''")) {
    q = 3;
    st.long_form = true;
  }
  if (rest.size() < 2 * q) return st;  // cannot happen for lexer tokens
  st.body = rest.substr(q, rest.size() - 2 * q);
  st.body_offset = i + q;
  return st;
}

std::string decode_escapes(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    if (raw[i] == '\\') {
      i += decode_one_escape(raw, i, out);
    } else {
      out += raw[i++];
    }
  }
  return out;
}

std::vector<StringPart> split_interpolations(std::string_view body, const InnerParser& parse_inner) {
  std::vector<StringPart> parts;
  std::string text;
  auto flush = [&]() {
    if (!text.empty()) {
      parts.push_back(StringPart{std::move(text), nullptr});
      text.clear();
    }
  };
  const size_t n = body.size();
  for (size_t i = 0; i < n;) {
    char c = body[i];
    if (c == '\\') {
      i += decode_one_escape(body, i, text);
      continue;
    }
    if (c == '{' && i + 1 < n && body[i + 1] == '{') {
      text += '{';
      i += 2;
      continue;
    }
    if (c == '}' && i + 1 < n && body[i + 1] == '}') {
      text += '}';
      i += 2;
      continue;
    }
    if (c == '{') {
      size_t j = body.find_first_of("{}", i + 1);
      bool candidate = j != std::string_view::npos && body[j] == '}' && j > i + 1 &&
                       !(j + 1 < n && body[j + 1] == '}');
      if (candidate) {
        std::string_view inner = body.substr(i + 1, j - i - 1);
        ExprPtr expr = parse_inner(inner, i + 1);
        if (expr != nullptr) {
          flush();
          parts.push_back(StringPart{std::string(inner), std::move(expr)});
          i = j + 1;
          continue;
        }
      }
    }
    text += c;
    ++i;
  }
  flush();
  if (parts.empty()) parts.push_back(StringPart{"", nullptr});
  return parts;
}

}  // namespace rg::colang::internal
