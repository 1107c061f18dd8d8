// tests/gpu/decoder/hf_check.cc: our decoder engine against Hugging Face
// transformers on one model written by tests/gpu/decoder/hf_check.py make.
//
//   hf_check MODEL_DIR [--types bf16,q8_0] [--cpu] [--no-gpu] [--tol 1e-2]
//            [--cpu-tol 1e-4] [--margin 1e-2] [--threads N] [--keep-gguf]
//            [--gpu-dtypes bf16,f16] [--strict-gpu-dtypes f16]
//   hf_check --write-ref MODEL_DIR [--device cpu|gpu] [--prompt-len 24] [--steps 16]
//
// MODEL_DIR holds hf/ (the HF folder: config.json, bf16 safetensors,
// tokenizer.json, tokenizer_config.json) and ref/ (meta.json with the prompt
// ids, HF's fp32 greedy continuation and its top-2 margins; raw little-endian
// float32 logits: prefill_fp32.f32 and prefill_bf16.f32, prompt x vocab, the
// logits of every prompt position from HF in fp32 and in bf16;
// steps_fp32.f32, steps x vocab, HF's fp32 logits at each greedy step).
//
// Runs, each a fresh model and session: the HF folder on the GPU, then for
// each --types entry a GGUF written by our converter (llm/local/gguf_convert.h)
// into MODEL_DIR and loaded back, on the GPU; with --cpu the same runs on
// the fp32 CPU reference too. GPU runs happen once per --gpu-dtypes entry
// (the engine's DecoderPrecision: rows "gpu-bf16", "gpu-f16"); only the
// precisions in --strict-gpu-dtypes count toward the exit status (default
// f16: at hidden 2048, bf16 rounding alone puts a 16-layer model's logits
// ~2e-2 off fp32, HF's own bf16 forward included; docs/gpu-notes.md). For
// each run:
//   prefill: ||ours - HF|| / ||HF|| per prompt position (max, mean) against
//            HF fp32 and HF bf16;
//   teacher-forced decode: prefill the prompt, then decode HF's greedy tokens
//            one by one; at each step where HF's fp32 top-2 margin exceeds
//            --margin, our greedy token must be HF's (mismatches counted);
//            the step logits' relative error is reported too;
//   free-running greedy: the length of the prefix it shares with HF's.
// Pass (the criteria): prefill max relative error vs HF fp32 under
// --tol (--cpu-tol for the CPU) and no mismatch on decided steps. q8_0 runs
// are reported, never failed (quantisation error has no agreed bound).
// Prints a table and one "ROW {json}" line per run (hf_check.py compare
// gathers those); exits 1 when a strict run fails or cannot run.
//
// --write-ref writes MODEL_DIR/ref from OUR engine (from MODEL_DIR/hf) in the
// same format: the plumbing self-test (hf_check.py selftest) uses it where
// there is no torch; it proves nothing about agreement with HF.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/decoder.h"
#include "llm/local/gguf_convert.h"
#include "llm/local/model_loader.h"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using rg::kernels::DecoderModel;
using rg::kernels::DecoderSession;
using rg::kernels::SamplingParams;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---------------------------------------------------------------- reference

struct Reference {
  std::string name;
  int vocab = 0;
  std::vector<std::int32_t> prompt, greedy;
  std::vector<double> margins;      // HF fp32 top1 - top2 at each greedy step
  std::vector<float> prefill_fp32;  // prompt x vocab
  std::vector<float> prefill_bf16;  // prompt x vocab, or empty
  std::vector<float> steps_fp32;    // greedy x vocab
  json hf_bf16;                     // HF bf16 vs HF fp32, as make measured it
};

std::vector<float> read_f32(const fs::path& p, std::size_t count) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  if (ec) throw std::runtime_error(p.string() + ": cannot read (" + ec.message() + ")");
  if (size != count * sizeof(float))
    throw std::runtime_error(p.string() + ": " + std::to_string(size) + " bytes, expected " +
                             std::to_string(count * sizeof(float)) + " (" + std::to_string(count) + " float32)");
  std::vector<float> v(count);
  std::ifstream in(p, std::ios::binary);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(size));
  if (!in) throw std::runtime_error(p.string() + ": short read");
  return v;
}

void write_f32(const fs::path& p, const std::vector<float>& v) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  if (!out) throw std::runtime_error(p.string() + ": write failed");
}

Reference load_reference(const fs::path& dir) {
  const fs::path meta_path = dir / "meta.json";
  std::ifstream in(meta_path);
  if (!in) throw std::runtime_error(meta_path.string() + ": cannot open (run hf_check.py make first)");
  json m;
  try {
    m = json::parse(in);
  } catch (const json::exception& e) {
    throw std::runtime_error(meta_path.string() + ": not valid JSON: " + e.what());
  }
  Reference r;
  try {
    r.name = m.value("name", dir.parent_path().filename().string());
    r.vocab = m.at("vocab_size").get<int>();
    r.prompt = m.at("prompt").get<std::vector<std::int32_t>>();
    r.greedy = m.at("greedy").get<std::vector<std::int32_t>>();
    r.margins = m.at("margins").get<std::vector<double>>();
    if (m.contains("hf_bf16_vs_fp32")) r.hf_bf16 = m["hf_bf16_vs_fp32"];
  } catch (const json::exception& e) {
    throw std::runtime_error(meta_path.string() + ": " + e.what());
  }
  if (r.vocab <= 0 || r.prompt.empty() || r.greedy.empty() || r.margins.size() != r.greedy.size())
    throw std::runtime_error(meta_path.string() +
                             ": needs vocab_size > 0, a prompt, greedy ids and one margin per greedy id");
  const std::size_t v = static_cast<std::size_t>(r.vocab);
  const json files = m.value("files", json::object());
  r.prefill_fp32 = read_f32(dir / files.value("prefill_fp32", "prefill_fp32.f32"), r.prompt.size() * v);
  r.steps_fp32 = read_f32(dir / files.value("steps_fp32", "steps_fp32.f32"), r.greedy.size() * v);
  const std::string bf16 = files.value("prefill_bf16", "");
  if (!bf16.empty()) r.prefill_bf16 = read_f32(dir / bf16, r.prompt.size() * v);
  return r;
}

// ---------------------------------------------------------------- measures

double rel_error(const float* ours, const float* ref, std::size_t n) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(ours[i]) - ref[i];
    diff += d * d;
    norm += static_cast<double>(ref[i]) * ref[i];
  }
  if (!std::isfinite(diff)) return kNaN;  // a NaN/inf of ours must never pass
  return norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

// Ties go to the lowest id, as the engine's greedy sampler does.
std::int32_t argmax(const float* x, std::size_t n) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (x[i] > x[best]) best = i;
  return static_cast<std::int32_t>(best);
}

double top2_margin(const float* x, std::size_t n) {
  double a = -INFINITY, b = -INFINITY;
  for (std::size_t i = 0; i < n; ++i) {
    if (x[i] > a) {
      b = a;
      a = x[i];
    } else if (x[i] > b) {
      b = x[i];
    }
  }
  return a - b;
}

struct Stats {
  double max = 0, sum = 0;
  int n = 0;
  void add(double v) {
    if (std::isnan(v) || std::isnan(max)) max = kNaN;
    else max = std::max(max, v);
    sum += v;
    ++n;
  }
  double mean() const { return n ? sum / n : kNaN; }
};

// ---------------------------------------------------------------- one run

struct Result {
  std::string model, source, device, engine;
  bool strict = true;  // counts toward the exit status
  std::string error;   // the run could not happen
  Stats pre32, pre16, steps;
  int decided = 0, mismatches = 0, steps_total = 0;
  int prefill_decided = 0, prefill_mismatches = 0;  // info: argmax at prompt positions
  int sampler_disagreements = 0;                    // returned token != argmax of returned logits
  int free_prefix = 0;
  double tol = 0, load_s = 0, run_s = 0;
  bool pass() const {
    return error.empty() && !std::isnan(pre32.max) && pre32.max < tol && mismatches == 0;
  }
  const char* verdict() const {
    if (!error.empty()) return strict ? "FAIL" : "error";
    if (!strict) return "info";
    return pass() ? "PASS" : "FAIL";
  }
};

void evaluate(DecoderModel& model, const Reference& ref, double margin_min, Result* r) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t V = static_cast<std::size_t>(ref.vocab);
  if (model.config().vocab_size != ref.vocab)
    throw std::runtime_error("model vocab " + std::to_string(model.config().vocab_size) + " != reference vocab " +
                             std::to_string(ref.vocab));
  const int P = static_cast<int>(ref.prompt.size()), S = static_cast<int>(ref.greedy.size());
  auto session = model.new_session(P + S + 8);
  const SamplingParams greedy;  // temperature 0: argmax
  std::vector<float> logits;

  // Prefill with the logits of every position.
  std::int32_t tok = session->prefill(ref.prompt, greedy, &logits, true);
  if (logits.size() != static_cast<std::size_t>(P) * V)
    throw std::runtime_error("prefill returned " + std::to_string(logits.size()) + " logits, expected " +
                             std::to_string(static_cast<std::size_t>(P) * V));
  for (int p = 0; p < P; ++p) {
    const float* ours = logits.data() + static_cast<std::size_t>(p) * V;
    const float* hf = ref.prefill_fp32.data() + static_cast<std::size_t>(p) * V;
    r->pre32.add(rel_error(ours, hf, V));
    if (!ref.prefill_bf16.empty())
      r->pre16.add(rel_error(ours, ref.prefill_bf16.data() + static_cast<std::size_t>(p) * V, V));
    // The last position is greedy step 0, counted below.
    if (p + 1 < P && top2_margin(hf, V) > margin_min) {
      ++r->prefill_decided;
      if (argmax(ours, V) != argmax(hf, V)) ++r->prefill_mismatches;
    }
  }

  // Teacher-forced decode along HF's greedy sequence.
  const auto check_step = [&](int i, const float* ours) {
    r->steps.add(rel_error(ours, ref.steps_fp32.data() + static_cast<std::size_t>(i) * V, V));
    if (tok != argmax(ours, V)) ++r->sampler_disagreements;
    ++r->steps_total;
    if (ref.margins[static_cast<std::size_t>(i)] > margin_min) {
      ++r->decided;
      if (tok != ref.greedy[static_cast<std::size_t>(i)]) {
        ++r->mismatches;
        if (r->mismatches <= 5)
          std::printf("    step %d: ours %d, HF %d (HF margin %.4g)\n", i, tok, ref.greedy[static_cast<std::size_t>(i)],
                      ref.margins[static_cast<std::size_t>(i)]);
      }
    }
  };
  check_step(0, logits.data() + static_cast<std::size_t>(P - 1) * V);
  for (int i = 1; i < S; ++i) {
    tok = session->decode(ref.greedy[static_cast<std::size_t>(i - 1)], greedy, &logits);
    if (logits.size() != V) throw std::runtime_error("decode returned " + std::to_string(logits.size()) + " logits");
    check_step(i, logits.data());
  }

  // Free-running greedy from the prompt.
  session->reset();
  std::vector<std::int32_t> seq{session->prefill(ref.prompt, greedy)};
  while (static_cast<int>(seq.size()) < S) seq.push_back(session->decode(seq.back(), greedy));
  for (std::size_t i = 0; i < seq.size() && seq[i] == ref.greedy[i]; ++i) ++r->free_prefix;
  r->run_s = seconds_since(t0);
}

// device: "cpu", "gpu-bf16" or "gpu-f16" (DecoderPrecision).
std::unique_ptr<DecoderModel> make_engine(const rg::llm::local::LoadedModel& m, const std::string& device,
                                          int threads) {
  if (device == "cpu") return rg::kernels::make_cpu_decoder(m.weights, threads);
  std::string error;
  rg::kernels::GpuDecoderOptions options;
  options.precision = device == "gpu-f16" ? rg::kernels::DecoderPrecision::kF16 : rg::kernels::DecoderPrecision::kBF16;
  auto model = rg::kernels::make_gpu_decoder(m.weights, &error, options);
  if (!model) throw std::runtime_error("make_gpu_decoder: " + error);
  return model;
}

std::string fmt(double v, const char* f = "%.3e") {
  if (std::isnan(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void print_result(const Result& r) {
  if (!r.error.empty()) {
    std::printf("  %-10s %-8s  ERROR: %s\n", r.source.c_str(), r.device.c_str(), r.error.c_str());
    return;
  }
  std::printf("  %-10s %-8s  prefill rel err vs HF fp32 max %s mean %s | vs HF bf16 max %s mean %s\n", r.source.c_str(),
              r.device.c_str(), fmt(r.pre32.max).c_str(), fmt(r.pre32.mean()).c_str(),
              fmt(r.pre16.n ? r.pre16.max : kNaN).c_str(),
              fmt(r.pre16.mean()).c_str());
  // A greedy sampler that disagrees with the argmax of the logits it returns
  // is a bug of its own, even where the step is not decided.
  const std::string sampler =
      r.sampler_disagreements
          ? " (sampler != argmax of its own logits " + std::to_string(r.sampler_disagreements) + "x)"
          : "";
  std::printf("  %-10s %-8s  decode: %d steps, step logits rel err max %s mean %s; %d decided, %d mismatches; "
              "free-running prefix %d/%d; prompt argmax %d/%d decided agree%s; load %.1fs run %.1fs -> %s\n",
              "", "", r.steps_total, fmt(r.steps.max).c_str(), fmt(r.steps.mean()).c_str(), r.decided, r.mismatches,
              r.free_prefix, r.steps_total, r.prefill_decided - r.prefill_mismatches, r.prefill_decided,
              sampler.c_str(), r.load_s, r.run_s, r.verdict());
}

json row_json(const Result& r) {
  const auto num = [](double v) { return std::isnan(v) ? json(nullptr) : json(v); };
  return json{{"model", r.model},
              {"source", r.source},
              {"device", r.device},
              {"engine", r.engine},
              {"strict", r.strict},
              {"error", r.error},
              {"prefill_max_fp32", num(r.pre32.max)},
              {"prefill_mean_fp32", num(r.pre32.mean())},
              {"prefill_max_bf16", num(r.pre16.n ? r.pre16.max : kNaN)},
              {"prefill_mean_bf16", num(r.pre16.mean())},
              {"step_max_fp32", num(r.steps.max)},
              {"steps", r.steps_total},
              {"decided", r.decided},
              {"mismatches", r.mismatches},
              {"prefill_decided", r.prefill_decided},
              {"prefill_mismatches", r.prefill_mismatches},
              {"sampler_disagreements", r.sampler_disagreements},
              {"free_prefix", r.free_prefix},
              {"tol", r.tol},
              {"verdict", r.verdict()}};
}

// ---------------------------------------------------------------- --write-ref

int write_reference(const fs::path& dir, const std::string& device, int prompt_len, int steps, int threads) {
  auto m = rg::llm::local::load_model((dir / "hf").string());
  auto model = make_engine(*m, device, threads);
  const int V = model->config().vocab_size;
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> id(0, V - 1);
  std::vector<std::int32_t> prompt(static_cast<std::size_t>(prompt_len));
  for (auto& t : prompt) t = id(rng);
  auto session = model->new_session(prompt_len + steps + 8);
  const SamplingParams greedy;
  std::vector<float> prefill, logits, step_logits;
  std::int32_t tok = session->prefill(prompt, greedy, &prefill, true);
  std::vector<std::int32_t> seq;
  std::vector<double> margins;
  const float* last = prefill.data() + static_cast<std::size_t>(prompt_len - 1) * static_cast<std::size_t>(V);
  step_logits.insert(step_logits.end(), last, last + V);
  for (int i = 0; i < steps; ++i) {
    const float* row = step_logits.data() + static_cast<std::size_t>(i) * static_cast<std::size_t>(V);
    seq.push_back(argmax(row, static_cast<std::size_t>(V)));
    margins.push_back(top2_margin(row, static_cast<std::size_t>(V)));
    if (i + 1 < steps) {
      tok = session->decode(seq.back(), greedy, &logits);
      step_logits.insert(step_logits.end(), logits.begin(), logits.end());
    }
  }
  (void)tok;
  const fs::path ref = dir / "ref";
  fs::create_directories(ref);
  write_f32(ref / "prefill_fp32.f32", prefill);
  write_f32(ref / "steps_fp32.f32", step_logits);
  json meta{{"format", "rg-hf-ref-1"},
            {"name", dir.filename().string()},
            {"written_by", "hf_check --write-ref (" + model->describe() + "): our own engine, a plumbing test only"},
            {"vocab_size", V},
            {"prompt", prompt},
            {"greedy", seq},
            {"margins", margins},
            {"files", {{"prefill_fp32", "prefill_fp32.f32"}, {"steps_fp32", "steps_fp32.f32"}}}};
  std::ofstream(ref / "meta.json") << meta.dump(1) << "\n";
  std::printf("wrote %s (%d prompt ids, %d greedy steps, %s)\n", ref.string().c_str(), prompt_len, steps,
              model->describe().c_str());
  return 0;
}

[[noreturn]] void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s MODEL_DIR [--types bf16,q8_0] [--cpu] [--no-gpu] [--tol 1e-2] [--cpu-tol 1e-4]\n"
               "          [--margin 1e-2] [--threads N] [--keep-gguf]\n"
               "          [--gpu-dtypes bf16,f16] [--strict-gpu-dtypes f16]\n"
               "       %s --write-ref MODEL_DIR [--device cpu|gpu] [--prompt-len 24] [--steps 16]\n",
               argv0, argv0);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir_arg, types = "bf16,q8_0", write_device = "cpu";
  // GPU precisions to run, and those whose rows count toward the exit status
  // (the others are reported with their verdict).
  std::string gpu_dtypes = "bf16,f16", strict_gpu_dtypes = "f16";
  bool cpu = false, gpu = true, keep_gguf = false, write_ref = false;
  double tol = 1e-2, cpu_tol = 1e-4, margin = 1e-2;
  int threads = 0, prompt_len = 24, steps = 16;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage(argv[0]);
      return argv[++i];
    };
    if (a == "--types") types = next();
    else if (a == "--cpu") cpu = true;
    else if (a == "--no-gpu") gpu = false;
    else if (a == "--tol") tol = std::stod(next());
    else if (a == "--cpu-tol") cpu_tol = std::stod(next());
    else if (a == "--margin") margin = std::stod(next());
    else if (a == "--threads") threads = std::stoi(next());
    else if (a == "--keep-gguf") keep_gguf = true;
    else if (a == "--write-ref") write_ref = true;
    else if (a == "--device") write_device = next();
    else if (a == "--gpu-dtypes") gpu_dtypes = next();
    else if (a == "--strict-gpu-dtypes") strict_gpu_dtypes = next();
    else if (a == "--prompt-len") prompt_len = std::stoi(next());
    else if (a == "--steps") steps = std::stoi(next());
    else if (!a.empty() && a[0] == '-') usage(argv[0]);
    else if (dir_arg.empty()) dir_arg = a;
    else usage(argv[0]);
  }
  if (dir_arg.empty()) usage(argv[0]);
  const fs::path dir(dir_arg);

  if (write_ref) {
    try {
      return write_reference(dir, write_device, prompt_len, steps, threads);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hf_check --write-ref: %s\n", e.what());
      return 1;
    }
  }

  Reference ref;
  try {
    ref = load_reference(dir / "ref");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hf_check: %s\n", e.what());
    return 1;
  }
  const fs::path hf_dir = dir / "hf";
  std::printf("== %s: %zu prompt ids, %zu greedy steps (%d with HF margin > %g), vocab %d\n", ref.name.c_str(),
              ref.prompt.size(), ref.greedy.size(),
              static_cast<int>(
                  std::count_if(ref.margins.begin(), ref.margins.end(), [&](double m) { return m > margin; })),
              margin, ref.vocab);
  if (!ref.hf_bf16.is_null()) std::printf("   HF bf16 vs HF fp32 (context): %s\n", ref.hf_bf16.dump().c_str());

  const auto split = [](const std::string& list) {
    std::vector<std::string> out;
    std::stringstream ss(list);
    std::string t;
    while (std::getline(ss, t, ','))
      if (!t.empty()) out.push_back(t);
    return out;
  };
  const std::vector<std::string> type_list = split(types);
  const std::vector<std::string> gpu_list = split(gpu_dtypes);
  const std::vector<std::string> strict_gpu = split(strict_gpu_dtypes);
  const auto gpu_strict = [&](const std::string& dtype) {
    return std::find(strict_gpu.begin(), strict_gpu.end(), dtype) != strict_gpu.end();
  };

  std::vector<Result> results;
  // One run: load (HF folder or GGUF), make the engine, evaluate; any
  // exception becomes the run's error so the other runs still happen.
  const auto run = [&](const std::string& source, const fs::path& path, const std::string& device, bool strict) {
    Result r;
    r.model = ref.name;
    r.source = source;
    r.device = device;
    r.strict = strict;
    r.tol = device == "cpu" ? cpu_tol : tol;
    try {
      const auto t0 = std::chrono::steady_clock::now();
      auto m = rg::llm::local::load_model(path.string());
      auto engine = make_engine(*m, device, threads);
      r.engine = engine->describe();
      r.load_s = seconds_since(t0);
      evaluate(*engine, ref, margin, &r);
    } catch (const std::exception& e) {
      r.error = e.what();
    }
    print_result(r);
    std::fflush(stdout);
    results.push_back(r);
  };
  // Converts once per type; "" when the conversion failed (recorded as a failed run).
  const auto convert = [&](const std::string& type) -> fs::path {
    const fs::path out = dir / ("model-" + type + ".gguf");
    try {
      const auto t0 = std::chrono::steady_clock::now();
      rg::llm::local::ConvertOptions o;
      o.type = type;
      const auto c = rg::llm::local::convert_to_gguf(hf_dir.string(), out.string(), o);
      std::printf("  converted to %s: %zu tensors, %.2f GB, arch %s, %.1fs\n", out.filename().string().c_str(),
                  c.tensors,
                  static_cast<double>(c.bytes) / 1e9, c.architecture.c_str(), seconds_since(t0));
      return out;
    } catch (const std::exception& e) {
      Result r;
      r.model = ref.name;
      r.source = "gguf-" + type;
      r.device = "-";
      r.strict = type != "q8_0";
      r.error = std::string("conversion: ") + e.what();
      print_result(r);
      results.push_back(r);
      return {};
    }
  };

  if (gpu)
    for (const std::string& d : gpu_list) run("hf", hf_dir, "gpu-" + d, gpu_strict(d));
  if (cpu) run("hf", hf_dir, "cpu", true);
  for (const std::string& type : type_list) {
    const fs::path g = convert(type);
    if (g.empty()) continue;
    const bool strict = type != "q8_0";
    if (gpu)
      for (const std::string& d : gpu_list) run("gguf-" + type, g, "gpu-" + d, strict && gpu_strict(d));
    if (cpu) run("gguf-" + type, g, "cpu", strict);
    std::error_code ec;
    if (!keep_gguf) fs::remove(g, ec);
  }

  bool ok = true;
  std::printf("\n%-16s %-10s %-8s %12s %12s %12s %8s %9s %7s  %s\n", "model", "source", "dev", "pre max/fp32",
              "pre max/bf16", "step max", "decided", "mismatch", "free", "result");
  for (const Result& r : results) {
    std::printf("%-16s %-10s %-8s %12s %12s %12s %8d %9d %4d/%-2d  %s%s\n", r.model.c_str(), r.source.c_str(),
                r.device.c_str(), fmt(r.pre32.max).c_str(), fmt(r.pre16.n ? r.pre16.max : kNaN).c_str(),
                fmt(r.steps.max).c_str(), r.decided, r.mismatches, r.free_prefix, r.steps_total, r.verdict(),
                r.error.empty() ? "" : "  (error)");
    if (r.strict && !r.pass()) ok = false;
  }
  for (const Result& r : results) std::printf("ROW %s\n", row_json(r).dump().c_str());
  return ok ? 0 : 1;
}
