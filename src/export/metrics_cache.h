// The /metrics body of the latest evaluation, shared read-only with the
// HTTP threads so a scrape never re-renders.
#pragma once

#include <memory>
#include <mutex>
#include <string>

namespace depin::exposition {

class MetricsCache {
 public:
  void Set(std::string body) {
    auto next = std::make_shared<const std::string>(std::move(body));
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(next);
  }
  // Never null; empty before the first evaluation.
  std::shared_ptr<const std::string> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return body_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::string> body_ = std::make_shared<const std::string>();
};

}  // namespace depin::exposition
