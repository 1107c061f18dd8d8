// pii_eval FILE [--mistakes]: per-entity precision and recall of the built-in
// sensitive-data recognizers on a labelled JSON-lines file
// (rails/safety/pii_evaluation.h), printed as a table. Exit 1 when any
// entity is under 0.95 precision or recall, 2 on a bad file.
#include <cstdio>
#include <cstring>
#include <string>

#include "rails/safety/pii_evaluation.h"
#include "rails/safety/sensitive_data.h"

using namespace rg::rails::safety;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pii_eval FILE.jsonl [--mistakes]\n");
    return 2;
  }
  bool mistakes = argc > 2 && std::strcmp(argv[2], "--mistakes") == 0;
  std::string err;
  auto det = SensitiveDataDetector::create(SensitiveDataConfig{}, &err);
  if (!det) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  PiiEvaluation eval;
  if (!evaluate_pii_file(*det, argv[1], &eval, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  std::printf("%s", format_pii_evaluation(eval).c_str());
  if (mistakes)
    for (const auto& m : eval.mistakes) std::printf("%s\n", m.c_str());
  bool ok = true;
  for (const auto& s : eval.per_entity) ok = ok && s.precision() >= 0.95 && s.recall() >= 0.95;
  return ok ? 0 : 1;
}
