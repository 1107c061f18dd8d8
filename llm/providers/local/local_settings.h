// Settings of the `local` provider (an in-process model), parsed once per
// config entry:
//
//   models:
//     - type: main
//       engine: local
//       model: /models/Llama-3.2-1B-Instruct      # HF folder or .gguf file
//       parameters:
//         device: cuda            # cuda | cpu; default cuda when a GPU is visible
//         dtype: auto             # GPU: auto | bfloat16 | float16 (kernels::DecoderPrecision);
//                                 # auto = float16 for fp16 weights, else bfloat16
//         max_tokens: 256         # per call, unless the call sets it
//         context: 4096           # tokens a session holds; default min(4096, max_positions)
//         temperature: 0          # <= 0 is greedy
//         top_k: 0                # 0 = off
//         top_p: 1.0              # 1 = off
//         repetition_penalty: 1.0
//         seed: 0
//         chat_template: auto     # auto | llama3 | llama3.1 | llama2 | mistral | mistral-v3 | chatml | qwen2
//         threads: 0              # CPU threads; 0 = all cores
//
// The model path may also sit in parameters.model / model_name / model_path
// when the entry has no `model`. Unknown parameters are errors (a typo would
// otherwise silently leave a default in place).
#pragma once

#include <string>

#include "kernels/decoder.h"
#include "llm/provider.h"

namespace rg::llm::local {

enum class Device { kAuto, kCpu, kCuda };
enum class GpuDtype { kAuto, kBF16, kF16 };

struct LocalSettings {
  std::string model_path;
  Device device = Device::kAuto;
  GpuDtype dtype = GpuDtype::kAuto;
  int max_tokens = 256;
  int context = 0;  // 0 = min(4096, max_positions)
  kernels::SamplingParams sampling;
  std::string chat_template;  // "" = the model's own (auto)
  int threads = 0;            // CPU back end only; 0 = every core
};

// kBadConfig errors name the parameter and the value at fault
// ("local: parameters.device: expected cpu or cuda, got \"tpu\"").
Result<LocalSettings> parse_local_settings(const ProviderSettings& settings);

}  // namespace rg::llm::local
