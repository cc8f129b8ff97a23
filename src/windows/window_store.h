// Windows: per provider x signal ring buffers at a fixed step (DESIGN §2).
// Raw samples go in through a Batch (one lock per request); evaluation takes
// a Snapshot. Counters are turned into per-step increases with resets handled
// as Prometheus's increase() does.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "route/router.h"
#include "windows/view.h"

namespace depin::windows {

using SeriesRef = uint32_t;

enum class AppendResult : uint8_t {
  kAccepted,
  kBaseline,        // first sample of a counter: only sets the starting point
  kDuplicate,       // same timestamp as the previous sample of the series
  kOutOfOrder,      // older than the series' last sample (counters only)
  kTooOld,          // before the start of the window
  kTooFarInFuture,  // more than the tolerated clock skew ahead of now
  kStaleMarker,     // Prometheus staleness marker: the series ended
  kInvalidValue,    // NaN or infinite where a number is required
};

// The reason label for counters, e.g. "too_old".
std::string_view AppendResultReason(AppendResult r);

// Returns true for Prometheus's staleness marker NaN (0x7ff0000000000002).
bool IsStaleMarker(double v);

class WindowStore {
 public:
  WindowStore(const WindowConfig& windows, const LimitsConfig& limits);
  ~WindowStore();
  WindowStore(const WindowStore&) = delete;
  WindowStore& operator=(const WindowStore&) = delete;

  // Appends a request's samples under one lock.
  class Batch {
   public:
    // Finds the series by its canonical label key, creating it from `route`
    // (which must be kRouted) on first sight. TooLarge past the provider or
    // per-provider series limits.
    Result<SeriesRef> Resolve(std::string_view key, const route::Route& route);
    AppendResult Append(SeriesRef ref, int64_t timestamp_ms, double value);

   private:
    friend class WindowStore;
    Batch(WindowStore* store, int64_t now_ms);
    WindowStore* store_;
    std::unique_lock<std::mutex> lock_;
    int64_t now_ms_;
  };
  Batch BeginBatch(int64_t now_ms) { return Batch(this, now_ms); }

  // Copies every provider with data in the window ending at `now_ms`.
  std::vector<ProviderView> Snapshot(int64_t now_ms) const;

  size_t provider_count() const;
  size_t series_count() const;
  // Bytes held by ring buffers (window state), for the self-metrics.
  size_t window_bytes() const;

  // Future samples beyond this are rejected (clock skew tolerance).
  static constexpr int64_t kMaxFutureMs = int64_t{5} * 60 * 1000;

 private:
  struct ScalarRing;
  struct HistogramRing;
  struct Provider;
  struct SeriesState;

  AppendResult AppendLocked(SeriesRef ref, int64_t ts, double value, int64_t now_ms);

  WindowConfig config_;
  LimitsConfig limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint32_t> provider_index_;
  std::vector<std::unique_ptr<Provider>> providers_;
  std::unordered_map<std::string, SeriesRef> series_index_;
  std::vector<SeriesState> series_;
};

}  // namespace depin::windows
