// Sensitive-data detection and masking (rails/safety/sensitive_data.h): the
// validators against their standards, the quality bar on the labelled file
// (precision and recall >= 0.95 per entity), masking, custom recognizers,
// config errors.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "rails/config/rails_config.h"
#include "rails/safety/internal/pii_validators.h"
#include "rails/safety/pii_evaluation.h"
#include "rails/safety/sensitive_data.h"

using namespace rg::rails::safety;
namespace v = rg::rails::safety::internal;
using rg::colang::Dict;
using rg::colang::List;
using rg::colang::Value;

namespace {

std::shared_ptr<const SensitiveDataDetector> detector_for(std::vector<std::string> entities,
                                                          std::string mask_token = "*") {
  SensitiveDataConfig cfg;
  cfg.input.entities = entities;
  cfg.input.mask_token = mask_token;
  cfg.output.entities = entities;
  std::string err;
  auto det = SensitiveDataDetector::create(cfg, &err);
  INFO(err);
  REQUIRE(det);
  return det;
}

// The sensitive_data_detection dict of a config.yml text.
Dict sdd_of(const std::string& yaml) {
  rg::rails::config::LoadOptions options;
  options.llm_supplied_externally = true;
  auto loaded = rg::rails::config::rails_config_from_content("", yaml, options);
  const Value* sdd = loaded.config->rails.config.find("sensitive_data_detection");
  REQUIRE(sdd);
  REQUIRE(sdd->is_dict());
  return sdd->as_dict();
}

std::vector<std::string> values(std::string_view text, const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const auto& x : f) out.push_back(x.entity + ":" + std::string(text.substr(x.begin, x.end - x.begin)));
  return out;
}

}  // namespace

TEST_CASE("Luhn and card issuer prefixes") {
  CHECK(v::luhn_valid("4111111111111111"));
  CHECK(v::luhn_valid("79927398713"));  // the ISO/IEC 7812 worked example
  CHECK_FALSE(v::luhn_valid("79927398710"));
  CHECK_FALSE(v::luhn_valid("4111111111111112"));
  CHECK(v::card_iin_known("4111111111111111"));   // Visa 16
  CHECK(v::card_iin_known("378282246310005"));    // Amex 15
  CHECK(v::card_iin_known("5555555555554444"));   // Mastercard 51-55
  CHECK(v::card_iin_known("2223003122003222"));   // Mastercard 2221-2720
  CHECK(v::card_iin_known("6011111111111117"));   // Discover
  CHECK(v::card_iin_known("3530111333300000"));   // JCB
  CHECK(v::card_iin_known("30569309025904"));     // Diners 14
  CHECK_FALSE(v::card_iin_known("378282246310005000"));  // Amex is 15 digits only
  CHECK_FALSE(v::card_iin_known("0000000000000000"));
  CHECK_FALSE(v::card_iin_known("9111111111111111"));
}

TEST_CASE("SSN rules") {
  CHECK(v::ssn_valid("536", "22", "8104"));
  CHECK_FALSE(v::ssn_valid("000", "12", "3456"));
  CHECK_FALSE(v::ssn_valid("666", "12", "3456"));
  CHECK_FALSE(v::ssn_valid("900", "12", "3456"));
  CHECK_FALSE(v::ssn_valid("999", "12", "3456"));
  CHECK_FALSE(v::ssn_valid("123", "00", "4567"));
  CHECK_FALSE(v::ssn_valid("123", "45", "0000"));
  CHECK_FALSE(v::ssn_valid("078", "05", "1120"));
  CHECK_FALSE(v::ssn_valid("123", "45", "6789"));
  CHECK_FALSE(v::ssn_valid("111", "11", "1111"));
}

TEST_CASE("IBAN: country length table and mod 97") {
  CHECK(v::iban_valid("DE89370400440532013000"));
  CHECK(v::iban_valid("GB82WEST12345698765432"));
  CHECK(v::iban_valid("FR1420041010050500013M02606"));
  CHECK(v::iban_valid("NL91ABNA0417164300"));
  CHECK(v::iban_valid("NO9386011117947"));
  CHECK(v::iban_valid("BE68539007547034"));
  CHECK_FALSE(v::iban_valid("DE89370400440532013001"));   // check fails
  CHECK_FALSE(v::iban_valid("DE8937040044053201300"));    // one short for DE
  CHECK_FALSE(v::iban_valid("XX89370400440532013000"));   // no such country
  CHECK(v::iban_length("DE") == 22);
  CHECK(v::iban_length("US") == 0);
}

TEST_CASE("IP address forms") {
  CHECK(v::ipv4_valid("192.168.0.1"));
  CHECK(v::ipv4_valid("0.0.0.0"));
  CHECK_FALSE(v::ipv4_valid("256.1.1.1"));
  CHECK_FALSE(v::ipv4_valid("1.2.3"));
  CHECK_FALSE(v::ipv4_valid("01.2.3.4"));
  CHECK(v::ipv6_valid("2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
  CHECK(v::ipv6_valid("2001:db8:85a3::8a2e:370:7334"));
  CHECK(v::ipv6_valid("::1"));
  CHECK(v::ipv6_valid("::"));
  CHECK(v::ipv6_valid("fe80::"));
  CHECK(v::ipv6_valid("fe80::1%eth0"));
  CHECK(v::ipv6_valid("::ffff:192.0.2.128"));
  CHECK(v::ipv6_valid("64:ff9b::192.0.2.33"));
  CHECK_FALSE(v::ipv6_valid("2001:db8::85a3::1"));     // two "::"
  CHECK_FALSE(v::ipv6_valid("1:2:3:4:5:6:7"));        // seven groups, no "::"
  CHECK_FALSE(v::ipv6_valid("1:2:3:4:5:6:7:8:9"));
  CHECK_FALSE(v::ipv6_valid("12345::1"));
  CHECK_FALSE(v::ipv6_valid("00:1A:2B:3C:4D:5E"));    // a MAC address
  CHECK_FALSE(v::ipv6_valid("12:30:45"));              // a time
}

TEST_CASE("NANP, TLDs, calendar") {
  CHECK(v::nanp_area_valid("415"));
  CHECK_FALSE(v::nanp_area_valid("123"));
  CHECK_FALSE(v::nanp_area_valid("911"));
  CHECK_FALSE(v::nanp_area_valid("290"));  // N9X reserved
  CHECK(v::nanp_exchange_valid("555"));
  CHECK_FALSE(v::nanp_exchange_valid("011"));
  CHECK(v::tld_known("com"));
  CHECK(v::tld_known("UK"));
  CHECK_FALSE(v::tld_known("png"));
  CHECK(v::tld_bare_ok("de"));
  CHECK_FALSE(v::tld_bare_ok("md"));
  CHECK_FALSE(v::tld_bare_ok("py"));
  CHECK(v::date_valid(2024, 2, 29));
  CHECK_FALSE(v::date_valid(2023, 2, 29));
  CHECK_FALSE(v::date_valid(1900, 2, 29));
  CHECK(v::date_valid(2000, 2, 29));
  CHECK_FALSE(v::date_valid(2024, 4, 31));
}

TEST_CASE("labelled file: precision and recall >= 0.95 per entity") {
  auto det = SensitiveDataDetector::create(SensitiveDataConfig{}, nullptr);
  REQUIRE(det);
  PiiEvaluation eval;
  std::string err;
  REQUIRE_MESSAGE(evaluate_pii_file(*det, RG_PII_DATA, &eval, &err), err);
  MESSAGE(format_pii_evaluation(eval));
  CHECK(eval.lines >= 600);
  for (const auto& m : eval.mistakes) MESSAGE(m);
  for (const auto& s : eval.per_entity) {
    INFO(s.entity);
    CHECK(s.tp + s.fn >= 40);
    CHECK(s.precision() >= 0.95);
    CHECK(s.recall() >= 0.95);
  }
}

TEST_CASE("detect and mask") {
  auto det = detector_for(builtin_entities());
  std::string text = "Mail jane.doe@example.com or call +1 (415) 555-0132 today.";
  CHECK(det->mask(Source::kInput, text) == "Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER> today.");
  CHECK(det->contains(Source::kInput, text));
  CHECK_FALSE(det->contains(Source::kInput, "Please upgrade to version 10.2."));
  // Retrieval lists no entities: nothing is found there.
  CHECK_FALSE(det->contains(Source::kRetrieval, text));
  CHECK(det->mask(Source::kRetrieval, text) == text);

  // Overlaps: the domain inside an e-mail and the IP inside a URL go.
  std::string t2 = "see https://192.168.1.10:8443/admin and bob@mail.example.org";
  CHECK(values(t2, det->detect(Source::kInput, t2)) ==
        std::vector<std::string>{"URL:https://192.168.1.10:8443/admin", "EMAIL_ADDRESS:bob@mail.example.org"});

  // Only the listed entities.
  auto cards = detector_for({"CREDIT_CARD"});
  CHECK(cards->mask(Source::kInput, text) == text);
  CHECK(cards->mask(Source::kInput, "card 4111-1111-1111-1111.") == "card <CREDIT_CARD>.");

  // A mask_token other than "*" replaces literally.
  auto redact = detector_for({"EMAIL_ADDRESS"}, "[REDACTED]");
  CHECK(redact->mask(Source::kInput, "to a.b@example.com!") == "to [REDACTED]!");
}

TEST_CASE("context words lift weak shapes over the threshold") {
  auto det = detector_for({"US_SSN", "US_PASSPORT", "US_DRIVER_LICENSE", "PHONE_NUMBER"});
  CHECK_FALSE(det->contains(Source::kInput, "The batch id is 536228104."));
  CHECK(det->mask(Source::kInput, "my ssn: 536228104") == "my ssn: <US_SSN>");
  CHECK(det->mask(Source::kInput, "passport A12345678") == "passport <US_PASSPORT>");
  CHECK_FALSE(det->contains(Source::kInput, "code A12345678"));
  CHECK(det->mask(Source::kInput, "driver's license D1234567") == "driver's license <US_DRIVER_LICENSE>");
  CHECK_FALSE(det->contains(Source::kInput, "ref 4155550132"));
  CHECK(det->mask(Source::kInput, "call 4155550132") == "call <PHONE_NUMBER>");
  // Formats beyond the labelled file.
  auto all = detector_for(builtin_entities());
  for (auto [text, want] : std::vector<std::pair<std::string, std::string>>{
           {"Phone: +33 (0)1 23 45 67 89", "Phone: <PHONE_NUMBER>"},
           {"Tel:+14155550132", "Tel:<PHONE_NUMBER>"},
           {"Moscow: +7 (495) 123-45-67", "Moscow: <PHONE_NUMBER>"},
           {"connect [2001:db8::1]:8080", "connect [<IP_ADDRESS>]:8080"},
           {"Feb 14, 2024 9:00 start", "<DATE_TIME> start"},
           {"see https://en.wikipedia.org/wiki/Foo_(bar).", "see <URL>."}}) {
    CHECK(all->mask(Source::kInput, text) == want);
  }
  auto f = det->detect(Source::kInput, "passport A12345678");
  REQUIRE(f.size() == 1);
  CHECK(f[0].score == doctest::Approx(0.45));
}

TEST_CASE("custom recognizers from config.yml") {
  Dict sdd = sdd_of(R"Y(
rails:
  config:
    sensitive_data_detection:
      recognizers:
        - name: employee ids
          supported_language: en
          supported_entity: EMPLOYEE_ID
          patterns:
            - {name: emp, regex: "\\bemp-\\d{6}\\b", score: 0.9}
            - {name: weak, regex: "\\b\\d{5}\\b", score: 0.1}
          context: [employee, staff]
        - name: titles
          supported_entity: TITLE
          deny_list: ["Mr.", "Dr."]
      input:
        entities: [EMPLOYEE_ID, TITLE, EMAIL_ADDRESS]
      output:
        entities: [EMAIL_ADDRESS]
)Y");
  std::string err;
  SensitiveDataConfig cfg = parse_sensitive_data_config(sdd, &err);
  REQUIRE_MESSAGE(err.empty(), err);
  REQUIRE(cfg.recognizers.size() == 2);
  CHECK(cfg.recognizers[0].patterns[0].score == doctest::Approx(0.9));
  auto det = SensitiveDataDetector::create(cfg, &err);
  REQUIRE_MESSAGE(det, err);
  // Case-insensitive like Presidio's default flags.
  CHECK(det->mask(Source::kInput, "Ask EMP-123456 and Dr. Who") == "Ask <EMPLOYEE_ID> and <TITLE> Who");
  CHECK(det->mask(Source::kInput, "room 12345") == "room 12345");             // 0.1 < 0.4
  CHECK(det->mask(Source::kInput, "employee 12345") == "employee <EMPLOYEE_ID>");  // 0.1 + context
  CHECK(det->mask(Source::kInput, "Drum.") == "Drum.");                       // whole words only
  // The output lists EMAIL_ADDRESS only.
  CHECK(det->mask(Source::kOutput, "Ask EMP-123456") == "Ask EMP-123456");
}

TEST_CASE("config errors name the field") {
  std::string err;
  parse_sensitive_data_config(sdd_of("rails: {config: {sensitive_data_detection: {input: {entities: [PERSON]}}}}"),
                              &err);
  CHECK(err.find("rails.config.sensitive_data_detection.input.entities[0]") != std::string::npos);
  CHECK(err.find("named-entity recognition") != std::string::npos);
  CHECK(err.find("no NER provider") != std::string::npos);

  parse_sensitive_data_config(
      sdd_of("rails: {config: {sensitive_data_detection: {output: {entities: [EMAIL, LOCATION]}}}}"), &err);
  CHECK(err.find("output.entities[0]: unknown entity EMAIL; known entities: CREDIT_CARD, DATE_TIME, "
                 "EMAIL_ADDRESS") != std::string::npos);
  CHECK(err.find("output.entities[1]: LOCATION needs a named-entity") != std::string::npos);

  parse_sensitive_data_config(sdd_of("rails: {config: {sensitive_data_detection: {input: {entities: [CRYPTO]}}}}"),
                              &err);
  CHECK(err.find("no recognizer for") != std::string::npos);

  parse_sensitive_data_config(sdd_of(R"Y(
rails: {config: {sensitive_data_detection: {recognizers: [{name: x, patterns: [{regex: "a", score: 2}], colour: red}]}}}
)Y"),
                              &err);
  CHECK(err.find("recognizers[0].supported_entity: required") != std::string::npos);
  CHECK(err.find("recognizers[0].patterns[0].score: must be a number between 0 and 1") != std::string::npos);
  CHECK(err.find("recognizers[0].colour: unknown key") != std::string::npos);

  parse_sensitive_data_config(sdd_of("rails: {config: {sensitive_data_detection: {input: {entitys: [URL]}}}}"), &err);
  CHECK(err.find("input.entitys: unknown key") != std::string::npos);

  // Parsed fine, but RE2 cannot compile a look-ahead: create() says which pattern.
  SensitiveDataConfig cfg = parse_sensitive_data_config(sdd_of(R"Y(
rails: {config: {sensitive_data_detection: {recognizers: [{supported_entity: X, patterns: [{regex: "a(?=b)", score: 0.5}]}], input: {entities: [X]}}}}
)Y"),
                                                        &err);
  REQUIRE_MESSAGE(err.empty(), err);
  CHECK_FALSE(SensitiveDataDetector::create(cfg, &err));
  CHECK(err.find("recognizers[0].patterns[0].regex: does not compile") != std::string::npos);

  // The defaults of an empty config: no entities, mask_token "*".
  cfg = parse_sensitive_data_config(sdd_of("models: []"), &err);
  CHECK(err.empty());
  CHECK(cfg.input.entities.empty());
  CHECK(cfg.input.mask_token == "*");
}

TEST_CASE("look-alikes are not findings") {
  auto det = detector_for(builtin_entities());
  for (const char* clean : {"Order #212-555-0147 has shipped.", "Python 3.11.4 fixed it.", "ISBN 978-3-16-148410-0",
                            "MAC 00:1A:2B:3C:4D:5E", "use std::vector", "Add 3/4 cup", "icon@2x.png",
                            "see README.md and main.py", "The date 2023-02-30 is wrong", "Test 078-05-1120.",
                            "Tracking 4111 1111 1111 1112", "John 3:16", "e-mail me at home",
                            "ASP.NET and Socket.IO", "Invoice 2345678901", "v10.0.0.1 release"}) {
    INFO(clean);
    CHECK(values(clean, det->detect(Source::kInput, clean)).empty());
  }
}

TEST_CASE("one detector, many threads") {
  auto det = detector_for(builtin_entities());
  const std::string text = "jane@example.com, +44 20 7946 0958, 4111 1111 1111 1111, DE89 3704 0044 0532 0130 00";
  const std::string want = det->mask(Source::kInput, text);
  CHECK(want == "<EMAIL_ADDRESS>, <PHONE_NUMBER>, <CREDIT_CARD>, <IBAN_CODE>");
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int k = 0; k < 500; ++k)
        if (det->mask(Source::kInput, text) != want) ++bad;
    });
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
}
