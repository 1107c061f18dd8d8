// PHONE_NUMBER: a hand-written scanner (no regex) that splits a run of digit
// groups ("+44 (0)20 7946-0958") into groups and separators, then accepts a
// span of groups only in a shape some numbering plan uses:
//   international  "+CC ..." / "00CC ...": a known country code and that
//                  country's national number length (NANP rules for +1);
//   NANP           (NXX) NXX-XXXX, NXX-NXX-XXXX, 1-NXX-NXX-XXXX, NXX.NXX.XXXX;
//   trunk-0        0 then 8-11 digits in 2+ groups (UK, DE incl. 089/1234567,
//                  FR pairs, AU, NL, IN 0-prefixed, ...);
//   IN mobile      98765 43210;
// and, only with a context word (phone, call, mobile, ...), unseparated
// 10-11 digit numbers, 7-digit NXX-XXXX and other 3+ group shapes.
// Dates, versions, ISBNs, IPs, cards and order numbers fail the shapes
// (groups of 1 digit, too few or too many digits, no trunk 0, a '#'/"order"
// before the number). README.md has the details.
#include <algorithm>
#include <cctype>
#include <string>

#include "rails/safety/internal/pii_recognizers.h"
#include "rails/safety/internal/pii_validators.h"

namespace rg::rails::safety::internal {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

struct Group {
  size_t b = 0, e = 0;       // the group's span, parentheses included
  size_t db = 0, de = 0;     // its digits
  bool paren = false;
  char sep_before = 0;       // ' ', '-', '.', '/', '(' (for " (" or "("), 0 for the first
};

struct CountryPlan {
  int cc;
  int min_nsn, max_nsn;
};
// National significant number lengths (ITU-T E.164 national plans), for the
// country codes people write most; other assigned codes get 6-12.
constexpr CountryPlan kPlans[] = {
    {1, 10, 10},   {7, 10, 10},   {20, 8, 10},   {27, 9, 9},    {30, 10, 10},  {31, 9, 9},   {32, 8, 9},
    {33, 9, 9},    {34, 9, 9},    {36, 8, 9},    {39, 6, 11},   {40, 9, 9},    {41, 9, 9},   {43, 4, 13},
    {44, 9, 10},   {45, 8, 8},    {46, 7, 10},   {47, 8, 8},    {48, 9, 9},    {49, 6, 13},  {51, 8, 9},
    {52, 10, 10},  {53, 6, 8},    {54, 10, 11},  {55, 10, 11},  {56, 9, 9},    {57, 8, 10},  {58, 10, 10},
    {60, 7, 10},   {61, 9, 9},    {62, 8, 12},   {63, 8, 10},   {64, 8, 10},   {65, 8, 8},   {66, 8, 9},
    {81, 9, 10},   {82, 8, 10},   {84, 9, 10},   {86, 10, 11},  {90, 10, 10},  {91, 10, 10}, {92, 9, 10},
    {93, 9, 9},    {94, 9, 9},    {95, 7, 10},   {98, 10, 10},  {212, 9, 9},   {213, 9, 9},  {216, 8, 8},
    {234, 8, 10},  {254, 9, 9},   {255, 9, 9},   {256, 9, 9},   {351, 9, 9},   {352, 6, 11}, {353, 7, 9},
    {354, 7, 9},   {358, 6, 12},  {359, 8, 9},   {370, 8, 8},   {371, 8, 8},   {372, 7, 8},  {380, 9, 9},
    {381, 8, 9},   {385, 8, 9},   {386, 8, 8},   {420, 9, 9},   {421, 9, 9},   {852, 8, 8},  {853, 8, 8},
    {855, 8, 9},   {880, 10, 10}, {886, 8, 9},   {960, 7, 7},   {961, 7, 8},   {962, 8, 9},  {963, 9, 9},
    {964, 10, 10}, {965, 8, 8},   {966, 9, 9},   {971, 8, 9},   {972, 8, 9},   {973, 8, 8},  {974, 8, 8},
    {977, 8, 10},
};

const CountryPlan* find_plan(int cc) {
  for (const auto& p : kPlans)
    if (p.cc == cc) return &p;
  return nullptr;
}

// Is `d` (digits after "+" or "00") a plausible international number?
bool international_ok(const std::string& d, const std::vector<Group>& g, std::string_view text) {
  if (d.size() < 8 || d.size() > 15) return false;
  // The country code: the first group when it is one (written "+44 20 ..."),
  // else the longest known prefix.
  std::vector<int> tries;
  size_t first_len = g[0].de - g[0].db;
  if (first_len <= 3 && g.size() > 1) tries.push_back(std::stoi(d.substr(0, first_len)));
  for (int n = 3; n >= 1; --n) tries.push_back(std::stoi(d.substr(0, static_cast<size_t>(n))));
  for (int cc : tries) {
    const CountryPlan* plan = find_plan(cc);
    size_t cc_len = std::to_string(cc).size();
    std::string nsn = d.substr(cc_len);
    // "+44 (0)20 ..." : a parenthesised trunk 0 right after the code is dropped.
    if (g.size() > 1 && first_len == cc_len && g[1].paren && g[1].de - g[1].db == 1 && text[g[1].db] == '0')
      nsn = nsn.substr(1);
    if (nsn.empty() || nsn[0] == '0') {
      if (!(cc == 39 && !nsn.empty())) continue;  // Italy keeps its 0
    }
    if (cc == 1) {
      if (nsn.size() == 10 && nanp_area_valid(nsn.substr(0, 3)) && nanp_exchange_valid(nsn.substr(3, 3)))
        return true;
      continue;
    }
    int lo = plan ? plan->min_nsn : 6, hi = plan ? plan->max_nsn : 12;
    if (!plan && cc < 200 && cc_len < 3) continue;  // unassigned short codes
    if (static_cast<int>(nsn.size()) >= lo && static_cast<int>(nsn.size()) <= hi) return true;
  }
  return false;
}

class PhoneRecognizer : public Recognizer {
 public:
  const std::string& entity() const override { return entity_; }

  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (f.digits < 7) return;
    const std::string_view t = f.text;
    size_t i = 0;
    while (i < t.size()) {
      char c = t[i];
      bool start = is_digit(c) || (c == '+' && i + 1 < t.size() && (is_digit(t[i + 1]) || t[i + 1] == '(')) ||
                   (c == '(' && i + 1 < t.size() && is_digit(t[i + 1]));
      if (!start || (i > 0 && (is_word_char(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == ',' ||
                               t[i - 1] == '-' || t[i - 1] == '/' || t[i - 1] == '$' ||
                               (t[i - 1] == ':' && t[i] != '+')))) {
        ++i;
        continue;
      }
      size_t end = scan_run(t, i, out);
      i = std::max(end, i + 1);
    }
  }

 private:
  // Parses the run at `b`; emits a finding if some span of its groups is a
  // phone number; returns where the run ends.
  size_t scan_run(std::string_view t, size_t b, std::vector<Candidate>* out) const {
    bool plus = false;
    size_t i = b;
    if (t[i] == '+') {
      plus = true;
      ++i;
    }
    std::vector<Group> groups;
    char pending_sep = 0;
    while (i < t.size()) {
      Group g;
      g.b = i;
      g.sep_before = pending_sep;
      if (t[i] == '(') {
        g.paren = true;
        ++i;
      }
      g.db = i;
      while (i < t.size() && is_digit(t[i])) ++i;
      g.de = i;
      if (g.de == g.db) break;
      if (g.paren) {
        if (i >= t.size() || t[i] != ')') break;
        ++i;
      }
      g.e = i;
      groups.push_back(g);
      if (groups.size() > 12) break;
      // Separator: " ", "-", ".", "/", " - ", " / ", "-(", " (" or nothing before "(".
      size_t s = i;
      while (s < t.size() && s - i < 3 && (t[s] == ' ' || t[s] == '-' || t[s] == '.' || t[s] == '/')) ++s;
      std::string_view sep = t.substr(i, s - i);
      bool next_group = s < t.size() && (is_digit(t[s]) || (t[s] == '(' && s + 1 < t.size() && is_digit(t[s + 1])));
      bool sep_ok = sep.empty() || sep == " " || sep == "-" || sep == "." || sep == "/" || sep == " - " ||
                    sep == " / " || sep == "- " || sep == " -";
      if (!next_group || !sep_ok || (sep.empty() && t[s] != '(' && !groups.back().paren)) break;
      pending_sep = sep.empty() ? '(' : (sep.size() == 1 ? sep[0] : sep[sep.size() / 2]);
      i = s;
    }
    if (groups.empty()) return b + 1;
    size_t run_end = groups.back().e;
    // A run glued to letters or more digits is not a number on its own.
    if (run_end < t.size() && (is_word_char(t[run_end]) || t[run_end] == '@')) return run_end;
    if (run_end + 1 < t.size() && (t[run_end] == '.' || t[run_end] == ',') && is_digit(t[run_end + 1])) return run_end;

    const size_t n = groups.size();
    for (size_t first = 0; first < std::min<size_t>(2, n); ++first) {
      for (size_t last = n; last > first; --last) {
        std::vector<Group> g(groups.begin() + static_cast<long>(first), groups.begin() + static_cast<long>(last));
        bool p = plus && first == 0;
        double score = classify(t, g, p);
        if (score <= 0) continue;
        size_t sb = p ? b : g.front().b;
        size_t se = g.back().e;
        if (negative_context(t, sb) && !near_word(t, sb, se, kContext)) return run_end;
        if (near_word(t, sb, se, kContext)) score = with_context(score);
        out->push_back({sb, se, score});
        return run_end;
      }
    }
    return run_end;
  }

  static bool negative_context(std::string_view t, size_t b) {
    size_t k = b;
    while (k > 0 && t[k - 1] == ' ') --k;
    if (k > 0 && (t[k - 1] == '#' || t[k - 1] == '$' || t[k - 1] == '=')) return true;
    static const std::vector<std::string_view> kNegative = {
        "order", "invoice", "ticket", "tracking", "isbn", "serial", "sku", "ref", "reference", "case",
        "confirmation", "account", "acct", "transaction", "item", "part", "model", "version", "build",
        "id", "po", "no.", "batch", "lot", "receipt", "booking", "policy", "claim", "routing", "card", "iban", "ssn"};
    return near_word(t, b, b, kNegative, 28, 0);
  }

  // Score of the group span as a phone number, 0 if it is not one.
  static double classify(std::string_view t, const std::vector<Group>& g, bool plus) {
    std::string d;
    for (const auto& x : g) d.append(t.substr(x.db, x.de - x.db));
    std::vector<size_t> len;
    for (const auto& x : g) len.push_back(x.de - x.db);
    // Separators: '/' only after a first group (DE "089/1234567").
    for (size_t k = 1; k < g.size(); ++k)
      if (g[k].sep_before == '/' && k != 1) return 0;
    if (g.size() == 4 && std::all_of(g.begin() + 1, g.end(), [](const Group& x) { return x.sep_before == '.'; }) &&
        ipv4_valid(t.substr(g.front().b, g.back().e - g.front().b)))
      return 0;

    if (plus || (d.size() >= 10 && d[0] == '0' && d[1] == '0')) {
      std::string intl = plus ? d : d.substr(2);
      std::vector<Group> gg = g;
      if (!plus) {  // "0044 20 ...": the code is the first group less its 00
        if (len[0] <= 2) return 0;
        gg[0].db += 2;
      }
      for (size_t k = 1; k < len.size(); ++k)
        if (len[k] == 1 && k != 1 && !(k == 2 && g[1].paren)) return 0;  // "+33 1 23", "+33 (0)1 23"
      return international_ok(intl, gg, t) ? 0.85 : 0;
    }
    // A group of one digit is only the NANP "1" in front.
    bool nanp_1 = len.size() == 4 && len[0] == 1 && d[0] == '1';
    for (size_t k = 0; k < len.size(); ++k)
      if (len[k] == 1 && !(k == 0 && nanp_1)) return 0;
    if (g.front().paren && g.size() > 1 && len[0] != 3 && !(d[0] == '0' && len[0] >= 2 && len[0] <= 5)) return 0;

    auto nanp_ok = [&](std::string_view ten) {
      return nanp_area_valid(ten.substr(0, 3)) && nanp_exchange_valid(ten.substr(3, 3));
    };
    // NANP: (NXX) NXX-XXXX, NXX-NXX-XXXX, 1-NXX-NXX-XXXX, (NXX) NXXXXXX.
    if ((len == std::vector<size_t>{3, 3, 4} || (nanp_1 && len[1] == 3 && len[2] == 3 && len[3] == 4) ||
         (len == std::vector<size_t>{3, 7} && g[0].paren)) &&
        nanp_ok(nanp_1 ? std::string_view(d).substr(1) : std::string_view(d)))
      return 0.7;
    // Trunk 0: 0 + 9-11 digits in groups of 2-8 (DE "030 12345678"); 9 digits
    // only as area + subscriber ("030 123456"), never the SSN shape 3-2-4.
    if (g.size() >= 2 && d[0] == '0' && d[1] != '0' && d.size() <= 12 &&
        (d.size() >= 10 || (d.size() == 9 && g.size() == 2)) &&
        std::all_of(len.begin(), len.end(), [](size_t l) { return l >= 2 && l <= 8; }))
      return 0.7;
    // India mobile without the trunk 0: 98765 43210.
    if (len == std::vector<size_t>{5, 5} && d[0] >= '6' && d[0] <= '9' && g[1].sep_before != '.') return 0.7;
    // Context only (0.3 + context = 0.65): unseparated national numbers,
    // 7-digit local NANP numbers, other grouped 9-11 digit numbers.
    if (g.size() == 1) {
      if ((d.size() == 10 && nanp_ok(d)) || (d.size() == 11 && d[0] == '1' && nanp_ok(std::string_view(d).substr(1))) ||
          (d[0] == '0' && d[1] != '0' && (d.size() == 10 || d.size() == 11)) ||
          (d.size() == 10 && d[0] >= '6' && d[0] <= '9'))
        return 0.3;
      return 0;
    }
    if (len == std::vector<size_t>{3, 4} && g[1].sep_before == '-' && nanp_exchange_valid(std::string_view(d).substr(0, 3)))
      return 0.3;
    if (g.size() >= 3 && d.size() >= 9 && d.size() <= 11 &&
        std::all_of(len.begin(), len.end(), [](size_t l) { return l >= 2 && l <= 4; }))
      return 0.3;
    return 0;
  }

  static inline const std::vector<std::string_view> kContext = {
      "phone", "telephone", "tel", "tel.", "mobile", "cell", "cellphone", "call", "calling", "text", "sms",
      "whatsapp", "fax", "contact", "reach", "dial", "ring", "landline", "hotline", "mob", "ph"};
  std::string entity_ = "PHONE_NUMBER";
};

}  // namespace

std::unique_ptr<const Recognizer> make_phone_recognizer() { return std::make_unique<PhoneRecognizer>(); }

}  // namespace rg::rails::safety::internal
