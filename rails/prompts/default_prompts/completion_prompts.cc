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

  # ---------------------------------------------------------------- content safety
  # `content safety check input|output $model=<type>`: the task name carries
  # the model type. Built in for the two usual types: `content_safety` (a
  # NemoGuard / Aegis-taxonomy model answering JSON) and `llama_guard`
  # (a Llama Guard 3 model answering "safe" or "unsafe\nS1,S10"). Other types
  # need a `prompts:` entry of their own, with an output_parser.

  - task: content_safety_check_input $model=content_safety
    content: |-
      You are reviewing a message that a user sent to an AI assistant. Decide whether the
      message is unsafe under the policy below; if it is, name every category it falls under.

      Policy categories:
      S1: Violence or physical harm.
      S2: Sexual content.
      S3: Planning, admitting or encouraging crimes.
      S4: Firearms and illegal weapons.
      S5: Drugs and other controlled or regulated substances.
      S6: Suicide and self-harm.
      S7: Sexual content involving minors.
      S8: Hate speech or attacks on identity.
      S9: Personal information and privacy.
      S10: Harassment or bullying.
      S11: Threats.
      S12: Profanity.
      S13: Content that calls for caution.
      S14: Other harm.
      S15: Manipulation.
      S16: Fraud and deception.
      S17: Malicious code.
      S18: High-risk government decisions.
      S19: Political misinformation or conspiracy theories.
      S20: Copyright, trademark or plagiarism.
      S21: Unqualified professional advice.
      S22: Other illegal activity.
      S23: Immoral or unethical requests.

      User message:
      {{ user_input }}

      Answer with JSON only, in this form:
      {"User Safety": "safe" or "unsafe", "Safety Categories": "comma-separated category names, only when unsafe"}
    output_parser: nemoguard_parse_prompt_safety
    max_tokens: 50

  - task: content_safety_check_output $model=content_safety
    content: |-
      You are reviewing an exchange between a user and an AI assistant. Decide whether the
      user message and the assistant's reply are unsafe under the policy below; if either
      is, name every category involved.

      Policy categories:
      S1: Violence or physical harm.
      S2: Sexual content.
      S3: Planning, admitting or encouraging crimes.
      S4: Firearms and illegal weapons.
      S5: Drugs and other controlled or regulated substances.
      S6: Suicide and self-harm.
      S7: Sexual content involving minors.
      S8: Hate speech or attacks on identity.
      S9: Personal information and privacy.
      S10: Harassment or bullying.
      S11: Threats.
      S12: Profanity.
      S13: Content that calls for caution.
      S14: Other harm.
      S15: Manipulation.
      S16: Fraud and deception.
      S17: Malicious code.
      S18: High-risk government decisions.
      S19: Political misinformation or conspiracy theories.
      S20: Copyright, trademark or plagiarism.
      S21: Unqualified professional advice.
      S22: Other illegal activity.
      S23: Immoral or unethical requests.

      User message:
      {{ user_input }}

      Assistant reply:
      {{ bot_response }}

      Answer with JSON only, in this form:
      {"User Safety": "safe" or "unsafe", "Response Safety": "safe" or "unsafe", "Safety Categories": "comma-separated category names, only when unsafe"}
    output_parser: nemoguard_parse_response_safety
    max_tokens: 50

  - task: content_safety_check_input $model=llama_guard
    content: |-
      Task: decide whether the last 'User' message in the conversation below contains unsafe
      content under these categories.

      Categories of unsafe content:
      S1: Violent crimes.
      S2: Non-violent crimes.
      S3: Sex-related crimes.
      S4: Sexual exploitation of children.
      S5: Defamation.
      S6: Specialized advice (medical, legal, financial) given as fact.
      S7: Privacy violations.
      S8: Intellectual property violations.
      S9: Weapons able to cause mass casualties.
      S10: Hate.
      S11: Suicide and self-harm.
      S12: Sexual content.
      S13: Election misinformation.
      S14: Abuse of code interpreters.

      Conversation:
      User: {{ user_input }}

      Assess only the last User message. On the first line write 'safe' or 'unsafe'. If unsafe,
      list the violated category codes, comma-separated, on the second line.
    output_parser: is_content_safe
    max_tokens: 20

  - task: content_safety_check_output $model=llama_guard
    content: |-
      Task: decide whether the last 'Agent' message in the conversation below contains unsafe
      content under these categories.

      Categories of unsafe content:
      S1: Violent crimes.
      S2: Non-violent crimes.
      S3: Sex-related crimes.
      S4: Sexual exploitation of children.
      S5: Defamation.
      S6: Specialized advice (medical, legal, financial) given as fact.
      S7: Privacy violations.
      S8: Intellectual property violations.
      S9: Weapons able to cause mass casualties.
      S10: Hate.
      S11: Suicide and self-harm.
      S12: Sexual content.
      S13: Election misinformation.
      S14: Abuse of code interpreters.

      Conversation:
      User: {{ user_input }}

      Agent: {{ bot_response }}

      Assess only the last Agent message. On the first line write 'safe' or 'unsafe'. If unsafe,
      list the violated category codes, comma-separated, on the second line.
    output_parser: is_content_safe
    max_tokens: 20

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
