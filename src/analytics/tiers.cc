#include "analytics/tiers.h"

namespace depin::analytics {

std::string_view TierName(int level) {
  static constexpr std::string_view kNames[kTierCount] = {"basic", "bronze", "silver", "gold",
                                                          "platinum"};
  return (level >= 0 && level < kTierCount) ? kNames[level] : "unknown";
}

int NextTierLevel(std::optional<int> current, double score, const TierConfig& config) {
  int raw = 0;
  for (int level = 1; level < kTierCount; ++level) {
    if (score >= config.thresholds[level - 1]) raw = level;
  }
  if (!current || raw >= *current) return raw;
  // Falling: keep each level until the score drops below its threshold - hysteresis.
  int level = *current;
  while (level > raw && score < config.thresholds[level - 1] - config.hysteresis) --level;
  return level;
}

int TierTracker::Update(const std::string& provider, double score) {
  auto it = levels_.find(provider);
  std::optional<int> current;
  if (it != levels_.end()) current = it->second;
  int next = NextTierLevel(current, score, config_);
  levels_[provider] = next;
  return next;
}

std::optional<int> TierTracker::Current(const std::string& provider) const {
  auto it = levels_.find(provider);
  if (it == levels_.end()) return std::nullopt;
  return it->second;
}

}  // namespace depin::analytics
