#include "web/event_stream.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace depin::web {

Result<EventFilter> ParseEventFilter(const std::multimap<std::string, std::string>& params) {
  EventFilter f;
  for (const auto& [name, value] : params) {
    if (name == "provider") {
      if (value.empty()) return Status::InvalidArgument("parameter \"provider\": empty");
      f.providers.insert(value);
    } else if (name == "kind") {
      if (!IsEventKind(value)) {
        return Status::InvalidArgument(
            "parameter \"kind\": one of tier_change, penalty, score_move, anomaly, "
            "capacity_warning");
      }
      f.kinds.insert(value);
    } else {
      return Status::InvalidArgument("unknown parameter \"" + name + "\"");
    }
  }
  return f;
}

namespace {
PlainResponse Error(int status, const std::string& message) {
  PlainResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", message}}.dump();
  return r;
}
}  // namespace

server::StreamAnswer OpenEventStream(EventBroker& broker, const PlainRequest& req,
                                     const std::string& last_event_id, Logger& log,
                                     std::chrono::milliseconds heartbeat) {
  server::StreamAnswer answer;
  if (req.method != "GET") {
    answer.head = Error(405, "use GET");
    return answer;
  }
  auto filter = ParseEventFilter(req.params);
  if (!filter.ok()) {
    answer.head = Error(400, filter.status().message());
    return answer;
  }
  std::optional<uint64_t> last;
  if (!last_event_id.empty()) {
    uint64_t v = 0;
    auto [ptr, ec] =
        std::from_chars(last_event_id.data(), last_event_id.data() + last_event_id.size(), v);
    if (ec != std::errc() || ptr != last_event_id.data() + last_event_id.size()) {
      answer.head = Error(400, "header Last-Event-ID: not an event id");
      return answer;
    }
    last = v;
  }
  auto sub = broker.Subscribe(std::move(filter.value()), last);
  if (!sub.ok()) {
    answer.head = Error(503, sub.status().message());
    return answer;
  }
  answer.head.status = 200;
  answer.head.content_type = "text/event-stream";
  auto subscription = sub.value();
  auto first = std::make_shared<bool>(true);
  auto logged = std::make_shared<bool>(false);
  answer.next = [subscription, first, logged, heartbeat, &log](std::string* out) {
    if (*first) {
      *first = false;
      *out = "retry: 2000\n: connected\n\n";
      return true;
    }
    std::vector<Event> events;
    auto state = subscription->Next(heartbeat, &events);
    for (const auto& e : events) *out += FormatSse(e);
    if (state == Subscription::State::kClosed) {
      if (subscription->overflowed() && !*logged) {
        *logged = true;
        log.Warn("event-stream client too slow (its queue is full); disconnected");
      }
      return !out->empty();  // send what is left, then end
    }
    if (state == Subscription::State::kTimeout) *out = ": heartbeat\n\n";
    return true;
  };
  return answer;
}

EventPump::EventPump(EventBroker& broker,
                     std::function<std::shared_ptr<const evaluate::Evaluation>()> latest,
                     std::function<std::vector<analytics::AuditRecord>()> audit,
                     std::chrono::milliseconds poll)
    : broker_(broker), latest_(std::move(latest)), audit_(std::move(audit)), poll_(poll) {}

EventPump::~EventPump() { Stop(); }

void EventPump::PollOnce() {
  auto latest = latest_();
  if (latest == nullptr || latest == seen_) return;
  seen_ = latest;
  for (auto& e : detector_.Detect(latest->board, latest->at_ms, audit_())) {
    broker_.Publish(std::move(e));
  }
}

void EventPump::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      PollOnce();
      lock.lock();
      cv_.wait_for(lock, poll_, [this] { return stopping_; });
    }
  });
}

void EventPump::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace depin::web
