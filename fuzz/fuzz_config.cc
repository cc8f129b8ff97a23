// Fuzzes the YAML config loader (yaml-cpp plus the strict readers and the
// validation). Any input must give a Config or a Status, never a crash or
// an escaping exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  auto config = depin::ParseConfig(yaml);
  if (config.ok()) (void)config.value().windows.slots();
  return 0;
}
