// Streaming output rails (Colang 1.0, rails.output.streaming): the bot
// message streams from the LLM, each chunk of chunk_size words is checked by
// the output rails (here `detect sensitive data on output`, no LLM) and
// released to GenerationOptions::on_chunk; a block stops the stream.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "llm/model_router.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/rails_v1.h"

using namespace rg::rails::dialog;

namespace {

const char* kColang = R"(
define user ask question
  "what can you tell me"

define flow
  user ask question
  bot answer question
)";

// Answers the intent task at once and streams the bot message word by word.
class FakeStreamingLlm final : public rg::llm::LlmClient {
 public:
  explicit FakeStreamingLlm(std::string answer) : answer_(std::move(answer)) {}
  rg::llm::Result<rg::llm::Completion> complete(std::string_view task, std::string_view prompt,
                                                const rg::llm::LlmParams& params) override {
    return generate(rg::llm::LlmRequest{std::string(task), std::string(prompt), {}, params}, {});
  }
  rg::llm::Result<rg::llm::Completion> generate(const rg::llm::LlmRequest& request,
                                                const rg::llm::ChunkCallback& on_chunk) override {
    rg::llm::Completion c;
    if (request.task != "generate_bot_message") {
      c.text = "  ask question";
      return c;
    }
    // Pieces: each word with the whitespace before it.
    std::vector<std::string> pieces;
    size_t i = 0;
    while (i < answer_.size()) {
      size_t j = i;
      while (j < answer_.size() && answer_[j] == ' ') ++j;
      while (j < answer_.size() && answer_[j] != ' ') ++j;
      pieces.push_back(answer_.substr(i, j - i));
      i = j;
    }
    total = pieces.size();
    consumed = 0;
    for (const auto& p : pieces) {
      ++consumed;
      c.text += p;
      if (on_chunk) on_chunk(p);
    }
    return c;
  }
  size_t total = 0, consumed = 0;

 private:
  std::string answer_;
};

struct Built {
  std::shared_ptr<FakeStreamingLlm> llm;
  std::shared_ptr<const DialogRailsV1> rails;
};

Built build(const std::string& streaming, const std::string& answer) {
  std::string yaml = R"(
rails:
  output:
    flows: [detect sensitive data on output]
)" + streaming + R"(
  config:
    sensitive_data_detection:
      output:
        entities: [US_SSN]
)";
  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = library_v1_flow_names();
  auto loaded = rg::rails::config::rails_config_from_content(kColang, yaml, options);
  std::string diagnostics;
  for (const auto& d : loaded.diagnostics) diagnostics += d.render() + "\n";
  INFO(diagnostics);
  REQUIRE(loaded.ok());
  Built b;
  b.llm = std::make_shared<FakeStreamingLlm>(answer);
  auto router = std::make_shared<rg::llm::ModelRouter>(
      std::map<std::string, std::shared_ptr<rg::llm::LlmClient>, std::less<>>{{"main", b.llm}});
  DialogOptions dialog_options;
  dialog_options.seed = 1;
  dialog_options.indexing.log = [](const std::string&) {};
  std::string error;
  b.rails = DialogRailsV1::create(loaded.config, router, dialog_options, &error);
  REQUIRE_MESSAGE(b.rails, error);
  return b;
}

const char* kStreaming = R"(    streaming:
      enabled: true
      chunk_size: 4
      context_size: 2
)";

struct Run {
  GenerationResult result;
  std::vector<std::string> chunks;
};

Run run(const Built& b, bool stream = true) {
  Run r;
  GenerationOptions options;
  options.log_activated_rails = true;
  if (stream) {
    options.on_chunk = [&r](std::string_view c) {
      r.chunks.emplace_back(c);
      return true;
    };
  }
  r.result = b.rails->generate({{"user", rg::colang::Value("what can you tell me")}}, options);
  return r;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& c : v) s += c;
  return s;
}

size_t output_checks(const GenerationResult& r) {
  size_t n = 0;
  for (const auto& a : r.activated_rails)
    if (a.type == "output" && a.name == "detect sensitive data on output") ++n;
  return n;
}

const std::string kClean = "  \"one two three four five six seven eight nine ten\"";
const std::string kSsn =
    "  \"one two three four five six seven eight the ssn is 536-22-8104 and more words come here\"";

}  // namespace

TEST_CASE("streaming output rails: a clean answer streams chunk by chunk") {
  auto b = build(kStreaming, kClean);
  Run r = run(b);
  INFO(r.result.error);
  REQUIRE(r.result.message.content.is_str());
  CHECK(r.result.message.content.as_str() == "one two three four five six seven eight nine ten");
  CHECK(r.result.streamed);
  CHECK(r.result.stream_error.empty());
  REQUIRE(r.chunks.size() == 3);
  CHECK(r.chunks[0] == "one two three four ");
  CHECK(r.chunks[1] == "five six seven eight ");
  CHECK(r.chunks[2] == "nine ten");
  CHECK(joined(r.chunks) == r.result.message.content.as_str());
  // One check per chunk, and no re-check of the whole message.
  CHECK(output_checks(r.result) == 3);
  CHECK(b.llm->consumed == b.llm->total);
}

TEST_CASE("streaming output rails: a blocked chunk stops the stream") {
  auto b = build(kStreaming, kSsn);
  Run r = run(b);
  REQUIRE(r.result.message.content.is_str());
  CHECK(r.result.message.content.as_str() == "I don't know the answer to that.");
  CHECK(r.result.streamed);
  CHECK(r.result.stream_error.find("detect sensitive data on output") != std::string::npos);
  // stream_first: the third chunk went out before its check blocked it.
  REQUIRE(r.chunks.size() == 3);
  CHECK(r.chunks[0] == "one two three four ");
  CHECK(r.chunks[1] == "five six seven eight ");
  CHECK(output_checks(r.result) == 3);
  CHECK(b.llm->consumed < b.llm->total);
}

TEST_CASE("streaming output rails: stream_first false never releases a blocked chunk") {
  auto b = build(std::string(kStreaming) + "      stream_first: false\n", kSsn);
  Run r = run(b);
  REQUIRE(r.result.message.content.is_str());
  CHECK(r.result.message.content.as_str() == "I don't know the answer to that.");
  REQUIRE(r.chunks.size() == 2);
  CHECK(joined(r.chunks) == "one two three four five six seven eight ");
  CHECK(joined(r.chunks).find("536-22-8104") == std::string::npos);
  CHECK_FALSE(r.result.stream_error.empty());
  CHECK(b.llm->consumed < b.llm->total);
}

TEST_CASE("streaming output rails: disabled, or no on_chunk, the turn is unchanged") {
  auto off = build("", kSsn);
  Run r = run(off);
  CHECK(r.chunks.empty());
  CHECK_FALSE(r.result.streamed);
  REQUIRE(r.result.message.content.is_str());
  CHECK(r.result.message.content.as_str() == "I don't know the answer to that.");
  CHECK(output_checks(r.result) == 1);

  auto on = build(kStreaming, kClean);
  Run plain = run(on, false);
  CHECK_FALSE(plain.result.streamed);
  CHECK(plain.result.message.content.as_str() == "one two three four five six seven eight nine ten");
  CHECK(output_checks(plain.result) == 1);
}

TEST_CASE("streaming output rails: config errors name the field") {
  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  options.library_flows = library_v1_flow_names();
  auto loaded = rg::rails::config::rails_config_from_content(
      kColang, "rails:\n  output:\n    streaming:\n      chunk_size: many\n      stream_first: 3\n", options);
  std::string all;
  for (const auto& d : loaded.diagnostics) all += d.render() + "\n";
  CHECK_FALSE(loaded.ok());
  CHECK(all.find("rails.output.streaming.chunk_size") != std::string::npos);
  CHECK(all.find("rails.output.streaming.stream_first") != std::string::npos);
  auto good = rg::rails::config::rails_config_from_content(
      kColang, "rails:\n  output:\n    streaming:\n      enabled: true\n", options);
  REQUIRE(good.ok());
  CHECK(good.config->rails.output_streaming.enabled);
  CHECK(good.config->rails.output_streaming.chunk_size == 200);
  CHECK(good.config->rails.output_streaming.context_size == 50);
  CHECK(good.config->rails.output_streaming.stream_first);
}
