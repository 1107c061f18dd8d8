// Jailbreak detection heuristics (spec product.md 2, `jailbreak detection
// heuristics`; rails.config.jailbreak_detection, spec 1.4): perplexity-based
// checks of a user message, as a library the `jailbreak_detection_heuristics`
// action calls.
//
//   Length per perplexity (LP): len(text, in code points) / ppl(text)
//       >= length_per_perplexity_threshold (default 89.79) -> jailbreak.
//   Prefix/suffix perplexity (PS): only for texts of >= 20 whitespace-
//       separated words (Python str.split()): prefix = the first 20 words,
//       suffix = the last 20 words, each joined with one space; jailbreak when
//       either ppl >= prefix_suffix_perplexity_threshold (default 1845.65).
//       FIX of a reference quirk: the reference slices words[0:19] and
//       words[-20:-1], i.e. 19 words each and the suffix drops the last word;
//       we score the full 20-word windows words[0:20] and words[-20:]. For
//       exactly 20 words prefix == suffix and it is scored once.
//   jailbreak = LP || PS.
//
// Two ways to run it, chosen by the config:
//   - `server_endpoint` set: the reference's heuristics server (port 1337):
//     POST {server_endpoint} {"prompt", "lp_threshold", "ps_ppl_threshold"}
//     -> {"jailbreak": bool, "length_per_perplexity": bool,
//         "prefix_suffix_perplexity": bool}. The URL is used as written
//     (e.g. http://localhost:1337/heuristics).
//   - otherwise a PerplexityScorer computes the checks in-process. The
//     reference's fallback (gpt2-large loaded in-process) is not available;
//     we score through an OpenAI-compatible `/completions` endpoint that
//     returns prompt logprobs (OpenAiLogprobScorer), named by
//       rails.config.jailbreak_detection.perplexity_model:
//           {engine, model, base_url?, parameters?: {...}}
//     or, when that key is absent, by a `models:` entry of
//       type: jailbreak_perplexity   (engine, model, parameters as any model).
//   Both given: server_endpoint wins (as in the reference, the endpoint is
//   used when set). Neither: validate_jailbreak_config() says so; the
//   integrator rejects the config when the rail is listed.
//
// Failures never block: an HTTP error status, a connection failure, a
// malformed answer or a scorer error gives jailbreak = false with
// JailbreakVerdict::error set for the log (the reference allows on an HTTP
// status != 200 and on a missing "jailbreak" key; on a connection failure it
// raises, i.e. the action fails; callers that want that can test
// error_code == kTransport / kTimeout). In-process, a check that did score
// still counts: LP flagged + PS scorer failure -> jailbreak, error recorded.
// An empty (all-whitespace) text is allowed without scoring.
//
// Thread-safe: a JailbreakDetector and its scorer/client are immutable and
// shared by every session.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value.h"
#include "llm/providers/openai_compatible/prompt_logprobs_client.h"
#include "llm/result.h"
#include "rails/config/rails_config.h"

namespace rg::rails::safety {

inline constexpr double kDefaultLengthPerPerplexityThreshold = 89.79;
inline constexpr double kDefaultPrefixSuffixPerplexityThreshold = 1845.65;
inline constexpr size_t kPrefixSuffixWords = 20;
// The models: entry type that names the scorer model.
inline constexpr std::string_view kJailbreakPerplexityModelType = "jailbreak_perplexity";

// Perplexity of a text under some language model. How long texts are handled
// (the reference: gpt2-large, sliding window 1024 / stride 512) is the
// scorer's business. Implementations must be thread-safe.
class PerplexityScorer {
 public:
  virtual ~PerplexityScorer() = default;
  virtual llm::Result<double> perplexity(std::string_view text) const = 0;
  virtual std::string name() const = 0;  // for logs: "openai-logprobs vllm_openai/gpt2-large"
};

// ppl = exp(-mean of the prompt tokens' logprobs) over an OpenAI-compatible
// `/completions` endpoint in echo mode (llm/.../prompt_logprobs_client.h).
// The first token (null logprob: no context) is not counted, as GPT-2's loss
// does not count it. A text with no scored token (one token) gives NaN, which
// never reaches a threshold (the reference's loss is NaN there too).
// The whole text goes in one request: a text longer than the model's context
// is the server's to refuse (-> error -> allowed).
class OpenAiLogprobScorer final : public PerplexityScorer {
 public:
  explicit OpenAiLogprobScorer(std::shared_ptr<const llm::OpenAiPromptLogprobsClient> client);
  llm::Result<double> perplexity(std::string_view text) const override;
  std::string name() const override;

 private:
  std::shared_ptr<const llm::OpenAiPromptLogprobsClient> client_;
};

// exp(-mean(non-null logprobs)); NaN when there is none.
double perplexity_from_logprobs(const std::vector<std::optional<double>>& token_logprobs);

struct JailbreakThresholds {
  double length_per_perplexity = kDefaultLengthPerPerplexityThreshold;
  double prefix_suffix_perplexity = kDefaultPrefixSuffixPerplexityThreshold;
};

struct JailbreakVerdict {
  bool jailbreak = false;
  bool length_per_perplexity = false;    // the LP check flagged
  bool prefix_suffix_perplexity = false; // the PS check flagged
  // In-process only (the server sends flags, not scores):
  std::optional<double> perplexity;         // of the whole text
  std::optional<double> lp_score;           // len / ppl
  std::optional<double> prefix_perplexity;  // texts of >= 20 words
  std::optional<double> suffix_perplexity;
  // Non-empty when a check could not run; the text was then allowed unless
  // another check flagged it.
  std::string error;
  std::optional<llm::ErrorCode> error_code;
};

// The reference's heuristics server.
class HeuristicsServerClient {
 public:
  struct Options {
    std::string endpoint;  // the full URL, e.g. http://localhost:1337/heuristics
    long connect_timeout_ms = 10000;
    long read_timeout_ms = 60000;
  };
  explicit HeuristicsServerClient(Options options);
  const Options& options() const { return options_; }

  // Never fails: errors give jailbreak = false with `error` set.
  JailbreakVerdict check(std::string_view prompt, const JailbreakThresholds& thresholds) const;

 private:
  Options options_;
};

// Python str.split(): runs of (Unicode) whitespace separate words.
std::vector<std::string_view> whitespace_words(std::string_view text);

struct PrefixSuffix {
  bool applies = false;  // >= 20 words
  std::string prefix;    // words[0:20] joined by " "
  std::string suffix;    // words[-20:] joined by " "
};
PrefixSuffix prefix_suffix_windows(std::string_view text);

// Python len(): code points of UTF-8 text.
size_t code_point_length(std::string_view text);

// The checks with a scorer (see the top of this file).
JailbreakVerdict check_jailbreak_heuristics(const PerplexityScorer& scorer, std::string_view text,
                                            const JailbreakThresholds& thresholds);

// rails.config.jailbreak_detection, parsed.
struct JailbreakConfig {
  std::string server_endpoint;  // "" = none
  JailbreakThresholds thresholds;
  // The scorer model, from perplexity_model or a models: entry of type
  // jailbreak_perplexity; engine "" = none.
  std::string model_engine;
  llm::ProviderSettings model_settings;
  std::string model_source;  // "rails.config.jailbreak_detection.perplexity_model" or "models[i]"
  // Connection settings for the server (keys server_connect_timeout_ms,
  // server_read_timeout_ms / server_timeout seconds); optional.
  long server_connect_timeout_ms = 10000;
  long server_read_timeout_ms = 60000;
};

// "" when the settings are usable, else the message (names the key). Checks
// types (thresholds numbers, endpoint a string, perplexity_model a mapping
// with engine and model) and that there is a way to run: a server_endpoint
// or a scorer model. Call it when the rail is listed in rails.input.flows.
std::string validate_jailbreak_config(const colang::Dict& jailbreak_detection,
                                      const std::vector<config::ModelConfig>& models);

// Parses; on failure returns nullopt with `error` set (the same messages as
// validate_jailbreak_config).
std::optional<JailbreakConfig> parse_jailbreak_config(const colang::Dict& jailbreak_detection,
                                                      const std::vector<config::ModelConfig>& models,
                                                      std::string* error);

class JailbreakDetector {
 public:
  // The server client or the OpenAI logprob scorer, as the config says.
  // Errors: the config's (kBadConfig), the scorer model's (no API key, ...).
  static llm::Result<std::shared_ptr<const JailbreakDetector>> create(const JailbreakConfig& config);
  static llm::Result<std::shared_ptr<const JailbreakDetector>> create(
      const colang::Dict& jailbreak_detection, const std::vector<config::ModelConfig>& models);

  // With a given scorer / server client (tests, other scorers).
  JailbreakDetector(std::shared_ptr<const PerplexityScorer> scorer, JailbreakThresholds thresholds);
  JailbreakDetector(std::shared_ptr<const HeuristicsServerClient> server, JailbreakThresholds thresholds);

  JailbreakVerdict check(std::string_view text) const;

  const JailbreakThresholds& thresholds() const { return thresholds_; }
  bool uses_server() const { return server_ != nullptr; }
  std::string describe() const;  // "server http://..." / the scorer's name

 private:
  std::shared_ptr<const PerplexityScorer> scorer_;
  std::shared_ptr<const HeuristicsServerClient> server_;
  JailbreakThresholds thresholds_;
};

}  // namespace rg::rails::safety
