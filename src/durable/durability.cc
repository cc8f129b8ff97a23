#include "durable/durability.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/clock.h"
#include "common/file.h"
#include "common/self_metrics.h"
#include "durable/checkpoint.h"

namespace depin::durable {
namespace {

// The whole file, or NotFound.
Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return Status::NotFound(path);
    return Status::Unavailable("cannot read " + path);
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

bool RecoveryReport::damaged() const {
  return checkpoint_corrupt > 0 || checkpoint_invalid > 0 || checkpoint_truncated ||
         (checkpoint_found && !checkpoint_used) || !windows_problem.empty() || series_skipped > 0 ||
         wal_corrupt > 0 || wal_truncated > 0 || wal_unreadable > 0;
}

void WriteGate::EnterWrite() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !closed_; });
  ++writers_;
}

void WriteGate::LeaveWrite() {
  std::lock_guard<std::mutex> lock(mu_);
  if (--writers_ == 0) cv_.notify_all();
}

void WriteGate::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !closed_; });  // one cut at a time
  closed_ = true;
  cv_.wait(lock, [this] { return writers_ == 0; });
}

void WriteGate::Open() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = false;
  }
  cv_.notify_all();
}

Durability::Durability(DurabilityOptions options, const Config& config,
                       windows::WindowStore& windows, ingest::Ingester& ingester,
                       AnalyticsAccess analytics, prometheus::Registry& registry, Logger& log)
    : options_(std::move(options)),
      config_(config),
      windows_(windows),
      ingester_(ingester),
      analytics_(std::move(analytics)),
      log_(log),
      wal_((std::filesystem::path(options_.dir) / kWalDir).string(), options_.fsync),
      wal_records_(UnlabelledCounter(registry, "depin_sidecar_wal_records_total",
                                     "Remote-write requests appended to the write-ahead log.")),
      wal_failures_(
          UnlabelledCounter(registry, "depin_sidecar_wal_append_failures_total",
                            "Appends to the write-ahead log that failed (answered 500).")),
      replayed_(UnlabelledCounter(registry, "depin_sidecar_wal_replayed_requests_total",
                                  "Requests replayed from the write-ahead log at start.")),
      checkpoints_(prometheus::BuildCounter()
                       .Name("depin_sidecar_state_checkpoints_total")
                       .Help("State checkpoints written, by result.")
                       .Register(registry)),
      damage_(prometheus::BuildCounter()
                  .Name("depin_sidecar_recovery_damage_total")
                  .Help("Damage found at start, by file (checkpoint, wal) and kind (corrupt, "
                        "truncated, invalid, unreadable).")
                  .Register(registry)),
      checkpoint_bytes_(UnlabelledGauge(registry, "depin_sidecar_state_checkpoint_bytes",
                                        "Size of the last state checkpoint written.")),
      checkpoint_seconds_(UnlabelledGauge(registry,
                                          "depin_sidecar_state_checkpoint_duration_seconds",
                                          "Duration of the last state checkpoint.")),
      checkpoint_timestamp_(UnlabelledGauge(registry,
                                            "depin_sidecar_last_state_checkpoint_timestamp_seconds",
                                            "Unix time of the last state checkpoint written.")) {
  checkpoints_.Add({{"result", "success"}});
  checkpoints_.Add({{"result", "failure"}});
}

Durability::~Durability() {
  Stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void Durability::CountDamage(const char* file, const char* kind, double n) {
  if (n > 0) damage_.Add({{"file", file}, {"kind", kind}}).Increment(n);
}

Result<RecoveryReport> Durability::Recover(int64_t now_ms) {
  RecoveryReport report;
  {
    std::error_code ec;
    std::filesystem::create_directories(options_.dir, ec);
    if (ec) return Status::Unavailable("cannot create " + options_.dir + ": " + ec.message());
    const std::string lock = (std::filesystem::path(options_.dir) / kLockFile).string();
    lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd_ < 0) {
      return Status::Unavailable("cannot open " + lock + ": " + std::strerror(errno));
    }
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(lock_fd_);
      lock_fd_ = -1;
      return Status::Unavailable(options_.dir + " is in use by another running sidecar (" + lock +
                                 " is locked)");
    }
  }
  const std::string path = (std::filesystem::path(options_.dir) / kCheckpointFile).string();
  uint64_t replay_from = 0;
  auto file = ReadFile(path);
  if (!file.ok() && file.status().code() != Status::Code::kNotFound) return file.status();
  if (file.ok()) {
    report.checkpoint_found = true;
    CheckpointContents contents = DecodeCheckpoint(file.value(), config_);
    report.checkpoint_corrupt = contents.corrupt;
    report.checkpoint_invalid = contents.invalid;
    report.checkpoint_truncated = contents.truncated;
    report.checkpoint_used = contents.header.has_value();
    if (contents.header) {
      replay_from = contents.header->wal_sequence;
      if (contents.windows) {
        Status st = windows_.Import(*contents.windows, &report.series_skipped);
        if (st.ok()) {
          report.providers = contents.windows->providers.size();
          report.series = contents.windows->series.size() - report.series_skipped;
        } else {
          report.windows_problem = st.message();
        }
      } else {
        report.windows_problem = "the record of the windows' geometry was lost";
      }
      report.audit_records = contents.audit_records;
      analytics_.restore(std::move(contents.state));
    }
    if (contents.damaged() || !contents.header) {
      // Keep the damaged file for inspection; the checkpoint below replaces it.
      std::error_code ec;
      std::filesystem::copy_file(path, path + ".damaged",
                                 std::filesystem::copy_options::overwrite_existing, ec);
    }
  }
  CountDamage("checkpoint", "corrupt", report.checkpoint_corrupt);
  CountDamage("checkpoint", "invalid",
              report.checkpoint_invalid + static_cast<double>(report.series_skipped) +
                  (report.windows_problem.empty() ? 0 : 1));
  CountDamage("checkpoint", "truncated", report.checkpoint_truncated ? 1 : 0);

  auto segments = ListWalSegments(wal_.dir());
  if (!segments.ok()) return segments.status();
  uint64_t next = replay_from;
  for (uint64_t seq : segments.value()) {
    next = std::max(next, seq + 1);
    if (seq < replay_from) continue;  // already in the checkpoint: left over from a crash
    ++report.wal_segments;
    auto data = ReadFile(WalSegmentPath(wal_.dir(), seq));
    if (!data.ok()) {
      ++report.wal_unreadable;
      log_.Error("cannot read a WAL segment", {{"err", data.status().message()}});
      continue;
    }
    WalSegmentContents contents = DecodeWalSegment(data.value());
    report.wal_corrupt += contents.corrupt;
    report.wal_truncated += contents.truncated ? 1 : 0;
    report.wal_unreadable += contents.bad_header ? 1 : 0;
    if (contents.corrupt > 0 || contents.truncated || contents.bad_header) {
      log_.Warn("WAL segment damaged; replaying its intact records",
                {{"segment", WalSegmentPath(wal_.dir(), seq)},
                 {"corrupt_records", std::to_string(contents.corrupt)},
                 {"truncated", contents.truncated ? "true" : "false"},
                 {"unknown_format", contents.bad_header ? "true" : "false"},
                 {"lost_bytes", std::to_string(contents.lost_bytes)}});
    }
    for (const WalRequest& req : contents.requests) {
      ingest::WriteOutcome out =
          ingester_.Write({req.content_type, req.content_encoding, req.body}, req.now_ms);
      ++report.wal_requests;
      report.wal_samples += out.samples_stored;
    }
  }
  replayed_.Increment(static_cast<double>(report.wal_requests));
  CountDamage("wal", "corrupt", report.wal_corrupt);
  CountDamage("wal", "truncated", report.wal_truncated);
  CountDamage("wal", "unreadable", report.wal_unreadable);

  const std::string checkpoint = !report.checkpoint_found ? "none"
                                 : report.checkpoint_used ? "loaded"
                                                          : "unusable";
  if (report.damaged()) {
    log_.Warn("state damaged; recovered what is intact",
              {{"path", options_.dir},
               {"checkpoint", checkpoint},
               {"checkpoint_corrupt_records", std::to_string(report.checkpoint_corrupt)},
               {"checkpoint_invalid_records", std::to_string(report.checkpoint_invalid)},
               {"checkpoint_truncated", report.checkpoint_truncated ? "true" : "false"},
               {"windows_problem", report.windows_problem},
               {"series_skipped", std::to_string(report.series_skipped)},
               {"wal_corrupt_records", std::to_string(report.wal_corrupt)},
               {"wal_truncated_segments", std::to_string(report.wal_truncated)},
               {"wal_unreadable_segments", std::to_string(report.wal_unreadable)},
               {"providers", std::to_string(report.providers)},
               {"series", std::to_string(report.series)},
               {"audit_records", std::to_string(report.audit_records)},
               {"wal_requests_replayed", std::to_string(report.wal_requests)},
               {"wal_samples_replayed", std::to_string(report.wal_samples)}});
  } else if (report.checkpoint_found || report.wal_segments > 0) {
    log_.Info("state recovered", {{"path", options_.dir},
                                  {"checkpoint", checkpoint},
                                  {"providers", std::to_string(report.providers)},
                                  {"series", std::to_string(report.series)},
                                  {"audit_records", std::to_string(report.audit_records)},
                                  {"wal_segments", std::to_string(report.wal_segments)},
                                  {"wal_requests_replayed", std::to_string(report.wal_requests)},
                                  {"wal_samples_replayed", std::to_string(report.wal_samples)}});
  }

  DEPIN_RETURN_IF_ERROR(wal_.Open(next));
  wal_open_ = true;
  // A failure is logged and counted; the WAL keeps everything until the
  // next checkpoint succeeds.
  (void)Checkpoint(now_ms);
  return report;
}

ingest::WriteOutcome Durability::Write(const ingest::WriteInput& input, int64_t now_ms) {
  if (!wal_open_) return ingester_.Write(input, now_ms);
  gate_.EnterWrite();
  ingest::WriteOutcome out = ingester_.Write(input, now_ms);
  if (out.samples_stored > 0) {
    Status st = wal_.Append({now_ms, input.content_type, input.content_encoding, input.body});
    if (st.ok()) {
      wal_records_.Increment();
    } else {
      wal_failures_.Increment();
      log_.Error("cannot append to the write-ahead log", {{"err", st.message()}});
      out.http_status = 500;
      out.message = "samples not made durable: " + st.message();
    }
  }
  gate_.LeaveWrite();
  return out;
}

Status Durability::Checkpoint(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(checkpoint_mu_);
  if (!wal_open_) return Status::Unavailable("durability is not running");
  const auto start = std::chrono::steady_clock::now();
  windows::WindowImage image;
  Result<uint64_t> sequence = Status::Internal("not rotated");
  gate_.Close();
  sequence = wal_.Rotate();
  if (sequence.ok()) image = windows_.Export();
  gate_.Open();
  Status st = sequence.status();
  if (st.ok()) {
    const analytics::AnalyticsState state = analytics_.copy();
    const std::string data =
        EncodeCheckpoint({now_ms, sequence.value()}, image, state,
                         options_.audit_retention_ms > 0 ? now_ms - options_.audit_retention_ms
                                                         : std::numeric_limits<int64_t>::min());
    const std::string path = (std::filesystem::path(options_.dir) / kCheckpointFile).string();
    st = WriteFileAtomically(path, data);
    if (st.ok()) {
      checkpoint_bytes_.Set(static_cast<double>(data.size()));
      st = wal_.RemoveBefore(sequence.value());
    }
  }
  checkpoints_.Add({{"result", st.ok() ? "success" : "failure"}}).Increment();
  if (!st.ok()) {
    log_.Error("state checkpoint failed; the WAL is kept until one succeeds",
               {{"err", st.message()}});
    return st;
  }
  checkpoint_seconds_.Set(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  checkpoint_timestamp_.Set(static_cast<double>(now_ms) / 1000.0);
  return Status::Ok();
}

void Durability::Start() {
  std::lock_guard<std::mutex> lock(timer_mu_);
  if (thread_.joinable() || !wal_open_) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Durability::Stop() {
  {
    std::lock_guard<std::mutex> lock(timer_mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  (void)Checkpoint(NowMs());  // logs its own failure
}

void Durability::Loop() {
  const auto interval =
      std::chrono::milliseconds(std::max<int64_t>(options_.checkpoint_interval_ms, 1000));
  std::unique_lock<std::mutex> lock(timer_mu_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    (void)Checkpoint(NowMs());
    lock.lock();
  }
}

}  // namespace depin::durable
