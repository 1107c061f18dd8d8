#include "rails/prompts/task_prompt.h"

namespace rg::rails::prompts {
namespace {

using colang::Value;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

PromptError bad(std::string where, std::string message) {
  return PromptError{PromptError::Code::kBadConfig, std::move(message), std::move(where)};
}

std::string type_word(const Value& v) { return std::string(v.type_name()); }

// A list of strings at `where`.
std::optional<PromptError> read_strings(const Value& v, const std::string& where, std::vector<std::string>& out) {
  if (!v.is_list()) return bad(where, "expected a list of strings, got " + type_word(v));
  for (size_t i = 0; i < v.as_list().size(); ++i) {
    const Value& item = v.as_list()[i];
    if (!item.is_str()) return bad(where + "[" + std::to_string(i) + "]", "expected a string, got " + type_word(item));
    out.push_back(item.as_str());
  }
  return std::nullopt;
}

PromptResult<TaskPrompt> parse_one(const Value& v, const std::string& where) {
  if (!v.is_dict()) return bad(where, "expected a mapping, got " + type_word(v));
  TaskPrompt p;
  p.source = where;
  bool has_messages = false;
  for (const auto& [key, value] : v.as_dict()) {
    const std::string at = where + "." + key;
    if (value.is_none() && key != "task") continue;  // null = the default
    if (key == "task") {
      if (!value.is_str() || value.as_str().empty()) return bad(at, "expected the task name (a string)");
      p.task = value.as_str();
    } else if (key == "content") {
      if (!value.is_str()) return bad(at, "expected a template string, got " + type_word(value));
      p.content = value.as_str();
    } else if (key == "messages") {
      if (!value.is_list()) return bad(at, "expected a list of messages, got " + type_word(value));
      has_messages = true;
      for (size_t i = 0; i < value.as_list().size(); ++i) {
        const Value& m = value.as_list()[i];
        const std::string mat = at + "[" + std::to_string(i) + "]";
        if (m.is_str()) {
          p.messages.push_back({"", m.as_str()});
          continue;
        }
        if (!m.is_dict()) return bad(mat, "expected {type, content} or a template string, got " + type_word(m));
        const Value* type = m.as_dict().find("type");
        const Value* content = m.as_dict().find("content");
        if (type == nullptr || !type->is_str()) return bad(mat + ".type", "expected system, user, assistant or bot");
        const std::string& t = type->as_str();
        if (t != "system" && t != "user" && t != "assistant" && t != "bot") {
          return bad(mat + ".type", "unknown message type '" + t + "' (system, user, assistant or bot)");
        }
        if (content == nullptr || !content->is_str()) return bad(mat + ".content", "expected a template string");
        for (const auto& [mk, mv] : m.as_dict()) {
          if (mk != "type" && mk != "content") return bad(mat + "." + mk, "unknown field (type, content)");
        }
        p.messages.push_back({t, content->as_str()});
      }
    } else if (key == "models") {
      if (auto e = read_strings(value, at, p.models)) return *e;
    } else if (key == "output_parser") {
      if (!value.is_str()) return bad(at, "expected a parser name, got " + type_word(value));
      p.output_parser = value.as_str();
    } else if (key == "max_length") {
      if (!value.is_int()) return bad(at, "expected an integer, got " + type_word(value));
      p.max_length = value.as_int();
    } else if (key == "mode") {
      if (!value.is_str()) return bad(at, "expected a string, got " + type_word(value));
      p.mode = value.as_str();
    } else if (key == "stop") {
      if (auto e = read_strings(value, at, p.stop)) return *e;
    } else if (key == "max_tokens") {
      if (!value.is_int()) return bad(at, "expected an integer, got " + type_word(value));
      p.max_tokens = value.as_int();
    } else {
      return bad(at, "unknown field (task, content, messages, models, output_parser, max_length, mode, stop, "
                     "max_tokens)");
    }
  }
  if (p.task.empty()) return bad(where + ".task", "missing: every prompt names its task");
  if (p.content.has_value() == has_messages) {
    return bad(where, "prompt for task '" + p.task + "' needs exactly one of content and messages");
  }
  return p;
}

}  // namespace

std::string_view prompt_error_code_name(PromptError::Code code) {
  switch (code) {
    case PromptError::Code::kBadConfig: return "bad_config";
    case PromptError::Code::kNoPrompt: return "no_prompt";
    case PromptError::Code::kTemplate: return "template";
    case PromptError::Code::kBadMessages: return "bad_messages";
    case PromptError::Code::kTooLong: return "too_long";
  }
  return "unknown";
}

std::string PromptError::to_string() const { return where.empty() ? message : where + ": " + message; }

PromptResult<std::vector<TaskPrompt>> parse_task_prompts(const Value& list, std::string_view where) {
  std::vector<TaskPrompt> out;
  if (list.is_none()) return out;
  if (!list.is_list()) return bad(std::string(where), "expected a list of prompts, got " + type_word(list));
  for (size_t i = 0; i < list.as_list().size(); ++i) {
    auto p = parse_one(list.as_list()[i], std::string(where) + "[" + std::to_string(i) + "]");
    if (!p.ok()) return p.error();
    out.push_back(std::move(p.value()));
  }
  return out;
}

std::optional<double> prompt_score(const TaskPrompt& prompt, std::string_view model, std::string_view mode) {
  double score = 0;
  if (prompt.models.empty()) {
    score = 0.2;
  } else {
    for (const std::string& m : prompt.models) {
      if (m == model) {
        score = 1.0;
      } else if (starts_with(model, m + "/")) {
        score = 0.5;
      } else if (ends_with(model, "/" + m)) {
        score = 0.8;
      } else if (!m.empty() && model.find(m) != std::string_view::npos) {
        score = 0.4;
      } else {
        continue;
      }
      break;  // the first model that matches decides
    }
  }
  if (prompt.mode != mode) {
    if (prompt.mode != "standard") return std::nullopt;
    score *= 0.5;
  }
  return score;
}

int select_prompt(const std::vector<TaskPrompt>& prompts, std::string_view task, std::string_view model,
                  std::string_view mode) {
  int best = -1;
  double best_score = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    if (prompts[i].task != task) continue;
    std::optional<double> s = prompt_score(prompts[i], model, mode);
    if (!s) continue;
    if (*s >= best_score) {
      best_score = *s;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace rg::rails::prompts
