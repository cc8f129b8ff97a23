// Text renderers for the simulator: Prometheus text exposition (format
// 0.0.4), the http_sd target list and the ground-truth JSON. Pure functions
// of a Fleet's state, so they are tested without HTTP.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/fleet.h"

namespace depin::sim {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// One provider's page, without a provider label: Prometheus adds it from
// service discovery, as it would for a real provider's exporter.
std::string RenderProviderMetrics(const Fleet& fleet, size_t provider);

// Several providers on one page, every series labelled provider="<id>",
// samples grouped by family (the format allows each family only once).
std::string RenderFleetMetrics(const Fleet& fleet, const std::vector<size_t>& providers);

// The simulator's own series, appended to the all-in-one page.
std::string RenderSelfMetrics(uint64_t scrapes_total);

// Prometheus http_sd: one target group per provider, all pointing at
// `target` (host:port of this simulator) with a per-provider metrics path.
std::string RenderServiceDiscovery(const Fleet& fleet, std::string_view target);

// Ground truth at the fleet's current simulated time (docs/simulator.md).
std::string RenderTruthJson(const Fleet& fleet, double unix_seconds);

// Exposed for tests.
std::string FormatValue(double v);
std::string EscapeJson(std::string_view v);

}  // namespace depin::sim
