#include "rails/config/yaml_value.h"

#include <cerrno>
#include <cstdlib>

namespace rg::rails::config {

using colang::Dict;
using colang::Value;

namespace {
Value scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return Value(s);  // quoted: always a string
  if (s == "true" || s == "True" || s == "TRUE") return Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value(false);
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  char* end = nullptr;
  errno = 0;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (end && *end == '\0' && errno == 0 && end != s.c_str()) return Value(static_cast<int64_t>(i));
  double d = std::strtod(s.c_str(), &end);
  if (end && *end == '\0' && end != s.c_str() && s.find_first_of("0123456789") != std::string::npos)
    return Value(d);
  return Value(s);
}
}  // namespace

Value yaml_to_value(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      Dict d;
      for (const auto& kv : n) d.set(kv.first.Scalar(), yaml_to_value(kv.second));
      return Value(std::move(d));
    }
    case YAML::NodeType::Sequence: {
      colang::List l;
      for (const auto& x : n) l.push_back(yaml_to_value(x));
      return Value(std::move(l));
    }
    case YAML::NodeType::Scalar:
      return scalar(n);
    default:
      return Value();
  }
}

}  // namespace rg::rails::config
