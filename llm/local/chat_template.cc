// llm/local/chat_template.cc: see chat_template.h. Each render_* function is
// one family's Jinja template transcribed to C++ for role/content messages.
#include "llm/local/chat_template.h"

#include <algorithm>
#include <ctime>
#include <stdexcept>

namespace rg::llm::local {

namespace {

using Family = ChatTemplate::Family;

// Jinja's |trim and Python's str.strip(): ASCII whitespace at both ends.
std::string trim(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(ws);
  return std::string(s.substr(b, e - b + 1));
}

bool has(std::string_view hay, std::string_view needle) { return hay.find(needle) != std::string_view::npos; }

void check_role(const ChatMessage& m, std::initializer_list<std::string_view> allowed, const char* family) {
  for (auto r : allowed)
    if (m.role == r) return;
  throw std::invalid_argument(std::string(family) + " chat template: role \"" + m.role + "\" is not supported");
}

// Splits off a leading system message (the llama2/mistral templates do).
std::pair<const ChatMessage*, std::vector<const ChatMessage*>> split_system(const std::vector<ChatMessage>& ms) {
  std::vector<const ChatMessage*> rest;
  const ChatMessage* system = nullptr;
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (i == 0 && ms[i].role == "system") system = &ms[i];
    else rest.push_back(&ms[i]);
  }
  return {system, rest};
}

void check_alternation(const std::vector<const ChatMessage*>& ms, const char* family) {
  for (std::size_t i = 0; i < ms.size(); ++i) {
    check_role(*ms[i], {"user", "assistant"}, family);
    if ((ms[i]->role == "user") != (i % 2 == 0))
      throw std::invalid_argument(std::string(family) +
                                  " chat template: after the optional system message, roles must alternate "
                                  "user/assistant/user/... (message " + std::to_string(i) + " is " +
                                  ms[i]->role + ")");
  }
}

std::string today() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d %b %Y", &tm);
  return buf;
}

// The default system text of a ChatML template: the literal of
// '<|im_start|>system\n...<|im_end|>' that holds no expression (Qwen2's
// tool branch also opens a system turn, with messages[0]['content']).
std::string chatml_default_system(const std::string& jinja) {
  const std::string open = "<|im_start|>system";
  for (std::size_t at = jinja.find(open); at != std::string::npos; at = jinja.find(open, at + 1)) {
    std::size_t p = at + open.size();
    if (jinja.compare(p, 2, "\\n") == 0) p += 2;
    else if (p < jinja.size() && jinja[p] == '\n') p += 1;
    else continue;
    const std::size_t end = jinja.find("<|im_end|>", p);
    if (end == std::string::npos) continue;
    const std::string text = jinja.substr(p, end - p);
    if (text.empty() || text.find_first_of("'\"{}+") != std::string::npos) continue;
    return text;
  }
  return "";
}

}  // namespace

ChatTemplate::ChatTemplate(Family f) : family_(f), error_() {
  switch (f) {
    case Family::kLlama3:
    case Family::kLlama31:
      name_ = f == Family::kLlama3 ? "llama3" : "llama3.1";
      bos_ = "<|begin_of_text|>";
      eos_ = "<|end_of_text|>";
      stop_strings_ = {"<|eot_id|>", "<|end_of_text|>"};
      if (f == Family::kLlama31) stop_strings_.push_back("<|eom_id|>");
      date_ = "26 Jul 2024";
      break;
    case Family::kLlama2:
    case Family::kMistral:
    case Family::kMistralV3:
      name_ = f == Family::kLlama2 ? "llama2" : f == Family::kMistral ? "mistral" : "mistral-v3";
      bos_ = "<s>";
      eos_ = "</s>";
      stop_strings_ = {"</s>"};
      break;
    case Family::kChatml:
      name_ = "chatml";
      stop_strings_ = {"<|im_end|>", "<|endoftext|>"};
      break;
    case Family::kNone:
      break;
  }
}

std::vector<std::string> ChatTemplate::known_names() {
  return {"llama3", "llama3.1", "llama2", "mistral", "mistral-v3", "chatml", "qwen2"};
}

namespace {
std::string known_list() {
  std::string s;
  for (const auto& n : ChatTemplate::known_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}
}  // namespace

ChatTemplate ChatTemplate::by_name(std::string_view name) {
  if (name == "llama3") return ChatTemplate(Family::kLlama3);
  if (name == "llama3.1") return ChatTemplate(Family::kLlama31);
  if (name == "llama2") return ChatTemplate(Family::kLlama2);
  if (name == "mistral") return ChatTemplate(Family::kMistral);
  if (name == "mistral-v3") return ChatTemplate(Family::kMistralV3);
  if (name == "chatml") return ChatTemplate(Family::kChatml);
  if (name == "qwen2") {
    ChatTemplate t(Family::kChatml);
    t.name_ = "qwen2";
    t.default_system_ = "You are a helpful assistant.";
    return t;
  }
  throw std::invalid_argument("unknown chat template name \"" + std::string(name) + "\" (known: " + known_list() + ")");
}

ChatTemplate ChatTemplate::unavailable(std::string error) {
  ChatTemplate t;
  t.error_ = std::move(error);
  return t;
}

ChatTemplate ChatTemplate::from_jinja(const std::string& jinja, const std::string& source) {
  ChatTemplate t;
  if (has(jinja, "<|start_header_id|>") && has(jinja, "<|eot_id|>")) {
    if (has(jinja, "Cutting Knowledge Date")) {
      t = ChatTemplate(Family::kLlama31);
      // 3.2's template asks transformers for today's date (strftime_now).
      if (has(jinja, "strftime_now")) t.date_ = today();
    } else {
      t = ChatTemplate(Family::kLlama3);
    }
  } else if (has(jinja, "[INST]") && has(jinja, "<<SYS>>")) {
    t = ChatTemplate(Family::kLlama2);
  } else if (has(jinja, "[INST]")) {
    // v1 puts a space before [/INST]; v3 ends the user text right at it.
    t = ChatTemplate(has(jinja, " [/INST]") ? Family::kMistral : Family::kMistralV3);
  } else if (has(jinja, "<|im_start|>") && has(jinja, "<|im_end|>")) {
    t = ChatTemplate(Family::kChatml);
    t.default_system_ = chatml_default_system(jinja);
  } else {
    throw std::invalid_argument(source + ": chat template not recognised (it has none of the markers of " +
                                known_list() + "); choose one by name");
  }
  t.jinja_ = jinja;
  return t;
}

void ChatTemplate::set_special_tokens(std::string bos, std::string eos) {
  if (!bos.empty()) bos_ = std::move(bos);
  if (!eos.empty()) eos_ = std::move(eos);
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& ms, bool add_generation_prompt) const {
  std::string out;
  switch (family_) {
    case Family::kNone:
      throw std::logic_error(error_);
    case Family::kLlama3:
      for (std::size_t i = 0; i < ms.size(); ++i) {
        check_role(ms[i], {"system", "user", "assistant"}, "llama3");
        if (i == 0) out += bos_;
        out += "<|start_header_id|>" + ms[i].role + "<|end_header_id|>\n\n" + trim(ms[i].content) + "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    case Family::kLlama31: {
      // The system block is always there; the system message (trimmed) ends it.
      std::size_t first = 0;
      std::string system;
      if (!ms.empty() && ms[0].role == "system") {
        system = trim(ms[0].content);
        first = 1;
      }
      out = bos_ + "<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: " +
            date_ + "\n\n" + system + "<|eot_id|>";
      for (std::size_t i = first; i < ms.size(); ++i) {
        check_role(ms[i], {"system", "user", "assistant"}, "llama3.1");
        out += "<|start_header_id|>" + ms[i].role + "<|end_header_id|>\n\n" + trim(ms[i].content) + "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      return out;
    }
    case Family::kLlama2: {
      auto [system, rest] = split_system(ms);
      check_alternation(rest, "llama2");
      for (std::size_t i = 0; i < rest.size(); ++i) {
        std::string content = rest[i]->content;
        if (i == 0 && system) content = "<<SYS>>\n" + system->content + "\n<</SYS>>\n\n" + content;
        if (rest[i]->role == "user") out += bos_ + "[INST] " + trim(content) + " [/INST]";
        else out += " " + trim(content) + " " + eos_;
      }
      return out;
    }
    case Family::kMistral: {
      auto [system, rest] = split_system(ms);
      check_alternation(rest, "mistral");
      out = bos_;
      for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i]->role == "user")
          out += " [INST] " + (i == 0 && system ? system->content + "\n\n" : std::string()) + rest[i]->content + " [/INST]";
        else
          out += " " + rest[i]->content + eos_;
      }
      return out;
    }
    case Family::kMistralV3: {
      auto [system, rest] = split_system(ms);
      check_alternation(rest, "mistral-v3");
      out = bos_;
      for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i]->role == "user") {
          // As the v0.3 template: the system text rides on the conversation's
          // last message when that is a user turn (and is dropped otherwise).
          const bool with_system = system && i + 1 == rest.size();
          out += "[INST] " + (with_system ? system->content + "\n\n" : std::string()) + rest[i]->content + "[/INST]";
        } else {
          out += " " + trim(rest[i]->content) + eos_;
        }
      }
      return out;
    }
    case Family::kChatml:
      if (!default_system_.empty() && (ms.empty() || ms[0].role != "system"))
        out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
      for (const auto& m : ms) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      return out;
  }
  return out;
}

std::vector<std::int32_t> ChatTemplate::stop_ids(const TokenizerSpec& spec) const {
  std::vector<std::int32_t> ids = spec.stop_ids;
  if (spec.eos_id >= 0) ids.push_back(spec.eos_id);
  for (const auto& s : stop_strings_) {
    const auto it = std::find(spec.tokens.begin(), spec.tokens.end(), s);
    if (it != spec.tokens.end()) ids.push_back(static_cast<std::int32_t>(it - spec.tokens.begin()));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace rg::llm::local
