#include "analytics/forecast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>
#include <utility>

namespace depin::analytics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kMaxInitSeasons = 5;  // statsmodels' heuristic never uses more
constexpr int kLevelPoints = 10;    // moving-average values behind l_0 and b_0
constexpr double kStateFormat = 1;  // first value of SaveState()
// A gap longer than this only widens intervals further; the counter stops.
constexpr int kMaxMissingRun = 1 << 30;

// Statsmodels' minimum: 10 moving-average values after losing floor(m/2) at
// each end.
int MinHeuristicSteps(int m) { return kLevelPoints + 2 * (m / 2); }

bool InRange(double v, double lo, double hi) { return v >= lo && v <= hi; }

// Linear interpolation over NaN gaps; edges take the nearest present value.
// Requires at least one present value.
std::vector<double> FillGaps(std::span<const double> y) {
  std::vector<double> out(y.begin(), y.end());
  const size_t n = out.size();
  size_t prev = n;  // index of the last present value, n = none yet
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(out[i])) continue;
    if (prev == n) {
      std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(i), out[i]);
    } else {
      for (size_t k = prev + 1; k < i; ++k) {
        double f = static_cast<double>(k - prev) / static_cast<double>(i - prev);
        out[k] = out[prev] + f * (out[i] - out[prev]);
      }
    }
    prev = i;
  }
  for (size_t k = prev + 1; k < n; ++k) out[k] = out[prev];
  return out;
}

}  // namespace

Status ValidateHoltWintersParams(const HoltWintersParams& p) {
  if (!(p.alpha > 0 && p.alpha <= 1)) return Status::InvalidArgument("alpha must be in (0, 1]");
  if (!InRange(p.beta, 0, 1)) return Status::InvalidArgument("beta must be in [0, 1]");
  if (!InRange(p.gamma, 0, 1)) return Status::InvalidArgument("gamma must be in [0, 1]");
  if (p.season_length < 2 || p.season_length > (1 << 20)) {
    return Status::InvalidArgument("season_length must be in [2, 2^20]");
  }
  if (!(p.interval_coverage > 0 && p.interval_coverage < 1)) {
    return Status::InvalidArgument("interval_coverage must be in (0, 1)");
  }
  if (p.init_seasons < 2 || p.init_seasons > kMaxInitSeasons) {
    return Status::InvalidArgument("init_seasons must be in [2, 5]");
  }
  if (p.variance_window < 0) return Status::InvalidArgument("variance_window must be >= 0");
  return Status::Ok();
}

int WarmupSteps(const HoltWintersParams& p) {
  const int m = p.season_length;
  const int needed = (MinHeuristicSteps(m) + m - 1) / m;
  return std::max(p.init_seasons, needed) * m;
}

Result<HoltWintersState> HeuristicInitialState(std::span<const double> y, int m) {
  if (m < 2) return Status::InvalidArgument("season length must be >= 2");
  const int n = static_cast<int>(y.size());
  const int min_steps = MinHeuristicSteps(m);
  if (n < 2 * m || n < min_steps) {
    return Status::InvalidArgument("heuristic initialisation needs at least " +
                                   std::to_string(std::max(2 * m, min_steps)) + " steps, got " +
                                   std::to_string(n));
  }
  for (double v : y) {
    if (!std::isfinite(v)) return Status::InvalidArgument("heuristic initialisation: non-finite");
  }
  // Seasons used, as statsmodels: min(5, n/m), at least enough for 10 MA values.
  const int k = std::max(std::min(kMaxInitSeasons, n / m), (min_steps + m - 1) / m);
  const int len = k * m;
  if (n < len) return Status::InvalidArgument("heuristic initialisation: series too short");

  // Centred moving average: MA_m at i covers [i - floor(m/2), i - floor(m/2) + m - 1]
  // (pandas' rolling(m, center=True)); for even m the mean of two adjacent
  // ones (the 2×m MA), valid on [floor(m/2), len - 1 - floor(m/2)].
  const int half = m / 2;
  std::vector<double> ma(len, kNaN);
  auto window_mean = [&](int start) {
    double s = 0;
    for (int j = start; j < start + m; ++j) s += y[j];
    return s / m;
  };
  for (int i = half; i + half < len; ++i) {
    if (m % 2 == 1) {
      ma[i] = window_mean(i - half);
    } else {
      ma[i] = (window_mean(i - half) + window_mean(i - half + 1)) / 2;
    }
  }

  HoltWintersState st;
  st.seasonal.assign(m, 0.0);
  double mean_season = 0;
  for (int j = 0; j < m; ++j) {
    double sum = 0;
    int count = 0;
    for (int c = 0; c < k; ++c) {
      int i = c * m + j;
      if (std::isnan(ma[i])) continue;
      sum += y[i] - ma[i];
      ++count;
    }
    st.seasonal[j] = sum / count;  // every phase has a value: len - 2*half >= m
    mean_season += st.seasonal[j];
  }
  mean_season /= m;
  for (double& s : st.seasonal) s -= mean_season;

  // Least squares through (x, MA) for x = 1..10 over the first valid MA values.
  constexpr double kMeanX = (kLevelPoints + 1) / 2.0;
  double mean_y = 0;
  for (int x = 1; x <= kLevelPoints; ++x) mean_y += ma[half + x - 1];
  mean_y /= kLevelPoints;
  double sxy = 0;
  double sxx = 0;
  for (int x = 1; x <= kLevelPoints; ++x) {
    sxy += (x - kMeanX) * (ma[half + x - 1] - mean_y);
    sxx += (x - kMeanX) * (x - kMeanX);
  }
  st.trend = sxy / sxx;
  st.level = mean_y - st.trend * kMeanX;
  return st;
}

double InverseNormalCdf(double p) {
  if (std::isnan(p) || p < 0 || p > 1) return kNaN;
  if (p == 0) return -std::numeric_limits<double>::infinity();
  if (p == 1) return std::numeric_limits<double>::infinity();
  // Acklam (2003), coefficients as published.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  auto tail = [&](double q) {
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  };
  double x;
  if (p < kLow) {
    x = tail(std::sqrt(-2 * std::log(p)));
  } else if (p > 1 - kLow) {
    x = -tail(std::sqrt(-2 * std::log1p(-p)));
  } else {
    double q = p - 0.5;
    double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // One Halley step on Φ(x) - p (Φ through erfc, accurate in both tails).
  double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
  double u = e * std::sqrt(2 * std::numbers::pi) * std::exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

double RelativeForecastVariance(const HoltWintersParams& p, int h) {
  if (h <= 1) return 1;
  // c_j = A + B j + gamma [j mod m == 0] with A = alpha, B = alpha beta (the
  // state-space trend gain). Σ_{j<h} (A + Bj)² in closed form, plus, for the
  // k = floor((h-1)/m) multiples of m, 2 gamma (A + B j) + gamma².
  const double a = p.alpha;
  const double b = p.alpha * p.beta;
  const double g = p.gamma;
  const double n = h - 1.0;  // terms
  const double s1 = n * (n + 1) / 2;
  const double s2 = n * (n + 1) * (2 * n + 1) / 6;
  const double k = std::floor(n / p.season_length);
  const double seasonal = g * k * (2 * a + g + b * p.season_length * (k + 1));
  return 1 + n * a * a + 2 * a * b * s1 + b * b * s2 + seasonal;
}

Result<HoltWintersParams> FitHoltWinters(std::span<const double> y, const HoltWintersParams& base,
                                         const HoltWintersGrid& grid) {
  DEPIN_RETURN_IF_ERROR(ValidateHoltWintersParams(base));
  if (grid.alpha.empty() || grid.beta.empty() || grid.gamma.empty()) {
    return Status::InvalidArgument("empty parameter grid");
  }
  if (static_cast<int>(y.size()) < WarmupSteps(base)) {
    return Status::InvalidArgument("fit needs at least " + std::to_string(WarmupSteps(base)) +
                                   " steps");
  }
  const auto present = std::count_if(y.begin(), y.end(), [](double v) { return std::isfinite(v); });
  if (2 * present < static_cast<std::ptrdiff_t>(y.size())) {
    return Status::InvalidArgument("fit needs at least half of the steps present");
  }
  std::vector<double> clean(y.begin(), y.end());
  for (double& v : clean) {
    if (!std::isfinite(v)) v = kNaN;
  }
  auto initial = HeuristicInitialState(FillGaps(clean), base.season_length);
  if (!initial.ok()) return initial.status();
  HoltWintersParams best = base;
  double best_sse = std::numeric_limits<double>::infinity();
  HoltWintersParams candidate = base;
  candidate.fit_on_warmup = false;
  candidate.variance_window = static_cast<int>(y.size());  // plain mean: SSE = σ² n
  for (double a : grid.alpha) {
    for (double b : grid.beta) {
      for (double g : grid.gamma) {
        candidate.alpha = a;
        candidate.beta = b;
        candidate.gamma = g;
        auto hw = HoltWinters::FromState(candidate, *initial);
        if (!hw.ok()) return hw.status();
        for (double v : clean) hw->Observe(v);
        const double sse = hw->residual_variance() * static_cast<double>(hw->residual_count());
        if (sse < best_sse) {
          best_sse = sse;
          best.alpha = a;
          best.beta = b;
          best.gamma = g;
        }
      }
    }
  }
  return best;
}

HoltWinters::HoltWinters(const HoltWintersParams& p)
    : params_(p),
      z_(InverseNormalCdf(0.5 + p.interval_coverage / 2)),
      window_(p.variance_window > 0 ? p.variance_window : 4 * p.season_length) {}

Result<HoltWinters> HoltWinters::Create(const HoltWintersParams& p) {
  DEPIN_RETURN_IF_ERROR(ValidateHoltWintersParams(p));
  HoltWinters hw(p);
  hw.warmup_.reserve(WarmupSteps(p));
  return hw;
}

Result<HoltWinters> HoltWinters::FromState(const HoltWintersParams& p, HoltWintersState initial) {
  DEPIN_RETURN_IF_ERROR(ValidateHoltWintersParams(p));
  if (static_cast<int>(initial.seasonal.size()) != p.season_length) {
    return Status::InvalidArgument(
        "initial seasonal terms: " + std::to_string(initial.seasonal.size()) + ", season_length " +
        std::to_string(p.season_length));
  }
  bool finite = std::isfinite(initial.level) && std::isfinite(initial.trend);
  for (double s : initial.seasonal) finite = finite && std::isfinite(s);
  if (!finite) return Status::InvalidArgument("initial states must be finite");
  HoltWinters hw(p);
  hw.level_ = initial.level;
  hw.trend_ = initial.trend;
  hw.season_ = std::move(initial.seasonal);
  hw.ready_ = true;
  return hw;
}

void HoltWinters::Observe(double y) {
  if (!std::isfinite(y)) y = kNaN;
  if (ready_) {
    Update(y);
    return;
  }
  if (warmup_.empty() && std::isnan(y)) return;  // the series starts at its first value
  warmup_.push_back(y);
  if (static_cast<int>(warmup_.size()) < WarmupSteps(params_)) return;
  const auto present =
      std::count_if(warmup_.begin(), warmup_.end(), [](double v) { return !std::isnan(v); });
  if (2 * present < static_cast<std::ptrdiff_t>(warmup_.size())) {
    // Too sparse for trustworthy initial estimates: slide by one season,
    // which keeps the phase of every buffered step.
    warmup_.erase(warmup_.begin(), warmup_.begin() + params_.season_length);
    return;
  }
  Initialise();
}

void HoltWinters::Initialise() {
  std::vector<double> buffered = std::move(warmup_);
  warmup_ = {};
  // The buffer is a multiple of m long and at least 10 + 2 floor(m/2), so the
  // heuristic cannot fail on it; gaps are filled for the estimates only.
  if (params_.fit_on_warmup) {
    // Once per series, on the warm-up only; cannot fail on this buffer.
    auto fitted = FitHoltWinters(buffered, params_);
    if (fitted.ok()) params_ = *fitted;
  }
  auto initial = HeuristicInitialState(FillGaps(buffered), params_.season_length);
  level_ = initial->level;
  trend_ = initial->trend;
  season_ = std::move(initial->seasonal);
  phase_ = 0;
  ready_ = true;
  // Replay: the same recursion statsmodels runs over the sample it was
  // initialised from; missing steps stay missing.
  for (double v : buffered) Update(v);
}

void HoltWinters::Update(double y) {
  const double a = params_.alpha;
  const double b = params_.beta;
  const double g = params_.gamma;
  double& s = season_[phase_];
  const double base = level_ + trend_;  // l_{t-1} + b_{t-1}
  phase_ = phase_ + 1 == params_.season_length ? 0 : phase_ + 1;
  if (std::isnan(y)) {
    // Missing: follow the forecast (error 0), which leaves b and s unchanged.
    level_ = base;
    if (missing_run_ < kMaxMissingRun) ++missing_run_;
    return;
  }
  const double error = y - (base + s);
  const double level = a * (y - s) + (1 - a) * base;
  trend_ = b * (level - level_) + (1 - b) * trend_;
  s = g * (y - base) + (1 - g) * s;
  level_ = level;
  missing_run_ = 0;
  ++residuals_;
  // Plain mean of the first `window_` squared errors, then exponential forgetting.
  const double w = 1.0 / static_cast<double>(std::min<int64_t>(residuals_, window_));
  sigma2_ += w * (error * error - sigma2_);
}

Forecast HoltWinters::At(int h) const {
  if (!ready_ || h < 1) return {kNaN, kNaN, kNaN};
  const int m = params_.season_length;
  // s for step t+h is the newest seasonal term of its phase.
  const int phase = static_cast<int>((static_cast<int64_t>(phase_) + h - 1) % m);
  const double mean = level_ + h * trend_ + season_[phase];
  // After g missing steps the state is the forecast made g steps ago, so the
  // error is that of horizon g + h.
  const int64_t horizon = static_cast<int64_t>(h) + missing_run_;
  const int hv = static_cast<int>(std::min<int64_t>(horizon, std::numeric_limits<int>::max()));
  const double sd = std::sqrt(sigma2_ * RelativeForecastVariance(params_, hv));
  return {mean, mean - z_ * sd, mean + z_ * sd};
}

HoltWintersState HoltWinters::state() const { return {level_, trend_, season_}; }

// Layout: [format, ready, ...]; warm-up: the buffered steps (NaN = missing);
// ready: alpha, beta, gamma (fitted ones may differ from the configured),
// level, trend, sigma², residuals, missing run, phase, s_0..s_{m-1}.
std::vector<double> HoltWinters::SaveState() const {
  std::vector<double> out{kStateFormat, ready_ ? 1.0 : 0.0};
  if (!ready_) {
    out.insert(out.end(), warmup_.begin(), warmup_.end());
    return out;
  }
  out.insert(out.end(), {params_.alpha, params_.beta, params_.gamma, level_, trend_, sigma2_,
                         static_cast<double>(residuals_), static_cast<double>(missing_run_),
                         static_cast<double>(phase_)});
  out.insert(out.end(), season_.begin(), season_.end());
  return out;
}

Result<HoltWinters> HoltWinters::LoadState(const HoltWintersParams& p,
                                           std::span<const double> saved) {
  DEPIN_RETURN_IF_ERROR(ValidateHoltWintersParams(p));
  if (saved.size() < 2 || saved[0] != kStateFormat) {
    return Status::InvalidArgument("Holt-Winters state: unknown format");
  }
  const size_t m = static_cast<size_t>(p.season_length);
  HoltWinters hw(p);
  if (saved[1] == 0) {
    auto steps = saved.subspan(2);
    if (steps.size() >= static_cast<size_t>(WarmupSteps(p))) {
      return Status::InvalidArgument("Holt-Winters state: warm-up buffer too long");
    }
    hw.warmup_.assign(steps.begin(), steps.end());
    return hw;
  }
  constexpr size_t kHeader = 11;
  if (saved[1] != 1 || saved.size() != kHeader + m) {
    return Status::InvalidArgument("Holt-Winters state: " + std::to_string(saved.size()) +
                                   " values for season_length " + std::to_string(m));
  }
  for (size_t i = 2; i < saved.size(); ++i) {
    if (!std::isfinite(saved[i])) return Status::InvalidArgument("Holt-Winters state: non-finite");
  }
  HoltWintersParams restored = p;
  restored.alpha = saved[2];
  restored.beta = saved[3];
  restored.gamma = saved[4];
  DEPIN_RETURN_IF_ERROR(ValidateHoltWintersParams(restored));
  const double residuals = saved[8];
  const double missing = saved[9];
  const double phase = saved[10];
  auto whole = [](double v, double hi) { return v >= 0 && v <= hi && v == std::floor(v); };
  if (!whole(residuals, 9007199254740992.0) || !whole(missing, kMaxMissingRun) ||
      !whole(phase, static_cast<double>(m - 1)) || !(saved[7] >= 0)) {
    return Status::InvalidArgument("Holt-Winters state: invalid counters");
  }
  hw.params_ = restored;
  hw.level_ = saved[5];
  hw.trend_ = saved[6];
  hw.sigma2_ = saved[7];
  hw.residuals_ = static_cast<int64_t>(residuals);
  hw.missing_run_ = static_cast<int>(missing);
  hw.phase_ = static_cast<int>(phase);
  hw.season_.assign(saved.begin() + kHeader, saved.end());
  hw.ready_ = true;
  return hw;
}

}  // namespace depin::analytics
