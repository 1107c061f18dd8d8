#include "rails/config/yaml_merge.h"

#include <fnmatch.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <yaml-cpp/yaml.h>

#include "rails/config/yaml_value.h"

namespace rg::rails::config {

namespace fs = std::filesystem;
using colang::Dict;
using colang::Value;

namespace {

enum class Rule { kDictMerge, kListConcat, kUniqueAppend, kFirstNonNull, kReplace };

// The merge rule of each known top-level key (spec 1.2). Keys not listed are
// unknown and go to custom_data.
const std::vector<std::pair<std::string_view, Rule>>& rules() {
  static const std::vector<std::pair<std::string_view, Rule>> kRules = {
      {"user_messages", Rule::kDictMerge},
      {"bot_messages", Rule::kDictMerge},
      {"instructions", Rule::kListConcat},
      {"flows", Rule::kListConcat},
      {"models", Rule::kListConcat},
      {"prompts", Rule::kListConcat},
      {"docs", Rule::kListConcat},
      {"import_paths", Rule::kUniqueAppend},
      {"actions_server_url", Rule::kFirstNonNull},
      {"sample_conversation", Rule::kReplace},
      {"lowest_temperature", Rule::kReplace},
      {"enable_multi_step_generation", Rule::kReplace},
      {"colang_version", Rule::kReplace},
      {"custom_data", Rule::kReplace},
      {"prompting_mode", Rule::kReplace},
      {"knowledge_base", Rule::kReplace},
      {"core", Rule::kReplace},
      {"rails", Rule::kReplace},
      {"streaming", Rule::kReplace},
      {"passthrough", Rule::kReplace},
      {"raw_llm_call_action", Rule::kReplace},
      {"enable_rails_exceptions", Rule::kReplace},
      {"tracing", Rule::kReplace},
  };
  return kRules;
}

const Rule* rule_for(std::string_view key) {
  for (const auto& [k, r] : rules())
    if (k == key) return &r;
  return nullptr;
}

colang::Diagnostic error_at(const fs::path& file, const YAML::Mark& mark, std::string message) {
  colang::Diagnostic d;
  d.file = file.string();
  if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  d.code = "config";
  d.message = std::move(message);
  return d;
}

bool hidden(const fs::path& p) {
  std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

bool ignored(const fs::path& p, const std::vector<std::string>& patterns) {
  std::string base = p.filename().string();
  for (const auto& g : patterns)
    if (fnmatch(g.c_str(), base.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace

std::vector<std::string> railsignore_patterns(const fs::path& dir) {
  std::error_code ec;
  for (fs::path p = fs::absolute(dir, ec); !p.empty(); p = p.parent_path()) {
    fs::path candidate = p / ".railsignore";
    if (fs::is_regular_file(candidate, ec)) {
      std::vector<std::string> patterns;
      std::ifstream in(candidate);
      std::string line;
      while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty() && line[0] != '#') patterns.push_back(line);
      }
      return patterns;
    }
    if (p == p.root_path()) break;
  }
  return {};
}

std::vector<fs::path> find_yaml_files(const fs::path& dir, const std::vector<std::string>& ignore) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::follow_directory_symlink, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    if (hidden(p) || ignored(p, ignore)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    std::string ext = p.extension().string();
    if (it->is_regular_file(ec) && (ext == ".yml" || ext == ".yaml")) files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  return files;
}

namespace {

// Records where every node under `node` was written.
void record_locations(const YAML::Node& node, const std::string& path, const std::string& file,
                      std::map<std::string, YamlLocation>* out) {
  if (!node.Mark().is_null())
    (*out)[path] = {file, node.Mark().line + 1, node.Mark().column + 1};
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string child = path + "." + kv.first.Scalar();
      // The key's own mark is the better place for a mapping or a null value.
      (*out)[child] = {file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
      record_locations(kv.second, child, file, out);
      if (!kv.second.IsScalar() || kv.second.IsNull())
        (*out)[child] = {file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i)
      record_locations(node[i], path + "[" + std::to_string(i) + "]", file, out);
  }
}

// Drops the recorded locations of `key` and everything under it.
void forget_locations(const std::string& key, std::map<std::string, YamlLocation>* out) {
  for (auto it = out->lower_bound(key); it != out->end() && it->first.compare(0, key.size(), key) == 0;) {
    char next = it->first.size() > key.size() ? it->first[key.size()] : '\0';
    if (next == '\0' || next == '.' || next == '[') {
      it = out->erase(it);
    } else {
      ++it;
    }
  }
}

void merge_root(const std::string& file, const YAML::Node& root, MergedYaml* merged, Dict* unknown) {
  MergedYaml& out = *merged;
  if (!root || root.IsNull()) return;  // an empty file is fine
  if (!root.IsMap()) {
    out.diagnostics.push_back(error_at(file, root.Mark(), "a config file must be a mapping of settings"));
    return;
  }
  for (const auto& kv : root) {
    std::string key = kv.first.Scalar();
    const YAML::Node& node = kv.second;
    Value value = yaml_to_value(node);
    const Rule* rule = rule_for(key);
    if (!rule) {
      unknown->set(key, std::move(value));
      std::map<std::string, YamlLocation> locs;
      record_locations(node, "custom_data." + key, file, &locs);
      locs["custom_data." + key] = {file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
      for (auto& [k, l] : locs) out.locations[k] = l;
      continue;
    }
    Value* current = out.data.find(key);
    std::map<std::string, YamlLocation> locs;
    record_locations(node, key, file, &locs);
    locs[key] = {file, kv.first.Mark().line + 1, kv.first.Mark().column + 1};
    switch (*rule) {
      case Rule::kDictMerge: {
        if (value.is_none()) break;
        if (!value.is_dict()) {
          out.diagnostics.push_back(error_at(file, node.Mark(), "'" + key + "' must be a mapping"));
          break;
        }
        if (!current || !current->is_dict()) {
          out.data.set(key, std::move(value));
        } else {
          for (const auto& [k, v] : value.as_dict()) current->as_dict_mut().set(k, v);
        }
        for (auto& [k, l] : locs) out.locations[k] = l;
        break;
      }
      case Rule::kListConcat:
      case Rule::kUniqueAppend: {
        if (value.is_none()) break;
        if (!value.is_list()) {
          out.diagnostics.push_back(error_at(file, node.Mark(), "'" + key + "' must be a list"));
          break;
        }
        if (!current || !current->is_list()) {
          out.data.set(key, Value(colang::List{}));
          current = out.data.find(key);
        }
        colang::List& list = current->as_list_mut();
        if (!out.locations.count(key)) out.locations[key] = locs[key];
        for (size_t i = 0; i < value.as_list().size(); ++i) {
          const Value& item = value.as_list()[i];
          if (*rule == Rule::kUniqueAppend &&
              std::find(list.begin(), list.end(), item) != list.end())
            continue;
          // Re-key this item's locations to its index in the merged list.
          std::string from = key + "[" + std::to_string(i) + "]";
          std::string to = key + "[" + std::to_string(list.size()) + "]";
          for (auto it = locs.lower_bound(from); it != locs.end(); ++it) {
            if (it->first.compare(0, from.size(), from) != 0) break;
            char next = it->first.size() > from.size() ? it->first[from.size()] : '\0';
            if (next != '\0' && next != '.' && next != '[') continue;
            out.locations[to + it->first.substr(from.size())] = it->second;
          }
          list.push_back(item);
        }
        break;
      }
      case Rule::kFirstNonNull:
        if (!current || current->is_none()) {
          out.data.set(key, std::move(value));
          forget_locations(key, &out.locations);
          for (auto& [k, l] : locs) out.locations[k] = l;
        }
        break;
      case Rule::kReplace:
        out.data.set(key, std::move(value));
        forget_locations(key, &out.locations);
        for (auto& [k, l] : locs) out.locations[k] = l;
        break;
    }
  }
}

void finish(Dict unknown, MergedYaml* out) {
  if (unknown.empty()) return;
  Value* custom = out->data.find("custom_data");
  if (!custom || !custom->is_dict()) {
    out->data.set("custom_data", Value(Dict{}));
    custom = out->data.find("custom_data");
  }
  for (const auto& [k, v] : unknown) custom->as_dict_mut().set(k, v);
}

}  // namespace

const YamlLocation* MergedYaml::location(const std::string& path) const {
  auto it = locations.find(path);
  return it == locations.end() ? nullptr : &it->second;
}

MergedYaml merge_yaml_files(const std::vector<fs::path>& files) {
  MergedYaml out;
  Dict unknown;
  for (const fs::path& file : files) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
      out.diagnostics.push_back(error_at(file, e.mark, "invalid YAML: " + e.msg));
      continue;
    }
    out.files.push_back(file);
    merge_root(file.string(), root, &out, &unknown);
  }
  finish(std::move(unknown), &out);
  return out;
}

MergedYaml merge_yaml_text(const std::string& name, const std::string& text) {
  MergedYaml out;
  Dict unknown;
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    out.diagnostics.push_back(error_at(name, e.mark, "invalid YAML: " + e.msg));
    return out;
  }
  merge_root(name, root, &out, &unknown);
  finish(std::move(unknown), &out);
  return out;
}

MergedYaml load_config_yaml(const fs::path& dir) {
  return merge_yaml_files(find_yaml_files(dir, railsignore_patterns(dir)));
}

}  // namespace rg::rails::config
