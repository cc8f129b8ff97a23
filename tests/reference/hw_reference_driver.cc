// Runs analytics::HoltWinters over a series for the statsmodels reference
// check (test_holt_winters.py). Reads one value per line from stdin ("nan" =
// missing step) and prints, one record per line, numbers with 17 digits:
//   init <level> <trend> <s_0> ... <s_{m-1}>  heuristic initial states from
//                                             the warm-up steps (none with gaps)
//   fitted <t> <one-step forecast of y_t>     known-state path: FromState(init)
//   forecast <h> <mean> <lower> <upper>       online path, h = 1..--horizon
//   forecast_known <h> <mean> <lower> <upper> known-state path
//   sigma2 <σ²>  residuals <n>  z <quantile>  online path
//   interval <t> <h> <mean> <lower> <upper>   with --intervals h1,h2,..: after
//                                             each observed y_t once ready,
//                                             the forecast of y_{t+h}
// Flags: --alpha --beta --gamma --m --init-seasons --coverage
// --variance-window --fit 0|1 (HoltWintersParams, defaults when absent),
// --horizon H.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/forecast.h"

namespace {

using depin::analytics::HoltWinters;
using depin::analytics::HoltWintersParams;

int Fail(const std::string& message) {
  std::cerr << "hw_reference_driver: " << message << "\n";
  return 2;
}

bool ParseDouble(const char* s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s, &end);
  return end != s && *end == '\0';
}

void PrintForecasts(const char* tag, const HoltWinters& hw, int horizon) {
  for (int h = 1; h <= horizon; ++h) {
    auto f = hw.At(h);
    std::printf("%s %d %.17g %.17g %.17g\n", tag, h, f.mean, f.lower, f.upper);
  }
}

}  // namespace

int main(int argc, char** argv) {
  HoltWintersParams p;
  int horizon = 0;
  std::vector<int> intervals;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return Fail("missing value for " + std::string(flag));
    const char* value = argv[++i];
    double v = 0;
    if (flag == "--intervals") {
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) intervals.push_back(std::stoi(item));
      continue;
    }
    if (!ParseDouble(value, &v)) return Fail("not a number: " + std::string(value));
    if (flag == "--alpha") {
      p.alpha = v;
    } else if (flag == "--beta") {
      p.beta = v;
    } else if (flag == "--gamma") {
      p.gamma = v;
    } else if (flag == "--m") {
      p.season_length = static_cast<int>(v);
    } else if (flag == "--init-seasons") {
      p.init_seasons = static_cast<int>(v);
    } else if (flag == "--coverage") {
      p.interval_coverage = v;
    } else if (flag == "--variance-window") {
      p.variance_window = static_cast<int>(v);
    } else if (flag == "--fit") {
      p.fit_on_warmup = v != 0;
    } else if (flag == "--horizon") {
      horizon = static_cast<int>(v);
    } else {
      return Fail("unknown flag " + std::string(flag));
    }
  }

  std::vector<double> y;
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    double v = 0;
    if (!ParseDouble(line.c_str(), &v)) return Fail("bad input line: " + line);
    y.push_back(v);
  }

  auto online = HoltWinters::Create(p);
  if (!online.ok()) return Fail(online.status().message());
  for (size_t t = 0; t < y.size(); ++t) {
    online->Observe(y[t]);
    if (!online->ready() || std::isnan(y[t])) continue;
    for (int h : intervals) {
      if (t + h >= y.size()) continue;
      auto f = online->At(h);
      std::printf("interval %zu %d %.17g %.17g %.17g\n", t, h, f.mean, f.lower, f.upper);
    }
  }
  if (!online->ready()) return Fail("series too short for the warm-up");
  PrintForecasts("forecast", *online, horizon);
  std::printf("params %.17g %.17g %.17g\n", online->params().alpha, online->params().beta,
              online->params().gamma);
  std::printf("sigma2 %.17g\nresiduals %lld\nz %.17g\n", online->residual_variance(),
              static_cast<long long>(online->residual_count()),
              (online->At(1).upper - online->At(1).mean) / std::sqrt(online->residual_variance()));

  const size_t warmup = static_cast<size_t>(depin::analytics::WarmupSteps(p));
  std::vector<double> head(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(warmup));
  auto init = depin::analytics::HeuristicInitialState(head, p.season_length);
  if (!init.ok()) return 0;  // gaps in the warm-up: the online path only
  std::printf("init %.17g %.17g", init->level, init->trend);
  for (double s : init->seasonal) std::printf(" %.17g", s);
  std::printf("\n");
  auto known = HoltWinters::FromState(online->params(), *init);  // fitted ones with --fit
  if (!known.ok()) return Fail(known.status().message());
  for (size_t t = 0; t < y.size(); ++t) {
    std::printf("fitted %zu %.17g\n", t, known->At(1).mean);
    known->Observe(y[t]);
  }
  PrintForecasts("forecast_known", *known, horizon);
  return 0;
}
