// Fuzzes the Prometheus duration parser. Beyond "no crash, no UB": a parsed
// duration is non-negative and survives FormatDuration -> ParseDuration.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/duration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = depin::ParseDuration(text);
  if (!parsed.ok()) return 0;
  if (parsed.value() < 0) std::abort();
  auto again = depin::ParseDuration(depin::FormatDuration(parsed.value()));
  if (!again.ok() || again.value() != parsed.value()) std::abort();
  return 0;
}
