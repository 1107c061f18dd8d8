// SensitiveDataConfig parsing and SensitiveDataDetector (sensitive_data.h).
#include "rails/safety/sensitive_data.h"

#include <algorithm>
#include <set>

#include "rails/safety/internal/pii_recognizers.h"

namespace rg::rails::safety {

using colang::Dict;
using colang::List;
using colang::Value;

namespace {

constexpr std::string_view kRoot = "rails.config.sensitive_data_detection";

// Presidio entities that come from spaCy's named-entity recognizer.
const std::set<std::string>& ner_entities() {
  static const std::set<std::string> k = {"PERSON", "LOCATION", "NRP", "ORGANIZATION", "ORG", "GPE", "NORP",
                                          "LOC",    "FAC",      "AGE", "NATIONALITY"};
  return k;
}
// Presidio pattern entities without a recognizer here.
const std::set<std::string>& unimplemented_presidio_entities() {
  static const std::set<std::string> k = {
      "CRYPTO",  "MEDICAL_LICENSE", "US_BANK_NUMBER", "US_ITIN", "UK_NHS", "UK_NINO", "SG_NRIC_FIN", "SG_UEN",
      "AU_ABN",  "AU_ACN", "AU_TFN", "AU_MEDICARE", "IN_PAN", "IN_AADHAAR", "IN_VEHICLE_REGISTRATION", "IN_VOTER",
      "IN_PASSPORT", "IN_GSTIN", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "IT_DRIVER_LICENSE", "IT_VAT_CODE",
      "IT_PASSPORT", "IT_IDENTITY_CARD", "PL_PESEL", "FI_PERSONAL_IDENTITY_CODE", "KR_RRN", "TH_TNIN"};
  return k;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Errors {
 public:
  void add(const std::string& path, const std::string& msg) {
    if (!text_.empty()) text_ += "\n";
    text_ += path + ": " + msg;
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

bool read_number(const Value& v, double* out) {
  if (!v.is_number() || v.is_bool()) return false;
  *out = v.as_number();
  return true;
}

std::vector<std::string> read_strings(const Value& v, const std::string& path, Errors& err) {
  std::vector<std::string> out;
  if (v.is_none()) return out;
  if (!v.is_list()) {
    err.add(path, "must be a list of strings");
    return out;
  }
  for (size_t i = 0; i < v.as_list().size(); ++i) {
    const Value& s = v.as_list()[i];
    if (s.is_str()) out.push_back(s.as_str());
    else err.add(path + "[" + std::to_string(i) + "]", "must be a string");
  }
  return out;
}

CustomRecognizer read_recognizer(const Value& item, const std::string& path, Errors& err) {
  CustomRecognizer r;
  if (!item.is_dict()) {
    err.add(path, "must be a mapping {name, supported_entity, patterns, context, deny_list}");
    return r;
  }
  static const std::set<std::string> kKeys = {"name",    "supported_language", "supported_entity", "patterns",
                                              "context", "deny_list",          "deny_list_score"};
  for (const auto& [k, v] : item.as_dict()) {
    if (!kKeys.count(k))
      err.add(path + "." + k, "unknown key; a recognizer takes name, supported_language, supported_entity, "
                              "patterns, context, deny_list, deny_list_score");
  }
  const Dict& d = item.as_dict();
  if (const Value* v = d.find("name"); v && v->is_str()) r.name = v->as_str();
  if (const Value* v = d.find("supported_language"); v && !v->is_none()) {
    if (!v->is_str() || v->as_str() != "en") err.add(path + ".supported_language", "only \"en\" is supported");
  }
  if (const Value* v = d.find("supported_entity"); v && v->is_str() && !v->as_str().empty()) {
    r.entity = v->as_str();
  } else {
    err.add(path + ".supported_entity", "required: the entity name this recognizer reports (e.g. EMPLOYEE_ID)");
  }
  if (r.name.empty()) r.name = r.entity;
  if (const Value* v = d.find("patterns"); v && !v->is_none()) {
    if (!v->is_list()) {
      err.add(path + ".patterns", "must be a list of {name, regex, score}");
    } else {
      for (size_t i = 0; i < v->as_list().size(); ++i) {
        const Value& p = v->as_list()[i];
        std::string pp = path + ".patterns[" + std::to_string(i) + "]";
        if (!p.is_dict()) {
          err.add(pp, "must be a mapping {name, regex, score}");
          continue;
        }
        CustomPattern cp;
        if (const Value* n = p.as_dict().find("name"); n && n->is_str()) cp.name = n->as_str();
        if (const Value* re = p.as_dict().find("regex"); re && re->is_str() && !re->as_str().empty()) {
          cp.regex = re->as_str();
        } else {
          err.add(pp + ".regex", "required: a non-empty regular expression (RE2 syntax)");
        }
        if (const Value* s = p.as_dict().find("score")) {
          if (!read_number(*s, &cp.score) || cp.score < 0 || cp.score > 1)
            err.add(pp + ".score", "must be a number between 0 and 1");
        } else {
          err.add(pp + ".score", "required: a number between 0 and 1");
        }
        for (const auto& [k, _] : p.as_dict())
          if (k != "name" && k != "regex" && k != "score") err.add(pp + "." + k, "unknown key; a pattern takes name, regex, score");
        r.patterns.push_back(std::move(cp));
      }
    }
  }
  if (const Value* v = d.find("context")) r.context = read_strings(*v, path + ".context", err);
  if (const Value* v = d.find("deny_list")) r.deny_list = read_strings(*v, path + ".deny_list", err);
  if (const Value* v = d.find("deny_list_score"); v && !v->is_none()) {
    if (!read_number(*v, &r.deny_list_score) || r.deny_list_score < 0 || r.deny_list_score > 1)
      err.add(path + ".deny_list_score", "must be a number between 0 and 1");
  }
  if (r.patterns.empty() && r.deny_list.empty()) err.add(path, "needs `patterns` or `deny_list` (or both)");
  return r;
}

// Checks one entity name; empty string when fine, else the message.
std::string entity_problem(const std::string& e, const std::set<std::string>& custom) {
  const auto& builtin = builtin_entities();
  if (std::binary_search(builtin.begin(), builtin.end(), e) || custom.count(e)) return "";
  if (ner_entities().count(e))
    return e + " needs a named-entity recognition model (spaCy en_core_web_lg in the reference); no NER provider "
               "ships with railguard, so it cannot be detected. Remove it, or add a custom recognizer "
               "(recognizers: [...]) with supported_entity: " + e;
  std::vector<std::string> known = builtin;
  known.insert(known.end(), custom.begin(), custom.end());
  if (unimplemented_presidio_entities().count(e))
    return e + " is a Presidio entity railguard has no recognizer for; add a custom recognizer for it. Known "
               "entities: " + join(known);
  return "unknown entity " + e + "; known entities: " + join(known);
}

void read_source(const Dict& root, std::string_view name, SourceOptions* out, const std::set<std::string>& custom,
                 Errors& err) {
  std::string path = std::string(kRoot) + "." + std::string(name);
  const Value* v = root.find(name);
  if (!v || v->is_none()) return;
  if (!v->is_dict()) {
    err.add(path, "must be a mapping {entities, mask_token}");
    return;
  }
  const Dict& d = v->as_dict();
  for (const auto& [k, _] : d)
    if (k != "entities" && k != "mask_token" && k != "score_threshold")
      err.add(path + "." + k, "unknown key; a source takes entities, mask_token, score_threshold");
  if (const Value* e = d.find("entities")) {
    out->entities = read_strings(*e, path + ".entities", err);
    for (size_t i = 0; i < out->entities.size(); ++i) {
      std::string problem = entity_problem(out->entities[i], custom);
      if (!problem.empty()) err.add(path + ".entities[" + std::to_string(i) + "]", problem);
    }
  }
  if (const Value* m = d.find("mask_token"); m && !m->is_none()) {
    if (m->is_str()) out->mask_token = m->as_str();
    else err.add(path + ".mask_token", "must be a string");
  }
  if (const Value* s = d.find("score_threshold"); s && !s->is_none()) {
    if (!read_number(*s, &out->score_threshold) || out->score_threshold < 0 || out->score_threshold > 1)
      err.add(path + ".score_threshold", "must be a number between 0 and 1");
  }
}

}  // namespace

bool parse_source(std::string_view name, Source* out) {
  if (name == "input") *out = Source::kInput;
  else if (name == "output") *out = Source::kOutput;
  else if (name == "retrieval") *out = Source::kRetrieval;
  else return false;
  return true;
}

std::string_view source_name(Source s) {
  switch (s) {
    case Source::kInput: return "input";
    case Source::kOutput: return "output";
    case Source::kRetrieval: return "retrieval";
  }
  return "input";
}

const SourceOptions& SensitiveDataConfig::options(Source s) const {
  switch (s) {
    case Source::kInput: return input;
    case Source::kOutput: return output;
    case Source::kRetrieval: return retrieval;
  }
  return input;
}

const std::vector<std::string>& builtin_entities() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v;
    for (const auto& r : internal::make_builtin_recognizers()) v.push_back(r->entity());
    std::sort(v.begin(), v.end());
    return v;
  }();
  return k;
}

SensitiveDataConfig parse_sensitive_data_config(const Dict& sdd, std::string* error) {
  SensitiveDataConfig cfg;
  Errors err;
  for (const auto& [k, _] : sdd)
    if (k != "recognizers" && k != "input" && k != "output" && k != "retrieval")
      err.add(std::string(kRoot) + "." + k, "unknown key; expected recognizers, input, output, retrieval");
  std::set<std::string> custom;
  if (const Value* r = sdd.find("recognizers"); r && !r->is_none()) {
    if (!r->is_list()) {
      err.add(std::string(kRoot) + ".recognizers", "must be a list of recognizers");
    } else {
      for (size_t i = 0; i < r->as_list().size(); ++i) {
        cfg.recognizers.push_back(
            read_recognizer(r->as_list()[i], std::string(kRoot) + ".recognizers[" + std::to_string(i) + "]", err));
        if (!cfg.recognizers.back().entity.empty()) custom.insert(cfg.recognizers.back().entity);
      }
    }
  }
  read_source(sdd, "input", &cfg.input, custom, err);
  read_source(sdd, "output", &cfg.output, custom, err);
  read_source(sdd, "retrieval", &cfg.retrieval, custom, err);
  if (error) *error = err.text();
  return cfg;
}

// ---------------------------------------------------------------- detector

struct SensitiveDataDetector::Impl {
  SensitiveDataConfig config;
  std::vector<std::unique_ptr<const internal::Recognizer>> recognizers;
  std::vector<size_t> active[3];  // per Source: indices into recognizers

  bool indices_for(const std::vector<std::string>& entities, std::vector<size_t>* out, std::string* error) const {
    for (const auto& e : entities) {
      bool found = false;
      for (size_t i = 0; i < recognizers.size(); ++i) {
        if (recognizers[i]->entity() == e) {
          out->push_back(i);
          found = true;
        }
      }
      if (!found) {
        if (error) *error = "unknown entity " + e;
        return false;
      }
    }
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
    return true;
  }

  std::vector<Finding> run(std::string_view text, const std::vector<size_t>& which, double threshold) const {
    std::vector<Finding> found;
    if (which.empty() || text.empty()) return found;
    internal::TextFacts facts = internal::TextFacts::of(text);
    std::vector<internal::Candidate> cands;
    for (size_t i : which) {
      cands.clear();
      recognizers[i]->scan(facts, &cands);
      for (const auto& c : cands)
        if (c.score >= threshold && c.end > c.begin) found.push_back({recognizers[i]->entity(), c.begin, c.end, c.score});
    }
    return resolve(std::move(found));
  }

  static std::vector<Finding> resolve(std::vector<Finding> f) {
    if (f.size() <= 1) return f;
    std::sort(f.begin(), f.end(), [](const Finding& a, const Finding& b) {
      if (a.score != b.score) return a.score > b.score;
      if (a.end - a.begin != b.end - b.begin) return a.end - a.begin > b.end - b.begin;
      return a.begin < b.begin;
    });
    // A finding strictly inside a longer one goes (the domain of an e-mail,
    // the IP of a URL), whatever their scores.
    std::vector<bool> drop(f.size(), false);
    for (size_t i = 0; i < f.size(); ++i)
      for (size_t j = 0; j < f.size() && !drop[i]; ++j)
        if (i != j && f[j].begin <= f[i].begin && f[i].end <= f[j].end && f[j].end - f[j].begin > f[i].end - f[i].begin)
          drop[i] = true;
    std::vector<Finding> kept;
    for (size_t i = 0; i < f.size(); ++i) {
      if (drop[i]) continue;
      bool clash = std::any_of(kept.begin(), kept.end(),
                               [&](const Finding& k) { return f[i].begin < k.end && k.begin < f[i].end; });
      if (!clash) kept.push_back(f[i]);
    }
    std::sort(kept.begin(), kept.end(), [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
    return kept;
  }
};

SensitiveDataDetector::SensitiveDataDetector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SensitiveDataDetector::~SensitiveDataDetector() = default;

std::shared_ptr<const SensitiveDataDetector> SensitiveDataDetector::create(const SensitiveDataConfig& config,
                                                                           std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->recognizers = internal::make_builtin_recognizers();
  for (size_t i = 0; i < config.recognizers.size(); ++i) {
    std::string err;
    auto r = internal::make_custom_recognizer(config.recognizers[i],
                                              std::string(kRoot) + ".recognizers[" + std::to_string(i) + "]", &err);
    if (!r) {
      if (error) *error = err;
      return nullptr;
    }
    impl->recognizers.push_back(std::move(r));
  }
  for (Source s : {Source::kInput, Source::kOutput, Source::kRetrieval}) {
    std::string err;
    if (!impl->indices_for(config.options(s).entities, &impl->active[static_cast<int>(s)], &err)) {
      if (error) *error = std::string(kRoot) + "." + std::string(source_name(s)) + ".entities: " + err;
      return nullptr;
    }
  }
  if (error) error->clear();
  return std::shared_ptr<const SensitiveDataDetector>(new SensitiveDataDetector(std::move(impl)));
}

std::vector<Finding> SensitiveDataDetector::detect(Source source, std::string_view text) const {
  return impl_->run(text, impl_->active[static_cast<int>(source)], impl_->config.options(source).score_threshold);
}

bool SensitiveDataDetector::contains(Source source, std::string_view text) const {
  return !detect(source, text).empty();
}

std::string SensitiveDataDetector::mask(Source source, std::string_view text) const {
  std::vector<Finding> found = detect(source, text);
  if (found.empty()) return std::string(text);
  const std::string& token = impl_->config.options(source).mask_token;
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (const auto& f : found) {
    out.append(text.substr(pos, f.begin - pos));
    if (token == "*") out += "<" + f.entity + ">";
    else out += token;
    pos = f.end;
  }
  out.append(text.substr(pos));
  return out;
}

std::vector<Finding> SensitiveDataDetector::detect_entities(std::string_view text,
                                                            const std::vector<std::string>& entities,
                                                            double score_threshold) const {
  std::vector<size_t> which;
  if (!impl_->indices_for(entities, &which, nullptr)) return {};
  return impl_->run(text, which, score_threshold);
}

const SensitiveDataConfig& SensitiveDataDetector::config() const { return impl_->config; }

}  // namespace rg::rails::safety
