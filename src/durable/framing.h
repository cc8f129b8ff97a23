// Framed records, the unit of both the write-ahead log and the checkpoint
// (docs/storage.md): magic u32 | length u32 | CRC-32C u32 of the payload |
// payload, little-endian. A damaged record is detected by its CRC; reading
// resumes at the next intact record, so one bad record loses only itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace depin::durable {

inline constexpr uint32_t kRecordMagic = 0x5244'5044;  // "DPDR" in file order
inline constexpr size_t kRecordHeaderBytes = 12;
// Longer payloads are refused on write and taken for damage on read.
inline constexpr uint32_t kMaxRecordBytes = 256u << 20;

// Appends one framed record holding `payload` to `out`.
void AppendRecord(std::string* out, std::string_view payload);

struct ScanResult {
  std::vector<std::string_view> payloads;  // intact records, in file order
  // Damaged stretches followed by an intact record (each loses what it held).
  int corrupt = 0;
  // The input ends inside a record: a write cut short (crash, full disk).
  bool truncated = false;
  // Bytes that were not part of an intact record.
  uint64_t lost_bytes = 0;
};

// Splits `data` into the payloads of its intact records. Damage followed by
// an intact record counts as corrupt; damage that runs to the end counts as
// truncated when it is one record whose declared length passes the end (or
// a header cut short), else as corrupt.
ScanResult ScanRecords(std::string_view data);

}  // namespace depin::durable
