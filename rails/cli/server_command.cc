#include "rails/cli/server_command.h"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "rails/server/api_service.h"
#include "rails/server/http_server.h"
#include "rails/server/metrics.h"
#include "rails/server/server_options.h"

namespace rg::cli {
namespace {

namespace srv = rg::rails::server;

constexpr std::string_view kUsage =
    "usage: railguard server --config DIR [options]\n"
    "\n"
    "  --config DIR             a config folder (single-config mode) or a folder of them\n"
    "  --port N                 TCP port (default 8000; 0: any free port, printed)\n"
    "  --host ADDR              address to listen on (default 127.0.0.1)\n"
    "  --default-config-id ID   config used when a request names none\n"
    "  --prefix /P              serve every route under /P (e.g. /P/v1/chat/completions)\n"
    "  --threads N              I/O threads (default: the number of CPUs)\n"
    "  --handler-threads N      threads running requests (default: max(8, 4 x threads))\n"
    "  --auto-reload            reload a config when its files change\n"
    "  --disable-chat-ui        GET / answers {\"status\":\"ok\"} instead of the chat page\n"
    "  --data-dir DIR           where threads.db lives (default ./.railguard)\n"
    "\n"
    "limits:\n"
    "  --max-body-bytes N       larger request bodies get 413 (default 1048576)\n"
    "  --max-concurrent N       requests in flight beyond N get 503 (default 256)\n"
    "  --header-timeout MS      drop a client whose request head takes longer (default 10000)\n"
    "  --body-timeout MS        drop a client whose body takes longer (default 30000)\n"
    "  --write-timeout MS       drop a client that does not read its answer (default 30000)\n"
    "  --shutdown-grace MS      how long in-flight requests may finish on SIGINT/SIGTERM\n"
    "                           (default 10000)\n"
    "  --no-access-log          no per-request line on stderr\n";

struct ServerCommandOptions {
  srv::ServerOptions server;
  srv::ServiceOptions service;
};

template <typename T>
bool parse_number(std::string_view text, T min, T max, T* out) {
  unsigned long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;
  if (v < static_cast<unsigned long long>(min) || v > static_cast<unsigned long long>(max)) {
    return false;
  }
  *out = static_cast<T>(v);
  return true;
}

// Returns 0 to go on, or the exit status (after printing why / the usage).
int parse_args(int argc, char** argv, ServerCommandOptions* options) {
  auto& server = options->server;
  auto& service = options->service;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (auto eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    // The value of a flag that takes one (--flag V or --flag=V).
    auto value = [&]() -> std::optional<std::string_view> {
      if (inline_value) return inline_value;
      if (i + 1 >= argc) return std::nullopt;
      return std::string_view(argv[++i]);
    };
    auto fail = [&](std::string_view why) {
      std::cerr << "railguard server: " << name << " " << why << "\n";
      return 2;
    };
    auto millis = [&](std::chrono::milliseconds* out) {
      auto v = value();
      uint32_t ms = 0;
      if (!v || !parse_number<uint32_t>(*v, 1, 86'400'000, &ms)) return false;
      *out = std::chrono::milliseconds(ms);
      return true;
    };
    auto no_value = [&] { return !inline_value; };

    if (name == "-h" || name == "--help") {
      std::cout << kUsage;
      return -1;
    } else if (name == "--config") {
      auto v = value();
      if (!v || v->empty()) return fail("needs a folder");
      service.config_path = std::string(*v);
    } else if (name == "--port") {
      auto v = value();
      if (!v || !parse_number<uint16_t>(*v, 0, 65535, &server.port)) {
        return fail("needs a port number (0-65535)");
      }
    } else if (name == "--host") {
      auto v = value();
      if (!v || v->empty()) return fail("needs an address");
      server.host = std::string(*v);
    } else if (name == "--default-config-id") {
      auto v = value();
      if (!v || v->empty()) return fail("needs a config id");
      service.default_config_id = std::string(*v);
    } else if (name == "--prefix") {
      auto v = value();
      if (!v || v->empty() || v->front() != '/') return fail("needs a path starting with '/'");
      server.prefix = std::string(*v);
    } else if (name == "--threads") {
      auto v = value();
      if (!v || !parse_number<unsigned>(*v, 1, 1024, &server.threads)) {
        return fail("needs a number of threads (1-1024)");
      }
    } else if (name == "--handler-threads") {
      auto v = value();
      if (!v || !parse_number<unsigned>(*v, 1, 4096, &server.handler_threads)) {
        return fail("needs a number of threads (1-4096)");
      }
    } else if (name == "--data-dir") {
      auto v = value();
      if (!v || v->empty()) return fail("needs a folder");
      service.data_dir = std::string(*v);
    } else if (name == "--max-body-bytes") {
      auto v = value();
      if (!v || !parse_number<size_t>(*v, 1, size_t{1} << 34, &server.max_body_bytes)) {
        return fail("needs a number of bytes");
      }
    } else if (name == "--max-concurrent") {
      auto v = value();
      if (!v || !parse_number<unsigned>(*v, 1, 1'000'000, &server.max_concurrent_requests)) {
        return fail("needs a positive number");
      }
    } else if (name == "--header-timeout") {
      if (!millis(&server.header_timeout)) return fail("needs milliseconds (1-86400000)");
    } else if (name == "--body-timeout") {
      if (!millis(&server.body_timeout)) return fail("needs milliseconds (1-86400000)");
    } else if (name == "--write-timeout") {
      if (!millis(&server.write_timeout)) return fail("needs milliseconds (1-86400000)");
    } else if (name == "--shutdown-grace") {
      if (!millis(&server.shutdown_grace)) return fail("needs milliseconds (1-86400000)");
    } else if (name == "--auto-reload" && no_value()) {
      service.auto_reload = true;
    } else if (name == "--disable-chat-ui" && no_value()) {
      server.disable_chat_ui = true;
    } else if (name == "--no-access-log" && no_value()) {
      server.access_log = false;
    } else {
      std::cerr << "railguard server: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (service.config_path.empty()) {
    std::cerr << "railguard server: --config DIR is required\n" << kUsage;
    return 2;
  }
  return 0;
}

}  // namespace

int server_command(int argc, char** argv) {
  ServerCommandOptions options;
  if (int status = parse_args(argc, argv, &options); status != 0) return status < 0 ? 0 : status;
  options.server.handle_signals = true;

  auto metrics = std::make_shared<srv::Metrics>();
  std::string error;
  std::shared_ptr<srv::ApiService> service =
      srv::make_api_service(options.service, metrics.get(), &error);
  if (!service) {
    std::cerr << "railguard server: " << (error.empty() ? "the service did not start" : error)
              << "\n";
    return 1;
  }
  srv::HttpServer server(options.server, service, metrics);
  if (!server.listen(&error)) {
    std::cerr << "railguard server: " << error << "\n";
    return 1;
  }
  const auto& s = options.server;
  std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  std::cerr << "railguard server: listening on http://" << host << ":" << server.port()
            << s.prefix << "/ (config " << options.service.config_path << ")" << std::endl;
  if (!server.run(&error)) {
    std::cerr << "railguard server: " << error << "\n";
    return 1;
  }
  std::cerr << "railguard server: stopped\n";
  if (server.abandoned_requests() > 0) {
    // Handler threads still run those requests; exit without destroying
    // what they use.
    std::cerr.flush();
    std::_Exit(0);
  }
  return 0;
}

}  // namespace rg::cli
