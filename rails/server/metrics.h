// The counters behind GET /metrics (Prometheus text format, version 0.0.4).
//
//   Metrics metrics;
//   metrics.request("/v1/chat/completions", 200, 0.012);  // the HTTP layer
//   metrics.llm_call("gpt-4o", "generate", 0.8, true);     // the service (MetricsSink)
//   std::string text = metrics.render();
//
// Every method is safe from any thread. Counting is lock-light: a series is
// found under a shared lock and bumped with atomics; only a series seen for
// the first time takes the exclusive lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rails/server/api.h"

namespace rg::rails::server {

class Metrics : public MetricsSink {
 public:
  Metrics();
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One HTTP request answered: `route` is a bounded label (the HTTP layer
  // maps unknown paths to one value).
  void request(std::string_view route, int status, double seconds);
  // Requests being handled now (a gauge).
  void set_in_flight(int64_t n) { in_flight_.store(n, std::memory_order_relaxed); }

  // MetricsSink
  void rail_activated(std::string_view type, std::string_view name, std::string_view outcome) override;
  void llm_call(std::string_view model, std::string_view task, double seconds, bool ok) override;

  // The whole exposition, families sorted by name, series by labels.
  std::string render() const;

  // Upper bounds (seconds) of the latency histograms' buckets.
  static const std::vector<double>& latency_buckets();

 private:
  struct Counter {
    std::atomic<uint64_t> value{0};
  };
  struct Histogram {
    explicit Histogram(size_t buckets) : counts(buckets) {}
    std::vector<std::atomic<uint64_t>> counts;  // per bucket, not cumulative
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_ns{0};
  };
  // Series keyed by their rendered label set, e.g. `route="/health",status="200"`.
  template <typename T>
  struct Family {
    mutable std::shared_mutex mutex;
    std::map<std::string, std::unique_ptr<T>, std::less<>> series;
  };

  Counter& counter(Family<Counter>& family, const std::string& labels);
  Histogram& histogram(Family<Histogram>& family, const std::string& labels);

  Family<Counter> requests_;          // route, status
  Family<Histogram> request_seconds_;  // route
  Family<Counter> rails_;             // type, name, outcome
  Family<Counter> llm_calls_;         // model, task, outcome
  Family<Histogram> llm_seconds_;     // model
  std::atomic<int64_t> in_flight_{0};
};

// `value` escaped for a Prometheus label value (\\, \", \n).
std::string prometheus_escape(std::string_view value);

}  // namespace rg::rails::server
