#include "windows/window_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <vector>

namespace depin::windows {
namespace {

constexpr int64_t kStep = 10'000;
constexpr int64_t kT0 = 1'700'000'000'000 - (1'700'000'000'000 % kStep);

route::Route MakeRoute(Signal s, std::string provider = "p1",
                       route::Role role = route::Role::kValue, double le = 0) {
  route::Route r;
  r.verdict = route::Verdict::kRouted;
  r.signal = s;
  r.role = role;
  r.le = le;
  r.provider = std::move(provider);
  return r;
}

class WindowStoreTest : public ::testing::Test {
 protected:
  WindowStoreTest() : store_({kStep, 6 * kStep}, LimitsConfig{}) {}
  SeriesRef Ref(const std::string& key, const route::Route& r) {
    auto batch = store_.BeginBatch(kT0 + 3'600'000);
    return batch.Resolve(key, r).value();
  }
  AppendResult Append(SeriesRef ref, int64_t ts, double v) {
    auto batch = store_.BeginBatch(kT0 + 3'600'000);
    return batch.Append(ref, ts, v);
  }
  WindowStore store_;
};

TEST_F(WindowStoreTest, CounterIncreasesHandleResets) {
  SeriesRef c = Ref("c", MakeRoute(Signal::kJobsCompleted));
  EXPECT_EQ(Append(c, kT0, 100), AppendResult::kBaseline);
  EXPECT_EQ(Append(c, kT0 + 5'000, 110), AppendResult::kAccepted);
  EXPECT_EQ(Append(c, kT0 + 15'000, 130), AppendResult::kAccepted);
  EXPECT_EQ(Append(c, kT0 + 25'000, 4), AppendResult::kAccepted);  // reset: 0 -> 4
  EXPECT_EQ(Append(c, kT0 + 25'000, 4), AppendResult::kDuplicate);
  // Late, between 130 and 4: the reset now lies before it; slot totals keep.
  EXPECT_EQ(Append(c, kT0 + 20'000, 4), AppendResult::kAcceptedLate);
  auto views = store_.Snapshot(kT0 + 25'000);
  ASSERT_EQ(views.size(), 1u);
  const ScalarView& v = views[0].scalar(Signal::kJobsCompleted);
  ASSERT_EQ(v.sum.size(), 6u);
  // Slots end at the snapshot time: [..., kT0, kT0+10s, kT0+20s].
  EXPECT_DOUBLE_EQ(v.sum[3], 10);
  EXPECT_DOUBLE_EQ(v.sum[4], 20);
  EXPECT_DOUBLE_EQ(v.sum[5], 4);
}

TEST_F(WindowStoreTest, GaugesAverageAndOldSlotsExpire) {
  SeriesRef g1 = Ref("g1", MakeRoute(Signal::kGpuUtil));
  SeriesRef g2 = Ref("g2", MakeRoute(Signal::kGpuUtil));
  Append(g1, kT0, 40);
  Append(g2, kT0 + 1, 80);
  Append(g1, kT0 + 70'000, 10);  // seven slots later: the first slot is gone
  EXPECT_EQ(Append(g1, kT0, 50), AppendResult::kTooOld);
  EXPECT_EQ(Append(g2, kT0 + 65'000, 30), AppendResult::kAccepted);  // late but inside: accepted
  auto views = store_.Snapshot(kT0 + 70'000);
  const ScalarView& v = views[0].scalar(Signal::kGpuUtil);
  double sum = 0, count = 0;
  for (size_t i = 0; i < v.sum.size(); ++i) {
    sum += v.sum[i];
    count += v.count[i];
  }
  EXPECT_DOUBLE_EQ(count, 2);
  EXPECT_DOUBLE_EQ(sum, 40);
  // Much later the provider has no data in the window and is not in the snapshot.
  EXPECT_TRUE(store_.Snapshot(kT0 + 3'600'000).empty());
}

TEST_F(WindowStoreTest, StaleMarkersAndNonFiniteValuesAreNotStored) {
  SeriesRef g = Ref("g", MakeRoute(Signal::kUp));
  double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  EXPECT_TRUE(IsStaleMarker(stale));
  EXPECT_FALSE(IsStaleMarker(std::nan("")));
  EXPECT_EQ(Append(g, kT0, stale), AppendResult::kStaleMarker);
  EXPECT_EQ(Append(g, kT0, std::numeric_limits<double>::infinity()), AppendResult::kInvalidValue);
  EXPECT_EQ(Append(g, kT0 + 3'600'000 + WindowStore::kMaxFutureMs + 1, 1),
            AppendResult::kTooFarInFuture);
}

TEST_F(WindowStoreTest, HistogramBucketsAccumulateIncreases) {
  auto b1 = Ref("b1", MakeRoute(Signal::kJobDuration, "p1", route::Role::kBucket, 60));
  auto binf = Ref("binf", MakeRoute(Signal::kJobDuration, "p1", route::Role::kBucket,
                                    std::numeric_limits<double>::infinity()));
  auto b30 = Ref("b30", MakeRoute(Signal::kJobDuration, "p1", route::Role::kBucket, 30));
  auto cnt = Ref("cnt", MakeRoute(Signal::kJobDuration, "p1", route::Role::kCount));
  auto sum = Ref("sum", MakeRoute(Signal::kJobDuration, "p1", route::Role::kSum));
  for (auto [ref, a, b] : {std::tuple{b30, 1.0, 3.0},
                           {b1, 2.0, 6.0},
                           {binf, 4.0, 10.0},
                           {cnt, 4.0, 10.0},
                           {sum, 100.0, 400.0}}) {
    Append(ref, kT0, a);
    Append(ref, kT0 + 10'000, b);
  }
  auto views = store_.Snapshot(kT0 + 10'000);
  const HistogramView& h = views[0].histogram(Signal::kJobDuration);
  ASSERT_EQ(h.upper_bounds.size(), 3u);
  EXPECT_DOUBLE_EQ(h.upper_bounds[0], 30);
  EXPECT_DOUBLE_EQ(h.buckets[0], 2);
  EXPECT_DOUBLE_EQ(h.buckets[1], 4);
  EXPECT_DOUBLE_EQ(h.buckets[2], 6);
  EXPECT_DOUBLE_EQ(h.count, 6);
  EXPECT_DOUBLE_EQ(h.sum, 300);
}

// Found by fuzz_ingest_write: _count and _sum without any _bucket series
// give a histogram with no buckets, which a snapshot must still copy.
TEST_F(WindowStoreTest, HistogramWithoutBucketsKeepsCountAndSum) {
  auto cnt = Ref("cnt", MakeRoute(Signal::kJobDuration, "p1", route::Role::kCount));
  auto sum = Ref("sum", MakeRoute(Signal::kJobDuration, "p1", route::Role::kSum));
  for (auto [ref, a, b] : {std::tuple{cnt, 4.0, 10.0}, {sum, 100.0, 400.0}}) {
    Append(ref, kT0, a);
    Append(ref, kT0 + 10'000, b);
  }
  auto views = store_.Snapshot(kT0 + 10'000);
  ASSERT_EQ(views.size(), 1u);
  const HistogramView& h = views[0].histogram(Signal::kJobDuration);
  EXPECT_TRUE(h.upper_bounds.empty());
  EXPECT_TRUE(h.buckets.empty());
  EXPECT_DOUBLE_EQ(h.count, 6);
  EXPECT_DOUBLE_EQ(h.sum, 300);
}

// Histogram slots are floats (compact windows): counts stay exact, and an
// increase beyond the float range saturates instead of becoming infinite.
TEST_F(WindowStoreTest, HistogramIncreasesAreExactCountsAndSaturate) {
  auto cnt = Ref("cnt", MakeRoute(Signal::kJobDuration, "p1", route::Role::kCount));
  auto sum = Ref("sum", MakeRoute(Signal::kJobDuration, "p1", route::Role::kSum));
  Append(cnt, kT0, 1'000'000);
  Append(cnt, kT0 + 10'000, 1'000'000 + 16'777'216);  // 2^24 observations in one slot
  Append(sum, kT0, 0);
  Append(sum, kT0 + 10'000, 1e300);
  auto views = store_.Snapshot(kT0 + 10'000);
  ASSERT_EQ(views.size(), 1u);
  const HistogramView& h = views[0].histogram(Signal::kJobDuration);
  EXPECT_EQ(h.count, 16'777'216);
  EXPECT_TRUE(std::isfinite(h.sum));
  EXPECT_EQ(h.sum, std::numeric_limits<float>::max());
}

// Histogram views come from running totals kept per ring, not from summing
// its slots. Checked against the slots themselves (Export) through many
// ring turns, gaps, late samples, a bucket appearing midway, and snapshots
// taken before, at and after the ring's newest slot.
TEST(HistogramTotals, MatchTheSlotsOfTheWindowThroughTurnsGapsAndLateSamples) {
  constexpr int kSlots = 6;
  WindowStore store({kStep, kSlots * kStep, 60'000}, LimitsConfig{});
  const int64_t far_now = kT0 + int64_t{1'000} * kStep;
  std::vector<std::pair<SeriesRef, double>> series;  // ref, cumulative value
  auto add = [&](const std::string& key, route::Role role, double le) {
    auto batch = store.BeginBatch(far_now);
    series.emplace_back(batch.Resolve(key, MakeRoute(Signal::kJobDuration, "p1", role, le)).value(),
                        0.0);
  };
  add("count", route::Role::kCount, 0);
  add("sum", route::Role::kSum, 0);
  add("le_1", route::Role::kBucket, 1);
  add("le_inf", route::Role::kBucket, std::numeric_limits<double>::infinity());
  std::mt19937_64 rng(7);
  int64_t ts = kT0;
  int checked = 0;
  for (int step = 0; step < 400; ++step) {
    if (step == 150) add("le_0.5", route::Role::kBucket, 0.5);
    // Mostly one sample per 5 s; sometimes a gap of several slots.
    ts += (rng() % 20 == 0) ? kStep * static_cast<int64_t>(1 + rng() % 8) : 5'000;
    const bool late = rng() % 7 == 0;
    {
      auto batch = store.BeginBatch(far_now);  // holds the store's lock
      for (auto& [ref, value] : series) {
        value += (rng() % 1000) / 7.0;
        if (rng() % 50 == 0) value = (rng() % 100) / 3.0;  // a counter reset
        batch.Append(ref, late ? ts - 7'000 : ts, value);
      }
    }
    if (step % 5 != 0) continue;
    const WindowImage image = store.Export();
    ASSERT_EQ(image.providers.size(), 1u);
    const auto& ring = *image.providers[0].histograms[Index(Signal::kJobDuration)];
    // Counters' first samples are baselines: no slot written yet.
    if (ring.latest_slot == std::numeric_limits<int64_t>::min()) continue;
    const size_t width = ring.upper_bounds.size();
    for (int64_t lag = -2; lag <= 2; ++lag) {
      const int64_t now_slot = ring.latest_slot + lag;
      const int64_t first = now_slot - kSlots + 1;
      double sum = 0, count = 0;
      std::vector<double> buckets(width, 0.0);
      bool any = false;
      for (int64_t slot = std::max(first, ring.latest_slot - kSlots + 1);
           slot <= std::min(now_slot, ring.latest_slot); ++slot) {
        const auto p = static_cast<size_t>(((slot % kSlots) + kSlots) % kSlots);
        sum += ring.sum[p];
        count += ring.count[p];
        for (size_t b = 0; b < width; ++b) buckets[b] += ring.buckets[p * width + b];
        any = true;
      }
      const auto views = store.Snapshot(now_slot * kStep + kStep / 2);
      if (!any) {
        EXPECT_TRUE(views.empty() || views[0].histogram(Signal::kJobDuration).upper_bounds.empty());
        continue;
      }
      ASSERT_EQ(views.size(), 1u);
      const HistogramView& h = views[0].histogram(Signal::kJobDuration);
      auto near = [](double want) { return 1e-9 * std::max(1.0, std::abs(want)); };
      EXPECT_NEAR(h.sum, sum, near(sum)) << "step " << step << " lag " << lag;
      EXPECT_NEAR(h.count, count, near(count)) << "step " << step << " lag " << lag;
      ASSERT_EQ(h.buckets.size(), width);
      for (size_t b = 0; b < width; ++b) EXPECT_NEAR(h.buckets[b], buckets[b], near(buckets[b]));
      ++checked;
    }
  }
  EXPECT_GT(checked, 300);
  // An imported copy recounts its totals from the slots.
  WindowStore copy({kStep, kSlots * kStep, 60'000}, LimitsConfig{});
  ASSERT_TRUE(copy.Import(store.Export()).ok());
  const int64_t at = ts;
  const auto a = store.Snapshot(at), b = copy.Snapshot(at);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NEAR(a[0].histogram(Signal::kJobDuration).sum, b[0].histogram(Signal::kJobDuration).sum,
              1e-6 * std::max(1.0, std::abs(a[0].histogram(Signal::kJobDuration).sum)));
  EXPECT_EQ(a[0].histogram(Signal::kJobDuration).buckets,
            b[0].histogram(Signal::kJobDuration).buckets);
}

TEST_F(WindowStoreTest, GaugeDuplicatesAreNotCountedTwice) {
  SeriesRef g = Ref("g", MakeRoute(Signal::kGpuUtil));
  EXPECT_EQ(Append(g, kT0, 40), AppendResult::kAccepted);
  EXPECT_EQ(Append(g, kT0, 40), AppendResult::kDuplicate);  // a retried request
  auto views = store_.Snapshot(kT0);
  EXPECT_DOUBLE_EQ(views[0].scalar(Signal::kGpuUtil).count.back(), 1);
}

// Out-of-order counters: a store with a 10 s step, 12 slots and a given
// tolerance; slot(i) reads the increase of the slot starting at kT0 + i*10s.
class LateCounterTest : public ::testing::Test {
 protected:
  explicit LateCounterTest(int64_t tolerance_ms = 60'000)
      : store_({kStep, 12 * kStep, tolerance_ms}, LimitsConfig{}) {
    auto batch = store_.BeginBatch(kNow);
    ref_ = batch.Resolve("c", MakeRoute(Signal::kJobsCompleted)).value();
  }
  AppendResult Append(int64_t offset_ms, double v) {
    auto batch = store_.BeginBatch(kNow);
    return batch.Append(ref_, kT0 + offset_ms, v);
  }
  // {sum, count} of the slot starting at kT0 + i * kStep.
  std::pair<double, double> Slot(int i) {
    const auto views = store_.Snapshot(kT0 + 11 * kStep);
    const ScalarView& v = views.at(0).scalar(Signal::kJobsCompleted);
    return {v.sum.at(static_cast<size_t>(i)), v.count.at(static_cast<size_t>(i))};
  }
  static constexpr int64_t kNow = kT0 + 11 * kStep;
  WindowStore store_;
  SeriesRef ref_ = 0;
};

TEST_F(LateCounterTest, LateSampleSplitsTheIncreaseBetweenItsNeighbours) {
  EXPECT_EQ(Append(0, 100), AppendResult::kBaseline);
  EXPECT_EQ(Append(30'000, 160), AppendResult::kAccepted);
  EXPECT_EQ(Slot(3), std::make_pair(60.0, 1.0));
  EXPECT_EQ(Append(10'000, 120), AppendResult::kAcceptedLate);
  EXPECT_EQ(Slot(1), std::make_pair(20.0, 1.0));  // 100 -> 120
  EXPECT_EQ(Slot(3), std::make_pair(40.0, 1.0));  // 120 -> 160, still one increase
  EXPECT_EQ(Append(10'000, 120), AppendResult::kDuplicate);
  EXPECT_EQ(Append(20'000, 150), AppendResult::kAcceptedLate);
  EXPECT_EQ(Slot(2), std::make_pair(30.0, 1.0));
  EXPECT_EQ(Slot(3), std::make_pair(10.0, 1.0));
}

TEST_F(LateCounterTest, LateSampleBeforeTheFirstBecomesTheBaseline) {
  EXPECT_EQ(Append(20'000, 50), AppendResult::kBaseline);
  EXPECT_EQ(Append(0, 30), AppendResult::kAcceptedLate);
  EXPECT_EQ(Slot(2), std::make_pair(20.0, 1.0));
  EXPECT_EQ(Slot(0), std::make_pair(0.0, 0.0));
}

TEST_F(LateCounterTest, LateSampleRevealingAResetCountsIt) {
  Append(0, 10);
  Append(20'000, 12);  // +2, as far as anyone could tell
  EXPECT_EQ(Append(10'000, 3), AppendResult::kAcceptedLate);
  EXPECT_EQ(Slot(1).first, 3);  // 10 -> 3: restarted from 0
  EXPECT_EQ(Slot(2).first, 9);  // 3 -> 12
}

TEST_F(LateCounterTest, SamplesPastTheToleranceAreOutOfOrder) {
  Append(0, 1);
  Append(40'000, 5);
  Append(100'000, 9);
  EXPECT_EQ(Append(39'999, 4), AppendResult::kOutOfOrder);  // 60.001 s older than the newest
  EXPECT_EQ(Append(40'000, 5), AppendResult::kDuplicate);
  EXPECT_EQ(Append(50'000, 6), AppendResult::kAcceptedLate);  // exactly within 60 s
  EXPECT_EQ(Slot(5).first, 1);
  EXPECT_EQ(Slot(10).first, 3);
}

class NoToleranceTest : public LateCounterTest {
 protected:
  NoToleranceTest() : LateCounterTest(0) {}
};

TEST_F(NoToleranceTest, ZeroToleranceAcceptsOnlyInOrderSamples) {
  Append(0, 1);
  Append(20'000, 2);
  EXPECT_EQ(Append(10'000, 1), AppendResult::kOutOfOrder);
  EXPECT_EQ(Append(20'000, 2), AppendResult::kDuplicate);
  EXPECT_EQ(Append(30'000, 3), AppendResult::kAccepted);
}

TEST(LateCounterBound, RecentSamplesAreBounded) {
  WindowStore store({kStep, 60 * kStep, 600'000}, LimitsConfig{});
  {
    auto batch = store.BeginBatch(kT0 + 600'000);
    SeriesRef c = batch.Resolve("c", MakeRoute(Signal::kJobsCompleted)).value();
    const int n = static_cast<int>(WindowStore::kMaxRecentSamples) + 8;
    for (int i = 0; i < n; ++i) batch.Append(c, kT0 + i * 1000, i);
    // The first 8 samples were let go: a sample among them has no known
    // neighbour, although within the tolerance.
    EXPECT_EQ(batch.Append(c, kT0 + 3'500, 3.5), AppendResult::kOutOfOrder);
    EXPECT_EQ(batch.Append(c, kT0 + 60'500, 60.5), AppendResult::kAcceptedLate);
  }
  EXPECT_LE(store.recent_sample_bytes(), WindowStore::kMaxRecentSamples * 16);
}

// Any arrival order within the tolerance gives the per-slot increases of
// the sorted samples: the model of the header, against a direct reference.
TEST(LateCounterModel, ShuffledWithinToleranceEqualsSorted) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    const int64_t tolerance = 60'000;
    WindowStore store({kStep, 60 * kStep, tolerance}, LimitsConfig{});
    const int64_t now = kT0 + 59 * kStep;
    // A counter scraped every 1-9 s, with occasional restarts.
    std::vector<std::pair<int64_t, double>> samples;
    double v = 0;
    for (int64_t t = kT0 + 1 + static_cast<int64_t>(rng() % 5000); t < now;
         t += 1000 + static_cast<int64_t>(rng() % 8000)) {
      v = (rng() % 40 == 0) ? static_cast<double>(rng() % 3) : v + static_cast<double>(rng() % 7);
      samples.emplace_back(t, v);
    }
    // Reference: increase between consecutive samples, in the later's slot.
    std::map<int64_t, std::pair<double, double>> expected;
    for (size_t i = 1; i < samples.size(); ++i) {
      auto [t0, v0] = samples[i - 1];
      auto [t1, v1] = samples[i];
      auto& slot = expected[(t1 - kT0) / kStep];
      slot.first += v1 >= v0 ? v1 - v0 : v1;
      slot.second += 1;
    }
    // Arrival: each sample delayed by up to half the tolerance.
    std::vector<std::pair<int64_t, size_t>> arrival;
    for (size_t i = 0; i < samples.size(); ++i)
      arrival.emplace_back(samples[i].first + static_cast<int64_t>(rng() % (tolerance / 2)), i);
    std::sort(arrival.begin(), arrival.end());
    {
      auto batch = store.BeginBatch(now);
      SeriesRef c = batch.Resolve("c", MakeRoute(Signal::kJobsCompleted)).value();
      for (auto [at, i] : arrival) {
        AppendResult r = batch.Append(c, samples[i].first, samples[i].second);
        ASSERT_TRUE(IsStored(r)) << AppendResultReason(r);
      }
    }
    const auto views = store.Snapshot(now);
    const ScalarView& view = views.at(0).scalar(Signal::kJobsCompleted);
    for (int64_t i = 0; i < 60; ++i) {
      auto want = expected.count(i) ? expected[i] : std::make_pair(0.0, 0.0);
      EXPECT_NEAR(view.sum[static_cast<size_t>(i)], want.first, 1e-9)
          << "round " << round << " slot " << i;
      EXPECT_EQ(view.count[static_cast<size_t>(i)], want.second)
          << "round " << round << " slot " << i;
    }
  }
}

TEST(WindowStoreLimits, ProviderAndSeriesLimitsAreEnforced) {
  LimitsConfig limits;
  limits.max_providers = 1;
  limits.max_series_per_provider = 2;
  WindowStore store({kStep, 6 * kStep}, limits);
  auto batch = store.BeginBatch(kT0);
  EXPECT_TRUE(batch.Resolve("a", MakeRoute(Signal::kUp, "p1")).ok());
  EXPECT_TRUE(batch.Resolve("b", MakeRoute(Signal::kGpuUtil, "p1")).ok());
  EXPECT_TRUE(batch.Resolve("a", MakeRoute(Signal::kUp, "p1")).ok());  // known series
  EXPECT_EQ(batch.Resolve("c", MakeRoute(Signal::kPrice, "p1")).status().code(),
            Status::Code::kTooLarge);
  EXPECT_EQ(batch.Resolve("d", MakeRoute(Signal::kUp, "p2")).status().code(),
            Status::Code::kTooLarge);
}

// Snapshot into a vector that held another store's views gives exactly what
// a fresh Snapshot gives: nothing of the old contents survives, whether a
// signal, a histogram's buckets or whole providers are gone.
TEST(WindowStoreSnapshot, ReusedViewsEqualAFreshSnapshot) {
  auto fill = [](WindowStore& store, const std::vector<std::string>& providers, bool histogram) {
    auto batch = store.BeginBatch(kT0 + 60'000);
    for (const std::string& p : providers) {
      SeriesRef g = batch.Resolve(p + "g", MakeRoute(Signal::kGpuUtil, p)).value();
      batch.Append(g, kT0, 50);
      if (!histogram) continue;
      SeriesRef b = batch
                        .Resolve(p + "b", MakeRoute(Signal::kJobDuration, p, route::Role::kBucket,
                                                    std::numeric_limits<double>::infinity()))
                        .value();
      SeriesRef c =
          batch.Resolve(p + "c", MakeRoute(Signal::kJobDuration, p, route::Role::kCount)).value();
      for (SeriesRef ref : {b, c}) {
        batch.Append(ref, kT0, 1);
        batch.Append(ref, kT0 + kStep, 4);
      }
    }
  };
  WindowStore before({kStep, 6 * kStep}, LimitsConfig{});
  fill(before, {"p1", "p2", "p3"}, true);
  WindowStore after({kStep, 6 * kStep}, LimitsConfig{});
  fill(after, {"p9"}, false);

  std::vector<ProviderView> views;
  before.Snapshot(kT0 + kStep, &views);
  ASSERT_EQ(views.size(), 3u);
  ASSERT_FALSE(views[0].histogram(Signal::kJobDuration).empty());
  after.Snapshot(kT0 + kStep, &views);
  const std::vector<ProviderView> fresh = after.Snapshot(kT0 + kStep);
  ASSERT_EQ(views.size(), 1u);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(views[0].id, "p9");
  for (int sig = 0; sig < kSignalCount; ++sig) {
    EXPECT_EQ(views[0].scalars[sig].sum, fresh[0].scalars[sig].sum) << sig;
    EXPECT_EQ(views[0].scalars[sig].count, fresh[0].scalars[sig].count) << sig;
    EXPECT_EQ(views[0].histograms[sig].upper_bounds, fresh[0].histograms[sig].upper_bounds);
    EXPECT_EQ(views[0].histograms[sig].buckets, fresh[0].histograms[sig].buckets) << sig;
    EXPECT_EQ(views[0].histograms[sig].count, fresh[0].histograms[sig].count) << sig;
    EXPECT_EQ(views[0].histograms[sig].sum, fresh[0].histograms[sig].sum) << sig;
  }
  EXPECT_TRUE(views[0].histogram(Signal::kJobDuration).empty());
  EXPECT_EQ(views[0].attributes, fresh[0].attributes);
}

}  // namespace
}  // namespace depin::windows
