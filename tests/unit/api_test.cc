#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/providers.h"
#include "api/recommend.h"

namespace depin::api {
namespace {

using analytics::ProviderScore;
using Json = nlohmann::json;

ProviderScore Provider(const std::string& id, double reputation, int rank, int tier,
                       const std::string& region, const std::string& model, double price,
                       double free, double failed) {
  ProviderScore p;
  p.facts.id = id;
  p.facts.attributes = {{"gpu_model", model}, {"region", region}};
  p.facts.price = price;
  p.facts.gpus_total = 8;
  p.facts.gpus_allocated = 8 - free;
  p.facts.jobs_completed = 100 - failed;
  p.facts.jobs_failed = failed;
  p.facts.uptime = 1.0;
  p.facts.gpu_util = 70;
  p.facts.memory_total_bytes = 64e9;
  p.performance.score = reputation;
  p.performance.confidence = 0.9;
  p.performance.components[0] = 1 - failed / 100;
  p.reputation.score = reputation;
  p.raw_reputation = reputation;
  p.rank = rank;
  p.percentile = 50;
  p.tier_level = tier;
  return p;
}

analytics::Scoreboard Board() {
  analytics::Scoreboard b;
  b.providers = {Provider("a", 96, 1, 4, "eu", "H100", 3.0, 4, 1),
                 Provider("b", 80, 2, 2, "us", "A100", 1.5, 8, 5),
                 Provider("c", 60, 3, 0, "eu", "A100", 1.0, 1, 20)};
  ProviderScore unscored;
  unscored.facts.id = "new";
  b.providers.push_back(unscored);
  return b;
}

TEST(ProviderFilter, ParsesAndRejects) {
  ApiLimits limits;
  auto f = ParseProviderFilter({{"region", "eu"}, {"tier", "silver"}, {"limit", "2"}}, limits);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f->region, "eu");
  EXPECT_EQ(*f->min_tier, 2);
  EXPECT_EQ(f->limit, 2);
  EXPECT_NE(ParseProviderFilter({{"colour", "red"}}, limits).status().message().find("colour"),
            std::string::npos);
  EXPECT_FALSE(ParseProviderFilter({{"tier", "diamond"}}, limits).ok());
  EXPECT_FALSE(ParseProviderFilter({{"limit", "0"}}, limits).ok());
  EXPECT_FALSE(ParseProviderFilter({{"limit", "100000"}}, limits).ok());
  EXPECT_FALSE(ParseProviderFilter({{"min_score", "high"}}, limits).ok());
  EXPECT_FALSE(ParseProviderFilter({{"sort", "colour"}}, limits).ok());
  EXPECT_FALSE(ParseProviderFilter({{"region", "eu"}, {"region", "us"}}, limits).ok());
}

TEST(ProvidersJson, FiltersSortsAndPages) {
  auto board = Board();
  auto all = Json::parse(ProvidersJson(board, ProviderFilter{}));
  EXPECT_EQ(all["total"], 3);  // the unscored provider is not listed
  EXPECT_EQ(all["providers"][0]["id"], "a");
  auto eu = Json::parse(ProvidersJson(board, *ParseProviderFilter({{"region", "eu"}}, {})));
  EXPECT_EQ(eu["total"], 2);
  auto cheap = Json::parse(ProvidersJson(board, *ParseProviderFilter({{"sort", "price"}}, {})));
  EXPECT_EQ(cheap["providers"][0]["id"], "c");
  auto page = Json::parse(
      ProvidersJson(board, *ParseProviderFilter({{"limit", "1"}, {"offset", "1"}}, {})));
  ASSERT_EQ(page["providers"].size(), 1u);
  EXPECT_EQ(page["providers"][0]["id"], "b");
  auto top = Json::parse(ProvidersJson(board, *ParseProviderFilter({{"min_score", "70"}}, {})));
  EXPECT_EQ(top["total"], 2);
}

TEST(ProviderJson, BreakdownHasReasonsAgainstTheNetwork) {
  auto board = Board();
  auto json = ProviderJson(board, "c", DefaultConfig());
  ASSERT_TRUE(json.ok());
  auto j = Json::parse(json.value());
  ASSERT_EQ(j["components"].size(), 6u);
  EXPECT_EQ(j["components"][0]["component"], "completion_rate");
  EXPECT_DOUBLE_EQ(j["components"][0]["weight"], 0.25);
  const std::string reason = j["components"][0]["reason"];
  EXPECT_NE(reason.find("failure ratio 20.0%"), std::string::npos) << reason;
  EXPECT_NE(reason.find("network median 5.0%"), std::string::npos) << reason;
  EXPECT_EQ(ProviderJson(board, "nope", DefaultConfig()).status().code(), Status::Code::kNotFound);
  auto fresh = Json::parse(ProviderJson(board, "new", DefaultConfig()).value());
  EXPECT_NE(std::string(fresh["reason"]).find("too little data"), std::string::npos);
}

TEST(RankingsCsv, HeaderRowsAndQuoting) {
  auto board = Board();
  board.providers[0].facts.id = "a,\"x\"";
  std::string csv = RankingsCsv(board, ProviderFilter{});
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "rank,provider,region,gpu_model,tier,reputation,performance,percentile,confidence");
  EXPECT_NE(csv.find("1,\"a,\"\"x\"\"\",eu,H100,platinum,96.000"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);
}

TEST(JobSpec, ParsesStrictly) {
  RecommendLimits limits;
  auto job = ParseJobSpec(
      R"({"gpus": 2, "gpu_model": "A100", "regions": ["eu"], "duration_hours": 3,
          "budget_per_hour": 5, "min_tier": "silver", "memory_gb": 32})",
      limits);
  ASSERT_TRUE(job.ok()) << job.status().message();
  EXPECT_EQ(job->gpus, 2);
  EXPECT_EQ(job->min_tier, 2);
  EXPECT_NE(
      ParseJobSpec(R"({"gpus": 1, "colour": "red"})", limits).status().message().find("colour"),
      std::string::npos);
  EXPECT_FALSE(ParseJobSpec(R"({"gpus": 0})", limits).ok());
  EXPECT_FALSE(ParseJobSpec(R"({"gpus": 1.5})", limits).ok());
  EXPECT_FALSE(ParseJobSpec(R"({"gpus": 100000})", limits).ok());
  EXPECT_FALSE(ParseJobSpec(R"({"budget_per_hour": -1})", limits).ok());
  EXPECT_FALSE(ParseJobSpec(R"({"min_tier": "diamond"})", limits).ok());
  EXPECT_FALSE(ParseJobSpec(R"({"duration_hours": 0})", limits).ok());
  EXPECT_FALSE(ParseJobSpec("[1, 2]", limits).ok());
  EXPECT_FALSE(ParseJobSpec("{not json", limits).ok());
}

TEST(Recommend, FitsRanksAndExplains) {
  auto board = Board();
  JobSpec job;
  job.gpus = 2;
  job.regions = {"eu"};
  auto r = Recommend(board, job);
  ASSERT_EQ(r.recommendations.size(), 2u);  // c has only one free GPU
  EXPECT_EQ(r.recommendations[0].provider, "a");
  EXPECT_DOUBLE_EQ(r.recommendations[0].expected_cost, 3.0 * 2 * 1);
  EXPECT_NEAR(r.recommendations[0].completion_probability, 0.99, 1e-9);
  job.budget_per_hour = 4;  // a costs 6/h for 2 GPUs
  r = Recommend(board, job);
  ASSERT_EQ(r.recommendations.size(), 1u);
  EXPECT_EQ(r.recommendations[0].provider, "b");
  job.gpus = 9;  // nobody has 9 free GPUs
  r = Recommend(board, job);
  EXPECT_TRUE(r.recommendations.empty());
  auto j = Json::parse(RecommendationsJson(r, job));
  EXPECT_NE(std::string(j["explanation"]).find("not enough free GPUs"), std::string::npos);
}

TEST(Recommend, CompletionProbabilityUsesMtbf) {
  auto p = Provider("x", 90, 1, 3, "eu", "A100", 1, 8, 10);
  EXPECT_NEAR(CompletionProbability(p, 2), 0.9, 1e-9);
  p.statistics.reliability.mtbf_seconds = 7200;  // one failure per 2 h
  EXPECT_NEAR(CompletionProbability(p, 2), 0.9 * std::exp(-1.0), 1e-9);
}

}  // namespace
}  // namespace depin::api
