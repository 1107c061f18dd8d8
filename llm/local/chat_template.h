// llm/local/chat_template.h: the prompt formats of the chat models this core
// runs, rendered natively (no Jinja engine). A model's Jinja template
// (tokenizer_config.json's "chat_template", GGUF's tokenizer.chat_template)
// is recognised by its markers and mapped to one of these families; each
// renders exactly what HF transformers' apply_chat_template renders for
// plain role/content messages (no tools):
//
//   llama3      <|begin_of_text|><|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>...
//               (content trimmed). Generation prompt: the assistant header.
//   llama3.1    llama3 plus the system block Llama 3.1/3.2 always open with:
//               "Cutting Knowledge Date: December 2023\nToday Date: DATE\n\n" + system
//               (DATE "26 Jul 2024" for 3.1; today's date, "%d %b %Y", for templates
//               that call strftime_now, as 3.2's does under transformers).
//   llama2      <s>[INST] <<SYS>>\nSYSTEM\n<</SYS>>\n\nUSER [/INST] ASSISTANT </s><s>[INST] ...
//               (contents stripped; roles must alternate; no generation prompt: the
//               prompt already ends with [/INST]).
//   mistral     <s> [INST] SYSTEM\n\nUSER [/INST] ASSISTANT</s> [INST] ... (Mistral's
//               v1 tokenizer: 7B v0.1/v0.2; no system block: the system text is
//               prepended to the first user turn).
//   mistral-v3  <s>[INST] USER[/INST] ASSISTANT</s>[INST] ... (v0.3: the system text
//               goes before the last user turn; assistant content trimmed).
//   chatml      <|im_start|>ROLE\nCONTENT<|im_end|>\n ... Generation prompt
//               "<|im_start|>assistant\n". Qwen2/Qwen2.5 templates add a default
//               system turn when the conversation has none; the text is taken from
//               the template itself ("You are a helpful assistant." for Qwen2,
//               "You are Qwen, created by Alibaba Cloud. ..." for Qwen2.5), and a
//               plain ChatML template has none.
//
// The rendered text contains the special tokens as text (<s>, <|begin_of_text|>):
// encode it with special-token matching on and without adding another BOS.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llm/local/tokenizer_spec.h"

namespace rg::llm::local {

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

class ChatTemplate {
 public:
  enum class Family { kNone, kLlama3, kLlama31, kLlama2, kMistral, kMistralV3, kChatml };

  // No template (a base model): ok() is false and render() throws.
  ChatTemplate() = default;

  // Recognises a Jinja template. Throws std::invalid_argument naming
  // `source` and the known names when no family matches.
  static ChatTemplate from_jinja(const std::string& jinja, const std::string& source);
  // "llama3", "llama3.1", "llama2", "mistral", "mistral-v3", "chatml", "qwen2"
  // (chatml with Qwen2's default system prompt). Throws std::invalid_argument
  // listing the known names.
  static ChatTemplate by_name(std::string_view name);
  static std::vector<std::string> known_names();

  // A template that failed to resolve at load time: render() throws `error`.
  static ChatTemplate unavailable(std::string error);

  bool ok() const { return family_ != Family::kNone; }
  Family family() const { return family_; }
  const std::string& name() const { return name_; }
  // Why ok() is false.
  const std::string& error() const { return error_; }
  // The Jinja text it was recognised from ("" when made by name).
  const std::string& jinja() const { return jinja_; }

  // The special tokens' texts (defaults per family; the loader sets the
  // model's own from its tokenizer).
  void set_special_tokens(std::string bos, std::string eos);
  // Default system prompt used when the conversation has none (chatml only).
  const std::string& default_system() const { return default_system_; }
  // llama3.1's "Today Date:" (set it for reproducible output).
  void set_date(std::string date) { date_ = std::move(date); }

  // Throws std::invalid_argument for a conversation the format cannot
  // express (roles that do not alternate where the model requires it, an
  // unknown role) and std::logic_error when !ok().
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  // Texts that end an assistant turn ("<|eot_id|>", "</s>", "<|im_end|>", ...).
  const std::vector<std::string>& stop_strings() const { return stop_strings_; }
  // Ids that end an assistant turn: the spec's eos and stop ids plus the
  // stop strings that are tokens of `spec`; sorted, unique.
  std::vector<std::int32_t> stop_ids(const TokenizerSpec& spec) const;

 private:
  explicit ChatTemplate(Family f);
  Family family_ = Family::kNone;
  std::string name_;
  std::string error_ = "no chat template";
  std::string jinja_;
  std::string bos_, eos_;
  std::string default_system_;
  std::string date_;
  std::vector<std::string> stop_strings_;
};

}  // namespace rg::llm::local
