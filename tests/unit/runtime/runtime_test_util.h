// Helpers shared by the runtime unit tests (not a test itself): compile a
// Colang 2.x program, build events, pick fields out of outgoing events.
#pragma once

#include <doctest/doctest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "colang/parse.h"
#include "colang/value.h"
#include "runtime/flow_library.h"
#include "runtime/runtime.h"

// Lets doctest print vectors of strings (the scripts of a step) on failure.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& v) {
    std::string s = "{";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
    return (s + "}").c_str();
  }
};
}  // namespace doctest

namespace rg::runtime::testing {

struct Built {
  std::shared_ptr<const FlowLibrary> library;
  std::vector<colang::Diagnostic> diagnostics;  // parse and build, rendered on failure
  std::string rendered() const {
    std::string s;
    for (const auto& d : diagnostics) s += d.render() + "\n";
    return s;
  }
};

// Parses each (file name, source) pair and builds one library from them. A
// parse error stops before the build (library stays null).
inline Built build_files(const std::vector<std::pair<std::string, std::string>>& sources) {
  Built b;
  std::vector<colang::File> files;
  for (const auto& [name, src] : sources) {
    auto parsed = colang::parse_colang(src, name);
    for (auto& d : parsed.diagnostics) b.diagnostics.push_back(d);
    if (!parsed.ok()) return b;
    files.push_back(std::move(parsed.file));
  }
  auto built = FlowLibrary::build(files);
  for (auto& d : built.diagnostics) b.diagnostics.push_back(d);
  b.library = built.library;
  return b;
}

// The library of one program that must compile.
inline std::shared_ptr<const FlowLibrary> compile(const std::string& source) {
  Built b = build_files({{"test.co", source}});
  INFO(b.rendered());
  REQUIRE(b.library != nullptr);
  return b.library;
}

// {"type": type, key: value, ...}
inline colang::Dict ev(std::string type,
                       std::initializer_list<std::pair<std::string, colang::Value>> args = {}) {
  colang::Dict d;
  d.set("type", std::move(type));
  for (const auto& [k, v] : args) d.set(k, v);
  return d;
}

inline colang::Dict user_said_event(std::string text) {
  return ev("UtteranceUserActionFinished", {{"final_transcript", std::move(text)}});
}

inline std::string str_field(const colang::Dict& d, std::string_view key) {
  const colang::Value* v = d.find(key);
  return v && v->is_str() ? v->as_str() : "";
}

inline std::vector<std::string> types(const std::vector<colang::Dict>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(str_field(e, "type"));
  return out;
}

// The scripts of the StartUtteranceBotAction events, in order.
inline std::vector<std::string> scripts(const std::vector<colang::Dict>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    if (str_field(e, "type") == "StartUtteranceBotAction") out.push_back(str_field(e, "script"));
  return out;
}

// The event a host sends when an action the bot started has finished.
inline colang::Dict finished_for(const colang::Dict& start_event) {
  std::string type = str_field(start_event, "type");  // "Start<Name>"
  REQUIRE(type.rfind("Start", 0) == 0);
  return ev(type.substr(5) + "Finished", {{"action_uid", str_field(start_event, "action_uid")},
                                          {"is_success", true}});
}

// run_to_completion, returning a copy (the reference points into the state).
inline std::vector<colang::Dict> step(State& s, const colang::Dict& event) {
  return run_to_completion(s, event);
}

inline std::vector<colang::Dict> start_main(State& s) { return step(s, start_flow_event("main")); }

}  // namespace rg::runtime::testing
