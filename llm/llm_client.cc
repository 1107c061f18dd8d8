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
  }
  return "unknown";
}

Result<Completion> NoLlmConfigured::complete(std::string_view task, std::string_view /*prompt*/,
                                             const LlmParams& /*params*/) {
  return Error{ErrorCode::kNotConfigured, "no LLM configured for task " + std::string(task), ""};
}

}  // namespace rg::llm
