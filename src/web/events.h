// Live network events (DESIGN §9): a broker that fans events out to
// Server-Sent Events clients, and a detector that turns successive
// evaluations into events. Pure and HTTP-free; the server only formats and
// writes what a Subscription hands it.
//
// Nobody ever waits on a client: Publish() only appends to bounded queues
// under a short lock; a client whose queue is full is closed (overflowed)
// and must reconnect, resuming with Last-Event-ID from the bounded history.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "analytics/penalties.h"
#include "analytics/scoreboard.h"
#include "common/status.h"

namespace depin::web {

// Event kinds: tier_change, penalty, score_move, anomaly, capacity_warning.
inline constexpr std::string_view kEventKinds[] = {"tier_change", "penalty", "score_move",
                                                   "anomaly", "capacity_warning"};
bool IsEventKind(std::string_view kind);

struct Event {
  uint64_t id = 0;  // assigned by the broker, increasing from 1
  std::string kind;
  std::string provider;  // empty for network-wide events (capacity_warning)
  int64_t timestamp_ms = 0;
  std::string data;  // one line of JSON
};

// The SSE wire form: "id: N\nevent: kind\ndata: {...}\n\n".
std::string FormatSse(const Event& e);

struct EventFilter {
  std::set<std::string> providers;  // empty = all
  std::set<std::string> kinds;      // empty = all
  bool Matches(const Event& e) const;
};

struct BrokerOptions {
  size_t history = 1024;      // events kept for Last-Event-ID resume
  size_t client_queue = 256;  // events queued per client before it is dropped
  int max_clients = 16;
};

class EventBroker;

// One client's view; the destructor unsubscribes.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  enum class State { kEvents, kTimeout, kClosed };
  // Waits up to `timeout` for events; moves them into `out`. kClosed when the
  // queue overflowed or the broker shut down (`out` may still hold events).
  State Next(std::chrono::milliseconds timeout, std::vector<Event>* out);
  bool overflowed() const;

 private:
  friend class EventBroker;
  Subscription(EventBroker* broker, EventFilter filter)
      : broker_(broker), filter_(std::move(filter)) {}
  EventBroker* broker_;
  EventFilter filter_;
  // Guarded by broker_->mu_.
  std::deque<Event> queue_;
  bool closed_ = false;
  bool overflowed_ = false;
  std::condition_variable cv_;
};

class EventBroker {
 public:
  explicit EventBroker(BrokerOptions options) : options_(options) {}
  ~EventBroker();

  // Assigns the next id, keeps it in the history and queues it for every
  // matching client. Never blocks on a client. Returns the id.
  uint64_t Publish(Event event);

  // Unavailable past max_clients. With `last_event_id`, the matching events
  // after it that are still in the history are queued first.
  Result<std::shared_ptr<Subscription>> Subscribe(EventFilter filter,
                                                  std::optional<uint64_t> last_event_id);
  // Closes every subscription (their Next() returns kClosed).
  void Shutdown();

  int clients() const;
  uint64_t dropped_clients() const;
  uint64_t last_id() const;
  const BrokerOptions& options() const { return options_; }

 private:
  friend class Subscription;
  void Remove(Subscription* s);

  const BrokerOptions options_;
  mutable std::mutex mu_;
  std::deque<Event> history_;
  std::vector<Subscription*> subs_;
  uint64_t next_id_ = 1;
  uint64_t dropped_ = 0;
  bool shut_down_ = false;
};

// Turns successive evaluations into events: new audit records (tier
// changes, penalties, score moves), signals turning anomalous since the
// previous evaluation, and regions starting a correlated failure or a
// capacity exhaustion under an hour. The first call only records the state
// (no events for what was already so).
class EventDetector {
 public:
  std::vector<Event> Detect(const analytics::Scoreboard& board, int64_t at_ms,
                            const std::vector<analytics::AuditRecord>& audit);

 private:
  bool primed_ = false;
  int64_t last_audit_ms_ = 0;
  size_t seen_at_last_ms_ = 0;       // records at last_audit_ms_ already sent
  std::set<std::string> anomalous_;  // "provider/signal"
  std::set<std::string> warnings_;   // "region/what"
};

}  // namespace depin::web
