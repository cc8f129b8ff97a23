#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "analytics/facts.h"
#include "analytics/performance.h"
#include "analytics/reputation.h"
#include "analytics/scoreboard.h"
#include "analytics/tiers.h"

namespace depin::analytics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

windows::HistogramView Hist(std::vector<double> bounds, std::vector<double> buckets, double sum) {
  windows::HistogramView h;
  h.upper_bounds = std::move(bounds);
  h.buckets = std::move(buckets);
  h.count = h.buckets.back();
  h.sum = sum;
  return h;
}

TEST(Facts, FractionAtOrBelowInterpolatesLikeHistogramQuantile) {
  auto h = Hist({10, 20, kInf}, {4, 8, 10}, 100);
  EXPECT_DOUBLE_EQ(*FractionAtOrBelow(h, 10), 0.4);
  EXPECT_DOUBLE_EQ(*FractionAtOrBelow(h, 5), 0.2);  // half of the first bucket [0, 10]
  EXPECT_DOUBLE_EQ(*FractionAtOrBelow(h, 15), 0.6);
  EXPECT_DOUBLE_EQ(*FractionAtOrBelow(h, 1000), 0.8);  // beyond the last finite bound
  EXPECT_FALSE(FractionAtOrBelow(windows::HistogramView{}, 1).has_value());
}

windows::ProviderView View(const std::string& id, int slots, double up, double completed,
                           double failed) {
  windows::ProviderView v;
  v.id = id;
  v.slots = slots;
  v.step_ms = 10'000;
  auto fill = [slots](windows::ScalarView& s, double per_slot) {
    s.sum.assign(slots, per_slot);
    s.count.assign(slots, 1);
  };
  fill(v.scalars[Index(Signal::kUp)], up);
  fill(v.scalars[Index(Signal::kJobsCompleted)], completed / slots);
  fill(v.scalars[Index(Signal::kJobsFailed)], failed / slots);
  return v;
}

TEST(Facts, UptimeOutagesAndTotals) {
  auto v = View("p", 6, 1, 60, 6);
  auto& up = v.scalars[Index(Signal::kUp)];
  up.sum = {1, 0, 1, 1, 0, 0};
  up.count = {1, 1, 1, 1, 1, 0};  // last slot without data
  ProviderFacts f = ExtractFacts(v, DefaultConfig());
  EXPECT_EQ(f.up_slots, 5);
  EXPECT_DOUBLE_EQ(*f.uptime, 0.6);
  EXPECT_EQ(f.outages, 2);
  EXPECT_DOUBLE_EQ(f.jobs_completed, 60);
  EXPECT_DOUBLE_EQ(f.jobs_failed, 6);
}

TEST(Performance, EachComponentHasItsFormula) {
  Config c = DefaultConfig();
  ProviderFacts f;
  f.up_slots = 100;
  f.uptime = 0.9;
  f.jobs_completed = 95;
  f.jobs_failed = 5;
  f.gpu_util = 80;
  f.mean_response_s = 2.75;  // halfway between 0.5 s and 5 s
  f.sla_fraction = 0.7;
  PerformanceResult r = ScorePerformance(f, c);
  auto comp = [&](PerfComponent pc) { return *r.components[static_cast<int>(pc)]; };
  EXPECT_DOUBLE_EQ(comp(PerfComponent::kCompletionRate), 0.95);
  EXPECT_DOUBLE_EQ(comp(PerfComponent::kResourceEfficiency), 0.8);
  EXPECT_DOUBLE_EQ(comp(PerfComponent::kUptime), 0.9);
  EXPECT_DOUBLE_EQ(comp(PerfComponent::kResponseTime), 0.5);
  EXPECT_DOUBLE_EQ(comp(PerfComponent::kSlaCompliance), 0.7);
  EXPECT_NEAR(comp(PerfComponent::kErrorRate), 0.5, 1e-12);  // 5% of a 10% budget
  double expected =
      100 * (0.25 * 0.95 + 0.20 * 0.8 + 0.20 * 0.9 + 0.15 * 0.5 + 0.12 * 0.7 + 0.08 * 0.5);
  EXPECT_NEAR(*r.score, expected, 1e-9);
  EXPECT_DOUBLE_EQ(r.coverage, 1.0);
  EXPECT_DOUBLE_EQ(r.confidence, 1.0);
}

TEST(Performance, MissingComponentsRenormaliseAndTooLittleDataGivesNoScore) {
  Config c = DefaultConfig();
  ProviderFacts f;
  f.up_slots = 100;
  f.uptime = 1.0;
  f.jobs_completed = 10;
  f.jobs_failed = 0;
  PerformanceResult r = ScorePerformance(f, c);  // completion, uptime, error: 0.53 of the weight
  ASSERT_TRUE(r.score.has_value());
  EXPECT_NEAR(r.coverage, 0.53, 1e-12);
  EXPECT_DOUBLE_EQ(*r.score, 100);

  f.up_slots = c.confidence.min_samples - 1;
  r = ScorePerformance(f, c);
  EXPECT_FALSE(r.score.has_value());
  EXPECT_DOUBLE_EQ(r.confidence, 0);

  ProviderFacts only_up;
  only_up.up_slots = 100;
  only_up.uptime = 1;
  only_up.jobs_completed = 2;  // below min_jobs: no job-based components
  r = ScorePerformance(only_up, c);
  EXPECT_FALSE(r.score.has_value());  // 0.20 of the weight < min_weight 0.5
  EXPECT_DOUBLE_EQ(r.confidence, 0);
}

TEST(Performance, LinearScoreClamps) {
  EXPECT_DOUBLE_EQ(LinearScore(0.1, 0.5, 5), 1.0);
  EXPECT_DOUBLE_EQ(LinearScore(9, 0.5, 5), 0.0);
}

TEST(Reputation, PercentileRanksAndTies) {
  auto p = PercentileRanks({3.0, 1.0, std::nullopt, 2.0, 2.0}, true);
  EXPECT_DOUBLE_EQ(*p[0], 1.0);
  EXPECT_DOUBLE_EQ(*p[1], 0.0);
  EXPECT_FALSE(p[2].has_value());
  EXPECT_DOUBLE_EQ(*p[3], 0.5);  // beats one, ties one: (1 + 0.5) / 3
  auto lower = PercentileRanks({3.0, 1.0}, false);
  EXPECT_DOUBLE_EQ(*lower[1], 1.0);
  EXPECT_DOUBLE_EQ(*PercentileRanks({5.0}, true)[0], 1.0);
}

TEST(Reputation, PercentileRanksTreatRoundingNoiseAsATie) {
  // 30.520074696545283 and ...29 are one figure summed in two orders.
  auto p = PercentileRanks({30.520074696545283, 30.52007469654529, 10.0}, true);
  EXPECT_DOUBLE_EQ(*p[0], *p[1]);
  EXPECT_DOUBLE_EQ(*p[0], 0.75);  // beats one, ties one: (1 + 0.5) / 2
  // A real difference, however small in absolute terms, still counts.
  auto q = PercentileRanks({1e-6, 1.001e-6}, true);
  EXPECT_DOUBLE_EQ(*q[1], 1.0);
}

TEST(Reputation, RanksAreStableUnderTies) {
  auto r = RankDescending({50.0, 70.0, std::nullopt, 70.0}, {"c", "b", "x", "a"});
  EXPECT_EQ(*r[3], 1);  // "a" before "b" at equal score
  EXPECT_EQ(*r[1], 2);
  EXPECT_EQ(*r[0], 3);
  EXPECT_FALSE(r[2].has_value());
}

TEST(Reputation, CriteriaFollowTheirDefinitions) {
  ProviderFacts a, b;
  a.uptime = b.uptime = 1.0;
  a.recent_uptime = b.recent_uptime = 1.0;
  a.outages = 2;
  a.price = 1.0;
  b.price = 4.0;
  a.gpus_total = 8;
  a.gpus_allocated = 4;
  a.mean_job_duration_s = 100;
  b.mean_job_duration_s = 300;
  PerformanceResult pa, pb;
  pa.score = 80;
  pb.score = 80;
  auto rep = ScoreReputation({a, b}, {pa, pb}, DefaultConfig().reputation);
  auto crit = [&](int i, RepCriterion c) { return *rep[i].criteria[static_cast<int>(c)]; };
  EXPECT_DOUBLE_EQ(crit(0, RepCriterion::kPerformance), 0.8);
  EXPECT_DOUBLE_EQ(crit(0, RepCriterion::kReliability), 0.8);  // two outages at 0.1 each
  EXPECT_DOUBLE_EQ(crit(1, RepCriterion::kReliability), 1.0);
  EXPECT_DOUBLE_EQ(crit(0, RepCriterion::kCost), 1.0);  // same performance, cheaper
  EXPECT_DOUBLE_EQ(crit(1, RepCriterion::kCost), 0.0);
  EXPECT_DOUBLE_EQ(crit(0, RepCriterion::kAvailability), 0.75);  // half the GPUs free
  EXPECT_DOUBLE_EQ(crit(0, RepCriterion::kSpeed), 1.0);
  EXPECT_DOUBLE_EQ(crit(1, RepCriterion::kSpeed), 0.0);
  double expected_a = 100 * (0.30 * 0.8 + 0.25 * 0.8 + 0.20 * 1 + 0.15 * 0.75 + 0.10 * 1);
  EXPECT_NEAR(*rep[0].score, expected_a, 1e-9);
}

TEST(Tiers, ThresholdsAndHysteresis) {
  TierConfig t;  // 65/75/85/95, hysteresis 2
  EXPECT_EQ(NextTierLevel(std::nullopt, 96, t), 4);
  EXPECT_EQ(NextTierLevel(std::nullopt, 85, t), 3);
  EXPECT_EQ(NextTierLevel(std::nullopt, 10, t), 0);
  EXPECT_EQ(NextTierLevel(4, 93.5, t), 4);  // inside the margin: stays platinum
  EXPECT_EQ(NextTierLevel(4, 92.9, t), 3);
  EXPECT_EQ(NextTierLevel(4, 60, t), 0);  // a big fall goes all the way
  EXPECT_EQ(NextTierLevel(2, 85, t), 3);  // promotion at the threshold
  EXPECT_EQ(NextTierLevel(3, 74, t), 2);  // below gold-2 but within silver's margin
  TierTracker tracker(t);
  EXPECT_EQ(tracker.Update("p", 95.5), 4);
  EXPECT_EQ(tracker.Update("p", 94.0), 4);
  EXPECT_EQ(tracker.Update("p", 95.2), 4);
  EXPECT_EQ(tracker.Update("p", 92.0), 3);
  EXPECT_EQ(tracker.Update("p", 94.9), 3);
  EXPECT_EQ(TierName(4), "platinum");
}

TEST(Scoreboard, OrdersProvidersAndLeavesThinOnesUnscored) {
  Config c = DefaultConfig();
  std::vector<windows::ProviderView> views = {
      View("good", 20, 1.0, 100, 1), View("bad", 20, 0.7, 60, 40), View("new", 2, 1.0, 10, 0)};
  AnalyticsState state(c);
  Scoreboard board = ComputeScoreboard(views, c, 1'700'000'000'000, state);
  ASSERT_EQ(board.providers.size(), 3u);
  const auto& bad = board.providers[0];
  const auto& good = board.providers[1];
  const auto& fresh = board.providers[2];
  EXPECT_EQ(good.facts.id, "good");
  EXPECT_EQ(*good.rank, 1);
  EXPECT_EQ(*bad.rank, 2);
  EXPECT_DOUBLE_EQ(*good.percentile, 100);
  EXPECT_DOUBLE_EQ(*bad.percentile, 0);
  EXPECT_GT(*good.reputation.score, *bad.reputation.score);
  EXPECT_FALSE(fresh.reputation.score.has_value());
  EXPECT_FALSE(fresh.rank.has_value());
  EXPECT_DOUBLE_EQ(fresh.performance.confidence, 0);
  EXPECT_EQ(board.scored, 2);
}

}  // namespace
}  // namespace depin::analytics

namespace depin::analytics {
namespace {

TEST(Penalties, TransitionsAddPointsThatDecay) {
  PenaltyConfig c;  // outage 5, sla 3, burst 5, half-life 6h
  PenaltyTracker t(c);
  AuditLog audit(10);
  const int64_t t0 = 1'700'000'000'000;
  EXPECT_DOUBLE_EQ(t.Update("p", {1.0, 0.95, false, 0.01}, t0, audit), 0);
  EXPECT_DOUBLE_EQ(t.Update("p", {0.0, 0.95, false, 0.01}, t0 + 1000, audit), 5);  // outage starts
  EXPECT_NEAR(t.Update("p", {0.0, 0.95, false, 0.01}, t0 + 2000, audit), 5,
              1e-3);  // still down: once
  // An anomalous but immaterial failure ratio (2%) is not a burst.
  EXPECT_NEAR(t.Update("p", {1.0, 0.95, true, 0.02}, t0 + 3000, audit), 5, 1e-3);
  EXPECT_EQ(t.Fired("p")[2], 0u);
  t.Update("p", {1.0, 0.95, false, 0.02}, t0 + 4000, audit);
  // Six hours later half of it is left; then an SLA breach and a failure burst.
  double points = t.Update("p", {1.0, 0.5, true, 0.25}, t0 + 4000 + c.half_life_ms, audit);
  EXPECT_NEAR(points, 2.5 + 3 + 5, 1e-3);
  EXPECT_EQ(t.Fired("p")[0], 1u);
  EXPECT_EQ(t.Fired("p")[1], 1u);
  EXPECT_EQ(t.Fired("p")[2], 1u);
  auto records = audit.Records("p");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].rule, "outage");
  EXPECT_EQ(records[0].kind, "penalty");
  EXPECT_DOUBLE_EQ(records[0].after, 5);
  EXPECT_EQ(records[1].rule, "sla_breach");
  EXPECT_NE(records[1].inputs.find("sla_fraction=0.5"), std::string::npos);
}

TEST(AuditLog, IsBounded) {
  AuditLog log(2);
  for (int i = 0; i < 5; ++i) log.Append({i, "p" + std::to_string(i % 2), "tier", "r", 0, 1, ""});
  EXPECT_EQ(log.appended(), 5u);
  auto all = log.Records();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].timestamp_ms, 3);
  EXPECT_EQ(log.Records("p0").size(), 1u);
}

TEST(Scoreboard, PenaltiesLowerTheRankedScoreAndTierChangesAreAudited) {
  Config c = DefaultConfig();
  AnalyticsState state(c);
  std::vector<windows::ProviderView> views = {View("a", 20, 1.0, 100, 1),
                                              View("b", 20, 1.0, 100, 1)};
  const int64_t t0 = 1'700'000'000'000;
  Scoreboard first = ComputeScoreboard(views, c, t0, state);
  const double healthy = *first.providers[0].reputation.score;
  // "a" goes down in its newest slot: an outage penalty comes off its score.
  auto& up = views[0].scalars[Index(Signal::kUp)];
  up.sum.back() = 0;
  Scoreboard second = ComputeScoreboard(views, c, t0 + 15'000, state);
  const auto& a = second.providers[0];
  EXPECT_NEAR(a.penalty_points, c.penalties.outage_points, 1e-3);
  EXPECT_NEAR(*a.reputation.score, *a.raw_reputation - a.penalty_points, 1e-9);
  EXPECT_LT(*a.reputation.score, healthy);
  EXPECT_EQ(*a.rank, 2);
  EXPECT_EQ(a.penalties_fired[0], 1u);
  bool penalty_recorded = false;
  for (const auto& r : state.audit.Records("a")) penalty_recorded |= (r.kind == "penalty");
  EXPECT_TRUE(penalty_recorded);
}

}  // namespace
}  // namespace depin::analytics

namespace depin::analytics {
namespace {

TEST(Confidence, GapsInTheDataLowerIt) {
  auto view = View("p", 24, 1.0, 100, 1);
  auto steady = ScorePerformance(ExtractFacts(view, DefaultConfig()), DefaultConfig());
  auto& up = view.scalars[Index(Signal::kUp)];
  for (size_t i = 0; i < up.count.size(); i += 2) up.count[i] = 0;  // every other slot missing
  up.count[0] = 1;
  auto facts = ExtractFacts(view, DefaultConfig());
  EXPECT_EQ(facts.up_span_slots, 24);
  auto gappy = ScorePerformance(facts, DefaultConfig());
  ASSERT_TRUE(gappy.score.has_value());
  EXPECT_NEAR(gappy.confidence, steady.confidence * facts.up_slots / 24.0, 1e-9);
  EXPECT_LT(gappy.confidence, steady.confidence);
}

}  // namespace
}  // namespace depin::analytics
