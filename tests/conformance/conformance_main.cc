// conformance CORPUS.jsonl [CONFORMANCE_DIR] [--expect-fail FILE]
//
// Runs every case of a corpus (../shared/conformance/README.md), prints one
// line per failing case and `N passed, M failed` as the last line. Exit code
// 0 only when nothing failed, or, with --expect-fail, when exactly the cases
// listed in FILE (one id per line, # comments) failed — so a regression and a
// fixed-but-still-listed case both fail CI.
#include <fstream>
#include <iostream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/conformance/colang1_cases.h"
#include "tests/conformance/colang2_cases.h"
#include "tests/conformance/colang2_chat_cases.h"

using rg::conformance::CaseResult;

namespace {

std::set<std::string> read_list(const std::string& path) {
  std::set<std::string> ids;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::string line;
  while (std::getline(in, line)) {
    auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(line.begin());
    if (!line.empty()) ids.insert(line);
  }
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus, expect_fail, only, conformance_dir;
  bool trace = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--expect-fail" && i + 1 < argc) expect_fail = argv[++i];
    else if (a == "--case" && i + 1 < argc) only = argv[++i];  // run ids containing this
    else if (a == "--trace") trace = true;                      // matching trace on stderr
    else if (a == "-h" || a == "--help") {
      std::cout << "usage: conformance CORPUS.jsonl [CONFORMANCE_DIR] [--expect-fail FILE] [--case ID] [--trace]\n";
      return 0;
    } else if (corpus.empty()) corpus = a;
    else if (conformance_dir.empty()) conformance_dir = a;
    // A second positional argument (the folder holding configs/) is for the
    // Colang 1.0 and chat corpora.
  }
  if (corpus.empty()) {
    std::cerr << "usage: conformance CORPUS.jsonl [CONFORMANCE_DIR] [--expect-fail FILE]\n";
    return 2;
  }
  std::ifstream in(corpus);
  if (!in) {
    std::cerr << "conformance: cannot read " << corpus << "\n";
    return 2;
  }
  std::set<std::string> allowed;
  if (!expect_fail.empty()) allowed = read_list(expect_fail);

  int passed = 0, failed = 0, line_no = 0;
  std::set<std::string> failed_ids;
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      std::cout << "FAIL " << corpus << ":" << line_no << ": invalid JSON: " << e.what() << "\n";
      ++failed;
      continue;
    }
    std::string id = record.value("id", corpus + ":" + std::to_string(line_no));
    if (!only.empty() && id.find(only) == std::string::npos) continue;
    CaseResult r;
    if (record.contains("steps") && record.contains("colang_raw")) {
      r = rg::conformance::run_colang2_case(record, trace);
    } else if (record.contains("turns") && record.value("source", "").find("v2_x") != std::string::npos) {
      if (conformance_dir.empty()) {
        std::cerr << "conformance: the chat corpus needs CONFORMANCE_DIR (the folder with configs/)\n";
        return 2;
      }
      r = rg::conformance::run_colang2_chat_case(record, conformance_dir);
    } else {
      if (conformance_dir.empty()) {
        std::cerr << "conformance: the Colang 1.0 corpus needs CONFORMANCE_DIR (the folder with configs/)\n";
        return 2;
      }
      r = rg::conformance::run_colang1_case(record, conformance_dir);
    }
    if (r.passed) {
      ++passed;
    } else {
      ++failed;
      failed_ids.insert(id);
      std::cout << "FAIL " << id << ": " << r.detail << "\n";
    }
  }
  int rc = failed == 0 ? 0 : 1;
  if (!expect_fail.empty()) {
    rc = 0;
    for (const auto& id : failed_ids)
      if (!allowed.count(id)) {
        std::cout << "REGRESSION " << id << " is not in " << expect_fail << "\n";
        rc = 1;
      }
    for (const auto& id : allowed)
      if (!failed_ids.count(id)) {
        std::cout << "FIXED " << id << " passes: remove it from " << expect_fail << "\n";
        rc = 1;
      }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return rc;
}
