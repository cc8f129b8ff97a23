// Scoreboard: every derived figure of one evaluation, for all providers.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <vector>

#include "analytics/facts.h"
#include "analytics/forecast_tracker.h"
#include "analytics/long_range.h"
#include "analytics/network.h"
#include "analytics/penalties.h"
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
  std::optional<int> rank;               // 1 = best
  std::optional<double> percentile;      // 0..100
  std::optional<int> tier_level;         // 0..4
  std::optional<double> raw_reputation;  // before penalties
  double penalty_points = 0;             // taken off raw_reputation
  std::array<uint64_t, kPenaltyRuleCount> penalties_fired{};
  ProviderStatistics statistics;  // meaningful only with a performance score
  std::array<std::vector<ForecastPoint>, kStatSignalCount> forecasts;  // empty while warming up
  LongRangeFigures long_range;  // trends over the trend window, usage profiles
  std::array<uint64_t, kStatSignalCount> anomalies_total{};  // episodes since start
};

struct Scoreboard {
  std::vector<ProviderScore> providers;  // sorted by provider id
  std::array<int, kTierCount> providers_per_tier{};
  int scored = 0;
  NetworkFigures network;
  std::vector<std::pair<std::string, double>> exhaustion_seconds;  // by region
};

// What the analytics remember from one evaluation to the next.
struct AnalyticsState {
  explicit AnalyticsState(const Config& config)
      : tiers(config.tiers),
        forecasts(config.forecast),
        penalties(config.penalties),
        long_range(config.statistics),
        audit(static_cast<size_t>(config.penalties.audit_capacity)) {}
  void set_config(const Config& config) {
    tiers.set_config(config.tiers);
    forecasts.set_config(config.forecast);
    penalties.set_config(config.penalties);
    long_range.set_config(config.statistics);
  }
  TierTracker tiers;                             // hysteresis
  ForecastTracker forecasts;                     // online Holt-Winters models
  PenaltyTracker penalties;                      // decaying penalty points
  LongRangeTracker long_range;                   // 168h trends and usage profiles
  AnomalyCounter anomalies;                      // anomaly episodes per provider and signal
  AuditLog audit;                                // score, tier and penalty changes
  std::map<std::string, double> audited_scores;  // last reputation put on record
};

// Runs the analytics over a snapshot of the windows taken at `now_ms`.
// `state` carries tiers and forecast models from one evaluation to the next.
Scoreboard ComputeScoreboard(const std::vector<windows::ProviderView>& views, const Config& config,
                             int64_t now_ms, AnalyticsState& state);

}  // namespace depin::analytics
