#include "analytics/slo.h"

#include <algorithm>

namespace depin::analytics {

std::vector<BurnRate> ComputeBurnRates(windows::ScalarSpan completed, windows::ScalarSpan failed,
                                       int64_t step_ms, double objective,
                                       const std::vector<int64_t>& windows_ms) {
  std::vector<BurnRate> out;
  const size_t n = std::max(completed.sum.size(), failed.sum.size());
  const double budget = 1.0 - objective;
  for (int64_t w : windows_ms) {
    BurnRate br{w, std::nullopt};
    const size_t slots = static_cast<size_t>((w + step_ms - 1) / std::max<int64_t>(step_ms, 1));
    if (n > 0 && slots <= n && budget > 0) {
      double ok = 0, bad = 0;
      for (size_t i = n - slots; i < n; ++i) {
        if (i < completed.sum.size()) ok += completed.sum[i];
        if (i < failed.sum.size()) bad += failed.sum[i];
      }
      if (ok + bad > 0) br.rate = (bad / (ok + bad)) / budget;
    }
    out.push_back(br);
  }
  return out;
}

CostFigures ComputeCost(const ProviderFacts& f, std::optional<double> performance_score,
                        double observed_seconds) {
  CostFigures c;
  if (!f.price || *f.price <= 0) return c;
  if (performance_score) c.score_per_dollar = *performance_score / *f.price;
  if (f.gpus_allocated && f.jobs_completed > 0 && observed_seconds > 0) {
    c.cost_per_job = *f.price * *f.gpus_allocated * (observed_seconds / 3600.0) / f.jobs_completed;
  }
  return c;
}

}  // namespace depin::analytics
