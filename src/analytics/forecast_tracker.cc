#include "analytics/forecast_tracker.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/duration.h"

namespace depin::analytics {
namespace {

// Missing steps replayed at most; a longer gap restarts the model.
constexpr int64_t kMaxGapSeasons = 1;

std::string Key(const std::string& provider, StatSignal signal) {
  return provider + '\0' + std::string(StatSignalName(signal));
}

}  // namespace

ForecastTracker::ForecastTracker(const ForecastConfig& config) : config_(config) {}

ForecastTracker::Model& ForecastTracker::Get(std::map<std::string, Model>& models,
                                             const std::string& key) {
  Model& m = models[key];
  if (!m.hw) {
    HoltWintersParams p;
    p.alpha = config_.alpha;
    p.beta = config_.beta;
    p.gamma = config_.gamma;
    p.interval_coverage = config_.coverage;
    p.season_length = static_cast<int>(config_.season_ms / config_.step_ms);
    auto hw = HoltWinters::Create(p);
    if (hw.ok()) m.hw = std::move(hw.value());
  }
  m.touched = true;
  return m;
}

void ForecastTracker::FeedProvider(const std::string& provider, StatSignal signal,
                                   const SlotSeries& slots, int64_t step_ms, int64_t now_ms) {
  if (!config_.enabled || slots.value.empty()) return;
  Model& m = Get(providers_, Key(provider, signal));
  if (!m.hw) return;
  const int64_t fs = config_.step_ms;
  const StepRange steps = CompletedSteps(slots.value.size(), step_ms, now_ms, fs);
  int64_t from = std::max(m.last_step + 1, steps.first_full);
  if (m.last_step >= 0 &&
      steps.first_full - m.last_step - 1 > kMaxGapSeasons * m.hw->params().season_length) {
    m.hw.reset();  // too long without data: start again
    Get(providers_, Key(provider, signal));
    if (!m.hw) return;
    from = steps.first_full;
  } else if (m.last_step >= 0) {
    for (int64_t k = m.last_step + 1; k < steps.first_full; ++k) m.hw->Observe(std::nan(""));
  }
  // The step holding now - settle is still settling (settle >= 0: it is at
  // most the one filling).
  const int64_t settling = FloorDiv(now_ms - config_.settle_ms, fs);
  for (int64_t k = from; k < settling; ++k) {
    m.hw->Observe(StepMean(slots, step_ms, now_ms, fs, k));
    m.last_step = k;
  }
}

void ForecastTracker::FeedRegion(const std::string& region, double utilisation, int64_t now_ms) {
  if (!config_.enabled) return;
  Model& m = Get(regions_, region);
  if (!m.hw) return;
  const int64_t completed = now_ms / config_.step_ms - 1;
  if (m.last_step < 0) m.last_step = completed - 1;
  for (int64_t k = m.last_step + 1; k <= completed; ++k) {
    m.hw->Observe(k == completed ? utilisation : std::nan(""));
  }
  m.last_step = std::max(m.last_step, completed);
}

std::vector<ForecastPoint> ForecastTracker::At(const Model& m, int64_t extra_steps) const {
  std::vector<ForecastPoint> out;
  if (!m.hw || !m.hw->ready()) return out;
  for (int64_t h : config_.horizons_ms) {
    out.push_back({h, m.hw->At(static_cast<int>(h / config_.step_ms + extra_steps))});
  }
  return out;
}

std::vector<ForecastPoint> ForecastTracker::ProviderForecast(const std::string& provider,
                                                             StatSignal signal,
                                                             int64_t now_ms) const {
  auto it = providers_.find(Key(provider, signal));
  if (it == providers_.end()) return {};
  const int64_t last_complete = FloorDiv(now_ms, config_.step_ms) - 1;
  return At(it->second, std::max<int64_t>(last_complete - it->second.last_step, 0));
}

std::optional<double> ForecastTracker::SecondsToExhaustion(const std::string& region) const {
  auto it = regions_.find(region);
  if (it == regions_.end() || !it->second.hw || !it->second.hw->ready()) return std::nullopt;
  const HoltWinters& hw = *it->second.hw;
  const int64_t steps = config_.exhaustion_horizon_ms / config_.step_ms;
  for (int64_t h = 1; h <= steps; ++h) {
    if (hw.At(static_cast<int>(h)).mean >= 1.0) {
      return static_cast<double>(h * config_.step_ms) / 1000.0;
    }
  }
  return std::numeric_limits<double>::infinity();
}

void ForecastTracker::Sweep() {
  for (auto* models : {&providers_, &regions_}) {
    for (auto it = models->begin(); it != models->end();) {
      if (!it->second.touched) {
        it = models->erase(it);
      } else {
        it->second.touched = false;
        ++it;
      }
    }
  }
}

}  // namespace depin::analytics
