// template_render: reads JSON lines {"template": "...", "context": {...}} on
// stdin and writes one JSON line per input: {"ok": true, "out": "..."} or
// {"ok": false, "stage": "compile"|"render", "error": "..."}. Driven by
// template_jinja_diff.py, which compares it with Jinja itself.
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "colang/value_json.h"
#include "rails/prompts/template/template.h"

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    auto in = nlohmann::ordered_json::parse(line);
    auto compiled = rg::rails::prompts::Template::compile(in["template"].get<std::string>(), "t");
    nlohmann::ordered_json out;
    if (!compiled.ok()) {
      out["ok"] = false;
      out["stage"] = "compile";
      out["error"] = compiled.error().to_string();
    } else {
      auto rendered = compiled.value()->render(rg::colang::dict_from_json(in["context"]));
      out["ok"] = rendered.ok();
      if (rendered.ok()) {
        out["out"] = rendered.value();
      } else {
        out["stage"] = "render";
        out["error"] = rendered.error().to_string();
      }
    }
    std::cout << out.dump() << "\n";
  }
  return 0;
}
