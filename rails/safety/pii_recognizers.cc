// The regex-plus-validator recognizers (all but PHONE_NUMBER and DATE_TIME,
// which have files of their own) and the custom recognizers from config.
// What each matches and rejects: rails/safety/README.md.
#include "rails/safety/internal/pii_recognizers.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "rails/safety/internal/pii_validators.h"
#include "rails/safety/sensitive_data.h"

namespace rg::rails::safety::internal {

// ---------------------------------------------------------------- helpers

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool equals_ci_at(std::string_view text, size_t pos, std::string_view lower_word) {
  if (pos + lower_word.size() > text.size()) return false;
  for (size_t i = 0; i < lower_word.size(); ++i)
    if (lower(text[pos + i]) != lower_word[i]) return false;
  return true;
}

RE2::Options quiet_options() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}

// Calls f(begin, end, groups) for each non-overlapping match, left to right.
// f returns where to resume (>= begin + 1), or 0 for "after the match".
template <class F>
void for_each_match(const RE2& re, std::string_view text, F f) {
  const int n = re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> g(static_cast<size_t>(n));
  size_t pos = 0;
  while (pos <= text.size() &&
         re.Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED, g.data(), n)) {
    size_t b = static_cast<size_t>(g[0].data() - text.data());
    size_t e = b + g[0].size();
    size_t resume = f(b, e, g);
    pos = resume ? resume : (e > b ? e : b + 1);
  }
}

std::string_view trim_trailing_punct(std::string_view s) {
  while (!s.empty()) {
    char c = s.back();
    if (c == ')' && std::count(s.begin(), s.end(), '(') >= std::count(s.begin(), s.end(), ')')) break;
    if (std::string_view(".,;:!?'\")]}>*").find(c) == std::string_view::npos) break;
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

TextFacts TextFacts::of(std::string_view text) {
  TextFacts f;
  f.text = text;
  for (char c : text) {
    if (is_digit(c)) ++f.digits;
    else if (c == ':') ++f.colons;
    else if (c == '@') f.at_sign = true;
    else if (c == '.') f.dot = true;
    else if (is_letter(c)) f.letters = true;
  }
  return f;
}

double with_context(double base) { return std::min(1.0, std::max(base + 0.35, 0.4)); }

bool contains_ci(std::string_view text, std::string_view needle) {
  if (needle.empty() || needle.size() > text.size()) return needle.empty();
  for (size_t i = 0; i + needle.size() <= text.size(); ++i)
    if (lower(text[i]) == needle[0] && equals_ci_at(text, i, needle)) return true;
  return false;
}

bool near_word(std::string_view text, size_t begin, size_t end, const std::vector<std::string_view>& words,
               size_t before, size_t after) {
  auto search = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      if (i > 0 && is_word_char(text[i - 1])) continue;
      for (std::string_view w : words) {
        if (!equals_ci_at(text, i, w)) continue;
        size_t k = i + w.size();
        if (k < text.size() && (text[k] == 's' || text[k] == 'S') && (k + 1 >= text.size() || !is_letter(text[k + 1])))
          ++k;
        if (k >= text.size() || !is_letter(text[k]) || !is_letter(w.back())) return true;
      }
    }
    return false;
  };
  size_t from = begin > before ? begin - before : 0;
  return search(from, begin) || search(end, std::min(text.size(), end + after));
}

namespace {

class BaseRecognizer : public Recognizer {
 public:
  explicit BaseRecognizer(std::string entity) : entity_(std::move(entity)) {}
  const std::string& entity() const override { return entity_; }

 private:
  std::string entity_;
};

// ---------------------------------------------------------------- EMAIL_ADDRESS
class EmailRecognizer : public BaseRecognizer {
 public:
  EmailRecognizer()
      : BaseRecognizer("EMAIL_ADDRESS"),
        re_("(?i)[a-z0-9._%+\\-]+@(?:[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?\\.)+[a-z]{2,24}", quiet_options()) {}
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (!f.at_sign) return;
    for_each_match(re_, f.text, [&](size_t b, size_t e, auto&) -> size_t {
      std::string_view m = f.text.substr(b, e - b);
      size_t at = m.find('@');
      std::string_view local = m.substr(0, at);
      // A trailing dot of the local part belongs to the sentence ("see.x@y.com"
      // has none); "..", a leading or trailing dot are invalid (RFC 5322 dot-atom).
      if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) return 0;
      if (e < f.text.size() && (is_word_char(f.text[e]) || f.text[e] == '@')) return 0;
      std::string_view tld = m.substr(m.rfind('.') + 1);
      if (!tld_known(tld)) return 0;
      out->push_back({b, e, 1.0});
      return 0;
    });
  }

 private:
  RE2 re_;
};

// ---------------------------------------------------------------- URL
bool host_ok(std::string_view host, bool bare) {
  if (host.empty()) return false;
  std::string h(host);
  for (char& c : h) c = lower(c);
  if (!bare && (h == "localhost" || ipv4_valid(h))) return true;
  if (!bare && h.front() == '[' && h.back() == ']') return ipv6_valid(std::string_view(h).substr(1, h.size() - 2));
  size_t dot = h.rfind('.');
  if (dot == std::string::npos) return false;
  int labels = static_cast<int>(std::count(h.begin(), h.end(), '.')) + 1;
  for (size_t i = 0, start = 0; i <= h.size(); ++i) {
    if (i == h.size() || h[i] == '.') {
      if (i == start || h[start] == '-' || h[i - 1] == '-') return false;
      start = i + 1;
    } else if (!std::isalnum(static_cast<unsigned char>(h[i])) && h[i] != '-') {
      return false;
    }
  }
  std::string_view tld = std::string_view(h).substr(dot + 1);
  if (!bare) return tld_known(tld);
  // A bare name is written in lower case ("booking.com"); "ASP.NET",
  // "Socket.IO" and "done.Next" are names and typos.
  std::string_view raw_tld = host.substr(host.rfind('.') + 1);
  if (std::any_of(raw_tld.begin(), raw_tld.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }))
    return false;
  return tld_bare_ok(tld) || (tld_known(tld) && labels >= 3);
}

class UrlRecognizer : public BaseRecognizer {
 public:
  UrlRecognizer()
      : BaseRecognizer("URL"),
        scheme_re_("(?i)\\b(?:(?:https?|ftps?|sftp|wss?)://|www\\.)[^\\s<>\"'`]+", quiet_options()),
        bare_re_("(?i)\\b[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9\\-]*[a-z0-9])?)*\\.[a-z]{2,24}\\b"
                 "(?:[/?#][^\\s<>\"'`]*)?",
                 quiet_options()) {}
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (!f.dot && f.colons == 0) return;
    for_each_match(scheme_re_, f.text, [&](size_t b, size_t e, auto&) -> size_t {
      std::string_view m = trim_trailing_punct(f.text.substr(b, e - b));
      size_t host_begin;
      bool www = false;
      if (size_t p = m.find("://"); p != std::string_view::npos && p < 8) {
        host_begin = p + 3;
      } else {
        host_begin = 0;
        www = true;
      }
      std::string_view rest = m.substr(host_begin);
      std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
      if (size_t at = host.rfind('@'); at != std::string_view::npos) host = host.substr(at + 1);
      if (!(host.size() && host.front() == '[')) {
        if (size_t colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
      } else if (size_t close = host.find(']'); close != std::string_view::npos) {
        host = host.substr(0, close + 1);
      }
      if (!host_ok(host, false)) return 0;
      out->push_back({b, b + m.size(), www ? 0.85 : 0.9});
      return 0;
    });
    if (!f.dot) return;
    for_each_match(bare_re_, f.text, [&](size_t b, size_t e, auto&) -> size_t {
      std::string_view m = trim_trailing_punct(f.text.substr(b, e - b));
      if (b > 0 && std::string_view("@.-_/:\\").find(f.text[b - 1]) != std::string_view::npos) return 0;
      size_t me = b + m.size();
      if (me < f.text.size() && (f.text[me] == '@' || is_word_char(f.text[me]))) return 0;
      std::string_view host = m.substr(0, m.find_first_of("/?#"));
      if (equals_ci_at(host, 0, "www.")) return 0;  // the scheme regex's
      if (!host_ok(host, true)) return 0;
      out->push_back({b, me, 0.6});
      return 0;
    });
  }

 private:
  RE2 scheme_re_, bare_re_;
};

// ---------------------------------------------------------------- IP_ADDRESS
class IpRecognizer : public BaseRecognizer {
 public:
  IpRecognizer()
      : BaseRecognizer("IP_ADDRESS"),
        v4_re_("\\b\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\b", quiet_options()),
        v6_re_("(?i)[0-9a-f:.]*:[0-9a-f:.]*", quiet_options()) {}
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    const std::string_view t = f.text;
    if (f.digits >= 4 && f.dot) {
      for_each_match(v4_re_, t, [&](size_t b, size_t e, auto&) -> size_t {
        if (b > 0 && (t[b - 1] == '.' || is_word_char(t[b - 1]))) return 0;
        if (e + 1 < t.size() && t[e] == '.' && is_digit(t[e + 1])) return 0;  // 1.2.3.4.5
        if (!ipv4_valid(t.substr(b, e - b))) return 0;
        static const std::vector<std::string_view> kVersion = {"version", "ver", "release", "build", "firmware", "v"};
        if (near_word(t, b, e, kVersion, 12, 0)) return 0;
        out->push_back({b, e, 0.8});
        return 0;
      });
    }
    if (f.colons >= 2) {
      for_each_match(v6_re_, t, [&](size_t b, size_t e, auto&) -> size_t {
        // Zone id ("%eth0").
        if (e < t.size() && t[e] == '%') {
          size_t z = e + 1;
          while (z < t.size() && (is_word_char(t[z]) || t[z] == '.' || t[z] == '-')) ++z;
          if (z > e + 1) e = z;
        }
        while (e > b && t[e - 1] == '.') --e;
        if (e - b >= 2 && t[e - 1] == ':' && t[e - 2] != ':') --e;
        if (e <= b + 1) return 0;
        if (b > 0 && (is_word_char(t[b - 1]) || t[b - 1] == ':')) return 0;
        if (e < t.size() && is_word_char(t[e])) return 0;
        std::string_view m = t.substr(b, e - b);
        if (std::count(m.begin(), m.end(), ':') < 2 || !ipv6_valid(m)) return 0;
        int hex = 0;
        for (char c : m.substr(0, m.find('%')))
          if (std::isxdigit(static_cast<unsigned char>(c))) ++hex;
        if (hex < 3 && m != "::1") return 0;  // "a::b", "::" (C++ scopes, emoticons)
        out->push_back({b, e, 0.8});
        return 0;
      });
    }
  }

 private:
  RE2 v4_re_, v6_re_;
};

// ---------------------------------------------------------------- CREDIT_CARD
class CardRecognizer : public BaseRecognizer {
 public:
  CardRecognizer() : BaseRecognizer("CREDIT_CARD"), re_("\\b\\d(?:[ \\-]?\\d){12,22}\\b", quiet_options()) {}
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (f.digits < 13) return;
    const std::string_view t = f.text;
    for_each_match(re_, t, [&](size_t b, size_t e, auto&) -> size_t {
      if (b > 0 && (t[b - 1] == '-' || t[b - 1] == '.' || t[b - 1] == '+')) return 0;
      // Groups by separator; one kind of separator only.
      std::vector<std::pair<size_t, size_t>> groups;
      char sep = 0;
      size_t gb = b;
      for (size_t i = b; i <= e; ++i) {
        if (i == e || !is_digit(t[i])) {
          groups.push_back({gb, i});
          if (i < e) {
            if (sep && t[i] != sep) return 0;
            sep = t[i];
          }
          gb = i + 1;
        }
      }
      // The longest run of leading groups that is a valid card (a CVV or an
      // expiry written after the number is left out).
      for (size_t n = groups.size(); n >= 1; --n) {
        size_t end = groups[n - 1].second;
        std::string d = digits_only(t.substr(b, end - b));
        if (d.size() < 13) break;
        if (d.size() <= 19 && card_iin_known(d) && luhn_valid(d)) {
          if (end < t.size() && t[end] == '.' && end + 1 < t.size() && is_digit(t[end + 1])) return 0;
          out->push_back({b, end, 1.0});
          return 0;
        }
        if (groups.size() == 1) break;
      }
      return 0;
    });
  }

 private:
  RE2 re_;
};

// ---------------------------------------------------------------- US_SSN
class SsnRecognizer : public BaseRecognizer {
 public:
  SsnRecognizer()
      : BaseRecognizer("US_SSN"),
        re_("\\b(\\d{3})([ \\-.]?)(\\d{2})([ \\-.]?)(\\d{4})\\b", quiet_options()) {}
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (f.digits < 9) return;
    const std::string_view t = f.text;
    static const std::vector<std::string_view> kContext = {"ssn", "ssns", "social security", "social-security",
                                                           "ss#", "ss #", "ss no", "social sec", "ssa"};
    for_each_match(re_, t, [&](size_t b, size_t e, auto& g) -> size_t {
      if (g[2] != g[4]) return 0;
      if (b > 0 && (t[b - 1] == '-' || t[b - 1] == '.' || t[b - 1] == '+' || t[b - 1] == '/')) return 0;
      if (e + 1 < t.size() && (t[e] == '-' || t[e] == '.' || t[e] == '/') && is_digit(t[e + 1])) return 0;
      if (!ssn_valid(std::string_view(g[1].data(), g[1].size()), std::string_view(g[3].data(), g[3].size()),
                     std::string_view(g[5].data(), g[5].size())))
        return 0;
      double score = g[2].empty() ? 0.05 : (g[2] == "-" ? 0.85 : 0.5);
      if (near_word(t, b, e, kContext)) score = with_context(score);
      out->push_back({b, e, score});
      return 0;
    });
  }

 private:
  RE2 re_;
};

// ---------------------------------------------------------------- IBAN_CODE
class IbanRecognizer : public BaseRecognizer {
 public:
  IbanRecognizer() : BaseRecognizer("IBAN_CODE"), re_("(?i)\\b[a-z]{2}\\d{2}(?:[ \\-]?[a-z0-9]){11,32}", quiet_options()) {}
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (f.digits < 10) return;
    const std::string_view t = f.text;
    for_each_match(re_, t, [&](size_t b, size_t e, auto&) -> size_t {
      std::string country{static_cast<char>(std::toupper(static_cast<unsigned char>(t[b]))),
                          static_cast<char>(std::toupper(static_cast<unsigned char>(t[b + 1])))};
      int want = iban_length(country);
      if (want == 0) return b + 1;
      std::string compact;
      size_t i = b;
      for (; i < e && static_cast<int>(compact.size()) < want; ++i) {
        if (std::isalnum(static_cast<unsigned char>(t[i])))
          compact.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(t[i]))));
      }
      if (static_cast<int>(compact.size()) != want) return b + 1;
      if (i < t.size() && std::isalnum(static_cast<unsigned char>(t[i]))) return b + 1;
      if (!iban_valid(compact)) return b + 1;
      out->push_back({b, i, 1.0});
      return i;
    });
  }

 private:
  RE2 re_;
};

// ---------------------------------------------------------------- context-gated IDs
// A shape that means nothing alone: reported only with a context word, at
// max(base + 0.35, 0.4) (below the 0.4 threshold without one).
class ContextGatedRecognizer : public BaseRecognizer {
 public:
  struct Shape {
    std::string regex;
    double base;
    std::vector<std::string_view> context;
  };
  ContextGatedRecognizer(std::string entity, std::vector<std::string_view> prefilter, std::vector<Shape> shapes,
                         int min_digits)
      : BaseRecognizer(std::move(entity)), prefilter_(std::move(prefilter)), min_digits_(min_digits) {
    for (auto& s : shapes) shapes_.push_back({std::make_unique<RE2>(s.regex, quiet_options()), s.base, s.context});
  }
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (f.digits < min_digits_) return;
    bool any = false;
    for (std::string_view p : prefilter_) any = any || contains_ci(f.text, p);
    if (!any) return;
    for (const auto& s : shapes_) {
      for_each_match(*s.re, f.text, [&](size_t b, size_t e, auto&) -> size_t {
        if (b > 0 && (f.text[b - 1] == '-' || f.text[b - 1] == '.')) return 0;
        if (e < f.text.size() && f.text[e] == '-') return 0;
        double score = near_word(f.text, b, e, s.context, 60, 30) ? with_context(s.base) : s.base;
        out->push_back({b, e, score});
        return 0;
      });
    }
  }

 private:
  struct Compiled {
    std::unique_ptr<RE2> re;
    double base;
    std::vector<std::string_view> context;
  };
  std::vector<std::string_view> prefilter_;
  std::vector<Compiled> shapes_;
  int min_digits_;
};

std::unique_ptr<const Recognizer> make_passport() {
  std::vector<std::string_view> ctx = {"passport"};
  return std::make_unique<ContextGatedRecognizer>(
      "US_PASSPORT", ctx,
      std::vector<ContextGatedRecognizer::Shape>{{"\\b[A-Z]\\d{8}\\b", 0.1, ctx}, {"\\b\\d{9}\\b", 0.05, ctx}}, 8);
}

std::unique_ptr<const Recognizer> make_driver_license() {
  std::vector<std::string_view> strong = {"driver", "driver's", "drivers", "driving", "dl", "dl#", "dln"};
  std::vector<std::string_view> weak = strong;
  weak.insert(weak.end(), {"license", "licence"});
  return std::make_unique<ContextGatedRecognizer>(
      "US_DRIVER_LICENSE", std::vector<std::string_view>{"driv", "licen", "dl"},
      std::vector<ContextGatedRecognizer::Shape>{
          // Letter(s) then digits (CA D1234567, NY/FL/IL/WA styles), with
          // optional dashes or spaces between digit groups.
          {"\\b[A-Z]{1,2}\\d{4,14}\\b", 0.3, weak},
          {"\\b[A-Z]\\d{3}[\\- ]\\d{3,4}[\\- ]\\d{2,4}(?:[\\- ]\\d{1,4}){0,2}\\b", 0.3, weak},
          // Digits only (many states): 7-13 digits, context of a driver's licence.
          {"\\b\\d{7,13}\\b", 0.05, strong},
          {"\\b\\d{3}[\\- ]\\d{3}[\\- ]\\d{3}\\b", 0.05, strong}},
      4);
}

// ---------------------------------------------------------------- custom
class CustomRegexRecognizer : public BaseRecognizer {
 public:
  explicit CustomRegexRecognizer(const CustomRecognizer& spec) : BaseRecognizer(spec.entity) {
    for (const auto& w : spec.context) {
      std::string l = w;
      for (char& c : l) c = lower(c);
      context_store_.push_back(std::move(l));
    }
    for (const auto& s : context_store_) context_.push_back(s);
  }
  bool add_pattern(const std::string& regex, double score, std::string* error) {
    RE2::Options o = quiet_options();
    o.set_case_sensitive(false);
    o.set_dot_nl(true);
    auto re = std::make_unique<RE2>("(?m)" + regex, o);
    if (!re->ok()) {
      *error = re->error();
      return false;
    }
    patterns_.push_back({std::move(re), score, false});
    return true;
  }
  bool add_deny_list(const std::vector<std::string>& words, double score, std::string* error) {
    std::string alt;
    for (const auto& w : words) {
      if (!alt.empty()) alt += "|";
      alt += RE2::QuoteMeta(w);
    }
    RE2::Options o = quiet_options();
    o.set_case_sensitive(false);
    auto re = std::make_unique<RE2>("(?:" + alt + ")", o);
    if (!re->ok()) {
      *error = re->error();
      return false;
    }
    patterns_.push_back({std::move(re), score, true});
    return true;
  }
  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    const std::string_view t = f.text;
    for (const auto& p : patterns_) {
      for_each_match(*p.re, t, [&](size_t b, size_t e, auto&) -> size_t {
        if (e == b) return 0;
        if (p.whole_word) {  // Presidio's deny list: (?:^|(?<=\W))(...)(?:(?=\W)|$)
          if ((b > 0 && is_word_char(t[b - 1])) || (e < t.size() && is_word_char(t[e]))) return b + 1;
        }
        double score = p.score;
        if (!context_.empty() && near_word(t, b, e, context_)) score = with_context(score);
        out->push_back({b, e, score});
        return 0;
      });
    }
  }

 private:
  struct Pattern {
    std::unique_ptr<RE2> re;
    double score;
    bool whole_word;
  };
  std::vector<Pattern> patterns_;
  std::vector<std::string> context_store_;
  std::vector<std::string_view> context_;
};

}  // namespace

std::unique_ptr<const Recognizer> make_custom_recognizer(const CustomRecognizer& spec, const std::string& where,
                                                         std::string* error) {
  auto r = std::make_unique<CustomRegexRecognizer>(spec);
  std::string err;
  for (size_t i = 0; i < spec.patterns.size(); ++i) {
    if (!r->add_pattern(spec.patterns[i].regex, spec.patterns[i].score, &err)) {
      *error = where + ".patterns[" + std::to_string(i) + "].regex: does not compile as RE2 (" + err +
               "); look-around and back-references are not supported";
      return nullptr;
    }
  }
  if (!spec.deny_list.empty() && !r->add_deny_list(spec.deny_list, spec.deny_list_score, &err)) {
    *error = where + ".deny_list: " + err;
    return nullptr;
  }
  return r;
}

std::vector<std::unique_ptr<const Recognizer>> make_builtin_recognizers() {
  std::vector<std::unique_ptr<const Recognizer>> out;
  out.push_back(std::make_unique<EmailRecognizer>());
  out.push_back(std::make_unique<UrlRecognizer>());
  out.push_back(std::make_unique<IpRecognizer>());
  out.push_back(std::make_unique<CardRecognizer>());
  out.push_back(std::make_unique<SsnRecognizer>());
  out.push_back(std::make_unique<IbanRecognizer>());
  out.push_back(make_passport());
  out.push_back(make_driver_license());
  out.push_back(make_phone_recognizer());
  out.push_back(make_datetime_recognizer());
  return out;
}

}  // namespace rg::rails::safety::internal
