// Parsing Colang 2.x (see parse.h).
//
// The pipeline: text -> ANTLRInputStream -> ColangLexer (raw tokens) ->
// IndentTokenSource (NEWLINE/INDENT/DEDENT, continuation lines, `...` lines)
// -> CommonTokenStream -> ColangParser (parse tree) -> AstBuilder (ast.h).
// The first syntax error stops the parse (ParseAbort); nothing escapes
// parse_colang() but its result.
#include "colang/parse.h"

#include <exception>

#include "ColangLexer.h"
#include "ColangParser.h"
#include "antlr4-runtime.h"
#include "colang/internal/ast_builder.h"
#include "colang/internal/error_listener.h"
#include "colang/internal/indent_token_source.h"

namespace rg::colang {

namespace {

using internal::AstBuilder;
using internal::DiagSink;
using internal::IndentTokenSource;
using internal::ParseAbort;
using internal::SyntaxErrorListener;
using internal::TextOrigin;

// One line-end convention ('\n') for the lexer, the line counter and the
// diagnostics alike.
std::string normalize_line_ends(std::string_view text) {
  // A UTF-8 byte order mark is no part of the text.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Finds the first byte that is not well-formed UTF-8 (overlong forms,
// surrogates and code points past U+10FFFF included). Returns npos if none.
size_t find_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
      cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      cp = b & 0x0F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      cp = b & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      unsigned char c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// Reports bad UTF-8 with its line and column (in characters).
bool check_utf8(std::string_view text, DiagSink* sink) {
  size_t bad = find_invalid_utf8(text);
  if (bad == std::string_view::npos) return true;
  int line = 1, col = 1;
  for (size_t i = 0; i < bad; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++col;
    }
  }
  char byte[8];
  snprintf(byte, sizeof byte, "\\x%02x", static_cast<unsigned char>(text[bad]));
  sink->error("encoding", line, col, "the text is not valid UTF-8", byte);
  return false;
}

// Everything one parse needs, wired together. Members are declared in the
// order they depend on each other.
struct Pipeline {
  Pipeline(const std::string& text, DiagSink* sink, bool expression_mode)
      : input(text),
        lexer(&input),
        source(&lexer, sink, expression_mode),
        tokens(&source),
        parser(&tokens),
        listener(sink, &source) {
    lexer.removeErrorListeners();
    parser.removeErrorListeners();
    parser.addErrorListener(&listener);
  }

  antlr4::ANTLRInputStream input;
  rg_colang_gen::ColangLexer lexer;
  IndentTokenSource source;
  antlr4::CommonTokenStream tokens;
  rg_colang_gen::ColangParser parser;
  SyntaxErrorListener listener;
};

void internal_error(DiagSink* sink, const char* what) {
  sink->error("internal", 0, 0, std::string("internal parser error: ") + what);
}

}  // namespace

namespace internal {

ExprPtr parse_test_text(std::string_view text, TextOrigin origin, DiagSink* sink, int depth,
                        bool interpolation) {
  std::string normalized = normalize_line_ends(text);
  if (!check_utf8(normalized, sink)) return nullptr;
  try {
    Pipeline p(normalized, sink, /*expression_mode=*/true);
    auto* tree = p.parser.singleTest();
    AstBuilder builder(&p.input, &p.tokens, sink, origin, depth);
    builder.set_interpolation(interpolation);
    int errors_before = sink->error_count();
    ExprPtr e = builder.build_test(tree->test());
    if (sink->error_count() != errors_before) return nullptr;
    return e;
  } catch (const ParseAbort&) {
    return nullptr;
  } catch (const std::exception& ex) {
    internal_error(sink, ex.what());
    return nullptr;
  } catch (...) {
    internal_error(sink, "unknown exception");
    return nullptr;
  }
}

}  // namespace internal

ParseResult parse_colang(std::string_view source, std::string filename) {
  ParseResult result;
  result.file.path = filename;
  std::string text = normalize_line_ends(source);
  DiagSink sink(filename, text, &result.diagnostics);
  if (!check_utf8(text, &sink)) return result;
  try {
    Pipeline p(text, &sink, /*expression_mode=*/false);
    auto* tree = p.parser.colangFile();
    AstBuilder builder(&p.input, &p.tokens, &sink, TextOrigin{}, 0);
    File file = builder.build_file(tree, filename);
    file.exclude_from_llm = p.source.exclude_from_llm();
    if (file.exclude_from_llm) {
      for (Flow& flow : file.flows) flow.exclude_from_llm = true;
    }
    result.file = std::move(file);
  } catch (const ParseAbort&) {
    // The diagnostic is recorded; the file stays empty.
  } catch (const std::exception& ex) {
    internal_error(&sink, ex.what());
  } catch (...) {
    internal_error(&sink, "unknown exception");
  }
  return result;
}

ExprPtr parse_expression(std::string_view text, std::vector<Diagnostic>* diagnostics,
                         std::string_view filename) {
  std::vector<Diagnostic> local;
  std::vector<Diagnostic>* out = diagnostics != nullptr ? diagnostics : &local;
  try {
    std::string normalized = normalize_line_ends(text);
    DiagSink sink(std::string(filename), normalized, out);
    return internal::parse_test_text(normalized, TextOrigin{}, &sink, 0);
  } catch (...) {
    return nullptr;
  }
}

ExprPtr parse_expression(std::string_view text, std::vector<Diagnostic>* diagnostics,
                         std::string_view filename, const ExpressionOptions& options) {
  std::vector<Diagnostic> local;
  std::vector<Diagnostic>* out = diagnostics != nullptr ? diagnostics : &local;
  try {
    std::string normalized = normalize_line_ends(text);
    DiagSink sink(std::string(filename), normalized, out);
    TextOrigin origin;
    origin.line = options.line;
    origin.column = options.column;
    return internal::parse_test_text(normalized, origin, &sink, 0, options.interpolation);
  } catch (...) {
    return nullptr;
  }
}

}  // namespace rg::colang
