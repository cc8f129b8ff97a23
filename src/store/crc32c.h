// CRC-32C (Castagnoli), as remote-read's chunked frames and the store's file
// format use it.
#pragma once

#include <cstdint>
#include <string_view>

namespace depin::store {

// CRC-32C of `data`, continuing from `crc` (0 to start).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace depin::store
