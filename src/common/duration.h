// Prometheus-style durations: "500ms", "15s", "5m", "1h30m", "7d", "1w".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace depin {

// Milliseconds; rejects empty, negative, unknown units and overflow.
Result<int64_t> ParseDuration(std::string_view text);
std::string FormatDuration(int64_t ms);

// a / b rounded towards minus infinity: the index of the step of b
// milliseconds holding time a, also for times before the epoch. b > 0.
constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace depin
