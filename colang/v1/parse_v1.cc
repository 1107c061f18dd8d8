// Parsing Colang 1.0 (see parse_v1.h).
//
// text -> read_lines (line_reader.h: comments, continuations, multi-line
// strings) -> parse_blocks (block_parser.h: the ANTLR grammar, a tree of
// lines) -> this file: each line is normalised (the rewrites of A.1), then
// dispatched on its main token into CoYML-like items, which compile() turns
// into the flat element list of A.5 with the reference's jump offsets.
#include "colang/v1/parse_v1.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "colang/parse.h"
#include "colang/v1/internal/block_parser.h"
#include "colang/v1/internal/line_reader.h"
#include "colang/v1/internal/text_util.h"

namespace rg::colang::v1 {

namespace {

using internal::LineNode;
using internal::LineReaderResult;
using internal::LogicalLine;
using internal::collapse_spaces;
using internal::ends_with;
using internal::main_token;
using internal::remove_token;
using internal::split_once;
using internal::starts_with;
using internal::strip;
using internal::word_split;

// ---------------------------------------------------------------- line rewrites (A.1)

bool word_follows(std::string_view s, size_t at) {
  return at >= s.size() || !(isalnum(static_cast<unsigned char>(s[at])) || s[at] == '_');
}

// `prefix` followed by none of `words` (each with its trailing space, as the
// reference's negative look-aheads are written).
bool starts_without(std::string_view s, std::string_view prefix,
                    std::initializer_list<std::string_view> words) {
  if (!starts_with(s, prefix)) return false;
  std::string_view rest = s.substr(prefix.size());
  for (std::string_view w : words) {
    if (starts_with(rest, w)) return false;
  }
  return true;
}

std::string normalize_statement(std::string text) {
  text = collapse_spaces(text);
  if (!text.empty() && text.back() == ':') text.pop_back();
  if (starts_without(text, "infer ", {"user ", "bot ", "event "})) {
    text = "infer event " + text.substr(6);
  }
  if (starts_without(text, "when ", {"user ", "bot ", "event ", "flow ", "no ", "any"})) {
    text = "when event " + text.substr(5);
  }
  if (starts_without(text, "else when ", {"user ", "bot ", "event ", "flow ", "no ", "any"})) {
    text = "else when event " + text.substr(10);
  }
  if (starts_with(text, "def ")) text = "define " + text.substr(4);

  static const RE2 kSays1(R"(^(user|bot) says\b)");
  static const RE2 kSays2(R"(^when (user|bot) says\b)");
  static const RE2 kSays3(R"(^else when (user|bot) says\b)");
  static const RE2 kSome1(R"(^(user|bot) something(?: else)?\b)");
  static const RE2 kSome2(R"(^when (user|bot) something(?: else)?\b)");
  static const RE2 kSome3(R"(^else when (user|bot) something(?: else)?\b)");
  static const RE2 kSome4(R"re(^((?:else )?(?:when )?(?:user|bot)\s+(?:[^"]*)\s+)something(?: else)?\b)re");
  static const RE2 kLabel(R"(^set ([^$]+) label (?:to )?(\$.*))");
  static const RE2 kRun(R"(^(\$[\w.]+) = (?:run|execute|exec) )");
  static const RE2 kPriority(R"(^\s*priority\s*([\.\d]+)\s*$)");
  static const RE2 kPlus(R"(^(\$[\w.]+)\s*\+=)");
  static const RE2 kMinus(R"(^(\$[\w.]+)\s*\-=)");
  static const RE2 kSetVar(R"(^(\$[\w.]+) = )");

  RE2::Replace(&text, kSays1, R"(\1)");
  RE2::Replace(&text, kSays2, R"(when \1)");
  RE2::Replace(&text, kSays3, R"(else when \1)");
  RE2::Replace(&text, kSome1, R"(\1 *)");
  RE2::Replace(&text, kSome2, R"(when \1 *)");
  RE2::Replace(&text, kSome3, R"(else when \1 *)");
  RE2::Replace(&text, kSome4, R"(\1...)");
  if (starts_with(text, "execute ")) text = "run " + text.substr(8);
  if (starts_with(text, "exec ")) text = "run " + text.substr(5);
  RE2::Replace(&text, kLabel, R"(label \1 \2)");
  RE2::Replace(&text, kRun, R"(run \1 = )");
  {
    std::string var;
    re2::StringPiece in(text);
    if (RE2::Consume(&in, kSetVar, &var)) {
      std::string_view rest(in.data(), in.size());
      if (!starts_with(rest, "run ") && !starts_with(rest, "execute ") && !starts_with(rest, "exec ")) {
        text = "set " + var + " = " + std::string(rest);
      }
    }
  }
  RE2::Replace(&text, kPriority, R"(meta {"priority": \1})");
  RE2::Replace(&text, kPlus, R"(set \1 = \1 +)");
  RE2::Replace(&text, kMinus, R"(set \1 = \1 -)");
  if (starts_with(text, "new ") || text == "new") text = "infer" + text.substr(3);
  if (starts_with(text, "create ") || text == "create") text = "infer" + text.substr(6);
  // `create X` is read as `create event X` (the rewrite order of the
  // reference would reject it).
  if (starts_without(text, "infer ", {"user ", "bot ", "event "})) {
    text = "infer event " + text.substr(6);
  }
  return text;
}

// ---------------------------------------------------------------- items (CoYML)

struct Item {
  enum class Kind { kElement, kIf, kWhile, kCase, kAny, kGoto };
  Kind kind = Kind::kElement;
  Element element;
  std::vector<Item> body;       // kIf: then; kWhile: do; kCase: the case; kAny: alternatives
  std::vector<Item> else_body;  // kIf
  bool has_else = false;
};

struct Flat {
  Element e;
  bool loop_set = false;  // `_next_on_break` already set by a loop
  bool is_goto = false;
};

Element make_jump(int next) {
  Element e;
  e.type = ElementType::kJump;
  e.next = next;
  return e;
}

void flatten(std::vector<Item>& items, std::vector<Flat>& out);

std::vector<Flat> flatten_list(std::vector<Item>& items) {
  std::vector<Flat> out;
  flatten(items, out);
  return out;
}

void append(std::vector<Flat>& out, std::vector<Flat>&& more) {
  for (Flat& f : more) out.push_back(std::move(f));
}

void flatten(std::vector<Item>& items, std::vector<Flat>& out) {
  for (size_t i = 0; i < items.size(); ++i) {
    Item& it = items[i];
    switch (it.kind) {
      case Item::Kind::kElement:
        out.push_back(Flat{std::move(it.element), false, false});
        break;
      case Item::Kind::kGoto:
        out.push_back(Flat{std::move(it.element), false, true});
        break;
      case Item::Kind::kIf: {
        std::vector<Flat> then_part = flatten_list(it.body);
        std::vector<Flat> else_part = flatten_list(it.else_body);
        Element cond = std::move(it.element);
        cond.next_else = static_cast<int>(then_part.size()) + 1;
        if (!else_part.empty()) cond.next_else += 1;
        SourceRef src = cond.source;
        out.push_back(Flat{std::move(cond), false, false});
        append(out, std::move(then_part));
        if (!else_part.empty()) {
          Element j = make_jump(static_cast<int>(else_part.size()) + 1);
          j.source = src;
          out.push_back(Flat{std::move(j), false, false});
          append(out, std::move(else_part));
        }
        break;
      }
      case Item::Kind::kWhile: {
        std::vector<Flat> body = flatten_list(it.body);
        const int n = static_cast<int>(body.size());
        Element loop = std::move(it.element);
        loop.next_on_break = n + 2;
        for (int j = 0; j < n; ++j) {
          if (body[j].loop_set) continue;
          body[j].e.next_on_break = n + 1 - j;
          body[j].e.next_on_continue = -j - 1;
          body[j].loop_set = true;
        }
        SourceRef src = loop.source;
        out.push_back(Flat{std::move(loop), true, false});
        append(out, std::move(body));
        Element back = make_jump(-(n + 1));
        back.source = src;
        out.push_back(Flat{std::move(back), false, false});
        break;
      }
      case Item::Kind::kCase: {
        // Consecutive `when` / `else when` cases make one branch.
        size_t last = i;
        while (last + 1 < items.size() && items[last + 1].kind == Item::Kind::kCase) ++last;
        std::vector<std::vector<Flat>> cases;
        for (size_t k = i; k <= last; ++k) cases.push_back(flatten_list(items[k].body));
        Element branch = std::move(it.element);
        branch.type = ElementType::kBranch;
        const size_t branch_pos = out.size();
        out.push_back(Flat{std::move(branch), false, false});
        for (size_t c = 0; c < cases.size(); ++c) {
          out[branch_pos].e.branch_heads.push_back(static_cast<int>(out.size() - branch_pos));
          if (c == 0 && !cases[c].empty()) out[branch_pos].e.source = cases[c][0].e.source;
          SourceRef src = out[branch_pos].e.source;
          append(out, std::move(cases[c]));
          int next = 1;
          for (size_t later = c + 1; later < cases.size(); ++later) {
            next += static_cast<int>(cases[later].size()) + 1;
          }
          Element j = make_jump(next);
          j.source = src;
          out.push_back(Flat{std::move(j), false, false});
        }
        i = last;
        break;
      }
      case Item::Kind::kAny: {
        Element any = std::move(it.element);
        std::vector<Flat> alts = flatten_list(it.body);
        any.any_count = static_cast<int>(alts.size());
        out.push_back(Flat{std::move(any), false, false});
        append(out, std::move(alts));
        break;
      }
    }
  }
}

// ---------------------------------------------------------------- the builder

class Builder {
 public:
  Builder(const LineReaderResult& lr, std::string file, ParseResult* result)
      : lr_(lr), file_(std::move(file)), doc_(result->document), diags_(result->diagnostics) {}

  void build(const std::vector<LineNode>& top);

 private:
  struct FlowParts {
    Flow flow;
    std::vector<Item> items;
  };

  // ---- diagnostics
  void error(int line_idx, std::string message, std::string code = "syntax", int column = 0,
             std::string near = "") {
    const LogicalLine& ll = lr_.lines[line_idx];
    Diagnostic d;
    d.file = file_;
    d.line = ll.line;
    d.column = column > 0 ? column : ll.column;
    d.code = std::move(code);
    d.message = std::move(message);
    d.near = std::move(near);
    if (ll.line >= 1 && static_cast<size_t>(ll.line) <= lr_.physical.size()) {
      d.source_line = std::string(lr_.physical[ll.line - 1]);
    }
    diags_.push_back(std::move(d));
  }
  // Column of `piece` in the physical line of `line_idx`, or its start.
  int column_of(int line_idx, std::string_view piece) {
    const LogicalLine& ll = lr_.lines[line_idx];
    if (piece.empty() || ll.line < 1) return ll.column;
    std::string_view phys = lr_.physical[ll.line - 1];
    size_t p = phys.find(piece);
    return p == std::string_view::npos ? ll.column : static_cast<int>(p) + 1;
  }

  SourceRef source_of(int line_idx) {
    const LogicalLine& ll = lr_.lines[line_idx];
    return SourceRef{file_, ll.line, ll.column};
  }
  Element element_at(int line_idx, ElementType type) {
    Element e;
    e.type = type;
    e.source = source_of(line_idx);
    if (lr_.lines[line_idx].has_comment) e.comment = lr_.lines[line_idx].comment;
    return e;
  }

  // ---- values and expressions
  ExprPtr parse_expr(int line_idx, const std::string& text, const char* what);
  bool literal(const ExprPtr& e, Value* out);
  Value to_value(const std::string& raw, bool remove_quotes);
  Value yaml_scalar(const std::string& raw);
  bool inline_params(int line_idx, std::string* name, Dict* params,
                     std::vector<std::string>* positional);
  std::string with_to_parens(const std::string& value);
  void child_params(const std::vector<LineNode>* children, Dict* out);

  // ---- top level
  void define(const LineNode& node);
  void define_user(const LineNode& node, const std::string& name);
  struct Condition {
    std::string text;
    bool negated = false;
    ExprPtr expr;
  };
  void define_bot_body(const std::string& name, const std::vector<LineNode>& nodes,
                       const std::vector<Condition>& outer);
  void add_bot_message(const std::string& name, int line_idx, const std::string& quoted,
                       const std::vector<Condition>& conds);
  void add_user_example(const std::string& name, std::string text);
  std::string flow_source_text(const LineNode& node);
  std::string anonymous_id(const LineNode& node);

  // ---- flow bodies
  void block(const std::vector<LineNode>& nodes, std::vector<Item>& out);
  // One statement; `children` are its indented lines (null: none allowed,
  // e.g. the statement of a `when` line, whose block is the case body).
  void statement(int line_idx, const std::string& text, const std::vector<LineNode>* children,
                 std::vector<Item>& out);
  void user_statement(int line_idx, const std::string& text, const std::vector<LineNode>* children,
                      std::vector<Item>& out);
  void bot_statement(int line_idx, const std::string& text, const std::vector<LineNode>* children,
                     std::vector<Item>& out);
  bool event_element(int line_idx, const std::string& text, const std::vector<LineNode>* children,
                     Element* e);
  void compile(FlowParts& parts);

  const LineReaderResult& lr_;
  std::string file_;
  Document& doc_;
  std::vector<Diagnostic>& diags_;
  std::vector<FlowParts> flows_;
  std::map<std::string, size_t> flow_index_;
  FlowParts* current_ = nullptr;
};

// ---------------------------------------------------------------- values

ExprPtr Builder::parse_expr(int line_idx, const std::string& text, const char* what) {
  std::vector<Diagnostic> local;
  ExpressionOptions opts;
  opts.interpolation = false;
  ExprPtr e = parse_expression(text, &local, file_, opts);
  if (e) return e;
  std::string msg = std::string("bad ") + what + " '" + text + "'";
  for (const Diagnostic& d : local) {
    if (d.severity == Diagnostic::Severity::kError) {
      msg += ": " + d.message;
      break;
    }
  }
  error(line_idx, msg, "expression", column_of(line_idx, text));
  return nullptr;
}

bool Builder::literal(const ExprPtr& e, Value* out) {
  if (!e) return false;
  switch (e->kind) {
    case ExprKind::kLiteral:
      *out = e->literal;
      return true;
    case ExprKind::kString: {
      std::string s;
      for (const StringPart& p : e->parts) {
        if (p.expr) return false;
        s += p.text;
      }
      *out = Value(s);
      return true;
    }
    case ExprKind::kUnary: {
      Value v;
      if (!literal(e->operand, &v) || !(v.is_int() || v.is_float())) return false;
      if (e->op == "-") v = v.is_int() ? Value(-v.as_int()) : Value(-v.as_float());
      *out = v;
      return e->op == "-" || e->op == "+";
    }
    case ExprKind::kList: {
      List l;
      for (const ExprPtr& i : e->items) {
        Value v;
        if (!literal(i, &v)) return false;
        l.push_back(v);
      }
      *out = Value(std::move(l));
      return true;
    }
    case ExprKind::kDict: {
      Dict d;
      for (const auto& [k, v] : e->entries) {
        Value kv, vv;
        if (!k || !literal(k, &kv) || !kv.is_str() || !literal(v, &vv)) return false;
        d.set(kv.as_str(), vv);
      }
      *out = Value(std::move(d));
      return true;
    }
    default:
      return false;
  }
}

// A parameter value as written: literals become Values, anything else
// (notably `$var`) stays a string for the runtime to resolve.
Value Builder::to_value(const std::string& raw_in, bool remove_quotes) {
  std::string raw = strip(raw_in);
  if (raw == "None") return Value();
  if (raw == "True") return Value(true);
  if (raw == "False") return Value(false);
  if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"') {
    if (remove_quotes) return Value(raw.substr(1, raw.size() - 2));
    return Value(raw);
  }
  if (raw.empty() || raw[0] == '$') return Value(raw);
  char c = raw[0];
  if (isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '[' || c == '{' ||
      c == '\'') {
    std::vector<Diagnostic> ignored;
    ExpressionOptions opts;
    opts.interpolation = false;
    if (raw.size() < 4096) {
      ExprPtr e = parse_expression(raw, &ignored, file_, opts);
      Value v;
      if (literal(e, &v)) return v;
    }
  }
  return Value(raw);
}

Value Builder::yaml_scalar(const std::string& raw_in) {
  std::string raw = strip(raw_in);
  if (raw == "true" || raw == "True") return Value(true);
  if (raw == "false" || raw == "False") return Value(false);
  if (raw == "null" || raw == "~" || raw.empty()) return Value();
  if (raw.size() >= 2 && raw.front() == '\'' && raw.back() == '\'') {
    return Value(raw.substr(1, raw.size() - 2));
  }
  Value v = to_value(raw, true);
  if (v.is_none() && raw == "None") return Value("None");
  return v;
}

std::string Builder::with_to_parens(const std::string& value) {
  static const RE2 kWith1(R"(^(.*?)(?: (?:with|for) (\$.+)$))");
  static const RE2 kWith2(R"(^(.*?)(?: (?:with|for) (\w+\s*=\s*.+)$))");
  std::string name, vars;
  if (RE2::FullMatch(value, kWith1, &name, &vars) || RE2::FullMatch(value, kWith2, &name, &vars)) {
    return name + "(" + vars + ")";
  }
  return value;
}

// Splits `a=1, b=[1, 2], c="x,y"` on the commas outside strings and brackets
// (the reference splits on every comma outside strings, which cuts lists).
std::vector<std::string> split_args(std::string_view args) {
  std::vector<std::string> out;
  int depth = 0;
  bool in_string = false;
  size_t start = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    char c = args[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '(' || c == '[' || c == '{') ++depth;
    else if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    else if (c == ',' && depth == 0) {
      std::string part = strip(args.substr(start, i - start));
      if (!part.empty()) out.push_back(std::move(part));
      start = i + 1;
    }
  }
  std::string part = strip(args.substr(start));
  if (!part.empty()) out.push_back(std::move(part));
  return out;
}

// `k = v` -> {k, v} on the first '=' outside strings that is no part of
// `==`, `!=`, `<=`, `>=`; {text} when there is none.
std::vector<std::string> split_assignment(const std::string& pair) {
  bool in_string = false;
  for (size_t i = 0; i < pair.size(); ++i) {
    char c = pair[i];
    if (c == '"') in_string = !in_string;
    if (in_string || c != '=') continue;
    if (i + 1 < pair.size() && pair[i + 1] == '=') return {pair};
    if (i > 0 && (pair[i - 1] == '!' || pair[i - 1] == '<' || pair[i - 1] == '>')) return {pair};
    return {strip(std::string_view(pair).substr(0, i)), strip(std::string_view(pair).substr(i + 1))};
  }
  return {pair};
}

// `name(k=v, ...)`: splits off the parameters (the reference's
// _extract_inline_params). Positional ones go to `positional`.
bool Builder::inline_params(int line_idx, std::string* name, Dict* params,
                            std::vector<std::string>* positional) {
  size_t open = name->find('(');
  if (open == std::string::npos) return true;
  std::string head = strip(std::string_view(*name).substr(0, open));
  std::string args = strip(std::string_view(*name).substr(open + 1));
  if (args.empty() || args.back() != ')') {
    error(line_idx, "bad parameter list '" + name->substr(open) + "': missing ')'", "syntax",
          column_of(line_idx, "("));
    return false;
  }
  args.pop_back();
  *name = head;
  for (const std::string& pair : split_args(args)) {
    std::vector<std::string> kv = split_assignment(pair);
    if (kv.size() > 2) {
      error(line_idx, "bad parameter '" + pair + "'", "syntax", column_of(line_idx, pair));
      return false;
    }
    if (kv.size() == 2) {
      params->set(kv[0], to_value(kv[1], true));
    } else if (!kv.empty()) {
      positional->push_back(kv[0]);
    }
  }
  return true;
}

// Indented `k: v` lines under a statement (the reference reads them as YAML).
void Builder::child_params(const std::vector<LineNode>* children, Dict* out) {
  if (!children) return;
  for (const LineNode& c : *children) {
    std::string t = collapse_spaces(lr_.lines[c.line].text);
    static const RE2 kSet(R"(^set \$?([\w.]+) (?:to|=)(.*)$)");
    std::string key, value;
    if (RE2::FullMatch(t, kSet, &key, &value)) {
      out->set("_" + key, yaml_scalar(value));
      continue;
    }
    if (!t.empty() && t[0] == '"') {
      out->set("_text", yaml_scalar(t));
      continue;
    }
    size_t sep = std::string::npos;
    bool in_string = false;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '"') in_string = !in_string;
      if (!in_string && (t[i] == ':' || t[i] == '=')) {
        sep = i;
        break;
      }
    }
    if (sep == std::string::npos) {
      std::vector<std::string> parts = split_once(t, " ");
      if (parts.size() == 2) out->set(parts[0][0] == '$' ? parts[0].substr(1) : parts[0], yaml_scalar(parts[1]));
      continue;
    }
    key = strip(std::string_view(t).substr(0, sep));
    if (!key.empty() && key[0] == '$') key = key.substr(1);
    value = strip(std::string_view(t).substr(sep + 1));
    std::vector<std::string> items = word_split(value, ",");
    if (items.size() > 1) {
      List l;
      for (const std::string& i : items) l.push_back(yaml_scalar(i));
      out->set(key, Value(std::move(l)));
    } else {
      out->set(key, yaml_scalar(value));
    }
  }
}

// ---------------------------------------------------------------- top level

void Builder::build(const std::vector<LineNode>& top) {
  for (const LineNode& node : top) {
    std::string text = collapse_spaces(lr_.lines[node.line].text);
    if (!text.empty() && text.back() == ':') text.pop_back();
    if (starts_with(text, "def ")) text = "define " + text.substr(4);
    std::string tok = main_token(text);
    if (tok == "import" || tok == "include") {
      std::string name = remove_token(tok, text);
      if (name.size() >= 2 && (name[0] == '"' || name[0] == '\'')) name = name.substr(1, name.size() - 2);
      if (starts_with(name, "bot/")) name = name.substr(4);
      if (name.empty()) {
        error(node.line, "`" + tok + "` needs a module name");
        continue;
      }
      bool seen = false;
      for (const std::string& i : doc_.imports) seen = seen || i == name;
      if (!seen) doc_.imports.push_back(name);
      continue;
    }
    if (tok == "define") {
      define(node);
      continue;
    }
    error(node.line, "expected `define ...` or `import ...` at the top level, found '" + tok + "'",
          "syntax", 0, tok);
  }
  for (FlowParts& parts : flows_) compile(parts);
  for (FlowParts& parts : flows_) doc_.flows.push_back(std::move(parts.flow));
}

std::string Builder::anonymous_id(const LineNode& node) {
  // The hash covers the texts of all lines below the define, concatenated.
  std::string all;
  std::vector<const LineNode*> stack;
  for (auto it = node.children.rbegin(); it != node.children.rend(); ++it) stack.push_back(&*it);
  while (!stack.empty()) {
    const LineNode* n = stack.back();
    stack.pop_back();
    all += lr_.lines[n->line].text;
    for (auto it = n->children.rbegin(); it != n->children.rend(); ++it) stack.push_back(&*it);
  }
  return "anonymous-" + internal::string_hash(all);
}

std::string Builder::flow_source_text(const LineNode& node) {
  if (node.children.empty()) return "";
  int first = lr_.lines[node.children.front().line].line;
  const LineNode* last = &node.children.back();
  while (!last->children.empty()) last = &last->children.back();
  int end = lr_.lines[last->line].last_line;
  std::vector<std::string_view> kept;
  for (int l = first; l <= end && l <= static_cast<int>(lr_.physical.size()); ++l) {
    std::string_view s = lr_.physical[l - 1];
    if (strip(s).empty()) continue;
    kept.push_back(s);
  }
  // Remove the whitespace prefix all lines share (textwrap.dedent).
  size_t common = std::string::npos;
  for (std::string_view s : kept) {
    size_t w = 0;
    while (w < s.size() && (s[w] == ' ' || s[w] == '\t')) ++w;
    if (common == std::string::npos) {
      common = w;
    } else {
      size_t k = 0;
      while (k < common && k < w && s[k] == kept.front()[k]) ++k;
      common = k;
    }
  }
  std::string out;
  for (std::string_view s : kept) {
    if (!out.empty()) out += '\n';
    out.append(s.substr(std::min(common, s.size())));
  }
  return out;
}

void Builder::define(const LineNode& node) {
  const int li = node.line;
  std::string text = collapse_spaces(lr_.lines[li].text);
  if (!text.empty() && text.back() == ':') text.pop_back();
  if (starts_with(text, "def ")) text = "define " + text.substr(4);
  text = remove_token("define", text);
  Dict modifiers;
  std::string kind = main_token(text);
  static const std::vector<std::string> kKinds = {"bot", "user", "flow", "subflow", "action", "snippet"};
  while (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end()) {
    if (kind.empty()) {
      error(li, "`define` needs a kind: user, bot, flow or subflow", "syntax");
      return;
    }
    if (kind == "interruption" || kind == "repair") {
      modifiers.set("is_interruption_flow", true);
    } else if (kind == "test") {
      modifiers.set("is_test", true);
    } else if (kind == "non-interruptable" || kind == "noninterruptable" || kind == "continuous") {
      modifiers.set("interruptable", false);
    } else if (kind == "recursive" || kind == "parallel") {
      modifiers.set("allow_multiple", true);
    } else if (kind == "extension") {
      modifiers.set("is_extension", true);
    } else if (kind == "sample") {
      modifiers.set("is_sample", true);
    } else if (kind == "response") {
      modifiers.set("is_response", true);
    } else {
      error(li,
            "unknown modifier '" + kind +
                "' in `define` (expected user, bot, flow, subflow, or one of interruption, repair, "
                "test, sample, non-interruptable, noninterruptable, continuous, recursive, "
                "parallel, extension, response)",
            "syntax", column_of(li, kind), kind);
      return;
    }
    text = remove_token(kind, text);
    kind = main_token(text);
  }
  std::string name = remove_token(kind, text);
  if (kind == "action" || kind == "snippet") return;  // bodies are skipped

  if (kind == "user") {
    define_user(node, name);
    return;
  }
  if (node.children.empty()) {
    error(li, "missing body: `define " + kind + (name.empty() ? "" : " " + name) +
                  "` must be followed by an indented block",
          "indent");
    return;
  }
  if (kind == "bot") {
    if (name.empty()) {
      error(li, "`define bot` needs a message name");
      return;
    }
    define_bot_body(name, node.children, {});
    return;
  }
  // flow / subflow
  if (name.empty()) {
    if (kind == "subflow") {
      error(li, "`define subflow` needs a name");
      return;
    }
    name = anonymous_id(node);
  }
  if (kind == "subflow") modifiers.set("subflow", true);

  auto found = flow_index_.find(name);
  if (found == flow_index_.end()) {
    // The reference keeps one element list per name: a second definition in
    // the same file extends the first one.
    flow_index_[name] = flows_.size();
    flows_.push_back(FlowParts{});
    FlowParts& fp = flows_.back();
    fp.flow.id = name;
    fp.flow.source = source_of(li);
    fp.flow.source_text = flow_source_text(node);
    current_ = &fp;
  } else {
    current_ = &flows_[found->second];
    current_->flow.source_text += "\n" + flow_source_text(node);
  }
  for (const auto& [k, v] : modifiers.entries()) current_->flow.meta.set(k, v);
  block(node.children, current_->items);
  current_ = nullptr;
}

void Builder::add_user_example(const std::string& name, std::string text) {
  for (auto& [intent, examples] : doc_.user_messages) {
    if (intent == name) {
      examples.push_back(std::move(text));
      return;
    }
  }
  doc_.user_messages.push_back({name, {std::move(text)}});
}

void Builder::define_user(const LineNode& node, const std::string& name) {
  if (name.empty()) {
    error(node.line, "`define user` needs an intent name");
    return;
  }
  // A bodiless `define user X` stands for itself (multi-intent shorthand).
  std::vector<std::pair<int, std::string>> lines;
  if (node.children.empty()) {
    lines.push_back({node.line, name});
  } else {
    for (const LineNode& c : node.children) {
      lines.push_back({c.line, collapse_spaces(lr_.lines[c.line].text)});
      if (!c.children.empty()) error(c.children.front().line, "unexpected indentation in `define user`", "indent");
    }
  }
  for (const auto& [li, text] : lines) {
    if (text.empty()) continue;
    if (text[0] != '"' && text.find(':') != std::string::npos) continue;  // YAML detail lines
    std::string body;
    for (std::string part : word_split(text, " and ")) {
      if (!body.empty()) body += " {intent:and} ";
      if (part[0] == '"') {
        if (part.size() < 2 || part.back() != '"') {
          error(li, "invalid example: missing the closing '\"'", "string", column_of(li, part));
          body.clear();
          break;
        }
        body += internal::user_example_slots(std::string_view(part).substr(1, part.size() - 2));
      } else {
        for (char& ch : part) {
          if (ch == ' ') ch = '|';
        }
        body += "{intent:" + part + "}";
      }
    }
    if (!body.empty()) add_user_example(name, body);
  }
}

void Builder::add_bot_message(const std::string& name, int line_idx, const std::string& quoted,
                              const std::vector<Condition>& conds) {
  std::string text = quoted.substr(1, quoted.size() - 2);
  // `field` in backticks is the reference's other spelling of $field.
  std::string expanded;
  for (size_t i = 0; i < text.size(); ++i) {
    size_t close = text[i] == '`' ? text.find('`', i + 1) : std::string::npos;
    if (close != std::string::npos) {
      expanded += "$" + text.substr(i + 1, close - i - 1);
      i = close;
    } else {
      expanded += text[i];
    }
  }
  BotMessage m;
  m.text = internal::bot_text_to_jinja(expanded);
  if (!conds.empty()) {
    // "a and not (b)", built as one expression tree from the pieces.
    auto all = std::make_shared<Expr>();
    all->kind = ExprKind::kAnd;
    bool ok = true;
    for (const Condition& c : conds) {
      if (!m.condition_text.empty()) m.condition_text += " and ";
      m.condition_text += c.negated ? "not (" + c.text + ")" : c.text;
      ExprPtr e = c.expr;
      if (!e) {
        ok = false;
        continue;
      }
      if (c.negated) {
        auto n = std::make_shared<Expr>();
        n->kind = ExprKind::kNot;
        n->source = "not (" + c.text + ")";
        n->loc = e->loc;
        n->operand = e;
        e = n;
      }
      all->items.push_back(e);
    }
    all->source = m.condition_text;
    if (ok) m.condition = all->items.size() == 1 ? all->items[0] : ExprPtr(all);
  }
  for (auto& [intent, msgs] : doc_.bot_messages) {
    if (intent == name) {
      msgs.push_back(std::move(m));
      return;
    }
  }
  doc_.bot_messages.push_back({name, {}});
  doc_.bot_messages.back().second.push_back(std::move(m));
}

void Builder::define_bot_body(const std::string& name, const std::vector<LineNode>& nodes,
                              const std::vector<Condition>& outer) {
  std::vector<Condition> level;  // the if / else-if chain at this level
  for (const LineNode& c : nodes) {
    const int li = c.line;
    std::string text = collapse_spaces(lr_.lines[li].text);
    std::string tok = main_token(text);
    if (tok == "if" || tok == "else if" || tok == "else") {
      if (!text.empty() && text.back() == ':') text.pop_back();
      if (tok != "if" && level.empty()) {
        error(li, "`" + tok + "` without a matching `if`");
        continue;
      }
      if (tok != "if") level.back().negated = true;
      if (tok != "else") {
        std::string cond = tok == "if" ? remove_token("if", text)
                                       : remove_token("if", remove_token("else", text));
        if (cond.empty()) {
          error(li, "`" + tok + "` needs a condition");
          continue;
        }
        if (tok == "if") level.clear();
        level.push_back(Condition{cond, false, parse_expr(li, cond, "condition")});
      }
      if (c.children.empty()) {
        error(li, "missing body: `" + tok + "` must be followed by an indented block", "indent");
        continue;
      }
      std::vector<Condition> conds = outer;
      conds.insert(conds.end(), level.begin(), level.end());
      define_bot_body(name, c.children, conds);
      continue;
    }
    if (!c.children.empty()) {
      error(c.children.front().line, "unexpected indentation in `define bot`", "indent");
    }
    if (!text.empty() && text[0] == '"') {
      if (text.size() < 2 || internal::find_string_end(text, 0) != text.size() - 1) {
        error(li, "expected one quoted message per line", "string", column_of(li, "\""));
        continue;
      }
      add_bot_message(name, li, text, outer);
      continue;
    }
    if (text.find(':') != std::string::npos) continue;  // rich (YAML) message details
    error(li, "expected a quoted bot message, found '" + text + "'", "syntax", 0, tok);
  }
}

// ---------------------------------------------------------------- flow bodies

void Builder::block(const std::vector<LineNode>& nodes, std::vector<Item>& out) {
  int chain = -1;  // depth of the open if / else-if chain in out.back(); -1: none
  for (const LineNode& node : nodes) {
    const int li = node.line;
    std::string text = normalize_statement(lr_.lines[li].text);
    std::string tok = main_token(text);
    if (tok == "else" || tok == "else if") {
      if (chain < 0) {
        if (!out.empty() && out.back().kind == Item::Kind::kCase) {
          error(li, "`else` after a `when` chain is not supported (write `else when ...`)", "syntax",
                0, "else");
        } else {
          error(li, "`" + tok + "` without a matching `if`", "syntax", 0, "else");
        }
        continue;
      }
      Item* target = &out.back();
      for (int k = 0; k < chain; ++k) target = &target->else_body.back();
      if (node.children.empty()) {
        error(li, "missing body: `" + tok + "` must be followed by an indented block", "indent");
        chain = -1;
        continue;
      }
      target->has_else = true;
      if (tok == "else") {
        block(node.children, target->else_body);
        chain = -1;
      } else {
        Item nested;
        nested.kind = Item::Kind::kIf;
        nested.element = element_at(li, ElementType::kIf);
        nested.element.expression_text = remove_token("if", remove_token("else", text));
        if (nested.element.expression_text.empty()) {
          error(li, "`else if` needs a condition");
        } else {
          nested.element.expression = parse_expr(li, nested.element.expression_text, "expression");
        }
        block(node.children, nested.body);
        target->else_body.push_back(std::move(nested));
        ++chain;
      }
      continue;
    }
    chain = -1;
    if (tok == "if" || tok == "while") {
      Item it;
      it.kind = tok == "if" ? Item::Kind::kIf : Item::Kind::kWhile;
      it.element = element_at(li, tok == "if" ? ElementType::kIf : ElementType::kWhile);
      it.element.expression_text = remove_token(tok, text);
      if (it.element.expression_text.empty()) {
        error(li, "`" + tok + "` needs a condition");
        continue;
      }
      it.element.expression = parse_expr(li, it.element.expression_text, "expression");
      if (node.children.empty()) {
        error(li, "missing body: `" + tok + "` must be followed by an indented block", "indent");
        continue;
      }
      block(node.children, it.body);
      out.push_back(std::move(it));
      if (tok == "if") chain = 0;
      continue;
    }
    if (tok == "when" || tok == "else when") {
      std::string rest = tok == "when" ? remove_token("when", text)
                                       : remove_token("when", remove_token("else", text));
      if (starts_with(rest, "no ")) {
        error(li, "`when no ...` is not supported", "syntax", 0, "no");
        continue;
      }
      if (node.children.empty()) {
        error(li, "missing body: `" + tok + "` must be followed by an indented block", "indent");
        continue;
      }
      Item it;
      it.kind = Item::Kind::kCase;
      it.element = element_at(li, ElementType::kBranch);
      statement(li, rest, nullptr, it.body);
      block(node.children, it.body);
      out.push_back(std::move(it));
      continue;
    }
    statement(li, text, &node.children, out);
  }
}

void Builder::statement(int li, const std::string& text, const std::vector<LineNode>* children,
                        std::vector<Item>& out) {
  const std::string tok = main_token(text);
  auto no_children = [&](const char* what) {
    if (children && !children->empty()) {
      error(children->front().line, std::string("unexpected indentation after `") + what + "`",
            "indent");
    }
  };
  auto push = [&](Element e, Item::Kind kind = Item::Kind::kElement) {
    Item it;
    it.kind = kind;
    it.element = std::move(e);
    out.push_back(std::move(it));
  };
  if (tok == "user") {
    user_statement(li, text, children, out);
  } else if (tok == "bot") {
    bot_statement(li, text, children, out);
  } else if (tok == "event") {
    Element e;
    if (event_element(li, remove_token("event", text), children, &e)) push(std::move(e));
  } else if (tok == "infer") {
    std::string rest = remove_token("infer", text);
    if (rest.empty() && children && !children->empty()) {
      rest = normalize_statement(lr_.lines[children->front().line].text);
      children = &children->front().children;
    }
    if (!starts_with(rest, "event ")) {
      error(li, "only `create event NAME(...)` is supported here", "syntax");
      return;
    }
    Element ev;
    if (!event_element(li, remove_token("event", rest), children, &ev)) return;
    Element e = element_at(li, ElementType::kRunAction);
    e.action_name = "create_event";
    Dict event;
    event.set("_type", ev.event_type);
    for (const auto& [k, v] : ev.event_fields.entries()) event.set(k, v);
    e.action_params.set("event", Value(std::move(event)));
    push(std::move(e));
  } else if (tok == "do") {
    std::string value = with_to_parens(remove_token("do", text));
    Element e = element_at(li, ElementType::kFlow);
    size_t open = value.find('(');
    std::string name = strip(value.substr(0, open));
    std::vector<std::string> eq = split_once(name, "=");
    if (eq.size() == 2) name = strip(eq[1]);
    if (name.empty()) {
      error(li, "`do` needs a flow name");
      return;
    }
    e.flow_name = name;
    push(std::move(e));
  } else if (tok == "run") {
    std::string value = with_to_parens(remove_token("run", text));
    Element e = element_at(li, ElementType::kRunAction);
    std::vector<std::string> positional;
    if (!inline_params(li, &value, &e.action_params, &positional)) return;
    int idx = 1;
    for (const std::string& p : positional) {
      e.action_params.set("$" + std::to_string(idx++), to_value(p, true));
    }
    std::vector<std::string> eq = split_once(value, "=");
    if (eq.size() == 2) {
      std::string key = strip(eq[0]);
      if (!key.empty() && key[0] == '$') key = key.substr(1);
      e.action_result_key = key;
      value = strip(eq[1]);
    }
    if (value.empty()) {
      error(li, "`execute` needs an action name");
      return;
    }
    e.action_name = value;
    child_params(children, &e.action_params);
    push(std::move(e));
  } else if (tok == "set") {
    no_children("set");
    std::string rest = remove_token("set", text);
    std::vector<std::string> kv = split_once(rest, "=");
    if (kv.size() != 2 || strip(kv[0]).empty()) {
      error(li, "expected `$name = expression`", "syntax");
      return;
    }
    std::string key = strip(kv[0]);
    if (key[0] == '$') key = key.substr(1);
    std::string expr = strip(kv[1]);
    if (expr == "...") {
      Element e = element_at(li, ElementType::kRunAction);
      e.action_name = "generate_value";
      e.action_params.set("instructions", lr_.lines[li].has_comment
                                              ? Value(lr_.lines[li].comment)
                                              : Value());
      e.action_result_key = key;
      push(std::move(e));
      return;
    }
    if (expr.empty()) {
      error(li, "missing expression after '='", "expression");
      return;
    }
    Element e = element_at(li, ElementType::kSet);
    e.key = key;
    e.expression_text = expr;
    e.expression = parse_expr(li, expr, "expression");
    if (e.expression) push(std::move(e));
  } else if (tok == "label" || tok == "checkpoint") {
    std::string rest = remove_token(tok, text);
    size_t cut = rest.find_first_of("$\"");
    std::string name = strip(rest.substr(0, cut));
    if (name.empty()) {
      error(li, "`" + tok + "` needs a name");
      return;
    }
    Element e = element_at(li, ElementType::kJump);
    e.next = 1;
    e.label = name;
    push(std::move(e));
  } else if (tok == "goto" || tok == "go to") {
    std::string name = tok == "goto" ? remove_token("goto", text)
                                     : remove_token("to", remove_token("go", text));
    if (name.empty()) {
      error(li, "`goto` needs a label name");
      return;
    }
    Element e = element_at(li, ElementType::kJump);
    e.label = name;
    push(std::move(e), Item::Kind::kGoto);
  } else if (tok == "meta") {
    if (!current_) return;
    std::string rest = remove_token("meta", text);
    if (!rest.empty()) {
      Value v;
      ExprPtr e = rest[0] == '{' ? parse_expr(li, rest, "meta value") : nullptr;
      if (!literal(e, &v) || !v.is_dict()) {
        if (rest[0] != '{' || e) error(li, "bad meta value '" + rest + "' (expected a {...} dict)", "syntax");
        return;
      }
      for (const auto& [k, val] : v.as_dict().entries()) current_->flow.meta.set(k, val);
    }
    child_params(children, &current_->flow.meta);
  } else if (tok == "any") {
    Item it;
    it.kind = Item::Kind::kAny;
    it.element = element_at(li, ElementType::kAny);
    if (children) {
      for (const LineNode& c : *children) {
        statement(c.line, normalize_statement(lr_.lines[c.line].text), &c.children, it.body);
      }
    }
    out.push_back(std::move(it));
  } else if (tok == "pass" || tok == "continue") {
    no_children(tok.c_str());
    push(element_at(li, ElementType::kContinue));
  } else if (tok == "break") {
    no_children("break");
    push(element_at(li, ElementType::kBreak));
  } else if (tok == "stop" || tok == "abort") {
    no_children(tok.c_str());
    Element e = element_at(li, ElementType::kRunAction);
    e.action_name = "utter";
    e.action_params.set("value", "stop");
    push(std::move(e));
  } else if (tok == "return" || tok == "done") {
    no_children(tok.c_str());
    Element e = element_at(li, ElementType::kJump);
    e.next = -1;
    e.absolute = true;
    push(std::move(e));
  } else if (tok == "define") {
    error(li, "`define` must stand at the top level, not inside a block", "indent", 0, "define");
  } else if (tok == "else" || tok == "else if" || tok == "if" || tok == "while" || tok == "when" ||
             tok == "else when") {
    error(li, "`" + tok + "` cannot follow `when` on the same line", "syntax", 0, tok);
  } else {
    error(li, "unknown statement '" + tok + "'", "syntax", column_of(li, tok), tok);
  }
}

bool Builder::event_element(int li, const std::string& text_in,
                            const std::vector<LineNode>* children, Element* e) {
  std::string text = with_to_parens(text_in);
  *e = element_at(li, ElementType::kEvent);
  std::vector<std::string> positional;
  if (!inline_params(li, &text, &e->event_fields, &positional)) return false;
  for (const std::string& p : positional) e->event_fields.set(p, "<<IS NOT NONE>>");
  if (text.empty()) {
    error(li, "`event` needs an event name");
    return false;
  }
  e->event_type = text;
  child_params(children, &e->event_fields);
  return true;
}

void Builder::user_statement(int li, const std::string& text, const std::vector<LineNode>* children,
                             std::vector<Item>& out) {
  if (text.find(" or ") != std::string::npos) {
    std::vector<std::string> parts = word_split(text, " or ");
    if (parts.size() > 1) {
      Item it;
      it.kind = Item::Kind::kAny;
      it.element = element_at(li, ElementType::kAny);
      for (const std::string& p : parts) statement(li, normalize_statement(p), nullptr, it.body);
      out.push_back(std::move(it));
      return;
    }
  }
  std::string value = remove_token("user", text);
  if (value.empty()) {
    error(li, "`user` needs an intent name or an example");
    return;
  }
  static const RE2 kAs(R"(^(.*?) as \$(.+)$)");
  std::string intent, var;
  if (RE2::FullMatch(value, kAs, &intent, &var)) value = intent;
  value = with_to_parens(value);
  Element e = element_at(li, ElementType::kUserIntent);
  if (value[0] == '"' || value[0] == '\'') {
    e.intent_name = value.size() >= 2 ? value.substr(1, value.size() - 2) : "";
    e.intent_params.set("_is_example", true);
  } else {
    std::vector<std::string> positional;
    if (!inline_params(li, &value, &e.intent_params, &positional)) return;
    e.intent_name = value;
    std::string match;
    for (std::string p : positional) {
      if (!p.empty() && p[0] == '$') p = p.substr(1);
      if (!match.empty()) match += " and ";
      match += "$intent_params." + p + " is not None";
    }
    if (!match.empty()) e.intent_params.set("_match", match);
  }
  if (!var.empty()) e.intent_params.set("_as_context_variable", var);
  child_params(children, &e.intent_params);
  Item it;
  it.element = std::move(e);
  out.push_back(std::move(it));
}

void Builder::bot_statement(int li, const std::string& text, const std::vector<LineNode>* children,
                            std::vector<Item>& out) {
  Element e = element_at(li, ElementType::kRunAction);
  e.action_name = "utter";
  std::string rest = remove_token("bot", text);
  auto done = [&]() {
    Item it;
    it.element = std::move(e);
    out.push_back(std::move(it));
  };
  if (rest.empty()) {
    // `bot` with its message given as indented `k: v` lines.
    Dict d;
    child_params(children, &d);
    if (!d.contains("_type")) d.set("_type", "element");
    e.action_params.set("value", Value(std::move(d)));
    done();
    return;
  }
  if (rest[0] == '{') {
    Value v;
    ExprPtr ex = parse_expr(li, rest, "bot message");
    if (!ex) return;
    if (!literal(ex, &v)) {
      error(li, "a `bot {...}` message must be a literal dict");
      return;
    }
    e.action_params.set("value", v);
    done();
    return;
  }
  // Parameters at the end: `with $x, k="v"`.
  static const std::string kParam = R"re(\$?[\w.]+\s*(?:=\s*(?:"[^"]*"|\$[\w.]+|[-\d.]+))?)re";
  static const std::string kFirst =
      R"re((?:(?:\$[\w.]+)|(?:\$?[\w.]+\s*=\s*(?:"[^"]*"|\$[\w.]+|[-\d.]+))))re";
  static const RE2 kAtEnd("^.* ((?:with|for) " + kFirst + "(?:\\s*,\\s*" + kParam + ")*)$");
  static const RE2 kValue(R"re(^\s*\$?([\w.]+)\s*[:=]\s*("[^"]*"|\$[\w.]+|[-\d.]+))re");
  Dict params;
  std::string params_str;
  if (RE2::FullMatch(rest, kAtEnd, &params_str)) {
    rest = strip(rest.substr(0, rest.size() - params_str.size()));
    std::vector<std::string> sp = split_once(params_str, " ");
    params_str = sp.size() == 2 ? strip(sp[1]) : "";
    int idx = 0;
    for (const std::string& part : word_split(params_str, ",")) {
      std::string k, v;
      if (RE2::PartialMatch(part, kValue, &k, &v)) {
        if (!v.empty() && v[0] == '"') v = v.substr(1, v.size() - 2);
        params.set(k, to_value(v, false));
      } else {
        std::string key = part[0] == '$' && part.find('.') == std::string::npos
                              ? part.substr(1)
                              : "$" + std::to_string(idx);
        params.set(key, Value(part));
      }
      ++idx;
    }
  }
  // The quoted text, if any; what is left is the message name.
  std::string utterance;
  size_t q = rest.find('"');
  if (q != std::string::npos) {
    size_t end = rest.find('"', q + 1);
    if (end == std::string::npos) {
      error(li, "unterminated string in `bot` line", "string", column_of(li, "\""));
      return;
    }
    utterance = rest.substr(q, end - q + 1);
    if (rest.find('"', end + 1) != std::string::npos) {
      error(li, "a `bot` line takes at most one quoted message (indent the alternatives)", "syntax",
            column_of(li, rest.substr(end + 1)));
      return;
    }
    rest = strip(rest.substr(0, q) + rest.substr(end + 1));
  }
  std::string id = rest;
  // Indented lines: parameters first, then example messages.
  std::vector<LineNode> param_nodes, example_nodes;
  if (children) {
    bool examples = false;
    for (const LineNode& c : *children) {
      const std::string& t = lr_.lines[c.line].text;
      if (!examples && (starts_with(t, "if ") || t == "if" || starts_with(t, "\""))) examples = true;
      (examples ? example_nodes : param_nodes).push_back(c);
    }
  }
  child_params(&param_nodes, &params);
  if (!id.empty() && (!utterance.empty() || !example_nodes.empty())) {
    if (!utterance.empty()) add_bot_message(id, li, utterance, {});
    define_bot_body(id, example_nodes, {});
  } else if (!example_nodes.empty()) {
    error(example_nodes.front().line, "example messages need a message name on the `bot` line",
          "syntax");
  }
  if (id.empty()) {
    if (utterance.empty()) {
      error(li, "`bot` needs a message name or a quoted text");
      return;
    }
    Dict d;
    d.set("_type", "element");
    d.set("text", internal::bot_text_to_jinja(utterance.substr(1, utterance.size() - 2)));
    if (const Value* qr = params.find("quick_replies")) {
      d.set("quick_replies", *qr);
      Dict rest_params;
      for (const auto& [k, v] : params.entries()) {
        if (k != "quick_replies") rest_params.set(k, v);
      }
      params = std::move(rest_params);
    }
    e.action_params.set("value", Value(std::move(d)));
  } else {
    e.action_params.set("value", id);
  }
  for (const auto& [k, v] : params.entries()) e.action_params.set(k, v);
  done();
}

// ---------------------------------------------------------------- compile (A.5)

void Builder::compile(FlowParts& parts) {
  std::vector<Flat> flat = flatten_list(parts.items);
  std::map<std::string, int> labels;
  for (size_t i = 0; i < flat.size(); ++i) {
    const Element& e = flat[i].e;
    if (flat[i].is_goto || e.type != ElementType::kJump || e.label.empty()) continue;
    if (labels.count(e.label)) {
      Diagnostic d;
      d.file = file_;
      d.line = e.source.line;
      d.column = e.source.column;
      d.code = "semantic";
      d.message = "label '" + e.label + "' is already defined in flow '" + parts.flow.id + "'";
      if (d.line >= 1 && static_cast<size_t>(d.line) <= lr_.physical.size()) {
        d.source_line = std::string(lr_.physical[d.line - 1]);
      }
      diags_.push_back(std::move(d));
      continue;
    }
    labels[e.label] = static_cast<int>(i);
  }
  for (size_t i = 0; i < flat.size(); ++i) {
    if (!flat[i].is_goto) continue;
    Element& e = flat[i].e;
    auto it = labels.find(e.label);
    if (it == labels.end()) {
      Diagnostic d;
      d.file = file_;
      d.line = e.source.line;
      d.column = e.source.column;
      d.code = "semantic";
      d.message = "goto: label '" + e.label + "' is not defined in flow '" + parts.flow.id + "'";
      if (d.line >= 1 && static_cast<size_t>(d.line) <= lr_.physical.size()) {
        d.source_line = std::string(lr_.physical[d.line - 1]);
      }
      diags_.push_back(std::move(d));
      continue;
    }
    e.next = it->second - static_cast<int>(i);
    e.label.clear();
  }
  Flow& flow = parts.flow;
  for (Flat& f : flat) flow.elements.push_back(std::move(f.e));
  const Dict& meta = flow.meta;
  if (const Value* v = meta.find("priority")) {
    if (v->is_number()) flow.priority = v->as_number();
  }
  if (const Value* v = meta.find("is_extension")) flow.is_extension = v->truthy();
  if (const Value* v = meta.find("interruptable")) flow.is_interruptible = v->truthy();
  if (const Value* v = meta.find("subflow")) flow.is_subflow = v->truthy();
  if (const Value* v = meta.find("allow_multiple")) flow.allow_multiple = v->truthy();
}

bool valid_utf8(std::string_view s, size_t* bad) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    size_t len = b < 0x80 ? 1 : (b >= 0xC2 && b <= 0xDF) ? 2 : (b >= 0xE0 && b <= 0xEF) ? 3
                                : (b >= 0xF0 && b <= 0xF4) ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      *bad = i;
      return false;
    }
    uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    for (size_t k = 1; k < len; ++k) {
      unsigned char c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) {
        *bad = i;
        return false;
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      *bad = i;
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

ParseResult parse_colang_v1(std::string_view source, std::string filename) {
  ParseResult result;
  try {
    size_t bad = 0;
    if (!valid_utf8(source, &bad)) {
      Diagnostic d;
      d.file = filename;
      d.line = 1;
      for (size_t i = 0; i < bad; ++i) d.line += source[i] == '\n';
      size_t line_start = source.rfind('\n', bad == 0 ? 0 : bad - 1);
      line_start = line_start == std::string_view::npos || bad == 0 ? 0 : line_start + 1;
      d.column = static_cast<int>(bad - line_start) + 1;
      d.code = "encoding";
      d.message = "the text is not valid UTF-8";
      result.diagnostics.push_back(std::move(d));
      return result;
    }
    LineReaderResult lines = internal::read_lines(source, filename, &result.diagnostics);
    std::vector<LineNode> top = internal::parse_blocks(lines, filename, &result.diagnostics);
    Builder builder(lines, filename, &result);
    builder.build(top);
  } catch (const std::exception& ex) {
    Diagnostic d;
    d.file = filename;
    d.code = "internal";
    d.message = std::string("internal parser error: ") + ex.what();
    result.diagnostics.push_back(std::move(d));
  }
  return result;
}

bool looks_like_colang_v1(std::string_view source) {
  bool has_define = false;
  size_t pos = 0;
  while (pos <= source.size()) {
    size_t nl = source.find('\n', pos);
    std::string_view line = source.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    size_t b = 0;
    while (b < line.size() && (line[b] == ' ' || line[b] == '\t')) ++b;
    line.remove_prefix(b);
    auto word_is = [&](std::string_view w) {
      return starts_with(line, w) && (line.size() == w.size() || line[w.size()] == ' ' ||
                                      line[w.size()] == '\t' || line[w.size()] == '\r');
    };
    if (word_is("define")) has_define = true;
    if (word_is("import")) {
      std::string_view rest = line.substr(6);
      while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) rest.remove_prefix(1);
      // 2.x imports name a module: `import core`, `import guardrails.x`.
      if (!rest.empty() && (isalpha(static_cast<unsigned char>(rest[0])) || rest[0] == '_')) return false;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return has_define;
}

}  // namespace rg::colang::v1
