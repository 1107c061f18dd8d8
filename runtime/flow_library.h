// FlowLibrary: the compiled flows of a set of Colang 2.x files.
//
// Built once per config (statements expanded into basic elements, @override
// applied, names validated) and then shared read-only by every conversation
// on every thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colang/ast.h"
#include "colang/diagnostic.h"

namespace rg::runtime {

struct FlowConfig;  // runtime/flow_config.h

class FlowLibrary {
 public:
  struct BuildResult {
    std::shared_ptr<const FlowLibrary> library;  // null when diagnostics has errors
    std::vector<colang::Diagnostic> diagnostics;
  };
  // Rejects duplicate flow names (unless exactly one is @override) and names
  // whose first word is a statement keyword.
  static BuildResult build(const std::vector<colang::File>& files);

  // A copy of `base` with the flows of `files` added (a name that exists is
  // replaced only by an @override definition, else reported) — for flows
  // added to one conversation at run time.
  static BuildResult extend(const FlowLibrary& base, const std::vector<colang::File>& files);
  // A copy of `base` without the given flows (unknown ids are ignored).
  static std::shared_ptr<const FlowLibrary> without(const FlowLibrary& base,
                                                    const std::vector<std::string>& flow_ids);

  const FlowConfig* find(std::string_view flow_id) const;
  std::shared_ptr<const FlowConfig> find_shared(std::string_view flow_id) const;
  std::vector<std::string> flow_ids() const;
  // Flows decorated @active, in definition order (started before main).
  const std::vector<std::string>& active_flow_ids() const { return active_; }

  FlowLibrary() = default;
  ~FlowLibrary();
  FlowLibrary(const FlowLibrary&);
  FlowLibrary(FlowLibrary&&) noexcept;

 private:
  std::map<std::string, std::shared_ptr<const FlowConfig>, std::less<>> flows_;
  std::vector<std::string> order_;
  std::vector<std::string> active_;
  friend class FlowLibraryBuilder;
};

}  // namespace rg::runtime
