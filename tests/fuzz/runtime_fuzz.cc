// libFuzzer target: the whole Colang 2.x pipeline on arbitrary source.
//
// Parses the input, builds a flow library and, when it defines `main`, runs a
// short conversation with small budgets: StartFlow(main), a user utterance,
// the bot utterance answers the host would send, and a few custom events.
// Anything but a clean run or a reported error (diagnostics, ColangError
// events, RuntimeBudgetExceeded) is a finding: a crash, a sanitizer report,
// an escaping exception, a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "colang/parse.h"
#include "runtime/runtime.h"

namespace {
constexpr size_t kMaxInput = 4096;

rg::colang::Dict event(const char* type) {
  rg::colang::Dict d;
  d.set("type", type);
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string_view source(reinterpret_cast<const char*>(data), size);
  rg::colang::ParseResult parsed = rg::colang::parse_colang(source, "fuzz.co");
  if (!parsed.ok()) return 0;
  auto built = rg::runtime::FlowLibrary::build({parsed.file});
  if (!built.library || !built.library->find("main")) return 0;

  rg::runtime::StateOptions options;
  options.max_slide_steps = 2000;
  options.max_internal_events = 20000;
  options.max_live_flows = 300;
  auto state = rg::runtime::new_state(built.library, options);
  try {
    std::vector<rg::colang::Dict> inputs;
    inputs.push_back(rg::runtime::start_flow_event("main"));
    rg::colang::Dict said = event("UtteranceUserActionFinished");
    said.set("final_transcript", "hi");
    inputs.push_back(said);
    for (const char* name : {"Event1", "Event2", "WaitEvent"}) inputs.push_back(event(name));
    for (size_t i = 0; i < inputs.size() && i < 32; ++i) {
      std::vector<rg::colang::Dict> out = rg::runtime::run_to_completion(*state, inputs[i]);
      // Answer bot utterances as a host would.
      for (const auto& o : out) {
        const rg::colang::Value* type = o.find("type");
        const rg::colang::Value* uid = o.find("action_uid");
        if (type && type->is_str() && type->as_str() == "StartUtteranceBotAction" && uid) {
          rg::colang::Dict done = event("UtteranceBotActionFinished");
          done.set("action_uid", *uid);
          done.set("final_script", "x");
          inputs.push_back(std::move(done));
        }
      }
    }
  } catch (const rg::runtime::RuntimeBudgetExceeded&) {
    // A reported, bounded failure.
  }
  return 0;
}
