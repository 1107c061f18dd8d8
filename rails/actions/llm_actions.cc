#include "rails/actions/llm_actions.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>

#include "colang/parse.h"
#include "rails/config/rails_config.h"
#include "rails/prompts/history_filters.h"
#include "rails/prompts/task_prompt_renderer.h"
#include "retrieval/default_embedder.h"
#include "retrieval/search_index.h"
#include "runtime/eval.h"
#include "runtime/flow_config.h"
#include "runtime/flow_library.h"
#include "runtime/state.h"

namespace rg::rails {

using colang::Value;
using runtime::ActionError;
using runtime::ActionOutcome;

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string first_non_empty_line(const std::string& text) {
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = trim(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (!line.empty()) return line;
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return "";
}

// Literals only: any variable, call or attribute is refused.
class LiteralOnlyHost final : public runtime::EvalHost {
 public:
  Value get_variable(std::string_view name) override {
    throw runtime::EvalError("ValueError", "not a literal: uses $" + std::string(name));
  }
  Value flow_attribute(const colang::FlowRef&, std::string_view) override { return refuse(); }
  Value action_attribute(const colang::ActionRef&, std::string_view) override { return refuse(); }
  std::string new_uid() override { refuse(); return ""; }
  double random() override { refuse(); return 0; }
  Value flows_info(const Value&) override { return refuse(); }

 private:
  static Value refuse() { throw runtime::EvalError("ValueError", "not a literal"); }
};

bool is_literal_tree(const colang::Expr& e) {
  using K = colang::ExprKind;
  switch (e.kind) {
    case K::kLiteral:
      return true;
    case K::kString:
      for (const auto& p : e.parts)
        if (p.expr) return false;
      return true;
    case K::kUnary:
      return e.operand && is_literal_tree(*e.operand);
    case K::kList:
    case K::kSet:
      for (const auto& i : e.items)
        if (!is_literal_tree(*i)) return false;
      return true;
    case K::kDict:
      for (const auto& [k, v] : e.entries)
        if (!k || !is_literal_tree(*k) || !is_literal_tree(*v)) return false;
      return true;
    default:
      return false;
  }
}

std::string arg_or(const colang::Dict& args, const char* name, const std::string& fallback) {
  const Value* v = args.find(name);
  return v ? colang::to_python_str(*v) : fallback;
}

}  // namespace

std::string escape_flow_name(const std::string& text) {
  std::string out;
  bool space = false;
  for (char c : trim(text)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isspace(u)) {
      space = !out.empty();
    } else if (std::isalnum(u) || c == '_' || u >= 0x80) {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

std::string parse_user_intent(const std::string& completion) {
  std::string line = first_non_empty_line(completion);
  if (line.find(':') != std::string::npos) {
    const std::string prefix = "user intent:";
    if (line.rfind(prefix, 0) != 0) return "user was unclear";
    line = trim(line.substr(prefix.size()));
  }
  return escape_flow_name(line);
}

Value parse_generated_value(const std::string& completion, const std::string& var_name) {
  std::string line = trim(completion.substr(0, completion.find('\n')));
  if (!line.empty() && line.back() == ';') line = trim(line.substr(0, line.size() - 1));
  const std::string cue = "$" + var_name + " =";
  if (line.rfind(cue, 0) == 0) line = trim(line.substr(cue.size()));
  std::vector<colang::Diagnostic> diagnostics;
  colang::ExprPtr expr = colang::parse_expression(line, &diagnostics, "<generated value>");
  if (!expr || !is_literal_tree(*expr))
    throw ActionError("GenerateValueAction: the model's answer is not a literal value: " + line);
  LiteralOnlyHost host;
  try {
    return runtime::evaluate(*expr, host);
  } catch (const runtime::EvalError& e) {
    throw ActionError(std::string("GenerateValueAction: ") + e.what());
  }
}

namespace {

// ---------------------------------------------------------------- flow knowledge

// One 2.x flow as the LLM actions see it.
struct FlowSource {
  std::string name;
  std::string source;
};

// The indexes the actions search for few-shot examples.
struct FlowKnowledge {
  std::unique_ptr<retrieval::SearchIndex> user_examples;  // text: utterance, meta: intent flow
  std::unique_ptr<retrieval::SearchIndex> flows;          // text, meta: flow source
  std::unique_ptr<retrieval::SearchIndex> instruction_flows;  // flows with a docstring / comment
  std::vector<std::string> user_intents;                  // `user ...` flows with examples, in order
};

// `user said "..."` and `final_transcript="..."` literals in a flow's source.
std::vector<std::string> utterance_examples(const std::string& source) {
  static const std::regex kSaid(R"re(user said "((?:[^"\\]|\\.)*)")re");
  static const std::regex kTranscript(R"re(final_transcript\s*=\s*"((?:[^"\\]|\\.)*)")re");
  std::vector<std::pair<size_t, std::string>> found;
  for (const std::regex* re : {&kSaid, &kTranscript}) {
    for (auto it = std::sregex_iterator(source.begin(), source.end(), *re); it != std::sregex_iterator(); ++it)
      found.emplace_back(static_cast<size_t>(it->position(0)), (*it)[1].str());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [pos, text] : found) out.push_back(std::move(text));
  return out;
}

bool has_instruction(const std::string& source) {
  size_t nl = source.find('\n');
  if (nl == std::string::npos) return false;
  size_t end = source.find('\n', nl + 1);
  std::string second = trim(source.substr(nl + 1, end == std::string::npos ? std::string::npos : end - nl - 1));
  return second.rfind("#", 0) == 0 || second.rfind("\"\"\"", 0) == 0;
}

// Builds one index of the flow knowledge; null for no items.
using IndexBuilder =
    std::function<std::unique_ptr<retrieval::SearchIndex>(std::vector<retrieval::IndexItem>, const char* label)>;

std::shared_ptr<const FlowKnowledge> build_knowledge(const std::vector<FlowSource>& flows, const IndexBuilder& build) {
  std::vector<retrieval::IndexItem> users, all, instructed;
  auto k = std::make_shared<FlowKnowledge>();
  for (const FlowSource& f : flows) {
    if (f.source.empty()) continue;
    all.push_back({f.source, f.source});
    if (has_instruction(f.source)) instructed.push_back({f.source, f.source});
    if (f.name.rfind("user ", 0) != 0) continue;
    std::vector<std::string> examples = utterance_examples(f.source);
    for (auto& e : examples) users.push_back({std::move(e), f.name});
    if (!examples.empty()) k->user_intents.push_back(f.name);
  }
  k->user_examples = build(std::move(users), "user examples");
  k->flows = build(std::move(all), "flows");
  k->instruction_flows = build(std::move(instructed), "instruction flows");
  return k;
}

bool excluded_by_meta(const std::vector<colang::Decorator>& decorators) {
  for (const auto& d : decorators) {
    if (d.name != "meta") continue;
    const Value* v = d.parameters.find("llm_exclude");
    if (v && v->is_bool() && v->as_bool()) return true;
  }
  return false;
}

std::vector<FlowSource> flows_of(const config::RailsConfig& cfg) {
  std::vector<FlowSource> out;
  for (const colang::File& file : cfg.v2_files) {
    if (file.exclude_from_llm) continue;
    for (const colang::Flow& f : file.flows)
      if (!f.exclude_from_llm && !excluded_by_meta(f.decorators)) out.push_back({f.name, f.source_code});
  }
  return out;
}

std::vector<FlowSource> flows_of(const runtime::FlowLibrary& library) {
  std::vector<FlowSource> out;
  for (const std::string& id : library.flow_ids()) {
    const runtime::FlowConfig* f = library.find(id);
    if (f && !f->exclude_from_llm && !excluded_by_meta(f->decorators) && id.rfind("_dynamic_", 0) != 0)
      out.push_back({f->id, f->source_code});
  }
  return out;
}

// ---------------------------------------------------------------- shared state

struct Shared {
  std::shared_ptr<llm::LlmClient> llm;
  std::shared_ptr<const prompts::TaskPromptRenderer> renderer;
  std::string model;
  std::shared_ptr<const config::RailsConfig> config;
  std::shared_ptr<const FlowKnowledge> config_knowledge;  // from config->v2_files
  IndexBuilder build_index;

  // Without a config: built from the conversation's library, cached per library.
  mutable std::mutex mu;
  mutable std::shared_ptr<const runtime::FlowLibrary> cached_library;
  mutable std::shared_ptr<const FlowKnowledge> cached_knowledge;

  std::shared_ptr<const FlowKnowledge> knowledge(const runtime::ActionContext& ctx) const {
    if (config_knowledge) return config_knowledge;
    std::lock_guard<std::mutex> lock(mu);
    if (!cached_knowledge || cached_library != ctx.state.library) {
      cached_library = ctx.state.library;
      cached_knowledge = build_knowledge(cached_library ? flows_of(*cached_library) : std::vector<FlowSource>{},
                                         build_index);
    }
    return cached_knowledge;
  }

  double lowest_temperature() const { return config ? config->lowest_temperature : 0.001; }
};

// Renders the task's prompt, calls the model and applies the prompt's output
// parser. Provider failures ("no LLM configured for task X") and prompt
// errors become ActionErrors.
std::string call_llm(const Shared& sh, const std::string& task, const colang::Dict& vars, llm::LlmParams params) {
  auto rendered = sh.renderer->render(task, sh.model.empty() ? "unknown" : sh.model, vars);
  if (!rendered.ok()) throw ActionError("prompt for task " + task + ": " + rendered.error().to_string());
  const prompts::RenderedPrompt& p = rendered.value();
  llm::LlmRequest request;
  request.task = task;
  request.params = std::move(params);
  if (request.params.stop.empty()) request.params.stop = p.stop;
  if (p.max_tokens && !request.params.max_tokens) request.params.max_tokens = static_cast<int>(*p.max_tokens);
  if (p.is_chat)
    request.messages = p.messages;
  else
    request.prompt = p.prompt;
  auto result = sh.llm->generate(request);
  if (!result.ok()) throw ActionError(result.error().message);
  std::string text = result.value().text;
  if (!p.output_parser.empty()) {
    auto parsed = sh.renderer->parse_output(p, text);
    if (!parsed.ok()) throw ActionError("task " + task + ": " + parsed.error().to_string());
    if (parsed.value().is_str()) text = parsed.value().as_str();
  }
  return text;
}

colang::Dict log_event(const char* type, const std::string& flow_id, Value parameter,
                       const std::string& intent_flow_id = "") {
  colang::Dict e;
  e.set("type", type);
  e.set("flow_id", flow_id);
  e.set("parameter", std::move(parameter));
  if (!intent_flow_id.empty()) e.set("intent_flow_id", intent_flow_id);
  return e;
}

// The unhandled user intent the LLM is asked to continue from: the global
// $last_unhandled_user_intent, else the $intent of a running `continuation on
// unhandled user intent`.
std::string pending_user_intent(const runtime::State& state) {
  std::string intent;
  for (const runtime::FlowState* f : state.live_flows) {
    if (f->flow_id != "continuation on unhandled user intent") continue;
    const Value* v = f->context->find("intent");
    if (v && v->is_str()) intent = v->as_str();
  }
  if (intent.empty())
    if (const Value* v = state.globals.find("last_unhandled_user_intent"); v && v->is_str()) intent = v->as_str();
  return intent;
}

// The history a prompt gets. The 2.x runtime keeps no event log, so this is
// what the state knows: the last user utterance and, when asked, the
// unhandled intent it was classified as.
colang::List history_of(const runtime::State& state, bool with_intent) {
  colang::List events;
  std::string intent = with_intent ? pending_user_intent(state) : "";
  if (!state.last_user_message.empty())
    events.emplace_back(log_event("UserActionLog", "user said", Value(state.last_user_message), intent));
  if (!intent.empty()) events.emplace_back(log_event("UserIntentLog", intent, Value()));
  return events;
}

colang::Dict base_vars(const runtime::State& state, colang::List history) {
  colang::Dict vars;
  vars.set("history", Value(std::move(history)));
  vars.set("context", Value(state.globals));
  return vars;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (true) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return lines;
}

// Lines without the leading blank ones; empty when the text is blank.
std::vector<std::string> content_lines(const std::string& text) {
  std::vector<std::string> lines = lines_of(text);
  size_t first = 0;
  while (first < lines.size() && trim(lines[first]).empty()) ++first;
  lines.erase(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(first));
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  return lines;
}

// The rest of the first line that starts with `prefix` (after trimming).
std::optional<std::string> first_with_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& l : lines) {
    std::string t = trim(l);
    if (t.rfind(prefix, 0) == 0) return trim(t.substr(prefix.size()));
  }
  return std::nullopt;
}

std::string remove_identifier(const std::string& line) {
  for (const char* id : {"bot intent:", "bot action:", "user intent:", "user action:"}) {
    std::string p = id;
    if (line.rfind(p, 0) == 0) return trim(line.substr(p.size()));
  }
  return line;
}

std::string hex_id(runtime::State& state, size_t n) {
  std::string id;
  for (char c : state.new_uuid())
    if (std::isxdigit(static_cast<unsigned char>(c))) id += static_cast<char>(std::tolower(c));
  while (id.size() < n) id += '0';
  return id.substr(0, n);
}

// Fails with an ActionError when `source` does not parse as Colang 2.x.
void check_flow_source(const std::string& action, const std::string& source) {
  colang::ParseResult parsed = colang::parse_colang(source, "<" + action + ">");
  if (parsed.ok() && !parsed.file.flows.empty()) return;
  std::string message = action + ": the model's answer does not give a valid flow:";
  for (const auto& d : parsed.diagnostics)
    if (d.severity == colang::Diagnostic::Severity::kError) message += "\n" + d.render();
  if (parsed.ok()) message += " no flow";
  throw ActionError(message + "\n--- generated ---\n" + source);
}

// Few-shot flow examples: the top hits, most relevant last.
std::string flow_examples(const retrieval::SearchIndex* index, const std::string& query, size_t n,
                          bool strip_comments) {
  if (!index) return "";
  std::vector<retrieval::SearchHit> hits = index->search(query, n);
  std::string out;
  for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
    std::string flow = it->meta;
    if (strip_comments) {
      std::string kept;
      for (const auto& l : lines_of(flow)) {
        std::string t = trim(l);
        if (t.rfind("#", 0) == 0) continue;
        kept += l + "\n";
      }
      flow = kept;
    }
    if (!flow.empty() && flow.back() != '\n') flow += '\n';
    out += flow;
    if (strip_comments) out += '\n';
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// ---------------------------------------------------------------- user intents

struct IntentExamples {
  std::string examples;
  std::vector<std::string> potential;
  std::optional<std::string> embeddings_only_intent;  // set: no LLM call needed
};

IntentExamples collect_intent_examples(const Shared& sh, const FlowKnowledge& k, const std::string& user_action,
                                       size_t max_examples) {
  IntentExamples out;
  // The utterance itself searches better than `user said "..."`.
  std::string query = user_action;
  static const std::regex kSaid(R"re(^\s*user said "(.*)"\s*$)re");
  std::smatch m;
  if (std::regex_match(user_action, m, kSaid)) query = m[1].str();

  if (k.user_examples) {
    config::UserMessagesConfig um;
    if (sh.config) um = sh.config->rails.user_messages;
    std::optional<float> threshold;
    if (um.embeddings_only_similarity_threshold)
      threshold = static_cast<float>(*um.embeddings_only_similarity_threshold);
    std::vector<retrieval::SearchHit> hits = k.user_examples->search(query, max_examples, threshold);
    if (um.embeddings_only) {
      if (!hits.empty()) {
        out.embeddings_only_intent = hits.front().meta;
        return out;
      }
      if (um.embeddings_only_fallback_intent) {
        out.embeddings_only_intent = *um.embeddings_only_fallback_intent;
        return out;
      }
    }
    if (threshold) hits = k.user_examples->search(query, max_examples);
    // Most relevant last, nearest to the question.
    for (auto it = hits.rbegin(); it != hits.rend(); ++it) {
      out.examples += "user action: user said \"" + it->text + "\"\nuser intent: " + it->meta + "\n\n";
      if (std::find(out.potential.begin(), out.potential.end(), it->meta) == out.potential.end())
        out.potential.push_back(it->meta);
    }
  }
  // Intent flows without utterance examples can still be named.
  for (const std::string& intent : k.user_intents)
    if (std::find(out.potential.begin(), out.potential.end(), intent) == out.potential.end())
      out.potential.push_back(intent);
  while (!out.examples.empty() && out.examples.back() == '\n') out.examples.pop_back();
  return out;
}

std::string user_action_argument(const colang::Dict& args, const char* action) {
  // `user_action` ('user said "hi"'); older configs pass `user_utterance`.
  if (const Value* u = args.find("user_utterance"); u && u->is_str() && !args.contains("user_action"))
    return "user said \"" + u->as_str() + "\"";
  return string_argument(args, action, "user_action");
}

size_t max_examples_argument(const colang::Dict& args) {
  const Value* v = args.find("max_example_flows");
  if (v && v->is_int() && v->as_int() > 0) return static_cast<size_t>(v->as_int());
  return 5;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

// The `"""..."""` docstring of a flow's source, dedented; "" when none.
std::string docstring_of(const std::string& source) {
  size_t b = source.find("\"\"\"");
  if (b == std::string::npos) return "";
  size_t e = source.find("\"\"\"", b + 3);
  if (e == std::string::npos) return "";
  std::vector<std::string> lines = lines_of(source.substr(b + 3, e - b - 3));
  size_t indent = std::string::npos;
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t p = lines[i].find_first_not_of(' ');
    if (p != std::string::npos) indent = std::min(indent, p);
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string l = lines[i];
    if (i > 0 && indent != std::string::npos && l.size() >= indent) l = l.substr(indent);
    out += (i ? "\n" : "") + l;
  }
  return trim(out);
}

}  // namespace

std::optional<std::string> bot_say_message(const std::string& bot_action) {
  std::string line = trim(bot_action);
  const std::string cue = "bot say ";
  if (line.rfind(cue, 0) != 0) return std::nullopt;
  std::string literal = trim(line.substr(cue.size()));
  std::vector<colang::Diagnostic> diagnostics;
  colang::ExprPtr expr = colang::parse_expression(literal, &diagnostics, "<bot action>");
  if (!expr || expr->kind != colang::ExprKind::kString) return std::nullopt;
  std::string text;
  for (const auto& part : expr->parts) {
    if (part.expr) return std::nullopt;
    text += part.text;
  }
  return text;
}

GeneratedContinuation parse_flow_continuation(const std::string& completion) {
  std::vector<std::string> lines = content_lines(completion);
  if (lines.empty())
    throw ActionError("GenerateFlowContinuationAction: the model gave an empty answer");
  GeneratedContinuation out;
  std::string intent = remove_identifier(trim(lines[0]));
  // A first line that is itself the `bot say "..."` action names no intent.
  if (intent.rfind("bot ", 0) != 0 || bot_say_message(intent))
    intent = first_with_prefix(lines, "bot intent:").value_or("");
  std::optional<std::string> action = first_with_prefix(lines, "bot action:");
  if (!action) {
    // A bare `bot say "..."` line is taken as the action.
    for (const auto& l : lines) {
      std::string t = trim(l);
      if (t.rfind("bot say ", 0) == 0 && bot_say_message(t)) {
        action = t;
        break;
      }
    }
  }
  if (!action || action->empty())
    throw ActionError("GenerateFlowContinuationAction: the model's answer holds no `bot action:` line: " +
                      trim(completion));
  out.bot_intent = escape_flow_name(intent);
  out.bot_action = *action;
  return out;
}

std::string main_model_id(const config::RailsConfig& config) {
  const config::ModelConfig* m = config.main_model();
  if (!m) return "unknown";
  return m->engine + (m->model.empty() ? "" : "/" + m->model);
}

// Registers `handler` so that an embedding engine failing mid-turn (a remote
// endpoint down) fails the action like an LLM failure does, with its message.
static void add_guarded(ActionRegistry& registry, std::string name, ActionHandler handler) {
  registry.add(name, [name, handler = std::move(handler)](const colang::Dict& args,
                                                         const runtime::ActionContext& ctx) {
    try {
      return handler(args, ctx);
    } catch (const retrieval::EmbeddingError& e) {
      throw ActionError(name + ": " + e.what());
    }
  });
}

void register_llm_actions(ActionRegistry& registry, std::shared_ptr<llm::LlmClient> llm, LlmActionsOptions options) {
  auto sh = std::make_shared<Shared>();
  sh->llm = std::move(llm);
  if (!sh->llm) sh->llm = std::make_shared<llm::NoLlmConfigured>();
  sh->renderer = std::move(options.renderer);
  if (!sh->renderer) {
    auto created = prompts::TaskPromptRenderer::create(prompts::PromptsConfig{});
    if (!created.ok()) throw std::logic_error("built-in prompts: " + created.error().to_string());
    sh->renderer = created.value();
  }
  sh->model = options.model.empty() ? "unknown" : options.model;
  sh->config = std::move(options.config);
  if (options.indexer) {
    std::shared_ptr<const embeddings::ConfigIndexer> indexer = options.indexer;
    sh->build_index = [indexer](std::vector<retrieval::IndexItem> items,
                                const char* label) -> std::unique_ptr<retrieval::SearchIndex> {
      if (items.empty()) return nullptr;
      return indexer->build(std::move(items), embeddings::IndexPurpose::kDialog, label);
    };
  } else {
    std::shared_ptr<const retrieval::Embedder> embedder = retrieval::make_builtin_embedder();
    sh->build_index = [embedder](std::vector<retrieval::IndexItem> items,
                                 const char*) -> std::unique_ptr<retrieval::SearchIndex> {
      if (items.empty()) return nullptr;
      return std::make_unique<retrieval::SearchIndex>(embedder, std::move(items));
    };
  }
  if (sh->config && !sh->config->v2_files.empty())
    sh->config_knowledge = build_knowledge(flows_of(*sh->config), sh->build_index);

  add_guarded(registry, "GenerateUserIntentAction", [sh](const colang::Dict& args, const runtime::ActionContext& ctx) {
    std::string action = user_action_argument(args, "GenerateUserIntentAction");
    auto knowledge = sh->knowledge(ctx);
    IntentExamples ex = collect_intent_examples(*sh, *knowledge, action, max_examples_argument(args));
    if (ex.embeddings_only_intent) return ActionOutcome{Value(*ex.embeddings_only_intent), {}};
    // The utterance is the prompt's last line; the history stops before it.
    colang::Dict vars = base_vars(ctx.state, {});
    vars.set("examples", ex.examples);
    vars.set("potential_user_intents", joined(ex.potential));
    vars.set("user_action", action);
    llm::LlmParams params;
    params.temperature = sh->lowest_temperature();
    std::string text = call_llm(*sh, "generate_user_intent_from_user_action", vars, params);
    return ActionOutcome{Value(parse_user_intent(text)), {}};
  });

  add_guarded(registry, "GenerateUserIntentAndBotAction", [sh](const colang::Dict& args, const runtime::ActionContext& ctx) {
    std::string action = user_action_argument(args, "GenerateUserIntentAndBotAction");
    auto knowledge = sh->knowledge(ctx);
    IntentExamples ex = collect_intent_examples(*sh, *knowledge, action, max_examples_argument(args));
    colang::Dict vars = base_vars(ctx.state, {});
    vars.set("examples", ex.examples);
    vars.set("potential_user_intents", joined(ex.potential));
    vars.set("user_action", action);
    llm::LlmParams params;
    params.temperature = sh->lowest_temperature();
    std::string text = call_llm(*sh, "generate_user_intent_and_bot_action_from_user_action", vars, params);
    std::vector<std::string> lines = content_lines(text);
    std::string user_intent = parse_user_intent(text);
    if (user_intent.empty()) user_intent = "user was unclear";
    std::string bot_intent = escape_flow_name(first_with_prefix(lines, "bot intent:").value_or(""));
    std::optional<std::string> bot_action = first_with_prefix(lines, "bot action:");
    if (!bot_action)
      throw ActionError("GenerateUserIntentAndBotAction: the model's answer holds no `bot action:` line: " +
                        trim(text));
    std::optional<std::string> message = bot_say_message(*bot_action);
    if (!message)
      throw ActionError("GenerateUserIntentAndBotAction: the bot action is not `bot say \"...\"`: " + *bot_action);
    colang::Dict result;
    result.set("user_intent", user_intent);
    result.set("bot_intent", bot_intent.empty() ? Value() : Value(bot_intent));
    result.set("bot_action", *bot_action);
    result.set("bot_message", *message);
    return ActionOutcome{Value(std::move(result)), {}};
  });

  add_guarded(registry, "GenerateValueAction", [sh](const colang::Dict& args, const runtime::ActionContext& ctx) {
    const std::string& var = string_argument(args, "GenerateValueAction", "var_name");
    const std::string& instructions = string_argument(args, "GenerateValueAction", "instructions");
    colang::Dict vars = base_vars(ctx.state, history_of(ctx.state, false));
    vars.set("instructions", instructions);
    vars.set("var_name", var);
    auto knowledge = sh->knowledge(ctx);
    std::string examples;
    if (knowledge->flows)
      for (const auto& hit : knowledge->flows->search("$" + var + " = ", 5))
        if (hit.text.find("GenerateValueAction") == std::string::npos) examples = hit.text + "\n\n" + examples;
    vars.set("examples", examples);
    llm::LlmParams params;
    params.temperature = 0.1;
    std::string text = call_llm(*sh, "generate_value_from_instruction", vars, params);
    return ActionOutcome{parse_generated_value(text, var), {}};
  });

  add_guarded(registry, "PassthroughLLMAction", [sh](const colang::Dict& args, const runtime::ActionContext&) {
    std::string message = arg_or(args, "user_message", "");
    llm::LlmRequest request;
    request.task = "general";
    request.prompt = message;
    auto result = sh->llm->generate(request);
    if (!result.ok()) throw ActionError(result.error().message);
    return ActionOutcome{Value(trim(result.value().text)), {}};
  });

  add_guarded(registry, "GenerateFlowContinuationAction", [sh](const colang::Dict& args, const runtime::ActionContext& ctx) {
    colang::List history = history_of(ctx.state, true);
    std::string history_text = prompts::colang_history(history);
    std::vector<std::string> hl = content_lines(history_text);
    std::string search = hl.empty() ? "" : hl.back();
    auto knowledge = sh->knowledge(ctx);
    colang::Dict vars = base_vars(ctx.state, std::move(history));
    vars.set("examples", flow_examples(knowledge->flows.get(), search, 10, true));
    llm::LlmParams params;
    params.temperature = 0.0;
    if (const Value* t = args.find("temperature"); t && t->is_number()) params.temperature = t->as_number();
    std::string text = call_llm(*sh, "generate_flow_continuation", vars, params);
    GeneratedContinuation c = parse_flow_continuation(text);
    std::string name = "_dynamic_" + hex_id(ctx.state, 8);
    if (!c.bot_intent.empty()) name += " " + c.bot_intent;
    std::string body;
    if (!c.bot_intent.empty()) body += "@meta(bot_intent=\"" + c.bot_intent + "\")\n";
    body += "flow " + name + "\n  " + c.bot_action + "\n";
    check_flow_source("GenerateFlowContinuationAction", body);
    colang::Dict result;
    result.set("name", name);
    result.set("parameters", Value(colang::List{}));
    result.set("body", body);
    return ActionOutcome{Value(std::move(result)), {}};
  });

  add_guarded(registry, "GenerateFlowFromNameAction", [sh](const colang::Dict& args, const runtime::ActionContext& ctx) {
    const std::string& name = string_argument(args, "GenerateFlowFromNameAction", "name");
    auto knowledge = sh->knowledge(ctx);
    const retrieval::SearchIndex* index =
        knowledge->instruction_flows ? knowledge->instruction_flows.get() : knowledge->flows.get();
    colang::Dict vars = base_vars(ctx.state, history_of(ctx.state, false));
    vars.set("examples", flow_examples(index, "flow " + name, 5, false));
    vars.set("flow_name", name);
    llm::LlmParams params;
    params.temperature = sh->lowest_temperature();
    std::string text = call_llm(*sh, "generate_flow_from_name", vars, params);
    std::vector<std::string> lines = content_lines(text);
    if (lines.empty()) throw ActionError("GenerateFlowFromNameAction: the model gave an empty answer for '" + name + "'");
    std::string source;
    if (lines[0].rfind("flow ", 0) == 0) {
      for (const auto& l : lines) source += l + "\n";
    } else {
      source = "flow " + name + "\n";
      for (const auto& l : lines) {
        size_t p = l.find_first_not_of(" \t");
        source += p == std::string::npos ? "\n" : "  " + l.substr(p) + "\n";
      }
    }
    check_flow_source("GenerateFlowFromNameAction", source);
    return ActionOutcome{Value(source), {}};
  });

  add_guarded(registry, "GenerateFlowFromInstructionsAction", [sh](const colang::Dict& args,
                                                          const runtime::ActionContext& ctx) {
    const std::string& instructions = string_argument(args, "GenerateFlowFromInstructionsAction", "instructions");
    auto knowledge = sh->knowledge(ctx);
    const retrieval::SearchIndex* index =
        knowledge->instruction_flows ? knowledge->instruction_flows.get() : knowledge->flows.get();
    std::string name = "dynamic_" + hex_id(ctx.state, 4);
    colang::Dict vars = base_vars(ctx.state, history_of(ctx.state, false));
    vars.set("examples", flow_examples(index, instructions, 5, false));
    vars.set("flow_name", name);
    vars.set("instructions", instructions);
    llm::LlmParams params;
    params.temperature = sh->lowest_temperature();
    std::string text = call_llm(*sh, "generate_flow_from_instructions", vars, params);
    std::vector<std::string> lines = content_lines(text);
    if (lines.empty() || (lines[0].rfind(" ", 0) != 0 && lines[0].rfind("\t", 0) != 0))
      throw ActionError("GenerateFlowFromInstructionsAction: the model's answer is not an indented flow body: " +
                        trim(text));
    std::string body = "flow " + name + "\n";
    for (const auto& l : lines) body += l + "\n";
    check_flow_source("GenerateFlowFromInstructionsAction", body);
    colang::Dict result;
    result.set("name", name);
    result.set("parameters", Value(colang::List{}));
    result.set("body", body);
    return ActionOutcome{Value(std::move(result)), {}};
  });

  add_guarded(registry, "GenerateFlowAction", [sh](const colang::Dict& args, const runtime::ActionContext& ctx) {
    const std::string& flow_id = string_argument(args, "GenerateFlowAction", "flow_id");
    const runtime::FlowConfig* flow = ctx.state.library ? ctx.state.library->find(flow_id) : nullptr;
    if (!flow) throw ActionError("GenerateFlowAction: no flow '" + flow_id + "'");
    std::string nld = docstring_of(flow->source_code);
    if (nld.empty())
      throw ActionError("GenerateFlowAction: flow '" + flow_id + "' has no docstring to generate its body from");
    colang::Dict vars = base_vars(ctx.state, history_of(ctx.state, false));
    vars.set("flow_nld", nld);
    llm::LlmParams params;
    params.temperature = sh->lowest_temperature();
    std::string text = call_llm(*sh, "generate_flow_continuation_from_flow_nld", vars, params);
    std::vector<std::string> lines = content_lines(text);
    if (!lines.empty() && (lines[0].find("```") != std::string::npos || lines[0].find("codeblock") != std::string::npos))
      lines.erase(lines.begin());
    std::vector<std::string> body_lines;
    for (std::string l : lines) {
      if (trim(l).rfind("```", 0) == 0) break;
      if (l.rfind("  ", 0) != 0) l = "  " + l;
      if (l.rfind("  user ", 0) == 0) break;  // stops where the user would act
      body_lines.push_back(l);
      if (trim(l) == "...") break;
    }
    bool any = false;
    for (const auto& l : body_lines) any = any || !trim(l).empty();
    if (!any) throw ActionError("GenerateFlowAction: the model gave no flow body for '" + flow_id + "'");
    std::string name = "_dynamic_" + hex_id(ctx.state, 8);
    std::string body = "flow " + name + "\n";
    for (const auto& l : body_lines) body += l + "\n";
    check_flow_source("GenerateFlowAction", body);
    colang::Dict result;
    result.set("name", name);
    result.set("parameters", Value(colang::List{}));
    result.set("body", body);
    return ActionOutcome{Value(std::move(result)), {}};
  });
}

}  // namespace rg::rails
