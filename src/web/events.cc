#include "web/events.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace depin::web {

using Json = nlohmann::json;

bool IsEventKind(std::string_view kind) {
  return std::find(std::begin(kEventKinds), std::end(kEventKinds), kind) != std::end(kEventKinds);
}

std::string FormatSse(const Event& e) {
  std::string out = "id: " + std::to_string(e.id) + "\nevent: " + e.kind + "\n";
  // data must not contain raw newlines; split defensively.
  size_t start = 0;
  for (;;) {
    size_t nl = e.data.find('\n', start);
    out += "data: " + e.data.substr(start, nl == std::string::npos ? nl : nl - start) + "\n";
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out + "\n";
}

bool EventFilter::Matches(const Event& e) const {
  if (!kinds.empty() && !kinds.count(e.kind)) return false;
  if (!providers.empty() && !providers.count(e.provider)) return false;
  return true;
}

Subscription::~Subscription() {
  if (broker_ != nullptr) broker_->Remove(this);
}

Subscription::State Subscription::Next(std::chrono::milliseconds timeout, std::vector<Event>* out) {
  std::unique_lock<std::mutex> lock(broker_->mu_);
  cv_.wait_for(lock, timeout, [this] { return closed_ || !queue_.empty(); });
  while (!queue_.empty()) {
    out->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  if (closed_) return State::kClosed;
  return out->empty() ? State::kTimeout : State::kEvents;
}

bool Subscription::overflowed() const {
  std::lock_guard<std::mutex> lock(broker_->mu_);
  return overflowed_;
}

EventBroker::~EventBroker() { Shutdown(); }

uint64_t EventBroker::Publish(Event event) {
  std::lock_guard<std::mutex> lock(mu_);
  event.id = next_id_++;
  for (Subscription* s : subs_) {
    if (s->closed_ || !s->filter_.Matches(event)) continue;
    if (s->queue_.size() >= options_.client_queue) {
      s->closed_ = true;  // a slow client: drop it rather than wait or grow
      s->overflowed_ = true;
      ++dropped_;
    } else {
      s->queue_.push_back(event);
    }
    s->cv_.notify_all();
  }
  history_.push_back(std::move(event));
  while (history_.size() > options_.history) history_.pop_front();
  return next_id_ - 1;
}

Result<std::shared_ptr<Subscription>> EventBroker::Subscribe(
    EventFilter filter, std::optional<uint64_t> last_event_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shut_down_) return Status::Unavailable("shutting down");
  if (static_cast<int>(subs_.size()) >= options_.max_clients) {
    return Status::Unavailable("too many event-stream clients (limit " +
                               std::to_string(options_.max_clients) + ")");
  }
  std::shared_ptr<Subscription> s(new Subscription(this, std::move(filter)));
  if (last_event_id) {
    for (const Event& e : history_) {
      if (e.id > *last_event_id && s->filter_.Matches(e)) {
        if (s->queue_.size() >= options_.client_queue) s->queue_.pop_front();  // newest win
        s->queue_.push_back(e);
      }
    }
  }
  subs_.push_back(s.get());
  return s;
}

void EventBroker::Remove(Subscription* s) {
  std::lock_guard<std::mutex> lock(mu_);
  subs_.erase(std::remove(subs_.begin(), subs_.end(), s), subs_.end());
}

void EventBroker::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shut_down_ = true;
  for (Subscription* s : subs_) {
    s->closed_ = true;
    s->cv_.notify_all();
  }
}

int EventBroker::clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(subs_.size());
}

uint64_t EventBroker::dropped_clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

uint64_t EventBroker::last_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_id_ - 1;
}

namespace {

std::string KindOfAudit(const std::string& kind) {
  if (kind == "tier") return "tier_change";
  if (kind == "penalty") return "penalty";
  return "score_move";
}

Json TierOrNumber(const std::string& kind, double v) {
  if (kind == "tier" && v >= 0 && v < analytics::kTierCount) {
    return std::string(analytics::TierName(static_cast<int>(v)));
  }
  return v;
}

}  // namespace

std::vector<Event> EventDetector::Detect(const analytics::Scoreboard& board, int64_t at_ms,
                                         const std::vector<analytics::AuditRecord>& audit) {
  std::vector<Event> out;
  // Audit records newer than the newest already sent.
  int64_t newest = last_audit_ms_;
  for (const auto& r : audit) newest = std::max(newest, r.timestamp_ms);
  size_t at_last = 0, at_newest = 0;
  for (const auto& r : audit) {
    bool fresh = r.timestamp_ms > last_audit_ms_;
    if (r.timestamp_ms == last_audit_ms_) fresh = ++at_last > seen_at_last_ms_;
    if (r.timestamp_ms == newest) ++at_newest;
    if (!fresh || !primed_) continue;
    Json data{{"provider", r.provider},
              {"rule", r.rule},
              {"before", TierOrNumber(r.kind, r.before)},
              {"after", TierOrNumber(r.kind, r.after)},
              {"inputs", r.inputs},
              {"timestamp_ms", r.timestamp_ms}};
    out.push_back({0, KindOfAudit(r.kind), r.provider, r.timestamp_ms, data.dump()});
  }
  last_audit_ms_ = newest;
  seen_at_last_ms_ = at_newest;

  // Signals turning anomalous.
  std::set<std::string> anomalous;
  for (const auto& p : board.providers) {
    for (int s = 0; s < analytics::kStatSignalCount; ++s) {
      if (!p.statistics.signals[s].anomalous) continue;
      const std::string signal(analytics::StatSignalName(static_cast<analytics::StatSignal>(s)));
      const std::string key = p.facts.id + "/" + signal;
      anomalous.insert(key);
      if (primed_ && !anomalous_.count(key)) {
        Json data{{"provider", p.facts.id}, {"signal", signal}, {"timestamp_ms", at_ms}};
        out.push_back({0, "anomaly", p.facts.id, at_ms, data.dump()});
      }
    }
  }
  anomalous_ = std::move(anomalous);

  // Regions: correlated failure, capacity exhausted within an hour.
  std::set<std::string> warnings;
  auto warn = [&](const std::string& region, const std::string& what, Json data) {
    const std::string key = region + "/" + what;
    warnings.insert(key);
    if (primed_ && !warnings_.count(key)) {
      data["region"] = region;
      data["warning"] = what;
      data["timestamp_ms"] = at_ms;
      out.push_back({0, "capacity_warning", "", at_ms, data.dump()});
    }
  };
  for (const auto& r : board.network.regions) {
    if (r.correlated_failure) {
      warn(r.name, "correlated_failure",
           Json{{"providers", r.providers}, {"providers_down", r.down}});
    }
  }
  for (const auto& [region, seconds] : board.exhaustion_seconds) {
    if (std::isfinite(seconds) && seconds < 3600) {
      warn(region, "exhaustion_within_an_hour", Json{{"exhaustion_seconds", seconds}});
    }
  }
  warnings_ = std::move(warnings);
  primed_ = true;
  return out;
}

}  // namespace depin::web
