// Batch allocation (DESIGN §9): assign jobs to providers to maximise the
// expected useful GPU-hours within capacities and budgets, as a 0-1 integer
// program solved by GLPK.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/scoreboard.h"
#include "api/recommend.h"
#include "common/status.h"

namespace depin::api {

struct AllocationJob {
  std::string id;
  JobSpec spec;
};

struct AllocationLimits {
  int max_jobs = 1000;
  int max_variables = 2'000'000;  // feasible job x provider pairs
  double time_limit_seconds = 5;
  RecommendLimits job_limits;
};

// {"jobs": [{"id": "...", <job spec fields>}, ...]}; ids unique and non-empty.
Result<std::vector<AllocationJob>> ParseAllocationRequest(std::string_view json,
                                                          const AllocationLimits& limits);

struct Assignment {
  std::string job;
  std::string provider;
  double value = 0;  // expected useful GPU-hours
  double expected_cost = 0;
};

struct AllocationResult {
  std::vector<Assignment> assignments;
  std::vector<std::pair<std::string, std::string>> unassigned;  // job, why
  double objective = 0;
  std::string solver_status;  // "optimal", "feasible (time limit)", ...
  int variables = 0;
};

// Value of job j on provider p: gpus x hours x reputation/100 x completion
// probability. Constraints: a job goes to at most one provider; a provider's
// assigned GPUs do not exceed its free GPUs. Pairs that break the job's
// tier, model, memory, region or budget requirements are not variables.
Result<AllocationResult> Allocate(const analytics::Scoreboard& board,
                                  const std::vector<AllocationJob>& jobs,
                                  const AllocationLimits& limits);

std::string AllocationJson(const AllocationResult& result);

}  // namespace depin::api
