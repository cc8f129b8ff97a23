#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "analytics/network.h"
#include "analytics/reliability.h"
#include "analytics/signal_stats.h"
#include "analytics/slo.h"
#include "analytics/statistics.h"

namespace depin::analytics {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

windows::HistogramView Hist(std::vector<double> bounds, std::vector<double> buckets) {
  windows::HistogramView h;
  h.upper_bounds = std::move(bounds);
  h.buckets = std::move(buckets);
  h.count = h.buckets.back();
  return h;
}

windows::ScalarView Scalar(std::vector<double> sum, std::vector<double> count) {
  return windows::ScalarView{std::move(sum), std::move(count)};
}

TEST(HistogramQuantile, MatchesPrometheusSemantics) {
  // Buckets: le=1: 10, le=2: 20, le=4: 30, +Inf: 40 (cumulative).
  auto h = Hist({1, 2, 4, kInf}, {10, 20, 30, 40});
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.5, h), 2.0);    // rank 20: top of bucket le=2
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.125, h), 0.5);  // rank 5: half of [0, 1]
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.625, h), 3.0);  // rank 25: half of [2, 4]
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.9, h), 4.0);    // in +Inf: the highest finite bound
  EXPECT_EQ(*HistogramQuantile(-0.1, h), -kInf);
  EXPECT_EQ(*HistogramQuantile(1.1, h), kInf);
  EXPECT_FALSE(HistogramQuantile(0.5, Hist({1, 2}, {1, 2})).has_value());  // no +Inf
  EXPECT_FALSE(HistogramQuantile(0.5, Hist({1, kInf}, {0, 0})).has_value());
  // Non-monotonic counts are made monotonic, as Prometheus does.
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.5, Hist({1, 2, kInf}, {10, 8, 20})), 1.0);
  // A first bucket with a negative bound is returned as is.
  EXPECT_DOUBLE_EQ(*HistogramQuantile(0.1, Hist({-1, 1, kInf}, {5, 10, 10})), -1.0);
}

TEST(Trend, SlopeAndR2OfALine) {
  SlotSeries s{{1, 2, 3, 4, 5, 6}, {true, true, true, true, true, true}};
  auto t = FitTrend(s, 10.0, 3);
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(t->slope_per_second, 0.1, 1e-12);
  EXPECT_NEAR(t->r2, 1.0, 1e-12);
  s.present[2] = false;
  s.value[2] = 1000;  // ignored where absent
  EXPECT_NEAR(FitTrend(s, 10.0, 3)->slope_per_second, 0.1, 1e-12);
  EXPECT_FALSE(FitTrend(s, 10.0, 6).has_value());
  SlotSeries flat{{5, 5, 5, 5}, {true, true, true, true}};
  EXPECT_DOUBLE_EQ(FitTrend(flat, 1.0, 2)->r2, 0.0);
}

TEST(Trend, Classification) {
  StatisticsConfig c;
  LinearTrend rising{0.001, 0.9};
  // 0.001/s over 100 s on a level of 1: +10%, beyond the 5% threshold.
  EXPECT_EQ(ClassifyTrend(rising, 1.0, 100, true, c), TrendDirection::kImproving);
  EXPECT_EQ(ClassifyTrend(rising, 1.0, 100, false, c), TrendDirection::kDeclining);
  EXPECT_EQ(ClassifyTrend(rising, 10.0, 100, true, c), TrendDirection::kStable);       // +1%
  EXPECT_EQ(ClassifyTrend({0.001, 0.1}, 1.0, 100, true, c), TrendDirection::kStable);  // noisy
}

TEST(Anomaly, ZScoreAndMad) {
  SlotSeries s{{10, 11, 9, 10, 11, 9, 10, 30}, std::vector<uint8_t>(8, 1)};
  auto z = AnomalyScore(s, AnomalyMethod::kZScore, 5);
  ASSERT_TRUE(z.has_value());
  // Baseline mean 10, sample stddev sqrt(4/6).
  EXPECT_NEAR(*z, 20.0 / std::sqrt(4.0 / 6.0), 1e-9);
  auto mad = AnomalyScore(s, AnomalyMethod::kMedianMad, 5);
  // Median 10, MAD 1 -> sigma 1/0.6745.
  EXPECT_NEAR(*mad, 20.0 * 0.6745, 1e-9);
  EXPECT_FALSE(AnomalyScore(s, AnomalyMethod::kZScore, 8).has_value());
  SlotSeries flat{{3, 3, 3, 3}, std::vector<uint8_t>(4, 1)};
  EXPECT_DOUBLE_EQ(*AnomalyScore(flat, AnomalyMethod::kZScore, 2), 0.0);
  flat.value[3] = 4;
  EXPECT_GT(*AnomalyScore(flat, AnomalyMethod::kZScore, 2), 1e6);
}

TEST(Anomaly, EndLeavesTheNewestSlotsOutAndAbsentSlotsDoNotCount) {
  // The spike sits in the last slot, which `end` leaves out: slot 6 (10) is
  // scored against slots 0..5, slot 2's absent 1000 is not part of them.
  SlotSeries s{{10, 11, 1000, 10, 11, 9, 10, 30}, {1, 1, 0, 1, 1, 1, 1, 1}};
  auto z = AnomalyScore(s, AnomalyMethod::kZScore, 5, /*end=*/7);
  ASSERT_TRUE(z.has_value());
  // Baseline {10, 11, 10, 11, 9}: mean 10.2, sample variance 0.7.
  EXPECT_NEAR(*z, 0.2 / std::sqrt(0.7), 1e-9);
  auto mad = AnomalyScore(s, AnomalyMethod::kMedianMad, 5, 7);
  // Median 10, deviations {0, 1, 0, 1, 1}: MAD 1.
  EXPECT_NEAR(*mad, 0.0, 1e-12);
  EXPECT_FALSE(AnomalyScore(s, AnomalyMethod::kZScore, 6, 7).has_value());
  EXPECT_FALSE(AnomalyScore(s, AnomalyMethod::kZScore, 2, 0).has_value());
}

TEST(Reliability, MtbfAndMttr) {
  // 10 s slots: up up down down up up up down up (one slot without data).
  auto up = Scalar({1, 1, 0, 0, 1, 0, 1, 1, 0, 1}, {1, 1, 1, 1, 1, 0, 1, 1, 1, 1});
  Reliability r = ComputeReliability(up, 10'000);
  EXPECT_EQ(r.failures, 2);
  EXPECT_EQ(r.recoveries, 2);
  EXPECT_DOUBLE_EQ(*r.uptime_ratio, 6.0 / 9.0);
  EXPECT_DOUBLE_EQ(*r.mtbf_seconds, 60.0 / 2);
  EXPECT_DOUBLE_EQ(*r.mttr_seconds, (20.0 + 10.0) / 2);
  Reliability steady = ComputeReliability(Scalar({1, 1}, {1, 1}), 10'000);
  EXPECT_FALSE(steady.mtbf_seconds.has_value());
  EXPECT_DOUBLE_EQ(*steady.uptime_ratio, 1.0);
}

TEST(Slo, BurnRatesOverTrailingWindows) {
  auto completed = Scalar({90, 90, 90, 99}, {1, 1, 1, 1});
  auto failed = Scalar({10, 10, 10, 1}, {1, 1, 1, 1});
  auto rates = ComputeBurnRates(completed, failed, 60'000, 0.99, {60'000, 240'000, 300'000});
  ASSERT_EQ(rates.size(), 3u);
  EXPECT_NEAR(*rates[0].rate, 1.0, 1e-9);  // 1% failures on a 1% budget
  EXPECT_NEAR(*rates[1].rate, (31.0 / 400.0) / 0.01, 1e-9);
  EXPECT_FALSE(rates[2].rate.has_value());  // longer than the window: not extrapolated
}

TEST(Cost, PerDollarAndPerJob) {
  ProviderFacts f;
  f.price = 2.0;
  f.gpus_allocated = 4;
  f.jobs_completed = 16;
  CostFigures c = ComputeCost(f, 80.0, 3600);
  EXPECT_DOUBLE_EQ(*c.score_per_dollar, 40.0);
  EXPECT_DOUBLE_EQ(*c.cost_per_job, 2.0 * 4 * 1 / 16);
  f.price.reset();
  EXPECT_FALSE(ComputeCost(f, 80.0, 3600).score_per_dollar.has_value());
}

TEST(Saturation, CounterBusyShareInfersDeviceCount) {
  // Four CPUs scraped once per 10 s slot: 4 idle increases per up sample.
  auto idle = Scalar({30, 30}, {4, 4});
  auto up = Scalar({1, 1}, {1, 1});
  EXPECT_DOUBLE_EQ(*CounterBusyShare(idle, up, 10'000), 0.75);  // 75% idle
}

TEST(Bottleneck, SaturatedAndSufferingOnly) {
  StatisticsConfig c;
  std::vector<ProviderFacts> facts(3);
  for (auto& f : facts) f.jobs_completed = 95;
  facts[0].jobs_failed = 20;  // worse than the median
  facts[1].jobs_failed = 1;
  facts[2].jobs_failed = 2;
  std::vector<ProviderStatistics> stats(4);
  stats[0].saturation = {0.95, 0.3, std::nullopt, std::nullopt, 0.1};
  stats[1].saturation = {0.97, 0.3, std::nullopt, std::nullopt, 0.1};  // busy but healthy
  stats[2].saturation = {0.2, 0.3, std::nullopt, std::nullopt, 0.1};
  stats[3].saturation = {0.96, 0.3, std::nullopt, std::nullopt, 0.1};  // busy, a bit worse
  stats[0].recent_failure_ratio = 0.20;  // well above the median and material
  stats[1].recent_failure_ratio = 0.01;
  stats[2].recent_failure_ratio = 0.02;
  stats[3].recent_failure_ratio = 0.04;  // above 1.5 x the median, but not material
  facts.emplace_back();
  MarkBottlenecks(facts, &stats, c, /*material_failure_ratio=*/0.1);
  EXPECT_EQ(stats[0].bottleneck, Resource::kGpu);
  EXPECT_FALSE(stats[1].bottleneck.has_value());
  EXPECT_FALSE(stats[2].bottleneck.has_value());
  EXPECT_FALSE(stats[3].bottleneck.has_value());
}

}  // namespace
}  // namespace depin::analytics

namespace depin::analytics {
namespace {

ProviderFacts Member(const std::string& region, const std::string& model, double latest_up,
                     double total, double allocated) {
  ProviderFacts f;
  f.attributes = {{"gpu_model", model}, {"region", region}};
  f.latest_up = latest_up;
  f.gpus_total = total;
  f.gpus_allocated = allocated;
  return f;
}

TEST(Network, GroupsCapacityAndCorrelatedFailures) {
  NetworkConfig c;  // min 2 providers, ratio 0.5
  std::vector<ProviderFacts> facts = {Member("eu", "A100", 0, 8, 4), Member("eu", "H100", 0, 8, 8),
                                      Member("eu", "A100", 1, 8, 0), Member("us", "A100", 0, 4, 1),
                                      Member("us", "A100", 1, 4, 3), ProviderFacts{}};
  NetworkFigures n = ComputeNetwork(facts, c);
  ASSERT_EQ(n.regions.size(), 3u);
  EXPECT_EQ(n.regions[0].name, "eu");
  EXPECT_EQ(n.regions[0].providers, 3);
  EXPECT_EQ(n.regions[0].down, 2);
  EXPECT_DOUBLE_EQ(n.regions[0].gpus_allocated / n.regions[0].gpus_total, 0.5);
  EXPECT_TRUE(n.regions[0].correlated_failure);
  EXPECT_EQ(n.regions[1].name, "unknown");
  EXPECT_EQ(n.regions[2].name, "us");
  EXPECT_FALSE(n.regions[2].correlated_failure);  // only one of two down
  ASSERT_EQ(n.gpu_models.size(), 3u);
  EXPECT_EQ(n.gpu_models[0].name, "A100");
  EXPECT_DOUBLE_EQ(n.gpu_models[0].gpus_total, 24);
}

}  // namespace
}  // namespace depin::analytics

#include "analytics/long_range.h"

namespace depin::analytics {
namespace {

TEST(DecayingRegression, FitsALineAndForgetsTheOldPast) {
  DecayingRegression r(3600);  // tau 1h
  for (int i = 0; i < 100; ++i) r.Add(i * 60.0, 5.0 + 0.01 * i * 60.0);
  auto t = r.Trend(10);
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(t->slope_per_second, 0.01, 1e-9);  // weights do not bias an exact line
  EXPECT_NEAR(t->r2, 1.0, 1e-9);
  EXPECT_NEAR(r.SpanSeconds(), 99 * 60.0, 1e-9);
  // A falling segment long ago, then 10 tau of a flat level: the fall is forgotten.
  DecayingRegression f(600);
  for (int i = 0; i < 60; ++i) f.Add(i * 10.0, 100.0 - i);
  for (int i = 60; i < 660; ++i) f.Add(i * 10.0, 40.0);
  EXPECT_NEAR(f.Trend(10)->slope_per_second, 0.0, 1e-3);
  EXPECT_FALSE(DecayingRegression(60).Trend(2).has_value());
}

TEST(UsageProfile, PeakAndLowHoursOfDayAndWeek) {
  UsageProfile u(3'600'000);
  const int64_t monday = 1'700'438'400'000;  // 2023-11-20 00:00 UTC, a Monday
  for (int day = 0; day < 7; ++day) {
    for (int h = 0; h < 24; ++h) {
      const double load = (h == 14 ? 95.0 : h == 4 ? 5.0 : 50.0) + (day == 2 && h == 14 ? 4 : 0);
      u.Add(monday + (day * 24 + h) * 3'600'000LL, load);
    }
  }
  auto d = u.Find(UsageProfile::Period::kDay);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->peak, 14);
  EXPECT_EQ(d->low, 4);
  EXPECT_NEAR(d->peak_mean, 95.0 + 4.0 / 7, 1e-9);
  EXPECT_GT(d->peak_stddev, 0);
  auto w = u.Find(UsageProfile::Period::kWeek);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->peak, 2 * 24 + 14);  // Wednesday 14:00
  UsageProfile sparse(3'600'000);
  sparse.Add(monday, 1);
  EXPECT_FALSE(sparse.Find(UsageProfile::Period::kDay).has_value());
}

TEST(LongRangeTracker, FeedsEachCompletedSlotOnce) {
  StatisticsConfig c;
  c.trend_min_points = 3;
  LongRangeTracker tracker(c);
  std::array<StatSeries, kStatSignalCount> series;
  for (auto& s : series) s.slots = SlotSeries{{1, 2, 3, 4, 5}, std::vector<uint8_t>(5, 1)};
  const int64_t slot_ms = 10'000, now = 1'700'000'000'000;
  auto first = tracker.Feed("p", series, slot_ms, now);
  ASSERT_TRUE(first.trends[0].has_value());  // four completed slots: 1, 2, 3, 4
  EXPECT_NEAR(first.trends[0]->slope_per_second, 0.1, 1e-6);
  // The same window again one slot later: only the new completed slot is added.
  for (auto& s : series) s.slots = SlotSeries{{2, 3, 4, 5, 6}, std::vector<uint8_t>(5, 1)};
  auto second = tracker.Feed("p", series, slot_ms, now + slot_ms);
  EXPECT_NEAR(second.trends[0]->slope_per_second, 0.1, 1e-6);
  tracker.Sweep();
  tracker.Sweep();  // not fed in between: dropped, so its history is gone
  for (auto& s : series) s.slots = SlotSeries{{9, 9, 9, 9, 9}, std::vector<uint8_t>(5, 1)};
  auto fresh = tracker.Feed("p", series, slot_ms, now + 2 * slot_ms);
  ASSERT_TRUE(fresh.trends[0].has_value());
  EXPECT_NEAR(fresh.trends[0]->slope_per_second, 0.0, 1e-12);  // only the flat 9s
}

}  // namespace
}  // namespace depin::analytics

namespace depin::analytics {
namespace {

TEST(AnomalyCounter, CountsEpisodesNotEvaluations) {
  AnomalyCounter counter;
  std::array<SignalStatistics, kStatSignalCount> s{};
  s[1].anomalous = true;
  EXPECT_EQ(counter.Update("p", s)[1], 1u);
  EXPECT_EQ(counter.Update("p", s)[1], 1u);  // still the same episode
  s[1].anomalous = false;
  EXPECT_EQ(counter.Update("p", s)[1], 1u);
  s[1].anomalous = true;
  auto total = counter.Update("p", s);
  EXPECT_EQ(total[1], 2u);
  EXPECT_EQ(total[0], 0u);
  EXPECT_EQ(counter.Update("q", s)[1], 1u);  // per provider
}

}  // namespace
}  // namespace depin::analytics
