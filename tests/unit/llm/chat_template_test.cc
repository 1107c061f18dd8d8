// tests/unit/llm/chat_template_test.cc: the chat template families
// (llm/local/chat_template.h) against the exact text HF transformers renders
// with each model's Jinja template (apply_chat_template: trim_blocks and
// lstrip_blocks on) for the same conversations; recognition of templates by
// their markers; stop ids; errors.
#include "llm/local/chat_template.h"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace rg::llm::local;

namespace {

// The conversation every family renders: whitespace at the ends of the
// contents shows which templates trim.
const std::vector<ChatMessage> kThree = {
    {"system", "You are terse."}, {"user", "Hi there "}, {"assistant", " Hello! "}};
std::vector<ChatMessage> four() {
  auto m = kThree;
  m.push_back({"user", "Bye"});
  return m;
}
std::vector<ChatMessage> no_system() { return {kThree[1], kThree[2]}; }

// The models' templates (as in their tokenizer_config.json, JSON-decoded).
const std::string kLlama3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
const std::string kLlama2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
const std::string kMistral = "{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content'] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}\n        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}\n    {%- endif %}\n    {%- if message['role'] == 'user' %}\n        {%- if loop.first and system_message is defined %}\n            {{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}\n        {%- else %}\n            {{- ' [INST] ' + message['content'] + ' [/INST]' }}\n        {%- endif %}\n    {%- elif message['role'] == 'assistant' %}\n        {{- ' ' + message['content'] + eos_token}}\n    {%- else %}\n        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}\n    {%- endif %}\n{%- endfor %}\n";
const std::string kQwen2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const std::string kLlama31 = "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul 2024\" %}\n{%- endif %}\n{%- if messages[0]['role'] == 'system' %}\n    {%- set system_message = messages[0]['content']|trim %}\n    {%- set messages = messages[1:] %}\n{%- else %}\n    {%- set system_message = \"\" %}\n{%- endif %}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{{- \"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{{- system_message }}\n{{- \"<|eot_id|>\" }}\n{%- for message in messages %}\n        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}\n";
const std::string kMistralV3 = "{%- if messages[0][\"role\"] == \"system\" %}\n    {%- set system_message = messages[0][\"content\"] %}\n    {%- set loop_messages = messages[1:] %}\n{%- else %}\n    {%- set loop_messages = messages %}\n{%- endif %}\n{{- bos_token }}\n{%- for message in loop_messages %}\n    {%- if message[\"role\"] == \"user\" %}\n        {%- if loop.last and system_message is defined %}\n            {{- \"[INST] \" + system_message + \"\\n\\n\" + message[\"content\"] + \"[/INST]\" }}\n        {%- else %}\n            {{- \"[INST] \" + message[\"content\"] + \"[/INST]\" }}\n        {%- endif %}\n    {%- elif message[\"role\"] == \"assistant\" %}\n        {{- \" \" + message[\"content\"]|trim + eos_token}}\n    {%- endif %}\n{%- endfor %}\n";

}  // namespace

TEST_CASE("chat template llama3: renders as the model's Jinja template") {
  const ChatTemplate t = ChatTemplate::from_jinja(kLlama3, "test");
  CHECK(t.name().rfind("llama3", 0) == 0);
  CHECK(t.render(kThree, true) == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(t.render(four(), true) == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(t.render(no_system(), false) == "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>");
}

TEST_CASE("chat template llama2: renders as the model's Jinja template") {
  const ChatTemplate t = ChatTemplate::from_jinja(kLlama2, "test");
  CHECK(t.name().rfind("llama2", 0) == 0);
  CHECK(t.render(kThree, true) == "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello! </s>");
  CHECK(t.render(four(), true) == "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello! </s><s>[INST] Bye [/INST]");
  CHECK(t.render(no_system(), false) == "<s>[INST] Hi there [/INST] Hello! </s>");
}

TEST_CASE("chat template mistral: renders as the model's Jinja template") {
  const ChatTemplate t = ChatTemplate::from_jinja(kMistral, "test");
  CHECK(t.name().rfind("mistral", 0) == 0);
  CHECK(t.render(kThree, true) == "<s> [INST] You are terse.\n\nHi there  [/INST]  Hello! </s>");
  CHECK(t.render(four(), true) == "<s> [INST] You are terse.\n\nHi there  [/INST]  Hello! </s> [INST] Bye [/INST]");
  CHECK(t.render(no_system(), false) == "<s> [INST] Hi there  [/INST]  Hello! </s>");
}

TEST_CASE("chat template qwen2: renders as the model's Jinja template") {
  const ChatTemplate t = ChatTemplate::from_jinja(kQwen2, "test");
  CHECK(t.name() == "chatml");
  CHECK(t.render(kThree, true) == "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there <|im_end|>\n<|im_start|>assistant\n Hello! <|im_end|>\n<|im_start|>assistant\n");
  CHECK(t.render(four(), true) == "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there <|im_end|>\n<|im_start|>assistant\n Hello! <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  CHECK(t.render(no_system(), false) == "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi there <|im_end|>\n<|im_start|>assistant\n Hello! <|im_end|>\n");
}

TEST_CASE("chat template llama3.1: renders as the model's Jinja template") {
  const ChatTemplate t = ChatTemplate::from_jinja(kLlama31, "test");
  CHECK(t.name().rfind("llama3.1", 0) == 0);
  CHECK(t.render(kThree, true) == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(t.render(four(), true) == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(t.render(no_system(), false) == "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>");
}

TEST_CASE("chat template mistral-v3: renders as the model's Jinja template") {
  const ChatTemplate t = ChatTemplate::from_jinja(kMistralV3, "test");
  CHECK(t.name().rfind("mistral-v3", 0) == 0);
  CHECK(t.render(kThree, true) == "<s>[INST] Hi there [/INST] Hello!</s>");
  CHECK(t.render(four(), true) == "<s>[INST] Hi there [/INST] Hello!</s>[INST] You are terse.\n\nBye[/INST]");
  CHECK(t.render(no_system(), false) == "<s>[INST] Hi there [/INST] Hello!</s>");
}
TEST_CASE("chat template: by name, default system prompts, stop ids, errors") {
  // Plain ChatML has no default system turn; qwen2 by name has Qwen2's.
  const ChatTemplate chatml = ChatTemplate::by_name("chatml");
  CHECK(chatml.render({{"user", "a"}}, true) == "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n");
  CHECK(ChatTemplate::by_name("qwen2").render({{"user", "a"}}, false) ==
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\na<|im_end|>\n");
  // Qwen2.5's template: its own default text, found in the template; the
  // tool branch's system turn (an expression) is not taken for it.
  const std::string qwen25 =
      "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- if messages[0]['role'] == 'system' %}"
      "{{- messages[0]['content'] }}{%- endif %}{%- else %}{%- if messages[0]['role'] == 'system' %}"
      "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}{%- else %}"
      "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}"
      "{%- endif %}{%- endif %}";
  CHECK(ChatTemplate::from_jinja(qwen25, "q").default_system() ==
        "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.");
  CHECK(ChatTemplate::from_jinja("{% for m in messages %}<|im_start|>{{ m.role }}<|im_end|>{% endfor %}", "c")
            .default_system()
            .empty());

  // Stop ids: the spec's eos/stop ids plus the family's stop strings found in the vocabulary.
  TokenizerSpec spec;
  spec.tokens = {"a", "<|im_end|>", "<|endoftext|>", "b"};
  spec.eos_id = 2;
  CHECK(chatml.stop_ids(spec) == std::vector<std::int32_t>{1, 2});

  // The model's own BOS/EOS texts replace the defaults.
  ChatTemplate l2 = ChatTemplate::by_name("llama2");
  l2.set_special_tokens("<BOS>", "<EOS>");
  CHECK(l2.render({{"user", "x"}, {"assistant", "y"}}, false) == "<BOS>[INST] x [/INST] y <EOS>");

  // llama3.1's date is settable (3.2 templates take today's date).
  ChatTemplate l31 = ChatTemplate::by_name("llama3.1");
  l31.set_date("01 Jan 2025");
  CHECK(l31.render({{"user", "x"}}, false).find("Today Date: 01 Jan 2025\n\n<|eot_id|>") != std::string::npos);

  // Errors: unknown name and unrecognised template list the known names;
  // roles that do not alternate; no template.
  CHECK_THROWS_WITH_AS(ChatTemplate::by_name("vicuna"), doctest::Contains("known: llama3, llama3.1, llama2, mistral, mistral-v3, chatml, qwen2"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(ChatTemplate::from_jinja("{{ messages }}", "m/tokenizer_config.json: chat_template"),
                       doctest::Contains("m/tokenizer_config.json: chat_template: chat template not recognised"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(l2.render({{"user", "a"}, {"user", "b"}}, false), doctest::Contains("must alternate"),
                       std::invalid_argument);
  CHECK_THROWS_AS(ChatTemplate().render({{"user", "a"}}, true), std::logic_error);
  CHECK_FALSE(ChatTemplate().ok());
}
