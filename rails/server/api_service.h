// The rails server's endpoints behind the ApiService seam (api.h):
//
//   GET  /v1/rails/configs     [{"id": ...}]
//   GET  /v1/models            OpenAI models list (one model per config id)
//   POST /v1/chat/completions  NeMo-Guardrails shape (config_id, messages, options,
//                              state, thread_id, context, stream) or, with `model`
//                              and no config_id, the OpenAI chat.completion shape
//
// The HTTP layer builds one service at start-up and calls handle() from any
// number of threads:
//
//   ServiceOptions options;
//   options.config_path = "examples";
//   std::string error;
//   auto service = make_api_service(options, &metrics, &error);
//   if (!service) die(error);
//
// Responses are whole: the guarded answer (input, dialog and output rails
// all run) is produced first, then, for stream: true, sent in word-sized
// chunks. See rails/server/README.md for every endpoint with an example.
#pragma once

#if __has_include("rails/server/api_service_factory.h")
#include "rails/server/api_service_factory.h"
#else

#include <memory>
#include <string>

#include "rails/server/api.h"

namespace rg::rails::server {

struct ServiceOptions {
  std::string config_path;        // one config, or a folder of configs
  std::string default_config_id;  // used when a request names none
  bool auto_reload = false;       // reload a config when its files change
  std::string data_dir;           // threads.db lives here; "" = "./.railguard"
};

// Null with `error` set when the config folder or the thread database cannot
// be opened. `metrics` may be null; it must outlive the service.
std::shared_ptr<ApiService> make_api_service(const ServiceOptions& options, MetricsSink* metrics,
                                             std::string* error);

}  // namespace rg::rails::server

#endif
