// Long-range statistics kept incrementally across evaluations, so they can
// span far more than the raw windows (issue 3): trends over the trend
// window (default 168h) by exponentially weighted least squares, and usage
// profiles by hour of day and hour of week. O(1) work per slot, fixed memory.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analytics/signal_stats.h"
#include "analytics/statistics.h"
#include "config/config.h"

namespace depin::durable {
class StateCodec;  // saves and restores the private state (checkpoints)
}  // namespace depin::durable

namespace depin::analytics {

// Weighted least squares with weights decaying as exp(-age / tau): the
// trend over roughly the last 2 tau without keeping the points.
class DecayingRegression {
 public:
  explicit DecayingRegression(double tau_seconds) : tau_(tau_seconds) {}
  void Add(double t_seconds, double y);
  // Slope, r2 and the weighted mean of y; nullopt with fewer than
  // `min_points` points seen.
  std::optional<LinearTrend> Trend(int min_points) const;
  // Time between the first and the newest point.
  double SpanSeconds() const { return started_ ? origin_ - first_ : 0; }

 private:
  friend class durable::StateCodec;
  double tau_;
  double origin_ = 0;  // t of the newest point; sums are relative to it
  double first_ = 0;   // t of the first point
  bool started_ = false;
  int64_t points_ = 0;
  double w_ = 0, st_ = 0, stt_ = 0, sy_ = 0, sty_ = 0, syy_ = 0;
};

// Mean and spread of a signal per bucket of the day and of the week.
class UsageProfile {
 public:
  enum class Period { kDay, kWeek };
  explicit UsageProfile(int64_t bucket_ms) : bucket_ms_(bucket_ms) {}
  void Add(int64_t t_ms, double y);

  struct Extremes {
    int peak = 0;  // bucket index: hour of day 0-23, or of the week 0-167 (Monday 00:00 = 0)
    int low = 0;
    double peak_mean = 0, peak_stddev = 0;
    double low_mean = 0, low_stddev = 0;
  };
  // nullopt until every bucket of the period has an observation.
  std::optional<Extremes> Find(Period period) const;

 private:
  friend class durable::StateCodec;
  struct Bucket {
    double n = 0, mean = 0, m2 = 0;  // Welford
  };
  int64_t bucket_ms_;
  std::array<Bucket, 24> day_{};
  std::array<Bucket, 168> week_{};
};

struct LongRangeFigures {
  std::array<std::optional<LinearTrend>, kStatSignalCount> trends;
  std::array<std::optional<TrendDirection>, kStatSignalCount> directions;
  std::optional<UsageProfile::Extremes> usage_day, usage_week;  // of gpu_util
};

// One regression per provider x signal and one profile per provider, fed
// with every window slot completed since the previous evaluation.
class LongRangeTracker {
 public:
  explicit LongRangeTracker(const StatisticsConfig& config) : config_(config) {}
  LongRangeFigures Feed(const std::string& provider,
                        const std::array<StatSeries, kStatSignalCount>& series, int64_t slot_ms,
                        int64_t now_ms);
  // Drops providers not fed since the last call.
  void Sweep();
  void set_config(const StatisticsConfig& config) { config_ = config; }

 private:
  friend class durable::StateCodec;
  struct State {
    std::vector<DecayingRegression> regressions;
    UsageProfile usage;
    int64_t last_slot = -1;
    bool touched = false;
  };
  StatisticsConfig config_;
  std::map<std::string, State> states_;
};

}  // namespace depin::analytics
