#include "analytics/reliability.h"

namespace depin::analytics {

Reliability ComputeReliability(windows::ScalarSpan up, int64_t step_ms) {
  Reliability r;
  const double step_s = static_cast<double>(step_ms) / 1000.0;
  double up_slots = 0, observed = 0, repaired_down_s = 0, current_down_s = 0;
  std::optional<bool> previous;
  for (size_t i = 0; i < up.sum.size(); ++i) {
    if (up.count[i] <= 0) continue;
    const bool is_up = up.sum[i] / up.count[i] >= 0.5;
    observed += 1;
    if (is_up) up_slots += 1;
    if (previous && *previous && !is_up) ++r.failures;
    if (previous && !*previous && is_up) {
      ++r.recoveries;
      repaired_down_s += current_down_s;
    }
    current_down_s = is_up ? 0 : current_down_s + step_s;
    previous = is_up;
  }
  if (observed == 0) return r;
  r.uptime_ratio = up_slots / observed;
  if (r.failures > 0) r.mtbf_seconds = up_slots * step_s / r.failures;
  if (r.recoveries > 0) r.mttr_seconds = repaired_down_s / r.recoveries;
  return r;
}

}  // namespace depin::analytics
