#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "analytics/tiers.h"
#include "common/duration.h"
#include "report/render.h"
#include "report/svg.h"

namespace depin::report {
namespace {

constexpr size_t kMaxIncidentRows = 200;
constexpr size_t kMoversCharted = 5;

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}"
    "h1{margin-bottom:4px}h2{margin-top:32px;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:8px 0 16px}"
    "th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}"
    "th{background:#f4f4f4}td.l,th.l{text-align:left}"
    ".up{color:#2a7d2a}.down{color:#b22}.muted{color:#777}"
    "svg.chart{display:block;margin:8px 0;font-size:12px}"
    "svg .chart-title{font-weight:bold}";

std::string Fmt(std::optional<double> v, const char* format = "%.1f") {
  if (!v) return "n/a";
  if (!std::isfinite(*v)) return *v > 0 ? "+Inf" : "n/a";
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, *v);
  return buf;
}

std::string Percent(std::optional<double> ratio) {
  if (!ratio) return "n/a";
  return Fmt(*ratio * 100, "%.1f") + "%";
}

std::string Signed(std::optional<double> v, const char* format) {
  if (!v) return "n/a";
  std::string s = Fmt(v, format);
  const char* cls = *v > 0 ? "up" : (*v < 0 ? "down" : "muted");
  return "<span class=\"" + std::string(cls) + "\">" + (*v > 0 ? "+" : "") + s + "</span>";
}

// Charts start at the oldest sample when the history is shorter than the
// period (a young sidecar), instead of squeezing the lines to the right.
int64_t ChartStart(const std::vector<LineSeries>& lines, int64_t from_ms, int64_t to_ms) {
  int64_t oldest = to_ms;
  for (const auto& l : lines) {
    if (!l.points.empty()) oldest = std::min(oldest, l.points.front().t);
  }
  return oldest < to_ms ? std::max(from_ms, oldest) : from_ms;
}

std::string Providers(int n) { return std::to_string(n) + (n == 1 ? " provider" : " providers"); }

std::string TierLabel(std::optional<int> tier) {
  return tier ? std::string(analytics::TierName(*tier)) : "unscored";
}

std::string Cell(std::string_view text, bool left = false) {
  return std::string(left ? "<td class=\"l\">" : "<td>") + std::string(text) + "</td>";
}

std::string Head(std::initializer_list<const char*> names, size_t left_columns = 1) {
  std::string out = "<tr>";
  size_t i = 0;
  for (const char* n : names) {
    out += std::string(i++ < left_columns ? "<th class=\"l\">" : "<th>") + n + "</th>";
  }
  return out + "</tr>";
}

std::string Exhaustion(const RegionSummary& r) {
  if (!r.exhaustion_seconds) return "forecast warming up";
  if (!std::isfinite(*r.exhaustion_seconds)) {
    return "not within " +
           FormatDuration(static_cast<int64_t>(std::llround(r.exhaustion_horizon_s * 1000)));
  }
  const double s = *r.exhaustion_seconds;
  if (s <= 0) return "<span class=\"down\">exhausted now</span>";
  if (s < 3600) return "<span class=\"down\">in " + Fmt(s / 60, "%.0f") + " min</span>";
  if (s < 86400) return "<span class=\"down\">in " + Fmt(s / 3600, "%.1f") + " h</span>";
  return "in " + Fmt(s / 86400, "%.1f") + " d";
}

void Summary(const Report& r, std::string& out) {
  out += "<h2 id=\"summary\">Summary</h2>";
  out += "<p>" + Providers(r.providers) + " with data, " + std::to_string(r.scored) + " scored; " +
         std::to_string(r.incidents.size()) + " incidents in the period.</p>";
  std::vector<Bar> bars;
  for (int level = analytics::kTierCount - 1; level >= 0; --level) {
    bars.push_back({std::string(analytics::TierName(level)),
                    static_cast<double>(r.tiers[level].providers), ""});
  }
  out += BarChart("Scored providers per tier", bars, "%.0f");
}

void LeaderTable(const Report& r, const std::vector<size_t>& rows, std::string& out) {
  out += "<table>" + Head({"provider", "region", "GPU model", "rank", "reputation", "performance",
                           "confidence", "uptime"},
                          3);
  for (size_t i : rows) {
    const ProviderRow& p = r.rows[i];
    out += "<tr>" + Cell(EscapeXml(p.provider), true) + Cell(EscapeXml(p.region), true) +
           Cell(EscapeXml(p.gpu_model), true) + Cell(p.rank ? std::to_string(*p.rank) : "n/a") +
           Cell(Fmt(p.reputation)) + Cell(Fmt(p.performance)) + Cell(Fmt(p.confidence, "%.2f")) +
           Cell(Percent(p.uptime)) + "</tr>";
  }
  out += "</table>";
}

void Leaders(const Report& r, std::string& out) {
  out += "<h2 id=\"leaders\">Leaders</h2>";
  std::vector<Bar> top;
  for (const auto& p : r.rows) {
    if (!p.rank || !p.reputation || top.size() >= 10) continue;
    top.push_back(
        {"#" + std::to_string(*p.rank) + " " + p.provider, *p.reputation, TierLabel(p.tier)});
  }
  out += BarChart("Top providers by reputation (0-100)", top, "%.1f", 100);
  for (int level = analytics::kTierCount - 1; level >= 0; --level) {
    const TierSummary& t = r.tiers[level];
    if (t.leaders.empty()) continue;
    out += "<h3>" + std::string(analytics::TierName(level)) + " (" + Providers(t.providers) +
           ", mean reputation " + Fmt(t.mean_reputation) + ")</h3>";
    LeaderTable(r, t.leaders, out);
  }
}

void Movers(const Report& r, std::string& out) {
  out += "<h2 id=\"movers\">Movers</h2>";
  if (!r.history) {
    out += "<p class=\"muted\">No derived history: movers need the derived-series store.</p>";
    return;
  }
  if (r.movers.empty()) {
    out += "<p class=\"muted\">No provider has reputation history in the period.</p>";
    return;
  }
  out += "<p>Largest reputation changes from the first value in the period to now.</p>";
  out += "<table>" + Head({"provider", "tier", "reputation then", "now", "change", "rank then",
                           "now", "rank change"},
                          2);
  for (size_t i : r.movers) {
    const ProviderRow& p = r.rows[i];
    auto rank_change = p.rank_change();
    out += "<tr>" + Cell(EscapeXml(p.provider), true) + Cell(TierLabel(p.tier), true) +
           Cell(Fmt(p.reputation_start)) + Cell(Fmt(p.reputation)) +
           Cell(Signed(p.reputation_change(), "%.1f")) +
           Cell(p.rank_start ? std::to_string(*p.rank_start) : "n/a") +
           Cell(p.rank ? std::to_string(*p.rank) : "n/a") +
           Cell(rank_change ? Signed(static_cast<double>(*rank_change), "%.0f") : "n/a") + "</tr>";
  }
  out += "</table>";
  std::vector<LineSeries> lines;
  for (size_t k = 0; k < r.movers.size() && k < kMoversCharted; ++k) {
    const ProviderRow& p = r.rows[r.movers[k]];
    lines.push_back({p.provider, p.reputation_history});
  }
  out += LineChart("Reputation of the largest movers", lines, ChartStart(lines, r.from_ms, r.to_ms),
                   r.to_ms, 0, 100, "%.0f");
}

void Incidents(const Report& r, std::string& out) {
  out += "<h2 id=\"incidents\">Incidents</h2>";
  out += "<table>" + Head({"kind", "count"});
  for (size_t k = 0; k < IncidentKinds().size(); ++k) {
    out += "<tr>" + Cell(IncidentKinds()[k], true) + Cell(std::to_string(r.incident_counts[k])) +
           "</tr>";
  }
  out += "</table>";
  if (r.incidents.empty()) {
    out += "<p class=\"muted\">No incidents in the period.</p>";
    return;
  }
  if (r.incidents.size() > kMaxIncidentRows) {
    out += "<p class=\"muted\">The newest " + std::to_string(kMaxIncidentRows) + " of " +
           std::to_string(r.incidents.size()) + " incidents.</p>";
  }
  out += "<table>" + Head({"time (UTC)", "kind", "provider or region", "detail"}, 4);
  for (size_t i = 0; i < r.incidents.size() && i < kMaxIncidentRows; ++i) {
    const Incident& n = r.incidents[i];
    out += "<tr>" + Cell(FormatUtc(n.at_ms), true) + Cell(n.kind, true) +
           Cell(EscapeXml(n.subject), true) + Cell(EscapeXml(n.detail), true) + "</tr>";
  }
  out += "</table>";
}

std::string CostCells(const CostSummary& c) {
  return Cell(Fmt(c.mean_price, "%.3f")) + Cell(Fmt(c.mean_cost_per_job, "%.4f")) +
         Cell(Fmt(c.mean_cost_efficiency, "%.1f"));
}

void Costs(const Report& r, std::string& out) {
  out += "<h2 id=\"cost\">Cost efficiency</h2>";
  out +=
      "<p>Means over the scored providers of each group that report the figure. Cost "
      "efficiency: performance points per dollar per GPU-hour.</p>";
  out +=
      "<table>" + Head({"tier", "providers", "price $/GPU-h", "cost per job $", "cost efficiency"});
  std::vector<Bar> by_tier;
  for (int level = analytics::kTierCount - 1; level >= 0; --level) {
    const TierSummary& t = r.tiers[level];
    out += "<tr>" + Cell(std::string(analytics::TierName(level)), true) +
           Cell(std::to_string(t.providers)) + CostCells(t.cost) + "</tr>";
    if (t.cost.mean_cost_efficiency) {
      by_tier.push_back(
          {std::string(analytics::TierName(level)), *t.cost.mean_cost_efficiency, ""});
    }
  }
  out += "</table>";
  out += BarChart("Cost efficiency by tier (points per $/GPU-h)", by_tier, "%.1f");
  out += "<table>" +
         Head({"region", "providers", "price $/GPU-h", "cost per job $", "cost efficiency"});
  std::vector<Bar> by_region;
  for (const auto& g : r.regions) {
    out += "<tr>" + Cell(EscapeXml(g.region), true) + Cell(std::to_string(g.providers)) +
           CostCells(g.cost) + "</tr>";
    if (g.cost.mean_cost_efficiency) {
      by_region.push_back({g.region, *g.cost.mean_cost_efficiency, ""});
    }
  }
  out += "</table>";
  out += BarChart("Cost efficiency by region (points per $/GPU-h)", by_region, "%.1f");
}

void Capacity(const Report& r, std::string& out) {
  out += "<h2 id=\"capacity\">Capacity outlook</h2>";
  out += "<table>" + Head({"region", "providers", "down", "GPUs", "allocated", "utilisation now",
                           "min", "mean", "max", "exhaustion forecast"});
  std::vector<Bar> now;
  std::vector<LineSeries> lines;
  for (const auto& g : r.regions) {
    out += "<tr>" + Cell(EscapeXml(g.region), true) + Cell(std::to_string(g.providers)) +
           Cell(std::to_string(g.down)) + Cell(Fmt(g.gpus_total, "%.0f")) +
           Cell(Fmt(g.gpus_allocated, "%.0f")) + Cell(Percent(g.utilisation)) +
           Cell(Percent(g.utilisation_min)) + Cell(Percent(g.utilisation_mean)) +
           Cell(Percent(g.utilisation_max)) + Cell(Exhaustion(g)) + "</tr>";
    if (g.utilisation) {
      now.push_back({g.region, *g.utilisation * 100, "of " + Fmt(g.gpus_total, "%.0f") + " GPUs"});
    }
    LineSeries line{g.region, {}};
    for (const auto& p : g.utilisation_history) line.points.push_back({p.t, p.v * 100});
    lines.push_back(std::move(line));
  }
  out += "</table>";
  out += BarChart("GPU utilisation by region now (%)", now, "%.1f", 100);
  if (r.history) {
    out += LineChart("GPU utilisation by region over the period (%)", lines,
                     ChartStart(lines, r.from_ms, r.to_ms), r.to_ms, 0, 100, "%.0f");
  }
}

// Every provider, so that the document answers "where is X?" too.
void AllProviders(const Report& r, std::string& out) {
  out += "<h2 id=\"providers\">All providers</h2>";
  out += "<table>" + Head({"provider", "tier", "region", "rank", "reputation", "change",
                           "penalties", "demotions", "anomalies", "cost per job $"},
                          3);
  for (const auto& p : r.rows) {
    out += "<tr>" + Cell(EscapeXml(p.provider), true) + Cell(TierLabel(p.tier), true) +
           Cell(EscapeXml(p.region), true) + Cell(p.rank ? std::to_string(*p.rank) : "n/a") +
           Cell(Fmt(p.reputation)) + Cell(Signed(p.reputation_change(), "%.1f")) +
           Cell(std::to_string(p.penalties)) + Cell(std::to_string(p.demotions)) +
           Cell(std::to_string(p.anomalies)) + Cell(Fmt(p.cost_per_job, "%.4f")) + "</tr>";
  }
  out += "</table>";
}

}  // namespace

std::string RenderHtml(const Report& r) {
  const std::string period = FormatDuration(r.to_ms - r.from_ms);
  std::string out;
  out.reserve(64 * 1024 + r.rows.size() * 512);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>DePIN network report, last " +
      period + " to " + FormatUtc(r.to_ms) + "</title><style>" + kStyle + "</style></head><body>";
  out += "<h1>DePIN network report</h1>";
  out += "<p class=\"muted\">Period: last " + period + ", " + FormatUtc(r.from_ms) + " to " +
         FormatUtc(r.to_ms) + ". Figures of the evaluation at " + FormatUtc(r.evaluated_ms) +
         "; changes over the period from the derived history" +
         (r.history ? "" : " (not available)") + ".</p>";
  out +=
      "<p><a href=\"#summary\">Summary</a> · <a href=\"#leaders\">Leaders</a> · "
      "<a href=\"#movers\">Movers</a> · <a href=\"#incidents\">Incidents</a> · "
      "<a href=\"#cost\">Cost efficiency</a> · <a href=\"#capacity\">Capacity outlook</a> · "
      "<a href=\"#providers\">All providers</a></p>";
  Summary(r, out);
  Leaders(r, out);
  Movers(r, out);
  Incidents(r, out);
  Costs(r, out);
  Capacity(r, out);
  AllProviders(r, out);
  out += "<p class=\"muted\">Generated by depin-sidecar.</p></body></html>\n";
  return out;
}

}  // namespace depin::report
