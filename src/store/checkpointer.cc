#include "store/checkpointer.h"

#include <chrono>

namespace depin::store {

Checkpointer::Checkpointer(Store& store, std::string dir, int64_t interval_ms, Logger& log)
    : store_(store), dir_(std::move(dir)), interval_ms_(interval_ms), log_(log) {}

Checkpointer::~Checkpointer() { Stop(); }

void Checkpointer::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopped_) return;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (wake_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                         [this] { return stopping_; }))
        return;
      lock.unlock();
      SaveNow();
      lock.lock();
    }
  });
}

void Checkpointer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
    stopped_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  SaveNow();
}

bool Checkpointer::SaveNow() {
  auto start = std::chrono::steady_clock::now();
  Status st = store_.Save(dir_);
  if (!st.ok()) {
    log_.Error("cannot write the derived-series store", {{"err", st.message()}});
    return false;
  }
  auto s = store_.Stats();
  log_.Debug(
      "derived-series store written",
      {{"dir", dir_},
       {"series", std::to_string(s.series)},
       {"bytes", std::to_string(s.bytes)},
       {"duration_seconds",
        std::to_string(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())}});
  return true;
}

}  // namespace depin::store
