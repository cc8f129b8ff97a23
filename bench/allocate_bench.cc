// Batch allocation solve time (GLPK 0-1 program) by batch size.
#include <benchmark/benchmark.h>

#include "api/allocate.h"

namespace depin::api {
namespace {

analytics::Scoreboard Fleet(int providers) {
  analytics::Scoreboard board;
  for (int p = 0; p < providers; ++p) {
    analytics::ProviderScore s;
    s.facts.id = "p" + std::to_string(p);
    s.facts.attributes = {{"gpu_model", "A100"}, {"region", "eu"}};
    s.facts.gpus_total = 1 + p % 8;
    s.facts.gpus_allocated = 0;
    s.facts.price = 1.0 + (p % 7) * 0.25;
    s.facts.uptime = 1;
    s.reputation.score = 50 + p % 50;
    s.performance.score = s.reputation.score;
    s.tier_level = 2;
    s.rank = p + 1;
    board.providers.push_back(std::move(s));
  }
  return board;
}

void BM_Allocate(benchmark::State& state) {
  const int jobs_n = static_cast<int>(state.range(0));
  const int providers = static_cast<int>(state.range(1));
  auto board = Fleet(providers);
  std::vector<AllocationJob> jobs;
  for (int j = 0; j < jobs_n; ++j) {
    AllocationJob job;
    job.id = "j" + std::to_string(j);
    job.spec.gpus = 1 + j % 4;
    jobs.push_back(std::move(job));
  }
  AllocationLimits limits;
  limits.time_limit_seconds = 60;
  for (auto _ : state) {
    auto r = Allocate(board, jobs, limits);
    if (!r.ok() || r->solver_status != "optimal") state.SkipWithError("not solved to optimality");
    benchmark::DoNotOptimize(r);
  }
  state.counters["variables"] = static_cast<double>(jobs_n) * providers;
}

BENCHMARK(BM_Allocate)
    ->Args({10, 50})
    ->Args({50, 100})
    ->Args({100, 200})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace depin::api

BENCHMARK_MAIN();
