#include "rails/server/chat_ui.h"

#include <utility>
#include <vector>

namespace rg::rails::server {

// Generated from chat_ui/index.html (rails/server/CMakeLists.txt).
const std::vector<std::pair<std::string, std::string>>& chat_ui_sources();

const std::string& chat_ui_html() {
  static const std::string& kPage = chat_ui_sources().at(0).second;
  return kPage;
}

}  // namespace rg::rails::server
