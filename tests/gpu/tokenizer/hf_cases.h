// tests/gpu/tokenizer/hf_cases.h: compares our tokenizers with HF
// `tokenizers` on cases it recorded (tests/gpu/tokenizer/make_tokenizers.py):
// a folder holds one sub-folder per tokenizer with tokenizer.json (+
// tokenizer_config.json) and cases.jsonl, one JSON object a line:
//   {"text": ..., "ids": [...]        (encode, add_special_tokens=True),
//    "decoded": ...                   (decode(ids)),
//    "decoded_skip": ...}             (decode(ids, skip_special_tokens=True))
// A missing "decoded"/"decoded_skip" means "equal to text" (the committed
// sample drops them to stay small).
// Used by tests/gpu/tokenizer/tokenizer_check.cc and tests/unit/llm/tokenizer_test.cc.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "llm/local/tokenizer/tokenizer.h"

namespace rg::test {

struct HfCaseReport {
  std::string name;
  int total = 0;
  int identical = 0;  // ids, decoded and decoded_skip all equal
  std::vector<std::string> mismatches;  // the first few, readable
  std::string error;                    // loading failed
};

inline std::string hf_ids_text(const std::vector<std::int32_t>& ids) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

inline HfCaseReport run_hf_cases(const std::filesystem::path& dir, std::size_t max_shown = 5) {
  using rg::llm::local::Tokenizer;
  HfCaseReport r;
  r.name = dir.filename().string();
  std::shared_ptr<const Tokenizer> tok;
  try {
    tok = Tokenizer::create(rg::llm::local::tokenizer_spec_from_hf(dir.string()));
  } catch (const std::exception& e) {
    r.error = e.what();
    return r;
  }
  std::ifstream in(dir / "cases.jsonl", std::ios::binary);
  if (!in) {
    r.error = (dir / "cases.jsonl").string() + ": cannot open";
    return r;
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    nlohmann::json c = nlohmann::json::parse(line);
    ++r.total;
    std::string text = c["text"].get<std::string>();
    auto want = c["ids"].get<std::vector<std::int32_t>>();
    auto got = tok->encode(text);
    for (const char* k : {"decoded", "decoded_skip"})
      if (!c.contains(k)) c[k] = text;
    std::string dec = tok->decode(want);
    std::string dec_skip = tok->decode(want, true);
    bool ok = got == want && dec == c["decoded"].get<std::string>() &&
              dec_skip == c["decoded_skip"].get<std::string>();
    if (ok) {
      ++r.identical;
      continue;
    }
    if (r.mismatches.size() >= max_shown) continue;
    std::ostringstream m;
    m << "line " << line_no << ": text " << nlohmann::json(text).dump() << "\n";
    if (got != want) {
      std::size_t k = 0;
      while (k < got.size() && k < want.size() && got[k] == want[k]) ++k;
      m << "    ids differ at " << k << "\n    hf:   " << hf_ids_text(want)
        << "\n    ours: " << hf_ids_text(got) << "\n    hf tokens:   ";
      for (std::size_t i = k; i < std::min(want.size(), k + 6); ++i)
        m << nlohmann::json(tok->spec().tokens.at(want[i])).dump() << " ";
      m << "\n    our tokens:  ";
      for (std::size_t i = k; i < std::min(got.size(), k + 6); ++i)
        m << nlohmann::json(tok->spec().tokens.at(got[i])).dump() << " ";
      m << "\n";
    }
    auto bad = [](const nlohmann::json& s) { return s.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
    if (dec != c["decoded"].get<std::string>())
      m << "    decode: hf " << bad(c["decoded"]) << " ours " << bad(nlohmann::json(dec)) << "\n";
    if (dec_skip != c["decoded_skip"].get<std::string>())
      m << "    decode(skip_special): hf " << bad(c["decoded_skip"]) << " ours "
        << bad(nlohmann::json(dec_skip)) << "\n";
    r.mismatches.push_back(m.str());
  }
  return r;
}

// Every sub-folder of root that has a cases.jsonl, sorted.
inline std::vector<std::filesystem::path> hf_case_dirs(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) return out;
  for (const auto& e : std::filesystem::directory_iterator(root))
    if (e.is_directory() && std::filesystem::exists(e.path() / "cases.jsonl")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace rg::test
