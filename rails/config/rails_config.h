// The typed guardrails config (spec product.md 1.1-1.4): what a config folder
// (or a pair of Colang/YAML strings) says, loaded once, validated, and then
// shared read-only by every session:
//
//   LoadResult r = load_rails_config("examples/bots/abc", options);
//   if (!r.ok()) { for (auto& d : r.diagnostics) std::cerr << d.render() << "\n"; ... }
//   std::shared_ptr<const RailsConfig> config = r.config;
//   config->rails.input_flows;                  // typed fields
//   config->raw.find("rails");                  // `$config` as flows see it
//
// Loading never throws: every problem is a Diagnostic naming the file, the
// field path (e.g. "rails.input.flows[1]") and the line. A config is returned
// even when there are errors (as far as it could be read), so a caller like
// `railguard check` can report everything at once; do not run one that is not
// ok().
//
// Files are read in **sorted path order** (YAML: yaml_merge.h; Colang: the
// same), not the reference's file-system order, so that merging and "first
// flow definition wins" are the same on every machine.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "colang/ast.h"
#include "colang/diagnostic.h"
#include "colang/v1/document.h"
#include "colang/value.h"
#include "rails/config/colang_loader.h"

namespace rg::rails::config {

struct ConfigLocation {
  std::string file;
  int line = 0, column = 0;  // 1-based; 0 = unknown
};

// One `models:` entry.
struct ModelConfig {
  std::string type;    // "main", "embeddings", "self_check_input", ...
  std::string engine;  // "openai", "nim", ...
  std::string model;   // "" when not given (it may sit in parameters.model / model_name)
  colang::Dict parameters;
  ConfigLocation source;
};

struct Instruction {
  std::string type;  // "general" is the one the prompts use
  std::string content;
};

struct SingleCallConfig {
  bool enabled = false;
  bool fallback_to_multiple_calls = true;
};

struct UserMessagesConfig {
  bool embeddings_only = false;
  std::optional<double> embeddings_only_similarity_threshold;
  std::optional<std::string> embeddings_only_fallback_intent;
};

// rails.output.streaming: output rails on a streamed bot message, chunk by
// chunk. Tokens are approximated by whitespace-separated words.
struct OutputStreamingConfig {
  bool enabled = false;
  int chunk_size = 200;    // words per checked chunk
  int context_size = 50;   // words of the previous chunk prepended to the next check
  bool stream_first = true;  // true: a chunk goes out before its check finishes; false: after
};

struct RailsSection {
  std::vector<std::string> input_flows;      // rails.input.flows, as written (params kept)
  bool input_parallel = false;               // rails.input.parallel: checks run concurrently
  std::vector<std::string> output_flows;     // rails.output.flows
  OutputStreamingConfig output_streaming;    // rails.output.streaming
  std::vector<std::string> retrieval_flows;  // rails.retrieval.flows
  SingleCallConfig single_call;              // rails.dialog.single_call
  UserMessagesConfig user_messages;          // rails.dialog.user_messages
  colang::Dict config;                       // rails.config.* (per-rail settings), as written
};

// A knowledge-base document: kb/**/*.md, read whole (chunking is elsewhere).
struct KbDocument {
  std::string path;  // relative to the config folder, e.g. "kb/faq/a.md"
  std::string content;
};

struct RailsConfig {
  std::filesystem::path dir;            // the config folder; empty for from_content
  std::string colang_version = "1.0";   // "1.0" | "2.x"

  std::vector<ModelConfig> models;
  std::vector<Instruction> instructions;  // a default `general` one when none given
  std::string sample_conversation;        // a default in the version's format when none given
  colang::Value prompts;                  // the raw `prompts` list (TaskPrompt parsing is elsewhere)
  std::string prompting_mode = "standard";
  double lowest_temperature = 0.001;
  bool enable_multi_step_generation = false;
  colang::Dict custom_data;               // incl. unknown top-level keys
  bool streaming = false;
  bool enable_rails_exceptions = false;
  std::optional<bool> passthrough;        // null unless set
  std::optional<std::string> actions_server_url;
  std::string raw_llm_call_action = "raw llm call";
  RailsSection rails;
  colang::Dict knowledge_base_esp;        // knowledge_base.embedding_search_provider
  colang::Dict core_esp;                  // core.embedding_search_provider
  std::vector<std::string> import_paths;  // as written

  // Colang 1.0: every .co file merged into one document (first flow
  // definition wins), plus the YAML user_messages / bot_messages.
  colang::v1::Document v1;
  // Colang 2.x: the parsed files (config files, import_paths folders, imports).
  std::vector<colang::File> v2_files;

  std::vector<KbDocument> kb_docs;
  std::vector<std::string> yaml_files;    // read, in merge order
  std::vector<std::string> colang_files;  // read (1.0) / loaded (2.x)

  // The merged YAML with every default key filled in: what flows see as
  // `$config` (`$config.rails.input.flows` is [] when nothing is set).
  colang::Dict raw;

  // `type: main`, else the only model when there is exactly one; nullptr if none.
  const ModelConfig* main_model() const;
};

struct LoadOptions {
  // Flows of the built-in rails library (written elsewhere): names accepted in
  // rails.*.flows without a definition in the config's own Colang.
  std::vector<std::string> library_flows;
  // The caller brings its own LLM (tests, the conformance runner): a config
  // without `models` is then fine.
  bool llm_supplied_externally = false;
  // Imports of Colang 2.x files ($COLANGPATH, stdlib).
  LoaderOptions colang = loader_options_from_env();
  // Applied after loading, before validation and freezing (apply_override).
  std::vector<std::pair<std::string, colang::Value>> overrides;
  // Config folders combined under this one, in order (the server's
  // `config_ids`): their YAML is merged first and their Colang loaded after
  // the config's own, so the config's own settings and flows win.
  std::vector<std::filesystem::path> base_configs;
};

struct LoadResult {
  std::shared_ptr<const RailsConfig> config;  // never null
  std::vector<colang::Diagnostic> diagnostics;
  bool ok() const { return !colang::has_errors(diagnostics); }
};

// A config folder (or a single .yml/.yaml file: that YAML only).
LoadResult load_rails_config(const std::filesystem::path& dir, const LoadOptions& options = {});

// From strings, as the reference's from_content: the Colang text is parsed as
// "main.co", the YAML is named "config.yml" in diagnostics.
LoadResult rails_config_from_content(const std::string& colang_text, const std::string& yaml_text,
                                     const LoadOptions& options = {});

// Sets one setting by dotted path ("rails.dialog.single_call.enabled",
// "enable_rails_exceptions", "custom_data.x") in both `raw` and the typed
// field. Returns false with `error` set when the path or value type is wrong.
bool apply_override(RailsConfig& config, const std::string& path, const colang::Value& value,
                    std::string* error = nullptr);

// A rail flow name without its parameters: "content safety check input
// $model=x" -> "content safety check input"; "x(a=1)" -> "x".
std::string rail_flow_base_name(const std::string& name);

// The engines we can run (see rails_config.cc for why others are rejected).
const std::vector<std::string>& known_engines();

}  // namespace rg::rails::config
