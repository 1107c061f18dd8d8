#include "rails/cli/eval_command.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rails/config/rails_config.h"
#include "rails/dialog/llm_setup.h"
#include "rails/dialog/rails_v1.h"

namespace rg::cli {

namespace {

constexpr const char* kUsage =
    "usage: railguard eval --config DIR --dataset FILE.jsonl [--show-errors] [--limit N]\n"
    "\n"
    "Runs the config's input rails (or output rails, per item) over labelled\n"
    "examples and prints detection rate, false-positive rate, latency and LLM\n"
    "calls per item.\n"
    "\n"
    "  FILE.jsonl lines: {\"text\": ..., \"label\": \"block\"|\"allow\", \"rail\": \"input\"|\"output\"}\n"
    "  (rail defaults to input; an \"entities\" list instead of label: block when non-empty)\n"
    "  --show-errors   list the items the rails got wrong\n"
    "  --limit N       only the first N items\n";

struct Item {
  int line = 0;
  std::string text;
  bool block = false;
  bool output = false;
};

struct Outcome {
  bool blocked = false;
  std::string rail;  // the rail that stopped the turn
  double seconds = 0;
  size_t llm_calls = 0;
  std::string error;
};

// Reads the dataset; "" or "FILE:LINE: what is wrong".
std::string read_dataset(const std::string& path, std::vector<Item>& items) {
  std::ifstream in(path);
  if (!in) return path + ": cannot open";
  std::string text;
  int line = 0;
  while (std::getline(in, text)) {
    ++line;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line) + ": ";
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return where + "not a JSON object";
    Item item;
    item.line = line;
    auto t = j.find("text");
    if (t == j.end() || !t->is_string()) return where + "\"text\" must be a string";
    item.text = t->get<std::string>();
    if (auto l = j.find("label"); l != j.end()) {
      if (!l->is_string() || (*l != "block" && *l != "allow"))
        return where + "\"label\" must be \"block\" or \"allow\", got " + l->dump();
      item.block = *l == "block";
    } else if (auto e = j.find("entities"); e != j.end()) {
      if (!e->is_array()) return where + "\"entities\" must be a list";
      item.block = !e->empty();
    } else {
      return where + "needs \"label\" (or \"entities\")";
    }
    if (auto r = j.find("rail"); r != j.end()) {
      if (!r->is_string() || (*r != "input" && *r != "output"))
        return where + "\"rail\" must be \"input\" or \"output\", got " + r->dump();
      item.output = *r == "output";
    }
    items.push_back(std::move(item));
  }
  return "";
}

Outcome run_item(const rails::dialog::DialogRailsV1& rails, const Item& item) {
  rails::dialog::GenerationOptions options;
  options.given = true;
  options.input = !item.output;
  options.output = item.output;
  options.dialog = false;
  options.retrieval = false;
  options.log_activated_rails = true;
  std::vector<rails::dialog::ChatMessage> messages;
  if (item.output) {
    messages.push_back({"user", colang::Value("")});
    messages.push_back({"assistant", colang::Value(item.text)});
  } else {
    messages.push_back({"user", colang::Value(item.text)});
  }
  const auto start = std::chrono::steady_clock::now();
  rails::dialog::GenerationResult r = rails.generate(messages, options);
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  o.llm_calls = r.llm_calls.size();
  o.error = r.error;
  const std::string kind = item.output ? "output" : "input";
  for (const auto& rail : r.activated_rails)
    if (rail.type == kind && rail.stop) {
      o.blocked = true;
      o.rail = rail.name;
      break;
    }
  // A turn that failed closed blocks too (the user sees the error text).
  if (!o.error.empty()) o.blocked = true;
  return o;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int eval_command(int argc, char** argv) {
  std::string config_dir, dataset;
  bool show_errors = false;
  long limit = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--show-errors") {
      show_errors = true;
    } else if ((a == "--config" || a == "--dataset" || a == "--limit") && i + 1 < argc) {
      std::string v = argv[++i];
      if (a == "--config") config_dir = v;
      else if (a == "--dataset") dataset = v;
      else {
        char* end = nullptr;
        limit = std::strtol(v.c_str(), &end, 10);
        if (*end || limit < 1) {
          std::cerr << "railguard eval: --limit needs a positive number, got '" << v << "'\n";
          return 2;
        }
      }
    } else {
      std::cerr << "railguard eval: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  if (config_dir.empty() || dataset.empty()) {
    std::cerr << "railguard eval: --config DIR and --dataset FILE are required\n" << kUsage;
    return 2;
  }

  std::vector<Item> items;
  if (std::string bad = read_dataset(dataset, items); !bad.empty()) {
    std::cerr << "railguard eval: " << bad << "\n";
    return 1;
  }
  if (limit > 0 && static_cast<size_t>(limit) < items.size()) items.resize(static_cast<size_t>(limit));
  if (items.empty()) {
    std::cerr << "railguard eval: " << dataset << " holds no items\n";
    return 1;
  }

  rails::config::LoadOptions load_options;
  load_options.library_flows = rails::dialog::library_v1_flow_names();
  rails::config::LoadResult loaded = rails::config::load_rails_config(config_dir, load_options);
  for (const auto& d : loaded.diagnostics) std::cerr << d.render() << "\n";
  if (!loaded.ok()) return 1;
  if (loaded.config->colang_version != "1.0") {
    std::cerr << "railguard eval: " << config_dir << " is a Colang 2.x config; eval runs Colang 1.0 configs\n";
    return 1;
  }
  auto router = rails::dialog::make_model_router(*loaded.config);
  if (!router.ok()) {
    std::cerr << "railguard eval: " << router.error().message << "\n";
    return 1;
  }
  std::string error;
  rails::dialog::DialogOptions dialog_options;
  dialog_options.seed = 1;
  auto rails = rails::dialog::DialogRailsV1::create(loaded.config, router.value(), dialog_options, &error);
  if (!rails) {
    std::cerr << "railguard eval: " << error << "\n";
    return 1;
  }

  struct Tally {
    size_t positives = 0, negatives = 0, detected = 0, false_positives = 0, errors = 0, llm_calls = 0;
    std::vector<double> ms;
  };
  Tally by_kind[2];
  std::vector<std::string> wrong;
  for (const Item& item : items) {
    Outcome o = run_item(*rails, item);
    Tally& t = by_kind[item.output ? 1 : 0];
    (item.block ? t.positives : t.negatives)++;
    if (item.block && o.blocked) t.detected++;
    if (!item.block && o.blocked) t.false_positives++;
    if (!o.error.empty()) t.errors++;
    t.llm_calls += o.llm_calls;
    t.ms.push_back(o.seconds * 1000.0);
    if (item.block != o.blocked) {
      std::string what = dataset + ":" + std::to_string(item.line) + ": " +
                         (item.block ? "missed" : "false positive") + (o.rail.empty() ? "" : " (" + o.rail + ")") +
                         (o.error.empty() ? "" : " [error: " + o.error + "]") + ": " +
                         (item.text.size() > 100 ? item.text.substr(0, 100) + "..." : item.text);
      wrong.push_back(std::move(what));
    }
  }

  std::printf("%-7s %6s %6s %10s %10s %10s %10s %10s %9s\n", "rails", "items", "block", "detection", "false-pos",
              "p50 ms", "p99 ms", "LLM/item", "errors");
  for (int k = 0; k < 2; ++k) {
    const Tally& t = by_kind[k];
    const size_t n = t.positives + t.negatives;
    if (n == 0) continue;
    std::printf("%-7s %6zu %6zu %10.4f %10.4f %10.3f %10.3f %10.2f %9zu\n", k ? "output" : "input", n, t.positives,
                t.positives ? double(t.detected) / double(t.positives) : 0.0,
                t.negatives ? double(t.false_positives) / double(t.negatives) : 0.0, percentile(t.ms, 0.5),
                percentile(t.ms, 0.99), double(t.llm_calls) / double(n), t.errors);
  }
  if (show_errors)
    for (const auto& w : wrong) std::printf("%s\n", w.c_str());
  else if (!wrong.empty())
    std::printf("%zu items classified wrongly (--show-errors lists them)\n", wrong.size());
  return 0;
}

}  // namespace rg::cli
