#include "query/time_param.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "common/duration.h"

namespace depin::query {
namespace {

// A plain decimal number (no exponent, inf or nan, which strtod would take).
bool ParseDecimal(std::string_view text, double* out) {
  if (text.empty()) return false;
  size_t i = text[0] == '-' || text[0] == '+' ? 1 : 0;
  bool digits = false;
  bool dot = false;
  for (; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') {
      digits = true;
    } else if (text[i] == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  if (!digits) return false;
  *out = std::strtod(std::string(text).c_str(), nullptr);
  return std::isfinite(*out);
}

bool Digits(std::string_view text, size_t pos, size_t n, int* out) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *out = v;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
// (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

Result<int64_t> ParseRfc3339(std::string_view s) {
  auto bad = [&] {
    return Status::InvalidArgument("cannot parse \"" + std::string(s) +
                                   "\" to a valid timestamp (Unix seconds or RFC 3339)");
  };
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return bad();
  }
  size_t i = 19;
  int64_t ms = 0;
  if (s[i] == '.') {
    ++i;
    size_t start = i;
    int64_t scale = 100;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ms += (s[i] - '0') * scale;  // digits past milliseconds are dropped
      scale /= 10;
      ++i;
    }
    if (i == start) return bad();
  }
  int64_t offset_min = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!Digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, &om) || oh > 23 || om > 59) {
      return bad();
    }
    offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  const int64_t seconds = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                          second - offset_min * 60;
  return seconds * 1000 + ms;
}

}  // namespace

Result<int64_t> ParseTime(std::string_view text) {
  double seconds = 0;
  if (ParseDecimal(text, &seconds)) {
    // Within ±292 million years, as int64 milliseconds hold.
    if (std::fabs(seconds) > 9.2e15) {
      return Status::InvalidArgument("timestamp out of range: " + std::string(text));
    }
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  }
  return ParseRfc3339(text);
}

Result<int64_t> ParseSeconds(std::string_view text) {
  double seconds = 0;
  if (ParseDecimal(text, &seconds)) {
    if (seconds < 0) return Status::InvalidArgument("negative duration: " + std::string(text));
    if (seconds > 9.2e15)
      return Status::InvalidArgument("duration out of range: " + std::string(text));
    return static_cast<int64_t>(std::llround(seconds * 1000.0));
  }
  auto d = ParseDuration(text);
  if (!d.ok()) {
    return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                   "\" to a valid duration (seconds or e.g. 15s, 1m, 1h30m)");
  }
  return d;
}

}  // namespace depin::query
