#include "analytics/penalties.h"

#include <cmath>
#include <sstream>

namespace depin::analytics {

std::string_view PenaltyRuleName(PenaltyRule r) {
  static constexpr std::string_view kNames[] = {"outage", "sla_breach", "failure_burst"};
  return kNames[static_cast<int>(r)];
}

void AuditLog::Append(AuditRecord record) {
  records_.push_back(std::move(record));
  ++appended_;
  while (records_.size() > capacity_) records_.pop_front();
}

std::vector<AuditRecord> AuditLog::Records(std::string_view provider) const {
  std::vector<AuditRecord> out;
  for (const auto& r : records_) {
    if (provider.empty() || r.provider == provider) out.push_back(r);
  }
  return out;
}

double PenaltyTracker::Update(const std::string& provider, const PenaltyInputs& in, int64_t now_ms,
                              AuditLog& audit) {
  State& s = states_[provider];
  if (s.updated_ms > 0 && now_ms > s.updated_ms && config_.half_life_ms > 0) {
    const double halves = static_cast<double>(now_ms - s.updated_ms) / config_.half_life_ms;
    s.points *= std::exp2(-halves);
    if (s.points < 0.01) s.points = 0;
  }
  s.updated_ms = now_ms;

  const bool down = in.latest_up && *in.latest_up < 0.5;
  const bool breached = in.sla_fraction && *in.sla_fraction < config_.sla_breach_below;
  // An anomaly alone is not a burst: at the nominal false-alarm rate a
  // healthy provider would collect ~60 points; the failures must also matter.
  const bool bursting = in.failure_ratio_anomalous && in.recent_failure_ratio &&
                        *in.recent_failure_ratio >= config_.failure_burst_min_ratio;
  struct Check {
    PenaltyRule rule;
    bool now, before;
    double points;
    std::string inputs;
  };
  std::ostringstream sla;
  if (in.sla_fraction)
    sla << "sla_fraction=" << *in.sla_fraction << " below=" << config_.sla_breach_below;
  const Check checks[] = {
      {PenaltyRule::kOutage, down, s.was_down, config_.outage_points,
       in.latest_up ? "up=" + std::to_string(*in.latest_up) : std::string()},
      {PenaltyRule::kSlaBreach, breached, s.was_breached, config_.sla_breach_points, sla.str()},
      {PenaltyRule::kFailureBurst, bursting, s.was_bursting, config_.failure_burst_points,
       in.recent_failure_ratio
           ? "failure_ratio anomalous, recent=" + std::to_string(*in.recent_failure_ratio)
           : std::string("failure_ratio anomalous")},
  };
  for (const auto& c : checks) {
    if (!c.now || c.before || c.points <= 0) continue;
    const double before = s.points;
    s.points += c.points;
    ++s.fired[static_cast<int>(c.rule)];
    audit.Append({now_ms, provider, "penalty", std::string(PenaltyRuleName(c.rule)), before,
                  s.points, c.inputs});
  }
  s.was_down = down;
  s.was_breached = breached;
  s.was_bursting = bursting;
  return s.points;
}

std::array<uint64_t, kPenaltyRuleCount> PenaltyTracker::Fired(const std::string& provider) const {
  auto it = states_.find(provider);
  return it == states_.end() ? std::array<uint64_t, kPenaltyRuleCount>{} : it->second.fired;
}

}  // namespace depin::analytics
