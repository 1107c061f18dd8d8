#include "colang/v1/internal/line_reader.h"

#include "colang/v1/internal/text_util.h"

namespace rg::colang::v1::internal {

namespace {

Diagnostic make_error(const std::string& file, int line, int column, std::string code,
                      std::string message, std::string_view source_line) {
  Diagnostic d;
  d.file = file;
  d.line = line;
  d.column = column;
  d.code = std::move(code);
  d.message = std::move(message);
  d.source_line = std::string(source_line);
  return d;
}

// Cuts a trailing `# ...` that is not inside a "..." string.
std::string cut_trailing_comment(const std::string& s) {
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') in_string = !in_string;
    if (s[i] == '#' && !in_string) return strip(std::string_view(s).substr(0, i));
  }
  return s;
}

}  // namespace

LineReaderResult read_lines(std::string_view source, const std::string& file,
                            std::vector<Diagnostic>* diagnostics) {
  LineReaderResult out;
  if (starts_with(source, "\xEF\xBB\xBF")) source.remove_prefix(3);
  size_t pos = 0;
  while (true) {
    size_t nl = source.find('\n', pos);
    std::string_view l = source.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    out.physical.push_back(l);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  const auto& raw = out.physical;
  const size_t n = raw.size();

  std::string comment;
  bool has_comment = false;
  bool in_block = false;
  int block_start = 0;
  auto add_comment = [&](const std::string& text) {
    if (!has_comment) {
      comment = text;
      has_comment = true;
    } else {
      comment += "\n" + text;
    }
  };

  for (size_t i = 0; i < n; ++i) {
    std::string s = strip(raw[i]);
    if (!s.empty() && s[0] == '#') {
      add_comment(strip(std::string_view(s).substr(1)));
      continue;
    }
    if (s.empty()) continue;
    const size_t first = i;

    // A "..." string that does not close on its line goes on until a line
    // that ends with a quote.
    if (!in_block && s[0] == '"' && !starts_with(s, "\"\"\"") &&
        find_string_end(s, 0) == std::string::npos) {
      size_t j = i + 1;
      std::string joined = s;
      bool closed = false;
      while (j < n) {
        std::string piece = strip(raw[j]);
        joined += "\n" + piece;
        if (ends_with(piece, "\"")) {
          closed = true;
          break;
        }
        ++j;
      }
      if (!closed) {
        size_t col = raw[i].find('"');
        diagnostics->push_back(make_error(file, static_cast<int>(i) + 1,
                                          static_cast<int>(col) + 1, "string",
                                          "unterminated string: the \" opened here is never closed",
                                          raw[i]));
        // Keep the line itself, so the rest of the file still parses.
        j = i;
        joined = s;
      }
      s = joined;
      i = j;
    }

    s = cut_trailing_comment(s);
    if (s.empty()) continue;

    if (!in_block && starts_with(s, "\"\"\"")) {
      if (s == "\"\"\"" || !ends_with(s, "\"\"\"") || s.size() < 6) {
        in_block = true;
        block_start = static_cast<int>(i) + 1;
        has_comment = false;
        add_comment(s.substr(3));
      } else {
        has_comment = false;
        add_comment(s.substr(3, s.size() - 6));
      }
      continue;
    }
    if (in_block) {
      if (ends_with(s, "\"\"\"")) {
        comment += "\n" + s.substr(0, s.size() - 3);
        in_block = false;
      } else {
        comment += "\n" + s;
      }
      continue;
    }

    LogicalLine ll;
    ll.line = static_cast<int>(first) + 1;
    int indent = 0;
    while (static_cast<size_t>(indent) < raw[first].size() && raw[first][indent] == ' ') ++indent;
    size_t col = 0;
    while (col < raw[first].size() && (raw[first][col] == ' ' || raw[first][col] == '\t')) ++col;
    ll.indent = indent;
    ll.column = static_cast<int>(col) + 1;

    // `\` at the end, or a trailing ` or`, joins the next line.
    while (i + 1 < n && !s.empty() && (s.back() == '\\' || ends_with(s, " or"))) {
      ++i;
      if (s.back() == '\\') s.pop_back();
      if (!s.empty() && s.back() != ' ') s += ' ';
      s += strip(raw[i]);
    }
    ll.text = s;
    ll.last_line = static_cast<int>(i) + 1;
    ll.comment = comment;
    ll.has_comment = has_comment;
    comment.clear();
    has_comment = false;
    out.lines.push_back(std::move(ll));
  }
  if (in_block) {
    diagnostics->push_back(make_error(file, block_start, 1, "string",
                                      "unterminated \"\"\" block: no line ends with \"\"\"",
                                      raw[block_start - 1]));
  }
  return out;
}

}  // namespace rg::colang::v1::internal
