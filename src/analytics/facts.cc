#include "analytics/facts.h"

#include <algorithm>
#include <cmath>

namespace depin::analytics {
namespace {

struct GaugeStats {
  std::optional<double> mean;
  int slots = 0;  // slots with samples
};

// Selects, not branches: the loop runs over every slot of several signals.
GaugeStats ReadGauge(windows::ScalarSpan v) {
  GaugeStats g;
  double sum = 0, count = 0;
  int slots = 0;
  for (size_t i = 0; i < v.sum.size(); ++i) {
    const bool held = v.count[i] > 0;
    sum += held ? v.sum[i] : 0.0;
    count += held ? v.count[i] : 0.0;
    slots += held;
  }
  g.slots = slots;
  if (count > 0) g.mean = sum / count;
  return g;
}

// The mean of the newest slot with samples: found from the end, usually at once.
std::optional<double> LatestGauge(windows::ScalarSpan v) {
  for (size_t i = v.sum.size(); i-- > 0;) {
    if (v.count[i] > 0) return v.sum[i] / v.count[i];
  }
  return std::nullopt;
}

double Total(windows::ScalarSpan v) {
  double t = 0;
  for (double x : v.sum) t += x;
  return t;
}

int CountOutages(windows::ScalarSpan up) {
  int outages = 0;
  std::optional<bool> was_up;
  for (size_t i = 0; i < up.sum.size(); ++i) {
    if (up.count[i] <= 0) continue;
    bool is_up = up.sum[i] / up.count[i] >= 0.5;
    if (was_up.has_value() && *was_up && !is_up) ++outages;
    was_up = is_up;
  }
  return outages;
}

std::optional<double> Mean(const windows::HistogramView& h) {
  if (h.count <= 0) return std::nullopt;
  return h.sum / h.count;
}

}  // namespace

std::optional<double> FractionAtOrBelow(const windows::HistogramView& h, double x) {
  if (h.upper_bounds.empty()) return std::nullopt;
  double total = h.buckets.back();
  if (!std::isinf(h.upper_bounds.back())) total = std::max(total, h.count);
  if (total <= 0) return std::nullopt;
  double lower = 0, below = 0;
  for (size_t i = 0; i < h.upper_bounds.size(); ++i) {
    double upper = h.upper_bounds[i];
    double cumulative = h.buckets[i];
    if (x < upper) {
      if (std::isinf(upper)) return std::clamp(below / total, 0.0, 1.0);
      double width = upper - lower;
      double part = width > 0 ? (x - lower) / width : 1.0;
      return std::clamp((below + (cumulative - below) * std::max(part, 0.0)) / total, 0.0, 1.0);
    }
    lower = upper;
    below = cumulative;
  }
  return std::clamp(below / total, 0.0, 1.0);
}

size_t RecentSlotCount(const windows::ProviderView& view, const Config& config) {
  return static_cast<size_t>(std::max<int64_t>(
      1, config.reputation.availability_window_ms / std::max<int64_t>(view.step_ms, 1)));
}

windows::ScalarSpan LastSlots(windows::ScalarSpan v, size_t k) {
  if (v.sum.size() <= k) return v;
  return {v.sum.last(k), v.count.last(k)};
}

ProviderFacts ExtractFacts(const windows::ProviderView& view, const Config& config) {
  ProviderFacts f;
  f.id = view.id;
  f.attributes = view.attributes;
  const auto& up = view.scalar(Signal::kUp);
  if (!up.empty()) {
    GaugeStats all = ReadGauge(up);
    f.up_slots = all.slots;
    f.uptime = all.mean;
    f.latest_up = LatestGauge(up);
    f.recent_uptime = ReadGauge(LastSlots(up, RecentSlotCount(view, config))).mean;
    f.outages = CountOutages(up);
    const auto first =
        std::find_if(up.count.begin(), up.count.end(), [](double c) { return c > 0; });
    const auto last =
        std::find_if(up.count.rbegin(), up.count.rend(), [](double c) { return c > 0; });
    if (first != up.count.end()) {
      f.up_span_slots = static_cast<int>((up.count.rend() - last) - (first - up.count.begin()));
    }
  }
  f.jobs_completed = Total(view.scalar(Signal::kJobsCompleted));
  f.jobs_failed = Total(view.scalar(Signal::kJobsFailed));
  f.gpu_util = ReadGauge(view.scalar(Signal::kGpuUtil)).mean;
  f.mean_response_s = Mean(view.histogram(Signal::kResponseLatency));
  const auto& durations = view.histogram(Signal::kJobDuration);
  f.mean_job_duration_s = Mean(durations);
  if (durations.count >= config.confidence.min_jobs) {
    f.sla_fraction = FractionAtOrBelow(durations, config.performance.sla_target_s);
  }
  f.price = LatestGauge(view.scalar(Signal::kPrice));
  f.gpus_total = LatestGauge(view.scalar(Signal::kGpusTotal));
  f.gpus_allocated = LatestGauge(view.scalar(Signal::kGpusAllocated));
  f.memory_total_bytes = LatestGauge(view.scalar(Signal::kMemoryTotal));
  return f;
}

}  // namespace depin::analytics
