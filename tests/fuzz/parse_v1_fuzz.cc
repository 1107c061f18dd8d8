// libFuzzer target for colang/v1/parse_v1.h: parse_colang_v1() must return
// (never crash, hang or throw) on any bytes, every diagnostic must render,
// and every jump of every compiled flow must stay inside the flow (or be the
// absolute end-of-flow jump).
//
//   cmake --build build-fuzz --target parse_v1_fuzz
//   build-fuzz/bin/parse_v1_fuzz -max_total_time=300 -max_len=4096 -timeout=10 \
//     -dict=tests/fuzz/parse_v1_fuzz.dict tests/fuzz/corpus_v1 tests/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "colang/v1/parse_v1.h"

namespace {
constexpr size_t kMaxInputBytes = 4096;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInputBytes) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  rg::colang::v1::ParseResult result = rg::colang::v1::parse_colang_v1(text, "fuzz.co");
  size_t rendered = 0;
  for (const rg::colang::Diagnostic& d : result.diagnostics) rendered += d.render().size();
  for (const rg::colang::v1::Flow& f : result.document.flows) {
    const int n = static_cast<int>(f.elements.size());
    for (int i = 0; i < n; ++i) {
      const rg::colang::v1::Element& e = f.elements[i];
      if (e.type == rg::colang::v1::ElementType::kJump && !e.absolute &&
          (i + e.next < 0 || i + e.next > n)) {
        abort();
      }
    }
  }
  rg::colang::v1::looks_like_colang_v1(text);
  return rendered == SIZE_MAX ? 1 : 0;
}
