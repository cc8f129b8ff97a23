#include "analytics/scoreboard.h"

#include <algorithm>

namespace depin::analytics {

Scoreboard ComputeScoreboard(const std::vector<windows::ProviderView>& views, const Config& config,
                             TierTracker& tiers) {
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
  board.providers.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ProviderScore ps{std::move(facts[i]), performance[i], reputation[i],           ranks[i],
                     std::nullopt,        std::nullopt,   std::move(statistics[i])};
    if (percentiles[i]) ps.percentile = 100.0 * *percentiles[i];
    if (ps.reputation.score) {
      ps.tier_level = tiers.Update(ps.facts.id, *ps.reputation.score);
      ++board.providers_per_tier[*ps.tier_level];
      ++board.scored;
    }
    board.providers.push_back(std::move(ps));
  }
  std::sort(board.providers.begin(), board.providers.end(),
            [](const ProviderScore& a, const ProviderScore& b) { return a.facts.id < b.facts.id; });
  return board;
}

}  // namespace depin::analytics
