// Numbers as the API's plain-words reasons and warnings write them.
#pragma once

#include <cstdio>
#include <string>

namespace depin::api {

// `v` through a printf format with one double conversion, e.g. "%.2f/h".
inline std::string FormatNumber(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// 0.041 -> "4.1%".
inline std::string Percent(double ratio) { return FormatNumber("%.1f%%", 100.0 * ratio); }

// 0.5 -> "0.50s".
inline std::string Seconds(double s) { return FormatNumber("%.2fs", s); }

}  // namespace depin::api
