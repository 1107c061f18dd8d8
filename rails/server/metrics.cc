#include "rails/server/metrics.h"

#include <cmath>
#include <cstdio>
#include <mutex>

namespace rg::rails::server {
namespace {

std::string label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  out += prometheus_escape(value);
  out += '"';
  return out;
}

std::string join(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ',';
    out += p;
  }
  return out;
}

std::string format_double(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

uint64_t to_ns(double seconds) {
  if (!(seconds > 0)) return 0;
  return static_cast<uint64_t>(seconds * 1e9);
}

}  // namespace

std::string prometheus_escape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const std::vector<double>& Metrics::latency_buckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10,
                                               30,     60};
  return kBuckets;
}

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

Metrics::Counter& Metrics::counter(Family<Counter>& family, const std::string& labels) {
  {
    std::shared_lock lock(family.mutex);
    auto it = family.series.find(labels);
    if (it != family.series.end()) return *it->second;
  }
  std::unique_lock lock(family.mutex);
  auto& slot = family.series[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Metrics::Histogram& Metrics::histogram(Family<Histogram>& family, const std::string& labels) {
  {
    std::shared_lock lock(family.mutex);
    auto it = family.series.find(labels);
    if (it != family.series.end()) return *it->second;
  }
  std::unique_lock lock(family.mutex);
  auto& slot = family.series[labels];
  if (!slot) slot = std::make_unique<Histogram>(latency_buckets().size() + 1);
  return *slot;
}

namespace {

template <typename H>
void observe(H& h, double seconds) {
  const auto& bounds = Metrics::latency_buckets();
  size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  h.counts[i].fetch_add(1, std::memory_order_relaxed);
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_ns.fetch_add(to_ns(seconds), std::memory_order_relaxed);
}

}  // namespace

void Metrics::request(std::string_view route, int status, double seconds) {
  std::string r = label("route", route);
  counter(requests_, join({r, label("status", std::to_string(status))}))
      .value.fetch_add(1, std::memory_order_relaxed);
  observe(histogram(request_seconds_, r), seconds);
}

void Metrics::rail_activated(std::string_view type, std::string_view name,
                             std::string_view outcome) {
  counter(rails_, join({label("type", type), label("name", name), label("outcome", outcome)}))
      .value.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::llm_call(std::string_view model, std::string_view task, double seconds, bool ok) {
  std::string m = label("model", model);
  counter(llm_calls_, join({m, label("task", task), label("outcome", ok ? "ok" : "error")}))
      .value.fetch_add(1, std::memory_order_relaxed);
  observe(histogram(llm_seconds_, m), seconds);
}

namespace {

template <typename Family>
void render_counters(std::string& out, const char* name, const char* help, const Family& family) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
  std::shared_lock lock(family.mutex);
  for (const auto& [labels, c] : family.series) {
    out += name;
    out += '{';
    out += labels;
    out += "} ";
    out += std::to_string(c->value.load(std::memory_order_relaxed));
    out += '\n';
  }
}

template <typename Family>
void render_histograms(std::string& out, const char* name, const char* help, const Family& family) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " histogram\n";
  const auto& bounds = Metrics::latency_buckets();
  std::shared_lock lock(family.mutex);
  for (const auto& [labels, h] : family.series) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += h->counts[i].load(std::memory_order_relaxed);
      out += name;
      out += "_bucket{";
      out += labels;
      out += ",le=\"";
      out += i < bounds.size() ? format_double(bounds[i]) : "+Inf";
      out += "\"} ";
      out += std::to_string(cumulative);
      out += '\n';
    }
    out += name;
    out += "_sum{" + labels + "} ";
    out += format_double(static_cast<double>(h->sum_ns.load(std::memory_order_relaxed)) / 1e9);
    out += '\n';
    out += name;
    out += "_count{" + labels + "} ";
    out += std::to_string(h->count.load(std::memory_order_relaxed));
    out += '\n';
  }
}

}  // namespace

std::string Metrics::render() const {
  std::string out;
  out.reserve(4096);
  render_counters(out, "railguard_http_requests_total",
                  "HTTP requests answered, by route and status.", requests_);
  render_histograms(out, "railguard_http_request_duration_seconds",
                    "Time from a request's end of headers to its last byte sent, by route.",
                    request_seconds_);
  out += "# HELP railguard_http_requests_in_flight Requests being handled now.\n";
  out += "# TYPE railguard_http_requests_in_flight gauge\n";
  out += "railguard_http_requests_in_flight " +
         std::to_string(in_flight_.load(std::memory_order_relaxed)) + "\n";
  render_counters(out, "railguard_rails_activated_total",
                  "Rails run, by type, name and outcome (passed | stopped).", rails_);
  render_counters(out, "railguard_llm_calls_total",
                  "LLM calls, by model, task and outcome (ok | error).", llm_calls_);
  render_histograms(out, "railguard_llm_call_duration_seconds", "LLM call latency, by model.",
                    llm_seconds_);
  return out;
}

}  // namespace rg::rails::server
