#include "ingest/limiter.h"

#include <algorithm>
#include <thread>

namespace depin::ingest {

ConcurrencyLimiter::Permit& ConcurrencyLimiter::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = other.owner_;
    other.owner_ = nullptr;
  }
  return *this;
}

void ConcurrencyLimiter::Permit::Release() {
  if (owner_ != nullptr) owner_->in_flight_.fetch_sub(1, std::memory_order_release);
  owner_ = nullptr;
}

ConcurrencyLimiter::Permit ConcurrencyLimiter::TryAcquire() {
  int64_t current = in_flight_.load(std::memory_order_relaxed);
  while (current < limit_) {
    if (in_flight_.compare_exchange_weak(current, current + 1, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
      return Permit(this);
    }
  }
  return Permit();
}

int64_t EffectiveMaxConcurrentWrites(int64_t configured) {
  if (configured > 0) return configured;
  return 2 * std::max<int64_t>(1, std::thread::hardware_concurrency());
}

}  // namespace depin::ingest
