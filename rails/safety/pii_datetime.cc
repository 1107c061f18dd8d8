// DATE_TIME, pattern-based (the reference adds spaCy's DATE/TIME entities,
// "yesterday", "next week", which need NER and are not found here):
//   ISO 8601       2024-03-15, 2024-03-15T14:30:00Z, 2024-03-15 14:30+01:00
//   numeric        03/15/2024, 15.03.2024, 15-03-2024, 3/15/24, 2024/03/15
//   written        March 15, 2024 · 15 March 2024 · 15th of March · Mar. 15
//                  · March 2024 · Tuesday, March 5th, 2024 (month names
//                  capitalised, as in running text)
//   times          14:30, 09:15:42, 2:30 pm, 11am, 7 p.m. (H:MM with a
//                  one-digit hour only with am/pm or "at"/"by"/... before it)
// A date and a time joined by " ", ", ", " at ", " on " or "T" are one finding.
// Rejected: invalid calendar days (2023-02-29, 31/04/2024), numeric dates
// without a year (3/4), two-digit-year dotted triples that look like
// versions (1.2.10), anything glued to more dotted digits (IPs, versions).
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "rails/safety/internal/pii_recognizers.h"
#include "rails/safety/internal/pii_validators.h"

namespace rg::rails::safety::internal {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int to_int(const re2::StringPiece& s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

int month_of(const re2::StringPiece& s) {
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (s.size() < 3) return 0;
  std::string p;
  for (size_t i = 0; i < 3; ++i) p.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i]))));
  for (int m = 0; m < 12; ++m)
    if (p == kMonths[m]) return m + 1;
  return 0;
}

constexpr const char* kMonth =
    "((?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|"
    "Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|"
    "AUG(?:UST)?|SEPT?(?:EMBER)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)\\.?)";
constexpr const char* kWeekday =
    "(?:(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|sday|urday)?\\.?,?\\s+)?";

RE2::Options quiet() {
  RE2::Options o;
  o.set_log_errors(false);
  return o;
}

enum class Kind { kDate, kTime };
struct Hit {
  size_t b, e;
  double score;
  Kind kind;
  bool joined = false;
  bool weak = false;  // "9:00" with no am/pm or "at": kept only after a date
};

class DateTimeRecognizer : public Recognizer {
 public:
  DateTimeRecognizer()
      : iso_("\\b(\\d{4})-(\\d{2})-(\\d{2})(?:[T ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,]\\d{1,9})?)?"
             "(Z|[+\\-]\\d{2}:?\\d{2})?)?",
             quiet()),
        dmy_("\\b(\\d{1,2})([/.\\-])(\\d{1,2})([/.\\-])(\\d{4}|\\d{2})\\b", quiet()),
        ymd_("\\b(\\d{4})([/.])(\\d{1,2})([/.])(\\d{1,2})\\b", quiet()),
        month_day_(std::string("\\b") + kWeekday + kMonth + "\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b(?:,?\\s+(\\d{4})\\b)?",
                   quiet()),
        day_month_(std::string("\\b") + kWeekday + "(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?" + kMonth +
                       "(?:,?\\s+(\\d{4})\\b)?",
                   quiet()),
        month_year_(std::string("\\b") + kMonth + ",?\\s+(\\d{4})\\b", quiet()),
        hm_("\\b(\\d{1,2}):([0-5]\\d)(?::([0-5]\\d))?(?:\\s?([AaPp]\\.?[Mm]\\b\\.?))?(?:\\s?(UTC|GMT))?", quiet()),
        h_ampm_("\\b(\\d{1,2})\\s?([AaPp]\\.?[Mm])(\\.|\\b)", quiet()) {}

  const std::string& entity() const override { return entity_; }

  void scan(const TextFacts& f, std::vector<Candidate>* out) const override {
    if (f.digits == 0) return;
    const std::string_view t = f.text;
    std::vector<Hit> hits;
    auto each = [&](const RE2& re, auto fn) {
      const int n = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> g(static_cast<size_t>(n));
      size_t pos = 0;
      while (pos < t.size() && re.Match(re2::StringPiece(t.data(), t.size()), pos, t.size(), RE2::UNANCHORED, g.data(), n)) {
        size_t b = static_cast<size_t>(g[0].data() - t.data()), e = b + g[0].size();
        fn(b, e, g);
        pos = e > b ? e : b + 1;
      }
    };
    auto glued = [&](size_t b, size_t e) {
      if (b > 0 && (t[b - 1] == '.' || t[b - 1] == '/' || t[b - 1] == '-' || t[b - 1] == ':' || is_word_char(t[b - 1])))
        return true;
      if (e + 1 < t.size() && (t[e] == '.' || t[e] == '/' || t[e] == '-' || t[e] == ':') && is_digit(t[e + 1]))
        return true;
      return false;
    };
    if (f.digits >= 6) {
      each(iso_, [&](size_t b, size_t e, auto& g) {
        if (glued(b, e) || !date_valid(to_int(g[1]), to_int(g[2]), to_int(g[3]))) return;
        if (!g[4].empty() && (to_int(g[4]) > 23)) e = static_cast<size_t>(g[3].data() - t.data()) + 2;
        hits.push_back({b, e, 0.85, Kind::kDate});
      });
      each(dmy_, [&](size_t b, size_t e, auto& g) {
        if (g[2] != g[4] || glued(b, e)) return;
        int a = to_int(g[1]), c = to_int(g[3]);
        int y = to_int(g[5]);
        bool two_digit_year = g[5].size() == 2;
        if (two_digit_year) {
          // "1.2.10" is a version; a two-digit year needs '/' or a zero-padded day and month.
          if (g[2] != "/" && (g[1].size() != 2 || g[3].size() != 2)) return;
          y += 2000;
        } else if (y < 1800 || y > 2199) {
          return;
        }
        if (!date_valid(y, c, a) && !date_valid(y, a, c)) return;
        static const std::vector<std::string_view> kVersion = {"version", "ver", "v", "release", "build"};
        if (near_word(t, b, e, kVersion, 12, 0)) return;
        hits.push_back({b, e, 0.6, Kind::kDate});
      });
      each(ymd_, [&](size_t b, size_t e, auto& g) {
        if (g[2] != g[4] || glued(b, e)) return;
        int y = to_int(g[1]);
        if (y < 1800 || y > 2199 || !date_valid(y, to_int(g[3]), to_int(g[5]))) return;
        hits.push_back({b, e, 0.6, Kind::kDate});
      });
    }
    if (f.letters) {
      each(month_day_, [&](size_t b, size_t e, auto& g) {
        int m = month_of(g[1]), d = to_int(g[2]);
        int y = g[3].empty() ? 2000 : to_int(g[3]);
        if (!date_valid(y, m, d)) return;
        if (e < t.size() && (t[e] == ':' || (t[e] == '.' && e + 1 < t.size() && is_digit(t[e + 1])))) return;
        hits.push_back({b, e, 0.6, Kind::kDate});
      });
      each(day_month_, [&](size_t b, size_t e, auto& g) {
        int d = to_int(g[1]), m = month_of(g[2]);
        int y = g[3].empty() ? 2000 : to_int(g[3]);
        if (!date_valid(y, m, d)) return;
        if (b > 0 && (t[b - 1] == '.' || t[b - 1] == ':' || t[b - 1] == '/')) return;
        hits.push_back({b, e, 0.6, Kind::kDate});
      });
      each(month_year_, [&](size_t b, size_t e, auto& g) {
        int y = to_int(g[2]);
        if (y < 1800 || y > 2199) return;
        hits.push_back({b, e, 0.6, Kind::kDate});
      });
    }
    if (f.colons > 0) {
      each(hm_, [&](size_t b, size_t e, auto& g) {
        int h = to_int(g[1]);
        bool ampm = !g[4].empty();
        if (b > 0 && (t[b - 1] == ':' || t[b - 1] == '.' || is_word_char(t[b - 1]))) return;
        if (e + 1 < t.size() && t[e] == ':' && is_digit(t[e + 1])) return;
        if (ampm ? (h < 1 || h > 12) : h > 23) return;
        if (g[1].size() == 1 && !ampm && g[5].empty()) {
          static const std::vector<std::string_view> kTimeWords = {"at", "by", "from", "until", "till", "before",
                                                                    "after", "around", "between", "and", "to", "@"};
          if (!near_word(t, b, b, kTimeWords, 8, 0)) {
            hits.push_back({b, e, 0.6, Kind::kTime, false, true});
            return;
          }
        }
        hits.push_back({b, e, 0.6, Kind::kTime});
      });
    }
    if (f.letters) {
      each(h_ampm_, [&](size_t b, size_t e, auto& g) {
        int h = to_int(g[1]);
        if (h < 1 || h > 12) return;
        if (b > 0 && (t[b - 1] == ':' || t[b - 1] == '.' || t[b - 1] == ',')) return;
        hits.push_back({b, e, 0.6, Kind::kTime});
      });
    }
    if (hits.empty()) return;
    // Longest first among overlapping date hits; then join date+time.
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
      return a.b != b.b ? a.b < b.b : a.e > b.e;
    });
    std::vector<Hit> kept;
    for (const Hit& h : hits) {
      if (!kept.empty() && h.b < kept.back().e) {
        if (h.e > kept.back().e && h.e - h.b > kept.back().e - kept.back().b) kept.back() = h;
        continue;
      }
      kept.push_back(h);
    }
    std::vector<Hit> merged;
    for (const Hit& h : kept) {
      if (!merged.empty() && !merged.back().joined && merged.back().kind != h.kind) {
        std::string_view gap = t.substr(merged.back().e, h.b - merged.back().e);
        if (gap == " " || gap == ", " || gap == " at " || gap == " on " || gap == "T" || gap == ", at " ||
            gap == " @ " || gap == " - ") {
          merged.back().e = h.e;
          merged.back().score = std::max(merged.back().score, h.score);
          merged.back().kind = Kind::kDate;  // a date-time: joins nothing further
          merged.back().joined = true;
          continue;
        }
      }
      if (!h.weak) merged.push_back(h);
    }
    for (Hit& h : merged) {
      // A full stop after a full month name or "PM" ends the sentence; the
      // dots of "p.m." and "Jan." belong to the date.
      if (h.e > h.b + 1 && t[h.e - 1] == '.') {
        std::string_view m = t.substr(h.b, h.e - h.b);
        bool keep = false;
        if (m.size() >= 4 && (m[m.size() - 3] == '.' || m[m.size() - 3] == 'm' || m[m.size() - 3] == 'M') &&
            (m[m.size() - 4] == 'a' || m[m.size() - 4] == 'p' || m[m.size() - 4] == 'A' || m[m.size() - 4] == 'P'))
          keep = m[m.size() - 3] == '.';  // "p.m." keeps, "pm." does not
        size_t word = m.find_last_of(" ,", m.size() - 2);
        std::string_view last = word == std::string_view::npos ? m : m.substr(word + 1);
        if ((last.size() == 4 || (last.size() == 5 && (last[3] == 't' || last[3] == 'T'))) &&
            std::isalpha(static_cast<unsigned char>(last[0])) && month_of(re2::StringPiece(last.data(), last.size())) != 0)
          keep = true;  // "Jan.", "Sept."
        if (!keep) --h.e;
      }
      out->push_back({h.b, h.e, h.score});
    }
  }

 private:
  RE2 iso_, dmy_, ymd_, month_day_, day_month_, month_year_, hm_, h_ampm_;
  std::string entity_ = "DATE_TIME";
};

}  // namespace

std::unique_ptr<const Recognizer> make_datetime_recognizer() { return std::make_unique<DateTimeRecognizer>(); }

}  // namespace rg::rails::safety::internal
