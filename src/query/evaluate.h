// Range evaluation over the derived-series store: series selected by one or
// more selectors, resampled to a step as Prometheus's query_range does, then
// optionally aggregated across series (sum by (...) and friends). Semantics
// follow Prometheus 2.42, the version the integration tests compare with.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace depin::query {

// What each selected series becomes at each step timestamp ts.
enum class SeriesFunction {
  kLast,  // newest sample in [ts - lookback, ts] (an instant selector)
  // f over the samples in [ts - window, ts] (like f_over_time(x[window])):
  kAvgOverTime,
  kMinOverTime,
  kMaxOverTime,
  kSumOverTime,
  kCountOverTime,
  kLastOverTime,
  kQuantileOverTime,
};

// Applied per step across the series of each `by` group.
enum class Aggregation { kNone, kSum, kAvg, kMin, kMax, kCount, kQuantile };

struct RangeQuery {
  std::vector<std::vector<store::Matcher>> selectors;  // their union is selected
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;
  int64_t lookback_ms = 5 * 60 * 1000;  // kLast
  int64_t window_ms = 0;                // the over-time functions
  SeriesFunction function = SeriesFunction::kLast;
  Aggregation aggregation = Aggregation::kNone;
  double quantile = 0.5;        // kQuantile, kQuantileOverTime; in [0, 1]
  std::vector<std::string> by;  // grouping labels of the aggregation
};

// 0 disables a limit.
struct QueryLimits {
  int64_t max_series = 0;    // series selected (before aggregation)
  int64_t max_points = 0;    // step timestamps per series, as Prometheus's 11000
  int64_t max_samples = 0;   // samples read from the store, and points computed
  int64_t max_range_ms = 0;  // end - start
};

struct ResultSeries {
  store::Labels labels;
  std::vector<store::SamplePoint> points;  // ascending; steps without a value are absent
};

// Number of step timestamps start, start + step, ... <= end.
int64_t StepCount(int64_t start_ms, int64_t end_ms, int64_t step_ms);

// Result series sorted by labels; series (or groups) without any point are
// left out. kLast keeps the metric name; over-time functions drop it, and an
// aggregation keeps only the `by` labels, as PromQL does.
// InvalidArgument for a malformed query or one past max_points or
// max_range_ms (checked before reading), TooLarge past max_series or
// max_samples (Prometheus answers these with 422).
Result<std::vector<ResultSeries>> Evaluate(const store::Store& store, const RangeQuery& query,
                                           const QueryLimits& limits);

// The φ-quantile of `values` as PromQL's quantile(): linear interpolation
// between the closest ranks, NaN sorted first; NaN for no values.
double Quantile(double q, std::vector<double> values);

}  // namespace depin::query
