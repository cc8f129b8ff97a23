// The fleet simulator's model: ground truth must be exact and monotone in
// quality, counters must behave like real counters, pages must be valid.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "simulator/exposition.h"
#include "simulator/fleet.h"

namespace depin::sim {
namespace {

Fleet MakeFleet(FleetConfig config) {
  auto fleet = Fleet::Create(std::move(config));
  EXPECT_TRUE(fleet.ok()) << fleet.status().message();
  return std::move(fleet.value());
}

FleetConfig Spread(int n, double job_rate = 1.0) {
  FleetConfig c;
  c.job_rate = job_rate;
  c.providers = GenerateProviders(n, 1.0, 0.0);
  return c;
}

// Every counter-like value of a provider, flattened, for monotonicity checks.
std::vector<double> CounterValues(const ProviderState& s) {
  std::vector<double> v = {static_cast<double>(s.jobs_completed),
                           s.job_duration.sum,
                           static_cast<double>(s.job_duration.count),
                           s.response.sum,
                           static_cast<double>(s.response.count),
                           s.network_receive_bytes,
                           s.disk_io_time_seconds};
  for (auto f : s.jobs_failed) v.push_back(static_cast<double>(f));
  for (auto c : s.job_duration.counts) v.push_back(static_cast<double>(c));
  for (auto c : s.response.counts) v.push_back(static_cast<double>(c));
  for (const auto& cpu : s.cpu_seconds) v.insert(v.end(), cpu.begin(), cpu.end());
  return v;
}

struct Line {
  std::string name;
  std::string labels;
  double value = 0;
};

// Sample lines of an exposition page (comments skipped).
std::vector<Line> Samples(const std::string& page) {
  std::vector<Line> out;
  std::istringstream in(page);
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty() || text[0] == '#') continue;
    Line l;
    auto brace = text.find('{');
    auto space = text.rfind(' ');
    l.name = text.substr(0, std::min(brace, space));
    if (brace != std::string::npos) l.labels = text.substr(brace, text.rfind('}') - brace + 1);
    l.value = std::stod(text.substr(space + 1));
    out.push_back(l);
  }
  return out;
}

double Observed(const ProviderState& s) {
  const double failed = static_cast<double>(s.jobs_failed_total());
  return failed / (failed + static_cast<double>(s.jobs_completed));
}

TEST(SimulatorParams, MonotoneInQuality) {
  Params prev = DeriveParams(0.0, 8);
  for (int k = 1; k <= 100; ++k) {
    Params p = DeriveParams(k / 100.0, 8);
    EXPECT_LT(p.failure_ratio, prev.failure_ratio);
    EXPECT_LT(p.mean_response_s, prev.mean_response_s);
    EXPECT_LT(p.mean_job_duration_s, prev.mean_job_duration_s);
    EXPECT_GT(p.gpu_util_percent, prev.gpu_util_percent);
    EXPECT_LE(p.price_per_gpu_hour, prev.price_per_gpu_hour);
    EXPECT_LE(p.outage_ratio, prev.outage_ratio);      // uptime not worse
    EXPECT_LE(p.gpus_allocated, prev.gpus_allocated);  // spare capacity not worse
    EXPECT_GE(p.failure_ratio, 0);
    EXPECT_LE(p.gpu_util_percent, 100);
    prev = p;
  }
  EXPECT_EQ(DeriveParams(0.7, 8).outage_ratio, 0.0);
  EXPECT_GT(DeriveParams(0.5, 8).outage_ratio, 0.0);
}

TEST(SimulatorParams, OverridesWinOverFormulas) {
  Overrides o;
  o.price = 3.1;
  o.failure_ratio = 0.5;
  Params p = DeriveParams(0.9, 8, o);
  EXPECT_DOUBLE_EQ(p.price_per_gpu_hour, 3.1);
  EXPECT_DOUBLE_EQ(p.failure_ratio, 0.5);
  EXPECT_DOUBLE_EQ(p.mean_response_s, DeriveParams(0.9, 8).mean_response_s);
}

// Failures accumulate as expected values: after n jobs the failed count is
// within half a job of failure_ratio * n, whatever the quality.
TEST(SimulatorFleet, FailedCountWithinHalfAJobOfExpected) {
  Fleet fleet = MakeFleet(Spread(11));
  for (int64_t t = 10'000; t <= 120'000; t += 10'000) {
    fleet.AdvanceTo(t);
    for (size_t i = 0; i < fleet.size(); ++i) {
      const ProviderState& s = fleet.state(i);
      const double n = static_cast<double>(s.jobs_completed + s.jobs_failed_total());
      const double expected = fleet.ParamsAt(i, t).failure_ratio * n;
      EXPECT_LE(std::abs(static_cast<double>(s.jobs_failed_total()) - expected), 0.5 + 1e-9)
          << fleet.spec(i).id << " t=" << t;
    }
  }
}

// At the ranking fleet's job rate a minute is enough for 1 percentage point.
TEST(SimulatorFleet, FailureRatioWithinOnePointAfterOneMinute) {
  FleetConfig c;
  c.job_rate = 2.0;
  c.providers = GenerateProviders(12, 0.97, 0.30);
  Fleet fleet = MakeFleet(c);
  fleet.AdvanceTo(60'000);
  for (size_t i = 0; i < fleet.size(); ++i) {
    EXPECT_NEAR(Observed(fleet.state(i)), fleet.ParamsAt(i, 60'000).failure_ratio, 0.01)
        << fleet.spec(i).id;
  }
}

TEST(SimulatorFleet, JobsFinishAtJobRateWhileUp) {
  FleetConfig c = Spread(5, 2.5);
  Fleet fleet = MakeFleet(c);
  std::vector<int> up_seconds(fleet.size());
  for (int t = 0; t < 120; ++t) {
    for (size_t i = 0; i < fleet.size(); ++i) up_seconds[i] += fleet.IsUpAt(i, t * 1000) ? 1 : 0;
  }
  fleet.AdvanceTo(120'000);
  for (size_t i = 0; i < fleet.size(); ++i) {
    const ProviderState& s = fleet.state(i);
    const double jobs = static_cast<double>(s.jobs_completed + s.jobs_failed_total());
    EXPECT_NEAR(jobs, 2.5 * up_seconds[i], 1.0) << fleet.spec(i).id;
    EXPECT_EQ(s.response.count, s.jobs_completed + s.jobs_failed_total());
    EXPECT_EQ(s.job_duration.count, s.jobs_completed);
  }
}

TEST(SimulatorFleet, FailureReasonsFollowTheirMix) {
  FleetConfig c = Spread(1, 10.0);
  c.providers[0].quality = 0.0;  // failure ratio 0.26
  Fleet fleet = MakeFleet(c);
  fleet.AdvanceTo(600'000);
  const ProviderState& s = fleet.state(0);
  const double failed = static_cast<double>(s.jobs_failed_total());
  ASSERT_GT(failed, 100);
  const double expect[] = {0.40, 0.25, 0.20, 0.15};
  for (size_t r = 0; r < kFailureReasons.size(); ++r) {
    EXPECT_NEAR(static_cast<double>(s.jobs_failed[r]) / failed, expect[r], 0.01)
        << kFailureReasons[r];
  }
}

TEST(SimulatorFleet, CountersNeverDecrease) {
  FleetConfig c = Spread(4, 3.0);
  c.providers[1].degrade = {{50'000, 0.1}, {100'000, 0.9}};
  Fleet fleet = MakeFleet(c);
  std::vector<std::vector<double>> prev(fleet.size());
  for (size_t i = 0; i < fleet.size(); ++i) prev[i] = CounterValues(fleet.state(i));
  for (int64_t t = 700; t <= 200'000; t += 700) {
    fleet.AdvanceTo(t);
    for (size_t i = 0; i < fleet.size(); ++i) {
      std::vector<double> now = CounterValues(fleet.state(i));
      for (size_t k = 0; k < now.size(); ++k)
        ASSERT_GE(now[k], prev[i][k]) << "value " << k << " t=" << t;
      prev[i] = now;
    }
  }
}

TEST(SimulatorFleet, StateDependsOnlyOnSimulatedSecond) {
  Fleet a = MakeFleet(Spread(3));
  Fleet b = MakeFleet(Spread(3));
  a.AdvanceTo(90'500);
  for (int64_t t = 333; t <= 90'500; t += 333) b.AdvanceTo(t);
  b.AdvanceTo(90'500);
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(RenderProviderMetrics(a, i), RenderProviderMetrics(b, i));
}

TEST(SimulatorFleet, SeedChangesDrawsNotCounts) {
  FleetConfig c1 = Spread(2), c2 = Spread(2);
  c2.seed = 7;
  Fleet a = MakeFleet(c1), b = MakeFleet(c2);
  a.AdvanceTo(60'000);
  b.AdvanceTo(60'000);
  EXPECT_EQ(a.state(0).jobs_completed, b.state(0).jobs_completed);
  EXPECT_NE(a.state(0).job_duration.sum, b.state(0).job_duration.sum);
}

TEST(SimulatorFleet, OutageScheduleMatchesTruthUptime) {
  FleetConfig c = Spread(8);
  c.outage_period_ms = 30'000;
  Fleet fleet = MakeFleet(c);
  for (size_t i = 0; i < fleet.size(); ++i) {
    const Params p = fleet.ParamsAt(i, 0);
    int up = 0;
    const int period = static_cast<int>(c.outage_period_ms);
    for (int t = 0; t < period; ++t) up += fleet.IsUpAt(i, 5 * period + t) ? 1 : 0;
    EXPECT_NEAR(static_cast<double>(up) / period, 1.0 - p.outage_ratio, 1e-3) << fleet.spec(i).id;
    if (p.quality >= 0.6) {
      EXPECT_EQ(up, period);
    }
  }
}

TEST(SimulatorFleet, CountersStandStillDuringOutage) {
  FleetConfig c = Spread(1, 2.0);
  c.providers[0].quality = 0.3;
  Fleet fleet = MakeFleet(c);
  int64_t down_at = -1;
  for (int64_t t = 1000; t < 60'000 && down_at < 0; t += 1000) {
    if (!fleet.IsUpAt(0, t) && !fleet.IsUpAt(0, t + 1000)) down_at = t;
  }
  ASSERT_GE(down_at, 0);
  fleet.AdvanceTo(down_at);
  const auto before = CounterValues(fleet.state(0));
  fleet.AdvanceTo(down_at + 2000);  // steps the two down seconds
  EXPECT_EQ(CounterValues(fleet.state(0)), before);
}

TEST(SimulatorFleet, DegradeChangesQualityFromItsTime) {
  FleetConfig c = Spread(2, 5.0);
  c.providers[0].degrade = {{120'000, 0.2}};
  c.providers[1].quality = 0.5;
  Fleet fleet = MakeFleet(c);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 119'999), 1.0);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 120'000), 0.2);
  fleet.AdvanceTo(120'000);
  const ProviderState before = fleet.state(0);
  fleet.AdvanceTo(300'000);
  const ProviderState& after = fleet.state(0);
  const double failed = static_cast<double>(after.jobs_failed_total() - before.jobs_failed_total());
  const double done = static_cast<double>(after.jobs_completed - before.jobs_completed);
  EXPECT_NEAR(failed / (failed + done), DeriveParams(0.2, 8).failure_ratio, 0.01);
  EXPECT_EQ(fleet.OrderAt(0)[0], 0u);
  EXPECT_EQ(fleet.OrderAt(300'000)[0], 1u);
}

TEST(SimulatorFleet, DegradeRampIsLinearFromTheQualityInEffect) {
  FleetConfig c = Spread(1, 5.0);
  c.providers[0].quality = 0.9;
  // Listed out of order on purpose: the fleet sorts them.
  c.providers[0].degrade = {{200'000, 0.5, 0}, {60'000, 0.3, 120'000}};
  Fleet fleet = MakeFleet(c);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 59'999), 0.9);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 60'000), 0.9);
  EXPECT_NEAR(fleet.QualityAt(0, 120'000), 0.6, 1e-12);  // half way
  EXPECT_NEAR(fleet.QualityAt(0, 150'000), 0.45, 1e-12);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 180'000), 0.3);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 199'999), 0.3);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 200'000), 0.5);
  // Monotone along the ramp, so every derived parameter moves steadily.
  for (int64_t t = 60'000; t < 180'000; t += 1000) {
    EXPECT_GT(fleet.QualityAt(0, t), fleet.QualityAt(0, t + 1000)) << t;
  }
  // A ramp that starts while an earlier one runs starts from where it is.
  FleetConfig c2 = Spread(1);
  c2.providers[0].quality = 1.0;
  c2.providers[0].degrade = {{0, 0.0, 100'000}, {50'000, 1.0, 50'000}};
  Fleet f2 = MakeFleet(c2);
  EXPECT_NEAR(f2.QualityAt(0, 50'000), 0.5, 1e-12);
  EXPECT_NEAR(f2.QualityAt(0, 75'000), 0.75, 1e-12);
  EXPECT_DOUBLE_EQ(f2.QualityAt(0, 100'000), 1.0);
}

TEST(SimulatorFleet, SeasonMovesGpuUtilAndAllocationAsASine) {
  FleetConfig c = Spread(1);
  c.providers[0].quality = 0.6;  // util 73%, allocated 0.52
  c.providers[0].season = Season{20, 60'000, 0};
  Fleet fleet = MakeFleet(c);
  const Params base = DeriveParams(0.6, 8);
  EXPECT_NEAR(fleet.ParamsAt(0, 0).gpu_util_percent, base.gpu_util_percent, 1e-9);
  EXPECT_NEAR(fleet.ParamsAt(0, 15'000).gpu_util_percent, base.gpu_util_percent + 20, 1e-9);
  EXPECT_NEAR(fleet.ParamsAt(0, 45'000).gpu_util_percent, base.gpu_util_percent - 20, 1e-9);
  EXPECT_NEAR(fleet.ParamsAt(0, 15'000).allocated_ratio, base.allocated_ratio + 0.2, 1e-9);
  EXPECT_EQ(fleet.ParamsAt(0, 15'000).gpus_allocated, 6);  // round(8 x 0.72)
  EXPECT_EQ(fleet.ParamsAt(0, 45'000).gpus_allocated, 3);  // round(8 x 0.32)
  // Quality, failures and the ranking are untouched by the season.
  EXPECT_DOUBLE_EQ(fleet.ParamsAt(0, 15'000).failure_ratio, base.failure_ratio);
  EXPECT_DOUBLE_EQ(fleet.QualityAt(0, 15'000), 0.6);
  // Over whole periods the exposed utilisation averages to the base.
  double sum = 0;
  int n = 0;
  for (int64_t t = 1000; t <= 120'000; t += 1000) {
    fleet.AdvanceTo(t);
    double util = 0;
    for (const auto& g : fleet.state(0).gpus) util += g.util_percent;
    sum += util / static_cast<double>(fleet.state(0).gpus.size());
    ++n;
  }
  EXPECT_NEAR(sum / n, base.gpu_util_percent, 0.5);
  // Clamped to 0..100.
  c.providers[0].season = Season{100, 60'000, 0};
  Fleet loud = MakeFleet(c);
  EXPECT_DOUBLE_EQ(loud.ParamsAt(0, 15'000).gpu_util_percent, 100);
  EXPECT_DOUBLE_EQ(loud.ParamsAt(0, 45'000).gpu_util_percent, 0);
}

TEST(SimulatorFleet, FlakyReplacesTheOutageScheduleFromItsTime) {
  FleetConfig c = Spread(2, 2.0);
  c.providers[0].quality = 0.9;
  c.providers[0].flaky = Flaky{60'000, 0.3, 20'000};
  c.providers[1].quality = 0.9;
  Fleet fleet = MakeFleet(c);
  for (int64_t t = 0; t < 60'000; t += 100) ASSERT_TRUE(fleet.IsUpAt(0, t)) << t;
  // First outage starts at `at` and lasts 6 s of every 20 s.
  EXPECT_FALSE(fleet.IsUpAt(0, 60'000));
  EXPECT_FALSE(fleet.IsUpAt(0, 65'999));
  EXPECT_TRUE(fleet.IsUpAt(0, 66'000));
  EXPECT_FALSE(fleet.IsUpAt(0, 80'000));
  int up = 0;
  for (int64_t t = 60'000; t < 160'000; ++t) up += fleet.IsUpAt(0, t) ? 1 : 0;
  EXPECT_EQ(up, 70'000);
  for (int64_t t = 0; t < 160'000; t += 100) ASSERT_TRUE(fleet.IsUpAt(1, t)) << t;
  const Fleet::OutageSchedule s = fleet.ScheduleAt(0, 61'000);
  EXPECT_EQ(s.period_ms, 20'000);
  EXPECT_EQ(s.offset_ms, 60'000);
  EXPECT_EQ(s.down_ms, 6'000);
  EXPECT_DOUBLE_EQ(fleet.ParamsAt(0, 61'000).outage_ratio, 0.3);
  EXPECT_DOUBLE_EQ(fleet.ParamsAt(0, 59'000).outage_ratio, 0.0);
  // While down the machine is off: no jobs.
  fleet.AdvanceTo(60'000);
  const uint64_t before = fleet.state(0).jobs_completed + fleet.state(0).jobs_failed_total();
  fleet.AdvanceTo(66'000);
  EXPECT_EQ(fleet.state(0).jobs_completed + fleet.state(0).jobs_failed_total(), before);
}

TEST(SimulatorFleet, BottleneckPinsGpuAndRaisesFailuresAndLatency) {
  FleetConfig c = Spread(1, 10.0);
  c.providers[0].quality = 0.9;
  c.providers[0].bottleneck = Bottleneck{60'000, 99, 0.2, 4};
  Fleet fleet = MakeFleet(c);
  const Params before = fleet.ParamsAt(0, 59'999);
  const Params after = fleet.ParamsAt(0, 60'000);
  EXPECT_DOUBLE_EQ(before.gpu_util_percent, DeriveParams(0.9, 8).gpu_util_percent);
  EXPECT_DOUBLE_EQ(after.gpu_util_percent, 99);
  EXPECT_DOUBLE_EQ(after.failure_ratio, 0.2);
  EXPECT_DOUBLE_EQ(after.mean_response_s, 4);
  EXPECT_DOUBLE_EQ(after.quality, 0.9);  // the ranking's truth does not move
  fleet.AdvanceTo(60'000);
  const ProviderState s0 = fleet.state(0);
  fleet.AdvanceTo(180'000);
  const ProviderState& s1 = fleet.state(0);
  const double failed = static_cast<double>(s1.jobs_failed_total() - s0.jobs_failed_total());
  const double done = static_cast<double>(s1.jobs_completed - s0.jobs_completed);
  EXPECT_NEAR(failed / (failed + done), 0.2, 0.005);
  const double mean_response = (s1.response.sum - s0.response.sum) /
                               static_cast<double>(s1.response.count - s0.response.count);
  EXPECT_NEAR(mean_response, 4.0, 0.2);
  double util = 0;
  for (const auto& g : s1.gpus) util += g.util_percent;
  EXPECT_GT(util / static_cast<double>(s1.gpus.size()), 96);
}

TEST(SimulatorFleet, RegionalOutageTakesDownEveryProviderOfTheRegion) {
  FleetConfig c = Spread(6, 2.0);
  for (auto& p : c.providers) p.quality = 0.9;  // no planned outages
  c.outages = {{"us-east", 30'000, 20'000}};
  Fleet fleet = MakeFleet(c);
  for (size_t i = 0; i < fleet.size(); ++i) {
    const bool in_region = fleet.spec(i).region == "us-east";
    EXPECT_TRUE(fleet.IsUpAt(i, 29'999)) << i;
    EXPECT_EQ(fleet.IsUpAt(i, 30'000), !in_region) << i;
    EXPECT_EQ(fleet.IsUpAt(i, 49'999), !in_region) << i;
    EXPECT_TRUE(fleet.IsUpAt(i, 50'000)) << i;
    EXPECT_EQ(fleet.RegionalOutageAt(i, 40'000) != nullptr, in_region) << i;
  }
  fleet.AdvanceTo(30'000);
  std::vector<uint64_t> jobs;
  for (size_t i = 0; i < fleet.size(); ++i) jobs.push_back(fleet.state(i).jobs_completed);
  fleet.AdvanceTo(50'000);
  for (size_t i = 0; i < fleet.size(); ++i) {
    if (fleet.spec(i).region == "us-east") {
      EXPECT_EQ(fleet.state(i).jobs_completed, jobs[i]) << i;
    } else {
      EXPECT_GT(fleet.state(i).jobs_completed, jobs[i]) << i;
    }
  }
}

TEST(SimulatorExposition, TruthListsPlantedEvents) {
  FleetConfig c = Spread(3);
  c.time_scale = 2.0;
  c.providers[0].degrade = {{10'000, 0.2, 30'000}};
  c.providers[1].flaky = Flaky{20'000, 0.25, 40'000};
  c.providers[1].bottleneck = Bottleneck{30'000, 98, 0.3, 5};
  c.providers[2].season = Season{10, 120'000, 0};
  c.outages = {{c.providers[2].region, 40'000, 10'000}};
  Fleet fleet = MakeFleet(c);
  fleet.AdvanceTo(44'000);
  const std::string truth = RenderTruthJson(fleet, 1000.0);
  // 44 simulated seconds at time scale 2 are 22 s of wall clock.
  EXPECT_NE(truth.find("\"start_time\":978,"), std::string::npos) << truth;
  for (std::string piece :
       {"{\"kind\":\"regional_outage\",\"at_seconds\":40,\"at_time\":998,\"until_seconds\":50,"
        "\"until_time\":1003,\"active\":true,\"region\":\"ap-south\",\"providers\":[\"p-002\"]}",
        "{\"kind\":\"degrade\",\"at_seconds\":10,\"at_time\":983,\"active\":true,"
        "\"region\":\"eu-west\",\"providers\":[\"p-000\"],\"over_seconds\":30,\"quality_from\":1,"
        "\"quality_to\":0.2}",
        "{\"kind\":\"flaky\",\"at_seconds\":20,", "\"outage_ratio\":0.25,\"period_seconds\":40}",
        "{\"kind\":\"bottleneck\",\"at_seconds\":30,",
        "\"resource\":\"gpu\",\"gpu_util_percent\":98,\"failure_ratio\":0.3,\"response_seconds\":"
        "5}",
        "{\"kind\":\"season\",\"at_seconds\":0,",
        "\"signal\":\"gpu_util\",\"amplitude\":10,\"period_seconds\":120,\"phase_seconds\":0}"}) {
    EXPECT_NE(truth.find(piece), std::string::npos) << piece << "\n" << truth;
  }
  // The flaky provider's schedule is the flaky one; its uptime truth follows.
  EXPECT_NE(truth.find("\"uptime_ratio\":0.75,"), std::string::npos) << truth;
  EXPECT_NE(truth.find("\"outage_period_seconds\":40,\"outage_seconds\":10,"
                       "\"outage_offset_seconds\":20,"),
            std::string::npos)
      << truth;
  // The regional outage shows in the provider's `up`.
  EXPECT_NE(truth.find("\"id\":\"p-002\""), std::string::npos);
  EXPECT_FALSE(fleet.IsUpAt(2, fleet.now_ms()));
}

// The ranking fleet: one minute of data already orders every observable
// the way quality does.
TEST(SimulatorFleet, OneMinuteOfDataOrdersProvidersByQuality) {
  FleetConfig c;
  c.job_rate = 2.0;
  c.outage_period_ms = 30'000;
  for (double q : {0.97, 0.85, 0.72, 0.60, 0.45, 0.30}) {
    ProviderSpec p;
    p.id = "q" + std::to_string(static_cast<int>(q * 100));
    p.quality = q;
    c.providers.push_back(p);
  }
  Fleet fleet = MakeFleet(c);
  fleet.AdvanceTo(60'000);
  for (size_t i = 1; i < fleet.size(); ++i) {
    const ProviderState& better = fleet.state(i - 1);
    const ProviderState& worse = fleet.state(i);
    auto mean = [](const auto& h) { return h.sum / static_cast<double>(h.count); };
    EXPECT_LT(Observed(better), Observed(worse)) << i;
    EXPECT_LT(mean(better.response), mean(worse.response)) << i;
    EXPECT_LT(mean(better.job_duration), mean(worse.job_duration)) << i;
  }
}

TEST(SimulatorExposition, HistogramBucketsCumulativeAndCountMatchesInf) {
  Fleet fleet = MakeFleet(Spread(3, 4.0));
  fleet.AdvanceTo(100'000);
  for (size_t i = 0; i < fleet.size(); ++i) {
    auto lines = Samples(RenderProviderMetrics(fleet, i));
    for (std::string family : {"depin_job_duration_seconds", "depin_provider_response_seconds"}) {
      double prev = 0, inf = -1, count = -2;
      int buckets = 0;
      for (const Line& l : lines) {
        if (l.name == family + "_bucket") {
          EXPECT_GE(l.value, prev) << family << l.labels;
          prev = l.value;
          ++buckets;
          if (l.labels == "{le=\"+Inf\"}") inf = l.value;
        }
        if (l.name == family + "_count") count = l.value;
      }
      EXPECT_EQ(buckets, family == "depin_job_duration_seconds" ? 9 : 8);
      EXPECT_EQ(inf, count) << family;
      EXPECT_GT(count, 0) << family;
    }
  }
}

// Each sample's family has HELP and TYPE before it; counters end in _total;
// labels follow the endpoint's convention.
void CheckWellFormed(const std::string& page, bool provider_label) {
  std::map<std::string, std::string> types;
  std::set<std::string> helps;
  std::istringstream in(page);
  std::string text;
  while (std::getline(in, text)) {
    ASSERT_FALSE(text.empty());
    std::istringstream words(text);
    std::string hash, kind, name, type;
    if (text.rfind("# HELP ", 0) == 0) {
      words >> hash >> kind >> name;
      EXPECT_TRUE(helps.insert(name).second) << "duplicate HELP " << name;
      continue;
    }
    if (text.rfind("# TYPE ", 0) == 0) {
      words >> hash >> kind >> name >> type;
      EXPECT_TRUE(types.emplace(name, type).second) << "duplicate TYPE " << name;
      if (type == "counter") {
        EXPECT_TRUE(name.ends_with("_total")) << name;
      }
      continue;
    }
  }
  for (const Line& l : Samples(page)) {
    std::string family = l.name;
    for (std::string suffix : {"_bucket", "_sum", "_count"}) {
      std::string base = l.name.substr(0, l.name.size() - std::min(l.name.size(), suffix.size()));
      if (l.name.ends_with(suffix) && types.count(base) && types[base] == "histogram")
        family = base;
    }
    EXPECT_TRUE(types.count(family)) << "no TYPE for " << l.name;
    EXPECT_TRUE(helps.count(family)) << "no HELP for " << l.name;
    EXPECT_EQ(l.labels.find("provider=\"") != std::string::npos, provider_label)
        << l.name << l.labels;
    EXPECT_TRUE(std::isfinite(l.value)) << l.name;
  }
}

TEST(SimulatorExposition, PagesAreWellFormed) {
  Fleet fleet = MakeFleet(Spread(3));
  fleet.AdvanceTo(30'000);
  const std::string one = RenderProviderMetrics(fleet, 0);
  CheckWellFormed(one, false);
  for (std::string family :
       {"depin_jobs_completed_total", "depin_jobs_failed_total", "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_FB_USED", "depin_provider_gpus_total", "depin_provider_gpus_allocated",
        "depin_provider_price_per_gpu_hour", "depin_provider_info", "node_cpu_seconds_total",
        "node_memory_MemAvailable_bytes", "node_memory_MemTotal_bytes",
        "node_network_receive_bytes_total", "node_disk_io_time_seconds_total"}) {
    EXPECT_NE(one.find("# TYPE " + family + " "), std::string::npos) << family;
  }
  EXPECT_NE(one.find("depin_jobs_failed_total{reason=\"oom\"}"), std::string::npos);
  EXPECT_NE(one.find("DCGM_FI_DEV_GPU_UTIL{gpu=\"7\",UUID=\"GPU-"), std::string::npos);
  EXPECT_NE(one.find("node_cpu_seconds_total{cpu=\"3\",mode=\"iowait\"}"), std::string::npos);

  const std::string all = RenderFleetMetrics(fleet, {0, 1, 2});
  CheckWellFormed(all, true);
  EXPECT_NE(all.find("depin_jobs_completed_total{provider=\"p-002\"}"), std::string::npos);
  CheckWellFormed(RenderSelfMetrics(3), false);
}

TEST(SimulatorExposition, EscapesAndFormats) {
  EXPECT_EQ(FormatValue(30), "30");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(EscapeJson("a\"\n"), "a\\\"\\u000a");
}

TEST(SimulatorExposition, TruthAndDiscovery) {
  FleetConfig c = Spread(3);
  std::swap(c.providers[0], c.providers[2]);  // file order differs from quality order
  Fleet fleet = MakeFleet(c);
  fleet.AdvanceTo(10'000);
  const std::string truth = RenderTruthJson(fleet, 1700000000.5);
  EXPECT_NE(truth.find("\"order\":[\"p-000\",\"p-001\",\"p-002\"]"), std::string::npos) << truth;
  EXPECT_NE(truth.find("\"id\":\"p-000\",\"quality\":1,"), std::string::npos) << truth;
  for (std::string key :
       {"failure_ratio", "mean_response_seconds", "mean_job_duration_seconds", "uptime_ratio",
        "price_per_gpu_hour", "gpus_total", "gpus_allocated", "region", "gpu_model"}) {
    EXPECT_NE(truth.find("\"" + key + "\":"), std::string::npos) << key;
  }
  EXPECT_NE(truth.find("\"expected_rank\":1,"), std::string::npos);
  EXPECT_NE(truth.find("\"time\":1700000000.5"), std::string::npos);

  const std::string sd = RenderServiceDiscovery(fleet, "127.0.0.1:9500");
  EXPECT_NE(sd.find("{\"targets\":[\"127.0.0.1:9500\"],\"labels\":{\"provider\":\"p-002\","
                    "\"__metrics_path__\":\"/providers/p-002/metrics\"}}"),
            std::string::npos)
      << sd;
}

TEST(SimulatorConfig, ParsesFullExample) {
  auto c = ParseFleetYaml(R"(
seed: 7
time_scale: 2.0
job_rate: 1.5
outage_period: 45s
providers:
  - {id: a, quality: 0.97, region: eu-west, gpu_model: A100, gpus: 4}
  - id: b
    quality: 0.5
    price: 3.1
    cpus: 16
    degrade: [{at: 2m, quality: 0.1}, {at: 30s, quality: 0.4}]
generate: {count: 3, quality_max: 0.9, quality_min: 0.5}
outages: [{region: eu-west, at: 5m, duration: 1m}, {region: eu-west, at: 1m, duration: 30s}]
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->seed, 7u);
  EXPECT_DOUBLE_EQ(c->time_scale, 2.0);
  EXPECT_EQ(c->outage_period_ms, 45'000);
  ASSERT_EQ(c->providers.size(), 5u);
  EXPECT_EQ(c->providers[0].gpus, 4);
  EXPECT_EQ(*c->providers[1].overrides.price, 3.1);
  ASSERT_EQ(c->providers[1].degrade.size(), 2u);
  EXPECT_EQ(c->providers[1].degrade[0].at_ms, 30'000);  // sorted by time
  EXPECT_EQ(c->providers[2].id, "p-000");
  EXPECT_DOUBLE_EQ(c->providers[4].quality, 0.5);
  ASSERT_EQ(c->outages.size(), 2u);
  EXPECT_EQ(c->outages[0].at_ms, 60'000);  // sorted by time
  EXPECT_EQ(c->outages[0].duration_ms, 30'000);
  EXPECT_EQ(c->outages[1].region, "eu-west");
}

TEST(SimulatorConfig, ParsesScenarioKeys) {
  auto c = ParseFleetYaml(R"(
providers:
  - id: a
    quality: 0.9
    degrade: [{at: 1m, quality: 0.3, over: 5m}]
    season: {amplitude: 20, period: 2m, phase: 30s}
    flaky: {at: 90s, outage_ratio: 0.25, period: 40s}
    bottleneck: {at: 2m, gpu_util: 97, failure_ratio: 0.3, response_seconds: 6}
  - id: b
    quality: 0.9
    flaky: {at: 1m}
    bottleneck: {at: 1m}
)");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const ProviderSpec& a = c->providers[0];
  ASSERT_EQ(a.degrade.size(), 1u);
  EXPECT_EQ(a.degrade[0].over_ms, 300'000);
  ASSERT_TRUE(a.season && a.flaky && a.bottleneck);
  EXPECT_DOUBLE_EQ(a.season->amplitude, 20);
  EXPECT_EQ(a.season->period_ms, 120'000);
  EXPECT_EQ(a.season->phase_ms, 30'000);
  EXPECT_EQ(a.flaky->at_ms, 90'000);
  EXPECT_DOUBLE_EQ(a.flaky->outage_ratio, 0.25);
  EXPECT_EQ(a.flaky->period_ms, 40'000);
  EXPECT_EQ(a.bottleneck->at_ms, 120'000);
  EXPECT_DOUBLE_EQ(a.bottleneck->gpu_util_percent, 97);
  EXPECT_DOUBLE_EQ(a.bottleneck->failure_ratio, 0.3);
  EXPECT_DOUBLE_EQ(a.bottleneck->response_seconds, 6);
  // Defaults of the optional keys.
  const ProviderSpec& b = c->providers[1];
  ASSERT_TRUE(b.flaky && b.bottleneck);
  EXPECT_DOUBLE_EQ(b.flaky->outage_ratio, 0.3);
  EXPECT_EQ(b.flaky->period_ms, 30'000);
  EXPECT_DOUBLE_EQ(b.bottleneck->gpu_util_percent, 99);
  EXPECT_DOUBLE_EQ(b.bottleneck->failure_ratio, 0.2);
  EXPECT_DOUBLE_EQ(b.bottleneck->response_seconds, 4);
}

TEST(SimulatorConfig, RejectsBadInput) {
  struct Case {
    const char* yaml;
    const char* error;
  };
  const Case cases[] = {
      {"seed: 1\nbogus: 2\nproviders: [{id: a, quality: 1}]", "unknown key \"bogus\""},
      {"providers: [{id: a, quality: 1, colour: red}]", "unknown key \"providers[0].colour\""},
      {"providers: [{id: a, quality: 1, degrade: [{at: 1s, quality: 0.5, x: 1}]}]",
       "unknown key \"providers[0].degrade[0].x\""},
      {"generate: {count: 2, step: 1}", "unknown key \"generate.step\""},
      {"providers: [{quality: 1}]", "missing \"id\""},
      {"providers: [{id: a}]", "missing \"quality\""},
      {"providers: [{id: a, quality: 1.5}]", "quality must be in [0, 1]"},
      {"providers: [{id: a, quality: 1}, {id: a, quality: 0.5}]", "duplicate provider id \"a\""},
      {"providers: [{id: a/b, quality: 1}]", "id must be"},
      {"outage_period: soon\nproviders: [{id: a, quality: 1}]", "outage_period"},
      {"job_rate: fast\nproviders: [{id: a, quality: 1}]", "job_rate: expected a number"},
      {"providers: []", "no providers"},
      {"providers: [{id: a, quality: 1, failure_ratio: 2}]", "failure_ratio"},
      {"[1, 2]", "expected a mapping"},
      {"providers: [{id: a, quality: 1}", "YAML"},
      {"providers: [{id: a, quality: 1, degrade: [{at: 1s, quality: 0.5, over: -1s}]}]", "degrade"},
      {"providers: [{id: a, quality: 1, season: {amplitude: 10}}]", "needs both"},
      {"providers: [{id: a, quality: 1, season: {amplitude: 120, period: 1m}}]",
       "season: amplitude must be in [0, 100]"},
      {"providers: [{id: a, quality: 1, season: {amplitude: 10, period: 1m, x: 1}}]",
       "unknown key \"providers[0].season.x\""},
      {"providers: [{id: a, quality: 1, flaky: {outage_ratio: 0.2}}]", "flaky: missing \"at\""},
      {"providers: [{id: a, quality: 1, flaky: {at: 1m, outage_ratio: 1}}]",
       "flaky: at must be >= 0, outage_ratio in [0, 0.99]"},
      {"providers: [{id: a, quality: 1, flaky: {at: 1m, period: 500ms}}]", "period at least 1s"},
      {"providers: [{id: a, quality: 1, bottleneck: {gpu_util: 99}}]",
       "bottleneck: missing \"at\""},
      {"providers: [{id: a, quality: 1, bottleneck: {at: 1m, gpu_util: 101}}]",
       "bottleneck: at must be >= 0, gpu_util in [0, 100]"},
      {"providers: [{id: a, quality: 1, bottleneck: {at: 1m, cpu: 1}}]",
       "unknown key \"providers[0].bottleneck.cpu\""},
      {"providers: [{id: a, quality: 1}]\noutages: [{region: eu-west, at: 1m}]",
       "needs \"region\", \"at\" and \"duration\""},
      {"providers: [{id: a, quality: 1}]\noutages: [{region: mars, at: 1m, duration: 1m}]",
       "no provider in region \"mars\""},
      {"providers: [{id: a, quality: 1}]\noutages: [{region: eu-west, at: 1m, duration: 0s}]",
       "duration at least 1s"},
      {"providers: [{id: a, quality: 1}]\noutages: {region: eu-west}", "outages: expected a list"},
  };
  for (const Case& c : cases) {
    auto r = ParseFleetYaml(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.yaml << " -> " << r.status().message();
  }
}

TEST(SimulatorConfig, ShippedFleetsLoad) {
  auto demo = LoadFleetFile(DEPIN_SOURCE_DIR "/config/simulator/default.yml");
  ASSERT_TRUE(demo.ok()) << demo.status().message();
  EXPECT_GE(demo->providers.size(), 10u);

  auto ranking = LoadFleetFile(DEPIN_SOURCE_DIR "/config/simulator/ranking.yml");
  ASSERT_TRUE(ranking.ok()) << ranking.status().message();
  ASSERT_EQ(ranking->providers.size(), 6u);
  const double want[] = {0.97, 0.85, 0.72, 0.60, 0.45, 0.30};
  for (size_t i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(ranking->providers[i].quality, want[i]);
  EXPECT_DOUBLE_EQ(ranking->job_rate, 2.0);
  EXPECT_EQ(ranking->outage_period_ms, 30'000);

  // Every scenario fleet loads and plants at least one event.
  for (const auto& entry :
       std::filesystem::directory_iterator(DEPIN_SOURCE_DIR "/config/simulator/scenarios")) {
    if (entry.path().extension() != ".yml") continue;
    auto fleet = LoadFleetFile(entry.path().string());
    ASSERT_TRUE(fleet.ok()) << entry.path() << ": " << fleet.status().message();
    bool planted = !fleet->outages.empty();
    for (const auto& p : fleet->providers) {
      planted = planted || !p.degrade.empty() || p.season || p.flaky || p.bottleneck;
    }
    EXPECT_TRUE(planted) << entry.path();
  }

  EXPECT_EQ(DefaultFleet().providers.size(), 6u);
  EXPECT_DOUBLE_EQ(DefaultFleet().providers.back().quality, 0.30);
}

}  // namespace
}  // namespace depin::sim
