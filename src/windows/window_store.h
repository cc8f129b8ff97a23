// Windows: per provider x signal ring buffers at a fixed step (DESIGN §2).
// Raw samples go in through a Batch (one lock per request); evaluation takes
// a Snapshot. Counters are turned into per-step increases with resets handled
// as Prometheus's increase() does.
//
// Out-of-order counter samples (DESIGN §10). The increase between two
// consecutive samples of a cumulative series (counter, histogram bucket,
// _sum, _count), in timestamp order, belongs to the slot of the later one.
// A late sample L landing between its neighbours A and B (A < L < B in time)
// splits the increase A->B that B's slot held: L's slot gains increase(A, L)
// and B's slot trades increase(A, B) for increase(L, B). Without a reset the
// window total is unchanged; with one it becomes what increase() over the
// sorted samples gives. A sample before every sample of its series becomes
// the new first one: B's slot gains increase(L, B). To find A and B each
// cumulative series keeps its recent samples: all within the tolerance of
// its newest, plus the one before them (at most kMaxRecentSamples).
// Samples older than the newest by more than the tolerance, or older than
// every kept sample once that bound let some go, are rejected (kOutOfOrder).
// Gauges need no neighbours: any sample inside the window
// lands in its slot; only the newest timestamp is remembered (duplicates).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "common/status.h"
#include "common/string_hash.h"
#include "config/config.h"
#include "route/router.h"
#include "windows/view.h"

namespace depin::windows {

using SeriesRef = uint32_t;

enum class AppendResult : uint8_t {
  kAccepted,
  kBaseline,        // first sample of a counter: only sets the starting point
  kAcceptedLate,    // older than the series' newest, within the tolerance: placed
  kDuplicate,       // same timestamp as a recent sample of the series
  kOutOfOrder,      // older than the series' newest by more than the tolerance
  kTooOld,          // before the start of the window
  kTooFarInFuture,  // more than the tolerated clock skew ahead of now
  kStaleMarker,     // Prometheus staleness marker: the series ended
  kInvalidValue,    // NaN or infinite where a number is required
};
inline constexpr size_t kAppendResultCount = 9;

// The reason label for counters, e.g. "too_old".
std::string_view AppendResultReason(AppendResult r);

// True for the results that stored the sample (accepted, baseline, late).
bool IsStored(AppendResult r);

// Returns true for Prometheus's staleness marker NaN (0x7ff0000000000002).
bool IsStaleMarker(double v);

// A plain copy of a WindowStore's whole state, for checkpoints (src/durable,
// docs/storage.md). Rings are in storage order: position p holds the slot s
// with s mod slots == p, for the `slots` slots ending at `latest_slot`.
struct WindowImage {
  struct Ring {
    int64_t latest_slot = 0;  // INT64_MIN: nothing written yet
    std::vector<double> sum, count;
    std::vector<double> upper_bounds;  // histograms only
    std::vector<double> buckets;       // histograms only: [position * bounds + bucket]
  };
  struct Provider {
    std::string id;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::array<std::optional<Ring>, kSignalCount> scalars, histograms;
  };
  struct Series {
    std::string key;       // canonical label key
    std::string provider;  // Provider::id
    Signal signal = Signal::kUp;
    route::Role role = route::Role::kValue;
    double le = 0;
    int64_t newest_ts = 0;
    std::vector<std::pair<int64_t, double>> recent;  // (timestamp ms, value)
    bool complete = true;
  };
  int64_t step_ms = 0;
  int slots = 0;
  std::vector<Provider> providers;
  std::vector<Series> series;
};

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
    // A hint: Resolve(key) follows soon, so its index entry is fetched into
    // the cache now (callers resolving many series prefetch a few ahead).
    void Prefetch(std::string_view key) const;
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
  // The same into *views, replacing its contents but reusing its elements'
  // buffers: a caller that keeps the vector between evaluations allocates
  // (and page-faults) nothing in steady state.
  void Snapshot(int64_t now_ms, std::vector<ProviderView>* views) const;

  size_t provider_count() const;
  size_t series_count() const;
  // Bytes held by ring buffers (window state), for the self-metrics.
  size_t window_bytes() const;

  // Future samples beyond this are rejected (clock skew tolerance).
  static constexpr int64_t kMaxFutureMs = int64_t{5} * 60 * 1000;
  // Bound on the recent samples kept per cumulative series: at very short
  // scrape intervals the tolerance shrinks to this many samples.
  static constexpr size_t kMaxRecentSamples = 64;

  int64_t out_of_order_tolerance_ms() const { return config_.out_of_order_tolerance_ms; }

  // A copy of everything, under the lock: what a checkpoint saves.
  WindowImage Export() const;
  // Loads `image` into this store, which must be empty. InvalidArgument when
  // the image's step or slot count differ from this store's configuration, or
  // a ring has the wrong size; series whose provider is missing are skipped
  // and counted in `skipped_series`. Providers and series past the limits
  // are skipped too.
  Status Import(const WindowImage& image, size_t* skipped_series = nullptr);
  // Bytes held by the recent samples of cumulative series (out-of-order state).
  size_t recent_sample_bytes() const;

 private:
  struct ScalarRing;
  struct HistogramRing;
  struct Provider;
  struct SeriesState;

  AppendResult AppendLocked(SeriesRef ref, int64_t ts, double value, int64_t now_ms);
  AppendResult AppendCumulative(SeriesState& series, int64_t ts, double value);
  // Whether `slot` is before the window of the series' ring.
  bool IsTooOld(const SeriesState& series, int64_t slot) const;
  // Adds `amount` (and `observations` to a counter's count) to `slot` of the
  // series' ring; false when the slot is before the window.
  bool AddToSlot(const SeriesState& series, int64_t slot, double amount, int32_t observations);

  WindowConfig config_;
  LimitsConfig limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> provider_index_;
  std::vector<std::unique_ptr<Provider>> providers_;
  // Flat (open addressing): the lookup of every sample's series is the
  // ingest path's largest cost, and Batch::Prefetch hides its cache misses.
  absl::flat_hash_map<std::string, SeriesRef> series_index_;
  std::vector<SeriesState> series_;
};

}  // namespace depin::windows
