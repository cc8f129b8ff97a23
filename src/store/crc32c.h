// CRC-32C (Castagnoli), as remote-read's chunked frames and the store's file
// format use it.
#pragma once

#include <cstdint>
#include <string_view>

namespace depin::store {

// CRC-32C of `data`, continuing from `crc` (0 to start). Uses the CPU's
// CRC32 instruction where there is one (x86-64 SSE4.2).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

// The same checksum by table, whatever the CPU: the reference for tests.
uint32_t Crc32cPortable(std::string_view data, uint32_t crc = 0);

}  // namespace depin::store
