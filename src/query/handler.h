// GET/POST /api/v1/history (docs/query.md): derived-series history for
// people and scripts, in Prometheus's matrix JSON or CSV. HTTP-free: the
// server hands in method, path, query parameters and body.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/http_types.h"
#include "query/evaluate.h"
#include "query/params.h"
#include "store/store.h"

namespace depin::query {

struct HistoryOptions {
  QueryLimits limits;
  HistoryDefaults defaults;
};

class HistoryHandler {
 public:
  static constexpr std::string_view kPath = "/api/v1/history";

  // `store` must outlive the handler; `now_ms` gives end's default.
  HistoryHandler(const store::Store& store, HistoryOptions options,
                 std::function<int64_t()> now_ms);

  // 200 with the matrix (application/json) or CSV (text/csv); errors are
  // {"status":"error","errorType":...,"error":...}: 400 bad_data for bad
  // parameters or a query past the points or range limit, 422 execution
  // past the series or samples limit, 405 for other methods. POST takes the
  // same parameters as an application/x-www-form-urlencoded body.
  PlainResponse Handle(const PlainRequest& request) const;

 private:
  const store::Store& store_;
  HistoryOptions options_;
  std::function<int64_t()> now_ms_;
};

}  // namespace depin::query
