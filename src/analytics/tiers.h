// Tiers (DESIGN §4): basic(0), bronze(1), silver(2), gold(3), platinum(4)
// on the reputation score, with hysteresis against flapping at a boundary.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.h"

namespace depin::durable {
class StateCodec;  // saves and restores the private state (checkpoints)
}  // namespace depin::durable

namespace depin::analytics {

inline constexpr int kTierCount = 5;
std::string_view TierName(int level);

// The level for `score` given the current one: promotion as soon as a
// threshold is reached, demotion only below threshold - hysteresis.
int NextTierLevel(std::optional<int> current, double score, const TierConfig& config);

// Remembers each provider's level between evaluations.
class TierTracker {
 public:
  explicit TierTracker(TierConfig config) : config_(config) {}
  // Updates and returns the provider's level.
  int Update(const std::string& provider, double score);
  std::optional<int> Current(const std::string& provider) const;
  void set_config(const TierConfig& config) { config_ = config; }

 private:
  friend class durable::StateCodec;
  TierConfig config_;
  std::unordered_map<std::string, int> levels_;
};

}  // namespace depin::analytics
