// Penalties with decay, and the audit trail of score, tier and penalty
// changes (DESIGN §4, issue 3). Stateful across evaluations.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace depin::durable {
class StateCodec;  // saves and restores the private state (checkpoints)
}  // namespace depin::durable

namespace depin::analytics {

enum class PenaltyRule : uint8_t { kOutage, kSlaBreach, kFailureBurst };
inline constexpr int kPenaltyRuleCount = 3;
std::string_view PenaltyRuleName(PenaltyRule r);

// What the penalty rules look at in one evaluation.
struct PenaltyInputs {
  std::optional<double> latest_up;     // newest `up` slot mean
  std::optional<double> sla_fraction;  // jobs within the SLA target
  bool failure_ratio_anomalous = false;
  std::optional<double> recent_failure_ratio;  // a burst must also be material
};

// One change worth explaining later: what changed, from what inputs, by which rule.
struct AuditRecord {
  int64_t timestamp_ms = 0;
  std::string provider;
  std::string kind;  // "penalty", "tier", "score"
  std::string rule;  // e.g. "outage", "tier thresholds with hysteresis"
  double before = 0;
  double after = 0;
  std::string inputs;  // "key=value ..." of the figures the rule used
};

// A bounded, append-only log of AuditRecords (oldest dropped first).
class AuditLog {
 public:
  explicit AuditLog(size_t capacity) : capacity_(capacity) {}
  void Append(AuditRecord record);
  // Records of `provider` (all when empty), oldest first.
  std::vector<AuditRecord> Records(std::string_view provider = {}) const;
  uint64_t appended() const { return appended_; }

 private:
  friend class durable::StateCodec;
  size_t capacity_;
  std::deque<AuditRecord> records_;
  uint64_t appended_ = 0;
};

// Penalty points per provider: each rule that fires on a transition (up ->
// down, SLA met -> breached, failures normal -> anomalous) adds its points;
// points decay exponentially with the configured half-life (the reward for
// behaving). The reputation shown is the raw one minus the points.
class PenaltyTracker {
 public:
  explicit PenaltyTracker(const PenaltyConfig& config) : config_(config) {}

  // Applies decay up to `now_ms`, then the rules; returns the current points
  // and appends an audit record for every rule that fired.
  double Update(const std::string& provider, const PenaltyInputs& inputs, int64_t now_ms,
                AuditLog& audit);
  // Times each rule fired for the provider since start.
  std::array<uint64_t, kPenaltyRuleCount> Fired(const std::string& provider) const;
  void set_config(const PenaltyConfig& config) { config_ = config; }

 private:
  friend class durable::StateCodec;
  struct State {
    double points = 0;
    int64_t updated_ms = 0;
    bool was_down = false, was_breached = false, was_bursting = false;
    std::array<uint64_t, kPenaltyRuleCount> fired{};
  };
  PenaltyConfig config_;
  std::map<std::string, State> states_;
};

}  // namespace depin::analytics
