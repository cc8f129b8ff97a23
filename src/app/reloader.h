// Reload (SIGHUP and POST /-/reload): re-reads every configuration source
// and applies all of them or none, so that a bad file changes nothing.
// Exposes Prometheus's reload metrics.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/logger.h"
#include "common/status.h"

namespace depin::app {

class Reloader {
 public:
  // Applies what a Prepare read; cannot fail.
  using Apply = std::function<void()>;
  // Reads and validates one source without changing anything running.
  using Prepare = std::function<Result<Apply>()>;

  // `now_ms`: the wall clock (injectable for tests).
  Reloader(prometheus::Registry& registry, Logger& log, std::function<int64_t()> now_ms);

  // Adds a source; `name` prefixes its errors. Call before the first Reload.
  void AddSource(std::string name, Prepare prepare);

  // Records the initial load: last_reload_successful 1, timestamp now.
  void MarkLoaded();

  // Prepares every source, then applies them all in the order added, or,
  // when one fails, none: logs the reason at level error, sets
  // depin_sidecar_config_last_reload_successful to 0 and returns the error.
  // `trigger` ("SIGHUP", "/-/reload") is logged. Thread-safe; serialized.
  Status Reload(std::string_view trigger);

 private:
  struct Source {
    std::string name;
    Prepare prepare;
  };

  std::mutex mu_;
  std::vector<Source> sources_;
  Logger& log_;
  std::function<int64_t()> now_ms_;
  prometheus::Gauge& successful_;
  prometheus::Gauge& success_timestamp_;
};

}  // namespace depin::app
