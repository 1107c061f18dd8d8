// What one generation call takes and returns: the options and the log of
// spec product.md section 7.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"
#include "llm/result.h"

namespace rg::rails::dialog {

// One message of a conversation, as the API carries it. `content` is a
// string for user/assistant/system, a dict for `context`; `event` messages
// carry an event dict in `content`.
struct ChatMessage {
  std::string role;  // user | assistant | system | context | event | exception
  colang::Value content;
};

struct GenerationOptions {
  // Which rails run. All on by default.
  bool input = true;
  bool output = true;
  bool retrieval = true;
  bool dialog = true;
  colang::Dict llm_params;  // temperature, max_tokens, ... for the generation calls
  bool llm_output = false;
  // false: none; true: the whole context; a list: those variables.
  colang::Value output_vars = false;
  bool log_activated_rails = false;
  bool log_llm_calls = false;
  bool log_internal_events = false;
  bool log_colang_history = false;
  bool given = false;  // options were passed at all (flows see $generation_options)
  // Streaming output rails (Colang 1.0, rails.output.streaming.enabled): the
  // bot message's text, piece by piece, as the output rails release it;
  // returning false means the client is gone (the LLM stream is stopped).
  // Unset, or streaming not enabled in the config: the turn runs unchanged.
  std::function<bool(std::string_view)> on_chunk;

  // The dict flows see as $generation_options.
  colang::Dict to_dict() const;
};

// Reads options from a JSON-like value (the API's `options` field). Errors
// name the field: "options.rails.input: expected a boolean".
GenerationOptions parse_generation_options(const colang::Value& value, std::string* error);

struct LlmCallInfo {
  std::string task;
  double duration = 0;  // seconds
  int prompt_tokens = 0, completion_tokens = 0, total_tokens = 0;
  double started_at = 0, finished_at = 0;  // seconds since the epoch
  std::string prompt;       // the prompt, or the chat messages as "role: text" lines
  std::string completion;
  std::string raw_response;
  std::string llm_model_name;
};

struct ExecutedAction {
  std::string action_name;
  colang::Dict action_params;
  colang::Value return_value;
  double started_at = 0, finished_at = 0, duration = 0;
  std::vector<LlmCallInfo> llm_calls;
};

struct ActivatedRail {
  std::string type;  // input | dialog | generation | output
  std::string name;
  std::vector<std::string> decisions;
  bool stop = false;
  double started_at = 0, finished_at = 0, duration = 0;
  std::vector<ExecutedAction> executed_actions;
};

struct GenerationResult {
  ChatMessage message;                 // {assistant, text} or {exception, event dict}
  std::vector<LlmCallInfo> llm_calls;  // every call of this generation, in order
  std::vector<ActivatedRail> activated_rails;
  std::vector<ExecutedAction> executed_actions;  // every action run, in order
  colang::List new_events;             // the events this call produced
  colang::List events;                 // the whole history after the call (the 1.0 state)
  colang::Dict context;                // the variables at the end
  std::string colang_history;          // filled when options.log_colang_history
  std::string llm_output;              // raw output of the last generation call
  // Why the turn failed closed ("" when it did not): the LLM error, the bad
  // flow step. The message then holds the configured error text.
  std::string error;
  // Set when the turn failed because an LLM call did: the provider's error
  // kind (the server answers 504 for kTimeout, 502 otherwise).
  std::optional<llm::ErrorCode> llm_error;
  // Streaming output rails: some of the bot message went to on_chunk.
  bool streamed = false;
  // Set when an output rail blocked a streamed chunk: which rail and why.
  // The message then holds that rail's reply.
  std::string stream_error;
};

// The JSON-ish log object of spec 7 (`log` in the API response), with the
// parts the options asked for.
colang::Dict log_to_value(const GenerationResult& result, const GenerationOptions& options);

// `output_data` of the API response: the variables `output_vars` asks for.
colang::Dict output_data(const GenerationResult& result, const GenerationOptions& options);

}  // namespace rg::rails::dialog
