// rails: what the regex-based safety rails add to a Colang 1.0 turn.
//
// One config, run twice over the same user messages with an instant fake LLM
// (no I/O): without rails, and with three rails that need no LLM —
// `detect sensitive data on input`, `detect sensitive data on output` and
// `injection detection` (output). The bot answer is generated (predefined
// answers skip output rails), so every turn runs all three. Prints the
// median and p99 turn time of both and the difference: what the rails cost.
// Target (issue 6): < 100 us median added. There is no hardware limit to
// report a fraction of: the work is regex matching on short strings.
//
//   build/bin/rails [TURNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "llm/model_router.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"

namespace {

class InstantLlm final : public rg::llm::LlmClient {
 public:
  rg::llm::Result<rg::llm::Completion> complete(std::string_view task, std::string_view,
                                                 const rg::llm::LlmParams&) override {
    rg::llm::Completion c;
    if (task == "generate_user_intent") c.text = "  ask about card problem";
    else c.text = "  \"Please call the number on the back of your card, or visit any branch; we will reverse a duplicate charge within five working days.\"";
    return c;
  }
};

const char* kColang = R"(
define user ask about card problem
  "my card was charged twice"
  "there is a payment on my card I don't recognise"

define flow card problem
  user ask about card problem
  bot help with card problem
)";

const char* kRailsYaml = R"(
rails:
  input:
    flows:
      - detect sensitive data on input
  output:
    flows:
      - detect sensitive data on output
      - injection detection
  config:
    sensitive_data_detection:
      input:
        entities: [CREDIT_CARD, US_SSN, IBAN_CODE, EMAIL_ADDRESS, PHONE_NUMBER]
      output:
        entities: [CREDIT_CARD, US_SSN, IBAN_CODE, EMAIL_ADDRESS, PHONE_NUMBER]
    injection_detection:
      injections: [code, sqli, template, xss]
      action: reject
)";

const std::vector<std::string> kMessages = {
    "my card was charged twice yesterday at the grocery store, can you help?",
    "there is a payment of 49.99 on my card that I do not recognise from last week",
    "hello, I think someone used my debit card online, what should I do now?",
    "why was my card declined at the petrol station this morning? I had money on it",
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1) + 0.5)];
}

// Median and p99 microseconds of a turn for `yaml`; -1 on a config error.
std::pair<double, double> run(const std::string& yaml, int turns) {
  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = rg::rails::dialog::library_v1_flow_names();
  auto loaded = rg::rails::config::rails_config_from_content(kColang, yaml, options);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.render().c_str());
    return {-1, -1};
  }
  auto router = std::make_shared<rg::llm::ModelRouter>(
      std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>>{{"main", std::make_shared<InstantLlm>()}});
  rg::rails::dialog::DialogOptions dialog_options;
  dialog_options.seed = 1;
  dialog_options.indexing.log = [](const std::string&) {};
  std::string error;
  auto rails = rg::rails::dialog::DialogRailsV1::create(loaded.config, router, dialog_options, &error);
  if (!rails) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return {-1, -1};
  }
  std::vector<double> us;
  for (int i = 0; i < turns; ++i) {
    std::vector<rg::rails::dialog::ChatMessage> messages = {
        {"user", rg::colang::Value(kMessages[static_cast<size_t>(i) % kMessages.size()])}};
    auto start = std::chrono::steady_clock::now();
    auto result = rails->generate(messages, {});
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (!result.error.empty()) {
      std::fprintf(stderr, "turn failed: %s\n", result.error.c_str());
      return {-1, -1};
    }
  }
  // The first turns warm caches; drop a tenth.
  us.erase(us.begin(), us.begin() + static_cast<std::ptrdiff_t>(us.size() / 10));
  return {percentile(us, 0.5), percentile(us, 0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  const int turns = argc > 1 ? std::atoi(argv[1]) : 2000;
  auto [base50, base99] = run("models: []\n", turns);
  auto [rails50, rails99] = run(std::string("models: []\n") + kRailsYaml, turns);
  if (base50 < 0 || rails50 < 0) return 1;
  std::printf("%-44s %10s %10s\n", "turn (instant LLM, 4 messages)", "p50 us", "p99 us");
  std::printf("%-44s %10.1f %10.1f\n", "no rails", base50, base99);
  std::printf("%-44s %10.1f %10.1f\n", "PII input + PII output + injection output", rails50, rails99);
  std::printf("%-44s %10.1f %10s\n", "added by the three rails", rails50 - base50, "");
  std::printf("target: < 100 us median added -> %s\n", rails50 - base50 < 100 ? "met" : "NOT met");
  return 0;
}
