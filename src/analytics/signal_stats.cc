#include "analytics/signal_stats.h"

#include <algorithm>
#include <cmath>

namespace depin::analytics {
namespace {

std::vector<std::pair<double, double>> Quantiles(const windows::HistogramView& h,
                                                 const std::vector<double>& qs) {
  std::vector<std::pair<double, double>> out;
  for (double q : qs) {
    if (auto v = HistogramQuantile(q, h)) out.emplace_back(q, *v);
  }
  return out;
}

// Mean of a gauge's per-slot means over the slots with samples, or nullopt
// (what SlotMeans then averaging the present slots gives, without the copy).
std::optional<double> MeanOfSlotMeans(windows::ScalarSpan v) {
  double sum = 0, n = 0;
  for (size_t i = 0; i < v.sum.size(); ++i) {
    const bool held = v.count[i] > 0;
    sum += held ? v.sum[i] / v.count[i] : 0.0;
    n += held;
  }
  if (n <= 0) return std::nullopt;
  return sum / n;
}

double Total(windows::ScalarSpan v) {
  double t = 0;
  for (double x : v.sum) t += x;
  return t;
}

}  // namespace

std::string_view TrendDirectionName(TrendDirection d) {
  static constexpr std::string_view kNames[] = {"improving", "stable", "declining"};
  return kNames[static_cast<int>(d)];
}

std::string_view StatSignalName(StatSignal s) {
  static constexpr std::string_view kNames[] = {"uptime", "gpu_util", "failure_ratio",
                                                "jobs_completed"};
  return kNames[static_cast<int>(s)];
}

std::string_view ResourceName(Resource r) {
  static constexpr std::string_view kNames[] = {"gpu", "cpu", "memory", "network", "disk"};
  return kNames[static_cast<int>(r)];
}

TrendDirection ClassifyTrend(const LinearTrend& t, double mean_level, double window_seconds,
                             bool higher_is_better, const StatisticsConfig& config) {
  if (t.r2 < config.trend_min_r2) return TrendDirection::kStable;
  const double scale = std::max(std::abs(mean_level), 1e-9);
  const double relative_change = t.slope_per_second * window_seconds / scale;
  if (std::abs(relative_change) < config.trend_threshold) return TrendDirection::kStable;
  const bool rising = relative_change > 0;
  return rising == higher_is_better ? TrendDirection::kImproving : TrendDirection::kDeclining;
}

std::optional<double> CounterBusyShare(windows::ScalarSpan seconds_counter, windows::ScalarSpan up,
                                       int64_t step_ms) {
  if (seconds_counter.empty() || up.empty()) return std::nullopt;
  const double step_s = static_cast<double>(step_ms) / 1000.0;
  double busy = 0, capacity = 0;
  for (size_t i = 0; i < seconds_counter.sum.size() && i < up.sum.size(); ++i) {
    if (seconds_counter.count[i] <= 0 || up.count[i] <= 0) continue;
    const double devices = seconds_counter.count[i] / up.count[i];
    busy += seconds_counter.sum[i];
    capacity += devices * step_s;
  }
  if (capacity <= 0) return std::nullopt;
  return std::clamp(busy / capacity, 0.0, 1.0);
}

std::array<StatSeries, kStatSignalCount> StatSignalSeries(const windows::ProviderView& view) {
  const auto& completed = view.scalar(Signal::kJobsCompleted);
  return {{
      {SlotMeans(view.scalar(Signal::kUp)), true},
      {SlotMeans(view.scalar(Signal::kGpuUtil)), true},
      {SlotRatio(view.scalar(Signal::kJobsFailed), completed), false},
      {SlotMeans(completed), true},  // mean increase per series per slot: throughput
  }};
}

std::array<uint64_t, kStatSignalCount> AnomalyCounter::Update(
    const std::string& provider, const std::array<SignalStatistics, kStatSignalCount>& signals) {
  State& st = states_[provider];
  for (size_t i = 0; i < signals.size(); ++i) {
    if (signals[i].anomalous && !st.flagged[i]) ++st.episodes[i];
    st.flagged[i] = signals[i].anomalous;
  }
  return st.episodes;
}

ProviderStatistics ComputeStatistics(const windows::ProviderView& view,
                                     const std::array<StatSeries, kStatSignalCount>& series,
                                     const ProviderFacts& facts,
                                     const PerformanceResult& performance, const Config& config) {
  const StatisticsConfig& sc = config.statistics;
  ProviderStatistics st;
  const auto& up = view.scalar(Signal::kUp);
  st.reliability = ComputeReliability(up, view.step_ms);
  st.latency_quantiles = Quantiles(view.histogram(Signal::kResponseLatency), sc.quantiles);
  st.duration_quantiles = Quantiles(view.histogram(Signal::kJobDuration), sc.quantiles);

  const auto& completed = view.scalar(Signal::kJobsCompleted);
  const auto& failed = view.scalar(Signal::kJobsFailed);
  const double step_s = static_cast<double>(view.step_ms) / 1000.0;
  const double window_s = step_s * view.slots;
  const auto& failures = series[static_cast<size_t>(StatSignal::kFailureRatio)];
  if (auto t = FitTrend(failures.slots, step_s, static_cast<size_t>(sc.trend_min_points))) {
    st.window_failure_direction =
        ClassifyTrend(*t, t->mean_value, window_s, failures.higher_is_better, sc);
  }
  for (int i = 0; i < kStatSignalCount; ++i) {
    const SlotSeries& slots = series[static_cast<size_t>(i)].slots;
    SignalStatistics& s = st.signals[i];
    // The newest slot is still filling: a slot with a sample or two is far
    // noisier than a complete one and would look anomalous.
    s.anomaly_score =
        AnomalyScore(slots, sc.anomaly_robust ? AnomalyMethod::kMedianMad : AnomalyMethod::kZScore,
                     static_cast<size_t>(sc.anomaly_min_baseline), slots.value.size() - 1);
    s.anomalous = s.anomaly_score && *s.anomaly_score >= sc.anomaly_threshold;
  }

  st.burn_rates = ComputeBurnRates(completed, failed, view.step_ms, config.slo.objective,
                                   config.slo.windows_ms);
  st.cost = ComputeCost(facts, performance.score, facts.up_slots * step_s);

  // Saturation and failures over the recent window: a long window's mean
  // would name a provider for load it no longer has.
  const size_t recent = RecentSlotCount(view, config);
  const auto recent_up = LastSlots(up, recent);
  if (auto gpu = MeanOfSlotMeans(LastSlots(view.scalar(Signal::kGpuUtil), recent))) {
    st.saturation[0] = std::clamp(*gpu / 100.0, 0.0, 1.0);
  }
  if (auto idle = CounterBusyShare(LastSlots(view.scalar(Signal::kCpuIdle), recent), recent_up,
                                   view.step_ms)) {
    st.saturation[1] = 1.0 - *idle;
  }
  const auto avail = MeanOfSlotMeans(LastSlots(view.scalar(Signal::kMemoryAvailable), recent));
  const auto total = MeanOfSlotMeans(LastSlots(view.scalar(Signal::kMemoryTotal), recent));
  if (avail && total && *total > 0) {
    st.saturation[2] = std::clamp(1.0 - *avail / *total, 0.0, 1.0);
  }
  st.saturation[4] = CounterBusyShare(LastSlots(view.scalar(Signal::kDiskIoTime), recent),
                                      recent_up, view.step_ms);
  const double recent_ok = Total(LastSlots(completed, recent)),
               recent_bad = Total(LastSlots(failed, recent));
  if (recent_ok + recent_bad > 0) st.recent_failure_ratio = recent_bad / (recent_ok + recent_bad);
  return st;
}

void MarkBottlenecks(const std::vector<ProviderFacts>& facts,
                     std::vector<ProviderStatistics>* statistics, const StatisticsConfig& config,
                     double material_failure_ratio) {
  std::vector<double> failure_ratios, p_latency;
  auto top_latency = [](const ProviderStatistics& s) -> std::optional<double> {
    if (s.latency_quantiles.empty()) return std::nullopt;
    return s.latency_quantiles.back().second;
  };
  for (const auto& st : *statistics) {
    if (st.recent_failure_ratio) failure_ratios.push_back(*st.recent_failure_ratio);
    if (auto l = top_latency(st)) p_latency.push_back(*l);
  }
  const auto median_failure = Median(failure_ratios);
  const auto median_latency = Median(p_latency);
  for (size_t i = 0; i < facts.size(); ++i) {
    ProviderStatistics& st = (*statistics)[i];
    std::optional<int> busiest;
    for (int r = 0; r < kResourceCount; ++r) {
      if (st.saturation[r] && (!busiest || *st.saturation[r] > *st.saturation[*busiest]))
        busiest = r;
    }
    if (!busiest || *st.saturation[*busiest] < config.saturation_threshold) continue;
    const auto f = st.recent_failure_ratio;
    const auto l = top_latency(st);
    const auto& failures = st.signals[static_cast<int>(StatSignal::kFailureRatio)];
    const bool failing =
        f && median_failure && *f > 1.5 * *median_failure && *f >= material_failure_ratio;
    const bool slow = l && median_latency && *l > 1.5 * *median_latency;
    const bool suffering = failing || slow ||
                           st.window_failure_direction == TrendDirection::kDeclining ||
                           failures.anomalous;
    if (suffering) st.bottleneck = static_cast<Resource>(*busiest);
  }
}

}  // namespace depin::analytics
