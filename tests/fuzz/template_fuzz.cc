// libFuzzer target for rails/prompts/template: Template::compile() and
// render() must return (never crash, hang or throw) on any bytes; every error
// names the template and a line.
//
//   cmake -B build-fuzz -DRG_BUILD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
//   cmake --build build-fuzz --target template_fuzz
//   build-fuzz/bin/template_fuzz -max_total_time=600 tests/fuzz/template_corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "rails/prompts/template/template.h"

namespace {
// Bigger inputs only find timeouts in proportion to their size.
constexpr size_t kMaxInputBytes = 2048;

rg::colang::Dict make_context() {
  using rg::colang::List;
  using rg::colang::Value;
  rg::colang::Dict d;
  d.set("history", "user \"hi\"\n  express greeting\nbot express greeting\n  \"Hello!\"");
  d.set("xs", List{Value(1), Value("two"), Value(List{Value(3.5), Value(nullptr)})});
  rg::colang::Dict inner;
  inner.set("relevant_chunks", "chunk");
  d.set("context", inner);
  d.set("n", 3);
  return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return 0;
  static const rg::colang::Dict context = make_context();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto compiled = rg::rails::prompts::Template::compile(text, "fuzz");
  if (!compiled.ok()) {
    if (compiled.error().line < 1) __builtin_trap();
    return 0;
  }
  auto rendered = compiled.value()->render(context);
  if (!rendered.ok() && rendered.error().line < 1) __builtin_trap();
  return 0;
}
