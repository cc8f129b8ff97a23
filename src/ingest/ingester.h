// Ingest: answers one remote-write 1.0 request (DESIGN §5) without HTTP.
// Decodes within the limits, validates and routes each series, and appends
// the good ones to the windows; bad series are dropped and counted, never
// the good ones beside them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/config.h"
#include "route/router.h"
#include "windows/window_store.h"

namespace depin::ingest {

struct WriteInput {
  std::string_view content_type;
  std::string_view content_encoding;
  std::string_view body;
};

struct WriteOutcome {
  int http_status = 204;  // 204, 400, 413 or 415
  std::string message;    // one line; empty on 204
  int64_t samples_received = 0;
  int64_t samples_stored = 0;
  int64_t series_dropped = 0;
};

class Ingester {
 public:
  // `router` and `store` must outlive the Ingester. Self-metrics are
  // registered in `registry`.
  Ingester(const LimitsConfig& limits, const route::Router& router, windows::WindowStore& store,
           prometheus::Registry& registry);

  // Thread-safe. `now_ms` bounds how far in the future samples may be.
  WriteOutcome Write(const WriteInput& input, int64_t now_ms);

 private:
  WriteOutcome Finish(WriteOutcome outcome);
  void CountRejected(std::string_view reason, int64_t samples);
  void CountDropped(std::string_view reason);

  LimitsConfig limits_;
  const route::Router& router_;
  windows::WindowStore& store_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Counter& received_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& dropped_;
};

}  // namespace depin::ingest
