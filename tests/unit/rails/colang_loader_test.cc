#include "rails/cli/colang_loader.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using rg::cli::find_colang_files;
using rg::cli::resolve_import;

namespace {

// A scratch folder removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rg_loader_test_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& relative, const std::string& text = "") const {
    fs::path p = path / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
};

}  // namespace

TEST_CASE("find_colang_files: recursive, sorted, hidden entries and other files skipped") {
  TempDir dir;
  dir.write("b.co");
  dir.write("a.co");
  dir.write("sub/c.co");
  dir.write("sub/notes.md");
  dir.write(".hidden/d.co");
  dir.write(".e.co");
  auto files = find_colang_files(dir.path);
  REQUIRE(files.size() == 3);
  CHECK(files[0] == dir.path / "a.co");
  CHECK(files[1] == dir.path / "b.co");
  CHECK(files[2] == dir.path / "sub/c.co");
}

TEST_CASE("resolve_import: dotted names, files before folders, first root wins") {
  TempDir first, second;
  first.write("a/b.co");
  second.write("a/b.co");
  second.write("core.co");
  second.write("pkg/x.co");
  second.write("pkg/inner/y.co");
  std::vector<fs::path> roots{first.path, second.path};

  auto ab = resolve_import("a.b", roots);
  REQUIRE(ab.size() == 1);
  CHECK(ab[0] == first.path / "a/b.co");

  auto core = resolve_import("core", roots);
  REQUIRE(core.size() == 1);
  CHECK(core[0] == second.path / "core.co");

  auto pkg = resolve_import("pkg", roots);
  REQUIRE(pkg.size() == 2);
  CHECK(pkg[0] == second.path / "pkg/inner/y.co");
  CHECK(pkg[1] == second.path / "pkg/x.co");

  CHECK(resolve_import("missing", roots).empty());
  CHECK(resolve_import("", roots).empty());
}

TEST_CASE("resolve_import: quoted paths, relative or absolute") {
  TempDir dir;
  dir.write("lib/flows.co");
  std::vector<fs::path> roots{dir.path};
  auto relative = resolve_import("lib/flows.co", roots);
  REQUIRE(relative.size() == 1);
  CHECK(relative[0] == dir.path / "lib/flows.co");
  auto absolute = resolve_import((dir.path / "lib/flows.co").string(), {});
  REQUIRE(absolute.size() == 1);
  auto folder = resolve_import("lib/", roots);
  CHECK(folder.size() == 1);
}

TEST_CASE("config.yml: Colang 1.0 is refused with a clear message") {
  TempDir dir;
  dir.write("config.yml", "colang_version: \"1.0\"\n");
  dir.write("main.co", "define flow x\n  user greet\n");
  auto loaded = rg::cli::load_config_dir(dir.path, {});
  REQUIRE_FALSE(loaded.ok());
  REQUIRE(loaded.diagnostics.size() == 1);
  CHECK(loaded.diagnostics[0].message == "Colang 1.0 is not supported yet (issue 3)");
  CHECK(loaded.diagnostics[0].line == 1);
  CHECK(loaded.files.empty());
}

TEST_CASE("config.yml: unknown versions and bad YAML are errors with a position") {
  TempDir dir;
  dir.write("config.yml", "models: []\ncolang_version: \"3\"\n");
  auto loaded = rg::cli::load_config_dir(dir.path, {});
  REQUIRE(loaded.diagnostics.size() == 1);
  CHECK(loaded.diagnostics[0].line == 2);

  TempDir bad;
  bad.write("config.yml", "colang_version: [\n");
  auto broken = rg::cli::load_config_dir(bad.path, {});
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.diagnostics[0].code == "config");
}

TEST_CASE("COLANGPATH and RG_STDLIB_DIR are read from the environment") {
  setenv("COLANGPATH", "/one::/two", 1);
  setenv("RG_STDLIB_DIR", "/std", 1);
  auto options = rg::cli::loader_options_from_env();
  unsetenv("COLANGPATH");
  unsetenv("RG_STDLIB_DIR");
  REQUIRE(options.search_path.size() == 2);
  CHECK(options.search_path[0] == "/one");
  CHECK(options.search_path[1] == "/two");
  CHECK(options.stdlib_dir == "/std");
  auto defaults = rg::cli::loader_options_from_env();
  CHECK(defaults.search_path.empty());
  CHECK(defaults.stdlib_dir.filename() == "stdlib");
}
