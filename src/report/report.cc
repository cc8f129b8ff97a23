#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>

#include "common/duration.h"

namespace depin::report {
namespace {

constexpr std::array<const char*, 4> kIncidentKinds = {"penalty", "demotion", "anomaly",
                                                       "correlated_failure"};

int KindIndex(std::string_view kind) {
  for (size_t i = 0; i < kIncidentKinds.size(); ++i) {
    if (kind == kIncidentKinds[i]) return static_cast<int>(i);
  }
  return -1;
}

std::string Attribute(const analytics::ProviderFacts& facts, const std::string& name) {
  for (const auto& [k, v] : facts.attributes) {
    if (k == name && !v.empty()) return v;
  }
  return "unknown";
}

// Samples of the series matching `matchers` within [from, to], by series.
Result<std::vector<store::SeriesData>> History(const store::Store& store,
                                               std::vector<store::Matcher> matchers, int64_t from,
                                               int64_t to) {
  return store.Select(matchers, from, to, store::SelectMode::kSamples, store::QueryLimits{});
}

store::Matcher Eq(std::string name, std::string value) {
  return {store::Matcher::Type::kEq, std::move(name), std::move(value)};
}

std::string LabelOf(const store::Labels& labels, std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return {};
}

// The first sample, then the last sample of each of `max_points` equal time
// buckets over [from, to]: a line starts where the history starts and ends
// at the newest value, with at most max_points + 2 points.
std::vector<Point> Thin(const std::vector<store::SamplePoint>& samples, int64_t from, int64_t to,
                        int max_points) {
  std::vector<Point> out;
  if (samples.empty() || max_points <= 0) return out;
  const double width = std::max<double>(1.0, static_cast<double>(to - from) / max_points);
  std::optional<int64_t> bucket;  // of out.back(); none for the first sample
  for (const auto& s : samples) {
    if (!std::isfinite(s.v)) continue;
    const auto b = static_cast<int64_t>(static_cast<double>(s.t - from) / width);
    if (bucket == b) {
      out.back() = {s.t, s.v};
    } else {
      bucket = out.empty() ? std::nullopt : std::optional<int64_t>(b);
      out.push_back({s.t, s.v});
    }
  }
  return out;
}

template <typename T, typename F>
std::optional<double> MeanOf(const std::vector<T>& items, F value) {
  double sum = 0;
  int n = 0;
  for (const auto& item : items) {
    if (auto v = value(item); v && std::isfinite(*v)) {
      sum += *v;
      ++n;
    }
  }
  if (n == 0) return std::nullopt;
  return sum / n;
}

CostSummary Costs(const std::vector<const ProviderRow*>& rows) {
  CostSummary c;
  c.mean_price = MeanOf(rows, [](const ProviderRow* r) { return r->price; });
  c.mean_cost_per_job = MeanOf(rows, [](const ProviderRow* r) { return r->cost_per_job; });
  c.mean_cost_efficiency = MeanOf(rows, [](const ProviderRow* r) { return r->cost_efficiency; });
  return c;
}

ProviderRow RowOf(const analytics::ProviderScore& p, const Config& config) {
  ProviderRow r;
  r.provider = p.facts.id;
  r.region = Attribute(p.facts, config.network.region_label);
  r.gpu_model = Attribute(p.facts, config.network.gpu_model_label);
  r.tier = p.tier_level;
  r.rank = p.rank;
  r.reputation = p.reputation.score;
  r.performance = p.performance.score;
  r.confidence = p.performance.confidence;
  if (p.performance.score) {
    r.uptime = p.statistics.reliability.uptime_ratio;
    r.cost_per_job = p.statistics.cost.cost_per_job;
    r.cost_efficiency = p.statistics.cost.score_per_dollar;
  }
  r.price = p.facts.price;
  r.gpus_total = p.facts.gpus_total.value_or(0);
  r.gpus_allocated = p.facts.gpus_allocated.value_or(0);
  return r;
}

// Audit records in the period become incidents and per-provider counts.
void AddAuditIncidents(const std::vector<analytics::AuditRecord>& audit, int64_t from, int64_t to,
                       std::map<std::string, ProviderRow*>& by_id, Report& report) {
  for (const auto& a : audit) {
    if (a.timestamp_ms < from || a.timestamp_ms > to) continue;
    auto it = by_id.find(a.provider);
    if (a.kind == "penalty") {
      report.incidents.push_back(
          {a.timestamp_ms, "penalty", a.provider,
           a.rule + " (" + std::to_string(static_cast<int>(std::lround(a.after - a.before))) +
               " points)"});
      if (it != by_id.end()) ++it->second->penalties;
    } else if (a.kind == "tier" && a.after < a.before) {
      const int before = static_cast<int>(a.before), after = static_cast<int>(a.after);
      report.incidents.push_back({a.timestamp_ms, "demotion", a.provider,
                                  std::string(analytics::TierName(before)) + " -> " +
                                      std::string(analytics::TierName(after))});
      if (it != by_id.end()) ++it->second->demotions;
    }
  }
}

// Anomaly episodes begun in the period: every rise of
// depin_provider_anomalies_total between consecutive samples (a drop is a
// restart of the sidecar: the counter began again from 0).
Status AddAnomalies(const store::Store& store, int64_t from, int64_t to, ProviderRow& row,
                    Report& report) {
  auto series = History(
      store, {Eq("__name__", "depin_provider_anomalies_total"), Eq("provider", row.provider)}, from,
      to);
  if (!series.ok()) return series.status();
  for (const auto& s : series.value()) {
    const std::string signal = LabelOf(s.labels, "signal");
    for (size_t i = 1; i < s.samples.size(); ++i) {
      const double prev = s.samples[i - 1].v, cur = s.samples[i].v;
      const double rise = cur >= prev ? cur - prev : cur;
      if (!(rise >= 1)) continue;
      const int episodes = static_cast<int>(rise);
      row.anomalies += episodes;
      report.incidents.push_back(
          {s.samples[i].t, "anomaly", row.provider,
           signal + (episodes > 1 ? " (" + std::to_string(episodes) + " episodes)" : "")});
    }
  }
  return Status::Ok();
}

// Reputation and rank at the start of the period, and the reputation history.
Status AddProviderHistory(const store::Store& store, int64_t from, int64_t to, int chart_points,
                          ProviderRow& row) {
  auto rep = History(
      store, {Eq("__name__", "depin_provider_reputation_score"), Eq("provider", row.provider)},
      from, to);
  if (!rep.ok()) return rep.status();
  if (!rep->empty() && !rep->front().samples.empty()) {
    const auto& samples = rep->front().samples;
    row.reputation_start = samples.front().v;
    row.reputation_history = Thin(samples, from, to, chart_points);
  }
  auto rank = History(store, {Eq("__name__", "depin_provider_rank"), Eq("provider", row.provider)},
                      from, to);
  if (!rank.ok()) return rank.status();
  if (!rank->empty() && !rank->front().samples.empty()) {
    row.rank_start = static_cast<int>(std::lround(rank->front().samples.front().v));
  }
  return Status::Ok();
}

Status AddRegionHistory(const store::Store& store, int64_t from, int64_t to, int chart_points,
                        Report& report) {
  auto series =
      History(store, {Eq("__name__", "depin_network_utilization_by_region_ratio")}, from, to);
  if (!series.ok()) return series.status();
  for (const auto& s : series.value()) {
    const std::string region = LabelOf(s.labels, "region");
    auto it = std::find_if(report.regions.begin(), report.regions.end(),
                           [&](const RegionSummary& r) { return r.region == region; });
    if (it == report.regions.end()) continue;  // a region gone since
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    int n = 0;
    for (const auto& p : s.samples) {
      if (!std::isfinite(p.v)) continue;
      lo = std::min(lo, p.v);
      hi = std::max(hi, p.v);
      sum += p.v;
      ++n;
    }
    if (n > 0) {
      it->utilisation_min = lo;
      it->utilisation_max = hi;
      it->utilisation_mean = sum / n;
    }
    it->utilisation_history = Thin(s.samples, from, to, chart_points);
  }
  // A correlated failure is an incident when the region's flag rises.
  auto flags = History(store, {Eq("__name__", "depin_network_correlated_failure")}, from, to);
  if (!flags.ok()) return flags.status();
  for (const auto& s : flags.value()) {
    for (size_t i = 0; i < s.samples.size(); ++i) {
      const bool up = s.samples[i].v >= 1;
      const bool was = i > 0 && s.samples[i - 1].v >= 1;
      if (up && !was) {
        report.incidents.push_back({s.samples[i].t, "correlated_failure",
                                    LabelOf(s.labels, "region"),
                                    "several providers of the region down together"});
      }
    }
  }
  return Status::Ok();
}

bool RankedBefore(const ProviderRow& a, const ProviderRow& b) {
  if (a.rank.has_value() != b.rank.has_value()) return a.rank.has_value();
  if (a.rank && *a.rank != *b.rank) return *a.rank < *b.rank;
  return a.provider < b.provider;
}

}  // namespace

const std::array<const char*, 4>& IncidentKinds() { return kIncidentKinds; }

std::optional<double> ProviderRow::reputation_change() const {
  if (!reputation || !reputation_start) return std::nullopt;
  return *reputation - *reputation_start;
}

std::optional<int> ProviderRow::rank_change() const {
  if (!rank || !rank_start) return std::nullopt;
  return *rank_start - *rank;
}

Result<Report> BuildReport(const ReportInputs& in, const ReportOptions& options) {
  if (in.latest == nullptr) return Status::InvalidArgument("no evaluation yet");
  if (in.period_ms <= 0) return Status::InvalidArgument("the period must be positive");
  const analytics::Scoreboard& board = in.latest->board;
  const Config& config = in.latest->config;

  Report report;
  report.to_ms = in.now_ms;
  report.from_ms = in.now_ms - in.period_ms;
  report.evaluated_ms = in.latest->at_ms;
  report.providers = static_cast<int>(board.providers.size());
  report.scored = board.scored;
  report.history = in.history != nullptr;

  report.rows.reserve(board.providers.size());
  for (const auto& p : board.providers) report.rows.push_back(RowOf(p, config));
  std::sort(report.rows.begin(), report.rows.end(), RankedBefore);

  std::map<std::string, ProviderRow*> by_id;
  for (auto& r : report.rows) by_id[r.provider] = &r;

  for (const auto& g : board.network.regions) {
    RegionSummary s;
    s.region = g.name;
    s.providers = g.providers;
    s.down = g.down;
    s.gpus_total = g.gpus_total;
    s.gpus_allocated = g.gpus_allocated;
    if (g.gpus_total > 0) s.utilisation = g.gpus_allocated / g.gpus_total;
    for (const auto& [name, seconds] : board.exhaustion_seconds) {
      if (name == g.name) s.exhaustion_seconds = seconds;
    }
    s.exhaustion_horizon_s = static_cast<double>(config.forecast.exhaustion_horizon_ms) / 1000.0;
    report.regions.push_back(std::move(s));
  }

  AddAuditIncidents(in.audit, report.from_ms, report.to_ms, by_id, report);
  if (in.history != nullptr) {
    for (auto& row : report.rows) {
      DEPIN_RETURN_IF_ERROR(
          AddProviderHistory(*in.history, report.from_ms, report.to_ms, options.chart_points, row));
      DEPIN_RETURN_IF_ERROR(AddAnomalies(*in.history, report.from_ms, report.to_ms, row, report));
    }
    DEPIN_RETURN_IF_ERROR(
        AddRegionHistory(*in.history, report.from_ms, report.to_ms, options.chart_points, report));
  }

  // Tiers: counts, leaders (rows are in rank order), averages.
  std::array<std::vector<const ProviderRow*>, analytics::kTierCount> members;
  for (size_t i = 0; i < report.rows.size(); ++i) {
    ProviderRow& row = report.rows[i];
    if (!row.tier || *row.tier < 0 || *row.tier >= analytics::kTierCount) continue;
    TierSummary& t = report.tiers[*row.tier];
    members[*row.tier].push_back(&row);
    if (row.rank && static_cast<int>(t.leaders.size()) < options.leaders_per_tier) {
      t.leaders.push_back(i);
      row.leader_position = static_cast<int>(t.leaders.size());
    }
  }
  for (int level = 0; level < analytics::kTierCount; ++level) {
    TierSummary& t = report.tiers[level];
    t.level = level;
    t.providers = static_cast<int>(members[level].size());
    t.mean_reputation = MeanOf(members[level], [](const ProviderRow* r) { return r->reputation; });
    t.cost = Costs(members[level]);
    for (const ProviderRow* r : members[level]) {
      t.gpus_total += r->gpus_total;
      t.gpus_allocated += r->gpus_allocated;
    }
  }
  for (RegionSummary& s : report.regions) {
    std::vector<const ProviderRow*> in_region;
    for (const auto& r : report.rows) {
      if (r.region == s.region) in_region.push_back(&r);
    }
    s.cost = Costs(in_region);
  }

  // Movers: the largest reputation changes, then rank changes, then id.
  for (size_t i = 0; i < report.rows.size(); ++i) {
    if (report.rows[i].reputation_change()) report.movers.push_back(i);
  }
  std::sort(report.movers.begin(), report.movers.end(), [&](size_t a, size_t b) {
    const ProviderRow &ra = report.rows[a], &rb = report.rows[b];
    const double da = std::abs(*ra.reputation_change()), db = std::abs(*rb.reputation_change());
    if (da != db) return da > db;
    const int qa = std::abs(ra.rank_change().value_or(0)),
              qb = std::abs(rb.rank_change().value_or(0));
    if (qa != qb) return qa > qb;
    return ra.provider < rb.provider;
  });
  if (static_cast<int>(report.movers.size()) > options.movers) report.movers.resize(options.movers);

  std::stable_sort(report.incidents.begin(), report.incidents.end(),
                   [](const Incident& a, const Incident& b) { return a.at_ms > b.at_ms; });
  for (const auto& i : report.incidents) {
    if (int k = KindIndex(i.kind); k >= 0) ++report.incident_counts[k];
  }
  return report;
}

Result<int64_t> ParsePeriod(std::string_view text, int64_t max_ms) {
  auto ms = ParseDuration(text);
  if (!ms.ok() || ms.value() <= 0) {
    return Status::InvalidArgument(
        "parameter \"period\": a positive duration such as 24h or 7d, "
        "got \"" +
        std::string(text) + "\"");
  }
  if (ms.value() > max_ms) {
    return Status::InvalidArgument("parameter \"period\": at most " + FormatDuration(max_ms) +
                                   " (reports.max_period), got " + std::string(text));
  }
  return ms.value();
}

std::string FormatUtc(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace depin::report
