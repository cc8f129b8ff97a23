// Job recommendations (DESIGN §9): which providers fit a job, ranked, with
// expected cost, completion probability, confidence, reasons and warnings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/scoreboard.h"
#include "common/status.h"

namespace depin::api {

struct JobSpec {
  int gpus = 1;
  std::optional<std::string> gpu_model;
  std::optional<double> memory_gb;   // host memory the job needs
  std::vector<std::string> regions;  // preferred, best first; empty = any
  bool regions_required = false;     // only the preferred regions
  double duration_hours = 1;
  std::optional<double> budget_per_hour;  // for all the job's GPUs
  int min_tier = 0;
  std::optional<double> sla_target_seconds;
  int limit = 5;
};

struct RecommendLimits {
  int max_gpus = 1024;
  double max_duration_hours = 24 * 365;
  int max_results = 100;
};

// Parses a JSON job spec. Unknown fields, wrong types and impossible values
// (0 GPUs, negative budget, unknown tier) are errors naming the field.
Result<JobSpec> ParseJobSpec(std::string_view json, const RecommendLimits& limits);

struct Recommendation {
  std::string provider;
  double score = 0;  // ordering key: reputation x completion probability x region preference
  double expected_cost = 0;
  double completion_probability = 0;
  double confidence = 0;
  std::vector<std::string> reasons;
  std::vector<std::string> warnings;
};

struct RecommendResult {
  std::vector<Recommendation> recommendations;
  std::vector<std::pair<std::string, int>> excluded;  // reason -> providers excluded for it
};

RecommendResult Recommend(const analytics::Scoreboard& board, const JobSpec& job);

// Why the provider cannot take the job ("over budget", ...); empty when it can.
std::string ExclusionReason(const analytics::ProviderScore& p, const JobSpec& job);

// {"recommendations": [...], "excluded": {...}, "explanation": "..."}; the
// explanation says why nothing fits when the list is empty.
std::string RecommendationsJson(const RecommendResult& result, const JobSpec& job);

// Expected probability that a job of `hours` completes on the provider:
// (1 - failure ratio) x the chance of no outage during the job, from MTBF
// (exp(-hours/MTBF)), or the uptime ratio when no failure was seen.
double CompletionProbability(const analytics::ProviderScore& p, double hours);

}  // namespace depin::api
