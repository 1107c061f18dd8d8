// Value: Python equality, truthiness, type names, deep copies and the exact
// str()/repr() text Python prints.
#include "colang/value.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace rg::colang;

namespace {

// An EventValue with only a name and arguments.
EventValue event(std::string name, std::shared_ptr<Dict> args) {
  EventValue e;
  e.name = std::move(name);
  e.arguments = std::move(args);
  return e;
}

std::string repr(const Value& v) { return to_python_repr(v); }
std::string str(const Value& v) { return to_python_str(v); }

}  // namespace

TEST_CASE("Dict keeps insertion order and overwrites in place") {
  Dict d;
  d.set("b", Value(1));
  d.set("a", Value(2));
  d.set("b", Value(3));
  REQUIRE(d.size() == 2);
  CHECK(d.entries()[0].first == "b");
  CHECK(*d.find("b") == Value(3));
  CHECK(d.contains("a"));
  CHECK(d.find("zz") == nullptr);
  CHECK(d.erase("b"));
  CHECK_FALSE(d.erase("b"));
  CHECK(d.size() == 1);
}

TEST_CASE("kinds, type names and truthiness") {
  CHECK(Value().kind() == Value::Kind::kNone);
  CHECK(Value(true).kind() == Value::Kind::kBool);
  CHECK(Value(3).kind() == Value::Kind::kInt);
  CHECK(Value(3.5).kind() == Value::Kind::kFloat);
  CHECK(Value("x").kind() == Value::Kind::kStr);
  CHECK(Value(List{}).kind() == Value::Kind::kList);
  CHECK(Value(Dict{}).kind() == Value::Kind::kDict);
  CHECK(Value::make_set({}).kind() == Value::Kind::kSet);
  CHECK(Value(FlowRef{"u"}).kind() == Value::Kind::kFlowRef);
  CHECK(Value(ActionRef{"u"}).kind() == Value::Kind::kActionRef);
  CHECK(Value(event("E", nullptr)).kind() == Value::Kind::kEvent);

  CHECK(Value().type_name() == "NoneType");
  CHECK(Value(false).type_name() == "bool");
  CHECK(Value(1).type_name() == "int");
  CHECK(Value(1.0).type_name() == "float");
  CHECK(Value("").type_name() == "str");
  CHECK(Value(List{}).type_name() == "list");
  CHECK(Value(Dict{}).type_name() == "dict");
  CHECK(Value::make_set({}).type_name() == "set");
  CHECK(Value(Regex{"a", nullptr}).type_name() == "Pattern");
  CHECK(Value(Matcher{Matcher::Op::kLess, std::make_shared<const Value>(5)}).type_name() ==
        "ComparisonExpression");
  CHECK(Value(FlowRef{"u"}).type_name() == "FlowState");
  CHECK(Value(ActionRef{"u"}).type_name() == "Action");
  CHECK(Value(event("E", nullptr)).type_name() == "Event");

  CHECK_FALSE(Value().truthy());
  CHECK_FALSE(Value(0).truthy());
  CHECK_FALSE(Value(0.0).truthy());
  CHECK_FALSE(Value("").truthy());
  CHECK_FALSE(Value(List{}).truthy());
  CHECK_FALSE(Value(Dict{}).truthy());
  CHECK_FALSE(Value::make_set({}).truthy());
  CHECK(Value(-1).truthy());
  CHECK(Value("0").truthy());
  CHECK(Value(List{Value()}).truthy());
  CHECK(Value(FlowRef{""}).truthy());
  CHECK(Value(true).as_number() == 1.0);
  CHECK(Value(7).as_number() == 7.0);
}

TEST_CASE("Python equality across the numeric tower") {
  CHECK(Value(1) == Value(1.0));
  CHECK(Value(true) == Value(1));
  CHECK(Value(true) == Value(1.0));
  CHECK(Value(false) == Value(0));
  CHECK(Value(2) != Value(true));
  CHECK(Value("1") != Value(1));
  CHECK(Value() == Value());
  CHECK(Value() != Value(0));
  // ints are compared exactly, not through a double
  CHECK(Value(int64_t{9007199254740993}) != Value(9007199254740992.0));
  CHECK(Value(int64_t{9007199254740992}) == Value(9007199254740992.0));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(Value(nan) != Value(nan));
  CHECK(compare_numbers(Value(1), Value(1.5)) == -1);
  CHECK(compare_numbers(Value(2.5), Value(2)) == 1);
  CHECK(compare_numbers(Value(-3), Value(-3.0)) == 0);
  CHECK(compare_numbers(Value(nan), Value(1)) == 2);
  CHECK(compare_numbers(Value(std::numeric_limits<int64_t>::max()), Value(9.3e18)) == -1);
}

TEST_CASE("container equality") {
  CHECK(Value(List{Value(1), Value("a")}) == Value(List{Value(1.0), Value("a")}));
  CHECK(Value(List{Value(1), Value(2)}) != Value(List{Value(2), Value(1)}));
  CHECK(Value(List{Value(1)}) != Value(List{Value(1), Value(1)}));
  Dict a, b;
  a.set("x", Value(1));
  a.set("y", Value(List{Value("z")}));
  b.set("y", Value(List{Value("z")}));
  b.set("x", Value(true));
  CHECK(Value(a) == Value(b));  // order ignored, 1 == True
  b.set("w", Value());
  CHECK(Value(a) != Value(b));
  CHECK(Value::make_set({Value(1), Value(2)}) == Value::make_set({Value(2), Value(1)}));
  CHECK(Value::make_set({Value(1)}) != Value(List{Value(1)}));
  CHECK(Value(FlowRef{"u1"}) == Value(FlowRef{"u1"}));
  CHECK(Value(FlowRef{"u1"}) != Value(ActionRef{"u1"}));
  CHECK(Value(ActionRef{"a"}) != Value(ActionRef{"b"}));
  auto args = std::make_shared<Dict>();
  args->set("k", Value(1));
  auto args2 = std::make_shared<Dict>();
  args2->set("k", Value(1.0));
  CHECK(Value(event("E", args)) == Value(event("E", args2)));
  CHECK(Value(event("E", args)) != Value(event("F", args)));
}

TEST_CASE("make_set removes duplicates by Python equality") {
  Value s = Value::make_set({Value(1), Value(1.0), Value(true), Value("a"), Value("a")});
  CHECK(s.as_list().size() == 2);
  CHECK(repr(s) == "{1, 'a'}");
}

TEST_CASE("copies alias containers; deep_copy does not") {
  Value inner(List{Value(1)});
  Dict d;
  d.set("l", inner);
  Value outer(d);
  Value alias = outer;
  alias.as_dict_mut().set("new", Value(2));
  CHECK(outer.as_dict().contains("new"));

  Value copy = outer.deep_copy();
  CHECK(copy == outer);
  copy.as_dict_mut().find("l")->as_list_mut().push_back(Value(3));
  copy.as_dict_mut().set("other", Value());
  CHECK(inner.as_list().size() == 1);
  CHECK_FALSE(outer.as_dict().contains("other"));

  Value set = Value::make_set({Value(1)});
  Value set_copy = set.deep_copy();
  set_copy.as_list_mut().push_back(Value(2));
  CHECK(set.as_list().size() == 1);
  CHECK(set_copy.is_set());

  auto args = std::make_shared<Dict>();
  args->set("k", Value(List{}));
  Value ev(event("E", args));
  Value ev_copy = ev.deep_copy();
  ev_copy.as_event().arguments->find("k")->as_list_mut().push_back(Value(1));
  CHECK(args->find("k")->as_list().empty());
}

TEST_CASE("repr of floats is Python's shortest round-trip form") {
  CHECK(repr(Value(10.0)) == "10.0");
  CHECK(repr(Value(0.1)) == "0.1");
  CHECK(repr(Value(2.5)) == "2.5");
  CHECK(repr(Value(1e16)) == "1e+16");
  CHECK(repr(Value(1e15)) == "1000000000000000.0");
  CHECK(repr(Value(1.5e-7)) == "1.5e-07");
  CHECK(repr(Value(0.0001)) == "0.0001");
  CHECK(repr(Value(0.00001)) == "1e-05");
  CHECK(repr(Value(-0.0)) == "-0.0");
  CHECK(repr(Value(1.0 / 3)) == "0.3333333333333333");
  CHECK(repr(Value(123456789012345678.0)) == "1.2345678901234568e+17");
  CHECK(repr(Value(1e300)) == "1e+300");
  CHECK(repr(Value(-2.75)) == "-2.75");
  CHECK(repr(Value(std::numeric_limits<double>::infinity())) == "inf");
  CHECK(repr(Value(-std::numeric_limits<double>::infinity())) == "-inf");
  CHECK(repr(Value(std::numeric_limits<double>::quiet_NaN())) == "nan");
  CHECK(str(Value(0.1 + 0.2)) == "0.30000000000000004");
}

TEST_CASE("repr and str of scalars and strings") {
  CHECK(repr(Value()) == "None");
  CHECK(repr(Value(true)) == "True");
  CHECK(repr(Value(false)) == "False");
  CHECK(repr(Value(-42)) == "-42");
  CHECK(repr(Value(std::numeric_limits<int64_t>::min())) == "-9223372036854775808");
  CHECK(str(Value("plain")) == "plain");
  CHECK(repr(Value("plain")) == "'plain'");
  CHECK(repr(Value("it's")) == "\"it's\"");
  CHECK(repr(Value("say \"hi\"")) == "'say \"hi\"'");
  CHECK(repr(Value("both ' and \"")) == "'both \\' and \"'");
  CHECK(repr(Value("a\nb\tc\\d\r")) == "'a\\nb\\tc\\\\d\\r'");
  CHECK(repr(Value(std::string("\x01\x7f", 2))) == "'\\x01\\x7f'");
  CHECK(repr(Value("caf\xc3\xa9")) == "'caf\xc3\xa9'");        // printable: kept
  CHECK(repr(Value("nb\xc2\xa0sp")) == "'nb\\xa0sp'");         // NBSP escaped
  CHECK(repr(Value("z\xe2\x80\x8bw")) == "'z\\u200bw'");       // zero-width space
}

TEST_CASE("repr of containers and runtime objects") {
  Dict d;
  d.set("k", Value("v"));
  d.set("n", Value(List{Value(1), Value(), Value(2.0), Value("x")}));
  CHECK(str(Value(d)) == "{'k': 'v', 'n': [1, None, 2.0, 'x']}");
  CHECK(repr(Value(List{})) == "[]");
  CHECK(repr(Value(Dict{})) == "{}");
  CHECK(repr(Value::make_set({})) == "set()");
  CHECK(repr(Value::make_set({Value(1), Value(2)})) == "{1, 2}");
  CHECK(str(Value(List{Value("a"), Value(List{Value("b")})})) == "['a', ['b']]");
  CHECK(repr(Value(Regex{"a.*", nullptr})) == "re.compile('a.*')");
  CHECK(repr(Value(Matcher{Matcher::Op::kGreaterEqual, std::make_shared<const Value>(2.5)})) ==
        "equal_greater_than(2.5)");
  CHECK(repr(Value(FlowRef{"f1"})) == "FlowState(uid='f1')");
  CHECK(repr(Value(ActionRef{"a1"})) == "Action(uid='a1')");
  auto args = std::make_shared<Dict>();
  args->set("x", Value(1));
  CHECK(repr(Value(event("Ev", args))) == "Event(name='Ev', arguments={'x': 1})");
  std::string out = "pre:";
  append_python_str(out, Value("s"));
  append_python_repr(out, Value("s"));
  CHECK(out == "pre:s's'");
}
