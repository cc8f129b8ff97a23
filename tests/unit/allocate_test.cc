#include "api/allocate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace depin::api {
namespace {

analytics::ProviderScore Provider(const std::string& id, double reputation, double free,
                                  double price = 1.0) {
  analytics::ProviderScore p;
  p.facts.id = id;
  p.facts.attributes = {{"gpu_model", "A100"}, {"region", "eu"}};
  p.facts.gpus_total = free;
  p.facts.gpus_allocated = 0;
  p.facts.price = price;
  p.facts.uptime = 1;
  p.reputation.score = reputation;
  p.performance.score = reputation;
  p.performance.confidence = 1;
  p.tier_level = 4;
  p.rank = 1;
  return p;
}

AllocationJob Job(const std::string& id, int gpus) {
  AllocationJob j;
  j.id = id;
  j.spec.gpus = gpus;
  return j;
}

TEST(Allocate, FindsTheOptimumWhereGreedyFails) {
  analytics::Scoreboard board;
  board.providers = {Provider("a", 100, 4)};
  // Greedy by size takes j1 (3 GPU-hours); the optimum packs j2 + j3 (4).
  auto r = Allocate(board, {Job("j1", 3), Job("j2", 2), Job("j3", 2)}, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->solver_status, "optimal");
  EXPECT_DOUBLE_EQ(r->objective, 4.0);
  ASSERT_EQ(r->assignments.size(), 2u);
  EXPECT_EQ(r->unassigned.size(), 1u);
  EXPECT_EQ(r->unassigned[0].first, "j1");
}

TEST(Allocate, SpreadsOverProvidersByValue) {
  analytics::Scoreboard board;
  board.providers = {Provider("good", 100, 3), Provider("fair", 60, 2)};
  auto r = Allocate(board, {Job("big", 3), Job("small", 2)}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->objective, 3 * 1.0 + 2 * 0.6, 1e-9);
  std::map<std::string, std::string> where;
  for (const auto& a : r->assignments) where[a.job] = a.provider;
  EXPECT_EQ(where["big"], "good");
  EXPECT_EQ(where["small"], "fair");
}

TEST(Allocate, RespectsBudgetsAndExplainsTheUnassigned) {
  analytics::Scoreboard board;
  board.providers = {Provider("pricey", 100, 8, 10.0)};
  auto job = Job("cheap", 2);
  job.spec.budget_per_hour = 5;
  auto r = Allocate(board, {job}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->assignments.empty());
  ASSERT_EQ(r->unassigned.size(), 1u);
  EXPECT_EQ(r->unassigned[0].second, "no provider fits the job");
}

TEST(AllocationRequest, ParsesStrictly) {
  AllocationLimits limits;
  auto jobs = ParseAllocationRequest(R"({"jobs": [{"id": "a", "gpus": 2}, {"id": "b"}]})", limits);
  ASSERT_TRUE(jobs.ok()) << jobs.status().message();
  EXPECT_EQ(jobs->size(), 2u);
  EXPECT_FALSE(ParseAllocationRequest(R"({"jobs": [{"id": "a"}, {"id": "a"}]})", limits).ok());
  EXPECT_FALSE(ParseAllocationRequest(R"({"jobs": [{"gpus": 1}]})", limits).ok());
  EXPECT_FALSE(ParseAllocationRequest(R"({"jobs": []})", limits).ok());
  EXPECT_FALSE(ParseAllocationRequest(R"({"jobs": [{"id": "a", "gpus": 0}]})", limits).ok());
  EXPECT_FALSE(ParseAllocationRequest(R"({"jobs": [], "extra": 1})", limits).ok());
  limits.max_jobs = 1;
  EXPECT_EQ(
      ParseAllocationRequest(R"({"jobs": [{"id": "a"}, {"id": "b"}]})", limits).status().code(),
      Status::Code::kTooLarge);
}

TEST(Allocate, EveryJobPlacedWhenCapacitySuffices) {
  // 30 jobs over 60 providers; the solve time per size is in bench/allocate_bench.cc.
  analytics::Scoreboard board;
  for (int p = 0; p < 60; ++p) {
    board.providers.push_back(Provider("p" + std::to_string(p), 50 + p % 50, 1 + p % 8));
  }
  std::vector<AllocationJob> jobs;
  for (int j = 0; j < 30; ++j) jobs.push_back(Job("j" + std::to_string(j), 1 + j % 4));
  auto r = Allocate(board, jobs, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->solver_status, "optimal");
  EXPECT_EQ(r->assignments.size(), 30u);
  auto json = nlohmann::json::parse(AllocationJson(r.value()));
  EXPECT_EQ(json["assignments"].size(), 30u);
}

}  // namespace
}  // namespace depin::api
