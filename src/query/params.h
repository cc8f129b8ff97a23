// The parameters of GET/POST /api/v1/history (docs/query.md) turned into a
// RangeQuery, strictly: unknown or repeated parameters are errors, so a typo
// never silently changes the answer.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/status.h"
#include "query/evaluate.h"

namespace depin::query {

struct HistoryDefaults {
  int64_t lookback_ms = 5 * 60 * 1000;  // --query.lookback-delta
  int64_t range_ms = 60 * 60 * 1000;    // start = end - range when start is absent
  int64_t points = 250;                 // step = range / points (whole seconds) when absent
};

struct HistoryRequest {
  RangeQuery query;
  bool csv = false;
};

// match[] (repeatable, required), start, end, step, agg, by, quantile,
// window, lookback_delta, format. `now_ms` is end's default.
// InvalidArgument naming the parameter at fault.
Result<HistoryRequest> ParseHistoryParams(const std::multimap<std::string, std::string>& params,
                                          const HistoryDefaults& defaults, int64_t now_ms);

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
// InvalidArgument on a malformed escape.
Result<std::multimap<std::string, std::string>> ParseForm(const std::string& body);

}  // namespace depin::query
