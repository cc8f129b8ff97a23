#include "api/recommend.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "api/providers.h"
#include "api/wording.h"

namespace depin::api {
namespace {

using analytics::ProviderScore;
using Json = nlohmann::json;

Status Field(const std::string& name, const std::string& what) {
  return Status::InvalidArgument("field \"" + name + "\": " + what);
}

}  // namespace

Result<JobSpec> ParseJobSpec(std::string_view text, const RecommendLimits& limits) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("body is not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument("body must be a JSON object (the job spec)");
  JobSpec job;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (k == "gpus") {
      if (!v.is_number_integer()) return Field(k, "must be an integer");
      auto n = v.get<int64_t>();
      if (n < 1 || n > limits.max_gpus) {
        return Field(k, "must be between 1 and " + std::to_string(limits.max_gpus));
      }
      job.gpus = static_cast<int>(n);
    } else if (k == "gpu_model") {
      if (!v.is_string()) return Field(k, "must be a string");
      job.gpu_model = v.get<std::string>();
    } else if (k == "memory_gb") {
      if (!v.is_number() || v.get<double>() <= 0) return Field(k, "must be a positive number");
      job.memory_gb = v.get<double>();
    } else if (k == "regions") {
      if (!v.is_array()) return Field(k, "must be a list of region names");
      for (const auto& r : v) {
        if (!r.is_string()) return Field(k, "must be a list of region names");
        job.regions.push_back(r.get<std::string>());
      }
    } else if (k == "regions_required") {
      if (!v.is_boolean()) return Field(k, "must be true or false");
      job.regions_required = v.get<bool>();
    } else if (k == "duration_hours") {
      if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > limits.max_duration_hours) {
        return Field(k, "must be a positive number of hours up to " +
                            FormatNumber("%g", limits.max_duration_hours));
      }
      job.duration_hours = v.get<double>();
    } else if (k == "budget_per_hour") {
      if (!v.is_number() || v.get<double>() < 0) return Field(k, "must be a number >= 0");
      job.budget_per_hour = v.get<double>();
    } else if (k == "min_tier") {
      if (!v.is_string()) return Field(k, "must be a tier name");
      bool found = false;
      for (int t = 0; t < analytics::kTierCount; ++t) {
        if (analytics::TierName(t) == v.get<std::string>()) {
          job.min_tier = t;
          found = true;
        }
      }
      if (!found) return Field(k, "one of basic, bronze, silver, gold, platinum");
    } else if (k == "sla_target_seconds") {
      if (!v.is_number() || v.get<double>() <= 0) return Field(k, "must be a positive number");
      job.sla_target_seconds = v.get<double>();
    } else if (k == "limit") {
      if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > limits.max_results) {
        return Field(k, "must be an integer between 1 and " + std::to_string(limits.max_results));
      }
      job.limit = static_cast<int>(v.get<int64_t>());
    } else {
      return Status::InvalidArgument("unknown field \"" + k + "\"");
    }
  }
  return job;
}

double CompletionProbability(const ProviderScore& p, double hours) {
  const double success = 1.0 - FailureRatio(p.facts).value_or(0.0);
  double survive = p.facts.uptime.value_or(1.0);
  if (auto mtbf = p.statistics.reliability.mtbf_seconds)
    survive = std::exp(-hours * 3600.0 / *mtbf);
  return std::clamp(success * survive, 0.0, 1.0);
}

std::string ExclusionReason(const ProviderScore& p, const JobSpec& job) {
  const auto& f = p.facts;
  std::string why;
  if (!p.reputation.score || !p.tier_level) {
    why = "not scored yet (too little data)";
  } else if (*p.tier_level < job.min_tier) {
    why = "tier below " + std::string(analytics::TierName(job.min_tier));
  } else if (job.gpu_model && Attribute(f, "gpu_model") != *job.gpu_model) {
    why = "other GPU model";
  } else if (!FreeGpus(f) || *FreeGpus(f) < job.gpus) {
    why = "not enough free GPUs";
  } else if (job.memory_gb &&
             (!f.memory_total_bytes || *f.memory_total_bytes < *job.memory_gb * 1e9)) {
    why = "not enough host memory";
  } else if (job.budget_per_hour && (!f.price || *f.price * job.gpus > *job.budget_per_hour)) {
    why = "over budget";
  } else if (job.regions_required && !job.regions.empty() &&
             std::find(job.regions.begin(), job.regions.end(), Attribute(f, "region")) ==
                 job.regions.end()) {
    why = "outside the required regions";
  }
  return why;
}

RecommendResult Recommend(const analytics::Scoreboard& board, const JobSpec& job) {
  RecommendResult out;
  std::map<std::string, int> excluded;
  for (const auto& p : board.providers) {
    const std::string why = ExclusionReason(p, job);
    if (!why.empty()) {
      ++excluded[why];
      continue;
    }
    const auto& f = p.facts;
    Recommendation r;
    r.provider = f.id;
    r.completion_probability = CompletionProbability(p, job.duration_hours);
    r.confidence = p.performance.confidence;
    r.expected_cost = f.price.value_or(0) * job.gpus * job.duration_hours;
    double preference = 1.0;
    auto region = std::find(job.regions.begin(), job.regions.end(), Attribute(f, "region"));
    if (!job.regions.empty()) {
      preference = region == job.regions.end()
                       ? 0.8
                       : 1.0 - 0.05 * static_cast<double>(region - job.regions.begin());
    }
    r.score = *p.reputation.score * r.completion_probability * preference;
    r.reasons.push_back("tier " + std::string(analytics::TierName(*p.tier_level)) +
                        ", reputation " + FormatNumber("%.1f", *p.reputation.score) + " (rank " +
                        std::to_string(p.rank.value_or(0)) + ")");
    r.reasons.push_back(FormatNumber("%.0f free GPUs", *FreeGpus(f)) + " of " +
                        FormatNumber("%.0f", f.gpus_total.value_or(0)));
    if (auto fr = FailureRatio(f)) r.reasons.push_back("failure ratio " + Percent(*fr));
    if (f.price) r.reasons.push_back(FormatNumber("$%.2f per GPU-hour", *f.price));
    if (!job.regions.empty() && region != job.regions.end()) {
      r.reasons.push_back("in preferred region " + *region);
    }
    for (int s = 0; s < analytics::kStatSignalCount; ++s) {
      const auto& st = p.statistics.signals[s];
      const auto name =
          std::string(analytics::StatSignalName(static_cast<analytics::StatSignal>(s)));
      if (st.anomalous) r.warnings.push_back("anomalous " + name + " in the newest step");
      if (st.direction == analytics::TrendDirection::kDeclining)
        r.warnings.push_back(name + " declining");
    }
    if (p.penalty_points > 0)
      r.warnings.push_back(FormatNumber("penalised (%.1f points)", p.penalty_points));
    if (r.confidence < 0.5)
      r.warnings.push_back(FormatNumber("low confidence (%.2f)", r.confidence));
    if (job.sla_target_seconds) {
      for (const auto& [q, v] : p.statistics.duration_quantiles) {
        if (q >= 0.95 && v > *job.sla_target_seconds) {
          r.warnings.push_back(FormatNumber("p95 job duration %.0fs exceeds the SLA target", v));
          break;
        }
      }
    }
    out.recommendations.push_back(std::move(r));
  }
  std::stable_sort(
      out.recommendations.begin(), out.recommendations.end(),
      [](const Recommendation& a, const Recommendation& b) { return a.score > b.score; });
  if (out.recommendations.size() > static_cast<size_t>(job.limit)) {
    out.recommendations.resize(static_cast<size_t>(job.limit));
  }
  out.excluded.assign(excluded.begin(), excluded.end());
  return out;
}

std::string RecommendationsJson(const RecommendResult& result, const JobSpec& job) {
  Json list = Json::array();
  for (const auto& r : result.recommendations) {
    list.push_back({{"provider", r.provider},
                    {"score", r.score},
                    {"expected_cost", r.expected_cost},
                    {"completion_probability", r.completion_probability},
                    {"confidence", r.confidence},
                    {"reasons", r.reasons},
                    {"warnings", r.warnings}});
  }
  Json excluded = Json::object();
  for (const auto& [why, n] : result.excluded) excluded[why] = n;
  Json out{{"recommendations", std::move(list)}, {"excluded", std::move(excluded)}};
  if (result.recommendations.empty()) {
    std::string why = "no provider fits a job of " + std::to_string(job.gpus) + " GPU(s)";
    if (!result.excluded.empty()) {
      auto top = std::max_element(result.excluded.begin(), result.excluded.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
      why += "; most were excluded as \"" + top->first + "\" (" + std::to_string(top->second) + ")";
    }
    out["explanation"] = why;
  }
  return out.dump();
}

}  // namespace depin::api
