// What to do after a send attempt, and how long to wait before the next one:
// Prometheus's remote-write queue policy.
#pragma once

#include <cstdint>
#include <string_view>

namespace depin::forward {

enum class Verdict {
  kSent,    // 2xx: the batch is done, never sent again
  kRetry,   // connection error, 5xx, or 429 when retry_on_http_429: same batch again
  kReject,  // any other status: the receiver will never take it; dropped and counted
};

// `http_status` 0 means no response (connection refused, reset, timeout).
Verdict Classify(int http_status, bool retry_on_http_429);

// A Retry-After header value (delay-seconds or an IMF-fixdate) as a delay in
// milliseconds from `now_ms`; -1 when absent or unparsable, 0 for a past date.
int64_t ParseRetryAfter(std::string_view value, int64_t now_ms);

// Exponential backoff: min, 2*min, 4*min, ... capped at max; Reset() after a
// success starts again at min.
class Backoff {
 public:
  Backoff(int64_t min_ms, int64_t max_ms) : min_ms_(min_ms), max_ms_(max_ms), next_ms_(min_ms) {}
  // The delay before the next attempt; doubles the one after it.
  int64_t Next();
  void Reset() { next_ms_ = min_ms_; }

 private:
  int64_t min_ms_;
  int64_t max_ms_;
  int64_t next_ms_;
};

}  // namespace depin::forward
