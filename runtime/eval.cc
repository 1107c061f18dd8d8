// The expression evaluator: walks a colang::Expr tree with Python semantics
// (spec/colang.md B.4). Operators live in py_ops.cc, subscripts and methods
// in py_methods.cc, built-in functions in builtins.cc.
//
// Errors: helpers throw EvalError with a bare message; the innermost
// expression node that has source text appends it ("... in '$x + 1'") and
// marks the error as located so outer nodes pass it through unchanged.
#include <array>

#include "runtime/eval.h"
#include "runtime/internal/py_support.h"

namespace rg::runtime {

using colang::Dict;
using colang::Expr;
using colang::ExprKind;
using colang::List;
using colang::Value;
using internal::raise;

namespace {

// Nesting limit for the recursive walk (a left-leaning operator chain such as
// `a + b + c + ...` is walked in a loop and does not count per operand).
constexpr int kMaxDepth = 256;

// An EvalError whose message already names the failing expression.
class LocatedEvalError : public EvalError {
 public:
  using EvalError::EvalError;
};

[[noreturn]] void locate(const EvalError& err, const Expr& where) {
  if (where.source.empty()) throw err;  // let an enclosing node add its text
  std::string msg = err.what();
  msg += " in '";
  msg += where.source;
  msg += "'";
  throw LocatedEvalError(err.type(), msg);
}

class Evaluator {
 public:
  explicit Evaluator(EvalHost& host) : host_(host) {}

  Value eval(const Expr& e) {
    if (depth_ >= kMaxDepth) raise("RecursionError", "expression nested too deeply");
    ++depth_;
    try {
      Value v = eval_node(e);
      --depth_;
      return v;
    } catch (const LocatedEvalError&) {
      throw;
    } catch (const EvalError& err) {
      locate(err, e);
    }
  }

 private:
  Value eval_node(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        return e.literal;
      case ExprKind::kString:
        return eval_string(e);
      case ExprKind::kVar:
        return host_.get_variable(e.name);
      case ExprKind::kList: {
        List out;
        out.reserve(e.items.size());
        for (const auto& item : e.items) out.push_back(eval(*item));
        return Value(std::move(out));
      }
      case ExprKind::kSet: {
        List out;
        out.reserve(e.items.size());
        for (const auto& item : e.items) {
          out.push_back(eval(*item));
          internal::check_hashable(out.back());
        }
        return Value::make_set(std::move(out));
      }
      case ExprKind::kDict:
        return eval_dict(e);
      case ExprKind::kUnary:
        return internal::py_unary(e.op, eval(*e.operand));
      case ExprKind::kBinary:
        return eval_binary(e);
      case ExprKind::kCompare:
        return Value(eval_compare(e));
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        // Python value semantics: the first operand that decides, else the last.
        const bool stop_when = e.kind == ExprKind::kOr;
        Value v;
        for (const auto& item : e.items) {
          v = eval(*item);
          if (v.truthy() == stop_when) return v;
        }
        return v;
      }
      case ExprKind::kNot:
        return Value(!eval(*e.operand).truthy());
      case ExprKind::kCall: {
        internal::CallArgs args = eval_args(e);
        return internal::call_builtin(e.name, args, host_);
      }
      case ExprKind::kAttr:
        return attribute(eval(*e.operand), e.name);
      case ExprKind::kMethodCall: {
        Value obj = eval(*e.operand);
        internal::CallArgs args = eval_args(e);
        return internal::call_method(obj, e.name, args);
      }
      case ExprKind::kIndex:
        return eval_index(e);
      case ExprKind::kSlice:
        raise("SyntaxError", "a slice is only valid inside a subscript");
    }
    raise("SyntaxError", "unknown expression kind");
  }

  // B.4 step 1: literal text plus `{expr}` parts rendered with str().
  Value eval_string(const Expr& e) {
    if (e.parts.size() == 1 && !e.parts[0].expr) return Value(e.parts[0].text);
    std::string out;
    for (const colang::StringPart& part : e.parts) {
      if (part.expr) {
        colang::append_python_str(out, eval(*part.expr));
      } else {
        out += part.text;
      }
    }
    return Value(std::move(out));
  }

  Value eval_dict(const Expr& e) {
    Dict d;
    d.entries().reserve(e.entries.size());
    for (const auto& [key_expr, value_expr] : e.entries) {
      if (!key_expr) {  // `**other`
        Value other = eval(*value_expr);
        if (!other.is_dict()) {
          raise("TypeError", internal::quoted_type(other) + " object is not a mapping");
        }
        for (const auto& [k, v] : other.as_dict()) d.set(k, v);
        continue;
      }
      Value key = eval(*key_expr);
      if (!key.is_str()) {
        internal::check_hashable(key);
        raise("TypeError", "dict keys must be str, not " + internal::quoted_type(key));
      }
      Value value = eval(*value_expr);
      d.set(key.as_str(), std::move(value));
    }
    return Value(std::move(d));
  }

  Value apply_binary(const Expr& node, const Value& lhs) {
    Value rhs = eval(*node.rhs);
    try {
      return py::binary(node.op, lhs, rhs);
    } catch (const LocatedEvalError&) {
      throw;
    } catch (const EvalError& err) {
      locate(err, node);
    }
  }

  // `a - b - c` parses as ((a - b) - c): walk the left spine in a loop.
  Value eval_binary(const Expr& e) {
    std::array<const Expr*, 16> small;
    std::vector<const Expr*> large;
    size_t n = 0;
    const Expr* node = &e;
    while (node->lhs && node->lhs->kind == ExprKind::kBinary) {
      if (n < small.size()) {
        small[n] = node;
      } else {
        if (large.empty()) large.assign(small.begin(), small.end());
        large.push_back(node);
      }
      ++n;
      node = node->lhs.get();
    }
    Value acc = apply_binary(*node, eval(*node->lhs));
    for (size_t k = n; k-- > 0;) {
      const Expr* outer = large.empty() ? small[k] : large[k];
      acc = apply_binary(*outer, acc);
    }
    return acc;
  }

  // Chained comparisons: `a < b < c` is `a < b and b < c`, each operand
  // evaluated at most once, stopping at the first false link.
  bool eval_compare(const Expr& e) {
    Value left = eval(*e.items[0]);
    for (size_t i = 0; i < e.ops.size(); ++i) {
      Value right = eval(*e.items[i + 1]);
      if (!py::compare(e.ops[i], left, right)) return false;
      left = std::move(right);
    }
    return true;
  }

  internal::CallArgs eval_args(const Expr& e) {
    internal::CallArgs args;
    args.positional.reserve(e.items.size());
    for (const auto& item : e.items) args.positional.push_back(eval(*item));
    for (const auto& [name, value] : e.kwargs) args.keywords.emplace_back(name, eval(*value));
    return args;
  }

  Value eval_index(const Expr& e) {
    const Value obj = eval(*e.operand);
    const Expr& sub = *e.items.at(0);
    if (sub.kind == ExprKind::kSlice) {
      const Value start = sub.lhs ? eval(*sub.lhs) : Value();
      const Value stop = sub.rhs ? eval(*sub.rhs) : Value();
      const Value step = sub.step ? eval(*sub.step) : Value();
      return internal::py_slice(obj, start, stop, step);
    }
    return internal::py_index(obj, eval(sub));
  }

  // `obj.name`: dict keys (missing => None, B.4 step 2), flow/action
  // attributes through the host, event name/arguments/flow, then the event
  // argument of that name.
  Value attribute(const Value& obj, const std::string& name) {
    switch (obj.kind()) {
      case Value::Kind::kDict: {
        const Value* v = obj.as_dict().find(name);
        return v ? *v : Value();
      }
      case Value::Kind::kFlowRef:
        return host_.flow_attribute(obj.as_flow_ref(), name);
      case Value::Kind::kActionRef:
        return host_.action_attribute(obj.as_action_ref(), name);
      case Value::Kind::kEvent: {
        const colang::EventValue& ev = obj.as_event();
        if (name == "name") return Value(ev.name);
        if (name == "arguments") return ev.arguments ? Value(ev.arguments) : Value(Dict{});
        if (name == "flow") {
          // Flow lifecycle events know their flow; one sent by hand from
          // Colang does not, and reads as None (as in the reference).
          if (!ev.flow_uid.empty()) return Value(colang::FlowRef{ev.flow_uid});
          const Value* v = ev.arguments ? ev.arguments->find(name) : nullptr;
          return v ? *v : Value();
        }
        if (ev.arguments) {
          if (const Value* v = ev.arguments->find(name)) return *v;
        }
        break;
      }
      default:
        break;
    }
    raise("AttributeError", internal::quoted_type(obj) + " object has no attribute '" + name + "'");
  }

  EvalHost& host_;
  int depth_ = 0;
};

}  // namespace

Value evaluate(const Expr& expr, EvalHost& host) {
  Evaluator evaluator(host);
  return evaluator.eval(expr);
}

}  // namespace rg::runtime
