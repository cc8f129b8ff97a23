#include "analytics/scoreboard.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace depin::analytics {
namespace {

std::string Inputs(const ProviderScore& ps) {
  std::ostringstream out;
  out << "reputation=" << *ps.reputation.score << " raw=" << ps.raw_reputation.value_or(0)
      << " penalty=" << ps.penalty_points;
  for (int c = 0; c < kRepCriterionCount; ++c) {
    if (auto v = ps.reputation.criteria[c]) {
      out << ' ' << RepCriterionName(static_cast<RepCriterion>(c)) << '=' << *v;
    }
  }
  return out.str();
}

// Audit records for a tier change and for a large move of the score.
void RecordChanges(const ProviderScore& ps, std::optional<int> tier_before,
                   const PenaltyConfig& config, int64_t now_ms, AnalyticsState& state) {
  const std::string& id = ps.facts.id;
  if (tier_before && *tier_before != *ps.tier_level) {
    state.audit.Append({now_ms, id, "tier", "tier thresholds with hysteresis",
                        static_cast<double>(*tier_before), static_cast<double>(*ps.tier_level),
                        Inputs(ps)});
  }
  auto [it, first] = state.audited_scores.try_emplace(id, *ps.reputation.score);
  if (!first && std::abs(*ps.reputation.score - it->second) >= config.audit_score_change) {
    state.audit.Append({now_ms, id, "score", "reputation moved by audit_score_change or more",
                        it->second, *ps.reputation.score, Inputs(ps)});
    it->second = *ps.reputation.score;
  }
}

}  // namespace

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
  std::vector<std::array<StatSeries, kStatSignalCount>> series;
  std::vector<ProviderStatistics> statistics;
  series.reserve(n);
  statistics.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    series.push_back(StatSignalSeries(views[i]));
    statistics.push_back(ComputeStatistics(views[i], series[i], facts[i], performance[i], config));
  }
  MarkBottlenecks(facts, &statistics, config.statistics, config.penalties.failure_burst_min_ratio);

  // Penalties come off the raw reputation before ranks and tiers.
  std::vector<std::optional<double>> scores(n);
  std::vector<std::string> ids(n);
  std::vector<double> penalty(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = facts[i].id;
    if (!reputation[i].score) continue;
    PenaltyInputs in{facts[i].latest_up, facts[i].sla_fraction,
                     statistics[i].signals[static_cast<int>(StatSignal::kFailureRatio)].anomalous,
                     statistics[i].recent_failure_ratio};
    penalty[i] = state.penalties.Update(ids[i], in, now_ms, state.audit);
    scores[i] = std::max(0.0, *reputation[i].score - penalty[i]);
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
    ps.raw_reputation = reputation[i].score;
    ps.reputation.score = scores[i];
    ps.penalty_points = penalty[i];
    ps.penalties_fired = state.penalties.Fired(ids[i]);
    ps.rank = ranks[i];
    ps.statistics = std::move(statistics[i]);
    ps.anomalies_total = state.anomalies.Update(ps.facts.id, ps.statistics.signals);
    if (percentiles[i]) ps.percentile = 100.0 * *percentiles[i];
    ps.long_range = state.long_range.Feed(ps.facts.id, series[i], views[i].step_ms, now_ms);
    for (int sig = 0; sig < kStatSignalCount; ++sig) {  // trends span the trend window
      auto& signal = ps.statistics.signals[static_cast<size_t>(sig)];
      signal.trend = ps.long_range.trends[static_cast<size_t>(sig)];
      signal.direction = ps.long_range.directions[static_cast<size_t>(sig)];
    }
    for (int sig = 0; sig < kStatSignalCount; ++sig) {
      auto signal = static_cast<StatSignal>(sig);
      state.forecasts.FeedProvider(ps.facts.id, signal, series[i][static_cast<size_t>(sig)].slots,
                                   views[i].step_ms, now_ms);
      ps.forecasts[static_cast<size_t>(sig)] =
          state.forecasts.ProviderForecast(ps.facts.id, signal, now_ms);
    }
    if (ps.reputation.score) {
      const auto before = state.tiers.Current(ps.facts.id);
      ps.tier_level = state.tiers.Update(ps.facts.id, *ps.reputation.score);
      RecordChanges(ps, before, config.penalties, now_ms, state);
      ++board.providers_per_tier[*ps.tier_level];
      ++board.scored;
    }
    board.providers.push_back(std::move(ps));
  }
  state.forecasts.Sweep();
  state.long_range.Sweep();
  std::sort(board.providers.begin(), board.providers.end(),
            [](const ProviderScore& a, const ProviderScore& b) { return a.facts.id < b.facts.id; });
  return board;
}

}  // namespace depin::analytics
