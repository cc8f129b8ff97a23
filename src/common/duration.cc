#include "common/duration.h"

#include <cctype>
#include <limits>

namespace depin {
namespace {

// Milliseconds per unit; 0 for an unknown unit.
int64_t UnitMs(std::string_view unit) {
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {
      {"ms", 1},         {"s", 1000},        {"m", 60'000},        {"h", 3'600'000},
      {"d", 86'400'000}, {"w", 604'800'000}, {"y", 31'536'000'000}};
  for (const auto& u : kUnits) {
    if (u.name == unit) return u.ms;
  }
  return 0;
}

}  // namespace

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return Status::InvalidArgument("invalid duration \"" + std::string(text) + "\"");
    }
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > std::numeric_limits<int64_t>::max() / 10 - 10) {
        return Status::InvalidArgument("duration out of range \"" + std::string(text) + "\"");
      }
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    int64_t mult = UnitMs(unit);
    if (mult == 0) {
      return Status::InvalidArgument("invalid duration unit in \"" + std::string(text) + "\"");
    }
    if (n > (std::numeric_limits<int64_t>::max() - total) / mult) {
      return Status::InvalidArgument("duration out of range \"" + std::string(text) + "\"");
    }
    total += n * mult;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  struct Unit {
    int64_t ms;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{604'800'000, "w"}, {86'400'000, "d"}, {3'600'000, "h"},
                                    {60'000, "m"},      {1000, "s"},       {1, "ms"}};
  std::string out;
  for (const auto& u : kUnits) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace depin
