// Result<T>: a value or an llm::Error, for calls that can fail for reasons
// outside our control (no model configured, provider down, bad response).
// Errors are values; nothing here throws.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace rg::llm {

// ORDER ErrorCode: keep error_code_name() in llm_client.cc in step.
enum class ErrorCode {
  kNotConfigured,  // no model is configured for the task
  kProvider,       // the provider answered with an error (HTTP status, API error)
  kTransport,      // the provider could not be reached or the connection failed
  kTimeout,        // no answer within the configured time
  kBadResponse,    // an answer came but could not be understood
  kBadConfig,      // a model's settings are wrong (unknown engine, bad parameter, no API key)
};

std::string_view error_code_name(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kProvider;
  std::string message;  // what went wrong, in words
  std::string where;    // provider + URL, or the config field at fault ("" if none)
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const T& value() const {
    assert(ok());
    return std::get<0>(v_);
  }
  T& value() {
    assert(ok());
    return std::get<0>(v_);
  }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

}  // namespace rg::llm
