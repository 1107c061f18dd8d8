#include "rails/cli/convert_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "llm/local/gguf_convert.h"

namespace rg::cli {

namespace {

constexpr const char* kUsage =
    "usage: railguard convert --model HF_DIR --out FILE.gguf [--type f16|bf16|q8_0|f32]\n"
    "\n"
    "Writes a Hugging Face model folder (config.json, *.safetensors, tokenizer.json;\n"
    "Llama 2/3, Mistral, Qwen2) as one GGUF file with llama.cpp's names and\n"
    "metadata, the tokenizer and the chat template.\n"
    "\n"
    "  --model HF_DIR   the model folder\n"
    "  --out FILE       the GGUF file to write (replaced when it exists)\n"
    "  --type T         matrix type: f16 (default), bf16, q8_0 (8-bit blocks), f32;\n"
    "                   norms and biases stay f32\n";

}  // namespace

int convert_command(int argc, char** argv) {
  std::string model, out;
  llm::local::ConvertOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if ((a == "--model" || a == "--out" || a == "--type") && i + 1 < argc) {
      (a == "--model" ? model : a == "--out" ? out : options.type) = argv[++i];
      continue;
    }
    std::cerr << "railguard convert: unexpected argument '" << a << "'\n" << kUsage;
    return 2;
  }
  if (model.empty() || out.empty()) {
    std::cerr << "railguard convert: --model and --out are required\n" << kUsage;
    return 2;
  }
  if (options.type != "f16" && options.type != "bf16" && options.type != "q8_0" && options.type != "f32") {
    std::cerr << "railguard convert: --type must be f16, bf16, q8_0 or f32 (got '" << options.type << "')\n";
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    // On a terminal one line rewritten in place; into a log, a line per tenth.
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    const auto progress = [tty](std::size_t done, std::size_t total, const std::string& name) {
      const std::size_t n = done + 1;
      if (tty) {
        std::fprintf(stderr, "\r[%zu/%zu] %-48s", n, total, name.c_str());
        if (n == total) std::fprintf(stderr, "\n");
      } else if (n == total || (n * 10 / total) != (done * 10 / total)) {
        std::fprintf(stderr, "[%zu/%zu] %s\n", n, total, name.c_str());
      }
      std::fflush(stderr);
    };
    const llm::local::ConvertResult r = llm::local::convert_to_gguf(model, out, options, progress);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double mb = static_cast<double>(r.bytes) / 1e6;
    std::printf("wrote %s: %s, %s, %zu tensors, %.*f MB in %.1f s\n", out.c_str(), r.architecture.c_str(),
                options.type.c_str(), r.tensors, mb < 10 ? 3 : 1, mb, seconds);
  } catch (const std::exception& e) {
    std::cerr << "\nrailguard convert: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace rg::cli
