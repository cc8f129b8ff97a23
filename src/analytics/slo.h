// SLO error-budget burn rates and cost figures (DESIGN §4).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "analytics/facts.h"
#include "windows/view.h"

namespace depin::analytics {

struct BurnRate {
  int64_t window_ms = 0;
  std::optional<double> rate;  // absent when the window is not covered or saw no jobs
};

// Burn rate over each trailing window ending at the newest slot: the failure
// ratio of the jobs finished in it divided by the error budget
// (1 - objective). 1 spends the budget exactly over the SLO period; 14.4 over
// 1h is the SRE workbook's fast-burn page. A window longer than the slots
// held is absent, never extrapolated.
std::vector<BurnRate> ComputeBurnRates(windows::ScalarSpan completed, windows::ScalarSpan failed,
                                       int64_t step_ms, double objective,
                                       const std::vector<int64_t>& windows_ms);

struct CostFigures {
  std::optional<double> score_per_dollar;  // performance points per $ per GPU-hour
  std::optional<double> cost_per_job;      // $ per completed job
};

// score_per_dollar = performance score / price per GPU-hour.
// cost_per_job = price x allocated GPUs x observed hours / completed jobs:
// what the provider's busy capacity cost per job it delivered.
CostFigures ComputeCost(const ProviderFacts& facts, std::optional<double> performance_score,
                        double observed_seconds);

}  // namespace depin::analytics
