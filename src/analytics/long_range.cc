#include "analytics/long_range.h"

#include <algorithm>
#include <cmath>

namespace depin::analytics {

void DecayingRegression::Add(double t, double y) {
  if (!std::isfinite(y)) return;
  if (started_ && t > origin_) {
    // Age every sum to the new origin: weights shrink and t shifts by -dt.
    const double dt = t - origin_;
    const double decay = std::exp(-dt / tau_);
    w_ *= decay;
    st_ *= decay;
    stt_ *= decay;
    sy_ *= decay;
    sty_ *= decay;
    syy_ *= decay;
    // Shift t' = t - dt: st' = st - dt w, stt' = stt - 2 dt st + dt^2 w, sty' = sty - dt sy.
    stt_ = stt_ - 2 * dt * st_ + dt * dt * w_;
    st_ = st_ - dt * w_;
    sty_ = sty_ - dt * sy_;
    origin_ = t;
  } else if (!started_) {
    origin_ = t;
    first_ = t;
    started_ = true;
  }
  const double x = t - origin_;  // 0 for the newest point, negative for late ones
  w_ += 1;
  st_ += x;
  stt_ += x * x;
  sy_ += y;
  sty_ += x * y;
  syy_ += y * y;
  ++points_;
}

std::optional<LinearTrend> DecayingRegression::Trend(int min_points) const {
  if (points_ < std::max(min_points, 2) || w_ <= 0) return std::nullopt;
  const double mt = st_ / w_, my = sy_ / w_;
  const double sxx = stt_ / w_ - mt * mt;
  const double sxy = sty_ / w_ - mt * my;
  const double syy = syy_ / w_ - my * my;
  if (sxx <= 1e-12) return std::nullopt;
  LinearTrend t;
  t.slope_per_second = sxy / sxx;
  t.r2 = syy > 1e-15 ? std::clamp(sxy * sxy / (sxx * syy), 0.0, 1.0) : 0.0;
  t.mean_value = my;
  return t;
}

void UsageProfile::Add(int64_t t_ms, double y) {
  if (!std::isfinite(y)) return;
  const int64_t b = t_ms / bucket_ms_;
  // The Unix epoch was a Thursday: shift so that bucket 0 of the week is Monday 00:00.
  const int64_t per_day = 24, per_week = 168;
  auto add = [y](Bucket& k) {
    k.n += 1;
    const double d = y - k.mean;
    k.mean += d / k.n;
    k.m2 += d * (y - k.mean);
  };
  add(day_[static_cast<size_t>(((b % per_day) + per_day) % per_day)]);
  add(week_[static_cast<size_t>((((b + 3 * per_day) % per_week) + per_week) % per_week)]);
}

std::optional<UsageProfile::Extremes> UsageProfile::Find(Period period) const {
  const Bucket* begin = period == Period::kDay ? day_.data() : week_.data();
  const size_t n = period == Period::kDay ? day_.size() : week_.size();
  Extremes e;
  for (size_t i = 0; i < n; ++i) {
    if (begin[i].n < 1) return std::nullopt;
    if (begin[i].mean > begin[e.peak].mean) e.peak = static_cast<int>(i);
    if (begin[i].mean < begin[e.low].mean) e.low = static_cast<int>(i);
  }
  auto stddev = [](const Bucket& k) { return k.n > 1 ? std::sqrt(k.m2 / (k.n - 1)) : 0.0; };
  e.peak_mean = begin[e.peak].mean;
  e.peak_stddev = stddev(begin[e.peak]);
  e.low_mean = begin[e.low].mean;
  e.low_stddev = stddev(begin[e.low]);
  return e;
}

LongRangeFigures LongRangeTracker::Feed(const std::string& provider,
                                        const std::array<StatSeries, kStatSignalCount>& series,
                                        int64_t slot_ms, int64_t now_ms) {
  const double tau = static_cast<double>(config_.trend_window_ms) / 2000.0;
  auto [it, fresh] =
      states_.try_emplace(provider, State{{}, UsageProfile(config_.usage_bucket_ms), -1, true});
  State& st = it->second;
  if (fresh || st.regressions.size() != series.size()) {
    st.regressions.assign(series.size(), DecayingRegression(tau));
  }
  st.touched = true;
  // Every completed slot not fed yet, oldest first (the newest slot still fills).
  const size_t n = series[0].slots.value.size();
  const int64_t first_slot = now_ms / slot_ms - static_cast<int64_t>(n) + 1;
  const int64_t from = std::max(st.last_slot + 1, first_slot);
  for (int64_t slot = from; slot < now_ms / slot_ms; ++slot) {
    const auto i = static_cast<size_t>(slot - first_slot);
    const double t = static_cast<double>(slot * slot_ms) / 1000.0;
    for (size_t s = 0; s < series.size(); ++s) {
      if (i < series[s].slots.present.size() && series[s].slots.present[i]) {
        st.regressions[s].Add(t, series[s].slots.value[i]);
      }
    }
    const auto& gpu = series[static_cast<size_t>(StatSignal::kGpuUtil)].slots;
    if (i < gpu.present.size() && gpu.present[i]) st.usage.Add(slot * slot_ms, gpu.value[i]);
    st.last_slot = slot;
  }
  LongRangeFigures out;
  const double window_s = static_cast<double>(config_.trend_window_ms) / 1000.0;
  for (size_t s = 0; s < series.size(); ++s) {
    out.trends[s] = st.regressions[s].Trend(config_.trend_min_points);
    if (out.trends[s]) {
      // A trend is judged over the time it actually covers, at most the window.
      const double span = std::min(window_s, st.regressions[s].SpanSeconds());
      out.directions[s] = ClassifyTrend(*out.trends[s], out.trends[s]->mean_value, span,
                                        series[s].higher_is_better, config_);
    }
  }
  out.usage_day = st.usage.Find(UsageProfile::Period::kDay);
  out.usage_week = st.usage.Find(UsageProfile::Period::kWeek);
  return out;
}

void LongRangeTracker::Sweep() {
  for (auto it = states_.begin(); it != states_.end();) {
    if (!it->second.touched) {
      it = states_.erase(it);
    } else {
      it->second.touched = false;
      ++it;
    }
  }
}

}  // namespace depin::analytics
