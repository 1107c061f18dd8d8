#include "llm/llm_client.h"

#include <string>

namespace rg::llm {

// ORDER ErrorCode
std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotConfigured:
      return "not_configured";
    case ErrorCode::kProvider:
      return "provider";
    case ErrorCode::kTransport:
      return "transport";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kBadResponse:
      return "bad_response";
    case ErrorCode::kBadConfig:
      return "bad_config";
  }
  return "unknown";
}

Result<Completion> LlmClient::generate(const LlmRequest& request, const ChunkCallback& on_chunk) {
  Result<Completion> r =
      request.messages.empty()
          ? complete(request.task, request.prompt, request.params)
          : complete(request.task, flatten_messages(request.messages), request.params);
  if (r.ok() && on_chunk && !r.value().text.empty()) on_chunk(r.value().text);
  return r;
}

Result<Completion> LlmClient::chat(std::string_view task, std::vector<Message> messages,
                                   const LlmParams& params) {
  return generate(LlmRequest{std::string(task), "", std::move(messages), params});
}

std::string flatten_messages(const std::vector<Message>& messages) {
  std::string out;
  for (const Message& m : messages) out += m.role + ": " + m.content + "\n";
  out += "assistant:";
  return out;
}

Result<Completion> NoLlmConfigured::complete(std::string_view task, std::string_view /*prompt*/,
                                             const LlmParams& /*params*/) {
  return Error{ErrorCode::kNotConfigured, "no LLM configured for task " + std::string(task), ""};
}

}  // namespace rg::llm
