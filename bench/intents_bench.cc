// intents: how well an embedder finds the intent of a user message, the job
// the Colang 1.0 user-intent index does with it (spec 3.5: nearest examples).
//
//   build/bin/intents FILE [--model DIR]... [--sweep] [--misses]
//
// FILE holds JSON lines {"text": ..., "intent": ..., ...}, e.g.
// ../shared/data/intents_public.jsonl. For every embedder available (the
// built-in SIF embedder when the word-vector file loads, the hashed n-gram
// fallback, and each --model DIR transformer folder once that engine is wired
// in, see make_model_embedder) it runs leave-one-out: each utterance is
// matched against all OTHER utterances of the file by cosine similarity.
//   top-1: the nearest neighbour's intent is right;
//   top-3: the right intent is among the first 3 DISTINCT intents met when
//          walking the neighbours by decreasing similarity.
// An utterance whose intent has no other example in the file cannot be found
// and is skipped (counted). Ties rank the earlier line first.
// --sweep also evaluates the SIF embedder's knobs one at a time; --misses
// prints each top-1 miss (text, intent -> nearest text, its intent, cosine).
//
// The last line is `top1=<x> top3=<y> embedder=<name>` for the embedder
// make_builtin_embedder picks (what a config without `embeddings` gets).
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
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
#include "retrieval/word_vectors.h"

namespace {

using rg::retrieval::Embedder;
using Clock = std::chrono::steady_clock;

struct Example {
  std::string text;
  std::string intent;
};

struct Result {
  std::string label;
  std::size_t evaluated = 0;
  std::size_t skipped = 0;
  double top1 = 0;
  double top3 = 0;
  double ms = 0;  // embedding all texts
};

// Hook for the transformer engine (retrieval/transformer/, another issue
// item): return an Embedder for a model folder. Until it is wired in, --model
// reports that and is skipped.
std::shared_ptr<const Embedder> make_model_embedder(const std::string& dir, std::string* error) {
  *error = "transformer embedder not wired into this bench yet (bench/intents_bench.cc make_model_embedder); " +
           dir + " skipped";
  return nullptr;
}

bool g_show_misses = false;

class Hybrid final : public Embedder {
 public:
  Hybrid(const Embedder& a, const Embedder& b, float lambda) : a_(a), b_(b), la_(std::sqrt(lambda)), lb_(std::sqrt(1 - lambda)) {}
  std::string name() const override { return "hybrid"; }
  std::size_t dimension() const override { return a_.dimension() + b_.dimension(); }
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const override {
    auto x = a_.embed(texts);
    auto y = b_.embed(texts);
    for (std::size_t i = 0; i < x.size(); ++i) {
      for (auto& v : x[i]) v *= la_;
      for (auto v : y[i]) x[i].push_back(lb_ * v);
    }
    return x;
  }
 private:
  const Embedder& a_;
  const Embedder& b_;
  float la_, lb_;
};

Result evaluate(const std::string& label, const Embedder& e, const std::vector<Example>& data) {
  Result r;
  r.label = label;
  std::vector<std::string> texts;
  for (const auto& x : data) texts.push_back(x.text);
  const auto t0 = Clock::now();
  const auto vecs = e.embed(texts);
  r.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();

  std::map<std::string, int> per_intent;
  for (const auto& x : data) ++per_intent[x.intent];
  const std::size_t n = data.size();
  std::size_t hit1 = 0, hit3 = 0;
  std::vector<std::pair<float, std::size_t>> sims;
  for (std::size_t i = 0; i < n; ++i) {
    if (per_intent[data[i].intent] < 2) {
      ++r.skipped;
      continue;
    }
    ++r.evaluated;
    sims.clear();
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      float dot = 0;
      for (std::size_t k = 0; k < vecs[i].size(); ++k) dot += vecs[i][k] * vecs[j][k];
      sims.emplace_back(dot, j);
    }
    std::stable_sort(sims.begin(), sims.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (data[sims[0].second].intent == data[i].intent) {
      ++hit1;
    } else if (g_show_misses) {
      std::printf("  miss [%s] \"%s\" (%s) -> \"%s\" (%s) %.3f\n", label.c_str(), data[i].text.c_str(),
                  data[i].intent.c_str(), data[sims[0].second].text.c_str(), data[sims[0].second].intent.c_str(),
                  static_cast<double>(sims[0].first));
    }
    std::vector<const std::string*> seen;
    for (const auto& [s, j] : sims) {
      const std::string& intent = data[j].intent;
      if (std::none_of(seen.begin(), seen.end(), [&](const std::string* p) { return *p == intent; })) {
        seen.push_back(&intent);
        if (seen.size() == 3) break;
      }
    }
    if (std::any_of(seen.begin(), seen.end(), [&](const std::string* p) { return *p == data[i].intent; })) ++hit3;
  }
  if (r.evaluated > 0) {
    r.top1 = static_cast<double>(hit1) / static_cast<double>(r.evaluated);
    r.top3 = static_cast<double>(hit3) / static_cast<double>(r.evaluated);
  }
  return r;
}

void print_table(const std::vector<Result>& rows) {
  std::printf("%-44s %6s %8s %8s %8s %9s\n", "embedder", "n", "skipped", "top1", "top3", "ms");
  for (const auto& r : rows) {
    std::printf("%-44s %6zu %8zu %8.4f %8.4f %9.2f\n", r.label.c_str(), r.evaluated, r.skipped, r.top1, r.top3,
                r.ms);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  std::vector<std::string> models;
  bool sweep = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--model" && i + 1 < argc) {
      models.emplace_back(argv[++i]);
    } else if (arg == "--sweep") {
      sweep = true;
    } else if (arg == "--misses") {
      g_show_misses = true;
    } else if (!arg.empty() && arg[0] != '-' && file.empty()) {
      file = arg;
    } else {
      std::fprintf(stderr, "usage: intents FILE [--model DIR]... [--sweep] [--misses]\n");
      return 2;
    }
  }
  if (file.empty()) {
    std::fprintf(stderr, "usage: intents FILE [--model DIR]... [--sweep] [--misses]\n");
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
  rows.push_back(evaluate(builtin->name() + " (built-in default)", *builtin, data));
  if (sif != nullptr) {
    rg::retrieval::HashedNgramEmbedder ngrams;
    rows.push_back(evaluate(ngrams.name() + " (fallback)", ngrams, data));
  }
  for (const auto& dir : models) {
    std::string error;
    if (auto m = make_model_embedder(dir, &error)) {
      rows.push_back(evaluate(m->name() + " (" + dir + ")", *m, data));
    } else {
      std::printf("--model %s: %s\n", dir.c_str(), error.c_str());
    }
  }

  if (sweep && sif != nullptr) {
    using Options = rg::retrieval::SifEmbedder::Options;
    std::vector<Result> knobs;
    auto add = [&](const std::string& label, Options o) {
      rg::retrieval::SifEmbedder e(sif->vectors(), o);
      knobs.push_back(evaluate(label, e, data));
    };
    const Options base;
    add("sif: defaults", base);
    for (float a : {1e-1f, 1e-2f, 3e-3f, 3e-4f, 1e-4f, 1e-5f}) {
      Options o = base;
      o.a = a;
      char buf[64];
      std::snprintf(buf, sizeof buf, "sif: a=%g", static_cast<double>(a));
      add(buf, o);
    }
    {
      Options o = base;
      o.a = 1e9f;  // every weight ~1: plain mean of the word vectors
      add("sif: no frequency weighting (a=inf)", o);
    }
    {
      Options o = base;
      o.remove_common_component = false;
      add("sif: no common-component removal", o);
    }
    for (std::size_t m : {5000u, 20000u, 200000u}) {
      Options o = base;
      o.pc_words = m;
      add("sif: common component from top " + std::to_string(m), o);
    }
    for (std::size_t k : {2u, 3u, 5u}) {
      Options o = base;
      o.components = k;
      add("sif: remove top " + std::to_string(k) + " components", o);
    }
    for (bool uniform : {false, true}) {
      for (std::size_t k : {0u, 1u, 2u, 3u}) {
        Options o = base;
        o.center = true;
        o.uniform_pc_weights = uniform;
        o.components = k;
        o.remove_common_component = k > 0;
        add(std::string("sif: centred, ") + (uniform ? "uniform" : "sif") + " weights, " + std::to_string(k) +
                " components",
            o);
      }
    }
    {
      Options o = base;
      o.uniform_pc_weights = true;
      add("sif: uniform weights for the component", o);
    }
    {
      Options o = base;
      o.spell_correct = false;
      add("sif: no spelling correction", o);
    }
    {
      Options o = base;
      o.hashed_oov = false;
      add("sif: unknown words dropped (no hashed vector)", o);
    }
    {
      Options o = base;
      o.spell_correct = false;
      o.hashed_oov = false;
      add("sif: no OOV handling at all", o);
    }
    {
      Options o = base;
      o.unit_words = true;
      add("sif: unit-length word vectors", o);
    }
    for (float a : {1e-3f, 3e-4f, 1e-4f}) {
      for (std::size_t k : {1u, 3u, 5u}) {
        for (bool unit : {false, true}) {
          Options o = base;
          o.a = a;
          o.components = k;
          o.unit_words = unit;
          char buf[96];
          std::snprintf(buf, sizeof buf, "sif: a=%g, %zu components%s", static_cast<double>(a), k,
                        unit ? ", unit words" : "");
          add(buf, o);
        }
      }
    }
    // Semantic + lexical: [sqrt(l) sif, sqrt(1 - l) ngrams], cosine = l cos_sif + (1 - l) cos_ngrams.
    {
      rg::retrieval::HashedNgramEmbedder ng;
      for (float lambda : {0.3f, 0.5f, 0.7f, 0.85f}) {
        for (float a : {1e-3f, 1e-4f}) {
          Options o = base;
          o.a = a;
          rg::retrieval::SifEmbedder se(sif->vectors(), o);
          Hybrid h(se, ng, lambda);
          char buf[96];
          std::snprintf(buf, sizeof buf, "hybrid: %.2f sif(a=%g) + %.2f ngrams", static_cast<double>(lambda),
                        static_cast<double>(a), static_cast<double>(1 - lambda));
          knobs.push_back(evaluate(buf, h, data));
        }
      }
    }
    std::printf("SIF knobs (one at a time from the defaults):\n");
    print_table(knobs);
    std::printf("\n");
  }

  print_table(rows);
  std::printf("top1=%.4f top3=%.4f embedder=%s\n", rows[0].top1, rows[0].top3, builtin->name().c_str());
  return 0;
}
