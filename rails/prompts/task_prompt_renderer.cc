#include "rails/prompts/task_prompt_renderer.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <iostream>
#include <utility>

#include "rails/config/yaml_value.h"
#include "rails/prompts/default_prompts/prompt_sources.h"
#include "rails/prompts/history_filters.h"
#include "rails/prompts/output_parsers.h"
#include "rails/prompts/template/filter_registry.h"
#include "rails/prompts/template/internal/values.h"
#include "rails/prompts/template/template.h"

namespace rg::rails::prompts {
namespace {

using colang::Dict;
using colang::List;
using colang::Value;

// Python len() of a UTF-8 string: its code points.
size_t char_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

// ast.literal_eval for what a message template prints: a list of dicts of
// strings (plus numbers, True/False/None). Throws std::runtime_error.
class LiteralReader {
 public:
  explicit LiteralReader(std::string_view s) : s_(s) {}

  Value read_all() {
    Value v = read();
    skip_space();
    if (i_ != s_.size()) fail("unexpected text after the value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(what + " at offset " + std::to_string(i_));
  }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool eat_word(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  Value read() {
    if (++depth_ > 64) fail("nesting too deep");
    skip_space();
    if (i_ >= s_.size()) fail("unexpected end");
    Value out;
    char c = s_[i_];
    if (c == '[' || c == '(') {
      const char close = c == '[' ? ']' : ')';
      ++i_;
      List items;
      while (!eat(close)) {
        items.push_back(read());
        if (!eat(',')) {
          if (!eat(close)) fail(std::string("expected ',' or '") + close + "'");
          break;
        }
      }
      out = Value(std::move(items));
    } else if (c == '{') {
      ++i_;
      Dict d;
      while (!eat('}')) {
        Value k = read();
        if (!k.is_str()) fail("dict keys must be strings");
        if (!eat(':')) fail("expected ':'");
        d.set(k.as_str(), read());
        if (!eat(',')) {
          if (!eat('}')) fail("expected ',' or '}'");
          break;
        }
      }
      out = Value(std::move(d));
    } else if (c == '\'' || c == '"') {
      out = Value(read_string());
      skip_space();
      while (i_ < s_.size() && (s_[i_] == '\'' || s_[i_] == '"')) {  // 'a' 'b' concatenation
        out = Value(out.as_str() + read_string());
        skip_space();
      }
    } else if (eat_word("True")) {
      out = Value(true);
    } else if (eat_word("False")) {
      out = Value(false);
    } else if (eat_word("None")) {
      out = Value();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t b = i_++;
      bool is_float = false;
      while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' ||
                                s_[i_] == 'e' || s_[i_] == 'E' || s_[i_] == '+' || s_[i_] == '-')) {
        if (!std::isdigit(static_cast<unsigned char>(s_[i_]))) is_float = true;
        ++i_;
      }
      std::string num(s_.substr(b, i_ - b));
      out = is_float ? Value(std::strtod(num.c_str(), nullptr))
                     : Value(static_cast<int64_t>(std::strtoll(num.c_str(), nullptr, 10)));
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    --depth_;
    return out;
  }

  uint32_t hex(size_t n) {
    if (i_ + n > s_.size()) fail("truncated escape");
    uint32_t v = 0;
    for (size_t k = 0; k < n; ++k) {
      char h = s_[i_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f') v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= static_cast<uint32_t>(h - 'A' + 10);
      else fail("bad hex escape");
    }
    return v;
  }

  std::string read_string() {
    const char quote = s_[i_++];
    std::string out;
    while (true) {
      if (i_ >= s_.size()) fail("unterminated string");
      char c = s_[i_++];
      if (c == quote) return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'a': out.push_back('\a'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'v': out.push_back('\v'); break;
        case '0': out.push_back('\0'); break;
        case '\n': break;
        case 'x': colang::append_utf8(out, hex(2)); break;
        case 'u': colang::append_utf8(out, hex(4)); break;
        case 'U': colang::append_utf8(out, hex(8)); break;
        default: out.push_back(e); break;  // \\ \' \" (and unknown escapes kept bare)
      }
    }
  }

  std::string_view s_;
  size_t i_ = 0;
  int depth_ = 0;
};

std::string role_of(const std::string& type) {
  if (type == "bot") return "assistant";
  return type;
}

std::vector<TaskPrompt> parse_builtin(std::string_view yaml, std::string_view name) {
  Value v = config::yaml_to_value(YAML::Load(std::string(yaml)));
  const Value* list = v.is_dict() ? v.as_dict().find("prompts") : nullptr;
  auto parsed = parse_task_prompts(list == nullptr ? Value() : *list, name);
  if (!parsed.ok()) {
    // A broken built-in prompt is a bug of ours, not a user error.
    std::cerr << "railguard: built-in prompts broken: " << parsed.error().to_string() << "\n";
    std::abort();
  }
  return std::move(parsed.value());
}

PromptError template_error(const TemplateError& e, std::string_view task) {
  std::string where = e.template_name;
  if (e.line > 0) where += ":" + std::to_string(e.line);
  return PromptError{PromptError::Code::kTemplate, e.message + " (task " + std::string(task) + ")", where};
}

}  // namespace

struct TaskPromptRenderer::Compiled {
  std::shared_ptr<const Template> content;             // set for content prompts
  std::vector<std::shared_ptr<const Template>> messages;  // parallel to TaskPrompt::messages
};

const std::vector<TaskPrompt>& default_prompts() {
  static const std::vector<TaskPrompt> prompts = [] {
    std::vector<TaskPrompt> all = parse_builtin(internal::kCompletionPromptsYaml, "completion_prompts");
    for (TaskPrompt& p : parse_builtin(internal::kChatPromptsYaml, "chat_prompts")) all.push_back(std::move(p));
    return all;
  }();
  return prompts;
}

TaskPromptRenderer::TaskPromptRenderer() = default;
TaskPromptRenderer::~TaskPromptRenderer() = default;

PromptResult<std::shared_ptr<const TaskPromptRenderer>> TaskPromptRenderer::create(
    PromptsConfig config, std::shared_ptr<const FilterRegistry> filters,
    std::shared_ptr<const OutputParserRegistry> parsers) {
  if (!filters) filters = prompt_filters();
  std::shared_ptr<TaskPromptRenderer> r(new TaskPromptRenderer());
  r->parsers_ = parsers ? std::move(parsers) : default_output_parsers();
  r->prompts_ = default_prompts();
  auto user = parse_task_prompts(config.prompts, "prompts");
  if (!user.ok()) return user.error();
  for (TaskPrompt& p : user.value()) r->prompts_.push_back(std::move(p));
  r->config_ = std::move(config);

  for (const TaskPrompt& p : r->prompts_) {
    Compiled c;
    const std::string name = p.source + ":" + p.task;
    if (p.content) {
      auto t = Template::compile(*p.content, name, filters);
      if (!t.ok()) return template_error(t.error(), p.task);
      c.content = t.value();
    }
    for (size_t i = 0; i < p.messages.size(); ++i) {
      auto t = Template::compile(p.messages[i].content, name + ".messages[" + std::to_string(i) + "]", filters);
      if (!t.ok()) return template_error(t.error(), p.task);
      c.messages.push_back(t.value());
    }
    r->compiled_.push_back(std::move(c));
  }
  return std::shared_ptr<const TaskPromptRenderer>(std::move(r));
}

const TaskPrompt* TaskPromptRenderer::find_prompt(std::string_view task, std::string_view model) const {
  int i = select_prompt(prompts_, task, model, config_.prompting_mode);
  return i < 0 ? nullptr : &prompts_[static_cast<size_t>(i)];
}

PromptResult<std::string> TaskPromptRenderer::render_template(const Template& t, const Dict& vars,
                                                              const List& history, std::string_view task) const {
  Dict context;
  context.set("general_instructions", Value(config_.general_instructions));
  context.set("sample_conversation", Value(config_.sample_conversation));
  context.set("sample_conversation_two_turns", Value(config_.sample_conversation));
  for (const std::string& name : t.referenced_names()) {
    if (name == "history") continue;
    if (const Value* v = vars.find(name)) context.set(name, *v);
  }
  context.set("history", Value(history));
  auto out = t.render(context);
  if (!out.ok()) return template_error(out.error(), task);
  return std::move(out.value());
}

PromptResult<RenderedPrompt> TaskPromptRenderer::render(std::string_view task, std::string_view model,
                                                        const Dict& vars, RenderOptions options) const {
  int index = select_prompt(prompts_, task, model, config_.prompting_mode);
  if (index < 0) {
    return PromptError{PromptError::Code::kNoPrompt,
                       "no prompt for task '" + std::string(task) + "' and model '" + std::string(model) + "'",
                       ""};
  }
  const TaskPrompt& p = prompts_[static_cast<size_t>(index)];
  const Compiled& c = compiled_[static_cast<size_t>(index)];

  List history;
  if (const Value* h = vars.find("history"); h != nullptr && h->is_list()) history = h->as_list();

  RenderedPrompt out;
  out.task = std::string(task);
  out.stop = p.stop;
  out.max_tokens = p.max_tokens;
  out.output_parser = p.output_parser;
  out.source = p.source;

  // One rendering of the whole prompt with `events` as the history.
  auto render_once = [&](const List& events, RenderedPrompt& r) -> std::optional<PromptError> {
    auto run = [&](const Template& t) { return render_template(t, vars, events, p.task); };
    if (c.content) {
      auto text = run(*c.content);
      if (!text.ok()) return text.error();
      r.is_chat = false;
      r.prompt = std::move(text.value());
      return std::nullopt;
    }
    r.is_chat = true;
    r.messages.clear();
    for (size_t i = 0; i < c.messages.size(); ++i) {
      auto text = run(*c.messages[i]);
      if (!text.ok()) return text.error();
      const MessageTemplate& m = p.messages[i];
      if (!m.type.empty()) {
        if (!internal::strip(text.value()).empty()) r.messages.push_back({role_of(m.type), std::move(text.value())});
        continue;
      }
      const std::string where = c.messages[i]->name();
      Value list;
      try {
        list = LiteralReader(text.value()).read_all();
      } catch (const std::exception& e) {
        return PromptError{PromptError::Code::kBadMessages,
                           "the template did not render to a list of messages: " + std::string(e.what()), where};
      }
      if (!list.is_list()) {
        return PromptError{PromptError::Code::kBadMessages,
                           "the template rendered a " + std::string(list.type_name()) + ", not a list of messages",
                           where};
      }
      for (const Value& item : list.as_list()) {
        const Value* type = item.is_dict() ? item.as_dict().find("type") : nullptr;
        const Value* content = item.is_dict() ? item.as_dict().find("content") : nullptr;
        if (type == nullptr || content == nullptr || !type->is_str()) {
          return PromptError{PromptError::Code::kBadMessages,
                             "each message must be a dict with 'type' and 'content'", where};
        }
        r.messages.push_back({role_of(type->as_str()), colang::to_python_str(*content)});
      }
    }
    return std::nullopt;
  };
  auto length = [](const RenderedPrompt& r) {
    if (!r.is_chat) return char_count(r.prompt);
    size_t n = 0;
    for (const llm::Message& m : r.messages) n += char_count(m.content) + 1;
    return n;
  };

  size_t dropped = 0;
  while (true) {
    List events(history.begin() + static_cast<std::ptrdiff_t>(dropped), history.end());
    if (auto e = render_once(events, out)) return *e;
    if (static_cast<int64_t>(length(out)) <= p.max_length) break;
    if (events.empty()) {
      return PromptError{PromptError::Code::kTooLong,
                         "the prompt for task '" + out.task + "' is longer than max_length " +
                             std::to_string(p.max_length) + " even without history",
                         p.source};
    }
    ++dropped;
  }
  out.dropped_events = dropped;
  if (!out.is_chat && options.force_string_to_message) {
    out.is_chat = true;
    out.messages.push_back({"user", std::move(out.prompt)});
    out.prompt.clear();
  }
  return out;
}

PromptResult<Value> TaskPromptRenderer::parse_output(const RenderedPrompt& rendered, std::string_view output) const {
  if (rendered.output_parser.empty()) return Value(std::string(output));
  const OutputParser* parser = parsers_->find(rendered.output_parser);
  if (parser == nullptr) {
    return PromptError{PromptError::Code::kBadConfig,
                       "unknown output parser '" + rendered.output_parser + "' (task " + rendered.task + ")",
                       rendered.source};
  }
  return (*parser)(output);
}

}  // namespace rg::rails::prompts
