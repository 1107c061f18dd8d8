// The typed config loader (rails/config/rails_config.h).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "rails/config/rails_config.h"

namespace fs = std::filesystem;
using rg::colang::Diagnostic;
using rg::colang::Value;
using namespace rg::rails::config;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/rg-rcfg-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
};

const Value* at(const rg::colang::Dict& d, const std::string& dotted) {
  const rg::colang::Dict* cur = &d;
  size_t pos = 0;
  while (true) {
    size_t dot = dotted.find('.', pos);
    const Value* v = cur->find(dotted.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
    if (!v || dot == std::string::npos) return v;
    if (!v->is_dict()) return nullptr;
    cur = &v->as_dict();
    pos = dot + 1;
  }
}

// The first error whose message contains `needle`, or nullptr.
const Diagnostic* find_error(const LoadResult& r, const std::string& needle) {
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::kError && d.message.find(needle) != std::string::npos)
      return &d;
  return nullptr;
}

std::string all(const LoadResult& r) {
  std::string s;
  for (const auto& d : r.diagnostics) s += d.render() + "\n";
  return s;
}

LoadOptions external_llm() {
  LoadOptions o;
  o.llm_supplied_externally = true;
  return o;
}
}  // namespace

TEST_CASE("an empty config gets every default, typed and in raw") {
  LoadResult r = rails_config_from_content("", "", external_llm());
  REQUIRE_MESSAGE(r.ok(), all(r));
  const RailsConfig& c = *r.config;
  CHECK(c.colang_version == "1.0");
  CHECK(c.prompting_mode == "standard");
  CHECK(c.lowest_temperature == doctest::Approx(0.001));
  CHECK_FALSE(c.enable_multi_step_generation);
  CHECK_FALSE(c.streaming);
  CHECK_FALSE(c.enable_rails_exceptions);
  CHECK_FALSE(c.passthrough.has_value());
  CHECK_FALSE(c.actions_server_url.has_value());
  CHECK(c.rails.input_flows.empty());
  CHECK_FALSE(c.rails.single_call.enabled);
  CHECK(c.rails.single_call.fallback_to_multiple_calls);
  CHECK_FALSE(c.rails.user_messages.embeddings_only);
  CHECK_FALSE(c.rails.user_messages.embeddings_only_similarity_threshold.has_value());
  REQUIRE(c.instructions.size() == 1);
  CHECK(c.instructions[0].type == "general");
  CHECK_FALSE(c.instructions[0].content.empty());
  CHECK(c.sample_conversation.find("user \"") == 0);
  CHECK(c.main_model() == nullptr);

  // `$config.rails.input.flows` is [] and every documented key exists.
  for (const char* key : {"rails.input.flows", "rails.output.flows", "rails.retrieval.flows"}) {
    const Value* v = at(c.raw, key);
    REQUIRE_MESSAGE(v, key);
    CHECK(v->is_list());
    CHECK(v->as_list().empty());
  }
  CHECK(at(c.raw, "enable_rails_exceptions")->is_bool());
  CHECK(at(c.raw, "rails.dialog.single_call.enabled")->is_bool());
  CHECK(at(c.raw, "rails.dialog.user_messages.embeddings_only_fallback_intent")->is_none());
  CHECK(at(c.raw, "rails.config.jailbreak_detection.length_per_perplexity_threshold")->as_number() ==
        doctest::Approx(89.79));
  CHECK(at(c.raw, "core.embedding_search_provider.name")->as_str() == "default");
  CHECK(at(c.raw, "knowledge_base.folder")->as_str() == "kb");
  CHECK(at(c.raw, "passthrough")->is_none());
  CHECK(at(c.raw, "instructions")->as_list().size() == 1);
  CHECK(at(c.raw, "sample_conversation")->as_str() == c.sample_conversation);
}

TEST_CASE("2.x defaults: v2 instruction and sample conversation, instant actions") {
  LoadResult r = rails_config_from_content("", "colang_version: \"2.x\"\n", external_llm());
  REQUIRE_MESSAGE(r.ok(), all(r));
  CHECK(r.config->colang_version == "2.x");
  CHECK(r.config->sample_conversation.find("user action: user said \"") == 0);
  CHECK(r.config->sample_conversation.find("bot action: bot say \"") != std::string::npos);
  const Value* instant = at(r.config->raw, "rails.actions.instant_actions");
  REQUIRE(instant);
  CHECK(instant->is_list());
}

TEST_CASE("typed fields read from YAML; user values win over defaults") {
  LoadResult r = rails_config_from_content(
      "",
      "models:\n"
      "  - type: main\n    engine: nim\n    model: meta/llama-3.1-8b-instruct\n"
      "    parameters: {base_url: http://x}\n"
      "instructions:\n  - type: general\n    content: Be brief.\n"
      "sample_conversation: |\n  user \"hi\"\n    express greeting\n"
      "lowest_temperature: 0.1\nstreaming: true\nenable_rails_exceptions: true\n"
      "actions_server_url: http://a\nprompting_mode: compact\nmy_key: 7\n"
      "rails:\n  input:\n    flows: [self check input]\n"
      "  dialog:\n    user_messages:\n      embeddings_only: true\n"
      "      embeddings_only_similarity_threshold: 0.75\n"
      "      embeddings_only_fallback_intent: ask general\n"
      "  config:\n    jailbreak_detection: {server_endpoint: http://j}\n",
      [] {
        LoadOptions o;
        o.library_flows = {"self check input"};
        return o;
      }());
  REQUIRE_MESSAGE(r.ok(), all(r));
  const RailsConfig& c = *r.config;
  REQUIRE(c.models.size() == 1);
  CHECK(c.models[0].engine == "nim");
  CHECK(c.models[0].model == "meta/llama-3.1-8b-instruct");
  CHECK(c.models[0].parameters.find("base_url")->as_str() == "http://x");
  CHECK(c.models[0].source.file == "config.yml");
  CHECK(c.models[0].source.line == 2);
  CHECK(c.main_model() == &c.models[0]);
  REQUIRE(c.instructions.size() == 1);
  CHECK(c.instructions[0].content == "Be brief.");
  CHECK(c.sample_conversation == "user \"hi\"\n  express greeting\n");
  CHECK(c.lowest_temperature == doctest::Approx(0.1));
  CHECK(c.streaming);
  CHECK(c.enable_rails_exceptions);
  CHECK(c.actions_server_url == "http://a");
  CHECK(c.prompting_mode == "compact");
  CHECK(c.custom_data.find("my_key")->as_int() == 7);
  CHECK(c.rails.input_flows == std::vector<std::string>{"self check input"});
  CHECK(c.rails.user_messages.embeddings_only);
  CHECK(*c.rails.user_messages.embeddings_only_similarity_threshold == doctest::Approx(0.75));
  CHECK(*c.rails.user_messages.embeddings_only_fallback_intent == "ask general");
  CHECK(c.rails.config.find("jailbreak_detection") != nullptr);
  // Defaults fill in around what the user wrote.
  CHECK(at(c.raw, "rails.config.jailbreak_detection.server_endpoint")->as_str() == "http://j");
  CHECK(at(c.raw, "rails.config.jailbreak_detection.prefix_suffix_perplexity_threshold") != nullptr);
  CHECK(at(c.raw, "rails.output.flows")->as_list().empty());
}

TEST_CASE("validation errors name file, field path and line") {
  struct Case {
    const char* yaml;
    const char* needle;  // in the message
    int line;
  };
  const Case cases[] = {
      {"models:\n  - type: main\n    engine: foo\n", "models[0].engine: unknown engine 'foo'", 3},
      {"rails:\n  input:\n    flows: self check input\n", "rails.input.flows: must be a list", 3},
      {"rails:\n  input:\n    flows:\n      - ok flow\n      - [1, 2]\n",
       "rails.input.flows[1]: must be a flow name", 5},
      {"lowest_temperature: cold\n", "lowest_temperature: must be a number", 1},
      {"x: 1\nstreaming: maybe\n", "streaming: must be true or false", 2},
      {"models:\n  type: main\n", "'models' must be a list", 2},
      {"models:\n  - type: main\n", "models[0].engine: a model needs an engine", 2},
      {"rails:\n  output:\n    flows: [no such flow]\n",
       "rails.output.flows[0]: no flow named 'no such flow'", 3},
      {"colang_version: \"3\"\n", "colang_version: must be", 1},
      {"passthrough: true\nrails:\n  dialog:\n    single_call: {enabled: true}\n",
       "passthrough mode cannot be used together with", 1},
  };
  for (const Case& k : cases) {
    CAPTURE(k.yaml);
    TempDir d;
    d.write("config.yml", std::string("colang_version: \"2.x\"\n") + k.yaml);
    LoadResult r = load_rails_config(d.path, external_llm());
    CHECK_FALSE(r.ok());
    const Diagnostic* e = find_error(r, k.needle);
    REQUIRE_MESSAGE(e, all(r));
    CHECK(e->file == (d.path / "config.yml").string());
    CHECK(e->line == k.line + 1);  // + the colang_version line
  }
}

TEST_CASE("rail flow names: params stripped, library flows, content safety exempt") {
  CHECK(rail_flow_base_name("content safety check input $model=shieldgemma") ==
        "content safety check input");
  CHECK(rail_flow_base_name("check x(a=1)") == "check x");
  CHECK(rail_flow_base_name("self check input") == "self check input");
  LoadOptions o = external_llm();
  o.library_flows = {"self check output"};
  LoadResult r = rails_config_from_content(
      "flow my check $text\n  pass\n",
      "colang_version: \"2.x\"\nrails:\n  input:\n    flows:\n      - my check $text=\"x\"\n"
      "      - content safety check input $model=guard\n  output:\n    flows: [self check output]\n",
      o);
  CHECK_MESSAGE(r.ok(), all(r));
}

TEST_CASE("missing models: a warning, none when the LLM is supplied externally") {
  auto warns = [](const LoadResult& r) {
    for (const auto& d : r.diagnostics)
      if (d.severity == Diagnostic::Severity::kWarning && d.message.find("main model") != std::string::npos)
        return true;
    return false;
  };
  LoadResult r = rails_config_from_content("", "streaming: false\n");
  CHECK(r.ok());
  CHECK(warns(r));
  LoadResult quiet = rails_config_from_content("", "streaming: false\n", external_llm());
  CHECK_FALSE(warns(quiet));
  LoadResult with = rails_config_from_content(
      "", "models:\n  - {type: embeddings, engine: openai}\n  - {type: main, engine: openai}\n");
  CHECK_FALSE(warns(with));
}

TEST_CASE("overrides update the typed field and raw; bad ones are refused") {
  LoadResult r = rails_config_from_content("", "", external_llm());
  RailsConfig c = *r.config;
  std::string why;
  REQUIRE(apply_override(c, "rails.dialog.single_call.enabled", Value(true), &why));
  CHECK(c.rails.single_call.enabled);
  CHECK(at(c.raw, "rails.dialog.single_call.enabled")->as_bool());
  REQUIRE(apply_override(c, "enable_rails_exceptions", Value(true)));
  CHECK(c.enable_rails_exceptions);
  REQUIRE(apply_override(c, "rails.input.flows", Value(rg::colang::List{Value("a")})));
  CHECK(c.rails.input_flows == std::vector<std::string>{"a"});
  CHECK_FALSE(apply_override(c, "lowest_temperature", Value("hot"), &why));
  CHECK(why.find("must be a number") != std::string::npos);
  CHECK(c.lowest_temperature == doctest::Approx(0.001));
  CHECK(at(c.raw, "lowest_temperature")->as_number() == doctest::Approx(0.001));
  CHECK_FALSE(apply_override(c, "streaming.x", Value(1), &why));

  // Through LoadOptions, before validation: passthrough + single_call is caught.
  LoadOptions o = external_llm();
  o.overrides = {{"rails.dialog.single_call.enabled", Value(true)}};
  LoadResult both = rails_config_from_content("", "passthrough: true\n", o);
  CHECK(find_error(both, "passthrough mode") != nullptr);
}

TEST_CASE("kb documents, .railsignore and sorted YAML order") {
  TempDir d;
  d.write("config.yml", "colang_version: \"2.x\"\nmodels: []\n");
  d.write("b.yml", "prompting_mode: b\n");
  d.write("a.yml", "prompting_mode: a\n");
  d.write("skip.yml", "streaming: true\n");
  d.write(".railsignore", "skip.yml\n");
  d.write("main.co", "flow main\n  pass\n");
  d.write("kb/faq.md", "# FAQ\nanswer\n");
  d.write("kb/sub/more.md", "more\n");
  d.write("kb/notes.txt", "not markdown\n");
  LoadResult r = load_rails_config(d.path, external_llm());
  REQUIRE_MESSAGE(r.ok(), all(r));
  const RailsConfig& c = *r.config;
  CHECK(c.prompting_mode == "b");  // a.yml, b.yml, config.yml: b is the last to set it
  CHECK_FALSE(c.streaming);
  REQUIRE(c.kb_docs.size() == 2);
  CHECK(c.kb_docs[0].path == "kb/faq.md");
  CHECK(c.kb_docs[0].content == "# FAQ\nanswer\n");
  CHECK(c.kb_docs[1].path == "kb/sub/more.md");
  REQUIRE(c.v2_files.size() == 1);
  CHECK(c.v2_files[0].flows.at(0).name == "main");
}

TEST_CASE("2.x: 1.0-looking files are skipped with a note; import_paths load") {
  TempDir d, lib;
  lib.write("extra.co", "flow extra check\n  pass\n");
  lib.write("config.yml", "prompting_mode: from_lib\nstreaming: true\n");
  d.write("config.yml", "colang_version: \"2.x\"\nimport_paths: [\"" + lib.path.string() +
                            "\"]\nrails:\n  input:\n    flows: [extra check]\n");
  d.write("main.co", "flow main\n  pass\n");
  d.write("old.co", "define user express greeting\n  \"hi\"\n");
  LoadResult r = load_rails_config(d.path, external_llm());
  REQUIRE_MESSAGE(r.ok(), all(r));
  CHECK(r.config->v2_files.size() == 2);
  CHECK(r.config->prompting_mode == "from_lib");  // the imported folder's YAML is merged
  CHECK(r.config->streaming);
  bool noted = false;
  for (const auto& x : r.diagnostics) noted |= x.message.find("looks like Colang 1.0") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("1.0: YAML user_messages and bot_messages reach the document") {
  LoadResult r = rails_config_from_content(
      "", "user_messages:\n  express greeting: [\"hi\", \"hello\"]\nbot_messages:\n  express greeting: [\"Hey!\"]\n",
      external_llm());
  REQUIRE_MESSAGE(r.ok(), all(r));
  REQUIRE(r.config->v1.user_messages.size() == 1);
  CHECK(r.config->v1.user_messages[0].second.size() == 2);
  REQUIRE(r.config->v1.bot_messages.size() == 1);
  CHECK(r.config->v1.bot_messages[0].second[0].text == "Hey!");
}

#ifdef RG_CONFORMANCE_DIR
TEST_CASE("the conformance corpus configs load") {
  fs::path root = fs::path(RG_CONFORMANCE_DIR) / "configs";
  if (!fs::is_directory(root)) {
    MESSAGE("conformance corpus not found at " << root << "; skipped");
    return;
  }
  TempDir repo;
  fs::create_directories(repo.path / "tests");
  fs::create_directory_symlink(root, repo.path / "tests" / "test_configs");
  for (const char* name : {"game", "general", "multi_step_generation", "guardrails_1",
                           "hello_world_1", "hello_world_2", "hello_world_3", "mvp_v2_x",
                           "mvp_v2_x_b", "mvp_v2_x_c", "mvp_v2_x_d", "mvp_v2_x_e",
                           "system_variable_access_v2", "with_custom_action_v2_x",
                           "with_imports_1"}) {
    CAPTURE(name);
    if (!fs::is_directory(root / name)) continue;
    // mvp_v2_x_e imports "tests/test_configs/mvp_v2_x_d", a path of the
    // reference's repository: make it resolve through the search path.
    LoadOptions o = external_llm();
    o.colang.search_path.push_back(repo.path);
    LoadResult r = load_rails_config(root / name, o);
    CHECK_MESSAGE(r.ok(), all(r));
    bool v1 = std::string(name) == "game" || std::string(name) == "general" ||
              std::string(name) == "multi_step_generation";
    CHECK(r.config->colang_version == (v1 ? "1.0" : "2.x"));
  }
}
#endif
