#include "export/render.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <tuple>

#include "common/duration.h"
#include "export/text_writer.h"

namespace depin::exposition {
namespace {

using analytics::ProviderScore;

// One gauge family: a sample per provider for which `value` returns a number.
void ProviderGauge(SampleSink& w, const analytics::Scoreboard& board, std::string_view name,
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
    SampleSink& w, const analytics::Scoreboard& board, std::string_view family,
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

// A labelled family over scored providers: `parts(p, emit)` calls
// emit(label value, value) once per sample of provider p.
template <typename Parts>
void LabelledGauge(SampleSink& w, const analytics::Scoreboard& board, std::string_view family,
                   std::string_view help, std::string_view label, const Parts& parts) {
  w.Family(family, help, "gauge");
  for (const auto& p : board.providers) {
    if (!p.performance.score) continue;
    parts(p, [&](std::string_view name, double value) {
      w.Sample(family, {{"provider", p.facts.id}, {label, name}}, value);
    });
  }
}

// Label values formatted once per render rather than once per provider
// (percentiles, windows, horizons: a handful of distinct keys).
class FormattedLabels {
 public:
  std::string_view Of(int64_t key, std::string (*format)(int64_t)) {
    for (const auto& [k, text] : formatted_) {
      if (k == key) return text;
    }
    // A deque keeps the strings where they are as it grows.
    return formatted_.emplace_back(key, format(key)).second;
  }

 private:
  std::deque<std::pair<int64_t, std::string>> formatted_;
};

// "95" for 0.95 (the key is the quantile in millionths): promtool reserves
// the `quantile` label for summaries.
std::string FormatPercentile(int64_t millionths) {
  std::string out;
  AppendValue(&out, static_cast<double>(millionths) / 1e4);
  return out;
}

// Emits (percentile label, value) for each quantile.
template <typename Emit>
void QuantileParts(const std::vector<std::pair<double, double>>& quantiles, FormattedLabels& labels,
                   const Emit& emit) {
  for (const auto& [q, v] : quantiles) {
    emit(labels.Of(std::llround(q * 1e6), FormatPercentile), v);
  }
}

// Emits (signal name, value) for each signal for which `value` has a number.
template <typename Value, typename Emit>
void SignalParts(const ProviderScore& p, const Value& value, const Emit& emit) {
  for (int i = 0; i < analytics::kStatSignalCount; ++i) {
    if (std::optional<double> v = value(p.statistics.signals[i])) {
      emit(analytics::StatSignalName(static_cast<analytics::StatSignal>(i)), *v);
    }
  }
}

// A gauge over scored providers only.
void ScoredGauge(SampleSink& w, const analytics::Scoreboard& board, std::string_view name,
                 std::string_view help,
                 const std::function<std::optional<double>(const ProviderScore&)>& value) {
  ProviderGauge(w, board, name, help, [&value](const ProviderScore& p) -> std::optional<double> {
    if (!p.performance.score) return std::nullopt;
    return value(p);
  });
}

void RenderStatistics(SampleSink& w, const analytics::Scoreboard& board) {
  using analytics::ProviderStatistics;
  FormattedLabels percentiles;
  FormattedLabels windows;
  ScoredGauge(w, board, "depin_provider_uptime_ratio", "Share of the window the provider was up.",
              [](const ProviderScore& p) { return p.statistics.reliability.uptime_ratio; });
  ScoredGauge(w, board, "depin_provider_outages", "Outages (up 1 -> 0) in the window.",
              [](const ProviderScore& p) -> std::optional<double> {
                return p.statistics.reliability.failures;
              });
  ScoredGauge(w, board, "depin_provider_mtbf_seconds",
              "Mean time between failures over the window; absent without a failure.",
              [](const ProviderScore& p) { return p.statistics.reliability.mtbf_seconds; });
  ScoredGauge(w, board, "depin_provider_mttr_seconds",
              "Mean time to repair of the outages that ended in the window.",
              [](const ProviderScore& p) { return p.statistics.reliability.mttr_seconds; });
  LabelledGauge(w, board, "depin_provider_response_latency_seconds",
                "Response latency percentiles over the window, as histogram_quantile.",
                "percentile", [&percentiles](const ProviderScore& p, const auto& emit) {
                  QuantileParts(p.statistics.latency_quantiles, percentiles, emit);
                });
  LabelledGauge(w, board, "depin_provider_job_duration_seconds",
                "Job duration percentiles over the window, as histogram_quantile.", "percentile",
                [&percentiles](const ProviderScore& p, const auto& emit) {
                  QuantileParts(p.statistics.duration_quantiles, percentiles, emit);
                });
  LabelledGauge(w, board, "depin_provider_trend_slope",
                "Least-squares slope per second of the signal over the window.", "signal",
                [](const ProviderScore& p, const auto& emit) {
                  SignalParts(
                      p,
                      [](const analytics::SignalStatistics& s) -> std::optional<double> {
                        if (!s.trend) return std::nullopt;
                        return s.trend->slope_per_second;
                      },
                      emit);
                });
  LabelledGauge(w, board, "depin_provider_trend_r2",
                "Share of the signal's variance the trend line explains, 0-1.", "signal",
                [](const ProviderScore& p, const auto& emit) {
                  SignalParts(
                      p,
                      [](const analytics::SignalStatistics& s) -> std::optional<double> {
                        if (!s.trend) return std::nullopt;
                        return s.trend->r2;
                      },
                      emit);
                });
  w.Family("depin_provider_trend", "Trend direction of the signal as a state-set.", "gauge");
  for (const auto& p : board.providers) {
    if (!p.performance.score) continue;
    for (int i = 0; i < analytics::kStatSignalCount; ++i) {
      const auto& s = p.statistics.signals[i];
      if (!s.direction) continue;
      for (auto d : {analytics::TrendDirection::kImproving, analytics::TrendDirection::kStable,
                     analytics::TrendDirection::kDeclining}) {
        w.Sample("depin_provider_trend",
                 {{"direction", analytics::TrendDirectionName(d)},
                  {"provider", p.facts.id},
                  {"signal", analytics::StatSignalName(static_cast<analytics::StatSignal>(i))}},
                 *s.direction == d ? 1.0 : 0.0);
      }
    }
  }
  LabelledGauge(w, board, "depin_provider_anomaly_score",
                "Deviation of the newest step from the window's baseline (z or robust z).",
                "signal", [](const ProviderScore& p, const auto& emit) {
                  SignalParts(
                      p, [](const analytics::SignalStatistics& s) { return s.anomaly_score; },
                      emit);
                });
  LabelledGauge(w, board, "depin_provider_anomalous",
                "1 when the anomaly score is at or above the threshold.", "signal",
                [](const ProviderScore& p, const auto& emit) {
                  SignalParts(
                      p,
                      [](const analytics::SignalStatistics& s) -> std::optional<double> {
                        if (!s.anomaly_score) return std::nullopt;
                        return s.anomalous ? 1.0 : 0.0;
                      },
                      emit);
                });
  w.Family("depin_provider_anomalies_total",
           "Anomaly episodes (the flag rising) since the sidecar started, by signal.", "counter");
  for (const auto& p : board.providers) {
    if (!p.performance.score) continue;
    for (int i = 0; i < analytics::kStatSignalCount; ++i) {
      w.Sample("depin_provider_anomalies_total",
               {{"provider", p.facts.id},
                {"signal", analytics::StatSignalName(static_cast<analytics::StatSignal>(i))}},
               static_cast<double>(p.anomalies_total[static_cast<size_t>(i)]));
    }
  }
  LabelledGauge(w, board, "depin_provider_slo_burn_rate",
                "Error-budget burn rate of the job success SLO over the trailing window.", "window",
                [&windows](const ProviderScore& p, const auto& emit) {
                  for (const auto& b : p.statistics.burn_rates) {
                    if (b.rate) emit(windows.Of(b.window_ms, FormatDuration), *b.rate);
                  }
                });
  ScoredGauge(w, board, "depin_provider_penalty_points",
              "Penalty points currently taken off the reputation (they decay with a half-life).",
              [](const ProviderScore& p) -> std::optional<double> { return p.penalty_points; });
  w.Family("depin_provider_penalties_total",
           "Penalties applied since the sidecar started, by rule.", "counter");
  for (const auto& p : board.providers) {
    if (!p.performance.score) continue;
    for (int r = 0; r < analytics::kPenaltyRuleCount; ++r) {
      w.Sample("depin_provider_penalties_total",
               {{"provider", p.facts.id},
                {"rule", analytics::PenaltyRuleName(static_cast<analytics::PenaltyRule>(r))}},
               static_cast<double>(p.penalties_fired[static_cast<size_t>(r)]));
    }
  }
  ScoredGauge(w, board, "depin_provider_cost_efficiency",
              "Performance score points per dollar per GPU-hour.",
              [](const ProviderScore& p) { return p.statistics.cost.score_per_dollar; });
  ScoredGauge(w, board, "depin_provider_cost_per_job_dollars",
              "Price of the allocated GPUs over the observed time per completed job.",
              [](const ProviderScore& p) { return p.statistics.cost.cost_per_job; });
  LabelledGauge(w, board, "depin_provider_saturation_ratio", "Busy share of each resource, 0-1.",
                "resource", [](const ProviderScore& p, const auto& emit) {
                  for (int r = 0; r < analytics::kResourceCount; ++r) {
                    if (auto v = p.statistics.saturation[r]) {
                      emit(analytics::ResourceName(static_cast<analytics::Resource>(r)), *v);
                    }
                  }
                });
  LabelledGauge(
      w, board, "depin_provider_bottleneck",
      "1 for the saturated resource while failures or latency are worse than the network's.",
      "resource", [](const ProviderScore& p, const auto& emit) {
        for (int r = 0; r < analytics::kResourceCount; ++r) {
          if (!p.statistics.saturation[r]) continue;
          auto res = static_cast<analytics::Resource>(r);
          emit(analytics::ResourceName(res), p.statistics.bottleneck == res ? 1.0 : 0.0);
        }
      });
}

// One family over network groups (regions or GPU models).
void GroupGauge(SampleSink& w, const std::vector<analytics::GroupFigures>& groups,
                std::string_view family, std::string_view help, std::string_view label,
                const std::function<std::optional<double>(const analytics::GroupFigures&)>& value) {
  w.Family(family, help, "gauge");
  for (const auto& g : groups) {
    if (auto v = value(g)) w.Sample(family, {{label, g.name}}, *v);
  }
}

std::optional<double> Utilization(const analytics::GroupFigures& g) {
  if (g.gpus_total <= 0) return std::nullopt;
  return g.gpus_allocated / g.gpus_total;
}

void RenderUsage(SampleSink& w, const analytics::Scoreboard& board) {
  using Extremes = analytics::UsageProfile::Extremes;
  struct Family {
    const char* name;
    const char* help;
    double (*low)(const Extremes&);
    double (*peak)(const Extremes&);
  };
  static constexpr Family kFamilies[] = {
      {"depin_provider_usage_hour",
       "Busiest and quietest bucket of GPU utilisation: hour of the day (0-23, UTC) or of the "
       "week (0-167 from Monday 00:00 UTC).",
       [](const Extremes& e) { return static_cast<double>(e.low); },
       [](const Extremes& e) { return static_cast<double>(e.peak); }},
      {"depin_provider_usage_gpu_util", "Mean GPU utilisation in the busiest and quietest bucket.",
       [](const Extremes& e) { return e.low_mean; }, [](const Extremes& e) { return e.peak_mean; }},
      {"depin_provider_usage_gpu_util_stddev",
       "Standard deviation of GPU utilisation in the busiest and quietest bucket.",
       [](const Extremes& e) { return e.low_stddev; },
       [](const Extremes& e) { return e.peak_stddev; }},
  };
  for (const auto& f : kFamilies) {
    w.Family(f.name, f.help, "gauge");
    for (const auto& p : board.providers) {
      if (!p.performance.score) continue;
      for (const auto& [period, e] : {std::pair{"day", &p.long_range.usage_day},
                                      std::pair{"week", &p.long_range.usage_week}}) {
        if (!*e) continue;
        w.Sample(f.name, {{"extreme", "low"}, {"period", period}, {"provider", p.facts.id}},
                 f.low(**e));
        w.Sample(f.name, {{"extreme", "peak"}, {"period", period}, {"provider", p.facts.id}},
                 f.peak(**e));
      }
    }
  }
}

void RenderForecasts(SampleSink& w, const analytics::Scoreboard& board) {
  w.Family("depin_provider_forecast",
           "Holt-Winters forecast of the signal at the horizon: mean and prediction interval.",
           "gauge");
  FormattedLabels horizons;
  for (const auto& p : board.providers) {
    if (!p.performance.score) continue;
    for (int s = 0; s < analytics::kStatSignalCount; ++s) {
      const auto signal = analytics::StatSignalName(static_cast<analytics::StatSignal>(s));
      for (const auto& point : p.forecasts[static_cast<size_t>(s)]) {
        const std::string_view horizon = horizons.Of(point.horizon_ms, FormatDuration);
        for (const auto& [bound, value] :
             {std::pair{"lower", point.value.lower}, std::pair{"mean", point.value.mean},
              std::pair{"upper", point.value.upper}}) {
          w.Sample("depin_provider_forecast",
                   {{"bound", bound},
                    {"horizon", horizon},
                    {"provider", p.facts.id},
                    {"signal", signal}},
                   value);
        }
      }
    }
  }
  w.Family("depin_network_capacity_exhaustion_seconds",
           "Seconds until the forecast GPU utilisation of the region reaches 100%; +Inf beyond "
           "the exhaustion horizon.",
           "gauge");
  for (const auto& [region, seconds] : board.exhaustion_seconds) {
    w.Sample("depin_network_capacity_exhaustion_seconds", {{"region", region}}, seconds);
  }
}

void RenderNetwork(SampleSink& w, const analytics::NetworkFigures& n) {
  using analytics::GroupFigures;
  for (const auto& [groups, label, suffix] :
       {std::tuple{&n.regions, "region", "region"},
        std::tuple{&n.gpu_models, "gpu_model", "gpu_model"}}) {
    const std::string by = std::string("_by_") + suffix;
    GroupGauge(w, *groups, "depin_network_providers" + by, "Providers with data, by group.", label,
               [](const GroupFigures& g) -> std::optional<double> { return g.providers; });
    GroupGauge(w, *groups, "depin_network_gpus_total" + by, "GPUs offered, by group.", label,
               [](const GroupFigures& g) -> std::optional<double> { return g.gpus_total; });
    GroupGauge(w, *groups, "depin_network_gpus_allocated" + by, "GPUs allocated, by group.", label,
               [](const GroupFigures& g) -> std::optional<double> { return g.gpus_allocated; });
    GroupGauge(w, *groups, "depin_network_utilization" + by + "_ratio",
               "Allocated share of the GPUs offered, by group.", label, Utilization);
  }
  GroupGauge(w, n.regions, "depin_network_providers_down_by_region",
             "Providers whose newest up sample is down, by region.", "region",
             [](const GroupFigures& g) -> std::optional<double> { return g.down; });
  GroupGauge(
      w, n.regions, "depin_network_correlated_failure",
      "1 when several providers of the region are down together.", "region",
      [](const GroupFigures& g) -> std::optional<double> { return g.correlated_failure ? 1 : 0; });
}

}  // namespace

std::string RenderScoreboard(const analytics::Scoreboard& board, std::string buffer) {
  TextWriter w(std::move(buffer));
  // About 6 kB per scored provider, less than 100 B per other one: one
  // growth at most, none once the buffer is reused.
  const size_t scored =
      std::min(static_cast<size_t>(std::max(board.scored, 0)), board.providers.size());
  w.Reserve(scored * 6144 + (board.providers.size() - scored) * 128 + 4096);
  RenderScoreboard(board, w);
  return w.Take();
}

void RenderScoreboard(const analytics::Scoreboard& board, SampleSink& w) {
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

  RenderStatistics(w, board);
  RenderNetwork(w, board.network);
  RenderForecasts(w, board);
  RenderUsage(w, board);

  w.Family("depin_network_providers", "Scored providers per tier.", "gauge");
  for (int t = 0; t < analytics::kTierCount; ++t) {
    w.Sample("depin_network_providers", {{"tier", analytics::TierName(t)}},
             board.providers_per_tier[t]);
  }
}

}  // namespace depin::exposition
