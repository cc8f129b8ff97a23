#include "windows/window_store.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

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
  EXPECT_EQ(Append(c, kT0 + 20'000, 4), AppendResult::kOutOfOrder);
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

}  // namespace
}  // namespace depin::windows
