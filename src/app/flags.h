// Command-line flags in Prometheus style: --name=value or --name value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace depin::app {

struct Flags {
  std::string config_file;  // empty: built-in defaults
  std::string listen_address = "0.0.0.0:9470";
  std::string web_config_file;  // empty: plain HTTP, no authentication
  bool enable_lifecycle = false;
  std::string log_level = "info";
  bool check_config = false;
  // Derived-series store (docs/storage.md).
  std::string storage_path = "data/";
  int64_t retention_ms = 15LL * 24 * 3600 * 1000;        // --storage.retention.time; 0: forever
  int64_t retention_bytes = 0;                           // --storage.retention.size; 0: unlimited
  int64_t checkpoint_interval_ms = 5 * 60 * 1000;        // --storage.checkpoint-interval
  bool wal_fsync = false;                                // --storage.wal.fsync
  int64_t audit_retention_ms = 30LL * 24 * 3600 * 1000;  // --storage.audit-retention; 0: no limit
  int64_t read_sample_limit = 50'000'000;                // --storage.remote.read-sample-limit
  int64_t read_series_limit = 100'000;                   // --storage.remote.read-series-limit
  int64_t read_max_range_ms = 366LL * 24 * 3600 * 1000;  // --storage.remote.read-max-range
  // GET /api/v1/history (docs/query.md); its range limit is read-max-range.
  int64_t query_max_series = 10'000;          // --query.max-series
  int64_t query_max_points = 11'000;          // --query.max-points (per series)
  int64_t query_max_samples = 50'000'000;     // --query.max-samples
  int64_t query_lookback_ms = 5 * 60 * 1000;  // --query.lookback-delta
  bool help = false;
  bool version = false;
};

// Parses argv[1..]; unknown flags and missing values are errors.
Result<Flags> ParseFlags(const std::vector<std::string>& args);

std::string Usage();

// "512MB", "1GB", "0" (base 1024, as Prometheus's --storage.tsdb.retention.size).
Result<int64_t> ParseBytes(const std::string& text);

}  // namespace depin::app
