// Not for use outside colang/.
#include "colang/internal/error_listener.h"

#include <algorithm>
#include <set>

#include "ColangLexer.h"
#include "colang/internal/indent_token_source.h"

namespace rg::colang::internal {

namespace {

using L = rg_colang_gen::ColangLexer;

// The parser works on text whose line ends are all '\n' (parse.cc
// normalises them), so this only splits there.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      lines.push_back(text.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  lines.push_back(text.substr(begin));
  return lines;
}

// Shortens long token texts (a whole multi-line string) for messages.
std::string clip(std::string text) {
  size_t nl = text.find_first_of("\r\n");
  if (nl != std::string::npos) text = text.substr(0, nl) + "...";
  if (text.size() > 40) {
    size_t cut = 37;
    // Do not cut a UTF-8 sequence in two.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

}  // namespace

DiagSink::DiagSink(std::string file, std::string_view source, std::vector<Diagnostic>* out)
    : file_(std::move(file)), lines_(split_lines(source)), out_(out) {}

void DiagSink::error(std::string code, int line, int column, std::string message,
                     std::string near) {
  if (quiet_) {
    ++error_count_;
    return;
  }
  Diagnostic d;
  d.severity = Diagnostic::Severity::kError;
  d.file = file_;
  d.line = line;
  d.column = column;
  d.code = std::move(code);
  d.message = std::move(message);
  d.near = clip(std::move(near));
  if (line >= 1 && static_cast<size_t>(line) <= lines_.size()) {
    d.source_line = std::string(lines_[line - 1]);
  }
  ++error_count_;
  if (out_ != nullptr) out_->push_back(std::move(d));
}

void DiagSink::fatal(std::string code, int line, int column, std::string message,
                     std::string near) {
  error(std::move(code), line, column, std::move(message), std::move(near));
  throw ParseAbort{};
}

std::string describe_token_type(size_t type, const antlr4::dfa::Vocabulary& vocab) {
  switch (type) {
    case antlr4::Token::EOF: return "end of file";
    case L::NEWLINE: return "end of line";
    case L::INDENT: return "an indented block";
    case L::DEDENT: return "end of block";
    case L::GENERATE: return "a '...' line";
    case L::NAME: return "a name";
    case L::VAR_NAME: return "a $variable";
    case L::STRING: return "a string";
    case L::LONG_STRING: return "a triple-quoted string";
    case L::INT:
    case L::FLOAT: return "a number";
    default: break;
  }
  std::string literal = vocab.getLiteralName(type);
  if (!literal.empty()) return literal;  // already quoted: 'flow'
  return vocab.getSymbolicName(type);
}

std::string token_display_text(const antlr4::Token* token) {
  if (token == nullptr) return "";
  switch (token->getType()) {
    case antlr4::Token::EOF: return "end of file";
    case L::NEWLINE: return "end of line";
    case L::INDENT:
    case L::DEDENT:
      // They carry the text of the token they stand before; none at the end.
      return token->getText().empty() ? "end of file" : token->getText();
    default: return token->getText();
  }
}

void SyntaxErrorListener::syntaxError(antlr4::Recognizer* recognizer, antlr4::Token* offending,
                                      size_t line, size_t column, const std::string& /*msg*/,
                                      std::exception_ptr /*e*/) {
  std::vector<size_t> expected;
  if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
    try {
      for (ssize_t t : parser->getExpectedTokens().toList()) {
        expected.push_back(t < 0 ? antlr4::Token::EOF : static_cast<size_t>(t));
      }
    } catch (...) {
      expected.clear();
    }
  }
  auto expects = [&](size_t type) {
    return std::find(expected.begin(), expected.end(), type) != expected.end();
  };

  size_t type = offending != nullptr ? offending->getType() : antlr4::Token::EOF;
  std::string what;
  switch (type) {
    case antlr4::Token::EOF: what = "unexpected end of file"; break;
    case L::NEWLINE: what = "unexpected end of line"; break;
    case L::INDENT: what = "unexpected indentation"; break;
    case L::DEDENT: what = "unexpected end of block"; break;
    default: what = "unexpected '" + clip(offending->getText()) + "'"; break;
  }

  std::string message = what;
  std::string code = type == L::INDENT ? "indent" : "syntax";
  if (type != L::INDENT && expects(L::INDENT)) {
    message += "; expected an indented block";
    code = "indent";
  } else if (!expected.empty() && expected.size() <= 4) {
    // Name what would have fitted, when that is a short list.
    std::set<std::string> names;
    for (size_t t : expected) names.insert(describe_token_type(t, recognizer->getVocabulary()));
    message += "; expected ";
    size_t i = 0;
    for (const std::string& n : names) {
      if (i > 0) message += (i + 1 == names.size()) ? " or " : ", ";
      message += n;
      ++i;
    }
  }
  // Inside a bracket opened on an earlier line, say so: the usual cause is a
  // bracket that was never closed.
  if (source_ != nullptr) {
    std::string note = source_->open_bracket_note();
    size_t on_line = note.rfind("line ");
    if (!note.empty() && on_line != std::string::npos &&
        std::stoi(note.substr(on_line + 5)) < static_cast<int>(line)) {
      message += " (inside the " + note + ")";
    }
  }
  // "near 'end of line'" would only repeat the message.
  std::string near;
  if (type != antlr4::Token::EOF && type != L::NEWLINE) near = token_display_text(offending);
  sink_->fatal(code, static_cast<int>(line), static_cast<int>(column) + 1, message, near);
}

}  // namespace rg::colang::internal
