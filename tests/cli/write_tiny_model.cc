// write_tiny_model DIR: writes the tiny random Llama-style HF folder of the
// unit tests (tests/unit/llm/local_model_test_util.h: 2 layers, vocab 300,
// byte-level BPE, Llama 3 chat template) for the CLI tests of
// `railguard generate` / `convert`, which need a model on disk.
#include <cstdio>
#include <exception>

#include "tests/unit/llm/local_model_test_util.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_tiny_model DIR\n");
    return 2;
  }
  try {
    rg::test::write_tiny_hf(argv[1], rg::test::TinyModelSpec{});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "write_tiny_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
