// Statistics over window slots and histograms: quantiles as PromQL's
// histogram_quantile computes them, least-squares trends, anomaly scores.
// Pure functions; absent results (nullopt) mean "not enough data".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "windows/view.h"

namespace depin::analytics {

// The q-quantile (0 <= q <= 1) of a classic histogram, exactly as
// Prometheus's histogram_quantile: linear interpolation inside the bucket,
// 0 as the lower edge of the first bucket (when its bound is positive), the
// highest finite bound when the rank falls in the +Inf bucket. nullopt
// without observations or without a +Inf bucket.
std::optional<double> HistogramQuantile(double q, const windows::HistogramView& h);

// The median of `values`; nullopt when empty.
std::optional<double> Median(std::vector<double> values);

// A series of slot values; `present[i]` false where the slot had no data.
// (Byte flags, not std::vector<bool>: every analytics loop reads them.)
struct SlotSeries {
  std::vector<double> value;
  std::vector<uint8_t> present;
  size_t count() const;
};

// Per-slot means of a gauge (sum / count).
SlotSeries SlotMeans(windows::ScalarSpan v);
// Per-slot ratio numerator / (numerator + other) of two counters' increases,
// present where the denominator is positive.
SlotSeries SlotRatio(windows::ScalarSpan numerator, windows::ScalarSpan other);

// The window slots feeding coarser steps: slot i of `slots` covers
// [(first_slot + i) * slot_ms, ...) with the last slot containing `now_ms`.
// Steps of `step_ms` strictly before the one containing `now_ms` are
// complete; `first_full` is the oldest step wholly inside the window.
struct StepRange {
  int64_t first_full = 0;
  int64_t current = 0;  // the step still filling
};
StepRange CompletedSteps(size_t slot_count, int64_t slot_ms, int64_t now_ms, int64_t step_ms);
// Mean of the present slots of step `k`; NaN when none is present.
double StepMean(const SlotSeries& slots, int64_t slot_ms, int64_t now_ms, int64_t step_ms,
                int64_t k);

struct LinearTrend {
  double slope_per_second = 0;
  double r2 = 0;          // share of variance explained, 0..1 (0 for a flat series)
  double mean_value = 0;  // mean of the fitted values
};

// Least-squares line through the present slots, x in seconds.
// nullopt with fewer than `min_points` present slots.
std::optional<LinearTrend> FitTrend(const SlotSeries& s, double step_seconds, size_t min_points);

enum class AnomalyMethod { kZScore, kMedianMad };

// How far the newest present slot before `end` (all of `s` by default) lies from the baseline
// formed by the earlier present slots, in standard deviations (z-score) or robust deviations
// (0.6745 * |x - median| / MAD). nullopt with fewer than `min_baseline` baseline slots. A flat
// baseline gives 0 for an equal value and a large finite score (1e9) for any other.
std::optional<double> AnomalyScore(const SlotSeries& s, AnomalyMethod method, size_t min_baseline,
                                   size_t end = SIZE_MAX);

}  // namespace depin::analytics
