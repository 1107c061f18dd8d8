// Finds a sentence-encoder folder (config.json + model.safetensors +
// tokenizer.json) for a model name from a config, without downloading
// anything. Looked at, in order:
//   1. the name as a path: absolute, or relative to the config folder, then
//      to the working directory;
//   2. each folder of $RAILGUARD_MODELS (':'-separated): <dir>/<name>, then
//      <dir>/<last part of name>;
//   3. <config folder>/models/<last part of name>;
//   4. the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else
//      ~/.cache/huggingface/hub): models--<org>--<name>/snapshots/<rev>/, where
//      a bare name gets the org "sentence-transformers" as the reference's
//      SentenceTransformers engine does (`all-MiniLM-L6-v2`);
//   5. ~/.cache/railguard/models/<last part of name>.
// `looked_in` lists every place tried, for the message when none has it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rg::rails::embeddings {

struct ModelSearch {
  std::optional<std::filesystem::path> found;
  std::vector<std::string> looked_in;
};

// True when `dir` holds config.json, model.safetensors and tokenizer.json.
bool is_encoder_folder(const std::filesystem::path& dir);

ModelSearch locate_encoder_model(const std::string& name, const std::filesystem::path& config_dir);

// True when `name` is written as a path ("./m", "/opt/m", "~/m", "m/"), so
// that not finding it is an error rather than a reason to fall back.
bool names_a_path(const std::string& name);

}  // namespace rg::rails::embeddings
