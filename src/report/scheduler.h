// Scheduled reports: every interval, the report over the configured period
// is written as report-<UTC timestamp>.html and .csv into a directory
// (each through a temporary file and a rename, so a reader never sees half
// a file), and only the newest `keep` of each are kept.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "common/logger.h"
#include "common/status.h"
#include "report/handler.h"

namespace depin::report {

struct ScheduleOptions {
  int64_t interval_ms = 86'400'000;
  int64_t period_ms = 86'400'000;
  std::string directory;  // created when missing
  int64_t keep = 30;      // newest reports of each format kept
};

class ReportScheduler {
 public:
  // Registers depin_sidecar_reports_generated_total,
  // depin_sidecar_report_failures_total and
  // depin_sidecar_report_last_success_timestamp_seconds. `registry` and
  // `log` must outlive the scheduler.
  ReportScheduler(ScheduleOptions options, ReportSources sources, prometheus::Registry& registry,
                  Logger& log);
  ~ReportScheduler();
  ReportScheduler(const ReportScheduler&) = delete;
  ReportScheduler& operator=(const ReportScheduler&) = delete;

  // Writes a report every interval, the first one interval after Start().
  void Start();
  // Joins the thread; a report being written is finished first.
  void Stop();

  // Writes one report named after `now_ms` and prunes old ones; counts and
  // logs the outcome. Unavailable (not counted as a failure) before the
  // first evaluation.
  Status GenerateNow(int64_t now_ms);

 private:
  ScheduleOptions options_;
  ReportSources sources_;
  Logger& log_;
  prometheus::Counter& generated_;
  prometheus::Counter& failures_;
  prometheus::Gauge& last_success_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// "report-20261125T133000Z" for a time in ms.
std::string ReportBaseName(int64_t ms);

// Removes all but the newest `keep` files named report-*<extension> in
// `dir` (the names sort by time); returns how many were removed.
Result<int> PruneReports(const std::string& dir, std::string_view extension, int64_t keep);

}  // namespace depin::report
