// The sidecar's own metrics without labels: one call registers the family
// and returns its single child, which lives as long as the registry.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <string>

namespace depin {

inline prometheus::Gauge& UnlabelledGauge(prometheus::Registry& registry, const std::string& name,
                                          const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

inline prometheus::Counter& UnlabelledCounter(prometheus::Registry& registry,
                                              const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace depin
