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

}  // namespace depin
