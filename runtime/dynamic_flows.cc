// Flows added to and removed from one conversation at run time.
#include "colang/parse.h"
#include "runtime/runtime.h"

namespace rg::runtime {

namespace {
std::vector<colang::Diagnostic> apply_add(State& state, const std::string& source) {
  colang::ParseResult parsed = colang::parse_colang(source, "<added flows>");
  if (!parsed.ok()) return parsed.diagnostics;
  FlowLibrary::BuildResult built = FlowLibrary::extend(*state.library, {parsed.file});
  if (!built.library) return built.diagnostics;
  state.library = std::move(built.library);
  return built.diagnostics;
}
}  // namespace

std::vector<colang::Diagnostic> add_flows(State& state, const std::string& source) {
  std::vector<colang::Diagnostic> diagnostics = apply_add(state, source);
  if (!colang::has_errors(diagnostics)) state.library_changes.emplace_back("add", source);
  return diagnostics;
}

void remove_flows(State& state, const std::vector<std::string>& flow_ids) {
  state.library = FlowLibrary::without(*state.library, flow_ids);
  for (const auto& id : flow_ids) state.library_changes.emplace_back("remove", id);
}

std::shared_ptr<const FlowLibrary> replay_library_changes(State& state) {
  // Every flow ever added, removals ignored: what instances may refer to.
  std::shared_ptr<const FlowLibrary> all_flows = state.library;
  for (const auto& [op, payload] : state.library_changes) {
    if (op == "add") {
      auto diagnostics = apply_add(state, payload);
      if (colang::has_errors(diagnostics))
        throw std::invalid_argument("state JSON: flows added at run time no longer build: " +
                                    diagnostics.front().render());
      colang::ParseResult parsed = colang::parse_colang(payload, "<added flows>");
      FlowLibrary::BuildResult more = FlowLibrary::extend(*all_flows, {parsed.file});
      if (more.library) all_flows = std::move(more.library);
    } else if (op == "remove") {
      state.library = FlowLibrary::without(*state.library, {payload});
    } else {
      throw std::invalid_argument("state JSON: unknown library change '" + op + "'");
    }
  }
  return all_flows;
}

}  // namespace rg::runtime
