// Reports for stakeholders (issue 6): the network and each tier over a
// period — leaders, movers, incidents, cost efficiency and capacity outlook —
// built from the latest evaluation, the audit trail and the derived-series
// store. HTTP-free and file-free: csv.h and html.h render a Report.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analytics/penalties.h"
#include "analytics/tiers.h"
#include "common/status.h"
#include "evaluate/evaluator.h"
#include "store/store.h"

namespace depin::report {

struct ReportInputs {
  const evaluate::Evaluation* latest = nullptr;  // required
  std::vector<analytics::AuditRecord> audit;     // any span; filtered to the period
  const store::Store* history = nullptr;         // null: no movers, anomalies or history charts
  int64_t period_ms = 0;                         // > 0
  int64_t now_ms = 0;                            // end of the period
};

struct ReportOptions {
  int leaders_per_tier = 5;
  int movers = 10;
  int chart_points = 120;  // history series are thinned to at most this many points
};

struct Point {
  int64_t t = 0;
  double v = 0;
};

// One provider: its figures now and their change over the period.
struct ProviderRow {
  std::string provider;
  std::string region;       // "unknown" without an info series
  std::string gpu_model;    // "unknown" likewise
  std::optional<int> tier;  // level 0..4; absent while not scored
  std::optional<int> rank;  // 1 = best
  std::optional<double> reputation;
  std::optional<double> performance;
  double confidence = 0;
  // Oldest value within the period in the derived history (for a provider
  // that appeared during the period, its first value).
  std::optional<double> reputation_start;
  std::optional<int> rank_start;
  int penalties = 0;                      // penalty audit records in the period
  int demotions = 0;                      // tier audit records in the period that lowered the tier
  int anomalies = 0;                      // anomaly episodes begun in the period (history counters)
  std::optional<double> uptime;           // 0..1 over the window
  std::optional<double> price;            // per GPU-hour
  std::optional<double> cost_per_job;     // dollars
  std::optional<double> cost_efficiency;  // performance points per dollar per GPU-hour
  double gpus_total = 0;
  double gpus_allocated = 0;
  std::optional<int> leader_position;     // 1..leaders_per_tier within its tier
  std::vector<Point> reputation_history;  // thinned, oldest first

  std::optional<double> reputation_change() const;  // now - start
  std::optional<int> rank_change() const;           // start - now: > 0 moved up
};

struct Incident {
  int64_t at_ms = 0;
  std::string kind;     // "penalty", "demotion", "anomaly", "correlated_failure"
  std::string subject;  // provider id, or region for a correlated failure
  std::string detail;
};

// Averages over the providers of a group that have the figure.
struct CostSummary {
  std::optional<double> mean_price;
  std::optional<double> mean_cost_per_job;
  std::optional<double> mean_cost_efficiency;
};

struct TierSummary {
  int level = 0;
  int providers = 0;
  std::optional<double> mean_reputation;
  CostSummary cost;
  double gpus_total = 0;
  double gpus_allocated = 0;
  std::vector<size_t> leaders;  // indices into Report::rows, best first
};

struct RegionSummary {
  std::string region;
  int providers = 0;
  int down = 0;
  double gpus_total = 0;
  double gpus_allocated = 0;
  std::optional<double> utilisation;  // allocated / total now
  // Over the period, from the history of depin_network_utilization_by_region_ratio.
  std::optional<double> utilisation_min, utilisation_mean, utilisation_max;
  std::vector<Point> utilisation_history;  // thinned, oldest first
  // Forecast seconds until utilisation reaches 100%: absent while the
  // forecast warms up, +Inf beyond the exhaustion horizon.
  std::optional<double> exhaustion_seconds;
  double exhaustion_horizon_s = 0;
  CostSummary cost;
};

struct Report {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  int64_t evaluated_ms = 0;  // time of the evaluation it reports
  int providers = 0;
  int scored = 0;
  bool history = false;           // a derived-series store was consulted
  std::vector<ProviderRow> rows;  // by rank; unranked last, by id
  std::array<TierSummary, analytics::kTierCount> tiers;
  std::vector<RegionSummary> regions;    // by name
  std::vector<size_t> movers;            // indices into rows, largest |reputation change| first
  std::vector<Incident> incidents;       // newest first
  std::array<int, 4> incident_counts{};  // by kind, in the order of IncidentKinds()
};

// "penalty", "demotion", "anomaly", "correlated_failure".
const std::array<const char*, 4>& IncidentKinds();

// InvalidArgument without an evaluation or with a period <= 0; the store's
// own errors (e.g. TooLarge) otherwise.
Result<Report> BuildReport(const ReportInputs& inputs, const ReportOptions& options = {});

// A period from the query ("24h", "7d"): positive, at most `max_ms`; the
// message names the bound.
Result<int64_t> ParsePeriod(std::string_view text, int64_t max_ms);

// RFC 3339 in UTC with seconds: 2026-11-25T13:30:00Z.
std::string FormatUtc(int64_t ms);

}  // namespace depin::report
