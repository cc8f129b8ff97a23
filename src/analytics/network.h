// Network-wide figures (DESIGN §4): capacity and utilisation by region and
// GPU model, geographic distribution, correlated failures in one region.
#pragma once

#include <string>
#include <vector>

#include "analytics/facts.h"
#include "config/config.h"

namespace depin::analytics {

struct GroupFigures {
  std::string name;  // region or GPU model; "unknown" without an info series
  int providers = 0;
  int down = 0;  // providers whose newest `up` slot is down
  double gpus_total = 0;
  double gpus_allocated = 0;
  bool correlated_failure = false;  // regions only
};

struct NetworkFigures {
  std::vector<GroupFigures> regions;     // sorted by name
  std::vector<GroupFigures> gpu_models;  // sorted by name
};

// A region has a correlated failure when at least `min_providers` of its
// providers, and at least `ratio` of them, are down in their newest slot.
NetworkFigures ComputeNetwork(const std::vector<ProviderFacts>& facts, const NetworkConfig& config);

}  // namespace depin::analytics
