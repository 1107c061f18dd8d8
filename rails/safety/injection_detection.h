// Injection detection: code, SQL, template and XSS injection in a text (in
// practice, the bot's answer before it reaches a tool, a page or a shell),
// with RE2 rule sets instead of the later upstream's YARA rules (spec
// product.md 2: `injection detection` exists only later upstream; its shape
// is kept):
//
//   rails:
//     config:
//       injection_detection:
//         injections: [code, sqli, template, xss]   # the types checked, required
//         action: reject                             # reject (default) | omit
//         rules_path: rules/injection.yml            # optional; relative to the config folder
//         rules:                                     # optional, inline
//           - {name: no_wget, injection: code, regex: '(?i)\bwget\s+http'}
//         yara_path / yara_rules:                    # upstream's; ignored with a warning
//
// A rules file (YAML, or JSON when its name ends in .json) is a list of
// {name, type, regex} (or a mapping {rules: [...]}); inline rules may say
// `injection:` instead of `type:`. Regexes are RE2 syntax, case-sensitive
// unless they say (?i). A user rule adds to the built-in rules of its type;
// a type that is not built in is a custom type, checked when it is listed in
// `injections`. Errors name the file and the rule.
//
// Actions: reject -> apply() says blocked when anything matched (the rail
// refuses); omit -> apply() returns the text with every matched span removed,
// repeated until nothing matches (a removal can join "<scr" + "ipt" into a new
// match); after 8 rounds that still match, the text is blocked instead.
// Upstream's `sanitize` is refused (upstream does not implement it either).
//
// Built-in rules (see injection_detection.cc for each) aim at payloads, not
// at talk about them: "select the script from the menu", "SQL's UNION
// combines two SELECT statements", "$5 each", "{x | x > 0}" pass; tested on
// tests/data/injection/injection_labelled.jsonl.
//
// Matching: one RE2::Set over every active rule finds which rules match,
// then only those rules are run for their spans. Compiled once in create();
// detect()/apply() are const and thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"

namespace rg::rails::safety {

enum class InjectionAction { kReject, kOmit };

struct InjectionRule {
  std::string name;
  std::string type;    // code | sqli | template | xss | a custom type
  std::string regex;   // RE2 syntax
  std::string source;  // "built-in", "rules.yml", "rails.config.injection_detection.rules"
};

struct InjectionConfig {
  std::vector<std::string> injections;  // the types checked, as listed (deduplicated)
  InjectionAction action = InjectionAction::kReject;
  std::vector<InjectionRule> user_rules;  // rules_path's then inline ones
  std::vector<std::string> warnings;      // e.g. "yara_rules is ignored: ..."
};

// The built-in types: code, sqli, template, xss.
const std::vector<std::string>& builtin_injection_types();
// Every built-in rule (type, name, regex).
const std::vector<InjectionRule>& builtin_injection_rules();

// rails.config.injection_detection. nullopt with `error` set (naming the key,
// the file and the rule) when it is wrong; relative rules_path are resolved
// against `config_dir`. Every regex is compiled here so a bad one is a load
// error.
std::optional<InjectionConfig> parse_injection_config(const colang::Dict& injection_detection,
                                                      std::string* error,
                                                      const std::filesystem::path& config_dir = {});

// A rules file alone (YAML / JSON list of {name, type, regex}).
std::optional<std::vector<InjectionRule>> load_injection_rules_file(const std::filesystem::path& path,
                                                                    std::string* error);

struct InjectionFinding {
  std::string type;  // "sqli"
  std::string rule;  // "sqli.union_select" (built-in) or the user rule's name
  size_t begin = 0;  // byte offsets into the text given to detect()
  size_t end = 0;
  friend bool operator==(const InjectionFinding&, const InjectionFinding&) = default;
};

struct InjectionResult {
  bool blocked = false;
  std::string text;  // the text to use: as given, or (omit) with matched spans removed
  std::vector<InjectionFinding> findings;  // of the original text
};

class InjectionDetector {
 public:
  // nullptr with `error` set when a rule does not compile or a listed type
  // has no rule.
  static std::shared_ptr<const InjectionDetector> create(const InjectionConfig& config,
                                                         std::string* error);
  ~InjectionDetector();

  // Every match of every active rule, by begin then rule order; matches of
  // one rule do not overlap, matches of different rules may.
  std::vector<InjectionFinding> detect(std::string_view text) const;
  // detect() plus the action.
  InjectionResult apply(std::string_view text) const;

  InjectionAction action() const { return action_; }
  const std::vector<std::string>& injections() const { return injections_; }
  size_t rule_count() const { return rules_.size(); }

 private:
  InjectionDetector() = default;
  struct Compiled;  // a rule and its RE2
  struct SetBox;    // the RE2::Set over every rule
  std::vector<std::unique_ptr<Compiled>> rules_;
  std::unique_ptr<SetBox> set_;
  InjectionAction action_ = InjectionAction::kReject;
  std::vector<std::string> injections_;
};

}  // namespace rg::rails::safety
