#include "tests/conformance/colang2_cases.h"

#include <cstdio>
#include <exception>

#include "colang/parse.h"
#include "colang/value_json.h"
#include "runtime/runtime.h"

namespace rg::conformance {

using colang::Dict;
using colang::Value;
using json = nlohmann::json;

namespace {

// {"$ref": {"step": k, "path": [i, "field", ...]}} -> the value our runtime
// produced at that step.
Value resolve_refs(const json& j, const std::vector<std::vector<Dict>>& outputs) {
  if (j.is_object() && j.size() == 1 && j.contains("$ref")) {
    const json& ref = j["$ref"];
    size_t step = ref.at("step").get<size_t>();
    if (step >= outputs.size()) throw std::runtime_error("$ref to a future step");
    const json& path = ref.at("path");
    size_t index = path.at(0).get<size_t>();
    if (index >= outputs[step].size())
      throw std::runtime_error("$ref to outgoing event " + std::to_string(index) + " of step " +
                               std::to_string(step) + ", which produced only " +
                               std::to_string(outputs[step].size()));
    Value v(outputs[step][index]);
    for (size_t p = 1; p < path.size(); ++p) {
      if (!v.is_dict()) throw std::runtime_error("$ref path goes through a non-dict");
      const Value* next = v.as_dict().find(path[p].get<std::string>());
      if (!next) throw std::runtime_error("$ref field '" + path[p].get<std::string>() + "' missing");
      v = *next;
    }
    return v;
  }
  if (j.is_object()) {
    Dict d;
    for (auto it = j.begin(); it != j.end(); ++it) d.set(it.key(), resolve_refs(it.value(), outputs));
    return Value(std::move(d));
  }
  if (j.is_array()) {
    colang::List l;
    for (const auto& x : j) l.push_back(resolve_refs(x, outputs));
    return Value(std::move(l));
  }
  return colang::from_json(j);
}

std::string describe(const std::vector<Dict>& events) {
  std::string s = "[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) s += ", ";
    const Value* t = events[i].find("type");
    s.append(t ? colang::to_python_str(*t) : std::string("?"));
    if (const Value* sc = events[i].find("script")) {
      s.push_back('(');
      s.append(colang::to_python_repr(*sc));
      s.push_back(')');
    }
  }
  return s + "]";
}

}  // namespace

CaseResult run_colang2_case(const json& record, bool trace) {
  CaseResult result;
  try {
    std::string source = record.at("colang_raw").get<std::string>();
    auto parsed = colang::parse_colang(source, "<case>");
    if (!parsed.ok()) {
      result.detail = "parse error: " + parsed.diagnostics.front().render();
      return result;
    }
    auto built = runtime::FlowLibrary::build({parsed.file});
    if (!built.library) {
      result.detail = "build error: " + built.diagnostics.front().render();
      return result;
    }
    runtime::StateOptions options;
    if (trace) options.trace = [](const std::string& line) { std::fprintf(stderr, "  | %s\n", line.c_str()); };
    auto state = runtime::new_state(built.library, options);
    std::vector<std::vector<Dict>> outputs;
    const json& steps = record.at("steps");
    for (size_t i = 0; i < steps.size(); ++i) {
      const json& step = steps[i];
      Dict event;
      if (step.at("event").is_null()) {
        event = runtime::start_flow_event("main");
      } else {
        Value ev = resolve_refs(step["event"], outputs);
        event = ev.as_dict();
      }
      if (trace) std::fprintf(stderr, "step %zu\n", i);
      std::vector<Dict> out = runtime::run_to_completion(*state, event);
      outputs.push_back(out);
      const json* expect = nullptr;
      json empty = json::array();
      if (step.contains("expect")) expect = &step["expect"];
      else if (step.value("expect_empty", false)) expect = &empty;
      if (!expect) continue;
      std::string where = "step " + std::to_string(i) + ": ";
      if (out.size() != expect->size()) {
        result.detail = where + "expected " + std::to_string(expect->size()) + " events, got " +
                        std::to_string(out.size()) + " " + describe(out);
        return result;
      }
      for (size_t k = 0; k < out.size(); ++k) {
        const json& exp = (*expect)[k];
        for (auto it = exp.begin(); it != exp.end(); ++it) {
          const Value* actual = out[k].find(it.key());
          Value wanted = resolve_refs(it.value(), outputs);
          if (!actual || !(*actual == wanted)) {
            result.detail = where + "event " + std::to_string(k) + " field '" + it.key() +
                            "': expected " + colang::to_python_repr(wanted) + ", got " +
                            (actual ? colang::to_python_repr(*actual) : "nothing") + " in " +
                            describe(out);
            return result;
          }
        }
      }
    }
    result.passed = true;
  } catch (const std::exception& e) {
    result.detail = std::string("exception: ") + e.what();
  }
  return result;
}

}  // namespace rg::conformance
