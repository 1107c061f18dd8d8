// `railguard convert --model HF_DIR --out model.gguf [--type f16|bf16|q8_0|f32]`:
// writes a Hugging Face Llama-family model folder (llama, mistral, qwen2) as
// one GGUF file that llama.cpp and railguard's local engine load
// (llm/local/gguf_convert.h). Prints a progress line per tensor and the size.
#pragma once

namespace rg::cli {

// argv[0] is "convert". 0 on success, 1 when loading or writing fails, 2 on
// a usage error.
int convert_command(int argc, char** argv);

}  // namespace rg::cli
