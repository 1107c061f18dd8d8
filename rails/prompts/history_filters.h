// History filters: the template filters that read the event history of a
// conversation (spec product.md 3.3), and the plain C++ functions behind them
// for actions that need a history outside a template.
//
//   colang::List events = ...;   // event dicts, each with a "type" key
//   std::string h = colang_history(events);
//   // user "hello there"
//   //   express greeting
//   // bot express greeting
//   //   "Hello! How can I help?"
//
// Events are colang::Value dicts ({"type": "UserMessage", "text": "hi"}).
// A history counts as Colang 2.x when one of its events is a runtime-internal
// one (StartFlow, FlowStarted, UserIntentLog, BotActionLog, ...); then
// colang_history() writes the 2.x form (`user action: user said "hi"`,
// `bot intent: bot express greeting`, groups joined with `\n  and `).
//
// Filters registered by add_history_filters():
//   colang, colang_without_identifiers, co_v2            events -> text
//   to_chat_messages                                      events -> messages
//   to_messages, to_intent_messages, to_intent_messages_2,
//   to_messages_v2                                        history text -> messages
//   to_messages_nemollm                                   history text -> text
// A "message" is a dict {"type": "user"|"assistant"|"bot", "content": str};
// a template that prints such a list (`{{ history | colang | to_messages }}`)
// inside a `messages:` entry of a prompt yields those chat messages.
// The text filters (indent, first_turns, last_turns, remove_text_messages,
// verbose_v1, user_assistant_sequence, ...) live in template/text_filters.cc.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"

namespace rg::rails::prompts {

class FilterRegistry;

struct ColangHistoryOptions {
  // false: user and bot texts are left out, intents are written `user X`.
  bool include_texts = true;
  // true: `execute retrieve_relevant_chunks` and its result are left out.
  bool remove_retrieval_events = false;
};

// The text a `mask_prev_user_message` event puts in place of the user
// utterance before it.
inline constexpr std::string_view kHiddenUserText =
    "<<<This text is hidden because the assistant should not talk about this.>>>";

// True when `events` holds a Colang 2.x runtime-internal event.
bool is_colang_v2_history(const colang::List& events);

// Events -> history text (v1 or 2.x form, detected from the events).
// v1 lines, in event order:
//   UserMessage{text}              user "<text>"
//   UserIntent{intent}             "  <intent>"  (`user <intent>` without texts)
//   BotIntent{intent}              bot <intent>, preceded by `# <instructions>`
//                                  for the last BotIntent when it has some
//   StartUtteranceBotAction        "  "<script>""
//   StartInternalSystemAction      execute <action_name>  } only when not
//   InternalSystemActionFinished   # The result was <v>   } is_system_action
//   mask_prev_user_message         the last user utterance so far is replaced
//                                  by kHiddenUserText
// Every line ends in "\n". Events that are not dicts are skipped.
std::string colang_history(const colang::List& events, const ColangHistoryOptions& options = {});

// The co_v2 filter: `  user said "<t>"` / `  bot say "<s>"` lines and
// `  # <return value>` for non-system actions that finished.
std::string co_v2_history(const colang::List& events);

// colang_history() without the `user action: ` / `bot intent: ` / ... prefixes.
std::string colang_history_without_identifiers(const colang::List& events);

// One chat message derived from a history.
struct HistoryMessage {
  std::string type;  // "user", "assistant" or "bot" (the last, trailing bot turn)
  std::string content;
};

// The to_messages filter on v1 history text: `user "x"` lines become user
// messages; other lines, renamed `User intent:` / `Bot intent:` /
// `Bot message:`, are gathered into assistant messages (a blank line closes
// one; the trailing one has type "bot").
std::vector<HistoryMessage> history_to_messages(std::string_view history);

// Registers the filters listed at the top into `registry`.
void add_history_filters(FilterRegistry& registry);

// default_filters() plus the history filters, built once and shared: the
// registry prompt templates are compiled against.
std::shared_ptr<const FilterRegistry> prompt_filters();

}  // namespace rg::rails::prompts
