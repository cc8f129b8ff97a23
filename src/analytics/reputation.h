// Reputation (DESIGN §4): a multi-criteria score over the scored providers,
// plus rank and percentile among them.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "analytics/facts.h"
#include "analytics/performance.h"
#include "config/config.h"

namespace depin::analytics {

struct ReputationResult {
  std::array<std::optional<double>, kRepCriterionCount> criteria;  // 0..1
  std::optional<double> score;                                     // 0..100
};

// Scores every provider that has a performance score; the others get an
// empty result. Cost and speed are relative to the other scored providers.
std::vector<ReputationResult> ScoreReputation(const std::vector<ProviderFacts>& facts,
                                              const std::vector<PerformanceResult>& performance,
                                              const ReputationConfig& config);

// Percentile rank in 0..1 of each present value among the present values:
// the share of the others it beats, ties counting half. A lone value gets 1.
// Values closer than kTieTolerance relative to each other are ties.
inline constexpr double kTieTolerance = 1e-9;
std::vector<std::optional<double>> PercentileRanks(const std::vector<std::optional<double>>& values,
                                                   bool higher_is_better);

// Rank 1 = highest score; ties broken by id so ranks are stable. Entries
// without a score get no rank.
std::vector<std::optional<int>> RankDescending(const std::vector<std::optional<double>>& scores,
                                               const std::vector<std::string>& ids);

}  // namespace depin::analytics
