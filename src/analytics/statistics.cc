#include "analytics/statistics.h"

#include <algorithm>
#include <cmath>

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
  return static_cast<size_t>(std::count(present.begin(), present.end(), true));
}

SlotSeries SlotMeans(windows::ScalarSpan v) {
  SlotSeries s;
  s.value.assign(v.sum.size(), 0.0);
  s.present.assign(v.sum.size(), false);
  for (size_t i = 0; i < v.sum.size(); ++i) {
    if (v.count[i] > 0) {
      s.value[i] = v.sum[i] / v.count[i];
      s.present[i] = true;
    }
  }
  return s;
}

SlotSeries SlotRatio(windows::ScalarSpan numerator, windows::ScalarSpan other) {
  SlotSeries s;
  const size_t n = std::max(numerator.sum.size(), other.sum.size());
  s.value.assign(n, 0.0);
  s.present.assign(n, false);
  for (size_t i = 0; i < n; ++i) {
    double a = i < numerator.sum.size() ? numerator.sum[i] : 0.0;
    double b = i < other.sum.size() ? other.sum[i] : 0.0;
    if (a + b > 0) {
      s.value[i] = a / (a + b);
      s.present[i] = true;
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
  double n = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < s.value.size(); ++i) {
    if (!s.present[i]) continue;
    n += 1;
    sx += static_cast<double>(i) * step_seconds;
    sy += s.value[i];
  }
  if (n < static_cast<double>(std::max<size_t>(min_points, 2))) return std::nullopt;
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < s.value.size(); ++i) {
    if (!s.present[i]) continue;
    double dx = static_cast<double>(i) * step_seconds - mx, dy = s.value[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx <= 0) return std::nullopt;
  LinearTrend t;
  t.slope_per_second = sxy / sxx;
  t.r2 = syy > 0 ? std::clamp(sxy * sxy / (sxx * syy), 0.0, 1.0) : 0.0;
  return t;
}

std::optional<double> AnomalyScore(const SlotSeries& s, AnomalyMethod method, size_t min_baseline) {
  std::optional<size_t> newest;
  for (size_t i = s.value.size(); i-- > 0;) {
    if (s.present[i]) {
      newest = i;
      break;
    }
  }
  if (!newest) return std::nullopt;
  std::vector<double> baseline;
  for (size_t i = 0; i < *newest; ++i) {
    if (s.present[i]) baseline.push_back(s.value[i]);
  }
  if (baseline.size() < std::max<size_t>(min_baseline, 2)) return std::nullopt;
  const double x = s.value[*newest];
  double center, spread;
  if (method == AnomalyMethod::kZScore) {
    double mean = 0;
    for (double v : baseline) mean += v;
    mean /= static_cast<double>(baseline.size());
    double var = 0;
    for (double v : baseline) var += (v - mean) * (v - mean);
    var /= static_cast<double>(baseline.size() - 1);
    center = mean;
    spread = std::sqrt(var);
  } else {
    center = *Median(baseline);
    std::vector<double> dev;
    dev.reserve(baseline.size());
    for (double v : baseline) dev.push_back(std::abs(v - center));
    spread = *Median(dev) / 0.6745;  // MAD scaled to a normal sigma
  }
  if (spread <= 1e-12 * std::max(1.0, std::abs(center))) {
    return std::abs(x - center) <= 1e-12 * std::max(1.0, std::abs(center)) ? 0.0
                                                                           : kFlatBaselineScore;
  }
  return std::abs(x - center) / spread;
}

}  // namespace depin::analytics
