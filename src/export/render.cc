#include "export/render.h"

#include <functional>

#include "export/text_writer.h"

namespace depin::exposition {
namespace {

using analytics::ProviderScore;

// One gauge family: a sample per provider for which `value` returns a number.
void ProviderGauge(TextWriter& w, const analytics::Scoreboard& board, std::string_view name,
                   std::string_view help,
                   const std::function<std::optional<double>(const ProviderScore&)>& value) {
  w.Family(name, help, "gauge");
  for (const auto& p : board.providers) {
    if (auto v = value(p)) w.Sample(name, {{"provider", p.facts.id}}, *v);
  }
}

// A per-provider breakdown family: one sample per present part, labelled
// `label`="<name of the part>", for providers that have `score`.
template <typename Part, size_t N>
void Breakdown(
    TextWriter& w, const analytics::Scoreboard& board, std::string_view family,
    std::string_view help, std::string_view label, std::string_view (*part_name)(Part),
    const std::function<const std::array<std::optional<double>, N>*(const ProviderScore&)>& parts) {
  w.Family(family, help, "gauge");
  for (const auto& p : board.providers) {
    const auto* values = parts(p);
    if (values == nullptr) continue;
    for (size_t i = 0; i < N; ++i) {
      if (auto v = (*values)[i]) {
        w.Sample(family, {{label, part_name(static_cast<Part>(i))}, {"provider", p.facts.id}}, *v);
      }
    }
  }
}

}  // namespace

std::string RenderScoreboard(const analytics::Scoreboard& board) {
  TextWriter w;
  w.buffer().reserve(board.providers.size() * 1500 + 1024);

  ProviderGauge(w, board, "depin_provider_performance_score",
                "Performance score 0-100 from six weighted components.",
                [](const ProviderScore& p) { return p.performance.score; });

  Breakdown<PerfComponent, kPerfComponentCount>(
      w, board, "depin_provider_score_component", "Performance score component 0-1 by component.",
      "component", PerfComponentName, [](const ProviderScore& p) {
        return p.performance.score ? &p.performance.components : nullptr;
      });

  ProviderGauge(w, board, "depin_provider_reputation_score",
                "Reputation score 0-100 from five weighted criteria.",
                [](const ProviderScore& p) { return p.reputation.score; });

  Breakdown<RepCriterion, kRepCriterionCount>(
      w, board, "depin_provider_reputation_criterion", "Reputation criterion 0-1 by criterion.",
      "criterion", RepCriterionName,
      [](const ProviderScore& p) { return p.reputation.score ? &p.reputation.criteria : nullptr; });

  ProviderGauge(w, board, "depin_provider_rank",
                "Rank by reputation among scored providers, 1 = best.",
                [](const ProviderScore& p) -> std::optional<double> {
                  if (!p.rank) return std::nullopt;
                  return *p.rank;
                });
  ProviderGauge(w, board, "depin_provider_percentile",
                "Percentile 0-100 of the reputation among scored providers.",
                [](const ProviderScore& p) { return p.percentile; });

  w.Family("depin_provider_tier", "Current tier as a state-set: 1 for the provider's tier.",
           "gauge");
  for (const auto& p : board.providers) {
    if (!p.tier_level) continue;
    for (int t = 0; t < analytics::kTierCount; ++t) {
      w.Sample("depin_provider_tier", {{"provider", p.facts.id}, {"tier", analytics::TierName(t)}},
               t == *p.tier_level ? 1.0 : 0.0);
    }
  }
  ProviderGauge(w, board, "depin_provider_tier_level",
                "Current tier as a level: 0 basic, 1 bronze, 2 silver, 3 gold, 4 platinum.",
                [](const ProviderScore& p) -> std::optional<double> {
                  if (!p.tier_level) return std::nullopt;
                  return *p.tier_level;
                });
  ProviderGauge(w, board, "depin_provider_confidence",
                "Confidence 0-1 in the provider's scores; 0 means too little data to score.",
                [](const ProviderScore& p) { return p.performance.confidence; });

  w.Family("depin_network_providers", "Scored providers per tier.", "gauge");
  for (int t = 0; t < analytics::kTierCount; ++t) {
    w.Sample("depin_network_providers", {{"tier", analytics::TierName(t)}},
             board.providers_per_tier[t]);
  }
  return w.Take();
}

}  // namespace depin::exposition
