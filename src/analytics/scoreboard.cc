#include "analytics/scoreboard.h"

#include <algorithm>

namespace depin::analytics {

Scoreboard ComputeScoreboard(const std::vector<windows::ProviderView>& views, const Config& config,
                             int64_t now_ms, AnalyticsState& state) {
  const size_t n = views.size();
  std::vector<ProviderFacts> facts;
  std::vector<PerformanceResult> performance;
  facts.reserve(n);
  performance.reserve(n);
  for (const auto& view : views) {
    facts.push_back(ExtractFacts(view, config));
    performance.push_back(ScorePerformance(facts.back(), config));
  }
  std::vector<ReputationResult> reputation = ScoreReputation(facts, performance, config.reputation);
  std::vector<ProviderStatistics> statistics;
  statistics.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    statistics.push_back(ComputeStatistics(views[i], facts[i], performance[i], config));
  }
  MarkBottlenecks(facts, &statistics, config.statistics);

  std::vector<std::optional<double>> scores(n);
  std::vector<std::string> ids(n);
  for (size_t i = 0; i < n; ++i) {
    scores[i] = reputation[i].score;
    ids[i] = facts[i].id;
  }
  auto ranks = RankDescending(scores, ids);
  auto percentiles = PercentileRanks(scores, /*higher_is_better=*/true);

  Scoreboard board;
  board.network = ComputeNetwork(facts, config.network);
  for (const auto& region : board.network.regions) {
    if (region.gpus_total <= 0) continue;
    state.forecasts.FeedRegion(region.name, region.gpus_allocated / region.gpus_total, now_ms);
    if (auto s = state.forecasts.SecondsToExhaustion(region.name)) {
      board.exhaustion_seconds.emplace_back(region.name, *s);
    }
  }
  board.providers.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ProviderScore ps;
    ps.facts = std::move(facts[i]);
    ps.performance = performance[i];
    ps.reputation = reputation[i];
    ps.rank = ranks[i];
    ps.statistics = std::move(statistics[i]);
    if (percentiles[i]) ps.percentile = 100.0 * *percentiles[i];
    const auto series = StatSignalSeries(views[i]);
    for (int sig = 0; sig < kStatSignalCount; ++sig) {
      auto signal = static_cast<StatSignal>(sig);
      state.forecasts.FeedProvider(ps.facts.id, signal, series[static_cast<size_t>(sig)].slots,
                                   views[i].step_ms, now_ms);
      ps.forecasts[static_cast<size_t>(sig)] =
          state.forecasts.ProviderForecast(ps.facts.id, signal);
    }
    if (ps.reputation.score) {
      ps.tier_level = state.tiers.Update(ps.facts.id, *ps.reputation.score);
      ++board.providers_per_tier[*ps.tier_level];
      ++board.scored;
    }
    board.providers.push_back(std::move(ps));
  }
  state.forecasts.Sweep();
  std::sort(board.providers.begin(), board.providers.end(),
            [](const ProviderScore& a, const ProviderScore& b) { return a.facts.id < b.facts.id; });
  return board;
}

}  // namespace depin::analytics
