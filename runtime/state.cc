// State helpers: names, uid generation, event classes.
#include "runtime/state.h"

#include <array>
#include <cstdio>

#include "runtime/internal/seeded_ids.h"

namespace rg::runtime {

namespace {
using internal::splitmix64;
}  // namespace

std::string_view flow_status_name(FlowStatus s) {
  // ORDER FlowStatus
  static constexpr std::array<std::string_view, 6> kNames = {
      "waiting", "starting", "started", "stopping", "stopped", "finished"};
  return kNames[static_cast<int>(s)];
}

std::string_view head_status_name(HeadStatus s) {
  static constexpr std::array<std::string_view, 3> kNames = {"active", "inactive", "merging"};
  return kNames[static_cast<int>(s)];
}

std::string_view action_status_name(ActionStatus s) {
  static constexpr std::array<std::string_view, 5> kNames = {"initialized", "starting", "started",
                                                             "stopping", "finished"};
  return kNames[static_cast<int>(s)];
}

bool is_internal_event_name(std::string_view name) {
  static constexpr std::array<std::string_view, 11> kInternal = {
      "StartFlow",    "FinishFlow",    "StopFlow",      "FlowStarted",
      "FlowFinished", "FlowFailed",    "UnhandledEvent", "BotIntentLog",
      "UserIntentLog", "BotActionLog", "UserActionLog"};
  for (auto n : kInternal)
    if (n == name) return true;
  return false;
}

Event::Class event_class_for(std::string_view name) {
  if (is_internal_event_name(name)) return Event::Class::kInternal;
  if (name.find("Action") != std::string_view::npos) return Event::Class::kAction;
  return Event::Class::kPlain;
}

State::State(std::shared_ptr<const FlowLibrary> lib, StateOptions opts)
    : library(std::move(lib)), options(std::move(opts)), rng_state(splitmix64(options.seed)) {}

std::string State::new_uuid() { return internal::seeded_uuid(options.seed, ++uid_counter); }

std::string State::new_head_uid() {
  char buf[24];
  std::snprintf(buf, sizeof buf, "h%012llu", static_cast<unsigned long long>(++uid_counter));
  return buf;
}

double State::random() {
  return internal::next_unit_double(rng_state);
}

std::string State::now() const {
  if (options.now) return options.now();
  return "1970-01-01T00:00:00.000000+00:00";
}

namespace internal {

std::string seeded_uuid(uint64_t seed, uint64_t counter) {
  // Formatted by hand: every event and flow instance takes one, and
  // snprintf cost more than the rest of a small turn.
  uint64_t a = splitmix64(seed * 0x100000001b3ULL + counter);
  uint64_t b = splitmix64(a ^ counter);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  auto put = [&](size_t at, uint64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[at + static_cast<size_t>(i)] = kHex[value & 0xf];
      value >>= 4;
    }
  };
  put(0, a >> 32, 8);                            // xxxxxxxx
  put(9, (a >> 16) & 0xffff, 4);                 // -xxxx
  out[14] = '4';                                 // -4xxx (version 4)
  put(15, a & 0xfff, 3);
  put(19, 0x8000 | ((b >> 48) & 0x3fff), 4);     // -yxxx (variant)
  put(24, b & 0xffffffffffffULL, 12);            // -xxxxxxxxxxxx
  return out;
}

}  // namespace internal

}  // namespace rg::runtime
