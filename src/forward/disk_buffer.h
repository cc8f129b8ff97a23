// The on-disk buffer of one remote-write target: one segment file per batch,
// named by the batch's sequence number, with a checksummed header. It holds
// what the memory queue cannot while the target is down or slow, survives a
// restart, and is bounded: past max_bytes the oldest segments are dropped.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace depin::forward {

// One encoded remote-write request and what it carries.
struct Batch {
  uint64_t seq = 0;         // send order; unique per target, kept across restarts
  int64_t samples = 0;      // samples in `body`
  int64_t newest_t_ms = 0;  // newest sample timestamp in `body`
  std::string body;         // snappy-compressed WriteRequest
};

// What ReadOldest found.
struct ReadOutcome {
  std::optional<Batch> batch;    // the oldest intact segment; none when empty
  int64_t corrupt_segments = 0;  // removed on the way (bad checksum, truncated)
  int64_t samples_lost = 0;      // their samples, where their header said
  std::string problem;           // the first problem, for the log
};

class DiskBuffer {
 public:
  // Creates `dir` when missing, removes temporary files left by a crash and
  // indexes the segments there. `max_bytes` > 0.
  static Result<std::unique_ptr<DiskBuffer>> Open(const std::string& dir, int64_t max_bytes);

  // Writes `batch` as a segment (temporary file, fsync, rename), then drops
  // the oldest segments (by sequence number, `batch` included; never the
  // pinned one) until the total fits max_bytes. Returns the samples dropped;
  // a batch larger than max_bytes alone is not written and counts as
  // dropped. Thread-safe.
  Result<int64_t> Append(const Batch& batch);

  // The oldest intact segment, pinned against dropping until Remove; corrupt
  // segments before it are removed and reported. Thread-safe.
  ReadOutcome ReadOldest();

  // Deletes the segment `seq` (done: sent or rejected). Thread-safe.
  void Remove(uint64_t seq);

  std::optional<uint64_t> oldest_seq() const;
  uint64_t next_seq() const;  // one past the highest sequence number ever seen
  int64_t bytes() const;
  int64_t samples() const;
  size_t segments() const;
  const std::string& dir() const { return dir_; }

  // The segment encoding (for tests): header and body; Parse checks both.
  static std::string Serialize(const Batch& batch);
  static Result<Batch> Parse(std::string_view file);

  static constexpr size_t kHeaderBytes = 36;

 private:
  struct Entry {
    int64_t bytes = 0;
    int64_t samples = 0;
  };
  DiskBuffer(std::string dir, int64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  std::string PathOf(uint64_t seq) const;
  void RemoveLocked(uint64_t seq);

  const std::string dir_;
  const int64_t max_bytes_;
  mutable std::mutex mu_;
  std::map<uint64_t, Entry> index_;  // seq -> segment
  std::optional<uint64_t> pinned_;
  uint64_t next_seq_ = 1;
  int64_t bytes_ = 0;
  int64_t samples_ = 0;
};

}  // namespace depin::forward
