// Merging the YAML files of a config folder (rails/config/yaml_merge.h).
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "rails/config/yaml_merge.h"

namespace fs = std::filesystem;
using rg::colang::Value;
using namespace rg::rails::config;

namespace {
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/rg-yaml-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
  }
};
const Value& at(const MergedYaml& m, const char* key) {
  static const Value none;
  const Value* v = m.data.find(key);
  return v ? *v : none;
}
}  // namespace

TEST_CASE("files merge in sorted path order with the per-key rules") {
  TempDir d;
  d.write("b.yml",
          "models:\n  - type: embeddings\n    engine: x\ninstructions:\n  - type: general\n    "
          "content: B\nuser_messages:\n  greet: [\"hi\"]\n  bye: [\"bye\"]\nimport_paths: [one, two]\n"
          "colang_version: \"2.x\"\nactions_server_url: null\n");
  d.write("a/config.yml",
          "models:\n  - type: main\n    engine: openai\n    model: m\nuser_messages:\n  greet: "
          "[\"hello\"]\nimport_paths: [two]\ncolang_version: \"1.0\"\nactions_server_url: "
          "http://x\nlowest_temperature: 0.1\nmy_setting: 5\n");
  d.write("c.yaml", "user_messages:\n  greet: [\"hey\"]\nimport_paths: [three, one]\n");
  MergedYaml m = load_config_yaml(d.path);
  REQUIRE(m.ok());
  REQUIRE(m.files.size() == 3);
  CHECK(m.files[0].filename() == "config.yml");  // a/config.yml sorts before b.yml
  // models: concatenated in file order
  REQUIRE(at(m, "models").as_list().size() == 2);
  CHECK(*at(m, "models").as_list()[0].as_dict().find("type") == Value("main"));
  // user_messages: dict-merge, later file wins per key
  const auto& um = at(m, "user_messages").as_dict();
  CHECK(*um.find("greet") == Value(rg::colang::List{Value("hey")}));
  CHECK(um.contains("bye"));
  // import_paths: appended without duplicates
  CHECK(at(m, "import_paths") ==
        Value(rg::colang::List{Value("two"), Value("one"), Value("three")}));
  // colang_version: whole-value replace, last file wins
  CHECK(at(m, "colang_version") == Value("2.x"));
  // actions_server_url: the first non-null
  CHECK(at(m, "actions_server_url") == Value("http://x"));
  CHECK(at(m, "lowest_temperature") == Value(0.1));
  // unknown keys go to custom_data
  CHECK(*at(m, "custom_data").as_dict().find("my_setting") == Value(5));
}

TEST_CASE("YAML scalars read as Python's safe_load reads them") {
  TempDir d;
  d.write("config.yml", "a: True\nb: \"True\"\nc: ~\nd: 10\ne: 1.5\nf: text\n");
  MergedYaml m = load_config_yaml(d.path);
  const auto& custom = at(m, "custom_data").as_dict();
  CHECK(*custom.find("a") == Value(true));
  CHECK(*custom.find("b") == Value("True"));
  CHECK(custom.find("c")->is_none());
  CHECK(*custom.find("d") == Value(10));
  CHECK(*custom.find("e") == Value(1.5));
  CHECK(*custom.find("f") == Value("text"));
}

TEST_CASE("bad input is reported with file, key and line") {
  TempDir d;
  d.write("config.yml", "models:\n  type: main\n");
  d.write("broken.yml", "a: [1, 2\n");
  MergedYaml m = load_config_yaml(d.path);
  REQUIRE_FALSE(m.ok());
  bool saw_type = false, saw_syntax = false;
  for (const auto& diag : m.diagnostics) {
    if (diag.message.find("'models' must be a list") != std::string::npos) {
      saw_type = true;
      CHECK(diag.file.find("config.yml") != std::string::npos);
      CHECK(diag.line == 2);
    }
    if (diag.message.find("invalid YAML") != std::string::npos) {
      saw_syntax = true;
      CHECK(diag.file.find("broken.yml") != std::string::npos);
      CHECK(diag.line > 0);
    }
  }
  CHECK(saw_type);
  CHECK(saw_syntax);
}

TEST_CASE(".railsignore patterns skip files by basename; hidden files are skipped") {
  TempDir d;
  d.write(".railsignore", "# comment\nskip*.yml\n");
  d.write("config.yml", "colang_version: \"2.x\"\n");
  d.write("sub/skip_me.yml", "colang_version: \"1.0\"\n");
  d.write(".hidden.yml", "colang_version: \"1.0\"\n");
  MergedYaml m = load_config_yaml(d.path);
  CHECK(m.files.size() == 1);
  CHECK(at(m, "colang_version") == Value("2.x"));
}
