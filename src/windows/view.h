// Read-only copies of a provider's windows, handed to the analytics.
// Slots are chronological: index 0 is the oldest slot of the window, the
// last index is the slot containing the evaluation time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/signal.h"

namespace depin::windows {

// Gauges: per-slot sum and count of samples (mean = sum / count).
// Counters: per-slot increase in `sum`, and in `count` the number of
// increases observed (0 = no data in that slot).
struct ScalarView {
  std::vector<double> sum;
  std::vector<double> count;
  bool empty() const { return sum.empty(); }
};

// A read-only look at a ScalarView's slots, all or the last few: what the
// analytics take, so that narrowing the window copies nothing.
struct ScalarSpan {
  ScalarSpan() = default;
  ScalarSpan(const ScalarView& v) : sum(v.sum), count(v.count) {}  // NOLINT: implicit on purpose
  ScalarSpan(std::span<const double> s, std::span<const double> c) : sum(s), count(c) {}
  std::span<const double> sum;
  std::span<const double> count;
  bool empty() const { return sum.empty(); }
};

// A classic histogram over the whole window: increases of each cumulative
// bucket (sorted by upper bound, +Inf last when present), of _sum and _count.
struct HistogramView {
  std::vector<double> upper_bounds;
  std::vector<double> buckets;
  double sum = 0;
  double count = 0;
  bool empty() const { return count <= 0; }
};

struct ProviderView {
  std::string id;
  std::vector<std::pair<std::string, std::string>> attributes;  // from the info series
  std::array<ScalarView, kSignalCount> scalars;
  std::array<HistogramView, kSignalCount> histograms;
  int64_t step_ms = 0;
  int slots = 0;

  const ScalarView& scalar(Signal s) const { return scalars[Index(s)]; }
  const HistogramView& histogram(Signal s) const { return histograms[Index(s)]; }
};

}  // namespace depin::windows
