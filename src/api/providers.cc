#include "api/providers.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "analytics/statistics.h"
#include "api/wording.h"
#include "common/duration.h"

namespace depin::api {
namespace {

using analytics::ProviderScore;
using Json = nlohmann::json;

Json Number(std::optional<double> v) { return v && std::isfinite(*v) ? Json(*v) : Json(nullptr); }

Result<double> ParseNumber(const std::string& name, const std::string& text) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
    return Status::InvalidArgument("parameter \"" + name + "\": not a number: \"" + text + "\"");
  }
  return v;
}

Result<int> ParseInt(const std::string& name, const std::string& text, int lo, int hi) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v < lo || v > hi) {
    return Status::InvalidArgument("parameter \"" + name + "\": must be an integer in [" +
                                   std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

std::optional<int> TierFromName(const std::string& text) {
  for (int t = 0; t < analytics::kTierCount; ++t) {
    if (analytics::TierName(t) == text) return t;
  }
  return std::nullopt;
}

bool Passes(const ProviderScore& p, const ProviderFilter& f) {
  if (!p.reputation.score || !p.tier_level) return false;
  if (f.region && Attribute(p.facts, "region") != *f.region) return false;
  if (f.gpu_model && Attribute(p.facts, "gpu_model") != *f.gpu_model) return false;
  if (f.min_tier && *p.tier_level < *f.min_tier) return false;
  if (f.min_score && *p.reputation.score < *f.min_score) return false;
  return true;
}

// The sort key; providers without it sort last.
std::optional<double> SortKey(const ProviderScore& p, const std::string& sort) {
  if (sort == "rank") return p.rank ? std::optional<double>(*p.rank) : std::nullopt;
  if (sort == "reputation") return p.reputation.score;
  if (sort == "performance") return p.performance.score;
  if (sort == "price") return p.facts.price;
  if (sort == "confidence") return p.performance.confidence;
  return std::nullopt;
}

std::vector<const ProviderScore*> Select(const analytics::Scoreboard& board,
                                         const ProviderFilter& f) {
  std::vector<const ProviderScore*> out;
  for (const auto& p : board.providers) {
    if (Passes(p, f)) out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(), [&f](const ProviderScore* a, const ProviderScore* b) {
    if (f.sort == "id") return f.descending ? a->facts.id > b->facts.id : a->facts.id < b->facts.id;
    auto ka = SortKey(*a, f.sort), kb = SortKey(*b, f.sort);
    if (!ka || !kb) return ka.has_value() && !kb.has_value();
    if (*ka != *kb) return f.descending ? *ka > *kb : *ka < *kb;
    return a->facts.id < b->facts.id;
  });
  return out;
}

Json Summary(const ProviderScore& p) {
  return Json{{"id", p.facts.id},
              {"region", Attribute(p.facts, "region")},
              {"gpu_model", Attribute(p.facts, "gpu_model")},
              {"rank", p.rank ? Json(*p.rank) : Json(nullptr)},
              {"percentile", Number(p.percentile)},
              {"tier", p.tier_level ? Json(analytics::TierName(*p.tier_level)) : Json(nullptr)},
              {"reputation", Number(p.reputation.score)},
              {"performance", Number(p.performance.score)},
              {"confidence", p.performance.confidence},
              {"penalty_points", p.penalty_points},
              {"price_per_gpu_hour", Number(p.facts.price)},
              {"gpus_free", Number(FreeGpus(p.facts))}};
}

// Network medians of the inputs, for "network median x" in reasons.
struct Medians {
  std::optional<double> failure_ratio, uptime, gpu_util, response_s, sla;
};

Medians NetworkMedians(const analytics::Scoreboard& board) {
  std::vector<double> f, u, g, r, s;
  for (const auto& p : board.providers) {
    if (!p.performance.score) continue;
    if (auto v = FailureRatio(p.facts)) f.push_back(*v);
    if (p.facts.uptime) u.push_back(*p.facts.uptime);
    if (p.facts.gpu_util) g.push_back(*p.facts.gpu_util);
    if (p.facts.mean_response_s) r.push_back(*p.facts.mean_response_s);
    if (p.facts.sla_fraction) s.push_back(*p.facts.sla_fraction);
  }
  return {analytics::Median(f), analytics::Median(u), analytics::Median(g), analytics::Median(r),
          analytics::Median(s)};
}

std::string VersusMedian(const std::string& ours, std::optional<double> median,
                         std::string (*format)(double)) {
  return median ? ours + ", network median " + format(*median) : ours;
}

std::string Reason(PerfComponent c, const ProviderScore& p, const Medians& m,
                   const Config& config) {
  const auto& f = p.facts;
  const std::string window = FormatDuration(config.windows.length_ms);
  switch (c) {
    case PerfComponent::kCompletionRate:
    case PerfComponent::kErrorRate: {
      auto fr = FailureRatio(f);
      if (!fr)
        return "fewer than " + std::to_string(static_cast<int>(config.confidence.min_jobs)) +
               " jobs finished over " + window;
      return VersusMedian("failure ratio " + Percent(*fr) + " over " + window + " (" +
                              std::to_string(static_cast<int64_t>(f.jobs_finished())) + " jobs)",
                          m.failure_ratio, Percent);
    }
    case PerfComponent::kResourceEfficiency:
      if (!f.gpu_util) return "no GPU utilisation series";
      return VersusMedian("mean GPU utilisation " + Percent(*f.gpu_util / 100) + " over " + window,
                          m.gpu_util ? std::optional<double>(*m.gpu_util / 100) : std::nullopt,
                          Percent);
    case PerfComponent::kUptime:
      if (!f.uptime) return "no up series";
      return VersusMedian("up " + Percent(*f.uptime) + " of " + window + ", " +
                              std::to_string(f.outages) + " outage(s)",
                          m.uptime, Percent);
    case PerfComponent::kResponseTime:
      if (!f.mean_response_s) return "no response-time histogram";
      return VersusMedian("mean response " + Seconds(*f.mean_response_s) + " (1 at " +
                              Seconds(config.performance.response_good_s) + ", 0 at " +
                              Seconds(config.performance.response_bad_s) + ")",
                          m.response_s, Seconds);
    case PerfComponent::kSlaCompliance:
      if (!f.sla_fraction) return "too few job durations observed";
      return VersusMedian(
          Percent(*f.sla_fraction) + " of jobs within the " +
              FormatDuration(static_cast<int64_t>(config.performance.sla_target_s * 1000)) +
              " SLA target",
          m.sla, Percent);
  }
  return "";
}

}  // namespace

std::string Attribute(const analytics::ProviderFacts& f, std::string_view name) {
  for (const auto& [k, v] : f.attributes) {
    if (k == name) return v;
  }
  return "unknown";
}

std::optional<double> FailureRatio(const analytics::ProviderFacts& f) {
  if (f.jobs_finished() <= 0) return std::nullopt;
  return f.jobs_failed / f.jobs_finished();
}

std::optional<double> FreeGpus(const analytics::ProviderFacts& f) {
  if (!f.gpus_total) return std::nullopt;
  return std::max(0.0, *f.gpus_total - f.gpus_allocated.value_or(0));
}

Result<ProviderFilter> ParseProviderFilter(const QueryParams& params, const ApiLimits& limits) {
  ProviderFilter f;
  std::map<std::string, int> seen;
  for (const auto& [name, value] : params) {
    if (++seen[name] > 1) return Status::InvalidArgument("parameter \"" + name + "\" given twice");
    if (name == "region") {
      f.region = value;
    } else if (name == "gpu_model") {
      f.gpu_model = value;
    } else if (name == "tier") {
      f.min_tier = TierFromName(value);
      if (!f.min_tier) {
        return Status::InvalidArgument(
            "parameter \"tier\": one of basic, bronze, silver, gold, platinum");
      }
    } else if (name == "min_score") {
      auto v = ParseNumber(name, value);
      if (!v.ok()) return v.status();
      f.min_score = v.value();
    } else if (name == "sort") {
      static constexpr std::string_view kSorts[] = {"rank",  "reputation", "performance",
                                                    "price", "confidence", "id"};
      if (std::find(std::begin(kSorts), std::end(kSorts), value) == std::end(kSorts)) {
        return Status::InvalidArgument(
            "parameter \"sort\": one of rank, reputation, performance, price, confidence, id");
      }
      f.sort = value;
    } else if (name == "order") {
      if (value != "asc" && value != "desc") {
        return Status::InvalidArgument("parameter \"order\": asc or desc");
      }
      f.descending = value == "desc";
    } else if (name == "limit") {
      auto v = ParseInt(name, value, 1, limits.max_page_size);
      if (!v.ok()) return v.status();
      f.limit = v.value();
    } else if (name == "offset") {
      auto v = ParseInt(name, value, 0, 1 << 30);
      if (!v.ok()) return v.status();
      f.offset = v.value();
    } else {
      return Status::InvalidArgument("unknown parameter \"" + name + "\"");
    }
  }
  if (!params.count("order") && f.sort != "rank" && f.sort != "price" && f.sort != "id") {
    f.descending = true;  // scores: best first unless asked otherwise
  }
  return f;
}

std::string ProvidersJson(const analytics::Scoreboard& board, const ProviderFilter& filter) {
  auto selected = Select(board, filter);
  Json list = Json::array();
  for (size_t i = static_cast<size_t>(filter.offset);
       i < selected.size() && list.size() < static_cast<size_t>(filter.limit); ++i) {
    list.push_back(Summary(*selected[i]));
  }
  Json out{{"total", selected.size()},
           {"offset", filter.offset},
           {"limit", filter.limit},
           {"providers", std::move(list)}};
  return out.dump();
}

Result<std::string> ProviderJson(const analytics::Scoreboard& board, std::string_view id,
                                 const Config& config) {
  const ProviderScore* p = nullptr;
  for (const auto& candidate : board.providers) {
    if (candidate.facts.id == id) p = &candidate;
  }
  if (p == nullptr) return Status::NotFound("unknown provider \"" + std::string(id) + "\"");
  Json out = Summary(*p);
  if (!p->performance.score) {
    out["reason"] = "too little data to score: confidence 0 (needs " +
                    std::to_string(config.confidence.min_samples) + " window slots with up data)";
  }
  const Medians medians = NetworkMedians(board);
  Json components = Json::array();
  for (int c = 0; c < kPerfComponentCount; ++c) {
    auto pc = static_cast<PerfComponent>(c);
    components.push_back({{"component", PerfComponentName(pc)},
                          {"weight", config.performance.weights[c]},
                          {"value", Number(p->performance.components[c])},
                          {"reason", Reason(pc, *p, medians, config)}});
  }
  out["components"] = std::move(components);
  Json criteria = Json::array();
  for (int c = 0; c < kRepCriterionCount; ++c) {
    criteria.push_back({{"criterion", RepCriterionName(static_cast<RepCriterion>(c))},
                        {"weight", config.reputation.weights[c]},
                        {"value", Number(p->reputation.criteria[c])}});
  }
  out["criteria"] = std::move(criteria);
  out["raw_reputation"] = Number(p->raw_reputation);
  const auto& r = p->statistics.reliability;
  out["reliability"] = {{"uptime_ratio", Number(r.uptime_ratio)},
                        {"outages", r.failures},
                        {"mtbf_seconds", Number(r.mtbf_seconds)},
                        {"mttr_seconds", Number(r.mttr_seconds)}};
  Json anomalies = Json::array();
  for (int s = 0; s < analytics::kStatSignalCount; ++s) {
    const auto& st = p->statistics.signals[s];
    if (st.anomalous)
      anomalies.push_back(analytics::StatSignalName(static_cast<analytics::StatSignal>(s)));
  }
  out["anomalous_signals"] = std::move(anomalies);
  return out.dump();
}

namespace {
// RFC 4180 quoting for fields that need it.
std::string Csv(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string RankingsCsv(const analytics::Scoreboard& board, const ProviderFilter& filter) {
  std::string out =
      "rank,provider,region,gpu_model,tier,reputation,performance,percentile,confidence\n";
  auto selected = Select(board, filter);
  int written = 0;
  for (size_t i = static_cast<size_t>(filter.offset); i < selected.size() && written < filter.limit;
       ++i, ++written) {
    const ProviderScore& p = *selected[i];
    char line[2048];
    std::snprintf(line, sizeof line, "%d,%s,%s,%s,%s,%.3f,%.3f,%.1f,%.3f\n", p.rank.value_or(0),
                  Csv(p.facts.id).c_str(), Csv(Attribute(p.facts, "region")).c_str(),
                  Csv(Attribute(p.facts, "gpu_model")).c_str(),
                  std::string(analytics::TierName(*p.tier_level)).c_str(), *p.reputation.score,
                  p.performance.score.value_or(0), p.percentile.value_or(0),
                  p.performance.confidence);
    out += line;
  }
  return out;
}

}  // namespace depin::api
