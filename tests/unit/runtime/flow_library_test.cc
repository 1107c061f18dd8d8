// FlowLibrary::build (runtime/flow_library.h): names, @override, expansion
// errors as diagnostics, @active flows. The conformance corpus covers the
// behaviour of valid programs; this file covers what build rejects.
#include "runtime/flow_library.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "runtime/flow_config.h"
#include "tests/unit/runtime/runtime_test_util.h"

using namespace rg::runtime;
using namespace rg::runtime::testing;
using rg::colang::Diagnostic;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The one error diagnostic of a build that must fail.
Diagnostic single_error(const Built& b) {
  INFO(b.rendered());
  REQUIRE(b.library == nullptr);
  REQUIRE(b.diagnostics.size() == 1);
  CHECK(b.diagnostics[0].severity == Diagnostic::Severity::kError);
  return b.diagnostics[0];
}

// The script that `main` says first, run on a fresh state.
std::vector<std::string> first_scripts(const std::shared_ptr<const FlowLibrary>& lib) {
  auto state = new_state(lib);
  return scripts(start_main(*state));
}

}  // namespace

TEST_CASE("duplicate flow names across files are rejected with both locations") {
  Built b = build_files({{"a.co", "flow main\n  pass\n\nflow greet\n  pass\n"},
                         {"b.co", "# comment\n\n\nflow greet\n  pass\n"}});
  Diagnostic d = single_error(b);
  CHECK(d.file == "b.co");
  CHECK(d.line == 4);
  CHECK(contains(d.message, "greet"));
  CHECK(contains(d.message, "a.co:4"));  // where the first definition is
  CHECK(contains(d.render(), "b.co:4:"));
}

TEST_CASE("duplicate flow names in one file are rejected") {
  Built b = build_files({{"one.co", "flow main\n  pass\n\nflow main\n  pass\n"}});
  Diagnostic d = single_error(b);
  CHECK(d.file == "one.co");
  CHECK(d.line == 4);
  CHECK(contains(d.message, "one.co:1"));
}

TEST_CASE("@override replaces the other definition, in either order") {
  const std::string plain = "flow greet\n  start UtteranceBotAction(script=\"plain\")\n";
  const std::string over = "@override\nflow greet\n  start UtteranceBotAction(script=\"override\")\n";
  const std::string main = "flow main\n  greet\n";
  SUBCASE("override second") {
    Built b = build_files({{"m.co", main}, {"a.co", plain}, {"b.co", over}});
    INFO(b.rendered());
    REQUIRE(b.library);
    CHECK(b.diagnostics.empty());
    CHECK(first_scripts(b.library) == std::vector<std::string>{"override"});
  }
  SUBCASE("override first") {
    Built b = build_files({{"m.co", main}, {"b.co", over}, {"a.co", plain}});
    INFO(b.rendered());
    REQUIRE(b.library);
    CHECK(first_scripts(b.library) == std::vector<std::string>{"override"});
  }
  SUBCASE("the library lists the name once") {
    Built b = build_files({{"m.co", main}, {"a.co", plain}, {"b.co", over}});
    REQUIRE(b.library);
    auto ids = b.library->flow_ids();
    CHECK(std::count(ids.begin(), ids.end(), "greet") == 1);
  }
  SUBCASE("two @override definitions are still a duplicate") {
    Built b = build_files({{"m.co", main}, {"a.co", over}, {"b.co", over}});
    Diagnostic d = single_error(b);
    CHECK(d.file == "b.co");
    CHECK(contains(d.message, "a.co:2"));
  }
}

TEST_CASE("flow names starting with a statement keyword are rejected") {
  for (const char* kw : {"send", "match", "start", "stop", "await", "activate"}) {
    CAPTURE(kw);
    std::string src = "flow main\n  pass\n\nflow " + std::string(kw) + " greeting\n  pass\n";
    Built b = build_files({{"kw.co", src}});
    INFO(b.rendered());
    REQUIRE(b.library == nullptr);
    REQUIRE(!b.diagnostics.empty());
    // Either the parser or the library may refuse it; both must point at line 4.
    CHECK(b.diagnostics[0].file == "kw.co");
    CHECK(b.diagnostics[0].line == 4);
  }
}

TEST_CASE("the keyword check is on the first word only") {
  // Built from an AST so that the parser's own keyword handling plays no part.
  auto make_flow = [](std::string name, int line) {
    rg::colang::Flow f;
    f.name = std::move(name);
    f.file = "ast.co";
    f.loc = {line, 1};
    return f;
  };
  rg::colang::File file;
  file.path = "ast.co";
  file.flows.push_back(make_flow("main", 1));
  file.flows.push_back(make_flow("starter pack", 3));
  file.flows.push_back(make_flow("bot send greeting", 5));
  file.flows.push_back(make_flow("sending", 7));
  auto ok = FlowLibrary::build({file});
  CHECK(ok.diagnostics.empty());
  REQUIRE(ok.library);
  CHECK(ok.library->find("starter pack") != nullptr);
  CHECK(ok.library->find("bot send greeting") != nullptr);

  file.flows.push_back(make_flow("send greeting", 9));
  file.flows.push_back(make_flow("activate", 11));
  auto bad = FlowLibrary::build({file});
  CHECK(bad.library == nullptr);
  REQUIRE(bad.diagnostics.size() == 2);
  CHECK(bad.diagnostics[0].line == 9);
  CHECK(contains(bad.diagnostics[0].message, "send greeting"));
  CHECK(bad.diagnostics[1].line == 11);
}

TEST_CASE("expansion errors become diagnostics on the statement's line") {
  struct Case {
    const char* what;
    const char* statement;
  };
  const Case cases[] = {
      {"stop is not implemented", "stop greet"},
      {"start of an event", "start SomeEvent()"},
      {"match of a bare flow name", "match greet"},
      {"match of a bare multi-word flow name", "match bot say"},
      {"send of a flow without a member", "send greet"},
      {"break outside while", "break"},
      {"continue outside while", "continue"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    std::string src = std::string("flow greet\n  pass\n\nflow bot say\n  pass\n\n") +
                      "flow main\n  $x = 1\n  " + c.statement + "\n  $y = 2\n";
    Built b = build_files({{"exp.co", src}});
    INFO(b.rendered());
    REQUIRE(b.library == nullptr);
    REQUIRE(!b.diagnostics.empty());
    const Diagnostic& d = b.diagnostics.back();
    CHECK(d.severity == Diagnostic::Severity::kError);
    CHECK(d.file == "exp.co");
    CHECK(d.line == 9);
    CHECK(!d.message.empty());
    CHECK(contains(d.render(), "exp.co:9:"));
  }
}

TEST_CASE("break inside while is fine, and an error in one flow does not hide another") {
  SUBCASE("break and continue inside while") {
    Built b = build_files(
        {{"w.co", "flow main\n  while True\n    if False\n      continue\n    break\n"}});
    INFO(b.rendered());
    CHECK(b.library != nullptr);
  }
  SUBCASE("two bad flows, two diagnostics") {
    Built b = build_files({{"two.co", "flow a\n  stop b\n\nflow b\n  start SomeEvent()\n\n"
                                      "flow main\n  pass\n"}});
    INFO(b.rendered());
    CHECK(b.library == nullptr);
    REQUIRE(b.diagnostics.size() == 2);
    std::vector<int> lines = {b.diagnostics[0].line, b.diagnostics[1].line};
    std::sort(lines.begin(), lines.end());
    CHECK(lines == std::vector<int>{2, 5});
  }
}

TEST_CASE("active_flow_ids lists the @active flows in definition order") {
  Built b = build_files({{"a.co", "@active\nflow zeta\n  pass\n\nflow plain\n  pass\n\n"
                                  "@active\nflow alpha\n  pass\n"},
                         {"b.co", "flow main\n  pass\n\n@active\nflow beta\n  pass\n"}});
  INFO(b.rendered());
  REQUIRE(b.library);
  CHECK(b.library->active_flow_ids() == std::vector<std::string>{"zeta", "alpha", "beta"});
  auto ids = b.library->flow_ids();
  CHECK(ids.size() == 5);
  CHECK(b.library->find("plain") != nullptr);
  CHECK(b.library->find("nope") == nullptr);
}

TEST_CASE("an @override of an @active flow decides whether it is active") {
  Built b = build_files({{"a.co", "flow main\n  pass\n\n@active\nflow watcher\n  pass\n"},
                         {"b.co", "@override\nflow watcher\n  pass\n"}});
  INFO(b.rendered());
  REQUIRE(b.library);
  CHECK(b.library->active_flow_ids().empty());
}
