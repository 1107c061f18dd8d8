// Precision and recall of a SensitiveDataDetector on a labelled JSON-lines
// file (tests/data/pii/pii_labelled.jsonl), one line per text:
//   {"text": "mail a@b.com", "entities": [{"type": "EMAIL_ADDRESS", "value": "a@b.com"}]}
// A finding counts as a true positive when a labelled entity of the same
// type has exactly its text as value (each label matched once); other
// findings are false positives, unmatched labels false negatives. Every
// built-in entity is detected on every line (threshold 0.4), so a clean
// look-alike line ("entities": []) measures precision of all types at once.
// Used by build/bin/pii_eval and tests/unit/rails/sensitive_data_test.cc.
#pragma once

#include <string>
#include <vector>

namespace rg::rails::safety {

class SensitiveDataDetector;

struct EntityScore {
  std::string entity;
  int tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : static_cast<double>(tp) / (tp + fn); }
};

struct PiiEvaluation {
  int lines = 0;
  std::vector<EntityScore> per_entity;  // sorted by entity
  std::vector<std::string> mistakes;    // "FP URL 'x.com' in: <text>", "FN ..."
};

// False with *error set when the file cannot be read or a line is not of
// the shape above (the line number is named).
bool evaluate_pii_file(const SensitiveDataDetector& detector, const std::string& path, PiiEvaluation* out,
                       std::string* error);
// The table: entity, support, TP, FP, FN, precision, recall.
std::string format_pii_evaluation(const PiiEvaluation& eval);

}  // namespace rg::rails::safety
