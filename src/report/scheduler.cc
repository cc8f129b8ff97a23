#include "report/scheduler.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <vector>

#include "common/clock.h"
#include "common/duration.h"
#include "common/file.h"

namespace depin::report {

std::string ReportBaseName(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "report-%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Result<int> PruneReports(const std::string& dir, std::string_view extension, int64_t keep) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("report-", 0) == 0 && name.size() > extension.size() &&
        name.compare(name.size() - extension.size(), extension.size(), extension) == 0) {
      files.push_back(entry.path());
    }
  }
  if (ec) return Status::Unavailable("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  int removed = 0;
  const auto excess = static_cast<int64_t>(files.size()) - std::max<int64_t>(keep, 0);
  for (int64_t i = 0; i < excess; ++i) {
    if (std::filesystem::remove(files[i], ec)) ++removed;
    if (ec) return Status::Unavailable("cannot remove " + files[i].string() + ": " + ec.message());
  }
  return removed;
}

ReportScheduler::ReportScheduler(ScheduleOptions options, ReportSources sources,
                                 prometheus::Registry& registry, Logger& log)
    : options_(std::move(options)),
      sources_(std::move(sources)),
      log_(log),
      generated_(prometheus::BuildCounter()
                     .Name("depin_sidecar_reports_generated_total")
                     .Help("Scheduled reports written (an HTML and a CSV file each).")
                     .Register(registry)
                     .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("depin_sidecar_report_failures_total")
                    .Help("Scheduled reports that could not be built or written.")
                    .Register(registry)
                    .Add({})),
      last_success_(prometheus::BuildGauge()
                        .Name("depin_sidecar_report_last_success_timestamp_seconds")
                        .Help("Unix time of the last scheduled report written; 0 before the "
                              "first.")
                        .Register(registry)
                        .Add({})) {}

ReportScheduler::~ReportScheduler() { Stop(); }

void ReportScheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (wake_.wait_for(lock, std::chrono::milliseconds(options_.interval_ms),
                         [this] { return stopping_; }))
        return;
      lock.unlock();
      (void)GenerateNow(NowMs());  // counts and logs its own outcome
      lock.lock();
    }
  });
}

void ReportScheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status ReportScheduler::GenerateNow(int64_t now_ms) {
  const auto start = std::chrono::steady_clock::now();
  const std::string base =
      (std::filesystem::path(options_.directory) / ReportBaseName(now_ms)).string();
  auto fail = [&](const Status& st) {
    failures_.Increment();
    log_.Error("report failed", {{"dir", options_.directory}, {"err", st.message()}});
    return st;
  };
  std::error_code ec;
  std::filesystem::create_directories(options_.directory, ec);
  if (ec)
    return fail(Status::Unavailable("cannot create " + options_.directory + ": " + ec.message()));
  auto report = BuildLatest(sources_, options_.period_ms);
  if (!report.ok()) {
    if (report.status().code() == Status::Code::kUnavailable) {
      log_.Info("report skipped", {{"reason", report.status().message()}});
      return report.status();
    }
    return fail(report.status());
  }
  for (Format format : {Format::kHtml, Format::kCsv}) {
    const std::string path = base + (format == Format::kHtml ? ".html" : ".csv");
    if (Status st = WriteFileAtomically(path, Render(*report, format).body); !st.ok()) {
      return fail(st);
    }
  }
  int removed = 0;
  for (std::string_view ext : {".html", ".csv"}) {
    auto pruned = PruneReports(options_.directory, ext, options_.keep);
    if (!pruned.ok()) return fail(pruned.status());
    removed += pruned.value();
  }
  generated_.Increment();
  last_success_.Set(static_cast<double>(now_ms) / 1000.0);
  log_.Info(
      "report written",
      {{"path", base + ".html"},
       {"period", FormatDuration(options_.period_ms)},
       {"removed", std::to_string(removed)},
       {"duration_seconds",
        std::to_string(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count())}});
  return Status::Ok();
}

}  // namespace depin::report
