// The validators of rails/safety/internal/pii_validators.h.
#include "rails/safety/internal/pii_validators.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace rg::rails::safety::internal {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Whole-word membership in a space-separated list ("com org net").
bool in_list(std::string_view list, std::string_view word) {
  if (word.empty()) return false;
  size_t pos = 0;
  while ((pos = list.find(word, pos)) != std::string_view::npos) {
    bool start = pos == 0 || list[pos - 1] == ' ';
    bool end = pos + word.size() == list.size() || list[pos + word.size()] == ' ';
    if (start && end) return true;
    pos += 1;
  }
  return false;
}

std::string lower_str(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

int prefix_int(std::string_view d, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n && i < d.size(); ++i) v = v * 10 + (d[i] - '0');
  return v;
}

// ISO 3166-1 alpha-2 codes in use as country TLDs, plus uk, eu, ac, su.
constexpr std::string_view kCountryTlds =
    "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs "
    "bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee "
    "eg er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk "
    "hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la "
    "lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my "
    "mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro "
    "rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk "
    "tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw";

// Generic TLDs seen in ordinary text (the full IANA list has ~1,500 brand
// and vanity names; these are the ones people write).
constexpr std::string_view kGenericTlds =
    "com org net edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat "
    "post app dev tech online site xyz store shop blog cloud email company news live digital agency "
    "solutions services network systems group media studio design world today life space website "
    "club top vip art bank insurance health law page academy center consulting finance global inc "
    "ltd llc legal market marketing money one photo photography plus run social software support "
    "team tools work works zone fun link wiki win icu nyc london berlin paris tokyo africa ventures "
    "capital energy education events expert family foundation games guide house institute "
    "international lawyer management partners properties school science security technology "
    "training university video ninja rocks io ai";

// Country TLDs a bare "name.tld" may end with: the common web ones that are
// not also file extensions (.md .py .sh .rs .cc .pl .ps .mk .ml .am .so .tf
// .co .in .is .it .my ...) or ordinary words run into by a missing space.
constexpr std::string_view kBareCountryTlds =
    "uk de fr nl ca au jp ru ch se no es eu us me tv ly be at dk fi br cn kr nz ie ar mx za sg hk "
    "tw pt gr cz hu ro ua il tr ae gg";

struct IbanCountry {
  char code[3];
  int length;
};
// ISO 13616 registry (SWIFT), length of the whole IBAN per country.
constexpr IbanCountry kIbanCountries[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
    {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
    {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
    {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
    {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

}  // namespace

std::string digits_only(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (is_digit(c)) out.push_back(c);
  return out;
}

bool luhn_valid(std::string_view digits) {
  if (digits.size() < 2) return false;
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    if (!is_digit(digits[i])) return false;
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

bool card_iin_known(std::string_view d) {
  const size_t n = d.size();
  if (n < 13 || n > 19) return false;
  const int p1 = prefix_int(d, 1), p2 = prefix_int(d, 2), p3 = prefix_int(d, 3),
            p4 = prefix_int(d, 4), p6 = prefix_int(d, 6);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                        // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n == 16;  // Mastercard
  if (p2 == 34 || p2 == 37) return n == 15;                                 // American Express
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19;                                              // Discover
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
    return n >= 14 && n <= 19;                                              // Diners Club
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;                  // JCB
  if (p2 == 62 || p2 == 81) return n >= 16 && n <= 19;                      // UnionPay
  if (p2 == 50 || (p2 >= 56 && p2 <= 69) || p4 == 6759) return n >= 13;     // Maestro
  if (p4 >= 2200 && p4 <= 2204) return n == 16;                             // Mir
  return false;
}

bool ssn_valid(std::string_view area, std::string_view group, std::string_view serial) {
  if (area.size() != 3 || group.size() != 2 || serial.size() != 4) return false;
  if (area == "000" || area == "666" || area[0] == '9') return false;
  if (group == "00" || serial == "0000") return false;
  std::string all = std::string(area) + std::string(group) + std::string(serial);
  if (all == "078051120" || all == "219099999" || all == "123456789") return false;
  if (std::all_of(all.begin(), all.end(), [&](char c) { return c == all[0]; })) return false;
  return true;
}

int iban_length(std::string_view country) {
  for (const auto& c : kIbanCountries)
    if (country == std::string_view(c.code, 2)) return c.length;
  return 0;
}

bool iban_valid(std::string_view s) {
  if (s.size() < 15 || s.size() > 34) return false;
  if (!std::isupper(static_cast<unsigned char>(s[0])) || !std::isupper(static_cast<unsigned char>(s[1])) ||
      !is_digit(s[2]) || !is_digit(s[3]))
    return false;
  if (iban_length(s.substr(0, 2)) != static_cast<int>(s.size())) return false;
  // Move the first four characters to the end, letters become 10..35, and
  // the whole number mod 97 must be 1 (ISO 7064 MOD 97-10), computed piecewise.
  uint32_t rem = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[(k + 4) % s.size()];
    if (is_digit(c)) {
      rem = (rem * 10 + static_cast<uint32_t>(c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + static_cast<uint32_t>(c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

bool ipv4_valid(std::string_view s) {
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    int v = 0;
    while (i < s.size() && is_digit(s[i])) {
      v = v * 10 + (s[i] - '0');
      if (i - start >= 3) return false;
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || v > 255 || (len > 1 && s[start] == '0')) return false;
    ++parts;
    if (i == s.size()) break;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
  return parts == 4;
}

bool ipv6_valid(std::string_view s) {
  if (size_t pct = s.find('%'); pct != std::string_view::npos) {  // zone id
    std::string_view zone = s.substr(pct + 1);
    if (zone.empty()) return false;
    for (char c : zone)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
    s = s.substr(0, pct);
  }
  if (s.size() < 2) return false;
  int groups = 0;
  bool compressed = false;
  size_t i = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    i = 2;
    if (i == s.size()) return true;  // "::"
  } else if (s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && is_hex(s[i])) ++i;
    size_t len = i - start;
    if (i < s.size() && s[i] == '.') {  // dotted IPv4 tail: counts as two groups
      if (!ipv4_valid(s.substr(start))) return false;
      groups += 2;
      i = s.size();
      break;
    }
    if (len == 0 || len > 4) return false;
    ++groups;
    if (i == s.size()) break;
    if (s[i] != ':') return false;
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (compressed) return false;  // a second "::"
      compressed = true;
      ++i;
      if (i == s.size()) break;
    } else if (i == s.size()) {
      return false;  // a trailing single ':'
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

bool nanp_area_valid(std::string_view a) {
  if (a.size() != 3 || !is_digit(a[0]) || !is_digit(a[1]) || !is_digit(a[2])) return false;
  if (a[0] < '2') return false;
  if (a[1] == '1' && a[2] == '1') return false;  // N11 service codes
  if (a[1] == '9') return false;                 // N9X reserved for expansion
  return true;
}

bool nanp_exchange_valid(std::string_view e) {
  if (e.size() != 3 || !is_digit(e[0]) || !is_digit(e[1]) || !is_digit(e[2])) return false;
  if (e[0] < '2') return false;
  return !(e[1] == '1' && e[2] == '1');
}

bool tld_known(std::string_view tld) {
  std::string t = lower_str(tld);
  return in_list(kGenericTlds, t) || (t.size() == 2 && in_list(kCountryTlds, t));
}

bool tld_bare_ok(std::string_view tld) {
  std::string t = lower_str(tld);
  return in_list(kGenericTlds, t) || in_list(kBareCountryTlds, t);
}

bool date_valid(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1]) return false;
  if (month == 2 && day == 29) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap;
  }
  return true;
}

}  // namespace rg::rails::safety::internal
