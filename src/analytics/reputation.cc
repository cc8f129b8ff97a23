#include "analytics/reputation.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace depin::analytics {

std::vector<std::optional<double>> PercentileRanks(const std::vector<std::optional<double>>& values,
                                                   bool higher_is_better) {
  std::vector<double> present;
  for (const auto& v : values) {
    if (v) present.push_back(*v);
  }
  std::sort(present.begin(), present.end());
  std::vector<std::optional<double>> out(values.size());
  const double n = static_cast<double>(present.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) continue;
    if (present.size() == 1) {
      out[i] = 1.0;
      continue;
    }
    // Values within rounding noise of each other tie: identical providers
    // whose figures were summed in a different order must rank the same.
    const double v = *values[i], noise = kTieTolerance * std::abs(v);
    auto lo = std::lower_bound(present.begin(), present.end(), v - noise);
    auto hi = std::upper_bound(present.begin(), present.end(), v + noise);
    double below = static_cast<double>(lo - present.begin());
    double ties = static_cast<double>(hi - lo) - 1;  // others with the same value
    double above = n - below - ties - 1;
    double beaten = higher_is_better ? below : above;
    out[i] = (beaten + 0.5 * ties) / (n - 1);
  }
  return out;
}

std::vector<std::optional<int>> RankDescending(const std::vector<std::optional<double>>& scores,
                                               const std::vector<std::string>& ids) {
  std::vector<size_t> order;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (scores[i]) order.push_back(i);
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (*scores[a] != *scores[b]) return *scores[a] > *scores[b];
    return ids[a] < ids[b];
  });
  std::vector<std::optional<int>> ranks(scores.size());
  for (size_t r = 0; r < order.size(); ++r) ranks[order[r]] = static_cast<int>(r) + 1;
  return ranks;
}

std::vector<ReputationResult> ScoreReputation(const std::vector<ProviderFacts>& facts,
                                              const std::vector<PerformanceResult>& performance,
                                              const ReputationConfig& config) {
  const size_t n = facts.size();
  std::vector<std::optional<double>> value_per_dollar(n), job_duration(n);
  for (size_t i = 0; i < n; ++i) {
    if (!performance[i].score) continue;
    if (facts[i].price && *facts[i].price > 0) {
      value_per_dollar[i] = *performance[i].score / *facts[i].price;
    }
    job_duration[i] = facts[i].mean_job_duration_s;
  }
  auto cost = PercentileRanks(value_per_dollar, /*higher_is_better=*/true);
  auto speed = PercentileRanks(job_duration, /*higher_is_better=*/false);

  std::vector<ReputationResult> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (!performance[i].score) continue;
    const ProviderFacts& f = facts[i];
    ReputationResult& r = out[i];
    auto set = [&r](RepCriterion c, std::optional<double> v) {
      r.criteria[static_cast<int>(c)] = v;
    };
    set(RepCriterion::kPerformance, *performance[i].score / 100.0);
    if (f.uptime) {
      set(RepCriterion::kReliability,
          *f.uptime * std::max(0.0, 1.0 - config.outage_penalty * f.outages));
    }
    set(RepCriterion::kCost, cost[i]);
    if (f.recent_uptime) {
      double availability = *f.recent_uptime;
      if (f.gpus_total && *f.gpus_total > 0 && f.gpus_allocated) {
        double free_ratio = std::clamp(1.0 - *f.gpus_allocated / *f.gpus_total, 0.0, 1.0);
        availability *= 0.5 + 0.5 * free_ratio;
      }
      set(RepCriterion::kAvailability, availability);
    }
    set(RepCriterion::kSpeed, speed[i]);
    WeightedMean wm = WeightedMeanOf(r.criteria, config.weights);
    if (wm.mean) r.score = 100.0 * *wm.mean;
  }
  return out;
}

}  // namespace depin::analytics
