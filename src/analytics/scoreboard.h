// Scoreboard: every derived figure of one evaluation, for all providers.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "analytics/facts.h"
#include "analytics/network.h"
#include "analytics/performance.h"
#include "analytics/reputation.h"
#include "analytics/signal_stats.h"
#include "analytics/tiers.h"
#include "config/config.h"
#include "windows/view.h"

namespace depin::analytics {

struct ProviderScore {
  ProviderFacts facts;
  PerformanceResult performance;
  ReputationResult reputation;
  std::optional<int> rank;           // 1 = best
  std::optional<double> percentile;  // 0..100
  std::optional<int> tier_level;     // 0..4
  ProviderStatistics statistics;     // meaningful only with a performance score
};

struct Scoreboard {
  std::vector<ProviderScore> providers;  // sorted by provider id
  std::array<int, kTierCount> providers_per_tier{};
  int scored = 0;
  NetworkFigures network;
};

// Runs the analytics over a snapshot of the windows. `tiers` carries the
// hysteresis state from one evaluation to the next.
Scoreboard ComputeScoreboard(const std::vector<windows::ProviderView>& views, const Config& config,
                             TierTracker& tiers);

}  // namespace depin::analytics
