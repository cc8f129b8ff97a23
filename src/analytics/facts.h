// Facts: the per-provider numbers every score is built from, read off the
// windows once per evaluation. Absent (nullopt) when the window has no data.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "windows/view.h"

namespace depin::analytics {

struct ProviderFacts {
  std::string id;
  std::vector<std::pair<std::string, std::string>> attributes;
  int up_slots = 0;                     // window slots with `up` samples
  int up_span_slots = 0;                // slots from the first to the newest with `up` samples
  std::optional<double> uptime;         // mean of up over the window, 0..1
  std::optional<double> recent_uptime;  // mean of up over the availability window
  std::optional<double> latest_up;      // mean of up in the newest slot with data
  int outages = 0;                      // up -> down transitions between slots
  double jobs_completed = 0;
  double jobs_failed = 0;
  std::optional<double> gpu_util;         // mean, 0..100
  std::optional<double> mean_response_s;  // from the response histogram
  std::optional<double> mean_job_duration_s;
  std::optional<double> sla_fraction;        // jobs finished within the SLA target
  std::optional<double> price;               // latest price per GPU-hour
  std::optional<double> gpus_total;          // latest
  std::optional<double> gpus_allocated;      // latest
  std::optional<double> memory_total_bytes;  // latest host memory

  double jobs_finished() const { return jobs_completed + jobs_failed; }
};

ProviderFacts ExtractFacts(const windows::ProviderView& view, const Config& config);

// Slots in the recent window (reputation.availability_window), at least 1:
// recent uptime, saturation and failure bursts are all read over it.
size_t RecentSlotCount(const windows::ProviderView& view, const Config& config);

// The last `k` slots of `v` (all of it when shorter).
windows::ScalarSpan LastSlots(windows::ScalarSpan v, size_t k);

// Share of a histogram's observations at or below `x`, interpolating
// linearly inside the bucket (the inverse of histogram_quantile).
// nullopt for an empty histogram.
std::optional<double> FractionAtOrBelow(const windows::HistogramView& h, double x);

}  // namespace depin::analytics
