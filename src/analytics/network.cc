#include "analytics/network.h"

#include <map>

namespace depin::analytics {
namespace {

std::string Attribute(const ProviderFacts& f, const std::string& name) {
  for (const auto& [k, v] : f.attributes) {
    if (k == name) return v;
  }
  return "unknown";
}

void Add(GroupFigures& g, const ProviderFacts& f) {
  ++g.providers;
  if (f.latest_up && *f.latest_up < 0.5) ++g.down;
  if (f.gpus_total) g.gpus_total += *f.gpus_total;
  if (f.gpus_allocated) g.gpus_allocated += *f.gpus_allocated;
}

std::vector<GroupFigures> Values(std::map<std::string, GroupFigures>& groups) {
  std::vector<GroupFigures> out;
  for (auto& [name, g] : groups) {
    g.name = name;
    out.push_back(g);
  }
  return out;
}

}  // namespace

NetworkFigures ComputeNetwork(const std::vector<ProviderFacts>& facts,
                              const NetworkConfig& config) {
  std::map<std::string, GroupFigures> regions, models;
  for (const auto& f : facts) {
    Add(regions[Attribute(f, config.region_label)], f);
    Add(models[Attribute(f, config.gpu_model_label)], f);
  }
  NetworkFigures out{Values(regions), Values(models)};
  for (auto& r : out.regions) {
    r.correlated_failure = r.down >= config.correlated_failure_min_providers &&
                           r.down >= config.correlated_failure_ratio * r.providers;
  }
  return out;
}

}  // namespace depin::analytics
