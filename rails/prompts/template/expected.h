// Expected<T, E>: a value, or the error that kept it from being made.
//
// The one result type of the prompts layer: TemplateResult<T> (template
// errors) and PromptResult<T> (prompt errors) are this with their error type.
// Returned by value, checked with ok(); value() and error() assert the side.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace rg::rails::prompts {

template <typename T, typename E>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(E error) : v_(std::move(error)) {}

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
  const E& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

}  // namespace rg::rails::prompts
