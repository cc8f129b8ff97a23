#include "api/allocate.h"

#include <glpk.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "api/providers.h"

namespace depin::api {
namespace {

using Json = nlohmann::json;

struct Variable {
  size_t job;
  size_t provider;
  double value;
};

}  // namespace

Result<std::vector<AllocationJob>> ParseAllocationRequest(std::string_view text,
                                                          const AllocationLimits& limits) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("body is not valid JSON");
  if (!j.is_object() || !j.contains("jobs") || !j["jobs"].is_array() || j.size() != 1) {
    return Status::InvalidArgument("body must be {\"jobs\": [...]} and nothing else");
  }
  const Json& list = j["jobs"];
  if (list.empty()) return Status::InvalidArgument("field \"jobs\": empty");
  if (static_cast<int>(list.size()) > limits.max_jobs) {
    return Status::TooLarge("field \"jobs\": " + std::to_string(list.size()) +
                            " jobs exceed the limit of " + std::to_string(limits.max_jobs));
  }
  std::vector<AllocationJob> jobs;
  std::set<std::string> ids;
  for (size_t i = 0; i < list.size(); ++i) {
    Json spec = list[i];
    const std::string where = "jobs[" + std::to_string(i) + "]";
    if (!spec.is_object() || !spec.contains("id") || !spec["id"].is_string() ||
        spec["id"].get<std::string>().empty()) {
      return Status::InvalidArgument(where + ": needs a non-empty string \"id\"");
    }
    std::string id = spec["id"].get<std::string>();
    if (!ids.insert(id).second)
      return Status::InvalidArgument(where + ": duplicate id \"" + id + "\"");
    spec.erase("id");
    auto parsed = ParseJobSpec(spec.dump(), limits.job_limits);
    if (!parsed.ok()) return Status::InvalidArgument(where + ": " + parsed.status().message());
    jobs.push_back({std::move(id), std::move(parsed.value())});
  }
  return jobs;
}

Result<AllocationResult> Allocate(const analytics::Scoreboard& board,
                                  const std::vector<AllocationJob>& jobs,
                                  const AllocationLimits& limits) {
  std::vector<const analytics::ProviderScore*> providers;
  for (const auto& p : board.providers) {
    if (p.reputation.score && FreeGpus(p.facts).value_or(0) >= 1) providers.push_back(&p);
  }
  std::vector<Variable> vars;
  for (size_t j = 0; j < jobs.size(); ++j) {
    for (size_t p = 0; p < providers.size(); ++p) {
      if (!ExclusionReason(*providers[p], jobs[j].spec).empty()) continue;
      const JobSpec& spec = jobs[j].spec;
      const double value = spec.gpus * spec.duration_hours * *providers[p]->reputation.score /
                           100.0 * CompletionProbability(*providers[p], spec.duration_hours);
      vars.push_back({j, p, value});
      if (static_cast<int>(vars.size()) > limits.max_variables) {
        return Status::TooLarge("the batch has more than " + std::to_string(limits.max_variables) +
                                " feasible job-provider pairs");
      }
    }
  }
  AllocationResult result;
  result.variables = static_cast<int>(vars.size());
  std::vector<bool> assigned(jobs.size(), false);
  if (!vars.empty()) {
    std::unique_ptr<glp_prob, void (*)(glp_prob*)> lp(glp_create_prob(), glp_delete_prob);
    glp_set_obj_dir(lp.get(), GLP_MAX);
    // Rows: one per job (<= 1 provider), one per provider (<= free GPUs).
    glp_add_rows(lp.get(), static_cast<int>(jobs.size() + providers.size()));
    for (size_t j = 0; j < jobs.size(); ++j) {
      glp_set_row_bnds(lp.get(), static_cast<int>(j) + 1, GLP_UP, 0.0, 1.0);
    }
    for (size_t p = 0; p < providers.size(); ++p) {
      glp_set_row_bnds(lp.get(), static_cast<int>(jobs.size() + p) + 1, GLP_UP, 0.0,
                       *FreeGpus(providers[p]->facts));
    }
    glp_add_cols(lp.get(), static_cast<int>(vars.size()));
    std::vector<int> ia{0}, ja{0};
    std::vector<double> ar{0};
    for (size_t v = 0; v < vars.size(); ++v) {
      const int col = static_cast<int>(v) + 1;
      glp_set_col_kind(lp.get(), col, GLP_BV);
      glp_set_obj_coef(lp.get(), col, vars[v].value);
      ia.push_back(static_cast<int>(vars[v].job) + 1);
      ja.push_back(col);
      ar.push_back(1.0);
      ia.push_back(static_cast<int>(jobs.size() + vars[v].provider) + 1);
      ja.push_back(col);
      ar.push_back(jobs[vars[v].job].spec.gpus);
    }
    glp_load_matrix(lp.get(), static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
    glp_iocp params;
    glp_init_iocp(&params);
    params.presolve = GLP_ON;
    params.msg_lev = GLP_MSG_OFF;
    params.tm_lim = static_cast<int>(limits.time_limit_seconds * 1000);
    const int rc = glp_intopt(lp.get(), &params);
    const int status = glp_mip_status(lp.get());
    if (rc != 0 && rc != GLP_ETMLIM) {
      return Status::Internal("GLPK failed with code " + std::to_string(rc));
    }
    result.solver_status = status == GLP_OPT      ? "optimal"
                           : status == GLP_FEAS   ? "feasible (time limit)"
                           : status == GLP_NOFEAS ? "infeasible"
                                                  : "undefined";
    if (status == GLP_OPT || status == GLP_FEAS) {
      result.objective = glp_mip_obj_val(lp.get());
      for (size_t v = 0; v < vars.size(); ++v) {
        if (glp_mip_col_val(lp.get(), static_cast<int>(v) + 1) < 0.5) continue;
        const auto& job = jobs[vars[v].job];
        const auto& p = *providers[vars[v].provider];
        assigned[vars[v].job] = true;
        result.assignments.push_back(
            {job.id, p.facts.id, vars[v].value,
             p.facts.price.value_or(0) * job.spec.gpus * job.spec.duration_hours});
      }
    }
  } else {
    result.solver_status = "optimal";
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    if (assigned[j]) continue;
    bool eligible =
        std::any_of(vars.begin(), vars.end(), [j](const Variable& v) { return v.job == j; });
    result.unassigned.emplace_back(jobs[j].id, eligible ? "capacity went to jobs of higher value"
                                                        : "no provider fits the job");
  }
  return result;
}

std::string AllocationJson(const AllocationResult& r) {
  Json assignments = Json::array();
  for (const auto& a : r.assignments) {
    assignments.push_back({{"job", a.job},
                           {"provider", a.provider},
                           {"value", a.value},
                           {"expected_cost", a.expected_cost}});
  }
  Json unassigned = Json::array();
  for (const auto& [job, why] : r.unassigned) unassigned.push_back({{"job", job}, {"reason", why}});
  return Json{{"assignments", std::move(assignments)},
              {"unassigned", std::move(unassigned)},
              {"objective", r.objective},
              {"solver", {{"status", r.solver_status}, {"variables", r.variables}}}}
      .dump();
}

}  // namespace depin::api
