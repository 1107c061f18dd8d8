// libFuzzer target for colang/parse.h: parse_colang() must return (never
// crash, hang or throw) on any bytes, and every diagnostic must render.
//
//   cmake -B build-fuzz -DRG_BUILD_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
//   cmake --build build-fuzz --target parse_fuzz
//   build-fuzz/bin/parse_fuzz -max_total_time=600 tests/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "colang/parse.h"

namespace {
// Bigger inputs only find timeouts in proportion to their size.
constexpr size_t kMaxInputBytes = 4096;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  rg::colang::ParseResult result = rg::colang::parse_colang(text, "fuzz.co");
  size_t rendered = 0;
  for (const rg::colang::Diagnostic& d : result.diagnostics) rendered += d.render().size();
  // The same bytes as one expression.
  std::vector<rg::colang::Diagnostic> diagnostics;
  rg::colang::parse_expression(text, &diagnostics);
  for (const rg::colang::Diagnostic& d : diagnostics) rendered += d.render().size();
  return rendered == SIZE_MAX ? 1 : 0;
}
