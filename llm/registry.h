// The provider catalogue: engine name -> factory, one line per provider in
// llm/registry.cc.
//
//   ProviderSettings s{"gpt-4o-mini", "", {{"temperature", 0}}};
//   Result<std::shared_ptr<Provider>> p = make_provider("openai", s);
//   if (!p.ok()) ...  // kBadConfig: "unknown LLM engine 'foo' (known: nim, nvidia_ai_endpoints, ...)"
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llm/provider.h"

namespace rg::llm {

Result<std::shared_ptr<Provider>> make_provider(std::string_view engine,
                                                const ProviderSettings& settings);

// Every engine make_provider() accepts, sorted.
std::vector<std::string> known_engines();

}  // namespace rg::llm
