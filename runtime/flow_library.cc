// Building a FlowLibrary from parsed files: names, overrides, expansion.
#include "runtime/flow_library.h"

#include <algorithm>
#include <set>

#include "runtime/expand.h"
#include "runtime/flow_config.h"
#include "runtime/internal/machine.h"

namespace rg::runtime {

namespace {

using colang::Diagnostic;

const std::set<std::string, std::less<>>& statement_keywords() {
  static const std::set<std::string, std::less<>> kWords = {
      "send", "match", "start", "stop", "await", "activate", "deactivate"};
  return kWords;
}

bool has_decorator(const colang::Flow& f, std::string_view name) {
  for (const auto& d : f.decorators)
    if (d.name == name) return true;
  return false;
}

std::string line_of(const colang::Flow& f, int line) {
  int offset = line - f.loc.line;
  if (offset < 0) return "";
  size_t pos = 0;
  for (int i = 0; i < offset; ++i) {
    pos = f.source_code.find('\n', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  size_t end = f.source_code.find('\n', pos);
  return f.source_code.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

Diagnostic error_at(const colang::Flow& f, colang::SourceLoc loc, std::string message) {
  Diagnostic d;
  d.file = f.file;
  d.line = loc.line;
  d.column = loc.column;
  d.code = "semantic";
  d.message = std::move(message);
  d.source_line = line_of(f, loc.line);
  return d;
}

// The event name a match element waits for, when it is fixed at build time.
std::string static_event_name(const colang::Spec& spec) {
  using colang::SpecKind;
  switch (spec.kind) {
    case SpecKind::kEvent:
      return spec.name;
    case SpecKind::kAction: {
      if (spec.members.empty()) return "Start" + spec.name;
      const std::string& m = spec.members.back().name;
      if (m == "Start" || m == "Stop" || m == "Change") return m + spec.name;
      return spec.name + m;
    }
    case SpecKind::kFlow: {
      if (spec.members.empty()) return "";
      const std::string& m = spec.members.front().name;
      if (m == "Start") return "StartFlow";
      if (m == "Stop") return "StopFlow";
      if (m == "Finish") return "FinishFlow";
      return "Flow" + m;
    }
    case SpecKind::kReference:
      return "";
  }
  return "";
}

}  // namespace

class FlowLibraryBuilder {
 public:
  // `base`: flows already defined (for extend); its names count as defined.
  static FlowLibrary::BuildResult build(const std::vector<colang::File>& files,
                                        const FlowLibrary* base = nullptr) {
    FlowLibrary::BuildResult result;
    // Pick one definition per name: an @override replaces the others.
    std::map<std::string, const colang::Flow*> chosen;
    std::vector<std::string> order;
    for (const auto& file : files) {
      for (const auto& flow : file.flows) {
        std::string first_word = flow.name.substr(0, flow.name.find(' '));
        if (statement_keywords().count(first_word)) {
          result.diagnostics.push_back(error_at(
              flow, flow.loc,
              "flow name '" + flow.name + "' starts with the keyword '" + first_word + "'"));
          continue;
        }
        auto it = chosen.find(flow.name);
        if (it == chosen.end()) {
          if (base && base->find(flow.name) && !has_decorator(flow, "override")) {
            result.diagnostics.push_back(error_at(
                flow, flow.loc, "flow '" + flow.name + "' is already defined; mark it @override to replace it"));
            continue;
          }
          chosen[flow.name] = &flow;
          order.push_back(flow.name);
          continue;
        }
        bool new_overrides = has_decorator(flow, "override");
        bool old_overrides = has_decorator(*it->second, "override");
        if (new_overrides && !old_overrides) {
          it->second = &flow;
        } else if (!new_overrides && old_overrides) {
          // keep the override
        } else {
          auto d = error_at(flow, flow.loc,
                            "flow '" + flow.name + "' is defined more than once (first in " +
                                it->second->file + ":" + std::to_string(it->second->loc.line) +
                                "); mark one of them @override");
          result.diagnostics.push_back(std::move(d));
        }
      }
    }
    auto library = base ? std::make_shared<FlowLibrary>(*base) : std::make_shared<FlowLibrary>();
    for (const auto& name : order) {
      const colang::Flow& flow = *chosen[name];
      try {
        auto config = std::make_shared<FlowConfig>(expand_flow(flow));
        for (auto& el : config->elements)
          if (el.kind == ElementKind::kMatch) el.event_name = static_event_name(el.spec);
        bool existed = library->flows_.count(name) > 0;
        if (config->active && std::find(library->active_.begin(), library->active_.end(), name) ==
                                  library->active_.end())
          library->active_.push_back(name);
        library->flows_[name] = std::move(config);
        if (!existed) library->order_.push_back(name);
      } catch (const ExpandError& e) {
        result.diagnostics.push_back(error_at(flow, e.loc(), e.what()));
      }
    }
    if (!colang::has_errors(result.diagnostics)) result.library = std::move(library);
    return result;
  }
};

FlowLibrary::BuildResult FlowLibrary::build(const std::vector<colang::File>& files) {
  return FlowLibraryBuilder::build(files);
}

FlowLibrary::BuildResult FlowLibrary::extend(const FlowLibrary& base,
                                             const std::vector<colang::File>& files) {
  return FlowLibraryBuilder::build(files, &base);
}

std::shared_ptr<const FlowLibrary> FlowLibrary::without(const FlowLibrary& base,
                                                        const std::vector<std::string>& flow_ids) {
  auto library = std::make_shared<FlowLibrary>(base);
  for (const auto& id : flow_ids) {
    library->flows_.erase(id);
    auto drop = [&](std::vector<std::string>& v) { v.erase(std::remove(v.begin(), v.end(), id), v.end()); };
    drop(library->order_);
    drop(library->active_);
  }
  return library;
}

FlowLibrary::~FlowLibrary() = default;
FlowLibrary::FlowLibrary(const FlowLibrary&) = default;
FlowLibrary::FlowLibrary(FlowLibrary&&) noexcept = default;

std::shared_ptr<const FlowConfig> FlowLibrary::find_shared(std::string_view flow_id) const {
  auto it = flows_.find(flow_id);
  return it == flows_.end() ? nullptr : it->second;
}

const FlowConfig* FlowLibrary::find(std::string_view flow_id) const {
  auto it = flows_.find(flow_id);
  return it == flows_.end() ? nullptr : it->second.get();
}

std::vector<std::string> FlowLibrary::flow_ids() const { return order_; }

}  // namespace rg::runtime
