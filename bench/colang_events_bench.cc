// colang_events [CONFORMANCE_DIR]
//
// Times the Colang 2.x state machine on the synthetic 200-flow workload of
// the conformance corpus (perf_200_flows.co + perf_200_flows_events.jsonl):
// one run_to_completion per input event, timed with steady_clock; building
// the state and checking the expected outgoing events happen outside the
// timed region. Also times the hello-world bot (examples/hello_world with the
// standard library). There is no hardware limit to compare against here (the
// work is pointer-chasing, not bandwidth- or FLOP-bound); the reference
// Python runtime's figures on the same workload are in the corpus README.
//
// The last line is `median_us=<x> p99_us=<y> events_per_s=<z>` for the
// 200-flow workload.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "colang/parse.h"
#include "colang/value_json.h"
#include "rails/cli/colang_loader.h"
#include "runtime/runtime.h"
#include "runtime/session.h"

using colang_clock = std::chrono::steady_clock;
using rg::colang::Dict;
using rg::colang::Value;

namespace {

struct Stats {
  size_t n = 0;
  double median = 0, p90 = 0, p99 = 0, mean = 0, per_s = 0;
};

// Nearest-rank percentiles, like the corpus README.
Stats stats_of(std::vector<double> us) {
  Stats s;
  s.n = us.size();
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  auto rank = [&](double p) {
    size_t k = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(us.size())));
    return us[std::max<size_t>(k, 1) - 1];
  };
  s.median = rank(50);
  s.p90 = rank(90);
  s.p99 = rank(99);
  double total = std::accumulate(us.begin(), us.end(), 0.0);
  s.mean = total / static_cast<double>(us.size());
  s.per_s = static_cast<double>(us.size()) / (total / 1e6);
  return s;
}

void print_row(const std::string& name, const Stats& s) {
  std::printf("| %-28s | %6zu | %9.2f | %9.2f | %9.2f | %9.2f | %10.0f |\n", name.c_str(), s.n,
              s.median, s.p90, s.p99, s.mean, s.per_s);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : RG_DEFAULT_CONFORMANCE_DIR;
  int runs = 5;
  try {
    std::string source = read_file(dir + "/perf_200_flows.co");
    std::vector<nlohmann::json> steps;
    {
      std::ifstream in(dir + "/perf_200_flows_events.jsonl");
      if (!in) throw std::runtime_error("cannot read perf_200_flows_events.jsonl");
      std::string line;
      while (std::getline(in, line))
        if (!line.empty()) steps.push_back(nlohmann::json::parse(line));
    }

    auto t0 = colang_clock::now();
    auto parsed = rg::colang::parse_colang(source, "perf_200_flows.co");
    auto t1 = colang_clock::now();
    if (!parsed.ok()) throw std::runtime_error(parsed.diagnostics.front().render());
    auto built = rg::runtime::FlowLibrary::build({parsed.file});
    auto t2 = colang_clock::now();
    if (!built.library) throw std::runtime_error(built.diagnostics.front().render());

    std::map<std::string, std::vector<double>> by_kind;
    std::vector<double> all;
    std::vector<std::vector<double>> blocks(7);
    int mismatches = 0;
    size_t final_flows = 0, final_actions = 0;
    for (int run = 0; run < runs; ++run) {
      auto state = rg::runtime::new_state(built.library);
      std::vector<std::vector<Dict>> outputs;
      for (size_t i = 0; i < steps.size(); ++i) {
        const auto& step = steps[i];
        Dict event;
        std::string kind = step.value("kind", "start");
        if (step.at("event").is_null()) {
          event = rg::runtime::start_flow_event("main");
          kind = "StartFlow(main)";
        } else {
          event = rg::colang::dict_from_json(step["event"]);
          if (Value* uid = event.find("action_uid"); uid && uid->is_dict()) {
            // {"$ref": {"step": k, "path": [0, "action_uid"]}}
            const Value* ref = uid->as_dict().find("$ref");
            size_t k = static_cast<size_t>(ref->as_dict().find("step")->as_int());
            *uid = *outputs.at(k).at(0).find("action_uid");
          }
        }
        auto a = colang_clock::now();
        const auto& out = rg::runtime::run_to_completion(*state, event);
        auto b = colang_clock::now();
        double us = std::chrono::duration<double, std::micro>(b - a).count();
        outputs.push_back(out);
        all.push_back(us);
        by_kind[kind].push_back(us);
        blocks[std::min<size_t>(i / 300, 6)].push_back(us);
        const auto& expect = step.at("expect");
        bool ok = expect.size() == out.size();
        for (size_t k = 0; ok && k < out.size(); ++k)
          for (auto it = expect[k].begin(); it != expect[k].end(); ++it) {
            const Value* v = out[k].find(it.key());
            if (!v || !(*v == rg::colang::from_json(it.value()))) ok = false;
          }
        if (!ok) ++mismatches;
      }
      final_flows = state->flow_states.size();
      final_actions = state->actions.size();
    }

    std::printf("Colang 2.x state machine, 200-flow workload (%d runs x %zu events)\n", runs,
                steps.size());
    std::printf("parse %.1f ms, build flow library %.1f ms\n\n",
                std::chrono::duration<double, std::milli>(t1 - t0).count(),
                std::chrono::duration<double, std::milli>(t2 - t1).count());
    std::printf("| %-28s | %6s | %9s | %9s | %9s | %9s | %10s |\n", "input events", "n",
                "median us", "p90 us", "p99 us", "mean us", "events/s");
    std::printf("|------------------------------|--------|-----------|-----------|-----------|-----------|------------|\n");
    Stats total = stats_of(all);
    print_row("all", total);
    for (const auto& [kind, us] : by_kind) print_row(kind, stats_of(us));
    std::printf("\nmedian per block of 300 steps:");
    for (const auto& b : blocks)
      if (!b.empty()) std::printf(" %.2f", stats_of(b).median);
    std::printf(" us\n");
    std::printf("state after the run: %zu flow instances, %zu actions (the reference keeps 821 and 800)\n",
                final_flows, final_actions);

    // The hello-world bot with the standard library, through a Session.
    auto loaded = rg::cli::load_config_dir(RG_SOURCE_DIR "/examples/hello_world",
                                           rg::cli::loader_options_from_env());
    if (!loaded.ok()) throw std::runtime_error(loaded.diagnostics.front().render());
    auto hello = rg::runtime::FlowLibrary::build(loaded.files);
    if (!hello.library) throw std::runtime_error(hello.diagnostics.front().render());
    std::vector<double> turns;
    for (int i = 0; i < 200; ++i) {
      rg::runtime::Session session(hello.library);
      session.start();
      auto a = colang_clock::now();
      auto said = session.user_said("hi");
      auto b = colang_clock::now();
      if (said.empty() || said[0] != "Hello World!") ++mismatches;
      turns.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    }
    Stats h = stats_of(turns);
    std::printf("\nhello_world bot: one user turn (\"hi\" -> \"Hello World!\", with the host "
                "loop answering the utterance): median %.2f us, p99 %.2f us (n=%zu)\n",
                h.median, h.p99, h.n);
    std::printf("expectation mismatches: %d\n", mismatches);
    std::printf("median_us=%.2f p99_us=%.2f events_per_s=%.0f\n", total.median, total.p99,
                total.per_s);
    return mismatches == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "colang_events: %s\n", e.what());
    return 2;
  }
}
