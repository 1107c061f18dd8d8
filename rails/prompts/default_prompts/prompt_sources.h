// Not for use outside rails/prompts/. The YAML text of the built-in prompt
// families, compiled into the binary; default_prompts() parses them.
#pragma once

#include <string_view>

namespace rg::rails::prompts::internal {

// Prompts without models (completion style), then the OpenAI chat family.
extern const std::string_view kCompletionPromptsYaml;
extern const std::string_view kChatPromptsYaml;

}  // namespace rg::rails::prompts::internal
