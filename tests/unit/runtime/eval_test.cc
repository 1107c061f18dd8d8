// The expression evaluator (runtime/eval.h): expression trees are built by
// hand with the small helpers below and evaluated against a fake host.
#include "runtime/eval.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>

using namespace rg::colang;
using namespace rg::runtime;

namespace {

// An EventValue with only a name and arguments.
EventValue event(std::string name, std::shared_ptr<Dict> args) {
  EventValue e;
  e.name = std::move(name);
  e.arguments = std::move(args);
  return e;
}

// ---------------------------------------------------------------- builders
std::shared_ptr<Expr> node(ExprKind kind, std::string source = "") {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->source = std::move(source);
  return e;
}

ExprPtr lit(Value v) {
  auto e = node(ExprKind::kLiteral, to_python_repr(v));
  e->literal = std::move(v);
  return e;
}
ExprPtr s(std::string text) {
  auto e = node(ExprKind::kString, to_python_repr(Value(text)));
  e->parts.push_back({std::move(text), nullptr});
  return e;
}
// A string with interpolations: parts are literal text or expressions.
ExprPtr interp(std::vector<std::variant<std::string, ExprPtr>> parts) {
  auto e = node(ExprKind::kString, "\"...\"");
  for (auto& p : parts) {
    if (auto* t = std::get_if<std::string>(&p)) {
      e->parts.push_back({*t, nullptr});
    } else {
      const ExprPtr& x = std::get<ExprPtr>(p);
      e->parts.push_back({x->source, x});
    }
  }
  return e;
}
ExprPtr var(std::string name) {
  auto e = node(ExprKind::kVar, "$" + name);
  e->name = std::move(name);
  return e;
}
ExprPtr bin(std::string op, ExprPtr l, ExprPtr r) {
  auto e = node(ExprKind::kBinary, l->source + " " + op + " " + r->source);
  e->op = std::move(op);
  e->lhs = std::move(l);
  e->rhs = std::move(r);
  return e;
}
ExprPtr unary(std::string op, ExprPtr x) {
  auto e = node(ExprKind::kUnary, op + x->source);
  e->op = std::move(op);
  e->operand = std::move(x);
  return e;
}
ExprPtr cmp(std::vector<ExprPtr> items, std::vector<std::string> ops) {
  std::string src = items[0]->source;
  for (size_t i = 0; i < ops.size(); ++i) src += " " + ops[i] + " " + items[i + 1]->source;
  auto e = node(ExprKind::kCompare, src);
  e->items = std::move(items);
  e->ops = std::move(ops);
  return e;
}
ExprPtr cmp(ExprPtr a, std::string op, ExprPtr b) { return cmp({std::move(a), std::move(b)}, {std::move(op)}); }
ExprPtr logic(ExprKind kind, std::vector<ExprPtr> items) {
  auto e = node(kind, kind == ExprKind::kAnd ? "and(...)" : "or(...)");
  e->items = std::move(items);
  return e;
}
ExprPtr not_(ExprPtr x) {
  auto e = node(ExprKind::kNot, "not " + x->source);
  e->operand = std::move(x);
  return e;
}
ExprPtr call(std::string name, std::vector<ExprPtr> args = {}) {
  std::string src = name + "(";
  for (size_t i = 0; i < args.size(); ++i) src += (i ? ", " : "") + args[i]->source;
  auto e = node(ExprKind::kCall, src + ")");
  e->name = std::move(name);
  e->items = std::move(args);
  return e;
}
ExprPtr attr(ExprPtr obj, std::string name) {
  auto e = node(ExprKind::kAttr, obj->source + "." + name);
  e->operand = std::move(obj);
  e->name = std::move(name);
  return e;
}
ExprPtr method(ExprPtr obj, std::string name, std::vector<ExprPtr> args = {},
               std::vector<std::pair<std::string, ExprPtr>> kwargs = {}) {
  auto e = node(ExprKind::kMethodCall, obj->source + "." + name + "(...)");
  e->operand = std::move(obj);
  e->name = std::move(name);
  e->items = std::move(args);
  e->kwargs = std::move(kwargs);
  return e;
}
ExprPtr index(ExprPtr obj, ExprPtr sub) {
  auto e = node(ExprKind::kIndex, obj->source + "[" + sub->source + "]");
  e->operand = std::move(obj);
  e->items.push_back(std::move(sub));
  return e;
}
ExprPtr slice(ExprPtr lo, ExprPtr hi, ExprPtr step = nullptr) {
  auto e = node(ExprKind::kSlice, "a:b");
  e->lhs = std::move(lo);
  e->rhs = std::move(hi);
  e->step = std::move(step);
  return e;
}
ExprPtr list(std::vector<ExprPtr> items) {
  auto e = node(ExprKind::kList, "[...]");
  e->items = std::move(items);
  return e;
}
ExprPtr set(std::vector<ExprPtr> items) {
  auto e = node(ExprKind::kSet, "{...}");
  e->items = std::move(items);
  return e;
}
// `{k: v}` entries; a null key means `**value`.
ExprPtr dict(std::vector<std::pair<ExprPtr, ExprPtr>> entries) {
  auto e = node(ExprKind::kDict, "{...}");
  e->entries = std::move(entries);
  return e;
}
ExprPtr i(int64_t v) { return lit(Value(v)); }
ExprPtr f(double v) { return lit(Value(v)); }
ExprPtr b(bool v) { return lit(Value(v)); }
ExprPtr none() { return lit(Value()); }

// ---------------------------------------------------------------- host
class FakeHost : public EvalHost {
 public:
  Value get_variable(std::string_view name) override {
    auto it = vars.find(std::string(name));
    return it == vars.end() ? Value() : it->second;
  }
  Value flow_attribute(const FlowRef& ref, std::string_view a) override {
    if (a == "uid") return Value(ref.uid);
    if (a == "flow_id") return Value("main");
    throw EvalError("AttributeError", "no flow attribute " + std::string(a));
  }
  Value action_attribute(const ActionRef& ref, std::string_view a) override {
    if (a == "name") return Value("UtteranceBotAction:" + ref.uid);
    throw EvalError("AttributeError", "no action attribute " + std::string(a));
  }
  std::string new_uid() override { return "uid-" + std::to_string(++uids); }
  double random() override { return next_random; }
  Value flows_info(const Value& uid) override {
    Dict d;
    d.set("asked", uid);
    return Value(std::move(d));
  }

  std::map<std::string, Value> vars;
  int uids = 0;
  double next_random = 0.5;
};

Value run(const ExprPtr& e, FakeHost& host) { return evaluate(*e, host); }
Value run(const ExprPtr& e) {
  FakeHost host;
  return evaluate(*e, host);
}

// The EvalError type raised by evaluating e ("" when it succeeds).
std::string error_type(const ExprPtr& e, FakeHost* host = nullptr) {
  FakeHost local;
  try {
    evaluate(*e, host ? *host : local);
  } catch (const EvalError& err) {
    return err.type();
  }
  return "";
}
std::string error_message(const ExprPtr& e) {
  FakeHost host;
  try {
    evaluate(*e, host);
  } catch (const EvalError& err) {
    return err.what();
  }
  return "";
}

Value bin_v(const char* op, Value a, Value b) { return py::binary(op, a, b); }
bool same(const Value& a, const Value& b) { return a.kind() == b.kind() && a == b; }

}  // namespace

// ---------------------------------------------------------------- arithmetic
TEST_CASE("int and float arithmetic") {
  CHECK(same(run(bin("+", i(2), i(3))), Value(5)));
  CHECK(same(run(bin("+", i(2), f(0.5))), Value(2.5)));
  CHECK(same(run(bin("-", i(2), i(5))), Value(-3)));
  CHECK(same(run(bin("*", i(4), f(2.5))), Value(10.0)));
  CHECK(same(run(bin("/", i(7), i(2))), Value(3.5)));
  CHECK(same(run(bin("/", i(6), i(3))), Value(2.0)));  // int / int is float
  CHECK(same(run(bin("**", i(2), i(10))), Value(1024)));
  CHECK(same(run(bin("**", i(2), i(-1))), Value(0.5)));
  CHECK(same(run(bin("**", f(4.0), f(0.5))), Value(2.0)));
  CHECK(same(run(bin("+", b(true), i(1))), Value(2)));  // True + 1 == 2
  CHECK(same(run(bin("+", b(true), b(true))), Value(2)));
  CHECK(same(run(bin("*", b(false), f(3.0))), Value(0.0)));
  // left-associative chain: (10 - 3) - 2
  CHECK(same(run(bin("-", bin("-", i(10), i(3)), i(2))), Value(5)));
}

TEST_CASE("floor division and modulo follow Python's sign rules") {
  CHECK(same(bin_v("//", Value(7), Value(2)), Value(3)));
  CHECK(same(bin_v("//", Value(-7), Value(2)), Value(-4)));
  CHECK(same(bin_v("//", Value(7), Value(-2)), Value(-4)));
  CHECK(same(bin_v("//", Value(-7), Value(-2)), Value(3)));
  CHECK(same(bin_v("%", Value(-7), Value(2)), Value(1)));
  CHECK(same(bin_v("%", Value(7), Value(-2)), Value(-1)));
  CHECK(same(bin_v("%", Value(-7), Value(-2)), Value(-1)));
  CHECK(same(bin_v("%", Value(6), Value(3)), Value(0)));
  CHECK(same(bin_v("//", Value(-7.5), Value(2)), Value(-4.0)));
  CHECK(same(bin_v("%", Value(-7.5), Value(2)), Value(0.5)));
  CHECK(same(bin_v("%", Value(7.5), Value(-2)), Value(-0.5)));
  CHECK(same(bin_v("//", Value(7), Value(0.5)), Value(14.0)));
  CHECK(same(bin_v("%", Value(std::numeric_limits<int64_t>::min()), Value(-1)), Value(0)));
}

TEST_CASE("arithmetic errors") {
  CHECK(error_type(bin("/", i(1), i(0))) == "ZeroDivisionError");
  CHECK(error_type(bin("//", i(1), i(0))) == "ZeroDivisionError");
  CHECK(error_type(bin("%", i(1), i(0))) == "ZeroDivisionError");
  CHECK(error_type(bin("/", f(1.0), f(0.0))) == "ZeroDivisionError");
  CHECK(error_type(bin("%", f(1.0), i(0))) == "ZeroDivisionError");
  CHECK(error_type(bin("**", i(0), i(-1))) == "ZeroDivisionError");
  CHECK(error_type(bin("+", i(std::numeric_limits<int64_t>::max()), i(1))) == "OverflowError");
  CHECK(error_type(bin("*", i(int64_t{1} << 40), i(int64_t{1} << 40))) == "OverflowError");
  CHECK(error_type(bin("**", i(10), i(19))) == "OverflowError");
  CHECK(error_type(bin("<<", i(1), i(63))) == "OverflowError");
  CHECK(error_type(unary("-", i(std::numeric_limits<int64_t>::min()))) == "OverflowError");
  CHECK(error_type(bin("+", s("a"), i(1))) == "TypeError");
  CHECK(error_type(bin("-", s("a"), s("b"))) == "TypeError");
  CHECK(error_type(bin("@", i(1), i(2))) == "TypeError");
  CHECK(error_type(bin("+", none(), i(1))) == "TypeError");
  CHECK(error_type(bin("%", s("%s"), i(1))) == "TypeError");
  CHECK(error_type(bin("**", f(-8.0), f(0.5))) == "ValueError");
  CHECK(error_type(bin("<<", i(1), i(-1))) == "ValueError");
  // the message names the failing sub-expression
  const std::string msg = error_message(bin("*", i(2), bin("-", s("a"), i(1))));
  CHECK(msg.find("unsupported operand type(s) for -: 'str' and 'int'") != std::string::npos);
  CHECK(msg.find("in ''a' - 1'") != std::string::npos);
}

TEST_CASE("sequences, bitwise and set/dict operators") {
  CHECK(same(run(bin("+", s("ab"), s("cd"))), Value("abcd")));
  CHECK(same(run(bin("*", s("ab"), i(3))), Value("ababab")));
  CHECK(same(run(bin("*", i(2), s("x"))), Value("xx")));
  CHECK(same(run(bin("*", s("x"), i(-1))), Value("")));
  CHECK(run(bin("+", list({i(1)}), list({s("a")}))) == Value(List{Value(1), Value("a")}));
  CHECK(run(bin("*", list({i(0)}), i(3))) == Value(List{Value(0), Value(0), Value(0)}));
  CHECK(same(run(bin("|", i(5), i(2))), Value(7)));
  CHECK(same(run(bin("&", i(6), i(3))), Value(2)));
  CHECK(same(run(bin("^", i(6), i(3))), Value(5)));
  CHECK(same(run(bin("<<", i(1), i(4))), Value(16)));
  CHECK(same(run(bin(">>", i(-16), i(2))), Value(-4)));
  CHECK(same(run(bin(">>", i(-1), i(100))), Value(-1)));
  CHECK(same(run(bin("&", b(true), b(false))), Value(false)));
  CHECK(same(run(unary("~", i(5))), Value(-6)));
  CHECK(same(run(unary("-", b(true))), Value(-1)));
  CHECK(same(run(unary("+", b(true))), Value(1)));
  CHECK(same(run(unary("-", f(2.5))), Value(-2.5)));
  CHECK(error_type(unary("-", s("x"))) == "TypeError");
  CHECK(error_type(unary("~", f(1.0))) == "TypeError");
  Value merged = run(bin("|", dict({{s("a"), i(1)}, {s("b"), i(2)}}), dict({{s("b"), i(3)}})));
  CHECK(to_python_repr(merged) == "{'a': 1, 'b': 3}");
  CHECK(run(bin("|", set({i(1), i(2)}), set({i(2), i(3)}))) ==
        Value::make_set({Value(1), Value(2), Value(3)}));
  CHECK(run(bin("&", set({i(1), i(2)}), set({i(2), i(3)}))) == Value::make_set({Value(2)}));
  CHECK(run(bin("-", set({i(1), i(2)}), set({i(2)}))) == Value::make_set({Value(1)}));
  CHECK(run(bin("^", set({i(1), i(2)}), set({i(2), i(3)}))) ==
        Value::make_set({Value(1), Value(3)}));
}

// ---------------------------------------------------------------- comparisons
TEST_CASE("comparisons and chains") {
  CHECK(same(run(cmp(i(1), "<", i(2))), Value(true)));
  CHECK(same(run(cmp(i(1), "==", f(1.0))), Value(true)));
  CHECK(same(run(cmp(b(true), "==", i(1))), Value(true)));
  CHECK(same(run(cmp(i(1), "!=", f(1.0))), Value(false)));
  CHECK(same(run(cmp(i(1), "<>", i(2))), Value(true)));
  CHECK(same(run(cmp(s("abc"), "<", s("abd"))), Value(true)));
  CHECK(same(run(cmp(s("Z"), "<", s("a"))), Value(true)));
  CHECK(same(run(cmp(s("ab"), ">=", s("a"))), Value(true)));
  CHECK(same(run(cmp(list({i(1), i(2)}), "<", list({i(1), i(3)}))), Value(true)));
  CHECK(same(run(cmp(list({i(1)}), "<", list({i(1), i(0)}))), Value(true)));
  CHECK(same(run(cmp(i(2), "<=", f(2.0))), Value(true)));
  CHECK(same(run(cmp({i(1), i(2), i(3)}, {"<", "<"})), Value(true)));
  CHECK(same(run(cmp({i(1), i(3), i(2)}, {"<", "<"})), Value(false)));
  CHECK(same(run(cmp({i(1), i(2), i(2)}, {"<", "=="})), Value(true)));
  CHECK(same(run(cmp(s("a"), "==", i(1))), Value(false)));
  CHECK(error_type(cmp(s("a"), "<", i(1))) == "TypeError");
  CHECK(error_type(cmp(none(), ">", i(1))) == "TypeError");
  CHECK(error_type(cmp(list({i(1)}), "<", list({s("a")}))) == "TypeError");
  // A false link stops the chain: the error in the last link is never reached.
  CHECK(same(run(cmp({i(2), i(1), s("x")}, {"<", "<"})), Value(false)));
  CHECK(same(run(cmp(set({i(1)}), "<", set({i(1), i(2)}))), Value(true)));
  CHECK(same(run(cmp(set({i(1)}), "<=", set({i(1)}))), Value(true)));
  CHECK(same(run(cmp(set({i(3)}), "<=", set({i(1)}))), Value(false)));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(same(run(cmp(f(nan), "<", i(1))), Value(false)));
  CHECK(same(run(cmp(f(nan), ">=", i(1))), Value(false)));
}

TEST_CASE("in, not in, is, is not") {
  CHECK(same(run(cmp(s("ell"), "in", s("hello"))), Value(true)));
  CHECK(same(run(cmp(s(""), "in", s("hello"))), Value(true)));
  CHECK(same(run(cmp(s("x"), "not in", s("hello"))), Value(true)));
  CHECK(same(run(cmp(i(2), "in", list({i(1), f(2.0)}))), Value(true)));
  CHECK(same(run(cmp(i(3), "in", set({i(1), i(2)}))), Value(false)));
  CHECK(same(run(cmp(s("k"), "in", dict({{s("k"), none()}}))), Value(true)));
  CHECK(same(run(cmp(s("v"), "in", dict({{s("k"), s("v")}}))), Value(false)));
  CHECK(same(run(cmp(i(1), "in", dict({{s("k"), none()}}))), Value(false)));
  CHECK(error_type(cmp(i(1), "in", s("123"))) == "TypeError");
  CHECK(error_type(cmp(i(1), "in", i(123))) == "TypeError");
  CHECK(error_type(cmp(list({}), "in", dict({}))) == "TypeError");

  FakeHost host;
  host.vars["l"] = Value(List{Value(1)});
  host.vars["alias"] = host.vars["l"];
  host.vars["other"] = Value(List{Value(1)});
  CHECK(same(run(cmp(var("missing"), "is", none()), host), Value(true)));
  CHECK(same(run(cmp(i(0), "is not", none()), host), Value(true)));
  CHECK(same(run(cmp(b(true), "is", b(true)), host), Value(true)));
  CHECK(same(run(cmp(i(1), "is", b(true)), host), Value(false)));
  CHECK(same(run(cmp(var("l"), "is", var("alias")), host), Value(true)));
  CHECK(same(run(cmp(var("l"), "is", var("other")), host), Value(false)));
  CHECK(same(run(cmp(var("l"), "==", var("other")), host), Value(true)));
}

TEST_CASE("and/or return the deciding operand; not") {
  CHECK(same(run(logic(ExprKind::kOr, {s(""), i(0), s("x"), i(5)})), Value("x")));
  CHECK(same(run(logic(ExprKind::kOr, {s(""), i(0)})), Value(0)));
  CHECK(same(run(logic(ExprKind::kAnd, {i(1), s(""), i(5)})), Value("")));
  CHECK(same(run(logic(ExprKind::kAnd, {i(1), s("y")})), Value("y")));
  // short-circuit: the division by zero is never evaluated
  CHECK(same(run(logic(ExprKind::kOr, {i(1), bin("/", i(1), i(0))})), Value(1)));
  CHECK(same(run(logic(ExprKind::kAnd, {none(), bin("/", i(1), i(0))})), Value()));
  CHECK(same(run(not_(list({}))), Value(true)));
  CHECK(same(run(not_(s("a"))), Value(false)));
}

// ---------------------------------------------------------------- variables
TEST_CASE("variables, attributes and string interpolation") {
  FakeHost host;
  Dict user;
  user.set("name", Value("Ann"));
  user.set("age", Value(41));
  host.vars["user"] = Value(user);
  host.vars["n"] = Value(2.0);
  host.vars["d"] = Value(Dict{});
  host.vars["d"].as_dict_mut().set("a", Value(1));

  CHECK(same(run(var("nothing"), host), Value()));  // unset => None
  CHECK(same(run(attr(var("user"), "name"), host), Value("Ann")));
  CHECK(same(run(attr(var("user"), "missing"), host), Value()));  // missing key => None
  CHECK(error_type(attr(attr(var("user"), "missing"), "deeper"), &host) == "AttributeError");
  CHECK(error_type(attr(s("abc"), "upper"), &host) == "AttributeError");

  // "Hello {$user.name}, you are {$user.age}; n={$n}, none={$x}"
  auto greeting = interp({"Hello ", attr(var("user"), "name"), ", you are ", attr(var("user"), "age"),
                          "; n=", var("n"), ", none=", var("x"), ", l=",
                          list({s("a"), i(1)})});
  CHECK(same(run(greeting, host), Value("Hello Ann, you are 41; n=2.0, none=None, l=['a', 1]")));
  // D.9: "{$d['a'] + 1}" => "2"
  CHECK(same(run(interp({bin("+", index(var("d"), s("a")), i(1))}), host), Value("2")));
  CHECK(same(run(s("{x}"), host), Value("{x}")));  // `{{x}}` arrives already collapsed
}

TEST_CASE("flow, action and event attributes") {
  FakeHost host;
  host.vars["ref"] = Value(FlowRef{"f-1"});
  host.vars["act"] = Value(ActionRef{"a-1"});
  auto args = std::make_shared<Dict>();
  args->set("final_transcript", Value("hi"));
  host.vars["e"] = Value(event("UtteranceUserActionFinished", args));
  CHECK(same(run(attr(var("ref"), "uid"), host), Value("f-1")));
  CHECK(same(run(attr(var("ref"), "flow_id"), host), Value("main")));
  CHECK(error_type(attr(var("ref"), "bogus"), &host) == "AttributeError");
  CHECK(same(run(attr(var("act"), "name"), host), Value("UtteranceBotAction:a-1")));
  CHECK(same(run(attr(var("e"), "name"), host), Value("UtteranceUserActionFinished")));
  CHECK(same(run(attr(attr(var("e"), "arguments"), "final_transcript"), host), Value("hi")));
  CHECK(same(run(attr(var("e"), "final_transcript"), host), Value("hi")));
  CHECK(error_type(attr(var("e"), "nope"), &host) == "AttributeError");
  // `.arguments` is the event's own dict (writes through it are visible)
  run(method(attr(var("e"), "arguments"), "update", {dict({{s("k"), i(1)}})}), host);
  CHECK(args->contains("k"));
}

// ---------------------------------------------------------------- containers
TEST_CASE("list, set and dict displays") {
  CHECK(run(list({i(1), s("a"), none()})) == Value(List{Value(1), Value("a"), Value()}));
  Value st = run(set({i(1), f(1.0), i(2)}));
  CHECK(st.is_set());
  CHECK(st.as_list().size() == 2);
  CHECK(error_type(set({list({})})) == "TypeError");
  FakeHost host;
  host.vars["base"] = Value(Dict{});
  host.vars["base"].as_dict_mut().set("x", Value(1));
  host.vars["base"].as_dict_mut().set("y", Value(2));
  Value d = run(dict({{s("y"), i(0)}, {nullptr, var("base")}, {s("z"), i(3)}}), host);
  CHECK(to_python_repr(d) == "{'y': 2, 'x': 1, 'z': 3}");
  CHECK(error_type(dict({{nullptr, i(1)}})) == "TypeError");
  CHECK(error_type(dict({{i(1), i(1)}})) == "TypeError");  // non-str keys unsupported
}

TEST_CASE("indexing and slicing") {
  FakeHost host;
  host.vars["l"] = Value(List{Value(0), Value(1), Value(2), Value(3), Value(4)});
  host.vars["s"] = Value("hello");
  host.vars["u"] = Value("h\xc3\xa9llo");  // "héllo"
  Dict d;
  d.set("k", Value("v"));
  host.vars["d"] = Value(d);
  CHECK(same(run(index(var("l"), i(0)), host), Value(0)));
  CHECK(same(run(index(var("l"), i(-1)), host), Value(4)));
  CHECK(same(run(index(var("l"), b(true)), host), Value(1)));
  CHECK(same(run(index(var("s"), i(1)), host), Value("e")));
  CHECK(same(run(index(var("s"), i(-1)), host), Value("o")));
  CHECK(same(run(index(var("u"), i(1)), host), Value("\xc3\xa9")));
  CHECK(same(run(index(var("d"), s("k")), host), Value("v")));
  CHECK(error_type(index(var("l"), i(5)), &host) == "IndexError");
  CHECK(error_type(index(var("l"), i(-6)), &host) == "IndexError");
  CHECK(error_type(index(var("s"), i(9)), &host) == "IndexError");
  CHECK(error_type(index(var("d"), s("missing")), &host) == "KeyError");
  CHECK(error_type(index(var("l"), s("x")), &host) == "TypeError");
  CHECK(error_type(index(i(1), i(0)), &host) == "TypeError");
  CHECK(error_type(index(var("nothing"), i(0)), &host) == "TypeError");

  auto sl = [&](ExprPtr obj, ExprPtr lo, ExprPtr hi, ExprPtr step = nullptr) {
    return to_python_repr(run(index(std::move(obj), slice(std::move(lo), std::move(hi), std::move(step))), host));
  };
  CHECK(sl(var("l"), i(1), i(3)) == "[1, 2]");
  CHECK(sl(var("l"), nullptr, i(-2)) == "[0, 1, 2]");
  CHECK(sl(var("l"), i(-2), nullptr) == "[3, 4]");
  CHECK(sl(var("l"), nullptr, nullptr, i(2)) == "[0, 2, 4]");
  CHECK(sl(var("l"), nullptr, nullptr, i(-1)) == "[4, 3, 2, 1, 0]");
  CHECK(sl(var("l"), i(3), i(0), i(-2)) == "[3, 1]");
  CHECK(sl(var("l"), i(10), i(20)) == "[]");
  CHECK(sl(var("l"), i(-100), i(100)) == "[0, 1, 2, 3, 4]");
  CHECK(sl(var("s"), i(1), i(4)) == "'ell'");
  CHECK(sl(var("s"), nullptr, nullptr, i(-1)) == "'olleh'");
  CHECK(sl(var("u"), i(1), i(3)) == "'\xc3\xa9l'");
  CHECK(sl(var("u"), nullptr, nullptr, i(-2)) == "'olh'");
  CHECK(to_python_str(run(index(var("u"), slice(nullptr, nullptr, i(-1))), host)) == "oll\xc3\xa9h");
  CHECK(sl(var("s"), none(), none(), none()) == "'hello'");
  CHECK(error_type(index(var("l"), slice(nullptr, nullptr, i(0))), &host) == "ValueError");
  CHECK(error_type(index(var("l"), slice(s("a"), nullptr)), &host) == "TypeError");
  CHECK(error_type(index(var("d"), slice(nullptr, nullptr)), &host) == "TypeError");
}

// ---------------------------------------------------------------- methods
TEST_CASE("str methods") {
  auto m = [](const char* text, const char* name, std::vector<ExprPtr> args = {}) {
    return run(method(s(text), name, std::move(args)));
  };
  CHECK(same(m("HeLLo", "lower"), Value("hello")));
  CHECK(same(m("caf\xc3\xa9", "upper"), Value("CAF\xc3\x89")));
  CHECK(same(m("  x y \n", "strip"), Value("x y")));
  CHECK(same(m("  x ", "lstrip"), Value("x ")));
  CHECK(same(m("  x ", "rstrip"), Value("  x")));
  CHECK(same(m("xxhixx", "strip", {s("x")}), Value("hi")));
  CHECK(same(m("hello", "startswith", {s("he")}), Value(true)));
  CHECK(same(m("hello", "endswith", {s("he")}), Value(false)));
  CHECK(same(m("hello", "endswith", {list({s("x"), s("lo")})}), Value(true)));
  CHECK(same(m("a-b-c", "replace", {s("-"), s("+")}), Value("a+b+c")));
  CHECK(same(m("a-b-c", "replace", {s("-"), s("+"), i(1)}), Value("a+b-c")));
  CHECK(same(m("ab", "replace", {s(""), s("-")}), Value("-a-b-")));
  CHECK(to_python_repr(m("  a  b c ", "split")) == "['a', 'b', 'c']");
  CHECK(to_python_repr(m("a,b,,c", "split", {s(",")})) == "['a', 'b', '', 'c']");
  CHECK(to_python_repr(m("a,b,c", "split", {s(","), i(1)})) == "['a', 'b,c']");
  CHECK(to_python_repr(m("  a b  c  ", "split", {none(), i(1)})) == "['a', 'b  c  ']");
  CHECK(to_python_repr(m("", "split")) == "[]");
  CHECK(to_python_repr(run(method(s("a b"), "split", {}, {{"sep", s(" ")}}))) == "['a', 'b']");
  CHECK(error_type(method(s("a"), "split", {s("")})) == "ValueError");
  CHECK(same(m(", ", "join", {list({s("a"), s("b")})}), Value("a, b")));
  CHECK(error_type(method(s(","), "join", {list({i(1)})})) == "TypeError");
  CHECK(same(m("h\xc3\xa9llo", "find", {s("l")}), Value(2)));  // code point index
  CHECK(same(m("hello", "find", {s("z")}), Value(-1)));
  CHECK(error_type(method(s("hello"), "index", {s("z")})) == "ValueError");
  CHECK(same(m("banana", "count", {s("an")}), Value(2)));
  CHECK(same(m("abc", "count", {s("")}), Value(4)));
  CHECK(same(m("hELLO world", "capitalize"), Value("Hello world")));
  CHECK(same(m("hello big world", "title"), Value("Hello Big World")));
  CHECK(same(m("0123", "isdigit"), Value(true)));
  CHECK(same(m("12a", "isdigit"), Value(false)));
  CHECK(same(m("", "isdigit"), Value(false)));
  CHECK(same(m("abc", "isalpha"), Value(true)));
  CHECK(same(m("ab c", "isalpha"), Value(false)));
  CHECK(error_type(method(s("x"), "format")) == "AttributeError");
  CHECK(error_type(method(s("x"), "lower", {i(1)})) == "TypeError");
}

TEST_CASE("list methods mutate the shared list") {
  FakeHost host;
  host.vars["l"] = Value(List{Value(3), Value(1), Value(2)});
  const Value alias = host.vars["l"];
  CHECK(same(run(method(var("l"), "append", {s("x")}), host), Value()));
  CHECK(to_python_repr(alias) == "[3, 1, 2, 'x']");
  CHECK(same(run(method(var("l"), "pop"), host), Value("x")));
  CHECK(same(run(method(var("l"), "pop", {i(0)}), host), Value(3)));
  CHECK(same(run(method(var("l"), "index", {i(2)}), host), Value(1)));
  CHECK(same(run(method(var("l"), "count", {i(1)}), host), Value(1)));
  Value copy = run(method(var("l"), "copy"), host);
  copy.as_list_mut().clear();
  CHECK(alias.as_list().size() == 2);
  run(method(var("l"), "extend", {list({i(0), i(5)})}), host);
  run(method(var("l"), "sort"), host);
  CHECK(to_python_repr(alias) == "[0, 1, 2, 5]");
  run(method(var("l"), "sort", {}, {{"reverse", b(true)}}), host);
  CHECK(to_python_repr(alias) == "[5, 2, 1, 0]");
  run(method(var("l"), "insert", {i(1), s("in")}), host);
  run(method(var("l"), "remove", {i(5)}), host);
  CHECK(to_python_repr(alias) == "['in', 2, 1, 0]");
  CHECK(error_type(method(var("l"), "sort"), &host) == "TypeError");  // str vs int
  CHECK(to_python_repr(alias) == "['in', 2, 1, 0]");                  // untouched on error
  CHECK(error_type(method(var("l"), "index", {i(9)}), &host) == "ValueError");
  CHECK(error_type(method(list({}), "pop"), &host) == "IndexError");
  CHECK(error_type(method(var("l"), "pop", {i(10)}), &host) == "IndexError");
  CHECK(error_type(method(var("l"), "frobnicate"), &host) == "AttributeError");
}

TEST_CASE("dict and set methods") {
  FakeHost host;
  Dict d;
  d.set("a", Value(1));
  d.set("b", Value(2));
  host.vars["d"] = Value(d);
  const Value alias = host.vars["d"];
  CHECK(same(run(method(var("d"), "get", {s("a")}), host), Value(1)));
  CHECK(same(run(method(var("d"), "get", {s("z")}), host), Value()));
  CHECK(same(run(method(var("d"), "get", {s("z"), i(0)}), host), Value(0)));
  CHECK(to_python_repr(run(method(var("d"), "keys"), host)) == "['a', 'b']");
  CHECK(to_python_repr(run(method(var("d"), "values"), host)) == "[1, 2]");
  CHECK(to_python_repr(run(method(var("d"), "items"), host)) == "[['a', 1], ['b', 2]]");
  CHECK(same(run(cmp(s("a"), "in", method(var("d"), "keys")), host), Value(true)));
  run(method(var("d"), "update", {dict({{s("c"), i(3)}})}, {{"a", i(10)}}), host);
  CHECK(to_python_repr(alias) == "{'a': 10, 'b': 2, 'c': 3}");
  CHECK(same(run(method(var("d"), "pop", {s("b")}), host), Value(2)));
  CHECK(same(run(method(var("d"), "pop", {s("b"), s("gone")}), host), Value("gone")));
  CHECK(error_type(method(var("d"), "pop", {s("b")}), &host) == "KeyError");
  Value copy = run(method(var("d"), "copy"), host);
  copy.as_dict_mut().set("new", Value());
  CHECK_FALSE(alias.as_dict().contains("new"));
  CHECK(error_type(method(var("d"), "nope"), &host) == "AttributeError");

  host.vars["st"] = Value::make_set({Value(1)});
  run(method(var("st"), "add", {i(2)}), host);
  run(method(var("st"), "add", {f(1.0)}), host);
  CHECK(host.vars["st"].as_list().size() == 2);
  run(method(var("st"), "discard", {i(1)}), host);
  CHECK(to_python_repr(host.vars["st"]) == "{2}");
  CHECK(error_type(method(var("st"), "remove", {i(7)}), &host) == "KeyError");
}

// ---------------------------------------------------------------- builtins
TEST_CASE("len, type, is_* and conversions") {
  CHECK(same(run(call("len", {s("h\xc3\xa9llo")})), Value(5)));
  CHECK(same(run(call("len", {list({i(1), i(2)})})), Value(2)));
  CHECK(same(run(call("len", {dict({{s("a"), i(1)}})})), Value(1)));
  CHECK(same(run(call("len", {set({i(1), i(1)})})), Value(1)));
  CHECK(error_type(call("len", {i(1)})) == "TypeError");
  CHECK(error_type(call("len")) == "TypeError");

  CHECK(same(run(call("type", {i(1)})), Value("int")));
  CHECK(same(run(call("type", {none()})), Value("NoneType")));
  CHECK(same(run(call("type", {call("regex", {s("a")})})), Value("Pattern")));
  CHECK(same(run(call("type", {call("less_than", {i(1)})})), Value("ComparisonExpression")));
  CHECK(same(run(call("is_int", {i(1)})), Value(true)));
  CHECK(same(run(call("is_int", {b(true)})), Value(true)));  // isinstance(True, int)
  CHECK(same(run(call("is_int", {f(1.0)})), Value(false)));
  CHECK(same(run(call("is_float", {f(1.0)})), Value(true)));
  CHECK(same(run(call("is_bool", {b(false)})), Value(true)));
  CHECK(same(run(call("is_bool", {i(0)})), Value(false)));
  CHECK(same(run(call("is_str", {s("")})), Value(true)));
  CHECK(same(run(call("is_regex", {call("regex", {s("x")})})), Value(true)));
  CHECK(same(run(call("is_regex", {s("x")})), Value(false)));

  CHECK(same(run(call("int", {s(" -42 ")})), Value(-42)));
  CHECK(same(run(call("int", {s("1_000")})), Value(1000)));
  CHECK(same(run(call("int", {f(-3.9)})), Value(-3)));
  CHECK(same(run(call("int", {b(true)})), Value(1)));
  CHECK(same(run(call("int")), Value(0)));
  CHECK(error_type(call("int", {s("4.5")})) == "ValueError");
  CHECK(error_type(call("int", {s("abc")})) == "ValueError");
  CHECK(error_type(call("int", {s("1__0")})) == "ValueError");
  CHECK(error_type(call("int", {f(std::nan(""))})) == "ValueError");
  CHECK(error_type(call("int", {none()})) == "TypeError");
  CHECK(same(run(call("float", {s("2.5")})), Value(2.5)));
  CHECK(same(run(call("float", {s(" 1e3 ")})), Value(1000.0)));
  CHECK(same(run(call("float", {s(".5")})), Value(0.5)));
  CHECK(same(run(call("float", {i(3)})), Value(3.0)));
  CHECK(std::isinf(run(call("float", {s("-inf")})).as_float()));
  CHECK(error_type(call("float", {s("1.2.3")})) == "ValueError");
  CHECK(error_type(call("float", {s("0x10")})) == "ValueError");
  CHECK(same(run(call("str", {f(10.0)})), Value("10.0")));
  CHECK(same(run(call("str", {none()})), Value("None")));
  CHECK(same(run(call("str", {list({s("a")})})), Value("['a']")));
  CHECK(to_python_repr(run(call("list", {s("ab")}))) == "['a', 'b']");
  CHECK(to_python_repr(run(call("list", {dict({{s("k"), i(1)}})}))) == "['k']");
  CHECK(to_python_repr(run(call("list", {set({i(1)})}))) == "[1]");
  CHECK(to_python_repr(run(call("list"))) == "[]");
  CHECK(error_type(call("list", {i(1)})) == "TypeError");
  CHECK(error_type(call("nosuchfn", {i(1)})) == "NameError");
  CHECK(error_message(call("nosuchfn")).find("unknown function 'nosuchfn'") != std::string::npos);
}

TEST_CASE("regex, search and find_all") {
  Value re = run(call("regex", {s("a.c")}));
  REQUIRE(re.kind() == Value::Kind::kRegex);
  CHECK(re.as_regex().pattern == "a.c");
  CHECK(py::regex_search(re.as_regex(), "xxabcxx"));
  CHECK_FALSE(py::regex_search(re.as_regex(), "ac"));
  CHECK(to_python_repr(re) == "re.compile('a.c')");
  CHECK(error_type(call("regex", {s("(")})) == "error");
  CHECK(error_type(call("regex", {i(1)})) == "TypeError");
  CHECK(same(run(call("search", {s("^h.l"), s("hello")})), Value(true)));
  CHECK(same(run(call("search", {s("^e"), s("hello")})), Value(false)));
  CHECK(same(run(call("search", {call("regex", {s("L+")}), s("heLLo")})), Value(true)));
  CHECK(error_type(call("search", {s("x"), i(1)})) == "TypeError");
  CHECK(to_python_repr(run(call("find_all", {s("\\d+"), s("a1 b22 c333")}))) == "['1', '22', '333']");
  CHECK(to_python_repr(run(call("find_all", {s("(\\w)=\\d"), s("a=1, b=2")}))) == "['a', 'b']");
  CHECK(to_python_repr(run(call("find_all", {s("(\\w)=(\\d)"), s("a=1, b=2")}))) ==
        "[['a', '1'], ['b', '2']]");
  CHECK(to_python_repr(run(call("find_all", {s("x*"), s("axb")}))) == "['', 'x', '', '']");
  CHECK(to_python_repr(run(call("find_all", {s("z"), s("abc")}))) == "[]");
}

TEST_CASE("uid, rand, randint, flows_info") {
  FakeHost host;
  CHECK(same(run(call("uid"), host), Value("uid-1")));
  CHECK(same(run(call("uid"), host), Value("uid-2")));
  host.next_random = 0.25;
  CHECK(same(run(call("rand"), host), Value(0.25)));
  CHECK(same(run(call("randint", {i(10)}), host), Value(2)));
  host.next_random = 0.9999;
  CHECK(same(run(call("randint", {i(10)}), host), Value(9)));  // [0, n)
  CHECK(error_type(call("randint", {s("x")}), &host) == "TypeError");
  CHECK(to_python_repr(run(call("flows_info", {s("f1")}), host)) == "{'asked': 'f1'}");
  CHECK(to_python_repr(run(call("flows_info"), host)) == "{'asked': None}");
}

TEST_CASE("pretty_str and escape") {
  CHECK(same(run(call("pretty_str", {i(5)})), Value("5")));
  CHECK(same(run(call("pretty_str", {s("x")})), Value("x")));
  Value p = run(call("pretty_str", {dict({{s("a"), list({i(1), f(2.5), none(), b(true)})},
                                          {s("b"), dict({})},
                                          {s("c"), s("q\"\xc3\xa9")}})}));
  CHECK(p.as_str() ==
        "{\n    \"a\": [\n        1,\n        2.5,\n        null,\n        true\n    ],\n"
        "    \"b\": {},\n    \"c\": \"q\\\"\\u00e9\"\n}");
  Value uid = run(call("pretty_str", {list({s("0a1b2c3d-1111-2222-3333-444455556666")})}));
  CHECK(uid.as_str() == "[\n    \"0a1b...\"\n]");
  CHECK(same(run(call("escape", {s("a\"b'c\\d\ne{{f}}")})), Value("a\\\"b\\'c\\\\d\\ne\\{f\\}")));
  CHECK(error_type(call("escape", {i(1)})) == "AttributeError");
}

// ---------------------------------------------------------------- matchers
TEST_CASE("comparison matchers") {
  Value lt = run(call("less_than", {i(5)}));
  REQUIRE(lt.kind() == Value::Kind::kMatcher);
  CHECK(py::matcher_accepts(lt.as_matcher(), Value(3)));
  CHECK_FALSE(py::matcher_accepts(lt.as_matcher(), Value(5)));
  CHECK(py::matcher_accepts(lt.as_matcher(), Value(true)));  // bool is an int
  Value le = run(call("equal_less_than", {i(5)}));
  CHECK(py::matcher_accepts(le.as_matcher(), Value(5)));
  Value gt = run(call("greater_than", {f(1.5)}));
  CHECK(py::matcher_accepts(gt.as_matcher(), Value(2.0)));
  CHECK_FALSE(py::matcher_accepts(gt.as_matcher(), Value(1.0)));
  Value ge = run(call("equal_greater_than", {i(2)}));
  CHECK(py::matcher_accepts(ge.as_matcher(), Value(2)));
  Value ne = run(call("not_equal_to", {i(2)}));
  CHECK(py::matcher_accepts(ne.as_matcher(), Value(3)));
  CHECK_FALSE(py::matcher_accepts(ne.as_matcher(), Value(2)));

  // D.24: a value of another type raises instead of not matching.
  auto type_error = [](const Value& m, const Value& v) {
    try {
      py::matcher_accepts(m.as_matcher(), v);
    } catch (const EvalError& e) {
      return e.type() == "TypeError";
    }
    return false;
  };
  CHECK(type_error(lt, Value("3")));
  CHECK(type_error(lt, Value()));
  CHECK(type_error(lt, Value(2.5)));  // int operand, float value (as the reference)
  CHECK(type_error(gt, Value(2)));    // float operand, int value
  CHECK(error_type(call("less_than", {s("5")})) == "TypeError");
  CHECK(error_type(call("greater_than", {none()})) == "TypeError");
}

TEST_CASE("py::binary and py::compare are usable directly") {
  CHECK(same(py::binary("+", Value(1), Value(2.0)), Value(3.0)));
  CHECK(py::compare("<", Value(1), Value(2)));
  CHECK(py::compare("in", Value("a"), Value(List{Value("a")})));
  CHECK_THROWS_AS(py::compare("<", Value("a"), Value(1)), EvalError);
  CHECK_THROWS_AS(py::binary("/", Value(1), Value(0)), EvalError);
}

TEST_CASE("deep nesting and long chains") {
  // 5000-term left-leaning sum is walked iteratively
  ExprPtr sum = i(0);
  for (int k = 1; k <= 5000; ++k) sum = bin("+", sum, i(1));
  CHECK(same(run(sum), Value(5000)));
  // deep right nesting hits the depth limit with a clean error
  ExprPtr deep = i(0);
  for (int k = 0; k < 1000; ++k) deep = unary("-", deep);
  CHECK(error_type(deep) == "RecursionError");
}
