// HTTP glue for the live events (GET /api/v1/events): parses the filter,
// subscribes, and hands the server a stream of SSE chunks with heartbeat
// comments; plus the pump that feeds the broker from the evaluator.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "common/http_types.h"
#include "common/logger.h"
#include "evaluate/evaluator.h"
#include "server/http_server.h"
#include "web/events.h"

namespace depin::web {

// ?provider= and ?kind= (both repeatable); unknown parameters and kinds are errors.
Result<EventFilter> ParseEventFilter(const std::multimap<std::string, std::string>& params);

// 400 for a bad filter or Last-Event-ID, 503 past the client cap, else a
// text/event-stream that ends when the client is dropped (queue overflow,
// logged) or the broker shuts down.
server::StreamAnswer OpenEventStream(EventBroker& broker, const PlainRequest& request,
                                     const std::string& last_event_id, Logger& log,
                                     std::chrono::milliseconds heartbeat);

// Polls the evaluator (never makes it wait) and publishes what the
// EventDetector finds in each new evaluation.
class EventPump {
 public:
  EventPump(EventBroker& broker,
            std::function<std::shared_ptr<const evaluate::Evaluation>()> latest,
            std::function<std::vector<analytics::AuditRecord>()> audit,
            std::chrono::milliseconds poll);
  ~EventPump();
  void Start();
  void Stop();
  // One poll; public for tests.
  void PollOnce();

 private:
  EventBroker& broker_;
  std::function<std::shared_ptr<const evaluate::Evaluation>()> latest_;
  std::function<std::vector<analytics::AuditRecord>()> audit_;
  std::chrono::milliseconds poll_;
  EventDetector detector_;
  std::shared_ptr<const evaluate::Evaluation> seen_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace depin::web
