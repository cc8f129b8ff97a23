#include "route/router.h"

#include <gtest/gtest.h>

#include <cmath>

namespace depin::route {
namespace {

std::vector<LabelRef> L(const std::vector<std::pair<std::string_view, std::string_view>>& v) {
  std::vector<LabelRef> out;
  for (auto [n, val] : v) out.push_back({n, val});
  return out;
}

TEST(Router, MapsContractSeriesToSignals) {
  Router r(DefaultConfig());
  Route up = r.RouteSeries(L({{"__name__", "up"}, {"provider", "p1"}}));
  EXPECT_EQ(up.verdict, Verdict::kRouted);
  EXPECT_EQ(up.signal, Signal::kUp);
  EXPECT_EQ(up.provider, "p1");

  Route bucket = r.RouteSeries(
      L({{"__name__", "depin_job_duration_seconds_bucket"}, {"le", "+Inf"}, {"provider", "p1"}}));
  EXPECT_EQ(bucket.signal, Signal::kJobDuration);
  EXPECT_EQ(bucket.role, Role::kBucket);
  EXPECT_TRUE(std::isinf(bucket.le));
  EXPECT_EQ(
      r.RouteSeries(L({{"__name__", "depin_job_duration_seconds_sum"}, {"provider", "p"}})).role,
      Role::kSum);
  EXPECT_EQ(r.RouteSeries(L({{"__name__", "depin_job_duration_seconds_bucket"}, {"provider", "p"}}))
                .verdict,
            Verdict::kInvalidHistogram);
}

TEST(Router, MatchersAndOutOfContract) {
  Router r(DefaultConfig());
  EXPECT_EQ(r.RouteSeries(
                 L({{"__name__", "node_cpu_seconds_total"}, {"mode", "idle"}, {"provider", "p"}}))
                .signal,
            Signal::kCpuIdle);
  EXPECT_EQ(r.RouteSeries(
                 L({{"__name__", "node_cpu_seconds_total"}, {"mode", "user"}, {"provider", "p"}}))
                .verdict,
            Verdict::kNotInContract);
  EXPECT_EQ(r.RouteSeries(L({{"__name__", "something_else"}, {"provider", "p"}})).verdict,
            Verdict::kNotInContract);
  EXPECT_FALSE(r.MayRoute("something_else"));
  EXPECT_TRUE(r.MayRoute("depin_provider_response_seconds_count"));
  EXPECT_EQ(r.RouteSeries(L({{"__name__", "up"}, {"instance", "x"}})).verdict,
            Verdict::kMissingProvider);
}

TEST(Router, ProviderLabelAndRewriteAreConfigurable) {
  auto c =
      ParseConfig(R"(provider: {label: instance, regex: "([^:]+):\\d+", replacement: "node-$1"})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  Router r(c.value());
  EXPECT_EQ(r.RouteSeries(L({{"__name__", "up"}, {"instance", "gpu7:9100"}})).provider,
            "node-gpu7");
  // No match: the value is kept, as Prometheus relabelling does.
  EXPECT_EQ(r.RouteSeries(L({{"__name__", "up"}, {"instance", "plain"}})).provider, "plain");
}

TEST(Router, InfoSeriesCarryAttributes) {
  Router r(DefaultConfig());
  Route info = r.RouteSeries(L({{"__name__", "depin_provider_info"},
                                {"gpu_model", "H100"},
                                {"provider", "p"},
                                {"region", "eu"},
                                {"zone", "z"}}));
  ASSERT_EQ(info.attributes.size(), 2u);
  EXPECT_EQ(info.attributes[0], (std::pair<std::string, std::string>{"region", "eu"}));
}

TEST(Router, ParseLe) {
  double le = 0;
  EXPECT_TRUE(ParseLe("0.25", &le));
  EXPECT_DOUBLE_EQ(le, 0.25);
  EXPECT_FALSE(ParseLe("abc", &le));
  EXPECT_FALSE(ParseLe("", &le));
  EXPECT_FALSE(ParseLe("NaN", &le));
}

}  // namespace
}  // namespace depin::route
