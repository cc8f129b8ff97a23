// Performance score (DESIGN §4): six weighted components, each 0..1.
#pragma once

#include <array>
#include <optional>

#include "analytics/facts.h"
#include "config/config.h"

namespace depin::analytics {

struct PerformanceResult {
  std::array<std::optional<double>, kPerfComponentCount> components;  // 0..1, absent without data
  std::optional<double> score;  // 0..100; absent when confidence is 0
  double coverage = 0;          // share of the total weight whose component is present
  double confidence = 0;  // 0..1: coverage x volume x consistency; 0 = too little data to score
};

// Components from facts; weights of absent components are redistributed
// over the present ones. No score when `up` has fewer than
// confidence.min_samples slots or the coverage is below confidence.min_weight.
PerformanceResult ScorePerformance(const ProviderFacts& facts, const Config& config);

// Linear score: 1 at or below `good`, 0 at or above `bad`.
double LinearScore(double value, double good, double bad);

// Weighted mean over present values: (sum w*v / sum w, sum w present / sum w).
struct WeightedMean {
  std::optional<double> mean;
  double coverage = 0;
};
template <size_t N>
WeightedMean WeightedMeanOf(const std::array<std::optional<double>, N>& values,
                            const std::array<double, N>& weights) {
  double num = 0, present = 0, total = 0;
  for (size_t i = 0; i < N; ++i) {
    total += weights[i];
    if (!values[i]) continue;
    num += weights[i] * *values[i];
    present += weights[i];
  }
  WeightedMean r;
  if (present > 0) r.mean = num / present;
  r.coverage = total > 0 ? present / total : 0;
  return r;
}

}  // namespace depin::analytics
