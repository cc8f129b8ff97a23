#include <cmath>
#include <cstdio>
#include <optional>

#include "analytics/tiers.h"
#include "report/render.h"

namespace depin::report {
namespace {

std::string Field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Up to 6 decimals without trailing zeros; empty when absent or not finite.
std::string Number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return {};
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6f", *v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") return "0";
  return s;
}

std::string Integer(std::optional<int> v) { return v ? std::to_string(*v) : std::string(); }

}  // namespace

const std::vector<std::string>& CsvColumns() {
  static const std::vector<std::string> kColumns = {"period_start",
                                                    "period_end",
                                                    "provider",
                                                    "region",
                                                    "gpu_model",
                                                    "tier",
                                                    "rank",
                                                    "tier_leader_position",
                                                    "reputation",
                                                    "reputation_start",
                                                    "reputation_change",
                                                    "rank_start",
                                                    "rank_change",
                                                    "performance",
                                                    "confidence",
                                                    "uptime_ratio",
                                                    "penalties",
                                                    "tier_demotions",
                                                    "anomalies",
                                                    "price_per_gpu_hour",
                                                    "cost_per_job_dollars",
                                                    "cost_efficiency",
                                                    "gpus_total",
                                                    "gpus_allocated"};
  return kColumns;
}

std::string RenderCsv(const Report& report) {
  std::string out;
  const auto& columns = CsvColumns();
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + columns[i];
  out += "\r\n";
  const std::string from = FormatUtc(report.from_ms), to = FormatUtc(report.to_ms);
  for (const auto& r : report.rows) {
    const std::vector<std::string> fields = {
        from,
        to,
        Field(r.provider),
        Field(r.region),
        Field(r.gpu_model),
        r.tier ? std::string(analytics::TierName(*r.tier)) : std::string(),
        Integer(r.rank),
        Integer(r.leader_position),
        Number(r.reputation),
        Number(r.reputation_start),
        Number(r.reputation_change()),
        Integer(r.rank_start),
        Integer(r.rank_change()),
        Number(r.performance),
        Number(r.confidence),
        Number(r.uptime),
        std::to_string(r.penalties),
        std::to_string(r.demotions),
        std::to_string(r.anomalies),
        Number(r.price),
        Number(r.cost_per_job),
        Number(r.cost_efficiency),
        Number(r.gpus_total),
        Number(r.gpus_allocated)};
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
    out += "\r\n";
  }
  return out;
}

}  // namespace depin::report
