// tests/unit/llm/local_provider_test.cc: engine `local` (llm/providers/local/)
// on the CPU with a tiny random HF model the test writes (2 layers, vocab 300,
// byte-level BPE, ChatML template): determinism per seed, max_tokens, stop
// strings cut while streaming, the chat template, n, concurrent calls, the
// session pool after a throwing callback, and errors that name the path and
// the numbers.
#include "llm/providers/local/local_provider.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "kernels/ops.h"
#include "llm/local/model_loader.h"
#include "llm/local/tokenizer/tokenizer.h"
#include "llm/providers/local/stop_strings.h"
#include "llm/registry.h"
#include "tests/unit/llm/local_model_test_util.h"

using nlohmann::json;
using rg::llm::Completion;
using rg::llm::ErrorCode;
using rg::llm::LlmParams;
using rg::llm::LlmRequest;
using rg::llm::Message;
using rg::llm::Provider;
using rg::llm::ProviderSettings;
using rg::llm::local::StopStringFilter;
using rg::test::TmpDir;

namespace {

constexpr const char* kChatmlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
    "{% endif %}";

// The shared tiny model with ChatML's two specials in place of two padding
// tokens (ids 295, 296), so the template's markers are single tokens.
std::string write_chatml_model(const TmpDir& d, const std::string& name = "tiny",
                               const std::string& chat_template = kChatmlTemplate) {
  rg::test::TinyModelSpec spec;
  spec.chat_template = chat_template;
  const std::string dir = d / name;
  rg::test::write_tiny_hf(dir, spec, 11);
  json tok = rg::test::tiny_tokenizer_json();
  json& vocab = tok["model"]["vocab"];
  int id = 295;
  for (const char* t : {"<|im_start|>", "<|im_end|>"}) {
    vocab.erase("<pad" + std::to_string(id) + ">");
    vocab[t] = id;
    tok["added_tokens"].push_back({{"id", id++}, {"content", t}, {"special", true}, {"normalized", false},
                                   {"lstrip", false}, {"rstrip", false}, {"single_word", false}});
  }
  rg::test::write_file(dir + "/tokenizer.json", tok.dump());
  return dir;
}

std::shared_ptr<Provider> make(const std::string& path, json params = json::object()) {
  params["device"] = "cpu";
  if (!params.contains("threads")) params["threads"] = 1;
  auto p = rg::llm::make_provider("local", ProviderSettings{path, "", params});
  REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
  return p.value();
}

std::string make_error(const std::string& path, json params = json::object()) {
  auto p = rg::llm::make_provider("local", ProviderSettings{path, "", params});
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == ErrorCode::kBadConfig);
  return p.error().message;
}

LlmParams max(int n) {
  LlmParams p;
  p.max_tokens = n;
  return p;
}

Completion complete(Provider& p, const std::string& prompt, const LlmParams& params) {
  auto r = p.complete("general", prompt, params);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return r.value();
}

std::string finish_reason(const Completion& c) { return json::parse(c.raw_response).at("finish_reason"); }

}  // namespace

TEST_CASE("StopStringFilter: holds back possible starts, cuts at the first match across pieces") {
  StopStringFilter f({"\nUser:", "END", ""});
  std::string out = f.push("Hi!\nUs");
  CHECK(out == "Hi!");
  out += f.push("e");
  CHECK(out == "Hi!");
  out += f.push("r: more");
  CHECK(f.stopped());
  CHECK(out == "Hi!");
  CHECK(f.push("anything") == "");
  CHECK(f.finish() == "");

  StopStringFilter g({"END"});
  CHECK(g.push("aEN") == "a");
  CHECK(g.push("x") == "ENx");  // the held-back start did not continue into a match
  CHECK(g.push("E") == "");
  CHECK(g.finish() == "E");
  CHECK_FALSE(g.stopped());

  StopStringFilter none({});
  CHECK(none.push("abc") == "abc");
  CHECK(none.finish() == "");
}

TEST_CASE("a completion: deterministic for a seed, max_tokens respected, metadata filled") {
  TmpDir d;
  const std::string path = write_chatml_model(d);
  auto greedy = make(path);
  CHECK(greedy->engine() == "local");

  const Completion a = complete(*greedy, "hello world", max(12));
  const Completion b = complete(*greedy, "hello world", max(12));
  CHECK(a.text == b.text);
  CHECK(a.prompt_tokens > 0);
  CHECK(a.completion_tokens >= 1);
  CHECK(a.completion_tokens <= 12);
  if (finish_reason(a) == "length") CHECK(a.completion_tokens == 12);
  CHECK(a.model == path);
  CHECK(a.total_tokens == a.prompt_tokens + a.completion_tokens);
  CHECK(a.duration_ms > 0);
  CHECK(json::parse(a.raw_response).at("device").get<std::string>().rfind("cpu", 0) == 0);

  // A shorter run is a prefix of a longer one (greedy).
  for (int n : {1, 3, 7}) {
    const Completion c = complete(*greedy, "hello world", max(n));
    CHECK(c.completion_tokens <= n);
    CHECK(a.text.rfind(c.text, 0) == 0);
  }

  // Sampling: the same seed gives the same text; another seed, another text.
  auto s5 = make(path, {{"temperature", 0.9}, {"seed", 5}, {"max_tokens", 24}});
  auto s5b = make(path, {{"temperature", 0.9}, {"seed", 5}, {"max_tokens", 24}});
  auto s6 = make(path, {{"temperature", 0.9}, {"seed", 6}, {"max_tokens", 24}});
  const std::string t5 = complete(*s5, "hello", {}).text;
  CHECK(complete(*s5, "hello", {}).text == t5);
  CHECK(complete(*s5b, "hello", {}).text == t5);
  CHECK(complete(*s6, "hello", {}).text != t5);
  // LlmParams.temperature 0 overrides the configured one: greedy.
  LlmParams cold = max(12);
  cold.temperature = 0.0;
  CHECK(complete(*s5, "hello world", cold).text == a.text);

  // n = 2 with sampling: two answers from seeds 5 and 6.
  LlmParams two;
  two.n = 2;
  const Completion pair = complete(*s5, "hello", two);
  REQUIRE(pair.choices.size() == 2);
  CHECK(pair.choices[0] == t5);
  CHECK(pair.choices[1] == complete(*s6, "hello", {}).text);
}

TEST_CASE("streaming: chunks concatenate to the text; stop strings are cut and never streamed") {
  TmpDir d;
  auto p = make(write_chatml_model(d));
  std::vector<std::string> chunks;
  LlmRequest req{"general", "hello world", {}, max(32)};
  auto full = p->generate(req, [&](std::string_view s) { chunks.emplace_back(s); });
  REQUIRE(full.ok());
  const std::string text = full.value().text;
  std::string joined;
  for (const auto& c : chunks) joined += c;
  CHECK(joined == text);
  REQUIRE_MESSAGE(text.size() >= 6, "the tiny model stopped early: '" << text << "'");
  CHECK(chunks.size() > 1);

  // A stop string taken from the middle of the answer.
  const std::string stop = text.substr(text.size() / 2, 3);
  const std::string expected = text.substr(0, text.find(stop));
  req.params.stop = {"never-generated", stop};
  chunks.clear();
  auto cut = p->generate(req, [&](std::string_view s) { chunks.emplace_back(s); });
  REQUIRE(cut.ok());
  CHECK(cut.value().text == expected);
  joined.clear();
  for (const auto& c : chunks) joined += c;
  CHECK(joined == expected);
  CHECK(finish_reason(cut.value()) == "stop");
  CHECK(cut.value().completion_tokens < full.value().completion_tokens);
}

TEST_CASE("chat requests go through the chat template") {
  TmpDir d;
  const std::string path = write_chatml_model(d);
  auto p = make(path, {{"max_tokens", 8}});
  const std::vector<Message> messages = {{"system", "Be brief."}, {"user", "hello"}};
  auto r = p->chat("general", messages, {});
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));

  auto model = rg::llm::local::load_model(path);
  REQUIRE(model->chat_template.name() == "chatml");
  auto tok = rg::llm::local::Tokenizer::create(model->tokenizer);
  const std::string rendered = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhello<|im_end|>\n"
                               "<|im_start|>assistant\n";
  CHECK(model->chat_template.render({{"system", "Be brief."}, {"user", "hello"}}, true) == rendered);
  const auto ids = tok->encode(rendered, false, true);
  CHECK(std::count(ids.begin(), ids.end(), 295) == 3);  // <|im_start|> is one token
  CHECK(r.value().prompt_tokens == static_cast<int>(ids.size()));
  // A completion of the same text counts the markers as tokens too, BOS-free
  // here (this tokenizer adds none).
  CHECK(complete(*p, rendered, {}).prompt_tokens == static_cast<int>(ids.size()));

  // A model without a template cannot chat unless one is named.
  const std::string bare = write_chatml_model(d, "bare", "");
  auto no_template = make(bare);
  auto e = no_template->chat("general", messages, {});
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == ErrorCode::kBadConfig);
  CHECK(e.error().message.find(bare) != std::string::npos);
  CHECK(e.error().message.find("parameters.chat_template") != std::string::npos);
  auto named = make(bare, {{"chat_template", "chatml"}, {"max_tokens", 8}});
  auto ok = named->chat("general", messages, {});
  REQUIRE(ok.ok());
  CHECK(ok.value().prompt_tokens == static_cast<int>(ids.size()));
}

TEST_CASE("calls from 4 threads give what sequential calls give") {
  TmpDir d;
  auto p = make(write_chatml_model(d), {{"temperature", 0.8}, {"seed", 3}, {"max_tokens", 16}});
  const std::vector<std::string> prompts = {"hello", "world", "hello world", "or"};
  std::vector<std::string> sequential;
  for (const auto& prompt : prompts) sequential.push_back(complete(*p, prompt, {}).text);

  std::vector<std::vector<std::string>> got(prompts.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < prompts.size(); ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 5; ++k) {
        auto r = p->complete("general", prompts[(t + k) % prompts.size()], {});
        got[t].push_back(r.ok() ? r.value().text : "error: " + r.error().message);
      }
    });
  for (auto& th : threads) th.join();
  for (std::size_t t = 0; t < prompts.size(); ++t)
    for (int k = 0; k < 5; ++k) CHECK(got[t][k] == sequential[(t + k) % prompts.size()]);
}

TEST_CASE("a throwing callback leaves generate(); the next call still works") {
  TmpDir d;
  auto p = make(write_chatml_model(d), {{"max_tokens", 16}});
  const std::string before = complete(*p, "hello", {}).text;
  LlmRequest req{"general", "hello", {}, {}};
  CHECK_THROWS_AS(p->generate(req, [](std::string_view) { throw std::runtime_error("client gone"); }),
                  std::runtime_error);
  CHECK(complete(*p, "hello", {}).text == before);
}

TEST_CASE("errors name the model path, the parameter and the numbers") {
  TmpDir d;
  const std::string missing = d / "nope.gguf";
  std::string e = make_error(missing, {{"device", "cpu"}});
  CHECK(e.find(missing) != std::string::npos);
  CHECK(e.find("no such file") != std::string::npos);

  CHECK(make_error("").find("no model") != std::string::npos);
  CHECK(make_error(missing, {{"device", "tpu"}}).find("parameters.device") != std::string::npos);
  e = make_error(missing, {{"dtype", "float8"}});
  CHECK(e.find("parameters.dtype: expected auto, bfloat16 or float16, got \"float8\"") != std::string::npos);
  CHECK(make_error(missing, {{"temprature", 1}}).find("parameters.temprature: unknown parameter") !=
        std::string::npos);
  CHECK(make_error(missing, {{"chat_template", "vicuna"}}).find("known: auto, llama3") != std::string::npos);
  CHECK(make_error(missing, {{"max_tokens", 0}}).find("parameters.max_tokens") != std::string::npos);

  // Not a model: a folder without config.json.
  rg::test::write_file(d / "empty/readme.txt", "x");
  e = make_error(d / "empty", {{"device", "cpu"}});
  CHECK(e.find(d / "empty") != std::string::npos);
  CHECK(e.find("cannot load") != std::string::npos);

  const std::string path = write_chatml_model(d);
  // dtype is the GPU engine's; every spelling it documents is accepted.
  for (const char* t : {"auto", "bfloat16", "bf16", "float16", "fp16", "half"})
    CHECK(make(path, {{"device", "cpu"}, {"dtype", t}}) != nullptr);
  e = make_error(path, {{"device", "cpu"}, {"context", 4096}});
  CHECK(e.find("context 4096 exceeds the model's max_positions 2048") != std::string::npos);

  // A prompt longer than the context.
  auto small = make(path, {{"context", 16}});
  auto r = small->complete("general", std::string(40, 'x'), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::kProvider);
  CHECK(r.error().message.find(path) != std::string::npos);
  CHECK(r.error().message.find("prompt of 40 tokens does not fit the context of 16 tokens") !=
        std::string::npos);
  // A prompt that just fits still gets its one token, then stops for length.
  auto edge = small->complete("general", std::string(16, 'x'), max(8));
  REQUIRE(edge.ok());
  CHECK(edge.value().completion_tokens == 1);
}

TEST_CASE("device auto without a GPU: the CPU, with a one-line notice") {
  if (rg_cuda_device_count() > 0) {
    MESSAGE("SKIPPED: a GPU is visible");
    return;
  }
  TmpDir d;
  rg::llm::local::LocalSettings s;
  s.model_path = write_chatml_model(d);
  s.threads = 1;
  std::vector<std::string> notices;
  auto e = rg::llm::local::LocalEngine::open(s, [&](const std::string& l) { notices.push_back(l); });
  REQUIRE(e.ok());
  CHECK(e.value()->describe().rfind("cpu", 0) == 0);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].find("running on the CPU") != std::string::npos);

  s.device = rg::llm::local::Device::kCuda;  // asked for explicitly: an error, not a fallback
  auto cuda = rg::llm::local::LocalEngine::open(s, [&](const std::string& l) { notices.push_back(l); });
  REQUIRE_FALSE(cuda.ok());
  CHECK(cuda.error().message.find("device cuda") != std::string::npos);
}
