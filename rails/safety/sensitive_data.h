// Sensitive-data (PII) detection and masking: the engine behind the
// `detect sensitive data on input|output|retrieval` and `mask sensitive data
// on ...` rails (spec product.md section 2), configured by
// `rails.config.sensitive_data_detection` (spec 1.4).
//
//   std::string err;
//   SensitiveDataConfig cfg = parse_sensitive_data_config(sdd_dict, &err);
//   if (!err.empty()) { ... report, refuse the config ... }
//   auto det = SensitiveDataDetector::create(cfg, &err);   // nullptr + err on failure
//   det->contains(Source::kInput, "mail me at a@b.com");    // true if EMAIL_ADDRESS is listed
//   det->mask(Source::kInput, "mail me at a@b.com");        // "mail me at <EMAIL_ADDRESS>"
//
// The reference runs Presidio with spaCy; here every recognizer is a regular
// expression (RE2) plus a validator written from the standard it checks
// (Luhn, ISO 13616 mod-97, SSA rules, NANP, RFC 4291, ...), and context words
// that lift a weak match above the threshold, as Presidio does. Entities
// that need a named-entity model (PERSON, LOCATION, NRP, ORGANIZATION, ...)
// are refused at config time: no NER provider ships. rails/safety/README.md
// lists what each recognizer matches and rejects, and the scores.
//
// A detector is immutable once created and safe to share between threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"

namespace rg::rails::safety {

enum class Source { kInput, kOutput, kRetrieval };
// "input" | "output" | "retrieval"; false for anything else.
bool parse_source(std::string_view name, Source* out);
std::string_view source_name(Source s);

// A custom recognizer, the shape of Presidio's ad-hoc PatternRecognizer JSON:
//   recognizers:
//     - name: "Employee id"            # optional, for messages
//       supported_language: "en"       # optional; only "en"
//       supported_entity: "EMPLOYEE_ID"  # required; UPPER_SNAKE_CASE
//       patterns:                      # patterns and/or deny_list
//         - {name: "emp", regex: "\\bEMP-\\d{6}\\b", score: 0.9}
//       context: ["employee", "staff"] # optional; lifts a match by 0.35
//       deny_list: ["Mr.", "Dr."]      # optional; whole-word, case-insensitive
//       deny_list_score: 1.0           # optional (Presidio's default 1.0)
// Patterns are RE2 syntax, compiled case-insensitive with `.` matching
// newlines and ^/$ per line (Presidio's default flags); look-around and
// back-references are rejected at load with the pattern named.
struct CustomPattern {
  std::string name;
  std::string regex;
  double score = 0.5;
};
struct CustomRecognizer {
  std::string name;
  std::string entity;
  std::vector<CustomPattern> patterns;
  std::vector<std::string> context;
  std::vector<std::string> deny_list;
  double deny_list_score = 1.0;
};

// rails.config.sensitive_data_detection.<source>.
struct SourceOptions {
  std::vector<std::string> entities;  // none: the rails of this source do nothing
  // "*" (the default, which the reference never reads): a finding becomes
  // "<ENTITY_TYPE>" as Presidio's "replace" does. Any other string replaces
  // each finding literally (an extension; e.g. "[REDACTED]").
  std::string mask_token = "*";
  // Findings scoring below are dropped (later upstream's option; 0.4 here).
  double score_threshold = 0.4;
};

struct SensitiveDataConfig {
  std::vector<CustomRecognizer> recognizers;
  SourceOptions input, output, retrieval;
  const SourceOptions& options(Source s) const;
};

// Reads the `rails.config.sensitive_data_detection` dict (RailsSection::config
// find("sensitive_data_detection")). On a problem sets *error to one message
// per line, each starting with the field path
// ("sensitive_data_detection.input.entities[0]: ..."), and returns what it
// could read. Unknown entity names are rejected listing the known ones; NER
// entities are rejected saying no NER provider ships.
SensitiveDataConfig parse_sensitive_data_config(const colang::Dict& rails_config_sensitive_data,
                                                std::string* error);

// Built-in entity names, sorted: CREDIT_CARD, DATE_TIME, EMAIL_ADDRESS, ...
const std::vector<std::string>& builtin_entities();

struct Finding {
  std::string entity;  // "EMAIL_ADDRESS", a custom entity, ...
  size_t begin = 0;    // byte offsets into the text, [begin, end)
  size_t end = 0;
  double score = 0;    // 0..1, after context
};

class SensitiveDataDetector {
 public:
  // Compiles every regex once. nullptr with *error set when a custom pattern
  // does not compile or the config names an unknown entity.
  static std::shared_ptr<const SensitiveDataDetector> create(const SensitiveDataConfig& config,
                                                             std::string* error);
  ~SensitiveDataDetector();

  // The findings of the source's entities at or above its threshold,
  // overlaps resolved, sorted by position. Overlaps: a finding inside
  // another is dropped; then of two that cross, the higher score wins, then
  // the longer span, then the earlier one.
  std::vector<Finding> detect(Source source, std::string_view text) const;
  bool contains(Source source, std::string_view text) const;
  // The text with each finding replaced (see SourceOptions::mask_token).
  std::string mask(Source source, std::string_view text) const;

  // For tools: findings of an explicit entity list with a threshold,
  // independent of the per-source options (entities must be known).
  std::vector<Finding> detect_entities(std::string_view text, const std::vector<std::string>& entities,
                                       double score_threshold = 0.4) const;

  const SensitiveDataConfig& config() const;

  struct Impl;

 private:
  explicit SensitiveDataDetector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rg::rails::safety
