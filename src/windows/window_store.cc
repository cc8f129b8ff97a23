#include "windows/window_store.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "common/duration.h"

namespace depin::windows {
namespace {

constexpr int64_t kNoSlot = std::numeric_limits<int64_t>::min();

int Position(int64_t slot, int n) {
  int64_t p = slot % n;
  return static_cast<int>(p < 0 ? p + n : p);
}

// a - b for b >= 0, clamped at the lowest int64: timestamps come off the wire.
int64_t SubtractClamped(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_sub_overflow(a, b, &r) ? std::numeric_limits<int64_t>::min() : r;
}

// Prometheus's increase() between consecutive samples of a cumulative
// series: a drop means the counter restarted from 0.
double Increase(double from, double to) { return to >= from ? to - from : to; }

// The time axis of one ring: which slot each position holds.
struct RingCursor {
  int64_t latest = kNoSlot;

  // Makes `slot` writable and returns its position, clearing positions that
  // now hold a newer slot; -1 when `slot` fell out of the window.
  template <typename Clear>
  int Advance(int64_t slot, int n, Clear clear) {
    if (latest == kNoSlot || slot - latest >= n) {
      for (int p = 0; p < n; ++p) clear(p);
      latest = slot;
    } else if (slot > latest) {
      for (int64_t s = latest + 1; s <= slot; ++s) clear(Position(s, n));
      latest = slot;
    } else if (slot <= latest - n) {
      return -1;
    }
    return Position(slot, n);
  }
  bool Holds(int64_t slot, int n) const {
    return latest != kNoSlot && slot <= latest && slot > latest - n;
  }
};

}  // namespace

// Slot storage is compact (DESIGN §11: 2 kB per provider-signal): a
// scalar slot's count is a number of samples, so an integer; a histogram's
// slot increases (buckets and _count: counts of observations; _sum) are
// floats: counts exact up to 2^24 per slot and within 6e-8 relative above,
// sums to 7 significant digits, plenty for quantiles and means. Scalar sums
// (gauge values, counter increases) stay doubles. Views widen to double.
using SlotCount = int32_t;  // signed: SSE2 converts it to double, not uint32
using HistogramIncrease = float;

// Saturates at the float range: an absurd increase stays a finite number.
HistogramIncrease ToHistogramIncrease(double v) {
  constexpr double kMax = std::numeric_limits<HistogramIncrease>::max();
  return static_cast<HistogramIncrease>(std::clamp(v, -kMax, kMax));
}

struct WindowStore::ScalarRing {
  explicit ScalarRing(int n) : sum(n, 0.0), count(n, 0) {}
  RingCursor cursor;
  std::vector<double> sum;
  std::vector<SlotCount> count;
};

// Histograms are read as whole-window totals, so the ring keeps running
// totals of every held slot (DESIGN §11: nothing re-scans raw history per
// cycle): a snapshot reads them instead of summing slots x buckets. Totals
// are doubles fed with the exact change of each float slot; they are
// recounted from the slots once per `n` slot advances, so rounding in _sum
// cannot build up.
struct WindowStore::HistogramRing {
  explicit HistogramRing(int n) : sum(n, 0), count(n, 0) {}
  RingCursor cursor;
  std::vector<double> upper_bounds;
  std::vector<HistogramIncrease> sum;
  std::vector<HistogramIncrease> count;
  std::vector<HistogramIncrease> buckets;  // [position * upper_bounds.size() + bucket]
  double sum_total = 0, count_total = 0;
  std::vector<double> bucket_totals;  // per bucket, over every held slot
  int advances_since_recount = 0;

  // Index of `le`, inserting a new bucket column if unseen.
  size_t BucketIndex(double le, int n) {
    auto it = std::lower_bound(upper_bounds.begin(), upper_bounds.end(), le);
    size_t idx = static_cast<size_t>(it - upper_bounds.begin());
    if (it != upper_bounds.end() && *it == le) return idx;
    size_t old_width = upper_bounds.size();
    upper_bounds.insert(it, le);
    bucket_totals.insert(bucket_totals.begin() + static_cast<std::ptrdiff_t>(idx), 0.0);
    std::vector<HistogramIncrease> grown(static_cast<size_t>(n) * (old_width + 1), 0);
    for (int p = 0; p < n; ++p) {
      for (size_t b = 0; b < old_width; ++b) {
        grown[p * (old_width + 1) + (b < idx ? b : b + 1)] = buckets[p * old_width + b];
      }
    }
    buckets.swap(grown);
    return idx;
  }
  // Adds `amount` to one slot value and the change it made to `total`.
  static void Add(HistogramIncrease& slot, double& total, double amount) {
    const HistogramIncrease before = slot;
    slot += ToHistogramIncrease(amount);
    total += static_cast<double>(slot) - static_cast<double>(before);
  }
  void Clear(int p) {
    const size_t width = upper_bounds.size();
    HistogramIncrease* row = buckets.data() + static_cast<size_t>(p) * width;
    for (size_t b = 0; b < width; ++b) bucket_totals[b] -= row[b];
    std::fill_n(row, width, HistogramIncrease{0});
    sum_total -= sum[p];
    count_total -= count[p];
    sum[p] = 0;
    count[p] = 0;
    ++advances_since_recount;
  }
  // Recomputes the totals from the slots: after an import, and once the
  // ring has turned over since the last recount.
  void Recount() {
    const size_t width = upper_bounds.size();
    bucket_totals.assign(width, 0.0);
    sum_total = 0;
    count_total = 0;
    for (size_t p = 0; p < sum.size(); ++p) {
      sum_total += sum[p];
      count_total += count[p];
      for (size_t b = 0; b < width; ++b) bucket_totals[b] += buckets[p * width + b];
    }
    advances_since_recount = 0;
  }
};

struct WindowStore::Provider {
  std::string id;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::array<std::unique_ptr<ScalarRing>, kSignalCount> scalars;
  std::array<std::unique_ptr<HistogramRing>, kSignalCount> histograms;
  int64_t series = 0;
};

struct WindowStore::SeriesState {
  struct Point {
    int64_t ts;
    double value;
  };
  uint32_t provider;
  Signal signal;
  route::Role role;
  double le;
  // Gauges: the newest timestamp seen.
  int64_t newest_ts = kNoSlot;
  // Cumulative series: recent samples in timestamp order (see the header).
  std::vector<Point> recent;
  // Whether recent[0] is the series' first sample ever (nothing trimmed).
  bool complete = true;
};

std::string_view AppendResultReason(AppendResult r) {
  switch (r) {
    case AppendResult::kAccepted:
      return "accepted";
    case AppendResult::kBaseline:
      return "counter_baseline";
    case AppendResult::kAcceptedLate:
      return "accepted_late";
    case AppendResult::kDuplicate:
      return "duplicate";
    case AppendResult::kOutOfOrder:
      return "out_of_order";
    case AppendResult::kTooOld:
      return "too_old";
    case AppendResult::kTooFarInFuture:
      return "too_far_in_future";
    case AppendResult::kStaleMarker:
      return "stale_marker";
    case AppendResult::kInvalidValue:
      return "invalid_value";
  }
  return "unknown";
}

bool IsStored(AppendResult r) {
  return r == AppendResult::kAccepted || r == AppendResult::kBaseline ||
         r == AppendResult::kAcceptedLate;
}

bool IsStaleMarker(double v) { return std::bit_cast<uint64_t>(v) == 0x7ff0000000000002ULL; }

WindowStore::WindowStore(const WindowConfig& windows, const LimitsConfig& limits)
    : config_(windows), limits_(limits) {}

WindowStore::~WindowStore() = default;

WindowStore::Batch::Batch(WindowStore* store, int64_t now_ms)
    : store_(store), lock_(store->mu_), now_ms_(now_ms) {}

namespace {
// Debian's Abseil has its own string_view type, not std::string_view.
absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }
}  // namespace

void WindowStore::Batch::Prefetch(std::string_view key) const {
  store_->series_index_.prefetch(AsAbsl(key));
}

Result<SeriesRef> WindowStore::Batch::Resolve(std::string_view key, const route::Route& route) {
  WindowStore& s = *store_;
  auto it = s.series_index_.find(AsAbsl(key));
  if (it != s.series_index_.end()) return it->second;

  auto pit = s.provider_index_.find(route.provider);
  uint32_t provider_idx;
  if (pit == s.provider_index_.end()) {
    if (static_cast<int64_t>(s.providers_.size()) >= s.limits_.max_providers) {
      return Status::TooLarge("provider limit of " + std::to_string(s.limits_.max_providers) +
                              " reached");
    }
    provider_idx = static_cast<uint32_t>(s.providers_.size());
    auto p = std::make_unique<Provider>();
    p->id = route.provider;
    s.providers_.push_back(std::move(p));
    s.provider_index_.emplace(route.provider, provider_idx);
  } else {
    provider_idx = pit->second;
  }
  Provider& provider = *s.providers_[provider_idx];
  if (provider.series >= s.limits_.max_series_per_provider) {
    return Status::TooLarge("series limit of " + std::to_string(s.limits_.max_series_per_provider) +
                            " per provider reached for provider " + provider.id);
  }
  ++provider.series;
  if (route.signal == Signal::kInfo) provider.attributes = route.attributes;
  int n = s.config_.slots();
  int sig = Index(route.signal);
  if (DefaultKind(route.signal) == SignalKind::kHistogram) {
    if (!provider.histograms[sig]) provider.histograms[sig] = std::make_unique<HistogramRing>(n);
  } else if (DefaultKind(route.signal) != SignalKind::kInfo) {
    if (!provider.scalars[sig]) provider.scalars[sig] = std::make_unique<ScalarRing>(n);
  }
  auto ref = static_cast<SeriesRef>(s.series_.size());
  s.series_.push_back(
      SeriesState{provider_idx, route.signal, route.role, route.le, kNoSlot, {}, true});
  s.series_index_.emplace(std::string(key), ref);
  return ref;
}

AppendResult WindowStore::Batch::Append(SeriesRef ref, int64_t ts, double value) {
  return store_->AppendLocked(ref, ts, value, now_ms_);
}

AppendResult WindowStore::AppendLocked(SeriesRef ref, int64_t ts, double value, int64_t now_ms) {
  SeriesState& series = series_[ref];
  if (IsStaleMarker(value)) return AppendResult::kStaleMarker;
  if (!std::isfinite(value)) return AppendResult::kInvalidValue;
  if (ts > now_ms + kMaxFutureMs) return AppendResult::kTooFarInFuture;
  const SignalKind kind = DefaultKind(series.signal);
  if (kind == SignalKind::kInfo) return AppendResult::kAccepted;
  if (kind != SignalKind::kGauge) return AppendCumulative(series, ts, value);

  if (ts == series.newest_ts) return AppendResult::kDuplicate;
  if (!AddToSlot(series, FloorDiv(ts, config_.step_ms), value, 1)) return AppendResult::kTooOld;
  series.newest_ts = std::max(series.newest_ts, ts);
  return AppendResult::kAccepted;
}

AppendResult WindowStore::AppendCumulative(SeriesState& series, int64_t ts, double value) {
  using Point = SeriesState::Point;
  auto& recent = series.recent;
  const int64_t slot = FloorDiv(ts, config_.step_ms);
  if (recent.empty()) {
    recent.push_back({ts, value});
    return AppendResult::kBaseline;
  }
  // Makes room for one more sample without growing past the bound.
  auto make_room = [&series, &recent] {
    if (recent.size() < kMaxRecentSamples) return false;
    recent.erase(recent.begin());
    series.complete = false;
    return true;
  };

  if (ts > recent.back().ts) {  // in order: the common case
    const double amount = Increase(recent.back().value, value);
    make_room();
    recent.push_back({ts, value});
    // Keep every sample within the tolerance of the newest and the last one
    // before them: the left neighbour of any late sample still accepted.
    const int64_t horizon = SubtractClamped(ts, config_.out_of_order_tolerance_ms);
    size_t drop = 0;
    while (drop + 1 < recent.size() && recent[drop + 1].ts < horizon) ++drop;
    if (drop > 0) {
      recent.erase(recent.begin(), recent.begin() + static_cast<std::ptrdiff_t>(drop));
      series.complete = false;
    }
    // Too old for the window, the sample still is the next one's baseline.
    return AddToSlot(series, slot, amount, 1) ? AppendResult::kAccepted : AppendResult::kTooOld;
  }

  // Late: B is the first recent sample after it, A (if any) the one before.
  if (ts < SubtractClamped(recent.back().ts, config_.out_of_order_tolerance_ms)) {
    return AppendResult::kOutOfOrder;
  }
  size_t b =
      static_cast<size_t>(std::lower_bound(recent.begin(), recent.end(), ts,
                                           [](const Point& p, int64_t t) { return p.ts < t; }) -
                          recent.begin());
  if (recent[b].ts == ts) return AppendResult::kDuplicate;
  if (b == 0 && !series.complete) return AppendResult::kOutOfOrder;  // A is no longer known
  if (IsTooOld(series, slot)) return AppendResult::kTooOld;
  const int64_t b_slot = FloorDiv(recent[b].ts, config_.step_ms);
  const double b_value = recent[b].value;
  if (b == 0) {
    // The new first sample: B's slot gains the increase from it.
    AddToSlot(series, b_slot, Increase(value, b_value), 1);
  } else {
    const double a_value = recent[b - 1].value;
    AddToSlot(series, slot, Increase(a_value, value), 1);
    AddToSlot(series, b_slot, Increase(value, b_value) - Increase(a_value, b_value), 0);
  }
  // The kept samples stay a contiguous run of the newest: when full, the
  // oldest goes, which is the late sample itself when it is the new first.
  if (b == 0 && recent.size() >= kMaxRecentSamples) {
    series.complete = false;
    return AppendResult::kAcceptedLate;
  }
  if (make_room()) --b;
  recent.insert(recent.begin() + static_cast<std::ptrdiff_t>(b), Point{ts, value});
  return AppendResult::kAcceptedLate;
}

bool WindowStore::IsTooOld(const SeriesState& series, int64_t slot) const {
  const Provider& provider = *providers_[series.provider];
  const int sig = Index(series.signal);
  const RingCursor& cursor = DefaultKind(series.signal) == SignalKind::kHistogram
                                 ? provider.histograms[sig]->cursor
                                 : provider.scalars[sig]->cursor;
  return cursor.latest != kNoSlot && slot <= cursor.latest - config_.slots();
}

bool WindowStore::AddToSlot(const SeriesState& series, int64_t slot, double amount,
                            int32_t observations) {
  const int n = config_.slots();
  Provider& provider = *providers_[series.provider];
  if (DefaultKind(series.signal) == SignalKind::kHistogram) {
    HistogramRing& ring = *provider.histograms[Index(series.signal)];
    size_t bucket = series.role == route::Role::kBucket ? ring.BucketIndex(series.le, n) : 0;
    int pos = ring.cursor.Advance(slot, n, [&ring](int p) { ring.Clear(p); });
    if (pos < 0) return false;
    switch (series.role) {
      case route::Role::kBucket:
        HistogramRing::Add(ring.buckets[pos * ring.upper_bounds.size() + bucket],
                           ring.bucket_totals[bucket], amount);
        break;
      case route::Role::kSum:
        HistogramRing::Add(ring.sum[pos], ring.sum_total, amount);
        break;
      case route::Role::kCount:
        HistogramRing::Add(ring.count[pos], ring.count_total, amount);
        break;
      case route::Role::kValue:
        break;
    }
    if (ring.advances_since_recount >= n) ring.Recount();
    return true;
  }
  ScalarRing& ring = *provider.scalars[Index(series.signal)];
  int pos = ring.cursor.Advance(slot, n, [&ring](int p) {
    ring.sum[p] = 0;
    ring.count[p] = 0;
  });
  if (pos < 0) return false;
  ring.sum[pos] += amount;
  ring.count[pos] += observations;
  return true;
}

namespace {
// Calls fn(ring_position, length, window_index) for the runs of slots of the
// window [first, first + n) that `cursor` holds, in order; a run never wraps
// around the ring.
template <typename Fn>
void ForHeldRuns(const RingCursor& cursor, int64_t first, int n, Fn&& fn) {
  if (cursor.latest == kNoSlot) return;
  const int64_t lo = std::max(first, cursor.latest - n + 1);
  const int64_t hi = std::min(first + n - 1, cursor.latest);
  for (int64_t slot = lo; slot <= hi;) {
    const int pos = Position(slot, n);
    const int64_t length = std::min<int64_t>(hi - slot + 1, n - pos);
    fn(pos, static_cast<size_t>(length), static_cast<size_t>(slot - first));
    slot += length;
  }
}
}  // namespace

namespace {
// Fills *view from `ring` if it has data in the window [first, first + n);
// otherwise leaves it empty. Reuses the view's buffers. (Templates, as the
// ring types are private to WindowStore.)
template <typename Ring>
bool CopyRing(const Ring* ring, int64_t first, int n, ScalarView* view) {
  if (ring == nullptr || ring->cursor.latest == kNoSlot || ring->cursor.latest < first) {
    view->sum.clear();
    view->count.clear();
    return false;
  }
  view->sum.assign(n, 0.0);
  view->count.assign(n, 0.0);
  ForHeldRuns(ring->cursor, first, n, [&](int pos, size_t length, size_t index) {
    std::copy_n(ring->sum.begin() + pos, length, view->sum.begin() + index);
    std::copy_n(ring->count.begin() + pos, length, view->count.begin() + index);
  });
  return true;
}

template <typename Ring>
bool CopyRing(const Ring* ring, int64_t first, int n, HistogramView* view) {
  view->sum = 0;
  view->count = 0;
  if (ring == nullptr || ring->cursor.latest == kNoSlot || ring->cursor.latest < first) {
    view->upper_bounds.clear();
    view->buckets.clear();
    return false;
  }
  const size_t width = ring->upper_bounds.size();
  view->upper_bounds = ring->upper_bounds;
  // The ring holds [latest - n + 1, latest]. When that is the window, its
  // totals are the answer; otherwise the slots held outside the window come
  // off them (a few, typically: the ring's newest slot lags or leads now's
  // by a slot or two), or, when most of the ring is outside, the slots
  // inside are summed.
  const int64_t outside = std::abs(ring->cursor.latest - (first + n - 1));
  auto add_slot = [&](size_t at, double sign) {
    view->sum += sign * ring->sum[at];
    view->count += sign * ring->count[at];
    // data(), not [], as a histogram may have no buckets at all.
    const HistogramIncrease* row = ring->buckets.data() + at * width;
    for (size_t b = 0; b < width; ++b) view->buckets[b] += sign * row[b];
  };
  if (2 * outside < n) {
    view->sum = ring->sum_total;
    view->count = ring->count_total;
    view->buckets.assign(ring->bucket_totals.begin(), ring->bucket_totals.end());
    const RingCursor& c = ring->cursor;
    for (int64_t slot = c.latest - n + 1; slot < first; ++slot) add_slot(Position(slot, n), -1.0);
    for (int64_t slot = first + n; slot <= c.latest; ++slot) add_slot(Position(slot, n), -1.0);
  } else {
    view->buckets.assign(width, 0.0);
    ForHeldRuns(ring->cursor, first, n, [&](int pos, size_t length, size_t) {
      for (size_t k = 0; k < length; ++k) add_slot(static_cast<size_t>(pos) + k, 1.0);
    });
  }
  return true;
}
}  // namespace

std::vector<ProviderView> WindowStore::Snapshot(int64_t now_ms) const {
  std::vector<ProviderView> out;
  Snapshot(now_ms, &out);
  return out;
}

void WindowStore::Snapshot(int64_t now_ms, std::vector<ProviderView>* views) const {
  const int n = config_.slots();
  const int64_t now_slot = FloorDiv(now_ms, config_.step_ms);
  const int64_t first = now_slot - n + 1;
  size_t filled = 0;
  // The lock is taken per chunk of providers, so that writes are not held
  // up for the whole copy (each provider's view is consistent in itself).
  constexpr size_t kProvidersPerLock = 256;
  for (size_t begin = 0;; begin += kProvidersPerLock) {
    std::lock_guard<std::mutex> lock(mu_);
    if (begin >= providers_.size()) break;
    if (views->size() < providers_.size()) views->resize(providers_.size());
    const size_t end = std::min(providers_.size(), begin + kProvidersPerLock);
    for (size_t pi = begin; pi < end; ++pi) {
      const Provider& p = *providers_[pi];
      ProviderView& view = (*views)[filled];
      bool any = false;
      for (int sig = 0; sig < kSignalCount; ++sig) {
        any |= CopyRing(p.scalars[sig].get(), first, n, &view.scalars[sig]);
        any |= CopyRing(p.histograms[sig].get(), first, n, &view.histograms[sig]);
      }
      if (!any) continue;  // the next provider overwrites this element
      view.id = p.id;
      view.attributes = p.attributes;
      view.step_ms = config_.step_ms;
      view.slots = n;
      ++filled;
    }
  }
  views->resize(filled);
}

size_t WindowStore::provider_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return providers_.size();
}

size_t WindowStore::series_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return series_.size();
}

size_t WindowStore::recent_sample_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t bytes = 0;
  for (const auto& s : series_) bytes += s.recent.capacity() * sizeof(SeriesState::Point);
  return bytes;
}

size_t WindowStore::window_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t bytes = 0;
  for (const auto& p : providers_) {
    for (const auto& r : p->scalars) {
      if (r) bytes += r->sum.capacity() * sizeof(double) + r->count.capacity() * sizeof(SlotCount);
    }
    for (const auto& r : p->histograms) {
      if (r) {
        bytes += (r->upper_bounds.capacity() + r->bucket_totals.capacity()) * sizeof(double) +
                 (r->sum.capacity() + r->count.capacity() + r->buckets.capacity()) *
                     sizeof(HistogramIncrease);
      }
    }
  }
  return bytes;
}

namespace {
template <typename T>
std::vector<double> Widen(const std::vector<T>& v) {
  return {v.begin(), v.end()};
}
std::vector<SlotCount> ToSlotCounts(const std::vector<double>& v) {  // checked by IsSlotCount
  return {v.begin(), v.end()};
}
std::vector<HistogramIncrease> ToHistogramIncreases(const std::vector<double>& v) {
  std::vector<HistogramIncrease> out(v.size());
  std::transform(v.begin(), v.end(), out.begin(), ToHistogramIncrease);
  return out;
}
// A saved slot count is a whole number of samples a SlotCount holds.
bool IsSlotCount(double v) {
  return v >= 0 && v <= std::numeric_limits<SlotCount>::max() && v == std::floor(v);
}
}  // namespace

WindowImage WindowStore::Export() const {
  std::lock_guard<std::mutex> lock(mu_);
  WindowImage image;
  image.step_ms = config_.step_ms;
  image.slots = config_.slots();
  image.providers.reserve(providers_.size());
  for (const auto& p : providers_) {
    WindowImage::Provider& out = image.providers.emplace_back();
    out.id = p->id;
    out.attributes = p->attributes;
    for (int sig = 0; sig < kSignalCount; ++sig) {
      if (const ScalarRing* r = p->scalars[sig].get()) {
        out.scalars[sig] = WindowImage::Ring{r->cursor.latest, r->sum, Widen(r->count), {}, {}};
      }
      if (const HistogramRing* r = p->histograms[sig].get()) {
        out.histograms[sig] = WindowImage::Ring{r->cursor.latest, Widen(r->sum), Widen(r->count),
                                                r->upper_bounds, Widen(r->buckets)};
      }
    }
  }
  std::vector<std::string_view> keys(series_.size());
  for (const auto& [key, ref] : series_index_) keys[ref] = key;
  image.series.reserve(series_.size());
  for (size_t i = 0; i < series_.size(); ++i) {
    const SeriesState& st = series_[i];
    WindowImage::Series& out = image.series.emplace_back();
    out.key = keys[i];
    out.provider = providers_[st.provider]->id;
    out.signal = st.signal;
    out.role = st.role;
    out.le = st.le;
    out.newest_ts = st.newest_ts;
    out.recent.reserve(st.recent.size());
    for (const auto& pt : st.recent) out.recent.emplace_back(pt.ts, pt.value);
    out.complete = st.complete;
  }
  return image;
}

Status WindowStore::Import(const WindowImage& image, size_t* skipped_series) {
  std::lock_guard<std::mutex> lock(mu_);
  const int n = config_.slots();
  if (!providers_.empty() || !series_.empty()) {
    return Status::InvalidArgument("window import needs an empty store");
  }
  if (image.step_ms != config_.step_ms || image.slots != n) {
    return Status::InvalidArgument(
        "windows were saved with step " + std::to_string(image.step_ms) + "ms and " +
        std::to_string(image.slots) + " slots; the configuration now has step " +
        std::to_string(config_.step_ms) + "ms and " + std::to_string(n) + " slots");
  }
  const auto un = static_cast<size_t>(n);
  auto ring_ok = [un](const WindowImage::Ring& r, bool histogram) {
    if (r.sum.size() != un || r.count.size() != un) return false;
    if (!histogram) {
      return r.upper_bounds.empty() && r.buckets.empty() &&
             std::all_of(r.count.begin(), r.count.end(), IsSlotCount);
    }
    return std::is_sorted(r.upper_bounds.begin(), r.upper_bounds.end()) &&
           r.buckets.size() == un * r.upper_bounds.size();
  };
  for (const auto& p : image.providers) {
    for (int sig = 0; sig < kSignalCount; ++sig) {
      if ((p.scalars[sig] && !ring_ok(*p.scalars[sig], false)) ||
          (p.histograms[sig] && !ring_ok(*p.histograms[sig], true))) {
        return Status::InvalidArgument("window image: ring of provider " + p.id +
                                       " has the wrong size or a count that is not a whole"
                                       " number of samples");
      }
    }
  }
  for (const auto& p : image.providers) {
    if (static_cast<int64_t>(providers_.size()) >= limits_.max_providers) break;
    if (provider_index_.count(p.id) > 0) continue;
    auto provider = std::make_unique<Provider>();
    provider->id = p.id;
    provider->attributes = p.attributes;
    for (int sig = 0; sig < kSignalCount; ++sig) {
      if (const auto& r = p.scalars[sig]) {
        provider->scalars[sig] = std::make_unique<ScalarRing>(n);
        provider->scalars[sig]->cursor.latest = r->latest_slot;
        provider->scalars[sig]->sum = r->sum;
        provider->scalars[sig]->count = ToSlotCounts(r->count);
      }
      if (const auto& r = p.histograms[sig]) {
        auto ring = std::make_unique<HistogramRing>(n);
        ring->cursor.latest = r->latest_slot;
        ring->sum = ToHistogramIncreases(r->sum);
        ring->count = ToHistogramIncreases(r->count);
        ring->upper_bounds = r->upper_bounds;
        ring->buckets = ToHistogramIncreases(r->buckets);
        ring->Recount();
        provider->histograms[sig] = std::move(ring);
      }
    }
    provider_index_.emplace(p.id, static_cast<uint32_t>(providers_.size()));
    providers_.push_back(std::move(provider));
  }
  size_t skipped = 0;
  for (const auto& s : image.series) {
    auto pit = provider_index_.find(s.provider);
    const int sig = Index(s.signal);
    const SignalKind kind = DefaultKind(s.signal);
    Provider* provider = pit == provider_index_.end() ? nullptr : providers_[pit->second].get();
    // A series needs its provider and, unless it is the info series, its ring.
    const bool has_ring = kind == SignalKind::kInfo ||
                          (kind == SignalKind::kHistogram ? provider && provider->histograms[sig]
                                                          : provider && provider->scalars[sig]);
    if (provider == nullptr || !has_ring || series_index_.count(s.key) > 0 ||
        provider->series >= limits_.max_series_per_provider ||
        s.recent.size() > kMaxRecentSamples) {
      ++skipped;
      continue;
    }
    ++provider->series;
    SeriesState st{pit->second, s.signal, s.role, s.le, s.newest_ts, {}, s.complete};
    st.recent.reserve(s.recent.size());
    for (const auto& [ts, v] : s.recent) st.recent.push_back({ts, v});
    if (kind == SignalKind::kHistogram && s.role == route::Role::kBucket) {
      provider->histograms[sig]->BucketIndex(s.le, n);  // bounds were saved; a no-op
    }
    series_index_.emplace(s.key, static_cast<SeriesRef>(series_.size()));
    series_.push_back(std::move(st));
  }
  if (skipped_series != nullptr) *skipped_series = skipped;
  return Status::Ok();
}

}  // namespace depin::windows
