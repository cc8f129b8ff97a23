#include "analytics/performance.h"

#include <algorithm>

namespace depin::analytics {

double LinearScore(double value, double good, double bad) {
  if (bad == good) return value <= good ? 1.0 : 0.0;
  return std::clamp((bad - value) / (bad - good), 0.0, 1.0);
}

PerformanceResult ScorePerformance(const ProviderFacts& f, const Config& config) {
  const PerformanceConfig& pc = config.performance;
  PerformanceResult r;
  auto set = [&r](PerfComponent c, std::optional<double> v) {
    r.components[static_cast<int>(c)] = v;
  };
  const double finished = f.jobs_finished();
  if (finished >= config.confidence.min_jobs) {
    double failure_ratio = f.jobs_failed / finished;
    set(PerfComponent::kCompletionRate, f.jobs_completed / finished);
    set(PerfComponent::kErrorRate, 1.0 - std::min(1.0, failure_ratio / pc.max_failure_ratio));
  }
  if (f.gpu_util)
    set(PerfComponent::kResourceEfficiency, std::clamp(*f.gpu_util / 100.0, 0.0, 1.0));
  if (f.uptime) set(PerfComponent::kUptime, std::clamp(*f.uptime, 0.0, 1.0));
  if (f.mean_response_s) {
    set(PerfComponent::kResponseTime,
        LinearScore(*f.mean_response_s, pc.response_good_s, pc.response_bad_s));
  }
  if (f.sla_fraction) set(PerfComponent::kSlaCompliance, *f.sla_fraction);

  WeightedMean wm = WeightedMeanOf(r.components, pc.weights);
  r.coverage = wm.coverage;
  if (f.up_slots < config.confidence.min_samples || r.coverage < config.confidence.min_weight ||
      !wm.mean) {
    return r;  // too little data: no score, confidence 0
  }
  // Volume: enough slots; consistency: no gaps since the provider appeared
  // (a provider scraped one slot in three is known less well than its count says).
  const double volume = std::min(1.0, f.up_slots / (2.0 * config.confidence.min_samples));
  const double consistency =
      f.up_span_slots > 0 ? static_cast<double>(f.up_slots) / f.up_span_slots : 1.0;
  r.confidence = r.coverage * volume * consistency;
  r.score = 100.0 * *wm.mean;
  return r;
}

}  // namespace depin::analytics
