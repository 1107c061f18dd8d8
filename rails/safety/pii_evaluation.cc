// evaluate_pii_file / format_pii_evaluation (pii_evaluation.h).
#include "rails/safety/pii_evaluation.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "rails/safety/sensitive_data.h"

namespace rg::rails::safety {

bool evaluate_pii_file(const SensitiveDataDetector& detector, const std::string& path, PiiEvaluation* out,
                       std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  std::map<std::string, EntityScore> scores;
  for (const auto& e : builtin_entities()) scores[e].entity = e;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("text") || !j["text"].is_string() ||
        !j.contains("entities") || !j["entities"].is_array()) {
      *error = path + ":" + std::to_string(lineno) + ": expected {\"text\": str, \"entities\": [{type, value}]}";
      return false;
    }
    const std::string text = j["text"].get<std::string>();
    std::vector<std::pair<std::string, std::string>> gold;
    for (const auto& e : j["entities"]) {
      if (!e.is_object() || !e.contains("type") || !e.contains("value") || !e["type"].is_string() ||
          !e["value"].is_string()) {
        *error = path + ":" + std::to_string(lineno) + ": an entity must be {\"type\": str, \"value\": str}";
        return false;
      }
      gold.emplace_back(e["type"].get<std::string>(), e["value"].get<std::string>());
      scores[gold.back().first].entity = gold.back().first;
    }
    ++out->lines;
    std::vector<bool> used(gold.size(), false);
    for (const auto& f : detector.detect_entities(text, builtin_entities())) {
      std::string value = text.substr(f.begin, f.end - f.begin);
      bool hit = false;
      for (size_t k = 0; k < gold.size() && !hit; ++k) {
        if (!used[k] && gold[k].first == f.entity && gold[k].second == value) used[k] = hit = true;
      }
      if (hit) {
        ++scores[f.entity].tp;
      } else {
        ++scores[f.entity].fp;
        out->mistakes.push_back("FP " + f.entity + " '" + value + "' in: " + text);
      }
    }
    for (size_t k = 0; k < gold.size(); ++k) {
      if (used[k]) continue;
      ++scores[gold[k].first].fn;
      out->mistakes.push_back("FN " + gold[k].first + " '" + gold[k].second + "' in: " + text);
    }
  }
  for (auto& [_, s] : scores) out->per_entity.push_back(s);
  return true;
}

std::string format_pii_evaluation(const PiiEvaluation& eval) {
  std::string out;
  char buf[160];
  std::snprintf(buf, sizeof buf, "%-18s %7s %5s %5s %5s %9s %7s\n", "entity", "support", "TP", "FP", "FN",
                "precision", "recall");
  out += buf;
  for (const auto& s : eval.per_entity) {
    std::snprintf(buf, sizeof buf, "%-18s %7d %5d %5d %5d %9.3f %7.3f\n", s.entity.c_str(), s.tp + s.fn, s.tp, s.fp,
                  s.fn, s.precision(), s.recall());
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "(%d lines)\n", eval.lines);
  out += buf;
  return out;
}

}  // namespace rg::rails::safety
