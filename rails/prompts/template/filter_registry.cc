// FilterRegistry and FilterCall's argument helpers.
#include "rails/prompts/template/filter_registry.h"

namespace rg::rails::prompts {

void FilterRegistry::add(std::string name, Filter filter) { filters_[std::move(name)] = std::move(filter); }

const Filter* FilterRegistry::find(std::string_view name) const {
  auto it = filters_.find(name);
  return it == filters_.end() ? nullptr : &it->second;
}

std::vector<std::string> FilterRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, _] : filters_) out.push_back(name);
  return out;
}

std::shared_ptr<const FilterRegistry> default_filters() {
  static const std::shared_ptr<const FilterRegistry> registry = [] {
    auto r = std::make_shared<FilterRegistry>();
    add_jinja_filters(*r);
    add_text_filters(*r);  // after the Jinja ones: NeMo's indent replaces Jinja's
    return r;
  }();
  return registry;
}

const colang::Value* FilterCall::param(size_t position, std::string_view keyword) const {
  const colang::Value* found = position < args.size() ? &args[position] : nullptr;
  for (const auto& [k, v] : kwargs) {
    if (k != keyword) continue;
    if (found != nullptr) throw FilterError("got multiple values for argument '" + std::string(keyword) + "'");
    found = &v;
  }
  return found;
}

int64_t FilterCall::int_param(size_t position, std::string_view keyword, int64_t fallback) const {
  const colang::Value* v = param(position, keyword);
  if (v == nullptr) return fallback;
  if (v->is_bool()) return v->as_bool() ? 1 : 0;
  if (!v->is_int()) {
    throw FilterError("argument '" + std::string(keyword) + "' must be an integer, not " + std::string(v->type_name()));
  }
  return v->as_int();
}

bool FilterCall::bool_param(size_t position, std::string_view keyword, bool fallback) const {
  const colang::Value* v = param(position, keyword);
  return v == nullptr ? fallback : v->truthy();
}

std::string FilterCall::str_param(size_t position, std::string_view keyword, std::string fallback) const {
  const colang::Value* v = param(position, keyword);
  return v == nullptr ? std::move(fallback) : colang::to_python_str(*v);
}

void FilterCall::check_arity(size_t count, std::initializer_list<std::string_view> keywords) const {
  if (args.size() > count) {
    throw FilterError("takes at most " + std::to_string(count) + " argument" + (count == 1 ? "" : "s") + " (" +
                      std::to_string(args.size()) + " given)");
  }
  for (const auto& [k, _] : kwargs) {
    bool known = false;
    for (std::string_view allowed : keywords) known = known || allowed == k;
    if (!known) throw FilterError("unexpected keyword argument '" + k + "'");
  }
}

void FilterCall::require_defined() const {
  if (!input_defined) throw FilterError(undefined_message);
}

const std::string& FilterCall::input_str() const {
  require_defined();
  if (!input.is_str()) throw FilterError("expected a string, got " + std::string(input.type_name()));
  return input.as_str();
}

}  // namespace rg::rails::prompts
