#include "rails/cli/chat_command.h"

#include <editline/readline.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "colang/value_json.h"
#include "rails/cli/colang_loader.h"
#include "rails/config/rails_config.h"
#include "rails/dialog/llm_setup.h"
#include "rails/dialog/rails_v1.h"
#include "runtime/flow_library.h"
#include "rails/actions/llm_actions.h"
#include "rails/actions/rail_actions.h"
#include "rails/actions/system_actions.h"
#include "rails/prompts/task_prompt_renderer.h"
#include "runtime/session.h"

namespace rg::cli {
namespace {

constexpr size_t kRecentEventCapacity = 100;

constexpr std::string_view kUsage =
    "usage: railguard chat --config DIR [--verbose] [--seed N]\n"
    "\n"
    "  --config DIR  the config folder: every .co under it, plus config.yml\n"
    "  --verbose     on stderr: every LLM call (task, time, prompt, completion)\n"
    "                and the rails each turn went through (Colang 1.0), or every\n"
    "                event entering (> in:) and leaving (< out:) the state\n"
    "                machine as JSON (Colang 2.x)\n"
    "  --seed N      seed for uids and rand() (default 1)\n";

constexpr std::string_view kDebugHelp =
    "!flows          every flow in the library\n"
    "!active         flow instances that have not finished or stopped\n"
    "!events [N]     the last N events (default: all kept, at most 100)\n"
    "!state          the whole conversation state as JSON\n"
    "!reset          start the conversation again\n"
    "!help           this list\n"
    "!quit           end (so does end of input)\n";

struct ChatOptions {
  std::string config_dir;
  bool verbose = false;
  uint64_t seed = 1;
};

// Returns false (after printing why) when the arguments are unusable.
bool parse_args(int argc, char** argv, ChatOptions* options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view name) -> std::optional<std::string> {
      if (arg.size() > name.size() && arg.substr(0, name.size()) == name &&
          arg[name.size()] == '=') {
        return std::string(arg.substr(name.size() + 1));
      }
      if (arg == name) {
        if (i + 1 >= argc) return std::nullopt;
        return std::string(argv[++i]);
      }
      return std::nullopt;
    };
    auto is = [&](std::string_view name) {
      return arg == name || (arg.substr(0, name.size()) == name && arg.size() > name.size() &&
                             arg[name.size()] == '=');
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--verbose" || arg == "-v") {
      options->verbose = true;
    } else if (is("--config")) {
      auto v = value("--config");
      if (!v) {
        std::cerr << "railguard chat: --config needs a folder\n";
        return false;
      }
      options->config_dir = *v;
    } else if (is("--seed")) {
      auto v = value("--seed");
      char* end = nullptr;
      unsigned long long seed = v ? std::strtoull(v->c_str(), &end, 10) : 0;
      if (!v || v->empty() || *end != '\0') {
        std::cerr << "railguard chat: --seed needs a non-negative integer\n";
        return false;
      }
      options->seed = seed;
    } else {
      std::cerr << "railguard chat: unknown argument '" << arg << "'\n" << kUsage;
      return false;
    }
  }
  if (options->config_dir.empty()) {
    std::cerr << "railguard chat: --config DIR is required\n" << kUsage;
    return false;
  }
  return true;
}

std::string event_json(const colang::Dict& event) {
  return colang::to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Reads user input: libedit on a terminal, plain lines otherwise. A line
// ending in a backslash continues on the next one (joined with "\n").
class InputReader {
 public:
  explicit InputReader(bool tty) : tty_(tty) {}

  std::optional<std::string> next() {
    std::string text;
    bool continued = false;
    while (true) {
      std::optional<std::string> line = read_line(continued ? "... " : "> ");
      if (!line) {
        if (continued) return text;  // end of input inside a continuation
        return std::nullopt;
      }
      if (!line->empty() && line->back() == '\\') {
        line->pop_back();
        text += *line;
        text += '\n';
        continued = true;
        continue;
      }
      text += *line;
      break;
    }
    if (tty_ && !text.empty()) add_history(text.c_str());
    return text;
  }

 private:
  std::optional<std::string> read_line(const char* prompt) {
    if (tty_) {
      char* raw = readline(prompt);
      if (raw == nullptr) return std::nullopt;
      std::string line(raw);
      std::free(raw);
      return line;
    }
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }

  bool tty_;
};

class Chat {
 public:
  Chat(std::shared_ptr<const runtime::FlowLibrary> library, const ChatOptions& options, bool tty,
       std::shared_ptr<llm::LlmClient> llm, rails::LlmActionsOptions llm_options,
       rails::RailActionsOptions rail_options = {})
      : library_(library), options_(options), tty_(tty) {
    runtime::SessionOptions session_options;
    session_options.seed = options.seed;
    session_options.on_event = [this](std::string_view direction, const colang::Dict& event) {
      on_event(direction, event);
    };
    // System actions run here; LLM actions go to the config's models (with
    // none, they fail with "no LLM configured for task X").
    auto actions = std::make_shared<rails::ActionRegistry>();
    rails::register_system_actions(*actions);
    // `$system.config` in flows (the rails library reads enable_rails_exceptions).
    if (llm_options.config) session_options.system_config = colang::Value(llm_options.config->raw);
    rails::register_llm_actions(*actions, llm, std::move(llm_options));
    // The rails library's actions (SelfCheckInputAction, ...).
    rails::register_rail_actions(*actions, std::move(llm), std::move(rail_options));
    session_options.actions = std::move(actions);
    session_ = std::make_unique<runtime::Session>(std::move(library), std::move(session_options));
  }

  int run() {
    if (!guarded([&] { print_bot(session_->start()); })) return 1;
    InputReader input(tty_);
    while (std::optional<std::string> line = input.next()) {
      if (line->find_first_not_of(" \t\n") == std::string::npos) continue;
      if ((*line)[0] == '!') {
        if (!debug_command(*line)) break;
        continue;
      }
      if (!guarded([&] { print_bot(session_->user_said(*line)); }) && !tty_) return 1;
    }
    if (tty_) std::cout << "\n";
    return 0;
  }

 private:
  // Runs `fn`; a runtime failure is printed and reported as false.
  template <typename Fn>
  bool guarded(Fn fn) {
    try {
      fn();
      return true;
    } catch (const runtime::ActionError& e) {
      print_bot(e.utterances_before);
      std::cerr << "error: " << e.what() << "\n";
      return false;
    } catch (const std::exception& e) {
      std::cout.flush();
      std::cerr << "error: " << e.what() << "\n";
      return false;
    }
  }

  void print_bot(const std::vector<std::string>& utterances) {
    for (const std::string& text : utterances) {
      if (tty_) std::cout << "bot> ";
      std::cout << text << "\n";
    }
    std::cout.flush();
  }

  void on_event(std::string_view direction, const colang::Dict& event) {
    std::string line = (direction == "in" ? "> in: " : "< out: ") + event_json(event);
    if (options_.verbose) std::cerr << line << "\n";
    recent_events_.push_back(std::move(line));
    if (recent_events_.size() > kRecentEventCapacity) recent_events_.pop_front();
  }

  // Returns false when the conversation should end.
  bool debug_command(const std::string& line) {
    std::string_view rest = line;
    rest.remove_prefix(1);
    size_t space = rest.find_first_of(" \t");
    std::string_view name = rest.substr(0, space);
    std::string_view arg =
        space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    while (!arg.empty() && (arg.front() == ' ' || arg.front() == '\t')) arg.remove_prefix(1);

    if (name == "quit" || name == "exit") return false;
    if (name == "help") {
      std::cout << kDebugHelp;
    } else if (name == "flows") {
      for (const std::string& id : library_->flow_ids()) std::cout << id << "\n";
    } else if (name == "active") {
      guarded([&] { print_active(); });
    } else if (name == "events") {
      size_t n = recent_events_.size();
      if (!arg.empty()) {
        char* end = nullptr;
        std::string text(arg);
        unsigned long requested = std::strtoul(text.c_str(), &end, 10);
        if (*end != '\0') {
          std::cerr << "!events takes a number\n";
          return true;
        }
        n = std::min<size_t>(n, requested);
      }
      for (size_t i = recent_events_.size() - n; i < recent_events_.size(); ++i) {
        std::cout << recent_events_[i] << "\n";
      }
    } else if (name == "state") {
      guarded([&] { std::cout << session_->state_json() << "\n"; });
    } else if (name == "reset") {
      recent_events_.clear();
      guarded([&] {
        session_->reset();
        print_bot(session_->start());
      });
    } else {
      std::cerr << "unknown command !" << name << " (try !help)\n";
    }
    std::cout.flush();
    return true;
  }

  void print_active() {
    for (const runtime::FlowSummary& flow : session_->flows()) {
      if (flow.status == "finished" || flow.status == "stopped") continue;
      std::cout << flow.flow_id << "  uid=" << flow.uid << "  status=" << flow.status;
      if (flow.activated > 0) std::cout << "  activated=" << flow.activated;
      if (!flow.loop_id.empty()) std::cout << "  loop=" << flow.loop_id;
      if (!flow.waiting_on.empty()) {
        std::cout << "  waiting on:";
        for (size_t i = 0; i < flow.waiting_on.size(); ++i) {
          std::cout << (i == 0 ? " " : " | ") << flow.waiting_on[i];
        }
      }
      std::cout << "\n";
    }
  }

  std::shared_ptr<const runtime::FlowLibrary> library_;
  ChatOptions options_;
  bool tty_;
  std::unique_ptr<runtime::Session> session_;
  std::deque<std::string> recent_events_;
};

// A Colang 1.0 config: the whole conversation goes through the turn
// pipeline for every user message, as the reference's chat does.
class ChatV1 {
 public:
  ChatV1(std::shared_ptr<const rails::dialog::DialogRailsV1> rails, bool verbose, bool tty)
      : rails_(std::move(rails)), verbose_(verbose), tty_(tty) {}

  int run() {
    InputReader input(tty_);
    while (std::optional<std::string> line = input.next()) {
      if (line->find_first_not_of(" \t\n") == std::string::npos) continue;
      if (*line == "!quit" || *line == "!exit") break;
      if (*line == "!reset") {
        messages_.clear();
        continue;
      }
      if (*line == "!help") {
        std::cout << "!reset  start the conversation again\n!quit   end (so does end of input)\n";
        continue;
      }
      messages_.push_back({"user", *line});
      rails::dialog::GenerationOptions options;
      rails::dialog::GenerationResult r = rails_->generate(messages_, options);
      if (verbose_) print_rails(r);
      if (!r.error.empty()) std::cerr << "error: " << r.error << "\n";
      if (r.message.content.is_str()) {
        if (tty_) std::cout << "bot> ";
        std::cout << r.message.content.as_str() << "\n";
      } else {
        std::cout << r.message.role << ": " << event_json(r.message.content.is_dict() ? r.message.content.as_dict() : colang::Dict{}) << "\n";
      }
      std::cout.flush();
      messages_.push_back(r.message);
      if (!r.error.empty() && !tty_) return 1;
    }
    if (tty_) std::cout << "\n";
    return 0;
  }

  static void print_llm_call(const rails::dialog::LlmCallInfo& c) {
    std::cerr << "[llm] " << c.task << " (" << static_cast<long>(c.duration * 1000 + 0.5) << " ms";
    if (c.total_tokens) std::cerr << ", " << c.total_tokens << " tokens";
    std::cerr << ")\n--- prompt\n" << c.prompt << "\n--- completion\n" << c.completion << "\n---\n";
  }

 private:
  static void print_rails(const rails::dialog::GenerationResult& r) {
    for (const auto& rail : r.activated_rails) {
      std::cerr << "[rail] " << rail.type << " '" << rail.name << "':";
      for (const auto& d : rail.decisions) std::cerr << " " << d << ";";
      if (rail.stop) std::cerr << " (stopped the turn)";
      std::cerr << "\n";
    }
  }

  std::shared_ptr<const rails::dialog::DialogRailsV1> rails_;
  bool verbose_;
  bool tty_;
  std::vector<rails::dialog::ChatMessage> messages_;
};

void print_diagnostics(const std::vector<colang::Diagnostic>& diagnostics) {
  for (const colang::Diagnostic& d : diagnostics) std::cerr << d.render() << "\n";
}

}  // namespace

int chat_command(int argc, char** argv) {
  ChatOptions options;
  if (!parse_args(argc, argv, &options)) return 2;

  rails::config::LoadOptions load_options;
  load_options.library_flows = rails::dialog::library_v1_flow_names();
  rails::config::LoadResult config = rails::config::load_rails_config(options.config_dir, load_options);
  // Warnings are shown; errors stop the chat.
  print_diagnostics(config.diagnostics);
  if (!config.ok()) return 1;
  auto router = rails::dialog::make_model_router(*config.config);
  if (!router.ok()) {
    std::cerr << "railguard chat: " << (router.error().where.empty() ? "" : router.error().where + ": ")
              << router.error().message << "\n";
    return 1;
  }
  bool tty = ::isatty(STDIN_FILENO) != 0;

  if (config.config->colang_version == "1.0") {
    rails::dialog::DialogOptions dialog_options;
    dialog_options.seed = options.seed;
    if (options.verbose) dialog_options.on_llm_call = &ChatV1::print_llm_call;
    std::string error;
    auto rails = rails::dialog::DialogRailsV1::create(config.config, router.value(), dialog_options, &error);
    if (!rails) {
      std::cerr << "railguard chat: " << error << "\n";
      return 1;
    }
    ChatV1 chat(std::move(rails), options.verbose, tty);
    return chat.run();
  }

  LoadedColang loaded = load_config_dir(options.config_dir, loader_options_from_env());
  if (!loaded.ok()) {
    print_diagnostics(loaded.diagnostics);
    return 1;
  }
  runtime::FlowLibrary::BuildResult built = runtime::FlowLibrary::build(loaded.files);
  print_diagnostics(built.diagnostics);
  if (built.library == nullptr || colang::has_errors(built.diagnostics)) return 1;
  if (built.library->find("main") == nullptr) {
    std::cerr << "railguard chat: no flow 'main' in " << options.config_dir << "\n";
    return 1;
  }

  // The LLM actions' prompts: the built-in ones plus the config's, with its
  // general instructions and sample conversation.
  rails::prompts::PromptsConfig prompts_config = rails::dialog::prompts_config_for(*config.config);
  auto renderer = rails::prompts::TaskPromptRenderer::create(prompts_config);
  if (!renderer.ok()) {
    std::cerr << "railguard chat: " << renderer.error().to_string() << "\n";
    return 1;
  }
  rails::LlmActionsOptions llm_options;
  llm_options.renderer = renderer.value();
  llm_options.model = rails::main_model_id(*config.config);
  llm_options.config = config.config;
  {
    rails::embeddings::EmbedderPool embedders;
    std::string why;
    llm_options.indexer = rails::embeddings::ConfigIndexer::create(*config.config, embedders, {}, &why);
    if (!llm_options.indexer) {
      std::cerr << "railguard chat: " << why << "\n";
      return 1;
    }
  }

  rails::RailActionsOptions rail_options;
  rail_options.renderer = llm_options.renderer;
  rail_options.model = llm_options.model;
  rail_options.config = config.config;
  {
    std::string why;
    rail_options.detectors = rails::RailDetectors::create(*config.config, &why);
    if (!rail_options.detectors) {
      std::cerr << "railguard chat: " << why << "\n";
      return 1;
    }
  }
  Chat chat(std::move(built.library), options, tty, router.value(), std::move(llm_options), std::move(rail_options));
  return chat.run();
}

}  // namespace rg::cli
