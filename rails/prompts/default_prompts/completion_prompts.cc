// The built-in prompts without models: used by completion models and by any
// model no other family claims. Written for railguard; they keep the task
// names, variables, history formats and cues that the actions and output
// parsers rely on (spec product.md 3.4).
#include "rails/prompts/default_prompts/prompt_sources.h"

namespace rg::rails::prompts::internal {

extern const std::string_view kCompletionPromptsYaml = R"yaml(
prompts:
  # ---------------------------------------------------------------- Colang 1.0

  - task: general
    content: |-
      {{ general_instructions }}

      {{ history | user_assistant_sequence }}
      Assistant:
    stop:
      - "User:"

  - task: generate_user_intent
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation | verbose_v1 }}

      # Examples of user messages and the intent of each:
      {{ examples | verbose_v1 }}

      # The conversation so far:
      {% if potential_user_intents %}# The intent is one of: {{ potential_user_intents }}
      {% endif %}{{ sample_conversation | first_turns(2) | verbose_v1 }}
      {{ history | colang | verbose_v1 }}
    output_parser: verbose_v1

  - task: generate_next_steps
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation | remove_text_messages | verbose_v1 }}

      # Examples of what the bot decides to do next:
      {{ examples | remove_text_messages | verbose_v1 }}

      # The conversation so far:
      {{ sample_conversation | first_turns(2) | remove_text_messages | verbose_v1 }}
      {{ history | colang | remove_text_messages | verbose_v1 }}
    output_parser: verbose_v1

  - task: generate_bot_message
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation | verbose_v1 }}

      {% if relevant_chunks %}
      # Background knowledge for the answer:
      ```markdown
      {{ relevant_chunks }}
      ```
      {% endif %}

      # Examples of bot intents and what the bot says for them:
      {{ examples | verbose_v1 }}

      # The conversation so far:
      {{ sample_conversation | first_turns(2) | verbose_v1 }}
      {{ history | colang | verbose_v1 }}
    output_parser: verbose_v1

  - task: generate_intent_steps_message
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation }}

      # After each user message comes its intent, then the bot's next steps, then the bot message.
      # Examples:
      {{ examples }}

      # The conversation so far:
      {% if potential_user_intents %}# The intent is one of: {{ potential_user_intents }}
      {% endif %}{{ sample_conversation | first_turns(2) }}
      {{ history | colang }}

  - task: generate_value
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation | verbose_v1 }}

      # Examples of how the bot reasons:
      {{ examples | verbose_v1 }}

      # The conversation so far:
      {{ sample_conversation | first_turns(2) | verbose_v1 }}
      {{ history | colang | verbose_v1 }}
      # {{ instructions }}
      ${{ var_name }} =
    output_parser: verbose_v1

  # ---------------------------------------------------------------- output checks

  - task: fact_checking
    content: |-
      Decide whether the hypothesis follows from the evidence. Use only the evidence, no outside knowledge.
      Answer yes or no.
      "evidence": {{ evidence }}
      "hypothesis": {{ response }}
      "entails":

  - task: self_check_hallucination
    content: |-
      Decide whether the hypothesis agrees with the context. Use only the context, no outside knowledge.
      Answer yes or no.
      "context": {{ paragraph }}
      "hypothesis": {{ statement }}
      "agreement":

  # ---------------------------------------------------------------- Colang 2.x

  - task: generate_user_intent_from_user_action
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation }}

      # The user intents that fit best, with examples:
      {{ examples }}

      # The conversation so far:
      {{ history | colang }}

      user action: {{ user_action }}
      user intent:
    stop:
      - "\n"

  - task: generate_user_intent_and_bot_action_from_user_action
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation }}

      {% if context.relevant_chunks %}
      # Background knowledge for the answer:
      ```markdown
      {{ context.relevant_chunks }}
      ```
      {% endif %}

      # The user intents that fit best, with examples:
      {{ examples }}

      # The conversation so far:
      {{ history | colang }}

      user action: {{ user_action }}
      user intent:
    stop:
      - "\nuser intent:"

  - task: generate_value_from_instruction
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation }}

      # The conversation so far:
      {{ history | colang }}

      # Produce the value this instruction asks for: {{ instructions }}
      ${{ var_name }} =
    stop:
      - "\n"

  - task: generate_flow_from_instructions
    content: |-
      # Example flows:
      {{ examples }}

      # Complete this flow so that it does what its docstring says:
      flow {{ flow_name }}
        """{{ instructions }}"""
    stop:
      - "\nflow"

  - task: generate_flow_from_name
    content: |-
      # Example flows:
      {{ examples }}

      # Complete this flow so that it does what its name says:
      flow {{ flow_name }}
    stop:
      - "\nflow"

  - task: generate_flow_continuation
    content: |-
      """
      {{ general_instructions }}
      """

      # A sample conversation between the user and the bot:
      {{ sample_conversation }}

      # Examples of how interactions continue:
      {{ examples }}

      {% if context.relevant_chunks %}
      # Background knowledge for the answer:
      ```markdown
      {{ context.relevant_chunks }}
      ```
      {% endif %}

      # The conversation so far:
      {{ history | colang }}
      bot intent:

  - task: generate_flow_continuation_from_flow_nld
    content: |-
      {{ flow_nld }}
)yaml";

}  // namespace rg::rails::prompts::internal
