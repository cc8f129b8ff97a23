// Times and durations as Prometheus's HTTP API accepts them.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace depin::query {

// Milliseconds since the epoch from Unix seconds ("1700000000",
// "1700000000.25") or RFC 3339 ("2026-11-25T13:00:00Z",
// "2026-11-25T13:00:00.5+01:00"). InvalidArgument otherwise.
Result<int64_t> ParseTime(std::string_view text);

// Milliseconds from seconds ("15", "0.5") or a duration ("15s", "1h30m").
// InvalidArgument when malformed; the caller decides whether 0 is allowed.
Result<int64_t> ParseSeconds(std::string_view text);

}  // namespace depin::query
