#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "common/file.h"
#include "report/handler.h"
#include "report/render.h"
#include "report/report.h"
#include "report/scheduler.h"
#include "report/svg.h"

namespace depin::report {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kNow = 1'800'000'000'000;  // 2027-01-15T08:00:00Z

analytics::ProviderScore Provider(const std::string& id, const std::string& region,
                                  std::optional<int> rank, std::optional<int> tier,
                                  std::optional<double> reputation) {
  analytics::ProviderScore p;
  p.facts.id = id;
  p.facts.attributes = {{"region", region}, {"gpu_model", "A100"}};
  p.facts.price = 2.0;
  p.facts.gpus_total = 8;
  p.facts.gpus_allocated = 4;
  p.rank = rank;
  p.tier_level = tier;
  p.reputation.score = reputation;
  if (reputation) {
    p.performance.score = *reputation - 1;
    p.performance.confidence = 0.9;
    p.statistics.reliability.uptime_ratio = 0.99;
    p.statistics.cost.cost_per_job = 0.5;
    p.statistics.cost.score_per_dollar = p.performance.score.value() / 2.0;
  }
  return p;
}

// Eight providers: six gold (ranks 1..6), one silver (rank 7), one unscored.
evaluate::Evaluation SyntheticEvaluation() {
  evaluate::Evaluation e;
  e.config = DefaultConfig();
  e.at_ms = kNow;
  auto& b = e.board;
  const std::vector<std::string> ids = {"g1", "g2", "g3", "g4", "g5", "g6", "s1", "new"};
  for (int i = 0; i < 6; ++i) {
    b.providers.push_back(Provider(ids[i], i % 2 ? "eu" : "us", i + 1, 3, 94.0 - i));
  }
  b.providers.push_back(Provider("s1", "eu", 7, 2, 80.0));
  b.providers.push_back(Provider("new", "us", std::nullopt, std::nullopt, std::nullopt));
  std::sort(b.providers.begin(), b.providers.end(),
            [](const auto& x, const auto& y) { return x.facts.id < y.facts.id; });
  b.providers_per_tier = {0, 0, 1, 6, 0};
  b.scored = 7;
  b.network.regions = {{"eu", 4, 1, 32, 16, false}, {"us", 4, 0, 32, 30, false}};
  b.exhaustion_seconds = {{"eu", std::numeric_limits<double>::infinity()}, {"us", 7200}};
  return e;
}

void Append(store::Store& s, const std::string& name, store::Labels labels, int64_t t, double v) {
  labels.emplace_back("__name__", name);
  ASSERT_TRUE(s.Append(labels, t, v).ok()) << name;
}

// History for a 24h period: g6 rose from 60 to its 89 now, s1 fell from 90
// to 80, g1 moved by 1; a sample before the period must be ignored.
void FillHistory(store::Store& s) {
  const int64_t from = kNow - 24 * kHour;
  Append(s, "depin_provider_reputation_score", {{"provider", "g6"}}, from - kHour, 10);
  Append(s, "depin_provider_reputation_score", {{"provider", "g6"}}, from + kHour, 60);
  Append(s, "depin_provider_reputation_score", {{"provider", "g6"}}, kNow, 89);
  Append(s, "depin_provider_rank", {{"provider", "g6"}}, from + kHour, 7);
  Append(s, "depin_provider_rank", {{"provider", "g6"}}, kNow, 6);
  Append(s, "depin_provider_reputation_score", {{"provider", "s1"}}, from + 2 * kHour, 90);
  Append(s, "depin_provider_reputation_score", {{"provider", "s1"}}, kNow, 80);
  Append(s, "depin_provider_rank", {{"provider", "s1"}}, from + 2 * kHour, 1);
  Append(s, "depin_provider_rank", {{"provider", "s1"}}, kNow, 7);
  Append(s, "depin_provider_reputation_score", {{"provider", "g1"}}, from + kHour, 93);
  Append(s, "depin_provider_reputation_score", {{"provider", "g1"}}, kNow, 94);
  // Anomaly counter of g2: 0, 1, 1, 3, then a restart (back to 1): 1+2+1 = 4 episodes.
  const double counts[] = {0, 1, 1, 3, 1};
  for (int i = 0; i < 5; ++i) {
    Append(s, "depin_provider_anomalies_total", {{"provider", "g2"}, {"signal", "uptime"}},
           from + (i + 1) * kHour, counts[i]);
  }
  for (int i = 0; i <= 24; ++i) {
    const int64_t t = from + i * kHour;
    Append(s, "depin_network_utilization_by_region_ratio", {{"region", "us"}}, t,
           0.5 + 0.4 * i / 24.0);
    Append(s, "depin_network_correlated_failure", {{"region", "eu"}}, t,
           (i == 3 || i == 4 || i == 10) ? 1 : 0);
  }
}

std::vector<analytics::AuditRecord> SyntheticAudit() {
  const int64_t from = kNow - 24 * kHour;
  return {
      {from - kHour, "g3", "penalty", "outage", 0, 5, ""},  // before the period
      {from + kHour, "g3", "penalty", "outage", 0, 5, ""},
      {from + 5 * kHour, "s1", "tier", "tier thresholds with hysteresis", 3, 2, ""},
      {from + 6 * kHour, "g6", "tier", "tier thresholds with hysteresis", 2, 3, ""},  // promotion
      {from + 7 * kHour, "s1", "penalty", "sla_breach", 5, 8, ""},
  };
}

Report Build(const evaluate::Evaluation& e, const store::Store* history,
             int64_t period = 24 * kHour) {
  ReportInputs in;
  in.latest = &e;
  in.audit = SyntheticAudit();
  in.history = history;
  in.period_ms = period;
  in.now_ms = kNow;
  auto r = BuildReport(in);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : Report{};
}

const ProviderRow& Row(const Report& r, const std::string& id) {
  for (const auto& row : r.rows) {
    if (row.provider == id) return row;
  }
  ADD_FAILURE() << "no row " << id;
  static ProviderRow none;
  return none;
}

TEST(Report, RowsInRankOrderAndLeadersAreTheTopOfEachTier) {
  auto e = SyntheticEvaluation();
  Report r = Build(e, nullptr);
  ASSERT_EQ(r.rows.size(), 8u);
  std::vector<std::string> order;
  for (const auto& row : r.rows) order.push_back(row.provider);
  EXPECT_EQ(order, (std::vector<std::string>{"g1", "g2", "g3", "g4", "g5", "g6", "s1", "new"}));
  // Five leaders per tier by default: g6 is gold but sixth.
  std::vector<std::string> gold;
  for (size_t i : r.tiers[3].leaders) gold.push_back(r.rows[i].provider);
  EXPECT_EQ(gold, (std::vector<std::string>{"g1", "g2", "g3", "g4", "g5"}));
  EXPECT_EQ(Row(r, "g1").leader_position, 1);
  EXPECT_EQ(Row(r, "g5").leader_position, 5);
  EXPECT_FALSE(Row(r, "g6").leader_position.has_value());
  ASSERT_EQ(r.tiers[2].leaders.size(), 1u);
  EXPECT_EQ(r.rows[r.tiers[2].leaders[0]].provider, "s1");
  EXPECT_EQ(r.tiers[3].providers, 6);
  EXPECT_NEAR(*r.tiers[3].mean_reputation, (94 + 93 + 92 + 91 + 90 + 89) / 6.0, 1e-9);
  EXPECT_EQ(r.tiers[4].providers, 0);
  EXPECT_FALSE(r.tiers[4].mean_reputation.has_value());
  EXPECT_EQ(r.tiers[3].gpus_total, 48);

  ReportOptions two;
  two.leaders_per_tier = 2;
  ReportInputs in{&e, {}, nullptr, kHour, kNow};
  auto small = BuildReport(in, two);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->tiers[3].leaders.size(), 2u);
}

TEST(Report, MoversComeFromTheHistoryWithinThePeriod) {
  auto e = SyntheticEvaluation();
  store::Store history({});
  FillHistory(history);
  Report r = Build(e, &history);
  const ProviderRow& g6 = Row(r, "g6");
  ASSERT_TRUE(g6.reputation_start.has_value());
  EXPECT_EQ(*g6.reputation_start, 60);  // not the sample before the period
  EXPECT_NEAR(*g6.reputation_change(), 29, 1e-9);
  EXPECT_EQ(g6.rank_start, 7);
  EXPECT_EQ(g6.rank_change(), 1);
  EXPECT_EQ(g6.reputation_history.size(), 2u);
  const ProviderRow& s1 = Row(r, "s1");
  EXPECT_NEAR(*s1.reputation_change(), -10, 1e-9);
  EXPECT_EQ(s1.rank_change(), -6);
  std::vector<std::string> movers;
  for (size_t i : r.movers) movers.push_back(r.rows[i].provider);
  EXPECT_EQ(movers, (std::vector<std::string>{"g6", "s1", "g1"}));
  EXPECT_FALSE(Row(r, "g2").reputation_change().has_value());

  // A 12h period starts after g6's and s1's first samples in the 24h one.
  Report half = Build(e, &history, 12 * kHour);
  EXPECT_EQ(Row(half, "g6").reputation_start, 89);
  EXPECT_EQ(half.movers.size(), 3u);
}

TEST(Report, IncidentsFromTheAuditTrailAndTheHistory) {
  auto e = SyntheticEvaluation();
  store::Store history({});
  FillHistory(history);
  Report r = Build(e, &history);
  // Penalties: 2 in the period (one before it); demotions: s1 only.
  EXPECT_EQ(r.incident_counts[0], 2);
  EXPECT_EQ(r.incident_counts[1], 1);
  EXPECT_EQ(r.incident_counts[2], 3);  // g2's anomaly rises: +1, +2, restart +1 = 3 rises
  EXPECT_EQ(r.incident_counts[3], 2);  // eu's flag rose twice
  EXPECT_EQ(Row(r, "g3").penalties, 1);
  EXPECT_EQ(Row(r, "s1").penalties, 1);
  EXPECT_EQ(Row(r, "s1").demotions, 1);
  EXPECT_EQ(Row(r, "g6").demotions, 0);
  EXPECT_EQ(Row(r, "g2").anomalies, 4);
  for (size_t i = 1; i < r.incidents.size(); ++i) {
    EXPECT_GE(r.incidents[i - 1].at_ms, r.incidents[i].at_ms) << "newest first";
  }
  bool demotion_named = false;
  for (const auto& i : r.incidents) {
    if (i.kind == "demotion") demotion_named = i.detail == "gold -> silver" && i.subject == "s1";
  }
  EXPECT_TRUE(demotion_named);

  // Without history: only the audit trail.
  Report bare = Build(e, nullptr);
  EXPECT_EQ(bare.incident_counts[0], 2);
  EXPECT_EQ(bare.incident_counts[2], 0);
  EXPECT_TRUE(bare.movers.empty());
}

TEST(Report, CapacityAndCostByRegion) {
  auto e = SyntheticEvaluation();
  store::Store history({});
  FillHistory(history);
  Report r = Build(e, &history);
  ASSERT_EQ(r.regions.size(), 2u);
  const RegionSummary& us = r.regions[1];
  EXPECT_EQ(us.region, "us");
  EXPECT_NEAR(*us.utilisation, 30.0 / 32, 1e-9);
  EXPECT_NEAR(*us.utilisation_min, 0.5, 1e-9);
  EXPECT_NEAR(*us.utilisation_max, 0.9, 1e-9);
  EXPECT_NEAR(*us.utilisation_mean, 0.7, 1e-9);
  EXPECT_EQ(us.utilisation_history.size(), 25u);
  // Thinned for the charts: at most one point per bucket, the newest kept.
  ReportOptions thin;
  thin.chart_points = 5;
  ReportInputs in{&e, {}, &history, 24 * kHour, kNow};
  auto few = BuildReport(in, thin);
  ASSERT_TRUE(few.ok());
  const auto& points = few->regions[1].utilisation_history;
  EXPECT_GE(points.size(), 5u);
  EXPECT_LE(points.size(), 7u);
  EXPECT_EQ(points.front().t, kNow - 24 * kHour);  // the line starts where the history does
  EXPECT_NEAR(points.front().v, 0.5, 1e-9);
  EXPECT_EQ(points.back().t, kNow);
  EXPECT_NEAR(points.back().v, 0.9, 1e-9);
  EXPECT_NEAR(*few->regions[1].utilisation_mean, 0.7, 1e-9) << "statistics use every sample";
  EXPECT_EQ(us.exhaustion_seconds, 7200);
  EXPECT_TRUE(std::isinf(*r.regions[0].exhaustion_seconds));
  EXPECT_FALSE(r.regions[0].utilisation_mean.has_value());
  // us: g1 (93/2), g3 (91/2), g5 (89/2) scored; "new" has no cost figures.
  EXPECT_NEAR(*us.cost.mean_cost_efficiency, (93 + 91 + 89) / 6.0, 1e-9);
  EXPECT_NEAR(*us.cost.mean_cost_per_job, 0.5, 1e-9);
}

// Splits RFC 4180 text into rows of fields.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.emplace_back(1);
      ++i;
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

TEST(ReportCsv, OneRowPerProviderUnderTheDocumentedHeader) {
  auto e = SyntheticEvaluation();
  e.board.providers[0].facts.id = "a,\"quoted\"";  // sorted first: "a,..." < "g1"
  store::Store history({});
  FillHistory(history);
  Report r = Build(e, &history);
  auto rows = ParseCsv(RenderCsv(r));
  ASSERT_EQ(rows.size(), 1 + r.rows.size());
  EXPECT_EQ(rows[0], CsvColumns());
  std::map<std::string, std::map<std::string, std::string>> by_provider;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), CsvColumns().size()) << i;
    std::map<std::string, std::string> m;
    for (size_t c = 0; c < rows[i].size(); ++c) m[CsvColumns()[c]] = rows[i][c];
    by_provider[m["provider"]] = m;
  }
  EXPECT_EQ(by_provider.count("a,\"quoted\""), 1u);
  auto& g6 = by_provider["g6"];
  EXPECT_EQ(g6["period_start"], "2027-01-14T08:00:00Z");
  EXPECT_EQ(g6["period_end"], "2027-01-15T08:00:00Z");
  EXPECT_EQ(g6["tier"], "gold");
  EXPECT_EQ(g6["rank"], "6");
  EXPECT_EQ(g6["tier_leader_position"], "");
  EXPECT_EQ(g6["reputation"], "89");
  EXPECT_EQ(g6["reputation_start"], "60");
  EXPECT_EQ(g6["reputation_change"], "29");
  EXPECT_EQ(g6["rank_change"], "1");
  EXPECT_EQ(g6["cost_efficiency"], "44");
  EXPECT_EQ(g6["region"], "eu");
  auto& s1 = by_provider["s1"];
  EXPECT_EQ(s1["tier"], "silver");
  EXPECT_EQ(s1["tier_leader_position"], "1");
  EXPECT_EQ(s1["penalties"], "1");
  EXPECT_EQ(s1["tier_demotions"], "1");
  EXPECT_EQ(by_provider["g2"]["anomalies"], "4");
  auto& fresh = by_provider["new"];
  EXPECT_EQ(fresh["tier"], "");
  EXPECT_EQ(fresh["rank"], "");
  EXPECT_EQ(fresh["reputation"], "");
  EXPECT_EQ(fresh["gpus_total"], "8");
}

// Checks that every non-void element is closed in order; returns the first problem.
std::string CheckWellFormed(const std::string& html, std::map<std::string, int>* counts) {
  static const std::set<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> open;
  size_t i = html.find("<html");
  if (i == std::string::npos) return "no <html>";
  while ((i = html.find('<', i)) != std::string::npos) {
    size_t end = html.find('>', i);
    if (end == std::string::npos) return "unterminated tag";
    std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return "empty tag";
    const bool closing = tag[0] == '/';
    const bool self_closing = tag.back() == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" /"));
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> closes <" + (open.empty() ? "" : open.back()) + ">";
      }
      open.pop_back();
    } else {
      ++(*counts)[name];
      if (!self_closing && !kVoid.count(name)) open.push_back(name);
    }
    // No raw '<' or '>' may appear in text: the escaping must have caught it.
    size_t next = html.find('<', i);
    std::string text = html.substr(i, next == std::string::npos ? std::string::npos : next - i);
    if (text.find('>') != std::string::npos) return "raw '>' in text after <" + name + ">";
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  return "";
}

TEST(ReportHtml, WellFormedSelfContainedWithSvgCharts) {
  auto e = SyntheticEvaluation();
  e.board.providers[0].facts.id = "<script>alert(1)</script>";
  store::Store history({});
  FillHistory(history);
  Report r = Build(e, &history);
  const std::string html = RenderHtml(r);
  ASSERT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  std::map<std::string, int> counts;
  EXPECT_EQ(CheckWellFormed(html, &counts), "");
  // Tiers, leaders, movers, two cost charts, utilisation now and over time.
  EXPECT_EQ(counts["svg"], 7);
  EXPECT_GE(counts["polyline"], 2);  // movers and the us utilisation line
  EXPECT_GE(counts["rect"], 10);
  EXPECT_EQ(counts["script"], 0);
  EXPECT_EQ(counts["link"], 0);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  for (const char* id : {"g2", "g6", "s1", "new"}) {
    EXPECT_NE(html.find(std::string(">") + id + "<"), std::string::npos) << id;
  }
  for (const char* section :
       {"Leaders", "Movers", "Incidents", "Cost efficiency", "Capacity outlook",
        "gold -&gt; silver", "in 2.0 h", "not within 1w"}) {
    EXPECT_NE(html.find(section), std::string::npos) << section;
  }
  // The movers' chart starts at their oldest sample (09:00), not at the
  // period's start (08:00), which has no history to draw.
  EXPECT_NE(html.find(">09:00:00<"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"))
      << "no external resource";

  // Without history the document stays well formed and says so.
  Report bare = Build(e, nullptr);
  counts.clear();
  const std::string plain = RenderHtml(bare);
  EXPECT_EQ(CheckWellFormed(plain, &counts), "");
  EXPECT_NE(plain.find("movers need the derived-series store"), std::string::npos);
}

TEST(ReportSvg, BarLengthsAreProportionalAndEmptyChartsSaySo) {
  std::string svg = BarChart("t", {{"a", 50, ""}, {"b", 100, ""}}, "%.0f", 100);
  EXPECT_NE(svg.find("width=\"150.0\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("width=\"300.0\""), std::string::npos) << svg;
  EXPECT_NE(BarChart("t", {}, "%.0f").find("no data"), std::string::npos);
  EXPECT_NE(LineChart("t", {{"x", {}}}, 0, 10, 0, 1, "%.0f").find("no history"), std::string::npos);
  EXPECT_EQ(EscapeXml("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(ReportPeriod, ParsedAndBounded) {
  const int64_t max = 7 * 24 * kHour;
  EXPECT_EQ(ParsePeriod("24h", max).value(), 24 * kHour);
  EXPECT_EQ(ParsePeriod("7d", max).value(), max);
  for (const char* bad : {"", "0s", "-1h", "abc", "24", "1y2"}) {
    auto p = ParsePeriod(bad, max);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("period"), std::string::npos);
  }
  auto over = ParsePeriod("8d", max);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("at most 1w"), std::string::npos)
      << over.status().message();
  EXPECT_FALSE(BuildReport(ReportInputs{}).ok());
}

TEST(ReportConfig, ParsedMergedAndValidated) {
  const Config defaults = DefaultConfig();
  EXPECT_FALSE(defaults.reports.enabled);
  EXPECT_EQ(defaults.reports.interval_ms, 24 * kHour);
  EXPECT_EQ(defaults.reports.period_ms, 24 * kHour);
  EXPECT_EQ(defaults.reports.max_period_ms, 7 * 24 * kHour);
  EXPECT_EQ(defaults.reports.keep, 30);
  EXPECT_EQ(defaults.reports.directory, "");
  auto c = ParseConfig("reports: {enabled: true, interval: 10s, period: 2d, max_period: 3d}");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->reports.enabled);
  EXPECT_EQ(c->reports.interval_ms, 10'000);
  EXPECT_EQ(c->reports.period_ms, 48 * kHour);
  EXPECT_EQ(c->reports.keep, 30);  // merged over the defaults
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"reports: {colour: red}", "reports.colour"},
           {"reports: {interval: 500ms}", "reports.interval"},
           {"reports: {keep: 0}", "reports.keep"},
           {"reports: {period: 8d}", "reports.period"},
           {"reports: {period: 2d, max_period: 1d}", "reports.period"},
           {"reports: {enabled: maybe}", "reports.enabled"},
           {"reports: []", "reports"}}) {
    auto bad = ParseConfig(yaml);
    ASSERT_FALSE(bad.ok()) << yaml;
    EXPECT_NE(bad.status().message().find(key), std::string::npos) << bad.status().message();
  }
}

TEST(ReportHandler, ValidatesParametersAndServesBothFormats) {
  auto e = std::make_shared<evaluate::Evaluation>(SyntheticEvaluation());
  std::shared_ptr<const evaluate::Evaluation> latest;
  ReportSources sources{[&latest] { return latest; }, [] { return SyntheticAudit(); }, nullptr};
  ReportHandler handler(sources, 24 * kHour, 7 * 24 * kHour);
  auto get = [&](std::multimap<std::string, std::string> params, std::string method = "GET") {
    return handler.Handle({method, "/api/v1/reports", std::move(params), ""});
  };
  EXPECT_EQ(get({}).status, 503);
  latest = e;
  auto html = get({});
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_NE(html.body.find("last 1d"), std::string::npos);
  auto csv = get({{"period", "7d"}, {"format", "csv"}});
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("period_start,period_end,provider,", 0), 0u);
  EXPECT_NE(csv.body.find("2027-01-08T08:00:00Z"), std::string::npos);
  for (const auto& [params, needle] :
       std::vector<std::pair<std::multimap<std::string, std::string>, std::string>>{
           {{{"period", "8d"}}, "at most 1w"},
           {{{"period", "x"}}, "period"},
           {{{"format", "pdf"}}, "html or csv"},
           {{{"colour", "red"}}, "unknown parameter"},
           {{{"format", "csv"}, {"format", "html"}}, "repeated"}}) {
    auto r = get(params);
    EXPECT_EQ(r.status, 400) << needle;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_NE(r.body.find(needle), std::string::npos) << r.body;
  }
  EXPECT_EQ(get({}, "POST").status, 405);
}

double MetricValue(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    const auto& m = family.metric[0];
    return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
  }
  return -1;
}

TEST(ReportScheduler, WritesBothFilesAtomicallyAndKeepsTheNewest) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("depin-report-test-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  auto e = std::make_shared<evaluate::Evaluation>(SyntheticEvaluation());
  std::shared_ptr<const evaluate::Evaluation> latest;
  store::Store history({});
  FillHistory(history);
  prometheus::Registry registry;
  std::ostringstream sink;
  std::FILE* devnull = std::fopen("/dev/null", "w");
  Logger log(LogLevel::kError, devnull);
  ReportScheduler scheduler(
      {.interval_ms = 60'000, .period_ms = 24 * kHour, .directory = dir, .keep = 2},
      {[&latest] { return latest; }, [] { return SyntheticAudit(); }, &history}, registry, log);
  // Before the first evaluation: skipped, neither a report nor a failure.
  EXPECT_EQ(scheduler.GenerateNow(kNow).code(), Status::Code::kUnavailable);
  EXPECT_EQ(MetricValue(registry, "depin_sidecar_reports_generated_total"), 0);
  EXPECT_EQ(MetricValue(registry, "depin_sidecar_report_failures_total"), 0);
  latest = e;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(scheduler.GenerateNow(kNow + i * 1000).ok());
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"report-20270115T080001Z.html", "report-20270115T080001Z.csv",
                                   "report-20270115T080002Z.html", "report-20270115T080002Z.csv"}));
  std::ifstream csv(dir + "/report-20270115T080002Z.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("period_start,period_end,provider", 0), 0u);
  EXPECT_EQ(MetricValue(registry, "depin_sidecar_reports_generated_total"), 3);
  EXPECT_EQ(MetricValue(registry, "depin_sidecar_report_last_success_timestamp_seconds"),
            (kNow + 2000) / 1000.0);

  // An unwritable directory (a file in its place) is a counted failure.
  std::filesystem::remove_all(dir);
  std::ofstream(dir) << "not a directory";
  EXPECT_FALSE(scheduler.GenerateNow(kNow + 5000).ok());
  EXPECT_EQ(MetricValue(registry, "depin_sidecar_report_failures_total"), 1);
  std::filesystem::remove_all(dir);
  std::fclose(devnull);
}

TEST(ReportScheduler, PruneKeepsOnlyReportFilesOfTheExtension) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("depin-prune-test-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const char* name :
       {"report-20270101T000000Z.html", "report-20270102T000000Z.html",
        "report-20270103T000000Z.html", "report-20270101T000000Z.csv", "notes.html"}) {
    std::ofstream(dir + "/" + name) << "x";
  }
  auto removed = PruneReports(dir, ".html", 1);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed.value(), 2);
  EXPECT_TRUE(std::filesystem::exists(dir + "/report-20270103T000000Z.html"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/report-20270101T000000Z.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/notes.html"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/report-20270102T000000Z.html"));
  EXPECT_TRUE(WriteFileAtomically(dir + "/a.txt", "hello").ok());
  EXPECT_FALSE(std::filesystem::exists(dir + "/a.txt.tmp"));
  EXPECT_FALSE(WriteFileAtomically(dir + "/missing/a.txt", "x").ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace depin::report
