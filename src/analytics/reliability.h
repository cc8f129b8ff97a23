// Reliability from `up` (DESIGN §4): uptime ratio, MTBF and MTTR.
#pragma once

#include <optional>

#include "windows/view.h"

namespace depin::analytics {

struct Reliability {
  std::optional<double> uptime_ratio;  // share of observed slots that were up
  int failures = 0;                    // up -> down transitions
  int recoveries = 0;                  // down -> up transitions
  std::optional<double> mtbf_seconds;  // up time / failures; absent without a failure
  std::optional<double> mttr_seconds;  // down time of completed outages / recoveries
};

// A slot counts as up when the mean of its `up` samples is >= 0.5; each slot
// stands for `step_ms` of time. Slots without samples are skipped (they say
// nothing about the provider, only about the scrape path).
Reliability ComputeReliability(windows::ScalarSpan up, int64_t step_ms);

}  // namespace depin::analytics
