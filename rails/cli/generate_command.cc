#include "rails/cli/generate_command.h"

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "llm/providers/local/local_engine.h"

namespace rg::cli {

namespace {

constexpr const char* kUsage =
    "usage: railguard generate --model M --prompt P [--chat] [--max-tokens N]\n"
    "                          [--device cpu|cuda] [--dtype auto|bfloat16|float16]\n"
    "                          [--temperature T] [--seed S]\n"
    "\n"
    "Runs a local model (a .gguf file or a Hugging Face model folder) on one prompt,\n"
    "streams the text to stdout, then prints to stderr: prompt tokens, generated\n"
    "tokens, prefill tok/s, decode tok/s, device (on a GPU after one short untimed\n"
    "warm-up run).\n"
    "\n"
    "  --model M          .gguf file or HF folder (config.json, *.safetensors, tokenizer.json)\n"
    "  --prompt P         the text; as is, or with --chat as one user message\n"
    "  --chat             render the prompt through the model's chat template\n"
    "  --max-tokens N     most tokens to generate (default 256)\n"
    "  --device D         cpu or cuda (default: cuda when a GPU is visible)\n"
    "  --dtype T          GPU 16-bit type: auto (default: float16 for fp16 weights,\n"
    "                     else bfloat16), bfloat16 or float16\n"
    "  --temperature T    0 (default) is greedy\n"
    "  --seed S           sampling seed (default 0)\n"
    "  --context N        tokens the session holds (default min(4096, model maximum))\n"
    "  --threads N        CPU threads (default: every core)\n";

bool parse_int(const std::string& s, long long lo, long long& out) {
  try {
    std::size_t used = 0;
    out = std::stoll(s, &used);
    return used == s.size() && out >= lo;
  } catch (const std::exception&) {
    return false;
  }
}

double per_second(int tokens, double seconds) { return seconds > 0 ? tokens / seconds : 0.0; }

}  // namespace

int generate_command(int argc, char** argv) {
  llm::local::LocalSettings settings;
  std::string prompt;
  bool have_prompt = false, chat = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (a == "--chat") {
      chat = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "railguard generate: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
    const std::string v = argv[++i];
    long long n = 0;
    bool ok = true;
    if (a == "--model") {
      settings.model_path = v;
    } else if (a == "--prompt") {
      prompt = v;
      have_prompt = true;
    } else if (a == "--max-tokens") {
      ok = parse_int(v, 1, n);
      settings.max_tokens = static_cast<int>(n);
    } else if (a == "--context") {
      ok = parse_int(v, 1, n);
      settings.context = static_cast<int>(n);
    } else if (a == "--threads") {
      ok = parse_int(v, 0, n);
      settings.threads = static_cast<int>(n);
    } else if (a == "--seed") {
      ok = parse_int(v, 0, n);
      settings.sampling.seed = static_cast<std::uint64_t>(n);
    } else if (a == "--device") {
      ok = v == "cpu" || v == "cuda";
      settings.device = v == "cpu" ? llm::local::Device::kCpu : llm::local::Device::kCuda;
    } else if (a == "--dtype") {
      ok = v == "auto" || v == "bfloat16" || v == "float16";
      settings.dtype = v == "float16"    ? llm::local::GpuDtype::kF16
                       : v == "bfloat16" ? llm::local::GpuDtype::kBF16
                                         : llm::local::GpuDtype::kAuto;
    } else if (a == "--temperature") {
      try {
        settings.sampling.temperature = std::stof(v);
      } catch (const std::exception&) {
        ok = false;
      }
    } else {
      std::cerr << "railguard generate: unexpected argument '" << a << "'\n" << kUsage;
      return 2;
    }
    if (!ok) {
      std::cerr << "railguard generate: bad value for " << a << ": '" << v << "'\n";
      return 2;
    }
  }
  if (settings.model_path.empty() || !have_prompt) {
    std::cerr << "railguard generate: --model and --prompt are required\n" << kUsage;
    return 2;
  }

  auto engine = llm::local::LocalEngine::open(settings);
  if (!engine.ok()) {
    std::cerr << "railguard generate: " << engine.error().message << "\n";
    return 1;
  }
  llm::local::LocalEngine& e = *engine.value();
  auto ids = chat ? e.encode_chat({{"user", prompt}}) : e.encode_prompt(prompt);
  if (!ids.ok()) {
    std::cerr << "railguard generate: " << ids.error().message << "\n";
    return 1;
  }
  llm::local::GenerateOptions options;
  options.max_tokens = settings.max_tokens;
  options.sampling = settings.sampling;
  if (e.describe().rfind("cpu", 0) != 0) {
    // The first GPU call pays one-time set-up (module load, cuBLAS, graph
    // capture): a short untimed run first, so the numbers are the engine's.
    llm::local::GenerateOptions warm = options;
    warm.max_tokens = 2;
    (void)e.generate(ids.value(), warm);
  }
  auto r = e.generate(ids.value(), options, [](std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);  // show each piece as it comes
  });
  if (!r.ok()) {
    std::cerr << "\nrailguard generate: " << r.error().message << "\n";
    return 1;
  }
  const llm::local::Generation& g = r.value();
  std::printf("\n");
  std::fflush(stdout);
  // Decode speed counts the tokens after the first (prefill samples that one).
  std::fprintf(stderr,
               "prompt %d tokens, generated %d tokens (%s), prefill %.1f tok/s, decode %.1f tok/s, "
               "device %s\n",
               g.prompt_tokens, g.completion_tokens, g.finish_reason.c_str(),
               per_second(g.prompt_tokens, g.prefill_seconds),
               per_second(g.completion_tokens - 1, g.decode_seconds), e.describe().c_str());
  return 0;
}

}  // namespace rg::cli
