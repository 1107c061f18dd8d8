#include "rails/actions/llm_actions.h"

#include <cctype>

#include "colang/parse.h"
#include "runtime/eval.h"

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

// The text a completion call returns, or an ActionError with the provider's
// message ("no LLM configured for task X").
std::string complete(llm::LlmClient& client, const std::string& task, const std::string& prompt,
                     llm::LlmParams params) {
  auto result = client.complete(task, prompt, params);
  if (!result.ok()) throw ActionError(result.error().message);
  return result.value().text;
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

void register_llm_actions(ActionRegistry& registry, std::shared_ptr<llm::LlmClient> llm) {
  registry.add("GenerateUserIntentAction", [llm](const colang::Dict& args,
                                                 const runtime::ActionContext&) {
    // `user_action` ('user said "hi"'); older configs pass `user_utterance`.
    std::string action;
    if (const Value* u = args.find("user_utterance"); u && u->is_str() && !args.contains("user_action"))
      action = "user said \"" + u->as_str() + "\"";
    else
      action = string_argument(args, "GenerateUserIntentAction", "user_action");
    llm::LlmParams params;
    params.temperature = 0.0;
    params.stop = {"\n"};
    std::string prompt = "Name the intent of the user's last action as a short phrase.\n"
                         "user action: " + action + "\nuser intent:";
    std::string text = complete(*llm, "generate_user_intent_from_user_action", prompt, params);
    return ActionOutcome{Value(parse_user_intent(text)), {}};
  });
  registry.add("GenerateValueAction", [llm](const colang::Dict& args,
                                            const runtime::ActionContext&) {
    const std::string& var = string_argument(args, "GenerateValueAction", "var_name");
    const std::string& instructions = string_argument(args, "GenerateValueAction", "instructions");
    llm::LlmParams params;
    params.temperature = 0.1;
    params.stop = {"\n"};
    std::string prompt = "Follow the instruction and answer with a single Python literal.\n# " +
                         instructions + "\n$" + var + " =";
    std::string text = complete(*llm, "generate_value_from_instruction", prompt, params);
    return ActionOutcome{parse_generated_value(text, var), {}};
  });
  registry.add("PassthroughLLMAction", [llm](const colang::Dict& args,
                                             const runtime::ActionContext&) {
    std::string message = arg_or(args, "user_message", "");
    std::string text = complete(*llm, "general", message, {});
    return ActionOutcome{Value(trim(text)), {}};
  });
  // These produce Colang flows from the model's answer; the prompts and the
  // flow parsing arrive with the dialog-rails issue. Until a model can be
  // configured, they fail exactly like the others: no LLM for their task.
  const std::pair<const char*, const char*> kFlowTasks[] = {
      {"GenerateUserIntentAndBotAction", "generate_user_intent_and_bot_action_from_user_action"},
      {"GenerateFlowFromInstructionsAction", "generate_flow_from_instructions"},
      {"GenerateFlowFromNameAction", "generate_flow_from_name"},
      {"GenerateFlowContinuationAction", "generate_flow_continuation"},
      {"GenerateFlowAction", "generate_flow_continuation_from_flow_nld"}};
  for (const auto& [action, task] : kFlowTasks) {
    std::string action_name = action, task_name = task;
    registry.add(action_name, [llm, action_name, task_name](const colang::Dict& args,
                                                          const runtime::ActionContext&) {
      std::string prompt;
      for (const auto& [k, v] : args) prompt += k + ": " + colang::to_python_str(v) + "\n";
      complete(*llm, task_name, prompt, {});
      throw ActionError(action_name + ": turning the model's answer into a flow is not "
                                      "implemented yet (dialog-rails issue)");
      return ActionOutcome{};
    });
  }
}

}  // namespace rg::rails
