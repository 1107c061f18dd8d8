// intents: how well an embedder finds the intent of a user message, the job
// the Colang 1.0 user-intent index does with it (spec 3.5: nearest examples).
//
//   build/bin/intents FILE [--model DIR]... [--ablation] [--misses] [--set KEY=VALUE]...
//
// FILE holds JSON lines {"text": ..., "intent": ..., ...}, e.g.
// ../shared/data/intents_public.jsonl or bench/data/intents_sanity.jsonl. For
// every embedder available (the built-in SIF embedder when the word-vector
// file loads, the hashed n-gram fallback, and each --model DIR transformer
// folder: a BERT-family sentence encoder, retrieval/transformer/) it runs
// leave-one-out under two rules:
//
//  strict   every line is an utterance. Each line is matched against all OTHER
//           lines by cosine similarity; top-1: the nearest line's intent is
//           the line's intent; top-3: it is among the first 3 DISTINCT
//           intents met walking the neighbours by decreasing similarity. A
//           text listed under two intents (intents_public lists 5 texts both
//           as "ask about capabilities" and "ask capabilities") then finds its
//           own twin with the other label: a miss by construction.
//  by-text  an utterance is its text (ASCII case and whitespace normalised):
//           lines with the same text are ONE utterance carrying several
//           intents. Each line is still a query, but it never matches its own
//           text; a hit counts when the line's intent is among the intents of
//           the nearest other utterance (top-3: among the first 3 distinct
//           intents collected walking the neighbours, an utterance with
//           several intents contributing them in file order).
//
// by-text is the headline number (the last line): the Colang index stores
// each example text once per intent, and at run time a message that equals
// an example text matches both intents equally, so either is a correct
// answer; strict instead measures duplicated labels, not the embedder.
// Under both rules a line whose intent has no other example (strict: no
// other line; by-text: no other text) is skipped as a query and counted, but
// stays a candidate. Ties rank the earlier line first.
//
// --ablation also evaluates the built-in SIF embedder with each of its
// components turned off (or changed) one at a time; --set KEY=VALUE (see
// apply_option) adds a row with SIF options changed from the defaults;
// --misses prints each by-text top-1 miss of the SIF and n-gram rows (text,
// intent -> nearest text, its intents, cosine).
//
// The last line is `top1=<x> top3=<y> embedder=<name> rule=by-text
// strict_top1=<x> strict_top3=<y>` for the embedder make_builtin_embedder
// picks (what a config without `embeddings` gets).
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "retrieval/default_embedder.h"
#include "retrieval/ngram_embedder.h"
#include "retrieval/sif_embedder.h"
#include "retrieval/transformer/transformer_embedder.h"
#include "retrieval/word_vectors.h"

namespace {

using rg::retrieval::Embedder;
using Clock = std::chrono::steady_clock;

struct Example {
  std::string text;
  std::string intent;
};

struct Score {
  std::size_t evaluated = 0;
  std::size_t skipped = 0;
  std::size_t hit1 = 0;
  std::size_t hit3 = 0;
  double top1() const { return evaluated ? static_cast<double>(hit1) / static_cast<double>(evaluated) : 0.0; }
  double top3() const { return evaluated ? static_cast<double>(hit3) / static_cast<double>(evaluated) : 0.0; }
};

struct Result {
  std::string label;
  Score strict;
  Score by_text;
  double ms = 0;  // embedding all texts
};

// The by-text key: ASCII lower-cased, runs of whitespace as one space, trimmed.
std::string normalize_text(const std::string& text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c));
  }
  return out;
}

// Hook for the transformer engine (retrieval/transformer/, another issue
// item): return an Embedder for a model folder. Until it is wired in, --model
// reports that and is skipped.
// A BERT-family sentence encoder folder (config.json, model.safetensors,
// tokenizer.json), on the GPU when there is one.
std::shared_ptr<const Embedder> make_model_embedder(const std::string& dir, std::string* error) {
  rg::retrieval::TransformerEmbedder::Options options;
  options.print_notices = false;
  return rg::retrieval::TransformerEmbedder::load(dir, options, error);
}

float dot(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

// One leave-one-out pass. group[i]: the utterance of line i (strict: i itself;
// by-text: the first line with the same normalised text); a query never
// matches its own group, and a group's intents are those of its lines.
Score leave_one_out(const std::string& label, const std::vector<Example>& data,
                    const std::vector<std::vector<float>>& vecs, const std::vector<std::size_t>& group,
                    bool show_misses) {
  const std::size_t n = data.size();
  std::vector<std::vector<const std::string*>> intents(n);  // by group head, file order, distinct
  for (std::size_t i = 0; i < n; ++i) {
    auto& list = intents[group[i]];
    if (std::none_of(list.begin(), list.end(), [&](const std::string* p) { return *p == data[i].intent; }))
      list.push_back(&data[i].intent);
  }
  std::vector<std::size_t> heads;
  for (std::size_t i = 0; i < n; ++i)
    if (group[i] == i) heads.push_back(i);
  auto carries = [&](std::size_t head, const std::string& intent) {
    const auto& list = intents[head];
    return std::any_of(list.begin(), list.end(), [&](const std::string* p) { return *p == intent; });
  };

  Score sc;
  std::vector<std::pair<float, std::size_t>> sims;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& intent = data[i].intent;
    if (std::none_of(heads.begin(), heads.end(), [&](std::size_t h) { return h != group[i] && carries(h, intent); })) {
      ++sc.skipped;
      continue;
    }
    ++sc.evaluated;
    sims.clear();
    for (std::size_t h : heads)
      if (h != group[i]) sims.emplace_back(dot(vecs[i], vecs[h]), h);
    std::stable_sort(sims.begin(), sims.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    const std::size_t nearest = sims[0].second;
    if (carries(nearest, intent)) {
      ++sc.hit1;
    } else if (show_misses) {
      std::string theirs;
      for (const std::string* p : intents[nearest]) theirs += (theirs.empty() ? "" : ", ") + *p;
      std::printf("  miss [%s] \"%s\" (%s) -> \"%s\" (%s) %.3f\n", label.c_str(), data[i].text.c_str(),
                  intent.c_str(), data[nearest].text.c_str(), theirs.c_str(), static_cast<double>(sims[0].first));
    }
    std::vector<const std::string*> seen;
    for (const auto& [s, h] : sims) {
      for (const std::string* p : intents[h]) {
        if (seen.size() < 3 && std::none_of(seen.begin(), seen.end(), [&](const std::string* q) { return *q == *p; }))
          seen.push_back(p);
      }
      if (seen.size() == 3) break;
    }
    if (std::any_of(seen.begin(), seen.end(), [&](const std::string* p) { return *p == intent; })) ++sc.hit3;
  }
  return sc;
}

Result evaluate(const std::string& label, const Embedder& e, const std::vector<Example>& data,
                bool show_misses = false) {
  Result r;
  r.label = label;
  std::vector<std::string> texts;
  for (const auto& x : data) texts.push_back(x.text);
  const auto t0 = Clock::now();
  const auto vecs = e.embed(texts);
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  const std::size_t n = data.size();
  std::vector<std::size_t> own(n), by_text(n);
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < n; ++i) {
    own[i] = i;
    by_text[i] = first.emplace(normalize_text(data[i].text), i).first->second;
  }
  r.strict = leave_one_out(label, data, vecs, own, false);
  r.by_text = leave_one_out(label, data, vecs, by_text, show_misses);
  return r;
}

void print_table(const std::vector<Result>& rows) {
  std::printf("%-48s %4s %4s | %-23s | %-23s | %7s\n", "", "", "", "strict (every line)", "by-text (headline)", "");
  std::printf("%-48s %4s %4s | %5s %7s %7s  | %5s %7s %7s  | %7s\n", "embedder", "n", "skip", "miss", "top1", "top3",
              "miss", "top1", "top3", "ms");
  for (const auto& r : rows) {
    std::printf("%-48s %4zu %4zu | %5zu %7.4f %7.4f  | %5zu %7.4f %7.4f  | %7.2f\n", r.label.c_str(),
                r.by_text.evaluated, r.by_text.skipped, r.strict.evaluated - r.strict.hit1, r.strict.top1(),
                r.strict.top3(), r.by_text.evaluated - r.by_text.hit1, r.by_text.top1(), r.by_text.top3(), r.ms);
  }
}

// --set KEY=VALUE: one SifEmbedder option (false on an unknown key).
bool apply_option(rg::retrieval::SifEmbedder::Options& o, const std::string& kv) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos) return false;
  const std::string k = kv.substr(0, eq);
  const double v = std::atof(kv.c_str() + eq + 1);
  if (k == "a") o.a = static_cast<float>(v);
  else if (k == "remove_common_component") o.remove_common_component = v != 0;
  else if (k == "spell_correct") o.spell_correct = v != 0;
  else if (k == "hashed_oov") o.hashed_oov = v != 0;
  else if (k == "function_words") o.function_words = v != 0;
  else if (k == "function_word_rank") o.function_word_rank = static_cast<std::uint32_t>(v);
  else if (k == "negation_scope") o.negation_scope = static_cast<int>(v);
  else if (k == "negation_cue_weight") o.negation_cue_weight = static_cast<float>(v);
  else if (k == "negated_scale") o.negated_scale = static_cast<float>(v);
  else if (k == "lexical_weight") o.lexical_weight = static_cast<float>(v);
  else if (k == "lexical_dims") o.lexical_dims = static_cast<std::size_t>(v);
  else return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  std::vector<std::string> models;
  bool ablation = false;
  bool show_misses = false;
  std::vector<std::string> sets;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--model" && i + 1 < argc) {
      models.emplace_back(argv[++i]);
    } else if (arg == "--ablation") {
      ablation = true;
    } else if (arg == "--misses") {
      show_misses = true;
    } else if (arg == "--set" && i + 1 < argc) {
      sets.emplace_back(argv[++i]);
    } else if (!arg.empty() && arg[0] != '-' && file.empty()) {
      file = arg;
    } else {
      std::fprintf(stderr, "usage: intents FILE [--model DIR]... [--ablation] [--misses] [--set KEY=VALUE]...\n");
      return 2;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "usage: intents FILE [--model DIR]... [--ablation] [--misses] [--set KEY=VALUE]...\n");
    return 2;
  }

  std::vector<Example> data;
  {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "intents: cannot open %s\n", file.c_str());
      return 1;
    }
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        const auto j = nlohmann::json::parse(line);
        data.push_back({j.at("text").get<std::string>(), j.at("intent").get<std::string>()});
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "intents: %s:%zu: %s\n", file.c_str(), lineno, ex.what());
        return 1;
      }
    }
  }
  {
    // Texts listed under two different intents: a top-1 miss by construction.
    std::map<std::string, std::vector<std::string>> intents_of;
    for (const auto& x : data) intents_of[x.text].push_back(x.intent);
    std::size_t conflicting = 0;
    for (const auto& x : data) {
      for (const auto& other : intents_of[x.text]) {
        if (other != x.intent) {
          ++conflicting;
          break;
        }
      }
    }
    std::printf("%zu examples, %zu of them also listed (same text) under another intent\n", data.size(),
                conflicting);
  }
  if (data.size() < 2) {
    std::fprintf(stderr, "intents: %s: fewer than 2 examples\n", file.c_str());
    return 1;
  }

  const auto t0 = Clock::now();
  std::string notice;
  const auto builtin = rg::retrieval::make_builtin_embedder(&notice);
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::printf("%s\n(built-in embedder ready in %.1f ms)\n\n", notice.c_str(), load_ms);

  std::vector<Result> rows;
  const auto* sif = dynamic_cast<const rg::retrieval::SifEmbedder*>(builtin.get());
  rows.push_back(evaluate(builtin->name() + " (built-in default)", *builtin, data, show_misses));
  if (sif != nullptr) {
    rg::retrieval::HashedNgramEmbedder ngrams;
    rows.push_back(evaluate(ngrams.name() + " (fallback)", ngrams, data, show_misses));
  }
  for (const auto& dir : models) {
    std::string error;
    if (auto m = make_model_embedder(dir, &error)) {
      rows.push_back(evaluate(m->name() + " (" + dir + ")", *m, data, show_misses));
    } else {
      std::printf("--model %s: %s\n", dir.c_str(), error.c_str());
    }
  }
  if (!sets.empty() && sif != nullptr) {
    auto o = sif->options();
    std::string label = "sif:";
    for (const auto& kv : sets) {
      if (!apply_option(o, kv)) {
        std::fprintf(stderr, "intents: unknown --set %s\n", kv.c_str());
        return 2;
      }
      label += " " + kv;
    }
    rows.push_back(evaluate(label, rg::retrieval::SifEmbedder(sif->vectors(), o), data, show_misses));
  }

  if (ablation && sif != nullptr) {
    using Options = rg::retrieval::SifEmbedder::Options;
    std::vector<Result> knobs;
    auto add = [&](const std::string& label, auto change) {
      Options o = sif->options();
      change(o);
      knobs.push_back(evaluate(label, rg::retrieval::SifEmbedder(sif->vectors(), o), data));
    };
    add("defaults", [](Options&) {});
    add("plain SIF (all of the below off)", [](Options& o) {
      o.function_words = false;
      o.negation_scope = 0;
      o.lexical_weight = 0;
    });
    add("- conversational function words", [](Options& o) { o.function_words = false; });
    add("- negation scope", [](Options& o) { o.negation_scope = 0; });
    add("- lexical lemma channel", [](Options& o) { o.lexical_weight = 0; });
    add("- common-component removal", [](Options& o) { o.remove_common_component = false; });
    add("- OOV spelling correction", [](Options& o) { o.spell_correct = false; });
    add("- OOV hashed vectors", [](Options& o) { o.hashed_oov = false; });
    std::printf("SIF ablation (one component off at a time):\n");
    print_table(knobs);
    std::printf("\n");
  }

  print_table(rows);
  std::printf("top1=%.4f top3=%.4f embedder=%s rule=by-text strict_top1=%.4f strict_top3=%.4f\n", rows[0].by_text.top1(),
              rows[0].by_text.top3(), builtin->name().c_str(), rows[0].strict.top1(), rows[0].strict.top3());
  return 0;
}
