// Keeps one online Holt-Winters model per provider x signal and per region's
// GPU utilisation, fed one observation per completed forecast step.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analytics/forecast.h"
#include "analytics/signal_stats.h"
#include "analytics/statistics.h"
#include "config/config.h"

namespace depin::durable {
class StateCodec;  // saves and restores the private state (checkpoints)
}  // namespace depin::durable

namespace depin::analytics {

struct ForecastPoint {
  int64_t horizon_ms = 0;
  Forecast value;
};

class ForecastTracker {
 public:
  explicit ForecastTracker(const ForecastConfig& config);

  // Feeds the forecast steps of `slots` (window slots of `step_ms`, the last
  // one containing `now_ms`) that ended at least `settle` before `now_ms`
  // and were not fed yet.
  void FeedProvider(const std::string& provider, StatSignal signal, const SlotSeries& slots,
                    int64_t step_ms, int64_t now_ms);
  // Feeds a region's current GPU utilisation once per completed step.
  void FeedRegion(const std::string& region, double utilisation, int64_t now_ms);

  // Forecasts at the configured horizons, counted from the step containing
  // `now_ms` whatever the settle delay: horizon H forecasts the step H after
  // the last complete one. Empty until the model is ready.
  std::vector<ForecastPoint> ProviderForecast(const std::string& provider, StatSignal signal,
                                              int64_t now_ms) const;
  // Seconds until the mean forecast of the region's utilisation reaches 1,
  // +Inf when not within the exhaustion horizon, nullopt while warming up.
  std::optional<double> SecondsToExhaustion(const std::string& region) const;

  // Drops models of providers and regions not fed since the last call.
  void Sweep();
  // New parameters apply to models created from now on.
  void set_config(const ForecastConfig& config) { config_ = config; }

 private:
  friend class durable::StateCodec;
  struct Model {
    std::optional<HoltWinters> hw;
    int64_t last_step = -1;  // index of the last forecast step fed
    bool touched = false;
  };
  Model& Get(std::map<std::string, Model>& models, const std::string& key);
  // `extra_steps`: steps between the last one fed and the last complete one.
  std::vector<ForecastPoint> At(const Model& m, int64_t extra_steps) const;

  ForecastConfig config_;
  std::map<std::string, Model> providers_;  // key: provider + '\0' + signal
  std::map<std::string, Model> regions_;
};

}  // namespace depin::analytics
