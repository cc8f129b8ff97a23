// Write-ahead log of accepted remote-write requests (docs/storage.md).
// Segments <dir>/<20-digit sequence>.wal hold framed records: a header
// (format version), then one record per request as it was accepted: the
// ingester's now_ms, Content-Type, Content-Encoding and the raw body. Replay
// through the same Ingester with the same now_ms takes the same decisions.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "durable/framing.h"

namespace depin::durable {

inline constexpr uint32_t kWalFormatVersion = 1;

struct WalRequest {
  int64_t now_ms = 0;
  std::string content_type;
  std::string content_encoding;
  std::string body;
};

// A request as the write handler holds it (views into the HTTP request).
struct WalRequestRef {
  int64_t now_ms = 0;
  std::string_view content_type;
  std::string_view content_encoding;
  std::string_view body;
};

// The framed record of one request, appended to `out`.
void AppendWalRequest(const WalRequestRef& request, std::string* out);

// What one segment held: its requests and the damage met reading it.
struct WalSegmentContents {
  std::vector<WalRequest> requests;
  int corrupt = 0;          // damaged or undecodable records
  bool truncated = false;   // ends inside a record
  bool bad_header = false;  // a header of an unknown format version: nothing read
  uint64_t lost_bytes = 0;
};
WalSegmentContents DecodeWalSegment(std::string_view data);

std::string WalSegmentPath(const std::string& dir, uint64_t sequence);
// Sequence numbers of the segments in `dir`, ascending; empty when the
// directory does not exist.
Result<std::vector<uint64_t>> ListWalSegments(const std::string& dir);

// Appends to the current segment; thread-safe. Each request is one write()
// before the caller answers: a killed process loses nothing the kernel has
// (the page cache survives it); with `fsync` each append is also synced,
// which survives power loss at the cost of a disk flush per request.
class WalWriter {
 public:
  WalWriter(std::string dir, bool fsync) : dir_(std::move(dir)), fsync_(fsync) {}
  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Creates the directory if needed and starts segment `sequence` (a new
  // file; an existing one is truncated).
  Status Open(uint64_t sequence);
  Status Append(const WalRequestRef& request);
  // Starts the next segment and returns its sequence: the requests before
  // the call are all in earlier segments.
  Result<uint64_t> Rotate();
  // Removes the segments before `sequence`.
  Status RemoveBefore(uint64_t sequence);

  uint64_t sequence() const;
  const std::string& dir() const { return dir_; }

 private:
  Status OpenLocked(uint64_t sequence);
  Status WriteLocked(std::string_view bytes);

  const std::string dir_;
  const bool fsync_;
  mutable std::mutex mu_;
  int fd_ = -1;
  uint64_t sequence_ = 0;
  std::string buffer_;  // reused per append
};

}  // namespace depin::durable
