// libFuzzer target: the whole Colang 1.0 pipeline on arbitrary source.
//
// Input: Colang 1.0 source, optionally followed by up to three user messages,
// each introduced by a line "%%" ("<source>\n%%\nhello\n%%\nbye"). Without a
// marker the user says "hello" once.
//
// The source is parsed (parse_colang_v1), loaded as a config
// (rails_config_from_content, no YAML, the LLM supplied here), and, when it
// loads without errors, DialogRailsV1 runs up to three generate() turns against
// a ReplayProvider with a fixed list of canned answers (an intent, a bot
// intent, a bot message, a yes/no check, repeated). generate() must never
// throw (it fails closed with GenerationResult::error), so anything thrown is
// a finding, as are crashes, sanitizer reports and hangs.
//
//   cmake --build build-fuzz --target runtime_v1_fuzz
//   build-fuzz/bin/runtime_v1_fuzz -max_total_time=600 -max_len=4096 -timeout=10 \
//     -dict=tests/fuzz/parse_v1_fuzz.dict tests/fuzz/corpus_v1
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colang/v1/parse_v1.h"
#include "llm/model_router.h"
#include "llm/providers/replay/replay_provider.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"

namespace {
constexpr size_t kMaxInput = 4096;
constexpr size_t kMaxTurns = 3;
constexpr std::string_view kMarker = "\n%%\n";

const std::vector<std::string>& canned_answers() {
  static const std::vector<std::string> answers = [] {
    const char* cycle[] = {"  express greeting", "bot express greeting", "  \"Hi\"", "  True",
                           "  ask question",     "  False",              "Hello there!"};
    std::vector<std::string> out;
    for (int i = 0; i < 12; ++i) {
      for (const char* a : cycle) out.emplace_back(a);
    }
    return out;
  }();
  return answers;
}

const std::vector<std::string>& library_flows() {
  static const std::vector<std::string> names = rg::rails::dialog::library_v1_flow_names();
  return names;
}

[[noreturn]] void escaped(const char* what, const std::string& detail) {
  std::fprintf(stderr, "runtime_v1_fuzz: %s escaped generate(): %s\n", what, detail.c_str());
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string_view source = input;
  std::vector<std::string> user_messages;
  size_t cut = input.find(kMarker);
  if (cut == std::string_view::npos) {
    user_messages.emplace_back("hello");
  } else {
    source = input.substr(0, cut);
    std::string_view rest = input.substr(cut + kMarker.size());
    while (user_messages.size() < kMaxTurns) {
      size_t next = rest.find(kMarker);
      user_messages.emplace_back(rest.substr(0, next));
      if (next == std::string_view::npos) break;
      rest = rest.substr(next + kMarker.size());
    }
  }
  std::string source_text(source);

  // The parser alone first (the loader runs it again; this keeps a parser
  // crash attributable).
  rg::colang::v1::ParseResult parsed = rg::colang::v1::parse_colang_v1(source_text, "fuzz.co");
  (void)parsed;

  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = library_flows();
  rg::rails::config::LoadResult loaded =
      rg::rails::config::rails_config_from_content(source_text, "", options);
  if (!loaded.ok()) return 0;

  std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>> by_type;
  by_type["main"] = std::make_shared<rg::llm::ReplayProvider>(canned_answers());
  auto router = std::make_shared<rg::llm::ModelRouter>(std::move(by_type));

  rg::rails::dialog::DialogOptions dialog_options;
  dialog_options.seed = 1;
  dialog_options.first_bot_message_variant = true;
  dialog_options.now = [] { return std::string("2026-01-01T00:00:00.000000+00:00"); };
  std::string error;
  auto rails = rg::rails::dialog::DialogRailsV1::create(loaded.config, router, dialog_options, &error);
  if (!rails) return 0;

  std::vector<rg::rails::dialog::ChatMessage> messages;
  for (const std::string& text : user_messages) {
    messages.push_back({"user", rg::colang::Value(text)});
    rg::rails::dialog::GenerationResult r;
    try {
      r = rails->generate(messages, {});
    } catch (const std::exception& e) {
      escaped("std::exception", e.what());
    } catch (...) {
      escaped("a non-std exception", "");
    }
    if (!r.error.empty()) break;
    messages.push_back(r.message);
  }
  return 0;
}
