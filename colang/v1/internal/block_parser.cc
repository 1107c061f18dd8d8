#include "colang/v1/internal/block_parser.h"

#include <memory>
#include <unordered_map>

#include "ColangV1Lexer.h"
#include "ColangV1Parser.h"
#include "antlr4-runtime.h"

namespace rg::colang::v1::internal {

namespace {

using rg_colang_v1_gen::ColangV1Lexer;
using rg_colang_v1_gen::ColangV1Parser;

struct Abort {};

class Builder {
 public:
  Builder(const LineReaderResult& lines, const std::string& file, std::vector<Diagnostic>* diags)
      : lines_(lines), file_(file), diags_(diags) {}

  void error(int line, int column, std::string code, std::string message, std::string near = "") {
    Diagnostic d;
    d.file = file_;
    d.line = line;
    d.column = column;
    d.code = std::move(code);
    d.message = std::move(message);
    d.near = std::move(near);
    if (line >= 1 && static_cast<size_t>(line) <= lines_.physical.size()) {
      d.source_line = std::string(lines_.physical[line - 1]);
    }
    diags_->push_back(std::move(d));
  }

  std::unique_ptr<antlr4::CommonToken> make(size_t type, std::string text, int line, int col0) {
    auto t = std::make_unique<antlr4::CommonToken>(type, std::move(text));
    t->setLine(line);
    t->setCharPositionInLine(col0);
    return t;
  }

  // Lexes every logical line and lays out the structural tokens. Stops at
  // the first structural error (the lines before it still parse).
  std::vector<std::unique_ptr<antlr4::Token>> tokens() {
    std::vector<std::unique_ptr<antlr4::Token>> out;
    std::vector<int> indents;
    int last_line = 1;
    for (size_t idx = 0; idx < lines_.lines.size(); ++idx) {
      const LogicalLine& ll = lines_.lines[idx];
      last_line = ll.last_line;
      // A line that fails to lex takes its own INDENT back with it.
      const size_t mark = out.size();
      const std::vector<int> indents_before = indents;
      if (indents.empty()) {
        indents.push_back(ll.indent);
      } else if (ll.indent > indents.back()) {
        if (static_cast<int>(indents.size()) >= kMaxDepth) {
          error(ll.line, ll.column, "nesting",
                "blocks nested too deeply (more than " + std::to_string(kMaxDepth) + " levels)");
          break;
        }
        indents.push_back(ll.indent);
        out.push_back(make(ColangV1Parser::INDENT, "<INDENT>", ll.line, ll.column - 1));
      } else {
        while (indents.size() > 1 && ll.indent < indents.back()) {
          indents.pop_back();
          out.push_back(make(ColangV1Parser::DEDENT, "<DEDENT>", ll.line, ll.column - 1));
        }
        if (ll.indent != indents.back()) {
          error(ll.line, ll.column, "indent",
                ll.indent < indents.back()
                    ? "this line is indented less than the first line of the file"
                    : "bad indentation: this line's indentation (" + std::to_string(ll.indent) +
                          " spaces) matches no enclosing block");
          break;
        }
      }
      bool ok = true;
      antlr4::ANTLRInputStream input(ll.text);
      ColangV1Lexer lexer(&input);
      lexer.removeErrorListeners();
      bool first = true;
      for (auto& t : lexer.getAllTokens()) {
        int line = ll.line + static_cast<int>(t->getLine()) - 1;
        int col0 = t->getLine() == 1 ? ll.column - 1 + static_cast<int>(t->getCharPositionInLine())
                                     : static_cast<int>(t->getCharPositionInLine());
        if (t->getType() == ColangV1Lexer::UNTERMINATED) {
          error(line, col0 + 1, "string", "unterminated string: missing the closing '\"'",
                t->getText().substr(0, 20));
          ok = false;
          break;
        }
        auto tok = make(t->getType(), t->getText(), line, col0);
        if (first) {
          line_of_[tok.get()] = static_cast<int>(idx);
          first = false;
        }
        out.push_back(std::move(tok));
      }
      if (!ok) {
        // Keep the DEDENTs this line produced (they close finished blocks),
        // drop its INDENT and its tokens.
        size_t keep = mark;
        while (keep < out.size() && out[keep]->getType() == ColangV1Parser::DEDENT) ++keep;
        out.resize(keep);
        if (indents.size() > indents_before.size()) indents.pop_back();
        break;
      }
      if (first) continue;  // nothing but blanks (cannot happen: lines are stripped)
      out.push_back(make(ColangV1Parser::NEWLINE, "<NEWLINE>", ll.last_line,
                         static_cast<int>(ll.text.size())));
    }
    for (size_t k = 1; k < indents.size(); ++k) {
      out.push_back(make(ColangV1Parser::DEDENT, "<DEDENT>", last_line, 0));
    }
    out.push_back(make(antlr4::Token::EOF, "<EOF>", last_line, 0));
    return out;
  }

  void convert(std::vector<ColangV1Parser::BlockContext*> blocks, std::vector<LineNode>* out) {
    for (auto* b : blocks) {
      LineNode node;
      auto* start = b->line() ? b->line()->getStart() : nullptr;
      auto it = line_of_.find(start);
      if (it == line_of_.end()) continue;
      node.line = it->second;
      convert(b->block(), &node.children);
      out->push_back(std::move(node));
    }
  }

  const LineReaderResult& lines_;
  const std::string& file_;
  std::vector<Diagnostic>* diags_;
  std::unordered_map<const antlr4::Token*, int> line_of_;
};

class Listener : public antlr4::BaseErrorListener {
 public:
  explicit Listener(Builder* b) : b_(b) {}
  void syntaxError(antlr4::Recognizer*, antlr4::Token* offending, size_t line, size_t column,
                   const std::string& msg, std::exception_ptr) override {
    std::string near = offending ? offending->getText() : "";
    b_->error(static_cast<int>(line), static_cast<int>(column) + 1, "syntax",
              "unexpected structure: " + msg, near);
    throw Abort{};
  }

 private:
  Builder* b_;
};

}  // namespace

std::vector<LineNode> parse_blocks(const LineReaderResult& lines, const std::string& file,
                                   std::vector<Diagnostic>* diagnostics) {
  std::vector<LineNode> result;
  Builder builder(lines, file, diagnostics);
  try {
    antlr4::ListTokenSource source(builder.tokens());
    antlr4::CommonTokenStream stream(&source);
    ColangV1Parser parser(&stream);
    Listener listener(&builder);
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
    auto* doc = parser.document();
    builder.convert(doc->block(), &result);
  } catch (const Abort&) {
    result.clear();
  } catch (const std::exception& ex) {
    builder.error(0, 0, "internal", std::string("internal parser error: ") + ex.what());
    result.clear();
  }
  return result;
}

}  // namespace rg::colang::v1::internal
