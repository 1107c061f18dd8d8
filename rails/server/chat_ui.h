// The chat page served at GET / (rails/server/chat_ui/index.html, compiled
// into the binary at build time by cmake/EmbedText.cmake).
#pragma once

#include <string>

namespace rg::rails::server {

// The whole self-contained HTML page.
const std::string& chat_ui_html();

}  // namespace rg::rails::server
