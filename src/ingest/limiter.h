// Overload protection for the write path (DESIGN §10): a bound on the
// requests processed at once. Past it a request is turned away at once
// (the caller answers 503 with Retry-After) instead of waiting in a queue,
// so neither memory nor latency grows with the offered load.
#pragma once

#include <atomic>
#include <cstdint>

namespace depin::ingest {

class ConcurrencyLimiter {
 public:
  // `limit` >= 1 requests at once.
  explicit ConcurrencyLimiter(int64_t limit) : limit_(limit < 1 ? 1 : limit) {}
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // One admitted request; releases its place when destroyed. Move-only.
  class Permit {
   public:
    Permit() = default;
    Permit(Permit&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    ~Permit() { Release(); }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    friend class ConcurrencyLimiter;
    explicit Permit(ConcurrencyLimiter* owner) : owner_(owner) {}
    void Release();
    ConcurrencyLimiter* owner_ = nullptr;
  };

  // Never blocks: an empty Permit when `limit` requests are in flight.
  Permit TryAcquire();

  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  int64_t limit() const { return limit_; }

 private:
  const int64_t limit_;
  std::atomic<int64_t> in_flight_{0};
};

// The configured limits.max_concurrent_writes; 0 means twice the hardware
// threads (at least 2).
int64_t EffectiveMaxConcurrentWrites(int64_t configured);

}  // namespace depin::ingest
