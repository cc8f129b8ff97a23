#include "export/metrics_cache.h"

namespace depin::exposition {

struct MetricsCache::Entry {
  explicit Entry(std::string text) : body(std::make_shared<const std::string>(std::move(text))) {}
  std::shared_ptr<const std::string> body;
  std::once_flag deflate_once;
  std::shared_ptr<const DeflatedPrefix> deflated;
};

MetricsCache::MetricsCache() : current_(std::make_shared<Entry>(std::string())) {}

void MetricsCache::Set(std::string body) {
  auto next = std::make_shared<Entry>(std::move(body));
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(next);
}

std::shared_ptr<MetricsCache::Entry> MetricsCache::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::shared_ptr<const std::string> MetricsCache::Get() const { return Current()->body; }

std::shared_ptr<const DeflatedPrefix> MetricsCache::GetDeflated() const {
  std::shared_ptr<Entry> entry = Current();
  std::call_once(entry->deflate_once, [&entry] {
    entry->deflated = std::make_shared<const DeflatedPrefix>(DeflatePrefix(*entry->body));
  });
  return entry->deflated;
}

}  // namespace depin::exposition
