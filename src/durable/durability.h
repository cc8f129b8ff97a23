// Restart without loss (issue 4; docs/storage.md, docs/operations.md).
// Every remote-write request that stored something is appended to the
// write-ahead log before it is answered; the windows and the analytics'
// memory are checkpointed every interval, consistently with a WAL cut
// (writes wait while the segment is rotated and the windows copied); at
// start the checkpoint is loaded and the WAL after it replayed through the
// Ingester with each request's recorded now_ms. Damage is logged, counted
// in depin_sidecar_recovery_damage_total, and the intact rest recovered.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "analytics/scoreboard.h"
#include "common/logger.h"
#include "common/status.h"
#include "config/config.h"
#include "durable/wal.h"
#include "ingest/ingester.h"
#include "windows/window_store.h"

namespace depin::durable {

struct DurabilityOptions {
  std::string dir;  // --storage.path: state.checkpoint and wal/ live here
  int64_t checkpoint_interval_ms = 5 * 60 * 1000;
  bool fsync = false;                                    // --storage.wal.fsync: sync every append
  int64_t audit_retention_ms = 30LL * 24 * 3600 * 1000;  // --storage.audit-retention
};

// How the analytics state is read and replaced (the Evaluator owns it).
struct AnalyticsAccess {
  std::function<analytics::AnalyticsState()> copy;
  std::function<void(analytics::AnalyticsState)> restore;
};

// What Recover() found.
struct RecoveryReport {
  bool checkpoint_found = false;
  bool checkpoint_used = false;  // its header was intact and of this format
  int checkpoint_corrupt = 0, checkpoint_invalid = 0;
  bool checkpoint_truncated = false;
  size_t providers = 0, series = 0;  // windows restored from the checkpoint
  size_t series_skipped = 0;
  std::string windows_problem;  // why the checkpoint's windows were not used
  int64_t audit_records = 0;
  int wal_segments = 0;
  int64_t wal_requests = 0, wal_samples = 0;  // replayed
  int wal_corrupt = 0, wal_truncated = 0, wal_unreadable = 0;
  bool damaged() const;
};

// Blocks new writes while a checkpoint cuts the WAL; writers never starve
// the checkpoint (a waiting cut stops new writers from entering).
class WriteGate {
 public:
  void EnterWrite();
  void LeaveWrite();
  void Close();  // waits for the writers inside
  void Open();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int writers_ = 0;
  bool closed_ = false;
};

class Durability {
 public:
  // All references must outlive the Durability.
  Durability(DurabilityOptions options, const Config& config, windows::WindowStore& windows,
             ingest::Ingester& ingester, AnalyticsAccess analytics, prometheus::Registry& registry,
             Logger& log);
  ~Durability();
  Durability(const Durability&) = delete;
  Durability& operator=(const Durability&) = delete;

  // Call once, before serving: locks the directory (flock on <dir>/lock),
  // loads the checkpoint into the (empty) windows and the analytics, replays
  // the WAL after it, logs and counts any damage, then opens a new WAL
  // segment and writes a fresh checkpoint. Unavailable when the directory
  // cannot be written or another process holds its lock (then nothing in
  // it was touched): the caller may serve without durability.
  Result<RecoveryReport> Recover(int64_t now_ms);

  // The remote-write path: Ingester::Write, then the request appended to the
  // WAL when it stored anything, before the caller answers. A failed append
  // turns the answer into a 500 (Prometheus retries; the samples already in
  // the windows are then duplicates). Thread-safe.
  ingest::WriteOutcome Write(const ingest::WriteInput& input, int64_t now_ms);

  // Writes a checkpoint now and removes the WAL segments it covers.
  Status Checkpoint(int64_t now_ms);

  // Checkpoints every interval; Stop() joins and writes a last checkpoint.
  void Start();
  void Stop();

  static constexpr const char* kCheckpointFile = "state.checkpoint";
  static constexpr const char* kWalDir = "wal";
  static constexpr const char* kLockFile = "lock";

 private:
  void Loop();
  void CountDamage(const char* file, const char* kind, double n);

  const DurabilityOptions options_;
  const Config config_;
  windows::WindowStore& windows_;
  ingest::Ingester& ingester_;
  AnalyticsAccess analytics_;
  Logger& log_;
  WalWriter wal_;
  bool wal_open_ = false;  // set by Recover; never changes while serving
  int lock_fd_ = -1;       // holds the directory's flock while open
  WriteGate gate_;
  std::mutex checkpoint_mu_;  // one checkpoint at a time

  prometheus::Counter& wal_records_;
  prometheus::Counter& wal_failures_;
  prometheus::Counter& replayed_;
  prometheus::Family<prometheus::Counter>& checkpoints_;
  prometheus::Family<prometheus::Counter>& damage_;
  prometheus::Gauge& checkpoint_bytes_;
  prometheus::Gauge& checkpoint_seconds_;
  prometheus::Gauge& checkpoint_timestamp_;

  std::mutex timer_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace depin::durable
