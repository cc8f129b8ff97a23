#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "query/evaluate.h"
#include "query/handler.h"
#include "query/params.h"
#include "query/render.h"
#include "query/selector.h"
#include "query/time_param.h"
#include "store/store.h"

namespace depin::query {
namespace {

using store::Labels;
using store::Matcher;
using store::SamplePoint;

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr int64_t kS = 1000;
constexpr int64_t kM = 60 * kS;

std::vector<Matcher> Sel(const std::string& text) {
  auto m = ParseSelector(text);
  EXPECT_TRUE(m.ok()) << text << ": " << m.status().message();
  return m.ok() ? m.value() : std::vector<Matcher>{};
}

std::string SelectorError(const std::string& text) {
  auto m = ParseSelector(text);
  EXPECT_FALSE(m.ok()) << text;
  return m.ok() ? "" : m.status().message();
}

RangeQuery Query(const std::string& selector, int64_t start, int64_t end, int64_t step) {
  RangeQuery q;
  q.selectors = {Sel(selector)};
  q.start_ms = start;
  q.end_ms = end;
  q.step_ms = step;
  q.window_ms = step;
  return q;
}

std::vector<ResultSeries> EvalOk(const store::Store& s, const RangeQuery& q,
                                 const QueryLimits& limits = {}) {
  auto r = Evaluate(s, q, limits);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : std::vector<ResultSeries>{};
}

using Points = std::vector<std::pair<int64_t, double>>;

Points PointsOf(const ResultSeries& s) {
  Points out;
  for (const auto& p : s.points) out.emplace_back(p.t, p.v);
  return out;
}

// ---- selectors --------------------------------------------------------------

TEST(Selector, NameAndMatchers) {
  auto m = Sel(R"( depin_x:y { a = "1", b!='2', c=~`x|y`, d!~"\\d+\"q",} )");
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].name, "__name__");
  EXPECT_EQ(m[0].value, "depin_x:y");
  EXPECT_EQ(m[0].type, Matcher::Type::kEq);
  EXPECT_EQ(m[1].name, "a");
  EXPECT_EQ(m[1].value, "1");
  EXPECT_EQ(m[2].type, Matcher::Type::kNeq);
  EXPECT_EQ(m[2].value, "2");
  EXPECT_EQ(m[3].type, Matcher::Type::kRe);
  EXPECT_EQ(m[3].value, "x|y");
  EXPECT_EQ(m[4].type, Matcher::Type::kNre);
  EXPECT_EQ(m[4].value, "\\d+\"q");
  EXPECT_EQ(Sel("up").size(), 1u);
  EXPECT_EQ(Sel(R"({__name__=~"depin_.+"})").size(), 1u);
  EXPECT_EQ(Sel(R"(m{a="\u00e9\x41\n"})")[1].value,
            "\xC3\xA9"
            "A\n");
  EXPECT_EQ(Sel("m{}").size(), 1u);
}

TEST(Selector, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(SelectorError(""), "parse error at char 1: empty selector");
  EXPECT_EQ(SelectorError(R"(m{a="b")"), "parse error at char 8: unclosed '{'");
  EXPECT_EQ(SelectorError("m{a=b}"), "parse error at char 5: expected a quoted string, found 'b'");
  EXPECT_EQ(SelectorError(R"(m{a~"b"})"), "parse error at char 4: expected one of =, !=, =~, !~");
  EXPECT_EQ(SelectorError(R"(m{1a="b"})"),
            "parse error at char 3: expected a label name, found '1'");
  EXPECT_EQ(SelectorError(R"(m{a="b" c="d"})"),
            "parse error at char 9: expected ',' or '}', found 'c'");
  EXPECT_EQ(SelectorError(R"(m{a="b)"), "parse error at char 5: unterminated quoted string");
  EXPECT_EQ(SelectorError(R"(m{a="\q"})"), "parse error at char 6: unknown escape sequence '\\q'");
  EXPECT_NE(SelectorError("rate(m[5m])").find("after the selector"), std::string::npos);
  EXPECT_NE(SelectorError("m[5m]").find("char 2"), std::string::npos);
  EXPECT_NE(SelectorError("m + 1").find("no PromQL"), std::string::npos);
  EXPECT_NE(SelectorError(R"(m{a=~"("})").find("invalid regular expression for label \"a\""),
            std::string::npos);
  // Prometheus: at least one matcher that does not match "".
  EXPECT_NE(SelectorError(R"({a=""})").find("does not match the empty string"), std::string::npos);
  EXPECT_NE(SelectorError(R"({a=~".*", b!="x"})").find("empty string"), std::string::npos);
  EXPECT_EQ(SelectorError("{}"),
            "selector must contain at least one matcher that does not match the empty string: {}");
}

// ---- times -----------------------------------------------------------------

TEST(TimeParam, UnixSecondsAndRfc3339) {
  EXPECT_EQ(*ParseTime("1700000000"), kT0);
  EXPECT_EQ(*ParseTime("1700000000.25"), kT0 + 250);
  EXPECT_EQ(*ParseTime("2023-11-14T22:13:20Z"), kT0);
  EXPECT_EQ(*ParseTime("2023-11-14T23:13:20.5+01:00"), kT0 + 500);
  EXPECT_EQ(*ParseTime("2023-11-14T21:43:20.123456789-00:30"), kT0 + 123);
  EXPECT_EQ(*ParseTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseTime("2024-02-29T00:00:00Z"), 1709164800000);
  for (const char* bad :
       {"", "now", "1e9", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-11-14 22:13:20Z",
        "2023-11-14T22:13:20", "2023-11-14T22:13:20+1", "2023-11-14T22:13:20.Z", "NaN", "inf"}) {
    auto t = ParseTime(bad);
    EXPECT_FALSE(t.ok()) << bad;
  }
  EXPECT_EQ(*ParseSeconds("15"), 15 * kS);
  EXPECT_EQ(*ParseSeconds("0.5"), 500);
  EXPECT_EQ(*ParseSeconds("1m30s"), 90 * kS);
  EXPECT_EQ(*ParseSeconds("5m"), 5 * kM);
  EXPECT_FALSE(ParseSeconds("-1").ok());
  EXPECT_FALSE(ParseSeconds("5 minutes").ok());
}

// ---- evaluation ------------------------------------------------------------

// One gauge sample every 15 s with values 0, 1, 2, ...
void FillEvery15s(store::Store& s, Labels labels, int n, double scale = 1) {
  for (int i = 0; i < n; ++i) ASSERT_TRUE(s.Append(labels, kT0 + i * 15 * kS, i * scale).ok());
}

TEST(Evaluate, RawIsTheNewestSampleAtEachStep) {
  store::Store s({});
  FillEvery15s(s, {{"__name__", "m"}, {"provider", "a"}}, 5);  // 0..60 s
  auto r = EvalOk(s, Query("m", kT0, kT0 + 60 * kS, 10 * kS));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].labels, (Labels{{"__name__", "m"}, {"provider", "a"}}));
  EXPECT_EQ(PointsOf(r[0]), (Points{{kT0, 0},
                                    {kT0 + 10 * kS, 0},
                                    {kT0 + 20 * kS, 1},
                                    {kT0 + 30 * kS, 2},
                                    {kT0 + 40 * kS, 2},
                                    {kT0 + 50 * kS, 3},
                                    {kT0 + 60 * kS, 4}}));
}

TEST(Evaluate, StepsStartAtStartAndStopAtEnd) {
  store::Store s({});
  FillEvery15s(s, {{"__name__", "m"}}, 5);
  // Not aligned to the step: start, start + step, ... <= end, as query_range.
  auto r = EvalOk(s, Query("m", kT0 + 7 * kS, kT0 + 35 * kS, 10 * kS));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(PointsOf(r[0]), (Points{{kT0 + 7 * kS, 0}, {kT0 + 17 * kS, 1}, {kT0 + 27 * kS, 1}}));
  EXPECT_EQ(StepCount(kT0 + 7 * kS, kT0 + 35 * kS, 10 * kS), 3);
  EXPECT_EQ(StepCount(0, 0, 1), 1);
  // Before the first sample nothing is reported.
  auto before = EvalOk(s, Query("m", kT0 - 30 * kS, kT0, 10 * kS));
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(PointsOf(before[0]), (Points{{kT0, 0}}));
}

TEST(Evaluate, LookbackIsClosedAndBounded) {
  store::Store s({});
  Labels l{{"__name__", "m"}};
  ASSERT_TRUE(s.Append(l, kT0, 1).ok());
  ASSERT_TRUE(s.Append(l, kT0 + 10 * kM, 2).ok());
  auto r = EvalOk(s, Query("m", kT0, kT0 + 10 * kM, kM));
  ASSERT_EQ(r.size(), 1u);
  // Default 5m: the sample at kT0 answers up to and including kT0 + 5m.
  EXPECT_EQ(PointsOf(r[0]), (Points{{kT0, 1},
                                    {kT0 + kM, 1},
                                    {kT0 + 2 * kM, 1},
                                    {kT0 + 3 * kM, 1},
                                    {kT0 + 4 * kM, 1},
                                    {kT0 + 5 * kM, 1},
                                    {kT0 + 10 * kM, 2}}));
  auto q = Query("m", kT0, kT0 + 10 * kM, kM);
  q.lookback_ms = 90 * kS;
  auto shorter = EvalOk(s, q);
  ASSERT_EQ(shorter.size(), 1u);
  EXPECT_EQ(PointsOf(shorter[0]), (Points{{kT0, 1}, {kT0 + kM, 1}, {kT0 + 10 * kM, 2}}));
  // A query starting after the lookback has passed still finds the sample.
  auto late = EvalOk(s, Query("m", kT0 + 4 * kM, kT0 + 4 * kM, kM));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(PointsOf(late[0]), (Points{{kT0 + 4 * kM, 1}}));
}

TEST(Evaluate, StalenessMarkersAreNotValues) {
  store::Store s({});
  Labels l{{"__name__", "m"}};
  ASSERT_TRUE(s.Append(l, kT0, 1).ok());
  ASSERT_TRUE(s.Append(l, kT0 + 10 * kS, std::bit_cast<double>(0x7ff0000000000002ULL)).ok());
  ASSERT_TRUE(s.Append(l, kT0 + 20 * kS, std::numeric_limits<double>::quiet_NaN()).ok());
  auto r = EvalOk(s, Query("m", kT0, kT0 + 20 * kS, 10 * kS));
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].points.size(), 3u);
  EXPECT_EQ(r[0].points[1].v, 1);             // the marker is skipped, the older sample answers
  EXPECT_TRUE(std::isnan(r[0].points[2].v));  // an ordinary NaN is a value
}

// Three providers reporting at the same instants: a=1, b=2, c=4 (x step).
store::Store& Fleet() {
  static store::Store* s = [] {
    auto* st = new store::Store({});
    for (int i = 0; i < 4; ++i) {
      const int64_t t = kT0 + i * 30 * kS;
      EXPECT_TRUE(
          st->Append({{"__name__", "score"}, {"provider", "a"}, {"region", "eu"}}, t, 1.0 * (i + 1))
              .ok());
      EXPECT_TRUE(
          st->Append({{"__name__", "score"}, {"provider", "b"}, {"region", "eu"}}, t, 2.0 * (i + 1))
              .ok());
      EXPECT_TRUE(
          st->Append({{"__name__", "score"}, {"provider", "c"}, {"region", "us"}}, t, 4.0 * (i + 1))
              .ok());
      EXPECT_TRUE(st->Append({{"__name__", "other"}, {"provider", "a"}}, t, 100).ok());
    }
    return st;
  }();
  return *s;
}

double AtFirstStep(Aggregation a, double q = 0.5, std::vector<std::string> by = {}) {
  auto query = Query("score", kT0, kT0 + 30 * kS, 30 * kS);
  query.aggregation = a;
  query.quantile = q;
  query.by = std::move(by);
  auto r = EvalOk(Fleet(), query);
  EXPECT_EQ(r.size(), 1u);
  if (r.empty()) return -1;
  EXPECT_TRUE(r[0].labels.empty());
  EXPECT_EQ(r[0].points.size(), 2u);
  // Second step: every value doubled.
  EXPECT_DOUBLE_EQ(r[0].points[1].v,
                   a == Aggregation::kCount ? r[0].points[0].v : 2 * r[0].points[0].v);
  return r[0].points[0].v;
}

TEST(Evaluate, AggregationsAcrossSeries) {
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kSum), 7);
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kAvg), 7.0 / 3);
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kMin), 1);
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kMax), 4);
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kCount), 3);
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kQuantile, 0.5), 2);
  // rank 0.95 × 2 = 1.9: 2 × 0.1 + 4 × 0.9.
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kQuantile, 0.95), 3.8);
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kQuantile, 0), 1);
  EXPECT_DOUBLE_EQ(AtFirstStep(Aggregation::kQuantile, 1), 4);
}

TEST(Evaluate, GroupsByLabels) {
  auto q = Query("score", kT0, kT0, 30 * kS);
  q.aggregation = Aggregation::kSum;
  q.by = {"region"};
  auto r = EvalOk(Fleet(), q);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].labels, (Labels{{"region", "eu"}}));
  EXPECT_EQ(PointsOf(r[0]), (Points{{kT0, 3}}));
  EXPECT_EQ(r[1].labels, (Labels{{"region", "us"}}));
  EXPECT_EQ(PointsOf(r[1]), (Points{{kT0, 4}}));
  // A label a series lacks groups it with the others that lack it.
  q.selectors = {Sel(R"({provider="a"})")};
  q.aggregation = Aggregation::kCount;
  r = EvalOk(Fleet(), q);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].labels.empty());  // `other` has no region
  EXPECT_EQ(r[1].labels, (Labels{{"region", "eu"}}));
}

TEST(Evaluate, OverTimeWindowsAreClosedAndDropTheName) {
  store::Store s({});
  Labels l{{"__name__", "m"}, {"provider", "a"}};
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(s.Append(l, kT0 + i * 10 * kS, i + 1).ok());
  auto at = [&](SeriesFunction f, double q = 0.5) {
    auto query = Query("m", kT0 + 20 * kS, kT0 + 40 * kS, 20 * kS);
    query.function = f;
    query.quantile = q;
    auto r = EvalOk(s, query);
    EXPECT_EQ(r.size(), 1u);
    if (r.empty()) return Points{};
    EXPECT_EQ(r[0].labels, (Labels{{"provider", "a"}}));
    return PointsOf(r[0]);
  };
  // Windows [0 s, 20 s] = 1, 2, 3 and [20 s, 40 s] = 3, 4, 5.
  const int64_t t1 = kT0 + 20 * kS, t2 = kT0 + 40 * kS;
  EXPECT_EQ(at(SeriesFunction::kAvgOverTime), (Points{{t1, 2}, {t2, 4}}));
  EXPECT_EQ(at(SeriesFunction::kSumOverTime), (Points{{t1, 6}, {t2, 12}}));
  EXPECT_EQ(at(SeriesFunction::kMinOverTime), (Points{{t1, 1}, {t2, 3}}));
  EXPECT_EQ(at(SeriesFunction::kMaxOverTime), (Points{{t1, 3}, {t2, 5}}));
  EXPECT_EQ(at(SeriesFunction::kCountOverTime), (Points{{t1, 3}, {t2, 3}}));
  EXPECT_EQ(at(SeriesFunction::kLastOverTime), (Points{{t1, 3}, {t2, 5}}));
  EXPECT_EQ(at(SeriesFunction::kQuantileOverTime, 0.5), (Points{{t1, 2}, {t2, 4}}));
  EXPECT_EQ(at(SeriesFunction::kQuantileOverTime, 0.75), (Points{{t1, 2.5}, {t2, 4.5}}));
  // A wider window reaches back past start.
  auto query = Query("m", kT0 + 50 * kS, kT0 + 50 * kS, 10 * kS);
  query.function = SeriesFunction::kAvgOverTime;
  query.window_ms = 50 * kS;
  auto r = EvalOk(s, query);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(PointsOf(r[0]), (Points{{kT0 + 50 * kS, 3.5}}));
  // A window without samples gives no point.
  query = Query("m", kT0 + 65 * kS, kT0 + 65 * kS, 4 * kS);
  query.function = SeriesFunction::kCountOverTime;
  EXPECT_TRUE(EvalOk(s, query).empty());
}

TEST(Evaluate, MatchersUnionAndNameClashes) {
  auto q = Query(R"(score{provider="a"})", kT0, kT0, 30 * kS);
  q.selectors.push_back(Sel(R"(score{region="eu"})"));
  auto r = EvalOk(Fleet(), q);
  ASSERT_EQ(r.size(), 2u);  // a once, b
  EXPECT_EQ(r[0].labels[1].second, "a");
  EXPECT_EQ(r[1].labels[1].second, "b");
  // Over time, m{p="a"} and n{p="a"} lose their names and clash.
  store::Store s({});
  ASSERT_TRUE(s.Append({{"__name__", "m"}, {"p", "a"}}, kT0, 1).ok());
  ASSERT_TRUE(s.Append({{"__name__", "n"}, {"p", "a"}}, kT0, 2).ok());
  q.selectors = {Sel(R"({p="a"})")};
  EXPECT_EQ(EvalOk(s, q).size(), 2u);
  q.function = SeriesFunction::kAvgOverTime;
  auto clash = Evaluate(s, q, {});
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(clash.status().message().find("same labelset"), std::string::npos);
  auto regex = EvalOk(Fleet(), Query(R"(score{provider=~"a|c", region!~"us"})", kT0, kT0, kS));
  ASSERT_EQ(regex.size(), 1u);
  EXPECT_EQ(regex[0].labels[1].second, "a");
}

TEST(Evaluate, Limits) {
  auto q = Query("score", kT0, kT0 + 90 * kS, 30 * kS);
  auto series = Evaluate(Fleet(), q, {.max_series = 2});
  ASSERT_FALSE(series.ok());
  EXPECT_EQ(series.status().code(), Status::Code::kTooLarge);
  EXPECT_TRUE(Evaluate(Fleet(), q, {.max_series = 3}).ok());
  // Two selectors of two series each: the union is over the limit.
  q.selectors = {Sel(R"(score{region="eu"})"), Sel(R"({provider="c"})")};
  EXPECT_EQ(Evaluate(Fleet(), q, {.max_series = 2}).status().code(), Status::Code::kTooLarge);

  // Points per series, as Prometheus's 11000: (end - start) / step + 1.
  auto points = Query("score", kT0, kT0 + 10999 * kS, kS);
  EXPECT_TRUE(Evaluate(Fleet(), points, {.max_points = 11000}).ok());
  points.end_ms += kS;
  auto too_many = Evaluate(Fleet(), points, {.max_points = 11000});
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(too_many.status().message().find("exceeded maximum resolution of 11000 points"),
            std::string::npos);

  auto range =
      Evaluate(Fleet(), Query("score", kT0, kT0 + 2 * 3600 * kS, kM), {.max_range_ms = 3600 * kS});
  EXPECT_EQ(range.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(range.status().message().find("exceeds the maximum of 3600s"), std::string::npos);

  // 12 samples read (3 series × 4), then 3 × 4 points computed.
  q = Query("score", kT0, kT0 + 90 * kS, 30 * kS);
  EXPECT_TRUE(Evaluate(Fleet(), q, {.max_samples = 12}).ok());
  EXPECT_EQ(Evaluate(Fleet(), q, {.max_samples = 11}).status().code(), Status::Code::kTooLarge);
  // Fewer samples read than points computed: a 1 s step over 90 s.
  q.step_ms = kS;
  auto computed = Evaluate(Fleet(), q, {.max_samples = 100});
  ASSERT_FALSE(computed.ok());
  EXPECT_NE(computed.status().message().find("computes more than 100 points"), std::string::npos);
}

TEST(Evaluate, BadShapes) {
  auto q = Query("score", kT0, kT0, 0);
  EXPECT_EQ(Evaluate(Fleet(), q, {}).status().code(), Status::Code::kInvalidArgument);
  q = Query("score", kT0, kT0 - 1, kS);
  EXPECT_NE(Evaluate(Fleet(), q, {}).status().message().find("end timestamp must not be before"),
            std::string::npos);
  q = Query("score", kT0, kT0, kS);
  q.aggregation = Aggregation::kQuantile;
  q.quantile = 1.5;
  EXPECT_EQ(Evaluate(Fleet(), q, {}).status().code(), Status::Code::kInvalidArgument);
}

TEST(Quantile, AsPromQL) {
  EXPECT_TRUE(std::isnan(Quantile(0.5, {})));
  EXPECT_DOUBLE_EQ(Quantile(0.5, {3, 1, 2}), 2);
  EXPECT_DOUBLE_EQ(Quantile(0.25, {1, 2, 3, 4, 5}), 2);
  EXPECT_DOUBLE_EQ(Quantile(0.9, {10, 20}), 19);
  EXPECT_TRUE(std::isnan(Quantile(0, {2, std::nan(""), 1})));  // NaN sorts first
  EXPECT_DOUBLE_EQ(Quantile(1, {2, std::nan(""), 1}), 2);
  EXPECT_EQ(Quantile(-1, {1}), -std::numeric_limits<double>::infinity());
}

// ---- rendering -------------------------------------------------------------

TEST(Render, PrometheusNumberFormats) {
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(2), "2");
  EXPECT_EQ(FormatValue(-1.5), "-1.5");
  EXPECT_EQ(FormatValue(1e21), "1000000000000000000000");
  EXPECT_EQ(FormatValue(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::denorm_min()).size(), 326u);
  EXPECT_EQ(FormatTimestamp(kT0), "1700000000");
  EXPECT_EQ(FormatTimestamp(kT0 + 500), "1700000000.5");
  EXPECT_EQ(FormatTimestamp(kT0 + 7), "1700000000.007");
  EXPECT_EQ(FormatTimestamp(-1500), "-1.5");
}

TEST(Render, MatrixJsonAndCsv) {
  std::vector<ResultSeries> r = {
      {{{"__name__", "m"}, {"provider", "a,\"x\""}}, {{kT0, 1.5}, {kT0 + 500, 2}}},
      {{{"region", "eu"}}, {{kT0, std::nan("")}}}};
  EXPECT_EQ(
      MatrixJson(r),
      R"({"status":"success","data":{"resultType":"matrix","result":[)"
      R"({"metric":{"__name__":"m","provider":"a,\"x\""},"values":[[1700000000,"1.5"],[1700000000.5,"2"]]},)"
      R"({"metric":{"region":"eu"},"values":[[1700000000,"NaN"]]}]}})");
  EXPECT_EQ(MatrixCsv(r),
            "__name__,provider,region,timestamp,value\n"
            "m,\"a,\"\"x\"\"\",,1700000000,1.5\n"
            "m,\"a,\"\"x\"\"\",,1700000000.5,2\n"
            ",,eu,1700000000,NaN\n");
  EXPECT_EQ(MatrixCsv({}), "timestamp,value\n");
  EXPECT_EQ(ErrorJson("bad_data", "x \"y\""),
            R"({"status":"error","errorType":"bad_data","error":"x \"y\""})");
}

// ---- parameters and the handler ---------------------------------------------

PlainRequest Get(std::multimap<std::string, std::string> params) {
  return {"GET", "/api/v1/history", std::move(params), ""};
}

HistoryHandler Handler(QueryLimits limits = {}) {
  return HistoryHandler(Fleet(), {limits, {}}, [] { return kT0 + 90 * kS; });
}

nlohmann::json Json(const PlainResponse& r) { return nlohmann::json::parse(r.body); }

TEST(Handler, AnswersTheMatrix) {
  auto r = Handler().Handle(Get({{"match[]", R"(score{provider="a"})"},
                                 {"start", "1700000000"},
                                 {"end", "2023-11-14T22:13:50Z"},
                                 {"step", "30s"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"status":"success","data":{"resultType":"matrix","result":[)"
                    R"({"metric":{"__name__":"score","provider":"a","region":"eu"},)"
                    R"("values":[[1700000000,"1"],[1700000030,"2"]]}]}})");
}

TEST(Handler, AggregationsByNameAndCsv) {
  auto r = Handler().Handle(Get({{"match[]", "score"},
                                 {"start", "1700000000"},
                                 {"end", "1700000000"},
                                 {"step", "1"},
                                 {"agg", "p95"},
                                 {"format", "csv"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(r.body, "timestamp,value\n1700000000,3.8\n");
  r = Handler().Handle(Get({{"match[]", "score"},
                            {"start", "1700000000"},
                            {"end", "1700000000"},
                            {"step", "1"},
                            {"agg", "avg"},
                            {"by", "(region)"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto result = Json(r)["data"]["result"];
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[0]["metric"], (nlohmann::json{{"region", "eu"}}));
  EXPECT_EQ(result[0]["values"][0][1], "1.5");
  r = Handler().Handle(Get({{"match[]", "score"},
                            {"start", "1700000090"},
                            {"end", "1700000090"},
                            {"step", "1"},
                            {"agg", "quantile_over_time"},
                            {"quantile", "0.5"},
                            {"window", "90s"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  result = Json(r)["data"]["result"];
  ASSERT_EQ(result.size(), 3u);
  EXPECT_EQ(result[2]["metric"], (nlohmann::json{{"provider", "c"}, {"region", "us"}}));
  EXPECT_EQ(result[2]["values"][0][1], "10");  // median of 4, 8, 12, 16
}

TEST(Handler, DefaultsAndPostForm) {
  // end = now (kT0 + 90 s), start = end - 1h, step = 1h / 250 rounded up to 15 s.
  auto r = Handler().Handle(Get({{"match[]", R"(score{provider="c"})"}}));
  ASSERT_EQ(r.status, 200) << r.body;
  auto values = Json(r)["data"]["result"][0]["values"];
  ASSERT_FALSE(values.empty());
  EXPECT_EQ(values.back()[0], 1700000090);  // start + 240 steps = end
  EXPECT_EQ(values.back()[1], "16");

  PlainRequest post{"POST",
                    "/api/v1/history",
                    {},
                    "match%5B%5D=score%7Bprovider%3D%22b%22%7D&start=1700000000&end=1700000000&"
                    "step=1&agg=sum"};
  r = Handler().Handle(post);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["data"]["result"][0]["values"][0][1], "2");
  // The server may have merged the form already: the same pairs are not doubled.
  post.params = {{"match[]", R"(score{provider="b"})"},
                 {"start", "1700000000"},
                 {"end", "1700000000"},
                 {"step", "1"},
                 {"agg", "sum"}};
  r = Handler().Handle(post);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["data"]["result"][0]["values"][0][1], "2");
}

void ExpectBadData(const std::multimap<std::string, std::string>& params, const std::string& part,
                   int status = 400, const QueryLimits& limits = {}) {
  auto r = Handler(limits).Handle(Get(params));
  EXPECT_EQ(r.status, status) << r.body;
  auto json = Json(r);
  EXPECT_EQ(json["status"], "error");
  EXPECT_EQ(json["errorType"], status == 422 ? "execution" : "bad_data");
  EXPECT_NE(json["error"].get<std::string>().find(part), std::string::npos)
      << json["error"] << " lacks " << part;
}

TEST(Handler, BadInputIs400WithAMessage) {
  ExpectBadData({}, "match[]");
  ExpectBadData({{"match[]", "score{"}}, "parse error at char 7: unclosed '{'");
  ExpectBadData({{"match[]", R"(score{p=~"[")"}}, "unclosed");
  ExpectBadData({{"match[]", R"(score{p=~"["})"}}, "invalid regular expression");
  ExpectBadData({{"match[]", "score"}, {"start", "yesterday"}}, "invalid parameter \"start\"");
  ExpectBadData({{"match[]", "score"}, {"end", "2023-11-14T25:00:00Z"}}, "\"end\"");
  ExpectBadData({{"match[]", "score"}, {"start", "1700000010"}, {"end", "1700000000"}},
                "end timestamp must not be before start time");
  ExpectBadData({{"match[]", "score"}, {"step", "0"}}, "zero or negative");
  ExpectBadData({{"match[]", "score"}, {"step", "-5"}}, "\"step\"");
  ExpectBadData({{"match[]", "score"}, {"agg", "median"}}, "one of none, sum");
  ExpectBadData({{"match[]", "score"}, {"agg", "quantile"}}, "needs it");
  ExpectBadData({{"match[]", "score"}, {"agg", "quantile"}, {"quantile", "1.5"}}, "[0, 1]");
  ExpectBadData({{"match[]", "score"}, {"agg", "p99"}, {"quantile", "0.5"}}, "already sets it");
  ExpectBadData({{"match[]", "score"}, {"by", "region"}}, "needs an aggregation");
  ExpectBadData({{"match[]", "score"}, {"agg", "sum"}, {"by", "re-gion"}}, "not a label name");
  ExpectBadData({{"match[]", "score"}, {"window", "5m"}}, "_over_time");
  ExpectBadData({{"match[]", "score"}, {"format", "xml"}}, "json or csv");
  ExpectBadData({{"match[]", "score"}, {"query", "up"}}, "unknown parameter \"query\"");
  ExpectBadData({{"match[]", "score"}, {"step", "1"}, {"step", "2"}}, "more than once");
  auto r = Handler().Handle({"DELETE", "/api/v1/history", {}, ""});
  EXPECT_EQ(r.status, 405);
}

TEST(Handler, LimitsAnswer422Or400) {
  ExpectBadData({{"match[]", "score"}}, "more than the limit of 2", 422, {.max_series = 2});
  ExpectBadData({{"match[]", "score"}, {"step", "1"}}, "exceeded maximum resolution", 400,
                {.max_points = 100});
  ExpectBadData({{"match[]", "score"}, {"start", "0"}}, "exceeds the maximum", 400,
                {.max_range_ms = 24 * 3600 * kS});
  // 3 series × 91 one-second steps from the first sample to now.
  ExpectBadData({{"match[]", "score"}, {"step", "1"}}, "more than 200 points", 422,
                {.max_samples = 200});
}

}  // namespace
}  // namespace depin::query
