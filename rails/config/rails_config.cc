#include "rails/config/rails_config.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "llm/registry.h"
#include "rails/config/yaml_merge.h"
#ifdef RG_HAVE_COLANG_V1
#include "colang/v1/parse_v1.h"
#endif

namespace rg::rails::config {

namespace fs = std::filesystem;
using colang::Diagnostic;
using colang::Dict;
using colang::List;
using colang::Value;

namespace {

// ---------------------------------------------------------------- defaults
// Texts written for railguard (the reference has its own wording).

constexpr const char* kDefaultGeneralInstruction =
    "The following is a conversation between a user and a helpful AI assistant. The assistant "
    "answers in natural, friendly language, gives concrete details where it can, and says "
    "plainly when it does not know something instead of guessing.";

constexpr const char* kDefaultGeneralInstructionV2 =
    "The following is a conversation between a user and a helpful AI assistant, written as a "
    "sequence of user and bot actions and the intents behind them. The assistant answers in "
    "natural, friendly language, gives concrete details where it can, and says plainly when it "
    "does not know something instead of guessing.";

// 1.0 format: `user "text"` + 2-space intent, `bot intent` + 2-space "text".
constexpr const char* kDefaultSampleConversation =
    "user \"Hi!\"\n"
    "  express greeting\n"
    "bot express greeting\n"
    "  \"Hi, nice to meet you. What can I do for you?\"\n"
    "user \"Which topics can you help me with?\"\n"
    "  ask about capabilities\n"
    "bot respond about capabilities\n"
    "  \"I can answer questions, explain things and help you think through a task.\"\n";

// 2.x format: user action / user intent / bot intent / bot action lines.
constexpr const char* kDefaultSampleConversationV2 =
    "user action: user said \"Hi!\"\n"
    "user intent: user expressed greeting\n"
    "bot intent: bot express greeting\n"
    "bot action: bot say \"Hi, nice to meet you. What can I do for you?\"\n"
    "user action: user said \"Which topics can you help me with?\"\n"
    "user intent: user asked about capabilities\n"
    "bot intent: bot respond about capabilities\n"
    "bot action: bot say \"I can answer questions, explain things and help you think through a "
    "task.\"\n";

Dict make(std::initializer_list<std::pair<const char*, Value>> items) {
  Dict d;
  for (const auto& [k, v] : items) d.set(k, v);
  return d;
}

Value default_esp() {
  return Value(make({{"name", "default"},
                     {"parameters", Value(Dict{})},
                     {"cache", Value(make({{"enabled", false},
                                           {"key_generator", "md5"},
                                           {"store", "filesystem"},
                                           {"store_config", Value(Dict{})}}))}}));
}

Value flows_dict() { return Value(make({{"flows", Value(List{})}})); }

Value sdd_source() { return Value(make({{"entities", Value(List{})}, {"mask_token", "*"}})); }

// Every key of the config with its default (spec 1.3, 1.4), so that
// `$config.<anything documented>` resolves.
Dict default_raw(bool v2) {
  Value rails_config(make(
      {{"fact_checking", Value(make({{"parameters", Value(Dict{})}, {"fallback_to_self_check", false}}))},
       {"jailbreak_detection", Value(make({{"server_endpoint", Value()},
                                           {"length_per_perplexity_threshold", 89.79},
                                           {"prefix_suffix_perplexity_threshold", 1845.65}}))},
       {"sensitive_data_detection", Value(make({{"recognizers", Value(List{})},
                                                {"input", sdd_source()},
                                                {"output", sdd_source()},
                                                {"retrieval", sdd_source()}}))}}));
  Value instant = v2 ? Value(List{Value("UtteranceBotAction")}) : Value();
  Value rails(make(
      {{"input", flows_dict()},
       {"output", Value(make({{"flows", Value(List{})},
                              {"streaming", Value(make({{"enabled", false},
                                                        {"chunk_size", 200},
                                                        {"context_size", 50},
                                                        {"stream_first", true}}))}}))},
       {"retrieval", flows_dict()},
       {"dialog", Value(make({{"single_call", Value(make({{"enabled", false},
                                                          {"fallback_to_multiple_calls", true}}))},
                              {"user_messages", Value(make({{"embeddings_only", false},
                                                            {"embeddings_only_similarity_threshold", Value()},
                                                            {"embeddings_only_fallback_intent", Value()}}))}}))},
       {"actions", Value(make({{"instant_actions", instant}}))},
       {"config", rails_config}}));
  return make({{"models", Value(List{})},
               {"user_messages", Value(Dict{})},
               {"bot_messages", Value(Dict{})},
               {"instructions", Value(List{})},
               {"flows", Value(List{})},
               {"docs", Value(List{})},
               {"sample_conversation", Value()},
               {"prompts", Value(List{})},
               {"prompting_mode", "standard"},
               {"lowest_temperature", 0.001},
               {"enable_multi_step_generation", false},
               {"colang_version", v2 ? "2.x" : "1.0"},
               {"custom_data", Value(Dict{})},
               {"knowledge_base", Value(make({{"folder", "kb"}, {"embedding_search_provider", default_esp()}}))},
               {"core", Value(make({{"embedding_search_provider", default_esp()}}))},
               {"rails", rails},
               {"streaming", false},
               {"enable_rails_exceptions", false},
               {"passthrough", Value()},
               {"raw_llm_call_action", "raw llm call"},
               {"actions_server_url", Value()},
               {"import_paths", Value(List{})},
               {"tracing", Value(make({{"enabled", false},
                                       {"adapters", Value(List{Value(make({{"name", "FileSystem"}}))})}}))}});
}

// Fills the keys of `defaults` that `into` lacks (recursively for dicts);
// values the user wrote are kept, even of the wrong type (validation reports).
void fill_defaults(Dict& into, const Dict& defaults) {
  for (const auto& [k, v] : defaults) {
    Value* have = into.find(k);
    if (!have) {
      into.set(k, v.deep_copy());
    } else if (have->is_dict() && v.is_dict()) {
      fill_defaults(have->as_dict_mut(), v.as_dict());
    }
  }
}

const Value* lookup(const Dict& d, const std::string& path) {
  const Dict* cur = &d;
  size_t pos = 0;
  while (true) {
    size_t dot = path.find('.', pos);
    const Value* v = cur->find(std::string_view(path).substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
    if (!v || dot == std::string::npos) return v;
    if (!v->is_dict()) return nullptr;
    cur = &v->as_dict();
    pos = dot + 1;
  }
}

bool read_text(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = std::move(s).str();
  return true;
}

bool has_content(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos && line[first] != '#') return true;
  }
  return false;
}

bool sniff_v1(std::string_view text) {
#ifdef RG_HAVE_COLANG_V1
  return colang::v1::looks_like_colang_v1(text);
#else
  bool define = false;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    std::string_view l = std::string_view(line).substr(first);
    if (l.substr(0, 7) == "import ") return false;
    if (l.substr(0, 7) == "define ") define = true;
  }
  return define;
#endif
}

// An `import_paths` entry: absolute, or relative to the working directory,
// the config folder, then each $COLANGPATH folder (the first that exists).
fs::path find_import_folder(const std::string& p, const fs::path& dir, const LoaderOptions& options) {
  std::error_code ec;
  if (fs::path(p).is_absolute()) return fs::is_directory(p, ec) ? fs::path(p) : fs::path();
  std::vector<fs::path> bases = {fs::current_path(), dir};
  bases.insert(bases.end(), options.search_path.begin(), options.search_path.end());
  for (const fs::path& b : bases)
    if (fs::is_directory(b / p, ec)) return (b / p).lexically_normal();
  return {};
}

// The YAML files of `dir` and of the folders its import_paths name,
// recursively: imported folders first, so the importer's settings win
// (product.md 1.1: imported folders load like config folders).
void gather_yaml_files(const fs::path& dir, const LoaderOptions& options,
                       std::set<std::string>* visited, std::vector<fs::path>* out) {
  std::error_code ec;
  fs::path key = fs::weakly_canonical(dir, ec);
  if (!visited->insert((ec ? dir : key).string()).second) return;
  std::vector<fs::path> own = find_yaml_files(dir, railsignore_patterns(dir));
  MergedYaml probe = merge_yaml_files(own);
  if (const Value* ip = probe.data.find("import_paths"); ip && ip->is_list()) {
    for (const Value& p : ip->as_list()) {
      if (!p.is_str()) continue;
      fs::path found = find_import_folder(p.as_str(), dir, options);
      if (!found.empty()) gather_yaml_files(found, options, visited, out);
    }
  }
  for (auto& f : own) out->push_back(std::move(f));
}

// ---------------------------------------------------------------- the loader

class Builder {
 public:
  Builder(const LoadOptions& options, MergedYaml yaml) : options_(options), yaml_(std::move(yaml)) {
    for (auto& d : yaml_.diagnostics) diags_.push_back(std::move(d));
    cfg_ = std::make_shared<RailsConfig>();
  }

  void set_dir(const fs::path& dir) { cfg_->dir = dir; }

  // YAML -> raw with defaults -> typed fields.
  void read_yaml() {
    for (const auto& f : yaml_.files) cfg_->yaml_files.push_back(f.string());
    Dict data = yaml_.data;
    const Value* version = data.find("colang_version");
    if (version && !version->is_none()) {
      std::string v = version->is_str() ? version->as_str() : "";
      if (version->is_float() && version->as_float() == 1.0) v = "1.0";  // `colang_version: 1.0`
      if (version->is_int() && version->as_int() == 1) v = "1.0";
      if (v == "1") v = "1.0";
      if (v != "1.0" && v != "2.x") {
        error("colang_version", "must be \"1.0\" or \"2.x\"");
        v = "1.0";
      }
      cfg_->colang_version = v;
      data.set("colang_version", v);
    }
    fill_defaults(data, default_raw(v2()));
    cfg_->raw = std::move(data);
    read_typed_fields();
  }

  void read_typed_fields() {
    const Dict& raw = cfg_->raw;
    RailsConfig& c = *cfg_;
    c.models.clear();
    if (const Value* models = raw.find("models"); models && models->is_list()) {
      for (size_t i = 0; i < models->as_list().size(); ++i) read_model(models->as_list()[i], i);
    }
    c.instructions.clear();
    if (const Value* ins = raw.find("instructions"); ins && ins->is_list()) {
      for (size_t i = 0; i < ins->as_list().size(); ++i) {
        const Value& item = ins->as_list()[i];
        std::string path = "instructions[" + std::to_string(i) + "]";
        if (!item.is_dict()) {
          error(path, "must be a mapping {type, content}");
          continue;
        }
        Instruction in;
        in.type = str_field(item.as_dict(), "type", path + ".type", "general");
        in.content = str_field(item.as_dict(), "content", path + ".content", "");
        c.instructions.push_back(std::move(in));
      }
    }
    c.sample_conversation = str_at("sample_conversation", "");
    c.prompts = *raw.find("prompts");
    if (!c.prompts.is_list()) error("prompts", "must be a list");
    c.prompting_mode = str_at("prompting_mode", "standard");
    c.lowest_temperature = number_at("lowest_temperature", 0.001);
    c.enable_multi_step_generation = bool_at("enable_multi_step_generation", false);
    if (const Value* cd = raw.find("custom_data"); cd && cd->is_dict()) {
      c.custom_data = cd->as_dict();
    } else {
      error("custom_data", "must be a mapping");
    }
    c.streaming = bool_at("streaming", false);
    c.enable_rails_exceptions = bool_at("enable_rails_exceptions", false);
    c.passthrough.reset();
    if (const Value* p = raw.find("passthrough"); p && !p->is_none()) {
      if (p->is_bool()) c.passthrough = p->as_bool();
      else error("passthrough", "must be true, false or null");
    }
    c.actions_server_url.reset();
    if (const Value* u = raw.find("actions_server_url"); u && !u->is_none()) {
      if (u->is_str()) c.actions_server_url = u->as_str();
      else error("actions_server_url", "must be a URL string");
    }
    c.raw_llm_call_action = str_at("raw_llm_call_action", "raw llm call");
    c.import_paths.clear();
    if (const Value* ip = raw.find("import_paths"); ip && ip->is_list()) {
      for (size_t i = 0; i < ip->as_list().size(); ++i) {
        if (ip->as_list()[i].is_str()) c.import_paths.push_back(ip->as_list()[i].as_str());
        else error("import_paths[" + std::to_string(i) + "]", "must be a folder path");
      }
    }
    c.knowledge_base_esp = dict_at("knowledge_base.embedding_search_provider");
    c.core_esp = dict_at("core.embedding_search_provider");

    RailsSection& r = c.rails;
    dict_at("rails");
    r.input_flows = flow_list("rails.input.flows");
    r.input_parallel = bool_at("rails.input.parallel", false);
    r.output_flows = flow_list("rails.output.flows");
    r.output_streaming.enabled = bool_at("rails.output.streaming.enabled", false);
    r.output_streaming.chunk_size = count_at("rails.output.streaming.chunk_size", 200, 1);
    r.output_streaming.context_size = count_at("rails.output.streaming.context_size", 50, 0);
    r.output_streaming.stream_first = bool_at("rails.output.streaming.stream_first", true);
    r.retrieval_flows = flow_list("rails.retrieval.flows");
    r.single_call.enabled = bool_at("rails.dialog.single_call.enabled", false);
    r.single_call.fallback_to_multiple_calls =
        bool_at("rails.dialog.single_call.fallback_to_multiple_calls", true);
    r.user_messages.embeddings_only = bool_at("rails.dialog.user_messages.embeddings_only", false);
    r.user_messages.embeddings_only_similarity_threshold.reset();
    const std::string thr = "rails.dialog.user_messages.embeddings_only_similarity_threshold";
    if (const Value* t = lookup(raw, thr); t && !t->is_none()) {
      if (t->is_number() && !t->is_bool()) r.user_messages.embeddings_only_similarity_threshold = t->as_number();
      else error(thr, "must be a number");
    }
    r.user_messages.embeddings_only_fallback_intent.reset();
    const std::string fb = "rails.dialog.user_messages.embeddings_only_fallback_intent";
    if (const Value* t = lookup(raw, fb); t && !t->is_none()) {
      if (t->is_str()) r.user_messages.embeddings_only_fallback_intent = t->as_str();
      else error(fb, "must be an intent name");
    }
    r.config = dict_at("rails.config");
  }

  void read_model(const Value& item, size_t i) {
    std::string path = "models[" + std::to_string(i) + "]";
    if (!item.is_dict()) {
      error(path, "must be a mapping {type, engine, model, parameters}");
      return;
    }
    const Dict& d = item.as_dict();
    ModelConfig m;
    m.type = str_field(d, "type", path + ".type", "");
    m.engine = str_field(d, "engine", path + ".engine", "");
    m.model = str_field(d, "model", path + ".model", "");
    if (m.type.empty()) error(path + ".type", "a model needs a type (main, embeddings, ...)");
    if (m.engine.empty()) error(path + ".engine", "a model needs an engine");
    if (const Value* p = d.find("parameters"); p && !p->is_none()) {
      if (p->is_dict()) m.parameters = p->as_dict();
      else error(path + ".parameters", "must be a mapping");
    }
    ConfigLocation at = where(path);
    m.source = at;
    cfg_->models.push_back(std::move(m));
  }

  // ---- Colang

  void load_colang_dir(const fs::path& dir) {
    std::vector<fs::path> files = find_colang_files(dir);
    // Imported folders and combined configs (config_ids) come after the
    // config's own files: its flows and messages win (add_v1_source).
    const size_t own = files.size();
    for (const fs::path& folder : import_folders(dir))
      for (const fs::path& f : find_colang_files(folder)) files.push_back(f);
    for (auto it = options_.base_configs.rbegin(); it != options_.base_configs.rend(); ++it)
      for (const fs::path& f : find_colang_files(*it)) files.push_back(f);
    if (v2()) {
      LoadedColang loaded = load_colang_v2(dir, files, {}, options_.colang, true);
      take_v2(std::move(loaded));
    } else {
      for (size_t i = 0; i < files.size(); ++i) {
        const fs::path& f = files[i];
        std::string text;
        std::string display = f.lexically_normal().string();
        if (!read_text(f, &text)) {
          diags_.push_back(diag(Diagnostic::Severity::kError, display, 0, 0, "cannot read file"));
          continue;
        }
        add_v1_source(display, text, /*sniff=*/true, /*imported=*/i >= own);
      }
    }
  }

  void load_colang_text(const std::string& text) {
    if (v2()) {
      std::vector<std::pair<std::string, std::string>> sources;
      if (!text.empty()) sources.emplace_back("main.co", text);
      take_v2(load_colang_v2(fs::current_path(), {}, sources, options_.colang, false));
    } else if (!text.empty()) {
      add_v1_source("main.co", text, /*sniff=*/false);
    }
  }

  void merge_yaml_messages() {
    // YAML user_messages / bot_messages first; .co definitions (added later)
    // replace an intent's examples, as a later file does.
    colang::v1::Document& doc = cfg_->v1;
    if (const Value* um = cfg_->raw.find("user_messages"); um && um->is_dict()) {
      for (const auto& [intent, examples] : um->as_dict()) {
        std::vector<std::string> list;
        if (examples.is_list()) {
          for (const Value& e : examples.as_list()) if (e.is_str()) list.push_back(e.as_str());
        } else if (examples.is_str()) {
          list.push_back(examples.as_str());
        } else {
          error("user_messages." + intent, "must be a list of example utterances");
        }
        set_user_message(doc, intent, std::move(list));
      }
    }
    if (const Value* bm = cfg_->raw.find("bot_messages"); bm && bm->is_dict()) {
      for (const auto& [intent, texts] : bm->as_dict()) {
        std::vector<colang::v1::BotMessage> list;
        auto add = [&](const Value& t) {
          if (t.is_str()) list.push_back({t.as_str(), "", nullptr});
        };
        if (texts.is_list()) {
          for (const Value& t : texts.as_list()) add(t);
        } else if (texts.is_str()) {
          add(texts);
        } else {
          error("bot_messages." + intent, "must be a list of message texts");
        }
        set_bot_message(doc, intent, std::move(list));
      }
    }
  }

  void load_kb(const fs::path& dir) {
    fs::path kb = dir / "kb";
    std::error_code ec;
    if (!fs::is_directory(kb, ec)) return;
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(kb, fs::directory_options::follow_directory_symlink, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".md") files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) {
      KbDocument doc;
      doc.path = f.lexically_relative(dir).generic_string();
      if (!read_text(f, &doc.content)) {
        diags_.push_back(diag(Diagnostic::Severity::kError, f.string(), 0, 0, "cannot read file"));
        continue;
      }
      cfg_->kb_docs.push_back(std::move(doc));
    }
  }

  void apply_overrides() {
    for (const auto& [path, value] : options_.overrides) {
      std::string why;
      if (!apply_override(*cfg_, path, value, &why))
        diags_.push_back(diag(Diagnostic::Severity::kError, "", 0, 0,
                              "config override '" + path + "': " + why));
    }
  }

  void fill_text_defaults() {
    RailsConfig& c = *cfg_;
    if (c.instructions.empty()) {
      c.instructions.push_back({"general", v2() ? kDefaultGeneralInstructionV2 : kDefaultGeneralInstruction});
      Value* list = c.raw.find("instructions");
      if (list && list->is_list())
        list->as_list_mut().push_back(Value(make({{"type", "general"}, {"content", c.instructions[0].content}})));
    }
    if (c.sample_conversation.empty()) {
      c.sample_conversation = v2() ? kDefaultSampleConversationV2 : kDefaultSampleConversation;
      c.raw.set("sample_conversation", c.sample_conversation);
    }
  }

  // ---- validation

  void validate() {
    const RailsConfig& c = *cfg_;
    const std::vector<std::string>& engines = known_engines();
    for (size_t i = 0; i < c.models.size(); ++i) {
      const ModelConfig& m = c.models[i];
      if (m.engine.empty()) continue;  // reported
      if (m.type == "embeddings") {
        // Embedding engines are checked where the embedder is made
        // (rails/embeddings/embedder_pool.h), with the engines it knows.
        continue;
      }
      if (std::find(engines.begin(), engines.end(), m.engine) == engines.end()) {
        std::string known;
        for (const auto& e : engines) known += (known.empty() ? "" : ", ") + e;
        error("models[" + std::to_string(i) + "].engine",
              "unknown engine '" + m.engine + "' (known: " + known + ")");
      }
    }
    validate_rail_flows("rails.input.flows", c.rails.input_flows);
    validate_rail_flows("rails.output.flows", c.rails.output_flows);
    validate_rail_flows("rails.retrieval.flows", c.rails.retrieval_flows);
    if (c.passthrough.value_or(false) && c.rails.single_call.enabled)
      error("passthrough", "passthrough mode cannot be used together with "
                           "rails.dialog.single_call.enabled");
    validate_models_present();
  }

  void validate_models_present() {
    const RailsConfig& c = *cfg_;
    if (options_.llm_supplied_externally || c.main_model() != nullptr) return;
    // An LLM is needed unless every user message can be mapped to an intent
    // without one (embeddings_only with a fallback intent) and nothing else
    // asks for generation. We cannot see every LLM use at load time (actions,
    // `...` in flows), so a missing model is a warning unless the config
    // clearly needs generation; the error comes when a call is made.
    bool intents_without_llm = c.rails.user_messages.embeddings_only &&
                               c.rails.user_messages.embeddings_only_fallback_intent.has_value();
    bool has_dialog = !c.v1.flows.empty() || !c.v1.user_messages.empty() || !c.v2_files.empty();
    bool needs = (c.colang_version == "1.0" && has_dialog && !intents_without_llm);
    std::string why = needs ? "this config needs an LLM (user intents are generated) but `models` "
                              "has no main model"
                            : "`models` has no main model; any LLM call will fail";
    ConfigLocation at = where("models");
    Diagnostic d = diag(Diagnostic::Severity::kWarning, at.file.empty() ? first_yaml() : at.file,
                        at.line, at.column, why);
    diags_.push_back(std::move(d));
  }

  void validate_rail_flows(const std::string& path, const std::vector<std::string>& flows) {
    std::set<std::string> defined;
    for (const auto& f : cfg_->v1.flows) defined.insert(f.id);
    for (const auto& file : cfg_->v2_files)
      for (const auto& f : file.flows) defined.insert(f.name);
    for (const auto& f : options_.library_flows) defined.insert(rail_flow_base_name(f));
    bool can_check = v2() || v1_parser_available();
    if (!can_check) return;
    for (size_t i = 0; i < flows.size(); ++i) {
      std::string base = rail_flow_base_name(flows[i]);
      if (base.rfind("content safety check", 0) == 0) continue;  // exempt, as in the reference
      if (!defined.count(base))
        error(path + "[" + std::to_string(i) + "]",
              "no flow named '" + base + "' (not in the config's Colang files nor the rails library)");
    }
  }

  LoadResult finish() {
    LoadResult out;
    out.diagnostics = std::move(diags_);
    out.config = std::move(cfg_);
    return out;
  }

  bool v2() const { return cfg_->colang_version == "2.x"; }
  RailsConfig& config() { return *cfg_; }

 private:
  static bool v1_parser_available() {
#ifdef RG_HAVE_COLANG_V1
    return true;
#else
    return false;
#endif
  }

  std::vector<fs::path> import_folders(const fs::path& dir) {
    std::vector<fs::path> out;
    for (size_t i = 0; i < cfg_->import_paths.size(); ++i) {
      const std::string& p = cfg_->import_paths[i];
      fs::path found = find_import_folder(p, dir, options_.colang);
      if (found.empty()) {
        error("import_paths[" + std::to_string(i) + "]",
              "no folder '" + p + "' (looked in the working directory, the config folder and $COLANGPATH)");
        continue;
      }
      out.push_back(found);
    }
    return out;
  }

  void take_v2(LoadedColang loaded) {
    for (auto& d : loaded.diagnostics) diags_.push_back(std::move(d));
    for (auto& f : loaded.files) cfg_->colang_files.push_back(f.path);
    cfg_->v2_files = std::move(loaded.files);
  }

  // `imported`: the file comes from an imported folder or a combined config;
  // its user/bot messages do not replace the config's own.
  void add_v1_source(const std::string& display, const std::string& text, bool sniff = true,
                     bool imported = false) {
    if (sniff && !sniff_v1(text)) {
      if (has_content(text))
        diags_.push_back(diag(Diagnostic::Severity::kWarning, display, 0, 0,
                              "skipped: the file does not look like Colang 1.0 (no `define` "
                              "line, or an `import`)"));
      return;
    }
    cfg_->colang_files.push_back(display);
#ifdef RG_HAVE_COLANG_V1
    colang::v1::ParseResult parsed = colang::v1::parse_colang_v1(text, display);
    for (auto& d : parsed.diagnostics) diags_.push_back(std::move(d));
    colang::v1::Document& doc = cfg_->v1;
    for (auto& [intent, examples] : parsed.document.user_messages)
      set_user_message(doc, intent, std::move(examples), imported);
    for (auto& [intent, variants] : parsed.document.bot_messages)
      set_bot_message(doc, intent, std::move(variants), imported);
    for (auto& flow : parsed.document.flows) {
      bool seen = std::any_of(doc.flows.begin(), doc.flows.end(),
                              [&](const colang::v1::Flow& f) { return f.id == flow.id; });
      if (seen) {
        diags_.push_back(diag(Diagnostic::Severity::kWarning, flow.source.file, flow.source.line,
                              flow.source.column,
                              "flow '" + flow.id + "' is defined again; the first definition is used"));
        continue;
      }
      doc.flows.push_back(std::move(flow));
    }
    for (auto& imp : parsed.document.imports) doc.imports.push_back(std::move(imp));
#else
    if (!warned_no_v1_) {
      diags_.push_back(diag(Diagnostic::Severity::kWarning, display, 0, 0,
                            "the Colang 1.0 front end is not built yet; 1.0 flows and messages "
                            "from .co files are not loaded"));
      warned_no_v1_ = true;
    }
#endif
  }

  static void set_user_message(colang::v1::Document& doc, const std::string& intent,
                               std::vector<std::string> examples, bool keep_existing = false) {
    for (auto& [k, v] : doc.user_messages)
      if (k == intent) {
        if (!keep_existing) v = std::move(examples);
        return;
      }
    doc.user_messages.emplace_back(intent, std::move(examples));
  }

  static void set_bot_message(colang::v1::Document& doc, const std::string& intent,
                              std::vector<colang::v1::BotMessage> variants, bool keep_existing = false) {
    for (auto& [k, v] : doc.bot_messages)
      if (k == intent) {
        if (!keep_existing) v = std::move(variants);
        return;
      }
    doc.bot_messages.emplace_back(intent, std::move(variants));
  }

  std::string first_yaml() const {
    return cfg_->yaml_files.empty() ? std::string() : cfg_->yaml_files.front();
  }

  // The location of `path`, else of the nearest parent that has one.
  ConfigLocation where(std::string path) const {
    while (!path.empty()) {
      if (const YamlLocation* l = yaml_.location(path)) return {l->file, l->line, l->column};
      size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    return {};
  }

  static Diagnostic diag(Diagnostic::Severity severity, std::string file, int line, int column,
                         std::string message) {
    Diagnostic d;
    d.severity = severity;
    d.file = std::move(file);
    d.line = line;
    d.column = column;
    d.code = "config";
    d.message = std::move(message);
    return d;
  }

  void error(const std::string& path, const std::string& message) {
    ConfigLocation at = where(path);
    diags_.push_back(diag(Diagnostic::Severity::kError, at.file.empty() ? first_yaml() : at.file,
                          at.line, at.column, path + ": " + message));
  }

  std::string str_field(const Dict& d, const char* key, const std::string& path, std::string dflt) {
    const Value* v = d.find(key);
    if (!v || v->is_none()) return dflt;
    if (v->is_str()) return v->as_str();
    if (v->is_number() && !v->is_bool()) return colang::to_python_repr(*v);  // e.g. `model: 4` (YAML number)
    error(path, "must be a string");
    return dflt;
  }

  std::string str_at(const std::string& path, std::string dflt) {
    const Value* v = lookup(cfg_->raw, path);
    if (!v || v->is_none()) return dflt;
    if (v->is_str()) return v->as_str();
    error(path, "must be a string");
    return dflt;
  }

  double number_at(const std::string& path, double dflt) {
    const Value* v = lookup(cfg_->raw, path);
    if (!v || v->is_none()) return dflt;
    if (v->is_number() && !v->is_bool()) return v->as_number();
    error(path, "must be a number");
    return dflt;
  }

  // An integer >= `min`.
  int count_at(const std::string& path, int dflt, int min) {
    const Value* v = lookup(cfg_->raw, path);
    if (!v || v->is_none()) return dflt;
    if (v->is_int() && !v->is_bool() && v->as_int() >= min && v->as_int() <= 1000000)
      return static_cast<int>(v->as_int());
    error(path, "must be an integer >= " + std::to_string(min));
    return dflt;
  }

  bool bool_at(const std::string& path, bool dflt) {
    const Value* v = lookup(cfg_->raw, path);
    if (!v || v->is_none()) return dflt;
    if (v->is_bool()) return v->as_bool();
    error(path, "must be true or false");
    return dflt;
  }

  Dict dict_at(const std::string& path) {
    const Value* v = lookup(cfg_->raw, path);
    if (!v || v->is_none()) {
      // A parent of the wrong type hides this path: the parent is reported.
      return {};
    }
    if (v->is_dict()) return v->as_dict();
    error(path, "must be a mapping");
    return {};
  }

  std::vector<std::string> flow_list(const std::string& path) {
    std::vector<std::string> out;
    const Value* v = lookup(cfg_->raw, path);
    if (!v || v->is_none()) {
      // rails.input given but not a mapping?
      std::string parent = path.substr(0, path.rfind('.'));
      const Value* p = lookup(cfg_->raw, parent);
      if (p && !p->is_dict() && !p->is_none()) error(parent, "must be a mapping {flows: [...]}");
      return out;
    }
    if (!v->is_list()) {
      error(path, "must be a list of flow names");
      return out;
    }
    for (size_t i = 0; i < v->as_list().size(); ++i) {
      const Value& item = v->as_list()[i];
      if (item.is_str()) out.push_back(item.as_str());
      else error(path + "[" + std::to_string(i) + "]", "must be a flow name (a string)");
    }
    return out;
  }

  const LoadOptions& options_;
  MergedYaml yaml_;
  std::shared_ptr<RailsConfig> cfg_;
  std::vector<Diagnostic> diags_;
  bool warned_no_v1_ = false;
};

LoadResult build(Builder& b, const std::function<void(Builder&)>& load_colang,
                 const fs::path& kb_dir) {
  b.read_yaml();
  load_colang(b);
  if (!b.v2()) b.merge_yaml_messages();
  if (!kb_dir.empty()) b.load_kb(kb_dir);
  b.apply_overrides();
  b.fill_text_defaults();
  b.validate();
  return b.finish();
}

}  // namespace

const ModelConfig* RailsConfig::main_model() const {
  for (const auto& m : models)
    if (m.type == "main") return &m;
  return models.size() == 1 ? &models.front() : nullptr;
}

// The engines a config may name. Anything else is rejected at load time
// because railguard has no client for it: failing when the config is loaded
// beats failing on the first user message. The list is the provider registry
// (llm/registry.h: what we can call today) plus engines of the reference that
// speak an HTTP API we add providers for (rejecting them would break
// configs written for the reference that will work once the provider lands).
const std::vector<std::string>& known_engines() {
  static const std::vector<std::string> kEngines = [] {
    std::vector<std::string> e = llm::known_engines();
    for (const char* extra : {"openai", "nim", "nvidia_ai_endpoints", "vllm_openai", "ollama",
                              "azure", "nemollm", "trt_llm", "huggingface_endpoint",
                              "huggingface_hub", "cohere", "anthropic", "vertexai",
                              "google_genai", "fake"})
      if (std::find(e.begin(), e.end(), extra) == e.end()) e.push_back(extra);
    std::sort(e.begin(), e.end());
    return e;
  }();
  return kEngines;
}

std::string rail_flow_base_name(const std::string& name) {
  size_t cut = std::min(name.find(" $"), name.find('('));
  std::string base = name.substr(0, cut);
  while (!base.empty() && (base.back() == ' ' || base.back() == '\t')) base.pop_back();
  size_t first = base.find_first_not_of(" \t");
  return first == std::string::npos ? std::string() : base.substr(first);
}

bool apply_override(RailsConfig& config, const std::string& path, const Value& value,
                    std::string* error) {
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    return false;
  };
  if (path.empty()) return fail("empty path");
  // Walk `raw`, creating mappings for missing parents.
  Dict* cur = &config.raw;
  size_t pos = 0;
  while (true) {
    size_t dot = path.find('.', pos);
    std::string key = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (key.empty()) return fail("empty segment in '" + path + "'");
    if (dot == std::string::npos) {
      const Value* before = cur->find(key);
      Value saved = before ? *before : Value();
      bool existed = before != nullptr;
      cur->set(key, value);
      // Re-derive the typed fields from `raw`, checking the new value's type.
      MergedYaml none;
      LoadOptions no_options;
      Builder b(no_options, std::move(none));
      RailsConfig& fresh = b.config();
      fresh.raw = config.raw;
      fresh.colang_version = config.colang_version;
      b.read_typed_fields();
      LoadResult r = b.finish();
      if (!r.ok()) {
        if (existed) cur->set(key, saved);
        else cur->erase(key);
        std::string why;
        for (const auto& d : r.diagnostics)
          if (d.severity == Diagnostic::Severity::kError) why = d.message;
        return fail(why);
      }
      const RailsConfig& t = *r.config;
      config.models = t.models;
      if (!t.instructions.empty() || path.rfind("instructions", 0) == 0) config.instructions = t.instructions;
      if (path.rfind("sample_conversation", 0) == 0) config.sample_conversation = t.sample_conversation;
      config.prompts = t.prompts;
      config.prompting_mode = t.prompting_mode;
      config.lowest_temperature = t.lowest_temperature;
      config.enable_multi_step_generation = t.enable_multi_step_generation;
      config.custom_data = t.custom_data;
      config.streaming = t.streaming;
      config.enable_rails_exceptions = t.enable_rails_exceptions;
      config.passthrough = t.passthrough;
      config.actions_server_url = t.actions_server_url;
      config.raw_llm_call_action = t.raw_llm_call_action;
      config.rails = t.rails;
      config.knowledge_base_esp = t.knowledge_base_esp;
      config.core_esp = t.core_esp;
      config.import_paths = t.import_paths;
      return true;
    }
    Value* next = cur->find(key);
    if (!next || next->is_none()) {
      cur->set(key, Value(Dict{}));
      next = cur->find(key);
    }
    if (!next->is_dict()) return fail("'" + path.substr(0, dot) + "' is not a mapping");
    // Copy the mappings on the path: Values share their dicts, and another
    // RailsConfig (the frozen one this was copied from) may hold them.
    cur->set(key, Value(Dict(next->as_dict())));
    next = cur->find(key);
    cur = &next->as_dict_mut();
    pos = dot + 1;
  }
}

LoadResult load_rails_config(const fs::path& dir, const LoadOptions& options) {
  std::error_code ec;
  if (fs::is_regular_file(dir, ec) && (dir.extension() == ".yml" || dir.extension() == ".yaml")) {
    Builder b(options, merge_yaml_files({dir}));
    return build(b, [](Builder&) {}, {});
  }
  if (!fs::is_directory(dir, ec)) {
    Builder b(options, MergedYaml{});
    LoadResult r = b.finish();
    Diagnostic d;
    d.file = dir.string();
    d.code = "config";
    d.message = "not a config folder or a .yml file";
    r.diagnostics.push_back(std::move(d));
    return r;
  }
  std::set<std::string> visited;
  std::vector<fs::path> yaml_files;
  for (const fs::path& base : options.base_configs) gather_yaml_files(base, options.colang, &visited, &yaml_files);
  gather_yaml_files(dir, options.colang, &visited, &yaml_files);
  Builder b(options, merge_yaml_files(yaml_files));
  b.set_dir(dir);
  return build(b, [&](Builder& bb) { bb.load_colang_dir(dir); }, dir);
}

LoadResult rails_config_from_content(const std::string& colang_text, const std::string& yaml_text,
                                     const LoadOptions& options) {
  Builder b(options, yaml_text.empty() ? MergedYaml{} : merge_yaml_text("config.yml", yaml_text));
  return build(b, [&](Builder& bb) { bb.load_colang_text(colang_text); }, {});
}

}  // namespace rg::rails::config
