// The state checkpoint (docs/storage.md, "Restart without loss"): the
// windows and the analytics' memory (tiers with their hysteresis, forecast
// models, long-range trends and usage profiles, penalties, anomaly episodes,
// the audit trail) as framed records, one per provider and component, so a
// damaged record loses only its own part. The header names the first
// write-ahead log segment that is not in the checkpoint.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "analytics/scoreboard.h"
#include "config/config.h"
#include "windows/window_store.h"

namespace depin::durable {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

struct CheckpointHeader {
  int64_t created_ms = 0;
  uint64_t wal_sequence = 0;  // replay the WAL segments from this one on
};

// The whole file. Audit records older than `audit_since_ms` are left out
// (the audit retention).
std::string EncodeCheckpoint(const CheckpointHeader& header, const windows::WindowImage& windows,
                             const analytics::AnalyticsState& state, int64_t audit_since_ms);

struct CheckpointContents {
  // No intact header of this format: nothing else is trusted, and the WAL is
  // replayed from its first segment.
  std::optional<CheckpointHeader> header;
  uint32_t version = 0;  // the file's version when a header was found
  // nullopt when the record of the windows' geometry was lost.
  std::optional<windows::WindowImage> windows;
  analytics::AnalyticsState state;
  // Damage: records lost to corruption, records intact but not decodable or
  // not fitting the current configuration, and a file cut short (its end
  // record missing).
  int corrupt = 0;
  int invalid = 0;
  bool truncated = false;
  int64_t records = 0;  // records restored
  int64_t audit_records = 0;

  explicit CheckpointContents(const Config& config) : state(config) {}
  bool damaged() const { return corrupt > 0 || invalid > 0 || truncated; }
};

// Decodes what is intact; the analytics state is built for `config` (models
// whose parameters no longer fit it are dropped and counted as invalid).
CheckpointContents DecodeCheckpoint(std::string_view data, const Config& config);

}  // namespace depin::durable
