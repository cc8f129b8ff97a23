#include "analytics/statistics.h"

#include <algorithm>
#include <cmath>
#include <span>

namespace depin::analytics {
namespace {

constexpr double kFlatBaselineScore = 1e9;

}  // namespace

std::optional<double> Median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

std::optional<double> HistogramQuantile(double q, const windows::HistogramView& h) {
  const auto& bounds = h.upper_bounds;
  if (bounds.size() < 2 || !std::isinf(bounds.back())) return std::nullopt;
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  // Cumulative counts must not decrease (Prometheus fixes this the same way).
  std::vector<double> cumulative(h.buckets);
  for (size_t i = 1; i < cumulative.size(); ++i)
    cumulative[i] = std::max(cumulative[i], cumulative[i - 1]);
  const double total = cumulative.back();
  if (total <= 0) return std::nullopt;
  const double rank = q * total;
  size_t b = static_cast<size_t>(std::lower_bound(cumulative.begin(), cumulative.end() - 1, rank) -
                                 cumulative.begin());
  if (b == bounds.size() - 1) return bounds[bounds.size() - 2];
  if (b == 0 && bounds[0] <= 0) return bounds[0];
  double start = 0, end = bounds[b], below = 0;
  if (b > 0) {
    start = bounds[b - 1];
    below = cumulative[b - 1];
  }
  double in_bucket = cumulative[b] - below;
  if (in_bucket <= 0) return end;
  return start + (end - start) * ((rank - below) / in_bucket);
}

size_t SlotSeries::count() const {
  size_t n = 0;
  for (uint8_t p : present) n += p;
  return n;
}

SlotSeries SlotMeans(windows::ScalarSpan v) {
  SlotSeries s;
  s.value.assign(v.sum.size(), 0.0);
  s.present.assign(v.sum.size(), 0);
  for (size_t i = 0; i < v.sum.size(); ++i) {
    const bool held = v.count[i] > 0;
    s.value[i] = held ? v.sum[i] / v.count[i] : 0.0;
    s.present[i] = held;
  }
  return s;
}

SlotSeries SlotRatio(windows::ScalarSpan numerator, windows::ScalarSpan other) {
  SlotSeries s;
  const size_t n = std::max(numerator.sum.size(), other.sum.size());
  s.value.assign(n, 0.0);
  s.present.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    double a = i < numerator.sum.size() ? numerator.sum[i] : 0.0;
    double b = i < other.sum.size() ? other.sum[i] : 0.0;
    if (a + b > 0) {
      s.value[i] = a / (a + b);
      s.present[i] = 1;
    }
  }
  return s;
}

StepRange CompletedSteps(size_t slot_count, int64_t slot_ms, int64_t now_ms, int64_t step_ms) {
  const int64_t first_slot = now_ms / slot_ms - static_cast<int64_t>(slot_count) + 1;
  return {(first_slot * slot_ms + step_ms - 1) / step_ms, now_ms / step_ms};
}

double StepMean(const SlotSeries& slots, int64_t slot_ms, int64_t now_ms, int64_t step_ms,
                int64_t k) {
  const int64_t n = static_cast<int64_t>(slots.value.size());
  const int64_t first_slot = now_ms / slot_ms - n + 1;
  const int64_t begin = k * step_ms / slot_ms - first_slot;
  const int64_t end = (k + 1) * step_ms / slot_ms - first_slot;
  double sum = 0, count = 0;
  for (int64_t i = std::max<int64_t>(begin, 0); i < std::min(end, n); ++i) {
    if (!slots.present[static_cast<size_t>(i)]) continue;
    sum += slots.value[static_cast<size_t>(i)];
    count += 1;
  }
  return count > 0 ? sum / count : std::nan("");
}

std::optional<LinearTrend> FitTrend(const SlotSeries& s, double step_seconds, size_t min_points) {
  // Absent slots weigh 0 (selects, not branches), x in slots.
  double n = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < s.value.size(); ++i) {
    const double w = s.present[i];
    n += w;
    sx += w * static_cast<double>(i);
    sy += s.present[i] ? s.value[i] : 0.0;
  }
  if (n < static_cast<double>(std::max<size_t>(min_points, 2))) return std::nullopt;
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < s.value.size(); ++i) {
    const double w = s.present[i];
    const double dx = w * (static_cast<double>(i) - mx);
    const double dy = s.present[i] ? s.value[i] - my : 0.0;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx <= 0) return std::nullopt;
  LinearTrend t;
  // x was in slots: one slot is step_seconds.
  t.slope_per_second = sxy / sxx / step_seconds;
  t.r2 = syy > 0 ? std::clamp(sxy * sxy / (sxx * syy), 0.0, 1.0) : 0.0;
  t.mean_value = my;
  return t;
}

std::optional<double> AnomalyScore(const SlotSeries& s, AnomalyMethod method, size_t min_baseline,
                                   size_t end) {
  std::optional<size_t> newest;
  for (size_t i = std::min(end, s.value.size()); i-- > 0;) {
    if (s.present[i]) {
      newest = i;
      break;
    }
  }
  if (!newest) return std::nullopt;
  const std::span<const double> values(s.value.data(), *newest);
  const std::span<const uint8_t> present(s.present.data(), *newest);
  size_t count = 0;
  for (uint8_t p : present) count += p;
  if (count < std::max<size_t>(min_baseline, 2)) return std::nullopt;
  const double x = s.value[*newest];
  double center, spread;
  if (method == AnomalyMethod::kZScore) {
    double sum = 0;
    for (size_t i = 0; i < values.size(); ++i) sum += present[i] ? values[i] : 0.0;
    const double mean = sum / static_cast<double>(count);
    double var = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      const double d = present[i] ? values[i] - mean : 0.0;
      var += d * d;
    }
    var /= static_cast<double>(count - 1);
    center = mean;
    spread = std::sqrt(var);
  } else {
    std::vector<double> baseline;
    baseline.reserve(count);
    for (size_t i = 0; i < values.size(); ++i) {
      if (present[i]) baseline.push_back(values[i]);
    }
    center = *Median(baseline);
    for (double& v : baseline) v = std::abs(v - center);
    spread = *Median(std::move(baseline)) / 0.6745;  // MAD scaled to a normal sigma
  }
  if (spread <= 1e-12 * std::max(1.0, std::abs(center))) {
    return std::abs(x - center) <= 1e-12 * std::max(1.0, std::abs(center)) ? 0.0
                                                                           : kFlatBaselineScore;
  }
  return std::abs(x - center) / spread;
}

}  // namespace depin::analytics
