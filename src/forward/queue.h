// The remote-write queue of one target, as Prometheus's queue manager
// behaves (one shard): samples are cut into batches of max_samples_per_send
// (or fewer after batch_send_deadline), held in a bounded memory queue, and
// sent in order by one sender thread. Connection errors, 5xx and 429 are
// retried with exponential backoff (Retry-After respected); other statuses
// drop the batch. While the target is failing, or the memory queue is full,
// batches go to the disk buffer, which is drained in order when the target
// returns; at Stop() unsent batches are written there too. A batch that got
// a 2xx is never sent again.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/logger.h"
#include "config/config.h"
#include "forward/disk_buffer.h"
#include "forward/encode.h"
#include "forward/remote_client.h"

namespace depin::forward {

// The metric families shared by every target's queue.
struct QueueMetricFamilies {
  prometheus::Family<prometheus::Counter>* samples = nullptr;  // {remote_name, outcome}
  prometheus::Family<prometheus::Gauge>* pending = nullptr;
  prometheus::Family<prometheus::Gauge>* disk_bytes = nullptr;
  prometheus::Family<prometheus::Gauge>* last_send = nullptr;
  prometheus::Family<prometheus::Gauge>* highest_enqueued = nullptr;
  prometheus::Family<prometheus::Gauge>* highest_sent = nullptr;
};

// Registers the depin_sidecar_remote_write_* families in `registry`.
QueueMetricFamilies RegisterQueueMetrics(prometheus::Registry& registry);

// Sample counts by outcome since the queue was made.
struct QueueCounts {
  int64_t sent = 0;     // acknowledged by a 2xx
  int64_t failed = 0;   // rejected by the target (a 4xx other than a retried 429)
  int64_t dropped = 0;  // discarded unsent: buffer bound, corrupt segment, write error
  int64_t retried = 0;  // sent again after a retryable failure (per attempt)
};

class Queue {
 public:
  // `disk` may be null (no disk buffer: a full memory queue drops). `log`
  // must outlive the Queue.
  Queue(const RemoteWriteConfig& config, std::unique_ptr<RemoteClient> client,
        std::unique_ptr<DiskBuffer> disk, const QueueMetricFamilies& families, Logger& log);
  ~Queue();
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  // Takes the samples of one evaluation. Full batches are queued now, the
  // rest waits for more samples or batch_send_deadline. Thread-safe.
  void Append(std::vector<Sample> samples);

  void Start();
  // Stops the sender (an attempt under way finishes first, bounded by
  // remote_timeout) and writes what is unsent to the disk buffer.
  void Stop();

  // Samples not yet sent or given up: waiting, in memory and on disk.
  int64_t pending_samples() const;
  QueueCounts counts() const;
  const std::string& name() const { return config_.name; }

 private:
  struct Counters {
    prometheus::Counter* sent;
    prometheus::Counter* failed;
    prometheus::Counter* dropped;
    prometheus::Counter* retried;
  };
  // Under mu_: encodes `samples` as a batch with the next sequence number.
  Batch CutLocked(std::vector<Sample> samples);
  // Under mu_: memory when there is room and the target is healthy and
  // nothing is on disk ahead of it; else the disk buffer; else dropped.
  void PlaceLocked(Batch batch);
  // Under mu_: cuts the partial batch once it waited batch_send_deadline.
  void CutExpiredLocked();
  // Writes `batch` to the disk buffer and counts what its bound dropped; an
  // error when the write failed (nothing counted).
  Status WriteToDisk(const Batch& batch);
  void Loop();
  // Sends `batch` until it is sent or rejected; false when stopped first.
  bool Deliver(const Batch& batch);
  void Drop(int64_t samples, const std::string& why);
  void UpdateGauges();

  const RemoteWriteConfig config_;
  std::unique_ptr<RemoteClient> client_;
  std::unique_ptr<DiskBuffer> disk_;
  Logger& log_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Sample> open_;  // fewer than max_samples_per_send, waiting
  std::chrono::steady_clock::time_point open_since_;
  std::deque<Batch> memory_;
  int64_t memory_samples_ = 0;
  uint64_t next_seq_ = 1;
  bool target_failing_ = false;
  bool stopping_ = false;
  std::thread thread_;

  std::atomic<int64_t> sent_{0}, failed_{0}, dropped_{0}, retried_{0};
  Counters counters_;
  prometheus::Gauge* pending_;
  prometheus::Gauge* disk_bytes_;
  prometheus::Gauge* last_send_;
  prometheus::Gauge* highest_enqueued_;
  prometheus::Gauge* highest_sent_;
};

}  // namespace depin::forward
