// Not for use outside rails/prompts/template/.
//
// The first pass over a template: splits the source into text and tags,
// applies whitespace control ({%- -%} {{- -}} {#- -#}), drops comments,
// copies {% raw %} blocks, and tokenises each tag. parser.cc builds the tree.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "colang/value.h"

namespace rg::rails::prompts::internal {

// Maps byte offsets to 1-based line and column.
class Positions {
 public:
  explicit Positions(const std::string& s) {
    starts_.push_back(0);
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\n') starts_.push_back(i + 1);
    }
  }
  int line(size_t offset) const {
    auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    return static_cast<int>(it - starts_.begin());
  }
  int column(size_t offset) const {
    return static_cast<int>(offset - starts_[static_cast<size_t>(line(offset)) - 1]) + 1;
  }

 private:
  std::vector<size_t> starts_;
};

struct Token {
  enum class Type { kName, kInt, kFloat, kString, kOp, kEnd };
  Type type = Type::kEnd;
  std::string text;  // name, operator, or decoded string
  colang::Value value;
  size_t offset = 0;
};

// One `{{ }}` or `{% %}` tag, tokenised (ends with a kEnd token).
struct Tag {
  char kind;  // '{' output, '%' statement
  size_t offset;
  std::vector<Token> tokens;
};

// Either text or a tag, in source order.
struct Piece {
  bool is_text = true;
  std::string text;
  size_t offset = 0;
  Tag tag;
};

// Splits `source` into pieces. Throws ParseError (ast.h) on an unclosed tag,
// comment, raw block or string, or a character no token starts with.
std::vector<Piece> scan_template(const std::string& source, const Positions& positions);

}  // namespace rg::rails::prompts::internal
