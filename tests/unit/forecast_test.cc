#include "analytics/forecast.h"
#include "analytics/forecast_tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

namespace depin::analytics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

HoltWintersParams Params(int m, double alpha = 0.3, double beta = 0.05, double gamma = 0.2) {
  HoltWintersParams p;
  p.alpha = alpha;
  p.beta = beta;
  p.gamma = gamma;
  p.season_length = m;
  return p;
}

HoltWinters Fed(const HoltWintersParams& p, const std::vector<double>& y) {
  auto hw = HoltWinters::Create(p);
  EXPECT_TRUE(hw.ok()) << hw.status().message();
  for (double v : y) hw->Observe(v);
  return std::move(*hw);
}

double Sine(int t, int m) { return 10 * std::sin(2 * std::numbers::pi * t / m); }

TEST(InverseNormalCdf, MatchesTabulatedQuantiles) {
  EXPECT_NEAR(InverseNormalCdf(0.5), 0.0, 1e-15);
  EXPECT_NEAR(InverseNormalCdf(0.9), 1.2815515655446004, 1e-12);
  EXPECT_NEAR(InverseNormalCdf(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(InverseNormalCdf(0.1), -1.2815515655446004, 1e-12);
  EXPECT_NEAR(InverseNormalCdf(0.995), 2.5758293035489004, 1e-12);
  EXPECT_NEAR(InverseNormalCdf(1e-10), -6.361340902404056, 1e-9);     // lower tail branch
  EXPECT_NEAR(InverseNormalCdf(1 - 1e-10), 6.361340889697422, 1e-6);  // 1-p rounds
  EXPECT_TRUE(std::isinf(InverseNormalCdf(0)));
  EXPECT_TRUE(std::isnan(InverseNormalCdf(1.5)));
}

TEST(InverseNormalCdf, InvertsErfcEverywhere) {
  for (double p = 0.001; p < 1; p += 0.001) {
    double x = InverseNormalCdf(p);
    EXPECT_NEAR(0.5 * std::erfc(-x / std::numbers::sqrt2), p, 1e-15) << p;
  }
}

TEST(RelativeForecastVariance, EqualsTheSumOfSquaredCoefficients) {
  auto p = Params(12);
  double sum = 1;
  for (int h = 1; h <= 60; ++h) {
    EXPECT_NEAR(RelativeForecastVariance(p, h), sum, 1e-12 * sum) << h;
    int j = h;  // c_j enters from horizon j + 1 on
    double c = p.alpha * (1 + j * p.beta) + (j % p.season_length == 0 ? p.gamma : 0);
    sum += c * c;
  }
}

TEST(Params, RejectsOutOfRange) {
  auto p = Params(12);
  p.alpha = 0;
  EXPECT_FALSE(ValidateHoltWintersParams(p).ok());
  p = Params(12);
  p.season_length = 1;
  EXPECT_FALSE(HoltWinters::Create(p).ok());
  p = Params(12);
  p.interval_coverage = 1;
  EXPECT_FALSE(HoltWinters::Create(p).ok());
  p = Params(12);
  p.init_seasons = 6;
  EXPECT_FALSE(HoltWinters::Create(p).ok());
  EXPECT_TRUE(HoltWinters::Create(Params(288)).ok());
}

TEST(Warmup, NeedsTwoSeasonsOrTenMovingAverageValues) {
  EXPECT_EQ(WarmupSteps(Params(288)), 576);
  EXPECT_EQ(WarmupSteps(Params(12)), 24);
  EXPECT_EQ(WarmupSteps(Params(4)), 16);  // 10 + 2*2 = 14 steps -> 4 seasons
  auto p = Params(12);
  p.init_seasons = 3;
  EXPECT_EQ(WarmupSteps(p), 36);
  auto hw = Fed(Params(12), std::vector<double>(23, 1.0));
  EXPECT_FALSE(hw.ready());
  EXPECT_TRUE(std::isnan(hw.At(1).mean));
  hw.Observe(1.0);
  EXPECT_TRUE(hw.ready());
}

TEST(HoltWinters, ConstantSeriesForecastsTheConstantWithShrinkingVariance) {
  const int m = 12;
  std::vector<double> y(48, 5.0);
  y[30] = 6.0;  // one disturbance, then constant again
  auto hw = Fed(Params(m), y);
  ASSERT_TRUE(hw.ready());
  // The disturbance echoes for a few seasons; from then on, one checkpoint
  // per variance window (4m), the residual variance only shrinks.
  for (int t = 0; t < 4 * m; ++t) hw.Observe(5.0);
  double previous = hw.residual_variance();
  EXPECT_GT(previous, 0);
  for (int checkpoint = 0; checkpoint < 10; ++checkpoint) {
    for (int t = 0; t < 4 * m; ++t) hw.Observe(5.0);
    EXPECT_LT(hw.residual_variance(), previous);
    previous = hw.residual_variance();
  }
  EXPECT_LT(previous, 1e-5);
  for (int h : {1, 7, 12, 100}) EXPECT_NEAR(hw.At(h).mean, 5.0, 1e-3) << h;

  auto flat = Fed(Params(m), std::vector<double>(48, 5.0));
  EXPECT_DOUBLE_EQ(flat.At(3).mean, 5.0);
  EXPECT_EQ(flat.residual_variance(), 0.0);
  EXPECT_EQ(flat.At(3).lower, 5.0);
}

TEST(HoltWinters, ExtrapolatesALinearTrend) {
  std::vector<double> y;
  for (int t = 0; t < 200; ++t) y.push_back(3 + 0.5 * t);
  // From the exact states (l_0 = 2.5 at t = -1, b_0 = 0.5, no season) the
  // line is followed without error.
  auto exact = HoltWinters::FromState(Params(12), {2.5, 0.5, std::vector<double>(12, 0.0)});
  ASSERT_TRUE(exact.ok());
  for (double v : y) exact->Observe(v);
  for (int h : {1, 12, 50}) EXPECT_NEAR(exact->At(h).mean, 3 + 0.5 * (199 + h), 1e-9) << h;
  EXPECT_NEAR(exact->residual_variance(), 0, 1e-20);
  // The heuristic's l_0 sits m/2 steps late (statsmodels' alignment), which
  // the recursion corrects.
  for (int t = 200; t < 2000; ++t) y.push_back(3 + 0.5 * t);
  auto hw = Fed(Params(12), y);
  for (int h : {1, 12, 50}) EXPECT_NEAR(hw.At(h).mean, 3 + 0.5 * (1999 + h), 1e-6) << h;
  EXPECT_NEAR(hw.state().trend, 0.5, 1e-9);
}

TEST(HoltWinters, ReproducesAPureSeason) {
  const int m = 24;
  std::vector<double> y;
  for (int t = 0; t < 10 * m; ++t) y.push_back(50 + Sine(t, m));
  auto hw = Fed(Params(m), y);
  const int last = static_cast<int>(y.size()) - 1;
  for (int h = 1; h <= 2 * m; ++h) {
    EXPECT_NEAR(hw.At(h).mean, 50 + Sine(last + h, m), 1e-9) << h;
  }
  EXPECT_NEAR(hw.state().trend, 0, 1e-12);
}

TEST(HoltWinters, InitialisesAsTheHeuristicThenReplays) {
  const int m = 12;
  std::vector<double> y;
  for (int t = 0; t < 24; ++t) y.push_back(20 + 0.3 * t + Sine(t, m) + (t % 5) * 0.1);
  auto init = HeuristicInitialState(y, m);
  ASSERT_TRUE(init.ok());
  double sum = 0;
  for (double s : init->seasonal) sum += s;
  EXPECT_NEAR(sum, 0, 1e-12);
  EXPECT_NEAR(init->trend, 0.3, 0.05);
  auto known = HoltWinters::FromState(Params(m), *init);
  ASSERT_TRUE(known.ok());
  for (double v : y) known->Observe(v);
  auto online = Fed(Params(m), y);
  for (int h = 1; h <= 30; ++h) {
    EXPECT_EQ(online.At(h).mean, known->At(h).mean);
    EXPECT_EQ(online.At(h).upper, known->At(h).upper);
  }
  EXPECT_FALSE(HeuristicInitialState(std::span(y).first(20), m).ok());
}

TEST(HoltWinters, MissingStepsAdvanceAlongTheForecast) {
  const int m = 12;
  std::vector<double> y;
  for (int t = 0; t < 60; ++t) y.push_back(10 + 0.2 * t + Sine(t, m));
  auto hw = Fed(Params(m), y);
  const Forecast ahead3 = hw.At(3);
  const Forecast ahead1 = hw.At(1);
  hw.Observe(kNaN);
  hw.Observe(std::numeric_limits<double>::infinity());  // also missing
  EXPECT_EQ(hw.missing_steps(), 2);
  const Forecast after = hw.At(1);
  EXPECT_NEAR(after.mean, ahead3.mean, 1e-12);    // same target step, same forecast
  EXPECT_NEAR(after.upper, ahead3.upper, 1e-12);  // and the 3-step width
  EXPECT_GT(after.upper - after.lower, ahead1.upper - ahead1.lower);
  const auto residuals = hw.residual_count();
  for (int t = 62; t < 120; ++t) hw.Observe(10 + 0.2 * t + Sine(t, m));
  EXPECT_EQ(hw.missing_steps(), 0);
  EXPECT_EQ(hw.residual_count(), residuals + 58);
  EXPECT_NEAR(hw.At(1).mean, 10 + 0.2 * 120 + Sine(120, m), 0.5);
}

TEST(HoltWinters, MissingStepsInWarmupAreInterpolatedForTheEstimates) {
  const int m = 12;
  std::vector<double> y;
  for (int t = 0; t < 100; ++t) y.push_back(10 + 0.2 * t + Sine(t, m));
  std::vector<double> gappy = y;
  gappy.insert(gappy.begin(), 3, kNaN);  // before the series starts: dropped
  for (int t : {5, 6, 7, 20}) gappy[3 + t] = kNaN;
  auto hw = Fed(Params(m), gappy);
  ASSERT_TRUE(hw.ready());
  EXPECT_EQ(hw.residual_count(), 96);
  EXPECT_NEAR(hw.At(1).mean, 10 + 0.2 * 100 + Sine(100, m), 0.3);

  // Mostly missing: warm-up slides until half of the buffer is present.
  std::vector<double> sparse(48, kNaN);
  sparse[0] = 1;
  auto waiting = Fed(Params(m), sparse);
  EXPECT_FALSE(waiting.ready());
  for (int t = 0; t < 24; ++t) waiting.Observe(1);
  EXPECT_TRUE(waiting.ready());
  EXPECT_NEAR(waiting.At(1).mean, 1, 1e-12);
}

TEST(HoltWinters, IntervalsWidenWithTheHorizonAndCoverTheMean) {
  const int m = 24;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0, 2);
  std::vector<double> y;
  for (int t = 0; t < 20 * m; ++t) y.push_back(100 + 0.1 * t + Sine(t, m) + noise(rng));
  auto hw = Fed(Params(m), y);
  double width = 0;
  for (int h = 1; h <= 3 * m; ++h) {
    Forecast f = hw.At(h);
    EXPECT_LT(f.lower, f.mean);
    EXPECT_GT(f.upper, f.mean);
    EXPECT_NEAR(f.mean - f.lower, f.upper - f.mean, 1e-9);
    EXPECT_GT(f.upper - f.lower, width) << h;
    width = f.upper - f.lower;
  }
  // One step: mean ± z·σ with z = Φ⁻¹(0.9) for 80% coverage.
  Forecast f1 = hw.At(1);
  EXPECT_NEAR((f1.upper - f1.mean) / std::sqrt(hw.residual_variance()), 1.2815515655446004, 1e-12);
  EXPECT_NEAR(std::sqrt(hw.residual_variance()), 2, 0.4);
}

TEST(HoltWinters, VarianceWindowForgetsOldResiduals) {
  const int m = 12;
  auto p = Params(m);
  p.variance_window = 24;
  std::vector<double> y(24, 1.0);
  y.push_back(11);  // error 10 once
  auto hw = Fed(p, y);
  EXPECT_NEAR(hw.residual_variance(), 100.0 / 24, 1e-12);  // 25th residual: weight 1/24
  for (int t = 0; t < 24 * 20; ++t) hw.Observe(hw.At(1).mean);
  EXPECT_LT(hw.residual_variance(), 100.0 / 24 * std::exp(-19));
}

TEST(HoltWinters, StateRoundTripsExactly) {
  const int m = 12;
  std::vector<double> y;
  for (int t = 0; t < 50; ++t) y.push_back(3 + 0.1 * t + Sine(t, m) + (t % 3));
  auto p = Params(m);
  for (size_t cut : {size_t{10}, size_t{50}}) {
    std::vector<double> head(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(cut));
    auto a = Fed(p, head);
    a.Observe(kNaN);
    auto b = HoltWinters::LoadState(p, a.SaveState());
    ASSERT_TRUE(b.ok()) << b.status().message();
    for (int t = 0; t < 40; ++t) {
      a.Observe(t * 0.5);
      b->Observe(t * 0.5);
    }
    EXPECT_EQ(a.SaveState(), b->SaveState());
    EXPECT_EQ(a.At(5).upper, b->At(5).upper);
  }
  auto ready = Fed(p, y);
  std::vector<double> saved = ready.SaveState();
  EXPECT_EQ(saved.size(), 11u + m);  // O(m): header + one value per phase
  EXPECT_FALSE(HoltWinters::LoadState(Params(24), saved).ok());
  saved[10] = m;  // phase out of range
  EXPECT_FALSE(HoltWinters::LoadState(p, saved).ok());
  EXPECT_FALSE(HoltWinters::LoadState(p, std::vector<double>{7, 1}).ok());
}

TEST(FitHoltWinters, PicksTheGridPointWithTheSmallestOneStepError) {
  const int m = 24;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  // A level that wanders (random walk) wants a faster level than a fixed one.
  std::vector<double> fixed;
  std::vector<double> wandering;
  double walk = 0;
  for (int t = 0; t < 4 * m; ++t) {
    walk += 2 * noise(rng);
    double base = 20 + Sine(t, m) + noise(rng);
    fixed.push_back(base);
    wandering.push_back(base + walk);
  }
  auto p = Params(m);
  p.init_seasons = 4;
  auto calm = FitHoltWinters(fixed, p);
  auto busy = FitHoltWinters(wandering, p);
  ASSERT_TRUE(calm.ok() && busy.ok());
  EXPECT_LT(calm->alpha, busy->alpha);
  EXPECT_EQ(busy->season_length, m);

  // No grid point has a smaller SSE than the chosen one.
  auto sse = [&](const HoltWintersParams& q) {
    auto init = HeuristicInitialState(wandering, m);
    auto hw = HoltWinters::FromState(q, *init);
    double total = 0;
    for (double v : wandering) {
      double e = v - hw->At(1).mean;
      total += e * e;
      hw->Observe(v);
    }
    return total;
  };
  const double best = sse(*busy);
  HoltWintersGrid grid;
  for (double a : grid.alpha) {
    for (double b : grid.beta) {
      for (double g : grid.gamma) {
        auto q = *busy;
        q.alpha = a;
        q.beta = b;
        q.gamma = g;
        EXPECT_GE(sse(q), best * (1 - 1e-12)) << a << " " << b << " " << g;
      }
    }
  }
  auto one = FitHoltWinters(wandering, p, {{0.4}, {0.02}, {0.3}});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->alpha, 0.4);
  EXPECT_FALSE(FitHoltWinters(std::span(wandering).first(3 * m), p).ok());
  EXPECT_FALSE(FitHoltWinters(wandering, p, {{}, {0.1}, {0.1}}).ok());
}

TEST(FitHoltWinters, OnWarmupOncePerSeriesAndPersisted) {
  const int m = 12;
  std::vector<double> y;
  double walk = 0;
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 1);
  for (int t = 0; t < 60; ++t) {
    walk += noise(rng);
    y.push_back(10 + walk + Sine(t, m) + 0.3 * noise(rng));
  }
  auto p = Params(m);
  p.fit_on_warmup = true;
  auto hw = Fed(p, std::vector<double>(y.begin(), y.begin() + WarmupSteps(p)));
  ASSERT_TRUE(hw.ready());
  auto expected = FitHoltWinters(std::span(y).first(WarmupSteps(p)), p);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(hw.params().alpha, expected->alpha);
  EXPECT_EQ(hw.params().beta, expected->beta);
  EXPECT_EQ(hw.params().gamma, expected->gamma);
  auto restored = HoltWinters::LoadState(p, hw.SaveState());
  ASSERT_TRUE(restored.ok());
  EXPECT_EQ(restored->params().alpha, expected->alpha);
  for (size_t t = WarmupSteps(p); t < y.size(); ++t) {
    hw.Observe(y[t]);
    restored->Observe(y[t]);
  }
  EXPECT_EQ(hw.At(7).upper, restored->At(7).upper);
}

// ForecastTracker over window slots as long as its steps (10 s), season of
// two steps, one horizon of one step.
constexpr int64_t kStepMs = 10'000;

ForecastConfig TrackerConfig(int64_t settle_ms) {
  ForecastConfig c;
  c.step_ms = kStepMs;
  c.season_ms = 2 * kStepMs;
  c.horizons_ms = {kStepMs};
  c.settle_ms = settle_ms;
  return c;
}

// `n` slots, slot i holding value(i), the last one containing `now_ms`.
template <typename Value>
SlotSeries Slots(int64_t now_ms, int n, Value value) {
  SlotSeries s;
  const int64_t first = now_ms / kStepMs - n + 1;
  for (int i = 0; i < n; ++i) {
    s.value.push_back(value(first + i));
    s.present.push_back(1);
  }
  return s;
}

TEST(ForecastTracker, FeedsAStepOnlyOnceItsLateSamplesAreIn) {
  const int64_t step_k = 1000;  // step k starts at now_ms's step
  const int64_t just_ended = step_k * kStepMs + 1;
  const int64_t settled = step_k * kStepMs + 6'000;
  // At first step k-1 holds only an early sample (100); by the second
  // evaluation the rest of its samples arrived and its mean is 10.
  auto early = [&](int64_t k) { return k == step_k - 1 ? 100.0 : 10.0; };
  auto complete = [](int64_t) { return 10.0; };
  auto mean_after_both = [&](int64_t settle_ms) {
    ForecastTracker t(TrackerConfig(settle_ms));
    t.FeedProvider("p", StatSignal::kGpuUtil, Slots(just_ended, 60, early), kStepMs, just_ended);
    t.FeedProvider("p", StatSignal::kGpuUtil, Slots(settled, 60, complete), kStepMs, settled);
    auto f = t.ProviderForecast("p", StatSignal::kGpuUtil, settled);
    EXPECT_EQ(f.size(), 1u);
    return f.empty() ? kNaN : f[0].value.mean;
  };
  EXPECT_NEAR(mean_after_both(5'000), 10.0, 1e-9);
  // Without the delay the partial mean was fed and stays in the model.
  EXPECT_GT(mean_after_both(0), 10.5);
}

TEST(ForecastTracker, HorizonsCountFromNowWhateverTheSettleDelay) {
  // A line, one point per step: the forecast of a step is its value
  // whether the model last saw the step before it or three steps earlier.
  auto line = [](int64_t k) { return 3 + 0.5 * static_cast<double>(k - 1000); };
  const int64_t now_ms = 3000 * kStepMs + 4'000;  // inside step 3000
  for (int64_t settle_ms : {int64_t{0}, int64_t{5'000}, int64_t{25'000}}) {
    ForecastTracker t(TrackerConfig(settle_ms));
    t.FeedProvider("p", StatSignal::kGpuUtil, Slots(now_ms, 2000, line), kStepMs, now_ms);
    auto f = t.ProviderForecast("p", StatSignal::kGpuUtil, now_ms);
    ASSERT_EQ(f.size(), 1u) << settle_ms;
    // Horizon one step: the step after the last complete one, 3000 (the
    // heuristic start and beta 0.001 leave the trend ~1e-3 short).
    EXPECT_NEAR(f[0].value.mean, line(3000), 0.01) << settle_ms;  // a step off is 0.5
  }
}

}  // namespace
}  // namespace depin::analytics
