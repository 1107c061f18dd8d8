// The built-in prompts for OpenAI chat models (gpt-3.5-turbo, gpt-4): the
// same sections as the completion family, as system messages, with the
// history as chat turns (`to_messages` for Colang 1.0, `to_messages_v2` for
// 2.x). Written for railguard; see completion_prompts.cc.
#include "rails/prompts/default_prompts/prompt_sources.h"

namespace rg::rails::prompts::internal {

extern const std::string_view kChatPromptsYaml = R"yaml(
prompts:
  # ---------------------------------------------------------------- Colang 1.0

  - task: generate_user_intent
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: "{{ general_instructions }}"
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages }}"
      - type: system
        content: "Examples of user messages and the intent of each:"
      - "{{ examples | to_messages }}"
      - type: system
        content: "The conversation so far:"
      - "{{ sample_conversation | first_turns(2) | to_messages }}"
      - "{{ history | colang | to_messages }}"
    output_parser: user_intent

  - task: generate_next_steps
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: "{{ general_instructions }}"
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages }}"
      - type: system
        content: "Examples of what the bot decides to do next:"
      - "{{ examples | to_messages }}"
      - type: system
        content: "The conversation so far:"
      - "{{ sample_conversation | first_turns(2) | to_messages }}"
      - "{{ history | colang | to_messages }}"
    output_parser: bot_intent

  - task: generate_bot_message
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: "{{ general_instructions }}"
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages }}"
      - type: system
        content: |-
          {% if relevant_chunks %}
          # Background knowledge for the answer:
          ```markdown
          {{ relevant_chunks }}
          ```
          {% endif %}
      - type: system
        content: "Examples of bot intents and what the bot says for them:"
      - "{{ examples | to_messages }}"
      - type: system
        content: "The conversation so far:"
      - "{{ sample_conversation | first_turns(2) | to_messages }}"
      - "{{ history | colang | to_messages }}"
    output_parser: bot_message

  - task: generate_value
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: "{{ general_instructions }}"
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages }}"
      - type: system
        content: "Examples of how the bot reasons:"
      - "{{ examples | to_messages }}"
      - type: system
        content: "The conversation so far:"
      - "{{ sample_conversation | first_turns(2) | to_messages }}"
      - "{{ history | colang | to_messages }}"
      - type: system
        content: "{{ instructions }}"
      - type: assistant
        content: "${{ var_name }} ="

  # ---------------------------------------------------------------- Colang 2.x

  - task: generate_user_intent_from_user_action
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: "{{ general_instructions }}"
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages_v2 }}"
      - type: system
        content: |-
          The user intents that fit best, with examples:
          {{ examples }}
      - type: system
        content: "The conversation so far:"
      - "{{ history | colang | to_messages_v2 }}"
      - type: user
        content: "user action: {{ user_action }}"
      - type: system
        content: "Answer with the `user intent:` of this user action, preferring the intents listed above."

  - task: generate_user_intent_and_bot_action_from_user_action
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: "{{ general_instructions }}"
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages_v2 }}"
      - type: system
        content: |-
          {% if context.relevant_chunks %}
          # Background knowledge for the answer:
          ```markdown
          {{ context.relevant_chunks }}
          ```
          {% endif %}
      - type: system
        content: |-
          The user intents that fit best, with examples:
          {{ examples }}
      - type: system
        content: "The conversation so far:"
      - "{{ history | colang | to_messages_v2 }}"
      - type: user
        content: "user action: {{ user_action }}"
      - type: system
        content: "Continue the interaction, starting with a `user intent:` line (preferably one of the intents listed above)."

  - task: generate_value_from_instruction
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: |-
          {{ general_instructions }}

          Produce the value of the variable ${{ var_name }}. Output only the value, without explanations.
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages_v2 }}"
      - type: system
        content: "The conversation so far:"
      - "{{ history | colang | to_messages_v2 }}"
      - type: assistant
        content: |-
          Following the instruction `{{ instructions }}`, the value assigned is:
          ${{ var_name }} =

  - task: generate_flow_from_instructions
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    content: |-
      # Example flows:
      {{ examples }}

      # Complete this flow so that it does what its docstring says:
      flow {{ flow_name }}
        """{{ instructions }}"""
    stop:
      - "\nflow"

  - task: generate_flow_from_name
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: |-
          {{ general_instructions }}

          Write the flow named {{ flow_name }}. Output only the flow, without explanations.
      - type: system
        content: "The conversation so far:"
      - "{{ history | colang | to_messages_v2 }}"
      - type: system
        content: |-
          Example flows:
          {{ examples }}
      - type: system
        content: |-
          Complete this flow so that it does what its name says:
          flow {{ flow_name }}
    stop:
      - "\nflow"

  - task: generate_flow_continuation
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: system
        content: "{{ general_instructions }}"
      - type: system
        content: "A sample conversation between the user and the bot:"
      - "{{ sample_conversation | to_messages_v2 }}"
      - type: system
        content: "The conversation so far:"
      - "{{ history | colang | to_messages_v2 }}"
      - type: system
        content: |-
          {% if context.relevant_chunks %}
          # Background knowledge for the answer:
          ```markdown
          {{ context.relevant_chunks }}
          ```
          {% endif %}
      - type: system
        content: "Continue the interaction:"

  - task: generate_flow_continuation_from_flow_nld
    models: [openai/gpt-3.5-turbo, openai/gpt-4]
    messages:
      - type: user
        content: "{{ flow_nld }}"
)yaml";

}  // namespace rg::rails::prompts::internal
