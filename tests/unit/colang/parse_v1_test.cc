// Tests of colang/v1/parse_v1.h: every statement kind of spec/colang.md A.3,
// the jump offsets of A.5, diagnostics with their positions, and the public
// corpus (colang1_public.jsonl + the 1.0 configs) parsing without errors.
//
// Element lists are compared in a compact text form (dump() below), one
// element per line: `user:NAME`, `utter:VALUE`, `run:NAME{params}->key`,
// `flow:NAME`, `set:KEY=EXPR`, `if:EXPR else+N`, `while:EXPR break+N`,
// `jump+N`, `branch[h1,h2]`, `break`, `continue`, `event:TYPE{fields}`,
// `any:N`; inside loops ` [b+N c-N]` is appended.
#include "colang/parse.h"
#include "colang/v1/parse_v1.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

using rg::colang::Diagnostic;
using rg::colang::Dict;
using rg::colang::Value;
using namespace rg::colang::v1;

namespace {

std::string show(const Value& v);

std::string show_dict(const Dict& d) {
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : d.entries()) {
    if (!first) s += ", ";
    first = false;
    s += k + ": " + show(v);
  }
  return s + "}";
}

std::string show(const Value& v) {
  if (v.is_none()) return "None";
  if (v.is_bool()) return v.as_bool() ? "True" : "False";
  if (v.is_int()) return std::to_string(v.as_int());
  if (v.is_float()) {
    std::ostringstream o;
    o << v.as_float();
    return o.str();
  }
  if (v.is_str()) return "'" + v.as_str() + "'";
  if (v.is_dict()) return show_dict(v.as_dict());
  if (v.is_list()) {
    std::string s = "[";
    for (size_t i = 0; i < v.as_list().size(); ++i) s += (i ? ", " : "") + show(v.as_list()[i]);
    return s + "]";
  }
  return "?";
}

std::string dump(const Flow& f) {
  std::string out;
  for (const Element& e : f.elements) {
    std::string s;
    switch (e.type) {
      case ElementType::kUserIntent:
        s = "user:" + e.intent_name;
        if (e.intent_params.size()) s += show_dict(e.intent_params);
        break;
      case ElementType::kRunAction:
        if (e.action_name == "utter") {
          s = "utter:" + show(*e.action_params.find("value"));
          if (e.action_params.size() > 1) s += " " + show_dict(e.action_params);
        } else {
          s = "run:" + e.action_name + show_dict(e.action_params);
          if (!e.action_result_key.empty()) s += "->" + e.action_result_key;
        }
        break;
      case ElementType::kFlow: s = "flow:" + e.flow_name; break;
      case ElementType::kSet: s = "set:" + e.key + "=" + e.expression_text; break;
      case ElementType::kIf: s = "if:" + e.expression_text + " else+" + std::to_string(e.next_else); break;
      case ElementType::kWhile:
        s = "while:" + e.expression_text + " break+" + std::to_string(e.next_on_break);
        break;
      case ElementType::kJump:
        s = e.absolute ? "jump=" + std::to_string(e.next) : "jump" + std::string(e.next >= 0 ? "+" : "") + std::to_string(e.next);
        if (!e.label.empty()) s += " label:" + e.label;
        break;
      case ElementType::kBranch: {
        s = "branch[";
        for (size_t i = 0; i < e.branch_heads.size(); ++i) s += (i ? "," : "") + std::to_string(e.branch_heads[i]);
        s += "]";
        break;
      }
      case ElementType::kBreak: s = "break"; break;
      case ElementType::kContinue: s = "continue"; break;
      case ElementType::kEvent: s = "event:" + e.event_type + (e.event_fields.size() ? show_dict(e.event_fields) : ""); break;
      case ElementType::kAny: s = "any:" + std::to_string(e.any_count); break;
    }
    if (e.next_on_break != 1 || e.next_on_continue != 1) {
      if (e.type != ElementType::kWhile || e.next_on_continue != 1) {
        s += " [b+" + std::to_string(e.next_on_break) + " c" + std::to_string(e.next_on_continue) + "]";
      }
    }
    out += s + "\n";
  }
  return out;
}

std::string errors(const ParseResult& r) {
  std::string s;
  for (const Diagnostic& d : r.diagnostics) s += d.render() + "\n";
  return s;
}

// Parses a file that must have no errors and exactly one flow; returns its dump.
std::string flow_of(const std::string& src) {
  ParseResult r = parse_colang_v1(src, "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.document.flows.size() == 1);
  return dump(r.document.flows[0]);
}

const Diagnostic& first_error(const ParseResult& r) {
  static Diagnostic none;
  for (const Diagnostic& d : r.diagnostics) {
    if (d.severity == Diagnostic::Severity::kError) return d;
  }
  FAIL("expected an error");
  return none;
}

#ifdef RG_CONFORMANCE_DIR
const std::string kConformance = RG_CONFORMANCE_DIR;
#else
const std::string kConformance;
#endif

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

TEST_CASE("define user / bot: examples, variants, $var to Jinja, conditions") {
  ParseResult r = parse_colang_v1(R"(
define user express greeting
  "hello"
  "I'm $name."

define bot name greeting
  "Hey $name!"
  "Hi {{ name }} and $user.first_name"
  if $formal
    "Good day, $name."
  else
    "Yo"

define user express greeting
  "hi"
)", "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.document.user_messages.size() == 1);
  CHECK(r.document.user_messages[0].first == "express greeting");
  CHECK(r.document.user_messages[0].second ==
        std::vector<std::string>{"hello", "I'm {name}.", "hi"});
  REQUIRE(r.document.bot_messages.size() == 1);
  const auto& msgs = r.document.bot_messages[0].second;
  REQUIRE(msgs.size() == 4);
  CHECK(msgs[0].text == "Hey {{ name }}!");
  CHECK(msgs[0].condition_text.empty());
  CHECK(msgs[1].text == "Hi {{ name }} and {{ user.first_name }}");
  CHECK(msgs[2].text == "Good day, {{ name }}.");
  CHECK(msgs[2].condition_text == "$formal");
  CHECK(msgs[2].condition != nullptr);
  CHECK(msgs[3].condition_text == "not ($formal)");
}

TEST_CASE("flow statements: user, bot, execute, do, set, event, create event, stop, return") {
  ParseResult r = parse_colang_v1(R"(
define flow greeting
  user express greeting
  bot express greeting
  bot "Hello $name!"
  bot $now
  bot ...
  execute check_facts
  $allowed = execute check_input(text=$user_message, limit=3, strict=True, tags=["a", "b"])
  run log_it("hi")
  do check auth
  do $rail
  $name = "John"
  $count += 1
  event UserSilent(duration=5)
  create event StartedThinking(topic="x")
  stop
  return
  pass
  user ...
)", "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.document.flows.size() == 1);
  CHECK(r.document.flows[0].id == "greeting");
  CHECK(dump(r.document.flows[0]) ==
        "user:express greeting\n"
        "utter:'express greeting'\n"
        "utter:{_type: 'element', text: 'Hello {{ name }}!'}\n"
        "utter:'$now'\n"
        "utter:'...'\n"
        "run:check_facts{}\n"
        "run:check_input{text: '$user_message', limit: 3, strict: True, tags: ['a', 'b']}->allowed\n"
        "run:log_it{$1: 'hi'}\n"
        "flow:check auth\n"
        "flow:$rail\n"
        "set:name=\"John\"\n"
        "set:count=$count + 1\n"
        "event:UserSilent{duration: 5}\n"
        "run:create_event{event: {_type: 'StartedThinking', topic: 'x'}}\n"
        "utter:'stop'\n"
        "jump=-1\n"
        "continue\n"
        "user:...\n");
  CHECK(r.document.flows[0].elements[10].expression != nullptr);
  CHECK(r.document.flows[0].source.line == 2);
  CHECK(r.document.flows[0].elements[0].source.line == 3);
  CHECK(r.document.flows[0].elements[0].source.column == 3);
}

TEST_CASE("$x = ... becomes generate_value with the comment above as instructions") {
  ParseResult r = parse_colang_v1(R"(
define flow
  user ask math question
  # Extract the math query
  # from the user's input.
  $math_query = ...
  $other = ...
)", "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  const Flow& f = r.document.flows.at(0);
  CHECK(dump(f) ==
        "user:ask math question\n"
        "run:generate_value{instructions: 'Extract the math query\nfrom the user's input.'}->math_query\n"
        "run:generate_value{instructions: None}->other\n");
  CHECK(f.elements[1].comment == "Extract the math query\nfrom the user's input.");
}

TEST_CASE("bot INTENT \"text\" registers the message; with-parameters; quick replies") {
  ParseResult r = parse_colang_v1(R"(
define flow
  user hi
  bot greet "Hello there"
    "Hi!"
  bot inform price with $price, currency="EUR"
)", "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  CHECK(dump(r.document.flows.at(0)) ==
        "user:hi\n"
        "utter:'greet'\n"
        "utter:'inform price' {value: 'inform price', price: '$price', currency: 'EUR'}\n");
  REQUIRE(r.document.bot_messages.size() == 1);
  CHECK(r.document.bot_messages[0].first == "greet");
  REQUIRE(r.document.bot_messages[0].second.size() == 2);
  CHECK(r.document.bot_messages[0].second[1].text == "Hi!");
}

TEST_CASE("if / else if / else jump offsets (A.5)") {
  CHECK(flow_of(R"(
define flow f
  if $a
    bot a
  bot after
)") == "if:$a else+2\nutter:'a'\nutter:'after'\n");
  CHECK(flow_of(R"(
define flow f
  if $a
    bot a1
    bot a2
  else
    bot b
  bot after
)") == "if:$a else+4\nutter:'a1'\nutter:'a2'\njump+2\nutter:'b'\nutter:'after'\n");
  CHECK(flow_of(R"(
define flow f
  if $a
    bot a
  else if $b
    bot b
  else
    bot c
)") == "if:$a else+3\nutter:'a'\njump+5\nif:$b else+3\nutter:'b'\njump+2\nutter:'c'\n");
}

TEST_CASE("while, break, continue (A.5)") {
  CHECK(flow_of(R"(
define flow f
  while $i < 3
    $i = $i + 1
    if $i == 2
      continue
    break
  bot done
)") ==
        "while:$i < 3 break+6\n"
        "set:i=$i + 1 [b+5 c-1]\n"
        "if:$i == 2 else+2 [b+4 c-2]\n"
        "continue [b+3 c-3]\n"
        "break [b+2 c-4]\n"
        "jump-5\n"
        "utter:'done'\n");
  // An inner loop keeps its own exits; the outer loop's apply around it.
  CHECK(flow_of(R"(
define flow f
  while $a
    while $b
      bot x
    bot y
)") ==
        "while:$a break+6\n"
        "while:$b break+3\n"
        "utter:'x' [b+2 c-1]\n"
        "jump-2 [b+3 c-3]\n"
        "utter:'y' [b+2 c-4]\n"
        "jump-5\n");
}

TEST_CASE("when / else when: one branch, heads and jumps (A.5)") {
  CHECK(flow_of(R"(
define flow
  user ask about work
  bot talk about work
  when user agree
    bot thank
  else when express disagreement
    bot goodbye
    bot bye
  bot after
)") ==
        "user:ask about work\n"
        "utter:'talk about work'\n"
        "branch[1,4]\n"
        "user:agree\n"
        "utter:'thank'\n"
        "jump+5\n"
        "event:express disagreement\n"
        "utter:'goodbye'\n"
        "utter:'bye'\n"
        "jump+1\n"
        "utter:'after'\n");
}

TEST_CASE("labels and goto; user A or user B; any") {
  CHECK(flow_of(R"(
define flow f
  label start
  bot hi
  goto start
)") == "jump+1 label:start\nutter:'hi'\njump-2\n");
  CHECK(flow_of(R"(
define flow f
  user greet or user hello
  bot hi
)") == "any:2\nuser:greet\nuser:hello\nutter:'hi'\n");
}

TEST_CASE("define modifiers, priority and meta become flow attributes") {
  ParseResult r = parse_colang_v1(R"(
define extension flow ext
  priority 2
  bot ...

define parallel non-interruptable flow par
  meta
    custom: yes
  user x

define subflow sub
  bot y
)", "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  REQUIRE(r.document.flows.size() == 3);
  const Flow& ext = r.document.flows[0];
  CHECK(ext.is_extension);
  CHECK(ext.priority == 2.0);
  CHECK(dump(ext) == "utter:'...'\n");
  const Flow& par = r.document.flows[1];
  CHECK(par.allow_multiple);
  CHECK_FALSE(par.is_interruptible);
  CHECK(show_dict(par.meta) == "{allow_multiple: True, interruptable: False, custom: 'yes'}");
  CHECK(r.document.flows[2].is_subflow);
}

TEST_CASE("anonymous flows: deterministic id from the body text; source_text") {
  ParseResult r = parse_colang_v1("define flow\n  user express greeting\n  bot express greeting\n",
                                  "t.co");
  REQUIRE(r.ok());
  const Flow& f = r.document.flows.at(0);
  // string_hash("user express greetingbot express greeting") of the reference.
  CHECK(f.id.rfind("anonymous-", 0) == 0);
  ParseResult again = parse_colang_v1("define flow\n    user express greeting\n    bot express greeting\n", "u.co");
  CHECK(again.document.flows.at(0).id == f.id);
  CHECK(f.source_text == "user express greeting\nbot express greeting");
}

TEST_CASE("line structure: comments, continuations, multi-line strings, indented files") {
  ParseResult r = parse_colang_v1(R"(
        # a comment
        define bot long
            "first line
            second line"

        define flow f  # trailing comment
            """
            Doc block.
            """
            bot \
              long
            $x = $a or
              $b
)", "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  CHECK(r.document.bot_messages.at(0).second.at(0).text == "first line\nsecond line");
  const Flow& f = r.document.flows.at(0);
  CHECK(dump(f) == "utter:'long'\nset:x=$a or $b\n");
  CHECK(f.elements[0].comment == "\nDoc block.\n");
}

TEST_CASE("diagnostics carry file, line, column, code and the source line") {
  SUBCASE("unknown modifier") {
    ParseResult r = parse_colang_v1("define flow a\n  bot x\n\ndefine magic flow b\n  bot y\n", "m.co");
    const Diagnostic& d = first_error(r);
    CHECK(d.file == "m.co");
    CHECK(d.line == 4);
    CHECK(d.column == 8);
    CHECK(d.message.find("unknown modifier 'magic'") != std::string::npos);
    CHECK(d.source_line == "define magic flow b");
    // The valid flow before it is kept.
    CHECK(r.document.flows.size() == 1);
  }
  SUBCASE("missing body") {
    ParseResult r = parse_colang_v1("define flow lonely\n", "m.co");
    const Diagnostic& d = first_error(r);
    CHECK(d.line == 1);
    CHECK(d.code == "indent");
    CHECK(d.message.find("missing body") != std::string::npos);
  }
  SUBCASE("bad indentation") {
    ParseResult r = parse_colang_v1("define flow f\n    user x\n  bot y\n", "m.co");
    const Diagnostic& d = first_error(r);
    CHECK(d.line == 3);
    CHECK(d.column == 3);
    CHECK(d.code == "indent");
  }
  SUBCASE("unterminated string") {
    ParseResult r = parse_colang_v1("define flow f\n  user x\n  bot \"oops\n", "m.co");
    const Diagnostic& d = first_error(r);
    CHECK(d.line == 3);
    CHECK(d.code == "string");
    CHECK(d.column == 7);
  }
  SUBCASE("bad expression") {
    ParseResult r = parse_colang_v1("define flow f\n  user x\n  $a = (1 +\n  if $x ==\n    bot y\n", "m.co");
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(r.diagnostics[0].line == 3);
    CHECK(r.diagnostics[0].column == 8);
    CHECK(r.diagnostics[0].code == "expression");
    CHECK(r.diagnostics[1].line == 4);
  }
  SUBCASE("unknown statement, else without if, goto without label") {
    ParseResult r = parse_colang_v1("define flow f\n  frobnicate x\n  else\n    bot y\n  goto nowhere\n", "m.co");
    REQUIRE(r.diagnostics.size() == 3);
    CHECK(r.diagnostics[0].message.find("unknown statement 'frobnicate'") != std::string::npos);
    CHECK(r.diagnostics[0].column == 3);
    CHECK(r.diagnostics[1].line == 3);
    CHECK(r.diagnostics[2].line == 5);
  }
  SUBCASE("else after when") {
    ParseResult r = parse_colang_v1("define flow f\n  when user a\n    bot b\n  else\n    bot c\n", "m.co");
    CHECK(first_error(r).line == 4);
  }
  SUBCASE("invalid UTF-8") {
    ParseResult r = parse_colang_v1("define flow f\n  bot \xff\n", "m.co");
    CHECK(first_error(r).code == "encoding");
    CHECK(first_error(r).line == 2);
  }
}

TEST_CASE("hostile input: deep nesting and long lines stay fast and never throw") {
  std::string deep = "define flow f\n";
  for (int i = 0; i < 300; ++i) deep += std::string(2 + i, ' ') + "if $x\n";
  ParseResult r = parse_colang_v1(deep, "d.co");
  CHECK_FALSE(r.ok());
  std::string wide = "define flow f\n  $x = " + std::string(5000, '(') + "\n";
  CHECK_FALSE(parse_colang_v1(wide, "w.co").ok());
  std::string ors = "define flow f\n  user a";
  for (int i = 0; i < 2000; ++i) ors += " or user b";
  CHECK(parse_colang_v1(ors + "\n", "o.co").ok());
}

TEST_CASE("looks_like_colang_v1") {
  CHECK(looks_like_colang_v1("define user x\n  \"hi\"\n"));
  CHECK(looks_like_colang_v1("  define flow\n    user x\n"));
  CHECK_FALSE(looks_like_colang_v1("import core\nflow main\n  user said \"hi\"\n"));
  CHECK_FALSE(looks_like_colang_v1("flow main\n  match x\n"));
}

TEST_CASE("corpus: every colang_raw of colang1_public.jsonl parses") {
  std::ifstream in(kConformance + "/colang1_public.jsonl");
  if (kConformance.empty() || !in) {
    MESSAGE("skipped: no conformance corpus at '" << kConformance << "'");
    return;
  }
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    if (!j["colang_raw"].is_string()) continue;
    ParseResult r = parse_colang_v1(j["colang_raw"].get<std::string>(), j["id"].get<std::string>());
    INFO(j["id"].get<std::string>() << "\n" << errors(r));
    CHECK(r.ok());
    CHECK(r.diagnostics.empty());
    ++n;
  }
  CHECK(n >= 15);
}

TEST_CASE("corpus: the 1.0 configs parse, game.co has its when branch") {
  namespace fs = std::filesystem;
  if (kConformance.empty() || !fs::exists(kConformance + "/configs")) {
    MESSAGE("skipped: no conformance corpus at '" << kConformance << "'");
    return;
  }
  int n = 0;
  for (const char* dir : {"game", "general", "multi_step_generation"}) {
    fs::path p = fs::path(kConformance) / "configs" / dir;
    if (!fs::exists(p)) continue;
    for (const auto& entry : fs::directory_iterator(p)) {
      if (entry.path().extension() != ".co") continue;
      std::string text;
      REQUIRE(read_file(entry.path().string(), &text));
      ParseResult r = parse_colang_v1(text, entry.path().string());
      INFO(entry.path().string() << "\n" << errors(r));
      CHECK(r.ok());
      CHECK(looks_like_colang_v1(text));
      ++n;
      if (entry.path().filename() == "game.co") {
        CHECK(r.document.flows.size() == 4);
        CHECK(dump(r.document.flows.back()) ==
              "user:ask about work\n"
              "utter:'talk about work'\n"
              "utter:'ask to deliver sword'\n"
              "branch[1,4]\n"
              "user:agree to deliver sword\n"
              "utter:'express thank you'\n"
              "jump+4\n"
              "event:express disagreement\n"
              "utter:'express goodbye'\n"
              "jump+1\n");
      }
    }
  }
  CHECK(n >= 3);
}

TEST_CASE("1.0 expressions are Python: parentheses group (2.x rejects them)") {
  ParseResult r = parse_colang_v1(R"(
define flow
  user express greeting
  $x = ($a or $b) and (1 + 2) * 3 > 4
  if ($x)
    bot express greeting
)", "t.co");
  INFO(errors(r));
  REQUIRE(r.ok());
  const auto& set = r.document.flows.at(0).elements.at(1);
  REQUIRE(set.expression);
  CHECK(set.expression->kind == rg::colang::ExprKind::kAnd);

  std::vector<rg::colang::Diagnostic> diags;
  CHECK(rg::colang::parse_expression("(1 + 2)", &diags) == nullptr);
  REQUIRE(!diags.empty());
  CHECK(diags.front().message.find("parentheses") != std::string::npos);
}
