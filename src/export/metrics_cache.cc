#include "export/metrics_cache.h"

#include <atomic>
#include <utility>

namespace depin::exposition {

struct MetricsCache::Entry {
  explicit Entry(std::string text) : body(std::make_shared<std::string>(std::move(text))) {}
  // Mutable only so that a body nobody holds can be handed back as a spare.
  std::shared_ptr<std::string> body;
  std::once_flag deflate_once;
  std::shared_ptr<const DeflatedPrefix> deflated;
  std::atomic<bool> deflated_served{false};
};

MetricsCache::MetricsCache() : current_(std::make_shared<Entry>(std::string())) {}

void MetricsCache::Set(std::string body) {
  auto next = std::make_shared<Entry>(std::move(body));
  std::lock_guard<std::mutex> lock(mu_);
  gzip_wanted_ = current_->deflated_served.load();
  std::shared_ptr<Entry> previous = std::exchange(current_, std::move(next));
  // Once replaced, the previous entry can gain no holder: if none is left,
  // its body is ours. The fence pairs with the holders' release of it.
  if (previous.use_count() == 1 && previous->body.use_count() == 1) {
    std::atomic_thread_fence(std::memory_order_acquire);
    spare_ = std::move(*previous->body);
  }
}

std::string MetricsCache::TakeSpare() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::move(spare_);
}

std::shared_ptr<MetricsCache::Entry> MetricsCache::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

std::shared_ptr<const std::string> MetricsCache::Get() const { return Current()->body; }

bool MetricsCache::Deflate(Entry& entry) {
  bool deflated_here = false;
  std::call_once(entry.deflate_once, [&entry, &deflated_here] {
    entry.deflated = std::make_shared<const DeflatedPrefix>(DeflatePrefix(*entry.body));
    deflated_here = true;
  });
  return deflated_here;
}

std::shared_ptr<const DeflatedPrefix> MetricsCache::GetDeflated() const {
  std::shared_ptr<Entry> entry = Current();
  entry->deflated_served = true;
  Deflate(*entry);
  return entry->deflated;
}

bool MetricsCache::WarmDeflated() {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!gzip_wanted_) return false;
    entry = current_;
  }
  return Deflate(*entry);
}

}  // namespace depin::exposition
