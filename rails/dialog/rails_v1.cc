#include "rails/dialog/rails_v1.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <set>

#include "colang/v1/parse_v1.h"
#include "rails/dialog/llm_setup.h"
#include "rails/dialog/rails_v1_shared.h"
#include "rails/dialog/v1_actions.h"
#include "rails/prompts/history_filters.h"
#include "rails/prompts/output_parsers.h"
#include "runtime/eval.h"
#include "runtime/v1/conversation.h"
#include "runtime/v1/flow_engine.h"

namespace rg::rails::dialog {

using colang::Dict;
using colang::List;
using colang::Value;

std::vector<std::string> library_v1_flow_names() {
  std::vector<std::string> names;
  for (const auto& [file, text] : library_v1_sources()) {
    colang::v1::ParseResult parsed = colang::v1::parse_colang_v1(text, file);
    for (const auto& f : parsed.document.flows) names.push_back(f.id);
  }
  return names;
}

namespace {

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A key for a conversation prefix: roles and contents of its messages.
uint64_t messages_key(const std::vector<ChatMessage>& messages, size_t count) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < count; ++i) {
    h = fnv1a(h, messages[i].role);
    h = fnv1a(h, "\x1f");
    h = fnv1a(h, messages[i].content.is_str() ? messages[i].content.as_str()
                                              : colang::to_python_repr(messages[i].content));
    h = fnv1a(h, "\x1e");
  }
  return h;
}

Dict event_of(std::string type) {
  Dict d;
  d.set("type", std::move(type));
  return d;
}


// The rails a turn went through (spec 7 `activated_rails`), from the events
// of the turn and the flow that decided each step: input and output rails
// between their Start...Rail / ...RailFinished markers, the config's own
// flows as dialog rails, and the bot message generation.
std::vector<ActivatedRail> activated_rails(const List& events, const std::vector<std::string>& decided_by,
                                           size_t first, const runtime::v1::FlowSet& flows,
                                           const std::vector<ExecutedAction>& executed) {
  std::vector<ActivatedRail> rails;
  int open_rail = -1;  // index into rails of the input/output rail in progress
  size_t next_action = 0;
  auto field = [](const Dict& e, std::string_view k) -> std::string {
    const Value* v = e.find(k);
    return v && v->is_str() ? v->as_str() : v ? colang::to_python_str(*v) : std::string();
  };
  auto take_action = [&](const std::string& name, ActivatedRail& rail) {
    for (size_t i = next_action; i < executed.size(); ++i) {
      if (executed[i].action_name == name) {
        rail.executed_actions.push_back(executed[i]);
        if (rail.started_at == 0) rail.started_at = executed[i].started_at;
        rail.finished_at = executed[i].finished_at;
        next_action = i + 1;
        return;
      }
    }
  };
  for (size_t i = first; i < events.size(); ++i) {
    const Dict& e = events[i].as_dict();
    const std::string type = field(e, "type");
    if (type == "StartInputRail" || type == "StartOutputRail") {
      ActivatedRail rail;
      rail.type = type == "StartInputRail" ? "input" : "output";
      rail.name = field(e, "flow_id");
      rails.push_back(std::move(rail));
      open_rail = static_cast<int>(rails.size()) - 1;
      continue;
    }
    if (type == "InputRailFinished" || type == "OutputRailFinished") {
      open_rail = -1;
      continue;
    }
    if (type != "StartInternalSystemAction" && type != "BotIntent") continue;
    const std::string& decider = i < decided_by.size() ? decided_by[i] : std::string();
    std::string decision = type == "BotIntent" ? (field(e, "intent") == "stop" ? "stop" : "bot " + field(e, "intent"))
                                               : "execute " + field(e, "action_name");
    ActivatedRail* rail = nullptr;
    if (open_rail >= 0 && decider != "run input rails" && decider != "run output rails") {
      rail = &rails[open_rail];
    } else if (!decider.empty()) {
      const runtime::v1::FlowConfig* flow = flows.find(decider);
      std::string kind;
      if (flow && !flow->is_system_flow) kind = "dialog";
      else if (decider == "generate bot message") kind = "generation";
      else if (decider == "generate user intent" || decider == "generate next step") kind = "dialog";
      if (!kind.empty()) {
        if (rails.empty() || rails.back().name != decider || rails.back().type != kind) {
          ActivatedRail r;
          r.type = kind;
          r.name = decider;
          rails.push_back(std::move(r));
        }
        rail = &rails.back();
      }
    }
    if (!rail) continue;
    rail->decisions.push_back(decision);
    if (decision == "stop") rail->stop = true;
    if (type == "StartInternalSystemAction") take_action(field(e, "action_name"), *rail);
  }
  // A rail still open at the end stopped the turn.
  if (open_rail >= 0 && !rails[open_rail].stop) {
    rails[open_rail].stop = true;
    rails[open_rail].decisions.push_back("stop");
  }
  for (auto& r : rails) r.duration = r.finished_at > r.started_at ? r.finished_at - r.started_at : 0;
  return rails;
}

}  // namespace

namespace {

// Input rails that rewrite the user message rather than decide on it: they
// cannot race (the turn needs their output), so they run after the race.
bool rewrites_input(const std::string& rail) {
  return rail.rfind("mask sensitive data on input", 0) == 0 || rail == "injection detection on input";
}

std::shared_ptr<const config::RailsConfig> with_input_rails(const config::RailsConfig& config,
                                                            const std::vector<std::string>& rails,
                                                            std::string* error) {
  auto copy = std::make_shared<config::RailsConfig>(config);
  List flows;
  for (const auto& r : rails) flows.push_back(Value(r));
  if (!config::apply_override(*copy, "rails.input.flows", Value(std::move(flows)), error) ||
      !config::apply_override(*copy, "rails.input.parallel", Value(false), error))
    return nullptr;
  return copy;
}

}  // namespace

std::shared_ptr<const DialogRailsV1> DialogRailsV1::create(
    std::shared_ptr<const config::RailsConfig> config, std::shared_ptr<llm::ModelRouter> llms,
    DialogOptions options, std::string* error) {
  error->clear();
  const auto& input = config->rails.input_flows;
  std::vector<std::string> racing, after;
  for (const auto& r : input) (rewrites_input(r) ? after : racing).push_back(r);
  if (!config->rails.input_parallel || racing.size() < 2) return build(config, llms, options, error);

  // Parallel input rails: this instance runs the rewriting rails only; each
  // checking rail gets an instance of its own that the turn races.
  if (!options.embedder_pool) options.embedder_pool = std::make_shared<embeddings::EmbedderPool>();
  auto main_config = with_input_rails(*config, after, error);
  if (!main_config) return nullptr;
  std::shared_ptr<DialogRailsV1> rails = build(main_config, llms, options, error);
  if (!rails) return nullptr;
  for (const auto& r : racing) {
    auto one = with_input_rails(*config, {r}, error);
    if (!one) return nullptr;
    std::shared_ptr<DialogRailsV1> sub = build(one, llms, options, error);
    if (!sub) {
      *error = "rails.input.flows '" + r + "': " + *error;
      return nullptr;
    }
    rails->parallel_input_rails_.emplace_back(r, std::move(sub));
  }
  rails->declared_config_ = config;  // callers see the config as written
  return rails;
}

std::shared_ptr<DialogRailsV1> DialogRailsV1::build(std::shared_ptr<const config::RailsConfig> config,
                                                    std::shared_ptr<llm::ModelRouter> llms,
                                                    DialogOptions options, std::string* error) {
  error->clear();
  std::shared_ptr<DialogRailsV1> rails(new DialogRailsV1());
  rails->config_ = config;
  rails->options_ = options;
  auto shared = std::make_shared<Shared>();
  shared->config = config;
  shared->llms = std::move(llms);
  shared->options = options;
  uint64_t seed = options.seed
                      ? options.seed
                      : static_cast<uint64_t>(
                            std::chrono::steady_clock::now().time_since_epoch().count());
  shared->rng.seed(seed);

  // The flows: the config's first, then the built-in pipeline and library.
  auto flows = std::make_shared<runtime::v1::FlowSet>();
  // Flows named as rails in config.yml run only when the rails pipeline calls
  // them, and stay out of prompts: subflows and system flows, as in the
  // reference (a plain `define flow` rail would otherwise start by itself).
  std::set<std::string, std::less<>> rail_ids;
  for (const auto* list : {&config->rails.input_flows, &config->rails.output_flows,
                           &config->rails.retrieval_flows}) {
    for (const std::string& name : *list) {
      rail_ids.insert(name);
      rail_ids.insert(config::rail_flow_base_name(name));
    }
  }
  for (const auto& f : config->v1.flows) {
    auto fc = runtime::v1::make_flow_config(f, false);
    if (rail_ids.count(f.id)) {
      auto rail = std::make_shared<runtime::v1::FlowConfig>(*fc);
      rail->is_subflow = true;
      rail->is_system_flow = true;
      fc = std::move(rail);
    }
    flows->add(std::move(fc));
  }
  for (const auto& [intent, variants] : config->v1.bot_messages) {
    auto& list = shared->bot_messages[intent];
    list.insert(list.end(), variants.begin(), variants.end());
  }
  for (const auto& [file, text] : library_v1_sources()) {
    colang::v1::ParseResult parsed = colang::v1::parse_colang_v1(text, file);
    if (!parsed.ok()) {
      *error = "the built-in library " + file + " does not parse: " +
               parsed.diagnostics.front().render();
      return nullptr;
    }
    for (const auto& f : parsed.document.flows) flows->add(runtime::v1::make_flow_config(f, true));
    // Library messages unless the config redefines them.
    for (const auto& [intent, variants] : parsed.document.bot_messages) {
      if (!shared->bot_messages.count(intent)) shared->bot_messages[intent] = variants;
    }
  }
  rails->flows_ = flows;

  // Bot message templates, compiled once.
  for (const auto& [intent, variants] : shared->bot_messages) {
    for (const auto& m : variants) {
      if (m.text.find("{{") == std::string::npos && m.text.find("{%") == std::string::npos) continue;
      if (shared->bot_templates.count(m.text)) continue;
      auto t = prompts::Template::compile(m.text, "bot " + intent);
      if (!t.ok()) {
        *error = "bot message of '" + intent + "': " + t.error().to_string();
        return nullptr;
      }
      shared->bot_templates.emplace(m.text, t.value());
    }
  }

  // The indexes (spec 4): the config's embedders, saved indexes reused.
  {
    std::shared_ptr<embeddings::EmbedderPool> pool =
        options.embedder_pool ? options.embedder_pool : std::make_shared<embeddings::EmbedderPool>();
    shared->indexer = embeddings::ConfigIndexer::create(*config, *pool, options.indexing, error);
    if (!shared->indexer) return nullptr;
    shared->dialog_threshold = shared->indexer->search_threshold(embeddings::IndexPurpose::kDialog);
    shared->kb_threshold = shared->indexer->search_threshold(embeddings::IndexPurpose::kKnowledgeBase);
  }
  std::vector<retrieval::IndexItem> user_items, bot_items, flow_items;
  for (const auto& [intent, examples] : config->v1.user_messages) {
    shared->has_user_messages = true;
    for (const auto& e : examples) user_items.push_back({e, intent});
  }
  for (const auto& [intent, variants] : config->v1.bot_messages) {
    for (const auto& m : variants) bot_items.push_back({intent, m.text});
  }
  for (const auto& f : flows->ordered()) {
    if (f->is_system_flow || f->source_code.empty()) continue;
    size_t pos = 0;
    const std::string& src = f->source_code;
    while (pos <= src.size()) {
      size_t nl = src.find('\n', pos);
      std::string line = src.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
      if (line.find_first_not_of(" \t") != std::string::npos) flow_items.push_back({line, src});
      if (nl == std::string::npos) break;
      pos = nl + 1;
    }
  }
  try {
    auto build = [&](std::vector<retrieval::IndexItem> items, embeddings::IndexPurpose purpose,
                     const char* label) -> std::unique_ptr<retrieval::SearchIndex> {
      if (items.empty()) return nullptr;
      return shared->indexer->build(std::move(items), purpose, label);
    };
    shared->user_index = build(std::move(user_items), embeddings::IndexPurpose::kDialog, "user messages");
    shared->bot_index = build(std::move(bot_items), embeddings::IndexPurpose::kDialog, "bot messages");
    shared->flows_index = build(std::move(flow_items), embeddings::IndexPurpose::kDialog, "flows");
    if (!config->kb_docs.empty()) {
      std::vector<retrieval::KbDocument> docs;
      for (const auto& d : config->kb_docs) docs.push_back({d.path, d.content});
      shared->kb = shared->indexer->build_kb(docs);
    }
  } catch (const retrieval::EmbeddingError& e) {
    *error = std::string("building the indexes: ") + e.what();
    return nullptr;
  }

  // Prompts.
  prompts::PromptsConfig pc = prompts_config_for(*config);
  shared->general_instructions = pc.general_instructions;
  auto renderer = prompts::TaskPromptRenderer::create(pc);
  if (!renderer.ok()) {
    *error = renderer.error().to_string();
    return nullptr;
  }
  shared->renderer = renderer.value();

  // The rails that need no LLM: their detectors, built once (settings
  // errors refuse the config, naming the key).
  shared->security = SecurityRails::create(*config, error);
  if (!shared->security) return nullptr;

  // Library rails whose prompt the config must supply (there is no sensible
  // default policy text): refuse the config now rather than fail every turn.
  static const std::pair<const char*, const char*> kRailPrompts[] = {
      {"self check input", "self_check_input"},
      {"self check output", "self_check_output"},
      {"llama guard check input", "llama_guard_check_input"},
      {"llama guard check output", "llama_guard_check_output"},
      {"patronus lynx check output hallucination", "patronus_lynx_check_output_hallucination"},
      // QUIRK (spec 2): demanded here, though the action renders `fact_checking`.
      {"self check facts", "self_check_facts"}};
  std::string main_id = "unknown";
  if (const config::ModelConfig* m = config->main_model()) {
    main_id = m->engine + (m->model.empty() ? "" : "/" + m->model);
  }
  for (const auto& [kind, list] : {std::pair{"input", &config->rails.input_flows},
                                   std::pair{"output", &config->rails.output_flows}}) {
    for (const std::string& name : *list) {
      for (const auto& [rail, task] : kRailPrompts) {
        if (config::rail_flow_base_name(name) == rail &&
            !shared->renderer->find_prompt(task, main_id)) {
          *error = std::string("rails.") + kind + ".flows: '" + name + "' needs a prompt for task " +
                   task + " (a `prompts:` entry with `task: " + task + "`)";
          return nullptr;
        }
      }
      // `content safety check input|output $model=<type>`: the type must be a
      // model of `models:`, and the task `content_safety_check_<kind> $model=<type>`
      // needs a prompt (the config's, or a built-in one) with an output parser
      // that gives an allowed/blocked verdict.
      std::string base = config::rail_flow_base_name(name);
      if (base != std::string("content safety check ") + kind) continue;
      std::string where = std::string("rails.") + kind + ".flows: '" + name + "'";
      colang::Dict params = runtime::v1::flow_id_params(name);
      const Value* model = params.find("model");
      if (!model || !model->is_str() || model->as_str().empty()) {
        *error = where + " needs a model type: write it as '" + base + " $model=<type>'";
        return nullptr;
      }
      const std::string& type = model->as_str();
      const config::ModelConfig* safety_model = nullptr;
      std::string types;
      for (const auto& m : config->models) {
        if (m.type == type) safety_model = &m;
        types += (types.empty() ? "'" : ", '") + m.type + "'";
      }
      if (!safety_model) {
        *error = where + " refers to model type '" + type + "', which `models:` does not define (types: " +
                 (types.empty() ? std::string("none") : types) + ")";
        return nullptr;
      }
      std::string task = std::string("content_safety_check_") + kind + " $model=" + type;
      std::string model_id = safety_model->engine + (safety_model->model.empty() ? "" : "/" + safety_model->model);
      const prompts::TaskPrompt* prompt = shared->renderer->find_prompt(task, model_id);
      if (!prompt) {
        *error = where + " needs a prompt for task '" + task + "' (a `prompts:` entry with `task: " + task +
                 "` and an output_parser; built-in prompts exist only for the types content_safety and llama_guard)";
        return nullptr;
      }
      if (prompt->output_parser.empty()) {
        *error = where + ": the prompt for task '" + task + "' (" + prompt->source +
                 ") needs an output_parser (is_content_safe, nemoguard_parse_prompt_safety or "
                 "nemoguard_parse_response_safety)";
        return nullptr;
      }
      if (!prompts::default_output_parsers()->find(prompt->output_parser)) {
        *error = where + ": the prompt for task '" + task + "' names the unknown output_parser '" +
                 prompt->output_parser + "'";
        return nullptr;
      }
    }
  }
  shared->owner = rails.get();
  rails->shared_ = std::move(shared);
  return rails;
}

DialogRailsV1::~DialogRailsV1() {
  std::lock_guard<std::mutex> lock(racers_mu_);
  for (auto& f : racers_) f.wait();
}

std::optional<GenerationResult> DialogRailsV1::race_input_rails(const std::vector<ChatMessage>& messages,
                                                                const GenerationOptions& options,
                                                                std::vector<ActivatedRail>* passed,
                                                                std::vector<LlmCallInfo>* calls) const {
  struct Race {
    std::mutex mu;
    std::condition_variable changed;
    size_t pending = 0;
    std::optional<size_t> blocked;
    std::vector<std::optional<GenerationResult>> results;
  };
  const size_t n = parallel_input_rails_.size();
  auto race = std::make_shared<Race>();
  race->pending = n;
  race->results.resize(n);
  GenerationOptions one = options;
  one.given = true;
  one.input = true;
  one.dialog = false;
  one.output = false;
  one.retrieval = false;
  one.log_activated_rails = true;
  auto shared_messages = std::make_shared<const std::vector<ChatMessage>>(messages);

  std::lock_guard<std::mutex> racers_lock(racers_mu_);
  racers_.remove_if([](std::future<void>& f) {
    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
  for (size_t i = 0; i < n; ++i) {
    std::shared_ptr<const DialogRailsV1> rail = parallel_input_rails_[i].second;
    racers_.push_back(std::async(std::launch::async, [race, rail, shared_messages, one, i] {
      GenerationResult r = rail->generate(*shared_messages, one);
      bool blocked = !r.error.empty();  // a rail that failed closed blocks
      for (const auto& a : r.activated_rails) blocked = blocked || (a.type == "input" && a.stop);
      std::lock_guard<std::mutex> lock(race->mu);
      race->results[i] = std::move(r);
      --race->pending;
      if (blocked && !race->blocked) race->blocked = i;
      race->changed.notify_all();
    }));
  }

  std::unique_lock<std::mutex> lock(race->mu);
  race->changed.wait(lock, [&] { return race->pending == 0 || race->blocked.has_value(); });
  // Every rail's outcome for the log: finished ones as they ran, the others
  // as cancelled (an LLM call already sent is not aborted; its answer is
  // dropped).
  std::vector<ActivatedRail> rails_log;
  std::vector<LlmCallInfo> calls_log;
  for (size_t i = 0; i < n; ++i) {
    if (race->results[i]) {
      for (const auto& a : race->results[i]->activated_rails) rails_log.push_back(a);
      for (const auto& c : race->results[i]->llm_calls) calls_log.push_back(c);
    } else {
      ActivatedRail cancelled;
      cancelled.type = "input";
      cancelled.name = parallel_input_rails_[i].first;
      cancelled.decisions.push_back("cancelled: another input rail blocked first");
      rails_log.push_back(std::move(cancelled));
    }
  }
  if (!race->blocked) {
    *passed = std::move(rails_log);
    *calls = std::move(calls_log);
    return std::nullopt;
  }
  GenerationResult out = std::move(*race->results[*race->blocked]);
  out.activated_rails = std::move(rails_log);
  out.llm_calls = std::move(calls_log);
  return out;
}

std::shared_ptr<const runtime::v1::Conversation> DialogRailsV1::cached(
    const std::vector<ChatMessage>& messages, size_t* prefix) const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  for (size_t p = messages.size() - 1; p > 0; --p) {
    auto it = cache_.find(messages_key(messages, p));
    if (it != cache_.end()) {
      cache_order_.splice(cache_order_.begin(), cache_order_, it->second.second);
      *prefix = p;
      return it->second.first;
    }
  }
  *prefix = 0;
  return nullptr;
}

void DialogRailsV1::cache(const std::vector<ChatMessage>& messages,
                          std::shared_ptr<const runtime::v1::Conversation> conversation) const {
  uint64_t key = messages_key(messages, messages.size());
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (auto it = cache_.find(key); it != cache_.end()) {
    it->second.first = std::move(conversation);
    cache_order_.splice(cache_order_.begin(), cache_order_, it->second.second);
    return;
  }
  cache_order_.push_front(key);
  cache_.emplace(key, CacheEntry(std::move(conversation), cache_order_.begin()));
  while (cache_.size() > options_.history_cache_entries && !cache_order_.empty()) {
    cache_.erase(cache_order_.back());
    cache_order_.pop_back();
  }
}

GenerationResult DialogRailsV1::generate(const std::vector<ChatMessage>& messages,
                                         const GenerationOptions& options) const {
  // rails.input.parallel: the checking input rails race first; the first
  // that blocks decides the turn. (Not for checking an external bot
  // message: that turn runs no input rails.)
  const bool external_bot_message = options.given && !options.dialog && !messages.empty() &&
                                    (messages.back().role == "assistant" || messages.back().role == "bot");
  if (parallel_input_rails_.empty() || !options.input || messages.empty() || external_bot_message ||
      messages.back().role != "user")
    return generate_turn(messages, options);
  std::vector<ActivatedRail> raced_rails;
  std::vector<LlmCallInfo> raced_calls;
  if (auto blocked = race_input_rails(messages, options, &raced_rails, &raced_calls)) {
    if (!options.log_activated_rails) blocked->activated_rails.clear();
    return std::move(*blocked);
  }
  GenerationResult result = generate_turn(messages, options);
  result.activated_rails.insert(result.activated_rails.begin(), raced_rails.begin(), raced_rails.end());
  result.llm_calls.insert(result.llm_calls.begin(), raced_calls.begin(), raced_calls.end());
  return result;
}

GenerationResult DialogRailsV1::generate_turn(const std::vector<ChatMessage>& messages,
                                              const GenerationOptions& options) const {
  GenerationResult result;
  result.message.role = "assistant";
  if (messages.empty()) {
    result.error = "no messages";
    result.message.content = "I'm sorry, an internal error has occurred.";
    return result;
  }
  // Checking a bot message produced elsewhere (dialog rails off, the last
  // message from the assistant): the user message drives the turn and the
  // assistant text arrives as $bot_message, which `run dialog rails` sends
  // through the output rails.
  std::vector<ChatMessage> turn_messages;
  const std::vector<ChatMessage>* source = &messages;
  Value bot_message_to_check;
  if (options.given && !options.dialog &&
      (messages.back().role == "assistant" || messages.back().role == "bot")) {
    bot_message_to_check = messages.back().content;
    turn_messages.assign(messages.begin(), messages.end() - 1);
    if (turn_messages.empty() || turn_messages.back().role != "user") {
      turn_messages.push_back({"user", Value("")});
    }
    source = &turn_messages;
  }
  const std::vector<ChatMessage>& msgs = *source;

  size_t prefix = 0;
  std::shared_ptr<const runtime::v1::Conversation> snapshot = cached(msgs, &prefix);
  List events;
  for (size_t i = prefix; i < msgs.size(); ++i) {
    const ChatMessage& m = msgs[i];
    if (m.role == "user") {
      Dict e = event_of("UtteranceUserActionFinished");
      e.set("final_transcript", m.content);
      events.push_back(Value(std::move(e)));
      // Earlier user messages are taken as they were (no rails re-run).
      if (i + 1 != msgs.size()) {
        Dict u = event_of("UserMessage");
        u.set("text", m.content);
        events.push_back(Value(std::move(u)));
      }
    } else if (m.role == "assistant" || m.role == "bot") {
      Dict e = event_of("StartUtteranceBotAction");
      e.set("script", m.content);
      events.push_back(Value(std::move(e)));
    } else if (m.role == "context") {
      Dict e = event_of("ContextUpdate");
      e.set("data", m.content.is_dict() ? m.content : Value(Dict{}));
      events.push_back(Value(std::move(e)));
    } else if (m.role == "event") {
      if (m.content.is_dict()) events.push_back(m.content);
    }
    // system messages carry no event in Colang 1.0.
  }

  std::unique_ptr<runtime::v1::Conversation> conv_ptr;
  if (snapshot) {
    conv_ptr = std::make_unique<runtime::v1::Conversation>(*snapshot);
  } else {
    runtime::v1::ConversationOptions copts;
    copts.seed = (options_.seed ? options_.seed : 0x5eed) ^
                 (turn_counter_.fetch_add(1) * 0x9e3779b97f4a7c15ULL);
    copts.now = options_.now;
    conv_ptr = std::make_unique<runtime::v1::Conversation>(flows_, Value(config_->raw), copts);
  }
  runtime::v1::Conversation& conv = *conv_ptr;
  for (size_t i = 0; i + 1 < events.size(); ++i) conv.append(events[i].as_dict());
  // $generation_options holds this call's options; a conversation continued
  // from the cache must not keep the options of an earlier call.
  Value wanted_options = options.given ? Value(options.to_dict()) : Value();
  const Value* current_options = conv.action_context().find("generation_options");
  bool options_differ = current_options ? !(*current_options == wanted_options) : options.given;
  if (options_differ || !bot_message_to_check.is_none()) {
    Dict update = event_of("ContextUpdate");
    Dict data;
    data.set("generation_options", wanted_options);
    if (!bot_message_to_check.is_none()) data.set("bot_message", bot_message_to_check);
    update.set("data", Value(std::move(data)));
    conv.append(std::move(update));
  }
  size_t first_new = conv.events().size();
  TurnActions actions(*shared_, options, result);
  try {
    List input;
    if (!events.empty()) input.push_back(events.back());
    result.new_events = conv.generate_events(input, actions);
  } catch (const LlmCallFailed& e) {
    result.llm_error = e.code();
    result.error = e.what();
    result.message.content = "I'm sorry, an internal error has occurred.";
    result.events = conv.events();
    result.context = conv.action_context();
    return result;
  } catch (const std::exception& e) {
    // Fail closed: the configured error text, and the reason for the log.
    result.error = e.what();
    result.message.content = "I'm sorry, an internal error has occurred.";
    result.events = conv.events();
    result.context = conv.action_context();
    return result;
  }
  if (options_.on_event) {
    for (size_t i = first_new; i < conv.events().size(); ++i) options_.on_event(conv.events()[i].as_dict());
  }

  std::vector<std::string> responses;
  const Dict* exception = nullptr;
  for (const Value& v : result.new_events) {
    const Dict& e = v.as_dict();
    const Value* type = e.find("type");
    if (!type || !type->is_str()) continue;
    if (type->as_str() == "StartUtteranceBotAction") {
      const Value* script = e.find("script");
      std::string s = script && script->is_str() ? script->as_str()
                      : script                  ? colang::to_python_str(*script)
                                                : std::string();
      if (s == "(remove last message)") {
        if (!responses.empty()) responses.pop_back();
      } else {
        responses.push_back(std::move(s));
      }
    } else if (type->as_str().size() >= 9 &&
               type->as_str().compare(type->as_str().size() - 9, 9, "Exception") == 0) {
      exception = &e;
    }
  }
  if (exception) {
    result.message.role = "exception";
    result.message.content = Value(*exception);
  } else {
    std::string joined;
    for (size_t i = 0; i < responses.size(); ++i) joined += (i ? "\n" : "") + responses[i];
    result.message.content = joined;
  }
  result.events = conv.events();
  result.context = conv.action_context();
  // Only the log reads it; rendering the whole history took ~3.5% of a turn.
  if (options.log_colang_history) result.colang_history = prompts::colang_history(result.events);
  result.activated_rails = activated_rails(conv.events(), conv.decided_by(), first_new,
                                           conv.flows(), result.executed_actions);
  // Streaming output rails: the checks of the streamed chunks.
  result.activated_rails.insert(result.activated_rails.end(), actions.stream_rails().begin(),
                                actions.stream_rails().end());

  if (bot_message_to_check.is_none()) {
    std::vector<ChatMessage> extended = messages;
    extended.push_back(result.message);
    cache(extended, std::shared_ptr<const runtime::v1::Conversation>(conv_ptr.release()));
  }
  return result;
}

}  // namespace rg::rails::dialog
