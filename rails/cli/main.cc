// railguard: command-line entry point. Each subcommand lives in its own
// <name>_command.{h,cc}; this file only dispatches.
#include <iostream>
#include <string_view>

#include "rails/cli/chat_command.h"
#include "rails/cli/check_command.h"
#include "rails/cli/convert_command.h"
#include "rails/cli/eval_command.h"
#include "rails/cli/generate_command.h"
#include "rails/cli/index_command.h"
#ifdef RG_HAVE_SERVER
#include "rails/cli/server_command.h"
#endif

#ifndef RG_VERSION
#error "RG_VERSION must be defined by the build (rails/cli/CMakeLists.txt)"
#endif

namespace {

constexpr std::string_view kUsage =
    "usage: railguard <command> [options]\n"
    "\n"
    "commands:\n"
    "  chat --config DIR [--verbose] [--seed N]   talk to a Colang 2.x config\n"
    "  check PATH...                              parse and validate .co files / config folders\n"
    "  convert --model HF_DIR --out FILE.gguf     write an HF Llama/Mistral/Qwen2 folder as GGUF\n"
    "  eval --config DIR --dataset FILE.jsonl     measure a config's rails on labelled examples\n"
    "  generate --model M --prompt P [--chat]     run a local model on one prompt (prints tok/s)\n"
    "  index --config DIR [--cache-dir DIR]       build and save a config's embedding indexes\n"
#ifdef RG_HAVE_SERVER
    "  server --config DIR [--port N] ...         the rails server (HTTP API, OpenAI API, chat page)\n"
#endif
    "\n"
    "  railguard <command> --help   options of one command\n"
    "  railguard --version          print the version\n";

}  // namespace

int main(int argc, char** argv) {
  std::string_view command = argc > 1 ? argv[1] : "";
  if (command == "chat") return rg::cli::chat_command(argc - 1, argv + 1);
  if (command == "check") return rg::cli::check_command(argc - 1, argv + 1);
  if (command == "convert") return rg::cli::convert_command(argc - 1, argv + 1);
  if (command == "index") return rg::cli::index_command(argc - 1, argv + 1);
  if (command == "eval") return rg::cli::eval_command(argc - 1, argv + 1);
  if (command == "generate") return rg::cli::generate_command(argc - 1, argv + 1);
#ifdef RG_HAVE_SERVER
  if (command == "server") return rg::cli::server_command(argc - 1, argv + 1);
#endif
  if (command == "--version" || command == "-v") {
    std::cout << "railguard " << RG_VERSION << "\n";
    return 0;
  }
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command.empty()) {
    std::cerr << kUsage;
  } else {
    std::cerr << "railguard: unknown command '" << command << "'\n" << kUsage;
  }
  return 2;
}
