// Per-provider statistics beyond the scores (DESIGN §4): reliability,
// latency and job-duration quantiles, trends and anomalies per signal,
// SLO burn rates, cost and resource saturation.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/facts.h"
#include "analytics/performance.h"
#include "analytics/reliability.h"
#include "analytics/slo.h"
#include "analytics/statistics.h"
#include "config/config.h"
#include "windows/view.h"

namespace depin::durable {
class StateCodec;  // saves and restores the private state (checkpoints)
}  // namespace depin::durable

namespace depin::analytics {

enum class TrendDirection : uint8_t { kImproving, kStable, kDeclining };
std::string_view TrendDirectionName(TrendDirection d);

// The derived per-slot signals that get a trend and an anomaly score.
enum class StatSignal : uint8_t { kUptime, kGpuUtil, kFailureRatio, kJobsCompleted };
inline constexpr int kStatSignalCount = 4;
std::string_view StatSignalName(StatSignal s);

// The per-slot series of each StatSignal, and whether higher is better.
struct StatSeries {
  SlotSeries slots;
  bool higher_is_better = true;
};
std::array<StatSeries, kStatSignalCount> StatSignalSeries(const windows::ProviderView& view);

struct SignalStatistics {
  // Over the trend window (LongRangeTracker): the scoreboard fills them.
  std::optional<LinearTrend> trend;
  std::optional<TrendDirection> direction;
  std::optional<double> anomaly_score;
  bool anomalous = false;
};

enum class Resource : uint8_t { kGpu, kCpu, kMemory, kNetwork, kDisk };
inline constexpr int kResourceCount = 5;
std::string_view ResourceName(Resource r);

struct ProviderStatistics {
  Reliability reliability;
  std::vector<std::pair<double, double>> latency_quantiles;   // (q, seconds)
  std::vector<std::pair<double, double>> duration_quantiles;  // (q, seconds)
  std::array<SignalStatistics, kStatSignalCount> signals;
  std::vector<BurnRate> burn_rates;
  CostFigures cost;
  std::array<std::optional<double>, kResourceCount> saturation;  // busy share, 0..1
  std::optional<Resource> bottleneck;                            // set by MarkBottlenecks
  std::optional<double> recent_failure_ratio;  // over the recent (availability) window
  // The failure ratio's direction over the window (not the trend window).
  std::optional<TrendDirection> window_failure_direction;
};

// Counts anomaly episodes (a flag rising) per provider and signal since the
// sidecar started: rate() or increase() of the exported counter gives the
// recent anomalies.
class AnomalyCounter {
 public:
  std::array<uint64_t, kStatSignalCount> Update(
      const std::string& provider, const std::array<SignalStatistics, kStatSignalCount>& signals);

 private:
  friend class durable::StateCodec;
  struct State {
    std::array<bool, kStatSignalCount> flagged{};
    std::array<uint64_t, kStatSignalCount> episodes{};
  };
  std::map<std::string, State> states_;
};

// `series` is StatSignalSeries(view), computed once by the caller.
ProviderStatistics ComputeStatistics(const windows::ProviderView& view,
                                     const std::array<StatSeries, kStatSignalCount>& series,
                                     const ProviderFacts& facts,
                                     const PerformanceResult& performance, const Config& config);

// Classifies a trend: `higher_is_better` says which way is improving.
TrendDirection ClassifyTrend(const LinearTrend& t, double mean_level, double window_seconds,
                             bool higher_is_better, const StatisticsConfig& config);

// Busy share of a per-device counter of busy seconds (disk io_time) or of
// idle seconds (cpu, then 1 - result): increases divided by device-seconds
// elapsed, the device count per slot inferred from samples per `up` sample.
std::optional<double> CounterBusyShare(windows::ScalarSpan seconds_counter, windows::ScalarSpan up,
                                       int64_t step_ms);

// A resource is the bottleneck when it is the most saturated one over the
// recent window, at or above the threshold, while the provider's failures or
// latency are worse than the network's. Needs every provider's statistics.
// "Worse" means a recent failure ratio above both 1.5 x the network median
// and `material_failure_ratio`, or a top-percentile latency above 1.5 x the
// median, or a failure ratio rising over the window or anomalous.
void MarkBottlenecks(const std::vector<ProviderFacts>& facts,
                     std::vector<ProviderStatistics>* statistics, const StatisticsConfig& config,
                     double material_failure_ratio);

}  // namespace depin::analytics
