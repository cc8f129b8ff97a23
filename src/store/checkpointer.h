// Writes the store to its directory every interval and once more at Stop().
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "common/logger.h"
#include "store/store.h"

namespace depin::store {

class Checkpointer {
 public:
  // `store` and `log` must outlive the Checkpointer.
  Checkpointer(Store& store, std::string dir, int64_t interval_ms, Logger& log);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void Start();
  // Joins the thread, then saves a last time (a clean shutdown loses nothing).
  void Stop();
  // Saves now and logs a failure; true when the file was written.
  bool SaveNow();

 private:
  Store& store_;
  const std::string dir_;
  const int64_t interval_ms_;
  Logger& log_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace depin::store
