// colang1_turn: what the Colang 1.0 turn pipeline costs on top of the LLM.
//
// Runs conversations over a 1.0 config with an instant fake LLM (answers by
// task, no I/O), timing each DialogRailsV1::generate() call: messages to
// events (prefix cache), the flow engine, the actions, prompt rendering and
// the intent/bot/flow index searches. The LLM time of a real deployment
// (hundreds of ms per call) comes on top; this is the overhead railguard adds.
//
//   build/bin/colang1_turn [CONFIG_DIR] [CONVERSATIONS] [TURNS]
// Default config: the corpus' `game` config. There is no hardware limit to
// report a fraction of: the work is branchy string handling.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "llm/model_router.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"

namespace {

// Answers like a well-behaved model, instantly: an intent, a next step, a
// bot message.
class InstantLlm final : public rg::llm::LlmClient {
 public:
  rg::llm::Result<rg::llm::Completion> complete(std::string_view task, std::string_view,
                                                 const rg::llm::LlmParams&) override {
    rg::llm::Completion c;
    if (task == "generate_user_intent") c.text = "  express greeting";
    else if (task == "generate_next_steps") c.text = "bot express greeting";
    else c.text = "  \"Well met, traveller.\"";
    return c;
  }
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : std::string(RG_DEFAULT_CONFORMANCE_DIR) + "/configs/game";
  int conversations = argc > 2 ? std::atoi(argv[2]) : 200;
  int turns = argc > 3 ? std::atoi(argv[3]) : 10;

  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = rg::rails::dialog::library_v1_flow_names();
  auto t0 = std::chrono::steady_clock::now();
  auto loaded = rg::rails::config::load_rails_config(dir, options);
  if (!loaded.ok()) {
    std::fprintf(stderr, "config %s does not load\n", dir.c_str());
    return 1;
  }
  std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>> by_type;
  by_type["main"] = std::make_shared<InstantLlm>();
  std::string error;
  rg::rails::dialog::DialogOptions dialog_options;
  dialog_options.seed = 1;
  auto rails = rg::rails::dialog::DialogRailsV1::create(
      loaded.config, std::make_shared<rg::llm::ModelRouter>(by_type), dialog_options, &error);
  if (!rails) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  double setup_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const char* lines[] = {"hi", "Do you work all day here?", "sure", "what about Whiterun?",
                         "tell me about the Stormcloaks"};
  std::vector<double> all, first, last;
  size_t events = 0, llm_calls = 0, errors = 0;
  for (int c = 0; c < conversations; ++c) {
    std::vector<rg::rails::dialog::ChatMessage> messages;
    for (int t = 0; t < turns; ++t) {
      // A distinct first line per conversation, so the prefix cache does not
      // turn later conversations into cache hits.
      std::string text = lines[t % 5];
      if (t == 0) text += " #" + std::to_string(c);
      messages.push_back({"user", text});
      auto start = std::chrono::steady_clock::now();
      auto r = rails->generate(messages, {});
      double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      if (!r.error.empty()) ++errors;
      events += r.new_events.size();
      llm_calls += r.llm_calls.size();
      all.push_back(us);
      if (t == 0) first.push_back(us);
      if (t == turns - 1) last.push_back(us);
      messages.push_back(r.message);
    }
  }
  double total_us = 0;
  for (double v : all) total_us += v;
  std::printf("colang1_turn: %s, %d conversations x %d turns (setup %.1f ms)\n", dir.c_str(),
              conversations, turns, setup_ms);
  std::printf("| turns | median us | p90 us | p99 us | events/turn | LLM calls/turn | us/event | errors |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  std::printf("| all | %.1f | %.1f | %.1f | %.1f | %.2f | %.2f | %zu |\n", percentile(all, 0.5),
              percentile(all, 0.9), percentile(all, 0.99), double(events) / all.size(),
              double(llm_calls) / all.size(), total_us / events, errors);
  std::printf("| first | %.1f | %.1f | %.1f | | | | |\n", percentile(first, 0.5), percentile(first, 0.9),
              percentile(first, 0.99));
  std::printf("| last (%d) | %.1f | %.1f | %.1f | | | | |\n", turns, percentile(last, 0.5),
              percentile(last, 0.9), percentile(last, 0.99));
  return errors ? 1 : 0;
}
