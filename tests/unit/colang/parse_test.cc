// Tests of colang/parse.h: the whole public corpus parses, the AST of
// representative snippets has the right shape, broken input gives
// diagnostics at the right place.
//
// AST checks compare a compact text form (dump() below): specs print as
// kind<name>(args).Member(args) as $capture, groups as (a and b) / (a or b),
// expressions fully parenthesised, strings with {interpolations}.
#include "colang/parse.h"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

using namespace rg::colang;

namespace {

// ---------------------------------------------------------------- AST dump

std::string dump(const ExprPtr& e);

std::string dump_list(const std::vector<ExprPtr>& items) {
  std::string s;
  for (size_t i = 0; i < items.size(); ++i) s += (i ? ", " : "") + dump(items[i]);
  return s;
}

std::string dump(const ExprPtr& e) {
  if (!e) return "<null>";
  switch (e->kind) {
    case ExprKind::kLiteral: return to_python_repr(e->literal);
    case ExprKind::kString: {
      std::string s = e->nld ? "nld\"" : "\"";
      for (const StringPart& p : e->parts) s += p.expr ? "{" + dump(p.expr) + "}" : p.text;
      return s + "\"";
    }
    case ExprKind::kVar: return "$" + e->name;
    case ExprKind::kList: return "[" + dump_list(e->items) + "]";
    case ExprKind::kSet: return "set{" + dump_list(e->items) + "}";
    case ExprKind::kDict: {
      std::string s = "{";
      for (size_t i = 0; i < e->entries.size(); ++i) {
        if (i) s += ", ";
        const auto& en = e->entries[i];
        s += en.first ? dump(en.first) + ": " + dump(en.second) : "**" + dump(en.second);
      }
      return s + "}";
    }
    case ExprKind::kUnary: return "(" + e->op + dump(e->operand) + ")";
    case ExprKind::kBinary: return "(" + dump(e->lhs) + " " + e->op + " " + dump(e->rhs) + ")";
    case ExprKind::kCompare: {
      std::string s = "(" + dump(e->items[0]);
      for (size_t i = 0; i < e->ops.size(); ++i) s += " " + e->ops[i] + " " + dump(e->items[i + 1]);
      return s + ")";
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      std::string s = "(";
      const char* sep = e->kind == ExprKind::kAnd ? " and " : " or ";
      for (size_t i = 0; i < e->items.size(); ++i) s += (i ? sep : "") + dump(e->items[i]);
      return s + ")";
    }
    case ExprKind::kNot: return "(not " + dump(e->operand) + ")";
    case ExprKind::kCall:
    case ExprKind::kMethodCall: {
      std::string s = e->kind == ExprKind::kCall ? e->name : dump(e->operand) + "." + e->name;
      s += "(" + dump_list(e->items);
      for (size_t i = 0; i < e->kwargs.size(); ++i) {
        s += ((i || !e->items.empty()) ? ", " : "") + e->kwargs[i].first + "=" +
             dump(e->kwargs[i].second);
      }
      return s + ")";
    }
    case ExprKind::kAttr: return dump(e->operand) + "." + e->name;
    case ExprKind::kIndex: return dump(e->operand) + "[" + dump(e->items[0]) + "]";
    case ExprKind::kSlice:
      return (e->lhs ? dump(e->lhs) : "") + ":" + (e->rhs ? dump(e->rhs) : "") + ":" +
             (e->step ? dump(e->step) : "");
  }
  return "?";
}

std::string dump_args(const std::vector<Arg>& args) {
  std::string s = "(";
  for (size_t i = 0; i < args.size(); ++i) s += (i ? ", " : "") + args[i].name + "=" + dump(args[i].value);
  return s + ")";
}

std::string dump(const Spec& sp) {
  static const char* const kKinds[] = {"flow", "action", "event", "ref"};
  std::string s = std::string(kKinds[static_cast<int>(sp.kind)]) + "<" + sp.name + ">";
  if (!sp.args.empty()) s += dump_args(sp.args);
  for (const SpecMember& m : sp.members) s += "." + m.name + dump_args(m.args);
  if (!sp.capture.empty()) s += " as $" + sp.capture;
  return s;
}

std::string dump(const SpecExpr& se) {
  if (se.type == SpecExpr::Type::kSpec) return dump(se.spec);
  std::string s = "(";
  const char* sep = se.type == SpecExpr::Type::kAnd ? " and " : " or ";
  for (size_t i = 0; i < se.children.size(); ++i) s += (i ? sep : "") + dump(se.children[i]);
  return s + ")";
}

void dump_body(const std::vector<Stmt>& body, int indent, std::string& out);

void dump_stmt(const Stmt& st, int indent, std::string& out) {
  std::string pad(indent * 2, ' ');
  out += pad;
  switch (st.kind) {
    case StmtKind::kSpecOp:
      if (!st.return_var.empty()) out += "$" + st.return_var + " = ";
      out += std::string(spec_op_name(st.op)) + " " + dump(st.spec) + "\n";
      return;
    case StmtKind::kAssignment:
      out += "$" + st.name + " " + st.assign_op + " " + dump(st.expr) + "\n";
      return;
    case StmtKind::kIf:
    case StmtKind::kWhile:
      for (size_t i = 0; i < st.conditions.size(); ++i) {
        if (i) out += pad;
        out += (st.kind == StmtKind::kWhile ? "while " : (i ? "elif " : "if ")) +
               dump(st.conditions[i]) + "\n";
        dump_body(st.bodies[i], indent + 1, out);
      }
      break;
    case StmtKind::kWhen:
      for (size_t i = 0; i < st.cases.size(); ++i) {
        if (i) out += pad;
        out += (i ? "or when " : "when ") + dump(st.cases[i]) + "\n";
        dump_body(st.bodies[i], indent + 1, out);
      }
      break;
    case StmtKind::kLabel: out += st.name + ":\n"; return;
    case StmtKind::kGlobal: out += "global $" + st.name + "\n"; return;
    case StmtKind::kDocString: out += "docstring \"" + st.text + "\"\n"; return;
    case StmtKind::kGenerateFlow: out += "... [" + st.text + "]\n"; return;
    default:
      out += std::string(stmt_kind_name(st.kind));
      if (st.expr) out += " " + dump(st.expr);
      out += "\n";
      return;
  }
  if (st.has_else) {
    out += pad + "else\n";
    dump_body(st.else_body, indent + 1, out);
  }
}

void dump_body(const std::vector<Stmt>& body, int indent, std::string& out) {
  for (const Stmt& s : body) dump_stmt(s, indent, out);
}

std::string dump_body(const Flow& f) {
  std::string out;
  dump_body(f.body, 0, out);
  return out;
}

// ---------------------------------------------------------------- helpers

std::string all_diagnostics(const ParseResult& r) {
  std::string s;
  for (const Diagnostic& d : r.diagnostics) s += d.render() + "\n";
  return s;
}

// Parses `src`, requires success and one flow; returns that flow's body dump.
std::string body_of(const std::string& src) {
  ParseResult r = parse_colang(src, "t.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  REQUIRE(r.file.flows.size() == 1);
  return dump_body(r.file.flows[0]);
}

// The statement of a one-statement flow `flow f\n  <stmt>`.
std::string stmt_of(const std::string& stmt) { return body_of("flow f\n  " + stmt + "\n"); }

// The first diagnostic of a source that must fail.
Diagnostic first_error(const std::string& src) {
  ParseResult r = parse_colang(src, "bad.co");
  REQUIRE_FALSE(r.ok());
  REQUIRE(!r.diagnostics.empty());
  return r.diagnostics[0];
}

#ifdef RG_SHARED_DIR
const std::string kShared = RG_SHARED_DIR;
#else
const std::string kShared;
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

// ================================================================ corpus

TEST_CASE("every colang_raw of the public colang2 corpus parses") {
  std::string path = kShared + "/conformance/colang2_public.jsonl";
  std::ifstream in(path);
  if (kShared.empty() || !in) {
    MESSAGE("SKIPPED: " << path << " not found");
    return;
  }
  int cases = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line);
    std::string id = j["id"].get<std::string>();
    ParseResult r = parse_colang(j["colang_raw"].get<std::string>(), id);
    INFO(id << "\n" << all_diagnostics(r));
    CHECK(r.ok());
    bool has_main = false;
    for (const Flow& f : r.file.flows) has_main = has_main || f.name == "main";
    CHECK(has_main);
    // The dedented variant means the same.
    ParseResult d = parse_colang(j["colang"].get<std::string>(), id);
    CHECK(d.ok());
    CHECK(d.file.flows.size() == r.file.flows.size());
    ++cases;
  }
  CHECK(cases == 80);
}

TEST_CASE("perf_200_flows.co parses quickly") {
  std::string text;
  std::string path = kShared + "/conformance/perf_200_flows.co";
  if (kShared.empty() || !read_file(path, &text)) {
    MESSAGE("SKIPPED: " << path << " not found");
    return;
  }
  double best_ms = 1e9;
  for (int i = 0; i < 3; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    ParseResult r = parse_colang(text, "perf_200_flows.co");
    auto t1 = std::chrono::steady_clock::now();
    best_ms = std::min(best_ms, std::chrono::duration<double, std::milli>(t1 - t0).count());
    INFO(all_diagnostics(r));
    REQUIRE(r.ok());
    CHECK(r.file.flows.size() == 201);
  }
  MESSAGE("perf_200_flows.co: " << best_ms << " ms");
  // Loose bound, so sanitizer and debug builds pass too.
  CHECK(best_ms < 1000.0);
}

TEST_CASE("the Colang 2.x example configs parse") {
  std::string dir = kShared + "/conformance/configs";
  if (kShared.empty() || !std::filesystem::exists(dir)) {
    MESSAGE("SKIPPED: " << dir << " not found");
    return;
  }
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.path().extension() != ".co") continue;
    std::string text;
    REQUIRE(read_file(entry.path().string(), &text));
    if (text.find("define ") != std::string::npos) continue;  // Colang 1.0
    ParseResult r = parse_colang(text, entry.path().string());
    INFO(all_diagnostics(r));
    CHECK(r.ok());
    ++files;
  }
  CHECK(files >= 10);
}

// ================================================================ specs

TEST_CASE("spec kinds follow the name (B.3, D.15)") {
  CHECK(stmt_of("bot greet") == "await flow<bot greet>\n");
  CHECK(stmt_of("_bot_say $x") == "await flow<_bot_say>($0=$x)\n");
  CHECK(stmt_of("match Greet()") == "match event<Greet>\n");
  CHECK(stmt_of("start GreetAction()") == "start action<GreetAction>\n");
  CHECK(stmt_of("send StartGreetAction()") == "send event<StartGreetAction>\n");
  CHECK(stmt_of("send StopGreetAction()") == "send event<StopGreetAction>\n");
  CHECK(stmt_of("send ChangeGreetAction()") == "send event<ChangeGreetAction>\n");
  CHECK(stmt_of("match UtteranceUserActionFinished()") ==
        "match event<UtteranceUserActionFinished>\n");
  CHECK(stmt_of("match $ref.Finished()") == "match ref<ref>.Finished()\n");
  CHECK(stmt_of("user ask about Stormcloaks") == "await event<user ask about Stormcloaks>\n");
  // Non-ASCII names: Unicode letters, with Python's notion of case.
  CHECK(stmt_of("bot sagt grüße $名前") == "await flow<bot sagt grüße>($0=$名前)\n");
  CHECK(stmt_of("когда_нибудь") == "await flow<когда_нибудь>\n");
  CHECK(stmt_of("Приветствие()") == "await event<Приветствие>\n");
}

TEST_CASE("and binds tighter than or; parentheses group (D.16)") {
  CHECK(stmt_of("await a and b or c and (d or e)") ==
        "await ((flow<a> and flow<b>) or (flow<c> and (flow<d> or flow<e>)))\n");
  CHECK(stmt_of("match (A() or B()) and C()") ==
        "match ((event<A> or event<B>) and event<C>)\n");
  CHECK(stmt_of("activate a and b") == "activate (flow<a> and flow<b>)\n");
}

TEST_CASE("continuation lines start with and/or") {
  CHECK(body_of("flow f\n  await x\n    and y\n      or z\n  pass\n") ==
        "await ((flow<x> and flow<y>) or flow<z>)\npass\n");
  // The corpus case test_await_and_or_group_with_flow_hierarchy.
  CHECK(body_of("flow f\n  (bot express \"Hi there!\"\n    or bot express \"Welcome!\")\n"
                "    and bot gesture \"Wave with one hand\"\n") ==
        "await ((flow<bot express>($0=\"Hi there!\") or flow<bot express>($0=\"Welcome!\")) and "
        "flow<bot gesture>($0=\"Wave with one hand\"))\n");
  // `or when` is no continuation.
  CHECK(body_of("flow f\n  when a\n    pass\n  or when b\n    pass\n") ==
        "when flow<a>\n  pass\nor when flow<b>\n  pass\n");
  // Conditions continue too.
  CHECK(body_of("flow f\n  if $a\n    or $b\n    pass\n") == "if ($a or $b)\n  pass\n");
  // `and` without a following blank is no continuation.
  CHECK_FALSE(parse_colang("flow f\n  await x\n  and(y)\n", "t.co").ok());
}

TEST_CASE("simple and classic arguments") {
  CHECK(stmt_of("bot say \"hi\" $volume=2") == "await flow<bot say>($0=\"hi\", volume=2)\n");
  CHECK(stmt_of("user said $text") == "await flow<user said>($0=$text)\n");
  CHECK(stmt_of("start a 1.0 as $ref_a") == "start flow<a>($0=1.0) as $ref_a\n");
  CHECK(stmt_of("start bot gesture\"listening\"") == "start flow<bot gesture>($0=\"listening\")\n");
  CHECK(stmt_of("start unknown fl $param=\"test\"") == "start flow<unknown fl>(param=\"test\")\n");
  CHECK(stmt_of("start bot say {\"a\": 1}") == "start flow<bot say>($0={\"a\": 1})\n");
  CHECK(stmt_of("send E(1, \"x\", k=$v)") == "send event<E>($0=1, $1=\"x\", k=$v)\n");
  CHECK(stmt_of("user said (regex(\"\\\\bmatch\\\\b\"))") ==
        "await flow<user said>($0=regex(\"\\bmatch\\b\"))\n");
  // A name followed by a parenthesis takes classic arguments (D.12).
  CHECK(stmt_of("f ($d[\"v\"])") == "await flow<f>($0=$d[\"v\"])\n");
  // Later simple arguments cannot start with + - [ or take members: the
  // previous argument continues (the reference parser is greedy too).
  CHECK(stmt_of("bot say \"a\" -1") == "await flow<bot say>($0=(\"a\" - 1))\n");
  CHECK(stmt_of("bot say $x [1] ~$y") == "await flow<bot say>($0=$x[1], $1=(~$y))\n");
  CHECK(stmt_of("bot say $x .Finished()") == "await flow<bot say>($0=$x.Finished())\n");
  CHECK(stmt_of("bot say -1 [2]") == "await flow<bot say>($0=(-1[2]))\n");
  // f"..." is a flow call (D.10).
  CHECK(stmt_of("f\"x\"") == "await flow<f>($0=\"x\")\n");
}

TEST_CASE("member chains, references and captures") {
  CHECK(stmt_of("match UtteranceUserAction.Finished(final_transcript=\"hi\")") ==
        "match action<UtteranceUserAction>.Finished(final_transcript=\"hi\")\n");
  CHECK(stmt_of("match UtteranceBotAction(script=\"x\").Finished() as $e") ==
        "match action<UtteranceBotAction>(script=\"x\").Finished() as $e\n");
  CHECK(stmt_of("match (user said $transcript=\"Hi\").Finished()") ==
        "match flow<user said>(transcript=\"Hi\").Finished()\n");
  CHECK(stmt_of("match $event_ref.flow.Finished()") == "match ref<event_ref>.flow().Finished()\n");
  CHECK(stmt_of("match a.Failed()") == "match flow<a>.Failed()\n");
  CHECK(stmt_of("start b as $ref_b and c as $ref_c") ==
        "start (flow<b> as $ref_b and flow<c> as $ref_c)\n");
  CHECK(stmt_of("match ($a.Finished() and $b.Finished()) or $c.Failed()") ==
        "match ((ref<a>.Finished() and ref<b>.Finished()) or ref<c>.Failed())\n");
}

TEST_CASE("keywords are soft inside names") {
  ParseResult r = parse_colang(
      "flow user asked if ok\n  match E()\n\nflow main\n  await user asked if ok\n"
      "  bot start flow\n  $x.flow\n",
      "t.co");
  // `$x.flow` alone is no statement: only the first two flows' text matters.
  CHECK_FALSE(r.ok());
  CHECK(body_of("flow main\n  await user asked if ok\n  bot say in french\n") ==
        "await flow<user asked if ok>\nawait flow<bot say in french>\n");
  ParseResult r2 = parse_colang("flow user asked if ok\n  match E()\n", "t.co");
  REQUIRE(r2.ok());
  CHECK(r2.file.flows[0].name == "user asked if ok");
  CHECK(stmt_of("$x = $e.flow.uid") == "$x = $e.flow.uid\n");
}

// ================================================================ statements

TEST_CASE("assignments and spec operations with a result") {
  CHECK(stmt_of("$a = f") == "$a = await flow<f>\n");
  CHECK(stmt_of("$a = await f") == "$a = await flow<f>\n");
  CHECK(stmt_of("$a = match E()") == "$a = match event<E>\n");
  CHECK(stmt_of("$a = f(1)") == "$a = f(1)\n");  // a function call
  CHECK(stmt_of("$a = flows_info()") == "$a = flows_info()\n");
  CHECK(stmt_of("$a = $b") == "$a = $b\n");
  CHECK(stmt_of("$c += 2") == "$c += 2\n");
  CHECK(stmt_of("$c -= $d") == "$c -= $d\n");
  CHECK(stmt_of("($x)") == "$_ = $x\n");
  CHECK(stmt_of("$v = ...\"Generate a number\"") == "$v = nld\"Generate a number\"\n");
  CHECK(stmt_of("$v = ... 'x {$y}'") == "$v = nld\"x {$y}\"\n");
}

TEST_CASE("simple statements") {
  CHECK(body_of("flow f\n  return\n  return 1\n  abort\n  break\n  continue\n  pass\n") ==
        "return\nreturn 1\nabort\nbreak\ncontinue\npass\n");
  CHECK(body_of("flow f\n  log \"x\"\n  print $y\n  priority 0.5\n  global $g\n  lbl:\n") ==
        "log \"x\"\nprint $y\npriority 0.5\nglobal $g\nlbl:\n");
  CHECK(stmt_of("start_new_flow_instance:") == "start_new_flow_instance:\n");
}

TEST_CASE("if / elif / else if / else, while, optional colons") {
  CHECK(body_of("flow f\n  if $a:\n    pass\n  elif $b\n    abort\n  else if $c:\n    break\n"
                "  else:\n    continue\n") ==
        "if $a\n  pass\nelif $b\n  abort\nelif $c\n  break\nelse\n  continue\n");
  CHECK(body_of("flow f\n  while $i < 3:\n    $i = $i + 1\n") ==
        "while ($i < 3)\n  $i = ($i + 1)\n");
}

TEST_CASE("when / or when / orwhen / else") {
  ParseResult r = parse_colang(
      "flow f\n  when a\n    pass\n  or when b or c\n    pass\n  orwhen d as $x\n    pass\n"
      "  else\n    abort\n",
      "t.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  const Stmt& w = r.file.flows[0].body[0];
  CHECK(w.kind == StmtKind::kWhen);
  REQUIRE(w.cases.size() == 3);
  CHECK(dump(w.cases[1]) == "(flow<b> or flow<c>)");
  CHECK(dump(w.cases[2]) == "flow<d> as $x");
  CHECK(w.bodies.size() == 3);
  CHECK(w.has_else);
  REQUIRE(w.else_body.size() == 1);
  CHECK(w.else_body[0].kind == StmtKind::kAbort);
}

TEST_CASE("docstrings and generation lines") {
  ParseResult r = parse_colang(
      "flow f\n  \"\"\"Count from 1 to 5.\"\"\"\n  $x = 1\n  \"\"\"later\"\"\"\n  ...\n"
      "  ... \"do the rest\"\n  $y = \"...\"\n",
      "t.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  const Flow& f = r.file.flows[0];
  CHECK(f.docstring == "Count from 1 to 5.");
  CHECK(dump_body(f) ==
        "$x = 1\ndocstring \"later\"\n... []\n... [\"do the rest\"]\n$y = \"...\"\n");
}

TEST_CASE("flow headers: parameters, defaults, return members, decorators") {
  ParseResult r = parse_colang(
      "@active\n@loop(\"id\", 10)\n@loop(priority=2)\n@meta(user_intent=True, tags=[\"a\", 1], neg=-2)\n"
      "flow bot say $text $volume=1.0 -> $x, $y=1\n  pass\n\n"
      "flow f($a, $b=2)\n  pass\n\n@override\nflow f\n  pass\n",
      "t.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  REQUIRE(r.file.flows.size() == 3);
  const Flow& f = r.file.flows[0];
  CHECK(f.name == "bot say");
  REQUIRE(f.parameters.size() == 2);
  CHECK(f.parameters[0].name == "text");
  CHECK(f.parameters[0].default_value == nullptr);
  CHECK(dump(f.parameters[1].default_value) == "1.0");
  REQUIRE(f.return_members.size() == 2);
  CHECK(f.return_members[0].name == "x");
  CHECK(dump(f.return_members[1].default_value) == "1");
  REQUIRE(f.decorators.size() == 3);  // the two @loop merge
  CHECK(f.decorators[0].name == "active");
  CHECK(f.decorators[0].parameters.empty());
  CHECK(f.decorators[1].name == "loop");
  CHECK(to_python_repr(Value(f.decorators[1].parameters)) == "{'$0': 'id', '$1': 10, 'priority': 2}");
  CHECK(to_python_repr(Value(f.decorators[2].parameters)) ==
        "{'user_intent': True, 'tags': ['a', 1], 'neg': -2}");
  const Flow& g = r.file.flows[1];
  CHECK(g.name == "f");
  REQUIRE(g.parameters.size() == 2);
  CHECK(g.parameters[1].name == "b");
  CHECK(r.file.flows[2].decorators[0].name == "override");
  // Decorator strings are literals: braces stay as written.
  ParseResult d = parse_colang("@meta(x=\"{$y} {{z}}\")\nflow a\n  pass\n", "t.co");
  REQUIRE(d.ok());
  CHECK(to_python_repr(Value(d.file.flows[0].decorators[0].parameters)) == "{'x': '{$y} {{z}}'}");
}

TEST_CASE("imports and top-level statements") {
  ParseResult r = parse_colang(
      "import core\nimport a.b\nimport \"some/file.co\"\n$x = 1\nflow main\n  pass\n", "t.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  REQUIRE(r.file.imports.size() == 3);
  CHECK(r.file.imports[0].module == "core");
  CHECK(r.file.imports[1].module == "a.b");
  CHECK(r.file.imports[2].module == "some/file.co");
  CHECK(r.file.imports[2].loc.line == 3);
  CHECK(r.file.flows.size() == 1);  // the top-level assignment is dropped (B.2)
}

TEST_CASE("# meta: exclude from llm") {
  ParseResult r = parse_colang("# meta: exclude from llm\nflow a\n  pass\nflow b\n  pass\n", "t.co");
  REQUIRE(r.ok());
  CHECK(r.file.exclude_from_llm);
  CHECK(r.file.flows[0].exclude_from_llm);
  CHECK(r.file.flows[1].exclude_from_llm);
  ParseResult n = parse_colang("# meta: something else\nflow a\n  pass\n", "t.co");
  REQUIRE(n.ok());
  CHECK_FALSE(n.file.exclude_from_llm);
  CHECK_FALSE(n.file.flows[0].exclude_from_llm);
}

TEST_CASE("indentation: base column, tabs, blank lines, comments, brackets") {
  // An indented file (the corpus form); blank and comment lines anywhere.
  CHECK(body_of("\n    flow f\n\n      # c\n      pass\n   # odd comment\n      abort\n    ") ==
        "pass\nabort\n");
  // A tab is 8 columns.
  CHECK(body_of("flow f\n\tif $a\n\t        pass\n        abort\n") == "if $a\n  pass\nabort\n");
  // Line breaks inside brackets are ignored.
  CHECK(stmt_of("send E(a=1,\n b=[1,\n2],\n        c={\"k\":\n 3})") ==
        "send event<E>(a=1, b=[1, 2], c={\"k\": 3})\n");
  // A backslash joins lines.
  CHECK(stmt_of("$x = 1 + \\\n  2") == "$x = (1 + 2)\n");
  // No trailing newline; CRLF line ends.
  CHECK(body_of("flow f\r\n  pass\r\n  abort") == "pass\nabort\n");
}

// ================================================================ expressions

TEST_CASE("expression precedence and forms (B.2)") {
  CHECK(stmt_of("$p = -2 ** 3 * 4 // 5 % 6 - 1") == "$p = (((((-(2 ** 3)) * 4) // 5) % 6) - 1)\n");
  CHECK(stmt_of("$p = 1 | 2 ^ 3 & 4 << 5 >> 6 + ~7") ==
        "$p = (1 | (2 ^ (3 & ((4 << 5) >> (6 + (~7))))))\n");
  CHECK(stmt_of("$c = $a < $b <= 3 != 4 not in $l is not None") ==
        "$c = ($a < $b <= 3 != 4 not in $l is not None)\n");
  CHECK(stmt_of("$c = not $a and $b or $c == 1") == "$c = (((not $a) and $b) or ($c == 1))\n");
  CHECK(stmt_of("$i = $a[1:2] + $a[::2] + $a[1] + $a[:]") ==
        "$i = ((($a[1:2:] + $a[::2]) + $a[1]) + $a[::])\n");
  CHECK(stmt_of("$m = $x.split(\",\", maxsplit=1).upper()") ==
        "$m = $x.split(\",\", maxsplit=1).upper()\n");
  CHECK(stmt_of("$l = [1, $a, \"s\", [2], {}]") == "$l = [1, $a, \"s\", [2], {}]\n");
  CHECK(stmt_of("$s = {$a, 1}") == "$s = set{$a, 1}\n");
  CHECK(stmt_of("$d = {\"k\": 1, **$o}") == "$d = {\"k\": 1, **$o}\n");
  CHECK(stmt_of("$n = 1_000 + 1.5e3 + .5 + 1. + 0") == "$n = ((((1000 + 1500.0) + 0.5) + 1.0) + 0)\n");
  CHECK(stmt_of("$b = None == True != False") == "$b = (None == True != False)\n");
  CHECK(stmt_of("$v = $self.context['k']") == "$v = $self.context[\"k\"]\n");
}

TEST_CASE("no parenthesised sub-expressions, no ternary (D.12)") {
  CHECK_FALSE(parse_colang("flow f\n  $x = (1+2)*3\n", "t.co").ok());
  CHECK_FALSE(parse_colang("flow f\n  $x = 1 if $c else 2\n", "t.co").ok());
  CHECK_FALSE(parse_colang("flow f\n  send E(x=not $y)\n", "t.co").ok());
  CHECK_FALSE(parse_colang("flow f\n  $x = [-1]\n", "t.co").ok());  // list items are atomExpr
}

TEST_CASE("string escapes and interpolation (B.4, D.9)") {
  ParseResult r = parse_colang(
      "flow f\n  $a = \"x {$d['a'] + 1} {{lit}} {not an expr} {} tail\"\n", "t.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  const Expr& s = *r.file.flows[0].body[0].expr;
  REQUIRE(s.kind == ExprKind::kString);
  REQUIRE(s.parts.size() == 3);
  CHECK(s.parts[0].text == "x ");
  CHECK(s.parts[0].expr == nullptr);
  CHECK(s.parts[1].text == "$d['a'] + 1");
  REQUIRE(s.parts[1].expr != nullptr);
  CHECK(dump(s.parts[1].expr) == "($d[\"a\"] + 1)");
  // Interpolations point into the file.
  CHECK(s.parts[1].expr->loc.line == 2);
  CHECK(s.parts[1].expr->loc.column == 12);
  CHECK(s.parts[2].text == " {lit} {not an expr} {} tail");
  CHECK(s.source == "\"x {$d['a'] + 1} {{lit}} {not an expr} {} tail\"");

  CHECK(stmt_of("$a = 'x\\'y\\'z\\n\\t\\\\ \\u00e9\\x41\\d'") == "$a = \"x'y'z\n\t\\ éA\\d\"\n");
  CHECK(stmt_of("$a = \"regex a{2} b{{2}}\"") == "$a = \"regex a{2} b{2}\"\n");
  CHECK(stmt_of("$a = \"(a){uid()}\"") == "$a = \"(a){uid()}\"\n");
  CHECK(stmt_of("$a = \"\"") == "$a = \"\"\n");
  ParseResult e = parse_colang("flow f\n  $a = \"\"\n", "t.co");
  REQUIRE(e.ok());
  REQUIRE(e.file.flows[0].body[0].expr->parts.size() == 1);
  CHECK(e.file.flows[0].body[0].expr->parts[0].text.empty());
}

TEST_CASE("long strings keep their raw lines") {
  // The corpus case test_multiline_string.
  ParseResult r = parse_colang(
      "\n    flow main\n      $var = \"Test\"\n      $string = \"\"\"This is a multiline\n"
      "      string! '{$var}' \"hi\" \"\"\"\n      start UtteranceBotAction(script=$string)\n    ",
      "t.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  const Expr& s = *r.file.flows[0].body[1].expr;
  REQUIRE(s.parts.size() == 3);
  CHECK(s.parts[0].text == "This is a multiline\n      string! '");
  CHECK(dump(s.parts[1].expr) == "$var");
  CHECK(s.parts[1].expr->loc.line == 5);
  CHECK(s.parts[1].expr->loc.column == 17);
  CHECK(s.parts[2].text == "' \"hi\" ");
}

TEST_CASE("parse_expression") {
  std::vector<Diagnostic> diags;
  ExprPtr e = parse_expression("$a + len($b) > 2 and not $c", &diags);
  REQUIRE(e != nullptr);
  CHECK(diags.empty());
  CHECK(dump(e) == "((($a + len($b)) > 2) and (not $c))");
  CHECK(e->source == "$a + len($b) > 2 and not $c");
  CHECK(parse_expression("$a +", &diags) == nullptr);
  REQUIRE(diags.size() == 1);
  CHECK(diags[0].code == "syntax");
  CHECK(parse_expression("f", nullptr) == nullptr);  // a bare name is no expression
}

// ================================================================ locations, source

TEST_CASE("locations and flow source text") {
  ParseResult r = parse_colang(
      "\n  @active\n  flow main\n    match E(a=1)\n    if $x\n      bot say \"hi\"\n\n  flow b\n    pass\n",
      "x.co");
  INFO(all_diagnostics(r));
  REQUIRE(r.ok());
  const Flow& f = r.file.flows[0];
  CHECK(f.file == "x.co");
  CHECK(r.file.path == "x.co");
  CHECK(f.loc.line == 3);
  CHECK(f.loc.column == 3);
  CHECK(f.source_code == "@active\nflow main\n  match E(a=1)\n  if $x\n    bot say \"hi\"");
  const Stmt& m = f.body[0];
  CHECK(m.loc.line == 4);
  CHECK(m.loc.column == 5);
  CHECK(m.spec.spec.loc.column == 11);
  CHECK(m.spec.spec.args[0].value->loc.column == 15);
  const Stmt& say = f.body[1].bodies[0][0];
  CHECK(say.loc.line == 6);
  CHECK(say.loc.column == 7);
  CHECK(r.file.flows[1].source_code == "flow b\n  pass");
}

// ================================================================ diagnostics

TEST_CASE("syntax errors name the line, column and token") {
  struct Case {
    const char* src;
    int line, column;
    const char* code;
    const char* message_part;
  };
  const Case cases[] = {
      {"flow main\n  match X()\n    match Y()\n", 3, 5, "indent", "unexpected indentation"},
      {"flow main\nmatch X()\n", 2, 1, "indent", "expected an indented block"},
      {"flow main\n    match X()\n  match Y()\n", 3, 3, "indent", "line 3"},
      {"flow main\n  $x = \"abc\n", 2, 8, "string", "not closed"},
      {"flow main\n  $x = \"\"\"abc\n\n", 2, 8, "string", "never closed"},
      {"flow main\n  $x = 1 ? 2\n", 2, 10, "syntax", "unexpected character '?'"},
      {"flow main\n  send E(x=not $y)\n", 2, 12, "syntax", "unexpected 'not'"},
      {"flow main\n  match E(a=1, 2)\n", 2, 16, "syntax", "positional argument follows"},
      {"flow main\n  bot say $a=1 \"x\"\n", 2, 16, "syntax", "positional argument follows"},
      {"flow main\n  flow inner\n    pass\n", 2, 3, "syntax", "top level"},
      {"flow main\n  match E(a=1,\n\nflow b\n  pass\n", 4, 6, "syntax", "'(' opened on line 2"},
      {"flow main\n  send E(\n", 2, 9, "syntax", "'(' is never closed"},
      {"flow main\n", 2, 1, "indent", "expected an indented block"},
      {"flow send x\n  pass\n", 1, 6, "semantic", "may not start with the keyword 'send'"},
      {"@meta(x=$y)\nflow a\n  pass\n", 1, 9, "semantic", "literal"},
      {"flow main\n  $x = 99999999999999999999\n", 2, 8, "semantic", "too large"},
      {"flow main\n  if $x\n  pass\n", 3, 3, "indent", "expected an indented block"},
      {"flow main\n  $x = 1 if $y else 2\n", 2, 10, "syntax", "unexpected 'if'"},
      {"flow a\n  pass\n  else\n    pass\n", 3, 3, "syntax", "unexpected 'else'"},
      {"flow main\n  $x = \xff\n", 2, 8, "encoding", "UTF-8"},
  };
  for (const Case& c : cases) {
    INFO(c.src);
    Diagnostic d = first_error(c.src);
    INFO(d.render());
    CHECK(d.file == "bad.co");
    CHECK(d.line == c.line);
    CHECK(d.column == c.column);
    CHECK(d.code == c.code);
    CHECK(d.message.find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("Diagnostic::render") {
  Diagnostic d = first_error("flow main\n  match X()\n    match Y()\n");
  CHECK(d.render() ==
        "bad.co:3:5: error: unexpected indentation (near 'match')\n"
        "      match Y()\n"
        "      ^");
  Diagnostic t = first_error("flow main\n\t$x = 1 ? 2\n");
  CHECK(t.render() ==
        "bad.co:2:9: error: unexpected character '?' (near '?')\n"
        "  \t$x = 1 ? 2\n"
        "  \t       ^");
  // A huge line shows a window around the column.
  Diagnostic wide = first_error("flow main\n  $x = " + std::string(300, '1') + " ? 2\n");
  std::string r = wide.render();
  CHECK(r.find("\n  ..." + std::string(69, '1') + " ? 2") != std::string::npos);
  CHECK(r.size() < 400);
  CHECK(r.substr(r.rfind('\n') + 1) == "  " + std::string(3 + 70, ' ') + "^");
  Diagnostic plain;
  plain.message = "no position";
  CHECK(plain.render() == "<input>: error: no position");
}

TEST_CASE("hostile input: deep nesting, long chains, junk") {
  // Brackets: a diagnostic, not a stack overflow.
  std::string deep = "flow f\n  $x = " + std::string(5000, '[') + "\n";
  Diagnostic d = first_error(deep);
  CHECK(d.code == "nesting");
  std::string neg = "flow f\n  $x = " + std::string(5000, '-') + "1\n";
  CHECK(first_error(neg).code == "nesting");
  std::string nots = "flow f\n  $x =";
  for (int i = 0; i < 3000; ++i) nots += " not";
  CHECK(first_error(nots + " $y\n").code == "nesting");
  std::string pows = "flow f\n  $x = 2";
  for (int i = 0; i < 3000; ++i) pows += "**2";
  CHECK(first_error(pows + "\n").code == "nesting");
  // Nested blocks.
  std::string blocks = "flow f\n";
  for (int i = 1; i <= 300; ++i) blocks += std::string(i, ' ') + "if $x\n";
  blocks += std::string(301, ' ') + "pass\n";
  CHECK(first_error(blocks).code == "indent");
  // Long chains are built without recursion, and refused past the limit.
  std::string chain = "flow f\n  $x = $a";
  for (int i = 0; i < 20000; ++i) chain += ".b";
  CHECK(first_error(chain + "\n").code == "nesting");
  std::string sum = "flow f\n  $x = 1";
  for (int i = 0; i < 20000; ++i) sum += "+1";
  CHECK(first_error(sum + "\n").code == "nesting");
  // Long argument lists and operator chains in simple arguments parse in
  // linear time (no lookahead to the end of the line at every operator).
  std::string args = "flow f\n  bot say $x";
  for (int i = 0; i < 100; ++i) args += " + 1 - $y[0].z";
  for (int i = 0; i < 20000; ++i) args += " \"a\"";
  auto t0 = std::chrono::steady_clock::now();
  ParseResult a = parse_colang(args + "\n", "t.co");
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  INFO(all_diagnostics(a));
  CHECK(a.ok());
  MESSAGE("20001 simple arguments: " << ms << " ms");
  CHECK(ms < 5000.0);
  // A long, flat statement sequence is fine.
  std::string many = "flow f\n";
  for (int i = 0; i < 5000; ++i) many += "  $x = " + std::to_string(i) + "\n";
  ParseResult m = parse_colang(many, "t.co");
  CHECK(m.ok());
  // Junk never throws.
  const char* junk[] = {"", "\n\n", "\0\0", "flow", "flow\n", "@", "@x\n", "$", "\"", "'''",
                        ")", "(((", "flow f\n  \"\"\"",
                        "flow f\n  ... \x01 \"", "flow f\n  when\n", "flow f\n  or when x\n"};
  for (const char* j : junk) {
    ParseResult r = parse_colang(j, "j.co");
    (void)r;
  }
  CHECK(parse_colang(std::string("\xef\xbb\xbf") + "flow f\n  pass\n", "bom.co").ok());
  CHECK(parse_colang("", "e.co").ok());
  CHECK(parse_colang("# only a comment\n\n", "e.co").ok());
}
