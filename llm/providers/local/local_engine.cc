#include "llm/providers/local/local_engine.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <iostream>
#include <span>
#include <utility>

#include "kernels/ops.h"
#include "llm/providers/local/stop_strings.h"

namespace rg::llm::local {

namespace {

// Sessions kept for reuse; more concurrent calls than this create and free
// their own (a GPU session's KV cache can be hundreds of MB).
constexpr std::size_t kMaxIdleSessions = 4;
constexpr int kDefaultContext = 4096;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Thrown through generate()'s loop when the caller's callback throws, so the
// loop can tell the caller's exception from the engine's own failures.
struct CallbackThrew {};

}  // namespace

LocalEngine::~LocalEngine() {
  // Sessions before the model they belong to.
  idle_.clear();
  decoder_.reset();
}

Error LocalEngine::error(ErrorCode code, const std::string& what) const {
  return Error{code, "local model " + settings_.model_path + ": " + what, "local " + settings_.model_path};
}

Result<std::shared_ptr<LocalEngine>> LocalEngine::open(const LocalSettings& settings,
                                                        const NoticeCallback& notice) {
  std::shared_ptr<LocalEngine> e(new LocalEngine());
  e->settings_ = settings;
  const std::string& path = settings.model_path;
  if (path.empty()) return Error{ErrorCode::kBadConfig, "local: no model path given", "local model"};
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return e->error(ErrorCode::kBadConfig, "no such file or folder (expected a .gguf file or a Hugging Face model folder)");

  try {
    LoadOptions load;
    load.chat_template = settings.chat_template;
    e->model_ = load_model(path, load);
    e->tokenizer_ = Tokenizer::create(e->model_->tokenizer);
  } catch (const std::exception& ex) {
    return e->error(ErrorCode::kBadConfig, std::string("cannot load: ") + ex.what());
  }
  const kernels::DecoderConfig& config = e->model_->weights.config;

  const int max_positions = config.max_positions;
  if (settings.context > 0) {
    if (max_positions > 0 && settings.context > max_positions)
      return e->error(ErrorCode::kBadConfig,
                      "parameters.context " + std::to_string(settings.context) +
                          " exceeds the model's max_positions " + std::to_string(max_positions));
    e->context_ = settings.context;
  } else {
    e->context_ = max_positions > 0 ? std::min(kDefaultContext, max_positions) : kDefaultContext;
  }

  const NoticeCallback say =
      notice ? notice : NoticeCallback([](const std::string& line) { std::cerr << line << "\n"; });
  try {
    if (settings.device != Device::kCpu) {
      std::string gpu_error;
      if (settings.device == Device::kCuda || rg_cuda_device_count() > 0) {
        kernels::GpuDecoderOptions options;
        options.precision = settings.dtype == GpuDtype::kAuto
                                ? kernels::default_decoder_precision(e->model_->weights)
                                : settings.dtype == GpuDtype::kF16 ? kernels::DecoderPrecision::kF16
                                                                   : kernels::DecoderPrecision::kBF16;
        e->decoder_ = kernels::make_gpu_decoder(e->model_->weights, &gpu_error, options);
      } else {
        gpu_error = "no GPU visible";
      }
      if (!e->decoder_ && settings.device == Device::kCuda)
        return e->error(ErrorCode::kBadConfig, "device cuda: " + gpu_error);
      if (!e->decoder_)
        say("railguard: local model " + path + ": " + gpu_error +
            "; running on the CPU (device: cpu silences this)");
    }
    if (!e->decoder_) e->decoder_ = kernels::make_cpu_decoder(e->model_->weights, settings.threads);
  } catch (const std::exception& ex) {
    return e->error(ErrorCode::kBadConfig, std::string("cannot create the decoder: ") + ex.what());
  }

  // Stop ids: the tokenizer's (eos, end-of-turn) and those of the template's
  // end-of-turn texts, so a chat model stops after its turn either way.
  e->stop_ids_ = e->tokenizer_->stop_ids();
  if (e->tokenizer_->eos_id() >= 0) e->stop_ids_.push_back(e->tokenizer_->eos_id());
  if (e->model_->chat_template.ok()) {
    const auto extra = e->model_->chat_template.stop_ids(e->model_->tokenizer);
    e->stop_ids_.insert(e->stop_ids_.end(), extra.begin(), extra.end());
  }
  std::sort(e->stop_ids_.begin(), e->stop_ids_.end());
  e->stop_ids_.erase(std::unique(e->stop_ids_.begin(), e->stop_ids_.end()), e->stop_ids_.end());
  return e;
}

Result<std::vector<std::int32_t>> LocalEngine::encode_prompt(std::string_view prompt) const {
  try {
    return tokenizer_->encode(prompt, /*add_special=*/true, /*parse_special=*/true);
  } catch (const std::exception& ex) {
    return error(ErrorCode::kProvider, std::string("cannot encode the prompt: ") + ex.what());
  }
}

Result<std::vector<std::int32_t>> LocalEngine::encode_chat(const std::vector<Message>& messages) const {
  const ChatTemplate& tmpl = model_->chat_template;
  if (!tmpl.ok())
    return error(ErrorCode::kBadConfig,
                 "cannot render a chat: " + tmpl.error() +
                     " (set parameters.chat_template to one of llama3, llama3.1, llama2, mistral, "
                     "mistral-v3, chatml, qwen2)");
  std::vector<ChatMessage> chat;
  chat.reserve(messages.size());
  for (const Message& m : messages) chat.push_back({m.role, m.content});
  try {
    // The rendered text carries BOS itself; its special tokens are tokens.
    return tokenizer_->encode(tmpl.render(chat, /*add_generation_prompt=*/true),
                              /*add_special=*/false, /*parse_special=*/true);
  } catch (const std::exception& ex) {
    return error(ErrorCode::kProvider,
                 "cannot render the chat with template " + tmpl.name() + ": " + ex.what());
  }
}

std::unique_ptr<kernels::DecoderSession> LocalEngine::acquire_session() {
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      return s;
    }
  }
  return decoder_->new_session(context_);
}

void LocalEngine::release_session(std::unique_ptr<kernels::DecoderSession> session) {
  session->reset();
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (idle_.size() < kMaxIdleSessions) idle_.push_back(std::move(session));
}

Result<Generation> LocalEngine::generate(const std::vector<std::int32_t>& prompt,
                                         const GenerateOptions& options, const TextCallback& on_text) {
  Generation g;
  g.prompt_tokens = static_cast<int>(prompt.size());
  if (prompt.empty()) return error(ErrorCode::kProvider, "empty prompt (no tokens to start from)");
  if (g.prompt_tokens > context_)
    return error(ErrorCode::kProvider,
                 "prompt of " + std::to_string(g.prompt_tokens) + " tokens does not fit the context of " +
                     std::to_string(context_) + " tokens (parameters.context; the model allows " +
                     std::to_string(decoder_->config().max_positions) + ")");
  const int max_tokens = std::max(1, options.max_tokens);

  std::exception_ptr callback_error;
  StopStringFilter filter(options.stop);
  auto deliver = [&](const std::string& out) {
    if (out.empty()) return;
    g.text += out;
    if (!on_text) return;
    try {
      on_text(out);
    } catch (...) {
      callback_error = std::current_exception();
      throw CallbackThrew{};
    }
  };
  auto emit = [&](const std::string& piece) { deliver(filter.push(piece)); };

  // The session goes back to the pool however generate() leaves.
  struct Lease {
    LocalEngine* engine;
    std::unique_ptr<kernels::DecoderSession> session;
    ~Lease() {
      if (session) engine->release_session(std::move(session));
    }
  } lease{this, nullptr};

  try {
    lease.session = acquire_session();
    kernels::DecoderSession& session = *lease.session;
    StreamDecoder stream(tokenizer_, /*skip_special=*/true);
    auto is_stop = [&](std::int32_t id) {
      return std::binary_search(stop_ids_.begin(), stop_ids_.end(), id);
    };

    const auto t0 = Clock::now();
    std::int32_t token = session.prefill(std::span<const std::int32_t>(prompt), options.sampling);
    g.prefill_seconds = seconds_since(t0);
    const auto t1 = Clock::now();
    g.finish_reason = "length";
    for (;;) {
      ++g.completion_tokens;
      if (is_stop(token)) {
        g.finish_reason = "stop";
        break;
      }
      emit(stream.push(token));
      if (filter.stopped()) {
        g.finish_reason = "stop";
        break;
      }
      // The sampled token still has to enter the cache before the next one.
      if (g.completion_tokens >= max_tokens || session.position() >= session.capacity()) break;
      token = session.decode(token, options.sampling);
    }
    g.decode_seconds = seconds_since(t1);
    if (!filter.stopped()) emit(stream.finish());
    if (!filter.stopped()) deliver(filter.finish());
  } catch (const CallbackThrew&) {
    std::rethrow_exception(callback_error);
  } catch (const std::exception& ex) {
    return error(ErrorCode::kProvider, std::string("generation failed: ") + ex.what());
  }
  return g;
}

}  // namespace rg::llm::local
