#include "forward/queue.h"

#include <algorithm>

#include "common/clock.h"
#include "forward/retry.h"

namespace depin::forward {

QueueMetricFamilies RegisterQueueMetrics(prometheus::Registry& registry) {
  QueueMetricFamilies f;
  f.samples = &prometheus::BuildCounter()
                   .Name("depin_sidecar_remote_write_samples_total")
                   .Help(
                       "Derived samples by remote-write outcome: sent (2xx), failed (rejected "
                       "by the target), dropped (unsent: buffer bound, corruption), retried.")
                   .Register(registry);
  f.pending = &prometheus::BuildGauge()
                   .Name("depin_sidecar_remote_write_pending_samples")
                   .Help("Samples waiting to be sent, in memory and in the disk buffer.")
                   .Register(registry);
  f.disk_bytes = &prometheus::BuildGauge()
                      .Name("depin_sidecar_remote_write_disk_buffer_bytes")
                      .Help("Bytes of the remote-write disk buffer.")
                      .Register(registry);
  f.last_send = &prometheus::BuildGauge()
                     .Name("depin_sidecar_remote_write_last_send_timestamp_seconds")
                     .Help("Unix time of the last batch the target acknowledged.")
                     .Register(registry);
  f.highest_enqueued = &prometheus::BuildGauge()
                            .Name("depin_sidecar_remote_write_highest_timestamp_seconds")
                            .Help("Newest sample timestamp queued for the target.")
                            .Register(registry);
  f.highest_sent = &prometheus::BuildGauge()
                        .Name("depin_sidecar_remote_write_highest_sent_timestamp_seconds")
                        .Help("Newest sample timestamp the target acknowledged.")
                        .Register(registry);
  return f;
}

Queue::Queue(const RemoteWriteConfig& config, std::unique_ptr<RemoteClient> client,
             std::unique_ptr<DiskBuffer> disk, const QueueMetricFamilies& f, Logger& log)
    : config_(config), client_(std::move(client)), disk_(std::move(disk)), log_(log) {
  auto outcome = [&](const char* o) {
    return &f.samples->Add({{"remote_name", config_.name}, {"outcome", o}});
  };
  counters_ = {outcome("sent"), outcome("failed"), outcome("dropped"), outcome("retried")};
  const prometheus::Labels labels = {{"remote_name", config_.name}};
  pending_ = &f.pending->Add(labels);
  disk_bytes_ = &f.disk_bytes->Add(labels);
  last_send_ = &f.last_send->Add(labels);
  highest_enqueued_ = &f.highest_enqueued->Add(labels);
  highest_sent_ = &f.highest_sent->Add(labels);
  if (disk_) next_seq_ = disk_->next_seq();
  UpdateGauges();
}

Queue::~Queue() { Stop(); }

Batch Queue::CutLocked(std::vector<Sample> samples) {
  Batch b;
  b.seq = next_seq_++;
  b.samples = static_cast<int64_t>(samples.size());
  for (const Sample& s : samples) b.newest_t_ms = std::max(b.newest_t_ms, s.t_ms);
  b.body = EncodeWriteRequest(samples);
  return b;
}

void Queue::PlaceLocked(Batch batch) {
  const bool disk_ahead = disk_ && disk_->segments() > 0;
  const bool room = memory_samples_ + batch.samples <= config_.queue_capacity;
  if (disk_ && (disk_ahead || !room || target_failing_ || stopping_)) {
    const Status written = WriteToDisk(batch);
    if (written.ok()) return;
    // The sender always takes the lowest sequence number, from memory or
    // disk, so holding this batch in memory instead keeps the order.
    if (!room || stopping_) {
      Drop(batch.samples, "cannot write the disk buffer: " + written.message());
      return;
    }
    log_.Warn("remote write: cannot write the disk buffer, batch kept in memory",
              {{"remote_name", config_.name}, {"err", written.message()}});
  }
  if (!room) {
    Drop(batch.samples, "memory queue full and no disk buffer");
    return;
  }
  memory_samples_ += batch.samples;
  memory_.push_back(std::move(batch));
}

void Queue::CutExpiredLocked() {
  const auto deadline = std::chrono::milliseconds(config_.batch_send_deadline_ms);
  if (open_.empty() || std::chrono::steady_clock::now() < open_since_ + deadline) return;
  PlaceLocked(CutLocked(std::move(open_)));
  open_.clear();
}

Status Queue::WriteToDisk(const Batch& batch) {
  auto dropped = disk_->Append(batch);
  if (!dropped.ok()) return dropped.status();
  Drop(dropped.value(), "disk buffer over disk_buffer.max_size: oldest batches dropped");
  return Status::Ok();
}

void Queue::Drop(int64_t samples, const std::string& why) {
  if (samples <= 0) return;
  dropped_ += samples;
  counters_.dropped->Increment(static_cast<double>(samples));
  log_.Warn("remote write: samples dropped",
            {{"remote_name", config_.name}, {"samples", std::to_string(samples)}, {"why", why}});
}

void Queue::Append(std::vector<Sample> samples) {
  if (samples.empty()) return;
  int64_t newest = 0;
  for (const Sample& s : samples) newest = std::max(newest, s.t_ms);
  if (static_cast<double>(newest) / 1000.0 > highest_enqueued_->Value()) {
    highest_enqueued_->Set(static_cast<double>(newest) / 1000.0);
  }
  std::lock_guard<std::mutex> lock(mu_);
  CutExpiredLocked();  // the sender may be busy retrying: cut here too
  if (open_.empty()) open_since_ = std::chrono::steady_clock::now();
  for (Sample& s : samples) {
    open_.push_back(std::move(s));
    if (static_cast<int64_t>(open_.size()) >= config_.max_samples_per_send) {
      PlaceLocked(CutLocked(std::move(open_)));
      open_.clear();
      open_since_ = std::chrono::steady_clock::now();
    }
  }
  UpdateGauges();
  wake_.notify_all();
}

void Queue::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

void Queue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (!open_.empty()) {
    memory_.push_back(CutLocked(std::move(open_)));
    memory_samples_ += memory_.back().samples;
    open_.clear();
  }
  for (Batch& b : memory_) {
    const Status written =
        disk_ ? WriteToDisk(b) : Status::Unavailable("stopped with unsent samples, no disk buffer");
    if (!written.ok()) Drop(b.samples, written.message());
  }
  memory_.clear();
  memory_samples_ = 0;
  UpdateGauges();
}

void Queue::Loop() {
  const auto deadline = std::chrono::milliseconds(config_.batch_send_deadline_ms);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    CutExpiredLocked();
    const std::optional<uint64_t> disk_seq = disk_ ? disk_->oldest_seq() : std::nullopt;
    if (memory_.empty() && !disk_seq) {
      if (open_.empty()) {
        wake_.wait(lock);
      } else {
        wake_.wait_until(lock, open_since_ + deadline);
      }
      continue;
    }
    if (!memory_.empty() && (!disk_seq || memory_.front().seq < *disk_seq)) {
      const Batch& batch = memory_.front();  // only this thread pops; push_back keeps references
      lock.unlock();
      const bool done = Deliver(batch);
      lock.lock();
      if (!done) return;  // stopping: Stop() moves it to disk
      memory_samples_ -= batch.samples;
      memory_.pop_front();
    } else {
      lock.unlock();
      ReadOutcome read = disk_->ReadOldest();
      if (read.corrupt_segments > 0) {
        Drop(read.samples_lost, "corrupt disk buffer segment: " + read.problem);
      }
      if (read.batch) {
        if (!Deliver(*read.batch)) {
          lock.lock();
          return;  // stays on disk
        }
        disk_->Remove(read.batch->seq);
      }
      lock.lock();
    }
    UpdateGauges();
  }
}

bool Queue::Deliver(const Batch& batch) {
  Backoff backoff(config_.min_backoff_ms, config_.max_backoff_ms);
  for (bool first = true;; first = false) {
    if (!first) {
      retried_ += batch.samples;
      counters_.retried->Increment(static_cast<double>(batch.samples));
    }
    const SendResult result = client_->Send(batch.body);
    const Verdict verdict = Classify(result.status, config_.retry_on_http_429);
    if (verdict != Verdict::kRetry) {
      bool recovered;
      {
        std::lock_guard<std::mutex> lock(mu_);
        recovered = target_failing_;
        target_failing_ = false;
      }
      if (recovered)
        log_.Info("remote write: target answers again", {{"remote_name", config_.name}});
      if (verdict == Verdict::kSent) {
        sent_ += batch.samples;
        counters_.sent->Increment(static_cast<double>(batch.samples));
        last_send_->Set(static_cast<double>(NowMs()) / 1000.0);
        if (static_cast<double>(batch.newest_t_ms) / 1000.0 > highest_sent_->Value()) {
          highest_sent_->Set(static_cast<double>(batch.newest_t_ms) / 1000.0);
        }
      } else {
        failed_ += batch.samples;
        counters_.failed->Increment(static_cast<double>(batch.samples));
        log_.Error("remote write: batch rejected by the target, dropped",
                   {{"remote_name", config_.name},
                    {"status", std::to_string(result.status)},
                    {"samples", std::to_string(batch.samples)},
                    {"response", result.error}});
      }
      return true;
    }
    int64_t delay_ms = backoff.Next();
    if (result.retry_after_ms >= 0)
      delay_ms = std::max(result.retry_after_ms, config_.min_backoff_ms);
    std::unique_lock<std::mutex> lock(mu_);
    if (!target_failing_) {
      log_.Warn("remote write: target failing, retrying with backoff; new batches go to disk",
                {{"remote_name", config_.name},
                 {"status", std::to_string(result.status)},
                 {"err", result.error},
                 {"retry_in_ms", std::to_string(delay_ms)}});
    }
    target_failing_ = true;
    // While waiting, a partial batch past its deadline is cut (to disk).
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    while (!stopping_ && std::chrono::steady_clock::now() < until) {
      CutExpiredLocked();
      auto wake_at = until;
      if (!open_.empty()) {
        wake_at = std::min(wake_at,
                           open_since_ + std::chrono::milliseconds(config_.batch_send_deadline_ms));
      }
      wake_.wait_until(lock, wake_at);
    }
    if (stopping_) return false;
  }
}

int64_t Queue::pending_samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(open_.size()) + memory_samples_ + (disk_ ? disk_->samples() : 0);
}

QueueCounts Queue::counts() const { return {sent_, failed_, dropped_, retried_}; }

void Queue::UpdateGauges() {
  const int64_t on_disk = disk_ ? disk_->samples() : 0;
  pending_->Set(
      static_cast<double>(static_cast<int64_t>(open_.size()) + memory_samples_ + on_disk));
  disk_bytes_->Set(disk_ ? static_cast<double>(disk_->bytes()) : 0.0);
}

}  // namespace depin::forward
