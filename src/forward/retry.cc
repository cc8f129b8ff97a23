#include "forward/retry.h"

#include <ctime>

#include <algorithm>
#include <cctype>
#include <string>

namespace depin::forward {

Verdict Classify(int http_status, bool retry_on_http_429) {
  if (http_status >= 200 && http_status < 300) return Verdict::kSent;
  if (http_status == 0 || http_status >= 500) return Verdict::kRetry;
  if (http_status == 429 && retry_on_http_429) return Verdict::kRetry;
  return Verdict::kReject;
}

int64_t ParseRetryAfter(std::string_view value, int64_t now_ms) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return -1;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return -1;  // over 30 years: not a delay anyone means
    return std::stoll(std::string(value)) * 1000;
  }
  std::tm parsed{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed);
  if (end == nullptr || *end != '\0') return -1;
  const int64_t at_ms = static_cast<int64_t>(timegm(&parsed)) * 1000;
  return std::max<int64_t>(0, at_ms - now_ms);
}

int64_t Backoff::Next() {
  const int64_t delay = next_ms_;
  next_ms_ = std::min(max_ms_, next_ms_ * 2);
  return delay;
}

}  // namespace depin::forward
