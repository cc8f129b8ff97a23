// Ingest: answers one remote-write 1.0 or 2.0 request (DESIGN §5) without
// HTTP; the Content-Type's `proto` parameter says which (docs/remote-write-2.md).
// Decodes within the limits, validates and routes each series, and appends
// the good ones to the windows; bad series are dropped and counted, never
// the good ones beside them.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/config.h"
#include "ingest/limiter.h"
#include "remote.pb.h"
#include "route/router.h"
#include "windows/window_store.h"

namespace depin::ingest {

struct WriteInput {
  std::string_view content_type;
  std::string_view content_encoding;
  std::string_view body;
};

struct WriteOutcome {
  int http_status = 204;  // 204, 400, 413, 415, or 503 when overloaded
  std::string message;    // one line; empty on 204
  int retry_after_s = 0;  // > 0: answer with a Retry-After header of that many seconds
  int64_t samples_received = 0;
  int64_t samples_stored = 0;
  int64_t series_dropped = 0;
  // Remote-write 2.0 only (remote_write_v2): the values of the
  // X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written
  // headers, sent with 2xx and 4xx answers alike. Samples are the float
  // samples stored; histograms the native histograms converted and stored;
  // exemplars are never stored.
  bool remote_write_v2 = false;
  int64_t samples_written = 0;
  int64_t histograms_written = 0;
  int64_t exemplars_written = 0;
};

struct V2Translation;
class WriteRequestView;

class Ingester {
 public:
  // `router` and `store` must outlive the Ingester. Self-metrics are
  // registered in `registry`.
  Ingester(const LimitsConfig& limits, const route::Router& router, windows::WindowStore& store,
           prometheus::Registry& registry);

  // Thread-safe. `now_ms` bounds how far in the future samples may be.
  // At most limits.max_concurrent_writes requests are decoded at once; one
  // past that is answered 503 with retry_after_s = 1 without being decoded
  // (Prometheus 2.42 retries 5xx with backoff but drops a batch on 429).
  WriteOutcome Write(const WriteInput& input, int64_t now_ms);

  // Requests being processed right now (for tests and self-metrics).
  int64_t writes_in_flight() const { return limiter_.in_flight(); }

 private:
  WriteOutcome Finish(WriteOutcome outcome);
  // Validates, routes and appends the series of a decoded request; `v2` is
  // set when it was translated from a remote-write 2.0 request.
  WriteOutcome Ingest(const WriteRequestView& request, const V2Translation* v2,
                      int64_t now_ms, WriteOutcome out);
  void CountRejected(std::string_view reason, int64_t samples);
  void CountDropped(std::string_view reason, int64_t series);

  // The statuses Write answers with; their counters are looked up once.
  static constexpr std::array<int, 5> kAnsweredCodes{204, 400, 413, 415, 503};

  LimitsConfig limits_;
  ConcurrencyLimiter limiter_;
  const route::Router& router_;
  windows::WindowStore& store_;
  prometheus::Family<prometheus::Counter>& requests_;
  std::array<prometheus::Counter*, kAnsweredCodes.size()> requests_by_code_{};
  prometheus::Counter& received_;
  prometheus::Family<prometheus::Counter>& rejected_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Counter& out_of_order_accepted_;
  // Remote-write 2.0 content that is counted, converted or ignored.
  prometheus::Counter& native_histograms_received_;
  prometheus::Counter& native_histograms_converted_;
  prometheus::Counter& exemplars_received_;
  prometheus::Counter& metadata_received_;
  prometheus::Counter& created_timestamp_zeros_;
};

}  // namespace depin::ingest
