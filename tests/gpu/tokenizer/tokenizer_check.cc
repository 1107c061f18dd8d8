// tests/gpu/tokenizer/tokenizer_check.cc: our tokenizers (llm/local/tokenizer/)
// against HF `tokenizers` on the cases make_tokenizers.py recorded.
//
//   tokenizer_check DIR [UNICODE_DUMP]
//       DIR/<name>/{tokenizer.json, tokenizer_config.json, cases.jsonl};
//       UNICODE_DUMP: make_tokenizers.py --unicode-dump (HF's \p{L}/\p{N}/\s),
//       compared code point by code point with our tables.
//
// Prints per tokenizer "N/M identical" (ids, decode, decode(skip_special)) and
// the first mismatches, then our encode speed on the cases; exits 1 on any
// mismatch or load error.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "llm/local/tokenizer/tokenizer.h"
#include "llm/local/tokenizer/unicode_categories.h"
#include "tests/gpu/tokenizer/hf_cases.h"

namespace {

// MB/s of encode over every case text of one folder, repeated to ~8 MB.
double encode_speed(const std::filesystem::path& dir) {
  using namespace rg::llm::local;
  auto tok = Tokenizer::create(tokenizer_spec_from_hf(dir.string()));
  std::ifstream in(dir / "cases.jsonl", std::ios::binary);
  std::string line, all;
  while (std::getline(in, line))
    if (!line.empty()) all += nlohmann::json::parse(line)["text"].get<std::string>() + "\n";
  if (all.empty()) return 0;
  std::size_t bytes = 0, ids = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (bytes < (8u << 20)) {
    ids += tok->encode(all, false).size();
    bytes += all.size();
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ids > 0 ? bytes / 1e6 / s : 0;
}

// Code points whose class differs between HF's regex engine and our tables.
bool check_unicode(const char* path) {
  using rg::llm::local::CharClass;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::printf("unicode: %s: cannot open\n", path);
    return false;
  }
  nlohmann::json dump = nlohmann::json::parse(in);
  std::vector<CharClass> hf(0x110000, CharClass::kOther);
  const std::pair<const char*, CharClass> classes[] = {
      {"letter", CharClass::kLetter}, {"number", CharClass::kNumber}, {"space", CharClass::kSpace}};
  for (const auto& [name, cls] : classes)
    for (const auto& r : dump.at(name))
      for (std::uint32_t cp = r[0].get<std::uint32_t>(); cp <= r[1].get<std::uint32_t>(); ++cp) hf[cp] = cls;
  const char* names[] = {"L", "N", "space", "other"};
  int diffs = 0;
  std::string shown;
  for (std::uint32_t cp = 1; cp < 0x110000; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    CharClass ours = rg::llm::local::char_class(cp);
    if (ours == hf[cp]) continue;
    if (++diffs <= 12) {
      char b[64];
      std::snprintf(b, sizeof b, " U+%04X(hf %s, ours %s)", cp, names[static_cast<int>(hf[cp])],
                    names[static_cast<int>(ours)]);
      shown += b;
    }
  }
  std::printf("unicode classes vs HF (tokenizers %s): %d code points differ%s\n",
              dump.value("tokenizers", "?").c_str(), diffs, shown.c_str());
  return diffs == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s DIR [UNICODE_DUMP]\n", argv[0]);
    return 2;
  }
  auto dirs = rg::test::hf_case_dirs(argv[1]);
  if (dirs.empty()) {
    std::fprintf(stderr, "%s: no <name>/cases.jsonl folders\n", argv[1]);
    return 1;
  }
  std::printf("unicode tables: %s\n", rg::llm::local::unicode_tables_version());
  bool ok = true;
  std::string summary;
  if (argc == 3) {
    ok = check_unicode(argv[2]);
    summary += ok ? "unicode  tables agree with HF\n" : "unicode  TABLES DIFFER from HF (see above)\n";
  }
  for (const auto& dir : dirs) {
    rg::test::HfCaseReport r;
    try {
      r = rg::test::run_hf_cases(dir);
    } catch (const std::exception& e) {
      r.name = dir.filename().string();
      r.error = e.what();
    }
    char line[256];
    if (!r.error.empty()) {
      std::snprintf(line, sizeof line, "%-8s LOAD ERROR: %s\n", r.name.c_str(), r.error.c_str());
      ok = false;
    } else {
      double mbs = encode_speed(dir);
      std::snprintf(line, sizeof line, "%-8s %d/%d identical   encode %.1f MB/s\n", r.name.c_str(),
                    r.identical, r.total, mbs);
      ok = ok && r.identical == r.total && r.total > 0;
    }
    std::cout << line;
    for (const auto& m : r.mismatches) std::cout << "  " << m;
    summary += line;
  }
  std::cout << "\n=== summary\n" << summary << (ok ? "ALL IDENTICAL\n" : "MISMATCHES\n");
  return ok ? 0 : 1;
}
