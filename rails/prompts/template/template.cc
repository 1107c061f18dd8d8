// Template: compile (parser.cc) and render (the tree walk below).
#include "rails/prompts/template/template.h"

#include <utility>

#include "rails/prompts/template/filter_registry.h"
#include "rails/prompts/template/internal/ast.h"
#include "rails/prompts/template/internal/values.h"

namespace rg::rails::prompts {

using colang::Dict;
using colang::List;
using colang::Value;
using internal::Body;
using internal::Expr;
using internal::Node;

// ORDER TemplateErrorCode
std::string_view template_error_code_name(TemplateError::Code code) {
  switch (code) {
    case TemplateError::Code::kSyntax: return "syntax";
    case TemplateError::Code::kUnknownFilter: return "unknown_filter";
    case TemplateError::Code::kUnknownTest: return "unknown_test";
    case TemplateError::Code::kUndefined: return "undefined";
    case TemplateError::Code::kType: return "type";
    case TemplateError::Code::kFilter: return "filter";
    case TemplateError::Code::kLimit: return "limit";
  }
  return "?";
}

std::string TemplateError::to_string() const {
  std::string out = template_name;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
  }
  out += ": ";
  out += message;
  return out;
}

namespace {

// Concatenates strings with one buffer. (Also avoids GCC 12's false
// -Wrestrict warning on `"literal" + std::string&&` at -O3.)
template <typename... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

// Budgets per render: a runaway template fails instead of eating memory or
// time (prompts need a few KB and a few hundred iterations).
constexpr size_t kMaxOutput = 64u << 20;          // bytes of output
constexpr int64_t kMaxIterations = 1000000;       // loop iterations, all loops together

struct RenderError {
  int line;
  int column;
  TemplateError::Code code;
  std::string message;
};

// A value, or Jinja's Undefined (with the message to give when it is used).
struct Operand {
  Operand() = default;
  Operand(Value v) : value(std::move(v)) {}  // NOLINT: a defined value

  Value value;
  bool defined = true;
  std::string undefined_message;

  static Operand undefined(std::string message) {
    Operand o;
    o.defined = false;
    o.undefined_message = std::move(message);
    return o;
  }
};

class Renderer {
 public:
  explicit Renderer(const Dict& globals) : globals_(globals) {}

  void body(const Body& nodes, std::string& out) {
    for (const Node& n : nodes) node(n, out);
  }

 private:
  [[noreturn]] static void fail(const Expr& e, TemplateError::Code code, std::string message) {
    throw RenderError{e.line, e.column, code, std::move(message)};
  }
  // The value of an operand that must be defined.
  static const Value& need(const Operand& o, const Expr& at) {
    if (!o.defined) fail(at, TemplateError::Code::kUndefined, o.undefined_message);
    return o.value;
  }

  void node(const Node& n, std::string& out) {
    switch (n.kind) {
      case Node::Kind::kText:
        out += n.text;
        break;
      case Node::Kind::kOutput: {
        Operand o = eval(*n.expr);
        if (o.defined) colang::append_python_str(out, o.value);
        break;
      }
      case Node::Kind::kIf:
        for (size_t i = 0; i < n.conditions.size(); ++i) {
          if (truthy(eval(*n.conditions[i]))) {
            body(n.bodies[i], out);
            return;
          }
        }
        body(n.else_body, out);
        break;
      case Node::Kind::kSet:
        assign(n.targets, eval(*n.expr), *n.expr, frames_.empty() ? top_ : frames_.back());
        break;
      case Node::Kind::kFor:
        loop(n, out);
        break;
    }
    if (out.size() > kMaxOutput) {
      throw RenderError{n.line, n.column, TemplateError::Code::kLimit, "output larger than 64 MiB"};
    }
  }

  using Frame = std::vector<std::pair<std::string, Operand>>;

  static void bind(Frame& frame, const std::string& name, Operand value) {
    for (auto& [k, v] : frame) {
      if (k == name) {
        v = std::move(value);
        return;
      }
    }
    frame.emplace_back(name, std::move(value));
  }

  void assign(const std::vector<std::string>& targets, const Operand& value, const Expr& at, Frame& frame) {
    if (targets.size() == 1) {
      bind(frame, targets[0], value);
      return;
    }
    std::vector<Value> items;
    try {
      items = internal::iterate(need(value, at));
    } catch (const internal::ValueError& e) {
      fail(at, TemplateError::Code::kType, "cannot unpack non-iterable " + std::string(value.value.type_name()) + " object");
    }
    if (items.size() != targets.size()) {
      fail(at, TemplateError::Code::kType,
           (items.size() < targets.size() ? "not enough values to unpack (expected " : "too many values to unpack (expected ") +
               std::to_string(targets.size()) + ", got " + std::to_string(items.size()) + ")");
    }
    for (size_t i = 0; i < targets.size(); ++i) bind(frame, targets[i], Operand{items[i]});
  }

  void loop(const Node& n, std::string& out) {
    const Expr& at = *n.expr;
    Operand seq = eval(at);
    std::vector<Value> items;
    if (seq.defined) {
      try {
        items = internal::iterate(seq.value);
      } catch (const internal::ValueError& e) {
        fail(at, TemplateError::Code::kType, e.what());
      }
    }
    if (n.loop_filter) {
      std::vector<Value> kept;
      for (Value& item : items) {
        frames_.emplace_back();
        assign(n.targets, Operand{item}, at, frames_.back());
        bool keep = truthy(eval(*n.loop_filter));
        frames_.pop_back();
        if (keep) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      body(n.else_body, out);
      return;
    }
    const int64_t length = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < length; ++i) {
      if (++iterations_ > kMaxIterations) {
        throw RenderError{n.line, n.column, TemplateError::Code::kLimit,
                          cat("more than ", std::to_string(kMaxIterations), " loop iterations in one render")};
      }
      frames_.emplace_back();
      Dict info;
      info.set("index", i + 1);
      info.set("index0", i);
      info.set("revindex", length - i);
      info.set("revindex0", length - i - 1);
      info.set("first", i == 0);
      info.set("last", i == length - 1);
      info.set("length", length);
      if (i > 0) info.set("previtem", items[static_cast<size_t>(i - 1)]);  // else undefined
      if (i + 1 < length) info.set("nextitem", items[static_cast<size_t>(i + 1)]);
      bind(frames_.back(), "loop", Operand{Value(std::move(info))});
      assign(n.targets, Operand{items[static_cast<size_t>(i)]}, at, frames_.back());
      body(n.bodies[0], out);
      frames_.pop_back();
    }
  }

  Operand lookup(const std::string& name) const {
    for (auto it = frames_.rbegin(); it != frames_.rend(); ++it) {
      for (const auto& [k, v] : *it) {
        if (k == name) return v;
      }
    }
    for (const auto& [k, v] : top_) {
      if (k == name) return v;
    }
    if (const Value* v = globals_.find(name)) return Operand{*v};
    return Operand::undefined(cat("'", name, "' is undefined"));
  }

  static bool truthy(const Operand& o) { return o.defined && o.value.truthy(); }

  Operand eval(const Expr& e) {
    try {
      return eval_inner(e);
    } catch (const internal::ValueError& err) {
      fail(e, TemplateError::Code::kType, err.what());
    }
  }

  static Operand attribute(const Value& obj, const std::string& name) {
    if (obj.is_dict()) {
      if (const Value* v = obj.as_dict().find(name)) return Operand{*v};
    }
    return Operand::undefined(cat("'", internal::object_name(obj), "' has no attribute '", name, "'"));
  }

  static Operand item(const Value& obj, const Value& key) {
    if (key.is_str()) return attribute(obj, key.as_str());
    if ((key.is_int() || key.is_bool()) && (obj.is_list() || obj.is_str())) {
      int64_t i = key.is_bool() ? key.as_bool() : key.as_int();
      if (obj.is_list()) {
        const List& l = obj.as_list();
        int64_t len = static_cast<int64_t>(l.size());
        if (i < 0) i += len;
        if (i >= 0 && i < len) return Operand{l[static_cast<size_t>(i)]};
      } else {
        std::vector<std::string> chars = internal::characters(obj.as_str());
        int64_t len = static_cast<int64_t>(chars.size());
        if (i < 0) i += len;
        if (i >= 0 && i < len) return Operand{Value(chars[static_cast<size_t>(i)])};
      }
    }
    return Operand::undefined(
        cat("'", internal::object_name(obj), "' has no attribute '", colang::to_python_str(key), "'"));
  }

  Operand eval_inner(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return Operand{e.value};
      case Expr::Kind::kName:
        return lookup(e.name);
      case Expr::Kind::kList: {
        List l;
        for (const auto& item : e.items) l.push_back(need(eval(*item), *item));
        return Operand{Value(std::move(l))};
      }
      case Expr::Kind::kDict: {
        Dict d;
        for (size_t i = 0; i + 1 < e.items.size(); i += 2) {
          Value k = need(eval(*e.items[i]), *e.items[i]);
          d.set(colang::to_python_str(k), need(eval(*e.items[i + 1]), *e.items[i + 1]));
        }
        return Operand{Value(std::move(d))};
      }
      case Expr::Kind::kAttr:
        return attribute(need(eval(*e.items[0]), e), e.name);
      case Expr::Kind::kItem: {
        Operand obj = eval(*e.items[0]);
        return item(need(obj, e), need(eval(*e.items[1]), *e.items[1]));
      }
      case Expr::Kind::kSlice: {
        Operand obj = eval(*e.items[0]);
        const Value& v = need(obj, e);
        Operand bounds[3];
        const Value* args[3] = {nullptr, nullptr, nullptr};
        for (size_t k = 0; k < 3; ++k) {
          if (!e.items[k + 1]) continue;
          bounds[k] = eval(*e.items[k + 1]);
          args[k] = &need(bounds[k], *e.items[k + 1]);
        }
        return Operand{internal::slice(v, args[0], args[1], args[2])};
      }
      case Expr::Kind::kNeg:
        return Operand{internal::negate(need(eval(*e.items[0]), e))};
      case Expr::Kind::kPos: {
        Value v = need(eval(*e.items[0]), e);
        if (!v.is_number()) fail(e, TemplateError::Code::kType, "bad operand type for unary +: '" + std::string(v.type_name()) + "'");
        return Operand{v.is_bool() ? Value(static_cast<int64_t>(v.as_bool())) : v};
      }
      case Expr::Kind::kNot:
        return Operand{Value(!truthy(eval(*e.items[0])))};
      case Expr::Kind::kAnd: {
        Operand a = eval(*e.items[0]);
        return truthy(a) ? eval(*e.items[1]) : a;
      }
      case Expr::Kind::kOr: {
        Operand a = eval(*e.items[0]);
        return truthy(a) ? a : eval(*e.items[1]);
      }
      case Expr::Kind::kBinary: {
        Operand a = eval(*e.items[0]);
        Operand b = eval(*e.items[1]);
        if (e.name == "~") {
          std::string s;
          if (a.defined) colang::append_python_str(s, a.value);
          if (b.defined) colang::append_python_str(s, b.value);
          return Operand{Value(std::move(s))};
        }
        return Operand{internal::arithmetic(e.name, need(a, *e.items[0]), need(b, *e.items[1]))};
      }
      case Expr::Kind::kCompare:
        return Operand{Value(compare(e))};
      case Expr::Kind::kCond:
        if (truthy(eval(*e.items[1]))) return eval(*e.items[0]);
        if (e.items[2]) return eval(*e.items[2]);
        return Operand::undefined(cat("the inline if-expression on line ", std::to_string(e.line),
                                      " evaluated to false and no else section was defined"));
      case Expr::Kind::kFilter:
        return filter(e);
      case Expr::Kind::kTest:
        return Operand{Value(test(e) != e.negated)};
      case Expr::Kind::kCall: {
        std::vector<Value> args;
        for (size_t i = 1; i < e.items.size(); ++i) args.push_back(need(eval(*e.items[i]), *e.items[i]));
        if (!e.items[0]) {
          if (e.name == "range") return Operand{internal::range(args)};
          fail(e, TemplateError::Code::kUndefined, "'" + e.name + "' is undefined");
        }
        return Operand{internal::call_method(need(eval(*e.items[0]), e), e.name, args)};
      }
    }
    fail(e, TemplateError::Code::kType, "unknown expression");
  }

  bool compare(const Expr& e) {
    Operand left = eval(*e.items[0]);
    for (size_t i = 0; i < e.ops.size(); ++i) {
      Operand right = eval(*e.items[i + 1]);
      const std::string& op = e.ops[i];
      bool r;
      if (op == "==" || op == "!=") {
        bool eq = left.defined && right.defined ? left.value == right.value : left.defined == right.defined;
        r = (op == "==") == eq;
      } else if (op == "in" || op == "not in") {
        bool in = right.defined && left.defined && internal::contains(right.value, left.value);
        r = (op == "in") == in;
      } else {
        r = internal::order(op, need(left, *e.items[i]), need(right, *e.items[i + 1]));
      }
      if (!r) return false;
      left = std::move(right);
    }
    return true;
  }

  bool test(const Expr& e) {
    Operand o = eval(*e.items[0]);
    const std::string& t = e.name;
    if (t == "defined") return o.defined;
    if (t == "undefined") return !o.defined;
    if (!o.defined) {
      if (t == "odd" || t == "even" || t == "divisibleby") need(o, e);
      return false;
    }
    const Value& v = o.value;
    if (t == "none") return v.is_none();
    if (t == "string") return v.is_str();
    if (t == "number") return v.is_number();
    if (t == "integer") return v.is_int();
    if (t == "float") return v.is_float();
    if (t == "mapping") return v.is_dict();
    if (t == "sequence") return v.is_str() || v.is_list() || v.is_dict();
    if (t == "iterable") return v.is_str() || v.is_list() || v.is_dict() || v.is_set();
    if (t == "boolean") return v.is_bool();
    if (t == "true") return v.is_bool() && v.as_bool();
    if (t == "false") return v.is_bool() && !v.as_bool();
    if (t == "odd" || t == "even") {
      Value r = internal::arithmetic("%", v, Value(2));
      return r == Value(t == "odd" ? 1 : 0);
    }
    // divisibleby
    Value n = need(eval(*e.items[1]), *e.items[1]);
    return internal::arithmetic("%", v, n) == Value(0);
  }

  Operand filter(const Expr& e) {
    FilterCall call;
    call.name = e.name;
    Operand input = eval(*e.items[0]);
    call.input = input.value;
    call.input_defined = input.defined;
    call.undefined_message = input.undefined_message;
    const size_t n_args = e.items.size() - 1;
    const size_t n_positional = n_args - e.keywords.size();
    for (size_t i = 1; i < e.items.size(); ++i) {
      Operand a = eval(*e.items[i]);
      if (i - 1 < n_positional) {
        call.args.push_back(a.value);
        call.args_defined.push_back(a.defined);
      } else {
        call.kwargs.emplace_back(e.keywords[i - 1 - n_positional], a.value);
      }
    }
    std::optional<Value> result;
    try {
      result = (*e.filter)(call);
    } catch (const FilterError& err) {
      fail(e, input.defined ? TemplateError::Code::kFilter : TemplateError::Code::kUndefined,
           "filter '" + e.name + "': " + err.what());
    } catch (const internal::ValueError& err) {
      fail(e, TemplateError::Code::kFilter, "filter '" + e.name + "': " + err.what());
    }
    if (!result) return Operand::undefined("filter '" + e.name + "' returned no value");
    return Operand{std::move(*result)};
  }

  const Dict& globals_;
  int64_t iterations_ = 0;
  Frame top_;                  // `set` outside any loop
  std::vector<Frame> frames_;  // one per enclosing for iteration
};

}  // namespace

Template::Template() = default;
Template::~Template() = default;

TemplateResult<std::shared_ptr<const Template>> Template::compile(std::string_view source, std::string name,
                                                                   std::shared_ptr<const FilterRegistry> filters,
                                                                   TemplateOptions options) {
  if (!filters) filters = default_filters();
  std::string text;
  text.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {  // \r\n and \r read as \n (Jinja's newline_sequence)
    if (source[i] == '\r') {
      text += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      text += source[i];
    }
  }
  if (!options.keep_trailing_newline && !text.empty() && text.back() == '\n') text.pop_back();
  std::shared_ptr<Template> t(new Template());
  t->name_ = std::move(name);
  t->filters_ = filters;
  try {
    internal::ParseOutput parsed = internal::parse_template(text, *filters);
    t->body_ = std::move(parsed.body);
    t->names_ = std::move(parsed.names);
  } catch (const internal::ParseError& e) {
    return TemplateError{static_cast<TemplateError::Code>(e.code), t->name_, e.line, e.column, e.message};
  }
  return std::shared_ptr<const Template>(std::move(t));
}

TemplateResult<std::string> Template::render(const Dict& context) const {
  std::string out;
  Renderer renderer(context);
  try {
    renderer.body(body_, out);
  } catch (const RenderError& e) {
    return TemplateError{e.code, name_, e.line, e.column, e.message};
  }
  return out;
}

}  // namespace rg::rails::prompts
