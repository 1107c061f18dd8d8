#include "colang/v1/document.h"

namespace rg::colang::v1 {

// ORDER ElementType
std::string_view element_type_name(ElementType t) {
  switch (t) {
    case ElementType::kUserIntent: return "UserIntent";
    case ElementType::kRunAction: return "run_action";
    case ElementType::kFlow: return "flow";
    case ElementType::kSet: return "set";
    case ElementType::kIf: return "if";
    case ElementType::kWhile: return "while";
    case ElementType::kJump: return "jump";
    case ElementType::kBranch: return "branch";
    case ElementType::kBreak: return "break";
    case ElementType::kContinue: return "continue";
    case ElementType::kEvent: return "event";
    case ElementType::kAny: return "any";
  }
  return "?";
}

}  // namespace rg::colang::v1
