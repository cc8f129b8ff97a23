// Online additive Holt-Winters (ETS(A,A,A): level, trend, additive season of
// period m) with prediction intervals. One observation per fixed step; the
// state is O(m) and each observation costs O(1): nothing re-scans history.
// Model, initialisation, interval formula, defaults and the measured
// agreement with statsmodels: docs/forecast.md.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace depin::analytics {

// Smoothing parameters per step, in the component (Holt-Winters) form that
// statsmodels' ExponentialSmoothing uses:
//   level   l_t = alpha (y_t - s_{t-m}) + (1 - alpha)(l_{t-1} + b_{t-1})
//   trend   b_t = beta (l_t - l_{t-1}) + (1 - beta) b_{t-1}
//   season  s_t = gamma (y_t - l_{t-1} - b_{t-1}) + (1 - gamma) s_{t-m}
// The defaults suit a 5-minute step with a daily season (m = 288) and were
// chosen for calibrated intervals up to 24h ahead (docs/forecast.md).
struct HoltWintersParams {
  double alpha = 0.02;             // 0 < alpha <= 1
  double beta = 0.001;             // 0 <= beta <= 1
  double gamma = 0.1;              // 0 <= gamma <= 1
  int season_length = 288;         // m >= 2 steps
  double interval_coverage = 0.8;  // central coverage of [lower, upper], 0 < c < 1
  int init_seasons = 2;            // seasons buffered for the initial estimates, 2..5
  // Residuals behind the running one-step variance: a plain mean of the first
  // `variance_window` squared residuals, then an exponentially weighted mean
  // with weight 1/variance_window. 0 means 4 * season_length.
  int variance_window = 0;
  // When the warm-up is complete, replace alpha, beta and gamma by the
  // point of the default HoltWintersGrid with the smallest one-step SSE over the
  // warm-up steps (FitHoltWinters), once per series.
  bool fit_on_warmup = false;
};

// InvalidArgument naming the first parameter out of range.
Status ValidateHoltWintersParams(const HoltWintersParams& p);

// Steps buffered before the model is ready: init_seasons seasons, raised to
// the ceil((10 + 2*floor(m/2)) / m) seasons the initial estimates need.
int WarmupSteps(const HoltWintersParams& p);

// Initial states l_0, b_0 and s_{1-m..0}; `seasonal[j]` is the seasonal term
// of the steps t with t mod m == j, summing to 0.
struct HoltWintersState {
  double level = 0;
  double trend = 0;
  std::vector<double> seasonal;
};

// The classical initial estimates (Hyndman et al. 2008, §2.6.1), exactly as
// statsmodels' initialization_method="heuristic" computes them from `y`:
// k = max(min(5, n/m), ceil((10 + 2*floor(m/2))/m)) seasons are used; a
// centred 2×m (m even) or m (m odd) moving average gives the trend-cycle; the
// seasonal term of phase j is the mean of y - MA over those seasons, centred
// to sum 0; level and trend are the intercept and slope of a least-squares
// line through the first 10 moving-average values at x = 1..10. All values
// must be finite. InvalidArgument when `y` is too short.
Result<HoltWintersState> HeuristicInitialState(std::span<const double> y, int m);

// Φ⁻¹(p) for 0 < p < 1 (±inf at 0 and 1, NaN outside): Acklam's rational
// approximation (relative error < 1.15e-9) refined by one Halley step on
// std::erfc, which brings it to ~1e-15.
double InverseNormalCdf(double p);

// 1 + Σ_{j=1}^{h-1} c_j², c_j = alpha (1 + j beta) + gamma·[j mod m == 0]: the
// ETS(A,A,A) h-step forecast variance in units of the one-step variance
// (Hyndman et al. 2008, Table 6.1), in closed form. h >= 1.
double RelativeForecastVariance(const HoltWintersParams& p, int h);

// Candidate smoothing parameters for FitHoltWinters: a bounded grid, so a
// short warm-up cannot pick degenerate values (alpha = beta = gamma = 0
// freezes a noisy initial trend forever) or large trend gains, whose
// initial-state errors do not die out with a long season (docs/forecast.md).
struct HoltWintersGrid {
  std::vector<double> alpha{0.01, 0.02, 0.05, 0.1, 0.2, 0.3};
  std::vector<double> beta{0.0005, 0.001, 0.005};
  std::vector<double> gamma{0.05, 0.1, 0.2};
};

// `base` with alpha, beta and gamma replaced by the grid point whose
// recursion, from HeuristicInitialState(y) (gaps interpolated for it), has
// the smallest sum of squared one-step errors over y (missing steps
// contribute nothing). Ties keep the first point in alpha, beta, gamma order.
// InvalidArgument for invalid `base`, an empty grid axis, or y shorter than
// WarmupSteps(base) or with fewer than half of its steps present.
Result<HoltWintersParams> FitHoltWinters(std::span<const double> y, const HoltWintersParams& base,
                                         const HoltWintersGrid& grid = {});

struct Forecast {
  double mean = 0;
  double lower = 0;  // mean ∓ z·σ_h with z = Φ⁻¹((1 + coverage) / 2)
  double upper = 0;
};

class HoltWinters {
 public:
  // A model in warm-up. InvalidArgument for invalid parameters.
  static Result<HoltWinters> Create(const HoltWintersParams& p);
  // A ready model from known initial states (statsmodels'
  // initialization_method="known"); the next observation has phase 0.
  static Result<HoltWinters> FromState(const HoltWintersParams& p, HoltWintersState initial);

  // One observation for the next step; NaN or ±inf marks a missing step.
  // Warm-up: the first WarmupSteps() steps (leading missing steps are
  // dropped) are buffered; missing steps inside are linearly interpolated
  // for the initial estimates only; if fewer than half are present the oldest
  // season is discarded and warm-up continues. Once full, the initial states
  // are computed and the buffered steps replayed, so the state equals
  // FromState(HeuristicInitialState(buffer)) fed with the buffer.
  // Ready: a missing step advances the state along its own forecast (error
  // 0: l += b, b and s unchanged) and adds no residual; At() then widens the
  // intervals as for a forecast made at the last observation.
  void Observe(double y);

  bool ready() const { return ready_; }
  // The forecast for h >= 1 steps after the last observed step; NaNs when not
  // ready or h < 1.
  Forecast At(int h) const;

  // Running mean of squared one-step errors (σ²), 0 before any residual.
  double residual_variance() const { return sigma2_; }
  int64_t residual_count() const { return residuals_; }
  // Missing steps since the last observation (0 when the last step had data).
  int missing_steps() const { return missing_run_; }
  const HoltWintersParams& params() const { return params_; }
  // Current states; meaningful when ready.
  HoltWintersState state() const;

  // A flat encoding of the whole state (warm-up buffer or model states,
  // including fitted alpha, beta, gamma), for persistence; LoadState with the
  // same parameters restores it exactly.
  std::vector<double> SaveState() const;
  static Result<HoltWinters> LoadState(const HoltWintersParams& p, std::span<const double> saved);

 private:
  explicit HoltWinters(const HoltWintersParams& p);
  void Initialise();
  void Update(double y);

  HoltWintersParams params_;
  double z_ = 0;    // normal quantile for the coverage
  int window_ = 0;  // effective variance window
  bool ready_ = false;
  std::vector<double> warmup_;  // buffered steps until ready, then empty
  double level_ = 0;
  double trend_ = 0;
  std::vector<double> season_;  // season_[j]: phase j; size m once ready
  int phase_ = 0;               // phase of the next step
  double sigma2_ = 0;
  int64_t residuals_ = 0;
  int missing_run_ = 0;
};

}  // namespace depin::analytics
