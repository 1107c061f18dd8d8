#include "colang/value_json.h"

#include <doctest/doctest.h>
#include <re2/re2.h>

#include <memory>
#include <stdexcept>

using namespace rg::colang;
using nlohmann::json;

namespace {

Value round_trip(const Value& v) { return from_json(json::parse(to_json(v).dump())); }

}  // namespace

TEST_CASE("plain values map to plain JSON") {
  CHECK(to_json(Value()).is_null());
  CHECK(to_json(Value(true)) == true);
  CHECK(to_json(Value(int64_t{42})) == 42);
  CHECK(to_json(Value(1.5)) == 1.5);
  CHECK(to_json(Value("x")) == "x");
  CHECK(to_json(Value(List{Value(1), Value("a")})).dump() == R"([1,"a"])");
}

TEST_CASE("dict keys keep insertion order") {
  Dict event;
  event.set("type", Value("StartUtteranceBotAction"));
  event.set("script", Value("Hello"));
  event.set("action_uid", Value("a1"));
  CHECK(to_json(event).dump() ==
        R"({"type":"StartUtteranceBotAction","script":"Hello","action_uid":"a1"})");
  Dict back = dict_from_json(to_json(event));
  REQUIRE(back.size() == 3);
  CHECK(back.entries()[0].first == "type");
  CHECK(back.entries()[2].first == "action_uid");
}

TEST_CASE("runtime kinds use tagged objects") {
  CHECK(to_json(Value(FlowRef{"f1"})).dump() == R"({"$flow_ref":"f1"})");
  CHECK(to_json(Value(ActionRef{"a1"})).dump() == R"({"$action_ref":"a1"})");
  CHECK(to_json(Value::make_set({Value(1)})).dump() == R"({"$set":[1]})");

  Matcher m{Matcher::Op::kLess, std::make_shared<const Value>(Value(5))};
  CHECK(to_json(Value(m)).dump() == R"({"$matcher":"less_than","value":5})");

  Dict args;
  args.set("final_transcript", Value("hi"));
  EventValue e;
  e.name = "UtteranceUserActionFinished";
  e.arguments = std::make_shared<Dict>(args);
  CHECK(to_json(Value(e)).dump() ==
        R"({"$event":"UtteranceUserActionFinished","arguments":{"final_transcript":"hi"}})");
}

TEST_CASE("tagged objects come back as their kinds") {
  CHECK(round_trip(Value(FlowRef{"f1"})).as_flow_ref().uid == "f1");
  CHECK(round_trip(Value(ActionRef{"a1"})).as_action_ref().uid == "a1");
  CHECK(round_trip(Value::make_set({Value(1), Value(2)})).is_set());

  Value re = from_json(json::parse(R"({"$regex":"^h(i|ello)$"})"));
  REQUIRE(re.kind() == Value::Kind::kRegex);
  CHECK(re.as_regex().pattern == "^h(i|ello)$");
  REQUIRE(re.as_regex().re != nullptr);
  CHECK(re.as_regex().re->ok());

  Value m = from_json(json::parse(R"({"$matcher":"not_equal_to","value":"x"})"));
  REQUIRE(m.kind() == Value::Kind::kMatcher);
  CHECK(m.as_matcher().op == Matcher::Op::kNotEqual);
  CHECK(m.as_matcher().operand->as_str() == "x");

  Value e = from_json(json::parse(R"({"$event":"Foo","arguments":{"k":1}})"));
  REQUIRE(e.kind() == Value::Kind::kEvent);
  CHECK(e.as_event().name == "Foo");
  CHECK(e.as_event().arguments->find("k")->as_int() == 1);
}

TEST_CASE("an ordinary dict with a $ key and others stays a dict") {
  Value v = from_json(json::parse(R"({"$regex":"a","other":1})"));
  REQUIRE(v.is_dict());
  CHECK(v.as_dict().size() == 2);
}

TEST_CASE("nested containers and numbers round-trip") {
  Dict inner;
  inner.set("n", Value(int64_t{-7}));
  inner.set("f", Value(2.25));
  inner.set("none", Value());
  Value v(List{Value(inner), Value(List{Value(true), Value("s")})});
  CHECK(round_trip(v) == v);
}

TEST_CASE("malformed tagged objects are rejected") {
  CHECK_THROWS_AS(from_json(json::parse(R"({"$regex":"("})")), std::invalid_argument);
  CHECK_THROWS_AS(from_json(json::parse(R"({"$matcher":"bigger","value":1})")),
                  std::invalid_argument);
  CHECK_THROWS_AS(from_json(json::parse(R"({"$set":3})")), std::invalid_argument);
  CHECK_THROWS_AS(dict_from_json(json::parse("[1]")), std::invalid_argument);
}

TEST_CASE("events of flow lifecycle keep their flow uid") {
  EventValue e;
  e.name = "FlowFinished";
  e.arguments = std::make_shared<Dict>();
  e.flow_uid = "f7";
  json j = to_json(Value(e));
  CHECK(j.dump() == R"({"$event":"FlowFinished","arguments":{},"flow_uid":"f7"})");
  Value back = from_json(j);
  REQUIRE(back.kind() == Value::Kind::kEvent);
  CHECK(back.as_event().flow_uid == "f7");
}
