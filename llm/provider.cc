#include "llm/provider.h"

#include <chrono>
#include <string>
#include <utility>

namespace rg::llm {

namespace {

double epoch_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

Result<Completion> Provider::complete(std::string_view task, std::string_view prompt,
                                      const LlmParams& params) {
  return generate(LlmRequest{std::string(task), std::string(prompt), {}, params});
}

Result<Completion> Provider::generate(const LlmRequest& request, const ChunkCallback& on_chunk) {
  const int n = request.params.n.value_or(1) < 1 ? 1 : request.params.n.value_or(1);
  const double started_at = epoch_seconds();
  const auto t0 = std::chrono::steady_clock::now();

  Completion out;
  if (n == 1 || supports_n()) {
    Result<Completion> r = call(request, n, on_chunk);
    if (!r.ok()) return r;
    out = std::move(r.value());
  } else {
    // Sequential calls; only the first is streamed.
    for (int i = 0; i < n; ++i) {
      Result<Completion> r = call(request, 1, i == 0 ? on_chunk : ChunkCallback{});
      if (!r.ok()) return r;
      Completion& c = r.value();
      if (i == 0) {
        out = std::move(c);
        if (out.choices.empty()) out.choices.push_back(out.text);
        continue;
      }
      out.choices.push_back(c.choices.empty() ? c.text : c.choices.front());
      out.prompt_tokens += c.prompt_tokens;
      out.completion_tokens += c.completion_tokens;
      out.total_tokens += c.total_tokens;
      out.raw_response = std::move(c.raw_response);
    }
  }
  if (out.choices.empty()) out.choices.push_back(out.text);
  if (out.total_tokens == 0) out.total_tokens = out.prompt_tokens + out.completion_tokens;
  out.started_at = started_at;
  out.finished_at = epoch_seconds();
  out.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace rg::llm
